r"""Softmax kernels, compiled twin of :mod:`lucid._ext.softmax`.

The loop nest, for ``softmax_forward`` (``x`` seen as rows of length ``C``)::

    for n in range(N):
        m = max(x[n, :])
        s = 0
        for c in range(C):
            y[n, c] = exp(x[n, c] - m);  s += y[n, c]
        for c in range(C):
            y[n, c] *= 1 / s

and for ``softmax_backward``::

    for n in range(N):
        d = sum(grad[n, c] * y[n, c] for c in range(C))
        for c in range(C):
            grad_x[n, c] = y[n, c] * (grad[n, c] - d)

What makes it fast: each row is read from memory once and stays in the L1 cache for
its second and third look (a row of attention scores is a few dozen values), where
NumPy makes five passes over the whole array with a temporary for each; the sums add
in double precision. It runs on one thread (the row loops are memory-bound and short;
see ``_activation.pyx`` for what waking a second thread right after a BLAS call costs).
"""
import numpy as np

from lucid._ext import _checks

from libc.math cimport NAN

from lucid._ext._sums cimport sum_lanes

__all__ = ["softmax_forward", "softmax_backward"]

ctypedef fused real:
    float
    double


# [loops: softmax_forward]
# The row reductions keep partial results in lanes so that consecutive additions or
# comparisons do not wait for each other: one chain through a 32-value row made the
# first version 4x slower than NumPy. The maximum keeps four (lanes c % 4); the sum is
# ``_sums.sum_lanes``.
cdef inline real _row_max(const real* x, Py_ssize_t C) noexcept nogil:
    cdef Py_ssize_t c = 0
    cdef real m0 = x[0], m1 = x[0], m2 = x[0], m3 = x[0], v0, v1, v2, v3
    cdef bint nan = False
    while c + 4 <= C:
        v0, v1, v2, v3 = x[c], x[c + 1], x[c + 2], x[c + 3]
        m0 = v0 if v0 > m0 else m0           # selects, no jumps
        m1 = v1 if v1 > m1 else m1
        m2 = v2 if v2 > m2 else m2
        m3 = v3 if v3 > m3 else m3
        nan = nan | (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3)
        c += 4
    while c < C:
        v0 = x[c]
        m0 = v0 if v0 > m0 else m0
        nan = nan | (v0 != v0)
        c += 1
    m0 = m1 if m1 > m0 else m0
    m2 = m3 if m3 > m2 else m2
    m0 = m2 if m2 > m0 else m0
    return NAN if nan else m0                # a NaN makes the row NaN, as NumPy's max


def _shift(const real[:, ::1] x, real[:, ::1] y):
    """y[n] = x[n] - max(x[n]), row by row."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], n, c
    cdef real m
    with nogil:
        for n in range(N):
            m = _row_max(&x[n, 0], C)
            for c in range(C):
                y[n, c] = x[n, c] - m


def _normalise(real[:, ::1] e):
    """e[n] /= sum(e[n]), row by row (the sum in double)."""
    cdef Py_ssize_t N = e.shape[0], C = e.shape[1], n, c
    cdef real k
    with nogil:
        for n in range(N):
            k = <real>(1.0 / sum_lanes(&e[n, 0], C))
            for c in range(C):
                e[n, c] = e[n, c] * k
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


def _backward(const real[:, ::1] y, const real[:, ::1] grad, real[:, ::1] grad_x):
    cdef Py_ssize_t N = y.shape[0], C = y.shape[1], n, c
    cdef real d
    with nogil:
        for n in range(N):
            d = <real>_row_dot(&grad[n, 0], &y[n, 0], C)
            for c in range(C):
                grad_x[n, c] = y[n, c] * (grad[n, c] - d)
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
        rows = _as_rows(y)
        _shift(_as_rows(x), rows)
        np.exp(y, out=y)                 # NumPy's vectorised exp: 4x the C library's
        _normalise(rows)
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
        _backward(_as_rows(y), _as_rows(grad), _as_rows(grad_x))
    return grad_x
# [end kernel: softmax_backward]
