r"""Utilities: ordering (``sort``, ``argsort``, ``topk``), finding (``nonzero``,
``unique``), counting (``histogram``, ``histogram2d``, ``histogramdd``), grids and
shifts (``meshgrid``, ``roll``) and triangles (``tril``, ``triu``).

Which of them have a gradient, and why:

* **Moving values** is differentiable: ``sort`` and ``topk`` values, ``roll``,
  ``tril`` / ``triu`` and ``meshgrid`` only copy input elements to new places (or
  replace some by zeros), so each backward sends every gradient element back to the
  place its value came from (:class:`GatherAlongAxis`, :class:`Roll`,
  :class:`Tril`, :class:`Triu`; ``meshgrid`` is ``reshape`` + ``broadcast_to``).
* **Indices and counts** are not: ``argsort``, the indices of ``sort`` / ``topk``,
  ``nonzero``, ``unique`` and the histograms are integers or piecewise-constant
  functions of the input, whose derivative is zero almost everywhere and undefined
  at the jumps. Like PyTorch, lucid records no graph for them: they never require
  grad.

Ties. ``sort`` / ``argsort`` are *stable* (equal values keep their input order, as
``torch.sort(..., stable=True)``), and ``topk`` picks among equal values the one that
comes first. The gradient of a sorted value goes to exactly the input element whose
index is returned beside it. ``nan`` counts as larger than every number (NumPy's and
PyTorch's rule).
"""
import collections

import numpy as np

from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid._checks import check_bool, int_tuple, is_int, is_number, normalize_axis, renamed
from lucid.ops._util import as_tensor, shared_doc
from lucid.ops.shape import broadcast_to, reshape

__all__ = [
    "sort", "argsort", "topk", "nonzero", "unique", "histogram", "histogram2d",
    "histogramdd", "meshgrid", "roll", "tril", "triu",
]

#: What ``sort`` returns: ``values`` (differentiable) and ``indices`` (int64).
SortResult = collections.namedtuple("SortResult", ["values", "indices"])
#: What ``topk`` returns: ``values`` (differentiable) and ``indices`` (int64).
TopkResult = collections.namedtuple("TopkResult", ["values", "indices"])

# The bin rules np.histogram accepts by name (see numpy.histogram_bin_edges).
_BIN_RULES = ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt")


# -------------------------------------------------------------------------- helpers
def _input(x, name, arg="input_"):
    """``x`` as a Tensor (lists and arrays are converted); TypeError names ``name``."""
    if isinstance(x, Tensor):
        return x
    try:
        return as_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: {arg} must be a Tensor (or a list / ndarray of "
                        f"numbers); got {type(x).__name__} ({exc})") from None


def _check_orderable(x, name):
    """Sorting needs a total order: complex numbers have none."""
    if x.dtype.kind == "c":
        raise TypeError(f"{name}: input_ must be real (bool, integer or floating); "
                        f"complex numbers have no order; got dtype {x.dtype}")


def _first(order, k, axis):
    """The first ``k`` entries of ``order`` along ``axis``."""
    return order[(slice(None),) * axis + (slice(0, k),)]


def _stable_order(a, axis, descending):
    """Indices that sort ``a`` along ``axis``; equal values keep their input order.

    Ascending is NumPy's stable argsort. Descending reverses the array, sorts it
    ascending (equal values now come last-first) and reads the result backwards
    (largest first, equal values first-first), mapping reversed positions ``j`` back
    to ``n - 1 - j``. ``nan`` sorts as the largest value both ways.
    """
    if not descending:
        return np.argsort(a, axis=axis, kind="stable").astype(np.int64, copy=False)
    n = a.shape[axis]
    order = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return ((n - 1) - np.flip(order, axis)).astype(np.int64, copy=False)


