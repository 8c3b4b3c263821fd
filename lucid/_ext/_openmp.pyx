"""The OpenMP runtime every compiled twin runs on: its thread count, and fork safety.

One place for two rules the ``.pyx`` files share:

* **How many threads.** :func:`max_threads` is the size of the team a ``prange``
  starts (``OMP_NUM_THREADS``, else one per CPU; 1 in a build without OpenMP). Every
  twin asks here instead of guessing from the environment, and passes
  :func:`threads_for` of its work to each ``prange``: all threads, except one for a
  small loop (under :data:`SMALL_WORK`). A parallel loop ends in a barrier where every
  thread of the team must check in: a sleeping worker must first be woken, and on a
  busy 2-core machine it waits for the scheduler, so the loop takes milliseconds
  (measured: the max pool of a ``(1, 32, 28, 28)`` batch, 350 us on two threads, 80 us
  on one; the homework CNN's batch-1 forward 3x faster with small loops on one
  thread). When PyTorch loaded the runtime before lucid could ask its threads to sleep
  (``OMP_WAIT_POLICY``), idle workers spin instead, and every small parallel loop
  ended in a spinning wait, 10-40x slower (``benchmarks/import_order.py``).
* **Fork.** GNU libgomp keeps a pool of worker threads per thread that opened a
  parallel region, and a forked child inherits the pool's bookkeeping but not its
  threads: the child's first ``prange`` waits forever for workers that do not exist.
  Just before every ``fork`` (``os.register_at_fork``) :func:`pause` calls
  ``omp_pause_resource_all(omp_pause_hard)``, which frees the forking thread's pool;
  the child then builds a fresh pool on its first ``prange``, with all its threads,
  and the parent does the same on its next one (about 0.1 ms). The call goes through
  the OpenMP library this extension is linked against -- the one already loaded when
  PyTorch came first, since it carries the same soname.
"""
import os

from cython.parallel cimport prange, threadid

from lucid import _blas_env

__all__ = ["max_threads", "threads_for", "threads_for_pass", "pause", "team_size",
           "SMALL_WORK"]

# A parallel loop over less work than this (element copies or multiply-adds, about
# 0.1 ms) runs on one thread: waking a second one costs more than it gains.
SMALL_WORK = 1 << 18

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    static int lucid_max_threads(void) { return omp_get_max_threads(); }
    #if _OPENMP >= 201811 || (defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 9)
    static int lucid_pause(void) { return omp_pause_resource_all(omp_pause_hard); }
    #else
    static int lucid_pause(void) { return -1; }   /* no pause in this runtime */
    #endif
    #else
    static int lucid_max_threads(void) { return 1; }
    static int lucid_pause(void) { return -1; }
    #endif
    """
    int lucid_max_threads() nogil
    int lucid_pause() nogil


def max_threads():
    """The number of threads a ``prange`` runs on (1 without OpenMP)."""
    return lucid_max_threads()


_MAX_THREADS = lucid_max_threads()


def threads_for(work):
    """Threads for a parallel loop over ``work`` (module docstring)."""
    if work < SMALL_WORK:
        return 1
    return _MAX_THREADS


def threads_for_pass(values):
    """Threads for a loop that reads each of ``values`` values once and writes it once
    (a ReLU, batch norm in evaluation mode): a value counts as a quarter of a unit of
    :func:`threads_for`'s work, so two threads start from about a million values.
    Waking the second thread costs about as much as one thread's pass over 2**18 values
    (measured, ReLU forward, 1 against 2 threads: 131,072 values 29 against 123 us,
    524,288 values 170 against 191 us, 1,048,576 values 348 against 277 us)."""
    return threads_for(values // 4)


def pause():
    """Free the calling thread's OpenMP thread pool; 0 when the runtime did it.

    Called before every fork. The next ``prange`` of the process builds a new pool.
    """
    return lucid_pause()


def team_size():
    """How many distinct threads a ``prange`` over 64 items really ran on (for tests)."""
    cdef int[64] seen
    cdef int i, most = 0
    for i in prange(64, nogil=True, schedule="static", chunksize=1):
        seen[i] = threadid()
    for i in range(64):
        most = max(most, seen[i])
    return most + 1


os.register_at_fork(before=pause)
