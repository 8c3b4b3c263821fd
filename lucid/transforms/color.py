"""``RandomGrayscale``: sometimes replace a colour image by its grey levels."""
import numpy as np

from lucid.random import generator
from lucid.transforms._image import ImageTransform, check_probability

__all__ = ["RandomGrayscale", "to_grayscale"]

#: ITU-R 601-2 luma weights of red, green, blue (torchvision's tensor values)
LUMA = (0.2989, 0.587, 0.114)


def to_grayscale(image):
    r"""The luma of an RGB image, repeated over its 3 channels.

    .. math:: L = 0.2989\, R + 0.587\, G + 0.114\, B

    computed in the image's float dtype (float32 for integer images, then truncated back
    to the integer dtype, as torchvision's ``rgb_to_grayscale``).
    """
    work = image.dtype if image.dtype.kind == "f" else np.dtype(np.float32)
    r, g, b = (image[..., c, :, :] for c in range(3))
    luma = work.type(LUMA[0]) * r + work.type(LUMA[1]) * g + work.type(LUMA[2]) * b
    luma = luma.astype(image.dtype)
    return np.repeat(np.expand_dims(luma, -3), 3, axis=-3)


class RandomGrayscale(ImageTransform):
    r"""With probability ``p``, replace an RGB image by its grey levels (3 equal
    channels), as torchvision.

    .. math:: \text{out}_{c} = 0.2989\, R + 0.587\, G + 0.114\, B \quad (c = 0, 1, 2)
              \quad \text{if } u < p, \qquad u \sim \mathcal{U}[0, 1)

    (ITU-R 601-2 luma weights; see :func:`to_grayscale`), otherwise unchanged.
    :math:`u` is drawn from :func:`lucid.random.generator`. A one-channel image is
    already grey and is returned as it is.

    Parameters
    ----------
    p : float, default 0.1
        In [0, 1].

    Raises
    ------
    ValueError
        An image with other than 1 or 3 channels.

    Examples
    --------
    >>> import lucid
    >>> red = lucid.tensor([[[1.0]], [[0.0]], [[0.0]]])              # (3, 1, 1)
    >>> print(lucid.transforms.RandomGrayscale(p=1.0)(red))
    Tensor([[[0.2989]], [[0.2989]], [[0.2989]]])
    """

    def __init__(self, p=0.1):
        self.p = check_probability(p, "RandomGrayscale")

    def apply(self, image):
        channels = image.shape[-3]
        if channels not in (1, 3):
            raise ValueError(f"RandomGrayscale: expected an image with 1 or 3 channels (RGB); "
                             f"got {channels} channels, shape {image.shape}")
        if generator().random() < self.p and channels == 3:
            return to_grayscale(image)
        return image
