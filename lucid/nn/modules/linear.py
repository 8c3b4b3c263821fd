r"""Linear layers: ``Identity``, ``Linear`` and ``Bilinear``.

``Linear`` and ``Bilinear`` own their weight (and bias) as
:class:`~lucid.nn.Parameter` and call :func:`lucid.nn.functional.linear` /
:func:`~lucid.nn.functional.bilinear` in ``forward``. They start as in PyTorch:
``Linear``'s weight by :func:`~lucid.nn.init.kaiming_uniform` with ``a = sqrt(5)``, i.e.
:math:`U(-1/\sqrt{\mathrm{in}}, 1/\sqrt{\mathrm{in}})`, and every other parameter from
that same interval (``Bilinear`` uses ``in1_features`` as the fan).

Under ``no_grad`` a ``Linear`` remembers its last checked call and repeats it straight
on the op's forward while nothing the checks read has changed (``_plan.py``).
"""
import math

import numpy as np

from lucid._tensor import Tensor
from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.functional._layer_args import flag_arg
from lucid.nn.module import Module
from lucid.nn.modules._plan import Planned
from lucid._checks import is_int
from lucid.ops import linear as ops_linear
from lucid.nn.parameter import Parameter

__all__ = ["Identity", "Linear", "Bilinear"]


def _features(layer, **sizes):
    """Each size must be a non-negative int (PyTorch allows 0 features)."""
    for arg, n in sizes.items():
        if not is_int(n):
            raise TypeError(f"{layer}: {arg} must be a non-negative int; got {n!r}")
        if n < 0:
            raise ValueError(f"{layer}: {arg} must be a non-negative int; got {n!r}")
    return [int(n) for n in sizes.values()]


def _last_axis(layer, x, arg, n):
    """``x`` must be a Tensor whose last axis has ``n`` elements."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer}: {arg} must be a Tensor; got {type(x).__name__}")
    if x.ndim == 0 or x.shape[-1] != n:
        raise ValueError(f"{layer}: expected {arg} of shape (*, {n}); got {x.shape}")


class Identity(Module):
    r"""A layer that returns its input unchanged: :math:`y = x`.

    Useful as a placeholder (e.g. to remove a layer of a model without changing its
    structure). Any constructor arguments are accepted and ignored, as in PyTorch.
    Shapes: any; the output is the input itself.

    Backward: :math:`\partial L/\partial x = \partial L/\partial y` (it is the same tensor).

    Parameters
    ----------
    *args, **kwargs
        Ignored.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> x = lucid.Tensor([1.0, 2.0])
    >>> nn.Identity(54, unused="x")(x) is x
    True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        """Return ``x``."""
        return x


