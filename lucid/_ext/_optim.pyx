r"""Optimizer steps, compiled twin of :mod:`lucid._ext.optim`.

The loop nest, for ``sgd_step`` (every array seen flat)::

    for i in range(n):
        g = grad[i] + weight_decay * param[i]
        buf[i] = g if first else momentum * buf[i] + (1 - dampening) * g
        g = g + momentum * buf[i] if nesterov else buf[i]
        param[i] -= lr * g

and for ``adam_step``::

    for i in range(n):
        param[i] *= 1 - lr * weight_decay                  # decoupled (AdamW)
        g = grad[i] + weight_decay * param[i]              # coupled
        exp_avg[i] += (1 - beta1) * (g - exp_avg[i])
        exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (1 - beta2) * g * g
        v = max(max_exp_avg_sq[i], exp_avg_sq[i])          # amsgrad, else exp_avg_sq[i]
        param[i] -= step_size * exp_avg[i] / (sqrt(v) / sqrt(1 - beta2**t) + eps)

What makes it fast: the reference makes a pass over memory per NumPy expression (about 4
for SGD with momentum, 10 for Adam) and allocates temporaries for several; here each
element is read and written once, in registers in between. Every scalar is cast to the
arrays' dtype first and applied in the reference's order, so the results are the
reference's (NaN included: ``max`` keeps a NaN as ``np.maximum`` does). Adam without
amsgrad and without the coupled weight decay (AdamW's decay included: a multiplication
by exactly 1 without it) has a loop of its own without a branch, which gcc turns into
vector instructions, the square root included (built with ``-fno-math-errno``): 3.4x
faster than the reference's ten NumPy passes; the loop with the options stays scalar
(``docs/fast.rst``). That branch-free loop is bound by the divider (a square root and
two divisions per value), and a second core has its own: from 16,384 values on it runs
over blocks of 4,096 values shared among the threads (``_adam_run``; 0.53x the time on
200,704 values), each value computed alone, so the threads never change a bit. SGD's
branch-free loops, one pass over memory each, are shared the same way from 65,536 values
on (``_sgd_run``; 0.44-0.49x the time on 2,000,000 values). Plain arguments (arrays of
one dtype and shape, Python floats and bools) reach those two loops from C without the
checks or memoryviews (``_sgd_front``, ``_adam_front``): a step of a small layer's bias
4.1 -> 0.13 us (SGD), 6.0 -> 0.35 us (Adam).
"""
import numpy as np

from lucid._ext import _checks
from lucid._ext._openmp import SMALL_WORK, threads_for, threads_for_pass

cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport sqrt, sqrtf

from lucid._ext._arrays cimport float_type

cnp.import_array()

__all__ = ["sgd_step", "adam_step"]

ctypedef fused real:
    float
    double


# [loops: sgd_step]
def _sgd(real[::1] param, const real[::1] grad, real[::1] buf, real lr, real momentum,
         real keep, real weight_decay, bint decay, bint use_momentum, bint nesterov,
         bint first):
    # keep = 1 - dampening; buf is an empty view without momentum
    cdef Py_ssize_t n = param.shape[0], i
    cdef real g, b
    with nogil:
        for i in range(n):
            g = grad[i]
            if decay:
                g = g + weight_decay * param[i]
            if use_momentum:
                if first:
                    b = g
                else:
                    b = buf[i] * momentum
                    b = b + keep * g
                buf[i] = b
                if nesterov:
                    g = g + momentum * b
                else:
                    g = b
            param[i] = param[i] - lr * g


# The loops above test their flags per element, which keeps the compiler from
# vectorising them (measured 2x slower than NumPy's passes on 200,000 float32
# values); the common configurations get a branch-free loop each (2.5x faster).
cdef void _sgd_plain_run(real* param, const real* grad, Py_ssize_t n,
                         real lr) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        param[i] = param[i] - lr * grad[i]


