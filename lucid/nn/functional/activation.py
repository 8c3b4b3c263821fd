r"""Activation functions: ``relu``, ``leaky_relu``, ``elu``, ``selu``, ``gelu``,
``sigmoid``, ``tanh``, ``relu6``, ``hard_sigmoid``, ``swish`` (``silu``), ``hard_swish``,
``softmax`` and ``log_softmax``.

Each checks ``input_`` (a float32 / float64 Tensor) and its parameters, then calls one
Function of :mod:`lucid.ops.activation` whose backward is written by hand. Values and
gradients equal ``torch.nn.functional``'s (``swish`` is torch's ``silu``,
``hard_sigmoid`` / ``hard_swish`` are ``hardsigmoid`` / ``hardswish``).

The functions share their Parameters / Returns / Raises sections
(:func:`_elementwise_doc` appends them; softmax and log_softmax add ``axis``).
"""
import inspect

from lucid import ops
from lucid._checks import check_number, float_tensor, normalize_axis, renamed
from lucid.ops import activation as act

__all__ = ["relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh", "relu6",
           "hard_sigmoid", "swish", "silu", "hard_swish", "softmax", "log_softmax"]

_SECTIONS = """
Parameters
----------
input_ : Tensor
    Any shape, float32 or float64.
{params}
Returns
-------
Tensor
    Of the shape and dtype of ``input_``.

Raises
------
TypeError
    If ``input_`` is not a float Tensor{raises}.
"""


def _elementwise_doc(params="", raises=""):
    """Insert the shared sections (plus extra ``params`` / ``raises`` lines) before Examples."""
    def attach(fn):
        doc = inspect.cleandoc(fn.__doc__)
        head, examples = doc.split("\nExamples\n", 1)
        sections = _SECTIONS.format(params=params, raises=raises)
        fn.__doc__ = head.rstrip() + "\n" + sections + "\nExamples\n" + examples
        return fn
    return attach


@_elementwise_doc()
def relu(input_):
    r"""Rectified linear unit, element-wise.

    .. math:: y_i = \max(x_i, 0)

    Backward: :math:`\partial L/\partial x_i = \partial L/\partial y_i` where
    :math:`x_i > 0`, else 0 (0 at :math:`x_i = 0`, as PyTorch).

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    >>> y = F.relu(x)
    >>> print(y)
    Tensor([0.0, 0.0, 2.0], grad_fn=ReLU)
    >>> y.sum().backward()
    >>> x.grad
    array([0., 0., 1.], dtype=float32)
    """
    return act.ReLU.apply(float_tensor(input_, "relu"))


@_elementwise_doc(params="negative_slope : float, default 0.01\n    Slope for "
                         "negative inputs.\n", raises="; ValueError for a non-finite slope")
def leaky_relu(input_, negative_slope=0.01):
    r"""Leaky ReLU: a small slope instead of zero for negative inputs.

    .. math:: y_i = \begin{cases} x_i & x_i > 0 \\ a\,x_i & x_i \le 0 \end{cases}

    with :math:`a` = ``negative_slope``. Backward: :math:`\partial y_i/\partial x_i` is
    1 for :math:`x_i > 0` and :math:`a` otherwise.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.leaky_relu(lucid.Tensor([-2.0, 3.0]), negative_slope=0.5))
    Tensor([-1.0, 3.0])
    """
    x = float_tensor(input_, "leaky_relu")
    a = check_number(negative_slope, "leaky_relu", "negative_slope")
    return act.LeakyReLU.apply(x, negative_slope=a)


@_elementwise_doc(params="alpha : float, default 1.0\n    The saturation scale for "
                         "negative inputs.\n", raises="; ValueError for a non-finite alpha")
def elu(input_, alpha=1.0):
    r"""Exponential linear unit.

    .. math:: y_i = \begin{cases} x_i & x_i > 0 \\ \alpha (e^{x_i} - 1) & x_i \le 0 \end{cases}

    Backward: :math:`\partial y_i/\partial x_i` is 1 for :math:`x_i > 0` and
    :math:`\alpha e^{x_i}` otherwise.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.elu(lucid.Tensor([-1.0, 0.0, 1.0])))
    Tensor([-0.6321206, 0.0, 1.0])
    """
    x = float_tensor(input_, "elu")
    a = check_number(alpha, "elu", "alpha")
    return act.ELU.apply(x, alpha=a)


