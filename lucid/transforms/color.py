"""Colour transforms: ``RandomGrayscale`` (sometimes replace a colour image by its grey
levels) and ``ColorJitter`` (random brightness, contrast, saturation and hue)."""
import numpy as np

from lucid._checks import is_number
from lucid.random import generator
from lucid.transforms._image import ImageTransform, cast_like, check_probability

__all__ = ["RandomGrayscale", "ColorJitter", "to_grayscale"]

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


# ------------------------------------------------------------------- ColorJitter
def _jitter_range(value, name, arg, centre, low_bound, high_bound=None):
    """torchvision's rule: a number ``v`` means ``[centre - v, centre + v]`` (clipped
    below at ``low_bound``), a pair ``(lo, hi)`` is taken as it is; None: no jitter."""
    if value is None:
        return None
    if is_number(value):
        if value < 0:
            raise ValueError(f"{name}: {arg} must be non-negative; got {value}")
        lo, hi = max(centre - value, low_bound), centre + value
    elif (isinstance(value, (tuple, list)) and len(value) == 2
          and all(is_number(v) for v in value)):
        lo, hi = float(value[0]), float(value[1])
    else:
        raise TypeError(f"{name}: {arg} must be a number or a pair (min, max); got {value!r}")
    top = high_bound if high_bound is not None else float("inf")
    if not low_bound <= lo <= hi <= top:
        raise ValueError(f"{name}: {arg} range must satisfy {low_bound} <= min <= max"
                         + (f" <= {high_bound}" if high_bound is not None else "")
                         + f"; got ({lo}, {hi})")
    return None if lo == hi == centre else (float(lo), float(hi))


def _blend(image, other, ratio, bound):
    """``ratio * image + (1 - ratio) * other``, clipped to [0, bound]."""
    return np.clip(ratio * image + (1.0 - ratio) * other, 0.0, bound)


def _rgb_to_hsv(rgb):
    """RGB in [0, 1] (channel axis -3) to hue, saturation, value, each in [0, 1]."""
    r, g, b = (rgb[..., c, :, :] for c in range(3))
    maxc, minc = np.maximum(np.maximum(r, g), b), np.minimum(np.minimum(r, g), b)
    delta = maxc - minc
    safe = np.where(delta == 0, 1.0, delta)
    s = np.where(maxc == 0, 0.0, delta / np.where(maxc == 0, 1.0, maxc))
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(delta == 0, 0.0, (h / 6.0) % 1.0)
    return h, s, maxc


def _hsv_to_rgb(h, s, v):
    """Hue, saturation, value in [0, 1] back to RGB (channel axis -3)."""
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))
    i = i.astype(int) % 6
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    rgb = [np.select([i == k for k in range(6)], [c[ch] for c in choices]) for ch in range(3)]
    return np.stack(rgb, axis=-3)


class ColorJitter(ImageTransform):
    r"""Randomly change the brightness, contrast, saturation and hue of an image
    (torchvision's ``ColorJitter``).

    For each call, factors are drawn uniformly from the given ranges and the four
    adjustments are applied in a random order. With :math:`x` the image (values in
    :math:`[0, 1]` for float images, :math:`[0, 255]` for integer ones, bound
    :math:`B`) and :math:`G` its grey levels (:func:`to_grayscale`):

    .. math::

        	ext{brightness } b:&\quad x \leftarrow \mathrm{clip}(b\,x, 0, B) \
        	ext{contrast } c:&\quad x \leftarrow \mathrm{clip}(c\,x + (1 - c)\,ar G, 0, B)
            \quad (ar G 	ext{ the mean grey level of each image}) \
        	ext{saturation } s:&\quad x \leftarrow \mathrm{clip}(s\,x + (1 - s)\,G, 0, B) \
        	ext{hue } h:&\quad 	ext{the HSV hue } H \leftarrow (H + h) mod 1

    A number :math:`v` for brightness, contrast or saturation means the range
    :math:`[\max(0, 1 - v), 1 + v]`; for hue, :math:`[-v, v]` with :math:`v \le 0.5`;
    a pair ``(min, max)`` gives the range itself. Saturation and hue leave a
    one-channel image as it is. Integer images are computed in float and rounded
    back. Draws come from :func:`lucid.random.generator` (:func:`lucid.random.seed`
    repeats them).

    Parameters
    ----------
    brightness, contrast, saturation : float or (float, float), optional
        Non-negative; default 0 (no change).
    hue : float or (float, float), optional
        In [0, 0.5] (a pair in [-0.5, 0.5]); default 0.

    Raises
    ------
    TypeError, ValueError
        A factor that is not a non-negative number or a valid pair; (call) an image
        with other than 1 or 3 channels.

    Examples
    --------
    >>> import lucid
    >>> img = lucid.tensor([[[0.5]], [[0.25]], [[0.0]]])          # (3, 1, 1)
    >>> print(lucid.transforms.ColorJitter(brightness=(2.0, 2.0))(img))
    Tensor([[[1.0]], [[0.5]], [[0.0]]])
    >>> print(lucid.transforms.ColorJitter(hue=(0.5, 0.5))(img))     # orange -> azure
    Tensor([[[0.0]], [[0.25]], [[0.5]]])
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        name = "ColorJitter"
        self.brightness = _jitter_range(brightness, name, "brightness", 1.0, 0.0)
        self.contrast = _jitter_range(contrast, name, "contrast", 1.0, 0.0)
        self.saturation = _jitter_range(saturation, name, "saturation", 1.0, 0.0)
        if is_number(hue) and hue > 0.5:
            raise ValueError(f"{name}: hue must lie in [0, 0.5]; got {hue}")
        self.hue = _jitter_range(hue, name, "hue", 0.0, -0.5, 0.5)

    def apply(self, image):
        channels = image.shape[-3]
        if channels not in (1, 3):
            raise ValueError(f"ColorJitter: expected an image with 1 or 3 channels (RGB); "
                             f"got {channels} channels, shape {image.shape}")
        rng = generator()
        order = rng.permutation(4)
        factors = [None if r is None else rng.uniform(r[0], r[1])
                   for r in (self.brightness, self.contrast, self.saturation, self.hue)]
        if all(f is None for f in factors):
            return image
        bound = 1.0 if image.dtype.kind == "f" else 255.0
        work = image.dtype if image.dtype.kind == "f" else np.dtype(np.float32)
        x = image.astype(work)
        for k in order:
            f = factors[k]
            if f is None or (k >= 2 and channels == 1):
                continue
            if k == 0:
                x = np.clip(f * x, 0.0, bound)
            elif k == 1:
                grey = to_grayscale(x)[..., :1, :, :] if channels == 3 else x
                x = _blend(x, grey.mean(axis=(-3, -2, -1), keepdims=True), f, bound)
            elif k == 2:
                x = _blend(x, to_grayscale(x), f, bound)
            else:
                h, s, v = _rgb_to_hsv(x / bound)
                x = _hsv_to_rgb((h + f) % 1.0, s, v) * bound
            x = x.astype(work, copy=False)
        return cast_like(x, image.dtype)
