"""Pooling layers against PyTorch: values, gradients (float32 / float64, both twins),
repr, errors. The pooling arithmetic itself is tested in tests/nn/functional/test_pool.py."""
import pytest

import lucid
from lucid import nn
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

needs_torch = pytest.mark.torch
KERNEL_FAMILIES = ("pool",)

SHAPES = {1: (2, 3, 9), 2: (2, 3, 7, 6), 3: (1, 2, 5, 4, 6)}
CASES = [("MaxPool", dict(kernel_size=2)), ("MaxPool", dict(kernel_size=3, stride=2, padding=1,
                                                             dilation=1, ceil_mode=True)),
         ("MaxPool", dict(kernel_size=2, dilation=2)),
         ("AvgPool", dict(kernel_size=2)),
         ("AvgPool", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                          count_include_pad=False)),
         ("AdaptiveAvgPool", dict(output_size=3))]


@needs_torch
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("family, kw", CASES, ids=[f"{f}{kw}" for f, kw in CASES])
def test_parity_and_repr(twin, float_dtype, rng, d, family, kw):
    layer = getattr(nn, f"{family}{d}d")(**kw)
    ref = getattr(torch.nn, f"{family}{d}d")(**kw)
    assert repr(layer) == repr(ref)
    x = rng.standard_normal(SHAPES[d]).astype(float_dtype)
    torch_parity(layer, ref, [x])
    torch_parity(layer, ref, [x[0]])                                # unbatched
    assert list(layer.state_dict()) == [] and list(layer.parameters()) == []


@needs_torch
def test_divisor_override_and_tuple_sizes(float_dtype, rng):
    x = rng.standard_normal((2, 3, 6, 7)).astype(float_dtype)
    for kw in (dict(kernel_size=(2, 3), divisor_override=4), dict(kernel_size=(3, 2), stride=(1, 2))):
        layer, ref = nn.AvgPool2d(**kw), torch.nn.AvgPool2d(**kw)
        assert repr(layer) == repr(ref)
        torch_parity(layer, ref, [x])
    layer, ref = nn.AdaptiveAvgPool2d((None, 2)), torch.nn.AdaptiveAvgPool2d((None, 2))
    assert repr(layer) == repr(ref)
    torch_parity(layer, ref, [x])


def test_gradcheck(rng):
    x = lucid.Tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    for layer in (nn.MaxPool2d(2, padding=1), nn.AvgPool2d(3, 2, 1), nn.AdaptiveAvgPool2d(3)):
        assert gradcheck(layer, [x])


def test_bad_settings_and_inputs():
    with pytest.raises(ValueError, match=r"MaxPool2d: expected input of shape \(N, C, H, W\) or \(C, H, W\); got \(2, 3\)"):
        nn.MaxPool2d(2)(lucid.random.randn(2, 3))
    with pytest.raises(ValueError, match=r"AvgPool1d: padding \(2\) must be at most half of kernel_size \(2\)"):
        nn.AvgPool1d(2, padding=2)
    with pytest.raises(ValueError, match="MaxPool2d: kernel_size must be an int or a tuple of 2"):
        nn.MaxPool2d((2, 2, 2))
    with pytest.raises(TypeError, match="MaxPool1d: return_indices must be True or False"):
        nn.MaxPool1d(2, return_indices=1)
    with pytest.raises(ValueError, match="MaxUnpool2d: kernel_size must be an int or a tuple of 2"):
        nn.MaxUnpool2d((2, 2, 2))
    with pytest.raises(ValueError, match="MaxUnpool1d: stride must be positive; got 0"):
        nn.MaxUnpool1d(2, stride=0)
    with pytest.raises(ValueError, match=r"MaxUnpool2d: expected input of shape \(N, C, H, W\) or"):
        nn.MaxUnpool2d(2)(lucid.random.randn(2, 3), lucid.Tensor([[0, 1, 2], [0, 1, 2]]))
    with pytest.raises(ValueError, match="AdaptiveAvgPool2d: output_size must be"):
        nn.AdaptiveAvgPool2d((2, -1))
    with pytest.raises(TypeError, match="MaxPool3d: ceil_mode must be True or False"):
        nn.MaxPool3d(2, ceil_mode=None)
    with pytest.raises(ValueError, match="max_pool2d: the output size"):
        nn.MaxPool2d(4)(lucid.random.randn(1, 1, 2, 2))


@needs_torch
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
def test_max_pool_with_indices_then_unpool(twin, float_dtype, rng, d, kw):
    """MaxPool(return_indices=True) then MaxUnpool, as an autoencoder does: values,
    indices and gradients equal torch's; the output size given to forward restores an
    input whose size the pooling rounded down."""
    pool, tpool = getattr(nn, f"MaxPool{d}d")(**kw, return_indices=True), \
        getattr(torch.nn, f"MaxPool{d}d")(**kw, return_indices=True)
    unpool, tunpool = getattr(nn, f"MaxUnpool{d}d")(**kw), getattr(torch.nn, f"MaxUnpool{d}d")(**kw)
    assert repr(pool) == repr(tpool) and repr(unpool) == repr(tunpool)
    x = rng.standard_normal(SHAPES[d]).astype(float_dtype)
    size = SHAPES[d][2:]

    def ours(t):
        y, indices = pool(t)
        return unpool(y, indices, output_size=size)

    def theirs(t):
        y, indices = tpool(t)
        return tunpool(y, indices, output_size=size)

    out = torch_parity(ours, theirs, [x])
    assert out.shape == x.shape
    torch_parity(ours, theirs, [x[0]])                              # unbatched
    y, indices = pool(lucid.Tensor(x))
    _, tindices = tpool(torch.tensor(x))
    assert (indices.data == tindices.numpy()).all()
