"""gather, scatter, scatter_add, index_select: values and gradients against PyTorch
(float32 and float64), gradcheck in float64, repeated indices, both scatter-kernel twins,
the Tensor methods, and every bad argument."""
import numpy as np
import pytest

import lucid
from helpers import torch_parity
from lucid.testing import assert_close, gradcheck

KERNEL_FAMILIES = ("scatter",)       # the backward of gather and scatter_add run it

# (input shape, axis, index shape): index no larger than the input off the axis
_CASES = [
    ((4, 5), 0, (3, 5)),
    ((4, 5), 1, (4, 7)),             # more picks than the axis is long: repeats
    ((4, 5), -1, (2, 3)),            # smaller than the input off the axis
    ((3, 4, 5), 1, (3, 6, 2)),
    ((6,), 0, (9,)),
]


def _index(rng, shape, axis, index_shape):
    n = shape[axis]
    return rng.integers(0, n, size=index_shape).astype(np.int64)


@pytest.mark.parametrize("shape, axis, index_shape", _CASES)
def test_gather_matches_torch(torch, twin, float_dtype, rng, shape, axis, index_shape):
    x = rng.standard_normal(shape).astype(float_dtype)
    index = _index(rng, shape, axis, index_shape)
    torch_parity(lambda t: lucid.gather(t, axis, index),
                 lambda t: torch.gather(t, axis, torch.tensor(index)), [x])
    torch_parity(lambda t: t.gather(dim=axis, index=lucid.Tensor(index)),
                 lambda t: t.gather(axis, torch.tensor(index)), [x])


@pytest.mark.parametrize("shape, axis, index_shape", _CASES)
def test_scatter_add_matches_torch(torch, twin, float_dtype, rng, shape, axis, index_shape):
    x = rng.standard_normal(shape).astype(float_dtype)
    index = _index(rng, shape, axis, index_shape)
    src = rng.standard_normal(index_shape).astype(float_dtype)
    torch_parity(lambda a, s: lucid.scatter_add(a, axis, index, s),
                 lambda a, s: torch.scatter_add(a, axis, torch.tensor(index), s), [x, src])


def test_a_src_larger_than_index_uses_its_leading_block(rng):
    # loop oracle (torch 2.13's backward refuses a larger src, its forward accepts it)
    x = rng.standard_normal((3, 4))
    index = rng.integers(0, 4, size=(2, 3))
    src = lucid.Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    y = lucid.scatter_add(x, 1, index, src)
    expected = x.copy()
    for i in range(2):
        for j in range(3):
            expected[i, index[i, j]] += src.data[i, j]
    assert_close(y, expected)
    seed = rng.standard_normal((3, 4))
    y.backward(seed)
    grad = np.zeros((3, 5))
    for i in range(2):
        for j in range(3):
            grad[i, j] = seed[i, index[i, j]]
    assert_close(src.grad, grad)


@pytest.mark.parametrize("shape, axis, index_shape", _CASES)
def test_scatter_matches_torch(torch, float_dtype, rng, shape, axis, index_shape):
    # distinct indices along the axis: with repeats PyTorch leaves the winner unspecified
    x = rng.standard_normal(shape).astype(float_dtype)
    n = shape[axis]
    k = min(n, index_shape[axis % len(shape)])
    index_shape = tuple(k if d == axis % len(shape) else m for d, m in enumerate(index_shape))
    perm = np.argsort(rng.random(tuple(n if d == axis % len(shape) else m
                                       for d, m in enumerate(index_shape))), axis=axis)
    index = np.take(perm, np.arange(k), axis=axis).astype(np.int64)
    src = rng.standard_normal(index_shape).astype(float_dtype)
    torch_parity(lambda a, s: lucid.scatter(a, axis, index, s),
                 lambda a, s: torch.scatter(a, axis, torch.tensor(index), s), [x, src])
    torch_parity(lambda a: a.scatter(axis, index, 2.5),
                 lambda a: a.scatter(axis, torch.tensor(index), 2.5), [x])


def test_scatter_gradients_follow_torch_with_repeated_indices(torch):
    # PyTorch's formulas: every src entry gets the gradient of where it was written, and
    # the written places of x get none, also when one place is written twice
    x = np.arange(6.0).reshape(2, 3)
    index = np.array([[1, 1], [0, 2]])
    src = np.array([[10.0, 20.0], [30.0, 40.0]])
    xl, sl = lucid.Tensor(x, requires_grad=True), lucid.Tensor(src, requires_grad=True)
    xt, st = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
    seed = np.arange(1.0, 7.0).reshape(2, 3)
    lucid.scatter(xl, 1, index, sl).backward(seed)
    torch.scatter(xt, 1, torch.tensor(index), st).backward(torch.tensor(seed))
    assert_close(xl.grad, xt.grad.numpy())
    assert_close(sl.grad, st.grad.numpy())


