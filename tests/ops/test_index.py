"""Indexing: getitem (basic and advanced, both scatter twins), setitem, where, masked_fill."""
import numpy as np
import pytest

import lucid
from tests.helpers import assert_close, torch, torch_parity
from tests.helpers import gradcheck

needs_torch = pytest.mark.torch


def _data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


MASK_ROWS = np.array([True, False, True])
MASK_LAST = np.array([False, True, True, False])
MASK_ALL = np.random.default_rng(7).random((3, 4)) > 0.5

# (id, index) on a tensor of shape (3, 4): the same index goes to lucid and torch
BASIC = [
    ("int", 1),
    ("neg-int", -1),
    ("slice", slice(1, None)),
    ("slice-step", (slice(None), slice(None, None, 2))),
    ("row-col", (2, -3)),
    ("col", (slice(None), 0)),
    ("ellipsis", (Ellipsis, 1)),
    ("none", (None, 0)),
    ("none-mid", (slice(None), None, slice(1, 3))),
    ("empty-slice", slice(2, 1)),
]
ADVANCED = [
    ("list-repeats", [0, 2, 0, 0]),
    ("list-2d", [[0, 1], [1, 1]]),
    ("neg-list", [-1, -3, -1]),
    ("cols-repeats", (slice(None), [3, 0, 3])),
    ("ellipsis-list", (Ellipsis, [1, 1])),
    ("pairs", ([1, 0, 1], [3, 3, 3])),
    ("pairs-broadcast", ([[0], [2]], [1, 2, 1])),
    ("mask-rows", MASK_ROWS),
    ("mask-cols", (slice(None), MASK_LAST)),
    ("mask-all", MASK_ALL),
    ("mask-and-list", (MASK_ROWS, [0, 3])),
    ("int-and-list", (1, [0, 2, 2])),
    ("slice-and-list", (slice(1, None), [0, 2])),
    ("list-and-slice", ([2, 0, 2], slice(None, 2))),
    ("none-and-list", (None, [1, 1])),
    ("empty-list", []),
]
ADVANCED_3D = [  # on a tensor of shape (2, 3, 4): where the advanced axes land
    ("apart", ([1, 0], slice(None), [1, 3])),
    ("int-slice-list", (0, slice(None), [1, 2])),          # PyTorch: (3, 2); NumPy: (2, 3)
    ("int-none-list", (0, None, [1, 1])),
    ("list-int-list", ([0, 1], 0, [1, 2])),
    ("mixed", (1, [0, 2], slice(1, 3))),
    ("tensor-index", (slice(None), "tensor")),
]


def _torch_index(index):
    """The same index for torch: arrays and lists become torch tensors (a nested list
    is an index array, as in NumPy and as PyTorch reads it from 2.9 on, not a tuple)."""
    if isinstance(index, tuple):
        return tuple(_torch_index(i) for i in index)
    if isinstance(index, list):
        return torch.tensor(index, dtype=torch.int64)
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index)
    if isinstance(index, lucid.Tensor):
        return torch.from_numpy(index.data)
    return index


def _lucid_index(index):
    if isinstance(index, tuple):
        return tuple(_lucid_index(i) for i in index)
    if isinstance(index, str):
        return lucid.Tensor([2, 0, 2])            # an int64 Tensor as an index
    return index


def _check(shape, index, dtype):
    lidx = _lucid_index(index)
    tidx = _torch_index(lidx)
    torch_parity(lambda x: x[lidx], lambda x: x[tidx], [_data(shape, dtype)])


@needs_torch
@pytest.mark.parametrize("index", [c[1] for c in BASIC], ids=[c[0] for c in BASIC])
def test_basic_index_matches_torch(index, float_dtype):
    _check((3, 4), index, float_dtype)


@needs_torch
@pytest.mark.parametrize("index", [c[1] for c in ADVANCED], ids=[c[0] for c in ADVANCED])
def test_advanced_index_matches_torch_on_both_twins(index, float_dtype, twin):
    _check((3, 4), index, float_dtype)


@needs_torch
@pytest.mark.parametrize("index", [c[1] for c in ADVANCED_3D], ids=[c[0] for c in ADVANCED_3D])
def test_mixed_index_matches_torch_on_both_twins(index, float_dtype, twin):
    _check((2, 3, 4), index, float_dtype)


