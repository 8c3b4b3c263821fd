r"""Building blocks of convolutional networks, each a few layers used together:

* ``ConvBNReLU1d/2d/3d`` — convolution, batch norm, ReLU: :math:`y = \max(0,
  \mathrm{BN}(\mathrm{conv}(x)))`, the basic unit of VGG- and ResNet-style networks;
* ``DepthSeparableConv1d/2d/3d`` — a depthwise convolution (one filter per channel,
  ``groups = in_channels``) then a pointwise 1x1 convolution that mixes channels
  (MobileNet, Xception): far fewer weights than one full convolution;
* ``SEModule`` — squeeze-and-excitation (Hu et al., 2018): rescale each channel by a
  gate computed from the whole feature map;
* ``SelectiveKernel`` — selective-kernel convolution (Li et al., 2019): several
  branches with different kernel sizes, mixed per channel by a softmax attention.

These blocks belong to the original lucid API (PyTorch has no single class for them);
they are compositions of existing layers, so their values and gradients are those of
the layers inside (the tests compare them with the same layers in PyTorch).
"""
from lucid import ops
from lucid.nn.containers import ModuleList
from lucid.nn.module import Module
from lucid.nn import functional as F
from lucid.nn.functional._family_doc import fill_doc
from lucid.nn.modules._checks import layer_input, tensor_input
from lucid.nn.modules.activation import ReLU, Sigmoid
from lucid.nn.modules.attention import _positive_int
from lucid.nn.modules.conv import Conv1d, Conv2d, Conv3d
from lucid.nn.modules.linear import Linear
from lucid.nn.modules.norm import BatchNorm1d, BatchNorm2d, BatchNorm3d

__all__ = ["ConvBNReLU1d", "ConvBNReLU2d", "ConvBNReLU3d", "DepthSeparableConv1d",
           "DepthSeparableConv2d", "DepthSeparableConv3d", "SEModule", "SelectiveKernel"]

_CONV = {1: Conv1d, 2: Conv2d, 3: Conv3d}
_BN = {1: BatchNorm1d, 2: BatchNorm2d, 3: BatchNorm3d}


class _ConvBNReLU(Module):
    _d = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, conv_bias=True, eps=1e-5, momentum=0.1, bn_affine=True,
                 track_running_stats=True):
        super().__init__()
        self.conv = _CONV[self._d](in_channels, out_channels, kernel_size, stride, padding,
                                   dilation, groups, conv_bias)
        self.bn = _BN[self._d](out_channels, eps, momentum, bn_affine, track_running_stats)
        self.relu = ReLU()

    def forward(self, x):
        """``relu(bn(conv(x)))``."""
        return self.relu(self.bn(self.conv(x)))


_CONV_BN_RELU_DOC = r"""Convolution, batch normalisation and ReLU in one block (<d>-D).

    .. math:: y = \max\bigl(0,\ \gamma \frac{z - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta\bigr),
              \qquad z = \mathrm{conv<d>d}(x)

    with :math:`\mu, \sigma^2` the batch statistics per channel in training mode and
    the running ones in evaluation mode. Sub-modules ``conv``
    (:class:`~lucid.nn.Conv<d>d`), ``bn`` (:class:`~lucid.nn.BatchNorm<d>d`) and
    ``relu``. Shapes: input ``(N, C_in, <S>)``; output ``(N, C_out, <O>)``.

    Backward: the chain rule through ReLU (gradient kept where :math:`y > 0`), batch
    norm and the convolution.

    Parameters
    ----------
    in_channels, out_channels, kernel_size, stride, padding, dilation, groups
        As :class:`~lucid.nn.Conv<d>d`.
    conv_bias : bool, default True
        The convolution's bias (redundant before batch norm; ``False`` saves it).
    eps, momentum, bn_affine, track_running_stats
        ``eps``, ``momentum``, ``affine``, ``track_running_stats`` of the batch norm.

    Raises
    ------
    TypeError, ValueError
        Those of the convolution and batch-norm layers.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> block = nn.ConvBNReLU<d>d(3, 4, kernel_size=3, padding=1)
    >>> y = block(lucid.random.randn(2, 3, <EX>))
    >>> y.shape, bool((y.data >= 0).all())
    ((2, 4, <EX>), True)
    """


