r"""MobileNet V1, V2 and V3 (Howard et al., 2017; Sandler et al., 2018; Howard et al., 2019).

* **V1**, "MobileNets: efficient convolutional neural networks for mobile vision
  applications": a 3x3/2 stem of 32 maps, then 13 *depthwise-separable* layers (a 3x3
  depthwise convolution, then a 1x1 pointwise one, each with batch norm and ReLU; the
  paper's Table 1), global pooling and Linear. 4,231,976 parameters (the paper: 4.2M).
* **V2**, "MobileNetV2: inverted residuals and linear bottlenecks": a 3x3 stem, 17
  inverted residual blocks (:class:`~lucid.nn.MBConv` with ReLU6: 1x1 expansion, 3x3
  depthwise, 1x1 linear projection; a shortcut when the shape is kept), a 1x1
  convolution to 1280 channels, pooling, dropout and Linear. 3,504,872 parameters.
* **V3**, "Searching for MobileNetV3": blocks found by architecture search, with
  squeeze-excitation (gated by a hard sigmoid) in some blocks and the hard swish
  :math:`x\,\mathrm{relu6}(x + 3)/6` in the later ones; the head is a 1x1 convolution,
  pooling, then a Linear layer to 1280 (large) or 1024 (small) with hard swish, dropout
  and the classifier. 5,483,032 (large) and 2,542,856 (small) parameters.

The V2 blocks (the paper's Table 2; t: expansion, c: output channels, n: repeats,
s: stride of the first repeat):

===  ====  ===  ===
t    c     n    s
===  ====  ===  ===
1    16    1    1
6    24    2    2
6    32    3    2
6    64    4    2
6    96    3    1
6    160   3    2
6    320   1    1
===  ====  ===  ===

Weights start as torchvision's: He-normal (fan-out) convolutions, batch-norm 1 and 0,
Linear :math:`\mathcal N(0, 0.01^2)` with zero bias. The parameter order is
torchvision's (V2, V3) and timm's (V1), so their weights copy over one to one.
"""
from lucid import flatten, nn
from lucid.models._common import conv_bn, factory, init_like_torchvision, make_divisible

__all__ = ["InvertedResidual", "MobileNetV1", "MobileNetV2", "MobileNetV3", "mobilenet",
           "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"]


