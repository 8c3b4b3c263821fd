r"""Attention with convolutional projections (CvT, Wu et al., 2021).

A ViT makes queries, keys and values with a Linear map of each token alone. CvT first
mixes each token with its neighbours on the map: a depthwise 3 x 3 convolution and
batch norm per projection, then the Linear map. The keys and values use stride 2, so
attention looks at a map four times smaller (*squeezed* projection), as PVT's
spatial reduction does with a learnt convolution.
"""
from lucid import concatenate
from lucid.einops import rearrange
from lucid.nn import functional as F
from lucid.nn.containers import Sequential
from lucid.nn.module import Module
from lucid.nn.modules._checks import map_or_tokens
from lucid.nn.modules.attention import _positive_int
from lucid.nn.modules.conv import Conv2d
from lucid.nn.modules.dropout import Dropout
from lucid.nn.modules.linear import Linear
from lucid.nn.modules.norm import BatchNorm2d

__all__ = ["ConvProjectionAttention"]


def _depthwise_bn(dim, kernel_size, stride):
    """``Sequential(conv, bn)``: depthwise k x k convolution (no bias), batch norm."""
    conv = Conv2d(dim, dim, kernel_size, stride=stride, padding=kernel_size // 2, groups=dim,
                  bias=False)
    return Sequential(conv, BatchNorm2d(dim))


class ConvProjectionAttention(Module):
    r"""Multi-head self-attention whose queries, keys and values are convolutional
    projections of the token map (CvT).

    For a map :math:`X` of :math:`H \times W` tokens of size :math:`C`, with :math:`h`
    heads:

    .. math::

        Q = \mathrm{flat}(\mathrm{BN}(\mathrm{DW}^{s_q}_q * X)) W_q^T + b_q,\quad
        K = \mathrm{flat}(\mathrm{BN}(\mathrm{DW}^{s_{kv}}_k * X)) W_k^T + b_k,\quad
        V = \dots

        Y = \mathrm{softmax}\big(Q K^T / \sqrt{C}\big)\, V\, W_o^T + b_o \quad
        \text{(per head)}

    with :math:`\mathrm{DW}^s` a depthwise ``kernel_size`` convolution of stride
    :math:`s` (1 for queries, 2 for keys and values by default). The scores are divided
    by :math:`\sqrt{C}`, the whole width, as the authors' code does (not by the head
    size). With ``with_cls_token`` the first token is a class token: it skips the
    convolutions and joins queries, keys and values in front.

    Shapes: input a map ``(N, H, W, C)``, or tokens ``(N, L, C)`` with ``size`` =
    ``(H, W)`` (:math:`L = HW`, plus 1 with a class token); output of the input's shape.

    Backward: through the output projection, the attention products and softmax, the
    Linear maps, batch norms and depthwise convolutions back to the map (and the class
    token's own path).

    Parameters
    ----------
    dim : int
        :math:`C`.
    num_heads : int
        Must divide ``dim``.
    kernel_size : int, default 3
    stride_q, stride_kv : int, default 1, 2
    qkv_bias : bool, default True
    attn_drop, proj_drop : float, default 0.0
    with_cls_token : bool, default False

    Raises
    ------
    TypeError, ValueError
        Bad sizes; in ``forward``, input that is not a map or tokens of ``size``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> attn = nn.ConvProjectionAttention(8, num_heads=2)
    >>> attn(lucid.random.randn(2, 4, 6, 8)).shape
    (2, 4, 6, 8)
    >>> attn.count_parameters()       # 3 x (9*8 + 2*8) + 4 x (8*8 + 8)
    552
    """

    def __init__(self, dim, num_heads, kernel_size=3, stride_q=1, stride_kv=2, qkv_bias=True,
                 attn_drop=0.0, proj_drop=0.0, with_cls_token=False):
        super().__init__()
        name = "ConvProjectionAttention"
        self.dim = _positive_int(name, "dim", dim)
        self.num_heads = _positive_int(name, "num_heads", num_heads)
        if dim % num_heads:
            raise ValueError(f"{name}: num_heads ({num_heads}) must divide dim ({dim})")
        for arg, value in (("kernel_size", kernel_size), ("stride_q", stride_q),
                           ("stride_kv", stride_kv)):
            _positive_int(name, arg, value)
        self.with_cls_token = bool(with_cls_token)
        self.conv_proj_q = _depthwise_bn(dim, kernel_size, stride_q)
        self.conv_proj_k = _depthwise_bn(dim, kernel_size, stride_kv)
        self.conv_proj_v = _depthwise_bn(dim, kernel_size, stride_kv)
        self.proj_q = Linear(dim, dim, bias=qkv_bias)
        self.proj_k = Linear(dim, dim, bias=qkv_bias)
        self.proj_v = Linear(dim, dim, bias=qkv_bias)
        self.attn_drop = Dropout(attn_drop)
        self.proj = Linear(dim, dim)
        self.proj_drop = Dropout(proj_drop)

    def forward(self, x, size=None):
        """Attend within the map ``x`` (``(N, H, W, C)``, or tokens with ``size``)."""
        name = "ConvProjectionAttention"
        map_or_tokens(name, x, self.dim)
        if x.ndim == 4:
            n, h, w, c = x.shape
            out = self.forward(x.reshape(n, h * w, c), (h, w))
            return out.reshape(n, h, w, c)
        cls = int(self.with_cls_token)
        if (not isinstance(size, (tuple, list)) or len(size) != 2
                or size[0] * size[1] + cls != x.shape[1]):
            raise ValueError(f"{name}: size must be the map's (H, W) with H * W + {cls} = "
                             f"L = {x.shape[1]}; got {size!r}")
        h, w = size
        grid = rearrange(x[:, cls:], "n (h w) c -> n c h w", h=h, w=w)

        def project(conv, linear):
            tokens = rearrange(conv(grid), "n c h w -> n (h w) c")
            if cls:
                tokens = concatenate([x[:, :1], tokens], axis=1)
            return rearrange(linear(tokens), "n l (h d) -> n h l d", h=self.num_heads)

        q = project(self.conv_proj_q, self.proj_q)
        k = project(self.conv_proj_k, self.proj_k)
        v = project(self.conv_proj_v, self.proj_v)
        scores = (q @ k.swapaxes(-2, -1)) * self.dim ** -0.5
        attn = self.attn_drop(F.softmax(scores, axis=-1))
        out = rearrange(attn @ v, "n h l d -> n l (h d)")
        return self.proj_drop(self.proj(out))
