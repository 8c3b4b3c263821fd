r"""Element-wise activation kernels, compiled twin of :mod:`lucid._ext.activation`.

The loop nest, for ``relu_forward`` (every array seen flat)::

    for i in range(n):
        if x[i] > 0 or x[i] != x[i]:         # positive, or NaN
            y[i] = x[i]; passes[i] = 1
        else:
            y[i] = 0;    passes[i] = 0

for ``erf``: ``for i in range(n): y[i] = erf(x[i])`` (the C library's ``erf``), and for
``relu_backward``::

    for i in range(n):
        grad_x[i] = grad[i] if passes[i] else 0

What makes it fast: one pass over memory that writes the output and the mask together
(NumPy needs a pass for each), and no branch: the choice is a select the compiler
vectorises, since activation signs are random and a mispredicted branch per element
made a first version 10x slower than NumPy. It runs on one thread: measured inside a
training step, waking a second OpenMP thread right after a BLAS call (whose threads are
still spinning) cost more than the loop itself.
"""
import numpy as np

from lucid._ext import _checks

from libc.math cimport erf as c_erf, erff as c_erff

__all__ = ["relu_forward", "relu_backward", "erf"]

ctypedef fused real:
    float
    double


# The loop functions take typed memoryviews of the fused type ``real``: Cython picks the
# float or double specialisation from the arrays' dtype.

# [loops: relu_forward]
def _relu_forward(const real[::1] x, real[::1] y, unsigned char[::1] passes):
    # Branch-free (a select, not a jump): the signs of activations are random, and a
    # mispredicted branch per element made the first version 10x slower than NumPy.
    cdef Py_ssize_t n = x.shape[0], i
    cdef real v
    cdef unsigned char p
    with nogil:
        for i in range(n):
            v = x[i]
            p = (v > 0) | (v != v)
            passes[i] = p
            y[i] = v if p else 0
# [end loops: relu_forward]


# [loops: relu_backward]
def _relu_backward(const real[::1] grad, const unsigned char[::1] passes, real[::1] grad_x):
    cdef Py_ssize_t n = grad.shape[0], i
    cdef real g
    with nogil:
        for i in range(n):
            g = grad[i]                      # loaded first, so the choice is a select
            grad_x[i] = g if passes[i] else 0
# [end loops: relu_backward]


# [kernel: relu_forward]
def relu_forward(x):
    """``y = max(x, 0)`` and the mask ``passes = (x > 0) or isnan(x)``, in one pass::

        for i in range(n):
            passes[i] = x[i] > 0 or x[i] != x[i]
            y[i] = x[i] if passes[i] else 0
    """
    _checks.relu_forward(x)
    y = np.empty_like(x)
    passes = np.empty(x.shape, dtype=np.bool_)
    flat_x, flat_y = x.reshape(-1), y.reshape(-1)
    flat_m = passes.reshape(-1).view(np.uint8)
    _relu_forward(flat_x, flat_y, flat_m)
    return y, passes
# [end kernel: relu_forward]


# [kernel: relu_backward]
def relu_backward(grad, passes):
    """``dL/dx = dL/dy`` where ``passes``, else exactly 0, in one pass::

        for i in range(n):
            grad_x[i] = grad[i] if passes[i] else 0
    """
    _checks.relu_backward(grad, passes)
    grad_x = np.empty_like(grad)
    flat_m = passes.reshape(-1).view(np.uint8)
    _relu_backward(grad.reshape(-1), flat_m, grad_x.reshape(-1))
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

