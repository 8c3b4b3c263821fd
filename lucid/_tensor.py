"""``Tensor``: one NumPy array (``.data``) plus what reverse-mode autograd needs.

A Tensor holds

* ``data`` — the values, an ``np.ndarray``;
* ``requires_grad`` — whether gradients flow to it (floating tensors only);
* ``grad`` — after ``backward()``, ``dL/d(self)``: an ``np.ndarray`` of the same shape and
  dtype as ``data``, or None;
* ``_node`` — for a result of an operation, the graph node (a
  :class:`~lucid.autograd.Function` context) that made it; None for a leaf.

Dtype rules: Python floats become ``float32`` (the default float dtype), Python ints
``int64`` and bools ``bool``; NumPy arrays keep their dtype. Operations between tensors
of different dtypes follow NumPy's promotion rules (``float32 + float64 -> float64``,
``int64 + float32 -> float64``); a Python number never changes a tensor's dtype
(``float32_tensor * 2.5`` stays ``float32``).
"""
import weakref

import numpy as np

from lucid import _dtypes

__all__ = ["Tensor"]

_DEFAULT_FLOAT = np.float32


def _is_float(dtype):
    return dtype.kind in "fc"


def _to_array(data, dtype):
    """Turn ``data`` (scalar, nested list, ndarray, Tensor) into an ndarray, the lucid way."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = _resolve_dtype(dtype)
        return np.array(data, dtype=dtype, copy=True)
    if isinstance(data, np.ndarray):
        return data.copy()
    if isinstance(data, np.generic):
        return np.array(data)
    try:
        arr = np.array(data)
    except ValueError:
        raise ValueError(
            "Tensor: nested lists must be rectangular (every row the same length); "
            f"got {data!r:.80}"
        ) from None
    if arr.dtype == np.float64:          # Python floats -> the default float dtype
        arr = arr.astype(_DEFAULT_FLOAT)
    elif arr.dtype.kind == "i" and arr.dtype != np.int64:
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "biufc":
        raise TypeError(
            f"Tensor: data must be numbers, nested lists of numbers, an ndarray or a "
            f"Tensor; got {type(data).__name__} (NumPy dtype {arr.dtype})"
        )
    return arr


def _resolve_dtype(dtype):
    """Accept lucid dtypes, NumPy dtypes and names, float (float32), int (int64), bool;
    TypeError naming the value for anything lucid cannot hold (see lucid._dtypes)."""
    return _dtypes.resolve_dtype(dtype)


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Parameters
    ----------
    data : scalar, nested list, np.ndarray or Tensor
        The values. They are copied: the Tensor never shares memory with ``data``.
    requires_grad : bool, default False
        Record operations on this tensor so ``backward()`` can fill its ``.grad``.
        Only floating tensors may require grad.
    keep_grad : bool, default False
        For a non-leaf tensor, keep its ``.grad`` after ``backward()`` (PyTorch's
        ``retain_grad``). Leaves always keep theirs.
    dtype : dtype, optional
        Element type. Default: float32 for Python floats, int64 for ints, bool for bools,
        the array's own dtype for ndarrays.
    device : {'cpu'}
        lucid computes on the CPU only.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x.dtype
    dtype('float32')
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([[2., 4.],
           [6., 8.]], dtype=float32)
    >>> print(lucid.Tensor([[[1.0, 2.5, 4.0, 1.5]]]))
    Tensor([[[1.0, 2.5, 4.0, 1.5]]])
    """

    __slots__ = ("data", "grad", "requires_grad", "_keep_grad", "_node", "_hooks", "_flops", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor

    def __init__(self, data, requires_grad=False, keep_grad=False, dtype=None, device="cpu"):
        if device != "cpu":
            raise ValueError(f"Tensor: device must be 'cpu' (lucid computes on the CPU); got {device!r}")
        arr = _to_array(data, dtype)
        if requires_grad and not _is_float(arr.dtype):
            raise TypeError(
                f"Tensor: only floating tensors can require grad; got dtype {arr.dtype}. "
                "Pass float data or dtype=lucid.Float32."
            )
        self._init(arr, bool(requires_grad), None, bool(keep_grad))

    def _init(self, data, requires_grad, node, keep_grad=False):
        """The one place a Tensor's fields are set (``__init__`` and ``_wrap`` call it)."""
        self.data = data
        self.grad = None
        self.requires_grad = requires_grad
        self._node = node
        self._hooks = None
        self._flops = None
        self._keep_grad = keep_grad

    @classmethod
    def _wrap(cls, array, requires_grad=False, node=None):
        """Wrap an ndarray without copying (internal: op results, no-grad computations)."""
        t = cls.__new__(cls)
        t._init(array, requires_grad, node)
        return t

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self):
        return "cpu"

    @property
    def is_leaf(self):
        """True for tensors made by the user, False for results of recorded operations."""
        return self._node is None

    @property
    def flops(self):
        """Floating-point operations that produced this tensor, each operation counted
        once (recorded inside ``lucid.count_flops()``; 0 for tensors made outside it)."""
        return _flops.total_flops(self)

    @property
    def grad_fn(self):
        """The graph node that made this tensor (None for a leaf)."""
        return self._node

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __hash__(self):
        return id(self)

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    # --------------------------------------------------------------- conversion
    def numpy(self):
        """The values as an ndarray sharing the tensor's memory.

        For a tensor that requires grad the array is a **read-only** view: writing into
        it would change values the graph uses without autograd knowing (PyTorch refuses
        ``numpy()`` there; lucid hands out a view you can read). For a writable array
        take ``x.detach().numpy()`` (the same memory: changing it changes ``x``, and a
        backward that needs the old values then raises) or ``x.numpy().copy()``.

        Examples
        --------
        >>> import lucid
        >>> w = lucid.Tensor([1.0, 2.0], requires_grad=True)
        >>> a = w.numpy()
        >>> a.flags.writeable
        False
        >>> b = w.detach().numpy()
        >>> b[0] = 5.0                  # the same memory: w changes too
        >>> print(w)
        Tensor([5.0, 2.0], requires_grad=True)
        """
        if self.requires_grad:
            view = self.data.view()
            view.flags.writeable = False
            return view
        return self.data

    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted; this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        """The values as (nested) Python lists."""
        return self.data.tolist()

    def astype(self, dtype):
        """A copy converted to ``dtype``; differentiable between floating dtypes."""
        return _ops.astype(self, dtype)

    def to(self, device):
        """Move to ``device``; lucid has only ``'cpu'``, so this returns ``self``."""
        if device != "cpu":
            raise ValueError(f"to: device must be 'cpu' (lucid computes on the CPU); got {device!r}")
        return self

    def detach(self):
        """A tensor sharing this one's values, cut from the graph (requires no grad)."""
        return Tensor._wrap(self.data)

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=False):
        """Compute the gradient of this tensor with respect to the graph's leaves.

        Parameters
        ----------
        gradient : array_like or Tensor, optional
            ``dL/d(self)``. May be left out only for one-element tensors (then 1).
        retain_graph : bool, default False
            Keep the graph so ``backward`` can run through it again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no graph; create the "
                "inputs with requires_grad=True (and not inside no_grad())"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be created implicitly only for one-element outputs; "
                    f"this tensor has shape {self.shape}. Pass gradient= of that shape, "
                    "or reduce it first (e.g. .sum())."
                )
            grad = np.ones_like(self.data)
        else:
            grad = np.array(gradient.data if isinstance(gradient, Tensor) else gradient,
                            dtype=self.data.dtype)
            if grad.shape != self.data.shape:
                raise ValueError(
                    f"backward: gradient has shape {grad.shape} but the tensor has shape {self.shape}"
                )
        _engine.backward(self, grad, retain_graph=retain_graph)

    def zero_grad(self):
        """Forget the accumulated gradient (``.grad`` becomes None)."""
        self.grad = None

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed.

        The hook receives ``dL/d(self)`` as an ndarray and may return a replacement.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not require grad")
        owner = self if self._node is None else self._node
        if owner._hooks is None:
            owner._hooks = []
        owner._hooks.append(hook)
        return hook

    @property
    def keep_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after ``backward()`` (leaves always do)."""
        return self._keep_grad

    @keep_grad.setter
    def keep_grad(self, value):
        self._keep_grad = bool(value)
        if value and self._node is not None:
            # the node holds only a weak reference: no tensor <-> node cycle
            self._node._keep = weakref.ref(self)

    # ------------------------------------------------------------------ display
    def __repr__(self):
        return _format.tensor_repr(self)

    __str__ = __repr__

    # ---------------------------------------------------------------- operators
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.sub(self, other)
    def __rsub__(self, other): return _ops.sub(other, self)
    def __mul__(self, other): return _ops.multiply(self, other)
    def __rmul__(self, other): return _ops.multiply(other, self)
    def __truediv__(self, other): return _ops.div(self, other)
    def __rtruediv__(self, other): return _ops.div(other, self)
    def __pow__(self, other): return _ops.power(self, other)
    def __rpow__(self, other): return _ops.power(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __neg__(self): return _ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    def __eq__(self, other): return _ops.equal(self, other)
    def __ne__(self, other): return _ops.not_equal(self, other)
    def __lt__(self, other): return _ops.less(self, other)
    def __le__(self, other): return _ops.less_equal(self, other)
    def __gt__(self, other): return _ops.greater(self, other)
    def __ge__(self, other): return _ops.greater_equal(self, other)
    def __and__(self, other): return _ops.logical_and(self, other)
    def __rand__(self, other): return _ops.logical_and(other, self)
    def __or__(self, other): return _ops.logical_or(self, other)
    def __ror__(self, other): return _ops.logical_or(other, self)
    def __invert__(self): return _ops.logical_not(self)
    # In place (``lucid.autograd.inplace``): the tensor's own memory changes, as in
    # PyTorch; a leaf that requires grad refuses outside no_grad().
    def __iadd__(self, other): return _inplace.update(self, "+=", _ops.add, other)
    def __isub__(self, other): return _inplace.update(self, "-=", _ops.sub, other)
    def __imul__(self, other): return _inplace.update(self, "*=", _ops.multiply, other)
    def __itruediv__(self, other): return _inplace.update(self, "/=", _ops.div, other)
    def __ipow__(self, other): return _inplace.update(self, "**=", _ops.power, other)
    def __getitem__(self, index): return _ops.getitem(self, index)
    def __setitem__(self, index, value): _ops.setitem(self, index, value)

    @property
    def T(self):
        """All axes reversed (``transpose()``)."""
        return _ops.transpose(self)

    @property
    def mT(self):
        """The last two axes swapped (a batch of matrices transposed)."""
        return _ops.swapaxes(self, -2, -1)

    # --------------------------------------------------------- in-place methods
    def add_(self, other, alpha=1):
        """``self += alpha * other`` in place; returns ``self``."""
        return _inplace.update(self, "add_", _ops.add, _scaled(other, alpha, "add_"))

    def sub_(self, other, alpha=1):
        """``self -= alpha * other`` in place; returns ``self``."""
        return _inplace.update(self, "sub_", _ops.sub, _scaled(other, alpha, "sub_"))

    def mul_(self, other):
        """``self *= other`` in place; returns ``self``."""
        return _inplace.update(self, "mul_", _ops.multiply, other)

    def div_(self, other):
        """``self /= other`` in place; returns ``self``."""
        return _inplace.update(self, "div_", _ops.div, other)

    def clamp_(self, min=None, max=None):  # noqa: A002  (PyTorch's argument names)
        """Clamp every element into ``[min, max]`` in place; returns ``self``."""
        return _inplace.update(self, "clamp_", _ops.clip, min, max)

    def fill_(self, value):
        """Set every element to the number ``value`` in place; returns ``self``."""
        return _inplace.update(self, "fill_", _replaced, _number(value, "fill_"),
                              casting="unsafe")

    def zero_(self):
        """Set every element to 0 in place; returns ``self``."""
        return _inplace.update(self, "zero_", _replaced, 0, casting="unsafe")

    def copy_(self, src):
        """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor's
        memory; the gradient flows to ``src``. Returns ``self``."""
        return _inplace.update(self, "copy_", _replaced, src, casting="unsafe")

    def uniform_(self, low=0.0, high=1.0):
        """Fill in place with samples of U(low, high) from ``lucid.random``; returns ``self``."""
        low, high = _number(low, "uniform_"), _number(high, "uniform_")
        values = _random.generator().uniform(low, high, self.data.shape)
        return _inplace.update(self, "uniform_", _replaced, values, casting="unsafe")

    def normal_(self, mean=0.0, std=1.0):
        """Fill in place with samples of N(mean, std**2) from ``lucid.random``; returns ``self``."""
        mean, std = _number(mean, "normal_"), _number(std, "normal_")
        if std < 0:
            raise ValueError(f"normal_: std must be >= 0; got {std}")
        values = _random.generator().normal(mean, std, self.data.shape)
        return _inplace.update(self, "normal_", _replaced, values, casting="unsafe")

    # ------------------------------------------------------------------ methods
    def exp(self): return _ops.exp(self)
    def log(self): return _ops.log(self)
    def log2(self): return _ops.log2(self)
    def sqrt(self): return _ops.sqrt(self)
    def sin(self): return _ops.sin(self)
    def cos(self): return _ops.cos(self)
    def tan(self): return _ops.tan(self)
    def sinh(self): return _ops.sinh(self)
    def cosh(self): return _ops.cosh(self)
    def tanh(self): return _ops.tanh(self)
    def arcsin(self): return _ops.arcsin(self)
    def arccos(self): return _ops.arccos(self)
    def arctan(self): return _ops.arctan(self)
    def abs(self): return _ops.abs(self)
    def sign(self): return _ops.sign(self)
    def reciprocal(self): return _ops.reciprocal(self)
    def square(self): return _ops.square(self)
    def cube(self): return _ops.cube(self)
    def round(self, decimals=0): return _ops.round(self, decimals)
    def floor(self): return _ops.floor(self)
    def ceil(self): return _ops.ceil(self)
    def clip(self, min_value=None, max_value=None): return _ops.clip(self, min_value, max_value)
    def sum(self, axis=None, keepdims=False): return _ops.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return _ops.mean(self, axis, keepdims)
    def var(self, axis=None, keepdims=False): return _ops.var(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return _ops.min(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return _ops.max(self, axis, keepdims)
    def trace(self): return _ops.trace(self)
    def reshape(self, *shape): return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)
    def squeeze(self, axis=None): return _ops.squeeze(self, axis)
    def unsqueeze(self, axis): return _ops.unsqueeze(self, axis)
    def expand_dims(self, axis): return _ops.expand_dims(self, axis)
    def ravel(self): return _ops.ravel(self)
    def flatten(self, start_axis=0, end_axis=-1): return _ops.flatten(self, start_axis, end_axis)
    def transpose(self, axes=None): return _ops.transpose(self, axes)
    def swapaxes(self, axis1, axis2): return _ops.swapaxes(self, axis1, axis2)
    def split(self, size_or_sections, axis=0): return _ops.split(self, size_or_sections, axis)
    def chunk(self, chunks, axis=0): return _ops.chunk(self, chunks, axis)
    def unbind(self, axis=0): return _ops.unbind(self, axis)
    def repeat(self, repeats, axis=None): return _ops.repeat(self, repeats, axis)
    def tile(self, reps): return _ops.tile(self, reps)
    def broadcast_to(self, shape): return _ops.broadcast_to(self, shape)
    def masked_fill(self, mask, value): return _ops.masked_fill(self, mask, value)
    def pad(self, pad_width, mode="constant", constant_values=0): return _ops.pad(self, pad_width, mode, constant_values)
    def matmul(self, other): return _ops.matmul(self, other)
    def dot(self, other): return _ops.dot(self, other)
    def sort(self, axis=-1, descending=False): return _ops.sort(self, axis, descending)
    def argsort(self, axis=-1, descending=False): return _ops.argsort(self, axis, descending)
    def topk(self, k, axis=-1, largest=True, sorted=True): return _ops.topk(self, k, axis, largest, sorted)
    def nonzero(self): return _ops.nonzero(self)
    def unique(self, sorted=True, return_counts=False, return_inverse=False, axis=None):
        return _ops.unique(self, sorted, return_counts, return_inverse, axis)
    def histogram(self, bins=10, range=None, density=False): return _ops.histogram(self, bins, range, density)
    def roll(self, shifts, axis=None): return _ops.roll(self, shifts, axis)
    def tril(self, diagonal=0): return _ops.tril(self, diagonal)
    def triu(self, diagonal=0): return _ops.triu(self, diagonal)
    def any(self, axis=None, keepdims=False): return Tensor._wrap(np.asarray(self.data.any(axis=axis, keepdims=keepdims)))
    def all(self, axis=None, keepdims=False): return Tensor._wrap(np.asarray(self.data.all(axis=axis, keepdims=keepdims)))


def _number(value, what):
    """A real number (or a one-element tensor's value) for an in-place method."""
    if isinstance(value, Tensor):
        if value.data.size != 1:
            raise ValueError(f"{what}: expected a number or a one-element tensor; got a "
                             f"tensor of shape {value.shape}")
        value = value.data.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{what}: expected a real number; got {value!r}")
    return value


def _scaled(other, alpha, what):
    alpha = _number(alpha, what)
    return other if alpha == 1 else other * alpha


def _replaced(current, new):
    """``new`` broadcast over ``current``'s shape: the result of fill_/copy_. Written as a
    choice so that ``current``'s old value gets a zero gradient and ``new`` its own."""
    return _ops.where(np.ones(current.shape, dtype=bool), new, current)


from lucid import _format  # noqa: E402
from lucid.autograd import engine as _engine  # noqa: E402
from lucid.autograd import inplace as _inplace  # noqa: E402
from lucid.autograd import flops as _flops  # noqa: E402
from lucid import ops as _ops  # noqa: E402  (ops import Tensor from this module)
from lucid import random as _random  # noqa: E402
