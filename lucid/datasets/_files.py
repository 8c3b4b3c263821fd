"""Reading (and fetching) the standard dataset files: IDX, CIFAR pickles, archives.

Shared by :mod:`lucid.datasets.mnist` and :mod:`lucid.datasets.cifar`:

* :func:`find_file` — look for a file in the folders a dataset may live in;
* :func:`read_idx` — the IDX format of MNIST and Fashion-MNIST (optionally gzipped);
* :func:`read_pickle` — a CIFAR batch, through a *restricted* unpickler;
* :func:`fetch`, :func:`download`, :func:`extract_tar` — ``download=True``.

Every error names the file and the format that was expected.

Why a restricted unpickler: a pickle is a small program. ``pickle.load`` runs whatever
functions the file names, so a pickle from an untrusted source can run any code on
your machine. The CIFAR "python version" files are pickles, so :func:`read_pickle`
allows only what they contain — plain containers (dict, list, tuple, bytes, str, int)
and NumPy array reconstruction — and refuses every other global with an error. It is
a safety net, not a licence: still only read files from sources you trust.
"""
import gzip
import hashlib
import os
import pickle
import shutil
import tarfile
import urllib.request

import numpy as np

__all__ = ["find_file", "check_root", "read_idx", "read_pickle", "text_keys", "fetch", "download",
           "extract_tar", "md5_of", "RestrictedUnpickler"]


# ------------------------------------------------------------------------ finding
def find_file(folders, names):
    """The first existing ``folder/name`` (folders in order, then names), or None."""
    for folder in folders:
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                return path
    return None


def check_root(root, owner):
    """``root`` as a path string; TypeError naming ``owner`` for anything else."""
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"{owner}: root must be a path (str or os.PathLike); got {type(root).__name__}")
    return os.fspath(root)


# -------------------------------------------------------------------------- IDX
#: IDX type byte -> big-endian NumPy dtype (the format of LeCun's MNIST files)
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

IDX_FORMAT = ("IDX (a 4-byte magic number 0x00 0x00 <type> <ndim>, then ndim big-endian "
              "int32 sizes, then the values; optionally gzip-compressed)")


def _open_maybe_gzip(path):
    """Open ``path`` for reading bytes, through gzip when it starts with gzip's magic."""
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def read_idx(path):
    """Read an IDX file (``.gz`` or not) into an ndarray of native byte order.

    Layout: bytes 0-1 are zero, byte 2 the element type (see ``IDX_DTYPES``), byte 3
    the number of dimensions ``d``; then ``d`` big-endian int32 sizes; then the values
    in C order.

    Raises
    ------
    ValueError
        Naming ``path`` and the IDX format, when the file is not IDX, is truncated or
        has bytes left over (also for a corrupt gzip stream).
    """
    try:
        with _open_maybe_gzip(path) as f:
            raw = f.read()
    except (OSError, EOFError) as exc:   # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path}: cannot be read as {IDX_FORMAT}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise ValueError(f"{path}: is not an IDX file (bad magic number {raw[:4].hex() or 'none'}); "
                         f"expected {IDX_FORMAT}")
    dtype, ndim = np.dtype(IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: IDX header is truncated ({len(raw)} bytes for {ndim} sizes); "
                         f"expected {IDX_FORMAT}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{path}: IDX sizes {shape} of {dtype.str} need {expected} bytes; the file "
                         f"has {len(raw)}; expected {IDX_FORMAT}")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


# ---------------------------------------------------------------------- pickles
def _numpy_globals():
    """The NumPy functions an array pickle may name, under their old and new modules."""
    from numpy._core import multiarray, numeric   # NumPy 2's home of both functions
    allowed = {}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "_reconstruct")] = multiarray._reconstruct
        allowed[(module, "scalar")] = multiarray.scalar
    for module in ("numpy.core.numeric", "numpy._core.numeric"):
        allowed[(module, "_frombuffer")] = numeric._frombuffer
    allowed[("numpy", "ndarray")] = np.ndarray
    allowed[("numpy", "dtype")] = np.dtype
    return allowed