cdef void _sgd_momentum_run(real* param, const real* grad, real* buf, Py_ssize_t n,
                            real lr, real momentum, real keep) noexcept nogil:
    cdef Py_ssize_t i
    cdef real b
    for i in range(n):
        b = buf[i] * momentum
        b = b + keep * grad[i]
        buf[i] = b
        param[i] = param[i] - lr * b


cdef enum:
    SGD_BLOCK = 1 << 14


def _sgd_threads(n):
    """Threads for SGD's branch-free loops over ``n`` values: one pass over memory each
    (``_openmp.threads_for_pass``)."""
    return threads_for_pass(n)


# A small layer's step is a fraction of a microsecond through the front door, and asking
# the rules above costs ~0.1 us more: under SMALL_WORK units of work (one thread, by
# _openmp.parts_for) the answer is known without asking.
cdef Py_ssize_t _SMALL_WORK = SMALL_WORK


cdef inline int _threads_of(object rule, Py_ssize_t work, Py_ssize_t n) except -1:
    """``rule(n)``, or 1 without calling it when ``work`` is under SMALL_WORK."""
    return 1 if work < _SMALL_WORK else rule(n)


cdef inline void _sgd_block(real* param, const real* grad, real* buf, Py_ssize_t n,
                            real lr, real momentum, real keep) noexcept nogil:
    if buf == NULL:
        _sgd_plain_run(param, grad, n, lr)
    else:
        _sgd_momentum_run(param, grad, buf, n, lr, momentum, keep)


cdef void _sgd_run(real* param, const real* grad, real* buf, Py_ssize_t n, real lr,
                   real momentum, real keep, int threads) noexcept nogil:
    # the branch-free loops (buf NULL: without momentum) over blocks of SGD_BLOCK values
    # shared among the threads; each value is computed alone
    cdef Py_ssize_t block, start
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        _sgd_block(param, grad, buf, n, lr, momentum, keep)
        return
    for block in prange((n + SGD_BLOCK - 1) // SGD_BLOCK, schedule="static",
                        num_threads=threads):
        start = block * SGD_BLOCK
        _sgd_block(param + start, grad + start, <real*>NULL if buf == NULL else buf + start,
                   min(SGD_BLOCK, n - start), lr, momentum, keep)


def _sgd_plain(real[::1] param, const real[::1] grad, real lr):
    cdef int threads = _threads_of(_sgd_threads, param.shape[0], param.shape[0])
    if param.shape[0]:
        with nogil:
            _sgd_run(&param[0], &grad[0], <real*>NULL, param.shape[0], lr, 0, 1, threads)


def _sgd_momentum(real[::1] param, const real[::1] grad, real[::1] buf, real lr,
                  real momentum, real keep):
    cdef int threads = _threads_of(_sgd_threads, param.shape[0], param.shape[0])
    if param.shape[0]:
        with nogil:
            _sgd_run(&param[0], &grad[0], &buf[0], param.shape[0], lr, momentum, keep,
                     threads)
# [end loops: sgd_step]


# [loops: adam_step]
cdef enum:
    ADAM_BLOCK = 1 << 12
    # how many plain elementwise passes (_openmp.threads_for_pass) one value of Adam's
    # branch-free loop counts for: a square root and two divisions
    ADAM_WORK = 4


def _adam_threads(n):
    """Threads for Adam's branch-free loop over ``n`` values."""
    return threads_for(ADAM_WORK * n)


cdef inline void _moments(real g, real* m, real* v, real keep1, real beta2,
                          real keep2) noexcept nogil:
    """The moments of one element, in place, in the reference's order:
    ``m += keep1 * (g - m)``, ``v = v * beta2 + keep2 * g * g``."""
    m[0] = m[0] + keep1 * (g - m[0])
    v[0] = v[0] * beta2 + keep2 * g * g


