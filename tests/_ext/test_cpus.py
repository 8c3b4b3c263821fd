"""The compiled kernels' threads follow the CPUs other processes leave free
(``lucid/_ext/_cpus.py``), and no result depends on how many run.

* ``_cpus.free`` from the machine's and the process's CPU time, read at most once a
  window; clamped to 1 .. the CPUs; every CPU free without ``/proc/stat``, with one it
  cannot read (empty, too few counters, garbage) or with ``LUCID_LOAD_AWARE=0``;
  ``forget`` starts afresh; many Python threads asking at once.
* ``_openmp.threads_for`` follows it, ``_openmp.parts_for`` does not.
* The convolutions' weight gradients (the kernels that add partial sums) and a small
  network's training steps give the same bits on one thread and on every thread.
"""
import numpy as np
import pytest

import lucid
from lucid import _ext, nn
from lucid._ext import _cpus

TWO_THREADS = "needs a compiled build with at least two OpenMP threads"


class Clock:
    """Fake readings: the machine's busy seconds, this process's, and reads counted."""

    def __init__(self, monkeypatch, cpus=2):
        self.machine, self.own, self.reads = 100.0, 10.0, 0
        monkeypatch.setattr(_cpus, "cpu_count", cpus)
        monkeypatch.setattr(_cpus, "ENABLED", True)
        monkeypatch.setattr(_cpus, "_machine_busy_seconds", self._machine)
        monkeypatch.setattr(_cpus, "_own_seconds", lambda: self.own)
        _cpus.forget()

    def _machine(self):
        self.reads += 1
        return self.machine

    def run(self, seconds, ours, others):
        """``seconds`` pass with this process on ``ours`` CPUs, the others on ``others``."""
        self.machine += seconds * (ours + others)
        self.own += seconds * ours


def test_free_counts_the_cpus_the_others_leave(monkeypatch):
    clock = Clock(monkeypatch)
    assert _cpus.free(now=0.0) == 2              # no history yet: every CPU free
    clock.run(0.2, ours=1, others=1)
    assert _cpus.free(now=0.05) == 2 and clock.reads == 1     # within the window: no read
    assert _cpus.free(now=0.2) == 1              # another process kept a CPU busy
    clock.run(0.2, ours=2, others=0.3)
    assert _cpus.free(now=0.4) == 2              # 0.3 of a CPU: rounds to none
    clock.run(0.2, ours=1, others=0.6)
    assert _cpus.free(now=0.6) == 1              # 0.6 rounds to one
    clock.run(0.2, ours=1, others=5)
    assert _cpus.free(now=0.8) == 1              # never fewer than one
    assert clock.reads == 5


def test_free_on_a_larger_machine(monkeypatch):
    clock = Clock(monkeypatch, cpus=8)
    _cpus.free(now=0.0)
    clock.run(0.5, ours=2, others=3)
    assert _cpus.free(now=0.5) == 5


def test_forget_and_the_opt_out(monkeypatch):
    clock = Clock(monkeypatch)
    _cpus.free(now=0.0)
    clock.run(0.2, ours=0, others=2)
    assert _cpus.free(now=0.2) == 1
    _cpus.forget()                               # the benchmarks' turns
    assert _cpus.free(now=0.25) == 2
    clock.run(0.2, ours=1, others=0)
    assert _cpus.free(now=0.45) == 2
    monkeypatch.setattr(_cpus, "ENABLED", False)
    clock.run(0.2, ours=0, others=2)
    assert _cpus.free(now=0.9) == 2              # LUCID_LOAD_AWARE=0: every CPU, always


def test_without_proc_stat_every_cpu_is_free(monkeypatch):
    Clock(monkeypatch)
    monkeypatch.setattr(_cpus, "_machine_busy_seconds", lambda: None)
    for now in (0.0, 0.5, 1.0):
        assert _cpus.free(now=now) == 2


def test_the_real_reading():
    busy = _cpus._machine_busy_seconds()
    if busy is None:
        pytest.skip("no /proc/stat on this system: every CPU counts as free")
    assert busy > 0 and _cpus._own_seconds() >= 0
    assert 1 <= _cpus.free() <= _cpus.cpu_count


def _openmp():
    if not _ext.compiled_available("conv"):
        pytest.skip("the compiled twins are not built")
    from lucid._ext import _openmp
    return _openmp


def test_threads_follow_the_free_cpus_and_parts_do_not(monkeypatch):
    openmp = _openmp()
    team = openmp.max_threads()
    monkeypatch.setattr(_cpus, "free", lambda now=None: 1)
    assert openmp.threads_for(10 ** 9) == 1 and openmp.free_threads(team) == 1
    assert openmp.parts_for(10 ** 9) == team
    monkeypatch.setattr(_cpus, "free", lambda now=None: 64)
    assert openmp.threads_for(10 ** 9) == team and openmp.free_threads(3) == min(3, 64)
    assert openmp.threads_for(openmp.SMALL_WORK - 1) == 1


def _on_free_cpus(monkeypatch, counts, run):
    """``run()`` with ``_cpus.free`` answering each of ``counts``: its results."""
    results = []
    for count in counts:
        monkeypatch.setattr(_cpus, "free", lambda now=None, c=count: c)
        results.append(run())
    return results


