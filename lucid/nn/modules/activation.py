r"""Activation layers: thin :class:`~lucid.nn.Module` wrappers of
:mod:`lucid.nn.functional.activation`.

Each layer holds only its settings (no parameters) and calls its function in
``forward``; the function documents the maths and checks the input. Names follow the
original lucid, with PyTorch's ``SiLU`` beside ``Swish``; PyTorch's ``Hardsigmoid`` and
``Hardswish`` are ``HardSigmoid`` and ``HardSwish``. ``inplace`` is accepted where PyTorch has it, so PyTorch code runs
unchanged, but lucid never overwrites the input: the output is a new tensor with the
same values.
"""
from lucid.nn import functional as F
from lucid._checks import check_number, is_int, renamed
from lucid.nn.functional._layer_args import flag_arg
from lucid.nn.module import Module

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "GELU", "Sigmoid", "HardSigmoid",
           "Tanh", "Softmax", "LogSoftmax", "Swish", "SiLU", "HardSwish"]


class _Activation(Module):
    """An element-wise activation: ``forward(x) = fn(x, **settings)``."""

    _fn = None          # the lucid.nn.functional function (set by each subclass)

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = flag_arg(inplace, type(self).__name__, "inplace")

    def _settings(self):
        return {}

    def forward(self, x):
        """Apply the activation to ``x`` (any shape)."""
        return type(self)._fn(x, **self._settings())

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_Activation):
    r"""Rectified linear unit, element-wise: :math:`y = \max(x, 0)`.

    Shapes: any; the output has the input's shape. Backward: :math:`g` where
    :math:`x > 0`, else 0 (see :func:`lucid.nn.functional.relu`).

    Parameters
    ----------
    inplace : bool, default False
        Accepted for PyTorch compatibility (lucid computes out of place).

    Raises
    ------
    TypeError
        (forward) a non-float input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> print(nn.ReLU()(lucid.Tensor([-1.0, 2.0])))
    Tensor([0.0, 2.0])
    """
    _fn = staticmethod(F.relu)


class ReLU6(_Activation):
    r"""ReLU capped at 6: :math:`y = \min(\max(x, 0), 6)`.

    Shapes: any. Backward: :math:`g` for :math:`0 < x < 6`, else 0 (see
    :func:`lucid.nn.functional.relu6`).

    Parameters
    ----------
    inplace : bool, default False
        Accepted for PyTorch compatibility.

    Raises
    ------
    TypeError
        (forward) a non-float input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> print(nn.ReLU6()(lucid.Tensor([-1.0, 3.0, 9.0])))
    Tensor([0.0, 3.0, 6.0])
    """
    _fn = staticmethod(F.relu6)


class LeakyReLU(_Activation):
    r"""Leaky ReLU: :math:`y = x` for :math:`x > 0`, else :math:`a x`.

    Shapes: any. Backward: :math:`g` for :math:`x > 0`, else :math:`a g` (see
    :func:`lucid.nn.functional.leaky_relu`).

    Parameters
    ----------
    negative_slope : float, default 0.01
        :math:`a`.
    inplace : bool, default False
        Accepted for PyTorch compatibility.

    Raises
    ------
    TypeError, ValueError
        A non-number or non-finite ``negative_slope``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> act = nn.LeakyReLU(0.5)
    >>> act
    LeakyReLU(negative_slope=0.5)
    >>> print(act(lucid.Tensor([-2.0, 2.0])))
    Tensor([-1.0, 2.0])
    """
    _fn = staticmethod(F.leaky_relu)

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__(inplace)
        self.negative_slope = _number("LeakyReLU", "negative_slope", negative_slope)

    def _settings(self):
        return {"negative_slope": self.negative_slope}

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(_Activation):
    r"""Exponential linear unit: :math:`y = x` for :math:`x > 0`, else
    :math:`\alpha (e^x - 1)`.

    Shapes: any. Backward: :math:`g` for :math:`x > 0`, else :math:`\alpha e^x g` (see
    :func:`lucid.nn.functional.elu`).

    Parameters
    ----------
    alpha : float, default 1.0
    inplace : bool, default False
        Accepted for PyTorch compatibility.

    Raises
    ------
    TypeError, ValueError
        A non-number or non-finite ``alpha``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> nn.ELU()
    ELU(alpha=1.0)
    >>> print(nn.ELU(alpha=2.0)(lucid.Tensor([0.0, 1.0])))
    Tensor([0.0, 1.0])
    """
    _fn = staticmethod(F.elu)

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(inplace)
        self.alpha = _number("ELU", "alpha", alpha)

    def _settings(self):
        return {"alpha": self.alpha}

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(_Activation):
    r"""Scaled ELU: :math:`y = \lambda x` for :math:`x > 0`, else
    :math:`\lambda \alpha (e^x - 1)`, with :math:`\alpha \approx 1.6733`,
    :math:`\lambda \approx 1.0507`.

    Shapes: any. Backward: :math:`\lambda g` for :math:`x > 0`, else
    :math:`\lambda \alpha e^x g` (see :func:`lucid.nn.functional.selu`).

    Parameters
    ----------
    inplace : bool, default False
        Accepted for PyTorch compatibility.

    Raises
    ------
    TypeError
        (forward) a non-float input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> print(nn.SELU()(lucid.Tensor([1.0])))
    Tensor([1.050701])
    """
    _fn = staticmethod(F.selu)


