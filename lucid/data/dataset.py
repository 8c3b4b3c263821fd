r"""Datasets: indexable collections of samples, and ways to combine and split them.

A *map-style* dataset is anything with ``__len__`` and ``__getitem__(i)`` for
``0 <= i < len(dataset)``; :class:`Dataset` is the base class to subclass. A sample is
whatever ``__getitem__`` returns, usually a tuple ``(input, target)``.
:class:`~lucid.data.DataLoader` batches samples; this module only indexes them.

* :class:`TensorDataset` — sample ``i`` is row ``i`` of each of some tensors;
* :class:`ConcatDataset` — datasets one after the other (also ``ds1 + ds2``);
* :class:`Subset` — a dataset seen through a list of indices;
* :func:`random_split` — random non-overlapping subsets of given lengths, drawn from
  :func:`lucid.random.generator` so :func:`lucid.random.seed` reproduces the split.
"""
import bisect
import math

import numpy as np

from lucid._tensor import Tensor
from lucid.error import IndexOutOfRangeError
from lucid._checks import is_int, is_number
from lucid.random import generator as _shared_generator

__all__ = ["Dataset", "TensorDataset", "ConcatDataset", "Subset", "random_split"]


def _check_index(index, length, name):
    """``index`` as a non-negative int in ``[0, length)`` (negative counts from the end)."""
    if not is_int(index):
        raise TypeError(f"{name}: index must be an int; got {index!r}")
    if not -length <= index < length:
        raise IndexOutOfRangeError(
            f"{name}: index {index} is out of range for a dataset of length {length}")
    return int(index) % length if length else int(index)


def _check_dataset(dataset, name, arg="dataset"):
    """TypeError unless ``dataset`` is map-style (has ``__len__`` and ``__getitem__``)."""
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise TypeError(
            f"{name}: {arg} must be a map-style dataset (with __len__ and __getitem__); "
            f"got {type(dataset).__name__}"
        )


class Dataset:
    """Base class of map-style datasets: subclass it and define ``__getitem__`` and
    ``__len__``.

    ``ds1 + ds2`` is ``ConcatDataset([ds1, ds2])``: the samples of ``ds1``, then those
    of ``ds2``.

    Examples
    --------
    >>> import lucid
    >>> class Squares(lucid.data.Dataset):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __len__(self):
    ...         return self.n
    ...     def __getitem__(self, i):
    ...         return i, i * i
    >>> ds = Squares(3) + Squares(2)
    >>> len(ds), ds[4]
    (5, (1, 1))
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    r"""A dataset of tensors that share their first dimension: sample ``i`` is the
    tuple of their rows ``i``.

    .. math:: \text{sample}_i = (t_1[i], t_2[i], \dots, t_k[i])

    Parameters
    ----------
    *tensors : Tensor or ndarray
        At least one, each with at least one dimension and the same first size ``N``.
        ndarrays are wrapped in Tensors (copied once, here).

    Raises
    ------
    TypeError
        An argument that is not a Tensor or an ndarray.
    ValueError
        No tensors, a 0-d tensor, or first sizes that differ.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    >>> y = lucid.tensor([0, 1, 0])
    >>> ds = lucid.data.TensorDataset(x, y)
    >>> len(ds)
    3
    >>> features, label = ds[1]
    >>> print(features, label)
    Tensor([2.0, 3.0]) Tensor(1)
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor; got none")
        wrapped = []
        for k, t in enumerate(tensors):
            if isinstance(t, np.ndarray):
                t = Tensor(t)
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: tensor {k} must be a Tensor or an ndarray; "
                                f"got {type(t).__name__}")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {k} is 0-d; every tensor needs a first "
                                 "dimension to index samples by")
            wrapped.append(t)
        sizes = [t.shape[0] for t in wrapped]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: every tensor must have the same first size; "
                             f"got first sizes {sizes}")
        self.tensors = tuple(wrapped)

    def __getitem__(self, index):
        index = _check_index(index, len(self), "TensorDataset")
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class ConcatDataset(Dataset):
    r"""Several datasets one after the other.

    With lengths :math:`n_1, \dots, n_k` and cumulative sizes
    :math:`c_j = n_1 + \dots + n_j`, sample ``i`` is sample :math:`i - c_{j-1}` of
    dataset :math:`j`, the first :math:`j` with :math:`i < c_j`.

    Parameters
    ----------
    datasets : iterable of datasets
        At least one map-style dataset.

    Attributes
    ----------
    datasets : list
    cumulative_sizes : list of int
        :math:`c_1, \dots, c_k`.

    Raises
    ------
    TypeError
        An element that is not a map-style dataset.
    ValueError
        No datasets.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.data.TensorDataset(lucid.tensor([1, 2]))
    >>> b = lucid.data.TensorDataset(lucid.tensor([3, 4, 5]))
    >>> ab = lucid.data.ConcatDataset([a, b])
    >>> len(ab), ab.cumulative_sizes
    (5, [2, 5])
    >>> print(ab[2][0], ab[-1][0])
    Tensor(3) Tensor(5)
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets must not be empty")
        for k, d in enumerate(self.datasets):
            _check_dataset(d, "ConcatDataset", f"datasets[{k}]")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        index = _check_index(index, len(self), "ConcatDataset")
        j = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[j - 1] if j > 0 else 0
        return self.datasets[j][index - start]


class Subset(Dataset):
    """A dataset seen through a list of indices: sample ``i`` is
    ``dataset[indices[i]]``.

    Parameters
    ----------
    dataset : map-style dataset
    indices : sequence of int
        Indices into ``dataset`` (checked when the subset is made).

    Raises
    ------
    TypeError
        ``dataset`` not map-style, or an index that is not an int.
    IndexError
        An index out of range for ``dataset``.

    Examples
    --------
    >>> import lucid
    >>> ds = lucid.data.TensorDataset(lucid.tensor([10, 11, 12, 13]))
    >>> evens = lucid.data.Subset(ds, [0, 2])
    >>> len(evens), evens[1][0].item()
    (2, 12)
    """

    def __init__(self, dataset, indices):
        _check_dataset(dataset, "Subset")
        n = len(dataset)
        self.dataset = dataset
        self.indices = [_check_index(i, n, "Subset") for i in indices]

    def __getitem__(self, index):
        index = _check_index(index, len(self), "Subset")
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def _split_lengths(lengths, n):
    """Integer lengths from ``lengths`` (ints, or fractions summing to 1 as in PyTorch)."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths must not be empty")
    if all(is_int(x) for x in lengths):
        if any(x < 0 for x in lengths):
            raise ValueError(f"random_split: lengths must be non-negative; got {lengths}")
        counts = [int(x) for x in lengths]
    elif all(is_number(x) for x in lengths):
        total = math.fsum(lengths)
        if not (math.isclose(total, 1) and total <= 1) or any(not 0 <= x <= 1 for x in lengths):
            raise ValueError(
                "random_split: fractional lengths must each lie in [0, 1] and sum to 1; "
                f"got {lengths} (sum {total})"
            )
        # floor(n * fraction) each, then the remainder one by one, round-robin from the first
        counts = [int(math.floor(n * x)) for x in lengths]
        for k in range(n - sum(counts)):
            counts[k % len(counts)] += 1
    else:
        raise TypeError(f"random_split: lengths must be ints or fractions (floats); got {lengths}")
    if sum(counts) != n:
        raise ValueError(
            f"random_split: lengths must sum to the length of the dataset ({n}); "
            f"got {counts} (sum {sum(counts)})"
        )
    return counts


