r"""EfficientNet B0-B7 (Tan and Le, 2019) and EfficientNetV2 S/M/L/XL (Tan and Le, 2021).

"EfficientNet: rethinking model scaling for convolutional neural networks", ICML 2019.
A baseline found by architecture search (B0: MBConv blocks with squeeze-excitation and
Swish) is scaled by one *compound coefficient* :math:`\phi`: depth
:math:`d = \alpha^\phi`, width :math:`w = \beta^\phi` and resolution
:math:`r = \gamma^\phi` with :math:`\alpha\beta^2\gamma^2 \approx 2`. Channels become
``make_divisible(c * w, 8)`` and each stage's repeats ``ceil(n * d)``:

=====  =====  =====  ==========  =======  ==================
model  width  depth  resolution  dropout  parameters
=====  =====  =====  ==========  =======  ==================
B0     1.0    1.0    224         0.2      5,288,548
B1     1.0    1.1    240         0.2      7,794,184
B2     1.1    1.2    260         0.3      9,109,994
B3     1.2    1.4    300         0.3      12,233,232
B4     1.4    1.8    380         0.4      19,341,616
B5     1.6    2.2    456         0.4      30,389,784
B6     1.8    2.6    528         0.5      43,040,704
B7     2.0    3.1    600         0.5      66,347,960
=====  =====  =====  ==========  =======  ==================

B0's stages (the paper's Table 1): a 3x3/2 stem of 32, MBConv1 3x3 16 (x1), MBConv6
3x3 24 (x2, /2), MBConv6 5x5 40 (x2, /2), MBConv6 3x3 80 (x3, /2), MBConv6 5x5 112
(x3), MBConv6 5x5 192 (x4, /2), MBConv6 3x3 320 (x1), a 1x1 convolution to
:math:`4 \times 320` (times the width), pooling, dropout and Linear. The
squeeze-excitation squeezes to a quarter of the *block's input* channels.

"EfficientNetV2: smaller models and faster training", ICML 2021: the early stages use
:class:`~lucid.nn.FusedMBConv` (one full 3x3 convolution instead of expansion and
depthwise), smaller expansion ratios and a 1280-wide head; S, M, L and XL are the
paper's Table 4 (XL from its code). Both versions use Swish, stochastic depth rising
linearly to 0.2 over the blocks, and torchvision's initialisation (He-normal fan-out
convolutions, Linear :math:`U(\pm 1/\sqrt{\text{out}})`, zero bias).
"""
import math

from lucid import flatten, nn
from lucid.models._common import conv_bn, factory, init_like_torchvision, make_divisible
from lucid.nn import init

__all__ = ["EfficientNet", "efficientnet_b0", "efficientnet_b1", "efficientnet_b2",
           "efficientnet_b3", "efficientnet_b4", "efficientnet_b5", "efficientnet_b6",
           "efficientnet_b7", "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
           "efficientnet_v2_xl"]

# (block, expand ratio, kernel, stride, input channels, output channels, repeats)
_B0 = (("mb", 1, 3, 1, 32, 16, 1), ("mb", 6, 3, 2, 16, 24, 2), ("mb", 6, 5, 2, 24, 40, 2),
       ("mb", 6, 3, 2, 40, 80, 3), ("mb", 6, 5, 1, 80, 112, 3), ("mb", 6, 5, 2, 112, 192, 4),
       ("mb", 6, 3, 1, 192, 320, 1))
_V2 = {
    "s": (("fused", 1, 3, 1, 24, 24, 2), ("fused", 4, 3, 2, 24, 48, 4),
          ("fused", 4, 3, 2, 48, 64, 4), ("mb", 4, 3, 2, 64, 128, 6),
          ("mb", 6, 3, 1, 128, 160, 9), ("mb", 6, 3, 2, 160, 256, 15)),
    "m": (("fused", 1, 3, 1, 24, 24, 3), ("fused", 4, 3, 2, 24, 48, 5),
          ("fused", 4, 3, 2, 48, 80, 5), ("mb", 4, 3, 2, 80, 160, 7),
          ("mb", 6, 3, 1, 160, 176, 14), ("mb", 6, 3, 2, 176, 304, 18),
          ("mb", 6, 3, 1, 304, 512, 5)),
    "l": (("fused", 1, 3, 1, 32, 32, 4), ("fused", 4, 3, 2, 32, 64, 7),
          ("fused", 4, 3, 2, 64, 96, 7), ("mb", 4, 3, 2, 96, 192, 10),
          ("mb", 6, 3, 1, 192, 224, 19), ("mb", 6, 3, 2, 224, 384, 25),
          ("mb", 6, 3, 1, 384, 640, 7)),
    "xl": (("fused", 1, 3, 1, 32, 32, 4), ("fused", 4, 3, 2, 32, 64, 8),
           ("fused", 4, 3, 2, 64, 96, 8), ("mb", 4, 3, 2, 96, 192, 16),
           ("mb", 6, 3, 1, 192, 256, 24), ("mb", 6, 3, 2, 256, 512, 32),
           ("mb", 6, 3, 1, 512, 640, 8)),
}


