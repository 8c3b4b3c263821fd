r"""Inverting matrices: ``inv``, ``solve``, ``pinv`` and ``matrix_power``.

All four rest on one derivative, that of the inverse. Differentiating
:math:`A A^{-1} = I` gives :math:`dA\,A^{-1} + A\,d(A^{-1}) = 0`, so

.. math:: d(A^{-1}) = -A^{-1}\, dA\, A^{-1}

and for a loss :math:`L` with :math:`G = \partial L/\partial A^{-1}` the chain rule
(:math:`dL = \operatorname{tr}(G^T d(A^{-1}))`) turns this into

.. math:: \frac{\partial L}{\partial A} = -A^{-T}\, G\, A^{-T}.
"""
import numpy as np

from lucid.autograd.function import Function
from lucid._checks import check_int, float_tensor, renamed
from lucid.linalg._checks import LinAlgError, matrix_tensor, mT, square_tensor

__all__ = ["inv", "solve", "pinv", "matrix_power"]


def _singular(name, shape):
    return LinAlgError(f"{name}: the matrix is singular (it has no inverse); "
                       f"got a matrix of shape {shape} with a zero pivot in its LU factorisation")


# -------------------------------------------------------------------------- inv
class Inv(Function):
    r"""``Y = A^{-1}``;  ``dL/dA = -Y^T (dL/dY) Y^T``."""

    @staticmethod
    def forward(ctx, a, name="inv"):
        try:
            y = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise _singular(name, a.shape) from None
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, grad):
        y_t = mT(ctx.y)
        return -(y_t @ grad @ y_t)


def inv(a):
    r"""Inverse of a square matrix (or of each matrix in a batch).

    .. math:: Y = A^{-1}, \qquad A Y = Y A = I

    Shapes: ``a`` is ``(..., n, n)``; the result has the same shape and dtype.

    Backward: from :math:`d(A^{-1}) = -A^{-1}\,dA\,A^{-1}`,

    .. math:: \frac{\partial L}{\partial A} = -A^{-T}\,
              \frac{\partial L}{\partial Y}\, A^{-T}

    Parameters
    ----------
    a : Tensor
        Square matrix or batch of square matrices, float32 or float64.

    Returns
    -------
    Tensor
        The inverse, shape ``(..., n, n)``.

    Raises
    ------
    LinAlgError
        If a matrix is singular (a subclass of ``numpy.linalg.LinAlgError``).
    ValueError
        If ``a`` is not of shape ``(..., n, n)``.
    TypeError
        If ``a`` is not float32 or float64.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[2.0, 0.0], [0.0, 4.0]], requires_grad=True)
    >>> y = lucid.linalg.inv(a)
    >>> print(y)
    Tensor([[0.5, 0.0], [0.0, 0.25]], grad_fn=Inv)
    >>> y.sum().backward()
    >>> a.grad
    array([[-0.25  , -0.125 ],
           [-0.125 , -0.0625]], dtype=float32)
    """
    a = square_tensor(a, "inv")
    return Inv.apply(a)


# ------------------------------------------------------------------------ solve
def _is_vector_rhs(a_shape, b_shape):
    """PyTorch's rule: ``b`` is a (batch of) vector(s) when it is 1-D, or when its shape
    is ``a``'s shape without the last axis."""
    return len(b_shape) == 1 or tuple(b_shape) == tuple(a_shape[:-1])


class Solve(Function):
    r"""``X = A^{-1} B``;  ``dL/dB = A^{-T} dL/dX``,  ``dL/dA = -(dL/dB) X^T``.

    ``b`` arrives as a stack of matrices ``(..., n, k)``; ``vector`` says that the
    caller's ``b`` was a stack of vectors, so the result drops its last axis.
    """

    @staticmethod
    def forward(ctx, a, b, vector=False):
        if vector:
            b = b[..., None]
        try:
            x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise _singular("solve", a.shape) from None
        ctx.a, ctx.x, ctx.vector = a, x, vector
        return x[..., 0] if vector else x

    @staticmethod
    def backward(ctx, grad):
        if ctx.vector:
            grad = grad[..., None]
        grad_b = np.linalg.solve(mT(ctx.a), grad)   # A^T (dL/dB) = dL/dX
        grad_a = -(grad_b @ mT(ctx.x))
        if ctx.vector:
            grad_b = grad_b[..., 0]
        return grad_a, grad_b


