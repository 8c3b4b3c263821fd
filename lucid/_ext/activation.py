r"""Element-wise activation kernels, reference twin: written to be read.

ReLU keeps the positive part of its input,

.. math:: y_i = \max(x_i, 0),

and its gradient passes where the input was positive and stops elsewhere:

.. math:: \frac{\partial L}{\partial x_i} = \begin{cases}
          \frac{\partial L}{\partial y_i} & x_i > 0 \\ 0 & x_i \le 0 \end{cases}

A NaN input is neither ``> 0`` nor ``<= 0``; as in PyTorch it passes through, forward
and backward. The forward returns the mask ``passes`` that the backward needs, so the
comparison is made once.

The error function, which the exact GELU needs (:math:`\Phi(x) = (1 + \mathrm{erf}(x /
\sqrt 2)) / 2`), has no NumPy ufunc; here it is Python's ``math.erf`` applied to every
element.
"""
import math

import numpy as np

from lucid._ext import _checks
__all__ = ["relu_forward", "relu_backward", "erf"]


# [kernel: relu_forward]
def relu_forward(x):
    """``y = max(x, 0)`` and the mask ``passes = (x > 0) or isnan(x)``.

    Parameters
    ----------
    x : ndarray, float32 or float64, C-contiguous, any shape

    Returns
    -------
    y : ndarray
        Same shape and dtype as ``x``.
    passes : ndarray of bool
        Same shape: where the gradient flows back.
    """
    _checks.relu_forward(x)
    y = np.asarray(np.maximum(x, x.dtype.type(0)))   # NaN propagates through maximum
    passes = np.asarray(y != 0)                       # x > 0, or NaN
    return y, passes
# [end kernel: relu_forward]


# [kernel: relu_backward]
def relu_backward(grad, passes):
    """``dL/dx = dL/dy`` where ``passes``, else exactly 0 (even for an infinite ``dL/dy``).

    Parameters
    ----------
    grad : ndarray, float32 or float64, C-contiguous
        ``dL/dy``.
    passes : ndarray of bool, same shape
        The mask from :func:`relu_forward`.

    Returns
    -------
    ndarray
        ``dL/dx``, same shape and dtype as ``grad``.
    """
    _checks.relu_backward(grad, passes)
    grad_x = grad.copy()
    grad_x[~passes] = 0
    return grad_x
# [end kernel: relu_backward]


_math_erf = np.frompyfunc(math.erf, 1, 1)


# [kernel: erf]
def erf(x):
    r"""The error function of every element, :math:`\mathrm{erf}(x) =
    \frac{2}{\sqrt\pi}\int_0^x e^{-t^2}\,dt`.

    Parameters
    ----------
    x : ndarray, float32 or float64

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.
    """
    _checks.erf(x)
    return np.array(_math_erf(x), dtype=x.dtype)
# [end kernel: erf]

