r"""Element-wise activation kernels, compiled twin of :mod:`lucid._ext.activation`.

The loop nest, for ``relu_forward`` (every array seen flat)::

    for i in range(n):                       # parallel: blocks of BLOCK values
        if x[i] > 0 or x[i] != x[i]:         # positive, or NaN
            y[i] = x[i]; passes[i] = 1
        else:
            y[i] = 0;    passes[i] = 0

for the private ``_relu`` (gradients off: no backward, so no mask)::

    for i in range(n):                       # parallel: blocks of BLOCK values
        y[i] = x[i] if x[i] > 0 or x[i] != x[i] else 0

for ``erf``: ``for i in range(n): y[i] = erf(x[i])`` (the C library's ``erf``), and for
``relu_backward``::

    for i in range(n):                       # parallel: blocks of BLOCK values
        grad_x[i] = grad[i] if passes[i] else 0

What makes it fast: one pass over memory that writes the output and the mask together
(NumPy needs a pass for each), and no branch: the choice is a select the compiler
vectorises, since activation signs are random and a mispredicted branch per element
made a first version 10x slower than NumPy. The ReLU loops run over blocks of
``BLOCK`` values shared among the threads, from about a million values on
(``_relu_threads``). An earlier measurement on a busier machine found that
waking a second thread right after a BLAS call cost more than the loop; on the homework
CNN's training step (2 threads) the ReLU's share went from 3.3 to 2.2-2.5 ms
(``docs/fast.rst``).

Each entry takes a plain array (an ndarray exactly, native byte order, aligned,
C-contiguous: ``_arrays.pxd``) straight to its loop from C; any other argument goes
through the checks and the memoryview wrappers to the same loop (~1.5 us less per call on a small
array: ``_relu`` on 4096 values 2.3 to 0.9 us).
"""
import numpy as np

cimport numpy as cnp
from cython.parallel cimport prange

from lucid._ext._arrays cimport empty_like, float_type

from lucid._ext import _checks
from lucid._ext._openmp import threads_for_pass

from libc.math cimport erf as c_erf, erff as c_erff

__all__ = ["relu_forward", "relu_backward", "erf"]

cnp.import_array()

ctypedef fused real:
    float
    double


# The element loops run over blocks of BLOCK values, shared among the threads (a
# ``prange`` over single elements kept gcc from turning the select into vector code,
# and ran 10x slower).
cdef enum:
    BLOCK = 1 << 14


def _relu_threads(n):
    """Threads for a ReLU loop over ``n`` values (``_openmp.threads_for_pass``, which has
    the measurements: two from SMALL_WORK values on, where the workers are awake)."""
    return threads_for_pass(n)


cdef inline Py_ssize_t _blocks(Py_ssize_t n) noexcept nogil:
    """How many blocks of BLOCK values cover ``n``."""
    return (n + BLOCK - 1) // BLOCK


# The loop functions take typed memoryviews of the fused type ``real``: Cython picks the
# float or double specialisation from the arrays' dtype.

# [loops: relu_forward]
cdef void _relu_forward_block(const real* x, real* y, unsigned char* passes,
                              Py_ssize_t n) noexcept nogil:
    # Branch-free (a select, not a jump): the signs of activations are random, and a
    # mispredicted branch per element made the first version 10x slower than NumPy.
    cdef Py_ssize_t i
    cdef real v
    cdef unsigned char p
    for i in range(n):
        v = x[i]
        p = (v > 0) | (v != v)
        passes[i] = p
        y[i] = v if p else 0


cdef void _relu_forward_run(const real* x, real* y, unsigned char* passes, Py_ssize_t n,
                            int threads) noexcept nogil:
    cdef Py_ssize_t block, start
    if threads == 1:                # no parallel region: opening one costs ~0.9 us
        _relu_forward_block(x, y, passes, n)
        return
    for block in prange(_blocks(n), schedule="static", num_threads=threads):
        start = block * BLOCK
        _relu_forward_block(x + start, y + start, passes + start, min(BLOCK, n - start))


