r"""Batch normalisation kernels, compiled twin of :mod:`lucid._ext.norm`.

The loop nest, for ``batch_norm_forward`` (``x`` of shape ``(N, C, L)``, ``M = N * L``)::

    for c in range(C):                          # parallel: prange over the channels
        mean[c] = sum(x[n, c, l] for n, l) / M
        var[c] = sum((x[n, c, l] - mean[c]) ** 2 for n, l) / M
        r[c] = 1 / sqrt(var[c] + eps)
    for n in range(N):                          # parallel: each thread a contiguous
        for c in range(C):                      # share of the rows (n, c)
            for l in range(L):
                y[n, c, l] = (x[n, c, l] - mean[c]) * r[c] * weight[c] + bias[c]

and for ``batch_norm_backward``::

    for c in range(C):                          # parallel: prange over the channels
        r[c] = 1 / sqrt(var[c] + eps)
        grad_bias[c] = sum(g[n, c, l] for n, l)
        grad_weight[c] = sum(g[n, c, l] * (x[n, c, l] - mean[c]) * r[c] for n, l)
    for n in range(N):                          # parallel: each thread a contiguous
        for c in range(C):                      # share of the rows (n, c)
            for l in range(L):
                xhat = (x[n, c, l] - mean[c]) * r[c]
                grad_x[n, c, l] = weight[c] * r[c] * (g[n, c, l] - grad_bias[c] / M
                                                      - xhat * grad_weight[c] / M)

and for ``batch_norm_eval`` (evaluation mode: fixed statistics, folded per channel)::

    for c in range(C):                          # one thread
        scale[c] = weight[c] / sqrt(var[c] + eps)
        shift[c] = bias[c] - mean[c] * scale[c]
    for n in range(N):                          # parallel: prange over the rows (n, c)
        for c in range(C):
            for l in range(L):
                y[n, c, l] = x[n, c, l] * scale[c] + shift[c]

and, private to this twin (the op layer calls them where the active twin has them),
layer norm of the rows of ``x`` (R, D), its parameters along each row::

    for row in range(R):                        # parallel: prange over groups of rows
        mean[row] = sum(x[row]) / D;  var[row] = sum((x[row] - mean[row]) ** 2) / D
        y[row] = (x[row] - mean[row]) / sqrt(var[row] + eps) * weight + bias

(``_layer_norm_forward``; ``_layer_norm_backward`` is batch norm's backward per row,
plus the parameters' gradients summed down the rows by blocks), and the first loop of
``batch_norm_backward`` alone, for a convolution's bias gradient (``_channel_sums``)::

    for c in range(C):                          # parallel: prange over the channels
        out[c] = sum(x[n, c, l] for n, l)

What makes it fast: a channel's sums are taken while its values are in the cache
(NumPy's version makes seven passes over arrays of ``x``'s size and allocates four of
them), and all of its cache lines are asked for before its first pass
(``_prefetch_channel``); the sums run in 16 independent lanes of the arrays' precision
that gcc turns into vector instructions, added into a double every 512 values
(``_channel_sum``: as exact as the reference's pairwise sums, or more). The channels
are shared among the threads (``threads_for`` of the size of ``x``; a channel at a
time, to whichever thread is free), and each channel's sums run in one thread in a
fixed order, so the results do not depend on the thread count. The values are then
written in a second pass in memory order, each thread one contiguous share of the rows
(n, c), as the elementwise kernels share an array (``_normalise_rows``,
``_gradient_rows``): a thread's writes are long runs in memory order, where written
channel by channel they were ``N`` short runs spread over the whole array (a channel
spans every sample). With one sample a channel is one row, written right after its
sums. ``docs/fast.rst`` has the measurements.
"""
import numpy as np

cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport sqrt, sqrtf

from lucid._ext._arrays cimport (data_or_null, empty_like, empty_vector, float_type,
                                  plain_eps, vector_of)

from lucid._ext import _checks
from lucid._ext._openmp import threads_for, threads_for_pass

__all__ = ["batch_norm_forward", "batch_norm_backward", "batch_norm_eval"]

cnp.import_array()

ctypedef fused real:
    float
    double


cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define lucid_prefetch(address) __builtin_prefetch(address)
    #else
    #define lucid_prefetch(address) ((void)0)
    #endif
    """
    void lucid_prefetch(const void* address) nogil


cdef inline void _prefetch_channel(const real* a, Py_ssize_t N, Py_ssize_t C, Py_ssize_t L,
                                   Py_ssize_t c) noexcept nogil:
    """Ask the memory for every cache line of channel ``c`` of ``a`` (N, C, L) at once.

    A channel is ``N`` rows of ``L`` values, ``C * L`` values apart: at the ResNet's
    ``(32, 64, 64)`` 32 rows of four cache lines. The hardware prefetcher does not follow
    streams that short, so the first pass over a channel that came from memory waited
    for one row after another; asked for all at once, the rows arrive together. Inside
    the ResNet's training step, batch norm's backward went from 4.3 to 3.3 ms per step
    and its forward from 3.2 to 2.8 ms (``docs/fast.rst``)."""
    cdef Py_ssize_t n, offset
    cdef const char* row
    for n in range(N):
        row = <const char*>(a + (n * C + c) * L)
        offset = 0
        while offset < L * <Py_ssize_t>sizeof(real):
            lucid_prefetch(row + offset)
            offset += 64                     # a cache line


def _threads(x):
    """Threads for a loop over ``x``'s channels (``_openmp.threads_for``)."""
    return threads_for(x.size)


def _pass_threads(x):
    """Threads for evaluation mode's one pass over ``x`` (``_openmp.threads_for_pass``,
    the ReLU's rule)."""
    return threads_for_pass(x.size)


