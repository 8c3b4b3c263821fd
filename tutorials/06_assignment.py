# %% [markdown]
# # 6. An assignment, from new to grade
#
# Your instructor hands out "implement `conv_forward`". In this walkthrough you are the
# student: you make the workspace (the instructor would hand it to you), read the stub,
# write the kernel, grade it, read what the grader says about your first attempt, fix
# it, run a real layer on your kernel, draw its graph, and profile it against lucid's
# two twins.
#
# Run it with `python tutorials/06_assignment.py [FIGURE_FOLDER]`
# (`LUCID_TUTORIAL_FAST=1` times smaller inputs). The instructors' side is the guide
# "Running a course with lucid".

# %%
import os
import tempfile
import time

import numpy as np

import lucid
import lucid.course
from lucid import _ext
from lucid.testing import assert_close
from _tutorial import FAST, plt, save_figure

# %% [markdown]
# ## The workspace
#
# `python -m lucid.course new conv_forward --out hw1` writes it; here the same from
# Python. `new` first *proves* the exercise: lucid's own code passes every case of the
# grader and the stub does not. The workspace holds your file `conv.py` (lucid's
# reference twin with the body of `conv_forward` removed), a `README.md` that states the
# assignment, and a record of the lucid that made it.

# %%
workspace = os.path.join(tempfile.mkdtemp(prefix="lucid-hw-"), "hw1")
lucid.course.new(["conv_forward"], workspace)
print(sorted(os.listdir(workspace)))
with open(os.path.join(workspace, "conv.py"), encoding="utf-8") as f:
    stub = f.read()
region = stub.split("# [kernel: conv_forward]\n")[1].split("# [end kernel: conv_forward]")[0]
print("\n".join(line for line in region.splitlines()
                if line.startswith(("def ", "    # ", "    raise"))))

# %% [markdown]
# The docstring above the stub (not printed here) gives the formula,
#
# $$y[n, c_o, o] = \sum_{c_i \in \mathrm{group}(c_o)} \sum_k w[c_o, c_i, k]\;
#   x_{pad}[n, c_i, o\,s + k\,dil],$$
#
# the shapes, and a worked example. The hints say to start with the shared argument
# check: the grader also feeds your kernel bad inputs and expects the error lucid
# raises.
#
# ## A first attempt
#
# The clearest kernel is one loop per output channel and output position: cut the
# window out of the padded input, multiply by the weights, sum. It works for 1, 2 and 3
# spatial axes alike, since a window is a tuple of slices. This first attempt forgets
# the dilation: its window is always `K` consecutive elements.

# %%
FIRST_ATTEMPT = '''
def conv_forward(x, w, stride, padding, dilation, groups):
    """My convolution: one output channel and one output position at a time."""
    _checks.conv_forward(x, w, stride, padding, dilation, groups)
    N, C_in = x.shape[:2]
    C_out, C_in_g = w.shape[:2]
    K = w.shape[2:]
    O = tuple(conv_output_size(S, k, s, p, d)
              for S, k, s, p, d in zip(x.shape[2:], K, stride, padding, dilation))
    x_pad = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    y = np.zeros((N, C_out, *O), dtype=x.dtype)
    per_group = C_out // groups
    for c_o in range(C_out):
        g = c_o // per_group
        channels = x_pad[:, g * C_in_g:(g + 1) * C_in_g]     # the inputs of my group
        for o in np.ndindex(*O):
            window = tuple(slice(i * s, i * s + k) for i, s, k in zip(o, stride, K))
            patch = channels[(slice(None), slice(None)) + window]   # (N, C_in_g, *K)
            y[(slice(None), c_o) + o] = (patch * w[c_o]).reshape(N, -1).sum(axis=1)
    return y
'''


def hand_in(code):
    """Put my conv_forward in place of the stub in hw1/conv.py."""
    begin, end = "# [kernel: conv_forward]\n", "# [end kernel: conv_forward]"
    head, rest = stub.split(begin)
    tail = rest[rest.index(end):]
    with open(os.path.join(workspace, "conv.py"), "w", encoding="utf-8") as f:
        f.write(head + begin + code.lstrip("\n") + tail)


hand_in(FIRST_ATTEMPT)

# %% [markdown]
# ## Grade it
#
# `python -m lucid.course grade hw1` runs every case of the exercise in a separate
# process with a time and a memory limit, so an endless loop or a crash in your code
# costs that exercise, not the grading. The cases: the worked examples of the docs,
# random configurations (1 to 3 spatial axes, stride, padding, dilation, groups)
# compared with the compiled twin and with PyTorch when it is installed, gradchecks
# (`conv_forward` is also the input gradient of the transposed convolution, checked
# against finite differences), and bad inputs. The report shows the *smallest* failing
# case and how to replay it.

# %%
report = lucid.course.grade(workspace, echo=None)
print(report)
first_score = report.score
assert 0 < first_score < report.max_score

# %% [markdown]
# The docs examples and the bad inputs pass; the random cases with a dilation above 1
# do not. `--exercise conv_forward --seed S` replays one case. The smallest failure
# names the culprit: with dilation `d` the window's elements are `d` apart, so it spans
# `d (K - 1) + 1` input positions. The fix is one line.

