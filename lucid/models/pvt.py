r"""Pyramid Vision Transformer v1 (Wang et al., 2021) and v2 (Wang et al., 2022).

"Pyramid Vision Transformer: A Versatile Backbone for Dense Prediction without
Convolutions", ICCV 2021; "PVT v2: Improved Baselines with Pyramid Vision Transformer",
CVM 2022.

A ViT keeps one resolution throughout; PVT builds a pyramid like a CNN: four stages at
1/4, 1/8, 1/16 and 1/32 of the image, each starting with a patch embedding that
shrinks the map and widens the tokens, then Transformer blocks whose attention is
:class:`~lucid.nn.SpatialReductionAttention` (keys and values from the map reduced
:math:`R_i` times per side, :math:`R = 8, 4, 2, 1`), so that attention stays
affordable at high resolution:

.. math::

    z' = z + \mathrm{SRA}(\mathrm{LN}(z)),\qquad z'' = z' + \mathrm{MLP}(\mathrm{LN}(z'))

* **v1**: each stage embeds disjoint :math:`P \times P` patches (a convolution of
  kernel and stride :math:`P = 4, 2, 2, 2`, LayerNorm) and adds learnt position
  embeddings; blocks use SRA with an :math:`R \times R` convolution and an MLP
  :math:`C \to rC \to C`; a class token joins in stage 4 and, after a LayerNorm, is
  classified.
* **v2**: overlapping patch embeddings (7 x 7 of stride 4, then 3 x 3 of stride 2) and
  no position embeddings; the MLP puts a 3 x 3 depthwise convolution on the map between
  its Linear layers; the linear variant (``_li``) pools keys and values to 7 x 7; each
  stage ends with a LayerNorm and the mean of the last tokens is classified.

with :math:`C = 64, 128, 320, 512` (``pvt_huge``: 128, 256, 512, 768), :math:`h = 1, 2,
5, 8` heads (64 channels each; ``pvt_huge``: 2, 4, 8, 12), MLP ratios 8, 8, 4, 4
(``pvt_v2_b5``: 4 everywhere). v2's MLP is Linear, depthwise 3 x 3 convolution on the
map, GELU, Linear: the convolution gives the tokens their position, so v2 needs no
position embeddings and takes any input size.

The registered configurations (1000 classes, 224 x 224 images):

=================  ==============  ==========================
name               depths          parameters
=================  ==============  ==========================
``pvt_tiny``       2, 2, 2, 2      13,229,288
``pvt_small``      3, 4, 6, 3      24,485,864
``pvt_medium``     3, 4, 18, 3     44,208,104
``pvt_large``      3, 8, 27, 3     61,369,320
``pvt_huge``       3, 10, 60, 3    304,945,512
``pvt_v2_b0``      2, 2, 2, 2      3,666,760 (C = 32, 64, 160, 256)
``pvt_v2_b1``      2, 2, 2, 2      14,009,000
``pvt_v2_b2``      3, 4, 6, 3      25,362,856
``pvt_v2_b2_li``   3, 4, 6, 3      22,553,512 (linear SRA)
``pvt_v2_b3``      3, 4, 18, 3     45,238,696
``pvt_v2_b4``      3, 8, 27, 3     62,556,072
``pvt_v2_b5``      3, 6, 40, 3     81,956,008
=================  ==============  ==========================

PVT v2 equals timm's ``PyramidVisionTransformerV2`` (layout, names, counts); v1 follows
the paper (its counts round to Table 2's) and the authors' code, with ``pvt_huge`` the
authors' ``pvt_huge_v2`` settings (C = 128, 256, 512, 768, 2, 4, 8, 12 heads).
"""
import math

import numpy as np

from lucid import broadcast_to, concatenate, nn
from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.models._common import factory, init_normal
from lucid.nn import init
from lucid.nn.modules.attention import _positive_int
from lucid.nn.parameter import Parameter

__all__ = ["PVTBlock", "PyramidVisionTransformer", "PyramidVisionTransformerV2",
           "pvt_tiny", "pvt_small", "pvt_medium", "pvt_large", "pvt_huge",
           "pvt_v2_b0", "pvt_v2_b1", "pvt_v2_b2", "pvt_v2_b2_li", "pvt_v2_b3", "pvt_v2_b4",
           "pvt_v2_b5"]

