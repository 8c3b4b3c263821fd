"""lucid's speed must not depend on what was imported before it.

The homework CNN (``benchmarks/cnn_step.py``'s model) runs a batch-1 forward pass on the
compiled twins in fresh interpreters that import, in order:

* ``lucid`` alone (lucid sets ``OPENBLAS_THREAD_TIMEOUT`` and ``OMP_WAIT_POLICY``
  before OpenBLAS and OpenMP load);
* ``numpy`` then ``lucid`` (too late for OpenBLAS to read the variable at load: lucid
  makes it re-read its environment and restart its threads);
* ``torch`` then ``lucid`` (the same, and PyTorch's OpenMP runtime was set up before
  lucid could ask its idle threads to sleep);
* ``torch`` then ``lucid`` with ``LUCID_BLAS=numpy``, where lucid does not reach
  OpenBLAS and cannot restart it: what every torch-first import was before.

Prints the median forward time of each, its ratio to ``lucid`` alone, and who set
``OPENBLAS_THREAD_TIMEOUT`` (from :func:`lucid.kernels.settings`).

Run: ``python benchmarks/import_order.py``
"""
import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]
from _timing import print_table  # noqa: E402

ORDERS = [
    ("lucid", "import lucid", {}),
    ("numpy, lucid", "import numpy; import lucid", {}),
    ("torch, lucid", "import torch; import lucid", {}),
    ("torch, lucid (LUCID_BLAS=numpy)", "import torch; import lucid", {"LUCID_BLAS": "numpy"}),
]

CHILD = """
{imports}
import json, sys
sys.path[:0] = [{here!r}, {root!r}]
import numpy as np
from _timing import median_time
from cnn_step import LucidCNN
import lucid

model = LucidCNN()
x = lucid.Tensor(np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype("f4"))
with lucid.no_grad():
    seconds = median_time(lambda: model(x), repeat=31, number=20)
print(json.dumps({{"ms": seconds * 1e3,
                  "timeout": lucid.kernels.settings()["OPENBLAS_THREAD_TIMEOUT"].set_by}}))
"""


def main():
    try:
        import torch  # noqa: F401
        orders = ORDERS
    except ImportError:
        print("PyTorch is not installed: only the orders without it run.")
        orders = [o for o in ORDERS if "torch" not in o[1]]
    rows, base = [], None
    for name, imports, extra in orders:
        env = {k: v for k, v in os.environ.items()
               if k not in ("OPENBLAS_THREAD_TIMEOUT", "OMP_WAIT_POLICY", "LUCID_BLAS")}
        env.update(extra, OMP_NUM_THREADS="2", LUCID_KERNELS="compiled")
        code = CHILD.format(imports=imports, here=str(HERE), root=str(HERE.parent))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        base = base or result["ms"]
        rows.append([name, f"{result['ms']:.3f} ms", f"{result['ms'] / base:.2f}x",
                     result["timeout"]])
    print_table("Homework CNN, batch-1 forward (median of 31 x 20 calls), by import order",
                ["imported first", "forward", "vs lucid alone", "OPENBLAS_THREAD_TIMEOUT set by"],
                rows)


if __name__ == "__main__":
    main()
