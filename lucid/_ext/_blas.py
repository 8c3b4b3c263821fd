"""NumPy's own BLAS, reached directly: its ``cblas_?gemm`` and its thread count.

The compiled conv twin runs one GEMM per sample on each of its OpenMP threads (see
``_conv.pyx``). That needs two things NumPy does not export as an API but its OpenBLAS
library does: the C function ``cblas_sgemm`` / ``cblas_dgemm``, called from ``nogil``
code through a pointer, and ``openblas_set_num_threads``, so that each of those calls
runs on the thread that makes it instead of waking OpenBLAS's own pool.

:func:`find` looks for the library NumPy loaded (an OpenBLAS whose symbols carry the
``scipy_`` prefix and ``64_`` suffix in NumPy's wheels, or a plain OpenBLAS), checks a
small product against ``np.matmul`` and returns a :class:`Blas`, or ``None`` when
NumPy's BLAS is something else (MKL, Accelerate...). Callers then keep to
``np.matmul``: the same results, the older path.

**One place for every product lucid makes.** OpenBLAS's thread count is one number for
the whole process (``openblas_set_num_threads_local`` too, in NumPy's pthreads build:
checked), and its results differ in the last bits between one thread and two for some
shapes. So that a Python thread's product never runs at a count another thread chose,
every BLAS call of lucid runs inside :func:`product_threads` (or :func:`matmul`, or
:func:`one_thread` for the conv kernels' own gemm calls), which holds a process-wide
*mode gate*: products that need one thread and products that need the default count
never overlap; products of the same mode may. Each product then always runs at the count
it was designed for, and N Python threads get the serial results bit for bit.
"""
import contextlib
import ctypes
import glob
import math
import os

import numpy as np

from lucid import _blas_env

__all__ = ["Blas", "find", "product_threads", "matmul_threads", "gemm_threads", "one_thread",
           "all_threads", "matmul", "row_sums", "SMALL_PRODUCT_FLOPS"]

# Below this many flops a product runs on one OpenBLAS thread. Waking a sleeping worker
# costs much when the other core is busy (another process, lucid's own OpenMP threads):
# the product waits for the scheduler. Measured with the machine loaded: a
# 128x784 @ 784x256 product took 31 ms on two threads, a Transformer encoder's Linear
# backward ~50 ms, and the encoder's training step 5.5x PyTorch's (benchmarks/models.py).
# When OpenBLAS's workers spin instead (lucid/_blas_env.py), they would also take the
# core the OpenMP kernels that follow need.
# Above it a second thread pays: on two idle cores, products of 2**24 to 2**26.6 flops
# took 0.52-0.73x their one-thread time. With the threshold at 2**25 instead of 2**26
# (benchmarks/models.py, two to four runs each) the MLP's batch-128 inference went
# from 1.31-1.67x PyTorch's time to 0.95-1.07x and its training step from 0.66-0.80x
# to 0.59-0.61x. Its 128x784 @ 784x256 products (2**25.6) now run on two threads; with
# one core kept busy by another process the rows held (MLP 3.2-3.5 ms, encoder
# 10.4-11.1 ms in three runs of four), where 2**24 slowed the encoder's step from
# ~11 ms to 18 ms (its products of 2**24 to 2**24.6 flops then woke the worker).
SMALL_PRODUCT_FLOPS = 1 << 25

# (gemm symbol pattern, set-threads symbol, get-threads symbol, integer type)
_FLAVOURS = (
    ("scipy_cblas_{}gemm64_", "scipy_openblas_set_num_threads64_",
     "scipy_openblas_get_num_threads64_", ctypes.c_int64),
    ("cblas_{}gemm64_", "openblas_set_num_threads64_", "openblas_get_num_threads64_",
     ctypes.c_int64),
    ("scipy_cblas_{}gemm", "scipy_openblas_set_num_threads",
     "scipy_openblas_get_num_threads", ctypes.c_int32),
    ("cblas_{}gemm", "openblas_set_num_threads", "openblas_get_num_threads",
     ctypes.c_int32),
)

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112   # the CBLAS enum values


class Blas:
    """NumPy's OpenBLAS: gemm addresses, integer width and its thread count.

    Attributes
    ----------
    sgemm, dgemm : int
        Addresses of ``cblas_sgemm`` and ``cblas_dgemm`` (row-major CBLAS interface).
    ilp64 : bool
        Whether their integer arguments are 64-bit.
    path : str
        The library file.
    """

    def __init__(self, lib, path, gemm, set_threads, get_threads, int_type):
        self.lib = lib
        self.path = path
        self.ilp64 = int_type is ctypes.c_int64
        self._int = int_type
        self._gemm = {c: getattr(lib, gemm.format(c)) for c in "sd"}
        self.sgemm = ctypes.cast(self._gemm["s"], ctypes.c_void_p).value
        self.dgemm = ctypes.cast(self._gemm["d"], ctypes.c_void_p).value
        self._set = getattr(lib, set_threads)
        self._set.argtypes = [ctypes.c_int]
        self._set.restype = None
        self._get = getattr(lib, get_threads)
        self._get.argtypes = []
        self._get.restype = ctypes.c_int

    def matmul(self, a, b):
        """``a @ b`` for 2-d C-contiguous float arrays through the found gemm (a check)."""
        m, k = a.shape
        n = b.shape[1]
        c = np.zeros((m, n), dtype=a.dtype)
        real = ctypes.c_float if a.dtype == np.float32 else ctypes.c_double
        ptr = ctypes.POINTER(real)
        gemm = self._gemm["s" if a.dtype == np.float32 else "d"]
        gemm.restype = None
        i = self._int
        gemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i, i, i, real, ptr, i,
                         ptr, i, real, ptr, i]
        gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, 1.0, a.ctypes.data_as(ptr), k,
             b.ctypes.data_as(ptr), n, 0.0, c.ctypes.data_as(ptr), n)
        return c


