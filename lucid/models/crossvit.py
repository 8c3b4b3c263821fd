r"""CrossViT (Chen, Fan and Panda, 2021): two vision transformers on two patch sizes that
exchange their class tokens.

"CrossViT: Cross-Attention Multi-Scale Vision Transformer for Image Classification",
ICCV 2021.

A ViT sees the image at one patch size. CrossViT runs two ViT branches side by side:
the *small* branch (S) cuts the image, resized to 240 x 240, into 12 x 12 patches (400
tokens, narrow width :math:`C_s`), the *large* branch (L) cuts it, resized to
224 x 224, into 16 x 16 patches (196 tokens, width :math:`C_l = 2 C_s`). Each branch
has its own class token and position embeddings. The network is :math:`K = 3`
*multi-scale encoders*; each runs :math:`N` Transformer blocks on S, :math:`M` on L,
then fuses the branches once by cross-attention
(:class:`~lucid.nn.CrossBranchAttention`): the class token of each branch is
projected to the other's width, attends to the other's patch tokens, and is projected
back:

.. math::

    x^s_0 = [x^s_{cls};\ \mathrm{Patch}_{12}(I_{240})] + E^s_{pos},\qquad
    x^l_0 = [x^l_{cls};\ \mathrm{Patch}_{16}(I_{224})] + E^l_{pos}

    y^s = \mathrm{ViT}^N(x^s_{k-1}),\qquad y^l = \mathrm{ViT}^M(x^l_{k-1})

    x^s_k = \mathrm{CA}(y^s, y^l),\qquad x^l_k = \mathrm{CA}(y^l, y^s),\qquad
    k = 1 \dots K

    \mathrm{logits} = \tfrac12\big(W^s\,\mathrm{LN}(x^s_K)_0 + W^l\,\mathrm{LN}(x^l_K)_0\big)
    + \tfrac12 (b^s + b^l)

Both fusions of an encoder read the branches' states *before* that fusion. The two
heads classify their class tokens and the logits are averaged. The blocks are the
ViT's pre-norm blocks (:class:`~lucid.models.ViTEncoderBlock`, LayerNorm
:math:`\epsilon = 10^{-6}`). The *dagger* models (:math:`\dagger`, ``multi_conv``)
embed patches with three convolutions instead of one: 7 x 7 stride 4, then 3 x 3
stride 3 and 3 x 3 stride 1 (12 x 12 patches) or two 3 x 3 stride 2 (16 x 16), with
ReLUs between and widths :math:`C/4, C/2, C`.

The registered configurations (the paper's Table 1; 1000 classes; every model has
:math:`K = 3` encoders with :math:`N = 1` small-branch block and one cross-attention
per branch each):

==========================  ==========  =====  =======  ====================
name                        C_s, C_l    M      heads    MLP ratio
==========================  ==========  =====  =======  ====================
``crossvit_tiny``           96, 192     4      3        4
``crossvit_small``          192, 384    4      6        4
``crossvit_base``           384, 768    4      12       4
``crossvit_9``              128, 256    3      4        3
``crossvit_15``             192, 384    5      6        3
``crossvit_18``             224, 448    6      7        3
``crossvit_9_dagger``       128, 256    3      4        3, three-conv patches
``crossvit_15_dagger``      192, 384    5      6        3, three-conv patches
``crossvit_18_dagger``      224, 448    6      7        3, three-conv patches
==========================  ==========  =====  =======  ====================

The input image may have any size: each branch resizes it to its own ``img_size`` by
bicubic interpolation (PyTorch's ``interpolate(mode='bicubic')`` with
``align_corners=False``, the authors' choice) when the sizes differ; the resize is a
fixed linear map, :math:`I' = A_h I A_w^T`, written out as two matrices here.

The layout (``embeds``, ``blocks.k.branches``, ``blocks.k.fusion``, ``norms``,
``heads``) is lucid's; the parameters are timm's ``CrossVit``'s one for one (the tests
copy them by name and compare values and gradients), and every count equals timm's and
the original lucid's.
"""
import functools
import math