cdef inline const real* _address(const real[::1] a):
    """Where the loops read an optional array of parameters: NULL for None (the array
    stays alive with the caller's reference)."""
    return NULL if a is None else &a[0]


cdef inline bint _row_of(object a, int kind, Py_ssize_t D) noexcept:
    """``a`` is None or a plain (``_arrays.pxd``) ``(D,)`` array of NumPy type ``kind``."""
    return a is None or vector_of(a, kind, D)


def _normalised_and_statistics(x, groups):
    """The outputs a forward fills: ``y`` like ``x``, and a mean and a variance for each
    of the ``groups`` sets of values normalised together (channels, or rows)."""
    return (np.empty_like(x), np.empty(groups, dtype=x.dtype),
            np.empty(groups, dtype=x.dtype))


cdef inline Py_ssize_t _first_row(Py_ssize_t rows, int threads, Py_ssize_t t) noexcept nogil:
    """Where thread ``t``'s contiguous share of ``rows`` rows begins (``t = threads``:
    the end): the rows split as evenly as whole rows allow."""
    return rows * t // threads


def _per_channel(rows, x):
    """Scratch for what the row pass needs of each channel: ``rows`` rows of ``C``
    values of ``x``'s dtype, filled by the channel pass."""
    return np.empty((rows, x.shape[1]), dtype=x.dtype)


cdef inline real _rstd(real var, real eps) noexcept nogil:
    """``1 / sqrt(var + eps)`` in the arrays' precision, rounded as NumPy rounds it."""
    if real is float:
        return (<float>1) / sqrtf(var + eps)
    else:
        return 1 / sqrt(var + eps)


# [loops: batch_norm_forward]
# [loops: batch_norm_backward]
# A channel's sums (_channel_sum) run in BLOCK_LANES independent lanes of the arrays'
# precision, which gcc turns into vector instructions; every BLOCK values the lanes are
# added into a double (_block_total) and start again from 0. A float lane thus adds
# BLOCK / BLOCK_LANES values (32) before its total is taken: as exact as NumPy's
# pairwise float sum (the reference's), or more, with four float additions per SSE2
# vector instead of two double ones. (Double lanes, every value widened first, made
# the statistics the larger part of batch norm's time; 32 lanes were slower on layer
# norm's rows of 64.) The blocks run across the channel's rows, so short rows (8x8
# planes) do not each pay for a total.
cdef enum:
    BLOCK_LANES = 16
    BLOCK_PARTS = 4              # BLOCK_LANES / 4: _block_total's first level
    BLOCK = 512
    SUM = 0                      # what _channel_sum adds: a
    SQUARES = 1                  # (a - mu) ** 2
    PRODUCTS = 2                 # b * ((a - mu) * r)


cdef inline double _block_total(real* lane) noexcept nogil:
    """The BLOCK_LANES lanes added in double, in pairs; the lanes are reset to 0."""
    cdef double part[BLOCK_PARTS]
    cdef Py_ssize_t k
    for k in range(BLOCK_PARTS):
        part[k] = (<double>lane[4 * k] + lane[4 * k + 1]) + (<double>lane[4 * k + 2]
                                                             + lane[4 * k + 3])
    for k in range(BLOCK_LANES):
        lane[k] = 0
    return (part[0] + part[1]) + (part[2] + part[3])


cdef inline void _add_segment(int kind, const real* a, const real* b, Py_ssize_t n,
                              real mu, real r, real* lane) noexcept nogil:
    """Add the ``n`` terms of ``a[:n]`` (and ``b[:n]``) of the given kind into the lanes,
    each term rounded in the arrays' precision as the reference rounds it."""
    cdef Py_ssize_t i = 0, k
    cdef real d
    if kind == SUM:
        while i + BLOCK_LANES <= n:
            for k in range(BLOCK_LANES):
                lane[k] += a[i + k]
            i += BLOCK_LANES
    elif kind == SQUARES:
        while i + BLOCK_LANES <= n:
            for k in range(BLOCK_LANES):
                d = a[i + k] - mu
                lane[k] += d * d
            i += BLOCK_LANES
    else:
        while i + BLOCK_LANES <= n:
            for k in range(BLOCK_LANES):
                lane[k] += b[i + k] * ((a[i + k] - mu) * r)
            i += BLOCK_LANES
    while i < n:                 # the rest, one lane each
        if kind == SUM:
            lane[i % BLOCK_LANES] += a[i]
        elif kind == SQUARES:
            d = a[i] - mu
            lane[i % BLOCK_LANES] += d * d
        else:
            lane[i % BLOCK_LANES] += b[i] * ((a[i] - mu) * r)
        i += 1


cdef inline double _channel_sum(int kind, const real* a, const real* b, Py_ssize_t N,
                                Py_ssize_t stride, Py_ssize_t L, real mu,
                                real r) noexcept nogil:
    """The sum over the N rows of L values (``stride`` apart) of a channel of ``a`` (and
    ``b``), of the terms of ``kind`` (SUM, SQUARES or PRODUCTS), in double."""
    cdef real lane[BLOCK_LANES]
    cdef double total = 0
    cdef Py_ssize_t n, i, m, k, pending = 0
    for k in range(BLOCK_LANES):
        lane[k] = 0
    for n in range(N):
        i = 0
        while i < L:
            m = min(L - i, BLOCK - pending)
            _add_segment(kind, a + n * stride + i, b + n * stride + i, m, mu, r, lane)
            i += m
            pending += m
            if pending == BLOCK:
                total += _block_total(lane)
                pending = 0
    return total + _block_total(lane)