class GELU(_Activation):
    r"""Gaussian error linear unit: :math:`y = x\,\Phi(x)` (or its tanh approximation).

    Shapes: any. Backward: :math:`g\,(\Phi(x) + x\varphi(x))` (see
    :func:`lucid.nn.functional.gelu` for the tanh form).

    Parameters
    ----------
    approximate : {'none', 'tanh'}, default 'none'

    Raises
    ------
    ValueError
        Another ``approximate``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> nn.GELU()
    GELU(approximate='none')
    >>> print(nn.GELU()(lucid.Tensor([0.0, 1.0])))
    Tensor([0.0, 0.8413447])
    """
    _fn = staticmethod(F.gelu)

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh'; got {approximate!r}")
        self.approximate = approximate

    def _settings(self):
        return {"approximate": self.approximate}

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(_Activation):
    r"""Logistic sigmoid: :math:`y = 1/(1 + e^{-x})`.

    Shapes: any. Backward: :math:`g\,y(1 - y)` (see :func:`lucid.nn.functional.sigmoid`).

    Raises
    ------
    TypeError
        (forward) a non-float input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> print(nn.Sigmoid()(lucid.Tensor([0.0])))
    Tensor([0.5])
    """
    _fn = staticmethod(F.sigmoid)

    def __init__(self):  # no ``inplace`` argument, as in PyTorch
        super().__init__()


class HardSigmoid(_Activation):
    r"""Piecewise-linear sigmoid (PyTorch's ``Hardsigmoid``): :math:`y = \mathrm{relu6}(x + 3)/6`.

    Shapes: any. Backward: :math:`g/6` for :math:`-3 < x < 3`, else 0 (see
    :func:`lucid.nn.functional.hard_sigmoid`).

    Parameters
    ----------
    inplace : bool, default False
        Accepted for PyTorch compatibility.

    Raises
    ------
    TypeError
        (forward) a non-float input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> print(nn.HardSigmoid()(lucid.Tensor([-4.0, 0.0, 4.0])))
    Tensor([0.0, 0.5, 1.0])
    """
    _fn = staticmethod(F.hard_sigmoid)


class Tanh(_Activation):
    r"""Hyperbolic tangent: :math:`y = \tanh x`.

    Shapes: any. Backward: :math:`g\,(1 - y^2)`.

    Raises
    ------
    TypeError
        (forward) a non-float input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> print(nn.Tanh()(lucid.Tensor([0.0])))
    Tensor([0.0])
    """
    _fn = staticmethod(F.tanh)

    def __init__(self):  # no ``inplace`` argument, as in PyTorch
        super().__init__()


