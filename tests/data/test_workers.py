"""DataLoader(num_workers=N): real worker processes give the batches of num_workers=0, in
the same order for one seed; seeding per worker; worker_init_fn, persistent_workers,
prefetch_factor, timeout; a worker's exception, death or silence is a clean error, never
a hang; no process outlives its loader. Datasets are tiny and every loader that could
wait has a timeout, so a regression fails instead of stalling the suite."""
import gc
import multiprocessing
import os
import pickle
import random
import signal
import time

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid.data import BatchSampler, DataLoader, TensorDataset, get_worker_info

GUARD = 60     # seconds: the longest any loader here may wait for a batch


@pytest.fixture(autouse=True)
def no_leaked_workers():
    """Every test ends with no child process alive."""
    yield
    gc.collect()
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children() == []


def _gone(pid):
    """True when no process ``pid`` exists (it exited and was reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _tensor_dataset(n=23):
    x = lucid.tensor(np.arange(3 * n, dtype=np.float32).reshape(n, 3))
    y = lucid.tensor(np.arange(n))
    return TensorDataset(x, y)


def _as_lists(batches):
    return [[t.tolist() for t in batch] for batch in batches]


class Pid(lucid.data.Dataset):
    """Sample i: (i, the pid of the process that loaded it)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i, os.getpid()


