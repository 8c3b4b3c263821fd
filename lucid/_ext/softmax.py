r"""Softmax kernels, reference twin: written to be read.

The softmax of one row :math:`x` (the last axis of an array; every other axis is a
batch of rows) is

.. math:: y_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \qquad m = \max_j x_j .

Subtracting the row's maximum changes nothing mathematically and keeps every
exponential at most 1, so ``exp`` never overflows. Its Jacobian is
:math:`\partial y_i/\partial x_j = y_i(\delta_{ij} - y_j)`, so with
:math:`g = \partial L/\partial y` the backward needs only the output:

.. math:: \frac{\partial L}{\partial x_i} = y_i \Bigl(g_i - \sum_j g_j y_j\Bigr).

Attention runs a softmax over every row of its scores (one row per query), so these
two kernels sit inside every Transformer layer, forward and backward.

A NaN anywhere in a row makes the whole row NaN, and so does a row of :math:`-\infty`
only (as in PyTorch); attention masks its fully masked rows before it calls the kernel.
"""
import numpy as np

from lucid._ext import _checks

__all__ = ["softmax_forward", "softmax_backward"]


# [kernel: softmax_forward]
def softmax_forward(x):
    """The softmax of every row (the last axis) of ``x``.

    Parameters
    ----------
    x : ndarray, float32 or float64, C-contiguous, at least 1 axis

    Returns
    -------
    y : ndarray of x's shape and dtype
        Each row non-negative and summing to 1.
    """
    _checks.softmax_forward(x)
    m = np.max(x, axis=-1, keepdims=True) if x.size else 0
    with np.errstate(invalid="ignore"):      # a row of -inf: -inf - -inf is NaN
        e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)
# [end kernel: softmax_forward]


# [kernel: softmax_backward]
def softmax_backward(y, grad):
    """The gradient with respect to the input of the softmax, from its output.

    Parameters
    ----------
    y : ndarray, float32 or float64, C-contiguous, at least 1 axis
        The softmax's output.
    grad : ndarray of y's shape and dtype, C-contiguous
        :math:`\\partial L/\\partial y`.

    Returns
    -------
    grad_x : ndarray of y's shape and dtype
        :math:`y_i (g_i - \\sum_j g_j y_j)` along each row.
    """
    _checks.softmax_backward(y, grad)
    return y * (grad - np.sum(grad * y, axis=-1, keepdims=True))
# [end kernel: softmax_backward]