_EPS = 1e-6                                 # the papers' LayerNorm epsilon in the blocks


class _ConvMlp(nn.Module):
    """PVT v2's MLP: Linear, (ReLU when linear), depthwise 3 x 3 conv on the map, GELU,
    Dropout, Linear, Dropout."""

    def __init__(self, dim, hidden, drop, relu):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.relu = nn.ReLU() if relu else nn.Identity()
        self.dwconv = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x, size):
        h, w = size
        grid = rearrange(self.relu(self.fc1(x)), "n (h w) c -> n c h w", h=h, w=w)
        x = self.drop(self.act(rearrange(self.dwconv(grid), "n c h w -> n (h w) c")))
        return self.drop(self.fc2(x))


class PVTBlock(nn.Module):
    r"""One PVT block: spatial-reduction attention and an MLP, each pre-norm and residual.

    .. math:: z' = z + \mathrm{DP}(\mathrm{SRA}(\mathrm{LN}_1 z)),\qquad
              \mathrm{out} = z' + \mathrm{DP}(\mathrm{MLP}(\mathrm{LN}_2 z'))

    v1's MLP is Linear(C, rC), GELU, Linear(rC, C); v2's puts a depthwise 3 x 3
    convolution on the map after the first Linear (and a ReLU before it when
    ``linear``). DP is stochastic depth.

    Shapes: tokens ``(N, L, C)`` and the map's ``size`` ``(H, W)``; output
    ``(N, L, C)``.

    Backward: each residual adds the branch's gradient to the identity's; the branches
    backpropagate through LayerNorm, :class:`~lucid.nn.SpatialReductionAttention` and
    the MLP.

    Parameters
    ----------
    dim, num_heads : int
    mlp_ratio : float, default 4.0
    sr_ratio : int, default 1
    qkv_bias : bool, default True
    drop, attn_drop, drop_path : float, default 0.0
    linear : bool, default False
        v2's linear SRA (and ReLU in the MLP).
    version : {1, 2}, default 2

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import PVTBlock
    >>> block = PVTBlock(dim=8, num_heads=2, sr_ratio=2)
    >>> block(lucid.random.randn(2, 16, 8), (4, 4)).shape
    (2, 16, 8)
    """

    def __init__(self, dim, num_heads, mlp_ratio=4.0, sr_ratio=1, qkv_bias=True, drop=0.0,
                 attn_drop=0.0, drop_path=0.0, linear=False, version=2):
        super().__init__()
        if version not in (1, 2):
            raise ValueError(f"PVTBlock: version must be 1 or 2; got {version!r}")
        self.version = version
        hidden = int(dim * mlp_ratio)
        self.norm1 = nn.LayerNorm(dim, eps=_EPS)
        self.attn = nn.SpatialReductionAttention(dim, num_heads, sr_ratio, qkv_bias, attn_drop,
                                                 drop, linear)
        self.drop_path = nn.DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=_EPS)
        if version == 1:
            self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(drop),
                                     nn.Linear(hidden, dim), nn.Dropout(drop))
        else:
            self.mlp = _ConvMlp(dim, hidden, drop, linear)

    def forward(self, x, size):
        """Tokens ``(N, L, C)`` of an ``(H, W)`` map -> ``(N, L, C)``."""
        x = x + self.drop_path(self.attn(self.norm1(x), size))
        y = self.mlp(self.norm2(x)) if self.version == 1 else self.mlp(self.norm2(x), size)
        return x + self.drop_path(y)


class _PatchEmbed(nn.Module):
    """Conv2d(C_in, C, k, stride, padding), then LayerNorm on the tokens."""

    def __init__(self, in_channels, dim, kernel, stride):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, dim, kernel, stride=stride,
                              padding=kernel // 2 if kernel > stride else 0)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        """``(N, C_in, H, W)`` -> tokens ``(N, H' W', C)`` and ``(H', W')``."""
        x = self.proj(x)
        size = x.shape[2:]
        return self.norm(rearrange(x, "n c h w -> n (h w) c")), size


