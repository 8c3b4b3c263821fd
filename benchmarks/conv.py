"""Convolution kernels: reference twin, compiled twin and PyTorch, float32, 2 threads.

For every case the median time of the forward pass and of forward + backward, with
GFLOP/s (2 flops per multiply-add of the direct sum; forward + backward counts 3 such
sums) and the ratios compiled/torch (the targets: <= 1.0 on the 1d cases, <= 1.5 on the
2d ones) and reference/compiled (what compiling buys; the target is > 1).

lucid's backward is its two kernels: the input gradient (conv_transpose_forward for a
conv, conv_forward for a conv_transpose) and conv_weight_grad; for a conv_transpose the
compiled twin computes both from one im2col of the output gradient (its private
``_transpose_grads``), as ``lucid.ops.conv`` does. PyTorch's forward runs
under ``no_grad``; its forward + backward is ``y = f(x, w); y.backward(grad_y)``.
PyTorch is timed in a process of its own (``_torch_process.py``: in lucid's process it
would run with lucid's OpenMP wait policy), taking turns with the compiled twin; the
reference twin is timed alone, after them.

The compiled twin's GEMMs run on NumPy's BLAS, called from every OpenMP thread for its
own samples where lucid can reach its ``cblas_?gemm`` (``lucid/_ext/_blas.py``): the
header line names the BLAS, says whether it is called directly, and lists the OpenBLAS
environment variables in force (``OPENBLAS_CORETYPE`` pins an older, slower
kernel where it is set; to see what a current NumPy does, unset it together with
``OPENBLAS_L2_SIZE`` for the benchmark command only).

Run: ``python benchmarks/conv.py`` (``--quick``: fewer repeats, a smoke run;
``--case TEXT``: only the cases whose description contains TEXT; ``--threads N``: N
threads for PyTorch, OpenBLAS and OpenMP instead of 2, e.g. 1 to compare the work each
side does on a machine busy with other jobs).
"""
import argparse
import math
import os
import pathlib
import sys


def _threads_from_argv(default="2"):
    """--threads N, read before NumPy loads: OpenBLAS sizes its pool when it loads."""
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return default


if "--threads" in " ".join(sys.argv):
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[_var] = _threads_from_argv()

import numpy as np  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # _timing, and lucid from this checkout
from _timing import median_time, medians_with_torch, print_table  # noqa: E402
from _torch_process import torch_worker  # noqa: E402  (before lucid)

from lucid import _ext  # noqa: E402
from lucid._ext._sizes import conv_output_size, conv_transpose_output_size  # noqa: E402

# (op, N, C_in, C_out, spatial size, kernel, stride, padding, output_padding, groups)
CASES = [
    ("conv_transpose1d", 32, 32, 16, (256,), (4,), (2,), (1,), (0,), 1),
    ("conv_transpose1d", 8, 64, 64, (1024,), (3,), (1,), (1,), (0,), 1),
    ("conv_transpose1d", 64, 16, 16, (64,), (5,), (2,), (2,), (1,), 4),
    ("conv_transpose1d", 32, 32, 32, (256,), (4,), (2,), (1,), (0,), 32),
    ("conv1d", 32, 32, 16, (256,), (4,), (2,), (1,), (0,), 1),
    ("conv1d", 8, 64, 64, (1024,), (3,), (1,), (1,), (0,), 1),
    ("conv1d", 64, 16, 16, (64,), (5,), (2,), (2,), (0,), 4),
    ("conv1d", 32, 32, 32, (256,), (4,), (2,), (1,), (0,), 32),
    ("conv2d", 64, 1, 32, (28, 28), (3, 3), (1, 1), (1, 1), (0, 0), 1),
    ("conv2d", 64, 32, 64, (14, 14), (3, 3), (1, 1), (1, 1), (0, 0), 1),
    ("conv_transpose2d", 64, 64, 32, (7, 7), (4, 4), (2, 2), (1, 1), (0, 0), 1),
]


def describe(case):
    op, N, C_in, C_out, S, K, s, p, op_, g = case
    text = f"{op} N{N} {C_in}->{C_out} {'x'.join(map(str, S))} K{K[0]}"
    text += f" s{s[0]}" if s[0] != 1 else ""
    text += f" p{p[0]}" if p[0] else ""
    text += f" op{op_[0]}" if op_[0] else ""
    text += f" g{g}" if g != 1 else ""
    return text


def lucid_passes(kernels, case, x, w, gy):
    """(forward, forward + backward) closures on one twin's kernels."""
    op, N, C_in, C_out, S, K, s, p, op_, g = case
    d = (1,) * len(S)
    if op.startswith("conv_transpose"):
        def forward():
            return kernels.conv_transpose_forward(x, w, s, p, op_, d, g)

        both_grads = getattr(kernels, "_transpose_grads", None)

        def both():
            forward()
            if both_grads is not None:   # as lucid.ops.conv does: im2col(grad_y) once
                both_grads(gy, x, w, s, p, d, g)
            else:
                kernels.conv_forward(gy, w, s, p, d, g)                 # grad_x
                kernels.conv_weight_grad(gy, x, K, s, p, d, g)          # grad_w
    else:
        O = gy.shape[2:]
        back_op = tuple(Si - conv_transpose_output_size(o, k, si, pi, 0, 1)
                        for Si, o, k, si, pi in zip(S, O, K, s, p))

        def forward():
            return kernels.conv_forward(x, w, s, p, d, g)

        def both():
            forward()
            kernels.conv_transpose_forward(gy, w, s, p, back_op, d, g)   # grad_x
            kernels.conv_weight_grad(x, gy, K, s, p, d, g)               # grad_w
    return forward, both


