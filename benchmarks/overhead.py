"""Per-op overhead: the autograd core, and single layers in inference as a demo runs them.

Two tables, lucid's and PyTorch's medians side by side, with the ratio lucid / PyTorch.
PyTorch is timed in a process of its own (``_torch_process.py``: in lucid's process it
would run with lucid's OpenMP wait policy); the two sides take turns, a few batches of
calls each, so a burst of load from another process hits both alike:

* the autograd core, ``c = a + b; c.sum().backward()`` on 1-element tensors: recording
  the add alone, and add + sum + backward;
* one layer called as a user calls it (a module in evaluation mode, or the functional
  form, under ``no_grad``) on the homework models' shapes, at batch 1 (where the Python
  around each op is most of the time) and, for the layers whose arithmetic grows with
  the batch, at batch 128.

Run: ``python benchmarks/overhead.py [--threads 2]`` (lucid's OpenMP and OpenBLAS
threads and torch's intra-op threads; set before NumPy loads).
"""
import argparse
import contextlib
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
from _timing import fmt_us, medians_with_torch, print_table  # noqa: E402
from _torch_process import torch_worker  # noqa: E402  (before lucid)

import lucid  # noqa: E402
import lucid.nn as lnn  # noqa: E402
import lucid.nn.functional as LF  # noqa: E402

CORE_NUMBER, REPEAT = 2000, 15


def repeated(fn, number, context=contextlib.nullcontext):
    """A closure making ``number`` calls of ``fn`` inside ``context()``: one timed call of
    :func:`_timing.interleaved_medians` (one call of ``fn`` is too short to time alone)."""

    def calls():
        with context():
            for _ in range(number):
                fn()

    return calls


def cases(a, b):
    """The two timed calls on the 1-element tensors ``a`` and ``b`` (lucid's or torch's:
    both spell ``+``, ``sum`` and ``backward`` alike), by case name."""

    def record():
        return a + b

    def step():
        c = a + b
        c.sum().backward()

    return {"add (record)": record, "add + sum + backward": step}


def core_table(worker):
    ours = cases(*(lucid.Tensor(np.ones(1, dtype=np.float32), requires_grad=True)
                   for _ in range(2)))
    rows = []
    for name, fn in ours.items():
        times = medians_with_torch({"lucid": repeated(fn, CORE_NUMBER)}, REPEAT, worker,
                                   "torch_closure", "core", name)
        line = [name, fmt_us(times["lucid"] / CORE_NUMBER)]
        if worker is not None:
            line += [fmt_us(times["torch"] / CORE_NUMBER),
                     f"{times['lucid'] / times['torch']:.2f}x"]
        rows.append(line)
    header = ["case", "lucid"] + (["torch", "lucid / torch"] if worker is not None else [])
    print_table(f"Per-op overhead, 1-element float32 tensors (medians of {REPEAT} x "
                f"{CORE_NUMBER} calls taking turns, torch in its own process; "
                f"{ARGS.threads} thread(s))", header, rows)
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


def layer_call(name, nn, F, tensor, no_grad):
    """:func:`repeated` calls of the layer ``name`` (eval mode, under ``no_grad``) on its
    input (fixed seed), and the number of calls."""
    shape, make = LAYERS[name]
    layer = make(nn, F)
    if hasattr(layer, "eval"):
        layer.eval()
    x = tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    number = 2000 if np.prod(shape) < 100_000 else 20
    return repeated(lambda: layer(x), number, no_grad), number


def torch_closure(table, name):
    """The factory run in the torch process (``_torch_process.py``): torch's calls of the
    case ``name`` of the ``"core"`` table, or of the layer ``name``, as lucid's are made."""
    import torch
    if table == "core":
        return repeated(cases(*(torch.ones(1, requires_grad=True) for _ in range(2)))[name],
                        CORE_NUMBER)
    return layer_call(name, torch.nn, torch.nn.functional, torch.from_numpy,
                      torch.no_grad)[0]


def layer_table(worker):
    rows = []
    for name, (shape, _) in LAYERS.items():
        fn, number = layer_call(name, lnn, LF, lucid.Tensor, lucid.no_grad)
        times = medians_with_torch({"lucid": fn}, REPEAT, worker, "torch_closure", "layer",
                                   name)
        line = [name, str(shape), fmt_us(times["lucid"] / number)]
        if worker is not None:
            line += [fmt_us(times["torch"] / number), f"{times['lucid'] / times['torch']:.2f}x"]
        rows.append(line)
    header = ["layer (eval, no grad)", "input", "lucid"]
    header += ["torch", "lucid / torch"] if worker is not None else []
    print_table(f"One layer per call, float32, {ARGS.threads} thread(s) (medians of {REPEAT} "
                "batches of calls taking turns, torch in its own process)", header, rows)


def main():
    worker = torch_worker(__file__, ARGS.threads)
    core_table(worker)
    layer_table(worker)
    if worker is not None:
        worker.close()


if __name__ == "__main__":
    main()
