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
"""
import contextlib
import ctypes
import glob
import os
import threading

import numpy as np

from lucid import _blas_env

__all__ = ["Blas", "find", "product_threads", "SMALL_PRODUCT_FLOPS"]

# Below this many flops a product runs on one thread when OpenBLAS's workers would spin
# after it (lucid/_blas_env.py): one thread costs it at most ~0.2 ms here (a 64x784 @
# 784x256 product: 181 us instead of 116 us), the spinning costs the OpenMP kernels
# that follow milliseconds.
SMALL_PRODUCT_FLOPS = 1 << 26

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
    """NumPy's OpenBLAS: gemm addresses, integer width and a single-thread switch.

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
        self._lock = threading.Lock()
        self._depth = 0
        self._saved = 1

    @contextlib.contextmanager
    def single_threaded(self):
        """Run the block with OpenBLAS on one thread (the caller's), then restore it.

        While the block runs, NumPy's matrix products anywhere in the process use one
        thread. Nested and concurrent blocks restore the count when the last one exits.
        """
        with self._lock:
            if self._depth == 0:
                self._saved = self._get()
                if self._saved != 1:
                    self._set(1)
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._saved != 1:
                    self._set(self._saved)

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


def product_threads(flops):
    """The context to run one of lucid's matrix products of ``flops`` in.

    One OpenBLAS thread (:meth:`Blas.single_threaded`) for a product under
    :data:`SMALL_PRODUCT_FLOPS` when OpenBLAS's workers spin after each call
    (``lucid._blas_env.BLAS_SPINS``: NumPy was imported before lucid); otherwise
    nothing changes.
    """
    if _blas_env.BLAS_SPINS and flops < SMALL_PRODUCT_FLOPS:
        blas = find()
        if blas is not None:
            return blas.single_threaded()
    return contextlib.nullcontext()
