"""Losses against torch.nn.functional: values and gradients (input, and target where
PyTorch gives one) in float32 and float64 for every reduction, class weights,
ignore_index, label smoothing, probability targets, spatial (N, C, d1, d2) and unbatched
inputs; gradcheck in float64; every bad input."""
import numpy as np
import pytest

import lucid
import importlib

# the module itself (lucid.nn.functional.loss may be shadowed by a function of that name)
F = importlib.import_module("lucid.nn.functional.loss")
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

needs_torch = pytest.mark.torch
REDUCTIONS = ["mean", "sum", "none"]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _tf():
    return torch.nn.functional


# ------------------------------------------------------------------ element-wise
@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_huber_match_torch(reduction, float_dtype):
    x = _rng().standard_normal((3, 4)).astype(float_dtype) * 2
    t = _rng(1).standard_normal((3, 4)).astype(float_dtype)
    torch_parity(lambda a, b: F.mse_loss(a, b, reduction),
                 lambda a, b: _tf().mse_loss(a, b, reduction=reduction), [x, t])
    torch_parity(lambda a, b: F.huber_loss(a, b, reduction, delta=0.7),
                 lambda a, b: _tf().huber_loss(a, b, reduction=reduction, delta=0.7), [x, t])


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_weight", [False, True])
def test_bce_matches_torch(reduction, with_weight, float_dtype):
    x = _rng().uniform(0.01, 0.99, (3, 4)).astype(float_dtype)
    x[0, :2] = [1e-30, 1 - 1e-7]                     # near the clamps
    t = _rng(1).uniform(0, 1, (3, 4)).astype(float_dtype)
    w = _rng(2).uniform(0.5, 2, (4,)).astype(float_dtype)
    lw = lucid.Tensor(w) if with_weight else None
    tw = torch.tensor(w) if with_weight else None
    torch_parity(lambda a, b: F.binary_cross_entropy(a, b, lw, reduction),
                 lambda a, b: _tf().binary_cross_entropy(a, b, tw, reduction=reduction),
                 [x, t])


@needs_torch
def test_bce_clamps_log_at_minus_100():
    x = np.array([0.0, 1.0, 0.0, 1.0])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    torch_parity(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
                 lambda a, b: _tf().binary_cross_entropy(a, b, reduction="none"), [x, t],
                 grad=False)


# ---------------------------------------------------------------- classification
def _class_case(shape, dtype, seed=0, ignore=True):
    """Scores of ``shape`` (N, C, ...) and index targets, some equal to ignore_index."""
    x = (_rng(seed).standard_normal(shape) * 3).astype(dtype)
    c = shape[1] if len(shape) > 1 else shape[0]
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    t = _rng(seed + 1).integers(0, c, tshape)
    if ignore and t.ndim:
        t.flat[0] = -100
        t.flat[-1] = 1
    return x, t


