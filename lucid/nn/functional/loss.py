r"""Loss functions: ``mse_loss``, ``l1_loss``, ``binary_cross_entropy``,
``binary_cross_entropy_with_logits``, ``huber_loss``, ``smooth_l1_loss``, ``kl_div``,
``nll_loss`` and ``cross_entropy``.

Each checks its arguments (dtypes, shapes, class-index range, ``reduction``) before
anything is computed, then calls Functions of :mod:`lucid.ops.loss`. Values and
gradients equal ``torch.nn.functional``'s, including PyTorch's rules for ``weight``,
``ignore_index`` and ``label_smoothing``. ``reduction`` is ``'none'`` (one loss per
element / sample), ``'mean'`` or ``'sum'``. Class weights are constants: they get no
gradient (as in PyTorch).
"""
import numpy as np

from lucid import ops
from lucid._tensor import Tensor
from lucid.error import IndexOutOfRangeError
from lucid._checks import check_bool, check_int, check_number, float_tensor
from lucid.nn.functional._layer_args import (KL_REDUCTIONS, optional_param, reduction_arg,
                                             same_shape)
from lucid.ops import loss as L

__all__ = ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "huber_loss", "smooth_l1_loss", "kl_div", "nll_loss", "cross_entropy"]


def _reduce(loss, reduction):
    """Reduce a Tensor of element-wise losses with :func:`lucid.mean` / :func:`lucid.sum`."""
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    return loss


def _pair(fname, input_, target, reduction):
    """Checks shared by the element-wise losses: float tensors of one shape and dtype."""
    x = float_tensor(input_, fname)
    t = float_tensor(target, fname, "target")
    same_shape(x, t, fname)
    if t.dtype != x.dtype:
        raise TypeError(f"{fname}: target must have the dtype of input_ ({x.dtype}); "
                        f"got {t.dtype}")
    reduction_arg(reduction, fname)
    return x, t


def mse_loss(input_, target, reduction="mean"):
    r"""Mean squared error.

    .. math:: \ell_i = (x_i - t_i)^2, \qquad
              L = \tfrac1n \sum_i \ell_i \ (\text{mean}), \ \sum_i \ell_i \ (\text{sum})

    Shapes: ``input_`` and ``target`` of the same (any) shape; the result is a scalar, or
    that shape for ``reduction='none'``.

    Backward: :math:`\partial L/\partial x_i = 2 (x_i - t_i)\, g_i` (divided by :math:`n`
    for ``mean``) and :math:`\partial L/\partial t_i = -\partial L/\partial x_i`.

    Parameters
    ----------
    input_ : Tensor
        Predictions, float32 or float64.
    target : Tensor
        The same shape and dtype.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    Tensor
        A 0-d tensor, or ``input_``'s shape for ``'none'``.

    Raises
    ------
    TypeError
        Non-float tensors or differing dtypes.
    ValueError
        Different shapes; an unknown ``reduction``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> loss = F.mse_loss(x, lucid.Tensor([1.0, 0.0, 1.0]))
    >>> print(loss)
    Tensor(4.3333335, grad_fn=Mean)
    >>> loss.backward()
    >>> x.grad
    array([0.       , 1.3333334, 2.       ], dtype=float32)
    """
    x, t = _pair("mse_loss", input_, target, reduction)
    return _reduce(L.SquaredError.apply(x, t), reduction)


