r"""Creation functions: new tensors from data, shapes and ranges.

Every function here returns a new *leaf* tensor (no graph behind it), except
:func:`diag` of a tensor that requires grad, which is an operation with a backward.
They share the arguments ``dtype`` (default float32 for floating results),
``requires_grad`` (an integer tensor may require grad too, as in the original lucid;
its gradient is floating), ``keep_grad`` and ``device`` (``'cpu'``, the one device
lucid has; any other is a :class:`~lucid.UnknownDeviceError`).

A shape is an int or a tuple (or list) of non-negative ints: ``zeros(3)`` is the
same as ``zeros((3,))``; ``zeros``, ``ones`` and ``empty`` also take the sizes one by
one, ``zeros(2, 3)`` (the original lucid's and PyTorch's habit).
"""
import numpy as np

from lucid._tensor import Tensor, _resolve_dtype, _to_array
from lucid.autograd.function import Function
from lucid._checks import (check_device, is_int as _is_int, is_number as _is_number, renamed,
                           shape_arg as _shape, shape_args as _shape_args)
from lucid.ops._util import leaf as _leaf, shared_doc

__all__ = [
    "tensor", "to_tensor", "from_numpy", "zeros", "zeros_like", "ones", "ones_like", "eye", "diag",
    "arange", "empty", "empty_like", "linspace", "full", "full_like",
]

_FLOAT = np.dtype(np.float32)  # the default floating dtype


# --------------------------------------------------------------------------- helpers
def _dtype(dtype, name, default):
    """``dtype`` as a NumPy dtype (``default`` when None); TypeError names ``name``."""
    if dtype is None:
        return np.dtype(default)
    try:
        return _resolve_dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{name}: dtype must be a NumPy dtype, a lucid dtype, float, int or bool; "
            f"got {dtype!r}"
        ) from None


def _count(value, name, arg):
    """A non-negative int argument (a size, a count)."""
    if not _is_int(value):
        raise TypeError(f"{name}: {arg} must be an int; got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: {arg} must be non-negative; got {value}")
    return int(value)


def _array_of(input_, name):
    """The array behind ``input_`` (a Tensor, an ndarray or array-like data)."""
    if isinstance(input_, (Tensor, np.ndarray)):
        return np.asarray(input_.data if isinstance(input_, Tensor) else input_)
    try:
        return _to_array(input_, None)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name}: input_ must be a Tensor, an ndarray or nested lists of numbers; "
            f"got {type(input_).__name__} ({exc})"
        ) from None


# --------------------------------------------------------------------- from data
def tensor(data, requires_grad=False, keep_grad=False, dtype=None, device="cpu"):
    r"""A new leaf tensor holding a copy of ``data``.

    .. math:: \text{out}_{i} = \text{data}_{i}

    The shape is the shape of ``data`` (a scalar gives a 0-d tensor). Python floats
    become float32, Python ints int64, bools bool; ndarrays keep their dtype.

    Backward: none; the result is a leaf. Given a Tensor, its values are copied and
    the copy is cut from the graph (like ``torch.tensor``).

    Parameters
    ----------
    data : scalar, nested list, ndarray or Tensor
    requires_grad : bool, default False
        Record operations on the result.
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError (a ValueError).
    dtype : dtype, optional
        Convert to this dtype (NumPy dtype, lucid dtype, ``float``, ``int``, ``bool``).

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        Non-numeric ``data`` or a bad ``dtype``.
    ValueError
        Ragged nested lists (rows of different lengths).

    Examples
    --------
    >>> import lucid
    >>> t = lucid.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> print(t)
    Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> lucid.tensor([1, 2, 3]).dtype
    dtype('int64')
    """
    check_device(device, "tensor")
    return _from_data(data, requires_grad, keep_grad, dtype, "tensor")


