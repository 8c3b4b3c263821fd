r"""Convolution kernels, compiled twin (typed memoryviews, ``nogil``, ``prange``).

The loop nest (the reference twin ``conv.py`` explains the maths)::

    conv_forward:            for n, c_o, o:  y[n, c_o, o] = sum_{c_i in group, k}
                                                 w[c_o, c_i, k] * x[n, c_i, o*s + k*dil - p]
    conv_weight_grad:        for c_o, c_i, k: gw[c_o, c_i, k] = sum_{n, o}
                                                 gy[n, c_o, o] * x[n, c_i, o*s + k*dil - p]
    conv_transpose_forward:  for n, c_i, i, k, c_o in group:
                                 y[n, c_o, i*s + k*dil - p] += x[n, c_i, i] * w[c_i, c_o, k]
    unfold / fold:           cols[n, c*prod(K) + k, o] = x[n, c, o*s + k*dil - p]  (and its adjoint)

where a read outside the input is a zero (padding) and a write outside the output is
dropped. ``o``, ``i`` and ``k`` are spatial multi-indices.

The paths (:func:`_path` chooses one per call; the docs page "How the compiled kernels
are fast" has the measurements behind each rule):

``direct``
    typed loops, ``prange`` over ``(n, c_o)`` (``(c_o, c_i)`` for the weight gradient):
    for thin channel blocks, ``(C_in/groups) * (C_out/groups) <= 4`` (depthwise).
``per-sample``
    ``prange`` over the batch; each OpenMP thread unfolds its sample (im2col) into its
    own column matrix and calls NumPy's ``cblas_?gemm`` itself, OpenBLAS set to one
    thread meanwhile (``_blas.one_thread``): when that BLAS was found, every thread gets
    a sample and the column matrices fit in ``_PER_SAMPLE_MAX_ELEMENTS``. The forward
    goes by tiles of whole window rows when the weight is thin (:func:`_tile_rows`).
``batch-chunk``
    im2col of a chunk of samples (``_CHUNK_ELEMENTS`` column entries) on one thread,
    then one ``np.matmul`` on OpenBLAS's threads: otherwise.

A conv_transpose with stride 1 (and no output_padding) is run as the convolution it
equals, with the kernel flipped, when it has no more input than output channels
(:func:`_as_flipped_conv`): im2col and one GEMM instead of a GEMM and col2im's scatter.

Rules the paths share: every array is viewed as 3-d spatially (``_sizes.as_3d``), so
each nest is written once for 1d, 2d and 3d; for every kernel offset the window
positions inside the image are computed up front (:func:`_inside`), so the innermost
loops have no bounds test (a strided kernel's im2col gathers from a zero-padded copy
instead, :c:func:`_im2col_channel`); float32 and float64 are one fused type, and Cython
picks the specialisation from the arrays' dtype (no hand-written dispatch); scratch
arrays are per-thread workspaces that grow and are reused; thread counts come from
``_openmp.threads_for``. A conv_transpose's backward forms the columns of ``grad_y``
once for both gradients (the private :func:`_transpose_grads`).
"""
import math
import threading

import numpy as np

from cython.parallel cimport parallel, prange, threadid
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

from lucid._ext import _blas, _checks
from lucid._ext._openmp import max_threads, threads_for
from lucid._ext._sizes import as_3d, as_5d, conv_output_size, conv_transpose_output_size

__all__ = ["conv_forward", "conv_weight_grad", "conv_transpose_forward", "unfold", "fold"]

ctypedef fused real:
    float
    double

# Direct loops when (C_in/groups) * (C_out/groups) is at most this.
_DIRECT_MAX_CHANNEL_PAIRS = 4
# OpenMP threads for the im2col / col2im next to a GEMM on OpenBLAS's threads: one
# thread pool at a time (two pools on 2 cores were 10-100x slower).
_GEMM_THREADS = 1
# Threads of the per-sample path, each calling BLAS itself. At most 32: OpenBLAS keeps a
# fixed table of work buffers for its callers (NumPy's build: MAX_THREADS=64).
_SAMPLE_THREADS = min(max_threads(), 32)
# Target size, in elements, of the column matrix of one batch chunk.
_CHUNK_ELEMENTS = 1 << 18
# Largest total, in elements, of the per-thread column matrices of the per-sample path
# (one sample's im2col each); above it the batch-chunk path runs, whose one column
# matrix is smaller: 2**25 float32 values are 128 MB.
_PER_SAMPLE_MAX_ELEMENTS = 1 << 25
# Column tiles of the per-sample forward (_tile_rows, which has the measurements): about
# this many output positions per GEMM, for at least _TILE_MIN_COLUMNS of them, a GEMM
# depth (C_in/groups * prod(K)) of at least _TILE_MIN_DEPTH and at most
# _TILE_MAX_OUT output channels per group.
_TILE_COLUMNS = 384
_TILE_MIN_COLUMNS = 512
_TILE_MIN_DEPTH = 27
_TILE_MAX_OUT = 16
# Largest full-batch column matrix, in bytes, that _transpose_grads keeps for its weight
# gradient (above it the columns are recomputed).
_COLUMNS_MAX_BYTES = 64 << 20


cdef struct Geometry:
    # Index relation, per spatial axis a (always 3 axes; missing ones have size 1):
    #     image position = window position * s[a] + k * dil[a] - p[a]
    # "image" is what is read with padding (conv input) or written with cropping
    # (conv_transpose output); "window" is the conv output / conv_transpose input.
    Py_ssize_t image[3]
    Py_ssize_t window[3]
    Py_ssize_t K[3]
    Py_ssize_t s[3]
    Py_ssize_t p[3]
    Py_ssize_t dil[3]


def _geo(image, window, K, stride, padding, dilation):
    """The geometry of d-dimensional sizes as six 3-tuples (``_sizes.as_3d``): what the
    loop functions below take, and :func:`_geometry` turns into a :c:type:`Geometry`."""
    return (as_3d(image, 1), as_3d(window, 1), as_3d(K, 1), as_3d(stride, 1),
            as_3d(padding, 0), as_3d(dilation, 1))


cdef Geometry _geometry(geo):
    cdef Geometry g
    cdef int a
    for a in range(3):
        g.image[a], g.window[a], g.K[a] = geo[0][a], geo[1][a], geo[2][a]
        g.s[a], g.p[a], g.dil[a] = geo[3][a], geo[4][a], geo[5][a]
    return g


# ----------------------------------------------------------------------------------
# NumPy's BLAS, called from nogil code (lucid/_ext/_blas.py finds it)

ctypedef void (*sgemm64_t)(int, int, int, int64_t, int64_t, int64_t, float, const float*,
                           int64_t, const float*, int64_t, float, float*, int64_t) noexcept nogil
ctypedef void (*dgemm64_t)(int, int, int, int64_t, int64_t, int64_t, double, const double*,
                           int64_t, const double*, int64_t, double, double*, int64_t) noexcept nogil
ctypedef void (*sgemm32_t)(int, int, int, int32_t, int32_t, int32_t, float, const float*,
                           int32_t, const float*, int32_t, float, float*, int32_t) noexcept nogil
ctypedef void (*dgemm32_t)(int, int, int, int32_t, int32_t, int32_t, double, const double*,
                           int32_t, const double*, int32_t, double, double*, int32_t) noexcept nogil

cdef sgemm64_t _sgemm64 = NULL
cdef dgemm64_t _dgemm64 = NULL
cdef sgemm32_t _sgemm32 = NULL
cdef dgemm32_t _dgemm32 = NULL
# The largest matrix dimension or size the found BLAS's integers can hold.
_BLAS_MAX = 0


def _bind_blas(blas):
    """Point the gemm calls at ``blas`` (a lucid._ext._blas.Blas) or, with None, at nothing."""
    global _sgemm64, _dgemm64, _sgemm32, _dgemm32, _BLAS_MAX
    cdef size_t s = 0 if blas is None else blas.sgemm
    cdef size_t d = 0 if blas is None else blas.dgemm
    _sgemm64, _dgemm64, _sgemm32, _dgemm32 = NULL, NULL, NULL, NULL
    _BLAS_MAX = 0
    if blas is not None and blas.ilp64:
        _sgemm64 = <sgemm64_t> <void*> s
        _dgemm64 = <dgemm64_t> <void*> d
        _BLAS_MAX = 2 ** 63 - 1
    elif blas is not None:
        _sgemm32 = <sgemm32_t> <void*> s
        _dgemm32 = <dgemm32_t> <void*> d
        _BLAS_MAX = 2 ** 31 - 1


