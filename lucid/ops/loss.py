r"""Loss functions as autograd Functions.

Two kinds:

* **element-wise losses** (:class:`SquaredError`, :class:`AbsoluteError`,
  :class:`BinaryCrossEntropy`, :class:`BinaryCrossEntropyWithLogits`, :class:`Huber`,
  :class:`SmoothL1`, :class:`KLDivergence`) compute one loss per element, :math:`\ell_i = f(x_i, t_i)`, with
  :math:`\partial L/\partial x_i = g_i\, \partial f/\partial x_i`. The reduction
  (mean / sum) is then an ordinary :func:`lucid.mean` / :func:`lucid.sum`.
* **classification losses** (:class:`NLLLoss`, :class:`CrossEntropy`) take scores of
  shape ``(N, C, d1, ...)`` with the class axis at 1 (or ``(C,)`` for one sample) and
  reduce inside the Function, because their ``mean`` divides by the *summed class
  weights* of the targets, not by the number of elements.

Both classification losses are written with one *target distribution*
:math:`q_{n,c}` (see :func:`target_distribution`): the loss of sample :math:`n` is

.. math:: \ell_n = -\sum_c q_{n,c}\, \log p_{n,c}

where :math:`\log p` is the input itself (``nll_loss``) or ``log_softmax`` of it
(``cross_entropy``). Class indices, class weights, ``ignore_index``, label smoothing
and probability targets only change :math:`q`.

These Functions take checked arguments; :mod:`lucid.nn.functional.loss` checks user
input first.
"""
import numpy as np

from lucid import _ext
from lucid.autograd.function import Function
from lucid.ops.activation import log_softmax_array, stable_sigmoid

__all__ = []  # Functions only; the public functions are in lucid.nn.functional.loss

BCE_LOG_FLOOR = -100.0   # PyTorch clamps log(x) and log(1 - x) at -100
# ... and the denominator x (1 - x) of the gradient at 1e-12, a float32 constant in
# PyTorch's kernel (9.99999996e-13) even for float64 tensors: the same here, to match
BCE_EPSILON = float(np.float32(1e-12))


# ------------------------------------------------------------------ element-wise
class SquaredError(Function):
    r"""``l = (x - t)^2``;  ``dl/dx = 2 (x - t)``, ``dl/dt = -2 (x - t)``."""

    @staticmethod
    def forward(ctx, x, t):
        ctx.diff = x - t
        return ctx.diff * ctx.diff

    @staticmethod
    def backward(ctx, grad):
        d = 2 * ctx.diff * grad
        return d, (-d if ctx.needs_input_grad[1] else None)


class BinaryCrossEntropy(Function):
    r"""``l = -w (t max(log x, -100) + (1 - t) max(log(1 - x), -100))``.

    Backward (PyTorch's formulas): :math:`\partial l/\partial x = w (x - t) /
    \max(x (1 - x), 10^{-12})` and :math:`\partial l/\partial t = -w \log(x / (1 - x))`.
    The weight ``w`` (or None) is a constant array that broadcasts to ``x``.
    """

    @staticmethod
    def forward(ctx, x, t, weight):
        tp = x.dtype.type
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped on purpose
            log_x = np.maximum(np.log(x), tp(BCE_LOG_FLOOR))
            log_1mx = np.maximum(np.log1p(-x), tp(BCE_LOG_FLOOR))
        loss = (t - 1) * log_1mx - t * log_x
        ctx.x, ctx.t, ctx.weight = x, t, weight
        return loss if weight is None else loss * weight

    @staticmethod
    def backward(ctx, grad):
        x, t, w = ctx.x, ctx.t, ctx.weight
        g = grad if w is None else grad * w
        dx = g * (x - t) / np.maximum((1 - x) * x, x.dtype.type(BCE_EPSILON))
        dt = None
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                dt = -g * (np.log(x) - np.log1p(-x))
        return dx, dt, None


