"""PyTorch timed in a process of its own, as a student who runs only PyTorch runs it.

Why not in the benchmark's own process: lucid and PyTorch load the same OpenMP runtime
(``libgomp.so.1``: one copy per process), which reads its wait policy once, when it
loads. lucid sets its idle threads' wait (``GOMP_SPINCOUNT`` and
``OMP_WAIT_POLICY=PASSIVE``, see ``lucid/_ext/__init__.py``; until December 5, 2026 they
slept at once, then spun 0.3 ms, now 3-5 ms, PyTorch's own default), and PyTorch
imported after lucid runs with lucid's policy. When they slept at once, PyTorch paid a
wake-up at each of its parallel ops: measured on the ResNet
training step (2 threads), 37 ms in lucid's process against 24 ms in its own; the
encoder's step 18 ms against 7 ms. Every lucid / torch ratio measured in one process
flattered lucid.

So each benchmark that compares with PyTorch keeps the correctness check (outputs,
losses) in its own process and runs PyTorch's timed calls in a worker process started
here, which imports torch before anything else, with the environment the benchmark was
started with (not the variables lucid set for itself), and the same thread count.

The worker loads the benchmark's own file under another name (so its ``__main__``
block does not run, and the same code builds both sides) and calls a function of it,
the *factory*, with JSON arguments: the factory returns the closure to time. The
calls stay interleaved with lucid's (``_timing.interleaved_medians``): the two
processes take turns, a few calls at a time, and each turn starts with untimed calls
for a few milliseconds, while the other process's threads spin down (measured: the
first lucid call after a turn of torch's took 3.7 ms, the next ones 1.45 ms, as without
torch).
"""
import importlib.util
import json
import os
import subprocess
import sys

__all__ = ["TorchProcess", "torch_worker", "start_environment"]


# The environment now: the one the process started with, if lucid was not imported yet
# (a fallback for systems without /proc/self/environ).
_AT_IMPORT = None if "lucid" in sys.modules else dict(os.environ)


def start_environment():
    """The environment this process was started with, without the variables lucid set
    for itself (OMP_WAIT_POLICY, OPENBLAS_THREAD_TIMEOUT): Linux keeps it in
    ``/proc/self/environ`` whatever the process set since; elsewhere the environment
    when this module was imported, which must be before lucid."""
    try:
        with open("/proc/self/environ", "rb") as f:
            items = f.read().split(b"\0")
    except OSError:
        if _AT_IMPORT is None:
            raise RuntimeError("import _torch_process before lucid: it keeps the "
                               "environment from before lucid set its own variables")
        return dict(_AT_IMPORT)
    return dict(os.fsdecode(item).split("=", 1) for item in items if b"=" in item)


_WORKER = r"""
import importlib.util, json, os, sys
import torch                      # first: its OpenMP runtime starts with its own defaults
path, threads, here = sys.argv[1], int(sys.argv[2]), sys.argv[4]
torch.set_num_threads(threads)
sys.argv = [path] + json.loads(sys.argv[3])
sys.path[:0] = [os.path.dirname(path), here]       # as for the script itself; _timing
from _timing import Local                          # the same warm-up and timing loops
spec = importlib.util.spec_from_file_location("benchmark_torch_side", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
closures = []
for line in sys.stdin:
    request = json.loads(line)
    kind = request["kind"]
    if kind == "make":
        closures.append(getattr(module, request["factory"])(*request["args"]))
        answer = len(closures) - 1
    elif kind == "warm":
        answer = Local(closures[request["key"]]).warm(request["seconds"])
    elif kind == "time":
        answer = Local(closures[request["key"]]).timed_calls(request["calls"],
                                                            request["lead"])
    elif kind == "drop":
        closures[request["key"]] = None
        answer = None
    print(json.dumps(answer), flush=True)
"""


class TorchProcess:
    """A worker process running PyTorch closures built by ``factory`` functions of the
    benchmark file ``script`` (loaded there with ``argv`` as its arguments)."""

    def __init__(self, script, argv, threads):
        env = start_environment()
        env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = str(threads)
        self._process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, os.path.abspath(script), str(threads),
             json.dumps(list(argv)), os.path.dirname(os.path.abspath(__file__))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def _ask(self, **request):
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the torch worker process stopped (exit code "
                               f"{self._process.wait()}); its error is printed above")
        return json.loads(line)

    def closure(self, factory, *args):
        """A handle on ``factory(*args)``'s closure in the worker, for
        :func:`_timing.interleaved_medians`."""
        return RemoteClosure(self, self._ask(kind="make", factory=factory, args=list(args)))

    def close(self):
        self._process.stdin.close()
        self._process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def torch_worker(script, threads):
    """A :class:`TorchProcess` for ``script`` with this run's arguments and ``threads``,
    or None when torch is not installed (torch is not imported in this process)."""
    if importlib.util.find_spec("torch") is None:
        return None
    return TorchProcess(script, sys.argv[1:], threads)


class RemoteClosure:
    """A closure living in a :class:`TorchProcess`: warmed and timed there."""

    def __init__(self, process, key):
        self._process, self._key = process, key

    def warm(self, seconds):
        self._process._ask(kind="warm", key=self._key, seconds=seconds)

    def timed_calls(self, calls, lead):
        """Untimed calls for ``lead`` seconds (at least one), then the seconds of each of
        ``calls`` timed ones."""
        return self._process._ask(kind="time", key=self._key, calls=calls, lead=lead)

    def drop(self):
        self._process._ask(kind="drop", key=self._key)
