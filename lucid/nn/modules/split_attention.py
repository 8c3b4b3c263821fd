r"""``SplitAttention``: ResNeSt's split-attention convolution (Zhang et al., 2020).

A grouped convolution makes :math:`r` (the *radix*) feature maps per cardinal group;
their sum, averaged over space, goes through a small two-layer network that gives one
weight per split and channel; a softmax across the :math:`r` splits turns these into
an attention, and the output is the attention-weighted sum of the splits. With
:math:`r = 1` the softmax becomes a sigmoid and the block is a squeeze-excitation on a
grouped convolution.
"""
from lucid import ops
from lucid.nn import functional as F
from lucid.nn.module import Module
from lucid.nn.modules._checks import layer_input
from lucid.nn.modules.activation import ReLU
from lucid.nn.modules.attention import _positive_int
from lucid.nn.modules.conv import Conv2d
from lucid.nn.modules.norm import BatchNorm2d

__all__ = ["SplitAttention"]


class SplitAttention(Module):
    r"""Split-attention convolution (ResNeSt), :math:`r` splits in each of :math:`K` groups.

    .. math::

        U = \mathrm{relu}(\mathrm{BN}(W * x)) = [U_1, \dots, U_r], \qquad
        s = \frac{1}{HW} \sum_{h,w} \sum_{i=1}^{r} U_i

        a = W_2\, \mathrm{relu}(\mathrm{BN}(W_1 s + b_1)) + b_2, \qquad
        \alpha_{i c} = \frac{e^{a_{i c}}}{\sum_{j=1}^{r} e^{a_{j c}}}, \qquad
        y_c = \sum_{i=1}^{r} \alpha_{i c}\, U_{i c}

    :math:`W` (``conv``) is a :math:`k \times k` convolution to :math:`rC` channels in
    :math:`rK` groups (bias-free, batch norm ``bn0``); :math:`W_1` (``fc1``, 1x1 in
    :math:`K` groups, to :math:`\max(C_{in} r / 4, 32)` channels, batch norm ``bn1``)
    and :math:`W_2` (``fc2``, 1x1 in :math:`K` groups, back to :math:`rC`) compute
    the logits; the softmax runs over the splits of each channel (the *r-softmax*).
    With ``radix=1``, :math:`\alpha = \sigma(a)`.

    Shapes: input ``(N, in_channels, H, W)``; output ``(N, channels, H_out, W_out)``
    with the convolution's output size.

    Backward: through the weighted sum (to the splits and to the attention), the
    softmax, the attention layers and the convolution.

    Parameters
    ----------
    in_channels, channels : int
        :math:`C_{in}` and the output width :math:`C`.
    kernel_size : int, default 3
    stride : int, default 1
    padding : int, optional
        Default ``kernel_size // 2 * dilation``.
    dilation : int, default 1
    groups : int, default 1
        The cardinality :math:`K`.
    radix : int, default 2
        :math:`r`.
    reduction : int, default 4
        The attention width is ``max(in_channels * radix // reduction, 32)``.

    Raises
    ------
    TypeError, ValueError
        Sizes that are not positive ints, ``channels`` not divisible by ``groups``;
        (forward) an input not ``(N, in_channels, H, W)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> split = nn.SplitAttention(16, 16, radix=2, groups=1)
    >>> split(lucid.random.randn(2, 16, 5, 5)).shape
    (2, 16, 5, 5)
    >>> split.conv.weight.shape, split.fc1.weight.shape, split.fc2.weight.shape
    ((32, 8, 3, 3), (32, 16, 1, 1), (32, 32, 1, 1))
    """

    def __init__(self, in_channels, channels, kernel_size=3, stride=1, padding=None,
                 dilation=1, groups=1, radix=2, reduction=4):
        super().__init__()
        name = "SplitAttention"
        for arg, value in (("in_channels", in_channels), ("channels", channels),
                           ("kernel_size", kernel_size), ("stride", stride),
                           ("dilation", dilation), ("groups", groups), ("radix", radix),
                           ("reduction", reduction)):
            _positive_int(name, arg, value)
        if channels % groups:
            raise ValueError(f"{name}: channels ({channels}) must be divisible by groups "
                             f"({groups})")
        self.in_channels, self.channels = in_channels, channels
        self.radix, self.groups = radix, groups
        inter = max(in_channels * radix // reduction, 32)
        if padding is None:
            padding = kernel_size // 2 * dilation
        self.conv = Conv2d(in_channels, channels * radix, kernel_size, stride, padding,
                           dilation, groups=groups * radix, bias=False)
        self.bn0 = BatchNorm2d(channels * radix)
        self.relu = ReLU()
        self.fc1 = Conv2d(channels, inter, 1, groups=groups)
        self.bn1 = BatchNorm2d(inter)
        self.fc2 = Conv2d(inter, channels * radix, 1, groups=groups)

    def forward(self, x):
        """The attention-weighted sum of the splits of ``x`` ``(N, C_in, H, W)``."""
        layer_input("SplitAttention", x, 2, self.in_channels, unbatched=False)
        n, r, c, k = x.shape[0], self.radix, self.channels, self.groups
        u = self.relu(self.bn0(self.conv(x)))
        h, w = u.shape[2], u.shape[3]
        splits = ops.reshape(u, (n, r, c, h, w))
        s = ops.mean(ops.sum(splits, axis=1), axis=(2, 3), keepdims=True)     # (N, C, 1, 1)
        logits = self.fc2(self.relu(self.bn1(self.fc1(s))))                  # (N, rC, 1, 1)
        if r > 1:   # fc2's channels run (group, split, channel): softmax over the splits
            logits = ops.reshape(logits, (n, k, r, c // k))
            alpha = ops.transpose(F.softmax(logits, axis=2), (0, 2, 1, 3))
        else:
            alpha = F.sigmoid(logits)
        alpha = ops.reshape(alpha, (n, r, c, 1, 1))
        return ops.sum(alpha * splits, axis=1)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.channels}, radix={self.radix}, "
                f"groups={self.groups}")
