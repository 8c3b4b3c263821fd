"""Adagrad: per-coordinate learning rates that shrink with the sum of squared gradients."""
import numpy as np

from lucid.optim.optimizer import Optimizer, apply_weight_decay, check_non_negative

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), PyTorch's rule.

    With learning rate :math:`\gamma`, learning-rate decay :math:`\eta`, weight decay
    :math:`\lambda` and :math:`\epsilon`:

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        \tilde\gamma_t &= \frac{\gamma}{1 + (t-1)\eta} \\
        s_t &= s_{t-1} + g_t^2 \\
        \theta_t &= \theta_{t-1} - \tilde\gamma_t \frac{g_t}{\sqrt{s_t} + \epsilon}

    :math:`s_0` is ``initial_accumulator_value`` (state ``"sum"``, with ``"step"``); the
    state exists from construction on, as in PyTorch.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups (see :class:`~lucid.optim.Optimizer`).
    lr : float, default 1e-2
        Learning rate :math:`\gamma \ge 0`.
    lr_decay : float, default 0
        :math:`\eta \ge 0`.
    weight_decay : float, default 0
        :math:`\lambda \ge 0`.
    initial_accumulator_value : float, default 0
        :math:`s_0 \ge 0`.
    eps : float, default 1e-10
        Added to the denominator, :math:`\ge 0`.
    maximize : bool, default False
        Maximise the objective instead of minimising it.

    Raises
    ------
    ValueError
        Any of the numbers above negative.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import Adagrad
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     w.grad = w.data.copy()          # gradient of 0.5 * sum(w**2)
    ...     opt.step()
    >>> print(w)
    Tensor([0.7804562, -1.7758214], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p.data, self.state.setdefault(p, {}), group)

    def _check_group(self, group):
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_non_negative(group[name], "Adagrad", name)

    def _init_state(self, param, state, group):
        state["step"] = 0
        state["sum"] = np.full_like(param, group["initial_accumulator_value"])

    def _update(self, param, grad, state, group):
        state["step"] += 1
        t = state["step"]
        grad = apply_weight_decay(param, grad, group)
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        std = np.sqrt(state["sum"]) + group["eps"]
        param -= clr * grad / std
