"""pixel_shuffle / pixel_unshuffle against torch.nn.functional (values and gradients,
float32 / float64, batch axes), the index map as a loop, inverse pairs, gradcheck,
errors."""
import importlib

import numpy as np
import pytest

import lucid
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

F = importlib.import_module("lucid.nn.functional.pixelshuffle")
needs_torch = pytest.mark.torch


@needs_torch
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((1, 9, 2, 2), 3), ((8, 3, 5), 2),
                                     ((2, 3, 4, 2, 2), 2), ((1, 5, 2, 3), 1)])
def test_matches_torch(shape, r, float_dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(float_dtype)
    torch_parity(lambda t: F.pixel_shuffle(t, r),
                 lambda t: torch.nn.functional.pixel_shuffle(t, r), [x])
    y = np.random.default_rng(1).standard_normal(shape[:-2] + (shape[-2] * r, shape[-1] * r))
    torch_parity(lambda t: F.pixel_unshuffle(t, r),
                 lambda t: torch.nn.functional.pixel_unshuffle(t, r), [y.astype(float_dtype)])


def test_index_map_loop_oracle():
    r, c, h, w = 2, 3, 2, 3
    x = np.arange(c * r * r * h * w, dtype=np.float64).reshape(1, c * r * r, h, w)
    y = F.pixel_shuffle(lucid.Tensor(x), r).data
    for ci in range(c):
        for hi in range(h):
            for wi in range(w):
                for i in range(r):
                    for j in range(r):
                        assert y[0, ci, hi * r + i, wi * r + j] == x[0, ci * r * r + i * r + j, hi, wi]
    np.testing.assert_array_equal(F.pixel_unshuffle(lucid.Tensor(y), r).data, x)


def test_gradcheck_and_integers():
    x = lucid.Tensor(np.random.default_rng(2).standard_normal((2, 4, 2, 3)), requires_grad=True)
    assert gradcheck(lambda t: F.pixel_shuffle(t, 2), [x])
    assert gradcheck(lambda t: F.pixel_unshuffle(t, 2), [lucid.Tensor(x.data.reshape(2, 1, 4, 6),
                                                                      requires_grad=True)])
    ints = lucid.Tensor(np.arange(8).reshape(1, 4, 1, 2))
    assert F.pixel_shuffle(ints, 2).dtype == np.int64


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"pixel_shuffle: the channels of input_ \(6, axis -3 "
                                         r"of \(1, 6, 2, 2\)\) must be divisible by "
                                         r"upscale_factor\*\*2 = 4"):
        F.pixel_shuffle(lucid.zeros((1, 6, 2, 2)), 2)
    with pytest.raises(ValueError, match=r"pixel_unshuffle: the height and width of input_ "
                                         r"\(3, 4\) must be divisible by downscale_factor = 2"):
        F.pixel_unshuffle(lucid.zeros((1, 1, 3, 4)), 2)
    with pytest.raises(ValueError, match=r"pixel_shuffle: input_ must have shape \(\*, C, H, W\)"):
        F.pixel_shuffle(lucid.zeros((4, 2)), 2)
    with pytest.raises(ValueError, match=r"pixel_shuffle: upscale_factor must be positive"):
        F.pixel_shuffle(lucid.zeros((1, 4, 2, 2)), 0)
    with pytest.raises(TypeError, match=r"pixel_unshuffle: input_ must be a Tensor; got ndarray"):
        F.pixel_unshuffle(np.zeros((1, 1, 2, 2)), 2)
