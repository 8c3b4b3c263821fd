r"""Reductions: sum, mean, var, min, max, trace (NumPy-style ``axis`` / ``keepdims``).

A reduction collapses the axes listed in ``axis`` (all axes when ``axis`` is None)
into one value each. Its backward pass does the opposite: it *spreads* the gradient of
each output value back over the input elements that were reduced into it. Two helpers
do this for every op here:

* :func:`_expand` puts the reduced axes back into ``dL/dy`` with size 1, so that it
  broadcasts against the input;
* :func:`_count` is the number of input elements that went into each output value
  (the ``N`` of a mean or a variance).

Conventions shared by every reduction (they follow NumPy, like the original lucid):

* ``axis`` is an int, a tuple of ints or None; negative axes count from the end. An
  empty tuple ``axis=()`` reduces over *no* axis (NumPy's rule; ``torch.sum(x, dim=())``
  reduces over all of them instead).
* On a 0-d tensor, ``axis`` may be ``0`` or ``-1`` (as in PyTorch) and the result is the
  tensor's value.
* Results keep the input's dtype, except the mean and variance of an integer or bool
  tensor, which are float64 (NumPy's rule; ``torch.mean`` refuses integer tensors).
"""
import numpy as np

from lucid.autograd.function import Function
from lucid._checks import check_bool, normalize_axis, renamed
from lucid._tensor import Tensor
from lucid.ops._util import as_tensor, shared_doc

__all__ = ["sum", "mean", "var", "min", "max", "argmax", "argmin", "trace"]

#: PyTorch's names of the reduction arguments (``x.sum(dim=1, keepdim=True)``).
_TORCH_NAMES = renamed(dim="axis", keepdim="keepdims")

# note: this module's sum / min / max shadow the Python builtins inside it.


# ---------------------------------------------------------------- shared helpers
def _reduction_args(name, input_, axis, keepdims):
    """Validate the arguments every reduction takes; return ``(tensor, axis)``.

    ``axis`` comes back as None (all axes) or a non-negative int / tuple of ints.
    """
    x = as_tensor(input_)
    check_bool(keepdims, name, "keepdims")
    axis = normalize_axis(axis, x.ndim, name)
    if x.ndim == 0:
        axis = None  # axis 0 / -1 of a 0-d tensor: the reduction of one value is itself
    return x, axis


def _reduced_axes(ndim, axis):
    """The reduced axes as a tuple (``axis=None`` means every axis)."""
    if axis is None:
        return tuple(range(ndim))
    return axis if isinstance(axis, tuple) else (axis,)


def _count(shape, axis):
    """How many input elements go into each output value: the product of the reduced sizes."""
    n = 1
    for a in _reduced_axes(len(shape), axis):
        n *= shape[a]
    return n


def _expand(grad, shape, axis, keepdims):
    """Put back the reduced axes of ``grad`` (size 1) so it broadcasts to ``shape``."""
    if axis is None:
        return grad.reshape((1,) * len(shape))
    if not keepdims:
        grad = np.expand_dims(grad, axis)
    return grad


# Parameters / Returns / Raises of mean and var, word for word the same (shared_doc
# inserts them); sum, max and min say a little more, so they keep their own.
_REDUCTION_SECTIONS = """
Parameters
----------
input_ : Tensor
    Any shape.
axis : int or tuple of int, optional
    Axes to reduce; negative values count from the end. None: every axis.
keepdims : bool, default False
    Keep the reduced axes with size 1.

Returns
-------
Tensor
    ``input_``'s shape without the reduced axes (size 1 when ``keepdims``).

Raises
------
ValueError
    If an axis is out of range for ``input_.ndim`` or repeated.
TypeError
    If ``axis`` is not an int / tuple of ints, or ``keepdims`` not a bool.
"""


