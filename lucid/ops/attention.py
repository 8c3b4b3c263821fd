r"""Scaled dot-product attention as one autograd Function.

:func:`lucid.nn.functional.scaled_dot_product_attention` and
:class:`lucid.nn.MultiHeadAttention` chain ``matmul``, ``softmax`` and the head
reshapes when they must (a mask that needs a gradient, dropout on the weights, the
weights returned); otherwise they call :class:`Attention`, which runs the same
products and the ``softmax`` kernels in one node:

.. math::

    S = s\,Q K^T + M, \qquad A = \mathrm{softmax}(S), \qquad \mathrm{out} = A V

and writes the backward out, with :math:`G = \partial L/\partial\,\mathrm{out}`:

.. math::

    \frac{\partial L}{\partial V} = A^T G, \quad
    \frac{\partial L}{\partial A} = G V^T, \quad
    \frac{\partial L}{\partial S} = \mathrm{softmax\_backward}(A, \partial L/\partial A),
    \quad
    \frac{\partial L}{\partial Q} = s\,\frac{\partial L}{\partial S} K, \quad
    \frac{\partial L}{\partial K} = s\,\Bigl(\frac{\partial L}{\partial S}\Bigr)^T Q.

With ``heads`` the inputs are ``(N, T, heads * d)`` and the heads are split and merged
inside, as strided views (the ``matmul`` kernels' stacked products read them in place,
one BLAS call per sample and head, shared among the threads): the only copy
is the merged output (and the merged gradients). What one node saves over the chain:
the per-op overhead of about ten nodes (what dominates at batch 1), the pass that
scales the scores, and the copies of the head transposes in the backward.

:class:`PackedAttention` is the same for self-attention from one packed projection
``(N, T, 3 E)`` (``MultiHeadAttention(x, x, x)``): one product makes the query, key and
value projections, the node reads them as views and writes their gradients into one
packed array (the three projections of the slices of ``in_proj_weight`` cost three
products, six slicing nodes and the sum of their gradients). Without a mask, where the
active twin has the private ``_packed_attention`` (the compiled ``matmul`` twin), its
forward is that one call: two gemm calls a head on the packed rows, the softmax in
between, the output written into the merged rows (``docs/fast.rst``).

A query row whose keys are all masked (:math:`-\infty` everywhere) gets weights 0 and
output 0, as PyTorch's ``scaled_dot_product_attention``; its gradients are 0.
"""
import numpy as np

from lucid import _ext
from lucid.autograd.function import Function

__all__ = []  # Functions only; the public functions are in lucid.nn.functional.attention


