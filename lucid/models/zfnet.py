r"""ZFNet (Zeiler and Fergus, 2014): AlexNet with a finer first layer.

"Visualizing and understanding convolutional networks", ECCV 2014. Visualising
AlexNet's features showed aliasing from its 11x11 stride-4 first layer and dead filters;
the fix (the paper's Fig. 3 and Table 1) uses 7x7 filters with stride 2 in the first
layer and stride 2 in the second, and 384/384/256 filters in layers 3-5 (one tower):

==========  ==============================================================  ===============
block       layers                                                          output
==========  ==============================================================  ===============
features    Conv2d(3, 96, 7, stride 2, pad 1), ReLU, MaxPool(3, 2, pad 1)   96 x 55 x 55
            Conv2d(96, 256, 5, stride 2), ReLU, MaxPool(3, 2, pad 1)        256 x 13 x 13
            Conv2d(256, 384, 3, pad 1), ReLU                                384 x 13 x 13
            Conv2d(384, 384, 3, pad 1), ReLU                                384 x 13 x 13
            Conv2d(384, 256, 3, pad 1), ReLU, MaxPool(3, 2)                 256 x 6 x 6
avgpool     AdaptiveAvgPool2d(6)                                            256 x 6 x 6
classifier  Dropout, Linear(9216, 4096), ReLU, Dropout,                      num_classes
            Linear(4096, 4096), ReLU, Linear(4096, C)
==========  ==============================================================  ===============

(output sizes for a 224 x 224 input)

62,357,608 parameters for 1000 classes. The paper's contrast normalisation after the
first two pooling layers is left out (as in torchvision's AlexNet); it has no
parameters. Weights start as torchvision's AlexNet (PyTorch's default layer init).
"""
from lucid import flatten, nn
from lucid.models._common import factory
from lucid.models.alexnet import classifier

__all__ = ["ZFNet", "zfnet"]


class ZFNet(nn.Module):
    r"""ZFNet: five convolutions (7x7/2 first) and three fully connected layers.

    .. math:: y = \mathrm{classifier}(\mathrm{vec}(\mathrm{avgpool}(
              \mathrm{features}(x))))

    See :mod:`lucid.models.zfnet` for the table.

    Shapes: input ``(N, 3, H, W)`` with ``H, W >= 63`` (224 in the paper); output
    ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    num_classes : int, default 1000
    dropout : float, default 0.5

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import ZFNet
    >>> net = ZFNet(num_classes=10).eval()
    >>> net(lucid.random.randn(1, 3, 64, 64)).shape
    (1, 10)
    """

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 7, stride=2, padding=1), nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1),
            nn.Conv2d(96, 256, 5, stride=2), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = classifier(num_classes, dropout)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, 3, H, W)``."""
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


zfnet = factory(__name__, "zfnet", "ZFNet, 62.4M parameters.",
                lambda n, kw: ZFNet(num_classes=n, **kw), "~lucid.models.ZFNet", hint="``dropout``")