# ------------------------------------------------------------------------- sum
# [exercise: sum]
class Sum(Function):
    r"""``y = sum_{axis} x``;  ``dL/dx = broadcast(dL/dy)``."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def flops(ctx, out, x, axis=None, keepdims=False):
        """One addition per input element (the textbook count, rounded up)."""
        return int(x.size)

    @staticmethod
    def backward(ctx, grad):
        return np.broadcast_to(_expand(grad, ctx.shape, ctx.axis, ctx.keepdims), ctx.shape)
# [end exercise: sum]


@_TORCH_NAMES
def sum(input_, axis=None, keepdims=False):
    r"""Sum of the elements over ``axis`` (all axes when None).

    .. math:: y = \sum_{i \in \text{axis}} x_i

    The sum over an empty axis is 0. The result keeps the input's dtype (a bool tensor
    sums to int64, as in NumPy and PyTorch).

    Backward: every input element receives the gradient of the sum it went into,
    :math:`\partial L/\partial x_i = \partial L/\partial y`.

    Parameters
    ----------
    input_ : Tensor
        Any shape ``(d_0, ..., d_{n-1})``.
    axis : int or tuple of int, optional
        Axes to reduce; negative values count from the end. None: every axis.
    keepdims : bool, default False
        Keep the reduced axes with size 1 (so the result broadcasts against ``input_``).

    Returns
    -------
    Tensor
        ``input_``'s shape without the reduced axes (with them as 1 when ``keepdims``).

    Raises
    ------
    ValueError
        If an axis is out of range for ``input_.ndim`` or repeated.
    TypeError
        If ``axis`` is not an int / tuple of ints, or ``keepdims`` not a bool.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> print(lucid.sum(x, axis=0))
    Tensor([4.0, 6.0], grad_fn=Sum)
    >>> print(lucid.sum(x, axis=-1, keepdims=True))
    Tensor([[3.0], [7.0]], grad_fn=Sum)
    >>> x.sum().backward()
    >>> x.grad
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    x, axis = _reduction_args("sum", input_, axis, keepdims)
    return Sum.apply(x, axis=axis, keepdims=keepdims)


# ------------------------------------------------------------------------ mean
class Mean(Function):
    r"""``y = (1/N) sum_{axis} x``;  ``dL/dx = broadcast(dL/dy) / N``."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        n = _count(x.shape, axis)
        ctx.shape, ctx.axis, ctx.keepdims, ctx.n = x.shape, axis, keepdims, n
        with np.errstate(invalid="ignore", divide="ignore"):  # empty axis: 0 / 0 = nan
            return np.sum(x, axis=axis, keepdims=keepdims) / n

    @staticmethod
    def backward(ctx, grad):
        g = _expand(grad, ctx.shape, ctx.axis, ctx.keepdims)
        with np.errstate(invalid="ignore", divide="ignore"):  # N = 0: x is empty anyway
            return np.broadcast_to(g / ctx.n, ctx.shape)


@_TORCH_NAMES
@shared_doc(_REDUCTION_SECTIONS)
def mean(input_, axis=None, keepdims=False):
    r"""Arithmetic mean of the elements over ``axis`` (all axes when None).

    .. math:: y = \frac{1}{N} \sum_{i \in \text{axis}} x_i

    where :math:`N` is the number of elements reduced into each output value (the
    product of the reduced axes' sizes). The mean over an empty axis is ``nan``.

    Dtype: a floating tensor keeps its dtype; an integer or bool tensor gives float64,
    as in NumPy (``torch.mean`` refuses integer tensors).

    Backward: each input element contributes :math:`1/N` of the mean it went into,
    :math:`\partial L/\partial x_i = \frac{1}{N}\,\partial L/\partial y`.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True)
    >>> print(lucid.mean(x, axis=1))
    Tensor([1.5, 4.0], grad_fn=Mean)
    >>> lucid.mean(x).backward()
    >>> x.grad
    array([[0.25, 0.25],
           [0.25, 0.25]], dtype=float32)
    >>> print(lucid.mean(lucid.Tensor([1, 2])))
    Tensor(1.5, dtype=float64)
    """
    x, axis = _reduction_args("mean", input_, axis, keepdims)
    return Mean.apply(x, axis=axis, keepdims=keepdims)


# ------------------------------------------------------------------------- var
class Var(Function):
    r"""``y = (1/N) sum_{axis} (x - mean)^2``;  ``dL/dx = broadcast(dL/dy) * 2 (x - mean) / N``."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        n = _count(x.shape, axis)
        with np.errstate(invalid="ignore", divide="ignore"):  # empty axis: nan
            mu = np.sum(x, axis=axis, keepdims=True) / n
            centred = x - mu
            y = np.sum(centred * centred, axis=axis, keepdims=keepdims) / n
        ctx.shape, ctx.axis, ctx.keepdims, ctx.n = x.shape, axis, keepdims, n
        ctx.centred = centred
        return y

    @staticmethod
    def backward(ctx, grad):
        centred = ctx.centred
        g = _expand(grad, ctx.shape, ctx.axis, ctx.keepdims)
        with np.errstate(invalid="ignore", divide="ignore"):  # N = 0: x is empty anyway
            return g * (2 * centred / ctx.n)


