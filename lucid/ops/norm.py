r"""Normalisation layers as one fused autograd Function, :class:`AffineNorm`.

Batch, instance and layer normalisation all compute

.. math:: \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta

with the mean :math:`\mu` and the biased variance :math:`\sigma^2` taken over a set of
axes ``axes`` (batch and space for batch norm; space for instance norm; the last axes
for layer norm), and :math:`\gamma, \beta` broadcast over the others. Only the axes
and the shape of :math:`\gamma` differ, so one Function serves all three. Group
normalisation is the same again on a *view* of :math:`x` that splits the channel axis
into ``(groups, channels per group)``: ``(N, C, *)`` seen as ``(N, G, C/G, *)`` and
normalised over every axis after ``G``.

Backward, with :math:`g = \partial L/\partial y`, :math:`h = g\gamma`, :math:`r =
1/\sqrt{\sigma^2 + \epsilon}` and :math:`\langle\cdot\rangle` the mean over ``axes``
(:math:`\mu` and :math:`\sigma^2` depend on every :math:`x` of their group):

.. math:: \frac{\partial L}{\partial x} = r \left(h - \langle h \rangle
          - \hat x \langle h \hat x \rangle\right), \qquad
          \frac{\partial L}{\partial \gamma} = \sum g \hat x, \qquad
          \frac{\partial L}{\partial \beta} = \sum g

(the sums over every axis :math:`\gamma` is broadcast along). With fixed statistics
(evaluation mode: the running mean and variance) :math:`\mu, \sigma^2` are constants and
:math:`\partial L/\partial x = r h`; the forward then folds the statistics and the
affine parameters into one scale and one shift per channel (``_fixed_stats_forward``).

Batch normalisation in training mode (statistics over every axis but the channel
axis 1) runs on the ``norm`` kernels (:mod:`lucid._ext.norm`), which compute the same
formulas channel by channel and keep ``x`` (not :math:`\hat x`) for the backward.
Normalisation over the last axes (layer norm; instance norm in training mode) runs on
the same kernels, each row of ``x`` seen as ``(rows, D)`` taken as a channel
(``_rows_forward``).

This Function takes checked arguments; :mod:`lucid.nn.functional.norm` checks user
input first.
"""
import math

import numpy as np

from lucid import _ext
from lucid._ext._checks import FLOATS as _FLOATS     # the dtypes the kernels take
from lucid.autograd.function import Function
from lucid.autograd.inplace import note_write

__all__ = []  # Functions only; the public functions are in lucid.nn.functional.norm


def _sum_to(a, shape):
    """Sum ``a`` over the axes where ``shape`` (same ndim) has size 1, keeping them."""
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and a.shape[i] != 1)
    return a.sum(axis=axes, keepdims=True) if axes else a


def _keep_params(ctx, w, b, param_shape):
    """What a backward needs of the affine parameters: ``w`` viewed as ``param_shape``
    (to broadcast against ``x``), that shape, and the shapes of ``w`` and ``b`` (for
    their gradients)."""
    ctx.w = None if w is None else w.reshape(param_shape)
    ctx.param_shape = param_shape
    ctx.w_shape = None if w is None else w.shape
    ctx.b_shape = None if b is None else b.shape


def running_stats(running_mean, running_var, param_shape):
    """The running mean and variance arrays ``(C,)`` as the ``stats`` :class:`AffineNorm`
    takes in evaluation mode: each viewed as ``param_shape`` ``(1, C, 1, ...)``."""
    return running_mean.reshape(param_shape), running_var.reshape(param_shape)


def running_stats_forward(ctx, x, w, b, running_mean, running_var, axes, param_shape, eps):
    """:class:`AffineNorm`'s forward with the running statistics given as arrays: batch
    norm in evaluation mode, for a layer's plan (``lucid/nn/modules/_plan.py``), which
    passes its arrays in this order."""
    return AffineNorm.forward(ctx, x, w, b, axes, param_shape, eps,
                              stats=running_stats(running_mean, running_var, param_shape))


