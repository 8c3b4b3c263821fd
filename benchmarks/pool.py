"""Pooling: lucid on the reference twin, on the compiled twin, and PyTorch.

``max_pool2d`` and ``avg_pool2d`` on a (64, 32, 28, 28) float32 batch, kernel 2,
stride 2, through the public functions (``lucid.nn.functional.pool`` and
``torch.nn.functional``): forward alone, and forward + backward (``y.backward(ones)``).
PyTorch runs with ``torch.set_num_threads(2)``; the compiled twin with OpenMP's default
threads (``OMP_NUM_THREADS``, set to 2 here when unset).

PyTorch is timed in a process of its own (``_torch_process.py``: in lucid's process it
would run with lucid's OpenMP wait policy); it and the compiled twin take turns, a few
calls at a time, until each has ``ROUNDS`` timed calls, so a burst of load from other
processes hits both alike; the reference twin is timed alone after them. Each median is
printed. The target: compiled at most 1.0x PyTorch's time.

Run: ``python benchmarks/pool.py``
"""
import importlib
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # _timing, and lucid from this checkout
from _timing import fmt_ms, median_time, medians_with_torch, print_table  # noqa: E402
from _torch_process import torch_worker  # noqa: E402  (before lucid)

import lucid  # noqa: E402
from lucid import _ext  # noqa: E402

F = importlib.import_module("lucid.nn.functional.pool")

SHAPE = (64, 32, 28, 28)
ROUNDS = 21
REFERENCE_ROUNDS = 5


def inputs():
    """The input batch and the output gradient (ones), fixed seed."""
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    return x, np.ones((64, 32, 14, 14), dtype=np.float32)


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


def torch_closure(name, backward):
    """The factory run in the torch process (``_torch_process.py``): :func:`_one_pass` of
    torch's ``name`` on :func:`inputs`."""
    import torch
    run = _one_pass(getattr(torch.nn.functional, name), backward)
    x, seed = inputs()
    xt, seed = torch.from_numpy(x).requires_grad_(backward), torch.from_numpy(seed)
    return lambda: run(xt, seed)


def main():
    if not _ext.compiled_available("pool"):
        sys.exit("the compiled pool twin is not built: run "
                 "`python setup.py build_ext --inplace`")
    worker = torch_worker(__file__, threads=2)
    x, seed = inputs()
    header = ["op", "pass", "reference", "compiled", "torch", "reference/compiled",
              "compiled/torch", "target"]
    rows = []
    for name in ("max_pool2d", "avg_pool2d"):
        for backward in (False, True):
            xl = lucid.Tensor(x, requires_grad=backward)
            compiled, reference = (_lucid(kind, name, backward)
                                   for kind in ("compiled", "reference"))
            t = medians_with_torch({"compiled": lambda: compiled(xl, seed)}, ROUNDS, worker,
                                   "torch_closure", name, backward)
            t["reference"] = median_time(lambda: reference(xl, seed), repeat=REFERENCE_ROUNDS)
            c, tt = t["compiled"], t.get("torch")
            rows.append([
                name, "forward+backward" if backward else "forward",
                fmt_ms(t["reference"]), fmt_ms(c), fmt_ms(tt) if tt else "(no torch)",
                f"{t['reference'] / c:.0f}x", f"{c / tt:.2f}x" if tt else "-",
                ("ok" if c <= tt else "ABOVE 1.0x") if tt else "-",
            ])
    if worker is not None:
        worker.close()
    print_table(f"pooling on {SHAPE} float32, kernel 2, stride 2: medians of {ROUNDS} calls "
                f"(compiled and torch taking turns, torch in its own process; reference "
                f"{REFERENCE_ROUNDS})", header, rows)
    print("  torch: torch.set_num_threads(2); compiled/torch <= 1.00x is the target "
          "(smaller is faster)")


if __name__ == "__main__":
    main()
