"""Small helpers every op module shares: argument coercion and error messages."""
import numpy as np

from lucid._tensor import Tensor

__all__ = ["as_tensor", "normalize_axis", "broadcast_error"]


def as_tensor(x, like=None):
    """Return ``x`` as a Tensor; Python numbers take the dtype rules of ``Tensor``."""
    if isinstance(x, Tensor):
        return x
    return Tensor(x)


def normalize_axis(axis, ndim, name):
    """Turn ``axis`` (int, tuple or None) into non-negative ints, checking the range.

    Raises ValueError naming the op, the axis and the tensor's ndim.
    """
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        out = tuple(normalize_axis(a, ndim, name) for a in axis)
        if len(set(out)) != len(out):
            raise ValueError(f"{name}: repeated axis in {tuple(axis)}")
        return out
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: axis must be an int or a tuple of ints; got {axis!r}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(
            f"{name}: axis {axis} is out of range for a tensor with ndim {ndim} "
            f"(valid: {-max(ndim, 1)} to {max(ndim, 1) - 1})"
        )
    return int(axis) % max(ndim, 1)


def broadcast_error(name, a, b):
    """The ValueError for operands whose shapes do not broadcast."""
    sa = np.shape(a.data if isinstance(a, Tensor) else a)
    sb = np.shape(b.data if isinstance(b, Tensor) else b)
    return ValueError(f"{name}: shapes {sa} and {sb} cannot be broadcast together")
