r"""Matrix decompositions: ``cholesky``, ``qr``, ``svd`` and ``eig``, with their gradients.

NumPy (LAPACK) computes each factorisation; the backward formulas are written out
here, on arrays, following PyTorch's (same conventions, same numbers).

**Several outputs, one node each.** lucid's engine gives each graph node one output,
but ``qr`` returns two tensors, ``svd`` three and ``eig`` two. Each output is therefore
its own :class:`Factor` node; all of them hold the same factors, computed once. This is
exact because every backward formula here is *linear* in the output gradients:
``dL/dA = f(dL/dQ, dL/dR) = f(dL/dQ, 0) + f(0, dL/dR)``. So each node passes its own
gradient, with ``None`` (zero) for the others, and the engine adds the contributions
of the nodes the loss used.
"""
import numpy as np

from lucid.autograd.function import Function
from lucid.linalg._checks import LinAlgError, matrix_tensor, mT, square_tensor
from lucid._checks import check_bool, check_number

__all__ = ["cholesky", "qr", "svd", "eig"]


def _diag_embed(d):
    """A stack of diagonal matrices with the vectors ``d[..., :]`` on their diagonals."""
    return d[..., :, None] * np.eye(d.shape[-1], dtype=d.dtype)


class Factor(Function):
    r"""Output number ``index`` of a decomposition ``factors`` of ``a``, as its own node.

    A subclass defines ``adjoint(*factors, *grads)``: the gradient with respect to
    ``a`` given one gradient per factor (``None`` for a factor the loss does not use).
    """

    @staticmethod
    def forward(ctx, a, factors=(), index=0):
        ctx.factors, ctx.index = factors, index
        return factors[index]

    @staticmethod
    def backward(ctx, grad):
        grads = [None] * len(ctx.factors)
        grads[ctx.index] = grad
        return ctx.adjoint(*ctx.factors, *grads)


def _factor_tensors(cls, a, factors):
    """One ``cls`` node per factor, all sharing ``factors``."""
    return tuple(cls.apply(a, factors=factors, index=i) for i in range(len(factors)))


# --------------------------------------------------------------------- cholesky
class Cholesky(Function):
    r"""``A = L L^T``;  ``dL/dA = L^{-T} sym(Phi(L^T dL/dL)) L^{-1}``."""

    @staticmethod
    def forward(ctx, a, upper=False):
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise LinAlgError(f"cholesky: the matrix is not positive-definite, so it has no "
                              f"Cholesky factor; got a matrix of shape {a.shape}") from None
        ctx.low, ctx.upper = low, upper
        return mT(low).copy() if upper else low

    @staticmethod
    def backward(ctx, grad):
        low = ctx.low
        if ctx.upper:                       # U = L^T, so dL/dL = (dL/dU)^T
            grad = mT(grad)
        n = low.shape[-1]
        p = mT(low) @ grad                              # L^T G
        phi = np.tril(p) * (1 - 0.5 * np.eye(n, dtype=p.dtype))   # lower part, half diagonal
        s = 0.5 * (phi + mT(phi))                       # symmetric: A is symmetric
        x = np.linalg.solve(mT(low), s)                 # L^{-T} S
        return mT(np.linalg.solve(mT(low), mT(x)))      # L^{-T} S L^{-1}


