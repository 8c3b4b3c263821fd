r"""Pooling as autograd Functions: max, average and adaptive average, 1d/2d/3d.

Max and average pooling run the ``pool`` kernels of :mod:`lucid._ext` (the active
twin, chosen per call) in their forward and backward:

=====================================  ===========================================
needed                                  kernel
=====================================  ===========================================
max pooling forward                     ``max_pool_forward(x) -> (y, argmax)``
max pooling input gradient              ``max_pool_backward(dL/dy, argmax)``
max unpooling, forward and backward     none: a NumPy scatter and gather
average pooling forward                 ``avg_pool_forward(x)``
average pooling input gradient          ``avg_pool_backward(dL/dy)``
=====================================  ===========================================

Adaptive average pooling needs no kernel: it is linear and *separable*. Along one axis
of length :math:`L` pooled to :math:`O` outputs, output :math:`i` averages the inputs
:math:`\lfloor iL/O \rfloor \le j < \lceil (i+1)L/O \rceil`, which is the product with
an :math:`O \times L` averaging matrix :math:`A`. The mean over a box is the mean along
each axis in turn, so :math:`y = x \times_1 A_1 \times_2 A_2 \cdots` (one matrix product
per spatial axis), and the gradient multiplies by the transposes.

These Functions take checked arguments (tuples of ints, one per spatial axis) and
never validate: :mod:`lucid.nn.functional.pool` does that first.
"""
import functools
import math

import numpy as np

from lucid import _ext
from lucid._ext._blas import matmul as blas_matmul, row_sums
from lucid.autograd.function import Function

__all__ = []  # Functions only; the public functions are in lucid.nn.functional.pool


def _batched(x, unbatched):
    """``x`` with a batch axis (added when ``unbatched``), C-contiguous for the kernels."""
    return np.ascontiguousarray(x[None] if unbatched else x)


class MaxPool(Function):
    r"""``y = max_pool(x)`` in 1, 2 or 3 spatial dimensions.

    Forward: :math:`y[n, c, o] = \max_{k} x_{pad}[n, c, o s + k\,\mathrm{dil}]`, the
    padding being :math:`-\infty`; the kernel also returns where each maximum was.

    Backward: ``dL/dx[n, c, argmax[n, c, o]] += dL/dy[n, c, o]`` (each gradient goes to
    the one input that won its window).

    ``indices``: a list to which the forward appends ``argmax`` (the output's shape,
    int64), for ``return_indices=True``. It is already PyTorch's index: the flat
    (row-major) position of the winner inside its plane ``x[n, c]``.
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation, ceil_mode, unbatched=False,
                indices=None):
        x = _batched(x, unbatched)
        y, argmax = _ext.get("pool").max_pool_forward(x, kernel_size, stride, padding,
                                                      dilation, ceil_mode)
        ctx.argmax, ctx.x_shape, ctx.dtype, ctx.unbatched = argmax, x.shape, x.dtype, unbatched
        ctx.kernel_size = kernel_size
        if indices is not None:
            indices.append((argmax[0] if unbatched else argmax).copy())   # the user may write it
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, grad):
        grad = np.ascontiguousarray(grad[None] if ctx.unbatched else grad, dtype=ctx.dtype)
        gx = _ext.get("pool").max_pool_backward(grad, ctx.argmax, ctx.x_shape)
        return gx[0] if ctx.unbatched else gx

    @staticmethod
    def flops(ctx, out, *inputs):
        """One comparison per window element."""
        return int(out.size) * math.prod(ctx.kernel_size)


class MaxUnpool(Function):
    r"""``y = max_unpool(x, indices)``: the partial inverse of max pooling.

    Every plane ``(n, c)`` of the output (shape ``output_size``, zeros) receives each
    input value at the flat position ``indices`` names:
    :math:`y[n, c].\mathrm{flat}[\mathrm{indices}[n, c, o]] = x[n, c, o]` (a position
    named twice keeps the last value written, as PyTorch's CPU loop).

    Backward: the gather of the same positions,
    :math:`\partial L/\partial x[n, c, o] = \partial L/\partial
    y[n, c].\mathrm{flat}[\mathrm{indices}[n, c, o]]`. ``indices`` gets no gradient.

    ``x`` and ``indices`` have one shape ``(*planes, *in)``; ``output_size`` is the
    spatial shape of the output, whose leading axes are ``x``'s.
    """

    @staticmethod
    def forward(ctx, x, indices, output_size):
        d = len(output_size)
        planes = x.shape[:x.ndim - d]
        n_planes = int(np.prod(planes, dtype=np.int64))
        rows = np.arange(n_planes)[:, None]
        flat = indices.reshape(n_planes, -1)
        y = np.zeros((n_planes, int(np.prod(output_size, dtype=np.int64))), dtype=x.dtype)
        y[rows, flat] = x.reshape(n_planes, -1)
        ctx.rows, ctx.flat, ctx.x_shape = rows, flat, x.shape
        return y.reshape(planes + tuple(output_size))

    @staticmethod
    def backward(ctx, grad):
        g = grad.reshape(ctx.rows.shape[0], -1)
        return g[ctx.rows, ctx.flat].reshape(ctx.x_shape), None

    @staticmethod
    def flops(ctx, out, *inputs):
        """No arithmetic: the values are moved."""
        return 0


class AvgPool(Function):
    r"""``y = avg_pool(x)`` in 1, 2 or 3 spatial dimensions.

    Forward: :math:`y[n, c, o] = \frac{1}{\mathrm{div}(o)} \sum_k x_{pad}[n, c, o s + k]`,
    the padding being zeros.

    Backward: every input of window ``o`` receives :math:`\partial L/\partial y[n, c, o]
    / \mathrm{div}(o)`.
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override, unbatched=False):
        x = _batched(x, unbatched)
        ctx.params = (kernel_size, stride, padding, ceil_mode, count_include_pad,
                      divisor_override)
        ctx.x_shape, ctx.dtype, ctx.unbatched = x.shape, x.dtype, unbatched
        ctx.kernel_size = kernel_size
        y = _ext.get("pool").avg_pool_forward(x, *ctx.params)
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, grad):
        grad = np.ascontiguousarray(grad[None] if ctx.unbatched else grad, dtype=ctx.dtype)
        gx = _ext.get("pool").avg_pool_backward(grad, ctx.x_shape, *ctx.params)
        return gx[0] if ctx.unbatched else gx

    @staticmethod
    def flops(ctx, out, *inputs):
        """One addition per window element."""
        return int(out.size) * math.prod(ctx.kernel_size)