@renamed(a="data")
def to_tensor(data, requires_grad=False, keep_grad=False, dtype=None, device="cpu"):
    r"""``data`` as a tensor: a Tensor passes through, anything else becomes one.

    .. math:: \text{out}_{i} = \text{data}_{i}

    Like :func:`tensor`, except that a Tensor is returned *as it is* (no copy, still
    in its graph) when nothing about it has to change: ``dtype`` is None or its own
    dtype and neither ``requires_grad`` nor ``keep_grad`` is asked for. Otherwise a
    converted copy is returned, as :func:`tensor` would (``torch.as_tensor`` does the
    same).

    Backward: a Tensor passed through keeps its graph; a copy is a new leaf.

    Parameters
    ----------
    data : scalar, nested list, ndarray or Tensor
    requires_grad : bool, default False
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError (a ValueError).
    dtype : dtype, optional

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError, ValueError
        As :func:`tensor`.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.tensor([1.0, 2.0])
    >>> lucid.to_tensor(x) is x
    True
    >>> print(lucid.to_tensor([1.5, 2.5]))
    Tensor([1.5, 2.5])
    """
    check_device(device, "to_tensor")
    if isinstance(data, Tensor) and not requires_grad and not keep_grad:
        if dtype is None or _dtype(dtype, "to_tensor", None) == data.dtype:
            return data
    return _from_data(data, requires_grad, keep_grad, dtype, "to_tensor")


def from_numpy(ndarray):
    r"""A tensor that shares ``ndarray``'s memory (PyTorch's ``from_numpy``).

    .. math:: \text{out}_i = \text{ndarray}_i \quad\text{(the same memory)}

    Writing into the array changes the tensor and the other way round; nothing is
    copied and the dtype is kept. (:func:`tensor` and ``Tensor(...)`` copy.) The
    result is a leaf that does not require grad.

    Parameters
    ----------
    ndarray : np.ndarray
        Of a dtype lucid supports (bool, integers, float16/32/64, complex).

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        Not an ndarray, or a dtype lucid does not support.

    Examples
    --------
    >>> import numpy as np
    >>> import lucid
    >>> a = np.array([1.0, 2.0])
    >>> t = lucid.from_numpy(a)
    >>> a[0] = 5.0
    >>> print(t)
    Tensor([5.0, 2.0], dtype=float64)
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray; got {type(ndarray).__name__}")
    _dtype(ndarray.dtype, "from_numpy", None)
    return Tensor._wrap(ndarray)


def _from_data(data, requires_grad, keep_grad, dtype, name):
    if dtype is not None:
        dtype = _dtype(dtype, name, None)
    try:
        array = _to_array(data, dtype)
    except TypeError as exc:
        raise TypeError(f"{name}: {str(exc).removeprefix('Tensor: ')}") from None
    except ValueError as exc:
        raise ValueError(
            f"{name}: data must be a scalar or rectangular nested lists of numbers "
            f"(every row the same length); NumPy said: {exc}"
        ) from None
    return _leaf(array, name, requires_grad, keep_grad)


# -------------------------------------------------------------------- from shapes
def _filled(maker, shape, dtype, requires_grad, keep_grad, name):
    shape = _shape(shape, name)
    dtype = _dtype(dtype, name, _FLOAT)
    return _leaf(maker(shape, dtype=dtype), name, requires_grad, keep_grad)


def _filled_like(maker, input_, dtype, requires_grad, keep_grad, name):
    like = _array_of(input_, name)
    dtype = _dtype(dtype, name, like.dtype)
    return _leaf(maker(like.shape, dtype=dtype), name, requires_grad, keep_grad)


# Parameters / Returns / Raises shared by zeros, ones, empty (_SHAPE_DOC) and by their
# ``_like`` twins (_LIKE_DOC); shared_doc inserts them before each Examples section.
_SHAPE_DOC = """
Parameters
----------
*shape : int, or one tuple of int
    Non-negative sizes: ``(2, 3)`` or ``2, 3``.
dtype : dtype, optional
    Default float32.
requires_grad : bool, default False
keep_grad : bool, default False
device : {'cpu'}, default 'cpu'
    lucid computes on the CPU; another device is an UnknownDeviceError (a ValueError).

