"""lucid.nn.utils.rnn against PyTorch: pad_sequence, pack_padded_sequence,
pad_packed_sequence, pack_sequence, unpad/unpack_sequence (values, packed fields,
gradients), PackedSequence's checks, and every bad input."""
import numpy as np
import pytest

import lucid
from lucid.nn.utils import rnn
from lucid.nn.utils.rnn import (PackedSequence, pack_padded_sequence, pack_sequence,
                                pad_packed_sequence, pad_sequence, unpack_sequence,
                                unpad_sequence)
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch

needs_torch = pytest.mark.torch


def packed_fields(packed):
    """(batch_sizes, sorted_indices, unsorted_indices) as lists (None stays None)."""
    return [None if f is None else f.tolist() for f in packed[1:]]


def sequences(rng, lengths, trailing=(3,), dtype=np.float64):
    return [rng.standard_normal((n,) + trailing).astype(dtype) for n in lengths]


# ---------------------------------------------------------------------- pad_sequence
@needs_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (2, 3)])
def test_pad_sequence_parity(batch_first, side, trailing, float_dtype, rng):
    arrays = sequences(rng, [2, 5, 1, 5], trailing, float_dtype)
    ls = [lucid.Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    lo = pad_sequence(ls, batch_first, padding_value=-2.5, padding_side=side)
    to = torch.nn.utils.rnn.pad_sequence(ts, batch_first, padding_value=-2.5, padding_side=side)
    assert_close(lo, to.detach().numpy())
    seed = rng.standard_normal(lo.shape).astype(float_dtype)
    lo.backward(seed)
    to.backward(torch.tensor(seed))
    for a, b in zip(ls, ts):
        assert_close(a.grad, b.grad.numpy())


@needs_torch
def test_pad_sequence_of_token_ids_keeps_the_int_dtype():
    ids = [np.array([3, 1, 4]), np.array([1, 5])]
    lo = pad_sequence([lucid.Tensor(a) for a in ids], batch_first=True, padding_value=9)
    to = torch.nn.utils.rnn.pad_sequence([torch.tensor(a) for a in ids], True, 9)
    assert lo.dtype == np.int64 and lo.tolist() == to.tolist()


# ---------------------------------------------------------------------------- packing
@needs_torch
@pytest.mark.parametrize("lengths, enforce_sorted", [
    ([5, 3, 3, 1], True), ([5, 5, 5, 5], True), ([2, 5, 1, 5], False), ([3, 1, 3, 2], False),
    ([1, 1, 1, 1], False)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sequence_parity(lengths, enforce_sorted, batch_first, float_dtype, rng):
    shape = (4, 5, 3) if batch_first else (5, 4, 3)
    x = rng.standard_normal(shape).astype(float_dtype)
    lx, tx = lucid.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lp = pack_padded_sequence(lx, lengths, batch_first, enforce_sorted)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, batch_first, enforce_sorted)
    assert isinstance(lp, PackedSequence)
    assert_close(lp.data, tp.data.detach().numpy())
    assert packed_fields(lp) == packed_fields(tp)
    assert lp.batch_sizes.dtype == np.int64
    # and back: pad_packed_sequence (with a longer total_length too)
    for total in (None, 7):
        lpad, llen = pad_packed_sequence(lp, batch_first, padding_value=0.5, total_length=total)
        tpad, tlen = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first, 0.5, total)
        assert_close(lpad, tpad.detach().numpy())
        assert llen.tolist() == tlen.tolist() == lengths
    seed = rng.standard_normal(lpad.shape).astype(float_dtype)
    lpad.backward(seed)
    tpad.backward(torch.tensor(seed))
    assert_close(lx.grad, tx.grad.numpy())


@needs_torch
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_parity(enforce_sorted, rng):
    lengths = [4, 4, 2, 1] if enforce_sorted else [1, 4, 2, 4]
    arrays = sequences(rng, lengths, (2,))
    lp = pack_sequence([lucid.Tensor(a) for a in arrays], enforce_sorted)
    tp = torch.nn.utils.rnn.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted)
    assert_close(lp.data, tp.data.numpy())
    assert packed_fields(lp) == packed_fields(tp)
    for got, expected in zip(unpack_sequence(lp), torch.nn.utils.rnn.unpack_sequence(tp)):
        assert_close(got, expected.numpy())
    padded = rng.standard_normal((4, 4, 2))
    for bf in (False, True):
        got = unpad_sequence(lucid.Tensor(padded), lengths, bf)
        expected = torch.nn.utils.rnn.unpad_sequence(torch.tensor(padded),
                                                     torch.tensor(lengths), bf)
        assert [g.shape for g in got] == [tuple(e.shape) for e in expected]
        for g, e in zip(got, expected):
            assert_close(g, e.numpy())


def test_packed_layout_by_hand():
    """Step t holds x[t, sorted_indices[j]] for the batch_sizes[t] sequences still running."""
    x = np.arange(4 * 3).reshape(4, 3).astype(np.float64)   # x[t, b] = 3 t + b
    packed = pack_padded_sequence(lucid.Tensor(x), [2, 4, 1], enforce_sorted=False)
    order = packed.sorted_indices.tolist()
    assert order == [1, 0, 2] and packed.unsorted_indices.tolist() == [1, 0, 2]
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    expected = [3 * t + order[j] for t, b in enumerate([3, 2, 1, 1]) for j in range(b)]
    assert packed.data.tolist() == expected


