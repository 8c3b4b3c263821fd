"""Profiling: where the time goes, op by op and kernel by kernel.

``with lucid.profile() as prof:`` records a block. Inside it the profiler

* times every op's forward and, in ``backward()``, every node's backward, through the
  one hook tracers use (:mod:`lucid.autograd.observe`: an observer with ``begin``,
  ``begin_backward`` and ``end_backward`` methods);
* times every kernel call: each family's active twin is replaced, for the block only,
  by a proxy module whose functions time the twin's and keep a copy of their arguments
  (up to ``record_bytes``), so :meth:`profile.compare` can replay them later on both
  twins.

Outside a profile block nothing of this runs: an op pays the one attribute test it pays
for any observer.
"""
import time

import numpy as np

from lucid import _ext
from lucid.autograd.observe import observe

__all__ = ["profile"]

PHASES = ("forward", "backward")


class _Stat:
    __slots__ = ("calls", "seconds")

    def __init__(self):
        self.calls, self.seconds = 0, 0.0


class _Proxy:
    """A stand-in for one family's active twin that times (and records) each call."""

    def __init__(self, family, module, profiler):
        self.__name__ = f"profiled {getattr(module, '__name__', family).rsplit('.', 1)[-1]}"
        self._module = module
        for name in _ext._reference[family].__all__:
            setattr(self, name, profiler._timed(family, name, getattr(module, name)))

    def __getattr__(self, name):
        # Anything else: the twin's own, except its private fused entry points (the
        # compiled conv twin's ``_transpose_grads``, ``_conv_forward_biased``...), which
        # the ops take only where the active twin has them. Hidden here, the ops call the
        # contract's kernels instead (the same values), which are timed and which
        # compare() can replay on both twins.
        if name.startswith("_"):
            raise AttributeError(f"{self.__name__} has no private attribute {name!r}")
        return getattr(self._module, name)


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy(order="K")
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def _nbytes(value):
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v) for v in value)
    return 0


