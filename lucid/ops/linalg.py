r"""Products of tensors: matmul, dot, inner, outer, tensordot.

Every product here sums over pairs of *contracted* axes, one from each operand, and
keeps the other (*free*) axes. Their backward passes all come from one identity: for
a matrix product :math:`C = A B` with :math:`C_{ij} = \sum_k A_{ik} B_{kj}`,

.. math::

    \frac{\partial L}{\partial A} = \frac{\partial L}{\partial C} B^\top,
    \qquad
    \frac{\partial L}{\partial B} = A^\top \frac{\partial L}{\partial C}

(``dA_ik = sum_j dC_ij B_kj`` and ``dB_kj = sum_i A_ik dC_ij``). ``matmul`` applies it
to a batch of matrices; ``tensordot`` (and ``dot`` and ``inner``, which are special
cases of it) first lays its operands out as matrices — free axes as rows, contracted
axes as columns — so that it *is* one matrix product.

This module is ``lucid.ops.linalg``: the products that every layer uses. The
decompositions and solvers (``inv``, ``det``, ``svd``, ...) live in ``lucid.linalg``.

Every function checks the operands' shapes before NumPy sees them: a mismatch is a
``ValueError`` naming both shapes and the dimensions that disagree.
"""
import math

import numpy as np

from lucid._ext._blas import product_threads
from lucid.autograd.function import Function
from lucid._checks import is_int, normalize_axis
from lucid.ops._util import as_tensor

__all__ = ["matmul", "dot", "inner", "outer", "tensordot"]


def _mT(x):
    """Swap the last two axes: the transpose of every matrix in a batch."""
    return np.swapaxes(x, -1, -2)


def _mismatch(name, a, b, what_a, size_a, what_b, size_b):
    return ValueError(
        f"{name}: a's {what_a} ({size_a}) does not match b's {what_b} ({size_b}); "
        f"shapes {a.shape} and {b.shape}"
    )


