r"""Pooling kernels, compiled twin (typed memoryviews, ``nogil``, ``prange``).

The loop nest (the reference twin ``pool.py`` explains the maths)::

    for plane in range(N * C):                  # parallel: prange
        for o in output positions (od, oh, ow):
            for i in window(o) inside the input:         # i = o*s + k*dil - p
                max pooling:   best, argmax = x[plane, i], i  if x[plane, i] > best or NaN
                avg pooling:   total += x[plane, i]
            y[plane, o] = best                  (max)
            y[plane, o] = total / div(o)        (avg)

    backward, same planes and order:
        max:  grad_x[plane, argmax[plane, o]] += grad_y[plane, o]
        avg:  grad_x[plane, i] += grad_y[plane, o] / div(o)   for every i in window(o)

What makes it fast:

* **One code path for 1d, 2d and 3d.** Every plane is viewed as ``(D, H, W)`` with
  leading size-1 axes (``_sizes.as_3d``: 1d is ``(1, 1, L)``), so each nest is written
  once, for float32 and float64 (a fused type: Cython picks the specialisation from the
  arrays' dtype), in one function per plane (``_max_plane``, ...).
* **No bounds tests inside the window.** Where each window starts and stops *inside*
  the input is computed once per axis and output index, in small tables shared by
  every plane (a ``Plan``), before the loops run: the padding is never read and never
  costs a comparison.
* **A whole output row at a time.** For an output row ``(od, oh)`` the loops take one
  window element ``(i_d, i_h, kw)`` and apply it to every output ``ow`` of the row:
  ``y[ow] = max(y[ow], x[i_d, i_h, ow*s + kw*dil - p])``. Per output this is still the
  row-major scan order (so the same maximum, the same first argmax on ties, the same
  sums), but the innermost loop now runs over independent outputs: the average loops
  vectorise, and the max loop's compare-and-select is written without a branch (on
  real data the comparison is a coin toss, and a mispredicted branch costs more than
  the update itself).
* **The 2x2 window, four at a time.** The homework CNN's pooling (2-d, 2x2, stride 2,
  no padding) runs the scan of each window as a small tree with the same result, in
  SSE2 on four windows at once for float32 on x86-64 (``lucid_max_pool_2x2_f``: masks
  choose the value and the winner's offset, no branch), a scalar loop otherwise
  (``_max_plane_2x2``); ``docs/fast.rst`` has why and the measurements.
* **Parallel over planes.** Planes ``(n, c)`` are independent, forward and backward
  (a plane's gradient is written only by that plane's outputs), so ``prange`` hands
  them to the threads with no locks and no races. They are handed out a few at a time
  (``schedule="dynamic"``), so a thread slowed by another process does not hold the
  others up. Each backward zeroes its own planes in the thread that fills them.
"""
import functools
import math

import numpy as np

from cython.parallel cimport prange
from libc.math cimport INFINITY
from libc.stdint cimport int64_t
from libc.string cimport memset

from lucid._ext import _checks
from lucid._ext._openmp import threads_for
from lucid._ext._sizes import as_3d, pool_output_size

