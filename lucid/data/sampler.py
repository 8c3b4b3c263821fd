r"""Samplers: the order in which a :class:`~lucid.data.DataLoader` visits a dataset.

A *sampler* is an iterable of dataset indices; a *batch sampler* is an iterable of
lists of indices, one list per batch. ``DataLoader`` builds them from ``shuffle`` and
``batch_size`` (a :class:`SequentialSampler` or a :class:`RandomSampler` inside a
:class:`BatchSampler`), or takes yours through ``sampler=`` / ``batch_sampler=``:

* :class:`SequentialSampler` -- :math:`0, 1, \dots, N-1`;
* :class:`RandomSampler` -- a fresh permutation each pass, or draws with replacement;
* :class:`SubsetRandomSampler` -- a permutation of given indices;
* :class:`WeightedRandomSampler` -- index :math:`i` with probability
  :math:`w_i / \sum_j w_j`;
* :class:`BatchSampler` -- groups another sampler's indices into batches.

The random samplers draw from a NumPy :class:`numpy.random.Generator`: the one passed as
``generator=``, else :func:`lucid.random.generator` (so :func:`lucid.random.seed`
reproduces every order). Their sequences are *not* PyTorch's (a different random number
generator), but they have the same distributions.
"""
import numpy as np

from lucid._checks import check_bool, check_int, is_int
from lucid._tensor import Tensor
from lucid.random import generator as _shared_generator

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _check_generator(generator, fname):
    """``generator`` (a NumPy Generator) or None (lucid's shared one)."""
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{fname}: generator must be a numpy.random.Generator or None; "
                        f"got {type(generator).__name__}")
    return generator


def _draw_from(generator):
    """The generator to draw from now: the one given, else lucid's shared one."""
    return _shared_generator() if generator is None else generator


class Sampler:
    """Base class of samplers: an iterable of dataset indices.

    Subclass it and define ``__iter__`` (yielding ints) and, when the count is known,
    ``__len__``. A batch sampler yields lists of ints instead.

    Parameters
    ----------
    data_source : dataset, optional
        Accepted for PyTorch's signature; the base class does not use it.

    Examples
    --------
    >>> import lucid
    >>> class Evens(lucid.data.Sampler):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         return iter(range(0, self.n, 2))
    ...     def __len__(self):
    ...         return (self.n + 1) // 2
    >>> list(Evens(7))
    [0, 2, 4, 6]
    >>> loader = lucid.data.DataLoader(list(range(10, 17)), batch_size=2, sampler=Evens(7))
    >>> [batch.tolist() for batch in loader]
    [[10, 12], [14, 16]]
    """

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__()")


class SequentialSampler(Sampler):
    r"""The indices :math:`0, 1, \dots, N-1` in order, :math:`N` = ``len(data_source)``.

    Parameters
    ----------
    data_source : map-style dataset
        Anything with ``__len__``; read again at each pass.

    Raises
    ------
    TypeError
        ``data_source`` has no ``__len__``.

    Examples
    --------
    >>> import lucid
    >>> list(lucid.data.SequentialSampler(["a", "b", "c"]))
    [0, 1, 2]
    """

    def __init__(self, data_source):
        _check_sized(data_source, "SequentialSampler", "data_source")
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


def _check_sized(value, fname, arg):
    if not hasattr(value, "__len__"):
        raise TypeError(f"{fname}: {arg} must have a length (__len__); got {type(value).__name__}")