@pytest.mark.parametrize("shape, axis, n", [((4, 5), 0, 6), ((4, 5), 1, 3), ((2, 3, 4), -1, 5),
                                            ((7,), 0, 0)])
def test_index_select_matches_torch(torch, twin, float_dtype, rng, shape, axis, n):
    x = rng.standard_normal(shape).astype(float_dtype)
    index = rng.integers(0, shape[axis], size=n).astype(np.int64)
    torch_parity(lambda t: lucid.index_select(t, axis, index),
                 lambda t: torch.index_select(t, axis, torch.tensor(index)), [x])


def test_gradcheck(rng, twin):
    x = lucid.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    src = lucid.Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    index = rng.integers(0, 4, size=(3, 5))
    rows = rng.integers(0, 3, size=(2, 4))
    assert gradcheck(lambda a: lucid.gather(a, 1, index), [x])
    assert gradcheck(lambda a, s: lucid.scatter_add(a, 1, index, s), [x, src])
    assert gradcheck(lambda a: lucid.index_select(a, 0, [2, 0, 2]), [x])
    distinct = np.array([[3, 0], [1, 2], [0, 3]])
    assert gradcheck(lambda a, s: lucid.scatter(a, 1, distinct, s), [x, src])
    assert gradcheck(lambda a: lucid.gather(a, 0, rows), [x])


def test_repeated_gather_adds_up_and_scatter_add_counts():
    x = lucid.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = lucid.gather(x, 0, [2, 2, 0, 2])
    assert y.tolist() == [3.0, 3.0, 1.0, 3.0]
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0]         # a loop oracle: picks per element
    counts = lucid.scatter_add(lucid.zeros(4, dtype=lucid.Int64), 0, [1, 1, 3, 1],
                               lucid.ones(4, dtype=lucid.Int64))
    assert counts.dtype == np.int64 and counts.tolist() == [0, 3, 0, 1]


def test_zero_d_and_integer_inputs():
    s = lucid.Tensor(5.0, requires_grad=True)
    y = lucid.gather(s, 0, np.array(0))
    assert y.shape == () and y.item() == 5.0
    y.backward()
    assert s.grad.tolist() == 1.0
    ints = lucid.Tensor([[1, 2], [3, 4]])
    assert lucid.gather(ints, 1, [[1, 1], [0, 1]]).tolist() == [[2, 2], [3, 4]]
    assert lucid.scatter(ints, 0, [[1, 0]], lucid.Tensor([[9.7, 8.2]])).tolist() == [[1, 8], [9, 4]]


@pytest.mark.parametrize("call, error, message", [
    (lambda x: lucid.gather(x, 1, [[0.5, 1.0]]), TypeError, r"^gather: index must be a tensor of integers; got dtype float64"),
    (lambda x: lucid.gather(x, 1, [[True, False]]), TypeError, r"^gather: index must be a tensor of integers; got dtype bool"),
    (lambda x: lucid.gather(x, 1, [0, 1]), ValueError, r"^gather: index must have as many axes as the input \(2\); got shape \(2,\)"),
    (lambda x: lucid.gather(x, 1, [[0], [1], [2], [0]]), ValueError, r"^gather: index of shape \(4, 1\) does not fit input_ of shape \(3, 4\) \(axis 0: 4 > 3\)"),
    (lambda x: lucid.gather(x, 1, [[4]]), ValueError, r"^gather: index 4 is out of range for axis 1 of size 4 \(valid: 0 to 3\)"),
    (lambda x: lucid.gather(x, 1, [[-1]]), ValueError, r"^gather: index -1 is out of range"),
    (lambda x: lucid.gather(x, 2, [[0]]), ValueError, r"^gather: axis 2 is out of range for a tensor with ndim 2"),
    (lambda x: lucid.gather(x, (0, 1), [[0]]), TypeError, r"^gather: axis must be one int"),
    (lambda x: lucid.gather(x, 1, [[0]], dim=1), TypeError, r"^gather: got both axis= and dim="),
    (lambda x: lucid.scatter(x, 0, [[0, 1]], lucid.ones(3)), ValueError, r"^scatter: src must have as many axes as index \(2\); got shape \(3,\)"),
    (lambda x: lucid.scatter_add(x, 0, [[0, 1, 2]], lucid.ones((1, 2))), ValueError, r"^scatter_add: index of shape \(1, 3\) does not fit src of shape \(1, 2\)"),
    (lambda x: lucid.scatter(x, 0, [[0]], "a"), TypeError, r"^Tensor: data must be numbers"),
    (lambda x: lucid.index_select(x, 0, [[0]]), ValueError, r"^index_select: index must be 1-d; got shape \(1, 1\)"),
    (lambda x: lucid.index_select(x, 0, [3]), ValueError, r"^index_select: index 3 is out of range for axis 0 of size 3"),
    (lambda x: lucid.index_select(lucid.Tensor(1.0), 0, [0]), ValueError, r"^index_select: input_ must have at least one axis"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(lucid.zeros((3, 4)))
