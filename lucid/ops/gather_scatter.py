r"""Reading and writing along one axis at given indices: ``gather``, ``scatter``,
``scatter_add`` and ``index_select`` (PyTorch's functions of those names).

``gather``, ``scatter`` and ``scatter_add`` take an integer ``index`` with as many axes
as the input; position :math:`p = (p_0, \dots, p_{n-1})` of ``index`` stands for the
element of the input at :math:`p` with its ``axis`` coordinate replaced by
``index[p]``. For ``axis = 1`` of a 3-d tensor:

.. math::

    \text{gather:}\quad &y_{ijk} = x_{i,\,\text{index}_{ijk},\,k} \\
    \text{scatter:}\quad &y_{i,\,\text{index}_{ijk},\,k} = \text{src}_{ijk} \\
    \text{scatter\_add:}\quad &y_{i,\,\text{index}_{ijk},\,k} \mathrel{+}= \text{src}_{ijk}

One helper, :func:`positions`, turns ``index`` into those elements' positions in the
flattened input, so each op is one line of NumPy on ``x.reshape(-1)`` and each backward
reads or adds at the same positions. A position may come up several times (an index
repeated along ``axis``): gathering reads it several times, so the backward adds the
gradients up (a scatter-add, on the scatter kernel's active twin), and
``scatter_add`` adds every value.

``index_select`` picks whole slices along ``axis`` with a 1-d index (the backward of
advanced indexing along one axis, :class:`lucid.ops.index.Take`).
"""
import numpy as np

from lucid._checks import normalize_axis, renamed
from lucid._tensor import Tensor
from lucid.error import IndexOutOfRangeError
from lucid.autograd.function import Function
from lucid.ops._util import as_tensor
from lucid.ops.index import Take, scatter_add_rows

__all__ = ["gather", "scatter", "scatter_add", "index_select"]


# ------------------------------------------------------------------------ helpers
def positions(index, axis, shape):
    """Where each entry of ``index`` points in a C-order flattening of ``shape``: the
    entry's own coordinates with the ``axis`` coordinate replaced by its value."""
    coords = list(np.indices(index.shape, sparse=True))
    coords[axis] = index
    return np.ravel_multi_index(tuple(np.broadcast_arrays(*coords)), shape)


def _index_array(name, index, ndim):
    """``index`` as an int64 array with ``ndim`` axes (TypeError / ValueError otherwise)."""
    data = index.data if isinstance(index, Tensor) else index
    try:
        array = np.asarray(data)
    except (TypeError, ValueError):
        array = np.asarray(0.5)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be a tensor of integers; got "
                        f"{'dtype ' + str(array.dtype) if array.dtype.kind != 'O' else type(index).__name__}")
    if array.ndim != ndim:
        raise ValueError(f"{name}: index must have as many axes as the input ({ndim}); got "
                         f"shape {array.shape}")
    return array.astype(np.int64, copy=False)


def _check_range(name, index, n, axis):
    """Every entry of ``index`` in ``[0, n)``: ``n`` is the input's size along ``axis``."""
    if index.size and (index.min() < 0 or index.max() >= n):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexOutOfRangeError(
            f"{name}: index {bad} is out of range for axis {axis} of size {n} "
            f"(valid: 0 to {n - 1})")


def _check_fits(name, index, shape, arg, skip=None):
    """``index.shape[d] <= shape[d]`` for every axis ``d`` but ``skip``."""
    for d, (i, n) in enumerate(zip(index.shape, shape)):
        if d != skip and i > n:
            raise ValueError(f"{name}: index of shape {index.shape} does not fit {arg} of "
                             f"shape {shape} (axis {d}: {i} > {n})")


def _corner(a, shape):
    """The leading ``shape`` block of ``a`` (``a[:shape[0], :shape[1], ...]``)."""
    return a[tuple(slice(0, n) for n in shape)]


def _along(name, input_, axis, index):
    """What gather / scatter / scatter_add share: ``(x, axis, index, positions)``."""
    x = as_tensor(input_)
    axis = normalize_axis(axis, x.ndim, name)
    if isinstance(axis, tuple):
        raise TypeError(f"{name}: axis must be one int; got {axis!r}")
    index = _index_array(name, index, x.ndim)
    shape = x.shape if x.ndim else (1,)            # a 0-d input: one element, axis 0
    index_nd = index.reshape(index.shape if x.ndim else (1,))
    _check_fits(name, index_nd, shape, "input_", skip=axis)
    _check_range(name, index_nd, shape[axis], axis)
    return x, axis, index, positions(index_nd, axis, shape).reshape(index.shape)


# ----------------------------------------------------------------------- Functions
class Gather(Function):
    r"""``y = x.flat[pos]``;  ``dL/dx.flat[pos] += dL/dy`` (repeated positions add up)."""

    @staticmethod
    def forward(ctx, x, pos):
        ctx.shape, ctx.pos = x.shape, pos
        return x.reshape(-1)[pos]

    @staticmethod
    def backward(ctx, grad):
        n = int(np.prod(ctx.shape, dtype=np.int64))
        return scatter_add_rows(grad.reshape(-1), ctx.pos.reshape(-1), n).reshape(ctx.shape)


