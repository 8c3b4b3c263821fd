r"""Pooling kernels, reference twin: written to be read.

Notation (every function below uses it). ``x`` is the input of shape ``(N, C, *S)``
with ``d = 1, 2 or 3`` spatial axes; ``K`` is the kernel size, ``s`` the stride, ``p``
the padding and ``dil`` the dilation (max pooling only), each a tuple of ``d`` ints;
``o`` is an output position and ``k`` a kernel offset (``0 <= k < K``), both tuples of
``d`` indices. Index arithmetic such as ``o*s + k*dil - p`` is meant per axis.

Output position ``o`` looks at the window of input positions

.. math:: i = o\,s + k\,\mathrm{dil} - p, \qquad 0 \le k < K

and every plane ``(n, c)`` is pooled on its own. The output length along an axis is
:func:`lucid._ext._sizes.pool_output_size`:
:math:`\lfloor (L + 2p - \mathrm{dil}(K - 1) - 1) / s \rfloor + 1`, rounded up instead
with ``ceil_mode`` (keeping a last window only if it starts inside the input or the
left padding).

**Max pooling** takes the largest value of the window; positions in the padding count
as :math:`-\infty` (they never win):

.. math:: y[n, c, o] = \max_{k:\ i \text{ inside}} x[n, c, o s + k\,\mathrm{dil} - p]

Its gradient goes, whole, to the one input that won (``argmax``; on a tie the first
in row-major scan order, as PyTorch), so the backward is a scatter-add.

**Average pooling** sums the window (the padding adds zeros) and divides:

.. math:: y[n, c, o] = \frac{1}{\mathrm{div}(o)} \sum_{k:\ i \text{ inside}}
          x[n, c, o s + k - p]

where the divisor counts the window's positions *inside the padded input* with
``count_include_pad=True`` (a ``ceil_mode`` window hanging past the right padding is
cut there), only those inside the input otherwise, or is ``divisor_override``. Each
input receives ``grad_y[o] / div(o)`` from every window that contains it.

Here every kernel loops over the kernel offsets ``k`` only: for each ``k`` the values
``x_pad[..., k*dil : k*dil + s*(O-1) + 1 : s]`` (one strided NumPy slice) are the
``k``-th element of every window at once.
"""
import itertools
import math

import numpy as np

from lucid._ext import _checks
from lucid._ext._sizes import pool_output_size

__all__ = ["max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward"]


# ------------------------------------------------------------------ shared helpers
def _offsets(kernel_size):
    """Every kernel offset ``k``, a tuple of ``d`` indices, in row-major (scan) order."""
    return itertools.product(*(range(K) for K in kernel_size))


def _output_shape(spatial, kernel_size, stride, padding, dilation, ceil_mode):
    return tuple(pool_output_size(L, K, s, p, dil, ceil_mode)
                 for L, K, s, p, dil in zip(spatial, kernel_size, stride, padding, dilation))


def _pad(x, padding, out, kernel_size, stride, dilation, value):
    """``x`` with ``p`` values before each spatial axis and enough after it for every window.

    A window of the last output starts at ``(O - 1) s`` in padded coordinates and spans
    ``dil (K - 1) + 1``; with ``ceil_mode`` it may reach past the right padding ``p``.
    """
    widths = [(0, 0), (0, 0)]
    for L, O, K, s, p, dil in zip(x.shape[2:], out, kernel_size, stride, padding, dilation):
        reach = (O - 1) * s + dil * (K - 1) + 1      # padded length the windows need
        widths.append((p, max(reach - L - p, 0)))
    return np.pad(x, widths, constant_values=value)


def _window(k, out, stride, dilation):
    """Slices picking, for every output ``o``, the padded position ``o*s + k*dil``."""
    return (Ellipsis,) + tuple(slice(kk * dil, kk * dil + s * (O - 1) + 1, s)
                               for kk, O, s, dil in zip(k, out, stride, dilation))


def _positions(k, out, stride, padding, dilation):
    """Per axis, the input position ``o*s + k*dil - p`` of every output ``o`` (1-D arrays),
    each shaped to broadcast against the others (axis ``a`` along dimension ``a``)."""
    d = len(out)
    result = []
    for a, (kk, O, s, p, dil) in enumerate(zip(k, out, stride, padding, dilation)):
        shape = [1] * d
        shape[a] = O
        result.append((np.arange(O) * s + kk * dil - p).reshape(shape))
    return result