def binary_cross_entropy(input_, target, weight=None, reduction="mean", eps=None):
    r"""Binary cross-entropy between probabilities ``input_`` and targets in [0, 1].

    .. math:: \ell_i = -w_i \left(t_i \max(\log x_i, -100)
              + (1 - t_i) \max(\log(1 - x_i), -100)\right)

    The logs are clamped at -100 (as PyTorch), so ``x = 0`` or ``x = 1`` gives a large
    finite loss instead of ``inf``. With ``eps`` (the original lucid's rule) the input is
    first clipped into :math:`[\epsilon, 1 - \epsilon]` instead, through
    :func:`lucid.clip` (its gradient is 0 where clipped). Shapes: ``input_`` and
    ``target`` of one shape; ``weight`` broadcastable to it.

    Backward (PyTorch's): :math:`\partial \ell_i/\partial x_i = w_i (x_i - t_i) /
    \max(x_i (1 - x_i), 10^{-12})` and :math:`\partial \ell_i/\partial t_i =
    -w_i \log\frac{x_i}{1 - x_i}`, times :math:`g` (over :math:`n` for ``mean``).

    Parameters
    ----------
    input_ : Tensor
        Probabilities in [0, 1], float32 or float64.
    target : Tensor
        The same shape and dtype, values in [0, 1].
    weight : Tensor, optional
        Rescales each element's loss; broadcastable to ``input_``. No gradient.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    eps : float, optional
        Clip the input into :math:`[\epsilon, 1 - \epsilon]` first (the original lucid
        used 1e-7); None keeps PyTorch's numbers.

    Returns
    -------
    Tensor
        A 0-d tensor, or ``input_``'s shape for ``'none'``.

    Raises
    ------
    TypeError
        Non-float tensors or differing dtypes.
    ValueError
        Different shapes, a ``weight`` that does not broadcast, ``input_`` values outside
        [0, 1], an unknown ``reduction``, ``eps`` outside [0, 0.5).

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> p = lucid.Tensor([0.9, 0.2, 1.0])
    >>> print(F.binary_cross_entropy(p, lucid.Tensor([1.0, 0.0, 0.0]), reduction="none"))
    Tensor([0.105360545, 0.22314356, 100.0])
    """
    name = "binary_cross_entropy"
    x, t = _pair(name, input_, target, reduction)
    if not ((x.data >= 0) & (x.data <= 1)).all():
        raise ValueError(f"{name}: every element of input_ must lie in [0, 1] (they are "
                         f"probabilities); got values from {np.nanmin(x.data)} to "
                         f"{np.nanmax(x.data)}")
    w = _broadcast_weight(name, "weight", weight, x)
    if eps is not None:
        eps = check_number(eps, name, "eps", 0.0, 0.5, high_open=True)
        x = ops.clip(x, eps, 1 - eps)
    return _reduce(L.BinaryCrossEntropy.apply(x, t, w), reduction)


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _broadcast_weight(fname, arg, weight, x):
    """None, or the array of a float Tensor ``weight`` that broadcasts to ``x``'s shape
    (as ``x``'s dtype): a constant that rescales each element's loss."""
    if weight is None:
        return None
    float_tensor(weight, fname, arg)
    if not _broadcasts(weight.shape, x.shape) or \
            np.broadcast_shapes(weight.shape, x.shape) != x.shape:
        raise ValueError(f"{fname}: {arg} must broadcast to input_'s shape {x.shape}; "
                         f"got {weight.shape}")
    return weight.data.astype(x.dtype, copy=False)


def huber_loss(input_, target, reduction="mean", delta=1.0):
    r"""Huber loss: squared for small errors, linear for large ones.

    .. math:: \ell_i = \begin{cases} \tfrac12 d_i^2 & |d_i| < \delta \\
              \delta\,(|d_i| - \tfrac12 \delta) & \text{otherwise} \end{cases},
              \qquad d_i = x_i - t_i

    Shapes: ``input_`` and ``target`` of one shape.

    Backward: :math:`\partial \ell_i/\partial x_i = \mathrm{clip}(d_i, -\delta, \delta)`,
    :math:`\partial \ell_i/\partial t_i = -\mathrm{clip}(d_i, -\delta, \delta)`, times
    :math:`g` (over :math:`n` for ``mean``).

    Parameters
    ----------
    input_ : Tensor
        float32 or float64.
    target : Tensor
        The same shape and dtype.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    delta : float, default 1.0
        Where the loss turns from quadratic to linear; positive.

    Returns
    -------
    Tensor
        A 0-d tensor, or ``input_``'s shape for ``'none'``.

    Raises
    ------
    TypeError
        Non-float tensors, differing dtypes, a non-number ``delta``.
    ValueError
        Different shapes; ``delta <= 0``; an unknown ``reduction``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([0.5, 3.0])
    >>> print(F.huber_loss(x, lucid.Tensor([0.0, 0.0]), reduction="none"))
    Tensor([0.125, 2.5])
    """
    x, t = _pair("huber_loss", input_, target, reduction)
    delta = check_number(delta, "huber_loss", "delta", 0.0, None, low_open=True)
    return _reduce(L.Huber.apply(x, t, delta=delta), reduction)