@_elementwise_doc()
def selu(input_):
    r"""Scaled ELU (self-normalising networks, Klambauer et al. 2017).

    .. math:: y_i = \lambda \begin{cases} x_i & x_i > 0 \\ \alpha (e^{x_i} - 1) & x_i \le 0
              \end{cases}

    with :math:`\alpha \approx 1.6732632` and :math:`\lambda \approx 1.0507010`.
    Backward: :math:`\partial y_i/\partial x_i` is :math:`\lambda` for :math:`x_i > 0`
    and :math:`\lambda \alpha e^{x_i}` otherwise.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.selu(lucid.Tensor([-1.0, 1.0])))
    Tensor([-1.1113307, 1.050701])
    """
    x = float_tensor(input_, "selu")
    return act.ELU.apply(x, alpha=act.SELU_ALPHA, scale=act.SELU_SCALE)


@_elementwise_doc(params="approximate : {'none', 'tanh'}, default 'none'\n    'none': the "
                         "exact erf form; 'tanh': the tanh approximation.\n",
                  raises="; ValueError for another ``approximate``")
def gelu(input_, approximate="none"):
    r"""Gaussian error linear unit: the input times the normal CDF of itself.

    .. math:: y_i = x_i\,\Phi(x_i) = \tfrac12 x_i \left(1 + \mathrm{erf}(x_i/\sqrt2)\right)

    or, with ``approximate='tanh'``,

    .. math:: y_i = \tfrac12 x_i \left(1 + \tanh\!\left(\sqrt{2/\pi}\,(x_i + 0.044715\,x_i^3)
              \right)\right)

    Backward: exact, :math:`y' = \Phi(x) + x\,\varphi(x)` with
    :math:`\varphi(x) = e^{-x^2/2}/\sqrt{2\pi}`; tanh form, with
    :math:`u = \sqrt{2/\pi}(x + 0.044715 x^3)`,
    :math:`y' = \tfrac12(1 + \tanh u) + \tfrac12 x (1 - \tanh^2 u)\sqrt{2/\pi}(1 + 0.134145 x^2)`.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.gelu(lucid.Tensor([-1.0, 0.0, 1.0])))
    Tensor([-0.15865526, 0.0, 0.8413447])
    >>> print(F.gelu(lucid.Tensor([1.0]), approximate="tanh"))
    Tensor([0.841192])
    """
    x = float_tensor(input_, "gelu")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh'; got {approximate!r}")
    return act.GELU.apply(x, approximate=approximate)


@_elementwise_doc()
def sigmoid(input_):
    r"""The logistic sigmoid.

    .. math:: y_i = \sigma(x_i) = \frac{1}{1 + e^{-x_i}}

    computed without overflow (as :math:`e^{x}/(1 + e^{x})` for negative :math:`x`).
    Backward: :math:`\partial y_i/\partial x_i = y_i (1 - y_i)`.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([0.0, 2.0], requires_grad=True)
    >>> y = F.sigmoid(x)
    >>> print(y)
    Tensor([0.5, 0.880797], grad_fn=Sigmoid)
    >>> y.sum().backward()
    >>> x.grad
    array([0.25      , 0.10499363], dtype=float32)
    """
    return act.Sigmoid.apply(float_tensor(input_, "sigmoid"))


@_elementwise_doc()
def tanh(input_):
    r"""Hyperbolic tangent (the same op as :func:`lucid.tanh`).

    .. math:: y_i = \tanh x_i = \frac{e^{x_i} - e^{-x_i}}{e^{x_i} + e^{-x_i}}

    Backward: :math:`\partial y_i/\partial x_i = 1 - y_i^2`.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.tanh(lucid.Tensor([0.0, 1.0])))
    Tensor([0.0, 0.7615942])
    """
    return ops.tanh(float_tensor(input_, "tanh"))


@_elementwise_doc()
def relu6(input_):
    r"""ReLU capped at 6.

    .. math:: y_i = \min(\max(x_i, 0), 6)

    Backward: :math:`\partial y_i/\partial x_i = 1` for :math:`0 < x_i < 6`, else 0
    (0 at both kinks, as PyTorch).

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.relu6(lucid.Tensor([-1.0, 3.0, 8.0])))
    Tensor([0.0, 3.0, 6.0])
    """
    return act.ClipShift.apply(float_tensor(input_, "relu6"), shift=0.0, high=6.0, divisor=1.0)


@_elementwise_doc()
def hard_sigmoid(input_):
    r"""A piecewise-linear sigmoid (PyTorch's ``hardsigmoid``).

    .. math:: y_i = \frac{\mathrm{relu6}(x_i + 3)}{6}
              = \begin{cases} 0 & x_i \le -3 \\ x_i/6 + 1/2 & -3 < x_i < 3 \\ 1 & x_i \ge 3
              \end{cases}

    Backward: :math:`\partial y_i/\partial x_i = 1/6` for :math:`-3 < x_i < 3`, else 0.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.hard_sigmoid(lucid.Tensor([-4.0, 0.0, 1.5, 4.0])))
    Tensor([0.0, 0.5, 0.75, 1.0])
    """
    return act.ClipShift.apply(float_tensor(input_, "hard_sigmoid"), shift=3.0, high=6.0,
                               divisor=6.0)


