# Arrays a kernel's loop can take as they are, recognised in C: the front door of the
# compiled twins' hot kernels at small sizes. cimported: compiled into each module that
# uses it.
#
# A kernel's checks (lucid/_ext/_checks.py) are Python functions, and a typed memoryview
# argument costs ~0.14 us to take apart (a fused one more: Cython picks the
# specialisation at run time). On a 4096-value ReLU or a batch-1 layer's 256 x 256
# product -- what a demo or a notebook runs -- that was 1.5-3 us of a 2-7 us call. So a
# hot kernel first asks, here, whether its arguments are the plain case its loop
# assumes (an ndarray exactly, float32 or float64, aligned, C-contiguous) and, when they
# are, hands their data pointers to the loop straight away. Anything else -- a list, a
# subclass, another dtype, a view with strides, a wrong shape -- goes the long way:
# the checks (which raise the named errors, the one place their rules are written) and
# the memoryview loops. The front door never raises and never accepts what the checks
# would refuse; it is a shortcut for arguments that pass, not a second set of rules.

cimport numpy as cnp


cdef inline int float_type(object x, int ndim) noexcept:
    """NumPy's type number of ``x`` (``cnp.NPY_FLOAT`` or ``cnp.NPY_DOUBLE``) when ``x``
    is exactly an ndarray of float32 or float64, aligned and C-contiguous, with ``ndim``
    dimensions (any number when ``ndim`` is -1); -1 otherwise."""
    if type(x) is not cnp.ndarray:
        return -1
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef int kind = cnp.PyArray_TYPE(a)
    if kind != cnp.NPY_FLOAT and kind != cnp.NPY_DOUBLE:
        return -1
    if ndim != -1 and cnp.PyArray_NDIM(a) != ndim:
        return -1
    if not (cnp.PyArray_ISALIGNED(a) and cnp.PyArray_IS_C_CONTIGUOUS(a)):
        return -1
    return kind


cdef inline object empty_like(cnp.ndarray a, int kind):
    """A new C-ordered array of ``a``'s shape and NumPy type number ``kind``."""
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), kind, 0)
