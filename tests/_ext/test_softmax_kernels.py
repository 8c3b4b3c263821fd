"""The softmax kernel family, both twins: a loop oracle, NaN and infinities, the axis
handling of ``F.softmax``, PyTorch parity, gradcheck, and every check of ``_checks.py``."""
import math
import types

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import _ext
from lucid.testing import assert_close, check_kernels, gradcheck

from tests.conftest import torch
from tests.helpers import assert_same_bits_on_any_thread_count

KERNEL_FAMILIES = ("softmax",)


def _oracle(x):
    """Loops written here, in float64: the softmax of every row (last axis)."""
    rows = x.astype(np.float64).reshape(-1, x.shape[-1])
    y = np.zeros_like(rows)
    for n, row in enumerate(rows):
        m = max(row) if not any(math.isnan(v) for v in row) else math.nan
        e = [math.exp(v - m) for v in row]
        y[n] = [v / sum(e) for v in e]
    return y.reshape(x.shape)


def _oracle_backward(y, g):
    rows_y = y.astype(np.float64).reshape(-1, y.shape[-1])
    rows_g = g.astype(np.float64).reshape(-1, y.shape[-1])
    out = np.zeros_like(rows_y)
    for n in range(rows_y.shape[0]):
        d = sum(a * b for a, b in zip(rows_g[n], rows_y[n]))
        out[n] = [yc * (gc - d) for yc, gc in zip(rows_y[n], rows_g[n])]
    return out.reshape(y.shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (2, 3, 4, 9), (0, 4), (5, 0),
                                   (257, 33)])
def test_softmax_kernels_match_a_loop(twin, dtype, shape):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    kernels = _ext.get("softmax")
    y = kernels.softmax_forward(x)
    assert y.dtype == dtype and y.shape == x.shape
    tol = 2e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(y, _oracle(x) if x.size else y, rtol=tol, atol=tol)
    if x.size:
        np.testing.assert_allclose(y.sum(axis=-1), 1, rtol=tol)
    g = rng.standard_normal(shape).astype(dtype)
    grad_x = kernels.softmax_backward(y, g)
    assert grad_x.dtype == dtype and grad_x.shape == x.shape
    expected = _oracle_backward(y, g) if x.size else grad_x
    np.testing.assert_allclose(grad_x, expected, rtol=10 * tol, atol=10 * tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_and_special_values(twin, dtype):
    """Large scores do not overflow; a NaN (anywhere in the row) or a row of -inf only
    makes the row NaN, as in PyTorch; a -inf beside finite scores gives an exact 0."""
    x = np.array([[1000.0, 0.0, -1000.0, 999.0],
                  [1.0, np.nan, 2.0, 3.0],
                  [-np.inf, -np.inf, -np.inf, -np.inf],
                  [0.0, -np.inf, 0.0, -np.inf],
                  [np.nan, 1.0, 2.0, 3.0]], dtype=dtype)
    y = _ext.get("softmax").softmax_forward(x)
    e = 1 / (1 + math.exp(-1))
    np.testing.assert_allclose(y[0], [e, 0, 0, 1 - e], rtol=1e-6)
    assert np.isnan(y[1]).all() and np.isnan(y[2]).all() and np.isnan(y[4]).all()
    np.testing.assert_array_equal(y[3], [0.5, 0.0, 0.5, 0.0])


def test_exponentials_are_accurate_over_the_whole_float32_range(twin):
    """A row whose maximum is 0 and whose other scores run down to -110 (below e^-104
    every float32 exponential rounds to 0): each softmax value is exp(x) / S. The
    compiled twin computes exp itself (``_exp.pxd``: a reduction by ln 2, a polynomial,
    the exponent's bits); its error must stay within a few roundings of the truth,
    including the subnormal results of the last 16 units of the range."""
    rng = np.random.default_rng(7)
    x = np.concatenate([[0.0], np.linspace(-110, 0, 200001), rng.uniform(-104, -87, 5000),
                        -rng.random(5000) * 1e-3]).astype(np.float32)
    y = _ext.get("softmax").softmax_forward(x)
    exact = np.exp(x.astype(np.float64))
    exact /= exact.sum()
    # a few float32 roundings: exp, the sum (the reference twin's in float32), 1 / S, the
    # product; measured 2.5 units of 2**-24 (compiled) and 4.0 (reference). A subnormal
    # result has only its absolute spacing 2**-149 to keep (measured 1.2 and 1.6 of it).
    np.testing.assert_allclose(y, exact, rtol=8 * 2.0 ** -24, atol=4 * 2.0 ** -149)
    assert (y[x < -104] == 0).all() and (y[x > -87] > 0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_results_do_not_depend_on_the_thread_count(monkeypatch, dtype):
    """The compiled twin hands whole rows to its threads, so one thread and every thread
    give the same bits."""
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((301, 1037)) * 3).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)

    def run(kernels):
        y = kernels.softmax_forward(x)
        log_y = kernels._log_softmax_forward(x)
        return y, kernels.softmax_backward(y, g), log_y, kernels._log_softmax_backward(log_y, g)

    assert_same_bits_on_any_thread_count(monkeypatch, "softmax", "threads_for", run)


