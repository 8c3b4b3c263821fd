"""RMSprop: divide the gradient by a running root-mean-square of its recent values."""
import numpy as np

from lucid.optim.optimizer import Optimizer, apply_weight_decay, check_non_negative

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum, PyTorch's rule.

    With learning rate :math:`\gamma`, smoothing constant :math:`\alpha`, weight decay
    :math:`\lambda` and momentum :math:`\mu`:

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2 \\
        \bar g_t &= \alpha \bar g_{t-1} + (1-\alpha) g_t
            \quad\text{and}\quad \tilde v_t = v_t - \bar g_t^2 \quad\text{(centered)} \\
        d_t &= \sqrt{\tilde v_t} + \epsilon \qquad (\tilde v_t = v_t \text{ if not centered}) \\
        b_t &= \mu b_{t-1} + g_t / d_t,\quad \theta_t = \theta_{t-1} - \gamma b_t
            \quad\text{if } \mu > 0, \text{ else } \theta_t = \theta_{t-1} - \gamma g_t / d_t

    State: ``"step"``, ``"square_avg"`` (:math:`v`), ``"grad_avg"`` (:math:`\bar g`,
    centered only), ``"momentum_buffer"`` (:math:`b`, momentum only); all start at 0.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups (see :class:`~lucid.optim.Optimizer`).
    lr : float, default 1e-2
        Learning rate :math:`\gamma \ge 0`.
    alpha : float, default 0.99
        Smoothing constant :math:`\alpha \ge 0`.
    eps : float, default 1e-8
        Added to the denominator, :math:`\ge 0`.
    weight_decay : float, default 0
        :math:`\lambda \ge 0`.
    momentum : float, default 0
        :math:`\mu \ge 0`.
    centered : bool, default False
        Normalise by an estimate of the gradient's variance instead of its second moment.
    maximize : bool, default False
        Maximise the objective instead of minimising it.

    Raises
    ------
    ValueError
        A negative ``lr``, ``alpha``, ``eps``, ``weight_decay`` or ``momentum``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import RMSprop
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     w.grad = w.data.copy()          # gradient of 0.5 * sum(w**2)
    ...     opt.step()
    >>> print(w)
    Tensor([0.77998227, -1.7753495], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        for name in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            check_non_negative(group[name], "RMSprop", name)

    def _init_state(self, param, state, group):
        state["step"] = 0
        state["square_avg"] = np.zeros_like(param)
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)

    def _update(self, param, grad, state, group):
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        state["step"] += 1
        grad = apply_weight_decay(param, grad, group)
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - alpha) * (grad - grad_avg)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += eps
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += grad / avg
            param -= lr * buf
        else:
            param -= lr * grad / avg
