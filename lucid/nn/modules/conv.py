r"""Convolution layers: ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d`` and ``Unfold``.

Each layer owns its weight (and bias) as :class:`~lucid.nn.Parameter` and calls the
matching function of :mod:`lucid.nn.functional.conv` in ``forward``. Weights start as
in PyTorch: :func:`~lucid.nn.init.kaiming_uniform` with ``a = sqrt(5)``, which draws
from :math:`U(-1/\sqrt{\mathrm{fan_{in}}}, 1/\sqrt{\mathrm{fan_{in}}})`, and the bias
from the same interval, with :math:`\mathrm{fan_{in}} = \text{weight.shape[1]} \prod K`.

Under ``no_grad`` a layer remembers its last checked call and repeats it straight on the
op's forward while nothing the checks read has changed (``_plan.py``): the same bytes,
less Python at batch 1.
"""
import math

import numpy as np

from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.functional import _conv_args as _args
from lucid.nn.functional._family_doc import fill_doc
from lucid.nn.functional._layer_args import flag_arg
from lucid.nn.module import Module
from lucid.nn.modules._plan import Planned
from lucid.nn.parameter import Parameter
from lucid.ops.conv import Conv, ConvTranspose

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "Unfold"]


class _ConvNd(Planned, Module):
    """What convolutions and transposed convolutions share: parameters, init, repr."""

    _d = 0
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, output_padding=None):
        super().__init__()
        name = type(self).__name__
        (self.kernel_size, self.stride, self.padding, self.dilation, self.groups,
         self.output_padding) = _args.layer_args(
            name, self._d, in_channels, out_channels, kernel_size, stride, padding, dilation,
            groups, output_padding)
        flag_arg(bias, name, "bias")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, np.float32))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform(a=sqrt(5)) weights, bias in +-1/sqrt(fan_in)."""
        init.kaiming_uniform(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in)
            init.uniform(self.bias, -bound, bound)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self._d:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._d:
            text += f", dilation={self.dilation}"
        if self.output_padding is not None and self.output_padding != (0,) * self._d:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias)

    def forward(self, x):
        """Apply the convolution to ``x`` of shape ``(N, C_in, *S)`` or ``(C_in, *S)``."""
        parameters = (self.weight, self.bias)
        settings = (self.stride, self.padding, self.dilation, self.groups)
        y = self._planned_call(x, parameters, settings)
        if y is None:
            conv = (F.conv1d, F.conv2d, F.conv3d)[self._d - 1]
            y = conv(x, *parameters, *settings)
            self._keep_plan(Conv, x, parameters, settings, lambda: _args.conv_args(
                conv.__name__, self._d, x, *parameters, *settings)._asdict())
        return y


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, output_padding)

    def forward(self, x, output_size=None):
        """Apply the transposed convolution to ``x`` (``(N, C_in, *S)`` or ``(C_in, *S)``).

        ``output_size`` (optional) asks for an output of that spatial size (a leading
        N and C may be included): the ``output_padding`` is then chosen to reach it,
        in place of the layer's own, as in PyTorch.
        """
        parameters = (self.weight, self.bias)
        settings = (self.stride, self.padding, self.output_padding, self.dilation,
                    self.groups)
        if output_size is None:
            y = self._planned_call(x, parameters, settings)
            if y is not None:
                return y
        fname = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._d - 1]
        output_padding = self.output_padding
        if output_size is not None:
            name = f"{type(self).__name__}.forward"
            _args.conv_transpose_args(name, self._d, x, *parameters, self.stride,
                                      self.padding, 0, self.dilation, self.groups)
            output_padding = _args.transpose_output_padding(
                name, output_size, x.shape, self.kernel_size, self.stride,
                self.padding, self.dilation)
        y = fname(x, *parameters, self.stride, self.padding, output_padding, self.dilation,
                  self.groups)
        if output_size is None:
            self._keep_plan(ConvTranspose, x, parameters, settings,
                            lambda: _args.conv_transpose_args(
                                fname.__name__, self._d, x, *parameters, *settings)._asdict())
        return y


_CONV_DOC = r"""<D>-D convolution layer: ``y = conv<d>d(x, weight, bias)`` (see
    :func:`lucid.nn.functional.conv<d>d` for the sum, the output size
    :math:`L_{out} = \lfloor (L_{in} + 2p - d (K - 1) - 1) / s \rfloor + 1` and the
    backward maths).

    Shapes: input ``(N, C_in, <S>)`` or ``(C_in, <S>)``; output ``(N, C_out, <O>)``
    or ``(C_out, <O>)``.

    Backward: through :func:`lucid.nn.functional.conv<d>d`; ``weight.grad`` and
    ``bias.grad`` fill on ``backward()``.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and the output; both divisible by ``groups``.
    kernel_size : int or tuple of <d> ints
    stride : int or tuple of <d> ints, default 1
    padding : int, tuple of <d> ints, 'same' or 'valid', default 0
    dilation : int or tuple of <d> ints, default 1
    groups : int, default 1
    bias : bool, default True
        Learn an additive bias per output channel.

    Attributes
    ----------
    weight : Parameter
        ``(out_channels, in_channels // groups, <K>)``, float32, drawn from
        :math:`U(-1/\sqrt{\mathrm{fan_{in}}}, 1/\sqrt{\mathrm{fan_{in}}})` with
        :math:`\mathrm{fan_{in}} = (\text{in\_channels} / \text{groups}) \prod K`.
    bias : Parameter or None
        ``(out_channels,)``, drawn from the same interval.

    Raises
    ------
    TypeError, ValueError
        Non-integer or non-positive sizes; channels not divisible by ``groups``;
        ``padding='same'`` with a stride other than 1; a ``bias`` that is not a bool.

    Examples
    --------
<EXAMPLES>
    """

_CONV_TRANSPOSE_DOC = r"""<D>-D transposed convolution layer: ``y = conv_transpose<d>d(x, weight, bias)``
    (see :func:`lucid.nn.functional.conv_transpose<d>d` for the sum, the output size
    :math:`L_{out} = (L_{in} - 1) s - 2p + d (K - 1) + p_{out} + 1` and the backward
    maths).

    Shapes: input ``(N, C_in, <S>)`` or ``(C_in, <S>)``; output ``(N, C_out, <O>)``
    or ``(C_out, <O>)``. ``forward(x, output_size)`` picks the ``output_padding``
    that gives ``output_size``: along each axis the reachable sizes are
    :math:`L_{min} \ldots L_{min} + s - 1` with
    :math:`L_{min} = (L_{in} - 1) s - 2p + d (K - 1) + 1`.

    Backward: through :func:`lucid.nn.functional.conv_transpose<d>d`.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and the output; both divisible by ``groups``.
    kernel_size : int or tuple of <d> ints
    stride : int or tuple of <d> ints, default 1
    padding : int or tuple of <d> ints, default 0
    output_padding : int or tuple of <d> ints, default 0
        Smaller than ``stride`` or ``dilation``.
    groups : int, default 1
    bias : bool, default True
    dilation : int or tuple of <d> ints, default 1
        (The argument order is PyTorch's.)

    Attributes
    ----------
    weight : Parameter
        ``(in_channels, out_channels // groups, <K>)``, float32, drawn from
        :math:`U(-1/\sqrt{\mathrm{fan_{in}}}, 1/\sqrt{\mathrm{fan_{in}}})` with
        :math:`\mathrm{fan_{in}} = \text{weight.shape[1]} \prod K =
        (\text{out\_channels} / \text{groups}) \prod K` (PyTorch's rule).
    bias : Parameter or None
        ``(out_channels,)``, drawn from the same interval.

    Raises
    ------
    TypeError, ValueError
        As for the convolution layers; also ``output_padding`` not smaller than
        ``stride`` or ``dilation``, string padding, and (in ``forward``) an
        ``output_size`` that cannot be reached.

    Examples
    --------
<EXAMPLES>
    """


class Conv1d(_Conv):
    _d = 1
    __doc__ = fill_doc(_CONV_DOC, 1, r"""
    >>> import lucid
    >>> from lucid import nn
    >>> lucid.random.seed(0)
    >>> conv = nn.Conv1d(2, 4, kernel_size=3, padding=1)
    >>> conv
    Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=(1,))
    >>> conv(lucid.random.randn(8, 2, 16)).shape
    (8, 4, 16)
    >>> [name for name, _ in conv.named_parameters()]
    ['weight', 'bias']
""")


class Conv2d(_Conv):
    _d = 2
    __doc__ = fill_doc(_CONV_DOC, 2, r"""
    >>> import lucid
    >>> from lucid import nn
    >>> conv = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
    >>> conv
    Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
    >>> conv(lucid.random.randn(2, 3, 32, 32)).shape
    (2, 8, 16, 16)
    >>> conv.weight.shape
    (8, 3, 3, 3)
""")


class Conv3d(_Conv):
    _d = 3
    __doc__ = fill_doc(_CONV_DOC, 3, r"""
    >>> import lucid
    >>> from lucid import nn
    >>> conv = nn.Conv3d(4, 4, kernel_size=3, padding="same", groups=4, bias=False)
    >>> conv
    Conv3d(4, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=same, groups=4, bias=False)
    >>> conv(lucid.random.randn(1, 4, 5, 6, 7)).shape
    (1, 4, 5, 6, 7)
""")


class ConvTranspose1d(_ConvTranspose):
    _d = 1
    __doc__ = fill_doc(_CONV_TRANSPOSE_DOC, 1, r"""
    >>> import lucid
    >>> from lucid import nn
    >>> up = nn.ConvTranspose1d(4, 2, kernel_size=4, stride=2, padding=1)
    >>> up
    ConvTranspose1d(4, 2, kernel_size=(4,), stride=(2,), padding=(1,))
    >>> x = lucid.random.randn(3, 4, 10)
    >>> up(x).shape                       # (10 - 1) * 2 - 2 + 3 + 1
    (3, 2, 20)
    >>> up(x, output_size=[21]).shape     # output_padding 1 reaches 21
    (3, 2, 21)
""")


class ConvTranspose2d(_ConvTranspose):
    _d = 2
    __doc__ = fill_doc(_CONV_TRANSPOSE_DOC, 2, r"""
    >>> import lucid
    >>> from lucid import nn
    >>> down = nn.Conv2d(8, 16, kernel_size=3, stride=2, padding=1)
    >>> up = nn.ConvTranspose2d(16, 8, kernel_size=3, stride=2, padding=1)
    >>> x = lucid.random.randn(1, 8, 7, 8)
    >>> h = down(x)
    >>> h.shape
    (1, 16, 4, 4)
    >>> up(h).shape                            # 7 and 8 both map to 4: ambiguous
    (1, 8, 7, 7)
    >>> up(h, output_size=x.shape).shape       # output_size resolves it
    (1, 8, 7, 8)
""")


class ConvTranspose3d(_ConvTranspose):
    _d = 3
    __doc__ = fill_doc(_CONV_TRANSPOSE_DOC, 3, r"""
    >>> import lucid
    >>> from lucid import nn
    >>> up = nn.ConvTranspose3d(2, 2, kernel_size=2, stride=2, groups=2)
    >>> up
    ConvTranspose3d(2, 2, kernel_size=(2, 2, 2), stride=(2, 2, 2), groups=2)
    >>> up(lucid.random.randn(1, 2, 2, 3, 4)).shape
    (1, 2, 4, 6, 8)
""")


class Unfold(Module):
    r"""Extract sliding blocks (im2col) as a layer: ``unfold(x, kernel_size, ...)``.

    See :func:`lucid.nn.functional.unfold` for the formula and shapes: input
    ``(N, C, H, W)`` gives ``(N, C * kH * kW, L)`` with :math:`L = H_{out} W_{out}`.
    It has no parameters.

    Backward: :func:`lucid.nn.functional.fold` of the gradient.

    Parameters
    ----------
    kernel_size : int or tuple of 2 ints
    dilation : int or tuple of 2 ints, default 1
    padding : int or tuple of 2 ints, default 0
    stride : int or tuple of 2 ints, default 1

    Raises
    ------
    TypeError, ValueError
        Non-integer or out-of-range sizes (checked when the layer is made).

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> unfold = nn.Unfold(kernel_size=2, stride=2)
    >>> unfold
    Unfold(kernel_size=2, dilation=1, padding=0, stride=2)
    >>> unfold(lucid.random.randn(1, 3, 4, 6)).shape
    (1, 12, 6)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        for argname, value, low in (("kernel_size", kernel_size, 1), ("dilation", dilation, 1),
                                    ("padding", padding, 0), ("stride", stride, 1)):
            _args.spatial_ints(value, "Unfold", argname, 2, low)
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, x):
        """Unfold ``x`` of shape ``(N, C, H, W)`` or ``(C, H, W)``."""
        return F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