_BLAS = _blas.find()
_bind_blas(_BLAS)


cdef inline void _gemm(bint ta, bint tb, Py_ssize_t M, Py_ssize_t N, Py_ssize_t K,
                       const real* A, Py_ssize_t lda, const real* B, Py_ssize_t ldb,
                       real beta, real* C, Py_ssize_t ldc) noexcept nogil:
    """C = op(A) @ op(B) + beta * C, row-major; op(A) = A.T when ``ta`` (B likewise)."""
    cdef int opa = 112 if ta else 111          # CblasTrans / CblasNoTrans
    cdef int opb = 112 if tb else 111
    if real is float:
        if _sgemm64 != NULL:
            _sgemm64(101, opa, opb, M, N, K, 1, A, lda, B, ldb, beta, C, ldc)
        else:
            _sgemm32(101, opa, opb, <int32_t> M, <int32_t> N, <int32_t> K, 1, A,
                     <int32_t> lda, B, <int32_t> ldb, beta, C, <int32_t> ldc)
    else:
        if _dgemm64 != NULL:
            _dgemm64(101, opa, opb, M, N, K, 1, A, lda, B, ldb, beta, C, ldc)
        else:
            _dgemm32(101, opa, opb, <int32_t> M, <int32_t> N, <int32_t> K, 1, A,
                     <int32_t> lda, B, <int32_t> ldb, beta, C, <int32_t> ldc)


cdef inline Py_ssize_t _first(Py_ssize_t off, Py_ssize_t s) noexcept nogil:
    """Smallest window index ``i >= 0`` with ``i*s + off >= 0``."""
    if off >= 0:
        return 0
    return (s - 1 - off) // s


cdef inline Py_ssize_t _stop(Py_ssize_t off, Py_ssize_t s, Py_ssize_t size,
                             Py_ssize_t count) noexcept nogil:
    """One past the largest window index ``i < count`` with ``i*s + off < size``."""
    cdef Py_ssize_t last = size - 1 - off
    if last < 0:
        return 0
    last = last // s + 1
    return last if last < count else count


cdef struct Inside:
    # For one kernel offset along one axis: ``off = k*dil - p`` and the window positions
    # ``lo <= i < hi`` whose image position ``i*s + off`` is inside the image.
    Py_ssize_t off
    Py_ssize_t lo
    Py_ssize_t hi


cdef inline Inside _inside(const Geometry* g, int a, Py_ssize_t k) noexcept nogil:
    """The :c:type:`Inside` range of kernel offset ``k`` along axis ``a`` (the loops
    over it then need no bounds test). An empty range is ``[lo, lo)`` with
    ``lo <= window``, so ``[0, lo)`` and ``[hi, window)`` are the positions outside,
    before and after.

    Returned by value, not written through pointers: inside a ``prange`` body the
    caller assigns the fields to its own variables, which is what makes Cython keep
    them private to each thread (a variable only passed by address stays shared)."""
    cdef Inside r
    r.off = k * g.dil[a] - g.p[a]
    r.lo = min(_first(r.off, g.s[a]), g.window[a])
    r.hi = max(_stop(r.off, g.s[a], g.image[a], g.window[a]), r.lo)
    return r


