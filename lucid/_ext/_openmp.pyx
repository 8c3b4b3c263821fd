"""The OpenMP runtime every compiled twin runs on: its thread count, and fork safety.

One place for three rules the ``.pyx`` files share:

* **How many threads.** :func:`max_threads` is the size of the team a ``prange``
  starts (``OMP_NUM_THREADS``, else one per CPU; 1 in a build without OpenMP). Every
  twin asks here instead of guessing from the environment, and passes
  :func:`threads_for` of its work to each ``prange``: all threads, except one for a
  small loop (under :data:`SMALL_WORK`), and no more than the CPUs other processes
  leave free (``_cpus.free``). Idle workers spin for 3-5 ms after a loop, then
  sleep (``GOMP_SPINCOUNT`` and ``OMP_WAIT_POLICY``, set by :mod:`lucid._ext`): the
  loops of a training step follow each other closely and find them awake,
  while a lone small loop would pay the wake-up of a sleeping worker (~70-110 us on
  this project's virtual machines) and stays on one thread. On a busy machine a
  second thread waits for the scheduler and a spinning one takes CPU time from the
  first (the max pool of a ``(1, 32, 28, 28)`` batch took 350 us on two threads, 80 us
  on one): there the loops run on one thread. When PyTorch loaded the runtime before
  lucid could set the variables, idle workers spin ~3 ms instead, and every small
  parallel loop ended in a spinning wait, 10-40x slower (``benchmarks/import_order.py``).
* **One thread: no parallel region.** Opening a parallel region costs ~0.7 us even
  for a team of one (GNU libgomp builds and frees a team each time; measured against
  the same loop in ``range``: 0.89 against 0.18 us a call), which was a tenth of a
  small op's time at batch 1. So the loops small ops run (ReLU, softmax, cross-entropy,
  batch and layer norm, pooling, the one-row product, the convolutions' per-sample
  paths, attention) run their body in a plain ``range`` loop when given one thread
  (``if threads == 1:`` just before the ``prange``), the body one call of a ``cdef``
  function written once for both. Which thread computes a row, channel, plane or tile
  never changes its bits (``tests/_ext/test_one_thread.py``). The loops of larger
  calls (the blocked, lanes and Winograd convolutions, the weight gradients, the
  products' blocks and stacks) keep the ``prange`` alone: there it is ~0.7 us of 20 us
  or more.
* **The same bits on any thread count.** A kernel whose result depends on how its work
  is split (partial sums added at the end: the convolutions' weight gradients) splits
  it into :func:`parts_for` parts, a number from the sizes and the team alone, and runs
  them on :func:`free_threads` threads: the load changes how fast, never the result.
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
from lucid._ext import _cpus

__all__ = ["max_threads", "threads_for", "threads_for_pass", "parts_for", "free_threads",
           "pause", "team_size", "SMALL_WORK"]

# A parallel loop over less work than this (element copies or multiply-adds, some
# 25 us) runs on one thread: waking a second one costs more than it gains. It was 2**18
# while the worker slept between a training step's few parallel loops; with the
# products on the OpenMP threads too (lucid/_ext/_matmul.pyx) the loops come often
# enough to find it awake, and at 2**16 the training steps on two threads took 0.85x
# (autoencoder), 0.93x (encoder), 0.95x (ResNet), 0.98x (CNN) and 1.00x (MLP) their
# time at 2**18 (one process switching between the two, 7-11 rounds; 2**15 no better).
SMALL_WORK = 1 << 16

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


def parts_for(work):
    """How many parts a parallel loop over ``work`` is split into: one for a small loop
    (under :data:`SMALL_WORK`), else one per thread of the team. It depends on the
    sizes and the team only, never on the machine's load: a kernel whose result
    depends on the split (partial sums added at the end) splits its work by this, and
    runs the parts on :func:`free_threads` of them."""
    return 1 if work < SMALL_WORK else _MAX_THREADS


def free_threads(parts):
    """Threads to run ``parts`` parts of a loop on: as many, but no more than the CPUs
    other processes leave free (``_cpus.free``: on a busy machine a second thread
    waits for the scheduler, and a spinning one takes CPU time from the first)."""
    return 1 if parts <= 1 else min(parts, _cpus.free())


def threads_for(work):
    """Threads for a parallel loop over ``work`` (module docstring): one for a small
    loop, else all of them, but no more than the CPUs other processes leave free. For
    loops whose result does not depend on how the work is shared out."""
    return free_threads(parts_for(work))


def threads_for_pass(values):
    """Threads for a loop that reads each of ``values`` values once and writes it once
    (a ReLU, batch norm in evaluation mode): :func:`threads_for` of the values.

    With sleeping workers a value counted as a quarter of a unit (two threads from a
    million values): waking one cost as much as a pass over 2**18 values (ReLU
    forward, 1 against 2 threads: 131,072 values 29 against 123 us, 524,288 values 170
    against 191 us). With workers that spin for a moment after each loop
    (``GOMP_SPINCOUNT``, :mod:`lucid._ext`), an awake worker joins in a microsecond:
    65,536 values 16 against 10 us, 262,144 values 68 against 31 us, 524,288 values
    172 against 70 us (backward 165 against 56)."""
    return threads_for(values)


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
