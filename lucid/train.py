r"""A training loop you can watch: one epoch with a progress bar, and accuracy.

Training a model is the same five lines every time, for every batch
:math:`(x_b, y_b)` of a :class:`~lucid.data.DataLoader`::

    optimizer.zero_grad()              # forget the last batch's gradients
    loss = loss_fn(model(xb), yb)      # forward: build the graph
    loss.backward()                    # backward: d loss / d parameter for every parameter
    optimizer.step()                   # update the parameters from their gradients

:func:`train_epoch` runs that loop once over the loader and shows it as a
`tqdm <https://tqdm.github.io>`_ progress bar on ``stderr`` with the running mean loss and
the throughput (samples per second); :func:`evaluate` measures the share of correctly
classified samples. The demo (``python -m lucid.demo``) and the tutorials use both; the
loop is short on purpose, so read it and write your own when you need more.
"""
import sys
import time
from typing import NamedTuple

import numpy as np

from lucid._tensor import Tensor
from lucid.autograd.grad_mode import no_grad
from lucid._checks import check_bool

__all__ = ["EpochStats", "progress_bar", "train_epoch", "predict", "evaluate"]


class EpochStats(NamedTuple):
    """What one call of :func:`train_epoch` measured."""

    loss: float
    """The mean loss per sample over the epoch."""
    samples: int
    """How many samples were seen."""
    seconds: float
    """Wall-clock time of the epoch."""

    @property
    def samples_per_second(self):
        """Throughput: ``samples / seconds``."""
        return self.samples / self.seconds if self.seconds > 0 else float("inf")


def progress_bar(iterable, desc=None, total=None, enabled=True):
    """Wrap ``iterable`` in the tqdm bar lucid uses (on ``stderr``, one line, kept at the end).

    Parameters
    ----------
    iterable : iterable
        What to loop over (a :class:`~lucid.data.DataLoader`, a ``range``, ...).
    desc : str, optional
        Text in front of the bar, e.g. ``"epoch 1/5"``.
    total : int, optional
        The number of items, when ``len(iterable)`` does not say it.
    enabled : bool, default True
        ``False`` returns a bar that draws nothing (for tests and quiet runs).

    Returns
    -------
    tqdm.tqdm
        Iterate over it as over ``iterable``; ``bar.set_postfix(...)`` adds numbers.

    Raises
    ------
    TypeError
        ``enabled`` not a bool.

    Examples
    --------
    >>> from lucid.train import progress_bar
    >>> sum(progress_bar(range(4), desc="count", enabled=False))
    6
    """
    from tqdm.auto import tqdm   # imported here: ``import lucid`` stays fast

    enabled = check_bool(enabled, "progress_bar", "enabled")
    return tqdm(iterable, desc=desc, total=total, disable=not enabled, file=sys.stderr,
                unit="batch", leave=True, dynamic_ncols=True, mininterval=0.2)


def _batch_size(target):
    return int(target.shape[0]) if getattr(target, "ndim", 0) else 1


