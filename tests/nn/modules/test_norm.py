"""Normalisation layers against PyTorch: values, gradients, running statistics over
several training steps, train / eval, momentum=None, repr, state_dict keys, errors."""
import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch
from tests.nn.modules._parity import module_parity

needs_torch = pytest.mark.torch

BN = {1: (nn.BatchNorm1d, "BatchNorm1d", (6, 3, 5)), 2: (nn.BatchNorm2d, "BatchNorm2d", (4, 3, 3, 4)),
      3: (nn.BatchNorm3d, "BatchNorm3d", (2, 3, 2, 3, 2))}
IN = {1: (nn.InstanceNorm1d, "InstanceNorm1d", (2, 3, 5)),
      2: (nn.InstanceNorm2d, "InstanceNorm2d", (2, 3, 3, 4)),
      3: (nn.InstanceNorm3d, "InstanceNorm3d", (2, 3, 2, 3, 2))}
SETTINGS = [dict(), dict(momentum=None), dict(affine=False), dict(track_running_stats=False),
            dict(momentum=0.3, eps=1e-3, bias=False)]


def _random_affine(layer, twin, rng):
    """Non-trivial weight / bias (torch starts at ones / zeros), set in torch first."""
    with torch.no_grad():
        for p in twin.parameters():
            p.copy_(torch.tensor(rng.uniform(0.5, 1.5, p.shape)))


@needs_torch
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("kw", SETTINGS, ids=str)
def test_batch_norm_train_then_eval(float_dtype, rng, d, kw):
    cls, tname, shape = BN[d]
    layer, twin = cls(3, **kw), getattr(torch.nn, tname)(3, **kw)
    _random_affine(layer, twin, rng)
    x = (rng.standard_normal(shape) * 2 + 1).astype(float_dtype)
    module_parity(layer, twin, [x], float_dtype, rng, steps=3)      # training: stats move
    if layer.track_running_stats:
        assert int(layer.num_batches_tracked.item()) == 3
    layer.eval(), twin.eval()
    module_parity(layer, twin, [x], float_dtype, rng, steps=1)      # eval: running stats
    assert repr(layer) == repr(twin)


@needs_torch
def test_batch_norm1d_two_dim_input(float_dtype, rng):
    x = rng.standard_normal((5, 4)).astype(float_dtype)
    module_parity(nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4), [x], float_dtype, rng, steps=2)


@needs_torch
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("kw", [dict(), dict(affine=True, track_running_stats=True)], ids=str)
def test_instance_norm(float_dtype, rng, d, kw):
    cls, tname, shape = IN[d]
    layer, twin = cls(3, **kw), getattr(torch.nn, tname)(3, **kw)
    _random_affine(layer, twin, rng)
    x = (rng.standard_normal(shape) + 0.5).astype(float_dtype)
    module_parity(layer, twin, [x], float_dtype, rng, steps=2)
    layer.eval(), twin.eval()
    module_parity(layer, twin, [x], float_dtype, rng)
    module_parity(layer, twin, [x[0]], float_dtype, rng)           # unbatched (C, *S)
    assert repr(layer) == repr(twin)


@needs_torch
@pytest.mark.parametrize("kw", [dict(), dict(elementwise_affine=False), dict(bias=False),
                                dict(eps=1e-2)], ids=str)
@pytest.mark.parametrize("shape", [4, (3, 4)])
def test_layer_norm(float_dtype, rng, kw, shape):
    layer, twin = nn.LayerNorm(shape, **kw), torch.nn.LayerNorm(shape, **kw)
    _random_affine(layer, twin, rng)
    x = rng.standard_normal((2, 3, 4)).astype(float_dtype)
    module_parity(layer, twin, [x], float_dtype, rng)
    assert repr(layer) == repr(twin)


def _grn_loops(x, gamma, beta, eps):
    """GRN written as loops over (n, c): the formula of the ConvNeXt V2 paper."""
    n_, c_, _, _ = x.shape
    y = np.empty_like(x)
    for n in range(n_):
        g = [np.sqrt((x[n, c] ** 2).sum()) for c in range(c_)]
        mean = sum(g) / c_
        for c in range(c_):
            y[n, c] = gamma[c] * x[n, c] * g[c] / (mean + eps) + beta[c] + x[n, c]
    return y


def test_global_response_norm(rng):
    layer = nn.GlobalResponseNorm(3).double()
    assert list(layer.state_dict()) == ["gamma", "beta"] and repr(layer) == "GlobalResponseNorm(3, eps=1e-06)"
    layer.gamma.data[...] = rng.standard_normal(3)
    layer.beta.data[...] = rng.standard_normal(3)
    x = rng.standard_normal((2, 3, 4, 5))
    assert_close(layer(lucid.Tensor(x)), _grn_loops(x, layer.gamma.data, layer.beta.data, 1e-6))
    assert gradcheck(lambda t, g, b: nn.functional.global_response_norm(t, g, b),
                     [lucid.Tensor(x, requires_grad=True), layer.gamma, layer.beta])


def test_gradcheck_batch_norm_training(rng):
    layer = nn.BatchNorm2d(2).double()
    layer.weight.data[...] = [0.5, 2.0]
    assert gradcheck(layer, [lucid.Tensor(rng.standard_normal((3, 2, 2, 2)), requires_grad=True)])
    layer.eval()
    assert gradcheck(layer, [lucid.Tensor(rng.standard_normal((3, 2, 2, 2)), requires_grad=True)])