def test_round_trip_and_gradcheck():
    rng = np.random.default_rng(0)
    x = lucid.Tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    lengths = [2, 4, 3]

    def fn(x):
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        return pad_packed_sequence(packed, padding_value=1.0)[0] * 2.0

    assert gradcheck(fn, [x])
    padded, _ = pad_packed_sequence(pack_padded_sequence(x, lengths, enforce_sorted=False))
    mask = np.arange(4)[:, None] < np.array(lengths)[None, :]
    assert_close(padded, np.where(mask[..., None], x.data, 0.0))
    seqs = [lucid.Tensor(rng.standard_normal((n, 2)), requires_grad=True) for n in (3, 1)]
    assert gradcheck(lambda a, b: pad_sequence([a, b], padding_side="left"), seqs)


def test_packed_sequence_is_a_named_tuple_and_checks_itself():
    packed = PackedSequence(lucid.zeros((5, 2)), [3, 2], [2, 0, 1])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert unsorted_indices.tolist() == [1, 2, 0]
    assert "batch_sizes=[3, 2]" in repr(packed)
    assert rnn.sequence_order(PackedSequence(lucid.zeros(3), [2, 1])).tolist() == [0, 1]
    bad = [
        (lambda: PackedSequence([1.0], [1]), TypeError, r"PackedSequence: data must be a Tensor"),
        (lambda: PackedSequence(lucid.zeros(3), [1, 2]), ValueError,
         r"batch_sizes must be positive and non-increasing; got \[1, 2\]"),
        (lambda: PackedSequence(lucid.zeros(3), [2, 0]), ValueError, r"positive"),
        (lambda: PackedSequence(lucid.zeros(4), [2, 1]), ValueError,
         r"batch_sizes must sum to the rows of data \(4\); they sum to 3"),
        (lambda: PackedSequence(lucid.zeros(3), [2.0, 1.0]), TypeError,
         r"batch_sizes must be a 1-d sequence of ints"),
        (lambda: PackedSequence(lucid.zeros(3), [2, 1], [0, 0]), ValueError,
         r"sorted_indices must be a permutation of 0..1"),
        (lambda: PackedSequence(lucid.zeros(3), [2, 1], [1, 0], [0, 1]), ValueError,
         r"unsorted_indices must be the inverse permutation"),
        (lambda: PackedSequence(lucid.zeros(()), [1]), ValueError, r"at least one axis"),
    ]
    for make, error, match in bad:
        with pytest.raises(error, match=match):
            make()


@pytest.mark.parametrize("call, error, match", [
    (lambda: pad_sequence([]), TypeError, r"pad_sequence: sequences must be a non-empty list"),
    (lambda: pad_sequence([[1.0]]), TypeError, r"sequences must be a non-empty list of Tensors"),
    (lambda: pad_sequence([lucid.zeros((2, 3)), lucid.zeros((2, 4))]), ValueError,
     r"sequences\[1\] has shape \(2, 4\)"),
    (lambda: pad_sequence([lucid.zeros(2), lucid.zeros(2, dtype=np.float64)]), ValueError,
     r"dtype float64"),
    (lambda: pad_sequence([lucid.zeros(2)], padding_side="middle"), ValueError,
     r"padding_side must be 'right' or 'left'; got 'middle'"),
    (lambda: pad_sequence([lucid.Tensor([1, 2])], padding_value=0.5), ValueError,
     r"padding_value 0.5 does not fit the integer dtype int64"),
    (lambda: pad_sequence([lucid.zeros(2)], batch_first="yes"), TypeError, r"batch_first"),
    (lambda: pack_padded_sequence([[1.0]], [1]), TypeError,
     r"pack_padded_sequence: input must be a Tensor; got list"),
    (lambda: pack_padded_sequence(lucid.zeros(3), [1]), ValueError, r"got shape \(3,\)"),
    (lambda: pack_padded_sequence(lucid.zeros((3, 2)), [3, 3, 1]), ValueError,
     r"lengths must have one entry per sequence \(2\); got 3"),
    (lambda: pack_padded_sequence(lucid.zeros((3, 2)), [4, 1]), ValueError,
     r"every length must lie in \[1, 3\].*got \[4, 1\]"),
    (lambda: pack_padded_sequence(lucid.zeros((3, 2)), [3, 0]), ValueError, r"lie in \[1, 3\]"),
    (lambda: pack_padded_sequence(lucid.zeros((3, 2)), [1, 3]), ValueError,
     r"lengths must be sorted in decreasing order when enforce_sorted is True"),
    (lambda: pack_padded_sequence(lucid.zeros((3, 2)), [3, 1.5]), TypeError,
     r"lengths must be a 1-d sequence of ints"),
    (lambda: pack_padded_sequence(lucid.zeros((3, 2)), np.array([[3, 1]])), ValueError,
     r"lengths must be 1-d; got shape \(1, 2\)"),
    (lambda: pack_padded_sequence(lucid.zeros((3, 0)), []), ValueError, r"batch size 0"),
    (lambda: pad_packed_sequence(lucid.zeros(3)), TypeError,
     r"pad_packed_sequence: sequence must be a PackedSequence; got Tensor"),
    (lambda: pad_packed_sequence(pack_sequence([lucid.zeros(3)]), total_length=2), ValueError,
     r"total_length must be at least the longest sequence \(3\); got 2"),
    (lambda: pack_sequence([lucid.zeros(1), lucid.zeros(2)]), ValueError,
     r"pack_sequence: sequences must be sorted longest first"),
    (lambda: pack_sequence([lucid.zeros(2), lucid.zeros(0)]), ValueError,
     r"every sequence must have at least one step"),
    (lambda: unpad_sequence(lucid.zeros((3, 2)), [4, 1]), ValueError, r"lie in \[1, 3\]"),
    (lambda: unpack_sequence([lucid.zeros(2)]), TypeError, r"must be a PackedSequence"),
])
def test_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()