def _candidate_paths():
    """OpenBLAS files NumPy ships, then any other the process loaded (Linux)."""
    root = os.path.dirname(np.__file__)
    paths = []
    for pattern in ("../numpy.libs/*openblas*", ".dylibs/*openblas*", "*openblas*"):
        paths.extend(os.path.normpath(p) for p in sorted(glob.glob(os.path.join(root, pattern))))
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                name = line.rsplit(None, 1)[-1] if "/" in line else ""
                if "openblas" in os.path.basename(name).lower() and name not in paths:
                    paths.append(name)
    except OSError:
        pass
    return paths


def _open(path):
    for gemm, set_threads, get_threads, int_type in _FLAVOURS:
        try:
            lib = ctypes.CDLL(path)
            names = (gemm.format("s"), gemm.format("d"), set_threads, get_threads)
            if all(hasattr(lib, name) for name in names):
                return Blas(lib, path, gemm, set_threads, get_threads, int_type)
        except OSError:
            return None
    return None


def _works(blas):
    """The found gemm reproduces np.matmul on a small product in both dtypes."""
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal((3, 5)).astype(dtype)
        b = rng.standard_normal((5, 4)).astype(dtype)
        if not np.allclose(blas.matmul(a, b), a @ b, rtol=1e-5, atol=1e-5):
            return False
    return True


_found = []


def find():
    """The :class:`Blas` of NumPy's OpenBLAS, or None (also when ``LUCID_BLAS=numpy``)."""
    if not _found:
        blas = None
        if os.environ.get("LUCID_BLAS", "").lower() != "numpy":
            for path in _candidate_paths():
                blas = _open(path)
                if blas is not None and _works(blas):
                    break
                blas = None
        _found.append(blas)
    return _found[0]


_NO_GATE = contextlib.nullcontext()     # the context of a product that needs no gate


_gates = []


def _new_gate(blas, compiled=True):
    """A gate for ``blas``: the compiled twin ``lucid/_ext/_gate.pyx`` (the same rules at
    ~0.9 us a block instead of ~2.7) when it was built and ``compiled`` is true, else
    the reference twin :class:`lucid._ext.gate.ModeGate`."""
    if compiled:
        try:
            from lucid._ext._gate import ModeGate
        except ImportError:
            pass
        else:
            return ModeGate(blas)
    from lucid._ext.gate import ModeGate
    return ModeGate(blas)


def _gate():
    """The process's one gate (:func:`_new_gate`), or None when no OpenBLAS was found."""
    if not _gates:
        blas = find()
        gate = None if blas is None else _new_gate(blas)
        if gate is not None:
            os.register_at_fork(after_in_child=gate._after_fork_in_child)
        _gates.append(gate)
    return _gates[0]


def one_thread():
    """The context for BLAS calls that must run on the calling thread alone (OpenBLAS
    set to one thread meanwhile, and no product at another count at the same time)."""
    gate = _gate()
    if gate is None or gate.idle_at_one():
        return _NO_GATE
    return gate.hold("one")


def all_threads():
    """The context for BLAS calls at OpenBLAS's own thread count (and none at one
    thread meanwhile)."""
    gate = _gate()
    if gate is None or gate.idle_at_one():
        return _NO_GATE
    return gate.hold("default")


def _restart_with_timeout():
    """NumPy loaded before lucid: set OPENBLAS_THREAD_TIMEOUT now, make OpenBLAS read its
    environment again and stop its worker threads; the next product starts them with
    the timeout (``lucid/_blas_env.py`` says why). Returns whether it took effect."""
    blas = find()
    if blas is None:
        return False
    read = getattr(blas.lib, "openblas_read_env", None)
    shutdown = getattr(blas.lib, "blas_thread_shutdown_", None)
    current = getattr(blas.lib, "openblas_thread_timeout", None)
    if read is None or shutdown is None or current is None:
        return False
    for f in (read, shutdown, current):
        f.restype = ctypes.c_int
        f.argtypes = []
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = "4"
    read()
    shutdown()
    return current() == 4


def timeout_in_effect():
    """The OPENBLAS_THREAD_TIMEOUT OpenBLAS uses now (0: its default), or None."""
    blas = find()
    current = None if blas is None else getattr(blas.lib, "openblas_thread_timeout", None)
    if current is None:
        return None
    current.restype = ctypes.c_int
    return current()


