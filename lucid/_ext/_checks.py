"""What every kernel entry point checks before its loops run: one module, both twins.

Kernels are called by lucid's ops with arguments already validated, but also directly:
by a course grader, a student, a future op. The compiled twins' loops read memory with
no bounds checks, so a wrong shape or an index out of range there is a crash or a
silently wrong result. Each public kernel function of both twins therefore starts with
one call into this module (``_checks.conv_forward(x, w, ...)``), which checks what the
loops assume and raises:

* ``TypeError`` for an argument of the wrong type or dtype (a list for an array, an
  int array for a float one, a float for a stride);
* ``ValueError`` for a wrong rank, shape, tuple length, a size out of range, a
  non-contiguous or read-only array;
* :class:`lucid.IndexOutOfRangeError` (an ``IndexError`` and a ``ValueError``) for an
  index array with an entry outside its target.

Every message names the function, the argument, what was expected and what was given.
The checks cost per call, not per element (except the index ranges, one ``min`` and
``max`` over the index array).
"""
import math
import numbers

import numpy as np

from lucid._checks import is_number, remembered_by_identity
from lucid.error import IndexOutOfRangeError
from lucid._ext._sizes import conv_output_size, conv_transpose_output_size, pool_output_size

__all__ = [
    "conv_forward", "conv_weight_grad", "conv_transpose_forward", "unfold", "fold",
    "max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward",
    "scatter_add", "relu_forward", "relu_backward", "erf", "softmax_forward",
    "softmax_backward", "log_softmax_forward", "log_softmax_backward",
    "batch_norm_forward", "batch_norm_backward", "cross_entropy_forward",
    "cross_entropy_backward", "sgd_step", "adam_step", "matmul", "lstm_forward",
    "lstm_backward", "gru_forward", "gru_backward",
]

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# Sizes, strides, paddings and dilations the loops index with (C Py_ssize_t, and
# products of a few of them) stay below this.
MAX_INT = 2 ** 31 - 1


