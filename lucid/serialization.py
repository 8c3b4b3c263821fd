r"""``save`` and ``load``: tensors, arrays and nested containers of them, in a ``.npz`` file.

The file format
---------------
A lucid file is an ordinary NumPy ``.npz`` archive (a zip of ``.npy`` files), so a
student can open it with NumPy alone:

>>> import json, os, tempfile
>>> import numpy as np
>>> import lucid
>>> from lucid.serialization import save
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = os.path.join(tmp, "state.npz")
...     save({"w": lucid.Tensor([0.5, -1.0], requires_grad=True), "epoch": 3}, path)
...     with np.load(path) as f:                 # a plain npz: no lucid needed
...         print(f.files)
...         print(f["a0"])
...         root = json.loads(f["__lucid__"].item())["root"]
['__lucid__', 'a0']
[ 0.5 -1. ]
>>> root["type"]
'dict'
>>> for key, node in root["items"]:
...     print(key, node)
w {'type': 'tensor', 'array': 'a0', 'requires_grad': True, 'keep_grad': False}
epoch {'type': 'int', 'value': 3}

It holds two kinds of entries:

* ``a0``, ``a1``, ... — one ``.npy`` entry per array in the saved object (a Tensor's
  values, an ndarray, a NumPy scalar), numbered in the order :func:`save` meets them
  (depth first, dict items in their order). Each keeps its dtype and shape.
* ``__lucid__`` — a 0-d string array holding a JSON document that describes the
  object's structure::

      {"format": "lucid", "version": 1, "root": NODE}

  where each ``NODE`` is a JSON object with a ``"type"``:

  ==================  ===========================================================
  ``type``            other keys
  ==================  ===========================================================
  ``"tensor"``        ``"array"`` (entry name), ``"requires_grad"``, ``"keep_grad"``
  ``"ndarray"``       ``"array"``
  ``"scalar"``        ``"array"`` (a 0-d entry: a NumPy scalar such as
                      ``np.float32(1.5)``, loaded back as that scalar)
  ``"int"``,          ``"value"``: a JSON number (``int`` and ``float``), ``true`` /
  ``"float"``,        ``false``, or a string; floats that JSON cannot write are the
  ``"bool"``,         strings ``"nan"``, ``"inf"``, ``"-inf"``
  ``"str"``
  ``"complex"``       ``"real"``, ``"imag"`` (floats, written as for ``"float"``)
  ``"none"``          (none)
  ``"list"``,         ``"items"``: a list of NODEs
  ``"tuple"``
  ``"dict"``          ``"items"``: a list of ``[key, NODE]`` pairs, in order; keys are
                      strings or ints
  ==================  ===========================================================

What is kept, what is not
-------------------------
A Tensor comes back with its values, dtype, shape, ``requires_grad`` and
``keep_grad``, as a new leaf: its ``.grad`` and its graph are not saved (a subclass,
such as a ``Parameter``, comes back as a plain Tensor). An object reached twice is
saved twice and loads as two independent copies. Dict keys must be strings or ints;
arrays of Python objects cannot be saved (they would need pickle).

Safety
------
* :func:`load` never unpickles: it opens the file with
  ``np.load(..., allow_pickle=False)`` and builds the object from the JSON only, so
  loading a file cannot run code. A file that is not a lucid file (another format, a
  plain ``.npz``, a damaged or truncated one) raises ``ValueError`` naming the file.
* :func:`save` checks the whole object first (nothing is written if it cannot be
  saved), writes a temporary file in the target's directory, and renames it over the
  target with ``os.replace``, which is atomic: the target is either the old file or the
  complete new one, never half-written. On failure the temporary file is removed.
"""
import json
import math
import os
import uuid
import zipfile
import zlib

import numpy as np

from lucid._tensor import Tensor

__all__ = ["save", "load"]

STRUCTURE = "__lucid__"   # the name of the JSON entry
FORMAT = "lucid"
VERSION = 1