@_elementwise_doc()
def swish(input_):
    r"""Swish / SiLU: the input gated by its own sigmoid (PyTorch's ``silu``).

    .. math:: y_i = x_i\,\sigma(x_i)

    Backward: :math:`\partial y_i/\partial x_i = \sigma(x_i)\,(1 + x_i (1 - \sigma(x_i)))`.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.swish(lucid.Tensor([0.0, 1.0])))
    Tensor([0.0, 0.7310586])
    """
    return act.Swish.apply(float_tensor(input_, "swish"))


@_elementwise_doc()
def silu(input_):
    r"""SiLU (sigmoid-weighted linear unit), PyTorch's name of :func:`swish`.

    .. math:: y_i = x_i\,\sigma(x_i) = \frac{x_i}{1 + e^{-x_i}}

    Backward: :math:`\partial y_i/\partial x_i = \sigma(x_i)\,(1 + x_i (1 - \sigma(x_i)))`.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([-1.0, 0.0, 1.0], requires_grad=True)
    >>> print(F.silu(x))
    Tensor([-0.2689414, 0.0, 0.7310586], grad_fn=Swish)
    >>> F.silu(x).sum().backward()
    >>> x.grad
    array([0.07232948, 0.5       , 0.92767054], dtype=float32)
    """
    return act.Swish.apply(float_tensor(input_, "silu"))

@_elementwise_doc()
def hard_swish(input_):
    r"""Hard swish (MobileNetV3; PyTorch's ``hardswish``).

    .. math:: y_i = x_i\,\frac{\mathrm{relu6}(x_i + 3)}{6}

    Backward: :math:`\partial y_i/\partial x_i` is 0 for :math:`x_i \le -3`,
    :math:`x_i/3 + 1/2` for :math:`-3 < x_i < 3` and 1 for :math:`x_i \ge 3` (PyTorch's
    choice at the kinks).

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.hard_swish(lucid.Tensor([-4.0, 1.0, 4.0])))
    Tensor([-0.0, 0.6666667, 4.0])
    """
    return act.HardSwish.apply(float_tensor(input_, "hard_swish"))


def _softmax_args(fname, input_, axis):
    x = float_tensor(input_, fname)
    if axis == ():
        raise ValueError(f"{fname}: axis must name at least one axis (an int, a tuple of "
                         "ints or None for all), got ()")
    return x, normalize_axis(axis, x.ndim, fname)


_AXIS_SECTIONS = dict(params="axis : int or tuple of int, default -1\n    The axis the softmax "
                             "runs along; several axes make one row of all their values.\n",
                      raises=" or ``axis`` not an int or a tuple of ints.\nValueError\n    "
                             "If ``axis`` is out of range, repeated or empty")


@renamed(dim="axis")
@_elementwise_doc(**_AXIS_SECTIONS)
def softmax(input_, axis=-1):
    r"""Softmax along ``axis``: non-negative values that sum to 1.

    .. math:: y_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \qquad m = \max_j x_j

    (subtracting :math:`m` changes nothing mathematically and keeps ``exp`` from
    overflowing). Shapes: ``input_`` of any shape; the result has the same shape.

    Backward: the Jacobian is :math:`\partial y_i/\partial x_j = y_i(\delta_{ij} - y_j)`, so
    :math:`\partial L/\partial x_i = y_i\,(g_i - \sum_j g_j y_j)` with
    :math:`g = \partial L/\partial y`.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.softmax(lucid.Tensor([[1.0, 1.0], [0.0, 1000.0]]), axis=1))
    Tensor([[0.5, 0.5], [0.0, 1.0]])
    """
    x, axis = _softmax_args("softmax", input_, axis)
    return act.Softmax.apply(x, axis=axis)


@renamed(dim="axis")
@_elementwise_doc(**_AXIS_SECTIONS)
def log_softmax(input_, axis=-1):
    r"""Logarithm of the softmax along ``axis``, computed stably.

    .. math:: y_i = x_i - m - \log \sum_j e^{x_j - m}, \qquad m = \max_j x_j

    This never takes the log of a rounded-to-zero softmax, so it stays finite where
    ``log(softmax(x))`` gives ``-inf``. Shapes: the result has ``input_``'s shape.

    Backward: :math:`\partial y_i/\partial x_j = \delta_{ij} - \mathrm{softmax}(x)_j`, so
    :math:`\partial L/\partial x_j = g_j - e^{y_j} \sum_i g_i`.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.log_softmax(lucid.Tensor([0.0, 1000.0]), axis=0))
    Tensor([-1000.0, 0.0])
    """
    x, axis = _softmax_args("log_softmax", input_, axis)
    return act.LogSoftmax.apply(x, axis=axis)