_SAFE_BUILTINS = {"dict": dict, "list": list, "tuple": tuple, "bytes": bytes,
                  "bytearray": bytearray, "str": str, "int": int}


def _latin1_bytes(text, encoding="latin1"):
    """How Python 3 writes ``bytes`` at pickle protocol 2: ``_codecs.encode(str, 'latin1')``.

    Only that one encoding is accepted."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"refused _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that refuses every global except plain containers and NumPy arrays.

    Allowed: ``builtins`` (or Python 2's ``__builtin__``) ``dict list tuple bytes
    bytearray str int``; ``_codecs.encode`` with the latin-1 encoding only (how
    Python 3 writes bytes at protocol 2); NumPy's array reconstruction (``ndarray``, ``dtype``,
    ``_reconstruct``, ``scalar``, ``_frombuffer``). Anything else — ``os.system``,
    ``eval``, any class — raises ``pickle.UnpicklingError`` naming it.
    """

    _numpy = None

    def find_class(self, module, name):
        if module in ("builtins", "__builtin__") and name in _SAFE_BUILTINS:
            return _SAFE_BUILTINS[name]
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        if RestrictedUnpickler._numpy is None:
            RestrictedUnpickler._numpy = _numpy_globals()
        found = RestrictedUnpickler._numpy.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"refused to load the global {module}.{name}: only dicts, lists, bytes, str, "
                "int and NumPy arrays may appear in a dataset pickle"
            )
        return found


def read_pickle(path, expected):
    """Unpickle ``path`` with :class:`RestrictedUnpickler` (bytes keys, as Python 2 wrote).

    ``expected`` describes the format for error messages. Raises ValueError naming
    ``path`` and ``expected`` for anything that is not such a pickle.
    """
    try:
        with open(path, "rb") as f:
            return RestrictedUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError) as exc:
        raise ValueError(f"{path}: cannot be read as {expected}: {exc}") from None


def text_keys(mapping):
    """A dict with ``bytes`` keys decoded to ``str`` (Python 2 pickles give bytes)."""
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in mapping.items()}


# ---------------------------------------------------------------------- fetching
def fetch(url, destination, timeout=30):
    """Copy the contents of ``url`` into the file ``destination`` (a network call).

    Written to ``destination + '.part'`` first and renamed when complete, so an
    interrupted download never looks like a finished file. Raises ``OSError`` (including
    ``urllib.error.URLError``) when the network fails.
    """
    partial = destination + ".part"
    with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
        shutil.copyfileobj(response, out)
    os.replace(partial, destination)


def md5_of(path):
    """The MD5 hex digest of a file (integrity against the published checksums)."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url, folder, filename, md5, owner):
    """Fetch ``url`` into ``folder/filename`` unless a file with checksum ``md5`` is there.

    Raises ``RuntimeError`` naming ``owner``, the URL and the folder when the fetch fails
    (no network) or the checksum differs.
    """
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, filename)
    if os.path.isfile(path) and md5_of(path) == md5:
        return path
    try:
        fetch(url, path)
    except OSError as exc:
        raise RuntimeError(
            f"{owner}: could not download {url} into {folder} ({exc}). Without a network, "
            f"copy the file {filename} there yourself, or use the offline dataset "
            "lucid.datasets.Digits."
        ) from None
    got = md5_of(path)
    if got != md5:
        os.remove(path)
        raise RuntimeError(f"{owner}: the file downloaded from {url} has MD5 {got}, expected {md5}; "
                           "it was deleted. Try again later.")
    return path


def extract_tar(archive, folder, owner):
    """Extract a ``.tar.gz`` archive into ``folder``, refusing unsafe members.

    Uses tarfile's ``data`` filter: no absolute paths, no ``..``, no links out of
    ``folder``, no device files.
    """
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(folder, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise ValueError(f"{owner}: {archive}: cannot be extracted as a tar.gz archive: {exc}") from None
