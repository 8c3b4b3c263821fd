"""How the grader compares a result with what was expected, and says where they differ.

Arrays must have the expected shape and dtype. Floating values may differ by
``atol * scale + rtol * |expected|``, with ``scale = max(1, max |expected|)`` (a sum of
many terms rounds in proportion to their size, not the result's) and the tolerances of
:data:`TOLERANCE`, loose enough for any order of summation, tight enough for any wrong
formula; NaN must meet NaN and infinities must be equal. Integer and bool arrays must
be equal.
"""
import numpy as np

__all__ = ["TOLERANCE", "describe", "compare", "numeric_gradient"]

#: ``(rtol, atol)`` per float dtype.
TOLERANCE = {np.dtype(np.float16): (1e-2, 1e-3), np.dtype(np.float32): (2e-4, 2e-5),
             np.dtype(np.float64): (1e-7, 1e-9)}

#: Finite differences (a gradcheck) are compared as lucid.autograd.gradcheck does.
GRADCHECK = (1e-3, 1e-5)


def describe(value):
    """A short description: ``float64 (2, 3)`` for an array, the repr otherwise."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype} {tuple(value.shape)}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fmt(x):
    x = x.item() if hasattr(x, "item") else x
    return f"{x:.6g}" if isinstance(x, float) else repr(x)


def _where(index):
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def compare_array(expected, got, tolerance=None):
    """None when ``got`` matches ``expected``, else ``(message, error, where)``."""
    if not isinstance(got, np.ndarray):
        return (f"expected an array ({describe(expected)}), got {describe(got)}", None, None)
    if got.shape != expected.shape:
        return (f"expected shape {tuple(expected.shape)}, got {tuple(got.shape)}", None, None)
    if got.dtype != expected.dtype:
        return (f"expected dtype {expected.dtype}, got {got.dtype}", None, None)
    if expected.size == 0:
        return None
    if expected.dtype.kind != "f":
        bad = got != expected
        if not bad.any():
            return None
        where = np.unravel_index(int(np.argmax(bad)), expected.shape)
        return (f"{int(bad.sum())} of {bad.size} elements differ; first at {_where(where)}: "
                f"expected {_fmt(expected[where])}, got {_fmt(got[where])}", None, where)
    rtol, atol = tolerance or TOLERANCE[expected.dtype]
    e = expected.astype(np.float64)
    g = got.astype(np.float64)
    finite = np.isfinite(e)
    scale = max(1.0, float(np.abs(e[finite]).max())) if finite.any() else 1.0
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(g - e)
        bad = np.where(finite, ~(error <= atol * scale + rtol * np.abs(e)),
                       ~((g == e) | (np.isnan(g) & np.isnan(e))))
    if not bad.any():
        return None
    error = np.where(bad, np.where(np.isnan(error), np.inf, error), -1.0)
    where = np.unravel_index(int(np.argmax(error)), expected.shape)
    largest = float(error[where])
    return (f"{int(bad.sum())} of {bad.size} elements differ; largest error "
            f"{_fmt(largest)} at {_where(where)} (expected {_fmt(expected[where])}, "
            f"got {_fmt(got[where])})", largest, where)


def compare(expected, got, names=None, tolerance=None):
    """Compare lists of outputs. None when they match, else ``(message, error, where)``;
    ``names`` labels the outputs in the message (default ``output 0``, ``output 1``)."""
    if len(got) != len(expected):
        return (f"expected {len(expected)} output(s), got {len(got)}", None, None)
    for i, (e, g) in enumerate(zip(expected, got)):
        if e is None:
            if g is not None:
                label = names[i] if names else f"output {i}"
                return (f"{label}: expected None, got {describe(g)}", None, None)
            continue
        found = compare_array(e, g, tolerance)
        if found is not None:
            label = names[i] if names else f"output {i}"
            message, error, where = found
            return (f"{label}: {message}", error, where)
    return None


def numeric_gradient(f, x, g, eps=1e-6):
    """Central differences of ``L(x) = sum(f(x) * g)`` at ``x`` (float64): the oracle of
    a gradcheck. ``f`` maps an array of ``x``'s shape to an array of ``g``'s shape."""
    x = np.array(x, dtype=np.float64)
    flat = x.reshape(-1)
    grad = np.zeros_like(flat)
    for k in range(flat.size):
        orig = flat[k]
        flat[k] = orig + eps
        plus = float(np.sum(np.asarray(f(x), dtype=np.float64) * g))
        flat[k] = orig - eps
        minus = float(np.sum(np.asarray(f(x), dtype=np.float64) * g))
        flat[k] = orig
        grad[k] = (plus - minus) / (2 * eps)
    return grad.reshape(x.shape)
