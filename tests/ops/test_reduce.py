"""Reductions: sum, mean, var, min, max, trace — values and gradients against PyTorch,
gradcheck in float64, NumPy's dtype rules, empty tensors and bad arguments."""
import re
import warnings

import numpy as np
import pytest

import lucid
from helpers import torch_parity
from lucid.testing import assert_close, gradcheck


def _dims(axis, ndim):
    """lucid's ``axis`` as a torch ``dim`` (None = every axis; torch's dim=() means that too)."""
    return tuple(range(ndim)) if axis is None else axis


# op name -> (lucid function, torch function with (x, dim, keepdim))
_TORCH = {
    "sum": lambda t, x, d, k: t.sum(x, dim=d, keepdim=k),
    "mean": lambda t, x, d, k: t.mean(x, dim=d, keepdim=k),
    "var": lambda t, x, d, k: t.var(x, dim=d, keepdim=k, correction=0),
    "max": lambda t, x, d, k: t.amax(x, dim=d, keepdim=k),
    "min": lambda t, x, d, k: t.amin(x, dim=d, keepdim=k),
}

_CASES = [  # (shape, axis, keepdims)
    ((3, 4, 5), None, False),
    ((3, 4, 5), None, True),
    ((3, 4, 5), 0, False),
    ((3, 4, 5), -1, True),
    ((3, 4, 5), (0, 2), False),
    ((3, 4, 5), (-1, -3), True),
    ((3, 4, 5), [2, 1], False),
    ((6,), 0, False),
    ((), None, False),
    ((), 0, True),
    ((), -1, False),
]


def _parity(torch, name, x, axis, keepdims):
    fn = getattr(lucid, name)
    torch_parity(lambda t: fn(t, axis=axis, keepdims=keepdims),
                 lambda t: _TORCH[name](torch, t, _dims(axis, x.ndim), keepdims), [x])


@pytest.mark.parametrize("name", ["sum", "mean", "var"])
@pytest.mark.parametrize("shape, axis, keepdims", _CASES)
def test_smooth_reductions_match_torch(torch, float_dtype, rng, name, shape, axis, keepdims):
    x = rng.standard_normal(shape).astype(float_dtype)
    _parity(torch, name, x, axis, keepdims)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape, axis, keepdims", _CASES)
def test_max_min_match_torch_with_ties(torch, float_dtype, rng, name, shape, axis, keepdims):
    # values in {0, 1, 2}: most slices have several tied extremes, and torch.amax/amin
    # split the gradient evenly among them
    x = rng.integers(0, 3, size=shape).astype(float_dtype)
    _parity(torch, name, x, axis, keepdims)


@pytest.mark.parametrize("name", ["max", "min"])
def test_tie_gradient_is_split_evenly(name):
    x = lucid.Tensor([[5.0, 5.0, 5.0, 1.0], [2.0, 7.0, 7.0, 7.0]], requires_grad=True)
    if name == "min":
        x = lucid.Tensor(-x.data, requires_grad=True)
    getattr(lucid, name)(x, axis=1).backward(np.array([3.0, 6.0], dtype=np.float32))
    assert_close(x.grad, np.array([[1, 1, 1, 0], [0, 2, 2, 2]], dtype=np.float32))


@pytest.mark.parametrize("name", ["max", "min"])
def test_nan_propagates_like_torch(torch, name):
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    out = torch_parity(lambda t: getattr(lucid, name)(t, axis=1),
                       lambda t: _TORCH[name](torch, t, 1, False), [x])
    assert np.isnan(out.data[0]) and not np.isnan(out.data[1])


@pytest.mark.parametrize("name", ["sum", "mean", "var", "max", "min"])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, True), ((0, 2), False), (-2, False)])
def test_gradcheck(name, axis, keepdims):
    # distinct values: max/min are differentiable only away from ties
    data = np.random.default_rng(3).permutation(24).reshape(2, 3, 4) / 7.0
    x = lucid.Tensor(data, requires_grad=True)
    fn = getattr(lucid, name)
    assert gradcheck(lambda t: fn(t, axis=axis, keepdims=keepdims), [x])


def test_gradients_keep_float32(rng):
    x = lucid.Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    for fn in (lucid.sum, lucid.mean, lucid.var, lucid.max, lucid.min):
        x.grad = None
        y = fn(x, axis=0)
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32, fn.__name__


def test_tensor_methods_call_the_reductions(rng):
    data = rng.standard_normal((2, 3))
    x = lucid.Tensor(data)
    assert_close(x.sum(axis=1), data.sum(axis=1))
    assert_close(x.mean(axis=0, keepdims=True), data.mean(axis=0, keepdims=True))
    assert_close(x.var(), np.asarray(data.var()))
    assert_close(x.max(axis=-1), data.max(axis=-1))
    assert_close(x.min(), np.asarray(data.min()))


