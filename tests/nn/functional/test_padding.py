"""F.pad against torch.nn.functional.pad: every mode, 1 to 3 padded axes, batched and
unbatched inputs, negative widths (cropping), values and gradients in float32 / float64
on both scatter twins, a loop oracle of the modes, gradcheck, and PyTorch's errors."""
import importlib
import re

import numpy as np
import pytest

import lucid
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

F = importlib.import_module("lucid.nn.functional.padding")
needs_torch = pytest.mark.torch
KERNEL_FAMILIES = ("scatter",)

CASES = [
    # (input shape, pad, mode)
    ((2, 3, 5), (2, 1), "constant"),
    ((2, 3, 4, 5), (1, 2, 0, 3), "constant"),
    ((3, 4), (1, 1, 2, 0), "constant"),
    ((2, 2, 3, 4, 2), (1, 0, 0, 1, 2, 2), "constant"),
    ((2, 3, 4, 5), (-1, 2, 1, -2), "constant"),         # crop and pad
    ((2, 3, 5), (-2, -3), "constant"),                  # crop to nothing
    ((2, 3, 5), (2, 3), "reflect"),
    ((3, 5), (4, 1), "reflect"),                        # unbatched
    ((2, 3, 4, 5), (1, 2, 3, 0), "reflect"),
    ((2, 2, 3, 4, 5), (1, 1, 2, 2, 1, 0), "reflect"),
    ((2, 3, 5), (-1, 2), "reflect"),
    ((2, 3, 5), (3, 6), "replicate"),
    ((3, 4, 5), (2, 2, 1, 3), "replicate"),             # unbatched 2-D
    ((1, 2, 3, 4, 2), (1, 2, 0, 1, 3, 1), "replicate"),
    ((2, 3, 5), (-3, 2), "replicate"),
    ((2, 3, 5), (5, 2), "circular"),
    ((2, 3, 4, 5), (2, 1, 4, 3), "circular"),
    ((2, 2, 3, 4, 2), (1, 2, 2, 0, 3, 1), "circular"),
    ((2, 3, 5), (-1, 2), "circular"),
    ((2, 3, 5), (2, -1), "circular"),
]


