"""clip_grad_norm_ / clip_grad_value_ against torch.nn.utils (the returned norm and the
clipped gradients, float32 / float64, every norm type), a loop oracle, the in-place
contract (same arrays, writes noted), skipped gradients, errors."""
import math
import re

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.autograd import inplace
from lucid.nn.utils import clip_grad_norm_, clip_grad_value_
from lucid.testing import assert_close
from tests.conftest import torch

SHAPES = [(3, 4), (5,), (2, 1, 3), ()]


def _pairs(dtype, scale=1.0, seed=0, with_none=True):
    """lucid and torch parameters with equal random gradients (one without a gradient)."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for k, shape in enumerate(SHAPES):
        value = np.asarray(rng.standard_normal(shape), dtype=dtype)
        p, q = nn.Parameter(lucid.Tensor(value)), torch.nn.Parameter(torch.tensor(value))
        if not (with_none and k == 1):
            grad = np.asarray(rng.standard_normal(shape) * scale, dtype=dtype)
            p.grad, q.grad = grad.copy(), torch.tensor(grad)
        ours.append(p)
        theirs.append(q)
    return ours, theirs


def _same_grads(ours, theirs):
    for p, q in zip(ours, theirs):
        if q.grad is None:
            assert p.grad is None
        else:
            assert p.grad.dtype == q.grad.numpy().dtype
            assert_close(p.grad, q.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm,scale", [(1.0, 1.0), (10.0, 0.1), (0.0, 1.0)])
def test_clip_grad_norm_matches_torch(float_dtype, norm_type, max_norm, scale):
    ours, theirs = _pairs(float_dtype, scale)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    want = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, lucid.Tensor) and total.shape == () and not total.requires_grad
    assert total.dtype == want.numpy().dtype
    assert_close(total.data, want.numpy())
    _same_grads(ours, theirs)


@pytest.mark.torch
def test_clip_grad_norm_of_one_tensor_a_generator_and_nothing(float_dtype):
    ours, theirs = _pairs(float_dtype, 3.0)
    assert_close(clip_grad_norm_(ours[0], 0.5).data,
                 torch.nn.utils.clip_grad_norm_(theirs[0], 0.5).numpy())
    _same_grads(ours, theirs)
    assert_close(clip_grad_norm_((p for p in ours), 0.1).data,
                 torch.nn.utils.clip_grad_norm_((q for q in theirs), 0.1).numpy())
    _same_grads(ours, theirs)
    none = clip_grad_norm_([nn.Parameter(lucid.zeros(2))], 1.0)
    assert none.dtype == np.float32 and none.item() == 0.0


def test_clip_grad_norm_loop_oracle():
    """N = (sum over all elements of |g|^p)^(1/p); every gradient times min(1, m/(N+1e-6))."""
    rng = np.random.default_rng(4)
    params = [nn.Parameter(lucid.Tensor(rng.standard_normal(s))) for s in [(2, 3), (4,)]]
    grads = [rng.standard_normal(p.shape) * 5 for p in params]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    p_norm = 3.0
    total = 0.0
    for g in grads:
        for value in g.ravel():
            total += abs(value) ** p_norm
    total **= 1 / p_norm
    got = clip_grad_norm_(params, 2.0, norm_type=p_norm)
    assert abs(got.item() - total) < 1e-12 * total
    factor = 2.0 / (total + 1e-6)
    for p, g in zip(params, grads):
        for i, value in enumerate(g.ravel()):
            assert abs(p.grad.ravel()[i] - value * factor) < 1e-12


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_two_norm_sums_the_squares_of_the_values_themselves(dtype):
    """For p = 2 the norm is ``sqrt(dot(g, g))``, with no array of ``|g|`` first: the
    same bits as ``sqrt(dot(|g|, |g|))`` (each square is the same number), negative
    values, signed zeros and a strided gradient included; against float64 loops; and a
    NaN or an infinity in a gradient gives that norm."""
    rng = np.random.default_rng(5)
    grads = [rng.standard_normal((300, 7)).astype(dtype) * 3,
             -np.abs(rng.standard_normal(1001)).astype(dtype),
             np.array([0.0, -0.0, 2.5], dtype=dtype),
             rng.standard_normal((40, 6)).astype(dtype)[:, ::2]]
    params = [nn.Parameter(lucid.Tensor(np.zeros(g.shape, dtype))) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g                     # the strided one as it is (a factor of 1 below)
    assert not params[-1].grad.flags.c_contiguous
    magnitudes = [np.abs(g.ravel()) for g in grads]
    norms = np.array([np.sqrt(np.dot(m, m)) for m in magnitudes], dtype=dtype)
    expected = np.sqrt(np.dot(norms, norms))
    got = clip_grad_norm_(params, 1e9)
    assert got.data.tobytes() == np.asarray(expected, dtype=dtype).tobytes()
    exact = math.sqrt(sum(float(v) ** 2 for g in grads for v in g.ravel()))
    assert abs(got.item() - exact) <= (1e-5 if dtype == np.float32 else 1e-12) * exact
    for bad in (np.nan, np.inf):
        p = nn.Parameter(lucid.Tensor(np.zeros(3, dtype)))
        p.grad = np.array([1.0, bad, -2.0], dtype=dtype)
        total = clip_grad_norm_(p, 1.0).item()
        assert total == bad or (np.isnan(bad) and np.isnan(total))


def test_clipping_is_in_place_and_noted():
    p = nn.Parameter(lucid.Tensor(np.zeros(3)))
    grad = np.array([3.0, 4.0, 0.0])
    p.grad = grad
    writes = inplace.state.writes
    clip_grad_norm_([p], 1.0)
    assert p.grad is grad and abs(np.linalg.norm(grad) - 1.0) < 1e-6
    assert inplace.state.writes == writes + 1
    clip_grad_value_(p, 0.5)
    assert p.grad is grad and grad.max() == 0.5
    assert inplace.state.writes == writes + 2


def test_a_factor_of_one_leaves_the_gradients_alone():
    """Under ``max_norm`` the factor is exactly 1: the gradients keep every bit (signed
    zeros, NaN-free values, subnormals) without a pass or a noted write; just above,
    they are scaled and the write is noted."""
    p = nn.Parameter(lucid.Tensor(np.zeros(4, np.float32)))
    grad = np.array([-0.0, 1e-40, -3.0, 4.0], np.float32)
    before = grad.tobytes()
    p.grad = grad
    writes = inplace.state.writes
    assert clip_grad_norm_(p, 6.0).item() == 5.0
    assert p.grad is grad and grad.tobytes() == before
    assert inplace.state.writes == writes
    clip_grad_norm_(p, 4.0)
    assert grad.tobytes() != before and inplace.state.writes == writes + 1
    np.testing.assert_allclose(grad, np.array([0, 0, -3, 4], np.float32) * (4.0 / (5 + 1e-6)),
                               rtol=1e-6, atol=1e-30)


def test_error_if_nonfinite():
    p = nn.Parameter(lucid.Tensor(np.zeros(2)))
    p.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match=r"clip_grad_norm_: the total norm of order 2.0 "
                                           r"of the gradients is inf"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad, [np.inf, 1.0])             # unchanged
    assert clip_grad_norm_(p, 1.0).item() == np.inf
    np.testing.assert_array_equal(p.grad, [np.nan, 0.0])             # as torch: inf * 0


@pytest.mark.torch
@pytest.mark.parametrize("clip_value", [0.0, 0.3, 2.0])
def test_clip_grad_value_matches_torch(float_dtype, clip_value):
    ours, theirs = _pairs(float_dtype)
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    _same_grads(ours, theirs)


def test_clip_grad_value_loop_oracle():
    g = np.random.default_rng(5).standard_normal(20) * 3
    p = nn.Parameter(lucid.Tensor(np.zeros(20)))
    p.grad = g.copy()
    clip_grad_value_([p], 1.5, foreach=False)
    for i in range(20):
        assert p.grad[i] == min(max(g[i], -1.5), 1.5)


@pytest.mark.parametrize("call,error,message", [
    (lambda p: clip_grad_norm_(5, 1.0), TypeError,
     "clip_grad_norm_: parameters must be a Tensor or an iterable of Tensors (such as "
     "model.parameters()); got int"),
    (lambda p: clip_grad_norm_([p, np.zeros(2)], 1.0), TypeError,
     "clip_grad_norm_: parameters must hold Tensors only; item 1 is a ndarray"),
    (lambda p: clip_grad_norm_([p], -1.0), ValueError,
     "clip_grad_norm_: max_norm must be a number >= 0.0; got -1.0"),
    (lambda p: clip_grad_norm_([p], "1"), TypeError,
     "clip_grad_norm_: max_norm must be a real number; got '1'"),
    (lambda p: clip_grad_norm_([p], 1.0, norm_type=0), ValueError,
     "clip_grad_norm_: norm_type must be a number > 0.0; got 0"),
    (lambda p: clip_grad_norm_([p], 1.0, norm_type="two"), TypeError,
     "clip_grad_norm_: norm_type must be a positive number or math.inf; got 'two'"),
    (lambda p: clip_grad_norm_([p], 1.0, error_if_nonfinite=1), TypeError,
     "clip_grad_norm_: error_if_nonfinite must be a bool; got 1"),
    (lambda p: clip_grad_norm_([p], 1.0, foreach="yes"), TypeError,
     "clip_grad_norm_: foreach must be True, False or None; got 'yes'"),
    (lambda p: clip_grad_value_([p], -0.1), ValueError,
     "clip_grad_value_: clip_value must be a number >= 0.0; got -0.1"),
    (lambda p: clip_grad_value_([p], math.inf), ValueError,
     "clip_grad_value_: clip_value must be a number >= 0.0; got inf"),
    (lambda p: clip_grad_value_(None, 1.0), TypeError,
     "clip_grad_value_: parameters must be a Tensor or an iterable of Tensors"),
])
def test_bad_inputs_change_nothing(call, error, message):
    p = nn.Parameter(lucid.Tensor(np.zeros(2)))
    p.grad = np.array([3.0, -4.0])
    with pytest.raises(error, match=re.escape(message)):
        call(p)
    np.testing.assert_array_equal(p.grad, [3.0, -4.0])
