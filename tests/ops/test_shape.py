"""Shape operations: values and gradients against PyTorch, gradcheck, bad inputs."""
import numpy as np
import pytest

import lucid
from tests.helpers import assert_close, torch, torch_parity
from tests.helpers import gradcheck

needs_torch = pytest.mark.torch


def _data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _tpad(x, width):
    """torch.nn.functional.pad takes (before, after) pairs from the LAST axis first."""
    flat = []
    for before, after in reversed(width):
        flat += [before, after]
    return torch.nn.functional.pad(x, flat)


# one input: (id, input shape, lucid fn, torch fn)
UNARY = [
    ("reshape", (2, 3, 4), lambda x: lucid.reshape(x, (4, -1)), lambda x: x.reshape(4, -1)),
    ("reshape-int", (2, 3), lambda x: lucid.reshape(x, 6), lambda x: x.reshape(6)),
    ("reshape-method", (2, 3), lambda x: x.reshape(3, 2), lambda x: x.reshape(3, 2)),
    ("reshape-0d", (), lambda x: lucid.reshape(x, (1, 1)), lambda x: x.reshape(1, 1)),
    ("squeeze-all", (1, 3, 1, 2), lambda x: lucid.squeeze(x), lambda x: x.squeeze()),
    ("squeeze-neg", (1, 3, 1, 2), lambda x: lucid.squeeze(x, -2), lambda x: x.squeeze(-2)),
    ("squeeze-tuple", (1, 3, 1, 2), lambda x: lucid.squeeze(x, (0, 2)), lambda x: x.squeeze((0, 2))),
    ("squeeze-not-1", (1, 3, 1, 2), lambda x: lucid.squeeze(x, 1), lambda x: x.squeeze(1)),
    ("unsqueeze-0", (3, 2), lambda x: lucid.unsqueeze(x, 0), lambda x: x.unsqueeze(0)),
    ("unsqueeze-neg", (3, 2), lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1)),
    ("unsqueeze-mid", (3, 2), lambda x: lucid.unsqueeze(x, -2), lambda x: x.unsqueeze(-2)),
    ("expand_dims", (3, 2), lambda x: lucid.expand_dims(x, (0, -1)),
     lambda x: x.unsqueeze(0).unsqueeze(-1)),
    ("ravel", (2, 3, 2), lambda x: lucid.ravel(x), lambda x: x.ravel()),
    ("flatten", (2, 3, 2), lambda x: lucid.flatten(x), lambda x: x.flatten()),
    ("flatten-mid", (2, 3, 2, 2), lambda x: x.flatten(1, 2), lambda x: x.flatten(1, 2)),
    ("flatten-neg", (2, 3, 2, 2), lambda x: lucid.flatten(x, -2, -1), lambda x: x.flatten(-2, -1)),
    ("flatten-0d", (), lambda x: lucid.flatten(x), lambda x: x.flatten()),
    ("transpose", (2, 3, 4), lambda x: lucid.transpose(x), lambda x: x.permute(2, 1, 0)),
    ("transpose-axes", (2, 3, 4), lambda x: lucid.transpose(x, (1, -1, 0)), lambda x: x.permute(1, 2, 0)),
    ("T", (2, 3), lambda x: x.T, lambda x: x.T),
    ("mT", (2, 3, 4), lambda x: x.mT, lambda x: x.mT),
    ("swapaxes", (2, 3, 4), lambda x: lucid.swapaxes(x, 0, -1), lambda x: x.swapaxes(0, -1)),
    ("broadcast_to", (3, 1), lambda x: lucid.broadcast_to(x, (2, 3, 4)), lambda x: x.broadcast_to(2, 3, 4)),
    ("broadcast_to-same", (3, 4), lambda x: x.broadcast_to((3, 4)), lambda x: x.broadcast_to(3, 4)),
    ("pad", (2, 3), lambda x: lucid.pad(x, ((1, 2), (0, 3))), lambda x: _tpad(x, ((1, 2), (0, 3)))),
    ("pad-int", (2, 3), lambda x: lucid.pad(x, 1), lambda x: _tpad(x, ((1, 1), (1, 1)))),
    ("pad-pair", (2, 2, 3), lambda x: x.pad((2, 1)), lambda x: _tpad(x, ((2, 1),) * 3)),
    ("pad-value", (2, 3), lambda x: lucid.pad(x, ((0, 1), (1, 0)), constant_values=1.5),
     lambda x: torch.nn.functional.pad(x, (1, 0, 0, 1), value=1.5)),
    ("repeat-flat", (2, 3), lambda x: lucid.repeat(x, 2), lambda x: x.repeat_interleave(2)),
    ("repeat-axis", (2, 3), lambda x: lucid.repeat(x, 3, axis=-1), lambda x: x.repeat_interleave(3, dim=-1)),
    ("repeat-list", (3, 2), lambda x: x.repeat([2, 0, 3], axis=0),
     lambda x: x.repeat_interleave(torch.tensor([2, 0, 3]), dim=0)),
    ("tile", (2, 3), lambda x: lucid.tile(x, 2), lambda x: x.tile(2)),
    ("tile-more", (2, 3), lambda x: x.tile((2, 1, 3)), lambda x: x.tile((2, 1, 3))),
    ("tile-fewer", (2, 3, 2), lambda x: lucid.tile(x, (2, 1)), lambda x: x.tile((2, 1))),
]