def solve(a, b):
    r"""Solve the linear system :math:`A X = B` for :math:`X`.

    .. math:: X = A^{-1} B

    computed by an LU factorisation of :math:`A` (never by forming :math:`A^{-1}`).

    Shapes (PyTorch's rule): ``a`` is ``(..., n, n)``. ``b`` is a batch of vectors
    ``(..., n)`` when it is 1-D or has exactly ``a.shape[:-1]``, otherwise a batch of
    matrices ``(..., n, k)``. The batch axes ``...`` broadcast; the result has ``b``'s
    kind with the broadcast batch shape.

    Backward: with :math:`G = \partial L/\partial X`,

    .. math:: \frac{\partial L}{\partial B} = A^{-T} G, \qquad
              \frac{\partial L}{\partial A} = -\frac{\partial L}{\partial B}\, X^T

    (the first is itself a solve, with :math:`A^T`).

    Parameters
    ----------
    a : Tensor
        Square coefficient matrix or batch of them, float32 or float64.
    b : Tensor
        Right-hand side(s), float32 or float64.

    Returns
    -------
    Tensor
        ``X``, shaped like ``b`` (with the broadcast batch shape).

    Raises
    ------
    LinAlgError
        If a matrix ``a`` is singular.
    ValueError
        If ``a`` is not square, ``b``'s rows do not match ``n``, or the batch shapes do
        not broadcast.
    TypeError
        If ``a`` or ``b`` is not float32 or float64.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[3.0, 1.0], [1.0, 2.0]], requires_grad=True)
    >>> b = lucid.Tensor([9.0, 8.0], requires_grad=True)
    >>> x = lucid.linalg.solve(a, b)
    >>> print(x)
    Tensor([2.0, 3.0], grad_fn=Solve)
    >>> x.sum().backward()
    >>> b.grad
    array([0.2, 0.4], dtype=float32)
    """
    a = square_tensor(a, "solve")
    b = float_tensor(b, "solve", "b", convert=True)
    if b.ndim == 0:
        raise ValueError("solve: b must be a vector (..., n) or a matrix (..., n, k); "
                         "got a 0-d tensor")
    n = a.shape[-1]
    vector = _is_vector_rhs(a.shape, b.shape)
    rows = b.shape[-1] if vector else b.shape[-2]
    if rows != n:
        raise ValueError(f"solve: b must have n = {n} rows to match a of shape {a.shape}; "
                         f"got b of shape {b.shape}")
    batch_b = b.shape[:-1] if vector else b.shape[:-2]
    try:
        np.broadcast_shapes(a.shape[:-2], batch_b)
    except ValueError:
        raise ValueError(f"solve: the batch shapes of a {a.shape} and b {b.shape} cannot be "
                         f"broadcast together") from None
    return Solve.apply(a, b, vector=vector)


# ------------------------------------------------------------------------- pinv
class Pinv(Function):
    r"""``P = A^+`` (via the SVD); the adjoint of Golub and Pereyra's derivative."""

    @staticmethod
    def forward(ctx, a, atol=None, rtol=None):
        m, n = a.shape[-2:]
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        if rtol is None:
            rtol = np.finfo(a.dtype).eps * max(m, n) if atol is None else 0.0
        s_max = s.max(axis=-1, keepdims=True, initial=0.0)
        cutoff = np.maximum(0.0 if atol is None else atol, rtol * s_max)
        keep = s > cutoff
        s_inv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0).astype(a.dtype)
        p = (mT(vh) * s_inv[..., None, :]) @ mT(u)     # V diag(1/s) U^T
        ctx.a, ctx.p = a, p
        return p

    @staticmethod
    def backward(ctx, grad):
        a, p = ctx.a, ctx.p
        m, n = a.shape[-2:]
        i_m = np.eye(m, dtype=a.dtype)
        i_n = np.eye(n, dtype=a.dtype)
        g_t, p_t = mT(grad), mT(p)
        return (-(p_t @ grad @ p_t)
                + (i_m - a @ p) @ g_t @ p @ p_t
                + p_t @ p @ g_t @ (i_n - p @ a))


@renamed(rcond="rtol")
def pinv(a, atol=None, rtol=None):
    r"""Moore-Penrose pseudo-inverse of a matrix (or of each matrix in a batch).

    With the SVD :math:`A = U \operatorname{diag}(s) V^T`,

    .. math:: A^+ = V \operatorname{diag}(s^+) U^T, \qquad
              s^+_i = \begin{cases} 1/s_i & s_i > \max(\text{atol},\;
              \text{rtol} \cdot s_{\max}) \\ 0 & \text{otherwise} \end{cases}

    so singular values at or below the cutoff count as zero (PyTorch's rule). When
    neither tolerance is given, ``rtol = eps(dtype) * max(m, n)``; when only ``atol``
    is given, ``rtol = 0``.

    Shapes: ``a`` is ``(..., m, n)``; the result is ``(..., n, m)``.

    Backward (Golub and Pereyra's derivative of :math:`P = A^+`, valid where the rank
    does not change), with :math:`G = \partial L / \partial P`:

    .. math:: \frac{\partial L}{\partial A} = -P^T G P^T
              + (I_m - A P)\, G^T P P^T + P^T P\, G^T (I_n - P A)

    Parameters
    ----------
    a : Tensor
        Matrix or batch of matrices, float32 or float64 (need not be square).
    atol : float, optional
        Absolute cutoff for the singular values.
    rtol : float, optional
        Cutoff relative to the largest singular value of each matrix (the original
        lucid's and NumPy's ``rcond``).

    Returns
    -------
    Tensor
        :math:`A^+`, shape ``(..., n, m)``.

    Raises
    ------
    ValueError
        If ``a`` is not at least 2-D, or a tolerance is negative.
    TypeError
        If ``a`` is not float32 or float64, or a tolerance is not a number.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]], requires_grad=True)
    >>> p = lucid.linalg.pinv(a)
    >>> print(p)
    Tensor([[1.0, 0.0, 0.0], [0.0, 0.5, 0.0]], grad_fn=Pinv)
    >>> p.sum().backward()
    >>> a.grad
    array([[-1.  , -0.5 ],
           [-0.5 , -0.25],
           [ 1.  ,  0.25]], dtype=float32)
    """
    a = matrix_tensor(a, "pinv")
    for arg, tol in (("atol", atol), ("rtol", rtol)):
        if tol is None:
            continue
        if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, (int, float, np.number)):
            raise TypeError(f"pinv: {arg} must be a number or None; got {tol!r}")
        if tol < 0:
            raise ValueError(f"pinv: {arg} must be >= 0; got {tol}")
    return Pinv.apply(a, atol=atol, rtol=rtol)


