r"""Convolution, transposed convolution, unfold and fold as autograd Functions.

Three kernels of the ``conv`` family (:mod:`lucid._ext`) compute every forward and
backward here, by duality. Write :math:`y = \mathrm{conv}(x, w)` for the convolution
(stride :math:`s`, padding :math:`p`, dilation :math:`d`, groups :math:`g`); it is
linear in :math:`x`, and its adjoint (the map with
:math:`\langle \mathrm{conv}(x, w), u\rangle = \langle x, \mathrm{conv}^T(u, w)\rangle`)
is the transposed convolution with the same weight. So

=====================================  ===========================================
needed                                  kernel
=====================================  ===========================================
conv forward                            ``conv_forward(x, w)``
conv input gradient                     ``conv_transpose_forward(dL/dy, w)``
conv weight gradient                    ``conv_weight_grad(x, dL/dy)``
conv_transpose forward                  ``conv_transpose_forward(x, w)``
conv_transpose input gradient           ``conv_forward(dL/dy, w)``
conv_transpose weight gradient          ``conv_weight_grad(dL/dy, x)`` (roles swapped)
bias gradient (both)                    ``dL/dy`` summed over N and every spatial axis
=====================================  ===========================================

``unfold`` (im2col) and ``fold`` (col2im) are adjoint to each other in the same way.

A conv_transpose's backward runs ``conv_forward`` and ``conv_weight_grad`` on the same
``dL/dy``; where the active twin offers the private fused ``_transpose_grads`` (the
compiled twin: it unfolds ``dL/dy`` once for both), it is called instead of the two.
Likewise a convolution (a conv_transpose) with a bias calls the private
``_conv_forward_biased`` (``_conv_transpose_forward_biased``) where the active twin has
it (the compiled twin adds the bias to each block of output while it is in the cache);
elsewhere ``conv_forward`` (``conv_transpose_forward``), then ``y += b`` in NumPy.

These Functions take checked arguments (tuples of ints, one per spatial axis) and
never validate: :mod:`lucid.nn.functional.conv` does that first. Arrays handed to a
kernel are made C-contiguous and writeable here, since kernels accept nothing else.
"""
import math

import numpy as np

from lucid import _ext
from lucid._ext._blas import row_sums
from lucid._checks import interned
from lucid._ext._sizes import conv_output_size, conv_transpose_output_size
from lucid.autograd.function import Function
from lucid.ops._util import column_sums

__all__ = []  # Functions only; the public functions are in lucid.nn.functional.conv


def _c(a):
    """``a`` as a C-contiguous, writeable array (what the kernels accept)."""
    a = np.ascontiguousarray(a)
    if not a.flags.writeable:
        a = a.copy()
    return a


def _bias_shape(b, d):
    """``b`` of shape ``(C,)`` viewed as ``(C, 1, ..., 1)`` to broadcast over ``d`` axes."""
    return b.reshape((-1,) + (1,) * d)


def _sum_over_batch_and_space(grad):
    """``dL/db_c = sum over n and every spatial position of dL/dy[n, c, ...]``: each
    plane ``(n, c)`` summed as a row (:func:`~lucid._ext._blas.row_sums`), then the
    batch. ``grad`` is C-contiguous. Where the active ``norm`` twin has the private
    ``_channel_sums`` (the compiled one: batch norm's loop for its bias gradient, the
    channels on the threads) it sums instead: BLAS's matrix-vector product ran on one
    thread (a batch of 64 of the homework CNN's first layer, 233 us)."""
    N, C = grad.shape[:2]
    L = math.prod(grad.shape[2:])
    fast = getattr(_ext.get("norm"), "_channel_sums", None)
    if fast is not None:
        sums = fast(grad.reshape(N, C, L))
        if sums is not None:
            return sums
    planes = row_sums(grad.reshape(N * C, L))
    return column_sums(planes.reshape(N, C))


