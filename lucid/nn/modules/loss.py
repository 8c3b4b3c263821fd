r"""Loss layers: ``MSELoss``, ``L1Loss``, ``BCELoss``, ``BCEWithLogitsLoss``,
``CrossEntropyLoss``, ``NLLLoss``, ``HuberLoss``, ``SmoothL1Loss`` and ``KLDivLoss``.

Each holds its settings (``reduction``, class ``weight``, ...) and calls its function
of :mod:`lucid.nn.functional.loss` in ``forward(input_, target)``; the function
documents the maths and checks the tensors. Settings are checked when the layer is
made. A class ``weight`` is kept as a buffer (as in PyTorch): it is saved in
``state_dict()`` and cast by ``module.double()``, but never learned.
"""
from lucid.nn import functional as F
from lucid._checks import check_bool, check_int, check_number, float_tensor
from lucid.nn.functional._layer_args import KL_REDUCTIONS, reduction_arg
from lucid.nn.module import Module

__all__ = ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
           "HuberLoss", "SmoothL1Loss", "KLDivLoss"]


class _Loss(Module):
    """What every loss shares: ``reduction``, and an empty repr (as PyTorch's)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction_arg(reduction, type(self).__name__)


class _WeightedLoss(_Loss):
    """A loss with an optional per-class (or per-element) ``weight`` buffer."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        if weight is not None:
            float_tensor(weight, type(self).__name__, "weight")
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    r"""Mean squared error: :math:`\ell_i = (x_i - t_i)^2`, then reduced.

    .. math:: L = \tfrac1n \sum_i (x_i - t_i)^2 \ (\text{mean}), \quad \sum_i (x_i - t_i)^2
              \ (\text{sum})

    Shapes: ``input_`` and ``target`` of one shape; a scalar result, or that shape for
    ``reduction='none'``. Backward: :math:`\partial L/\partial x_i = 2 (x_i - t_i) g`
    (over :math:`n` for ``mean``), see :func:`lucid.nn.functional.mse_loss`.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Raises
    ------
    ValueError
        An unknown ``reduction``; (forward) shapes that differ.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> loss = nn.MSELoss()
    >>> print(loss(lucid.Tensor([1.0, 3.0]), lucid.Tensor([0.0, 0.0])))
    Tensor(5.0)
    """

    def forward(self, input_, target):
        """The loss of ``input_`` against ``target``."""
        return F.mse_loss(input_, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    r"""Binary cross-entropy of probabilities:
    :math:`\ell_i = -w_i (t_i \log x_i + (1 - t_i) \log(1 - x_i))`, logs clamped at -100.

    Shapes: ``input_`` and ``target`` of one shape, ``weight`` broadcastable to it.
    Backward: :math:`\partial \ell_i/\partial x_i = w_i (x_i - t_i) / \max(x_i(1 - x_i),
    10^{-12})`, see :func:`lucid.nn.functional.binary_cross_entropy`.

    Parameters
    ----------
    weight : Tensor, optional
        Rescales each element's loss (kept as the buffer ``weight``).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    eps : float, optional
        The original lucid's: clip the input into :math:`[\epsilon, 1 - \epsilon]`
        first; None keeps PyTorch's numbers (logs clamped at -100).

    Raises
    ------
    TypeError
        A ``weight`` that is not a float Tensor.
    ValueError
        An unknown ``reduction``, ``eps`` outside [0, 0.5); (forward) inputs outside
        [0, 1], shapes that differ.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> loss = nn.BCELoss(reduction="sum")
    >>> print(loss(lucid.Tensor([0.5, 0.5]), lucid.Tensor([1.0, 0.0])))
    Tensor(1.3862944)
    """

    def __init__(self, weight=None, reduction="mean", eps=None):
        super().__init__(weight, reduction)
        self.eps = None if eps is None else check_number(eps, "BCELoss", "eps", 0.0, 0.5,
                                                          high_open=True)

    def forward(self, input_, target):
        """The loss of probabilities ``input_`` against targets in [0, 1]."""
        return F.binary_cross_entropy(input_, target, weight=self.weight,
                                      reduction=self.reduction, eps=self.eps)


class NLLLoss(_WeightedLoss):
    r"""Negative log-likelihood of class indices given log-probabilities:
    :math:`\ell_n = -w_{t_n} x_{n, t_n}`.

    ``mean`` divides by :math:`\sum_n w_{t_n}` over the targets that are not
    ``ignore_index``. Shapes: ``input_`` ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``;
    ``target`` ``(N,)``, ``(N, d1, ...)`` or ``()``. Backward:
    :math:`\partial L/\partial x_{n,c} = -w_{t_n} [c = t_n] g` (see
    :func:`lucid.nn.functional.nll_loss`).

    Parameters
    ----------
    weight : Tensor, optional
        ``(C,)`` class weights (kept as the buffer ``weight``).
    ignore_index : int, default -100
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Raises
    ------
    TypeError
        A non-int ``ignore_index``; a non-float ``weight``.
    ValueError
        An unknown ``reduction``; (forward) a class index out of range.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> logp = lucid.Tensor([[-0.5, -1.0], [-2.0, -0.1]])
    >>> print(nn.NLLLoss()(logp, lucid.Tensor([0, 1])))
    Tensor(0.3)
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction)
        self.ignore_index = check_int(ignore_index, "NLLLoss", "ignore_index")

    def forward(self, input_, target):
        """The loss of log-probabilities ``input_`` against class indices ``target``."""
        return F.nll_loss(input_, target, weight=self.weight, reduction=self.reduction,
                          ignore_index=self.ignore_index)


class CrossEntropyLoss(_WeightedLoss):
    r"""Cross-entropy of logits against class indices or class probabilities,
    computed stably through log-softmax: :math:`\ell_n = -\sum_c q_{n,c} \log
    \mathrm{softmax}(x_n)_c`.

    For an index target :math:`q_{n,c} = (1 - \varepsilon) w_{t_n} [c = t_n] +
    \tfrac{\varepsilon}{C} w_c` (:math:`\varepsilon` = ``label_smoothing``). Shapes:
    ``input_`` ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``; ``target`` of indices
    ``(N,)`` / ``(N, d1, ...)`` / ``()`` or of probabilities like ``input_``.
    Backward: :math:`\partial \ell_n/\partial x_{n,c} = Q_n p_{n,c} - q_{n,c}` with
    :math:`p = \mathrm{softmax}(x_n)` (see :func:`lucid.nn.functional.cross_entropy`).

    Parameters
    ----------
    weight : Tensor, optional
        ``(C,)`` class weights (kept as the buffer ``weight``).
    ignore_index : int, default -100
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    label_smoothing : float, default 0.0
        In [0, 1].
    eps : float, optional
        The original lucid's :math:`\epsilon` inside the log-sum-exp (see
        :func:`lucid.nn.functional.cross_entropy`); None is the exact log-softmax.

    Raises
    ------
    TypeError
        A non-int ``ignore_index``; a non-float ``weight``.
    ValueError
        An unknown ``reduction``; ``label_smoothing`` outside [0, 1]; a negative
        ``eps``; (forward) a class index out of range, a target of the wrong shape.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> loss = nn.CrossEntropyLoss()
    >>> logits = lucid.Tensor([[0.0, 0.0], [0.0, 0.0]], requires_grad=True)
    >>> out = loss(logits, lucid.Tensor([0, 1]))
    >>> print(out)
    Tensor(0.6931472, grad_fn=CrossEntropy)
    >>> out.backward()
    >>> logits.grad
    array([[-0.25,  0.25],
           [ 0.25, -0.25]], dtype=float32)
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0,
                 eps=None):
        super().__init__(weight, reduction)
        self.ignore_index = check_int(ignore_index, "CrossEntropyLoss", "ignore_index")
        self.label_smoothing = check_number(label_smoothing, "CrossEntropyLoss",
                                          "label_smoothing", 0.0, 1.0)
        self.eps = None if eps is None else check_number(eps, "CrossEntropyLoss", "eps",
                                                          0.0, None)

    def forward(self, input_, target):
        """The loss of logits ``input_`` against ``target`` (indices or probabilities)."""
        return F.cross_entropy(input_, target, weight=self.weight, reduction=self.reduction,
                               ignore_index=self.ignore_index,
                               label_smoothing=self.label_smoothing, eps=self.eps)


