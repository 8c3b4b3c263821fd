r"""Swin Transformer V1 (Liu et al., 2021) and V2 (Liu et al., 2022): hierarchical
vision transformers with attention inside shifted windows.

"Swin Transformer: Hierarchical Vision Transformer using Shifted Windows", ICCV 2021;
"Swin Transformer V2: Scaling Up Capacity and Resolution", CVPR 2022.

The image is cut into 4 x 4 patches, each embedded into :math:`C` channels (a 4 x 4
convolution of stride 4, then LayerNorm); four stages follow, each at half the
resolution and twice the width of the one before (a *patch merging* layer joins each
2 x 2 group of tokens, :math:`4C \to 2C`). A stage is a stack of Swin blocks that
alternate plain and shifted windows (:class:`~lucid.nn.WindowAttention`, shift
:math:`\lfloor M/2 \rfloor` in every second block), so information crosses window
borders:

.. math::

    \text{V1 (pre-norm):}\quad
    z' = z + \mathrm{(S)W\text{-}MSA}(\mathrm{LN}(z)),\qquad
    z'' = z' + \mathrm{MLP}(\mathrm{LN}(z'))

    \text{V2 (res-post-norm):}\quad
    z' = z + \mathrm{LN}(\mathrm{(S)W\text{-}MSA}(z)),\qquad
    z'' = z' + \mathrm{LN}(\mathrm{MLP}(z'))

V2 also scores by scaled cosine similarity with a continuous, log-spaced position bias
(:class:`~lucid.nn.CosineWindowAttention`), and its patch merging normalises after the
reduction (LN over :math:`2C`) instead of before it (LN over :math:`4C`). The head is
a LayerNorm, the mean over the positions and a Linear layer.

=========  ==========  =====================================================
stage      resolution  layers
=========  ==========  =====================================================
embed      H/4         Conv2d(3, C, 4, stride 4), LayerNorm
1          H/4         Swin blocks at width C
2          H/8         patch merging, Swin blocks at width 2C
3          H/16        patch merging, Swin blocks at width 4C
4          H/32        patch merging, Swin blocks at width 8C
head       1           LayerNorm, mean over the positions, Linear(8C, classes)
=========  ==========  =====================================================

Heads have 32 channels each; the MLPs are :math:`C \to 4C \to C` with GELU. A stage
whose map is no larger than the window uses one window of the map's size and no shift
(the papers' rule). V1 models take 224 x 224 images with :math:`M = 7`; V2 models
256 x 256 with :math:`M = 8` (the papers' settings; neither changes the parameter
count of V2, whose position bias is an MLP).

The registered configurations (1000 classes):

==================  ====  ===============  ================  ===============
name                C     depths           heads             parameters
==================  ====  ===============  ================  ===============
``swin_tiny``       96    2, 2, 6, 2       3, 6, 12, 24      28,288,354
``swin_small``      96    2, 2, 18, 2      3, 6, 12, 24      49,606,258
``swin_base``       128   2, 2, 18, 2      4, 8, 16, 32      87,768,224
``swin_large``      192   2, 2, 18, 2      6, 12, 24, 48     196,532,476
``swin_v2_tiny``    96    2, 2, 6, 2       3, 6, 12, 24      28,347,154
``swin_v2_small``   96    2, 2, 18, 2      3, 6, 12, 24      49,728,418
``swin_v2_base``    128   2, 2, 18, 2      4, 8, 16, 32      87,918,816
``swin_v2_large``   192   2, 2, 18, 2      6, 12, 24, 48     196,739,932
``swin_v2_huge``    352   2, 2, 18, 2      11, 22, 44, 88    658,027,922
``swin_v2_giant``   512   2, 2, 42, 4      16, 32, 64, 128   3,001,912,008
==================  ====  ===============  ================  ===============

The V1 counts equal the original lucid's, torchvision's (``swin_t/s/b``) and timm's;
the V2 counts equal timm's (``swinv2_*_window8_256``; timm has no H and G) and are
:math:`4(C_1 + C_2 + C_3)` below the original lucid's, whose V2 merges patches as V1
does (LN over :math:`4C`): the V2 paper's code normalises after the reduction.
The original lucid's ``swin_v2_huge`` and ``swin_v2_giant`` counts also correspond to
6, 12, 24, 48 heads, which do not divide their widths (352 and 512 channels: such
attention cannot run); lucid gives every head 32 channels, as the papers do for every
other size (each head of a block holds :math:`1 + 512` parameters: its logit scale and
its row of the position-bias MLP's last layer). The paper's H and G also add a
LayerNorm on the main branch every 6 blocks for training at scale; these builders do
not (nor did the original lucid's).
"""
import numpy as np

