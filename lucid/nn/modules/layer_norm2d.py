r"""``LayerNorm2d``: layer normalisation over the channels of a ``(N, C, H, W)`` feature map.

:class:`~lucid.nn.LayerNorm` normalises the *last* axes, which suits token sequences
``(N, L, C)``. Convolutional networks that borrow it (ConvNeXt, InceptionNeXt) need the
channel axis of an image-shaped tensor normalised at every pixel on its own; this layer
moves the channels last, applies :func:`~lucid.nn.functional.layer_norm`, and moves them
back.
"""
import numpy as np

from lucid import ops
from lucid.nn import functional as F
from lucid._checks import check_number
from lucid.nn.module import Module
from lucid.nn.modules._checks import layer_input
from lucid.nn.modules.attention import _positive_int
from lucid.nn.parameter import Parameter

__all__ = ["LayerNorm2d"]


class LayerNorm2d(Module):
    r"""Layer normalisation over the channel axis of ``(N, C, H, W)``, per pixel.

    .. math:: y_{n c h w} = \gamma_c\,\frac{x_{n c h w} - \mu_{n h w}}
              {\sqrt{\sigma^2_{n h w} + \epsilon}} + \beta_c, \qquad
              \mu_{n h w} = \frac1C \sum_c x_{n c h w}

    (:math:`\sigma^2` the biased variance over :math:`c`). It equals
    ``LayerNorm(C)`` applied to the input permuted to ``(N, H, W, C)`` and permuted
    back. Parameters ``weight`` (:math:`\gamma`, ones) and ``bias`` (:math:`\beta`,
    zeros) of shape ``(C,)``.

    Shapes: input ``(N, C, H, W)``; the output has its shape.

    Backward: that of :func:`~lucid.nn.functional.layer_norm` (fused), through the two
    transposes.

    Parameters
    ----------
    num_channels : int
    eps : float, default 1e-6
        ConvNeXt's value (``LayerNorm``'s default is 1e-5).

    Raises
    ------
    TypeError, ValueError
        Bad settings; (forward) an input not ``(N, num_channels, H, W)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> norm = nn.LayerNorm2d(4)
    >>> y = norm(lucid.random.randn(2, 4, 3, 3))
    >>> y.shape, abs(float(y.data[0, :, 1, 2].mean())) < 1e-6
    ((2, 4, 3, 3), True)
    """

    def __init__(self, num_channels, eps=1e-6):
        super().__init__()
        self.num_channels = _positive_int("LayerNorm2d", "num_channels", num_channels)
        self.eps = check_number(eps, "LayerNorm2d", "eps", 0.0, None)
        self.weight = Parameter(np.ones(self.num_channels, np.float32))
        self.bias = Parameter(np.zeros(self.num_channels, np.float32))

    def forward(self, x):
        """Normalise the channels of ``x`` ``(N, C, H, W)`` at every pixel."""
        layer_input("LayerNorm2d", x, 2, self.num_channels, unbatched=False)
        y = F.layer_norm(ops.transpose(x, (0, 2, 3, 1)), (self.num_channels,), self.weight,
                         self.bias, self.eps)
        return ops.transpose(y, (0, 3, 1, 2))

    def extra_repr(self):
        return f"{self.num_channels}, eps={self.eps}"