def _split(x, heads):
    """(N, T, heads * d) -> (N, heads, T, d), a view."""
    n, t, e = x.shape
    return x.reshape(n, t, heads, e // heads).swapaxes(1, 2)


def _merge(x):
    """(N, heads, T, d) -> (N, T, heads * d), a copy."""
    n, h, t, d = x.shape
    return x.swapaxes(1, 2).reshape(n, t, h * d)


def _heads_of(qkv, heads):
    """The query, key and value heads (N, heads, T, d) of a packed (N, T, 3E), as views."""
    e = qkv.shape[2] // 3
    return tuple(_split(qkv[..., i * e:(i + 1) * e], heads) for i in range(3))


def _attend(ctx, Q, K, V, mask, scale):
    """The forward on (..., L, E) arrays (views are fine); saves what backward needs."""
    matmul = _ext.get("matmul").matmul          # stacks of products, views read in place
    s = matmul(Q, K.swapaxes(-1, -2))
    s *= s.dtype.type(scale)
    dead = None
    if mask is not None:
        s += mask
        dead = np.all(s == -np.inf, axis=-1, keepdims=True)     # rows with no key
        if dead.any():
            s[np.broadcast_to(dead, s.shape)] = 0
        else:
            dead = None
    A = _ext.get("softmax").softmax_forward(s)
    if dead is not None:
        A[np.broadcast_to(dead, A.shape)] = 0
    ctx.Q, ctx.K, ctx.V, ctx.A, ctx.scale = Q, K, V, A, scale
    return matmul(A, V)


def _attend_backward(ctx, G, need_q, need_k, need_v):
    """dQ, dK, dV (None where not needed) from G = dL/dout, in the forward's layout."""
    Q, K, V, A = ctx.Q, ctx.K, ctx.V, ctx.A
    matmul = _ext.get("matmul").matmul
    dV = matmul(A.swapaxes(-1, -2), G) if need_v else None
    dQ = dK = None
    if need_q or need_k:
        dS = _ext.get("softmax").softmax_backward(A, matmul(G, V.swapaxes(-1, -2)))
        dS *= dS.dtype.type(ctx.scale)
        dQ = matmul(dS, K) if need_q else None
        dK = matmul(dS.swapaxes(-1, -2), Q) if need_k else None
    return dQ, dK, dV


def _flops(ctx):
    """The two products: 2 L S E and 2 L S Ev per matrix of the batch."""
    if ctx.Q is None:                              # the fused packed forward: E = Ev = d
        return int(4 * ctx.A.size * (ctx.qkv.shape[2] // 3 // ctx.heads))
    return int(2 * ctx.A.size * (ctx.Q.shape[-1] + ctx.V.shape[-1]))


class Attention(Function):
    r"""``out = softmax(scale * Q K^T + mask) V`` (see the module docstring).

    Inputs ``q`` ``(..., L, E)``, ``k`` ``(..., S, E)``, ``v`` ``(..., S, Ev)`` with the
    same leading axes, or with ``heads`` all three ``(N, T, heads * ...)``; ``mask`` an
    array broadcasting to the scores ``(..., L, S)`` (``(N, heads, L, S)`` with heads), or
    None. Parameters: ``scale`` (a float), ``heads`` (an int or None).
    """

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, heads=None):
        ctx.heads = heads
        if heads is None:
            return _attend(ctx, q, k, v, mask, scale)
        return _merge(_attend(ctx, *(_split(a, heads) for a in (q, k, v)), mask, scale))

    @staticmethod
    def flops(ctx, out, q, k, v, mask):
        return _flops(ctx)

    @staticmethod
    def backward(ctx, grad):
        G = grad if ctx.heads is None else _split(grad, ctx.heads)
        grads = _attend_backward(ctx, G, *ctx.needs_input_grad[:3])
        if ctx.heads is not None:
            grads = tuple(None if d is None else _merge(d) for d in grads)
        return (*grads, None)


class PackedAttention(Function):
    r"""Self-attention from one packed projection ``qkv`` ``(N, T, 3 E)`` (the query,
    key and value projections side by side, as ``MultiHeadAttention``'s
    ``in_proj_weight`` makes them in one product): ``Attention`` with ``heads``, the
    three read as views of ``qkv`` and their gradients written into one packed array,
    so neither side copies or adds them. ``mask`` and ``scale`` as in ``Attention``.
    """

    @staticmethod
    def forward(ctx, qkv, mask, scale, heads):
        ctx.heads = heads
        fused = getattr(_ext.get("matmul"), "_packed_attention", None)
        if fused is not None and mask is None and qkv.flags.c_contiguous:
            done = fused(qkv, heads, scale)       # None: no BLAS bound, the path below
            if done is not None:
                out, ctx.A = done
                ctx.qkv, ctx.Q, ctx.scale = qkv, None, scale    # views made in backward
                return out
        return _merge(_attend(ctx, *_heads_of(qkv, heads), mask, scale))

    @staticmethod
    def flops(ctx, out, qkv, mask):
        return _flops(ctx)

    @staticmethod
    def backward(ctx, grad):
        if ctx.Q is None:                          # after the fused forward
            ctx.Q, ctx.K, ctx.V = _heads_of(ctx.qkv, ctx.heads)
        n, h, t, d = ctx.Q.shape
        grads = _attend_backward(ctx, _split(grad, h), True, True, True)
        packed = np.empty((n, t, 3, h, d), dtype=grad.dtype)
        for i, g in enumerate(grads):
            packed[:, :, i] = g.swapaxes(1, 2)              # (N, h, T, d) -> (N, T, h, d)
        return packed.reshape(n, t, 3 * h * d), None
