r"""DataLoader worker processes: load batches in parallel, hand them back in order.

How ``DataLoader(num_workers=N)`` runs, in the main process and in each worker:

* **Start.** :class:`WorkerPool` starts ``N`` processes (``fork`` where the platform has
  it: the dataset and functions need not be picklable; lucid's compiled kernels pause
  their OpenMP runtime before every fork, so a worker may run them after the parent
  did). Worker ``k`` seeds Python's :mod:`random`, NumPy's legacy global generator and
  :func:`lucid.random.seed` with ``base_seed + k`` (PyTorch's scheme; ``base_seed`` is
  drawn by the loader from its generator, so one :func:`lucid.random.seed` reproduces the
  run), then calls ``worker_init_fn(k)``.
* **Tasks.** Batch ``j`` of an epoch (a list of indices) goes to worker ``j mod N``
  through that worker's own queue; at most ``prefetch_factor * N`` batches are out at a
  time. A worker fetches ``collate_fn([dataset[i] for i in indices])``, pickles it and
  puts ``(epoch, j, payload)`` on the one result queue.
* **Order.** The main process keeps results that arrive early until batch ``j`` is the
  next one due, so the batches come out in the order of ``num_workers=0``.
* **Errors.** An exception in a worker travels back as a :class:`WorkerError` (its type,
  message, traceback text and the worker id) and is raised again in the main process,
  as the same exception type when that type takes one message. A worker that dies
  (killed, segfault, ``os._exit``) is noticed within :data:`POLL_SECONDS` and raised as a
  ``RuntimeError`` naming it and its exit code; ``timeout`` bounds the wait for one
  batch. The loop never waits forever on a dead worker.
* **Shutdown.** After the epoch (or an error, or a ``break`` out of the loop, when the
  iterator is collected) a shared event tells the workers to skip what is still queued,
  each gets ``None``, exits, and is joined; one that does not exit in time (stuck in
  ``__getitem__``) is terminated. ``persistent_workers`` keeps the pool for the next
  epoch instead, until the loader is collected or the interpreter exits. A worker whose
  parent died exits by itself.
"""
import multiprocessing
import os
import pickle
import queue
import random
import signal
import time
import traceback
import weakref

import numpy as np

import lucid.random

#: How often (seconds) the main process checks its workers are alive while it waits,
#: and a worker checks its parent is.
POLL_SECONDS = 0.1
#: How long (seconds) shutdown waits for a worker to exit before terminating it; after
#: a worker died or timed out, the others are given only :data:`STUCK_SECONDS`.
JOIN_SECONDS = 5.0
STUCK_SECONDS = 0.2

_worker_info = None


class WorkerInfo:
    """What :func:`~lucid.data.get_worker_info` returns inside a worker."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info():
    """Inside a DataLoader worker: its id, the number of workers, its seed and its
    dataset copy; ``None`` in the main process.

    A dataset or ``worker_init_fn`` uses it to give each worker its own share of work
    or its own random state.

    Returns
    -------
    WorkerInfo or None
        With attributes ``id`` (``0 <= id < num_workers``), ``num_workers``, ``seed``
        (``base_seed + id``, already given to :func:`lucid.random.seed`) and
        ``dataset`` (this worker's copy).

    Examples
    --------
    >>> import lucid
    >>> print(lucid.data.get_worker_info())
    None
    >>> class WhoLoads(lucid.data.Dataset):
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, i):
    ...         return lucid.data.get_worker_info().id
    >>> loader = lucid.data.DataLoader(WhoLoads(), batch_size=1, num_workers=2)
    >>> [batch.item() for batch in loader]
    [0, 1, 0, 1]
    """
    return _worker_info


class Fetcher:
    """One batch from its indices: ``collate_fn([dataset[i] for i in indices])``; without
    automatic batching (``batch_size=None``) one index and ``collate_fn(dataset[i])``."""

    def __init__(self, dataset, collate_fn, auto_batch):
        self.dataset, self.collate_fn, self.auto_batch = dataset, collate_fn, auto_batch

    def __call__(self, indices):
        if self.auto_batch:
            return self.collate_fn([self.dataset[i] for i in indices])
        return self.collate_fn(self.dataset[indices])


class WorkerError:
    """An exception raised in a worker, carried to the main process and raised there."""

    def __init__(self, worker_id, exc, where):
        self.worker_id = worker_id
        self.exc_type = type(exc)
        try:
            pickle.dumps(self.exc_type)
        except Exception:            # a class the main process cannot import
            self.exc_type = RuntimeError
        self.type_name = type(exc).__qualname__
        self.where = where
        self.text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    def reraise(self):
        """Raise the worker's exception in this process, its traceback text in the message."""
        message = (f"Caught {self.type_name} in DataLoader worker process {self.worker_id} "
                   f"({self.where}).\nOriginal {self.text}")
        try:
            error = self.exc_type(message)
        except Exception:            # a type whose constructor wants other arguments
            error = RuntimeError(message)
        raise error


def _seed_everything(seed):
    """Python's, NumPy's legacy and lucid's generators, all from one seed."""
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    lucid.random.seed(seed)


