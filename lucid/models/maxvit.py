r"""MaxViT (Tu et al., 2022): a hierarchical network whose every block mixes locally with a
convolution, then attends within local windows, then along a sparse global grid.

"MaxViT: Multi-Axis Vision Transformer", ECCV 2022.

A stem of two 3 x 3 convolutions (the first of stride 2) feeds four stages, each at half
the resolution of the one before (the first block of a stage has stride 2). Every block
of every stage is the same sequence of three residual layers:

.. math::

    x &\leftarrow \mathrm{MBConv}(x)
        \qquad \text{(pre-norm, expansion 4, squeeze-excitation 1/4)}

    x &\leftarrow x + \mathrm{Block\text{-}Attn}(\mathrm{LN}(x)),\quad
    x \leftarrow x + \mathrm{MLP}(\mathrm{LN}(x))

    x &\leftarrow x + \mathrm{Grid\text{-}Attn}(\mathrm{LN}(x)),\quad
    x \leftarrow x + \mathrm{MLP}(\mathrm{LN}(x))

*Block* attention (:class:`~lucid.nn.WindowAttention`, no shift) lets each token attend
to the :math:`P \times P` tokens of its window; *grid* attention
(:class:`~lucid.nn.GridAttention`) to the :math:`G \times G` tokens spread evenly over
the whole map that share its position inside their windows. With :math:`P = G = 7` both
cost :math:`O(HW \cdot 49)`, and two layers give every token a global receptive field.
Heads have 32 channels; the MLPs are :math:`C \to 4C \to C` with GELU. The head
averages the last map, normalises it (LayerNorm) and applies a Linear layer with tanh
(the *pre-logits*) before the classifier.

=========  ==========  ==========================================================
stage      resolution  layers
=========  ==========  ==========================================================
stem       H/2         Conv 3x3 stride 2, BN, GELU, Conv 3x3 (width :math:`C_0`)
1          H/4         MaxViT blocks at width :math:`C_1` (the first of stride 2)
2          H/8         MaxViT blocks at width :math:`C_2`
3          H/16        MaxViT blocks at width :math:`C_3`
4          H/32        MaxViT blocks at width :math:`C_4`
head       1           mean, LayerNorm, Linear(:math:`C_4, C_4`), tanh,
                       Linear(:math:`C_4`, classes)
=========  ==========  ==========================================================

The registered configurations (1000 classes, 224 x 224 images, :math:`P = G = 7`):

=================  =====  ======================  ==============  ===============
name               stem   widths                  depths          parameters
=================  =====  ======================  ==============  ===============
``maxvit_tiny``    64     64, 128, 256, 512       2, 2, 5, 2      30,916,528
``maxvit_small``   64     96, 192, 384, 768       2, 2, 5, 2      68,927,956
``maxvit_base``    64     96, 192, 384, 768       2, 6, 14, 2     119,467,708
``maxvit_large``   128    128, 256, 512, 1024     2, 6, 14, 2     211,785,560
``maxvit_xlarge``  192    192, 384, 768, 1536     2, 6, 14, 2     474,951,952
=================  =====  ======================  ==============  ===============

These are the paper's models (Table 1: 31M, 69M, 120M, 212M, 475M) and equal timm's
``maxvit_*_tf_224`` counts (ported from the authors' checkpoints; timm's X-Large
defaults to 21,843 classes). The original lucid documented fewer (25.1M, 55.8M, 96.6M,
171.2M, 383.7M): its MBConv did not expand, its attention had 32 heads at every width,
and its head had no norm or pre-logits (details below).
"""
import numpy as np

from lucid import nn
from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.models._common import factory, init_normal
from lucid.nn.modules.attention import _positive_int

__all__ = ["MaxViTBlock", "MaxViT",
           "maxvit_tiny", "maxvit_small", "maxvit_base", "maxvit_large", "maxvit_xlarge"]

_BN = dict(bn_eps=1e-3, bn_momentum=0.01)      # the authors' batch norm (TF momentum 0.99)


