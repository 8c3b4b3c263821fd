r"""Matrix products, compiled twin of :mod:`lucid._ext.matmul`: the rows of the product
in blocks, one BLAS call per block, the blocks on lucid's OpenMP threads; float32 on
AVX-512 by lucid's own register-blocked loops instead (``_panels.pxd``).

The loop nests (``A`` ``(M, K)``, ``B`` ``(K, N)``, either possibly a transposed view;
for a stack, ``(count, M, K)`` and ``(count, K, N)``, any strides)::

    for each part p:                            # float32, AVX-512: the panels path
        for each panel of 32 columns j0 and block of 256 values of k of the part:
            P = op(B)[k0 : k0 + 256, j0 : j0 + 32]      # packed
            for each block of 12 rows i0 of the part:
                C[i0 : i0 + 12, j0 : j0 + 32] (+)= A[i0 : i0 + 12, k0 : k0 + 256] @ P

    for p in range(parts):                      # parallel: prange over blocks of rows
        i0, i1 = first rows of blocks p, p + 1  # multiples of PART_ROWS; the last ends at M
        C[i0:i1, :] = A[i0:i1, :] @ B           # cblas_?gemm, on this thread alone

    for i in range(count):                      # a stack: prange over its matrices
        C[i] = A[i] @ B[i]                      # cblas_?gemm, on this thread alone

    for p in range(parts):                      # one row of A (or a few: _few_rows),
        for j in rows of run p, four at a time: #   float32, B stored transposed (x @ w.T
            for i in rows of A:                 #   at a small batch): prange over runs
                C[i, j] = dot(B.T[j, :], A[i, :])   # of B.T's rows (+ bias[j]:
                                                #   _matmul_biased); one row's plain
                                                #   arguments reach it from C (_one_row,
                                                #   _arrays.pxd)

    for p in range(threads):                    # K = 1, an outer product (_outer):
        for i in rows of run p:                 #   prange over runs of rows, each value
            C[i, :] = A[i, 0] * B[0, :]         #   one multiplication

    for n, head j:                              # _packed_attention (private): prange
        A[n, j] = softmax(scale * Q_nj @ K_nj^T)    # over (n, j); two gemm calls a head
        out[n, :, head j] = A[n, j] @ V_nj          # on the packed rows, in place

    for each run of <= 1024 columns j0 .. j1:   # _column_sums (private, g.sum(axis=0)
        s[j0:j1] = 0                            # with NumPy's bits): prange over runs
        for i in range(M): s[j0:j1] += g[i, j0:j1]

Why: lucid multiplies products under ``2**25`` flops on one OpenBLAS thread
(:data:`lucid._ext._blas.SMALL_PRODUCT_FLOPS`: waking OpenBLAS's sleeping worker for
them cost milliseconds when the other core was busy). A Transformer encoder's layers
(``1024 x 64`` rows times ``64 x 192``: ``2**24.6`` flops) and an MLP's hidden layers
(``128 x 256`` times ``256 x 256``: ``2**24``) are that size, so they had one core
where PyTorch used two. lucid's OpenMP workers are awake during a training step (they
spin for a moment after each loop, ``lucid._ext``) and already follow the machine's load
(``_openmp.free_threads``); two blocks on two of them took 0.53-0.75x the time of one
call (one thread / two, back to back on 2 CPUs: ``1024x64 @ 64x192`` 228 / 131 us,
``128x256 @ 256x256`` 211 / 113 us, ``1024x192 @ 192x64`` 222 / 126 us,
``64x1024 @ 1024x64`` 90 / 68 us). Below :data:`SPLIT_FLOPS` the gain shrank to nothing
(``256x64 @ 64x64``, ``2**21``: 22 / 21 us); blocks of fewer than :data:`PART_ROWS`
rows gained little (``64x256 @ 256x256`` in two blocks of 32: 100 / 85 us).

**The same bits on any number of threads.** How many blocks a product has depends on
its sizes and the team (``OMP_NUM_THREADS``) only; the load decides only how many
threads run them, and each row of ``C`` is one BLAS call's, whichever thread makes it.
With the block boundaries at multiples of 32 rows the blocks' rows came out with the
same bits as one call over all rows in every shape tried with 64 columns or more (of
1, 7, 64, 192 and 256; OpenBLAS's kernels work in tiles of rows, and a boundary inside
a tile changed the last bits of some rows): a bonus, not a promise -- the contract is
the one above. A stack's matrices are one BLAS call each, whichever thread makes it.
"""
import math

import numpy as np

cimport numpy as cnp
from cython.parallel cimport prange
from libc.stdint cimport int64_t

from lucid._ext._arrays cimport data_or_null, empty_vector, float_type, native_float, vector_of

from lucid._ext._exp cimport exp_row
from lucid._ext._gemm cimport Gemm, bind, gemm
from lucid._ext._panels cimport LUCID_PANEL, LUCID_PANEL_K, lucid_avx512, lucid_panels_f

from lucid._ext import _blas, _checks
from lucid._ext._openmp import (free_threads, max_threads, parts_for, threads_for,
                                threads_for_pass)

__all__ = ["matmul"]

cnp.import_array()

ctypedef fused real:
    float
    double

# Products of fewer flops run as one BLAS call (the blocks' gain was lost to the loop's
# start: 2**21 flops 22 against 21 us; 2**22 47 against 30 us).
SPLIT_FLOPS = 1 << 22
# Rows of a block at least, and its boundaries at multiples of it (see the docstring).
cdef enum:
    PART_ROWS = 32

# The panels path (float32, _panels.pxd) runs where the AVX-512 copy of its loops does,
# for products from SPLIT_FLOPS up to PANELS_MAX_FLOPS. Larger ones keep OpenBLAS, which
# blocks its operands for every cache level: at 2**28 flops the two were even (0.98-1.02x
# on four shapes, two threads), at 2**31 (the LSTM model's decoder, 700x200 @ 200x10000
# and its two backward products) the panels took 1.3-2.6x as long.
_PANELS_WIDE = lucid_avx512() != 0
PANELS_MAX_FLOPS = 1 << 28
# The dot products along B's stored rows (x @ w.T, float32) take one row of A, or
# FEW_ROWS_MIN to FEW_ROWS rows times a weight of at least FEW_ROWS_WEIGHT values
# (_few_rows says why).
FEW_ROWS_MIN, FEW_ROWS, FEW_ROWS_WEIGHT = 5, 16, 1 << 16
# Rows per thread from which the panels path shares rows, not panels (_panel_product).
ROWS_EACH = 256
# Floats of workspace per part of the panels path: one packed block of B.
PANEL_WORK = LUCID_PANEL_K * LUCID_PANEL

