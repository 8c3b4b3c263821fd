"""lucid.einops: rearrange, reduce, repeat and einsum — values and gradients against
the equivalent torch reshape / permute / reduction code and torch.einsum (float32 and
float64), gradcheck in float64, edge cases, and every bad pattern."""
import re

import numpy as np
import pytest

import lucid
from helpers import torch_parity
from lucid.einops import einsum, rearrange, reduce, repeat
from lucid.testing import assert_close, gradcheck

# (pattern, axes_lengths, input shape, the same thing in torch)
_REARRANGE = [
    ("b c h w -> b h w c", {}, (2, 3, 4, 5), lambda x: x.permute(0, 2, 3, 1)),
    ("b c (h p) (w q) -> b (h w) (c p q)", {"p": 2, "q": 2}, (2, 3, 4, 6),
     lambda x: x.reshape(2, 3, 2, 2, 3, 2).permute(0, 2, 4, 1, 3, 5).reshape(2, 6, 12)),
    ("b (h w) -> b h w", {"h": 2}, (3, 8), lambda x: x.reshape(3, 2, 4)),
    ("b (h w) -> b w h", {"w": 4}, (3, 8), lambda x: x.reshape(3, 2, 4).permute(0, 2, 1)),
    ("b c h w -> b (c h w)", {}, (2, 3, 4, 5), lambda x: x.reshape(2, 60)),
    ("b c h w -> (w b) c h", {}, (2, 3, 4, 5), lambda x: x.permute(3, 0, 1, 2).reshape(10, 3, 4)),
    ("... c -> c ...", {}, (2, 3, 4), lambda x: x.movedim(-1, 0)),
    ("b ... -> b (...)", {}, (2, 3, 4), lambda x: x.flatten(1)),
    ("... -> ...", {}, (2, 3), lambda x: x),
    ("b ... c -> (b c) ...", {}, (2, 3, 4, 5), lambda x: x.permute(0, 3, 1, 2).reshape(10, 3, 4)),
    ("a 1 b -> a b", {}, (3, 1, 4), lambda x: x.squeeze(1)),
    ("a b -> a () b 1", {}, (3, 4), lambda x: x.reshape(3, 1, 4, 1)),
    ("a b () -> (b a)", {}, (3, 4, 1), lambda x: x.squeeze(2).t().reshape(12)),
    ("(a b) -> b a", {"a": 3, "b": 2}, (6,), lambda x: x.reshape(3, 2).t()),
    ("a b -> b a", {}, (0, 3), lambda x: x.t()),                       # empty
    ("b (h w) -> b h w", {"h": 2}, (0, 8), lambda x: x.reshape(0, 2, 4)),
    ("->", {}, (), lambda x: x),                                       # 0-d
]


@pytest.mark.parametrize("pattern, lengths, shape, torch_fn", _REARRANGE, ids=[c[0] for c in _REARRANGE])
def test_rearrange_matches_torch(torch, float_dtype, rng, pattern, lengths, shape, torch_fn):
    x = rng.standard_normal(shape).astype(float_dtype)
    out = torch_parity(lambda t: rearrange(t, pattern, **lengths), torch_fn, [x])
    assert out.dtype == float_dtype


def test_rearrange_result_is_its_own_array(rng):
    x = lucid.Tensor(rng.standard_normal((2, 3)))
    y = rearrange(x, "a b -> a b")
    assert not np.shares_memory(x.data, y.data) and y.data.flags.writeable


# (pattern, reduction, axes_lengths, shape, torch code)
_REDUCE = [
    ("b c h w -> b c", "mean", {}, (2, 3, 4, 5), lambda x: x.mean((2, 3))),
    ("b c h w -> c", "sum", {}, (2, 3, 4, 5), lambda x: x.sum((0, 2, 3))),
    ("b c (h 2) (w 2) -> b c h w", "max", {}, (2, 3, 4, 6),
     lambda x: x.reshape(2, 3, 2, 2, 3, 2).amax((3, 5))),
    ("b c (h p) w -> b c h w", "min", {"p": 2}, (2, 3, 4, 5),
     lambda x: x.reshape(2, 3, 2, 2, 5).amin(3)),
    ("a b -> a", "prod", {}, (3, 4), lambda x: x.prod(1)),
    ("a b c -> c a", "prod", {}, (2, 3, 4), lambda x: x.prod(1).t()),
    ("b h w -> b () w", "sum", {}, (2, 3, 4), lambda x: x.sum(1, keepdim=True)),
    ("b h w -> b 1 w", "max", {}, (2, 3, 4), lambda x: x.amax(1, keepdim=True)),
    ("... c -> c", "sum", {}, (2, 3, 4), lambda x: x.sum((0, 1))),
    ("b ... -> b", "mean", {}, (2, 3, 4), lambda x: x.mean((1, 2))),
    ("a b -> b a", "sum", {}, (3, 4), lambda x: x.t()),               # nothing reduced
    ("a b -> ", "max", {}, (3, 4), lambda x: x.amax()),
    ("a b -> a", "sum", {}, (3, 0), lambda x: x.sum(1)),               # empty axis: 0
    ("a b -> a", "prod", {}, (3, 0), lambda x: x.prod(1)),             # empty axis: 1
]