# [exercise: batch_norm]
class AffineNorm(Function):
    r"""``y = (x - mean) / sqrt(var + eps) * w + b`` over ``axes`` (see the module docstring).

    ``param_shape`` is the shape ``w`` and ``b`` are viewed as to broadcast against
    ``x`` (e.g. ``(1, C, 1, 1)``). ``stats=(mean, var)`` gives fixed statistics (already
    broadcastable); else they come from ``x``. ``running=(mean, var, momentum)`` updates
    those ``(C,)`` arrays in place with the batch statistics averaged over all but the
    channel axis, using the unbiased variance (PyTorch's rule):
    ``running = (1 - momentum) running + momentum batch_stat``. ``view`` (a shape of
    ``x``'s size) normalises ``x.reshape(view)`` instead and returns ``y`` (and ``dL/dx``)
    in ``x``'s shape: group norm's ``(N, G, C/G, *)``.
    """

    @staticmethod
    def forward(ctx, x, w, b, axes, param_shape, eps, stats=None, running=None, view=None):
        ctx.kernel = stats is None and view is None and _batch_norm_axes(x, axes)
        if ctx.kernel:
            return _batch_norm_forward(ctx, x, w, b, param_shape, eps, running)
        ctx.folded = stats is not None and view is None
        if ctx.folded:
            return _fixed_stats_forward(ctx, x, w, b, param_shape, eps, stats)
        ctx.rows = stats is None and view is None and _trailing_axes(x, axes)
        if ctx.rows:
            return _rows_forward(ctx, x, w, b, axes, param_shape, eps, running)
        ctx.x_shape = x.shape
        if view is not None:
            x = x.reshape(view)
        if stats is None:
            mean = x.mean(axis=axes, keepdims=True)
            var = x.var(axis=axes, keepdims=True)
        else:
            mean, var = stats
        rstd = 1 / np.sqrt(var + x.dtype.type(eps))
        xhat = (x - mean) * rstd
        if running is not None:
            _update_running(running, mean, var, x.size // mean.size)
        ctx.xhat, ctx.rstd, ctx.axes, ctx.fixed = xhat, rstd, axes, stats is not None
        _keep_params(ctx, w, b, param_shape)
        y = xhat if ctx.w is None else xhat * ctx.w
        y = y if b is None else y + b.reshape(param_shape)
        return y.reshape(ctx.x_shape)

    @staticmethod
    def backward(ctx, grad):
        if ctx.kernel:
            return _batch_norm_backward(ctx, grad)
        if ctx.folded:
            return _fixed_stats_backward(ctx, grad)
        if ctx.rows:
            return _rows_backward(ctx, grad)
        xhat, rstd, axes = ctx.xhat, ctx.rstd, ctx.axes
        grad = grad.reshape(xhat.shape)
        need_x, need_w, need_b = ctx.needs_input_grad
        dx = dw = db = None
        if need_x:
            h = grad if ctx.w is None else grad * ctx.w
            if ctx.fixed:
                dx = h * rstd
            else:
                dx = rstd * (h - h.mean(axis=axes, keepdims=True)
                             - xhat * (h * xhat).mean(axis=axes, keepdims=True))
            dx = dx.reshape(ctx.x_shape)
        if need_w:
            dw = _sum_to(grad * xhat, ctx.param_shape).reshape(ctx.w_shape)
        if need_b:
            db = _sum_to(grad, ctx.param_shape).reshape(ctx.b_shape)
        return dx, dw, db
# [end exercise: batch_norm]


def _batch_norm_axes(x, axes):
    """Whether ``axes`` are all but the channel axis 1 (batch norm in training mode) of a
    float32/float64 ``x``: then the fused ``norm`` kernels compute it (see
    :mod:`lucid._ext.norm`: the same maths in one or two passes per channel)."""
    return (len(axes) == x.ndim - 1 and x.ndim >= 2 and x.size > 0
            and tuple(axes) == (0, *range(2, x.ndim)) and x.dtype in _FLOATS)


def _batch_norm_forward(ctx, x, w, b, param_shape, eps, running):
    """:class:`AffineNorm`'s forward through ``_ext.get("norm").batch_norm_forward`` on
    ``x`` seen as (N, C, L)."""
    x3 = np.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], -1)
    w1, b1 = _channel(w, x.dtype), _channel(b, x.dtype)
    y, mean, var = _ext.get("norm").batch_norm_forward(x3, w1, b1, float(eps))
    if running is not None:
        _update_running(running, mean, var, x3.shape[0] * x3.shape[2])
    ctx.x3, ctx.mean, ctx.var, ctx.w1, ctx.eps = x3, mean, var, w1, float(eps)
    ctx.w_shape = None if w is None else w.shape
    ctx.b_shape = None if b is None else b.shape
    return y.reshape(x.shape)


