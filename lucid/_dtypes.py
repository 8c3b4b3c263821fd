r"""lucid's dtype objects: ``lucid.Float32``, ``lucid.Int64``, ... usable as ``dtype=``.

A lucid tensor stores its values in a NumPy array, so every lucid dtype *is* a NumPy
dtype under a friendlier name. Each object here carries that NumPy dtype as
``numpy_dtype`` and compares equal to it::

    >>> import numpy as np
    >>> from lucid import _dtypes
    >>> _dtypes.Float32 == np.dtype("float32")
    True

so ``t.dtype == lucid.Float32`` is True for a float32 tensor (``t.dtype`` is the
NumPy dtype of ``t.data``). NumPy accepts these objects wherever it takes a dtype,
because each one has a ``dtype`` attribute (``np.zeros(3, dtype=lucid.Float32)``).

The objects
-----------

==============  ===============  =========================================
name            NumPy dtype      note
==============  ===============  =========================================
``Int8``        ``int8``
``Int16``       ``int16``
``Int32``       ``int32``
``Int64``       ``int64``        what Python ints become
``Int``         ``int64``        alias: the default integer width
``Float16``     ``float16``
``Float32``     ``float32``      what Python floats become
``Float64``     ``float64``
``Float``       ``float32``      alias: the default floating width
``Complex64``   ``complex64``
``Complex``     ``complex64``    alias: the default complex width
==============  ===============  =========================================

The three width-free names. In the original lucid, ``Int``, ``Float`` and ``Complex``
had *no* width: ``Tensor(..., dtype=lucid.Float)`` was refused, and
``t.astype(lucid.Float)`` kept the bit width of ``t`` (int32 became float32, int64
became float64). That rule depends on the data, so it cannot be a plain ``dtype=`` and
it was surprising (int8 had no 8-bit float to go to). lucid maps each of them to its
kind's default width instead (the width Python numbers get): ``Int`` is ``Int64``,
``Float`` is ``Float32`` and ``Complex`` is ``Complex64``, everywhere. To keep another
width, name it (``lucid.Float64``).

Which dtypes lucid supports
---------------------------
:func:`resolve_dtype` turns any ``dtype=`` argument into a NumPy dtype and refuses,
with a ``TypeError`` naming the value, what lucid cannot compute with: names NumPy does
not know (``"quaternion"``), and NumPy dtypes outside the numeric set below, such as
``float128`` (``longdouble``, whose width depends on the platform; PyTorch has none),
strings, dates, records and Python objects.

Supported: ``bool``, ``int8`` to ``int64``, ``uint8`` to ``uint64``, ``float16``,
``float32``, ``float64``, ``complex64``, ``complex128``.
"""
import numpy as np

__all__ = [
    "DType", "Int", "Int8", "Int16", "Int32", "Int64", "Float", "Float16", "Float32",
    "Float64", "Complex", "Complex64", "resolve_dtype", "SUPPORTED",
]

#: The NumPy dtypes a lucid tensor may hold.
SUPPORTED = tuple(np.dtype(name) for name in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
))

_DEFAULT_FLOAT = np.dtype(np.float32)  # what Python floats become (see lucid._tensor)


class DType:
    """A lucid dtype: a named NumPy dtype, usable as ``dtype=`` and equal to it.

    Parameters
    ----------
    name : str
        The public name (``"Float32"``); the repr is ``lucid.<name>``.
    numpy_dtype : str or np.dtype
        The NumPy dtype of the values.

    Attributes
    ----------
    name : str
    numpy_dtype : np.dtype
    dtype : np.dtype
        The same as ``numpy_dtype``; its presence lets NumPy take the object as a dtype.
    bits : int
        Width of one element in bits (``itemsize * 8``).
    kind : {'int', 'float', 'complex'}

    Examples
    --------
    >>> import numpy as np
    >>> from lucid._dtypes import DType, Float32
    >>> Float32
    lucid.Float32
    >>> Float32.numpy_dtype, Float32.bits, Float32.kind
    (dtype('float32'), 32, 'float')
    >>> Float32 == np.dtype("float32"), Float32 == np.float64
    (True, False)
    >>> np.zeros(2, dtype=Float32).dtype
    dtype('float32')
    """

    __slots__ = ("name", "numpy_dtype")

    _KINDS = {"i": "int", "u": "int", "f": "float", "c": "complex", "b": "bool"}

    def __init__(self, name, numpy_dtype):
        self.name = name
        self.numpy_dtype = np.dtype(numpy_dtype)

    @property
    def dtype(self):
        return self.numpy_dtype

    @property
    def bits(self):
        return self.numpy_dtype.itemsize * 8

    @property
    def kind(self):
        return self._KINDS[self.numpy_dtype.kind]

    def __repr__(self):
        return f"lucid.{self.name}"

    def __str__(self):
        return str(self.numpy_dtype)

    def __eq__(self, other):
        """Equal to a lucid dtype, NumPy dtype or NumPy scalar type of the same dtype."""
        if isinstance(other, DType):
            return self.numpy_dtype == other.numpy_dtype
        if isinstance(other, np.dtype):
            return self.numpy_dtype == other
        if isinstance(other, type) and issubclass(other, np.generic):
            return self.numpy_dtype == np.dtype(other)
        return NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self):  # equal objects hash alike: the same hash as the NumPy dtype
        return hash(self.numpy_dtype)

    def __reduce__(self):  # copies and pickles of a dtype object are that object
        return self.name


