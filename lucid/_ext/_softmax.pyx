r"""Softmax kernels, compiled twin of :mod:`lucid._ext.softmax`.

The loop nest, for ``softmax_forward`` (``x`` seen as rows of length ``C``)::

    for n in range(N):                          # parallel over rows (threads_for)
        m = max(x[n, :])
        for c in range(C):
            y[n, c] = exp(x[n, c] - m)              # _exp.pxd's vectorised exp
        s = sum(y[n, c] for c in range(C))          # in double, in lanes
        for c in range(C):
            y[n, c] *= 1 / s

and for ``softmax_backward``::

    for n in range(N):                          # parallel over rows (threads_for)
        d = sum(grad[n, c] * y[n, c] for c in range(C))
        for c in range(C):
            grad_x[n, c] = y[n, c] * (grad[n, c] - d)

and for the private log-softmax kernels (see the reference twin's docstring)::

    for n in range(N):                          # _log_softmax_forward, parallel
        m = max(x[n, :]);  s = sum(exp(x[n, c] - m) for c in range(C))
        for c in range(C):
            y[n, c] = (x[n, c] - m) - log(s)
    for n in range(N):                          # _log_softmax_backward, parallel
        s = sum(grad[n, c] for c in range(C))       # in double
        for c in range(C):
            grad_x[n, c] = grad[n, c] - exp(y[n, c]) * s

What makes it fast: each row is read from memory once and stays in the cache for its
second and third look, where NumPy makes five passes over the whole array with a
temporary for each; the sums add in double precision. The exponentials are
``_exp.pxd``'s, vectorised inside the row loop (NumPy's exp needed a pass of its own
over the whole array, outside any parallel loop). Rows are shared among the threads
from ``threads_for``'s threshold on; each row is computed by one thread, so the bits do
not depend on the thread count.
"""
import numpy as np

from lucid._ext import _checks

from cython.parallel cimport prange

from libc.math cimport log

from lucid._ext._exp cimport exp_row, log_softmax_grad_row
from lucid._ext._openmp import threads_for

# The contract (what a plugged-in softmax module provides). The log-softmax kernels
# below are private, as in the reference twin: the op layer calls them where the active
# twin has them, and its NumPy formula otherwise (lucid/ops/activation.py).
__all__ = ["softmax_forward", "softmax_backward"]

ctypedef fused real:
    float
    double


# [loops: softmax_forward]
cdef void _softmax_row(const real* x, real* y, Py_ssize_t C) noexcept nogil:
    """y = exp(x - max(x)) / sum(exp(x - max(x))) for one row (read from memory once:
    the max, the exponentials and the scaling each look at the row in the cache)."""
    cdef Py_ssize_t c
    cdef real m, k
    k = <real>(1.0 / exp_row(x, y, C, &m))
    for c in range(C):
        y[c] = y[c] * k


def _forward(const real[:, ::1] x, real[:, ::1] y, int threads):
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], n
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        with nogil:
            for n in range(N):
                _softmax_row(&x[n, 0], &y[n, 0], C)
        return
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        _softmax_row(&x[n, 0], &y[n, 0], C)
# [end loops: softmax_forward]


# [loops: softmax_backward]
cdef inline double _row_dot(const real* a, const real* b, Py_ssize_t C) noexcept nogil:
    cdef Py_ssize_t c = 0
    cdef double s0 = 0, s1 = 0, s2 = 0, s3 = 0
    while c + 4 <= C:
        s0 += a[c] * b[c]
        s1 += a[c + 1] * b[c + 1]
        s2 += a[c + 2] * b[c + 2]
        s3 += a[c + 3] * b[c + 3]
        c += 4
    while c < C:
        s0 += a[c] * b[c]
        c += 1
    return (s0 + s1) + (s2 + s3)


cdef void _backward_row(const real* y, const real* grad, real* grad_x,
                        Py_ssize_t C) noexcept nogil:
    cdef Py_ssize_t c
    cdef real d = <real>_row_dot(grad, y, C)
    for c in range(C):
        grad_x[c] = y[c] * (grad[c] - d)


