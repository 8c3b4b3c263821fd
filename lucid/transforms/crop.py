"""``CenterCrop`` and ``RandomCrop``: cut an ``(h, w)`` window out of a CHW image."""
import numpy as np

from lucid._checks import check_bool, is_int
from lucid.random import generator
from lucid.transforms._image import ImageTransform, check_fill, check_size

__all__ = ["CenterCrop", "RandomCrop", "pad_image"]


def pad_image(image, left, top, right, bottom, fill=0.0):
    """``image`` with ``fill`` added around its last two axes (constant padding)."""
    widths = [(0, 0)] * (image.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(image, widths, mode="constant", constant_values=np.asarray(fill).astype(image.dtype))


def _padding(padding, name):
    """``padding`` as ``(left, top, right, bottom)`` non-negative ints, as torchvision:
    an int pads all sides, a pair ``(lr, tb)`` left/right and top/bottom."""
    if is_int(padding):
        sides = (padding,) * 4
    elif isinstance(padding, (tuple, list)) and len(padding) in (2, 4) and all(is_int(p) for p in padding):
        sides = tuple(padding) * 2 if len(padding) == 2 else tuple(padding)
    else:
        raise TypeError(f"{name}: padding must be an int or a sequence of 2 or 4 ints; got {padding!r}")
    if any(p < 0 for p in sides):
        raise ValueError(f"{name}: padding must be non-negative; got {padding!r}")
    return tuple(int(p) for p in sides)


class CenterCrop(ImageTransform):
    r"""Cut the central ``(h, w)`` window out of the image.

    .. math:: \text{out}_{c, y, x} = \text{img}_{c, t + y, l + x}, \qquad
              t = \text{round}\big(\tfrac{H - h}{2}\big), \quad
              l = \text{round}\big(\tfrac{W - w}{2}\big)

    (Python's ``round``, ties to even, as torchvision). An image smaller than the crop
    is first padded with zeros on both sides, as torchvision does.

    Parameters
    ----------
    size : int or (int, int)
        The crop ``(h, w)``; an int gives a square.

    Examples
    --------
    >>> import lucid
    >>> img = lucid.arange(16).reshape(1, 4, 4)
    >>> print(lucid.transforms.CenterCrop(2)(img))
    Tensor([[[5, 6], [9, 10]]])
    """

    def __init__(self, size):
        self.size = check_size(size, "CenterCrop")

    def apply(self, image):
        h, w = self.size
        height, width = image.shape[-2:]
        if h > height or w > width:
            pad_h, pad_w = max(h - height, 0), max(w - width, 0)
            image = pad_image(image, pad_w // 2, pad_h // 2, (pad_w + 1) // 2, (pad_h + 1) // 2)
            height, width = image.shape[-2:]
        top = int(round((height - h) / 2.0))
        left = int(round((width - w) / 2.0))
        return image[..., top:top + h, left:left + w].copy()


class RandomCrop(ImageTransform):
    r"""Cut an ``(h, w)`` window at a random place out of the (optionally padded) image.

    .. math:: \text{out}_{c, y, x} = \text{img}_{c, t + y, l + x}, \qquad
              t \sim \mathcal{U}\{0, \dots, H - h\}, \quad l \sim \mathcal{U}\{0, \dots, W - w\}

    :math:`t` then :math:`l` are drawn from :func:`lucid.random.generator`, so
    :func:`lucid.random.seed` repeats them. With ``padding`` the image is first padded
    with ``fill`` (torchvision's order: ``(left, top, right, bottom)``); with
    ``pad_if_needed`` a side shorter than the crop is padded by the difference on both
    ends, as torchvision.

    Parameters
    ----------
    size : int or (int, int)
        The crop ``(h, w)``; an int gives a square.
    padding : int or sequence of 2 or 4 ints, optional
        An int pads every side; ``(lr, tb)`` left/right and top/bottom;
        ``(left, top, right, bottom)`` each side.
    pad_if_needed : bool, default False
    fill : number, default 0

    Raises
    ------
    TypeError, ValueError
        Bad arguments; an input that is not a CHW image; an image (after padding)
        smaller than the crop.

    Examples
    --------
    >>> import lucid
    >>> crop = lucid.transforms.RandomCrop(4, padding=2)
    >>> lucid.random.seed(0)
    >>> out = crop(lucid.ones((1, 4, 4)))
    >>> out.shape
    (1, 4, 4)
    >>> lucid.random.seed(0)
    >>> bool((crop(lucid.ones((1, 4, 4))).data == out.data).all())
    True
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0):
        self.size = check_size(size, "RandomCrop")
        self.padding = None if padding is None else _padding(padding, "RandomCrop")
        self.pad_if_needed = check_bool(pad_if_needed, "RandomCrop", "pad_if_needed")
        self.fill = check_fill(fill, "RandomCrop")

    def apply(self, image):
        h, w = self.size
        if self.padding is not None:
            image = pad_image(image, *self.padding, fill=self.fill)
        height, width = image.shape[-2:]
        if self.pad_if_needed and width < w:
            image = pad_image(image, w - width, 0, w - width, 0, fill=self.fill)
        if self.pad_if_needed and height < h:
            image = pad_image(image, 0, h - height, 0, h - height, fill=self.fill)
        height, width = image.shape[-2:]
        if height < h or width < w:
            raise ValueError(f"RandomCrop: the crop size {(h, w)} is larger than the image "
                             f"{(height, width)} (after padding); pass padding or pad_if_needed=True")
        rng = generator()
        top = int(rng.integers(0, height - h + 1))
        left = int(rng.integers(0, width - w + 1))
        return image[..., top:top + h, left:left + w].copy()