def _batch_norm_backward(ctx, grad):
    need_x, need_w, need_b = ctx.needs_input_grad
    g3 = np.ascontiguousarray(grad, dtype=ctx.x3.dtype).reshape(ctx.x3.shape)
    dx, dw, db = _ext.get("norm").batch_norm_backward(g3, ctx.x3, ctx.mean, ctx.var,
                                                      ctx.w1, ctx.eps)
    return (dx.reshape(grad.shape) if need_x else None,
            dw.reshape(ctx.w_shape) if need_w else None,
            db.reshape(ctx.b_shape) if need_b else None)


def _trailing_axes(x, axes):
    """Whether ``axes`` are the last axes of a float32/float64 ``x`` (layer norm; instance
    norm in training mode): then each group of values normalised together is one row of
    ``x`` seen as ``(rows, D)``."""
    k = len(axes)
    return (0 < k <= x.ndim and x.size > 0 and x.dtype in _FLOATS
            and tuple(axes) == tuple(range(x.ndim - k, x.ndim)))


def _rows_forward(ctx, x, w, b, axes, param_shape, eps, running):
    r""":class:`AffineNorm`'s forward when every row of ``x`` seen as ``(rows, D)`` is
    normalised on its own: the ``norm`` kernels' ``batch_norm_forward`` on ``(1, rows,
    D)`` (each "channel" a row, its statistics over the row's ``D`` values) gives
    :math:`\hat x`, the means and the variances in one or two passes per row; the
    affine parameters are applied after it, broadcast as ``param_shape``. NumPy's mean
    and variance took five passes and most of layer norm's 52 us on a ``(1, 32, 64)``
    input (PyTorch: 10 us).

    Where the affine parameters lie along the rows (layer norm's, not instance norm's
    per-channel ones) and the active twin has the private ``_layer_norm_forward`` (the
    compiled twin), that one call does it all, the parameters applied while each row is
    in the cache: the same values, bit for bit (``docs/fast.rst``)."""
    x2 = np.ascontiguousarray(x).reshape(-1, math.prod(x.shape[x.ndim - len(axes):]))
    kernels = _ext.get("norm")
    fused = getattr(kernels, "_layer_norm_forward", None)
    ctx.fused = (fused is not None and (w is None or w.dtype == x.dtype)
                 and (b is None or b.dtype == x.dtype) and _along_rows(param_shape, x, len(axes)))
    if ctx.fused:
        y, mean, var = fused(x2, _channel(w, x.dtype), _channel(b, x.dtype), float(eps))
    else:
        y, mean, var = kernels.batch_norm_forward(x2[None], None, None, float(eps))
    if running is not None:
        _update_running(running, mean, var, x2.shape[1])
    y = y.reshape(x.shape)
    ctx.x3, ctx.mean, ctx.var, ctx.eps = x2[None], mean, var, float(eps)
    _keep_params(ctx, w, b, param_shape)
    if not ctx.fused:
        if w is not None:
            y *= ctx.w
        if b is not None:
            y += b.reshape(param_shape)
    return y


def _along_rows(param_shape, x, k):
    """Whether the affine parameters, viewed as ``param_shape``, vary along the last
    ``k`` axes of ``x`` only (layer norm's; instance norm's vary along the channels):
    then, flattened, they hold one value per column of the rows ``(R, D)``."""
    lead = len(param_shape) - k
    return (lead >= 0 and tuple(param_shape[lead:]) == x.shape[x.ndim - k:]
            and param_shape[:lead].count(1) == lead)