def _backward(const real[:, ::1] y, const real[:, ::1] grad, real[:, ::1] grad_x,
              int threads):
    cdef Py_ssize_t N = y.shape[0], C = y.shape[1], n
    if threads == 1:                # as in _forward
        with nogil:
            for n in range(N):
                _backward_row(&y[n, 0], &grad[n, 0], &grad_x[n, 0], C)
        return
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        _backward_row(&y[n, 0], &grad[n, 0], &grad_x[n, 0], C)
# [end loops: softmax_backward]


def _as_rows(a):
    """``a`` (C-contiguous, at least 1 axis) as a 2-d view of its rows (no negative
    index: the directives turn wraparound off, even for a tuple)."""
    return a.reshape(-1, a.shape[a.ndim - 1])


# [kernel: softmax_forward]
def softmax_forward(x):
    """The softmax of every row (the last axis) of ``x``, one row at a time::

        for n in range(N):
            m = max(x[n]);  e = exp(x[n] - m);  y[n] = e / sum(e)
    """
    _checks.softmax_forward(x)
    y = np.empty_like(x)
    if x.size:
        _forward(_as_rows(x), _as_rows(y), threads_for(x.size))
    return y
# [end kernel: softmax_forward]


# [kernel: softmax_backward]
def softmax_backward(y, grad):
    """``y * (grad - sum(grad * y))`` along every row, one row at a time::

        for n in range(N):
            grad_x[n] = y[n] * (grad[n] - dot(grad[n], y[n]))
    """
    _checks.softmax_backward(y, grad)
    grad_x = np.empty_like(y)
    if y.size:
        _backward(_as_rows(y), _as_rows(grad), _as_rows(grad_x), threads_for(y.size))
    return grad_x
# [end kernel: softmax_backward]


# [loops: _log_softmax_forward]
cdef void _log_softmax_row(const real* x, real* y, Py_ssize_t C) noexcept nogil:
    """y = (x - m) - log(sum(exp(x - m))) for one row, m = max(x); the exponentials go
    to y first (the row's scratch), then y is overwritten."""
    cdef Py_ssize_t c
    cdef real m, log_total
    log_total = <real>log(exp_row(x, y, C, &m))
    for c in range(C):
        y[c] = (x[c] - m) - log_total


def _log_forward(const real[:, ::1] x, real[:, ::1] y, int threads):
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], n
    if threads == 1:                # as in _forward
        with nogil:
            for n in range(N):
                _log_softmax_row(&x[n, 0], &y[n, 0], C)
        return
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        _log_softmax_row(&x[n, 0], &y[n, 0], C)
# [end loops: _log_softmax_forward]


# [kernel: _log_softmax_forward]
def _log_softmax_forward(x):
    """The log-softmax of every row (the last axis) of ``x``, one row at a time::

        for n in range(N):
            m = max(x[n]);  y[n] = (x[n] - m) - log(sum(exp(x[n] - m)))
    """
    _checks.log_softmax_forward(x)
    y = np.empty_like(x)
    if x.size:
        _log_forward(_as_rows(x), _as_rows(y), threads_for(x.size))
    return y
# [end kernel: _log_softmax_forward]


# [loops: _log_softmax_backward]
def _log_backward(const real[:, ::1] y, const real[:, ::1] grad, real[:, ::1] grad_x,
                  int threads):
    cdef Py_ssize_t N = y.shape[0], C = y.shape[1], n
    if threads == 1:                # as in _forward
        with nogil:
            for n in range(N):
                log_softmax_grad_row(&y[n, 0], &grad[n, 0], &grad_x[n, 0], C)
        return
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        log_softmax_grad_row(&y[n, 0], &grad[n, 0], &grad_x[n, 0], C)   # _exp.pxd
# [end loops: _log_softmax_backward]


# [kernel: _log_softmax_backward]
def _log_softmax_backward(y, grad):
    """``grad - exp(y) * sum(grad)`` along every row, one row at a time::

        for n in range(N):
            grad_x[n] = grad[n] - exp(y[n]) * sum(grad[n])
    """
    _checks.log_softmax_backward(y, grad)
    grad_x = np.empty_like(y)
    if y.size:
        _log_backward(_as_rows(y), _as_rows(grad), _as_rows(grad_x), threads_for(y.size))
    return grad_x
# [end kernel: _log_softmax_backward]