def torch_passes(torch, case, x, w, gy):
    op, N, C_in, C_out, S, K, s, p, op_, g = case
    F = torch.nn.functional
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    gyt = torch.from_numpy(gy)
    if op.startswith("conv_transpose"):
        fn = getattr(F, op)

        def call():
            return fn(xt, wt, None, s, p, op_, g, 1)
    else:
        fn = getattr(F, op)

        def call():
            return fn(xt, wt, None, s, p, 1, g)

    def forward():
        with torch.no_grad():
            return call()

    def both():
        xt.grad = wt.grad = None
        call().backward(gyt)
    return forward, both


def torch_closure(index, part):
    """The factory run in the torch process (``_torch_process.py``): torch's forward
    (``part`` 0) or forward + backward (1) of ``CASES[index]``."""
    import torch
    return torch_passes(torch, CASES[index], *arrays(index)[:3])[part]


def arrays(index):
    """x, w, the output gradient and the flops of the direct sum of ``CASES[index]``."""
    op, N, C_in, C_out, S, K, s, p, op_, g = CASES[index]
    rng = np.random.default_rng(index)
    x = rng.standard_normal((N, C_in) + S).astype(np.float32)
    if op.startswith("conv_transpose"):
        w = rng.standard_normal((C_in, C_out // g) + K).astype(np.float32)
        O = tuple(conv_transpose_output_size(*a) for a in zip(S, K, s, p, op_, (1,) * len(S)))
        flops = 2 * N * C_in * math.prod(S) * (C_out // g) * math.prod(K)
    else:
        w = rng.standard_normal((C_out, C_in // g) + K).astype(np.float32)
        O = tuple(conv_output_size(*a) for a in zip(S, K, s, p, (1,) * len(S)))
        flops = 2 * N * C_out * math.prod(O) * (C_in // g) * math.prod(K)
    gy = rng.standard_normal((N, C_out) + O).astype(np.float32)
    return x, w, gy, flops


def blas_description():
    """NumPy's BLAS as built, and the OpenBLAS variables of this environment."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        text = blas.get("openblas configuration") or f"{blas['name']} {blas['version']}"
    except Exception:                          # an unusual build: say so, time anyway
        text = "unknown"
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                      "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
           if k in os.environ}
    from lucid._ext import _blas
    found = _blas.find()
    direct = (f"called from each thread ({os.path.basename(found.path)})" if found
              else "not callable directly: the batch-chunk path around np.matmul")
    return f"{' '.join(text.split())}; environment {env or '{}'}; gemm {direct}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke run")
    parser.add_argument("--case", default="", metavar="TEXT",
                        help="only the cases whose description contains TEXT")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for PyTorch, OpenBLAS and OpenMP (default 2)")
    args = parser.parse_args()
    repeat = 3 if args.quick else 15
    if not _ext.compiled_available("conv"):
        sys.exit("the compiled conv twin is not built: run `python setup.py build_ext --inplace`")
    _ext._load("conv")
    twins = {"reference": _ext._reference["conv"], "compiled": _ext._compiled["conv"]}
    worker = torch_worker(__file__, args.threads)

    header = ["case", "pass", "reference", "compiled", "torch", "GFLOP/s ref/comp/torch",
              "compiled/torch", "reference/compiled"]
    rows, misses = [], []
    print(f"BLAS: {blas_description()}")
    for index, case in enumerate(CASES):
        if args.case not in describe(case):
            continue
        x, w, gy, flops = arrays(index)
        passes = {name: lucid_passes(k, case, x, w, gy) for name, k in twins.items()}
        # the twins agree before anything is timed
        np.testing.assert_allclose(passes["compiled"][0](), passes["reference"][0](),
                                   rtol=1e-3, atol=1e-3)
        for i, name in enumerate(["forward", "fwd+bwd"]):
            work = flops * (1 if i == 0 else 3)
            t = medians_with_torch({"compiled": passes["compiled"][i]}, repeat, worker,
                                   "torch_closure", index, i)
            t["reference"] = median_time(passes["reference"][i], repeat=3, warmup=2)
            t = {k: t[k] for k in ("reference", "compiled", "torch") if k in t}
            gflops = "/".join(f"{work / t[k] / 1e9:.1f}" for k in t)
            vs_torch = t["compiled"] / t["torch"] if "torch" in t else None
            rows.append([
                describe(case) if i == 0 else "", name,
                *(f"{t[k] * 1e3:.3f} ms" for k in ("reference", "compiled")),
                f"{t['torch'] * 1e3:.3f} ms" if "torch" in t else "(no torch)",
                gflops,
                f"{vs_torch:.2f}x" if vs_torch is not None else "-",
                f"{t['reference'] / t['compiled']:.1f}x",
            ])
            if i == 1:
                target = 1.0 if "1d" in case[0] else 1.5
                if vs_torch is not None and vs_torch > target:
                    misses.append(f"{describe(case)}: compiled/torch {vs_torch:.2f}x > {target}x")
                if t["reference"] <= t["compiled"]:
                    misses.append(f"{describe(case)}: compiled not faster than the reference")
    if worker is not None:
        worker.close()
    print_table(f"convolution kernels, float32, median of {repeat} (reference: of 3); "
                f"{args.threads} thread(s); compiled and torch taking turns, torch in its "
                "own process", header, rows)
    print("  compiled/torch < 1: the compiled twin is faster than PyTorch")
    print("  targets (fwd+bwd): compiled/torch <= 1.0x on 1d, <= 1.5x on 2d; compiled "
          "faster than reference everywhere")
    for line in misses or ["all targets met"]:
        print("  " + line)


if __name__ == "__main__":
    main()
