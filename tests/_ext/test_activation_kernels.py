"""The activation kernel family (ReLU), both twins: values, mask, NaN and infinities."""
import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid import _ext
from lucid.testing import check_kernels

from tests.helpers import NotPlain, unaligned

KERNEL_FAMILIES = ("activation",)


def _oracle_forward(x):
    """A loop written here: y = x where x > 0 or NaN, else 0."""
    flat = x.reshape(-1)
    y = np.zeros_like(flat)
    passes = np.zeros(flat.shape, dtype=bool)
    for i, v in enumerate(flat):
        if v > 0 or np.isnan(v):
            y[i], passes[i] = v, True
    return y.reshape(x.shape), passes.reshape(x.shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
# (70_000,): five blocks of the compiled loops, the last one partial.
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 5, 4), (70_000,)])
def test_relu_forward_and_backward_match_a_loop(twin, dtype, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    if x.size > 3:
        x.reshape(-1)[:4] = [np.nan, 0.0, -0.0, np.inf]
        x.reshape(-1)[-4:] = [np.inf, -0.0, 0.0, np.nan]
    kernels = _ext.get("activation")
    y, passes = kernels.relu_forward(x)
    y_expected, passes_expected = _oracle_forward(x)
    assert y.dtype == dtype and y.shape == x.shape and passes.dtype == np.bool_
    np.testing.assert_array_equal(y, y_expected)
    np.testing.assert_array_equal(passes, passes_expected)

    grad = rng.standard_normal(shape).astype(dtype)
    if grad.size > 3:
        grad.reshape(-1)[:4] = [np.inf, np.nan, np.inf, 1.0]   # blocked infinities give 0
        grad.reshape(-1)[-4:] = [1.0, np.inf, np.nan, np.inf]
    grad_x = kernels.relu_backward(grad, passes)
    expected = np.where(passes_expected, grad, dtype(0))
    assert grad_x.dtype == dtype
    np.testing.assert_array_equal(grad_x, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_relu_on_every_thread_matches_a_loop(monkeypatch, dtype):
    """The compiled loops share blocks among the threads only from about a million
    values (``_relu_threads``); forced onto every thread, 300,001 values (a partial last
    block, NaN, signed zeros and infinities at both ends) give the loop's results."""
    if not _ext.compiled_available("activation"):
        pytest.skip(f"the compiled activation twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _activation, _openmp
    rng = np.random.default_rng(4)
    x = rng.standard_normal(300_001).astype(dtype)
    x[:4], x[-4:] = [np.nan, 0.0, -0.0, np.inf], [np.inf, -0.0, 0.0, np.nan]
    grad = rng.standard_normal(x.shape).astype(dtype)
    grad[-4:] = [1.0, np.inf, np.nan, np.inf]
    y_expected, passes_expected = _oracle_forward(x)
    for threads in {1, _openmp.max_threads()}:
        monkeypatch.setattr(_activation, "_relu_threads", lambda n, t=threads: t)
        y, passes = _activation.relu_forward(x)
        np.testing.assert_array_equal(y, y_expected)
        np.testing.assert_array_equal(passes, passes_expected)
        np.testing.assert_array_equal(_activation.relu_backward(grad, passes),
                                      np.where(passes_expected, grad, dtype(0)))


def test_twins_agree_on_a_large_array():
    if not _ext.compiled_available("activation"):
        pytest.skip(f"the compiled activation twin is not built; {_ext.BUILD_HINT}")
    x = np.random.default_rng(1).standard_normal((64, 32, 28, 28)).astype(np.float32)
    y, passes = check_kernels("activation", "relu_forward", x)
    g = np.random.default_rng(2).standard_normal(x.shape).astype(np.float32)
    check_kernels("activation", "relu_backward", g, passes)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (0,), (5, 7)])
def test_erf_matches_math_erf(twin, dtype, shape):
    import math

    x = (np.random.default_rng(3).standard_normal(shape) * 2).astype(dtype)
    if x.size >= 3:
        x.reshape(-1)[:3] = [0.0, np.inf, -np.inf]
    got = _ext.get("activation").erf(x)
    expected = np.array([math.erf(v) for v in x.reshape(-1).astype(np.float64)]).reshape(shape)
    assert got.dtype == dtype and got.shape == x.shape
    rtol = 1e-6 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)
    assert np.isnan(_ext.get("activation").erf(np.array([np.nan], dtype=dtype))[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 5, 4), (70_000,)])