# ------------------------------------------------------------------ the primitives
def _given(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def array(fn, name, a, ndim=None, dtype=None, writeable=False, contiguous=True):
    """``a`` is an ndarray of a float dtype (or ``dtype``), rank in ``ndim``, C-contiguous
    (unless ``contiguous`` is False: any strides)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{fn}: {name} must be a NumPy array, got {type(a).__name__}")
    if dtype is None:
        if a.dtype not in FLOATS:
            raise TypeError(f"{fn}: {name} must be float32 or float64, got dtype {a.dtype}")
    elif a.dtype != dtype:
        raise TypeError(f"{fn}: {name} must have dtype {np.dtype(dtype)}, got {a.dtype}")
    if ndim is not None and a.ndim not in ndim:
        wanted = " or ".join(map(str, ndim))
        raise ValueError(f"{fn}: {name} must have {wanted} dimensions, got shape {a.shape}")
    if contiguous and not a.flags.c_contiguous:
        raise ValueError(f"{fn}: {name} must be C-contiguous (np.ascontiguousarray), "
                         f"got strides {a.strides} for shape {a.shape}")
    if writeable and not a.flags.writeable:
        raise ValueError(f"{fn}: {name} must be writeable, got a read-only array")


def same_dtype(fn, name, a, other_name, other):
    if a.dtype != other.dtype:
        raise TypeError(f"{fn}: {name} must have the dtype of {other_name} ({other.dtype}), "
                        f"got {a.dtype}")


def integer(fn, name, value, least=None):
    """``value`` is an int (not a bool), ``least <= value <= MAX_INT``."""
    if type(value) is not int:        # a Python int skips the (slow) ABC check
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{fn}: {name} must be an int, got {_given(value)}")
        value = int(value)
    if least is not None and value < least:
        raise ValueError(f"{fn}: {name} must be at least {least}, got {value}")
    if abs(value) > MAX_INT:
        raise ValueError(f"{fn}: {name} must be at most {MAX_INT} in size, got {value}")
    return value


def ints(fn, name, values, d, least):
    """``values`` is a tuple or list of ``d`` ints, each at least ``least``."""
    if not isinstance(values, (tuple, list)):
        raise TypeError(f"{fn}: {name} must be a tuple of {d} ints, got {_given(values)}")
    if len(values) != d:
        raise ValueError(f"{fn}: {name} must have {d} {'entry' if d == 1 else 'entries'} "
                         f"(one per spatial axis), got {len(values)}: {_given(values)}")
    low = -MAX_INT if least is None else max(least, -MAX_INT)
    if all(type(v) is int and low <= v <= MAX_INT for v in values):
        return tuple(values)          # the common case, without a message name per entry
    return tuple(integer(fn, f"{name}[{i}]", v, least) for i, v in enumerate(values))


def flag(fn, name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fn}: {name} must be a bool, got {_given(value)}")


def shape_is(fn, name, a, expected):
    if a.shape != tuple(expected):
        raise ValueError(f"{fn}: {name} must have shape {tuple(expected)}, got {a.shape}")


def _spatial(x, fn, name):
    """``x``: (N, C, *S) with 1 to 3 spatial axes, every spatial size at least 1."""
    array(fn, name, x, ndim=(3, 4, 5))
    for a, size in enumerate(x.shape[2:]):
        if size < 1:
            raise ValueError(f"{fn}: {name} must have spatial sizes of at least 1, "
                             f"got shape {x.shape}")
    return x.ndim - 2


def _output(fn, sizes, what):
    """The output sizes of a convolution or pooling are each at least 1."""
    if any(o < 1 for o in sizes):
        raise ValueError(f"{fn}: the {what} would have spatial size {tuple(sizes)}; "
                         f"every size must be at least 1 (input too small for the kernel)")
    return tuple(sizes)


def _geometry(fn, d, kernel_size, stride, padding, dilation):
    K = ints(fn, "kernel_size", kernel_size, d, 1)
    s = ints(fn, "stride", stride, d, 1)
    p = ints(fn, "padding", padding, d, 0)
    dil = ints(fn, "dilation", dilation, d, 1)
    return K, s, p, dil


def _groups(fn, groups, channels):
    """``groups`` divides every ``(name, count)`` of ``channels``."""
    groups = integer(fn, "groups", groups, 1)
    for name, count in channels:
        if count % groups:
            raise ValueError(f"{fn}: {name} ({count}) must be divisible by groups ({groups})")
    return groups


# ------------------------------------------------------------------ conv family
def _input_and_weight(fn, x, w):
    """``x`` (N, C, *S) and a weight ``w`` of the same rank and dtype."""
    _spatial(x, fn, "x")
    array(fn, "w", w, ndim=(x.ndim,))
    same_dtype(fn, "w", w, "x", x)


def conv_forward(x, w, stride, padding, dilation, groups):
    _input_and_weight("conv_forward", x, w)
    return _conv_sizes("conv_forward", x.shape, w.shape, stride, padding, dilation, groups)


@remembered_by_identity(by_value=3)
def _conv_sizes(fn, x_shape, w_shape, stride, padding, dilation, groups):
    (_, C_in, *S), (C_out, C_in_g, *_) = x_shape, w_shape
    K, s, p, dil = _geometry(fn, len(S), w_shape[2:], stride, padding, dilation)
    groups = _groups(fn, groups, [("C_in", C_in), ("C_out = w.shape[0]", C_out)])
    if C_in_g * groups != C_in or C_in_g < 1:
        raise ValueError(f"{fn}: w.shape[1] must be C_in / groups = {C_in // groups} "
                         f"(x has {C_in} channels, groups={groups}), got {C_in_g}")
    return _output(fn, [conv_output_size(*a) for a in zip(S, K, s, p, dil)], "output")


def conv_bias(fn, bias, w, C_out):
    """``bias`` holds one value per output channel (``C_out`` of them), in the weight
    ``w``'s dtype."""
    array(fn, "bias", bias, ndim=(1,))
    same_dtype(fn, "bias", bias, "w", w)
    if bias.shape[0] != C_out:
        raise ValueError(f"{fn}: bias must have one value per output channel "
                         f"(C_out = {C_out}), got shape {bias.shape}")


def conv_weight_grad(x, grad_y, kernel_size, stride, padding, dilation, groups):
    fn = "conv_weight_grad"
    _spatial(x, fn, "x")
    array(fn, "grad_y", grad_y, ndim=(x.ndim,))
    same_dtype(fn, "grad_y", grad_y, "x", x)
    _weight_grad_sizes(fn, x.shape, grad_y.shape, kernel_size, stride, padding, dilation,
                       groups)


@remembered_by_identity(by_value=3)
def _weight_grad_sizes(fn, x_shape, grad_y_shape, kernel_size, stride, padding, dilation,
                       groups):
    N, C_in, *S = x_shape
    K, s, p, dil = _geometry(fn, len(S), kernel_size, stride, padding, dilation)
    C_out = grad_y_shape[1]
    groups = _groups(fn, groups, [("C_in", C_in), ("C_out = grad_y.shape[1]", C_out)])
    if C_in < 1 or C_out < 1:
        raise ValueError(f"{fn}: x and grad_y must have at least one channel, got "
                         f"{C_in} and {C_out}")
    O = _output(fn, [conv_output_size(*a) for a in zip(S, K, s, p, dil)], "output")
    # grad_y may cover fewer windows than fit in x (a conv_transpose's weight gradient
    # swaps the roles, and its output_padding leaves windows that meet no input)
    if (grad_y_shape[0] != N or any(not 1 <= g <= o for g, o in zip(grad_y_shape[2:], O))):
        raise ValueError(f"{fn}: grad_y must have shape (N, C_out, *O) with N = {N} and "
                         f"1 <= O <= {O} (the windows that fit in x), got {grad_y_shape}")


def conv_transpose_forward(x, w, stride, padding, output_padding, dilation, groups):
    _input_and_weight("conv_transpose_forward", x, w)
    return _conv_transpose_sizes("conv_transpose_forward", x.shape, w.shape, stride,
                                 padding, output_padding, dilation, groups)


@remembered_by_identity(by_value=3)
def _conv_transpose_sizes(fn, x_shape, w_shape, stride, padding, output_padding, dilation,
                          groups):
    (_, C_in, *S), (C_w, C_out_g, *_) = x_shape, w_shape
    d = len(S)
    K, s, p, dil = _geometry(fn, d, w_shape[2:], stride, padding, dilation)
    op = ints(fn, "output_padding", output_padding, d, 0)
    for a in range(d):
        if op[a] >= max(s[a], dil[a]):
            raise ValueError(f"{fn}: output_padding[{a}] ({op[a]}) must be smaller than "
                             f"stride ({s[a]}) or dilation ({dil[a]})")
    if C_w != C_in:
        raise ValueError(f"{fn}: w.shape[0] must be C_in = {C_in}, got {C_w}")
    _groups(fn, groups, [("C_in", C_in)])
    if C_out_g < 1:
        raise ValueError(f"{fn}: w.shape[1] (C_out / groups) must be at least 1, got {C_out_g}")
    return _output(fn, [conv_transpose_output_size(*a) for a in zip(S, K, s, p, op, dil)],
                   "output")


def unfold(x, kernel_size, stride, padding, dilation):
    fn = "unfold"
    d = _spatial(x, fn, "x")
    K, s, p, dil = _geometry(fn, d, kernel_size, stride, padding, dilation)
    return _output(fn, [conv_output_size(*a) for a in zip(x.shape[2:], K, s, p, dil)],
                   "output")


def fold(cols, output_size, kernel_size, stride, padding, dilation):
    fn = "fold"
    array(fn, "cols", cols, ndim=(3,))
    if not isinstance(output_size, (tuple, list)) or not 1 <= len(output_size) <= 3:
        raise ValueError(f"{fn}: output_size must be a tuple of 1 to 3 ints, "
                         f"got {_given(output_size)}")
    d = len(output_size)
    S = ints(fn, "output_size", output_size, d, 1)
    K, s, p, dil = _geometry(fn, d, kernel_size, stride, padding, dilation)
    O = _output(fn, [conv_output_size(*a) for a in zip(S, K, s, p, dil)],
                "unfolded input")
    rows = cols.shape[1]
    if rows < 1 or rows % math.prod(K):
        raise ValueError(f"{fn}: cols.shape[1] must be C * prod(kernel_size) = "
                         f"C * {math.prod(K)} with C >= 1, got {rows}")
    if cols.shape[2] != math.prod(O):
        raise ValueError(f"{fn}: cols.shape[2] must be the number of windows "
                         f"prod({O}) = {math.prod(O)}, got {cols.shape[2]}")


# ------------------------------------------------------------------ pool family
_NO_DILATION = {d: (1,) * d for d in (1, 2, 3)}      # one object each: remembered calls


@remembered_by_identity(by_value=2)
def _pool_geometry(fn, x_shape, kernel_size, stride, padding, dilation, ceil_mode):
    d = len(x_shape) - 2
    K, s, p, dil = _geometry(fn, d, kernel_size, stride, padding, dilation)
    flag(fn, "ceil_mode", ceil_mode)
    for a in range(d):
        if p[a] > K[a] // 2:
            raise ValueError(f"{fn}: padding[{a}] ({p[a]}) must be at most half the "
                             f"kernel size ({K[a]})")
    return _output(fn, [pool_output_size(*a, ceil_mode)
                        for a in zip(x_shape[2:], K, s, p, dil)], "output")


def max_pool_forward(x, kernel_size, stride, padding, dilation, ceil_mode):
    fn = "max_pool_forward"
    _spatial(x, fn, "x")
    return _pool_geometry(fn, x.shape, kernel_size, stride, padding, dilation, ceil_mode)


def _input_shape(fn, input_shape, ndim):
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"{fn}: input_shape must be a tuple of ints, got {_given(input_shape)}")
    if len(input_shape) != ndim:
        raise ValueError(f"{fn}: input_shape must have {ndim} entries (the rank of grad_y), "
                         f"got {_given(input_shape)}")
    shape = tuple(integer(fn, f"input_shape[{i}]", v, 0 if i < 2 else 1)
                  for i, v in enumerate(input_shape))
    if math.prod(shape) > 2 ** 40:
        raise ValueError(f"{fn}: input_shape {shape} is too large")
    return shape


