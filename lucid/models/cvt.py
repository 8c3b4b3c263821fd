r"""CvT, the Convolutional vision Transformer (Wu et al., 2021).

"CvT: Introducing Convolutions to Vision Transformers", ICCV 2021. Three stages, each
a :class:`~lucid.nn.ConvTokenEmbedding` (overlapping patches: a 7 x 7 convolution of
stride 4 on the image, 3 x 3 of stride 2 after) and Transformer blocks whose attention
is :class:`~lucid.nn.ConvProjectionAttention` (queries, keys and values from depthwise
3 x 3 convolutions of the token map, keys and values at stride 2):

.. math::

    z' = z + \mathrm{Attn}(\mathrm{LN}(z)),\qquad z'' = z' + \mathrm{MLP}(\mathrm{LN}(z'))

with MLP = Linear(C, 4C), GELU, Linear(4C, C). The convolutions give the tokens their
positions: there is no position embedding. A class token joins in the last stage; its
final state, after a LayerNorm, is classified.

==============  ================  ===========  =============  ===============
name            widths            heads        depths         parameters
==============  ================  ===========  =============  ===============
``cvt_13``      64, 192, 384      1, 3, 6      1, 2, 10       19,997,480
``cvt_21``      64, 192, 384      1, 3, 6      1, 4, 16       31,622,696
``cvt_w24``     192, 768, 1024    3, 12, 16    2, 2, 20       277,196,392
==============  ================  ===========  =============  ===============

Each block holds :math:`12C^2 + 46C` parameters: :math:`4(C^2 + C)` in the four Linear
maps of the attention, :math:`3 \cdot 11C` in its depthwise convolutions (:math:`9C`)
and batch norms (:math:`2C`), :math:`8C^2 + 5C` in the MLP and :math:`4C` in the two
LayerNorms. The counts equal the original lucid's table and the paper's (20M, 32M,
277M). As in the authors' code, attention scores are divided by :math:`\sqrt{C}` (the
stage's width), not by the size of a head.
"""
import numpy as np

from lucid import broadcast_to, concatenate, nn
from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.models._common import factory, init_normal
from lucid.nn import init
from lucid.nn.modules.attention import _positive_int
from lucid.nn.parameter import Parameter

__all__ = ["CvTBlock", "CvT", "cvt_13", "cvt_21", "cvt_w24"]


class CvTBlock(nn.Module):
    r"""One CvT block: convolutional-projection attention and an MLP, pre-norm residuals.

    .. math:: z' = z + \mathrm{DP}(\mathrm{Attn}(\mathrm{LN}_1 z)),\qquad
              \mathrm{out} = z' + \mathrm{DP}(\mathrm{MLP}(\mathrm{LN}_2 z'))

    Shapes: tokens ``(N, L, C)`` of an ``(H, W)`` map (plus a class token in front when
    ``with_cls_token``); output the same.

    Backward: each residual adds the branch's gradient to the identity's; the branches
    backpropagate through LayerNorm, :class:`~lucid.nn.ConvProjectionAttention` and the
    MLP.

    Parameters
    ----------
    dim, num_heads : int
    mlp_ratio : float, default 4.0
    qkv_bias : bool, default True
    drop, attn_drop, drop_path : float, default 0.0
    with_cls_token : bool, default False

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import CvTBlock
    >>> block = CvTBlock(8, 2)
    >>> block(lucid.random.randn(2, 16, 8), (4, 4)).shape
    (2, 16, 8)
    >>> block.count_parameters()                      # 12 C^2 + 46 C
    1136
    """

    def __init__(self, dim, num_heads, mlp_ratio=4.0, qkv_bias=True, drop=0.0, attn_drop=0.0,
                 drop_path=0.0, with_cls_token=False):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.ConvProjectionAttention(dim, num_heads, qkv_bias=qkv_bias,
                                               attn_drop=attn_drop, proj_drop=drop,
                                               with_cls_token=with_cls_token)
        self.drop_path = nn.DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(drop),
                                 nn.Linear(hidden, dim), nn.Dropout(drop))

    def forward(self, x, size):
        """Tokens ``(N, L, C)`` of an ``(H, W)`` map -> ``(N, L, C)``."""
        x = x + self.drop_path(self.attn(self.norm1(x), size))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class _Stage(nn.Module):
    def __init__(self, embed, blocks):
        super().__init__()
        self.patch_embed = embed
        self.blocks = nn.ModuleList(blocks)


