"""What every ``lucid.linalg`` function shares: the matrix-shape checks, the error class,
and the batched transpose.

Every function here works on a *batch of matrices*: an array of shape
``(..., m, n)`` is a stack of ``m x n`` matrices indexed by the leading axes, as in
NumPy and PyTorch. :func:`mT` transposes each matrix of the stack.
"""
import numpy as np

from lucid._checks import float_tensor

__all__ = ["LinAlgError", "mT", "matrix_tensor", "square_tensor"]

class LinAlgError(np.linalg.LinAlgError):
    """A matrix has no result for this function: it is singular (``inv``, ``solve``,
    ``matrix_power`` with ``n < 0``) or not positive-definite (``cholesky``).

    A subclass of :class:`numpy.linalg.LinAlgError`, so ``except
    numpy.linalg.LinAlgError`` catches it too. The message names the function.
    """


def mT(x):
    """Transpose each matrix of a stack: swap the last two axes of ``x``."""
    return np.swapaxes(x, -1, -2)


def matrix_tensor(x, name, arg="a"):
    """``x`` as a float Tensor of shape ``(..., m, n)`` (at least 2-D)."""
    x = float_tensor(x, name, arg, convert=True)
    if x.ndim < 2:
        raise ValueError(f"{name}: {arg} must be a matrix or a batch of matrices of shape "
                         f"(..., m, n); got shape {x.shape}")
    return x


def square_tensor(x, name, arg="a"):
    """``x`` as a float Tensor of shape ``(..., n, n)``: a batch of square matrices."""
    x = float_tensor(x, name, arg, convert=True)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name}: {arg} must be a square matrix or a batch of square "
                         f"matrices of shape (..., n, n); got shape {x.shape}")
    return x