@pytest.mark.parametrize("pattern, reduction, lengths, shape, torch_fn", _REDUCE,
                         ids=[f"{c[0]}-{c[1]}" for c in _REDUCE])
def test_reduce_matches_torch(torch, float_dtype, rng, pattern, reduction, lengths, shape, torch_fn):
    x = rng.standard_normal(shape).astype(float_dtype)
    rtol, atol = (1e-5, 1e-6) if float_dtype == np.float32 else (1e-12, 1e-12)
    torch_parity(lambda t: reduce(t, pattern, reduction, **lengths), torch_fn, [x], rtol=rtol, atol=atol)


@pytest.mark.parametrize("reduction, torch_fn", [
    ("max", lambda x: x.reshape(2, 2, 2).amax(2)),
    ("min", lambda x: x.reshape(2, 2, 2).amin(2)),
    ("prod", lambda x: x.reshape(2, 2, 2).prod(2)),
])
def test_reduce_ties_and_zeros_match_torch(torch, reduction, torch_fn):
    # ties share the max / min gradient; a zero in a product still gets its gradient
    x = np.array([[1.0, 1.0, 0.0, 3.0], [-2.0, -2.0, 0.0, 0.0]])
    torch_parity(lambda t: reduce(t, "a (b 2) -> a b", reduction), torch_fn, [x], rtol=1e-12, atol=1e-12)


# (pattern, axes_lengths, shape, torch code)
_REPEAT = [
    ("h w -> h w c", {"c": 3}, (2, 4), lambda x: x.unsqueeze(-1).expand(2, 4, 3)),
    ("h w -> (h 2) (w 3)", {}, (2, 4), lambda x: x.repeat_interleave(2, 0).repeat_interleave(3, 1)),
    ("h w -> (2 h) w", {}, (2, 4), lambda x: x.repeat(2, 1)),
    ("b c -> b n c", {"n": 4}, (2, 3), lambda x: x.unsqueeze(1).expand(2, 4, 3)),
    ("b c -> c (b n)", {"n": 2}, (2, 3), lambda x: x.t().repeat_interleave(2, 1)),
    ("... -> r ...", {"r": 2}, (2, 3), lambda x: x.expand(2, 2, 3)),
    ("h w -> h w", {}, (2, 3), lambda x: x),
    ("-> a", {"a": 3}, (), lambda x: x.expand(3)),
    ("h -> h c", {"c": 2}, (0,), lambda x: x.unsqueeze(1).expand(0, 2)),
]


@pytest.mark.parametrize("pattern, lengths, shape, torch_fn", _REPEAT, ids=[c[0] for c in _REPEAT])
def test_repeat_matches_torch(torch, float_dtype, rng, pattern, lengths, shape, torch_fn):
    x = rng.standard_normal(shape).astype(float_dtype)
    torch_parity(lambda t: repeat(t, pattern, **lengths), torch_fn, [x])


@pytest.mark.parametrize("fn, pattern, lengths, shape", [
    (lambda t, pat, **k: rearrange(t, pat, **k), "b c (h p) w -> (b w) h (p c)", {"p": 2}, (2, 2, 4, 3)),
    (lambda t, pat, **k: reduce(t, pat, "sum", **k), "b (h p) w -> w b", {"p": 2}, (2, 4, 3)),
    (lambda t, pat, **k: reduce(t, pat, "mean", **k), "b ... -> ... b", {}, (2, 3, 2)),
    (lambda t, pat, **k: reduce(t, pat, "max", **k), "b (h p) -> h b", {"p": 3}, (2, 6)),
    (lambda t, pat, **k: reduce(t, pat, "min", **k), "a b c -> c", {}, (2, 3, 2)),
    (lambda t, pat, **k: reduce(t, pat, "prod", **k), "a (b p) -> b a", {"p": 2}, (2, 4)),
    (lambda t, pat, **k: repeat(t, pat, **k), "h w -> (w 2) n h", {"n": 2}, (2, 3)),
])
def test_gradcheck(rng, fn, pattern, lengths, shape):
    x = lucid.Tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: fn(t, pattern, **lengths), [x])


