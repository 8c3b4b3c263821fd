"""Keep freed large arrays in the process heap instead of returning them to the OS.

Training allocates and frees the same large arrays every step (activations, their
gradients). With glibc's defaults every array above 128 KiB is a fresh ``mmap``: the
kernel hands out zeroed pages and the first touch of each page faults, which cost the
homework CNN's training step about a quarter of its time on a 2-core
machines. Raising glibc's mmap threshold lets ``malloc`` reuse freed heap memory, the
way PyTorch's caching allocator reuses its blocks.

The price is memory held after it is freed (up to the trim threshold below). Set
``LUCID_MALLOC_TUNING=0`` before importing lucid to keep the C library's defaults. On
systems without glibc this does nothing.
"""
import ctypes
import ctypes.util
import os
import sys

__all__ = ["tune_malloc"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 256 * 1024 * 1024      # arrays below 256 MiB come from the heap
TRIM_THRESHOLD = 1024 * 1024 * 1024     # give memory back once 1 GiB is free at the top


def tune_malloc():
    """Apply the thresholds above; return True when glibc accepted them."""
    if os.environ.get("LUCID_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