# [end loops: batch_norm_backward]


cdef void _statistics(const real* x, real* mean, real* var, const real* weight,
                      const real* bias, real eps, real* affine, Py_ssize_t N, Py_ssize_t C,
                      Py_ssize_t L, Py_ssize_t c) noexcept nogil:
    # Channel c's mean and variance, and what its rows need (affine: three rows of C):
    # r = 1 / sqrt(var + eps), the weight and the bias (1 and 0 when absent).
    cdef double total, squares
    cdef real mu
    _prefetch_channel(x, N, C, L, c)
    total = _channel_sum(SUM, x + c * L, x + c * L, N, C * L, L, 0, 1)
    mu = <real>(total / (N * L))
    squares = _channel_sum(SQUARES, x + c * L, x + c * L, N, C * L, L, mu, 1)
    mean[c] = mu
    var[c] = <real>(squares / (N * L))
    affine[c] = _rstd(var[c], eps)
    affine[C + c] = 1 if weight == NULL else weight[c]
    affine[2 * C + c] = 0 if bias == NULL else bias[c]


cdef void _normalise_rows(const real* x, real* y, const real* mean, const real* affine,
                          Py_ssize_t C, Py_ssize_t L, Py_ssize_t first,
                          Py_ssize_t last) noexcept nogil:
    # Rows first .. last - 1 of x seen as (N * C, L), row i = (n, c) with c = i % C,
    # rounded as the reference: ((x - mu) * r) * w + b.
    cdef Py_ssize_t i, l, c = first % C
    cdef real mu, r, scale, shift
    cdef const real* row
    cdef real* out
    for i in range(first, last):
        mu, r, scale, shift = mean[c], affine[c], affine[C + c], affine[2 * C + c]
        row = x + i * L
        out = y + i * L
        for l in range(L):
            out[l] = ((row[l] - mu) * r) * scale + shift
        c = c + 1 if c + 1 < C else 0


def _forward(const real[:, :, ::1] x, real[:, :, ::1] y, real[::1] mean, real[::1] var,
             const real[::1] weight, const real[::1] bias, double eps, real[:, ::1] affine,
             int threads):
    cdef const real* wp = _address(weight)
    cdef const real* bp = _address(bias)
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], L = x.shape[2], c, t
    # One sample (N == 1): a channel is one row, written right after its sums while it
    # is in the cache, and there is no second pass.
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        with nogil:
            for c in range(C):
                _statistics(&x[0, 0, 0], &mean[0], &var[0], wp, bp, <real>eps,
                            &affine[0, 0], N, C, L, c)
                if N == 1:
                    _normalise_rows(&x[0, 0, 0], &y[0, 0, 0], &mean[0], &affine[0, 0], C,
                                    L, c, c + 1)
            if N > 1:
                _normalise_rows(&x[0, 0, 0], &y[0, 0, 0], &mean[0], &affine[0, 0], C, L,
                                0, N * C)
        return
    for c in prange(C, nogil=True, schedule="dynamic", chunksize=1, num_threads=threads):
        _statistics(&x[0, 0, 0], &mean[0], &var[0], wp, bp, <real>eps, &affine[0, 0],
                    N, C, L, c)
        if N == 1:
            _normalise_rows(&x[0, 0, 0], &y[0, 0, 0], &mean[0], &affine[0, 0], C, L, c,
                            c + 1)
    if N == 1:
        return
    for t in prange(threads, nogil=True, schedule="static", num_threads=threads):
        _normalise_rows(&x[0, 0, 0], &y[0, 0, 0], &mean[0], &affine[0, 0], C, L,
                        _first_row(N * C, threads, t), _first_row(N * C, threads, t + 1))
# [end loops: batch_norm_forward]


cdef int _plain_batch(object x, object weight, object eps) noexcept:
    """NumPy's type number of ``x`` when ``x`` is a plain (N, C, L) array with at least
    one value per channel (N * L >= 1), ``weight`` None or a plain (C,) array of its
    dtype and ``eps`` a finite float at least 0 (``_arrays.pxd``); -1 otherwise."""
    cdef int kind = float_type(x, 3)
    if kind == -1 or not plain_eps(eps):
        return -1
    cdef cnp.ndarray a = <cnp.ndarray>x
    if a.shape[0] * a.shape[2] < 1 or not _row_of(weight, kind, a.shape[1]):
        return -1
    return kind


# [kernel: batch_norm_forward]
def batch_norm_forward(x, weight, bias, eps):
    """Normalise each channel of ``x`` (N, C, L) over its batch and spatial values; returns
    ``(y, mean, var)``, channel by channel::

        for c in range(C):
            mean[c] = sum(x[:, c, :]) / M;  var[c] = sum((x[:, c, :] - mean[c])**2) / M
            y[:, c, :] = (x[:, c, :] - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]
    """
    cdef int kind = _plain_batch(x, weight, eps)
    if kind == -1 or not _row_of(bias, kind, (<cnp.ndarray>x).shape[1]):
        _checks.batch_norm_forward(x, weight, bias, eps)   # else the checks' rules hold
    y, mean, var = _normalised_and_statistics(x, x.shape[1])
    if x.size:
        _forward(x, y, mean, var, weight, bias, float(eps), _per_channel(3, x),
                 _threads(x))
    return y, mean, var
# [end kernel: batch_norm_forward]