def _divisor(spatial, out, kernel_size, stride, padding, count_include_pad,
             divisor_override, dtype):
    """The divisor ``div(o)`` of every average-pooling window, an array of the output's
    spatial shape: a product of one count per axis (or ``divisor_override``)."""
    if divisor_override is not None:
        return np.full(out, divisor_override, dtype=dtype)
    div = np.ones(out, dtype=np.int64)
    for a, (L, O, K, s, p) in enumerate(zip(spatial, out, kernel_size, stride, padding)):
        start = np.arange(O) * s - p                 # first position of each window
        end = np.minimum(start + K, L + p)           # cut at the end of the right padding
        if count_include_pad:
            count = end - start
        else:
            count = np.minimum(end, L) - np.maximum(start, 0)
        shape = [1] * len(out)
        shape[a] = O
        div = div * count.reshape(shape)
    return div.astype(dtype)


# ------------------------------------------------------------------ max pooling
# [kernel: max_pool_forward]
def max_pool_forward(x, kernel_size, stride, padding, dilation, ceil_mode):
    r"""Max pooling: the largest value of every window, and where it was.

    .. math:: y[n, c, o] = \max_{k:\ i \text{ inside}} x[n, c, i],
              \qquad i = o\,s + k\,\mathrm{dil} - p

    ``argmax[n, c, o]`` is the flat (row-major) index of the winning position ``i``
    inside its plane ``x[n, c]``. The window is scanned in row-major order and a value
    replaces the current maximum only when it is strictly larger (or is NaN), so a tie
    goes to the *first* maximum and a NaN propagates, as in PyTorch. A window with no
    position inside the input (possible with dilation) gives :math:`-\infty` and
    ``argmax = -1``.

    Parameters
    ----------
    x : ndarray, shape (N, C, *S), float32 or float64, C-contiguous
    kernel_size, stride, padding, dilation : tuple of d ints
    ceil_mode : bool
        Round the output size up (see :func:`lucid._ext._sizes.pool_output_size`).

    Returns
    -------
    y : ndarray, shape (N, C, *O), x's dtype
    argmax : ndarray, shape (N, C, *O), int64
    """
    _checks.max_pool_forward(x, kernel_size, stride, padding, dilation, ceil_mode)
    N, C, *spatial = x.shape
    out = _output_shape(spatial, kernel_size, stride, padding, dilation, ceil_mode)
    x_pad = _pad(x, padding, out, kernel_size, stride, dilation, -np.inf)
    y = np.full((N, C) + out, -np.inf, dtype=x.dtype)
    argmax = np.full((N, C) + out, -1, dtype=np.int64)
    plane_strides = [math.prod(spatial[a + 1:]) for a in range(len(spatial))]
    for k in _offsets(kernel_size):
        value = x_pad[_window(k, out, stride, dilation)]   # k-th element of every window
        position = _positions(k, out, stride, padding, dilation)
        inside = np.ones(out, dtype=bool)
        flat = np.zeros(out, dtype=np.int64)
        for i, L, step in zip(position, spatial, plane_strides):
            inside = inside & (i >= 0) & (i < L)
            flat = flat + i * step
        # the first position inside always takes the seat; afterwards only a strictly
        # larger value (or a NaN) replaces the maximum
        take = inside & ((value > y) | np.isnan(value) | (argmax < 0))
        y = np.where(take, value, y)
        argmax = np.where(take, flat, argmax)
    return y, argmax
# [end kernel: max_pool_forward]


# [kernel: max_pool_backward]
def max_pool_backward(grad_y, argmax, input_shape):
    r"""Gradient of max pooling: each output's gradient goes to the input that won.

    .. math:: \frac{\partial L}{\partial x[n, c, j]} = \sum_{o:\ \mathrm{argmax}[n, c, o] = j}
              \frac{\partial L}{\partial y[n, c, o]}

    Windows overlap when the stride is smaller than the kernel, so one input may win
    several windows: the gradients add up (a scatter-add, in output order). Outputs
    with ``argmax = -1`` (an empty window) send their gradient nowhere.

    Parameters
    ----------
    grad_y : ndarray, shape (N, C, *O), float32 or float64, C-contiguous
    argmax : ndarray, shape (N, C, *O), int64
        From :func:`max_pool_forward`.
    input_shape : tuple of ints
        ``(N, C, *S)``, the shape of ``x``.

    Returns
    -------
    grad_x : ndarray, shape ``input_shape``, grad_y's dtype
    """
    _checks.max_pool_backward(grad_y, argmax, input_shape)
    planes = input_shape[0] * input_shape[1]
    grad_x = np.zeros((planes, math.prod(input_shape[2:])), dtype=grad_y.dtype)
    outputs = math.prod(argmax.shape[2:])
    winner = argmax.reshape(planes, outputs)
    grad = grad_y.reshape(planes, outputs)
    plane = np.broadcast_to(np.arange(planes)[:, None], winner.shape)
    won = winner >= 0
    np.add.at(grad_x, (plane[won], winner[won]), grad[won])
    return grad_x.reshape(input_shape)
