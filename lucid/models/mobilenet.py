r"""MobileNetV2 (Sandler, Howard, Zhu, Zhmoginov and Chen, 2018), torchvision's layout.

"MobileNetV2: inverted residuals and linear bottlenecks", CVPR 2018. A 3x3 stem, 17
*inverted residual* blocks (1x1 expansion, 3x3 depthwise convolution, 1x1 linear
projection; a shortcut when the shape is kept), a 1x1 convolution to 1280 channels,
global average pooling, dropout and one Linear layer. Every convolution is followed by
batch norm, and by ReLU6 except the projections. The blocks (the paper's Table 2):

===  =======  ===  ======  =========================================
t    c        n    s       meaning
===  =======  ===  ======  =========================================
1    16       1    1       t: expansion factor, c: output channels,
6    24       2    2       n: repeats, s: stride of the first repeat
6    32       3    2
6    64       4    2
6    96       3    1
6    160      3    2
6    320      1    1
===  =======  ===  ======  =========================================

3,504,872 parameters for 1000 classes (width multiplier 1), as torchvision. Names of the
state dict are torchvision's (``features.0.0.weight``, ``features.1.conv.0.0.weight``,
..., ``classifier.1.weight``). Weights start as torchvision's: He-normal (fan-out)
convolutions, batch-norm 1 and 0, Linear :math:`\mathcal N(0, 0.01^2)` with zero bias.
"""
from lucid import flatten, nn
from lucid.models._common import init_like_torchvision
from lucid.models._registry import register_model

__all__ = ["InvertedResidual", "MobileNetV2", "mobilenet_v2"]

# (expansion t, output channels c, repeats n, first stride s)
_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
             (6, 160, 3, 2), (6, 320, 1, 1))


def _conv_bn_relu6(in_channels, out_channels, kernel_size=3, stride=1, groups=1):
    """Conv2d (no bias, 'same'-style padding) + BatchNorm2d + ReLU6, as one Sequential."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                  padding=(kernel_size - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU6())


class InvertedResidual(nn.Module):
    r"""MobileNetV2's block: expand (1x1), filter (3x3 depthwise), project (1x1, linear).

    .. math:: F(x) = \mathrm{BN}(W_{proj} * \mathrm{relu6}(\mathrm{BN}(W_{dw} \circledast
              \mathrm{relu6}(\mathrm{BN}(W_{exp} * x)))))

    and :math:`y = x + F(x)` when ``stride == 1`` and the channel count is kept, else
    :math:`y = F(x)`. The expansion is skipped when ``expand_ratio == 1``.

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, out_channels, ceil(H / stride), ceil(W / stride))``.

    Backward: through its layers (and the shortcut).

    Parameters
    ----------
    in_channels, out_channels : int
    stride : {1, 2}
    expand_ratio : int
        Hidden width is ``round(in_channels * expand_ratio)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import InvertedResidual
    >>> block = InvertedResidual(16, 16, stride=1, expand_ratio=6)
    >>> block.use_shortcut, block(lucid.random.randn(1, 16, 8, 8)).shape
    (True, (1, 16, 8, 8))
    """

    def __init__(self, in_channels, out_channels, stride, expand_ratio):
        super().__init__()
        hidden = int(round(in_channels * expand_ratio))
        self.use_shortcut = stride == 1 and in_channels == out_channels
        layers = []
        if expand_ratio != 1:
            layers.append(_conv_bn_relu6(in_channels, hidden, kernel_size=1))
        layers += [_conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, out_channels, kernel_size=1, bias=False),
                   nn.BatchNorm2d(out_channels)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        """``x + F(x)`` or ``F(x)``."""
        return x + self.conv(x) if self.use_shortcut else self.conv(x)


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

    def __init__(self, num_classes=1000, dropout=0.2):
        super().__init__()
        in_channels, last_channels = 32, 1280
        features = [_conv_bn_relu6(3, in_channels, stride=2)]
        for t, c, n, s in _SETTINGS:
            for i in range(n):
                features.append(InvertedResidual(in_channels, c, s if i == 0 else 1, t))
                in_channels = c
        features.append(_conv_bn_relu6(in_channels, last_channels, kernel_size=1))
        self.features = nn.Sequential(*features)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Dropout(p=dropout),
                                        nn.Linear(last_channels, num_classes))
        init_like_torchvision(self, linear_std=0.01)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, 3, H, W)``."""
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))


@register_model
def mobilenet_v2(num_classes=1000, **kwargs):
    """MobileNetV2 (width 1.0), torchvision's layout (see :class:`MobileNetV2`).

    Parameters
    ----------
    num_classes : int, default 1000
    **kwargs
        ``dropout``.

    Returns
    -------
    MobileNetV2

    Examples
    --------
    >>> from lucid import models
    >>> models.mobilenet_v2().count_parameters()
    3504872
    """
    return MobileNetV2(num_classes=num_classes, **kwargs)
