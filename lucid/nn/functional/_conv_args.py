"""Argument checking for the convolution family, in one place.

Every public function of :mod:`lucid.nn.functional.conv` (and the conv modules) passes
its arguments through the helpers here before anything is computed. Each helper
either returns the arguments in the one form the ops expect (tuples of Python ints,
one per spatial axis) or raises a ``ValueError`` / ``TypeError`` whose message names
the function, the argument, what was expected and what was given::

    conv_transpose1d: output_padding (2) must be smaller than stride (2) or dilation (1)

Nothing below this layer (``lucid.ops.conv``, the kernels in ``lucid._ext``) checks
user input again, so every rule lives here.

Sizes that would make a kernel allocate absurd amounts of memory (``stride=2**40``,
``padding=2**40``) are refused here, before any array exists: every size argument is
at most :data:`MAX_SIZE`, and every array a call would create (the output, the padded
input, one sample's im2col columns) has at most :data:`MAX_ELEMENTS` elements.
"""
import math
from typing import NamedTuple

import numpy as np

from lucid._checks import check_int, int_tuple, remembered
from lucid._ext._sizes import conv_output_size, conv_transpose_output_size
from lucid._tensor import Tensor
from lucid.nn.functional._family_doc import KERNEL, SPATIAL

__all__ = [
    "MAX_SIZE", "MAX_ELEMENTS", "ConvArgs", "ConvTransposeArgs", "UnfoldArgs",
    "spatial_ints", "check_input_ndim", "conv_args", "conv_transpose_args", "unfold_args", "fold_args",
    "transpose_output_padding", "layer_args",
]

MAX_SIZE = 2**31 - 1
"""Largest stride, padding, dilation, kernel or output size accepted (a C ``int``)."""

MAX_ELEMENTS = 2**31 - 1
"""Largest number of elements of any array one convolution call may allocate."""


class ConvArgs(NamedTuple):
    """Checked arguments of ``convNd``; ``padding_end`` is extra zeros after each axis."""

    stride: tuple
    padding: tuple
    padding_end: tuple
    dilation: tuple
    groups: int
    unbatched: bool


class ConvTransposeArgs(NamedTuple):
    """Checked arguments of ``conv_transposeNd``."""

    stride: tuple
    padding: tuple
    output_padding: tuple
    dilation: tuple
    groups: int
    unbatched: bool


class UnfoldArgs(NamedTuple):
    """Checked arguments of ``unfold`` / ``fold`` (``output_size`` is None for unfold)."""

    kernel_size: tuple
    dilation: tuple
    padding: tuple
    stride: tuple
    output_size: tuple
    unbatched: bool


# ------------------------------------------------------------------ small checks
PER_AXIS = " (one per spatial axis)"


def spatial_ints(value, fname, arg, d, minimum):
    """An int or a sequence of ``d`` ints (one per spatial axis) as a tuple of ``d`` Python
    ints, each at least ``minimum`` (1 for stride, dilation and sizes, 0 for padding) and
    at most :data:`MAX_SIZE` (:func:`lucid._checks.int_tuple`)."""
    return int_tuple(value, fname, arg, length=d, minimum=minimum, maximum=MAX_SIZE,
                     per=PER_AXIS)


def _check_tensor(fname, argname, t):
    if not isinstance(t, Tensor):
        raise TypeError(f"{fname}: {argname} must be a lucid Tensor; got {type(t).__name__}")
    dtype = t.data.dtype
    if dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{fname}: {argname} must be a float32 or float64 tensor; got dtype {dtype}"
            + (" (convert it with .astype(lucid.Float32))" if dtype.kind in "biu" else "")
        )


def _check_same_dtype(fname, input_, other, argname):
    if other.data.dtype != input_.data.dtype:
        raise TypeError(
            f"{fname}: input_ ({input_.data.dtype}) and {argname} ({other.data.dtype}) must have "
            f"the same dtype; lucid does not promote here (as PyTorch): convert one with .astype()"
        )


