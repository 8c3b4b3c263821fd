r"""Inception-ResNet v1 and v2 (Szegedy, Ioffe, Vanhoucke and Alemi, 2017).

"Inception-v4, Inception-ResNet and the impact of residual connections on learning",
AAAI 2017. Inception modules become the residual branch of a block: the branches are
concatenated, a 1x1 convolution (with bias, no batch norm) restores the width, and the
result, *scaled down* by a factor between 0.1 and 0.3 (which the paper found necessary
to keep very wide residual nets from dying early in training), is added to the input:

.. math:: y = \mathrm{relu}\bigl(x + s \cdot W_{1\times1} [B_1(x), \dots, B_k(x)]\bigr)

* **v1** (the paper's Fig. 15 with Figs. 10-14): its own stem (299 -> 35, 256
  channels), 5 x Inception-ResNet-A (scale 0.17), Reduction-A (k, l, m, n = 192, 192,
  256, 384), 10 x Inception-ResNet-B (0.10), Reduction-B, 5 x Inception-ResNet-C
  (0.20), pooling, dropout and Linear (1792 features).
* **v2** (Figs. 16-19): wider blocks (A: 320, B: 1088, C: 2080 channels), 10 / 20 / 10
  blocks and a 1x1 convolution to 1536 before pooling; built as the authors' released
  TF-slim code (and timm) build it, whose stem ends in an Inception-A-like
  ``Mixed_5b`` instead of the paper's Fig. 3 stem.

Every other convolution has batch norm (eps 1e-3) and ReLU and no bias.
"""
from lucid import nn
from lucid.models._common import factory
from lucid.models.inception import ReductionA, _Branches, _FeaturesAndHead, basic_conv

__all__ = ["InceptionResNetBlock", "InceptionResNetV1", "InceptionResNetV2",
           "inception_resnet_v1", "inception_resnet_v2"]


class InceptionResNetBlock(nn.Module):
    r"""An Inception-ResNet block: concatenated branches, a 1x1 projection, a scaled sum.

    .. math:: y = \phi\bigl(x + s \cdot (W [B_1(x), \dots, B_k(x)] + b)\bigr)

    with :math:`\phi` ReLU (or the identity when ``relu=False``, the last block of v2)
    and :math:`W` a 1x1 convolution with bias back to the input width.

    Shapes: input ``(N, C, H, W)``; output the same.

    Backward: through the branches, the projection and the residual sum (the branch
    gradient is scaled by :math:`s`).

    Parameters
    ----------
    branches : list of Module
        Each maps ``(N, C, H, W)`` to ``(N, c_i, H, W)``.
    branch_channels : int
        :math:`\sum_i c_i`.
    channels : int
        :math:`C`.
    scale : float
        :math:`s`.
    relu : bool, default True

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> from lucid.models import InceptionResNetBlock
    >>> block = InceptionResNetBlock([nn.Conv2d(8, 4, 1), nn.Conv2d(8, 4, 3, padding=1)],
    ...                              8, 8, scale=0.1)
    >>> block(lucid.random.randn(1, 8, 5, 5)).shape
    (1, 8, 5, 5)
    """

    def __init__(self, branches, branch_channels, channels, scale, relu=True):
        super().__init__()
        self.branches = _Branches()
        for i, branch in enumerate(branches):
            self.branches.add_module(f"branch{i}", branch)
        self.conv = nn.Conv2d(branch_channels, channels, 1)
        self.scale = float(scale)
        self.relu = nn.ReLU() if relu else None

    def forward(self, x):
        """``phi(x + scale * conv(branches(x)))``."""
        out = x + self.conv(self.branches(x)) * self.scale
        return self.relu(out) if self.relu is not None else out


def _seq(*layers):
    return nn.Sequential(*layers)


def _block_a(c, widths, scale):
    """Inception-ResNet-A: 1x1; 1x1-3x3; 1x1-3x3-3x3 (``widths`` of the three paths)."""
    (a,), (b1, b2), (c1, c2, c3) = widths
    return InceptionResNetBlock(
        [basic_conv(c, a, 1), _seq(basic_conv(c, b1, 1), basic_conv(b1, b2, 3, padding=1)),
         _seq(basic_conv(c, c1, 1), basic_conv(c1, c2, 3, padding=1),
              basic_conv(c2, c3, 3, padding=1))], a + b2 + c3, c, scale)


def _block_b(c, a, b1, b2, b3, scale):
    """Inception-ResNet-B: 1x1; 1x1-1x7-7x1."""
    return InceptionResNetBlock(
        [basic_conv(c, a, 1), _seq(basic_conv(c, b1, 1),
                                   basic_conv(b1, b2, (1, 7), padding=(0, 3)),
                                   basic_conv(b2, b3, (7, 1), padding=(3, 0)))],
        a + b3, c, scale)


def _block_c(c, a, b1, b2, b3, scale, relu=True):
    """Inception-ResNet-C: 1x1; 1x1-1x3-3x1."""
    return InceptionResNetBlock(
        [basic_conv(c, a, 1), _seq(basic_conv(c, b1, 1),
                                   basic_conv(b1, b2, (1, 3), padding=(0, 1)),
                                   basic_conv(b2, b3, (3, 1), padding=(1, 0)))],
        a + b3, c, scale, relu)


class _ReductionB(_Branches):
    """Reduction-B (Figs. 12 and 18): 3x3/2 max pooling and three strided branches."""

    def __init__(self, c, widths):
        super().__init__()
        (a1, a2), (b1, b2), (c1, c2, c3) = widths
        self.branch0 = _seq(basic_conv(c, a1, 1), basic_conv(a1, a2, 3, 2))
        self.branch1 = _seq(basic_conv(c, b1, 1), basic_conv(b1, b2, 3, 2))
        self.branch2 = _seq(basic_conv(c, c1, 1), basic_conv(c1, c2, 3, padding=1),
                            basic_conv(c2, c3, 3, 2))
        self.branch3 = nn.MaxPool2d(3, 2)


