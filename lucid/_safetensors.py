r"""The safetensors format, read and written by lucid itself (no third-party package).

safetensors is the weight format of the Hugging Face hub and of most PyTorch
projects: a flat mapping of names to tensors, with no code inside, so loading one
cannot run anything. A file is three parts::

    8 bytes   N, the length of the header: an unsigned 64-bit little-endian integer
    N bytes   the header: a JSON object, UTF-8, padded at the end with spaces
    the rest  the data: every tensor's bytes, row-major, little-endian, one after another

and the header describes each tensor by its name::

    {"0.weight": {"dtype": "F32", "shape": [16, 1, 3, 3], "data_offsets": [0, 576]},
     "0.bias":   {"dtype": "F32", "shape": [16], "data_offsets": [576, 640]},
     "__metadata__": {"format": "pt"}}

``data_offsets`` are ``[begin, end)`` in bytes from the start of the data; together the
tensors cover the data exactly, with no gap and no overlap. ``"__metadata__"`` (optional)
maps strings to strings.

lucid writes the tensors in the mapping's order, the data right after the header
(padded so that it starts at a multiple of 8 bytes). Reading is defensive: every size
and offset in the header is checked against the file's real size before any array is
allocated, so a damaged or hostile file is a ``ValueError``, never a huge allocation
or a crash.

=========  ================  =========  ================
dtype      NumPy             dtype      NumPy
=========  ================  =========  ================
``F64``    float64           ``I64``    int64
``F32``    float32           ``I32``    int32
``F16``    float16           ``I16``    int16
``BF16``   read as float32   ``I8``     int8
``C64``    complex64         ``U64``    uint64
``BOOL``   bool              ``U32``    uint32
``U8``     uint8             ``U16``    uint16
=========  ================  =========  ================

NumPy has no bfloat16, so a ``BF16`` tensor (common in PyTorch checkpoints) is read as
float32, which holds every bfloat16 value exactly. The 8-bit float formats are refused.
"""
import json
import math
import os
import re
from collections.abc import Mapping

import numpy as np

__all__ = ["resolve_format", "looks_like_safetensors", "tensors_of", "write", "read"]

SUFFIX = ".safetensors"
FORMATS = ("lucid", "safetensors")

#: name in the header -> little-endian NumPy dtype
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "C64": "<c8", "I64": "<i8", "I32": "<i4",
          "I16": "<i2", "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1",
          "BOOL": "?"}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}

#: The longest header read (the reference implementation's limit too).
MAX_HEADER_BYTES = 100_000_000
#: How deep a header nests: {tensor: {"shape": [...]}} is 3.
MAX_DEPTH = 3


# ---------------------------------------------------------------- which format
def resolve_format(path, format, fname):
    """'lucid' or 'safetensors' for ``path``: ``format`` when given, else by suffix.

    A ``format`` that contradicts the suffix (``format='lucid'`` for
    ``m.safetensors``, ``format='safetensors'`` for ``m.npz``) is a ValueError.
    """
    suffix = os.path.splitext(path)[1].lower()
    by_suffix = "safetensors" if suffix == SUFFIX else "lucid"
    if format is None:
        return by_suffix
    if not isinstance(format, str):
        raise TypeError(f"{fname}: format must be 'lucid', 'safetensors' or None; got "
                        f"{type(format).__name__}")
    if format not in FORMATS:
        raise ValueError(f"{fname}: format must be 'lucid', 'safetensors' or None; got "
                         f"{format!r}")
    if (suffix == SUFFIX and format != "safetensors") or (suffix == ".npz" and format != "lucid"):
        raise ValueError(f"{fname}: the file name {os.path.basename(path)!r} says "
                         f"{by_suffix} format but format={format!r}; rename the file or "
                         "drop the format argument")
    return format


def looks_like_safetensors(path):
    """True when the file's first bytes are a safetensors header's (a length that fits
    the file, then '{')."""
    try:
        with open(path, "rb") as f:
            head = f.read(9)
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return False
    return (len(head) == 9 and head[8:9] == b"{"
            and 8 + int.from_bytes(head[:8], "little") <= size)


# ----------------------------------------------------------------------- writing
def tensors_of(obj, fname="save"):
    """``[(name, little-endian C-contiguous array)]`` of a flat mapping of names to
    Tensors / arrays; TypeError or ValueError naming the entry otherwise."""
    from lucid._tensor import Tensor

    if not isinstance(obj, Mapping):
        raise TypeError(f"{fname}: a safetensors file holds a flat mapping of names to "
                        f"tensors (such as a state_dict()); got {type(obj).__name__}")
    found = []
    for name, value in obj.items():
        if not isinstance(name, str):
            raise TypeError(f"{fname}: safetensors names must be strings; got the key "
                            f"{name!r} of type {type(name).__name__}")
        if name == "__metadata__":
            raise ValueError(f"{fname}: the name '__metadata__' is reserved by the "
                             "safetensors format")
        if isinstance(value, Tensor):
            array = value.data
        elif isinstance(value, (np.ndarray, np.generic)):
            array = np.asarray(value)
        else:
            raise TypeError(f"{fname}: obj[{name!r}] is a {type(value).__name__}; a "
                            "safetensors file holds only tensors (use format='lucid' for "
                            "nested objects and numbers)")
        key = array.dtype.newbyteorder("<")      # the file is little-endian
        if key not in NAMES:
            raise TypeError(f"{fname}: obj[{name!r}] has dtype {array.dtype}, which "
                            f"safetensors cannot hold (it holds "
                            f"{', '.join(sorted(str(np.dtype(d)) for d in DTYPES.values()))})")
        found.append((name, np.require(array, dtype=key, requirements="C")))
    return found