def cholesky(a, upper=False):
    r"""Cholesky factor of a symmetric positive-definite matrix (or of each in a batch).

    .. math:: A = L L^T, \qquad L \text{ lower triangular with } l_{ii} > 0

    Only the lower triangle of ``a`` is read (as in LAPACK, NumPy and PyTorch).
    With ``upper=True`` the result is :math:`U = L^T`, so that :math:`A = U^T U`.

    Shapes: ``a`` is ``(..., n, n)``; the result has the same shape.

    Backward (Murray, 2016; PyTorch's formula): with :math:`G = \partial L_{oss}/\partial L`
    and :math:`\Phi(X)` the lower triangle of :math:`X` with its diagonal halved,

    .. math:: \frac{\partial L_{oss}}{\partial A} = L^{-T}\,
              \tfrac12 \bigl(\Phi(L^T G) + \Phi(L^T G)^T\bigr)\, L^{-1}

    a symmetric matrix (both triangles of :math:`A` share the gradient of the entry they
    stand for). The two products with :math:`L^{-1}` are triangular solves.

    Parameters
    ----------
    a : Tensor
        Symmetric positive-definite matrix or batch of them, float32 or float64.
    upper : bool, default False
        Return the upper factor :math:`L^T` instead of :math:`L`.

    Returns
    -------
    Tensor
        :math:`L` (or :math:`L^T`), shape ``(..., n, n)``.

    Raises
    ------
    LinAlgError
        If a matrix is not positive-definite.
    ValueError
        If ``a`` is not of shape ``(..., n, n)``.
    TypeError
        If ``a`` is not float32 or float64, or ``upper`` not a bool.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[4.0, 2.0], [2.0, 5.0]], requires_grad=True)
    >>> low = lucid.linalg.cholesky(a)
    >>> print(low)
    Tensor([[2.0, 0.0], [1.0, 2.0]], grad_fn=Cholesky)
    >>> low.sum().backward()
    >>> a.grad
    array([[0.1875, 0.125 ],
           [0.125 , 0.25  ]], dtype=float32)
    """
    a = square_tensor(a, "cholesky")
    upper = check_bool(upper, "cholesky", "upper")
    return Cholesky.apply(a, upper=upper)


# ---------------------------------------------------------------------------- qr
def _qr_tall_adjoint(q, r, grad_q, grad_r):
    r"""``dL/dA`` for ``A = QR`` with ``R`` square (``m >= n``):
    :math:`(G_Q + Q\,\mathrm{copyltu}(M)) R^{-T}`, :math:`M = R G_R^T - G_Q^T Q`."""
    m_ = r @ mT(grad_r) - mT(grad_q) @ q
    copyltu = np.tril(m_) + mT(np.tril(m_, -1))      # the lower triangle, mirrored
    b = grad_q + q @ copyltu
    return mT(np.linalg.solve(r, mT(b)))             # B R^{-T}


class QR(Factor):
    r"""``Q`` or ``R`` of ``A = QR`` (see :func:`qr`)."""

    @staticmethod
    def adjoint(q, r, grad_q, grad_r):
        m, n = q.shape[-2], r.shape[-1]
        k = min(m, n)
        if q.shape[-1] != k:
            raise RuntimeError("qr: the QR decomposition is not differentiable with "
                               "mode='complete' when a has more rows than columns "
                               f"(Q {q.shape} has columns that A does not determine)")
        grad_q = np.zeros_like(q) if grad_q is None else grad_q
        grad_r = np.zeros_like(r) if grad_r is None else grad_r
        if m >= n:
            return _qr_tall_adjoint(q, r, grad_q, grad_r)
        # wide A = [X | Y]: X = Q U is a square QR, and Y = Q V
        u, v = r[..., :, :m], r[..., :, m:]
        grad_u, grad_v = grad_r[..., :, :m], grad_r[..., :, m:]
        grad_x = _qr_tall_adjoint(q, u, grad_q + (q @ v) @ mT(grad_v), grad_u)
        grad_y = q @ grad_v
        return np.concatenate([grad_x, grad_y], axis=-1)


