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
from lucid._checks import check_bool, check_number, float_tensor

__all__ = ["int_tensor", "optional_param", "reduction_arg", "probability", "same_shape",
           "flag_arg"]

REDUCTIONS = ("none", "mean", "sum")
KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


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


def reduction_arg(reduction, fname, choices=REDUCTIONS):
    """One of ``choices`` (kl_div adds ``'batchmean'``)."""
    if reduction not in choices:
        words = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"
        raise ValueError(f"{fname}: reduction must be {words}; got {reduction!r}")
    return reduction


def probability(p, fname, arg="p"):
    """A drop probability in [0, 1]."""
    return check_number(p, fname, arg, 0.0, 1.0)


def flag_arg(value, fname, arg):
    """A bool, as :func:`lucid._checks.check_bool`, for the on / off settings of the pooling functions
    and of layers (``bias``, ``inplace``, ``ceil_mode``): "must be True or False"."""
    return check_bool(value, fname, arg, expected="True or False")


def same_shape(a, b, fname, arg_a="input_", arg_b="target"):
    if a.shape != b.shape:
        raise ValueError(f"{fname}: {arg_b} must have the shape of {arg_a} {a.shape}; "
                         f"got {b.shape}")