_EXAMPLE_SIZES = {1: "8", 2: "5, 5", 3: "3, 3, 3"}   # <EX>: the spatial sizes of the examples


class ConvBNReLU1d(_ConvBNReLU):
    _d = 1
    __doc__ = fill_doc(_CONV_BN_RELU_DOC, 1, EX=_EXAMPLE_SIZES[1])


class ConvBNReLU2d(_ConvBNReLU):
    _d = 2
    __doc__ = fill_doc(_CONV_BN_RELU_DOC, 2, EX=_EXAMPLE_SIZES[2])


class ConvBNReLU3d(_ConvBNReLU):
    _d = 3
    __doc__ = fill_doc(_CONV_BN_RELU_DOC, 3, EX=_EXAMPLE_SIZES[3])


class _DepthSeparableConv(Module):
    _d = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, bias=True):
        super().__init__()
        conv = _CONV[self._d]
        self.depthwise = conv(in_channels, in_channels, kernel_size, stride, padding,
                              dilation, groups=in_channels, bias=bias)
        self.pointwise = conv(in_channels, out_channels, 1, bias=bias)

    def forward(self, x):
        """``pointwise(depthwise(x))``."""
        return self.pointwise(self.depthwise(x))


_DEPTH_SEPARABLE_DOC = r"""Depthwise-separable convolution (<d>-D): a per-channel
    convolution, then a 1x1 convolution across channels.

    .. math:: z_c = w^{\mathrm{dw}}_c \star x_c, \qquad
              y_o = \sum_c w^{\mathrm{pw}}_{o c}\, z_c + b_o

    ``depthwise`` is a :class:`~lucid.nn.Conv<d>d` with ``groups = in_channels`` (one
    :math:`K` filter per channel); ``pointwise`` a 1x1 :class:`~lucid.nn.Conv<d>d`.
    Weights: :math:`C_{in} \prod K + C_{in} C_{out}` instead of
    :math:`C_{in} C_{out} \prod K` for one full convolution. Shapes: input
    ``(N, C_in, <S>)``; output ``(N, C_out, <O>)``.

    Backward: the chain rule through the two convolutions.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, dilation
        Of the depthwise convolution.
    bias : bool, default True
        Biases of both convolutions.

    Raises
    ------
    TypeError, ValueError
        Those of the convolution layers.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> block = nn.DepthSeparableConv<d>d(4, 8, kernel_size=3, padding=1)
    >>> block(lucid.random.randn(2, 4, <EX>)).shape
    (2, 8, <EX>)
    >>> block.depthwise.weight.shape[1], block.pointwise.weight.shape[2:] == (1,) * <d>
    (1, True)
    """


class DepthSeparableConv1d(_DepthSeparableConv):
    _d = 1
    __doc__ = fill_doc(_DEPTH_SEPARABLE_DOC, 1, EX=_EXAMPLE_SIZES[1])


class DepthSeparableConv2d(_DepthSeparableConv):
    _d = 2
    __doc__ = fill_doc(_DEPTH_SEPARABLE_DOC, 2, EX=_EXAMPLE_SIZES[2])


class DepthSeparableConv3d(_DepthSeparableConv):
    _d = 3
    __doc__ = fill_doc(_DEPTH_SEPARABLE_DOC, 3, EX=_EXAMPLE_SIZES[3])


def _spatial_mean(x):
    """Average over every axis after the channels: ``(N, C, *S) -> (N, C)``."""
    return ops.mean(x, axis=tuple(range(2, x.ndim)))


def _hidden(name, channels, reduction):
    hidden = _positive_int(name, "channels", channels) // _positive_int(name, "reduction",
                                                                           reduction)
    if hidden < 1:
        raise ValueError(f"{name}: channels // reduction must be at least 1; got "
                         f"{channels} // {reduction} = {hidden}")
    return hidden


