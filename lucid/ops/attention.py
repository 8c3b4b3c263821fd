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
inside, as strided views (NumPy's batched products read them in place): the only copy
is the merged output (and the merged gradients). What one node saves over the chain:
the per-op overhead of about ten nodes (what dominates at batch 1), the pass that
scales the scores, and the copies of the head transposes in the backward.

A query row whose keys are all masked (:math:`-\infty` everywhere) gets weights 0 and
output 0, as PyTorch's ``scaled_dot_product_attention``; its gradients are 0.
"""
import numpy as np

from lucid import _ext
from lucid._ext._blas import matmul
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


class Attention(Function):
    r"""``out = softmax(scale * Q K^T + mask) V`` (see the module docstring).

    Inputs ``q`` ``(..., L, E)``, ``k`` ``(..., S, E)``, ``v`` ``(..., S, Ev)`` with the
    same leading axes, or with ``heads`` all three ``(N, T, heads * ...)``; ``mask`` an
    array broadcasting to the scores ``(..., L, S)`` (``(N, heads, L, S)`` with heads), or
    None. Parameters: ``scale`` (a float), ``heads`` (an int or None).
    """

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, heads=None):
        Q, K, V = (q, k, v) if heads is None else (_split(a, heads) for a in (q, k, v))
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
        ctx.Q, ctx.K, ctx.V, ctx.A, ctx.scale, ctx.heads = Q, K, V, A, scale, heads
        out = matmul(A, V)
        return out if heads is None else _merge(out)

    @staticmethod
    def flops(ctx, out, q, k, v, mask):
        """The two products: 2 L S E and 2 L S Ev per matrix of the batch."""
        return int(2 * ctx.A.size * (ctx.Q.shape[-1] + ctx.V.shape[-1]))

    @staticmethod
    def backward(ctx, grad):
        Q, K, V, A = ctx.Q, ctx.K, ctx.V, ctx.A
        need_q, need_k, need_v = ctx.needs_input_grad[:3]
        G = grad if ctx.heads is None else _split(grad, ctx.heads)
        dV = matmul(A.swapaxes(-1, -2), G) if need_v else None
        dQ = dK = None
        if need_q or need_k:
            dS = _ext.get("softmax").softmax_backward(A, matmul(G, V.swapaxes(-1, -2)))
            dS *= dS.dtype.type(ctx.scale)
            dQ = matmul(dS, K) if need_q else None
            dK = matmul(dS.swapaxes(-1, -2), Q) if need_k else None
        if ctx.heads is not None:
            dQ, dK, dV = (None if d is None else _merge(d) for d in (dQ, dK, dV))
        return dQ, dK, dV, None
