"""One epoch of a DataLoader whose samples cost time to make, with 0, 1 and 2 workers:
lucid's and PyTorch's, side by side (medians; ratios within one run).

Each sample is a 32x32 image "augmented" in NumPy (a blur by repeated shifts, about
0.5 ms), 256 samples in batches of 32: the case workers are for. A worker pool's start
(fork) is part of every epoch here (persistent_workers=False), as in a loop that builds
no persistent pool. Run: ``python benchmarks/dataloader_workers.py``.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import fmt_ms, median_time, print_table, torch_or_none  # noqa: E402

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


def main():
    torch = torch_or_none()
    dataset = Augmented()
    rows = []
    for workers in (0, 1, 2):
        ours = median_time(lambda: epoch(DataLoader(dataset, BATCH, shuffle=True, num_workers=workers)),
                           repeat=5, warmup=1)
        row = [workers, fmt_ms(ours)]
        if torch is not None:
            theirs = median_time(lambda: epoch(torch.utils.data.DataLoader(
                dataset, BATCH, shuffle=True, num_workers=workers)), repeat=5, warmup=1)
            row += [fmt_ms(theirs), f"{ours / theirs:.2f}x"]
        rows.append(row)
    header = ["num_workers", "lucid", *(["torch", "lucid/torch"] if torch is not None else [])]
    print_table(f"One epoch: {N} samples of ~0.5 ms each, batches of {BATCH} (os.cpu_count() = "
                f"{os.cpu_count()})", header, rows)


if __name__ == "__main__":
    main()
