r"""CoAtNet (Dai et al., 2021): convolution in the early stages, relative attention in
the late ones.

"CoAtNet: Marrying Convolution and Attention for All Data Sizes", NeurIPS 2021.

Depthwise convolution and self-attention both sum values weighted over positions: the
convolution with a static kernel of the *offset* (translation equivariant, local), the
attention with weights from the *content* (global). CoAtNet's relative attention adds
the two before the softmax,

.. math::

    y_i = \sum_j \frac{\exp(x_i^T x_j + w_{i-j})}{\sum_k \exp(x_i^T x_k + w_{i-k})}\, x_j,

(:class:`~lucid.nn.RelativeAttention`: global attention over the whole map with a bias
learnt per relative offset), and stacks it after convolutional stages, where maps are
still too large for global attention (the C-C-T-T layout). Five stages follow each
other, each at half the resolution of the one before:

=========  ==========  ==========================================================
stage      resolution  blocks
=========  ==========  ==========================================================
S0         H/2         stem: Conv 3x3 stride 2, BN, GELU, Conv 3x3 (:math:`D_0`)
S1         H/4         :math:`L_1` MBConv blocks at width :math:`D_1`
S2         H/8         :math:`L_2` MBConv blocks at width :math:`D_2`
S3         H/16        :math:`L_3` Transformer blocks at width :math:`D_3`
S4         H/32        :math:`L_4` Transformer blocks at width :math:`D_4`
head       1           mean over the positions, LayerNorm, Linear(:math:`D_4, D_4`),
                       tanh, Linear(:math:`D_4`, classes)
=========  ==========  ==========================================================

Every block is pre-norm with a residual; the first block of a stage halves the
resolution on both paths (:math:`x \leftarrow \mathrm{Proj}(\mathrm{Pool}(x)) +
F(\mathrm{Norm}(x))`, Pool a 2 x 2 average and Proj a 1 x 1 convolution), the others
keep it (:math:`x \leftarrow x + F(\mathrm{Norm}(x))`):

* MBConv (:class:`CoAtNetMBConv`): :math:`F` = the inverted bottleneck of
  :class:`~lucid.nn.MBConv` (1 x 1 expansion to :math:`4D`, 3 x 3 depthwise with the
  stride, squeeze-excitation to :math:`D/4`, GELU, SiLU in the SE) whose 1 x 1
  projection has a bias and no norm; Norm = BatchNorm;
* Transformer (:class:`CoAtNetTransformer`): :math:`F` = relative attention (heads of
  32 channels) over the pooled map, then :math:`x \leftarrow x + \mathrm{MLP}(
  \mathrm{LN}(x))` (:math:`D \to 4D \to D`, GELU); Norm = LayerNorm.

The paper's configurations (its Table 3, :math:`L` = blocks, :math:`D` = widths, both
from S0 on; the stem's :math:`L_0 = 2` are its two convolutions):

=============  ==========================  ===============================  =========
name           L                           D                                head size
=============  ==========================  ===============================  =========
``coatnet_0``  2, 2, 3, 5, 2               64, 96, 192, 384, 768            32
``coatnet_1``  2, 2, 6, 14, 2              64, 96, 192, 384, 768            32
``coatnet_2``  2, 2, 6, 14, 2              128, 128, 256, 512, 1024         32
``coatnet_3``  2, 2, 6, 14, 2              192, 192, 384, 768, 1536         32
``coatnet_4``  2, 2, 12, 28, 2             192, 192, 384, 768, 1536         32
``coatnet_5``  2, 2, 12, 28, 2             192, 256, 512, 1280, 2048        64
``coatnet_6``  2, 2, 4, 8, 42, 2           192, 192, 384, 768, 1536, 2048   128
``coatnet_7``  2, 2, 4, 8, 42, 2           192, 256, 512, 1024, 2048, 3072  128
=============  ==========================  ===============================  =========

CoAtNet-6 and -7 split S3 in two at the same resolution: :math:`L_3` MBConv blocks at
:math:`D_3`, then 42 Transformer blocks at :math:`D_{3'}` (the first of them widens the
channels without pooling). Images are 224 x 224 by default (``img_size``: any multiple
of 32; the attention's bias table is sized for the map of that resolution).
"""
import numpy as np