def check_input_ndim(fname, input_, d, what="(C, {s})", batched="(N, C, {s})"):
    """Accept ``d + 1`` (unbatched) or ``d + 2`` (batched) axes; return ``unbatched``."""
    s = SPATIAL[d]
    if input_.ndim not in (d + 1, d + 2):
        raise ValueError(
            f"{fname}: input_ must be {d + 1}-D {what.format(s=s)} unbatched or {d + 2}-D "
            f"{batched.format(s=s)} batched; got a {input_.ndim}-D tensor of shape {input_.shape}"
        )
    return input_.ndim == d + 1


def _check_elements(fname, what, shape):
    n = math.prod(shape)
    if n > MAX_ELEMENTS:
        raise ValueError(
            f"{fname}: the {what} would have shape {tuple(shape)} ({n} elements), more than "
            f"the {MAX_ELEMENTS} lucid allocates for one call; check stride, padding and dilation"
        )


def _axis(d, i):
    return "" if d == 1 else f" along spatial axis {i}"


def _check_weight_and_bias(fname, input_, weight, bias, d, layout):
    _check_tensor(fname, "weight", weight)
    _check_same_dtype(fname, input_, weight, "weight")
    if weight.ndim != d + 2:
        raise ValueError(
            f"{fname}: weight must be {d + 2}-D {layout.format(k=KERNEL[d])}; got a "
            f"{weight.ndim}-D tensor of shape {weight.shape}"
        )
    if 0 in weight.shape:
        raise ValueError(f"{fname}: weight must have no zero-size axis; got shape {weight.shape}")
    if bias is not None:
        _check_tensor(fname, "bias", bias)
        _check_same_dtype(fname, input_, bias, "bias")


def _check_bias_shape(fname, bias, c_out):
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(
            f"{fname}: bias must be 1-D of length C_out = {c_out}; got shape {bias.shape}"
        )


def _check_spatial(fname, input_, unbatched):
    spatial = input_.shape[2 - unbatched:]
    channels = input_.shape[1 - unbatched]
    if channels == 0 or 0 in spatial:
        raise ValueError(
            f"{fname}: input_ must have at least one channel and a non-empty spatial extent "
            f"(only the batch axis may be 0); got shape {input_.shape}"
        )
    return spatial


def _check_window_fits(fname, d, spatial, kernel, stride, padding, padding_end, dilation):
    """The dilated kernel must fit in the padded input along every axis."""
    for i in range(d):
        span = dilation[i] * (kernel[i] - 1) + 1
        padded = spatial[i] + 2 * padding[i] + padding_end[i]
        if span > padded:
            raise ValueError(
                f"{fname}: the kernel (dilated size dilation * (K - 1) + 1 = {dilation[i]} * "
                f"({kernel[i]} - 1) + 1 = {span}) is larger than the padded input (size "
                f"{spatial[i]} + 2 * {padding[i]}{f' + {padding_end[i]}' if padding_end[i] else ''} "
                f"= {padded}){_axis(d, i)}"
            )
    return tuple(
        conv_output_size(spatial[i] + padding_end[i], kernel[i], stride[i], padding[i], dilation[i])
        for i in range(d)
    )


