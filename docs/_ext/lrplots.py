"""Draw each learning-rate scheduler's rate over training, at every docs build.

For every scheduler of :mod:`lucid.optim.lr_scheduler` listed in :data:`DEMOS`, this
extension runs a short piece of code (the *demo*) that builds an SGD optimizer and the
scheduler and records the learning rate at every epoch, draws the sequence with
matplotlib (Agg backend, no display needed) into
``api/generated/lrplots/<Scheduler>.png``, and hands the page template
(``_templates/autosummary/_extras.rst``) the picture and the demo's code, which the
scheduler's API page shows together. The plot is made by lucid's own scheduler, so it
cannot drift from what the code does; the code shown is the code that ran.

``api/generated/`` is rewritten at every build (by ``apigen``, whose ``config-inited``
handler runs first) and is not tracked.

matplotlib is a documentation requirement (the ``docs`` extra): without it the build
stops with an error that says so, instead of writing pages with missing pictures.
"""
import os
import textwrap

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

MODULE = "lucid.optim.lr_scheduler"
OUTDIR = os.path.join("api", "generated", "lrplots")
EPOCHS = 100

#: The setup every demo starts from (shown on the pages above the demo's own lines).
PRELUDE = """\
import lucid
from lucid.optim import SGD
from lucid.optim.lr_scheduler import {name}

w = lucid.Tensor([1.0], requires_grad=True)     # stands in for a model's parameters
"""

#: ``{scheduler: (demo code, x-axis label, caption)}``. A demo runs after
#: :data:`PRELUDE` and leaves ``lrs``, the learning rate of each of the EPOCHS epochs
#: (read *before* that epoch's ``optimizer.step()``); it may leave ``metric`` too,
#: which is drawn on a second axis.
DEMOS = {
    "LambdaLR": ("""\
opt = SGD([w], lr=0.1)
# linear warm-up over 10 epochs, then linear decay to 0 at epoch 100
warmup = lambda epoch: (epoch + 1) / 10 if epoch < 10 else (100 - epoch) / 90
sched = LambdaLR(opt, lr_lambda=warmup)
lrs = []
for epoch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()                  # (training for one epoch goes here)
    sched.step()
""", "epoch", "A warm-up then linear decay, written as a function of the epoch."),
    "StepLR": ("""\
opt = SGD([w], lr=0.1)
sched = StepLR(opt, step_size=20, gamma=0.5)
lrs = []
for epoch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()
""", "epoch", "The rate halves every 20 epochs."),
    "MultiStepLR": ("""\
opt = SGD([w], lr=0.1)
sched = MultiStepLR(opt, milestones=[30, 60, 80], gamma=0.5)
lrs = []
for epoch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()
""", "epoch", "The rate halves at epochs 30, 60 and 80."),
    "ExponentialLR": ("""\
opt = SGD([w], lr=0.1)
sched = ExponentialLR(opt, gamma=0.95)
lrs = []
for epoch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()
""", "epoch", "The rate is multiplied by 0.95 every epoch."),
    "CosineAnnealingLR": ("""\
opt = SGD([w], lr=0.1)
sched = CosineAnnealingLR(opt, T_max=50, eta_min=0.01)
lrs = []
for epoch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()
""", "epoch", "Half a cosine from 0.1 down to eta_min = 0.01 in T_max = 50 epochs; "
              "stepped past T_max, the cosine continues and the rate climbs back."),
    "ReduceLROnPlateau": ("""\
opt = SGD([w], lr=0.1)
sched = ReduceLROnPlateau(opt, factor=0.5, patience=5)
# a made-up validation loss: it falls by half the rate each epoch, down to a floor
# of twice the rate (a large step stalls higher), so each cut lets it fall again
loss = 1.0
lrs, metric = [], []
for epoch in range(100):
    lr = sched.get_last_lr()[0]
    lrs.append(lr)
    opt.step()
    loss = max(loss - lr / 2, 2 * lr)
    metric.append(loss)
    sched.step(loss)            # this epoch's validation loss
""", "epoch", "The rate halves after more than patience = 5 epochs without improvement "
              "of the (synthetic) validation loss, dashed, right axis."),
    "CyclicLR": ("""\
opt = SGD([w], lr=0.1, momentum=0.9)
sched = CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=10, mode="triangular2")
lrs = []
for batch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()                # CyclicLR steps once per batch, not per epoch
""", "iteration (batch)", "Triangular cycles of 20 iterations between 0.01 and 0.1; "
                          "mode 'triangular2' halves the amplitude every cycle."),
    "ConstantLR": ("""\
opt = SGD([w], lr=0.1)
sched = ConstantLR(opt, factor=0.25, total_iters=20)
lrs = []
for epoch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()
""", "epoch", "A quarter of the rate for the first 20 epochs (a constant warm-up), then the "
              "full rate."),
    "LinearLR": ("""\
opt = SGD([w], lr=0.1)
sched = LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=30)
lrs = []
for epoch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()
""", "epoch", "A linear warm-up from a tenth of the rate to all of it over 30 epochs."),
    "CosineAnnealingWarmRestarts": ("""\
opt = SGD([w], lr=0.1)
sched = CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2, eta_min=0.005)
lrs = []
for epoch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()
""", "epoch", "Cosine annealing restarted after 10, 20 and 40 epochs (T_mult = 2 doubles "
              "each period)."),
    "OneCycleLR": ("""\
opt = SGD([w], lr=0.1, momentum=0.9)
sched = OneCycleLR(opt, max_lr=0.1, total_steps=100)
lrs = []
for batch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()                # OneCycleLR steps once per batch
""", "iteration (batch)", "Up from max_lr / 25 to max_lr = 0.1 in the first 30% of the "
                          "steps, then down to max_lr / 25e4 along a cosine."),
    "SequentialLR": ("""\
from lucid.optim.lr_scheduler import CosineAnnealingLR, LinearLR

opt = SGD([w], lr=0.1)
warmup = LinearLR(opt, start_factor=0.1, total_iters=10)
cosine = CosineAnnealingLR(opt, T_max=90)
sched = SequentialLR(opt, schedulers=[warmup, cosine], milestones=[10])
lrs = []
for epoch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()
""", "epoch", "A linear warm-up for 10 epochs, then cosine annealing over the other 90."),
    "ChainedScheduler": ("""\
from lucid.optim.lr_scheduler import ConstantLR, ExponentialLR

opt = SGD([w], lr=0.1)
sched = ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=15),
                          ExponentialLR(opt, gamma=0.97)])
lrs = []
for epoch in range(100):
    lrs.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()
""", "epoch", "Both at once: half the rate for 15 epochs, times 0.97 every epoch."),
}


