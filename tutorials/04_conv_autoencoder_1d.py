# %% [markdown]
# # 4. A 1-d convolutional autoencoder
#
# An autoencoder learns to copy its input through a narrow middle: the *encoder*
# squeezes a signal into a short code, the *decoder* rebuilds the signal from the code.
# Nobody labels anything: the target is the input itself. Here the signals are sums of
# two sine waves, 64 samples long; the encoder strides down with `nn.Conv1d` and the
# decoder strides back up with `nn.ConvTranspose1d`.
#
# Run it with `python tutorials/04_conv_autoencoder_1d.py [FIGURE_FOLDER]`
# (`LUCID_TUTORIAL_FAST=1` trains for 3 epochs on fewer signals).

# %%
import numpy as np

import lucid
from lucid import nn
from lucid.train import train_epoch
from _tutorial import FAST, plt, save_figure

EPOCHS = 3 if FAST else 40
N_SIGNALS = 256 if FAST else 1024
LENGTH = 64
lucid.random.seed(0)

# %% [markdown]
# ## The signals
#
# $$x(t) = a_1 \sin(2\pi f_1 t + \varphi_1) + a_2 \sin(2\pi f_2 t + \varphi_2)
#   + 0.05\,\varepsilon(t), \qquad t = 0, \tfrac{1}{64}, \dots, \tfrac{63}{64},$$
#
# with frequencies $f_1 \in [1, 3]$, $f_2 \in [4, 8]$ cycles per window, random
# amplitudes and phases, and a little Gaussian noise $\varepsilon$. Shape
# `(N, 1, 64)`: one channel, 64 time steps.

# %%
def sines(n, rng):
    t = np.arange(LENGTH) / LENGTH
    f = np.stack([rng.uniform(1, 3, n), rng.uniform(4, 8, n)], axis=1)[:, :, None]
    a = rng.uniform(0.3, 1.0, (n, 2, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 2, 1))
    x = (a * np.sin(2 * np.pi * f * t + phase)).sum(axis=1, keepdims=True)
    return (x + 0.05 * rng.standard_normal(x.shape)).astype(np.float32)


rng = np.random.default_rng(0)
train_x = lucid.Tensor(sines(N_SIGNALS, rng))
test_x = lucid.Tensor(sines(8, rng))
# an autoencoder's target is its input: the dataset yields (x, x)
train_loader = lucid.data.DataLoader(lucid.data.TensorDataset(train_x, train_x),
                                     batch_size=32, shuffle=True)
print("training signals:", train_x.shape, " test signals:", test_x.shape)

# %% [markdown]
# ## The model
#
# A convolution of stride 2 halves the length: $L_\text{out} = \lfloor (L + 2p - k)/2
# \rfloor + 1$, so $64 \to 32 \to 16$. A transposed convolution of stride 2 doubles it
# back: $L_\text{out} = (L - 1)\cdot 2 - 2p + k$, so with $k = 4$, $p = 1$:
# $16 \to 32 \to 64$. The code in the middle is 2 channels x 16 steps: 32 numbers for a
# signal of 64.

# %%
class AutoEncoder1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv1d(1, 16, kernel_size=5, stride=2, padding=2), nn.ReLU(),    # (B, 16, 32)
            nn.Conv1d(16, 32, kernel_size=5, stride=2, padding=2), nn.ReLU(),   # (B, 32, 16)
            nn.Conv1d(32, 2, kernel_size=3, padding=1),                         # (B, 2, 16): the code
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose1d(2, 32, kernel_size=4, stride=2, padding=1), nn.ReLU(),   # (B, 32, 32)
            nn.ConvTranspose1d(32, 16, kernel_size=4, stride=2, padding=1), nn.ReLU(),  # (B, 16, 64)
            nn.Conv1d(16, 1, kernel_size=3, padding=1),                                 # (B, 1, 64)
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


model = AutoEncoder1d()
print(model)
print("code shape:", model.encoder(test_x).shape, " output shape:", model(test_x).shape)

# %% [markdown]
# ## Training
#
# The loss is the mean squared error between the reconstruction and the input,
# $\frac{1}{64} \sum_t (\hat x(t) - x(t))^2$ averaged over the batch.

# %%
optimizer = lucid.optim.Adam(model.parameters(), lr=0.003)
loss_fn = nn.MSELoss()
losses = []
for epoch in range(EPOCHS):
    stats = train_epoch(model, train_loader, loss_fn, optimizer, desc=f"epoch {epoch + 1}/{EPOCHS}")
    losses.append(stats.loss)
with lucid.no_grad():
    model.eval()
    reconstruction = model(test_x)
    test_mse = loss_fn(reconstruction, test_x).item()
print(f"training MSE: first epoch {losses[0]:.4f}, last epoch {losses[-1]:.4f}")
print(f"test MSE {test_mse:.4f}  (the signals' own mean square is {float((test_x.data ** 2).mean()):.4f})")

# %% [markdown]
# ## Reconstructions
#
# Inputs in grey, reconstructions in colour. The decoder cannot reproduce the noise (the
# code is too small to store it): an autoencoder also *denoises*.

# %%
fig, axes = plt.subplots(2, 4, figsize=(11, 4), sharex=True, sharey=True)
for i, ax in enumerate(axes.flat):
    ax.plot(test_x.data[i, 0], color="grey", lw=2, label="input")
    ax.plot(reconstruction.data[i, 0], color="C3", lw=1.2, label="reconstruction")
    ax.grid(alpha=0.3)
axes[0, 0].legend(fontsize=8)
fig.suptitle(f"1-d conv autoencoder, {EPOCHS} epochs: test MSE {test_mse:.4f}")
save_figure(fig, "04_autoencoder_reconstructions.png")

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.arange(1, EPOCHS + 1), losses, marker="o")
ax.set(xlabel="epoch", ylabel="training MSE", yscale="log")
ax.grid(alpha=0.3)
save_figure(fig, "04_autoencoder_loss.png")

# %% [markdown]
# **Exercise.** Shrink the code to 1 channel (16 numbers). Which signals suffer most?
# Then try `output_padding=1` with `kernel_size=3, padding=1` in the transposed
# convolutions: check with the formula that the lengths still double.