@needs_torch
@pytest.mark.parametrize("shape, fn, tfn", [c[1:] for c in UNARY], ids=[c[0] for c in UNARY])
def test_unary_matches_torch(shape, fn, tfn, float_dtype):
    torch_parity(fn, tfn, [_data(shape, float_dtype)])


@pytest.mark.parametrize("shape, fn", [(c[1], c[2]) for c in UNARY], ids=[c[0] for c in UNARY])
def test_unary_gradcheck(shape, fn):
    x = lucid.Tensor(_data(shape, np.float64), requires_grad=True)
    assert gradcheck(fn, [x])


def _shapes(*shapes):
    return [_data(s, np.float64, seed=i) for i, s in enumerate(shapes)]


# several inputs: (id, input shapes, lucid fn, torch fn)
JOINS = [
    ("concatenate", [(2, 3), (1, 3), (3, 3)], lambda *t: lucid.concatenate(list(t)),
     lambda *t: torch.cat(t)),
    ("concatenate-neg", [(2, 1), (2, 3)], lambda *t: lucid.concatenate(t, axis=-1),
     lambda *t: torch.cat(t, dim=-1)),
    ("concatenate-empty-piece", [(0, 3), (2, 3)], lambda *t: lucid.concatenate(t),
     lambda *t: torch.cat(t)),
    ("stack", [(2, 3), (2, 3), (2, 3)], lambda *t: lucid.stack(t), lambda *t: torch.stack(t)),
    ("stack-axis", [(2, 3), (2, 3)], lambda *t: lucid.stack(t, axis=1), lambda *t: torch.stack(t, 1)),
    ("stack-neg", [(2, 3), (2, 3)], lambda *t: lucid.stack(t, axis=-1), lambda *t: torch.stack(t, -1)),
    ("stack-0d", [(), ()], lambda *t: lucid.stack(t), lambda *t: torch.stack(t)),
    ("hstack-1d", [(2,), (3,)], lambda *t: lucid.hstack(t), lambda *t: torch.hstack(t)),
    ("hstack-2d", [(2, 1), (2, 3)], lambda *t: lucid.hstack(t), lambda *t: torch.hstack(t)),
    ("hstack-0d", [(), (2,)], lambda *t: lucid.hstack(t), lambda *t: torch.hstack(t)),
    ("vstack-1d", [(3,), (3,)], lambda *t: lucid.vstack(t), lambda *t: torch.vstack(t)),
    ("vstack-2d", [(1, 3), (2, 3), (3,)], lambda *t: lucid.vstack(t), lambda *t: torch.vstack(t)),
]


@needs_torch
@pytest.mark.parametrize("shapes, fn, tfn", [c[1:] for c in JOINS], ids=[c[0] for c in JOINS])
def test_joins_match_torch(shapes, fn, tfn, float_dtype):
    torch_parity(fn, tfn, [a.astype(float_dtype) for a in _shapes(*shapes)])


@pytest.mark.parametrize("shapes, fn", [(c[1], c[2]) for c in JOINS], ids=[c[0] for c in JOINS])
def test_joins_gradcheck(shapes, fn):
    xs = [lucid.Tensor(a, requires_grad=True) for a in _shapes(*shapes)]
    assert gradcheck(fn, xs)


