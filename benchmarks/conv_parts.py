"""The convolutions of the homework models, part by part: lucid's kernels vs PyTorch's.

For every conv shape of ``benchmarks/models.py``'s CNN, CIFAR ResNet and 1-d
autoencoder (their batch sizes), and the single ops of issue 14, the median time of
each of the three parts of a training step's convolution, side by side:

``fwd``
    the forward (lucid ``conv_forward``; torch ``conv2d`` under ``no_grad``);
``gx``
    the input gradient (lucid ``conv_transpose_forward``; torch
    ``aten.convolution_backward`` asked for the input gradient only);
``gw``
    the weight gradient (lucid ``conv_weight_grad``; torch asked for the weight
    gradient only).

For a conv_transpose row the roles are those of its own forward and backward. Also
printed: the path the compiled twin takes for each part (``_conv._path``). This is the
profile that decides which conv path to work on: the per-op numbers a user sees are in
``benchmarks/conv.py`` and the training steps in ``benchmarks/models.py``. torch's calls
are timed in a process of its own (``_torch_process.py``: in lucid's process torch would
run with lucid's OpenMP wait policy); the two processes take turns, a few calls each, so
a burst of load from another process hits both alike.

Run: ``python benchmarks/conv_parts.py [--threads 2] [--repeat 21] [--rows resnet]``
"""
import argparse

from _threads import use_threads


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--rows", default="", help="only rows whose name contains this")
    parser.add_argument("--dtype", default="float32")
    return parser.parse_args()


ARGS = _arguments()
use_threads(ARGS.threads)                              # before NumPy loads

import numpy as np  # noqa: E402

from _timing import fmt_ms, medians_with_torch, print_table  # noqa: E402
from _torch_process import torch_worker  # noqa: E402  (before lucid)

from lucid import _ext  # noqa: E402
from lucid._ext._sizes import conv_output_size  # noqa: E402

# (row, transposed, N, C_in, C_out, spatial size, kernel, stride, padding)
SHAPES = [
    ("cnn conv1", False, 64, 1, 32, (28, 28), (3, 3), (1, 1), (1, 1)),
    ("cnn conv2", False, 64, 32, 64, (14, 14), (3, 3), (1, 1), (1, 1)),
    ("resnet stem", False, 32, 3, 16, (32, 32), (3, 3), (1, 1), (1, 1)),
    ("resnet 16->16", False, 32, 16, 16, (32, 32), (3, 3), (1, 1), (1, 1)),
    ("resnet 16->32 s2", False, 32, 16, 32, (32, 32), (3, 3), (2, 2), (1, 1)),
    ("resnet 32->32", False, 32, 32, 32, (16, 16), (3, 3), (1, 1), (1, 1)),
    ("resnet 1x1 16->32 s2", False, 32, 16, 32, (32, 32), (1, 1), (2, 2), (0, 0)),
    ("resnet 32->64 s2", False, 32, 32, 64, (16, 16), (3, 3), (2, 2), (1, 1)),
    ("resnet 64->64", False, 32, 64, 64, (8, 8), (3, 3), (1, 1), (1, 1)),
    ("resnet 1x1 32->64 s2", False, 32, 32, 64, (16, 16), (1, 1), (2, 2), (0, 0)),
    ("autoenc conv1d 8->32", False, 32, 8, 32, (256,), (4,), (2,), (1,)),
    ("autoenc conv1d 32->64", False, 32, 32, 64, (128,), (4,), (2,), (1,)),
    ("autoenc convT1d 64->32", True, 32, 64, 32, (64,), (4,), (2,), (1,)),
    ("autoenc convT1d 32->8", True, 32, 32, 8, (128,), (4,), (2,), (1,)),
    ("issue conv1d 32->16 k4 s2", False, 32, 32, 16, (256,), (4,), (2,), (1,)),
    ("issue convT1d 32->16 k4 s2", True, 32, 32, 16, (256,), (4,), (2,), (1,)),
    ("issue conv2d 32->64 14x14", False, 64, 32, 64, (14, 14), (3, 3), (1, 1), (1, 1)),
    ("issue convT2d 64->32 k4 s2 7x7", True, 64, 64, 32, (7, 7), (4, 4), (2, 2), (1, 1)),
]


