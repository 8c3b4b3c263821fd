r"""Convolution kernels, reference twin: written to be read.

Notation (every function below uses it). ``x`` is the input of shape
``(N, C_in, *S)`` with ``d = 1, 2 or 3`` spatial axes, ``w`` the weight, ``s`` the stride,
``p`` the padding, ``dil`` the dilation and ``k`` a kernel offset (a tuple of ``d``
indices, ``0 <= k < K``). ``x_pad`` is ``x`` with ``p`` zeros added on both sides of every
spatial axis. Spatial index arithmetic such as ``o*s + k*dil`` is meant per axis.

The convolution (a cross-correlation, as in PyTorch), channels split into ``groups``:

.. math::

    y[n, c_o, o] = \sum_{c_i \in \text{group}(c_o)} \sum_{k}
                   w[c_o, c_i, k] \; x_{pad}[n, c_i, o s + k\,dil]

Three kernels cover every forward and backward pass of conv and conv_transpose in 1d,
2d and 3d, because of one duality. A convolution is linear in ``x``: ``y = A_w x`` for
a sparse matrix ``A_w`` built from the weight. Then

* its **input gradient** is ``grad_x = A_w^T grad_y`` (the adjoint, or transpose);
* the **transposed convolution** *is* that adjoint: ``conv_transpose(x, w) = A_w^T x``.
  Each input value is scattered, scaled by the weight, to the positions the
  convolution would have read it from. So :func:`conv_transpose_forward` is both the
  forward of conv_transpose and the input gradient of conv, and :func:`conv_forward`
  is the input gradient of conv_transpose;
* the **weight gradient** correlates the input with the output gradient:
  :func:`conv_weight_grad`. For conv_transpose the same kernel is used with the roles
  of input and output gradient swapped.

The adjoint property is what the tests check:
``<conv_forward(x, w), y> == <x, conv_transpose_forward(y, w)>``.

:func:`unfold` (im2col) copies every receptive field into a column, and :func:`fold`
(col2im) is its adjoint, summing overlapping columns back. With them a convolution is a
single matrix product, which is how the compiled twin ``_conv.pyx`` makes it fast.

Here each kernel loops over the kernel offsets ``k`` only; for each ``k`` the window
``x_pad[..., k*dil : k*dil + s*(O-1) + 1 : s]`` is one NumPy slice, and the sum over
channels is one ``einsum``.
"""
import itertools
import math

import numpy as np

from lucid._ext import _checks
from lucid._ext._sizes import conv_output_size, conv_transpose_output_size

__all__ = ["conv_forward", "conv_weight_grad", "conv_transpose_forward", "unfold", "fold"]


def _offsets(kernel_size):
    """Every kernel offset ``k``, a tuple of ``d`` indices, in row-major order."""
    return itertools.product(*(range(K) for K in kernel_size))


def _window(k, count, stride, dilation):
    """Index of the positions ``i*s + k*dil`` for ``i = 0 .. count-1``, along every axis.

    ``array[_window(...)]`` picks, for every output position ``o``, the input position
    that the kernel offset ``k`` reads; ``...`` keeps the batch and channel axes.
    """
    return (Ellipsis,) + tuple(
        slice(ki * di, ki * di + si * (ci - 1) + 1, si)
        for ki, ci, si, di in zip(k, count, stride, dilation)
    )


def _pad(x, padding):
    """``x`` with ``p`` zeros on both sides of every spatial axis (batch, channel kept)."""
    return np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])


def _crop(x_pad, padding, size):
    """The inverse of :func:`_pad`: drop ``p`` entries at the start, keep ``size``."""
    return x_pad[(Ellipsis,) + tuple(slice(p, p + L) for p, L in zip(padding, size))]