@needs_torch
def test_concatenate_promotes_dtype_and_keeps_grad_dtypes():
    a, b = _data((2, 2), np.float32), _data((1, 2), np.float64)
    out = torch_parity(lambda x, y: lucid.concatenate([x, y]), lambda x, y: torch.cat([x, y]), [a, b])
    assert out.dtype == np.float64


@needs_torch
def test_concatenate_same_non_leaf_twice_gets_both_contributions(float_dtype):
    def lfn(x):
        y = x.reshape(3, 2)               # a non-leaf, used twice by one node
        return lucid.concatenate([y, y], axis=1)

    def tfn(x):
        y = x.reshape(3, 2)
        return torch.cat([y, y], dim=1)

    torch_parity(lfn, tfn, [_data((6,), float_dtype)])


def test_concatenate_twice_by_hand():
    x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    y = lucid.reshape(x, (2,))
    lucid.concatenate([y, y, y]).backward(np.arange(6.0, dtype=np.float32))
    assert_close(x.grad, np.array([0 + 2 + 4, 1 + 3 + 5], dtype=np.float32))


# ------------------------------------------------------------------ multi-output
MULTI = [
    ("split-int", (5, 2), lambda x: lucid.split(x, 2), lambda x: torch.split(x, 2)),
    ("split-list", (2, 6), lambda x: x.split([1, 0, 5], axis=-1), lambda x: torch.split(x, [1, 0, 5], -1)),
    ("split-big", (3,), lambda x: lucid.split(x, 7), lambda x: torch.split(x, 7)),
    ("chunk", (7, 2), lambda x: lucid.chunk(x, 3), lambda x: torch.chunk(x, 3)),
    ("chunk-fewer", (6,), lambda x: lucid.chunk(x, 4), lambda x: torch.chunk(x, 4)),
    ("chunk-axis", (2, 5), lambda x: x.chunk(2, axis=1), lambda x: torch.chunk(x, 2, 1)),
    ("chunk-empty", (0, 2), lambda x: lucid.chunk(x, 3), lambda x: torch.chunk(x, 3)),
    ("unbind", (3, 2), lambda x: lucid.unbind(x), lambda x: torch.unbind(x)),
    ("unbind-neg", (2, 3, 2), lambda x: x.unbind(-2), lambda x: torch.unbind(x, -2)),
]


@needs_torch
@pytest.mark.parametrize("shape, fn, tfn", [c[1:] for c in MULTI], ids=[c[0] for c in MULTI])
@pytest.mark.parametrize("used", ["all", "some"])
def test_multi_output_matches_torch(shape, fn, tfn, used, float_dtype):
    data = _data(shape, float_dtype)
    x = lucid.Tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    pieces, tpieces = fn(x), tfn(t)
    assert isinstance(pieces, tuple) and len(pieces) == len(tpieces)
    for p, tp in zip(pieces, tpieces):
        assert_close(p, tp.detach().numpy())
    # backward through every piece, or through every other one (the rest get zeros)
    chosen = range(len(pieces)) if used == "all" else range(0, len(pieces), 2)
    rng = np.random.default_rng(3)
    seeds = [rng.standard_normal(pieces[i].shape).astype(float_dtype) for i in chosen]
    for i, seed in zip(chosen, seeds):
        pieces[i].backward(seed)
    torch.autograd.backward([tpieces[i] for i in chosen], [torch.tensor(s) for s in seeds])
    assert_close(x.grad, t.grad.numpy())


@pytest.mark.parametrize("shape, fn", [(c[1], c[2]) for c in MULTI if c[0] != "chunk-empty"],
                         ids=[c[0] for c in MULTI if c[0] != "chunk-empty"])
def test_multi_output_gradcheck(shape, fn):
    x = lucid.Tensor(_data(shape, np.float64), requires_grad=True)
    # join the pieces in reverse order so each gets its own part of the seed
    assert gradcheck(lambda t: lucid.concatenate([p.reshape(-1) for p in fn(t)[::-1]]), [x])


# ---------------------------------------------------------------------- details
def test_float32_stays_float32():
    x = lucid.Tensor(_data((2, 3), np.float32), requires_grad=True)
    for y in (lucid.pad(x, 1, constant_values=2), lucid.repeat(x, 2), lucid.tile(x, 2),
              lucid.broadcast_to(x, (2, 2, 3)), lucid.stack([x, x])):
        assert y.dtype == np.float32


def test_pad_int_tensor_keeps_dtype_without_grad():
    y = lucid.pad(lucid.Tensor([[1, 2]]), ((1, 0), (0, 0)), constant_values=7)
    assert_close(y, np.array([[7, 7], [1, 2]]))
    assert not y.requires_grad