class Conv(Function):
    r"""``y = conv(x, w) + b`` in 1, 2 or 3 spatial dimensions.

    Forward, for group :math:`\gamma` holding output channel :math:`o` and input
    channels :math:`c` (:math:`C_{in}/g` of them):

    .. math:: y[n, o, i] = b[o] + \sum_{c} \sum_{k}
              w[o, c, k]\; x_{pad}[n, \gamma C_{in}/g + c,\; i s + k d]

    Backward: ``dL/dx = conv_transpose(dL/dy, w)`` with the ``output_padding`` that
    gives back ``x``'s size; ``dL/dw = conv_weight_grad(x, dL/dy)``;
    ``dL/db = dL/dy`` summed over ``N`` and space.

    ``padding_end`` adds zeros after the end of each spatial axis (the odd extra of
    ``padding='same'``); ``unbatched`` means ``x`` has no batch axis.
    """

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups,
                padding_end=None, unbatched=False):
        d = w.ndim - 2
        if unbatched:
            x = x[None]
        if padding_end is not None and any(padding_end):
            x = np.pad(x, [(0, 0), (0, 0)] + [(0, e) for e in padding_end])
        x, w = _c(x), _c(w)
        ctx.params = (stride, padding, dilation, groups)
        ctx.padding_end, ctx.unbatched = padding_end, unbatched
        ctx.x_shape = x.shape
        ctx.has_bias = b is not None
        ctx.x, ctx.w = x, w
        kernels = _ext.get("conv")
        biased = getattr(kernels, "_conv_forward_biased", None)  # the bias added in the kernel
        if b is not None and biased is not None and b.dtype == x.dtype:
            y = biased(x, w, _c(b.reshape(-1)), stride, padding, dilation, groups)
        else:
            y = kernels.conv_forward(x, w, stride, padding, dilation, groups)
            if b is not None:
                y += _bias_shape(b, d)
        return y[0] if unbatched else y

    @staticmethod
    def flops(ctx, out, x, w, *rest, **params):
        """Each output element is a dot product of C_in/groups * prod(K) terms (a multiply
        and an add each); bias additions are not counted, as for Linear."""
        return int(2 * out.size * math.prod(w.shape[1:]))

    @staticmethod
    def backward(ctx, grad):
        stride, padding, dilation, groups = ctx.params
        w = ctx.w
        d = w.ndim - 2
        grad = _c(grad[None] if ctx.unbatched else grad)
        kernels = _ext.get("conv")
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            # output_padding so the transposed conv returns exactly x's (padded) size
            output_padding = interned(tuple(
                ctx.x_shape[2 + i] - conv_transpose_output_size(
                    grad.shape[2 + i], w.shape[2 + i], stride[i], padding[i], 0, dilation[i])
                for i in range(d)
            ))
            gx = kernels.conv_transpose_forward(grad, w, stride, padding, output_padding,
                                                dilation, groups)
            if ctx.padding_end is not None and any(ctx.padding_end):
                gx = gx[(slice(None), slice(None))
                        + tuple(slice(0, n - e) for n, e in zip(gx.shape[2:], ctx.padding_end))]
            if ctx.unbatched:
                gx = gx[0]
        if ctx.needs_input_grad[1]:
            gw = kernels.conv_weight_grad(ctx.x, grad, interned(w.shape[2:]), stride,
                                          padding, dilation, groups)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = _sum_over_batch_and_space(grad)
        return gx, gw, gb


