r"""Cross-entropy kernels, compiled twin of :mod:`lucid._ext.loss`.

The loop nest, for ``cross_entropy_forward`` (scores ``z`` of shape ``(N, C)``)::

    for n in range(N):                          # parallel over rows (threads_for)
        m = max(z[n, c] for c in range(C))
        p[n, c] = exp(z[n, c] - m)                  # _exp.pxd's vectorised exp
        s = sum(p[n, c] for c in range(C))          # in double, in lanes
        p[n, c] = p[n, c] / s
        loss[n] = w[t[n]] * ((m - z[n, t[n]]) + log(s))  # 0 if t[n] == ignore_index

and for ``cross_entropy_backward``::

    for n in range(N):                          # parallel over rows (threads_for)
        k = coef[n] * w[t[n]]                       # 0 if t[n] == ignore_index
        for c in range(C):
            grad_z[n, c] = k * p[n, c]
        grad_z[n, t[n]] = k * (p[n, t[n]] - 1)

What makes it fast: the target is an index, so no ``(N, C)`` one-hot matrix is made,
filled and multiplied (the op's NumPy path built the target distribution, the
log-softmax, their product, and in the backward the softmax and the difference: about
ten passes over ``N * C`` values, the largest arrays of a language model's step). Each
row is read from memory once: its maximum, exponentials, sum and scaling each look at
the row in the cache (a row of a 10,000-word vocabulary is 40 kB). The exponentials are
``_exp.pxd``'s, vectorised inside the row loop; an earlier version called NumPy's
``max``, ``subtract`` and ``exp`` on the whole array, four passes over memory on one
thread, and took 12.5 ms for the language model's ``(700, 10000)`` scores
(``docs/fast.rst`` has the times now). Rows are shared among the threads; each row is
computed by one thread, so the bits do not depend on the thread count.

Both kernels first ask ``_plain``, in C, whether their arguments are the plain case
(``_arrays.pxd``'s arrays, an int64 target whose entries are classes or
``ignore_index``, a Python int ``ignore_index``); anything else goes through
``_checks``, which raises the named errors.
"""
import numpy as np

cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport log
from libc.stdint cimport int64_t

from lucid._ext import _checks
from lucid._ext._arrays cimport float_type, vector_of
from lucid._ext._exp cimport exp_row
from lucid._ext._openmp import threads_for

__all__ = ["cross_entropy_forward", "cross_entropy_backward"]

ctypedef fused real:
    float
    double

cnp.import_array()

# The checks' bound on an int argument's size (``_checks.integer``).
_MAX_INT = _checks.MAX_INT


cdef inline real _target_weight(int64_t t, const real* weight, int64_t ignore_index) noexcept nogil:
    """``w[t]``, 1 without weights, 0 for an ignored row."""
    if t == ignore_index:
        return 0
    return 1 if weight == NULL else weight[t]


# [loops: cross_entropy_forward]
cdef void _forward_row(const real* z, real* p, Py_ssize_t C, int64_t t,
                       const real* weight, int64_t ignore_index, real* loss) noexcept nogil:
    """Row ``z``'s softmax into ``p`` and its loss into ``loss[0]``."""
    cdef Py_ssize_t c
    cdef real m, inverse, w_t
    cdef double total = exp_row(z, p, C, &m)
    inverse = <real>(1 / total)
    for c in range(C):
        p[c] = p[c] * inverse
    w_t = _target_weight(t, weight, ignore_index)
    # (m - z[t]) + log(total), total in double: not lse - z[t], whose two close numbers
    # would round a small loss away (as the reference twin says)
    loss[0] = w_t * ((m - z[t]) + <real>log(total)) if w_t != 0 else 0


def _forward(const real[:, ::1] z, real[:, ::1] p, const int64_t[::1] target, weight,
             int64_t ignore_index, real[::1] loss, int threads):
    cdef const real[::1] w
    cdef const real* wp = NULL
    cdef Py_ssize_t n, C = z.shape[1]
    if weight is not None:
        w = weight
        wp = &w[0]
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        with nogil:
            for n in range(z.shape[0]):
                _forward_row(&z[n, 0], &p[n, 0], C, target[n], wp, ignore_index, &loss[n])
        return
    for n in prange(z.shape[0], nogil=True, schedule="static", num_threads=threads):
        _forward_row(&z[n, 0], &p[n, 0], C, target[n], wp, ignore_index, &loss[n])
# [end loops: cross_entropy_forward]


