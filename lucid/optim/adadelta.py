"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
import numpy as np

from lucid._checks import check_number
from lucid.optim.optimizer import Optimizer, apply_weight_decay, check_non_negative

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), PyTorch's rule.

    With coefficient :math:`\rho`, learning rate :math:`\gamma` (a scale on the update,
    1 in the paper), weight decay :math:`\lambda` and :math:`\epsilon`:

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        v_t &= \rho v_{t-1} + (1-\rho) g_t^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &= \rho u_{t-1} + (1-\rho) \Delta_t^2 \\
        \theta_t &= \theta_{t-1} - \gamma \Delta_t

    State: ``"step"``, ``"square_avg"`` (:math:`v`) and ``"acc_delta"`` (:math:`u`), from 0.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups (see :class:`~lucid.optim.Optimizer`).
    lr : float, default 1.0
        :math:`\gamma \ge 0`.
    rho : float, default 0.9
        :math:`\rho \in [0, 1]`.
    eps : float, default 1e-6
        :math:`\epsilon \ge 0`.
    weight_decay : float, default 0
        :math:`\lambda \ge 0`.
    maximize : bool, default False
        Maximise the objective instead of minimising it.

    Raises
    ------
    ValueError
        A negative ``lr``, ``eps`` or ``weight_decay``; ``rho`` outside :math:`[0, 1]`.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import Adadelta
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adadelta([w], lr=1.0)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     w.grad = w.data.copy()          # gradient of 0.5 * sum(w**2)
    ...     opt.step()
    >>> print(w)
    Tensor([0.9903091, -1.9903008], requires_grad=True)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        check_non_negative(group["lr"], "Adadelta", "lr")
        check_number(group["rho"], "Adadelta", "rho", 0.0, 1.0)
        check_non_negative(group["eps"], "Adadelta", "eps")
        check_non_negative(group["weight_decay"], "Adadelta", "weight_decay")

    def _init_state(self, param, state, group):
        state["step"] = 0
        state["square_avg"] = np.zeros_like(param)
        state["acc_delta"] = np.zeros_like(param)

    def _update(self, param, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        state["step"] += 1
        grad = apply_weight_decay(param, grad, group)
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        std = np.sqrt(square_avg + eps)
        delta = np.sqrt(acc_delta + eps) / std * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= group["lr"] * delta
