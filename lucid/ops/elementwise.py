"""Element-wise operations: arithmetic, unary maths, comparisons, logic, casts.

Every op here applies one formula to each element on its own, so its backward is
the chain rule element by element: ``dL/dx_i = dL/dy_i * f'(x_i)``.

* **Binary ops** (``add``, ``multiply``, ``power``, ...) broadcast like NumPy. Their
  backward returns gradients of the *broadcast* shape; the engine sums each one back
  to its input's shape (``lucid.autograd.engine.unbroadcast``).
* **Operands** are Tensors or Python numbers (at least one Tensor); a list or ndarray
  is turned into a Tensor first. A Python number is a "weak" scalar, as in NumPy: it
  never changes a tensor's dtype (``float32_tensor * 2.5`` stays float32). Tensors of
  different dtypes follow NumPy promotion (``int64 + float32 -> float64``).
* **Floating-point edges** give the values PyTorch gives (``log(0) = -inf``,
  ``sqrt'(0) = inf``); NumPy's ``RuntimeWarning`` about them is let through, as NumPy
  itself does, except where lucid computes a value it then masks out on purpose.
* **Comparisons and logic** (``less``, ``logical_and``, ...) return bool Tensors that
  never require grad: their derivative is zero almost everywhere and undefined at the
  switch, so no graph is recorded.

The public functions share three docstring blocks (Parameters / Returns / Raises of a
unary op, a binary op and a comparison): :func:`lucid.ops._util.shared_doc` inserts
them, so each function's own docstring holds only what is particular to it.
"""
import numpy as np

from lucid._tensor import Tensor, _resolve_dtype
from lucid.autograd.function import Function
from lucid._checks import renamed
from lucid.ops._util import DataMovement, as_tensor, broadcast_error, shared_doc

__all__ = [
    # binary arithmetic
    "add", "sub", "multiply", "div", "power", "maximum", "minimum",
    # unary maths
    "neg", "exp", "log", "log2", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh",
    "arcsin", "arccos", "arctan", "abs", "sign", "reciprocal", "square", "cube",
    "clip", "clamp", "round", "floor", "ceil",
    # comparisons and logic
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_not",
    # casts and copies
    "astype", "clone",
]

_LN2 = 0.6931471805599453  # ln 2, for d/dx log2(x) = 1 / (x ln 2)


# ----------------------------------------------------------------------- helpers
_NUMBERS = (int, float, complex, np.number, np.bool_)  # bool is an int


def _to_tensor(x, name):
    """Turn a list / tuple / ndarray argument into a Tensor, or raise naming ``name``."""
    if isinstance(x, (list, tuple, np.ndarray)):
        try:
            return as_tensor(x)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name}: could not turn the {type(x).__name__} operand "
                            f"into a Tensor ({exc})") from None
    return None


def _operand(x, name):
    """A Tensor or a number is used as it is; a list or ndarray becomes a Tensor."""
    if isinstance(x, Tensor) or isinstance(x, _NUMBERS):
        return x
    t = _to_tensor(x, name)
    if t is None:
        raise TypeError(f"{name}: operands must be Tensors, numbers, lists or ndarrays; "
                        f"got {type(x).__name__}")
    return t


def _operands(name, a, b):
    """The slow path of a binary op: at least one operand is not a Tensor."""
    a, b = _operand(a, name), _operand(b, name)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{name}: at least one operand must be a Tensor; "
                        f"got {type(a).__name__} and {type(b).__name__}")
    return a, b


def _binary(fn, name, a, b):
    """Apply the binary Function ``fn``; turn NumPy's errors into ones naming ``name``."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        a, b = _operands(name, a, b)
    try:
        return fn.apply(a, b)
    except ValueError as exc:
        if "broadcast" in str(exc):
            raise broadcast_error(name, a, b) from None
        raise ValueError(f"{name}: {exc}") from None
    except TypeError as exc:  # e.g. NumPy refusing ``bool - bool``
        raise TypeError(f"{name}: {exc}") from None


def _tensor_arg(x, name):
    """The ``input_`` of a unary op: a Tensor, or a list / ndarray made into one."""
    if isinstance(x, Tensor):
        return x
    t = _to_tensor(x, name)
    if t is None:
        raise TypeError(f"{name}: input_ must be a Tensor (or a list / ndarray); "
                        f"got {type(x).__name__}")
    return t


def _unary(fn, name, x, **params):
    if not isinstance(x, Tensor):
        x = _tensor_arg(x, name)
    try:
        return fn.apply(x, **params)
    except TypeError as exc:  # e.g. NumPy refusing ``-bool_tensor``
        raise TypeError(f"{name}: {exc}") from None


def _compare(ufunc, name, a, b):
    """A comparison or logical op: a bool Tensor, outside the graph."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        a, b = _operands(name, a, b)
    x = a.data if isinstance(a, Tensor) else a
    y = b.data if isinstance(b, Tensor) else b
    try:
        out = ufunc(x, y)
    except ValueError as exc:
        if "broadcast" in str(exc):
            raise broadcast_error(name, a, b) from None
        raise ValueError(f"{name}: {exc}") from None
    return Tensor._wrap(np.asarray(out))


_UNARY_SECTIONS = """
Parameters
----------
input_ : Tensor
    Any shape (a list or ndarray is turned into a Tensor).

Returns
-------
Tensor
    Of the shape of ``input_``; its dtype is the one NumPy's ufunc gives (a floating
    tensor keeps its dtype).

Raises
------
TypeError
    If ``input_`` is not a Tensor, list or ndarray.
"""

_BINARY_SECTIONS = """
Parameters
----------
a, b : Tensor or number
    The operands, at least one a Tensor (a list or ndarray is turned into one); their
    shapes must broadcast together. A Python number never changes a tensor's dtype.

Returns
-------
Tensor
    Of the broadcast shape; its dtype follows NumPy promotion.

Raises
------
ValueError
    If the shapes do not broadcast (the message names both).
TypeError
    If an operand is not a Tensor, number, list or ndarray, or both are numbers.
"""