class profile:
    """Record every op and kernel call of a block: calls, total and mean time, share.

    ``print(prof)`` shows two tables, each with forward and backward apart: the ops
    (their forward, and their node's backward in ``backward()``; an op's time includes
    its kernels') and the kernels, by family and function. The share is of the block's
    wall-clock time. :meth:`compare` replays the recorded kernel calls on the reference
    and the compiled twin and shows the speed-up per family. Inside the block the ops
    call the kernels of the families' contracts only: where the compiled twin has a
    private fused entry point (a convolution's bias added inside the kernel, a
    conv_transpose's two gradients from one im2col) the op takes the contract's kernels
    instead, the same values, so the block may run slightly slower than without it.

    Parameters
    ----------
    record_bytes : int, default 256 MiB
        At most this many bytes of kernel arguments are copied for :meth:`compare`
        (later calls are timed but not recorded); 0 records none.

    Attributes
    ----------
    seconds : float
        Wall-clock time of the block.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 2))
    >>> x = lucid.randn(8, 1, 8, 8)
    >>> with lucid.profile() as prof:
    ...     model(x).sum().backward()
    >>> sorted({(op, phase) for op, phase, calls, seconds in prof.ops()})[:4]
    [('Conv', 'backward'), ('Conv', 'forward'), ('Linear', 'backward'), ('Linear', 'forward')]
    >>> sorted((k, p, c) for k, p, c, s in prof.kernels())[:3]
    [('activation.relu_backward', 'backward', 1), ('activation.relu_forward', 'forward', 1), ('conv.conv_forward', 'forward', 1)]
    >>> print(prof.table().splitlines()[2])
    op        phase      calls   total ms    mean us   share
    >>> [(family, calls) for family, calls, ref, comp in prof.compare().rows()]
    [('conv', 2), ('activation', 2), ('matmul', 3)]
    """

    def __init__(self, record_bytes=256 * 2 ** 20):
        if isinstance(record_bytes, bool) or not isinstance(record_bytes, int) or record_bytes < 0:
            raise TypeError(f"lucid.profile: record_bytes must be an int >= 0, got "
                            f"{record_bytes!r}")
        self.record_bytes = record_bytes
        self.seconds = 0.0
        self._ops, self._kernels = {}, {}
        self._stack = []                     # (fn, phase, start) of the running ops
        self._calls = []                     # (family, function, args) recorded
        self._recorded_bytes = self._unrecorded = 0
        self._saved = self._observing = self._start = None

    # ------------------------------------------------------------------ the block
    def __enter__(self):
        if self._start is not None:
            raise RuntimeError("lucid.profile: a profile records one block; make a new one")
        self._saved = _ext.state()
        for family in list(_ext._active):
            _ext._active[family] = _Proxy(family, _ext._active[family], self)
        self._observing = observe(_Observer(self))
        self._observing.__enter__()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        self._observing.__exit__(*exc)
        _ext.restore(self._saved)
        return False

    def _phase(self):
        return self._stack[-1][1] if self._stack else "forward"

    def _enter_op(self, fn, phase):
        self._stack.append((fn, phase, time.perf_counter()))

    def _leave_op(self, fn, phase):
        end = time.perf_counter()
        while self._stack:                   # an op whose forward raised left its entry
            top, top_phase, start = self._stack.pop()
            if top is fn and top_phase == phase:
                stat = self._ops.setdefault((fn.__name__, phase), _Stat())
                stat.calls += 1
                stat.seconds += end - start
                return

    def _timed(self, family, name, function):
        key = f"{family}.{name}"

        def timed(*args, **kwargs):
            record = self.record_bytes and \
                self._recorded_bytes + _nbytes(args) <= self.record_bytes
            copies = _copy(args) if record else None
            start = time.perf_counter()
            out = function(*args, **kwargs)
            seconds = time.perf_counter() - start
            stat = self._kernels.setdefault((key, self._phase()), _Stat())
            stat.calls += 1
            stat.seconds += seconds
            if record:
                self._recorded_bytes += _nbytes(copies)
                self._calls.append((family, name, copies, kwargs))
            else:
                self._unrecorded += 1
            return out

        timed.__name__ = timed.__qualname__ = name
        return timed

    # ------------------------------------------------------------------- results
    def ops(self):
        """``[(op, phase, calls, seconds)]``, the longest total first."""
        return sorted(((op, phase, s.calls, s.seconds) for (op, phase), s in self._ops.items()),
                      key=lambda row: -row[3])

    def kernels(self):
        """``[(family.function, phase, calls, seconds)]``, the longest total first."""
        return sorted(((k, phase, s.calls, s.seconds)
                       for (k, phase), s in self._kernels.items()), key=lambda row: -row[3])

    def table(self):
        """The two tables :func:`print` shows."""
        total = self.seconds or 1e-12
        lines = [f"profile of {1e3 * self.seconds:.2f} ms"]
        for title, rows in (("op", self.ops()), ("kernel", self.kernels())):
            width = max([len(r[0]) for r in rows] + [len(title)])
            lines.append("")
            lines.append(f"{title:<{width}}  {'phase':<8}  {'calls':>6}  {'total ms':>9}  "
                         f"{'mean us':>9}  {'share':>6}")
            for name, phase, calls, seconds in rows:
                lines.append(f"{name:<{width}}  {phase:<8}  {calls:>6}  {1e3 * seconds:9.3f}  "
                             f"{1e6 * seconds / calls:9.1f}  {100 * seconds / total:5.1f}%")
            if not rows:
                lines.append("(none)")
        return "\n".join(lines)

    def __str__(self):
        return self.table()

    def compare(self, repeat=3):
        """Replay the recorded kernel calls on the reference and the compiled twin.

        Each call runs once to warm up and then ``repeat`` times on each twin (on fresh
        copies of its arguments); the median counts. The result shows per family the calls replayed,
        the time on each twin and the speed-up (reference time / compiled time).

        Parameters
        ----------
        repeat : int, default 3

        Returns
        -------
        Comparison
            ``rows()`` is ``[(family, calls, reference s, compiled s or None)]``;
            ``print()`` shows the table.
        """
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
            raise ValueError(f"lucid.profile.compare: repeat must be an int >= 1, got {repeat!r}")
        totals = {}
        for family, name, args, kwargs in self._calls:
            _ext._load(family)
            twins = [_ext._reference[family]]
            if _ext.compiled_available(family):
                twins.append(_ext._compiled[family])
            row = totals.setdefault(family, [0, 0.0, 0.0 if len(twins) == 2 else None])
            row[0] += 1
            for i, twin in enumerate(twins):
                getattr(twin, name)(*_copy(args), **kwargs)       # warm up (threads, caches)
                times = []
                for _ in range(repeat):
                    copies = _copy(args)
                    start = time.perf_counter()
                    getattr(twin, name)(*copies, **kwargs)
                    times.append(time.perf_counter() - start)
                row[1 + i] += float(np.median(times))
        return Comparison([(f, *v) for f, v in totals.items()], self._unrecorded)


class Comparison:
    """What :meth:`profile.compare` measured: per family, the recorded kernel calls'
    time on the reference and on the compiled twin."""

    def __init__(self, rows, unrecorded=0):
        self._rows, self.unrecorded = rows, unrecorded

    def rows(self):
        """``[(family, calls, reference seconds, compiled seconds or None)]``."""
        return list(self._rows)

    def __str__(self):
        lines = [f"{'family':<10}  {'calls':>6}  {'reference ms':>12}  {'compiled ms':>11}  "
                 f"{'speed-up':>8}"]
        for family, calls, ref, comp in self._rows:
            shown = "not built" if comp is None else f"{1e3 * comp:11.3f}"
            speedup = "" if comp is None else f"{ref / max(comp, 1e-12):7.1f}x"
            lines.append(f"{family:<10}  {calls:>6}  {1e3 * ref:12.3f}  {shown:>11}  "
                         f"{speedup:>8}")
        if not self._rows:
            lines.append("(no kernel calls were recorded)")
        if self.unrecorded:
            lines.append(f"({self.unrecorded} calls beyond record_bytes were not replayed)")
        return "\n".join(lines)


class _Observer:
    """The profiler's observer (see :mod:`lucid.autograd.observe`)."""

    def __init__(self, profiler):
        self.profiler = profiler

    def begin(self, fn):
        self.profiler._enter_op(fn, "forward")

    def __call__(self, fn, inputs, params, output):
        self.profiler._leave_op(fn, "forward")

    def begin_backward(self, fn):
        self.profiler._enter_op(fn, "backward")

    def end_backward(self, fn):
        self.profiler._leave_op(fn, "backward")
