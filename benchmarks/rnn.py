"""One LSTM and one GRU layer: their time loops on each kernel twin, and the layers
against PyTorch's.

The layer of ``benchmarks/lstm_lm.py``: 200 inputs, 200 hidden units, a batch of 20
sequences of 35 steps, float32. Timed, median of the repetitions:

* the ``rnn`` kernels alone (``lucid/_ext/rnn.py`` and ``_rnn.pyx``): ``lstm_forward``
  and ``lstm_backward``, ``gru_forward`` and ``gru_backward``, over the whole sequence,
  on the reference twin (NumPy calls per step) and on the compiled twin;
* the layers as a user runs them, forward and backward: ``nn.LSTM(200, 200)`` and
  ``nn.GRU(200, 200)`` on a ``(35, 20, 200)`` input, ``y.sum().backward()`` (the time
  loop plus the products over all steps, ``X W_ih^T`` before it and three gradient
  products after it), lucid's against PyTorch's (which runs oneDNN's fused LSTM), each
  in its own process, taking turns.

The twins' results are compared before timing (float32: to 1e-4).

Run: ``python benchmarks/rnn.py [--repeat 15]``
"""
import argparse
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # _timing, and lucid from this checkout
from _timing import fmt_ms, interleaved_medians, medians_with_torch, print_table  # noqa: E402
from _torch_process import torch_worker  # noqa: E402  (before lucid)

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402
from lucid import _ext  # noqa: E402

STEPS, BATCH, SIZE = 35, 20, 200
GATES = {"LSTM": 4, "GRU": 3}


def kernel_inputs(cell):
    """Pre-activations, states, W_hh, b_hh and output gradients of one layer of ``cell``
    (fixed seed)."""
    rng = np.random.default_rng(0)
    rows, H, gates = STEPS * BATCH, SIZE, GATES[cell]
    return dict(
        gates=rng.standard_normal((rows, gates * H)).astype(np.float32),
        h0=np.zeros((BATCH, H), np.float32), c0=np.zeros((BATCH, H), np.float32),
        w_hh=(rng.standard_normal((gates * H, H)) / np.sqrt(H)).astype(np.float32),
        b_hh=rng.standard_normal(gates * H).astype(np.float32),
        batch_sizes=np.full(STEPS, BATCH, dtype=np.int64),
        dy=rng.standard_normal((rows, H)).astype(np.float32))


def kernel_calls(kernel, cell, a):
    """``(forward, backward)`` closures of one twin's kernels of ``cell``, and their
    results."""
    if cell == "GRU":
        def forward():
            return kernel.gru_forward(a["gates"], a["h0"], a["w_hh"], a["b_hh"],
                                      a["batch_sizes"], False)

        y, h_prev, saved, h_n = forward()

        def backward():
            return kernel.gru_backward(saved, h_prev, a["w_hh"], a["dy"], a["h0"],
                                       a["batch_sizes"], False)

        return forward, backward, (y, saved, h_n) + tuple(backward())

    def forward():
        return kernel.lstm_forward(a["gates"].copy(), a["h0"], a["c0"], a["w_hh"],
                                   a["batch_sizes"], False)

    gates = a["gates"].copy()
    y, h_prev, c_prev, tanh_c, h_n, c_n = kernel.lstm_forward(
        gates, a["h0"], a["c0"], a["w_hh"], a["batch_sizes"], False)

    def backward():
        return kernel.lstm_backward(gates, tanh_c, c_prev, a["w_hh"], a["dy"], a["h0"],
                                    a["c0"], a["batch_sizes"], False)

    return forward, backward, (gates, y, h_n, c_n) + tuple(backward())


def layer_input():
    return np.random.default_rng(1).standard_normal((STEPS, BATCH, SIZE)).astype(np.float32)


def layer_step(layer, x):
    """One forward and backward of ``layer`` on the leaf ``x``, written once for both
    frameworks (their ``nn.LSTM`` and Tensors answer the same calls)."""
    def step():
        layer.zero_grad()
        x.grad = None
        y, _ = layer(x)
        y.sum().backward()
    return step


def torch_closure(cell):
    """The factory run in the torch process: one layer of ``cell``, forward and
    backward."""
    import torch
    torch.manual_seed(0)
    return layer_step(getattr(torch.nn, cell)(SIZE, SIZE),
                      torch.from_numpy(layer_input()).requires_grad_())


def lucid_closure(cell):
    lucid.random.seed(0)
    return layer_step(getattr(nn, cell)(SIZE, SIZE),
                      lucid.tensor(layer_input(), requires_grad=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    if not _ext.compiled_available("rnn"):
        sys.exit("the compiled rnn twin is not built: run `python setup.py build_ext --inplace`")
    rows = []
    for cell in GATES:
        a = kernel_inputs(cell)
        ref_fwd, ref_bwd, ref_out = kernel_calls(_ext._reference["rnn"], cell, a)
        cmp_fwd, cmp_bwd, cmp_out = kernel_calls(_ext._compiled["rnn"], cell, a)
        for r, c in zip(ref_out, cmp_out):
            np.testing.assert_allclose(c, r, rtol=1e-4, atol=1e-4)
        kernels = interleaved_medians({"reference forward": ref_fwd,
                                       "reference backward": ref_bwd,
                                       "compiled forward": cmp_fwd,
                                       "compiled backward": cmp_bwd}, args.repeat)
        rows += [[f"{cell} {part}", fmt_ms(kernels[f"reference {part}"]),
                  fmt_ms(kernels[f"compiled {part}"]),
                  f"{kernels[f'reference {part}'] / kernels[f'compiled {part}']:.1f}x"]
                 for part in ("forward", "backward")]
    print_table(f"rnn kernels: one layer's time loop ({STEPS} steps, batch {BATCH}, "
                f"{SIZE} units, float32), median of {args.repeat}",
                ["loop", "reference", "compiled", "reference / compiled"], rows)

    worker = torch_worker(__file__, threads=2)
    rows = []
    for cell in GATES:
        layer = medians_with_torch({"lucid": lucid_closure(cell)}, args.repeat, worker,
                                   "torch_closure", cell)
        torch_t = layer.get("torch")
        rows.append([f"nn.{cell}({SIZE}, {SIZE})", fmt_ms(layer["lucid"]),
                     fmt_ms(torch_t) if torch_t else "(no torch)",
                     f"{layer['lucid'] / torch_t:.2f}x" if torch_t else "-"])
    if worker is not None:
        worker.close()
    print()
    print_table(f"layers on ({STEPS}, {BATCH}, {SIZE}): forward + backward, median of "
                f"{args.repeat}, taking turns (torch in its own process)",
                ["layer", "lucid compiled", "torch (2 threads)", "lucid / torch"], rows)


if __name__ == "__main__":
    main()