_COMPARE_SECTIONS = """
Parameters
----------
a, b : Tensor or number
    The operands, at least one a Tensor (a list or ndarray is turned into one); their
    shapes must broadcast together.

Returns
-------
Tensor
    A bool tensor of the broadcast shape. It never requires grad.

Raises
------
ValueError
    If the shapes do not broadcast (the message names both).
TypeError
    If an operand is not a Tensor, number, list or ndarray, or both are numbers.
"""


# ============================================================ binary arithmetic
# [exercise: add]
class Add(Function):
    r"""``z = a + b``;  ``dL/da = dL/dz``, ``dL/db = dL/dz``."""

    @staticmethod
    def forward(ctx, a, b):
        return np.add(a, b)

    @staticmethod
    def backward(ctx, grad):
        return grad, grad
# [end exercise: add]


@shared_doc(_BINARY_SECTIONS)
def add(a, b):
    r"""Element-wise sum with broadcasting.

    .. math:: z_i = a_i + b_i

    Backward: :math:`\partial L/\partial a_i = \partial L/\partial z_i` and the same
    for :math:`b`, each summed over the axes that broadcasting stretched.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> b = lucid.Tensor([10.0, 20.0], requires_grad=True)
    >>> c = lucid.add(a, b)
    >>> print(c)
    Tensor([[11.0, 22.0], [13.0, 24.0]], grad_fn=Add)
    >>> c.sum().backward()
    >>> b.grad
    array([2., 2.], dtype=float32)
    """
    return _binary(Add, "add", a, b)


class Sub(Function):
    r"""``z = a - b``;  ``dL/da = dL/dz``, ``dL/db = -dL/dz``."""

    @staticmethod
    def forward(ctx, a, b):
        return np.subtract(a, b)

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


@shared_doc(_BINARY_SECTIONS)
def sub(a, b):
    r"""Element-wise difference with broadcasting.

    .. math:: z_i = a_i - b_i

    Backward: :math:`\partial L/\partial a_i = \partial L/\partial z_i`,
    :math:`\partial L/\partial b_i = -\partial L/\partial z_i`.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([5.0, 7.0], requires_grad=True)
    >>> b = lucid.Tensor([1.0, 2.0], requires_grad=True)
    >>> c = lucid.sub(a, b)
    >>> print(c)
    Tensor([4.0, 5.0], grad_fn=Sub)
    >>> c.sum().backward()
    >>> b.grad
    array([-1., -1.], dtype=float32)
    """
    return _binary(Sub, "sub", a, b)


# [exercise: multiply]
class Multiply(Function):
    r"""``z = a * b``;  ``dL/da = dL/dz * b``, ``dL/db = dL/dz * a``."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.multiply(a, b)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (grad * ctx.b if need_a else None,
                grad * ctx.a if need_b else None)
# [end exercise: multiply]


@shared_doc(_BINARY_SECTIONS)
def multiply(a, b):
    r"""Element-wise product with broadcasting.

    .. math:: z_i = a_i \, b_i

    Backward: :math:`\partial L/\partial a_i = \partial L/\partial z_i \, b_i` and
    :math:`\partial L/\partial b_i = \partial L/\partial z_i \, a_i`.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> b = lucid.Tensor([4.0, 5.0, 6.0], requires_grad=True)
    >>> c = lucid.multiply(a, b)
    >>> print(c)
    Tensor([4.0, 10.0, 18.0], grad_fn=Multiply)
    >>> c.sum().backward()
    >>> a.grad
    array([4., 5., 6.], dtype=float32)
    """
    return _binary(Multiply, "multiply", a, b)


class Div(Function):
    r"""``z = a / b``;  ``dL/da = dL/dz / b``, ``dL/db = -dL/dz * z / b``."""

    @staticmethod
    def forward(ctx, a, b):
        z = np.divide(a, b)
        ctx.b, ctx.z = b, z
        return z

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        b = ctx.b
        return (grad / b if need_a else None,
                -grad * ctx.z / b if need_b else None)


@shared_doc(_BINARY_SECTIONS)
def div(a, b):
    r"""Element-wise true division with broadcasting.

    .. math:: z_i = \frac{a_i}{b_i}

    Integer operands give a floating result (NumPy's ``true_divide``).

    Backward: :math:`\partial L/\partial a_i = \frac{\partial L/\partial z_i}{b_i}`
    and :math:`\partial L/\partial b_i = -\partial L/\partial z_i \, \frac{a_i}{b_i^2}
    = -\partial L/\partial z_i \, \frac{z_i}{b_i}`.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([1.0, 6.0], requires_grad=True)
    >>> b = lucid.Tensor([2.0, 3.0], requires_grad=True)
    >>> c = lucid.div(a, b)
    >>> print(c)
    Tensor([0.5, 2.0], grad_fn=Div)
    >>> c.sum().backward()
    >>> b.grad
    array([-0.25      , -0.6666667], dtype=float32)
    """
    return _binary(Div, "div", a, b)


class Power(Function):
    r"""``y = x ** p``;  ``dL/dx = dL/dy * p x^(p-1)``, ``dL/dp = dL/dy * y ln x``.

    At the edges it follows PyTorch: ``dL/dx = 0`` where ``p == 0``, and
    ``dL/dp = 0`` where ``x == 0`` and ``p >= 0`` (the limit of ``x^p ln x``).
    """

    @staticmethod
    def forward(ctx, x, p):
        y = np.power(x, p)
        ctx.x, ctx.p, ctx.y = x, p, y
        return y

    @staticmethod
    def backward(ctx, grad):
        x, p, y = ctx.x, ctx.p, ctx.y
        need_x, need_p = ctx.needs_input_grad
        grad_x = grad_p = None
        # x^(p-1) and ln(x) may be inf / nan exactly where the mask below zeroes them
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_x:
                grad_x = np.where(np.equal(p, 0), 0, grad * p * np.power(x, p - 1))
            if need_p:
                base_zero = np.equal(x, 0) & np.greater_equal(p, 0)
                grad_p = np.where(base_zero, 0, grad * y * np.log(x))
        return grad_x, grad_p


@shared_doc(_BINARY_SECTIONS)
def power(a, b):
    r"""Element-wise power ``a ** b`` with broadcasting (Tensor or number on each side).

    .. math:: y_i = a_i^{\,b_i}

    Backward:

    .. math::
        \frac{\partial L}{\partial a_i} = \frac{\partial L}{\partial y_i}\, b_i\,
        a_i^{\,b_i - 1}, \qquad
        \frac{\partial L}{\partial b_i} = \frac{\partial L}{\partial y_i}\, y_i \ln a_i

    The exponent's gradient is defined for :math:`a_i > 0`; it is NaN for
    :math:`a_i < 0` and, as in PyTorch, 0 at :math:`a_i = 0, b_i \ge 0` (the limit of
    :math:`a^b \ln a`). The base's gradient is 0 where :math:`b_i = 0`.

    Examples
    --------
    >>> import lucid
    >>> import numpy as np
    >>> x = lucid.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = lucid.power(x, 2)
    >>> print(y)
    Tensor([1.0, 4.0, 9.0], grad_fn=Power)
    >>> y.sum().backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)
    >>> p = lucid.Tensor([0.0, 1.0, 2.0], requires_grad=True)
    >>> z = 2 ** p
    >>> print(z)
    Tensor([1.0, 2.0, 4.0], grad_fn=Power)
    >>> z.sum().backward()
    >>> bool(np.allclose(p.grad, z.data * np.log(2)))  # dL/dp = 2^p ln 2
    True
    """
    return _binary(Power, "power", a, b)


def _select_grad(grad, a_wins, b_wins, tie):
    """Gradients of ``max``/``min``: all to the winner, half each at a tie."""
    shared = np.where(tie, grad / 2, grad)
    return np.where(b_wins, 0, shared), np.where(a_wins, 0, shared)


class Maximum(Function):
    r"""``z = max(a, b)``; the gradient goes to the larger operand, half each at a tie."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.a, ctx.b
        grad_a, grad_b = _select_grad(grad, np.greater(a, b), np.less(a, b), np.equal(a, b))
        need_a, need_b = ctx.needs_input_grad
        return (grad_a if need_a else None), (grad_b if need_b else None)


