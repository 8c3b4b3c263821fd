"""A setting for NumPy's OpenBLAS that only works before NumPy loads: made first thing.

After each call it runs on several threads, OpenBLAS keeps its worker threads spinning,
waiting for more work, for 2**28 CPU cycles (about 0.1 s) before they sleep. On a
2-core machine such a spinning thread takes a core away from the OpenMP threads of
lucid's compiled kernels that run next. Measured here: a conv2d forward (N64, 32->64,
14x14) takes 2.3 ms alone and 4.4 ms right after a 50 us matrix product; the homework
CNN's training step (``benchmarks/cnn_step.py``, whose Linear layer is such a product)
took 28 ms instead of 18 ms.

``OPENBLAS_THREAD_TIMEOUT=4`` makes the workers sleep after 2**4 cycles, at once; a
small product then pays about 15 us to wake them. OpenBLAS reads the variable when it
loads, so lucid sets it here (unless it is set already) when NumPy is not imported yet.
When NumPy (or PyTorch, which imports it) came first, :mod:`lucid._ext._blas` sets the
variable, makes OpenBLAS read its environment again (``openblas_read_env``) and stops
its worker threads (``blas_thread_shutdown_``); the next product starts them afresh,
with the timeout. Only if that is impossible (another BLAS) does :data:`BLAS_SPINS`
stay True (lucid's own products under 2**25 flops run on one thread in any case,
:func:`lucid._ext._blas.product_threads`, so they never set the workers spinning).

``lucid.kernels.settings()`` reports what happened (:data:`TIMEOUT_SET_BY`).
"""
import os
import sys

__all__ = ["BLAS_SPINS"]

_TOO_LATE = "numpy" in sys.modules
_USER_SET = "OPENBLAS_THREAD_TIMEOUT" in os.environ
if not _TOO_LATE:
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

#: Whether OpenBLAS's worker threads spin after each call (NumPy loaded before lucid
#: could set the variable, the user did not set it, and OpenBLAS could not be restarted).
BLAS_SPINS = _TOO_LATE and not _USER_SET

#: Whether idle OpenMP worker threads spin: the OpenMP runtime was loaded before lucid
#: (by PyTorch) and the user did not set OMP_WAIT_POLICY (set by :mod:`lucid._ext`).
#: A spinning worker holds a core; lucid's small products and the GEMMs of small
#: convolutions then run on one OpenBLAS thread, which needs no second core.
OPENMP_SPINS = False

#: Who set OPENBLAS_THREAD_TIMEOUT (for ``lucid.kernels.settings()``).
TIMEOUT_SET_BY = ("you (the environment)" if _USER_SET
                  else "lucid, before NumPy loaded" if not _TOO_LATE
                  else "nobody: NumPy loaded before lucid")