# [loops: batch_norm_backward]
cdef void _gradient_sums(const real* g, const real* x, const real* mean, const real* var,
                         const real* weight, real eps, real* gw, real* gb, real* terms,
                         Py_ssize_t N, Py_ssize_t C, Py_ssize_t L, Py_ssize_t c) noexcept nogil:
    # Channel c's two sums, and what its rows need (terms: four rows of C): r, the
    # factor weight * r, and the means of g and of g * xhat.
    cdef double sum_g, sum_gx
    cdef real r = _rstd(var[c], eps)
    _prefetch_channel(g, N, C, L, c)
    _prefetch_channel(x, N, C, L, c)
    sum_g = _channel_sum(SUM, g + c * L, g + c * L, N, C * L, L, 0, 1)
    sum_gx = _channel_sum(PRODUCTS, x + c * L, g + c * L, N, C * L, L, mean[c], r)
    gb[c] = <real>sum_g
    gw[c] = <real>sum_gx
    terms[c] = r
    terms[C + c] = r if weight == NULL else r * weight[c]
    terms[2 * C + c] = <real>(sum_g / (N * L))
    terms[3 * C + c] = <real>(sum_gx / (N * L))


cdef void _gradient_rows(const real* g, const real* x, const real* mean, const real* terms,
                         real* gx, Py_ssize_t C, Py_ssize_t L, Py_ssize_t first,
                         Py_ssize_t last) noexcept nogil:
    # Rows first .. last - 1 of grad_x seen as (N * C, L), row i = (n, c), c = i % C.
    cdef Py_ssize_t i, l, c = first % C
    cdef real mu, r, scale, mean_g, mean_gx, xhat
    for i in range(first, last):
        mu, r, scale = mean[c], terms[c], terms[C + c]
        mean_g, mean_gx = terms[2 * C + c], terms[3 * C + c]
        for l in range(L):
            xhat = (x[i * L + l] - mu) * r
            gx[i * L + l] = scale * (g[i * L + l] - mean_g - xhat * mean_gx)
        c = c + 1 if c + 1 < C else 0


def _backward(const real[:, :, ::1] grad, const real[:, :, ::1] x, const real[::1] mean,
              const real[::1] var, const real[::1] weight, double eps,
              real[:, :, ::1] grad_x, real[::1] grad_weight, real[::1] grad_bias,
              real[:, ::1] terms, int threads):
    cdef const real* wp = _address(weight)
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], L = x.shape[2], c, t
    if threads == 1:                # as in _forward, and so for one sample
        with nogil:
            for c in range(C):
                _gradient_sums(&grad[0, 0, 0], &x[0, 0, 0], &mean[0], &var[0], wp,
                               <real>eps, &grad_weight[0], &grad_bias[0], &terms[0, 0],
                               N, C, L, c)
                if N == 1:
                    _gradient_rows(&grad[0, 0, 0], &x[0, 0, 0], &mean[0], &terms[0, 0],
                                   &grad_x[0, 0, 0], C, L, c, c + 1)
            if N > 1:
                _gradient_rows(&grad[0, 0, 0], &x[0, 0, 0], &mean[0], &terms[0, 0],
                               &grad_x[0, 0, 0], C, L, 0, N * C)
        return
    for c in prange(C, nogil=True, schedule="dynamic", chunksize=1, num_threads=threads):
        _gradient_sums(&grad[0, 0, 0], &x[0, 0, 0], &mean[0], &var[0], wp, <real>eps,
                       &grad_weight[0], &grad_bias[0], &terms[0, 0], N, C, L, c)
        if N == 1:
            _gradient_rows(&grad[0, 0, 0], &x[0, 0, 0], &mean[0], &terms[0, 0],
                           &grad_x[0, 0, 0], C, L, c, c + 1)
    if N == 1:
        return
    for t in prange(threads, nogil=True, schedule="static", num_threads=threads):
        _gradient_rows(&grad[0, 0, 0], &x[0, 0, 0], &mean[0], &terms[0, 0],
                       &grad_x[0, 0, 0], C, L, _first_row(N * C, threads, t),
                       _first_row(N * C, threads, t + 1))
# [end loops: batch_norm_backward]


cdef void _running_run(real* running_mean, real* running_var, const real* mean,
                       const real* var, real keep, real take, real unbiased,
                       Py_ssize_t C) noexcept nogil:
    # running = keep * running + take * batch, as NumPy rounds the op layer's formula
    # with Python floats (weak scalars: each product and the sum in the arrays' dtype).
    cdef Py_ssize_t c
    for c in range(C):
        running_mean[c] = keep * running_mean[c] + take * mean[c]
        running_var[c] = keep * running_var[c] + take * (var[c] * unbiased)


cdef void _sums_of_channels(const real* x, real* out, Py_ssize_t N, Py_ssize_t C,
                            Py_ssize_t L, int threads) noexcept nogil:
    # out[c] = the sum of x[:, c, :], batch_norm_backward's grad_bias loop: channels
    # shared among the threads, each summed by one (the same bits on any count)
    cdef Py_ssize_t c
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        for c in range(C):
            out[c] = <real>_channel_sum(SUM, x + c * L, x + c * L, N, C * L, L, 0, 1)
        return
    for c in prange(C, schedule="static", num_threads=threads):
        out[c] = <real>_channel_sum(SUM, x + c * L, x + c * L, N, C * L, L, 0, 1)