def qr(a, mode="reduced"):
    r"""QR decomposition: an orthonormal ``Q`` times an upper-triangular ``R``.

    .. math:: A = Q R, \qquad Q^T Q = I, \qquad R \text{ upper triangular}

    With ``k = min(m, n)``: ``mode='reduced'`` gives ``Q`` of shape ``(..., m, k)`` and
    ``R`` of shape ``(..., k, n)``; ``mode='complete'`` gives ``Q`` ``(..., m, m)`` and
    ``R`` ``(..., m, n)``. Householder reflections (LAPACK), so the signs of the
    diagonal of ``R`` are those of NumPy and PyTorch.

    Backward (PyTorch's formula), with :math:`G_Q, G_R` the gradients of ``Q`` and
    ``R`` and :math:`\mathrm{copyltu}(M) = \mathrm{tril}(M) + \mathrm{tril}(M, -1)^T`.
    For :math:`m \ge n`,

    .. math:: \frac{\partial L}{\partial A} = \bigl(G_Q + Q\,
              \mathrm{copyltu}(R G_R^T - G_Q^T Q)\bigr) R^{-T}

    For :math:`m < n`, split :math:`A = [X \mid Y]`, :math:`R = [U \mid V]`: then
    :math:`X = QU` is a square QR and :math:`Y = QV`, so
    :math:`\partial L/\partial Y = Q G_V` and :math:`\partial L/\partial X` is the
    formula above with :math:`G_Q + Y G_V^T` for :math:`G_Q` and :math:`G_U` for
    :math:`G_R`. It needs :math:`A` of full rank. ``mode='complete'`` with
    :math:`m > n` is not differentiable (the extra columns of ``Q`` are arbitrary):
    ``backward`` raises RuntimeError.

    Parameters
    ----------
    a : Tensor
        Matrix or batch of matrices ``(..., m, n)``, float32 or float64.
    mode : {'reduced', 'complete'}, default 'reduced'

    Returns
    -------
    (Tensor, Tensor)
        ``Q`` and ``R``.

    Raises
    ------
    ValueError
        If ``a`` is not at least 2-D or ``mode`` is unknown.
    TypeError
        If ``a`` is not float32 or float64.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[3.0, 1.0], [4.0, 2.0]], requires_grad=True)
    >>> q, r = lucid.linalg.qr(a)
    >>> print(q)
    Tensor([[-0.6, -0.8], [-0.8, 0.6]], grad_fn=QR)
    >>> print(r)
    Tensor([[-5.0, -2.2], [0.0, 0.4]], grad_fn=QR)
    >>> r.sum().backward()
    >>> a.grad.round(4)
    array([[-0.184, -1.4  ],
           [-1.112, -0.2  ]], dtype=float32)
    """
    a = matrix_tensor(a, "qr")
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete'; got {mode!r}")
    q, r = np.linalg.qr(a.data, mode=mode)
    return _factor_tensors(QR, a, (q, r))


# --------------------------------------------------------------------------- svd
class SVD(Factor):
    r"""``U``, ``S`` or ``Vh`` of ``A = U diag(S) Vh`` (see :func:`svd`)."""

    @staticmethod
    def adjoint(u, s, vh, grad_u, grad_s, grad_vh):
        k = s.shape[-1]
        m, n = u.shape[-2], vh.shape[-1]
        u, vh = u[..., :, :k], vh[..., :k, :]        # full_matrices: only k columns count
        v = mT(vh)
        grad_v = None if grad_vh is None else mT(grad_vh[..., :k, :])
        grad_u = None if grad_u is None else grad_u[..., :, :k]
        inner = np.zeros(s.shape + (k,), dtype=s.dtype)
        if grad_s is not None:
            inner = inner + _diag_embed(grad_s)
        e = s[..., None, :] ** 2 - s[..., :, None] ** 2     # E_jk = s_k^2 - s_j^2
        e = np.where(np.eye(k, dtype=bool), 1, e)
        with np.errstate(divide="ignore", invalid="ignore"):   # repeated s: inf/nan, as torch
            if grad_u is not None:
                j = mT(u) @ grad_u
                inner = inner + (j - mT(j)) / e * s[..., None, :]      # (skew / E) S
            if grad_v is not None:
                j = mT(v) @ grad_v
                inner = inner + s[..., :, None] * ((j - mT(j)) / e)    # S (skew / E)
            grad_a = u @ inner @ vh
            if grad_u is not None and m > k:     # (I - U U^T) G_U S^{-1} V^T
                grad_a = grad_a + ((grad_u - u @ (mT(u) @ grad_u)) / s[..., None, :]) @ vh
            if grad_v is not None and n > k:     # U S^{-1} G_V^T (I - V V^T)
                grad_a = grad_a + u @ (mT(grad_v - v @ (mT(v) @ grad_v)) / s[..., :, None])
        return grad_a


