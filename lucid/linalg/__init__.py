r"""``lucid.linalg``: linear algebra on matrices and batches of matrices, differentiable.

Every function takes a matrix of shape ``(m, n)`` or a batch ``(..., m, n)`` (the
leading axes index the matrices, as in NumPy and PyTorch), computes with NumPy's
LAPACK routines and records one graph node whose backward is written out by hand
(each function's docstring gives the formula, under "Backward").

=================  ===================================================  ==============
function           computes                                              module
=================  ===================================================  ==============
``inv``            :math:`A^{-1}`                                        ``_inverse``
``solve``          :math:`X = A^{-1} B`                                  ``_inverse``
``pinv``           Moore-Penrose :math:`A^+`                             ``_inverse``
``matrix_power``   :math:`A^n` (``n < 0`` through ``inv``)              ``_inverse``
``det``            :math:`\det A`                                        ``_det``
``cholesky``       :math:`A = L L^T`                                     ``_decomp``
``qr``             :math:`A = Q R`                                       ``_decomp``
``svd``            :math:`A = U \operatorname{diag}(s) V^T`              ``_decomp``
``eig``            :math:`A V = V \operatorname{diag}(\lambda)` (complex) ``_decomp``
``norm``           vector and matrix norms                               ``_norm``
=================  ===================================================  ==============

A singular matrix (``inv``, ``solve``, negative ``matrix_power``) or one that is not
positive-definite (``cholesky``) raises :class:`LinAlgError`, a subclass of
``numpy.linalg.LinAlgError`` whose message names the function.
"""
from lucid.linalg._checks import LinAlgError
from lucid.linalg._decomp import cholesky, eig, qr, svd
from lucid.linalg._det import det
from lucid.linalg._inverse import inv, matrix_power, pinv, solve
from lucid.linalg._norm import norm

__all__ = ["inv", "det", "solve", "cholesky", "norm", "eig", "qr", "svd", "matrix_power",
           "pinv", "LinAlgError"]
