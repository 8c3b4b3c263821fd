"""The 14 activation layers against PyTorch: values, gradients, repr, errors."""
import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.nn.modules._parity import module_parity

needs_torch = pytest.mark.torch

# (lucid class, kwargs, torch class name, torch kwargs)
CASES = [
    (nn.ReLU, {}, "ReLU", {}),
    (nn.ReLU, {"inplace": True}, "ReLU", {"inplace": True}),
    (nn.ReLU6, {}, "ReLU6", {}),
    (nn.LeakyReLU, {}, "LeakyReLU", {}),
    (nn.LeakyReLU, {"negative_slope": 0.2, "inplace": True}, "LeakyReLU",
     {"negative_slope": 0.2, "inplace": True}),
    (nn.ELU, {"alpha": 0.7}, "ELU", {"alpha": 0.7}),
    (nn.SELU, {}, "SELU", {}),
    (nn.GELU, {}, "GELU", {}),
    (nn.GELU, {"approximate": "tanh"}, "GELU", {"approximate": "tanh"}),
    (nn.Sigmoid, {}, "Sigmoid", {}),
    (nn.HardSigmoid, {}, "Hardsigmoid", {}),
    (nn.Tanh, {}, "Tanh", {}),
    (nn.Softmax, {"axis": 1}, "Softmax", {"dim": 1}),
    (nn.Softmax, {"dim": 0}, "Softmax", {"dim": 0}),
    (nn.LogSoftmax, {"axis": 1}, "LogSoftmax", {"dim": 1}),
    (nn.LogSoftmax, {"dim": -1}, "LogSoftmax", {"dim": -1}),
    (nn.Swish, {}, "SiLU", {}),
    (nn.SiLU, {}, "SiLU", {}),
    (nn.SiLU, {"inplace": True}, "SiLU", {"inplace": True}),
    (nn.HardSwish, {}, "Hardswish", {}),
]
IDS = [f"{c.__name__}{kw}" for c, kw, _, _ in CASES]


def _input(rng, dtype):
    x = rng.uniform(-8, 8, size=(3, 4, 5)).astype(dtype)
    x[0, 0, :3] = [-3.0, 3.0, 6.0]          # the kinks, where PyTorch picks a side
    return x


@needs_torch
@pytest.mark.parametrize("cls, kw, tname, tkw", CASES, ids=IDS)
def test_parity_and_repr(float_dtype, rng, cls, kw, tname, tkw, request):
    if kw.get("approximate") == "tanh" and float_dtype == np.float32:
        request.applymarker(pytest.mark.xfail(strict=True, reason=(
            "known: F.gelu(approximate='tanh') in float32 differs from torch by ~2e-5 "
            "relative for x <= -3 (cancellation in 1 + tanh u, in the functional form)")))
    layer, twin = cls(**kw), getattr(torch.nn, tname)(**tkw)
    out_of_place = {k: v for k, v in tkw.items() if k != "inplace"}   # torch cannot
    module_parity(layer, getattr(torch.nn, tname)(**out_of_place),       # work on a leaf
                  [_input(rng, float_dtype)], float_dtype, rng)
    assert repr(layer) == repr(twin).replace(tname, cls.__name__).replace("dim=", "axis=")
    assert list(layer.parameters()) == [] and list(layer.state_dict()) == []


@pytest.mark.parametrize("cls, kw, tname, tkw", CASES, ids=IDS)
def test_gradcheck(rng, cls, kw, tname, tkw):
    x = rng.uniform(-4, 4, size=(2, 5))
    x[np.abs(np.abs(x) - 3) < 0.05] += 0.2   # stay off the kinks
    x[np.abs(x) < 0.05] += 0.2
    assert gradcheck(cls(**kw), [lucid.Tensor(x, requires_grad=True)])


def test_input_unchanged_with_inplace():
    x = lucid.Tensor([-1.0, 2.0])
    nn.ReLU(inplace=True)(x)
    assert x.data.tolist() == [-1.0, 2.0]


def test_bad_settings_and_inputs():
    with pytest.raises(TypeError, match="LeakyReLU: negative_slope must be a real number"):
        nn.LeakyReLU("0.1")
    with pytest.raises(ValueError, match="ELU: alpha must be finite; got nan"):
        nn.ELU(float("nan"))
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU("erf")
    with pytest.raises(TypeError, match="Softmax: axis must be an int"):
        nn.Softmax(axis=None)
    with pytest.raises(TypeError, match="^LogSoftmax: axis must be an int; got 1.0"):
        nn.LogSoftmax(dim=1.0)
    with pytest.raises(TypeError, match="^LogSoftmax: got both axis= and dim="):
        nn.LogSoftmax(axis=1, dim=1)
    with pytest.raises(ValueError, match="log_softmax: axis 2 is out of range"):
        nn.LogSoftmax(dim=2)(lucid.random.randn(3, 4))
    with pytest.raises(TypeError, match="silu: input_ must have a floating dtype"):
        nn.SiLU()(lucid.Tensor([1, 2]))
    with pytest.raises(TypeError, match="ReLU: inplace must be True or False"):
        nn.ReLU(inplace=1)
    with pytest.raises(ValueError, match="softmax: axis"):
        nn.Softmax(axis=2)(lucid.random.randn(3, 4))
    with pytest.raises(TypeError, match="relu: input_ must have a floating dtype"):
        nn.ReLU()(lucid.Tensor([1, 2]))
