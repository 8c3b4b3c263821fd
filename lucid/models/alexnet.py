r"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012), torchvision's single-GPU layout.

"ImageNet classification with deep convolutional neural networks", NeurIPS 2012. The
layout is torchvision's (from "One weird trick...", Krizhevsky 2014: 64/192 filters in
the first two layers, no local response normalisation), so the parameter count for
1000 classes is torchvision's, 61,100,840:

==========  =========================================================  ===============
block       layers                                                     output
==========  =========================================================  ===============
features    Conv2d(3, 64, 11, stride 4, pad 2), ReLU, MaxPool(3, 2)    64 x 27 x 27
            Conv2d(64, 192, 5, pad 2), ReLU, MaxPool(3, 2)             192 x 13 x 13
            Conv2d(192, 384, 3, pad 1), ReLU                           384 x 13 x 13
            Conv2d(384, 256, 3, pad 1), ReLU                           256 x 13 x 13
            Conv2d(256, 256, 3, pad 1), ReLU, MaxPool(3, 2)            256 x 6 x 6
avgpool     AdaptiveAvgPool2d(6)                                       256 x 6 x 6
classifier  Dropout, Linear(9216, 4096), ReLU,                         num_classes
            Dropout, Linear(4096, 4096), ReLU, Linear(4096, C)
==========  =========================================================  ===============

(output sizes for a 224 x 224 input)

The adaptive pooling makes any input of at least 63 x 63 pixels work.
"""
from lucid import flatten, nn
from lucid.models._common import factory

__all__ = ["AlexNet", "alexnet"]


def _features():
    """The five convolutions of the table (torchvision's ``AlexNet.features``)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )


def classifier(num_classes, dropout):
    """AlexNet's (and ZFNet's) head: dropout, Linear(9216, 4096), ReLU, dropout,
    Linear(4096, 4096), ReLU, Linear(4096, num_classes)."""
    return nn.Sequential(
        nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes))


class AlexNet(nn.Module):
    r"""AlexNet: five convolutions and three fully connected layers.

    .. math:: y = \mathrm{classifier}(\mathrm{vec}(\mathrm{avgpool}(
              \mathrm{features}(x))))

    (the blocks of :mod:`lucid.models.alexnet`). State-dict names are torchvision's
    (``features.0.weight`` ... ``classifier.6.bias``).

    Shapes: input ``(N, 3, H, W)`` with ``H, W >= 63`` (224 in the paper); output
    ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    num_classes : int, default 1000
    dropout : float, default 0.5
        Probability of the two dropout layers (active in training mode only).

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import AlexNet
    >>> net = AlexNet(num_classes=10).eval()
    >>> net(lucid.random.randn(1, 3, 63, 63)).shape
    (1, 10)
    """

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = _features()
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = classifier(num_classes, dropout)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, 3, H, W)``."""
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))


alexnet = factory(__name__, "alexnet", "AlexNet, torchvision's layout, 61.1M parameters.",
                  lambda n, kw: AlexNet(num_classes=n, **kw), "~lucid.models.AlexNet",
                  hint="``dropout``")