def l1_loss(input_, target, reduction="mean"):
    r"""Mean absolute error (the L1 loss).

    .. math:: \ell_i = |x_i - t_i|, \qquad
              L = \tfrac1n \sum_i \ell_i \ (\text{mean}), \ \sum_i \ell_i \ (\text{sum})

    Shapes: ``input_`` and ``target`` of the same (any) shape; the result is a scalar, or
    that shape for ``reduction='none'``.

    Backward: :math:`\partial \ell_i/\partial x_i = \operatorname{sign}(x_i - t_i)`
    (0 where :math:`x_i = t_i`, as PyTorch) and :math:`\partial \ell_i/\partial t_i =
    -\operatorname{sign}(x_i - t_i)`, times :math:`g` (over :math:`n` for ``mean``).

    Parameters
    ----------
    input_ : Tensor
        Predictions, float32 or float64.
    target : Tensor
        The same shape and dtype.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    Tensor
        A 0-d tensor, or ``input_``'s shape for ``'none'``.

    Raises
    ------
    TypeError
        Non-float tensors or differing dtypes.
    ValueError
        Different shapes; an unknown ``reduction``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> loss = F.l1_loss(x, lucid.Tensor([1.0, 0.0, 5.0]))
    >>> print(loss)
    Tensor(1.0, grad_fn=Mean)
    >>> loss.backward()
    >>> x.grad
    array([ 0.        ,  0.33333334, -0.33333334], dtype=float32)
    """
    x, t = _pair("l1_loss", input_, target, reduction)
    return _reduce(L.AbsoluteError.apply(x, t), reduction)