import numpy as np

from lucid import broadcast_to, concatenate, nn
from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.models._common import factory, init_normal
from lucid.models.vit import ViTEncoderBlock
from lucid.nn import init
from lucid.nn.modules.attention import _positive_int
from lucid.nn.parameter import Parameter

__all__ = ["MultiScaleBlock", "CrossViT", "crossvit_tiny", "crossvit_small", "crossvit_base",
           "crossvit_9", "crossvit_15", "crossvit_18", "crossvit_9_dagger",
           "crossvit_15_dagger", "crossvit_18_dagger"]

_EPS = 1e-6                                   # the LayerNorm epsilon of the whole model


def _cubic(t, a=-0.75):
    """The cubic convolution kernel of bicubic interpolation (Keys, :math:`a = -0.75` as
    in PyTorch) at distance ``t`` >= 0."""
    t = abs(t)
    if t <= 1:
        return ((a + 2) * t - (a + 3)) * t * t + 1
    if t < 2:
        return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return 0.0


@functools.lru_cache(maxsize=None)
def bicubic_matrix(size_in, size_out):
    r"""The ``(size_out, size_in)`` matrix of 1-d bicubic resizing, PyTorch's
    ``align_corners=False``: output :math:`o` reads the source position
    :math:`s = (o + \tfrac12)\,\tfrac{\mathrm{in}}{\mathrm{out}} - \tfrac12` and weighs
    the four inputs :math:`\lfloor s \rfloor - 1 \dots \lfloor s \rfloor + 2` (clamped to
    the edges) by the cubic kernel of their distance to :math:`s`."""
    matrix = np.zeros((size_out, size_in))
    scale = size_in / size_out
    for o in range(size_out):
        s = scale * (o + 0.5) - 0.5
        i = math.floor(s)
        for j in range(i - 1, i + 3):
            matrix[o, min(max(j, 0), size_in - 1)] += _cubic(s - j)
    matrix.setflags(write=False)
    return matrix


def _resize(x, size):
    """Images ``x`` ``(N, C, H, W)`` resized bicubically to ``size`` x ``size``."""
    h, w = x.shape[2:]
    if (h, w) == (size, size):
        return x
    rows = Tensor(bicubic_matrix(h, size).astype(x.data.dtype))
    cols = Tensor(bicubic_matrix(w, size).T.astype(x.data.dtype))
    return rows @ x @ cols