@needs_torch
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 2, 3), (4,)], ids=["NC", "NCHW", "C"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("with_weight", [False, True])
def test_cross_entropy_index_targets_match_torch(shape, reduction, smoothing, with_weight,
                                                 float_dtype):
    x, t = _class_case(shape, float_dtype)
    c = shape[1] if len(shape) > 1 else shape[0]
    w = _rng(5).uniform(0.5, 2, c).astype(float_dtype)
    lw, tw = (lucid.Tensor(w), torch.tensor(w)) if with_weight else (None, None)
    lt, tt = lucid.Tensor(t), torch.tensor(t)
    torch_parity(
        lambda a: F.cross_entropy(a, lt, lw, reduction, label_smoothing=smoothing),
        lambda a: _tf().cross_entropy(a, tt, tw, reduction=reduction,
                                      label_smoothing=smoothing), [x])


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("with_weight", [False, True])
def test_cross_entropy_probability_targets_match_torch(reduction, smoothing, with_weight,
                                                       float_dtype):
    x = _rng().standard_normal((3, 4, 2)).astype(float_dtype)
    t = _rng(1).uniform(0, 1, (3, 4, 2))
    t = (t / t.sum(axis=1, keepdims=True)).astype(float_dtype)
    w = _rng(2).uniform(0.5, 2, 4).astype(float_dtype)
    lw, tw = (lucid.Tensor(w), torch.tensor(w)) if with_weight else (None, None)
    torch_parity(
        lambda a, b: F.cross_entropy(a, b, lw, reduction, label_smoothing=smoothing),
        lambda a, b: _tf().cross_entropy(a, b, tw, reduction=reduction,
                                         label_smoothing=smoothing), [x, t])


@needs_torch
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 2, 3), (4,)], ids=["NC", "NCHW", "C"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_weight", [False, True])
def test_nll_loss_matches_torch(shape, reduction, with_weight, float_dtype):
    x, t = _class_case(shape, float_dtype, seed=3)
    c = shape[1] if len(shape) > 1 else shape[0]
    w = _rng(5).uniform(0.5, 2, c).astype(float_dtype)
    lw, tw = (lucid.Tensor(w), torch.tensor(w)) if with_weight else (None, None)
    lt, tt = lucid.Tensor(t), torch.tensor(t)
    torch_parity(lambda a: F.nll_loss(a, lt, lw, reduction),
                 lambda a: _tf().nll_loss(a, tt, tw, reduction=reduction), [x])


@needs_torch
def test_cross_entropy_all_ignored_mean_is_nan_as_torch():
    x = np.ones((2, 3))
    t = np.array([-100, -100])
    lo = F.cross_entropy(lucid.Tensor(x), lucid.Tensor(t))
    to = _tf().cross_entropy(torch.tensor(x), torch.tensor(t))
    assert np.isnan(lo.item()) and np.isnan(to.item())


def test_cross_entropy_is_stable_and_equals_nll_of_log_softmax():
    from lucid.nn.functional.activation import log_softmax
    x = lucid.Tensor(np.array([[1000.0, 0.0, -1000.0], [0.0, 1.0, 2.0]]))
    t = lucid.Tensor(np.array([2, 0]))
    ce = F.cross_entropy(x, t, reduction="none")
    assert np.isfinite(ce.data).all()
    assert_close(ce, F.nll_loss(log_softmax(x, axis=1), t, reduction="none"))
    assert_close(ce.data[0], 2000.0)


def test_gradcheck():
    x = lucid.Tensor(_rng().standard_normal((3, 4, 2)), requires_grad=True)
    t = lucid.Tensor(_rng(1).integers(0, 4, (3, 2)))
    w = lucid.Tensor(_rng(2).uniform(0.5, 2, 4))
    assert gradcheck(lambda a: F.cross_entropy(a, t, w, label_smoothing=0.1), [x])
    assert gradcheck(lambda a: F.nll_loss(a, t, w, reduction="sum"), [x])
    p = lucid.Tensor(_rng(3).uniform(0, 1, (3, 4, 2)), requires_grad=True)
    assert gradcheck(lambda a, b: F.cross_entropy(a, b, w, reduction="none"), [x, p])
    a = lucid.Tensor(_rng(4).uniform(0.1, 0.9, (3, 2)), requires_grad=True)
    b = lucid.Tensor(_rng(5).uniform(0, 1, (3, 2)), requires_grad=True)
    assert gradcheck(lambda u, v: F.binary_cross_entropy(u, v), [a, b])
    assert gradcheck(lambda u, v: F.mse_loss(u, v, "sum"), [a, b])
    assert gradcheck(lambda u, v: F.huber_loss(u, v, delta=0.3), [a, b])


# --------------------------------------------------------------------- bad inputs
X = lucid.Tensor(np.zeros((2, 3)))


@pytest.mark.parametrize("fn", [F.mse_loss, F.huber_loss, F.binary_cross_entropy, F.l1_loss,
                                F.smooth_l1_loss, F.binary_cross_entropy_with_logits])
def test_elementwise_bad_inputs(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"{name}: target must have the shape of input_ "
                                         r"\(2, 3\); got \(3,\)"):
        fn(X, lucid.Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=rf"{name}: reduction must be 'none', 'mean' or "
                                         r"'sum'; got 'avg'"):
        fn(X, X, reduction="avg")
    with pytest.raises(TypeError, match=rf"{name}: target must have a floating dtype"):
        fn(X, lucid.Tensor(np.zeros((2, 3), np.int64)))
    with pytest.raises(TypeError, match=rf"{name}: target must have the dtype of input_"):
        fn(X, lucid.Tensor(np.zeros((2, 3), np.float32)))


def test_bce_and_huber_specific_bad_inputs():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: every element of input_ "
                                         r"must lie in \[0, 1\].*got values from -0.5 to 2.0"):
        F.binary_cross_entropy(lucid.Tensor([-0.5, 2.0]), lucid.Tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: weight must broadcast"):
        F.binary_cross_entropy(X, X, weight=lucid.Tensor(np.ones(4)))
    with pytest.raises(ValueError, match=r"huber_loss: delta must be a number > 0.0; got 0"):
        F.huber_loss(X, X, delta=0)


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_classification_bad_inputs(fn):
    name = fn.__name__
    idx = lucid.Tensor(np.array([0, 2]))
    with pytest.raises(ValueError, match=rf"{name}: class indices in target must lie in "
                                         r"\[0, 3\) \(or equal ignore_index=-100\); got 3"):
        fn(X, lucid.Tensor(np.array([0, 3])))
    with pytest.raises(ValueError, match=rf"{name}: class indices in target must lie in.*got -1"):
        fn(X, lucid.Tensor(np.array([-1, 0])))
    with pytest.raises(ValueError, match=rf"{name}: target of class indices must have shape "
                                         r"\(2,\) for input_ of shape \(2, 3\); got \(3,\)"):
        fn(X, lucid.Tensor(np.array([0, 1, 2])))
    with pytest.raises(ValueError, match=rf"{name}: reduction must be"):
        fn(X, idx, reduction="max")
    with pytest.raises(ValueError, match=rf"{name}: weight must have shape \(3,\); got \(2,\)"):
        fn(X, idx, weight=lucid.Tensor(np.ones(2)))
    with pytest.raises(TypeError, match=rf"{name}: input_ must have a floating dtype"):
        fn(lucid.Tensor(np.zeros((2, 3), np.int64)), idx)
    with pytest.raises(ValueError, match=rf"{name}: input_ must be \(C,\)"):
        fn(lucid.Tensor(np.float64(1.0)), idx)


def test_float_class_indices_are_refused():
    with pytest.raises(TypeError, match=r"nll_loss: target must hold class indices of an "
                                        r"integer dtype .*got dtype float64"):
        F.nll_loss(X, lucid.Tensor(np.array([0.0, 2.0])))
    with pytest.raises(ValueError, match=r"cross_entropy: a float target is read as class "
                                         r"probabilities and must have input_'s shape "
                                         r"\(2, 3\); got \(2,\)"):
        F.cross_entropy(X, lucid.Tensor(np.array([0.0, 2.0])))
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must lie in \[0.0, "
                                         r"1.0\]; got 1.5"):
        F.cross_entropy(X, lucid.Tensor(np.array([0, 2])), label_smoothing=1.5)
    with pytest.raises(TypeError, match=r"cross_entropy: target must be a Tensor"):
        F.cross_entropy(X, [0, 2])


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "mse_loss",
                                  "binary_cross_entropy", "huber_loss", "l1_loss",
                                  "smooth_l1_loss", "binary_cross_entropy_with_logits",
                                  "kl_div"])