class SEModule(Module):
    r"""Squeeze-and-excitation (Hu et al., 2018): gate every channel by a learnt
    function of the channel averages.

    .. math::

        s_c = \frac{1}{|S|}\sum_{p \in S} x_{c p} \ (\text{squeeze}), \qquad
        a = \sigma\bigl(W_2\,\mathrm{ReLU}(W_1 s + b_1) + b_2\bigr) \ (\text{excite}),
        \qquad y_{c p} = a_c\, x_{c p}

    :math:`W_1` maps :math:`C \to C/r` and :math:`W_2` back (``fc1``, ``fc2``,
    :class:`~lucid.nn.Linear`). Works on ``(N, C, *S)`` with any number of spatial
    axes (the original lucid took only 4-d input). Shapes: the output has the input's.

    The variants of the model families are keyword arguments: MobileNetV3 squeezes to
    ``squeeze_channels`` (a multiple of 8) and gates with a hard sigmoid
    (``gate=nn.HardSigmoid``); EfficientNet squeezes to a quarter of the *block's*
    input channels with a Swish between (``activation=nn.Swish``).

    Backward: :math:`\partial L/\partial x_{cp} = a_c g_{cp} + \frac{1}{|S|}
    \partial L/\partial s_c` with :math:`\partial L/\partial a_c = \sum_p g_{cp}
    x_{cp}` sent back through the two linear layers.

    Parameters
    ----------
    in_channels : int
        :math:`C`.
    reduction : int, default 16
        :math:`r`; ``in_channels // reduction`` must be at least 1.
    squeeze_channels : int, optional
        The width of the squeeze, :math:`C/r` when omitted.
    activation, gate : Module class, default ReLU and Sigmoid
        The layers between ``fc1`` and ``fc2`` and after ``fc2`` (built with no
        argument).

    Raises
    ------
    TypeError, ValueError
        Non-positive sizes, ``in_channels < reduction``; in ``forward``, an input that
        is not ``(N, in_channels, ...)`` with at least one spatial axis.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> se = nn.SEModule(32, reduction=8)
    >>> se(lucid.random.randn(2, 32, 4, 4)).shape
    (2, 32, 4, 4)
    >>> se.fc1.weight.shape
    (4, 32)
    >>> nn.SEModule(96, squeeze_channels=24, gate=nn.HardSigmoid).sigmoid
    HardSigmoid()
    """

    def __init__(self, in_channels, reduction=16, *, squeeze_channels=None, activation=ReLU,
                 gate=Sigmoid):
        super().__init__()
        if squeeze_channels is None:
            hidden = _hidden("SEModule", in_channels, reduction)
        else:
            hidden = _positive_int("SEModule", "squeeze_channels", squeeze_channels)
        self.in_channels, self.reduction = int(in_channels), int(reduction)
        for arg, layer in (("activation", activation), ("gate", gate)):
            if not (isinstance(layer, type) and issubclass(layer, Module)):
                raise TypeError(f"SEModule: {arg} must be a Module class such as nn.ReLU; "
                                f"got {layer!r}")
        self.fc1 = Linear(in_channels, hidden)
        self.fc2 = Linear(hidden, in_channels)
        self.relu = activation()
        self.sigmoid = gate()

    def forward(self, x):
        """Rescale the channels of ``x`` ``(N, C, *S)``."""
        tensor_input("SEModule", x)
        if x.ndim < 3 or x.shape[1] != self.in_channels:
            raise ValueError(f"SEModule: expected input of shape (N, {self.in_channels}, "
                             f"*spatial) with at least one spatial axis; got {x.shape}")
        gate = self.sigmoid(self.fc2(self.relu(self.fc1(_spatial_mean(x)))))   # (N, C)
        return x * ops.reshape(gate, gate.shape + (1,) * (x.ndim - 2))


