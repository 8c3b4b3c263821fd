"""One training step of an LSTM language model: lucid compiled vs lucid reference vs PyTorch.

The model (issue 12, the PyTorch word-language-model example's small setting without
dropout): Embedding(10,000 x 200) -> 2-layer LSTM(200, 200) -> Linear(200 -> 10,000),
a batch of 20 sequences of 35 tokens, cross-entropy over all 700 next-token
predictions, gradient clipping to a total norm of 0.25, SGD(lr=20). The hidden state
is carried from step to step, detached (truncated backpropagation through time). One
step = zero_grad, forward, loss, backward, clipping, optimizer step.

Both frameworks start from the same weights (torch's initialisation, loaded into lucid
through ``load_state_dict``) and read the same tokens, so their losses must agree: the
script prints the first steps' losses side by side. Then the median step time of each
side and the ratios, and where the time goes: each part of the step (forward and
backward) timed alone, lucid compiled against torch. torch is timed in a process of
its own (``_torch_process.py``), taking turns with lucid.

Both clip with their own ``nn.utils.clip_grad_norm_``.

Import order matters here (``lucid/_blas_env.py``): NumPy is imported first, as in most
scripts, so OpenBLAS's threads spin after each multi-threaded product and take a core
from what runs next (the LSTM's time loop after the decoder's products in the backward
pass). ``--import-lucid-first`` imports lucid before NumPy, so lucid can make them sleep.

Run: ``python benchmarks/lstm_lm.py [--repeat 15] [--no-reference] [--import-lucid-first]``
"""
import argparse
import pathlib
import sys
from types import SimpleNamespace

if "--import-lucid-first" in sys.argv:
    import lucid  # noqa: F401  (before NumPy: OPENBLAS_THREAD_TIMEOUT takes effect)

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _timing import (fmt_ms, interleaved_medians, median_time, print_table,  # noqa: E402
                     torch_or_none)
from _torch_process import TorchProcess  # noqa: E402

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402
import lucid.nn.functional as F  # noqa: E402

VOCAB, EMBED, HIDDEN, LAYERS, STEPS, BATCH = 10_000, 200, 200, 2, 35, 20
CLIP, LR = 0.25, 20.0


