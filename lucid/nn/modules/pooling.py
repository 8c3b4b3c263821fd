r"""Pooling layers: ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d`` and ``AdaptiveAvgPool1d/2d/3d``.

Each layer holds its window settings (checked when the layer is made) and calls the
matching function of :mod:`lucid.nn.functional.pool` in ``forward``; those functions
document the window sums, the output sizes

.. math:: L_{out} = \left\lfloor \frac{L_{in} + 2p - d(K - 1) - 1}{s} \right\rfloor + 1

(:math:`\lceil\cdot\rceil` with ``ceil_mode``) and the backward (max pooling routes each
gradient to the arg-max of its window; average pooling spreads it evenly). No
parameters. The settings are stored and shown as given, as PyTorch does (``stride``
defaults to ``kernel_size``), so ``repr`` matches PyTorch's.
"""
from lucid.nn.functional import pool as P
from lucid.nn.functional._conv_args import spatial_ints
from lucid.nn.functional._family_doc import SPATIAL
from lucid.nn.functional._layer_args import flag_arg
from lucid.nn.module import Module
from lucid.nn.modules._checks import layer_input
from lucid._checks import is_int

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"]


def _window(layer, d, kernel_size, stride, padding, dilation=1):
    """Check the window settings (sizes, and padding at most half the kernel)."""
    kernel = spatial_ints(kernel_size, layer, "kernel_size", d, 1)
    if stride is not None:
        spatial_ints(stride, layer, "stride", d, 1)
    pad = spatial_ints(padding, layer, "padding", d, 0)
    spatial_ints(dilation, layer, "dilation", d, 1)
    for k, p in zip(kernel, pad):
        if 2 * p > k:
            raise ValueError(f"{layer}: padding ({p}) must be at most half of kernel_size "
                             f"({k})")


class _Pool(Module):
    _d = 1

    def _check(self, x):
        layer_input(type(self).__name__, x, self._d)


