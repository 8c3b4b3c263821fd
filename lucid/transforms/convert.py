"""``ToTensor`` (an image array as a CHW float Tensor) and ``Normalize``."""
import numpy as np

from lucid._tensor import Tensor
from lucid._checks import check_bool, is_number
from lucid._dtypes import resolve_dtype
from lucid.ops._util import leaf
from lucid.transforms._image import ImageTransform

__all__ = ["ToTensor", "Normalize"]


class ToTensor:
    r"""An image array ``(H, W, C)`` or ``(H, W)`` as a ``(C, H, W)`` Tensor; uint8
    values scaled to [0, 1].

    .. math:: \text{out}_{c, y, x} = \text{img}_{y, x, c} / 255 \quad \text{(uint8)},
              \qquad \text{out}_{c, y, x} = \text{img}_{y, x, c} \quad \text{(float)}

    As torchvision's ``ToTensor`` on an ndarray: uint8 becomes float32 divided by 255;
    a floating array keeps its dtype and values and is only moved to CHW. An
    ``(H, W)`` array gets one channel, ``(1, H, W)``. The result is a new leaf Tensor,
    with the original lucid's settings below.

    Parameters
    ----------
    requires_grad : bool, default False
        The result requires grad (e.g. to differentiate with respect to the image).
    keep_grad : bool, default False
    dtype : dtype, optional
        Convert the result to this dtype (after the uint8 scaling).

    Raises
    ------
    TypeError
        The input is not an ndarray (a Tensor is already converted), or its dtype is
        neither uint8 nor floating; a bad ``dtype`` or flag.
    ValueError
        The array is not 2-d or 3-d.

    Examples
    --------
    >>> import numpy as np
    >>> import lucid
    >>> rgb = np.zeros((2, 2, 3), dtype=np.uint8)
    >>> rgb[..., 0] = 255                       # a red 2x2 image, HWC
    >>> t = lucid.transforms.ToTensor()(rgb)
    >>> t.shape, t.dtype
    ((3, 2, 2), dtype('float32'))
    >>> print(t[:, 0, 0])
    Tensor([1.0, 0.0, 0.0])
    >>> lucid.transforms.ToTensor(requires_grad=True, dtype=lucid.Float64)(rgb).dtype
    dtype('float64')
    """

    def __init__(self, requires_grad=False, keep_grad=False, dtype=None):
        self.requires_grad = check_bool(requires_grad, "ToTensor", "requires_grad")
        self.keep_grad = check_bool(keep_grad, "ToTensor", "keep_grad")
        self.dtype = None if dtype is None else resolve_dtype(dtype, "ToTensor: dtype")

    def __call__(self, pic):
        if not isinstance(pic, np.ndarray):
            got = "a Tensor (already converted: skip ToTensor)" if isinstance(pic, Tensor) else type(pic).__name__
            raise TypeError(f"ToTensor: expected an image ndarray (H, W, C) or (H, W); got {got}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"ToTensor: expected an image ndarray (H, W, C) or (H, W); got shape {pic.shape}")
        if pic.dtype != np.uint8 and pic.dtype.kind != "f":
            raise TypeError(f"ToTensor: expected uint8 values (scaled to [0, 1]) or floating values; "
                            f"got dtype {pic.dtype}")
        hwc = pic[:, :, None] if pic.ndim == 2 else pic
        chw = np.ascontiguousarray(hwc.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            chw = chw.astype(np.float32) / np.float32(255)
        elif chw is pic:
            chw = chw.copy()
        if self.dtype is not None:
            chw = chw.astype(self.dtype, copy=False)
        return leaf(chw, "ToTensor", self.requires_grad, self.keep_grad)

    def __repr__(self):
        settings = [f"requires_grad={self.requires_grad}"] if self.requires_grad else []
        settings += [f"dtype={self.dtype}"] if self.dtype is not None else []
        return f"ToTensor({', '.join(settings)})"


def _per_channel(values, name, arg):
    """``values`` (a number or a sequence of numbers) as a 1-d float64 array."""
    seq = [values] if is_number(values) else values
    if not isinstance(seq, (list, tuple, np.ndarray)) or len(seq) == 0 or not all(is_number(v) for v in seq):
        raise TypeError(f"{name}: {arg} must be a number or a non-empty sequence of numbers; got {values!r}")
    return np.asarray(seq, dtype=np.float64)


class Normalize(ImageTransform):
    r"""Normalise each channel: subtract its mean, divide by its standard deviation.

    .. math:: \text{out}_{c, y, x} = \frac{\text{img}_{c, y, x} - \text{mean}_c}{\text{std}_c}

    ``mean`` and ``std`` are given per channel (or one value for all), converted to the
    image's dtype, as torchvision's ``Normalize``. The image must be floating (apply
    :class:`ToTensor` first).

    Parameters
    ----------
    mean, std : number or sequence of numbers
        One value, or one per channel. No ``std`` may be zero.

    Raises
    ------
    TypeError
        ``mean`` / ``std`` not numbers; an image that is not floating.
    ValueError
        A zero ``std``; ``mean`` / ``std`` of a length other than 1 or the image's
        number of channels.

    Examples
    --------
    >>> import lucid
    >>> img = lucid.tensor([[[0.0, 0.5]], [[1.0, 0.2]]])          # (2, 1, 2)
    >>> print(lucid.transforms.Normalize(mean=[0.5, 0.5], std=[0.5, 0.25])(img))
    Tensor([[[-1.0, 0.0]], [[2.0, -1.2]]])
    """

    def __init__(self, mean, std):
        self.mean = _per_channel(mean, "Normalize", "mean")
        self.std = _per_channel(std, "Normalize", "std")
        if (self.std == 0).any():
            raise ValueError(f"Normalize: std must not contain zeros (it divides); got {std!r}")

    def apply(self, image):
        if image.dtype.kind != "f":
            raise TypeError(f"Normalize: expected a floating image; got dtype {image.dtype} "
                            "(apply ToTensor first)")
        channels = image.shape[-3]
        for arg, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, channels):
                raise ValueError(f"Normalize: {arg} has {len(values)} values; expected 1 or one per "
                                 f"channel ({channels}) for an image of shape {image.shape}")
        mean = self.mean.astype(image.dtype)[:, None, None]
        std = self.std.astype(image.dtype)[:, None, None]
        return (image - mean) / std

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"
