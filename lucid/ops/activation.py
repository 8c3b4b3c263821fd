r"""Activation functions as autograd Functions (element-wise, plus softmax).

An element-wise activation :math:`y_i = f(x_i)` has the backward
:math:`\partial L/\partial x_i = \partial L/\partial y_i \; f'(x_i)`; each Function
below writes :math:`f` and :math:`f'` side by side. At a kink (``relu`` at 0,
``relu6`` at 0 and 6, ...) the derivative is the one PyTorch picks, written next to it.

``Softmax`` and ``LogSoftmax`` mix the elements along one axis; their backward is the
Jacobian-vector product written out in their docstrings. Both subtract the maximum
along the axis first, so ``exp`` never overflows.

These Functions take checked arguments; :mod:`lucid.nn.functional.activation` checks
user input first.
"""
import math

import numpy as np

from lucid import _ext

from lucid.autograd.function import Function
from lucid.autograd.grad_mode import state as _grad_state

__all__ = []  # Functions only; the public functions are in lucid.nn.functional.activation

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715

class ReLU(Function):
    r"""``y = max(x, 0)``;  ``dL/dx = dL/dy`` except where ``x <= 0`` (0 there, also at 0).

    NaN passes through, forward and backward, as in PyTorch (``NaN <= 0`` is false).
    The kernels are the ``activation`` twins (:mod:`lucid._ext.activation`).
    """

    @staticmethod
    def forward(ctx, x):
        kernels = _ext.get("activation")
        if not _grad_state.enabled and hasattr(kernels, "_relu"):
            return kernels._relu(np.ascontiguousarray(x))     # no backward: no mask
        y, ctx.passes = kernels.relu_forward(np.ascontiguousarray(x))
        return y

    @staticmethod
    def backward(ctx, grad):
        return _ext.get("activation").relu_backward(np.ascontiguousarray(grad), ctx.passes)


class LeakyReLU(Function):
    r"""``y = x`` if ``x > 0`` else ``slope * x``;  ``dy/dx = 1`` or ``slope`` (at 0: slope)."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.positive, ctx.slope = x > 0, negative_slope
        return np.where(ctx.positive, x, x * x.dtype.type(negative_slope))

    @staticmethod
    def backward(ctx, grad):
        return np.where(ctx.positive, grad, grad * grad.dtype.type(ctx.slope))


class ELU(Function):
    r"""``y = scale * (x if x > 0 else alpha (e^x - 1))``;
    ``dy/dx = scale`` or ``scale * alpha e^x`` (at 0: the second). With ``scale = 1``
    this is ELU; with SELU's constants it is SELU."""

    @staticmethod
    def forward(ctx, x, alpha, scale=1.0):
        t = x.dtype.type
        positive = x > 0
        exp_x = np.exp(np.where(positive, 0, x))  # e^x only where it is used
        ctx.positive, ctx.exp_x, ctx.alpha, ctx.scale = positive, exp_x, alpha, scale
        return t(scale) * np.where(positive, x, t(alpha) * (exp_x - 1))

    @staticmethod
    def backward(ctx, grad):
        t = grad.dtype.type
        slope = np.where(ctx.positive, 1, t(ctx.alpha) * ctx.exp_x).astype(grad.dtype)
        return grad * (t(ctx.scale) * slope)


