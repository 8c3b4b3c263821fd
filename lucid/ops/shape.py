r"""Shape operations: change how the values are laid out, never the values themselves.

No op here does arithmetic on the values; each one moves or copies them. So every
backward sends each gradient element back to where its value came from:

* **rearrangements** (``reshape``, ``squeeze``, ``unsqueeze``, ``flatten``,
  ``transpose``, ...): apply the inverse rearrangement to the gradient;
* **joins** (``concatenate``, ``stack``, ``hstack``, ``vstack``): cut the gradient
  into the pieces that came from each input;
* **cuts** (``split``, ``chunk``, ``unbind``, ``pad``): each piece is a slice of the
  input, so its gradient is written at that slice (zeros elsewhere);
* **copies** (``repeat``, ``tile``, ``broadcast_to``): one input element appears many
  times, so it receives the sum of the gradients of all its copies.

Axes may be negative (counted from the end); a bad axis raises ValueError naming the
axis and the tensor's ndim.
"""
import math
import numbers

import numpy as np

from lucid._tensor import Tensor
from lucid.autograd.engine import unbroadcast
from lucid._checks import int_tuple, is_int, normalize_axis, renamed
from lucid.ops._util import DataMovement, as_tensor
from lucid.ops.index import BasicIndex, Take

__all__ = [
    "reshape", "squeeze", "unsqueeze", "expand_dims", "ravel", "flatten",
    "transpose", "swapaxes", "concatenate", "cat", "stack", "hstack", "vstack",
    "split", "chunk", "unbind", "pad", "repeat", "tile", "broadcast_to",
]


# ------------------------------------------------------------------------ helpers
def _prod(shape):
    # math.prod of Python ints: exact, and ~10x cheaper than np.prod on a short list
    # (np.prod cost reshape ~5 us of its ~14 us per call at batch 1)
    return math.prod(int(n) for n in shape)


def _tensor_list(tensors, name):
    """The inputs of a join as a list of Tensors (array-likes are converted)."""
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{name}: tensors must be a list or tuple of tensors; got {type(tensors).__name__}"
        )
    if len(tensors) == 0:
        raise ValueError(
            f"{name}: tensors must not be empty; got an empty {type(tensors).__name__}"
        )
    return [as_tensor(t) for t in tensors]


def _check_shapes(tensors, name, skip_axis=None):
    """All shapes equal to the first's, except (when given) along ``skip_axis``."""
    first = tensors[0].shape
    for i, t in enumerate(tensors[1:], start=1):
        same_ndim = t.ndim == len(first)
        if same_ndim and all(a == b for k, (a, b) in enumerate(zip(t.shape, first))
                             if k != skip_axis):
            continue
        rule = ("all tensors must have the same shape" if skip_axis is None
                else f"all shapes must match except along axis {skip_axis}")
        raise ValueError(
            f"{name}: tensor {i} has shape {t.shape} but tensor 0 has shape {first}; {rule}"
        )


# ---------------------------------------------------------------------- Functions
# [exercise: reshape]
class Reshape(DataMovement):
    r"""``y = x.reshape(shape)`` (same elements, same row-major order);
    ``dL/dx = (dL/dy).reshape(x.shape)``."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)
# [end exercise: reshape]


# [exercise: transpose]
class Transpose(DataMovement):
    r"""``y = x.transpose(axes)``, i.e. ``y.shape[i] = x.shape[axes[i]]``;
    ``dL/dx = (dL/dy).transpose(argsort(axes))`` (the inverse permutation)."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(np.argsort(ctx.axes))
# [end exercise: transpose]


class Concatenate(DataMovement):
    r"""``y = concatenate(x_1, ..., x_n)`` along ``axis``;
    ``dL/dx_k`` is the k-th piece of ``dL/dy`` cut at the inputs' boundaries."""

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        ctx.cuts = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.cuts, axis=ctx.axis))


class Stack(DataMovement):
    r"""``y = stack(x_1, ..., x_n)`` along a new ``axis``, so ``y[..., k, ...] = x_k``;
    ``dL/dx_k = dL/dy[..., k, ...]``."""

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.axis, 0))


class Pad(DataMovement):
    r"""``y = pad(x)``: ``x`` sits inside ``y`` at ``[before_0 : before_0 + n_0, ...]``,
    the border holds a constant; ``dL/dx = dL/dy`` at that inner block."""

    @staticmethod
    def forward(ctx, x, pad_width, constant_values):
        ctx.inner = tuple(slice(before, before + n)
                          for (before, _), n in zip(pad_width, x.shape))
        return np.pad(x, pad_width, mode="constant", constant_values=constant_values)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.inner]


