r"""Affine layers as autograd Functions: ``Linear`` and ``Bilinear``.

``Linear`` is one matrix product and a bias (added inside the product where the active
twin has the private ``_matmul_biased``), with the two products of its backward
written out (each through the ``matmul`` kernels, ``lucid/_ext/matmul.py``);
``Bilinear`` contracts two inputs with a 3-d weight through :func:`numpy.einsum`. The
leading (batch) axes ``*`` of the inputs are any number of axes, flattened into one for
the products.

These Functions take checked arguments; :mod:`lucid.nn.functional.linear` checks user
input first.
"""
import numpy as np

from lucid import _ext
from lucid._ext._blas import all_threads
from lucid.autograd.function import Function
from lucid.ops._util import column_sums, product_plus_bias

__all__ = []  # Functions only; the public functions are in lucid.nn.functional.linear


# [exercise: linear]
class Linear(Function):
    r"""``y = x W^T + b``, ``x`` of shape ``(*, in)``, ``W`` ``(out, in)``, ``b`` ``(out,)``.

    Backward, with :math:`G = \partial L/\partial y` flattened to ``(n, out)`` and
    :math:`X` to ``(n, in)``: :math:`\partial L/\partial x = G W`,
    :math:`\partial L/\partial W = G^T X`, :math:`\partial L/\partial b = \sum_n G_n`.
    """

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.x, ctx.w = x, w
        # one 2-d product X W^T (NumPy runs (a, b, in) @ (in, out) as a slow stacked
        # loop); w.T is a view, read in place (at batch 1 the kernel runs W x, a
        # matrix-vector product along W's rows)
        y = product_plus_bias(x.reshape(-1, w.shape[1]), w.T, b)   # X W^T + b
        return y if x.ndim == 2 else y.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def flops(ctx, out, x, w, b):
        return int(2 * out.size * w.shape[1])

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.x, ctx.w
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = grad.reshape(-1, w.shape[0])
        db = column_sums(g2) if need_b else None
        if (need_x or need_w) and not g2.flags.c_contiguous:
            # a broadcast gradient (from ``y.sum().backward()``, strides 0): BLAS cannot
            # walk it, and NumPy would copy it on one thread for each product
            g2 = np.ascontiguousarray(g2)
        matmul = _ext.get("matmul").matmul
        dx = matmul(g2, w).reshape(x.shape) if need_x else None               # G W
        dw = matmul(g2.T, x.reshape(-1, w.shape[1])) if need_w else None      # G^T X
        return dx, dw, db
# [end exercise: linear]


class Bilinear(Function):
    r"""``y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]``.

    Backward, with :math:`g = \partial L/\partial y`:
    :math:`\partial L/\partial x_1[i] = \sum_{o,j} g_o W_{oij} x_2[j]`,
    :math:`\partial L/\partial x_2[j] = \sum_{o,i} g_o W_{oij} x_1[i]`,
    :math:`\partial L/\partial W_{oij} = \sum_{\text{batch}} g_o x_1[i] x_2[j]`,
    :math:`\partial L/\partial b_o = \sum_{\text{batch}} g_o`.
    """

    @staticmethod
    def forward(ctx, x1, x2, w, b):
        ctx.x1, ctx.x2, ctx.w = x1, x2, w
        with all_threads():                # einsum's products run on BLAS
            y = np.einsum("...i,oij,...j->...o", x1, w, x2, optimize=True)
        if b is not None:
            y += b
        return y

    @staticmethod
    def flops(ctx, out, x1, x2, w, b):
        return int(2 * out.size * w.shape[1] * w.shape[2])

    @staticmethod
    def backward(ctx, grad):
        x1, x2, w = ctx.x1, ctx.x2, ctx.w
        n1, n2, nw, nb = ctx.needs_input_grad
        with all_threads():
            d1 = np.einsum("...o,oij,...j->...i", grad, w, x2, optimize=True) if n1 else None
            d2 = np.einsum("...o,oij,...i->...j", grad, w, x1, optimize=True) if n2 else None
            dw = np.einsum("...o,...i,...j->oij", grad, x1, x2, optimize=True) if nw else None
        db = column_sums(grad.reshape(-1, w.shape[0])) if nb else None
        return d1, d2, dw, db
