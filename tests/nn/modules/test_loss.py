"""The loss layers against PyTorch: values, gradients, weight buffers, repr, errors."""
import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.nn.modules._parity import module_parity

needs_torch = pytest.mark.torch
REDUCTIONS = ["mean", "sum", "none"]


def _weight(dtype, n, rng):
    return rng.uniform(0.5, 2.0, n).astype(dtype)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_huber(float_dtype, rng, reduction):
    x, t = (rng.standard_normal((4, 3)).astype(float_dtype) * 2 for _ in range(2))
    module_parity(nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction),
                  [x, t], float_dtype, rng)
    module_parity(nn.HuberLoss(reduction=reduction, delta=0.7),
                  torch.nn.HuberLoss(reduction=reduction, delta=0.7), [x, t], float_dtype, rng)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce(float_dtype, rng, reduction, weighted):
    p = rng.uniform(0.05, 0.95, (4, 3)).astype(float_dtype)
    t = rng.uniform(0, 1, (4, 3)).astype(float_dtype)
    w = _weight(float_dtype, 3, rng) if weighted else None
    layer = nn.BCELoss(None if w is None else lucid.Tensor(w), reduction=reduction)
    twin = torch.nn.BCELoss(None if w is None else torch.tensor(w), reduction=reduction)
    module_parity(layer, twin, [p, t], float_dtype, rng)
    assert list(layer.state_dict()) == (["weight"] if weighted else [])


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_and_nll(float_dtype, rng, reduction, weighted, smoothing):
    x = rng.standard_normal((6, 4, 3)).astype(float_dtype)          # (N, C, d1)
    target = rng.integers(0, 4, (6, 3))
    target[0, 0] = -100                                             # ignored
    w = _weight(float_dtype, 4, rng) if weighted else None
    lw = None if w is None else lucid.Tensor(w)
    tw = None if w is None else torch.tensor(w)
    module_parity(nn.CrossEntropyLoss(lw, reduction=reduction, label_smoothing=smoothing),
                  torch.nn.CrossEntropyLoss(tw, reduction=reduction, label_smoothing=smoothing),
                  [x, target], float_dtype, rng)
    module_parity(nn.NLLLoss(lw, ignore_index=2, reduction=reduction),
                  torch.nn.NLLLoss(tw, ignore_index=2, reduction=reduction),
                  [x, target.clip(0)], float_dtype, rng)


@needs_torch
def test_cross_entropy_probability_target(float_dtype, rng):
    x = rng.standard_normal((5, 3)).astype(float_dtype)
    q = rng.dirichlet(np.ones(3), 5).astype(float_dtype)
    module_parity(nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), [x, q], float_dtype, rng)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_and_smooth_l1(float_dtype, rng, reduction):
    x, t = (rng.standard_normal((4, 3)).astype(float_dtype) * 2 for _ in range(2))
    module_parity(nn.L1Loss(reduction=reduction), torch.nn.L1Loss(reduction=reduction),
                  [x, t], float_dtype, rng)
    for beta in (1.0, 0.4, 0.0):
        module_parity(nn.SmoothL1Loss(reduction=reduction, beta=beta),
                      torch.nn.SmoothL1Loss(reduction=reduction, beta=beta), [x, t],
                      float_dtype, rng)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits(float_dtype, rng, reduction, weighted):
    x = (rng.standard_normal((4, 3)) * 3).astype(float_dtype)
    t = rng.uniform(0, 1, (4, 3)).astype(float_dtype)
    w = _weight(float_dtype, 3, rng) if weighted else None
    pw = _weight(float_dtype, 3, rng) * 2 if weighted else None
    layer = nn.BCEWithLogitsLoss(None if w is None else lucid.Tensor(w), reduction=reduction,
                                 pos_weight=None if pw is None else lucid.Tensor(pw))
    twin = torch.nn.BCEWithLogitsLoss(None if w is None else torch.tensor(w),
                                      reduction=reduction,
                                      pos_weight=None if pw is None else torch.tensor(pw))
    module_parity(layer, twin, [x, t], float_dtype, rng)
    assert list(layer.state_dict()) == (["weight", "pos_weight"] if weighted else [])