cdef inline void _add_row(real* y, const real* x, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    """y[i] += x[i] for i0 <= i < i1 (unit stride: the compiler vectorises it)."""
    cdef Py_ssize_t i
    for i in range(i0, i1):
        y[i] += x[i]


cdef inline void _axpy_row(real* y, const real* x, real a, Py_ssize_t i0,
                           Py_ssize_t i1) noexcept nogil:
    """y[i] += a * x[i] for i0 <= i < i1 (unit stride: the compiler vectorises it)."""
    cdef Py_ssize_t i
    for i in range(i0, i1):
        y[i] += a * x[i]


# ----------------------------------------------------------------------------------
# Workspaces and the direct-or-GEMM rule

_local = threading.local()


def _workspace(name, shape, dtype):
    """A reusable scratch array of ``shape`` (contents undefined), one per thread."""
    size = math.prod(shape)
    store = _local.__dict__.setdefault("store", {})
    key = (name, np.dtype(dtype).char)
    buf = store.get(key)
    if buf is None or buf.size < size:
        buf = np.empty(max(size, 1), dtype=dtype)
        store[key] = buf
    return buf[:size].reshape(shape)


def _gemm_nt(cols, gy, out, transposed):
    """out = cols @ gy.T (transposed) or gy @ cols.T, per group: the weight-grad GEMM."""
    if transposed:
        np.matmul(cols, gy.transpose(0, 2, 1), out=out)
    else:
        np.matmul(gy, cols.transpose(0, 2, 1), out=out)


def _columns_key(x, geo, groups, nb):
    """What the kept columns depend on: the geometry and the batch chunking."""
    return (x.shape, x.dtype.char, geo, groups, nb)


def _kept_columns(columns, x, key):
    """The full-batch columns kept in ``columns`` for exactly this ``x`` and key, or None."""
    if columns is None or columns.get("x") is not x or columns.get("key") != key:
        return None
    return columns["cols"]


def _chunk_of_columns(x, full, rows, n0, nc, L, geo, unfold):
    """The columns (rows, nc, L) of samples ``n0 : n0 + nc`` of ``x``: a chunk of the kept
    full-batch array ``full``, or of the workspace when it is None; im2col fills them
    when ``unfold`` (not when _forward kept them already)."""
    if full is not None:
        cols = full[rows * n0 * L:rows * (n0 + nc) * L].reshape(rows, nc, L)
    else:
        cols = _workspace("cols", (rows, nc, L), x.dtype)
    if unfold:
        _run_im2col(as_5d(x), cols.transpose(1, 0, 2), n0, geo, _GEMM_THREADS)
    return cols


def _chunk_by_channel(a, n0, nc, groups, name):
    """Samples ``n0 : n0 + nc`` of ``a`` (N, C, *spatial) laid out (groups, C/groups,
    nc * L) for one GEMM per group: a view for one sample, else a copy into the
    workspace ``name``."""
    C = a.shape[1]
    L = math.prod(a.shape[2:])
    if nc == 1:
        return a[n0].reshape(groups, C // groups, L)
    out = _workspace(name, (C, nc, L), a.dtype)
    out[...] = a[n0:n0 + nc].reshape(nc, C, L).transpose(1, 0, 2)
    return out.reshape(groups, C // groups, nc * L)


def _chunk(N, column_elements):
    """Samples per chunk so that the column matrix holds about _CHUNK_ELEMENTS."""
    return max(1, min(N, _CHUNK_ELEMENTS // max(1, column_elements)))


# ----------------------------------------------------------------------------------
# Direct loops

# [loops: conv_forward]
cdef void _direct_conv(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] w,
                       real[:, :, :, :, ::1] y, Geometry g, Py_ssize_t groups,
                       int threads):
    cdef Py_ssize_t N = y.shape[0], C_out = y.shape[1]
    cdef Py_ssize_t C_in_g = w.shape[1], C_out_g = C_out // groups
    cdef Py_ssize_t plane = g.window[0] * g.window[1] * g.window[2]
    cdef Py_ssize_t job, n, co, ci, c, kd, kh, kw, od, oh, ow, idd, ih
    cdef Py_ssize_t offd, offh, offw, od0, od1, oh0, oh1, ow0, ow1
    cdef Inside r
    cdef real wv
    cdef real* yrow
    cdef const real* xrow
    for job in prange(N * C_out, nogil=True, schedule="static", num_threads=threads):
        n = job // C_out
        co = job % C_out
        memset(&y[n, co, 0, 0, 0], 0, plane * sizeof(real))
        for ci in range(C_in_g):
            c = (co // C_out_g) * C_in_g + ci
            for kd in range(g.K[0]):
                r = _inside(&g, 0, kd)
                offd, od0, od1 = r.off, r.lo, r.hi
                for kh in range(g.K[1]):
                    r = _inside(&g, 1, kh)
                    offh, oh0, oh1 = r.off, r.lo, r.hi
                    for kw in range(g.K[2]):
                        r = _inside(&g, 2, kw)
                        offw, ow0, ow1 = r.off, r.lo, r.hi
                        wv = w[co, ci, kd, kh, kw]
                        for od in range(od0, od1):
                            idd = od * g.s[0] + offd
                            for oh in range(oh0, oh1):
                                ih = oh * g.s[1] + offh
                                yrow = &y[n, co, od, oh, 0]
                                xrow = &x[n, c, idd, ih, 0]
                                if g.s[2] == 1:
                                    _axpy_row(yrow, xrow + offw, wv, ow0, ow1)
                                else:
                                    for ow in range(ow0, ow1):
                                        yrow[ow] = yrow[ow] + wv * xrow[ow * g.s[2] + offw]
# [end loops: conv_forward]


# [loops: conv_transpose_forward]
cdef void _direct_conv_transpose(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] w,
                                 real[:, :, :, :, ::1] y, Geometry g, Py_ssize_t groups,
                                 int threads):
    cdef Py_ssize_t N = y.shape[0], C_out = y.shape[1]
    cdef Py_ssize_t C_out_g = w.shape[1], C_in_g = x.shape[1] // groups
    cdef Py_ssize_t plane = g.image[0] * g.image[1] * g.image[2]
    cdef Py_ssize_t job, n, co, ci, c, kd, kh, kw, i0, i1, i2, yd, yh
    cdef Py_ssize_t offd, offh, offw, d0, d1, h0, h1, w0, w1
    cdef Inside r
    cdef real wv
    cdef real* yrow
    cdef const real* xrow
    for job in prange(N * C_out, nogil=True, schedule="static", num_threads=threads):
        n = job // C_out
        co = job % C_out
        memset(&y[n, co, 0, 0, 0], 0, plane * sizeof(real))
        for ci in range(C_in_g):
            c = (co // C_out_g) * C_in_g + ci
            for kd in range(g.K[0]):
                r = _inside(&g, 0, kd)
                offd, d0, d1 = r.off, r.lo, r.hi
                for kh in range(g.K[1]):
                    r = _inside(&g, 1, kh)
                    offh, h0, h1 = r.off, r.lo, r.hi
                    for kw in range(g.K[2]):
                        r = _inside(&g, 2, kw)
                        offw, w0, w1 = r.off, r.lo, r.hi
                        wv = w[c, co % C_out_g, kd, kh, kw]
                        for i0 in range(d0, d1):
                            yd = i0 * g.s[0] + offd
                            for i1 in range(h0, h1):
                                yh = i1 * g.s[1] + offh
                                yrow = &y[n, co, yd, yh, 0]
                                xrow = &x[n, c, i0, i1, 0]
                                for i2 in range(w0, w1):
                                    yrow[i2 * g.s[2] + offw] += wv * xrow[i2]
# [end loops: conv_transpose_forward]


# [loops: conv_weight_grad]
cdef void _direct_weight_grad(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] gy,
                              real[:, :, :, :, ::1] gw, Geometry g, Py_ssize_t groups,
                              int threads):
    cdef Py_ssize_t N = x.shape[0], C_out = gw.shape[0], C_in_g = gw.shape[1]
    cdef Py_ssize_t C_out_g = C_out // groups
    cdef Py_ssize_t W = g.window[2]
    cdef Py_ssize_t job, n, co, ci, c, kd, kh, kw, od, oh, ow, idd, ih
    cdef Py_ssize_t offd, offh, offw, od0, od1, oh0, oh1, ow0, ow1
    cdef Inside r
    cdef double total
    cdef double* acc
    cdef const real* grow
    cdef const real* xrow
    acc = NULL
    with nogil, parallel(num_threads=threads):
        # Per-thread row of partial sums: the innermost loop is an elementwise
        # multiply-add (vectorisable), summed once per weight at the end.
        acc = <double*> malloc(W * sizeof(double))
        for job in prange(C_out * C_in_g, schedule="static"):
            co = job // C_in_g
            ci = job % C_in_g
            c = (co // C_out_g) * C_in_g + ci
            for kd in range(g.K[0]):
                r = _inside(&g, 0, kd)
                offd, od0, od1 = r.off, r.lo, r.hi
                for kh in range(g.K[1]):
                    r = _inside(&g, 1, kh)
                    offh, oh0, oh1 = r.off, r.lo, r.hi
                    for kw in range(g.K[2]):
                        r = _inside(&g, 2, kw)
                        offw, ow0, ow1 = r.off, r.lo, r.hi
                        memset(acc, 0, W * sizeof(double))
                        for n in range(N):
                            for od in range(od0, od1):
                                idd = od * g.s[0] + offd
                                for oh in range(oh0, oh1):
                                    ih = oh * g.s[1] + offh
                                    grow = &gy[n, co, od, oh, 0]
                                    xrow = &x[n, c, idd, ih, 0]
                                    for ow in range(ow0, ow1):
                                        acc[ow] += grow[ow] * xrow[ow * g.s[2] + offw]
                        total = 0
                        for ow in range(ow0, ow1):
                            total = total + acc[ow]
                        gw[co, ci, kd, kh, kw] = <real> total
        free(acc)
# [end loops: conv_weight_grad]


# ----------------------------------------------------------------------------------
# im2col / col2im. One channel at a time, on raw pointers, so the same code serves the
# parallel unfold / fold, the batch-chunk GEMM path and the per-sample path: the
# channel's image ``xc`` is contiguous (D, H, W) with the sizes g.image; its prod(K)
# column rows start at ``dst0`` (``src0``), ``row_stride`` elements apart, each row a
# contiguous run of prod(g.window) values.

# [loops: conv_forward]
# [loops: conv_weight_grad]
# [loops: unfold]
cdef inline void _im2col_channel(const real* xc, real* dst0, Py_ssize_t row_stride,
                                 const Geometry* g, Py_ssize_t q0,
                                 Py_ssize_t q1) noexcept nogil:
    """The columns of window rows ``q0 <= q < q1`` (row ``q = od*H + oh``, each row the
    W positions ``ow``): ``dst0[k * row_stride + (q - q0)*W + ow] = xc[o*s + k*dil - p]``
    (0 outside xc), for every k. ``q0, q1 = 0, D*H`` is the whole window.

    Two ways to the same values. A strided kernel larger than 1x1 reads each input
    value several times at scattered places, with bounds and padding work for every row
    and kernel offset; there the input is first copied once into a zero-padded box and
    every row is then a branch-free gather from it (:c:func:`_im2col_box`). Otherwise
    rows are copied straight from the input, with the padding's zeros written around
    them (:c:func:`_im2col_rows`). Measured (float32, one build switching between the
    two on the same arrays, calls interleaved, box time / rows time, at 1 and at 2
    threads): 3x3 stride 2 16->32 32x32 forward 0.80-0.81, weight gradient 0.79-0.90;
    32->64 16x16 0.86-0.87 and 0.86; conv1d k4 s2 32->16 L256 0.71-0.77 and 0.83-0.90;
    the k4 s2 conv_transpose2d's input gradient (a k4 s2 conv) 0.81-0.85. Slower: 1x1
    stride 2 (nothing read twice) 1.12-1.52; stride 1 gained nothing (0.96-1.09): rows.
    Compared across two builds loaded side by side the gains were smaller (0.9-1.0)
    and within that comparison's noise."""
    if g.K[0] * g.K[1] * g.K[2] > 1 and (g.s[0] > 1 or g.s[1] > 1 or g.s[2] > 1):
        _im2col_box(xc, dst0, row_stride, g, q0, q1)
    else:
        _im2col_rows(xc, dst0, row_stride, g, q0, q1)


cdef void _im2col_rows(const real* xc, real* dst0, Py_ssize_t row_stride,
                       const Geometry* g, Py_ssize_t q0, Py_ssize_t q1) noexcept nogil:
    """:c:func:`_im2col_channel` row by row from the input: for each kernel offset the
    rows inside the image are copied (one block per plane when the rows are
    contiguous in both), the padding's entries zeroed."""
    cdef Py_ssize_t H = g.window[1], W = g.window[2]
    cdef Py_ssize_t IH = g.image[1], IW = g.image[2]
    cdef Py_ssize_t kd, kh, kw, od, oh, ow, idd, ih
    cdef Py_ssize_t offd, offh, offw, ow0, ow1, oh0, oh1, a, b, lo, hi, base
    cdef Inside r
    cdef real* dst
    cdef real* rowk = dst0
    cdef const real* xrow
    # Stride 1 along H and W with the output as wide as the input ("same" padding):
    # consecutive output rows read consecutive input rows, so a plane's rows are copied
    # as one block instead of one short row (7-28 values here) at a time.
    cdef bint block = g.s[1] == 1 and g.s[2] == 1 and IW == W
    if q1 <= q0:
        return
    for kd in range(g.K[0]):
        offd = kd * g.dil[0] - g.p[0]
        for kh in range(g.K[1]):
            r = _inside(g, 1, kh)
            offh, oh0, oh1 = r.off, r.lo, r.hi
            for kw in range(g.K[2]):
                r = _inside(g, 2, kw)
                offw, ow0, ow1 = r.off, r.lo, r.hi
                for od in range(q0 // H, (q1 - 1) // H + 1):
                    # rows a <= oh < b of plane od are in the range; row oh goes to
                    # rowk + (base + oh) * W
                    base = od * H - q0
                    a = max(-base, 0)
                    b = min(q1 - q0 - base, H)
                    idd = od * g.s[0] + offd
                    if block and 0 <= idd < g.image[0]:
                        # rows lo..hi (those of oh0..oh1 in a..b) are one contiguous
                        # block in x and in the columns: one copy, then zero the entries
                        # of each row outside [ow0, ow1), which the block took from its
                        # neighbours, and the rows outside [lo, hi)
                        lo = min(max(oh0, a), b)
                        hi = max(min(oh1, b), lo)
                        memset(rowk + (base + a) * W, 0, (lo - a) * W * sizeof(real))
                        if ow1 > ow0 and hi > lo:
                            memcpy(rowk + (base + lo) * W + ow0,
                                   xc + (idd * IH + lo + offh) * IW + ow0 + offw,
                                   ((hi - 1 - lo) * W + ow1 - ow0) * sizeof(real))
                        for oh in range(lo, hi):
                            dst = rowk + (base + oh) * W
                            for ow in range(ow0):
                                dst[ow] = 0
                            for ow in range(ow1, W):
                                dst[ow] = 0
                        memset(rowk + (base + hi) * W, 0, (b - hi) * W * sizeof(real))
                        continue
                    for oh in range(a, b):
                        ih = oh * g.s[1] + offh
                        dst = rowk + (base + oh) * W
                        if idd < 0 or idd >= g.image[0] or ih < 0 or ih >= IH:
                            memset(dst, 0, W * sizeof(real))
                            continue
                        xrow = xc + (idd * IH + ih) * IW
                        for ow in range(ow0):
                            dst[ow] = 0
                        if g.s[2] == 1:                     # contiguous: a plain copy
                            memcpy(dst + ow0, xrow + ow0 + offw, (ow1 - ow0) * sizeof(real))
                        else:
                            for ow in range(ow0, ow1):
                                dst[ow] = xrow[ow * g.s[2] + offw]
                        for ow in range(ow1, W):
                            dst[ow] = 0
                rowk = rowk + row_stride

cdef void _im2col_box(const real* xc, real* dst0, Py_ssize_t row_stride,
                      const Geometry* g, Py_ssize_t q0, Py_ssize_t q1) noexcept nogil:
    """:c:func:`_im2col_channel` through a box: the input positions the rows read (from
    window rows q0..q1, every kernel offset), zero outside the image, copied once into
    a scratch box; then each column row is a gather from the box without a bounds test.
    Falls back to :c:func:`_im2col_rows` when the box cannot be allocated."""
    cdef Py_ssize_t H = g.window[1], W = g.window[2]
    cdef Py_ssize_t ID = g.image[0], IH = g.image[1], IW = g.image[2]
    cdef Py_ssize_t od_a, od_b, oh_a, oh_b, d0, h0, w0, nd, nh, nw, bd, bh, idd, ih
    cdef Py_ssize_t kd, kh, kw, od, oh, ow, a, b, base, c0, c1
    cdef real* box
    cdef real* brow
    cdef real* dst
    cdef real* rowk = dst0
    cdef const real* src
    cdef const real* plane
    if q1 <= q0:
        return
    od_a = q0 // H
    od_b = (q1 - 1) // H
    if od_a == od_b:
        oh_a = q0 - od_a * H
        oh_b = q1 - 1 - od_a * H
    else:
        oh_a = 0
        oh_b = H - 1
    # the box: image positions d0.., h0.., w0.. (nd x nh x nw) that the window rows
    # q0..q1 read; row oh of window plane od starts at box row
    # ((od - od_a)*s + kd*dil, (oh - oh_a)*s + kh*dil) for kernel offset (kd, kh)
    d0 = od_a * g.s[0] - g.p[0]
    nd = (od_b - od_a) * g.s[0] + (g.K[0] - 1) * g.dil[0] + 1
    h0 = oh_a * g.s[1] - g.p[1]
    nh = (oh_b - oh_a) * g.s[1] + (g.K[1] - 1) * g.dil[1] + 1
    w0 = -g.p[2]
    nw = (W - 1) * g.s[2] + (g.K[2] - 1) * g.dil[2] + 1
    box = <real*> malloc(nd * nh * nw * sizeof(real))
    if box == NULL:
        _im2col_rows(xc, dst0, row_stride, g, q0, q1)
        return
    c0 = min(max(-w0, 0), nw)
    c1 = max(min(IW - w0, nw), c0)
    for bd in range(nd):
        idd = d0 + bd
        for bh in range(nh):
            ih = h0 + bh
            brow = box + (bd * nh + bh) * nw
            if idd < 0 or idd >= ID or ih < 0 or ih >= IH:
                memset(brow, 0, nw * sizeof(real))
                continue
            memset(brow, 0, c0 * sizeof(real))
            if c1 > c0:
                memcpy(brow + c0, xc + (idd * IH + ih) * IW + w0 + c0,
                       (c1 - c0) * sizeof(real))
            memset(brow + c1, 0, (nw - c1) * sizeof(real))
    for kd in range(g.K[0]):
        for kh in range(g.K[1]):
            for kw in range(g.K[2]):
                for od in range(od_a, od_b + 1):
                    base = od * H - q0
                    a = max(-base, 0)
                    b = min(q1 - q0 - base, H)
                    plane = (box + ((od - od_a) * g.s[0] + kd * g.dil[0]) * nh * nw
                             + kw * g.dil[2])
                    for oh in range(a, b):
                        src = plane + ((oh - oh_a) * g.s[1] + kh * g.dil[1]) * nw
                        dst = rowk + (base + oh) * W
                        if g.s[2] == 1:
                            for ow in range(W):
                                dst[ow] = src[ow]
                        else:
                            for ow in range(W):
                                dst[ow] = src[ow * g.s[2]]
                rowk = rowk + row_stride
    free(box)
# [end loops: unfold]
# [end loops: conv_weight_grad]
# [end loops: conv_forward]


# [loops: conv_transpose_forward]
# [loops: fold]
cdef void _col2im_channel(const real* src0, Py_ssize_t row_stride, real* yc,
                          const Geometry* g) noexcept nogil:
    """yc = 0, then yc[o*s + k*dil - p] += src0[k * row_stride + o] (if inside yc)."""
    cdef Py_ssize_t H = g.window[1], W = g.window[2]
    cdef Py_ssize_t IH = g.image[1], IW = g.image[2]
    cdef Py_ssize_t kd, kh, kw, od, oh, ow, idd, ih
    cdef Py_ssize_t offd, offh, offw, od0, od1, oh0, oh1, ow0, ow1
    cdef Inside r
    cdef const real* rowk = src0
    cdef const real* src
    cdef real* yrow
    memset(yc, 0, g.image[0] * IH * IW * sizeof(real))
    for kd in range(g.K[0]):
        r = _inside(g, 0, kd)
        offd, od0, od1 = r.off, r.lo, r.hi
        for kh in range(g.K[1]):
            r = _inside(g, 1, kh)
            offh, oh0, oh1 = r.off, r.lo, r.hi
            for kw in range(g.K[2]):
                r = _inside(g, 2, kw)
                offw, ow0, ow1 = r.off, r.lo, r.hi
                for od in range(od0, od1):
                    idd = od * g.s[0] + offd
                    for oh in range(oh0, oh1):
                        ih = oh * g.s[1] + offh
                        src = rowk + (od * H + oh) * W
                        yrow = yc + (idd * IH + ih) * IW
                        if g.s[2] == 1:                     # contiguous: vectorisable
                            _add_row(yrow + offw, src, ow0, ow1)
                        else:
                            for ow in range(ow0, ow1):
                                yrow[ow * g.s[2] + offw] += src[ow]
                rowk = rowk + row_stride
# [end loops: fold]
# [end loops: conv_transpose_forward]


# cols is viewed (samples, rows, L) with rows = c*prod(K) + k. The view may be strided
# (a batch chunk stored (rows, samples, L)) but each row of L values is contiguous
# (checked in _run_im2col / _run_col2im).

# [loops: conv_forward]
# [loops: conv_weight_grad]
# [loops: unfold]
cdef void _im2col(const real[:, :, :, :, ::1] x, real[:, :, :] cols, Py_ssize_t n0,
                  Geometry g, int threads):
    cdef Py_ssize_t nc = cols.shape[0], C = x.shape[1]
    cdef Py_ssize_t KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t row_stride = cols.strides[1] // sizeof(real)
    cdef Py_ssize_t job, nl, c
    for job in prange(nc * C, nogil=True, schedule="static", num_threads=threads):
        nl = job // C
        c = job % C
        _im2col_channel(&x[n0 + nl, c, 0, 0, 0], &cols[nl, c * KK, 0], row_stride, &g, 0,
                        g.window[0] * g.window[1])
# [end loops: unfold]
# [end loops: conv_weight_grad]
# [end loops: conv_forward]


# [loops: conv_transpose_forward]
# [loops: fold]
cdef void _col2im(const real[:, :, :] cols, real[:, :, :, :, ::1] y, Py_ssize_t n0,
                  Geometry g, int threads):
    cdef Py_ssize_t nc = cols.shape[0], C = y.shape[1]
    cdef Py_ssize_t KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t row_stride = cols.strides[1] // sizeof(real)
    cdef Py_ssize_t job, nl, c
    for job in prange(nc * C, nogil=True, schedule="static", num_threads=threads):
        nl = job // C
        c = job % C
        _col2im_channel(&cols[nl, c * KK, 0], row_stride, &y[n0 + nl, c, 0, 0, 0], &g)
# [end loops: fold]
# [end loops: conv_transpose_forward]

# ----------------------------------------------------------------------------------
# The per-sample GEMM path: every OpenMP thread takes whole samples and, for each,
# unfolds it into its own column matrix and calls BLAS itself (OpenBLAS set to one
# thread meanwhile), so the reshuffles run on all threads and the columns stay in the
# cache of the core that multiplies them. ``ws`` holds one column matrix per thread;
# ``full``, when not empty, holds every sample's columns (N, R, L) instead, for a
# ``columns`` holder.

# [loops: conv_forward]
cdef void _sample_conv(const real[:, :, :, :, ::1] x, const real[:, ::1] w,
                       real[:, :, :, :, ::1] y, real[::1] ws, real[::1] full, Geometry g,
                       Py_ssize_t groups, Py_ssize_t tile_rows, int threads):
    # Column tiles: window rows q0 <= q < q0 + tile_rows (``tile_rows`` whole rows of W
    # positions, _tile_rows), unfolded into the thread's workspace (or into the kept
    # full-batch columns at their place, row stride L) and multiplied straight into
    # y[n, :, q0*W : q1*W] (ldc = L): each GEMM's column block is small and contiguous.
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], C_out = y.shape[1]
    cdef Py_ssize_t KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t Q = g.window[0] * g.window[1], W = g.window[2]
    cdef Py_ssize_t L = Q * W, T = min(tile_rows, Q) * W
    cdef Py_ssize_t R = C_in * KK, rows_g = R // groups, C_out_g = C_out // groups
    cdef real* fp = NULL
    cdef Py_ssize_t tiles = (Q + tile_rows - 1) // tile_rows
    cdef Py_ssize_t n, c, gi, t, q0, q1, ld
    cdef real* cols
    if full.shape[0] > 0:
        fp = &full[0]
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        for t in range(tiles):
            q0 = t * tile_rows
            q1 = min(q0 + tile_rows, Q)
            if fp != NULL:                       # kept: this tile's place in sample n
                cols = fp + n * R * L + q0 * W
                ld = L
            else:
                cols = &ws[threadid() * R * T]
                ld = (q1 - q0) * W
            for c in range(C_in):
                _im2col_channel(&x[n, c, 0, 0, 0], cols + c * KK * ld, ld, &g, q0, q1)
            for gi in range(groups):             # y[n, group, tile] = w[group] @ cols[group]
                _gemm(False, False, C_out_g, (q1 - q0) * W, rows_g, &w[gi * C_out_g, 0],
                      rows_g, cols + gi * rows_g * ld, ld, 0,
                      &y[n, gi * C_out_g, 0, 0, 0] + q0 * W, L)
# [end loops: conv_forward]


# [loops: conv_transpose_forward]
cdef void _sample_conv_transpose(const real[:, :, :, :, ::1] x, const real[:, ::1] w,
                                 real[:, :, :, :, ::1] y, real[::1] ws, Geometry g,
                                 Py_ssize_t groups, int threads):
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], C_out = y.shape[1]
    cdef Py_ssize_t KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t L = g.window[0] * g.window[1] * g.window[2]
    cdef Py_ssize_t R = C_out * KK, rows_g = R // groups, C_in_g = C_in // groups
    cdef Py_ssize_t n, c, gi
    cdef real* cols
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        cols = &ws[threadid() * R * L]
        for gi in range(groups):                 # cols[group] = w[group].T @ x[n, group]
            _gemm(True, False, rows_g, L, C_in_g, &w[gi * C_in_g, 0], rows_g,
                  &x[n, gi * C_in_g, 0, 0, 0], L, 0, cols + gi * rows_g * L, L)
        for c in range(C_out):
            _col2im_channel(cols + c * KK * L, L, &y[n, c, 0, 0, 0], &g)
# [end loops: conv_transpose_forward]


# [loops: conv_weight_grad]
cdef void _sample_weight_grad(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] gy,
                              real[:, ::1] parts, real[::1] ws, real[::1] full, Geometry g,
                              Py_ssize_t groups, bint transposed, int threads):
    # parts[t] (zeroed by the caller): thread t's sum over its samples, per group
    # (rows_g, C_out_g) when ``transposed``, else (C_out_g, rows_g)
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], C_out = gy.shape[1]
    cdef Py_ssize_t KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t L = g.window[0] * g.window[1] * g.window[2]
    cdef Py_ssize_t R = C_in * KK, rows_g = R // groups, C_out_g = C_out // groups
    cdef real* fp = NULL
    cdef Py_ssize_t n, c, gi, t
    cdef real* cols
    cdef real* acc
    cdef const real* gyg
    if full.shape[0] > 0:
        fp = &full[0]
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        t = threadid()
        if fp != NULL:                           # computed by conv_forward
            cols = fp + n * R * L
        else:
            cols = &ws[t * R * L]
            for c in range(C_in):
                _im2col_channel(&x[n, c, 0, 0, 0], cols + c * KK * L, L, &g, 0,
                                g.window[0] * g.window[1])
        for gi in range(groups):
            gyg = &gy[n, gi * C_out_g, 0, 0, 0]
            acc = &parts[t, gi * rows_g * C_out_g]
            if transposed:                       # acc += cols[group] @ gy[n, group].T
                _gemm(False, True, rows_g, C_out_g, L, cols + gi * rows_g * L, L, gyg, L,
                      1, acc, C_out_g)
            else:                                # acc += gy[n, group] @ cols[group].T
                _gemm(False, True, C_out_g, rows_g, L, gyg, L, cols + gi * rows_g * L, L,
                      1, acc, rows_g)
# [end loops: conv_weight_grad]


# ----------------------------------------------------------------------------------
# The loop functions on plain arrays. Each takes typed memoryviews of the fused type
# ``real``: Cython picks the float or double specialisation from the arrays' dtype (the
# one dispatch rule of this file). ``geo`` is :func:`_geo`'s tuple; arrays are 5-d
# (``_sizes.as_5d``).

def _run_direct_conv(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] w,
                     real[:, :, :, :, ::1] y, geo, Py_ssize_t groups, int threads):
    _direct_conv(x, w, y, _geometry(geo), groups, threads)


def _run_direct_conv_transpose(const real[:, :, :, :, ::1] x,
                               const real[:, :, :, :, ::1] w, real[:, :, :, :, ::1] y,
                               geo, Py_ssize_t groups, int threads):
    _direct_conv_transpose(x, w, y, _geometry(geo), groups, threads)


def _run_direct_weight_grad(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] gy,
                            real[:, :, :, :, ::1] gw, geo, Py_ssize_t groups, int threads):
    _direct_weight_grad(x, gy, gw, _geometry(geo), groups, threads)


