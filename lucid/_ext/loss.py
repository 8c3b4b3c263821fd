r"""Cross-entropy kernels, reference twin: written to be read.

Scores ``z`` of shape ``(N, C)`` (a row of class scores per sample), class indices
``t`` of shape ``(N,)``, class weights :math:`w` (ones when ``weight`` is None) and an
index to ignore. The loss of row :math:`n` is minus the log-softmax of its target class,
weighted; an ignored row (:math:`t_n` = ``ignore_index``) has loss 0:

.. math::

    \mathrm{lse}_n = m_n + \log \sum_c e^{z_{nc} - m_n} \quad (m_n = \max_c z_{nc}),
    \qquad \ell_n = v_n\, w_{t_n} \left(\mathrm{lse}_n - z_{n t_n}\right)

with :math:`v_n = [t_n \ne \text{ignore\_index}]`. Subtracting the row's maximum
first keeps every exponential at most 1 (no overflow).

Backward, with a coefficient :math:`k_n = \partial L/\partial \ell_n` per row (the
incoming gradient; divided by :math:`\sum_n v_n w_{t_n}` for a ``mean``) and the
softmax :math:`p_{nc} = e^{z_{nc} - \mathrm{lse}_n}`:

.. math:: \frac{\partial L}{\partial z_{nc}} = k_n\, v_n\, w_{t_n}
          \left(p_{nc} - [c = t_n]\right)

the softmax minus the one-hot target, found from the index alone: no ``(N, C)``
one-hot matrix is ever made. The forward returns :math:`p` for the backward (as
PyTorch keeps its log-softmax), so the exponentials are computed once.
"""
import numpy as np

from lucid._ext import _checks

__all__ = ["cross_entropy_forward", "cross_entropy_backward"]


def _target_weight(target, weight, ignore_index, dtype):
    """:math:`v_n w_{t_n}` and the target with ignored rows pointed at class 0."""
    valid = target != ignore_index
    t = np.where(valid, target, 0)
    w_t = valid.astype(dtype) if weight is None else np.where(valid, weight[t], 0).astype(dtype)
    return t, w_t


# [kernel: cross_entropy_forward]
def cross_entropy_forward(z, target, weight, ignore_index):
    """The weighted loss of each row and the softmax of the scores.

    Parameters
    ----------
    z : ndarray, float32 or float64, C-contiguous, shape (N, C), C >= 1
        Scores.
    target : ndarray of int64, shape (N,)
        Class indices in ``[0, C)``, or ``ignore_index``.
    weight : ndarray of shape (C,) and z's dtype, or None
    ignore_index : int

    Returns
    -------
    loss : ndarray of shape (N,)
        :math:`\\ell_n` (0 for an ignored row).
    p : ndarray of z's shape and dtype
        :math:`p_{nc}`, the softmax of each row.
    """
    _checks.cross_entropy_forward(z, target, weight, ignore_index)
    m = z.max(axis=1, keepdims=True) if z.shape[0] else np.zeros((0, 1), z.dtype)
    e = np.exp(z - m)
    total = e.sum(axis=1, keepdims=True, dtype=np.float64)    # 1 <= total <= C
    t, w_t = _target_weight(target, weight, ignore_index, z.dtype)
    z_t = z[np.arange(z.shape[0]), t]
    # lse - z_t, added up as (m - z_t) + log(total) with the total in double precision:
    # when the target has the largest score the loss is log(total), small, which
    # lse - z_t (two close numbers) or a float32 total (1 + tiny) would round away
    minus_log_p = (m[:, 0] - z_t) + np.log(total[:, 0]).astype(z.dtype)
    loss = np.where(w_t != 0, w_t * minus_log_p, z.dtype.type(0))
    return loss.astype(z.dtype), (e / total).astype(z.dtype)
# [end kernel: cross_entropy_forward]


# [kernel: cross_entropy_backward]
def cross_entropy_backward(p, target, weight, ignore_index, coef):
    """The gradient of the loss with respect to the scores.

    Parameters
    ----------
    p : ndarray, float32 or float64, C-contiguous, shape (N, C)
        The softmax :func:`cross_entropy_forward` returned.
    target, weight, ignore_index
        As for :func:`cross_entropy_forward`.
    coef : ndarray of shape (N,) and p's dtype
        :math:`k_n`, the gradient of the result with respect to each row's loss.

    Returns
    -------
    ndarray
        :math:`\\partial L/\\partial z`, same shape and dtype as ``p``.
    """
    _checks.cross_entropy_backward(p, target, weight, ignore_index, coef)
    t, w_t = _target_weight(target, weight, ignore_index, p.dtype)
    grad = p.copy()
    grad[np.arange(p.shape[0]), t] -= 1             # softmax minus the one-hot target
    # An infinite coef (a mean over no counted target divides by 0) times an ignored
    # row's weight 0 is NaN, as in the compiled loop: computed without NumPy's warning.
    with np.errstate(invalid="ignore"):
        scale = (coef * w_t)[:, None]
        return np.where(scale != 0, scale * grad, p.dtype.type(0))
# [end kernel: cross_entropy_backward]
