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

What makes it fast:

* **One code path for 1d, 2d and 3d.** Every array is viewed as 3-d spatially
  (``(N, C, 1, 1, L)`` for 1d, ``(N, C, 1, H, W)`` for 2d), so each loop nest below is
  written once. For every kernel offset the range of output positions whose input is
  inside the image is computed up front, so the innermost loops have no bounds tests:
  padding costs nothing.
* **BLAS for channel-heavy cases (im2col / col2im).** ``conv_forward`` copies receptive
  fields into a column matrix (im2col, in Cython, parallel) and multiplies it by the
  weight matrix with ``np.matmul`` (one GEMM per group). ``conv_weight_grad`` is the
  product of the columns with the output gradient (in the orientation below).
  ``conv_transpose_forward`` multiplies the transposed weight by the input and sums the
  columns back into the image (col2im, in Cython, parallel over ``(n, c_o)`` so no two
  threads write the same plane).
* **Block copies in im2col.** im2col copies short rows (W values: 7-28 on the 2d
  benchmark shapes), and the per-row overhead dominated. With stride 1 along H and W
  and an output as wide as the input ("same" padding), consecutive output rows read
  consecutive input rows, so the rows of a plane are copied as one block and the few
  entries that fall in the padding are zeroed afterwards (:func:`_im2col`, rule
  ``block``). Measured: im2col 1.5x faster, conv2d 32->64 14x14 forward 10% faster.
* **The weight-gradient GEMM the way BLAS likes it.** ``gw.T = cols @ gy.T`` runs
  20-50% faster than ``gy @ cols.T`` when ``cols`` has more rows than ``gy`` (most
  cases: ``C_in * prod(K) >= C_out``), 10% slower otherwise, so the rule picks the
  orientation by those row counts (:func:`_gemm_nt`).
* **Batches in cache-sized chunks.** The batch is processed a chunk of samples at a
  time, chosen so the column matrix stays about ``_CHUNK_ELEMENTS`` elements: one GEMM
  per chunk is large enough for BLAS to run at full speed and its operands stay in
  cache. A chunk of one sample multiplies straight into the output.
* **Workspaces are reused.** The column matrix and the staging buffers live in
  per-thread workspaces that grow but are never freed between calls: a fresh large
  allocation costs page faults on every call. Nothing of a previous call leaks into a
  result (a test hands the workspaces out full of NaN).
* **Columns computed once in a conv_transpose's backward.** Its input gradient
  ``conv_forward(gy, w)`` and weight gradient ``conv_weight_grad(gy, x)`` both unfold
  ``gy`` with the same geometry and batch chunks. Both take an optional ``columns``
  holder (a dict, passed by ``lucid/ops/conv.py``): ``conv_forward`` then writes its
  columns into one fresh full-batch array kept there (with the input and the geometry
  as the key) instead of the workspace, and ``conv_weight_grad`` of that same input
  reads each chunk from it instead of running im2col again. Kept only up to
  ``_COLUMNS_MAX_BYTES`` (64 MB; the whole matrix has to stay in memory), else
  recomputed. Measured (op forward + backward): conv_transpose2d N64 64->32 7x7 18%
  faster, conv_transpose1d N8 64->64 L1024 4% faster. A conv could keep the columns of
  ``x`` from its forward for its weight gradient the same way; measured 2-3% faster per
  op but no faster on ``benchmarks/cnn_step.py`` (writing the full matrix out of cache
  costs most of what the second im2col did), so the op layer does not do it.
* **Direct loops where GEMM does not pay.** With few channels per group (depthwise)
  the matrices are too thin for BLAS; typed loops, parallel with ``prange`` over the
  batch and output channels ``(n, c_o)`` (``(c_o, c_i)`` for the weight gradient), do
  the sum directly, with unit-stride inner loops the compiler vectorises. The rule
  (:func:`_use_direct`): direct when ``(C_in/groups) * (C_out/groups) <= 4``. Measured
  (``benchmarks/conv.py`` shapes, one thread): depthwise runs 2-4x faster direct than
  through GEMM, while groups of 4x4 channels already run 2x faster through GEMM.
