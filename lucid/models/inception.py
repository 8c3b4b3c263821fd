r"""Inception v1 (GoogLeNet, Szegedy et al., 2015), v3 (Szegedy et al., 2016) and v4
(Szegedy et al., 2017).

An *Inception module* runs several convolutions of different sizes side by side on the
same input (1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3 max pooling then 1x1) and concatenates
their outputs on the channel axis; the 1x1 convolutions first reduce the channels, which
keeps the wide module cheap.

* **v1**, "Going deeper with convolutions", CVPR 2015: a 7x7/2 and 3x3 stem, nine
  modules (3a-5b, the paper's Table 1) with max pooling between groups, global average
  pooling, dropout 0.4 and Linear; two auxiliary classifiers on modules 4a and 4d
  (average pooling 5x5/3, 1x1 convolution to 128, Linear to 1024, dropout 0.7, Linear)
  add their losses with weight 0.3 during training.
* **v3**, "Rethinking the Inception architecture for computer vision", CVPR 2016: 5x5
  convolutions factorised into two 3x3, :math:`n \times n` into :math:`1 \times n` and
  :math:`n \times 1`, grid reductions by parallel strided branches, one auxiliary
  classifier, 299 x 299 inputs.
* **v4**, "Inception-v4, Inception-ResNet and the impact of residual connections on
  learning", AAAI 2017: a deeper stem (Fig. 3), 4 Inception-A, 7 Inception-B and 3
  Inception-C modules with Reduction-A/B between them (Figs. 4-8), no auxiliary head.

Every convolution is followed by batch norm (eps 1e-3) and ReLU and has no bias (the
batch-normalised form of torchvision and timm; v1's paper predates batch norm and used
biases and local response normalisation instead, which this layout leaves out). The
parameter order is torchvision's (v1, v3) and timm's (v4).
"""
from lucid import concatenate, flatten, nn
from lucid.models._common import conv_bn, factory, init_normal

__all__ = ["InceptionModule", "ReductionA", "InceptionV1", "InceptionV3", "InceptionV4", "inception_v1",
           "inception_v3", "inception_v4"]


def basic_conv(in_channels, out_channels, kernel_size, stride=1, padding=0):
    """Conv (no bias), BatchNorm2d (eps 1e-3), ReLU: the unit of every Inception net."""
    return conv_bn(in_channels, out_channels, kernel_size, stride, padding=padding, eps=1e-3)


class _Branches(nn.Module):
    """Runs every branch on the input and concatenates the results on the channels."""

    def forward(self, x):
        """``concatenate([branch(x) for branch], axis=1)``."""
        return concatenate([branch(x) for branch in self.children()], axis=1)


