r"""ResNet-18 and ResNet-34 (He, Zhang, Ren and Sun, 2016), torchvision's layout.

"Deep residual learning for image recognition", CVPR 2016. A 7x7 stem, four stages of
*basic blocks* (two 3x3 convolutions with a shortcut), global average pooling and one
Linear layer:

=========  ======================================================  ==================
block      layers                                                  output (224 input)
=========  ======================================================  ==================
stem       conv1 7x7/2 (64, no bias), bn1, relu, maxpool 3x3/2 pad 1  64 x 56 x 56
layer1     n1 BasicBlocks, 64 channels                             64 x 56 x 56
layer2     n2 BasicBlocks, 128 channels, the first with stride 2   128 x 28 x 28
layer3     n3 BasicBlocks, 256 channels, the first with stride 2   256 x 14 x 14
layer4     n4 BasicBlocks, 512 channels, the first with stride 2   512 x 7 x 7
head       avgpool (AdaptiveAvgPool2d(1)), flatten, fc Linear(512, C)  num_classes
=========  ======================================================  ==================

ResNet-18 has blocks (2, 2, 2, 2) and 11,689,512 parameters; ResNet-34 (3, 4, 6, 3) and
21,797,672 (1000 classes, as torchvision). A block's shortcut is the identity, or
(``downsample``) a 1x1 convolution with stride and a batch norm when the shape changes
(torchvision's "option B"). Names of the state dict are torchvision's: ``conv1``,
``bn1``, ``layer1.0.conv1``, ``layer2.0.downsample.0``, ..., ``fc``.
"""
from lucid import flatten, nn
from lucid.models._common import init_like_torchvision
from lucid.models._registry import register_model

__all__ = ["BasicBlock", "ResNet", "resnet18", "resnet34"]


class BasicBlock(nn.Module):
    r"""Two 3x3 conv-BN layers and a shortcut: :math:`y = \mathrm{relu}(F(x) + s(x))`.

    .. math:: F(x) = \mathrm{bn_2}(\mathrm{conv_2}(\mathrm{relu}(
              \mathrm{bn_1}(\mathrm{conv_1}(x)))))

    with :math:`s` the identity, or ``downsample`` (1x1 conv with ``stride`` + BN) when
    ``stride != 1`` or the channel count changes.

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, channels, ceil(H / stride), ceil(W / stride))``.

    Backward: through its layers; the addition passes the gradient to both branches.

    Parameters
    ----------
    in_channels : int
    channels : int
        Output channels of both convolutions.
    stride : int, default 1
        Of the first convolution (and of the shortcut).

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import BasicBlock
    >>> block = BasicBlock(8, 16, stride=2)
    >>> block(lucid.random.randn(1, 8, 10, 10)).shape
    (1, 16, 5, 5)
    >>> [name for name, _ in block.named_children()]
    ['conv1', 'bn1', 'relu', 'conv2', 'bn2', 'downsample']
    """

    expansion = 1

    def __init__(self, in_channels, channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(channels))
        else:
            self.downsample = None

    def forward(self, x):
        """``relu(F(x) + shortcut(x))``."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class ResNet(nn.Module):
    r"""A ResNet of basic blocks: stem, four stages, global pooling, Linear.

    .. math:: y = \mathrm{fc}(\mathrm{vec}(\mathrm{avgpool}(\mathrm{layer_4}(\cdots
              \mathrm{layer_1}(\mathrm{stem}(x))))))

    See :mod:`lucid.models.resnet` for the table. Weights start as torchvision's:
    He-normal (fan-out) convolutions, batch-norm weight 1 and bias 0, the default
    Linear init.

    Shapes: input ``(N, 3, H, W)`` (any ``H, W >= 1``; 224 in the paper); output
    ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    layers : sequence of 4 ints
        Blocks per stage: ``(2, 2, 2, 2)`` for ResNet-18, ``(3, 4, 6, 3)`` for 34.
    num_classes : int, default 1000
    block : type, default BasicBlock

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import ResNet
    >>> net = ResNet([1, 1, 1, 1], num_classes=10).eval()
    >>> net(lucid.random.randn(1, 3, 32, 32)).shape
    (1, 10)
    >>> net.count_parameters()
    4910922
    """

    def __init__(self, layers, num_classes=1000, block=BasicBlock):
        super().__init__()
        self.in_channels = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._stage(block, 64, layers[0], stride=1)
        self.layer2 = self._stage(block, 128, layers[1], stride=2)
        self.layer3 = self._stage(block, 256, layers[2], stride=2)
        self.layer4 = self._stage(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        init_like_torchvision(self)

    def _stage(self, block, channels, count, stride):
        """``count`` blocks; the first may change the stride and the channel count."""
        blocks = [block(self.in_channels, channels, stride)]
        self.in_channels = channels * block.expansion
        blocks += [block(self.in_channels, channels) for _ in range(count - 1)]
        return nn.Sequential(*blocks)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, 3, H, W)``."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(flatten(self.avgpool(x), 1))


@register_model
def resnet18(num_classes=1000):
    """ResNet-18: basic blocks (2, 2, 2, 2), torchvision's layout (see :class:`ResNet`).

    Parameters
    ----------
    num_classes : int, default 1000

    Returns
    -------
    ResNet

    Examples
    --------
    >>> from lucid import models
    >>> models.resnet18().count_parameters()
    11689512
    """
    return ResNet([2, 2, 2, 2], num_classes=num_classes)


@register_model
def resnet34(num_classes=1000):
    """ResNet-34: basic blocks (3, 4, 6, 3), torchvision's layout (see :class:`ResNet`).

    Parameters
    ----------
    num_classes : int, default 1000

    Returns
    -------
    ResNet

    Examples
    --------
    >>> from lucid import models
    >>> models.resnet34(num_classes=10).fc
    Linear(in_features=512, out_features=10, bias=True)
    """
    return ResNet([3, 4, 6, 3], num_classes=num_classes)
