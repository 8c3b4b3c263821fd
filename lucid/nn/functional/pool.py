r"""Pooling: ``max_pool1d/2d/3d``, ``max_unpool1d/2d/3d``, ``avg_pool1d/2d/3d``,
``adaptive_avg_pool1d/2d/3d``.

Each function checks its arguments here (every rule lives in this file), then calls one
autograd Function of :mod:`lucid.ops.pool`, whose forward and backward run the ``pool``
kernels of :mod:`lucid._ext` (adaptive pooling is a matrix product per axis). The output
sizes come from one helper, :func:`lucid._ext._sizes.pool_output_size`.

Arguments, defaults and results follow ``torch.nn.functional``; the first argument is
``input_``. The docstrings of the 1d/2d/3d variants share one text per family, filled in
per dimension below; each function has its own examples.
"""
import math

import numpy as np

from lucid._ext._sizes import pool_output_size
from lucid._tensor import Tensor
from lucid.error import IndexOutOfRangeError
from lucid.nn.functional._conv_args import MAX_ELEMENTS, check_input_ndim, spatial_ints
from lucid.nn.functional._family_doc import fill_doc
from lucid.nn.functional._layer_args import flag_arg
from lucid._checks import int_tuple, is_int, remembered
from lucid.ops.pool import AdaptiveAvgPool, AvgPool, MaxPool, MaxUnpool

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_unpool1d", "max_unpool2d",
           "max_unpool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d"]


# ------------------------------------------------------------------ argument checks
def _axis(d, i):
    return "" if d == 1 else f" along spatial axis {i}"


def _check_input(fname, input_, d):
    """A float Tensor of ``d + 1`` (unbatched) or ``d + 2`` axes; returns ``unbatched``."""
    if not isinstance(input_, Tensor):
        raise TypeError(f"{fname}: input_ must be a lucid Tensor; got {type(input_).__name__}")
    if input_.dtype not in ("float32", "float64"):
        raise TypeError(f"{fname}: input_ must be a float32 or float64 tensor; got dtype "
                        f"{input_.dtype}")
    unbatched = check_input_ndim(fname, input_, d)
    if 0 in input_.shape[1 - unbatched:]:
        raise ValueError(
            f"{fname}: input_ must have at least one channel and a non-empty spatial extent "
            f"(only the batch axis may be 0); got shape {input_.shape}"
        )
    return unbatched