from lucid import nn, pad
from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.models._common import factory, init_normal
from lucid.nn.modules.attention import _positive_int

__all__ = ["SwinTransformerBlock", "PatchMerging", "SwinTransformer",
           "swin_tiny", "swin_small", "swin_base", "swin_large",
           "swin_v2_tiny", "swin_v2_small", "swin_v2_base", "swin_v2_large", "swin_v2_huge",
           "swin_v2_giant"]


def _mlp(dim, hidden, drop):
    """Linear(dim, hidden), GELU, Dropout, Linear(hidden, dim), Dropout."""
    return nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(drop),
                         nn.Linear(hidden, dim), nn.Dropout(drop))


class SwinTransformerBlock(nn.Module):
    r"""One Swin block: (shifted) window attention and an MLP, each in a residual.

    .. math::

        \text{V1:}\ z' = z + \mathrm{DP}(\mathrm{Attn}(\mathrm{LN}_1 z)),\
        \mathrm{out} = z' + \mathrm{DP}(\mathrm{MLP}(\mathrm{LN}_2 z'))

        \text{V2:}\ z' = z + \mathrm{DP}(\mathrm{LN}_1(\mathrm{Attn}\, z)),\
        \mathrm{out} = z' + \mathrm{DP}(\mathrm{LN}_2(\mathrm{MLP}\, z'))

    with Attn a :class:`~lucid.nn.WindowAttention` (V1) or
    :class:`~lucid.nn.CosineWindowAttention` (V2), MLP = Linear(C, rC), GELU,
    Linear(rC, C), and DP stochastic depth (:class:`~lucid.nn.DropPath`).

    Shapes: input ``(N, H, W, C)`` (channels last); output the same.

    Backward: each residual adds the branch's gradient to the identity's; the branches
    backpropagate through LayerNorm, the window attention and the MLP.

    Parameters
    ----------
    dim, num_heads : int
    window_size : int
    shift_size : int, default 0
    mlp_ratio : float, default 4.0
    qkv_bias : bool, default True
    drop, attn_drop, drop_path : float, default 0.0
    version : {1, 2}, default 1

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import SwinTransformerBlock
    >>> block = SwinTransformerBlock(dim=8, num_heads=2, window_size=2, shift_size=1)
    >>> block(lucid.random.randn(1, 4, 4, 8)).shape
    (1, 4, 4, 8)
    >>> [name for name, _ in block.named_children()]
    ['norm1', 'attn', 'drop_path', 'norm2', 'mlp']
    """

    def __init__(self, dim, num_heads, window_size, shift_size=0, mlp_ratio=4.0, qkv_bias=True,
                 drop=0.0, attn_drop=0.0, drop_path=0.0, version=1):
        super().__init__()
        if version not in (1, 2):
            raise ValueError(f"SwinTransformerBlock: version must be 1 or 2; got {version!r}")
        self.version = version
        attention = nn.WindowAttention if version == 1 else nn.CosineWindowAttention
        if version == 1:                 # registered in the order they run (as timm's)
            self.norm1 = nn.LayerNorm(dim)
        self.attn = attention(dim, num_heads, window_size, shift_size, qkv_bias, attn_drop, drop)
        if version == 2:
            self.norm1 = nn.LayerNorm(dim)
        self.drop_path = nn.DropPath(drop_path) if drop_path > 0 else nn.Identity()
        if version == 1:
            self.norm2 = nn.LayerNorm(dim)
        self.mlp = _mlp(dim, int(dim * mlp_ratio), drop)
        if version == 2:
            self.norm2 = nn.LayerNorm(dim)

    def forward(self, x):
        """``(N, H, W, C)`` -> ``(N, H, W, C)``."""
        if self.version == 1:
            x = x + self.drop_path(self.attn(self.norm1(x)))
            return x + self.drop_path(self.mlp(self.norm2(x)))
        x = x + self.drop_path(self.norm1(self.attn(x)))
        return x + self.drop_path(self.norm2(self.mlp(x)))