@_TORCH_NAMES
@shared_doc(_REDUCTION_SECTIONS)
def var(input_, axis=None, keepdims=False):
    r"""Population variance (``ddof=0``) of the elements over ``axis`` (all axes when None).

    .. math::

        \mu = \frac{1}{N} \sum_{i \in \text{axis}} x_i, \qquad
        y = \frac{1}{N} \sum_{i \in \text{axis}} (x_i - \mu)^2

    where :math:`N` is the number of elements reduced into each output value. This is
    the *biased* (population) estimator that NumPy's ``np.var`` and the original lucid
    compute. ``torch.var`` defaults to the *unbiased* estimator (divides by
    :math:`N - 1`); the PyTorch equivalent of this function is
    ``torch.var(x, dim, correction=0)``. The variance over an empty axis is ``nan``;
    an integer or bool tensor gives float64 (as in NumPy).

    Backward: :math:`\mu` depends on every :math:`x_i`, but its contribution cancels
    because the deviations sum to zero, :math:`\sum_j (x_j - \mu) = 0`, leaving

    .. math:: \frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial y}
              \cdot \frac{2}{N} (x_i - \mu)

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0, 3.0, 6.0], requires_grad=True)
    >>> v = lucid.var(x)
    >>> print(v)
    Tensor(3.5, grad_fn=Var)
    >>> v.backward()
    >>> x.grad
    array([-1. , -0.5,  0. ,  1.5], dtype=float32)
    """
    x, axis = _reduction_args("var", input_, axis, keepdims)
    return Var.apply(x, axis=axis, keepdims=keepdims)


# -------------------------------------------------------------------- min, max
def _check_not_empty(name, x, axis):
    """Max / min have no identity: reducing over an axis of size 0 has no answer."""
    for a in _reduced_axes(x.ndim, axis):
        if x.shape[a] == 0:
            raise ValueError(
                f"{name}: cannot reduce over axis {a} of size 0 (input shape {x.shape}): "
                f"an empty set has no {name.removeprefix('arg')}imum"
            )


class _Extreme(Function):
    r"""Shared backward of max and min: the gradient goes to the elements equal to the
    result, split evenly among ties (``dL/dx_i = dL/dy * [x_i = y] / #{j : x_j = y}``).

    The subclasses' ``forward`` save ``x`` and the result ``y``.
    """

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.x, ctx.y
        winners = x == _expand(np.asarray(y), ctx.shape, ctx.axis, ctx.keepdims)
        ties = np.sum(winners, axis=ctx.axis, keepdims=True).astype(grad.dtype)
        g = _expand(grad, ctx.shape, ctx.axis, ctx.keepdims)
        with np.errstate(invalid="ignore", divide="ignore"):  # a nan result has no winner
            return g / ties * winners


class Max(_Extreme):
    r"""``y = max_{axis} x``;  the gradient is split evenly among the maximal elements."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        y = np.max(x, axis=axis, keepdims=keepdims)
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        ctx.x, ctx.y = x, y
        return y


class Min(_Extreme):
    r"""``y = min_{axis} x``;  the gradient is split evenly among the minimal elements."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        y = np.min(x, axis=axis, keepdims=keepdims)
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        ctx.x, ctx.y = x, y
        return y