def smooth_l1_loss(input_, target, reduction="mean", beta=1.0):
    r"""Smooth L1 loss: squared below ``beta``, absolute above (Fast R-CNN's box loss).

    .. math:: \ell_i = \begin{cases} \dfrac{d_i^2}{2\beta} & |d_i| < \beta \\
              |d_i| - \tfrac12 \beta & \text{otherwise} \end{cases},
              \qquad d_i = x_i - t_i

    With ``beta=0`` it is :func:`l1_loss`. It is :func:`huber_loss` divided by
    :math:`\beta` (with :math:`\delta = \beta`): the slope far from the target is 1
    whatever ``beta``. Shapes: ``input_`` and ``target`` of one shape.

    Backward: :math:`\partial \ell_i/\partial x_i = \mathrm{clip}(d_i/\beta, -1, 1)`
    (:math:`\operatorname{sign}(d_i)` for :math:`\beta = 0`) and
    :math:`\partial \ell_i/\partial t_i = -\partial \ell_i/\partial x_i`, times
    :math:`g` (over :math:`n` for ``mean``).

    Parameters
    ----------
    input_ : Tensor
        float32 or float64.
    target : Tensor
        The same shape and dtype.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    beta : float, default 1.0
        Where the loss turns from quadratic to linear; non-negative.

    Returns
    -------
    Tensor
        A 0-d tensor, or ``input_``'s shape for ``'none'``.

    Raises
    ------
    TypeError
        Non-float tensors, differing dtypes, a non-number ``beta``.
    ValueError
        Different shapes; ``beta < 0``; an unknown ``reduction``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([0.5, 3.0])
    >>> print(F.smooth_l1_loss(x, lucid.Tensor([0.0, 0.0]), reduction="none"))
    Tensor([0.125, 2.5])
    >>> print(F.smooth_l1_loss(x, lucid.Tensor([0.0, 0.0]), reduction="none", beta=2.0))
    Tensor([0.0625, 2.0])
    """
    name = "smooth_l1_loss"
    x, t = _pair(name, input_, target, reduction)
    beta = check_number(beta, name, "beta", 0.0, None)
    loss = L.AbsoluteError.apply(x, t) if beta == 0 else L.SmoothL1.apply(x, t, beta=beta)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input_, target, weight=None, reduction="mean",
                                     pos_weight=None):
    r"""Binary cross-entropy of ``sigmoid(input_)``, computed stably from the logits.

    .. math:: \ell_i = -w_i \left(p_i\, t_i \log\sigma(x_i)
              + (1 - t_i) \log(1 - \sigma(x_i))\right)

    with :math:`\sigma` the sigmoid, :math:`w` = ``weight`` and :math:`p` =
    ``pos_weight`` (1 when not given; :math:`p > 1` weighs the positives up, e.g.
    :math:`p = \#\text{negatives} / \#\text{positives}` for a rare class). It is
    evaluated as :math:`w\left((1 - t)\,x - (1 + (p - 1)t)\log\sigma(x)\right)` with
    :math:`\log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})`, so a large logit never
    overflows nor takes ``log(0)``: use this rather than
    ``binary_cross_entropy(sigmoid(x), t)``.

    Shapes: ``input_`` and ``target`` of one shape; ``weight`` broadcastable to it;
    ``pos_weight`` broadcastable to it along the last axes (``(C,)`` for ``(N, C)``:
    one weight per class).

    Backward: :math:`\partial \ell_i/\partial x_i = w_i\left((1 + (p_i - 1)t_i)\,
    \sigma(x_i) - p_i t_i\right)` (:math:`w_i(\sigma(x_i) - t_i)` without ``pos_weight``)
    and :math:`\partial \ell_i/\partial t_i = w_i\left(\log\sigma(-x_i) - p_i
    \log\sigma(x_i)\right)`, times :math:`g` (over :math:`n` for ``mean``).
    ``weight`` and ``pos_weight`` get no gradient (as in PyTorch).

    Parameters
    ----------
    input_ : Tensor
        Logits (any real numbers), float32 or float64.
    target : Tensor
        The same shape and dtype, values in [0, 1].
    weight : Tensor, optional
        Rescales each element's loss; broadcastable to ``input_``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    pos_weight : Tensor, optional
        The weight :math:`p` of the positive term; broadcastable to ``input_``.

    Returns
    -------
    Tensor
        A 0-d tensor, or ``input_``'s shape for ``'none'``.

    Raises
    ------
    TypeError
        Non-float tensors or differing dtypes.
    ValueError
        Different shapes, a ``weight`` or ``pos_weight`` that does not broadcast, an
        unknown ``reduction``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> logits = lucid.Tensor([2.0, -1.0, 100.0], requires_grad=True)
    >>> t = lucid.Tensor([1.0, 0.0, 0.0])
    >>> print(F.binary_cross_entropy_with_logits(logits, t, reduction="none"))
    Tensor([0.126928, 0.31326163, 100.0], grad_fn=BinaryCrossEntropyWithLogits)
    >>> F.binary_cross_entropy_with_logits(logits, t, reduction="sum").backward()
    >>> logits.grad                                           # sigmoid(x) - t
    array([-0.11920297,  0.2689414 ,  1.        ], dtype=float32)
    >>> pw = lucid.Tensor([3.0])                                   # positives count 3x
    >>> print(F.binary_cross_entropy_with_logits(logits, t, pos_weight=pw, reduction="none"))
    Tensor([0.380784, 0.31326163, 100.0], grad_fn=BinaryCrossEntropyWithLogits)
    """
    name = "binary_cross_entropy_with_logits"
    x, t = _pair(name, input_, target, reduction)
    w = _broadcast_weight(name, "weight", weight, x)
    pw = _broadcast_weight(name, "pos_weight", pos_weight, x)
    return _reduce(L.BinaryCrossEntropyWithLogits.apply(x, t, w, pw), reduction)