def _run_im2col(const real[:, :, :, :, ::1] x, real[:, :, :] cols, Py_ssize_t n0, geo,
                int threads):
    """cols: (samples, C*prod(K), L), may be a strided view with contiguous rows."""
    assert cols.shape[2] <= 1 or cols.strides[2] == sizeof(real), "im2col: rows must be contiguous"
    _im2col(x, cols, n0, _geometry(geo), threads)


def _run_col2im(const real[:, :, :] cols, real[:, :, :, :, ::1] y, Py_ssize_t n0, geo,
                int threads):
    assert cols.shape[2] <= 1 or cols.strides[2] == sizeof(real), "col2im: rows must be contiguous"
    _col2im(cols, y, n0, _geometry(geo), threads)


def _run_sample_conv(const real[:, :, :, :, ::1] x, const real[:, ::1] w,
                     real[:, :, :, :, ::1] y, real[::1] ws, real[::1] full, geo,
                     Py_ssize_t groups, Py_ssize_t tile_rows):
    _sample_conv(x, w, y, ws, full, _geometry(geo), groups, tile_rows,
                 <int> _SAMPLE_THREADS)


def _run_sample_conv_transpose(const real[:, :, :, :, ::1] x, const real[:, ::1] w,
                               real[:, :, :, :, ::1] y, real[::1] ws, geo,
                               Py_ssize_t groups):
    _sample_conv_transpose(x, w, y, ws, _geometry(geo), groups, <int> _SAMPLE_THREADS)


