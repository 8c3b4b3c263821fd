r"""Xception (Chollet, 2017): Inception modules taken to the limit, as depthwise-separable
convolutions with residual connections.

"Xception: deep learning with depthwise separable convolutions", CVPR 2017. If an
Inception module maps cross-channel and spatial correlations separately, its extreme
form is a depthwise-separable convolution (:class:`~lucid.nn.DepthSeparableConv2d`: one
spatial filter per channel, then a 1x1 mix of the channels). Xception (the paper's
Fig. 5) is 36 such layers in 14 modules, all but the first and last with a residual
connection:

===========  ===================================================================
flow         layers
===========  ===================================================================
entry        conv 3x3/2 32, conv 3x3 64; three modules of 2 separable convolutions
             (128, 256, 728 channels) ending in 3x3/2 max pooling, each with a
             strided 1x1 convolution on the shortcut
middle       8 modules of 3 separable convolutions, 728 channels, identity shortcut
exit         a module of separable 728 and 1024 with pooling and a 1x1 shortcut;
             separable 1536 and 2048; global pooling; Linear
===========  ===================================================================

Every separable convolution is preceded by ReLU (except the very first of the entry
flow) and followed by batch norm; convolutions have no bias. 22,855,952 parameters for
1000 classes (the paper: 22.8M).
"""
from lucid import flatten, nn
from lucid.models._common import factory

__all__ = ["XceptionBlock", "Xception", "xception"]


class XceptionBlock(nn.Module):
    r"""An Xception module: ReLU, separable convolution, batch norm, repeated; max pooling
    when strided; a residual connection.

    .. math:: y = F(x) + s(x), \qquad
              F = [\mathrm{maxpool}] \circ (\mathrm{BN} \circ \mathrm{SepConv} \circ
              \mathrm{relu})^{\circ\,\text{reps}}

    with :math:`s` the identity, or a strided 1x1 convolution and batch norm when the
    shape changes. ``grow_first`` puts the channel change in the first separable
    convolution (else in the last); ``start_with_relu=False`` drops the first ReLU.

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, out_channels, ceil(H / stride), ceil(W / stride))``.

    Backward: through its layers and the residual sum.

    Parameters
    ----------
    in_channels, out_channels : int
    reps : int
    stride : int, default 1
    start_with_relu : bool, default True
    grow_first : bool, default True

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import XceptionBlock
    >>> block = XceptionBlock(8, 16, reps=2, stride=2)
    >>> block(lucid.random.randn(1, 8, 7, 7)).shape
    (1, 16, 4, 4)
    """

    def __init__(self, in_channels, out_channels, reps, stride=1, start_with_relu=True,
                 grow_first=True):
        super().__init__()
        if out_channels != in_channels or stride != 1:
            self.skip = nn.Conv2d(in_channels, out_channels, 1, stride, bias=False)
            self.skipbn = nn.BatchNorm2d(out_channels)
        else:
            self.skip = self.skipbn = None
        widths = ([in_channels] + [out_channels] * reps if grow_first
                  else [in_channels] * reps + [out_channels])
        layers = []
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:])):
            if i > 0 or start_with_relu:
                layers.append(nn.ReLU())
            layers += [nn.DepthSeparableConv2d(c_in, c_out, 3, padding=1, bias=False),
                       nn.BatchNorm2d(c_out)]
        if stride != 1:
            layers.append(nn.MaxPool2d(3, stride, 1))
        self.rep = nn.Sequential(*layers)

    def forward(self, x):
        """``F(x) + shortcut(x)``."""
        identity = x if self.skip is None else self.skipbn(self.skip(x))
        return self.rep(x) + identity


class Xception(nn.Module):
    r"""Xception: entry, middle and exit flows of separable convolutions (the paper's
    Fig. 5).

    .. math:: y = W\,\mathrm{vec}(\mathrm{avgpool}(\mathrm{exit}(\mathrm{middle}(
              \mathrm{entry}(x))))) + b

    Shapes: input ``(N, in_channels, H, W)`` (299 in the paper); output
    ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    num_classes : int, default 1000
    in_channels : int, default 3
    middle_blocks : int, default 8
        Modules of the middle flow.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import Xception
    >>> net = Xception(num_classes=10).eval()
    >>> net(lucid.random.randn(1, 3, 48, 48)).shape
    (1, 10)
    """

    def __init__(self, num_classes=1000, in_channels=3, middle_blocks=8):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 3, 2, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(32, 64, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        blocks = [XceptionBlock(64, 128, 2, 2, start_with_relu=False),
                  XceptionBlock(128, 256, 2, 2), XceptionBlock(256, 728, 2, 2),
                  *[XceptionBlock(728, 728, 3) for _ in range(middle_blocks)],
                  XceptionBlock(728, 1024, 2, 2, grow_first=False)]
        self.blocks = nn.Sequential(*blocks)
        self.conv3 = nn.DepthSeparableConv2d(1024, 1536, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(1536)
        self.conv4 = nn.DepthSeparableConv2d(1536, 2048, 3, padding=1, bias=False)
        self.bn4 = nn.BatchNorm2d(2048)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, C, H, W)``."""
        x = self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))))
        x = self.relu(self.bn3(self.conv3(self.blocks(x))))
        x = self.relu(self.bn4(self.conv4(x)))
        return self.fc(flatten(self.avgpool(x), 1))


xception = factory(__name__, "xception", "Xception, 22.9M parameters.",
                   lambda n, kw: Xception(num_classes=n, **kw), "~lucid.models.Xception",
                   hint="``in_channels``, ``middle_blocks``")