# ----------------------------------------------------------------- matrix_power
def _power(a, n):
    """``a`` to the power ``n >= 1`` by binary exponentiation (square and multiply),
    the order of products PyTorch uses."""
    result, square = None, None
    while n > 0:
        bit, n = n % 2, n // 2
        square = a if square is None else square @ square    # a^(2^j)
        if bit:
            result = square if result is None else result @ square
    return result


class MatrixPower(Function):
    r"""``Y = A^n`` for ``n >= 0``;
    ``dL/dA = sum_{k=0}^{n-1} (A^T)^k (dL/dY) (A^T)^{n-1-k}``."""

    @staticmethod
    def forward(ctx, a, n=1):
        ctx.a, ctx.n = a, n
        if n == 0:
            return np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()
        return _power(a, n).copy()

    @staticmethod
    def backward(ctx, grad):
        a_t, n = mT(ctx.a), ctx.n
        powers = [np.broadcast_to(np.eye(a_t.shape[-1], dtype=a_t.dtype), a_t.shape)]
        for _ in range(n - 1):
            powers.append(powers[-1] @ a_t)               # (A^T)^k, k = 0 .. n-1
        grad_a = np.zeros(np.broadcast_shapes(a_t.shape, grad.shape), dtype=grad.dtype)
        for k in range(n):
            grad_a = grad_a + powers[k] @ grad @ powers[n - 1 - k]
        return grad_a


def matrix_power(a, n):
    r"""A square matrix raised to an integer power ``n`` (of each matrix in a batch).

    .. math:: A^n = \underbrace{A A \cdots A}_{n}, \qquad A^0 = I, \qquad
              A^{-n} = (A^{-1})^n

    computed by binary exponentiation (:math:`A^{13} = A^8 A^4 A`: about
    :math:`\log_2 n` products instead of :math:`n - 1`).

    Shapes: ``a`` is ``(..., k, k)``; the result has the same shape and dtype.

    Backward: the product rule over the :math:`n` factors, with
    :math:`G = \partial L/\partial A^n` and :math:`n \ge 1`,

    .. math:: \frac{\partial L}{\partial A} = \sum_{k=0}^{n-1} (A^T)^k\, G\,
              (A^T)^{n-1-k}

    For :math:`n < 0` this runs through :func:`inv` (its backward chains with the one
    of :func:`inv`); for :math:`n = 0` the result is constant and the gradient zero.

    Parameters
    ----------
    a : Tensor
        Square matrix or batch of them, float32 or float64.
    n : int
        The exponent; negative exponents need an invertible ``a``.

    Returns
    -------
    Tensor
        :math:`A^n`, shape ``(..., k, k)``.

    Raises
    ------
    LinAlgError
        If ``n < 0`` and a matrix is singular.
    ValueError
        If ``a`` is not of shape ``(..., k, k)``.
    TypeError
        If ``n`` is not an int, or ``a`` not float32 or float64.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[1.0, 1.0], [0.0, 1.0]], requires_grad=True)
    >>> y = lucid.linalg.matrix_power(a, 3)
    >>> print(y)
    Tensor([[1.0, 3.0], [0.0, 1.0]], grad_fn=MatrixPower)
    >>> y.sum().backward()
    >>> a.grad
    array([[ 6.,  3.],
           [10.,  6.]], dtype=float32)
    >>> print(lucid.linalg.matrix_power(a, -1))
    Tensor([[1.0, -1.0], [0.0, 1.0]], grad_fn=MatrixPower)
    """
    n = check_int(n, "matrix_power", "n")
    a = square_tensor(a, "matrix_power")
    if n < 0:
        return MatrixPower.apply(Inv.apply(a, name="matrix_power"), n=-n)
    return MatrixPower.apply(a, n=n)
