r"""The homework demo: train a small CNN on the shipped digits and report what ran.

Run it with ``python -m lucid.demo`` (``--help`` lists the options). It trains
:class:`DigitsCNN` on the training part of :class:`lucid.datasets.Digits` (1,438 grey
8x8 images of the digits 0-9, shipped with lucid, no network needed) with Adam and the
cross-entropy loss, showing a progress bar per epoch, then prints the accuracy on the
359 held-out test images, the time per epoch, and which kernel twin (reference or
compiled) each kernel family ran on (:func:`lucid.kernels.status`).

The network, for a batch of :math:`B` images :math:`(B, 1, 8, 8)`::

    conv 3x3, 1 -> 16, pad 1   (B, 16, 8, 8)    ReLU, max-pool 2   (B, 16, 4, 4)
    conv 3x3, 16 -> 32, pad 1  (B, 32, 4, 4)    ReLU, max-pool 2   (B, 32, 2, 2)
    flatten                    (B, 128)
    linear 128 -> 10           (B, 10)          the class scores (logits)

It runs in a few seconds on the compiled twins and in well under a minute on the
reference twins (``LUCID_KERNELS=reference python -m lucid.demo``).
"""
import argparse
import time
from typing import NamedTuple

import lucid
from lucid import nn
from lucid.train import evaluate, train_epoch

__all__ = ["DigitsCNN", "DemoResult", "train", "main"]


class DigitsCNN(nn.Module):
    r"""The homework CNN for 8x8 one-channel images: two conv blocks and a linear layer.

    .. math::

        h_1 &= \mathrm{maxpool}_2(\mathrm{relu}(\mathrm{conv}_{1 \to 16}(x))),\qquad
        h_2 = \mathrm{maxpool}_2(\mathrm{relu}(\mathrm{conv}_{16 \to 32}(h_1))),\\
        \text{logits} &= W\, \mathrm{flatten}(h_2) + b,

    with 3x3 convolutions padded by 1 (they keep the size; each pooling halves it).
    Input ``(B, 1, 8, 8)``, output ``(B, num_classes)``. Backward is autograd's: every
    layer's gradient is its Function's hand-written backward.

    Parameters
    ----------
    num_classes : int, default 10

    Examples
    --------
    >>> import lucid
    >>> from lucid.demo import DigitsCNN
    >>> lucid.random.seed(0)
    >>> model = DigitsCNN()
    >>> model(lucid.zeros((2, 1, 8, 8))).shape
    (2, 10)
    >>> sum(p.size for p in model.parameters())      # 160 + 4,640 + 1,290
    6090
    """

    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(32 * 2 * 2, num_classes)

    def forward(self, x):
        h = self.features(x)
        return self.classifier(h.reshape(h.shape[0], -1))


class DemoResult(NamedTuple):
    """What :func:`train` returns."""

    accuracy: float
    """Share of the held-out test images classified correctly."""
    epoch_seconds: list
    """Wall-clock seconds of each training epoch."""
    losses: list
    """Mean training loss of each epoch."""
    model: DigitsCNN
    """The trained network."""


def train(epochs=15, batch_size=32, lr=0.005, seed=0, progress=True):
    r"""Train :class:`DigitsCNN` on the shipped digits and measure its test accuracy.

    Adam (learning rate ``lr``) minimises the mean cross-entropy
    :math:`-\frac1B \sum_i \log \mathrm{softmax}(\text{logits}_i)_{y_i}` over shuffled
    batches of the 1,438 training images for ``epochs`` epochs; the accuracy is then
    measured on the 359 test images (see :func:`lucid.train.evaluate`).
    :func:`lucid.random.seed` (``seed``) fixes the initial weights and the shuffling, so
    a run repeats exactly on the same twin.

    Parameters
    ----------
    epochs : int, default 15
    batch_size : int, default 32
    lr : float, default 0.005
    seed : int, default 0
    progress : bool, default True
        Show a progress bar per epoch.

    Returns
    -------
    DemoResult
        ``accuracy``, ``epoch_seconds``, ``losses`` and the trained ``model``.

    Raises
    ------
    TypeError, ValueError
        ``epochs`` not a positive int (other arguments are checked by the classes they
        configure).

    Examples
    --------
    >>> from lucid.demo import train
    >>> result = train(epochs=1, progress=False)
    >>> len(result.epoch_seconds), result.accuracy > 0.5
    (1, True)
    """
    if not isinstance(epochs, int) or isinstance(epochs, bool):
        raise TypeError(f"train: epochs must be an int; got {epochs!r}")
    if epochs < 1:
        raise ValueError(f"train: epochs must be at least 1; got {epochs}")
    lucid.random.seed(seed)
    train_set = lucid.datasets.Digits(train=True)
    test_set = lucid.datasets.Digits(train=False)
    train_loader = lucid.data.DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = lucid.data.DataLoader(test_set, batch_size=256)
    model = DigitsCNN()
    optimizer = lucid.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    seconds, losses = [], []
    for epoch in range(epochs):
        stats = train_epoch(model, train_loader, loss_fn, optimizer,
                            desc=f"epoch {epoch + 1}/{epochs}", progress=progress)
        seconds.append(stats.seconds)
        losses.append(stats.loss)
    return DemoResult(evaluate(model, test_loader), seconds, losses, model)


def main(argv=None):
    """Train, then print the accuracy, the time per epoch and the kernel twins that ran."""
    parser = argparse.ArgumentParser(prog="python -m lucid.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=15, help="training epochs (default 15)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--lr", type=float, default=0.005, help="Adam learning rate (default 0.005)")
    parser.add_argument("--seed", type=int, default=0, help="lucid.random.seed (default 0)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    args = parser.parse_args(argv)

    print(f"lucid {lucid.__version__} - the homework CNN on the shipped 8x8 digits\n")
    print(DigitsCNN(), "\n", flush=True)
    start = time.perf_counter()
    result = train(args.epochs, args.batch_size, args.lr, args.seed, progress=not args.no_progress)
    total = time.perf_counter() - start
    per_epoch = sum(result.epoch_seconds) / len(result.epoch_seconds)
    print(f"\ntest accuracy: {100 * result.accuracy:.1f} % on the 359 held-out digits"
          f" (final training loss {result.losses[-1]:.4f})")
    print(f"time per epoch: {per_epoch:.2f} s ({args.epochs} epochs, {total:.1f} s in all)\n")
    print("kernel twins that ran (lucid.kernels.status()):")
    print(lucid.kernels.status())
    return result


if __name__ == "__main__":
    main()