Returns
-------
Tensor
    Of shape ``shape``, a leaf.

Raises
------
TypeError
    ``shape`` not an int or tuple of ints; a bad ``dtype``.
ValueError
    A negative size in ``shape``.
"""

_LIKE_DOC = """
Parameters
----------
input_ : Tensor or array_like
    Gives the shape, and the dtype unless ``dtype`` is given.
dtype : dtype, optional
    Default: the dtype of ``input_``.
requires_grad : bool, default False
keep_grad : bool, default False
device : {None, 'cpu'}
    lucid computes on the CPU; another device is an UnknownDeviceError (a ValueError).

Returns
-------
Tensor
    Of the shape of ``input_``, a leaf (not connected to ``input_``'s graph).

Raises
------
TypeError
    ``input_`` not tensor-like; a bad ``dtype``.
"""


@shared_doc(_SHAPE_DOC)
def zeros(*shape, dtype=None, requires_grad=False, keep_grad=False, device="cpu"):
    r"""A tensor of zeros.

    .. math:: \text{out}_{i} = 0

    Backward: none; the result is a leaf.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.zeros((2, 3)))
    Tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> print(lucid.zeros(2, dtype=int))
    Tensor([0, 0])
    """
    check_device(device, "zeros")
    return _filled(np.zeros, _shape_args(shape, "zeros"), dtype, requires_grad, keep_grad, "zeros")


@shared_doc(_LIKE_DOC)
def zeros_like(input_, dtype=None, requires_grad=False, keep_grad=False, device=None):
    r"""Zeros of the shape (and by default the dtype) of ``input_``.

    .. math:: \text{out}_{i} = 0

    Backward: none; the result is a leaf.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.tensor([[1, 2], [3, 4]])
    >>> print(lucid.zeros_like(x))
    Tensor([[0, 0], [0, 0]])
    """
    check_device(device, "zeros_like")
    return _filled_like(np.zeros, input_, dtype, requires_grad, keep_grad, "zeros_like")


@shared_doc(_SHAPE_DOC)
def ones(*shape, dtype=None, requires_grad=False, keep_grad=False, device="cpu"):
    r"""A tensor of ones.

    .. math:: \text{out}_{i} = 1

    Backward: none; the result is a leaf.

    Examples
    --------
    >>> import lucid
    >>> w = lucid.ones((2, 2), requires_grad=True)
    >>> print(w)
    Tensor([[1.0, 1.0], [1.0, 1.0]], requires_grad=True)
    """
    check_device(device, "ones")
    return _filled(np.ones, _shape_args(shape, "ones"), dtype, requires_grad, keep_grad, "ones")


@shared_doc(_LIKE_DOC)
def ones_like(input_, dtype=None, requires_grad=False, keep_grad=False, device=None):
    r"""Ones of the shape (and by default the dtype) of ``input_``.

    .. math:: \text{out}_{i} = 1

    Backward: none; the result is a leaf.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.ones_like(lucid.zeros(3), dtype=bool))
    Tensor([True, True, True])
    """
    check_device(device, "ones_like")
    return _filled_like(np.ones, input_, dtype, requires_grad, keep_grad, "ones_like")


@shared_doc(_SHAPE_DOC)
def empty(*shape, dtype=None, requires_grad=False, keep_grad=False, device="cpu"):
    r"""A tensor whose values are not set (whatever the memory held).

    .. math:: \text{out}_{i} = \text{unspecified}

    Faster than :func:`zeros` when every value is overwritten next. Backward: none;
    the result is a leaf.

    Examples
    --------
    >>> import lucid
    >>> t = lucid.empty((2, 3))
    >>> t.shape, t.dtype
    ((2, 3), dtype('float32'))
    """
    check_device(device, "empty")
    return _filled(np.empty, _shape_args(shape, "empty"), dtype, requires_grad, keep_grad, "empty")


@shared_doc(_LIKE_DOC)
def empty_like(input_, dtype=None, requires_grad=False, keep_grad=False, device=None):
    r"""A tensor of ``input_``'s shape (and by default dtype) whose values are not set.

    .. math:: \text{out}_{i} = \text{unspecified}

    Backward: none; the result is a leaf.

    Examples
    --------
    >>> import lucid
    >>> t = lucid.empty_like(lucid.zeros((4, 1), dtype="float64"))
    >>> t.shape, t.dtype
    ((4, 1), dtype('float64'))
    """
    check_device(device, "empty_like")
    return _filled_like(np.empty, input_, dtype, requires_grad, keep_grad, "empty_like")


def _fill_value(fill_value, name):
    """``fill_value`` as a 0-d array, and the dtype :func:`tensor` would give it."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.data
    value = np.asarray(fill_value)
    if value.ndim != 0 or value.dtype.kind not in "biufc":
        raise TypeError(f"{name}: fill_value must be a number (or a 0-d tensor); got {fill_value!r}")
    return value, _to_array(fill_value, None).dtype