def require_matplotlib():
    """Import matplotlib with the Agg backend, or stop the build saying what is missing."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ExtensionError(
            "lrplots: matplotlib is required to build lucid's documentation (it draws the "
            "learning-rate plots of lucid.optim.lr_scheduler at build time); install it "
            "with `pip install matplotlib` or `pip install -e \".[docs]\"`", exc) from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def run_demo(name):
    """``(lrs, metric or None)``: run :data:`PRELUDE` and the demo of ``name``."""
    namespace = {}
    exec(PRELUDE.format(name=name) + DEMOS[name][0], namespace)
    lrs, metric = namespace["lrs"], namespace.get("metric")
    if len(lrs) != EPOCHS:
        raise ExtensionError(f"lrplots: the {name} demo recorded {len(lrs)} rates, not {EPOCHS}")
    return lrs, metric


def draw(plt, name, lrs, metric, xlabel, path):
    """Draw one schedule: the rate as a step function of the epoch (it is constant
    within an epoch), and the metric, if any, dashed on a second axis."""
    fig, ax = plt.subplots(figsize=(6.4, 2.8), dpi=100)
    epochs = range(len(lrs))
    ax.step(epochs, lrs, where="post", color="C0", linewidth=1.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("learning rate", color="C0")
    ax.set_xlim(0, len(lrs))
    ax.set_ylim(0, max(lrs) * 1.1)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"{name}, {len(lrs)} {xlabel.split()[0]}s", fontsize=10)
    if metric is not None:
        right = ax.twinx()
        right.plot(epochs, metric, color="C1", linestyle="--", linewidth=1.2)
        right.set_ylabel("validation loss", color="C1")
        right.set_ylim(0, max(metric) * 1.1)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})   # no version stamp: same bytes each build
    plt.close(fig)


def write_plots(app, config):
    """config-inited (after apigen): draw every plot and tell the page template."""
    plt = require_matplotlib()
    outdir = os.path.join(str(app.srcdir), OUTDIR)
    os.makedirs(outdir, exist_ok=True)
    plots = {}
    for name, (code, xlabel, caption) in DEMOS.items():
        lrs, metric = run_demo(name)
        draw(plt, name, lrs, metric, xlabel, os.path.join(outdir, f"{name}.png"))
        plots[f"{MODULE}.{name}"] = {
            "image": "/" + "/".join([*OUTDIR.split(os.sep), f"{name}.png"]),
            "caption": caption,
            "code": textwrap.indent(PRELUDE.format(name=name) + "\n" + code, "   ").rstrip(),
            "alt": f"The learning rate of {name} over {EPOCHS} {xlabel.split()[0]}s",
        }
    context = dict(config.autosummary_context)
    context["lr_plots"] = plots
    config.autosummary_context = context


def setup(app):
    require_matplotlib()                       # fail at once, before any page is read
    app.connect("config-inited", write_plots, priority=600)   # apigen (500) clears first
    return {"parallel_read_safe": True, "parallel_write_safe": True}