cdef Gemm _GEMM
# The largest size the bound BLAS's integers hold (0: none bound).
_BLAS_MAX = 0
_BLAS = _blas.find()


def _bind_blas(blas):
    """Point the gemm calls at ``blas`` (a lucid._ext._blas.Blas) or, with None, at
    nothing (every product then one ``np.matmul``)."""
    global _GEMM, _BLAS_MAX
    _GEMM = bind(blas)
    _BLAS_MAX = _GEMM.most


_bind_blas(_BLAS)


def _parts_for(M, N, K):
    """Blocks of rows for a product ``(M, K) @ (K, N)``: one per thread of the team, each
    of at least :data:`PART_ROWS` rows; one (a single BLAS call) below
    :data:`SPLIT_FLOPS` or without a bound BLAS, and for a product of
    :data:`lucid._ext._blas.SMALL_PRODUCT_FLOPS` or more whose rows cannot keep the
    whole team busy (OpenBLAS's own threads then multiply it, splitting its columns
    too). The sizes and the team decide, never the load."""
    flops = 2 * M * N * K
    if flops < SPLIT_FLOPS or _GEMM.most == 0:
        return 1
    team = max_threads()
    parts = max(1, min(team, M // PART_ROWS))
    return 1 if parts < team and flops >= _blas.SMALL_PRODUCT_FLOPS else parts


# [loops: matmul]
cdef inline Py_ssize_t _block_start(Py_ssize_t p, Py_ssize_t parts,
                                    Py_ssize_t M) noexcept nogil:
    """The first row of block ``p`` of ``parts``: ``p * M / parts`` rounded to the
    nearest multiple of PART_ROWS (block ``parts``, the end, starts at ``M``)."""
    if p >= parts:
        return M
    return (2 * p * M // parts + PART_ROWS) // (2 * PART_ROWS) * PART_ROWS


def _rows(const real[:, ::1] A, bint ta, const real[:, ::1] B, bint tb, real[:, ::1] C,
          int parts, int threads):
    """``C = op(A) @ op(B)`` in ``parts`` blocks of rows on ``threads`` threads;
    ``op(A)`` is ``A.T`` when ``ta`` (``A`` then holds the transposed matrix, C-ordered),
    ``op(B)`` likewise."""
    cdef Py_ssize_t M = C.shape[0], N = C.shape[1]
    cdef Py_ssize_t K = A.shape[0] if ta else A.shape[1]
    cdef Py_ssize_t lda = A.shape[1], ldb = B.shape[1], p, i0, i1
    cdef const real* a0
    assert _GEMM.most > 0, "matmul: no BLAS bound (_blas.find found none; the loops call it)"
    assert (A.shape[1] if ta else A.shape[0]) == M, "matmul: A's rows do not match C's"
    assert (B.shape[1] if tb else B.shape[0]) == K and (B.shape[0] if tb else B.shape[1]) == N, \
        "matmul: B does not fit A and C"
    assert 1 <= parts and parts * PART_ROWS <= M, "matmul: parts must leave PART_ROWS rows each"
    assert 1 <= threads, "matmul: threads must be at least 1"
    assert max(M, N, K, lda, ldb) <= _GEMM.most, "matmul: sizes beyond the BLAS's integers"
    for p in prange(parts, nogil=True, schedule="static", num_threads=threads):
        i0 = _block_start(p, parts, M)
        i1 = _block_start(p + 1, parts, M)
        # rows i0:i1 of op(A): rows of A as stored, or its columns when it is transposed
        a0 = &A[0, 0] + (i0 if ta else i0 * lda)
        gemm(&_GEMM, ta, tb, i1 - i0, N, K, a0, lda, &B[0, 0], ldb, 0, &C[i0, 0], N)


def _panels(size_t a_address, Py_ssize_t ras, Py_ssize_t cas, size_t b_address,
            Py_ssize_t rbs, Py_ssize_t cbs, float[:, ::1] C, Py_ssize_t K, bint by_panels,
            int parts, int threads, float[:, ::1] work):
    """``C = op(A) @ op(B)``, float32, by _panels.pxd's blocks: ``op(A)[i, k]`` at
    ``a_address`` + ``i * ras + k * cas`` elements (the strides of an array the caller
    holds), ``op(B)`` likewise. ``parts`` parts, each a run of panels of 32 columns (all
    rows) when ``by_panels``, else a run of rows (all panels); part p packs into
    ``work[p]``. Which part computes an element changes none of its bits."""
    cdef Py_ssize_t M = C.shape[0], N = C.shape[1], p
    cdef Py_ssize_t panels = (N + LUCID_PANEL - 1) // LUCID_PANEL
    cdef const float* A = <const float*> a_address
    cdef const float* B = <const float*> b_address
    assert a_address != 0 and b_address != 0, "matmul: no array at address 0"
    assert min(ras, cas, rbs, cbs) >= 0 and K >= 1, "matmul: strides and K must be positive"
    assert 1 <= parts <= (panels if by_panels else M), "matmul: more parts than panels or rows"
    assert 1 <= threads, "matmul: threads must be at least 1"
    assert work.shape[0] >= parts and work.shape[1] >= LUCID_PANEL_K * LUCID_PANEL, \
        "matmul: a workspace of PANEL_WORK floats per part"
    for p in prange(parts, nogil=True, schedule="static", num_threads=threads):
        if by_panels:
            lucid_panels_f(A, ras, cas, B, rbs, cbs, &C[0, 0], N, 0, M, N, K,
                           p * panels // parts, (p + 1) * panels // parts, &work[p, 0])
        else:
            lucid_panels_f(A, ras, cas, B, rbs, cbs, &C[0, 0], N, p * M // parts,
                           (p + 1) * M // parts, N, K, 0, panels, &work[p, 0])


def _stack(size_t a_address, const int64_t[::1] a_at, bint ta, Py_ssize_t lda,
           size_t b_address, const int64_t[::1] b_at, bint tb, Py_ssize_t ldb,
           real[:, :, ::1] C, Py_ssize_t K, int threads):
    """``C[i] = op(A_i) @ op(B_i)`` for every matrix ``i`` of a stack, the matrices
    shared among ``threads`` threads. ``A_i`` starts ``a_at[i]`` elements after
    ``a_address`` (the first element of a NumPy array the caller holds), its rows
    ``lda`` elements apart (its columns, when ``ta``); ``B_i`` likewise."""
    cdef Py_ssize_t count = C.shape[0], M = C.shape[1], N = C.shape[2], i
    cdef const real* A = <const real*> a_address
    cdef const real* B = <const real*> b_address
    assert _GEMM.most > 0, "matmul: no BLAS bound (_blas.find found none; the loops call it)"
    assert a_at.shape[0] == count and b_at.shape[0] == count, \
        "matmul: one start per matrix of the stack"
    assert a_address != 0 and b_address != 0, "matmul: no array at address 0"
    assert lda >= max(1, M if ta else K) and ldb >= max(1, K if tb else N), \
        "matmul: rows closer together than they are long"
    assert 1 <= threads, "matmul: threads must be at least 1"
    assert max(M, N, K, lda, ldb) <= _GEMM.most, "matmul: sizes beyond the BLAS's integers"
    for i in prange(count, nogil=True, schedule="static", num_threads=threads):
        gemm(&_GEMM, ta, tb, M, N, K, A + a_at[i], lda, B + b_at[i], ldb, 0, &C[i, 0, 0], N)
cdef extern from *:
    """
    /* y[j] = sum_k W[j, k] x[k] for the rows j in [j0, j1) of W (rows ldw apart): one
       row of A times a B stored transposed (a layer's x @ w.T at batch 1; at a small
       batch _rows_dot_run calls it for each row of A). Four rows at
       a time, each dot product in vector lanes ("omp simd": without it the compiler
       may not reorder the sums), so four chains of multiply-adds run side by side and
       each value of x loaded serves four rows; compiled for AVX-512 and the baseline.
       The caller starts every run but the first at a multiple of four rows, so a row
       is summed by the same loop however the rows are shared out. */
    LUCID_SIMD_CLONES
    static void lucid_rows_dot_f(const float* W, ptrdiff_t ldw, const float* x,
                                 ptrdiff_t K, const float* bias, float* y, ptrdiff_t j0,
                                 ptrdiff_t j1) {
        /* with a bias (not NULL): y[j] = dot + bias[j], the dot product rounded first,
           as the product and then a separate addition round it */
        ptrdiff_t j = j0;
        for (; j + 4 <= j1; j += 4) {
            const float *w0 = W + j * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            #pragma omp simd reduction(+:s0, s1, s2, s3)
            for (ptrdiff_t k = 0; k < K; k++) {
                s0 += w0[k] * x[k];
                s1 += w1[k] * x[k];
                s2 += w2[k] * x[k];
                s3 += w3[k] * x[k];
            }
            if (bias) {
                s0 += bias[j]; s1 += bias[j + 1]; s2 += bias[j + 2]; s3 += bias[j + 3];
            }
            y[j] = s0; y[j + 1] = s1; y[j + 2] = s2; y[j + 3] = s3;
        }
        for (; j < j1; j++) {
            const float* w = W + j * ldw;
            float s = 0;
            #pragma omp simd reduction(+:s)
            for (ptrdiff_t k = 0; k < K; k++)
                s += w[k] * x[k];
            y[j] = bias ? s + bias[j] : s;
        }
    }
    """
    void lucid_rows_dot_f(const float* W, Py_ssize_t ldw, const float* x, Py_ssize_t K,
                          const float* bias, float* y, Py_ssize_t j0,
                          Py_ssize_t j1) noexcept nogil


cdef inline Py_ssize_t _run_start(Py_ssize_t p, Py_ssize_t N, Py_ssize_t parts) noexcept nogil:
    """The first row of run ``p`` of ``parts`` over ``N`` rows (``p = parts``: N): runs of
    whole blocks of four rows, the last ending at N."""
    return N if p == parts else (p * N // parts) // 4 * 4


cdef void _rows_dot_run(const float* W, Py_ssize_t ldw, const float* X, Py_ssize_t ldx,
                        Py_ssize_t M, Py_ssize_t K, const float* bias, float* Y,
                        Py_ssize_t ldy, Py_ssize_t j0, Py_ssize_t j1) noexcept nogil:
    # Y[i, j] = dot(W[j, :], X[i, :]) (+ bias[j]) for the rows j0 <= j < j1 of W and
    # every row i of X: four rows of W at a time (12.5 KB at K = 784, kept in the L1
    # cache) against each row of X in turn, so W is read from memory once for all M
    # rows. Each (i, j) is lucid_rows_dot_f's sum over the block of four (or the tail
    # row) it would be in for X's row alone: the same bits for any M.
    cdef Py_ssize_t j, i
    j = j0
    while j < j1:
        for i in range(M):
            lucid_rows_dot_f(W, ldw, X + i * ldx, K, bias, Y + i * ldy, j, min(j + 4, j1))
        j += 4


cdef void _rows_dot_runs(const float* W, Py_ssize_t ldw, const float* X, Py_ssize_t ldx,
                         Py_ssize_t M, Py_ssize_t K, const float* bias, float* Y,
                         Py_ssize_t ldy, Py_ssize_t N, int parts, int threads) noexcept nogil:
    """``Y = X @ W.T`` (+ ``bias``) over ``N`` rows of ``W`` in ``parts`` runs on
    ``threads`` threads, for the ``M`` rows of ``X`` (which thread computes a value
    changes none of its bits)."""
    cdef Py_ssize_t p
    if threads == 1:            # the runs in turn, no parallel region (~0.9 us a call)
        for p in range(parts):
            _rows_dot_run(W, ldw, X, ldx, M, K, bias, Y, ldy, _run_start(p, N, parts),
                          _run_start(p + 1, N, parts))
        return
    for p in prange(parts, schedule="static", num_threads=threads):
        _rows_dot_run(W, ldw, X, ldx, M, K, bias, Y, ldy, _run_start(p, N, parts),
                      _run_start(p + 1, N, parts))


def _rows_dot(const float[:, ::1] W, const float[:, ::1] X, float[:, ::1] Y, int parts,
              int threads, const float[::1] bias=None):
    """``Y = X @ W.T`` (plus ``bias``, when given) (float32): each row of ``Y`` the dot
    products of a row of ``X`` with W's rows, runs of W's rows on ``threads`` threads,
    ``parts`` runs (which thread computes a value changes none of its bits)."""
    cdef Py_ssize_t N = W.shape[0], K = W.shape[1], M = X.shape[0]
    cdef const float* b = NULL
    assert X.shape[1] == K and Y.shape[0] == M and Y.shape[1] == N and K >= 1 \
        and N >= 1 and M >= 1, "matmul: W, X and Y do not fit"
    assert parts >= 1 and threads >= 1, "matmul: parts and threads"
    if bias is not None:
        assert bias.shape[0] == N, "matmul: one bias per row of W"
        b = &bias[0]
    with nogil:
        _rows_dot_runs(&W[0, 0], K, &X[0, 0], K, M, K, b, &Y[0, 0], N, N, parts, threads)


cdef extern from *:
    """
    /* c[r, j] += bias[j] for the rows [0, rows) of c (N columns, C-ordered). */
    #define LUCID_ADD_BIAS(NAME, T)                                                       \\
    static void NAME(T* restrict c, const T* restrict bias, ptrdiff_t rows, ptrdiff_t N) { \\
        for (ptrdiff_t r = 0; r < rows; r++) {                                             \\
            T* row = c + r * N;                                                            \\
            _Pragma("omp simd")                                                            \\
            for (ptrdiff_t j = 0; j < N; j++) row[j] = row[j] + bias[j];                   \\
        }                                                                                  \\
    }
    LUCID_ADD_BIAS(lucid_add_bias_f, float)
    LUCID_ADD_BIAS(lucid_add_bias_d, double)
    """
    void lucid_add_bias_f(float* c, const float* bias, Py_ssize_t rows,
                          Py_ssize_t N) noexcept nogil
    void lucid_add_bias_d(double* c, const double* bias, Py_ssize_t rows,
                          Py_ssize_t N) noexcept nogil


cdef inline void _bias_rows(real* c, const real* bias, Py_ssize_t rows,
                            Py_ssize_t N) noexcept nogil:
    if real is float:
        lucid_add_bias_f(c, bias, rows, N)
    else:
        lucid_add_bias_d(c, bias, rows, N)


cdef void _add_bias_rows(real* c, const real* bias, Py_ssize_t M, Py_ssize_t N,
                         int threads) noexcept nogil:
    # one run of rows per thread (a language model's decoder output, 700 x 10,000, is
    # 28 MB: one thread's pass took 2.5 ms)
    cdef Py_ssize_t p, i0, i1
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        _bias_rows(c, bias, M, N)
        return
    for p in prange(threads, schedule="static", num_threads=threads):
        i0 = p * M // threads
        i1 = (p + 1) * M // threads
        _bias_rows(c + i0 * N, bias, i1 - i0, N)


cdef void _add_bias(object c, object bias):
    """``c[i, j] += bias[j]`` for every row ``i``, in place (NumPy's ``c += bias``, the
    same roundings, without its dispatch: ~1 us on a batch-1 layer's output). ``c``: a
    product the paths just made (C-ordered, ``bias``'s dtype); ``bias``: checked (C-ordered
    ``(N,)``)."""
    cdef cnp.ndarray out = <cnp.ndarray?>c, row = <cnp.ndarray?>bias
    cdef Py_ssize_t M = out.shape[0], N = out.shape[1]
    assert (cnp.PyArray_NDIM(out) == 2 and cnp.PyArray_IS_C_CONTIGUOUS(out)
            and cnp.PyArray_IS_C_CONTIGUOUS(row) and cnp.PyArray_SIZE(row) == N
            and cnp.PyArray_TYPE(row) == cnp.PyArray_TYPE(out)), \
        "matmul: one bias per column of c, both C-ordered, one dtype"
    cdef int threads = threads_for_pass(M * N)
    with nogil:
        if cnp.PyArray_TYPE(out) == cnp.NPY_FLOAT:
            _add_bias_rows(<float*>cnp.PyArray_DATA(out), <const float*>cnp.PyArray_DATA(row),
                           M, N, threads)
        else:
            _add_bias_rows(<double*>cnp.PyArray_DATA(out),
                           <const double*>cnp.PyArray_DATA(row), M, N, threads)

cdef extern from *:
    """
    /* c[r, j] = a[r * a_step] * b[j] for the rows [0, rows) of c (N columns, C-ordered):
       an outer product, each value one multiplication. */
    #define LUCID_OUTER(NAME, T)                                                          \\
    static void NAME(T* restrict c, const T* restrict a, ptrdiff_t a_step,                 \\
                     const T* restrict b, ptrdiff_t rows, ptrdiff_t N) {                   \\
        for (ptrdiff_t r = 0; r < rows; r++) {                                             \\
            const T s = a[r * a_step];                                                     \\
            T* row = c + r * N;                                                            \\
            _Pragma("omp simd")                                                            \\
            for (ptrdiff_t j = 0; j < N; j++) row[j] = s * b[j];                           \\
        }                                                                                  \\
    }
    LUCID_OUTER(lucid_outer_f, float)
    LUCID_OUTER(lucid_outer_d, double)
    """
    void lucid_outer_f(float* c, const float* a, Py_ssize_t a_step, const float* b,
                       Py_ssize_t rows, Py_ssize_t N) noexcept nogil
    void lucid_outer_d(double* c, const double* a, Py_ssize_t a_step, const double* b,
                       Py_ssize_t rows, Py_ssize_t N) noexcept nogil


cdef inline void _outer_rows(real* c, const real* a, Py_ssize_t a_step, const real* b,
                             Py_ssize_t rows, Py_ssize_t N) noexcept nogil:
    if real is float:
        lucid_outer_f(c, a, a_step, b, rows, N)
    else:
        lucid_outer_d(c, a, a_step, b, rows, N)


cdef void _outer_parts(real[:, ::1] c, const real[:] a, const real[::1] b,
                       int threads) noexcept nogil:
    # one run of rows per thread
    cdef Py_ssize_t M = c.shape[0], N = c.shape[1], p, i0, i1
    cdef Py_ssize_t step = a.strides[0] // <Py_ssize_t>sizeof(real)
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        _outer_rows(&c[0, 0], &a[0], step, &b[0], M, N)
        return
    for p in prange(threads, schedule="static", num_threads=threads):
        i0 = p * M // threads
        i1 = (p + 1) * M // threads
        _outer_rows(&c[0, 0] + i0 * N, &a[0] + i0 * step, step, &b[0], i1 - i0, N)
# [end loops: matmul]


cdef object _outer(object a, object b):
    """``a @ b`` for ``a`` (M, 1) and ``b`` (1, N) of one float dtype, any strides (an
    outer product: a layer's weight gradient at batch 1, ``G^T X``): each value one
    multiplication, as in the sum of one term BLAS would form, and NumPy's ``a * b``
    (the same bits). OpenBLAS's gemm took 36 us for (10, 1) @ (1, 3136) and 229 us for
    (256, 1) @ (1, 784), NumPy's broadcast multiply 2.6 and 53-76 us (it walks the
    output a row at a time through its iterator); this loop's rows are runs on the
    threads."""
    column, row = a[:, 0], b[0]
    if not _whole_steps(column):
        column = np.ascontiguousarray(column)
    if not (row.flags.c_contiguous and row.flags.aligned):
        row = np.ascontiguousarray(row)
    M, N = column.shape[0], row.shape[0]
    c = np.empty((M, N), dtype=a.dtype)
    if M == 0 or N == 0:
        return c
    cdef int threads = threads_for_pass(M * N)
    if a.dtype == np.float32:
        _outer_parts[float](c, column, row, threads)
    else:
        _outer_parts[double](c, column, row, threads)
    return c


cdef bint _plain_pair(object a, object b, object bias) noexcept:
    """Whether ``a`` and ``b`` are matrices the checks accept, told in C: ndarrays exactly
    (any strides), of one float dtype, ``a`` (M, K), ``b`` (K, N); ``bias`` None or a plain
    (``_arrays.pxd``) ``(N,)`` array of that dtype. False says only "ask the checks"."""
    cdef int kind = native_float(a)
    if kind == -1 or native_float(b) != kind:
        return False
    cdef cnp.ndarray A = <cnp.ndarray>a, B = <cnp.ndarray>b
    if cnp.PyArray_NDIM(A) != 2 or cnp.PyArray_NDIM(B) != 2 or A.shape[1] != B.shape[0]:
        return False
    return bias is None or vector_of(bias, kind, B.shape[1])


cdef object _one_row(object a, object b, object bias):
    """The one-row product (``x @ w.T`` at batch 1, plus ``bias`` when not None) for
    arguments its loop takes as they are, recognised in C (``_arrays.pxd``): ``a`` a
    plain float32 ``(1, K)`` array, ``K >= 2``; ``b`` an ndarray exactly, float32,
    ``(K, N)``, aligned and stored transposed (F-contiguous: ``b.T`` is ``w``'s rows);
    ``bias`` None or a plain float32 ``(N,)``. The product itself, or None for any other
    arguments (the caller then runs the checks and the general paths, which give these
    arguments the same values: the same loop)."""
    if float_type(a, 2) != cnp.NPY_FLOAT or native_float(b) != cnp.NPY_FLOAT:
        return None
    cdef cnp.ndarray A = <cnp.ndarray>a, B = <cnp.ndarray>b, C
    cdef Py_ssize_t K = A.shape[1], N
    if (A.shape[0] != 1 or K < 2 or cnp.PyArray_NDIM(B) != 2 or B.shape[0] != K
            or B.shape[1] < 1 or not cnp.PyArray_IS_F_CONTIGUOUS(B)):
        return None
    N = B.shape[1]
    if bias is not None and not vector_of(bias, cnp.NPY_FLOAT, N):
        return None
    cdef const float* bias_at = <const float*>data_or_null(bias)
    cdef cnp.npy_intp dims[2]
    dims[0], dims[1] = 1, N
    C = cnp.PyArray_EMPTY(2, dims, cnp.NPY_FLOAT, 0)
    cdef int parts = parts_for(N * K)            # the sizes decide, never the load
    cdef int threads = free_threads(parts)
    with nogil:
        # b's column j is w's row j, K values apart (with N = 1 only row 0 is read)
        _rows_dot_runs(<const float*>cnp.PyArray_DATA(B), K,
                       <const float*>cnp.PyArray_DATA(A), K, 1, K, bias_at,
                       <float*>cnp.PyArray_DATA(C), N, N, parts, threads)
    return C


def _whole_steps(x):
    """Whether every stride of ``x`` is a whole, non-negative number of elements of
    aligned memory: what the loops that take raw addresses and strides can walk (the
    others are copied first)."""
    size = x.itemsize
    return x.flags.aligned and all(s >= 0 and s % size == 0 for s in x.strides)


def _elements(m):
    """``m`` (2-d), or a C-ordered copy when :func:`_whole_steps` says no, and its
    strides in elements."""
    if not _whole_steps(m):
        m = np.ascontiguousarray(m)
    size = m.itemsize
    return m, m.strides[0] // size, m.strides[1] // size


def _panel_product(a, b):
    """``a @ b`` (float32, 2-d) by the panels path: runs of rows shared among the team
    when there are many rows (at least ROWS_EACH per thread), else runs of panels when
    there are enough of them. Two threads, by panels against by rows: ``1024x64 @
    64x192`` 171 against 95 us (``x @ w.T``), ``1024x192 @ 192x64`` 95 against 79,
    ``128x784 @ 784x256`` 210 against 245 (each thread packs every panel of B then)."""
    M, K = a.shape
    N = b.shape[1]
    team = max_threads()
    panels = (N + LUCID_PANEL - 1) // LUCID_PANEL
    by_panels = M < ROWS_EACH * team and panels >= team
    parts = max(1, min(team, panels if by_panels else M))
    a, ras, cas = _elements(a)
    b, rbs, cbs = _elements(b)
    c = np.empty((M, N), dtype=np.float32)
    work = np.empty((parts, PANEL_WORK), dtype=np.float32)
    _panels(a.ctypes.data, ras, cas, b.ctypes.data, rbs, cbs, c, K, by_panels, parts,
            free_threads(parts), work)
    return c


def _stored(m):
    """``m`` as C-ordered memory and whether it holds ``m`` transposed (``w.T``, a
    transposed view, is read in place); other strides are copied first."""
    if m.flags.c_contiguous:
        return m, False
    if m.flags.f_contiguous:
        return m.T, True
    return np.ascontiguousarray(m), False


# _matrices' answers by (shape, strides, itemsize, aligned): attention asks the same few
# layouts every step, and working them out took 2.5 us a call (a stack of 128 matrices
# of 32x16 takes 22 us on two threads).
_LAYOUTS = {}
_LAYOUTS_MAX = 256


def _matrices(x):
    """How the stack ``x`` (..., rows, cols) lies in memory for :func:`_stack`: the
    array whose memory is read (``x``, or a C-ordered copy when its matrices are not
    rows or columns of evenly spaced elements), whether each matrix is stored
    transposed, the distance between its rows as stored, and where each matrix
    starts (elements from the first)."""
    key = (x.shape, x.strides, x.itemsize, x.flags.aligned)
    known = _LAYOUTS.get(key)
    if known is not None:
        copy, transposed, ld, at = known
        return (np.ascontiguousarray(x) if copy else x), transposed, ld, at
    copied, transposed, ld, at = _layout(x)
    if len(_LAYOUTS) >= _LAYOUTS_MAX:
        _LAYOUTS.clear()
    _LAYOUTS[key] = (copied is not x, transposed, ld, at)
    return copied, transposed, ld, at


def _layout(x):
    """:func:`_matrices`, worked out."""
    # (no negative indices in this module: it is compiled with wraparound off)
    size, d = x.itemsize, x.ndim
    rows, cols = x.strides[d - 2], x.strides[d - 1]
    steps_ok = _whole_steps(x)
    if steps_ok and cols == size and rows >= size * max(1, x.shape[d - 1]):
        transposed, ld = False, rows // size
    elif steps_ok and rows == size and cols >= size * max(1, x.shape[d - 2]):
        transposed, ld = True, cols // size
    else:
        x = np.ascontiguousarray(x)
        transposed, ld = False, max(1, x.shape[d - 1])
    lead = x.shape[:d - 2]
    at = np.zeros(lead, dtype=np.int64)
    for axis, n in enumerate(lead):
        shape = [1] * len(lead)
        shape[axis] = n
        at += (np.arange(n, dtype=np.int64) * (x.strides[axis] // size)).reshape(shape)
    return x, transposed, ld, at.reshape(-1)


def _stacked(a, b):
    """``a @ b`` for stacks of matrices, one BLAS call per matrix, the calls shared
    among the free threads (which thread makes a call changes no bit)."""
    d = a.ndim
    M, K, N = a.shape[d - 2], a.shape[d - 1], b.shape[d - 1]
    c = np.empty(a.shape[:d - 1] + (N,), dtype=a.dtype)
    a, ta, lda, a_at = _matrices(a)
    b, tb, ldb, b_at = _matrices(b)
    with _blas.one_thread():                     # each gemm call on its own thread
        _stack(a.ctypes.data, a_at, ta, lda, b.ctypes.data, b_at, tb, ldb,
               c.reshape(-1, M, N), K, free_threads(max_threads()))
    return c


def matmul(a, b):
    r"""The product :math:`C = AB`, :math:`C_{ij} = \sum_k A_{ik} B_{kj}`, of two
    matrices (the rows of :math:`C` in blocks on the free threads) or of two stacks of
    them (the stack's matrices shared among the free threads)::

        for p in range(parts):                  # parallel (_parts_for, free_threads)
            C[i0:i1, :] = A[i0:i1, :] @ B       # one BLAS call; i0, i1 from _block_start
        for i in range(count):                  # a stack: parallel over its matrices
            C[i] = A[i] @ B[i]                  # one BLAS call
        for p in range(parts):                  # one row or a few (_few_rows), float32,
            C[:, run p] = A @ B.T[run p].T      # B stored transposed: dot products,
                                                # four of B.T's rows at a time
        C[i, j] = A[i, 0] * B[0, j]             # K = 1 (an outer product): one multiply,
                                                # runs of rows on the threads

    Parameters
    ----------
    a : ndarray, float32 or float64, shape (..., M, K), any strides
    b : ndarray of a's dtype, shape (..., K, N), any strides

    Returns
    -------
    c : ndarray of a's dtype, shape (..., M, N), C-contiguous
    """
    c = _one_row(a, b, None)                    # a batch-1 layer's x @ w.T, in C
    if c is not None:
        return c
    if not _plain_pair(a, b, None):             # else the checks' rules hold: known in C
        _checks.matmul(a, b)
    return _product(a, b, None)


def _matmul_biased(a, b, bias):
    """``matmul(a, b) + bias`` for matrices ``a`` (M, K) and ``b`` (K, N), the bias (N,)
    (``a``'s dtype, C-contiguous) added to each row: the same values as the two steps,
    bit for bit (each value is the product's, then plus its column's bias, rounded
    again). A layer's ``x @ w.T + b`` at batch 1 adds the bias inside the dot products'
    loop; the other paths add it in one C loop after the product (NumPy's ``+=`` cost
    ~1 us of dispatch on a small output). Private to the compiled twin (the contract's
    ``matmul`` has no bias): the op layer calls it where the active twin has it, as it
    does the convolutions' ``_conv_forward_biased``."""
    c = _one_row(a, b, bias)                    # a batch-1 layer's x @ w.T + b, in C
    if c is not None:
        return c
    if not _plain_pair(a, b, bias):             # else the checks' rules hold: known in C
        _checks.matmul(a, b)
        _checks.matmul_bias("_matmul_biased", a, b, bias)
    return _product(a, b, bias)


def _few_rows(M, N, K):
    """Whether ``(M, K) @ (K, N)``, B stored transposed (a layer's ``x @ w.T``), runs as
    dot products along B's stored rows (float32): one row, or :data:`FEW_ROWS_MIN` to
    :data:`FEW_ROWS` rows times a weight of at least :data:`FEW_ROWS_WEIGHT` values.

    Measured (two threads, median us, this path / the one it replaced): ``x @ w.T`` with
    w 256 x 784, 5 to 8 rows 0.22-0.33 (8 rows 39 / 166: OpenBLAS's gemm on one thread,
    20 GFLOP/s, packs the whole weight for a few rows), 12 rows 56 / 78, 16 rows 71 /
    87 (the panels path); w 256 x 256, 5 to 16 rows 0.31-0.57. Not taken (this path's
    time over theirs): 2 to 4 rows 0.83-1.60 (OpenBLAS's kernel for small products),
    24 rows and more 0.74-1.77 (each value of x is loaded once for four multiply-adds,
    the panels keep 12 rows of sums in registers), small weights (64 x 64 to 192 x 64)
    1.0-1.7.
    """
    return M == 1 or (FEW_ROWS_MIN <= M <= FEW_ROWS and N * K >= FEW_ROWS_WEIGHT)


def _product(a, b, bias):
    """:func:`matmul`'s paths (checked arguments), plus ``bias`` when not None."""
    d = a.ndim
    M, K, N = a.shape[d - 2], a.shape[d - 1], b.shape[d - 1]
    if d > 2:
        count = math.prod(a.shape[:d - 2])
        flops = 2 * count * M * N * K
        if count >= max_threads() > 1 and flops >= SPLIT_FLOPS and _GEMM.most > 0:
            return _stacked(a, b)
        with _blas.matmul_threads(a, b):
            return np.matmul(a, b)
    if K == 1:
        c = _outer(a, b)        # a layer's weight gradient at batch 1, G^T X
        if bias is not None:
            _add_bias(c, bias)
        return c
    if (_few_rows(M, N, K) and a.dtype == np.float32 and b.flags.f_contiguous
            and b.flags.aligned and N * K >= 1):
        # a few rows times a B stored transposed (x @ w.T at a small batch): dot
        # products along w's rows, in vector lanes, runs of rows on the threads, w read
        # once for all rows; no BLAS call and so none of the mode gate's cost (~4 us)
        c = np.empty((M, N), dtype=np.float32)
        parts = parts_for(M * N * K)             # the sizes decide, never the load
        _rows_dot(b.T, np.ascontiguousarray(a), c, parts, free_threads(parts), bias)
        return c
    if (_PANELS_WIDE and a.dtype == np.float32
            and SPLIT_FLOPS <= 2 * M * N * K < PANELS_MAX_FLOPS):
        c = _panel_product(a, b)
    elif (parts := _parts_for(M, N, K)) == 1:
        with _blas.matmul_threads(a, b):
            c = np.matmul(a, b)
    else:
        A, ta = _stored(a)
        B, tb = _stored(b)
        c = np.empty((M, N), dtype=a.dtype)
        with _blas.one_thread():                 # each gemm call on its own thread
            _rows(A, ta, B, tb, c, parts, free_threads(parts))
    if bias is not None:
        _add_bias(c, bias)
    return c


# ----------------------------------------------------------------------------------
# Self-attention from one packed projection: private to this twin. The op layer
# (lucid/ops/attention.py, PackedAttention) calls it where the active twin has it and
# runs the matmul and softmax kernels one after the other elsewhere.

# [loops: _packed_attention]
cdef void _attention_head(const real* q, const real* k, const real* v, Py_ssize_t ld,
                          Py_ssize_t T, Py_ssize_t d, real scale, real* a, real* out,
                          Py_ssize_t ldo) noexcept nogil:
    # One head of one sample: its queries, keys and values are the rows of q, k and v
    # (``ld`` apart: the packed projection's row); the weights a (T, T) and the output
    # rows of out (``ldo`` apart: the merged heads' row). The whole block of scores is
    # scaled before the first row's softmax reads it: scaling each row just before
    # (its values written narrow, then read in 64-byte vectors by exp_row) stalled on
    # the stores, and took 1.13x the unfused path's time at batch 32.
    cdef Py_ssize_t i, c
    cdef real m, inverse
    gemm(&_GEMM, False, True, T, T, d, q, ld, k, ld, 0, a, T)        # a = q k^T
    for c in range(T * T):
        a[c] = a[c] * scale
    for i in range(T):                                                # softmax, in place
        inverse = <real>(1.0 / exp_row(a + i * T, a + i * T, T, &m))
        for c in range(T):
            a[i * T + c] = a[i * T + c] * inverse
    gemm(&_GEMM, False, False, T, d, T, a, T, v, ld, 0, out, ldo)     # out = a v


def _attention_heads(const real[:, :, ::1] qkv, real[:, :, :, ::1] a,
                     real[:, :, ::1] out, double scale, int threads):
    cdef Py_ssize_t N = a.shape[0], H = a.shape[1], T = a.shape[2]
    cdef Py_ssize_t E = out.shape[2], d = E // H, ld = qkv.shape[2], job, n, j
    assert _GEMM.most > 0, "_packed_attention: no BLAS bound"
    assert qkv.shape[0] == N and qkv.shape[1] == T and ld == 3 * E and d * H == E, \
        "_packed_attention: qkv, a and out do not fit"
    assert a.shape[3] == T and out.shape[0] == N and out.shape[1] == T, \
        "_packed_attention: qkv, a and out do not fit"
    assert threads >= 1, "_packed_attention: threads"
    assert max(T, ld, E) <= _GEMM.most, "_packed_attention: sizes beyond the BLAS's integers"
    if N * H == 0 or T == 0:
        return
    if E == 0:                      # no features: every score 0, so the weights 1 / T
        a[...] = <real>(1.0 / T)    # (exp_row's values; &qkv[n, 0, 0] would be out of
        return                      # bounds, as LUCID_CYTHON_DEBUG=1 builds report)
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        with nogil:
            for job in range(N * H):
                n, j = job // H, job % H
                _attention_head(&qkv[n, 0, j * d], &qkv[n, 0, E + j * d],
                                &qkv[n, 0, 2 * E + j * d], ld, T, d, <real>scale,
                                &a[n, j, 0, 0], &out[n, 0, j * d], E)
        return
    for job in prange(N * H, nogil=True, schedule="static", num_threads=threads):
        n = job // H
        j = job % H
        _attention_head(&qkv[n, 0, j * d], &qkv[n, 0, E + j * d], &qkv[n, 0, 2 * E + j * d],
                        ld, T, d, <real>scale, &a[n, j, 0, 0], &out[n, 0, j * d], E)
# [end loops: _packed_attention]


def _packed_attention(qkv, heads, scale):
    """Self-attention of every head from the packed projection ``qkv`` (N, T, 3E), the
    queries, keys and values side by side, ``heads`` heads of E / heads features::

        for n, head j:                          # parallel over (n, j), as threads_for says
            a[n, j] = softmax(scale * Q_nj K_nj^T)       # one gemm, then row by row
            out[n, :, head j] = a[n, j] V_nj             # one gemm, into the merged row

    Returns ``(out, a)``: ``out`` (N, T, E) with the heads merged, ``a`` (N, heads, T,
    T) the weights, or None when no BLAS is bound (the caller then runs the unfused
    path). The same values as that path (the ``matmul`` kernel's products, the scores
    scaled, the ``softmax`` kernel), within a rounding of the products: the two gemm
    calls read the packed rows in place and write the merged rows, so none of the views'
    copies, the separate scaling pass and the merge are made. Private to the compiled
    twin (``lucid/ops/attention.py`` calls it where the active twin has it).
    """
    _checks.packed_attention(qkv, heads, scale)
    if _GEMM.most == 0:
        return None
    N, T, E3 = qkv.shape
    E = E3 // 3
    a = np.empty((N, heads, T, T), dtype=qkv.dtype)
    out = np.empty((N, T, E), dtype=qkv.dtype)
    threads = threads_for(N * T * T * E)        # each head on one thread: any count
    with _blas.gemm_threads(T, T, E // heads):  # both products: T * T * d
        _attention_heads(qkv, a, out, float(scale), threads)
    return out, a


# ----------------------------------------------------------------------------------
# A layer's bias gradient: private to this twin. The op layer (Linear, Bilinear, the
# recurrent layers and the convolutions, through lucid.ops._util.column_sums) calls it
# where the active twin has it and NumPy's ``g.sum(axis=0)`` elsewhere: the same bits.

# [loops: _column_sums]
cdef extern from *:
    """
    /* s[j0:j1] = the sums of the columns j0 .. j1 - 1 of g (M, N), each from 0 and row
       by row in order: NumPy's order for g.sum(axis=0) of a C-ordered g with N >= 2.
       Four rows per pass over the run, added one after the other, (((s + g_i) + g_i+1)
       + g_i+2) + g_i+3: the same order, with s loaded and stored once per four rows. */
    #define LUCID_COLUMN_RUN(NAME, T)                                                     \\
    static void NAME(const T* restrict g, ptrdiff_t M, ptrdiff_t N, ptrdiff_t j0,          \\
                     ptrdiff_t j1, T* restrict s) {                                        \\
        ptrdiff_t i = 0;                                                                   \\
        for (ptrdiff_t j = j0; j < j1; j++) s[j] = 0;                                      \\
        for (; i + 4 <= M; i += 4) {                                                       \\
            const T* r0 = g + i * N;                                                       \\
            const T *r1 = r0 + N, *r2 = r1 + N, *r3 = r2 + N;                              \\
            _Pragma("omp simd")                                                            \\
            for (ptrdiff_t j = j0; j < j1; j++)                                            \\
                s[j] = (((s[j] + r0[j]) + r1[j]) + r2[j]) + r3[j];                         \\
        }                                                                                  \\
        for (; i < M; i++) {                                                               \\
            const T* r = g + i * N;                                                        \\
            _Pragma("omp simd")                                                            \\
            for (ptrdiff_t j = j0; j < j1; j++) s[j] = s[j] + r[j];                        \\
        }                                                                                  \\
    }
    LUCID_COLUMN_RUN(lucid_column_run_f, float)
    LUCID_COLUMN_RUN(lucid_column_run_d, double)
    """
    void lucid_column_run_f(const float* g, Py_ssize_t M, Py_ssize_t N, Py_ssize_t j0,
                            Py_ssize_t j1, float* s) noexcept nogil
    void lucid_column_run_d(const double* g, Py_ssize_t M, Py_ssize_t N, Py_ssize_t j0,
                            Py_ssize_t j1, double* s) noexcept nogil

cdef enum:
    # Columns per run at most: the run's sums (4 KB of float32) stay in the L1 cache
    # while every row's piece of the run streams past them.
    SUM_RUN = 1024


cdef inline void _column_run(const real* g, Py_ssize_t M, Py_ssize_t N, Py_ssize_t j0,
                             Py_ssize_t j1, real* s) noexcept nogil:
    if real is float:
        lucid_column_run_f(g, M, N, j0, j1, s)
    else:
        lucid_column_run_d(g, M, N, j0, j1, s)


cdef void _column_runs(const real* g, Py_ssize_t M, Py_ssize_t N, real* s,
                       int threads) noexcept nogil:
    # runs of at most SUM_RUN columns, at least one per thread, each a multiple of 16
    # columns wide (the last one ends at N)
    cdef Py_ssize_t runs = max(threads, (N + SUM_RUN - 1) // SUM_RUN), r
    cdef Py_ssize_t width = ((N + runs - 1) // runs + 15) // 16 * 16
    runs = (N + width - 1) // width
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        for r in range(runs):
            _column_run(g, M, N, r * width, min(N, (r + 1) * width), s)
        return
    for r in prange(runs, schedule="static", num_threads=threads):
        _column_run(g, M, N, r * width, min(N, (r + 1) * width), s)
# [end loops: _column_sums]


def _column_sums(g):
    """``g.sum(axis=0)`` of a matrix ``g`` (M, N): each column's sum, bit for bit NumPy's
    (from 0, row by row in order), with runs of :data:`SUM_RUN` columns shared among the
    threads (which thread sums a column changes no bit)::

        for each run of 1024 columns j0 .. j1:  # parallel over the runs
            s[j0:j1] = 0
            for i in range(M):
                s[j0:j1] += g[i, j0:j1]

    For plain arguments (``_arrays.pxd``: an ndarray exactly, float32 or float64,
    C-ordered, 2-d) with N >= 2; anything else goes to ``g.sum(axis=0)`` itself (NumPy
    sums a single column pairwise, in another order). A language model's decoder
    gradient (700 x 10,000) took NumPy 1.7 ms on one thread."""
    cdef int kind = float_type(g, 2)
    if kind == -1 or (<cnp.ndarray>g).shape[1] < 2:
        return g.sum(axis=0)
    cdef cnp.ndarray G = <cnp.ndarray>g
    cdef Py_ssize_t M = G.shape[0], N = G.shape[1]
    cdef cnp.ndarray s = empty_vector(N, kind)
    cdef int threads = threads_for(M * N)
    with nogil:
        if kind == cnp.NPY_FLOAT:
            _column_runs(<const float*>cnp.PyArray_DATA(G), M, N,
                         <float*>cnp.PyArray_DATA(s), threads)
        else:
            _column_runs(<const double*>cnp.PyArray_DATA(G), M, N,
                         <double*>cnp.PyArray_DATA(s), threads)
    return s