def test_a_numpy_target_is_a_clear_type_error(name):
    """An ndarray target used to fail deep inside ('<' between memoryview and int)."""
    x = lucid.Tensor(np.full((4, 3), 0.5, np.float32))
    target = np.zeros(4, np.int64) if name in ("cross_entropy", "nll_loss") \
        else np.zeros((4, 3), np.float32)
    with pytest.raises(TypeError, match=rf"{name}: target must be a Tensor; got ndarray"):
        getattr(F, name)(x, target)


# ------------------------------------------------- l1, smooth l1, logits BCE, KL divergence
@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.3, 0.0])
def test_l1_and_smooth_l1_match_torch(reduction, beta, float_dtype):
    x = _rng().standard_normal((3, 4)).astype(float_dtype) * 2
    t = _rng(1).standard_normal((3, 4)).astype(float_dtype)
    t[0, 0] = x[0, 0]                                  # d = 0: sign 0 (PyTorch's choice)
    t[0, 1] = x[0, 1] - float_dtype(beta)              # d = beta: on the kink
    torch_parity(lambda a, b: F.l1_loss(a, b, reduction),
                 lambda a, b: _tf().l1_loss(a, b, reduction=reduction), [x, t])
    torch_parity(lambda a, b: F.smooth_l1_loss(a, b, reduction, beta=beta),
                 lambda a, b: _tf().smooth_l1_loss(a, b, reduction=reduction, beta=beta),
                 [x, t])


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", ["none", "weight", "pos_weight", "both"])
def test_bce_with_logits_matches_torch(reduction, weights, float_dtype):
    x = (_rng().standard_normal((5, 3)) * 4).astype(float_dtype)
    x[0] = [60.0, -60.0, 0.0]                           # saturated logits stay finite
    t = _rng(1).uniform(0, 1, (5, 3)).astype(float_dtype)
    t[1] = [0.0, 1.0, 1.0]
    w = _rng(2).uniform(0.5, 2, (5, 1)).astype(float_dtype)
    pw = _rng(3).uniform(0.5, 4, (3,)).astype(float_dtype)
    kw_l, kw_t = {}, {}
    if weights in ("weight", "both"):
        kw_l["weight"], kw_t["weight"] = lucid.Tensor(w), torch.tensor(w)
    if weights in ("pos_weight", "both"):
        kw_l["pos_weight"], kw_t["pos_weight"] = lucid.Tensor(pw), torch.tensor(pw)
    torch_parity(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction, **kw_l),
        lambda a, b: _tf().binary_cross_entropy_with_logits(a, b, reduction=reduction, **kw_t),
        [x, t])