class Linear(Planned, Module):
    r"""Affine layer: :math:`y = x W^T + b` (see :func:`lucid.nn.functional.linear`).

    .. math:: y_{\dots, o} = \sum_i x_{\dots, i} W_{o i} + b_o

    Shapes: input ``(*, in_features)``, output ``(*, out_features)``.

    Backward: :math:`\partial L/\partial x = G W`, :math:`\partial L/\partial W =
    \sum_* G^T x`, :math:`\partial L/\partial b = \sum_* G` with
    :math:`G = \partial L/\partial y`; ``weight.grad`` and ``bias.grad`` fill on
    ``backward()``.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the last axis of the input and of the output.
    bias : bool, default True
        Learn an additive bias.

    Attributes
    ----------
    weight : Parameter
        ``(out_features, in_features)``, float32, from
        :math:`U(-1/\sqrt{\mathrm{in}}, 1/\sqrt{\mathrm{in}})` (kaiming_uniform, a = sqrt 5).
    bias : Parameter or None
        ``(out_features,)``, from the same interval.

    Raises
    ------
    TypeError
        Non-int sizes or a non-bool ``bias``.
    ValueError
        (forward) an input whose last axis is not ``in_features``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> fc = nn.Linear(3, 2)
    >>> fc
    Linear(in_features=3, out_features=2, bias=True)
    >>> fc.weight = nn.Parameter([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    >>> fc.bias = nn.Parameter([0.5, -0.5])
    >>> print(fc(lucid.Tensor([[1.0, 2.0, 3.0]])))
    Tensor([[4.5, 1.5]], grad_fn=Linear)
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = _features(
            "Linear", in_features=in_features, out_features=out_features)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), np.float32))
        if flag_arg(bias, "Linear", "bias"):
            self.bias = Parameter(np.empty(self.out_features, np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform(a=sqrt(5)) weight, bias in +-1/sqrt(in_features)."""
        if self.weight.size:
            init.kaiming_uniform(self.weight, a=math.sqrt(5))
        if self.bias is not None and self.in_features > 0:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform(self.bias, -bound, bound)

    def forward(self, x):
        """Apply the affine map to ``x`` of shape ``(*, in_features)``."""
        parameters = (self.weight, self.bias)
        settings = (self.in_features,)
        y = self._planned_call(x, parameters, settings)
        if y is None:
            _last_axis("Linear", x, "input", self.in_features)
            y = F.linear(x, *parameters)
            self._keep_plan(ops_linear.Linear, x, parameters, settings, dict)
        return y

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    r"""Bilinear layer: :math:`y_o = x_1^T W_o x_2 + b_o` (see
    :func:`lucid.nn.functional.bilinear`).

    .. math:: y_{\dots, o} = \sum_{i, j} x_{1, \dots, i}\, W_{o i j}\, x_{2, \dots, j} + b_o

    Shapes: inputs ``(*, in1_features)`` and ``(*, in2_features)`` with the same leading
    axes; output ``(*, out_features)``.

    Backward: :math:`\partial L/\partial x_{1,i} = \sum_{o,j} g_o W_{oij} x_{2,j}`,
    :math:`\partial L/\partial x_{2,j} = \sum_{o,i} g_o W_{oij} x_{1,i}`,
    :math:`\partial L/\partial W_{oij} = \sum_* g_o x_{1,i} x_{2,j}`,
    :math:`\partial L/\partial b_o = \sum_* g_o`.

    Parameters
    ----------
    in1_features, in2_features, out_features : int
    bias : bool, default True

    Attributes
    ----------
    weight : Parameter
        ``(out_features, in1_features, in2_features)``, float32, from
        :math:`U(-1/\sqrt{\mathrm{in1}}, 1/\sqrt{\mathrm{in1}})` (PyTorch's rule).
    bias : Parameter or None
        ``(out_features,)``, from the same interval.

    Raises
    ------
    TypeError
        Non-int sizes or a non-bool ``bias``.
    ValueError
        (forward) inputs whose last axes are not ``in1_features`` / ``in2_features``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> bl = nn.Bilinear(2, 3, 4)
    >>> bl
    Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)
    >>> bl(lucid.random.randn(5, 2), lucid.random.randn(5, 3)).shape
    (5, 4)
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = _features(
            "Bilinear", in1_features=in1_features, in2_features=in2_features,
            out_features=out_features)
        shape = (self.out_features, self.in1_features, self.in2_features)
        self.weight = Parameter(np.empty(shape, np.float32))
        if flag_arg(bias, "Bilinear", "bias"):
            self.bias = Parameter(np.empty(self.out_features, np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: everything in +-1/sqrt(in1_features)."""
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features else 0.0
        init.uniform(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform(self.bias, -bound, bound)

    def forward(self, x1, x2):
        """Apply the bilinear map to ``x1`` ``(*, in1_features)`` and ``x2`` ``(*, in2_features)``."""
        _last_axis("Bilinear", x1, "input1", self.in1_features)
        _last_axis("Bilinear", x2, "input2", self.in2_features)
        return F.bilinear(x1, x2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
