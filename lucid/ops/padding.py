r"""Padding by copying: reflect, replicate and circular borders (and cropping), as one
autograd Function, :class:`IndexPad`.

Padding an axis of length :math:`n` by ``before`` and ``after`` makes an axis of length
:math:`n + \text{before} + \text{after}` whose position :math:`j` holds the input at
:math:`i = j - \text{before}` when :math:`0 \le i < n`, and otherwise a copy chosen by
the mode (:func:`source_positions`)::

    input             a b c d
    reflect    (2, 2) c b | a b c d | c b      mirror about the edge elements
    replicate  (2, 2) a a | a b c d | d d      repeat the edge elements
    circular   (2, 2) c d | a b c d | a b      wrap around
    constant   (2, 2) v v | a b c d | v v      a constant (no source: position -1)

A negative width crops instead. So every mode is a *gather* along each padded axis,
``y = x.take(source, axis)``, done axis after axis; the backward is the matching
*scatter-add*: every output gradient is added to the input position it was copied from
(an edge element copied twice receives both). That runs the scatter-add kernel twins
through :func:`lucid.ops.index.scatter_add_rows`.

Constant padding with non-negative widths needs no index at all: it is
:class:`lucid.ops.shape.Pad` (``np.pad``; its backward slices the inner block out).

These take checked arguments; :func:`lucid.nn.functional.pad` checks user input first.
"""
import numpy as np

from lucid.ops._util import DataMovement
from lucid.ops.index import scatter_add_rows

__all__ = []  # a Function only; the public function is lucid.nn.functional.pad


def source_positions(n, before, after, mode):
    r"""For each position of an axis of length ``n`` padded by ``(before, after)``, the
    input position it copies (-1: the constant of ``mode='constant'``).

    With :math:`i = j - \text{before}` the position relative to the input:

    * ``constant``: :math:`i` inside :math:`[0, n)`, else -1;
    * ``reflect``: :math:`|i|`, then :math:`2(n - 1) - i` past the end (mirror about the
      first and the last element, which are not repeated);
    * ``replicate``: :math:`i` clipped into :math:`[0, n - 1]`;
    * ``circular``: the input cropped first by any negative width to :math:`[lo, hi)`,
      then wrapped: :math:`lo + ((i - lo) \bmod (hi - lo))` (PyTorch's order).
    """
    i = np.arange(-before, n + after)
    if mode == "constant":
        return np.where((i >= 0) & (i < n), i, -1)
    if mode == "reflect":
        i = np.abs(i)
        return np.where(i >= n, 2 * (n - 1) - i, i)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    lo, hi = max(-before, 0), n - max(-after, 0)
    return lo + (i - lo) % (hi - lo)


class IndexPad(DataMovement):
    r"""``y = pad(x)`` by gathering: ``pads`` is a tuple of ``(axis, before, after)``.

    Forward, per axis: ``y = y.take(source, axis)`` with :func:`source_positions`, then
    the constant where the source is -1. Backward, per axis in reverse order:
    :math:`\partial L/\partial x[\dots, i, \dots] = \sum_{j:\ \text{source}(j) = i}
    \partial L/\partial y[\dots, j, \dots]` (a scatter-add; the constant's positions
    pass nothing back).
    """

    @staticmethod
    def forward(ctx, x, pads, mode, value):
        ctx.steps = []
        y = x
        for axis, before, after in pads:
            source = source_positions(y.shape[axis], before, after, mode)
            ctx.steps.append((axis, y.shape[axis], source))
            y = np.take(y, np.maximum(source, 0), axis=axis)
            outside = source < 0
            if outside.any():
                where = [slice(None)] * y.ndim
                where[axis] = outside
                y[tuple(where)] = value
        return y

    @staticmethod
    def backward(ctx, grad):
        for axis, n, source in reversed(ctx.steps):
            inside = source >= 0
            rows = np.moveaxis(grad, axis, 0)[inside]
            grad = np.moveaxis(scatter_add_rows(rows, source[inside], n), 0, axis)
        return grad
