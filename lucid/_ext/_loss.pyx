r"""Cross-entropy kernels, compiled twin of :mod:`lucid._ext.loss`.

The loop nest, for ``cross_entropy_forward`` (scores ``z`` of shape ``(N, C)``)::

    for n in range(N):                          # one thread (module docstring)
        m = max(z[n, c] for c in range(C))         # NumPy's vectorised max
        e[n, c] = exp(z[n, c] - m)                  # NumPy's vectorised exp
        s = sum(e[n, c] for c in range(C))
        p[n, c] = e[n, c] / s
        loss[n] = w[t[n]] * ((m - z[n, t[n]]) + log(s))  # 0 if t[n] == ignore_index

and for ``cross_entropy_backward``::

    for n in range(N):                          # one thread (module docstring)
        k = coef[n] * w[t[n]]                       # 0 if t[n] == ignore_index
        for c in range(C):
            grad_z[n, c] = k * p[n, c]
        grad_z[n, t[n]] = k * (p[n, t[n]] - 1)

What makes it fast: the target is an index, so no ``(N, C)`` one-hot matrix is made,
filled and multiplied (the op's NumPy path built the target distribution, the
log-softmax, their product, and in the backward the softmax and the difference: about
ten passes over ``N * C`` values, the largest arrays of a language model's step). The
row maxima and the exponentials are NumPy's ``max`` and ``exp`` on the whole array: it is vectorised for the
machine at run time, while the C library's ``exp`` is a call per element (this kernel
ran 3x slower than NumPy with it). The sums run in double-precision lanes
(``_sums.sum_lanes``); the backward is one multiply per element the compiler vectorises.
One thread: on this 2-core machine shared with other processes, a second OpenMP thread
woken for a loop this short often waited for the scheduler longer than the loop ran.
"""
import numpy as np

from libc.math cimport log
from libc.stdint cimport int64_t

from lucid._ext import _checks
from lucid._ext._sums cimport sum_lanes

__all__ = ["cross_entropy_forward", "cross_entropy_backward"]

ctypedef fused real:
    float
    double


cdef inline real _target_weight(int64_t t, const real* weight, int64_t ignore_index) noexcept nogil:
    """``w[t]``, 1 without weights, 0 for an ignored row."""
    if t == ignore_index:
        return 0
    return 1 if weight == NULL else weight[t]


# [loops: cross_entropy_forward]
cdef void _finish_row(const real* z, real* e, Py_ssize_t C, real m, int64_t t,
                      const real* weight, int64_t ignore_index, real* loss) noexcept nogil:
    """``e`` holds ``exp(z - m)``: make it the softmax, write the row's loss."""
    cdef Py_ssize_t c
    cdef double total = sum_lanes(e, C)
    cdef real inverse = <real>(1 / total), w_t
    inverse = 1 / total
    for c in range(C):
        e[c] = e[c] * inverse
    w_t = _target_weight(t, weight, ignore_index)
    # (m - z[t]) + log(total), total in double: not lse - z[t], whose two close numbers
    # would round a small loss away (as the reference twin says)
    loss[0] = w_t * ((m - z[t]) + <real>log(total)) if w_t != 0 else 0


def _finish(const real[:, ::1] z, real[:, ::1] e, const real[:, ::1] m,
            const int64_t[::1] target, weight, int64_t ignore_index, real[::1] loss):
    cdef const real[::1] w
    cdef const real* wp = NULL
    cdef Py_ssize_t n, C = z.shape[1]
    if weight is not None:
        w = weight
        wp = &w[0]
    with nogil:
        for n in range(z.shape[0]):
            _finish_row(&z[n, 0], &e[n, 0], C, m[n, 0], target[n], wp, ignore_index, &loss[n])
# [end loops: cross_entropy_forward]


# [kernel: cross_entropy_forward]
def cross_entropy_forward(z, target, weight, ignore_index):
    """The weighted loss of each row of scores and its softmax, row by row::

        for n in range(N):
            m = max(z[n]);  e = exp(z[n] - m);  s = sum(e)
            p[n] = e / s
            loss[n] = w[t[n]] * ((m - z[n, t[n]]) + log(s))  # 0 for an ignored row
    """
    _checks.cross_entropy_forward(z, target, weight, ignore_index)
    loss = np.empty(z.shape[0], dtype=z.dtype)
    if not z.shape[0]:
        return loss, np.empty_like(z)
    m = z.max(axis=1, keepdims=True)                   # NumPy's vectorised max and exp
    p = np.subtract(z, m)
    np.exp(p, out=p)
    _finish(z, p, m, target, weight, ignore_index, loss)
    return loss, p
# [end kernel: cross_entropy_forward]


# [loops: cross_entropy_backward]
cdef void _backward_row(const real* p, Py_ssize_t C, int64_t t, const real* weight,
                        int64_t ignore_index, real coef, real* grad) noexcept nogil:
    cdef Py_ssize_t c
    cdef real k = coef * _target_weight(t, weight, ignore_index)
    if k == 0:
        for c in range(C):
            grad[c] = 0
        return
    for c in range(C):
        grad[c] = k * p[c]
    grad[t] = k * (p[t] - 1)         # rounded as the reference: k (p - onehot)


def _backward(const real[:, ::1] p, const int64_t[::1] target, weight, int64_t ignore_index,
              const real[::1] coef, real[:, ::1] grad):
    cdef const real[::1] w
    cdef const real* wp = NULL
    cdef Py_ssize_t N = p.shape[0], C = p.shape[1], n
    if weight is not None:
        w = weight
        wp = &w[0]
    with nogil:
        for n in range(N):
            _backward_row(&p[n, 0], C, target[n], wp, ignore_index, coef[n], &grad[n, 0])
# [end loops: cross_entropy_backward]


# [kernel: cross_entropy_backward]
def cross_entropy_backward(p, target, weight, ignore_index, coef):
    """The gradient with respect to the scores: softmax minus one-hot, scaled per row::

        for n in range(N):
            k = coef[n] * w[t[n]]                          # 0 for an ignored row
            grad_z[n] = k * p[n];  grad_z[n, t[n]] = k * (p[n, t[n]] - 1)
    """
    _checks.cross_entropy_backward(p, target, weight, ignore_index, coef)
    grad = np.empty_like(p)
    if p.shape[0]:
        _backward(p, target, weight, ignore_index, coef, grad)
    return grad
# [end kernel: cross_entropy_backward]
