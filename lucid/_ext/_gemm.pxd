# NumPy's BLAS matrix product, callable from nogil code (a .pxd: cimported, compiled
# into each compiled twin that multiplies matrices inside its own loops: _conv, _matmul).
#
# lucid/_ext/_blas.py finds the OpenBLAS that NumPy loaded and the addresses of its
# cblas_sgemm / cblas_dgemm. A module keeps them in a Gemm, filled by bind():
#
#     cdef Gemm _GEMM = bind(_blas.find())
#     ...
#     gemm(&_GEMM, False, True, M, N, K, A, lda, B, ldb, 0, C, ldc)   # C = A @ B.T
#
# The calls run on the calling thread only while OpenBLAS is set to one thread
# (_blas.one_thread, which the caller holds around its parallel loop).
from libc.stdint cimport int32_t, int64_t

from lucid._ext._sums cimport floating_t

# cblas_?gemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc), with
# 64-bit integers (NumPy's own OpenBLAS, ILP64) or 32-bit ones (a plain OpenBLAS).
ctypedef void (*sgemm64_t)(int, int, int, int64_t, int64_t, int64_t, float, const float*,
                           int64_t, const float*, int64_t, float, float*, int64_t) noexcept nogil
ctypedef void (*dgemm64_t)(int, int, int, int64_t, int64_t, int64_t, double, const double*,
                           int64_t, const double*, int64_t, double, double*, int64_t) noexcept nogil
ctypedef void (*sgemm32_t)(int, int, int, int32_t, int32_t, int32_t, float, const float*,
                           int32_t, const float*, int32_t, float, float*, int32_t) noexcept nogil
ctypedef void (*dgemm32_t)(int, int, int, int32_t, int32_t, int32_t, double, const double*,
                           int32_t, const double*, int32_t, double, double*, int32_t) noexcept nogil

ctypedef struct Gemm:
    sgemm64_t sgemm64          # the pair of the found integer width is set, the other NULL
    dgemm64_t dgemm64
    sgemm32_t sgemm32
    dgemm32_t dgemm32
    int64_t most               # the largest size its integers hold; 0: nothing bound


cdef inline Gemm bind(blas):
    """The gemm functions of ``blas`` (a ``lucid._ext._blas.Blas``); with None, none
    (``most`` 0: a caller checks it before its loops call ``gemm``)."""
    cdef Gemm g
    cdef size_t s = 0 if blas is None else blas.sgemm
    cdef size_t d = 0 if blas is None else blas.dgemm
    g.sgemm64, g.dgemm64, g.sgemm32, g.dgemm32, g.most = NULL, NULL, NULL, NULL, 0
    if blas is not None and blas.ilp64:
        g.sgemm64 = <sgemm64_t> <void*> s
        g.dgemm64 = <dgemm64_t> <void*> d
        g.most = 2 ** 63 - 1
    elif blas is not None:
        g.sgemm32 = <sgemm32_t> <void*> s
        g.dgemm32 = <dgemm32_t> <void*> d
        g.most = 2 ** 31 - 1
    return g


cdef inline void gemm(const Gemm* g, bint ta, bint tb, Py_ssize_t M, Py_ssize_t N,
                      Py_ssize_t K, const floating_t* A, Py_ssize_t lda,
                      const floating_t* B, Py_ssize_t ldb, floating_t beta, floating_t* C,
                      Py_ssize_t ldc) noexcept nogil:
    """C = op(A) @ op(B) + beta * C, row-major, C of M rows and N columns, K the length
    summed over; op(A) = A.T when ``ta`` (B likewise); ``lda`` the distance between rows
    of A as stored."""
    cdef int opa = 112 if ta else 111          # CblasTrans / CblasNoTrans
    cdef int opb = 112 if tb else 111
    if floating_t is float:
        if g.sgemm64 != NULL:
            g.sgemm64(101, opa, opb, M, N, K, 1, A, lda, B, ldb, beta, C, ldc)
        else:
            g.sgemm32(101, opa, opb, <int32_t> M, <int32_t> N, <int32_t> K, 1, A,
                      <int32_t> lda, B, <int32_t> ldb, beta, C, <int32_t> ldc)
    else:
        if g.dgemm64 != NULL:
            g.dgemm64(101, opa, opb, M, N, K, 1, A, lda, B, ldb, beta, C, ldc)
        else:
            g.dgemm32(101, opa, opb, <int32_t> M, <int32_t> N, <int32_t> K, 1, A,
                      <int32_t> lda, B, <int32_t> ldb, beta, C, <int32_t> ldc)
