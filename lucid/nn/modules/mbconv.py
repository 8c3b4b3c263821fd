r"""Inverted bottlenecks: ``MBConv`` (MobileNetV2/V3, EfficientNet) and ``FusedMBConv``
(EfficientNetV2).

An *inverted* bottleneck widens, filters, then narrows: a 1x1 convolution expands the
:math:`C_{in}` channels to :math:`tC_{in}`, a depthwise :math:`k \times k` convolution
filters each channel on its own, and a 1x1 convolution projects to :math:`C_{out}`
with no activation after it (a *linear* bottleneck). ``FusedMBConv`` replaces the
expansion and the depthwise convolution by one full :math:`k \times k` convolution,
faster on hardware that favours dense convolutions. Both add their input back when the
shape is kept, through stochastic depth (:class:`~lucid.nn.DropPath`).

MaxViT and CoAtNet use MBConv with a *pre-norm* (``pre_norm=True``): batch norm on the
input, a projection with a bias and no norm after it, and a shortcut in every block (an
average pool and a 1x1 convolution when the shape changes).
"""
from collections import OrderedDict

from lucid.nn.containers import Sequential
from lucid.nn.module import Module
from lucid.nn.modules.activation import ReLU6, Swish
from lucid.nn.modules.attention import _positive_int
from lucid.nn.modules.conv import Conv2d
from lucid.nn.modules.dropout import DropPath
from lucid.nn.modules.fused import SEModule
from lucid.nn.modules.norm import BatchNorm2d
from lucid.nn.modules.pooling import AvgPool2d

__all__ = ["MBConv", "FusedMBConv"]


def _conv_bn(in_channels, out_channels, kernel_size, stride, groups, activation, bn_eps,
             bn_momentum):
    """Conv2d (no bias, padding k // 2), BatchNorm2d and, if given, the activation."""
    layers = [Conv2d(in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2,
                     groups=groups, bias=False),
              BatchNorm2d(out_channels, bn_eps, bn_momentum)]
    if activation is not None:
        layers.append(activation())
    return Sequential(*layers)


def _settings(name, in_channels, out_channels, kernel_size, stride, expand_ratio,
              expanded_channels):
    for arg, value in (("in_channels", in_channels), ("out_channels", out_channels),
                       ("kernel_size", kernel_size), ("stride", stride)):
        _positive_int(name, arg, value)
    if expanded_channels is not None:
        return _positive_int(name, "expanded_channels", expanded_channels)
    if isinstance(expand_ratio, bool) or not isinstance(expand_ratio, (int, float)) \
            or expand_ratio <= 0:
        raise TypeError(f"{name}: expand_ratio must be a positive number; got {expand_ratio!r}")
    return int(round(in_channels * expand_ratio))


class _Residual(Module):
    """The shortcut rule both blocks share: ``x + drop_path(F(x))`` when the shape is kept."""

    def _finish(self, in_channels, out_channels, stride, drop_path, shortcut=None):
        self.use_shortcut = (stride == 1 and in_channels == out_channels) or shortcut is not None
        self.shortcut = shortcut
        self.drop_path = DropPath(drop_path)

    def forward(self, x):
        """``S(x) + drop_path(F(x))`` when there is a shortcut (``S`` the identity when the
        shape is kept), else ``F(x)``."""
        out = self.residual(x)
        if not self.use_shortcut:
            return out
        return (x if self.shortcut is None else self.shortcut(x)) + self.drop_path(out)


def _pool_project(in_channels, out_channels, stride):
    """The pre-norm MBConv's shortcut when the shape changes: AvgPool2d(stride) (when
    ``stride > 1``), then a 1x1 convolution with a bias (when the width changes)."""
    layers = OrderedDict()
    if stride > 1:
        layers["pool"] = AvgPool2d(stride, stride)
    if in_channels != out_channels:
        layers["project"] = Conv2d(in_channels, out_channels, 1)
    return Sequential(layers)


