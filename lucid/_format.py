"""How a Tensor prints: ``Tensor([[[1.0, 2.5, 4.0, 1.5]]])``.

Each element is written the shortest way that reads back to the same value
(``1.0``, ``2.5``, ``0.1``), elements are separated by ``", "``, and a tensor that
fits on one line is printed on one line. Larger tensors are laid out and summarised
with ``...`` the way NumPy does (more than 1000 elements: the first and last three
along each axis). A tensor in a graph shows its grad state after the values, and a
dtype other than the defaults (float32, int64, bool) is named.
"""
import numpy as np

__all__ = ["tensor_repr"]

_WIDTH = 88
_DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


def _element(x):
    if isinstance(x, (np.floating, float)):
        if np.isfinite(x):
            return str(x)             # NumPy's shortest round-trip form, e.g. 2.5, 0.1
        return "nan" if np.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, (np.bool_, bool)):
        return str(bool(x))
    return str(x)


def _values(data, indent):
    text = np.array2string(
        data,
        separator=", ",
        formatter={"all": _element},
        threshold=1000,
        edgeitems=3,
        max_line_width=_WIDTH,
        prefix=" " * indent,
    )
    flat = " ".join(text.split())
    if indent + len(flat) + 1 <= _WIDTH:
        return flat
    return text


def tensor_repr(t):
    prefix = "Tensor("
    body = _values(t.data, len(prefix))
    extras = []
    if t.data.dtype not in _DEFAULT_DTYPES:
        extras.append(f"dtype={t.data.dtype}")
    if t._node is not None:
        extras.append(f"grad_fn={type(t._node).__name__}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
