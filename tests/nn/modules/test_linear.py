"""Identity, Linear and Bilinear against PyTorch: values, gradients, init, repr, errors."""
import math

import numpy as np
import pytest

import lucid
from lucid import nn
from tests.conftest import torch
from tests.nn.modules._parity import module_parity

needs_torch = pytest.mark.torch


@needs_torch
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("lead", [(), (4,), (2, 3)])
def test_linear_parity(float_dtype, rng, bias, lead):
    m, t = nn.Linear(5, 3, bias=bias), torch.nn.Linear(5, 3, bias=bias)
    module_parity(m, t, [rng.standard_normal(lead + (5,)).astype(float_dtype)], float_dtype, rng)
    assert repr(m) == repr(t)


@needs_torch
def test_bilinear_parity(float_dtype, rng):
    m, t = nn.Bilinear(2, 3, 4), torch.nn.Bilinear(2, 3, 4)
    x1 = rng.standard_normal((5, 2)).astype(float_dtype)
    x2 = rng.standard_normal((5, 3)).astype(float_dtype)
    module_parity(m, t, [x1, x2], float_dtype, rng)
    assert repr(m) == repr(t)
    assert repr(nn.Bilinear(2, 3, 4, bias=False)) == repr(torch.nn.Bilinear(2, 3, 4, bias=False))


def test_linear_init_follows_torch_bounds():
    lucid.random.seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (m.weight, m.bias):
        assert p.dtype == np.float32
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound          # fills the interval
    assert abs(float(m.weight.data.std()) - bound / math.sqrt(3)) < 0.01 * bound
    b = nn.Bilinear(16, 4, 8)
    assert np.abs(b.weight.data).max() <= 1 / 4 and np.abs(b.bias.data).max() <= 1 / 4


def test_state_dict_keys_and_no_bias():
    assert list(nn.Linear(2, 3).state_dict()) == ["weight", "bias"]
    m = nn.Linear(2, 3, bias=False)
    assert list(m.state_dict()) == ["weight"] and m.bias is None


def test_identity():
    x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    y = nn.Identity(3, foo=1)(x)
    assert y is x and repr(nn.Identity()) == "Identity()"


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"Linear: expected input of shape \(\*, 5\); got \(2, 4\)"):
        nn.Linear(5, 3)(lucid.random.randn(2, 4))
    with pytest.raises(TypeError, match="Linear: input must be a Tensor"):
        nn.Linear(5, 3)(np.zeros(5))
    with pytest.raises(ValueError, match=r"Bilinear: expected input2 of shape \(\*, 3\)"):
        nn.Bilinear(2, 3, 4)(lucid.random.randn(5, 2), lucid.random.randn(5, 2))
    with pytest.raises(TypeError, match="Linear: in_features must be a non-negative int"):
        nn.Linear(2.5, 3)
    with pytest.raises(TypeError, match="Linear: bias must be True or False"):
        nn.Linear(2, 3, bias=None)
