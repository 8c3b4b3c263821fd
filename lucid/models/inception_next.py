r"""InceptionNeXt (Yu, Zhou, Yan and Wang, 2024): ConvNeXt with an Inception token mixer.

"InceptionNeXt: when Inception meets ConvNeXt", CVPR 2024. ConvNeXt's 7x7 depthwise
convolution is slow for its accuracy; InceptionNeXt splits the channels into four
groups and filters three of them with cheaper depthwise kernels in parallel
(:class:`InceptionDWConv2d`): a small square 3x3, a 1 x 11 band and an 11 x 1 band,
leaving the rest untouched. Each block is that mixer, batch norm, a two-layer MLP
(1x1 convolutions, GELU) and a layer scale on a residual path (the *MetaNeXt* block):

.. math:: y = x + \mathrm{DropPath}\bigl(\gamma \odot \mathrm{MLP}(\mathrm{BN}(
          \mathrm{InceptionDW}(x)))\bigr)

=========  ==================  =======================  ===================
model      depths              widths                   band / group share
=========  ==================  =======================  ===================
Atto       2, 2, 6, 2          40, 80, 160, 320         9 / 1/4
Tiny       3, 3, 9, 3          96, 192, 384, 768        11 / 1/8
Small      3, 3, 27, 3         96, 192, 384, 768        11 / 1/8
Base       3, 3, 27, 3         128, 256, 512, 1024      11 / 1/8
=========  ==================  =======================  ===================

The stem is a 4x4/4 convolution with batch norm; stages 2-4 start with batch norm and a
2x2/2 convolution; the MLP ratio is 4 (3 in the last stage); the head is global
pooling, Linear to :math:`3C`, GELU, layer norm and the classifier. Built as the
authors' released code (in timm); weights start :math:`\mathcal N(0, 0.02^2)`.
"""
from lucid import concatenate, flatten, nn, ops
from lucid.models._common import factory, init_normal

__all__ = ["InceptionDWConv2d", "InceptionNeXtBlock", "InceptionNeXt", "inception_next_atto",
           "inception_next_tiny", "inception_next_small", "inception_next_base"]