def test_twins_agree_on_attention_scores():
    """A training step's worth of attention rows (batch 128, 4 heads, 32 queries)."""
    if not _ext.compiled_available("softmax"):
        pytest.skip(f"the compiled softmax twin is not built; {_ext.BUILD_HINT}")
    x = (np.random.default_rng(1).standard_normal((128, 4, 32, 32)) * 3).astype(np.float32)
    y = check_kernels("softmax", "softmax_forward", x)
    g = np.random.default_rng(2).standard_normal(x.shape).astype(np.float32)
    check_kernels("softmax", "softmax_backward", y, g)


@pytest.mark.parametrize("axis", [-1, 0, 1, None])
def test_every_axis_through_the_op(twin, axis):
    """``F.softmax`` moves another axis last for the kernel and back, forward and
    backward; ``axis=None`` is one softmax over every element."""
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((3, 4, 5))
    x = lucid.Tensor(x_np, requires_grad=True)
    y = F.softmax(x, axis=axis)
    moved = np.moveaxis(x_np, -1 if axis is None else axis, -1)
    if axis is None:
        expected = _oracle(x_np.reshape(1, -1)).reshape(x_np.shape)
    else:
        expected = np.moveaxis(_oracle(moved), -1, axis)
    assert_close(y, expected)
    assert y.data.flags.c_contiguous
    assert gradcheck(lambda t: F.softmax(t, axis=axis) * lucid.Tensor(x_np), [x])


def test_a_scalar_softmax_is_one(twin):
    assert F.softmax(lucid.Tensor(2.5)).item() == 1.0


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axis", [((6, 5), -1), ((2, 4, 32, 32), -1),
                                         ((3, 4, 2, 2), 1)])
def test_softmax_matches_torch(twin, dtype, shape, axis):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    lx = lucid.Tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out = F.softmax(lx, axis=axis)
    expected = torch.softmax(tx, dim=axis)
    assert_close(out, expected.detach().numpy())
    seed = rng.standard_normal(shape).astype(dtype)
    out.backward(seed)
    expected.backward(torch.tensor(seed))
    assert_close(lx.grad, tx.grad.numpy())


# ------------------------------------------------------------------ log-softmax rows
# The log-softmax kernels are private (not in the family's contract): both twins have
# them; F.log_softmax falls back to its NumPy formula on a plugged module without them.
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (2, 3, 4, 9), (0, 4), (5, 0),
                                   (257, 33), (3, 2000)])
