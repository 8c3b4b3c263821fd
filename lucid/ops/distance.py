r"""Cosine similarity as one fused autograd Function, :class:`CosineSimilarity`.

Along an axis, the cosine of the angle between two vectors :math:`u` and :math:`v`:

.. math:: y = \sum_k \frac{u_k}{c_u} \frac{v_k}{c_v}, \qquad
          c_u = \max(\lVert u\rVert, \epsilon),\ c_v = \max(\lVert v\rVert, \epsilon)

Each vector is divided by its (clamped) norm *before* the product, so the result stays
in :math:`[-1, 1]` up to rounding, and a zero vector gives 0 instead of 0/0 (PyTorch's
formula). The inputs broadcast against each other.

Backward, with :math:`a = u/c_u`, :math:`b = v/c_v` and :math:`g` the output gradient
(broadcast along the axis):

.. math:: \frac{\partial L}{\partial u} = \frac{g\,b}{c_u}
          - u\,\frac{\sum_k g\,b_k u_k}{c_u^2 \lVert u\rVert}

(the second term is the change of the norm; it is 0 for :math:`u = 0`). When
:math:`\lVert u\rVert \ge \epsilon` this is :math:`g\,(b - a\,\langle a, b\rangle) /
\lVert u\rVert`, the familiar projection. PyTorch clamps the norm outside autograd, so
the norm's derivative in the second term is that of the *unclamped* norm; this is
the same rule. Symmetric for :math:`v`.

This takes checked arguments; :func:`lucid.nn.functional.cosine_similarity` checks user
input first.
"""
import numpy as np

from lucid.autograd.function import Function

__all__ = []  # a Function only; the public function is in lucid.nn.functional.distance


def _norm_terms(u, axis, eps):
    """``(norm, clamped norm)`` of ``u`` along ``axis`` (kept)."""
    norm = np.sqrt(np.sum(u * u, axis=axis, keepdims=True))
    return norm, np.maximum(norm, u.dtype.type(eps))


def _grad(g_a, u, norm, clamped, axis):
    """``dL/du`` given ``dL/da`` with ``a = u / clamped(|u|)`` (module docstring)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        through_norm = np.sum(g_a * u, axis=axis, keepdims=True) / (clamped * clamped * norm)
    through_norm = np.where(norm > 0, through_norm, 0).astype(u.dtype, copy=False)
    return g_a / clamped - u * through_norm


class CosineSimilarity(Function):
    r"""``y = sum(u / max(|u|, eps) * v / max(|v|, eps), axis)`` (the module docstring)."""

    @staticmethod
    def forward(ctx, u, v, axis, eps):
        u, v = np.broadcast_arrays(u, v)
        nu, cu = _norm_terms(u, axis, eps)
        nv, cv = _norm_terms(v, axis, eps)
        a, b = u / cu, v / cv
        ctx.u, ctx.v, ctx.a, ctx.b = u, v, a, b
        ctx.nu, ctx.cu, ctx.nv, ctx.cv, ctx.axis = nu, cu, nv, cv, axis
        return np.sum(a * b, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        g = np.expand_dims(grad, ctx.axis)
        du = dv = None
        if ctx.needs_input_grad[0]:
            du = _grad(g * ctx.b, ctx.u, ctx.nu, ctx.cu, ctx.axis)
        if ctx.needs_input_grad[1]:
            dv = _grad(g * ctx.a, ctx.v, ctx.nv, ctx.cv, ctx.axis)
        return du, dv
