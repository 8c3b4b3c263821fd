"""The loss kernel family (cross-entropy from class indices), both twins: a loop oracle,
PyTorch parity through ``F.cross_entropy``, gradcheck, and every check of ``_checks.py``."""
import math

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import _ext
from lucid.testing import assert_close, check_kernels, gradcheck

from tests.conftest import torch
from tests.helpers import assert_same_bits_on_any_thread_count, unaligned

KERNEL_FAMILIES = ("loss",)


def _oracle(z, t, w, ignore_index, coef):
    """Loops written here, in float64: each row's loss, the softmax, the gradient."""
    N, C = z.shape
    loss, p, grad = np.zeros(N), np.zeros((N, C)), np.zeros((N, C))
    for n in range(N):
        row = [float(v) for v in z[n]]
        m = max(row)
        total = sum(math.exp(v - m) for v in row)
        lse = m + math.log(total)
        ignored = t[n] == ignore_index
        w_t = 0.0 if ignored else (1.0 if w is None else float(w[t[n]]))
        loss[n] = w_t * (lse - row[t[n]]) if not ignored else 0.0
        for c in range(C):
            p[n, c] = math.exp(row[c] - lse)
            grad[n, c] = coef[n] * w_t * (p[n, c] - (c == t[n]))
    return loss, p, grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (4, 3), (7, 10), (3, 300)])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_kernels_match_a_loop(twin, dtype, shape, weighted):
    rng = np.random.default_rng(0)
    z = (rng.standard_normal(shape) * 4).astype(dtype)
    t = rng.integers(0, shape[1], size=shape[0]).astype(np.int64)
    if shape[0] > 2:
        t[1] = -100                                   # an ignored row
    w = rng.random(shape[1]).astype(dtype) if weighted else None
    coef = rng.standard_normal(shape[0]).astype(dtype)
    kernels = _ext.get("loss")
    loss, p = kernels.cross_entropy_forward(z, t, w, -100)
    grad = kernels.cross_entropy_backward(p, t, w, -100, coef)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for got, want in zip((loss, p, grad), _oracle(z, t, w, -100, coef)):
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, **tol)


def test_large_scores_do_not_overflow(twin):
    z = np.array([[1000.0, 0.0, -1000.0], [-90.0, -90.0, -90.0]], dtype=np.float32)
    t = np.array([0, 2], dtype=np.int64)
    loss, p = _ext.get("loss").cross_entropy_forward(z, t, None, -100)
    # lse - z of scores near -90: float32's spacing there is 7.6e-6
    np.testing.assert_allclose(loss, [0.0, math.log(3)], rtol=1e-6, atol=2e-5)
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6, atol=1e-7)


def test_a_small_loss_keeps_its_digits(twin):
    """A confident, right row: the loss is log(1 + 2 e^-12), which lse - z_t (two close
    float32 numbers) or a float32 sum 1 + tiny would round to nothing."""
    z = np.array([[12.0, 0.0, 0.0]], dtype=np.float32)
    loss, p = _ext.get("loss").cross_entropy_forward(z, np.array([0]), None, -100)
    np.testing.assert_allclose(loss, [math.log1p(2 * math.exp(-12))], rtol=1e-5)


def test_twins_agree_on_a_language_model_batch():
    if not _ext.compiled_available("loss"):
        pytest.skip(f"the compiled loss twin is not built; {_ext.BUILD_HINT}")
    rng = np.random.default_rng(1)
    z = rng.standard_normal((700, 2000)).astype(np.float32)
    t = rng.integers(0, 2000, size=700).astype(np.int64)
    loss, p = check_kernels("loss", "cross_entropy_forward", z, t, None, -100)
    coef = np.full(700, 1 / 700, np.float32)
    check_kernels("loss", "cross_entropy_backward", p, t, None, -100, coef)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_results_do_not_depend_on_the_thread_count(monkeypatch, dtype):
    """The compiled twin hands whole rows to its threads, so one thread and every thread
    give the same bits."""
    rng = np.random.default_rng(5)
    z = (rng.standard_normal((301, 1037)) * 3).astype(dtype)
    t = rng.integers(0, 1037, size=301).astype(np.int64)
    t[::7] = -100
    coef = rng.standard_normal(301).astype(dtype)

    def run(kernels):
        loss, p = kernels.cross_entropy_forward(z, t, None, -100)
        return loss, p, kernels.cross_entropy_backward(p, t, None, -100, coef)

    assert_same_bits_on_any_thread_count(monkeypatch, "loss", "threads_for", run)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 5), (5,), (3, 4, 2, 2)])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_torch(twin, dtype, reduction, shape, weighted):
    """Through the public op: every reduction, ignored targets, class weights, a class
    axis that is not last."""
    rng = np.random.default_rng(2)
    C = shape[0] if len(shape) == 1 else shape[1]
    target_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    z = (rng.standard_normal(shape) * 3).astype(dtype)
    t = rng.integers(0, C, size=target_shape).astype(np.int64)
    if t.size > 1:
        t.reshape(-1)[0] = -100
    w = rng.random(C).astype(dtype) if weighted else None
    lz = lucid.Tensor(z, requires_grad=True)
    tz = torch.tensor(z, requires_grad=True)
    out = F.cross_entropy(lz, lucid.Tensor(t), None if w is None else lucid.Tensor(w),
                          reduction=reduction)
    expected = torch.nn.functional.cross_entropy(
        tz, torch.tensor(t), None if w is None else torch.tensor(w), reduction=reduction)
    assert_close(out, expected.detach().numpy())
    seed = rng.standard_normal(expected.shape).astype(dtype)
    out.backward(seed)
    expected.backward(torch.tensor(seed))
    assert_close(lz.grad, tz.grad.numpy())


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_gradcheck(twin, reduction):
    rng = np.random.default_rng(3)
    z = lucid.Tensor(rng.standard_normal((4, 5)), requires_grad=True)
    t = lucid.Tensor(np.array([1, -100, 4, 0]))
    w = lucid.Tensor(rng.random(5))
    assert gradcheck(lambda x: F.cross_entropy(x, t, w, reduction=reduction), [z])


