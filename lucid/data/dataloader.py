r"""``DataLoader``: iterate over a dataset in (optionally shuffled) batches.

One pass (an *epoch*) visits every index once. Without shuffling the order is
:math:`0, 1, \dots, N-1`; with shuffling it is a fresh permutation each epoch, drawn from
:func:`lucid.random.generator`, so :func:`lucid.random.seed` reproduces the order of every
epoch. Consecutive runs of ``batch_size`` indices are fetched (``dataset[i]``) and the
samples are merged by ``collate_fn`` (default :func:`~lucid.data.default_collate`).
"""
import math

from lucid._checks import check_bool, is_int
from lucid.random import generator as _shared_generator
from lucid.data.collate import default_collate
from lucid.data.dataset import _check_dataset

__all__ = ["DataLoader"]


class DataLoader:
    r"""Iterate over ``dataset`` in batches of ``batch_size`` samples.

    With :math:`N` samples there are :math:`\lceil N / B \rceil` batches, or
    :math:`\lfloor N / B \rfloor` with ``drop_last=True`` (the last, short batch is
    dropped). Batch :math:`k` holds the samples at positions
    :math:`kB, \dots, \min((k+1)B, N) - 1` of the epoch's order, collated into one batch.

    Parameters
    ----------
    dataset : map-style dataset
        Anything with ``__len__`` and ``__getitem__``.
    batch_size : int, default 1
        Samples per batch, at least 1.
    shuffle : bool, default False
        Visit the samples in a new random order each epoch (seeded by
        :func:`lucid.random.seed`).
    drop_last : bool, default False
        Drop the last batch when it is shorter than ``batch_size``.
    collate_fn : callable, optional
        Turns a list of samples into a batch. Default
        :func:`~lucid.data.default_collate`: tuples of tensors, arrays and numbers
        become lists of stacked Tensors, dicts become dicts.

    Raises
    ------
    TypeError
        ``dataset`` not map-style, ``batch_size`` not an int, ``shuffle`` /
        ``drop_last`` not bools, ``collate_fn`` not callable.
    ValueError
        ``batch_size`` smaller than 1.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.arange(10, dtype=float).reshape(5, 2)
    >>> y = lucid.tensor([0, 1, 0, 1, 1])
    >>> loader = lucid.data.DataLoader(lucid.data.TensorDataset(x, y), batch_size=2)
    >>> len(loader)
    3
    >>> for xb, yb in loader:
    ...     print(xb.shape, yb)
    (2, 2) Tensor([0, 1])
    (2, 2) Tensor([0, 1])
    (1, 2) Tensor([1])

    Shuffled orders repeat after :func:`lucid.random.seed`:

    >>> loader = lucid.data.DataLoader(lucid.data.TensorDataset(y), batch_size=5, shuffle=True)
    >>> lucid.random.seed(3); first = next(iter(loader))[0].tolist()
    >>> lucid.random.seed(3); first == next(iter(loader))[0].tolist()
    True
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None):
        _check_dataset(dataset, "DataLoader")
        if not is_int(batch_size):
            raise TypeError(f"DataLoader: batch_size must be an int; got {batch_size!r}")
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int (at least 1); got {batch_size}")
        shuffle = check_bool(shuffle, "DataLoader", "shuffle")
        drop_last = check_bool(drop_last, "DataLoader", "drop_last")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable; got {type(collate_fn).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = default_collate if collate_fn is None else collate_fn

    def _order(self):
        """The indices of one epoch, in visiting order."""
        n = len(self.dataset)
        if self.shuffle:
            return _shared_generator().permutation(n).tolist()
        return list(range(n))

    def __iter__(self):
        order = self._order()
        for start in range(0, len(order), self.batch_size):
            indices = order[start:start + self.batch_size]
            if self.drop_last and len(indices) < self.batch_size:
                return
            yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self):
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return math.ceil(n / self.batch_size)