Int8 = DType("Int8", np.int8)
Int16 = DType("Int16", np.int16)
Int32 = DType("Int32", np.int32)
Int64 = DType("Int64", np.int64)
Int = DType("Int", np.int64)

Float16 = DType("Float16", np.float16)
Float32 = DType("Float32", np.float32)
Float64 = DType("Float64", np.float64)
Float = DType("Float", np.float32)

Complex64 = DType("Complex64", np.complex64)
Complex = DType("Complex", np.complex64)
Bool = DType("Bool", np.bool_)
UInt8 = DType("UInt8", np.uint8)
Complex128 = DType("Complex128", np.complex128)

#: PyTorch's dtype names (``torch.float32``, ``torch.long``, ...), each the lucid
#: dtype of the same width. Note ``int`` is int32 and ``float`` float32, as in PyTorch;
#: lucid's own ``Int`` is int64.
TORCH_NAMES = {
    "float16": Float16, "half": Float16, "float32": Float32, "float": Float32,
    "float64": Float64, "double": Float64, "int8": Int8, "int16": Int16, "short": Int16,
    "int32": Int32, "int": Int32, "int64": Int64, "long": Int64, "uint8": UInt8,
    "bool": Bool, "complex64": Complex64, "cfloat": Complex64, "complex128": Complex128,
    "cdouble": Complex128,
}


def _supported_names():
    return ", ".join(str(d) for d in SUPPORTED)


def resolve_dtype(dtype, name="dtype"):
    """The NumPy dtype a ``dtype=`` argument stands for; TypeError if lucid has none.

    Accepted: a lucid dtype (``lucid.Float32``), a NumPy dtype, scalar type or name
    (``np.float64``, ``"int32"``), and the Python types ``float`` (float32, lucid's
    default float), ``int`` (int64) and ``bool``. The result must be one of
    :data:`SUPPORTED`.

    Parameters
    ----------
    dtype : object
        The argument to resolve.
    name : str, default "dtype"
        How the caller names the argument in its error message
        (``"zeros: dtype"``).

    Returns
    -------
    np.dtype

    Raises
    ------
    TypeError
        If NumPy does not know ``dtype`` (``"quaternion"``) or lucid does not support
        it (``"float128"``, ``"U3"``, ``object``); the message quotes the value.

    Examples
    --------
    >>> from lucid._dtypes import Float, resolve_dtype
    >>> resolve_dtype(Float), resolve_dtype(float), resolve_dtype("int32")
    (dtype('float32'), dtype('float32'), dtype('int32'))
    >>> resolve_dtype("float128")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: dtype: unsupported dtype 'float128' (NumPy float128); lucid supports bool, ...
    """
    if dtype is float:
        return _DEFAULT_FLOAT
    if dtype is int:
        return np.dtype(np.int64)
    if dtype is bool:
        return np.dtype(np.bool_)
    if isinstance(dtype, DType):
        return dtype.numpy_dtype
    if dtype is None:  # np.dtype(None) would quietly mean float64
        raise TypeError(f"{name}: expected a NumPy dtype, float, int or bool; got None")
    try:
        resolved = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: expected a NumPy dtype, float, int or bool; got {dtype!r} "
            "(a lucid dtype such as lucid.Float32, or a NumPy name such as 'int32')"
        ) from None
    if resolved not in SUPPORTED:
        raise TypeError(
            f"{name}: unsupported dtype {dtype!r} (NumPy {resolved}); lucid supports "
            f"{_supported_names()}"
        )
    return resolved