class HuberLoss(_Loss):
    r"""Huber loss: :math:`\ell_i = \tfrac12 d_i^2` for :math:`|d_i| < \delta`, else
    :math:`\delta(|d_i| - \tfrac12\delta)`, with :math:`d_i = x_i - t_i`.

    Shapes: ``input_`` and ``target`` of one shape. Backward:
    :math:`\partial \ell_i/\partial x_i = \mathrm{clip}(d_i, -\delta, \delta)\, g` (see
    :func:`lucid.nn.functional.huber_loss`).

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    delta : float, default 1.0
        Positive.

    Raises
    ------
    ValueError
        An unknown ``reduction``; ``delta <= 0``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> loss = nn.HuberLoss(reduction="none", delta=1.0)
    >>> print(loss(lucid.Tensor([0.5, 3.0]), lucid.Tensor([0.0, 0.0])))
    Tensor([0.125, 2.5])
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = check_number(delta, "HuberLoss", "delta", 0.0, None, low_open=True)

    def forward(self, input_, target):
        """The loss of ``input_`` against ``target``."""
        return F.huber_loss(input_, target, reduction=self.reduction, delta=self.delta)


class L1Loss(_Loss):
    r"""Mean absolute error: :math:`\ell_i = |x_i - t_i|`, then reduced.

    Shapes: ``input_`` and ``target`` of one shape; a scalar result, or that shape for
    ``reduction='none'``. Backward: :math:`\partial L/\partial x_i =
    \operatorname{sign}(x_i - t_i)\, g` (over :math:`n` for ``mean``), see
    :func:`lucid.nn.functional.l1_loss`.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Raises
    ------
    ValueError
        An unknown ``reduction``; (forward) shapes that differ.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> print(nn.L1Loss()(lucid.Tensor([1.0, -3.0]), lucid.Tensor([0.0, 0.0])))
    Tensor(2.0)
    """

    def forward(self, input_, target):
        """The loss of ``input_`` against ``target``."""
        return F.l1_loss(input_, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    r"""Smooth L1 loss: :math:`\ell_i = d_i^2/(2\beta)` for :math:`|d_i| < \beta`, else
    :math:`|d_i| - \beta/2`, with :math:`d_i = x_i - t_i`.

    Shapes: ``input_`` and ``target`` of one shape. Backward:
    :math:`\partial \ell_i/\partial x_i = \mathrm{clip}(d_i/\beta, -1, 1)\, g` (see
    :func:`lucid.nn.functional.smooth_l1_loss`).

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    beta : float, default 1.0
        Non-negative; 0 gives the L1 loss.

    Raises
    ------
    ValueError
        An unknown ``reduction``; ``beta < 0``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> loss = nn.SmoothL1Loss(reduction="none", beta=1.0)
    >>> print(loss(lucid.Tensor([0.5, 3.0]), lucid.Tensor([0.0, 0.0])))
    Tensor([0.125, 2.5])
    """

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = check_number(beta, "SmoothL1Loss", "beta", 0.0, None)

    def forward(self, input_, target):
        """The loss of ``input_`` against ``target``."""
        return F.smooth_l1_loss(input_, target, reduction=self.reduction, beta=self.beta)


class BCEWithLogitsLoss(_WeightedLoss):
    r"""Binary cross-entropy of logits, with the sigmoid inside (stable):
    :math:`\ell_i = -w_i (p\, t_i \log\sigma(x_i) + (1 - t_i)\log(1 - \sigma(x_i)))`.

    Shapes: ``input_`` and ``target`` of one shape; ``weight`` and ``pos_weight``
    broadcastable to it (``pos_weight`` ``(C,)``: one weight of the positives per
    class). Backward: :math:`\partial\ell_i/\partial x_i = w_i((1 + (p - 1)t_i)
    \sigma(x_i) - p\,t_i)`, :math:`w_i(\sigma(x_i) - t_i)` without ``pos_weight`` (see
    :func:`lucid.nn.functional.binary_cross_entropy_with_logits`).

    Parameters
    ----------
    weight : Tensor, optional
        Rescales each element's loss (kept as the buffer ``weight``).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    pos_weight : Tensor, optional
        The weight of the positive term (kept as the buffer ``pos_weight``).

    Raises
    ------
    TypeError
        A ``weight`` or ``pos_weight`` that is not a float Tensor.
    ValueError
        An unknown ``reduction``; (forward) shapes that differ or do not broadcast.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> loss = nn.BCEWithLogitsLoss(pos_weight=lucid.Tensor([2.0, 1.0]))
    >>> logits = lucid.Tensor([[0.0, 0.0]], requires_grad=True)
    >>> out = loss(logits, lucid.Tensor([[1.0, 1.0]]))
    >>> print(out)                                    # (2 log 2 + log 2) / 2
    Tensor(1.0397208, grad_fn=Mean)
    >>> out.backward()
    >>> logits.grad
    array([[-0.5 , -0.25]], dtype=float32)
    """

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(weight, reduction)
        if pos_weight is not None:
            float_tensor(pos_weight, "BCEWithLogitsLoss", "pos_weight")
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input_, target):
        """The loss of logits ``input_`` against targets in [0, 1]."""
        return F.binary_cross_entropy_with_logits(input_, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class KLDivLoss(Module):
    r"""Kullback-Leibler divergence: :math:`\ell_i = t_i(\log t_i - x_i)` for
    log-probabilities ``input_`` :math:`x` and probabilities ``target`` :math:`t`.

    With ``log_target=True`` the target holds log-probabilities:
    :math:`\ell_i = e^{t_i}(t_i - x_i)`. ``reduction='batchmean'`` (sum over the batch
    size) gives the KL divergence per sample; ``'mean'`` (PyTorch's default) divides by
    the number of elements. Shapes: ``input_`` and ``target`` of one shape. Backward:
    :math:`\partial\ell_i/\partial x_i = -t_i\, g` (see
    :func:`lucid.nn.functional.kl_div`).

    Parameters
    ----------
    reduction : {'mean', 'batchmean', 'sum', 'none'}, default 'mean'
    log_target : bool, default False

    Raises
    ------
    TypeError
        A non-bool ``log_target``.
    ValueError
        An unknown ``reduction``; (forward) shapes that differ.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> import lucid.nn.functional as F
    >>> kl = nn.KLDivLoss(reduction="batchmean")
    >>> student = F.log_softmax(lucid.Tensor([[1.0, 2.0, 3.0]]), axis=1)
    >>> teacher = F.softmax(lucid.Tensor([[1.0, 2.0, 3.0]]), axis=1)
    >>> print(kl(student, teacher).round(6))          # the same distribution
    Tensor(0.0)
    """

    def __init__(self, reduction="mean", log_target=False):
        super().__init__()
        self.reduction = reduction_arg(reduction, "KLDivLoss", KL_REDUCTIONS)
        self.log_target = check_bool(log_target, "KLDivLoss", "log_target")

    def forward(self, input_, target):
        """The divergence of ``target`` from log-probabilities ``input_``."""
        return F.kl_div(input_, target, reduction=self.reduction, log_target=self.log_target)
