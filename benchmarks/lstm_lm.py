"""One training step of an LSTM language model: lucid compiled vs lucid reference vs PyTorch.

The model (issue 12, the PyTorch word-language-model example's small setting without
dropout): Embedding(10,000 x 200) -> 2-layer LSTM(200, 200) -> Linear(200 -> 10,000),
a batch of 20 sequences of 35 tokens, cross-entropy over all 700 next-token
predictions, gradient clipping to a total norm of 0.25, SGD(lr=20). The hidden state
is carried from step to step, detached (truncated backpropagation through time). One
step = zero_grad, forward, loss, backward, clipping, optimizer step.

Both frameworks start from the same weights (torch's initialisation, loaded into lucid
through ``load_state_dict``) and read the same tokens, so their losses must agree: the
script prints the first steps' losses side by side. Then it prints the median step time
of each side, the ratios, the same for the recurrent part alone (LSTM forward and
backward), and a profile of the compiled lucid step (where the time goes).

lucid clips by hand: ``lucid.nn.utils`` has no ``clip_grad_norm_`` yet.

Run: ``python benchmarks/lstm_lm.py [--repeat 15] [--no-reference]``
"""
import argparse
import cProfile
import pathlib
import pstats
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _timing import fmt_ms, median_time, print_table, torch_or_none  # noqa: E402

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402
import lucid.nn.functional as F  # noqa: E402

VOCAB, EMBED, HIDDEN, LAYERS, STEPS, BATCH = 10_000, 200, 200, 2, 35, 20
CLIP, LR = 0.25, 20.0


class LucidLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(VOCAB, EMBED)
        self.rnn = nn.LSTM(EMBED, HIDDEN, LAYERS)
        self.decoder = nn.Linear(HIDDEN, VOCAB)

    def forward(self, tokens, hidden):
        output, hidden = self.rnn(self.encoder(tokens), hidden)
        return self.decoder(output), hidden


def torch_model(torch):
    tnn = torch.nn

    class TorchLM(tnn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = tnn.Embedding(VOCAB, EMBED)
            self.rnn = tnn.LSTM(EMBED, HIDDEN, LAYERS)
            self.decoder = tnn.Linear(HIDDEN, VOCAB)

        def forward(self, tokens, hidden):
            output, hidden = self.rnn(self.encoder(tokens), hidden)
            return self.decoder(output), hidden

    return TorchLM()


def clip_by_hand(parameters, max_norm):
    """Scale every gradient by ``max_norm / total_norm`` when the total norm is larger."""
    grads = [p.grad for p in parameters if p.grad is not None]
    total = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads)))
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for g in grads:
            g *= scale
    return total


def lucid_step_fn(state, batches):
    model = LucidLM()
    model.load_state_dict(state)
    opt = lucid.optim.SGD(model.parameters(), lr=LR)
    zeros = lucid.zeros((LAYERS, BATCH, HIDDEN))
    hidden = [(zeros, zeros)]
    data = [(lucid.Tensor(x), lucid.Tensor(y.reshape(-1))) for x, y in batches]
    turn = [0]

    def step():
        x, y = data[turn[0] % len(data)]
        turn[0] += 1
        opt.zero_grad()
        h, c = hidden[0]
        logits, (h, c) = model(x, (h.detach(), c.detach()))
        hidden[0] = (h, c)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), y)
        loss.backward()
        clip_by_hand(model.parameters(), CLIP)
        opt.step()
        return float(loss.item())

    return step, model


def torch_step_fn(torch, state, batches):
    model = torch_model(torch)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    zeros = torch.zeros(LAYERS, BATCH, HIDDEN)
    hidden = [(zeros, zeros)]
    data = [(torch.from_numpy(x), torch.from_numpy(y.reshape(-1))) for x, y in batches]
    turn = [0]

    def step():
        x, y = data[turn[0] % len(data)]
        turn[0] += 1
        opt.zero_grad()
        h, c = hidden[0]
        logits, (h, c) = model(x, (h.detach(), c.detach()))
        hidden[0] = (h, c)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        return float(loss.item())

    return step, model