def full(shape, fill_value, dtype=None, requires_grad=False, keep_grad=False, device="cpu"):
    r"""A tensor with every element equal to ``fill_value``.

    .. math:: \text{out}_{i} = c

    The default dtype follows ``fill_value`` like :func:`tensor` does: a Python float
    gives float32, an int int64, a bool bool (as in PyTorch). Backward: none; the
    result is a leaf.

    Parameters
    ----------
    shape : int or tuple of int
        Non-negative sizes.
    fill_value : number, bool or 0-d Tensor
    dtype : dtype, optional
    requires_grad : bool, default False
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError (a ValueError).

    Returns
    -------
    Tensor
        Of shape ``shape``, a leaf.

    Raises
    ------
    TypeError
        ``fill_value`` not a number; ``shape`` not an int or tuple of ints; a bad
        ``dtype``.
    ValueError
        A negative size in ``shape``.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.full((2, 2), 7))
    Tensor([[7, 7], [7, 7]])
    >>> print(lucid.full(3, 0.5))
    Tensor([0.5, 0.5, 0.5])
    """
    check_device(device, "full")
    shape = _shape(shape, "full")
    value, own_dtype = _fill_value(fill_value, "full")
    dtype = _dtype(dtype, "full", own_dtype)
    return _leaf(np.full(shape, value, dtype=dtype), "full", requires_grad, keep_grad)


@renamed(a="input_")
def full_like(input_, fill_value, dtype=None, requires_grad=False, keep_grad=False,
              device=None):
    r"""A tensor of ``input_``'s shape (and by default dtype) filled with ``fill_value``.

    .. math:: \text{out}_{i} = c

    As in PyTorch, the dtype is ``input_``'s unless ``dtype`` is given, so
    ``full_like(int_tensor, 2.7)`` holds 2. Backward: none; the result is a leaf.

    Parameters
    ----------
    input_ : Tensor or array_like
        Gives the shape, and the dtype unless ``dtype`` is given.
    fill_value : number, bool or 0-d Tensor
    dtype : dtype, optional
    requires_grad : bool, default False
    keep_grad : bool, default False
    device : {None, 'cpu'}
        lucid computes on the CPU; another device is an UnknownDeviceError (a ValueError).

    Returns
    -------
    Tensor
        Of the shape of ``input_``, a leaf.

    Raises
    ------
    TypeError
        ``fill_value`` not a number; ``input_`` not tensor-like; a bad ``dtype``;


    Examples
    --------
    >>> import lucid
    >>> print(lucid.full_like(lucid.zeros((1, 3)), 2.5))
    Tensor([[2.5, 2.5, 2.5]])
    """
    check_device(device, "full_like")
    like = _array_of(input_, "full_like")
    value, _ = _fill_value(fill_value, "full_like")
    dtype = _dtype(dtype, "full_like", like.dtype)
    return _leaf(np.full(like.shape, value, dtype=dtype), "full_like", requires_grad, keep_grad)