# [kernel: conv_forward]
def conv_forward(x, w, stride, padding, dilation, groups):
    r"""Convolution (cross-correlation) of ``x`` with ``w``, without bias.

    .. math::

        y[n, c_o, o] = \sum_{c_i \in \text{group}(c_o)} \sum_{k}
                       w[c_o, c_i, k] \; x_{pad}[n, c_i, o s + k\,dil]

    with ``O = floor((S + 2p - dil*(K - 1) - 1) / s) + 1`` along each axis
    (:func:`lucid._ext._sizes.conv_output_size`).

    Backward: ``grad_x = conv_transpose_forward(grad_y, w, ...)`` and
    ``grad_w = conv_weight_grad(x, grad_y, ...)``.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, *S), float32 or float64, C-contiguous
    w : ndarray, shape (C_out, C_in // groups, *K), same dtype
    stride, padding, dilation : tuple of int, one per spatial axis
    groups : int
        ``C_in`` and ``C_out`` are split into ``groups`` blocks; output channel
        ``c_o`` sees only the input channels of its block.

    Returns
    -------
    y : ndarray, shape (N, C_out, *O), dtype of ``x``

    Examples
    --------
    >>> x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    >>> w = np.array([[[1.0, -1.0]]])
    >>> conv_forward(x, w, (1,), (0,), (1,), 1)
    array([[[-1., -1., -1.]]])
    """
    _checks.conv_forward(x, w, stride, padding, dilation, groups)
    N, C_in = x.shape[:2]
    C_out, C_in_g = w.shape[:2]
    K = w.shape[2:]
    G = groups
    O = tuple(conv_output_size(S, Ki, s, p, dil)
              for S, Ki, s, p, dil in zip(x.shape[2:], K, stride, padding, dilation))
    x_pad = _pad(x, padding)
    xg = x_pad.reshape(N, G, C_in_g, *x_pad.shape[2:])   # split the channels in groups
    wg = w.reshape(G, C_out // G, C_in_g, *K)
    y = np.zeros((N, G, C_out // G, *O), dtype=x.dtype)
    for k in _offsets(K):
        x_k = xg[_window(k, O, stride, dilation)]          # (N, G, C_in_g, *O)
        # y[n, g, a, o] += sum_c w[g, a, c, k] * x_k[n, g, c, o]
        y += np.einsum("gac,ngc...->nga...", wg[(Ellipsis,) + k], x_k, optimize=True)
    return y.reshape(N, C_out, *O)
# [end kernel: conv_forward]


# [kernel: conv_weight_grad]
def conv_weight_grad(x, grad_y, kernel_size, stride, padding, dilation, groups):
    r"""Gradient of a convolution's loss with respect to its weight.

    .. math::

        \frac{\partial L}{\partial w}[c_o, c_i, k] = \sum_{n} \sum_{o}
            \frac{\partial L}{\partial y}[n, c_o, o] \; x_{pad}[n, c_i, o s + k\,dil]

    for the input channels ``c_i`` of ``c_o``'s group: each weight meets, summed over
    the batch and every output position, the input values it multiplied.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, *S), float32 or float64, C-contiguous
        The convolution's input.
    grad_y : ndarray, shape (N, C_out, *O), same dtype
        Gradient of the loss with respect to the convolution's output.
    kernel_size : tuple of int
        ``K``, one per spatial axis.
    stride, padding, dilation : tuple of int
    groups : int

    Returns
    -------
    grad_w : ndarray, shape (C_out, C_in // groups, *K), dtype of ``x``

    Examples
    --------
    >>> x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    >>> grad_y = np.ones((1, 1, 3))
    >>> conv_weight_grad(x, grad_y, (2,), (1,), (0,), (1,), 1)
    array([[[6., 9.]]])
    """
    _checks.conv_weight_grad(x, grad_y, kernel_size, stride, padding, dilation, groups)
    N, C_in = x.shape[:2]
    C_out = grad_y.shape[1]
    G = groups
    O = grad_y.shape[2:]
    x_pad = _pad(x, padding)
    xg = x_pad.reshape(N, G, C_in // G, *x_pad.shape[2:])
    gyg = grad_y.reshape(N, G, C_out // G, *O)
    grad_w = np.empty((G, C_out // G, C_in // G, *kernel_size), dtype=x.dtype)
    for k in _offsets(kernel_size):
        x_k = xg[_window(k, O, stride, dilation)]          # (N, G, C_in_g, *O)
        # grad_w[g, a, c, k] = sum_{n, o} grad_y[n, g, a, o] * x_k[n, g, c, o]
        grad_w[(Ellipsis,) + k] = np.einsum("nga...,ngc...->gac", gyg, x_k, optimize=True)
    return grad_w.reshape(C_out, C_in // G, *kernel_size)
# [end kernel: conv_weight_grad]


# [kernel: conv_transpose_forward]
def conv_transpose_forward(x, w, stride, padding, output_padding, dilation, groups):
    r"""Transposed convolution of ``x`` with ``w`` (the adjoint of :func:`conv_forward`).

    Every input value is scattered, scaled by the weight, to the output positions a
    convolution with the same ``w`` would have read it from:

    .. math::

        y[n, c_o, i s + k\,dil - p] \mathrel{+}= x[n, c_i, i] \; w[c_i, c_o, k]

    for every input position ``i``, offset ``k`` and input channel ``c_i`` of
    ``c_o``'s group; positions outside ``[0, O)`` are dropped. Along each axis
    ``O = (S - 1) s - 2p + dil (K - 1) + output_padding + 1``
    (:func:`lucid._ext._sizes.conv_transpose_output_size`).

    It is also the input gradient of a convolution: with ``output_padding`` chosen so
    that ``O`` is the convolution's input size,
    ``grad_x = conv_transpose_forward(grad_y, w, ...)``.

    Backward: ``grad_x = conv_forward(grad_y, w, ...)`` and
    ``grad_w = conv_weight_grad(grad_y, x, ...)`` (roles of input and output swapped).
    When ``output_padding >= stride`` (allowed if smaller than the dilation) the
    convolution of ``grad_y`` is longer than ``S`` along that axis; its first ``S``
    positions are ``grad_x`` (the rest are fed by no input).

    Parameters
    ----------
    x : ndarray, shape (N, C_in, *S), float32 or float64, C-contiguous
    w : ndarray, shape (C_in, C_out // groups, *K), same dtype
    stride, padding, output_padding, dilation : tuple of int, one per spatial axis
    groups : int

    Returns
    -------
    y : ndarray, shape (N, C_out, *O), dtype of ``x``

    Examples
    --------
    >>> x = np.array([[[1.0, 2.0, 3.0]]])
    >>> w = np.array([[[1.0, 0.5]]])
    >>> conv_transpose_forward(x, w, (2,), (0,), (0,), (1,), 1)
    array([[[1. , 0.5, 2. , 1. , 3. , 1.5]]])
    """
    _checks.conv_transpose_forward(x, w, stride, padding, output_padding, dilation,
                                   groups)
    N, C_in = x.shape[:2]
    C_out_g = w.shape[1]
    K = w.shape[2:]
    G = groups
    S = x.shape[2:]
    O = tuple(conv_transpose_output_size(Si, Ki, s, p, op, dil)
              for Si, Ki, s, p, op, dil in zip(S, K, stride, padding, output_padding, dilation))
    # Scatter into a buffer indexed by the un-padded position i*s + k*dil, long enough
    # for every such position and for the output window [p, p + O).
    full = tuple(max((Si - 1) * s + (Ki - 1) * dil + 1, p + Oi)
                 for Si, Ki, s, p, dil, Oi in zip(S, K, stride, padding, dilation, O))
    buffer = np.zeros((N, G, C_out_g, *full), dtype=x.dtype)
    xg = x.reshape(N, G, C_in // G, *S)
    wg = w.reshape(G, C_in // G, C_out_g, *K)
    for k in _offsets(K):
        # buffer[n, g, a, i*s + k*dil] += sum_c x[n, g, c, i] * w[g, c, a, k]
        buffer[_window(k, S, stride, dilation)] += np.einsum(
            "ngc...,gca->nga...", xg, wg[(Ellipsis,) + k], optimize=True)
    y = _crop(buffer, padding, O)                          # position i*s + k*dil - p
    return np.ascontiguousarray(y).reshape(N, G * C_out_g, *O)
# [end kernel: conv_transpose_forward]


# [kernel: unfold]
def unfold(x, kernel_size, stride, padding, dilation):
    r"""Copy every receptive field of ``x`` into a column (im2col, PyTorch's layout).

    .. math::

        \text{cols}[n, c \cdot \textstyle\prod K + j, l] = x_{pad}[n, c, o_l s + k_j\,dil]

    where ``k_j`` is the ``j``-th kernel offset in row-major order and ``o_l`` the
    ``l``-th output position (row-major), ``L = prod(O)``. A convolution is then one
    matrix product: ``y[n] = w.reshape(C_out, -1) @ cols[n]`` (for ``groups = 1``).

    Backward: ``grad_x = fold(grad_cols, S, ...)``.

    Parameters
    ----------
    x : ndarray, shape (N, C, *S), float32 or float64, C-contiguous
    kernel_size, stride, padding, dilation : tuple of int, one per spatial axis

    Returns
    -------
    cols : ndarray, shape (N, C * prod(K), L), dtype of ``x``

    Examples
    --------
    >>> x = np.array([[[1.0, 2.0, 3.0]]])
    >>> unfold(x, (2,), (1,), (0,), (1,))
    array([[[1., 2.],
            [2., 3.]]])
    """
    _checks.unfold(x, kernel_size, stride, padding, dilation)
    N, C = x.shape[:2]
    O = tuple(conv_output_size(S, K, s, p, dil)
              for S, K, s, p, dil in zip(x.shape[2:], kernel_size, stride, padding, dilation))
    x_pad = _pad(x, padding)
    cols = np.empty((N, C, math.prod(kernel_size), *O), dtype=x.dtype)
    for j, k in enumerate(_offsets(kernel_size)):
        cols[:, :, j] = x_pad[_window(k, O, stride, dilation)]
    return cols.reshape(N, C * math.prod(kernel_size), math.prod(O))
# [end kernel: unfold]


# [kernel: fold]
def fold(cols, output_size, kernel_size, stride, padding, dilation):
    r"""Sum columns back into an image (col2im): the adjoint of :func:`unfold`.

    .. math::

        x_{pad}[n, c, o_l s + k_j\,dil] \mathrel{+}= \text{cols}[n, c \cdot \textstyle\prod K + j, l]

    and ``x`` is ``x_pad`` without its padding. Where receptive fields overlap, their
    values add up.

    Backward: ``grad_cols = unfold(grad_x, ...)``.

    Parameters
    ----------
    cols : ndarray, shape (N, C * prod(K), L), float32 or float64, C-contiguous
        ``L`` must be ``prod(O)``, ``O`` the convolution output size of ``output_size``.
    output_size : tuple of int
        ``S``, the spatial size of the result.
    kernel_size, stride, padding, dilation : tuple of int, one per spatial axis

    Returns
    -------
    x : ndarray, shape (N, C, *output_size), dtype of ``cols``

    Examples
    --------
    >>> cols = np.array([[[1.0, 2.0], [2.0, 3.0]]])
    >>> fold(cols, (3,), (2,), (1,), (0,), (1,))
    array([[[1., 4., 3.]]])
    """
    _checks.fold(cols, output_size, kernel_size, stride, padding, dilation)
    N = cols.shape[0]
    C = cols.shape[1] // math.prod(kernel_size)
    O = tuple(conv_output_size(S, K, s, p, dil)
              for S, K, s, p, dil in zip(output_size, kernel_size, stride, padding, dilation))
    patches = cols.reshape(N, C, math.prod(kernel_size), *O)
    x_pad = np.zeros((N, C, *(S + 2 * p for S, p in zip(output_size, padding))), dtype=cols.dtype)
    for j, k in enumerate(_offsets(kernel_size)):
        x_pad[_window(k, O, stride, dilation)] += patches[:, :, j]
    return np.ascontiguousarray(_crop(x_pad, padding, output_size))
# [end kernel: fold]