class RandomDraws(lucid.data.Dataset):
    """Sample i: what lucid.random, NumPy's global and Python's random give next, and the
    worker's id and seed (the main process: -1)."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return (float(lucid.random.rand(1).item()), float(np.random.random()), random.random(),
                -1 if info is None else info.id, -1 if info is None else info.seed)


class Failing(lucid.data.Dataset):
    """Index ``bad`` does ``action``; the others return themselves."""

    def __init__(self, bad, action, n=8):
        self.bad, self.action, self.n = bad, action, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            self.action(i)
        return i


def _raise_value_error(i):
    raise ValueError(f"sample {i} is corrupt")


class NeedsTwoArguments(Exception):
    def __init__(self, code, detail):
        super().__init__(code, detail)


def _raise_two_argument_error(i):
    raise NeedsTwoArguments(7, "detail")


# ------------------------------------------------------------------ same batches, same order
@pytest.mark.parametrize("num_workers", [1, 3])
@pytest.mark.parametrize("kwargs", [dict(batch_size=4), dict(batch_size=5, shuffle=True),
                                    dict(batch_size=4, shuffle=True, drop_last=True),
                                    dict(batch_sampler=BatchSampler(range(23), 6, False)),
                                    dict(batch_size=None)])
def test_same_batches_in_the_same_order_as_without_workers(num_workers, kwargs):
    ds = _tensor_dataset()
    plain = DataLoader(ds, **kwargs)
    parallel = DataLoader(ds, num_workers=num_workers, timeout=GUARD, **kwargs)
    assert len(plain) == len(parallel)
    for _ in range(2):                              # two epochs: the seed covers both
        lucid.random.seed(4)
        expected = _as_lists(plain)
        lucid.random.seed(4)
        got = _as_lists(parallel)
        assert got == expected and len(got) == len(plain)
    # and the main process's generator moved the same way in both modes
    lucid.random.seed(4)
    list(plain)
    after_plain = lucid.random.generator().random()
    lucid.random.seed(4)
    list(parallel)
    assert lucid.random.generator().random() == after_plain


def test_batches_are_loaded_by_the_workers_round_robin():
    loader = DataLoader(Pid(6), batch_size=1, num_workers=2, timeout=GUARD)
    batches = list(loader)
    pids = [pid.item() for _, pid in batches]
    assert [i.item() for i, _ in batches] == list(range(6))
    assert os.getpid() not in pids
    assert pids[0::2] == [pids[0]] * 3 and pids[1::2] == [pids[1]] * 3 and pids[0] != pids[1]
    assert all(_gone(pid) for pid in set(pids))


# ------------------------------------------------------------------ seeding
def test_each_worker_is_seeded_with_base_seed_plus_its_id():
    loader = DataLoader(RandomDraws(), batch_size=2, num_workers=2, timeout=GUARD, collate_fn=list)
    lucid.random.seed(21)
    base_seed = int(lucid.random.generator().integers(0, 2 ** 62))   # what the loader draws
    lucid.random.seed(21)
    batches = list(loader)
    for number, batch in enumerate(batches):
        worker = number % 2
        for position, (lucid_draw, numpy_draw, python_draw, wid, seed) in enumerate(batch):
            assert wid == worker and seed == base_seed + worker
            # the worker's k-th sample is its generators' k-th draw after the seed
            k = (number // 2) * 2 + position
            lucid.random.seed(seed)
            np.random.seed(seed % 2 ** 32)
            random.seed(seed)
            expected = None
            for _ in range(k + 1):
                expected = (float(lucid.random.rand(1).item()), float(np.random.random()), random.random())
            assert (lucid_draw, numpy_draw, python_draw) == expected
    lucid.random.seed(21)
    assert list(loader) == batches                  # one seed reproduces the run
    lucid.random.seed(22)
    assert list(loader) != batches


def test_generator_argument_seeds_the_workers():
    def run():
        loader = DataLoader(RandomDraws(), batch_size=4, num_workers=2, timeout=GUARD,
                            collate_fn=list, generator=np.random.default_rng(3))
        return list(loader)

    assert run() == run()


def test_worker_info_and_worker_init_fn():
    assert get_worker_info() is None
    calls = []

    class Report(lucid.data.Dataset):
        def __init__(self):
            self.tag = None

        def __len__(self):
            return 4

        def __getitem__(self, i):
            info = get_worker_info()
            return (info.id, info.num_workers, info.dataset is self, self.tag,
                    lucid.random.rand(1).item())

    def init(worker_id):
        calls.append(worker_id)                      # in the worker's memory, not ours
        info = get_worker_info()
        info.dataset.tag = f"worker {worker_id} of {info.num_workers}"
        lucid.random.seed(100 + worker_id)           # a custom scheme overrides the default

    samples = list(DataLoader(Report(), batch_size=None, num_workers=2, worker_init_fn=init,
                              timeout=GUARD))
    assert calls == []
    for i, (wid, n, own, tag, draw) in enumerate(samples):
        assert wid == i % 2 and n == 2 and own and tag == f"worker {wid} of 2"
    lucid.random.seed(100)
    assert samples[0][4] == lucid.random.rand(1).item()


# ------------------------------------------------------------------ persistent workers, prefetch
def test_persistent_workers_live_across_epochs():
    loader = DataLoader(Pid(4), batch_size=2, num_workers=2, persistent_workers=True, timeout=GUARD)
    first = [pid.tolist() for _, pid in loader]
    second = [pid.tolist() for _, pid in loader]
    assert first == second                           # the same processes loaded both epochs
    pids = {p for batch in first for p in batch}
    assert len(pids) == 2 and not any(_gone(p) for p in pids)
    it = iter(loader)
    next(it)                                         # leave an epoch half done...
    third = [pid.tolist() for _, pid in loader]      # ...the next one is whole and in order
    assert third == first
    with pytest.raises(RuntimeError, match=r"DataLoader: this epoch's iterator was left behind by "
                                           r"a newer iter\(loader\) on the same persistent workers"):
        next(it)                                     # an old epoch's iterator: an error, not a hang
    del it, loader
    gc.collect()
    assert all(_gone(p) for p in pids)               # collected loader: workers joined


def test_workers_are_new_each_epoch_without_persistence():
    loader = DataLoader(Pid(2), batch_size=1, num_workers=1, timeout=GUARD)
    first = {pid.item() for _, pid in loader}
    second = {pid.item() for _, pid in loader}
    assert first.isdisjoint(second) and all(_gone(p) for p in first | second)


def test_prefetch_factor_bounds_the_batches_in_flight():
    counter = multiprocessing.get_context("fork").Value("i", 0)

    class Counting(lucid.data.Dataset):
        def __len__(self):
            return 40

        def __getitem__(self, i):
            with counter.get_lock():
                counter.value += 1
            return i

    for prefetch_factor in (1, 3):
        counter.value = 0
        it = iter(DataLoader(Counting(), batch_size=1, num_workers=2, prefetch_factor=prefetch_factor,
                             timeout=GUARD))
        next(it)
        allowed = prefetch_factor * 2 + 1            # the first window, then one more per batch taken
        deadline = time.monotonic() + 20
        while counter.value < allowed and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        assert counter.value == allowed
        it.close()


# ------------------------------------------------------------------ errors, deaths, timeouts
def test_a_worker_exception_is_raised_with_its_traceback():
    loader = DataLoader(Failing(5, _raise_value_error), batch_size=1, num_workers=2, timeout=GUARD)
    with pytest.raises(ValueError) as info:
        list(loader)
    message = str(info.value)
    assert message.startswith("Caught ValueError in DataLoader worker process 1 (fetching batch 5).")
    assert "Original Traceback (most recent call last):" in message
    assert "in __getitem__" in message and "ValueError: sample 5 is corrupt" in message


def test_the_batches_before_an_error_arrive():
    got = []
    with pytest.raises(ValueError, match="sample 3 is corrupt"):
        for batch in DataLoader(Failing(3, _raise_value_error), batch_size=1, num_workers=2, timeout=GUARD):
            got.append(batch.item())
    assert got == [0, 1, 2]


def test_an_exception_that_takes_other_arguments_becomes_a_runtime_error():
    loader = DataLoader(Failing(0, _raise_two_argument_error), num_workers=1, timeout=GUARD)
    with pytest.raises(RuntimeError, match=r"Caught NeedsTwoArguments in DataLoader worker process 0"):
        list(loader)


def test_worker_init_fn_errors_and_unpicklable_batches():
    def bad_init(worker_id):
        raise KeyError(f"no config for worker {worker_id}")

    with pytest.raises(KeyError, match=r"worker process 0 \(in worker_init_fn\).*no config for worker 0"):
        list(DataLoader(list(range(4)), num_workers=1, worker_init_fn=bad_init, timeout=GUARD))
    with pytest.raises(Exception, match=r"worker process 0 \(sending batch 0 \(pickling it\)\)"):
        list(DataLoader(list(range(4)), num_workers=1, collate_fn=lambda s: (lambda: s), timeout=GUARD))


@pytest.mark.parametrize("death,reason", [
    (lambda i: os._exit(3), "exited unexpectedly with exit code 3"),
    (lambda i: os.kill(os.getpid(), signal.SIGKILL), "was killed by signal SIGKILL"),
], ids=["exit", "sigkill"])
def test_a_dead_worker_is_an_error_not_a_hang(death, reason):
    loader = DataLoader(Failing(2, death), batch_size=1, num_workers=2, timeout=GUARD)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=rf"DataLoader: worker 0 \(pid \d+\) {reason}"):
        list(loader)
    assert time.monotonic() - start < GUARD / 2      # noticed by polling, not by the timeout


def test_timeout():
    loader = DataLoader(Failing(0, lambda i: time.sleep(30)), num_workers=1, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader: timed out after 0.5 seconds"):
        list(loader)
    assert time.monotonic() - start < 3              # and the sleeping worker was terminated


def test_leaving_the_loop_early_stops_the_workers():
    loader = DataLoader(Pid(20), batch_size=1, num_workers=2, timeout=GUARD)
    it = iter(loader)
    _, pid = next(it)
    assert not _gone(pid.item())
    for _ in it:
        break
    del it
    gc.collect()
    assert _gone(pid.item())


def test_workers_exit_when_their_parent_dies():
    """A worker whose main process was killed exits by itself (no orphan left)."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:                                   # the "main process" of a loader
        os.close(read)
        try:
            it = iter(DataLoader(Pid(50), batch_size=1, num_workers=2, timeout=GUARD))
            pids = {next(it)[1].item(), next(it)[1].item()}
            os.write(write, pickle.dumps(sorted(pids)))
        finally:
            os.close(write)
            os.kill(os.getpid(), signal.SIGKILL)     # die without any cleanup
    os.close(write)
    data = b""
    while chunk := os.read(read, 4096):
        data += chunk
    os.close(read)
    os.waitpid(child, 0)
    pids = pickle.loads(data)
    assert len(pids) == 2
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(_gone(p) or _zombie_or_reparented(p) for p in pids):
        time.sleep(0.05)
    assert all(_gone(p) or _zombie_or_reparented(p) for p in pids)