def test_relu_without_its_mask_gives_the_same_bits(dtype, shape):
    """The compiled twin's private ``_relu`` (what ``ReLU`` runs with gradients off):
    ``relu_forward``'s values, bit for bit (NaN, signed zeros and infinities too), on
    one thread and on two."""
    if not _ext.compiled_available("activation"):
        pytest.skip(f"the compiled activation twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _activation
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape).astype(dtype)
    if x.size > 3:
        x.reshape(-1)[:4] = [np.nan, 0.0, -0.0, np.inf]
        x.reshape(-1)[-4:] = [-np.inf, -0.0, 0.0, np.nan]
    expected = _activation.relu_forward(x)[0]
    y = _activation._relu(x)                                  # small: one thread
    assert y.dtype == dtype and y.shape == x.shape
    assert y.tobytes() == expected.tobytes()
    y = np.empty_like(x)
    _activation._relu_values(x.reshape(-1), y.reshape(-1), 2)    # the parallel loop
    assert y.tobytes() == expected.tobytes()
    with pytest.raises(TypeError, match="relu_forward: x must be a NumPy array"):
        _activation._relu([1.0])


def test_relu_layer_with_gradients_off_or_on(twin):
    """``nn.ReLU`` under ``no_grad`` (the compiled twin: no mask) and with gradients (the
    mask kept for backward): the same values; the backward still works after both."""
    x = lucid.tensor(np.array([[-1.0, 0.0, -0.0, 2.0, np.nan]], np.float32),
                     requires_grad=True)
    with lucid.no_grad():
        off = nn.ReLU()(x)
    on = nn.ReLU()(x)
    assert off.data.tobytes() == on.data.tobytes() and off.grad_fn is None
    on.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 0.0, 1.0, 1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 5, 4), (70_000,)])
def test_the_front_door_and_the_long_way_give_the_same_bits(dtype, shape):
    """The compiled kernels take a plain array (an ndarray exactly, aligned,
    C-contiguous) straight to the loop (``_arrays.pxd``); a subclass or an unaligned
    array goes the long way (the checks, the memoryview loops). The same loop: the
    same bits, and the same mask."""
    if not _ext.compiled_available("activation"):
        pytest.skip(f"the compiled activation twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _activation
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape).astype(dtype)
    grad = rng.standard_normal(shape).astype(dtype)
    if x.size > 3:
        x.reshape(-1)[:4] = [np.nan, 0.0, -0.0, np.inf]
        grad.reshape(-1)[:4] = [np.inf, np.nan, -0.0, 1.0]
    y, passes = _activation.relu_forward(x)
    y_expected, passes_expected = _oracle_forward(x)
    assert y.tobytes() == y_expected.tobytes()
    np.testing.assert_array_equal(passes, passes_expected)
    for other in (x.view(NotPlain), unaligned(x)):
        y_long, passes_long = _activation.relu_forward(other)
        assert y_long.tobytes() == y.tobytes()
        np.testing.assert_array_equal(passes_long, passes)
        assert _activation._relu(other).tobytes() == y.tobytes()
    assert _activation._relu(x).tobytes() == y.tobytes()
    grad_x = _activation.relu_backward(grad, passes)
    assert grad_x.tobytes() == np.where(passes_expected, grad, dtype(0)).tobytes()
    for g, m in ((grad.view(NotPlain), passes), (unaligned(grad), passes),
                 (grad, passes.view(NotPlain))):
        assert _activation.relu_backward(g, m).tobytes() == grad_x.tobytes()


@pytest.mark.parametrize("call, error, message", [
    (lambda k: k.relu_forward(np.ones((3, 4), np.float32).T), ValueError,
     "relu_forward: x must be C-contiguous"),
    (lambda k: getattr(k, "_relu", k.relu_forward)(np.ones(3, np.int64)), TypeError,
     "relu_forward: x must be float32 or float64, got dtype int64"),
    (lambda k: k.relu_backward(np.ones(3, np.float32), np.ones(4, bool)), ValueError,
     "relu_backward: passes must have shape"),
    (lambda k: k.relu_backward(np.ones(3, np.float32), np.ones(3, np.uint8)), TypeError,
     "relu_backward: passes must have dtype bool"),
    (lambda k: k.relu_backward(np.ones(3, np.float32), np.ones(6, bool)[::2]), ValueError,
     "relu_backward: passes must be C-contiguous"),
    (lambda k: k.relu_backward(np.ones(3, np.float16), np.ones(3, bool)), TypeError,
     "relu_backward: grad must be float32 or float64"),
    # byte-swapped floats: float32's type number, but not np.float32
    (lambda k: k.relu_forward(np.arange(-2, 4, dtype=">f4")), TypeError,
     "relu_forward: x must be float32 or float64, got dtype >f4"),
    (lambda k: getattr(k, "_relu", k.relu_forward)(np.ones(3, ">f8")), TypeError,
     "relu_forward: x must be float32 or float64, got dtype >f8"),
    (lambda k: k.relu_backward(np.ones(3, ">f4"), np.ones(3, bool)), TypeError,
     "relu_backward: grad must be float32 or float64, got dtype >f4"),
])
def test_what_the_front_door_leaves_still_gets_its_error(twin, call, error, message):
    """Arguments the compiled front door does not take reach the checks: the named
    errors of both twins."""
    with pytest.raises(error, match=message):
        call(_ext.get("activation"))
