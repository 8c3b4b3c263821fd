"""Products: matmul, dot, inner, outer, tensordot — values and gradients against
PyTorch, gradcheck in float64, dtypes, and the shape errors raised before NumPy."""
import re

import numpy as np
import pytest

import lucid
from helpers import torch_parity
from lucid.testing import assert_close, gradcheck


def _pair(rng, dtype, shape_a, shape_b):
    return [rng.standard_normal(shape_a).astype(dtype), rng.standard_normal(shape_b).astype(dtype)]


# ---------------------------------------------------------------------- matmul
_MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),            # 1-D a: a row, dropped from the result
    ((3, 4), (4,)),            # 1-D b: a column, dropped
    ((4,), (4,)),              # vector . vector -> 0-d
    ((2, 3, 4), (4, 5)),       # one matrix b shared by the batch
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 5)),
    ((3, 4), (2, 4, 5)),       # one matrix a shared by the batch
    ((2, 1, 3, 4), (5, 4, 2)),  # batch broadcasting on both sides
    ((1, 3, 4), (6, 4, 2)),
    ((2, 3, 0), (0, 5)),       # empty contraction: zeros
]


@pytest.mark.parametrize("shape_a, shape_b", _MATMUL_SHAPES)
def test_matmul_matches_torch(torch, float_dtype, rng, shape_a, shape_b):
    out = torch_parity(lucid.matmul, torch.matmul, _pair(rng, float_dtype, shape_a, shape_b))
    assert out.dtype == float_dtype


def test_matmul_operator_and_method(rng):
    a, b = _pair(rng, np.float64, (2, 3), (3, 4))
    assert_close(lucid.Tensor(a) @ lucid.Tensor(b), a @ b)
    assert_close(lucid.Tensor(a).matmul(lucid.Tensor(b)), a @ b)


@pytest.mark.parametrize("shape_a, shape_b", [((2, 3), (3, 2)), ((3,), (3, 2)), ((2, 3), (3,)),
                                              ((3,), (3,)), ((2, 1, 2, 3), (3, 3, 2))])
def test_matmul_gradcheck(rng, shape_a, shape_b):
    a, b = _pair(rng, np.float64, shape_a, shape_b)
    assert gradcheck(lucid.matmul, [lucid.Tensor(a, requires_grad=True), lucid.Tensor(b, requires_grad=True)])


def test_matmul_gradient_for_one_operand_only(rng):
    a, b = _pair(rng, np.float32, (2, 3, 4), (4, 5))
    ta, tb = lucid.Tensor(a), lucid.Tensor(b, requires_grad=True)
    lucid.matmul(ta, tb).sum().backward()
    assert ta.grad is None
    # d(sum(A @ B))/dB[k, j] = sum over the batch and rows of A[..., k]
    assert_close(tb.grad, np.repeat(a.sum(axis=(0, 1))[:, None], 5, axis=1), rtol=1e-5, atol=1e-5)


def test_matmul_dtypes(rng):
    ints = np.arange(6).reshape(2, 3)
    assert_close(lucid.matmul(lucid.Tensor(ints), lucid.Tensor(ints.T)), ints @ ints.T)  # int64
    a32 = lucid.Tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    b64 = lucid.Tensor(rng.standard_normal((3,)), requires_grad=True)
    c = lucid.matmul(a32, b64)
    assert c.dtype == np.float64  # NumPy promotion
    c.sum().backward()
    assert a32.grad.dtype == np.float32 and b64.grad.dtype == np.float64


def test_matmul_shape_errors():
    a = lucid.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "matmul: a's last dimension (3) does not match b's second-to-last (4); shapes (2, 3) and (4, 5)")):
        lucid.matmul(a, lucid.Tensor(np.ones((4, 5))))
    with pytest.raises(ValueError, match=re.escape(
            "matmul: a's last dimension (3) does not match b's only dimension (4); shapes (2, 3) and (4,)")):
        lucid.matmul(a, lucid.Tensor(np.ones(4)))
    with pytest.raises(ValueError, match=re.escape("shapes (4,) and (2, 3)")):
        lucid.matmul(lucid.Tensor(np.ones(4)), a)
    with pytest.raises(ValueError, match=re.escape(
            "matmul: batch dimensions (2, 3) of a and (5,) of b cannot be broadcast: a's batch "
            "dimension 1 has size 3, b's batch dimension 0 has size 5; shapes (2, 3, 4, 2) and (5, 2, 6)")):
        lucid.matmul(lucid.Tensor(np.ones((2, 3, 4, 2))), lucid.Tensor(np.ones((5, 2, 6))))
    with pytest.raises(ValueError, match=r"^matmul: both operands must be at least 1-D"):
        lucid.matmul(lucid.Tensor(2.0), a)
    with pytest.raises(ValueError, match=r"^matmul: both operands must be at least 1-D.*\(2, 3\) and \(\)"):
        lucid.matmul(a, 2.0)