def test_integer_input_and_no_grad(rng):
    x = lucid.Tensor(np.arange(6).reshape(2, 3))
    y = rearrange(x, "a b -> b a")
    assert y.dtype == np.int64 and not y.requires_grad
    assert_close(y, np.arange(6).reshape(2, 3).T)
    assert_close(reduce(x, "a b -> a", "sum"), np.array([3, 12]))


# --------------------------------------------------------------------- bad patterns
@pytest.mark.parametrize("call, message", [
    (lambda x: rearrange(x, "a b c -> a c b"), "the left side names 3 axes but the input has 2 dimensions"),
    (lambda x: rearrange(x, "a b c ... -> a c b"), r"the left side names 3 axes \(plus '...'\) but the input has only 2"),
    (lambda x: rearrange(x, "a b -> a c"), "axis 'b' is on the left side only; rearrange needs the same axes"),
    (lambda x: rearrange(x, "a b -> a b c"), "axis 'c' is on the right side only"),
    (lambda x: reduce(x, "a b -> a c", "sum"), "unknown axis 'c' on the right side: reduce cannot create axes"),
    (lambda x: repeat(x, "a b -> a", ), "axis 'b' is on the left side only: repeat cannot remove axes"),
    (lambda x: repeat(x, "a b -> a b c"), r"the new axis 'c' needs its length: pass c=<int>"),
    (lambda x: rearrange(x, "a (b c) -> a b c"), r"cannot infer the lengths of b, c in \(b c\) \(length 6\)"),
    (lambda x: rearrange(x, "a (b c) -> a b c", b=4), r"the axis \(b c\) has length 6, which the known lengths \(4\) do not divide"),
    (lambda x: rearrange(x, "a (b c) -> a b c", b=2, c=2), r"the axis \(b c\) has length 6, but the lengths given multiply to 4"),
    (lambda x: rearrange(x, "a b -> b a", a=3), r"the axis a has length 4, but the lengths given multiply to 3"),
    (lambda x: rearrange(x, "a (b c -> a b c"), r"'\(' without a matching '\)' on the left side"),
    (lambda x: rearrange(x, "a b) -> a b"), r"'\)' without a matching '\(' on the left side"),
    (lambda x: rearrange(x, "a ((b) c) -> a b c"), "nested parentheses on the left side"),
    (lambda x: rearrange(x, "a b -> (a b"), r"'\(' without a matching '\)' on the right side"),
    (lambda x: rearrange(x, "a b"), "expected exactly one '->'"),
    (lambda x: rearrange(x, "a -> b -> c"), "expected exactly one '->'"),
    (lambda x: rearrange(x, "a a -> a"), "axis 'a' appears twice on the left side"),
    (lambda x: rearrange(x, "a ... ... -> a"), "'...' appears twice on the left side"),
    (lambda x: rearrange(x, "(a ...) -> a ..."), r"'...' inside parentheses on the left side"),
    (lambda x: rearrange(x, "a b -> a b ..."), "'...' on the right side but not on the left"),
    (lambda x: rearrange(x, "a b -> a-b"), "unexpected character '-' on the right side"),
    (lambda x: rearrange(x, "a b -> a b", c=2), "axes_lengths gives c=2, but there is no axis 'c' in the pattern"),
    (lambda x: rearrange(x, "a (b 2) -> a b"), "anonymous axis 2 is on the left side only"),
    (lambda x: reduce(x, "a b -> a 2", "sum"), "unknown anonymous axis 2 on the right side"),
    (lambda x: rearrange(x, "a (b 0) -> a b"), "an axis cannot have length 0"),
])
def test_bad_patterns_quote_the_pattern(call, message):
    x = lucid.Tensor(np.ones((4, 6)))
    with pytest.raises(ValueError, match=r"^einops pattern '.*': " + message):
        call(x)


def test_bad_arguments():
    x = lucid.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="reduce: reduction must be one of sum, mean, max, min, prod; got 'median'"):
        reduce(x, "a b -> a", "median")
    with pytest.raises(TypeError, match="reduce: reduction must be a str"):
        reduce(x, "a b -> a", np.sum)
    with pytest.raises(TypeError, match="rearrange: axes_lengths must be positive ints; got a=2.0"):
        rearrange(x, "a b -> a b", a=2.0)
    with pytest.raises(TypeError, match="repeat: axes_lengths must be positive ints; got c=0"):
        repeat(x, "a b -> a b c", c=0)
    with pytest.raises(TypeError, match="einops: pattern must be a str; got int"):
        rearrange(x, 3)
    with pytest.raises(ValueError, match=r"reduce: cannot take the max over empty axes \(pattern 'a b -> a'"):
        reduce(lucid.Tensor(np.ones((2, 0))), "a b -> a", "max")


