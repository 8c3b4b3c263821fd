"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""
import numpy as np

from lucid import _ext
from lucid._checks import check_number
from lucid.autograd.inplace import note_write
from lucid.optim.optimizer import (Optimizer, apply_weight_decay, check_non_negative,
                                   contiguous, fuse, fuse_group)

__all__ = ["SGD"]


# [exercise: sgd]
class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's rule.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t`,
    learning rate :math:`\gamma`, weight decay :math:`\lambda`, momentum :math:`\mu`
    and dampening :math:`\tau`:

    .. math::

        g_t &\leftarrow g_t + \lambda \theta_{t-1} \\
        b_t &= \begin{cases} g_t & t = 1 \\
                             \mu b_{t-1} + (1 - \tau) g_t & t > 1 \end{cases} \\
        g_t &\leftarrow \begin{cases} g_t + \mu b_t & \text{nesterov} \\
                                      b_t & \text{otherwise} \end{cases} \\
        \theta_t &= \theta_{t-1} - \gamma g_t

    The momentum lines apply only when :math:`\mu \neq 0` (the buffer :math:`b` is the
    state ``"momentum_buffer"``). With ``maximize=True`` the gradient's sign flips first.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups (see :class:`~lucid.optim.Optimizer`).
    lr : float, default 1e-3
        Learning rate :math:`\gamma \ge 0`.
    momentum : float, default 0
        Momentum factor :math:`\mu \ge 0`.
    dampening : float, default 0
        Dampening :math:`\tau` of the momentum.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda \ge 0`.
    nesterov : bool, default False
        Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool, default False
        Maximise the objective instead of minimising it.

    Raises
    ------
    ValueError
        A negative ``lr``, ``momentum`` or ``weight_decay``; ``nesterov`` without
        momentum or with dampening; a bad parameter list (see the base class).

    Examples
    --------
    Minimise :math:`\frac{1}{2}\lVert w \rVert^2` (its gradient is :math:`w`):

    >>> import lucid
    >>> from lucid.optim import SGD
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     w.grad = w.data.copy()
    ...     opt.step()
    >>> print(w)
    Tensor([0.48599997, -0.97199994], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        check_non_negative(group["lr"], "SGD", "lr")
        check_non_negative(group["momentum"], "SGD", "momentum")
        check_number(group["dampening"], "SGD", "dampening", finite=False)
        check_non_negative(group["weight_decay"], "SGD", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening == 0; got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _init_state(self, param, state, group):
        state["momentum_buffer"] = None   # made from the first gradient

    def _update(self, param, grad, state, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        grad = apply_weight_decay(param, grad, group)
        if momentum != 0:
            buf = state["momentum_buffer"]
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += (1 - dampening) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= lr * grad
# [end exercise: sgd]


def _sgd_kernel_step(opt, param, grad, state, group):
    """``SGD._update`` in one pass: the ``optim`` kernels' ``sgd_step`` (same values).

    Taken without weight decay and Nesterov, where the compiled loop has no branch and
    runs faster than the rule's NumPy passes (docs/fast.rst); the rule runs otherwise."""
    momentum = group["momentum"]
    buf = state["momentum_buffer"]
    first = buf is None
    if group["weight_decay"] != 0 or group["nesterov"]:
        return SGD._update(opt, param, grad, state, group)
    if momentum != 0 and first:
        buf = np.empty_like(param)
    if not contiguous(param, grad, *([buf] if momentum != 0 else [])):
        return SGD._update(opt, param, grad, state, group)
    _ext.get("optim").sgd_step(param, grad, buf if momentum != 0 else None, group["lr"],
                               momentum, group["dampening"], group["weight_decay"],
                               bool(group["nesterov"]), first)
    if momentum != 0:
        state["momentum_buffer"] = buf


fuse(SGD, _sgd_kernel_step)


def _sgd_group_step(opt, group):
    """``SGD.step`` on a whole group in one call of the compiled twin's private
    ``_sgd_steps`` (the same values as ``_sgd_kernel_step`` on each parameter), where
    the active twin has it and every step is its plain case: no weight decay, Nesterov
    or ``maximize``, each parameter's state (and momentum buffer) already made by an
    earlier step. Returns False, having changed nothing, to leave the group to the
    loop."""
    steps = getattr(_ext.get("optim"), "_sgd_steps", None)
    if (steps is None or group["weight_decay"] != 0 or group["nesterov"]
            or group.get("maximize", False)):
        return False
    params = [p for p in group["params"] if p.grad is not None]
    states = [opt.state.get(p) for p in params]
    if not all(states):               # a first step makes each state (and buffer)
        return False
    bufs = None
    if group["momentum"] != 0:
        bufs = [s["momentum_buffer"] for s in states]
        if any(b is None for b in bufs):
            return False
    datas = [p.data for p in params]
    if not steps(datas, [p.grad for p in params], bufs, group["lr"], group["momentum"],
                 group["dampening"]):
        return False
    for data in datas:
        note_write(data)     # graphs that saved p's old values now refuse backward
    return True


fuse_group(SGD, _sgd_group_step)