def random_split(dataset, lengths, generator=None):
    r"""Split a dataset at random into non-overlapping :class:`Subset` objects.

    A permutation :math:`\pi` of :math:`0, \dots, N-1` is drawn; subset :math:`j` holds
    the indices :math:`\pi_{c_{j-1}}, \dots, \pi_{c_j - 1}` where
    :math:`c_j = \ell_1 + \dots + \ell_j` are the cumulative lengths.

    ``lengths`` are either ints summing to :math:`N` or fractions summing to 1. Fractions
    become :math:`\lfloor N f_j \rfloor` each, and the items left over are given one at a
    time to the subsets in order (the lengths PyTorch gives). The permutation is drawn
    from ``generator``, by default :func:`lucid.random.generator`, so
    :func:`lucid.random.seed` reproduces the split.

    Parameters
    ----------
    dataset : map-style dataset
    lengths : sequence of int or of float
    generator : numpy.random.Generator, optional
        Default: lucid's shared generator.

    Returns
    -------
    list of Subset

    Raises
    ------
    TypeError
        ``dataset`` not map-style; lengths that are neither all ints nor all numbers; a
        ``generator`` that is not a NumPy Generator.
    ValueError
        Negative lengths, fractions outside [0, 1] or not summing to 1, or int lengths
        not summing to ``len(dataset)``.

    Examples
    --------
    >>> import lucid
    >>> ds = lucid.data.TensorDataset(lucid.arange(10))
    >>> lucid.random.seed(0)
    >>> train, test = lucid.data.random_split(ds, [0.8, 0.2])
    >>> len(train), len(test)
    (8, 2)
    >>> sorted(train.indices + test.indices) == list(range(10))
    True
    """
    _check_dataset(dataset, "random_split")
    if generator is None:
        generator = _shared_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"random_split: generator must be a numpy.random.Generator; "
                        f"got {type(generator).__name__}")
    counts = _split_lengths(lengths, len(dataset))
    order = generator.permutation(len(dataset)).tolist()
    subsets, start = [], 0
    for count in counts:
        subsets.append(Subset(dataset, order[start:start + count]))
        start += count
    return subsets
