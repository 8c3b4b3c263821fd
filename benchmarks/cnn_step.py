"""One training step of the homework CNN: lucid compiled vs lucid reference vs PyTorch.

The model (issue 5): conv3x3 1->32 (padding 1) -> ReLU -> maxpool 2 -> conv3x3 32->64
(padding 1) -> ReLU -> maxpool 2 -> flatten -> Linear(64*7*7 -> 10), batch 64 of 1x28x28
float32, cross-entropy loss, SGD(lr=0.01, momentum=0.9). One step = zero_grad, forward,
loss, backward, optimizer step.

Prints the median step time of each side by side, the ratios, and a per-op profile of
the compiled lucid step (where the time goes). torch's steps are timed in a process of
its own (``_torch_process.py``: in lucid's process torch would run with lucid's OpenMP
wait policy), taking turns with lucid's compiled step.

Run: ``python benchmarks/cnn_step.py [--repeat 15]``
"""
import argparse
import cProfile
import pathlib
import pstats
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _timing import fmt_ms, median_time, medians_with_torch, print_table  # noqa: E402
from _torch_process import torch_worker  # noqa: E402  (before lucid)

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402
import lucid.nn.functional as F  # noqa: E402

BATCH = 64


def batch():
    """The batch every step trains on: (images, labels), fixed seed."""
    rng = np.random.default_rng(0)
    return (rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, size=BATCH).astype(np.int64))


class LucidCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.reshape(x.shape[0], -1))


def lucid_step_fn(x_np, y_np):
    model = LucidCNN()
    opt = lucid.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = lucid.Tensor(x_np), lucid.Tensor(y_np)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def torch_step_fn(torch, x_np, y_np):
    tnn = torch.nn
    model = tnn.Sequential(
        tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(64 * 7 * 7, 10),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def step():
        opt.zero_grad()
        loss = tnn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def torch_closure():
    """The factory run in the torch process (``_torch_process.py``): torch's step."""
    import torch
    return torch_step_fn(torch, *batch())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-reference", action="store_true", help="skip the slow reference twin")
    args = parser.parse_args()

    x_np, y_np = batch()
    worker = torch_worker(__file__, threads=2)
    compiled_step = lucid_step_fn(x_np, y_np)
    times = medians_with_torch({"lucid compiled": compiled_step}, args.repeat, worker,
                               "torch_closure", name="torch (2 threads)")
    if worker is not None:
        worker.close()
    if not args.no_reference:
        with lucid.kernels.use("reference"):
            reference_step = lucid_step_fn(x_np, y_np)
            times["lucid reference"] = median_time(reference_step, repeat=max(3, args.repeat // 5))
    base = times.get("torch (2 threads)")
    rows = [[name, fmt_ms(t), f"{t / base:.2f}x" if base else "n/a"] for name, t in times.items()]
    print_table(f"Homework CNN training step, batch {BATCH} (medians; lucid compiled and torch "
                "taking turns, torch in its own process)",
                ["implementation", "step", "vs torch"], rows)
    print("\nTarget: lucid compiled at most 1.5x PyTorch's step time.")
    from lucid import _blas_env
    print("NumPy was imported before lucid here, so OpenBLAS's threads spin after each call"
          " and lucid runs its small products (the Linear layer) on one thread"
          if _blas_env.BLAS_SPINS else
          "OPENBLAS_THREAD_TIMEOUT is in force: OpenBLAS's threads sleep after each call",
          "(lucid/_blas_env.py).")

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(5):
        compiled_step()
    profile.disable()
    print("\nWhere the compiled step's time goes (5 steps, top functions by own time):")
    pstats.Stats(profile).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
