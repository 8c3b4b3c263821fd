r"""LeNet-1, LeNet-4 and LeNet-5 (LeCun et al., 1989-1998), as commonly built today.

"Gradient-based learning applied to document recognition", Proc. IEEE 86(11), 1998;
LeNet-1 and LeNet-4 are described in "Comparison of learning algorithms for
handwritten digit recognition" (LeCun et al., ICANN 1995): two convolution and
subsampling stages on a ``28 x 28`` digit, then one (LeNet-1) or two (LeNet-4) fully
connected layers. LeNet-1 has 4 and 12 feature maps and 3,246 parameters. LeNet-4 has
"about 17,000 free parameters" in the 1995 paper, which gives no full layer table; the
original lucid's reading is kept (4 and 12 maps, a hidden layer of 84): 18,378
parameters. Both use ``tanh`` and 2x2 average pooling, like LeNet-5:

=========  ==================================  =====================================
model      features (input ``1 x 28 x 28``)    classifier
=========  ==================================  =====================================
LeNet-1    C5 4, P2, C5 12, P2 (12 x 4 x 4)    Linear(192, C)
LeNet-4    C5 4, P2, C5 12, P2 (12 x 4 x 4)    Linear(192, 84), tanh, Linear(84, C)
=========  ==================================  =====================================

LeNet-5 (input ``1 x 32 x 32``; MNIST's ``28 x 28`` digits are padded by 2 pixels on
every side, as in the paper):

The layout (input ``1 x 32 x 32``; MNIST's ``28 x 28`` digits are padded by 2 pixels on
every side, as in the paper):

=======  ==========================================  ==============
layer    operation                                   output
=======  ==========================================  ==============
conv1    Conv2d(1, 6, 5) + Tanh                      6 x 28 x 28
pool1    AvgPool2d(2) (the paper's "subsampling")    6 x 14 x 14
conv2    Conv2d(6, 16, 5) + Tanh                     16 x 10 x 10
pool2    AvgPool2d(2)                                16 x 5 x 5
fc1      Linear(400, 120) + Tanh                     120
fc2      Linear(120, 84) + Tanh                      84
fc3      Linear(84, num_classes)                     num_classes
=======  ==========================================  ==============

Simplifications of the paper kept by the common version: C3 connects every input map
(the paper used a sparse table), the subsampling layers have no trainable coefficient,
and the output is a Linear layer instead of Euclidean RBF units. 61,706 parameters for
10 classes.
"""
from lucid import flatten, nn
from lucid.models._common import factory

__all__ = ["LeNet", "LeNet5", "lenet_1", "lenet_4", "lenet_5"]


class LeNet(nn.Module):
    r"""LeNet-1 / LeNet-4: two 5x5 conv + tanh + 2x2 average-pool stages, then Linear
    layers with tanh between them.

    .. math:: y = W_k 	anh(\cdots 	anh(W_1\,\mathrm{vec}(P(	anh(C_2 * P(	anh(
              C_1 * x))))))\cdots)

    Shapes: input ``(N, 1, 28, 28)``; output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    channels : tuple of 2 ints
        Feature maps of the two convolutions.
    hidden : sequence of int
        Widths of the hidden Linear layers (empty for LeNet-1).
    num_classes : int, default 10

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import LeNet
    >>> net = LeNet((4, 12), hidden=[84])          # LeNet-4
    >>> net(lucid.random.randn(2, 1, 28, 28)).shape, net.count_parameters()
    ((2, 10), 18378)
    """

    def __init__(self, channels, hidden=(), num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels[0], kernel_size=5)
        self.conv2 = nn.Conv2d(channels[0], channels[1], kernel_size=5)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)
        self.act = nn.Tanh()
        widths = [channels[1] * 4 * 4, *hidden, num_classes]
        self.fcs = nn.ModuleList([nn.Linear(a, b) for a, b in zip(widths, widths[1:])])

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, 1, 28, 28)``."""
        x = self.pool(self.act(self.conv1(x)))
        x = flatten(self.pool(self.act(self.conv2(x))), 1)
        for fc in self.fcs[:-1]:
            x = self.act(fc(x))
        return self.fcs[-1](x)


lenet_1 = factory(__name__, "lenet_1", "LeNet-1: 4 and 12 feature maps, one Linear layer; "
                  "3,246 parameters.", lambda n, kw: LeNet((4, 12), (), n, **kw),
                  "~lucid.models.LeNet", num_classes=10)
lenet_4 = factory(__name__, "lenet_4", "LeNet-4: 4 and 12 feature maps, a hidden layer of 84; "
                  "18,378 parameters.", lambda n, kw: LeNet((4, 12), (84,), n, **kw),
                  "~lucid.models.LeNet", num_classes=10)


class LeNet5(nn.Module):
    r"""LeNet-5: two conv + average-pool stages and three fully connected layers.

    .. math:: y = W_3\,\tanh(W_2\,\tanh(W_1\,\mathrm{vec}(
              P(\tanh(C_2 * P(\tanh(C_1 * x)))))))

    with :math:`C_i` the 5x5 convolutions, :math:`P` 2x2 average pooling and
    :math:`W_i` the Linear layers (biases omitted). See :mod:`lucid.models.lenet`.

    Shapes: input ``(N, 1, 32, 32)``; output ``(N, num_classes)`` (logits).

    Backward: through its layers (``loss.backward()`` fills every parameter's grad).

    Parameters
    ----------
    num_classes : int, default 10

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import LeNet5
    >>> net = LeNet5(num_classes=10)
    >>> net(lucid.random.randn(2, 1, 32, 32)).shape
    (2, 10)
    >>> net.count_parameters()
    61706
    """

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)
        self.act = nn.Tanh()
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, 1, 32, 32)``."""
        x = self.pool(self.act(self.conv1(x)))
        x = self.pool(self.act(self.conv2(x)))
        x = flatten(x, 1)
        x = self.act(self.fc1(x))
        x = self.act(self.fc2(x))
        return self.fc3(x)


lenet_5 = factory(__name__, "lenet_5", "LeNet-5 for ``1 x 32 x 32`` inputs, 61,706 parameters.",
                  lambda n, kw: LeNet5(num_classes=n, **kw), "~lucid.models.LeNet5",
                  num_classes=10, examples="""    >>> from lucid import models
    >>> models.lenet_5(num_classes=10).fc3.out_features
    10
""")