def _worker_loop(fetch, index_queue, result_queue, stop, base_seed, worker_id, num_workers,
                 worker_init_fn, parent_pid):
    """The body of worker process ``worker_id`` (see the module docstring)."""
    global _worker_info
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # Ctrl-C is the main process's to handle
    seed = base_seed + worker_id
    _seed_everything(seed)
    _worker_info = WorkerInfo(worker_id, num_workers, seed, fetch.dataset)
    init_error = None
    if worker_init_fn is not None:
        try:
            worker_init_fn(worker_id)
        except Exception as exc:
            init_error = WorkerError(worker_id, exc, "in worker_init_fn")
    while True:
        try:
            task = index_queue.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if os.getppid() != parent_pid:           # the main process is gone
                break
            continue
        if task is None or stop.is_set():            # shutting down: skip what is queued
            break
        epoch, number, indices = task
        result = init_error
        if result is None:
            try:
                result = fetch(indices)
            except Exception as exc:
                result = WorkerError(worker_id, exc, f"fetching batch {number}")
        try:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            payload = pickle.dumps(WorkerError(worker_id, exc, f"sending batch {number} (pickling it)"))
        result_queue.put((epoch, number, payload))
    result_queue.cancel_join_thread()                # nobody reads what is left: do not wait


def _start_context(context):
    """The multiprocessing context workers start in: ``fork`` where it exists."""
    if context is None:
        methods = multiprocessing.get_all_start_methods()
        return multiprocessing.get_context("fork" if "fork" in methods else None)
    if isinstance(context, str):
        return multiprocessing.get_context(context)
    return context


def _exit_reason(code):
    if code is not None and code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited unexpectedly with exit code {code}"


def _shutdown(workers, index_queues, result_queue, stop, patience):
    """Ask every worker to stop (``stop`` set: queued batches are skipped; then ``None``),
    join it, terminate it if it does not exit within ``patience[0]`` seconds (a
    one-element list, so that :meth:`WorkerPool.shutdown` can shorten it after the
    finalizer was made); close the queues."""
    stop.set()
    for q in index_queues:
        try:
            q.put(None)
        except (OSError, ValueError):
            pass
    deadline = time.monotonic() + patience[0]
    for w in workers:
        w.join(timeout=max(0.0, deadline - time.monotonic()))
        if w.is_alive():
            w.terminate()
            w.join()
    for q in (*index_queues, result_queue):
        q.cancel_join_thread()
        q.close()


class WorkerPool:
    """``num_workers`` worker processes and their queues; :meth:`epoch` runs one pass."""

    def __init__(self, fetch, num_workers, base_seed, worker_init_fn, prefetch_factor,
                 timeout, context):
        ctx = _start_context(context)
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.timeout = timeout
        self.result_queue = ctx.Queue()
        self._stop = ctx.Event()
        self._patience = [JOIN_SECONDS]
        self.index_queues = []
        self.workers = []
        self._epoch = 0
        for worker_id in range(num_workers):
            index_queue = ctx.Queue()
            worker = ctx.Process(
                target=_worker_loop, name=f"lucid-DataLoader-worker-{worker_id}", daemon=True,
                args=(fetch, index_queue, self.result_queue, self._stop, base_seed, worker_id,
                      num_workers, worker_init_fn, os.getpid()))
            worker.start()
            self.index_queues.append(index_queue)
            self.workers.append(worker)
        self._finalizer = weakref.finalize(self, _shutdown, self.workers, self.index_queues,
                                           self.result_queue, self._stop, self._patience)

    @property
    def alive(self):
        """False once :meth:`shutdown` ran."""
        return self._finalizer.alive

    def shutdown(self, patience=JOIN_SECONDS):
        """Stop and join every worker, terminating those that take longer than
        ``patience`` seconds (idempotent)."""
        self._patience[0] = patience
        self._finalizer()

    def epoch(self, batches):
        """Yield the batches of ``batches`` (lists of indices), fetched by the workers,
        in order."""
        self._epoch += 1
        epoch = self._epoch
        batches = iter(batches)
        sent = 0
        done = 0
        early = {}

        def send():
            nonlocal sent
            indices = next(batches, None)
            if indices is None:
                return False
            self.index_queues[sent % self.num_workers].put((epoch, sent, indices))
            sent += 1
            return True

        for _ in range(self.prefetch_factor * self.num_workers):
            if not send():
                break
        while done < sent:
            if self._epoch != epoch:
                raise RuntimeError(
                    "DataLoader: this epoch's iterator was left behind by a newer iter(loader) "
                    "on the same persistent workers; finish one epoch before starting the next")
            while done not in early:
                got_epoch, number, payload = self._receive()
                if got_epoch == epoch:
                    early[number] = payload
            result = pickle.loads(early.pop(done))
            done += 1
            send()
            if isinstance(result, WorkerError):
                result.reraise()
            yield result

    def _receive(self):
        """The next ``(epoch, number, payload)`` from any worker; an error instead of a
        hang when a worker died or ``timeout`` passed."""
        start = time.monotonic()
        while True:
            try:
                return self.result_queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                pass
            for worker_id, w in enumerate(self.workers):
                if w.exitcode is not None:
                    self.shutdown(patience=STUCK_SECONDS)
                    raise RuntimeError(
                        f"DataLoader: worker {worker_id} (pid {w.pid}) {_exit_reason(w.exitcode)}; "
                        "its batch is lost (look for an error it printed, or for the system "
                        "killing it for memory)")
            if self.timeout and time.monotonic() - start > self.timeout:
                self.shutdown(patience=STUCK_SECONDS)
                raise RuntimeError(f"DataLoader: timed out after {self.timeout} seconds waiting for "
                                   "a batch from the workers (timeout=)")
