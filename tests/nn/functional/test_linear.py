"""linear and bilinear against torch.nn.functional (values, input / weight / bias
gradients, float32 and float64, with and without bias, extra leading axes), gradcheck in
float64, bad shapes and dtypes."""
import numpy as np
import pytest

import lucid
import importlib

# the module itself (lucid.nn.functional.linear may be shadowed by a function of that name)
F = importlib.import_module("lucid.nn.functional.linear")
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

needs_torch = pytest.mark.torch


def _rand(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@needs_torch
@pytest.mark.parametrize("lead", [(5,), (2, 3), ()], ids=["2d", "4d-lead", "1d"])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_torch(lead, with_bias, float_dtype):
    arrays = [_rand(lead + (4,), float_dtype), _rand((3, 4), float_dtype, 1)]
    if with_bias:
        arrays.append(_rand((3,), float_dtype, 2))
    torch_parity(F.linear, torch.nn.functional.linear, arrays)


@needs_torch
@pytest.mark.parametrize("with_bias", [True, False])
def test_bilinear_matches_torch(with_bias, float_dtype):
    arrays = [_rand((2, 3, 4), float_dtype), _rand((2, 3, 5), float_dtype, 1),
              _rand((6, 4, 5), float_dtype, 2)]
    if with_bias:
        arrays.append(_rand((6,), float_dtype, 3))
    torch_parity(F.bilinear, torch.nn.functional.bilinear, arrays)


def test_gradcheck():
    t = [lucid.Tensor(_rand(s, np.float64, i), requires_grad=True)
         for i, s in enumerate([(2, 3), (4, 3), (4,)])]
    assert gradcheck(F.linear, t)
    t = [lucid.Tensor(_rand(s, np.float64, i), requires_grad=True)
         for i, s in enumerate([(2, 3), (2, 2), (4, 3, 2), (4,)])]
    assert gradcheck(F.bilinear, t)


def test_linear_by_hand():
    x = lucid.Tensor([[1.0, 2.0]])
    w = lucid.Tensor([[3.0, 4.0]])
    assert F.linear(x, w, lucid.Tensor([0.5])).data.tolist() == [[11.5]]


def test_bad_arguments():
    x, w = lucid.Tensor(np.zeros((2, 3))), lucid.Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"linear: input_'s last axis must have in_features = 3"):
        F.linear(lucid.Tensor(np.zeros((2, 5))), w)
    with pytest.raises(ValueError, match=r"linear: weight must be 2-d"):
        F.linear(x, lucid.Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(4,\); got \(3,\)"):
        F.linear(x, w, lucid.Tensor(np.zeros(3)))
    with pytest.raises(TypeError, match=r"linear: weight must have the dtype of input_"):
        F.linear(x, lucid.Tensor(np.zeros((4, 3), np.float32)))
    with pytest.raises(TypeError, match=r"linear: input_ must be a Tensor"):
        F.linear([[1.0]], w)
    with pytest.raises(ValueError, match=r"bilinear: input1 and input2 must have the same leading"):
        F.bilinear(x, lucid.Tensor(np.zeros((3, 2))), lucid.Tensor(np.zeros((1, 3, 2))))
    with pytest.raises(ValueError, match=r"bilinear: weight \(1, 3, 5\) expects"):
        F.bilinear(x, lucid.Tensor(np.zeros((2, 2))), lucid.Tensor(np.zeros((1, 3, 5))))