def kl_div(input_, target, reduction="mean", log_target=False):
    r"""Kullback-Leibler divergence of a target distribution from ``exp(input_)``.

    ``input_`` holds log-probabilities :math:`x = \log q` (e.g. from
    :func:`log_softmax`); ``target`` holds probabilities :math:`t` (or their logs,
    :math:`t = \log p`, with ``log_target=True``). Pointwise:

    .. math:: \ell_i = t_i (\log t_i - x_i) \quad\text{or}\quad
              \ell_i = e^{t_i}(t_i - x_i) \ (\texttt{log\_target})

    with :math:`0 \log 0 = 0`. Summed over a distribution's axis this is
    :math:`\mathrm{KL}(p \,\|\, q) = \sum_j p_j \log(p_j / q_j)`.

    ``reduction``: ``'batchmean'`` divides the sum by the batch size ``input_.shape[0]``
    (the true KL divergence per sample: use it); ``'mean'`` divides by the number of
    *elements* (PyTorch's default, kept for compatibility, which is the KL divergence
    divided by the number of classes too); ``'sum'``; ``'none'``.

    Shapes: ``input_`` and ``target`` of one shape.

    Backward: :math:`\partial \ell_i/\partial x_i = -t_i` (:math:`-e^{t_i}`) and
    :math:`\partial \ell_i/\partial t_i = \log t_i + 1 - x_i` (:math:`e^{t_i}(t_i - x_i
    + 1)`), times :math:`g` and the reduction's divisor; at :math:`t_i = 0` the target's
    derivative is undefined (NaN, as PyTorch's).

    Parameters
    ----------
    input_ : Tensor
        Log-probabilities, float32 or float64.
    target : Tensor
        Probabilities (or log-probabilities), the same shape and dtype.
    reduction : {'mean', 'batchmean', 'sum', 'none'}, default 'mean'
    log_target : bool, default False
        ``target`` holds log-probabilities.

    Returns
    -------
    Tensor
        A 0-d tensor, or ``input_``'s shape for ``'none'``.

    Raises
    ------
    TypeError
        Non-float tensors or differing dtypes; a non-bool ``log_target``.
    ValueError
        Different shapes; an unknown ``reduction``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> logq = F.log_softmax(lucid.Tensor([[0.0, 0.0], [1.0, 1.0]]), axis=1)  # uniform
    >>> p = lucid.Tensor([[0.5, 0.5], [1.0, 0.0]])
    >>> print(F.kl_div(logq, p, reduction="batchmean"))     # (0 + log 2) / 2 samples
    Tensor(0.3465736)
    >>> print(F.kl_div(logq, p, reduction="none"))
    Tensor([[0.0, 0.0], [0.6931472, 0.0]])
    >>> p = lucid.Tensor([[0.5, 0.5], [0.75, 0.25]])
    >>> print(F.kl_div(logq, lucid.log(p), log_target=True, reduction="batchmean"))
    Tensor(0.06540601)
    """
    name = "kl_div"
    reduction_arg(reduction, name, KL_REDUCTIONS)
    x, t = _pair(name, input_, target, "none")
    log_target = check_bool(log_target, name, "log_target")
    loss = L.KLDivergence.apply(x, t, log_target=log_target)
    if reduction == "batchmean":
        total = ops.sum(loss)
        return total / x.shape[0] if x.ndim else total
    return _reduce(loss, reduction)

def _class_layout(fname, x):
    """The class axis (1, or 0 for one unbatched sample) and the number of classes."""
    if x.ndim == 0:
        raise ValueError(f"{fname}: input_ must be (C,), (N, C) or (N, C, d1, ...); got a "
                         "0-d tensor")
    axis = 1 if x.ndim >= 2 else 0
    return axis, x.shape[axis]


def _index_target(fname, x, target, axis, n_classes, ignore_index):
    """Check class-index targets: shape ``(N, d1, ...)`` (``()`` unbatched), range."""
    expected = x.shape[:axis] + x.shape[axis + 1:]
    if target.shape != expected:
        raise ValueError(f"{fname}: target of class indices must have shape {expected} for "
                         f"input_ of shape {x.shape}; got {target.shape}")
    t = target.data
    if not t.size or (t.min() >= 0 and t.max() < n_classes):
        return                                  # the common case, in two reductions
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexOutOfRangeError(
            f"{fname}: class indices in target must lie in [0, {n_classes}) "
            f"(or equal ignore_index={ignore_index}); got {t[bad].ravel()[0]}")


def _class_weight(fname, weight, x, n_classes):
    optional_param(weight, fname, "weight", (n_classes,), x.dtype)
    return None if weight is None else weight.data


