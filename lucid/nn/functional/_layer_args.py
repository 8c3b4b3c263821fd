"""Argument checking shared by the non-conv layers of :mod:`lucid.nn.functional`.

Activations, losses, normalisation, dropout, linear and embedding layers pass their
arguments through these helpers before anything is computed. Each helper returns the
argument in the form the ops expect or raises a ``ValueError`` / ``TypeError`` whose
message names the function, the argument, what was expected and what was given::

    cross_entropy: reduction must be 'none', 'mean' or 'sum'; got 'avg'

Nothing below this layer (the Functions of :mod:`lucid.ops`) checks user input again.
"""
import numpy as np

from lucid._tensor import Tensor
from lucid.ops._util import check_bool, is_int, is_number

__all__ = ["float_tensor", "int_tensor", "optional_param", "reduction_arg", "probability",
           "number_arg", "same_shape", "check_bool", "flag_arg"]

REDUCTIONS = ("none", "mean", "sum")


def float_tensor(x, fname, arg="input_"):
    """``x`` must be a float32 / float64 Tensor; returns it."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}: {arg} must be a Tensor; got {type(x).__name__}")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{fname}: {arg} must have a floating dtype (float32 or float64); "
                        f"got {x.dtype}")
    return x


def int_tensor(x, fname, arg):
    """``x`` must be a Tensor of an integer dtype (class indices, token ids)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}: {arg} must be a Tensor; got {type(x).__name__}")
    if x.dtype.kind not in "iu":
        raise TypeError(f"{fname}: {arg} must hold integer indices (an int dtype such as "
                        f"int64); got dtype {x.dtype}")
    return x


def optional_param(x, fname, arg, shape, dtype=None):
    """None, or a float Tensor of exactly ``shape`` (and ``dtype`` when given)."""
    if x is None:
        return None
    float_tensor(x, fname, arg)
    if x.shape != tuple(shape):
        raise ValueError(f"{fname}: {arg} must have shape {tuple(shape)}; got {x.shape}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(f"{fname}: {arg} must have the dtype of input_ ({np.dtype(dtype)}); "
                        f"got {x.dtype}")
    return x


def reduction_arg(reduction, fname):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{fname}: reduction must be 'none', 'mean' or 'sum'; "
                         f"got {reduction!r}")
    return reduction


def number_arg(value, fname, arg, low=None, high=None, low_open=False, high_open=False):
    """A real number in the given range (open or closed ends); returns a float."""
    if not is_number(value):
        raise TypeError(f"{fname}: {arg} must be a real number; got {value!r}")
    value = float(value)
    bad = (not np.isfinite(value)
           or (low is not None and (value < low or (low_open and value == low)))
           or (high is not None and (value > high or (high_open and value == high))))
    if bad:
        lo = "-inf" if low is None else f"{low}"
        hi = "inf" if high is None else f"{high}"
        interval = ("(" if low_open or low is None else "[") + f"{lo}, {hi}" + \
                   (")" if high_open or high is None else "]")
        raise ValueError(f"{fname}: {arg} must lie in {interval}; got {value}")
    return value


def probability(p, fname, arg="p"):
    """A drop probability in [0, 1]."""
    return number_arg(p, fname, arg, 0.0, 1.0)


def flag_arg(value, fname, arg):
    """A bool, as :func:`lucid.ops._util.check_bool`, for the on / off settings of the pooling functions
    and of layers (``bias``, ``inplace``, ``ceil_mode``): "must be True or False"."""
    return check_bool(value, fname, arg, expected="True or False")


def same_shape(a, b, fname, arg_a="input_", arg_b="target"):
    if a.shape != b.shape:
        raise ValueError(f"{fname}: {arg_b} must have the shape of {arg_a} {a.shape}; "
                         f"got {b.shape}")


def index_arg(value, fname, arg):
    """A Python / NumPy int (not a bool)."""
    if not is_int(value):
        raise TypeError(f"{fname}: {arg} must be an int; got {value!r}")
    return int(value)