@shared_doc(_BINARY_SECTIONS)
def maximum(a, b):
    r"""Element-wise maximum with broadcasting (NaN wins, as in NumPy and PyTorch).

    .. math:: z_i = \max(a_i, b_i)

    Backward: :math:`\partial L/\partial z_i` goes to the larger operand; at a tie
    :math:`a_i = b_i` each operand gets half of it, as in PyTorch (the average of the
    two one-sided derivatives):

    .. math::
        \frac{\partial L}{\partial a_i} = \frac{\partial L}{\partial z_i}
        \begin{cases} 1 & a_i > b_i \\ \tfrac12 & a_i = b_i \\ 0 & a_i < b_i
        \end{cases}

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> b = lucid.Tensor([2.0, 2.0, 2.0], requires_grad=True)
    >>> z = lucid.maximum(a, b)
    >>> print(z)
    Tensor([2.0, 2.0, 3.0], grad_fn=Maximum)
    >>> z.sum().backward()
    >>> a.grad
    array([0. , 0.5, 1. ], dtype=float32)
    """
    return _binary(Maximum, "maximum", a, b)


class Minimum(Function):
    r"""``z = min(a, b)``; the gradient goes to the smaller operand, half each at a tie."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.a, ctx.b
        grad_a, grad_b = _select_grad(grad, np.less(a, b), np.greater(a, b), np.equal(a, b))
        need_a, need_b = ctx.needs_input_grad
        return (grad_a if need_a else None), (grad_b if need_b else None)


@shared_doc(_BINARY_SECTIONS)
def minimum(a, b):
    r"""Element-wise minimum with broadcasting (NaN wins, as in NumPy and PyTorch).

    .. math:: z_i = \min(a_i, b_i)

    Backward: :math:`\partial L/\partial z_i` goes to the smaller operand; at a tie
    each operand gets half of it, as in PyTorch:

    .. math::
        \frac{\partial L}{\partial a_i} = \frac{\partial L}{\partial z_i}
        \begin{cases} 1 & a_i < b_i \\ \tfrac12 & a_i = b_i \\ 0 & a_i > b_i
        \end{cases}

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> z = lucid.minimum(a, 2.0)
    >>> print(z)
    Tensor([1.0, 2.0, 2.0], grad_fn=Minimum)
    >>> z.sum().backward()
    >>> a.grad
    array([1. , 0.5, 0. ], dtype=float32)
    """
    return _binary(Minimum, "minimum", a, b)


# ================================================================== unary maths
class Neg(Function):
    r"""``y = -x``;  ``dL/dx = -dL/dy``."""

    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad


@shared_doc(_UNARY_SECTIONS)
def neg(input_):
    r"""Element-wise negation (``-x``).

    .. math:: y_i = -x_i

    Backward: :math:`\partial L/\partial x_i = -\partial L/\partial y_i`.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.neg(lucid.Tensor([1.0, -2.5])))
    Tensor([-1.0, 2.5])
    """
    return _unary(Neg, "neg", input_)


# [exercise: exp]
class Exp(Function):
    r"""``y = exp(x)``;  ``dL/dx = dL/dy * y``."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.y
# [end exercise: exp]


@shared_doc(_UNARY_SECTIONS)
def exp(input_):
    r"""Element-wise exponential.

    .. math:: y_i = e^{x_i}

    Backward: :math:`\partial L/\partial x_i = \partial L/\partial y_i \, e^{x_i}
    = \partial L/\partial y_i \, y_i` (the output is saved and reused).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([0.0, 1.0], requires_grad=True)
    >>> y = lucid.exp(x)
    >>> print(y)  # doctest: +ELLIPSIS
    Tensor([1.0, 2.71828...], grad_fn=Exp)
    >>> y.sum().backward()
    >>> bool((x.grad == y.data).all())  # dL/dx = e^x = y
    True
    """
    return _unary(Exp, "exp", input_)