def _channel_sums(x):
    """The sum of each channel of ``x`` (N, C, L) over its batch and positions, as
    ``batch_norm_backward`` sums ``grad_bias`` (16 lanes of the array's precision, into
    a double every 512 values; channels on the threads): a convolution's bias gradient.
    Private to the compiled twin: ``lucid/ops/conv.py`` calls it where the active twin
    has it, for a plain (``_arrays.pxd``) ``x`` with a value per channel; None for any
    other ``x`` (the caller then sums with BLAS, as the reference twin's path does)."""
    cdef int kind = float_type(x, 3)
    if kind == -1:
        return None
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef Py_ssize_t N = a.shape[0], C = a.shape[1], L = a.shape[2]
    if N * L < 1:
        return None
    cdef cnp.ndarray out = empty_vector(C, kind)
    cdef int threads = _threads(x)
    with nogil:
        if kind == cnp.NPY_FLOAT:
            _sums_of_channels(<const float*>cnp.PyArray_DATA(a),
                              <float*>cnp.PyArray_DATA(out), N, C, L, threads)
        else:
            _sums_of_channels(<const double*>cnp.PyArray_DATA(a),
                              <double*>cnp.PyArray_DATA(out), N, C, L, threads)
    return out


def _update_running(running_mean, running_var, mean, var, unbiased, momentum):
    """Move the running statistics toward a batch's, in place, for plain arguments::

        for c in range(C):
            running_mean[c] = (1 - momentum) * running_mean[c] + momentum * mean[c]
            running_var[c] = (1 - momentum) * running_var[c] + momentum * (var[c] * unbiased)

    (``unbiased = n / (n - 1)``). Private to this twin: ``lucid/ops/norm.py``'s
    ``_update_running`` calls it where the active twin has it, and runs that formula in
    NumPy (six array operations and two copies, ~6 us for 16 channels) when it returns
    False: for arguments other than four plain ``(C,)`` arrays of one float dtype and
    Python numbers (NumPy rounds a NumPy scalar differently: it is not a weak scalar).
    """
    cdef int kind = float_type(running_mean, 1)
    if kind == -1 or type(unbiased) is not float or type(momentum) not in (float, int):
        return False
    cdef Py_ssize_t C = (<cnp.ndarray>running_mean).shape[0]
    if not (vector_of(running_var, kind, C) and vector_of(mean, kind, C)
            and vector_of(var, kind, C)):
        return False
    if not (cnp.PyArray_ISWRITEABLE(<cnp.ndarray>running_mean)
            and cnp.PyArray_ISWRITEABLE(<cnp.ndarray>running_var)):
        return False                    # NumPy's assignment raises its error
    cdef double m = momentum, u = unbiased
    if kind == cnp.NPY_FLOAT:
        _running_run(<float*>cnp.PyArray_DATA(running_mean),
                     <float*>cnp.PyArray_DATA(running_var),
                     <const float*>cnp.PyArray_DATA(mean), <const float*>cnp.PyArray_DATA(var),
                     <float>(1 - m), <float>m, <float>u, C)
    else:
        _running_run(<double*>cnp.PyArray_DATA(running_mean),
                     <double*>cnp.PyArray_DATA(running_var),
                     <const double*>cnp.PyArray_DATA(mean),
                     <const double*>cnp.PyArray_DATA(var), 1 - m, m, u, C)
    return True


cdef bint _plain_gradient(object grad, object x, object mean, object var, object weight,
                          object eps) noexcept:
    """Whether ``batch_norm_backward``'s arguments are the plain case, told in C: ``x``
    as :func:`_plain_batch` takes it, ``grad`` a plain array of its dtype and shape,
    ``mean`` and ``var`` plain (C,) arrays of its dtype. False says only "ask the
    checks" (``_checks.batch_norm_backward``, which name what is wrong)."""
    cdef int kind = _plain_batch(x, weight, eps)
    if kind == -1 or float_type(grad, 3) != kind:
        return False
    cdef cnp.ndarray a = <cnp.ndarray>x, g = <cnp.ndarray>grad
    cdef Py_ssize_t C = a.shape[1]
    return (g.shape[0] == a.shape[0] and g.shape[1] == C and g.shape[2] == a.shape[2]
            and vector_of(mean, kind, C) and vector_of(var, kind, C))


# [kernel: batch_norm_backward]
def batch_norm_backward(grad, x, mean, var, weight, eps):
    """The gradients of :func:`batch_norm_forward`, ``(grad_x, grad_weight, grad_bias)``,
    two passes per channel::

        for c in range(C):
            grad_bias[c] = sum(g[:, c, :]);  grad_weight[c] = sum(g[:, c, :] * xhat[:, c, :])
            grad_x[:, c, :] = weight[c] * r[c] * (g[:, c, :] - grad_bias[c] / M
                                                  - xhat[:, c, :] * grad_weight[c] / M)
    """
    if not _plain_gradient(grad, x, mean, var, weight, eps):   # else the checks' rules
        _checks.batch_norm_backward(grad, x, mean, var, weight, eps)   # hold
    grad_x = np.empty_like(x)
    grad_weight = np.zeros(x.shape[1], dtype=x.dtype)
    grad_bias = np.zeros(x.shape[1], dtype=x.dtype)
    if x.size:
        _backward(grad, x, mean, var, weight, float(eps), grad_x, grad_weight,
                  grad_bias, _per_channel(4, x), _threads(x))
    return grad_x, grad_weight, grad_bias
# [end kernel: batch_norm_backward]


# [loops: batch_norm_eval]
cdef inline void _eval_row(const real* row, real* out, Py_ssize_t L, real s,
                           real t) noexcept nogil:
    cdef Py_ssize_t l
    for l in range(L):
        out[l] = row[l] * s + t