class MobileNetV1(nn.Module):
    r"""MobileNet V1: a stem, 13 depthwise-separable layers, pooling, Linear.

    .. math:: \text{layer}(x) = \mathrm{relu}(\mathrm{BN}(W_{pw} *
              \mathrm{relu}(\mathrm{BN}(W_{dw} \circledast x))))

    Widths 64, 128, 128, 256, 256, 512 (x6), 1024, 1024 (times ``width_multiplier``),
    stride 2 where the width first doubles (and at the first 1024).

    Shapes: input ``(N, in_channels, H, W)`` (224 in the paper); output
    ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    num_classes : int, default 1000
    width_multiplier : float, default 1.0
        The paper's :math:`\alpha`.
    in_channels : int, default 3

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import MobileNetV1
    >>> net = MobileNetV1(num_classes=10, width_multiplier=0.25).eval()
    >>> net(lucid.random.randn(1, 3, 32, 32)).shape
    (1, 10)
    """

    _LAYERS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
               (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))

    def __init__(self, num_classes=1000, width_multiplier=1.0, in_channels=3):
        super().__init__()
        width = lambda c: max(int(c * width_multiplier), 8)
        channels = width(32)
        layers = [conv_bn(in_channels, channels, 3, 2)]
        for out, stride in self._LAYERS:
            layers.append(nn.Sequential(conv_bn(channels, channels, 3, stride, groups=channels),
                                        conv_bn(channels, width(out), 1)))
            channels = width(out)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(channels, num_classes)
        init_like_torchvision(self, linear_std=0.01)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, C, H, W)``."""
        return self.fc(flatten(self.avgpool(self.features(x)), 1))


class InvertedResidual(nn.MBConv):
    r"""MobileNetV2's block: :class:`~lucid.nn.MBConv` with a 3x3 depthwise convolution,
    ReLU6 and no squeeze-excitation.

    .. math:: F(x) = \mathrm{BN}(W_{proj} * \mathrm{relu6}(\mathrm{BN}(W_{dw} \circledast
              \mathrm{relu6}(\mathrm{BN}(W_{exp} * x)))))

    and :math:`y = x + F(x)` when ``stride == 1`` and the channel count is kept.

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, out_channels, ceil(H / stride), ceil(W / stride))``.

    Backward: through its layers (and the shortcut).

    Parameters
    ----------
    in_channels, out_channels : int
    stride : {1, 2}
    expand_ratio : int

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import InvertedResidual
    >>> block = InvertedResidual(16, 16, stride=1, expand_ratio=6)
    >>> block.use_shortcut, block(lucid.random.randn(1, 16, 8, 8)).shape
    (True, (1, 16, 8, 8))
    """

    def __init__(self, in_channels, out_channels, stride, expand_ratio):
        super().__init__(in_channels, out_channels, 3, stride, expand_ratio,
                         activation=nn.ReLU6)


# (expansion t, output channels c, repeats n, first stride s)
_V2_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1))


class MobileNetV2(nn.Module):
    r"""MobileNetV2: a stem, 17 inverted residual blocks, a 1x1 conv to 1280, a classifier.

    .. math:: y = W\,\mathrm{dropout}(\mathrm{vec}(\mathrm{avgpool}(
              \mathrm{features}(x)))) + b

    See :mod:`lucid.models.mobilenet` for the block table.

    Shapes: input ``(N, 3, H, W)`` (224 in the paper); output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    num_classes : int, default 1000
    dropout : float, default 0.2
    width_multiplier : float, default 1.0
        Channels are ``make_divisible(c * width_multiplier, 8)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import MobileNetV2
    >>> net = MobileNetV2(num_classes=10).eval()
    >>> net(lucid.random.randn(1, 3, 32, 32)).shape
    (1, 10)
    >>> len(net.features)            # stem, 17 blocks, last 1x1 conv
    19
    """

    def __init__(self, num_classes=1000, dropout=0.2, width_multiplier=1.0):
        super().__init__()
        in_channels = make_divisible(32 * width_multiplier)
        last_channels = make_divisible(1280 * max(1.0, width_multiplier))
        features = [conv_bn(3, in_channels, 3, 2, activation=nn.ReLU6)]
        for t, c, n, s in _V2_SETTINGS:
            out = make_divisible(c * width_multiplier)
            for i in range(n):
                features.append(InvertedResidual(in_channels, out, s if i == 0 else 1, t))
                in_channels = out
        features.append(conv_bn(in_channels, last_channels, 1, activation=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Dropout(p=dropout),
                                        nn.Linear(last_channels, num_classes))
        init_like_torchvision(self, linear_std=0.01)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, 3, H, W)``."""
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))


# (kernel, expanded channels, output channels, squeeze-excite, activation, stride)
_V3_LARGE = ((3, 16, 16, False, "RE", 1), (3, 64, 24, False, "RE", 2),
             (3, 72, 24, False, "RE", 1), (5, 72, 40, True, "RE", 2),
             (5, 120, 40, True, "RE", 1), (5, 120, 40, True, "RE", 1),
             (3, 240, 80, False, "HS", 2), (3, 200, 80, False, "HS", 1),
             (3, 184, 80, False, "HS", 1), (3, 184, 80, False, "HS", 1),
             (3, 480, 112, True, "HS", 1), (3, 672, 112, True, "HS", 1),
             (5, 672, 160, True, "HS", 2), (5, 960, 160, True, "HS", 1),
             (5, 960, 160, True, "HS", 1))
_V3_SMALL = ((3, 16, 16, True, "RE", 2), (3, 72, 24, False, "RE", 2),
             (3, 88, 24, False, "RE", 1), (5, 96, 40, True, "HS", 2),
             (5, 240, 40, True, "HS", 1), (5, 240, 40, True, "HS", 1),
             (5, 120, 48, True, "HS", 1), (5, 144, 48, True, "HS", 1),
             (5, 288, 96, True, "HS", 2), (5, 576, 96, True, "HS", 1),
             (5, 576, 96, True, "HS", 1))
