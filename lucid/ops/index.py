r"""Indexing: read elements (``getitem``), write them (``setitem``), and pick between
two tensors element by element (``where``, ``masked_fill``).

Reading ``y = x[index]`` copies some elements of ``x`` into ``y`` without arithmetic,
so its backward sends every gradient element back to the element it was read from.
NumPy's indexing rules sort an index into two kinds, and the backward differs:

* **basic** indexing (ints, slices, ``None``, ``...``) reads each element of ``x`` at
  most once: ``y`` is a view of ``x``. The backward writes ``dL/dy`` into a zero array
  at that same view (:class:`BasicIndex`).
* **advanced** indexing (integer arrays, lists, integer Tensors, boolean masks) may
  read one element many times: ``x[[0, 0, 1]]`` reads row 0 twice. Then each element
  must receive the *sum* of the gradients of all its copies,

  .. math:: \frac{\partial L}{\partial x_r} = \sum_{i \,:\, \text{index}_i = r}
            \frac{\partial L}{\partial y_i}

  which is the scatter-add kernel family (:mod:`lucid._ext.scatter`). Indexing one axis
  with one integer array gathers whole rows (:class:`Take`); any other advanced index
  is mapped to flat element positions and scattered one element at a time
  (:class:`AdvancedIndex`).

An index that mixes both kinds is read in two steps, as PyTorch does (see
:func:`parse_index`): first the basic components, then the arrays on that view.

Index errors follow the Python convention: an index out of range raises
:class:`lucid.IndexOutOfRangeError`, an ``IndexError`` (naming the index, the axis and
its size); an index of the wrong type raises
``TypeError``.
"""
import numbers

import numpy as np

from lucid import _ext
from lucid._tensor import Tensor
from lucid.error import IndexOutOfRangeError
from lucid.autograd import inplace as _inplace
from lucid.autograd.grad_mode import grad_enabled
from lucid.ops._util import DataMovement, as_tensor

__all__ = ["getitem", "setitem", "where", "masked_fill"]

_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# --------------------------------------------------------------------- scatter-add
def scatter_add_rows(values, rows, n_rows):
    r"""Sum the rows of ``values`` into ``n_rows`` rows: ``out[r] = sum of values[i]
    over every i with rows[i] == r`` (zero for a row nobody points at).

    ``values`` has shape ``(n, *rest)`` and ``rows`` shape ``(n,)``, every entry in
    ``[0, n_rows)``; the result has shape ``(n_rows, *rest)``. This is the backward of
    gathering rows ``y = x[rows]``. It runs the active twin of the scatter kernel on
    rows of ``K = prod(rest)`` numbers (float32/float64; other dtypes in float64).
    """
    rest = values.shape[1:]
    k = int(np.prod(rest, dtype=np.int64))
    dtype = values.dtype if values.dtype in _KERNEL_DTYPES else np.dtype(np.float64)
    out = np.zeros((n_rows,) + rest, dtype=dtype)    # returned itself, not a view of it
    values2d = np.ascontiguousarray(values, dtype=dtype).reshape(rows.shape[0], k)
    index = np.ascontiguousarray(rows, dtype=np.int64)
    _ext.get("scatter").scatter_add(out.reshape(n_rows, k), index, values2d)
    return out


# ------------------------------------------------------------------------ Functions
# [exercise: indexing]
class BasicIndex(DataMovement):
    r"""``y = x[index]`` for a basic index (ints, slices, None, Ellipsis).

    ``y`` is a view of ``x``: each element of ``x`` appears in ``y`` at most once, so
    ``dL/dx`` is zero except at the view, where it is ``dL/dy``.
    """

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        dx = np.zeros(ctx.shape, dtype=grad.dtype)
        dx[ctx.index] = grad
        return dx