class Softmax(_Activation):
    r"""Softmax along ``axis``: :math:`y_i = e^{x_i} / \sum_j e^{x_j}` (computed stably).

    Shapes: any; the output has the input's shape and sums to 1 along ``axis``.
    Backward: :math:`\partial L/\partial x_i = y_i (g_i - \sum_j g_j y_j)` (see
    :func:`lucid.nn.functional.softmax`).

    Parameters
    ----------
    axis : int, default -1
        The original lucid's name; PyTorch's ``dim`` works too (``nn.Softmax(dim=1)``).
        (PyTorch's ``dim=None`` guesses an axis from the input's ndim; lucid asks for
        it explicitly, defaulting to the last axis.)

    Raises
    ------
    TypeError
        A non-int ``axis``.
    ValueError
        (forward) ``axis`` out of range for the input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> sm = nn.Softmax(axis=1)
    >>> sm
    Softmax(axis=1)
    >>> print(sm(lucid.Tensor([[0.0, 0.0]])))
    Tensor([[0.5, 0.5]])
    """
    _fn = staticmethod(F.softmax)

    @renamed(dim="axis")
    def __init__(self, axis=-1):
        super().__init__()
        if not is_int(axis):
            raise TypeError(f"{type(self).__name__}: axis must be an int; got {axis!r}")
        self.axis = int(axis)

    def _settings(self):
        return {"axis": self.axis}

    def extra_repr(self):
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    r"""Log-softmax along ``axis``: :math:`y_i = x_i - \log \sum_j e^{x_j}` (computed
    stably, never as ``log(softmax(x))``).

    Feed it to :class:`NLLLoss` (together they are :class:`CrossEntropyLoss`), or to
    :class:`KLDivLoss`. Shapes: any; the output has the input's shape.
    Backward: :math:`\partial L/\partial x_j = g_j - \mathrm{softmax}(x)_j \sum_i g_i`
    (see :func:`lucid.nn.functional.log_softmax`).

    Parameters
    ----------
    axis : int, default -1
        The axis of the classes; PyTorch's ``dim`` works too (``nn.LogSoftmax(dim=1)``).

    Raises
    ------
    TypeError
        A non-int ``axis``.
    ValueError
        (forward) ``axis`` out of range for the input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> lsm = nn.LogSoftmax(dim=1)
    >>> lsm
    LogSoftmax(axis=1)
    >>> print(lsm(lucid.Tensor([[0.0, 0.0], [0.0, 1000.0]])))
    Tensor([[-0.6931472, -0.6931472], [-1000.0, 0.0]])
    """
    _fn = staticmethod(F.log_softmax)

    @renamed(dim="axis")
    def __init__(self, axis=-1):
        super().__init__(axis)

class Swish(_Activation):
    r"""Swish / SiLU (PyTorch's ``SiLU``): :math:`y = x\,\sigma(x)`.

    Shapes: any. Backward: :math:`g\,\sigma(x)(1 + x(1 - \sigma(x)))` (see
    :func:`lucid.nn.functional.swish`).

    Parameters
    ----------
    inplace : bool, default False
        Accepted for PyTorch compatibility.

    Raises
    ------
    TypeError
        (forward) a non-float input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> print(nn.Swish()(lucid.Tensor([0.0, 1.0])))
    Tensor([0.0, 0.7310586])
    """
    _fn = staticmethod(F.swish)


class SiLU(Swish):
    r"""SiLU, PyTorch's name of :class:`Swish`: :math:`y = x\,\sigma(x)`.

    Shapes: any. Backward: :math:`g\,\sigma(x)(1 + x(1 - \sigma(x)))` (see
    :func:`lucid.nn.functional.silu`).

    Parameters
    ----------
    inplace : bool, default False
        Accepted for PyTorch compatibility.

    Raises
    ------
    TypeError
        (forward) a non-float input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> print(nn.SiLU()(lucid.Tensor([-1.0, 0.0, 1.0])))
    Tensor([-0.2689414, 0.0, 0.7310586])
    """
    _fn = staticmethod(F.silu)

class HardSwish(_Activation):
    r"""Hard swish (PyTorch's ``Hardswish``): :math:`y = x\,\mathrm{relu6}(x + 3)/6`.

    Shapes: any. Backward: 0 for :math:`x \le -3`, :math:`g(x/3 + 1/2)` for
    :math:`-3 < x < 3`, :math:`g` for :math:`x \ge 3` (see
    :func:`lucid.nn.functional.hard_swish`).

    Parameters
    ----------
    inplace : bool, default False
        Accepted for PyTorch compatibility.

    Raises
    ------
    TypeError
        (forward) a non-float input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> print(nn.HardSwish()(lucid.Tensor([-4.0, 4.0])))
    Tensor([-0.0, 4.0])
    """
    _fn = staticmethod(F.hard_swish)


def _number(layer, arg, value):
    """A finite real number (checked when the layer is made, not at the first call)."""
    return check_number(value, layer, arg)