from lucid import nn
from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.models._common import factory
from lucid.nn.modules.attention import _positive_int

__all__ = ["CoAtNetMBConv", "CoAtNetTransformer", "CoAtNet",
           "coatnet_0", "coatnet_1", "coatnet_2", "coatnet_3", "coatnet_4", "coatnet_5",
           "coatnet_6", "coatnet_7"]


def _shortcut(in_channels, out_channels, stride):
    """The residual path: 2 x 2 average pooling when the block halves the map, then a
    1 x 1 convolution (with bias) when it changes the width; else the identity."""
    layers = []
    if stride == 2:
        layers.append(nn.AvgPool2d(2, 2))
    if in_channels != out_channels:
        layers.append(nn.Conv2d(in_channels, out_channels, 1))
    return nn.Sequential(*layers) if layers else nn.Identity()


def _stride(name, stride):
    if stride not in (1, 2):
        raise ValueError(f"{name}: stride must be 1 or 2; got {stride!r}")
    return stride


class CoAtNetMBConv(nn.MBConv):
    r"""CoAtNet's pre-norm MBConv block: :class:`~lucid.nn.MBConv` with ``pre_norm=True``,
    set up as the paper's.

    .. math::

        \mathrm{out} = \mathrm{S}(x) + \mathrm{DP}\big(W_{proj} * \mathrm{SE}(
        \phi(\mathrm{BN}(W_{dw} \circledast \phi(\mathrm{BN}(W_{exp} *
        \mathrm{BN}(x))))))+ b_{proj}\big)

    with :math:`W_{exp}` a 1 x 1 convolution to :math:`tD_{out}` channels,
    :math:`W_{dw}` the 3 x 3 depthwise convolution (with the stride), SE a
    squeeze-excitation to ``se_ratio`` :math:`D_{out}` channels (SiLU, sigmoid gate),
    :math:`\phi` = GELU, the projection a 1 x 1 convolution with bias to
    :math:`D_{out}`, DP stochastic depth, and S the shortcut (2 x 2 average pooling
    when ``stride`` is 2, a 1 x 1 convolution when the width changes). MaxViT's MBConv
    is the same block (:class:`~lucid.models.MaxViTBlock`).

    Shapes: input ``(N, in_channels, H, W)``; output ``(N, out_channels, H / stride,
    W / stride)`` (even ``H``, ``W`` when ``stride`` is 2).

    Backward: the sum's gradient goes to both paths; each backpropagates through its
    layers.

    Parameters
    ----------
    in_channels, out_channels : int
    stride : {1, 2}, default 1
    expand_ratio : float, default 4
        :math:`t`, relative to ``out_channels``.
    se_ratio : float, default 0.25
    drop_path : float, default 0.0

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import CoAtNetMBConv
    >>> block = CoAtNetMBConv(8, 16, stride=2)
    >>> block(lucid.random.randn(2, 8, 6, 6)).shape
    (2, 16, 3, 3)
    >>> [name for name, _ in block.residual.named_children()]
    ['pre_norm', 'expand', 'depthwise', 'se', 'project']
    """

    def __init__(self, in_channels, out_channels, stride=1, expand_ratio=4, se_ratio=0.25,
                 drop_path=0.0):
        name = "CoAtNetMBConv"
        _positive_int(name, "in_channels", in_channels)
        _positive_int(name, "out_channels", out_channels)
        super().__init__(in_channels, out_channels, 3, _stride(name, stride),
                         expanded_channels=int(round(out_channels * expand_ratio)),
                         se_channels=max(1, int(out_channels * se_ratio)),
                         activation=nn.GELU, se_activation=nn.SiLU, drop_path=drop_path,
                         pre_norm=True)
        self.stride = stride