class EfficientNet(nn.Module):
    r"""EfficientNet / EfficientNetV2: a stem, MBConv / FusedMBConv stages, a 1x1 conv head.

    .. math:: y = W\,\mathrm{dropout}(\mathrm{vec}(\mathrm{avgpool}(
              \mathrm{features}(x)))) + b

    Block :math:`i` of :math:`B` has stochastic-depth probability
    :math:`p\,i / B`. See :mod:`lucid.models.efficientnet` for the tables.

    Shapes: input ``(N, in_channels, H, W)``; output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    config : sequence of tuples
        ``(kind, expand, kernel, stride, in, out, repeats)``, kind ``"mb"`` or
        ``"fused"``.
    width, depth : float, default 1.0
        The compound-scaling multipliers of channels and repeats.
    last_channels : int, optional
        Width of the head convolution (default ``4 *`` the last stage's width).
    num_classes : int, default 1000
    dropout : float, default 0.2
    drop_path : float, default 0.2
        :math:`p`, the stochastic-depth probability of the last block.
    bn_eps, bn_momentum : float, default 1e-5 and 0.1
    in_channels : int, default 3

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import EfficientNet
    >>> tiny = EfficientNet([("fused", 1, 3, 2, 8, 8, 1), ("mb", 4, 3, 2, 8, 16, 2)],
    ...                     num_classes=10).eval()
    >>> tiny(lucid.random.randn(1, 3, 32, 32)).shape
    (1, 10)
    """

    def __init__(self, config, width=1.0, depth=1.0, last_channels=None, num_classes=1000,
                 dropout=0.2, drop_path=0.2, bn_eps=1e-5, bn_momentum=0.1, in_channels=3):
        super().__init__()
        norm = dict(bn_eps=bn_eps, bn_momentum=bn_momentum)
        scale = lambda c: make_divisible(c * width)
        stages = [(kind, t, k, s, scale(cin), scale(cout), int(math.ceil(n * depth)))
                  for kind, t, k, s, cin, cout, n in config]
        total, index = sum(stage[-1] for stage in stages), 0
        layers = [conv_bn(in_channels, stages[0][4], 3, 2, activation=nn.Swish, eps=bn_eps,
                          momentum=bn_momentum)]
        for kind, t, k, s, cin, cout, n in stages:
            blocks = []
            for i in range(n):
                block_in, stride = (cin, s) if i == 0 else (cout, 1)
                rate = drop_path * index / total
                if kind == "fused":
                    blocks.append(nn.FusedMBConv(block_in, cout, k, stride, t,
                                                 drop_path=rate, **norm))
                else:
                    blocks.append(nn.MBConv(block_in, cout, k, stride, t,
                                            se_channels=max(1, block_in // 4),
                                            activation=nn.Swish, drop_path=rate, **norm))
                index += 1
            layers.append(nn.Sequential(*blocks))
        head = last_channels or 4 * stages[-1][5]
        layers.append(conv_bn(stages[-1][5], head, 1, activation=nn.Swish, eps=bn_eps,
                              momentum=bn_momentum))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(head, num_classes))
        init_like_torchvision(self)
        fc = self.classifier[1]
        init.uniform(fc.weight, -1 / math.sqrt(num_classes), 1 / math.sqrt(num_classes))
        init.zeros(fc.bias)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, C, H, W)``."""
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


_V1 = {"b0": (1.0, 1.0, 0.2), "b1": (1.0, 1.1, 0.2), "b2": (1.1, 1.2, 0.3),
       "b3": (1.2, 1.4, 0.3), "b4": (1.4, 1.8, 0.4), "b5": (1.6, 2.2, 0.4),
       "b6": (1.8, 2.6, 0.5), "b7": (2.0, 3.1, 0.5)}
_V2_DROPOUT = {"s": 0.2, "m": 0.3, "l": 0.4, "xl": 0.4}
_HINT = "``dropout``, ``drop_path``, ``bn_eps``..."


def _v1(variant):
    width, depth, dropout = _V1[variant]
    return factory(__name__, f"efficientnet_{variant}", f"EfficientNet-{variant.upper()}: B0 "
                   f"scaled to width {width}, depth {depth}.",
                   lambda num_classes, kwargs: EfficientNet(
                       _B0, width, depth, num_classes=num_classes,
                       **{"dropout": dropout, **kwargs}),
                   "~lucid.models.EfficientNet", hint=_HINT)


def _v2(variant):
    return factory(__name__, f"efficientnet_v2_{variant}", f"EfficientNetV2-{variant.upper()}: "
                   "Fused-MBConv then MBConv stages, a 1280-wide head.",
                   lambda num_classes, kwargs: EfficientNet(
                       _V2[variant], last_channels=1280, num_classes=num_classes,
                       **{"dropout": _V2_DROPOUT[variant], "bn_eps": 1e-3, **kwargs}),
                   "~lucid.models.EfficientNet", hint=_HINT)


efficientnet_b0, efficientnet_b1, efficientnet_b2, efficientnet_b3 = map(_v1, ("b0", "b1", "b2",
                                                                                "b3"))
efficientnet_b4, efficientnet_b5, efficientnet_b6, efficientnet_b7 = map(_v1, ("b4", "b5", "b6",
                                                                                "b7"))
efficientnet_v2_s, efficientnet_v2_m, efficientnet_v2_l, efficientnet_v2_xl = map(
    _v2, ("s", "m", "l", "xl"))