def _rows_backward(ctx, grad):
    r""":math:`\partial L/\partial x` from ``batch_norm_backward`` fed :math:`h = g\gamma`
    (without a weight it computes :math:`r(h - \langle h\rangle - \hat x\langle h\hat
    x\rangle)` per row); :math:`\partial L/\partial\gamma = \sum g\hat x` with
    :math:`\hat x` recomputed from ``x``, :math:`\partial L/\partial\beta = \sum g`.
    After a fused forward, ``_layer_norm_backward`` computes all three in two passes
    over each row, where the twin active now has it (the forward's values are the same
    either way, so another twin's backward fits them too)."""
    need_x, need_w, need_b = ctx.needs_input_grad
    x3 = ctx.x3
    fused = getattr(_ext.get("norm"), "_layer_norm_backward", None) if ctx.fused else None
    if fused is not None:
        w = _channel(ctx.w, x3.dtype)
        g2 = np.ascontiguousarray(grad, dtype=x3.dtype).reshape(x3.shape[1:])
        dx2, dw, db = fused(g2, x3[0], ctx.mean, ctx.var, w, ctx.eps)
        return (dx2.reshape(grad.shape) if need_x else None,
                dw.reshape(ctx.w_shape) if need_w else None,
                db.reshape(ctx.b_shape) if need_b else None)
    dx = dw = db = None
    if need_x:
        h = grad if ctx.w is None else grad * ctx.w
        h3 = np.ascontiguousarray(h, dtype=x3.dtype).reshape(x3.shape)
        dx3, _, _ = _ext.get("norm").batch_norm_backward(h3, x3, ctx.mean, ctx.var, None,
                                                         ctx.eps)
        dx = dx3.reshape(grad.shape)
    if need_w:
        rstd = 1 / np.sqrt(ctx.var + x3.dtype.type(ctx.eps))
        xhat = ((x3 - ctx.mean[:, None]) * rstd[:, None]).reshape(grad.shape)
        dw = _sum_to(grad * xhat, ctx.param_shape).reshape(ctx.w_shape)
    if need_b:
        db = _sum_to(grad, ctx.param_shape).reshape(ctx.b_shape)
    return dx, dw, db


def _fixed_stats_forward(ctx, x, w, b, param_shape, eps, stats):
    r""":class:`AffineNorm`'s forward with fixed statistics (evaluation mode), folded into
    one scale and one shift per channel:

    .. math:: s = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}}, \qquad t = \beta - \mu s,
              \qquad y = x s + t

    (PyTorch's evaluation-mode batch norm folds the same way). Batch norm's per-channel
    parameters run on the ``norm`` kernels' ``batch_norm_eval`` (one pass over ``x``);
    other shapes take two NumPy passes. The unfolded formula made four passes and three
    temporaries of ``x``'s size (docs/fast.rst has the measurements)."""
    mean, var = stats
    ctx.x, ctx.mean, ctx.var, ctx.eps = x, mean, var, eps
    _keep_params(ctx, w, b, param_shape)
    if _per_channel_shape(x, param_shape):
        n, c = x.shape[:2]          # (an empty batch too: no -1 to infer)
        x3 = np.ascontiguousarray(x).reshape(n, c, math.prod(x.shape[2:]))
        y = _ext.get("norm").batch_norm_eval(
            x3, _channel(mean, x.dtype), _channel(var, x.dtype), _channel(w, x.dtype),
            _channel(b, x.dtype), float(eps))
        return y.reshape(x.shape)
    rstd, scale = _fixed_scale(ctx)
    y = x * scale
    y += (-mean * scale if b is None else b.reshape(param_shape) - mean * scale)
    return y


def _fixed_scale(ctx):
    r"""``(r, s)`` of :func:`_fixed_stats_forward`: :math:`1/\sqrt{\sigma^2 + \epsilon}`
    and :math:`\gamma r`, in ``x``'s dtype."""
    dtype = ctx.x.dtype
    rstd = (1 / np.sqrt(ctx.var + dtype.type(ctx.eps))).astype(dtype, copy=False)
    return rstd, rstd if ctx.w is None else (rstd * ctx.w).astype(dtype, copy=False)