class CoAtNetTransformer(nn.Module):
    r"""CoAtNet's Transformer block: relative attention and an MLP, pre-norm.

    .. math::

        x' = \mathrm{S}(x) + \mathrm{DP}\big(\mathrm{RelAttn}(\mathrm{Pool}(
        \mathrm{LN}_1 x))\big),\qquad
        \mathrm{out} = x' + \mathrm{DP}\big(\mathrm{MLP}(\mathrm{LN}_2 x')\big)

    with RelAttn a :class:`~lucid.nn.RelativeAttention` over the whole map (from
    ``in_channels`` to ``out_channels``), Pool a 2 x 2 average when ``stride`` is 2 (the
    identity otherwise), MLP = Linear(:math:`D, rD`), GELU, Linear(:math:`rD, D`), S
    the shortcut (pooling, then a 1 x 1 convolution when the width changes) and DP
    stochastic depth. The layer norms have :math:`\epsilon = 10^{-6}`.

    Shapes: input ``(N, in_channels, H, W)``; output ``(N, out_channels, H / stride,
    W / stride)``; ``size`` is the output's :math:`(H / stride, W / stride)`.

    Backward: each residual adds the branch's gradient to the shortcut's; the branches
    backpropagate through the norms, the pooling, the attention and the MLP.

    Parameters
    ----------
    in_channels, out_channels : int
    size : int or (int, int)
        The map size the attention runs at (after the stride).
    stride : {1, 2}, default 1
    head_dim : int, default 32
        Channels per head (``num_heads`` overrides).
    num_heads : int, optional
    mlp_ratio : float, default 4
    attn_drop, drop, drop_path : float, default 0.0

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import CoAtNetTransformer
    >>> block = CoAtNetTransformer(8, 16, size=2, stride=2, head_dim=8)
    >>> block(lucid.random.randn(2, 8, 4, 4)).shape
    (2, 16, 2, 2)
    >>> block.attn.num_heads, block.attn.relative_position_bias_table.shape
    (2, (9, 2))
    """

    def __init__(self, in_channels, out_channels, size, stride=1, head_dim=32, num_heads=None,
                 mlp_ratio=4.0, attn_drop=0.0, drop=0.0, drop_path=0.0):
        super().__init__()
        name = "CoAtNetTransformer"
        _positive_int(name, "in_channels", in_channels)
        _positive_int(name, "out_channels", out_channels)
        self.stride = _stride(name, stride)
        if num_heads is None:
            _positive_int(name, "head_dim", head_dim)
            if out_channels % head_dim:
                raise ValueError(f"{name}: head_dim ({head_dim}) must divide out_channels "
                                 f"({out_channels})")
            num_heads = out_channels // head_dim
        self.shortcut = _shortcut(in_channels, out_channels, stride)
        self.norm1 = nn.LayerNorm2d(in_channels, eps=1e-6)
        self.pool = nn.AvgPool2d(2, 2) if stride == 2 else nn.Identity()
        self.attn = nn.RelativeAttention(in_channels, out_channels, num_heads, size,
                                         attn_drop=attn_drop, proj_drop=drop)
        self.drop_path = nn.DropPath(drop_path)
        self.norm2 = nn.LayerNorm(out_channels, eps=1e-6)
        hidden = int(out_channels * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(out_channels, hidden), nn.GELU(), nn.Dropout(drop),
                                 nn.Linear(hidden, out_channels), nn.Dropout(drop))

    def forward(self, x):
        """The attention residual, then the MLP residual (channels last inside)."""
        y = self.attn(rearrange(self.pool(self.norm1(x)), "n c h w -> n h w c"))
        x = rearrange(self.shortcut(x), "n c h w -> n h w c") + self.drop_path(y)
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return rearrange(x, "n h w c -> n c h w")