@_TORCH_NAMES
def max(input_, axis=None, keepdims=False):
    r"""Largest element over ``axis`` (all axes when None).

    .. math:: y = \max_{i \in \text{axis}} x_i

    Like NumPy (and ``torch.amax``), a ``nan`` in a reduced slice makes its result
    ``nan``, and the dtype is kept.

    Backward: only the elements equal to the maximum receive gradient. When several
    elements tie for the maximum, the gradient is split evenly among them, as
    ``torch.amax`` does:

    .. math:: \frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial y}
              \cdot \frac{[x_i = y]}{\#\{j : x_j = y\}}

    (``torch.max(x, dim)``, which also returns indices, sends all of it to one index
    instead.)

    Parameters
    ----------
    input_ : Tensor
        Any shape; every reduced axis must have at least one element.
    axis : int or tuple of int, optional
        Axes to reduce; negative values count from the end. None: every axis.
    keepdims : bool, default False
        Keep the reduced axes with size 1.

    Returns
    -------
    Tensor
        ``input_``'s shape without the reduced axes (size 1 when ``keepdims``).

    Raises
    ------
    ValueError
        If an axis is out of range or repeated, or a reduced axis has size 0
        (the maximum of nothing is undefined).
    TypeError
        If ``axis`` is not an int / tuple of ints, or ``keepdims`` not a bool.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]], requires_grad=True)
    >>> y = lucid.max(x, axis=1)
    >>> print(y)
    Tensor([3.0, 2.0], grad_fn=Max)
    >>> y.sum().backward()
    >>> x.grad
    array([[0. , 0.5, 0.5],
           [1. , 0. , 0. ]], dtype=float32)
    """
    x, axis = _reduction_args("max", input_, axis, keepdims)
    _check_not_empty("max", x, axis)
    return Max.apply(x, axis=axis, keepdims=keepdims)


@_TORCH_NAMES
def min(input_, axis=None, keepdims=False):
    r"""Smallest element over ``axis`` (all axes when None).

    .. math:: y = \min_{i \in \text{axis}} x_i

    Like NumPy (and ``torch.amin``), a ``nan`` in a reduced slice makes its result
    ``nan``, and the dtype is kept.

    Backward: only the elements equal to the minimum receive gradient, split evenly
    among ties as ``torch.amin`` does:

    .. math:: \frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial y}
              \cdot \frac{[x_i = y]}{\#\{j : x_j = y\}}

    Parameters
    ----------
    input_ : Tensor
        Any shape; every reduced axis must have at least one element.
    axis : int or tuple of int, optional
        Axes to reduce; negative values count from the end. None: every axis.
    keepdims : bool, default False
        Keep the reduced axes with size 1.

    Returns
    -------
    Tensor
        ``input_``'s shape without the reduced axes (size 1 when ``keepdims``).

    Raises
    ------
    ValueError
        If an axis is out of range or repeated, or a reduced axis has size 0.
    TypeError
        If ``axis`` is not an int / tuple of ints, or ``keepdims`` not a bool.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 1.0], [4.0, 2.0]], requires_grad=True)
    >>> y = lucid.min(x)
    >>> print(y)
    Tensor(1.0, grad_fn=Min)
    >>> y.backward()
    >>> x.grad
    array([[0.5, 0.5],
           [0. , 0. ]], dtype=float32)
    """
    x, axis = _reduction_args("min", input_, axis, keepdims)
    _check_not_empty("min", x, axis)
    return Min.apply(x, axis=axis, keepdims=keepdims)


# ------------------------------------------------------------------ argmax, argmin
# Parameters / Returns / Raises of argmax and argmin (shared_doc inserts them)
_POSITION_SECTIONS = """
Parameters
----------
input_ : Tensor
    Any shape, real dtype; the reduced axis must not be empty.
axis : int, optional
    One axis; negative counts from the end. None: the flattened tensor.
keepdims : bool, default False

Returns
-------
Tensor
    int64: ``input_``'s shape without ``axis`` (size 1 with ``keepdims``).

Raises
------
ValueError
    An axis out of range, or an empty reduced axis.
TypeError
    ``axis`` a tuple, ``keepdims`` not a bool, or a complex input.
"""