def eye(N, M=None, k=0, dtype=None, requires_grad=False, keep_grad=False, device="cpu"):
    r"""A 2-D tensor with ones on the ``k``-th diagonal and zeros elsewhere.

    .. math:: \text{out}_{ij} = \begin{cases} 1 & j - i = k \\ 0 & \text{otherwise} \end{cases}

    Shape ``(N, M)`` (``M`` defaults to ``N``). ``k > 0`` is a diagonal above the main
    one, ``k < 0`` below. Backward: none; the result is a leaf.

    Parameters
    ----------
    N : int
        Number of rows.
    M : int, optional
        Number of columns (default ``N``).
    k : int, default 0
        Which diagonal.
    dtype : dtype, optional
        Default float32.
    requires_grad : bool, default False
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError (a ValueError).

    Returns
    -------
    Tensor
        Shape ``(N, M)``, a leaf.

    Raises
    ------
    TypeError
        ``N``, ``M`` or ``k`` not an int; a bad ``dtype``.
    ValueError
        ``N`` or ``M`` negative.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.eye(2))
    Tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> print(lucid.eye(2, 3, k=1, dtype=int))
    Tensor([[0, 1, 0], [0, 0, 1]])
    """
    check_device(device, "eye")
    N = _count(N, "eye", "N")
    M = N if M is None else _count(M, "eye", "M")
    if not _is_int(k):
        raise TypeError(f"eye: k must be an int; got {k!r}")
    dtype = _dtype(dtype, "eye", _FLOAT)
    return _leaf(np.eye(N, M, k=int(k), dtype=dtype), "eye", requires_grad, keep_grad)


# -------------------------------------------------------------------------- diag
def _diagonal_positions(shape, k):
    """Row and column indices of the ``k``-th diagonal of a matrix of ``shape``."""
    rows, cols = shape
    length = max(0, min(rows + min(k, 0), cols - max(k, 0)))
    i = np.arange(length)
    return i - min(k, 0), i + max(k, 0)


class Diag(Function):
    r"""``np.diag``: a vector onto the ``k``-th diagonal of a matrix, or a matrix's
    ``k``-th diagonal out into a vector. Each backward is the other direction."""

    @staticmethod
    def forward(ctx, x, k=0, dtype=None):
        ctx.shape, ctx.k = x.shape, k
        if dtype is not None:
            x = x.astype(dtype, copy=False)
        return np.array(np.diag(x, k))  # own memory (a 2-D diag is a read-only view)

    @staticmethod
    def backward(ctx, grad):
        if len(ctx.shape) == 1:  # v went onto a diagonal: read that diagonal back out
            return np.diag(grad, ctx.k).copy()
        out = np.zeros(ctx.shape, dtype=grad.dtype)  # a diagonal was read: put it back
        out[_diagonal_positions(ctx.shape, ctx.k)] = grad
        return out