# The 2x2 max pooling of one float32 plane, four outputs at a time in SSE2 (every
# x86-64 processor has it). The scalar loop (_max_plane_2x2 below, which float64 and
# other processors run) compiles to ~7 ns an output on x86-64, gcc leaving each
# comparison's 0/1 in a byte register whose previous value the next one waits for; the
# compiler does not vectorise it either (the chained selects defeat gcc 12). Here the
# same tree runs on four windows at once with masks: ~1 ns an output.
cdef extern from *:
    """
    #include <stdint.h>
    #include <stddef.h>
    #include <string.h>
    #if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
    #include <emmintrin.h>
    #define LUCID_POOL_SSE2 1

    /* All-ones in the lanes where the later value b wins over the current a: strictly
       larger, or NaN (the scan's rule). */
    static inline __m128 lucid_wins(__m128 a, __m128 b) {
        return _mm_or_ps(_mm_cmpgt_ps(b, a), _mm_cmpunord_ps(b, b));
    }

    static inline __m128 lucid_pick(__m128 mask, __m128 b, __m128 a) {
        return _mm_or_ps(_mm_and_ps(mask, b), _mm_andnot_ps(mask, a));
    }

    /* Four windows: p holds their top-row values a0 b0 a1 b1 a2 b2 a3 b3, q the bottom
       row's c d likewise. y gets the maxima, off each winner's offset from its window's
       top-left corner (0, 1, W or W + 1). */
    static inline void lucid_max_2x2_x4(const float* p, const float* q, int32_t W,
                                        __m128* y, __m128i* off) {
        __m128 p0 = _mm_loadu_ps(p), p1 = _mm_loadu_ps(p + 4);
        __m128 q0 = _mm_loadu_ps(q), q1 = _mm_loadu_ps(q + 4);
        __m128 a = _mm_shuffle_ps(p0, p1, _MM_SHUFFLE(2, 0, 2, 0));
        __m128 b = _mm_shuffle_ps(p0, p1, _MM_SHUFFLE(3, 1, 3, 1));
        __m128 c = _mm_shuffle_ps(q0, q1, _MM_SHUFFLE(2, 0, 2, 0));
        __m128 d = _mm_shuffle_ps(q0, q1, _MM_SHUFFLE(3, 1, 3, 1));
        __m128 t0 = lucid_wins(a, b), t1 = lucid_wins(c, d);
        __m128 m0 = lucid_pick(t0, b, a), m1 = lucid_pick(t1, d, c);
        __m128 tv = lucid_wins(m0, m1);
        __m128i zero = _mm_setzero_si128();
        __m128i i0 = _mm_sub_epi32(zero, _mm_castps_si128(t0));        /* 0 or 1 */
        __m128i i1 = _mm_add_epi32(_mm_set1_epi32(W),
                                   _mm_sub_epi32(zero, _mm_castps_si128(t1)));
        __m128i v = _mm_castps_si128(tv);
        *y = lucid_pick(tv, m1, m0);
        *off = _mm_or_si128(_mm_and_si128(v, i1), _mm_andnot_si128(v, i0));
    }

    /* The four windows from ow of the row pair starting at x[at]: maxima to y[ow..],
       their planes' flat indices to argmax[ow..]. */
    static inline void lucid_max_2x2_store(const float* p, const float* q, int32_t W,
                                           int64_t first, float* y, int64_t* argmax) {
        __m128 v;
        __m128i off, zero = _mm_setzero_si128();
        lucid_max_2x2_x4(p, q, W, &v, &off);
        _mm_storeu_ps(y, v);
        /* first + 2k + off[k], in int64 (off >= 0: widened with zeros) */
        _mm_storeu_si128((__m128i*)argmax,
                         _mm_add_epi64(_mm_set_epi64x(first + 2, first),
                                       _mm_unpacklo_epi32(off, zero)));
        _mm_storeu_si128((__m128i*)(argmax + 2),
                         _mm_add_epi64(_mm_set_epi64x(first + 6, first + 4),
                                       _mm_unpackhi_epi32(off, zero)));
    }

    /* y[oh, ow] and argmax[oh, ow] for the OH x OW windows of a plane of width W
       (2 OH <= H, 2 OW <= W). When OW is not a multiple of four, the row's last group
       is the last four windows, overlapping the group before (those outputs are
       written twice, with the same values); a row of fewer than four windows is
       copied into zeroed buffers first. Either way every window runs the same code. */
    static void lucid_max_pool_2x2_f(const float* x, float* y, int64_t* argmax,
                                     ptrdiff_t W, ptrdiff_t OH, ptrdiff_t OW) {
        float p[8], q[8], ys[4];
        int64_t as[4];
        for (ptrdiff_t oh = 0; oh < OH; oh++) {
            int64_t at = 2 * oh * (int64_t)W;
            const float* r0 = x + at;
            const float* r1 = r0 + W;
            float* y_row = y + oh * OW;
            int64_t* a_row = argmax + oh * OW;
            if (OW < 4) {
                memset(p, 0, sizeof p);
                memset(q, 0, sizeof q);
                memcpy(p, r0, 2 * OW * sizeof(float));
                memcpy(q, r1, 2 * OW * sizeof(float));
                lucid_max_2x2_store(p, q, (int32_t)W, at, ys, as);
                for (ptrdiff_t k = 0; k < OW; k++) {
                    y_row[k] = ys[k];
                    a_row[k] = as[k];
                }
                continue;
            }
            for (ptrdiff_t ow = 0; ow < OW; ow += 4) {
                ptrdiff_t o = ow + 4 <= OW ? ow : OW - 4;
                lucid_max_2x2_store(r0 + 2 * o, r1 + 2 * o, (int32_t)W, at + 2 * o,
                                    y_row + o, a_row + o);
            }
        }
    }
    #else
    #define LUCID_POOL_SSE2 0
    static void lucid_max_pool_2x2_f(const float* x, float* y, int64_t* argmax,
                                     ptrdiff_t W, ptrdiff_t OH, ptrdiff_t OW) { }
    #endif
    """
    bint LUCID_POOL_SSE2
    void lucid_max_pool_2x2_f(const float* x, float* y, int64_t* argmax, Py_ssize_t W,
                              Py_ssize_t OH, Py_ssize_t OW) noexcept nogil