def _adam(real[::1] param, const real[::1] grad, real[::1] exp_avg, real[::1] exp_avg_sq,
          real[::1] max_exp_avg_sq, real shrink, real weight_decay, real keep1, real beta2,
          real keep2, real step_size, real root_bc2, real eps, bint shrink_param,
          bint decay_grad, bint amsgrad):
    # keep1 = 1 - beta1, keep2 = 1 - beta2, root_bc2 = sqrt(1 - beta2**t),
    # shrink = 1 - lr * weight_decay; max_exp_avg_sq is an empty view without amsgrad
    cdef Py_ssize_t n = param.shape[0], i
    cdef real p, g, m, v, top, root
    with nogil:
        for i in range(n):
            p = param[i]
            if shrink_param:
                p = p * shrink
            g = grad[i]
            if decay_grad:
                g = g + weight_decay * p
            _moments(g, &exp_avg[i], &exp_avg_sq[i], keep1, beta2, keep2)
            m = exp_avg[i]
            v = exp_avg_sq[i]
            if amsgrad:
                top = max_exp_avg_sq[i]
                if not (top >= v or top != top):     # np.maximum: NaN wins
                    top = v
                max_exp_avg_sq[i] = top
                v = top
            if real is float:
                root = sqrtf(v)
            else:
                root = sqrt(v)
            param[i] = p - step_size * m / (root / root_bc2 + eps)


cdef void _adam_rows(real* param, const real* grad, real* exp_avg, real* exp_avg_sq,
                     Py_ssize_t n, real shrink, real keep1, real beta2, real keep2,
                     real step_size, real root_bc2, real eps) noexcept nogil:
    # _adam's loop without amsgrad and without the coupled decay, and without a branch:
    # shrink is 1 - lr * weight_decay for AdamW and exactly 1 otherwise (p * 1 is p, bit
    # for bit). gcc turns it into vector instructions (the square root too, built with
    # -fno-math-errno).
    cdef Py_ssize_t i
    cdef real p, m, v
    for i in range(n):
        p = param[i] * shrink
        _moments(grad[i], &exp_avg[i], &exp_avg_sq[i], keep1, beta2, keep2)
        m = exp_avg[i]
        v = exp_avg_sq[i]
        if real is float:
            param[i] = p - step_size * m / (sqrtf(v) / root_bc2 + eps)
        else:
            param[i] = p - step_size * m / (sqrt(v) / root_bc2 + eps)


cdef void _adam_run(real* param, const real* grad, real* exp_avg, real* exp_avg_sq,
                    Py_ssize_t n, real shrink, real keep1, real beta2, real keep2,
                    real step_size, real root_bc2, real eps, int threads) noexcept nogil:
    # _adam_rows over blocks of ADAM_BLOCK values shared among the threads; each value
    # is computed alone, so which thread computes it never changes its bits
    cdef Py_ssize_t block, start
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        _adam_rows(param, grad, exp_avg, exp_avg_sq, n, shrink, keep1, beta2, keep2,
                   step_size, root_bc2, eps)
        return
    for block in prange((n + ADAM_BLOCK - 1) // ADAM_BLOCK, schedule="static",
                        num_threads=threads):
        start = block * ADAM_BLOCK
        _adam_rows(param + start, grad + start, exp_avg + start, exp_avg_sq + start,
                   min(ADAM_BLOCK, n - start), shrink, keep1, beta2, keep2, step_size,
                   root_bc2, eps)


def _adam_plain(real[::1] param, const real[::1] grad, real[::1] exp_avg,
                real[::1] exp_avg_sq, real shrink, real keep1, real beta2, real keep2,
                real step_size, real root_bc2, real eps, int threads):
    with nogil:
        _adam_run(&param[0], &grad[0], &exp_avg[0], &exp_avg_sq[0], param.shape[0],
                  shrink, keep1, beta2, keep2, step_size, root_bc2, eps, threads)
# [end loops: adam_step]


# The plain case, told in C (lucid/_ext/_arrays.pxd's front door): an optimizer step
# runs once per parameter, and on a small layer its checks (~1.9 us for SGD, ~2.6 for
# Adam) and the memoryviews of the loop cost more than the loop. Where every argument
# is plain -- arrays of one float dtype and shape, the updated ones writeable, the
# scalars Python floats (or small ints), the flags Python bools -- the common loops run
# straight on the data pointers; anything else goes the long way (the checks, which
# name what is wrong, then the memoryview loops). The scalars are cast to the arrays'
# dtype as ``np.float32(x)`` casts them (a double rounded once).