def diag(v, k=0, dtype=None, requires_grad=False, keep_grad=False, device=None):
    r"""Build a diagonal matrix from a vector, or take a diagonal out of a matrix.

    As ``np.diag``: for a 1-D ``v`` of length ``n``, a square matrix of size
    ``n + |k|`` with ``v`` on its ``k``-th diagonal,

    .. math:: \text{out}_{ij} = \begin{cases} v_{\min(i, j)} & j - i = k \\
              0 & \text{otherwise} \end{cases}

    and for a 2-D ``v`` of shape ``(R, C)``, its ``k``-th diagonal as a vector,
    :math:`\text{out}_i = v_{i - \min(k, 0),\; i + \max(k, 0)}`.

    Backward (when ``v`` is a Tensor that requires grad): the two directions are each
    other's adjoint. For 1-D ``v``, :math:`\partial L/\partial v` is the ``k``-th
    diagonal of :math:`\partial L/\partial \text{out}`; for 2-D ``v``,
    :math:`\partial L/\partial v` is zero except on the ``k``-th diagonal, which holds
    :math:`\partial L/\partial \text{out}`.

    Parameters
    ----------
    v : Tensor or array_like, 1-D or 2-D
    k : int, default 0
        Which diagonal: ``k > 0`` above the main one, ``k < 0`` below.
    dtype : dtype, optional
        Convert to this dtype (default: ``v``'s).
    requires_grad : bool, default False
        Make the result a leaf that requires grad (when ``v`` is not in a graph).
    keep_grad : bool, default False
    device : {None, 'cpu'}
        lucid computes on the CPU; another device is an UnknownDeviceError (a ValueError).

    Returns
    -------
    Tensor
        2-D of shape ``(n + |k|, n + |k|)`` for 1-D ``v``; 1-D for 2-D ``v``.

    Raises
    ------
    TypeError
        ``k`` not an int; ``v`` not tensor-like; a bad ``dtype``.
    ValueError
        ``v`` neither 1-D nor 2-D.

    Examples
    --------
    >>> import lucid
    >>> v = lucid.tensor([1.0, 2.0], requires_grad=True)
    >>> m = lucid.diag(v, k=1)
    >>> print(m)
    Tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]], grad_fn=Diag)
    >>> lucid.exp(m).sum().backward()   # dL/dv = exp(v), read off the diagonal
    >>> v.grad
    array([2.718282 , 7.3890557], dtype=float32)
    >>> print(lucid.diag(lucid.tensor([[1, 2], [3, 4]])))
    Tensor([1, 4])
    """
    check_device(device, "diag")
    if not _is_int(k):
        raise TypeError(f"diag: k must be an int; got {k!r}")
    x = v if isinstance(v, Tensor) else _leaf(_array_of(v, "diag"), "diag")
    if x.ndim not in (1, 2):
        raise ValueError(f"diag: v must be 1-D or 2-D; got {x.ndim}-D with shape {x.shape}")
    if dtype is not None:
        dtype = _dtype(dtype, "diag", None)
        if x.requires_grad and dtype.kind not in "fc":
            raise TypeError(f"diag: a tensor that requires grad cannot be converted to dtype {dtype}")
    out = Diag.apply(x, k=int(k), dtype=dtype)
    if requires_grad and not out.requires_grad:
        out = _leaf(out.data, "diag", requires_grad=True)
    if keep_grad:
        out.keep_grad = True
    return out


# ------------------------------------------------------------------------- ranges
class _Default(float):
    """A default float that reads and computes as its value but is recognisably unset,
    so ``arange(5)`` stays integer while ``arange(5, step=1.0)`` is float."""


def arange(start=_Default(0.0), stop=None, step=_Default(1.0), dtype=None,
           requires_grad=False, keep_grad=False, device="cpu"):
    r"""Evenly spaced values in the half-open interval ``[start, stop)``.

    .. math:: \text{out}_i = \text{start} + i \cdot \text{step}, \qquad
              0 \le i < \left\lceil \frac{\text{stop} - \text{start}}{\text{step}} \right\rceil

    As ``np.arange``: with one argument it is ``stop`` (``arange(5)`` is 0 to 4).
    The dtype, when not given, is int64 if every argument given is an int and float32
    if any is a float (as in PyTorch). For a floating dtype the values are computed in
    float64 and then rounded to the dtype; for an integer dtype each argument is first
    truncated to an integer. Both give PyTorch's numbers (PyTorch's int32/int16 results
    take their length from the untruncated arguments; lucid keeps the int64 rule). A step of the wrong sign
    gives an empty tensor (as NumPy; PyTorch raises). Backward: none; the result is a leaf.

    Parameters
    ----------
    start : number, default 0
        First value (or ``stop``, when ``stop`` is None).
    stop : number, optional
        End of the interval, not included.
    step : number, default 1
        Spacing; not zero.
    dtype : dtype, optional
    requires_grad : bool, default False
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError (a ValueError).

    Returns
    -------
    Tensor
        1-D, a leaf.

    Raises
    ------
    TypeError
        An argument that is not a real number; a bad ``dtype``.
    ValueError
        ``step`` is zero (for an integer dtype: after truncation), or an argument is
        not finite.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.arange(5))
    Tensor([0, 1, 2, 3, 4])
    >>> print(lucid.arange(1, 2, 0.25))
    Tensor([1.0, 1.25, 1.5, 1.75])
    """
    check_device(device, "arange")
    if stop is None:
        start, stop = _Default(0.0), start
    for arg, value in (("start", start), ("stop", stop), ("step", step)):
        if not _is_number(value):
            raise TypeError(f"arange: {arg} must be a real number; got {value!r}")
        if not np.isfinite(value):
            raise ValueError(f"arange: {arg} must be finite; got {value}")
    given = [x for x in (start, stop, step) if not isinstance(x, _Default)]
    floating = any(isinstance(x, (float, np.floating)) for x in given)
    dtype = _dtype(dtype, "arange", _FLOAT if floating else np.int64)
    if dtype.kind in "iub":  # PyTorch first truncates each argument to an integer
        start, stop, step = int(start), int(stop), int(step)
    if step == 0:
        raise ValueError(f"arange: step must not be zero{'' if dtype.kind in 'fc' else ' (after truncation to an integer for dtype ' + str(dtype) + ')'}")
    if dtype.kind in "fc":
        values = np.arange(float(start), float(stop), float(step), dtype=np.float64)
    else:
        values = np.arange(start, stop, step, dtype=np.int64)
    return _leaf(values.astype(dtype), "arange", requires_grad, keep_grad)