__all__ = ["max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward"]

ctypedef fused real:
    float
    double

# Planes are handed to the threads a few at a time, as each thread is ready
# (schedule="dynamic"): when another process holds one core, the free thread takes the
# remaining planes instead of waiting a whole time slice for a fixed half to finish.
cdef enum:
    _CHUNK = 4


# ------------------------------------------------------------------ the plan
cdef struct Plan:
    # Sizes, always 3 spatial axes (D, H, W): 1d and 2d get leading size-1 axes.
    Py_ssize_t H, W, OD, OH, OW
    Py_ssize_t KW, sw, pw, dd, dh, dw
    # Along D and H the window of output o reads first_*[o], first_*[o] + dil, ...
    # while below stop_*[o]: only positions inside the input.
    const int64_t* first_d
    const int64_t* stop_d
    const int64_t* first_h
    const int64_t* stop_h
    const int64_t* first_w
    const int64_t* stop_w
    # Along W, kernel column kw is inside the input for the outputs
    # ow_lo[kw] <= ow < ow_hi[kw]; it reads column ow * sw + kw * dw - pw.
    const int64_t* ow_lo
    const int64_t* ow_hi
    # Average pooling: the divisor of output (od, oh, ow) is
    # count_d[od] * count_h[oh] * count_w[ow], or divisor_override when it is not 0.
    const int64_t* count_d
    const int64_t* count_h
    const int64_t* count_w
    int64_t divisor_override


def _output_shape(spatial, kernel_size, stride, padding, dilation, ceil_mode):
    return tuple(pool_output_size(L, K, s, p, dil, ceil_mode)
                 for L, K, s, p, dil in zip(spatial, kernel_size, stride, padding, dilation))


def _tables(spatial, out, kernel_size, stride, padding, dilation, count_include_pad):
    """The plan's tables (:func:`_make_tables`) for this geometry, built once per
    geometry and kept (read-only): a model pools the same shapes every step, and
    building them (NumPy calls on tiny arrays) took ~40 us, most of a batch-1 call.
    """
    return _make_tables(tuple(spatial), tuple(out), tuple(kernel_size), tuple(stride),
                        tuple(padding), tuple(dilation), bool(count_include_pad))


