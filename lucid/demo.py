"""A tiny end-to-end run of lucid: fit a line with autograd, then show the kernels.

Run it with ``python -m lucid.demo``. It builds ``y = 3x - 2`` plus noise, fits ``w`` and
``b`` by gradient descent on the mean squared error, checks the gradient with
``gradcheck``, and prints which kernel twin (reference or compiled) each family runs.
Later versions grow this into a homework model.
"""
import time

import numpy as np

import lucid

__all__ = ["main"]


def fit_line(steps=200, lr=0.1, seed=0):
    """Fit ``y ≈ w x + b`` by gradient descent; return ``(w, b, loss)`` as floats."""
    rng = np.random.default_rng(seed)
    x_np = rng.uniform(-1, 1, size=(64, 1)).astype(np.float32)
    y_np = (3 * x_np - 2 + 0.05 * rng.standard_normal((64, 1))).astype(np.float32)
    x, y = lucid.Tensor(x_np), lucid.Tensor(y_np)
    w = lucid.Tensor([[0.0]], requires_grad=True)
    b = lucid.Tensor([0.0], requires_grad=True)
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        w.zero_grad()
        b.zero_grad()
        loss.backward()
        with lucid.no_grad():
            w.data -= lr * w.grad
            b.data -= lr * b.grad
    return float(w.item()), float(b.item()), float(loss.item())


def main():
    print("lucid", lucid.__version__, "- a tiny autograd demo\n")
    t0 = time.perf_counter()
    w, b, loss = fit_line()
    sign = "+" if b >= 0 else "-"
    print(f"fitted y = {w:.3f} x {sign} {abs(b):.3f}  (truth: y = 3 x - 2), mse {loss:.5f},"
          f" {time.perf_counter() - t0:.2f} s")
    x = lucid.Tensor([0.5, -1.0, 2.0], requires_grad=True)
    ok = lucid.autograd.gradcheck(lambda t: (t * t.exp()).sum(), [x])
    print(f"gradcheck of sum(x * exp(x)): {'passed' if ok else 'FAILED'}\n")
    print("kernel twins:")
    print(lucid.kernels.status())


if __name__ == "__main__":
    main()