def test_bce_with_logits_equals_bce_of_sigmoid():
    """A loop oracle: -w (p t log s + (1 - t) log(1 - s)), s = 1 / (1 + e^-x)."""
    x = _rng().standard_normal((4, 3)) * 2
    t = _rng(1).uniform(0, 1, (4, 3))
    p = np.array([0.5, 2.0, 3.0])
    got = F.binary_cross_entropy_with_logits(lucid.Tensor(x), lucid.Tensor(t), reduction="none",
                                             pos_weight=lucid.Tensor(p)).data
    want = np.empty_like(x)
    for i in range(4):
        for j in range(3):
            s = 1 / (1 + np.exp(-x[i, j]))
            want[i, j] = -(p[j] * t[i, j] * np.log(s) + (1 - t[i, j]) * np.log(1 - s))
    assert_close(got, want)


@needs_torch
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")   # torch's
@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target, float_dtype):
    x = np.log(_rng().dirichlet(np.ones(4), 3)).astype(float_dtype)
    p = _rng(1).dirichlet(np.ones(4), 3).astype(float_dtype)
    t = np.log(p) if log_target else p
    torch_parity(lambda a, b: F.kl_div(a, b, reduction, log_target),
                 lambda a, b: _tf().kl_div(a, b, reduction=reduction, log_target=log_target),
                 [x, t])