# ------------------------------------------------------------------------- einsum
_EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),                 # implicit output
    ("ji", [(2, 3)]),                            # implicit: sorted letters -> a transpose
    ("ij->ji", [(2, 3)]),
    ("ii->i", [(3, 3)]),                         # diagonal
    ("ii", [(3, 3)]),                            # trace
    ("iij->j", [(2, 2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("i,i", [(4,), (4,)]),                       # dot
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),   # batch broadcasting
    ("...ij,...jk", [(2, 3, 4), (4, 2)]),
    ("b...,b->...", [(2, 3, 4), (2,)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("...i->i", [(2, 3, 4)]),                     # '...' not in the output: summed (as torch)
    ("Ab,bC->AC", [(2, 3), (3, 4)]),             # upper-case letters
    ("i j , j k -> i k", [(2, 3), (3, 4)]),      # spaces
    ("ij,kj->ik", [(2, 1), (4, 3)]),             # a length-1 letter broadcasts
    ("ij,jk->ik", [(0, 3), (3, 4)]),             # empty
    (",->", [(), ()]),                           # 0-d operands
]


@pytest.mark.parametrize("equation, shapes", _EINSUM, ids=[c[0] for c in _EINSUM])
def test_einsum_matches_torch(torch, float_dtype, rng, equation, shapes):
    arrays = [rng.standard_normal(s).astype(float_dtype) for s in shapes]
    rtol, atol = (1e-5, 1e-5) if float_dtype == np.float32 else (1e-12, 1e-12)
    out = torch_parity(lambda *t: einsum(equation, *t), lambda *t: torch.einsum(equation, *t),
                       arrays, rtol=rtol, atol=atol)
    assert out.dtype == float_dtype


@pytest.mark.parametrize("equation, shapes", [c for c in _EINSUM if 0 not in sum(c[1], ())],
                         ids=[c[0] for c in _EINSUM if 0 not in sum(c[1], ())])
def test_einsum_gradcheck(rng, equation, shapes):
    tensors = [lucid.Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(lambda *t: einsum(equation, *t), tensors)


def test_einsum_list_of_operands_and_mixed_grad(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    ta, tb = lucid.Tensor(a, requires_grad=True), lucid.Tensor(b)
    y = einsum("ij,jk->ik", [ta, tb])
    assert_close(y, a @ b)
    y.sum().backward()
    assert tb.grad is None
    assert_close(ta.grad, np.ones((2, 4)) @ b.T)


def test_einsum_same_tensor_twice(rng):
    a = rng.standard_normal((3, 3))
    t = lucid.Tensor(a, requires_grad=True)
    einsum("ij,ij->", t, t).backward()      # sum of squares: gradient 2a
    assert_close(t.grad, 2 * a)


@pytest.mark.parametrize("equation, shapes, message", [
    ("ij,jk->ik", [(2, 3)], r"it has 2 operand\(s\) but 1 were given"),
    ("ij->i", [(2, 3, 4)], r"operand 0 has 3 dimensions but 'ij' names 2"),
    ("ijk...->i", [(2, 3)], r"operand 0 has 2 dimensions but 'ijk...' names 3"),
    ("ij,jk->ik", [(2, 3), (4, 5)], r"letter 'j' has length 3 and 4 \(operand 1, shape \(4, 5\)\)"),
    ("ii->i", [(2, 3)], "letter 'i' is repeated in operand 0 with different lengths 2 and 3"),
    ("ij->k", [(2, 3)], "output letter 'k' is in no operand"),
    ("ij->ii", [(2, 2)], "output letter 'i' appears twice"),
    ("i1->i", [(2, 3)], "unexpected character"),
    ("i->...i", [(2,)], r"'...' in the output but in no operand"),
    ("...i...->i", [(2, 3)], r"'...' appears more than once"),
    ("i->i->i", [(2,)], "more than one '->'"),
])
def test_einsum_bad_equations(equation, shapes, message):
    tensors = [lucid.Tensor(np.ones(s)) for s in shapes]
    with pytest.raises(ValueError, match=rf"^einsum: equation {re.escape(repr(equation))}: {message}"):
        einsum(equation, *tensors)


def test_einsum_bad_arguments():
    with pytest.raises(TypeError, match="einsum: equation must be a str; got int"):
        einsum(3, lucid.Tensor(np.ones(2)))
    with pytest.raises(ValueError, match="einsum: equation 'i->i': no operands given"):
        einsum("i->i")
