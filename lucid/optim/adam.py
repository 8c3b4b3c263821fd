"""The Adam family: Adam, AdamW, NAdam, RAdam and Adamax.

All five keep an exponential moving average of the gradient (the *first moment*
:math:`m`) and a per-coordinate scale of the gradient (the second moment :math:`v`,
or its infinity-norm cousin :math:`u` for Adamax), and divide the one by the other.
They share the weight decay (``apply_weight_decay`` of :mod:`lucid.optim.optimizer`,
coupled or decoupled as AdamW's) and the moment update below.
"""
import numpy as np

from lucid import _ext
from lucid.autograd.inplace import note_write
from lucid.optim.optimizer import (Optimizer, apply_weight_decay, check_betas,
                                   check_non_negative, contiguous, fuse, fuse_group)

__all__ = ["Adam", "AdamW", "NAdam", "RAdam", "Adamax"]


# [exercise: adam]
def _update_moments(state, grad, beta1, beta2):
    """Move the moving averages towards the new gradient (in place in ``state``).

    :math:`m \\leftarrow \\beta_1 m + (1-\\beta_1) g` (written as ``m += (1-beta1)(g-m)``,
    the same value, as PyTorch's ``lerp``) and :math:`v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2`.
    """
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg += (1 - beta1) * (grad - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad


class _AdamBase(Optimizer):
    """Shared checks and state of the family: lr, betas, eps, weight_decay; m and v."""

    def _check_group(self, group):
        name = self._name
        check_non_negative(group["lr"], name, "lr")
        check_non_negative(group["eps"], name, "eps")
        check_betas(group["betas"], name)
        check_non_negative(group["weight_decay"], name, "weight_decay")

    def _init_state(self, param, state, group):
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(param)
        state["exp_avg_sq"] = np.zeros_like(param)


class Adam(_AdamBase):
    r"""Adam: adaptive moment estimation (Kingma & Ba, 2015), PyTorch's rule.

    At step :math:`t`, with learning rate :math:`\gamma`, betas :math:`(\beta_1, \beta_2)`,
    weight decay :math:`\lambda` and :math:`\epsilon`:

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1}
            \quad(\text{decoupled: } \theta_{t-1} \leftarrow (1-\gamma\lambda)\theta_{t-1}) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ with amsgrad, else } v_t \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,
                    \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    :math:`m_0 = v_0 = 0`; state ``"step"``, ``"exp_avg"`` (:math:`m`), ``"exp_avg_sq"``
    (:math:`v`) and, with amsgrad, ``"max_exp_avg_sq"`` (:math:`\hat v`).

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups (see :class:`~lucid.optim.Optimizer`).
    lr : float, default 1e-3
        Learning rate :math:`\gamma \ge 0`.
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the first and second moments, each in :math:`[0, 1)`.
    eps : float, default 1e-8
        Added to the denominator, :math:`\ge 0`.
    weight_decay : float, default 0
        :math:`\lambda \ge 0`.
    amsgrad : bool, default False
        Divide by the running maximum of :math:`v` (Reddi et al., 2018).
    maximize : bool, default False
        Maximise the objective instead of minimising it.
    decoupled_weight_decay : bool, default False
        Decay the parameter directly (AdamW) instead of adding :math:`\lambda\theta` to
        the gradient.

    Raises
    ------
    ValueError
        A negative ``lr``, ``eps`` or ``weight_decay``; a beta outside :math:`[0, 1)`.
    TypeError
        ``betas`` is not a pair of numbers.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import Adam
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     w.grad = w.data.copy()          # gradient of 0.5 * sum(w**2)
    ...     opt.step()
    >>> print(w)
    Tensor([0.7015863, -1.7006234], requires_grad=True)
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, param, state, group):
        super()._init_state(param, state, group)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)

    def _update(self, param, grad, state, group):
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        state["step"] += 1
        t = state["step"]
        grad = apply_weight_decay(param, grad, group, group["decoupled_weight_decay"])
        _update_moments(state, grad, beta1, beta2)
        v = state["exp_avg_sq"]
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step_size = lr / (1 - beta1 ** t)
        denom = np.sqrt(v) / (1 - beta2 ** t) ** 0.5 + eps
        param -= step_size * state["exp_avg"] / denom
# [end exercise: adam]


def _adam_kernel_step(opt, param, grad, state, group):
    """``Adam._update`` in one pass: the ``optim`` kernels' ``adam_step`` (same values,
    bit for bit). Taken for float32/float64 C-contiguous arrays; the rule runs otherwise.
    On the compiled twin, Adam without amsgrad and without coupled weight decay (AdamW's
    included) is one vectorised loop, 3.4x faster than the rule's ten NumPy passes
    (``docs/fast.rst``)."""
    moments = [state["exp_avg"], state["exp_avg_sq"]]
    if group["amsgrad"]:
        moments.append(state["max_exp_avg_sq"])
    if param.dtype not in (np.float32, np.float64) or not contiguous(param, grad, *moments):
        return Adam._update(opt, param, grad, state, group)
    beta1, beta2 = group["betas"]
    step = state["step"] + 1
    _ext.get("optim").adam_step(param, grad, state["exp_avg"], state["exp_avg_sq"],
                                state["max_exp_avg_sq"] if group["amsgrad"] else None,
                                step, group["lr"], beta1, beta2, group["eps"],
                                group["weight_decay"],
                                bool(group["decoupled_weight_decay"]))
    state["step"] = step         # counted once the kernel took it (its checks come first)


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Adam's rule (see :class:`Adam`) except that the weight decay shrinks the parameter
    directly instead of entering the moments:

    .. math::

        \theta_{t-1} &\leftarrow (1 - \gamma\lambda)\,\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,
                    \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
        :math:`\lambda \ge 0` (note the non-zero default).
    amsgrad : bool, default False
    maximize : bool, default False

    Raises
    ------
    ValueError, TypeError
        As for :class:`Adam`.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import AdamW
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     w.grad = w.data.copy()
    ...     opt.step()
    >>> print(w)
    Tensor([0.6751013, -1.6443686], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


class NAdam(_AdamBase):
    r"""NAdam: Adam with Nesterov momentum (Dozat, 2016), PyTorch's rule.

    With the momentum schedule :math:`\mu_t = \beta_1 (1 - \tfrac12\, 0.96^{t\psi})`
    (:math:`\psi` = ``momentum_decay``) and its running product
    :math:`\Pi_t = \prod_{i \le t} \mu_i`:

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1}
            \quad(\text{decoupled: } \theta_{t-1} \leftarrow (1-\gamma\lambda)\theta_{t-1}) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        d_t &= \sqrt{v_t / (1-\beta_2^t)} + \epsilon \\
        \theta_t &= \theta_{t-1}
            - \gamma\frac{1-\mu_t}{1-\Pi_t}\frac{g_t}{d_t}
            - \gamma\frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}}\frac{m_t}{d_t}

    State: ``"step"``, ``"mu_product"`` (:math:`\Pi`), ``"exp_avg"``, ``"exp_avg_sq"``.

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum_decay : float, default 4e-3
        :math:`\psi \ge 0`.
    decoupled_weight_decay : bool, default False
        Decay the parameter directly (NAdamW).
    maximize : bool, default False

    Raises
    ------
    ValueError, TypeError
        As for :class:`Adam`; a negative ``momentum_decay``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import NAdam
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = NAdam([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     w.grad = w.data.copy()
    ...     opt.step()
    >>> print(w)
    Tensor([0.75272924, -1.7475085], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        check_non_negative(group["momentum_decay"], "NAdam", "momentum_decay")

    def _init_state(self, param, state, group):
        super()._init_state(param, state, group)
        state["mu_product"] = 1.0

    def _update(self, param, grad, state, group):
        lr, eps, psi = group["lr"], group["eps"], group["momentum_decay"]
        beta1, beta2 = group["betas"]
        state["step"] += 1
        t = state["step"]
        grad = apply_weight_decay(param, grad, group, group["decoupled_weight_decay"])
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        _update_moments(state, grad, beta1, beta2)
        denom = np.sqrt(state["exp_avg_sq"] / (1 - beta2 ** t)) + eps
        param -= lr * (1.0 - mu) / (1.0 - mu_product) * grad / denom
        param -= lr * mu_next / (1.0 - mu_product * mu_next) * state["exp_avg"] / denom


class RAdam(_AdamBase):
    r"""RAdam: Adam with a rectified adaptive learning rate (Liu et al., 2020).

    With :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`:

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1}
            \quad(\text{decoupled: } \theta_{t-1} \leftarrow (1-\gamma\lambda)\theta_{t-1}) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad
        \hat m_t = m_t / (1-\beta_1^t) \\
        \theta_t &= \begin{cases}
            \theta_{t-1} - \gamma\,\hat m_t\,
                \dfrac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon}\, r_t & \rho_t > 5 \\
            \theta_{t-1} - \gamma\,\hat m_t & \text{otherwise} \end{cases} \\
        r_t &= \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    decoupled_weight_decay : bool, default False
    maximize : bool, default False

    Raises
    ------
    ValueError, TypeError
        As for :class:`Adam`.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import RAdam
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = RAdam([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     w.grad = w.data.copy()
    ...     opt.step()
    >>> print(w)
    Tensor([0.71577007, -1.4315401], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        state["step"] += 1
        t = state["step"]
        grad = apply_weight_decay(param, grad, group, group["decoupled_weight_decay"])
        _update_moments(state, grad, beta1, beta2)
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        m_hat = state["exp_avg"] / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
        if rho_t > 5.0:   # the variance is tractable: rectify the adaptive step
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = bias_correction2 ** 0.5 / (np.sqrt(state["exp_avg_sq"]) + eps)
            param -= m_hat * lr * adaptive_lr * rect
        else:             # early steps: plain momentum SGD
            param -= m_hat * lr


class Adamax(_AdamBase):
    r"""Adamax: Adam with the infinity norm in place of the second moment (Kingma & Ba).

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\
        u_t &= \max(\beta_2 u_{t-1},\ |g_t| + \epsilon) \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,\frac{m_t}{u_t}

    State: ``"step"``, ``"exp_avg"`` (:math:`m`), ``"exp_inf"`` (:math:`u`).

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    maximize : bool, default False

    Raises
    ------
    ValueError, TypeError
        As for :class:`Adam`.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import Adamax
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adamax([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     w.grad = w.data.copy()
    ...     opt.step()
    >>> print(w)
    Tensor([0.7154994, -1.7076483], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 *, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param, state, group):
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(param)
        state["exp_inf"] = np.zeros_like(param)

    def _update(self, param, grad, state, group):
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        state["step"] += 1
        t = state["step"]
        grad = apply_weight_decay(param, grad, group)
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        exp_avg += (1 - beta1) * (grad - exp_avg)
        np.maximum(exp_inf * beta2, np.abs(grad) + eps, out=exp_inf)
        clr = lr / (1 - beta1 ** t)
        param -= clr * exp_avg / exp_inf


fuse(Adam, _adam_kernel_step)


def _adam_group_step(opt, group):
    """``Adam.step`` (and AdamW's) on a whole group in one call of the compiled twin's
    private ``_adam_steps`` (the same values as ``_adam_kernel_step`` on each
    parameter), as SGD's ``_sgd_group_step``: where the active twin has it and every
    step is its plain case (no amsgrad or ``maximize``, weight decay none or decoupled,
    each parameter's state made by an earlier step). Returns False, having changed
    nothing, to leave the group to the loop."""
    adam_steps = getattr(_ext.get("optim"), "_adam_steps", None)
    decoupled = bool(group["decoupled_weight_decay"])
    if (adam_steps is None or group["amsgrad"] or group.get("maximize", False)
            or (group["weight_decay"] != 0 and not decoupled)):
        return False
    params = [p for p in group["params"] if p.grad is not None]
    states = [opt.state.get(p) for p in params]
    if not all(states):               # a first step makes each state
        return False
    beta1, beta2 = group["betas"]
    steps = [s["step"] + 1 for s in states]
    datas = [p.data for p in params]
    if not adam_steps(datas, [p.grad for p in params], [s["exp_avg"] for s in states],
                      [s["exp_avg_sq"] for s in states], steps, group["lr"], beta1, beta2,
                      group["eps"], group["weight_decay"], decoupled):
        return False
    for state, step, data in zip(states, steps, datas):
        state["step"] = step
        note_write(data)     # graphs that saved p's old values now refuse backward
    return True


fuse_group(Adam, _adam_group_step)