# ------------------------------------------------------------------ conv
@remembered
def conv_args(fname, d, input_, weight, bias, stride, padding, dilation, groups):
    """Check every argument of ``conv{d}d``; return a :class:`ConvArgs`.

    A call seen before returns the :class:`ConvArgs` found then, unchecked
    (:func:`lucid._checks.remembered`: ~60 Python calls, 6-11 us a layer at batch 1).

    ``padding`` may be an int, a tuple, ``"valid"`` (no padding) or ``"same"``
    (stride 1 only: the output has the input's size). ``"same"`` pads
    ``dilation * (K - 1)`` zeros in total along each axis, half before and the rest
    after, so an odd total puts the extra zero at the end (``padding_end``), as
    PyTorch does.
    """
    _check_tensor(fname, "input_", input_)
    unbatched = check_input_ndim(fname, input_, d)
    _check_weight_and_bias(fname, input_, weight, bias, d,
                           "(C_out, C_in // groups, {k})")
    stride = spatial_ints(stride, fname, "stride", d, 1)
    dilation = spatial_ints(dilation, fname, "dilation", d, 1)
    groups = check_int(groups, fname, "groups", minimum=1, maximum=MAX_SIZE)
    kernel = weight.shape[2:]

    if isinstance(padding, str):
        if padding == "valid":
            padding, padding_end = (0,) * d, (0,) * d
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(
                    f"{fname}: padding='same' needs stride 1 (a strided output cannot "
                    f"keep the input's size); got stride={stride if d > 1 else stride[0]}"
                )
            total = tuple(dilation[i] * (kernel[i] - 1) for i in range(d))
            padding = tuple(t // 2 for t in total)
            padding_end = tuple(t - 2 * (t // 2) for t in total)
        else:
            raise ValueError(
                f"{fname}: padding must be an int, a tuple of ints, 'same' or 'valid'; got {padding!r}"
            )
    else:
        padding = spatial_ints(padding, fname, "padding", d, 0)
        padding_end = (0,) * d

    c_in = input_.shape[1 - unbatched]
    c_out = weight.shape[0]
    if c_out % groups:
        raise ValueError(
            f"{fname}: groups ({groups}) must divide the output channels weight.shape[0] ({c_out})"
        )
    if c_in != weight.shape[1] * groups:
        raise ValueError(
            f"{fname}: input_ has {c_in} channels but weight expects weight.shape[1] * groups = "
            f"{weight.shape[1]} * {groups} = {weight.shape[1] * groups} (weight shape "
            f"{weight.shape}: (C_out, C_in // groups, {KERNEL[d]}))"
        )
    _check_bias_shape(fname, bias, c_out)
    spatial = _check_spatial(fname, input_, unbatched)
    out = _check_window_fits(fname, d, spatial, kernel, stride, padding, padding_end, dilation)

    n = 1 if unbatched else input_.shape[0]
    _check_elements(fname, "output", (n, c_out) + out)
    _check_elements(fname, "padded input",
                    (n, c_in) + tuple(spatial[i] + 2 * padding[i] + padding_end[i] for i in range(d)))
    _check_elements(fname, "im2col columns of one sample",
                    (c_in * math.prod(kernel),) + out)
    return ConvArgs(stride, padding, padding_end, dilation, groups, unbatched)



# ------------------------------------------------------------------ conv_transpose
def _check_output_padding(fname, d, output_padding, stride, dilation):
    for i in range(d):
        if output_padding[i] >= max(stride[i], dilation[i]):
            raise ValueError(
                f"{fname}: output_padding ({output_padding[i]}) must be smaller than stride "
                f"({stride[i]}) or dilation ({dilation[i]}){_axis(d, i)}"
            )


@remembered
def conv_transpose_args(fname, d, input_, weight, bias, stride, padding, output_padding,
                        dilation, groups):
    """Check every argument of ``conv_transpose{d}d``; return a :class:`ConvTransposeArgs`
    (a call seen before: the one found then, as :func:`conv_args`)."""
    _check_tensor(fname, "input_", input_)
    unbatched = check_input_ndim(fname, input_, d)
    _check_weight_and_bias(fname, input_, weight, bias, d,
                           "(C_in, C_out // groups, {k})")
    if isinstance(padding, str):
        raise ValueError(
            f"{fname}: padding must be an int or a tuple of ints ('same' and 'valid' are for "
            f"conv{d}d only); got {padding!r}"
        )
    stride = spatial_ints(stride, fname, "stride", d, 1)
    padding = spatial_ints(padding, fname, "padding", d, 0)
    output_padding = spatial_ints(output_padding, fname, "output_padding", d, 0)
    dilation = spatial_ints(dilation, fname, "dilation", d, 1)
    groups = check_int(groups, fname, "groups", minimum=1, maximum=MAX_SIZE)
    _check_output_padding(fname, d, output_padding, stride, dilation)

    c_in = input_.shape[1 - unbatched]
    if weight.shape[0] % groups:
        raise ValueError(
            f"{fname}: groups ({groups}) must divide the input channels weight.shape[0] "
            f"({weight.shape[0]})"
        )
    if c_in != weight.shape[0]:
        raise ValueError(
            f"{fname}: input_ has {c_in} channels but weight.shape[0] is {weight.shape[0]} "
            f"(weight shape {weight.shape}: (C_in, C_out // groups, {KERNEL[d]}))"
        )
    c_out = weight.shape[1] * groups
    _check_bias_shape(fname, bias, c_out)
    spatial = _check_spatial(fname, input_, unbatched)
    kernel = weight.shape[2:]
    out = tuple(
        conv_transpose_output_size(spatial[i], kernel[i], stride[i], padding[i],
                                   output_padding[i], dilation[i])
        for i in range(d)
    )
    for i in range(d):
        if out[i] <= 0:
            raise ValueError(
                f"{fname}: the output size (L - 1) * stride - 2 * padding + dilation * (K - 1) "
                f"+ output_padding + 1 = ({spatial[i]} - 1) * {stride[i]} - 2 * {padding[i]} + "
                f"{dilation[i]} * ({kernel[i]} - 1) + {output_padding[i]} + 1 = {out[i]} is not "
                f"positive{_axis(d, i)}: padding is too large"
            )
    n = 1 if unbatched else input_.shape[0]
    _check_elements(fname, "output", (n, c_out) + out)
    _check_elements(fname, "unpadded output",
                    (n, c_out) + tuple(out[i] + 2 * padding[i] for i in range(d)))
    _check_elements(fname, "col2im columns of one sample",
                    (c_out * math.prod(kernel),) + tuple(spatial))
    return ConvTransposeArgs(stride, padding, output_padding, dilation, groups, unbatched)


def transpose_output_padding(fname, output_size, input_shape, kernel, stride, padding,
                             dilation):
    """The ``output_padding`` that makes a transposed convolution produce ``output_size``.

    ``output_size`` lists the wanted spatial sizes, optionally after the input's
    non-spatial sizes (N and C for a batched input, C for an unbatched one), as in
    PyTorch. Along each axis the reachable sizes are ``min .. min + stride - 1`` with
    ``min = (L - 1) s - 2p + d (K - 1) + 1``.
    """
    d = len(kernel)
    shown = output_size
    if not isinstance(output_size, (tuple, list)):
        raise TypeError(
            f"{fname}: output_size must be a list or tuple of ints; got {shown!r} "
            f"(a {type(output_size).__name__})"
        )
    leading = len(input_shape) - d            # 2 for (N, C, ...), 1 for (C, ...)
    sizes = tuple(output_size)
    if len(sizes) == leading + d:
        sizes = sizes[leading:]
    if len(sizes) != d:
        raise ValueError(
            f"{fname}: output_size must have {d} spatial size{'s' if d > 1 else ''} (or "
            f"{leading + d} sizes with the input's leading sizes); got {shown!r}"
        )
    sizes = int_tuple(sizes, fname, "output_size", minimum=1, maximum=MAX_SIZE)
    result = []
    for i in range(d):
        length = input_shape[leading + i]
        smallest = conv_transpose_output_size(length, kernel[i], stride[i], padding[i], 0,
                                              dilation[i])
        largest = smallest + stride[i] - 1
        if not smallest <= sizes[i] <= largest:
            raise ValueError(
                f"{fname}: output_size {tuple(shown)} cannot be reached: along spatial axis {i} "
                f"an input of size {length} gives {smallest} to {largest}; got {sizes[i]}"
            )
        result.append(sizes[i] - smallest)
    return tuple(result)


# ------------------------------------------------------------------ unfold / fold
def unfold_args(fname, input_, kernel_size, dilation, padding, stride):
    """Check ``unfold``'s arguments (input ``(N, C, H, W)`` or unbatched ``(C, H, W)``)."""
    _check_tensor(fname, "input_", input_)
    unbatched = check_input_ndim(fname, input_, 2)
    kernel = spatial_ints(kernel_size, fname, "kernel_size", 2, 1)
    dilation = spatial_ints(dilation, fname, "dilation", 2, 1)
    padding = spatial_ints(padding, fname, "padding", 2, 0)
    stride = spatial_ints(stride, fname, "stride", 2, 1)
    spatial = _check_spatial(fname, input_, unbatched)
    out = _check_window_fits(fname, 2, spatial, kernel, stride, padding, (0, 0), dilation)
    n = 1 if unbatched else input_.shape[0]
    c = input_.shape[1 - unbatched]
    _check_elements(fname, "output", (n, c * math.prod(kernel), math.prod(out)))
    _check_elements(fname, "padded input",
                    (n, c) + tuple(spatial[i] + 2 * padding[i] for i in range(2)))
    return UnfoldArgs(kernel, dilation, padding, stride, None, unbatched)


def fold_args(fname, input_, output_size, kernel_size, dilation, padding, stride):
    """Check ``fold``'s arguments (input ``(N, C * kH * kW, L)`` or unbatched, 2-D)."""
    _check_tensor(fname, "input_", input_)
    if input_.ndim not in (2, 3):
        raise ValueError(
            f"{fname}: input_ must be 2-D (C * kH * kW, L) unbatched or 3-D (N, C * kH * kW, L) "
            f"batched; got a {input_.ndim}-D tensor of shape {input_.shape}"
        )
    unbatched = input_.ndim == 2
    output_size = spatial_ints(output_size, fname, "output_size", 2, 1)
    kernel = spatial_ints(kernel_size, fname, "kernel_size", 2, 1)
    dilation = spatial_ints(dilation, fname, "dilation", 2, 1)
    padding = spatial_ints(padding, fname, "padding", 2, 0)
    stride = spatial_ints(stride, fname, "stride", 2, 1)
    rows, blocks = input_.shape[-2:]
    k = math.prod(kernel)
    if rows == 0 or rows % k:
        raise ValueError(
            f"{fname}: input_.shape[{1 - unbatched}] ({rows}) must be a positive multiple of "
            f"kH * kW = {kernel[0]} * {kernel[1]} = {k}"
        )
    out = _check_window_fits(fname, 2, output_size, kernel, stride, padding, (0, 0), dilation)
    if blocks != math.prod(out):
        raise ValueError(
            f"{fname}: input_ has {blocks} blocks (its last axis) but output_size {output_size}, "
            f"kernel_size {kernel}, dilation {dilation}, padding {padding} and stride {stride} "
            f"give {out[0]} * {out[1]} = {math.prod(out)} blocks"
        )
    n = 1 if unbatched else input_.shape[0]
    _check_elements(fname, "output", (n, rows // k) + output_size)
    _check_elements(fname, "padded output",
                    (n, rows // k) + tuple(output_size[i] + 2 * padding[i] for i in range(2)))
    return UnfoldArgs(kernel, dilation, padding, stride, output_size, unbatched)


# ------------------------------------------------------------------ layers (modules)
def layer_args(name, d, in_channels, out_channels, kernel_size, stride, padding, dilation,
               groups, output_padding=None):
    """Check a conv layer's constructor arguments; return them normalised.

    Returns ``(kernel_size, stride, padding, dilation, groups, output_padding)`` as
    tuples of ``d`` ints (``padding`` stays ``'same'``/``'valid'`` when given so;
    ``output_padding`` is None for a plain convolution).
    """
    for argname, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        check_int(value, name, argname, minimum=1, maximum=MAX_SIZE)
    kernel_size = spatial_ints(kernel_size, name, "kernel_size", d, 1)
    stride = spatial_ints(stride, name, "stride", d, 1)
    dilation = spatial_ints(dilation, name, "dilation", d, 1)
    groups = check_int(groups, name, "groups", minimum=1, maximum=MAX_SIZE)
    for argname, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise ValueError(f"{name}: {argname} ({value}) must be divisible by groups ({groups})")
    if isinstance(padding, str):
        if output_padding is not None or padding not in ("same", "valid"):
            allowed = "an int or a tuple of ints" + ("" if output_padding is not None
                                                     else ", 'same' or 'valid'")
            raise ValueError(f"{name}: padding must be {allowed}; got {padding!r}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError(
                f"{name}: padding='same' needs stride 1; got stride={stride if d > 1 else stride[0]}"
            )
    else:
        padding = spatial_ints(padding, name, "padding", d, 0)
    if output_padding is not None:
        output_padding = spatial_ints(output_padding, name, "output_padding", d, 0)
        _check_output_padding(name, d, output_padding, stride, dilation)
    return kernel_size, stride, padding, dilation, groups, output_padding