def _run_sample_weight_grad(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] gy,
                            real[:, ::1] parts, real[::1] ws, real[::1] full, geo,
                            Py_ssize_t groups, bint transposed):
    _sample_weight_grad(x, gy, parts, ws, full, _geometry(geo), groups, transposed,
                        <int> _SAMPLE_THREADS)


# ----------------------------------------------------------------------------------
# The choice of path

def _path(N, C_in_g, C_out_g, column_elements, *sizes):
    """``"direct"``, ``"per-sample"`` or ``"batch-chunk"`` for a call (module docstring).

    * direct when ``C_in_g * C_out_g <= _DIRECT_MAX_CHANNEL_PAIRS``: the matrices of
      depthwise and small-group convs are too thin for BLAS (measured 2-4x faster
      direct; 4x4 groups already 2x faster through GEMM);
    * per-sample when NumPy's OpenBLAS was found, every thread gets a sample, the
      column matrices of all threads (``column_elements`` each) fit in
      ``_PER_SAMPLE_MAX_ELEMENTS``, the matrix sizes fit the BLAS's integers, and the
      loop may use all its threads (``_openmp.threads_for``: not a small
      loop): measured 1.4-2x faster
      than batch-chunk (the copies run on every core, the columns stay in its cache);
    * batch-chunk otherwise.
    """
    if C_in_g * C_out_g <= _DIRECT_MAX_CHANNEL_PAIRS:
        return "direct"
    if (_BLAS is not None and N >= _SAMPLE_THREADS
            and _SAMPLE_THREADS * column_elements <= _PER_SAMPLE_MAX_ELEMENTS
            and max(column_elements, *sizes) <= _BLAS_MAX
            and threads_for(N * column_elements) >= _SAMPLE_THREADS):
        return "per-sample"
    return "batch-chunk"


