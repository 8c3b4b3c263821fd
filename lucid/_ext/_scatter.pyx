"""Scatter-add, compiled twin of :mod:`lucid._ext.scatter` (same function, same result).

The loop nest::

    for i in range(n):                 # every value row, in order
        for k in range(K):
            target[index[i], k] += values[i, k]

The reference ``scatter.py`` explains the maths; this file runs the same loop in C:
serially for narrow rows (a tight loop, K == 1 special-cased), and for wide rows split
between threads by *target* rows (each thread scans the whole index but adds only into
its own rows, so no element has two writers and the sums keep the reference's order).
"""
import numpy as np

from lucid._ext import _checks
from lucid._ext._openmp import threads_for

from cython.parallel cimport prange
from libc.stdint cimport int64_t

__all__ = ["scatter_add"]

ctypedef fused real:
    float
    double

# Split the work between threads only when each value row is at least this many bytes
# (64 float32 columns) and there are at least this many additions in all: below that,
# one thread streaming through the rows is as fast as two.
cdef Py_ssize_t _PARALLEL_ROW_BYTES = 256
cdef Py_ssize_t _PARALLEL_MIN_WORK = 1 << 15


# The loop functions take typed memoryviews of the fused type ``real``: Cython picks the
# float or double specialisation from the arrays' dtype.

# [loops: scatter_add]
def _serial(real[:, ::1] target, const int64_t[::1] index, const real[:, ::1] values):
    cdef Py_ssize_t n = index.shape[0], K = target.shape[1], i, k
    cdef int64_t r
    with nogil:
        if K == 1:
            for i in range(n):
                target[index[i], 0] += values[i, 0]
        else:
            for i in range(n):
                r = index[i]
                for k in range(K):
                    target[r, k] += values[i, k]


def _by_target_rows(real[:, ::1] target, const int64_t[::1] index,
                    const real[:, ::1] values, int threads):
    # Thread t owns the target rows [lo, hi): it reads the whole index but adds only
    # the value rows that land in its own rows, so no element has two writers.
    cdef Py_ssize_t n = index.shape[0], M = target.shape[0], K = target.shape[1]
    cdef Py_ssize_t i, k, t, lo, hi
    cdef int64_t r
    for t in prange(threads, nogil=True, schedule="static", chunksize=1,
                    num_threads=threads):
        lo = t * M // threads
        hi = (t + 1) * M // threads
        for i in range(n):
            r = index[i]
            if lo <= r < hi:
                for k in range(K):
                    target[r, k] += values[i, k]
# [end loops: scatter_add]


def scatter_add(target, index, values):
    """Add each row ``values[i]`` into ``target[index[i]]``, in place.

    The loop nest::

        for i in range(n):              # every value row, in order
            r = index[i]
            for k in range(K):          # its K columns
                target[r, k] += values[i, k]

    What makes it fast:

    * typed memoryviews and ``nogil``: the nest is plain C on the arrays' memory, one
      copy of it for float32 and one for float64 (a fused type);
    * ``K == 1``: one tight serial loop, a load, an add and a store per index;
    * narrow rows (under 256 bytes, e.g. ``K = 16`` float32): the serial nest above.
      Streaming through ``values`` is then limited by memory, and a second thread
      does not help (measured, ``benchmarks/scatter.py``);
    * wide rows: the *target* rows are split into one range per thread (``prange``).
      Each thread reads the whole index and adds only the value rows whose index falls
      in its own range. Splitting the *value* rows instead would race: two threads
      could add into the same target row at once. This split is race-free and measured
      about twice as fast as the serial nest on two idle cores for ``K >= 64``; when
      other processes keep the cores busy it can be slower than the serial nest
      (``OMP_NUM_THREADS=1``, read at import, turns the split off).

    Each element receives its additions in the order ``i = 0, 1, ...``, as in the
    reference, so both twins give bit-for-bit the same sums.

    Parameters
    ----------
    target : ndarray, shape (M, K), float32 or float64, C-contiguous
        Accumulates the sums; modified in place.
    index : ndarray, shape (n,), int64
        Row of ``target`` for each row of ``values``; every entry in ``[0, M)``.
    values : ndarray, shape (n, K), same dtype as ``target``

    Returns
    -------
    None
    """
    _checks.scatter_add(target, index, values)
    cdef Py_ssize_t n = index.shape[0], M = target.shape[0], K = target.shape[1]
    cdef bint wide = (K * target.itemsize >= _PARALLEL_ROW_BYTES
                      and n * K >= _PARALLEL_MIN_WORK and M >= 2
                      and threads_for(n * K) >= 2)
    if n == 0 or K == 0:
        return None
    if wide:
        _by_target_rows(target, index, values, threads_for(n * K))
    else:
        _serial(target, index, values)
    return None