class ConvTranspose(Function):
    r"""``y = conv_transpose(x, w) + b``: the adjoint of :class:`Conv` in ``x``, plus a bias.

    Forward, with weight ``(C_in, C_out/g, *K)``: every input position :math:`j`
    scatters into the outputs :math:`i = j s + k d - p`:

    .. math:: y[n, \gamma C_{out}/g + o, i] = b[\,\cdot\,] + \sum_{c} \sum_{k,\,j:\; j s + k d - p = i}
              w[\gamma C_{in}/g + c, o, k]\; x[n, \gamma C_{in}/g + c, j]

    Backward: ``dL/dx = conv(dL/dy, w)``; ``dL/dw = conv_weight_grad(dL/dy, x)``
    (the convolution's weight gradient with input and output roles swapped; both
    unfold ``dL/dy`` the same way, so the columns are shared: module docstring);
    ``dL/db = dL/dy`` summed over ``N`` and space.
    """

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups,
                unbatched=False):
        d = w.ndim - 2
        if unbatched:
            x = x[None]
        x, w = _c(x), _c(w)
        ctx.params = (stride, padding, dilation, groups)
        ctx.unbatched, ctx.x_shape = unbatched, x.shape
        ctx.has_bias = b is not None
        ctx.x, ctx.w = x, w
        kernels = _ext.get("conv")
        biased = getattr(kernels, "_conv_transpose_forward_biased", None)
        if b is not None and biased is not None and b.dtype == x.dtype:
            y = biased(x, w, _c(b.reshape(-1)), stride, padding, output_padding, dilation,
                       groups)
        else:
            y = kernels.conv_transpose_forward(x, w, stride, padding, output_padding,
                                               dilation, groups)
            if b is not None:
                y += _bias_shape(b, d)
        return y[0] if unbatched else y

    @staticmethod
    def flops(ctx, out, x, w, *rest, **params):
        """Each input element is scattered through C_out/groups * prod(K) weights (a
        multiply and an add each); bias additions are not counted."""
        return int(2 * x.size * math.prod(w.shape[1:]))

    @staticmethod
    def backward(ctx, grad):
        stride, padding, dilation, groups = ctx.params
        w, x_shape = ctx.w, ctx.x_shape
        d = w.ndim - 2
        grad = _c(grad[None] if ctx.unbatched else grad)
        kernels = _ext.get("conv")
        # The convolution of grad has size L + floor(output_padding / stride) along each
        # axis: one more than x when output_padding >= stride (allowed when dilation
        # exceeds it). The extra positions correspond to no input element: crop them
        # from dL/dx, and pad x with zeros to match for the weight gradient.
        conv_spatial = tuple(conv_output_size(grad.shape[2 + i], w.shape[2 + i], stride[i],
                                              padding[i], dilation[i]) for i in range(d))
        extra = tuple(c - n for c, n in zip(conv_spatial, x_shape[2:]))
        gx = gw = gb = None
        x = ctx.x
        if ctx.needs_input_grad[1] and any(extra):
            x = np.pad(x, [(0, 0), (0, 0)] + [(0, e) for e in extra])
        both = getattr(kernels, "_transpose_grads", None)   # one im2col of grad for both
        if ctx.needs_input_grad[0] and ctx.needs_input_grad[1] and both is not None:
            gx, gw = both(grad, x, w, stride, padding, dilation, groups)
        elif ctx.needs_input_grad[0]:
            gx = kernels.conv_forward(grad, w, stride, padding, dilation, groups)
        if gx is not None:
            if any(extra):
                gx = gx[(slice(None), slice(None)) + tuple(slice(0, n) for n in x_shape[2:])]
            if ctx.unbatched:
                gx = gx[0]
        if ctx.needs_input_grad[1] and gw is None:
            gw = kernels.conv_weight_grad(grad, x, interned(w.shape[2:]), stride, padding,
                                          dilation, groups)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = _sum_over_batch_and_space(grad)
        return gx, gw, gb


class Unfold(Function):
    r"""im2col: ``cols[n, c K + k, l] = x_pad[n, c, l s + k d]`` (``k``, ``l`` flattened).

    Backward: ``unfold`` is linear and its adjoint is ``fold`` (every column entry is
    added back to the input position it was read from), so ``dL/dx = fold(dL/dcols)``.
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation, unbatched=False):
        if unbatched:
            x = x[None]
        x = _c(x)
        ctx.params = (kernel_size, stride, padding, dilation)
        ctx.x_shape, ctx.unbatched = x.shape, unbatched
        cols = _ext.get("conv").unfold(x, kernel_size, stride, padding, dilation)
        return cols[0] if unbatched else cols

    @staticmethod
    def backward(ctx, grad):
        kernel_size, stride, padding, dilation = ctx.params
        grad = _c(grad[None] if ctx.unbatched else grad)
        gx = _ext.get("conv").fold(grad, ctx.x_shape[2:], kernel_size, stride, padding, dilation)
        return gx[0] if ctx.unbatched else gx


class Fold(Function):
    r"""col2im: ``y_pad[n, c, l s + k d] += cols[n, c K + k, l]``, then the padding is cut.

    Backward: the adjoint of ``fold`` is ``unfold``: ``dL/dcols = unfold(dL/dy)``.
    """

    @staticmethod
    def forward(ctx, cols, output_size, kernel_size, stride, padding, dilation,
                unbatched=False):
        if unbatched:
            cols = cols[None]
        cols = _c(cols)
        ctx.params = (kernel_size, stride, padding, dilation)
        ctx.unbatched = unbatched
        y = _ext.get("conv").fold(cols, output_size, kernel_size, stride, padding, dilation)
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, grad):
        kernel_size, stride, padding, dilation = ctx.params
        grad = _c(grad[None] if ctx.unbatched else grad)
        g = _ext.get("conv").unfold(grad, kernel_size, stride, padding, dilation)
        return g[0] if ctx.unbatched else g