def max_pool_backward(grad_y, argmax, input_shape):
    fn = "max_pool_backward"
    _spatial(grad_y, fn, "grad_y")
    array(fn, "argmax", argmax, dtype=np.int64)
    shape_is(fn, "argmax", argmax, grad_y.shape)
    shape = _input_shape(fn, input_shape, grad_y.ndim)
    if shape[:2] != grad_y.shape[:2]:
        raise ValueError(f"{fn}: input_shape must start with grad_y's (N, C) = "
                         f"{grad_y.shape[:2]}, got {shape}")
    if argmax.size:
        plane = math.prod(shape[2:])
        lo, hi = int(argmax.min()), int(argmax.max())
        if lo < -1 or hi >= plane:
            raise IndexOutOfRangeError(
                f"{fn}: argmax entries must be -1 (no input) or in "
                f"[0, {plane}) (a position in an input plane of shape "
                f"{shape[2:]}), got values in [{lo}, {hi}]")


def _avg_options(fn, count_include_pad, divisor_override):
    flag(fn, "count_include_pad", count_include_pad)
    if divisor_override is not None:
        if integer(fn, "divisor_override", divisor_override) == 0:
            raise ValueError(f"{fn}: divisor_override must be a nonzero int or None, got 0")


def avg_pool_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override):
    fn = "avg_pool_forward"
    d = _spatial(x, fn, "x")
    _avg_options(fn, count_include_pad, divisor_override)
    return _pool_geometry(fn, x.shape, kernel_size, stride, padding, _NO_DILATION[d],
                          ceil_mode)