cdef inline bint _like(object a, cnp.ndarray param, int kind, bint writeable) noexcept:
    """``a`` passes ``_checks._like_param`` for ``param``: a plain array of its dtype and
    shape (writeable when asked)."""
    if float_type(a, -1) != kind:
        return False
    cdef cnp.ndarray x = <cnp.ndarray>a
    if writeable and not cnp.PyArray_ISWRITEABLE(x):
        return False
    return cnp.PyArray_SAMESHAPE(x, param)


cdef inline bint _number(object v) noexcept:
    """``v`` passes ``_checks._real`` as a Python float, or an int small enough that
    every float type holds it exactly (|v| < 2**24)."""
    if type(v) is float:
        return True
    return type(v) is int and -16777216 < v < 16777216


cdef int _plain_param(object param) noexcept:
    """NumPy's type number of ``param`` when it passes ``_checks.array(...,
    writeable=True)`` plainly; -1 otherwise."""
    cdef int kind = float_type(param, -1)
    if kind == -1 or not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>param):
        return -1
    return kind


# [kernel: sgd_step]
def sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first):
    """One SGD step on ``param`` (and ``buf``), in place, in one pass::

        for i in range(n):
            g = grad[i] + weight_decay * param[i]
            buf[i] = g if first else momentum * buf[i] + (1 - dampening) * g
            param[i] -= lr * (g + momentum * buf[i] if nesterov else buf[i])
    """
    cdef int kind = _plain_param(param)
    cdef bint plain = (kind != -1 and _number(lr) and _number(momentum)
                       and _number(dampening) and _number(weight_decay)
                       and type(nesterov) is bool and type(first) is bool
                       and _like(grad, param, kind, False)
                       and (_like(buf, param, kind, True) if momentum != 0 else buf is None))
    if not plain:
        _checks.sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
                         first)
    elif weight_decay == 0 and not nesterov and not (momentum != 0 and first):
        _sgd_front(param, grad, buf, kind, lr, momentum, dampening)
        return
    dtype = param.dtype.type
    use_momentum = momentum != 0
    if weight_decay == 0 and not nesterov and not (use_momentum and first):
        if use_momentum:
            _sgd_momentum(param.reshape(-1), grad.reshape(-1), buf.reshape(-1), dtype(lr),
                          dtype(momentum), dtype(1 - dampening))
        else:
            _sgd_plain(param.reshape(-1), grad.reshape(-1), dtype(lr))
        return
    flat_buf = buf.reshape(-1) if use_momentum else np.empty(0, dtype=param.dtype)
    _sgd(param.reshape(-1), grad.reshape(-1), flat_buf, dtype(lr), dtype(momentum),
         dtype(1 - dampening), dtype(weight_decay), weight_decay != 0, use_momentum,
         bool(nesterov), bool(first))
# [end kernel: sgd_step]


def _sgd_steps(params, grads, bufs, lr, momentum, dampening):
    """SGD's plain step on every parameter of a group in one call (no weight decay, no
    Nesterov, the momentum buffers already made)::

        for param, grad, buf in zip(params, grads, bufs):
            sgd_step(param, grad, buf, lr, momentum, dampening, 0, False, False)

    ``params``, ``grads`` (and ``bufs`` with momentum; None without) are lists of one
    length. Private to this twin: ``lucid/optim/sgd.py`` calls it where the active twin
    has it, saving the optimizer's Python work per parameter (~4 us: the ResNet has
    29). Every argument is looked at before anything is written: unless all are plain
    (as ``sgd_step``'s own fast path takes them), it returns False and changes nothing,
    and the optimizer takes each parameter the long way (whose checks name what is
    wrong)."""
    cdef Py_ssize_t i, n
    cdef bint use_momentum
    cdef list kinds = []
    if type(params) is not list or type(grads) is not list or len(grads) != len(params):
        return False
    if not (_number(lr) and _number(momentum) and _number(dampening)):
        return False
    n = len(params)
    use_momentum = momentum != 0
    if use_momentum and (type(bufs) is not list or len(bufs) != n):
        return False
    if not use_momentum and bufs is not None:
        return False
    for i in range(n):
        kind = _plain_param(params[i])
        if kind == -1 or not _like(grads[i], params[i], kind, False):
            return False
        if use_momentum and not _like(bufs[i], params[i], kind, True):
            return False
        kinds.append(kind)
    for i in range(n):
        _sgd_front(params[i], grads[i], bufs[i] if use_momentum else None, kinds[i], lr,
                   momentum, dampening)
    return True