# ---------------------------------------------------------------------------- save
def _float_json(x):
    """A float as JSON: a number, or a string for the values JSON has no number for."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


class _Writer:
    """Walk the object once: build the JSON structure, collect the arrays in order."""

    def __init__(self):
        self.arrays = {}
        self.active = set()   # ids of the containers being walked (to catch cycles)

    def _array(self, a, where):
        if a.dtype.hasobject:
            raise TypeError(
                f"save: {where} is an array of Python objects (dtype {a.dtype}); only "
                "numeric, bool and string arrays can be saved (objects would need pickle)"
            )
        key = f"a{len(self.arrays)}"
        self.arrays[key] = a
        return key

    def node(self, obj, where):
        if isinstance(obj, Tensor):
            return {"type": "tensor", "array": self._array(obj.data, where),
                    "requires_grad": bool(obj.requires_grad),
                    "keep_grad": bool(obj.keep_grad)}
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", "array": self._array(obj, where)}
        if isinstance(obj, np.generic):
            return {"type": "scalar", "array": self._array(np.asarray(obj), where)}
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            return {"type": "float", "value": _float_json(float(obj))}
        if isinstance(obj, complex):
            return {"type": "complex", "real": _float_json(obj.real),
                    "imag": _float_json(obj.imag)}
        if isinstance(obj, str):
            return {"type": "str", "value": str(obj)}
        if isinstance(obj, (list, tuple, dict)):
            if id(obj) in self.active:
                raise ValueError(f"save: {where} contains itself (a cycle); it cannot be saved")
            self.active.add(id(obj))
            try:
                return self._container(obj, where)
            finally:
                self.active.discard(id(obj))
        raise TypeError(
            f"save: {where} is a {type(obj).__name__}; lucid saves Tensors, ndarrays, "
            "NumPy scalars, numbers, strings, None, and lists / tuples / dicts of them"
        )

    def _container(self, obj, where):
        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(
                        f"save: {where} has a key {key!r} of type {type(key).__name__}; "
                        "dict keys must be strings or ints"
                    )
                items.append([key if isinstance(key, str) else int(key),
                              self.node(value, f"{where}[{key!r}]")])
            return {"type": "dict", "items": items}
        kind = "list" if isinstance(obj, list) else "tuple"
        return {"type": kind,
                "items": [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]}


def _write_atomically(path, arrays):
    """Write the npz to a temporary file beside ``path``, then rename it onto ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    # O_EXCL: never reuse an existing file; mode 0o666 lets the umask decide, as open() does
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def save(obj, path):
    r"""Save ``obj`` (tensors, arrays, numbers, strings, nested dicts/lists) to ``path``.

    The file is a NumPy ``.npz`` archive: one ``.npy`` entry per array and a JSON
    entry ``__lucid__`` with the structure (the module docstring describes the format).
    Any file name works; ``.npz`` is a good extension, but none is added.

    The whole object is checked before anything is written. The data goes to a
    temporary file in ``path``'s directory that is then renamed onto ``path``
    (``os.replace``, atomic), so ``path`` is never left half-written, and the temporary
    file is removed if writing fails.

    Parameters
    ----------
    obj : object
        A Tensor, ndarray, NumPy scalar, int, float, bool, complex, str or None, or a
        list / tuple / dict (string or int keys) of these, nested to any depth.
    path : str or os.PathLike
        The file to write (replaced if it exists).

    Raises
    ------
    TypeError
        If ``obj`` holds something else (the message gives where: ``obj['w'][1]``), a
        dict key that is not a string or int, or an array of Python objects.
    ValueError
        If a container contains itself.
    OSError
        If the directory does not exist or cannot be written.

    Examples
    --------
    >>> import os, tempfile
    >>> import lucid
    >>> from lucid.serialization import save, load
    >>> w = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "state.npz")
    ...     save({"weight": w, "step": 10, "name": "linear"}, path)
    ...     state = load(path)
    >>> print(state["weight"])
    Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> state["step"], state["name"]
    (10, 'linear')
    """
    path = os.fspath(path)
    writer = _Writer()
    root = writer.node(obj, "obj")
    document = json.dumps({"format": FORMAT, "version": VERSION, "root": root})
    arrays = {STRUCTURE: np.array(document), **writer.arrays}
    _write_atomically(path, arrays)