def train_epoch(model, loader, loss_fn, optimizer, desc=None, progress=True):
    r"""Train ``model`` for one pass over ``loader``, showing a progress bar.

    For every batch :math:`(x_b, y_b)` of :math:`B_b` samples it runs
    ``optimizer.zero_grad()``, :math:`\ell_b = \text{loss\_fn}(\text{model}(x_b), y_b)`,
    ``loss.backward()`` and ``optimizer.step()``; the bar shows the running mean loss per
    sample and the throughput. The loss of a batch is taken to be a mean over its
    samples (the default ``reduction='mean'`` of lucid's losses), so the epoch's loss is

    .. math:: \bar\ell = \frac{\sum_b B_b\,\ell_b}{\sum_b B_b}.

    The model is put in training mode (``model.train()``) first.

    Parameters
    ----------
    model : lucid.nn.Module
        Called on each input batch.
    loader : iterable of (input, target)
        Usually a :class:`~lucid.data.DataLoader`; ``target``'s first axis counts the
        samples.
    loss_fn : callable
        ``loss_fn(output, target)`` returns a 0-d Tensor (e.g.
        :class:`~lucid.nn.CrossEntropyLoss`).
    optimizer : lucid.optim.Optimizer
        Updates the model's parameters.
    desc : str, optional
        Label of the progress bar.
    progress : bool, default True
        Draw the progress bar.

    Returns
    -------
    EpochStats
        Mean loss per sample, number of samples, seconds.

    Raises
    ------
    TypeError
        ``progress`` not a bool; ``loss_fn`` returned something other than a 0-d Tensor.
    ValueError
        ``loader`` yielded no batch.

    Examples
    --------
    Fit :math:`y = 2x` with a one-weight linear model:

    >>> import lucid
    >>> from lucid.train import train_epoch
    >>> lucid.random.seed(0)
    >>> x = lucid.linspace(-1, 1, 32).reshape(32, 1)
    >>> data = lucid.data.TensorDataset(x, 2 * x)
    >>> model = lucid.nn.Linear(1, 1)
    >>> opt = lucid.optim.SGD(model.parameters(), lr=0.5)
    >>> for epoch in range(20):
    ...     stats = train_epoch(model, lucid.data.DataLoader(data, batch_size=8),
    ...                         lucid.nn.MSELoss(), opt, progress=False)
    >>> stats.samples, stats.loss < 1e-4
    (32, True)
    >>> round(model.weight.item(), 3)
    2.0
    """
    progress = check_bool(progress, "train_epoch", "progress")
    model.train()
    total_loss, seen = 0.0, 0
    start = time.perf_counter()
    bar = progress_bar(loader, desc=desc, enabled=progress)
    for inputs, targets in bar:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        if not isinstance(loss, Tensor) or loss.ndim != 0:
            raise TypeError("train_epoch: loss_fn must return a 0-d Tensor (a mean over the "
                            f"batch); got {type(loss).__name__} of shape {getattr(loss, 'shape', None)}")
        loss.backward()
        optimizer.step()
        batch = _batch_size(targets)
        total_loss += float(loss.item()) * batch
        seen += batch
        elapsed = time.perf_counter() - start
        bar.set_postfix({"loss": f"{total_loss / seen:.4f}",
                         "samples/s": f"{seen / elapsed:.0f}" if elapsed > 0 else "-"},
                        refresh=False)
    bar.close()
    if seen == 0:
        raise ValueError("train_epoch: loader yielded no batch; expected at least one")
    return EpochStats(total_loss / seen, seen, time.perf_counter() - start)


def predict(model, loader):
    r"""The predicted classes :math:`\hat y_i = \arg\max_k \text{model}(x_i)_k` and the
    true labels over ``loader``, as two int64 arrays ``(N,)``.

    Runs in evaluation mode without building a graph, like :func:`evaluate` (which is
    the share of equal entries). Useful for a confusion matrix.

    Examples
    --------
    >>> import lucid
    >>> from lucid.train import predict
    >>> scores = lambda x: x                  # the inputs are the scores
    >>> scores.eval = lambda: None
    >>> data = lucid.data.TensorDataset(lucid.eye(3), lucid.tensor([0, 2, 2]))
    >>> predict(scores, lucid.data.DataLoader(data, batch_size=2))
    (array([0, 1, 2]), array([0, 2, 2]))
    """
    model.eval()
    predicted, labels = [], []
    with no_grad():
        for inputs, targets in loader:
            predicted.append(np.argmax(model(inputs).data, axis=1))
            labels.append(np.asarray(targets.data if isinstance(targets, Tensor) else targets))
    if not predicted:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(predicted).astype(np.int64), np.concatenate(labels).astype(np.int64)


def evaluate(model, loader):
    r"""The accuracy of a classifier over ``loader``: the share of samples it gets right.

    With :math:`\hat y_i = \arg\max_k \text{model}(x_i)_k` (the class of highest score),

    .. math:: \text{accuracy} = \frac{1}{N} \sum_{i=1}^{N} [\hat y_i = y_i].

    The model runs in evaluation mode (``model.eval()``) and without building a graph
    (:class:`~lucid.no_grad`); it is left in evaluation mode.

    Parameters
    ----------
    model : lucid.nn.Module
        Maps an input batch ``(B, ...)`` to class scores ``(B, K)``.
    loader : iterable of (input, target)
        ``target`` holds the class indices ``(B,)``.

    Returns
    -------
    float
        The accuracy, in [0, 1].

    Raises
    ------
    ValueError
        ``loader`` yielded no sample.

    Examples
    --------
    A "model" that always answers class 1 is right on two of three samples:

    >>> import lucid
    >>> from lucid.train import evaluate
    >>> always_one = lambda x: lucid.Tensor([[0.0, 1.0]] * x.shape[0])
    >>> always_one.eval = lambda: None
    >>> data = lucid.data.TensorDataset(lucid.zeros((3, 1)), lucid.tensor([1, 0, 1]))
    >>> round(evaluate(always_one, lucid.data.DataLoader(data, batch_size=2)), 4)
    0.6667
    """
    predicted, labels = predict(model, loader)
    if len(labels) == 0:
        raise ValueError("evaluate: loader yielded no sample; expected at least one")
    return float(np.mean(predicted == labels))

