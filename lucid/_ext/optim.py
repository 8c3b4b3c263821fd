r"""Optimizer steps, reference twin: one parameter's whole update, written to be read.

An optimizer step changes every element of a parameter :math:`\theta` from its gradient
:math:`g` and the optimizer's per-parameter state, in place. The optimizers of
:mod:`lucid.optim` keep their rules readable one NumPy expression at a time (each a pass
over memory and often a temporary array); these kernels are the same rules as one
function per step, so the compiled twin can make a single pass over the arrays.

SGD (PyTorch's rule; :math:`\gamma` learning rate, :math:`\lambda` weight decay,
:math:`\mu` momentum, :math:`\tau` dampening, :math:`b` the momentum buffer):

.. math::

    g &\leftarrow g + \lambda\theta \\
    b &\leftarrow g \text{ (first step)}, \quad \mu b + (1-\tau) g \text{ (later)} \\
    g &\leftarrow g + \mu b \text{ (Nesterov)}, \quad b \text{ (otherwise)} \\
    \theta &\leftarrow \theta - \gamma g

Adam at step :math:`t` (moments :math:`m, v`; AdamW's decoupled decay shrinks
:math:`\theta` by :math:`1-\gamma\lambda` instead of adding :math:`\lambda\theta` to
:math:`g`; amsgrad divides by the running maximum :math:`\hat v` of :math:`v`):

.. math::

    m &\leftarrow m + (1-\beta_1)(g - m), \qquad
    v \leftarrow \beta_2 v + (1-\beta_2) g^2 \\
    \theta &\leftarrow \theta - \frac{\gamma}{1-\beta_1^t}\,
        \frac{m}{\sqrt{\hat v}/\sqrt{1-\beta_2^t} + \epsilon}

Every scalar is applied in the arrays' dtype, in the order written here (as NumPy
applies a Python float to a float32 array), so both twins compute the same values.
"""
import numpy as np

from lucid._ext import _checks

__all__ = ["sgd_step", "adam_step"]


# [kernel: sgd_step]
def sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first):
    r"""One SGD step on ``param``, in place (and on the momentum buffer ``buf``).

    .. math::

        g = \text{grad} + \lambda\,\theta, \quad
        b = g \text{ if first else } \mu b + (1-\tau) g, \quad
        \theta \leftarrow \theta - \gamma\,(g + \mu b \text{ if nesterov else } b)

    (without momentum, :math:`\mu = 0`: :math:`\theta \leftarrow \theta - \gamma g` and
    ``buf`` is None).

    Parameters
    ----------
    param : ndarray, float32 or float64, C-contiguous, writeable
        :math:`\theta`, changed in place.
    grad : ndarray, param's shape and dtype, C-contiguous
        :math:`g` (not changed).
    buf : ndarray of param's shape and dtype, or None
        The momentum buffer :math:`b`, changed in place (its old values are ignored on
        the first step); None exactly when ``momentum == 0``.
    lr, momentum, dampening, weight_decay : float
        :math:`\gamma, \mu, \tau, \lambda`.
    nesterov, first : bool
        Nesterov momentum; whether this is the buffer's first step.
    """
    _checks.sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
                     first)
    dtype = param.dtype.type
    if weight_decay != 0:
        grad = grad + dtype(weight_decay) * param
    if momentum != 0:
        if first:
            buf[...] = grad
        else:
            buf *= dtype(momentum)
            buf += dtype(1 - dampening) * grad
        grad = grad + dtype(momentum) * buf if nesterov else buf
    param -= dtype(lr) * grad
# [end kernel: sgd_step]


# [kernel: adam_step]
def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2,
              eps, weight_decay, decoupled):
    r"""One Adam (or AdamW) step on ``param`` and its moments, in place.

    .. math::

        \theta &\leftarrow (1-\gamma\lambda)\,\theta \text{ (decoupled)}, \quad
        g = \text{grad} + \lambda\theta \text{ (coupled)} \\
        m &\leftarrow m + (1-\beta_1)(g-m), \quad
        v \leftarrow \beta_2 v + (1-\beta_2)\,g\,g, \quad
        \hat v \leftarrow \max(\hat v, v) \text{ (amsgrad)} \\
        \theta &\leftarrow \theta - \frac{\gamma}{1-\beta_1^t}\,
            \frac{m}{\sqrt{\hat v}\,/\sqrt{1-\beta_2^t} + \epsilon}

    Parameters
    ----------
    param : ndarray, float32 or float64, C-contiguous, writeable
        :math:`\theta`, changed in place.
    grad : ndarray, param's shape and dtype, C-contiguous
        :math:`g` (not changed).
    exp_avg, exp_avg_sq : ndarray, param's shape and dtype, writeable
        :math:`m` and :math:`v`, changed in place.
    max_exp_avg_sq : ndarray like them, or None
        :math:`\hat v` for amsgrad (changed in place), else None (:math:`\hat v = v`).
    step : int
        :math:`t \ge 1`, this step's number.
    lr, beta1, beta2, eps, weight_decay : float
        :math:`\gamma, \beta_1, \beta_2, \epsilon, \lambda`.
    decoupled : bool
        AdamW's decay of :math:`\theta` instead of the L2 term in :math:`g`.
    """
    _checks.adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1,
                      beta2, eps, weight_decay, decoupled)
    dtype = param.dtype.type
    if weight_decay != 0:
        if decoupled:
            param *= dtype(1 - lr * weight_decay)
        else:
            grad = grad + dtype(weight_decay) * param
    exp_avg += dtype(1 - beta1) * (grad - exp_avg)
    exp_avg_sq *= dtype(beta2)
    exp_avg_sq += dtype(1 - beta2) * grad * grad
    v = exp_avg_sq
    if max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        v = max_exp_avg_sq
    step_size = dtype(lr / (1 - beta1 ** step))
    denom = np.sqrt(v) / dtype((1 - beta2 ** step) ** 0.5) + dtype(eps)
    param -= step_size * exp_avg / denom
# [end kernel: adam_step]