cdef void _eval_run(const real* x, const real* mean, const real* var, const real* w,
                    const real* b, real eps, real* scale, real* shift, real* y,
                    Py_ssize_t N, Py_ssize_t C, Py_ssize_t L, int threads) noexcept nogil:
    # The scale and shift of every channel first (rounded as the reference: r = 1 /
    # sqrt(var + eps), s = r * w, t = b - mu * s), then one pass reading x once and
    # writing y once (NumPy's x * s + t makes two passes and a temporary), its rows
    # (n, c) shared among the threads; the inner loop runs over L contiguous values and
    # vectorises. ``w`` and ``b`` are NULL when absent.
    cdef Py_ssize_t c, nc
    cdef real s
    for c in range(C):
        s = _rstd(var[c], eps)
        if w != NULL:
            s = s * w[c]
        scale[c] = s
        shift[c] = b[c] - mean[c] * s if b != NULL else -(mean[c] * s)
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        for nc in range(N * C):
            _eval_row(x + nc * L, y + nc * L, L, scale[nc % C], shift[nc % C])
        return
    for nc in prange(N * C, schedule="static", num_threads=threads):
        _eval_row(x + nc * L, y + nc * L, L, scale[nc % C], shift[nc % C])


def _eval(const real[:, :, ::1] x, const real[::1] mean, const real[::1] var, weight, bias,
          double eps, real[::1] scale, real[::1] shift, real[:, :, ::1] y, int threads):
    cdef const real[::1] w, b
    cdef const real* wp = NULL
    cdef const real* bp = NULL
    if x.shape[0] * x.shape[1] * x.shape[2] == 0:
        return
    if weight is not None:
        w = weight
        wp = &w[0]
    if bias is not None:
        b = bias
        bp = &b[0]
    with nogil:
        _eval_run(&x[0, 0, 0], &mean[0], &var[0], wp, bp, <real>eps, &scale[0], &shift[0],
                  &y[0, 0, 0], x.shape[0], x.shape[1], x.shape[2], threads)


# [end loops: batch_norm_eval]


cdef object _eval_plain(object x, object mean, object var, object weight, object bias,
                        object eps):
    """``batch_norm_eval`` for arguments its loop takes as they are, recognised in C:
    ``x`` a plain (N, C, L) array with values, ``mean`` and ``var`` plain (C,) arrays of
    its dtype, ``weight`` and ``bias`` None or such arrays, ``eps`` a finite float at
    least 0. The result, or None for any other arguments (the caller runs the checks)."""
    cdef int kind = float_type(x, 3)
    if kind == -1 or not plain_eps(eps):
        return None
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef Py_ssize_t N = a.shape[0], C = a.shape[1], L = a.shape[2]
    cdef double e = eps
    if (N * C * L == 0 or not vector_of(mean, kind, C) or not vector_of(var, kind, C)
            or not _row_of(weight, kind, C) or not _row_of(bias, kind, C)):
        return None
    cdef cnp.ndarray y = empty_like(a, kind)
    cdef cnp.ndarray scale = empty_vector(C, kind), shift = empty_vector(C, kind)
    cdef int threads = _pass_threads(x)
    cdef void* wp = data_or_null(weight)
    cdef void* bp = data_or_null(bias)
    cdef void* mp = data_or_null(mean)
    cdef void* vp = data_or_null(var)
    with nogil:
        if kind == cnp.NPY_FLOAT:
            _eval_run(<const float*>cnp.PyArray_DATA(a), <const float*>mp, <const float*>vp,
                      <const float*>wp, <const float*>bp, <float>e,
                      <float*>cnp.PyArray_DATA(scale), <float*>cnp.PyArray_DATA(shift),
                      <float*>cnp.PyArray_DATA(y), N, C, L, threads)
        else:
            _eval_run(<const double*>cnp.PyArray_DATA(a), <const double*>mp,
                      <const double*>vp, <const double*>wp, <const double*>bp, e,
                      <double*>cnp.PyArray_DATA(scale), <double*>cnp.PyArray_DATA(shift),
                      <double*>cnp.PyArray_DATA(y), N, C, L, threads)
    return y


# [kernel: batch_norm_eval]
def batch_norm_eval(x, mean, var, weight, bias, eps):
    """Evaluation-mode batch norm with fixed statistics, folded per channel, one pass::

        for c: scale[c] = weight[c] / sqrt(var[c] + eps); shift[c] = bias[c] - mean[c] * scale[c]
        for n, c, l: y[n, c, l] = x[n, c, l] * scale[c] + shift[c]

    Plain arguments (``_arrays.pxd``) reach the loop from C (``_eval_plain``).
    """
    found = _eval_plain(x, mean, var, weight, bias, eps)
    if found is not None:
        return found
    _checks.batch_norm_eval(x, mean, var, weight, bias, eps)
    y = np.empty_like(x)
    scale = np.empty(x.shape[1], dtype=x.dtype)
    shift = np.empty(x.shape[1], dtype=x.dtype)
    if x.size:
        _eval(x, mean, var, weight, bias, float(eps), scale, shift, y, _pass_threads(x))
    return y
# [end kernel: batch_norm_eval]


# ----------------------------------------------------------------------------------
# Layer norm: private to this twin. The op layer (lucid/ops/norm.py, _rows_forward)
# calls these where the active twin has them; elsewhere it runs batch_norm_forward /
# batch_norm_backward on x seen as (1, R, D) and applies the affine parameters, which
# here lie along D, in NumPy around them. These give the same values, bit for bit
# (``y``, the statistics and ``grad_x``; ``grad_weight`` and ``grad_bias`` within
# rounding: their sums over the rows run in another order).

# [loops: _layer_norm_forward]
cdef enum:
    ROW_GROUP = 8                # rows whose statistics are taken side by side