# [exercise: log]
class Log(Function):
    r"""``y = ln x``;  ``dL/dx = dL/dy / x``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.x
# [end exercise: log]


@shared_doc(_UNARY_SECTIONS)
def log(input_):
    r"""Element-wise natural logarithm.

    .. math:: y_i = \ln x_i

    :math:`\ln 0 = -\infty`, and :math:`\ln x` is NaN for :math:`x < 0`.

    Backward: :math:`\partial L/\partial x_i = \frac{\partial L/\partial y_i}{x_i}`
    (infinite at :math:`x_i = 0`, as in PyTorch).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> y = lucid.log(x)
    >>> print(y)  # doctest: +ELLIPSIS
    Tensor([0.0, 0.69314..., 1.38629...], grad_fn=Log)
    >>> y.sum().backward()
    >>> x.grad
    array([1.  , 0.5 , 0.25], dtype=float32)
    """
    return _unary(Log, "log", input_)


class Log2(Function):
    r"""``y = log2 x``;  ``dL/dx = dL/dy / (x ln 2)``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.log2(x)

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.x * _LN2)


@shared_doc(_UNARY_SECTIONS)
def log2(input_):
    r"""Element-wise base-2 logarithm.

    .. math:: y_i = \log_2 x_i = \frac{\ln x_i}{\ln 2}

    Backward: :math:`\partial L/\partial x_i =
    \frac{\partial L/\partial y_i}{x_i \ln 2}`.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0, 8.0], requires_grad=True)
    >>> y = lucid.log2(x)
    >>> print(y)
    Tensor([0.0, 1.0, 3.0], grad_fn=Log2)
    >>> y.sum().backward()
    >>> x.grad
    array([1.442695  , 0.7213475 , 0.18033688], dtype=float32)
    """
    return _unary(Log2, "log2", input_)


class Sqrt(Function):
    r"""``y = sqrt(x)``;  ``dL/dx = dL/dy / (2 y)``."""

    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, grad):
        return grad / (2 * ctx.y)


@shared_doc(_UNARY_SECTIONS)
def sqrt(input_):
    r"""Element-wise square root.

    .. math:: y_i = \sqrt{x_i}

    NaN for :math:`x_i < 0`.

    Backward: :math:`\partial L/\partial x_i = \frac{\partial L/\partial y_i}{2 y_i}`
    (infinite at :math:`x_i = 0`, as in PyTorch).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 4.0, 9.0], requires_grad=True)
    >>> y = lucid.sqrt(x)
    >>> print(y)
    Tensor([1.0, 2.0, 3.0], grad_fn=Sqrt)
    >>> y.sum().backward()
    >>> x.grad
    array([0.5       , 0.25      , 0.16666667], dtype=float32)
    """
    return _unary(Sqrt, "sqrt", input_)


class Sin(Function):
    r"""``y = sin x``;  ``dL/dx = dL/dy * cos x``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * np.cos(ctx.x)


@shared_doc(_UNARY_SECTIONS)
def sin(input_):
    r"""Element-wise sine (radians).

    .. math:: y_i = \sin x_i

    Backward: :math:`\partial L/\partial x_i = \partial L/\partial y_i \cos x_i`.

    Examples
    --------
    >>> import lucid
    >>> import numpy as np
    >>> x = lucid.Tensor([0.0, 1.0], requires_grad=True)
    >>> y = lucid.sin(x)
    >>> print(y)  # doctest: +ELLIPSIS
    Tensor([0.0, 0.84147...], grad_fn=Sin)
    >>> y.sum().backward()
    >>> bool(np.allclose(x.grad, np.cos(x.data)))  # dL/dx = cos x
    True
    """
    return _unary(Sin, "sin", input_)


class Cos(Function):
    r"""``y = cos x``;  ``dL/dx = -dL/dy * sin x``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad * np.sin(ctx.x)


@shared_doc(_UNARY_SECTIONS)
def cos(input_):
    r"""Element-wise cosine (radians).

    .. math:: y_i = \cos x_i

    Backward: :math:`\partial L/\partial x_i = -\partial L/\partial y_i \sin x_i`.

    Examples
    --------
    >>> import lucid
    >>> import numpy as np
    >>> x = lucid.Tensor([0.0, 1.0], requires_grad=True)
    >>> y = lucid.cos(x)
    >>> print(y)  # doctest: +ELLIPSIS
    Tensor([1.0, 0.54030...], grad_fn=Cos)
    >>> y.sum().backward()
    >>> bool(np.allclose(x.grad, -np.sin(x.data)))  # dL/dx = -sin x
    True
    """
    return _unary(Cos, "cos", input_)


class Tan(Function):
    r"""``y = tan x``;  ``dL/dx = dL/dy * (1 + y^2)``."""

    @staticmethod
    def forward(ctx, x):
        y = np.tan(x)
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, grad):
        y = ctx.y
        return grad * (1 + y * y)


@shared_doc(_UNARY_SECTIONS)
def tan(input_):
    r"""Element-wise tangent (radians).

    .. math:: y_i = \tan x_i

    Backward: :math:`\partial L/\partial x_i = \partial L/\partial y_i\,
    \sec^2 x_i = \partial L/\partial y_i\,(1 + y_i^2)`.

    Examples
    --------
    >>> import lucid
    >>> import numpy as np
    >>> x = lucid.Tensor([0.0, 1.0], requires_grad=True)
    >>> y = lucid.tan(x)
    >>> print(y)  # doctest: +ELLIPSIS
    Tensor([0.0, 1.55740...], grad_fn=Tan)
    >>> y.sum().backward()
    >>> bool(np.allclose(x.grad, 1 + y.data ** 2))  # dL/dx = 1 + tan^2 x
    True
    """
    return _unary(Tan, "tan", input_)


