"""Activations against torch.nn.functional: values and gradients in float32 and float64
(including the kinks, where the derivative is PyTorch's choice), gradcheck in float64,
softmax / log_softmax stability and axes, and bad inputs."""
import numpy as np
import pytest

import lucid
import importlib

# the module itself (lucid.nn.functional.activation may be shadowed by a function of that name)
F = importlib.import_module("lucid.nn.functional.activation")
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

needs_torch = pytest.mark.torch

# name -> (lucid function, torch function name, torch kwargs)
CASES = {
    "relu": (F.relu, "relu", {}),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), "leaky_relu", {"negative_slope": 0.2}),
    "elu": (lambda x: F.elu(x, alpha=1.3), "elu", {"alpha": 1.3}),
    "selu": (F.selu, "selu", {}),
    "gelu": (F.gelu, "gelu", {}),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), "gelu", {"approximate": "tanh"}),
    "sigmoid": (F.sigmoid, "sigmoid", {}),
    "tanh": (F.tanh, "tanh", {}),
    "relu6": (F.relu6, "relu6", {}),
    "hard_sigmoid": (F.hard_sigmoid, "hardsigmoid", {}),
    "swish": (F.swish, "silu", {}),
    "hard_swish": (F.hard_swish, "hardswish", {}),
}

# the kinks of every function above, plus ordinary and large values
KINKS = np.array([-3.0, 0.0, 3.0, 6.0, -50.0, 50.0, -100.0, 100.0])


def _inputs(dtype):
    x = np.random.default_rng(0).uniform(-8, 8, size=(4, 7))
    x.flat[:KINKS.size] = KINKS
    return x.astype(dtype)


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name, float_dtype):
    fn, tname, kw = CASES[name]
    tfn = getattr(torch.nn.functional, tname)
    y = torch_parity(fn, lambda t: tfn(t, **kw), [_inputs(float_dtype)])
    assert y.dtype == float_dtype


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fn = CASES[name][0]
    x = np.random.default_rng(1).uniform(-4, 4, size=(3, 4))
    x[np.abs(x) < 0.1] += 0.3                      # keep away from the kinks at 0 and +-3
    x[np.abs(np.abs(x) - 3) < 0.1] += 0.3
    assert gradcheck(fn, [lucid.Tensor(x, requires_grad=True)])


@needs_torch
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("which", ["softmax", "log_softmax"])
def test_softmax_family_matches_torch(which, axis, float_dtype):
    x = np.random.default_rng(2).standard_normal((3, 4, 5)).astype(float_dtype) * 5
    x[0, 0, 0] = 1000.0                                  # would overflow without the max
    fn = getattr(F, which)
    tfn = getattr(torch.nn.functional, which)
    y = torch_parity(lambda t: fn(t, axis=axis), lambda t: tfn(t, dim=axis), [x])
    assert np.isfinite(y.data).all()


@pytest.mark.parametrize("which", ["softmax", "log_softmax"])
def test_softmax_family_gradcheck(which):
    x = lucid.Tensor(np.random.default_rng(3).standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: getattr(F, which)(t, axis=1), [x])


def test_softmax_rows_sum_to_one_and_log_softmax_is_its_log():
    x = lucid.Tensor(np.random.default_rng(4).standard_normal((5, 6)) * 30)
    s = F.softmax(x, axis=-1).data
    np.testing.assert_allclose(s.sum(axis=-1), 1, rtol=1e-6)
    np.testing.assert_allclose(np.exp(F.log_softmax(x).data), s, rtol=1e-5, atol=1e-7)


def test_gradients_of_kinks_by_hand():
    # the derivative PyTorch picks at each kink, written down from its kernels
    x = lucid.Tensor([0.0, 6.0, -3.0, 3.0], requires_grad=True)
    F.relu6(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 0, 1])
    x.grad = None
    F.hard_swish(x).sum().backward()
    np.testing.assert_allclose(x.grad, [0.5, 1.0, 0.0, 1.0])


@pytest.mark.parametrize("name", sorted(CASES))
def test_rejects_bad_input(name):
    fn = CASES[name][0]
    with pytest.raises(TypeError, match=r"input_ must be a Tensor"):
        fn(np.zeros(3))
    with pytest.raises(TypeError, match=r"floating dtype.*int64"):
        fn(lucid.Tensor([1, 2]))


def test_rejects_bad_parameters():
    x = lucid.Tensor([1.0])
    with pytest.raises(ValueError, match=r"gelu: approximate must be 'none' or 'tanh'; got 'erf'"):
        F.gelu(x, approximate="erf")
    with pytest.raises(TypeError, match=r"leaky_relu: negative_slope must be a real number"):
        F.leaky_relu(x, "0.1")
    with pytest.raises(ValueError, match=r"elu: alpha must be finite; got nan"):
        F.elu(x, float("nan"))
    with pytest.raises(ValueError, match=r"softmax: axis 2 is out of range"):
        F.softmax(lucid.Tensor([[1.0]]), axis=2)
    with pytest.raises(TypeError, match=r"log_softmax: axis must be an int"):
        F.log_softmax(x, axis=0.5)


@pytest.mark.torch
def test_relu_propagates_nan_like_torch():

    values = [float("nan"), -1.0, 0.0, 2.0]
    x = lucid.Tensor(values, requires_grad=True)
    y = F.relu(x)
    y.backward(np.ones(4, dtype=np.float32))
    tx = torch.tensor(values, requires_grad=True)
    ty = torch.relu(tx)
    ty.backward(torch.ones(4))
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


@pytest.mark.torch
def test_relu_blocks_non_finite_gradients_like_torch():

    values = [-1.0, 0.0, 2.0, -3.0]
    seed = np.array([np.inf, np.nan, np.inf, 1.0], dtype=np.float32)
    x = lucid.Tensor(values, requires_grad=True)
    F.relu(x).backward(seed)
    tx = torch.tensor(values, requires_grad=True)
    torch.relu(tx).backward(torch.from_numpy(seed))
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