def _check_config(name, depths, dims, heads, mlp_ratios, sr_ratios):
    lists = (depths, dims, heads, mlp_ratios, sr_ratios)
    if len({len(v) for v in lists}) != 1 or not depths:
        raise ValueError(f"{name}: depths, embed_dims, num_heads, mlp_ratios and sr_ratios "
                         f"must have the same non-zero length; got {[tuple(v) for v in lists]}")


def _init(model):
    """The papers' start: Linear N(0, 0.02^2) and zero bias, convolutions
    N(0, 2 / fan_out) and zero bias, LayerNorm 1 and 0."""
    init_normal(model, 0.02, kinds=(nn.Linear,))
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            fan_out = module.out_channels * math.prod(module.weight.shape[2:]) // module.groups
            init.normal(module.weight, std=math.sqrt(2.0 / fan_out))
            if module.bias is not None:
                init.zeros(module.bias)


def _check_images(x, channels, size=None):
    if not isinstance(x, Tensor):
        raise TypeError(f"PyramidVisionTransformer: input must be a Tensor; got "
                        f"{type(x).__name__}")
    if x.ndim != 4 or x.shape[1] != channels or (size and x.shape[2:] != (size, size)):
        expected = f"(N, {channels}, {size}, {size})" if size else f"(N, {channels}, H, W)"
        raise ValueError(f"PyramidVisionTransformer: expected input of shape {expected}; "
                         f"got {x.shape}")


class _StageV1(nn.Module):
    def __init__(self, patch_embed, tokens, dim, blocks):
        super().__init__()
        self.patch_embed = patch_embed
        self.pos_embed = Parameter(np.zeros((1, tokens, dim), np.float32))
        init.normal(self.pos_embed, std=0.02)
        self.blocks = nn.ModuleList(blocks)


class PyramidVisionTransformer(nn.Module):
    r"""PVT v1 (see :mod:`lucid.models.pvt`): four stages of patch embedding, learnt
    position embeddings and :class:`PVTBlock` s; a class token joins in the last stage
    and is classified.

    Shapes: input ``(N, in_channels, img_size, img_size)``; output ``(N, num_classes)``.

    Backward: through the head, the class token's path through the last stage, the
    stages in reverse (position embeddings receive their gradients summed over the
    batch) and the patch embeddings.

    Parameters
    ----------
    img_size : int, default 224
    in_channels : int, default 3
    num_classes : int, default 1000
    patch_sizes : sequence of int, default (4, 2, 2, 2)
    embed_dims, num_heads, depths, mlp_ratios, sr_ratios : sequences of int
        Per stage (defaults: PVT-Small).
    qkv_bias : bool, default True
    drop_rate, attn_drop_rate, drop_path_rate : float, default 0.0

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import PyramidVisionTransformer
    >>> net = PyramidVisionTransformer(img_size=32, patch_sizes=(4, 2), embed_dims=(8, 16),
    ...                                num_heads=(1, 2), depths=(1, 1), mlp_ratios=(2, 2),
    ...                                sr_ratios=(2, 1), num_classes=3)
    >>> net(lucid.random.randn(2, 3, 32, 32)).shape
    (2, 3)
    """

    def __init__(self, img_size=224, in_channels=3, num_classes=1000, patch_sizes=(4, 2, 2, 2),
                 embed_dims=(64, 128, 320, 512), num_heads=(1, 2, 5, 8), depths=(3, 4, 6, 3),
                 mlp_ratios=(8, 8, 4, 4), sr_ratios=(8, 4, 2, 1), qkv_bias=True, drop_rate=0.0,
                 attn_drop_rate=0.0, drop_path_rate=0.0):
        super().__init__()
        name = "PyramidVisionTransformer"
        for arg, value in (("img_size", img_size), ("in_channels", in_channels),
                           ("num_classes", num_classes)):
            _positive_int(name, arg, value)
        _check_config(name, depths, embed_dims, num_heads, mlp_ratios, sr_ratios)
        if len(patch_sizes) != len(depths) or img_size % math.prod(patch_sizes):
            raise ValueError(f"{name}: patch_sizes {tuple(patch_sizes)} must have one entry "
                             f"per stage and their product must divide img_size ({img_size})")
        self.img_size, self.in_channels = img_size, in_channels
        rates = np.linspace(0, drop_path_rate, sum(depths)).tolist()
        stages, previous, side = [], in_channels, img_size
        for i, (p, dim, depth) in enumerate(zip(patch_sizes, embed_dims, depths)):
            side //= p
            last = i == len(depths) - 1
            blocks = [PVTBlock(dim, num_heads[i], mlp_ratios[i], sr_ratios[i], qkv_bias,
                               drop_rate, attn_drop_rate, rates.pop(0), version=1)
                      for _ in range(depth)]
            stages.append(_StageV1(_PatchEmbed(previous, dim, p, p), side * side + last, dim,
                                   blocks))
            previous = dim
        self.stages = nn.ModuleList(stages)
        self.pos_drop = nn.Dropout(drop_rate)
        self.norm = nn.LayerNorm(previous, eps=_EPS)
        self.cls_token = Parameter(np.zeros((1, 1, previous), np.float32))
        init.normal(self.cls_token, std=0.02)
        self.head = nn.Linear(previous, num_classes)
        _init(self)

    def forward(self, x):
        """Logits of images ``x`` ``(N, in_channels, img_size, img_size)``."""
        _check_images(x, self.in_channels, self.img_size)
        n = x.shape[0]
        for i, stage in enumerate(self.stages):
            x, size = stage.patch_embed(x)
            if i == len(self.stages) - 1:
                cls = broadcast_to(self.cls_token, (n, 1, self.cls_token.shape[-1]))
                x = concatenate([cls, x], axis=1)
            x = self.pos_drop(x + stage.pos_embed)
            for block in stage.blocks:
                x = block(x, size)
            if i < len(self.stages) - 1:
                x = rearrange(x, "n (h w) c -> n c h w", h=size[0], w=size[1])
        return self.head(self.norm(x)[:, 0])


