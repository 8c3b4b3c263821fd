"""``RandomHorizontalFlip`` and ``RandomVerticalFlip``."""
import numpy as np

from lucid.random import generator
from lucid.transforms._image import ImageTransform, check_probability

__all__ = ["RandomHorizontalFlip", "RandomVerticalFlip"]


class RandomHorizontalFlip(ImageTransform):
    r"""Mirror the image left-right with probability ``p``.

    .. math:: \text{out}_{c, y, x} = \text{img}_{c, y, W - 1 - x}
              \quad \text{if } u < p, \qquad u \sim \mathcal{U}[0, 1)

    otherwise the image is returned unchanged. :math:`u` is drawn from
    :func:`lucid.random.generator` (so :func:`lucid.random.seed` repeats it).

    Parameters
    ----------
    p : float, default 0.5
        In [0, 1].

    Examples
    --------
    >>> import lucid
    >>> flip = lucid.transforms.RandomHorizontalFlip(p=1.0)
    >>> print(flip(lucid.tensor([[[1, 2, 3]]])))
    Tensor([[[3, 2, 1]]])
    """

    axis = -1

    def __init__(self, p=0.5):
        self.p = check_probability(p, type(self).__name__)

    def apply(self, image):
        if generator().random() < self.p:
            return np.flip(image, self.axis).copy()
        return image


class RandomVerticalFlip(RandomHorizontalFlip):
    r"""Mirror the image top-bottom with probability ``p``.

    .. math:: \text{out}_{c, y, x} = \text{img}_{c, H - 1 - y, x}
              \quad \text{if } u < p, \qquad u \sim \mathcal{U}[0, 1)

    otherwise unchanged; :math:`u` from :func:`lucid.random.generator`.

    Parameters
    ----------
    p : float, default 0.5
        In [0, 1].

    Examples
    --------
    >>> import lucid
    >>> flip = lucid.transforms.RandomVerticalFlip(p=1.0)
    >>> print(flip(lucid.tensor([[[1], [2]]])))
    Tensor([[[2], [1]]])
    """

    axis = -2