@pytest.mark.parametrize("index", [c[1] for c in BASIC + ADVANCED], ids=[c[0] for c in BASIC + ADVANCED])
def test_getitem_gradcheck(index):
    x = lucid.Tensor(_data((3, 4), np.float64), requires_grad=True)
    assert gradcheck(lambda t: t[index], [x])


def test_repeated_index_accumulates_by_hand(twin):
    x = lucid.Tensor(np.zeros((3, 2)), requires_grad=True)
    seed = np.arange(8.0).reshape(4, 2)
    x[[2, 0, 2, 2]].backward(seed)
    assert_close(x.grad, np.array([[2.0, 3.0], [0.0, 0.0], [0 + 4 + 6, 1 + 5 + 7]]))
    # one element read three times through a general (flat-position) index
    y = lucid.Tensor(np.zeros((2, 2)), requires_grad=True)
    y[[1, 1, 1], [0, 0, 0]].backward(np.array([1.0, 2.0, 4.0]))
    assert_close(y.grad, np.array([[0.0, 0.0], [7.0, 0.0]]))


@pytest.mark.parametrize("index, k", [([2, 0, 2], 4), ((slice(None), [1, 1]), 3), (([0, 2], [1, 3]), 1)],
                         ids=["rows", "one-axis", "flat"])
def test_advanced_backward_runs_the_scatter_kernel(monkeypatch, index, k):
    """The gradient goes through the active scatter twin, in rows of K numbers."""
    calls = []
    reference = lucid._ext._reference["scatter"]
    real = reference.scatter_add

    def spy(target, idx, values):
        calls.append((target.shape[1], idx.dtype, values.flags.c_contiguous))
        return real(target, idx, values)

    monkeypatch.setattr(reference, "scatter_add", spy)
    with lucid.kernels.use("reference"):
        x = lucid.Tensor(_data((3, 4), np.float32), requires_grad=True)
        x[index].sum().backward()
    assert calls == [(k, np.dtype(np.int64), True)]


def test_negative_step_follows_numpy():
    data = _data((4, 3), np.float64)
    x = lucid.Tensor(data, requires_grad=True)
    y = x[::-2, 1]
    assert_close(y, data[::-2, 1])
    y.backward(np.array([1.0, 2.0]))
    expected = np.zeros((4, 3))
    expected[[3, 1], 1] = [1.0, 2.0]
    assert_close(x.grad, expected)


def test_getitem_keeps_dtype_and_int_tensors():
    x = lucid.Tensor([[1, 2, 3], [4, 5, 6]])
    y = x[[1, 0], 1:]
    assert_close(y, np.array([[5, 6], [2, 3]]))
    assert not y.requires_grad
    z = lucid.Tensor(_data((2, 3), np.float32), requires_grad=True)[lucid.Tensor([1])]
    assert z.dtype == np.float32


def test_iteration_and_scalar_index():
    x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert len(rows) == 2 and rows[1].shape == (2,)
    assert x[1, 0].item() == 3.0
    assert x[np.int64(1), lucid.Tensor(0)].shape == ()


# ---------------------------------------------------------------- getitem errors
X = lucid.Tensor(np.zeros((2, 3), dtype=np.float32))

BAD_INDEX = [
    ((0, 3), IndexError, r"getitem: index 3 is out of range for axis 1 with size 3"),
    (-3, IndexError, r"getitem: index -3 is out of range for axis 0 with size 2"),
    ((slice(None), [0, 5]), IndexError, r"getitem: index 5 is out of range for axis 1 with size 3"),
    ([[0, -4]], IndexError, r"getitem: index -4 is out of range for axis 0 with size 2"),
    ((0, 0, 0), IndexError, r"getitem: too many indices for a tensor of shape \(2, 3\)"),
    (np.array([True, False, True]), IndexError,
     r"getitem: the boolean mask has shape \(3,\) but the indexed axes \(0,\) .* shape \(2,\)"),
    ((slice(None), np.ones((2,), dtype=bool)), IndexError,
     r"mask has shape \(2,\) but the indexed axes \(1,\) of the tensor have shape \(3,\)"),
    (([0, 1], [0, 1, 2]), IndexError, r"getitem: the index arrays could not be broadcast together; .*\(2,\), \(3,\)"),
    ((Ellipsis, 0, Ellipsis), IndexError, r"getitem: an index can only have a single ellipsis"),
    (1.0, TypeError, r"getitem: an index must be an int, slice"),
    ("a", TypeError, r"getitem: an index must be an int, slice"),
    (np.array([0.0, 1.0]), TypeError, r"getitem: index arrays must hold integers or bools; got dtype float64"),
    (lucid.Tensor([0.0]), TypeError, r"getitem: index arrays must hold integers or bools; got dtype float32"),
    ([[0, 1], [0]], TypeError, r"getitem: an index list must be rectangular"),
    (slice(0, 2, 0), ValueError, r"getitem: slice step cannot be zero"),
    (slice(0.5, 2), TypeError, r"getitem: slice bounds must be ints or None"),
]