def _sizes_and_path(N, C_in_g, C_out, groups, S, O, K, stride, padding, dilation):
    """For a convolution of ``x`` (N, C_in_g * groups, *S) to (N, C_out, *O): the window
    count ``L``, the GEMM depth per group ``rows_g`` and in all ``R``, the geometry and
    the :func:`_path`."""
    L = math.prod(O)
    rows_g = C_in_g * math.prod(K)
    R = groups * rows_g
    path = _path(N, C_in_g, C_out // groups, R * L, C_out * L)
    return L, rows_g, R, _geo(S, O, K, stride, padding, dilation), path


def _tile_rows(O, rows_g, C_out_g):
    """Window rows (W output positions each) per column tile of the per-sample forward:
    about ``_TILE_COLUMNS`` positions when tiling pays, else all of them (one GEMM).

    OpenBLAS (NumPy's, one thread, on this Zen 4) multiplies a thin weight (16 rows)
    by a wide column matrix slowly: ``W(16x144) @ cols(144x1024)`` ran at 40-56
    GFLOP/s, the same product as four GEMMs of 256 contiguous columns at 73-76 (and a
    wide one with 32-64 rows at 68-89 either way). Tiling also keeps each tile's
    columns in the cache between im2col and the GEMM. Measured on the whole
    conv_forward (float32, 3x3, 1 thread, tiled time / one GEMM per sample, two runs):
    16->16 32x32 0.66-0.74 (T = 256-384), 16->16 24x24 0.69-0.76 at T = 384 (0.80-0.85
    at 256), 3-d 8->8 12^3 0.74-0.77, the 3->16 stem (depth 27) 0.90-0.93; no gain or
    slower: at most 256 positions (16x16 maps, 0.95-1.13), 32 output channels
    (32->32 32x32 1.01-1.24, 64 at 14x14 1.02-1.03), depth 9 (1->32 28x28 1.12-1.15).
    T = 128 was slower than 384 everywhere.
    """
    D, H, W = as_3d(O, 1)
    if (D * H * W < _TILE_MIN_COLUMNS or rows_g < _TILE_MIN_DEPTH
            or C_out_g > _TILE_MAX_OUT):
        return D * H
    return max(1, _TILE_COLUMNS // W)


def _as_flipped_conv(stride, padding, output_padding, dilation, K, C_in, C_out):
    """The padding of the convolution a conv_transpose equals, when running it as that
    convolution is the faster path; else None.

    With stride 1 and no output_padding, ``y[o] = sum_k x[o + p - k*dil] w[k]`` is a
    convolution of ``x`` with the kernel flipped, padded by ``dil*(K-1) - p`` on both
    sides (when that is not negative). Run as a conv (im2col's copies, one GEMM) it
    avoids col2im's scatter of ``prod(K)`` short row additions per output value, but
    its column matrix has ``C_in * prod(K)`` rows instead of ``C_out * prod(K)``: taken
    when ``C_in <= C_out``. Measured (CPU time, 1 thread, float32, both ways in one
    process, ``C_in -> C_out`` of the conv_transpose, batch 32): 3x3, 16->16 32x32
    0.86-0.88x the col2im path's time, 32->32 16x16 0.89x, 64->64 8x8 0.90-0.93x,
    16->32 16x16 0.65x, 32->64 16x16 0.69x; k3 1d 16->16 L256 0.78-0.81x; with
    ``C_in > C_out`` slower: 32->16 16x16 1.15x, 64->32 14x14 (batch 64) 1.13-1.15x.
    """
    if any(s != 1 for s in stride) or any(output_padding) or C_in > C_out:
        return None
    pad = tuple(d * (k - 1) - p for d, k, p in zip(dilation, K, padding))
    return pad if min(pad) >= 0 else None


def _flipped_weight(w, groups):
    """A conv_transpose's weight (C_in, C_out/g, *K) as the weight of the equal conv
    (C_out, C_in/g, *K): per group, input and output channels swapped, every spatial
    axis reversed."""
    C_in, C_out_g = w.shape[:2]
    K = w.shape[2:]
    wg = w.reshape(groups, C_in // groups, C_out_g, *K).swapaxes(1, 2)
    wg = wg[(Ellipsis,) + (slice(None, None, -1),) * len(K)]
    return np.ascontiguousarray(wg).reshape(groups * C_out_g, C_in // groups, *K)


def _no_columns(dtype):
    return np.empty(0, dtype=dtype)


# ----------------------------------------------------------------------------------
# The three paths of each GEMM kernel, behind its public entry point (which checks the
# arguments first). ``columns`` is the private holder of _transpose_grads: a dict, or
# None.

def _forward(x, w, stride, padding, dilation, groups, columns):
    """conv_forward; on a GEMM path with ``columns`` given, the full-batch columns of
    ``x`` (at most ``_COLUMNS_MAX_BYTES``) are kept there for :func:`_weight_grad`."""
    N, C_in = x.shape[:2]
    C_out, C_in_g = w.shape[:2]
    K = w.shape[2:]
    S = x.shape[2:]
    O = tuple(conv_output_size(*a) for a in zip(S, K, stride, padding, dilation))
    y = np.empty((N, C_out) + O, dtype=x.dtype)
    if y.size == 0:
        return y
    C_out_g = C_out // groups
    L, rows_g, R, geo, path = _sizes_and_path(N, C_in_g, C_out, groups, S, O, K, stride,
                                              padding, dilation)
    if path == "direct":
        _run_direct_conv(as_5d(x), as_5d(w), as_5d(y), geo, groups,
                         threads_for(y.size * rows_g))
        return y
    if columns is not None:
        columns.clear()
    if path == "per-sample":
        tile_rows = _tile_rows(O, rows_g, C_out_g)
        Q = L // as_3d(O, 1)[2]                  # window rows of W positions
        full = _no_columns(x.dtype)
        # Not kept when the forward goes by tiles: writing the full matrix out of the
        # cache cost more than the weight gradient's second im2col (_transpose_grads)
        if (columns is not None and tile_rows >= Q
                and R * N * L * x.itemsize <= _COLUMNS_MAX_BYTES):
            full = np.empty(N * R * L, dtype=x.dtype)
            columns.update(x=x, cols=full, key=_columns_key(x, geo, groups, 0))
        ws = _workspace("cols", (_SAMPLE_THREADS * R * min(tile_rows, Q) * (L // Q),),
                        x.dtype)
        with _blas.one_thread():
            _run_sample_conv(as_5d(x), w.reshape(C_out, -1), as_5d(y), ws, full, geo,
                             groups, tile_rows)
        return y
    w_mat = w.reshape(groups, C_out_g, rows_g)
    nb = _chunk(N, R * L)
    full = None
    if columns is not None and R * N * L * x.itemsize <= _COLUMNS_MAX_BYTES:
        full = np.empty(R * N * L, dtype=x.dtype)
        columns.update(x=x, cols=full, key=_columns_key(x, geo, groups, nb))
    with _blas.product_threads(2 * N * L * C_out * rows_g):   # on OpenBLAS's threads
        for n0 in range(0, N, nb):
            nc = min(nb, N - n0)
            cols = _chunk_of_columns(x, full, R, n0, nc, L, geo, True)   # kept when full
            cols = cols.reshape(groups, rows_g, nc * L)
            if nc == 1:                                      # multiply straight into y
                np.matmul(w_mat, cols, out=y[n0].reshape(groups, C_out_g, L))
            else:
                out = _workspace("out", (C_out, nc, L), x.dtype)
                np.matmul(w_mat, cols, out=out.reshape(groups, C_out_g, nc * L))
                y[n0:n0 + nc].reshape(nc, C_out, L)[...] = out.transpose(1, 0, 2)
    return y


def _weight_grad(x, grad_y, K, stride, padding, dilation, groups, columns):
    """conv_weight_grad; reads the columns of this very ``x`` from ``columns`` when
    :func:`_forward` kept them there (the same values, so the same result)."""
    N, C_in = x.shape[:2]
    C_out = grad_y.shape[1]
    K = tuple(K)
    S = x.shape[2:]
    O = grad_y.shape[2:]
    C_in_g, C_out_g = C_in // groups, C_out // groups
    if N == 0:
        return np.zeros((C_out, C_in_g) + K, dtype=x.dtype)
    grad_w = np.empty((C_out, C_in_g) + K, dtype=x.dtype)
    L, rows_g, R, geo, path = _sizes_and_path(N, C_in_g, C_out, groups, S, O, K, stride,
                                              padding, dilation)
    if path == "direct":
        _run_direct_weight_grad(as_5d(x), as_5d(grad_y), as_5d(grad_w), geo, groups,
                                threads_for(grad_y.size * rows_g))
        return grad_w
    # BLAS runs cols @ gy.T 20-50% faster than gy @ cols.T when cols has more rows
    # (10% slower with fewer, e.g. C_in = 1): then the transposed gradient is summed,
    # and transposed once at the end.
    transposed = rows_g >= C_out_g
    if path == "per-sample":
        full = _kept_columns(columns, x, _columns_key(x, geo, groups, 0))
        parts = np.zeros((_SAMPLE_THREADS, R * C_out_g), dtype=x.dtype)
        ws = _workspace("cols", (_SAMPLE_THREADS * R * L,), x.dtype) if full is None else full
        with _blas.one_thread():
            _run_sample_weight_grad(as_5d(x), as_5d(grad_y), parts, ws,
                                    _no_columns(x.dtype) if full is None else full,
                                    geo, groups, transposed)
        total = parts.sum(axis=0)
        if transposed:
            total = total.reshape(groups, rows_g, C_out_g).transpose(0, 2, 1)
        grad_w.reshape(groups, C_out_g, rows_g)[...] = total.reshape(groups, C_out_g, rows_g)
        return grad_w
    gw_mat = grad_w.reshape(groups, C_out_g, rows_g)
    gw_t = np.empty((groups, rows_g, C_out_g), dtype=x.dtype) if transposed else gw_mat
    nb = _chunk(N, R * L)
    full = _kept_columns(columns, x, _columns_key(x, geo, groups, nb))
    with _blas.product_threads(2 * N * L * C_out * rows_g):   # on OpenBLAS's threads
        for n0 in range(0, N, nb):
            nc = min(nb, N - n0)
            cols = _chunk_of_columns(x, full, R, n0, nc, L, geo, full is None)
            cols = cols.reshape(groups, rows_g, nc * L)
            gy = _chunk_by_channel(grad_y, n0, nc, groups, "gy")
            if n0 == 0:
                _gemm_nt(cols, gy, gw_t, transposed)
            else:
                part = _workspace("part", gw_t.shape, x.dtype)
                _gemm_nt(cols, gy, part, transposed)
                gw_t += part
    if transposed:
        gw_mat[...] = gw_t.transpose(0, 2, 1)
    return grad_w


def _transpose_grads(grad_y, x, w, stride, padding, dilation, groups):
    """Both gradients of a conv_transpose: ``(conv_forward(grad_y, w),
    conv_weight_grad(grad_y, x, w.shape[2:]))`` (its input gradient, and its weight
    gradient with the roles of input and output gradient swapped), with the im2col
    columns of ``grad_y`` formed once for both (kept up to ``_COLUMNS_MAX_BYTES``).

    Private to the compiled twin (the reference forms no columns): the op layer calls
    it where the active twin has it. Measured against the two separate calls (op
    forward + backward): conv_transpose2d N64 64->32 7x7 18% faster, conv_transpose1d
    N8 64->64 L1024 4% faster. Measured again with the forward's column tiles (this
    function, kept vs recomputed columns, one thread, interleaved, three runs):
    kept 0.84-0.96x the time for the homework models' conv_transposes (2d 64->32 k4 s2
    7x7, 1d k4 s2 64->32, 32->8, 32->16) but 1.55-1.60x for a stride-1 3x3 16->16 at
    32x32, whose forward goes by tiles: there the columns are not kept (:func:`_forward`).
    """
    _checks.conv_forward(grad_y, w, stride, padding, dilation, groups)
    _checks.conv_weight_grad(grad_y, x, w.shape[2:], stride, padding, dilation, groups)
    columns = {}
    grad_x = _forward(grad_y, w, stride, padding, dilation, groups, columns)
    grad_w = _weight_grad(grad_y, x, w.shape[2:], stride, padding, dilation, groups, columns)
    return grad_x, grad_w


# ----------------------------------------------------------------------------------
# The kernels

# [kernel: conv_forward]
def conv_forward(x, w, stride, padding, dilation, groups):
    """Convolution of ``x`` (N, C_in, *S) with ``w`` (C_out, C_in//groups, *K), no bias.

    Computes::

        for n, c_o, o:
            y[n, c_o, o] = sum over c_i in group(c_o), k of
                           w[c_o, c_i, k] * x[n, c_i, o*s + k*dil - p]   (0 outside x)

    Direct path: ``prange`` over ``(n, c_o)``, then ``c_i``, ``k``, ``o``. GEMM paths,
    ``prange`` over ``n`` (per sample) or per batch chunk: ``cols = im2col(x)``;
    ``y = w.reshape(C_out, -1) @ cols`` per group.
    Same contract as the reference twin ``lucid._ext.conv.conv_forward``; returns a new
    array of shape (N, C_out, *O).
    """
    _checks.conv_forward(x, w, stride, padding, dilation, groups)
    return _forward(x, w, stride, padding, dilation, groups, None)
# [end kernel: conv_forward]


# [kernel: conv_weight_grad]
def conv_weight_grad(x, grad_y, kernel_size, stride, padding, dilation, groups):
    """Weight gradient of a convolution: (C_out, C_in//groups, *K).

    Computes::

        for c_o, c_i, k:
            gw[c_o, c_i, k] = sum over n, o of gy[n, c_o, o] * x[n, c_i, o*s + k*dil - p]

    Direct path: ``prange`` over ``(c_o, c_i)``, a per-thread row of float64 partial
    sums. GEMM paths, ``prange`` over ``n`` (per sample, a partial sum per thread) or per
    batch chunk: ``gw.T += im2col(x_chunk) @ gy_chunk.T`` per group.
    Same contract as the reference twin ``lucid._ext.conv.conv_weight_grad``.
    """
    _checks.conv_weight_grad(x, grad_y, kernel_size, stride, padding, dilation, groups)
    return _weight_grad(x, grad_y, kernel_size, stride, padding, dilation, groups, None)
# [end kernel: conv_weight_grad]


# [kernel: conv_transpose_forward]
def conv_transpose_forward(x, w, stride, padding, output_padding, dilation, groups):
    """Transposed convolution of ``x`` (N, C_in, *S) with ``w`` (C_in, C_out//groups, *K).

    Computes::

        for n, c_o:                      (each thread owns whole output planes)
            for c_i in group(c_o), k, i:
                y[n, c_o, i*s + k*dil - p] += x[n, c_i, i] * w[c_i, c_o, k]   (if inside y)

    GEMM paths, ``prange`` over ``n`` (per sample) or per batch chunk:
    ``cols = w.reshape(C_in, -1).T @ x`` per group, then ``y = col2im(cols)``. Same
    contract as the reference twin ``lucid._ext.conv.conv_transpose_forward``; returns a
    new array (N, C_out, *O).
    """
    _checks.conv_transpose_forward(x, w, stride, padding, output_padding, dilation,
                                   groups)
    N, C_in = x.shape[:2]
    C_out_g = w.shape[1]
    K = w.shape[2:]
    S = x.shape[2:]
    O = tuple(conv_transpose_output_size(*a)
              for a in zip(S, K, stride, padding, output_padding, dilation))
    C_out = C_out_g * groups
    C_in_g = C_in // groups
    y = np.empty((N, C_out) + O, dtype=x.dtype)
    if y.size == 0:
        return y
    L = math.prod(S)
    rows_g = C_out_g * math.prod(K)                      # column rows per group
    geo = _geo(O, S, K, stride, padding, dilation)       # the image is the output
    path = _path(N, C_in_g, C_out_g, groups * rows_g * L, C_in * L)
    if path == "direct":
        _run_direct_conv_transpose(as_5d(x), as_5d(w), as_5d(y), geo, groups,
                                   threads_for(x.size * rows_g))
        return y
    flipped = _as_flipped_conv(stride, padding, output_padding, dilation, K, C_in, C_out)
    if flipped is not None:                 # stride 1: a conv, no col2im (_as_flipped_conv)
        return _forward(x, _flipped_weight(w, groups), (1,) * len(K), flipped, dilation,
                        groups, None)
    if path == "per-sample":
        ws = _workspace("cols", (_SAMPLE_THREADS * groups * rows_g * L,), x.dtype)
        with _blas.one_thread():
            _run_sample_conv_transpose(as_5d(x), w.reshape(C_in, -1), as_5d(y), ws, geo,
                                       groups)
        return y
    w_t = w.reshape(groups, C_in_g, rows_g).transpose(0, 2, 1)
    nb = _chunk(N, groups * rows_g * L)
    with _blas.product_threads(2 * N * L * C_in * rows_g):    # on OpenBLAS's threads
        for n0 in range(0, N, nb):
            nc = min(nb, N - n0)
            xs = _chunk_by_channel(x, n0, nc, groups, "in")
            cols = _workspace("cols", (groups * rows_g, nc, L), x.dtype)
            np.matmul(w_t, xs, out=cols.reshape(groups, rows_g, nc * L))
            _run_col2im(cols.transpose(1, 0, 2), as_5d(y), n0, geo, _GEMM_THREADS)
    return y
# [end kernel: conv_transpose_forward]


# [kernel: unfold]
def unfold(x, kernel_size, stride, padding, dilation):
    """im2col in PyTorch's layout: (N, C*prod(K), L), parallel over (n, c).

    Computes::

        for n, c, k, o:
            cols[n, c*prod(K) + k, o] = x[n, c, o*s + k*dil - p]   (0 outside x)

    Same contract as the reference twin ``lucid._ext.conv.unfold``.
    """
    _checks.unfold(x, kernel_size, stride, padding, dilation)
    N, C = x.shape[:2]
    K = tuple(kernel_size)
    S = x.shape[2:]
    O = tuple(conv_output_size(*a) for a in zip(S, K, stride, padding, dilation))
    cols = np.empty((N, C * math.prod(K), math.prod(O)), dtype=x.dtype)
    if cols.size:
        _run_im2col(as_5d(x), cols, 0, _geo(S, O, K, stride, padding, dilation),
                    threads_for(cols.size))
    return cols
# [end kernel: unfold]


# [kernel: fold]
def fold(cols, output_size, kernel_size, stride, padding, dilation):
    """col2im, the adjoint of unfold: (N, C, *output_size), overlaps summed.

    Computes::

        for n, c:                        (prange: each thread owns whole planes)
            for k, o:
                x[n, c, o*s + k*dil - p] += cols[n, c*prod(K) + k, o]   (if inside x)

    Same contract as the reference twin ``lucid._ext.conv.fold``.
    """
    _checks.fold(cols, output_size, kernel_size, stride, padding, dilation)
    N = cols.shape[0]
    K = tuple(kernel_size)
    S = tuple(output_size)
    C = cols.shape[1] // math.prod(K)
    O = tuple(conv_output_size(*a) for a in zip(S, K, stride, padding, dilation))
    x = np.empty((N, C) + S, dtype=cols.dtype)
    if x.size:
        _run_col2im(cols, as_5d(x), 0, _geo(S, O, K, stride, padding, dilation),
                    threads_for(cols.size))
    return x
# [end kernel: fold]
