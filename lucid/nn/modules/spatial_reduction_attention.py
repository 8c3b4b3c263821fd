r"""Spatial-reduction attention (PVT, Wang et al., 2021 and 2022): global self-attention
whose keys and values come from a shrunken copy of the map.

Attention between all :math:`L = HW` tokens of a feature map costs :math:`O(L^2)`,
too much at the high resolutions of a pyramid's first stages. The Pyramid Vision
Transformer keeps every token as a query but computes keys and values from the map
reduced :math:`R` times along each side: a convolution of kernel and stride :math:`R`
followed by LayerNorm (:math:`O(L^2 / R^2)`). PVT v2's *linear* variant pools the map
to a fixed :math:`7 \times 7` instead (then a 1 x 1 convolution, LayerNorm and GELU), so
the cost grows linearly with :math:`L`.
"""
from lucid.einops import rearrange
from lucid.nn import functional as F
from lucid.nn.module import Module
from lucid.nn.modules._checks import map_or_tokens
from lucid.nn.modules.activation import GELU
from lucid.nn.modules.attention import _positive_int
from lucid.nn.modules.conv import Conv2d
from lucid.nn.modules.dropout import Dropout
from lucid.nn.modules.linear import Linear
from lucid.nn.modules.norm import LayerNorm
from lucid.nn.modules.pooling import AdaptiveAvgPool2d

__all__ = ["SpatialReductionAttention"]


class SpatialReductionAttention(Module):
    r"""Multi-head attention of every token to a spatially reduced copy of the map (PVT).

    With tokens :math:`X \in \mathbb R^{L \times C}` of an :math:`H \times W` map
    (:math:`L = HW`), :math:`h` heads of size :math:`d = C/h`:

    .. math::

        Q = X W_q^T + b_q,\qquad
        \tilde X = \mathrm{SR}(X),\qquad [K; V] = \tilde X W_{kv}^T + b_{kv}

        Y = \mathrm{softmax}\Big(\frac{Q K^T}{\sqrt d}\Big) V\, W_{proj}^T + b_{proj}

    where :math:`\mathrm{SR}` is the identity for ``sr_ratio`` :math:`R = 1`;
    :math:`\mathrm{LN}(\mathrm{Conv}_{R \times R,\,\text{stride } R}(X))` for
    :math:`R > 1` (``sr``, ``norm``: :math:`L/R^2` keys); and, when ``linear``,
    :math:`\mathrm{GELU}(\mathrm{LN}(\mathrm{Conv}_{1\times 1}(\mathrm{AvgPool}_{7
    \times 7}(X))))` (``pool``, ``sr``, ``norm``, ``act``: 49 keys).

    Shapes: input a map ``(N, H, W, C)`` (channels last), or its tokens ``(N, L, C)`` in
    row-major order with ``size`` = ``(H, W)``, :math:`HW = L` (needed only when the map
    is reduced, ``sr_ratio > 1`` or ``linear``: without reduction any :math:`L` works, and
    PVT v1 puts a class token in front in its last stage); output of the input's shape.

    Backward: through the output projection, the products and softmax, the query
    projection and, for keys and values, the reduction (convolution, pooling, LayerNorm,
    GELU) back to the tokens.

    Parameters
    ----------
    dim : int
        :math:`C`.
    num_heads : int
        :math:`h`; must divide ``dim``.
    sr_ratio : int, default 1
        :math:`R`.
    qkv_bias : bool, default True
    attn_drop, proj_drop : float, default 0.0
    linear : bool, default False
        PVT v2's linear spatial-reduction attention (pool to 7 x 7).

    Raises
    ------
    TypeError, ValueError
        Bad sizes; in ``forward``, tokens that are not ``(N, L, dim)`` or a ``size`` whose
        product is not :math:`L` when the map is reduced.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> attn = nn.SpatialReductionAttention(dim=8, num_heads=2, sr_ratio=2)
    >>> x = lucid.random.randn(3, 4 * 6, 8)                   # a 4 x 6 map
    >>> attn(x, (4, 6)).shape
    (3, 24, 8)
    >>> attn(lucid.random.randn(3, 4, 6, 8)).shape             # the map itself
    (3, 4, 6, 8)
    >>> attn.count_parameters()          # q, kv, proj: 4*8*8 + 4*8; sr: 8*8*2*2 + 8; norm: 16
    568
    """

    def __init__(self, dim, num_heads, sr_ratio=1, qkv_bias=True, attn_drop=0.0, proj_drop=0.0,
                 linear=False):
        super().__init__()
        name = "SpatialReductionAttention"
        self.dim = _positive_int(name, "dim", dim)
        self.num_heads = _positive_int(name, "num_heads", num_heads)
        self.sr_ratio = _positive_int(name, "sr_ratio", sr_ratio)
        if dim % num_heads:
            raise ValueError(f"{name}: num_heads ({num_heads}) must divide dim ({dim})")
        self.linear = bool(linear)
        self.q = Linear(dim, dim, bias=qkv_bias)
        self.kv = Linear(dim, 2 * dim, bias=qkv_bias)
        self.attn_drop = Dropout(attn_drop)
        self.proj = Linear(dim, dim)
        self.proj_drop = Dropout(proj_drop)
        self.pool = self.sr = self.norm = self.act = None
        if self.linear:
            self.pool = AdaptiveAvgPool2d(7)
            self.sr = Conv2d(dim, dim, 1)
            self.norm = LayerNorm(dim)
            self.act = GELU()
        elif sr_ratio > 1:
            self.sr = Conv2d(dim, dim, sr_ratio, stride=sr_ratio)
            self.norm = LayerNorm(dim)

    def forward(self, x, size=None):
        """Attend from every token of ``x`` ``(N, L, C)`` to the reduced map of ``size``."""
        name = "SpatialReductionAttention"
        map_or_tokens(name, x, self.dim)
        if x.ndim == 4:
            n, h, w, c = x.shape
            out = self.forward(x.reshape(n, h * w, c), (h, w))
            return out.reshape(n, h, w, c)
        source = x
        if self.sr is not None:
            if (not isinstance(size, (tuple, list)) or len(size) != 2
                    or size[0] * size[1] != x.shape[1]):
                raise ValueError(f"{name}: size must be the map's (H, W) with H * W = L = "
                                 f"{x.shape[1]} when the map is reduced; got {size!r}")
            h, w = size
            grid = rearrange(x, "n (h w) c -> n c h w", h=h, w=w)
            if self.pool is not None:
                grid = self.pool(grid)
            source = self.norm(rearrange(self.sr(grid), "n c h w -> n (h w) c"))
            if self.act is not None:
                source = self.act(source)
        heads = self.num_heads
        q = rearrange(self.q(x), "n l (h d) -> n h l d", h=heads)
        kv = rearrange(self.kv(source), "n m (k h d) -> k n h m d", k=2, h=heads)
        scores = (q * (self.dim // heads) ** -0.5) @ kv[0].swapaxes(-2, -1)
        attn = self.attn_drop(F.softmax(scores, axis=-1))
        out = rearrange(attn @ kv[1], "n h l d -> n l (h d)")
        return self.proj_drop(self.proj(out))