class Huber(Function):
    r"""``l = d^2 / 2`` if ``|d| < delta`` else ``delta (|d| - delta / 2)``, ``d = x - t``.

    Backward: :math:`\partial l/\partial x = \mathrm{clip}(d, -\delta, \delta)`,
    :math:`\partial l/\partial t = -\mathrm{clip}(d, -\delta, \delta)`.
    """

    @staticmethod
    def forward(ctx, x, t, delta):
        tp = x.dtype.type
        d = x - t
        ad = np.abs(d)
        ctx.d, ctx.delta = d, delta
        return np.where(ad < delta, tp(0.5) * d * d, tp(delta) * (ad - tp(0.5 * delta)))

    @staticmethod
    def backward(ctx, grad):
        delta = ctx.d.dtype.type(ctx.delta)
        dx = np.clip(ctx.d, -delta, delta) * grad
        return dx, (-dx if ctx.needs_input_grad[1] else None)



class AbsoluteError(Function):
    r"""``l = |x - t|``;  ``dl/dx = sign(x - t)`` (0 where ``x = t``, as PyTorch),
    ``dl/dt = -sign(x - t)``."""

    @staticmethod
    def forward(ctx, x, t):
        d = x - t
        ctx.sign = np.sign(d)
        return np.abs(d)

    @staticmethod
    def backward(ctx, grad):
        dx = ctx.sign * grad
        return dx, (-dx if ctx.needs_input_grad[1] else None)


class SmoothL1(Function):
    r"""``l = d^2 / (2 beta)`` if ``|d| < beta`` else ``|d| - beta / 2``, ``d = x - t``
    (``beta > 0``; with ``beta = 0`` the caller uses :class:`AbsoluteError`).

    Backward: :math:`\partial l/\partial x = \mathrm{clip}(d/\beta, -1, 1)`,
    :math:`\partial l/\partial t = -\partial l/\partial x`. Huber's loss is this one
    times :math:`\beta` (with :math:`\delta = \beta`).
    """

    @staticmethod
    def forward(ctx, x, t, beta):
        tp = x.dtype.type
        d = x - t
        ad = np.abs(d)
        ctx.d, ctx.beta = d, beta
        return np.where(ad < beta, tp(0.5) * d * d / tp(beta), ad - tp(0.5 * beta))

    @staticmethod
    def backward(ctx, grad):
        dx = np.clip(ctx.d / ctx.d.dtype.type(ctx.beta), -1, 1) * grad
        return dx, (-dx if ctx.needs_input_grad[1] else None)