class _AttentionLayer(nn.Module):
    """``x + DP(attn(LN x))``, then ``x + DP(MLP(LN x))``, channels last."""

    def __init__(self, dim, attn, mlp_ratio, drop, drop_path, activation):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = attn
        self.drop_path = nn.DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), activation(), nn.Dropout(drop),
                                 nn.Linear(hidden, dim), nn.Dropout(drop))

    def forward(self, x):
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class MaxViTBlock(nn.Module):
    r"""One MaxViT block: MBConv, block attention, grid attention (each with its MLP).

    .. math::

        x_1 &= \mathrm{MBConv}(x)

        x_2 &= x_1 + \mathrm{DP}(\mathrm{BlockAttn}(\mathrm{LN}\,x_1)),\quad
        x_3 = x_2 + \mathrm{DP}(\mathrm{MLP}(\mathrm{LN}\,x_2))

        x_4 &= x_3 + \mathrm{DP}(\mathrm{GridAttn}(\mathrm{LN}\,x_3)),\quad
        \mathrm{out} = x_4 + \mathrm{DP}(\mathrm{MLP}(\mathrm{LN}\,x_4))

    MBConv is :class:`~lucid.nn.MBConv` with ``pre_norm=True``: batch norm, a 1x1
    expansion to :math:`tC_{out}` channels, a depthwise 3 x 3 convolution with the
    stride, squeeze-excitation to :math:`C_{out}/4` (SiLU, sigmoid), a 1x1 projection;
    its shortcut is an average pool and a 1x1 convolution when the shape changes.
    BlockAttn is :class:`~lucid.nn.WindowAttention` over :math:`P \times P` windows
    (no shift), GridAttn :class:`~lucid.nn.GridAttention` over a :math:`G \times G`
    grid; MLP = Linear(C, rC), activation, Linear(rC, C); DP stochastic depth.

    Shapes: input ``(N, in_channels, H, W)``; output ``(N, out_channels, H', W')`` with
    :math:`H' = \lceil H / \mathrm{stride} \rceil`, which must be a multiple of
    :math:`P` and :math:`G` (so must :math:`W'`).

    Backward: through the three residual layers in reverse (each adds its branch's
    gradient to the identity's).

    Parameters
    ----------
    in_channels, out_channels : int
    stride : int, default 1
    num_heads : int, optional
        Attention heads; default ``out_channels // head_dim``.
    head_dim : int, default 32
    partition_size : int, default 7
        :math:`P = G`.
    expand_ratio : float, default 4
        :math:`t` (of the output width).
    mlp_ratio : float, default 4.0
        :math:`r`.
    attn_drop, drop, drop_path : float, default 0.0
        Dropout of the attention weights; of the attention and MLP outputs; stochastic
        depth of every residual branch.
    activation : Module class, default GELU

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import MaxViTBlock
    >>> block = MaxViTBlock(8, 16, stride=2, head_dim=8, partition_size=2)
    >>> block(lucid.random.randn(1, 8, 8, 8)).shape
    (1, 16, 4, 4)
    >>> [name for name, _ in block.named_children()]
    ['mbconv', 'block_attn', 'grid_attn']
    """

    def __init__(self, in_channels, out_channels, stride=1, num_heads=None, head_dim=32,
                 partition_size=7, expand_ratio=4, mlp_ratio=4.0, attn_drop=0.0, drop=0.0,
                 drop_path=0.0, activation=nn.GELU):
        super().__init__()
        name = "MaxViTBlock"
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels),
                           ("stride", stride), ("head_dim", head_dim),
                           ("partition_size", partition_size)):
            _positive_int(name, arg, value)
        if num_heads is None:
            if out_channels % head_dim:
                raise ValueError(f"{name}: head_dim ({head_dim}) must divide out_channels "
                                 f"({out_channels})")
            num_heads = out_channels // head_dim
        self.mbconv = nn.MBConv(in_channels, out_channels, 3, stride,
                                expanded_channels=int(out_channels * expand_ratio),
                                se_channels=out_channels // 4, activation=activation,
                                se_activation=nn.SiLU, drop_path=drop_path, pre_norm=True,
                                **_BN)
        layer = dict(mlp_ratio=mlp_ratio, drop=drop, drop_path=drop_path, activation=activation)
        self.block_attn = _AttentionLayer(
            out_channels, nn.WindowAttention(out_channels, num_heads, partition_size,
                                             attn_drop=attn_drop, proj_drop=drop), **layer)
        self.grid_attn = _AttentionLayer(
            out_channels, nn.GridAttention(out_channels, num_heads, partition_size,
                                           attn_drop=attn_drop, proj_drop=drop), **layer)

    def forward(self, x):
        """``(N, C_in, H, W)`` -> ``(N, C_out, H', W')``."""
        x = rearrange(self.mbconv(x), "n c h w -> n h w c")
        x = self.grid_attn(self.block_attn(x))
        return rearrange(x, "n h w c -> n c h w")


