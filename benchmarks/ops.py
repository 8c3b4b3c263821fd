"""The single ops of issue 14, timed as a user calls them: lucid vs PyTorch.

Each op runs through the public API on Tensors that require gradients, with a bias:

``fwd+bwd``
    ``F.op(x, w, b, ...).sum().backward()`` (the gradients of ``x``, ``w`` and ``b``
    are cleared before each call on both sides, so nothing accumulates);
``fwd``
    the same call under ``no_grad`` (what inference runs).

The shapes are those of ``benchmarks/conv_parts.py``'s "issue" rows:

================ ================================================== =====
op               shape                                              batch
================ ================================================== =====
conv1d           32 -> 16 channels, kernel 4, stride 2, padding 1,   32
                 length 256
conv_transpose1d 32 -> 16 channels, kernel 4, stride 2, padding 1,   32
                 length 256
conv2d           32 -> 64 channels, 3x3, padding 1, 14x14            64
conv_transpose2d 64 -> 32 channels, 4x4, stride 2, padding 1, 7x7    64
================ ================================================== =====

Printed per op: the largest relative difference of lucid's output and gradients from
torch's (float32), then each side's median and lucid / torch. torch's calls are timed
in a process of its own (``_torch_process.py``: in lucid's process torch runs with
lucid's OpenMP wait policy, slower than on its own); the two processes take turns, a
few calls each, so a burst of load from another process on this shared machine hits
both sides alike. ``--reference`` also times the
readable reference twins (fewer repeats). ``--threads N``: lucid's OpenMP and OpenBLAS
threads and torch's intra-op threads (set before NumPy loads; default 2).

Run: ``python benchmarks/ops.py [--threads 2] [--repeat 31] [--reference] [--ops conv1d]``
"""
import argparse
import sys

from _threads import use_threads


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--reference", action="store_true", help="also the reference twins")
    parser.add_argument("--ops", default="", help="only ops whose name contains this")
    return parser.parse_args()


ARGS = _arguments()
use_threads(ARGS.threads)                              # before NumPy loads

import numpy as np  # noqa: E402

from _timing import (fmt_ms, interleaved_medians, machine_line, print_table,  # noqa: E402
                     torch_or_none)
from _torch_process import TorchProcess  # noqa: E402  (before lucid)

import lucid  # noqa: E402
import lucid.nn.functional as LF  # noqa: E402

# (op, N, C_in, C_out, spatial size, kernel, keyword arguments)
OPS = [
    ("conv1d", 32, 32, 16, (256,), (4,), {"stride": 2, "padding": 1}),
    ("conv_transpose1d", 32, 32, 16, (256,), (4,), {"stride": 2, "padding": 1}),
    ("conv2d", 64, 32, 64, (14, 14), (3, 3), {"padding": 1}),
    ("conv_transpose2d", 64, 64, 32, (7, 7), (4, 4), {"stride": 2, "padding": 1}),
]


def arrays(N, C_in, C_out, S, K, transposed):
    """The input, weight and bias of one op (float32, fixed seed)."""
    rng = np.random.default_rng(0)
    w_shape = (C_in, C_out) + K if transposed else (C_out, C_in) + K
    x = rng.standard_normal((N, C_in) + S).astype(np.float32)
    w = (rng.standard_normal(w_shape) / np.sqrt(C_in * np.prod(K))).astype(np.float32)
    b = rng.standard_normal(C_out).astype(np.float32)
    return x, w, b


def calls(op, kwargs, tensor, functional, no_grad, x, w, b):
    """(fwd+bwd, fwd, result) for one framework: closures on Tensors that require grad."""
    xt, wt, bt = (tensor(a.copy()) for a in (x, w, b))
    for t in (xt, wt, bt):
        t.requires_grad = True
    fn = getattr(functional, op)

    def both():
        for t in (xt, wt, bt):
            t.grad = None
        fn(xt, wt, bt, **kwargs).sum().backward()

    def forward():
        with no_grad():
            return fn(xt, wt, bt, **kwargs)

    def result():
        both()
        return [np.asarray(forward()), *(np.asarray(t.grad) for t in (xt, wt, bt))]

    return both, forward, result


def torch_closure(op_index, part):
    """The factory run in the torch process: torch's ``fwd+bwd`` (part 0) or ``fwd``
    (part 1) closure of ``OPS[op_index]``."""
    import torch
    op, N, C_in, C_out, S, K, kwargs = OPS[op_index]
    x, w, b = arrays(N, C_in, C_out, S, K, "transpose" in op)
    return calls(op, kwargs, torch.from_numpy, torch.nn.functional, torch.no_grad,
                 x, w, b)[part]


def largest_difference(ours, theirs):
    return max(float(np.max(np.abs(a - t)) / max(float(np.max(np.abs(t))), 1e-30))
               for a, t in zip(ours, theirs))


def main():
    torch = torch_or_none(ARGS.threads)
    print(machine_line(ARGS.threads), flush=True)
    rows = []
    worker = None if torch is None else TorchProcess(__file__, sys.argv[1:], ARGS.threads)
    for op_index, (op, N, C_in, C_out, S, K, kwargs) in enumerate(OPS):
        if ARGS.ops not in op:
            continue
        x, w, b = arrays(N, C_in, C_out, S, K, "transpose" in op)
        lucid_both, lucid_fwd, lucid_result = calls(op, kwargs, lucid.Tensor, LF,
                                                    lucid.no_grad, x, w, b)
        sides = {"lucid": (lucid_both, lucid_fwd)}
        agreement = "n/a"
        if torch is not None:
            torch_result = calls(op, kwargs, torch.from_numpy, torch.nn.functional,
                                 torch.no_grad, x, w, b)[2]
            sides["torch"] = [worker.closure("torch_closure", op_index, part)
                              for part in (0, 1)]
            agreement = f"{largest_difference(lucid_result(), torch_result()):.1e}"
        if ARGS.reference:
            with lucid.kernels.use("reference"):
                ref = interleaved_medians({"both": lucid_both, "fwd": lucid_fwd},
                                          max(3, ARGS.repeat // 5))
        for part, index in (("fwd+bwd", 0), ("fwd", 1)):
            times = interleaved_medians({s: f[index] for s, f in sides.items()}, ARGS.repeat)
            line = [op, part, agreement if index == 0 else "", fmt_ms(times["lucid"])]
            if ARGS.reference:
                line.append(fmt_ms(ref["both" if index == 0 else "fwd"]))
            if torch is not None:
                line += [fmt_ms(times["torch"]), f"{times['lucid'] / times['torch']:.2f}x"]
            rows.append(line)
            print("  ".join(line), flush=True)
        for closure in sides.get("torch", ()):
            closure.drop()
    if worker is not None:
        worker.close()
    header = ["op", "part", "max rel. diff", "lucid compiled"]
    header += ["lucid reference"] if ARGS.reference else []
    header += ["torch", "lucid / torch"] if torch is not None else []
    print_table(f"single ops as a user calls them, float32, {ARGS.threads} thread(s), "
                f"medians of {ARGS.repeat} calls taking turns, torch in its own process",
                header, rows)
    print(machine_line(ARGS.threads))


if __name__ == "__main__":
    main()