class Sinh(Function):
    r"""``y = sinh x``;  ``dL/dx = dL/dy * cosh x``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.sinh(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * np.cosh(ctx.x)


@shared_doc(_UNARY_SECTIONS)
def sinh(input_):
    r"""Element-wise hyperbolic sine.

    .. math:: y_i = \sinh x_i = \frac{e^{x_i} - e^{-x_i}}{2}

    Backward: :math:`\partial L/\partial x_i = \partial L/\partial y_i \cosh x_i`.

    Examples
    --------
    >>> import lucid
    >>> import numpy as np
    >>> x = lucid.Tensor([0.0, 1.0], requires_grad=True)
    >>> y = lucid.sinh(x)
    >>> print(y)  # doctest: +ELLIPSIS
    Tensor([0.0, 1.17520...], grad_fn=Sinh)
    >>> y.sum().backward()
    >>> bool(np.allclose(x.grad, np.cosh(x.data)))  # dL/dx = cosh x
    True
    """
    return _unary(Sinh, "sinh", input_)


class Cosh(Function):
    r"""``y = cosh x``;  ``dL/dx = dL/dy * sinh x``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.cosh(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * np.sinh(ctx.x)


@shared_doc(_UNARY_SECTIONS)
def cosh(input_):
    r"""Element-wise hyperbolic cosine.

    .. math:: y_i = \cosh x_i = \frac{e^{x_i} + e^{-x_i}}{2}

    Backward: :math:`\partial L/\partial x_i = \partial L/\partial y_i \sinh x_i`.

    Examples
    --------
    >>> import lucid
    >>> import numpy as np
    >>> x = lucid.Tensor([0.0, 1.0], requires_grad=True)
    >>> y = lucid.cosh(x)
    >>> print(y)  # doctest: +ELLIPSIS
    Tensor([1.0, 1.54308...], grad_fn=Cosh)
    >>> y.sum().backward()
    >>> bool(np.allclose(x.grad, np.sinh(x.data)))  # dL/dx = sinh x
    True
    """
    return _unary(Cosh, "cosh", input_)


class Tanh(Function):
    r"""``y = tanh x``;  ``dL/dx = dL/dy * (1 - y^2)``."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, grad):
        y = ctx.y
        return grad * (1 - y * y)


@shared_doc(_UNARY_SECTIONS)
def tanh(input_):
    r"""Element-wise hyperbolic tangent.

    .. math:: y_i = \tanh x_i = \frac{e^{x_i} - e^{-x_i}}{e^{x_i} + e^{-x_i}}

    Backward: :math:`\partial L/\partial x_i = \partial L/\partial y_i\,(1 - y_i^2)`
    (the output is saved and reused).

    Examples
    --------
    >>> import lucid
    >>> import numpy as np
    >>> x = lucid.Tensor([0.0, 1.0], requires_grad=True)
    >>> y = lucid.tanh(x)
    >>> print(y)  # doctest: +ELLIPSIS
    Tensor([0.0, 0.76159...], grad_fn=Tanh)
    >>> y.sum().backward()
    >>> bool(np.allclose(x.grad, 1 - y.data ** 2))  # dL/dx = 1 - tanh^2 x
    True
    """
    return _unary(Tanh, "tanh", input_)


class Arcsin(Function):
    r"""``y = arcsin x``;  ``dL/dx = dL/dy / sqrt(1 - x^2)``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.x
        return grad / np.sqrt(1 - x * x)


@shared_doc(_UNARY_SECTIONS)
def arcsin(input_):
    r"""Element-wise inverse sine, in radians (NaN outside :math:`[-1, 1]`).

    .. math:: y_i = \arcsin x_i

    Backward: :math:`\partial L/\partial x_i =
    \frac{\partial L/\partial y_i}{\sqrt{1 - x_i^2}}` (infinite at :math:`x_i = \pm 1`).

    Examples
    --------
    >>> import lucid
    >>> import numpy as np
    >>> x = lucid.Tensor([0.0, 0.5], requires_grad=True)
    >>> y = lucid.arcsin(x)
    >>> print(y)  # doctest: +ELLIPSIS
    Tensor([0.0, 0.52359...], grad_fn=Arcsin)
    >>> y.sum().backward()
    >>> bool(np.allclose(x.grad, 1 / np.sqrt(1 - x.data ** 2)))  # dL/dx = 1 / sqrt(1 - x^2)
    True
    """
    return _unary(Arcsin, "arcsin", input_)


class Arccos(Function):
    r"""``y = arccos x``;  ``dL/dx = -dL/dy / sqrt(1 - x^2)``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.arccos(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.x
        return -grad / np.sqrt(1 - x * x)


@shared_doc(_UNARY_SECTIONS)
def arccos(input_):
    r"""Element-wise inverse cosine, in radians (NaN outside :math:`[-1, 1]`).

    .. math:: y_i = \arccos x_i

    Backward: :math:`\partial L/\partial x_i =
    -\frac{\partial L/\partial y_i}{\sqrt{1 - x_i^2}}`.

    Examples
    --------
    >>> import lucid
    >>> import numpy as np
    >>> x = lucid.Tensor([0.0, 0.5], requires_grad=True)
    >>> y = lucid.arccos(x)
    >>> print(y)  # doctest: +ELLIPSIS
    Tensor([1.57079..., 1.04719...], grad_fn=Arccos)
    >>> y.sum().backward()
    >>> bool(np.allclose(x.grad, -1 / np.sqrt(1 - x.data ** 2)))  # dL/dx = -1 / sqrt(1 - x^2)
    True
    """
    return _unary(Arccos, "arccos", input_)


class Arctan(Function):
    r"""``y = arctan x``;  ``dL/dx = dL/dy / (1 + x^2)``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.arctan(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.x
        return grad / (1 + x * x)


@shared_doc(_UNARY_SECTIONS)
def arctan(input_):
    r"""Element-wise inverse tangent, in radians.

    .. math:: y_i = \arctan x_i

    Backward: :math:`\partial L/\partial x_i = \frac{\partial L/\partial y_i}{1 + x_i^2}`.

    Examples
    --------
    >>> import lucid
    >>> import numpy as np
    >>> x = lucid.Tensor([0.0, 1.0], requires_grad=True)
    >>> y = lucid.arctan(x)
    >>> print(y)  # doctest: +ELLIPSIS
    Tensor([0.0, 0.78539...], grad_fn=Arctan)
    >>> y.sum().backward()
    >>> bool(np.allclose(x.grad, 1 / (1 + x.data ** 2)))  # dL/dx = 1 / (1 + x^2)
    True
    """
    return _unary(Arctan, "arctan", input_)


class Abs(Function):
    r"""``y = |x|``;  ``dL/dx = dL/dy * sign(x)`` (0 at ``x == 0``)."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * np.sign(ctx.x)


@shared_doc(_UNARY_SECTIONS)
def abs(input_):
    r"""Element-wise absolute value.

    .. math:: y_i = |x_i|

    Backward: :math:`\partial L/\partial x_i = \partial L/\partial y_i\,
    \operatorname{sign}(x_i)`, which is 0 at :math:`x_i = 0` (as in PyTorch).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    >>> y = lucid.abs(x)
    >>> print(y)
    Tensor([2.0, 0.0, 3.0], grad_fn=Abs)
    >>> y.sum().backward()
    >>> x.grad
    array([-1.,  0.,  1.], dtype=float32)
    """
    return _unary(Abs, "abs", input_)


class Reciprocal(Function):
    r"""``y = 1 / x``;  ``dL/dx = -dL/dy * y^2``."""

    @staticmethod
    def forward(ctx, x):
        y = np.divide(1.0, x)  # np.reciprocal would floor integers (1 // 2 == 0)
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, grad):
        y = ctx.y
        return -grad * (y * y)


@shared_doc(_UNARY_SECTIONS)
def reciprocal(input_):
    r"""Element-wise reciprocal (integers give a floating result).

    .. math:: y_i = \frac{1}{x_i}

    Backward: :math:`\partial L/\partial x_i = -\frac{\partial L/\partial y_i}{x_i^2}
    = -\partial L/\partial y_i \, y_i^2`.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> y = lucid.reciprocal(x)
    >>> print(y)
    Tensor([1.0, 0.5, 0.25], grad_fn=Reciprocal)
    >>> y.sum().backward()
    >>> x.grad
    array([-1.    , -0.25  , -0.0625], dtype=float32)
    """
    return _unary(Reciprocal, "reciprocal", input_)


class Square(Function):
    r"""``y = x^2``;  ``dL/dx = dL/dy * 2x``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.square(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * (2 * ctx.x)


@shared_doc(_UNARY_SECTIONS)
def square(input_):
    r"""Element-wise square.

    .. math:: y_i = x_i^2

    Backward: :math:`\partial L/\partial x_i = \partial L/\partial y_i \, 2 x_i`.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([-1.0, 3.0], requires_grad=True)
    >>> y = lucid.square(x)
    >>> print(y)
    Tensor([1.0, 9.0], grad_fn=Square)
    >>> y.sum().backward()
    >>> x.grad
    array([-2.,  6.], dtype=float32)
    """
    return _unary(Square, "square", input_)


class Cube(Function):
    r"""``y = x^3``;  ``dL/dx = dL/dy * 3x^2``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        x = ctx.x
        return grad * (3 * x * x)


@shared_doc(_UNARY_SECTIONS)
def cube(input_):
    r"""Element-wise cube.

    .. math:: y_i = x_i^3

    Backward: :math:`\partial L/\partial x_i = \partial L/\partial y_i \, 3 x_i^2`.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([-1.0, 2.0], requires_grad=True)
    >>> y = lucid.cube(x)
    >>> print(y)
    Tensor([-1.0, 8.0], grad_fn=Cube)
    >>> y.sum().backward()
    >>> x.grad
    array([ 3., 12.], dtype=float32)
    """
    return _unary(Cube, "cube", input_)


class Clip(Function):
    r"""``y = min(max(x, lo), hi)``;  ``dL/dx = dL/dy`` where ``lo <= x <= hi``, else 0."""

    @staticmethod
    def forward(ctx, x, min_value=None, max_value=None):
        ctx.x, ctx.lo, ctx.hi = x, min_value, max_value
        return np.clip(x, min_value, max_value)

    @staticmethod
    def backward(ctx, grad):
        x, lo, hi = ctx.x, ctx.lo, ctx.hi
        if hi is None:
            inside = x >= lo
        elif lo is None:
            inside = x <= hi
        else:
            inside = (x >= lo) & (x <= hi)
        return grad * inside


def _check_bound(value, which):
    if value is None:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"clip: {which} must be a real number or None; got {value!r}")


@renamed(min="min_value", max="max_value")
def clip(input_, min_value=None, max_value=None):
    r"""Clamp every element into ``[min_value, max_value]`` (PyTorch's ``clamp``).

    ``lucid.clamp`` is the same function, and PyTorch's argument names work:
    ``lucid.clamp(x, min=0.0)``.

    .. math:: y_i = \min\bigl(\max(x_i, \text{min\_value}), \text{max\_value}\bigr)

    A bound left as None is not applied. If ``min_value > max_value`` every element
    becomes ``max_value`` (as in NumPy and PyTorch). NaN stays NaN.

    Backward: the gradient passes where the input lies inside the closed interval,
    bounds included, and is 0 outside (as ``torch.clamp``):

    .. math::
        \frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial y_i}\,
        [\text{min\_value} \le x_i \le \text{max\_value}]

    Parameters
    ----------
    input_ : Tensor
        Any shape (a list or ndarray is turned into a Tensor).
    min_value, max_value : float or int, optional
        The bounds; at least one must be given. A Python number never changes the
        tensor's dtype.

    Returns
    -------
    Tensor
        Of the shape and dtype of ``input_``.

    Raises
    ------
    ValueError
        If both bounds are None.
    TypeError
        If a bound is not a real number, or ``input_`` is not a Tensor, list or ndarray.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([-2.0, 0.0, 0.5, 1.0, 3.0], requires_grad=True)
    >>> y = lucid.clip(x, 0.0, 1.0)
    >>> print(y)
    Tensor([0.0, 0.0, 0.5, 1.0, 1.0], grad_fn=Clip)
    >>> y.sum().backward()
    >>> x.grad
    array([0., 1., 1., 1., 0.], dtype=float32)
    """
    if min_value is None and max_value is None:
        raise ValueError("clip: at least one of min_value and max_value must be given; got both None")
    _check_bound(min_value, "min_value")
    _check_bound(max_value, "max_value")
    return _unary(Clip, "clip", input_, min_value=min_value, max_value=max_value)


#: PyTorch's name of :func:`clip` (the same function).
clamp = clip


class _ZeroGrad(Function):
    """Base of the piecewise-constant ops: their derivative is 0 almost everywhere.

    PyTorch gives them a gradient of zeros (not None), and so does lucid.
    """

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad)


class Sign(_ZeroGrad):
    r"""``y = sign(x)``;  ``dL/dx = 0``."""

    @staticmethod
    def forward(ctx, x):
        return np.sign(x)


@shared_doc(_UNARY_SECTIONS)
def sign(input_):
    r"""Element-wise sign: -1, 0 or 1.

    .. math:: y_i = \operatorname{sign}(x_i) =
        \begin{cases} -1 & x_i < 0 \\ 0 & x_i = 0 \\ 1 & x_i > 0 \end{cases}

    Backward: the function is piecewise constant, so
    :math:`\partial L/\partial x_i = 0` (as in PyTorch, also at the jump).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    >>> y = lucid.sign(x)
    >>> print(y)
    Tensor([-1.0, 0.0, 1.0], grad_fn=Sign)
    >>> y.sum().backward()
    >>> x.grad
    array([0., 0., 0.], dtype=float32)
    """
    return _unary(Sign, "sign", input_)


class Round(_ZeroGrad):
    r"""``y = round(x, decimals)`` (half to even);  ``dL/dx = 0``."""

    @staticmethod
    def forward(ctx, x, decimals=0):
        return np.round(x, decimals)


def round(input_, decimals=0):
    r"""Round every element to ``decimals`` decimal places, halves to even.

    .. math:: y_i = 10^{-d}\, \operatorname{rint}(10^{d}\, x_i)

    where :math:`\operatorname{rint}` rounds to the nearest integer and a half to the
    even one (``0.5 -> 0``, ``1.5 -> 2``, ``2.5 -> 2``), as NumPy and PyTorch do.
    A negative ``decimals`` rounds to tens, hundreds, ...

    Backward: piecewise constant, so :math:`\partial L/\partial x_i = 0`
    (as in PyTorch).

    Parameters
    ----------
    input_ : Tensor
        Any shape (a list or ndarray is turned into a Tensor).
    decimals : int, default 0
        Number of decimal places :math:`d`.

    Returns
    -------
    Tensor
        Of the shape and dtype of ``input_``.

    Raises
    ------
    TypeError
        If ``decimals`` is not an int, or ``input_`` is not a Tensor, list or ndarray.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.round(lucid.Tensor([0.5, 1.5, 2.5, -1.7])))
    Tensor([0.0, 2.0, 2.0, -2.0])
    >>> print(lucid.round(lucid.Tensor([3.14159, 1234.5]), decimals=2))
    Tensor([3.14, 1234.5])
    >>> print(lucid.round(lucid.Tensor([1234.5]), decimals=-2))
    Tensor([1200.0])
    """
    if isinstance(decimals, (bool, np.bool_)) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an int; got {decimals!r}")
    return _unary(Round, "round", input_, decimals=int(decimals))


class Floor(_ZeroGrad):
    r"""``y = floor(x)``;  ``dL/dx = 0``."""

    @staticmethod
    def forward(ctx, x):
        return np.floor(x)


@shared_doc(_UNARY_SECTIONS)
@renamed(a="input_")
def floor(input_):
    r"""Element-wise floor: the largest integer not above each element.

    .. math:: y_i = \lfloor x_i \rfloor

    Backward: piecewise constant, so :math:`\partial L/\partial x_i = 0`
    (as in PyTorch).

    Examples
    --------
    >>> import lucid
    >>> print(lucid.floor(lucid.Tensor([-1.5, 0.2, 2.0])))
    Tensor([-2.0, 0.0, 2.0])
    """
    return _unary(Floor, "floor", input_)


class Ceil(_ZeroGrad):
    r"""``y = ceil(x)``;  ``dL/dx = 0``."""

    @staticmethod
    def forward(ctx, x):
        return np.ceil(x)


@shared_doc(_UNARY_SECTIONS)
@renamed(a="input_")
def ceil(input_):
    r"""Element-wise ceiling: the smallest integer not below each element.

    .. math:: y_i = \lceil x_i \rceil

    Backward: piecewise constant, so :math:`\partial L/\partial x_i = 0`
    (as in PyTorch).

    Examples
    --------
    >>> import lucid
    >>> print(lucid.ceil(lucid.Tensor([-1.5, 0.2, 2.0])))
    Tensor([-1.0, 1.0, 2.0])
    """
    return _unary(Ceil, "ceil", input_)


# ======================================================= comparisons and logic
@shared_doc(_COMPARE_SECTIONS)
def equal(a, b):
    r"""Element-wise ``a == b`` (the ``==`` operator).

    .. math:: z_i = [a_i = b_i]

    Backward: none; the result is a bool tensor outside the graph.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.equal(lucid.Tensor([1.0, 2.0, 3.0]), 2.0))
    Tensor([False, True, False])
    """
    return _compare(np.equal, "equal", a, b)


@shared_doc(_COMPARE_SECTIONS)
def not_equal(a, b):
    r"""Element-wise ``a != b`` (the ``!=`` operator).

    .. math:: z_i = [a_i \ne b_i]

    Backward: none; the result is a bool tensor outside the graph.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.not_equal(lucid.Tensor([1.0, 2.0, 3.0]), 2.0))
    Tensor([True, False, True])
    """
    return _compare(np.not_equal, "not_equal", a, b)


@shared_doc(_COMPARE_SECTIONS)
def less(a, b):
    r"""Element-wise ``a < b`` (the ``<`` operator).

    .. math:: z_i = [a_i < b_i]

    Backward: none; the result is a bool tensor outside the graph.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.less(lucid.Tensor([1.0, 2.0, 3.0]), 2.0))
    Tensor([True, False, False])
    """
    return _compare(np.less, "less", a, b)


@shared_doc(_COMPARE_SECTIONS)
def less_equal(a, b):
    r"""Element-wise ``a <= b`` (the ``<=`` operator).

    .. math:: z_i = [a_i \le b_i]

    Backward: none; the result is a bool tensor outside the graph.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.less_equal(lucid.Tensor([1.0, 2.0, 3.0]), 2.0))
    Tensor([True, True, False])
    """
    return _compare(np.less_equal, "less_equal", a, b)


@shared_doc(_COMPARE_SECTIONS)
def greater(a, b):
    r"""Element-wise ``a > b`` (the ``>`` operator).

    .. math:: z_i = [a_i > b_i]

    Backward: none; the result is a bool tensor outside the graph.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.greater(lucid.Tensor([1.0, 2.0, 3.0]), 2.0))
    Tensor([False, False, True])
    """
    return _compare(np.greater, "greater", a, b)


@shared_doc(_COMPARE_SECTIONS)
def greater_equal(a, b):
    r"""Element-wise ``a >= b`` (the ``>=`` operator).

    .. math:: z_i = [a_i \ge b_i]

    Backward: none; the result is a bool tensor outside the graph.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.greater_equal(lucid.Tensor([1.0, 2.0, 3.0]), 2.0))
    Tensor([False, True, True])
    """
    return _compare(np.greater_equal, "greater_equal", a, b)


@shared_doc(_COMPARE_SECTIONS)
def logical_and(a, b):
    r"""Element-wise logical AND (the ``&`` operator); nonzero counts as True.

    .. math:: z_i = [a_i \ne 0] \wedge [b_i \ne 0]

    Backward: none; the result is a bool tensor outside the graph.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([True, True, False])
    >>> b = lucid.Tensor([True, False, False])
    >>> print(a & b)
    Tensor([True, False, False])
    """
    return _compare(np.logical_and, "logical_and", a, b)


@shared_doc(_COMPARE_SECTIONS)
def logical_or(a, b):
    r"""Element-wise logical OR (the ``|`` operator); nonzero counts as True.

    .. math:: z_i = [a_i \ne 0] \vee [b_i \ne 0]

    Backward: none; the result is a bool tensor outside the graph.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([True, True, False])
    >>> b = lucid.Tensor([True, False, False])
    >>> print(lucid.logical_or(a, b))
    Tensor([True, True, False])
    """
    return _compare(np.logical_or, "logical_or", a, b)


def logical_not(input_):
    r"""Element-wise logical NOT (the ``~`` operator); nonzero counts as True.

    .. math:: y_i = [x_i = 0]

    Backward: none; the result is a bool tensor outside the graph.

    Parameters
    ----------
    input_ : Tensor
        Any shape and dtype (a list or ndarray is turned into a Tensor).

    Returns
    -------
    Tensor
        A bool tensor of the shape of ``input_``. It never requires grad.

    Raises
    ------
    TypeError
        If ``input_`` is not a Tensor, list or ndarray.

    Examples
    --------
    >>> import lucid
    >>> print(~lucid.Tensor([True, False]))
    Tensor([False, True])
    >>> print(lucid.logical_not(lucid.Tensor([0.0, 2.0])))
    Tensor([True, False])
    """
    x = _tensor_arg(input_, "logical_not")
    return Tensor._wrap(np.asarray(np.logical_not(x.data)))


# ======================================================================== casts
class AsType(Function):
    r"""``y = x`` converted to a floating dtype;  ``dL/dx = dL/dy`` (the engine casts it
    to x's gradient dtype: x's own if floating, else it stays floating)."""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)  # always a copy

    @staticmethod
    def backward(ctx, grad):
        return grad


def astype(input_, dtype):
    r"""A copy of ``input_`` converted to ``dtype``.

    .. math:: y_i = \operatorname{cast}(x_i)

    Values are converted as NumPy's ``astype`` converts them (floats to ints truncate
    toward zero).

    Backward: a cast to a floating dtype is the identity on values, so
    :math:`\partial L/\partial x_i = \partial L/\partial y_i`, cast back to the input's
    dtype (an integer input, which may require grad as in the original lucid, keeps a
    floating gradient). A cast to a non-floating dtype truncates, so it is not
    differentiable: its result does not require grad.

    Parameters
    ----------
    input_ : Tensor
        Any shape (a list or ndarray is turned into a Tensor).
    dtype : dtype
        A NumPy dtype or name, ``float`` (float32), ``int`` (int64), ``bool``, or a
        lucid dtype.

    Returns
    -------
    Tensor
        A new tensor of the shape of ``input_`` and dtype ``dtype``.

    Raises
    ------
    TypeError
        If ``dtype`` is not a dtype, or ``input_`` is not a Tensor, list or ndarray.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.5, -2.7], requires_grad=True)
    >>> y = lucid.astype(x, "float64")
    >>> print(y)
    Tensor([1.5, -2.700000047683716], dtype=float64, grad_fn=AsType)
    >>> y.sum().backward()
    >>> x.grad
    array([1., 1.], dtype=float32)
    >>> print(x.astype(int))
    Tensor([1, -2])
    """
    x = _tensor_arg(input_, "astype")
    try:
        dtype = _resolve_dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"astype: {exc}") from None
    if dtype.kind == "f" and x.dtype.kind in "biuf":
        return AsType.apply(x, dtype=dtype)
    return Tensor._wrap(x.data.astype(dtype))


class Clone(DataMovement):
    r"""``y = x``, a copy in new memory;  ``dL/dx = dL/dy``."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(input_):
    r"""A copy of ``input_`` in its own memory, still in the graph (PyTorch's ``clone``).

    .. math:: y_i = x_i

    Unlike :meth:`Tensor.detach` the copy keeps the graph, and unlike ``x`` itself
    it can be changed in place without touching ``x``.

    Backward: the identity, :math:`\partial L/\partial x = \partial L/\partial y`.

    Parameters
    ----------
    input_ : Tensor
        Any shape and dtype.

    Returns
    -------
    Tensor
        Same shape and dtype, new memory.

    Raises
    ------
    TypeError
        ``input_`` not a Tensor, list or ndarray.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    >>> y = x.clone()
    >>> print(y)
    Tensor([1.0, 2.0], grad_fn=Clone)
    >>> (3 * y).sum().backward()
    >>> x.grad
    array([3., 3.], dtype=float32)
    """
    return Clone.apply(_tensor_arg(input_, "clone"))
