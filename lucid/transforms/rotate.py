"""``RandomRotation``: turn the image about its centre by a random angle."""
import numpy as np

from lucid._checks import is_number
from lucid.random import generator
from lucid.transforms._image import ImageTransform, cast_like, check_fill

__all__ = ["RandomRotation", "rotate_image"]


def _sample_nearest(image, src_y, src_x, fill):
    """``image[..., round(src_y), round(src_x)]`` (ties to even), ``fill`` outside."""
    height, width = image.shape[-2:]
    y, x = np.rint(src_y).astype(np.int64), np.rint(src_x).astype(np.int64)
    inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
    values = image[..., np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)].astype(np.float64)
    return np.where(inside, values, fill)


def _sample_bilinear(image, src_y, src_x, fill):
    r"""Bilinear interpolation of the four pixels around ``(src_y, src_x)``; a pixel
    outside the image reads ``fill``.

    .. math:: \text{out} = (1 - v)\big((1 - u) I_{y_0, x_0} + u I_{y_0, x_0 + 1}\big)
              + v \big((1 - u) I_{y_0 + 1, x_0} + u I_{y_0 + 1, x_0 + 1}\big)

    with :math:`y_0 = \lfloor s_y \rfloor`, :math:`v = s_y - y_0` (and the same for x).
    """
    height, width = image.shape[-2:]
    y0, x0 = np.floor(src_y).astype(np.int64), np.floor(src_x).astype(np.int64)
    v, u = src_y - y0, src_x - x0

    def pixel(y, x):
        inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
        values = image[..., np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)].astype(np.float64)
        return np.where(inside, values, fill)

    return (1 - v) * ((1 - u) * pixel(y0, x0) + u * pixel(y0, x0 + 1)) \
        + v * ((1 - u) * pixel(y0 + 1, x0) + u * pixel(y0 + 1, x0 + 1))


def rotate_image(image, angle, interpolation="nearest", fill=0.0):
    r"""Rotate the last two axes of ``image`` by ``angle`` degrees counter-clockwise
    about the image centre, keeping its size.

    Each output pixel :math:`(x, y)` reads the input at the point that the rotation
    carries onto it (the inverse map), with the centre
    :math:`(c_x, c_y) = (\tfrac{W-1}{2}, \tfrac{H-1}{2})` and :math:`\theta` the angle:

    .. math:: \begin{pmatrix} s_x \\ s_y \end{pmatrix} =
              \begin{pmatrix} \cos\theta & -\sin\theta \\ \sin\theta & \cos\theta \end{pmatrix}
              \begin{pmatrix} x - c_x \\ y - c_y \end{pmatrix} +
              \begin{pmatrix} c_x \\ c_y \end{pmatrix}

    (y points down, so this turns the picture counter-clockwise as it is shown). The
    input is read at :math:`(s_x, s_y)` by nearest neighbour (rounding ties to even) or
    bilinear interpolation; points outside the image read ``fill``. With ``fill`` 0 this
    is ``torch.nn.functional.grid_sample(padding_mode="zeros", align_corners=False)``
    on the grid of that rotation. Coordinates are computed in float64.
    """
    height, width = image.shape[-2:]
    theta = np.deg2rad(angle)
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    y, x = np.meshgrid(np.arange(height, dtype=np.float64), np.arange(width, dtype=np.float64), indexing="ij")
    src_x = np.cos(theta) * (x - cx) - np.sin(theta) * (y - cy) + cx
    src_y = np.sin(theta) * (x - cx) + np.cos(theta) * (y - cy) + cy
    sample = _sample_nearest if interpolation == "nearest" else _sample_bilinear
    return cast_like(sample(image, src_y, src_x, fill), image.dtype)


class RandomRotation(ImageTransform):
    r"""Rotate the image about its centre by a random angle, keeping its size.

    .. math:: \theta \sim \mathcal{U}[\theta_{\min}, \theta_{\max}]

    in degrees, drawn from :func:`lucid.random.generator` (so :func:`lucid.random.seed`
    repeats it); positive angles turn the picture counter-clockwise, as torchvision.
    The pixels are resampled by :func:`rotate_image`: ``"nearest"`` (the default, as
    torchvision) copies the nearest input pixel, ``"bilinear"`` interpolates the four
    around it. Corners that come from outside the image get ``fill``. Unlike
    torchvision's bilinear mode, which blends the border with ``fill`` a second time
    through a mask, lucid's bilinear border is plain ``grid_sample`` with the outside
    equal to ``fill``. Integer images are rounded back to their dtype.

    Parameters
    ----------
    degrees : number or (number, number)
        ``d`` means the range :math:`[-d, d]` (``d >= 0``); a pair is
        :math:`[\theta_{\min}, \theta_{\max}]`.
    interpolation : {"nearest", "bilinear"}, default "nearest"
    fill : number, default 0

    Raises
    ------
    TypeError, ValueError
        Bad arguments; an input that is not a CHW image.

    Examples
    --------
    >>> import lucid
    >>> img = lucid.tensor([[[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> quarter_turn = lucid.transforms.RandomRotation((90, 90))
    >>> print(quarter_turn(img))
    Tensor([[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]])
    """

    def __init__(self, degrees, interpolation="nearest", fill=0):
        if is_number(degrees):
            if degrees < 0:
                raise ValueError(f"RandomRotation: degrees must be non-negative when a single number; got {degrees}")
            degrees = (-degrees, degrees)
        if not isinstance(degrees, (tuple, list)) or len(degrees) != 2 or not all(is_number(d) for d in degrees):
            raise TypeError(f"RandomRotation: degrees must be a number or a pair (min, max); got {degrees!r}")
        if degrees[0] > degrees[1]:
            raise ValueError(f"RandomRotation: degrees (min, max) must have min <= max; got {tuple(degrees)}")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"RandomRotation: interpolation must be 'nearest' or 'bilinear'; got {interpolation!r}")
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.interpolation = interpolation
        self.fill = check_fill(fill, "RandomRotation")

    def apply(self, image):
        angle = generator().uniform(*self.degrees)
        return rotate_image(image, angle, self.interpolation, self.fill)