def avg_pool_backward(grad_y, input_shape, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override):
    fn = "avg_pool_backward"
    d = _spatial(grad_y, fn, "grad_y")
    shape = _input_shape(fn, input_shape, grad_y.ndim)
    _avg_options(fn, count_include_pad, divisor_override)
    O = _pool_geometry(fn, shape, kernel_size, stride, padding, _NO_DILATION[d], ceil_mode)
    shape_is(fn, "grad_y", grad_y, shape[:2] + O)


# ------------------------------------------------------------------ scatter family
def scatter_add(target, index, values):
    fn = "scatter_add"
    array(fn, "target", target, ndim=(2,), writeable=True)
    array(fn, "index", index, ndim=(1,), dtype=np.int64)
    array(fn, "values", values, ndim=(2,))
    same_dtype(fn, "values", values, "target", target)
    shape_is(fn, "values", values, (index.shape[0], target.shape[1]))
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        if lo < 0 or hi >= target.shape[0]:
            raise IndexOutOfRangeError(
                f"{fn}: index entries must be rows of target, in "
                f"[0, {target.shape[0]}), got values in [{lo}, {hi}]")


# ------------------------------------------------------------------ activation family
def relu_forward(x):
    array("relu_forward", "x", x)


def relu_backward(grad, passes):
    fn = "relu_backward"
    array(fn, "grad", grad)
    array(fn, "passes", passes, dtype=np.bool_)
    shape_is(fn, "passes", passes, grad.shape)


