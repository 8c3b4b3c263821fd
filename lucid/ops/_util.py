"""Small helpers every op module shares: argument coercion, error messages, shared docs."""
import inspect

import numpy as np

from lucid._tensor import Tensor
from lucid.autograd.function import Function

__all__ = ["DataMovement", "as_tensor", "normalize_axis", "broadcast_error", "is_int", "is_number",
           "shape_arg", "leaf", "shared_doc", "check_bool"]


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


def check_bool(value, fname, arg, expected="a bool"):
    """``value`` as a Python bool (a NumPy bool too); else a TypeError naming the
    function ``fname``, the argument ``arg``, what was expected and what was given."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fname}: {arg} must be {expected}; got {value!r}")
    return bool(value)


def is_int(x):
    """True for Python/NumPy integers, bools excluded."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def is_number(x):
    """True for Python/NumPy real numbers, bools excluded."""
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def shape_arg(shape, name, arg="shape"):
    """``shape`` (an int, or a tuple/list of ints) as a tuple of non-negative ints."""
    dims = (shape,) if is_int(shape) else shape
    if not isinstance(dims, (tuple, list)) or not all(is_int(d) for d in dims):
        raise TypeError(f"{name}: {arg} must be an int or a tuple of ints; got {shape!r}")
    if any(d < 0 for d in dims):
        raise ValueError(f"{name}: {arg} must not contain negative sizes; got {tuple(dims)}")
    return tuple(int(d) for d in dims)


def leaf(array, name, requires_grad=False, keep_grad=False):
    """Wrap a freshly made ``array`` (not copied) in a leaf Tensor."""
    if requires_grad and array.dtype.kind not in "fc":
        raise TypeError(
            f"{name}: only floating tensors can require grad; the result has dtype "
            f"{array.dtype}. Pass a floating dtype (e.g. dtype=float)."
        )
    t = Tensor._wrap(array)
    t.requires_grad = bool(requires_grad)
    t.keep_grad = bool(keep_grad)
    return t


def shared_doc(sections):
    """Decorator: insert the shared Parameters / Returns / Raises ``sections`` before Examples.

    For a family of functions whose argument docs are word for word the same; each
    function's own docstring keeps only what is particular to it (maths, backward,
    examples) and must have an ``Examples`` section.
    """
    def attach(fn):
        doc = inspect.cleandoc(fn.__doc__)
        head, examples = doc.split("\nExamples\n", 1)
        fn.__doc__ = head.rstrip() + "\n" + sections + "\nExamples\n" + examples
        return fn
    return attach


class DataMovement(Function):
    """Base of ops that only move or select values (reshape, transpose, indexing...).

    They do no arithmetic, so inside ``lucid.count_flops()`` they count 0 operations.
    """

    @staticmethod
    def flops(ctx, out, *inputs, **params):
        return 0