# ---------------------------------------------------------------------- matmul
# [exercise: matmul]
class MatMul(Function):
    r"""``C = A @ B`` over a (broadcast) batch; ``dA = dC B^T``, ``dB = A^T dC``.

    A 1-D ``a`` is treated as a row ``(1, k)`` and a 1-D ``b`` as a column ``(k, 1)``;
    the added axis is dropped from the result, so backward puts it back into ``dC``
    and takes it out of the operand's gradient again.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.a_vector, ctx.b_vector = a.ndim == 1, b.ndim == 1
        A = a[np.newaxis, :] if ctx.a_vector else a   # (k,) -> (1, k)
        B = b[:, np.newaxis] if ctx.b_vector else b   # (k,) -> (k, 1)
        ctx.A, ctx.B = A, B
        ctx.work = _product_flops(A, B)
        with product_threads(ctx.work):
            return np.matmul(a, b)

    @staticmethod
    def flops(ctx, out, a, b):
        """Each output element is a length-k dot product: k multiplies and k adds."""
        return 2 * int(out.size) * a.shape[-1]

    @staticmethod
    def backward(ctx, grad):
        A, B = ctx.A, ctx.B
        G = grad
        if ctx.b_vector:
            G = G[..., np.newaxis]                     # (..., m) -> (..., m, 1)
        if ctx.a_vector:
            G = np.expand_dims(G, -2)                  # (..., n) -> (..., 1, n)
        with product_threads(ctx.work):
            return _matmul_grads(ctx, A, B, G)


def _product_flops(A, B):
    """2 m k n per matrix of the broadcast batch of ``A @ B``."""
    batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    return 2 * math.prod(batch) * A.shape[-2] * A.shape[-1] * B.shape[-1]


def _matmul_grads(ctx, A, B, G):
    """dA = G B^T and dB = A^T G for MatMul.backward (the needed ones)."""
    dA = dB = None
    if ctx.needs_input_grad[0]:
        dA = np.matmul(G, _mT(B))                      # (..., m, n) @ (..., n, k)
        if ctx.a_vector:
            dA = dA[..., 0, :]
    if ctx.needs_input_grad[1]:
        if B.ndim == 2:
            # One matrix B shared by the whole batch: dB = sum_batch A_b^T G_b, which is
            # one product once the batch is stacked into the rows.
            rows = int(np.prod(A.shape[:-1]))          # batch * m
            dB = A.reshape(rows, A.shape[-1]).T @ G.reshape(rows, G.shape[-1])
        else:
            dB = np.matmul(_mT(A), G)                  # (..., k, m) @ (..., m, n)
        if ctx.b_vector:
            dB = dB[..., 0]
    # broadcast batch axes are summed back to each operand's shape by the engine
    return dA, dB
# [end exercise: matmul]


def _batch_mismatch(a, b, batch_a, batch_b):
    """The first batch dimension (counted from the right) where broadcasting fails."""
    for i in range(1, min(len(batch_a), len(batch_b)) + 1):
        p, q = batch_a[-i], batch_b[-i]
        if p != q and p != 1 and q != 1:
            return ValueError(
                f"matmul: batch dimensions {batch_a} of a and {batch_b} of b cannot be "
                f"broadcast: a's batch dimension {len(batch_a) - i} has size {p}, b's "
                f"batch dimension {len(batch_b) - i} has size {q}; shapes {a.shape} and {b.shape}"
            )
    return None


def matmul(a, b):
    r"""Matrix product, batched and broadcast like ``np.matmul`` / ``torch.matmul``.

    For matrices ``a`` of shape ``(m, k)`` and ``b`` of shape ``(k, n)``:

    .. math:: C_{ij} = \sum_{l=0}^{k-1} a_{il}\, b_{lj}, \qquad C \in \mathbb{R}^{m \times n}

    Shapes:

    * ``(..., m, k) @ (..., k, n) -> (..., m, n)``: the leading *batch* axes broadcast
      against each other (``(2, 1, 3, 4) @ (5, 4, 2) -> (2, 5, 3, 2)``);
    * a 1-D ``a`` of shape ``(k,)`` is a row ``(1, k)`` whose axis is dropped from the
      result: ``(k,) @ (..., k, n) -> (..., n)``;
    * a 1-D ``b`` of shape ``(k,)`` is a column ``(k, 1)``, likewise dropped:
      ``(..., m, k) @ (k,) -> (..., m)``; ``(k,) @ (k,)`` is the 0-d dot product.

    Dtype: NumPy promotion (``float32 @ float32 -> float32``).

    Backward: with :math:`G = \partial L/\partial C` (a 1-D operand's dropped axis put
    back),

    .. math:: \frac{\partial L}{\partial a} = G\, b^\top, \qquad
              \frac{\partial L}{\partial b} = a^\top G

    matrix by matrix over the batch, then summed over the batch axes an operand was
    broadcast along (a weight matrix shared by a whole batch gets the sum of every
    sample's gradient).

    Parameters
    ----------
    a : Tensor
        At least 1-D.
    b : Tensor
        At least 1-D; its second-to-last axis (its only axis if 1-D) must have the size
        of ``a``'s last axis.

    Returns
    -------
    Tensor
        Shape as above.

    Raises
    ------
    ValueError
        If an operand is 0-d, the contracted sizes differ, or the batch axes do not
        broadcast; the message names both shapes and the dimensions at fault.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> b = lucid.Tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], requires_grad=True)
    >>> c = lucid.matmul(a, b)
    >>> print(c)
    Tensor([[1.0, 2.0, 3.0], [3.0, 4.0, 7.0]], grad_fn=MatMul)
    >>> c.sum().backward()
    >>> a.grad
    array([[2., 2.],
           [2., 2.]], dtype=float32)
    >>> b.grad
    array([[4., 4., 4.],
           [6., 6., 6.]], dtype=float32)
    >>> print(lucid.matmul(lucid.Tensor([1.0, 2.0]), lucid.Tensor([3.0, 4.0])))
    Tensor(11.0)
    """
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands must be at least 1-D (use multiply for scalars); "
            f"got shapes {a.shape} and {b.shape}"
        )
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k_b:
        where = "only dimension" if b.ndim == 1 else "second-to-last"
        raise _mismatch("matmul", a, b, "last dimension", a.shape[-1], where, k_b)
    error = _batch_mismatch(a, b, a.shape[:-2], b.shape[:-2])
    if error is not None:
        raise error
    return MatMul.apply(a, b)


# ------------------------------------------------------------------- tensordot
class TensorDot(Function):
    r"""``C = tensordot(A, B, (axes_a, axes_b))`` as one matrix product.

    ``A`` is laid out as a matrix ``(M, K)``: its free axes (in order) as rows, its
    contracted axes ``axes_a`` as columns; ``B`` as ``(K, N)``: contracted ``axes_b``
    as rows, free axes as columns. Then ``C = A_mat @ B_mat`` reshaped to
    ``free_a_shape + free_b_shape``, and backward is the matrix rule
    ``dA_mat = dC_mat B_mat^T``, ``dB_mat = A_mat^T dC_mat``, laid back out.
    """

    @staticmethod
    def forward(ctx, a, b, axes_a=(), axes_b=()):
        free_a = [i for i in range(a.ndim) if i not in axes_a]
        free_b = [i for i in range(b.ndim) if i not in axes_b]
        order_a, order_b = free_a + list(axes_a), list(axes_b) + free_b
        a_laid = a.transpose(order_a)                  # free axes, then contracted
        b_laid = b.transpose(order_b)                  # contracted axes, then free
        M = int(np.prod([a.shape[i] for i in free_a]))
        N = int(np.prod([b.shape[i] for i in free_b]))
        K = int(np.prod([a.shape[i] for i in axes_a]))
        A = a_laid.reshape(M, K)
        B = b_laid.reshape(K, N)
        ctx.A, ctx.B = A, B
        ctx.order_a, ctx.order_b = order_a, order_b
        ctx.laid_a, ctx.laid_b = a_laid.shape, b_laid.shape
        out_shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b)
        with product_threads(2 * A.size * B.shape[1]):
            return (A @ B).reshape(out_shape)

    @staticmethod
    def flops(ctx, out, a, b, axes_a=(), axes_b=()):
        """Each output element sums K products: 2 K operations."""
        return 2 * int(out.size) * ctx.A.shape[1]

    @staticmethod
    def backward(ctx, grad):
        A, B = ctx.A, ctx.B
        G = grad.reshape(A.shape[0], B.shape[1])       # (M, N)
        dA = dB = None
        if ctx.needs_input_grad[0]:
            with product_threads(2 * A.size * B.shape[1]):
                dA = (G @ B.T).reshape(ctx.laid_a).transpose(np.argsort(ctx.order_a))
        if ctx.needs_input_grad[1]:
            with product_threads(2 * A.size * B.shape[1]):
                dB = (A.T @ G).reshape(ctx.laid_b).transpose(np.argsort(ctx.order_b))
        return dA, dB


def _check_pairs(name, a, b, axes_a, axes_b, what_a=None, what_b=None):
    """Raise the mismatch error for the first contracted pair whose sizes differ.

    ``what_a`` / ``what_b`` describe the axes in the message (default: "axis i").
    """
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise _mismatch(name, a, b, what_a or f"axis {i}", a.shape[i],
                            what_b or f"axis {j}", b.shape[j])


def _axis_list(which, axes, ndim):
    """One side (``which`` is "a" or "b") of a ``tensordot`` axes pair, as non-negative ints."""
    if is_int(axes):
        axes = [axes]
    try:
        axes = tuple(axes)
    except TypeError:
        raise TypeError(
            f"tensordot: the axes of {which} must be an int or a sequence of ints; got {axes!r}"
        ) from None
    if ndim == 0 and axes:
        raise ValueError(f"tensordot: {which} is 0-d and has no axis to contract; got axes {axes}")
    return list(normalize_axis(axes, ndim, f"tensordot (axes of {which})"))


def _tensordot_axes(a, b, axes):
    """Turn ``axes`` (an int, or a pair of ints / sequences) into two lists of axes."""
    if is_int(axes):
        n = int(axes)
        if n < 0 or n > a.ndim or n > b.ndim:
            raise ValueError(
                f"tensordot: axes={n} contracts the last {n} axes of a and the first {n} "
                f"of b, so it must be between 0 and min(a.ndim, b.ndim) = "
                f"{min(a.ndim, b.ndim)}; shapes {a.shape} and {b.shape}"
            )
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    if isinstance(axes, (bool, np.bool_, str)) or not hasattr(axes, "__len__") or len(axes) != 2:
        raise TypeError(
            f"tensordot: axes must be an int or a pair (axes_a, axes_b) of ints or "
            f"sequences of ints; got {axes!r}"
        )
    axes_a = _axis_list("a", axes[0], a.ndim)
    axes_b = _axis_list("b", axes[1], b.ndim)
    if len(axes_a) != len(axes_b):
        raise ValueError(
            f"tensordot: a and b must contract the same number of axes; got "
            f"{len(axes_a)} for a and {len(axes_b)} for b (axes={axes!r})"
        )
    return axes_a, axes_b


def tensordot(a, b, axes=2):
    r"""Sum of products over chosen axes of ``a`` and ``b`` (``np.tensordot`` semantics).

    With contracted axes :math:`p_1..p_r` of ``a`` paired with :math:`q_1..q_r` of
    ``b`` (same sizes), and the remaining *free* axes kept in order:

    .. math:: C[\text{free}_a, \text{free}_b] = \sum_{k_1, \dots, k_r}
              a[\text{free}_a;\, p_1{=}k_1, \dots] \; b[q_1{=}k_1, \dots;\, \text{free}_b]

    Shapes: ``a``'s free axes followed by ``b``'s free axes. ``axes=n`` pairs the last
    ``n`` axes of ``a`` with the first ``n`` of ``b``; ``axes=0`` is the outer product;
    ``axes=([1, 0], [0, 1])`` pairs ``a``'s axis 1 with ``b``'s axis 0 and ``a``'s axis
    0 with ``b``'s axis 1.

    It is one matrix product in disguise: ``a`` is laid out as an ``(M, K)`` matrix
    (free axes flattened into rows, contracted axes into columns), ``b`` as ``(K, N)``,
    and :math:`C = A B` reshaped.

    Backward: the matrix rule on that layout, laid back out to each operand's axes,

    .. math:: \frac{\partial L}{\partial A} = \frac{\partial L}{\partial C} B^\top,
              \qquad \frac{\partial L}{\partial B} = A^\top \frac{\partial L}{\partial C}

    Parameters
    ----------
    a, b : Tensor
        Any shapes whose paired axes have equal sizes.
    axes : int or (sequence of int, sequence of int), default 2
        Number of trailing/leading axes to contract, or the two lists of axes (single
        ints allowed; negative axes count from the end).

    Returns
    -------
    Tensor
        Shape ``free_a_shape + free_b_shape``.

    Raises
    ------
    ValueError
        If an axis is out of range or repeated, the two lists have different lengths,
        or a paired dimension differs (the message names both shapes and the axes).
    TypeError
        If ``axes`` is not an int or a pair.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> b = lucid.Tensor([[1.0, 0.0], [1.0, 1.0]], requires_grad=True)
    >>> c = lucid.tensordot(a, b)
    >>> print(c)
    Tensor(8.0, grad_fn=TensorDot)
    >>> c.backward()
    >>> a.grad
    array([[1., 0.],
           [1., 1.]], dtype=float32)
    >>> print(lucid.tensordot(a, b, axes=([0], [0])))
    Tensor([[4.0, 3.0], [6.0, 4.0]], grad_fn=TensorDot)
    """
    a, b = as_tensor(a), as_tensor(b)
    axes_a, axes_b = _tensordot_axes(a, b, axes)
    _check_pairs("tensordot", a, b, axes_a, axes_b)
    return TensorDot.apply(a, b, axes_a=tuple(axes_a), axes_b=tuple(axes_b))


# ------------------------------------------------------------------ dot, inner
def dot(a, b):
    r"""Dot product, following ``np.dot`` (and the original lucid's ``dot``).

    * 1-D and 1-D, both ``(k,)``: the inner product, 0-d:
      :math:`c = \sum_l a_l b_l`;
    * 2-D and 2-D, ``(m, k)`` and ``(k, n)``: the matrix product
      :math:`C_{ij} = \sum_l a_{il} b_{lj}`, shape ``(m, n)``;
    * either 0-d: the product ``a * b`` (shape of the other operand);
    * N-D and 1-D: sums over the last axis of ``a`` and the only axis of ``b``;
    * N-D and M-D (M >= 2): sums over the last axis of ``a`` and the *second-to-last*
      of ``b``, :math:`C[i, \dots, j, \dots, n] = \sum_l a[i, \dots, l]\, b[j, \dots,
      l, n]`, shape ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]``. Unlike
      :func:`matmul`, the leading axes do *not* broadcast as a batch: every
      "row" of ``a`` meets every matrix of ``b``.

    This is :func:`tensordot` with ``axes=([a.ndim - 1], [b.ndim - 2])`` (``[0]`` for
    a 1-D ``b``), and its backward is tensordot's.

    Backward: for matrices, :math:`\partial L/\partial a = G b^\top` and
    :math:`\partial L/\partial b = a^\top G` with :math:`G = \partial L/\partial C`;
    for vectors, :math:`\partial L/\partial a = G\, b` and :math:`\partial L/\partial
    b = G\, a`.

    Parameters
    ----------
    a, b : Tensor
        Shapes as above.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If ``a``'s last dimension differs from ``b``'s second-to-last (only, if 1-D)
        dimension; the message names both shapes.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> b = lucid.Tensor([4.0, 5.0, 6.0], requires_grad=True)
    >>> c = lucid.dot(a, b)
    >>> print(c)
    Tensor(32.0, grad_fn=TensorDot)
    >>> c.backward()
    >>> a.grad
    array([4., 5., 6.], dtype=float32)
    """
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return TensorDot.apply(a, b, axes_a=(), axes_b=())
    j = 0 if b.ndim == 1 else b.ndim - 2
    where = "only dimension" if b.ndim == 1 else "second-to-last dimension"
    _check_pairs("dot", a, b, [a.ndim - 1], [j], "last dimension", where)
    return TensorDot.apply(a, b, axes_a=(a.ndim - 1,), axes_b=(j,))


def inner(a, b):
    r"""Inner product over the last axes, following ``np.inner`` / ``torch.inner``.

    .. math:: C[i_1, \dots, j_1, \dots] = \sum_l a[i_1, \dots, l]\; b[j_1, \dots, l]

    Shapes: ``(..., k)`` and ``(..., k)`` give ``a.shape[:-1] + b.shape[:-1]``; two
    vectors give a 0-d result; a 0-d operand gives the product ``a * b``.
    This is :func:`tensordot` with ``axes=([-1], [-1])``.

    Backward: :math:`\partial L/\partial a[i, l] = \sum_j G[i, j]\, b[j, l]` and
    :math:`\partial L/\partial b[j, l] = \sum_i G[i, j]\, a[i, l]` with
    :math:`G = \partial L/\partial C` (the matrix rule with :math:`B = b^\top`).

    Parameters
    ----------
    a, b : Tensor
        Last dimensions equal (unless one is 0-d).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If the last dimensions differ; the message names both shapes.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> b = lucid.Tensor([1.0, -1.0], requires_grad=True)
    >>> c = lucid.inner(a, b)
    >>> print(c)
    Tensor([-1.0, -1.0], grad_fn=TensorDot)
    >>> c.sum().backward()
    >>> b.grad
    array([4., 6.], dtype=float32)
    """
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return TensorDot.apply(a, b, axes_a=(), axes_b=())
    _check_pairs("inner", a, b, [a.ndim - 1], [b.ndim - 1], "last dimension", "last dimension")
    return TensorDot.apply(a, b, axes_a=(a.ndim - 1,), axes_b=(b.ndim - 1,))


# ----------------------------------------------------------------------- outer
class Outer(Function):
    r"""``C_ij = u_i v_j`` with ``u, v`` the flattened operands;
    ``du = dC v``, ``dv = dC^T u``, reshaped back to each operand's shape."""

    @staticmethod
    def forward(ctx, a, b):
        u, v = a.reshape(-1), b.reshape(-1)
        ctx.u, ctx.v = u, v
        ctx.shape_a, ctx.shape_b = a.shape, b.shape
        return u[:, np.newaxis] * v[np.newaxis, :]

    @staticmethod
    def backward(ctx, grad):
        u, v = ctx.u, ctx.v
        da = (grad @ v).reshape(ctx.shape_a) if ctx.needs_input_grad[0] else None
        db = (grad.T @ u).reshape(ctx.shape_b) if ctx.needs_input_grad[1] else None
        return da, db