def erf(x):
    if not isinstance(x, (np.ndarray, np.floating)):
        raise TypeError(f"erf: x must be a NumPy array, got {type(x).__name__}")
    if x.dtype not in FLOATS:
        raise TypeError(f"erf: x must be float32 or float64, got dtype {x.dtype}")


# ------------------------------------------------------------------ softmax family
def _rows(fn, name, a):
    """``a``: a C-contiguous float array with at least one axis (its last: the rows)."""
    array(fn, name, a)
    if a.ndim < 1:
        raise ValueError(f"{fn}: {name} must have at least 1 axis (the rows run along "
                         f"the last), got shape {a.shape}")


def softmax_forward(x):
    _rows("softmax_forward", "x", x)


def softmax_backward(y, grad, fn="softmax_backward"):
    _rows(fn, "y", y)
    _rows(fn, "grad", grad)
    same_dtype(fn, "grad", grad, "y", y)
    shape_is(fn, "grad", grad, y.shape)


def log_softmax_forward(x):
    _rows("_log_softmax_forward", "x", x)


def log_softmax_backward(y, grad):
    softmax_backward(y, grad, fn="_log_softmax_backward")


# ------------------------------------------------------------------ norm family
def _channel_param(fn, name, a, x, optional=True):
    """``a`` is None (when ``optional``) or a (C,) array of ``x``'s dtype."""
    _row_param(fn, name, a, x, x.shape[1], optional)


def _eps(fn, eps):
    if not is_number(eps):
        raise TypeError(f"{fn}: eps must be a float, got {_given(eps)}")
    if not math.isfinite(eps) or eps < 0:
        raise ValueError(f"{fn}: eps must be finite and at least 0, got {eps}")


def _batch(fn, x):
    """``x``: (N, C, L) with N * L >= 1 values per channel."""
    array(fn, "x", x, ndim=(3,))
    if x.shape[0] * x.shape[2] < 1:
        raise ValueError(f"{fn}: x must have at least one value per channel (N * L >= 1), "
                         f"got shape {x.shape}")


def batch_norm_forward(x, weight, bias, eps):
    fn = "batch_norm_forward"
    _batch(fn, x)
    _channel_param(fn, "weight", weight, x)
    _channel_param(fn, "bias", bias, x)
    _eps(fn, eps)


def batch_norm_eval(x, mean, var, weight, bias, eps):
    fn = "batch_norm_eval"
    array(fn, "x", x, ndim=(3,))
    _channel_param(fn, "mean", mean, x, optional=False)
    _channel_param(fn, "var", var, x, optional=False)
    _channel_param(fn, "weight", weight, x)
    _channel_param(fn, "bias", bias, x)
    _eps(fn, eps)


def batch_norm_backward(grad, x, mean, var, weight, eps):
    fn = "batch_norm_backward"
    _batch(fn, x)
    array(fn, "grad", grad, ndim=(3,))
    same_dtype(fn, "grad", grad, "x", x)
    shape_is(fn, "grad", grad, x.shape)
    _channel_param(fn, "mean", mean, x, optional=False)
    _channel_param(fn, "var", var, x, optional=False)
    _channel_param(fn, "weight", weight, x)
    _eps(fn, eps)


def _row_param(fn, name, a, x, length, optional=True):
    """``a`` is None (when ``optional``) or a (``length``,) array of ``x``'s dtype: layer
    norm's parameters (one value per column of a row) and statistics (one per row)."""
    if a is None and optional:
        return
    array(fn, name, a, ndim=(1,))
    if a.dtype != x.dtype or a.shape[0] != length:   # the messages only when one fails
        same_dtype(fn, name, a, "x", x)
        shape_is(fn, name, a, (length,))


def _norm_rows(fn, x):
    """``x``: (R, D) with D >= 1 values per row."""
    array(fn, "x", x, ndim=(2,))
    if x.shape[1] < 1:
        raise ValueError(f"{fn}: x must have at least one value per row (D >= 1), "
                         f"got shape {x.shape}")


