"""ASGD: averaged stochastic gradient descent (Polyak-Ruppert averaging)."""
import numpy as np

from lucid._checks import check_number
from lucid.optim.optimizer import Optimizer, apply_weight_decay, check_non_negative

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992), PyTorch's rule.

    A decaying step size :math:`\eta_t` drives the parameter; from step :math:`t_0` on,
    a running average :math:`\bar\theta` of the iterates is also kept (state ``"ax"``):

    .. math::

        g_t &\leftarrow g_t + \lambda_{wd}\,\theta_{t-1} \\
        \theta_t &= \theta_{t-1}(1 - \lambda\eta_{t-1}) - \eta_{t-1} g_t \\
        \bar\theta_t &= \bar\theta_{t-1} + \mu_{t-1}(\theta_t - \bar\theta_{t-1})
            \quad(\bar\theta_t = \theta_t \text{ while } \mu_{t-1} = 1) \\
        \eta_t &= \frac{\gamma}{(1 + \lambda\gamma t)^{\alpha}}, \qquad
        \mu_t = \frac{1}{\max(1,\ t - t_0)}

    with :math:`\eta_0 = \gamma` and :math:`\mu_0 = 1` (state ``"eta"``, ``"mu"``, ``"step"``).

    ``momentum`` (the original lucid's, not PyTorch's): :math:`g_t` is replaced by a
    heavy-ball buffer :math:`b_t = m\, b_{t-1} + g_t` (:math:`b_1 = g_1`, state
    ``"momentum_buffer"``) before the step; with the default :math:`m = 0` the rule is
    exactly PyTorch's.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups (see :class:`~lucid.optim.Optimizer`).
    lr : float, default 1e-2
        :math:`\gamma \ge 0`.
    lambd : float, default 1e-4
        Decay term :math:`\lambda \ge 0`.
    alpha : float, default 0.75
        Power :math:`\alpha` of the step-size decay.
    t0 : float, default 1e6
        Step :math:`t_0` at which averaging starts.
    weight_decay : float, default 0
        :math:`\lambda_{wd} \ge 0`.
    momentum : float, default 0
        :math:`m \ge 0` (the original lucid's argument).
    maximize : bool, default False
        Maximise the objective instead of minimising it.

    Raises
    ------
    ValueError
        A negative ``lr``, ``lambd``, ``weight_decay`` or ``momentum``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import ASGD
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ASGD([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     w.grad = w.data.copy()          # gradient of 0.5 * sum(w**2)
    ...     opt.step()
    >>> print(w)
    Tensor([0.7289775, -1.457955], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 momentum=0, *, maximize=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        momentum=momentum, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        check_non_negative(group["lr"], "ASGD", "lr")
        check_non_negative(group["lambd"], "ASGD", "lambd")
        check_number(group["alpha"], "ASGD", "alpha", finite=False)
        check_number(group["t0"], "ASGD", "t0", finite=False)
        check_non_negative(group["weight_decay"], "ASGD", "weight_decay")
        check_non_negative(group["momentum"], "ASGD", "momentum")

    def _init_state(self, param, state, group):
        state["step"] = 0
        state["eta"] = float(group["lr"])
        state["mu"] = 1.0
        state["ax"] = np.zeros_like(param)

    def _update(self, param, grad, state, group):
        lr, lambd = group["lr"], group["lambd"]
        state["step"] += 1
        t = state["step"]
        grad = apply_weight_decay(param, grad, group)
        if group["momentum"]:
            buf = state.get("momentum_buffer")
            grad = grad.copy() if buf is None else group["momentum"] * buf + grad
            state["momentum_buffer"] = grad
        eta = state["eta"]
        param *= 1 - lambd * eta        # decay
        param -= eta * grad             # gradient step
        ax = state["ax"]
        if state["mu"] != 1:
            ax += state["mu"] * (param - ax)
        else:
            ax[...] = param
        state["eta"] = lr / ((1 + lambd * lr * t) ** group["alpha"])
        state["mu"] = 1 / max(1, t - group["t0"])