# ---------------------------------------------------------------------------- load
class _Reader:
    """Rebuild the object from the JSON structure, reading each array it names."""

    MAX_DEPTH = 100   # containers inside containers; a model's state is ~5 deep

    def __init__(self, path, archive):
        self.path = path
        self.archive = archive
        self.depth = 0

    def bad(self, what):
        return ValueError(f"load: {self.path!r} is not a valid lucid file: {what}")

    def _array(self, node):
        key = node.get("array")
        if not isinstance(key, str) or key == STRUCTURE or key not in self.archive.entries:
            raise self.bad(f"the structure names an array entry {key!r} that the file lacks")
        return self.archive.array(key)

    def _float(self, value):
        if isinstance(value, str) and value in ("nan", "inf", "-inf"):
            return float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise self.bad(f"{value!r} is not a float")

    def _value(self, node, kind):
        value = node.get("value")
        if type(value) is not kind:
            raise self.bad(f"a {kind.__name__} node holds {value!r}")
        return value

    def node(self, node):
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise self.bad(f"a structure node is {node!r}, not an object with a 'type'")
        kind = node["type"]
        if kind == "tensor":
            flags = node.get("requires_grad"), node.get("keep_grad", False)
            if not all(isinstance(f, bool) for f in flags):
                raise self.bad(f"a tensor node has flags {flags!r}, not booleans")
            data = self._array(node)
            requires_grad = flags[0] and data.dtype.kind in "fc"
            return Tensor(data, requires_grad=requires_grad, keep_grad=flags[1])
        if kind == "ndarray":
            return self._array(node)
        if kind == "scalar":
            a = self._array(node)
            if a.ndim != 0:
                raise self.bad(f"a scalar entry has shape {a.shape}")
            return a[()]
        if kind == "none":
            return None
        if kind == "bool":
            return self._value(node, bool)
        if kind == "int":
            return self._value(node, int)
        if kind == "float":
            return self._float(node.get("value"))
        if kind == "complex":
            return complex(self._float(node.get("real")), self._float(node.get("imag")))
        if kind == "str":
            return self._value(node, str)
        if kind in ("list", "tuple", "dict"):
            self.depth += 1
            if self.depth > self.MAX_DEPTH:
                raise self.bad(f"containers are nested more than {self.MAX_DEPTH} deep")
            try:
                return self._container(node, kind)
            finally:
                self.depth -= 1
        raise self.bad(f"unknown node type {kind!r}")

    def _container(self, node, kind):
        if kind in ("list", "tuple"):
            items = node.get("items")
            if not isinstance(items, list):
                raise self.bad(f"a {kind} node has no list of items")
            values = [self.node(item) for item in items]
            return values if kind == "list" else tuple(values)
        items = node.get("items")
        if not isinstance(items, list):
            raise self.bad("a dict node has no list of items")
        out = {}
        for pair in items:
            if (not isinstance(pair, list) or len(pair) != 2
                    or isinstance(pair[0], bool) or not isinstance(pair[0], (str, int))):
                raise self.bad(f"a dict item is {pair!r}, not a [key, node] pair")
            out[pair[0]] = self.node(pair[1])
        return out


class _Archive:
    """The ``.npy`` entries of an ``.npz`` file, read one at a time and only on demand.

    A file may lie: an entry's header can declare a shape of 10**13 elements. Before an
    entry is read, its declared size (shape x item size) is checked against the bytes
    the zip holds for it, and those against the file's own size, so a hostile file is a
    ``ValueError`` before anything large is allocated.
    """

    # A deflated stream cannot expand more than ~1032 times: a larger claim is a lie.
    MAX_DEFLATE_RATIO = 1100

    def __init__(self, path):
        self.path = path
        self.size = os.path.getsize(path)
        self.zip = zipfile.ZipFile(path)
        self.entries = {}
        for info in self.zip.infolist():
            if info.filename.endswith(".npy"):
                self.entries[info.filename[:-4]] = info

    def bad(self, name, what):
        return ValueError(f"load: {self.path!r} is damaged or not a lucid file: entry "
                          f"{name!r} {what}")

    def _check_sizes(self, name, info):
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise self.bad(name, f"claims {info.file_size} bytes but stores {info.compress_size}")
        if info.header_offset + info.compress_size > self.size:
            raise self.bad(name, f"claims {info.compress_size} stored bytes, beyond the end "
                                 f"of the {self.size}-byte file")
        if info.file_size > self.MAX_DEFLATE_RATIO * info.compress_size + 1024:
            raise self.bad(name, f"claims {info.file_size} bytes from {info.compress_size} "
                                 "compressed ones")

    def array(self, name):
        """Entry ``name`` as an ndarray, after checking its declared size (never unpickles)."""
        info = self.entries[name]
        self._check_sizes(name, info)
        fmt = np.lib.format
        with self.zip.open(info) as f:
            version = fmt.read_magic(f)
            if version not in ((1, 0), (2, 0), (3, 0)):
                raise self.bad(name, f"has an unknown .npy version {version}")
            read_header = fmt.read_array_header_1_0 if version == (1, 0) \
                else fmt.read_array_header_2_0
            shape, _, dtype = read_header(f, max_header_size=10000)
            header_bytes = f.tell()
        if dtype.hasobject:
            raise self.bad(name, "holds Python objects (lucid files never need pickle)")
        declared = math.prod(shape) * dtype.itemsize
        if declared != info.file_size - header_bytes:
            raise self.bad(name, f"declares shape {shape} of {dtype} ({declared} bytes) but "
                                 f"holds {info.file_size - header_bytes} bytes")
        with self.zip.open(info) as f:
            return fmt.read_array(f, allow_pickle=False)

    def close(self):
        self.zip.close()


