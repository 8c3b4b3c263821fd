r"""``LayerScale`` (Touvron et al., 2021): a learnt per-channel factor on a residual branch.

Deep residual networks train more stably when each branch starts nearly switched off:
multiplying its output by a per-channel :math:`\gamma` initialised to a small value
(1e-6 in ConvNeXt, 1e-5 or 0.1 in vision transformers) lets the network start close to
the identity and turn each branch on as it learns.
"""
import numpy as np

from lucid import ops
from lucid._checks import check_number
from lucid.nn.module import Module
from lucid.nn.modules._checks import tensor_input
from lucid.nn.modules.attention import _positive_int
from lucid.nn.parameter import Parameter

__all__ = ["LayerScale"]


class LayerScale(Module):
    r"""Scale each channel by a learnt factor: :math:`y = \gamma_c\, x`.

    .. math:: y_{\dots c \dots} = \gamma_c\, x_{\dots c \dots}, \qquad
              \gamma_c = \texttt{init\_value} \text{ at the start}

    where :math:`c` indexes the channel axis ``axis`` (1 for ``(N, C, H, W)``
    feature maps, -1 for ``(N, L, C)`` token sequences). The parameter is ``gamma``
    of shape ``(channels,)``.

    Shapes: the output has the input's shape.

    Backward: :math:`\partial L/\partial x = \gamma_c g`,
    :math:`\partial L/\partial \gamma_c = \sum g\, x` over every axis but ``axis``.

    Parameters
    ----------
    channels : int
    init_value : float, default 1e-6
    axis : int, default 1
        The channel axis of the input.

    Raises
    ------
    TypeError, ValueError
        Bad settings; (forward) an input whose ``axis`` does not have ``channels``
        entries.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> scale = nn.LayerScale(3, init_value=0.5)
    >>> scale
    LayerScale(3, init_value=0.5, axis=1)
    >>> print(scale(lucid.ones((1, 3, 1, 1))).reshape(3))
    Tensor([0.5, 0.5, 0.5], grad_fn=Reshape)
    >>> nn.LayerScale(4, axis=-1)(lucid.ones((2, 5, 4))).shape
    (2, 5, 4)
    """

    def __init__(self, channels, init_value=1e-6, axis=1):
        super().__init__()
        self.channels = _positive_int("LayerScale", "channels", channels)
        self.init_value = check_number(init_value, "LayerScale", "init_value")
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"LayerScale: axis must be an int; got {axis!r}")
        self.axis = int(axis)
        self.gamma = Parameter(np.full(self.channels, self.init_value, np.float32))

    def forward(self, x):
        """``gamma`` times ``x``, broadcast along ``axis``."""
        tensor_input("LayerScale", x)
        if not -x.ndim <= self.axis < x.ndim or x.shape[self.axis] != self.channels:
            raise ValueError(f"LayerScale: expected an input whose axis {self.axis} has "
                             f"{self.channels} entries; got shape {x.shape}")
        axis = self.axis % x.ndim
        shape = [1] * x.ndim
        shape[axis] = self.channels
        return x * ops.reshape(self.gamma, tuple(shape))

    def extra_repr(self):
        return f"{self.channels}, init_value={self.init_value}, axis={self.axis}"