@pytest.mark.parametrize("target, ignore_index, words", [
    ([-100, 2, 3], -100, None),
    ([-100, -100, -100], -100, None),              # nothing kept: nothing to range-check
    ([4, 3, 4], 4, None),                          # ignore_index past the classes
    ([-1, 0, -1], -1, None),                       # ignore_index below them
    ([-100, 7, 2], -100, "got values in [2, 7]"),  # the kept entries' range only
    ([-100, -5, 2], -100, "got values in [-5, 2]"),
    ([4, 5, 1], 4, "got values in [1, 5]"),
])
def test_cross_entropy_range_check_skips_only_ignored(twin, target, ignore_index, words):
    """The target's range check (``_checks._scores_and_target``) looks at the kept entries
    only, whether its quick test (the whole target's minimum and maximum) passes or not:
    both kernels, forward and backward."""
    z = np.random.default_rng(6).standard_normal((3, 4)).astype(np.float32)
    t = np.array(target, dtype=np.int64)
    kernels = _ext.get("loss")
    if words is None:
        loss, p = kernels.cross_entropy_forward(z, t, None, ignore_index)
        kernels.cross_entropy_backward(p, t, None, ignore_index, np.ones(3, np.float32))
        assert np.all(loss[t == ignore_index] == 0)
        return
    for call in (lambda: kernels.cross_entropy_forward(z, t, None, ignore_index),
                 lambda: kernels.cross_entropy_backward(z, t, None, ignore_index,
                                                        np.ones(3, np.float32))):
        with pytest.raises(IndexError, match=_escaped(words)):
            call()


@pytest.mark.parametrize("target, ignore_index, bad", [
    ([-100, 3], -100, None), ([9, 0], 9, None), ([-100, 5], -100, 5), ([9, -2], 9, -2),
    ([1, 4], -100, 4)])
def test_cross_entropy_function_range_check(twin, target, ignore_index, bad):
    """``F.cross_entropy``'s own range check, quick test and all: ignored entries pass
    whatever their value, the first kept one out of range is named."""
    z = lucid.Tensor(np.zeros((2, 4), np.float32))
    t = lucid.Tensor(np.array(target))
    if bad is None:
        F.cross_entropy(z, t, ignore_index=ignore_index)
        return
    with pytest.raises(IndexError, match=rf"\[0, 4\).*got {bad}$"):
        F.cross_entropy(z, t, ignore_index=ignore_index)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_every_target_ignored(twin, dtype, recwarn):
    """Every target ignored: the mean is 0/0 = NaN and its gradient NaN, without a NumPy
    warning (the division goes under ``np.errstate`` only then); the sum is 0."""
    z = lucid.Tensor(np.ones((2, 3), dtype), requires_grad=True)
    t = lucid.Tensor(np.array([-100, -100]))
    loss = F.cross_entropy(z, t)
    loss.backward()
    assert np.isnan(loss.item()) and np.isnan(z.grad.data).all()
    assert F.cross_entropy(z, t, reduction="sum").item() == 0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_kernels_same_values_whichever_door(twin, dtype):
    """Arguments the compiled twin's front door takes (plain arrays, a Python int
    ``ignore_index``) and equal ones it leaves to the checks (a NumPy ``ignore_index``, a
    read-only or unaligned copy of the scores, a weight and coefficients of a wider
    array's column): the same loss, softmax and gradient bytes."""
    rng = np.random.default_rng(11)
    z = rng.standard_normal((5, 7)).astype(dtype)
    t = np.array([0, 6, -100, 3, 3], np.int64)
    w = rng.uniform(0.5, 2.0, 7).astype(dtype)
    coef = rng.uniform(0.5, 2.0, 5).astype(dtype)
    kernels = _ext.get("loss")
    loss, p = kernels.cross_entropy_forward(z, t, w, -100)
    grad = kernels.cross_entropy_backward(p, t, w, -100, coef)
    frozen = z.copy()
    frozen.flags.writeable = False
    for args in [(z, t, w, np.int64(-100)), (frozen, t, w, -100), (unaligned(z), t, w, -100),
                 (z, t, np.stack([w, w], axis=1)[:, 0].copy(), -100)]:
        other_loss, other_p = kernels.cross_entropy_forward(*args)
        assert other_loss.tobytes() == loss.tobytes() and other_p.tobytes() == p.tobytes()
    for args in [(p, t, w, np.int64(-100), coef), (unaligned(p), t, w, -100, coef)]:
        assert kernels.cross_entropy_backward(*args).tobytes() == grad.tobytes()