def log_sigmoid(x):
    r""":math:`\log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})`: never ``log(0)``, no
    overflowing ``exp``."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


class BinaryCrossEntropyWithLogits(Function):
    r"""Binary cross-entropy of ``sigmoid(x)``, computed from the logits ``x`` directly.

    With :math:`p` = ``pos_weight`` (1 when None) and :math:`w` = ``weight``:

    .. math:: \ell = w\left((1 - t)\,x - (1 + (p - 1)\,t)\log\sigma(x)\right)

    which is :math:`-w\,(p\,t\log\sigma(x) + (1 - t)\log(1 - \sigma(x)))` rewritten with
    :math:`\log(1 - \sigma(x)) = \log\sigma(x) - x`, so only the stable
    :func:`log_sigmoid` appears.

    Backward: :math:`\partial\ell/\partial x = w\left((1 + (p - 1)t)\,\sigma(x) - p\,t\right)`
    (:math:`w(\sigma(x) - t)` without ``pos_weight``) and
    :math:`\partial\ell/\partial t = w\left(\log\sigma(-x) - p\log\sigma(x)\right)`
    (:math:`-w x` without). ``weight`` and ``pos_weight`` are constant arrays that
    broadcast to ``x`` (no gradient, as in PyTorch).
    """

    @staticmethod
    def forward(ctx, x, t, weight, pos_weight):
        log_sig = log_sigmoid(x)
        log_weight = 1 if pos_weight is None else (pos_weight - 1) * t + 1
        loss = (1 - t) * x - log_weight * log_sig
        ctx.x, ctx.t, ctx.weight, ctx.pos_weight = x, t, weight, pos_weight
        ctx.log_sig = log_sig
        return loss if weight is None else loss * weight

    @staticmethod
    def backward(ctx, grad):
        x, t, p = ctx.x, ctx.t, ctx.pos_weight
        g = grad if ctx.weight is None else grad * ctx.weight
        sig = stable_sigmoid(x)
        if p is None:
            dx = g * (sig - t)
        else:
            dx = g * ((1 + (p - 1) * t) * sig - p * t)
        dt = None
        if ctx.needs_input_grad[1]:
            dt = -g * x if p is None else g * (log_sigmoid(-x) - p * ctx.log_sig)
        return dx, dt, None, None


class KLDivergence(Function):
    r"""The pointwise Kullback-Leibler divergence of ``kl_div``, ``x`` a log-probability.

    Target probabilities (``log_target=False``), with :math:`0 \log 0 = 0`:

    .. math:: \ell = t\log t - t\,x, \qquad \frac{\partial\ell}{\partial x} = -t, \qquad
              \frac{\partial\ell}{\partial t} = \log t + 1 - x

    (at :math:`t = 0` the last is undefined: NaN, as PyTorch's). Target
    log-probabilities (``log_target=True``):

    .. math:: \ell = e^{t}(t - x), \qquad \frac{\partial\ell}{\partial x} = -e^{t},
              \qquad \frac{\partial\ell}{\partial t} = e^{t}(t - x + 1)
    """

    @staticmethod
    def forward(ctx, x, t, log_target):
        ctx.x, ctx.t, ctx.log_target = x, t, log_target
        if log_target:
            ctx.exp_t = np.exp(t)
            return ctx.exp_t * (t - x)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_log_t = np.where(t == 0, 0, t * np.log(t)).astype(x.dtype, copy=False)
        return t_log_t - t * x

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.x, ctx.t
        if ctx.log_target:
            dx = -ctx.exp_t * grad
            dt = ctx.exp_t * (t - x + 1) * grad if ctx.needs_input_grad[1] else None
            return dx, dt
        dt = None
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_t = np.where(t == 0, np.nan, np.log(t)).astype(x.dtype, copy=False)
            dt = (log_t + 1 - x) * grad
        return -t * grad, dt

# ---------------------------------------------------------------- classification
def target_distribution(target, n_classes, weight, ignore_index, label_smoothing,
                        dtype, probabilities):
    r"""The target distribution :math:`q` (class axis last) and the ``mean`` divisor.

    Class indices :math:`t_n` (``probabilities=False``), weight :math:`w` (ones when
    None), smoothing :math:`\varepsilon`, :math:`C` classes, :math:`v_n = [t_n \ne`
    ``ignore_index`` :math:`]`:

    .. math:: q_{n,c} = v_n \left((1 - \varepsilon)\, w_{t_n} [c = t_n]
              + \frac{\varepsilon}{C} w_c\right), \qquad
              \text{divisor} = \sum_n v_n w_{t_n}

    Probability targets :math:`t_{n,c}` (``probabilities=True``, class axis last):

    .. math:: q_{n,c} = w_c \left((1 - \varepsilon)\, t_{n,c} + \frac{\varepsilon}{C}\right),
              \qquad \text{divisor} = \text{number of samples}

    These are PyTorch's rules (its ``mean`` of index targets divides by the summed
    weights of the non-ignored targets, also for the smoothing term).
    """
    w = np.ones(n_classes, dtype) if weight is None else weight
    eps = dtype.type(label_smoothing)
    if probabilities:
        q = w * (target * (1 - eps) + eps / n_classes)
        return q, target.size // n_classes
    valid = target != ignore_index
    t = np.where(valid, target, 0)
    w_t = w[t] * valid                                   # w_{t_n} v_n
    q = np.zeros(target.shape + (n_classes,), dtype)
    np.put_along_axis(q, t[..., None], ((1 - eps) * w_t)[..., None], axis=-1)
    if label_smoothing:
        q += (eps / n_classes) * w * valid[..., None].astype(dtype)
    return q, w_t.sum()


def _class_axis_last(a, axis):
    """``a`` with its class axis ``axis`` moved last (a view); ``a`` itself when that axis
    is last already, the usual ``(N, C)`` (``np.moveaxis`` costs ~2 us, and a batch-1
    loss called it in its forward and its backward)."""
    return a if axis in (-1, a.ndim - 1) else np.moveaxis(a, axis, -1)


def _class_axis_back(a, axis):
    """The inverse of :func:`_class_axis_last`: ``a``'s last axis moved back to ``axis``."""
    return a if axis in (-1, a.ndim - 1) else np.moveaxis(a, -1, axis)