# ------------------------------------------------------------------------- dot
@pytest.mark.parametrize("shape_a, shape_b, torch_name", [
    ((4,), (4,), "dot"),
    ((3, 4), (4, 5), "mm"),
    ((3, 4), (4,), "mv"),
])
def test_dot_matches_torch(torch, float_dtype, rng, shape_a, shape_b, torch_name):
    torch_parity(lucid.dot, getattr(torch, torch_name), _pair(rng, float_dtype, shape_a, shape_b))


@pytest.mark.parametrize("shape_a, shape_b", [((2, 3, 4), (5, 4, 6)), ((2, 4), (3, 4, 2)),
                                              ((2, 3, 4), (4,)), ((4,), (3, 4, 2))])
def test_dot_higher_dims_follow_numpy(torch, float_dtype, rng, shape_a, shape_b):
    # np.dot sums a's last axis with b's second-to-last (only, for 1-D b): a tensordot
    arrays = _pair(rng, float_dtype, shape_a, shape_b)
    dims = ([len(shape_a) - 1], [max(len(shape_b) - 2, 0)])
    out = torch_parity(lucid.dot, lambda a, b: torch.tensordot(a, b, dims=dims), arrays)
    assert_close(out, np.dot(*arrays))


@pytest.mark.parametrize("shape_a, shape_b", [((), (3, 2)), ((2,), ())])
def test_dot_with_a_scalar_is_a_product(torch, float_dtype, rng, shape_a, shape_b):
    arrays = _pair(rng, float_dtype, shape_a, shape_b)
    out = torch_parity(lucid.dot, torch.mul, arrays)
    assert_close(out, np.dot(*arrays))


@pytest.mark.parametrize("shape_a, shape_b", [((3,), (3,)), ((2, 3), (3, 2)), ((2, 2, 3), (2, 3, 2))])
def test_dot_gradcheck(rng, shape_a, shape_b):
    a, b = _pair(rng, np.float64, shape_a, shape_b)
    assert gradcheck(lucid.dot, [lucid.Tensor(a, requires_grad=True), lucid.Tensor(b, requires_grad=True)])


def test_dot_method_and_shape_errors():
    a = lucid.Tensor([1.0, 2.0])
    assert lucid.Tensor([3.0, 4.0]).dot(a).item() == 11.0
    with pytest.raises(ValueError, match=re.escape(
            "dot: a's last dimension (3) does not match b's second-to-last dimension (4); shapes (2, 3) and (4, 5)")):
        lucid.dot(lucid.Tensor(np.ones((2, 3))), lucid.Tensor(np.ones((4, 5))))
    with pytest.raises(ValueError, match=re.escape(
            "dot: a's last dimension (2) does not match b's only dimension (3); shapes (2,) and (3,)")):
        lucid.dot(a, lucid.Tensor(np.ones(3)))


# ----------------------------------------------------------------------- inner
@pytest.mark.parametrize("shape_a, shape_b", [((4,), (4,)), ((2, 4), (3, 4)), ((2, 2, 4), (4,)),
                                              ((4,), (3, 2, 4)), ((), (2, 3)), ((2, 3), ())])
def test_inner_matches_torch(torch, float_dtype, rng, shape_a, shape_b):
    arrays = _pair(rng, float_dtype, shape_a, shape_b)
    out = torch_parity(lucid.inner, torch.inner, arrays)
    assert_close(out, np.asarray(np.inner(*arrays)))


def test_inner_gradcheck_and_error(rng):
    a, b = _pair(rng, np.float64, (2, 3), (4, 3))
    assert gradcheck(lucid.inner, [lucid.Tensor(a, requires_grad=True), lucid.Tensor(b, requires_grad=True)])
    with pytest.raises(ValueError, match=re.escape(
            "inner: a's last dimension (3) does not match b's last dimension (4); shapes (2, 3) and (2, 4)")):
        lucid.inner(lucid.Tensor(np.ones((2, 3))), lucid.Tensor(np.ones((2, 4))))


# ----------------------------------------------------------------------- outer
@pytest.mark.parametrize("shape_a, shape_b", [((3,), (4,)), ((1,), (2,)), ((0,), (3,))])
def test_outer_matches_torch(torch, float_dtype, rng, shape_a, shape_b):
    torch_parity(lucid.outer, torch.outer, _pair(rng, float_dtype, shape_a, shape_b))


@pytest.mark.parametrize("shape_a, shape_b", [((2, 3), (2,)), ((), (2, 2))])
def test_outer_flattens_like_numpy(torch, float_dtype, rng, shape_a, shape_b):
    arrays = _pair(rng, float_dtype, shape_a, shape_b)
    out = torch_parity(lucid.outer, lambda a, b: torch.outer(a.reshape(-1), b.reshape(-1)), arrays)
    assert_close(out, np.outer(*arrays))


def test_outer_gradcheck(rng):
    a, b = _pair(rng, np.float64, (2, 2), (3,))
    assert gradcheck(lucid.outer, [lucid.Tensor(a, requires_grad=True), lucid.Tensor(b, requires_grad=True)])