class _StageV2(nn.Module):
    def __init__(self, downsample, blocks, dim):
        super().__init__()
        self.downsample = downsample
        self.blocks = nn.ModuleList(blocks)
        self.norm = nn.LayerNorm(dim, eps=_EPS)

    def forward(self, x):
        """``(N, C_in, H, W)`` -> ``(N, C, H', W')``."""
        x, size = self.downsample(x) if self.downsample is not None else x
        for block in self.blocks:
            x = block(x, size)
        return rearrange(self.norm(x), "n (h w) c -> n c h w", h=size[0], w=size[1])


class PyramidVisionTransformerV2(nn.Module):
    r"""PVT v2 (see :mod:`lucid.models.pvt`): overlapping patch embeddings, blocks with a
    convolutional MLP, no position embeddings, the mean of the last tokens classified.
    The layout and names follow timm's ``PyramidVisionTransformerV2``.

    Shapes: input ``(N, in_channels, H, W)`` (any size from 32 x 32); output
    ``(N, num_classes)``.

    Backward: through the head, the mean, the stages in reverse and the embeddings.

    Parameters
    ----------
    in_channels : int, default 3
    num_classes : int, default 1000
    embed_dims, num_heads, depths, mlp_ratios, sr_ratios : sequences of int
        Per stage (defaults: PVT v2-B2).
    qkv_bias : bool, default True
    linear : bool, default False
        Linear SRA in every block (``pvt_v2_b2_li``).
    drop_rate, attn_drop_rate, drop_path_rate : float, default 0.0

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import PyramidVisionTransformerV2
    >>> net = PyramidVisionTransformerV2(embed_dims=(8, 16), num_heads=(1, 2), depths=(1, 1),
    ...                                  mlp_ratios=(2, 2), sr_ratios=(2, 1), num_classes=3)
    >>> net(lucid.random.randn(2, 3, 32, 24)).shape
    (2, 3)
    """

    def __init__(self, in_channels=3, num_classes=1000, embed_dims=(64, 128, 320, 512),
                 num_heads=(1, 2, 5, 8), depths=(3, 4, 6, 3), mlp_ratios=(8, 8, 4, 4),
                 sr_ratios=(8, 4, 2, 1), qkv_bias=True, linear=False, drop_rate=0.0,
                 attn_drop_rate=0.0, drop_path_rate=0.0):
        super().__init__()
        name = "PyramidVisionTransformerV2"
        _positive_int(name, "in_channels", in_channels)
        _positive_int(name, "num_classes", num_classes)
        _check_config(name, depths, embed_dims, num_heads, mlp_ratios, sr_ratios)
        self.in_channels = in_channels
        self.patch_embed = _PatchEmbed(in_channels, embed_dims[0], 7, 4)
        rates = np.linspace(0, drop_path_rate, sum(depths)).tolist()
        stages = []
        for i, (dim, depth) in enumerate(zip(embed_dims, depths)):
            down = _PatchEmbed(embed_dims[i - 1], dim, 3, 2) if i else None
            blocks = [PVTBlock(dim, num_heads[i], mlp_ratios[i], sr_ratios[i], qkv_bias,
                               drop_rate, attn_drop_rate, rates.pop(0), linear, version=2)
                      for _ in range(depth)]
            stages.append(_StageV2(down, blocks, dim))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Linear(embed_dims[-1], num_classes)
        _init(self)

    def forward(self, x):
        """Logits of images ``x`` ``(N, in_channels, H, W)``."""
        _check_images(x, self.in_channels)
        x = self.stages[0](self.patch_embed(x))
        for stage in list(self.stages)[1:]:
            x = stage(x)
        return self.head(x.mean(axis=(2, 3)))