@remembered
def _window_args(fname, d, input_, kernel_size, stride, padding, dilation, ceil_mode):
    """Check the window arguments shared by max and average pooling.

    Returns ``(kernel, stride, padding, dilation, ceil_mode, unbatched)`` with tuples of
    ``d`` ints. Raises when a padding exceeds half the kernel or an output size is not
    positive (both as PyTorch), or when the arrays would be absurdly large. A call seen
    before returns what it returned then (:func:`lucid._checks.remembered`).
    """
    unbatched = _check_input(fname, input_, d)
    kernel = spatial_ints(kernel_size, fname, "kernel_size", d, 1)
    stride = kernel if stride is None else spatial_ints(stride, fname, "stride", d, 1)
    padding = spatial_ints(padding, fname, "padding", d, 0)
    dilation = spatial_ints(dilation, fname, "dilation", d, 1)
    ceil_mode = flag_arg(ceil_mode, fname, "ceil_mode")
    spatial = input_.shape[2 - unbatched:]
    for i in range(d):
        if 2 * padding[i] > kernel[i]:
            raise ValueError(
                f"{fname}: padding ({padding[i]}) must be at most half of kernel_size "
                f"({kernel[i]}), i.e. at most {kernel[i] // 2}{_axis(d, i)}"
            )
    out = tuple(pool_output_size(spatial[i], kernel[i], stride[i], padding[i], dilation[i],
                                 ceil_mode) for i in range(d))
    for i in range(d):
        if out[i] <= 0:
            rounding = "ceil" if ceil_mode else "floor"
            raise ValueError(
                f"{fname}: the output size {rounding}((L + 2 * padding - dilation * (K - 1) "
                f"- 1) / stride) + 1 = {rounding}(({spatial[i]} + 2 * {padding[i]} - "
                f"{dilation[i]} * ({kernel[i]} - 1) - 1) / {stride[i]}) + 1 = {out[i]} is not "
                f"positive{_axis(d, i)}: the input is too small for the kernel"
            )
    n, c = (1, input_.shape[0]) if unbatched else input_.shape[:2]
    # the reference twin pads the input to every window's reach
    padded = tuple(max(spatial[i] + padding[i],
                       (out[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1)
                   + padding[i] for i in range(d))
    for what, shape in (("output", (n, c) + out), ("padded input", (n, c) + padded)):
        if math.prod(shape) > MAX_ELEMENTS:
            raise ValueError(
                f"{fname}: the {what} would have shape {shape} ({math.prod(shape)} "
                f"elements), more than the {MAX_ELEMENTS} lucid allocates for one call"
            )
    return kernel, stride, padding, dilation, ceil_mode, unbatched


def _max_pool(fname, d, input_, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    kernel, stride, padding, dilation, ceil_mode, unbatched = _window_args(
        fname, d, input_, kernel_size, stride, padding, dilation, ceil_mode)
    if not flag_arg(return_indices, fname, "return_indices"):
        return MaxPool.apply(input_, kernel_size=kernel, stride=stride, padding=padding,
                             dilation=dilation, ceil_mode=ceil_mode, unbatched=unbatched)
    indices = []
    y = MaxPool.apply(input_, kernel_size=kernel, stride=stride, padding=padding,
                      dilation=dilation, ceil_mode=ceil_mode, unbatched=unbatched,
                      indices=indices)
    return y, Tensor._wrap(indices[0])


def _max_unpool(fname, d, input_, indices, kernel_size, stride, padding, output_size):
    """Check the arguments of max unpooling (PyTorch's rules), then scatter."""
    _check_input(fname, input_, d)
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
        raise TypeError(f"{fname}: indices must be a Tensor of integer positions (int64, as "
                        f"max_pool{d}d(..., return_indices=True) returns); got "
                        f"{indices.dtype if isinstance(indices, Tensor) else type(indices).__name__}")
    if indices.shape != input_.shape:
        raise ValueError(f"{fname}: indices must have the shape of input_ {input_.shape}; "
                         f"got {indices.shape}")
    kernel = spatial_ints(kernel_size, fname, "kernel_size", d, 1)
    stride = kernel if stride is None else spatial_ints(stride, fname, "stride", d, 1)
    padding = spatial_ints(padding, fname, "padding", d, 0)
    spatial = input_.shape[-d:]
    default = tuple((spatial[i] - 1) * stride[i] + kernel[i] - 2 * padding[i] for i in range(d))
    if output_size is None:
        size = default
    else:
        size = int_tuple(output_size, fname, "output_size", minimum=0)
        if len(size) == d + 2:
            size = size[2:]
        if len(size) != d:
            raise ValueError(f"{fname}: output_size must have {d} (spatial) or {d + 2} values; "
                             f"got {tuple(output_size)}")
        for i in range(d):
            low, high = default[i] - stride[i], default[i] + stride[i]
            if not low < size[i] < high:
                raise ValueError(f"{fname}: output_size {size} must lie strictly between "
                                 f"{low} and {high}{_axis(d, i)} (the pooled input's size, "
                                 f"give or take a stride)")
    if any(s <= 0 for s in size):
        raise ValueError(f"{fname}: the output size {size} must be positive (kernel_size, "
                         f"stride and padding leave nothing of input_ {input_.shape})")
    planes = input_.shape[:input_.ndim - d]
    if math.prod(planes + size) > MAX_ELEMENTS:
        raise ValueError(f"{fname}: the output would have shape {planes + size}, more than "
                         f"the {MAX_ELEMENTS} elements lucid allocates for one call")
    positions = indices.data
    n = math.prod(size)
    if positions.size and (positions.min() < 0 or positions.max() >= n):
        bad = positions[(positions < 0) | (positions >= n)].ravel()[0]
        raise IndexOutOfRangeError(
            f"{fname}: indices must lie in [0, {n}) (flat positions in an output "
            f"plane of size {'x'.join(map(str, size))}); got {bad}")
    return MaxUnpool.apply(input_, positions.astype(np.int64, copy=False), output_size=size)


def _avg_pool(fname, d, input_, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    kernel, stride, padding, _, ceil_mode, unbatched = _window_args(
        fname, d, input_, kernel_size, stride, padding, 1, ceil_mode)
    count_include_pad = flag_arg(count_include_pad, fname, "count_include_pad")
    if divisor_override is not None:
        if not is_int(divisor_override):
            raise TypeError(f"{fname}: divisor_override must be an int or None; got "
                            f"{divisor_override!r}")
        if divisor_override == 0:
            raise ValueError(f"{fname}: divisor_override must not be zero")
        divisor_override = int(divisor_override)
    if d == 3:
        spatial = input_.shape[2 - unbatched:]
        if any(spatial[i] < kernel[i] for i in range(3)):
            raise ValueError(
                f"{fname}: input_ of spatial size {tuple(spatial)} is smaller than kernel_size "
                f"{kernel} (PyTorch's avg_pool3d refuses this whatever the padding; lucid "
                f"follows it)"
            )
    return AvgPool.apply(input_, kernel_size=kernel, stride=stride, padding=padding,
                         ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                         divisor_override=divisor_override, unbatched=unbatched)


def _adaptive_avg_pool(fname, d, input_, output_size):
    sizes = _adaptive_args(fname, d, input_, output_size)
    return AdaptiveAvgPool.apply(input_, output_size=sizes)


@remembered
def _adaptive_args(fname, d, input_, output_size):
    """The output's spatial sizes (a tuple of ints), the arguments checked."""
    _check_input(fname, input_, d)
    shown = output_size
    sizes = (output_size,) * d if not isinstance(output_size, (tuple, list)) else output_size
    if len(sizes) != d or not all(s is None or is_int(s) for s in sizes):
        kind = TypeError if len(sizes) == d else ValueError
        raise kind(
            f"{fname}: output_size must be an int or a tuple of {d} ints (or None, to keep "
            f"an axis' size); got {shown!r}"
        )
    spatial = input_.shape[-d:]
    sizes = tuple(spatial[i] if s is None else int(s) for i, s in enumerate(sizes))
    if any(s < 0 for s in sizes):
        raise ValueError(f"{fname}: output_size must not be negative; got {shown!r}")
    shape = input_.shape[:-d] + sizes
    if math.prod(shape) > MAX_ELEMENTS:
        raise ValueError(f"{fname}: the output would have shape {shape}, more than the "
                         f"{MAX_ELEMENTS} elements lucid allocates for one call")
    return sizes


# ------------------------------------------------------------------ the functions
def max_pool1d(input_, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool("max_pool1d", 1, input_, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool2d(input_, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool("max_pool2d", 2, input_, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool3d(input_, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool("max_pool3d", 3, input_, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_unpool1d(input_, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool("max_unpool1d", 1, input_, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input_, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool("max_unpool2d", 2, input_, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool3d(input_, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool("max_unpool3d", 3, input_, indices, kernel_size, stride, padding,
                       output_size)


def avg_pool1d(input_, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    return _avg_pool("avg_pool1d", 1, input_, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input_, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool("avg_pool2d", 2, input_, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input_, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool("avg_pool3d", 3, input_, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def adaptive_avg_pool1d(input_, output_size):
    return _adaptive_avg_pool("adaptive_avg_pool1d", 1, input_, output_size)


def adaptive_avg_pool2d(input_, output_size):
    return _adaptive_avg_pool("adaptive_avg_pool2d", 2, input_, output_size)


def adaptive_avg_pool3d(input_, output_size):
    return _adaptive_avg_pool("adaptive_avg_pool3d", 3, input_, output_size)


# ------------------------------------------------------------------ docstrings
_MAX_DOC = r"""<D>-D max pooling: the largest value of every window.

    For input :math:`x` of shape ``(N, C, <S>)``, output position :math:`o` and kernel
    offset :math:`k` (per spatial axis :math:`0 \le k < K`):

    .. math:: y[n, c, o] = \max_{k} x_{pad}[n, c,\; o\,s + k\,\mathrm{dil}]

    where :math:`x_{pad}` is :math:`x` with ``padding`` values of :math:`-\infty` on both
    sides of each spatial axis (the padding never wins). Along each axis

    .. math:: L_{out} = \left\lfloor \frac{L + 2p - \mathrm{dil}(K - 1) - 1}{s}
              \right\rfloor + 1

    rounded up instead with ``ceil_mode=True``, keeping a last window only if it starts
    inside the input or the left padding.

    Shapes: ``(N, C, <S>)`` gives ``(N, C, <O>)``; an unbatched ``(C, <S>)`` gives
    ``(C, <O>)``.

    Backward: each output's gradient goes, whole, to the one input that won its window
    (on a tie, the first in row-major scan order, as PyTorch; a NaN wins); an input that
    wins several overlapping windows receives the sum:
    :math:`\partial L/\partial x[n, c, j] = \sum_{o:\ \mathrm{argmax}(o) = j}
    \partial L/\partial y[n, c, o]`.

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, <S>)`` or ``(C, <S>)``, float32 or float64.
    kernel_size : int or tuple of <d> ints
        Window size.
    stride : int or tuple of <d> ints, optional
        Step between windows; default ``kernel_size``.
    padding : int or tuple of <d> ints, default 0
        :math:`-\infty` added on both sides of each spatial axis; at most
        ``kernel_size // 2``.
    dilation : int or tuple of <d> ints, default 1
        Spacing between the window's elements.
    ceil_mode : bool, default False
        Round the output size up instead of down.
    return_indices : bool, default False
        Also return where each maximum was (for :func:`max_unpool<d>d`).

    Returns
    -------
    Tensor, or (Tensor, Tensor)
        ``(N, C, <O>)`` (or ``(C, <O>)``), the input's dtype. With ``return_indices``
        also the indices, int64 of the same shape: PyTorch's convention, the flat
        (row-major) position of the winner inside its ``(<S>)`` plane of the input (a
        window lying wholly in the padding, possible with dilation, gives -1). They
        carry no gradient.

    Raises
    ------
    TypeError
        Non-Tensor or non-float input; non-integer sizes; non-bool ``ceil_mode`` or
        ``return_indices``.
    ValueError
        Wrong input ndim or an empty channel/spatial axis; kernel_size, stride or
        dilation not positive; padding negative or more than half the kernel; an output
        size that is not positive.

    Examples
    --------
"""

_UNPOOL_DOC = r"""<D>-D max unpooling: put each value back where :func:`max_pool<d>d` found it.

    The partial inverse of max pooling: given the pooled values and the ``indices``
    that ``max_pool<d>d(..., return_indices=True)`` returned, every value goes back to
    its position in an output of zeros,

    .. math:: y[n, c].\mathrm{flat}[\,\mathrm{indices}[n, c, o]\,] = x[n, c, o]

    and everything else is 0 (the non-maxima are lost). Each index is a flat
    (row-major) position inside one ``(<O>)`` plane of the output. Along each axis the
    output size is, by default, the input size of the pooling that made the indices
    (without its ``ceil_mode``/``dilation``):

    .. math:: L_{out} = (L - 1)\,s - 2p + K

    ``output_size`` picks another one strictly between :math:`L_{out} - s` and
    :math:`L_{out} + s` (e.g. an odd size the pooling rounded down).

    Shapes: ``(N, C, <S>)`` and ``indices`` of that shape give ``(N, C, <O>)``; an
    unbatched ``(C, <S>)`` gives ``(C, <O>)``.

    Backward: the gather of the same positions, :math:`\partial L/\partial x[n, c, o]
    = \partial L/\partial y[n, c].\mathrm{flat}[\mathrm{indices}[n, c, o]]`.
    ``indices`` gets no gradient.

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, <S>)`` or ``(C, <S>)``, float32 or float64: pooled values.
    indices : Tensor
        Integer flat positions of ``input_``'s shape, each in
        :math:`[0, \prod L_{out})`.
    kernel_size : int or tuple of <d> ints
        The pooling's window.
    stride : int or tuple of <d> ints, optional
        The pooling's stride; default ``kernel_size``.
    padding : int or tuple of <d> ints, default 0
        The pooling's padding.
    output_size : tuple of ints, optional
        The ``(<O>)`` sizes (or ``(N, C, <O>)``); default the formula above.

    Returns
    -------
    Tensor
        ``(N, C, <O>)`` (or ``(C, <O>)``), the input's dtype.

    Raises
    ------
    TypeError
        Non-Tensor or non-float input; ``indices`` not of an integer dtype; non-integer
        sizes.
    ValueError
        Wrong input ndim or an empty channel/spatial axis; ``indices`` of another shape
        or out of range; ``output_size`` of the wrong length or outside the range above;
        an output size that is not positive.

    Examples
    --------
"""

_AVG_DOC = r"""<D>-D average pooling: the mean of every window.

    For input :math:`x` of shape ``(N, C, <S>)``, output position :math:`o` and kernel
    offset :math:`k` (per spatial axis :math:`0 \le k < K`):

    .. math:: y[n, c, o] = \frac{1}{\mathrm{div}(o)} \sum_{k} x_{pad}[n, c,\; o\,s + k]

    where :math:`x_{pad}` is :math:`x` with ``padding`` zeros on both sides of each
    spatial axis. The divisor :math:`\mathrm{div}(o)` is the number of window positions
    inside the padded input (``count_include_pad=True``; a ``ceil_mode`` window hanging
    past the right padding is cut there), or inside the input alone
    (``count_include_pad=False``)<OVERRIDE>. Along each axis

    .. math:: L_{out} = \left\lfloor \frac{L + 2p - K}{s} \right\rfloor + 1

    rounded up instead with ``ceil_mode=True``, keeping a last window only if it starts
    inside the input or the left padding.

    Shapes: ``(N, C, <S>)`` gives ``(N, C, <O>)``; an unbatched ``(C, <S>)`` gives
    ``(C, <O>)``.

    Backward: every input position of window :math:`o` receives an equal share,
    :math:`\partial L/\partial x[n, c, j] = \sum_{o:\ j \in \mathrm{window}(o)}
    \partial L/\partial y[n, c, o] \,/\, \mathrm{div}(o)`.

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, <S>)`` or ``(C, <S>)``, float32 or float64.
    kernel_size : int or tuple of <d> ints
        Window size.
    stride : int or tuple of <d> ints, optional
        Step between windows; default ``kernel_size``.
    padding : int or tuple of <d> ints, default 0
        Zeros added on both sides of each spatial axis; at most ``kernel_size // 2``.
    ceil_mode : bool, default False
        Round the output size up instead of down.
    count_include_pad : bool, default True
        Count the padding's zeros in the divisor.<OVERRIDE_PARAM>

    Returns
    -------
    Tensor
        ``(N, C, <O>)`` (or ``(C, <O>)``), the input's dtype.

    Raises
    ------
    TypeError
        Non-Tensor or non-float input; non-integer sizes; non-bool flags.
    ValueError
        Wrong input ndim or an empty channel/spatial axis; kernel_size or stride not
        positive; padding negative or more than half the kernel; an output size that is
        not positive<RAISES>.

    Examples
    --------
"""

_ADAPTIVE_DOC = r"""<D>-D adaptive average pooling: average down to a given output size.

    Along each spatial axis of length :math:`L` pooled to :math:`O` outputs, output
    :math:`i` averages the inputs

    .. math:: \left\lfloor \frac{i L}{O} \right\rfloor \le j <
              \left\lceil \frac{(i + 1) L}{O} \right\rceil

    (windows of nearly equal size covering the axis, as PyTorch), and a <d>-D window is
    the product of one such range per axis:

    .. math:: y[n, c, i] = \frac{1}{|\mathrm{window}(i)|}
              \sum_{j \in \mathrm{window}(i)} x[n, c, j]

    This is linear and separable: one :math:`O \times L` averaging matrix :math:`A_a`
    per axis, :math:`y = x \times_1 A_1 \cdots \times_<d> A_<d>`.

    Shapes: ``(N, C, <S>)`` gives ``(N, C, <O>)``; an unbatched ``(C, <S>)`` gives
    ``(C, <O>)``.

    Backward: :math:`\partial L/\partial x = \partial L/\partial y \times_1 A_1^T \cdots
    \times_<d> A_<d>^T`: every input receives the gradient of each window containing it,
    divided by that window's size.

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, <S>)`` or ``(C, <S>)``, float32 or float64.
    output_size : int or tuple of <d> ints (or None)
        ``(<O>)``; None keeps that axis' input size.

    Returns
    -------
    Tensor
        ``(N, C, <O>)`` (or ``(C, <O>)``), the input's dtype.

    Raises
    ------
    TypeError
        Non-Tensor or non-float input; a non-integer output size.
    ValueError
        Wrong input ndim or an empty channel/spatial axis; an output size of the wrong
        length or negative.

    Examples
    --------
"""


def _fill(template, d, examples, **extra):
    return fill_doc(template, d, **extra) + examples


_OVERRIDE = (", or ``divisor_override`` when given", """
    divisor_override : int, optional
        A fixed divisor for every window instead (not zero).""")
_NO_OVERRIDE = ("", "")
_AVG3D_RAISES = ("; an input smaller than the kernel along some axis, whatever the "
                 "padding (as PyTorch's avg_pool3d)")

max_pool1d.__doc__ = _fill(_MAX_DOC, 1, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]])     # (1, 1, 5)
    >>> print(F.max_pool1d(x, kernel_size=2))           # windows [1, 3], [2, 5]
    Tensor([[[3.0, 5.0]]])
    >>> print(F.max_pool1d(x, 2, padding=1))            # [-inf, 1], [3, 2], [5, 4]
    Tensor([[[1.0, 3.0, 5.0]]])
    >>> print(F.max_pool1d(x, 2, ceil_mode=True))       # keeps the partial window [4]
    Tensor([[[3.0, 5.0, 4.0]]])

    The gradient goes to the winners; with overlapping windows (stride 1) the 3 and
    the 5 each win twice and receive both gradients:

    >>> x = lucid.Tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]], requires_grad=True)
    >>> F.max_pool1d(x, kernel_size=2).sum().backward()
    >>> x.grad
    array([[[0., 1., 0., 1., 0.]]], dtype=float32)
    >>> x.grad = None
    >>> F.max_pool1d(x, kernel_size=2, stride=1).sum().backward()   # [3, 3, 5, 5]
    >>> x.grad
    array([[[0., 2., 0., 2., 0.]]], dtype=float32)
""")

max_pool1d.__doc__ = max_pool1d.__doc__.rstrip() + r"""

    ``return_indices=True`` also returns where each maximum was: its flat position in
    the input's plane (the 3 was at 1, the 5 at 3):

    >>> y, indices = F.max_pool1d(lucid.Tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2,
    ...                           return_indices=True)
    >>> print(indices)
    Tensor([[[1, 3]]])
"""

max_pool2d.__doc__ = _fill(_MAX_DOC, 2, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[1.0, 2.0, 5.0, 6.0],
    ...                     [3.0, 4.0, 7.0, 8.0],
    ...                     [0.0, 1.0, 2.0, 3.0],
    ...                     [1.0, 0.0, 3.0, 2.0]]]])        # (1, 1, 4, 4)
    >>> print(F.max_pool2d(x, 2))                             # one max per 2x2 block
    Tensor([[[[4.0, 8.0], [1.0, 3.0]]]])
    >>> print(F.max_pool2d(x, 2, stride=1, dilation=2))       # every other element
    Tensor([[[[5.0, 6.0], [7.0, 8.0]]]])
""")

max_pool3d.__doc__ = _fill(_MAX_DOC, 3, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.arange(8.0).reshape(1, 1, 2, 2, 2)          # (N, C, D, H, W)
    >>> print(F.max_pool3d(x, 2))
    Tensor([[[[[7.0]]]]])
    >>> print(F.max_pool3d(x, (2, 1, 1)).shape)
    (1, 1, 1, 2, 2)
""")

max_unpool1d.__doc__ = _fill(_UNPOOL_DOC, 1, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[1.0, 3.0, 2.0, 5.0, 4.0, 0.0]]])
    >>> y, indices = F.max_pool1d(x, 2, return_indices=True)
    >>> print(y, indices)
    Tensor([[[3.0, 5.0, 4.0]]]) Tensor([[[1, 3, 4]]])
    >>> print(F.max_unpool1d(y, indices, 2))            # the maxima where they were
    Tensor([[[0.0, 3.0, 0.0, 5.0, 4.0, 0.0]]])

    An input of odd length pools to a shorter output; ``output_size`` restores it:

    >>> x = lucid.Tensor([[[1.0, 3.0, 2.0, 5.0, 9.0]]])
    >>> y, indices = F.max_pool1d(x, 2, return_indices=True)
    >>> print(F.max_unpool1d(y, indices, 2, output_size=(5,)))
    Tensor([[[0.0, 3.0, 0.0, 5.0, 0.0]]])
""")

max_unpool2d.__doc__ = _fill(_UNPOOL_DOC, 2, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[1.0, 2.0, 5.0, 6.0],
    ...                     [3.0, 4.0, 7.0, 8.0]]]])        # (1, 1, 2, 4)
    >>> y, indices = F.max_pool2d(x, 2, return_indices=True)
    >>> print(indices)                                       # row 1, columns 1 and 3
    Tensor([[[[5, 7]]]])
    >>> print(F.max_unpool2d(y, indices, 2))
    Tensor([[[[0.0, 0.0, 0.0, 0.0], [0.0, 4.0, 0.0, 8.0]]]])

    The gradient goes back to the pooled values, read at their positions:

    >>> y = lucid.Tensor(y.data, requires_grad=True)
    >>> (F.max_unpool2d(y, indices, 2) * lucid.arange(8.0).reshape(1, 1, 2, 4)).sum().backward()
    >>> y.grad
    array([[[[5., 7.]]]], dtype=float32)
""")

max_unpool3d.__doc__ = _fill(_UNPOOL_DOC, 3, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.arange(8.0).reshape(1, 1, 2, 2, 2)          # (N, C, D, H, W)
    >>> y, indices = F.max_pool3d(x, 2, return_indices=True)
    >>> print(y, indices)
    Tensor([[[[[7.0]]]]]) Tensor([[[[[7]]]]])
    >>> F.max_unpool3d(y, indices, 2).shape
    (1, 1, 2, 2, 2)
""")

avg_pool1d.__doc__ = _fill(_AVG_DOC, 1, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[1.0, 3.0, 2.0, 6.0, 4.0]]])     # (1, 1, 5)
    >>> print(F.avg_pool1d(x, kernel_size=2))           # means of [1, 3] and [2, 6]
    Tensor([[[2.0, 4.0]]])

    With padding the zeros count in the divisor unless ``count_include_pad=False``:

    >>> print(F.avg_pool1d(x, 2, padding=1))            # [0, 1], [3, 2], [6, 4]
    Tensor([[[0.5, 2.5, 5.0]]])
    >>> print(F.avg_pool1d(x, 2, padding=1, count_include_pad=False))
    Tensor([[[1.0, 2.5, 5.0]]])

    Each window shares its gradient equally among its inputs (the 4 is in no window):

    >>> x = lucid.Tensor([[[1.0, 3.0, 2.0, 6.0, 4.0]]], requires_grad=True)
    >>> F.avg_pool1d(x, kernel_size=2).sum().backward()
    >>> x.grad
    array([[[0.5, 0.5, 0.5, 0.5, 0. ]]], dtype=float32)
""", OVERRIDE=_NO_OVERRIDE[0], OVERRIDE_PARAM=_NO_OVERRIDE[1], RAISES="")

avg_pool2d.__doc__ = _fill(_AVG_DOC, 2, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[1.0, 2.0, 5.0, 6.0],
    ...                     [3.0, 4.0, 7.0, 8.0]]]])        # (1, 1, 2, 4)
    >>> print(F.avg_pool2d(x, 2))
    Tensor([[[[2.5, 6.5]]]])
    >>> print(F.avg_pool2d(x, 2, divisor_override=1))         # window sums
    Tensor([[[[10.0, 26.0]]]])
""", OVERRIDE=_OVERRIDE[0], OVERRIDE_PARAM=_OVERRIDE[1], RAISES="")

avg_pool3d.__doc__ = _fill(_AVG_DOC, 3, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.arange(8.0).reshape(1, 1, 2, 2, 2)          # (N, C, D, H, W)
    >>> print(F.avg_pool3d(x, 2))
    Tensor([[[[[3.5]]]]])
    >>> print(F.avg_pool3d(x, (1, 2, 2)))
    Tensor([[[[[1.5]], [[5.5]]]]])
""", OVERRIDE=_OVERRIDE[0], OVERRIDE_PARAM=_OVERRIDE[1], RAISES=_AVG3D_RAISES)

adaptive_avg_pool1d.__doc__ = _fill(_ADAPTIVE_DOC, 1, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]])     # (1, 1, 5)
    >>> print(F.adaptive_avg_pool1d(x, 2))                  # windows [0, 3) and [2, 5)
    Tensor([[[2.0, 4.0]]])
    >>> print(F.adaptive_avg_pool1d(x, 1))                  # the global mean
    Tensor([[[3.0]]])
""")

adaptive_avg_pool2d.__doc__ = _fill(_ADAPTIVE_DOC, 2, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.arange(16.0).reshape(1, 1, 4, 4)
    >>> print(F.adaptive_avg_pool2d(x, 2))                  # means of the 2x2 blocks
    Tensor([[[[2.5, 4.5], [10.5, 12.5]]]])
    >>> print(F.adaptive_avg_pool2d(x, (None, 1)).shape)    # None keeps H
    (1, 1, 4, 1)
""")

adaptive_avg_pool3d.__doc__ = _fill(_ADAPTIVE_DOC, 3, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.arange(8.0).reshape(1, 1, 2, 2, 2)
    >>> print(F.adaptive_avg_pool3d(x, 1))
    Tensor([[[[[3.5]]]]])
""")