cdef void _layer_norm_group(const real* x, real* y, real* mean, real* var,
                            const real* weight, const real* bias, real eps, Py_ssize_t rows,
                            Py_ssize_t D) noexcept nogil:
    # ``rows`` (at most ROW_GROUP) rows of D values: their means, then their variances
    # (_channel_sum, as batch norm's channel of one row), then y = ((x - mu) * r) * w + b,
    # rounded as the NumPy path rounds it. A row's statistics are a chain of dependent
    # steps (a sum, a division, a second sum that needs the mean, a square root); taking
    # the rows' sums side by side lets the processor overlap the chains.
    cdef Py_ssize_t i, l
    cdef real mu, r
    cdef const real* row
    cdef real* out
    for i in range(rows):
        row = x + i * D
        mean[i] = <real>(_channel_sum(SUM, row, row, 1, D, D, 0, 1) / D)
    for i in range(rows):
        row = x + i * D
        var[i] = <real>(_channel_sum(SQUARES, row, row, 1, D, D, mean[i], 1) / D)
    for i in range(rows):
        row = x + i * D
        out = y + i * D
        mu = mean[i]
        r = _rstd(var[i], eps)
        for l in range(D):
            out[l] = (row[l] - mu) * r
        if weight != NULL:
            for l in range(D):
                out[l] = out[l] * weight[l]
        if bias != NULL:
            for l in range(D):
                out[l] = out[l] + bias[l]