class Tile(DataMovement):
    r"""``y = tile(x, reps)`` with ``len(reps) == x.ndim``:
    ``y[..., r_k n_k + i_k, ...] = x[..., i_k, ...]``.

    Backward: view ``dL/dy`` with shape ``(reps_0, n_0, reps_1, n_1, ...)`` so each
    copy of ``x`` is one index of the ``reps`` axes, and sum over those axes.
    """

    @staticmethod
    def forward(ctx, x, reps):
        ctx.reps, ctx.shape = reps, x.shape
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, grad):
        split_shape = []
        for r, n in zip(ctx.reps, ctx.shape):
            split_shape += [r, n]
        copies = tuple(range(0, 2 * len(ctx.shape), 2))
        return grad.reshape(split_shape).sum(axis=copies)


class BroadcastTo(DataMovement):
    r"""``y = broadcast_to(x, shape)``: ``x`` repeated along new leading axes and along
    its size-1 axes; ``dL/dx`` sums ``dL/dy`` over those axes (``unbroadcast``)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape)


# ------------------------------------------------------------- rearranging axes
def reshape(input_, shape):
    r"""The same elements in a new shape (row-major order, like NumPy).

    .. math:: y_{\text{flat}(j)} = x_{\text{flat}(j)} \quad\text{for every } j

    One entry of ``shape`` may be ``-1``: it is inferred from the number of elements.

    Backward: :math:`\partial L/\partial x` is :math:`\partial L/\partial y` reshaped
    back to ``input_.shape``.

    Parameters
    ----------
    input_ : Tensor
    shape : int or tuple of int

    Returns
    -------
    Tensor
        Of shape ``shape``, with ``input_``'s elements and dtype.

    Raises
    ------
    ValueError
        The number of elements differs (the message names both shapes), more than
        one ``-1``, or another negative size.
    TypeError
        ``shape`` is not an int or a sequence of ints.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], requires_grad=True)
    >>> print(lucid.reshape(x, (2, -1)))
    Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], grad_fn=Reshape)
    """
    input_ = as_tensor(input_)
    shape = int_tuple(shape, "reshape", "shape", minimum=0, allow=-1)
    size = input_.size
    unknown = [i for i, n in enumerate(shape) if n == -1]
    known = _prod([n for n in shape if n != -1])
    fits = (len(unknown) == 0 and known == size) or (
        len(unknown) == 1 and known != 0 and size % known == 0)
    if not fits:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {input_.shape} ({size} elements) "
            f"into shape {shape}"
        )
    if unknown:
        shape = tuple(size // known if n == -1 else n for n in shape)
    return Reshape.apply(input_, shape=shape)


@renamed(dim="axis")
def squeeze(input_, axis=None):
    r"""Remove axes of size 1.

    .. math:: y.\text{shape} = x.\text{shape} \text{ without the size-1 axes chosen}

    With ``axis=None`` every size-1 axis goes; with an int or a tuple only those axes
    go, and (as in PyTorch) a chosen axis whose size is not 1 is kept.

    Backward: :math:`\partial L/\partial y` reshaped back to ``input_.shape``.

    Parameters
    ----------
    input_ : Tensor
    axis : int or tuple of int, optional

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range for ``input_.ndim``.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[[1.0], [2.0]]])
    >>> lucid.squeeze(x).shape
    (2,)
    >>> lucid.squeeze(x, axis=-1).shape
    (1, 2)
    """
    input_ = as_tensor(input_)
    shape = input_.shape
    if axis is None:
        axes = range(len(shape))
    else:
        axes = normalize_axis(axis, input_.ndim, "squeeze")
        axes = (axes,) if isinstance(axes, int) else axes
    gone = {a for a in axes if a < len(shape) and shape[a] == 1}
    return Reshape.apply(input_, shape=tuple(n for a, n in enumerate(shape) if a not in gone))


def _new_axes(axes, ndim, out_ndim, name, shown=None):
    """Positions of new axes in a result with ``out_ndim`` axes, made from ``ndim``.

    ``shown`` is the axis argument as the user gave it (for the error message)."""
    try:
        return normalize_axis(axes, out_ndim, name)
    except ValueError as exc:
        if "repeated" in str(exc):
            raise
        raise ValueError(
            f"{name}: axis {axes if shown is None else shown} is out of range for a "
            f"tensor with ndim {ndim}: a new axis goes at a position of the "
            f"{out_ndim}-d result (valid: {-out_ndim} to {out_ndim - 1})"
        ) from None


def _insert_axes(input_, axes, name):
    """``input_`` with a new size-1 axis at each of ``axes`` (positions in the result)."""
    given = axes
    if is_int(axes):
        axes = (axes,)
    if not isinstance(axes, (tuple, list)):
        raise TypeError(f"{name}: axis must be an int or a tuple of ints; got {axes!r}")
    out_ndim = input_.ndim + len(axes)
    new = _new_axes(axes, input_.ndim, out_ndim, name, shown=given)
    rest = iter(input_.shape)
    shape = tuple(1 if a in new else next(rest) for a in range(out_ndim))
    return Reshape.apply(input_, shape=shape)


@renamed(dim="axis")
def unsqueeze(input_, axis):
    r"""Insert one axis of size 1 at position ``axis`` of the result.

    .. math:: y.\text{shape} = x.\text{shape}[:a] + (1,) + x.\text{shape}[a:]

    ``axis`` runs from ``-(ndim + 1)`` to ``ndim`` (PyTorch's ``unsqueeze``).

    Backward: :math:`\partial L/\partial y` reshaped back to ``input_.shape``.

    Parameters
    ----------
    input_ : Tensor
    axis : int

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        ``axis`` out of range for a result with ``ndim + 1`` axes.
    TypeError
        ``axis`` is not an int.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0])
    >>> print(lucid.unsqueeze(x, 0))
    Tensor([[1.0, 2.0]])
    >>> lucid.unsqueeze(x, -1).shape
    (2, 1)
    """
    input_ = as_tensor(input_)
    if not is_int(axis):
        raise TypeError(f"unsqueeze: axis must be an int; got {axis!r}")
    return _insert_axes(input_, axis, "unsqueeze")


@renamed(dim="axis")
def expand_dims(input_, axis):
    r"""Insert axes of size 1 at the positions ``axis`` of the result (``np.expand_dims``).

    .. math:: y.\text{ndim} = x.\text{ndim} + \text{len(axis)},\quad
              y.\text{shape}[a] = 1 \text{ for } a \in \text{axis}

    Backward: :math:`\partial L/\partial y` reshaped back to ``input_.shape``.

    Parameters
    ----------
    input_ : Tensor
    axis : int or tuple of int
        Positions in the result; negative counts from the result's end.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range for the result's ndim, or repeated.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0])
    >>> lucid.expand_dims(x, (0, 2)).shape
    (1, 2, 1)
    """
    input_ = as_tensor(input_)
    return _insert_axes(input_, axis, "expand_dims")


def ravel(input_):
    r"""All elements in one axis, in row-major order.

    .. math:: y_j = x_{\text{unravel}(j)}, \qquad y.\text{shape} = (x.\text{size},)

    Backward: :math:`\partial L/\partial y` reshaped back to ``input_.shape``.

    Parameters
    ----------
    input_ : Tensor

    Returns
    -------
    Tensor
        1-D (a 0-d input gives shape ``(1,)``).

    Examples
    --------
    >>> import lucid
    >>> print(lucid.ravel(lucid.Tensor([[1.0, 2.0], [3.0, 4.0]])))
    Tensor([1.0, 2.0, 3.0, 4.0])
    """
    input_ = as_tensor(input_)
    return Reshape.apply(input_, shape=(input_.size,))


@renamed(axis="start_axis", start_dim="start_axis", end_dim="end_axis")
def flatten(input_, start_axis=0, end_axis=-1):
    r"""Merge the axes ``start_axis`` to ``end_axis`` (both included) into one.

    .. math:: y.\text{shape} = x.\text{shape}[:s] +
              \Big(\prod_{k=s}^{e} x.\text{shape}[k]\Big) + x.\text{shape}[e+1:]

    PyTorch's ``flatten``: a 0-d input gives shape ``(1,)``.

    Backward: :math:`\partial L/\partial y` reshaped back to ``input_.shape``.

    Parameters
    ----------
    input_ : Tensor
    start_axis, end_axis : int

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range, or ``start_axis`` after ``end_axis``.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[[1.0, 2.0], [3.0, 4.0]]])
    >>> lucid.flatten(x).shape
    (4,)
    >>> lucid.flatten(x, start_axis=1).shape
    (1, 4)
    """
    input_ = as_tensor(input_)
    s = normalize_axis(start_axis, input_.ndim, "flatten")
    e = normalize_axis(end_axis, input_.ndim, "flatten")
    if s > e:
        raise ValueError(
            f"flatten: start_axis ({start_axis}) must not come after end_axis ({end_axis}) "
            f"for a tensor with ndim {input_.ndim}"
        )
    shape = input_.shape
    merged = _prod(shape[s:e + 1])
    return Reshape.apply(input_, shape=shape[:s] + (merged,) + shape[e + 1:])


def transpose(input_, *dims, axes=None, dim0=None, dim1=None):
    r"""Permute the axes: ``y.shape[i] = x.shape[axes[i]]`` (all reversed by default).

    .. math:: y_{i_0 \ldots i_{n-1}} = x_{j}, \quad j_{\text{axes}[k]} = i_k

    Two ways to say which axes, one rule each:

    * a permutation (NumPy's ``transpose``, the original lucid's): ``axes`` is a
      sequence of all the axes in their new order, given by name or as the one
      positional argument; None (the default) reverses them, a matrix's transpose;
    * two axes to swap (PyTorch's ``transpose(dim0, dim1)``): two ints,
      ``transpose(x, 1, 2)`` or ``dim0=1, dim1=2``, exchange those axes and keep the
      others (as :func:`swapaxes`).

    Backward: the inverse permutation, :math:`\partial L/\partial x =
    (\partial L/\partial y)^{\top}` with axes ``argsort(axes)``.

    Parameters
    ----------
    input_ : Tensor
    *dims : sequence of int, or two ints
        The permutation (one sequence), or the two axes to swap.
    axes : sequence of int, optional
        A permutation of ``range(ndim)`` (negative axes allowed).
    dim0, dim1 : int, optional
        PyTorch's names of the two axes to swap.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        ``axes`` is not a permutation of the tensor's axes, or an axis is out of range.
    TypeError
        Both a permutation and axes to swap, or neither form (three loose ints: pass a
        tuple).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> print(lucid.transpose(x))
    Tensor([[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]])
    >>> import numpy as np
    >>> lucid.transpose(lucid.Tensor(np.zeros((2, 3, 4))), (1, 2, 0)).shape
    (3, 4, 2)
    >>> lucid.Tensor(np.zeros((2, 3, 4))).transpose(1, 2).shape     # swap axes 1 and 2
    (2, 4, 3)
    """
    input_ = as_tensor(input_)
    ndim = input_.ndim
    swap = None
    if dim0 is not None or dim1 is not None:
        if dims or axes is not None or dim0 is None or dim1 is None:
            raise TypeError("transpose: give dim0= and dim1= together, and no other axes")
        swap = (dim0, dim1)
    elif len(dims) == 2 and is_int(dims[0]) and is_int(dims[1]) and axes is None:
        swap = dims
    elif len(dims) == 1 and axes is None:
        axes = dims[0]
    elif dims:
        raise TypeError(
            f"transpose: pass one permutation (a tuple of all {ndim} axes) or two axes to "
            f"swap; got {len(dims)} positional axes {dims!r}"
            + (" and axes=" if axes is not None else ""))
    if swap is not None:
        return swapaxes(input_, *swap)
    if axes is None:
        axes = tuple(reversed(range(ndim)))
    else:
        if not isinstance(axes, (tuple, list)) or len(axes) != ndim:
            raise ValueError(
                f"transpose: axes must be a permutation of the {ndim} axes of the tensor "
                f"(shape {input_.shape}); got {axes!r}"
            )
        axes = normalize_axis(tuple(axes), ndim, "transpose")
    return Transpose.apply(input_, axes=axes)


def swapaxes(input_, axis1, axis2):
    r"""Exchange two axes: ``y.shape[axis1] = x.shape[axis2]`` and vice versa.

    .. math:: y_{\ldots i \ldots j \ldots} = x_{\ldots j \ldots i \ldots}

    Backward: swap the same two axes of :math:`\partial L/\partial y`.

    Parameters
    ----------
    input_ : Tensor
    axis1, axis2 : int

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range for ``input_.ndim``.

    Examples
    --------
    >>> import lucid
    >>> import numpy as np
    >>> lucid.swapaxes(lucid.Tensor(np.zeros((2, 3, 4))), 0, -1).shape
    (4, 3, 2)
    """
    input_ = as_tensor(input_)
    a = normalize_axis(axis1, input_.ndim, "swapaxes")
    b = normalize_axis(axis2, input_.ndim, "swapaxes")
    axes = list(range(input_.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return Transpose.apply(input_, axes=tuple(axes))


# ------------------------------------------------------------------------ joins
@renamed(dim="axis")
def concatenate(tensors, axis=0):
    r"""Join tensors end to end along an existing axis.

    .. math:: y = [x_1; x_2; \ldots; x_n] \text{ along axis}, \qquad
              y.\text{shape}[a] = \sum_k x_k.\text{shape}[a]

    Shapes must agree except along ``axis``; the dtype is NumPy's promotion of theirs.

    Backward: :math:`\partial L/\partial y` is cut at the same boundaries;
    :math:`\partial L/\partial x_k` is the k-th piece. A tensor passed twice
    (``concatenate([y, y])``) receives the sum of both pieces.

    Parameters
    ----------
    tensors : list or tuple of Tensor
    axis : int, default 0

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An empty list, 0-d tensors, a bad axis, or a tensor whose shape does not
        match (the message names its index and shape).
    TypeError
        ``tensors`` is not a list or tuple.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[1.0, 2.0]], requires_grad=True)
    >>> b = lucid.Tensor([[3.0, 4.0], [5.0, 6.0]])
    >>> print(lucid.concatenate([a, b]))
    Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], grad_fn=Concatenate)
    """
    return _concatenate(_tensor_list(tensors, "concatenate"), axis, "concatenate")


#: PyTorch's name of :func:`concatenate` (the same function: ``lucid.cat(xs, dim=1)``).
cat = concatenate


def _concatenate(tensors, axis, name):
    if tensors[0].ndim == 0:
        raise ValueError(f"{name}: zero-dimensional tensors cannot be concatenated "
                         "(tensor 0 has shape ()); use stack")
    axis = normalize_axis(axis, tensors[0].ndim, name)
    _check_shapes(tensors, name, skip_axis=axis)
    return Concatenate.apply(*tensors, axis=axis)


@renamed(dim="axis")
def stack(tensors, axis=0):
    r"""Join tensors of one shape along a new axis.

    .. math:: y_{\ldots, k, \ldots} = x_k, \qquad
              y.\text{shape} = x.\text{shape}[:a] + (n,) + x.\text{shape}[a:]

    Backward: :math:`\partial L/\partial x_k = (\partial L/\partial y)_{\ldots, k, \ldots}`.

    Parameters
    ----------
    tensors : list or tuple of Tensor
        All of the same shape.
    axis : int, default 0
        Position of the new axis in the result (from ``-(ndim + 1)`` to ``ndim``).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An empty list, a bad axis, or a tensor whose shape differs from the first's
        (the message names its index and shape).
    TypeError
        ``tensors`` is not a list or tuple.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([1.0, 2.0])
    >>> b = lucid.Tensor([3.0, 4.0])
    >>> print(lucid.stack([a, b], axis=1))
    Tensor([[1.0, 3.0], [2.0, 4.0]])
    """
    tensors = _tensor_list(tensors, "stack")
    _check_shapes(tensors, "stack")
    axis = _new_axes(axis, tensors[0].ndim, tensors[0].ndim + 1, "stack")
    return Stack.apply(*tensors, axis=axis)


def hstack(tensors):
    r"""Concatenate horizontally: along axis 1, or axis 0 for 1-D tensors (``np.hstack``).

    .. math:: y = [x_1, x_2, \ldots, x_n]

    0-d tensors count as 1-D of length 1.

    Backward: as :func:`concatenate`, each input gets its piece of the gradient.

    Parameters
    ----------
    tensors : list or tuple of Tensor

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        As :func:`concatenate`.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.hstack([lucid.Tensor([1.0, 2.0]), lucid.Tensor([3.0])]))
    Tensor([1.0, 2.0, 3.0])
    """
    tensors = _tensor_list(tensors, "hstack")
    tensors = [reshape(t, (1,)) if t.ndim == 0 else t for t in tensors]
    return _concatenate(tensors, 0 if tensors[0].ndim == 1 else 1, "hstack")


def vstack(tensors):
    r"""Concatenate vertically along axis 0; 1-D tensors of length n become rows (1, n).

    .. math:: y = \begin{bmatrix} x_1 \\ \vdots \\ x_n \end{bmatrix}

    NumPy's ``vstack``: 0-d tensors count as shape ``(1, 1)``.

    Backward: as :func:`concatenate`, each input gets its rows of the gradient.

    Parameters
    ----------
    tensors : list or tuple of Tensor

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        As :func:`concatenate` (1-D shapes are named as the rows ``(1, n)`` they
        become).

    Examples
    --------
    >>> import lucid
    >>> print(lucid.vstack([lucid.Tensor([1.0, 2.0]), lucid.Tensor([3.0, 4.0])]))
    Tensor([[1.0, 2.0], [3.0, 4.0]])
    """
    tensors = _tensor_list(tensors, "vstack")
    tensors = [reshape(t, (1, -1)) if t.ndim < 2 else t for t in tensors]
    return _concatenate(tensors, 0, "vstack")


# ------------------------------------------------------------------------- cuts
def _pieces(input_, sizes, axis):
    """The consecutive slices of ``sizes`` along ``axis``, each a differentiable slice."""
    before = (slice(None),) * axis
    pieces, start = [], 0
    for n in sizes:
        pieces.append(BasicIndex.apply(input_, index=before + (slice(start, start + n),)))
        start += n
    return tuple(pieces)


@renamed(dim="axis")
def split(input_, size_or_sections, axis=0):
    r"""Cut a tensor into consecutive pieces along ``axis`` (PyTorch's ``split``).

    .. math:: y_k = x[\ldots, o_k : o_k + s_k, \ldots], \qquad o_k = \sum_{j<k} s_j

    An int ``s`` gives pieces of size ``s`` (the last one smaller when ``s`` does not
    divide the axis); a list gives the piece sizes, which must add up to the axis.

    Backward: each piece is a slice of ``input_``, so its gradient is written at that
    slice; the gradients of all pieces used add up in ``input_``'s gradient.

    Parameters
    ----------
    input_ : Tensor
    size_or_sections : int or list of int
    axis : int, default 0

    Returns
    -------
    tuple of Tensor

    Raises
    ------
    ValueError
        A size that is not positive (int form) or negative (list form), sizes that
        do not add up to the axis, or a bad axis.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> for piece in lucid.split(x, 2):
    ...     print(piece)
    Tensor([1.0, 2.0])
    Tensor([3.0, 4.0])
    Tensor([5.0])
    >>> [p.shape for p in lucid.split(x, [1, 4])]
    [(1,), (4,)]
    """
    input_ = as_tensor(input_)
    if input_.ndim == 0:
        raise ValueError("split: cannot split a 0-d tensor; it has no axis")
    axis = normalize_axis(axis, input_.ndim, "split")
    n = input_.shape[axis]
    if is_int(size_or_sections):
        size = int(size_or_sections)
        if size <= 0:
            raise ValueError(f"split: the piece size must be a positive int; got {size}")
        sizes = [min(size, n - start) for start in range(0, n, size)] or [0]
    else:
        sizes = int_tuple(size_or_sections, "split", "size_or_sections", minimum=0)
        if sum(sizes) != n:
            raise ValueError(
                f"split: section sizes {list(sizes)} add up to {sum(sizes)} but axis "
                f"{axis} has size {n}"
            )
    return _pieces(input_, sizes, axis)


@renamed(dim="axis")
def chunk(input_, chunks, axis=0):
    r"""Cut a tensor into ``chunks`` pieces of (nearly) equal size (PyTorch's ``chunk``).

    .. math:: s = \lceil n / \text{chunks} \rceil, \qquad
              y_k = x[\ldots, k s : (k + 1) s, \ldots]

    Every piece has ``s`` elements along ``axis`` except perhaps the last, so fewer
    than ``chunks`` pieces may come back (``n = 6, chunks = 4`` gives 3 pieces of 2).

    Backward: as :func:`split`.

    Parameters
    ----------
    input_ : Tensor
    chunks : int
        Positive.
    axis : int, default 0

    Returns
    -------
    tuple of Tensor

    Raises
    ------
    ValueError
        ``chunks`` not positive, or a bad axis.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> [p.shape for p in lucid.chunk(x, 3)]
    [(2,), (2,), (1,)]
    """
    input_ = as_tensor(input_)
    if not is_int(chunks) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int; got {chunks!r}")
    if input_.ndim == 0:
        raise ValueError("chunk: cannot chunk a 0-d tensor; it has no axis")
    axis = normalize_axis(axis, input_.ndim, "chunk")
    n = input_.shape[axis]
    if n == 0:
        return _pieces(input_, [0] * int(chunks), axis)
    return split(input_, -(-n // int(chunks)), axis)


@renamed(dim="axis")
def unbind(input_, axis=0):
    r"""All slices along ``axis``, each without that axis (axis 0: ``x[0], x[1], ...``).

    .. math:: y_k = x_{\ldots, k, \ldots}

    Backward: each slice's gradient is written at that slice of ``input_``'s gradient.

    Parameters
    ----------
    input_ : Tensor
    axis : int, default 0

    Returns
    -------
    tuple of Tensor
        ``input_.shape[axis]`` tensors of shape ``input_.shape`` without ``axis``.

    Raises
    ------
    ValueError
        A 0-d input or a bad axis.

    Examples
    --------
    >>> import lucid
    >>> rows = lucid.unbind(lucid.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    >>> print(rows[0])
    Tensor([1.0, 3.0])
    """
    input_ = as_tensor(input_)
    if input_.ndim == 0:
        raise ValueError("unbind: cannot unbind a 0-d tensor; it has no axis")
    axis = normalize_axis(axis, input_.ndim, "unbind")
    before = (slice(None),) * axis
    return tuple(BasicIndex.apply(input_, index=before + (k,))
                 for k in range(input_.shape[axis]))


def pad(input_, pad_width, mode="constant", constant_values=0):
    r"""Add a border of a constant value around a tensor (``np.pad``, mode 'constant').

    .. math:: y_{i + b} = x_i \text{ inside}, \qquad y = c \text{ on the border},
              \qquad y.\text{shape}[k] = b_k + x.\text{shape}[k] + a_k

    ``pad_width`` follows ``np.pad``: ``((b_0, a_0), (b_1, a_1), ...)`` gives the
    number of values added before and after each axis; ``(b, a)`` applies to every
    axis; an int ``p`` means ``(p, p)`` everywhere.

    Backward: the border does not depend on ``input_``:
    :math:`\partial L/\partial x` is :math:`\partial L/\partial y` cut to the inner
    block ``[b_0 : b_0 + n_0, ...]``.

    Parameters
    ----------
    input_ : Tensor
    pad_width : int or sequence of int pairs
        Non-negative.
    mode : {'constant'}
        Only constant padding is supported.
    constant_values : number, default 0

    Returns
    -------
    Tensor
        Same dtype as ``input_``.

    Raises
    ------
    ValueError
        Another ``mode``, a negative width, or ``pad_width`` that does not fit
        ``(ndim, 2)``.
    TypeError
        A non-integer width or a non-number ``constant_values``.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = lucid.pad(x, ((0, 1), (1, 0)))
    >>> print(y)
    Tensor([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]], grad_fn=Pad)
    """
    input_ = as_tensor(input_)
    if mode != "constant":
        raise ValueError(
            f"pad: mode {mode!r} is not supported; only mode='constant' is (with a backward)"
        )
    if not isinstance(constant_values, (numbers.Number, np.bool_)):
        raise TypeError(f"pad: constant_values must be a number; got {constant_values!r}")
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu" or widths.dtype == np.bool_:
        raise TypeError(f"pad: pad_width must hold ints; got {pad_width!r}")
    try:
        widths = np.broadcast_to(widths, (input_.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width!r} (shape {widths.shape}) does not fit "
            f"(ndim, 2) = ({input_.ndim}, 2) for a tensor of shape {input_.shape}"
        ) from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must not be negative; got {pad_width!r}")
    widths = tuple((int(b), int(a)) for b, a in widths)
    return Pad.apply(input_, pad_width=widths, constant_values=constant_values)


# ----------------------------------------------------------------------- copies
@renamed(dim="axis")
def repeat(input_, repeats, axis=None):
    r"""Repeat each element ``repeats`` times along ``axis`` (``np.repeat``).

    .. math:: y = [\underbrace{x_0, \ldots, x_0}_{r_0}, \underbrace{x_1, \ldots, x_1}_{r_1},
              \ldots] \text{ along axis}

    ``repeats`` is one int for every element or one int per element of the axis.
    With ``axis=None`` the tensor is flattened first. (This is PyTorch's
    ``repeat_interleave``; PyTorch's ``Tensor.repeat`` is :func:`tile`.)

    Backward: a gather of slices :math:`y_j = x_{\text{src}(j)}` with
    ``src = [0]*r_0 + [1]*r_1 + ...``; each slice of ``input_`` receives the sum of the
    gradients of its copies, :math:`\partial L/\partial x_i = \sum_{j : \text{src}(j) = i}
    \partial L/\partial y_j` (the scatter-add kernel).

    Parameters
    ----------
    input_ : Tensor
    repeats : int or sequence of int
        Non-negative.
    axis : int, optional

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A negative count, a list whose length is neither 1 nor the axis' size, or a
        bad axis.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> print(lucid.repeat(x, [1, 2], axis=0))
    Tensor([[1.0, 2.0], [3.0, 4.0], [3.0, 4.0]], grad_fn=Take)
    >>> print(lucid.repeat(x, 2))
    Tensor([1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0], grad_fn=Take)
    """
    input_ = as_tensor(input_)
    counts = int_tuple(repeats, "repeat", "repeats", minimum=0)
    if axis is None:
        input_ = ravel(input_)
        axis = 0
    else:
        axis = normalize_axis(axis, input_.ndim, "repeat")
        if input_.ndim == 0:
            input_ = ravel(input_)
    n = input_.shape[axis]
    if len(counts) not in (1, n):
        raise ValueError(
            f"repeat: repeats has {len(counts)} entries but axis {axis} has size {n}; "
            "give one count, or one count per element"
        )
    source = np.repeat(np.arange(n, dtype=np.int64), counts)
    return Take.apply(input_, indices=source, axis=axis)


def tile(input_, reps):
    r"""Repeat the whole tensor ``reps[k]`` times along each axis ``k`` (``np.tile``).

    .. math:: y_{\ldots, r_k n_k + i_k, \ldots} = x_{\ldots, i_k, \ldots}

    When ``reps`` has fewer entries than ``input_`` has axes, ones are prepended to
    it; when it has more, ``input_`` gets new leading axes of size 1.

    Backward: every input element appears once in each copy, so it receives the sum
    of the gradients of its :math:`\prod_k r_k` copies.

    Parameters
    ----------
    input_ : Tensor
    reps : int or sequence of int
        Non-negative.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A negative count.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    >>> print(lucid.tile(x, (2, 2)))
    Tensor([[1.0, 2.0, 1.0, 2.0], [1.0, 2.0, 1.0, 2.0]], grad_fn=Tile)
    """
    input_ = as_tensor(input_)
    reps = int_tuple(reps, "tile", "reps", minimum=0)
    ndim = max(input_.ndim, len(reps))
    if input_.ndim < ndim:
        input_ = reshape(input_, (1,) * (ndim - input_.ndim) + input_.shape)
    reps = (1,) * (ndim - len(reps)) + reps
    return Tile.apply(input_, reps=reps)


def broadcast_to(input_, shape):
    r"""Expand a tensor to ``shape`` by NumPy's broadcasting rules.

    .. math:: y_{i_0 \ldots i_{m-1}} = x_{j}, \qquad
              j_k = 0 \text{ where } x \text{ has size 1, else } i_{k + m - n}

    Axes are matched from the right; each axis of ``input_`` must be 1 or equal the
    target size; new leading axes may be added. The result is a read-only view.

    Backward: every element of ``input_`` is copied along the stretched axes, so
    :math:`\partial L/\partial x` sums :math:`\partial L/\partial y` over the added
    leading axes and (keeping them) over the stretched size-1 axes.

    Parameters
    ----------
    input_ : Tensor
    shape : int or tuple of int

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        ``input_.shape`` does not broadcast to ``shape``; the message names both.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0], [2.0]], requires_grad=True)
    >>> y = lucid.broadcast_to(x, (2, 3))
    >>> print(y)
    Tensor([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], grad_fn=BroadcastTo)
    >>> y.sum().backward()
    >>> x.grad
    array([[3.],
           [3.]], dtype=float32)
    """
    input_ = as_tensor(input_)
    shape = int_tuple(shape, "broadcast_to", "shape", minimum=0)
    src = input_.shape
    lead = len(shape) - len(src)
    if lead < 0 or any(n not in (1, m) for n, m in zip(src, shape[lead:])):
        raise ValueError(
            f"broadcast_to: cannot broadcast a tensor of shape {src} to shape {shape}"
        )
    return BroadcastTo.apply(input_, shape=shape)