def _divided(value, divisor):
    """``value / divisor``; a divisor of 0 (every target ignored) gives NaN or an
    infinity without NumPy's warning. ``np.errstate`` is entered only then: it costs ~1
    us, a noticeable part of a batch-1 step's loss."""
    if divisor:
        return value / divisor
    with np.errstate(invalid="ignore", divide="ignore"):
        return value / divisor


def _reduce(loss, reduction, divisor):
    """The loss per sample, its sum, or its sum over ``divisor`` (``mean``)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    return _divided(total, divisor)


def _coefficient(grad, reduction, divisor):
    """``dL/d loss_n``: the incoming gradient, divided by the divisor for ``mean``."""
    if reduction == "mean":
        return _divided(grad, divisor)
    return grad


class NLLLoss(Function):
    r"""``L = reduce(-sum_c q_{n,c} x_{n,c})`` with ``x`` log-probabilities (class axis
    ``axis``) and ``q`` from :func:`target_distribution` of class-index targets.

    Backward: :math:`\partial L/\partial x_{n,c} = -\,\text{coef}_n\, q_{n,c}` where
    :math:`\text{coef}_n` is :math:`g_n` (``none``), :math:`g` (``sum``) or
    :math:`g/\text{divisor}` (``mean``).
    """

    @staticmethod
    def forward(ctx, x, target, weight, axis, ignore_index, reduction):
        xc = _class_axis_last(x, axis)
        q, divisor = target_distribution(target, xc.shape[-1], weight, ignore_index,
                                         0.0, x.dtype, False)
        ctx.q, ctx.divisor, ctx.axis, ctx.reduction = q, divisor, axis, reduction
        return _reduce(-(q * xc).sum(axis=-1), reduction, divisor)

    @staticmethod
    def backward(ctx, grad):
        coef = _coefficient(grad, ctx.reduction, ctx.divisor)
        if ctx.reduction == "none":
            coef = coef[..., None]
        return _class_axis_back(-coef * ctx.q, ctx.axis), None, None


# [exercise: cross_entropy]
class CrossEntropy(Function):
    r"""``L = reduce(-sum_c q_{n,c} log_softmax(z)_{n,c})``, fused (class axis ``axis``).

    With :math:`p = \mathrm{softmax}(z)` and :math:`Q_n = \sum_c q_{n,c}`, the loss of a
    sample is :math:`\ell_n = -\sum_c q_{n,c} z_{n,c} + Q_n \log\sum_c e^{z_{n,c}}`, so

    .. math:: \frac{\partial \ell_n}{\partial z_{n,c}} = Q_n\, p_{n,c} - q_{n,c}

    (for a one-hot target, the familiar :math:`p - \text{onehot}`). With the original
    lucid's ``eps`` the normaliser is :math:`\log(\sum_c e^{z_{n,c} - m_n} + \epsilon)`
    (:math:`m_n = \max_c z_{n,c}`): then :math:`p_{n,c} = e^{z_{n,c} - m_n}/(\sum +
    \epsilon)` and the maximal entries also receive :math:`Q_n \epsilon/(\sum +
    \epsilon)` (shared among ties). For probability
    targets also :math:`\partial \ell_n/\partial t_{n,c} = -(1 - \varepsilon)\, w_c \log
    p_{n,c}`. Each is scaled by :math:`\text{coef}_n` as in :class:`NLLLoss`.
    """

    @staticmethod
    def forward(ctx, z, target, weight, axis, ignore_index, label_smoothing, reduction,
                probabilities, eps=0.0):
        ctx.kernel = (not probabilities and not label_smoothing and not eps
                      and z.dtype in (np.float32, np.float64))
        if ctx.kernel:
            return _indexed_forward(ctx, z, target, weight, axis, ignore_index, reduction)
        zc = _class_axis_last(z, axis)
        ctx.eps_grad = None
        if eps:     # the original lucid's log(sum e^(z - m) + eps): see cross_entropy
            m = np.max(zc, axis=-1, keepdims=True)
            e = np.exp(zc - m)
            total = e.sum(axis=-1, keepdims=True) + z.dtype.type(eps)
            logp = (zc - m) - np.log(total)
            winners = zc == m
            ctx.eps_grad = z.dtype.type(eps) / total * (winners / winners.sum(-1, keepdims=True))
        else:
            logp = log_softmax_array(zc, -1)
        tc = _class_axis_last(target, axis) if probabilities else target
        q, divisor = target_distribution(tc, zc.shape[-1], weight, ignore_index,
                                         label_smoothing, z.dtype, probabilities)
        ctx.logp, ctx.q, ctx.divisor = logp, q, divisor
        ctx.axis, ctx.reduction = axis, reduction
        ctx.target_scale = None
        if probabilities:
            w = np.ones(zc.shape[-1], z.dtype) if weight is None else weight
            ctx.target_scale = (1 - z.dtype.type(label_smoothing)) * w
        return _reduce(-(q * logp).sum(axis=-1), reduction, divisor)

    @staticmethod
    def backward(ctx, grad):
        if ctx.kernel:
            return _indexed_backward(ctx, grad), None, None
        coef = _coefficient(grad, ctx.reduction, ctx.divisor)
        if ctx.reduction == "none":
            coef = coef[..., None]
        q, logp = ctx.q, ctx.logp
        big_q = q.sum(axis=-1, keepdims=True)
        dz = coef * (big_q * np.exp(logp) - q)
        if ctx.eps_grad is not None:        # eps breaks the shift invariance in m
            dz = dz + coef * big_q * ctx.eps_grad
        dt = None
        if ctx.target_scale is not None and ctx.needs_input_grad[1]:
            dt = _class_axis_back(-coef * ctx.target_scale * logp, ctx.axis)
        return _class_axis_back(dz, ctx.axis), dt, None
# [end exercise: cross_entropy]


def _indexed_forward(ctx, z, target, weight, axis, ignore_index, reduction):
    """:class:`CrossEntropy` of class-index targets without smoothing or ``eps``, through
    the ``loss`` kernels (:mod:`lucid._ext.loss`): the same loss, computed from the
    indices, with no one-hot target distribution."""
    zc = _class_axis_last(z, axis)
    rows = np.ascontiguousarray(zc).reshape(-1, zc.shape[-1])
    t = np.ascontiguousarray(target, dtype=np.int64).reshape(-1)
    w = None if weight is None else np.ascontiguousarray(weight, dtype=z.dtype)
    loss, p = _ext.get("loss").cross_entropy_forward(rows, t, w, int(ignore_index))
    valid = t != ignore_index
    w_t = valid.astype(z.dtype) if w is None else np.where(valid, w[np.where(valid, t, 0)], 0)
    divisor = w_t.sum(dtype=z.dtype)
    ctx.p, ctx.t, ctx.w, ctx.ignore_index = p, t, w, int(ignore_index)
    ctx.axis, ctx.reduction, ctx.divisor, ctx.zc_shape = axis, reduction, divisor, zc.shape
    return _reduce(loss.reshape(target.shape), reduction, divisor)


def _indexed_backward(ctx, grad):
    coef = _coefficient(grad, ctx.reduction, ctx.divisor)
    if ctx.reduction == "none":                  # one coefficient per row
        coef = np.ascontiguousarray(np.asarray(coef, ctx.p.dtype).reshape(-1))
    else:                                        # the same one for every row
        coef = np.full(ctx.t.shape, coef, dtype=ctx.p.dtype)
    dz = _ext.get("loss").cross_entropy_backward(ctx.p, ctx.t, ctx.w, ctx.ignore_index, coef)
    return _class_axis_back(dz.reshape(ctx.zc_shape), ctx.axis)
