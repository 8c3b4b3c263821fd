r"""Matrix products, reference twin: :math:`C = AB` of two 2-d arrays, written to be read.

For :math:`A` of shape ``(M, K)`` and :math:`B` of shape ``(K, N)``,

.. math:: C_{ij} = \sum_{k=0}^{K-1} A_{ik} B_{kj}, \qquad C \text{ of shape } (M, N).

A fully connected layer is this product and its backward two more: for a batch of rows
:math:`X` ``(n, in)`` and a weight :math:`W` ``(out, in)``, the forward is
:math:`Y = XW^\top`, and with :math:`G = \partial L/\partial Y`,
:math:`\partial L/\partial X = GW` and :math:`\partial L/\partial W = G^\top X`
(``lucid/ops/linear.py`` calls :func:`matmul` for all three). The transposes are
views: ``w.T`` is the same memory read the other way round, and BLAS reads it so
without a copy.

The three loops of the formula, in Python, would take seconds for a layer NumPy
multiplies in microseconds::

    for i in range(M):
        for j in range(N):
            C[i, j] = sum(A[i, k] * B[k, j] for k in range(K))

so the reference hands the product to NumPy's BLAS (``np.matmul``), which computes the
same sums in blocks that stay in the caches, with vector instructions. It runs inside
:func:`lucid._ext._blas.matmul_threads`, like every product lucid makes: on one
OpenBLAS thread below ``2**25`` flops, on OpenBLAS's own threads above, and with no
gate at all for a product OpenBLAS keeps on the calling thread by its own size rule.

Attention multiplies *stacks* of small matrices, one per sample and head: ``a`` of
shape ``(..., M, K)`` and ``b`` of shape ``(..., K, N)`` with the same leading axes give
``c[i] = a[i] @ b[i]`` for every index ``i`` of those axes.

The compiled twin (``_matmul.pyx``) computes the same products; for mid-sized ones (a
Transformer's layers, an MLP's hidden layers) it shares the work among lucid's OpenMP
threads: in float32 on AVX-512 through its own register-blocked loops
(``_panels.pxd``: the loop nest a BLAS library runs, written out), otherwise as blocks
of rows, one BLAS call each; and it shares a stack's matrices among those threads.
"""
import numpy as np

from lucid._ext import _blas, _checks

__all__ = ["matmul"]


# [kernel: matmul]
def matmul(a, b):
    r"""The product :math:`C = AB`, :math:`C_{ij} = \sum_k A_{ik} B_{kj}`, of two
    matrices or of two stacks of them (one product per index of the leading axes).

    Parameters
    ----------
    a : ndarray, float32 or float64, shape (..., M, K), any strides
        :math:`A` (a transposed view such as ``w.T`` is read in place).
    b : ndarray of a's dtype, shape (..., K, N), any strides
        :math:`B`, with a's leading axes ``...`` (attention's batch and heads).

    Returns
    -------
    c : ndarray of a's dtype, shape (..., M, N), C-contiguous

    Examples
    --------
    >>> import numpy as np
    >>> from lucid import _ext
    >>> a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> _ext.get("matmul").matmul(a, np.ones((3, 2)))      # row sums, twice
    array([[ 6.,  6.],
           [15., 15.]])
    >>> _ext.get("matmul").matmul(a, a.T)                  # a transposed view, in place
    array([[14., 32.],
           [32., 77.]])
    >>> _ext.get("matmul").matmul(a[None], a.T[None]).shape  # a stack of one
    (1, 2, 2)
    """
    _checks.matmul(a, b)
    M = a.shape[-2]
    with _blas.matmul_threads(a, b):
        if a.ndim == 2 and M == 1 and b.flags.f_contiguous:
            # one row times a B stored transposed (a layer's x @ w.T at batch 1):
            # B^T a^T, a matrix-vector product along B^T's rows, 2-3x faster in BLAS
            return (b.T @ a[0])[None]
        return np.matmul(a, b)
# [end kernel: matmul]