def averaging_matrix(length, size, dtype):
    r"""The ``(size, length)`` matrix of adaptive average pooling along one axis.

    Row :math:`i` averages the inputs :math:`\lfloor i L / O \rfloor \le j <
    \lceil (i + 1) L / O \rceil` (:math:`L` = ``length``, :math:`O` = ``size``), as
    PyTorch. The windows cover the axis; neighbours may share an element.
    """
    i = np.arange(size)
    start = (i * length) // size
    end = -((-(i + 1) * length) // size)             # ceil((i + 1) L / O)
    j = np.arange(length)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


@functools.lru_cache(maxsize=256)        # a pure function of two tuples (~1.4 us a call)
def _blocks(x_shape, output_size):
    """When every spatial length is a positive multiple of its output size, the windows
    are disjoint blocks of equal size (global pooling, output 1, the common case): the
    shape that splits each spatial axis into ``(output, block)``, the block axes and the
    block's element count; else None. A block's mean is then a sum and one division,
    as PyTorch computes it (the averaging matrices cost ~85 us at batch 1 on a
    ``(1, 64, 8, 8)`` input pooled to 1, against PyTorch's 15 us). Global pooling
    sums each plane as a row (:func:`~lucid._ext._blas.row_sums`)."""
    d = len(output_size)
    first = len(x_shape) - d
    lengths = x_shape[first:]
    if not all(n > 0 and o > 0 and n % o == 0 for n, o in zip(lengths, output_size)):
        return None
    count = 1
    for n, o in zip(lengths, output_size):
        count *= n // o
    if all(o == 1 for o in output_size):     # global pooling: one contiguous block
        return tuple(x_shape[:first]) + (1, count), (first + 1,), count
    split = tuple(x_shape[:first])
    for n, o in zip(lengths, output_size):
        split += (o, n // o)
    return split, tuple(first + 2 * a + 1 for a in range(d)), count


def _along(x, matrix, axis):
    """Multiply ``x`` by ``matrix`` (``(O, L)``) along ``axis`` (of length ``L``)."""
    return np.moveaxis(blas_matmul(np.moveaxis(x, axis, -1), matrix.T), -1, axis)


class AdaptiveAvgPool(Function):
    r"""``y = adaptive_avg_pool(x)`` to ``output_size``, 1, 2 or 3 spatial dimensions.

    Forward: :math:`y = x \times_1 A_1 \times_2 A_2 \cdots` with the averaging matrices
    :math:`A_a` of :func:`averaging_matrix`, one per spatial axis.

    Backward: :math:`\partial L/\partial x = \partial L/\partial y \times_1 A_1^T
    \times_2 A_2^T \cdots`.

    When every window is a disjoint block of equal size (:func:`_blocks`), the forward
    is a sum per block divided by its size and the backward spreads each gradient
    divided by the size over its block: the same maths without the matrices.
    """

    @staticmethod
    def forward(ctx, x, output_size):
        d = len(output_size)
        first = x.ndim - d
        ctx.blocks = _blocks(x.shape, output_size)
        ctx.dtype = x.dtype
        if ctx.blocks is not None:
            split, axes, count = ctx.blocks
            ctx.x_shape = x.shape
            if axes == (first + 1,):         # global: each plane a row, summed by BLAS
                rows = x.reshape(-1, count)
                y = row_sums(rows) / x.dtype.type(count)
            else:
                y = np.add.reduce(x.reshape(split), axis=axes) / x.dtype.type(count)
            return y.reshape(x.shape[:first] + tuple(output_size))
        ctx.matrices = [averaging_matrix(x.shape[first + a], output_size[a], x.dtype)
                        for a in range(d)]
        ctx.first = first
        y = x
        for a, matrix in enumerate(ctx.matrices):
            y = _along(y, matrix, first + a)
        return np.ascontiguousarray(y)

    @staticmethod
    def backward(ctx, grad):
        grad = np.asarray(grad, dtype=ctx.dtype)
        if ctx.blocks is not None:
            split, axes, count = ctx.blocks
            kept = tuple(n for i, n in enumerate(split) if i not in axes)
            share = np.expand_dims(grad.reshape(kept) / grad.dtype.type(count), axes)
            return np.ascontiguousarray(np.broadcast_to(share, split)).reshape(ctx.x_shape)
        for a, matrix in enumerate(ctx.matrices):
            grad = _along(grad, matrix.T, ctx.first + a)
        return np.ascontiguousarray(grad)
