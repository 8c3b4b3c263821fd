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
from lucid._checks import check_bool, check_device, device_or_dtype, is_int, renamed

__all__ = ["Tensor"]

_DEFAULT_FLOAT = np.float32


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
        Integer and bool tensors may require grad too (as in the original lucid);
        their gradient is floating (float64 unless a floating gradient arrives), never
        truncated to integers.
    keep_grad : bool, default False
        For a non-leaf tensor, keep its ``.grad`` after ``backward()`` (PyTorch's
        ``retain_grad``). Leaves always keep theirs.
    dtype : dtype, optional
        Element type. Default: float32 for Python floats, int64 for ints, bool for bools,
        the array's own dtype for ndarrays.
    device : {'cpu'}
        lucid computes on the CPU only; another device is a
        :class:`~lucid.UnknownDeviceError` that says what is missing.

    Notes
    -----
    ``x.size`` is the number of elements, as in the original lucid and NumPy; it is
    also callable the PyTorch way: ``x.size()`` is the shape and ``x.size(0)`` one
    axis's length. ``int(x)``, ``float(x)`` and ``bool(x)`` convert a one-element
    tensor.

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
    >>> x.size, x.size(), x.size(0)
    (4, (2, 2), 2)
    >>> n = lucid.Tensor([1, 2, 3], requires_grad=True)   # integers may require grad
    >>> (n * n).sum().backward()
    >>> n.grad
    array([2., 4., 6.])
    """

    __slots__ = ("data", "grad", "requires_grad", "_keep_grad", "_node", "_hooks", "_flops", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor

    def __init__(self, data, requires_grad=False, keep_grad=False, dtype=None, device="cpu"):
        check_device(device, "Tensor")
        arr = _to_array(data, dtype)
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
        """The number of elements (an int); also callable: ``size()`` is the shape,
        ``size(axis)`` one axis's length (PyTorch's ``size``)."""
        return _ElementCount(self.data.size, self.data.shape)

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

    def __int__(self):
        return int(self._one_value("int"))

    def __float__(self):
        return float(self._one_value("float"))

    def _one_value(self, what):
        if self.data.size != 1:
            raise TypeError(f"{what}(): only one-element tensors can be converted to a "
                            f"Python number; this one has shape {self.shape}")
        return self.data.item()

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

    def to(self, device=None, dtype=None):
        """Move to ``device`` and/or convert to ``dtype``.

        lucid has one device, ``'cpu'``, so moving returns ``self``; any other device is
        an :class:`~lucid.UnknownDeviceError`. As in PyTorch, the first argument may
        also be a dtype (``x.to(lucid.float64)``) or a tensor whose dtype to take.

        Examples
        --------
        >>> import lucid
        >>> x = lucid.Tensor([1.0, 2.0])
        >>> x.to("cpu") is x
        True
        >>> x.to(lucid.float64).dtype
        dtype('float64')
        """
        if device is not None:
            found = device_or_dtype(device, "to")
            dtype = found if dtype is None else dtype
        if dtype is None or _resolve_dtype(dtype) == self.dtype:
            return self
        return _ops.astype(self, dtype)

    def detach(self):
        """A tensor sharing this one's values, cut from the graph (requires no grad)."""
        return Tensor._wrap(self.data)

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=False, keep_grad=False):
        r"""Compute the gradient of this tensor with respect to the graph's leaves.

        Without ``gradient`` the seed is a tensor of ones of this tensor's shape, as in
        the original lucid: for a non-scalar ``y`` that is the gradient of
        ``y.sum()``, :math:`\partial L/\partial y_i = 1`. (PyTorch refuses to guess
        for a non-scalar and asks for ``gradient``; pass it to seed anything else.)

        Parameters
        ----------
        gradient : array_like or Tensor, optional
            ``dL/d(self)``, of this tensor's shape. Default: ones.
        retain_graph : bool, default False
            Keep the graph so ``backward`` can run through it again.
        keep_grad : bool, default False
            Also keep the ``.grad`` of every intermediate (non-leaf) tensor of the graph
            (the original lucid's ``backward(keep_grad=True)``; one tensor at a time:
            its ``keep_grad`` attribute, PyTorch's ``retain_grad()``).

        Raises
        ------
        RuntimeError
            If this tensor does not require grad.
        ValueError
            If ``gradient`` does not have this tensor's shape.
        lucid.BackwardError
            If an operation's backward fails (the error it raised is chained).

        Examples
        --------
        >>> import lucid
        >>> x = lucid.Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> y = x * x                 # not a scalar: the seed is ones, d(sum y)/dx
        >>> y.backward()
        >>> x.grad
        array([2., 4., 6.], dtype=float32)
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no graph; create the "
                "inputs with requires_grad=True (and not inside no_grad())"
            )
        dtype = _engine.grad_dtype(self.data.dtype)
        if gradient is None:
            grad = np.ones(self.data.shape, dtype=dtype)
        else:
            grad = np.array(gradient.data if isinstance(gradient, Tensor) else gradient,
                            dtype=dtype)
            if grad.shape != self.data.shape:
                raise ValueError(
                    f"backward: gradient has shape {grad.shape} but the tensor has shape {self.shape}"
                )
        if not check_bool(keep_grad, "backward", "keep_grad"):
            _engine.backward(self, grad, retain_graph=retain_graph)
            return
        kept = _keep_all_grads(self)
        try:
            _engine.backward(self, grad, retain_graph=retain_graph)
        finally:
            for t in kept:
                t.keep_grad = False

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
        if self._node is not None:
            # the node holds only a weak reference: no tensor <-> node cycle
            self._node._keep = weakref.ref(self) if value else None

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
    # Each calls the function of lucid.ops (or lucid.nn.functional) of the same name,
    # which checks the arguments and takes PyTorch's names as well (dim=, keepdim=).
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
    def clip(self, *args, **kwargs): return _ops.clip(self, *args, **kwargs)
    def sum(self, *args, **kwargs): return _ops.sum(self, *args, **kwargs)
    def mean(self, *args, **kwargs): return _ops.mean(self, *args, **kwargs)
    def var(self, *args, **kwargs): return _ops.var(self, *args, **kwargs)
    def min(self, *args, **kwargs): return _ops.min(self, *args, **kwargs)
    def max(self, *args, **kwargs): return _ops.max(self, *args, **kwargs)
    def trace(self): return _ops.trace(self)
    def reshape(self, *shape): return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)
    def squeeze(self, *args, **kwargs): return _ops.squeeze(self, *args, **kwargs)
    def unsqueeze(self, *args, **kwargs): return _ops.unsqueeze(self, *args, **kwargs)
    def expand_dims(self, *args, **kwargs): return _ops.expand_dims(self, *args, **kwargs)
    def ravel(self): return _ops.ravel(self)
    def flatten(self, *args, **kwargs): return _ops.flatten(self, *args, **kwargs)
    def transpose(self, *axes, **kwargs): return _ops.transpose(self, *axes, **kwargs)
    def swapaxes(self, axis1, axis2): return _ops.swapaxes(self, axis1, axis2)
    def split(self, *args, **kwargs): return _ops.split(self, *args, **kwargs)
    def chunk(self, *args, **kwargs): return _ops.chunk(self, *args, **kwargs)
    def unbind(self, *args, **kwargs): return _ops.unbind(self, *args, **kwargs)
    def repeat(self, *args, **kwargs): return _ops.repeat(self, *args, **kwargs)
    def tile(self, reps): return _ops.tile(self, reps)
    def broadcast_to(self, shape): return _ops.broadcast_to(self, shape)
    def masked_fill(self, mask, value): return _ops.masked_fill(self, mask, value)
    def pad(self, pad_width, mode="constant", constant_values=0): return _ops.pad(self, pad_width, mode, constant_values)
    def matmul(self, other): return _ops.matmul(self, other)
    def dot(self, other): return _ops.dot(self, other)
    def sort(self, *args, **kwargs): return _ops.sort(self, *args, **kwargs)
    def argsort(self, *args, **kwargs): return _ops.argsort(self, *args, **kwargs)
    def topk(self, *args, **kwargs): return _ops.topk(self, *args, **kwargs)
    def nonzero(self): return _ops.nonzero(self)
    def unique(self, *args, **kwargs): return _ops.unique(self, *args, **kwargs)
    def histogram(self, bins=10, range=None, density=False): return _ops.histogram(self, bins, range, density)
    def roll(self, *args, **kwargs): return _ops.roll(self, *args, **kwargs)
    def tril(self, diagonal=0): return _ops.tril(self, diagonal)
    def triu(self, diagonal=0): return _ops.triu(self, diagonal)

    @renamed(dim="axis", keepdim="keepdims")
    def any(self, axis=None, keepdims=False):
        """True where any element over ``axis`` is non-zero (a bool tensor, no graph)."""
        return Tensor._wrap(np.asarray(self.data.any(axis=axis, keepdims=keepdims)))

    @renamed(dim="axis", keepdim="keepdims")
    def all(self, axis=None, keepdims=False):
        """True where every element over ``axis`` is non-zero (a bool tensor, no graph)."""
        return Tensor._wrap(np.asarray(self.data.all(axis=axis, keepdims=keepdims)))

    # ------------------------------------------- PyTorch's method names (see the docs
    # page "lucid for PyTorch users"); each is one line over a lucid function.
    def view(self, *shape):
        """PyTorch's ``view``: :func:`lucid.reshape` (``x.view(2, -1)``). The result
        shares memory with ``self`` where NumPy can reshape without copying."""
        if len(shape) == 1 and not is_int(shape[0]) and not isinstance(shape[0], (tuple, list)):
            raise TypeError(f"view: expected a shape (ints or one tuple); got {shape[0]!r} "
                            "(to change the dtype use astype)")
        return self.reshape(*shape)

    def permute(self, *dims):
        """PyTorch's ``permute``: the axes in a new order, ``x.permute(2, 0, 1)`` or
        ``x.permute((2, 0, 1))`` (:func:`lucid.transpose` with ``axes``)."""
        axes = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return _ops.transpose(self, axes=tuple(axes))

    def contiguous(self):
        """PyTorch's ``contiguous``: lucid's operations accept any memory layout, so
        this returns ``self``."""
        return self

    def expand(self, *sizes):
        """PyTorch's ``expand``: :func:`lucid.broadcast_to`, where a size of -1 keeps
        that axis (``x.expand(4, -1)``)."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: {len(sizes)} sizes for a tensor with ndim {self.ndim}; "
                             "give at least one size per axis")
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n
                      for i, n in enumerate(sizes))
        return _ops.broadcast_to(self, shape)

    def clone(self):
        """A copy in new memory that stays in the graph (:func:`lucid.clone`)."""
        return _ops.clone(self)

    def dim(self):
        """PyTorch's ``dim()``: the number of axes, ``ndim``."""
        return self.data.ndim

    def numel(self):
        """PyTorch's ``numel()``: the number of elements, ``size``."""
        return self.data.size

    def argmax(self, *args, **kwargs):
        """Index of the largest element (:func:`lucid.argmax`)."""
        return _ops.argmax(self, *args, **kwargs)

    def argmin(self, *args, **kwargs):
        """Index of the smallest element (:func:`lucid.argmin`)."""
        return _ops.argmin(self, *args, **kwargs)

    def cumsum(self, *args, **kwargs):
        """Running sum along an axis (:func:`lucid.cumsum`)."""
        return _ops.cumsum(self, *args, **kwargs)

    def cumprod(self, *args, **kwargs):
        """Running product along an axis (:func:`lucid.cumprod`)."""
        return _ops.cumprod(self, *args, **kwargs)

    def norm(self, *args, **kwargs):
        """PyTorch's ``norm(p='fro', dim=None, keepdim=False)`` (:func:`lucid.norm`)."""
        return _norm(self, *args, **kwargs)

    def gather(self, *args, **kwargs):
        """``x.gather(dim, index)`` (:func:`lucid.gather`)."""
        return _ops.gather(self, *args, **kwargs)

    def scatter(self, *args, **kwargs):
        """``x.scatter(dim, index, src)``, a new tensor (:func:`lucid.scatter`)."""
        return _ops.scatter(self, *args, **kwargs)

    def scatter_add(self, *args, **kwargs):
        """``x.scatter_add(dim, index, src)``, a new tensor (:func:`lucid.scatter_add`)."""
        return _ops.scatter_add(self, *args, **kwargs)

    def index_select(self, *args, **kwargs):
        """``x.index_select(dim, index)`` (:func:`lucid.index_select`)."""
        return _ops.index_select(self, *args, **kwargs)

    def clamp(self, *args, **kwargs):
        """PyTorch's ``clamp(min=None, max=None)`` (:func:`lucid.clip`)."""
        return _ops.clip(self, *args, **kwargs)

    def eq(self, other):
        """``self == other``, element-wise (:func:`lucid.equal`)."""
        return _ops.equal(self, other)

    def ne(self, other):
        """``self != other``, element-wise (:func:`lucid.not_equal`)."""
        return _ops.not_equal(self, other)

    def lt(self, other):
        """``self < other``, element-wise (:func:`lucid.less`)."""
        return _ops.less(self, other)

    def le(self, other):
        """``self <= other``, element-wise (:func:`lucid.less_equal`)."""
        return _ops.less_equal(self, other)

    def gt(self, other):
        """``self > other``, element-wise (:func:`lucid.greater`)."""
        return _ops.greater(self, other)

    def ge(self, other):
        """``self >= other``, element-wise (:func:`lucid.greater_equal`)."""
        return _ops.greater_equal(self, other)

    def relu(self):
        """:func:`lucid.nn.functional.relu` of this tensor."""
        return _functional().relu(self)

    def sigmoid(self):
        """:func:`lucid.nn.functional.sigmoid` of this tensor."""
        return _functional().sigmoid(self)

    def softmax(self, *args, **kwargs):
        """:func:`lucid.nn.functional.softmax` along ``axis`` / ``dim`` (default -1)."""
        return _functional().softmax(self, *args, **kwargs)

    def log_softmax(self, *args, **kwargs):
        """:func:`lucid.nn.functional.log_softmax` along ``axis`` / ``dim`` (default -1)."""
        return _functional().log_softmax(self, *args, **kwargs)

    # ----------------------------------------------------------- dtype conversions
    def float(self):
        """A float32 copy (differentiable; PyTorch's ``float()``)."""
        return _ops.astype(self, np.float32)

    def double(self):
        """A float64 copy (differentiable)."""
        return _ops.astype(self, np.float64)

    def half(self):
        """A float16 copy (differentiable)."""
        return _ops.astype(self, np.float16)

    def long(self):
        """An int64 copy (not differentiable)."""
        return _ops.astype(self, np.int64)

    def int(self):
        """An int32 copy (PyTorch's ``int()``; not differentiable)."""
        return _ops.astype(self, np.int32)

    def bool(self):
        """A bool copy (not differentiable)."""
        return _ops.astype(self, np.bool_)

    def type(self, dtype=None):
        """Without ``dtype``: the dtype's name (``'float32'``); with it, a converted copy
        (:meth:`astype`)."""
        return str(self.data.dtype) if dtype is None else _ops.astype(self, dtype)

    # ----------------------------------------------------------- graph and device
    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place on a leaf; returns ``self`` (PyTorch's)."""
        flag = check_bool(requires_grad, "requires_grad_", "requires_grad")
        if self._node is not None and not flag:
            raise RuntimeError("requires_grad_: only leaf tensors can stop requiring grad; "
                               "use detach() for a tensor cut from the graph")
        if self._node is None:
            self.requires_grad = flag
        return self

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        """Zeros of ``size``, with this tensor's dtype unless ``dtype`` is given."""
        return _ops.zeros(*size, dtype=self.dtype if dtype is None else dtype,
                          requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        """Ones of ``size``, with this tensor's dtype unless ``dtype`` is given."""
        return _ops.ones(*size, dtype=self.dtype if dtype is None else dtype,
                         requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        """``fill_value`` everywhere in ``size``, with this tensor's dtype unless given."""
        return _ops.full(size, fill_value, dtype=self.dtype if dtype is None else dtype,
                         requires_grad=requires_grad)

    def cpu(self):
        """This tensor: lucid computes on the CPU."""
        return self

    def cuda(self, device=None):
        """Always an :class:`~lucid.UnknownDeviceError`: lucid has no GPU backend."""
        check_device("cuda" if device is None else device, "cuda")

    def is_cpu(self):
        """True: every lucid tensor lives on the CPU."""
        return True

    def is_gpu(self):
        """False: lucid has no GPU backend."""
        return False

    # -------------------------------------------------- the original lucid's others
    def zero(self):
        """The original lucid's ``zero()``: :meth:`zero_` (set every element to 0)."""
        return self.zero_()

    def eval(self):
        """The original lucid's ``eval()`` forced its lazy GPU arrays; NumPy computes
        at once, so this returns ``self``."""
        return self

    @property
    def is_free(self):
        """The original lucid's "free" tensors could move between devices; lucid has one
        device, so every tensor is free (True)."""
        return True

    def free(self):
        """The original lucid's ``free()``; every lucid tensor is free: returns ``self``."""
        return self

    @classmethod
    def is_all_free(cls, *tensors):
        """True (see :attr:`is_free`)."""
        return True

    @staticmethod
    def copy_data(data):
        """A copy of an array (the original lucid's helper)."""
        return np.array(data, copy=True)

    @staticmethod
    def copy_grad(grad):
        """A copy of a gradient array (the original lucid's helper)."""
        return np.array(grad, copy=True)

    def mlx(self):
        """The original lucid's MLX array: lucid has no MLX backend, so this is an
        :class:`~lucid.UnknownDeviceError` (use :meth:`numpy`)."""
        check_device("mlx", "mlx")


class _ElementCount(int):
    """``Tensor.size``: the element count (an int, as in the original lucid and NumPy)
    that can also be called as PyTorch's ``size()`` / ``size(axis)``."""

    def __new__(cls, count, shape):
        self = super().__new__(cls, count)
        self.shape = shape
        return self

    def __call__(self, dim=None):
        if dim is None:
            return self.shape
        if not is_int(dim):
            raise TypeError(f"size: dim must be an int; got {dim!r}")
        n = len(self.shape)
        if not -n <= dim < max(n, 1) or n == 0:
            raise IndexError(f"size: dim {dim} is out of range for a tensor with ndim {n}")
        return self.shape[dim]

    def __repr__(self):
        return int.__repr__(self)

    def __reduce__(self):                  # copies and pickles are plain ints
        return int, (int(self),)


def _keep_all_grads(root):
    """Make every non-leaf tensor of ``root``'s graph keep its ``.grad``; return the
    ones that did not already (``backward(keep_grad=True)`` resets them after)."""
    kept, seen = [], set()
    if root._node is not None and not root.keep_grad:
        root.keep_grad = True
        kept.append(root)
    stack = [root._node] if root._node is not None else []
    while stack:
        node = stack.pop()
        if node in seen or node.parents is None:
            continue
        seen.add(node)
        for parent in node.parents:
            if parent is not None and parent._node is not None:
                if not parent.keep_grad:
                    parent.keep_grad = True
                    kept.append(parent)
                stack.append(parent._node)
    return kept


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


def _functional():
    """``lucid.nn.functional`` (imported late: it imports this module)."""
    from lucid.nn import functional
    return functional


def _norm(x, *args, **kwargs):
    from lucid.linalg._norm import tensor_norm
    return tensor_norm(x, *args, **kwargs)
