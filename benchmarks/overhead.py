"""Per-op overhead: the autograd core, and single layers in inference as a demo runs them.

Two tables, lucid's and PyTorch's medians side by side (same process, same machine),
with the ratio lucid / PyTorch:

* the autograd core, ``c = a + b; c.sum().backward()`` on 1-element tensors: recording
  the add alone, and add + sum + backward;
* one layer called as a user calls it (a module in evaluation mode, or the functional
  form, under ``no_grad``) on the homework models' shapes, at batch 1 (where the Python
  around each op is most of the time) and, for the layers whose arithmetic grows with
  the batch, at batch 128. lucid's and torch's calls are interleaved, so a burst of load
  from another process hits both alike.

Run: ``python benchmarks/overhead.py [--threads 2]`` (lucid's OpenMP and OpenBLAS
threads and torch's intra-op threads; set before NumPy loads).
"""
import argparse
import os
import pathlib
import sys

ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS.add_argument("--threads", type=int, default=2)
ARGS = ARGS.parse_args()
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _timing import fmt_us, median_time, print_table, torch_or_none  # noqa: E402

import lucid  # noqa: E402
import lucid.nn as lnn  # noqa: E402
import lucid.nn.functional as LF  # noqa: E402

NUMBER = 20_000


def cases(a, b):
    """The two timed calls on the 1-element tensors ``a`` and ``b`` (lucid's or torch's:
    both spell ``+``, ``sum`` and ``backward`` alike), by case name."""

    def record():
        return a + b

    def step():
        c = a + b
        c.sum().backward()

    return {"add (record)": record, "add + sum + backward": step}


def core_table(torch):
    contenders = [cases(lucid.Tensor(np.ones(1, dtype=np.float32), requires_grad=True),
                        lucid.Tensor(np.ones(1, dtype=np.float32), requires_grad=True))]
    if torch is not None:
        contenders.append(cases(torch.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)))
    results = {name: [] for name in contenders[0]}       # lucid's time, then torch's
    for timed in contenders:
        for name, fn in timed.items():
            results[name].append(median_time(fn, repeat=7, number=NUMBER))
    rows = []
    for name, times in results.items():
        if len(times) == 2:
            rows.append([name, fmt_us(times[0]), fmt_us(times[1]), f"{times[0] / times[1]:.2f}x"])
        else:
            rows.append([name, fmt_us(times[0]), "n/a", "n/a"])
    print_table(
        f"Per-op overhead, 1-element float32 tensors (median of 7 x {NUMBER} calls, "
        f"{ARGS.threads} thread(s))",
        ["case", "lucid", "torch", "lucid / torch"],
        rows,
    )
    print("\nTarget: add + sum + backward at most 1.0x PyTorch's time.")


# ------------------------------------------------------------------ single layers
# name: (input shape, how to build the call from a framework's nn and functional)
LAYERS = {
    "Linear 784->256": ((1, 784), lambda nn, F: nn.Linear(784, 256)),
    "Linear 256->10": ((1, 256), lambda nn, F: nn.Linear(256, 10)),
    "ReLU": ((1, 256), lambda nn, F: nn.ReLU()),
    "BatchNorm2d(16) eval": ((1, 16, 32, 32), lambda nn, F: nn.BatchNorm2d(16)),
    "LayerNorm(64)": ((1, 32, 64), lambda nn, F: nn.LayerNorm(64)),
    "softmax(axis -1)": ((1, 32, 64), lambda nn, F: (lambda x: F.softmax(x, -1))),
    "reshape": ((1, 32, 64), lambda nn, F: (lambda x: x.reshape(32, 64))),
    "AdaptiveAvgPool2d(1)": ((1, 64, 8, 8), lambda nn, F: nn.AdaptiveAvgPool2d(1)),
    "BatchNorm2d(16) eval, batch 128": ((128, 16, 32, 32), lambda nn, F: nn.BatchNorm2d(16)),
    "AdaptiveAvgPool2d(1), batch 128": ((128, 64, 8, 8), lambda nn, F: nn.AdaptiveAvgPool2d(1)),
}


def _layer(make, nn, F):
    layer = make(nn, F)
    if hasattr(layer, "eval"):
        layer.eval()
    return layer


def layer_table(torch):
    rng = np.random.default_rng(0)
    rows = []
    for name, (shape, make) in LAYERS.items():
        x = rng.standard_normal(shape).astype(np.float32)
        ours, xl = _layer(make, lnn, LF), lucid.Tensor(x)
        fns = {"lucid": lambda: ours(xl)}
        if torch is not None:
            theirs, xt = _layer(make, torch.nn, torch.nn.functional), torch.from_numpy(x)
            fns["torch"] = lambda: theirs(xt)
        number = 2000 if x.size < 100_000 else 20
        times = {side: [] for side in fns}
        with lucid.no_grad():
            grad_off = torch.no_grad() if torch is not None else None
            if grad_off is not None:
                grad_off.__enter__()
            for _ in range(3):                    # interleaved: lucid, torch, lucid, ...
                for side, fn in fns.items():
                    times[side].append(median_time(fn, repeat=5, number=number))
            if grad_off is not None:
                grad_off.__exit__(None, None, None)
        best = {side: min(t) for side, t in times.items()}
        line = [name, str(shape), fmt_us(best["lucid"])]
        if torch is not None:
            line += [fmt_us(best["torch"]), f"{best['lucid'] / best['torch']:.2f}x"]
        rows.append(line)
    header = ["layer (eval, no grad)", "input", "lucid"]
    header += ["torch", "lucid / torch"] if torch is not None else []
    print_table(f"One layer per call, float32, {ARGS.threads} thread(s) (the best of 3 "
                "interleaved medians)", header, rows)


def main():
    torch = torch_or_none(threads=ARGS.threads)
    core_table(torch)
    layer_table(torch)


if __name__ == "__main__":
    main()
