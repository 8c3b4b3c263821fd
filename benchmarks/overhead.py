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


def cases(a, b):
    """The two timed calls on the 1-element tensors ``a`` and ``b`` (lucid's or torch's:
    both spell ``+``, ``sum`` and ``backward`` alike), by case name."""

    def record():
        return a + b

    def step():
        c = a + b
        c.sum().backward()

    return {"add (record)": record, "add + sum + backward": step}


def main():
    torch = torch_or_none(threads=2)
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
        f"Per-op overhead, 1-element float32 tensors (median of 7 x {NUMBER} calls)",
        ["case", "lucid", "torch 2 threads", "lucid / torch"],
        rows,
    )
    print("\nTarget: add + sum + backward at most 1.0x PyTorch's time.")


if __name__ == "__main__":
    main()