_V1 = dict(embed_dims=(64, 128, 320, 512), num_heads=(1, 2, 5, 8), mlp_ratios=(8, 8, 4, 4))
_V2 = dict(_V1)


def _v1(name, title, depths, **config):
    settings = {**_V1, "depths": depths, **config}
    return factory(__name__, name, f"{title} (v1): depths {tuple(depths)}, widths "
                   f"{settings['embed_dims']}.",
                   lambda num_classes, kwargs: PyramidVisionTransformer(
                       **{**settings, **kwargs}, num_classes=num_classes),
                   "~lucid.models.PyramidVisionTransformer",
                   hint="``img_size``, ``drop_path_rate``...")


def _v2(name, title, depths, **config):
    settings = {**_V2, "depths": depths, **config}
    return factory(__name__, name, f"{title}: depths {tuple(depths)}, widths "
                   f"{settings['embed_dims']}.",
                   lambda num_classes, kwargs: PyramidVisionTransformerV2(
                       **{**settings, **kwargs}, num_classes=num_classes),
                   "~lucid.models.PyramidVisionTransformerV2",
                   hint="``drop_path_rate``, ``linear``...")


pvt_tiny = _v1("pvt_tiny", "PVT-Tiny", (2, 2, 2, 2))
pvt_small = _v1("pvt_small", "PVT-Small", (3, 4, 6, 3))
pvt_medium = _v1("pvt_medium", "PVT-Medium", (3, 4, 18, 3))
pvt_large = _v1("pvt_large", "PVT-Large", (3, 8, 27, 3))
pvt_huge = _v1("pvt_huge", "PVT-Huge", (3, 10, 60, 3), embed_dims=(128, 256, 512, 768),
               num_heads=(2, 4, 8, 12))
pvt_v2_b0 = _v2("pvt_v2_b0", "PVT v2-B0", (2, 2, 2, 2), embed_dims=(32, 64, 160, 256))
pvt_v2_b1 = _v2("pvt_v2_b1", "PVT v2-B1", (2, 2, 2, 2))
pvt_v2_b2 = _v2("pvt_v2_b2", "PVT v2-B2", (3, 4, 6, 3))
pvt_v2_b2_li = _v2("pvt_v2_b2_li", "PVT v2-B2-Li (linear SRA)", (3, 4, 6, 3), linear=True)
pvt_v2_b3 = _v2("pvt_v2_b3", "PVT v2-B3", (3, 4, 18, 3))
pvt_v2_b4 = _v2("pvt_v2_b4", "PVT v2-B4", (3, 8, 27, 3))
pvt_v2_b5 = _v2("pvt_v2_b5", "PVT v2-B5", (3, 6, 40, 3), mlp_ratios=(4, 4, 4, 4))
