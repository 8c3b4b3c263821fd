r"""Sub-pixel layers: ``PixelShuffle`` and ``PixelUnshuffle``.

Thin :class:`~lucid.nn.Module` classes over :func:`lucid.nn.functional.pixel_shuffle`
and :func:`lucid.nn.functional.pixel_unshuffle`, which document the index map. No
parameters; the factor is checked when the layer is made.
"""
from lucid._checks import check_int
from lucid.nn import functional as F
from lucid.nn.module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    r"""Rearrange ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)`` (sub-pixel upsampling).

    .. math:: y[\dots, c, h r + i, w r + j] = x[\dots, c r^2 + i r + j, h, w]

    Backward: the inverse permutation (see :func:`lucid.nn.functional.pixel_shuffle`).

    Parameters
    ----------
    upscale_factor : int
        :math:`r`, positive.

    Raises
    ------
    TypeError, ValueError
        A bad factor; (forward) channels not divisible by :math:`r^2`.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> up = nn.Sequential(nn.Conv2d(3, 3 * 4, 3, padding=1), nn.PixelShuffle(2))
    >>> up[1]
    PixelShuffle(upscale_factor=2)
    >>> up(lucid.random.randn(1, 3, 8, 8)).shape
    (1, 3, 16, 16)
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = check_int(upscale_factor, "PixelShuffle", "upscale_factor", 1)

    def forward(self, x):
        """Shuffle ``x`` of shape ``(*, C r^2, H, W)``."""
        return F.pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    r"""Rearrange ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)`` (space to depth).

    .. math:: y[\dots, c r^2 + i r + j, h, w] = x[\dots, c, h r + i, w r + j]

    Backward: the inverse permutation (see :func:`lucid.nn.functional.pixel_unshuffle`).

    Parameters
    ----------
    downscale_factor : int
        :math:`r`, positive.

    Raises
    ------
    TypeError, ValueError
        A bad factor; (forward) a height or width not divisible by :math:`r`.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> down = nn.PixelUnshuffle(2)
    >>> down
    PixelUnshuffle(downscale_factor=2)
    >>> down(lucid.random.randn(1, 3, 8, 8)).shape
    (1, 12, 4, 4)
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = check_int(downscale_factor, "PixelUnshuffle",
                                          "downscale_factor", 1)

    def forward(self, x):
        """Unshuffle ``x`` of shape ``(*, C, H r, W r)``."""
        return F.pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
