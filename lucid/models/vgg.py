r"""VGG-11, -13, -16 and -19 (Simonyan and Zisserman, 2015), torchvision's layouts
without BN.

"Very deep convolutional networks for large-scale image recognition", ICLR 2015.
Configurations "A" (VGG-11), "B" (VGG-13), "D" (VGG-16) and "E" (VGG-19) of the
paper's Table 1: stacks of 3x3
convolutions (padding 1, each followed by ReLU) separated by 2x2 max pooling, then
torchvision's ``AdaptiveAvgPool2d(7)`` and three fully connected layers:

==========  =========================================================================
block       layers
==========  =========================================================================
features    VGG-11: 64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M
            VGG-13: 64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M
            VGG-16: 64, 64, M, 128, 128, M, 256 x3, M, 512 x3, M, 512 x3, M
            VGG-19: 64, 64, M, 128, 128, M, 256 x4, M, 512 x4, M, 512 x4, M
            (a number is Conv2d(., n, 3, padding=1) + ReLU; M is MaxPool2d(2))
avgpool     AdaptiveAvgPool2d(7)
classifier  Linear(25088, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Dropout,
            Linear(4096, num_classes)
==========  =========================================================================

Parameters for 1000 classes: 132,863,336 (VGG-11), 133,047,848 (VGG-13), 138,357,544
(VGG-16) and 143,667,240 (VGG-19), as torchvision's and the paper's Table 2 (133, 133,
138 and 144 million). Inputs must be at least 32 x 32 (five halvings). Weights start as in
torchvision: He-normal (fan-out) convolutions, zero biases, Linear
:math:`\mathcal N(0, 0.01^2)`.
"""
from lucid import flatten, nn
from lucid.models._common import factory, init_like_torchvision

__all__ = ["VGG", "VGG_CONFIGS", "vggnet_11", "vggnet_13", "vggnet_16", "vggnet_19"]

VGG_CONFIGS = {
    "vgg11": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg13": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg16": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"),
    "vgg19": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"),
}


def _features(config, in_channels=3):
    """The convolutional trunk of a VGG configuration: numbers are convs, 'M' pools."""
    layers = []
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(in_channels, item, kernel_size=3, padding=1), nn.ReLU()]
            in_channels = item
    return nn.Sequential(*layers)


class VGG(nn.Module):
    r"""VGG: a configuration of 3x3 conv stacks, then three fully connected layers.

    .. math:: y = \mathrm{classifier}(\mathrm{vec}(\mathrm{avgpool}(
              \mathrm{features}(x))))

    State-dict names are torchvision's (``features.0.weight`` ...
    ``classifier.6.bias``).

    Shapes: input ``(N, 3, H, W)`` with ``H, W >= 32``; output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    config : sequence of int or 'M'
        The trunk, e.g. ``VGG_CONFIGS["vgg16"]``.
    num_classes : int, default 1000
    dropout : float, default 0.5
    hidden_features : int, default 4096
        Width of the two hidden fully connected layers (4096 in the paper; smaller
        for toy versions).

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import VGG
    >>> toy = VGG([8, "M", 16, "M"], num_classes=10, hidden_features=32).eval()
    >>> toy(lucid.random.randn(2, 3, 16, 16)).shape
    (2, 10)
    >>> toy.classifier[0]
    Linear(in_features=784, out_features=32, bias=True)
    """

    def __init__(self, config, num_classes=1000, dropout=0.5, hidden_features=4096):
        super().__init__()
        self.features = _features(config)
        channels = [item for item in config if item != "M"][-1]
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(channels * 7 * 7, hidden_features), nn.ReLU(), nn.Dropout(p=dropout),
            nn.Linear(hidden_features, hidden_features), nn.ReLU(), nn.Dropout(p=dropout),
            nn.Linear(hidden_features, num_classes),
        )
        init_like_torchvision(self, linear_std=0.01)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, 3, H, W)``."""
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))


def _factory(depth, letter):
    config = VGG_CONFIGS[f"vgg{depth}"]
    return factory(__name__, f"vggnet_{depth}", f"VGG-{depth} (configuration {letter}), "
                   "torchvision's layout without batch norm.",
                   lambda num_classes, kwargs: VGG(config, num_classes=num_classes, **kwargs),
                   "~lucid.models.VGG", hint="``dropout``, ``hidden_features``",
                   aliases=(f"vgg{depth}",) if depth in (11, 16) else ())


vggnet_11 = _factory(11, "A")
vggnet_13 = _factory(13, "B")
vggnet_16 = _factory(16, "D")
vggnet_19 = _factory(19, "E")