@pytest.mark.parametrize("index, exc, match", BAD_INDEX, ids=[f"bad{i}" for i in range(len(BAD_INDEX))])
def test_getitem_bad_index(index, exc, match):
    with pytest.raises(exc, match=match):
        X[index]


# ------------------------------------------------------------------------ setitem
SET_CASES = [
    ("int", 1, 5.0),
    ("slice-broadcast", (slice(None), 1), [1.0, 2.0, 3.0]),
    ("list", [0, 2], [[1.0, 2.0, 3.0, 4.0]]),
    ("mask", MASK_ALL, 9.0),
    ("torch-order", (0, slice(None), [1, 2]), np.arange(6.0).reshape(2, 3).T.copy()),
    ("ellipsis", (Ellipsis, 0), [7.0, 8.0, 9.0]),
]


@needs_torch
@pytest.mark.parametrize("index, value", [c[1:] for c in SET_CASES], ids=[c[0] for c in SET_CASES])
def test_setitem_matches_torch(index, value):
    shape = (2, 3, 4) if isinstance(index, tuple) and len(index) == 3 else (3, 4)
    if isinstance(index, tuple) and index[0] is Ellipsis:
        shape = (3, 2)
    data = _data(shape, np.float64)
    x, t = lucid.Tensor(data), torch.tensor(data)
    x[index] = lucid.Tensor(np.asarray(value, dtype=np.float64))
    t[_torch_index(index)] = torch.tensor(np.asarray(value, dtype=np.float64))
    assert_close(x, t.numpy())


def test_setitem_in_no_grad_and_last_write_wins():
    w = lucid.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with lucid.no_grad():
        w[[0, 0]] = lucid.Tensor([5.0, 6.0])
    assert_close(w, np.array([6.0, 2.0, 3.0], dtype=np.float32))
    assert w.requires_grad


def test_setitem_casts_to_the_tensor_dtype():
    x = lucid.Tensor([1, 2, 3])
    x[1] = 7.9
    assert_close(x, np.array([1, 7, 3]))


def test_setitem_writes_through_basic_step_when_it_is_all_ints():
    x = lucid.Tensor(np.zeros(3))
    x[1, True] = 4.0                       # the basic step alone would be a scalar
    assert_close(x, np.array([0.0, 4.0, 0.0]))


BAD_SET = [
    (lambda: X.__setitem__((0, slice(None)), lucid.Tensor([1.0, 2.0])), ValueError,
     r"setitem: value of shape \(2,\) cannot be broadcast to the indexed shape \(3,\)"),
    (lambda: X.__setitem__(5, 0.0), IndexError, r"setitem: index 5 is out of range for axis 0 with size 2"),
    (lambda: X.__setitem__(0.5, 0.0), TypeError, r"setitem: an index must be"),
    (lambda: lucid.Tensor([1.0], requires_grad=True).__setitem__(0, 2.0), RuntimeError,
     r"setitem: a leaf tensor that requires grad is being used in an in-place operation"),
    (lambda: lucid.broadcast_to(lucid.Tensor([1.0]), (3,)).__setitem__(0, 2.0), ValueError,
     r"setitem: this tensor is a read-only view"),
]


@pytest.mark.parametrize("call, exc, match", BAD_SET, ids=[f"bad{i}" for i in range(len(BAD_SET))])
def test_setitem_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_setitem_failure_leaves_tensor_unchanged():
    x = lucid.Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        x[0] = np.ones(4)
    assert_close(x, np.zeros((2, 3)))


