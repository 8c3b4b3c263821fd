"""Training steps of the homework models: lucid compiled vs PyTorch (vs lucid reference).

The models of issue 14, each written once for both frameworks' ``nn`` (same layers, same
shapes), started from the same weights (torch's initialisation, copied into lucid with
``load_state_dict``) and fed the same batch:

========== ===================================================================== =====
row        model                                                                 opt
========== ===================================================================== =====
mlp        Linear 784-256-256-10 with ReLU, batch 128, cross-entropy              Adam
cnn        conv3x3 1->32, pool, conv3x3 32->64, pool, Linear 3136->10, batch 64   SGD+m
resnet     CIFAR ResNet: stem conv 3->16 + BatchNorm, basic blocks 16/32/64       SGD+m
           (stride 1/2/2, 1x1 conv + BatchNorm shortcuts where the shape
           changes), adaptive avg pool, Linear 64->10; batch 32 of 3x32x32
autoenc    1-d conv autoencoder: conv1d 8->32->64 (k4 s2 p1), conv_transpose1d    Adam
           64->32->8 (k4 s2 p1), ReLU between, MSE to the input; batch 32, L 256
encoder    Transformer encoder, 2 layers, d 64, 4 heads, ff 128, no dropout,      Adam
           mean over the sequence, Linear 64->10; sequence 32, batch 32
lstm       the LSTM language model of ``lstm_lm.py`` (``--models lstm``; slow)    SGD
========== ===================================================================== =====

One step = zero_grad, forward, loss, backward, optimizer step; every 250 steps the
model starts over from its initial weights (``train_step``: a model fitted to its one
batch trains on subnormal floats, slow on any CPU). Printed per row: the
loss of the first steps on both sides and their largest difference (relative, or
absolute for losses under 1e-3: ``loss_difference``), then the
median step time of each side and lucid / torch. torch's steps are timed in a process
of its own, started with the environment this script was started with: in lucid's
process torch would run with lucid's OpenMP wait policy, 1.5-2.6x slower than a
student running only torch sees it (``_torch_process.py``). The two processes take
turns, a few steps each, so a burst of load from another process on this shared
machine hits both sides alike; the losses are compared in this process.

Options:

``--threads N``
    lucid's OpenMP and OpenBLAS threads and torch's intra-op threads (set before NumPy
    loads). ``--threads 1,2``: the speed-up from threads, each count run in its own
    process, printed as one table (each side's time at 1 thread over its time at 2).
``--batch N``
    the batch size of every model.
``--batch 1,2,4,...,256``
    batch-size scaling: one table with, per batch size and row, the training step and
    the inference latency (eval, no gradients), lucid / torch for each (every batch
    size's lucid and torch calls interleaved, as above). The rows default to the CNN
    (``--models`` picks others, ``--models all`` every row); ``...`` continues the
    geometric series of the two sizes before it up to the size after it.
``--infer``
    time batch inference instead (eval mode, no gradients: what a demo runs).
``--reference``
    also time the readable reference twins (slow).
``--torch-fastpath``
    let torch's ``TransformerEncoderLayer`` take its fused inference fast path. Like is
    compared with like by default: in eval mode under ``no_grad`` torch replaces the
    layer's ops by one native kernel (``_transformer_encoder_layer_fwd``: packed QKV
    projection, its own attention and layer norm), which lucid, running the layer's
    ops one by one, has no counterpart of; so the encoder row turns it off
    (``torch.backends.mha.set_fastpath_enabled(False)``) and torch runs the same
    ops as lucid (its attention is still its fused ``scaled_dot_product_attention``).
    It changes nothing in training, where torch never takes the fast path. Measured at
    1 thread, the fast path makes torch's batch-128 encoder inference ~1.4x faster,
    batch 1 ~1.2x.
``--memory``
    the peak memory of each training step instead: each side alone in its own
    process, the resident high-water mark gained by 5 steps.
``--repeat N``
    timings per side (default 15). At batch 1 a call takes tens of microseconds, and a
    burst of another process's work moves a median of 15 a long way: the autoencoder's
    batch-1 inference measured 0.56x and 1.16x PyTorch's time within an hour with the
    default, and 0.65-0.98x in two runs of ``--repeat 45`` on a quieter machine. Take
    45 or more, and two runs, before believing a batch-1 ratio.

Run: ``python benchmarks/models.py [--repeat 15] [--models mlp,cnn] [--threads 2]
[--batch 1] [--infer] [--reference] [--memory]``
"""
import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys


