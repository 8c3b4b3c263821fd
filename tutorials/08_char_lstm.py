# %% [markdown]
# # 8. A character-level language model with an LSTM
#
# A language model reads text and predicts what comes next. Here it works one
# *character* at a time: after `"Caius Marciu"` it should say `"s"`. Trained on a page
# of Shakespeare that ships with lucid (`lucid.datasets.TinyShakespeare`, the opening of
# *Coriolanus*), a small LSTM learns spelling, spaces, line breaks and speaker names, and
# then writes new "Shakespeare" one character at a time.
#
# You will meet `nn.Embedding`, `nn.LSTM`, gradient clipping, a validation loss, and
# sampling with a temperature.
#
# Run it with `python tutorials/08_char_lstm.py [FIGURE_FOLDER]`
# (`LUCID_TUTORIAL_FAST=1` trains for 150 steps only, a few seconds).

# %%
import math
import time

import numpy as np

import lucid
from lucid import nn
import lucid.nn.functional as F
from _tutorial import FAST, plt, save_figure

STEPS = 150 if FAST else 600
SEQ_LEN, BATCH = 64, 32
lucid.random.seed(0)

# %% [markdown]
# ## The data
#
# The text is coded character by character: the vocabulary is its 58 distinct
# characters, sorted, and each character becomes its index. A training sample is a
# window of 64 codes $x = (c_s, \dots, c_{s+63})$ and the same window shifted by one,
# $y = (c_{s+1}, \dots, c_{s+64})$: at every position the target is the next character.
# The first 90% of the text is for training, the last 10% for validation (text the model
# never trains on).

# %%
train_set = lucid.datasets.TinyShakespeare(seq_len=SEQ_LEN, stride=SEQ_LEN // 2)
valid_set = lucid.datasets.TinyShakespeare(seq_len=SEQ_LEN, train=False)
V = train_set.vocab_size
print(train_set)
print(valid_set)
x, y = train_set[3]
print("x:", repr(train_set.decode(x)))
print("y:", repr(train_set.decode(y)))
train_loader = lucid.data.DataLoader(train_set, batch_size=BATCH, shuffle=True)
valid_x = lucid.stack([valid_set[i][0] for i in range(len(valid_set))])
valid_y = lucid.stack([valid_set[i][1] for i in range(len(valid_set))])

# %% [markdown]
# ## The model
#
# Three layers. `nn.Embedding(58, 32)` turns each code into a learned vector
# $e_t \in \mathbb R^{32}$. `nn.LSTM(32, 128)` reads the vectors in order and keeps a
# memory: at step $t$ its gates
#
# $$i_t, f_t, o_t = \sigma(\cdot), \quad g_t = \tanh(\cdot) \quad\text{of}\quad
#   W_{ih} e_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}$$
#
# decide what to write into the cell state, $c_t = f_t \odot c_{t-1} + i_t \odot g_t$,
# and what to show, $h_t = o_t \odot \tanh c_t$. So $h_t$ depends on every character up
# to $t$, never on a later one. Finally `nn.Linear(128, 58)` turns $h_t$ into 58 scores
# (logits) for the next character. With `batch_first=True` the tensors are
# `(batch, time, features)`, the layout the `DataLoader` gives.

# %%
class CharLSTM(nn.Module):
    def __init__(self, vocab, embed=32, hidden=128):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, codes, state=None):
        h, state = self.lstm(self.embed(codes), state)   # h: (N, L, hidden)
        return self.head(h), state                        # logits: (N, L, vocab)


model = CharLSTM(V)
print(model)
print("parameters:", sum(p.size for p in model.parameters()))
logits, (h_n, c_n) = model(x.reshape(1, SEQ_LEN))
print("logits:", logits.shape, " final states:", h_n.shape, c_n.shape)

# %% [markdown]
# ## The loss, and what "no idea" costs
#
# The loss is the cross-entropy of the next character, averaged over all $N \cdot L$
# positions: $\ell = -\frac{1}{NL}\sum_{n,t} \log p_\theta(y_{n,t} \mid x_{n,1..t})$.
# A model that knows nothing gives every character probability $1/58$, a loss of
# $\log 58 \approx 4.06$: the number to beat. (Its exponential, the *perplexity*, reads as
# "how many characters is the model still choosing between".)

# %%
def loss_of(model, codes, targets):
    logits, _ = model(codes)
    return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))


with lucid.no_grad():
    start_valid = loss_of(model, valid_x, valid_y).item()
print(f"log V = {math.log(V):.3f};  validation loss before training: {start_valid:.3f}")

