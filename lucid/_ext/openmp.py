"""The threads a kernel runs on: the reference twin of ``_openmp.pyx``.

The reference kernels are plain NumPy and run on the thread that calls them, so each
answer here is the one-thread answer. The compiled twin asks the OpenMP runtime the same
questions and also frees its thread pool before every ``fork`` (its docstring says why);
with one thread there is no pool, so :func:`pause` has nothing to free.

This is not a kernel family: ``lucid.kernels.use`` does not switch it. The compiled
kernels import ``_openmp`` directly, and this file states the contract they rely on:

=======================  ===================================================
``max_threads()``        threads a parallel loop may start (at least 1)
``parts_for(work)``      parts a loop over ``work`` is split into (1 .. max),
                         from the sizes and the team only, never the load
``free_threads(parts)``  threads to run ``parts`` parts on (1 .. parts)
``threads_for(work)``    threads for one loop over ``work`` items (1 .. max)
``threads_for_pass``     the same for one pass over values
``pause()``              free the idle pool before a fork; 0 if the runtime did
``team_size()``          threads a 64-item parallel loop really ran on
``SMALL_WORK``           loops over less work may run on one thread
=======================  ===================================================
"""

__all__ = ["max_threads", "threads_for", "threads_for_pass", "parts_for", "free_threads",
           "pause", "team_size", "SMALL_WORK"]

# A parallel loop over less work than this (element copies or multiply-adds, some
# 25 us) runs on one thread (same value as the twin, which has the measurements).
SMALL_WORK = 1 << 16


def max_threads():
    """The number of threads a parallel loop runs on: one, the caller's."""
    return 1


def parts_for(work):
    """Parts a loop over ``work`` items is split into: one, whatever the work."""
    return 1


def free_threads(parts):
    """Threads to run ``parts`` parts of a loop on: one."""
    return 1


def threads_for(work):
    """Threads for a loop over ``work`` items: one, whatever the work."""
    return 1


def threads_for_pass(values):
    """Threads for a one-pass loop over ``values`` values: one."""
    return 1


def pause():
    """Free the idle thread pool before a fork; there is none, so -1 (nothing done)."""
    return -1


def team_size():
    """How many distinct threads a 64-item loop ran on: one."""
    return 1
