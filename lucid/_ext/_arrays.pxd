# Arrays a kernel's loop can take as they are, recognised in C: the front door of the
# compiled twins' hot kernels at small sizes. cimported: compiled into each module that
# uses it.
#
# A kernel's checks (lucid/_ext/_checks.py) are Python functions, and a typed memoryview
# argument costs ~0.14 us to take apart (a fused one more: Cython picks the
# specialisation at run time). On a 4096-value ReLU or a batch-1 layer's 256 x 256
# product -- what a demo or a notebook runs -- that was 1.5-3 us of a 2-7 us call. So a
# hot kernel first asks, here, whether its arguments are the plain case its loop
# assumes (an ndarray exactly, float32 or float64 in the machine's byte order, aligned,
# C-contiguous) and, when they are, hands their data pointers to the loop straight
# away. Anything else -- a list, a subclass, another dtype, a byte-swapped ``>f4``
# array, a view with strides, a wrong shape -- goes the long way:
# the checks (which raise the named errors, the one place their rules are written) and
# the memoryview loops. The front door never raises and never accepts what the checks
# would refuse; it is a shortcut for arguments that pass, not a second set of rules.

cimport numpy as cnp


cdef inline int native_float(object x) noexcept:
    """NumPy's type number of ``x`` (``cnp.NPY_FLOAT`` or ``cnp.NPY_DOUBLE``) when ``x``
    is exactly an ndarray of float32 or float64 in the machine's byte order, aligned
    (any strides); -1 otherwise. A byte-swapped ``>f4`` array has the type number of
    float32 too, but the checks refuse it (its dtype is not ``np.float32``): the byte
    order test keeps the loops from reading its bytes as native floats."""
    if type(x) is not cnp.ndarray:
        return -1
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef int kind = cnp.PyArray_TYPE(a)
    if kind != cnp.NPY_FLOAT and kind != cnp.NPY_DOUBLE:
        return -1
    if not (cnp.PyArray_ISNOTSWAPPED(a) and cnp.PyArray_ISALIGNED(a)):
        return -1
    return kind


cdef inline int float_type(object x, int ndim) noexcept:
    """:func:`native_float`'s answer for a C-contiguous ``x`` with ``ndim`` dimensions
    (any number when ``ndim`` is -1); -1 otherwise: the plain case."""
    cdef int kind = native_float(x)
    if kind == -1:
        return -1
    cdef cnp.ndarray a = <cnp.ndarray>x
    if ndim != -1 and cnp.PyArray_NDIM(a) != ndim:
        return -1
    if not cnp.PyArray_IS_C_CONTIGUOUS(a):
        return -1
    return kind


cdef inline bint vector_of(object a, int kind, Py_ssize_t n) noexcept:
    """``a`` is a plain ``(n,)`` array of NumPy type number ``kind`` (a bias, a channel's
    statistics or parameters)."""
    return float_type(a, 1) == kind and (<cnp.ndarray>a).shape[0] == n


cdef inline bint plain_eps(object eps) noexcept:
    """``eps`` is a Python float, finite and at least 0: what the kernels' ``eps`` check
    (``_checks._eps``) accepts, in its plain case."""
    if type(eps) is not float:
        return False
    cdef double e = eps
    return 0 <= e <= 1.7976931348623157e308        # not NaN, not infinite


cdef inline object empty_like(cnp.ndarray a, int kind):
    """A new C-ordered array of ``a``'s shape and NumPy type number ``kind``."""
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), kind, 0)


cdef inline object empty_vector(Py_ssize_t n, int kind):
    """A new ``(n,)`` array of NumPy type number ``kind``."""
    cdef cnp.npy_intp length = n
    return cnp.PyArray_EMPTY(1, &length, kind, 0)


cdef inline void* data_or_null(object a) noexcept:
    """The data pointer of the ndarray ``a``, or NULL for None (an optional parameter;
    the caller holds ``a``, so its memory stays alive)."""
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)