def _arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--models", default=None,
                        help="comma-separated rows (also: lstm); default all but lstm, "
                             "and cnn for a --batch list")
    parser.add_argument("--threads", default="2", help="N, or 1,2 for the speed-up table")
    parser.add_argument("--batch", default=None,
                        help="batch size of every model, or a list 1,2,4,...,256")
    parser.add_argument("--infer", action="store_true", help="time inference, not training")
    parser.add_argument("--reference", action="store_true", help="also the reference twins")
    parser.add_argument("--memory", action="store_true", help="peak memory per step instead")
    parser.add_argument("--torch-fastpath", action="store_true",
                        help="let torch's encoder layer take its fused inference path")
    parser.add_argument("--memory-child", nargs=2, metavar=("MODEL", "SIDE"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.batches = _batch_sizes(parser, args.batch) if args.batch else [None]
    args.batch = args.batches[0]
    if args.models is None:
        args.models = "cnn" if len(args.batches) > 1 else ALL_ROWS
    elif args.models == "all":
        args.models = ALL_ROWS
    names = [t.strip() for t in args.models.split(",") if t.strip()]
    unknown = [name for name in names if name not in KNOWN_ROWS]
    if unknown:
        parser.error(f"--models: expected names from {', '.join(KNOWN_ROWS)} (or all); "
                     f"got {', '.join(map(repr, unknown))}")
    return args


ALL_ROWS = "mlp,cnn,resnet,autoenc,encoder"
KNOWN_ROWS = ALL_ROWS.split(",") + ["lstm"]


def _batch_sizes(parser, text):
    """``"8"`` -> [8]; ``"1,2,4,...,32"`` -> [1, 2, 4, 8, 16, 32]."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    sizes = []
    for i, item in enumerate(items):
        if item == "...":
            if len(sizes) < 2 or i + 1 >= len(items) or sizes[-1] <= sizes[-2]:
                parser.error("--batch: '...' needs two growing sizes before it and one "
                             f"after it; got {text!r}")
            factor, last = sizes[-1] / sizes[-2], int(items[i + 1])
            while sizes[-1] * factor < last:
                sizes.append(round(sizes[-1] * factor))
        elif not item.isdigit() or int(item) < 1:
            parser.error(f"--batch: expected positive integers; got {item!r} in {text!r}")
        else:
            sizes.append(int(item))
    return sizes


ARGS = _arguments()
COUNTS = [int(n) for n in ARGS.threads.split(",")]
ARGS.threads = COUNTS[0]
# before NumPy, lucid or torch load their thread pools
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _timing import (fmt_ms, interleaved_medians, machine_line,  # noqa: E402
                     medians_with_torch, print_table)
from _torch_process import TorchProcess, start_environment  # noqa: E402

import lucid  # noqa: E402
import lucid.nn as lnn  # noqa: E402
import lucid.nn.functional as LF  # noqa: E402


# ------------------------------------------------------------------ the models
def mlp(nn):
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 10))


def resnet(nn):
    class BasicBlock(nn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(c_out)
            self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)
            self.relu = nn.ReLU()
            self.shortcut = nn.Sequential()
            if stride != 1 or c_in != c_out:
                self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride,
                                                        bias=False), nn.BatchNorm2d(c_out))

        def forward(self, x):
            y = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(y)) + self.shortcut(x))

    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),
                         nn.ReLU(), BasicBlock(16, 16, 1), BasicBlock(16, 32, 2),
                         BasicBlock(32, 64, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(64, 10))


def autoenc(nn):
    return nn.Sequential(nn.Conv1d(8, 32, 4, stride=2, padding=1), nn.ReLU(),
                         nn.Conv1d(32, 64, 4, stride=2, padding=1), nn.ReLU(),
                         nn.ConvTranspose1d(64, 32, 4, stride=2, padding=1), nn.ReLU(),
                         nn.ConvTranspose1d(32, 8, 4, stride=2, padding=1))


def encoder(nn):
    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(64, 4, dim_feedforward=128, dropout=0.0,
                                               batch_first=True)
            kwargs = {} if nn is lnn else {"enable_nested_tensor": False}
            self.encoder = nn.TransformerEncoder(layer, 2, **kwargs)
            self.head = nn.Linear(64, 10)

        def forward(self, x):
            return self.head(self.encoder(x).mean(1))

    return Encoder()


# row: (model, default batch, input shape after the batch, target, optimizer)
ROWS = {
    "mlp": (mlp, 128, (784,), "classes", "adam"),
    "cnn": (cnn, 64, (1, 28, 28), "classes", "sgd"),
    "resnet": (resnet, 32, (3, 32, 32), "classes", "sgd"),
    "autoenc": (autoenc, 32, (8, 256), "input", "adam"),
    "encoder": (encoder, 32, (32, 64), "classes", "adam"),
}


class Side:
    """What a step needs from one framework."""

    def __init__(self, name, nn, tensor, cross_entropy, mse, sgd, adam, no_grad):
        self.name, self.nn, self.tensor = name, nn, tensor
        self.cross_entropy, self.mse = cross_entropy, mse
        self.sgd, self.adam, self.no_grad = sgd, adam, no_grad


def lucid_side():
    return Side("lucid", lnn, lucid.Tensor, LF.cross_entropy, LF.mse_loss,
                lucid.optim.SGD, lucid.optim.Adam, lucid.no_grad)


def torch_side(torch):
    F = torch.nn.functional
    return Side("torch", torch.nn, torch.from_numpy, F.cross_entropy, F.mse_loss,
                torch.optim.SGD, torch.optim.Adam, torch.no_grad)


def initial_state(row, torch):
    """The weights both sides start from: torch's initialisation (lucid's without torch)."""
    make = ROWS[row][0]
    if torch is not None:
        torch.manual_seed(0)
        return {k: v.detach().numpy().copy() for k, v in make(torch.nn).state_dict().items()}
    lucid.random.seed(0)
    return {k: v.data.copy() for k, v in make(lnn).state_dict().items()}


def batch_of(row, batch):
    make, default, shape, target, _ = ROWS[row]
    rng = np.random.default_rng(0)
    n = batch or default
    x = rng.standard_normal((n, *shape)).astype(np.float32)
    y = x if target == "input" else rng.integers(0, 10, size=n).astype(np.int64)
    return x, y


def _load(side, model, state):
    model.load_state_dict(state if side.name == "lucid"
                          else {k: side.tensor(v.copy()) for k, v in state.items()})


def model_on(side, row, state):
    model = ROWS[row][0](side.nn)
    _load(side, model, state)
    return model


#: Steps after which a training closure starts over from the initial weights with a
#: fresh optimizer (``train_step``).
RESTART = 250


def train_step(side, row, state, x_np, y_np):
    """A closure running one training step; it returns the loss as a float.

    Every :data:`RESTART` steps it starts over: the initial weights (and batch norm's
    running statistics) loaded again and a new optimizer, in the call that follows. A
    model trained on one batch over and over fits it: after some hundreds of steps the
    MLP's loss at batch 1 is 1e-15 and its gradients and Adam's moments are subnormal
    floats, which the CPU handles in microcode, many times slower. Both frameworks slow
    down, and the benchmark would time that rather than the steps of a training run
    (measured, one process, blocks of 100 steps at batch 1: lucid's MLP 0.67 ms up to
    step 700, then 1.5-1.9 ms, its Adam step 0.17 to 1.2 ms; PyTorch's 1.0 then
    1.45-1.7 ms; lucid's CNN 0.79 then 1.0-1.2 ms). Labels that change every step do not
    help: the MLP learns to ignore its input, and its first layers' gradients go
    subnormal sooner. One call in :data:`RESTART` also does the loading, which the
    medians leave out.
    """
    model = model_on(side, row, state)
    model.train()
    params = list(model.parameters())

    def optimizer():
        return (side.sgd(params, lr=0.01, momentum=0.9) if ROWS[row][4] == "sgd"
                else side.adam(params, lr=1e-3))

    opt = optimizer()
    x, y = side.tensor(x_np.copy()), side.tensor(y_np.copy())
    loss_fn = side.mse if ROWS[row][3] == "input" else side.cross_entropy
    done = 0

    def step():
        nonlocal opt, done
        if done == RESTART:
            _load(side, model, state)
            opt, done = optimizer(), 0
        done += 1
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return float(loss.item())

    return step


def infer_step(side, row, state, x_np, y_np):
    """A closure running the model forward in eval mode without gradients."""
    model = model_on(side, row, state)
    model.eval()
    x = side.tensor(x_np.copy())

    def step():
        with side.no_grad():
            return model(x)

    return step


# ------------------------------------------------------------------ the LSTM row
def lstm_steps(sides, torch, _batch):
    """The LSTM language model's step closures, from ``lstm_lm.py``."""
    import lstm_lm
    rng = np.random.default_rng(0)
    batches = [(rng.integers(0, lstm_lm.VOCAB, size=(lstm_lm.STEPS, lstm_lm.BATCH)),
                rng.integers(0, lstm_lm.VOCAB, size=(lstm_lm.STEPS, lstm_lm.BATCH)))
               for _ in range(4)]
    kits = {"lucid": lstm_lm.lucid_kit()}
    if torch is not None:
        kits["torch"] = lstm_lm.torch_kit(torch)
        torch.manual_seed(0)
        state = {k: v.detach().numpy().copy()
                 for k, v in kits["torch"].model().state_dict().items()}
    else:
        lucid.random.seed(0)
        state = {k: v.data.copy() for k, v in kits["lucid"].model().state_dict().items()}
    return lambda side: lstm_lm.step_fn(kits[side.name], state, batches)


# ------------------------------------------------------------------ timing
def _fastpath_note():
    return "; torch's encoder fast path " + ("on" if ARGS.torch_fastpath else "off")


def torch_module(threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    if not ARGS.torch_fastpath:          # like with like (module docstring)
        torch.backends.mha.set_fastpath_enabled(False)
    return torch


def steps_for(row, sides, torch, args):
    """name -> closure for one row, plus the closures that give the first losses."""
    if row == "lstm":
        make = lstm_steps(sides, torch, args.batch)
        return make, make
    state = initial_state(row, torch)
    x_np, y_np = batch_of(row, args.batch)
    timed = infer_step if args.infer else train_step
    return (lambda side: timed(side, row, state, x_np, y_np),
            lambda side: train_step(side, row, state, x_np, y_np))


def torch_closure(row, batch, kind):
    """The factory run in the torch process (``_torch_process.py``): torch's closure for
    ``row`` at ``batch`` (None: the row's own), a ``"train"`` or ``"infer"`` step."""
    torch = torch_module(ARGS.threads)
    side = torch_side(torch)
    if row == "lstm":
        return lstm_steps([side], torch, batch)(side)
    x_np, y_np = batch_of(row, batch)
    make = infer_step if kind == "infer" else train_step
    return make(side, row, initial_state(row, torch), x_np, y_np)


def torch_worker(torch, args):
    """The process timing torch's side (this script's arguments), or None without torch."""
    return None if torch is None else TorchProcess(__file__, sys.argv[1:], args.threads)


def timed_pair(worker, lucid_fn, row, batch, kind, repeat):
    """Medians of lucid's ``lucid_fn`` in this process and torch's same step in the
    worker, taking turns; torch's closure is dropped after."""
    return medians_with_torch({"lucid": lucid_fn}, repeat, worker, "torch_closure", row,
                              batch, kind)


def loss_difference(ours, theirs, floor=1e-3):
    """The largest ``|a - b| / max(|b|, floor)`` over the first steps' losses.

    Relative where a loss is large, absolute below ``floor``: a batch-1 model fits its
    one sample within three steps (losses ~1e-4), where float32's last bits of the
    parameters already move the loss by ~1e-8, a relative 1e-4 that says nothing about
    agreement.
    """
    return max(abs(a - b) / max(abs(b), floor) for a, b in zip(ours, theirs))


def speed(args):
    torch = torch_module(args.threads)
    print(machine_line(args.threads), flush=True)
    sides = [lucid_side()] + ([torch_side(torch)] if torch is not None else [])
    rows = [r.strip() for r in args.models.split(",") if r.strip()]
    table = []
    worker = torch_worker(torch, args)
    for row in rows:
        timed, trained = steps_for(row, sides, torch, args)
        losses = {s.name: [f() for f in [trained(s)] for _ in range(3)] for s in sides}
        agreement = "n/a"
        if torch is not None:
            agreement = f"{loss_difference(losses['lucid'], losses['torch']):.1e}"
        times = timed_pair(worker, timed(sides[0]), row, args.batch,
                           "infer" if args.infer else "train", args.repeat)
        if args.reference:
            with lucid.kernels.use("reference"):
                fns = {"reference": timed(sides[0])}
                times.update(interleaved_medians(fns, max(3, args.repeat // 5)))
        line = [row, f"{losses['lucid'][0]:.5f}", agreement, fmt_ms(times["lucid"])]
        if args.reference:
            line.append(fmt_ms(times["reference"]))
        if torch is not None:
            line += [fmt_ms(times["torch"]), f"{times['lucid'] / times['torch']:.2f}x"]
        table.append(line)
        print("  ".join(line), flush=True)
        if args.json:
            print("JSON " + json.dumps({"row": row, **times}), flush=True)
    what = ("inference (eval, no grad" + _fastpath_note() + ")" if args.infer
            else "training step")
    batch = f"batch {args.batch}" if args.batch else "each model's batch"
    header = ["model", "loss", "loss diff (3 steps)", "lucid compiled"]
    header += ["lucid reference"] if args.reference else []
    header += ["torch", "lucid / torch"] if torch is not None else []
    if worker is not None:
        worker.close()
    print_table(f"{what}, {batch}, {args.threads} thread(s), medians of {args.repeat} "
                "repetitions taking turns, torch in its own process", header, table)
    print(machine_line(args.threads), flush=True)


def scaling(args):
    """One table: per batch size and row, the training step and the inference latency."""
    torch = torch_module(args.threads)
    sides = [lucid_side()] + ([torch_side(torch)] if torch is not None else [])
    rows = [r.strip() for r in args.models.split(",") if r.strip()]
    if "lstm" in rows:
        sys.exit("models.py: the lstm row has its own batch (lstm_lm.py); leave it out of "
                 "a --batch list")
    worker = torch_worker(torch, args)
    print(machine_line(args.threads), flush=True)
    header = ["model", "batch", "train lucid"]
    header += ["train torch", "train lucid / torch"] if torch is not None else []
    header += ["infer lucid"]
    header += ["infer torch", "infer lucid / torch"] if torch is not None else []
    table = []
    for batch in args.batches:
        for row in rows:
            state = initial_state(row, torch)
            x_np, y_np = batch_of(row, batch)
            line = [row, str(batch)]
            for make, kind in ((train_step, "train"), (infer_step, "infer")):
                times = timed_pair(worker, make(sides[0], row, state, x_np, y_np), row,
                                   batch, kind, args.repeat)
                line.append(fmt_ms(times["lucid"]))
                if torch is not None:
                    line += [fmt_ms(times["torch"]), f"{times['lucid'] / times['torch']:.2f}x"]
            table.append(line)
            print("  ".join(line), flush=True)
    if worker is not None:
        worker.close()
    print_table(f"batch-size scaling: training step and inference (eval, no grad"
                f"{_fastpath_note()}), "
                f"{args.threads} thread(s), medians of {args.repeat} repetitions taking "
                "turns, torch in its own process", header, table)
    print(machine_line(args.threads), flush=True)


# ------------------------------------------------------------------ memory
def _rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_child(args):
    """Print the resident high-water mark gained by 5 steps of one side (kB)."""
    row, side_name = args.memory_child
    torch = torch_module(args.threads) if side_name == "torch" else None
    if side_name == "torch" and torch is None:
        print("n/a")
        return
    side = lucid_side() if side_name == "lucid" else torch_side(torch)
    state = initial_state(row, None if side_name == "lucid" else torch) if row != "lstm" else None
    if row == "lstm":
        step = lstm_steps([side], torch, args.batch)(side)
    else:
        x_np, y_np = batch_of(row, args.batch)
        step = (infer_step if args.infer else train_step)(side, row, state, x_np, y_np)
    before = _rss_kb()
    for _ in range(5):
        step()
    print(_rss_kb() - before)


def memory(args):
    rows = [r.strip() for r in args.models.split(",") if r.strip()]
    table = []
    for row in rows:
        gained = {}
        for side in ("lucid", "torch"):
            command = [sys.executable, __file__, "--memory-child", row, side,
                       "--threads", str(args.threads)]
            command += ["--batch", str(args.batch)] if args.batch else []
            command += ["--infer"] if args.infer else []
            out = subprocess.run(command, capture_output=True, text=True, check=True,
                                 env=start_environment())
            gained[side] = out.stdout.strip().splitlines()[-1]
        line = [row, f"{gained['lucid']} kB", f"{gained['torch']} kB"]
        if gained["torch"] != "n/a":
            line.append(f"{int(gained['lucid']) / max(int(gained['torch']), 1):.2f}x")
        table.append(line)
    print_table("Peak resident memory gained by 5 steps, each side in its own process",
                ["model", "lucid", "torch", "lucid / torch"], table)


def thread_scaling(counts):
    """Run the speed table once per thread count, each in its own process (the counts
    are read when the thread pools start), and print each side's speed-up."""
    runs = {}
    for n in counts:
        command = [sys.executable, __file__, "--threads", str(n), "--json"]
        skip = {"--threads"}
        argv = sys.argv[1:]
        for i, a in enumerate(argv):
            if a in skip or (i and argv[i - 1] in skip) or a.startswith("--threads="):
                continue
            command.append(a)
        out = subprocess.run(command, capture_output=True, text=True, check=True,
                             env=start_environment()).stdout   # not lucid's variables
        runs[n] = {r.pop("row"): r for r in (json.loads(line[5:]) for line in
                                             out.splitlines() if line.startswith("JSON "))}
        machine = [line for line in out.splitlines() if line.startswith("machine now")]
        print(f"{n} thread(s): done; " + " / ".join(machine), flush=True)
    first, last = counts[0], counts[-1]
    sides = [s for s in ("lucid", "torch") if s in next(iter(runs[first].values()))]
    table = []
    for row in runs[first]:
        line = [row]
        for side in sides:
            a, b = runs[first][row][side], runs[last][row][side]
            line += [fmt_ms(a), fmt_ms(b), f"{a / b:.2f}x"]
        if len(sides) == 2:
            line.append(f"{runs[last][row]['lucid'] / runs[last][row]['torch']:.2f}x")
        table.append(line)
    header = ["model"]
    for side in sides:
        header += [f"{side} {first} thr", f"{side} {last} thr", f"{side} speed-up"]
    header += [f"lucid / torch at {last}"] if len(sides) == 2 else []
    what = "inference (eval, no grad)" if ARGS.infer else "training step"
    print_table(f"{what}: speed-up from {first} to {last} thread(s), medians of "
                f"{ARGS.repeat} interleaved repetitions, each count in its own process",
                header, table)


if __name__ == "__main__":
    if len(ARGS.batches) > 1 and (len(COUNTS) > 1 or ARGS.memory):
        sys.exit("models.py: a --batch list runs at one thread count and times speed; "
                 "run it once per --threads N, and --memory with one --batch N")
    if len(COUNTS) > 1:
        thread_scaling(COUNTS)
    elif ARGS.memory_child:
        memory_child(ARGS)
    elif ARGS.memory:
        memory(ARGS)
    elif len(ARGS.batches) > 1:
        scaling(ARGS)
    else:
        speed(ARGS)