def nll_loss(input_, target, weight=None, reduction="mean", ignore_index=-100):
    r"""Negative log-likelihood of class indices, given log-probabilities.

    .. math:: \ell_n = -w_{t_n}\, x_{n, t_n}\, [t_n \ne \text{ignore\_index}], \qquad
              L_{\text{mean}} = \frac{\sum_n \ell_n}{\sum_n w_{t_n} [t_n \ne
              \text{ignore\_index}]}

    (``mean`` divides by the summed weights of the counted targets, as PyTorch; ``sum``
    is :math:`\sum_n \ell_n`). Shapes: ``input_`` ``(N, C)``, ``(N, C, d1, ...)`` or
    ``(C,)``; ``target`` ``(N,)``, ``(N, d1, ...)`` or ``()``; ``weight`` ``(C,)``.

    Backward: :math:`\partial L/\partial x_{n,c} = -\,\text{coef}_n\, w_{t_n} [c = t_n]`
    with :math:`\text{coef}_n` the incoming gradient (divided by the weight sum for
    ``mean``); ignored samples get zero.

    Parameters
    ----------
    input_ : Tensor
        Log-probabilities (e.g. from :func:`log_softmax`), float32 or float64.
    target : Tensor
        Class indices of an integer dtype, each in ``[0, C)`` or ``ignore_index``.
    weight : Tensor, optional
        ``(C,)`` class weights, the dtype of ``input_``. No gradient.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    ignore_index : int, default -100
        Targets equal to it count for nothing (not even in the ``mean`` divisor).

    Returns
    -------
    Tensor
        A 0-d tensor, or ``target``'s shape for ``'none'``.

    Raises
    ------
    TypeError
        Non-float ``input_``; ``target`` not of an integer dtype.
    ValueError
        Shapes that do not fit, a class index out of range, an unknown ``reduction``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> logp = lucid.Tensor([[-0.5, -1.0], [-2.0, -0.1]])
    >>> print(F.nll_loss(logp, lucid.Tensor([0, 1])))
    Tensor(0.3)
    """
    name = "nll_loss"
    x = float_tensor(input_, name)
    if not (isinstance(target, Tensor) and target.dtype.kind in "iu"):
        _not_indices(name, target)
    axis, n_classes = _class_layout(name, x)
    reduction_arg(reduction, name)
    ignore_index = check_int(ignore_index, name, "ignore_index")
    _index_target(name, x, target, axis, n_classes, ignore_index)
    w = _class_weight(name, weight, x, n_classes)
    return L.NLLLoss.apply(x, target.data, w, axis=axis, ignore_index=ignore_index,
                           reduction=reduction)


def _not_indices(fname, target):
    if not isinstance(target, Tensor):
        raise TypeError(f"{fname}: target must be a Tensor; got {type(target).__name__} "
                        "(wrap it: lucid.Tensor(target))")
    raise TypeError(f"{fname}: target must hold class indices of an integer dtype (e.g. "
                    f"int64); got dtype {target.dtype}")