class CoAtNet(nn.Module):
    r"""CoAtNet: a convolutional stem, MBConv stages, then relative-attention stages.

    See :mod:`lucid.models.coatnet` for the architecture and the registered
    configurations.

    Shapes: input ``(N, in_channels, H, W)`` with :math:`(H, W)` = ``img_size``;
    output ``(N, num_classes)``.

    Parameters
    ----------
    img_size : int or (int, int), default 224
        Multiples of 32 (the bias tables of the attention are sized for it).
    in_channels : int, default 3
    num_blocks : sequence of int, default (2, 2, 3, 5, 2)
        :math:`L`: the stem's convolutions (2), then the blocks of each stage.
    channels : sequence of int, default (64, 96, 192, 384, 768)
        :math:`D`: the stem's width, then each stage's (as long as ``num_blocks``).
    num_classes : int, default 1000
    num_heads : int, optional
        Heads of every attention (must divide each Transformer stage's width); by default
        each has ``channels / head_dim``.
    block_types : sequence of {'C', 'T'}, default ('C', 'C', 'T', 'T')
        Each stage's block: MBConv or Transformer.
    head_dim : int, default 32
    strides : sequence of {1, 2}, optional
        Each stage's stride (default 2 each).
    mlp_ratio, expand_ratio, se_ratio : float, default 4, 4, 0.25
    drop_rate : float, default 0.0
        Dropout in the Transformer blocks and before the classifier.
    drop_path_rate : float, default 0.0
        Stochastic depth, rising linearly from 0 to this rate over the blocks.

    Raises
    ------
    TypeError, ValueError
        Bad sizes or settings; in ``forward``, an input of another shape.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import CoAtNet
    >>> net = CoAtNet(img_size=32, num_blocks=(2, 1, 1, 1, 1), channels=(8, 8, 16, 16, 32),
    ...               head_dim=8, num_classes=5)
    >>> net(lucid.random.randn(2, 3, 32, 32)).shape
    (2, 5)
    >>> [type(stage[0]).__name__ for stage in net.stages]
    ['CoAtNetMBConv', 'CoAtNetMBConv', 'CoAtNetTransformer', 'CoAtNetTransformer']
    """

    def __init__(self, img_size=224, in_channels=3, num_blocks=(2, 2, 3, 5, 2),
                 channels=(64, 96, 192, 384, 768), num_classes=1000, num_heads=None,
                 block_types=("C", "C", "T", "T"), head_dim=32, strides=None, mlp_ratio=4.0,
                 expand_ratio=4.0, se_ratio=0.25, drop_rate=0.0, drop_path_rate=0.0):
        super().__init__()
        name = "CoAtNet"
        size = tuple(img_size) if isinstance(img_size, (tuple, list)) else (img_size, img_size)
        if len(size) != 2:
            raise ValueError(f"{name}: img_size must be an int or a pair; got {img_size!r}")
        for arg, value in (("img_size", size[0]), ("img_size", size[1]),
                           ("in_channels", in_channels), ("num_classes", num_classes)):
            _positive_int(name, arg, value)
        num_blocks, channels = tuple(num_blocks), tuple(channels)
        block_types = tuple(block_types)
        strides = (2,) * len(block_types) if strides is None else tuple(strides)
        if not (len(num_blocks) == len(channels) == len(block_types) + 1 == len(strides) + 1):
            raise ValueError(f"{name}: num_blocks and channels need one entry per stage and "
                             f"one for the stem, block_types and strides one per stage; got "
                             f"{num_blocks}, {channels}, {block_types}, {strides}")
        for arg, values in (("num_blocks", num_blocks), ("channels", channels)):
            for v in values:
                _positive_int(name, arg, v)
        if num_blocks[0] != 2:
            raise ValueError(f"{name}: the stem has 2 convolutions (num_blocks[0]); "
                             f"got {num_blocks[0]}")
        if any(t not in ("C", "T") for t in block_types):
            raise ValueError(f"{name}: block_types must be 'C' or 'T'; got {block_types}")
        scale = 2 * int(np.prod(strides))
        if size[0] % scale or size[1] % scale:
            raise ValueError(f"{name}: img_size must be a multiple of {scale}; got {img_size!r}")
        self.img_size, self.in_channels = size, in_channels

        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, channels[0], 3, 2, 1, bias=False),
            nn.BatchNorm2d(channels[0]), nn.GELU(),
            nn.Conv2d(channels[0], channels[0], 3, 1, 1, bias=False))
        rates = np.linspace(0, drop_path_rate, sum(num_blocks[1:])).tolist()
        h, w, dim, stages = size[0] // 2, size[1] // 2, channels[0], []
        for kind, depth, width, stride in zip(block_types, num_blocks[1:], channels[1:],
                                              strides):
            h, w = h // stride, w // stride
            blocks = []
            for j in range(depth):
                s, rate = (stride if j == 0 else 1), rates.pop(0)
                if kind == "C":
                    blocks.append(CoAtNetMBConv(dim, width, s, expand_ratio, se_ratio, rate))
                else:
                    blocks.append(CoAtNetTransformer(dim, width, (h, w), s, head_dim, num_heads,
                                                     mlp_ratio, 0.0, drop_rate, rate))
                dim = width
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pre_logits = nn.Sequential(nn.Linear(dim, dim), nn.Tanh())
        self.dropout = nn.Dropout(drop_rate)
        self.fc = nn.Linear(dim, num_classes)
        self.num_features = dim

    def forward(self, x):
        """Logits of images ``x`` ``(N, in_channels, H, W)``."""
        if not isinstance(x, Tensor):
            raise TypeError(f"CoAtNet: input must be a Tensor; got {type(x).__name__}")
        expected = (self.in_channels, *self.img_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"CoAtNet: expected input of shape (N, {expected[0]}, "
                             f"{expected[1]}, {expected[2]}); got {x.shape}")
        x = self.stages(self.stem(x)).mean(axis=(2, 3))
        return self.fc(self.dropout(self.pre_logits(self.norm(x))))