# %%
FIXED = FIRST_ATTEMPT.replace(
    "window = tuple(slice(i * s, i * s + k) for i, s, k in zip(o, stride, K))",
    "window = tuple(slice(i * s, i * s + d * (k - 1) + 1, d)\n"
    "                           for i, s, k, d in zip(o, stride, K, dilation))")
assert FIXED != FIRST_ATTEMPT
hand_in(FIXED)
report = lucid.course.grade(workspace, echo=None)
print(report.table())
assert report.score == report.max_score
print(f"score: {first_score:g} -> {report.score:g} of {report.max_score:g}")

# %% [markdown]
# ## Your kernel inside a real layer
#
# `lucid.kernels.use(path, family="conv")` makes a file with the family's contract the
# active convolution for a block of code: `lucid.nn.Conv2d`, its backward, a whole
# model run on it. The other kernels of `conv.py` are lucid's own (you copied the
# file), and `lucid.kernels.status()` shows the family as custom.

# %%
mine = os.path.join(workspace, "conv.py")
rng = np.random.default_rng(0)
layer = lucid.nn.Conv2d(3, 8, 3, padding=1, dilation=2)
images = lucid.Tensor(rng.standard_normal((2, 3, 12, 12)).astype(np.float32))
with lucid.kernels.use(mine, family="conv"):
    print("conv runs on:", lucid.kernels.status()["conv"].active)
    ours = layer(images)
theirs = layer(images)
assert_close(ours, theirs, rtol=1e-4, atol=1e-5)
print("Conv2d on my kernel == Conv2d on lucid's:", tuple(ours.shape))

# %% [markdown]
# `lucid.autograd.draw` shows the graph that training step builds (here as a text
# tree; `draw(loss, "graph.svg")` writes a drawing): your kernel runs in the `Conv`
# node, forward and backward.

# %%
model = lucid.nn.Sequential(lucid.nn.Conv2d(3, 8, 3, padding=1), lucid.nn.ReLU(),
                            lucid.nn.Flatten(), lucid.nn.Linear(8 * 12 * 12, 2))
with lucid.kernels.use(mine, family="conv"):
    loss = model(images).sum()
print(lucid.autograd.draw(loss, names=dict(model.named_parameters())))

# %% [markdown]
# ## Where the time goes
#
# Correct is the first half. `lucid.profile()` times every op and every kernel call of
# a block, forward and backward apart. Profile one training step with your kernel in
# place:

# %%
with lucid.kernels.use(mine, family="conv"):
    with lucid.profile() as prof:
        loss = model(images).sum()
        loss.backward()
print(prof)

# %% [markdown]
# `prof.compare()` replays the kernel calls it recorded on lucid's reference and
# compiled twins: the speed-up per family.

# %%
print(prof.compare())

# %% [markdown]
# Now time the three `conv_forward`s on one homework-sized layer: yours (a Python loop
# per output position), lucid's reference twin (a loop over the kernel offsets only,
# each step one `einsum` over every window), and the compiled twin.

# %%
with lucid.kernels.use(mine, family="conv"):
    my_module = _ext.get("conv")
with lucid.kernels.use("reference", "conv"):
    reference = _ext.get("conv")
kernels = {"mine": my_module, "reference": reference}
if lucid.kernels.status()["conv"].compiled_built:
    with lucid.kernels.use("compiled", "conv"):
        kernels["compiled"] = _ext.get("conv")

shape = (2, 8, 12, 12) if FAST else (8, 16, 24, 24)
x = rng.standard_normal(shape).astype(np.float32)
w = (0.1 * rng.standard_normal((16, shape[1], 3, 3))).astype(np.float32)
args = ((1, 1), (1, 1), (1, 1), 1)


def median_ms(fn, repeats=3 if FAST else 7):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


results = {name: m.conv_forward(x, w, *args) for name, m in kernels.items()}
for name, y in results.items():
    assert_close(y, results["reference"], rtol=1e-4, atol=1e-5)
ms = {name: median_ms(lambda m=m: m.conv_forward(x, w, *args)) for name, m in kernels.items()}
for name, t in ms.items():
    print(f"{name:>9}: {t:9.2f} ms   ({t / ms['reference']:6.1f} x the reference twin)")

# %%
fig, ax = plt.subplots(figsize=(5.5, 2.4))
names = list(ms)
ax.barh(names, [ms[n] for n in names], color=["C3", "C0", "C1"][:len(names)])
ax.set_xscale("log")
ax.set(xlabel="milliseconds per conv_forward call (median, log scale)",
       title=f"conv 3x3, input {shape}, float32")
ax.grid(axis="x", alpha=0.3)
save_figure(fig, "06_assignment_timings.png")

# %% [markdown]
# **Exercise.** Make your kernel faster without losing a point: loop over the kernel
# offsets `k` instead of the output positions (one strided slice of `x_pad` holds the
# `k`-th element of every window at once), grade again, and time again. Then try
# `python -m lucid.course new pool --out hw2`.
