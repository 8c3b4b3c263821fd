r"""``DataLoader``: iterate over a dataset in (optionally shuffled) batches, optionally
loaded by worker processes.

One pass (an *epoch*) asks a *batch sampler* for lists of indices, fetches the samples
(``dataset[i]``) and merges them with ``collate_fn`` (default
:func:`~lucid.data.default_collate`). The batch sampler is yours (``batch_sampler=``),
or a :class:`~lucid.data.BatchSampler` of ``batch_size`` over ``sampler=``, which is
yours or a :class:`~lucid.data.SequentialSampler` (order :math:`0, 1, \dots, N-1`) or,
with ``shuffle=True``, a :class:`~lucid.data.RandomSampler` (a fresh permutation each
epoch, drawn from :func:`lucid.random.generator`, so :func:`lucid.random.seed`
reproduces the order of every epoch). With ``num_workers > 0`` worker processes fetch
the batches (``lucid/data/_workers.py`` tells how); they come out in the same order.
"""
import multiprocessing

from lucid._checks import check_bool, check_int, check_number
from lucid.data._workers import Fetcher, WorkerPool
from lucid.data.collate import default_collate
from lucid.data.dataset import _check_dataset
from lucid.data.sampler import (BatchSampler, RandomSampler, SequentialSampler,
                                _check_generator, _draw_from)

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
    batch_size : int or None, default 1
        Samples per batch, at least 1. ``None`` turns batching off: each step yields one
        sample (through ``collate_fn`` when given).
    shuffle : bool, default False
        Visit the samples in a new random order each epoch (seeded by
        :func:`lucid.random.seed`, or drawn from ``generator``). ``None`` means False.
    sampler : Sampler or iterable of int, optional
        The order of the indices (instead of ``shuffle``).
    batch_sampler : iterable of lists of int, optional
        The indices of each batch (instead of ``batch_size``, ``shuffle``, ``sampler``
        and ``drop_last``).
    num_workers : int, default 0
        Worker processes that load batches in parallel; 0 loads them in this process.
        Worker ``k`` seeds :mod:`random`, NumPy's global generator and
        :func:`lucid.random.seed` with ``base_seed + k``, where ``base_seed`` is drawn
        from ``generator`` at the start of each epoch (in every mode, so one
        :func:`lucid.random.seed` gives the same batches in the same order with or
        without workers).
    collate_fn : callable, optional
        Turns a list of samples into a batch. Default
        :func:`~lucid.data.default_collate`: tuples of tensors, arrays and numbers
        become lists of stacked Tensors, dicts become dicts.
    pin_memory : bool, default False
        Accepted for PyTorch's signature; lucid computes on the CPU, so it changes
        nothing.
    drop_last : bool, default False
        Drop the last batch when it is shorter than ``batch_size``.
    timeout : float, default 0
        Seconds to wait for one batch from the workers before a ``RuntimeError``
        (0: no limit; a dead worker is an error at once either way).
    worker_init_fn : callable, optional
        Called as ``worker_init_fn(worker_id)`` in each worker after it is seeded.
    multiprocessing_context : str or context, optional
        How workers start: ``"fork"`` (the default where the platform has it: the
        dataset and functions need not be picklable), ``"spawn"`` or
        ``"forkserver"``, or a :mod:`multiprocessing` context.
    generator : numpy.random.Generator, optional
        Where shuffling and the workers' base seed come from; default
        :func:`lucid.random.generator`.
    prefetch_factor : int, optional
        Batches each worker loads ahead (default 2); only with workers.
    persistent_workers : bool, default False
        Keep the workers from one epoch to the next (they are seeded once, when they
        start); only with workers.

    Raises
    ------
    TypeError
        ``dataset`` not map-style, an int argument not an int, a bool argument not a
        bool, ``collate_fn`` / ``worker_init_fn`` not callable, ``generator`` not a
        NumPy Generator.
    ValueError
        ``batch_size`` smaller than 1, negative ``num_workers`` or ``timeout``;
        ``sampler`` with ``shuffle=True``; ``batch_sampler`` with any of
        ``batch_size``, ``shuffle``, ``sampler``, ``drop_last``; ``batch_size=None``
        with ``drop_last=True``; ``prefetch_factor`` or ``persistent_workers`` without
        workers.

    Iterating raises, in the main process, any exception a worker raised (the same
    type, its message and the worker's traceback in the message, naming the worker),
    and a ``RuntimeError`` when a worker dies or ``timeout`` passes; the workers are
    then stopped. Leaving a loop early stops them too.

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

    Shuffled orders repeat after :func:`lucid.random.seed`, with or without workers:

    >>> loader = lucid.data.DataLoader(lucid.data.TensorDataset(y), batch_size=5, shuffle=True)
    >>> lucid.random.seed(3); first = next(iter(loader))[0].tolist()
    >>> lucid.random.seed(3); first == next(iter(loader))[0].tolist()
    True
    >>> with_workers = lucid.data.DataLoader(lucid.data.TensorDataset(y), batch_size=5,
    ...                                      shuffle=True, num_workers=2)
    >>> lucid.random.seed(3); first == [b[0].tolist() for b in with_workers][0]
    True

    A batch sampler of your own:

    >>> pairs = lucid.data.DataLoader(list(range(6)), batch_sampler=[[5, 0], [1, 4], [2, 3]])
    >>> [b.tolist() for b in pairs]
    [[5, 0], [1, 4], [2, 3]]
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False):
        name = "DataLoader"
        _check_dataset(dataset, name)
        if batch_size is not None:
            batch_size = check_int(batch_size, name, "batch_size", minimum=1)
        shuffle = False if shuffle is None else check_bool(shuffle, name, "shuffle")
        drop_last = check_bool(drop_last, name, "drop_last")
        check_bool(pin_memory, name, "pin_memory")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"{name}: collate_fn must be callable; got {type(collate_fn).__name__}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"{name}: worker_init_fn must be callable; got {type(worker_init_fn).__name__}")
        num_workers = check_int(num_workers, name, "num_workers", minimum=0)
        timeout = check_number(timeout, name, "timeout", low=0)
        persistent_workers = check_bool(persistent_workers, name, "persistent_workers")
        self.generator = _check_generator(generator, name)
        if num_workers == 0:
            if prefetch_factor is not None:
                raise ValueError(f"{name}: prefetch_factor needs worker processes (num_workers > 0); "
                                 f"got prefetch_factor={prefetch_factor!r} with num_workers=0")
            if persistent_workers:
                raise ValueError(f"{name}: persistent_workers=True needs worker processes "
                                 "(num_workers > 0); got num_workers=0")
        else:
            prefetch_factor = 2 if prefetch_factor is None else check_int(
                prefetch_factor, name, "prefetch_factor", minimum=1)
        if multiprocessing_context is not None and not isinstance(multiprocessing_context, str) \
                and not hasattr(multiprocessing_context, "Process"):
            raise TypeError(f"{name}: multiprocessing_context must be a start method name or a "
                            f"multiprocessing context; got {multiprocessing_context!r}")
        if isinstance(multiprocessing_context, str) and \
                multiprocessing_context not in multiprocessing.get_all_start_methods():
            raise ValueError(f"{name}: multiprocessing_context must be one of "
                             f"{multiprocessing.get_all_start_methods()}; got {multiprocessing_context!r}")

        # PyTorch's rules: an explicit sampler replaces shuffle; an explicit batch
        # sampler replaces batch_size, shuffle, sampler and drop_last.
        if sampler is not None and shuffle:
            raise ValueError(f"{name}: sampler is mutually exclusive with shuffle=True "
                             "(shuffle with a RandomSampler instead)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(f"{name}: batch_sampler is mutually exclusive with batch_size, "
                                 "shuffle, sampler and drop_last (leave them at their defaults)")
            _check_iterable(batch_sampler, "batch_sampler")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(f"{name}: batch_size=None turns batching off and is mutually "
                             "exclusive with drop_last=True")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        else:
            _check_iterable(sampler, "sampler")
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = bool(pin_memory)
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else _unchanged
        self.collate_fn = collate_fn
        self._pool = None

    @property
    def _index_sampler(self):
        """What one step of an epoch reads: a list of indices per batch, or one index."""
        return self.sampler if self.batch_sampler is None else self.batch_sampler

    def _fetcher(self):
        return Fetcher(self.dataset, self.collate_fn, auto_batch=self.batch_sampler is not None)

    def __iter__(self):
        # Drawn in every mode, so that one seed gives the same order with or without workers.
        base_seed = int(_draw_from(self.generator).integers(0, 2 ** 62))
        if self.num_workers == 0:
            return map(self._fetcher(), self._index_sampler)
        if self.persistent_workers:
            if self._pool is None or not self._pool.alive:
                self._pool = self._start_pool(base_seed)
            return self._pool.epoch(self._index_sampler)
        return _one_epoch(self._start_pool(base_seed), self._index_sampler)

    def _start_pool(self, base_seed):
        return WorkerPool(self._fetcher(), self.num_workers, base_seed, self.worker_init_fn,
                          self.prefetch_factor, self.timeout, self.multiprocessing_context)

    def __len__(self):
        return len(self._index_sampler)


def _one_epoch(pool, batches):
    """One pass on a pool of its own, shut down at the end, on an error, or when the
    loop is left early (the generator is closed)."""
    try:
        yield from pool.epoch(batches)
    finally:
        pool.shutdown()


def _unchanged(sample):
    """Without batching (``batch_size=None``) a sample is passed on as it is."""
    return sample


def _check_iterable(value, arg):
    if not hasattr(value, "__iter__"):
        raise TypeError(f"DataLoader: {arg} must be an iterable of indices; got {type(value).__name__}")
