# %% [markdown]
# # 3. A convolutional network on the digits
#
# An MLP sees 64 unrelated numbers; a convolutional network (CNN) knows that
# neighbouring pixels belong together. This walkthrough trains the homework CNN — the
# same one `python -m lucid.demo` trains — with a `DataLoader`, watches it learn through
# a progress bar, and looks at where it still goes wrong.
#
# Run it with `python tutorials/03_cnn_digits.py [FIGURE_FOLDER]`
# (`LUCID_TUTORIAL_FAST=1` trains for 3 epochs only).

# %%
import inspect

import numpy as np

import lucid
from lucid import nn
from lucid.demo import DigitsCNN
from lucid.train import evaluate, predict, train_epoch
from _tutorial import FAST, plt, save_figure

EPOCHS = 3 if FAST else 15
lucid.random.seed(0)

# %% [markdown]
# ## The data, in batches
#
# A `DataLoader` cuts the data set into batches and stacks the samples: images become a
# `(B, 1, 8, 8)` tensor (batch, channel, height, width), labels a `(B,)` tensor.
# `shuffle=True` draws a new order every epoch; `lucid.random.seed` makes it repeatable.

# %%
train_set = lucid.datasets.Digits(train=True)
test_set = lucid.datasets.Digits(train=False)
train_loader = lucid.data.DataLoader(train_set, batch_size=32, shuffle=True)
test_loader = lucid.data.DataLoader(test_set, batch_size=256)
images, labels = next(iter(train_loader))
print("one batch:", images.shape, images.dtype, "labels", labels.shape)

# %% [markdown]
# ## The model
#
# Two convolution blocks, then a linear layer. A 3x3 convolution with padding 1 keeps
# the 8x8 size; each 2x2 max-pooling halves it. Here is the class, as `lucid.demo`
# defines it:

# %%
print(inspect.getsource(DigitsCNN.__init__))
print(inspect.getsource(DigitsCNN.forward))

# %% [markdown]
# Follow one batch through the layers to see the shapes change:

# %%
model = DigitsCNN()
h = images
for layer in model.features:
    h = layer(h)
    print(f"{type(layer).__name__:<10} -> {h.shape}")
print(f"{'flatten':<10} -> {h.reshape(h.shape[0], -1).shape}")
print(f"{'Linear':<10} -> {model(images).shape}")
print("parameters:", sum(p.size for p in model.parameters()))

# %% [markdown]
# ## Training, with a progress bar
#
# `lucid.train.train_epoch` is the loop of tutorial 2 (zero the gradients, forward,
# loss, backward, step) wrapped in a tqdm progress bar that shows the running loss and
# the throughput. Adam adapts a step size per parameter and suits CNNs well.

# %%
optimizer = lucid.optim.Adam(model.parameters(), lr=0.005)
loss_fn = nn.CrossEntropyLoss()
history = []
for epoch in range(EPOCHS):
    stats = train_epoch(model, train_loader, loss_fn, optimizer, desc=f"epoch {epoch + 1}/{EPOCHS}")
    history.append((stats.loss, evaluate(model, test_loader)))
    print(f"epoch {epoch + 1:2d}: loss {stats.loss:.4f}, test accuracy {history[-1][1]:.3f},"
          f" {stats.samples_per_second:.0f} samples/s")

# %% [markdown]
# ## Where does it go wrong?
#
# The confusion matrix counts, for every true digit (row), which digit the network
# answered (column). The diagonal is right; everything else is a mistake.

# %%
predicted, truth = predict(model, test_loader)
confusion = np.zeros((10, 10), dtype=np.int64)
np.add.at(confusion, (truth, predicted), 1)
print("test accuracy:", round(float(np.trace(confusion)) / len(truth), 4))
print(confusion)

fig, ax = plt.subplots(figsize=(4.5, 4))
ax.imshow(confusion, cmap="Blues")
for i in range(10):
    for j in range(10):
        if confusion[i, j]:
            ax.text(j, i, confusion[i, j], ha="center", va="center",
                    color="white" if confusion[i, j] > confusion.max() / 2 else "black", fontsize=8)
ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true digit",
       title="confusion matrix (test set)")
save_figure(fig, "03_cnn_confusion.png")

# %% [markdown]
# And some test images with the network's answer; mistakes in red.

# %%
wrong = np.flatnonzero(predicted != truth)
shown = np.concatenate([wrong[:6], np.flatnonzero(predicted == truth)[:18 - len(wrong[:6])]])
fig, axes = plt.subplots(3, 6, figsize=(7, 3.8))
for ax, i in zip(axes.flat, shown):
    ax.imshow(test_set.data[i], cmap="gray_r")
    ax.set_title(f"{predicted[i]} (true {truth[i]})", fontsize=8,
                 color="red" if predicted[i] != truth[i] else "black")
    ax.axis("off")
save_figure(fig, "03_cnn_predictions.png")

# %% [markdown]
# **Exercise.** Remove the second convolution block (then the linear layer sees
# `16 * 4 * 4` numbers). How much accuracy does it cost? How many parameters does it save?