def cross_entropy(input_, target, weight=None, reduction="mean", ignore_index=-100,
                  label_smoothing=0.0, eps=None):
    r"""Cross-entropy between the softmax of scores ``input_`` and a target, fused and stable.

    Computed through :func:`log_softmax` (never ``log(softmax)``), with one target
    distribution :math:`q` per sample:

    .. math:: \ell_n = -\sum_c q_{n,c} \log \mathrm{softmax}(x_n)_c

    * class indices ``target`` (integer dtype), :math:`C` classes, smoothing
      :math:`\varepsilon`: :math:`q_{n,c} = (1 - \varepsilon)\, w_{t_n} [c = t_n] +
      \tfrac{\varepsilon}{C} w_c`, zero for ``ignore_index`` targets; ``mean`` divides
      by :math:`\sum_n w_{t_n}` over the counted targets (PyTorch's rule);
    * class probabilities ``target`` (float dtype, ``input_``'s shape):
      :math:`q_{n,c} = w_c \left((1 - \varepsilon) t_{n,c} + \tfrac{\varepsilon}{C}\right)`;
      ``mean`` divides by the number of samples; ``ignore_index`` is not used.

    Shapes: ``input_`` ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``; index ``target``
    ``(N,)``, ``(N, d1, ...)`` or ``()``; probability ``target`` as ``input_``.

    ``eps`` (the original lucid's): the normaliser becomes
    :math:`\log\left(\sum_c e^{x_{n,c} - m_n} + \epsilon\right)` with
    :math:`m_n = \max_c x_{n,c}`, as the original computed it; None (the default) is
    the exact log-softmax, PyTorch's numbers.

    Backward (one fused step, :math:`p = \mathrm{softmax}(x)`, :math:`Q_n = \sum_c q_{n,c}`):
    :math:`\partial \ell_n/\partial x_{n,c} = Q_n p_{n,c} - q_{n,c}` (``p - onehot`` for a
    plain index target); probability targets also get :math:`\partial \ell_n/\partial
    t_{n,c} = -(1 - \varepsilon) w_c \log p_{n,c}`. Both are scaled by the incoming
    gradient (over the divisor for ``mean``).

    Parameters
    ----------
    input_ : Tensor
        Unnormalised scores (logits), float32 or float64.
    target : Tensor
        Class indices (integer dtype) or class probabilities (``input_``'s float dtype).
    weight : Tensor, optional
        ``(C,)`` class weights, the dtype of ``input_``. No gradient.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    ignore_index : int, default -100
        Index targets equal to it count for nothing.
    label_smoothing : float, default 0.0
        :math:`\varepsilon` in [0, 1].
    eps : float, optional
        :math:`\epsilon \ge 0` added inside the log (see above; the original used 1e-7).

    Returns
    -------
    Tensor
        A 0-d tensor, or one loss per sample (``input_``'s shape without the class axis)
        for ``'none'``.

    Raises
    ------
    TypeError
        Non-float ``input_``; a ``target`` neither of an integer dtype nor of ``input_``'s
        dtype.
    ValueError
        Shapes that do not fit (e.g. float class indices of shape ``(N,)``), a class
        index out of range, ``label_smoothing`` outside [0, 1], an unknown ``reduction``,
        a negative ``eps``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> logits = lucid.Tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]], requires_grad=True)
    >>> loss = F.cross_entropy(logits, lucid.Tensor([0, 2]))
    >>> print(loss)
    Tensor(0.6690785, grad_fn=CrossEntropy)
    >>> loss.backward()
    >>> logits.grad
    array([[-0.10650697,  0.05325349,  0.05325349],
           [ 0.16666667,  0.16666667, -0.3333333 ]], dtype=float32)
    """
    name = "cross_entropy"
    x = float_tensor(input_, name)
    axis, n_classes = _class_layout(name, x)
    reduction_arg(reduction, name)
    ignore_index = check_int(ignore_index, name, "ignore_index")
    smoothing = check_number(label_smoothing, name, "label_smoothing", 0.0, 1.0)
    eps = 0.0 if eps is None else check_number(eps, name, "eps", 0.0, None)
    w = _class_weight(name, weight, x, n_classes)
    if isinstance(target, Tensor) and target.dtype.kind in "iu":
        _index_target(name, x, target, axis, n_classes, ignore_index)
        return L.CrossEntropy.apply(x, target.data, w, axis=axis, ignore_index=ignore_index,
                                    label_smoothing=smoothing, reduction=reduction,
                                    probabilities=False, eps=eps)
    t = float_tensor(target, name, "target") if isinstance(target, Tensor) else \
        _not_indices(name, target)
    if t.shape != x.shape:
        raise ValueError(f"{name}: a float target is read as class probabilities and must "
                         f"have input_'s shape {x.shape}; got {t.shape} (class indices "
                         "need an integer dtype)")
    if t.dtype != x.dtype:
        raise TypeError(f"{name}: probability target must have the dtype of input_ "
                        f"({x.dtype}); got {t.dtype}")
    return L.CrossEntropy.apply(x, t, w, axis=axis, ignore_index=ignore_index,
                                label_smoothing=smoothing, reduction=reduction,
                                probabilities=True, eps=eps)