class MaxViT(nn.Module):
    r"""MaxViT (see :mod:`lucid.models.maxvit`).

    .. math:: y = W_2\,\tanh\big(W_1\,\mathrm{LN}(\mathrm{mean}_{h,w}\,
              \mathrm{stage}_4 \circ \dots \circ \mathrm{stage}_1 \circ
              \mathrm{stem}(x)) + b_1\big) + b_2

    Weights start as torchvision's ``MaxVit`` starts them: convolution and Linear
    weights from :math:`\mathcal N(0, 0.02^2)` with zero biases, norms at 1 and 0, the
    position-bias tables from :math:`\mathcal N(0, 0.02^2)`.

    Shapes: input ``(N, in_channels, H, W)``, where the map entering each stage
    (:math:`\lceil H/4 \rceil, \lceil H/8 \rceil, \dots`) is a multiple of
    ``grid_window_size`` (224: 56, 28, 14, 7); output ``(N, num_classes)``.

    Backward: through the head, the stages in reverse and the stem.

    Parameters
    ----------
    in_channels : int, default 3
    depths : sequence of int, default (2, 2, 5, 2)
        Blocks per stage.
    channels : sequence of int, default (64, 128, 256, 512)
        Width of each stage.
    num_classes : int, default 1000
    embed_dim : int, default 64
        Width of the stem.
    num_heads : int, optional
        The same number of heads in every stage (the original lucid's meaning); default
        ``channels[i] // head_dim`` (the paper).
    head_dim : int, default 32
    grid_window_size : int, default 7
        :math:`P = G`, the window and the grid of the attention.
    attn_drop, drop : float, default 0.0
    drop_path : float, default 0.0
        Stochastic depth, rising linearly from 0 to this over the blocks.
    mlp_ratio : float, default 4.0
    expand_ratio : float, default 4
        MBConv's expansion.
    act_layer : Module class, default GELU
        The activation of the stem, the MBConvs and the MLPs (the authors' checkpoints
        use GELU's tanh form: ``functools.partial(nn.GELU, approximate="tanh")``).

    Raises
    ------
    TypeError, ValueError
        Bad sizes; in ``forward``, an input that is not ``(N, in_channels, H, W)`` or
        whose stage maps are not multiples of ``grid_window_size``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import MaxViT
    >>> net = MaxViT(depths=(1, 1), channels=(16, 32), embed_dim=8, head_dim=8,
    ...              grid_window_size=2, num_classes=5)
    >>> net(lucid.random.randn(2, 3, 32, 32)).shape          # maps 8 x 8 and 4 x 4
    (2, 5)
    >>> net.stages[1][0].grid_attn.attn.grid_size, net.stages[1][0].grid_attn.attn.num_heads
    ((2, 2), 4)
    """

    def __init__(self, in_channels=3, depths=(2, 2, 5, 2), channels=(64, 128, 256, 512),
                 num_classes=1000, embed_dim=64, num_heads=None, head_dim=32,
                 grid_window_size=7, attn_drop=0.0, drop=0.0, drop_path=0.0, mlp_ratio=4.0,
                 expand_ratio=4, act_layer=nn.GELU):
        super().__init__()
        name = "MaxViT"
        for arg, value in (("in_channels", in_channels), ("num_classes", num_classes),
                           ("embed_dim", embed_dim), ("grid_window_size", grid_window_size)):
            _positive_int(name, arg, value)
        depths, channels = tuple(depths), tuple(channels)
        if len(depths) != len(channels) or not depths:
            raise ValueError(f"{name}: depths and channels must have the same, non-zero "
                             f"length; got {depths} and {channels}")
        self.in_channels, self.grid_window_size = in_channels, grid_window_size
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, embed_dim, 3, stride=2, padding=1),
            nn.BatchNorm2d(embed_dim, _BN["bn_eps"], _BN["bn_momentum"]), act_layer(),
            nn.Conv2d(embed_dim, embed_dim, 3, padding=1))
        rates = np.linspace(0, drop_path, sum(depths)).tolist()
        stages, width = [], embed_dim
        for depth, out in zip(depths, channels):
            blocks = [MaxViTBlock(width if i == 0 else out, out, 2 if i == 0 else 1,
                                  num_heads, head_dim, grid_window_size, expand_ratio,
                                  mlp_ratio, attn_drop, drop, rates.pop(0), act_layer)
                      for i in range(depth)]
            stages.append(nn.Sequential(*blocks))
            width = out
        self.stages = nn.Sequential(*stages)
        self.norm = nn.LayerNorm(width)
        self.pre_logits = nn.Sequential(nn.Linear(width, width), nn.Tanh())
        self.head = nn.Linear(width, num_classes)
        self.num_features = width
        self.reset_parameters()

    def reset_parameters(self):
        """Convolution and Linear weights :math:`\\mathcal N(0, 0.02^2)`, biases 0."""
        init_normal(self, 0.02, kinds=(nn.Conv2d, nn.Linear))

    def forward(self, x):
        """Logits of images ``x`` ``(N, in_channels, H, W)``."""
        if not isinstance(x, Tensor):
            raise TypeError(f"MaxViT: input must be a Tensor; got {type(x).__name__}")
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"MaxViT: expected input of shape (N, {self.in_channels}, H, W); "
                             f"got {x.shape}")
        sizes, size = [], x.shape[2:]
        for _ in range(len(self.stages) + 1):               # the stem, then every stage
            size = tuple((s + 1) // 2 for s in size)
            sizes.append(size)
        p = self.grid_window_size
        if any(s % p for size in sizes[1:] for s in size):
            raise ValueError(f"MaxViT: the map entering every stage must be a multiple of "
                             f"grid_window_size ({p}); input {x.shape[2]} x {x.shape[3]} gives "
                             f"{' -> '.join(f'{h} x {w}' for h, w in sizes[1:])}")
        x = self.stages(self.stem(x))
        return self.head(self.pre_logits(self.norm(x.mean(axis=(2, 3)))))


def _factory(name, title, stem, channels, depths):
    config = dict(embed_dim=stem, channels=channels, depths=depths)
    return factory(__name__, name, f"{title}: stem {stem}, widths {tuple(channels)}, "
                   f"depths {tuple(depths)}.",
                   lambda num_classes, kwargs: MaxViT(**{**config, **kwargs},
                                                      num_classes=num_classes),
                   "~lucid.models.MaxViT",
                   hint="``in_channels``, ``grid_window_size``, ``drop_path``...")


_D = (2, 6, 14, 2)
maxvit_tiny = _factory("maxvit_tiny", "MaxViT-T", 64, (64, 128, 256, 512), (2, 2, 5, 2))
maxvit_small = _factory("maxvit_small", "MaxViT-S", 64, (96, 192, 384, 768), (2, 2, 5, 2))
maxvit_base = _factory("maxvit_base", "MaxViT-B", 64, (96, 192, 384, 768), _D)
maxvit_large = _factory("maxvit_large", "MaxViT-L", 128, (128, 256, 512, 1024), _D)
maxvit_xlarge = _factory("maxvit_xlarge", "MaxViT-XL", 192, (192, 384, 768, 1536), _D)