class GELU(Function):
    r"""``y = x Phi(x)`` (``Phi`` the standard normal CDF) or its tanh approximation.

    Exact: :math:`\Phi(x) = \tfrac12 (1 + \mathrm{erf}(x/\sqrt2))`,
    :math:`y' = \Phi(x) + x\,\varphi(x)` with :math:`\varphi(x) = e^{-x^2/2}/\sqrt{2\pi}`.

    Tanh: :math:`y = \tfrac12 x (1 + \tanh u)`, :math:`u = \sqrt{2/\pi}(x + 0.044715 x^3)`,
    :math:`y' = \tfrac12 (1 + \tanh u) + \tfrac12 x (1 - \tanh^2 u)\sqrt{2/\pi}(1 + 3 \cdot
    0.044715 x^2)`.
    """

    @staticmethod
    def forward(ctx, x, approximate="none"):
        t = x.dtype.type
        ctx.x, ctx.approximate = x, approximate
        if approximate == "tanh":
            ctx.tanh_u = np.tanh(t(_SQRT_2_OVER_PI) * (x + t(_GELU_KAPPA) * x * x * x))
            return t(0.5) * x * (1 + ctx.tanh_u)
        ctx.cdf = t(0.5) * (1 + _ext.get("activation").erf(x * t(1 / math.sqrt(2.0))))
        return x * ctx.cdf

    @staticmethod
    def backward(ctx, grad):
        x = ctx.x
        t = x.dtype.type
        if ctx.approximate == "tanh":
            tu = ctx.tanh_u
            du = t(_SQRT_2_OVER_PI) * (1 + t(3 * _GELU_KAPPA) * x * x)
            return grad * (t(0.5) * (1 + tu) + t(0.5) * x * (1 - tu * tu) * du)
        pdf = np.exp(t(-0.5) * x * x) * t(1 / math.sqrt(2 * math.pi))
        return grad * (ctx.cdf + x * pdf)