* **One thread pool at a time.** On the GEMM path the multiply runs on OpenBLAS's
  threads and the Cython reshuffles around it run on one thread: an OpenMP team next
  to OpenBLAS's threads on a small machine made every call 10-100x slower (an idle
  libgomp worker spins for milliseconds and starves the BLAS threads). The direct
  loops, unfold and fold, which call no BLAS, use the whole OpenMP team. Measured
  again on the 2-core machine shared with other jobs: two OpenMP threads for the
  copies next to the GEMM were 10-100x slower, and even with ``OMP_WAIT_POLICY=passive``
  (idle workers sleep at once) no faster than one.

Measured and not kept: (1) im2col on a padded grid holding a chunk of samples per
channel as one long row, split by the stride into phases, where every im2col row is a
single memcpy: the copies got 2-4x cheaper, but the 15-30% of grid columns that are
no output made the GEMMs as much longer, for no net gain (1d cases 10-20% slower);
(2) the same block trick in col2im (zeroing the entries that would cross into the
neighbouring row, then one long add): 15% slower than row by row.
"""
import math
import os
import threading

import numpy as np

from cython.parallel cimport parallel, prange
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

from lucid._ext._sizes import conv_output_size, conv_transpose_output_size

__all__ = ["conv_forward", "conv_weight_grad", "conv_transpose_forward", "unfold", "fold"]

ctypedef fused real:
    float
    double

# Direct loops when (C_in/groups) * (C_out/groups) is at most this (see benchmarks/conv.py).
_DIRECT_MAX_CHANNEL_PAIRS = 4
# OpenMP threads for the im2col / col2im around a GEMM. One thread: the GEMM runs on
# OpenBLAS's own threads, and an OpenMP team whose idle worker spins (libgomp spins
# ~300k pause instructions, ~16 ms here, before sleeping) starves them: measured 10-100x
# slower with both pools on 2 cores. unfold / fold alone use every thread (the
# OpenMP default: OMP_NUM_THREADS, else one per CPU).
_GEMM_THREADS = 1
_ALL_THREADS = int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0] or 0) or os.cpu_count() or 1
# Target size, in elements, of the column matrix of one batch chunk.
_CHUNK_ELEMENTS = 1 << 18
# Largest full-batch column matrix, in bytes, that conv_forward keeps in a ``columns``
# holder for conv_weight_grad to reuse (above it the columns are recomputed).
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


cdef Geometry _geometry(image, window, K, stride, padding, dilation):
    """The Geometry of d-dimensional sizes, with leading size-1 axes added to make 3."""
    cdef Geometry g
    cdef int lead = 3 - len(K)
    cdef int a
    for a in range(3):
        if a < lead:
            g.image[a] = 1
            g.window[a] = 1
            g.K[a] = 1
            g.s[a] = 1
            g.p[a] = 0
            g.dil[a] = 1
        else:
            g.image[a] = image[a - lead]
            g.window[a] = window[a - lead]
            g.K[a] = K[a - lead]
            g.s[a] = stride[a - lead]
            g.p[a] = padding[a - lead]
            g.dil[a] = dilation[a - lead]
    return g


def _as5d(a):
    """View ``(N, C, *spatial)`` with 1 to 3 spatial axes as ``(N, C, D, H, W)``."""
    return a.reshape(a.shape[:2] + (1,) * (5 - a.ndim) + a.shape[2:])


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


def _use_direct(C_in_g, C_out_g):
    """Direct loops for thin channel blocks (depthwise, small groups); else GEMM."""
    return C_in_g * C_out_g <= _DIRECT_MAX_CHANNEL_PAIRS


def _gemm_nt(cols, gy, out, transposed):
    """out = cols @ gy.T (transposed) or gy @ cols.T, per group: the weight-grad GEMM."""
    if transposed:
        np.matmul(cols, gy.transpose(0, 2, 1), out=out)
    else:
        np.matmul(gy, cols.transpose(0, 2, 1), out=out)


def _columns_key(x, K, O, stride, padding, dilation, groups, nb):
    """What the kept columns depend on: the geometry and the batch chunking."""
    return (x.shape, x.dtype.char, tuple(K), tuple(O), tuple(stride), tuple(padding),
            tuple(dilation), groups, nb)


def _kept_columns(columns, x, key):
    """The full-batch columns kept in ``columns`` for exactly this ``x`` and key, or None."""
    if columns is None or columns.get("x") is not x or columns.get("key") != key:
        return None
    return columns["cols"]


def _chunk_columns(full, rows, n0, nc, L):
    """Chunk ``n0 : n0 + nc`` of kept columns, laid out as the workspace: (rows, nc, L)."""
    return full[rows * n0 * L:rows * (n0 + nc) * L].reshape(rows, nc, L)


def _chunk(N, column_elements):
    """Samples per chunk so that the column matrix holds about _CHUNK_ELEMENTS."""
    return max(1, min(N, _CHUNK_ELEMENTS // max(1, column_elements)))


# ----------------------------------------------------------------------------------
# Direct loops

cdef void _direct_conv(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] w,
                       real[:, :, :, :, ::1] y, Geometry g, Py_ssize_t groups):
    cdef Py_ssize_t N = y.shape[0], C_out = y.shape[1]
    cdef Py_ssize_t C_in_g = w.shape[1], C_out_g = C_out // groups
    cdef Py_ssize_t plane = g.window[0] * g.window[1] * g.window[2]
    cdef Py_ssize_t job, n, co, ci, c, kd, kh, kw, od, oh, ow, idd, ih
    cdef Py_ssize_t offd, offh, offw, od0, od1, oh0, oh1, ow0, ow1
    cdef real wv
    cdef real* yrow
    cdef const real* xrow
    for job in prange(N * C_out, nogil=True, schedule="static"):
        n = job // C_out
        co = job % C_out
        memset(&y[n, co, 0, 0, 0], 0, plane * sizeof(real))
        for ci in range(C_in_g):
            c = (co // C_out_g) * C_in_g + ci
            for kd in range(g.K[0]):
                offd = kd * g.dil[0] - g.p[0]
                od0 = _first(offd, g.s[0])
                od1 = _stop(offd, g.s[0], g.image[0], g.window[0])
                for kh in range(g.K[1]):
                    offh = kh * g.dil[1] - g.p[1]
                    oh0 = _first(offh, g.s[1])
                    oh1 = _stop(offh, g.s[1], g.image[1], g.window[1])
                    for kw in range(g.K[2]):
                        offw = kw * g.dil[2] - g.p[2]
                        ow0 = _first(offw, g.s[2])
                        ow1 = _stop(offw, g.s[2], g.image[2], g.window[2])
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


cdef void _direct_conv_transpose(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] w,
                                 real[:, :, :, :, ::1] y, Geometry g, Py_ssize_t groups):
    cdef Py_ssize_t N = y.shape[0], C_out = y.shape[1]
    cdef Py_ssize_t C_out_g = w.shape[1], C_in_g = x.shape[1] // groups
    cdef Py_ssize_t plane = g.image[0] * g.image[1] * g.image[2]
    cdef Py_ssize_t job, n, co, ci, c, kd, kh, kw, i0, i1, i2, yd, yh
    cdef Py_ssize_t offd, offh, offw, d0, d1, h0, h1, w0, w1
    cdef real wv
    cdef real* yrow
    cdef const real* xrow
    for job in prange(N * C_out, nogil=True, schedule="static"):
        n = job // C_out
        co = job % C_out
        memset(&y[n, co, 0, 0, 0], 0, plane * sizeof(real))
        for ci in range(C_in_g):
            c = (co // C_out_g) * C_in_g + ci
            for kd in range(g.K[0]):
                offd = kd * g.dil[0] - g.p[0]
                d0 = _first(offd, g.s[0])
                d1 = _stop(offd, g.s[0], g.image[0], g.window[0])
                for kh in range(g.K[1]):
                    offh = kh * g.dil[1] - g.p[1]
                    h0 = _first(offh, g.s[1])
                    h1 = _stop(offh, g.s[1], g.image[1], g.window[1])
                    for kw in range(g.K[2]):
                        offw = kw * g.dil[2] - g.p[2]
                        w0 = _first(offw, g.s[2])
                        w1 = _stop(offw, g.s[2], g.image[2], g.window[2])
                        wv = w[c, co % C_out_g, kd, kh, kw]
                        for i0 in range(d0, d1):
                            yd = i0 * g.s[0] + offd
                            for i1 in range(h0, h1):
                                yh = i1 * g.s[1] + offh
                                yrow = &y[n, co, yd, yh, 0]
                                xrow = &x[n, c, i0, i1, 0]
                                for i2 in range(w0, w1):
                                    yrow[i2 * g.s[2] + offw] += wv * xrow[i2]


cdef void _direct_weight_grad(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] gy,
                              real[:, :, :, :, ::1] gw, Geometry g, Py_ssize_t groups):
    cdef Py_ssize_t N = x.shape[0], C_out = gw.shape[0], C_in_g = gw.shape[1]
    cdef Py_ssize_t C_out_g = C_out // groups
    cdef Py_ssize_t W = g.window[2]
    cdef Py_ssize_t job, n, co, ci, c, kd, kh, kw, od, oh, ow, idd, ih
    cdef Py_ssize_t offd, offh, offw, od0, od1, oh0, oh1, ow0, ow1
    cdef double total
    cdef double* acc
    cdef const real* grow
    cdef const real* xrow
    acc = NULL
    with nogil, parallel():
        # Per-thread row of partial sums: the innermost loop is an elementwise
        # multiply-add (vectorisable), summed once per weight at the end.
        acc = <double*> malloc(W * sizeof(double))
        for job in prange(C_out * C_in_g, schedule="static"):
            co = job // C_in_g
            ci = job % C_in_g
            c = (co // C_out_g) * C_in_g + ci
            for kd in range(g.K[0]):
                offd = kd * g.dil[0] - g.p[0]
                od0 = _first(offd, g.s[0])
                od1 = _stop(offd, g.s[0], g.image[0], g.window[0])
                for kh in range(g.K[1]):
                    offh = kh * g.dil[1] - g.p[1]
                    oh0 = _first(offh, g.s[1])
                    oh1 = _stop(offh, g.s[1], g.image[1], g.window[1])
                    for kw in range(g.K[2]):
                        offw = kw * g.dil[2] - g.p[2]
                        ow0 = _first(offw, g.s[2])
                        ow1 = _stop(offw, g.s[2], g.image[2], g.window[2])
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


# ----------------------------------------------------------------------------------
# im2col / col2im: cols is viewed (samples, rows, L) with rows = c*prod(K) + k. The
# view may be strided (a batch chunk stored (rows, samples, L)) but each row of L
# values is contiguous: the loops walk it with a pointer (checked in _run_im2col/_col2im).

cdef void _im2col(const real[:, :, :, :, ::1] x, real[:, :, :] cols, Py_ssize_t n0,
                  Geometry g, int threads):
    cdef Py_ssize_t nc = cols.shape[0], C = x.shape[1]
    cdef Py_ssize_t KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t H = g.window[1], W = g.window[2]
    cdef Py_ssize_t job, nl, c, kd, kh, kw, od, oh, ow, idd, ih, row
    cdef Py_ssize_t offd, offh, offw, ow0, ow1, oh0, oh1
    cdef real* dst
    cdef const real* xrow
    # Stride 1 along H and W with the output as wide as the input ("same" padding):
    # consecutive output rows read consecutive input rows, so a plane's rows are copied
    # as one block instead of one short row (7-28 values here) at a time.
    cdef bint block = g.s[1] == 1 and g.s[2] == 1 and g.image[2] == W
    for job in prange(nc * C, nogil=True, schedule="static", num_threads=threads):
        nl = job // C
        c = job % C
        row = c * KK
        for kd in range(g.K[0]):
            offd = kd * g.dil[0] - g.p[0]
            for kh in range(g.K[1]):
                offh = kh * g.dil[1] - g.p[1]
                for kw in range(g.K[2]):
                    offw = kw * g.dil[2] - g.p[2]
                    ow0 = _first(offw, g.s[2])
                    ow1 = _stop(offw, g.s[2], g.image[2], W)
                    if ow0 > W:
                        ow0 = W
                    if ow1 < ow0:
                        ow1 = ow0
                    oh0 = _first(offh, g.s[1])
                    oh1 = _stop(offh, g.s[1], g.image[1], H)
                    if oh0 > H:
                        oh0 = H
                    if oh1 < oh0:
                        oh1 = oh0
                    for od in range(g.window[0]):
                        idd = od * g.s[0] + offd
                        if block and 0 <= idd < g.image[0]:
                            # rows oh0..oh1 of this plane are one contiguous block in x
                            # and in cols: one copy, then zero the entries of each row
                            # outside [ow0, ow1), which the block took from its neighbours
                            dst = &cols[nl, row, od * H * W]
                            memset(dst, 0, oh0 * W * sizeof(real))
                            if ow1 > ow0 and oh1 > oh0:
                                memcpy(dst + oh0 * W + ow0,
                                       &x[n0 + nl, c, idd, oh0 + offh, ow0 + offw],
                                       ((oh1 - 1 - oh0) * W + ow1 - ow0) * sizeof(real))
                            for oh in range(oh0, oh1):
                                for ow in range(ow0):
                                    dst[oh * W + ow] = 0
                                for ow in range(ow1, W):
                                    dst[oh * W + ow] = 0
                            memset(dst + oh1 * W, 0, (H - oh1) * W * sizeof(real))
                            continue
                        for oh in range(H):
                            ih = oh * g.s[1] + offh
                            dst = &cols[nl, row, (od * H + oh) * W]
                            if idd < 0 or idd >= g.image[0] or ih < 0 or ih >= g.image[1]:
                                memset(dst, 0, W * sizeof(real))
                                continue
                            xrow = &x[n0 + nl, c, idd, ih, 0]
                            for ow in range(ow0):
                                dst[ow] = 0
                            if g.s[2] == 1:                 # contiguous: a plain copy
                                memcpy(dst + ow0, xrow + ow0 + offw,
                                       (ow1 - ow0) * sizeof(real))
                            else:
                                for ow in range(ow0, ow1):
                                    dst[ow] = xrow[ow * g.s[2] + offw]
                            for ow in range(ow1, W):
                                dst[ow] = 0
                    row = row + 1


cdef void _col2im(const real[:, :, :] cols, real[:, :, :, :, ::1] y, Py_ssize_t n0,
                  Geometry g, int threads):
    cdef Py_ssize_t nc = cols.shape[0], C = y.shape[1]
    cdef Py_ssize_t KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t H = g.window[1], W = g.window[2]
    cdef Py_ssize_t plane = g.image[0] * g.image[1] * g.image[2]
    cdef Py_ssize_t job, nl, c, kd, kh, kw, od, oh, ow, idd, ih, row
    cdef Py_ssize_t offd, offh, offw, od0, od1, oh0, oh1, ow0, ow1
    cdef const real* src
    cdef real* yrow
    for job in prange(nc * C, nogil=True, schedule="static", num_threads=threads):
        nl = job // C
        c = job % C
        memset(&y[n0 + nl, c, 0, 0, 0], 0, plane * sizeof(real))
        row = c * KK
        for kd in range(g.K[0]):
            offd = kd * g.dil[0] - g.p[0]
            od0 = _first(offd, g.s[0])
            od1 = _stop(offd, g.s[0], g.image[0], g.window[0])
            for kh in range(g.K[1]):
                offh = kh * g.dil[1] - g.p[1]
                oh0 = _first(offh, g.s[1])
                oh1 = _stop(offh, g.s[1], g.image[1], H)
                for kw in range(g.K[2]):
                    offw = kw * g.dil[2] - g.p[2]
                    ow0 = _first(offw, g.s[2])
                    ow1 = _stop(offw, g.s[2], g.image[2], W)
                    for od in range(od0, od1):
                        idd = od * g.s[0] + offd
                        for oh in range(oh0, oh1):
                            ih = oh * g.s[1] + offh
                            src = &cols[nl, row, (od * H + oh) * W]
                            yrow = &y[n0 + nl, c, idd, ih, 0]
                            if g.s[2] == 1:                 # contiguous: vectorisable
                                _add_row(yrow + offw, src, ow0, ow1)
                            else:
                                for ow in range(ow0, ow1):
                                    yrow[ow * g.s[2] + offw] += src[ow]
                    row = row + 1


# ----------------------------------------------------------------------------------
# Typed dispatch: the fused cdef functions called on plain arrays

def _run_direct_conv(x, w, y, image, window, K, stride, padding, dilation, groups):
    cdef Geometry g = _geometry(image, window, K, stride, padding, dilation)
    if x.dtype == np.float32:
        _direct_conv[float](_as5d(x), _as5d(w), _as5d(y), g, groups)
    else:
        _direct_conv[double](_as5d(x), _as5d(w), _as5d(y), g, groups)


def _run_direct_conv_transpose(x, w, y, image, window, K, stride, padding, dilation, groups):
    cdef Geometry g = _geometry(image, window, K, stride, padding, dilation)
    if x.dtype == np.float32:
        _direct_conv_transpose[float](_as5d(x), _as5d(w), _as5d(y), g, groups)
    else:
        _direct_conv_transpose[double](_as5d(x), _as5d(w), _as5d(y), g, groups)


def _run_direct_weight_grad(x, gy, gw, image, window, K, stride, padding, dilation, groups):
    cdef Geometry g = _geometry(image, window, K, stride, padding, dilation)
    if x.dtype == np.float32:
        _direct_weight_grad[float](_as5d(x), _as5d(gy), _as5d(gw), g, groups)
    else:
        _direct_weight_grad[double](_as5d(x), _as5d(gy), _as5d(gw), g, groups)


def _run_im2col(x, cols, n0, image, window, K, stride, padding, dilation, threads):
    """cols: (samples, C*prod(K), L), may be a strided view with contiguous rows."""
    assert cols.shape[2] <= 1 or cols.strides[2] == cols.itemsize, "im2col: the rows of cols must be contiguous"
    cdef Geometry g = _geometry(image, window, K, stride, padding, dilation)
    if x.dtype == np.float32:
        _im2col[float](_as5d(x), cols, n0, g, threads)
    else:
        _im2col[double](_as5d(x), cols, n0, g, threads)


def _run_col2im(cols, y, n0, image, window, K, stride, padding, dilation, threads):
    assert cols.shape[2] <= 1 or cols.strides[2] == cols.itemsize, "col2im: the rows of cols must be contiguous"
    cdef Geometry g = _geometry(image, window, K, stride, padding, dilation)
    if y.dtype == np.float32:
        _col2im[float](cols, _as5d(y), n0, g, threads)
    else:
        _col2im[double](cols, _as5d(y), n0, g, threads)


# ----------------------------------------------------------------------------------
# The kernels

# [kernel: conv_forward]
def conv_forward(x, w, stride, padding, dilation, groups, columns=None):
    """Convolution of ``x`` (N, C_in, *S) with ``w`` (C_out, C_in//groups, *K), no bias.

    Computes::

        for n, c_o, o:
            y[n, c_o, o] = sum over c_i in group(c_o), k of
                           w[c_o, c_i, k] * x[n, c_i, o*s + k*dil - p]   (0 outside x)

    Direct path: ``prange`` over ``(n, c_o)``, then ``c_i``, ``k``, ``o``. GEMM path,
    per batch chunk: ``cols = im2col(x)``; ``y = w.reshape(C_out, -1) @ cols`` per group.
    Same contract as the reference twin ``lucid._ext.conv.conv_forward``; returns a new
    array of shape (N, C_out, *O).

    ``columns``: a dict (or None). On the GEMM path, when the full-batch column matrix
    is at most ``_COLUMNS_MAX_BYTES``, the columns are written into a fresh array kept
    in it (with ``x`` and the geometry), for :func:`conv_weight_grad` of the same ``x``
    to reuse instead of recomputing im2col; otherwise the dict is emptied.
    """
    N, C_in = x.shape[:2]
    C_out, C_in_g = w.shape[:2]
    K = w.shape[2:]
    S = x.shape[2:]
    O = tuple(conv_output_size(*a) for a in zip(S, K, stride, padding, dilation))
    y = np.empty((N, C_out) + O, dtype=x.dtype)
    if y.size == 0:
        return y
    C_out_g = C_out // groups
    if _use_direct(C_in_g, C_out_g):
        _run_direct_conv(x, w, y, S, O, K, stride, padding, dilation, groups)
        return y
    L = math.prod(O)
    rows_g = C_in_g * math.prod(K)                       # GEMM depth per group
    w_mat = w.reshape(groups, C_out_g, rows_g)
    nb = _chunk(N, C_in * math.prod(K) * L)
    full = None
    if columns is not None:
        columns.clear()
        if groups * rows_g * N * L * x.itemsize <= _COLUMNS_MAX_BYTES:
            full = np.empty(groups * rows_g * N * L, dtype=x.dtype)
            columns.update(x=x, cols=full,
                           key=_columns_key(x, K, O, stride, padding, dilation, groups, nb))
    for n0 in range(0, N, nb):
        nc = min(nb, N - n0)
        if full is not None:                             # kept for conv_weight_grad
            cols = _chunk_columns(full, groups * rows_g, n0, nc, L)
        else:
            cols = _workspace("cols", (groups * rows_g, nc, L), x.dtype)
        _run_im2col(x, cols.transpose(1, 0, 2), n0, S, O, K, stride, padding, dilation,
                    _GEMM_THREADS)
        cols = cols.reshape(groups, rows_g, nc * L)
        if nc == 1:                                      # multiply straight into y
            np.matmul(w_mat, cols, out=y[n0].reshape(groups, C_out_g, L))
        else:
            out = _workspace("out", (C_out, nc, L), x.dtype)
            np.matmul(w_mat, cols, out=out.reshape(groups, C_out_g, nc * L))
            y[n0:n0 + nc].reshape(nc, C_out, L)[...] = out.transpose(1, 0, 2)
    return y
# [end kernel: conv_forward]


# [kernel: conv_weight_grad]
def conv_weight_grad(x, grad_y, kernel_size, stride, padding, dilation, groups,
                     columns=None):
    """Weight gradient of a convolution: (C_out, C_in//groups, *K).

    Computes::

        for c_o, c_i, k:
            gw[c_o, c_i, k] = sum over n, o of gy[n, c_o, o] * x[n, c_i, o*s + k*dil - p]

    Direct path: ``prange`` over ``(c_o, c_i)``, a per-thread row of float64 partial
    sums. GEMM path, per batch chunk: ``gw.T += im2col(x_chunk) @ gy_chunk.T`` per group.
    Same contract as the reference twin ``lucid._ext.conv.conv_weight_grad``.

    ``columns``: a dict (or None) that :func:`conv_forward` filled; when it holds the
    columns of this very ``x`` with this geometry, they are used instead of im2col
    (the same values, so the same result). It is only read, never filled here.
    """
    N, C_in = x.shape[:2]
    C_out = grad_y.shape[1]
    K = tuple(kernel_size)
    S = x.shape[2:]
    O = grad_y.shape[2:]
    C_in_g, C_out_g = C_in // groups, C_out // groups
    if N == 0 or math.prod(O) == 0:
        return np.zeros((C_out, C_in_g) + K, dtype=x.dtype)
    grad_w = np.empty((C_out, C_in_g) + K, dtype=x.dtype)
    if _use_direct(C_in_g, C_out_g):
        _run_direct_weight_grad(x, grad_y, grad_w, S, O, K, stride, padding, dilation, groups)
        return grad_w
    L = math.prod(O)
    rows_g = C_in_g * math.prod(K)
    # BLAS runs cols @ gy.T 20-50% faster than gy @ cols.T when cols has more rows
    # (measured on the benchmarks/conv.py shapes; 10% slower with fewer, e.g. C_in = 1):
    # then the transposed gradient is summed, and transposed once at the end.
    transposed = rows_g >= C_out_g
    gw_mat = grad_w.reshape(groups, C_out_g, rows_g)
    gw_t = np.empty((groups, rows_g, C_out_g), dtype=x.dtype) if transposed else gw_mat
    nb = _chunk(N, C_in * math.prod(K) * L)
    full = _kept_columns(columns, x,
                         _columns_key(x, K, O, stride, padding, dilation, groups, nb))
    for n0 in range(0, N, nb):
        nc = min(nb, N - n0)
        if full is not None:                             # computed by conv_forward
            cols = _chunk_columns(full, groups * rows_g, n0, nc, L)
        else:
            cols = _workspace("cols", (groups * rows_g, nc, L), x.dtype)
            _run_im2col(x, cols.transpose(1, 0, 2), n0, S, O, K, stride, padding,
                        dilation, _GEMM_THREADS)
        cols = cols.reshape(groups, rows_g, nc * L)
        if nc == 1:
            gy = grad_y[n0].reshape(groups, C_out_g, L)
        else:
            gy = _workspace("gy", (C_out, nc, L), x.dtype)
            gy[...] = grad_y[n0:n0 + nc].reshape(nc, C_out, L).transpose(1, 0, 2)
            gy = gy.reshape(groups, C_out_g, nc * L)
        if n0 == 0:
            _gemm_nt(cols, gy, gw_t, transposed)
        else:
            part = _workspace("part", gw_t.shape, x.dtype)
            _gemm_nt(cols, gy, part, transposed)
            gw_t += part
    if transposed:
        gw_mat[...] = gw_t.transpose(0, 2, 1)
    return grad_w
# [end kernel: conv_weight_grad]


# [kernel: conv_transpose_forward]
def conv_transpose_forward(x, w, stride, padding, output_padding, dilation, groups):
    """Transposed convolution of ``x`` (N, C_in, *S) with ``w`` (C_in, C_out//groups, *K).

    Computes::

        for n, c_o:                      (each thread owns whole output planes)
            for c_i in group(c_o), k, i:
                y[n, c_o, i*s + k*dil - p] += x[n, c_i, i] * w[c_i, c_o, k]   (if inside y)

    GEMM path, per batch chunk: ``cols = w.reshape(C_in, -1).T @ x`` per group, then
    ``y = col2im(cols)``. Same contract as the reference twin
    ``lucid._ext.conv.conv_transpose_forward``; returns a new array (N, C_out, *O).
    """
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
    if _use_direct(C_in_g, C_out_g):
        _run_direct_conv_transpose(x, w, y, O, S, K, stride, padding, dilation, groups)
        return y
    L = math.prod(S)
    rows_g = C_out_g * math.prod(K)                      # column rows per group
    w_t = w.reshape(groups, C_in_g, rows_g).transpose(0, 2, 1)
    nb = _chunk(N, C_out * math.prod(K) * L)
    for n0 in range(0, N, nb):
        nc = min(nb, N - n0)
        if nc == 1:
            xs = x[n0].reshape(groups, C_in_g, L)
        else:
            xs = _workspace("in", (C_in, nc, L), x.dtype)
            xs[...] = x[n0:n0 + nc].reshape(nc, C_in, L).transpose(1, 0, 2)
            xs = xs.reshape(groups, C_in_g, nc * L)
        cols = _workspace("cols", (groups * rows_g, nc, L), x.dtype)
        np.matmul(w_t, xs, out=cols.reshape(groups, rows_g, nc * L))
        _run_col2im(cols.transpose(1, 0, 2), y, n0, O, S, K, stride, padding, dilation,
                    _GEMM_THREADS)
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
    N, C = x.shape[:2]
    K = tuple(kernel_size)
    S = x.shape[2:]
    O = tuple(conv_output_size(*a) for a in zip(S, K, stride, padding, dilation))
    cols = np.empty((N, C * math.prod(K), math.prod(O)), dtype=x.dtype)
    if cols.size:
        _run_im2col(x, cols, 0, S, O, K, stride, padding, dilation, _ALL_THREADS)
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
    N = cols.shape[0]
    K = tuple(kernel_size)
    S = tuple(output_size)
    C = cols.shape[1] // math.prod(K)
    O = tuple(conv_output_size(*a) for a in zip(S, K, stride, padding, dilation))
    x = np.empty((N, C) + S, dtype=cols.dtype)
    if x.size:
        _run_col2im(cols, x, 0, S, O, K, stride, padding, dilation, _ALL_THREADS)
    return x
# [end kernel: fold]