class CvT(nn.Module):
    r"""The Convolutional vision Transformer (see :mod:`lucid.models.cvt`).

    Weights start as the authors' code starts them: Linear weights
    :math:`\mathcal N(0, 0.02^2)` (truncated at 2 standard deviations in their code:
    lucid does not truncate) and zero biases, the class token :math:`\mathcal N(0,
    0.02^2)`.

    Shapes: input ``(N, in_channels, H, W)``; output ``(N, num_classes)``.

    Backward: through the head and final LayerNorm to the class token's state, the
    stages in reverse and the embeddings.

    Parameters
    ----------
    in_channels : int, default 3
    num_classes : int, default 1000
    embed_dims, num_heads, depths : sequences of int
        Per stage (defaults: CvT-13).
    mlp_ratio : float, default 4.0
    qkv_bias : bool, default True
    drop_rate, attn_drop_rate, drop_path_rate : float, default 0.0

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import CvT
    >>> net = CvT(embed_dims=(8, 16), num_heads=(1, 2), depths=(1, 1), num_classes=3)
    >>> net(lucid.random.randn(2, 3, 32, 32)).shape
    (2, 3)
    """

    def __init__(self, in_channels=3, num_classes=1000, embed_dims=(64, 192, 384),
                 num_heads=(1, 3, 6), depths=(1, 2, 10), mlp_ratio=4.0, qkv_bias=True,
                 drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.0):
        super().__init__()
        name = "CvT"
        _positive_int(name, "in_channels", in_channels)
        _positive_int(name, "num_classes", num_classes)
        if len({len(embed_dims), len(num_heads), len(depths)}) != 1 or not depths:
            raise ValueError(f"{name}: embed_dims, num_heads and depths must have the same "
                             f"non-zero length; got {tuple(embed_dims)}, {tuple(num_heads)}, "
                             f"{tuple(depths)}")
        self.in_channels = in_channels
        rates = np.linspace(0, drop_path_rate, sum(depths)).tolist()
        stages, previous = [], in_channels
        for i, (dim, heads, depth) in enumerate(zip(embed_dims, num_heads, depths)):
            last = i == len(depths) - 1
            embed = (nn.ConvTokenEmbedding(previous, dim, 7, 4, 2) if i == 0 else
                     nn.ConvTokenEmbedding(previous, dim, 3, 2, 1))
            blocks = [CvTBlock(dim, heads, mlp_ratio, qkv_bias, drop_rate, attn_drop_rate,
                               rates.pop(0), with_cls_token=last) for _ in range(depth)]
            stages.append(_Stage(embed, blocks))
            previous = dim
        self.stages = nn.ModuleList(stages)
        self.pos_drop = nn.Dropout(drop_rate)
        self.cls_token = Parameter(np.zeros((1, 1, previous), np.float32))
        self.norm = nn.LayerNorm(previous)
        self.head = nn.Linear(previous, num_classes)
        init.normal(self.cls_token, std=0.02)
        init_normal(self, 0.02, kinds=(nn.Linear,))

    def forward(self, x):
        """Logits of images ``x`` ``(N, in_channels, H, W)``."""
        if not isinstance(x, Tensor):
            raise TypeError(f"CvT: input must be a Tensor; got {type(x).__name__}")
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"CvT: expected input of shape (N, {self.in_channels}, H, W); "
                             f"got {x.shape}")
        n = x.shape[0]
        for i, stage in enumerate(self.stages):
            grid = stage.patch_embed(x)
            size = grid.shape[1:3]
            tokens = self.pos_drop(rearrange(grid, "n h w c -> n (h w) c"))
            last = i == len(self.stages) - 1
            if last:
                cls = broadcast_to(self.cls_token, (n, 1, self.cls_token.shape[-1]))
                tokens = concatenate([cls, tokens], axis=1)
            for block in stage.blocks:
                tokens = block(tokens, size)
            if last:
                return self.head(self.norm(tokens[:, 0]))
            x = rearrange(tokens, "n (h w) c -> n c h w", h=size[0], w=size[1])


def _factory(name, title, dims, heads, depths):
    config = dict(embed_dims=dims, num_heads=heads, depths=depths)
    return factory(__name__, name, f"{title}: widths {dims}, heads {heads}, depths {depths}.",
                   lambda num_classes, kwargs: CvT(**{**config, **kwargs},
                                                   num_classes=num_classes),
                   "~lucid.models.CvT", hint="``drop_path_rate``...")


cvt_13 = _factory("cvt_13", "CvT-13", (64, 192, 384), (1, 3, 6), (1, 2, 10))
cvt_21 = _factory("cvt_21", "CvT-21", (64, 192, 384), (1, 3, 6), (1, 4, 16))
cvt_w24 = _factory("cvt_w24", "CvT-W24", (192, 768, 1024), (3, 12, 16), (2, 2, 20))