# -------------------------------------------------------------------------- where
@needs_torch
@pytest.mark.parametrize("cshape, ashape, bshape", [
    ((3, 4), (3, 4), (3, 4)),
    ((3, 1), (1, 4), (3, 4)),
    ((4,), (3, 1), (1,)),
    ((2, 3, 4), (4,), (3, 4)),
])
def test_where_matches_torch(cshape, ashape, bshape, float_dtype):
    cond = np.random.default_rng(2).random(cshape) > 0.4
    torch_parity(lambda a, b: lucid.where(lucid.Tensor(cond), a, b),
                 lambda a, b: torch.where(torch.from_numpy(cond), a, b),
                 [_data(ashape, float_dtype, 0), _data(bshape, float_dtype, 1)])


@needs_torch
def test_where_with_a_number_keeps_dtype(float_dtype):
    cond = np.array([True, False, True])
    out = torch_parity(lambda a: lucid.where(cond, a, 0), lambda a: torch.where(torch.from_numpy(cond), a, 0.0),
                       [_data((3,), float_dtype)])
    assert out.dtype == float_dtype


def test_where_condition_read_as_bools_and_numbers_only():
    out = lucid.where(lucid.Tensor([0, 2, -1]), 1.0, 2.0)
    assert_close(out, np.array([2.0, 1.0, 1.0], dtype=np.float32))


def test_where_gradcheck():
    cond = np.random.default_rng(2).random((3, 1)) > 0.4
    a = lucid.Tensor(_data((1, 4), np.float64), requires_grad=True)
    b = lucid.Tensor(_data((3, 4), np.float64, 1), requires_grad=True)
    assert gradcheck(lambda a, b: lucid.where(cond, a, b), [a, b])


def test_where_bad_shapes():
    with pytest.raises(ValueError, match=r"where: shapes of condition \(2,\), input_ \(3,\) and other \(\) cannot be broadcast"):
        lucid.where(np.array([True, False]), lucid.Tensor([1.0, 2.0, 3.0]), 0.0)


# -------------------------------------------------------------------- masked_fill
@needs_torch
@pytest.mark.parametrize("mshape", [(3, 4), (4,), (3, 1), ()])
def test_masked_fill_matches_torch(mshape, float_dtype):
    mask = np.asarray(np.random.default_rng(4).random(mshape) > 0.5)
    torch_parity(lambda x: x.masked_fill(lucid.Tensor(mask), -2.5),
                 lambda x: x.masked_fill(torch.from_numpy(mask), -2.5),
                 [_data((3, 4), float_dtype)])


def test_masked_fill_gradcheck_and_tensor_value():
    mask = np.random.default_rng(4).random((3, 1)) > 0.5
    x = lucid.Tensor(_data((3, 4), np.float64), requires_grad=True)
    assert gradcheck(lambda t: lucid.masked_fill(t, mask, lucid.Tensor(1.5)), [x])
    y = lucid.masked_fill(lucid.Tensor([1, 2]), np.array([True, False]), 7)
    assert_close(y, np.array([7, 2]))


BAD_FILL = [
    (lambda: lucid.masked_fill(X, np.array([1, 0, 1]), 0.0), TypeError, r"masked_fill: mask must be a bool tensor; got dtype int64"),
    (lambda: lucid.masked_fill(X, np.ones((2, 2), dtype=bool), 0.0), ValueError,
     r"masked_fill: mask of shape \(2, 2\) does not broadcast to the input's shape \(2, 3\)"),
    (lambda: lucid.masked_fill(lucid.Tensor([1.0, 2.0]), np.ones((3, 2), dtype=bool), 0.0), ValueError,
     r"masked_fill: mask of shape \(3, 2\) does not broadcast to the input's shape \(2,\)"),
    (lambda: lucid.masked_fill(X, np.ones(3, dtype=bool), "a"), TypeError, r"masked_fill: value must be a number"),
    (lambda: lucid.masked_fill(X, np.ones(3, dtype=bool), lucid.Tensor([1.0, 2.0])), TypeError,
     r"masked_fill: value must be a number or a one-element tensor"),
    (lambda: lucid.masked_fill(X, np.ones(3, dtype=bool), lucid.Tensor(1.0, requires_grad=True)), TypeError,
     r"that requires grad"),
]


@pytest.mark.parametrize("call, exc, match", BAD_FILL, ids=[f"bad{i}" for i in range(len(BAD_FILL))])
def test_masked_fill_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
