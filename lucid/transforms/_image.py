"""What every image transform shares: checking its input, and its arguments.

Transforms take a CHW image — ``(C, H, W)``, or a batch ``(N, C, H, W)`` that is
transformed as one (the same random draw for every image) — held in a lucid Tensor
or a NumPy array, and give back the same kind: a Tensor for a Tensor (a new leaf:
transforms prepare data, they are not recorded for backward), an ndarray for an
ndarray. Every error names the transform, what it expected and what it got.
"""
import numpy as np

from lucid._tensor import Tensor
from lucid._checks import is_int, is_number

__all__ = ["ImageTransform", "image_array", "check_probability", "check_size"]


def image_array(img, name):
    """The array behind a CHW image ``img`` and whether it was a Tensor.

    Raises TypeError (not a Tensor / ndarray, or not real numbers) or ValueError (not
    3-d or 4-d, an empty side, or a uint8 ndarray shaped like an HWC image as a dataset
    loads it — last axis 1, 3 or 4 and first axis not) naming ``name``.
    """
    if isinstance(img, Tensor):
        array, was_tensor = img.data, True
    elif isinstance(img, np.ndarray):
        array, was_tensor = img, False
    else:
        raise TypeError(f"{name}: expected a CHW image as a lucid Tensor or an ndarray; "
                        f"got {type(img).__name__}")
    if array.dtype.kind not in "uif":
        raise TypeError(f"{name}: expected an image of real numbers (uint8, int or float); "
                        f"got dtype {array.dtype}")
    if array.ndim not in (3, 4):
        hint = " (add a channel axis, or use ToTensor on an HW array)" if array.ndim == 2 else ""
        raise ValueError(f"{name}: expected a CHW image (C, H, W) or a batch (N, C, H, W); "
                         f"got shape {array.shape}{hint}")
    looks_hwc = array.shape[2] in (1, 3, 4) and array.shape[0] not in (1, 3, 4) if array.ndim == 3 else False
    if not was_tensor and array.dtype == np.uint8 and looks_hwc:   # an image as loaded, not converted
        raise ValueError(f"{name}: got an ndarray of shape {array.shape}, which looks like an HWC image; "
                         "transforms take CHW images: apply ToTensor() first")
    if array.shape[-1] == 0 or array.shape[-2] == 0:
        raise ValueError(f"{name}: expected an image with height and width of at least 1; "
                         f"got shape {array.shape}")
    return array, was_tensor


def check_probability(p, name):
    """``p`` as a float in [0, 1]; TypeError / ValueError naming ``name``."""
    if not is_number(p):
        raise TypeError(f"{name}: p must be a number; got {p!r}")
    if not 0 <= p <= 1:
        raise ValueError(f"{name}: p must lie in [0, 1]; got {p}")
    return float(p)


def check_size(size, name, arg="size"):
    """``size`` (an int, or a pair ``(h, w)``) as a tuple ``(h, w)`` of positive ints."""
    pair = (size, size) if is_int(size) else size
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(is_int(s) for s in pair):
        raise TypeError(f"{name}: {arg} must be an int or a pair (height, width) of ints; got {size!r}")
    if any(s <= 0 for s in pair):
        raise ValueError(f"{name}: {arg} must be positive; got {size!r}")
    return int(pair[0]), int(pair[1])


def check_fill(fill, name):
    """``fill`` as a float; TypeError naming ``name``."""
    if not is_number(fill):
        raise TypeError(f"{name}: fill must be a number; got {fill!r}")
    return float(fill)


def cast_like(values, dtype):
    """Computed float ``values`` back to the image's ``dtype`` (integers: rounded to
    the nearest, ties to even, then clipped to the dtype's range, as torchvision)."""
    if dtype.kind == "f":
        return values.astype(dtype, copy=False)
    info = np.iinfo(dtype)
    return np.clip(np.rint(values), info.min, info.max).astype(dtype)


class ImageTransform:
    """Base of the transforms on CHW images: ``__call__`` checks the input with
    :func:`image_array`, runs ``self.apply(array)`` and gives back the same kind
    (Tensor or ndarray); the input itself when ``apply`` left it alone. Subclasses
    write ``apply``."""

    def __call__(self, img):
        array, was_tensor = image_array(img, type(self).__name__)
        out = self.apply(array)
        if out is array:                 # nothing to do (e.g. a flip not drawn)
            return img
        return Tensor._wrap(np.ascontiguousarray(out)) if was_tensor else out

    def apply(self, array):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"