# [kernel: adam_step]
def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2,
              eps, weight_decay, decoupled):
    """One Adam (AdamW) step on ``param`` and its moments, in place, in one pass::

        for i in range(n):
            m[i] += (1 - beta1) * (g[i] - m[i]);  v[i] = beta2 * v[i] + (1 - beta2) * g[i]**2
            param[i] -= step_size * m[i] / (sqrt(v[i]) / sqrt(1 - beta2**t) + eps)
    """
    cdef int kind = _plain_param(param)
    cdef bint plain = (kind != -1 and _like(grad, param, kind, False)
                       and _like(exp_avg, param, kind, True)
                       and _like(exp_avg_sq, param, kind, True) and max_exp_avg_sq is None
                       and type(step) is int and 1 <= step <= _checks.MAX_INT
                       and _number(lr) and _number(beta1) and _number(beta2)
                       and _number(eps) and _number(weight_decay)
                       and 0 <= beta1 < 1 and 0 <= beta2 < 1 and type(decoupled) is bool)
    if not plain:
        _checks.adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1,
                          beta2, eps, weight_decay, decoupled)
    elif weight_decay == 0 or decoupled:
        # the scalars as the long way computes them, in Python floats
        _adam_front(param, grad, exp_avg, exp_avg_sq, kind,
                    1 - lr * weight_decay if weight_decay != 0 else 1, 1 - beta1, beta2,
                    1 - beta2, lr / (1 - beta1 ** step), (1 - beta2 ** step) ** 0.5, eps)
        return
    dtype = param.dtype.type
    amsgrad = max_exp_avg_sq is not None
    decoupled = weight_decay != 0 and bool(decoupled)
    if not amsgrad and (weight_decay == 0 or decoupled) and param.size:
        _adam_plain(param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1),
                    exp_avg_sq.reshape(-1),
                    dtype(1 - lr * weight_decay) if decoupled else dtype(1),
                    dtype(1 - beta1), dtype(beta2), dtype(1 - beta2),
                    dtype(lr / (1 - beta1 ** step)), dtype((1 - beta2 ** step) ** 0.5),
                    dtype(eps),
                    _threads_of(_adam_threads, ADAM_WORK * param.size, param.size))
        return
    flat_max = max_exp_avg_sq.reshape(-1) if amsgrad else np.empty(0, dtype=param.dtype)
    _adam(param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
          flat_max, dtype(1 - lr * weight_decay), dtype(weight_decay), dtype(1 - beta1),
          dtype(beta2), dtype(1 - beta2), dtype(lr / (1 - beta1 ** step)),
          dtype((1 - beta2 ** step) ** 0.5), dtype(eps), decoupled,
          weight_decay != 0 and not decoupled, amsgrad)
# [end kernel: adam_step]


