r"""DenseNet (Huang, Liu, van der Maaten and Weinberger, 2017).

"Densely connected convolutional networks", CVPR 2017. Inside a *dense block* every
layer receives the feature maps of all the layers before it, concatenated, and adds
:math:`k` (the *growth rate*) new maps:

.. math:: x_\ell = H_\ell([x_0, x_1, \dots, x_{\ell-1}]), \qquad
          H_\ell = \mathrm{conv}_{3\times3}^{k} \circ \mathrm{relu} \circ \mathrm{BN}
          \circ \mathrm{conv}_{1\times1}^{4k} \circ \mathrm{relu} \circ \mathrm{BN}

(the *bottleneck* form, DenseNet-B). Between blocks a *transition* (BN, ReLU, 1x1
convolution halving the channels, 2x2 average pooling; DenseNet-C) shrinks the map.
The ImageNet nets (the paper's Table 1) use :math:`k = 32`, a 7x7/2 stem of 64 maps with
3x3/2 max pooling, four dense blocks and a final BN-ReLU, global pooling and Linear:

==============  ================  ==========
model           layers per block  parameters
==============  ================  ==========
DenseNet-121    6, 12, 24, 16     7,978,856
DenseNet-169    6, 12, 32, 32     14,149,480
DenseNet-201    6, 12, 48, 32     20,013,928
DenseNet-264    6, 12, 64, 48     33,337,704
==============  ================  ==========

Names of the state dict and the initialisation are torchvision's (``features.conv0``,
``features.denseblock1.denselayer1.conv1``, ..., ``classifier``; He-normal
convolutions, Linear bias 0).
"""
from collections import OrderedDict

from lucid import concatenate, flatten, nn
from lucid.models._common import factory
from lucid.nn import init

__all__ = ["DenseLayer", "DenseNet", "densenet_121", "densenet_169", "densenet_201",
           "densenet_264"]


def _bn_relu_conv(in_channels, out_channels, kernel_size, names):
    norm, relu, conv = names
    return [(norm, nn.BatchNorm2d(in_channels)), (relu, nn.ReLU()),
            (conv, nn.Conv2d(in_channels, out_channels, kernel_size,
                             padding=kernel_size // 2, bias=False))]


class DenseLayer(nn.Sequential):
    r"""One layer of a dense block: :math:`x \mapsto [x, H(x)]`.

    .. math:: H(x) = W_2 \circledast \mathrm{relu}(\mathrm{BN}(W_1 *
              \mathrm{relu}(\mathrm{BN}(x))))

    with :math:`W_1` a 1x1 convolution to ``bn_size * growth_rate`` channels and
    :math:`W_2` a 3x3 convolution to ``growth_rate``. The output is the input with the
    new maps concatenated on the channel axis.

    Shapes: input ``(N, C, H, W)``; output ``(N, C + growth_rate, H, W)``.

    Backward: the concatenation splits the gradient between the input (passed on) and
    :math:`H`.

    Parameters
    ----------
    in_channels, growth_rate : int
    bn_size : int, default 4
    dropout : float, default 0

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import DenseLayer
    >>> DenseLayer(8, growth_rate=4)(lucid.random.randn(2, 8, 5, 5)).shape
    (2, 12, 5, 5)
    """

    def __init__(self, in_channels, growth_rate, bn_size=4, dropout=0.0):
        layers = _bn_relu_conv(in_channels, bn_size * growth_rate, 1,
                               ("norm1", "relu1", "conv1"))
        layers += _bn_relu_conv(bn_size * growth_rate, growth_rate, 3,
                                ("norm2", "relu2", "conv2"))
        if dropout:
            layers.append(("dropout", nn.Dropout(dropout)))
        super().__init__(OrderedDict(layers))

    def forward(self, x):
        """``[x, H(x)]`` on the channel axis."""
        return concatenate([x, super().forward(x)], axis=1)


class DenseNet(nn.Module):
    r"""DenseNet-BC: a stem, dense blocks joined by transitions, BN-ReLU, pooling, Linear.

    .. math:: y = \mathrm{classifier}(\mathrm{vec}(\mathrm{avgpool}(\mathrm{relu}(
              \mathrm{features}(x)))))

    See :mod:`lucid.models.densenet` for the table.

    Shapes: input ``(N, in_channels, H, W)`` (224 in the paper); output
    ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    block_config : sequence of int
        Layers per dense block.
    growth_rate : int, default 32
    num_init_features : int, default 64
        Channels of the stem.
    bn_size : int, default 4
    dropout : float, default 0
        Inside every dense layer, after its 3x3 convolution.
    num_classes : int, default 1000
    in_channels : int, default 3

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import DenseNet
    >>> net = DenseNet([2, 2], growth_rate=8, num_init_features=16, num_classes=5).eval()
    >>> net(lucid.random.randn(1, 3, 32, 32)).shape
    (1, 5)
    """

    def __init__(self, block_config, growth_rate=32, num_init_features=64, bn_size=4,
                 dropout=0.0, num_classes=1000, in_channels=3):
        super().__init__()
        layers = [("conv0", nn.Conv2d(in_channels, num_init_features, 7, 2, 3, bias=False)),
                  ("norm0", nn.BatchNorm2d(num_init_features)), ("relu0", nn.ReLU()),
                  ("pool0", nn.MaxPool2d(3, stride=2, padding=1))]
        channels = num_init_features
        for i, count in enumerate(block_config, start=1):
            block = nn.Sequential(OrderedDict(
                (f"denselayer{j + 1}", DenseLayer(channels + j * growth_rate, growth_rate,
                                                  bn_size, dropout))
                for j in range(count)))
            layers.append((f"denseblock{i}", block))
            channels += count * growth_rate
            if i != len(block_config):
                layers.append((f"transition{i}", nn.Sequential(OrderedDict(
                    _bn_relu_conv(channels, channels // 2, 1, ("norm", "relu", "conv"))
                    + [("pool", nn.AvgPool2d(2, stride=2))]))))
                channels //= 2
        layers.append(("norm5", nn.BatchNorm2d(channels)))
        self.features = nn.Sequential(OrderedDict(layers))
        self.relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Linear(channels, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                init.kaiming_normal(module.weight)
            elif isinstance(module, nn.Linear):
                init.zeros(module.bias)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, C, H, W)``."""
        x = self.avgpool(self.relu(self.features(x)))
        return self.classifier(flatten(x, 1))


def _factory(depth, blocks):
    return factory(__name__, f"densenet_{depth}", f"DenseNet-{depth}: growth rate 32, dense "
                   f"blocks {tuple(blocks)}.",
                   lambda num_classes, kwargs: DenseNet(blocks, num_classes=num_classes,
                                                        **kwargs),
                   "~lucid.models.DenseNet", hint="``growth_rate``, ``dropout``...")


densenet_121 = _factory(121, [6, 12, 24, 16])
densenet_169 = _factory(169, [6, 12, 32, 32])
densenet_201 = _factory(201, [6, 12, 48, 32])
densenet_264 = _factory(264, [6, 12, 64, 48])