def _relu_forward(const real[::1] x, real[::1] y, unsigned char[::1] passes, int threads):
    if x.shape[0] > 0:
        with nogil:
            _relu_forward_run(&x[0], &y[0], &passes[0], x.shape[0], threads)
# [end loops: relu_forward]


# [loops: relu_backward]
cdef void _relu_backward_block(const real* grad, const unsigned char* passes, real* grad_x,
                               Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef real g
    for i in range(n):
        g = grad[i]                      # loaded first, so the choice is a select
        grad_x[i] = g if passes[i] else 0


cdef void _relu_backward_run(const real* grad, const unsigned char* passes, real* grad_x,
                             Py_ssize_t n, int threads) noexcept nogil:
    cdef Py_ssize_t block, start
    if threads == 1:                # as in _relu_forward_run
        _relu_backward_block(grad, passes, grad_x, n)
        return
    for block in prange(_blocks(n), schedule="static", num_threads=threads):
        start = block * BLOCK
        _relu_backward_block(grad + start, passes + start, grad_x + start,
                             min(BLOCK, n - start))


def _relu_backward(const real[::1] grad, const unsigned char[::1] passes, real[::1] grad_x,
                   int threads):
    if grad.shape[0] > 0:
        with nogil:
            _relu_backward_run(&grad[0], &passes[0], &grad_x[0], grad.shape[0], threads)
# [end loops: relu_backward]


# [loops: _relu]
cdef void _relu_block(const real* x, real* y, Py_ssize_t n) noexcept nogil:
    # relu_forward's values without its mask: the same select
    cdef Py_ssize_t i
    cdef real v
    for i in range(n):
        v = x[i]
        y[i] = v if (v > 0) | (v != v) else 0


cdef void _relu_run(const real* x, real* y, Py_ssize_t n, int threads) noexcept nogil:
    cdef Py_ssize_t block, start
    if threads == 1:                # as in _relu_forward_run
        _relu_block(x, y, n)
        return
    for block in prange(_blocks(n), schedule="static", num_threads=threads):
        start = block * BLOCK
        _relu_block(x + start, y + start, min(BLOCK, n - start))


def _relu_values(const real[::1] x, real[::1] y, int threads):
    if x.shape[0] > 0:
        with nogil:
            _relu_run(&x[0], &y[0], x.shape[0], threads)
# [end loops: _relu]


cdef inline bint _plain_mask(object passes, cnp.ndarray grad) noexcept:
    """``passes`` is exactly a C-contiguous ndarray of bools of ``grad``'s shape."""
    if type(passes) is not cnp.ndarray:
        return False
    cdef cnp.ndarray m = <cnp.ndarray>passes
    return (cnp.PyArray_TYPE(m) == cnp.NPY_BOOL and cnp.PyArray_IS_C_CONTIGUOUS(m)
            and cnp.PyArray_SAMESHAPE(m, grad))


def _relu(x):
    """``max(x, 0)`` (NaN kept) without the mask: ``relu_forward(x)[0]``, bit for bit,
    for a forward no backward will follow (gradients off). Private to the compiled twin:
    the op layer calls it where the active twin has it (``lucid/ops/activation.py``).
    No mask to allocate and write: ``nn.ReLU`` on ``(1, 16, 32, 32)`` under ``no_grad``
    7.7 to 6.2 us (``docs/fast.rst``)."""
    cdef int kind = float_type(x, -1)        # the plain case: straight to the loop
    cdef cnp.ndarray a, out
    cdef Py_ssize_t n
    cdef int threads
    if kind != -1:
        a = <cnp.ndarray>x
        out = empty_like(a, kind)
        n = cnp.PyArray_SIZE(a)
        threads = _relu_threads(n)
        with nogil:
            if kind == cnp.NPY_FLOAT:
                _relu_run(<const float*>cnp.PyArray_DATA(a), <float*>cnp.PyArray_DATA(out),
                          n, threads)
            else:
                _relu_run(<const double*>cnp.PyArray_DATA(a), <double*>cnp.PyArray_DATA(out),
                          n, threads)
        return out
    _checks.relu_forward(x)
    y = np.empty_like(x)
    _relu_values(x.reshape(-1), y.reshape(-1), _relu_threads(x.size))
    return y


# [kernel: relu_forward]
def relu_forward(x):
    """``y = max(x, 0)`` and the mask ``passes = (x > 0) or isnan(x)``, in one pass::

        for i in range(n):
            passes[i] = x[i] > 0 or x[i] != x[i]
            y[i] = x[i] if passes[i] else 0
    """
    cdef int kind = float_type(x, -1)        # the plain case: straight to the loop
    cdef cnp.ndarray a, out, mask
    cdef Py_ssize_t n
    cdef int threads
    if kind != -1:
        a = <cnp.ndarray>x
        out = empty_like(a, kind)
        mask = empty_like(a, cnp.NPY_BOOL)
        n = cnp.PyArray_SIZE(a)
        threads = _relu_threads(n)
        with nogil:
            if kind == cnp.NPY_FLOAT:
                _relu_forward_run(<const float*>cnp.PyArray_DATA(a),
                                  <float*>cnp.PyArray_DATA(out),
                                  <unsigned char*>cnp.PyArray_DATA(mask), n, threads)
            else:
                _relu_forward_run(<const double*>cnp.PyArray_DATA(a),
                                  <double*>cnp.PyArray_DATA(out),
                                  <unsigned char*>cnp.PyArray_DATA(mask), n, threads)
        return out, mask
    _checks.relu_forward(x)
    y = np.empty_like(x)
    passes = np.empty(x.shape, dtype=np.bool_)
    flat_x, flat_y = x.reshape(-1), y.reshape(-1)
    flat_m = passes.reshape(-1).view(np.uint8)
    _relu_forward(flat_x, flat_y, flat_m, _relu_threads(x.size))
    return y, passes
# [end kernel: relu_forward]


# [kernel: relu_backward]
def relu_backward(grad, passes):
    """``dL/dx = dL/dy`` where ``passes``, else exactly 0, in one pass::

        for i in range(n):
            grad_x[i] = grad[i] if passes[i] else 0
    """
    cdef int kind = float_type(grad, -1)     # the plain case: straight to the loop
    cdef cnp.ndarray g, mask, out
    cdef Py_ssize_t n
    cdef int threads
    if kind != -1 and _plain_mask(passes, <cnp.ndarray>grad):
        g, mask = <cnp.ndarray>grad, <cnp.ndarray>passes
        out = empty_like(g, kind)
        n = cnp.PyArray_SIZE(g)
        threads = _relu_threads(n)
        with nogil:
            if kind == cnp.NPY_FLOAT:
                _relu_backward_run(<const float*>cnp.PyArray_DATA(g),
                                   <const unsigned char*>cnp.PyArray_DATA(mask),
                                   <float*>cnp.PyArray_DATA(out), n, threads)
            else:
                _relu_backward_run(<const double*>cnp.PyArray_DATA(g),
                                   <const unsigned char*>cnp.PyArray_DATA(mask),
                                   <double*>cnp.PyArray_DATA(out), n, threads)
        return out
    _checks.relu_backward(grad, passes)
    grad_x = np.empty_like(grad)
    flat_m = passes.reshape(-1).view(np.uint8)
    _relu_backward(grad.reshape(-1), flat_m, grad_x.reshape(-1), _relu_threads(grad.size))
    return grad_x
# [end kernel: relu_backward]


# [loops: erf]
def _erf(const real[::1] x, real[::1] y):
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            if real is float:
                y[i] = c_erff(x[i])
            else:
                y[i] = c_erf(x[i])
# [end loops: erf]


# [kernel: erf]
def erf(x):
    """The error function of every element, with the C library's ``erf``/``erff``::

        for i in range(n):
            y[i] = erf(x[i])
    """
    _checks.erf(x)
    if not x.flags.c_contiguous:
        x = x.copy()
    y = np.empty_like(x)
    _erf(x.reshape(-1), y.reshape(-1))
    return y
# [end kernel: erf]