class InceptionDWConv2d(nn.Module):
    r"""Inception depthwise convolution: four channel groups, three filtered in parallel.

    .. math:: y = [\,x_{id},\ K_{s \times s} \circledast x_{hw},\ K_{1 \times b}
              \circledast x_w,\ K_{b \times 1} \circledast x_h\,]

    The input's channels are split into :math:`C - 3g`, :math:`g`, :math:`g`, :math:`g`
    with :math:`g = \lfloor rC \rfloor`; the three :math:`K` are depthwise convolutions
    (with bias, "same" padding) and the first group passes unchanged.

    Shapes: input ``(N, C, H, W)``; output the same.

    Backward: each group's gradient goes to its branch (the identity group's through
    unchanged).

    Parameters
    ----------
    channels : int
    square_kernel : int, default 3
    band_kernel : int, default 11
    branch_ratio : float, default 0.125
        :math:`r`.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import InceptionDWConv2d
    >>> mixer = InceptionDWConv2d(16, band_kernel=5, branch_ratio=0.25)
    >>> mixer.split, mixer(lucid.random.randn(1, 16, 6, 6)).shape
    ((4, 4, 4, 4), (1, 16, 6, 6))
    """

    def __init__(self, channels, square_kernel=3, band_kernel=11, branch_ratio=0.125):
        super().__init__()
        g = int(channels * branch_ratio)
        self.split = (channels - 3 * g, g, g, g)
        self.dwconv_hw = nn.Conv2d(g, g, square_kernel, padding=square_kernel // 2, groups=g)
        self.dwconv_w = nn.Conv2d(g, g, (1, band_kernel), padding=(0, band_kernel // 2),
                                  groups=g)
        self.dwconv_h = nn.Conv2d(g, g, (band_kernel, 1), padding=(band_kernel // 2, 0),
                                  groups=g)

    def forward(self, x):
        """The concatenated groups."""
        a, b, c, _ = self.split
        x_id, x_hw = x[:, :a], x[:, a:a + b]
        x_w, x_h = x[:, a + b:a + 2 * b], x[:, a + 2 * b:]
        return concatenate([x_id, self.dwconv_hw(x_hw), self.dwconv_w(x_w),
                            self.dwconv_h(x_h)], axis=1)


class InceptionNeXtBlock(nn.Module):
    r"""The MetaNeXt block with an Inception token mixer.

    .. math:: y = x + \mathrm{DropPath}(\gamma \odot W_2 * \mathrm{GELU}(W_1 *
              \mathrm{BN}(\mathrm{InceptionDW}(x)) + b_1) + b_2)

    Shapes: input ``(N, dim, H, W)``; output the same.

    Backward: through its layers and the residual sum.

    Parameters
    ----------
    dim : int
    mlp_ratio : float, default 4
    band_kernel : int, default 11
    branch_ratio : float, default 0.125
    layer_scale : float, default 1e-6
    drop_path : float, default 0

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import InceptionNeXtBlock
    >>> InceptionNeXtBlock(16)(lucid.random.randn(2, 16, 5, 5)).shape
    (2, 16, 5, 5)
    """

    def __init__(self, dim, mlp_ratio=4, band_kernel=11, branch_ratio=0.125, layer_scale=1e-6,
                 drop_path=0.0):
        super().__init__()
        # the layer scale first: the parameter order of the released code
        self.layer_scale = nn.LayerScale(dim, layer_scale)
        self.token_mixer = InceptionDWConv2d(dim, band_kernel=band_kernel,
                                             branch_ratio=branch_ratio)
        self.norm = nn.BatchNorm2d(dim)
        hidden = int(mlp_ratio * dim)
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, dim, 1)
        self.drop_path = nn.DropPath(drop_path)

    def forward(self, x):
        """``x + drop_path(gamma * MLP(BN(mixer(x))))``."""
        out = self.fc2(self.act(self.fc1(self.norm(self.token_mixer(x)))))
        return x + self.drop_path(self.layer_scale(out))


class InceptionNeXt(nn.Module):
    r"""InceptionNeXt: a 4x4/4 stem, four stages of MetaNeXt blocks, an MLP head.

    .. math:: y = W_2\,\mathrm{LN}(\mathrm{GELU}(W_1\,\mathrm{avgpool}(
              \mathrm{stages}(\mathrm{stem}(x))) + b_1)) + b_2

    See :mod:`lucid.models.inception_next` for the sizes.

    Shapes: input ``(N, in_channels, H, W)``, ``H, W`` multiples of 32 (224 in the
    paper); output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    depths, dims : sequences of 4 ints
    num_classes : int, default 1000
    band_kernel : int, default 11
    branch_ratio : float, default 0.125
    mlp_ratios : sequence of 4 floats, default (4, 4, 4, 3)
    head_ratio : float, default 3
    dropout : float, default 0
        Before the classifier.
    drop_path : float, default 0
    in_channels : int, default 3

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import InceptionNeXt
    >>> tiny = InceptionNeXt([1, 1, 1, 1], [16, 32, 48, 64], num_classes=10).eval()
    >>> tiny(lucid.random.randn(1, 3, 32, 32)).shape
    (1, 10)
    """

    def __init__(self, depths, dims, num_classes=1000, band_kernel=11, branch_ratio=0.125,
                 mlp_ratios=(4, 4, 4, 3), head_ratio=3, dropout=0.0, drop_path=0.0,
                 in_channels=3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, dims[0], 4, stride=4),
                                  nn.BatchNorm2d(dims[0]))
        total, index, stages = sum(depths), 0, []
        for i, (depth, dim) in enumerate(zip(depths, dims)):
            layers = [] if i == 0 else [nn.Sequential(nn.BatchNorm2d(dims[i - 1]),
                                                      nn.Conv2d(dims[i - 1], dim, 2, stride=2))]
            for _ in range(depth):
                rate = drop_path * index / max(total - 1, 1)
                layers.append(InceptionNeXtBlock(dim, mlp_ratios[i], band_kernel, branch_ratio,
                                                 drop_path=rate))
                index += 1
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        hidden = int(head_ratio * dims[-1])
        self.head_fc = nn.Linear(dims[-1], hidden)
        self.head_act = nn.GELU()
        self.head_norm = nn.LayerNorm(hidden, eps=1e-6)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden, num_classes)
        init_normal(self, 0.02)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, C, H, W)``."""
        x = flatten(self.avgpool(self.stages(self.stem(x))), 1)
        return self.fc(self.dropout(self.head_norm(self.head_act(self.head_fc(x)))))


def _factory(name, title, depths, dims, band_kernel, branch_ratio):
    return factory(__name__, name, f"InceptionNeXt-{title}: depths {tuple(depths)}, widths "
                   f"{tuple(dims)}.",
                   lambda num_classes, kwargs: InceptionNeXt(
                       depths, dims, num_classes=num_classes,
                       **{"band_kernel": band_kernel, "branch_ratio": branch_ratio, **kwargs}),
                   "~lucid.models.InceptionNeXt", hint="``drop_path``, ``dropout``...")


inception_next_atto = _factory("inception_next_atto", "A", [2, 2, 6, 2], [40, 80, 160, 320],
                               9, 0.25)
inception_next_tiny = _factory("inception_next_tiny", "T", [3, 3, 9, 3], [96, 192, 384, 768],
                               11, 0.125)
inception_next_small = _factory("inception_next_small", "S", [3, 3, 27, 3],
                                [96, 192, 384, 768], 11, 0.125)
inception_next_base = _factory("inception_next_base", "B", [3, 3, 27, 3],
                               [128, 256, 512, 1024], 11, 0.125)