def layer_norm_forward(x, weight, bias, eps):
    fn = "_layer_norm_forward"
    _norm_rows(fn, x)
    _row_param(fn, "weight", weight, x, x.shape[1])
    _row_param(fn, "bias", bias, x, x.shape[1])
    _eps(fn, eps)


def layer_norm_backward(grad, x, mean, var, weight, eps):
    fn = "_layer_norm_backward"
    _norm_rows(fn, x)
    array(fn, "grad", grad, ndim=(2,))
    same_dtype(fn, "grad", grad, "x", x)
    shape_is(fn, "grad", grad, x.shape)
    _row_param(fn, "mean", mean, x, x.shape[0], optional=False)
    _row_param(fn, "var", var, x, x.shape[0], optional=False)
    _row_param(fn, "weight", weight, x, x.shape[1])
    _eps(fn, eps)


# ------------------------------------------------------------------ loss family
def _scores_and_target(fn, z, target, weight, ignore_index, name="z"):
    """``z`` (N, C) with C >= 1, ``target`` (N,) int64 of classes or ``ignore_index``."""
    array(fn, name, z, ndim=(2,))
    if z.shape[1] < 1:
        raise ValueError(f"{fn}: {name} must have at least one class (column), "
                         f"got shape {z.shape}")
    array(fn, "target", target, ndim=(1,), dtype=np.int64)
    if target.shape[0] != z.shape[0]:
        raise ValueError(f"{fn}: target must have one entry per row of {name} "
                         f"({z.shape[0]}), got shape {target.shape}")
    if weight is not None:
        array(fn, "weight", weight, ndim=(1,))
        same_dtype(fn, "weight", weight, name, z)
        shape_is(fn, "weight", weight, (z.shape[1],))
    ignore_index = integer(fn, "ignore_index", ignore_index)
    if target.size and (target.min() < 0 or target.max() >= z.shape[1]):
        kept = target[target != ignore_index]   # (the common case: two reductions)
        lo, hi = (int(kept.min()), int(kept.max())) if kept.size else (0, 0)
        if lo < 0 or hi >= z.shape[1]:
            raise IndexOutOfRangeError(
                f"{fn}: target entries must be classes in [0, {z.shape[1]}) "
                f"or ignore_index ({ignore_index}), got values in [{lo}, {hi}]")


def cross_entropy_forward(z, target, weight, ignore_index):
    _scores_and_target("cross_entropy_forward", z, target, weight, ignore_index)


def cross_entropy_backward(p, target, weight, ignore_index, coef):
    fn = "cross_entropy_backward"
    _scores_and_target(fn, p, target, weight, ignore_index, name="p")
    array(fn, "coef", coef, ndim=(1,))
    same_dtype(fn, "coef", coef, "p", p)
    shape_is(fn, "coef", coef, (p.shape[0],))


# ------------------------------------------------------------------ optimizer steps
def _real(fn, name, value):
    """A real number (not a bool); infinities allowed, as the optimizers allow them."""
    if not is_number(value):
        raise TypeError(f"{fn}: {name} must be a float, got {_given(value)}")


def _like_param(fn, name, a, param, writeable=True):
    array(fn, name, a, writeable=writeable)
    same_dtype(fn, name, a, "param", param)
    shape_is(fn, name, a, param.shape)


def sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first):
    fn = "sgd_step"
    array(fn, "param", param, writeable=True)
    _like_param(fn, "grad", grad, param, writeable=False)
    for name, value in (("lr", lr), ("momentum", momentum), ("dampening", dampening),
                        ("weight_decay", weight_decay)):
        _real(fn, name, value)
    flag(fn, "nesterov", nesterov)
    flag(fn, "first", first)
    if momentum == 0:
        if buf is not None:
            raise ValueError(f"{fn}: buf must be None when momentum is 0, got {_given(buf)}")
    else:
        _like_param(fn, "buf", buf, param)


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2,
              eps, weight_decay, decoupled):
    fn = "adam_step"
    array(fn, "param", param, writeable=True)
    _like_param(fn, "grad", grad, param, writeable=False)
    _like_param(fn, "exp_avg", exp_avg, param)
    _like_param(fn, "exp_avg_sq", exp_avg_sq, param)
    if max_exp_avg_sq is not None:
        _like_param(fn, "max_exp_avg_sq", max_exp_avg_sq, param)
    integer(fn, "step", step, least=1)
    for name, value in (("lr", lr), ("beta1", beta1), ("beta2", beta2), ("eps", eps),
                        ("weight_decay", weight_decay)):
        _real(fn, name, value)
    for name, beta in (("beta1", beta1), ("beta2", beta2)):
        if not 0 <= beta < 1:
            raise ValueError(f"{fn}: {name} must be in [0, 1), got {beta}")
    flag(fn, "decoupled", decoupled)


