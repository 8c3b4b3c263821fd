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
    thread meanwhile (``_blas.one_thread``): when that BLAS was found and either the
    call is small enough for one thread (then it runs on one) or every thread gets a
    sample and the column matrices fit in ``_PER_SAMPLE_MAX_ELEMENTS``. The forward
    goes by tiles of whole window rows when the weight is thin (:func:`_tile_rows`).
``batch-chunk``
    im2col of a chunk of samples (``_CHUNK_ELEMENTS`` column entries) on one thread,
    then one ``np.matmul`` on OpenBLAS's threads: otherwise.
``winograd``
    before the three above, for 2-d 3x3 stride-1 one-group convolutions with enough
    channels (:func:`_winograd_fits`): Winograd's F(2x2, 3x3), which computes each 2x2
    block of output from a 4x4 input patch with 16 multiplications per channel pair
    instead of 36, as 16 GEMMs per job of about ``_WINOGRAD_TILES`` blocks (its section
    below has the transforms); ``prange`` over jobs, BLAS called from each thread. The
    forward and the input gradient take it, and, on one thread, the weight gradient.
    Its rounding differs from the direct sum's, within float tolerance.

``blocked``
    before all the others, for float32 2-d stride-1 one-group convolutions with whole
    blocks of 8 output channels and output rows at least 16 wide, on a processor with
    AVX-512 (:func:`_blocked_fits`): no column matrix and no BLAS; each thread pads its
    sample once (a batch of fewer samples than threads: each sample's rows of blocks in
    runs, a thread each, :func:`_sample_parts`), and ``_blocked.pxd`` computes the
    output in blocks of 8 channels x 32
    columns held in registers, every output its sum over ``(c_i, k)`` in that order
    (its loop nest is at the top of ``_blocked.pxd``). The weight gradient has its own
    blocked loops (:func:`_blocked_grad_w_fits`: float32, 1-d or 2-d, any stride, one
    group, whole blocks of 16 output channels, at least 16 taps), taken before the
    others: each thread pads its sample and transposes its output gradient to
    (positions, C_out), and sums ``gy * x`` with 16 output channels in the lanes of a
    vector, a block of taps held in registers over all the sample's positions (fewer
    runs of samples than threads: each run's rows of taps cut among them).
``winograd lanes``
    before ``blocked``, for float32 2-d 3x3 stride-1 one-group convolutions with whole
    vectors of 16 input and output channels, on a processor with AVX-512
    (:func:`_wl_fits`): Winograd's F(2x2, 3x3) again, with every array channels last
    so that the transforms add whole vectors and each of the 16 products runs on the
    lanes path's register blocks (``_winograd.pxd`` has the loop nest); a sample per
    thread, no BLAS. The forward and the input gradient take it, and the weight
    gradient from more tiles (:func:`_wl_grad_fits`: dU summed by runs of samples,
    then dL/dw = G^T dU G). A result with a non-finite value is computed again on the
    next path (:func:`_all_finite`).

A conv_transpose with stride 1 (and no output_padding) is run as the convolution it
equals, with the kernel flipped, when it has no more input than output channels or
that convolution takes the Winograd path (:func:`_as_flipped_conv`): im2col and one
GEMM instead of a GEMM and col2im's scatter. Where that convolution goes to the lanes
path, the lanes loops take the conv_transpose's weight itself and each thread writes
its copy flipped as it transposes it (``_flip_transpose``:
``wt[ci*T + t, co] = w[ci, co, T-1-t]``).

Rules the paths share: every array is viewed as 3-d spatially (``_sizes.as_3d``), so
each nest is written once for 1d, 2d and 3d; for every kernel offset the window
positions inside the image are computed up front (:func:`_inside`), so the innermost
loops have no bounds test (a strided kernel's im2col gathers from a zero-padded copy
instead, :c:func:`_im2col_channel`); float32 and float64 are one fused type, and Cython
picks the specialisation from the arrays' dtype (no hand-written dispatch); scratch
arrays are per-thread workspaces that grow and are reused; thread counts come from
``_openmp.threads_for``. A conv_transpose's backward forms the columns of ``grad_y``
once for both gradients (the private :func:`_transpose_grads`), and a convolution with
a bias adds it to each block of output the Winograd and per-sample paths have just
written (the private :func:`_conv_forward_biased`).
"""
import math
import threading

import numpy as np

cimport numpy as cnp
from cython.parallel cimport parallel, prange, threadid
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

from lucid._ext._blocked cimport (LUCID_BLOCK_CHANNELS, LUCID_GRAD_CHANNELS,
                                  lucid_blocked_part_f, lucid_blocked_grad_w_part_f,
                                  lucid_blocked_wide, lucid_lanes_conv_f,
                                  lucid_lanes_part_f, lucid_lanes_store_f,
                                  lucid_lanes_store_part_f, lucid_pad_box_f,
                                  lucid_transpose_f)
from lucid._ext._arrays cimport float_type, vector_of
from lucid._ext._winograd cimport LUCID_WL_SKEW, lucid_wl_conv_f, lucid_wl_grad_w_f
from lucid._ext._gemm cimport Gemm, bind, gemm

from lucid._checks import interned
from lucid._ext import _blas, _checks
from lucid._ext._openmp import free_threads, max_threads, parts_for, threads_for
from lucid._ext._sizes import as_3d, conv_output_size, conv_transpose_output_size

__all__ = ["conv_forward", "conv_weight_grad", "conv_transpose_forward", "unfold", "fold"]

cnp.import_array()

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
# A batch with fewer samples than the team shares each sample's tiles among the threads
# from this many flops a sample (_split_rows, which has the measurements).
_SPLIT_SAMPLE_FLOPS = 1 << 21
# The Winograd path (_winograd_fits, which has the measurements): taken when
# C_in * C_out >= _WINOGRAD_MIN_PAIRS * (C_in + C_out) (16 -> 32 channels and up), for
# the weight gradient with _WINOGRAD_GRAD_MIN_PAIRS (32 -> 32 and up) and only when
# the kernels run on at most _WINOGRAD_GRAD_MAX_THREADS threads; about _WINOGRAD_TILES
# tiles (2x2 output blocks) per job (32 to 392 measured the same).
_WINOGRAD_MIN_PAIRS = 10
# The forward takes it only with at least this many 2x2 output blocks (tiles) in the
# batch per thread (_winograd_fits): with fewer, the 16 products are too thin.
_WINOGRAD_MIN_TILES = 256
_WINOGRAD_GRAD_MIN_PAIRS = 16
_WINOGRAD_GRAD_MAX_THREADS = 1
_WINOGRAD_TILES = 196
# At most this many entries in a job's V and M (fewer tiles per job for wide layers):
# 16 MB per thread in float32, 512 + 512 channels at 196 tiles take 12.8.
_WINOGRAD_MAX_ELEMENTS = 1 << 22
# The blocked path (_blocked_fits, which has the measurements): float32 2-d stride-1
# convolutions whose output rows are at least _BLOCKED_MIN_WIDTH wide, on a processor
# that runs _blocked.pxd's AVX-512 clone (_BLOCKED_WIDE).
_BLOCKED_WIDE = lucid_blocked_wide() != 0
_BLOCKED_MIN_WIDTH = 16
# ... and at least this many terms per output value (C_in * prod(K)).
_BLOCKED_MIN_DEPTH = 27
# The lanes path (_lanes_fits, which has the measurements): float32 2-d convolutions the
# blocked path does not take (a stride, or output rows under _BLOCKED_MIN_WIDTH) and 1-d
# ones, whole vectors of 16 output channels, at least _LANES_MIN_DEPTH terms per output
# value.
_LANES = True
_LANES_MIN_DEPTH = 27
# ... and a weight of at most this many values (C_in * prod(K) * C_out, 512 KB in
# float32): the loops read all of it again for every block of positions.
_LANES_MAX_WEIGHT = 1 << 17
# ... and 1-d convolutions with kernels of 2 to this many taps (_blocked.pxd's row
# blocks; a kernel of 7 on the general loops measured slower than the GEMM path).
_LANES_ROW_MAX_KERNEL = 5
# With fewer samples than threads, a lanes call cuts each sample into runs of positions
# for the threads only from this many multiply-adds (_lanes_threads).
_LANES_SPLIT_MIN_WORK = 1 << 20
# A 1-d conv_transpose by phases (_phases_fits): at least this many outputs per phase,
# and with one vector of output channels at most this many input channels; a single
# sample with more than _PHASES_1D_ONE_SAMPLE_MAX_IN input channels only from
# _PHASES_1D_ONE_SAMPLE_MIN_POSITIONS outputs per phase.
_PHASES_1D_MIN_POSITIONS = 16
_PHASES_1D_ONE_VECTOR_MAX_IN = 64
_PHASES_1D_ONE_SAMPLE_MAX_IN = 32
_PHASES_1D_ONE_SAMPLE_MIN_POSITIONS = 128
# The Winograd lanes path (_wl_fits): float32 3x3 stride-1 convolutions of whole
# vectors of 16 input and output channels, on the AVX-512 code; its tile rows by chunks
# of at most _WL_CHUNK_FLOATS floats of V and M (384 KB, in the L2 cache).
_WL = True
_WL_CHUNK_FLOATS = 96 * 1024
# ... with at least this many 2x2 output blocks in the batch.
_WL_MIN_TILES = 64
# The weight gradient too (_wl_grad_fits), from this many tiles in the batch.
_WL_GRAD = True
_WL_GRAD_MIN_TILES = 256
# The weight gradient's blocked loops (_blocked_grad_w_fits) for at least this many taps
# (C_in * prod(K)) per output channel.
_BLOCKED_GRAD_MIN_TAPS = 16
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


_GEOS = {}


def _geo(image, window, K, stride, padding, dilation):
    """The geometry of d-dimensional sizes as six 3-tuples (``_sizes.as_3d``): what the
    loop functions below take, and :func:`_geometry` turns into a :c:type:`Geometry`.

    A pure function of its arguments (tuples of ints), so each geometry is built once
    and kept (at most 256; then it starts again): the six ``as_3d`` calls cost ~0.8 us,
    a model's every call of a layer asks for the same geometry."""
    key = (image, window, K, stride, padding, dilation)
    try:
        geo = _GEOS.get(key)
    except TypeError:                # a list among them (unfold's arguments as given)
        key = geo = None
    if geo is None:
        geo = (as_3d(image, 1), as_3d(window, 1), as_3d(K, 1), as_3d(stride, 1),
               as_3d(padding, 0), as_3d(dilation, 1))
        if key is not None:
            if len(_GEOS) >= 256:
                _GEOS.clear()
            _GEOS[key] = geo
    return geo


cdef Geometry _geometry(geo):
    cdef Geometry g
    cdef int a
    for a in range(3):
        g.image[a], g.window[a], g.K[a] = geo[0][a], geo[1][a], geo[2][a]
        g.s[a], g.p[a], g.dil[a] = geo[3][a], geo[4][a], geo[5][a]
    return g


# ----------------------------------------------------------------------------------
# NumPy's BLAS, called from nogil code (lucid/_ext/_blas.py finds it; _gemm.pxd calls it)

cdef Gemm _GEMM
# The largest matrix dimension or size the found BLAS's integers can hold (0: none bound).
_BLAS_MAX = 0


def _bind_blas(blas):
    """Point the gemm calls at ``blas`` (a lucid._ext._blas.Blas) or, with None, at nothing."""
    global _GEMM, _BLAS_MAX
    _GEMM = bind(blas)
    _BLAS_MAX = _GEMM.most


_BLAS = _blas.find()
_bind_blas(_BLAS)


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


cdef cnp.ndarray _as_5d(cnp.ndarray a):
    """:func:`lucid._ext._sizes.as_5d` built in C (the same view, size-1 axes in front of
    the spatial ones: ``(N, C, L)`` as ``(N, C, 1, 1, L)``): the Python one's tuples cost
    ~0.9 us a call, two or three calls per batch-1 convolution."""
    cdef int rank = cnp.PyArray_NDIM(a), i
    assert 3 <= rank <= 5, "as 5-d: an array (N, C, *spatial) of 1 to 3 spatial axes"
    cdef cnp.npy_intp dims[5]
    cdef cnp.PyArray_Dims shape
    for i in range(5):
        dims[i] = 1
    dims[0], dims[1] = a.shape[0], a.shape[1]
    for i in range(2, rank):
        dims[5 - rank + i] = a.shape[i]
    shape.ptr, shape.len = dims, 5
    return cnp.PyArray_Newshape(a, &shape, cnp.NPY_CORDER)


def _workspace(name, shape, dtype):
    """A reusable scratch array of ``shape`` (contents undefined), one per thread."""
    size = 1                                     # a Python int: no overflow
    for n in shape:
        size *= n
    try:
        store = _local.store
    except AttributeError:                       # this thread's first call
        store = _local.store = {}
    key = (name, dtype.char if isinstance(dtype, np.dtype) else np.dtype(dtype).char)
    buf = store.get(key)
    if buf is None or (<cnp.ndarray>buf).size < size:
        buf = np.empty(max(size, 1), dtype=dtype)
        store[key] = buf
    return buf[:size] if len(shape) == 1 else buf[:size].reshape(shape)


# Where one thread's part of a threaded workspace starts after the previous one's:
# ``per_thread`` elements rounded up to whole 4 KB pages, plus _PART_GAP_BYTES left
# unused. The callers size each workspace so (_thread_workspace) and the checks ask
# for it; the loops give each of their ``threads`` threads an equal share of what they
# are handed (``ws.shape[0] // threads``), so a loop never reaches past its array
# whatever this rule said when the workspace was made. Measured with the parts back to back (ops.py's conv1d on the 1-d row blocks,
# two threads, each step timed inside the loop): the second thread's copy of a sample
# into its part took 3.7-4.8 us while the first thread worked on the part just below,
# 1.2 us once it had finished (and on the first thread throughout), and its blocks ran
# 10% slower; the same loops in two processes, one thread each, both ran at the
# one-thread speed. Moving the parts apart removed it: the call took 1.00, 0.99, 0.93,
# 0.77, 0.75 and 0.73 of its back-to-back time with gaps of 0, 4, 8, 16, 32 and 64 KB;
# aligning the parts to pages without a gap did not help. The cause was not pinned
# down (one core's prefetchers reaching into the lines the other core writes is the
# likely one). Only addresses change: every thread computes the same values.
cdef Py_ssize_t _PART_GAP_BYTES = 32768
cdef bint _PART_SPACED = True


cdef inline Py_ssize_t _part(Py_ssize_t per_thread, Py_ssize_t itemsize) noexcept nogil:
    cdef Py_ssize_t page = 4096 // itemsize
    if not _PART_SPACED:
        return per_thread
    return (per_thread + page - 1) // page * page + _PART_GAP_BYTES // itemsize


def _thread_part(per_thread, dtype):
    """Elements from one thread's part of a workspace to the next (``_part``)."""
    return _part(per_thread, np.dtype(dtype).itemsize)


def _thread_workspace(name, threads, per_thread, dtype):
    """A workspace (:func:`_workspace`) of ``threads`` parts of ``per_thread`` elements,
    each starting ``_thread_part(per_thread, dtype)`` after the previous one."""
    return _workspace(name, (threads * _thread_part(per_thread, dtype),), dtype)