def test_repeat_accumulates_gradient_of_copies():
    x = lucid.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    lucid.repeat(x, [3, 0, 2]).backward(np.arange(5, dtype=np.float32))
    assert_close(x.grad, np.array([0 + 1 + 2, 0, 3 + 4], dtype=np.float32))


def test_repeat_backward_on_both_twins(twin):
    data = _data((4, 3), np.float64)
    x = lucid.Tensor(data, requires_grad=True)
    seed = _data((9, 3), np.float64, seed=5)
    lucid.repeat(x, [1, 3, 0, 5], axis=0).backward(seed)
    expected = np.stack([seed[0], seed[1:4].sum(0), np.zeros(3), seed[4:].sum(0)])
    assert_close(x.grad, expected)


def test_squeeze_0d_and_transpose_0d():
    x = lucid.Tensor(2.0, requires_grad=True)
    assert lucid.squeeze(x).shape == ()
    assert lucid.squeeze(x, 0).shape == ()
    assert lucid.transpose(x).shape == ()
    assert lucid.ravel(x).shape == (1,)


def test_results_are_recorded_only_when_needed():
    x = lucid.Tensor(_data((2, 3), np.float32))
    assert not lucid.reshape(x, (3, 2)).requires_grad
    with lucid.no_grad():
        y = lucid.Tensor(_data((2, 3), np.float32), requires_grad=True)
        assert not lucid.concatenate([y, y]).requires_grad


# -------------------------------------------------------------------- bad inputs
X = lucid.Tensor(np.zeros((2, 3), dtype=np.float32))