_ACTIVATIONS = {"RE": nn.ReLU, "HS": nn.HardSwish}


class MobileNetV3(nn.Module):
    r"""MobileNetV3: a hard-swish stem, searched MBConv blocks, a 1x1 conv, a two-layer head.

    .. math:: y = W_2\,\mathrm{dropout}(\mathrm{hswish}(W_1\,\mathrm{vec}(
              \mathrm{avgpool}(\mathrm{features}(x))) + b_1)) + b_2

    Each block is an :class:`~lucid.nn.MBConv` (its kernel, expanded width, output
    width, activation and stride from the paper's Tables 1 and 2); its
    squeeze-excitation squeezes to ``make_divisible(expanded / 4, 8)`` channels and
    gates with a hard sigmoid. Batch norm uses eps 1e-3 and momentum 0.01.

    Shapes: input ``(N, 3, H, W)`` (224 in the paper); output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    config : sequence of tuples
        ``(kernel, expanded, out, se, "RE" or "HS", stride)`` per block.
    last_channels : int
        Width of the hidden head layer (1280 large, 1024 small).
    num_classes : int, default 1000
    dropout : float, default 0.2

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import MobileNetV3
    >>> tiny = MobileNetV3([(3, 16, 16, True, "RE", 2), (3, 32, 24, False, "HS", 1)],
    ...                    last_channels=64, num_classes=10).eval()
    >>> tiny(lucid.random.randn(1, 3, 32, 32)).shape
    (1, 10)
    """

    def __init__(self, config, last_channels, num_classes=1000, dropout=0.2):
        super().__init__()
        norm = dict(eps=1e-3, momentum=0.01)
        layers = [conv_bn(3, 16, 3, 2, activation=nn.HardSwish, **norm)]
        channels = 16
        for k, expanded, out, se, act, stride in config:
            layers.append(nn.MBConv(
                channels, out, k, stride, expanded_channels=expanded,
                se_channels=make_divisible(expanded // 4) if se else None,
                activation=_ACTIVATIONS[act], se_activation=nn.ReLU, se_gate=nn.HardSigmoid,
                bn_eps=1e-3, bn_momentum=0.01))
            channels = out
        layers.append(conv_bn(channels, 6 * channels, 1, activation=nn.HardSwish, **norm))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Linear(6 * channels, last_channels), nn.HardSwish(),
                                        nn.Dropout(dropout), nn.Linear(last_channels, num_classes))
        init_like_torchvision(self, linear_std=0.01)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, 3, H, W)``."""
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


mobilenet = factory(__name__, "mobilenet", "MobileNet V1 (width 1.0), 4.2M parameters.",
                    lambda n, kw: MobileNetV1(num_classes=n, **kw), "~lucid.models.MobileNetV1",
                    hint="``width_multiplier``, ``in_channels``")
mobilenet_v2 = factory(__name__, "mobilenet_v2", "MobileNetV2 (width 1.0), torchvision's layout, "
                       "3.5M parameters.", lambda n, kw: MobileNetV2(num_classes=n, **kw),
                       "~lucid.models.MobileNetV2", hint="``dropout``, ``width_multiplier``",
                       examples="""    >>> from lucid import models
    >>> models.mobilenet_v2().count_parameters()
    3504872
""")
mobilenet_v3_large = factory(__name__, "mobilenet_v3_large", "MobileNetV3-Large, 5.5M parameters.",
                             lambda n, kw: MobileNetV3(_V3_LARGE, 1280, num_classes=n, **kw),
                             "~lucid.models.MobileNetV3", hint="``dropout``")
mobilenet_v3_small = factory(__name__, "mobilenet_v3_small", "MobileNetV3-Small, 2.5M parameters.",
                             lambda n, kw: MobileNetV3(_V3_SMALL, 1024, num_classes=n, **kw),
                             "~lucid.models.MobileNetV3", hint="``dropout``")
