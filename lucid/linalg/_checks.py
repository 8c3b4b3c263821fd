"""What every ``lucid.linalg`` function shares: argument checks, the error class, and
the batched transpose.

Every function here works on a *batch of matrices*: an array of shape
``(..., m, n)`` is a stack of ``m x n`` matrices indexed by the leading axes, as in
NumPy and PyTorch. :func:`mT` transposes each matrix of the stack.
"""
import numpy as np

from lucid._tensor import Tensor

__all__ = ["LinAlgError", "mT", "float_tensor", "matrix_tensor", "square_tensor", "check_int"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class LinAlgError(np.linalg.LinAlgError):
    """A matrix has no result for this function: it is singular (``inv``, ``solve``,
    ``matrix_power`` with ``n < 0``) or not positive-definite (``cholesky``).

    A subclass of :class:`numpy.linalg.LinAlgError`, so ``except
    numpy.linalg.LinAlgError`` catches it too. The message names the function.
    """


def mT(x):
    """Transpose each matrix of a stack: swap the last two axes of ``x``."""
    return np.swapaxes(x, -1, -2)


def float_tensor(name, x, arg):
    """``x`` as a Tensor of float32 or float64; TypeError naming ``arg`` otherwise."""
    if not isinstance(x, Tensor):
        try:
            x = Tensor(x)
        except TypeError:
            raise TypeError(f"{name}: {arg} must be a Tensor or array of floats; "
                            f"got {type(x).__name__}") from None
    if x.dtype not in _FLOATS:
        raise TypeError(f"{name}: {arg} must have dtype float32 or float64; got {x.dtype}")
    return x


def matrix_tensor(name, x, arg="a"):
    """``x`` as a float Tensor of shape ``(..., m, n)`` (at least 2-D)."""
    x = float_tensor(name, x, arg)
    if x.ndim < 2:
        raise ValueError(f"{name}: {arg} must be a matrix or a batch of matrices of shape "
                         f"(..., m, n); got shape {x.shape}")
    return x


def square_tensor(name, x, arg="a"):
    """``x`` as a float Tensor of shape ``(..., n, n)``: a batch of square matrices."""
    x = float_tensor(name, x, arg)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name}: {arg} must be a square matrix or a batch of square "
                         f"matrices of shape (..., n, n); got shape {x.shape}")
    return x


def check_int(name, value, arg):
    """``value`` as a Python int (bools refused); TypeError naming ``arg`` otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: {arg} must be an int; got {value!r}")
    return int(value)