# ------------------------------------------------------------------ matmul
def matmul(a, b):
    """``a`` (..., M, K) and ``b`` (..., K, N): float arrays of one dtype, at least 2-d,
    the same leading (batch) axes, any strides."""
    array("matmul", "a", a, contiguous=False)
    array("matmul", "b", b, contiguous=False)
    same_dtype("matmul", "b", b, "a", a)
    if a.ndim < 2:
        raise ValueError(f"matmul: a must have at least 2 dimensions, got shape {a.shape}")
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2]:
        raise ValueError(f"matmul: b must have a's leading axes {a.shape[:-2]} and two "
                         f"more, got shape {b.shape} (a: {a.shape})")
    if b.shape[-2] != a.shape[-1]:
        raise ValueError(f"matmul: b must have as many rows as a has columns "
                         f"({a.shape[-1]}), got shape {b.shape} (a: {a.shape})")


def matmul_bias(fn, a, b, bias):
    """``a`` and ``b`` (already checked by :func:`matmul`) are matrices; ``bias`` is a
    C-contiguous (N,) array of their dtype, N the columns of ``b``."""
    if a.ndim != 2:
        raise ValueError(f"{fn}: a must be a matrix (2-d) to add a bias, got shape {a.shape}")
    array(fn, "bias", bias, ndim=(1,))
    same_dtype(fn, "bias", bias, "a", a)
    shape_is(fn, "bias", bias, (b.shape[1],))


def packed_attention(qkv, heads, scale):
    """``qkv`` (N, T, 3E), C-contiguous, float; ``heads`` an int dividing E; ``scale`` a
    finite number."""
    fn = "_packed_attention"
    array(fn, "qkv", qkv, ndim=(3,))
    heads = integer(fn, "heads", heads, 1)
    if qkv.shape[2] % (3 * heads):
        raise ValueError(f"{fn}: qkv's last axis must be 3 E with E a multiple of "
                         f"heads = {heads}, got shape {qkv.shape}")
    if not is_number(scale):
        raise TypeError(f"{fn}: scale must be a float, got {_given(scale)}")
    if not math.isfinite(scale):
        raise ValueError(f"{fn}: scale must be finite, got {scale}")


# ------------------------------------------------------------------ rnn
def _recurrent_steps(fn, batch_sizes, rows, n, rows_of):
    """``batch_sizes``: int64, 1-d, C-contiguous; none negative, none above the one
    before, the first ``n`` (the batch of the states), summing to ``rows`` (those of
    the array named ``rows_of``)."""
    array(fn, "batch_sizes", batch_sizes, ndim=(1,), dtype=np.int64)
    if len(batch_sizes) == 0:
        if rows != 0:
            raise ValueError(f"{fn}: batch_sizes must sum to the {rows} rows of {rows_of}, "
                             f"got no steps")
        return
    low, first = int(batch_sizes.min()), int(batch_sizes[0])
    if low < 0:
        raise ValueError(f"{fn}: batch_sizes must not be negative, got {low}")
    if first != n:
        raise ValueError(f"{fn}: batch_sizes[0] must be the batch of the states ({n}), "
                         f"got {first}")
    if len(batch_sizes) > 1 and (np.diff(batch_sizes) > 0).any():
        raise ValueError(f"{fn}: batch_sizes must not increase from step to step, got "
                         f"{_given(batch_sizes.tolist())}")
    total = int(batch_sizes.sum())
    if total != rows:
        raise ValueError(f"{fn}: batch_sizes must sum to the {rows} rows of {rows_of}, "
                         f"got {total}")


def _recurrent_weight(fn, w_hh, like, like_name, gates, hidden):
    """``w_hh``: 2-d, ``like``'s dtype, ``(gates * hidden, hidden)``."""
    array(fn, "w_hh", w_hh, ndim=(2,))
    same_dtype(fn, "w_hh", w_hh, like_name, like)
    shape_is(fn, "w_hh", w_hh, (gates * hidden, hidden))


