r"""Embedding lookup as an autograd Function: ``y = W[indices]``.

The forward gathers rows of the weight; a row may be read many times (a token that
appears twice), so the backward adds every gradient row back into the row it was read
from, as many times as it was read:

.. math:: \frac{\partial L}{\partial W_r} = \sum_{i \,:\, \text{indices}_i = r}
          \frac{\partial L}{\partial y_i}

which is the scatter-add kernel family (:mod:`lucid._ext.scatter`, both twins) through
:func:`lucid.ops.index.scatter_add_rows`. The row ``padding_idx`` gets no gradient.

This Function takes checked arguments; :mod:`lucid.nn.functional.embedding` checks
user input first.
"""
import numpy as np

from lucid.autograd.function import Function
from lucid.ops.index import scatter_add_rows

__all__ = []  # Functions only; the public function is lucid.nn.functional.embedding


class Embedding(Function):
    r"""``y[..., :] = W[indices[...], :]``; ``dL/dW = scatter_add(dL/dy)`` (see above),
    with the row ``padding_idx`` (when not None) set to zero."""

    @staticmethod
    def forward(ctx, indices, weight, padding_idx=None):
        ctx.indices, ctx.n_rows, ctx.padding_idx = indices, weight.shape[0], padding_idx
        return np.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, grad):
        rows = grad.reshape(ctx.indices.size, grad.shape[-1])
        dw = scatter_add_rows(rows, ctx.indices.reshape(-1), ctx.n_rows)
        if ctx.padding_idx is not None:
            dw[ctx.padding_idx] = 0
        return None, dw