def svd(a, full_matrices=True):
    r"""Singular value decomposition ``A = U diag(S) Vh``.

    .. math:: A = U \operatorname{diag}(s)\, V^T, \qquad U^T U = I, \quad
              V^T V = I, \quad s_1 \ge s_2 \ge \dots \ge s_k \ge 0

    Shapes, with ``k = min(m, n)``: ``a`` is ``(..., m, n)``; ``S`` is ``(..., k)``.
    With ``full_matrices=False``, ``U`` is ``(..., m, k)`` and ``Vh`` ``(..., k, n)``;
    with ``full_matrices=True`` (the default, as in PyTorch), ``U`` is ``(..., m, m)``
    and ``Vh`` ``(..., n, n)``. The signs of the singular vectors are LAPACK's, as in
    NumPy and PyTorch.

    Backward (PyTorch's formula): with :math:`G_U, G_S, G_V` the gradients of
    :math:`U`, :math:`s` and :math:`V = Vh^T`, :math:`S = \operatorname{diag}(s)`,
    :math:`\operatorname{skew}(X) = X - X^T` and :math:`E_{jk} = s_k^2 - s_j^2`
    (:math:`E_{jj} = 1`),

    .. math:: \frac{\partial L}{\partial A} = {} & U \Bigl[
              \frac{\operatorname{skew}(U^T G_U)}{E} S
              + S \frac{\operatorname{skew}(V^T G_V)}{E}
              + \operatorname{diag}(G_S) \Bigr] V^T \\
              & + (I_m - U U^T)\, G_U S^{-1} V^T + U S^{-1} G_V^T (I_n - V V^T)

    with the divisions element-wise. With ``full_matrices=True`` the gradients of the
    columns of ``U`` and rows of ``Vh`` beyond ``k`` are ignored (those vectors are any
    basis of the complement). When only ``S`` is used the gradient is
    :math:`U \operatorname{diag}(G_S) V^T`, defined everywhere. When ``U`` or ``Vh``
    is used and two singular values are equal (or one is zero with :math:`m \ne n`),
    the singular vectors are not unique and the gradient is inf or nan, as in PyTorch.

    Parameters
    ----------
    a : Tensor
        Matrix or batch of matrices ``(..., m, n)``, float32 or float64.
    full_matrices : bool, default True

    Returns
    -------
    (Tensor, Tensor, Tensor)
        ``U``, ``S`` (descending) and ``Vh``.

    Raises
    ------
    ValueError
        If ``a`` is not at least 2-D.
    TypeError
        If ``a`` is not float32 or float64, or ``full_matrices`` not a bool.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[0.0, 2.0], [1.0, 0.0]], requires_grad=True)
    >>> u, s, vh = lucid.linalg.svd(a)
    >>> print(s)
    Tensor([2.0, 1.0], grad_fn=SVD)
    >>> import numpy as np                       # U diag(S) Vh rebuilds a (signs: LAPACK's)
    >>> bool(np.allclose((u.data * s.data) @ vh.data, a.data))
    True
    >>> s.sum().backward()
    >>> a.grad
    array([[0., 1.],
           [1., 0.]], dtype=float32)
    """
    a = matrix_tensor(a, "svd")
    full_matrices = check_bool(full_matrices, "svd", "full_matrices")
    u, s, vh = np.linalg.svd(a.data, full_matrices=full_matrices)
    return _factor_tensors(SVD, a, (u, s, vh))


# --------------------------------------------------------------------------- eig
class Eig(Factor):
    r"""Eigenvalues or eigenvectors of a real square matrix (see :func:`eig`)."""

    @staticmethod
    def forward(ctx, a, factors=(), index=0, eps=None):
        ctx.eps = eps
        return Factor.forward(ctx, a, factors, index)

    @staticmethod
    def backward(ctx, grad):
        grads = [None, None]
        grads[ctx.index] = grad
        return Eig.adjoint(*ctx.factors, *grads, eps=ctx.eps)

    @staticmethod
    def adjoint(w, v, grad_w, grad_v, eps=None):
        vh = np.conj(mT(v))
        n = w.shape[-1]
        inner = np.zeros(w.shape + (n,), dtype=w.dtype)
        if grad_v is not None:
            vh_gv = vh @ grad_v
            diag = np.diagonal(vh_gv, axis1=-2, axis2=-1)
            if not np.allclose(diag.imag, 0, rtol=1e-2, atol=1e-2):
                raise RuntimeError(
                    "eig: the eigenvectors are defined only up to a phase v -> v e^{i phi}, "
                    "and this loss depends on that phase, so its gradient is not defined; "
                    "use a loss that does not (e.g. of |v|, or of v v^H)")
            # project out the phase direction: V^H G_V - V^H V Re(diag(V^H G_V))
            vh_gv = vh_gv - (vh @ v) * diag.real[..., None, :]
            lc = np.conj(w)
            e = lc[..., None, :] - lc[..., :, None]           # E_ij = conj(w_j) - conj(w_i)
            e = np.where(np.eye(n, dtype=bool), 1, e)
            if eps:                                           # the original's floor
                e = np.where(np.abs(e) < eps, eps, e)
            with np.errstate(divide="ignore", invalid="ignore"):   # repeated w: inf/nan
                inner = inner + vh_gv / e
        if grad_w is not None:
            inner = inner + _diag_embed(grad_w)
        grad_a = np.linalg.solve(vh, inner @ vh)              # V^{-H} [ ... ] V^H
        return grad_a.real                                    # A is real


