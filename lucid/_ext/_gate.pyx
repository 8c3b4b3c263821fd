r"""The BLAS mode gate, compiled twin of :mod:`lucid._ext.gate`.

``gate.py`` is the readable gate, with the rules (the module docstring of ``_blas.py``
says why lucid has one): products that need OpenBLAS at one thread and products that
need its own count never overlap; products of one mode may. This is the same gate, rule
for rule, for the processes where this module was built (``_blas._gate`` picks it; where
it was not, the Python one runs): at batch 1 a convolution whose gemm OpenBLAS would
otherwise thread enters it once a call, and the Python gate's entry and exit took
~2.7 us of a 10-30 us call (Python frames, a ``threading.local``, three ``ctypes``
calls into OpenBLAS). Here the state is C fields, OpenBLAS's ``set_num_threads`` and
``get_num_threads`` are called through their addresses, and a block costs ~0.9 us.

The loop nest it runs, the state changed only under ``_lock`` (a ``threading.Lock``,
whose ``acquire`` lets the GIL go while it waits) and a caller of the other mode
waiting on ``_cond`` (a ``threading.Condition`` of that lock)::

    enter(mode):
        nested in a block of this thread: depth += 1 (the held mode runs on)
        with lock:
            waiting[mode] += 1
            while inside and (mode differs or the other mode waits): cond.wait()
            waiting[mode] -= 1
            if not inside: mode set; for "one": saved = get(); set(1) unless saved is 1
            inside += 1
    exit():
        depth -= 1; if still nested: done
        with lock:
            inside -= 1
            if not inside: set(saved) after "one" (unless it was 1); mode cleared;
                           wake the waiters
"""
import ctypes
import threading

from libc.stdint cimport intptr_t

__all__ = ["ModeGate"]

ctypedef void (*_set_fn)(int) noexcept nogil
ctypedef int (*_get_fn)() noexcept nogil

cdef enum:
    _NONE = 0
    _ONE = 1
    _DEFAULT = 2


cdef class ModeGate:
    """:class:`lucid._ext.gate.ModeGate` compiled: ``ModeGate(blas)``, the
    :class:`~lucid._ext._blas.Blas` whose ``_set`` / ``_get`` (``ctypes`` functions:
    OpenBLAS's ``set_num_threads(int)`` and ``int get_num_threads()``) it calls through
    their C addresses."""

    cdef _set_fn _set
    cdef _get_fn _get
    cdef object _lock, _cond, _depth
    cdef int _mode, _saved
    cdef Py_ssize_t _inside
    cdef Py_ssize_t _waiting[3]
    cdef Hold _one, _default

    def __init__(self, blas):
        set_address = ctypes.cast(blas._set, ctypes.c_void_p).value
        get_address = ctypes.cast(blas._get, ctypes.c_void_p).value
        if not set_address or not get_address:
            raise ValueError("ModeGate: the addresses of OpenBLAS's set_num_threads and "
                             f"get_num_threads must not be null; got {set_address!r}, "
                             f"{get_address!r}")
        self._set = <_set_fn><intptr_t>set_address
        self._get = <_get_fn><intptr_t>get_address
        self._one = Hold(self, _ONE)
        self._default = Hold(self, _DEFAULT)
        self._reset()

    def _reset(self):
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._mode = _NONE           # the mode of the blocks inside, _NONE when empty
        self._inside = 0
        self._waiting[_ONE] = self._waiting[_DEFAULT] = 0
        self._saved = 1              # OpenBLAS's count before "one" set it to 1
        self._depth = threading.local()

    def _after_fork_in_child(self):
        """A fork while another thread was inside: that thread is gone in the child."""
        if self._inside and self._mode == _ONE:
            self._set(self._saved)
        self._reset()

    def hold(self, mode):
        """The context in which a BLAS call of ``mode`` (``"one"`` or ``"default"``)
        runs: one object per mode serves every thread (the state is the gate's)."""
        if mode == "one":
            return self._one
        if mode == "default":
            return self._default
        raise ValueError(f"ModeGate.hold: mode must be 'one' or 'default'; got {mode!r}")

    def idle_at_one(self):
        """Whether no block is inside and OpenBLAS runs one thread (then a product needs
        no gate: ``lucid._ext.gate.ModeGate.idle_at_one`` says why)."""
        with self._lock:
            return self._inside == 0 and self._get() == 1

    def count(self):
        """OpenBLAS's thread count now (for the tests)."""
        return self._get()

    cdef int _enter(self, int mode) except -1:
        cdef Py_ssize_t depth = getattr(self._depth, "n", 0)
        cdef int other = _DEFAULT if mode == _ONE else _ONE
        if depth:                    # nested in a block of this thread: its mode holds
            self._depth.n = depth + 1
            return 0
        with self._lock:
            self._waiting[mode] += 1
            try:
                while self._inside and (self._mode != mode or self._waiting[other]):
                    self._cond.wait()
            finally:
                self._waiting[mode] -= 1
            if not self._inside:
                self._mode = mode
                if mode == _ONE:
                    self._saved = self._get()
                    if self._saved != 1:
                        self._set(1)
            self._inside += 1
        self._depth.n = 1
        return 0

    cdef int _exit(self) except -1:
        cdef Py_ssize_t depth = self._depth.n - 1
        self._depth.n = depth
        if depth:
            return 0
        with self._lock:
            self._inside -= 1
            if not self._inside:
                if self._mode == _ONE and self._saved != 1:
                    self._set(self._saved)
                self._mode = _NONE
                if self._waiting[_ONE] or self._waiting[_DEFAULT]:
                    self._cond.notify_all()
        return 0


cdef class Hold:
    """``with gate.hold(mode):`` -- enter and leave the gate around one block."""

    cdef ModeGate _gate
    cdef int _mode

    def __cinit__(self, ModeGate gate, int mode):
        self._gate, self._mode = gate, mode

    def __enter__(self):
        self._gate._enter(self._mode)
        return self

    def __exit__(self, *exc):
        self._gate._exit()
        return False