class SelectiveKernel(Module):
    r"""Selective-kernel convolution (Li et al., 2019): branches with different
    receptive fields, mixed per channel by attention (2-D).

    .. math::

        U_m = \mathrm{ReLU}(\mathrm{BN}(\mathrm{conv}_{k_m}(x))), \quad
        s = \frac{1}{HW}\sum_{h,w} \sum_m U_m, \quad
        z = \mathrm{ReLU}(\mathrm{BN}(W s))

        a_{m c} = \frac{e^{(A_m z)_c}}{\sum_{m'} e^{(A_{m'} z)_c}}, \qquad
        y_c = \sum_m a_{m c}\, U_{m c}

    *Split*: branch :math:`m` is a :class:`ConvBNReLU2d` with kernel size
    :math:`k_m` (padding :math:`k_m // 2` unless given, so the sizes agree).
    *Fuse*: the branches are summed and averaged over space, then squeezed to
    :math:`d = \max(C/r, L)` features (``fc``: linear, batch norm, ReLU). *Select*: one
    linear map per branch (``select``, :math:`d \to M C`) and a softmax over the
    :math:`M` branches, per channel. The paper's SKNet uses :math:`L = 32`
    (``min_hidden=32``), a 3x3 kernel with dilation 2 for its 5x5 branch
    (``dilations``) and no bias in ``select`` (``select_bias=False``); the defaults
    here keep lucid's earlier layer (:math:`L = 1`, plain kernels, a bias). Shapes:
    input ``(N, C_in, H, W)``; output ``(N, C_out, H_out, W_out)``.

    Backward: through the weighted sum (to both the branches and the softmax
    weights), the softmax, the fuse layers, and each branch.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_sizes : sequence of int
        One branch per size (odd sizes keep the spatial size at ``stride=1``).
    stride : int, default 1
    padding : int, optional
        Of every branch (default ``k // 2`` per branch).
    groups : int, default 1
    reduction : int, default 16
    dilations : sequence of int, optional
        One per branch (default 1 each); the default padding becomes
        ``dilation * (k // 2)``.
    min_hidden : int, default 1
        :math:`L`.
    select_bias : bool, default True

    Raises
    ------
    TypeError, ValueError
        Empty or non-int ``kernel_sizes``, ``dilations`` of another length; the errors of the layers inside; in
        ``forward``, an input that is not ``(N, in_channels, H, W)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> sk = nn.SelectiveKernel(8, 16, kernel_sizes=[3, 5], reduction=4)
    >>> sk(lucid.random.randn(2, 8, 6, 6)).shape
    (2, 16, 6, 6)
    >>> len(sk.branches), sk.select.weight.shape
    (2, (32, 4))
    >>> paper = nn.SelectiveKernel(64, 64, [3, 3], dilations=[1, 2], min_hidden=32,
    ...                            select_bias=False)                 # SKNet's SK unit
    >>> paper.fc.weight.shape, paper.select.bias is None
    ((32, 64), True)
    """

    def __init__(self, in_channels, out_channels, kernel_sizes, stride=1, padding=None,
                 groups=1, reduction=16, dilations=None, min_hidden=1, select_bias=True):
        super().__init__()
        name = "SelectiveKernel"
        if not isinstance(kernel_sizes, (list, tuple)) or not kernel_sizes:
            raise TypeError(f"{name}: kernel_sizes must be a non-empty list of ints; "
                            f"got {kernel_sizes!r}")
        sizes = [_positive_int(name, "kernel_sizes", k) for k in kernel_sizes]
        self.in_channels = _positive_int(name, "in_channels", in_channels)
        self.out_channels = _positive_int(name, "out_channels", out_channels)
        hidden = max(self.out_channels // _positive_int(name, "reduction", reduction),
                     _positive_int(name, "min_hidden", min_hidden))
        if dilations is None:
            dilations = [1] * len(sizes)
        if not isinstance(dilations, (list, tuple)) or len(dilations) != len(sizes):
            raise TypeError(f"{name}: dilations must be a list of {len(sizes)} ints (one per "
                            f"kernel size); got {dilations!r}")
        dilations = [_positive_int(name, "dilations", d) for d in dilations]
        self.branches = ModuleList([
            ConvBNReLU2d(in_channels, out_channels, k, stride,
                         d * (k // 2) if padding is None else padding, d, groups=groups,
                         conv_bias=False)
            for k, d in zip(sizes, dilations)])
        self.fc = Linear(out_channels, hidden, bias=False)
        self.fc_bn = BatchNorm1d(hidden)
        self.relu = ReLU()
        self.select = Linear(hidden, len(sizes) * out_channels, bias=bool(select_bias))

    def forward(self, x):
        """Mix the branches of ``x`` ``(N, C_in, H, W)``."""
        layer_input("SelectiveKernel", x, 2, self.in_channels, unbatched=False)
        u = ops.stack([branch(x) for branch in self.branches], axis=1)   # (N, M, C, H, W)
        z = self.relu(self.fc_bn(self.fc(_spatial_mean(ops.sum(u, axis=1)))))   # (N, d)
        n, m, c = u.shape[0], u.shape[1], u.shape[2]
        logits = ops.reshape(self.select(z), (n, m, c))
        a = ops.reshape(F.softmax(logits, axis=1), (n, m, c, 1, 1))      # over branches
        return ops.sum(a * u, axis=1)