# ------------------------------------------------------------------ bad input
def _good():
    z = np.random.default_rng(4).standard_normal((3, 4)).astype(np.float32)
    return dict(z=z, target=np.array([0, 3, -100]), weight=np.ones(4, np.float32),
                ignore_index=-100)


def _escaped(words):
    return words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")


@pytest.mark.parametrize("change, error, words", [
    (lambda a: dict(a, z=a["z"].tolist()), TypeError, "z must be a NumPy array"),
    (lambda a: dict(a, z=a["z"].astype(np.int32)), TypeError, "z must be float32 or float64"),
    (lambda a: dict(a, z=a["z"][0]), ValueError, "z must have 2 dimensions"),
    (lambda a: dict(a, z=a["z"][:, :0]), ValueError, "at least one class"),
    (lambda a: dict(a, z=a["z"][:, ::2]), ValueError, "z must be C-contiguous"),
    (lambda a: dict(a, target=a["target"].astype(np.int32)), TypeError,
     "target must have dtype int64"),
    (lambda a: dict(a, target=a["target"][:2]), ValueError, "one entry per row of z (3)"),
    (lambda a: dict(a, target=np.array([0, 4, 1])), IndexError, "classes in [0, 4)"),
    (lambda a: dict(a, target=np.array([0, -1, 1])), IndexError, "classes in [0, 4)"),
    (lambda a: dict(a, weight=a["weight"][:3]), ValueError, "weight must have shape (4,)"),
    (lambda a: dict(a, weight=a["weight"].astype(np.float64)), TypeError,
     "weight must have the dtype of z"),
    (lambda a: dict(a, ignore_index=1.5), TypeError, "ignore_index must be an int"),
    # what the compiled twin's front door (_plain) must leave to the checks
    (lambda a: dict(a, target=a["target"].astype(">i8")), TypeError,
     "target must have dtype int64"),
    (lambda a: dict(a, target=np.array([0, 9, 3, 9, 1])[::2]), ValueError,
     "target must be C-contiguous"),
    (lambda a: dict(a, ignore_index=True), TypeError, "ignore_index must be an int"),
    (lambda a: dict(a, ignore_index=2 ** 40), ValueError, "ignore_index must be at most"),
    (lambda a: dict(a, ignore_index=-2 ** 40), ValueError, "ignore_index must be at most"),
    (lambda a: dict(a, target=np.array([0, 3, 1]), ignore_index=2 ** 40), ValueError,
     "ignore_index must be at most"),
    (lambda a: dict(a, target=np.array([0, 3, 1]), ignore_index=-2 ** 70), ValueError,
     "ignore_index must be at most"),
    (lambda a: dict(a, target=np.array([0, 3, 2 ** 40])), IndexError, "classes in [0, 4)"),
])
def test_cross_entropy_forward_rejects_bad_input(twin, change, error, words):
    with pytest.raises(error, match="cross_entropy_forward: .*" + _escaped(words)):
        _ext.get("loss").cross_entropy_forward(**change(_good()))


@pytest.mark.parametrize("change, error, words", [
    (lambda a: dict(a, p=a["p"][0]), ValueError, "p must have 2 dimensions"),
    (lambda a: dict(a, target=np.array([0, 9, 1])), IndexError, "classes in [0, 4)"),
    (lambda a: dict(a, coef=a["coef"][:2]), ValueError, "coef must have shape (3,)"),
    (lambda a: dict(a, coef=a["coef"].astype(np.float64)), TypeError,
     "coef must have the dtype of p"),
    (lambda a: dict(a, coef=None), TypeError, "coef must be a NumPy array"),
    (lambda a: dict(a, coef=a["coef"][None]), ValueError, "coef must have 1 dimension"),
    (lambda a: dict(a, ignore_index=2 ** 40), ValueError, "ignore_index must be at most"),
])
def test_cross_entropy_backward_rejects_bad_input(twin, change, error, words):
    good = _good()
    args = dict(p=good["z"], target=good["target"], weight=None, ignore_index=-100,
                coef=np.ones(3, np.float32))
    with pytest.raises(error, match="cross_entropy_backward: .*" + _escaped(words)):
        _ext.get("loss").cross_entropy_backward(**change(args))