class ScatterAdd(Function):
    r"""``y = x; y.flat[pos] += src`` (every value added);
    ``dL/dx = dL/dy``, ``dL/dsrc = (dL/dy).flat[pos]``."""

    @staticmethod
    def forward(ctx, x, src, pos):
        ctx.pos, ctx.src_shape = pos, src.shape
        added = scatter_add_rows(_corner(src, pos.shape).reshape(-1), pos.reshape(-1), x.size)
        return (x + added.reshape(x.shape)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad, _spread(grad.reshape(-1)[ctx.pos], ctx.src_shape)


class Scatter(Function):
    r"""``y = x; y.flat[pos] = src``;  ``dL/dx = dL/dy`` with 0 at the written positions,
    ``dL/dsrc = (dL/dy).flat[pos]`` (PyTorch's formulas)."""

    @staticmethod
    def forward(ctx, x, src, pos):
        ctx.pos, ctx.src_shape = pos, np.shape(src)
        y = x.copy()
        y.reshape(-1)[pos] = _corner(src, pos.shape) if np.ndim(src) else src
        return y

    @staticmethod
    def backward(ctx, grad):
        dx = grad.copy()
        dx.reshape(-1)[ctx.pos] = 0
        if not ctx.needs_input_grad[1]:              # src a number, or needs none
            return dx, None
        return dx, _spread(grad.reshape(-1)[ctx.pos], ctx.src_shape)


def _spread(values, shape):
    """``values`` (of the index's shape) in the corner of zeros of ``shape``: the
    gradient of ``src``, whose entries beyond the index were not used."""
    if values.shape == tuple(shape):
        return values
    out = np.zeros(shape, dtype=values.dtype)
    _corner(out, values.shape)[...] = values
    return out


# ------------------------------------------------------------------ public functions
@renamed(dim="axis")
def gather(input_, axis, index):
    r"""Pick one element along ``axis`` for every entry of ``index`` (PyTorch's ``gather``).

    .. math:: y_p = x_{p_0, \dots, p_{a-1},\; \text{index}_p,\; p_{a+1}, \dots}
              \qquad (a = \text{axis})

    ``y`` has ``index``'s shape. ``index`` has as many axes as ``input_`` and is no
    larger on the other axes (PyTorch's rule); an index may repeat.

    Backward: each gradient entry goes back to the element it was read from, and an
    element read several times receives the sum:
    :math:`\partial L/\partial x_q = \sum_{p:\, \text{pos}(p) = q} \partial L/\partial y_p`
    (a scatter-add, run by the scatter kernel's active twin).

    Parameters
    ----------
    input_ : Tensor
        Any shape.
    axis : int
        The axis the indices run along; negative counts from the end.
    index : Tensor or array_like of int
        Same number of axes as ``input_``; entries in ``[0, input_.shape[axis])``.

    Returns
    -------
    Tensor
        ``index``'s shape, ``input_``'s dtype.

    Raises
    ------
    TypeError
        ``index`` not integers, ``axis`` not one int.
    ValueError
        ``axis`` out of range, ``index`` with another number of axes or larger than
        ``input_`` off ``axis``, or an index out of range.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = lucid.gather(x, 1, lucid.Tensor([[0, 0], [1, 0]]))
    >>> print(y)
    Tensor([[1.0, 1.0], [4.0, 3.0]], grad_fn=Gather)
    >>> y.sum().backward()
    >>> x.grad
    array([[2., 0.],
           [1., 1.]], dtype=float32)
    """
    x, _, _, pos = _along("gather", input_, axis, index)
    return Gather.apply(x, pos=pos)


def _source(name, src, x, index):
    """``src`` for scatter / scatter_add: a tensor at least ``index``'s size, cast to
    the input's dtype (as assignment casts), or (``scatter``) a number."""
    if not isinstance(src, Tensor):
        if name == "scatter" and np.ndim(src) == 0 and np.asarray(src).dtype.kind in "biuf":
            return np.asarray(src).astype(x.dtype)
        src = as_tensor(src)
    if src.ndim != index.ndim:
        raise ValueError(f"{name}: src must have as many axes as index ({index.ndim}); "
                         f"got shape {src.shape}")
    _check_fits(name, index, src.shape, "src")
    return src if src.dtype == x.dtype else src.astype(x.dtype)


@renamed(dim="axis", value="src")
def scatter(input_, axis, index, src):
    r"""A copy of ``input_`` with ``src`` written along ``axis`` at ``index``
    (PyTorch's ``scatter``).

    .. math:: y = x, \quad\text{then}\quad
              y_{p_0, \dots, \text{index}_p, \dots} = \text{src}_p
              \ \text{for every position } p \text{ of index}

    ``src`` is a tensor at least as large as ``index`` on every axis (its leading
    ``index.shape`` block is used), or a number written everywhere ``index`` points
    (PyTorch's ``value=``). It is cast to ``input_``'s dtype. When ``index`` names one
    element twice the later write (in C order) wins; PyTorch leaves that unspecified.

    Backward (PyTorch's formulas): the overwritten elements of ``x`` get no gradient,
    :math:`\partial L/\partial x = \partial L/\partial y` with 0 where written, and
    each ``src`` entry gets the gradient of where it was written,
    :math:`\partial L/\partial \text{src}_p = \partial L/\partial y_{\text{pos}(p)}`.

    Parameters
    ----------
    input_ : Tensor
    axis : int
    index : Tensor or array_like of int
        Same number of axes as ``input_``, no larger than it off ``axis``.
    src : Tensor or number

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError, ValueError
        As :func:`gather`; also ``src`` with another number of axes, or smaller than
        ``index``.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.zeros((2, 3))
    >>> index = lucid.Tensor([[2, 0], [1, 2]])
    >>> print(lucid.scatter(x, 1, index, lucid.Tensor([[5.0, 6.0], [7.0, 8.0]])))
    Tensor([[6.0, 0.0, 5.0], [0.0, 7.0, 8.0]])
    >>> print(x.scatter(1, index, -1.0))
    Tensor([[-1.0, 0.0, -1.0], [0.0, -1.0, -1.0]])
    """
    x, _, index, pos = _along("scatter", input_, axis, index)
    return Scatter.apply(x, _source("scatter", src, x, index), pos=pos)


@renamed(dim="axis")
def scatter_add(input_, axis, index, src):
    r"""A copy of ``input_`` with ``src`` added along ``axis`` at ``index``
    (PyTorch's ``scatter_add``).

    .. math:: y = x, \quad\text{then}\quad
              y_{p_0, \dots, \text{index}_p, \dots} \mathrel{+}= \text{src}_p
              \ \text{for every position } p \text{ of index}

    Every value is added, also where ``index`` names one element several times (the
    sums run on the scatter kernel's active twin). ``src`` is at least as large as
    ``index`` on every axis and is cast to ``input_``'s dtype.

    Backward: :math:`\partial L/\partial x = \partial L/\partial y` and
    :math:`\partial L/\partial \text{src}_p = \partial L/\partial y_{\text{pos}(p)}`
    (zero for ``src`` entries beyond ``index``'s shape).

    Parameters
    ----------
    input_ : Tensor
    axis : int
    index : Tensor or array_like of int
    src : Tensor

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError, ValueError
        As :func:`scatter`.

    Examples
    --------
    >>> import lucid
    >>> counts = lucid.scatter_add(lucid.zeros(3), 0, lucid.Tensor([0, 2, 0, 0]),
    ...                            lucid.ones(4))
    >>> print(counts)
    Tensor([3.0, 0.0, 1.0])
    """
    x, _, index, pos = _along("scatter_add", input_, axis, index)
    source = _source("scatter_add", src, x, index)
    return ScatterAdd.apply(x, source, pos=pos)


@renamed(dim="axis")
def index_select(input_, axis, index):
    r"""The slices of ``input_`` along ``axis`` at the positions in ``index``
    (PyTorch's ``index_select``).

    .. math:: y_{\ldots, j, \ldots} = x_{\ldots,\, \text{index}_j,\, \ldots}

    The result has ``input_``'s shape with ``axis`` of length ``len(index)``; an index
    may repeat. It is ``x[..., index, ...]`` with ``index`` on ``axis``.

    Backward: each gradient slice is added back to the slice it was read from (a
    scatter-add of rows, on the scatter kernel's active twin).

    Parameters
    ----------
    input_ : Tensor
        At least 1-d.
    axis : int
    index : Tensor or array_like of int
        1-d (or 0-d), entries in ``[0, input_.shape[axis])``.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``index`` not integers.
    ValueError
        ``index`` not 1-d, ``axis`` or an index out of range.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    >>> y = lucid.index_select(x, 1, lucid.Tensor([2, 0, 2]))
    >>> print(y)
    Tensor([[3.0, 1.0, 3.0], [6.0, 4.0, 6.0]], grad_fn=Take)
    >>> y.sum().backward()
    >>> x.grad
    array([[1., 0., 2.],
           [1., 0., 2.]], dtype=float32)
    """
    x = as_tensor(input_)
    if x.ndim == 0:
        raise ValueError("index_select: input_ must have at least one axis; got a 0-d tensor")
    axis = normalize_axis(axis, x.ndim, "index_select")
    if isinstance(axis, tuple):
        raise TypeError(f"index_select: axis must be one int; got {axis!r}")
    data = index.data if isinstance(index, Tensor) else np.asarray(index)
    if data.ndim > 1:
        raise ValueError(f"index_select: index must be 1-d; got shape {data.shape}")
    index = _index_array("index_select", data.reshape(-1), 1)
    _check_range("index_select", index, x.shape[axis], axis)
    return Take.apply(x, indices=index, axis=axis)