class PatchMerging(nn.Module):
    r"""Join each 2 x 2 group of tokens: :math:`(N, H, W, C) \to (N, H/2, W/2, 2C)`.

    .. math:: y = W\,\mathrm{LN}([x_{2i,2j};\ x_{2i+1,2j};\ x_{2i,2j+1};\ x_{2i+1,2j+1}])
              \ \text{(V1)},\qquad
              y = \mathrm{LN}(W [\dots])\ \text{(V2)}

    with :math:`W` a Linear(4C, 2C) without bias. An odd side is padded with a zero row
    or column first.

    Backward: through the LayerNorm and the Linear; the concatenation hands each
    quarter of the gradient back to its positions.

    Parameters
    ----------
    dim : int
        :math:`C`.
    version : {1, 2}, default 1

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import PatchMerging
    >>> PatchMerging(8)(lucid.random.randn(2, 4, 6, 8)).shape
    (2, 2, 3, 16)
    """

    def __init__(self, dim, version=1):
        super().__init__()
        self.dim = _positive_int("PatchMerging", "dim", dim)
        self.version = version
        if version == 1:
            self.norm = nn.LayerNorm(4 * dim)
            self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        else:
            self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
            self.norm = nn.LayerNorm(2 * dim)

    def forward(self, x):
        """``(N, H, W, C)`` -> ``(N, ceil(H/2), ceil(W/2), 2C)``."""
        if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[-1] != self.dim:
            given = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"PatchMerging: expected input of shape (N, H, W, {self.dim}); "
                             f"got {given}")
        h, w = x.shape[1:3]
        if h % 2 or w % 2:
            x = pad(x, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)))
        x = rearrange(x, "n (h a) (w b) c -> n h w (b a c)", a=2, b=2)
        if self.version == 1:
            return self.reduction(self.norm(x))
        return self.norm(self.reduction(x))


class _Stage(nn.Module):
    """Patch merging (all but the first stage), then the blocks."""

    def __init__(self, downsample, blocks):
        super().__init__()
        self.downsample = downsample if downsample is not None else nn.Identity()
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(self.downsample(x))


class _PatchEmbed(nn.Module):
    """Conv2d(C_in, C, P, stride P), channels last, LayerNorm."""

    def __init__(self, in_channels, dim, patch_size):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(rearrange(self.proj(x), "n c h w -> n h w c"))