# ------------------------------------------------------------------- tensordot
_TENSORDOT_CASES = [  # (shape_a, shape_b, lucid axes, torch dims)
    ((2, 3, 4), (3, 4, 5), 2, 2),
    ((2, 3), (3, 4), 1, 1),
    ((2, 3), (4,), 0, 0),                                   # outer product
    ((3, 2, 4), (2, 3, 5), ([1, 0], [0, 1]), ([1, 0], [0, 1])),
    ((3, 2, 4), (4, 2), ([-1, 1], [0, -1]), ([2, 1], [0, 1])),
    ((2, 3), (3, 4), (1, 0), ([1], [0])),                   # a pair of single ints
    ((4, 2, 3), (5, 4), ([0], [1]), ([0], [1])),            # layouts that are 3-cycles,
    ((2, 5), (3, 4, 5), ([1], [2]), ([1], [2])),            # not their own inverse
    ((2, 3, 4), (2, 3, 4), 3, 3),                           # full contraction: 0-d
]


@pytest.mark.parametrize("shape_a, shape_b, axes, dims", _TENSORDOT_CASES)
def test_tensordot_matches_torch(torch, float_dtype, rng, shape_a, shape_b, axes, dims):
    arrays = _pair(rng, float_dtype, shape_a, shape_b)
    out = torch_parity(lambda a, b: lucid.tensordot(a, b, axes=axes),
                       lambda a, b: torch.tensordot(a, b, dims=dims), arrays)
    assert_close(out, np.tensordot(*arrays, axes=axes))


def test_tensordot_default_axes_is_two(rng):
    a, b = _pair(rng, np.float64, (2, 3, 4), (3, 4, 2))
    assert_close(lucid.tensordot(lucid.Tensor(a), lucid.Tensor(b)), np.tensordot(a, b))


@pytest.mark.parametrize("shape_a, shape_b, axes", [((2, 3, 2), (3, 2), 2), ((3, 2), (2, 3), ([0, 1], [1, 0])),
                                                    ((2,), (3,), 0), ((2, 2, 3), (3, 2), ([0, 2], [1, 0]))])
def test_tensordot_gradcheck(rng, shape_a, shape_b, axes):
    a, b = _pair(rng, np.float64, shape_a, shape_b)
    assert gradcheck(lambda x, y: lucid.tensordot(x, y, axes=axes),
                     [lucid.Tensor(a, requires_grad=True), lucid.Tensor(b, requires_grad=True)])


def test_tensordot_errors():
    a, b = lucid.Tensor(np.ones((2, 3))), lucid.Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "tensordot: a's axis 1 (3) does not match b's axis 0 (4); shapes (2, 3) and (4, 3)")):
        lucid.tensordot(a, b, axes=1)
    with pytest.raises(ValueError, match=re.escape(
            "tensordot: a's axis 0 (2) does not match b's axis 0 (4)")):
        lucid.tensordot(a, b, axes=([1, 0], [1, 0]))
    with pytest.raises(ValueError, match=r"^tensordot: axes=3 .* between 0 and min\(a.ndim, b.ndim\) = 2"):
        lucid.tensordot(a, b, axes=3)
    with pytest.raises(ValueError, match=r"^tensordot: axes=-1"):
        lucid.tensordot(a, b, axes=-1)
    with pytest.raises(ValueError, match=re.escape(
            "tensordot (axes of a): axis 2 is out of range for a tensor with ndim 2")):
        lucid.tensordot(a, b, axes=([2], [1]))
    with pytest.raises(ValueError, match=re.escape(
            "tensordot (axes of b): axis -3 is out of range for a tensor with ndim 2")):
        lucid.tensordot(a, b, axes=([1], [-3]))
    with pytest.raises(ValueError, match=re.escape("tensordot (axes of a): repeated axis in (1, -1)")):
        lucid.tensordot(a, b, axes=([1, -1], [1, 0]))
    with pytest.raises(ValueError, match=r"^tensordot: a and b must contract the same number of axes; got 2 for a and 1"):
        lucid.tensordot(a, b, axes=([0, 1], [1]))
    with pytest.raises(TypeError, match=r"^tensordot: axes must be an int or a pair"):
        lucid.tensordot(a, b, axes="ab")
    with pytest.raises(TypeError, match=r"^tensordot: axes must be an int or a pair"):
        lucid.tensordot(a, b, axes=([1], [0], [0]))
    with pytest.raises(TypeError, match=re.escape("tensordot (axes of b): axis must be an int or a tuple of ints; got 1.0")):
        lucid.tensordot(a, b, axes=([1], [1.0]))
    with pytest.raises(TypeError, match=re.escape("tensordot: the axes of a must be an int or a sequence of ints; got None")):
        lucid.tensordot(a, b, axes=(None, [1]))
    with pytest.raises(ValueError, match=re.escape("tensordot: a is 0-d and has no axis to contract; got axes (0,)")):
        lucid.tensordot(lucid.Tensor(1.0), b, axes=([0], [0]))