def linspace(start, stop, num=50, dtype=None, requires_grad=False, keep_grad=False,
             device="cpu"):
    r"""``num`` evenly spaced values from ``start`` to ``stop``, both included.

    .. math:: \text{out}_i = \text{start} + i \, h, \qquad
              h = \frac{\text{stop} - \text{start}}{\text{num} - 1}

    To give PyTorch's numbers to the last bit, the values are computed the way
    PyTorch does: in the result's dtype, the first half counting up from ``start``
    (:math:`\text{start} + i h`) and the second half counting down from ``stop``
    (:math:`\text{stop} - (\text{num} - 1 - i) h`), so both ends are exact; each
    multiply-add is rounded once (a fused multiply-add, done here in extended
    precision). Integer dtypes compute in float64 and truncate. Backward: none; the
    result is a leaf.

    Parameters
    ----------
    start, stop : number
        The first and last values.
    num : int, default 50
        How many values; non-negative.
    dtype : dtype, optional
        Default float32.
    requires_grad : bool, default False
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError (a ValueError).

    Returns
    -------
    Tensor
        Shape ``(num,)``, a leaf.

    Raises
    ------
    TypeError
        ``start`` or ``stop`` not a real number, ``num`` not an int, a bad ``dtype``.
    ValueError
        ``num`` negative.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.linspace(0, 1, 5))
    Tensor([0.0, 0.25, 0.5, 0.75, 1.0])
    """
    check_device(device, "linspace")
    for arg, value in (("start", start), ("stop", stop)):
        if not _is_number(value):
            raise TypeError(f"linspace: {arg} must be a real number; got {value!r}")
    num = _count(num, "linspace", "num")
    dtype = _dtype(dtype, "linspace", _FLOAT)
    work = dtype if dtype.kind == "f" else np.dtype(np.float64)
    if dtype.kind in "iu":
        start, stop = int(start), int(stop)  # PyTorch converts the ends first
    a, b = work.type(start), work.type(stop)
    if num == 1:
        values = np.array([a], dtype=work)
    else:
        h = (b - a) / work.type(max(num - 1, 1))
        i = np.arange(num)
        wide = np.longdouble  # one rounding per multiply-add, as a fused multiply-add
        up = wide(a) + wide(h) * i.astype(wide)
        down = wide(b) - wide(h) * (num - 1 - i).astype(wide)
        values = np.where(i < num // 2, up, down).astype(work)
    return _leaf(values.astype(dtype), "linspace", requires_grad, keep_grad)
