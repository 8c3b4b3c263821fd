"""Dropout layers: train / eval, masks shared as documented, scaling, gradients, seed,
repr (as PyTorch's), errors. Masks cannot equal PyTorch's (other random streams)."""
import numpy as np
import pytest

import lucid
from lucid import nn
from tests.conftest import torch

needs_torch = pytest.mark.torch

LAYERS = [(nn.Dropout, (4, 6)), (nn.Dropout1d, (4, 6, 5)), (nn.Dropout2d, (4, 6, 3, 3)),
          (nn.Dropout3d, (4, 6, 2, 2, 2)), (nn.AlphaDropout, (4, 6)),
          (lambda p: nn.DropBlock(2, p), (4, 6, 5, 5)), (nn.DropPath, (4, 6, 3))]
IDS = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "DropBlock", "DropPath"]


@pytest.mark.parametrize("make, shape", LAYERS, ids=IDS)
def test_eval_is_identity_and_train_is_not(float_dtype, make, shape):
    layer = make(0.5)
    x = lucid.Tensor(np.ones(shape, float_dtype), requires_grad=True)
    lucid.random.seed(0)
    y = layer(x)
    assert y.dtype == float_dtype and y.shape == x.shape and not np.array_equal(y.data, x.data)
    assert layer.eval()(x) is x


@pytest.mark.parametrize("make, shape", LAYERS, ids=IDS)
def test_gradient_is_the_mask_scale_and_seed_repeats(make, shape):
    layer = make(0.3)
    x = lucid.Tensor(np.full(shape, 2.0), requires_grad=True)
    lucid.random.seed(5)
    y = layer(x)
    y.sum().backward()
    if isinstance(layer, nn.AlphaDropout):       # y = a (m x + (1 - m) alpha') + b
        alpha, p = -1.7580993408473766, 0.3
        a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
        values = np.unique(x.grad)
        assert values.size == 2 and values[0] == 0 and values[1] == pytest.approx(a)
        kept = x.grad != 0
        np.testing.assert_allclose(y.data[kept], a * 2.0 - a * alpha * p)
    else:
        np.testing.assert_allclose(x.grad * 2.0, y.data)   # y = x * (m s): dy/dx = m s
    lucid.random.seed(5)
    np.testing.assert_array_equal(make(0.3)(x).data, y.data)


def test_channel_and_sample_masks_are_shared():
    lucid.random.seed(1)
    y = nn.Dropout2d(0.5)(lucid.ones((8, 6, 3, 3))).data
    per_channel = y.reshape(8, 6, -1)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()      # one draw per channel
    assert set(np.unique(y)) == {0.0, 2.0}
    y = nn.DropPath(0.5)(lucid.ones((16, 4))).data
    assert (y.min(1) == y.max(1)).all() and set(np.unique(y)) == {0.0, 2.0}


def test_dropout_rate_and_mean():
    lucid.random.seed(2)
    y = nn.Dropout(0.25)(lucid.ones(200000)).data
    assert abs((y == 0).mean() - 0.25) < 0.005 and abs(y.mean() - 1.0) < 0.01


@needs_torch
def test_repr():
    for layer, twin in ((nn.Dropout(), torch.nn.Dropout()),
                        (nn.Dropout1d(0.1), torch.nn.Dropout1d(0.1)),
                        (nn.Dropout2d(0.2, inplace=True), torch.nn.Dropout2d(0.2, inplace=True)),
                        (nn.Dropout3d(), torch.nn.Dropout3d()),
                        (nn.AlphaDropout(0.3), torch.nn.AlphaDropout(0.3))):
        assert repr(layer) == repr(twin)
    assert repr(nn.DropBlock(3, 0.2)) == "DropBlock(block_size=3, p=0.2)"
    assert repr(nn.DropPath(0.2)) == "DropPath(drop_prob=0.2)"


def test_bad_settings_and_inputs():
    with pytest.raises(ValueError, match=r"Dropout: p must lie in \[0.0, 1.0\]; got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(TypeError, match="Dropout2d: inplace must be True or False"):
        nn.Dropout2d(0.1, inplace="yes")
    with pytest.raises(ValueError, match=r"Dropout2d: expected input of shape \(N, C, H, W\) or \(C, H, W\); got \(2, 3\)"):
        nn.Dropout2d()(lucid.ones((2, 3)))
    with pytest.raises(ValueError, match=r"DropBlock: expected input of shape \(N, C, H, W\); got \(2, 3, 4\)"):
        nn.DropBlock(2)(lucid.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="drop_block: block_size must lie in"):
        nn.DropBlock(5)(lucid.ones((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"DropPath: expected input of shape \(N, \*\)"):
        nn.DropPath()(lucid.Tensor(1.0))
    with pytest.raises(TypeError, match="Dropout: input must be a Tensor"):
        nn.Dropout()([1.0])
