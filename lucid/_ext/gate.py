"""The BLAS mode gate, reference twin of ``_gate.pyx``: the rules in plain Python.

Why lucid has a gate: ``lucid/_ext/_blas.py``'s module docstring (OpenBLAS's thread
count is one number for the whole process, and a product's last bits can depend on
it). ``_blas._gate()`` makes the process's one gate from the compiled twin where it was
built and from this file where it was not; both take the :class:`~lucid._ext._blas.Blas`
whose ``_set`` / ``_get`` change and read OpenBLAS's count, and both keep these rules::

    enter(mode):                               mode "one" or "default"
        nested in a block of this thread: depth += 1 (the held mode runs on)
        with lock:
            waiting[mode] += 1
            while inside and (mode differs or the other mode waits): wait
            waiting[mode] -= 1
            if not inside: mode set; for "one": saved = get(); set(1) unless saved is 1
            inside += 1
    exit():
        depth -= 1; if still nested: done
        with lock:
            inside -= 1
            if not inside: set(saved) after "one" (unless it was 1); mode cleared;
                           wake the waiters

This is not a kernel family (``lucid._ext.NOT_FAMILIES``): ``lucid.kernels.use`` does
not switch it; ``tests/_ext/test_blas.py`` runs every test of its rules on both twins.
"""
import threading

__all__ = ["ModeGate"]


class ModeGate:
    """Lets lucid's BLAS calls of one mode in together, never two modes at once.

    Modes: ``"one"`` (OpenBLAS set to one thread while any such call runs: the conv
    kernels that call gemm from each OpenMP thread, small products while OpenBLAS
    spins) and ``"default"`` (OpenBLAS's own count). A thread waiting for the other
    mode stops new arrivals of the running one, so neither mode starves. A block
    nested in a block of the same thread runs in the mode already held.
    """

    def __init__(self, blas):
        if not blas._set or not blas._get:      # a ctypes function is false when null
            raise ValueError("ModeGate: the addresses of OpenBLAS's set_num_threads and "
                             f"get_num_threads must not be null; got {blas._set!r}, "
                             f"{blas._get!r}")
        self._blas = blas
        self._holds = {"one": Hold(self, "one"), "default": Hold(self, "default")}
        self._reset()

    def _reset(self):
        self._lock = threading.Lock()            # entered directly: cheaper than the
        self._cond = threading.Condition(self._lock)   # Condition's Python-level methods
        self._mode = None            # the mode of the calls inside, None when empty
        self._inside = 0
        self._waiting = {"one": 0, "default": 0}
        self._saved = 1              # OpenBLAS's count before "one" set it to 1
        self._depth = threading.local()

    def _after_fork_in_child(self):
        """A fork while another thread was inside: that thread is gone in the child."""
        if self._inside and self._mode == "one":
            self._blas._set(self._saved)
        self._reset()

    def hold(self, mode):
        """The context in which a BLAS call of ``mode`` runs (a plain object, no
        generator: it runs around every small product, so its cost is per-op overhead;
        the state lives in the gate, so one object per mode serves every thread)."""
        found = self._holds.get(mode)
        if found is None:
            raise ValueError(f"ModeGate.hold: mode must be 'one' or 'default'; got {mode!r}")
        return found

    def count(self):
        """OpenBLAS's thread count now (for the tests)."""
        return self._blas._get()

    def idle_at_one(self):
        """Whether no block is inside and OpenBLAS runs one thread. Then a product needs
        no gate: only the gate changes the count, and from one it sets nothing (a
        thread that enters after this answer finds the count at one too); the product
        runs on one thread in either mode. Entering and leaving cost ~1.3 us of Python
        a call, this ~0.3 (the process of ``OPENBLAS_NUM_THREADS=1``, or
        ``--threads 1`` in ``benchmarks/``)."""
        with self._lock:
            return not self._inside and self._blas._get() == 1

    def _enter(self, mode):
        depth = getattr(self._depth, "n", 0)
        if depth:                    # nested in a block of this thread: its mode holds
            self._depth.n = depth + 1
            return
        other = "default" if mode == "one" else "one"
        with self._lock:
            self._waiting[mode] += 1
            try:                     # (an exception in the wait still stops waiting)
                while self._inside and (self._mode != mode or self._waiting[other]):
                    self._cond.wait()
            finally:
                self._waiting[mode] -= 1
            if not self._inside:
                self._mode = mode
                if mode == "one":
                    self._saved = self._blas._get()
                    if self._saved != 1:
                        self._blas._set(1)
            self._inside += 1
        self._depth.n = 1

    def _exit(self):
        depth = self._depth.n - 1
        self._depth.n = depth
        if depth:
            return
        with self._lock:
            self._inside -= 1
            if not self._inside:
                if self._mode == "one" and self._saved != 1:
                    self._blas._set(self._saved)
                self._mode = None
                if self._waiting["one"] or self._waiting["default"]:
                    self._cond.notify_all()


class Hold:
    """``with gate.hold(mode):`` -- enter and leave the gate around one block."""

    __slots__ = ("_gate", "_mode")

    def __init__(self, gate, mode):
        self._gate, self._mode = gate, mode

    def __enter__(self):
        self._gate._enter(self._mode)
        return self

    def __exit__(self, *exc):
        self._gate._exit()
        return False
