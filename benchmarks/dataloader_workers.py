"""One epoch of a DataLoader whose samples cost time to make, with 0, 1 and 2 workers:
lucid's and PyTorch's, side by side (medians; ratios within one run).

Each sample is a 32x32 image "augmented" in NumPy (a blur by repeated shifts, about
0.5 ms), 256 samples in batches of 32: the case workers are for. A worker pool's start
(fork) is part of every epoch here (persistent_workers=False), as in a loop that builds
no persistent pool. PyTorch's epochs run in a process of its own
(``_torch_process.py``: in lucid's process it would run with lucid's OpenMP wait policy),
taking turns with lucid's. Run: ``python benchmarks/dataloader_workers.py``.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import fmt_ms, medians_with_torch, print_table  # noqa: E402
from _torch_process import torch_worker  # noqa: E402  (before lucid)

import lucid  # noqa: E402
from lucid.data import DataLoader  # noqa: E402

N, BATCH = 256, 32


class Augmented:
    """Sample i: a fixed random image blurred 40 times, and its label."""

    def __init__(self):
        self.images = np.random.default_rng(0).random((N, 32, 32)).astype(np.float32)

    def __len__(self):
        return N

    def __getitem__(self, i):
        image = self.images[i]
        for _ in range(40):
            image = (image + np.roll(image, 1, 0) + np.roll(image, 1, 1)) / 3
        return image, i % 10


def epoch(loader):
    for _ in loader:
        pass


def torch_closure(workers):
    """The factory run in the torch process (``_torch_process.py``): one epoch of torch's
    DataLoader with ``workers`` workers."""
    import torch
    dataset = Augmented()
    return lambda: epoch(torch.utils.data.DataLoader(dataset, BATCH, shuffle=True,
                                                     num_workers=workers))


def main():
    worker = torch_worker(__file__, threads=2)
    dataset = Augmented()
    rows = []
    for workers in (0, 1, 2):
        t = medians_with_torch(
            {"lucid": lambda: epoch(DataLoader(dataset, BATCH, shuffle=True,
                                               num_workers=workers))},
            5, worker, "torch_closure", workers)
        row = [workers, fmt_ms(t["lucid"])]
        if worker is not None:
            row += [fmt_ms(t["torch"]), f"{t['lucid'] / t['torch']:.2f}x"]
        rows.append(row)
    if worker is not None:
        worker.close()
    header = ["num_workers", "lucid", *(["torch", "lucid/torch"] if worker is not None else [])]
    print_table(f"One epoch: {N} samples of ~0.5 ms each, batches of {BATCH} (os.cpu_count() = "
                f"{os.cpu_count()}; medians of 5, taking turns, torch in its own process)",
                header, rows)


if __name__ == "__main__":
    main()
