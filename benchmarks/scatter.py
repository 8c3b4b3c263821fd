"""Scatter-add: reference twin, compiled twin, ``np.add.at`` and torch's ``index_add_``.

1,000,000 random indices into a (10_000, K) float32 target, K = 1 and K = 16; the
median of 7 runs of each, side by side, with the ratios to the compiled twin. torch is
timed in a process of its own (``_torch_process.py``: in lucid's process it would run
with lucid's OpenMP wait policy); it, the compiled twin and ``np.add.at`` take turns.

The reference twin loops over the index rows in Python (about a microsecond each), so
it runs on 20,000 indices and its time is scaled up by 50 (it is linear in n); the
table marks it so.

Run: ``python benchmarks/scatter.py``
"""
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # _timing, and lucid from this checkout
from _timing import fmt_ms, median_time, medians_with_torch, print_table  # noqa: E402
from _torch_process import torch_worker  # noqa: E402  (before lucid)

from lucid import _ext  # noqa: E402

M = 10_000
N = 1_000_000
N_REFERENCE = 20_000  # the reference's Python loop runs on this many, scaled to N
REPEAT = 7


def inputs(K):
    """The indices, the (N, K) values and the zero (M, K) target (fixed seed)."""
    rng = np.random.default_rng(K)
    index = rng.integers(0, M, size=N).astype(np.int64)
    values = rng.standard_normal((N, K)).astype(np.float32)
    return index, values, np.zeros((M, K), dtype=np.float32)


def torch_closure(K):
    """The factory run in the torch process (``_torch_process.py``): torch's
    ``index_add_`` of :func:`inputs`."""
    import torch
    index, values, target = (torch.from_numpy(a) for a in inputs(K))
    return lambda: target.index_add_(0, index, values)


def timings(K, worker):
    index, values, target = inputs(K)
    reference = _ext._reference["scatter"].scatter_add
    compiled = _ext._compiled["scatter"].scatter_add

    # the twins and np.add.at add the same numbers in the same order: check before timing
    a, b = target.copy(), target.copy()
    compiled(a, index, values)
    np.add.at(b, index, values)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)

    times = medians_with_torch({"compiled": lambda: compiled(target, index, values),
                                "np.add.at": lambda: np.add.at(target, index, values)},
                               REPEAT, worker, "torch_closure", K, name="torch index_add_")
    small_index, small_values = index[:N_REFERENCE], values[:N_REFERENCE]
    times["reference"] = median_time(lambda: reference(target, small_index, small_values),
                                     repeat=3, warmup=0) * (N / N_REFERENCE)
    return times


def main():
    if not _ext.compiled_available("scatter"):
        sys.exit("the compiled scatter twin is not built: run "
                 "`python setup.py build_ext --inplace`")
    worker = torch_worker(__file__, threads=2)
    header = ["K", "reference*", "compiled", "np.add.at", "torch index_add_",
              "reference/compiled", "np.add.at/compiled", "torch/compiled"]
    rows, ratios = [], []
    for K in (1, 16):
        t = timings(K, worker)
        c = t["compiled"]
        torch_t = t.get("torch index_add_")
        ratios.append((K, t["np.add.at"] / c))
        rows.append([
            K, fmt_ms(t["reference"]), fmt_ms(c), fmt_ms(t["np.add.at"]),
            fmt_ms(torch_t) if torch_t else "(no torch)",
            f"{t['reference'] / c:.0f}x", f"{t['np.add.at'] / c:.1f}x",
            f"{torch_t / c:.2f}x" if torch_t else "-",
        ])
    if worker is not None:
        worker.close()
    print_table(
        f"scatter_add: {N:,} indices into a ({M:,}, K) float32 target, median of {REPEAT} "
        "(all but the reference taking turns, torch in its own process)", header, rows)
    print(f"* reference: median of 3 runs on {N_REFERENCE:,} indices, scaled x{N // N_REFERENCE} "
          f"to {N:,} (its Python loop is linear in the number of indices)")
    print("  torch: torch.set_num_threads(2); ratios > 1 mean the compiled twin is faster")
    for K, ratio in ratios:
        verdict = "ok" if ratio >= 5 else "BELOW the 5x target"
        print(f"  K={K}: np.add.at / compiled = {ratio:.1f}x ({verdict})")


if __name__ == "__main__":
    main()