def _set_part_spacing(bint spaced):
    """Parts back to back (False) or spaced as ``_part`` says (True, the default): for
    tests (the same results either way) and for timing one layout against the other in
    one process."""
    global _PART_SPACED
    _PART_SPACED = spaced


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
        _run_im2col(_as_5d(x), cols.transpose(1, 0, 2), n0, geo, _GEMM_THREADS)
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
    and within that comparison's noise. The box's gather has a copy for stride 2 with
    the stride written in (vectorised): unfold 3x3 stride 2 took 0.49-0.69x the time of
    the loop that reads the stride at run time."""
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
                        elif g.s[2] == 2:            # a constant stride: vectorised
                            for ow in range(W):
                                dst[ow] = src[2 * ow]
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
cdef void _sample_conv_tile(const real[:, :, :, :, ::1] x, const real[:, ::1] w,
                            real[:, :, :, :, ::1] y, real* ws, real* fp, const Geometry* g,
                            Py_ssize_t groups, Py_ssize_t tile_rows, const real* bias,
                            Py_ssize_t job) noexcept nogil:
    # Tile ``job`` of _sample_conv (sample n = job // tiles, its t-th tile): unfolded
    # into ``ws`` (this thread's workspace), or into the kept columns ``fp`` at the
    # tile's place, then one GEMM per group into y (and the bias).
    cdef Py_ssize_t C_in = x.shape[1], C_out = y.shape[1]
    cdef Py_ssize_t KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t Q = g.window[0] * g.window[1], W = g.window[2]
    cdef Py_ssize_t L = Q * W, R = C_in * KK, rows_g = R // groups, C_out_g = C_out // groups
    cdef Py_ssize_t tiles = (Q + tile_rows - 1) // tile_rows
    cdef Py_ssize_t n = job // tiles, t = job - (job // tiles) * tiles
    cdef Py_ssize_t q0 = t * tile_rows, q1 = min(q0 + tile_rows, Q), c, gi, ld
    cdef real* cols
    if fp != NULL:                               # kept: this tile's place in sample n
        cols = fp + n * R * L + q0 * W
        ld = L
    else:
        cols = ws
        ld = (q1 - q0) * W
    for c in range(C_in):
        _im2col_channel(&x[n, c, 0, 0, 0], cols + c * KK * ld, ld, g, q0, q1)
    for gi in range(groups):                     # y[n, group, tile] = w[group] @ cols[group]
        gemm(&_GEMM, False, False, C_out_g, (q1 - q0) * W, rows_g,
             &w[gi * C_out_g, 0], rows_g, cols + gi * rows_g * ld, ld, 0,
             &y[n, gi * C_out_g, 0, 0, 0] + q0 * W, L)
    if bias != NULL:
        for c in range(C_out):
            _add_constant(&y[n, c, 0, 0, 0] + q0 * W, (q1 - q0) * W, bias[c])


cdef void _sample_conv(const real[:, :, :, :, ::1] x, const real[:, ::1] w,
                       real[:, :, :, :, ::1] y, real[::1] ws, real[::1] full, Geometry g,
                       Py_ssize_t groups, Py_ssize_t tile_rows, const real* bias,
                       int threads):
    # Column tiles: window rows q0 <= q < q0 + tile_rows (``tile_rows`` whole rows of W
    # positions, _tile_rows), unfolded into the thread's workspace (or into the kept
    # full-batch columns at their place, row stride L) and multiplied straight into
    # y[n, :, q0*W : q1*W] (ldc = L): each GEMM's column block is small and contiguous.
    # With a ``bias`` (not NULL), bias[c] is added to the tile's values of channel c
    # right after its product, while they are in the cache.
    cdef Py_ssize_t N = x.shape[0], KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t Q = g.window[0] * g.window[1], T = min(tile_rows, Q) * g.window[2]
    cdef Py_ssize_t R = x.shape[1] * KK
    cdef real* fp = NULL
    # The jobs are the tiles of all samples, in order (sample n's tiles, then n + 1's),
    # shared among the threads in runs: a thread takes whole samples when there are
    # enough of them, and with fewer samples than threads (_split_rows) the tiles of
    # one sample go to different threads. Each tile is the same computation wherever
    # it runs.
    cdef Py_ssize_t tiles = (Q + tile_rows - 1) // tile_rows
    cdef Py_ssize_t job, ws_part = ws.shape[0] // threads
    if full.shape[0] > 0:
        fp = &full[0]
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        with nogil:
            for job in range(N * tiles):
                _sample_conv_tile(x, w, y, &ws[0] if fp == NULL else NULL, fp, &g, groups,
                                  tile_rows, bias, job)
        return
    for job in prange(N * tiles, nogil=True, schedule="static", num_threads=threads):
        _sample_conv_tile(x, w, y, &ws[threadid() * ws_part] if fp == NULL else NULL, fp, &g,
                          groups, tile_rows, bias, job)
# [end loops: conv_forward]


# [loops: conv_forward, conv_weight_grad]
cdef inline void _pad_sample(const float* x, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                             Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t Wp,
                             float* xp) noexcept nogil:
    # xp (C, H + 2 ph, Wp) = the sample x (C, H, W) zero-padded: ph rows above and below,
    # pw columns on the left, the rest of each Wp-wide row zero (_blocked.pxd's
    # lucid_pad_box_f, which the phases loop calls with padding of its own on each side)
    lucid_pad_box_f(x, C, H, W, ph, pw, H + 2 * ph, Wp, xp)
# [end loops: conv_forward, conv_weight_grad]


# [loops: conv_forward]
cdef void _blocked_conv(const float[:, :, :, ::1] x, const float[::1] wr,
                        float[:, :, :, ::1] y, float[::1] ws, Py_ssize_t KH, Py_ssize_t KW,
                        Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t Wp, const float* bias,
                        Py_ssize_t parts, int threads) noexcept nogil:
    # A job per run of a sample's rows of blocks (``parts`` runs a sample: one, or more
    # when the batch has fewer samples than threads; a row of blocks is 8 output
    # channels of one output row, U = (C_out / 8) * Ho of them). The job's thread copies
    # the sample into its part of ``ws``, zero-padded (ph rows above and below, pw
    # columns on the left, the rest of each Wp-wide row zero), and _blocked.pxd's
    # lucid_blocked_part_f computes the run's outputs in blocks of 8 channels x 32
    # columns held in registers. With a ``bias`` (not NULL), bias[c] is added to the
    # run's rows of output plane c right after.
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t C_out = y.shape[1], Ho = y.shape[2], Wo = y.shape[3]
    cdef Py_ssize_t Hp = H + 2 * ph, n, c, u, job, u0, u1, ws_part = ws.shape[0] // threads
    cdef Py_ssize_t U = C_out // LUCID_BLOCK_CHANNELS * Ho
    cdef float* xp
    for job in prange(N * parts, nogil=True, schedule="static", num_threads=threads):
        n = job // parts
        u0 = U * (job % parts) // parts
        u1 = U * (job % parts + 1) // parts
        xp = &ws[threadid() * ws_part]
        _pad_sample(&x[n, 0, 0, 0], C_in, H, W, ph, pw, Wp, xp)
        lucid_blocked_part_f(xp, C_in, Hp, Wp, KH, KW, &wr[0], C_out, &y[n, 0, 0, 0], Ho,
                             Wo, u0, u1)
        if bias != NULL:
            for u in range(u0, u1):
                for c in range(u // Ho * LUCID_BLOCK_CHANNELS,
                               (u // Ho + 1) * LUCID_BLOCK_CHANNELS):
                    _add_constant(&y[n, c, u % Ho, 0], Wo, bias[c])
# [end loops: conv_forward]


# [loops: conv_forward]
cdef inline Py_ssize_t _positions_from(Py_ssize_t P, Py_ssize_t part,
                                       Py_ssize_t parts) noexcept nogil:
    """Where the ``part``-th of ``parts`` runs of a sample's ``P`` output positions
    starts (``P`` for ``part == parts``): equal runs, cut at multiples of 8 positions."""
    if part >= parts:
        return P
    return P * part // parts // 8 * 8


cdef void _lanes_conv(const float[:, :, :, ::1] x, const float[:, ::1] w,
                      float[:, :, :, ::1] y, float[::1] ws, Py_ssize_t KH, Py_ssize_t KW,
                      Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw,
                      const float* bias, Py_ssize_t parts, int threads,
                      bint flipped=False) noexcept nogil:
    # A job per run of a sample's output positions (``parts`` runs a sample: one, or
    # more when the batch has fewer samples than threads). Each thread first writes its
    # own copy of the weight, transposed to (C_in * KH * KW, C_out), at the end of its
    # part of ``ws`` (a copy written by one thread and read by the other cost the
    # reader the transfer of every line between the cores: :func:`_lanes_forward`).
    # The job's thread pads the sample into its part of ``ws`` (C_in, Hp, Wp: ph rows
    # above and below, pw columns on each side), _blocked.pxd's lucid_lanes_part_f
    # computes the run's outputs with the output channels in the lanes, as rows of
    # (Ho * Wo, C_out) after it in ``ws``, and lucid_lanes_store_part_f writes them
    # transposed into y[n] (plus the bias). A position's sums do not depend on the run
    # that holds it. ``flipped``: w is a stride-1 conv_transpose's weight (C_in, C_out *
    # KH * KW), and each thread writes its copy flipped as well (_flip_transpose): a
    # flipped copy made by the calling thread first was, again, read across the cores.
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t C_out = y.shape[1], Ho = y.shape[2], Wo = y.shape[3]
    cdef Py_ssize_t Hp = H + 2 * ph, Wp = W + 2 * pw, job
    cdef Py_ssize_t ws_part = ws.shape[0] // threads, P = Ho * Wo
    cdef Py_ssize_t taps = C_in * KH * KW
    cdef float* xp = NULL            # (set by each thread: the parallel block copies them in)
    cdef float* wt = NULL
    if threads == 1:                     # no parallel region for one thread (_openmp.pyx)
        xp = &ws[0]
        wt = xp + C_in * Hp * Wp + P * C_out
        if flipped:
            _flip_transpose(&w[0, 0], C_in, C_out, KH * KW, wt)
        else:
            lucid_transpose_f(&w[0, 0], C_out, taps, wt)
        for job in range(N * parts):
            _lanes_job(x, y, job, parts, xp, wt, KH, KW, sh, sw, ph, pw, bias)
        return
    with nogil, parallel(num_threads=threads):
        xp = &ws[threadid() * ws_part]
        wt = xp + C_in * Hp * Wp + P * C_out
        if flipped:
            _flip_transpose(&w[0, 0], C_in, C_out, KH * KW, wt)
        else:
            lucid_transpose_f(&w[0, 0], C_out, taps, wt)
        for job in prange(N * parts, schedule="static"):
            _lanes_job(x, y, job, parts, xp, wt, KH, KW, sh, sw, ph, pw, bias)


cdef inline void _lanes_job(const float[:, :, :, ::1] x, float[:, :, :, ::1] y,
                            Py_ssize_t job, Py_ssize_t parts, float* xp, const float* wt,
                            Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t sh, Py_ssize_t sw,
                            Py_ssize_t ph, Py_ssize_t pw, const float* bias) noexcept nogil:
    # One run of one sample's output positions (_lanes_conv): pad, compute, store.
    cdef Py_ssize_t C_in = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t C_out = y.shape[1], Ho = y.shape[2], Wo = y.shape[3]
    cdef Py_ssize_t Hp = H + 2 * ph, Wp = W + 2 * pw, P = Ho * Wo
    cdef Py_ssize_t n = job // parts
    cdef Py_ssize_t q0 = _positions_from(P, job % parts, parts)
    cdef Py_ssize_t q1 = _positions_from(P, job % parts + 1, parts)
    _pad_sample(&x[n, 0, 0, 0], C_in, H, W, ph, pw, Wp, xp)
    lucid_lanes_part_f(xp, C_in, Hp, Wp, KH, KW, sh, sw, wt, C_out, Ho, Wo, q0, q1,
                       xp + C_in * Hp * Wp)
    lucid_lanes_store_part_f(xp + C_in * Hp * Wp, P, q0, q1, C_out, bias, &y[n, 0, 0, 0])
# [end loops: conv_forward]


# [loops: conv_forward]
cdef void _wl_conv(const float[:, :, :, ::1] x, const float[:, :, ::1] u,
                   float[:, :, :, ::1] y, float[::1] ws, Py_ssize_t ph, Py_ssize_t pw,
                   Py_ssize_t Hp, Py_ssize_t Wp, Py_ssize_t chunk, const float* bias,
                   int threads) noexcept nogil:
    # Each thread pads its sample into its part of ``ws`` (C_in, Hp, Wp: ph rows above,
    # pw columns on the left, zeros to whole tiles), turns it channels last (xt: Hp * Wp,
    # C_in), and _winograd.pxd's lucid_wl_conv_f computes the sample's output by
    # Winograd's F(2x2, 3x3) with the channels in the lanes, as (Ho * Wo, C_out);
    # lucid_lanes_store_f writes it transposed into y[n] (plus the bias).
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t C_out = y.shape[1], Ho = y.shape[2], Wo = y.shape[3]
    cdef Py_ssize_t TW = (Wo + 1) // 2, n, ws_part = ws.shape[0] // threads
    cdef Py_ssize_t v_size = 16 * (chunk * TW * C_in + LUCID_WL_SKEW)
    cdef Py_ssize_t m_size = 16 * (chunk * TW * C_out + LUCID_WL_SKEW)
    cdef float* xp
    cdef float* xt
    cdef float* v
    cdef float* m
    cdef float* yt
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        xp = &ws[threadid() * ws_part]
        xt = xp + C_in * Hp * Wp
        v = xt + C_in * Hp * Wp
        m = v + v_size
        yt = m + m_size
        lucid_pad_box_f(&x[n, 0, 0, 0], C_in, H, W, ph, pw, Hp, Wp, xp)
        lucid_transpose_f(xp, C_in, Hp * Wp, xt)
        lucid_wl_conv_f(xt, Wp, C_in, &u[0, 0, 0], C_out, Ho, Wo, chunk, v, m, yt)
        lucid_lanes_store_f(yt, Ho * Wo, C_out, bias, &y[n, 0, 0, 0])
# [end loops: conv_forward]


# [loops: conv_weight_grad]
cdef void _wl_grad_w(const float[:, :, :, ::1] x, const float[:, :, :, ::1] gy,
                     float[:, ::1] parts, float[::1] ws, Py_ssize_t ph, Py_ssize_t pw,
                     Py_ssize_t Hp, Py_ssize_t Wp, Py_ssize_t chunk,
                     int threads) noexcept nogil:
    # parts[p] (zeroed by the caller), dU as (16, C_in, C_out): the sum over the p-th of
    # parts.shape[0] equal runs of samples, in order, whichever thread computes it (so
    # the result does not depend on ``threads``). For each sample the thread pads it
    # and turns it channels last as _wl_conv does, writes its output gradient channels
    # last (Ho * Wo, C_out) after it, and _winograd.pxd's lucid_wl_grad_w_f adds the
    # sample's dL/dU to parts[p].
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t C_out = gy.shape[1], Ho = gy.shape[2], Wo = gy.shape[3]
    cdef Py_ssize_t P = parts.shape[0], TW = (Wo + 1) // 2, n, p
    cdef Py_ssize_t ws_part = ws.shape[0] // threads
    cdef Py_ssize_t v_size = 16 * (chunk * TW * C_in + LUCID_WL_SKEW)
    cdef float* xp
    cdef float* xt
    cdef float* gt
    cdef float* v
    for p in prange(P, nogil=True, schedule="static", num_threads=threads):
        for n in range(p * N // P, (p + 1) * N // P):
            xp = &ws[threadid() * ws_part]
            xt = xp + C_in * Hp * Wp
            gt = xt + C_in * Hp * Wp
            v = gt + Ho * Wo * C_out
            lucid_pad_box_f(&x[n, 0, 0, 0], C_in, H, W, ph, pw, Hp, Wp, xp)
            lucid_transpose_f(xp, C_in, Hp * Wp, xt)
            lucid_transpose_f(&gy[n, 0, 0, 0], C_out, Ho * Wo, gt)
            lucid_wl_grad_w_f(xt, Wp, C_in, gt, C_out, Ho, Wo, chunk, v, v + v_size,
                              &parts[p, 0])
# [end loops: conv_weight_grad]


# [loops: conv_weight_grad]
cdef void _blocked_grad_w(const float[:, :, :, ::1] x, const float[:, :, :, ::1] gy,
                          float[:, ::1] parts, float[::1] ws, Py_ssize_t KH, Py_ssize_t KW,
                          Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw,
                          Py_ssize_t cuts, int threads) noexcept nogil:
    # parts[p] (zeroed by the caller), a (C_in * KH * KW, C_out) matrix: the sum over
    # the p-th of parts.shape[0] equal runs of samples, in order, whichever thread
    # computes it (so the result does not depend on ``threads``). A job per run and
    # cut of its rows of taps (``cuts`` of them: one, or more when there are fewer runs
    # than threads; each row's sums are the same whichever cut holds it). For each
    # sample of its run the job's thread pads it into its part of ``ws`` (C_in, Hp, Wp;
    # without padding it reads the sample where it is), writes its output gradient
    # transposed to (Ho * Wo, C_out) after it, and _blocked.pxd's
    # lucid_blocked_grad_w_part_f adds the sample's weight gradient to the cut's rows
    # of parts[p].
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t C_out = gy.shape[1], Ho = gy.shape[2], Wo = gy.shape[3]
    cdef Py_ssize_t P = parts.shape[0]
    cdef Py_ssize_t Hp = H + 2 * ph, Wp = W + 2 * pw, n, p, job
    cdef bint padded = ph > 0 or pw > 0
    cdef Py_ssize_t ws_part = ws.shape[0] // threads
    cdef const float* xp
    cdef float* gt
    for job in prange(P * cuts, nogil=True, schedule="static", num_threads=threads):
        p = job // cuts
        for n in range(p * N // P, (p + 1) * N // P):
            gt = &ws[threadid() * ws_part]
            if padded:
                xp = gt
                gt = gt + C_in * Hp * Wp
                _pad_sample(&x[n, 0, 0, 0], C_in, H, W, ph, pw, Wp, <float*>xp)
            else:                                # no padding: the sample as it is
                xp = &x[n, 0, 0, 0]
            lucid_transpose_f(&gy[n, 0, 0, 0], C_out, Ho * Wo, gt)
            lucid_blocked_grad_w_part_f(xp, C_in, Hp, Wp, KH, KW, sh, sw, gt, C_out, Ho,
                                        Wo, job % cuts, cuts, &parts[p, 0])
# [end loops: conv_weight_grad]


# [loops: conv_transpose_forward]
cdef void _sample_conv_transpose_one(const real[:, :, :, :, ::1] x, const real[:, ::1] w,
                                     real[:, :, :, :, ::1] y, real* cols, const Geometry* g,
                                     Py_ssize_t groups, const real* bias,
                                     Py_ssize_t n) noexcept nogil:
    # Sample n of _sample_conv_transpose, its columns in ``cols`` (this thread's
    # workspace): one GEMM per group, then col2im per output channel (and the bias).
    cdef Py_ssize_t C_in = x.shape[1], C_out = y.shape[1]
    cdef Py_ssize_t KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t L = g.window[0] * g.window[1] * g.window[2]
    cdef Py_ssize_t rows_g = C_out * KK // groups, C_in_g = C_in // groups
    cdef Py_ssize_t plane = g.image[0] * g.image[1] * g.image[2], c, gi
    for gi in range(groups):                     # cols[group] = w[group].T @ x[n, group]
        gemm(&_GEMM, True, False, rows_g, L, C_in_g, &w[gi * C_in_g, 0], rows_g,
             &x[n, gi * C_in_g, 0, 0, 0], L, 0, cols + gi * rows_g * L, L)
    for c in range(C_out):
        _col2im_channel(cols + c * KK * L, L, &y[n, c, 0, 0, 0], g)
        if bias != NULL:
            _add_constant(&y[n, c, 0, 0, 0], plane, bias[c])


cdef void _sample_conv_transpose(const real[:, :, :, :, ::1] x, const real[:, ::1] w,
                                 real[:, :, :, :, ::1] y, real[::1] ws, Geometry g,
                                 Py_ssize_t groups, const real* bias, int threads):
    # With a ``bias`` (not NULL), bias[c] is added to output plane c right after col2im
    # wrote it, while it is in the cache.
    cdef Py_ssize_t N = x.shape[0], C_out = y.shape[1]
    cdef Py_ssize_t KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t L = g.window[0] * g.window[1] * g.window[2]
    cdef Py_ssize_t R = C_out * KK
    cdef Py_ssize_t n, ws_part = ws.shape[0] // threads
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        with nogil:
            for n in range(N):
                _sample_conv_transpose_one(x, w, y, &ws[0], &g, groups, bias, n)
        return
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        _sample_conv_transpose_one(x, w, y, &ws[threadid() * ws_part], &g, groups, bias, n)
# [end loops: conv_transpose_forward]


# [loops: conv_transpose_forward]
cdef inline void _place_phase(const float* yt, Py_ssize_t Qh, Py_ssize_t Qw,
                              Py_ssize_t C_out, float* staged, Py_ssize_t Wo,
                              Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t rh,
                              Py_ssize_t rw) noexcept nogil:
    # staged[sh*qh + rh, sw*qw + rw, :] = yt[qh, qw, :]: one phase's outputs, computed
    # with the channels in the lanes, copied row by row (C_out values each) to their
    # places among the sample's positions, still channels last
    cdef Py_ssize_t qh, qw
    for qh in range(Qh):
        for qw in range(Qw):
            memcpy(staged + ((sh * qh + rh) * Wo + sw * qw + rw) * C_out,
                   yt + (qh * Qw + qw) * C_out, C_out * sizeof(float))


cdef void _phases_conv_transpose(const float[:, :, :, ::1] x, const float[::1] wt,
                                 const Py_ssize_t[:, ::1] phases, float[:, :, :, ::1] y,
                                 float[::1] ws, Py_ssize_t top, Py_ssize_t left,
                                 Py_ssize_t Hp, Py_ssize_t Wp, Py_ssize_t sh, Py_ssize_t sw,
                                 Py_ssize_t most, const float* bias,
                                 int threads) noexcept nogil:
    # The outputs y[n, :, sh*qh + rh, sw*qw + rw] of one phase (rh, rw) are a stride-1
    # convolution of the input with the taps kh = kh0 + sh*jh, kw = kw0 + sw*jw of w
    # (:func:`_phase_axis`). Each thread pads its sample into its part of ``ws`` (top rows
    # above, left columns on the left, Hp x Wp), and for each phase, row f of
    # ``phases`` = (rh, rw, Th, Tw, oh, ow, Qh, Qw, wo):
    #     yt[qh, qw, c_o] = sum over c_i, jh < Th, jw < Tw of
    #                       xp[c_i, oh + qh + jh, ow + qw + jw] * wt[wo + (c_i, jh, jw), c_o]
    # (_blocked.pxd's lucid_lanes_conv_f, the channels in the lanes: ``wt`` holds each
    # phase's taps reversed), then _place_phase copies yt's rows to their places in
    # ``staged`` (Ho * Wo, C_out), and, the phases done, lucid_lanes_store_f writes it
    # transposed into y[n] (plus the bias) by 16 x 16 blocks in registers.
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t C_out = y.shape[1], Ho = y.shape[2], Wo = y.shape[3]
    cdef Py_ssize_t ws_part = ws.shape[0] // threads, n, f
    cdef float* xp
    cdef float* yt
    cdef float* staged
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        xp = &ws[threadid() * ws_part]
        yt = xp + C_in * Hp * Wp
        staged = yt + most * C_out
        lucid_pad_box_f(&x[n, 0, 0, 0], C_in, H, W, top, left, Hp, Wp, xp)
        for f in range(phases.shape[0]):
            lucid_lanes_conv_f(xp + phases[f, 4] * Wp + phases[f, 5], C_in, Hp, Wp,
                               phases[f, 2], phases[f, 3], 1, 1, &wt[phases[f, 8]], C_out,
                               phases[f, 6], phases[f, 7], yt)
            _place_phase(yt, phases[f, 6], phases[f, 7], C_out, staged, Wo, sh, sw,
                         phases[f, 0], phases[f, 1])
        lucid_lanes_store_f(staged, Ho * Wo, C_out, bias, &y[n, 0, 0, 0])
# [end loops: conv_transpose_forward]


# [loops: conv_weight_grad]
cdef void _sample_weight_grad(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] gy,
                              real[:, ::1] parts, real[::1] ws, real[::1] full, Geometry g,
                              Py_ssize_t groups, bint transposed, int threads):
    # parts[p] (zeroed by the caller): the sum over the p-th of parts.shape[0] equal runs
    # of samples, in order, whichever thread computes it (so the result does not depend
    # on ``threads``), per group (rows_g, C_out_g) when ``transposed``, else
    # (C_out_g, rows_g)
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], C_out = gy.shape[1]
    cdef Py_ssize_t KK = g.K[0] * g.K[1] * g.K[2]
    cdef Py_ssize_t L = g.window[0] * g.window[1] * g.window[2]
    cdef Py_ssize_t R = C_in * KK, rows_g = R // groups, C_out_g = C_out // groups
    cdef Py_ssize_t P = parts.shape[0]
    cdef real* fp = NULL
    cdef Py_ssize_t n, c, gi, p, ws_part = ws.shape[0] // threads
    cdef real* cols
    cdef real* acc
    cdef const real* gyg
    if full.shape[0] > 0:
        fp = &full[0]
    for p in prange(P, nogil=True, schedule="static", num_threads=threads):
        for n in range(p * N // P, (p + 1) * N // P):
            if fp != NULL:                       # computed by conv_forward
                cols = fp + n * R * L
            else:
                cols = &ws[threadid() * ws_part]
                for c in range(C_in):
                    _im2col_channel(&x[n, c, 0, 0, 0], cols + c * KK * L, L, &g, 0,
                                    g.window[0] * g.window[1])
            for gi in range(groups):
                gyg = &gy[n, gi * C_out_g, 0, 0, 0]
                acc = &parts[p, gi * rows_g * C_out_g]
                if transposed:                   # acc += cols[group] @ gy[n, group].T
                    gemm(&_GEMM, False, True, rows_g, C_out_g, L, cols + gi * rows_g * L,
                         L, gyg, L, 1, acc, C_out_g)
                else:                            # acc += gy[n, group] @ cols[group].T
                    gemm(&_GEMM, False, True, C_out_g, rows_g, L, gyg, L,
                         cols + gi * rows_g * L, L, 1, acc, rows_g)
# [end loops: conv_weight_grad]


# ----------------------------------------------------------------------------------
# The Winograd path (2-d, 3x3, stride 1, no dilation, one group): y = conv(x, w) by
# F(2x2, 3x3). Each 2x2 block of output ("tile" (i, j): rows 2i, 2i+1, columns 2j,
# 2j+1) depends on a 4x4 patch d of the padded input, and
#
#     y_tile = A^T [ (G w G^T) * (B^T d B) ] A       (* element-wise, per 4x4 position)
#
# with B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
#      G   = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]],
#      A^T = [[1, 1, 1, 0], [0, 1, -1, -1]].
# Summed over input channels, the element-wise product becomes, for each of the 16
# positions e, one matrix product: M[e] (C_out, tiles) = U[e] (C_out, C_in) @ V[e]
# (C_in, tiles), U = G w G^T (once per call), V = B^T d B. 16 products of C_out * C_in *
# tiles multiply-adds instead of one of 36 per tile (the direct GEMM's 9 per output):
# 2.25x fewer, for transforms that are additions only.

# [loops: conv_forward, conv_weight_grad]
# The transforms take tiles 8 at a time (a "group", LANES tiles): their 16 values are
# read into a local array, combined lane by lane and stored. The combining loops run
# over the 8 lanes of local arrays, which nothing else can alias, so the compiler turns
# them into vector instructions. (Written as loops along whole tile rows of V and M
# instead, they had a dozen pointers that might alias, and the compiler kept them
# scalar: the transforms took 45% of the time, the products 26%.) The input transform's
# groups lie along a tile row, read from a plane padded to whole groups; the output
# transform's run along M's columns, whatever rows they cross.
cdef enum:
    LANES = 8
    # V's and M's 16 rows (one per position e) lie this many entries further apart
    # than their sizes (see _winograd_conv); it also holds the reads of a last group's
    # lanes past a job's columns (at most LANES - 1), so they stay in the workspace.
    _WINOGRAD_SKEW = 16
    # Input channels per block of the weight transform (_winograd_weight).
    WEIGHT_BLOCK = 64


cdef inline void _winograd_input(const real* plane, Py_ssize_t Wp, Py_ssize_t TW,
                                 Py_ssize_t tiles, real* v,
                                 Py_ssize_t v_stride) noexcept nogil:
    # V = B^T d B of ``tiles`` tiles (tile t = i*TW + j: its patch d starts at row 2i,
    # column 2j of the zero-padded ``plane``, whose rows, Wp long, hold whole groups:
    # Wp >= 2 * TW rounded up to LANES + 2); v[e * v_stride + t]. A group is LANES
    # tiles of one tile row, the last one of a row partly past its end (those lanes
    # are computed from the row's padding and not stored).
    cdef real d[16][LANES]
    cdef real r[16][LANES]
    cdef Py_ssize_t i, group, j0, l, a, b, n_l
    cdef const real* src
    cdef real* dst
    for i in range(tiles // TW):
        for group in range((TW + LANES - 1) // LANES):
            j0 = group * LANES
            for a in range(4):                   # the group's patches: stride-2 reads
                src = plane + (2 * i + a) * Wp + 2 * j0
                for b in range(4):
                    for l in range(LANES):
                        d[4 * a + b][l] = src[2 * l + b]
            for b in range(4):                   # B^T d: rows 0-2, 1+2, 2-1, 1-3
                for l in range(LANES):
                    r[b][l] = d[b][l] - d[8 + b][l]
                    r[4 + b][l] = d[4 + b][l] + d[8 + b][l]
                    r[8 + b][l] = d[8 + b][l] - d[4 + b][l]
                    r[12 + b][l] = d[4 + b][l] - d[12 + b][l]
            for a in range(4):                   # (B^T d) B: the same of the columns
                for l in range(LANES):
                    d[4 * a][l] = r[4 * a][l] - r[4 * a + 2][l]
                    d[4 * a + 1][l] = r[4 * a + 1][l] + r[4 * a + 2][l]
                    d[4 * a + 2][l] = r[4 * a + 2][l] - r[4 * a + 1][l]
                    d[4 * a + 3][l] = r[4 * a + 1][l] - r[4 * a + 3][l]
            n_l = min(LANES, TW - j0)
            dst = v + i * TW + j0
            for a in range(16):
                if n_l == LANES:
                    for l in range(LANES):
                        dst[a * v_stride + l] = d[a][l]
                else:
                    for l in range(n_l):
                        dst[a * v_stride + l] = d[a][l]


cdef inline void _winograd_sample(const real* xn, Py_ssize_t C_in, Py_ssize_t H,
                                  Py_ssize_t W, Py_ssize_t r0, Py_ssize_t pw,
                                  Py_ssize_t rows, Py_ssize_t TW, real* plane, real* v,
                                  Py_ssize_t T, Py_ssize_t v_e) noexcept nogil:
    # V[:, c, :rows * TW] = B^T d B for every input channel c of one sample ``xn``
    # (C_in, H, W), its tile rows from input row r0 on; row e of V at v + e * v_e,
    # channel c at column block c * T. ``plane`` holds x's rows r0 .. r0 + 2*rows + 1
    # of one channel, zero outside x, columns from -pw, whole groups wide.
    cdef Py_ssize_t Wp = _winograd_width(TW), c, row, r
    cdef Py_ssize_t c_lo = min(pw, Wp)           # plane columns inside x: [c_lo, c_hi)
    cdef Py_ssize_t c_hi = max(min(W + pw, Wp), c_lo)
    for c in range(C_in):
        for row in range(2 * rows + 2):
            r = r0 + row
            if r < 0 or r >= H:
                memset(plane + row * Wp, 0, Wp * sizeof(real))
            else:
                memset(plane + row * Wp, 0, c_lo * sizeof(real))
                memcpy(plane + row * Wp + c_lo, xn + (c * H + r) * W + c_lo - pw,
                       (c_hi - c_lo) * sizeof(real))
                memset(plane + row * Wp + c_hi, 0, (Wp - c_hi) * sizeof(real))
        _winograd_input(plane, Wp, TW, rows * TW, v + c * T, v_e)
# [end loops: conv_forward, conv_weight_grad]


# [loops: conv_forward]
cdef inline void _winograd_output(const real* m, Py_ssize_t m_stride, Py_ssize_t tiles,
                                  real* q, Py_ssize_t q_stride) noexcept nogil:
    # y_tile = A^T M A of ``tiles`` tiles, M's 16 entries at m[e * m_stride + t]: the
    # tile's 2x2 block at q[(2a + b) * q_stride + t] (row a, column b of the block)
    cdef real d[16][LANES]
    cdef real r[8][LANES]
    cdef Py_ssize_t group, t0, l, a, b
    for group in range((tiles + LANES - 1) // LANES):
        t0 = group * LANES
        for a in range(16):                      # M of the group (lanes past the end:
            for l in range(LANES):               # whatever the workspace holds, unused)
                d[a][l] = m[a * m_stride + t0 + l]
        for b in range(4):                       # A^T M: rows 0+1+2 and 1-2-3
            for l in range(LANES):
                r[b][l] = d[b][l] + d[4 + b][l] + d[8 + b][l]
                r[4 + b][l] = d[4 + b][l] - d[8 + b][l] - d[12 + b][l]
        for a in range(2):                       # (A^T M) A: the same of the columns
            for l in range(LANES):
                q[2 * a * q_stride + t0 + l] = r[4 * a][l] + r[4 * a + 1][l] + r[4 * a + 2][l]
                q[(2 * a + 1) * q_stride + t0 + l] = (r[4 * a + 1][l] - r[4 * a + 2][l]
                                                      - r[4 * a + 3][l])


cdef inline void _add_constant(real* values, Py_ssize_t n, real constant) noexcept nogil:
    """values[i] += constant for i < n: a channel's bias, added to output values the
    kernel has just written (still in the cache)."""
    cdef Py_ssize_t i
    for i in range(n):
        values[i] = values[i] + constant


cdef inline void _interleave(real* y_row, const real* even, const real* odd,
                             Py_ssize_t Wo) noexcept nogil:
    """y_row[2j] = even[j], y_row[2j + 1] = odd[j], for the Wo entries of the row."""
    cdef Py_ssize_t j
    for j in range(Wo // 2):
        y_row[2 * j] = even[j]
        y_row[2 * j + 1] = odd[j]
    if Wo % 2:
        y_row[Wo - 1] = even[Wo // 2]


cdef void _winograd_weight(const real[:, :, :, ::1] w, real[:, :, ::1] u) noexcept nogil:
    # U[4a + b, c_o, c_i] = (G w[c_o, c_i] G^T)[a, b], summed in double, rounded once.
    # Along c_i, which is contiguous in U, in blocks of WEIGHT_BLOCK input channels: the
    # 9 taps of w[c_o, block] copied tap by tap into t, the rows of G w into gw, then the
    # 16 entries of (G w) G^T, each a loop along the block the compiler vectorises.
    # (One channel pair at a time instead, 16 scattered stores each: 0.21 ms for 64x64
    # channels, 8x8 outputs at batch 32 taking 1 ms.)
    cdef Py_ssize_t C_out = w.shape[0], C_in = w.shape[1], plane = C_out * C_in
    cdef Py_ssize_t o, blk, c0, n, c, k, a
    cdef double t[9][WEIGHT_BLOCK]
    cdef double gw[12][WEIGHT_BLOCK]
    cdef const real* wo
    cdef real* uo
    for o in range(C_out):
        for blk in range((C_in + WEIGHT_BLOCK - 1) // WEIGHT_BLOCK):
            c0 = blk * WEIGHT_BLOCK
            n = min(WEIGHT_BLOCK, C_in - c0)
            wo = &w[o, c0, 0, 0]
            for c in range(n):
                for k in range(9):
                    t[k][c] = wo[9 * c + k]
            for k in range(3):                   # G w: rows of w combined
                for c in range(n):
                    gw[k][c] = t[k][c]
                    gw[3 + k][c] = 0.5 * (t[k][c] + t[3 + k][c] + t[6 + k][c])
                    gw[6 + k][c] = 0.5 * (t[k][c] - t[3 + k][c] + t[6 + k][c])
                    gw[9 + k][c] = t[6 + k][c]
            uo = &u[0, o, c0]
            for a in range(4):                   # (G w) G^T: its columns combined
                for c in range(n):
                    uo[4 * a * plane + c] = <real> gw[3 * a][c]
                    uo[(4 * a + 1) * plane + c] = <real> (
                        0.5 * (gw[3 * a][c] + gw[3 * a + 1][c] + gw[3 * a + 2][c]))
                    uo[(4 * a + 2) * plane + c] = <real> (
                        0.5 * (gw[3 * a][c] - gw[3 * a + 1][c] + gw[3 * a + 2][c]))
                    uo[(4 * a + 3) * plane + c] = <real> gw[3 * a + 2][c]


cdef struct WinogradJob:
    # Samples n0 <= n < n0 + ns, tile rows i0 <= i < i0 + rows of each
    Py_ssize_t n0
    Py_ssize_t ns
    Py_ssize_t i0
    Py_ssize_t rows


cdef inline WinogradJob _winograd_job(Py_ssize_t job, Py_ssize_t N, Py_ssize_t batches,
                                      Py_ssize_t chunks, Py_ssize_t chunk_rows,
                                      Py_ssize_t TH) noexcept nogil:
    """Job ``job`` of ``batches * chunks``: run ``job // chunks`` of the batch's
    ``batches`` runs of samples (as even as can be), chunk ``job % chunks`` of tile rows.
    Returned by value, for the reason :c:func:`_inside` gives."""
    cdef WinogradJob part
    part.n0 = job // chunks * N // batches
    part.ns = (job // chunks + 1) * N // batches - part.n0
    part.i0 = (job % chunks) * chunk_rows
    part.rows = min(chunk_rows, TH - part.i0)
    return part


cdef void _winograd_conv(const real[:, :, :, :, ::1] x, const real[:, :, ::1] u,
                         real[:, :, :, :, ::1] y, real[::1] ws, Py_ssize_t ph,
                         Py_ssize_t pw, Py_ssize_t batches, Py_ssize_t chunk_rows,
                         const real* bias, int threads):
    # Jobs: the batch in ``batches`` runs of whole samples, or chunks of ``chunk_rows``
    # tile rows of one sample, each on one OpenMP thread with its own workspace: V
    # (16, C_in, T) and M (16, C_out, T), T = the job's tiles (sample after sample)
    # rounded up to whole groups, and a plane: the chunk's rows of one input channel,
    # zero-padded, or the 2x2 blocks of one output channel.
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], H = x.shape[3], W = x.shape[4]
    cdef Py_ssize_t C_out = y.shape[1], Ho = y.shape[3], Wo = y.shape[4]
    cdef Py_ssize_t TH = (Ho + 1) // 2, TW = (Wo + 1) // 2
    cdef Py_ssize_t T = _winograd_columns((N + batches - 1) // batches * chunk_rows * TW)
    cdef Py_ssize_t chunks = (TH + chunk_rows - 1) // chunk_rows
    cdef Py_ssize_t jobs = batches * chunks
    # V[e] and M[e] one cache line further apart than their sizes: at sizes a multiple
    # of 4 KB, the 16 rows a transform writes or reads would share a set of the
    # cache and evict each other (the input transform ran 2x slower at 64 channels)
    cdef Py_ssize_t v_e = C_in * T + _WINOGRAD_SKEW, m_e = C_out * T + _WINOGRAD_SKEW
    cdef Py_ssize_t ws_part = ws.shape[0] // threads
    cdef Py_ssize_t job, n, n0, ns, i0, rows_here, c, e, tiles, at, row
    cdef real* v
    cdef real* m
    cdef real* plane
    cdef WinogradJob part
    for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
        part = _winograd_job(job, N, batches, chunks, chunk_rows, TH)
        n0, ns, i0, rows_here = part.n0, part.ns, part.i0, part.rows
        tiles = rows_here * TW                   # per sample; sample n at (n - n0) * tiles
        v = &ws[threadid() * ws_part]
        m = v + 16 * v_e
        plane = m + 16 * m_e
        for n in range(n0, n0 + ns):
            at = (n - n0) * tiles
            _winograd_sample(&x[n, 0, 0, 0, 0], C_in, H, W, 2 * i0 - ph, pw, rows_here, TW,
                             plane, v + at, T, v_e)
        for e in range(16):                      # M[e] = U[e] @ V[e]
            gemm(&_GEMM, False, False, C_out, ns * tiles, C_in, &u[e, 0, 0], C_in,
                 v + e * v_e, T, 0, m + e * m_e, T)
        for n in range(n0, n0 + ns):
            at = (n - n0) * tiles
            for c in range(C_out):               # y[n, c]'s tiles = A^T M A
                _winograd_output(m + c * T + at, m_e, tiles, plane, T)
                for row in range(min(2 * rows_here, Ho - 2 * i0)):   # y's rows of the chunk
                    e = (row % 2) * 2 * T + (row // 2) * TW          # block row row % 2
                    _interleave(&y[n, c, 0, 2 * i0 + row, 0], plane + e, plane + e + T, Wo)
                    if bias != NULL:             # y = conv + bias[c], the row in cache
                        _add_constant(&y[n, c, 0, 2 * i0 + row, 0], Wo, bias[c])
# [end loops: conv_forward]


# [loops: conv_weight_grad]
# The weight gradient by the same transforms. With y_tile = A^T (U * V) A and
# U = G w G^T, a tile contributes dL/dU = (A g A^T) * V (g its 2x2 block of dL/dy,
# zero past y's edge), so, per position e, dU[e] (C_out, C_in) = sum over tiles of
# Z[e] (C_out, tiles) @ V[e].T (tiles, C_in) with Z = A g A^T, and dL/dw = G^T dU G.

cdef inline void _winograd_grad_input(const real* plane, Py_ssize_t TW, Py_ssize_t tiles,
                                      real* z, Py_ssize_t z_stride) noexcept nogil:
    # Z = A g A^T of ``tiles`` tiles (tile t = i*TW + j: its block g at rows 2i, 2i+1,
    # columns 2j, 2j+1 of ``plane``, rows 2*TW long, zero past y's edge):
    # z[e * z_stride + t]. The four entries of each block are first copied to z's rows
    # 0-3, then transformed a group at a time.
    cdef real g[4][LANES]
    cdef real r[8][LANES]
    cdef Py_ssize_t group, t0, l, a, i, j, n_l
    cdef const real* src
    cdef real* dst
    for i in range(tiles // TW):
        for a in range(2):
            src = plane + (2 * i + a) * 2 * TW
            dst = z + 2 * a * z_stride + i * TW
            for j in range(TW):
                dst[j] = src[2 * j]
                dst[z_stride + j] = src[2 * j + 1]
    for group in range((tiles + LANES - 1) // LANES):
        t0 = group * LANES
        for a in range(4):                       # g00, g01, g10, g11 of the group
            for l in range(LANES):
                g[a][l] = z[a * z_stride + t0 + l]
        for a in range(2):                       # A g: rows g0, g0 + g1, g0 - g1, -g1
            for l in range(LANES):
                r[a][l] = g[a][l]
                r[2 + a][l] = g[a][l] + g[2 + a][l]
                r[4 + a][l] = g[a][l] - g[2 + a][l]
                r[6 + a][l] = -g[2 + a][l]
        n_l = min(LANES, tiles - t0)             # past the end: another sample's tiles
        for a in range(4):                       # (A g) A^T: the same of the columns
            for l in range(n_l):
                z[4 * a * z_stride + t0 + l] = r[2 * a][l]
                z[(4 * a + 1) * z_stride + t0 + l] = r[2 * a][l] + r[2 * a + 1][l]
                z[(4 * a + 2) * z_stride + t0 + l] = r[2 * a][l] - r[2 * a + 1][l]
                z[(4 * a + 3) * z_stride + t0 + l] = -r[2 * a + 1][l]


cdef void _winograd_weight_grad(const real[:, :, :, :, ::1] x,
                                const real[:, :, :, :, ::1] gy, real[:, ::1] parts,
                                real[::1] ws, Py_ssize_t ph, Py_ssize_t pw,
                                Py_ssize_t batches, Py_ssize_t chunk_rows, int threads):
    # Jobs as in _winograd_conv; parts[t] (zeroed by the caller) is thread t's dU
    # (16, C_out, C_in), summed over its jobs. Workspace: V (16, C_in, T), Z (16, C_out,
    # T), and a plane of one channel of x (padded) or of dL/dy (whole tiles).
    cdef Py_ssize_t N = x.shape[0], C_in = x.shape[1], H = x.shape[3], W = x.shape[4]
    cdef Py_ssize_t C_out = gy.shape[1], Ho = gy.shape[3], Wo = gy.shape[4]
    cdef Py_ssize_t TH = (Ho + 1) // 2, TW = (Wo + 1) // 2
    cdef Py_ssize_t T = _winograd_columns((N + batches - 1) // batches * chunk_rows * TW)
    cdef Py_ssize_t chunks = (TH + chunk_rows - 1) // chunk_rows
    cdef Py_ssize_t jobs = batches * chunks
    cdef Py_ssize_t v_e = C_in * T + _WINOGRAD_SKEW, z_e = C_out * T + _WINOGRAD_SKEW
    cdef Py_ssize_t ws_part = ws.shape[0] // threads
    cdef Py_ssize_t job, n, n0, ns, i0, rows_here, c, e, tiles, at, row
    cdef real* v
    cdef real* z
    cdef real* plane
    cdef WinogradJob part
    for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
        part = _winograd_job(job, N, batches, chunks, chunk_rows, TH)
        n0, ns, i0, rows_here = part.n0, part.ns, part.i0, part.rows
        tiles = rows_here * TW
        v = &ws[threadid() * ws_part]
        z = v + 16 * v_e
        plane = z + 16 * z_e
        for n in range(n0, n0 + ns):
            at = (n - n0) * tiles
            _winograd_sample(&x[n, 0, 0, 0, 0], C_in, H, W, 2 * i0 - ph, pw, rows_here, TW,
                             plane, v + at, T, v_e)
            for c in range(C_out):               # Z[:, c, at:] = A g A^T per tile
                memset(plane, 0, 4 * rows_here * TW * sizeof(real))
                for row in range(min(2 * rows_here, Ho - 2 * i0)):
                    memcpy(plane + row * 2 * TW, &gy[n, c, 0, 2 * i0 + row, 0],
                           Wo * sizeof(real))
                _winograd_grad_input(plane, TW, tiles, z + c * T + at, z_e)
        for e in range(16):                      # dU[e] += Z[e] @ V[e].T
            gemm(&_GEMM, False, True, C_out, C_in, ns * tiles, z + e * z_e, T, v + e * v_e,
                 T, 1, &parts[threadid(), e * C_out * C_in], C_in)


cdef void _winograd_weight_back(const real[:, :, ::1] du, real[:, :, :, ::1] gw) noexcept nogil:
    # gw[c_o, c_i] = G^T dU[:, c_o, c_i] G (dU's 16 entries as a 4x4 matrix)
    cdef Py_ssize_t o, c, a, k
    cdef double h[4][3]
    cdef double u[16]
    for o in range(gw.shape[0]):
        for c in range(gw.shape[1]):
            for a in range(16):
                u[a] = du[a, o, c]
            for a in range(4):                   # dU G: columns 0 + (1 + 2)/2, (1 - 2)/2,
                h[a][0] = u[4 * a] + 0.5 * (u[4 * a + 1] + u[4 * a + 2])   # (1 + 2)/2 + 3
                h[a][1] = 0.5 * (u[4 * a + 1] - u[4 * a + 2])
                h[a][2] = 0.5 * (u[4 * a + 1] + u[4 * a + 2]) + u[4 * a + 3]
            for k in range(3):                   # G^T (dU G): the same of the rows
                gw[o, c, 0, k] = <real> (h[0][k] + 0.5 * (h[1][k] + h[2][k]))
                gw[o, c, 1, k] = <real> (0.5 * (h[1][k] - h[2][k]))
                gw[o, c, 2, k] = <real> (0.5 * (h[1][k] + h[2][k]) + h[3][k])
# [end loops: conv_weight_grad]


cdef const real* _bias_pointer(const real[::1] bias, Py_ssize_t C_out) except? NULL:
    """Where the loops read the bias: NULL for none (``bias`` None), else the address of
    its ``C_out`` values (checked here, before any loop runs; the array stays alive
    with the caller's reference)."""
    if bias is None:
        return NULL
    assert bias.shape[0] == C_out, "a bias value per output channel"
    return &bias[0]


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


def _check_sample(ws, full, N, R, columns, threads, name):
    """What the per-sample loops assume of their scratch space: each of ``threads``
    threads writes ``columns`` column entries (R rows) into its own part of ``ws``, or,
    with ``full`` given, every sample's R x L columns go there (``columns`` then the L
    of a whole sample)."""
    assert _BLAS_MAX > 0, f"{name}: no BLAS bound (_blas.find found none; the loops call it)"
    assert threads >= 1, f"{name}: threads"
    if full is not None and full.shape[0] > 0:
        assert full.shape[0] >= N * R * columns, f"{name}: full columns"
    else:
        assert ws.shape[0] >= threads * _part(R * columns, ws.itemsize), f"{name}: workspace"


def _run_sample_conv(const real[:, :, :, :, ::1] x, const real[:, ::1] w,
                     real[:, :, :, :, ::1] y, real[::1] ws, real[::1] full, geo,
                     Py_ssize_t groups, Py_ssize_t tile_rows, int threads,
                     const real[::1] bias=None):
    window = geo[1]
    assert tile_rows >= 1, "sample conv: tile_rows"
    tile = min(tile_rows, window[0] * window[1]) * window[2]
    _check_sample(ws, full if full.shape[0] > 0 else None, x.shape[0],
                  x.shape[1] * math.prod(geo[2]), math.prod(window) if full.shape[0] > 0 else tile,
                  threads, "sample conv")
    _sample_conv(x, w, y, ws, full, _geometry(geo), groups, tile_rows,
                 _bias_pointer(bias, y.shape[1]), threads)


def _run_sample_conv_transpose(const real[:, :, :, :, ::1] x, const real[:, ::1] w,
                               real[:, :, :, :, ::1] y, real[::1] ws, geo,
                               Py_ssize_t groups, int threads, const real[::1] bias=None):
    _check_sample(ws, None, x.shape[0], y.shape[1] * math.prod(geo[2]), math.prod(geo[1]),
                  threads, "sample conv_transpose")
    _sample_conv_transpose(x, w, y, ws, _geometry(geo), groups,
                           _bias_pointer(bias, y.shape[1]), threads)


def _run_sample_weight_grad(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] gy,
                            real[:, ::1] parts, real[::1] ws, real[::1] full, geo,
                            Py_ssize_t groups, bint transposed, int threads):
    R = x.shape[1] * math.prod(geo[2])
    _check_sample(ws, full if full.shape[0] > 0 else None, x.shape[0], R, math.prod(geo[1]),
                  threads, "sample weight grad")
    assert parts.shape[0] >= 1 and parts.shape[1] == R * (gy.shape[1] // groups), \
        "sample weight grad: parts"
    _sample_weight_grad(x, gy, parts, ws, full, _geometry(geo), groups, transposed,
                        threads)


def _run_blocked_conv(const float[:, :, :, ::1] x, const float[::1] wr,
                      float[:, :, :, ::1] y, float[::1] ws, K, padding, Py_ssize_t Wp,
                      int threads, const float[::1] bias=None, Py_ssize_t parts=1):
    """What the blocked loops assume, checked: the output's size for stride 1, whole
    blocks of 8 output channels, the repacked weight's size, padded rows long enough for
    the last block's reads, a padded sample per thread in ``ws``, and at least one run
    of rows per sample."""
    cdef Py_ssize_t KH = K[0], KW = K[1], ph = padding[0], pw = padding[1]
    cdef Py_ssize_t C_in = x.shape[1], C_out = y.shape[1]
    cdef Py_ssize_t Hp = x.shape[2] + 2 * ph
    assert threads >= 1 and parts >= 1 and KH >= 1 and KW >= 1 and ph >= 0 and pw >= 0, \
        "blocked conv: sizes"
    assert y.shape[0] == x.shape[0] and y.shape[3] >= 1 \
        and y.shape[2] == conv_output_size(x.shape[2], KH, 1, ph, 1) \
        and y.shape[3] == conv_output_size(x.shape[3], KW, 1, pw, 1), "blocked conv: y"
    assert C_out % LUCID_BLOCK_CHANNELS == 0, "blocked conv: C_out"
    assert wr.shape[0] == C_out * C_in * KH * KW, "blocked conv: weight"
    assert Wp >= (y.shape[3] + 15) // 16 * 16 + KW - 1 and Wp >= x.shape[3] + 2 * pw, \
        "blocked conv: padded width"
    assert ws.shape[0] >= threads * _part(C_in * Hp * Wp, sizeof(float)), \
        "blocked conv: workspace"
    if y.shape[0] == 0:
        return
    _blocked_conv(x, wr, y, ws, KH, KW, ph, pw, Wp, _bias_pointer(bias, C_out), parts,
                  threads)


def _run_lanes_conv(const float[:, :, :, ::1] x, const float[:, ::1] w,
                    float[:, :, :, ::1] y, float[::1] ws, K, stride, padding, int threads,
                    const float[::1] bias=None, Py_ssize_t parts=1, bint flipped=False):
    """What the lanes loops assume, checked: the output's size for this kernel, stride
    and padding, whole vectors of 16 output channels, the weight as (C_out, C_in * KH *
    KW) (``flipped``: a stride-1 conv_transpose's, (C_in, C_out * KH * KW), stride 1),
    per thread in ``ws`` a padded sample, its transposed output and the weight
    transposed (:func:`_lanes_per_thread`), and at least one run of positions per
    sample."""
    cdef Py_ssize_t KH = K[0], KW = K[1], sh = stride[0], sw = stride[1]
    cdef Py_ssize_t ph = padding[0], pw = padding[1]
    cdef Py_ssize_t C_in = x.shape[1], C_out = y.shape[1]
    assert threads >= 1 and parts >= 1 and KH >= 1 and KW >= 1 and sh >= 1 and sw >= 1 \
        and ph >= 0 and pw >= 0, "lanes conv: sizes"
    assert y.shape[0] == x.shape[0] and y.shape[2] >= 1 and y.shape[3] >= 1 \
        and y.shape[2] == conv_output_size(x.shape[2], KH, sh, ph, 1) \
        and y.shape[3] == conv_output_size(x.shape[3], KW, sw, pw, 1), "lanes conv: y"
    assert C_out % LUCID_GRAD_CHANNELS == 0, "lanes conv: C_out"
    if flipped:
        assert w.shape[0] == C_in and w.shape[1] == C_out * KH * KW and sh == 1 \
            and sw == 1, "lanes conv: flipped weight"
    else:
        assert w.shape[0] == C_out and w.shape[1] == C_in * KH * KW, "lanes conv: weight"
    assert ws.shape[0] >= threads * _part(
        _lanes_per_thread(C_in, x.shape[2] + 2 * ph, x.shape[3] + 2 * pw, KH * KW,
                          C_out, y.shape[2] * y.shape[3]), sizeof(float)), \
        "lanes conv: workspace"
    if y.shape[0] == 0:
        return
    _lanes_conv(x, w, y, ws, KH, KW, sh, sw, ph, pw, _bias_pointer(bias, C_out), parts,
                threads, flipped)


def _lanes_per_thread(C_in, Hp, Wp, kernel, C_out, P):
    """Floats of one thread's part of the lanes workspace: the padded sample (C_in, Hp,
    Wp), its ``P`` outputs with the channels last, and the weight transposed (C_in *
    kernel, C_out), ``kernel`` the kernel's positions (KH * KW)."""
    return C_in * Hp * Wp + P * C_out + C_in * kernel * C_out


def _wl_per_thread(C_in, C_out, Hp, Wp, Ho, Wo, chunk):
    """Floats of one thread's workspace on the Winograd lanes path: the padded sample
    twice (as is and channels last), a chunk's V and M (Z, of M's size, in the weight
    gradient), the output (or output gradient) channels last; :c:func:`_wl_conv` and
    :c:func:`_wl_grad_w` lay them out."""
    TW = _winograd_blocks((Ho, Wo))[1]
    return (2 * C_in * Hp * Wp + 16 * (chunk * TW * C_in + LUCID_WL_SKEW)
            + 16 * (chunk * TW * C_out + LUCID_WL_SKEW) + Ho * Wo * C_out)


def _check_wl(x, out, ws, padding, Hp, Wp, chunk, threads, name, out_name):
    """What both Winograd lanes loops assume of ``x`` (N, C_in, H, W) and ``out`` (the
    output or its gradient, (N, C_out, Ho, Wo)), checked, a failure naming ``name``
    and ``out_name``: a 3x3 stride-1 output size, whole vectors of 16 input and output
    channels, a padded plane of whole tiles (Hp, Wp) holding the padded input, at least
    one tile row per chunk, and each thread's part of ``ws``."""
    ph, pw = padding
    C_in, C_out, Ho, Wo = x.shape[1], out.shape[1], out.shape[2], out.shape[3]
    assert threads >= 1 and ph >= 0 and pw >= 0 and chunk >= 1, name + ": sizes"
    assert out.shape[0] == x.shape[0] and Ho >= 1 and Wo >= 1 \
        and Ho == conv_output_size(x.shape[2], 3, 1, ph, 1) \
        and Wo == conv_output_size(x.shape[3], 3, 1, pw, 1), name + ": " + out_name
    assert C_in % 16 == 0 and C_out % 16 == 0, name + ": channels"
    TH, TW = _winograd_blocks((Ho, Wo))
    assert Hp >= 2 * TH + 2 and Wp >= 2 * TW + 2 \
        and Hp >= x.shape[2] + ph and Wp >= x.shape[3] + pw, name + ": plane"
    assert ws.shape[0] >= threads * _part(_wl_per_thread(C_in, C_out, Hp, Wp, Ho, Wo, chunk),
                                          sizeof(float)), name + ": workspace"


def _run_wl_conv(const float[:, :, :, ::1] x, const float[:, :, ::1] u,
                 float[:, :, :, ::1] y, float[::1] ws, padding, Py_ssize_t Hp,
                 Py_ssize_t Wp, Py_ssize_t chunk, int threads, const float[::1] bias=None):
    """What the Winograd lanes forward assumes, checked: :func:`_check_wl`'s sizes and
    the transformed weight as (16, C_in, C_out)."""
    _check_wl(x, y, ws, padding, Hp, Wp, chunk, threads, "winograd lanes", "y")
    assert u.shape[0] == 16 and u.shape[1] == x.shape[1] and u.shape[2] == y.shape[1], \
        "winograd lanes: weight"
    if y.shape[0] == 0:
        return
    _wl_conv(x, u, y, ws, padding[0], padding[1], Hp, Wp, chunk,
             _bias_pointer(bias, y.shape[1]), threads)


def _run_wl_grad_w(const float[:, :, :, ::1] x, const float[:, :, :, ::1] gy,
                   float[:, ::1] parts, float[::1] ws, padding, Py_ssize_t Hp,
                   Py_ssize_t Wp, Py_ssize_t chunk, int threads):
    """What the Winograd lanes weight gradient assumes, checked: :func:`_check_wl`'s
    sizes and parts of 16 * C_in * C_out values for at most N runs of samples."""
    _check_wl(x, gy, ws, padding, Hp, Wp, chunk, threads, "winograd lanes weight grad", "gy")
    assert 1 <= parts.shape[0] <= max(1, x.shape[0]) \
        and parts.shape[1] == 16 * x.shape[1] * gy.shape[1], "winograd lanes weight grad: parts"
    if x.shape[0] == 0:
        return
    _wl_grad_w(x, gy, parts, ws, padding[0], padding[1], Hp, Wp, chunk, threads)


def _phases_per_thread(C_in, Hp, Wp, most, C_out, Ho, Wo):
    """Floats of one thread's workspace on the phases path (:c:func:`_phases_conv_transpose`):
    the padded sample, the largest phase's output and the sample's output (both
    channels last)."""
    return C_in * Hp * Wp + most * C_out + Ho * Wo * C_out


def _run_phases_conv_transpose(const float[:, :, :, ::1] x, const float[::1] wt,
                               const Py_ssize_t[:, ::1] phases, float[:, :, :, ::1] y,
                               float[::1] ws, Py_ssize_t top, Py_ssize_t left, Py_ssize_t Hp,
                               Py_ssize_t Wp, stride, int threads,
                               const float[::1] bias=None):
    """What the phase loops assume, checked: the padded sample holds ``x[n]``; each row
    of ``phases`` (rh, rw, Th, Tw, oh, ow, Qh, Qw, wo) is a distinct phase of the stride
    with as many positions as ``y`` has in it, its windows inside the padded sample and
    its taps inside ``wt``; so the phases write every value of ``y`` once. Whole
    vectors of 16 output channels; a padded sample and the largest phase's output per
    thread in ``ws``."""
    cdef Py_ssize_t sh = stride[0], sw = stride[1], f, positions = 0, most = 0
    cdef Py_ssize_t C_in = x.shape[1], C_out = y.shape[1], Ho = y.shape[2], Wo = y.shape[3]
    cdef Py_ssize_t rh, rw, Th, Tw, oh, ow, Qh, Qw, wo
    assert threads >= 1 and sh >= 1 and sw >= 1 and top >= 0 and left >= 0 \
        and top + x.shape[2] <= Hp and left + x.shape[3] <= Wp, "phases: sizes"
    assert y.shape[0] == x.shape[0] and C_out % LUCID_GRAD_CHANNELS == 0, "phases: y"
    assert phases.shape[1] == 9, "phases: table"
    seen = set()
    for f in range(phases.shape[0]):
        rh, rw, Th, Tw, oh, ow, Qh, Qw, wo = [phases[f, i] for i in range(9)]
        assert 0 <= rh < sh and 0 <= rw < sw and (rh, rw) not in seen \
            and Qh == (Ho - rh + sh - 1) // sh and Qw == (Wo - rw + sw - 1) // sw \
            and Qh >= 1 and Qw >= 1, "phases: positions"
        seen.add((rh, rw))
        assert Th >= 1 and Tw >= 1 and oh >= 0 and ow >= 0 \
            and oh + Qh + Th - 1 <= Hp and ow + Qw + Tw - 1 <= Wp, "phases: windows"
        assert wo >= 0 and wo + C_in * Th * Tw * C_out <= wt.shape[0], "phases: weight"
        positions += Qh * Qw
        most = max(most, Qh * Qw)
    assert positions == Ho * Wo, "phases: positions"
    assert ws.shape[0] >= threads * _part(_phases_per_thread(C_in, Hp, Wp, most, C_out, Ho,
                                                             Wo), sizeof(float)), \
        "phases: workspace"
    if y.shape[0] == 0:
        return
    _phases_conv_transpose(x, wt, phases, y, ws, top, left, Hp, Wp, sh, sw, most,
                           _bias_pointer(bias, C_out), threads)


def _run_blocked_grad_w(const float[:, :, :, ::1] x, const float[:, :, :, ::1] gy,
                        float[:, ::1] parts, float[::1] ws, K, stride, padding,
                        int threads, Py_ssize_t cuts=1):
    """What the blocked weight-gradient loops assume, checked: the output gradient's
    size for this kernel, stride and padding, whole blocks of 16 output channels,
    parts of (C_in * KH * KW, C_out), a padded sample and a transposed output
    gradient per thread in ``ws``, and at least one cut of the rows of taps."""
    cdef Py_ssize_t KH = K[0], KW = K[1], sh = stride[0], sw = stride[1]
    cdef Py_ssize_t ph = padding[0], pw = padding[1]
    cdef Py_ssize_t C_in = x.shape[1], C_out = gy.shape[1]
    assert (threads >= 1 and cuts >= 1 and KH >= 1 and KW >= 1 and sh >= 1 and sw >= 1
            and ph >= 0 and pw >= 0), "blocked weight grad: sizes"
    assert gy.shape[0] == x.shape[0] and gy.shape[2] >= 1 and gy.shape[3] >= 1 \
        and gy.shape[2] == conv_output_size(x.shape[2], KH, sh, ph, 1) \
        and gy.shape[3] == conv_output_size(x.shape[3], KW, sw, pw, 1), \
        "blocked weight grad: gy"
    assert C_out % LUCID_GRAD_CHANNELS == 0, "blocked weight grad: C_out"
    assert parts.shape[0] >= 1 and parts.shape[1] == C_in * KH * KW * C_out, \
        "blocked weight grad: parts"
    padded = C_in * (x.shape[2] + 2 * ph) * (x.shape[3] + 2 * pw) if ph or pw else 0
    assert ws.shape[0] >= threads * _part(padded + gy.shape[2] * gy.shape[3] * C_out,
                                          sizeof(float)), \
        "blocked weight grad: workspace"
    if x.shape[0] == 0:
        return
    _blocked_grad_w(x, gy, parts, ws, KH, KW, sh, sw, ph, pw, cuts, threads)


def _run_winograd_weight(const real[:, :, :, ::1] w, real[:, :, ::1] u):
    # the loops walk both arrays as C-contiguous blocks (w[o] as C_in runs of 9 taps,
    # U's 16 planes C_out * C_in apart)
    cdef Py_ssize_t C_out = w.shape[0], C_in = w.shape[1], s = sizeof(real)
    assert w.shape[2] == w.shape[3] == 3, "winograd weight: a 3x3 kernel"
    assert w.strides[1] == 9 * s and w.strides[0] == 9 * C_in * s, "winograd weight: w"
    assert u.shape[0] == 16 and u.shape[1] == C_out and u.shape[2] == C_in, "winograd weight"
    assert u.strides[1] == C_in * s and u.strides[0] == C_out * C_in * s, "winograd weight: u"
    _winograd_weight(w, u)


def _check_winograd(x, y, ws, batches, chunk_rows, threads, name):
    """What the Winograd loops assume of their private arguments (a wrong call would
    write past the workspace)."""
    assert _BLAS_MAX > 0, f"{name}: no BLAS bound (_blas.find found none; the loops call it)"
    TW = _winograd_blocks(y.shape[3:])[1]
    need = threads * _part(_winograd_workspace(x.shape[0], x.shape[1], y.shape[1], TW,
                                               batches, chunk_rows), ws.itemsize)
    assert x.shape[0] == y.shape[0] and x.shape[2] == y.shape[2] == 1, name
    assert 1 <= batches <= max(x.shape[0], 1) and chunk_rows >= 1, name
    assert ws.shape[0] >= need, f"{name}: workspace of {ws.shape[0]} < {need}"


def _run_winograd_weight_grad(const real[:, :, :, :, ::1] x, const real[:, :, :, :, ::1] gy,
                              real[:, ::1] parts, real[::1] ws, Py_ssize_t ph, Py_ssize_t pw,
                              Py_ssize_t batches, Py_ssize_t chunk_rows, int threads):
    _check_winograd(x, gy, ws, batches, chunk_rows, threads, "winograd weight grad")
    assert parts.shape[0] >= threads and parts.shape[1] == 16 * gy.shape[1] * x.shape[1]
    _winograd_weight_grad(x, gy, parts, ws, ph, pw, batches, chunk_rows, threads)


def _run_winograd_weight_back(const real[:, :, ::1] du, real[:, :, :, ::1] gw):
    assert du.shape[0] == 16 and gw.shape[2] == gw.shape[3] == 3
    assert du.shape[1] == gw.shape[0] and du.shape[2] == gw.shape[1]
    _winograd_weight_back(du, gw)


def _run_winograd_conv(const real[:, :, :, :, ::1] x, const real[:, :, ::1] u,
                       real[:, :, :, :, ::1] y, real[::1] ws, Py_ssize_t ph, Py_ssize_t pw,
                       Py_ssize_t batches, Py_ssize_t chunk_rows, int threads,
                       const real[::1] bias=None):
    _check_winograd(x, y, ws, batches, chunk_rows, threads, "winograd conv")
    assert u.shape[0] == 16 and u.shape[1] == y.shape[1] and u.shape[2] == x.shape[1]
    _winograd_conv(x, u, y, ws, ph, pw, batches, chunk_rows,
                   _bias_pointer(bias, y.shape[1]), threads)


# ----------------------------------------------------------------------------------
# The choice of path

def _path(N, C_in_g, C_out_g, column_elements, *sizes):
    """``"direct"``, ``"per-sample"`` or ``"batch-chunk"`` for a call (module docstring).

    * direct when ``C_in_g * C_out_g <= _DIRECT_MAX_CHANNEL_PAIRS``: the matrices of
      depthwise and small-group convs are too thin for BLAS (measured 2-4x faster
      direct; 4x4 groups already 2x faster through GEMM);
    * per-sample when NumPy's OpenBLAS was found, the matrix sizes fit the BLAS's
      integers, and :func:`_sample_threads` threads (all, or one for a small call) each
      get a sample, their column matrices (``column_elements`` each) fitting in
      ``_PER_SAMPLE_MAX_ELEMENTS``: measured 1.4-2x faster than batch-chunk on all
      threads (the copies run on every core, the columns stay in its cache), and on one
      thread too (the ResNet's 1x1 stride-2 shortcut 16->32 at 32x32, batch 32: 0.18
      ms against 0.35; the same path ran on one thread for a one-thread build, and on
      the batch-chunk path for a small call on two);
    * batch-chunk otherwise (a large call on fewer samples than threads, or columns
      too large).
    """
    if C_in_g * C_out_g <= _DIRECT_MAX_CHANNEL_PAIRS:
        return "direct"
    threads = _sample_threads(N, column_elements)
    if (_BLAS is not None and N >= threads
            and threads * column_elements <= _PER_SAMPLE_MAX_ELEMENTS
            and max(column_elements, *sizes) <= _BLAS_MAX):
        return "per-sample"
    return "batch-chunk"


def _sample_threads(N, column_elements):
    """Threads of the per-sample path for ``N`` samples of ``column_elements`` column
    entries each: all of them (``_SAMPLE_THREADS``) unless ``_openmp.parts_for`` keeps
    the call whole (a small loop, where waking a second thread costs more than it
    saves), then one. It depends on the sizes only (the path and the weight gradient's
    runs of samples follow from it); the loops run on ``_openmp.free_threads`` of it."""
    return _SAMPLE_THREADS if parts_for(N * column_elements) >= _SAMPLE_THREADS else 1


def _sizes_and_path(N, C_in_g, C_out, groups, S, O, K, stride, padding, dilation):
    """For a convolution of ``x`` (N, C_in_g * groups, *S) to (N, C_out, *O): the window
    count ``L``, the GEMM depth per group ``rows_g`` and in all ``R``, the geometry and
    the :func:`_path`."""
    L = math.prod(O)
    rows_g = C_in_g * math.prod(K)
    R = groups * rows_g
    path = _path(N, C_in_g, C_out // groups, R * L, C_out * L)
    return L, rows_g, R, _geo(S, O, K, stride, padding, dilation), path


def _split_rows(N, Q, tile_rows, flops):
    """Window rows per tile of the per-sample forward when the batch has fewer samples
    than the team (a demo's batch of 1): each sample's ``Q`` rows cut into as many runs
    as it takes to give every thread one, for a sample of at least
    ``_SPLIT_SAMPLE_FLOPS`` flops; else ``tile_rows`` (:func:`_tile_rows`) unchanged.

    The split depends on the sizes and the team only (the loops run it on
    ``_openmp.free_threads``), and a tile's product is the same computation whichever
    thread runs it: the load does not change the result (the team may: a tile's
    column count can change OpenBLAS's last bits). Measured (float32, batch 1, two
    threads, the same process with and without, fastest of 5 x 2000 calls, two runs):
    the ResNet's 16->32 3x3 stride 2 at 32x32 0.72-0.78x the time, 32->64 stride 2 at
    16x16 0.66-0.71x, 64->64 at 8x8 0.76-0.86x, the CNN's 32->64 at 14x14 0.82-0.83x;
    under 2**21 flops no gain (8->16 stride 2 at 2**19 0.91x, the CNN's 1->32 at 28x28
    1.04x, the 1x1 stride-2 shortcuts at 2**18 1.04-1.15x).
    """
    if N >= _SAMPLE_THREADS or flops < _SPLIT_SAMPLE_FLOPS or Q < 2:
        return tile_rows
    runs = -(-_SAMPLE_THREADS // N)
    return max(1, min(tile_rows, -(-Q // runs)))


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
    positions, W = math.prod(O), O[len(O) - 1]     # W: the last axis (as_3d's third)
    if (positions < _TILE_MIN_COLUMNS or rows_g < _TILE_MIN_DEPTH
            or C_out_g > _TILE_MAX_OUT):
        return positions // W                     # D * H: every window row
    return max(1, _TILE_COLUMNS // W)


def _as_flipped_conv(stride, padding, output_padding, dilation, K, C_in, C_out, groups=1):
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
    Also taken, whatever the channels, when the equal conv runs on the Winograd path
    (:func:`_winograd_fits`): conv2d 32->64's input gradient, a
    conv_transpose 64->32 14x14 (batch 64), then took 0.78x the col2im path's time (1
    and 2 threads).
    """
    if any(s != 1 for s in stride) or any(output_padding):
        return None
    pad = tuple(d * (k - 1) - p for d, k, p in zip(dilation, K, padding))
    if min(pad) < 0:
        return None
    if C_in <= C_out or _winograd_fits(C_in, C_out, K, stride, dilation, groups):
        return pad
    return None


cdef void _flip_weight(const real[:, :, ::1] w, real[:, :, ::1] out,
                       Py_ssize_t groups) noexcept nogil:
    """out[g*C_out_g + co, ci, t] = w[g*C_in_g + ci, co, T-1-t]: w (C_in, C_out_g, T),
    out (groups * C_out_g, C_in_g, T), taps flattened."""
    cdef Py_ssize_t C_in = w.shape[0], C_out_g = w.shape[1], T = w.shape[2]
    cdef Py_ssize_t C_in_g = C_in // groups, ci, co, t, g
    for g in range(groups):                 # out's rows in order: its writes run on
        for co in range(C_out_g):
            for ci in range(C_in_g):
                for t in range(T):
                    out[g * C_out_g + co, ci, t] = w[g * C_in_g + ci, co, T - 1 - t]


cdef void _flip_transpose(const float* w, Py_ssize_t C_in, Py_ssize_t C_out, Py_ssize_t T,
                          float* wt) noexcept nogil:
    """wt (C_in * T, C_out) = the flipped weight of a stride-1 conv_transpose, transposed
    as the lanes loops read it: wt[ci*T + t, co] = w[ci, co, T-1-t], w (C_in, C_out, T)
    (one group). The same values as _flip_weight followed by lucid_transpose_f."""
    cdef Py_ssize_t ci, t, co
    cdef float* row
    cdef const float* src
    for ci in range(C_in):
        for t in range(T):
            row = wt + (ci * T + t) * C_out
            src = w + ci * C_out * T + (T - 1 - t)
            for co in range(C_out):
                row[co] = src[co * T]


def _flipped_weight(w, groups):
    """A conv_transpose's weight (C_in, C_out/g, *K) as the weight of the equal conv
    (C_out, C_in/g, *K): per group, input and output channels swapped, every spatial
    axis reversed (reversing every axis reverses the flattened taps). A loop of its own
    (:c:func:`_flip_weight`): NumPy's copy of the swapped, reversed view took 20 us for
    a 64x64x3x3 weight, flipped again on every stride-1 input gradient."""
    C_in, C_out_g = w.shape[:2]
    K = w.shape[2:]
    if C_in % groups:
        raise ValueError(f"flipped weight: C_in {C_in} is not a multiple of groups "
                         f"{groups}")
    a = np.ascontiguousarray(w).reshape(C_in, C_out_g, -1)
    out = np.empty((groups * C_out_g, C_in // groups) + tuple(K), dtype=w.dtype)
    if a.dtype == np.float32:
        _flip_weight[float](a, out.reshape(groups * C_out_g, C_in // groups, -1), groups)
    else:
        _flip_weight[double](a, out.reshape(groups * C_out_g, C_in // groups, -1), groups)
    return out


def _blocked_fits(dtype, C_in, C_out, K, stride, dilation, groups, O):
    """Whether a convolution runs on the blocked path (``_blocked.pxd``): float32, 2-d,
    stride 1, no dilation, one group, whole blocks of 8 output channels, output rows at
    least ``_BLOCKED_MIN_WIDTH`` wide and at least ``_BLOCKED_MIN_DEPTH`` terms per
    output, on a processor that runs the path's AVX-512 code (``_BLOCKED_WIDE``).

    Measured (float32, 3x3, one thread, the same process switching the path on and off,
    blocked time / the path it replaced, forward and input gradient; the input gradient
    of a stride-1 conv runs as a conv, :func:`_as_flipped_conv`): the ResNet's 16->16 at
    32x32, batch 32, 0.47 and 0.48 (1.01 against 2.17 ms; PyTorch 1.39), 32->32 16x16
    0.78 and 0.78 (Winograd's 1.38 ms), the 3->16 stem's forward 0.63; at batch 1
    0.54-0.62 and 0.61-0.67. Not taken: one input channel (the CNN's first layer, 9
    terms an output: 2.05x the GEMM path's time, the loads of the input vectors outweigh
    the 8 multiply-adds each feeds); rows of fewer than 16 columns, which leave lanes of
    a vector idle: the CNN's 32->64 at 14x14 (batch 64) measured 1.03x Winograd's time
    forward and 0.90x for the input gradient alone, but its training step on one thread
    took 29.3 ms against 28.4 without the path; the ResNet's 64->64 at 8x8, half of
    each vector padding, 2.25 ms against Winograd's 1.29. Other precisions keep the
    other paths (a float64 vector holds 8).
    """
    return (_BLOCKED_WIDE and dtype == np.float32 and len(K) == 2
            and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1) and groups == 1
            and C_out % LUCID_BLOCK_CHANNELS == 0 and O[1] >= _BLOCKED_MIN_WIDTH
            and C_in * K[0] * K[1] >= _BLOCKED_MIN_DEPTH)


def _blocked_weight(w):
    """``w`` (C_out, C_in, KH, KW) repacked for the blocked loops: (C_out / 8, C_in, KH,
    KW, 8), the 8 output channels of a block side by side for each tap, flattened.
    A loop of its own (float32, C-contiguous ``w``; whole blocks of 8, which
    ``_blocked_fits`` asks): NumPy's transposed copy took 29 us for a 64x64x3x3 weight,
    repacked again on every call."""
    cdef Py_ssize_t C_out = w.shape[0]
    cdef const float[:, ::1] a = w.reshape(C_out, -1)
    cdef Py_ssize_t taps = a.shape[1], b, j, t
    assert C_out % LUCID_BLOCK_CHANNELS == 0, "blocked weight: C_out"
    out = np.empty(C_out * taps, dtype=np.float32)
    cdef float[::1] o = out
    with nogil:
        for b in range(C_out // LUCID_BLOCK_CHANNELS):
            for t in range(taps):
                for j in range(LUCID_BLOCK_CHANNELS):
                    o[(b * taps + t) * LUCID_BLOCK_CHANNELS + j] = \
                        a[b * LUCID_BLOCK_CHANNELS + j, t]
    return out


def _sample_per_thread(N, work):
    """Threads of the Winograd lanes and phases forwards, a sample each: all of them
    (at most ``N``) when ``_openmp.threads_for`` gives ``work`` more than one, else
    one."""
    return min(_SAMPLE_THREADS, N) if threads_for(work) > 1 else 1


def _sample_parts(N, work):
    """``(threads, parts)`` of the blocked and lanes forwards: all the threads when
    ``_openmp.threads_for`` gives ``work`` more than one, and each sample cut into
    ``parts`` runs (of output positions, or of rows of blocks), enough that every
    thread gets one when the batch has fewer samples than threads (a batch of 1 on
    two: two runs); one thread and one run otherwise. The runs do not change a bit of
    the result."""
    if threads_for(work) == 1:
        return 1, 1
    return _SAMPLE_THREADS, _runs_each(N)


def _lanes_threads(N, work):
    """``(threads, parts)`` of a lanes forward of ``work`` multiply-adds: as
    :func:`_sample_parts`, but a batch with fewer samples than threads runs on one
    thread below :data:`_LANES_SPLIT_MIN_WORK`. Cutting a sample into runs, each thread
    pads the whole sample and transposes the whole weight, and reads them from the other
    core's cache where the calling thread wrote them: measured at batch 1, one thread's
    time over two threads' (medians of three runs of 1000 calls), the autoencoder's 1-d
    convolutions 8->32 and 32->64 (kernel 4, stride 2; 0.13 and 0.5 million
    multiply-adds) 0.73, 16->32 stride 2 at 16x16 (0.28 M) 0.75, 32->32 at 8x8 (0.56 M)
    0.90, 32->32 at 256 (0.75 M) 1.03; from a million on mostly the other way (32->64 at
    8x8 0.89, 16->32 at 1024 1.28, 64->64 at 8x8 (2.4 M) 1.07, 32->64 at 512 (2 M) 1.44,
    the CNN's 32->64 at 14x14 (3.6 M) 1.28). The thread count depends on the sizes
    only, and a position's sums on nothing else: the same bits either way."""
    if N < _SAMPLE_THREADS and work < _LANES_SPLIT_MIN_WORK:
        return 1, 1
    return _sample_parts(N, work)


def _runs_each(count):
    """How many runs each of ``count`` jobs (samples, or runs of samples) is cut into so
    that every thread of the team gets one: 1 when there are at least as many jobs as
    threads, else the threads over ``count``, rounded up (a batch of 1 on two: 2)."""
    return 1 if count >= _SAMPLE_THREADS else -(-_SAMPLE_THREADS // count)


def _blocked_forward(x, w, padding, y, bias=None):
    """conv_forward on the blocked path, into ``y`` (plus ``bias`` when given): a sample
    per thread, or runs of a sample's rows of blocks when the batch has fewer samples
    than threads (:func:`_sample_parts`)."""
    N, C_in, H, W = x.shape
    Wo = y.shape[3]
    K = w.shape[2:]
    Wp = max((Wo + 15) // 16 * 16 + K[1] - 1, W + 2 * padding[1])
    threads, parts = _sample_parts(N, y.size * C_in * K[0] * K[1])
    ws = _thread_workspace("blocked", threads, C_in * (H + 2 * padding[0]) * Wp, x.dtype)
    _run_blocked_conv(x, _blocked_weight(w), y, ws, K, padding, Wp, threads, bias=bias,
                      parts=parts)
    return y


def _lanes_takes(dtype, N, C_in, C_out, K, stride, dilation, O):
    """Whether :func:`_forward` runs a one-group convolution on the lanes path: its
    paths before it (Winograd lanes, blocked) do not take it and the lanes path does."""
    return (not _wl_fits(dtype, N, C_in, C_out, K, stride, dilation, 1, O)
            and not _blocked_fits(dtype, C_in, C_out, K, stride, dilation, 1, O)
            and _lanes_fits(dtype, N, C_in, C_out, K, stride, dilation, 1, O))


def _lanes_fits(dtype, N, C_in, C_out, K, stride, dilation, groups, O):
    """Whether a convolution runs on the lanes path (``_blocked.pxd``'s
    ``lucid_lanes_conv_f``): float32, 2-d, no dilation, one group, whole vectors of 16
    output channels, at least ``_LANES_MIN_DEPTH`` terms per output value, on a
    processor that runs the AVX-512 code (``_BLOCKED_WIDE``), where the blocked path
    does not go: a stride, or output rows narrower than ``_BLOCKED_MIN_WIDTH``; and a
    weight of at most ``_LANES_MAX_WEIGHT`` values, since every block of positions reads
    all of it: measured (float32, two threads, lanes / the path it replaced, batch 8)
    64->128 3x3 stride 2 at 56x56 (73,728 values) 0.81x, but 128->256 stride 2 at 28x28
    (294,912) 1.12x, 256->512 stride 2 at 14x14 3.31x, 256->256 at 14x14 2.12x, 512->512
    at 7x7 3.22x (the weight no longer in the 2 MB L2); the ImageNet 7x7 stride-2 stem
    3->64 at 224x224 (batch 4) 0.69x.

    With fewer samples than threads (a batch of 1 on two) each sample runs as runs of
    its output positions, a thread each (:func:`_sample_parts`). Without a stride (rows
    under 16 wide) that is taken at any batch: measured at batch 1, two threads, lanes
    in runs / the path taken before, two runs each: the CNN's 32->64 forward at 14x14
    0.80-0.81 (58 against 72 us; ``_split_rows`` before), the ResNet's input gradient
    64->64 at 8x8 (a flipped conv) 0.63-0.68, its 64->64 forward at 8x8 1.01. With a
    stride, a call the per-sample path would share among the threads (``_split_rows``:
    at least ``_SPLIT_SAMPLE_FLOPS``, and :func:`_path` choosing that path) goes there
    (lanes in runs / split: the ResNet's 32->64 stride 2 at 16x16 1.07-1.16, its 16->32
    0.90-0.92), and a call :func:`_path` sends to the batch-chunk path (one GEMM on
    OpenBLAS's threads: more columns than the per-sample path takes) runs here. On one
    thread, lanes against that path: the CNN's input gradient 64->32 at 14x14 (a flipped
    conv) 0.64-0.66 (90 against 140 us); in two runs of positions it takes 0.74-0.75 of
    the one-thread time (76 against 102 us).

    A 1-d convolution runs here as a 2-d one of height 1 (:func:`_lanes_forward`), any
    stride and batch, for kernels of 2 to ``_LANES_ROW_MAX_KERNEL`` taps: with one
    vector of output channels the loops read each input value once for every tap that
    uses it (``lucid_lanes_row_blocks``, kernels 2 to 5, strides 1 and 2). Measured
    (two threads, lanes / the per-sample GEMM path it replaced, length 256, the fastest
    of five medians in one process): 32->16 kernel 4 stride 2 (``benchmarks/ops.py``'s
    conv1d, batch 32) 0.81, 8->16 and 8->32 kernel 4 stride 2 (the autoencoder's
    first layer) 0.44-0.66, 32->64 kernel 4 stride 2 0.63-0.70, 64->128 0.72-0.94,
    at batch 1 0.44-0.79 (on one thread against the GEMMs' two), stride 3 and 4
    0.81-0.82; but a kernel of 7 taps (the general loops, no row blocks) 1.09-1.15.
    """
    if not (_LANES and _BLOCKED_WIDE and dtype == np.float32 and len(K) in (1, 2)
            and all(d == 1 for d in dilation) and groups == 1):
        return False
    taps = C_in * math.prod(K)
    if not (C_out % LUCID_GRAD_CHANNELS == 0 and taps >= _LANES_MIN_DEPTH
            and taps * C_out <= _LANES_MAX_WEIGHT):
        return False
    if len(K) == 1:                      # 1-d: as 2-d of height 1, any stride and batch
        return 2 <= K[0] <= _LANES_ROW_MAX_KERNEL
    return (K[0] * K[1] > 1
            and (tuple(stride) != (1, 1) or O[1] < _BLOCKED_MIN_WIDTH)
            and (N >= _SAMPLE_THREADS or tuple(stride) == (1, 1)
                 or 2 * C_out * taps * O[0] * O[1] < _SPLIT_SAMPLE_FLOPS
                 or _path(N, C_in, C_out, taps * O[0] * O[1], C_out * O[0] * O[1])
                 == "batch-chunk"))


def _lanes_forward(x, w, stride, padding, y, bias=None, flipped=False):
    """conv_forward on the lanes path, into ``y`` (plus ``bias`` when given): a sample
    per thread, or runs of a sample's output positions when the batch has fewer samples
    than threads (:func:`_sample_parts`). A 1-d convolution runs as a 2-d one of height
    1, on views.

    Each thread transposes the weight into its own part of the workspace (the loops
    read it as (taps, C_out), a vector of output channels at a time): transposed once
    by the calling thread, the other thread's reads of it came from the first core's
    cache, line by line. Measured at batch 1 on two threads (one process, medians),
    the loops with a weight one thread had just written against one both had read
    before: 32->64 kernel 4 stride 2 on 128 positions (32 KB of weight) 13.8 against
    9.6 us, 8->32 (4 KB) 6.1 against 5.3.

    ``flipped``: ``w`` is a stride-1 conv_transpose's weight (C_in, C_out, *K) and this
    call its input gradient's convolution (:func:`_as_flipped_conv`); each thread flips
    it as it transposes it (:func:`_transpose_forward` says why)."""
    y2 = y
    if x.ndim == 3:                     # 1-d: (N, C, L) as (N, C, 1, L)
        x, y2 = x[:, :, None], y[:, :, None]
        stride, padding = (1,) + tuple(stride), (0,) + tuple(padding)
        K = (1,) + tuple(w.shape[2:])
    else:
        K = w.shape[2:]
    N, C_in, H, W = x.shape
    C_out, Ho, Wo = y2.shape[1:]
    threads, parts = _lanes_threads(N, y2.size * C_in * K[0] * K[1])
    ws = _thread_workspace("lanes", threads,
                           _lanes_per_thread(C_in, H + 2 * padding[0], W + 2 * padding[1],
                                             K[0] * K[1], C_out, Ho * Wo), x.dtype)
    _run_lanes_conv(x, w.reshape(C_in if flipped else C_out, -1), y2, ws, K, stride,
                    padding, threads, bias=bias, parts=parts, flipped=flipped)
    return y


def _wl_weight(w):
    """``w`` (C_out, C_in, 3, 3) transformed for the Winograd lanes loops: U = G w G^T
    (:c:func:`_winograd_weight`, summed in double) as (16, C_in, C_out), each position's
    matrix transposed by 16 x 16 blocks in registers."""
    cdef Py_ssize_t C_out = w.shape[0], C_in = w.shape[1], e
    u = np.empty((16, C_out, C_in), dtype=np.float32)
    _run_winograd_weight(w, u)
    out = np.empty((16, C_in, C_out), dtype=np.float32)
    cdef float[:, :, ::1] a = u, o = out
    with nogil:
        for e in range(16):
            lucid_transpose_f(&a[e, 0, 0], C_out, C_in, &o[e, 0, 0])
    return out


def _wl_fits(dtype, N, C_in, C_out, K, stride, dilation, groups, O):
    """Whether a convolution runs on the Winograd lanes path (``_winograd.pxd``):
    float32, 2-d, 3x3, stride 1, no dilation, one group, whole vectors of 16 input and
    output channels, on a processor that runs the AVX-512 code (``_BLOCKED_WIDE``);
    at least ``_WL_MIN_TILES`` 2x2 output blocks in the batch (below it the weight's
    transform, once a call, costs more than the products save); and two vectors of
    output channels or more, unless the output rows are narrower than
    ``_BLOCKED_MIN_WIDTH`` (with one vector each value of V read feeds one multiply-add,
    and the blocked path, which serves those rows, is faster).

    Measured (batch 32, this path's time / the path it replaced, the blocked path at 16
    and 32 columns, the lanes path at 8; two threads | one thread): 32->32 at 32x32,
    16x16, 8x8 0.69, 0.66, 0.72 | 0.77, 0.76, 0.79; 32->64 0.72, 0.74, 0.77 | 0.73,
    0.71, 0.72; 64->64 0.61, 0.66, 0.71 | 0.58, 0.63, 0.60; 128->128 0.53, 0.56, 0.57 |
    0.51, 0.49, 0.66; 16->32 0.77, 0.74, 0.79 | 0.91, 0.87, 0.91; left out: 16->16 at
    32x32 and 16x16 1.24, 1.12 | 1.27, 1.28, 32->16 1.07, 1.00 | 1.15, 1.03, 64->16
    1.04, 1.00 | 1.02, 1.09; taken at 8x8: 16->16 0.65 | 0.61, 32->16 0.60 | 0.55, 64->16
    0.57 | 0.50. At batch 1 (one thread): 16 tiles (8x8) 1.03-1.27, left out; 64 tiles
    (16x16) 0.82-0.94 with two vectors or more; 256 (32x32) 0.63-0.81.
    """
    if not (_WL and _BLOCKED_WIDE and dtype == np.float32 and tuple(K) == (3, 3)
            and tuple(stride) == (1, 1) and all(d == 1 for d in dilation) and groups == 1
            and C_in % 16 == 0 and C_out % 16 == 0):
        return False
    TH, TW = _winograd_blocks(O)
    return (N * TH * TW >= _WL_MIN_TILES
            and (C_out >= 32 or O[1] < _BLOCKED_MIN_WIDTH))


def _wl_grad_fits(dtype, N, C_in, C_out, K, stride, dilation, groups, O):
    """Whether a weight gradient runs on the Winograd lanes path: as the forward
    (:func:`_wl_fits`), with at least ``_WL_GRAD_MIN_TILES`` tiles in the batch (its
    fixed costs, the parts of dU and their turn into dL/dw, are larger).

    Measured (two threads, this path's time / the blocked weight gradient's, the same
    process): at 512 tiles or more 0.61-0.81 (32->32, 32->64, 64->32, 64->64 and
    128->128 at 8x8 to 32x32, batches 8 and 32; 16->32 0.68-0.79), one vector of
    output channels at 8x8 0.76 (32->16) and 0.86 (16->16); at 256 tiles (batch 1 at
    32x32) 0.69-0.87; at 128 tiles 0.98-1.12 and at 64 0.98-1.11, left out.
    """
    if not (_WL_GRAD and _wl_fits(dtype, N, C_in, C_out, K, stride, dilation, groups, O)):
        return False
    TH, TW = _winograd_blocks(O)
    return N * TH * TW >= _WL_GRAD_MIN_TILES


def _wl_forward(x, w, padding, y, bias=None):
    """conv_forward on the Winograd lanes path, into ``y`` (plus ``bias`` when given): a
    sample per thread (all of them when ``_openmp.threads_for`` gives the call more
    than one), its tile rows by chunks of at most ``_WL_CHUNK_FLOATS`` floats of V
    and M."""
    N, C_in = x.shape[:2]
    C_out, Ho, Wo = y.shape[1:]
    Hp, Wp, chunk = _wl_plane(x.shape[2:], (Ho, Wo), padding, C_in, C_out)
    threads = _sample_per_thread(N, y.size * C_in * 9)
    ws = _thread_workspace("winograd lanes", threads,
                           _wl_per_thread(C_in, C_out, Hp, Wp, Ho, Wo, chunk), x.dtype)
    _run_wl_conv(x, _wl_weight(w), y, ws, padding, Hp, Wp, chunk, threads, bias=bias)
    return y


def _wl_plane(S, O, padding, C_in, C_out):
    """``(Hp, Wp, chunk)`` of the Winograd lanes loops: the padded plane, whole tiles
    (and the padded input) high and wide, and the tile rows per chunk (at most
    ``_WL_CHUNK_FLOATS`` floats of V and M, at least one row)."""
    TH, TW = _winograd_blocks(O)
    Hp = max(2 * TH + 2, S[0] + padding[0])
    Wp = max(2 * TW + 2, S[1] + padding[1])
    return Hp, Wp, max(1, min(TH, _WL_CHUNK_FLOATS // (16 * TW * (C_in + C_out))))


def _wl_weight_grad(x, grad_y, padding, grad_w):
    """conv_weight_grad on the Winograd lanes path, into ``grad_w``: dU summed as
    :func:`_blocked_weight_grad` sums its parts (equal runs of samples, one per thread
    of the team, or one when ``_openmp.parts_for`` keeps the call whole, added in
    order, so the result does not depend on how many threads run), then turned into
    dL/dw = G^T dU G (:c:func:`_winograd_weight_back`, in double)."""
    N, C_in = x.shape[:2]
    C_out = grad_y.shape[1]
    Hp, Wp, chunk = _wl_plane(x.shape[2:], grad_y.shape[2:], padding, C_in, C_out)
    runs = min(_SAMPLE_THREADS, N) if parts_for(grad_y.size * C_in * 9) > 1 else 1
    threads = free_threads(runs)
    parts = np.zeros((runs, 16 * C_in * C_out), dtype=np.float32)
    per_thread = _wl_per_thread(C_in, C_out, Hp, Wp, *grad_y.shape[2:], chunk)
    ws = _thread_workspace("winograd lanes", threads, per_thread, np.float32)
    _run_wl_grad_w(np.ascontiguousarray(x), np.ascontiguousarray(grad_y), parts, ws,
                   padding, Hp, Wp, chunk, threads)
    total = parts.sum(axis=0) if runs > 1 else parts[0]
    du = np.empty((16, C_out, C_in), dtype=np.float32)
    cdef float[:, :, ::1] a = total.reshape(16, C_in, C_out), o = du
    cdef Py_ssize_t e, rows = C_in, cols = C_out
    with nogil:
        for e in range(16):
            lucid_transpose_f(&a[e, 0, 0], rows, cols, &o[e, 0, 0])
    _run_winograd_weight_back(du, grad_w)
    return grad_w


def _phase_axis(S, K, s, p, O):
    """One spatial axis of a conv_transpose (input size ``S``, kernel ``K``, stride ``s``,
    padding ``p``, output size ``O``, no dilation) split by the output's phase: where
    the input must be padded, ``(before, after)``, and per phase ``r`` (the outputs
    ``o = s*q + r``) the tuple ``(r, k0, T, start, Q)``.

    ``y[o] = sum over k, i with i*s + k - p = o of x[i] w[k]``: for ``o = s*q + r`` the
    taps are ``k = k0 + s*j`` with ``k0 = (r + p) mod s`` (``T`` of them below ``K``) and
    ``i = q + d - j`` with ``d = (r + p) // s``. Reversing ``j``, it is a stride-1
    correlation of ``x`` with the phase's taps reversed, its window for output ``q``
    starting at input ``q + d - T + 1``: at ``q + start`` in ``x`` padded by ``before``.
    ``Q`` counts the phase's outputs; phases without one are left out."""
    rows = []
    for r in range(min(s, O)):
        k0 = (r + p) % s
        T = len(range(k0, K, s))
        rows.append((r, k0, T, (r + p) // s - T + 1, (O - r + s - 1) // s))
    before = max(0, max(-first for _, _, _, first, _ in rows))
    after = max(0, max(first + Q + T - 1 for _, _, T, first, Q in rows) - S)
    return (before, after), [(r, k0, T, first + before, Q) for r, k0, T, first, Q in rows]


def _phases_fits(dtype, N, C_in, C_out, K, stride, dilation, groups, O):
    """Whether a conv_transpose runs by phases (:func:`_phases_forward`): float32, 2-d
    (1-d: below), a
    stride (stride 1 is a convolution already: :func:`_as_flipped_conv`), no dilation,
    one group, a tap for every phase (``K >= stride`` along each axis), whole pairs of
    vectors of output channels (a multiple of 32), on average at least
    ``_LANES_MIN_DEPTH`` terms per output and at most ``_LANES_MAX_WEIGHT`` weight
    values per phase, a sample for every thread and at least two, on a processor that
    runs the lanes loops (``_BLOCKED_WIDE``, ``_LANES``).

    Measured (float32, conv_transpose_forward with and without the path, alternating in
    one process, medians; phases / the path it replaced, the per-sample GEMM and
    col2im): 64->32 4x4 stride 2 at 7x7 (batch 64), two threads 0.70-0.75 (1.38
    against 1.84 ms), one thread 0.63-0.71; a stride-2 3x3 conv's input gradient 64->32
    at 8x8 (batch 32) 0.83-0.88 and 0.82-0.83, 32->32 at 16x16 0.60-0.79 and 0.74-0.75;
    128->64 and 256->128 4x4 stride 2 (batch 8) 0.82-0.94. Not taken: 16 output channels
    (one vector: a broadcast for each multiply-add), 32->16 at 16x16 1.46-1.89; 48 (two
    vectors and one) 1.00-1.38; a single sample, 1.07-1.22 on two threads (one of them
    idle) and 1.18-1.28 on one (then the weight was cut in NumPy, ~20 us; below); two
    samples on one thread 0.96, on two 0.80.

    A 1-d conv_transpose runs here as a 2-d one of height 1 (:func:`_phases_forward`):
    each phase a row, on the row blocks with one vector of output channels
    (``lucid_lanes_row_blocks``), so each phase needs 2 to ``_LANES_ROW_MAX_KERNEL``
    taps; one vector suffices, with at most ``_PHASES_1D_ONE_VECTOR_MAX_IN`` input
    channels; and at least ``_PHASES_1D_MIN_POSITIONS`` outputs per phase. Any batch:
    a single sample (one thread then idle) with at most
    ``_PHASES_1D_ONE_SAMPLE_MAX_IN`` input channels, or from
    ``_PHASES_1D_ONE_SAMPLE_MIN_POSITIONS`` outputs per phase. Measured (kernel 4
    stride 2, two threads, phases / the per-sample GEMM and col2im, medians of three
    rounds in one process, since the phases' plan is kept and their weight cut by a loop
    of its own, :func:`_phases_plan`): batch 2, 8 and 32, 16 to 64 outputs per phase,
    64->32, 32->16, 32->32, 16->32 and 64->16: 0.39-0.98 (most 0.45-0.85); batch 1
    32->16, 32->32 and 16->32 at 16 to 128 outputs per phase 0.79-0.94 (the
    autoencoder's layers), 64->32 and 64->16 1.04-1.17 under 128 outputs per phase and
    0.91-0.96 at 128. (Before the plan was kept, with ~10 us of NumPy a call, the rule
    took 128 outputs per phase, at least two samples, and one vector only up to 32
    input channels: ``ops.py``'s 32->16 at length 256 0.90, 64->32 at 64 positions
    1.04-1.07.) In 2-d a single sample still does not pay: 64->32 4x4 stride 2 at 7x7
    0.98, a stride-2 3x3 conv's input gradient 64->32 at 8x8 0.97, 32->16 at 16x16
    1.38, 128->64 at 14x14 1.32 (the per-sample path shares the sample among the
    threads).
    """
    if not (_LANES and _BLOCKED_WIDE and dtype == np.float32 and len(K) in (1, 2)
            and all(d == 1 for d in dilation) and groups == 1
            and any(s != 1 for s in stride) and all(k >= s for k, s in zip(K, stride))):
        return False
    phases = math.prod(stride)
    taps = C_in * math.prod(K)
    if not (N >= 1 and taps >= _LANES_MIN_DEPTH * phases
            and taps * C_out <= _LANES_MAX_WEIGHT * phases):
        return False
    if len(K) == 1:      # 1-d: every phase's taps (K // s or one more) on the row blocks
        positions = O[0] // stride[0]
        return (C_out % LUCID_GRAD_CHANNELS == 0
                and 2 <= K[0] // stride[0] and -(-K[0] // stride[0]) <= _LANES_ROW_MAX_KERNEL
                and positions >= _PHASES_1D_MIN_POSITIONS
                and (C_out >= 2 * LUCID_GRAD_CHANNELS or C_in <= _PHASES_1D_ONE_VECTOR_MAX_IN)
                and (N >= 2 or C_in <= _PHASES_1D_ONE_SAMPLE_MAX_IN
                     or positions >= _PHASES_1D_ONE_SAMPLE_MIN_POSITIONS))
    return N >= max(2, _SAMPLE_THREADS) and C_out % (2 * LUCID_GRAD_CHANNELS) == 0


def _phases_forward(x, w, stride, padding, y, bias=None):
    """conv_transpose_forward by the phases of the stride, into ``y`` (plus ``bias``
    when given): each phase a stride-1 convolution on the lanes loops (``_phase_axis``),
    a sample per thread. No column matrix, no col2im: each output is one phase's sum.
    A 1-d conv_transpose runs as a 2-d one of height 1, on views."""
    if x.ndim == 3:                     # 1-d: (N, C, L) as (N, C, 1, L)
        _phases_forward(x[:, :, None], w[:, :, None], (1,) + tuple(stride),
                        (0,) + tuple(padding), y[:, :, None], bias)
        return y
    N, C_in, H, W = x.shape
    C_out, Ho, Wo = y.shape[1:]
    KH, KW = w.shape[2:]
    top, left, Hp, Wp, table, taps, most, size = _phases_plan(
        H, W, KH, KW, stride[0], stride[1], padding[0], padding[1], Ho, Wo, C_in, C_out)
    threads = _sample_per_thread(N, y.size * C_in * KH * KW // (stride[0] * stride[1]))
    ws = _thread_workspace("lanes", threads,
                           _phases_per_thread(C_in, Hp, Wp, most, C_out, Ho, Wo), x.dtype)
    _run_phases_conv_transpose(x, _phase_weights(w, table, taps, stride, size), table, y,
                               ws, top, left, Hp, Wp, stride, threads, bias=bias)
    return y


_PHASES_PLANS = {}


def _phases_plan(H, W, KH, KW, sh, sw, ph, pw, Ho, Wo, C_in, C_out):
    """The phases of a conv_transpose (:func:`_phase_axis` along each axis) as the loops
    take them: ``(top, left, Hp, Wp, table, taps, most, size)``, the padded sample's
    size, a row of ``table`` (rh, rw, Th, Tw, oh, ow, Qh, Qw, wo) and of ``taps`` (kh0,
    kw0) per phase, the most positions a phase has, and the floats of the packed weight
    (each phase's ``C_in * Th * Tw * C_out`` taps from ``wo`` on).

    A pure function of its ints, so each plan is built once and kept (at most 256; then
    it starts again), as :func:`_geo` keeps geometries: building it, with the weight
    cut phase by phase in NumPy, took 10 us of a 27 us call (the autoencoder's
    conv_transpose1d 64->32 at batch 1). The arrays are read-only."""
    key = (H, W, KH, KW, sh, sw, ph, pw, Ho, Wo, C_in, C_out)
    plan = _PHASES_PLANS.get(key)
    if plan is None:
        (top, bottom), rows_h = _phase_axis(H, KH, sh, ph, Ho)
        (left, right), rows_w = _phase_axis(W, KW, sw, pw, Wo)
        table, taps, wo = [], [], 0
        for rh, kh0, Th, oh, Qh in rows_h:
            for rw, kw0, Tw, ow, Qw in rows_w:
                table.append((rh, rw, Th, Tw, oh, ow, Qh, Qw, wo))
                taps.append((kh0, kw0))
                wo += C_in * Th * Tw * C_out
        table, taps = np.array(table, dtype=np.intp), np.array(taps, dtype=np.intp)
        table.flags.writeable = taps.flags.writeable = False
        plan = (top, left, top + H + bottom, left + W + right, table, taps,
                int((table[:, 6] * table[:, 7]).max()), wo)
        if len(_PHASES_PLANS) >= 256:
            _PHASES_PLANS.clear()
        _PHASES_PLANS[key] = plan
    return plan


def _phase_weights(w, const Py_ssize_t[:, ::1] table, const Py_ssize_t[:, ::1] taps,
                   stride, Py_ssize_t size):
    """``w`` (C_in, C_out, KH, KW) cut into its phases' taps for the phase loops, each
    phase's reversed, from ``table[f, 8]`` on (a plan of :func:`_phases_plan`)::

        wt[wo + ((c_i * Th + jh) * Tw + jw) * C_out + c_o]
            = w[c_i, c_o, kh0 + sh * (Th - 1 - jh), kw0 + sw * (Tw - 1 - jw)]

    A loop of its own (float32, C-contiguous ``w``): NumPy's strided slices, transposes
    and concatenation took 8 us for the two phases of a 64->32 kernel-4 stride-2
    conv_transpose1d."""
    cdef const float[:, :, :, ::1] a = w
    cdef Py_ssize_t C_in = a.shape[0], C_out = a.shape[1], KH = a.shape[2], KW = a.shape[3]
    cdef Py_ssize_t sh = stride[0], sw = stride[1], f, ci, jh, jw, co, kh, kw, Th, Tw, at
    assert table.shape[0] == taps.shape[0] and table.shape[1] == 9 and taps.shape[1] == 2 \
        and sh >= 1 and sw >= 1, "phase weights: table"
    for f in range(table.shape[0]):          # every tap read lies inside w, every write
        Th, Tw = table[f, 2], table[f, 3]    # inside wt
        assert Th >= 1 and Tw >= 1 and 0 <= taps[f, 0] and 0 <= taps[f, 1] \
            and taps[f, 0] + sh * (Th - 1) < KH and taps[f, 1] + sw * (Tw - 1) < KW \
            and 0 <= table[f, 8] and table[f, 8] + C_in * Th * Tw * C_out <= size, \
            "phase weights: taps"
    out = np.empty(size, dtype=np.float32)
    cdef float[::1] o = out
    with nogil:
        for f in range(table.shape[0]):
            Th, Tw, at = table[f, 2], table[f, 3], table[f, 8]
            for ci in range(C_in):
                for jh in range(Th):
                    kh = taps[f, 0] + sh * (Th - 1 - jh)
                    for jw in range(Tw):
                        kw = taps[f, 1] + sw * (Tw - 1 - jw)
                        for co in range(C_out):
                            o[at + co] = a[ci, co, kh, kw]
                        at += C_out
    return out


def _blocked_grad_w_fits(dtype, C_in, C_out, K, dilation, groups):
    """Whether a weight gradient runs on the blocked path (``_blocked.pxd``'s second
    loop nest): float32, 1-d or 2-d, any stride, no dilation, one group, whole blocks
    of 16 output channels and at least ``_BLOCKED_GRAD_MIN_TAPS`` taps (``C_in *
    prod(K)``), on a processor that runs the AVX-512 code (``_BLOCKED_WIDE``).

    Measured (float32, one thread, the same process switching the path on and off,
    fastest of 41 calls; blocked / the path it replaced): the ResNet's weight gradients
    (batch 32) 0.43 for 16->16 at 32x32 (1.07 against 2.51 ms; PyTorch 1.39), 0.57 for
    32->32 at 16x16 (Winograd's), 0.53 and 0.62 for the stride-2 16->32 and 32->64,
    0.66 for 64->64 at 8x8, 0.69 for the 3->16 stem, 0.53-0.68 for the 1x1 stride-2
    shortcuts; the CNN's 32->64 at 14x14 (batch 64) 0.62; the autoencoder's 1-d k4 s2
    0.51-0.70. Not taken with fewer taps: the CNN's first layer (1 input channel, 9
    taps) took 1.19x the GEMM path's time (a block of 3 rows keeps too few sums in
    flight, and transposing the output gradient costs as much as the sums: a sixteenth
    of a multiply-add per tap for each value it moves).
    """
    return (_BLOCKED_WIDE and dtype == np.float32 and len(K) in (1, 2)
            and all(d == 1 for d in dilation) and groups == 1
            and C_out % LUCID_GRAD_CHANNELS == 0
            and C_in * math.prod(K) >= _BLOCKED_GRAD_MIN_TAPS)


def _blocked_weight_grad(x, grad_y, K, stride, padding, grad_w):
    """conv_weight_grad on the blocked path, into ``grad_w``: the batch in equal runs
    of samples, one per thread of the team (``min(_SAMPLE_THREADS, N)``, or one when
    ``_openmp.parts_for`` keeps the call whole), each summed into its own part, the
    parts added in order; with fewer runs than threads (a batch of 1 on two) each
    run's rows of taps cut among them (each row's sums the same whichever cut holds
    it). The jobs are shared among ``_openmp.free_threads`` threads, so the result does
    not depend on how many run. A 1-d convolution runs as a 2-d one of height 1."""
    x, grad_y = _as_5d(x)[:, :, 0], _as_5d(grad_y)[:, :, 0]      # (N, C, H, W); H = 1 in 1-d
    K, stride, padding = as_3d(K, 1)[1:], as_3d(stride, 1)[1:], as_3d(padding, 0)[1:]
    N, C_in, H, W = x.shape
    C_out, Ho, Wo = grad_y.shape[1:]
    work = grad_y.size * C_in * K[0] * K[1]
    runs = min(_SAMPLE_THREADS, N) if parts_for(work) > 1 else 1
    cuts = _runs_each(runs) if parts_for(work) > 1 else 1
    threads = free_threads(runs * cuts)
    parts = np.zeros((runs, C_in * K[0] * K[1] * C_out), dtype=np.float32)
    padded = C_in * (H + 2 * padding[0]) * (W + 2 * padding[1]) if any(padding) else 0
    per_thread = padded + Ho * Wo * C_out
    ws = _thread_workspace("blocked", threads, per_thread, np.float32)
    _run_blocked_grad_w(np.ascontiguousarray(x), np.ascontiguousarray(grad_y), parts, ws,
                        K, stride, padding, threads, cuts=cuts)
    total = parts.sum(axis=0) if runs > 1 else parts[0]
    grad_w.reshape(C_out, -1)[...] = total.reshape(-1, C_out).T
    return grad_w


def _winograd_fits(C_in, C_out, K, stride, dilation, groups, pairs=None, tiles=None):
    """Whether a convolution runs on the Winograd path (its section above): 2-d, 3x3,
    stride 1, no dilation, one group, NumPy's OpenBLAS found, and enough channels:
    ``C_in * C_out >= pairs * (C_in + C_out)``, ``pairs`` being
    ``_WINOGRAD_MIN_PAIRS`` (forward and input gradient) or
    ``_WINOGRAD_GRAD_MIN_PAIRS`` (weight gradient, which also needs one thread); and,
    given the batch's ``tiles`` (2x2 output blocks, :func:`_winograd_tiles`), at least
    ``_WINOGRAD_MIN_TILES`` of them per thread.

    The tile bound: with few tiles each of the 16 products is a thin matrix, and the
    GEMM path was faster (2 threads, Winograd time / GEMM time, three runs): 32->64
    14x14 at batch 1 (49 tiles) 212 / 90 us, 64->64 8x8 at batch 1 282 / 77 us, at
    batch 8 (128 tiles) 1.22-1.77, at batch 16 (256) 1.13-1.66, 32->32 16x16 at batch 8
    (512) 0.98-1.03, at batch 32 0.87-0.93; on one thread 64->64 8x8 at batch 8 1.08-1.10,
    at batch 16 0.90-0.92.

    The products' work grows with ``C_in * C_out``, the transforms' with ``C_in +
    C_out``, and the path pays only where the products dominate. Measured (float32,
    batch 32-64, Winograd time / the GEMM path's; 1 thread: medians of interleaved
    runs, 2 threads: median and quartiles of the ratio of 61 adjacent pairs), forward:
    16->32 16x16 0.71-0.74 | 0.84 (0.80-0.88), 32->32 16x16 0.64-0.69 | 0.74
    (0.71-0.77), 32->64 14x14 0.73-0.75 | 0.84 (0.78-0.90), 64->64 8x8 0.74-0.76 |
    0.92 (0.89-0.98), 128->128 8x8 0.72 | 0.85-0.87, and 16->16 32x32 1.01-1.07 |
    1.06 (1.04-1.10), 8->8 32x32 1.24-1.28 slower; the input gradient likewise (2
    threads: 0.71-0.96). The weight gradient gains at one thread (its products sum
    over the tiles, and OpenBLAS packs both operands of each): 32->32 0.73 (0.70-0.74),
    64->64 8x8 0.94, 128->128 8x8 0.77, 32->64 14x14 1.01; on two it lost: 64->64 8x8
    1.11 (1.07-1.18), 32->64 14x14 1.30 (1.08-1.40), 32->32 0.93, 128->128 0.97.
    """
    if pairs is None:
        pairs = _WINOGRAD_MIN_PAIRS
    return (_BLAS is not None and tuple(K) == (3, 3) and tuple(stride) == (1, 1)
            and tuple(dilation) == (1, 1) and groups == 1
            and C_in * C_out >= pairs * (C_in + C_out)
            and (tiles is None or tiles >= _WINOGRAD_MIN_TILES * _SAMPLE_THREADS))


def _winograd_blocks(O):
    """``(TH, TW)``: the rows and columns of 2x2 blocks that cover a 2-d output ``O``
    (a last, half block where a size is odd)."""
    return (O[0] + 1) // 2, (O[1] + 1) // 2


def _winograd_tiles(N, O):
    """The 2x2 output blocks of a batch of ``N`` outputs of size ``O`` (0 unless 2-d,
    which the path alone takes; this module indexes without wraparound: no ``O[-1]``)."""
    if len(O) != 2:
        return 0
    TH, TW = _winograd_blocks(O)
    return N * TH * TW


cdef inline Py_ssize_t _winograd_columns(Py_ssize_t tiles) noexcept nogil:
    """Columns of a job's V and M: its tiles, rounded up to whole groups of LANES."""
    return (tiles + LANES - 1) // LANES * LANES


cdef inline Py_ssize_t _winograd_width(Py_ssize_t TW) noexcept nogil:
    """Row length of a job's input plane: the patches of whole groups of a tile row."""
    return 2 * _winograd_columns(TW) + 2


cdef inline Py_ssize_t _winograd_plane(Py_ssize_t chunk_rows, Py_ssize_t TW,
                                       Py_ssize_t T) noexcept nogil:
    """Size of a job's plane: a chunk's padded input rows, or 4 rows of T blocks."""
    return max((2 * chunk_rows + 2) * _winograd_width(TW), 4 * T)


cdef inline Py_ssize_t _winograd_workspace(Py_ssize_t N, Py_ssize_t C_in, Py_ssize_t C_out,
                                           Py_ssize_t TW, Py_ssize_t batches,
                                           Py_ssize_t chunk_rows) noexcept nogil:
    """Workspace of one thread of the Winograd kernels: V (16 rows of C_in * T, each
    skewed), M or Z (16 of C_out * T) and the plane, T the columns of a job."""
    cdef Py_ssize_t T = _winograd_columns((N + batches - 1) // batches * chunk_rows * TW)
    return (16 * (C_in * T + C_out * T + 2 * _WINOGRAD_SKEW)
            + _winograd_plane(chunk_rows, TW, T))


def _winograd_jobs(N, TH, TW, channels):
    """``(batches, chunk_rows)`` of the Winograd jobs, each about ``_WINOGRAD_TILES``
    tiles (fewer when V and M, ``16 * channels`` rows of them, would pass
    ``_WINOGRAD_MAX_ELEMENTS``): when a sample has fewer, the batch in ``batches`` runs
    of whole samples (as even as can be, their count a multiple of the threads where
    the batch allows: 32 samples of 8x8 in 3 jobs kept one of two threads idle a third
    of the time); else every sample alone (``batches = N``) in equal chunks of
    ``chunk_rows`` tile rows."""
    tiles = max(LANES, min(_WINOGRAD_TILES, _WINOGRAD_MAX_ELEMENTS // (16 * channels)))
    if TH * TW < tiles:
        batches = -(-N // max(1, tiles // (TH * TW)))
        return min(N, -(-batches // _SAMPLE_THREADS) * _SAMPLE_THREADS), TH
    chunks = -(-TH // max(1, tiles // TW))
    return N, -(-TH // chunks)


def _winograd_sizes(N, C_in, C_out, TH, TW):
    """``(batches, chunk_rows, threads, per_thread)``: the jobs (:func:`_winograd_jobs`),
    the OpenMP threads for them, and each thread's workspace (the kernels' layout)."""
    batches, chunk_rows = _winograd_jobs(N, TH, TW, C_in + C_out)
    jobs = batches * -(-TH // chunk_rows)
    threads = min(_SAMPLE_THREADS, jobs, threads_for(N * C_out * TH * TW * 4 * C_in * 9))
    return batches, chunk_rows, threads, _winograd_workspace(N, C_in, C_out, TW, batches,
                                                             chunk_rows)


def _all_finite(result):
    """Whether a Winograd result (either Winograd path) holds only finite numbers; if
    not, the caller computes it again on the next path its rules give.

    The transforms add and subtract input values before multiplying: an ``inf`` in
    ``x`` met by its own negation gives NaN where the direct sum (the reference twin,
    PyTorch) gives ``inf`` (288 infinite outputs became 226 NaN and 62 ``inf`` for one
    ``inf`` input in a 32-channel conv), and values near the float's limit can
    overflow in a transform where the sum would not. Where any output is not finite
    the direct sum's answer is the one to give. The test costs ~0.1 ms on a
    ``(64, 64, 14, 14)`` float32 output, ~3% of its forward.
    """
    return bool(np.isfinite(result).all())


def _winograd_forward(x, w, padding, y, bias=None):
    """conv_forward on the Winograd path, into ``y`` (plus ``bias``, one value per
    output channel, when given)."""
    N, C_in = x.shape[:2]
    C_out = w.shape[0]
    TH, TW = _winograd_blocks(y.shape[2:])
    u = np.empty((16, C_out, C_in), dtype=x.dtype)      # U = G w G^T
    _run_winograd_weight(w, u)
    batches, chunk_rows, threads, per_thread = _winograd_sizes(N, C_in, C_out, TH, TW)
    ws = _thread_workspace("winograd", threads, per_thread, x.dtype)
    with _blas.one_thread():
        _run_winograd_conv(_as_5d(x), u, _as_5d(y), ws, padding[0], padding[1], batches,
                           chunk_rows, threads, bias=bias)
    return y


def _winograd_grad_w(x, grad_y, padding, grad_w):
    """conv_weight_grad on the Winograd path, into ``grad_w``."""
    N, C_in = x.shape[:2]
    C_out = grad_y.shape[1]
    TH, TW = _winograd_blocks(grad_y.shape[2:])
    batches, chunk_rows, threads, per_thread = _winograd_sizes(N, C_in, C_out, TH, TW)
    ws = _thread_workspace("winograd", threads, per_thread, x.dtype)
    parts = np.zeros((threads, 16 * C_out * C_in), dtype=x.dtype)
    with _blas.one_thread():
        _run_winograd_weight_grad(_as_5d(x), _as_5d(grad_y), parts, ws, padding[0],
                                  padding[1], batches, chunk_rows, threads)
    du = parts.sum(axis=0) if threads > 1 else parts[0]
    _run_winograd_weight_back(du.reshape(16, C_out, C_in), grad_w)
    return grad_w


_NO_COLUMNS = {}


def _no_columns(dtype):
    """An empty array of ``dtype``: the loops' "no kept columns" (one per dtype, made
    once: ~0.2 us a call)."""
    empty = _NO_COLUMNS.get(dtype.char)
    if empty is None:
        empty = _NO_COLUMNS[dtype.char] = np.empty(0, dtype=dtype)
    return empty


# ----------------------------------------------------------------------------------
# The three paths of each GEMM kernel, behind its public entry point (which checks the
# arguments first). ``columns`` is the private holder of _transpose_grads: a dict, or
# None.

def _forward(x, w, stride, padding, dilation, groups, columns, bias=None, O=None):
    """conv_forward; on a GEMM path with ``columns`` given, the full-batch columns of
    ``x`` (at most ``_COLUMNS_MAX_BYTES``) are kept there for :func:`_weight_grad`.
    With ``bias`` (one value per output channel) the result is ``conv + bias``: the
    Winograd and per-sample paths add it to each block of output they have just
    written, the others in one NumPy pass at the end. ``O``: the output's spatial size
    when the caller has it (the checks return it)."""
    N, C_in = x.shape[:2]
    C_out, C_in_g = w.shape[:2]
    K = w.shape[2:]
    S = x.shape[2:]
    if O is None:
        O = tuple(conv_output_size(*a) for a in zip(S, K, stride, padding, dilation))
    y = np.empty((N, C_out) + O, dtype=x.dtype)
    if y.size == 0:
        return y
    if (_wl_fits(x.dtype, N, C_in, C_out, K, stride, dilation, groups, O)
            and _all_finite(_wl_forward(x, w, padding, y, bias))):
        return y                     # else computed again below (_all_finite says why)
    if _blocked_fits(x.dtype, C_in, C_out, K, stride, dilation, groups, O):
        return _blocked_forward(x, w, padding, y, bias)
    if _lanes_fits(x.dtype, N, C_in, C_out, K, stride, dilation, groups, O):
        return _lanes_forward(x, w, stride, padding, y, bias)
    if (_winograd_fits(C_in, C_out, K, stride, dilation, groups,
                       tiles=_winograd_tiles(N, O))
            and _all_finite(_winograd_forward(x, w, padding, y, bias))):
        return y                     # else computed again below (_all_finite says why)
    C_out_g = C_out // groups
    L, rows_g, R, geo, path = _sizes_and_path(N, C_in_g, C_out, groups, S, O, K, stride,
                                              padding, dilation)
    if path == "direct":
        _run_direct_conv(_as_5d(x), _as_5d(w), _as_5d(y), geo, groups,
                         threads_for(y.size * rows_g))
        return _plus_bias(y, bias)
    if columns is not None:
        columns.clear()
    if path == "per-sample":
        tile_rows = _tile_rows(O, rows_g, C_out_g)
        Q = L // O[len(O) - 1]                   # window rows of W positions (no [-1]:
        #                                          the module has wraparound off)
        full = _no_columns(x.dtype)
        # Not kept when the forward goes by tiles: writing the full matrix out of the
        # cache cost more than the weight gradient's second im2col (_transpose_grads)
        if (columns is not None and tile_rows >= Q
                and R * N * L * x.itemsize <= _COLUMNS_MAX_BYTES):
            full = np.empty(N * R * L, dtype=x.dtype)
            columns.update(x=x, cols=full, key=_columns_key(x, geo, groups, 0))
        threads = free_threads(_sample_threads(N, R * L))
        split = _split_rows(N, Q, tile_rows, 2 * C_out * rows_g * L)
        if split < tile_rows:                    # fewer samples than threads
            tile_rows = split
            threads = free_threads(min(_SAMPLE_THREADS, N * (-(-Q // split))))
        ws = _thread_workspace("cols", threads, R * min(tile_rows, Q) * (L // Q), x.dtype)
        with _blas.gemm_threads(C_out_g, L, rows_g):     # each tile's gemm at most this
            _run_sample_conv(_as_5d(x), w.reshape(C_out, -1), _as_5d(y), ws, full, geo,
                             groups, tile_rows, threads, bias=bias)
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
    return _plus_bias(y, bias)


def _plus_bias(y, bias):
    """``y += bias`` over the channel axis 1 (None: no bias): the paths that do not add
    it themselves."""
    if bias is not None:
        y += bias.reshape((-1,) + (1,) * (y.ndim - 2))
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
    if (_wl_grad_fits(x.dtype, N, C_in, C_out, K, stride, dilation, groups, O)
            and _all_finite(_wl_weight_grad(x, grad_y, padding, grad_w))):
        return grad_w                # else computed again below (_all_finite says why)
    if _blocked_grad_w_fits(x.dtype, C_in, C_out, K, dilation, groups):
        return _blocked_weight_grad(x, grad_y, K, stride, padding, grad_w)
    if (_SAMPLE_THREADS <= _WINOGRAD_GRAD_MAX_THREADS
            and _winograd_fits(C_in, C_out, K, stride, dilation, groups,
                               _WINOGRAD_GRAD_MIN_PAIRS)
            and _all_finite(_winograd_grad_w(x, grad_y, padding, grad_w))):
        return grad_w                # else computed again below (_all_finite says why)
    L, rows_g, R, geo, path = _sizes_and_path(N, C_in_g, C_out, groups, S, O, K, stride,
                                              padding, dilation)
    if path == "direct":
        _run_direct_weight_grad(_as_5d(x), _as_5d(grad_y), _as_5d(grad_w), geo, groups,
                                threads_for(grad_y.size * rows_g))
        return grad_w
    # BLAS runs cols @ gy.T 20-50% faster than gy @ cols.T when cols has more rows
    # (10% slower with fewer, e.g. C_in = 1): then the transposed gradient is summed,
    # and transposed once at the end.
    transposed = rows_g >= C_out_g
    if path == "per-sample":
        full = _kept_columns(columns, x, _columns_key(x, geo, groups, 0))
        runs = _sample_threads(N, R * L)         # runs of samples, a part each
        threads = free_threads(runs)
        parts = np.zeros((runs, R * C_out_g), dtype=x.dtype)
        ws = _thread_workspace("cols", threads, R * L, x.dtype) if full is None else full
        with _blas.gemm_threads(C_out_g, rows_g, L):     # each sample's gemm
            _run_sample_weight_grad(_as_5d(x), _as_5d(grad_y), parts, ws,
                                    _no_columns(x.dtype) if full is None else full,
                                    geo, groups, transposed, threads)
        total = parts.sum(axis=0) if runs > 1 else parts[0]
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
    kernel_size = interned(w.shape[2:])         # so the remembered check finds it again
    _checks.conv_weight_grad(grad_y, x, kernel_size, stride, padding, dilation, groups)
    columns = {}
    grad_x = _forward(grad_y, w, stride, padding, dilation, groups, columns)
    grad_w = _weight_grad(grad_y, x, kernel_size, stride, padding, dilation, groups, columns)
    return grad_x, grad_w


def _conv_transpose_forward_biased(x, w, bias, stride, padding, output_padding, dilation,
                                   groups):
    """``conv_transpose_forward(x, w, ...) + bias`` (``bias`` of shape ``(C_out,)``),
    bit for bit, as :func:`_conv_forward_biased` for the convolution: the per-sample
    path adds the bias to each output plane right after col2im wrote it. Private to
    the compiled twin; the op layer calls it where the active twin has it."""
    O = _transpose_sizes(x, w, stride, padding, output_padding, dilation, groups)
    if not _plain_bias(bias, w, w.shape[1] * groups):
        _checks.conv_bias("_conv_transpose_forward_biased", bias, w, w.shape[1] * groups)
    return _transpose_forward(x, w, stride, padding, output_padding, dilation, groups,
                              bias, O)


def _conv_forward_biased(x, w, bias, stride, padding, dilation, groups):
    """``conv_forward(x, w, ...) + bias``, the bias (shape ``(C_out,)``, ``x``'s dtype)
    added to each output channel: the same values as the two steps, bit for bit (each
    output is the convolution's value plus its channel's bias, rounded once).

    Private to the compiled twin (the contract's ``conv_forward`` has no bias): the op
    layer calls it where the active twin has it. The Winograd and per-sample paths add
    the bias to each block of output right after they wrote it, while it is in the
    cache, instead of a NumPy pass over the whole output afterwards (``(64, 64, 14,
    14)``: 0.23-0.37 ms, 8-10% of the forward; ``docs/fast.rst``).
    """
    O = _sizes(x, w, stride, padding, dilation, groups)
    if not _plain_bias(bias, w, w.shape[0]):
        _checks.conv_bias("_conv_forward_biased", bias, w, w.shape[0])
    return _forward(x, w, stride, padding, dilation, groups, None, bias, O)


cdef bint _plain_input_and_weight(object x, object w) noexcept:
    """Whether ``x`` and ``w`` pass the arrays' part of the forward checks
    (``_checks._input_and_weight``), told in C: plain arrays (``_arrays.pxd``) of one
    dtype, ``x`` (N, C, *S) with 1 to 3 spatial sizes of at least 1, ``w`` of its rank.
    False says only "ask the checks"."""
    cdef int kind = float_type(x, -1)
    if kind == -1 or float_type(w, -1) != kind:
        return False
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef int rank = cnp.PyArray_NDIM(a), i
    if rank < 3 or rank > 5 or cnp.PyArray_NDIM(<cnp.ndarray>w) != rank:
        return False
    for i in range(2, rank):
        if a.shape[i] < 1:
            return False
    return True


cdef bint _plain_bias(object bias, object w, Py_ssize_t C_out) noexcept:
    """Whether ``bias`` passes ``_checks.conv_bias`` for ``C_out`` output channels of the
    (checked) weight ``w``, told in C: a plain ``(C_out,)`` array of ``w``'s dtype."""
    return vector_of(bias, cnp.PyArray_TYPE(<cnp.ndarray>w), C_out)


def _sizes(x, w, stride, padding, dilation, groups):
    """``_checks.conv_forward(x, w, ...)``: the output's spatial size, or the named
    error. Plain arrays skip the arrays' checks (told in C); the geometry's are
    remembered (``_checks._conv_sizes``)."""
    if _plain_input_and_weight(x, w):
        return _checks._conv_sizes("conv_forward", x.shape, w.shape, stride, padding,
                                   dilation, groups)
    return _checks.conv_forward(x, w, stride, padding, dilation, groups)


def _transpose_sizes(x, w, stride, padding, output_padding, dilation, groups):
    """``_checks.conv_transpose_forward(x, w, ...)``, as :func:`_sizes`."""
    if _plain_input_and_weight(x, w):
        return _checks._conv_transpose_sizes("conv_transpose_forward", x.shape, w.shape,
                                             stride, padding, output_padding, dilation,
                                             groups)
    return _checks.conv_transpose_forward(x, w, stride, padding, output_padding, dilation,
                                          groups)


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
    ``y = w.reshape(C_out, -1) @ cols`` per group. Winograd path (2-d 3x3 stride 1, wide
    enough), ``prange`` over jobs of whole samples or tile rows: ``V = B^T d B`` per 4x4
    patch, ``M[e] = U[e] @ V[e]`` for the 16 positions (``U = G w G^T``), ``y = A^T M A``
    per 2x2 block. Blocked and lanes paths (float32 2-d, AVX-512; ``_blocked.pxd``),
    ``prange`` over ``n``: the sums of a block of outputs kept in registers over every
    tap, 16 output columns (blocked) or 16 output channels (lanes) to a vector.
    Same contract as the reference twin ``lucid._ext.conv.conv_forward``; returns a new
    array of shape (N, C_out, *O).
    """
    O = _sizes(x, w, stride, padding, dilation, groups)
    return _forward(x, w, stride, padding, dilation, groups, None, None, O)
# [end kernel: conv_forward]


# [kernel: conv_weight_grad]
def conv_weight_grad(x, grad_y, kernel_size, stride, padding, dilation, groups):
    """Weight gradient of a convolution: (C_out, C_in//groups, *K).

    Computes::

        for c_o, c_i, k:
            gw[c_o, c_i, k] = sum over n, o of gy[n, c_o, o] * x[n, c_i, o*s + k*dil - p]

    Blocked path (float32, 16 output channels at a time), ``prange`` over runs of
    samples, a partial sum per run: ``gw.T[tap, c_o block] += sum over o of
    x[n, c_i, o*s + k - p] * gy.T[n, o, c_o block]`` for blocks of taps held in
    registers. Direct path: ``prange`` over ``(c_o, c_i)``, a per-thread row of float64
    partial sums. GEMM paths, ``prange`` over runs of samples (per sample, a partial sum
    per run) or per batch chunk: ``gw.T += im2col(x_chunk) @ gy_chunk.T`` per group.
    Winograd path (2-d 3x3 stride 1, one thread): ``dU[e] += (A g A^T)[e] @ (B^T d B)[e].T`` over the
    2x2 blocks ``g`` of ``gy`` and 4x4 patches ``d`` of ``x``, then ``gw = G^T dU G``.
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
    ``cols = w.reshape(C_in, -1).T @ x`` per group, then ``y = col2im(cols)``. Phases
    path (float32 1-d or 2-d with a stride, AVX-512), ``prange`` over ``n``: the outputs
    ``y[n, :, s_h*q_h + r_h, s_w*q_w + r_w]`` of each phase ``(r_h, r_w)`` are a stride-1
    convolution of ``x`` with the taps ``k = k0 + s*j`` of ``w`` reversed
    (:func:`_phase_axis`), run on the lanes loops. At stride 1 it may run as the
    convolution it equals, kernel flipped (:func:`_as_flipped_conv`). Same contract as
    the reference twin ``lucid._ext.conv.conv_transpose_forward``; returns a new array
    (N, C_out, *O).
    """
    O = _transpose_sizes(x, w, stride, padding, output_padding, dilation, groups)
    return _transpose_forward(x, w, stride, padding, output_padding, dilation, groups,
                              None, O)
# [end kernel: conv_transpose_forward]


def _transpose_forward(x, w, stride, padding, output_padding, dilation, groups, bias=None,
                       O=None):
    """conv_transpose_forward, plus ``bias`` (one value per output channel) when given:
    the per-sample path adds it to each output plane right after col2im wrote it, the
    flipped convolution as :func:`_forward` does, the others in one pass at the end.
    ``O``: the output's spatial size when the caller has it (the checks return it)."""
    N, C_in = x.shape[:2]
    C_out_g = w.shape[1]
    K = w.shape[2:]
    S = x.shape[2:]
    if O is None:
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
        _run_direct_conv_transpose(_as_5d(x), _as_5d(w), _as_5d(y), geo, groups,
                                   threads_for(x.size * rows_g))
        return _plus_bias(y, bias)
    if _phases_fits(x.dtype, N, C_in, C_out, K, stride, dilation, groups, O):
        return _phases_forward(x, w, stride, padding, y, bias)
    flipped = _as_flipped_conv(stride, padding, output_padding, dilation, K, C_in, C_out,
                               groups)
    if flipped is not None:                 # stride 1: a conv, no col2im (_as_flipped_conv)
        ones = (1,) * len(K)
        if groups == 1 and _lanes_takes(x.dtype, N, C_in, C_out, K, ones, dilation, O):
            # the conv _forward would run on the lanes path: each thread flips the
            # weight as it transposes it. The weight the calling thread flipped first
            # was read by the other thread across the cores (144 KB for 64->64 3x3:
            # the ResNet's input gradient at 8x8, batch 1, 65 against 39 us given a
            # flipped weight both threads had read before)
            return _lanes_forward(x, np.ascontiguousarray(w), ones, flipped, y, bias,
                                  flipped=True)
        return _forward(x, _flipped_weight(w, groups), ones, flipped, dilation,
                        groups, None, bias)
    if path == "per-sample":
        threads = free_threads(_sample_threads(N, groups * rows_g * L))
        ws = _thread_workspace("cols", threads, groups * rows_g * L, x.dtype)
        with _blas.gemm_threads(rows_g, L, C_in_g):      # each sample's gemm
            _run_sample_conv_transpose(_as_5d(x), w.reshape(C_in, -1), _as_5d(y), ws, geo,
                                       groups, threads, bias=bias)
        return y
    w_t = w.reshape(groups, C_in_g, rows_g).transpose(0, 2, 1)
    nb = _chunk(N, groups * rows_g * L)
    with _blas.product_threads(2 * N * L * C_in * rows_g):    # on OpenBLAS's threads
        for n0 in range(0, N, nb):
            nc = min(nb, N - n0)
            xs = _chunk_by_channel(x, n0, nc, groups, "in")
            cols = _workspace("cols", (groups * rows_g, nc, L), x.dtype)
            np.matmul(w_t, xs, out=cols.reshape(groups, rows_g, nc * L))
            _run_col2im(cols.transpose(1, 0, 2), _as_5d(y), n0, geo, _GEMM_THREADS)
    return _plus_bias(y, bias)


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
        _run_im2col(_as_5d(x), cols, 0, _geo(S, O, K, stride, padding, dilation),
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
        _run_col2im(cols, _as_5d(x), 0, _geo(S, O, K, stride, padding, dilation),
                    threads_for(cols.size))
    return x
# [end kernel: fold]