def _patch_projection(in_channels, dim, patch, multi_conv):
    """One convolution of kernel and stride ``patch``, or the dagger models' three."""
    if not multi_conv:
        return nn.Conv2d(in_channels, dim, patch, stride=patch)
    middle = (nn.Conv2d(dim // 4, dim // 2, 3, stride=3) if patch == 12 else
              nn.Conv2d(dim // 4, dim // 2, 3, stride=2, padding=1))
    last = (nn.Conv2d(dim // 2, dim, 3, padding=1) if patch == 12 else
            nn.Conv2d(dim // 2, dim, 3, stride=2, padding=1))
    return nn.Sequential(nn.Conv2d(in_channels, dim // 4, 7, stride=4, padding=3), nn.ReLU(),
                         middle, nn.ReLU(), last)


class _BranchEmbed(nn.Module):
    """A branch's input: resize, patches to tokens, class token, position embeddings."""

    def __init__(self, img_size, patch, in_channels, dim, multi_conv):
        super().__init__()
        self.img_size = img_size
        self.proj = _patch_projection(in_channels, dim, patch, multi_conv)
        self.cls_token = Parameter(np.zeros((1, 1, dim), np.float32))
        self.pos_embed = Parameter(np.zeros((1, 1 + (img_size // patch) ** 2, dim),
                                            np.float32))
        init.normal(self.cls_token, std=0.02)
        init.normal(self.pos_embed, std=0.02)

    def forward(self, x):
        tokens = rearrange(self.proj(_resize(x, self.img_size)), "n c h w -> n (h w) c")
        cls = broadcast_to(self.cls_token, (x.shape[0], 1, self.cls_token.shape[-1]))
        return concatenate([cls, tokens], axis=1) + self.pos_embed


class MultiScaleBlock(nn.Module):
    r"""One multi-scale encoder of CrossViT: a stack of ViT blocks per branch, then each
    branch's class token visits the next branch (:class:`~lucid.nn.CrossBranchAttention`).

    .. math:: y_b = \mathrm{ViT}^{D_b}(x_b),\qquad
              \mathrm{out}_b = \mathrm{CA}_b(y_b,\ y_{(b+1) \bmod B})

    Shapes: a list of ``B`` token tensors ``(N, 1 + L_b, C_b)``; returns a list of the
    same shapes.

    Backward: each output's class token back through its cross-attention to its own
    branch's class token and the next branch's patch tokens, the patch tokens straight
    through; then each branch's blocks in reverse.

    Parameters
    ----------
    dims : sequence of int
        :math:`C_b`, the branches' widths.
    depths : sequence of int
        :math:`D_b`, ViT blocks per branch (0 allowed).
    num_heads : sequence of int
        Heads per branch (the cross-attention into branch :math:`b+1` uses its heads).
    mlp_ratios : sequence of float
        MLP width / :math:`C_b` per branch.
    qkv_bias : bool, default True
        In the cross-attention (the ViT blocks always have biases).
    drop, attn_drop : float, default 0.0
    drop_path : sequence of float, optional
        Stochastic-depth rates: entry :math:`i` for block :math:`i` of every branch, the
        last entry for the cross-attentions too (the authors' rule; default: none).

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import MultiScaleBlock
    >>> block = MultiScaleBlock(dims=(4, 8), depths=(1, 2), num_heads=(2, 2),
    ...                         mlp_ratios=(2, 2))
    >>> out = block([lucid.random.randn(2, 17, 4), lucid.random.randn(2, 5, 8)])
    >>> [o.shape for o in out]
    [(2, 17, 4), (2, 5, 8)]
    """

    def __init__(self, dims, depths, num_heads, mlp_ratios, qkv_bias=True, drop=0.0,
                 attn_drop=0.0, drop_path=None):
        super().__init__()
        count = len(dims)
        rates = list(drop_path) if drop_path else [0.0] * max(max(depths), 1)
        self.branches = nn.ModuleList(
            nn.Sequential(*(ViTEncoderBlock(num_heads[b], dims[b], int(dims[b] * mlp_ratios[b]),
                                            drop, attn_drop, rates[i])
                            for i in range(depths[b])))
            for b in range(count))
        self.fusion = nn.ModuleList(
            nn.CrossBranchAttention(dims[b], dims[(b + 1) % count], num_heads[(b + 1) % count],
                                    qkv_bias, attn_drop, drop, rates[-1], _EPS)
            for b in range(count))

    def forward(self, xs):
        """The branches' tokens -> the branches' tokens after blocks and fusion."""
        ys = [branch(x) for branch, x in zip(self.branches, xs)]
        return [fuse(ys[b], ys[(b + 1) % len(ys)]) for b, fuse in enumerate(self.fusion)]


def _sequence(name, arg, value, length, kind=int):
    if (not isinstance(value, (tuple, list)) or len(value) != length
            or not all(isinstance(v, (int, float) if kind is float else int)
                       and not isinstance(v, bool) and v > 0 for v in value)):
        raise ValueError(f"{name}: {arg} must be {length} positive "
                         f"{'numbers' if kind is float else 'ints'} (one per branch); "
                         f"got {value!r}")
    return tuple(value)


class CrossViT(nn.Module):
    r"""CrossViT (see :mod:`lucid.models.crossvit`): branches of ViT blocks on different
    patch sizes, fused by cross-attention of their class tokens; the heads' logits
    averaged.

    Shapes: input ``(N, in_channels, H, W)`` of any size (each branch resizes it to its
    ``img_size``); output ``(N, num_classes)``.

    Backward: the mean of the heads, each head and final LayerNorm to its class token,
    the encoders in reverse (:class:`MultiScaleBlock`), then each branch's embedding
    (position embeddings and class tokens summed over the batch, the patch
    convolutions) and, when a branch resized, through the resize to the image.

    Parameters
    ----------
    img_size : sequence of int, default (240, 224)
        The side each branch resizes the image to.
    patch_size : sequence of int, default (12, 16)
        Each must divide its branch's ``img_size``; 12 or 16 when ``multi_conv``.
    in_channels : int, default 3
    num_classes : int, default 1000
    embed_dim : sequence of int, default (192, 384)
    depth : sequence of sequences of int, default ((1, 4, 0),) * 3
        One entry per multi-scale encoder: the ViT blocks of each branch, then the
        cross-attention layers, which must be 0 or 1 (the original's notation: 0, as in
        every published model, also means one cross-attention per branch).
    num_heads : sequence of int, default (6, 6)
    mlp_ratio : sequence of float, default (4, 4, 1)
        Per branch; a further last entry (the original's, for the cross-attention, which
        has no MLP) is accepted and unused.
    qkv_bias : bool, default True
    multi_conv : bool, default False
        The dagger models' three-convolution patch embedding.
    drop_rate, attn_drop_rate, drop_path_rate : float, default 0.0
        Dropout after the position embeddings and in the blocks; on the attention
        weights; stochastic depth rising linearly to ``drop_path_rate`` over each
        encoder's depth.

    Raises
    ------
    TypeError, ValueError
        Settings of different lengths, sizes that are not positive ints, a patch size
        not dividing its ``img_size``; in ``forward``, an input that is not
        ``(N, in_channels, H, W)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import CrossViT
    >>> net = CrossViT(img_size=(24, 16), patch_size=(6, 8), embed_dim=(8, 16),
    ...                depth=((1, 2, 0),), num_heads=(2, 2), mlp_ratio=(2, 2),
    ...                num_classes=3)
    >>> net(lucid.random.randn(2, 3, 24, 24)).shape   # the large branch resizes to 16
    (2, 3)
    """

    def __init__(self, img_size=(240, 224), patch_size=(12, 16), in_channels=3,
                 num_classes=1000, embed_dim=(192, 384), depth=((1, 4, 0),) * 3,
                 num_heads=(6, 6), mlp_ratio=(4, 4, 1), qkv_bias=True, multi_conv=False,
                 drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.0):
        super().__init__()
        name = "CrossViT"
        self.in_channels = _positive_int(name, "in_channels", in_channels)
        _positive_int(name, "num_classes", num_classes)
        count = len(embed_dim) if isinstance(embed_dim, (tuple, list)) else 0
        if count < 2:
            raise ValueError(f"{name}: embed_dim must give two or more branch widths; got "
                             f"{embed_dim!r}")
        dims = _sequence(name, "embed_dim", embed_dim, count)
        sizes = _sequence(name, "img_size", img_size, count)
        patches = _sequence(name, "patch_size", patch_size, count)
        heads = _sequence(name, "num_heads", num_heads, count)
        ratios = tuple(mlp_ratio)[:count] if isinstance(mlp_ratio, (tuple, list)) and \
            len(mlp_ratio) == count + 1 else mlp_ratio
        ratios = _sequence(name, "mlp_ratio", ratios, count, float)
        if (not isinstance(depth, (tuple, list)) or not depth
                or any(not isinstance(d, (tuple, list)) or len(d) != count + 1
                       or any(not isinstance(v, int) or v < 0 for v in d) or d[-1] > 1
                       for d in depth)):
            raise ValueError(f"{name}: depth must be one ({count} block counts, 0 or 1 "
                             f"cross-attention) entry per encoder; got {depth!r}")
        for size, patch in zip(sizes, patches):
            if size % patch or (multi_conv and patch not in (12, 16)):
                raise ValueError(f"{name}: each patch_size must divide its img_size (and be "
                                 f"12 or 16 when multi_conv); got {patches} for {sizes}")
        self.img_size = sizes
        self.embeds = nn.ModuleList(_BranchEmbed(s, p, in_channels, d, multi_conv)
                                    for s, p, d in zip(sizes, patches, dims))
        self.pos_drop = nn.Dropout(drop_rate)
        spans = [max(d[:-1]) + d[-1] for d in depth]        # the authors' rule
        rates = np.linspace(0, drop_path_rate, sum(spans)).tolist()
        blocks = []
        for d, span in zip(depth, spans):
            blocks.append(MultiScaleBlock(dims, d[:-1], heads, ratios, qkv_bias, drop_rate,
                                          attn_drop_rate, rates[:span]))
            rates = rates[span:]
        self.blocks = nn.ModuleList(blocks)
        self.norms = nn.ModuleList(nn.LayerNorm(d, eps=_EPS) for d in dims)
        self.heads = nn.ModuleList(nn.Linear(d, num_classes) for d in dims)
        init_normal(self, 0.02, kinds=(nn.Linear,))
        for module in self.modules():
            if isinstance(module, nn.MultiheadAttention):
                init.normal(module.in_proj_weight, std=0.02)
                init.zeros(module.in_proj_bias)

    def forward(self, x):
        """Logits of images ``x`` ``(N, in_channels, H, W)``."""
        if not isinstance(x, Tensor):
            raise TypeError(f"CrossViT: input must be a Tensor; got {type(x).__name__}")
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"CrossViT: expected input of shape (N, {self.in_channels}, H, "
                             f"W); got {x.shape}")
        xs = [self.pos_drop(embed(x)) for embed in self.embeds]
        for block in self.blocks:
            xs = block(xs)
        logits = [head(norm(t[:, 0])) for head, norm, t in zip(self.heads, self.norms, xs)]
        total = logits[0]
        for more in logits[1:]:
            total = total + more
        return total / len(logits)


def _crossvit(name, title, dims, blocks, heads, ratio, multi_conv=False):
    settings = dict(img_size=(240, 224), patch_size=(12, 16), embed_dim=dims,
                    depth=((1, blocks, 0),) * 3, num_heads=(heads, heads),
                    mlp_ratio=(ratio, ratio, 1), multi_conv=multi_conv)
    return factory(__name__, name, f"{title}: widths {dims}, {blocks} large-branch blocks "
                   f"per encoder, {heads} heads{', three-conv patches' if multi_conv else ''}.",
                   lambda num_classes, kwargs: CrossViT(**{**settings, **kwargs},
                                                        num_classes=num_classes),
                   "~lucid.models.CrossViT", hint="``img_size``, ``drop_path_rate``...")


crossvit_tiny = _crossvit("crossvit_tiny", "CrossViT-Ti", (96, 192), 4, 3, 4)
crossvit_small = _crossvit("crossvit_small", "CrossViT-S", (192, 384), 4, 6, 4)
crossvit_base = _crossvit("crossvit_base", "CrossViT-B", (384, 768), 4, 12, 4)
crossvit_9 = _crossvit("crossvit_9", "CrossViT-9", (128, 256), 3, 4, 3)
crossvit_15 = _crossvit("crossvit_15", "CrossViT-15", (192, 384), 5, 6, 3)
crossvit_18 = _crossvit("crossvit_18", "CrossViT-18", (224, 448), 6, 7, 3)
crossvit_9_dagger = _crossvit("crossvit_9_dagger", "CrossViT-9\u2020", (128, 256), 3, 4, 3, True)
crossvit_15_dagger = _crossvit("crossvit_15_dagger", "CrossViT-15\u2020", (192, 384), 5, 6, 3,
                               True)
crossvit_18_dagger = _crossvit("crossvit_18_dagger", "CrossViT-18\u2020", (224, 448), 6, 7, 3,
                               True)
