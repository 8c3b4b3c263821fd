"""Per-op overhead of the autograd core: ``c = a + b; c.sum().backward()`` on 1-element tensors.

Prints lucid's and PyTorch's medians side by side (same process, same machine), for
recording the add alone and for add + sum + backward, with the ratio lucid / PyTorch.

Run: ``python benchmarks/overhead.py``
"""
import sys
import pathlib

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _timing import fmt_us, median_time, print_table, torch_or_none  # noqa: E402

import lucid  # noqa: E402

NUMBER = 20_000


def lucid_cases():
    a = lucid.Tensor(np.ones(1, dtype=np.float32), requires_grad=True)
    b = lucid.Tensor(np.ones(1, dtype=np.float32), requires_grad=True)

    def record():
        return a + b

    def step():
        c = a + b
        c.sum().backward()

    return record, step


def torch_cases(torch):
    a = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)

    def record():
        return a + b

    def step():
        c = a + b
        c.sum().backward()

    return record, step


def main():
    torch = torch_or_none(threads=2)
    l_record, l_step = lucid_cases()
    rows = []
    results = {}
    for name, fn in [("add (record)", l_record), ("add + sum + backward", l_step)]:
        results[name] = [median_time(fn, repeat=7, number=NUMBER)]
    if torch is not None:
        t_record, t_step = torch_cases(torch)
        for name, fn in [("add (record)", t_record), ("add + sum + backward", t_step)]:
            results[name].append(median_time(fn, repeat=7, number=NUMBER))
    for name, times in results.items():
        if len(times) == 2:
            rows.append([name, fmt_us(times[0]), fmt_us(times[1]), f"{times[0] / times[1]:.2f}x"])
        else:
            rows.append([name, fmt_us(times[0]), "n/a", "n/a"])
    print_table(
        f"Per-op overhead, 1-element float32 tensors (median of 7 x {NUMBER} calls)",
        ["case", "lucid", "torch 2 threads", "lucid / torch"],
        rows,
    )
    print("\nTarget: add + sum + backward at most 1.0x PyTorch's time.")


if __name__ == "__main__":
    main()