if _blas_env.BLAS_SPINS and _restart_with_timeout():
    _blas_env.BLAS_SPINS = False
    _blas_env.TIMEOUT_SET_BY = ("lucid, after NumPy loaded: OpenBLAS re-read its "
                                "environment and restarted its threads")


def product_threads(flops):
    """The context to run one of lucid's matrix products of ``flops`` in.

    One OpenBLAS thread for a product under :data:`SMALL_PRODUCT_FLOPS` (where a second
    thread gains little and waking it can cost milliseconds, see there), OpenBLAS's own
    count above. Either way inside the mode gate (module docstring).
    """
    return one_thread() if flops < SMALL_PRODUCT_FLOPS else all_threads()


# OpenBLAS runs a product on the calling thread alone, whatever its thread count, below
# a size: a gemm when m * n * k <= 65536 * GEMM_MULTITHREAD_THRESHOLD, a gemv when
# m * n < 2304 * GEMM_MULTITHREAD_THRESHOLD, a dot up to 10,000 values (its
# interface/gemm.c, gemv.c and dot.c). The threshold is a build option, 4 unless set,
# as in the OpenBLAS NumPy's wheels carry. (A build with a smaller one would run the
# products between its bound and these on its own count, at most its last bits apart.)
# NumPy's matmul calls gemv when M or N is 1, and syrk for a product of a matrix with
# its own transpose (the same memory), which OpenBLAS threads at any size: never small.
_ALONE_GEMM = 65536 * 4
_ALONE_GEMV = 2304 * 4


def _may_start_together(a, b):
    """Whether a matrix of ``a``'s stack may start where ``b``'s of the same index does
    (NumPy's condition for syrk): never when they share no memory (the usual case,
    0.2 us to tell), nor when they start apart with the same strides between matrices
    (attention's ``q`` and ``k``, slices of one packed array). With the same strides
    between matrices, the i-th matrices start together when the first ones do: whether
    their first elements share memory (1 us; reading both addresses through
    ``.ctypes`` took 2.6)."""
    if not np.may_share_memory(a, b):
        return False
    if a.strides[:-2] != b.strides[:-2]:
        return True
    if a.size == 0 or b.size == 0:               # no product runs
        return False
    return np.shares_memory(_first_element(a), _first_element(b))


def _first_element(x):
    """A view of ``x``'s first element (at least 1-d)."""
    return x[(0,) * (x.ndim - 1) + (slice(0, 1),)]


def matmul_threads(a, b):
    """The context to run ``np.matmul(a, b)`` in: none at all for a product OpenBLAS
    keeps on the calling thread by its size rule (each matrix product of a stack, and
    not ``A @ A.T``), else :func:`product_threads`.

    A small product needs no gate: its thread count cannot change (so neither can its
    bits), it wakes no worker, and it does not change the count for anyone else. The
    gate costs ~2.4 us a call (a lock and three calls into OpenBLAS), a third of a
    ``(32, 64) @ (64, 64)`` product, of which a Transformer encoder layer at batch 1
    makes several."""
    m = a.shape[-2] if a.ndim > 1 else 1
    n = b.shape[-1] if b.ndim > 1 else 1
    k = a.shape[-1]
    size = m * n * k
    if ((size < _ALONE_GEMV if m == 1 or n == 1 else size <= _ALONE_GEMM)
            and not (m == n and _may_start_together(a, b))):
        return _NO_GATE
    batch = 1 if a.ndim <= 2 and b.ndim <= 2 else math.prod(
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    return product_threads(2 * batch * size)


def gemm_threads(m, n, k):
    """The context for gemm calls of at most ``m x k`` by ``k x n`` each, made straight
    through the found pointer (the conv kernels' own calls, from their OpenMP threads):
    none at all when OpenBLAS keeps such a gemm on its calling thread (the size rule of
    :func:`matmul_threads`), else :func:`one_thread`. A batch-1 convolution's gemms are
    often that small, and the gate cost ~2.4 us of a ~20 us call."""
    return _NO_GATE if m * n * k <= _ALONE_GEMM else one_thread()


def matmul(a, b, out=None):
    """``np.matmul(a, b, out=out)`` inside :func:`matmul_threads`: how lucid's ops
    multiply matrices (flops ``2 * result size * contracted length``)."""
    with matmul_threads(a, b):
        return np.matmul(a, b, out=out)


def row_sums(rows):
    """The sum of each row of the 2-d ``rows``: a product with a vector of ones.

    NumPy sums short rows (a conv's planes, a pooling window) several times slower than
    BLAS's matrix-vector product: a ``(64 * 32, 784)`` conv gradient 0.28 ms against
    0.085 ms, ``(8192, 64)`` pooled planes 226 us against 34 us. The order of the
    additions differs from ``np.sum``'s (pairwise), within float rounding.
    """
    return matmul(rows, np.ones(rows.shape[1], dtype=rows.dtype))