def _position_of(name, pick, input_, axis, keepdims):
    """Where ``pick`` (np.argmax / np.argmin) finds its element: over the flattened
    tensor when ``axis`` is None, else along the one ``axis``."""
    x = as_tensor(input_)
    check_bool(keepdims, name, "keepdims")
    if x.dtype.kind == "c":
        raise TypeError(f"{name}: complex values have no order; got dtype {x.dtype}")
    if axis is None:
        if x.size == 0:
            raise ValueError(f"{name}: an empty tensor (shape {x.shape}) has no {name[3:]}imum")
        flat = pick(x.data.reshape(-1))
        out = np.full((1,) * x.ndim if keepdims else (), flat, dtype=np.int64)
        return Tensor._wrap(out)
    if isinstance(axis, (tuple, list)):
        raise TypeError(f"{name}: axis must be one int (or None); got {axis!r}")
    a = normalize_axis(axis, x.ndim, name)
    if x.ndim == 0:
        return Tensor._wrap(np.zeros((), dtype=np.int64))
    _check_not_empty(name, x, a)
    out = pick(x.data, axis=a, keepdims=keepdims)
    return Tensor._wrap(np.asarray(out, dtype=np.int64))


@_TORCH_NAMES
@shared_doc(_POSITION_SECTIONS)
def argmax(input_, axis=None, keepdims=False):
    r"""Index of the largest element over ``axis`` (of the flattened tensor when None).

    .. math:: y = \operatorname*{arg\,max}_{i \in \text{axis}} x_i

    The first index wins among equal maxima, and a ``nan`` counts as the largest value
    (NumPy's and PyTorch's rules). With ``axis=None`` the index is into the flattened
    tensor (``keepdims`` then keeps every axis with size 1, as PyTorch).

    Backward: none; an index is an integer (the result never requires grad).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]])
    >>> print(lucid.argmax(x, axis=1))
    Tensor([1, 0])
    >>> print(x.argmax())              # into the flattened tensor
    Tensor(3)
    >>> print(x.argmax(dim=0, keepdim=True))
    Tensor([[1, 0, 0]])
    """
    return _position_of("argmax", np.argmax, input_, axis, keepdims)


@_TORCH_NAMES
@shared_doc(_POSITION_SECTIONS)
def argmin(input_, axis=None, keepdims=False):
    r"""Index of the smallest element over ``axis`` (of the flattened tensor when None).

    .. math:: y = \operatorname*{arg\,min}_{i \in \text{axis}} x_i

    The first index wins among equal minima; a ``nan`` counts as the smallest value
    (it is where NumPy's and PyTorch's ``argmin`` stop). With ``axis=None`` the index
    is into the flattened tensor.

    Backward: none; an index is an integer (the result never requires grad).

    Examples
    --------
    >>> import lucid
    >>> print(lucid.argmin(lucid.Tensor([[3.0, -1.0], [-2.0, -2.0]]), dim=1))
    Tensor([1, 0])
    """
    return _position_of("argmin", np.argmin, input_, axis, keepdims)


# ----------------------------------------------------------------------- trace
class Trace(Function):
    r"""``y = sum_i x_ii``;  ``dL/dx = dL/dy * I`` (the identity, of ``x``'s shape)."""

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return np.trace(x)

    @staticmethod
    def backward(ctx, grad):
        rows, cols = ctx.shape
        return grad * np.eye(rows, cols, dtype=grad.dtype)


def trace(input_):
    r"""Sum of the main diagonal of a matrix.

    .. math:: y = \sum_{i=0}^{\min(m, n) - 1} x_{ii}

    for ``input_`` of shape ``(m, n)``; the matrix need not be square (as in
    ``torch.trace``). The result is 0-d and keeps the dtype.

    Backward: the diagonal elements each receive :math:`\partial L/\partial y`, the
    others nothing, :math:`\partial L/\partial x = \partial L/\partial y \cdot I_{m
    \times n}`.

    Parameters
    ----------
    input_ : Tensor
        Shape ``(m, n)``.

    Returns
    -------
    Tensor
        0-d.

    Raises
    ------
    ValueError
        If ``input_`` is not 2-D.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> t = lucid.trace(x)
    >>> print(t)
    Tensor(5.0, grad_fn=Trace)
    >>> t.backward()
    >>> x.grad
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    x = as_tensor(input_)
    if x.ndim != 2:
        raise ValueError(f"trace: input_ must be a 2-D tensor (a matrix); got shape {x.shape} ({x.ndim}-D)")
    return Trace.apply(x)
