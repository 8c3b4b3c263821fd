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

The log-softmax of a row, :math:`\log y_i = (x_i - m) - \log \sum_j e^{x_j - m}`, has
the Jacobian :math:`\delta_{ij} - y_j`, so its backward, from its own output
:math:`\ell = \log y`, is

.. math:: \frac{\partial L}{\partial x_j} = g_j - e^{\ell_j} \sum_i g_i .

Its two kernels are private (``_log_softmax_forward``, ``_log_softmax_backward``): not
in the family's contract, so a plugged-in softmax module need not have them;
``F.log_softmax`` calls them where the active twin has them, and the same NumPy formula
in ``lucid/ops/activation.py`` otherwise.
"""
import numpy as np

from lucid._ext import _checks

# The contract (what a plugged-in softmax module provides); the log-softmax kernels at
# the end are private (see the module docstring).
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


# [kernel: _log_softmax_forward]
def _log_softmax_forward(x):
    """The log-softmax of every row (the last axis) of ``x``.

    Parameters
    ----------
    x : ndarray, float32 or float64, C-contiguous, at least 1 axis

    Returns
    -------
    y : ndarray of x's shape and dtype
        :math:`(x_i - m) - \\log \\sum_j e^{x_j - m}` along each row.
    """
    _checks.log_softmax_forward(x)
    if not x.size:
        return np.empty_like(x)              # no rows, or rows without values
    m = np.max(x, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):      # a row of -inf: -inf - -inf is NaN
        shifted = x - m
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
# [end kernel: _log_softmax_forward]


# [kernel: _log_softmax_backward]
def _log_softmax_backward(y, grad):
    """The gradient with respect to the input of the log-softmax, from its output.

    Parameters
    ----------
    y : ndarray, float32 or float64, C-contiguous, at least 1 axis
        The log-softmax's output.
    grad : ndarray of y's shape and dtype, C-contiguous
        :math:`\\partial L/\\partial y`.

    Returns
    -------
    grad_x : ndarray of y's shape and dtype
        :math:`g_j - e^{y_j} \\sum_i g_i` along each row.
    """
    _checks.log_softmax_backward(y, grad)
    return grad - np.exp(y) * np.sum(grad, axis=-1, keepdims=True)
# [end kernel: _log_softmax_backward]
