"""How many CPUs other processes leave free: the compiled kernels' threads use no more.

The compiled kernels' OpenMP threads spin for a moment after each parallel loop before
they sleep (``GOMP_SPINCOUNT``, set by :mod:`lucid._ext`), so that the next loop, a few
microseconds later in a training step, finds them awake: waking a sleeping thread cost
~70-110 us a loop on this project's virtual machines, more than many loops take. A
spinning thread is only cheap while it has a CPU to itself. When another process keeps
the CPUs busy, the spinning worker takes CPU time from the thread doing the work, and a
loop then waits for a worker the scheduler has not run yet (the ResNet's training step
went from 33 to 86 ms with one busy process on 2 CPUs). So every thread count of the
compiled kernels (``_openmp.threads_for``) and of lucid's own matrix products
(``_blas.product_threads``) is at most :func:`free`: the CPUs of the machine minus
what the other processes used over the last tenth of a second. On a busy machine the
kernels run on one thread, start no parallel loop, and so never spin.

How it is measured: ``/proc/stat``'s first line counts the time every CPU of the
machine spent busy (in ticks of ``1 / SC_CLK_TCK`` s), ``os.times()`` the CPU time of
this process (all its threads, spinning ones too); their difference over a window is
the other processes' use. Read at most every :data:`WINDOW` seconds (a read takes
~10 us; between reads :func:`free` returns the last answer, in ~0.15 us). Where
``/proc/stat`` does not exist (not Linux) or cannot be read, or with
``LUCID_LOAD_AWARE=0`` in the environment, every CPU counts as free. One reading is one
tuple, replaced whole, so Python threads asking at once each see a whole one.

No result depends on it: a kernel whose sums depend on how its work is split splits it
by ``_openmp.parts_for`` (sizes and the team only) and shares the parts among however
many threads run, so one thread and two give the same bits (tested on the homework
models' training steps). OpenBLAS's thread count for lucid's large products, which
would change the last bits, does not follow it.
"""
import os
import time

__all__ = ["free", "forget", "WINDOW", "ENABLED", "cpu_count"]

#: Seconds between two readings of the machine's CPU use.
WINDOW = 0.1

#: The machine's CPUs (what ``/proc/stat`` counts).
cpu_count = os.cpu_count() or 1

#: Where the machine's CPU time is read (Linux).
STAT = "/proc/stat"


def _tick():
    """Seconds per tick of ``/proc/stat`` (``1 / SC_CLK_TCK``; 0.01 where unknown)."""
    try:
        return 1.0 / os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError, ZeroDivisionError):
        return 0.01


_TICK = _tick()


def _machine_busy_seconds():
    """CPU seconds every CPU of the machine spent busy since boot; None where it cannot
    be read (no such file, or a first line that is not ``cpu`` and at least the five
    counters user, nice, system, idle, iowait: then every CPU counts as free)."""
    try:
        with open(STAT, "rb") as stat:
            fields = stat.readline().split()
        ticks = [int(f) for f in fields[1:9]]
    except (OSError, ValueError):
        return None
    if not fields or fields[0] != b"cpu" or len(ticks) < 5:
        return None
    # user nice system idle iowait [irq softirq steal]: all but idle and iowait
    return (sum(ticks) - ticks[3] - ticks[4]) * _TICK


def _own_seconds():
    t = os.times()
    return t.user + t.system


#: False with ``LUCID_LOAD_AWARE=0`` in the environment at import: :func:`free` then
#: counts every CPU free, whatever the load.
ENABLED = os.environ.get("LUCID_LOAD_AWARE", "1") != "0"

# The last reading, one tuple replaced whole (so Python threads calling free() at once
# never see half of one): (when, the machine's busy seconds, this process's, the free
# CPUs it gave). ``when`` None: nothing read yet; machine None: nothing readable.
_last = (None, None, None, cpu_count)


def free(now=None):
    """CPUs the other processes left free over the last :data:`WINDOW` s (at least 1,
    at most :data:`cpu_count`), rounded to the nearest whole CPU."""
    global _last
    if not ENABLED:
        return cpu_count
    now = time.monotonic() if now is None else now
    when, machine0, own0, answer = _last
    if when is not None and now - when < WINDOW:
        return answer
    machine, own = _machine_busy_seconds(), _own_seconds()
    if machine is not None and machine0 is not None and now > when:
        others = (machine - machine0) - (own - own0)
        used = max(0.0, others / (now - when))
        answer = max(1, min(cpu_count, int(cpu_count - used + 0.5)))
    _last = (now, machine, own, answer)
    return answer


def forget():
    """Start measuring afresh: every CPU counts as free until a whole :data:`WINDOW`
    has been measured. For the benchmarks, which time lucid and PyTorch in turns: the
    window before lucid's turn holds PyTorch's, which is not load lucid will meet."""
    global _last
    _last = (None, None, None, cpu_count)
