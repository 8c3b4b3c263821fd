"""Rprop: resilient backpropagation, a per-coordinate step size driven by gradient signs."""
import numpy as np

from lucid._checks import check_number
from lucid.optim.optimizer import Optimizer, check_non_negative, check_pair

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun, 1993): only the sign of the gradient is used, PyTorch's rule.

    Each coordinate keeps its own step size :math:`\Delta` (starting at ``lr``). When the
    gradient keeps its sign the step grows by :math:`\eta_+`, when it flips the step
    shrinks by :math:`\eta_-` and that coordinate skips this update:

    .. math::

        s &= \operatorname{sign}(g_t\, g_{t-1}) \\
        \Delta_t &= \operatorname{clip}\bigl(\Delta_{t-1} \cdot
            \{\eta_+ \text{ if } s>0;\ \eta_- \text{ if } s<0;\ 1 \text{ if } s=0\},
            \ \Delta_{\min},\ \Delta_{\max}\bigr) \\
        g_t &\leftarrow 0 \quad\text{where } s < 0 \\
        \theta_t &= \theta_{t-1} - \operatorname{sign}(g_t)\,\Delta_t

    The (possibly zeroed) :math:`g_t` is remembered as the next :math:`g_{t-1}`
    (state ``"prev"``, starting at 0; ``"step_size"`` is :math:`\Delta`).

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups (see :class:`~lucid.optim.Optimizer`).
    lr : float, default 1e-2
        Initial step size :math:`\Delta_0 \ge 0`.
    etas : (float, float), default (0.5, 1.2)
        :math:`(\eta_-, \eta_+)` with :math:`0 < \eta_- < 1 < \eta_+`.
    step_sizes : (float, float), default (1e-6, 50)
        :math:`(\Delta_{\min}, \Delta_{\max})`, with :math:`0 \le \Delta_{\min} \le \Delta_{\max}`.
    maximize : bool, default False
        Maximise the objective instead of minimising it.

    Raises
    ------
    ValueError
        A negative ``lr``; ``etas`` or ``step_sizes`` out of order.
    TypeError
        ``etas`` or ``step_sizes`` is not a pair of numbers.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import Rprop
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Rprop([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     w.grad = w.data.copy()          # gradient of 0.5 * sum(w**2)
    ...     opt.step()
    >>> print(w)
    Tensor([0.636, -1.6359999], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, maximize=False):
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        check_non_negative(group["lr"], "Rprop", "lr")
        eta_minus, eta_plus = check_pair(group["etas"], "Rprop", "etas")
        check_number(eta_minus, "Rprop", "etas[0]", finite=False)
        check_number(eta_plus, "Rprop", "etas[1]", finite=False)
        if not 0.0 < eta_minus < 1.0 < eta_plus:
            raise ValueError(f"Rprop: etas must satisfy 0 < etas[0] < 1 < etas[1]; got {group['etas']!r}")
        low, high = check_pair(group["step_sizes"], "Rprop", "step_sizes")
        check_non_negative(low, "Rprop", "step_sizes[0]")
        check_number(high, "Rprop", "step_sizes[1]", finite=False)
        if not low <= high:
            raise ValueError(f"Rprop: step_sizes must satisfy step_sizes[0] <= step_sizes[1]; got {group['step_sizes']!r}")

    def _init_state(self, param, state, group):
        state["step"] = 0
        state["prev"] = np.zeros_like(param)
        state["step_size"] = np.full_like(param, group["lr"])

    def _update(self, param, grad, state, group):
        eta_minus, eta_plus = group["etas"]
        step_min, step_max = group["step_sizes"]
        prev, step_size = state["prev"], state["step_size"]
        state["step"] += 1
        sign = np.sign(grad * prev)
        factor = np.where(sign > 0, eta_plus, np.where(sign < 0, eta_minus, 1.0)).astype(param.dtype)
        step_size *= factor
        np.clip(step_size, step_min, step_max, out=step_size)
        grad = np.where(sign < 0, 0, grad).astype(param.dtype)   # a sign flip: skip this coordinate
        param -= np.sign(grad) * step_size
        prev[...] = grad