def _by_gates(fn, name, a, gates):
    """``a``: 2-d, ``gates * H`` columns; returns ``(rows, H)``."""
    array(fn, name, a, ndim=(2,))
    if a.shape[1] % gates:
        raise ValueError(f"{fn}: {name} must have {gates} * H columns, got shape {a.shape}")
    return a.shape[0], a.shape[1] // gates


def _shaped_like(fn, like, like_name, shape, *named):
    """Each ``(name, a)`` of ``named``: an array of ``like``'s dtype and ``shape``."""
    for name, a in named:
        array(fn, name, a)
        same_dtype(fn, name, a, like_name, like)
        shape_is(fn, name, a, shape)


def _recurrent_state(fn, name, a, like, like_name, hidden):
    """``a``: 2-d, ``like``'s dtype, ``hidden`` columns; returns its rows."""
    array(fn, name, a, ndim=(2,))
    same_dtype(fn, name, a, like_name, like)
    if a.shape[1] != hidden:
        raise ValueError(f"{fn}: {name} must have H = {hidden} columns ({like_name} has "
                         f"{like.shape[1]}), got shape {a.shape}")
    return a.shape[0]


def lstm_forward(gates, h0, c0, w_hh, batch_sizes, reverse):
    fn = "lstm_forward"
    array(fn, "gates", gates, ndim=(2,), writeable=True)
    array(fn, "h0", h0, ndim=(2,))
    same_dtype(fn, "h0", h0, "gates", gates)
    n, hidden = h0.shape
    if gates.shape[1] != 4 * hidden:
        raise ValueError(f"{fn}: gates must have 4 * H = {4 * hidden} columns (H = "
                         f"{hidden}, h0's), got shape {gates.shape}")
    _shaped_like(fn, gates, "gates", h0.shape, ("c0", c0))
    _recurrent_weight(fn, w_hh, gates, "gates", 4, hidden)
    _recurrent_steps(fn, batch_sizes, gates.shape[0], n, "gates")
    flag(fn, "reverse", reverse)


def lstm_backward(gates, tanh_c, c_prev, w_hh, dy, dh_n, dc_n, batch_sizes, reverse):
    fn = "lstm_backward"
    rows, hidden = _by_gates(fn, "gates", gates, 4)
    _shaped_like(fn, gates, "gates", (rows, hidden),
                 ("tanh_c", tanh_c), ("c_prev", c_prev), ("dy", dy))
    _recurrent_weight(fn, w_hh, gates, "gates", 4, hidden)
    n = _recurrent_state(fn, "dh_n", dh_n, gates, "gates", hidden)
    _shaped_like(fn, gates, "gates", dh_n.shape, ("dc_n", dc_n))
    _recurrent_steps(fn, batch_sizes, rows, n, "gates")
    flag(fn, "reverse", reverse)


def gru_forward(gi, h0, w_hh, b_hh, batch_sizes, reverse):
    fn = "gru_forward"
    array(fn, "gi", gi, ndim=(2,))
    array(fn, "h0", h0, ndim=(2,))
    same_dtype(fn, "h0", h0, "gi", gi)
    n, hidden = h0.shape
    if gi.shape[1] != 3 * hidden:
        raise ValueError(f"{fn}: gi must have 3 * H = {3 * hidden} columns (H = "
                         f"{hidden}, h0's), got shape {gi.shape}")
    _recurrent_weight(fn, w_hh, gi, "gi", 3, hidden)
    if b_hh is not None:
        _shaped_like(fn, gi, "gi", (3 * hidden,), ("b_hh", b_hh))
    _recurrent_steps(fn, batch_sizes, gi.shape[0], n, "gi")
    flag(fn, "reverse", reverse)


def gru_backward(saved, h_prev, w_hh, dy, dh_n, batch_sizes, reverse):
    fn = "gru_backward"
    rows, hidden = _by_gates(fn, "saved", saved, 4)
    _shaped_like(fn, saved, "saved", (rows, hidden), ("h_prev", h_prev), ("dy", dy))
    _recurrent_weight(fn, w_hh, saved, "saved", 3, hidden)
    n = _recurrent_state(fn, "dh_n", dh_n, saved, "saved", hidden)
    _recurrent_steps(fn, batch_sizes, rows, n, "saved")
    flag(fn, "reverse", reverse)