def test_log_softmax_kernels_match_a_loop(twin, dtype, shape):
    kernels = _ext.get("softmax")
    rng = np.random.default_rng(6)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    if x.ndim == 2 and x.shape[1] == 2000:
        x[0] = np.linspace(-110, 0, 2000)             # exponentials down to 0
    y = kernels._log_softmax_forward(x)
    g = rng.standard_normal(shape).astype(dtype)
    grad_x = kernels._log_softmax_backward(y, g)
    for got in (y, grad_x):
        assert got.dtype == dtype and got.shape == x.shape
    if not x.size:
        return
    p = _oracle(x)
    tol = dict(rtol=2e-6, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(y, np.log(p), **tol)
    g64 = g.astype(np.float64)
    expected = g64 - p * g64.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(grad_x, expected, rtol=10 * tol["rtol"], atol=10 * tol["atol"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_special_values(twin, dtype):
    """A NaN anywhere, a row of -inf or a +inf make the row NaN; a -inf beside finite
    scores gives -inf (and a gradient of exactly 1 * g there, as e^-inf is 0)."""
    kernels = _ext.get("softmax")
    x = np.array([[1000.0, 0.0, -1000.0, 1.0],
                  [1.0, np.nan, 2.0, 3.0],
                  [-np.inf, -np.inf, -np.inf, -np.inf],
                  [0.0, -np.inf, 0.0, -np.inf],
                  [np.inf, 1.0, 2.0, 3.0]], dtype=dtype)
    y = kernels._log_softmax_forward(x)
    np.testing.assert_allclose(y[0], [0, -1000, -2000, -999], rtol=1e-6)
    np.testing.assert_allclose(y[3], [-math.log(2), -np.inf, -math.log(2), -np.inf], rtol=1e-6)
    assert np.isnan(y[1:3]).all() and np.isnan(y[4]).all()
    grad_x = kernels._log_softmax_backward(y, np.ones_like(x))
    np.testing.assert_allclose(grad_x[3], [-1, 1, -1, 1], rtol=1e-6)
    assert np.isnan(grad_x[1:3]).all() and np.isnan(grad_x[4]).all()


def _without_log_softmax():
    """A module with the softmax family's contract only (the reference's two functions),
    as a student's plugged-in module would be."""
    from lucid._ext import softmax as reference
    module = types.ModuleType("students_softmax")
    module.softmax_forward = reference.softmax_forward
    module.softmax_backward = reference.softmax_backward
    return module


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_log_softmax_op_gives_the_same_on_every_path(monkeypatch, axis):
    """F.log_softmax on the compiled row kernels, on the reference twin's, and on its
    own NumPy formula (a plugged module without the private kernels): the same values
    and gradients; the kernels ran where they exist."""
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((4, 6, 5)) * 3).astype(np.float32)
    seed = rng.standard_normal(x.shape).astype(np.float32)
    paths = ["reference", _without_log_softmax()]
    if _ext.compiled_available("softmax"):
        paths.append("compiled")
    results, called = [], []
    for path in paths:
        with lucid.kernels.use(path, "softmax"):
            kernels = _ext.get("softmax")
            for name in ("_log_softmax_forward", "_log_softmax_backward"):
                kernel = getattr(kernels, name, None)
                if kernel is not None:
                    monkeypatch.setattr(kernels, name, lambda *a, kernel=kernel, name=name:
                                        called.append(name) or kernel(*a))
            lx = lucid.Tensor(x, requires_grad=True)
            out = F.log_softmax(lx, axis=axis)
            out.backward(seed)
            results.append((out.data, lx.grad))
    # both kernels on each twin; the plugged module's path called none
    assert called == ["_log_softmax_forward", "_log_softmax_backward"] * (len(paths) - 1)
    for other in results[1:]:
        for got, want in zip(other, results[0]):
            assert_close(got, want)


@pytest.mark.torch
@pytest.mark.parametrize("which", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [(0, 1), (1, 2), (-1, 0), (2,)])
def test_softmax_ops_over_several_axes_match_torch(twin, which, axis):
    """A tuple of axes is one row of all their values (the rows move those axes last and
    flatten them)."""
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((3, 4, 5)) * 3).astype(np.float32)
    seed = rng.standard_normal(x.shape).astype(np.float32)
    lx, tx = lucid.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(F, which)(lx, axis=axis)
    shifted = tx - tx.amax(dim=axis, keepdim=True)
    log_total = torch.log(torch.exp(shifted).sum(dim=axis, keepdim=True))
    expected = shifted - log_total if which == "log_softmax" else torch.exp(shifted - log_total)
    assert_close(out, expected.detach().numpy())
    out.backward(seed)
    expected.backward(torch.tensor(seed))
    assert_close(lx.grad, tx.grad.numpy())


# ------------------------------------------------------------------ bad input
def _escaped(words):
    return words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")


X = np.ones((3, 4), np.float32)


# The softmax kernels and the private log-softmax ones take the same arrays.
@pytest.mark.parametrize("kernel", ["softmax_forward", "_log_softmax_forward"])
@pytest.mark.parametrize("x, error, words", [
    (X.tolist(), TypeError, "x must be a NumPy array"),
    (X.astype(np.int32), TypeError, "x must be float32 or float64"),
    (np.ones((), np.float32), ValueError, "x must have at least 1 axis"),
    (X[:, ::2], ValueError, "x must be C-contiguous"),
])
def test_forward_kernels_reject_bad_input(twin, kernel, x, error, words):
    with pytest.raises(error, match=kernel + ": " + _escaped(words)):
        getattr(_ext.get("softmax"), kernel)(x)


@pytest.mark.parametrize("kernel", ["softmax_backward", "_log_softmax_backward"])
@pytest.mark.parametrize("y, grad, error, words", [
    (X, X[:2], ValueError, "grad must have shape (3, 4)"),
    (X, X.astype(np.float64), TypeError, "grad must have the dtype of y (float32)"),
    (X, None, TypeError, "grad must be a NumPy array"),
    (X.T, X.T, ValueError, "y must be C-contiguous"),
    (X[0, 0], X[0, 0], TypeError, "y must be a NumPy array"),
])
def test_backward_kernels_reject_bad_input(twin, kernel, y, grad, error, words):
    with pytest.raises(error, match=kernel + ": " + _escaped(words)):
        getattr(_ext.get("softmax"), kernel)(y, grad)