def test_state_dict_keys():
    assert list(nn.BatchNorm2d(3).state_dict()) == ["weight", "bias", "running_mean",
                                                     "running_var", "num_batches_tracked"]
    assert list(nn.BatchNorm2d(3, affine=False, track_running_stats=False).state_dict()) == []
    assert list(nn.InstanceNorm2d(3).state_dict()) == []
    assert list(nn.LayerNorm(3).state_dict()) == ["weight", "bias"]
    bn = nn.BatchNorm1d(2)
    assert bn.num_batches_tracked.dtype == np.int64 and bn.running_var.dtype == np.float32
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]


def test_eval_without_running_stats_uses_batch_stats(rng):
    layer = nn.BatchNorm1d(2, affine=False, track_running_stats=False).eval()
    y = layer(lucid.Tensor(rng.standard_normal((50, 2)) * 3 + 1))
    assert np.abs(y.data.mean(0)).max() < 1e-6


def test_bad_settings_and_inputs():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected input of shape \(N, 3, H, W\); got \(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(lucid.random.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected input of shape \(N, 3, H, W\); got \(3, 5, 5\)"):
        nn.BatchNorm2d(3)(lucid.random.randn(3, 5, 5))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected input of shape \(N, 3\) or \(N, 3, L\); got \(2, 3, 4, 4\)"):
        nn.BatchNorm1d(3)(lucid.random.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="batch_norm: training needs more than 1 value per channel"):
        nn.BatchNorm1d(3)(lucid.random.randn(1, 3))
    with pytest.raises(ValueError, match=r"InstanceNorm1d: expected input of shape \(N, 3, L\) or \(3, L\); got \(2, 4, 5\)"):
        nn.InstanceNorm1d(3, affine=True)(lucid.random.randn(2, 4, 5))
    with pytest.warns(UserWarning, match="InstanceNorm1d: the input has 4 channels"):
        nn.InstanceNorm1d(3)(lucid.random.randn(2, 4, 5))
    with pytest.raises(ValueError, match=r"LayerNorm: expected input of shape \(\*, 3, 4\); got \(3, 5\)"):
        nn.LayerNorm((3, 4))(lucid.random.randn(3, 5))
    with pytest.raises(ValueError, match=r"GlobalResponseNorm: expected input of shape \(N, 3, H, W\)"):
        nn.GlobalResponseNorm(3)(lucid.random.randn(2, 3, 4))
    with pytest.raises(ValueError, match="BatchNorm2d: momentum must lie in"):
        nn.BatchNorm2d(3, momentum=2.0)
    with pytest.raises(ValueError, match="BatchNorm2d: num_features must be a positive int"):
        nn.BatchNorm2d(0)
    with pytest.raises(TypeError, match="LayerNorm: normalized_shape must be"):
        nn.LayerNorm("4")
    with pytest.raises(TypeError, match="BatchNorm2d: affine must be a bool"):
        nn.BatchNorm2d(3, affine=None)


@needs_torch
@pytest.mark.parametrize("shape,groups", [((3, 6, 4, 4), 3), ((2, 4, 5), 2), ((4, 16), 2),
                                          ((1, 6, 2, 3, 2), 6)])
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, True)])
def test_group_norm(float_dtype, rng, shape, groups, affine, bias):
    layer, twin = nn.GroupNorm(groups, shape[1], affine=affine, bias=bias), \
        torch.nn.GroupNorm(groups, shape[1], affine=affine, bias=bias)
    if affine:                                     # not ones and zeros: test the scale
        torch.nn.init.uniform_(twin.weight, 0.5, 1.5)
    if affine and bias:
        torch.nn.init.uniform_(twin.bias, -1, 1)
    x = (rng.standard_normal(shape) * 2 + 1).astype(float_dtype)
    module_parity(layer, twin, [x], float_dtype, rng, steps=2)
    assert repr(layer) == repr(twin)
    layer.eval()                                   # no running statistics: same result
    assert_close(layer(lucid.Tensor(x)), twin(torch.tensor(x)).detach().numpy())


def test_group_norm_settings():
    gn = nn.GroupNorm(2, 4)
    assert [n for n, _ in gn.named_parameters()] == ["weight", "bias"]
    assert gn.weight.data.tolist() == [1.0] * 4 and gn.bias.data.tolist() == [0.0] * 4
    assert list(nn.GroupNorm(2, 4, affine=False).state_dict()) == []
    x = lucid.Tensor(np.random.default_rng(0).standard_normal((2, 4, 3)), requires_grad=True)
    assert gradcheck(nn.GroupNorm(2, 4).double(), [x])
    with pytest.raises(ValueError, match=r"GroupNorm: num_groups \(3\) must divide "
                                         r"num_channels \(4\)"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"GroupNorm: num_groups must be a positive int; got 0"):
        nn.GroupNorm(0, 4)
    with pytest.raises(TypeError, match=r"GroupNorm: affine must be a bool"):
        nn.GroupNorm(2, 4, affine=1)
    with pytest.raises(ValueError, match=r"GroupNorm: expected input of shape \(N, 4, \*\) "
                                         r"\(num_channels=4\); got \(2, 3, 5\)"):
        gn(lucid.random.randn(2, 3, 5))
    with pytest.raises(TypeError, match=r"GroupNorm: input must be a Tensor"):
        gn(np.zeros((2, 4)))