def _open_archive(path):
    """An :class:`_Archive` of the npz at ``path``; ValueError if it is not one."""
    try:
        with open(path, "rb") as f:
            if f.read(6) == b"\x93NUMPY":
                raise ValueError(
                    f"load: {path!r} is a single NumPy array (.npy), not a lucid file; "
                    "read it with numpy.load"
                )
        return _Archive(path)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except ValueError as exc:
        if str(exc).startswith("load: "):
            raise
        reason = exc
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, UnicodeError) as exc:
        reason = exc
    raise ValueError(
        f"load: {path!r} is not a lucid file, or it is damaged or truncated "
        f"({type(reason).__name__}: {reason})"
    )


def load(path):
    r"""Load an object saved by :func:`save`; never unpickles.

    Tensors come back as new leaves with their dtype, shape, ``requires_grad`` and
    ``keep_grad`` (no ``.grad``, no graph); arrays, numbers, strings, lists, tuples and
    dicts as they were saved. The file is read with ``np.load(allow_pickle=False)``
    and the object is built from the JSON structure alone.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.

    Returns
    -------
    object
        The saved object.

    Raises
    ------
    ValueError
        If the file is not a lucid file: another format, a ``.npy`` or a ``.npz``
        without lucid's ``__lucid__`` entry, a damaged or truncated file, or one
        written by a newer lucid. The message names the file.
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import lucid
    >>> from lucid.serialization import save, load
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "batch.npz")
    ...     save([lucid.Tensor([1, 2, 3]), np.eye(2), (0.5, None)], path)
    ...     print(sorted(np.load(path).files))
    ...     t, a, rest = load(path)
    ['__lucid__', 'a0', 'a1']
    >>> print(t)
    Tensor([1, 2, 3])
    >>> a
    array([[1., 0.],
           [0., 1.]])
    >>> rest
    (0.5, None)
    """
    path = os.fspath(path)
    archive = _open_archive(path)
    try:
        return _load_from(path, archive)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ValueError(f"load: {path!r} is damaged or truncated "
                         f"({type(exc).__name__}: {exc})") from None
    finally:
        archive.close()


def _load_from(path, archive):
    if STRUCTURE not in archive.entries:
        raise ValueError(
            f"load: {path!r} is a NumPy .npz archive but not a lucid file (it has no "
            f"{STRUCTURE!r} entry; its entries are {sorted(archive.entries)}); read it "
            "with numpy.load"
        )
    reader = _Reader(path, archive)
    document = archive.array(STRUCTURE)
    if document.ndim != 0 or document.dtype.kind != "U":
        raise reader.bad(f"the {STRUCTURE!r} entry is not a string")
    try:
        header = json.loads(document.item())
    except json.JSONDecodeError as exc:
        raise reader.bad(f"the structure is not valid JSON ({exc})") from None
    except RecursionError:
        raise reader.bad("the structure is nested too deeply to be a lucid file") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise reader.bad("the structure does not say format 'lucid'")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > VERSION:
        raise reader.bad(
            f"format version {version!r}; this lucid reads versions up to {VERSION}"
        )
    if "root" not in header:
        raise reader.bad("the structure has no 'root'")
    return reader.node(header["root"])
