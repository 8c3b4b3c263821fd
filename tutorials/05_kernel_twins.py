# %% [markdown]
# # 5. Reading a kernel's twins, and timing them
#
# Every numeric kernel of lucid exists twice: a *reference* twin in plain NumPy
# (`lucid/_ext/conv.py`), written to be read beside its formula, and a *compiled* twin
# in Cython (`lucid/_ext/_conv.pyx`) with the same functions, arguments and results,
# written to be fast. Operations call whichever twin is active. In this walkthrough you
# read the reference convolution, check it against a loop you write yourself, switch
# twins with `lucid.kernels.use`, time both on the same input and check they agree.
#
# Run it with `python tutorials/05_kernel_twins.py [FIGURE_FOLDER]`
# (`LUCID_TUTORIAL_FAST=1` times smaller inputs with fewer repeats).

# %%
import inspect
import time

import numpy as np

import lucid
from lucid import _ext
from lucid.testing import assert_close
from _tutorial import FAST, plt, save_figure

REPEATS = 3 if FAST else 15
print(lucid.kernels.status())
compiled_built = lucid.kernels.status()["conv"].compiled_built

# %% [markdown]
# ## The reference twin: read it
#
# `lucid._ext.get("conv")` is the module that runs now; under
# `lucid.kernels.use("reference")` it is `lucid/_ext/conv.py`. Here is its forward
# convolution. It loops over the kernel offsets $k$ only: for each $k$ one strided
# slice picks the $k$-th element of *every* window at once, and `einsum` multiplies it
# by the weights $w[:, :, k]$ and sums over the input channels.

# %%
with lucid.kernels.use("reference", "conv"):
    reference = _ext.get("conv")
print(reference.__file__)
print(inspect.getsource(reference.conv_forward))

# %% [markdown]
# ## Check it against the formula, written as loops
#
# $$y[n, c_o, i, j] = \sum_{c_i} \sum_{k_1, k_2} w[c_o, c_i, k_1, k_2]\;
#   x[n, c_i, i\,s + k_1, j\,s + k_2]$$
#
# (no padding, stride $s$, one group). Six nested loops: slow, but impossible to
# misread. On a tiny input the two must agree.

# %%
def conv2d_loops(x, w, s):
    N, C_in, H, W = x.shape
    C_out, _, K1, K2 = w.shape
    Ho, Wo = (H - K1) // s + 1, (W - K2) // s + 1
    y = np.zeros((N, C_out, Ho, Wo), x.dtype)
    for n in range(N):
        for co in range(C_out):
            for i in range(Ho):
                for j in range(Wo):
                    for ci in range(C_in):
                        for k1 in range(K1):
                            for k2 in range(K2):
                                y[n, co, i, j] += w[co, ci, k1, k2] * x[n, ci, i * s + k1, j * s + k2]
    return y


rng = np.random.default_rng(0)
x_small = rng.standard_normal((2, 3, 7, 6))
w_small = rng.standard_normal((4, 3, 3, 2))
y_ref = reference.conv_forward(x_small, w_small, (2, 2), (0, 0), (1, 1), 1)
assert_close(y_ref, conv2d_loops(x_small, w_small, 2))
print("reference twin == six loops:", y_ref.shape)

# %% [markdown]
# ## The compiled twin
#
# The compiled module's docstring opens with the loop nest it computes, then says what
# it does to be fast. Its source is `lucid/_ext/_conv.pyx` beside the reference.

# %%
if compiled_built:
    with lucid.kernels.use("compiled", "conv"):
        compiled = _ext.get("conv")
    print(compiled.__file__)
    print("\n".join(compiled.__doc__.splitlines()[:12]))
else:
    compiled = None
    print("the compiled twin is not built here (pip install -e . builds it);"
          " only the reference is timed below")

# %% [markdown]
# ## Time both on the same input
#
# A homework-sized layer: a batch of 32-channel feature maps through a 3x3 convolution
# with padding 1. We call each twin's `conv_forward` directly, take the median of a few
# runs, and check the outputs agree to float32 rounding.

# %%
shape = (8, 16, 16, 16) if FAST else (32, 32, 32, 32)
x = rng.standard_normal(shape).astype(np.float32)
w = (0.1 * rng.standard_normal((32, shape[1], 3, 3))).astype(np.float32)
args = ((1, 1), (1, 1), (1, 1), 1)       # stride, padding, dilation, groups


def median_seconds(fn):
    fn()                                  # warm up (first call allocates)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


twins = {"reference": reference} if compiled is None else {"reference": reference, "compiled": compiled}
seconds = {name: median_seconds(lambda m=m: m.conv_forward(x, w, *args)) for name, m in twins.items()}
for name, t in seconds.items():
    print(f"{name:>9}: {1000 * t:8.2f} ms per call")
if compiled is not None:
    y_r, y_c = reference.conv_forward(x, w, *args), compiled.conv_forward(x, w, *args)
    assert_close(y_c, y_r, rtol=1e-4, atol=1e-5)
    print("the twins agree; largest difference", float(np.abs(y_c - y_r).max()))
    print(f"compiled / reference time: {seconds['compiled'] / seconds['reference']:.2f}")

# %% [markdown]
# ## The same switch, one level up
#
# Students rarely call kernels: `lucid.nn.functional.conv2d` (and `nn.Conv2d`) call the
# active twin for them. `lucid.kernels.use` switches it for a block, so a whole model can
# be run on the readable twin — to step through it in a debugger — and on the fast twin,
# and the answers compared.

# %%
xt, wt = lucid.Tensor(x), lucid.Tensor(w)
outputs = {}
for name in twins:
    with lucid.kernels.use(name, "conv"):
        outputs[name] = lucid.nn.functional.conv2d(xt, wt, padding=1)
        print(f"inside use({name!r}): conv runs on", lucid.kernels.status()["conv"].active)
if "compiled" in outputs:
    assert_close(outputs["compiled"], outputs["reference"], rtol=1e-4, atol=1e-5)

# %%
fig, ax = plt.subplots(figsize=(5, 2.6))
names = list(seconds)
ax.barh(names, [1000 * seconds[n] for n in names], color=["C0", "C1"][:len(names)])
ax.set(xlabel="milliseconds per conv_forward call (median)",
       title=f"conv 3x3, input {shape}, float32")
ax.grid(axis="x", alpha=0.3)
save_figure(fig, "05_twin_timings.png")

# %% [markdown]
# **Exercise.** Open `lucid/_ext/pool.py` and `lucid/_ext/_pool.pyx`, read
# `max_pool_forward` in both, and time them the same way. Then read the compiled twin's
# docstring: why is each plane's gradient written by one thread only?
