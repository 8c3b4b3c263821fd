r"""Convolutional token embedding (CvT, Wu et al., 2021): overlapping patches to tokens.

A ViT cuts the image into disjoint patches; CvT embeds *overlapping* ones, with a
strided convolution whose kernel is larger than its stride, followed by a LayerNorm on
each token. Applied at the start of every stage it shrinks the map and widens the
tokens, as a CNN's stages do.
"""
from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.nn.module import Module
from lucid.nn.modules.attention import _positive_int
from lucid.nn.modules.conv import Conv2d
from lucid.nn.modules.norm import LayerNorm

__all__ = ["ConvTokenEmbedding"]


class ConvTokenEmbedding(Module):
    r"""Embed an image or feature map as a map of tokens: a strided convolution, then
    LayerNorm over the channels of each position.

    .. math:: z_{h,w} = \mathrm{LN}\big((W * x)_{h,w} + b\big) \in \mathbb R^{C},
              \qquad H' = \Big\lfloor \frac{H + 2p - k}{s} \Big\rfloor + 1

    Shapes: input ``(N, C_in, H, W)``; output ``(N, H', W', C)`` (channels last: one
    token per position).

    Backward: through the LayerNorm and the convolution (see :class:`~lucid.nn.Conv2d`).

    Parameters
    ----------
    in_channels : int
    embed_dim : int
        :math:`C`.
    kernel_size : int, default 7
    stride : int, default 4
    padding : int, default 2
        CvT's stages use (7, 4, 2) for the image and (3, 2, 1) after.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> embed = nn.ConvTokenEmbedding(3, 8)
    >>> embed(lucid.random.randn(2, 3, 32, 32)).shape
    (2, 8, 8, 8)
    >>> embed.count_parameters()                # 3*8*7*7 + 8 (conv) + 2*8 (LayerNorm)
    1200
    """

    def __init__(self, in_channels, embed_dim, kernel_size=7, stride=4, padding=2):
        super().__init__()
        self.embed_dim = _positive_int("ConvTokenEmbedding", "embed_dim", embed_dim)
        self.proj = Conv2d(in_channels, embed_dim, kernel_size, stride=stride, padding=padding)
        self.norm = LayerNorm(embed_dim)

    def forward(self, x):
        """``(N, C_in, H, W)`` -> ``(N, H', W', C)``."""
        if not isinstance(x, Tensor) or x.ndim != 4:
            given = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"ConvTokenEmbedding: expected input of shape (N, C, H, W); "
                             f"got {given}")
        return self.norm(rearrange(self.proj(x), "n c h w -> n h w c"))