def language_model(nn_module):
    """The model class, written once for both frameworks' ``nn`` modules."""

    class LanguageModel(nn_module.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn_module.Embedding(VOCAB, EMBED)
            self.rnn = nn_module.LSTM(EMBED, HIDDEN, LAYERS)
            self.decoder = nn_module.Linear(HIDDEN, VOCAB)

        def forward(self, tokens, hidden):
            output, hidden = self.rnn(self.encoder(tokens), hidden)
            return self.decoder(output), hidden

    return LanguageModel


def lucid_kit():
    """What a step needs from lucid."""
    return SimpleNamespace(
        name="lucid", nn=nn, model=language_model(nn), weights=lambda state: state,
        tensor=lucid.Tensor, leaf=lambda a: lucid.Tensor(a, requires_grad=True),
        zeros=lambda *shape: lucid.zeros(shape), sgd=lucid.optim.SGD,
        cross_entropy=F.cross_entropy, clip=nn.utils.clip_grad_norm_,
        backward=lambda t: t.sum().backward())


def torch_kit(torch):
    """What a step needs from torch."""
    return SimpleNamespace(
        name="torch", nn=torch.nn, model=language_model(torch.nn),
        weights=lambda state: {k: torch.from_numpy(v) for k, v in state.items()},
        tensor=torch.from_numpy, leaf=lambda a: torch.from_numpy(a).requires_grad_(),
        zeros=torch.zeros, sgd=torch.optim.SGD,
        cross_entropy=torch.nn.functional.cross_entropy,
        clip=torch.nn.utils.clip_grad_norm_, backward=lambda t: t.sum().backward())


def step_fn(kit, state, batches):
    """A training step closure (it walks through ``batches``, carrying the state)."""
    model = kit.model()
    model.load_state_dict(kit.weights(state))
    opt = kit.sgd(model.parameters(), lr=LR)
    zeros = kit.zeros(LAYERS, BATCH, HIDDEN)
    hidden = [(zeros, zeros)]
    data = [(kit.tensor(x), kit.tensor(y.reshape(-1))) for x, y in batches]
    turn = [0]

    def step():
        x, y = data[turn[0] % len(data)]
        turn[0] += 1
        opt.zero_grad()
        h, c = hidden[0]
        logits, (h, c) = model(x, (h.detach(), c.detach()))
        hidden[0] = (h, c)
        loss = kit.cross_entropy(logits.reshape(-1, VOCAB), y)
        loss.backward()
        kit.clip(model.parameters(), CLIP)
        opt.step()
        return float(loss.item())

    return step


def part_fns(kit, state, rng):
    """Each part of the step alone, forward and backward, on fixed inputs."""
    model = kit.model()
    model.load_state_dict(kit.weights(state))
    tokens = kit.tensor(rng.integers(0, VOCAB, size=(STEPS, BATCH)))
    targets = kit.tensor(rng.integers(0, VOCAB, size=STEPS * BATCH))
    embedded = kit.leaf(rng.standard_normal((STEPS, BATCH, EMBED)).astype(np.float32))
    hidden = kit.leaf(rng.standard_normal((STEPS, BATCH, HIDDEN)).astype(np.float32))
    logits = kit.leaf(rng.standard_normal((STEPS * BATCH, VOCAB)).astype(np.float32))
    opt = kit.sgd(model.parameters(), lr=LR)

    def clip_and_sgd():
        kit.clip(model.parameters(), CLIP)
        opt.step()

    kit.backward(model.decoder(hidden))          # gradients for clip_and_sgd to use
    kit.backward(model.encoder(tokens))
    return {
        "embedding": lambda: kit.backward(model.encoder(tokens)),
        "2-layer LSTM": lambda: kit.backward(model.rnn(embedded)[0]),
        "decoder (Linear 200->10,000)": lambda: kit.backward(model.decoder(hidden)),
        "cross-entropy (700 x 10,000)": lambda: kit.cross_entropy(logits, targets).backward(),
        "clipping + SGD step": clip_and_sgd,
    }


def tokens():
    """The four batches of (input, target) tokens every step walks through."""
    rng = np.random.default_rng(0)
    return [(rng.integers(0, VOCAB, size=(STEPS, BATCH)),
             rng.integers(0, VOCAB, size=(STEPS, BATCH))) for _ in range(4)]


def torch_state(torch, kit):
    """torch's initial weights, which both sides start from."""
    torch.manual_seed(0)
    return {k: v.detach().numpy().copy() for k, v in kit.model().state_dict().items()}


def torch_closure(part):
    """The factory run in the torch process: torch's step (``part`` None) or one part."""
    import torch
    torch.set_num_threads(2)
    kit = torch_kit(torch)
    state = torch_state(torch, kit)
    if part is None:
        return step_fn(kit, state, tokens())
    return part_fns(kit, state, np.random.default_rng(1))[part]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-reference", action="store_true", help="skip the reference twins")
    parser.add_argument("--import-lucid-first", action="store_true",
                        help="import lucid before NumPy (see the module docstring)")
    args = parser.parse_args()

    batches = tokens()
    torch = torch_or_none(threads=2)
    kits = [lucid_kit()] + ([torch_kit(torch)] if torch is not None else [])
    worker = None if torch is None else TorchProcess(__file__, sys.argv[1:], 2)
    if torch is not None:
        state = torch_state(torch, kits[1])
    else:
        lucid.random.seed(0)
        state = {k: v.data.copy() for k, v in kits[0].model().state_dict().items()}

    # the losses of the first steps, from the same weights and tokens
    losses = {kit.name: [step() for step in [step_fn(kit, state, batches)] for _ in range(6)]
              for kit in kits}
    rows = [[str(i), *(f"{losses[k.name][i]:.6f}" for k in kits)] for i in range(6)]
    if torch is not None:
        for i, row in enumerate(rows):
            a, b = losses["lucid"][i], losses["torch"][i]
            row.append(f"{abs(a - b) / abs(b):.1e}")
    print_table("Loss of the first steps (same weights, same tokens)",
                ["step", *(k.name for k in kits)] + (["relative difference"] if torch else []),
                rows)

    fns = {"lucid compiled": step_fn(kits[0], state, batches)}
    if worker is not None:
        fns["torch (2 threads)"] = worker.closure("torch_closure", None)
    times = interleaved_medians(fns, args.repeat)
    if not args.no_reference:
        with lucid.kernels.use("reference"):
            times["lucid reference"] = median_time(step_fn(kits[0], state, batches),
                                                   repeat=max(3, args.repeat // 3))
    base = times.get("torch (2 threads)")
    rows = [[name, fmt_ms(t), f"{t / base:.2f}x" if base else "n/a"] for name, t in times.items()]
    print_table(f"LSTM language-model training step (vocabulary {VOCAB}, 2x{HIDDEN} LSTM, "
                f"sequence {STEPS}, batch {BATCH}; median)", ["implementation", "step", "vs torch"],
                rows)
    print("\nTarget (issue 12): lucid compiled at most 1.5x PyTorch's step; issue 14's goal: 1.0x.")
    from lucid import _blas_env
    print("NumPy was imported before lucid: OpenBLAS's threads spin after each call "
          "(--import-lucid-first changes that)." if _blas_env.BLAS_SPINS else
          "lucid was imported before NumPy: OpenBLAS's threads sleep after each call.")

    parts = {"lucid": {}, "torch": {}}
    for name, fn in part_fns(kits[0], state, np.random.default_rng(1)).items():
        fns = {"lucid": fn}
        if worker is not None:
            fns["torch"] = worker.closure("torch_closure", name)
        for side, t in interleaved_medians(fns, args.repeat).items():
            parts[side][name] = t
    if worker is not None:
        worker.close()
    rows = []
    for name, t in parts["lucid"].items():
        row = [name, fmt_ms(t)]
        if torch is not None:
            row += [fmt_ms(parts["torch"][name]), f"{t / parts['torch'][name]:.2f}x"]
        rows.append(row)
    print_table("Where the time goes: each part alone, forward + backward (median)",
                ["part", "lucid compiled"] + (["torch", "lucid / torch"] if torch else []), rows)


if __name__ == "__main__":
    main()