class RandomSampler(Sampler):
    r"""Random indices of ``data_source``: a permutation, or draws with replacement.

    With :math:`N` = ``len(data_source)`` and :math:`S` = ``num_samples`` (default
    :math:`N`):

    * ``replacement=False``: :math:`\lfloor S/N \rfloor` independent uniform
      permutations of :math:`0, \dots, N-1`, then the first :math:`S \bmod N` entries of
      one more (so each pass with :math:`S = N` visits every index once, as PyTorch);
    * ``replacement=True``: :math:`S` independent draws, each index with probability
      :math:`1/N`.

    Each pass (``iter``) draws anew.

    Parameters
    ----------
    data_source : map-style dataset
    replacement : bool, default False
    num_samples : int, optional
        How many indices a pass yields (positive); default ``len(data_source)``.
    generator : numpy.random.Generator, optional
        Where the randomness comes from; default :func:`lucid.random.generator`.

    Raises
    ------
    TypeError
        ``replacement`` not a bool, ``num_samples`` not an int, ``generator`` not a
        NumPy Generator, ``data_source`` without a length.
    ValueError
        ``num_samples`` smaller than 1.

    Examples
    --------
    >>> import lucid
    >>> sampler = lucid.data.RandomSampler(range(5))
    >>> lucid.random.seed(0)
    >>> order = list(sampler)
    >>> sorted(order)
    [0, 1, 2, 3, 4]
    >>> lucid.random.seed(0); order == list(sampler)
    True
    >>> len(lucid.data.RandomSampler(range(5), replacement=True, num_samples=12))
    12
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        _check_sized(data_source, "RandomSampler", "data_source")
        self.data_source = data_source
        self.replacement = check_bool(replacement, "RandomSampler", "replacement")
        self._num_samples = None if num_samples is None else check_int(
            num_samples, "RandomSampler", "num_samples", minimum=1)
        self.generator = _check_generator(generator, "RandomSampler")

    @property
    def num_samples(self):
        """Indices per pass: ``num_samples`` if given, else ``len(data_source)``."""
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self):
        n, count = len(self.data_source), self.num_samples
        rng = _draw_from(self.generator)
        if count and not n:
            raise ValueError(f"RandomSampler: cannot draw {count} samples from an empty data_source")
        if self.replacement:
            return iter(rng.integers(0, n, size=count).tolist())
        order = []
        for _ in range(count // n if n else 0):
            order.extend(rng.permutation(n).tolist())
        if n and count % n:
            order.extend(rng.permutation(n)[:count % n].tolist())
        return iter(order)

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    r"""The given indices in a random order, a new one at each pass.

    Yields ``indices[p_0], indices[p_1], ...`` for a uniform permutation :math:`p`.
    Splitting one dataset into training and validation parts is the usual use.

    Parameters
    ----------
    indices : sequence of int
    generator : numpy.random.Generator, optional
        Default :func:`lucid.random.generator`.

    Raises
    ------
    TypeError
        ``indices`` not a sequence of ints; ``generator`` not a NumPy Generator.

    Examples
    --------
    >>> import lucid
    >>> sampler = lucid.data.SubsetRandomSampler([10, 11, 12, 13])
    >>> sorted(sampler)
    [10, 11, 12, 13]
    """

    def __init__(self, indices, generator=None):
        self.indices = _index_list(indices, "SubsetRandomSampler", "indices")
        self.generator = _check_generator(generator, "SubsetRandomSampler")

    def __iter__(self):
        order = _draw_from(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in order])

    def __len__(self):
        return len(self.indices)


def _index_list(indices, fname, arg):
    """``indices`` as a list of Python ints (a sequence, array or 1-d Tensor of ints)."""
    if isinstance(indices, Tensor):
        indices = indices.data
    if isinstance(indices, np.ndarray):
        if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
            raise TypeError(f"{fname}: {arg} must be a 1-d sequence of ints; got an array of "
                            f"shape {indices.shape} and dtype {indices.dtype}")
        return indices.tolist()
    try:
        values = list(indices)
    except TypeError:
        raise TypeError(f"{fname}: {arg} must be a sequence of ints; got {type(indices).__name__}") from None
    for v in values:
        if not is_int(v):
            raise TypeError(f"{fname}: {arg} must be a sequence of ints; found {v!r}")
    return [int(v) for v in values]


class WeightedRandomSampler(Sampler):
    r"""Indices :math:`0, \dots, K-1` drawn with probabilities proportional to ``weights``.

    .. math:: P(\text{index} = i) = \frac{w_i}{\sum_j w_j}

    With ``replacement=True`` each of the ``num_samples`` draws is independent. Without,
    a drawn index leaves the pool and the next draw uses the remaining weights
    (:math:`P(i) = w_i / \sum_{j \text{ left}} w_j`): successive sampling, as
    PyTorch's ``multinomial``. lucid draws it in one go by the exponential race:
    give index :math:`i` the key :math:`E_i / w_i` with :math:`E_i \sim \text{Exp}(1)`;
    the indices in increasing order of key have exactly that distribution (the smallest
    of independent exponentials with rates :math:`w_i` is index :math:`i` with
    probability :math:`w_i / \sum w_j`, and the race starts afresh without it).

    The usual use: oversample a rare class, with ``weights[i]`` = one over the count of
    sample ``i``'s class.

    Parameters
    ----------
    weights : sequence of float
        :math:`K` non-negative, finite weights, not all zero (need not sum to 1).
    num_samples : int
        Indices per pass (positive).
    replacement : bool, default True
    generator : numpy.random.Generator, optional
        Default :func:`lucid.random.generator`.

    Raises
    ------
    TypeError
        ``weights`` not numbers; ``num_samples`` not an int; ``replacement`` not a bool.
    ValueError
        ``weights`` not 1-d, negative, infinite or NaN, or all zero; ``num_samples``
        smaller than 1; without replacement, ``num_samples`` larger than the number of
        non-zero weights.

    Examples
    --------
    >>> import lucid
    >>> sampler = lucid.data.WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=1000)
    >>> lucid.random.seed(0)
    >>> draws = list(sampler)
    >>> 0 in draws
    False
    >>> 0.70 < draws.count(2) / 1000 < 0.80
    True
    >>> sorted(lucid.data.WeightedRandomSampler([1, 1, 5], 3, replacement=False))
    [0, 1, 2]
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        fname = "WeightedRandomSampler"
        self.num_samples = check_int(num_samples, fname, "num_samples", minimum=1)
        self.replacement = check_bool(replacement, fname, "replacement")
        w = weights.data if isinstance(weights, Tensor) else weights
        try:
            w = np.asarray(w)
        except (TypeError, ValueError):
            raise TypeError(f"{fname}: weights must be a 1-d sequence of numbers; got {weights!r}") from None
        if w.dtype.kind not in "biuf":
            raise TypeError(f"{fname}: weights must be a 1-d sequence of numbers; got dtype {w.dtype}")
        if w.ndim != 1:
            raise ValueError(f"{fname}: weights must be 1-d; got shape {w.shape}")
        w = w.astype(np.float64)
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"{fname}: weights must be finite and >= 0; got {weights!r}")
        nonzero = int(np.count_nonzero(w))
        if nonzero == 0:
            raise ValueError(f"{fname}: weights must not all be zero (their sum is the normaliser)")
        if not self.replacement and self.num_samples > nonzero:
            raise ValueError(
                f"{fname}: without replacement num_samples ({self.num_samples}) must be at most "
                f"the number of non-zero weights ({nonzero})")
        self.weights = w
        self.generator = _check_generator(generator, fname)

    def __iter__(self):
        rng = _draw_from(self.generator)
        w = self.weights
        if self.replacement:
            p = w / w.sum()
            return iter(rng.choice(len(w), size=self.num_samples, p=p).tolist())
        with np.errstate(divide="ignore"):
            keys = rng.exponential(size=len(w)) / w        # zero weight: key +inf, never first
        return iter(np.argsort(keys, kind="stable")[:self.num_samples].tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    r"""Group the indices of ``sampler`` into lists of ``batch_size``.

    With :math:`S` = ``len(sampler)`` there are :math:`\lceil S/B \rceil` batches, or
    :math:`\lfloor S/B \rfloor` with ``drop_last=True`` (the short last batch dropped).

    Parameters
    ----------
    sampler : iterable of int
        A sampler, or any iterable of indices (a ``range``, a list).
    batch_size : int
        Indices per batch (positive).
    drop_last : bool
        Drop the last batch when it is shorter than ``batch_size``.

    Raises
    ------
    TypeError
        ``sampler`` not iterable, ``batch_size`` not an int, ``drop_last`` not a bool.
    ValueError
        ``batch_size`` smaller than 1.

    Examples
    --------
    >>> import lucid
    >>> list(lucid.data.BatchSampler(range(7), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6]]
    >>> len(lucid.data.BatchSampler(range(7), batch_size=3, drop_last=True))
    2
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not hasattr(sampler, "__iter__"):
            raise TypeError(f"BatchSampler: sampler must be an iterable of indices; got {type(sampler).__name__}")
        self.sampler = sampler
        self.batch_size = check_int(batch_size, "BatchSampler", "batch_size", minimum=1)
        self.drop_last = check_bool(drop_last, "BatchSampler", "drop_last")

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)