class Take(DataMovement):
    r"""``y = take(x, indices, axis)``: gather whole slices of ``x`` along ``axis``.

    With ``indices`` of shape ``S``, ``y`` has shape
    ``x.shape[:axis] + S + x.shape[axis+1:]`` and
    ``y[..., s, ...] = x[..., indices[s], ...]``. An index may repeat, so the backward
    scatter-adds each gathered slice of ``dL/dy`` into the slice of ``x`` it came from:
    ``dL/dx[..., r, ...] = sum over s with indices[s] == r of dL/dy[..., s, ...]``.
    ``indices`` are int64 in ``[0, x.shape[axis])`` (the caller checks).
    """

    @staticmethod
    def forward(ctx, x, indices, axis):
        ctx.n, ctx.indices, ctx.axis = x.shape[axis], indices, axis
        return np.take(x, indices, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        axis, k = ctx.axis, ctx.indices.ndim
        # bring the gathered axes to the front and flatten them: one row per index
        rows = np.moveaxis(grad, list(range(axis, axis + k)), list(range(k)))
        rows = rows.reshape((ctx.indices.size,) + rows.shape[k:])
        dx = scatter_add_rows(rows, ctx.indices.reshape(-1), ctx.n)
        return np.moveaxis(dx, 0, axis)


class AdvancedIndex(DataMovement):
    r"""``y = x[index]`` for any index with an array in it (NumPy advanced indexing).

    Backward: number the elements of ``x`` by their flat position,
    ``positions = arange(x.size).reshape(x.shape)``; then ``positions[index]`` says,
    for each element of ``y``, which element of ``x`` it was read from, and
    ``dL/dx_flat[p] = sum over i with positions[index]_i == p of dL/dy_i``
    (a scatter-add with rows of one number).
    """

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        size = int(np.prod(ctx.shape, dtype=np.int64))
        positions = np.arange(size, dtype=np.int64).reshape(ctx.shape)[ctx.index]
        flat = scatter_add_rows(grad.reshape(-1), positions.reshape(-1), size)
        return flat.reshape(ctx.shape)
# [end exercise: indexing]


class Where(DataMovement):
    r"""``z = where(c, a, b)``;  ``dL/da = dL/dz`` where ``c``, else 0;
    ``dL/db = dL/dz`` where not ``c``, else 0 (both of the broadcast shape)."""

    @staticmethod
    def forward(ctx, a, b, condition):
        ctx.condition = condition
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        c = ctx.condition
        return np.where(c, grad, 0), np.where(c, 0, grad)


class MaskedFill(DataMovement):
    r"""``y = where(mask, value, x)`` with ``x``'s shape and dtype;
    ``dL/dx = dL/dy`` where the mask is False, 0 where it is True."""

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.mask = mask
        return np.where(mask, value, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return np.where(ctx.mask, 0, grad)


# ------------------------------------------------------------------ parsing an index
def _index_array(item, name):
    """An index array (from a list, ndarray or Tensor) as int64 or bool; 0-d ints -> int."""
    if isinstance(item, Tensor):
        arr = item.data
    else:
        try:
            arr = np.asarray(item)
        except ValueError:
            raise TypeError(
                f"{name}: an index list must be rectangular (nested lists of equal "
                f"length); got {item!r}"
            ) from None
        if isinstance(item, list) and arr.size == 0:
            arr = arr.astype(np.int64)  # [] is an empty integer index, as in NumPy
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: index arrays must hold integers or bools; got dtype {arr.dtype}"
        )
    if arr.ndim == 0:
        return int(arr)
    return arr.astype(np.int64, copy=False)


def _check_slice(item, name):
    for part in (item.start, item.stop, item.step):
        if part is not None and (isinstance(part, (bool, np.bool_))
                                 or not isinstance(part, (int, np.integer))):
            raise TypeError(f"{name}: slice bounds must be ints or None; got {item!r}")
    if item.step == 0:
        raise ValueError(f"{name}: slice step cannot be zero; got {item!r}")


def _normalize_item(item, name):
    """One component of an index, in the form NumPy and the checks below use."""
    if item is None or item is Ellipsis:
        return item
    if isinstance(item, slice):
        _check_slice(item, name)
        return item
    if isinstance(item, (bool, np.bool_)):
        return np.asarray(item)          # NumPy: a scalar bool is a 0-d mask
    if isinstance(item, (int, np.integer)):
        return int(item)
    if isinstance(item, (list, np.ndarray, Tensor)):
        return _index_array(item, name)
    raise TypeError(
        f"{name}: an index must be an int, slice, None, Ellipsis, or an integer/bool "
        f"list, array or Tensor; got {type(item).__name__} {item!r}"
    )


def _axes_used(item):
    """How many axes of the tensor an index component consumes."""
    if item is None or item is Ellipsis:
        return 0
    if isinstance(item, np.ndarray) and item.dtype == np.bool_:
        return item.ndim
    return 1


def parse_index(index, shape, name):
    """Check ``index`` against a tensor of ``shape``; split it into two steps.

    PyTorch reads a mixed index in two steps, and so does lucid:

    1. the *basic* step applies the ints, slices, ``None`` and ``...`` (each index
       array stands in as ``:`` over the axes it covers), giving a view;
    2. the *advanced* step applies the index arrays to that view, on the axes where
       they now stand, by NumPy's rules (arrays next to each other put their result
       shape in their place; arrays apart put it first).

    (NumPy instead counts an int mixed with arrays as one more array, which moves
    axes differently: for ``x`` of shape (2, 3, 4), ``x[0, :, [1, 2]]`` has shape
    (3, 2) in PyTorch and lucid but (2, 3) in NumPy.)

    Returns ``(basic, advanced)``: two tuples NumPy understands (Tensors and lists
    turned into arrays, negative array entries made non-negative); ``advanced`` is
    None when the index holds no array.

    Raises IndexError for an out-of-range index, a mask of the wrong shape, index
    arrays that do not broadcast, or too many indices; TypeError for a wrong type.
    """
    if not isinstance(index, tuple):
        index = (index,)
    items = [_normalize_item(item, name) for item in index]
    if sum(item is Ellipsis for item in items) > 1:
        raise IndexError(f"{name}: an index can only have a single ellipsis ('...')")
    used = sum(_axes_used(item) for item in items)
    ndim = len(shape)
    if used > ndim:
        raise IndexError(
            f"{name}: too many indices for a tensor of shape {shape}: "
            f"{ndim}-dimensional, but {used} were indexed"
        )

    whole = slice(None)
    basic, advanced, array_shapes = [], [], []
    axis = 0                                   # the axis of `shape` the item indexes
    for item in items:
        if item is Ellipsis:
            basic.append(item)
            advanced += [whole] * (ndim - used)
            axis += ndim - used
        elif item is None:
            basic.append(item)
            advanced.append(whole)             # the new size-1 axis stays
        elif isinstance(item, slice):
            basic.append(item)
            advanced.append(whole)
            axis += 1
        elif isinstance(item, int):            # removes its axis in the basic step
            size = shape[axis]
            if not -size <= item < size:
                raise IndexOutOfRangeError(
                    f"{name}: index {item} is out of range for axis {axis} with size {size}"
                )
            basic.append(item)
            axis += 1
        elif item.dtype == np.bool_:
            expected = shape[axis:axis + item.ndim]
            if item.shape != expected:
                raise IndexError(
                    f"{name}: the boolean mask has shape {item.shape} but the indexed "
                    f"axes {tuple(range(axis, axis + item.ndim))} of the tensor have "
                    f"shape {expected}"
                )
            array_shapes.append((int(item.sum()),) if item.ndim else ())
            basic += [whole] * item.ndim
            advanced.append(item)
            axis += item.ndim
        else:
            size = shape[axis]
            if item.size and not (-size <= item.min() and item.max() < size):
                bad = item[(item < -size) | (item >= size)].flat[0]
                raise IndexOutOfRangeError(
                    f"{name}: index {bad} is out of range for axis {axis} with size {size}"
                )
            array_shapes.append(item.shape)
            basic.append(whole)
            advanced.append(np.where(item < 0, item + size, item))
            axis += 1
    if not array_shapes:                       # no array: basic indexing only
        return tuple(basic), None
    try:
        np.broadcast_shapes(*array_shapes)
    except ValueError:
        raise IndexError(
            f"{name}: the index arrays could not be broadcast together; their shapes "
            f"are {', '.join(map(str, array_shapes))}"
        ) from None
    return tuple(basic), tuple(advanced)


def _take_form(advanced):
    """``(indices, axis)`` when the advanced step is one integer array (or 1-D mask)
    on one axis with every other axis whole: then it gathers slices row by row."""
    arrays = [i for i, item in enumerate(advanced) if isinstance(item, np.ndarray)]
    if len(arrays) != 1:
        return None
    axis = arrays[0]
    indices = advanced[axis]
    if indices.dtype == np.bool_:
        if indices.ndim != 1:
            return None
        indices = np.flatnonzero(indices)
    return indices, axis


def _is_whole(basic):
    """True when the basic step selects everything (only ``:`` and ``...``)."""
    return all(item is Ellipsis or item == slice(None) for item in basic)


# ------------------------------------------------------------------ public functions
def getitem(input_, index):
    r"""Read elements of a tensor: ``input_[index]``, with NumPy's indexing rules.

    .. math:: y = x[\text{index}]

    *Basic* indexing (ints, slices, ``None``, ``...``) gives a view of ``input_``;
    *advanced* indexing (integer lists/arrays/Tensors, boolean masks) gives a copy,
    shaped by NumPy's rules: an array index on one axis replaces that axis by the
    array's shape; a boolean mask selects the elements where it is True, flattened;
    several arrays broadcast together. An index mixing both kinds is read in two steps,
    as PyTorch does: the ints, slices, ``None`` and ``...`` first, then the arrays on
    the resulting view (so ``x[0, :, [1, 2]]`` of a (2, 3, 4) tensor has shape (3, 2),
    as in PyTorch; NumPy would give (2, 3)).

    Backward: each gradient element goes back to the element it was read from. Basic
    indexing writes :math:`\partial L/\partial y` into zeros at the view; advanced
    indexing may read an element several times, and then it receives the sum of the
    gradients of all its copies,
    :math:`\partial L/\partial x_r = \sum_{i : \text{index}_i = r} \partial L/\partial y_i`
    (the scatter-add kernel).

    Parameters
    ----------
    input_ : Tensor
    index : int, slice, None, Ellipsis, list, ndarray, Tensor, or a tuple of these
        Integer arrays may be negative (counted from the end) and repeat.

    Returns
    -------
    Tensor
        Same dtype as ``input_``.

    Raises
    ------
    IndexError
        An index out of range (the message names the index, the axis and its size),
        too many indices, a boolean mask whose shape differs from the axes it covers,
        or index arrays that do not broadcast together (Python's convention for
        indexing errors).
    TypeError
        An index of the wrong type (a float, a float array, a string).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    >>> print(x[1, 1:])
    Tensor([5.0, 6.0], grad_fn=BasicIndex)
    >>> y = x[[0, 0, 1]]            # row 0 read twice
    >>> print(y)
    Tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], grad_fn=Take)
    >>> y.sum().backward()
    >>> x.grad
    array([[2., 2., 2.],
           [1., 1., 1.]], dtype=float32)
    >>> print(x[x.data > 2.5])
    Tensor([3.0, 4.0, 5.0, 6.0], grad_fn=AdvancedIndex)
    """
    basic, advanced = parse_index(index, input_.shape, "getitem")
    if advanced is None or not _is_whole(basic):
        input_ = BasicIndex.apply(input_, index=basic)
    if advanced is None:
        return input_
    take = _take_form(advanced)
    if take is not None:
        indices, axis = take
        return Take.apply(input_, indices=indices, axis=axis)
    return AdvancedIndex.apply(input_, index=advanced)


class IndexPut(DataMovement):
    r"""``y = x`` with ``y[index] = v`` (``v`` broadcast to the indexed shape): the
    recorded form of ``setitem``. Backward: the overwritten elements of ``x`` get no
    gradient, ``v`` gets the gradient of the elements it was written to (summed back
    over the axes it was broadcast along, by the engine)."""

    @staticmethod
    def forward(ctx, x, v, basic=(), advanced=None):
        out = x.copy()
        _put(out, basic, advanced, v)
        ctx.basic, ctx.advanced = basic, advanced
        return out

    @staticmethod
    def backward(ctx, grad):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = grad.copy()
            _put(gx, ctx.basic, ctx.advanced, 0)
        if ctx.needs_input_grad[1]:
            target, items = _target(grad, ctx.basic, ctx.advanced)
            gv = np.array(target[items])
        return gx, gv


def _target(data, basic, advanced):
    """``(array, index)`` such that ``array[index]`` is ``data[basic][advanced]`` as a
    writable view: the basic step gives a view, the advanced step indexes it."""
    if advanced is None:
        return data, basic
    view = basic if Ellipsis in basic else basic + (Ellipsis,)   # a view even if 0-d
    return data[view], advanced


def _put(data, basic, advanced, values):
    target, items = _target(data, basic, advanced)
    target[items] = values


def setitem(input_, index, value):
    r"""Write ``value`` into ``input_[index]``, in place: ``input_[index] = value``.

    .. math:: x[\text{index}] \leftarrow v

    ``value`` broadcasts to the shape of ``input_[index]`` and is cast to the dtype of
    ``input_`` (as in NumPy: a float written into an integer tensor is truncated).
    With advanced indices that repeat, the last write wins.

    Backward: with grad mode on, when ``input_`` (a result of other operations) or
    ``value`` requires grad, the write is recorded (:class:`IndexPut`): the overwritten
    elements of the old ``input_`` get no gradient, ``value`` gets the gradient of the
    elements it was written to. As for every in-place operation
    (:mod:`lucid.autograd.inplace`), a *leaf* that requires grad refuses it outside
    ``no_grad()`` (write parameters inside ``with lucid.no_grad():``), and a backward
    that needs the values as they were before the write raises.

    Parameters
    ----------
    input_ : Tensor
        Modified in place.
    index : as in :func:`getitem`
    value : Tensor, array_like or number

    Returns
    -------
    None

    Raises
    ------
    RuntimeError
        ``input_`` is a leaf that requires grad while grad mode is on.
    IndexError, TypeError
        A bad index, as in :func:`getitem`.
    ValueError
        ``value`` does not broadcast to the indexed shape, or ``input_`` is a
        read-only view (a result of :func:`broadcast_to`).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x[0] = 0.0
    >>> x[[1, 1], [0, 1]] = lucid.Tensor([7.0, 8.0])
    >>> print(x)
    Tensor([[0.0, 0.0], [7.0, 8.0]])
    >>> w = lucid.Tensor([1.0, 2.0], requires_grad=True)
    >>> with lucid.no_grad():
    ...     w[1] = 5.0
    >>> print(w)
    Tensor([1.0, 5.0], requires_grad=True)

    A recorded write: the gradient reaches ``v``, and not the overwritten element.

    >>> a = lucid.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> v = lucid.Tensor(10.0, requires_grad=True)
    >>> y = a * 1.0
    >>> y[0] = v
    >>> (y * lucid.Tensor([1.0, 2.0, 3.0])).sum().backward()
    >>> a.grad, v.grad
    (array([0., 2., 3.], dtype=float32), array(1., dtype=float32))
    """
    _inplace.check_leaf(input_, "setitem")
    basic, advanced = parse_index(index, input_.shape, "setitem")
    data = input_.data
    if not data.flags.writeable:
        raise ValueError(
            "setitem: this tensor is a read-only view (e.g. a result of broadcast_to, "
            "whose elements share memory); copy it first"
        )
    values = value.data if isinstance(value, Tensor) else np.asarray(value)
    target, items = _target(data, basic, advanced)
    target_shape = np.empty(target.shape, dtype=np.bool_)[items].shape
    try:
        np.broadcast_shapes(values.shape, target_shape)
    except ValueError:
        raise ValueError(
            f"setitem: value of shape {values.shape} cannot be broadcast to the indexed "
            f"shape {target_shape}"
        ) from None
    if grad_enabled() and (input_.requires_grad
                           or (isinstance(value, Tensor) and value.requires_grad)):
        v = value if isinstance(value, Tensor) else values
        _inplace.update(input_, "setitem", _index_put, v, basic, advanced, casting="unsafe")
        return
    target[items] = values
    _inplace.note_write(data)


def _index_put(x, v, basic, advanced):
    return IndexPut.apply(x, v, basic=basic, advanced=advanced)


def _shape_of(x):
    return x.shape if isinstance(x, (Tensor, np.ndarray)) else np.shape(x)


def where(condition, input_, other):
    r"""Choose element-wise: ``input_`` where ``condition`` is true, ``other`` elsewhere.

    .. math:: z_i = \begin{cases} a_i & c_i \\ b_i & \text{otherwise} \end{cases}

    All three broadcast together (NumPy's ``np.where``); ``z`` has the broadcast shape
    and the promoted dtype of ``input_`` and ``other`` (a Python number does not change
    a tensor's dtype). ``condition`` is read as bools (non-zero is true).

    Backward: the gradient flows to the operand that was chosen,
    :math:`\partial L/\partial a_i = c_i\,\partial L/\partial z_i` and
    :math:`\partial L/\partial b_i = (1 - c_i)\,\partial L/\partial z_i`, each summed
    over the axes that broadcasting stretched. ``condition`` gets no gradient.

    Parameters
    ----------
    condition : Tensor or array_like
    input_, other : Tensor or number

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        The three shapes do not broadcast together; the message names them.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([1.0, -2.0, 3.0], requires_grad=True)
    >>> z = lucid.where(a.data > 0, a, 0.0)
    >>> print(z)
    Tensor([1.0, 0.0, 3.0], grad_fn=Where)
    >>> z.sum().backward()
    >>> a.grad
    array([1., 0., 1.], dtype=float32)
    """
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    arrays = (Tensor, np.ndarray)
    if not isinstance(input_, arrays) and not isinstance(other, arrays):
        input_ = as_tensor(input_)  # two Python numbers: lucid's dtype rules
    try:
        np.broadcast_shapes(cond.shape, _shape_of(input_), _shape_of(other))
    except ValueError:
        raise ValueError(
            f"where: shapes of condition {cond.shape}, input_ {_shape_of(input_)} and "
            f"other {_shape_of(other)} cannot be broadcast together"
        ) from None
    return Where.apply(input_, other, condition=cond)


def masked_fill(input_, mask, value):
    r"""Replace the elements of ``input_`` where ``mask`` is True by ``value``.

    .. math:: y_i = \begin{cases} v & m_i \\ x_i & \text{otherwise} \end{cases}

    ``mask`` is a bool tensor that broadcasts to ``input_``'s shape (PyTorch's
    ``masked_fill``); ``y`` has ``input_``'s shape and dtype (``value`` is cast to it).

    Backward: :math:`\partial L/\partial x_i = (1 - m_i)\,\partial L/\partial y_i`:
    filled elements no longer depend on ``input_``. ``value`` is a constant and gets
    no gradient.

    Parameters
    ----------
    input_ : Tensor
    mask : Tensor or ndarray of bool
    value : number, or a one-element Tensor that does not require grad

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``mask`` is not boolean, or ``value`` is not a number.
    ValueError
        ``mask`` does not broadcast to ``input_``'s shape; the message names both.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = lucid.masked_fill(x, lucid.Tensor([True, False]), -1.0)
    >>> print(y)
    Tensor([[-1.0, 2.0], [-1.0, 4.0]], grad_fn=MaskedFill)
    >>> y.sum().backward()
    >>> x.grad
    array([[0., 1.],
           [0., 1.]], dtype=float32)
    """
    input_ = as_tensor(input_)
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor; got dtype {m.dtype}")
    if isinstance(value, Tensor):
        if value.size != 1 or value.requires_grad:
            raise TypeError(
                "masked_fill: value must be a number or a one-element tensor that does "
                f"not require grad; got a tensor of shape {value.shape}"
                + (" that requires grad" if value.requires_grad else "")
            )
        value = value.data.reshape(()).item()
    elif not isinstance(value, (numbers.Number, np.bool_)):
        raise TypeError(
            f"masked_fill: value must be a number; got {type(value).__name__} {value!r}"
        )
    try:
        ok = np.broadcast_shapes(m.shape, input_.shape) == input_.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"masked_fill: mask of shape {m.shape} does not broadcast to the input's "
            f"shape {input_.shape}"
        )
    return MaskedFill.apply(input_, mask=m, value=value)