cdef void _layer_norm_rows_run(const real* x, real* y, real* mean, real* var,
                               const real* wp, const real* bp, real eps, Py_ssize_t R,
                               Py_ssize_t D, int threads) noexcept nogil:
    cdef Py_ssize_t group, first
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        for group in range((R + ROW_GROUP - 1) // ROW_GROUP):
            first = group * ROW_GROUP
            _layer_norm_group(x + first * D, y + first * D, mean + first, var + first,
                              wp, bp, eps, min(ROW_GROUP, R - first), D)
        return
    for group in prange((R + ROW_GROUP - 1) // ROW_GROUP, schedule="static",
                        num_threads=threads):
        first = group * ROW_GROUP
        _layer_norm_group(x + first * D, y + first * D, mean + first, var + first, wp, bp,
                          eps, min(ROW_GROUP, R - first), D)


def _layer_norm_rows(const real[:, ::1] x, real[:, ::1] y, real[::1] mean, real[::1] var,
                     const real[::1] weight, const real[::1] bias, double eps, int threads):
    cdef const real* wp = _address(weight)
    cdef const real* bp = _address(bias)
    if x.shape[0] == 0:
        return
    with nogil:
        _layer_norm_rows_run(&x[0, 0], &y[0, 0], &mean[0], &var[0], wp, bp, <real>eps,
                             x.shape[0], x.shape[1], threads)


# [end loops: _layer_norm_forward]


cdef object _layer_norm_plain(object x, object weight, object bias, object eps):
    """``_layer_norm_forward`` for arguments its loop takes as they are, recognised in
    C: ``x`` a plain (R, D) array with ``R, D >= 1``, ``weight`` and ``bias`` None or
    plain (D,) arrays of its dtype, ``eps`` a finite float at least 0. ``(y, mean,
    var)``, or None for any other arguments (the caller then runs the checks)."""
    cdef int kind = float_type(x, 2)
    if kind == -1 or not plain_eps(eps):
        return None
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef Py_ssize_t R = a.shape[0], D = a.shape[1]
    cdef double e = eps
    if R < 1 or D < 1 or not _row_of(weight, kind, D) or not _row_of(bias, kind, D):
        return None
    cdef cnp.ndarray y = empty_like(a, kind)
    cdef cnp.ndarray mean = empty_vector(R, kind), var = empty_vector(R, kind)
    cdef int threads = _threads(x)
    cdef void* wp = data_or_null(weight)
    cdef void* bp = data_or_null(bias)
    with nogil:
        if kind == cnp.NPY_FLOAT:
            _layer_norm_rows_run(<const float*>cnp.PyArray_DATA(a), <float*>cnp.PyArray_DATA(y),
                                 <float*>cnp.PyArray_DATA(mean), <float*>cnp.PyArray_DATA(var),
                                 <const float*>wp, <const float*>bp, <float>e, R, D, threads)
        else:
            _layer_norm_rows_run(<const double*>cnp.PyArray_DATA(a),
                                 <double*>cnp.PyArray_DATA(y), <double*>cnp.PyArray_DATA(mean),
                                 <double*>cnp.PyArray_DATA(var), <const double*>wp,
                                 <const double*>bp, e, R, D, threads)
    return y, mean, var


def _layer_norm_forward(x, weight, bias, eps):
    """Layer norm of each row of ``x`` (R, D) over its D values, the affine parameters
    (``weight``, ``bias``: (D,) or None) along D; returns ``(y, mean, var)``, one pass
    over ``x`` per row while the row is in the cache::

        for row in range(R):                    # parallel: prange over the rows
            mean[row] = sum(x[row]) / D;  var[row] = sum((x[row] - mean[row])**2) / D
            y[row] = (x[row] - mean[row]) / sqrt(var[row] + eps) * weight + bias

    Plain arguments (``_arrays.pxd``) reach the loop from C (``_layer_norm_plain``).
    """
    found = _layer_norm_plain(x, weight, bias, eps)
    if found is not None:
        return found
    _checks.layer_norm_forward(x, weight, bias, eps)
    y, mean, var = _normalised_and_statistics(x, x.shape[0])
    if x.size:
        _layer_norm_rows(x, y, mean, var, weight, bias, float(eps), _threads(x))
    return y, mean, var


# [loops: _layer_norm_backward]
# The parameters' gradients are sums over the rows. Each block of ROW_BLOCK rows adds
# its terms into its own row of ``parts`` (in the arrays' precision: 32 terms each),
# and the caller adds the blocks in order, in double: the result does not depend on
# which thread ran which block.
cdef enum:
    ROW_BLOCK = 32               # a multiple of ROW_GROUP


cdef void _layer_norm_back_group(const real* g, const real* x, const real* mean,
                                 const real* var, real eps, const real* weight, real* gx,
                                 real* part_w, real* part_b, Py_ssize_t rows,
                                 Py_ssize_t D) noexcept nogil:
    # ``rows`` (at most ROW_GROUP) rows, side by side as in the forward: h = g * w,
    # written into gx's rows first (their scratch); then batch norm's backward of a
    # channel of one row (_gradient_sums and _gradient_row, weight 1) on each row's h,
    # and the rows' terms of dL/dw = sum g * xhat and dL/db = sum g.
    cdef Py_ssize_t i, l
    cdef real mean_h[ROW_GROUP]
    cdef real mean_hx[ROW_GROUP]
    cdef real r[ROW_GROUP]
    cdef real mu, xhat
    cdef const real* grow
    cdef const real* xrow
    cdef real* hrow
    for i in range(rows):
        grow = g + i * D
        hrow = gx + i * D
        if weight != NULL:
            for l in range(D):
                hrow[l] = grow[l] * weight[l]
        else:
            for l in range(D):
                hrow[l] = grow[l]
        r[i] = _rstd(var[i], eps)
        mean_h[i] = <real>(_channel_sum(SUM, hrow, hrow, 1, D, D, 0, 1) / D)
    for i in range(rows):
        mean_hx[i] = <real>(_channel_sum(PRODUCTS, x + i * D, gx + i * D, 1, D, D, mean[i],
                                         r[i]) / D)
    for i in range(rows):
        grow = g + i * D
        xrow = x + i * D
        hrow = gx + i * D
        mu = mean[i]
        for l in range(D):
            xhat = (xrow[l] - mu) * r[i]
            part_w[l] += grow[l] * xhat
            part_b[l] += grow[l]
            hrow[l] = r[i] * (hrow[l] - mean_h[i] - xhat * mean_hx[i])


cdef void _layer_norm_back_block(const real* grad, const real* x, const real* mean,
                                 const real* var, real eps, const real* weight, real* gx,
                                 real* part_w, real* part_b, Py_ssize_t block, Py_ssize_t R,
                                 Py_ssize_t D) noexcept nogil:
    # The rows of block ``block`` (ROW_BLOCK of them, fewer in the last), ROW_GROUP at a
    # time, their terms of the parameters' gradients into the block's ``part_w``/``part_b``.
    cdef Py_ssize_t first = block * ROW_BLOCK
    while first < min(R, (block + 1) * ROW_BLOCK):
        _layer_norm_back_group(grad + first * D, x + first * D, mean + first, var + first,
                               eps, weight, gx + first * D, part_w, part_b,
                               min(ROW_GROUP, R - first), D)
        first = first + ROW_GROUP


def _layer_norm_back_rows(const real[:, ::1] grad, const real[:, ::1] x,
                          const real[::1] mean, const real[::1] var,
                          const real[::1] weight, double eps, real[:, ::1] grad_x,
                          real[:, ::1] parts_w, real[:, ::1] parts_b, int threads):
    cdef const real* wp = _address(weight)
    cdef Py_ssize_t R = x.shape[0], D = x.shape[1], block
    assert parts_w.shape[0] * ROW_BLOCK >= R and parts_b.shape[0] == parts_w.shape[0], \
        "_layer_norm_backward: parts"
    assert parts_w.shape[1] == D and parts_b.shape[1] == D, "_layer_norm_backward: parts"
    if R == 0 or D == 0:
        return
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        with nogil:
            for block in range(parts_w.shape[0]):
                _layer_norm_back_block(&grad[0, 0], &x[0, 0], &mean[0], &var[0], <real>eps,
                                       wp, &grad_x[0, 0], &parts_w[block, 0],
                                       &parts_b[block, 0], block, R, D)
        return
    for block in prange(parts_w.shape[0], nogil=True, schedule="static",
                        num_threads=threads):
        _layer_norm_back_block(&grad[0, 0], &x[0, 0], &mean[0], &var[0], <real>eps, wp,
                               &grad_x[0, 0], &parts_w[block, 0], &parts_b[block, 0], block,
                               R, D)
# [end loops: _layer_norm_backward]


def _layer_norm_backward(grad, x, mean, var, weight, eps):
    """The gradients of :func:`_layer_norm_forward`, ``(grad_x, grad_weight,
    grad_bias)``, two passes over each row (its two sums, then ``grad_x`` and its terms
    of the parameters' gradients)::

        for row in range(R):                    # parallel: prange over blocks of rows
            h = g[row] * weight;  xhat = (x[row] - mean[row]) * r[row]
            grad_x[row] = r[row] * (h - mean(h) - xhat * mean(h * xhat))
            grad_weight += g[row] * xhat;  grad_bias += g[row]
    """
    _checks.layer_norm_backward(grad, x, mean, var, weight, eps)
    R, D = x.shape
    grad_x = np.empty_like(x)
    blocks = -(-R // ROW_BLOCK)
    parts_w = np.zeros((blocks, D), dtype=x.dtype)
    parts_b = np.zeros((blocks, D), dtype=x.dtype)
    if x.size:
        _layer_norm_back_rows(grad, x, mean, var, weight, float(eps), grad_x, parts_w,
                              parts_b, _threads(x))
    return (grad_x, parts_w.sum(axis=0, dtype=np.float64).astype(x.dtype),
            parts_b.sum(axis=0, dtype=np.float64).astype(x.dtype))