def outer(a, b):
    r"""Outer product of two vectors; other shapes are flattened first (like ``np.outer``).

    .. math:: C_{ij} = u_i\, v_j, \qquad u = \operatorname{ravel}(a),\;
              v = \operatorname{ravel}(b)

    Shapes: ``(a.size, b.size)``. (``torch.outer`` accepts only 1-D operands; on 1-D
    operands the two agree.)

    Backward: :math:`\partial L/\partial u_i = \sum_j G_{ij} v_j` and
    :math:`\partial L/\partial v_j = \sum_i G_{ij} u_i` with
    :math:`G = \partial L/\partial C`, reshaped to ``a``'s and ``b``'s shapes.

    Parameters
    ----------
    a, b : Tensor
        Any shapes (0-d counts as one element).

    Returns
    -------
    Tensor
        Shape ``(a.size, b.size)``.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([1.0, 2.0], requires_grad=True)
    >>> b = lucid.Tensor([3.0, 4.0, 5.0], requires_grad=True)
    >>> c = lucid.outer(a, b)
    >>> print(c)
    Tensor([[3.0, 4.0, 5.0], [6.0, 8.0, 10.0]], grad_fn=Outer)
    >>> c.sum().backward()
    >>> a.grad
    array([12., 12.], dtype=float32)
    """
    a, b = as_tensor(a), as_tensor(b)
    return Outer.apply(a, b)