cdef bint _plain(object z, object target, object weight, object ignore_index) noexcept:
    """Whether the arguments are the plain case, told in C (``_arrays.pxd``): ``z`` a
    plain ``(N, C)`` float array with ``C >= 1``; ``target`` exactly an ndarray of
    int64 in the machine's byte order, aligned, C-contiguous, ``(N,)``, every entry a
    class in ``[0, C)`` or ``ignore_index``; ``weight`` None or a plain ``(C,)`` array of
    ``z``'s dtype; ``ignore_index`` a Python int of at most ``_checks.MAX_INT`` in size. False says only "ask the
    checks" (``_checks._scores_and_target``, which name what is wrong): at batch 1
    those checks, two NumPy reductions over the target among them, took longer than
    the loop."""
    cdef int kind = float_type(z, 2)
    if kind == -1 or type(target) is not cnp.ndarray or type(ignore_index) is not int:
        return False
    if not (-_MAX_INT <= ignore_index <= _MAX_INT):
        return False
    cdef cnp.ndarray Z = <cnp.ndarray>z, T = <cnp.ndarray>target
    cdef Py_ssize_t N = Z.shape[0], C = Z.shape[1], n
    if (C < 1 or cnp.PyArray_TYPE(T) != cnp.NPY_INT64 or cnp.PyArray_NDIM(T) != 1
            or not cnp.PyArray_ISNOTSWAPPED(T) or not cnp.PyArray_ISALIGNED(T)
            or not cnp.PyArray_IS_C_CONTIGUOUS(T) or T.shape[0] != N):
        return False
    if weight is not None and not vector_of(weight, kind, C):
        return False
    cdef const int64_t* t = <const int64_t*>cnp.PyArray_DATA(T)
    cdef int64_t ignored = ignore_index, v
    for n in range(N):
        v = t[n]
        if v != ignored and (v < 0 or v >= C):
            return False
    return True


# [kernel: cross_entropy_forward]
def cross_entropy_forward(z, target, weight, ignore_index):
    """The weighted loss of each row of scores and its softmax, row by row::

        for n in range(N):
            m = max(z[n]);  e = exp(z[n] - m);  s = sum(e)
            p[n] = e / s
            loss[n] = w[t[n]] * ((m - z[n, t[n]]) + log(s))  # 0 for an ignored row
    """
    if not _plain(z, target, weight, ignore_index):   # else the checks' rules hold
        _checks.cross_entropy_forward(z, target, weight, ignore_index)
    loss = np.empty(z.shape[0], dtype=z.dtype)
    p = np.empty_like(z)
    if z.shape[0]:
        _forward(z, p, target, weight, ignore_index, loss, threads_for(z.size))
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
    if t != ignore_index:            # an ignored row's k is 0 * coef: NaN for an infinite
        grad[t] = k * (p[t] - 1)     # coef, and its t may be out of range (-100)
                                     # (rounded as the reference: k (p - onehot))


def _backward(const real[:, ::1] p, const int64_t[::1] target, weight, int64_t ignore_index,
              const real[::1] coef, real[:, ::1] grad, int threads):
    cdef const real[::1] w
    cdef const real* wp = NULL
    cdef Py_ssize_t N = p.shape[0], C = p.shape[1], n
    if weight is not None:
        w = weight
        wp = &w[0]
    if threads == 1:                # as in _forward
        with nogil:
            for n in range(N):
                _backward_row(&p[n, 0], C, target[n], wp, ignore_index, coef[n], &grad[n, 0])
        return
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        _backward_row(&p[n, 0], C, target[n], wp, ignore_index, coef[n], &grad[n, 0])
# [end loops: cross_entropy_backward]


# [kernel: cross_entropy_backward]
def cross_entropy_backward(p, target, weight, ignore_index, coef):
    """The gradient with respect to the scores: softmax minus one-hot, scaled per row::

        for n in range(N):
            k = coef[n] * w[t[n]]                          # 0 for an ignored row
            grad_z[n] = k * p[n];  grad_z[n, t[n]] = k * (p[n, t[n]] - 1)
    """
    if not (_plain(p, target, weight, ignore_index)
            and vector_of(coef, float_type(p, 2), (<cnp.ndarray>p).shape[0])):
        _checks.cross_entropy_backward(p, target, weight, ignore_index, coef)
    grad = np.empty_like(p)
    if p.shape[0]:
        _backward(p, target, weight, ignore_index, coef, grad, threads_for(p.size))
    return grad
# [end kernel: cross_entropy_backward]