class InceptionModule(_Branches):
    r"""GoogLeNet's Inception module: four parallel branches, concatenated.

    .. math:: y = [\,B_{1\times1}(x),\ B_{3\times3}(R_3(x)),\ B_{5\times5}(R_5(x)),\
              P(\mathrm{maxpool}_{3\times3}(x))\,]

    :math:`R_3, R_5, P` are 1x1 convolutions (the "reduce" and "pool proj" columns of
    the paper's Table 1). Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, c1 + c3 + c5 + pool, H, W)``.

    Backward: the concatenation hands each branch its slice of the gradient; the four
    input gradients add up.

    Parameters
    ----------
    in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool : int
    kernel5 : int, default 5
        Size of the "5x5" branch (torchvision builds it 3x3).

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import InceptionModule
    >>> block = InceptionModule(192, 64, 96, 128, 16, 32, 32)      # 3a
    >>> block(lucid.random.randn(1, 192, 7, 7)).shape
    (1, 256, 7, 7)
    """

    def __init__(self, in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool, kernel5=5):
        super().__init__()
        self.branch1 = basic_conv(in_channels, c1, 1)
        self.branch2 = nn.Sequential(basic_conv(in_channels, c3_reduce, 1),
                                     basic_conv(c3_reduce, c3, 3, padding=1))
        self.branch3 = nn.Sequential(basic_conv(in_channels, c5_reduce, 1),
                                     basic_conv(c5_reduce, c5, kernel5, padding=kernel5 // 2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True),
                                     basic_conv(in_channels, pool, 1))


class _AuxHead(nn.Module):
    """An auxiliary classifier: avgpool, 1x1 conv to 128, Linear(s), dropout."""

    def __init__(self, in_channels, num_classes, pool, conv_channels, hidden, dropout):
        super().__init__()
        self.pool = pool
        self.conv = basic_conv(in_channels, conv_channels, 1)
        self.fc1 = nn.Linear(conv_channels * 16, hidden)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        """Logits of the auxiliary head."""
        x = flatten(self.conv(self.pool(x)), 1)
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


class InceptionV1(nn.Module):
    r"""GoogLeNet: a stem, nine Inception modules, pooling, dropout and Linear.

    .. math:: y = W\,\mathrm{dropout}(\mathrm{vec}(\mathrm{avgpool}(
              \mathrm{5b}(\cdots\mathrm{3a}(\mathrm{stem}(x)))))) + b

    In training mode with ``aux_logits`` the forward returns ``(logits, aux1, aux2)``
    (the heads on 4a and 4d); otherwise the logits.

    Shapes: input ``(N, in_channels, H, W)`` (224 in the paper); output
    ``(N, num_classes)``.

    Backward: through its layers (and the auxiliary heads when their logits are used).

    Parameters
    ----------
    num_classes : int, default 1000
    aux_logits : bool, default True
    dropout : float, default 0.4
    aux_dropout : float, default 0.7
    kernel5 : int, default 5
        Kernel of the "5x5" branches (3 reproduces torchvision's GoogLeNet).
    in_channels : int, default 3

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import InceptionV1
    >>> net = InceptionV1(num_classes=10, aux_logits=False).eval()
    >>> net(lucid.random.randn(1, 3, 64, 64)).shape
    (1, 10)
    """

    _MODULES = {"3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
                "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
                "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
                "4e": (528, 256, 160, 320, 32, 128, 128),
                "5a": (832, 256, 160, 320, 32, 128, 128),
                "5b": (832, 384, 192, 384, 48, 128, 128)}

    def __init__(self, num_classes=1000, aux_logits=True, dropout=0.4, aux_dropout=0.7,
                 kernel5=5, in_channels=3):
        super().__init__()
        self.aux_logits = aux_logits
        self.conv1 = basic_conv(in_channels, 64, 7, 2, 3)
        self.maxpool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = basic_conv(64, 64, 1)
        self.conv3 = basic_conv(64, 192, 3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        block = lambda key: InceptionModule(*self._MODULES[key], kernel5=kernel5)
        self.inception3a, self.inception3b = block("3a"), block("3b")
        self.maxpool3 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.inception4a, self.inception4b, self.inception4c = block("4a"), block("4b"), block("4c")
        self.inception4d, self.inception4e = block("4d"), block("4e")
        self.maxpool4 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.inception5a, self.inception5b = block("5a"), block("5b")
        if aux_logits:
            aux = lambda c: _AuxHead(c, num_classes, nn.AdaptiveAvgPool2d((4, 4)), 128, 1024,
                                     aux_dropout)
            self.aux1, self.aux2 = aux(512), aux(528)
        else:
            self.aux1 = self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)
        init_normal(self, 0.01)

    def forward(self, x):
        """Logits, or ``(logits, aux1, aux2)`` in training mode with auxiliary heads."""
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        logits = self.fc(self.dropout(flatten(self.avgpool(x), 1)))
        return (logits, aux1, aux2) if aux1 is not None else logits


# ----------------------------------------------------------------- Inception v3 blocks
class _InceptionA(_Branches):
    def __init__(self, c, pool):
        super().__init__()
        self.branch1x1 = basic_conv(c, 64, 1)
        self.branch5x5 = nn.Sequential(basic_conv(c, 48, 1), basic_conv(48, 64, 5, padding=2))
        self.branch3x3dbl = nn.Sequential(basic_conv(c, 64, 1), basic_conv(64, 96, 3, padding=1),
                                          basic_conv(96, 96, 3, padding=1))
        self.branch_pool = nn.Sequential(nn.AvgPool2d(3, 1, 1), basic_conv(c, pool, 1))


class _ReductionV3A(_Branches):
    def __init__(self, c):
        super().__init__()
        self.branch3x3 = basic_conv(c, 384, 3, 2)
        self.branch3x3dbl = nn.Sequential(basic_conv(c, 64, 1), basic_conv(64, 96, 3, padding=1),
                                          basic_conv(96, 96, 3, 2))
        self.branch_pool = nn.MaxPool2d(3, 2)


def _seven(c_in, c_mid, c_out, pattern):
    """1x1 then the 1x7 / 7x1 factorised convolutions of ``pattern`` ('hw', 'hwhw'...)."""
    layers, c = [basic_conv(c_in, c_mid, 1)], c_mid
    for i, axis in enumerate(pattern):
        out = c_out if i == len(pattern) - 1 else c_mid
        k, p = ((1, 7), (0, 3)) if axis == "w" else ((7, 1), (3, 0))
        layers.append(basic_conv(c, out, k, padding=p))
        c = out
    return nn.Sequential(*layers)


class _InceptionC(_Branches):
    def __init__(self, c, c7):
        super().__init__()
        self.branch1x1 = basic_conv(c, 192, 1)
        self.branch7x7 = _seven(c, c7, 192, "wh")
        self.branch7x7dbl = _seven(c, c7, 192, "hwhw")
        self.branch_pool = nn.Sequential(nn.AvgPool2d(3, 1, 1), basic_conv(c, 192, 1))


class _ReductionV3B(_Branches):
    def __init__(self, c):
        super().__init__()
        self.branch3x3 = nn.Sequential(basic_conv(c, 192, 1), basic_conv(192, 320, 3, 2))
        seven = _seven(c, 192, 192, "wh")
        self.branch7x7x3 = nn.Sequential(*seven, basic_conv(192, 192, 3, 2))
        self.branch_pool = nn.MaxPool2d(3, 2)


class _Split(nn.Module):
    """A stem then two parallel heads (1x3 and 3x1), concatenated (Inception-E/-C)."""

    def __init__(self, stem, a, b):
        super().__init__()
        self.stem, self.a, self.b = stem, a, b

    def forward(self, x):
        """``[a(stem(x)), b(stem(x))]``."""
        x = self.stem(x)
        return concatenate([self.a(x), self.b(x)], axis=1)


class _InceptionE(_Branches):
    def __init__(self, c):
        super().__init__()
        self.branch1x1 = basic_conv(c, 320, 1)
        self.branch3x3 = _Split(basic_conv(c, 384, 1),
                                basic_conv(384, 384, (1, 3), padding=(0, 1)),
                                basic_conv(384, 384, (3, 1), padding=(1, 0)))
        self.branch3x3dbl = _Split(nn.Sequential(basic_conv(c, 448, 1),
                                                 basic_conv(448, 384, 3, padding=1)),
                                   basic_conv(384, 384, (1, 3), padding=(0, 1)),
                                   basic_conv(384, 384, (3, 1), padding=(1, 0)))
        self.branch_pool = nn.Sequential(nn.AvgPool2d(3, 1, 1), basic_conv(c, 192, 1))


class _AuxV3(nn.Module):
    """v3's auxiliary head: 5x5/3 average pooling, 1x1 conv to 128, 5x5 conv to 768,
    global pooling, Linear."""

    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.pool = nn.AvgPool2d(5, 3)
        self.conv0 = basic_conv(in_channels, 128, 1)
        self.conv1 = basic_conv(128, 768, 5)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x):
        """Logits of the auxiliary head."""
        x = self.avgpool(self.conv1(self.conv0(self.pool(x))))
        return self.fc(flatten(x, 1))


