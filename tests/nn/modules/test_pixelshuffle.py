"""PixelShuffle / PixelUnshuffle against PyTorch: values, gradients (float32 / float64),
repr, errors. The functions are tested in tests/nn/functional/test_pixelshuffle.py."""
import pytest

import lucid
from lucid import nn
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

needs_torch = pytest.mark.torch


@needs_torch
@pytest.mark.parametrize("r", [1, 2, 3])
def test_pixel_shuffle_layers(float_dtype, rng, r):
    shuffle, tshuffle = nn.PixelShuffle(r), torch.nn.PixelShuffle(r)
    unshuffle, tunshuffle = nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r)
    assert repr(shuffle) == repr(tshuffle) and repr(unshuffle) == repr(tunshuffle)
    x = rng.standard_normal((2, 2 * r * r, 3, 4)).astype(float_dtype)
    torch_parity(shuffle, tshuffle, [x])
    torch_parity(unshuffle, tunshuffle, [rng.standard_normal((2, 3, 2 * r, 3 * r))
                                         .astype(float_dtype)])
    assert list(shuffle.state_dict()) == []


def test_gradcheck(rng):
    x = lucid.Tensor(rng.standard_normal((1, 8, 2, 3)), requires_grad=True)
    assert gradcheck(nn.PixelShuffle(2), [x])
    assert gradcheck(nn.PixelUnshuffle(2), [lucid.Tensor(rng.standard_normal((1, 2, 4, 2)),
                                                         requires_grad=True)])


def test_bad_settings():
    with pytest.raises(ValueError, match="PixelShuffle: upscale_factor must be positive; got 0"):
        nn.PixelShuffle(0)
    with pytest.raises(TypeError, match="PixelUnshuffle: downscale_factor must be an int"):
        nn.PixelUnshuffle(2.0)
    with pytest.raises(ValueError, match=r"pixel_shuffle: the channels of input_ \(3, axis -3"):
        nn.PixelShuffle(2)(lucid.random.randn(1, 3, 2, 2))