@needs_torch
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")   # torch's
@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(float_dtype, rng, reduction, log_target):
    x = np.log(rng.dirichlet(np.ones(4), 5)).astype(float_dtype)
    p = rng.dirichlet(np.ones(4), 5).astype(float_dtype)
    module_parity(nn.KLDivLoss(reduction=reduction, log_target=log_target),
                  torch.nn.KLDivLoss(reduction=reduction, log_target=log_target),
                  [x, np.log(p) if log_target else p], float_dtype, rng)


@needs_torch
def test_repr():
    for layer, twin in ((nn.L1Loss(), torch.nn.L1Loss()),
                        (nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5)),
                        (nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss()),
                        (nn.KLDivLoss(), torch.nn.KLDivLoss()),
                        (nn.MSELoss(), torch.nn.MSELoss()), (nn.BCELoss(), torch.nn.BCELoss()),
                        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
                        (nn.NLLLoss(), torch.nn.NLLLoss()),
                        (nn.HuberLoss(delta=2.0), torch.nn.HuberLoss(delta=2.0))):
        assert repr(layer) == repr(twin)


def test_gradcheck(rng):
    x = lucid.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    t = lucid.Tensor(rng.integers(0, 3, 4))
    w = lucid.Tensor(rng.uniform(0.5, 2, 3))
    assert gradcheck(nn.CrossEntropyLoss(w, label_smoothing=0.1), [x, t])
    y = lucid.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(nn.HuberLoss(delta=0.5), [x, y])
    assert gradcheck(nn.L1Loss(), [x, y])
    assert gradcheck(nn.SmoothL1Loss(beta=0.5), [x, y])
    p = lucid.Tensor(rng.uniform(0.1, 0.9, (4, 3)), requires_grad=True)
    assert gradcheck(nn.BCEWithLogitsLoss(w, pos_weight=w), [x, p])
    logq = lucid.Tensor(np.log(rng.dirichlet(np.ones(3), 4)), requires_grad=True)
    assert gradcheck(nn.KLDivLoss(reduction="batchmean"), [logq, p])


def test_weight_is_a_buffer_cast_by_double():
    loss = nn.CrossEntropyLoss(lucid.Tensor([1.0, 2.0]))
    assert [n for n, _ in loss.named_buffers()] == ["weight"] and list(loss.parameters()) == []
    x = lucid.Tensor(np.zeros((2, 2)))                               # float64
    assert loss.double()(x, lucid.Tensor([0, 1])).dtype == np.float64


def test_bad_settings_and_inputs():
    with pytest.raises(ValueError, match="MSELoss: reduction must be 'none', 'mean' or 'sum'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="CrossEntropyLoss: label_smoothing must lie in"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(TypeError, match="NLLLoss: ignore_index must be an int"):
        nn.NLLLoss(ignore_index=1.0)
    with pytest.raises(ValueError, match="HuberLoss: delta must be a number > 0.0"):
        nn.HuberLoss(delta=0)
    with pytest.raises(TypeError, match="BCELoss: weight must be a Tensor"):
        nn.BCELoss(weight=[1.0, 2.0])
    with pytest.raises(TypeError, match="BCEWithLogitsLoss: pos_weight must be a Tensor"):
        nn.BCEWithLogitsLoss(pos_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="SmoothL1Loss: beta must be a number >= 0.0"):
        nn.SmoothL1Loss(beta=-0.5)
    with pytest.raises(ValueError, match="KLDivLoss: reduction must be 'mean', 'batchmean', "
                                         "'sum' or 'none'; got 'avg'"):
        nn.KLDivLoss(reduction="avg")
    with pytest.raises(TypeError, match="KLDivLoss: log_target must be a bool"):
        nn.KLDivLoss(log_target="yes")
    with pytest.raises(ValueError, match="L1Loss: reduction must be 'none', 'mean' or 'sum'"):
        nn.L1Loss(reduction="batchmean")
    x = lucid.random.randn(3, 4)
    with pytest.raises(ValueError, match=r"cross_entropy: class indices in target must lie in \[0, 4\)"):
        nn.CrossEntropyLoss()(x, lucid.Tensor([0, 4, 1]))
    with pytest.raises(TypeError, match="nll_loss: target must hold class indices"):
        nn.NLLLoss()(x, lucid.Tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="mse_loss: target must have the shape"):
        nn.MSELoss()(x, lucid.random.randn(4, 3))
