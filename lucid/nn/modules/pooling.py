r"""Pooling layers: ``MaxPool1d/2d/3d``, ``MaxUnpool1d/2d/3d``, ``AvgPool1d/2d/3d`` and
``AdaptiveAvgPool1d/2d/3d``.

Each layer holds its window settings (checked when the layer is made) and calls the
matching function of :mod:`lucid.nn.functional.pool` in ``forward``; those functions
document the window sums, the output sizes

.. math:: L_{out} = \left\lfloor \frac{L_{in} + 2p - d(K - 1) - 1}{s} \right\rfloor + 1

(:math:`\lceil\cdot\rceil` with ``ceil_mode``) and the backward (max pooling routes each
gradient to the arg-max of its window; average pooling spreads it evenly). No
parameters. The settings are stored and shown as given, as PyTorch does (``stride``
defaults to ``kernel_size``), so ``repr`` matches PyTorch's. Under ``no_grad`` a max
pooling layer (without ``return_indices``) remembers its last checked call and repeats
it straight on the op's forward while nothing the checks read has changed
(``_plan.py``).
"""
from lucid.nn.functional import pool as P
from lucid.nn.functional._conv_args import spatial_ints
from lucid.nn.functional._family_doc import SPATIAL
from lucid.nn.functional._layer_args import flag_arg
from lucid.nn.module import Module
from lucid.nn.modules._checks import layer_input
from lucid.nn.modules._plan import Planned
from lucid.ops.pool import MaxPool
from lucid._checks import is_int

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
           "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
           "AdaptiveAvgPool3d"]


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


class _MaxPool(Planned, _Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        name = type(self).__name__
        _window(name, self._d, kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices = flag_arg(return_indices, name, "return_indices")
        self.ceil_mode = flag_arg(ceil_mode, name, "ceil_mode")

    def forward(self, x):
        """Max-pool ``x`` (``(N, C, *S)`` or ``(C, *S)``); with ``return_indices``, the
        pooled tensor and the indices."""
        window = (self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)
        settings = window + (self.return_indices,)
        if not self.return_indices:
            y = self._planned_call(x, (), settings)
            if y is not None:
                return y
        self._check(x)
        fn = (P.max_pool1d, P.max_pool2d, P.max_pool3d)[self._d - 1]
        y = fn(x, *settings)
        if not self.return_indices:
            self._keep_plan(MaxPool, x, (), settings, lambda: dict(zip(
                ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "unbatched"),
                P._window_args(fn.__name__, self._d, x, *window))))
        return y

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class _MaxUnpool(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name, d = type(self).__name__, self._d
        self.kernel_size = spatial_ints(kernel_size, name, "kernel_size", d, 1)
        self.stride = self.kernel_size if stride is None else \
            spatial_ints(stride, name, "stride", d, 1)
        self.padding = spatial_ints(padding, name, "padding", d, 0)

    def forward(self, x, indices, output_size=None):
        """Unpool ``x`` (``(N, C, *S)`` or ``(C, *S)``) at ``indices`` (the pooling's)."""
        self._check(x)
        fn = (P.max_unpool1d, P.max_unpool2d, P.max_unpool3d)[self._d - 1]
        return fn(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


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
        Also return the indices of the maxima (PyTorch's flat positions in each input
        plane), for :class:`MaxUnpool{d}d`.
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

_UNPOOL_DOC = r"""{d}-D max unpooling: the partial inverse of :class:`MaxPool{d}d`.

    Each value goes back to the position its ``indices`` name (the pooling's, from
    ``return_indices=True``), in an output of zeros:
    :math:`y_{{n,c}}.\mathrm{{flat}}[\mathrm{{indices}}_{{n,c,o}}] = x_{{n,c,o}}`. The output
    size along each axis is :math:`(L - 1)s - 2p + K`, or ``output_size`` given to
    ``forward``. Shapes: ``(N, C, {s})`` or ``(C, {s})``.

    Backward: the gather of those positions (see
    :func:`lucid.nn.functional.max_unpool{d}d`).

    Parameters
    ----------
    kernel_size : int or tuple of {d} ints
    stride : int or tuple of {d} ints, default kernel_size
    padding : int or tuple of {d} ints, default 0

    Raises
    ------
    TypeError, ValueError
        Bad window settings; (forward) an input of another ndim, indices of another
        shape or out of range, a bad ``output_size``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> pool, unpool = nn.MaxPool{d}d(2, return_indices=True), nn.MaxUnpool{d}d(2)
    >>> unpool
    MaxUnpool{d}d(kernel_size={k_tuple}, stride={k_tuple}, padding={p_tuple})
    >>> x = lucid.random.randn{example_in}
    >>> y, indices = pool(x)
    >>> z = unpool(y, indices)
    >>> z.shape == x.shape
    True
    >>> bool(((z.data == x.data) | (z.data == 0)).all())    # the maxima, zeros elsewhere
    True
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
                           p_repr="(0,)" if d == 1 else "0", k_tuple=str((2,) * d),
                           p_tuple=str((0,) * d))


class MaxPool1d(_MaxPool):
    _d = 1
    __doc__ = _doc(_MAX_DOC, 1)


class MaxPool2d(_MaxPool):
    _d = 2
    __doc__ = _doc(_MAX_DOC, 2)


class MaxPool3d(_MaxPool):
    _d = 3
    __doc__ = _doc(_MAX_DOC, 3)


class MaxUnpool1d(_MaxUnpool):
    _d = 1
    __doc__ = _doc(_UNPOOL_DOC, 1)


class MaxUnpool2d(_MaxUnpool):
    _d = 2
    __doc__ = _doc(_UNPOOL_DOC, 2)


class MaxUnpool3d(_MaxUnpool):
    _d = 3
    __doc__ = _doc(_UNPOOL_DOC, 3)


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
