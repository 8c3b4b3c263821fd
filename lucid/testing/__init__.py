"""Helpers for testing lucid (and for students checking their own ops).

* :func:`assert_close` — compare a Tensor/array with an expected value, dtype-aware;
* :func:`gradcheck` — finite-difference gradient check (float64);
* :func:`check_kernels` — run a kernel on both twins and compare the results.
"""
import numpy as np

from lucid.autograd.gradcheck import GradcheckError, gradcheck

__all__ = ["assert_close", "gradcheck", "GradcheckError", "check_kernels", "tolerance"]


def tolerance(dtype):
    """Default ``(rtol, atol)`` for comparing results of ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        return 1e-3, 1e-3
    if dtype == np.float32:
        return 1e-5, 1e-6
    return 1e-10, 1e-12


def _array(x):
    if hasattr(x, "detach") and hasattr(x, "numpy") and type(x).__module__.startswith("torch"):
        return x.detach().numpy()
    if hasattr(x, "data") and isinstance(getattr(x, "data"), np.ndarray):
        return x.data
    return np.asarray(x)


def assert_close(actual, expected, rtol=None, atol=None, check_dtype=True, msg=""):
    """Assert that ``actual`` equals ``expected`` in shape, dtype and values.

    Tensors, torch tensors and arrays are accepted on either side. Tolerances default
    to :func:`tolerance` of ``actual``'s dtype. NaNs compare equal to NaNs.

    Examples
    --------
    >>> import lucid
    >>> from lucid.testing import assert_close
    >>> assert_close(lucid.Tensor([1.0, 2.0]) * 2, [2.0, 4.0], check_dtype=False)
    """
    a, e = _array(actual), _array(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{msg}shape {a.shape} != expected {e.shape}")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(f"{msg}dtype {a.dtype} != expected {e.dtype}")
    r, t = tolerance(a.dtype if a.dtype.kind == "f" else np.float64)
    rtol = r if rtol is None else rtol
    atol = t if atol is None else atol
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=msg)


def check_kernels(family, function, *args, rtol=None, atol=None, **kwargs):
    """Run ``family.function(*args, **kwargs)`` on both twins and compare the results.

    Returns the reference result. Raises ImportError when the compiled twin is not built.
    """
    from lucid import _ext

    _ext._load(family)
    ref = getattr(_ext._reference[family], function)
    if not _ext.compiled_available(family):
        raise ImportError(f"check_kernels: the compiled twin of {family!r} is not built; {_ext.BUILD_HINT}")
    com = getattr(_ext._compiled[family], function)
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    expected = ref(*args, **kwargs)
    got = com(*copies, **kwargs)
    if isinstance(expected, tuple):
        for e, g in zip(expected, got):
            assert_close(g, e, rtol=rtol, atol=atol, msg=f"{family}.{function}: ")
    elif expected is not None:
        assert_close(got, expected, rtol=rtol, atol=atol, msg=f"{family}.{function}: ")
    else:
        for c, a in zip(copies, args):
            if isinstance(a, np.ndarray):
                assert_close(c, a, rtol=rtol, atol=atol, msg=f"{family}.{function} (in place): ")
    return expected
