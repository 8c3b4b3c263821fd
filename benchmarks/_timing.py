"""Shared timing helpers for the benchmarks: medians over repeats, printed side by side."""
import os
import statistics
import sys
import time

__all__ = ["median_time", "interleaved_medians", "medians_with_torch", "torch_or_none",
           "print_table", "machine_line"]


def median_time(fn, repeat=7, number=1, warmup=1, warm_seconds=0.3):
    """Median seconds per call of ``fn`` over ``repeat`` timings of ``number`` calls.

    Before timing, ``fn`` runs at least ``warmup`` times and for at least
    ``warm_seconds``: on this (virtual) machine a core that sat idle for a while, as
    the benchmarks let it between runners, runs the first ~50 ms of work up to 1.8x
    slower (measured on a 1 ms conv1d call: 30 calls at 1.7 ms, then 1.0 ms), which a
    few warm-up calls do not cover.
    """
    start = time.perf_counter()
    done = 0
    while done < warmup or time.perf_counter() - start < warm_seconds:
        fn()
        done += 1
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def interleaved_medians(fns, repeat, warm_seconds=0.3, turn=3, lead_seconds=0.01):
    """Median seconds per call of each of ``fns`` (name -> fn), taking turns.

    Each ``fn`` is a callable or a :class:`_torch_process.RemoteClosure` (PyTorch in its
    own process). Each is warmed up first for ``warm_seconds`` (see
    :func:`median_time`); then, round after round, each side makes untimed calls for
    ``lead_seconds`` (at least one) and ``turn`` timed ones, until each has ``repeat``
    timings: a burst of load from another process on this shared machine hits every
    side alike, and the untimed calls absorb what the side before left behind (threads
    of the other process still spinning, a cache full of its data).
    """
    sides = {name: fn if hasattr(fn, "timed_calls") else Local(fn)
             for name, fn in fns.items()}
    for side in sides.values():
        side.warm(warm_seconds)
    times = {name: [] for name in sides}
    while min(len(t) for t in times.values()) < repeat:
        for name, side in sides.items():
            times[name] += side.timed_calls(min(turn, repeat - len(times[name])),
                                            lead=lead_seconds)
    return {name: statistics.median(t) for name, t in times.items()}


def medians_with_torch(fns, repeat, worker, factory, *args, name="torch"):
    """:func:`interleaved_medians` of ``fns`` (name -> callable of this process) and, when
    ``worker`` (a :class:`_torch_process.TorchProcess`) is not None, of torch's closure
    ``factory(*args)`` built there, under ``name``; that closure is dropped after."""
    fns = dict(fns)
    if worker is not None:
        fns[name] = worker.closure(factory, *args)
    times = interleaved_medians(fns, repeat)
    if worker is not None:
        fns[name].drop()
    return times


def _forget_load():
    """Before each of lucid's turns, the least lead it needs (seconds). lucid's kernels
    run on no more threads than the CPUs other processes used over the last 0.1 s left
    free (``lucid/_ext/_cpus.py``), and the last 0.1 s held the other side's turn
    (PyTorch in its own process, now waiting for its next), which is not load lucid
    would meet running alone. ``_cpus.forget`` starts the measuring afresh, and a lead
    of two windows lets it measure a window of lucid's own turn: the timed calls then
    run on the threads the machine's real load leaves (all of them when it is idle, one
    when another process keeps a CPU busy). 0 where lucid is not loaded (PyTorch's
    worker) or its kernels run on one thread anyway."""
    cpus = sys.modules.get("lucid._ext._cpus")
    openmp = sys.modules.get("lucid._ext._openmp")
    if cpus is None or openmp is None or not cpus.ENABLED or openmp.max_threads() < 2:
        return 0.0
    cpus.forget()
    return 2 * cpus.WINDOW


class Local:
    """A callable, with :class:`_torch_process.RemoteClosure`'s methods (the worker
    process times its closures with this class too)."""

    def __init__(self, fn):
        self._fn = fn

    def warm(self, seconds):
        start, done = time.perf_counter(), 0
        while done < 2 or time.perf_counter() - start < seconds:
            self._fn()
            done += 1

    def timed_calls(self, calls, lead):
        lead = max(lead, _forget_load())
        start = time.perf_counter()
        self._fn()
        while time.perf_counter() - start < lead:
            self._fn()
        seconds = []
        for _ in range(calls):
            t0 = time.perf_counter()
            self._fn()
            seconds.append(time.perf_counter() - t0)
        return seconds


def torch_or_none(threads=2):
    """torch with ``threads`` intra-op threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def print_table(title, header, rows):
    """Print rows (lists of strings) under ``header`` as aligned columns."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(str(h).rjust(w) for h, w in zip(header, widths)))
    for r in rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths)))


def fmt_us(seconds):
    return f"{seconds * 1e6:.2f} us"


def fmt_ms(seconds):
    return f"{seconds * 1e3:.3f} ms"


os.environ.setdefault("OMP_NUM_THREADS", "2")


def machine_line(threads):
    """One line on the machine's state now, for reading the ratios around it: a
    768 x 768 float32 product (NumPy's BLAS) on one thread and on ``threads``, fastest
    of 7 each, and the speed-up.

    The two virtual CPUs of this machine are not always two free cores: in some
    stretches (seconds to minutes) a multiply-add loop and this product run 1.8-1.96x
    faster on two threads than on one, in others 0.9-1.4x (measured the same day, the
    same binaries). A kernel that already runs at the core's multiply-add rate then
    gains little from its second thread while one that does not still does, so a
    two-thread ratio moves with the stretch it was measured in. The benchmarks print
    this line before and after their tables.
    """
    import numpy as np
    from lucid._ext import _blas

    if _blas._gate() is None:       # one_thread() would then change nothing: no line
        return ("machine now: NumPy's BLAS is not an OpenBLAS lucid can set to one "
                "thread; no one- against two-thread product timed")
    a = np.random.default_rng(0).standard_normal((768, 768)).astype(np.float32)

    def fastest():
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            a @ a
            times.append(time.perf_counter() - t0)
        return min(times)

    with _blas.one_thread():
        one = fastest()
    with _blas.all_threads():
        many = fastest()
    return (f"machine now: a 768^3 float32 product {one * 1e3:.2f} ms on one thread, "
            f"{many * 1e3:.2f} ms on {threads} ({one / many:.2f}x)")
