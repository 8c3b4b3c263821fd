"""``Resize``: bilinear resampling to a new height and width."""
import numpy as np

from lucid._checks import is_int
from lucid.transforms._image import ImageTransform, cast_like, check_size

__all__ = ["Resize", "resized_size", "bilinear_resize"]


def resized_size(height, width, size):
    """The output ``(h, w)``: ``size`` itself for a pair; for an int, the shorter side
    becomes ``size`` and the longer keeps the aspect ratio (rounded down), as
    torchvision."""
    if not is_int(size):
        return size
    if width <= height:
        return int(size * height / width), size
    return size, int(size * width / height)


def _source_positions(out_size, in_size, dtype):
    r"""For each output index, the two input indices it reads and their weights.

    .. math:: s = \max\!\Big(0,\ (o + \tfrac12)\,\frac{\text{in}}{\text{out}} - \tfrac12\Big),
              \quad i_0 = \lfloor s \rfloor,\ i_1 = \min(i_0 + 1, \text{in} - 1),
              \quad \lambda_1 = s - i_0,\ \lambda_0 = 1 - \lambda_1
    """
    scale = dtype.type(in_size) / dtype.type(out_size)
    s = (np.arange(out_size, dtype=dtype) + dtype.type(0.5)) * scale - dtype.type(0.5)
    s = np.maximum(s, dtype.type(0))
    i0 = np.minimum(np.floor(s).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    lam1 = np.clip(s - i0, 0, 1).astype(dtype)
    return i0, i1, dtype.type(1) - lam1, lam1


def bilinear_resize(image, out_h, out_w):
    r"""Resize the last two axes of ``image`` by bilinear interpolation.

    Pixel centres are aligned (``align_corners=False``) and no antialiasing filter is
    applied: ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False,
    antialias=False)``.

    .. math:: \text{out}_{y, x} = \mu_0 (\lambda_0 I_{a_0, b_0} + \lambda_1 I_{a_0, b_1})
              + \mu_1 (\lambda_0 I_{a_1, b_0} + \lambda_1 I_{a_1, b_1})

    with rows :math:`a_0, a_1` and weights :math:`\mu_0, \mu_1` from
    :func:`_source_positions` for ``y``, columns :math:`b_0, b_1` and weights
    :math:`\lambda_0, \lambda_1` for ``x``. Computed in the image's float dtype
    (float32 for integer images, then rounded back).
    """
    work = np.dtype(image.dtype if image.dtype.kind == "f" else np.float32)
    values = image.astype(work, copy=False)
    a0, a1, mu0, mu1 = _source_positions(out_h, image.shape[-2], work)
    b0, b1, lam0, lam1 = _source_positions(out_w, image.shape[-1], work)
    mu0, mu1 = mu0[:, None], mu1[:, None]
    top = values[..., a0, :]           # rows a_0 of every column
    bottom = values[..., a1, :]
    out = mu0 * (top[..., b0] * lam0 + top[..., b1] * lam1) \
        + mu1 * (bottom[..., b0] * lam0 + bottom[..., b1] * lam1)
    return cast_like(out, image.dtype)


class Resize(ImageTransform):
    r"""Resize a CHW image to ``size`` by bilinear interpolation.

    ``size`` a pair ``(h, w)`` gives that size. ``size`` an int makes the *shorter*
    side equal to ``size`` and scales the longer one to keep the aspect ratio,
    :math:`\lfloor \text{size} \cdot \text{long} / \text{short} \rfloor`, as
    torchvision. The values are those of
    ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False,
    antialias=False)`` (see :func:`bilinear_resize`); torchvision's default
    ``antialias=True`` differs when shrinking. Integer images are computed in float32
    and rounded back.

    Parameters
    ----------
    size : int or (int, int)
        Positive.

    Raises
    ------
    TypeError, ValueError
        A bad ``size``; an input that is not a CHW image (see :mod:`lucid.transforms`).

    Examples
    --------
    >>> import lucid
    >>> img = lucid.tensor([[[0.0, 1.0], [2.0, 3.0]]])              # (1, 2, 2)
    >>> print(lucid.transforms.Resize(4)(img))
    Tensor([[[0.0, 0.25, 0.75, 1.0], [0.5, 0.75, 1.25, 1.5], [1.5, 1.75, 2.25, 2.5], [2.0, 2.25, 2.75, 3.0]]])
    >>> lucid.transforms.Resize(16)(lucid.zeros((3, 32, 64))).shape
    (3, 16, 32)
    """

    def __init__(self, size):
        self.size = size if is_int(size) and size > 0 else check_size(size, "Resize")

    def apply(self, image):
        out_h, out_w = resized_size(image.shape[-2], image.shape[-1], self.size)
        if (out_h, out_w) == image.shape[-2:]:
            return image
        return bilinear_resize(image, out_h, out_w)
