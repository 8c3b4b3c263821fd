"""CIFAR-10 and CIFAR-100, read from the standard "python version" batch files.

CIFAR-10 (``cifar-10-batches-py/``): ``data_batch_1`` ... ``data_batch_5`` (training,
10,000 images each), ``test_batch`` (10,000) and ``batches.meta`` (class names).
CIFAR-100 (``cifar-100-python/``): ``train`` (50,000), ``test`` (10,000) and ``meta``.

Each batch is a pickled dict: ``b"data"`` a ``(N, 3072)`` uint8 array — per image the
1024 red values, then green, then blue, each in row-major order of a 32x32 image — and
``b"labels"`` (CIFAR-10) or ``b"fine_labels"`` / ``b"coarse_labels"`` (CIFAR-100), lists
of N ints. The folder is looked for in ``root/`` (torchvision's layout); ``root`` may
also be the batch folder itself.

**Pickles can run code.** These files are read with
:class:`lucid.datasets._files.RestrictedUnpickler`, which allows only dicts, lists,
bytes, str, ints and NumPy arrays and refuses anything else, so a tampered file cannot
run code when loaded. Still read files only from sources you trust (``download=True``
checks the archive against its published MD5).
"""
import os

import numpy as np

from lucid.datasets import _files
from lucid.datasets._base import ImageDataset
from lucid._checks import check_bool

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(ImageDataset):
    """CIFAR-10: 32x32 colour images in 10 classes, 50,000 for training, 10,000 for test.

    Sample ``i`` is ``(image, label)``: ``image`` a ``(32, 32, 3)`` uint8 ndarray (HWC,
    values 0-255, as torchvision's PIL image; ``transforms.ToTensor()`` makes it a
    ``(3, 32, 32)`` float32 Tensor in [0, 1]) and ``label`` an int, each passed through
    ``transform`` / ``target_transform`` when given.

    Parameters
    ----------
    root : str or os.PathLike
        The folder holding ``cifar-10-batches-py/`` (or that folder itself).
    train : bool, default True
        The training batches or the test batch.
    transform, target_transform : callable, optional
        Applied to each image / label when a sample is read.
    download : bool, default False
        When the batch folder is missing, fetch the archive into ``root`` (checked
        against its published MD5) and extract it. Needs a network.

    Attributes
    ----------
    data : ndarray
        All images, ``(N, 32, 32, 3)`` uint8.
    targets : ndarray
        All labels, ``(N,)`` int64.
    classes : list of str or None
        The class names from the meta file (None when it is absent).

    Raises
    ------
    FileNotFoundError
        The root folder or a batch file is missing.
    ValueError
        A file that is not a CIFAR python batch (the message names the file and the
        format), or that holds a global other than containers and arrays.
    RuntimeError
        ``download=True`` with no network (naming the URL and the folder).

    Examples
    --------
    Write one tiny batch in the CIFAR format to a temporary folder, then read it:

    >>> import os, pickle, tempfile
    >>> import numpy as np
    >>> import lucid
    >>> folder = os.path.join(tempfile.mkdtemp(), "cifar-10-batches-py")
    >>> os.makedirs(folder)
    >>> pixels = np.zeros((2, 3072), dtype=np.uint8)
    >>> pixels[1, :1024] = 255                     # image 1: a red square
    >>> with open(os.path.join(folder, "test_batch"), "wb") as f:
    ...     pickle.dump({b"data": pixels, b"labels": [3, 8]}, f)
    >>> ds = lucid.datasets.CIFAR10(os.path.dirname(folder), train=False)
    >>> image, label = ds[1]
    >>> image.shape, image[0, 0].tolist(), label
    ((32, 32, 3), [255, 0, 0], 8)
    """

    name = "CIFAR10"
    folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    archive_md5 = "c58f30108f718f92721af3b95e74349a"
    train_files = [f"data_batch_{k}" for k in range(1, 6)]
    test_files = ["test_batch"]
    meta_file, meta_key = "batches.meta", "label_names"
    label_key = "labels"
    num_classes = 10

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        root = _files.check_root(root, self.name)
        train = check_bool(train, self.name, "train")
        self.root, self.train = root, train
        if download and self._batch_folder() is None:
            archive = _files.download(self.url, root, os.path.basename(self.url), self.archive_md5, self.name)
            _files.extract_tar(archive, root, self.name)
        folder = self._batch_folder()
        if folder is None:
            where = root if os.path.isdir(root) else f"{root} (which does not exist)"
            raise FileNotFoundError(
                f"{self.name}: found no {self.folder}/ with the batch files in {where}; expected "
                f"the CIFAR python batch files ({', '.join(self.train_files + self.test_files)}). "
                "Pass download=True to fetch them."
            )
        images, labels = [], []
        for name in self.train_files if train else self.test_files:
            batch_images, batch_labels = self._read_batch(os.path.join(folder, name))
            images.append(batch_images)
            labels.append(batch_labels)
        data = np.concatenate(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.classes = self._read_classes(os.path.join(folder, self.meta_file))
        super().__init__(np.ascontiguousarray(data), np.concatenate(labels), transform, target_transform)

    @property
    def _format(self):
        return (f"a CIFAR python batch: a pickled dict with b'data' ((N, 3072) uint8) and "
                f"b'{self.label_key}' (N ints in 0..{self.num_classes - 1})")

    def _batch_folder(self):
        """``root/<folder>`` or ``root`` itself, whichever holds the first batch file."""
        first = (self.train_files + self.test_files)[0]
        for candidate in (os.path.join(self.root, self.folder), self.root):
            if os.path.isfile(os.path.join(candidate, first)) or \
                    os.path.isfile(os.path.join(candidate, self.test_files[0])):
                return candidate
        return None

    def _read_batch(self, path):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{self.name}: {path} is missing; expected {self._format}")
        batch = _files.read_pickle(path, self._format)
        if not isinstance(batch, dict):
            raise ValueError(f"{self.name}: {path} holds a {type(batch).__name__}; expected {self._format}")
        batch = _files.text_keys(batch)
        if "data" not in batch or self.label_key not in batch:
            raise ValueError(f"{self.name}: {path} has the keys {sorted(batch)}; expected {self._format}")
        data = batch["data"]
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
                or data.shape[1] != 3072:
            got = f"shape {data.shape} of {data.dtype}" if isinstance(data, np.ndarray) else type(data).__name__
            raise ValueError(f"{self.name}: {path}: b'data' is {got}; expected {self._format}")
        return data, self._labels(batch, self.label_key, self.num_classes, path, len(data))

    def _labels(self, batch, key, num_classes, path, count):
        """``batch[key]`` as ``count`` int64 labels in ``0..num_classes-1``, or ValueError."""
        try:
            labels = np.asarray(batch.get(key), dtype=np.int64)
        except (TypeError, ValueError):
            labels = None
        if labels is None or labels.shape != (count,) or \
                (labels.size and (labels.min() < 0 or labels.max() >= num_classes)):
            raise ValueError(f"{self.name}: {path}: b'{key}' does not hold {count} ints in "
                             f"0..{num_classes - 1}; expected {self._format}")
        return labels

    def _read_classes(self, path):
        if not os.path.isfile(path):
            return None
        meta = _files.text_keys(_files.read_pickle(path, f"a CIFAR meta file (a pickled dict with "
                                                         f"b'{self.meta_key}')"))
        names = meta.get(self.meta_key)
        if not isinstance(names, list):
            raise ValueError(f"{self.name}: {path} has no list b'{self.meta_key}'; expected a CIFAR meta file")
        return [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in names]


class CIFAR100(CIFAR10):
    """CIFAR-100: 32x32 colour images in 100 classes (grouped in 20 superclasses),
    50,000 for training, 10,000 for test.

    As :class:`CIFAR10`, read from ``cifar-100-python/`` (files ``train``, ``test``,
    ``meta``); ``label`` is the *fine* label (0-99). The coarse labels are kept in
    ``coarse_targets``.

    Attributes
    ----------
    coarse_targets : ndarray
        The superclass of each image, ``(N,)`` int64 in 0-19.

    Examples
    --------
    >>> import os, pickle, tempfile
    >>> import numpy as np
    >>> import lucid
    >>> root = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(root, "cifar-100-python"))
    >>> batch = {b"data": np.zeros((3, 3072), np.uint8), b"fine_labels": [0, 42, 99],
    ...          b"coarse_labels": [4, 1, 19]}
    >>> with open(os.path.join(root, "cifar-100-python", "train"), "wb") as f:
    ...     pickle.dump(batch, f)
    >>> ds = lucid.datasets.CIFAR100(root)
    >>> ds.targets.tolist(), ds.coarse_targets.tolist()
    ([0, 42, 99], [4, 1, 19])
    """

    name = "CIFAR100"
    folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    archive_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_files = ["train"]
    test_files = ["test"]
    meta_file, meta_key = "meta", "fine_label_names"
    label_key = "fine_labels"
    num_classes = 100

    def _labels(self, batch, key, num_classes, path, count):
        fine = super()._labels(batch, key, num_classes, path, count)
        coarse = super()._labels(batch, "coarse_labels", 20, path, count)
        self._coarse = getattr(self, "_coarse", []) + [coarse]
        return fine

    @property
    def coarse_targets(self):
        return np.concatenate(self._coarse)