@needs_torch
def test_kl_div_zero_target_as_torch():
    """0 log 0 = 0 in the value; the input's gradient is -t = 0 there; the target's
    gradient there is NaN in both (d/dt t log t is unbounded at 0)."""
    x = np.log(np.array([[0.2, 0.3, 0.5]]))
    t = np.array([[0.0, 0.4, 0.6]])
    lx, lt = lucid.Tensor(x, requires_grad=True), lucid.Tensor(t, requires_grad=True)
    tx, tt = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
    lo, to = F.kl_div(lx, lt, "sum"), _tf().kl_div(tx, tt, reduction="sum")
    assert_close(lo, to.detach().numpy())
    lo.backward()
    to.backward()
    assert_close(lx.grad, tx.grad.numpy())
    assert np.isnan(lt.grad[0, 0]) and np.isnan(tt.grad[0, 0].item())
    assert_close(lt.grad[0, 1:], tt.grad[0, 1:].numpy())


def test_kl_div_loop_oracle():
    """KL(p || q) per sample, written as a loop, equals reduction='batchmean' times N."""
    q = _rng().dirichlet(np.ones(5), 4)
    p = _rng(1).dirichlet(np.ones(5), 4)
    total = sum(p[n, j] * np.log(p[n, j] / q[n, j]) for n in range(4) for j in range(5))
    got = F.kl_div(lucid.Tensor(np.log(q)), lucid.Tensor(p), reduction="batchmean").item()
    assert abs(got * 4 - total) < 1e-12


def test_new_losses_gradcheck():
    a = lucid.Tensor(_rng().standard_normal((3, 4)) * 2, requires_grad=True)
    b = lucid.Tensor(_rng(1).uniform(0.05, 0.95, (3, 4)), requires_grad=True)
    w = lucid.Tensor(_rng(2).uniform(0.5, 2, (4,)))
    assert gradcheck(lambda u, v: F.l1_loss(u, v), [a, b])
    assert gradcheck(lambda u, v: F.smooth_l1_loss(u, v, beta=0.5), [a, b])
    assert gradcheck(lambda u, v: F.binary_cross_entropy_with_logits(u, v), [a, b])
    assert gradcheck(lambda u, v: F.binary_cross_entropy_with_logits(
        u, v, weight=w, pos_weight=w, reduction="sum"), [a, b])
    logq = lucid.Tensor(np.log(_rng(3).dirichlet(np.ones(4), 3)), requires_grad=True)
    p = lucid.Tensor(_rng(4).dirichlet(np.ones(4), 3), requires_grad=True)
    assert gradcheck(lambda u, v: F.kl_div(u, v, "batchmean"), [logq, p])
    assert gradcheck(lambda u, v: F.kl_div(u, v, "sum", log_target=True), [logq, logq * 1.0])


def test_new_losses_specific_bad_inputs():
    with pytest.raises(ValueError, match=r"smooth_l1_loss: beta must be a number >= 0.0; got -1"):
        F.smooth_l1_loss(X, X, beta=-1)
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: pos_weight must "
                                         r"broadcast to input_'s shape \(2, 3\); got \(2,\)"):
        F.binary_cross_entropy_with_logits(X, X, pos_weight=lucid.Tensor(np.ones(2)))
    with pytest.raises(TypeError, match=r"binary_cross_entropy_with_logits: weight must be a "
                                        r"Tensor; got list"):
        F.binary_cross_entropy_with_logits(X, X, weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"kl_div: reduction must be 'mean', 'batchmean', "
                                         r"'sum' or 'none'; got 'avg'"):
        F.kl_div(X, X, reduction="avg")
    with pytest.raises(TypeError, match=r"kl_div: log_target must be a bool; got 1"):
        F.kl_div(X, X, log_target=1)
    with pytest.raises(ValueError, match=r"kl_div: target must have the shape of input_"):
        F.kl_div(X, lucid.Tensor(np.zeros(3)))