def _per_channel_shape(x, param_shape):
    """Whether ``param_shape`` is ``(1, C, 1, ...)`` for a float32/float64 ``x`` of shape
    ``(N, C, ...)``: one scale and one shift per channel of axis 1."""
    return (x.ndim >= 2 and x.dtype in _FLOATS
            and tuple(param_shape) == (1, x.shape[1]) + (1,) * (x.ndim - 2))


def _channel(a, dtype):
    """A per-channel array as the kernels take it: (C,), C-contiguous, of ``dtype`` (also
    layer norm's parameters, one value per column of a row: (D,))."""
    if a is None:
        return None
    if a.dtype == dtype and a.flags.c_contiguous:   # usually: no copy, at most a view
        return a if a.ndim == 1 else a.reshape(-1)
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


def _fixed_stats_backward(ctx, grad):
    r"""With fixed statistics :math:`\partial L/\partial x = g s` (one pass),
    :math:`\partial L/\partial \gamma = \sum g \hat x` (:math:`\hat x` recomputed from
    the kept ``x``), :math:`\partial L/\partial \beta = \sum g`."""
    need_x, need_w, need_b = ctx.needs_input_grad
    rstd, scale = _fixed_scale(ctx)
    dx = (grad * scale).astype(grad.dtype, copy=False) if need_x else None
    dw = db = None
    if need_w:
        xhat = (ctx.x - ctx.mean) * rstd
        dw = _sum_to(grad * xhat, ctx.param_shape).reshape(ctx.w_shape)
    if need_b:
        db = _sum_to(grad, ctx.param_shape).reshape(ctx.b_shape)
    return dx, dw, db


def _update_running(running, mean, var, n):
    """``running = (1 - m) running + m stat`` for mean and unbiased variance, in place.

    ``mean`` and ``var`` hold one statistic per channel (batch norm) or one per sample
    and channel (instance norm, averaged over the samples). One per channel is used as
    it is: the mean of one value is that value, bit for bit, and NumPy's two means cost
    13 of this function's 18 us, nine times a step in the homework ResNet. Where the
    active ``norm`` twin has the private ``_update_running`` (the compiled twin), it
    runs the two formulas in one loop for plain arrays (~1 us instead of ~6).

    A read-only array (a running statistic loaded with ``np.load(..., mmap_mode='r')``,
    or taken from ``.numpy()`` of a tensor that requires grad) raises a ValueError that
    names it, before either is written."""
    running_mean, running_var, momentum = running
    for name, array in (("running_mean", running_mean), ("running_var", running_var)):
        if array is not None and not array.flags.writeable:
            raise ValueError(
                f"normalisation in training mode: {name} is a read-only array, and the "
                "running statistics are updated in place; give a writeable copy "
                "(np.array(..., copy=True)), or pass None to keep no running statistics")
    c = running_mean.shape[0] if running_mean is not None else running_var.shape[0]
    fused = getattr(_ext.get("norm"), "_update_running", None)
    if (fused is not None and mean.size == c
            and fused(running_mean, running_var, mean.reshape(c), var.reshape(c),
                      n / (n - 1), momentum)):
        # the compiled twin's loop, the same formulas and roundings in one call
        note_write(running_mean)
        note_write(running_var)
        return
    batch_var = var * (n / (n - 1))
    if mean.size == c:
        batch_mean, batch_var = mean.reshape(c), batch_var.reshape(c)
    else:
        batch_mean = mean.reshape(-1, c).mean(axis=0)
        batch_var = batch_var.reshape(-1, c).mean(axis=0)
    if running_mean is not None:
        running_mean[...] = (1 - momentum) * running_mean + momentum * batch_mean
        note_write(running_mean)
    if running_var is not None:
        running_var[...] = (1 - momentum) * running_var + momentum * batch_var
        note_write(running_var)