# %% [markdown]
# ## Training, with gradient clipping
#
# The backward pass of an LSTM runs *through time*: the gradient of the loss at step 64
# reaches step 1 through 63 multiplications by the recurrent weights. Now and then that
# product explodes, and one bad batch would throw the weights far away. The usual guard
# is to rescale the gradients when their total norm
# $\|g\| = \big(\sum_p \|g_p\|^2\big)^{1/2}$ exceeds a threshold:
# $g \leftarrow g \cdot \min(1, \tau / \|g\|)$. It keeps the direction and caps the step.
#
# (lucid runs the whole backward through time of one LSTM layer as a single graph node,
# with hand-written NumPy on whole batches; see the `nn.LSTM` docs page.)

# %%
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = math.sqrt(sum(float((g * g).sum()) for g in grads))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return total


optimizer = lucid.optim.Adam(model.parameters(), lr=3e-3)
train_losses, valid_points = [], [(0, start_valid)]
step, started = 0, time.perf_counter()
while step < STEPS:
    for codes, targets in train_loader:
        optimizer.zero_grad()
        loss = loss_of(model, codes, targets)
        loss.backward()
        clip_grad_norm(model.parameters(), 1.0)
        optimizer.step()
        train_losses.append(loss.item())
        step += 1
        if step % (STEPS // 5) == 0:
            with lucid.no_grad():
                valid_points.append((step, loss_of(model, valid_x, valid_y).item()))
            print(f"step {step:5d}: training loss {np.mean(train_losses[-20:]):.3f}, "
                  f"validation loss {valid_points[-1][1]:.3f}")
        if step == STEPS:
            break
seconds = time.perf_counter() - started
print(f"{STEPS} steps in {seconds:.1f} s ({1000 * seconds / STEPS:.0f} ms per step)")
assert valid_points[-1][1] < start_valid - 0.7, "the validation loss should have gone down"

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(np.arange(1, STEPS + 1), train_losses, lw=0.8, alpha=0.7, label="training (one batch)")
ax.plot(*zip(*valid_points), marker="o", label="validation")
ax.axhline(math.log(V), color="grey", ls="--", lw=1, label="uniform guess, log 58")
ax.set(xlabel="step", ylabel="cross-entropy (nats per character)")
ax.legend()
ax.grid(alpha=0.3)
save_figure(fig, "08_char_lstm_loss.png")

# %% [markdown]
# ## Writing Shakespeare
#
# To generate, feed a prompt, then repeat: turn the last logits $s$ into probabilities
# with a *temperature* $T$, $p_k \propto e^{s_k / T}$, draw a character, and feed it back
# in. The LSTM's state `(h, c)` carries the memory of everything read so far, so each
# new character costs one step. Low $T$ plays safe (the likeliest characters), high $T$
# takes risks.

# %%
def sample(model, prompt, length, temperature=0.8, seed=0):
    rng = np.random.default_rng(seed)
    model.eval()
    with lucid.no_grad():
        codes = lucid.Tensor(train_set.encode(prompt).reshape(1, -1))
        logits, state = model(codes)                       # read the prompt
        text = prompt
        for _ in range(length):
            scores = logits.data[0, -1].astype(np.float64) / temperature
            p = np.exp(scores - scores.max())
            code = rng.choice(V, p=p / p.sum())
            text += train_set.chars[code]
            logits, state = model(lucid.Tensor([[code]]), state)   # one more step
    model.train()
    return text


text = sample(model, "MARCIUS:\n", 300)
print(text)
line = next(ln for ln in text.splitlines()[1:] if ln.strip())
print("sampled line:", repr(line))

# %% [markdown]
# After 150 steps (the fast setting) the model has learnt the shape of the text —
# speaker names in capitals followed by a colon, short lines, spaces between
# word-like groups. After 600 steps most words are English.
#
# **Overfitting.** The training text is short (28,568 characters) for a model of 92,282
# parameters. Train longer (`STEPS = 1500`) and the two curves part: the training loss
# keeps falling (the model starts to recite the play) while the validation loss turns
# and rises. The remedies are the usual ones: more text, a smaller model, dropout, or
# stopping where the validation loss was lowest.
#
# **Exercises.** (1) Sample with temperature 0.3 and 1.5: what changes? (2) Replace
# `nn.LSTM` by `nn.GRU` (its state is `h` alone) and compare the validation loss after
# the same number of steps. (3) Remove `clip_grad_norm` and train with `lr=1e-2`: watch
# the training loss curve for spikes. (4) Train for 1,500 steps and keep a copy of the
# weights (`model.state_dict()`) at the lowest validation loss.
