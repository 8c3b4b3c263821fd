r"""Pixel shuffle and its inverse as one autograd Function, :class:`PixelShuffle`.

Pixel shuffle (Shi et al. 2016, sub-pixel convolution) trades channels for resolution:
with an upscale factor :math:`r`, every group of :math:`r^2` channels becomes one
channel on an :math:`r\times` finer grid,

.. math:: y[\dots, c, h r + i, w r + j] = x[\dots, c r^2 + i r + j, h, w],
          \qquad 0 \le i, j < r

so a ``(*, C r^2, H, W)`` input becomes ``(*, C, H r, W r)``. Pixel unshuffle is the
inverse permutation. Both only move values: as array operations they are one reshape,
one transpose and one reshape,

* shuffle: ``(*, C, r, r, H, W)`` :math:`\to` transpose to ``(*, C, H, r, W, r)``;
* unshuffle: ``(*, C, H, r, W, r)`` :math:`\to` transpose to ``(*, C, r, r, H, W)``,

and the gradient of either is the other one applied to :math:`\partial L/\partial y`.

These take checked arguments; :func:`lucid.nn.functional.pixel_shuffle` and
:func:`lucid.nn.functional.pixel_unshuffle` check user input first.
"""
import numpy as np

from lucid.ops._util import DataMovement

__all__ = []  # a Function only; the public functions are in lucid.nn.functional.pixelshuffle


def shuffle(x, r):
    """``(*, C r^2, H, W)`` to ``(*, C, H r, W r)`` (a new C-contiguous array)."""
    *batch, c, h, w = x.shape
    c //= r * r
    y = x.reshape(*batch, c, r, r, h, w)
    k = len(batch)
    y = y.transpose(*range(k), k, k + 3, k + 1, k + 4, k + 2)     # (*, C, H, r, W, r)
    return np.ascontiguousarray(y).reshape(*batch, c, h * r, w * r)


def unshuffle(x, r):
    """``(*, C, H r, W r)`` to ``(*, C r^2, H, W)`` (a new C-contiguous array)."""
    *batch, c, hr, wr = x.shape
    h, w = hr // r, wr // r
    y = x.reshape(*batch, c, h, r, w, r)
    k = len(batch)
    y = y.transpose(*range(k), k, k + 2, k + 4, k + 1, k + 3)     # (*, C, r, r, H, W)
    return np.ascontiguousarray(y).reshape(*batch, c * r * r, h, w)


class PixelShuffle(DataMovement):
    r"""``y = shuffle(x, r)`` (``inverse=False``) or ``unshuffle(x, r)`` (``inverse=True``);
    :math:`\partial L/\partial x` is the other permutation of :math:`\partial L/\partial y`."""

    @staticmethod
    def forward(ctx, x, factor, inverse=False):
        ctx.factor, ctx.inverse = factor, inverse
        return unshuffle(x, factor) if inverse else shuffle(x, factor)

    @staticmethod
    def backward(ctx, grad):
        return shuffle(grad, ctx.factor) if ctx.inverse else unshuffle(grad, ctx.factor)