class InceptionResNetV1(_FeaturesAndHead):
    r"""Inception-ResNet-v1 (the paper's Fig. 15).

    .. math:: y = W\,\mathrm{dropout}(\mathrm{vec}(\mathrm{avgpool}(
              \mathrm{C}^5(\mathrm{RB}(\mathrm{B}^{10}(\mathrm{RA}(\mathrm{A}^5(
              \mathrm{stem}(x))))))))) + b

    Shapes: input ``(N, in_channels, H, W)`` with ``H, W >= 75`` (299 in the paper);
    output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    num_classes : int, default 1000
    dropout : float, default 0.2
        The paper keeps 0.8 of the features.
    in_channels : int, default 3
    repeats : tuple of 3 ints, default (5, 10, 5)
        Blocks A, B and C.

    Examples
    --------
    >>> from lucid import nn
    >>> from lucid.models import InceptionResNetV1
    >>> with nn.shape_only():
    ...     net = InceptionResNetV1(num_classes=10)
    >>> len(net.features)
    29
    """

    def __init__(self, num_classes=1000, dropout=0.2, in_channels=3, repeats=(5, 10, 5)):
        super().__init__()
        a, b, c = repeats
        stem = [basic_conv(in_channels, 32, 3, 2), basic_conv(32, 32, 3),
                basic_conv(32, 64, 3, padding=1), nn.MaxPool2d(3, 2), basic_conv(64, 80, 1),
                basic_conv(80, 192, 3), basic_conv(192, 256, 3, 2)]
        self.features = nn.Sequential(
            *stem, *[_block_a(256, ((32,), (32, 32), (32, 32, 32)), 0.17) for _ in range(a)],
            ReductionA(256, 192, 192, 256, 384),
            *[_block_b(896, 128, 128, 128, 128, 0.10) for _ in range(b)],
            _ReductionB(896, ((256, 384), (256, 256), (256, 256, 256))),
            *[_block_c(1792, 192, 192, 192, 192, 0.20) for _ in range(c)])
        self._head(1792, num_classes, dropout)


class _Mixed5b(_Branches):
    def __init__(self):
        super().__init__()
        self.branch0 = basic_conv(192, 96, 1)
        self.branch1 = _seq(basic_conv(192, 48, 1), basic_conv(48, 64, 5, padding=2))
        self.branch2 = _seq(basic_conv(192, 64, 1), basic_conv(64, 96, 3, padding=1),
                            basic_conv(96, 96, 3, padding=1))
        self.branch3 = _seq(nn.AvgPool2d(3, 1, 1, count_include_pad=False),
                            basic_conv(192, 64, 1))


class InceptionResNetV2(_FeaturesAndHead):
    r"""Inception-ResNet-v2 (the paper's Fig. 16, as its released code builds it).

    .. math:: y = W\,\mathrm{dropout}(\mathrm{vec}(\mathrm{avgpool}(
              \mathrm{conv}_{1\times1}(\mathrm{C}^{10}(\mathrm{RB}(\mathrm{B}^{20}(
              \mathrm{RA}(\mathrm{A}^{10}(\mathrm{stem}(x)))))))))) + b

    Shapes: input ``(N, in_channels, H, W)`` with ``H, W >= 75`` (299 in the paper);
    output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    num_classes : int, default 1000
    dropout : float, default 0.2
    in_channels : int, default 3
    repeats : tuple of 3 ints, default (10, 20, 10)
        Blocks A, B and C (the last C block, without ReLU, included).

    Examples
    --------
    >>> from lucid import nn
    >>> from lucid.models import InceptionResNetV2
    >>> with nn.shape_only():
    ...     net = InceptionResNetV2()
    >>> net.count_parameters()
    55843464
    """

    def __init__(self, num_classes=1000, dropout=0.2, in_channels=3, repeats=(10, 20, 10)):
        super().__init__()
        a, b, c = repeats
        stem = [basic_conv(in_channels, 32, 3, 2), basic_conv(32, 32, 3),
                basic_conv(32, 64, 3, padding=1), nn.MaxPool2d(3, 2), basic_conv(64, 80, 1),
                basic_conv(80, 192, 3), nn.MaxPool2d(3, 2), _Mixed5b()]
        self.features = nn.Sequential(
            *stem, *[_block_a(320, ((32,), (32, 32), (32, 48, 64)), 0.17) for _ in range(a)],
            ReductionA(320, 256, 256, 384, 384),
            *[_block_b(1088, 192, 128, 160, 192, 0.10) for _ in range(b)],
            _ReductionB(1088, ((256, 384), (256, 288), (256, 288, 320))),
            *[_block_c(2080, 192, 192, 224, 256, 0.20) for _ in range(c - 1)],
            _block_c(2080, 192, 192, 224, 256, 1.0, relu=False),
            basic_conv(2080, 1536, 1))
        self._head(1536, num_classes, dropout)


inception_resnet_v1 = factory(__name__, "inception_resnet_v1", "Inception-ResNet-v1.",
                              lambda n, kw: InceptionResNetV1(num_classes=n, **kw),
                              "~lucid.models.InceptionResNetV1",
                              hint="``dropout``, ``in_channels``, ``repeats``")
inception_resnet_v2 = factory(__name__, "inception_resnet_v2", "Inception-ResNet-v2.",
                              lambda n, kw: InceptionResNetV2(num_classes=n, **kw),
                              "~lucid.models.InceptionResNetV2",
                              hint="``dropout``, ``in_channels``, ``repeats``")