def test_empty_axis_tuple_reduces_nothing(rng):
    # NumPy's rule (torch.sum(x, dim=()) would reduce every axis instead)
    data = rng.standard_normal((2, 3))
    x = lucid.Tensor(data, requires_grad=True)
    for name in ("sum", "mean", "max", "min"):
        assert_close(getattr(lucid, name)(x, axis=()), getattr(np, name)(data, axis=()))
    assert_close(lucid.var(x, axis=()), np.zeros((2, 3)))
    lucid.sum(x, axis=()).backward(np.full((2, 3), 2.0))
    assert_close(x.grad, np.full((2, 3), 2.0))


# ------------------------------------------------------------------ dtypes
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_bool_inputs_follow_numpy(dtype):
    data = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    x = lucid.Tensor(data)
    assert_close(lucid.sum(x, axis=0), np.sum(data, axis=0))           # int sum stays int
    assert_close(lucid.mean(x, axis=1), np.mean(data, axis=1))         # float64
    assert lucid.mean(x).dtype == np.float64
    assert_close(lucid.var(x, axis=0), np.var(data, axis=0))           # float64
    assert_close(lucid.max(x, axis=1), np.max(data, axis=1))           # dtype kept
    assert_close(lucid.min(x), np.asarray(np.min(data)))


def test_int_sum_matches_torch(torch):
    data = np.arange(12, dtype=np.int64).reshape(3, 4)
    torch_parity(lambda t: lucid.sum(t, axis=1), lambda t: torch.sum(t, dim=1), [data])


# ------------------------------------------------------------------ empty tensors
@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("name", ["sum", "mean", "var"])
def test_empty_inputs_match_torch(torch, name, axis):
    # sum of nothing is 0, mean and variance of nothing are nan; backward gives an
    # empty gradient, and no NumPy warning leaks out of lucid
    x = np.zeros((0, 3), dtype=np.float32)
    fn = getattr(lucid, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.filterwarnings("ignore", category=UserWarning)  # torch: var with 0 dof
        torch_parity(lambda t: fn(t, axis=axis),
                     lambda t: _TORCH[name](torch, t, _dims(axis, 2), False), [x])


def test_empty_sum_is_zero():
    assert lucid.sum(lucid.Tensor(np.zeros(0, dtype=np.float32))).item() == 0.0
    assert_close(lucid.sum(lucid.Tensor(np.zeros((0, 2))), axis=0), np.zeros(2))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_of_empty_raise_before_numpy(name):
    fn = getattr(lucid, name)
    x = lucid.Tensor(np.zeros((2, 0), dtype=np.float32))
    with pytest.raises(ValueError, match=rf"^{name}: cannot reduce over axis 1 of size 0 \(input shape \(2, 0\)\)"):
        fn(x, axis=1)
    with pytest.raises(ValueError, match=rf"^{name}: cannot reduce over axis 1 of size 0"):
        fn(x)
    # reducing a non-empty axis of an empty tensor is fine (an empty result), as in torch
    x = lucid.Tensor(np.zeros((2, 0), dtype=np.float32), requires_grad=True)
    y = fn(x, axis=0)
    assert y.shape == (0,)
    y.backward(np.zeros(0, dtype=np.float32))
    assert x.grad.shape == (2, 0)


# ------------------------------------------------------------------ trace
@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2), (1, 1)])
def test_trace_matches_torch(torch, float_dtype, rng, shape):
    x = rng.standard_normal(shape).astype(float_dtype)
    torch_parity(lucid.trace, torch.trace, [x])


def test_trace_gradcheck_and_int(rng):
    x = lucid.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lucid.trace, [x])
    ints = np.arange(6).reshape(2, 3)
    assert_close(lucid.trace(lucid.Tensor(ints)), np.asarray(np.trace(ints)))
    assert_close(lucid.Tensor(ints).trace(), np.asarray(4))


@pytest.mark.parametrize("shape", [(), (3,), (2, 2, 2)])
def test_trace_needs_a_matrix(shape):
    with pytest.raises(ValueError, match=rf"^trace: input_ must be a 2-D tensor .*got shape {re.escape(str(shape))}"):
        lucid.trace(lucid.Tensor(np.zeros(shape)))


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("name", ["sum", "mean", "var", "max", "min"])
def test_bad_axis(name):
    fn = getattr(lucid, name)
    x = lucid.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"^{name}: axis 2 is out of range for a tensor with ndim 2"):
        fn(x, axis=2)
    with pytest.raises(ValueError, match=rf"^{name}: axis -3 is out of range"):
        fn(x, axis=(0, -3))
    with pytest.raises(ValueError, match=rf"^{name}: repeated axis"):
        fn(x, axis=(1, -1))
    with pytest.raises(TypeError, match=rf"^{name}: axis must be an int"):
        fn(x, axis=1.0)
    with pytest.raises(TypeError, match=rf"^{name}: keepdims must be a bool; got 'yes'"):
        fn(x, keepdims="yes")
    with pytest.raises(ValueError, match=rf"^{name}: axis 1 is out of range for a tensor with ndim 0"):
        fn(lucid.Tensor(1.0), axis=1)