def write(f, tensors, metadata=None):
    """Write ``tensors`` (from :func:`tensors_of`) to the binary file ``f``."""
    header, offset = {}, 0
    for name, array in tensors:
        header[name] = {"dtype": NAMES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    if metadata:
        header["__metadata__"] = dict(metadata)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)          # the data starts at a multiple of 8
    f.write(len(text).to_bytes(8, "little"))
    f.write(text)
    for _, array in tensors:
        f.write(array.tobytes())


# ----------------------------------------------------------------------- reading
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def _depth_ok(text):
    """Whether the JSON ``text`` nests at most MAX_DEPTH deep (strings skipped)."""
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in (b"{", b"["):
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif token in (b"}", b"]"):
            depth -= 1
    return True


def _unique_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"a name appears twice in the header: "
                         f"{next(k for k in keys if keys.count(k) > 1)!r}")
    return dict(pairs)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def read(path):
    """``{name: ndarray}`` of the safetensors file at ``path``, in the order of the
    data; ValueError naming the file for anything that is not a valid file."""
    def bad(what):
        return ValueError(f"load: {path!r} is not a valid safetensors file: {what}")

    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(8)
        if head.startswith(b"PK\x03\x04"):
            raise bad("its bytes are a zip archive (lucid's own .npz format, or a PyTorch "
                      ".pt file); load it with format='lucid' under a name that is not "
                      "'.safetensors'")
        if size < 8:
            raise bad(f"it has {size} bytes, fewer than the 8 of the header length")
        n = int.from_bytes(head, "little")
        if n > MAX_HEADER_BYTES:
            raise bad(f"its header length is {n} bytes, more than the {MAX_HEADER_BYTES} "
                      "a safetensors header may have")
        if 8 + n > size:
            raise bad(f"its header length ({n} bytes) reaches beyond the end of the file "
                      f"({size} bytes): the file is truncated or not safetensors")
        text = f.read(n)
        if not _depth_ok(text):
            raise bad(f"its header nests deeper than the {MAX_DEPTH} levels of a "
                      "safetensors header")
        try:
            header = json.loads(text.decode("utf-8"), object_pairs_hook=_unique_keys)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise bad(f"its header is not JSON ({type(exc).__name__}: {exc})") from None
        except ValueError as exc:
            raise bad(str(exc)) from None
        if not isinstance(header, dict):
            raise bad(f"its header is a JSON {type(header).__name__}, not an object")
        data_size = size - 8 - n
        entries = _entries(header, data_size, bad)
        found = {}
        for name, dtype, shape, begin, end in entries:
            found[name] = _read_tensor(f, 8 + n + begin, end - begin, dtype, shape, bad, name)
    return found


def _entries(header, data_size, bad):
    """Check every header entry; return ``[(name, dtype, shape, begin, end)]`` sorted by
    offset, covering the data exactly."""
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise bad("its '__metadata__' is not a mapping of strings to strings")
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise bad(f"the entry {name!r} is not an object with exactly 'dtype', 'shape' "
                      "and 'data_offsets'")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES and dtype != "BF16":
            raise bad(f"the entry {name!r} has dtype {dtype!r}; lucid reads "
                      f"{', '.join(sorted([*DTYPES, 'BF16']))}")
        if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
            raise bad(f"the entry {name!r} has shape {shape!r}, not a list of sizes >= 0")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_int, offsets))
                and 0 <= offsets[0] <= offsets[1]):
            raise bad(f"the entry {name!r} has data_offsets {offsets!r}, not [begin, end] "
                      "with 0 <= begin <= end")
        begin, end = offsets
        if end > data_size:
            raise bad(f"the entry {name!r} ends at byte {end} of the data, beyond its "
                      f"{data_size} bytes")
        itemsize = 2 if dtype == "BF16" else np.dtype(DTYPES[dtype]).itemsize
        nbytes = math.prod(shape) * itemsize
        if nbytes != end - begin:
            raise bad(f"the entry {name!r} of shape {shape} and dtype {dtype} needs "
                      f"{nbytes} bytes but data_offsets give it {end - begin}")
        entries.append((name, dtype, tuple(shape), begin, end))
    entries.sort(key=lambda e: (e[3], e[4]))
    position = 0
    for name, _, _, begin, end in entries:
        if begin < position:
            raise bad(f"the entry {name!r} overlaps the tensor before it (it starts at "
                      f"byte {begin}, before byte {position})")
        if begin > position:
            raise bad(f"the bytes {position} to {begin} of the data belong to no tensor")
        position = end
    if position != data_size:
        raise bad(f"the data has {data_size} bytes but the tensors cover {position}")
    return entries


def _read_tensor(f, start, nbytes, dtype, shape, bad, name):
    """One tensor's array, read straight into its own memory."""
    if dtype == "BF16":                       # the upper half of a float32
        raw = _read_tensor(f, start, nbytes, "U16", shape, bad, name)
        return (raw.astype(np.uint32) << 16).view(np.float32)
    array = np.empty(shape, dtype=np.dtype(DTYPES[dtype]))
    if nbytes:
        f.seek(start)
        if f.readinto(array.reshape(-1).view(np.uint8)) != nbytes:
            raise bad(f"the data of {name!r} ends early: the file changed while being read")
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array
