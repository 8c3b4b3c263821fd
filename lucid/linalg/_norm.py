r"""Vector and matrix norms (``lucid.linalg.norm``), PyTorch's definitions and gradients.

A norm is a reduction, so its backward spreads ``dL/d||x||`` back over the entries
that went into it. Two Functions do the work: :class:`VectorNorm` (over any set of
axes, the entries taken as one long vector; this is also the Frobenius norm) and
:class:`MatrixNorm` (over two axes, the entries taken as a matrix). Where a max or a
min picks one of several equal values, its gradient is shared equally between them
(as PyTorch's ``amax`` / ``amin`` do).
"""
import numpy as np

from lucid.autograd.function import Function
from lucid._checks import check_bool, float_tensor, normalize_axis, renamed

__all__ = ["norm", "tensor_norm"]

_INF = float("inf")
_VECTOR_ORDS = (1, 2, _INF, -_INF)
_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, _INF, -_INF)


def _share_extreme(values, extreme, axis):
    """Where ``values`` equals ``extreme`` along ``axis``: 1/count of the ties, else 0
    (the gradient of a max or a min, shared between equal winners)."""
    hit = values == np.expand_dims(extreme, axis)
    return hit / hit.sum(axis=axis, keepdims=True)


# ------------------------------------------------------------------ vector norms
class VectorNorm(Function):
    r"""``y = ||x||_p`` over ``axis`` (a tuple): ``p`` in {1, 2, inf, -inf}, or any other
    ``p > 0`` (``(sum |x|^p)^(1/p)``), or ``p = 0`` (the count of non-zero entries)."""

    @staticmethod
    def forward(ctx, x, ord=2, axis=(), keepdims=True):
        ctx.x, ctx.ord, ctx.axis, ctx.keepdims = x, ord, axis, keepdims
        ax = np.abs(x)
        if ord == 2:
            y = np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
        elif ord == 1:
            y = np.sum(ax, axis=axis, keepdims=True)
        elif ord == _INF:
            y = np.max(ax, axis=axis, keepdims=True)
        elif ord == -_INF:
            y = np.min(ax, axis=axis, keepdims=True)
        elif ord == 0:
            y = np.sum(x != 0, axis=axis, keepdims=True).astype(x.dtype)
        else:
            y = np.sum(ax ** ord, axis=axis, keepdims=True) ** (1.0 / ord)
        ctx.y = y
        return y if keepdims else np.squeeze(y, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        x, y, ord, axis = ctx.x, ctx.y, ctx.ord, ctx.axis
        if not ctx.keepdims:
            grad = np.expand_dims(grad, axis)
        if ord == 2:                                   # x / ||x||, and 0 at x = 0
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where(y == 0, 0, grad / y)
            return x * scale
        if ord == 1:                                   # sign(x)
            return np.sign(x) * grad
        if ord == 0:                                   # a count: flat almost everywhere
            return np.zeros_like(x)
        if ord not in (_INF, -_INF):                   # sign(x) |x|^(p-1) / ||x||^(p-1)
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where(y == 0, 0, grad / y ** (ord - 1))
                slope = np.where(x == 0, 0, np.sign(x) * np.abs(x) ** (ord - 1))
            return slope * scale                       # 0 at x = 0, also for p < 1
        share = _share_extreme(np.abs(x), np.squeeze(y, axis=axis), axis)
        return np.sign(x) * share * grad               # the winners of max / min |x|


# ------------------------------------------------------------------ matrix norms
class MatrixNorm(Function):
    r"""``y = ||X||`` over the two axes ``axis`` (rows, columns); ord 'nuc', +-1, +-2, +-inf."""

    @staticmethod
    def forward(ctx, x, ord="nuc", axis=(-2, -1), keepdims=False):
        xm = np.moveaxis(x, axis, (-2, -1))            # the matrices on the last two axes
        ctx.xm, ctx.ord, ctx.axis, ctx.keepdims = xm, ord, axis, keepdims
        if ord in ("nuc", 2, -2):
            u, s, vh = np.linalg.svd(xm, full_matrices=False)
            ctx.u, ctx.s, ctx.vh = u, s, vh
            y = s.sum(axis=-1) if ord == "nuc" else (s.max(axis=-1) if ord == 2 else s.min(axis=-1))
        else:
            # 1: largest column sum of |x| (sum over rows); inf: largest row sum
            sums = np.abs(xm).sum(axis=-2 if abs(ord) == 1 else -1)
            ctx.sums = sums
            y = sums.max(axis=-1) if ord > 0 else sums.min(axis=-1)
        ctx.y = y
        return np.expand_dims(y, tuple(sorted(axis))) if keepdims else y

    @staticmethod
    def backward(ctx, grad):
        xm, ord, y = ctx.xm, ctx.ord, ctx.y
        if ctx.keepdims:
            grad = np.squeeze(grad, axis=tuple(sorted(ctx.axis)))
        g = grad[..., None]                            # one value per matrix
        if ord == "nuc":                               # d sum(s) = U V^T
            weights = np.broadcast_to(g, ctx.s.shape)
        elif ord in (2, -2):                           # d s_max = u_1 v_1^T
            weights = _share_extreme(ctx.s, y, -1) * g
        if ord in ("nuc", 2, -2):
            gm = (ctx.u * weights[..., None, :]) @ ctx.vh
        else:
            share = _share_extreme(ctx.sums, y, -1) * g   # which column / row sums win
            share = share[..., None, :] if abs(ord) == 1 else share[..., :, None]
            gm = np.sign(xm) * share
        return np.moveaxis(gm, (-2, -1), ctx.axis)


# -------------------------------------------------------------------------- norm
def _ord_name(ord):
    """``ord`` as written in a message: ``inf`` / ``-inf`` for the infinities."""
    if isinstance(ord, float) and np.isinf(ord):
        return "inf" if ord > 0 else "-inf"
    return repr(ord)


@renamed(dim="axis", keepdim="keepdims")
def norm(a, ord=None, axis=None, keepdims=False):
    r"""Vector or matrix norm (PyTorch's ``torch.linalg.norm``).

    Which norm, from ``axis`` and ``ord``:

    * ``ord=None``: the 2-norm of the entries over ``axis`` taken as one vector (all
      axes when ``axis`` is None; over two axes this is the Frobenius norm).
    * ``axis`` an int (or ``a`` 1-D with ``axis=None``): a **vector** norm,
      ``ord`` in ``{1, 2, inf, -inf}``:

      .. math:: \|x\|_2 = \sqrt{\textstyle\sum_i x_i^2}, \quad
                \|x\|_1 = \textstyle\sum_i |x_i|, \quad
                \|x\|_{\infty} = \max_i |x_i|, \quad \|x\|_{-\infty} = \min_i |x_i|

    * ``axis`` a pair of axes ``(rows, columns)`` (or ``a`` 2-D with ``axis=None``): a
      **matrix** norm, ``ord`` in ``{'fro', 'nuc', 1, -1, 2, -2, inf, -inf}``, with
      :math:`s` the singular values:

      .. math::

          \|A\|_F &= \sqrt{\textstyle\sum_{ij} a_{ij}^2}, &
          \|A\|_* &= \textstyle\sum_i s_i, &
          \|A\|_{\pm 2} &= \max / \min_i s_i,

          \|A\|_{\pm 1} &= \max / \min_j \textstyle\sum_i |a_{ij}|, &
          \|A\|_{\pm\infty} &= \max / \min_i \textstyle\sum_j |a_{ij}|

    Shapes: ``a`` minus the reduced axes (kept with size 1 when ``keepdims``).

    Backward, with :math:`g = \partial L/\partial \|\cdot\|`:
    2-norm and Frobenius :math:`g\,x / \|x\|` (zero when :math:`x = 0`, as PyTorch);
    1-norm :math:`g \operatorname{sign}(x)`; max / min norms send
    :math:`g \operatorname{sign}(x)` to the winning entries, rows or columns (shared
    equally between ties); nuclear :math:`g\, U V^T`; spectral :math:`g\, u_1 v_1^T`
    (:math:`u_1, v_1` the singular vectors of the largest / smallest singular value).

    Parameters
    ----------
    a : Tensor
        Float32 or float64 input.
    ord : {None, 1, 2, inf, -inf, 'fro', 'nuc', -1, -2}, optional
        Order of the norm (see above).
    axis : int or tuple of int, optional
        One axis (vector norm) or two (matrix norm); negative values count from the end.
    keepdims : bool, default False
        Keep the reduced axes with size 1.

    Returns
    -------
    Tensor
        The norms, dtype of ``a``.

    Raises
    ------
    ValueError
        If ``ord`` is not valid for a vector / matrix norm, ``axis`` is out of range or
        has more than two axes, ``ord`` is given with ``axis=None`` on an input that is
        not 1-D or 2-D, or a max / min norm reduces an empty axis.
    TypeError
        If ``a`` is not float32 / float64, or ``axis`` / ``keepdims`` have the wrong type.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([3.0, -4.0], requires_grad=True)
    >>> y = lucid.linalg.norm(x)
    >>> print(y)
    Tensor(5.0, grad_fn=VectorNorm)
    >>> y.backward()
    >>> x.grad
    array([ 0.6, -0.8], dtype=float32)
    >>> m = lucid.Tensor([[1.0, -2.0], [3.0, 4.0]])
    >>> print(lucid.linalg.norm(m, ord=1))
    Tensor(6.0)
    >>> print(lucid.linalg.norm(m, ord=float("inf"), axis=(0, 1)))
    Tensor(7.0)
    >>> print(lucid.linalg.norm(m, axis=1, keepdims=True))
    Tensor([[2.236068], [5.0]])
    """
    x = float_tensor(a, "norm", "a", convert=True)
    keepdims = check_bool(keepdims, "norm", "keepdims")
    number = isinstance(ord, (int, float, np.number)) and not isinstance(ord, (bool, np.bool_))
    if not (ord is None or number or isinstance(ord, str)):
        raise TypeError(f"norm: ord must be None, a number, 'fro' or 'nuc'; got {ord!r}")
    if axis is None:
        if ord is None:
            axes = tuple(range(x.ndim))
        elif x.ndim in (1, 2):
            axes = tuple(range(x.ndim))
        else:
            raise ValueError(f"norm: with ord={_ord_name(ord)} and axis=None, a must be 1-D "
                             f"(vector norm) or 2-D (matrix norm); got shape {x.shape}. "
                             "Pass axis= to choose the axes.")
    else:
        axes = normalize_axis(axis, x.ndim, "norm")
        axes = axes if isinstance(axes, tuple) else (axes,)
        if x.ndim == 0:
            raise ValueError("norm: axis must be None for a 0-d tensor")
        if len(axes) not in (1, 2):
            raise ValueError(f"norm: axis must be one axis (vector norm) or two (matrix norm); "
                             f"got {axis!r}")
    if ord is None:
        return VectorNorm.apply(x, ord=2, axis=axes, keepdims=keepdims)
    if len(axes) == 1:
        if ord not in _VECTOR_ORDS:
            raise ValueError(f"norm: ord of a vector norm must be 1, 2, inf or -inf; "
                             f"got {_ord_name(ord)}")
        if ord in (_INF, -_INF) and x.shape[axes[0]] == 0:
            raise ValueError(f"norm: ord={_ord_name(ord)} needs a non-empty axis; "
                             f"axis {axes[0]} of shape {x.shape} is empty")
        return VectorNorm.apply(x, ord=ord, axis=axes, keepdims=keepdims)
    if ord not in _MATRIX_ORDS:
        raise ValueError(f"norm: ord of a matrix norm must be 'fro', 'nuc', 1, -1, 2, -2, inf "
                         f"or -inf; got {_ord_name(ord)}")
    if ord == "fro":
        return VectorNorm.apply(x, ord=2, axis=axes, keepdims=keepdims)
    if ord != "nuc" and 0 in (x.shape[axes[0]], x.shape[axes[1]]):
        raise ValueError(f"norm: ord={_ord_name(ord)} needs non-empty matrices; "
                         f"axes {axes} of shape {x.shape} are empty")
    return MatrixNorm.apply(x, ord=ord, axis=axes, keepdims=keepdims)


@renamed(dim="axis", keepdim="keepdims")
def tensor_norm(input_, p="fro", axis=None, keepdims=False):
    r"""PyTorch's ``torch.norm`` / ``Tensor.norm``: a vector norm of the entries over
    ``axis`` (all of them by default), or the nuclear norm of matrices.

    .. math:: \|x\|_p = \Bigl(\sum_i |x_i|^p\Bigr)^{1/p}, \qquad
              \|x\|_\infty = \max_i |x_i|, \qquad \|x\|_0 = \#\{i : x_i \ne 0\}

    ``p='fro'`` (the default) is :math:`p = 2`: the Frobenius norm of a matrix, the
    length of a vector. Unlike :func:`lucid.linalg.norm`, a number ``p`` with
    ``axis=None`` takes all entries as one vector (``x.norm(2)`` of a matrix is its
    Frobenius norm, not its largest singular value), as ``torch.norm`` does.
    ``p='nuc'`` is the nuclear norm over two axes (the last two by default).

    Backward: :math:`\partial \|x\|_p / \partial x_i = \operatorname{sign}(x_i)
    |x_i|^{p-1} / \|x\|_p^{p-1}` (zero where the norm is zero; the max / min norms
    send the gradient to the winning entries, :math:`\|x\|_0` has none); see
    :func:`lucid.linalg.norm` for ``'nuc'``.

    Parameters
    ----------
    input_ : Tensor
        Float32 or float64.
    p : float, 'fro' or 'nuc', default 'fro'
        A number ``p >= 0`` or ``inf`` / ``-inf``.
    axis : int or tuple of int, optional
        Axes taken as the vector (two axes for ``'nuc'``); None: all.
    keepdims : bool, default False

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A negative ``p`` (other than ``-inf``), an unknown string, ``'nuc'`` without
        two axes, an axis out of range.
    TypeError
        A non-floating input, ``p`` of another type.

    Examples
    --------
    >>> import lucid
    >>> m = lucid.Tensor([[3.0, 0.0], [0.0, -4.0]], requires_grad=True)
    >>> print(m.norm())
    Tensor(5.0, grad_fn=VectorNorm)
    >>> print(lucid.norm(m, p=1, dim=1))
    Tensor([3.0, 4.0], grad_fn=VectorNorm)
    >>> m.norm(p=3).backward()
    >>> m.grad.round(4)
    array([[ 0.4449,  0.    ],
           [ 0.    , -0.7908]], dtype=float32)
    """
    x = float_tensor(input_, "norm", "input_", convert=True)
    keepdims = check_bool(keepdims, "norm", "keepdims")
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        axes = normalize_axis(axis, x.ndim, "norm")
        axes = axes if isinstance(axes, tuple) else (axes,)
    if isinstance(p, str):
        if p == "fro":
            return VectorNorm.apply(x, ord=2, axis=axes, keepdims=keepdims)
        if p == "nuc":
            return norm(x, "nuc", (-2, -1) if axis is None else axis, keepdims)
        raise ValueError(f"norm: p must be a number, 'fro' or 'nuc'; got {p!r}")
    if not isinstance(p, (int, float, np.number)) or isinstance(p, (bool, np.bool_)):
        raise TypeError(f"norm: p must be a number, 'fro' or 'nuc'; got {p!r}")
    if p < 0 and p != -_INF or p != p:
        raise ValueError(f"norm: p must be >= 0, inf or -inf; got {_ord_name(p)}")
    if p in (_INF, -_INF) and any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"norm: p={_ord_name(p)} needs non-empty axes; got shape {x.shape}")
    return VectorNorm.apply(x, ord=float(p) if p not in (1, 2, 0) else int(p), axis=axes,
                            keepdims=keepdims)
