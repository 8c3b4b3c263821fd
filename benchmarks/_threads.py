"""What a benchmark sets before NumPy loads: its thread counts and its import paths.

OpenBLAS and the OpenMP runtime read their thread counts once, when they load, so a
script calls :func:`use_threads` right after parsing its arguments and before it
imports NumPy, lucid or torch. This module imports none of them.
"""
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def use_threads(threads):
    """OpenMP's and OpenBLAS's thread counts for this process, and ``sys.path`` with
    ``benchmarks/`` (for ``_timing``) and the checkout (for ``lucid``) first."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    sys.path[:0] = [str(HERE), str(HERE.parent)]