BAD = [
    (lambda: lucid.reshape(X, (4, 2)), ValueError, r"reshape: cannot reshape a tensor of shape \(2, 3\) .*\(4, 2\)"),
    (lambda: lucid.reshape(X, (-1, -1)), ValueError, r"reshape: .*\(-1, -1\)"),
    (lambda: lucid.reshape(X, (-2, 3)), ValueError, r"reshape: shape must not contain negative"),
    (lambda: lucid.reshape(X, (2.0, 3)), TypeError, r"reshape: shape must be an int"),
    (lambda: lucid.squeeze(X, 2), ValueError, r"squeeze: axis 2 is out of range .* ndim 2"),
    (lambda: lucid.unsqueeze(X, 3), ValueError, r"unsqueeze: axis 3 is out of range for a tensor with ndim 2: .* \(valid: -3 to 2\)"),
    (lambda: lucid.unsqueeze(X, (0,)), TypeError, r"unsqueeze: axis must be an int"),
    (lambda: lucid.expand_dims(X, (0, 0)), ValueError, r"expand_dims: repeated axis"),
    (lambda: lucid.flatten(X, 1, 0), ValueError, r"flatten: start_axis \(1\) must not come after end_axis \(0\)"),
    (lambda: lucid.flatten(X, 0, 5), ValueError, r"flatten: axis 5 is out of range"),
    (lambda: lucid.transpose(X, (0,)), ValueError, r"transpose: axes must be a permutation of the 2 axes"),
    (lambda: lucid.transpose(X, (1, 1)), ValueError, r"transpose: repeated axis"),
    (lambda: lucid.transpose(X, (0, 2)), ValueError, r"transpose: axis 2 is out of range"),
    (lambda: lucid.swapaxes(X, 0, -3), ValueError, r"swapaxes: axis -3 is out of range .* ndim 2"),
    (lambda: lucid.concatenate([X, X, lucid.Tensor(np.zeros((2, 4, 1)))], axis=1), ValueError,
     r"concatenate: tensor 2 has shape \(2, 4, 1\) but tensor 0 has shape \(2, 3\)"),
    (lambda: lucid.concatenate([X, lucid.Tensor(np.zeros((3, 3)))], axis=1), ValueError,
     r"concatenate: tensor 1 has shape \(3, 3\) .* except along axis 1"),
    (lambda: lucid.concatenate([]), ValueError, r"concatenate: tensors must not be empty"),
    (lambda: lucid.concatenate(X), TypeError, r"concatenate: tensors must be a list or tuple"),
    (lambda: lucid.concatenate([X, X], axis=2), ValueError, r"concatenate: axis 2 is out of range"),
    (lambda: lucid.concatenate([lucid.Tensor(1.0)]), ValueError, r"concatenate: zero-dimensional"),
    (lambda: lucid.stack([X, lucid.Tensor(np.zeros((3, 2)))]), ValueError,
     r"stack: tensor 1 has shape \(3, 2\) but tensor 0 has shape \(2, 3\)"),
    (lambda: lucid.stack([X], axis=3), ValueError, r"stack: axis 3 is out of range for a tensor with ndim 2: .*\(valid: -3 to 2\)"),
    (lambda: lucid.stack(()), ValueError, r"stack: tensors must not be empty"),
    (lambda: lucid.hstack([]), ValueError, r"hstack: tensors must not be empty"),
    (lambda: lucid.vstack([X, lucid.Tensor(np.zeros(4))]), ValueError, r"vstack: tensor 1 has shape \(1, 4\)"),
    (lambda: lucid.hstack([lucid.Tensor([1.0]), X]), ValueError, r"hstack: tensor 1 has shape \(2, 3\) but tensor 0 has shape \(1,\)"),
    (lambda: lucid.split(X, [1, 2]), ValueError, r"split: section sizes \[1, 2\] add up to 3 but axis 0 has size 2"),
    (lambda: lucid.split(X, 0), ValueError, r"split: the piece size must be a positive int; got 0"),
    (lambda: lucid.split(X, [1, -1, 2]), ValueError, r"split: size_or_sections must not contain negative"),
    (lambda: lucid.split(X, 1, axis=2), ValueError, r"split: axis 2 is out of range"),
    (lambda: lucid.split(lucid.Tensor(1.0), 1), ValueError, r"split: cannot split a 0-d tensor"),
    (lambda: lucid.chunk(X, 0), ValueError, r"chunk: chunks must be a positive int; got 0"),
    (lambda: lucid.chunk(X, 2, axis=-3), ValueError, r"chunk: axis -3 is out of range"),
    (lambda: lucid.unbind(lucid.Tensor(1.0)), ValueError, r"unbind: cannot unbind a 0-d tensor"),
    (lambda: lucid.unbind(X, 2), ValueError, r"unbind: axis 2 is out of range"),
    (lambda: lucid.pad(X, 1, mode="reflect"), ValueError, r"pad: mode 'reflect' is not supported"),
    (lambda: lucid.pad(X, ((1, 0), (-1, 0))), ValueError, r"pad: pad_width must not be negative"),
    (lambda: lucid.pad(X, ((1, 0), (1, 0), (1, 0))), ValueError, r"pad: pad_width .* does not fit \(ndim, 2\) = \(2, 2\)"),
    (lambda: lucid.pad(X, 1.5), TypeError, r"pad: pad_width must hold ints"),
    (lambda: lucid.pad(X, 1, constant_values="a"), TypeError, r"pad: constant_values must be a number"),
    (lambda: lucid.repeat(X, [1, 2], axis=1), ValueError, r"repeat: repeats has 2 entries but axis 1 has size 3"),
    (lambda: lucid.repeat(X, -1), ValueError, r"repeat: repeats must be non-negative; got -1"),
    (lambda: lucid.repeat(X, 2, axis=2), ValueError, r"repeat: axis 2 is out of range"),
    (lambda: lucid.repeat(X, 1.5), TypeError, r"repeat: repeats must be an int"),
    (lambda: lucid.tile(X, (2, -1)), ValueError, r"tile: reps must not contain negative"),
    (lambda: lucid.broadcast_to(X, (3, 3)), ValueError, r"broadcast_to: cannot broadcast a tensor of shape \(2, 3\) to shape \(3, 3\)"),
    (lambda: lucid.broadcast_to(X, (3,)), ValueError, r"broadcast_to: cannot broadcast .* to shape \(3,\)"),
    (lambda: lucid.squeeze(X, 1.0), TypeError, r"squeeze: axis must be an int"),
    (lambda: lucid.expand_dims(X, (0, 4)), ValueError, r"expand_dims: axis \(0, 4\) is out of range for a tensor with ndim 2"),
    (lambda: lucid.reshape("ab", 2), TypeError, r"Tensor: data must be numbers"),
]


@pytest.mark.parametrize("call, exc, match", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_array_likes_are_accepted():
    assert_close(lucid.reshape(np.arange(6.0), (2, 3)), np.arange(6.0).reshape(2, 3))
    assert lucid.transpose([[1.0, 2.0]]).shape == (2, 1)
