"""Pooling: lucid on the reference twin, on the compiled twin, and PyTorch.

``max_pool2d`` and ``avg_pool2d`` on a (64, 32, 28, 28) float32 batch, kernel 2,
stride 2, through the public functions (``lucid.nn.functional.pool`` and
``torch.nn.functional``): forward alone, and forward + backward (``y.backward(ones)``).
PyTorch runs with ``torch.set_num_threads(2)``; the compiled twin with OpenMP's default
threads (``OMP_NUM_THREADS``, set to 2 here when unset).

The contenders are timed in turns (one call of each per round, ``ROUNDS`` rounds) and
each median is printed, so a burst of load from other processes hits them all alike.
The target: compiled at most 1.0x PyTorch's time.

Run: ``python benchmarks/pool.py``
"""
import importlib
import pathlib
import statistics
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # _timing, and lucid from this checkout
from _timing import fmt_ms, print_table, torch_or_none  # noqa: E402

import lucid  # noqa: E402
from lucid import _ext  # noqa: E402

F = importlib.import_module("lucid.nn.functional.pool")

SHAPE = (64, 32, 28, 28)
ROUNDS = 21
REFERENCE_ROUNDS = 5


def _one_pass(fn, backward):
    """``run(t, seed)``: one call of the pooling function ``fn`` (kernel 2, stride 2),
    lucid's or torch's alike, on the input ``t`` made once outside the timing: the
    forward, or with ``backward`` also ``backward(seed)`` (``t.grad`` cleared first)."""

    def run(t, seed):
        if backward:
            t.grad = None
            fn(t, 2, 2).backward(seed)
        else:
            fn(t, 2, 2)
    return run


def _lucid(kind, name, backward):
    """:func:`_one_pass` of lucid's ``name`` on twin ``kind``."""
    one_pass = _one_pass(getattr(F, name), backward)

    def run(t, seed):
        with lucid.kernels.use(kind, "pool"):
            one_pass(t, seed)
    return run


def _torch(torch, name, backward):
    """:func:`_one_pass` of torch's ``name``."""
    return _one_pass(getattr(torch.nn.functional, name), backward)


def timed_in_turns(contenders, rounds):
    """Median seconds of each ``(fn, args)`` in ``contenders``, timed one call each per
    round (after one warm-up call each)."""
    for fn, args in contenders.values():
        fn(*args)
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (fn, args) in contenders.items():
            t0 = time.perf_counter()
            fn(*args)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    if not _ext.compiled_available("pool"):
        sys.exit("the compiled pool twin is not built: run "
                 "`python setup.py build_ext --inplace`")
    torch = torch_or_none(threads=2)
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    seed = np.ones((64, 32, 14, 14), dtype=np.float32)
    header = ["op", "pass", "reference", "compiled", "torch", "reference/compiled",
              "compiled/torch", "target"]
    rows = []
    for name in ("max_pool2d", "avg_pool2d"):
        for backward in (False, True):
            lucid_args = (lucid.Tensor(x, requires_grad=backward), seed)
            contenders = {"compiled": (_lucid("compiled", name, backward), lucid_args)}
            if torch is not None:
                contenders["torch"] = (_torch(torch, name, backward),
                                       (torch.from_numpy(x).requires_grad_(backward),
                                        torch.from_numpy(seed)))
            t = timed_in_turns(contenders, ROUNDS)
            t.update(timed_in_turns(
                {"reference": (_lucid("reference", name, backward), lucid_args)},
                REFERENCE_ROUNDS))
            c, tt = t["compiled"], t.get("torch")
            rows.append([
                name, "forward+backward" if backward else "forward",
                fmt_ms(t["reference"]), fmt_ms(c), fmt_ms(tt) if tt else "(no torch)",
                f"{t['reference'] / c:.0f}x", f"{c / tt:.2f}x" if tt else "-",
                ("ok" if c <= tt else "ABOVE 1.0x") if tt else "-",
            ])
    print_table(f"pooling on {SHAPE} float32, kernel 2, stride 2: medians "
                f"({ROUNDS} rounds in turns; reference {REFERENCE_ROUNDS})", header, rows)
    print("  torch: torch.set_num_threads(2); compiled/torch <= 1.00x is the target "
          "(smaller is faster)")


if __name__ == "__main__":
    main()