class InceptionV3(nn.Module):
    r"""Inception v3: a 5-convolution stem, 3 Inception-A, a grid reduction, 4
    Inception-C (7x7 factorised), a reduction, 2 Inception-E, pooling, Linear.

    .. math:: y = W\,\mathrm{dropout}(\mathrm{vec}(\mathrm{avgpool}(
              \mathrm{Mixed\_7c}(\cdots \mathrm{stem}(x))))) + b

    The modules follow the paper's Figures 5-7 and Table 1 as torchvision builds
    them (``Mixed_5b`` ... ``Mixed_7c``). In training mode with ``aux_logits`` the
    forward returns ``(logits, aux)`` (the auxiliary head on ``Mixed_6e``).

    Shapes: input ``(N, in_channels, H, W)`` with ``H, W >= 75`` (299 in the paper);
    output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    num_classes : int, default 1000
    aux_logits : bool, default True
    dropout : float, default 0.5
    in_channels : int, default 3

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import InceptionV3
    >>> net = InceptionV3(num_classes=10, aux_logits=False).eval()
    >>> net(lucid.random.randn(1, 3, 75, 75)).shape
    (1, 10)
    """

    def __init__(self, num_classes=1000, aux_logits=True, dropout=0.5, in_channels=3):
        super().__init__()
        self.Conv2d_1a_3x3 = basic_conv(in_channels, 32, 3, 2)
        self.Conv2d_2a_3x3 = basic_conv(32, 32, 3)
        self.Conv2d_2b_3x3 = basic_conv(32, 64, 3, padding=1)
        self.maxpool1 = nn.MaxPool2d(3, 2)
        self.Conv2d_3b_1x1 = basic_conv(64, 80, 1)
        self.Conv2d_4a_3x3 = basic_conv(80, 192, 3)
        self.maxpool2 = nn.MaxPool2d(3, 2)
        self.Mixed_5b, self.Mixed_5c = _InceptionA(192, 32), _InceptionA(256, 64)
        self.Mixed_5d = _InceptionA(288, 64)
        self.Mixed_6a = _ReductionV3A(288)
        self.Mixed_6b, self.Mixed_6c = _InceptionC(768, 128), _InceptionC(768, 160)
        self.Mixed_6d, self.Mixed_6e = _InceptionC(768, 160), _InceptionC(768, 192)
        self.AuxLogits = _AuxV3(768, num_classes) if aux_logits else None
        self.Mixed_7a = _ReductionV3B(768)
        self.Mixed_7b, self.Mixed_7c = _InceptionE(1280), _InceptionE(2048)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2048, num_classes)
        init_normal(self, 0.1)

    def forward(self, x):
        """Logits, or ``(logits, aux)`` in training mode with the auxiliary head."""
        x = self.maxpool1(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))))
        x = self.maxpool2(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)))
        x = self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(x)))
        x = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(self.Mixed_6a(x)))))
        aux = self.AuxLogits(x) if self.AuxLogits is not None and self.training else None
        x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))
        logits = self.fc(self.dropout(flatten(self.avgpool(x), 1)))
        return (logits, aux) if aux is not None else logits