@functools.lru_cache(maxsize=256)
def _make_tables(spatial, out, kernel_size, stride, padding, dilation, count_include_pad):
    """The plan's tables, in NumPy: ``rows`` (int64, ``(9, max(O))``) holds, per axis
    D, H, W, the first and stop positions of each window inside the input, then each
    axis' average-pooling count; ``cols`` (int64, ``(2, KW)``) holds ``ow_lo, ow_hi``.
    """
    L, O, K, s, dil = (as_3d(v, 1) for v in (spatial, out, kernel_size, stride, dilation))
    p = as_3d(padding, 0)
    rows = np.zeros((9, max(O)), dtype=np.int64)
    for a in range(3):
        start = np.arange(O[a], dtype=np.int64) * s[a] - p[a]
        skip = np.where(start < 0, (-start + dil[a] - 1) // dil[a], 0)  # offsets in the padding
        rows[2 * a, :O[a]] = start + skip * dil[a]
        rows[2 * a + 1, :O[a]] = np.minimum(start + (K[a] - 1) * dil[a] + 1, L[a])
        end = np.minimum(start + K[a], L[a] + p[a])     # average pooling (dil = 1)
        if count_include_pad:
            rows[6 + a, :O[a]] = end - start
        else:
            rows[6 + a, :O[a]] = np.minimum(end, L[a]) - np.maximum(start, 0)
    column = np.arange(K[2], dtype=np.int64) * dil[2] - p[2]       # kw * dw - pw
    # outputs ow with 0 <= ow * sw + column < W
    lo = np.maximum(-(column // s[2]), 0)                           # ceil(-column / sw)
    hi = np.minimum((L[2] - 1 - column) // s[2] + 1, O[2])
    cols = np.ascontiguousarray(np.stack([lo, np.maximum(hi, lo)]).astype(np.int64))
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


cdef Plan _plan(plan):
    """The Plan of ``plan = (rows, cols, spatial, out, stride, padding, dilation,
    divisor_override)``, over the tables (which the caller keeps alive meanwhile)."""
    cdef Plan g
    cdef const int64_t[:, ::1] rows = plan[0]
    cdef const int64_t[:, ::1] cols = plan[1]
    spatial, out, stride, padding, dilation = plan[2:7]
    divisor_override = plan[7]
    _, g.H, g.W = as_3d(spatial, 1)
    g.OD, g.OH, g.OW = as_3d(out, 1)
    g.KW = cols.shape[1]
    g.sw = as_3d(stride, 1)[2]          # (no negative indices: wraparound is off)
    g.pw = as_3d(padding, 0)[2]
    g.dd, g.dh, g.dw = as_3d(dilation, 1)
    g.first_d, g.stop_d = &rows[0, 0], &rows[1, 0]
    g.first_h, g.stop_h = &rows[2, 0], &rows[3, 0]
    g.first_w, g.stop_w = &rows[4, 0], &rows[5, 0]
    g.count_d, g.count_h, g.count_w = &rows[6, 0], &rows[7, 0], &rows[8, 0]
    g.ow_lo, g.ow_hi = &cols[0, 0], &cols[1, 0]
    g.divisor_override = 0 if divisor_override is None else divisor_override
    return g


# ------------------------------------------------------------------ one plane
# [loops: max_pool_forward]
cdef inline void _max_plane(const real* x, real* y, int64_t* argmax,
                            const Plan* g) noexcept nogil:
    # For each output row (od, oh), every output ow of the row is updated at once for
    # one input element of its window, in the window's row-major order: input rows
    # i_d, i_h, then kernel columns kw. Per output that is the reference's scan order;
    # across ow the updates are independent, so the innermost loop has no
    # loop-carried dependency and its compare-and-select is branch-free (vectorised).
    # The plan's fields are copied to locals: stores into y could alias *g as far as
    # the compiler knows, and re-reading g.sw in the loop stops vectorisation.
    cdef Py_ssize_t H = g.H, W = g.W, OD = g.OD, OH = g.OH, OW = g.OW, KW = g.KW
    cdef Py_ssize_t sw = g.sw, pw = g.pw, dd = g.dd, dh = g.dh, dw = g.dw
    cdef Py_ssize_t od, oh, ow, kw, i_d, i_h, d0, d1, h0, h1, at, column, lo, hi
    cdef const real* row
    cdef real* y_row
    cdef int64_t* a_row
    cdef Py_ssize_t i_w
    cdef real pair[2]      # (current maximum, candidate); on this call's stack
    cdef int take
    for od in range(OD):
        d0, d1 = g.first_d[od], g.stop_d[od]
        for oh in range(OH):
            h0, h1 = g.first_h[oh], g.stop_h[oh]
            y_row = y + (od * OH + oh) * OW
            a_row = argmax + (od * OH + oh) * OW
            for ow in range(OW):
                y_row[ow] = -INFINITY
                # the first position inside holds the seat (as the reference); -1 if none
                if d0 < d1 and h0 < h1 and g.first_w[ow] < g.stop_w[ow]:
                    a_row[ow] = (d0 * H + h0) * W + g.first_w[ow]
                else:
                    a_row[ow] = -1
            i_d = d0
            while i_d < d1:
                i_h = h0
                while i_h < h1:
                    at = (i_d * H + i_h) * W
                    row = x + at
                    for kw in range(KW):
                        column = kw * dw - pw
                        lo, hi = g.ow_lo[kw], g.ow_hi[kw]
                        for ow in range(lo, hi):
                            i_w = ow * sw + column
                            pair[0] = y_row[ow]
                            pair[1] = row[i_w]
                            # strictly larger, or NaN
                            take = (pair[1] > pair[0]) | (pair[1] != pair[1])
                            # select without a branch: on real data `take` is a coin
                            # toss, and a mispredicted branch costs more than the
                            # whole update (measured, one thread, (N, 32, 28, 28) k2:
                            # written as `v if take else best`, gcc emits a branch:
                            # 5.9 ns per output while a benchmark repeats one small
                            # input, whose outcomes the predictor learns, but 18 ns
                            # from N = 4 on; this select: 7.0 ns at every N)
                            y_row[ow] = pair[take]
                            a_row[ow] += take * (at + i_w - a_row[ow])
                    i_h = i_h + dh
                i_d = i_d + dd




cdef inline void _max_plane_2x2(const real* x, real* y, int64_t* argmax, Py_ssize_t W,
                                Py_ssize_t OH, Py_ssize_t OW) noexcept nogil:
    # The 2x2 window at stride 2 without padding, every window inside the plane (the
    # homework CNN's pooling; :func:`_pairs` says when). Window (oh, ow) holds
    # a = r0[2ow], b = r0[2ow + 1] on input row r0 = 2oh and c, d below them on r1.
    # The scan a, b, c, d ("take when strictly larger or NaN") is done as a small
    # tree with the same result: the winner of (a, b), the winner of (c, d), then the
    # second pair's winner against the first's. (A NaN wins as the last NaN of the
    # scan would; without NaN a later value wins only when strictly larger, so a tie
    # keeps the first maximum.) Only *offsets* are chosen, with integer arithmetic
    # (0/1 comparisons times distances), and values are loaded from the chosen
    # offsets: no branch and no float select for the compiler to turn into a jump
    # (random data makes every comparison a coin toss), and the outputs of a row are
    # independent, so the processor overlaps them.
    cdef Py_ssize_t oh, ow, j0, j1, off
    cdef int64_t at
    cdef const real* r0
    cdef const real* r1
    cdef real* y_row
    cdef int64_t* a_row
    cdef real m0, m1
    cdef int t
    for oh in range(OH):
        at = 2 * oh * W
        r0 = x + at
        r1 = r0 + W
        y_row = y + oh * OW
        a_row = argmax + oh * OW
        for ow in range(OW):
            j0 = 2 * ow + ((r0[2 * ow + 1] > r0[2 * ow]) | (r0[2 * ow + 1] != r0[2 * ow + 1]))
            j1 = 2 * ow + ((r1[2 * ow + 1] > r1[2 * ow]) | (r1[2 * ow + 1] != r1[2 * ow + 1]))
            m0 = r0[j0]
            m1 = r1[j1]
            t = (m1 > m0) | (m1 != m1)
            off = j0 + t * (W + j1 - j0)         # j0 on row r0, or j1 on row r1
            y_row[ow] = r0[off]
            a_row[ow] = at + off


cdef inline void _max_plane_pairs(const real* x, real* y, int64_t* argmax, Py_ssize_t W,
                                  Py_ssize_t OH, Py_ssize_t OW) noexcept nogil:
    # float32 on x86-64: four windows at a time in SSE2 (lucid_max_pool_2x2_f, above);
    # float64 and other processors: the scalar loop. The same values and indices.
    if real is float:
        if LUCID_POOL_SSE2 and W < 2 ** 30:         # (the SSE2 code's offsets are int32)
            lucid_max_pool_2x2_f(x, y, argmax, W, OH, OW)
            return
    _max_plane_2x2(x, y, argmax, W, OH, OW)
# [end loops: max_pool_forward]


# [loops: avg_pool_forward]
cdef inline void _avg_plane(const real* x, real* y, const Plan* g) noexcept nogil:
    # Same order as _max_plane: for every output row, add one window element to every
    # output of the row at once (per output: the reference's row-major order).
    cdef Py_ssize_t od, oh, ow, kw, i_d, i_h, column
    cdef const real* row
    cdef real* y_row
    cdef int64_t rows_count
    for od in range(g.OD):
        for oh in range(g.OH):
            y_row = y + (od * g.OH + oh) * g.OW
            for ow in range(g.OW):
                y_row[ow] = 0
            for i_d in range(g.first_d[od], g.stop_d[od]):
                for i_h in range(g.first_h[oh], g.stop_h[oh]):
                    row = x + (i_d * g.H + i_h) * g.W
                    for kw in range(g.KW):
                        column = kw - g.pw
                        for ow in range(g.ow_lo[kw], g.ow_hi[kw]):
                            y_row[ow] = y_row[ow] + row[ow * g.sw + column]
            if g.divisor_override != 0:
                for ow in range(g.OW):
                    y_row[ow] = y_row[ow] / <real>g.divisor_override
            else:
                rows_count = g.count_d[od] * g.count_h[oh]
                for ow in range(g.OW):
                    y_row[ow] = y_row[ow] / <real>(rows_count * g.count_w[ow])


# [end loops: avg_pool_forward]


cdef enum:
    _BLOCK = 64        # outputs of a row whose shares are computed at once


# [loops: avg_pool_backward]
cdef inline void _avg_plane_backward(const real* grad_y, real* grad_x, Py_ssize_t size,
                                     const Plan* g) noexcept nogil:
    # For a block of outputs of one row: their shares grad_y / div first (one division
    # each, as the reference), then, as in _avg_plane, one window element of every
    # output of the block at a time.
    cdef Py_ssize_t H = g.H, W = g.W, OH = g.OH, OW = g.OW, KW = g.KW, sw = g.sw, pw = g.pw
    cdef Py_ssize_t od, oh, ow, kw, i_d, i_h, column, start, end, lo, hi
    cdef const real* gy_row
    cdef real* gx_row
    cdef int64_t rows_count
    cdef real share[_BLOCK]          # on this call's stack: private to the thread
    memset(grad_x, 0, size * sizeof(real))
    for od in range(g.OD):
        for oh in range(OH):
            gy_row = grad_y + (od * OH + oh) * OW
            rows_count = g.count_d[od] * g.count_h[oh]
            start = 0
            while start < OW:
                end = min(start + _BLOCK, OW)
                if g.divisor_override != 0:
                    for ow in range(start, end):
                        share[ow - start] = gy_row[ow] / <real>g.divisor_override
                else:
                    for ow in range(start, end):
                        share[ow - start] = gy_row[ow] / <real>(rows_count * g.count_w[ow])
                for i_d in range(g.first_d[od], g.stop_d[od]):
                    for i_h in range(g.first_h[oh], g.stop_h[oh]):
                        gx_row = grad_x + (i_d * H + i_h) * W
                        for kw in range(KW):
                            column = kw - pw
                            lo = max(g.ow_lo[kw], start)
                            hi = min(g.ow_hi[kw], end)
                            for ow in range(lo, hi):
                                gx_row[ow * sw + column] += share[ow - start]
                start = start + _BLOCK
# [end loops: avg_pool_backward]


# ------------------------------------------------------------------ every plane
# Called on plain arrays: Cython picks the float or double specialisation of ``real``
# from their dtype. ``plan`` is the tuple :func:`_plan` reads.

# [loops: max_pool_forward]
cdef inline void _max_plane_of(const real* x, real* y, int64_t* argmax, const Plan* g,
                               bint pairs) noexcept nogil:
    if pairs:
        _max_plane_pairs(x, y, argmax, g.W, g.OH, g.OW)
    else:
        _max_plane(x, y, argmax, g)


def _max_forward(const real[:, ::1] x, real[:, ::1] y, int64_t[:, ::1] argmax, plan,
                 int threads, bint pairs=False):
    cdef Plan g = _plan(plan)
    cdef Py_ssize_t n
    if pairs:
        assert g.OD == 1 and 2 * g.OH <= g.H and 2 * g.OW <= g.W, "max pool: 2x2 windows"
        assert x.shape[1] == g.H * g.W and y.shape[1] == g.OH * g.OW, "max pool: planes"
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        with nogil:
            for n in range(x.shape[0]):
                _max_plane_of(&x[n, 0], &y[n, 0], &argmax[n, 0], &g, pairs)
        return
    for n in prange(x.shape[0], nogil=True, schedule="dynamic", chunksize=_CHUNK,
                    num_threads=threads):
        _max_plane_of(&x[n, 0], &y[n, 0], &argmax[n, 0], &g, pairs)
# [end loops: max_pool_forward]


# [loops: max_pool_backward]
cdef inline void _max_plane_backward(const real* grad_y, const int64_t* argmax, real* gx,
                                     Py_ssize_t O, Py_ssize_t P) noexcept nogil:
    # zero the plane here, in the thread that fills it: the plane is then in that
    # core's cache for the scatter below (np.zeros would fault the pages in later)
    cdef Py_ssize_t o
    cdef int64_t j
    memset(gx, 0, P * sizeof(real))
    for o in range(O):
        j = argmax[o]
        if j >= 0:
            gx[j] += grad_y[o]


def _max_backward(const real[:, ::1] grad_y, const int64_t[:, ::1] argmax,
                  real[:, ::1] grad_x, int threads):
    cdef Py_ssize_t planes = grad_y.shape[0], O = grad_y.shape[1], P = grad_x.shape[1]
    cdef Py_ssize_t n
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        with nogil:
            for n in range(planes):
                _max_plane_backward(&grad_y[n, 0], &argmax[n, 0], &grad_x[n, 0], O, P)
        return
    for n in prange(planes, nogil=True, schedule="dynamic", chunksize=_CHUNK,
                    num_threads=threads):
        _max_plane_backward(&grad_y[n, 0], &argmax[n, 0], &grad_x[n, 0], O, P)
# [end loops: max_pool_backward]


# [loops: avg_pool_forward]
def _avg_forward(const real[:, ::1] x, real[:, ::1] y, plan, int threads):
    cdef Plan g = _plan(plan)
    cdef Py_ssize_t n
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        with nogil:
            for n in range(x.shape[0]):
                _avg_plane(&x[n, 0], &y[n, 0], &g)
        return
    for n in prange(x.shape[0], nogil=True, schedule="dynamic", chunksize=_CHUNK,
                    num_threads=threads):
        _avg_plane(&x[n, 0], &y[n, 0], &g)
# [end loops: avg_pool_forward]


# [loops: avg_pool_backward]
def _avg_backward(const real[:, ::1] grad_y, real[:, ::1] grad_x, plan, int threads):
    cdef Plan g = _plan(plan)
    cdef Py_ssize_t n
    if threads == 1:                # no parallel region (lucid/_ext/_openmp.pyx)
        with nogil:
            for n in range(grad_y.shape[0]):
                _avg_plane_backward(&grad_y[n, 0], &grad_x[n, 0], grad_x.shape[1], &g)
        return
    for n in prange(grad_y.shape[0], nogil=True, schedule="dynamic", chunksize=_CHUNK,
                    num_threads=threads):
        _avg_plane_backward(&grad_y[n, 0], &grad_x[n, 0], grad_x.shape[1], &g)
# [end loops: avg_pool_backward]


def _pairs(spatial, out, kernel_size, stride, padding, dilation):
    """Whether a max pooling runs on ``_max_plane_2x2``: 2-d, a 2x2 window at stride 2,
    no padding or dilation, and every window inside the input (``ceil_mode`` may add a
    last window that reaches past it)."""
    return (len(spatial) == 2 and tuple(kernel_size) == (2, 2) and tuple(stride) == (2, 2)
            and tuple(padding) == (0, 0) and tuple(dilation) == (1, 1)
            and 2 * out[0] <= spatial[0] and 2 * out[1] <= spatial[1])


# [kernel: max_pool_forward]
def max_pool_forward(x, kernel_size, stride, padding, dilation, ceil_mode):
    r"""Max pooling: the largest value of every window, and where it was.

    The loop nest::

        for plane in prange(N * C):
            for o in output positions:
                best, argmax = -inf, first position of window(o) inside the input (or -1)
                for i in window(o) inside the input, in row-major order:
                    if x[plane, i] > best or x[plane, i] is NaN:
                        best, argmax = x[plane, i], i
                y[plane, o] = best

    A 2-d 2x2 window at stride 2 without padding runs the same scan with those sizes
    written in (``_max_plane_2x2``, where :func:`_pairs` says). Same maths, arguments
    and results as the reference
    :func:`lucid._ext.pool.max_pool_forward`: ``argmax`` is the flat index of the
    winner inside its plane (ties: the first; an empty window: ``-inf`` and ``-1``).

    Parameters
    ----------
    x : ndarray, shape (N, C, *S), float32 or float64, C-contiguous
    kernel_size, stride, padding, dilation : tuple of d ints
    ceil_mode : bool

    Returns
    -------
    y : ndarray, shape (N, C, *O), x's dtype
    argmax : ndarray, shape (N, C, *O), int64
    """
    _checks.max_pool_forward(x, kernel_size, stride, padding, dilation, ceil_mode)
    spatial = x.shape[2:]
    out = _output_shape(spatial, kernel_size, stride, padding, dilation, ceil_mode)
    y = np.empty(x.shape[:2] + out, dtype=x.dtype)
    argmax = np.empty(x.shape[:2] + out, dtype=np.int64)
    if y.size == 0:
        return y, argmax
    rows, cols = _tables(spatial, out, kernel_size, stride, padding, dilation, True)
    plan = (rows, cols, spatial, out, stride, padding, dilation, None)
    planes = x.shape[0] * x.shape[1]
    _max_forward(x.reshape(planes, -1), y.reshape(planes, -1), argmax.reshape(planes, -1),
                 plan, threads_for(y.size * math.prod(kernel_size)),
                 _pairs(spatial, out, kernel_size, stride, padding, dilation))
    return y, argmax
# [end kernel: max_pool_forward]


# [kernel: max_pool_backward]
def max_pool_backward(grad_y, argmax, input_shape):
    r"""Gradient of max pooling: each output's gradient goes to the input that won.

    The loop nest::

        for plane in prange(N * C):             # a plane's outputs write only its inputs
            for o in output positions:
                if argmax[plane, o] >= 0:
                    grad_x[plane, argmax[plane, o]] += grad_y[plane, o]

    Same maths, arguments and results as the reference
    :func:`lucid._ext.pool.max_pool_backward`.

    Parameters
    ----------
    grad_y : ndarray, shape (N, C, *O), float32 or float64, C-contiguous
    argmax : ndarray, shape (N, C, *O), int64
    input_shape : tuple of ints

    Returns
    -------
    grad_x : ndarray, shape ``input_shape``, grad_y's dtype
    """
    _checks.max_pool_backward(grad_y, argmax, input_shape)
    input_shape = tuple(input_shape)
    planes = input_shape[0] * input_shape[1]
    grad_x = np.empty((planes, math.prod(input_shape[2:])), dtype=grad_y.dtype)
    if grad_y.size == 0:
        grad_x[...] = 0
    else:
        _max_backward(grad_y.reshape(planes, -1), argmax.reshape(planes, -1), grad_x,
                      threads_for(grad_x.size))
    return grad_x.reshape(input_shape)
# [end kernel: max_pool_backward]


# ------------------------------------------------------------------ average pooling
# [kernel: avg_pool_forward]
def avg_pool_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override):
    r"""Average pooling: the sum of every window divided by its divisor.

    The loop nest::

        for plane in prange(N * C):
            for o in output positions:
                total = 0
                for i in window(o) inside the input, in row-major order:
                    total += x[plane, i]
                y[plane, o] = total / div(o)    # div = divisor_override, or a product
                                                # of one count per axis (a small table)

    Same maths, arguments and results as the reference
    :func:`lucid._ext.pool.avg_pool_forward`.

    Parameters
    ----------
    x : ndarray, shape (N, C, *S), float32 or float64, C-contiguous
    kernel_size, stride, padding : tuple of d ints
    ceil_mode, count_include_pad : bool
    divisor_override : int or None

    Returns
    -------
    y : ndarray, shape (N, C, *O), x's dtype
    """
    _checks.avg_pool_forward(x, kernel_size, stride, padding, ceil_mode,
                             count_include_pad, divisor_override)
    spatial = x.shape[2:]
    out = _output_shape(spatial, kernel_size, stride, padding, (1,) * len(spatial), ceil_mode)
    y = np.empty(x.shape[:2] + out, dtype=x.dtype)
    if y.size == 0:
        return y
    ones = (1,) * len(spatial)
    rows, cols = _tables(spatial, out, kernel_size, stride, padding, ones, count_include_pad)
    plan = (rows, cols, spatial, out, stride, padding, ones, divisor_override)
    planes = x.shape[0] * x.shape[1]
    _avg_forward(x.reshape(planes, -1), y.reshape(planes, -1), plan,
                 threads_for(y.size * math.prod(kernel_size)))
    return y
# [end kernel: avg_pool_forward]


# [kernel: avg_pool_backward]
def avg_pool_backward(grad_y, input_shape, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override):
    r"""Gradient of average pooling: each window spreads ``grad_y / div`` over its inputs.

    The loop nest::

        for plane in prange(N * C):             # a plane's outputs write only its inputs
            for o in output positions:
                share = grad_y[plane, o] / div(o)
                for i in window(o) inside the input:
                    grad_x[plane, i] += share

    Same maths, arguments and results as the reference
    :func:`lucid._ext.pool.avg_pool_backward` (up to the order of the additions).

    Parameters
    ----------
    grad_y : ndarray, shape (N, C, *O), float32 or float64, C-contiguous
    input_shape : tuple of ints
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        As given to :func:`avg_pool_forward`.

    Returns
    -------
    grad_x : ndarray, shape ``input_shape``, grad_y's dtype
    """
    _checks.avg_pool_backward(grad_y, input_shape, kernel_size, stride, padding,
                              ceil_mode, count_include_pad, divisor_override)
    input_shape = tuple(input_shape)
    spatial = input_shape[2:]
    out = grad_y.shape[2:]
    if grad_y.size == 0:
        return np.zeros(input_shape, dtype=grad_y.dtype)
    grad_x = np.empty(input_shape, dtype=grad_y.dtype)     # each plane zeroed by its thread
    ones = (1,) * len(spatial)
    rows, cols = _tables(spatial, out, kernel_size, stride, padding, ones, count_include_pad)
    plan = (rows, cols, tuple(spatial), tuple(out), stride, padding, ones, divisor_override)
    planes = input_shape[0] * input_shape[1]
    _avg_backward(grad_y.reshape(planes, -1), grad_x.reshape(planes, -1), plan,
                  threads_for(grad_y.size * math.prod(kernel_size)))
    return grad_x
# [end kernel: avg_pool_backward]