@needs_torch
@pytest.mark.parametrize("shape,pad,mode", CASES, ids=[f"{m}{p}" for _, p, m in CASES])
def test_matches_torch(twin, shape, pad, mode, float_dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(float_dtype)
    torch_parity(lambda t: F.pad(t, pad, mode),
                 lambda t: torch.nn.functional.pad(t, pad, mode), [x])


@needs_torch
def test_constant_value_and_integer_tensors():
    x = np.arange(12).reshape(1, 3, 4)
    for mode, kw in (("constant", {"value": 7}), ("reflect", {}), ("replicate", {})):
        ours = F.pad(lucid.Tensor(x), (2, 1), mode, **kw)
        theirs = torch.nn.functional.pad(torch.tensor(x), (2, 1), mode, **kw)
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    xf = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    torch_parity(lambda t: F.pad(t, [1, 2, 0, 1], value=-2.5),
                 lambda t: torch.nn.functional.pad(t, [1, 2, 0, 1], value=-2.5), [xf])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_loop_oracle(mode):
    """Each output position copies the input position the mode's rule names."""
    n, left, right = 5, 3, 4
    x = np.arange(1.0, n + 1)
    y = F.pad(lucid.Tensor(x[None, None]), (left, right), mode).data[0, 0]
    for j in range(n + left + right):
        i = j - left
        if mode == "constant":
            want = x[i] if 0 <= i < n else 0.0
        elif mode == "reflect":
            want = x[-i] if i < 0 else x[2 * (n - 1) - i] if i >= n else x[i]
        elif mode == "replicate":
            want = x[min(max(i, 0), n - 1)]
        else:
            want = x[i % n]
        assert y[j] == want, (mode, j)


def test_gradient_collects_the_copies(twin):
    x = lucid.Tensor(np.ones((1, 1, 3)), requires_grad=True)
    F.pad(x, (2, 2), "reflect").sum().backward()          # c b | a b c | b a
    np.testing.assert_array_equal(x.grad, [[[2.0, 3.0, 2.0]]])
    x.grad = None
    F.pad(x, (3, 0), "circular").sum().backward()         # a b c | a b c
    np.testing.assert_array_equal(x.grad, [[[2.0, 2.0, 2.0]]])


@pytest.mark.parametrize("pad,mode", [((1, 2, 2, 1), "reflect"), ((2, 3, 1, 0), "replicate"),
                                      ((2, 1, -1, 2), "circular"), ((1, -1, 2, 0), "constant"),
                                      ((1, 1, 1, 1), "constant")])
def test_gradcheck(pad, mode):
    x = lucid.Tensor(np.random.default_rng(2).standard_normal((2, 2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, pad, mode), [x])


@pytest.mark.parametrize("call,error,message", [
    (lambda x: F.pad(x, (1,)), ValueError,
     "pad: pad must hold pairs (before, after); got 1 values: (1,)"),
    (lambda x: F.pad(x, (1, 1) * 4), ValueError,
     "pad: pad has 4 pairs but input_ has only 3 axes"),
    (lambda x: F.pad(x, (1.5, 1)), TypeError, "pad: pad must be a tuple of ints"),
    (lambda x: F.pad(x, 2), TypeError, "pad: pad must be a tuple of ints"),
    (lambda x: F.pad(x, (1, 1), "wrap"), ValueError,
     "pad: mode must be 'constant', 'reflect', 'replicate' or 'circular'; got 'wrap'"),
    (lambda x: F.pad(x, (1, 1), value="0"), TypeError, "pad: value must be a number or None"),
    (lambda x: F.pad(x, (1, 1), "reflect", value=1.0), ValueError,
     "pad: mode 'reflect' copies the input into the border and takes no value; got value=1.0"),
    (lambda x: F.pad(x, (4, 0), "reflect"), ValueError,
     "pad: reflect padding (4, 0) of axis 2 must be smaller than its size 4"),
    (lambda x: F.pad(x, (5, 0), "circular"), ValueError,
     "pad: circular padding (5, 0) of axis 2 must be at most its size 4 (one wrap around)"),
    (lambda x: F.pad(x, (-2, -2), "replicate"), ValueError,
     "pad: padding (-2, -2) leaves axis 2 of size 4 with 0 elements; at least 1 must remain"),
    (lambda x: F.pad(x, (-3, -2)), ValueError,
     "pad: padding (-3, -2) crops more than axis 2 of size 4 holds"),
    (lambda x: F.pad(x, (1, 1) * 3, "replicate"), ValueError,
     "pad: mode 'replicate' pads the last 1, 2 or 3 axes of a (C, *S) or (N, C, *S) input: "
     "3 pairs of pad for 4-D or 5-D input_; got 6 values for input_ of shape (2, 3, 4)"),
    (lambda x: F.pad(x[0, 0], (1, 1), "reflect"), ValueError,
     "pad: mode 'reflect' pads the last 1, 2 or 3 axes"),
    (lambda x: F.pad(x[:, :0], (1, 1), "reflect"), ValueError,
     "pad: mode 'reflect' needs non-empty channel and padded axes (only the batch may be 0)"),
    (lambda x: F.pad(x.data, (1, 1)), TypeError, "pad: input_ must be a Tensor; got ndarray"),
])
def test_bad_inputs(call, error, message):
    x = lucid.Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(error, match=re.escape(message)):
        call(x)


def test_empty_batch_and_no_padding():
    x = lucid.Tensor(np.zeros((0, 2, 3)))
    assert F.pad(x, (1, 1), "reflect").shape == (0, 2, 5)
    y = lucid.Tensor(np.arange(6.0).reshape(1, 2, 3))
    np.testing.assert_array_equal(F.pad(y, (0, 0), "circular").data, y.data)