# ----------------------------------------------------------------- Inception v4 blocks
class _Pair(_Branches):
    """Two branches, concatenated (the stem's mixed layers)."""

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b


def inception_v4_stem(in_channels=3):
    """The stem of Inception-v4 and Inception-ResNet-v2 (the paper's Fig. 3): 299 -> 35,
    384 channels."""
    return nn.Sequential(
        basic_conv(in_channels, 32, 3, 2), basic_conv(32, 32, 3), basic_conv(32, 64, 3, padding=1),
        _Pair(nn.MaxPool2d(3, 2), basic_conv(64, 96, 3, 2)),
        _Pair(nn.Sequential(basic_conv(160, 64, 1), basic_conv(64, 96, 3)),
              nn.Sequential(basic_conv(160, 64, 1), basic_conv(64, 64, (1, 7), padding=(0, 3)),
                            basic_conv(64, 64, (7, 1), padding=(3, 0)), basic_conv(64, 96, 3))),
        _Pair(basic_conv(192, 192, 3, 2), nn.MaxPool2d(3, 2)))


class _V4A(_Branches):
    def __init__(self):
        super().__init__()
        self.branch0 = basic_conv(384, 96, 1)
        self.branch1 = nn.Sequential(basic_conv(384, 64, 1), basic_conv(64, 96, 3, padding=1))
        self.branch2 = nn.Sequential(basic_conv(384, 64, 1), basic_conv(64, 96, 3, padding=1),
                                     basic_conv(96, 96, 3, padding=1))
        self.branch3 = nn.Sequential(nn.AvgPool2d(3, 1, 1, count_include_pad=False),
                                     basic_conv(384, 96, 1))


class ReductionA(_Branches):
    r"""Reduction-A (Inception-v4 Fig. 7): 35 -> 17 by a strided 3x3, a 1x1-3x3-3x3/2
    branch and 3x3/2 max pooling, concatenated; widths :math:`k, l, m, n`.

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, in_channels + n + m, (H - 3) // 2 + 1, (W - 3) // 2 + 1)``.

    Backward: the concatenation splits the gradient between the branches.

    Parameters
    ----------
    in_channels, k, l, m, n : int
        The paper's Table 1: (192, 224, 256, 384) for v4.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import ReductionA
    >>> ReductionA(32, 8, 8, 16, 24)(lucid.random.randn(1, 32, 9, 9)).shape
    (1, 72, 4, 4)
    """

    def __init__(self, in_channels, k, l, m, n):
        super().__init__()
        self.branch0 = basic_conv(in_channels, n, 3, 2)
        self.branch1 = nn.Sequential(basic_conv(in_channels, k, 1),
                                     basic_conv(k, l, 3, padding=1), basic_conv(l, m, 3, 2))
        self.branch2 = nn.MaxPool2d(3, 2)


class _V4B(_Branches):
    def __init__(self):
        super().__init__()
        self.branch0 = basic_conv(1024, 384, 1)
        self.branch1 = nn.Sequential(basic_conv(1024, 192, 1),
                                     basic_conv(192, 224, (1, 7), padding=(0, 3)),
                                     basic_conv(224, 256, (7, 1), padding=(3, 0)))
        self.branch2 = nn.Sequential(basic_conv(1024, 192, 1),
                                     basic_conv(192, 192, (7, 1), padding=(3, 0)),
                                     basic_conv(192, 224, (1, 7), padding=(0, 3)),
                                     basic_conv(224, 224, (7, 1), padding=(3, 0)),
                                     basic_conv(224, 256, (1, 7), padding=(0, 3)))
        self.branch3 = nn.Sequential(nn.AvgPool2d(3, 1, 1, count_include_pad=False),
                                     basic_conv(1024, 128, 1))