class SwinTransformer(nn.Module):
    r"""The Swin Transformer, V1 or V2 (see :mod:`lucid.models.swin`).

    .. math:: y = \mathrm{head}\big(\mathrm{mean}_{h,w}\,\mathrm{LN}(
              \mathrm{stage}_4 \circ \dots \circ \mathrm{stage}_1 \circ \mathrm{embed}(x))\big)

    Weights start as the papers' code starts them: Linear weights from
    :math:`\mathcal N(0, 0.02^2)` (truncation at :math:`\pm 2`: never reached) with zero
    biases, LayerNorms at 1 and 0, V1's bias tables from :math:`\mathcal N(0, 0.02^2)`,
    V2's logit scales at :math:`\log 10`.

    Shapes: input ``(N, in_channels, img_size, img_size)``; output ``(N, num_classes)``.

    Backward: through the head, the stages in reverse and the patch embedding.

    Parameters
    ----------
    img_size : int, default 224
        The input size the windows are planned for (a stage whose map is no larger than
        ``window_size`` uses one unshifted window).
    patch_size : int, default 4
    in_channels : int, default 3
    num_classes : int, default 1000
    embed_dim : int, default 96
        :math:`C`.
    depths : sequence of int, default (2, 2, 6, 2)
    num_heads : sequence of int, default (3, 6, 12, 24)
    window_size : int, default 7
    mlp_ratio : float, default 4.0
    qkv_bias : bool, default True
    drop_rate, attn_drop_rate : float, default 0.0
    drop_path_rate : float, default 0.0
        Stochastic depth, rising linearly from 0 to this over the blocks (the papers
        train with 0.2 to 0.5).
    version : {1, 2}, default 1

    Raises
    ------
    TypeError, ValueError
        Bad sizes; in ``forward``, an input that is not
        ``(N, in_channels, img_size, img_size)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import SwinTransformer
    >>> net = SwinTransformer(img_size=16, patch_size=2, embed_dim=8, depths=(2, 2),
    ...                       num_heads=(2, 4), window_size=4, num_classes=5)
    >>> net(lucid.random.randn(2, 3, 16, 16)).shape
    (2, 5)
    >>> net.layers[1].blocks[1].attn.shift_size              # 4 x 4 map: one window
    (0, 0)
    """

    def __init__(self, img_size=224, patch_size=4, in_channels=3, num_classes=1000,
                 embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), window_size=7,
                 mlp_ratio=4.0, qkv_bias=True, drop_rate=0.0, attn_drop_rate=0.0,
                 drop_path_rate=0.0, version=1):
        super().__init__()
        name = "SwinTransformer"
        for arg, value in (("img_size", img_size), ("patch_size", patch_size),
                           ("in_channels", in_channels), ("num_classes", num_classes),
                           ("embed_dim", embed_dim), ("window_size", window_size)):
            _positive_int(name, arg, value)
        if len(depths) != len(num_heads) or not depths:
            raise ValueError(f"{name}: depths and num_heads must have the same, non-zero "
                             f"length; got {tuple(depths)} and {tuple(num_heads)}")
        if version not in (1, 2):
            raise ValueError(f"{name}: version must be 1 or 2; got {version!r}")
        if img_size % patch_size:
            raise ValueError(f"{name}: patch_size ({patch_size}) must divide img_size "
                             f"({img_size})")
        self.img_size, self.in_channels, self.version = img_size, in_channels, version
        self.patch_embed = _PatchEmbed(in_channels, embed_dim, patch_size)
        rates = np.linspace(0, drop_path_rate, sum(depths)).tolist()
        resolution, dim, stages = img_size // patch_size, embed_dim, []
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            downsample = None
            if i > 0:
                downsample = PatchMerging(dim, version)
                dim, resolution = 2 * dim, (resolution + 1) // 2
            window = min(window_size, resolution)          # one window: no shift
            shift = 0 if resolution <= window_size else window_size // 2
            blocks = [SwinTransformerBlock(dim, heads, window, shift if j % 2 else 0, mlp_ratio,
                                           qkv_bias, drop_rate, attn_drop_rate, rates.pop(0),
                                           version)
                      for j in range(depth)]
            stages.append(_Stage(downsample, blocks))
        self.layers = nn.Sequential(*stages)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)
        self.num_features = dim
        self.reset_parameters()

    def reset_parameters(self):
        """Linear weights :math:`\\mathcal N(0, 0.02^2)`, biases 0 (the attention's own
        tables and scales keep their start)."""
        init_normal(self, 0.02, kinds=(nn.Linear,))

    def forward(self, x):
        """Logits of images ``x`` ``(N, in_channels, img_size, img_size)``."""
        size, c = self.img_size, self.in_channels
        if not isinstance(x, Tensor):
            raise TypeError(f"SwinTransformer: input must be a Tensor; got {type(x).__name__}")
        if x.ndim != 4 or x.shape[1:] != (c, size, size):
            raise ValueError(f"SwinTransformer: expected input of shape (N, {c}, {size}, "
                             f"{size}); got {x.shape}")
        x = self.norm(self.layers(self.patch_embed(x)))
        return self.head(x.mean(axis=(1, 2)))


def _factory(name, title, dim, depths, heads, version):
    config = dict(embed_dim=dim, depths=depths, num_heads=heads, version=version,
                  **({"img_size": 256, "window_size": 8} if version == 2 else {}))
    return factory(__name__, name, f"{title}: C {dim}, depths {tuple(depths)}, heads "
                   f"{tuple(heads)}.",
                   lambda num_classes, kwargs: SwinTransformer(
                       **{**config, **kwargs}, num_classes=num_classes),
                   "~lucid.models.SwinTransformer",
                   hint="``img_size``, ``window_size``, ``drop_path_rate``...")


_T, _S = [2, 2, 6, 2], [2, 2, 18, 2]
swin_tiny = _factory("swin_tiny", "Swin-T", 96, _T, [3, 6, 12, 24], 1)
swin_small = _factory("swin_small", "Swin-S", 96, _S, [3, 6, 12, 24], 1)
swin_base = _factory("swin_base", "Swin-B", 128, _S, [4, 8, 16, 32], 1)
swin_large = _factory("swin_large", "Swin-L", 192, _S, [6, 12, 24, 48], 1)
swin_v2_tiny = _factory("swin_v2_tiny", "SwinV2-T", 96, _T, [3, 6, 12, 24], 2)
swin_v2_small = _factory("swin_v2_small", "SwinV2-S", 96, _S, [3, 6, 12, 24], 2)
swin_v2_base = _factory("swin_v2_base", "SwinV2-B", 128, _S, [4, 8, 16, 32], 2)
swin_v2_large = _factory("swin_v2_large", "SwinV2-L", 192, _S, [6, 12, 24, 48], 2)
swin_v2_huge = _factory("swin_v2_huge", "SwinV2-H", 352, _S, [11, 22, 44, 88], 2)
swin_v2_giant = _factory("swin_v2_giant", "SwinV2-G", 512, [2, 2, 42, 4], [16, 32, 64, 128], 2)