def eig(a, eps=None):
    r"""Eigenvalues and eigenvectors of a real square matrix (or of each in a batch).

    .. math:: A v_i = \lambda_i v_i, \qquad A = V \operatorname{diag}(\lambda) V^{-1}

    Like PyTorch (and unlike NumPy, which returns real arrays when it can), the
    results are always complex: complex64 for a float32 ``a``, complex128 for float64,
    since a real matrix may have complex eigenvalues. Each eigenvector (column of
    ``V``) has unit length; its phase is LAPACK's (largest component real).

    Shapes: ``a`` is ``(..., n, n)``; eigenvalues ``(..., n)``, eigenvectors
    ``(..., n, n)``.

    Backward (PyTorch's formula, gradients in PyTorch's complex convention
    :math:`G = \partial L/\partial \operatorname{Re} + i\, \partial L/\partial
    \operatorname{Im}`): with :math:`E_{ij} = \bar\lambda_j - \bar\lambda_i`
    (:math:`E_{ii} = 1`) and
    :math:`W = V^H G_V - V^H V \operatorname{Re}(\operatorname{diag}(V^H G_V))`,

    .. math:: \frac{\partial L}{\partial A} = \operatorname{Re}\Bigl(V^{-H}
              \bigl(\operatorname{diag}(G_\lambda) + W / E\bigr) V^H\Bigr)

    Not differentiable everywhere: when two eigenvalues are equal and the loss uses
    the eigenvectors, :math:`E` has zeros and the gradient is inf or nan (as in
    PyTorch); the eigenvalues alone are differentiable wherever :math:`A` is
    diagonalisable. An eigenvector is defined only up to a phase, so a loss that
    depends on the phase has no gradient: ``backward`` raises RuntimeError then.

    Parameters
    ----------
    a : Tensor
        Real square matrix or batch of them, float32 or float64.
    eps : float, optional
        The original lucid's guard for the eigenvector gradient: eigenvalue gaps
        :math:`|E_{ij}|` smaller than ``eps`` are replaced by ``eps``, so (nearly)
        repeated eigenvalues give a large finite gradient instead of ``inf`` / ``nan``.
        None (the default) is PyTorch's formula, unguarded.

    Returns
    -------
    (Tensor, Tensor)
        Eigenvalues ``(..., n)`` and eigenvectors ``(..., n, n)`` (as columns), complex.

    Raises
    ------
    ValueError
        If ``a`` is not of shape ``(..., n, n)``.
    TypeError
        If ``a`` is not float32 or float64.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[2.0, 0.0], [0.0, 3.0]], requires_grad=True)
    >>> w, v = lucid.linalg.eig(a)
    >>> print(w)
    Tensor([(2+0j), (3+0j)], dtype=complex64, grad_fn=Eig)
    >>> print(lucid.linalg.eig(lucid.Tensor([[0.0, -1.0], [1.0, 0.0]]))[0])
    Tensor([1j, -1j], dtype=complex64)
    >>> w.backward([1.0, 0.0])
    >>> a.grad
    array([[1., 0.],
           [0., 0.]], dtype=float32)
    """
    a = square_tensor(a, "eig")
    if eps is not None:
        eps = check_number(eps, "eig", "eps", 0.0, None)
    w, v = np.linalg.eig(a.data)
    complex_dtype = np.result_type(a.dtype, np.complex64)
    factors = (w.astype(complex_dtype), v.astype(complex_dtype))
    return tuple(Eig.apply(a, factors=factors, index=i, eps=eps) for i in range(2))