def _two_threads():
    openmp = _openmp()
    if openmp.max_threads() < 2:
        pytest.skip(TWO_THREADS)
    return openmp.max_threads()


@pytest.mark.parametrize("path", ["winograd-lanes", "blocked", "per-sample"])
def test_weight_gradient_bits_do_not_depend_on_the_threads(path, monkeypatch):
    """The weight gradient's partial sums, one per run of samples, give the same bits
    whether one thread or every thread computes the runs."""
    team = _two_threads()
    conv = _ext._compiled["conv"]
    if path in ("winograd-lanes", "blocked") and not conv._BLOCKED_WIDE:
        pytest.skip(f"the {path} path needs AVX-512 (and a GCC build on x86-64 Linux)")
    if path == "blocked":                # the shape's 3x3 would go to Winograd lanes
        monkeypatch.setattr(conv, "_WL_GRAD", False)
    if path == "per-sample":
        if conv._BLAS is None:
            pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can call")
        monkeypatch.setattr(conv, "_BLOCKED_WIDE", False)
        monkeypatch.setattr(conv, "_winograd_fits", lambda *a, **k: False)
    taken = []
    name = {"winograd-lanes": "_wl_weight_grad", "blocked": "_blocked_weight_grad",
            "per-sample": "_run_sample_weight_grad"}[path]
    real = getattr(conv, name)
    monkeypatch.setattr(conv, name, lambda *a, **k: taken.append(1) or real(*a, **k))
    rng = np.random.default_rng(30)
    x = rng.standard_normal((7, 16, 16, 16)).astype(np.float32)
    gy = rng.standard_normal((7, 32, 16, 16)).astype(np.float32)
    args = ((3, 3), (1, 1), (1, 1), (1, 1), 1)
    one, every = _on_free_cpus(monkeypatch, (1, team),
                               lambda: conv.conv_weight_grad(x, gy, *args))
    assert len(taken) == 2
    np.testing.assert_array_equal(one, every)
    expected = _ext._reference["conv"].conv_weight_grad(x.astype(np.float64),
                                                        gy.astype(np.float64), *args)
    np.testing.assert_allclose(one, expected, rtol=1e-4, atol=1e-3)


def test_training_steps_do_not_depend_on_the_threads(monkeypatch):
    """A small network's parameters after three steps: the same bytes on one thread and
    on every thread of the team."""
    team = _two_threads()

    def train():
        lucid.random.seed(0)
        model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                              nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
                              nn.Flatten(), nn.Linear(32 * 16 * 16, 10))
        opt = lucid.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        rng = np.random.default_rng(31)
        x = lucid.Tensor(rng.standard_normal((16, 3, 32, 32)).astype(np.float32))
        y = lucid.Tensor(rng.integers(0, 10, 16))
        with lucid.kernels.use("compiled"):
            for _ in range(3):
                opt.zero_grad()
                lucid.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
        return [p.data.copy() for p in model.parameters()]

    one, every = _on_free_cpus(monkeypatch, (1, team), train)
    for a, b in zip(one, every):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("content", [
    b"", b"intr 1 2 3\n", b"cpu 1 2 3\n", b"cpu a b c d e f g h\n", b"\xff\xfe garbage\n",
])
def test_an_unreadable_proc_stat_counts_every_cpu_free(content, tmp_path, monkeypatch):
    """A first line that is not ``cpu`` with at least five counters (another kernel, a
    sandbox, a hostile file) is no reading at all: no exception, every CPU free."""
    stat = tmp_path / "stat"
    stat.write_bytes(content)
    monkeypatch.setattr(_cpus, "STAT", str(stat))
    monkeypatch.setattr(_cpus, "ENABLED", True)
    _cpus.forget()
    assert _cpus._machine_busy_seconds() is None
    for now in (0.0, 0.5, 1.0):
        assert _cpus.free(now=now) == _cpus.cpu_count
    monkeypatch.setattr(_cpus, "STAT", str(tmp_path / "missing"))
    assert _cpus._machine_busy_seconds() is None and _cpus.free(now=2.0) == _cpus.cpu_count


def test_an_old_kernels_five_counters_are_read(tmp_path, monkeypatch):
    stat = tmp_path / "stat"
    stat.write_bytes(b"cpu 100 0 50 1000 7\ncpu0 100 0 50 1000 7\n")
    monkeypatch.setattr(_cpus, "STAT", str(stat))
    assert _cpus._machine_busy_seconds() == pytest.approx(150 * _cpus._TICK)


def test_free_from_many_python_threads_at_once(monkeypatch):
    """Python threads asking at once (a DataLoader thread, the training loop) each get
    an answer between 1 and the CPUs, while the readings move under them."""
    import threading
    clock = Clock(monkeypatch)
    answers, errors = [], []

    def ask():
        try:
            for i in range(2000):
                clock.run(0.001, ours=1, others=i % 3)
                answers.append(_cpus.free())
        except Exception as error:       # noqa: BLE001 - the test reports any of them
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(answers) == 8000 and set(answers) <= {1, 2}