def _zombie_or_reparented(pid):
    """True once ``pid`` has exited (a zombie until its new parent reaps it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


# ------------------------------------------------------------------ fork safety, start methods
def test_workers_run_compiled_kernels_after_the_parent_did():
    """lucid pauses OpenMP before fork: a worker's conv after the parent's does not hang."""
    w = lucid.tensor(np.random.default_rng(0).random((4, 3, 3, 3)).astype("f4"))

    class Convolved(lucid.data.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            x = lucid.tensor(np.full((1, 3, 16, 16), i, dtype="f4"))
            return F.conv2d(x, w, padding=1)[0]

    F.conv2d(lucid.tensor(np.ones((8, 3, 32, 32), dtype="f4")), w).sum()   # the parent first
    plain = [b.data for b in DataLoader(Convolved(), batch_size=2)]
    parallel = [b.data for b in DataLoader(Convolved(), batch_size=2, num_workers=2, timeout=GUARD)]
    assert len(parallel) == 3
    for a, b in zip(plain, parallel):
        np.testing.assert_array_equal(a, b)


def test_spawn_start_method():
    ds = _tensor_dataset(6)
    loader = DataLoader(ds, batch_size=4, num_workers=1, multiprocessing_context="spawn", timeout=GUARD)
    assert _as_lists(loader) == _as_lists(DataLoader(ds, batch_size=4))


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs,error,message", [
    (dict(num_workers=-1), ValueError, r"DataLoader: num_workers must be non-negative; got -1"),
    (dict(num_workers=1.5), TypeError, r"DataLoader: num_workers must be an int; got 1.5"),
    (dict(num_workers=2, prefetch_factor=0), ValueError, r"DataLoader: prefetch_factor must be positive; got 0"),
    (dict(prefetch_factor=2), ValueError,
     r"DataLoader: prefetch_factor needs worker processes \(num_workers > 0\); got prefetch_factor=2 "
     r"with num_workers=0"),
    (dict(persistent_workers=True), ValueError,
     r"DataLoader: persistent_workers=True needs worker processes \(num_workers > 0\); got num_workers=0"),
    (dict(num_workers=1, persistent_workers=1), TypeError, r"DataLoader: persistent_workers must be a bool; got 1"),
    (dict(timeout=-1), ValueError, r"DataLoader: timeout must be a number >= 0; got -1"),
    (dict(timeout="5"), TypeError, r"DataLoader: timeout must be a real number; got '5'"),
    (dict(worker_init_fn=3), TypeError, r"DataLoader: worker_init_fn must be callable; got int"),
    (dict(num_workers=1, multiprocessing_context="threads"), ValueError,
     r"DataLoader: multiprocessing_context must be one of \[.*'spawn'.*\]; got 'threads'"),
    (dict(num_workers=1, multiprocessing_context=3), TypeError,
     r"DataLoader: multiprocessing_context must be a start method name or a multiprocessing context; got 3"),
    (dict(pin_memory="yes"), TypeError, r"DataLoader: pin_memory must be a bool; got 'yes'"),
])
def test_bad_worker_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(list(range(4)), **kwargs)

