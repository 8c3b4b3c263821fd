"""The child processes that run students' code, and the guard around lucid's files.

Each exercise runs in a child (``python -m lucid.course._child``) that the grading
process starts, feeds a job on stdin (the student's file, the cases: wire data) and
listens to on a pipe of its own. The child sets its own limits before it imports the
student's module (``resource.setrlimit``): address space (the memory limit, on top of
what importing lucid took), CPU seconds, no core file, and no bytes written to any
file (``RLIMIT_FSIZE = 0``: a submission cannot change lucid's files or the grader's,
only truncate, rename or delete them, which :class:`Guard` detects and undoes). The
grading process enforces the rest from outside: a wall-clock limit and a limit on
printed output, both ending the child's whole process group; what the child sends is
read as JSON only (``lucid.course._wire``), never unpickled.

This is the isolation course autograders need against mistakes and casual tampering
(a hang, a crash, a flood of output, a patched NumPy, an edited file). It is not a
security boundary against a determined attacker running as the same user: run the
grader inside the course platform's container, as the platforms do.
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading

import lucid
from lucid.course import _wire

__all__ = ["Limits", "ChildRun", "run_child", "Guard"]

#: At most this much of what a child prints is kept, to show the student.
OUTPUT_SHOWN = 4000
#: A child that sends more than this on its results pipe is stopped.
RESULTS_LIMIT = 256 * 2 ** 20


class Limits:
    """Limits of one child: ``time`` (wall-clock seconds), ``memory`` (bytes of address
    space on top of what importing lucid took), ``output`` (bytes printed)."""

    def __init__(self, time=60.0, memory=2 * 2 ** 30, output=2 ** 20):
        self.time, self.memory, self.output = float(time), int(memory), int(output)

    def job(self):
        return {"memory": self.memory, "cpu": int(self.time) + 2}


class ChildRun:
    """What happened to a child: its messages, what it printed, how it ended."""

    def __init__(self):
        self.messages = []
        self.output = bytearray()
        self.output_bytes = 0
        self.timed_out = self.flooded = self.tampered = False
        self.returncode = None

    @property
    def printed(self):
        text = bytes(self.output[:OUTPUT_SHOWN]).decode("utf-8", "replace")
        if self.output_bytes > OUTPUT_SHOWN:
            text += f"\n[... {self.output_bytes - OUTPUT_SHOWN} more bytes not shown]"
        return text

    def ended(self, limits):
        """None for a normal end, else why the child's exercise scores 0."""
        if self.flooded:
            return (f"printed more than the output limit ({limits.output} bytes); "
                    "remove the prints from your code")
        if self.tampered:
            return "wrote to the grader's results channel"
        if self.timed_out:
            return f"ran longer than the time limit ({limits.time:g} s): an endless loop?"
        code = self.returncode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            reason = {"SIGSEGV": "a segmentation fault", "SIGXCPU": "the CPU time limit",
                      "SIGKILL": "killed (out of memory?)", "SIGABRT": "an abort",
                      "SIGBUS": "a bus error"}.get(name, name)
            return f"crashed ({name}: {reason})"
        if code:
            return f"exited with status {code}"
        if not any(m.get("event") == "done" for m in self.messages):
            return "stopped before the grading ended"
        return None


def _child_env(workdir):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(lucid.__file__))),
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "LUCID_KERNELS": "auto", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8"}
    for name in ("LD_LIBRARY_PATH", "LUCID_BLAS", "LUCID_MALLOC_TUNING", "SYSTEMROOT"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_child(jobs, limits):
    """Run ``jobs`` (``[{"exercise", "file", "cases"}]``) in a fresh child under
    ``limits``; a :class:`ChildRun`."""
    run = ChildRun()
    read_end, write_end = os.pipe()
    with tempfile.TemporaryDirectory(prefix="lucid-grade-") as workdir:
        try:
            proc = subprocess.Popen(
                [sys.executable, "-s", "-B", "-m", "lucid.course._child", str(write_end)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(write_end,), cwd=workdir, env=_child_env(workdir),
                start_new_session=True)
        finally:
            os.close(write_end)
        message = _wire.dumps({"jobs": jobs, "limits": limits.job()}).encode()

        def feed():
            try:
                proc.stdin.write(message)
                proc.stdin.close()
            except OSError:
                pass

        def listen_output():
            while True:
                chunk = proc.stdout.read1(65536)
                if not chunk:
                    return
                run.output_bytes += len(chunk)
                if len(run.output) < OUTPUT_SHOWN:
                    run.output += chunk[:OUTPUT_SHOWN - len(run.output)]
                if run.output_bytes > limits.output:
                    run.flooded = True
                    _kill(proc)

        def listen_results():
            received = 0
            with os.fdopen(read_end, "rb") as pipe:
                for line in pipe:
                    received += len(line)
                    try:
                        decoded = _wire.loads(line.decode("utf-8"))
                        if not isinstance(decoded, dict):
                            raise _wire.WireError("not a message")
                    except (_wire.WireError, UnicodeDecodeError):
                        decoded = None
                    if decoded is None or received > RESULTS_LIMIT:
                        run.tampered = True
                        _kill(proc)
                        continue
                    run.messages.append(decoded)

        threads = [threading.Thread(target=t, daemon=True)
                   for t in (feed, listen_output, listen_results)]
        for t in threads:
            t.start()
        try:
            proc.wait(timeout=limits.time)
        except subprocess.TimeoutExpired:
            run.timed_out = True
        _kill(proc)                          # and anything it started
        proc.wait()
        for t in threads:
            t.join(timeout=5)
        run.returncode = proc.returncode
        if run.timed_out or run.flooded or run.tampered:
            run.returncode = None
    return run


class Guard:
    """Files a submission must not change: lucid's package (and any extra paths, e.g.
    the workspace's record). :meth:`check` finds what changed since the guard was made
    (by size, time and inode, then content), puts the saved bytes back, removes files
    that appeared, and returns the paths it repaired."""

    def __init__(self, extra=()):
        root = os.path.dirname(os.path.abspath(lucid.__file__))
        self.roots = [root]
        self.saved = {}
        for path in self._walk():
            self._save(path)
        for path in extra:
            if os.path.isfile(path):
                self._save(os.path.abspath(path))
                self.roots.append(os.path.abspath(path))

    def _walk(self):
        for dirpath, dirnames, filenames in os.walk(self.roots[0]):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:
                yield os.path.join(dirpath, name)

    def _save(self, path):
        with open(path, "rb") as f:
            data = f.read()
        st = os.stat(path)
        self.saved[path] = (data, (st.st_size, st.st_mtime_ns, st.st_ino), st.st_mode)

    def check(self):
        repaired = []
        for path, (data, stamp, mode) in self.saved.items():
            try:
                st = os.stat(path)
                if (st.st_size, st.st_mtime_ns, st.st_ino) == stamp:
                    continue
                with open(path, "rb") as f:
                    if f.read() == data:
                        continue
            except OSError:
                pass
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, mode & 0o7777)
            self._save(path)
            repaired.append(path)
        for path in self._walk():
            if path not in self.saved:
                os.remove(path)
                repaired.append(path)
        return repaired
