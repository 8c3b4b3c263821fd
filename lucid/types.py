"""The original lucid's ``lucid.types``: :class:`Numeric` and :func:`to_numeric_type`.

In the original, a dtype was a ``Numeric(base_dtype, bits)``: ``Numeric(float, 32)``
is 32-bit float. In lucid every dtype object is a :class:`lucid._dtypes.DType` (a named
NumPy dtype, see :doc:`/tensor`); ``Numeric`` builds the same objects from the
original's two arguments, so ``Numeric(float, 32) == lucid.Float32``, and
``to_numeric_type`` names the dtype of an array.
"""
import numpy as np

from lucid import _dtypes
from lucid._dtypes import DType

__all__ = ["Numeric", "to_numeric_type"]

_BASES = {int: "Int", float: "Float", complex: "Complex"}


def Numeric(base_dtype, bits=None):  # noqa: N802  (the original's class name)
    """The lucid dtype of kind ``base_dtype`` and width ``bits``.

    ``bits=None`` means the kind's default width, as ``lucid.Int``, ``lucid.Float``
    and ``lucid.Complex`` do: int64, float32, complex64.

    Parameters
    ----------
    base_dtype : {int, float, complex}
    bits : int, optional
        8, 16, 32 or 64 for int; 16, 32 or 64 for float; 64 (or 128) for complex.

    Returns
    -------
    DType
        The named lucid dtype (``lucid.Float32``, ...).

    Raises
    ------
    TypeError
        ``base_dtype`` not int, float or complex.
    ValueError
        A width that kind does not have.

    Examples
    --------
    >>> import lucid
    >>> from lucid.types import Numeric
    >>> Numeric(float, 32) is lucid.Float32
    True
    >>> Numeric(int)
    lucid.Int
    """
    if base_dtype not in _BASES:
        raise TypeError(f"Numeric: base_dtype must be int, float or complex; got {base_dtype!r}")
    name = _BASES[base_dtype] + ("" if bits is None else str(bits))
    found = getattr(_dtypes, name, None)
    if not isinstance(found, DType):
        raise ValueError(f"Numeric: {base_dtype.__name__} has no {bits}-bit dtype in lucid")
    return found


def to_numeric_type(data_dtype):
    """The lucid dtype object of a NumPy dtype (``np.float32`` -> ``lucid.Float32``).

    Parameters
    ----------
    data_dtype : NumPy dtype, scalar type or name

    Returns
    -------
    DType

    Raises
    ------
    TypeError
        A dtype lucid does not support.

    Examples
    --------
    >>> import numpy as np
    >>> from lucid.types import to_numeric_type
    >>> to_numeric_type(np.float64), to_numeric_type("int32"), to_numeric_type(bool)
    (lucid.Float64, lucid.Int32, lucid.Bool)
    """
    dtype = _dtypes.resolve_dtype(data_dtype, "to_numeric_type")
    for name in ("Bool", "UInt8", "Int8", "Int16", "Int32", "Int64", "Float16", "Float32",
                 "Float64", "Complex64", "Complex128"):
        if getattr(_dtypes, name).numpy_dtype == dtype:
            return getattr(_dtypes, name)
    return DType(str(dtype).title(), dtype)