_CONFIGS = {
    "coatnet_0": ("CoAtNet-0", (2, 2, 3, 5, 2), (64, 96, 192, 384, 768), 32),
    "coatnet_1": ("CoAtNet-1", (2, 2, 6, 14, 2), (64, 96, 192, 384, 768), 32),
    "coatnet_2": ("CoAtNet-2", (2, 2, 6, 14, 2), (128, 128, 256, 512, 1024), 32),
    "coatnet_3": ("CoAtNet-3", (2, 2, 6, 14, 2), (192, 192, 384, 768, 1536), 32),
    "coatnet_4": ("CoAtNet-4", (2, 2, 12, 28, 2), (192, 192, 384, 768, 1536), 32),
    "coatnet_5": ("CoAtNet-5", (2, 2, 12, 28, 2), (192, 256, 512, 1280, 2048), 64),
    "coatnet_6": ("CoAtNet-6", (2, 2, 4, 8, 42, 2), (192, 192, 384, 768, 1536, 2048), 128),
    "coatnet_7": ("CoAtNet-7", (2, 2, 4, 8, 42, 2), (192, 256, 512, 1024, 2048, 3072), 128),
}
# CoAtNet-6/7: S3 split into MBConv blocks, then Transformer blocks at the same resolution
_SPLIT_S3 = dict(block_types=("C", "C", "C", "T", "T"), strides=(2, 2, 2, 1, 2))


def _factory(name):
    title, blocks, widths, head_dim = _CONFIGS[name]
    config = dict(num_blocks=blocks, channels=widths, head_dim=head_dim,
                  **(_SPLIT_S3 if len(blocks) == 6 else {}))
    return factory(__name__, name, f"{title}: L {blocks}, D {widths}, heads of {head_dim} "
                   f"channels.",
                   lambda num_classes, kwargs: CoAtNet(**{**config, **kwargs},
                                                       num_classes=num_classes),
                   "~lucid.models.CoAtNet",
                   hint="``img_size``, ``num_heads``, ``drop_path_rate``...")


coatnet_0 = _factory("coatnet_0")
coatnet_1 = _factory("coatnet_1")
coatnet_2 = _factory("coatnet_2")
coatnet_3 = _factory("coatnet_3")
coatnet_4 = _factory("coatnet_4")
coatnet_5 = _factory("coatnet_5")
coatnet_6 = _factory("coatnet_6")
coatnet_7 = _factory("coatnet_7")