# --------------------------------------------------------------------------- Functions
class GatherAlongAxis(Function):
    r"""``y = take_along_axis(x, indices, axis)``: pick, in each slice along ``axis``,
    the elements at ``indices`` (the values of ``sort`` and ``topk``).

    Within a slice the indices are distinct (a permutation, or part of one), so each
    input element is read at most once and the backward writes each gradient element
    back to the position it was read from, zero elsewhere:
    ``dL/dx[..., indices[..., j, ...], ...] = dL/dy[..., j, ...]``.
    """

    @staticmethod
    def forward(ctx, x, indices, axis):
        ctx.shape, ctx.indices, ctx.axis = x.shape, indices, axis
        return np.take_along_axis(x, indices, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        dx = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(dx, ctx.indices, grad, axis=ctx.axis)
        return dx


class Roll(Function):
    r"""``y = roll(x, shifts, axis)``: ``y[(i + s) mod n] = x[i]`` along each axis.

    Backward: rolling is a permutation, so the gradient is rolled back,
    ``dL/dx = roll(dL/dy, -shifts, axis)``.
    """

    @staticmethod
    def forward(ctx, x, shifts, axis):
        ctx.shifts, ctx.axis = shifts, axis
        return np.roll(x, shifts, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        back = -ctx.shifts if isinstance(ctx.shifts, int) else tuple(-s for s in ctx.shifts)
        return np.roll(grad, back, axis=ctx.axis)


class Tril(Function):
    r"""``y = tril(x, k)``: keep ``x[..., i, j]`` where ``j - i <= k``, zero elsewhere;
    ``dL/dx = tril(dL/dy, k)`` (the zeroed elements get no gradient)."""

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return np.tril(x, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return np.tril(grad, ctx.diagonal)


class Triu(Function):
    r"""``y = triu(x, k)``: keep ``x[..., i, j]`` where ``j - i >= k``, zero elsewhere;
    ``dL/dx = triu(dL/dy, k)`` (the zeroed elements get no gradient)."""

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return np.triu(x, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return np.triu(grad, ctx.diagonal)


# ------------------------------------------------------------------ sort, argsort, topk
_SORT_KINDS = (None, "quicksort", "mergesort", "heapsort", "stable")


def _sort_kind(name, kind, stable):
    """The original lucid's ``kind`` / ``stable``: lucid's sort is always stable, which
    every kind allows (an unstable sort may put ties in any order, so also in theirs)."""
    if kind not in _SORT_KINDS:
        raise ValueError(f"{name}: kind must be None, 'quicksort', 'mergesort', 'heapsort' or "
                         f"'stable'; got {kind!r}")
    check_bool(stable, name, "stable")


def _order_args(name, input_, axis, flag, flag_name):
    """Validate what sort / argsort / topk share; return ``(tensor, axis)``."""
    x = _input(input_, name)
    _check_orderable(x, name)
    check_bool(flag, name, flag_name)
    return x, normalize_axis(axis, x.ndim, name)


def _as_vector(x):
    """A 0-d tensor as a 1-element vector (sorting a 0-d tensor sorts its one value)."""
    return reshape(x, (1,)) if x.ndim == 0 else x


def _gather(x, indices, axis, was_scalar):
    """The values at ``indices`` along ``axis`` (through the graph), and the indices."""
    values = GatherAlongAxis.apply(x, indices=indices, axis=axis)
    if was_scalar:
        return reshape(values, ()), Tensor._wrap(indices.reshape(()))
    return values, Tensor._wrap(indices)


@renamed(dim="axis")
def sort(input_, axis=-1, descending=False, kind=None, stable=False):
    r"""Sort the elements along ``axis``; return the sorted values and where they came from.

    .. math:: y_{\ldots j \ldots} = x_{\ldots\, \pi(j)\, \ldots}, \qquad
              y_{\ldots 0 \ldots} \le y_{\ldots 1 \ldots} \le \cdots

    where :math:`\pi` is the permutation of each slice along ``axis`` that orders it
    (``indices`` holds :math:`\pi`). The sort is stable: equal values keep their input
    order, as ``torch.sort(input, dim, descending, stable=True)``. ``nan`` is larger
    than every number (last ascending, first descending). A 0-d tensor sorts to itself
    (index 0).

    Backward: :math:`y` is a rearrangement of :math:`x`, so each gradient element goes
    back to the element it came from,
    :math:`\partial L/\partial x_{\ldots \pi(j) \ldots} = \partial L/\partial
    y_{\ldots j \ldots}`. ``indices`` has no gradient.

    Parameters
    ----------
    input_ : Tensor
        Any shape, real dtype.
    axis : int, default -1
        The axis to sort along; negative counts from the end.
    descending : bool, default False
        Largest first.
    kind : {None, 'quicksort', 'mergesort', 'heapsort', 'stable'}
        The original lucid's (and NumPy's) choice of algorithm. lucid always sorts
        stably, which is a correct result for every kind.
    stable : bool, default False
        Ask for a stable sort (lucid's sort always is).

    Returns
    -------
    SortResult
        The named tuple ``(values, indices)``: ``values`` of ``input_``'s shape and
        dtype (differentiable), ``indices`` of the same shape, int64.

    Raises
    ------
    ValueError
        If ``axis`` is out of range (the message names the axis and the ndim), or
        ``kind`` is not a sort kind.
    TypeError
        If ``input_`` is complex or not a tensor, ``axis`` not an int, or
        ``descending`` not a bool.

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import sort
    >>> x = lucid.Tensor([[3.0, 1.0, 2.0], [0.5, 0.5, -1.0]], requires_grad=True)
    >>> values, indices = sort(x, axis=1, descending=True)
    >>> print(values)
    Tensor([[3.0, 2.0, 1.0], [0.5, 0.5, -1.0]], grad_fn=GatherAlongAxis)
    >>> print(indices)
    Tensor([[0, 2, 1], [0, 1, 2]])
    >>> (values * lucid.Tensor([1.0, 10.0, 100.0])).sum().backward()
    >>> x.grad
    array([[  1., 100.,  10.],
           [  1.,  10., 100.]], dtype=float32)
    """
    _sort_kind("sort", kind, stable)
    x, axis = _order_args("sort", input_, axis, descending, "descending")
    was_scalar = x.ndim == 0
    x = _as_vector(x)
    return SortResult(*_gather(x, _stable_order(x.data, axis, descending), axis, was_scalar))


@renamed(dim="axis")
def argsort(input_, axis=-1, descending=False, kind=None, stable=False):
    r"""The indices that sort ``input_`` along ``axis`` (stable).

    .. math:: x_{\ldots \pi(0) \ldots} \le x_{\ldots \pi(1) \ldots} \le \cdots

    returns :math:`\pi` for each slice along ``axis``: the ``indices`` of
    :func:`sort`. Equal values keep their input order (``torch.argsort(...,
    stable=True)``); ``nan`` is larger than every number.

    Backward: none; indices are integers (the result never requires grad).

    Parameters
    ----------
    input_ : Tensor
        Any shape, real dtype.
    axis : int, default -1
        Negative counts from the end.
    descending : bool, default False
    kind : {None, 'quicksort', 'mergesort', 'heapsort', 'stable'}
        As :func:`sort`: any kind gives lucid's stable order.
    stable : bool, default False

    Returns
    -------
    Tensor
        int64, of ``input_``'s shape.

    Raises
    ------
    ValueError
        If ``axis`` is out of range (the message names the axis and the ndim), or
        ``kind`` is not a sort kind.
    TypeError
        If ``input_`` is complex or not a tensor, or ``descending`` not a bool.

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import argsort
    >>> print(argsort(lucid.Tensor([2.0, -1.0, 2.0, 0.0])))
    Tensor([1, 3, 0, 2])
    >>> print(argsort(lucid.Tensor([2.0, -1.0, 2.0, 0.0]), descending=True))
    Tensor([0, 2, 3, 1])
    """
    _sort_kind("argsort", kind, stable)
    x, axis = _order_args("argsort", input_, axis, descending, "descending")
    if x.ndim == 0:
        return Tensor._wrap(np.zeros((), dtype=np.int64))
    return Tensor._wrap(_stable_order(x.data, axis, descending))


@renamed(dim="axis")
def topk(input_, k, axis=-1, largest=True, sorted=True):
    r"""The ``k`` largest (or smallest) elements along ``axis``, and their indices.

    .. math:: y_{\ldots j \ldots} = x_{\ldots\, \pi(j)\, \ldots}, \quad j < k

    where :math:`\pi` orders each slice largest first (smallest first when
    ``largest=False``): the first ``k`` values of :func:`sort`. Among equal values the
    one with the smaller index is taken first; ``nan`` counts as the largest value, as
    in ``torch.topk``. With ``sorted=False`` the chosen elements come in their input
    order (PyTorch leaves this order unspecified).

    Backward: each chosen element receives the gradient of its output position, the
    others nothing: :math:`\partial L/\partial x_{\ldots \pi(j) \ldots} = \partial
    L/\partial y_{\ldots j \ldots}` for :math:`j < k`, 0 elsewhere.

    Parameters
    ----------
    input_ : Tensor
        Any shape, real dtype (a 0-d tensor has one element along its axis).
    k : int
        How many elements to take, ``0 <= k <= input_.shape[axis]`` (exactly 1 for a
        0-d tensor: ``torch.topk`` returns the value for ``k=0`` too, lucid refuses).
    axis : int, default -1
        Negative counts from the end.
    largest : bool, default True
        Take the largest (else the smallest) elements.
    sorted : bool, default True
        Return them in order (largest first when ``largest``); else in input order.

    Returns
    -------
    TopkResult
        The named tuple ``(values, indices)``, both of ``input_``'s shape with
        ``axis`` of size ``k``; ``values`` differentiable, ``indices`` int64.

    Raises
    ------
    ValueError
        If ``k`` is negative or larger than the size of ``axis`` (the message names
        both), not 1 for a 0-d tensor, or ``axis`` is out of range.
    TypeError
        If ``k`` is not an int, ``largest`` / ``sorted`` not bools, or ``input_``
        complex.

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import topk
    >>> x = lucid.Tensor([1.0, 5.0, 3.0, 4.0], requires_grad=True)
    >>> values, indices = topk(x, 2)
    >>> print(values, indices)
    Tensor([5.0, 4.0], grad_fn=GatherAlongAxis) Tensor([1, 3])
    >>> values.sum().backward()
    >>> x.grad
    array([0., 1., 0., 1.], dtype=float32)
    >>> print(topk(x, 2, largest=False, sorted=False).values)
    Tensor([1.0, 3.0], grad_fn=GatherAlongAxis)
    """
    x, axis = _order_args("topk", input_, axis, largest, "largest")
    check_bool(sorted, "topk", "sorted")
    if not is_int(k):
        raise TypeError(f"topk: k must be an int; got {k!r}")
    if x.ndim == 0 and k != 1:  # a 0-d result must hold one value (torch returns it for k=0)
        raise ValueError(f"topk: k ({k}) must be 1 for a 0-d tensor (it has one element)")
    size = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= size:
        raise ValueError(f"topk: k ({k}) must be between 0 and the size of axis {axis} "
                         f"({size}) of the input of shape {x.shape}")
    was_scalar = x.ndim == 0
    x = _as_vector(x)
    chosen = _first(_stable_order(x.data, axis, descending=largest), int(k), axis)
    if not sorted:
        chosen = np.sort(chosen, axis=axis)  # back to input order
    return TopkResult(*_gather(x, chosen, axis, was_scalar))


# ---------------------------------------------------------------------- nonzero, unique
def nonzero(input_):
    r"""The indices of the nonzero elements, one row per element (``torch.nonzero``).

    .. math:: \text{out} = \big[\, (i_0, \ldots, i_{d-1}) : x_{i_0 \ldots i_{d-1}} \ne 0
              \,\big] \quad \text{in row-major order}

    For a ``d``-dimensional input with ``n`` nonzero elements the result has shape
    ``(n, d)`` (``np.argwhere``; ``np.nonzero`` returns the transpose as a tuple).
    A 0-d input gives shape ``(1, 0)`` if it is nonzero, else ``(0, 0)``. ``nan`` is
    nonzero. Backward: none (indices; the result never requires grad).

    Parameters
    ----------
    input_ : Tensor
        Any shape and dtype (bools: the True elements).

    Returns
    -------
    Tensor
        int64, shape ``(n, input_.ndim)``.

    Raises
    ------
    TypeError
        If ``input_`` is not a tensor (or list / ndarray).

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import nonzero
    >>> print(nonzero(lucid.Tensor([[0.0, 1.5], [2.0, 0.0]])))
    Tensor([[0, 1], [1, 0]])
    """
    x = _input(input_, "nonzero")
    return Tensor._wrap(np.argwhere(x.data).astype(np.int64, copy=False))


def _first_seen_order(values, first, inverse, counts, axis):
    """Reorder sorted unique values by where each first appears in the input."""
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return np.take(values, order, axis=0 if axis is None else axis), rank[inverse], counts[order]


@renamed(dim="axis")
def unique(input_, sorted=True, return_counts=False, return_inverse=False, axis=None):
    r"""The distinct elements (or distinct slices along ``axis``) of ``input_``.

    .. math:: \text{values} = \{x_i\}, \qquad x = \text{values}[\text{inverse}],
              \qquad \text{counts}_u = \#\{i : \text{inverse}_i = u\}

    With ``axis=None`` the input is flattened and the result is 1-D; with an ``axis``,
    the distinct sub-tensors along it (rows for ``axis=0``) are returned, ordered
    lexicographically. This is ``torch.unique`` / ``np.unique``; ``nan`` values are
    all distinct from each other, as in PyTorch (``np.unique(..., equal_nan=False)``).

    ``sorted=True`` orders the values ascending. ``sorted=False`` returns them in the
    order in which each first appears in the input; PyTorch does not specify its order
    there (on the CPU it sorts anyway).

    Backward: none; the values are picked by comparisons and the counts are integers
    (the results never require grad).

    Parameters
    ----------
    input_ : Tensor
        Any shape.
    sorted : bool, default True
    return_counts : bool, default False
        Also return how often each value occurs.
    return_inverse : bool, default False
        Also return, for each input element (slice), the index of its value.
    axis : int, optional
        Find distinct slices along this axis instead of distinct elements.

    Returns
    -------
    Tensor or tuple of Tensor
        ``values`` (``input_``'s dtype) alone, or ``(values, inverse, counts)`` with
        those asked for, in that order (PyTorch's). ``inverse`` is int64 of
        ``input_``'s shape (axis None) or of shape ``(input_.shape[axis],)``; ``counts``
        int64 of length ``len(values)``.

    Raises
    ------
    ValueError
        If ``axis`` is out of range, or given for a 0-d tensor.
    TypeError
        If a flag is not a bool or ``axis`` not an int.

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import unique
    >>> x = lucid.Tensor([3, 1, 3, 2, 1, 3])
    >>> print(unique(x))
    Tensor([1, 2, 3])
    >>> values, inverse, counts = unique(x, return_inverse=True, return_counts=True)
    >>> print(inverse, counts)
    Tensor([2, 0, 2, 1, 0, 2]) Tensor([2, 1, 3])
    >>> print(unique(x, sorted=False))
    Tensor([3, 1, 2])
    >>> print(unique(lucid.Tensor([[1, 2], [0, 5], [1, 2]]), axis=0))
    Tensor([[0, 5], [1, 2]])
    """
    x = _input(input_, "unique")
    for flag, flag_name in ((sorted, "sorted"), (return_counts, "return_counts"),
                            (return_inverse, "return_inverse")):
        check_bool(flag, "unique", flag_name)
    a = x.data
    if axis is not None:
        if a.ndim == 0:
            raise ValueError(f"unique: axis must be None for a 0-d tensor; got axis {axis!r}")
        axis = normalize_axis(axis, a.ndim, "unique")
    source = a.reshape(-1) if axis is None else a
    values, first, inverse, counts = np.unique(
        source, return_index=True, return_inverse=True, return_counts=True,
        axis=axis, equal_nan=False)
    if not sorted:
        values, inverse, counts = _first_seen_order(values, first, inverse, counts, axis)
    inverse = inverse.reshape(a.shape if axis is None else (-1,)).astype(np.int64, copy=False)
    out = [Tensor._wrap(values)]
    if return_inverse:
        out.append(Tensor._wrap(inverse))
    if return_counts:
        out.append(Tensor._wrap(counts.astype(np.int64, copy=False)))
    return out[0] if len(out) == 1 else tuple(out)


# ---------------------------------------------------------------------------- histograms
def _real_values(x, name, arg):
    """The array of a histogram's data: real numbers (bool and complex refused)."""
    if x.dtype.kind not in "iuf":
        raise TypeError(f"{name}: {arg} must hold real numbers (integer or floating); "
                        f"got dtype {x.dtype}")
    return x.data


def _edges_or_count(bins, name, arg, rules=False):
    """One axis's ``bins``: a count >= 1, increasing edges, or (1-D) a rule's name."""
    if is_int(bins):
        if bins < 1:
            raise ValueError(f"{name}: {arg} must be a positive number of bins; got {bins}")
        return int(bins)
    if isinstance(bins, str):
        if rules and bins in _BIN_RULES:
            return bins
        allowed = f"one of {_BIN_RULES}, " if rules else ""
        raise ValueError(f"{name}: {arg} must be {allowed}an int or a sequence of edges; "
                         f"got {bins!r}")
    edges = bins.data if isinstance(bins, Tensor) else bins
    try:
        edges = np.asarray(edges)
    except (TypeError, ValueError):
        edges = np.asarray(None)
    if edges.ndim != 1 or edges.dtype.kind not in "iuf":
        raise TypeError(f"{name}: {arg} must be an int or a 1-D sequence of real bin edges; "
                        f"got {bins!r}")
    if edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) < 0):
        raise ValueError(f"{name}: {arg} edges must be at least 2 finite numbers, increasing "
                         f"monotonically; got {edges.tolist()}")
    return edges


def _interval(pair, name, arg):
    """One axis's ``range``: ``(low, high)``, finite, ``low <= high``."""
    if (not isinstance(pair, (tuple, list, np.ndarray)) or len(pair) != 2
            or not all(is_number(v) for v in pair)):
        raise TypeError(f"{name}: {arg} must be a pair (low, high) of real numbers; "
                        f"got {pair!r}")
    low, high = float(pair[0]), float(pair[1])
    if not (np.isfinite(low) and np.isfinite(high)) or low > high:
        raise ValueError(f"{name}: {arg} must be finite with low <= high; got {(low, high)}")
    return low, high


def _check_autorange(a, range_, name):
    """Without a range the data set it, so it must be finite (NumPy's rule)."""
    if range_ is None and a.size and not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: the input holds nan or inf, so the bins' range cannot be "
                         "taken from it; pass range=(low, high)")


def histogram(input_, bins=10, range=None, density=False):
    r"""Count the elements of ``input_`` falling in each bin (``np.histogram``).

    With edges :math:`e_0 < e_1 < \cdots < e_B` the count of bin :math:`b` is

    .. math:: h_b = \#\{i : e_b \le x_i < e_{b+1}\} \quad (b < B - 1), \qquad
              h_{B-1} = \#\{i : e_{B-1} \le x_i \le e_B\}

    (the last bin includes its right edge; values outside ``[e_0, e_B]`` are not
    counted). ``bins=B`` makes ``B`` equal bins over ``range`` (default: the data's
    min and max; an empty input uses ``(0, 1)``). With ``density=True`` the result is
    :math:`h_b / (N_\text{in} \, (e_{b+1} - e_b))`, which integrates to 1. The input is
    flattened.

    Backward: none. Counts are piecewise constant in the data (derivative zero almost
    everywhere, undefined where a value crosses an edge), so no graph is recorded,
    as in PyTorch.

    Dtypes follow NumPy: counts are int64 (float64 with ``density``); the edges are
    floating, of the dtype NumPy gives them (float32 for float32 data and a float
    ``range``). (``torch.histogram`` returns the counts in
    the input's floating dtype.)

    Parameters
    ----------
    input_ : Tensor
        Real numbers, any shape.
    bins : int, sequence of edges, or str, default 10
        A number of equal bins, the increasing edges themselves, or the name of one of
        NumPy's bin-width rules (``'auto'``, ``'fd'``, ``'sturges'``, ...).
    range : (float, float), optional
        ``(low, high)`` of the equal bins; ignored when ``bins`` are edges.
    density : bool, default False

    Returns
    -------
    (Tensor, Tensor)
        ``hist`` of shape ``(B,)`` and ``bin_edges`` of shape ``(B + 1,)``.

    Raises
    ------
    ValueError
        ``bins`` < 1, edges not increasing, ``range`` with low > high or not finite,
        or the data holding nan / inf when ``range`` is None.
    TypeError
        Complex or bool data; ``bins``, ``range`` or ``density`` of the wrong type.

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import histogram
    >>> hist, edges = histogram(lucid.Tensor([1.0, 2.0, 2.0, 4.0]), bins=3, range=(0.0, 6.0))
    >>> print(hist)
    Tensor([1, 2, 1])
    >>> print(edges)
    Tensor([0.0, 2.0, 4.0, 6.0])
    >>> print(histogram(lucid.Tensor([0.0, 1.0]), bins=[0.0, 0.5, 2.0], density=True)[0])
    Tensor([1.0, 0.3333333333333333], dtype=float64)
    """
    name = "histogram"
    a = _real_values(_input(input_, name), name, "input_")
    bins = _edges_or_count(bins, name, "bins", rules=True)
    if range is not None:
        range = _interval(range, name, "range")
    check_bool(density, name, "density")
    _check_autorange(a, range, name)
    hist, edges = np.histogram(a, bins=bins, range=range, density=density)
    return Tensor._wrap(hist), Tensor._wrap(edges)


def _per_axis(value, d, name, arg):
    """``bins`` / ``range`` given once for all ``d`` axes, or as one entry per axis."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name}: {arg} must be an int or a sequence with one entry per "
                        f"dimension ({d}); got {value!r}")
    if len(value) == d:
        return list(value)
    raise ValueError(f"{name}: {arg} must have one entry per dimension ({d}); got {value!r}")


def _histogramdd(sample, bins, range_, density, name):
    """Shared body of histogram2d / histogramdd on a validated ``(N, D)`` array."""
    d = sample.shape[1]
    if is_int(bins):
        bins = [bins] * d
    bins = [_edges_or_count(b, name, f"bins[{i}]")
            for i, b in enumerate(_per_axis(bins, d, name, "bins"))]
    if range_ is not None:
        range_ = [_interval(r, name, f"range[{i}]")
                  for i, r in enumerate(_per_axis(range_, d, name, "range"))]
    check_bool(density, name, "density")
    _check_autorange(sample, range_, name)
    return np.histogramdd(sample, bins=bins, range=range_, density=density)


def histogram2d(x, y, bins=10, range=None, density=False):
    r"""Count the points :math:`(x_i, y_i)` falling in each cell of a 2-D grid.

    .. math:: H_{ab} = \#\{i : x_i \in \text{bin}_a^{(x)},\ y_i \in \text{bin}_b^{(y)}\}

    with the bins of each axis made as in :func:`histogram` (the last bin includes its
    right edge). ``x`` indexes the rows of ``H``, ``y`` its columns (``np.histogram2d``).
    With ``density=True``, :math:`H_{ab} / (N_\text{in}\, \Delta x_a \Delta y_b)`.

    Backward: none (counts; see :func:`histogram`).

    Parameters
    ----------
    x, y : Tensor
        1-D, of the same length ``N``, real.
    bins : int, [int, int], edges, or [edges_x, edges_y], default 10
        As NumPy: a count for both axes, a count per axis, one sequence of edges for
        both axes, or edges (or a count) per axis.
    range : [[xmin, xmax], [ymin, ymax]], optional
    density : bool, default False

    Returns
    -------
    (Tensor, Tensor, Tensor)
        ``H`` of shape ``(Bx, By)`` (float64, as NumPy), ``xedges`` ``(Bx + 1,)`` and
        ``yedges`` ``(By + 1,)``.

    Raises
    ------
    ValueError
        ``x`` and ``y`` not 1-D or of different lengths, or a bad ``bins`` / ``range``
        (see :func:`histogram`).
    TypeError
        Complex or bool data, or arguments of the wrong type.

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import histogram2d
    >>> x = lucid.Tensor([0.1, 0.2, 0.9])
    >>> y = lucid.Tensor([0.1, 0.8, 0.9])
    >>> H, xedges, yedges = histogram2d(x, y, bins=2, range=[[0.0, 1.0], [0.0, 1.0]])
    >>> print(H)
    Tensor([[1.0, 1.0], [0.0, 1.0]], dtype=float64)
    >>> print(xedges)
    Tensor([0.0, 0.5, 1.0], dtype=float64)
    """
    name = "histogram2d"
    xs = _real_values(_input(x, name, "x"), name, "x")
    ys = _real_values(_input(y, name, "y"), name, "y")
    if xs.ndim != 1 or ys.ndim != 1 or xs.shape != ys.shape:
        raise ValueError(f"{name}: x and y must be 1-D of the same length; got shapes "
                         f"{xs.shape} and {ys.shape}")
    if not is_int(bins) and not (isinstance(bins, (list, tuple)) and len(bins) == 2):
        bins = [bins, bins]  # one sequence of edges for both axes (NumPy's rule)
    sample = np.stack([xs, ys], axis=1)
    hist, (xedges, yedges) = _histogramdd(sample, bins, range, density, name)
    return Tensor._wrap(hist), Tensor._wrap(xedges), Tensor._wrap(yedges)


def histogramdd(sample, bins=10, range=None, density=False):
    r"""Count the points of a ``D``-dimensional sample falling in each cell of a grid.

    .. math:: H_{b_0 \ldots b_{D-1}} = \#\{i : s_{i,k} \in \text{bin}_{b_k}^{(k)}
              \text{ for every } k\}

    ``sample`` holds ``N`` points as rows; the bins of each dimension ``k`` are made
    as in :func:`histogram` (the last bin includes its right edge). With
    ``density=True``, :math:`H / (N_\text{in} \prod_k \Delta_k)`, which integrates to 1.
    This is ``np.histogramdd`` (``torch.histogramdd`` counts the same).

    Backward: none (counts; see :func:`histogram`).

    Parameters
    ----------
    sample : Tensor
        Shape ``(N, D)``, real; a 1-D tensor is ``N`` points of one dimension.
    bins : int, or a sequence of D ints / edge sequences, default 10
    range : sequence of D pairs (low, high), optional
    density : bool, default False

    Returns
    -------
    (Tensor, list of Tensor)
        ``H`` of shape ``(B_0, ..., B_{D-1})`` (float64, as NumPy) and the ``D`` edge
        tensors, the ``k``-th of shape ``(B_k + 1,)``.

    Raises
    ------
    ValueError
        ``sample`` not 1-D or 2-D; ``bins`` / ``range`` without one entry per
        dimension; bad bins or ranges (see :func:`histogram`).
    TypeError
        Complex or bool data, or arguments of the wrong type.

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import histogramdd
    >>> points = lucid.Tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    >>> H, edges = histogramdd(points, bins=2)
    >>> print(H)
    Tensor([[1.0, 0.0], [1.0, 2.0]], dtype=float64)
    >>> print(edges[0])
    Tensor([0.0, 1.0, 2.0])
    """
    name = "histogramdd"
    s = _real_values(_input(sample, name, "sample"), name, "sample")
    if s.ndim == 1:
        s = s.reshape(-1, 1)
    if s.ndim != 2:
        raise ValueError(f"{name}: sample must be (N, D) points (or 1-D); got shape {s.shape}")
    hist, edges = _histogramdd(s, bins, range, density, name)
    return Tensor._wrap(hist), [Tensor._wrap(e) for e in edges]


# ------------------------------------------------------------------- meshgrid, roll
def meshgrid(*tensors, indexing="ij"):
    r"""Coordinate grids from 1-D coordinate vectors (``torch.meshgrid``).

    For vectors :math:`x^{(0)}, \ldots, x^{(n-1)}` of lengths :math:`m_0, \ldots,
    m_{n-1}`, with ``indexing="ij"`` (the default, as PyTorch),

    .. math:: G^{(k)}_{i_0 i_1 \ldots i_{n-1}} = x^{(k)}_{i_k}

    every output has shape :math:`(m_0, \ldots, m_{n-1})`. ``indexing="xy"``
    (Cartesian, NumPy's default) swaps the first two axes of every output: shape
    :math:`(m_1, m_0, m_2, \ldots)`. A 0-d tensor counts as a vector of length 1. Each
    output keeps its input's dtype.

    Backward: :math:`G^{(k)}` copies :math:`x^{(k)}_j` along every other axis, so
    :math:`\partial L/\partial x^{(k)}_j` is the sum of :math:`\partial L/\partial
    G^{(k)}` over all positions with :math:`i_k = j` (``reshape`` then
    ``broadcast_to``, whose backward sums).

    Parameters
    ----------
    *tensors : Tensor
        0-d or 1-D tensors, or one list / tuple of them (a single list of numbers is
        one vector).
    indexing : {'ij', 'xy'}, default 'ij'

    Returns
    -------
    tuple of Tensor
        One grid per input, all of the same shape (read-only broadcast views).

    Raises
    ------
    ValueError
        If no tensor is given, one has more than one dimension, or ``indexing`` is
        neither ``'ij'`` nor ``'xy'``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import meshgrid
    >>> x = lucid.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = lucid.Tensor([10.0, 20.0])
    >>> gx, gy = meshgrid(x, y)
    >>> print(gx)
    Tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], grad_fn=BroadcastTo)
    >>> print(gy)
    Tensor([[10.0, 20.0], [10.0, 20.0], [10.0, 20.0]])
    >>> gx.sum().backward()
    >>> x.grad
    array([2., 2., 2.], dtype=float32)
    >>> print(meshgrid(x, y, indexing="xy")[0])
    Tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], grad_fn=BroadcastTo)
    """
    if (len(tensors) == 1 and isinstance(tensors[0], (list, tuple))
            and all(isinstance(t, (Tensor, np.ndarray, list, tuple)) for t in tensors[0])):
        tensors = tuple(tensors[0])  # one list of tensors (a list of numbers is one vector)
    if not tensors:
        raise ValueError("meshgrid: expected at least one tensor; got none")
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy'; got {indexing!r}")
    ts = [_input(t, "meshgrid", f"tensors[{i}]") for i, t in enumerate(tensors)]
    for i, t in enumerate(ts):
        if t.ndim > 1:
            raise ValueError(f"meshgrid: tensors[{i}] must be 0-d or 1-D; got shape {t.shape}")
    sizes = [t.size for t in ts]
    axes = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        axes[0], axes[1] = 1, 0  # input 0 runs along the columns, input 1 along the rows
    shape = [0] * len(ts)
    for k, size in zip(axes, sizes):
        shape[k] = size
    grids = []
    for t, k in zip(ts, axes):
        view = [1] * len(ts)
        view[k] = t.size
        grids.append(broadcast_to(reshape(t, tuple(view)), tuple(shape)))
    return tuple(grids)


@renamed(dims="axis")
def roll(input_, shifts, axis=None):
    r"""Shift the elements along ``axis`` circularly (``np.roll`` / ``torch.roll``).

    .. math:: y_{\ldots (i + s) \bmod n \ldots} = x_{\ldots i \ldots}

    for each axis and its shift :math:`s` (negative shifts go the other way). With
    ``axis=None`` the tensor is rolled as if flattened, then given its shape back. An
    axis may be named twice: its shifts add up.

    Backward: rolling permutes the elements, so the gradient is rolled back:
    :math:`\partial L/\partial x = \text{roll}(\partial L/\partial y, -s)`.

    Parameters
    ----------
    input_ : Tensor
        Any shape.
    shifts : int or tuple of int
        One shift per axis in ``axis`` (a single int when ``axis`` is None).
    axis : int or tuple of int, optional

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    ValueError
        If ``shifts`` and ``axis`` have different lengths (or ``axis`` is None and
        several shifts are given), or an axis is out of range.
    TypeError
        If ``shifts`` or ``axis`` are not ints / sequences of ints.

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import roll
    >>> x = lucid.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    >>> print(roll(x, 1))
    Tensor([[6.0, 1.0, 2.0], [3.0, 4.0, 5.0]], grad_fn=Roll)
    >>> y = roll(x, (1, -1), axis=(0, 1))
    >>> print(y)
    Tensor([[5.0, 6.0, 4.0], [2.0, 3.0, 1.0]], grad_fn=Roll)
    >>> (y * lucid.Tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])).sum().backward()
    >>> x.grad
    array([[0., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    x = _input(input_, "roll")
    shift_list = int_tuple(shifts, "roll", "shifts", nonempty=True)
    if axis is None:
        if len(shift_list) != 1:
            raise ValueError(f"roll: with axis=None (the flattened tensor) shifts must be "
                             f"one int; got {shifts!r}")
        return Roll.apply(x, shifts=shift_list[0], axis=None)
    axes = int_tuple(axis, "roll", "axis", nonempty=True)
    if len(axes) != len(shift_list):
        raise ValueError(f"roll: shifts and axis must have the same length; got shifts "
                         f"{shifts!r} and axis {axis!r}")
    axes = tuple(normalize_axis(a, x.ndim, "roll") for a in axes)  # repeats allowed
    if x.ndim == 0:
        return Roll.apply(x, shifts=0, axis=None)  # one element: nothing moves
    return Roll.apply(x, shifts=shift_list, axis=axes)


# -------------------------------------------------------------------------- tril, triu
def _triangle_args(name, input_, diagonal):
    x = _input(input_, name)
    if x.ndim < 2:
        raise ValueError(f"{name}: input_ must have at least 2 dimensions (a matrix or a "
                         f"batch of matrices); got shape {x.shape}")
    if not is_int(diagonal):
        raise TypeError(f"{name}: diagonal must be an int; got {diagonal!r}")
    return x, int(diagonal)


# Parameters / Returns / Raises of tril and triu, word for word the same (shared_doc
# inserts them before each Examples section).
_TRIANGLE_SECTIONS = """
Parameters
----------
input_ : Tensor
    Shape ``(..., m, n)``, at least 2-D.
diagonal : int, default 0

Returns
-------
Tensor
    ``input_``'s shape and dtype.

Raises
------
ValueError
    If ``input_`` has fewer than 2 dimensions.
TypeError
    If ``diagonal`` is not an int.
"""


@shared_doc(_TRIANGLE_SECTIONS)
def tril(input_, diagonal=0):
    r"""The lower triangle of a matrix (or of each matrix in a batch); zeros above.

    .. math:: y_{\ldots ij} = \begin{cases} x_{\ldots ij} & j - i \le k \\
              0 & \text{otherwise} \end{cases}

    where :math:`k` is ``diagonal``: 0 keeps the main diagonal, :math:`k > 0` also
    keeps :math:`k` diagonals above it, :math:`k < 0` removes :math:`|k|` below it.
    Works on the last two axes (``torch.tril``).

    Backward: the kept elements pass their gradient through, the zeroed ones get none:
    :math:`\partial L/\partial x = \text{tril}(\partial L/\partial y, k)`.

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import tril
    >>> x = lucid.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], requires_grad=True)
    >>> y = tril(x)
    >>> print(y)
    Tensor([[1.0, 0.0, 0.0], [4.0, 5.0, 0.0], [7.0, 8.0, 9.0]], grad_fn=Tril)
    >>> y.sum().backward()
    >>> x.grad
    array([[1., 0., 0.],
           [1., 1., 0.],
           [1., 1., 1.]], dtype=float32)
    >>> print(tril(x, -1))
    Tensor([[0.0, 0.0, 0.0], [4.0, 0.0, 0.0], [7.0, 8.0, 0.0]], grad_fn=Tril)
    """
    x, k = _triangle_args("tril", input_, diagonal)
    return Tril.apply(x, diagonal=k)


@shared_doc(_TRIANGLE_SECTIONS)
def triu(input_, diagonal=0):
    r"""The upper triangle of a matrix (or of each matrix in a batch); zeros below.

    .. math:: y_{\ldots ij} = \begin{cases} x_{\ldots ij} & j - i \ge k \\
              0 & \text{otherwise} \end{cases}

    where :math:`k` is ``diagonal``: 0 keeps the main diagonal, :math:`k > 0` removes
    :math:`k` diagonals from it upwards, :math:`k < 0` also keeps :math:`|k|` below it.
    Works on the last two axes (``torch.triu``).

    Backward: :math:`\partial L/\partial x = \text{triu}(\partial L/\partial y, k)`.

    Examples
    --------
    >>> import lucid
    >>> from lucid.ops.utility import triu
    >>> x = lucid.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    >>> y = triu(x, 1)
    >>> print(y)
    Tensor([[0.0, 2.0, 3.0], [0.0, 0.0, 6.0]], grad_fn=Triu)
    >>> y.sum().backward()
    >>> x.grad
    array([[0., 1., 1.],
           [0., 0., 1.]], dtype=float32)
    """
    x, k = _triangle_args("triu", input_, diagonal)
    return Triu.apply(x, diagonal=k)