def _adam_steps(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps,
                weight_decay, decoupled):
    """Adam's plain step (no amsgrad; weight decay none or decoupled, AdamW's) on every
    parameter of a group in one call, each with its own step count::

        for param, grad, m, v, t in zip(params, grads, exp_avgs, exp_avg_sqs, steps):
            adam_step(param, grad, m, v, None, t, lr, beta1, beta2, eps, weight_decay,
                      decoupled)

    Private to this twin, as ``_sgd_steps``: ``lucid/optim/adam.py`` calls it where the
    active twin has it; every argument is looked at before anything is written, and
    unless all are plain (as ``adam_step``'s own fast path takes them) it returns False
    and changes nothing. Each parameter's scalars are computed in Python floats, as
    ``adam_step`` computes them, so the bits are the same."""
    cdef Py_ssize_t i, n
    cdef list kinds = []
    if (type(params) is not list or type(grads) is not list or type(exp_avgs) is not list
            or type(exp_avg_sqs) is not list or type(steps) is not list):
        return False
    n = len(params)
    if not (len(grads) == len(exp_avgs) == len(exp_avg_sqs) == len(steps) == n):
        return False
    if not (_number(lr) and _number(beta1) and _number(beta2) and _number(eps)
            and _number(weight_decay) and 0 <= beta1 < 1 and 0 <= beta2 < 1
            and type(decoupled) is bool and (weight_decay == 0 or decoupled)):
        return False
    for i in range(n):
        kind = _plain_param(params[i])
        if (kind == -1 or not _like(grads[i], params[i], kind, False)
                or not _like(exp_avgs[i], params[i], kind, True)
                or not _like(exp_avg_sqs[i], params[i], kind, True)
                or type(steps[i]) is not int or not 1 <= steps[i] <= _checks.MAX_INT):
            return False
        kinds.append(kind)
    shrink = 1 - lr * weight_decay if weight_decay != 0 else 1
    for i in range(n):
        step = steps[i]
        _adam_front(params[i], grads[i], exp_avgs[i], exp_avg_sqs[i], kinds[i], shrink,
                    1 - beta1, beta2, 1 - beta2, lr / (1 - beta1 ** step),
                    (1 - beta2 ** step) ** 0.5, eps)
    return True


cdef void _sgd_front(cnp.ndarray param, cnp.ndarray grad, object buf, int kind, double lr,
                     double momentum, double dampening) noexcept:
    """sgd_step's two branch-free loops (no weight decay, no Nesterov, not a first step
    with momentum) on plain arguments: the pointers straight to ``_sgd_run``, the
    scalars cast as the long way casts them."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(param)
    cdef void* b = NULL if buf is None else cnp.PyArray_DATA(<cnp.ndarray>buf)
    cdef void* p = cnp.PyArray_DATA(param)
    cdef const void* g = cnp.PyArray_DATA(grad)
    if n == 0:
        return
    cdef int threads = _threads_of(_sgd_threads, n, n)
    with nogil:
        if kind == cnp.NPY_FLOAT:
            _sgd_run(<float*>p, <const float*>g, <float*>b, n, <float>lr, <float>momentum,
                     <float>(1 - dampening), threads)
        else:
            _sgd_run(<double*>p, <const double*>g, <double*>b, n, lr, momentum,
                     1 - dampening, threads)


cdef void _adam_front(cnp.ndarray param, cnp.ndarray grad, cnp.ndarray exp_avg,
                      cnp.ndarray exp_avg_sq, int kind, double shrink, double keep1,
                      double beta2, double keep2, double step_size, double root_bc2,
                      double eps) noexcept:
    """adam_step's branch-free loop (no amsgrad, no coupled decay) on plain arguments:
    the pointers straight to ``_adam_run``, the scalars (computed by the caller as the
    long way computes them) cast to the arrays' dtype."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(param)
    cdef void* p = cnp.PyArray_DATA(param)
    cdef const void* g = cnp.PyArray_DATA(grad)
    cdef void* m = cnp.PyArray_DATA(exp_avg)
    cdef void* v = cnp.PyArray_DATA(exp_avg_sq)
    if n == 0:
        return
    cdef int threads = _threads_of(_adam_threads, ADAM_WORK * n, n)
    with nogil:
        if kind == cnp.NPY_FLOAT:
            _adam_run(<float*>p, <const float*>g, <float*>m, <float*>v, n, <float>shrink,
                      <float>keep1, <float>beta2, <float>keep2, <float>step_size,
                      <float>root_bc2, <float>eps, threads)
        else:
            _adam_run(<double*>p, <const double*>g, <double*>m, <double*>v, n, shrink,
                      keep1, beta2, keep2, step_size, root_bc2, eps, threads)