def stable_sigmoid(x):
    r""":math:`\sigma(x) = 1/(1 + e^{-x})`, written with :math:`e^{-|x|}` so that no
    ``exp`` overflows: for :math:`x < 0` it is :math:`e^{x}/(1 + e^{x})`."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(Function):
    r"""``y = 1 / (1 + e^{-x})``;  ``dy/dx = y (1 - y)``."""

    @staticmethod
    def forward(ctx, x):
        ctx.y = stable_sigmoid(x)
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.y * (1 - ctx.y)


class Swish(Function):
    r"""``y = x sigmoid(x)`` (SiLU);  ``dy/dx = s (1 + x (1 - s))`` with ``s = sigmoid(x)``."""

    @staticmethod
    def forward(ctx, x):
        ctx.x, ctx.s = x, stable_sigmoid(x)
        return x * ctx.s

    @staticmethod
    def backward(ctx, grad):
        s = ctx.s
        return grad * s * (1 + ctx.x * (1 - s))


class ClipShift(Function):
    r"""``y = clip(x + shift, 0, high) / divisor``: ReLU6 (``shift 0, high 6, divisor 1``)
    and hard sigmoid (``shift 3, high 6, divisor 6``).

    ``dy/dx = 1 / divisor`` where ``0 < x + shift < high``, else 0 (0 at both kinks, as
    PyTorch's ``hardtanh``). PyTorch's kernel rounds ``1 / divisor`` to float32 even for
    float64 tensors (``1/6`` becomes ``0.16666667163...``); so does this one, to match."""

    @staticmethod
    def forward(ctx, x, shift, high, divisor):
        t = x.dtype.type
        z = x + t(shift)
        ctx.inside, ctx.divisor = (z > 0) & (z < high), divisor
        return np.clip(z, 0, t(high)) / t(divisor)

    @staticmethod
    def backward(ctx, grad):
        slope = grad.dtype.type(np.float32(1) / np.float32(ctx.divisor))
        return np.where(ctx.inside, grad * slope, 0).astype(grad.dtype)


class HardSwish(Function):
    r"""``y = x relu6(x + 3) / 6``;  ``dy/dx = 0`` for ``x <= -3``, ``x/3 + 1/2`` for
    ``-3 < x < 3``, ``1`` for ``x >= 3`` (PyTorch's choices at the kinks)."""

    @staticmethod
    def forward(ctx, x):
        t = x.dtype.type
        ctx.x = x
        return x * np.clip(x + t(3), 0, t(6)) / t(6)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.x
        t = x.dtype.type
        slope = np.where(x <= -3, t(0), np.where(x < 3, x / t(3) + t(0.5), t(1)))
        return grad * slope


def log_softmax_array(x, axis):
    r""":math:`\log \mathrm{softmax}(x) = (x - m) - \log\sum_j e^{x_j - m}` with
    :math:`m = \max_j x_j` along ``axis`` (subtracting :math:`m` keeps ``exp`` finite)."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class Softmax(Function):
    r"""``y_i = e^{x_i - m} / sum_j e^{x_j - m}`` along ``axis`` (``m`` the maximum).

    Backward (Jacobian :math:`\partial y_i/\partial x_j = y_i(\delta_{ij} - y_j)`):
    :math:`\partial L/\partial x_i = y_i (g_i - \sum_j g_j y_j)`.

    The kernels are the ``softmax`` twins (:mod:`lucid._ext.softmax`), which run along
    the last axis: another ``axis`` is moved there and back (a copy each way);
    ``axis=None`` is one row of every element.
    """

    @staticmethod
    def forward(ctx, x, axis):
        ctx.y, ctx.axis = _ext.get("softmax").softmax_forward(_rows(x, axis)), axis
        return _unrows(ctx.y, axis, x.shape)

    @staticmethod
    def backward(ctx, grad):
        grad_x = _ext.get("softmax").softmax_backward(ctx.y, _rows(grad, ctx.axis))
        return _unrows(grad_x, ctx.axis, grad.shape)


def _row_axes(axis, ndim):
    """``axis`` (an int or a tuple of ints, maybe negative) as a tuple of axes >= 0."""
    return tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))


def _rows(a, axis):
    """``a`` as C-contiguous rows: the axes of ``axis`` moved last and flattened into one
    (``axis=None`` or a 0-d ``a``: one row of everything)."""
    if axis is None or a.ndim == 0:
        return np.ascontiguousarray(a).reshape(1, -1)
    axes = _row_axes(axis, a.ndim)
    if _trailing(axes, a.ndim):         # already last (axis=-1): no moveaxis, ~8 us a call
        moved = np.ascontiguousarray(a)
    else:
        moved = np.ascontiguousarray(np.moveaxis(a, axes, range(-len(axes), 0)))
    return moved.reshape(moved.shape[:a.ndim - len(axes)] + (math.prod(moved.shape[-len(axes):]),))


def _trailing(axes, ndim):
    """Whether ``axes`` (from :func:`_row_axes`) are the last ``len(axes)`` axes, in order."""
    return axes == tuple(range(ndim - len(axes), ndim))


def _unrows(rows, axis, shape):
    """Undo :func:`_rows`: back to ``shape``."""
    if axis is None or len(shape) == 0:
        return rows.reshape(shape)
    axes = _row_axes(axis, len(shape))
    if _trailing(axes, len(shape)):
        return rows.reshape(shape)
    moved_shape = tuple(n for i, n in enumerate(shape) if i not in axes) + tuple(shape[i] for i in axes)
    return np.ascontiguousarray(np.moveaxis(rows.reshape(moved_shape), range(-len(axes), 0), axes))


class LogSoftmax(Function):
    r"""``y_i = x_i - m - log sum_j e^{x_j - m}`` along ``axis``.

    Backward (:math:`\partial y_i/\partial x_j = \delta_{ij} - \mathrm{softmax}_j`):
    :math:`\partial L/\partial x_j = g_j - e^{y_j} \sum_i g_i`.

    The ``softmax`` twins' private row kernels ``_log_softmax_forward`` /
    ``_log_softmax_backward`` run it (the compiled twin's: one pass per row, on every
    thread), with ``axis`` moved last as for :class:`Softmax`; on a plugged-in softmax
    module without them (they are not in the family's contract) the same formulas run
    here in NumPy (:func:`log_softmax_array`).
    """

    @staticmethod
    def forward(ctx, x, axis):
        kernels = _ext.get("softmax")
        rows_kernel = getattr(kernels, "_log_softmax_forward", None)
        ctx.axis, ctx.backward_kernel = axis, getattr(kernels, "_log_softmax_backward", None)
        if rows_kernel is None or ctx.backward_kernel is None:
            ctx.y, ctx.backward_kernel = log_softmax_array(x, axis), None
            return ctx.y
        ctx.y = rows_kernel(_rows(x, axis))
        return _unrows(ctx.y, axis, x.shape)

    @staticmethod
    def backward(ctx, grad):
        if ctx.backward_kernel is None:
            return grad - np.exp(ctx.y) * np.sum(grad, axis=ctx.axis, keepdims=True)
        grad_x = ctx.backward_kernel(ctx.y, _rows(grad, ctx.axis))
        return _unrows(grad_x, ctx.axis, grad.shape)
