r"""The determinant and its gradient, the cofactor matrix.

Expanding :math:`\det A` along row :math:`i` gives
:math:`\det A = \sum_j a_{ij} C_{ij}` where the cofactor :math:`C_{ij}` does not
depend on row :math:`i`; hence :math:`\partial \det A / \partial a_{ij} = C_{ij}`.
For an invertible matrix the cofactor matrix is :math:`C = \det(A)\, A^{-T}`
(Jacobi's formula). For a singular one that product is :math:`0 \cdot \infty`, but
:math:`C` still exists: with the SVD :math:`A = U \operatorname{diag}(s) V^T`,

.. math:: C = \det(U) \det(V)\; U \operatorname{diag}(\hat s)\, V^T, \qquad
          \hat s_i = \prod_{j \ne i} s_j

which is what :class:`Det` uses for the matrices whose determinant is exactly zero.
"""
import numpy as np

from lucid.autograd.function import Function
from lucid.linalg._checks import mT, square_tensor

__all__ = ["det"]


def _cofactor_by_svd(a):
    """The cofactor matrix of each matrix in the stack ``a`` (any rank), by the SVD."""
    u, s, vh = np.linalg.svd(a)
    k = s.shape[-1]
    others = np.where(np.eye(k, dtype=bool), 1, s[..., None, :])   # row i: s with s_i -> 1
    s_hat = np.prod(others, axis=-1)                                # prod_{j != i} s_j
    sign = np.linalg.det(u) * np.linalg.det(vh)                     # +1 or -1
    return sign[..., None, None] * (u * s_hat[..., None, :]) @ vh


class Det(Function):
    r"""``d = det(A)``;  ``dL/dA = (dL/dd) C``, ``C`` the cofactor matrix of ``A``."""

    @staticmethod
    def forward(ctx, a):
        d = np.linalg.det(a)
        ctx.a, ctx.d = a, d
        return d

    @staticmethod
    def backward(ctx, grad):
        a, d = ctx.a, np.asarray(ctx.d)
        n = a.shape[-1]
        batch = int(np.prod(a.shape[:-2]))
        stack, dets = a.reshape(batch, n, n), d.reshape(batch)
        cof = np.empty_like(stack)
        regular = dets != 0
        # invertible: C = det(A) A^{-T}, by solving A^T C = det(A) I
        eye = np.eye(n, dtype=a.dtype)
        cof[regular] = np.linalg.solve(mT(stack[regular]), dets[regular, None, None] * eye)
        if not regular.all():
            cof[~regular] = _cofactor_by_svd(stack[~regular])
        return np.asarray(grad)[..., None, None] * cof.reshape(a.shape)


def det(a):
    r"""Determinant of a square matrix (or of each matrix in a batch).

    .. math:: \det A = \sum_{\sigma \in S_n} \operatorname{sgn}(\sigma)
              \prod_{i=1}^{n} a_{i,\sigma(i)}

    computed as the product of the pivots of an LU factorisation.

    Shapes: ``a`` is ``(..., n, n)``; the result is ``(...)`` (0-d for one matrix).
    The determinant of a ``0 x 0`` matrix is 1.

    Backward: the gradient of :math:`\det A` is its cofactor matrix :math:`C`, which for
    invertible :math:`A` is :math:`\det(A) A^{-T}` (Jacobi's formula):

    .. math:: \frac{\partial L}{\partial A} = \frac{\partial L}{\partial d}\,
              \det(A)\, A^{-T}

    For a matrix whose determinant is exactly zero, :math:`C` is computed from the SVD
    (see the module :mod:`lucid.linalg._det`): the true derivative, nonzero when the
    rank is :math:`n - 1`. (PyTorch 2.13 returns zeros there; lucid does not copy that.)

    Parameters
    ----------
    a : Tensor
        Square matrix or batch of them, float32 or float64.

    Returns
    -------
    Tensor
        The determinants, shape ``a.shape[:-2]``.

    Raises
    ------
    ValueError
        If ``a`` is not of shape ``(..., n, n)``.
    TypeError
        If ``a`` is not float32 or float64.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> d = lucid.linalg.det(a)
    >>> print(d)
    Tensor(5.0, grad_fn=Det)
    >>> d.backward()
    >>> a.grad
    array([[ 3., -1.],
           [-1.,  2.]], dtype=float32)
    """
    a = square_tensor(a, "det")
    return Det.apply(a)