class _MaxPool(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        name = type(self).__name__
        _window(name, self._d, kernel_size, stride, padding, dilation)
        if flag_arg(return_indices, name, "return_indices"):
            raise ValueError(f"{name}: return_indices=True is not supported by lucid (the "
                             "arg-max indices stay inside the backward)")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices = False
        self.ceil_mode = flag_arg(ceil_mode, name, "ceil_mode")

    def forward(self, x):
        """Max-pool ``x`` (``(N, C, *S)`` or ``(C, *S)``)."""
        self._check(x)
        fn = (P.max_pool1d, P.max_pool2d, P.max_pool3d)[self._d - 1]
        return fn(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class _AvgPool(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        name = type(self).__name__
        _window(name, self._d, kernel_size, stride, padding)
        if divisor_override is not None and (not is_int(divisor_override)
                                             or divisor_override == 0):
            raise ValueError(f"{name}: divisor_override must be a non-zero int or None; got "
                             f"{divisor_override!r}")
        if self._d == 1:                                # PyTorch keeps 1-tuples here
            kernel_size = spatial_ints(kernel_size, name, "kernel_size", 1, 1)
            stride = None if stride is None else spatial_ints(stride, name, "stride", 1, 1)
            padding = spatial_ints(padding, name, "padding", 1, 0)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = flag_arg(ceil_mode, name, "ceil_mode")
        self.count_include_pad = flag_arg(count_include_pad, name, "count_include_pad")
        self.divisor_override = divisor_override

    def forward(self, x):
        """Average-pool ``x`` (``(N, C, *S)`` or ``(C, *S)``)."""
        self._check(x)
        args = (x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                self.count_include_pad)
        if self._d == 1:
            return P.avg_pool1d(*args)
        fn = P.avg_pool2d if self._d == 2 else P.avg_pool3d
        return fn(*args, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptiveAvgPool(_Pool):
    def __init__(self, output_size):
        super().__init__()
        name = type(self).__name__
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * self._d
        if len(sizes) != self._d or not all(s is None or (is_int(s) and s >= 0) for s in sizes):
            raise ValueError(f"{name}: output_size must be a non-negative int or a tuple of "
                             f"{self._d} of them (None keeps an axis' size); got "
                             f"{output_size!r}")
        self.output_size = output_size

    def forward(self, x):
        """Adaptive average pooling of ``x`` (``(N, C, *S)`` or ``(C, *S)``)."""
        self._check(x)
        fn = (P.adaptive_avg_pool1d, P.adaptive_avg_pool2d, P.adaptive_avg_pool3d)[self._d - 1]
        return fn(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


_MAX_DOC = r"""{d}-D max pooling: the largest value of each window.

    .. math:: y_{{n,c,o}} = \max_{{k}} x_{{n,c,\, o s + k d - p}}

    (per spatial axis; padding positions never win). Shapes: ``(N, C, {s})`` or
    ``(C, {s})`` in, the same with the output sizes of the module docstring out.

    Backward: each output's gradient goes to the arg-max of its window (see
    :func:`lucid.nn.functional.max_pool{d}d`).

    Parameters
    ----------
    kernel_size : int or tuple of {d} ints
    stride : int or tuple of {d} ints, default kernel_size
    padding : int or tuple of {d} ints, default 0
        At most half the kernel.
    dilation : int or tuple of {d} ints, default 1
    return_indices : bool, default False
        Only False is supported.
    ceil_mode : bool, default False
        Round the output size up (windows may start in the right padding).

    Raises
    ------
    TypeError, ValueError
        Bad window settings; (forward) an input of another ndim, or too small.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> pool = nn.MaxPool{d}d(2)
    >>> pool
    MaxPool{d}d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> pool(lucid.random.randn{example_in}).shape
    {example_out}
    """

_AVG_DOC = r"""{d}-D average pooling: the mean of each window.

    .. math:: y_{{n,c,o}} = \frac{{1}}{{|W_o|}} \sum_{{k}} x_{{n,c,\, o s + k - p}}

    with :math:`|W_o|` the kernel size (``count_include_pad``, padding counted as
    zeros), the in-bounds part of the window otherwise, or ``divisor_override``.
    Shapes: ``(N, C, {s})`` or ``(C, {s})``.

    Backward: each output's gradient is spread evenly, :math:`g_o/|W_o|`, over its
    window (see :func:`lucid.nn.functional.avg_pool{d}d`).

    Parameters
    ----------
    kernel_size : int or tuple of {d} ints
    stride : int or tuple of {d} ints, default kernel_size
    padding : int or tuple of {d} ints, default 0
    ceil_mode : bool, default False
    count_include_pad : bool, default True
    divisor_override : int, optional
        (2-D and 3-D only, as PyTorch.)

    Raises
    ------
    TypeError, ValueError
        Bad window settings; (forward) an input of another ndim, or too small.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> pool = nn.AvgPool{d}d(2)
    >>> pool
    AvgPool{d}d(kernel_size={k_repr}, stride={k_repr}, padding={p_repr})
    >>> pool(lucid.random.randn{example_in}).shape
    {example_out}
    """

_ADAPTIVE_DOC = r"""{d}-D adaptive average pooling: the mean over windows chosen so the
    output has ``output_size``.

    Along each axis, output :math:`o` of :math:`m` averages input positions
    :math:`\lfloor o n/m \rfloor` to :math:`\lceil (o + 1) n/m \rceil - 1`. Shapes:
    ``(N, C, {s})`` or ``(C, {s})`` to ``(..., *output_size)``.

    Backward: each output's gradient spread evenly over its window (see
    :func:`lucid.nn.functional.adaptive_avg_pool{d}d`).

    Parameters
    ----------
    output_size : int or tuple of {d} ints (None keeps that axis' size)

    Raises
    ------
    ValueError
        A bad ``output_size``; (forward) an input of another ndim.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> pool = nn.AdaptiveAvgPool{d}d(1)
    >>> pool
    AdaptiveAvgPool{d}d(output_size=1)
    >>> pool(lucid.random.randn{example_in}).shape
    {example_adaptive}
    """

_EXAMPLES = {1: ("(2, 3, 8)", "(2, 3, 4)", "(2, 3, 1)"),
             2: ("(2, 3, 8, 6)", "(2, 3, 4, 3)", "(2, 3, 1, 1)"),
             3: ("(1, 2, 4, 4, 6)", "(1, 2, 2, 2, 3)", "(1, 2, 1, 1, 1)")}


def _doc(template, d):
    ex_in, ex_out, ex_adaptive = _EXAMPLES[d]
    return template.format(d=d, s=SPATIAL[d], example_in=ex_in, example_out=ex_out,
                           example_adaptive=ex_adaptive, k_repr="(2,)" if d == 1 else "2",
                           p_repr="(0,)" if d == 1 else "0")


class MaxPool1d(_MaxPool):
    _d = 1
    __doc__ = _doc(_MAX_DOC, 1)


class MaxPool2d(_MaxPool):
    _d = 2
    __doc__ = _doc(_MAX_DOC, 2)


class MaxPool3d(_MaxPool):
    _d = 3
    __doc__ = _doc(_MAX_DOC, 3)


class AvgPool1d(_AvgPool):
    _d = 1
    __doc__ = _doc(_AVG_DOC, 1)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AvgPool2d(_AvgPool):
    _d = 2
    __doc__ = _doc(_AVG_DOC, 2)


class AvgPool3d(_AvgPool):
    _d = 3
    __doc__ = _doc(_AVG_DOC, 3)


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    _d = 1
    __doc__ = _doc(_ADAPTIVE_DOC, 1)


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    _d = 2
    __doc__ = _doc(_ADAPTIVE_DOC, 2)


class AdaptiveAvgPool3d(_AdaptiveAvgPool):
    _d = 3
    __doc__ = _doc(_ADAPTIVE_DOC, 3)
