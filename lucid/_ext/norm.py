r"""Batch normalisation kernels, reference twin: written to be read.

The input is seen as ``x`` of shape ``(N, C, L)``: batch, channels, and every spatial
axis flattened into one (``(N, C, H, W)`` is ``(N, C, H * W)``; a ``(N, C)`` input is
``(N, C, 1)``). Each channel :math:`c` is normalised over its :math:`M = N L` values:

.. math::

    \mu_c = \frac{1}{M} \sum_{n,l} x_{ncl}, \qquad
    \sigma^2_c = \frac{1}{M} \sum_{n,l} (x_{ncl} - \mu_c)^2, \qquad
    r_c = \frac{1}{\sqrt{\sigma^2_c + \epsilon}}

.. math:: \hat x_{ncl} = (x_{ncl} - \mu_c)\, r_c, \qquad y_{ncl} = \gamma_c \hat x_{ncl} + \beta_c

(:math:`\gamma = 1`, :math:`\beta = 0` when ``weight`` / ``bias`` is None). The variance
is the biased one (divided by :math:`M`), computed from the centred values (two passes:
more accurate than :math:`\langle x^2 \rangle - \mu^2`).

Backward, with :math:`g = \partial L/\partial y` (the mean and the variance depend on
every value of their channel, hence the two sums):

.. math::

    \frac{\partial L}{\partial \beta_c} = \sum_{n,l} g_{ncl}, \qquad
    \frac{\partial L}{\partial \gamma_c} = \sum_{n,l} g_{ncl} \hat x_{ncl}, \qquad
    \frac{\partial L}{\partial x_{ncl}} = \gamma_c r_c \left(g_{ncl}
        - \frac{1}{M}\frac{\partial L}{\partial \beta_c}
        - \frac{\hat x_{ncl}}{M}\frac{\partial L}{\partial \gamma_c}\right)

The backward takes :math:`\mu` and :math:`\sigma^2` from the forward and recomputes
:math:`\hat x` from ``x`` (no array of ``x``'s size is kept between the two).

In evaluation mode the statistics are fixed (the running ones), so the whole layer is
one scale and one shift per channel, folded from :math:`\mu, \sigma^2, \gamma,
\beta`:

.. math:: s_c = \gamma_c r_c, \qquad t_c = \beta_c - \mu_c s_c, \qquad y_{ncl} = x_{ncl} s_c + t_c

(``batch_norm_eval``; its gradient :math:`\partial L/\partial x = g\, s_c` is one
product, which the caller writes).
"""
import numpy as np

from lucid._ext import _checks

__all__ = ["batch_norm_forward", "batch_norm_backward", "batch_norm_eval"]


def _per_channel(a):
    """A (C,) array viewed as (1, C, 1), to broadcast against (N, C, L)."""
    return a[None, :, None]


# [kernel: batch_norm_forward]
def batch_norm_forward(x, weight, bias, eps):
    """Normalise each channel of ``x`` over its batch and spatial values.

    Parameters
    ----------
    x : ndarray, float32 or float64, C-contiguous, shape (N, C, L), N * L >= 1
    weight, bias : ndarray of shape (C,) and x's dtype, or None
        :math:`\\gamma` and :math:`\\beta`.
    eps : float
        Added to the variance, :math:`\\ge 0`.

    Returns
    -------
    y : ndarray
        Same shape and dtype as ``x``.
    mean, var : ndarray of shape (C,)
        :math:`\\mu` and the biased :math:`\\sigma^2` of each channel.
    """
    _checks.batch_norm_forward(x, weight, bias, eps)
    mean = x.mean(axis=(0, 2))
    centred = x - _per_channel(mean)
    var = (centred * centred).mean(axis=(0, 2))
    rstd = 1 / np.sqrt(var + x.dtype.type(eps))
    y = centred * _per_channel(rstd)
    if weight is not None:
        y *= _per_channel(weight)
    if bias is not None:
        y += _per_channel(bias)
    return y, mean, var
# [end kernel: batch_norm_forward]


# [kernel: batch_norm_backward]
def batch_norm_backward(grad, x, mean, var, weight, eps):
    """The gradients of :func:`batch_norm_forward` with respect to ``x``, ``weight``
    and ``bias``.

    Parameters
    ----------
    grad : ndarray, same shape and dtype as ``x``
        :math:`\\partial L/\\partial y`.
    x : ndarray, float32 or float64, C-contiguous, shape (N, C, L)
        The forward's input.
    mean, var : ndarray of shape (C,)
        The statistics :func:`batch_norm_forward` returned.
    weight : ndarray of shape (C,), or None
    eps : float
        The forward's ``eps``.

    Returns
    -------
    grad_x : ndarray
        Same shape and dtype as ``x``.
    grad_weight, grad_bias : ndarray of shape (C,)
        (computed also when the forward had no weight or bias).
    """
    _checks.batch_norm_backward(grad, x, mean, var, weight, eps)
    M = x.shape[0] * x.shape[2]
    rstd = 1 / np.sqrt(var + x.dtype.type(eps))
    xhat = (x - _per_channel(mean)) * _per_channel(rstd)
    grad_bias = grad.sum(axis=(0, 2))
    grad_weight = (grad * xhat).sum(axis=(0, 2))
    scale = rstd if weight is None else weight * rstd
    grad_x = _per_channel(scale) * (grad - _per_channel(grad_bias / M)
                                    - xhat * _per_channel(grad_weight / M))
    return grad_x, grad_weight, grad_bias
# [end kernel: batch_norm_backward]


# [kernel: batch_norm_eval]
def batch_norm_eval(x, mean, var, weight, bias, eps):
    """Evaluation-mode batch norm with fixed statistics, folded: ``y = x * s + t`` with
    ``s = weight / sqrt(var + eps)`` and ``t = bias - mean * s`` per channel.

    Parameters
    ----------
    x : ndarray, float32 or float64, C-contiguous, shape (N, C, L)
    mean, var : ndarray of shape (C,) and x's dtype
        The running statistics :math:`\\mu` and :math:`\\sigma^2`.
    weight, bias : ndarray of shape (C,) and x's dtype, or None
        :math:`\\gamma` and :math:`\\beta`.
    eps : float
        Added to the variance, :math:`\\ge 0`.

    Returns
    -------
    y : ndarray
        Same shape and dtype as ``x``.
    """
    _checks.batch_norm_eval(x, mean, var, weight, bias, eps)
    scale = 1 / np.sqrt(var + x.dtype.type(eps))
    if weight is not None:
        scale = scale * weight
    shift = -(mean * scale) if bias is None else bias - mean * scale
    return x * _per_channel(scale) + _per_channel(shift)
# [end kernel: batch_norm_eval]