class MBConv(_Residual):
    r"""Mobile inverted bottleneck (MobileNetV2, MobileNetV3, EfficientNet).

    .. math::

        h = \phi(\mathrm{BN}(W_{exp} * x)), \quad
        d = \phi(\mathrm{BN}(W_{dw} \circledast h)), \quad
        s = \mathrm{SE}(d), \quad
        F(x) = \mathrm{BN}(W_{proj} * s)

    with :math:`W_{exp}` a 1x1 convolution to :math:`tC_{in}` channels (skipped when
    the width is kept), :math:`W_{dw}` a depthwise :math:`k \times k` convolution with
    the stride, SE an optional :class:`~lucid.nn.SEModule`, :math:`W_{proj}` a 1x1
    convolution to :math:`C_{out}` and :math:`\phi` the activation. The output is
    :math:`x + \mathrm{DropPath}(F(x))` when ``stride == 1`` and
    :math:`C_{in} = C_{out}`, else :math:`F(x)`. Every convolution is bias-free and
    followed by batch norm; padding :math:`k // 2`.

    With ``pre_norm=True`` (MaxViT, CoAtNet) the block normalises first and always keeps
    a shortcut:

    .. math::

        F(x) = W_{proj} * \mathrm{SE}(d(h(\mathrm{BN}_0(x)))) + b_{proj}, \qquad
        \mathrm{out} = S(x) + \mathrm{DropPath}(F(x))

    where the projection has a bias and no batch norm after it, and the shortcut
    :math:`S` is the identity when the shape is kept, else an average pool of size and
    stride ``stride`` (if ``stride > 1``) followed by a 1x1 convolution with a bias (if
    the width changes). The expansion is kept even when :math:`tC_{in} = C_{in}`.

    Sub-modules, in order: ``residual`` (a Sequential of ``pre_norm``, ``expand``,
    ``depthwise``, ``se``, ``project``; the absent ones left out), ``shortcut`` (None
    unless ``pre_norm`` and the shape changes) and ``drop_path``.

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, out_channels, ceil(H / stride), ceil(W / stride))`` for odd ``kernel_size``.

    Backward: through its layers (and the shortcut).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int, default 3
    stride : int, default 1
    expand_ratio : float, default 6
        :math:`t`; the hidden width is ``round(in_channels * expand_ratio)``.
    expanded_channels : int, optional
        The hidden width itself (MobileNetV3 lists it); overrides ``expand_ratio``.
    se_channels : int, optional
        Squeeze width of a squeeze-excitation after the depthwise convolution; none
        when omitted or 0.
    activation : Module class, default ReLU6
        :math:`\phi` (MobileNetV2: ReLU6; EfficientNet: Swish; MobileNetV3: ReLU or
        HardSwish).
    se_activation, se_gate : Module class, optional
        The SE's inner activation (default ``activation``) and gate (default Sigmoid).
    drop_path : float, default 0
        Stochastic-depth probability of the residual branch.
    bn_eps, bn_momentum : float, default 1e-5 and 0.1
    pre_norm : bool, default False
        The pre-norm variant of MaxViT and CoAtNet (above).

    Raises
    ------
    TypeError
        A size that is not a positive int, a bad ``expand_ratio``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> block = nn.MBConv(16, 16, kernel_size=3, expand_ratio=4, se_channels=4,
    ...                   activation=nn.Swish)
    >>> block(lucid.random.randn(2, 16, 8, 8)).shape
    (2, 16, 8, 8)
    >>> block.use_shortcut, [name for name, _ in block.residual.named_children()]
    (True, ['expand', 'depthwise', 'se', 'project'])
    >>> nn.MBConv(16, 24, stride=2)(lucid.random.randn(1, 16, 8, 8)).shape
    (1, 24, 4, 4)
    >>> pre = nn.MBConv(16, 24, stride=2, expanded_channels=96, se_channels=6,
    ...                 activation=nn.GELU, pre_norm=True)
    >>> pre(lucid.random.randn(1, 16, 8, 8)).shape
    (1, 24, 4, 4)
    >>> [name for name, _ in pre.residual.named_children()], pre.shortcut
    (['pre_norm', 'expand', 'depthwise', 'se', 'project'], Sequential(
      (pool): AvgPool2d(kernel_size=2, stride=2, padding=0)
      (project): Conv2d(16, 24, kernel_size=(1, 1), stride=(1, 1))
    ))
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, expand_ratio=6,
                 expanded_channels=None, se_channels=None, activation=ReLU6,
                 se_activation=None, se_gate=None, drop_path=0.0, bn_eps=1e-5,
                 bn_momentum=0.1, pre_norm=False):
        super().__init__()
        hidden = _settings("MBConv", in_channels, out_channels, kernel_size, stride,
                           expand_ratio, expanded_channels)
        norm = dict(bn_eps=bn_eps, bn_momentum=bn_momentum)
        layers = OrderedDict()
        if pre_norm:
            layers["pre_norm"] = BatchNorm2d(in_channels, bn_eps, bn_momentum)
        if hidden != in_channels or pre_norm:
            layers["expand"] = _conv_bn(in_channels, hidden, 1, 1, 1, activation, **norm)
        layers["depthwise"] = _conv_bn(hidden, hidden, kernel_size, stride, hidden, activation,
                                       **norm)
        if se_channels:
            layers["se"] = SEModule(hidden, squeeze_channels=se_channels,
                                    activation=se_activation or activation,
                                    **({"gate": se_gate} if se_gate else {}))
        layers["project"] = (Conv2d(hidden, out_channels, 1) if pre_norm else
                             _conv_bn(hidden, out_channels, 1, 1, 1, None, **norm))
        self.residual = Sequential(layers)
        reshaped = stride != 1 or in_channels != out_channels
        self._finish(in_channels, out_channels, stride, drop_path,
                     _pool_project(in_channels, out_channels, stride)
                     if pre_norm and reshaped else None)


class FusedMBConv(_Residual):
    r"""Fused mobile inverted bottleneck (EfficientNetV2): one full convolution in place
    of MBConv's expansion and depthwise convolution.

    .. math::

        h = \phi(\mathrm{BN}(W_{k \times k} * x)), \quad
        F(x) = \mathrm{BN}(W_{proj} * \mathrm{SE}(h))

    with :math:`W_{k \times k}` a full :math:`k \times k` convolution (with the stride)
    to :math:`tC_{in}` channels and :math:`W_{proj}` a 1x1 projection to
    :math:`C_{out}`. With ``expand_ratio == 1`` the block is the one convolution
    straight to :math:`C_{out}` (with its activation) and has no projection. The
    output is :math:`x + \mathrm{DropPath}(F(x))` when the shape is kept, else
    :math:`F(x)`.

    Sub-modules: ``residual`` (``fused``, optional ``se``, ``project``) and
    ``drop_path``.

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, out_channels, ceil(H / stride), ceil(W / stride))`` for odd ``kernel_size``.

    Backward: through its layers (and the shortcut).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int, default 3
    stride : int, default 1
    expand_ratio : float, default 4
    se_channels : int, optional
    activation : Module class, default Swish
    drop_path : float, default 0
    bn_eps, bn_momentum : float, default 1e-5 and 0.1

    Raises
    ------
    TypeError
        A size that is not a positive int, a bad ``expand_ratio``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> block = nn.FusedMBConv(8, 8, expand_ratio=4)
    >>> block(lucid.random.randn(2, 8, 6, 6)).shape
    (2, 8, 6, 6)
    >>> [name for name, _ in nn.FusedMBConv(8, 16, expand_ratio=1).residual.named_children()]
    ['fused']
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, expand_ratio=4,
                 se_channels=None, activation=Swish, drop_path=0.0, bn_eps=1e-5,
                 bn_momentum=0.1):
        super().__init__()
        hidden = _settings("FusedMBConv", in_channels, out_channels, kernel_size, stride,
                           expand_ratio, None)
        norm = dict(bn_eps=bn_eps, bn_momentum=bn_momentum)
        layers = OrderedDict()
        if hidden == in_channels and expand_ratio == 1:
            layers["fused"] = _conv_bn(in_channels, out_channels, kernel_size, stride, 1,
                                       activation, **norm)
        else:
            layers["fused"] = _conv_bn(in_channels, hidden, kernel_size, stride, 1, activation,
                                       **norm)
            if se_channels:
                layers["se"] = SEModule(hidden, squeeze_channels=se_channels,
                                        activation=activation)
            layers["project"] = _conv_bn(hidden, out_channels, 1, 1, 1, None, **norm)
        self.residual = Sequential(layers)
        self._finish(in_channels, out_channels, stride, drop_path)
