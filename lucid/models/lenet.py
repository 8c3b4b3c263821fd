r"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998), as it is commonly built today.

"Gradient-based learning applied to document recognition", Proc. IEEE 86(11), 1998.

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
from lucid.models._registry import register_model

__all__ = ["LeNet5", "lenet_5"]


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


@register_model
def lenet_5(num_classes=10):
    """LeNet-5 for ``1 x 32 x 32`` inputs (see :class:`LeNet5`).

    Parameters
    ----------
    num_classes : int, default 10

    Returns
    -------
    LeNet5

    Examples
    --------
    >>> from lucid import models
    >>> models.lenet_5(num_classes=10).fc3.out_features
    10
    """
    return LeNet5(num_classes=num_classes)