class _V4ReductionB(_Branches):
    def __init__(self):
        super().__init__()
        self.branch0 = nn.Sequential(basic_conv(1024, 192, 1), basic_conv(192, 192, 3, 2))
        self.branch1 = nn.Sequential(basic_conv(1024, 256, 1),
                                     basic_conv(256, 256, (1, 7), padding=(0, 3)),
                                     basic_conv(256, 320, (7, 1), padding=(3, 0)),
                                     basic_conv(320, 320, 3, 2))
        self.branch2 = nn.MaxPool2d(3, 2)


class _V4C(_Branches):
    def __init__(self):
        super().__init__()
        self.branch0 = basic_conv(1536, 256, 1)
        self.branch1 = _Split(basic_conv(1536, 384, 1),
                              basic_conv(384, 256, (1, 3), padding=(0, 1)),
                              basic_conv(384, 256, (3, 1), padding=(1, 0)))
        self.branch2 = _Split(nn.Sequential(basic_conv(1536, 384, 1),
                                            basic_conv(384, 448, (3, 1), padding=(1, 0)),
                                            basic_conv(448, 512, (1, 3), padding=(0, 1))),
                              basic_conv(512, 256, (1, 3), padding=(0, 1)),
                              basic_conv(512, 256, (3, 1), padding=(1, 0)))
        self.branch3 = nn.Sequential(nn.AvgPool2d(3, 1, 1, count_include_pad=False),
                                     basic_conv(1536, 256, 1))


class _FeaturesAndHead(nn.Module):
    """``fc(dropout(vec(avgpool(features(x)))))``: the tail of Inception-v4 and the
    Inception-ResNets (subclasses set ``features`` and call ``_head``)."""

    def _head(self, channels, num_classes, dropout):
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, C, H, W)``."""
        return self.fc(self.dropout(flatten(self.avgpool(self.features(x)), 1)))


class InceptionV4(_FeaturesAndHead):
    r"""Inception-v4: the stem, 4 x Inception-A, Reduction-A, 7 x Inception-B,
    Reduction-B, 3 x Inception-C, pooling, dropout, Linear (the paper's Fig. 9).

    .. math:: y = W\,\mathrm{dropout}(\mathrm{vec}(\mathrm{avgpool}(
              \mathrm{features}(x)))) + b

    Shapes: input ``(N, in_channels, H, W)`` with ``H, W >= 75`` (299 in the paper);
    output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    num_classes : int, default 1000
    dropout : float, default 0.2
        The paper keeps 0.8.
    in_channels : int, default 3
    repeats : tuple of 3 ints, default (4, 7, 3)
        Inception-A, -B and -C modules (fewer for a small homework net).

    Examples
    --------
    >>> from lucid import nn
    >>> from lucid.models import InceptionV4
    >>> with nn.shape_only():
    ...     net = InceptionV4()
    >>> net.count_parameters()
    42679816
    """

    def __init__(self, num_classes=1000, dropout=0.2, in_channels=3, repeats=(4, 7, 3)):
        super().__init__()
        a, b, c = repeats
        self.features = nn.Sequential(
            *inception_v4_stem(in_channels), *[_V4A() for _ in range(a)],
            ReductionA(384, 192, 224, 256, 384), *[_V4B() for _ in range(b)], _V4ReductionB(),
            *[_V4C() for _ in range(c)])
        self._head(1536, num_classes, dropout)


inception_v1 = factory(__name__, "inception_v1", "Inception v1 (GoogLeNet) with its two "
                       "auxiliary heads.", lambda n, kw: InceptionV1(num_classes=n, **kw),
                       "~lucid.models.InceptionV1",
                       hint="``aux_logits``, ``dropout``, ``kernel5``...")
inception_v3 = factory(__name__, "inception_v3", "Inception v3 with its auxiliary head.",
                       lambda n, kw: InceptionV3(num_classes=n, **kw), "~lucid.models.InceptionV3",
                       hint="``aux_logits``, ``dropout``, ``in_channels``")
inception_v4 = factory(__name__, "inception_v4", "Inception-v4.",
                       lambda n, kw: InceptionV4(num_classes=n, **kw), "~lucid.models.InceptionV4",
                       hint="``dropout``, ``in_channels``, ``repeats``")