# [end kernel: max_pool_backward]


# ------------------------------------------------------------------ average pooling
# [kernel: avg_pool_forward]
def avg_pool_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override):
    r"""Average pooling: the sum of every window divided by its divisor.

    .. math:: y[n, c, o] = \frac{1}{\mathrm{div}(o)} \sum_{k:\ i \text{ inside}} x[n, c, i],
              \qquad i = o\,s + k - p

    The divisor is ``divisor_override`` when given; else, per axis, the window's
    length inside the padded input (``count_include_pad``; a ``ceil_mode`` window that
    hangs past the right padding is cut there) or inside the input alone, multiplied
    over the axes.

    Parameters
    ----------
    x : ndarray, shape (N, C, *S), float32 or float64, C-contiguous
    kernel_size, stride, padding : tuple of d ints
    ceil_mode, count_include_pad : bool
    divisor_override : int or None

    Returns
    -------
    y : ndarray, shape (N, C, *O), x's dtype
    """
    _checks.avg_pool_forward(x, kernel_size, stride, padding, ceil_mode,
                             count_include_pad, divisor_override)
    N, C, *spatial = x.shape
    ones = (1,) * len(spatial)
    out = _output_shape(spatial, kernel_size, stride, padding, ones, ceil_mode)
    x_pad = _pad(x, padding, out, kernel_size, stride, ones, 0)
    total = np.zeros((N, C) + out, dtype=x.dtype)
    for k in _offsets(kernel_size):
        total += x_pad[_window(k, out, stride, ones)]      # the padding adds zeros
    div = _divisor(spatial, out, kernel_size, stride, padding, count_include_pad,
                   divisor_override, x.dtype)
    return total / div
# [end kernel: avg_pool_forward]


# [kernel: avg_pool_backward]
def avg_pool_backward(grad_y, input_shape, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override):
    r"""Gradient of average pooling: each window spreads ``grad_y / div`` over its inputs.

    .. math:: \frac{\partial L}{\partial x[n, c, j]} = \sum_{o, k:\ o s + k - p = j}
              \frac{1}{\mathrm{div}(o)} \frac{\partial L}{\partial y[n, c, o]}

    The sum runs over every window containing ``j``; the padding receives its share
    too, and is cut off at the end.

    Parameters
    ----------
    grad_y : ndarray, shape (N, C, *O), float32 or float64, C-contiguous
    input_shape : tuple of ints
        ``(N, C, *S)``, the shape of ``x``.
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        As given to :func:`avg_pool_forward`.

    Returns
    -------
    grad_x : ndarray, shape ``input_shape``, grad_y's dtype
    """
    _checks.avg_pool_backward(grad_y, input_shape, kernel_size, stride, padding,
                              ceil_mode, count_include_pad, divisor_override)
    spatial = input_shape[2:]
    ones = (1,) * len(spatial)
    out = grad_y.shape[2:]
    div = _divisor(spatial, out, kernel_size, stride, padding, count_include_pad,
                   divisor_override, grad_y.dtype)
    share = grad_y / div
    # a zero "padded input" shaped as in the forward, to accumulate into
    grad_pad = _pad(np.zeros(input_shape, dtype=grad_y.dtype), padding, out, kernel_size,
                    stride, ones, 0)
    for k in _offsets(kernel_size):
        grad_pad[_window(k, out, stride, ones)] += share
    inside = (Ellipsis,) + tuple(slice(p, p + L) for p, L in zip(padding, spatial))
    return np.ascontiguousarray(grad_pad[inside])
# [end kernel: avg_pool_backward]
