r"""ResNeSt (Zhang et al., 2022): ResNet with split-attention bottlenecks.

"ResNeSt: split-attention networks", CVPR workshops 2022. The 3x3 convolution of each
bottleneck becomes a split-attention convolution (:class:`~lucid.nn.SplitAttention`):
:math:`K` cardinal groups of :math:`R` splits each (the paper's :math:`K`, :math:`R`,
and a width :math:`d` per group written ``RsKxd``), whose splits are mixed by a softmax
attention computed from their pooled sum. The nets also use the "bag of tricks" of the
paper's section 5: a deep stem (three 3x3 convolutions), average pooling in the
shortcut (``avg_down``) and, where a block strides, a 3x3 average pooling beside the
split attention instead of a strided convolution (*avd*; before it for the ``RsKxd``
variants, after it otherwise).

=====================  ===================  ==========  ============
model                  blocks               stem width  RsKxd
=====================  ===================  ==========  ============
ResNeSt-14 / 26 / 50   1111 / 2222 / 3463   32          2s1x64d
ResNeSt-101            3, 4, 23, 3          64          2s1x64d
ResNeSt-200            3, 24, 36, 3         64          2s1x64d
ResNeSt-269            3, 30, 48, 8         64          2s1x64d
ResNeSt-50 4s2x40d     3, 4, 6, 3           32          4s2x40d
ResNeSt-50 1s4x24d     3, 4, 6, 3           32          1s4x24d
=====================  ===================  ==========  ============

The parameter order and counts are those of the authors' released nets (as timm builds
them); everything else is :class:`~lucid.models.ResNet`'s.
"""
from lucid import nn
from lucid.models._common import factory
from lucid.models.resnet import ResNet, shortcut

__all__ = ["ResNeStBottleneck", "resnest_14", "resnest_26", "resnest_50", "resnest_101",
           "resnest_200", "resnest_269", "resnest_50_4s2x40d", "resnest_50_1s4x24d"]


class ResNeStBottleneck(nn.Module):
    r"""A ResNet bottleneck whose 3x3 convolution is a split-attention convolution.

    .. math:: F(x) = \mathrm{bn_3}(W_3 * \mathrm{SA}(\mathrm{relu}(\mathrm{bn_1}(
              W_1 * x)))), \qquad y = \mathrm{relu}(F(x) + s(x))

    SA: :class:`~lucid.nn.SplitAttention` with ``radix`` splits in ``groups`` groups on
    the inner width :math:`\lfloor c\,d/64 \rfloor K`; a strided block puts a 3x3
    average pooling with the stride before (``avd_first``) or after it.

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, 4 * channels, ceil(H / stride), ceil(W / stride))``.

    Backward: through its layers and the shortcut.

    Parameters
    ----------
    in_channels, channels : int
    stride : int, default 1
    radix : int, default 2
    groups : int, default 1
    base_width : int, default 64
    avd_first : bool, default False
    avg_down : bool, default True

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import ResNeStBottleneck
    >>> block = ResNeStBottleneck(32, 8, stride=2)
    >>> block(lucid.random.randn(2, 32, 6, 6)).shape
    (2, 32, 3, 3)
    """

    expansion = 4

    def __init__(self, in_channels, channels, stride=1, *, radix=2, groups=1, base_width=64,
                 avd_first=False, avg_down=True):
        super().__init__()
        width = int(channels * base_width / 64) * groups
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        pool = nn.AvgPool2d(3, stride, padding=1) if stride > 1 else None
        self.avd_first = pool if avd_first else None
        self.conv2 = nn.SplitAttention(width, width, 3, groups=groups, radix=radix)
        self.avd_last = None if avd_first else pool
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.downsample = (shortcut(in_channels, out_channels, stride, avg_down)
                           if stride != 1 or in_channels != out_channels else None)

    def forward(self, x):
        """``relu(F(x) + shortcut(x))``."""
        out = self.relu(self.bn1(self.conv1(x)))
        if self.avd_first is not None:
            out = self.avd_first(out)
        out = self.conv2(out)
        if self.avd_last is not None:
            out = self.avd_last(out)
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


def _factory(name, layers, stem_width, radix, groups, width, avd_first, title):
    args = dict(radix=radix, groups=groups, base_width=width, avd_first=avd_first)

    def make(num_classes, kwargs):
        return ResNet(layers, num_classes=num_classes, block=ResNeStBottleneck,
                      **{"block_args": args, "deep_stem": True, "stem_width": stem_width,
                         "avg_down": True, **kwargs})

    return factory(__name__, name, f"{title}: split-attention bottlenecks {tuple(layers)}, deep "
                   f"stem of width {stem_width}.", make, "~lucid.models.ResNet")


resnest_14 = _factory("resnest_14", [1, 1, 1, 1], 32, 2, 1, 64, False, "ResNeSt-14")
resnest_26 = _factory("resnest_26", [2, 2, 2, 2], 32, 2, 1, 64, False, "ResNeSt-26")
resnest_50 = _factory("resnest_50", [3, 4, 6, 3], 32, 2, 1, 64, False, "ResNeSt-50")
resnest_101 = _factory("resnest_101", [3, 4, 23, 3], 64, 2, 1, 64, False, "ResNeSt-101")
resnest_200 = _factory("resnest_200", [3, 24, 36, 3], 64, 2, 1, 64, False, "ResNeSt-200")
resnest_269 = _factory("resnest_269", [3, 30, 48, 8], 64, 2, 1, 64, False, "ResNeSt-269")
resnest_50_4s2x40d = _factory("resnest_50_4s2x40d", [3, 4, 6, 3], 32, 4, 2, 40, True,
                              "ResNeSt-50 (4s2x40d)")
resnest_50_1s4x24d = _factory("resnest_50_1s4x24d", [3, 4, 6, 3], 32, 1, 4, 24, True,
                              "ResNeSt-50 (1s4x24d)")