def arrays(transposed, N, C_in, C_out, S, K, s, p):
    """The input, weight and output gradient of one shape (``--dtype``, fixed seed)."""
    rng = np.random.default_rng(0)
    dt = np.dtype(ARGS.dtype)
    if transposed:
        # conv_transpose of x (N, C_in, S) = adjoint of a conv from the output back to S
        O = tuple((Si - 1) * si - 2 * pi + Ki for Si, Ki, si, pi in zip(S, K, s, p))
        w = rng.standard_normal((C_in, C_out) + K).astype(dt)
    else:
        O = tuple(conv_output_size(*a) for a in zip(S, K, s, p, (1,) * len(S)))
        w = rng.standard_normal((C_out, C_in) + K).astype(dt)
    x = rng.standard_normal((N, C_in) + S).astype(dt)
    gy = rng.standard_normal((N, C_out) + O).astype(dt)
    return x, w, gy


def lucid_parts(kern, transposed, N, C_in, C_out, S, K, s, p):
    """{part: lucid's call} for one shape, on the kernels ``kern``."""
    x, w, gy = arrays(transposed, N, C_in, C_out, S, K, s, p)
    one, zero = (1,) * len(S), (0,) * len(S)
    if transposed:
        return {
            "fwd": lambda: kern.conv_transpose_forward(x, w, s, p, zero, one, 1),
            "gx": lambda: kern.conv_forward(gy, w, s, p, one, 1),
            "gw": lambda: kern.conv_weight_grad(gy, x, K, s, p, one, 1),
        }
    O = gy.shape[2:]
    op = tuple(Si - ((Oi - 1) * si - 2 * pi + Ki) for Si, Oi, Ki, si, pi in zip(S, O, K, s, p))
    return {
        "fwd": lambda: kern.conv_forward(x, w, s, p, one, 1),
        "gx": lambda: kern.conv_transpose_forward(gy, w, s, p, op, one, 1),
        "gw": lambda: kern.conv_weight_grad(x, gy, K, s, p, one, 1),
    }


def torch_closure(index, part):
    """The factory run in the torch process (``_torch_process.py``): torch's call for
    ``part`` of ``SHAPES[index]``."""
    import torch
    transposed, N, C_in, C_out, S, K, s, p = SHAPES[index][1:]
    tx, tw, tgy = (torch.from_numpy(a) for a in arrays(transposed, N, C_in, C_out, S, K, s, p))
    one, zero = [1] * len(S), [0] * len(S)
    if part == "fwd":
        def fwd():
            with torch.no_grad():
                return torch.ops.aten.convolution(tx, tw, None, list(s), list(p), one,
                                                  transposed, zero, 1)
        return fwd
    mask = [part == "gx", part == "gw", False]
    return lambda: torch.ops.aten.convolution_backward(
        tgy, tx, tw, None, list(s), list(p), one, transposed, zero, 1, mask)


def main():
    kern = _ext.get("conv")
    worker = torch_worker(__file__, ARGS.threads)
    rows = []
    totals = {"lucid": 0.0, "torch": 0.0}
    for index, (name, *shape) in enumerate(SHAPES):
        if ARGS.rows not in name:
            continue
        for part, fn in lucid_parts(kern, *shape).items():
            t = medians_with_torch({"lucid": fn}, ARGS.repeat, worker, "torch_closure",
                                   index, part)
            line = [name, part, fmt_ms(t["lucid"])]
            if worker is not None:
                line += [fmt_ms(t["torch"]), f"{t['lucid'] / t['torch']:.2f}x"]
            if name.startswith("resnet"):
                totals = {side: totals[side] + t.get(side, 0.0) for side in totals}
            rows.append(line)
    if worker is not None:
        worker.close()
    header = ["shape", "part", "lucid"]
    header += ["torch", "lucid / torch"] if worker is not None else []
    print_table(f"conv parts, {ARGS.dtype}, {ARGS.threads} thread(s), medians of "
                f"{ARGS.repeat} calls taking turns, torch in its own process", header, rows)
    if totals["lucid"] and worker is not None:
        print(f"\nresnet convs in all: lucid {fmt_ms(totals['lucid'])}, torch "
              f"{fmt_ms(totals['torch'])}, {totals['lucid'] / totals['torch']:.2f}x")
    elif totals["lucid"]:
        print(f"\nresnet convs in all: lucid {fmt_ms(totals['lucid'])}")


if __name__ == "__main__":
    main()