def lstm_only_fns(torch, state, x_np):
    """Forward + backward of the 2-layer LSTM alone, on the same embedded input."""
    rnn = nn.LSTM(EMBED, HIDDEN, LAYERS)
    rnn.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("rnn.")})
    x = lucid.Tensor(x_np, requires_grad=True)

    def lucid_fn():
        out, (h, c) = rnn(x)
        out.sum().backward()

    fns = {"lucid": lucid_fn}
    if torch is not None:
        trnn = torch.nn.LSTM(EMBED, HIDDEN, LAYERS)
        trnn.load_state_dict({k[4:]: torch.from_numpy(v) for k, v in state.items()
                              if k.startswith("rnn.")})
        tx = torch.from_numpy(x_np).requires_grad_()

        def torch_fn():
            out, _ = trnn(tx)
            out.sum().backward()

        fns["torch"] = torch_fn
    return fns


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-reference", action="store_true", help="skip the reference twins")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    batches = [(rng.integers(0, VOCAB, size=(STEPS, BATCH)).astype(np.int64),
                rng.integers(0, VOCAB, size=(STEPS, BATCH)).astype(np.int64))
               for _ in range(4)]
    torch = torch_or_none(threads=2)
    if torch is not None:
        torch.manual_seed(0)
        state = {k: v.detach().numpy().copy() for k, v in torch_model(torch).state_dict().items()}
    else:
        lucid.random.seed(0)
        state = {k: v.data.copy() for k, v in LucidLM().state_dict().items()}

    # the losses of the first steps, from the same weights and tokens
    lucid_step, _ = lucid_step_fn(state, batches)
    lucid_losses = [lucid_step() for _ in range(6)]
    rows = []
    if torch is not None:
        torch_step, _ = torch_step_fn(torch, state, batches)
        torch_losses = [torch_step() for _ in range(6)]
        for i, (a, b) in enumerate(zip(lucid_losses, torch_losses)):
            rows.append([str(i), f"{a:.6f}", f"{b:.6f}", f"{abs(a - b) / abs(b):.1e}"])
        print_table("Loss of the first steps (same weights, same tokens)",
                    ["step", "lucid", "torch", "relative difference"], rows)
    else:
        print("losses (lucid):", ", ".join(f"{v:.6f}" for v in lucid_losses))

    times = {}
    compiled_step, compiled_model = lucid_step_fn(state, batches)
    times["lucid compiled"] = median_time(compiled_step, repeat=args.repeat, warmup=3)
    if not args.no_reference:
        with lucid.kernels.use("reference"):
            reference_step, _ = lucid_step_fn(state, batches)
            times["lucid reference"] = median_time(reference_step, repeat=max(3, args.repeat // 3))
    if torch is not None:
        times["torch (2 threads)"] = median_time(torch_step_fn(torch, state, batches)[0],
                                                 repeat=args.repeat, warmup=3)
    base = times.get("torch (2 threads)")
    rows = [[name, fmt_ms(t), f"{t / base:.2f}x" if base else "n/a"] for name, t in times.items()]
    print_table(f"LSTM language-model training step (vocabulary {VOCAB}, 2x{HIDDEN} LSTM, "
                f"sequence {STEPS}, batch {BATCH}; median)", ["implementation", "step", "vs torch"],
                rows)
    print("\nTarget (issue 12): lucid compiled at most 1.5x PyTorch's step; issue 14's goal: 1.0x.")

    x_np = rng.standard_normal((STEPS, BATCH, EMBED)).astype(np.float32)
    fns = lstm_only_fns(torch, state, x_np)
    part = {name: median_time(fn, repeat=args.repeat, warmup=3) for name, fn in fns.items()}
    rows = [[name, fmt_ms(t), f"{t / part['torch']:.2f}x" if "torch" in part else "n/a"]
            for name, t in part.items()]
    print_table("The 2-layer LSTM alone, forward + backward (median)",
                ["implementation", "time", "vs torch"], rows)

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(5):
        compiled_step()
    profile.disable()
    print("\nWhere the compiled step's time goes (5 steps, top functions by own time):")
    pstats.Stats(profile).sort_stats("tottime").print_stats(14)


if __name__ == "__main__":
    main()
