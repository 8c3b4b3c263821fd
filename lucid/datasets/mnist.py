"""MNIST and Fashion-MNIST, read from the standard IDX files.

Both are 28x28 grey images with labels 0-9, stored as four IDX files (LeCun's
format, usually gzipped)::

    train-images-idx3-ubyte.gz   (60000, 28, 28) uint8
    train-labels-idx1-ubyte.gz   (60000,)        uint8
    t10k-images-idx3-ubyte.gz    (10000, 28, 28) uint8
    t10k-labels-idx1-ubyte.gz    (10000,)        uint8

They are looked for, with or without ``.gz``, in ``root/<Name>/raw/`` (torchvision's
layout, so a folder torchvision filled works as it is), then ``root/<Name>/``, then
``root/`` itself. ``download=True`` fetches missing files into ``root/<Name>/raw/``.
"""
import os

import numpy as np

from lucid.datasets import _files
from lucid.datasets._base import ImageDataset
from lucid._checks import check_bool

__all__ = ["MNIST", "FashionMNIST"]


class MNIST(ImageDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28.

    Sample ``i`` is ``(image, label)``: ``image`` a ``(28, 28)`` uint8 ndarray (values
    0-255, like the PIL image torchvision gives; ``transforms.ToTensor()`` makes it a
    ``(1, 28, 28)`` float32 Tensor in [0, 1]) and ``label`` an int in 0-9, each passed
    through ``transform`` / ``target_transform`` when given.

    Parameters
    ----------
    root : str or os.PathLike
        The folder holding the files (see the module docstring for where in it).
    train : bool, default True
        The training files (``train-*``) or the test files (``t10k-*``).
    transform, target_transform : callable, optional
        Applied to each image / label when a sample is read.
    download : bool, default False
        Fetch the files that are missing into ``root/<Name>/raw/`` first (checked
        against their published MD5). Needs a network.

    Attributes
    ----------
    data : ndarray
        All images, ``(N, 28, 28)`` uint8.
    targets : ndarray
        All labels, ``(N,)`` int64.
    classes : list of str

    Raises
    ------
    FileNotFoundError
        A file is in none of the folders searched (the message lists them).
    ValueError
        A file that is not IDX, or images/labels of the wrong shape, type or count.
    RuntimeError
        ``download=True`` with no network (naming the URL and the folder).

    Examples
    --------
    Write a two-image dataset in the IDX format to a temporary folder, then read it:

    >>> import gzip, os, tempfile
    >>> import numpy as np
    >>> import lucid
    >>> def idx(path, array):
    ...     header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, ">i4").tobytes()
    ...     with gzip.open(path, "wb") as f:
    ...         f.write(header + array.astype(np.uint8).tobytes())
    >>> root = tempfile.mkdtemp()
    >>> idx(os.path.join(root, "train-images-idx3-ubyte.gz"), np.zeros((2, 28, 28)))
    >>> idx(os.path.join(root, "train-labels-idx1-ubyte.gz"), np.array([7, 3]))
    >>> ds = lucid.datasets.MNIST(root, transform=lucid.transforms.ToTensor())
    >>> len(ds)
    2
    >>> image, label = ds[0]
    >>> image.shape, image.dtype, label
    ((1, 28, 28), dtype('float32'), 7)
    """

    name = "MNIST"
    base_url = "https://ossci-datasets.s3.amazonaws.com/mnist/"
    files = {  # filename -> published MD5 of the .gz
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    classes = [str(d) for d in range(10)]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        root = _files.check_root(root, self.name)
        train = check_bool(train, self.name, "train")
        self.root, self.train = root, train
        prefix = "train" if train else "t10k"
        if download:
            self._download(prefix)
        images_path = self._find(f"{prefix}-images-idx3-ubyte")
        labels_path = self._find(f"{prefix}-labels-idx1-ubyte")
        images, labels = _files.read_idx(images_path), _files.read_idx(labels_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{self.name}: {images_path}: expected IDX images of shape (N, H, W) and "
                             f"type uint8; got shape {images.shape} of {images.dtype}")
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise ValueError(f"{self.name}: {labels_path}: expected IDX labels of shape (N,) and type "
                             f"uint8; got shape {labels.shape} of {labels.dtype}")
        if len(labels) != len(images):
            raise ValueError(f"{self.name}: {images_path} holds {len(images)} images but {labels_path} "
                             f"holds {len(labels)} labels")
        if labels.size and labels.max() >= len(self.classes):
            raise ValueError(f"{self.name}: {labels_path}: labels must lie in 0..{len(self.classes) - 1}; "
                             f"found {labels.max()}")
        super().__init__(images, labels, transform, target_transform)

    @property
    def folders(self):
        """Where the files are looked for, in order."""
        return [os.path.join(self.root, self.name, "raw"), os.path.join(self.root, self.name), self.root]

    def _find(self, stem):
        if not os.path.isdir(self.root):
            raise FileNotFoundError(
                f"{self.name}: the root folder {self.root} does not exist; expected it to hold "
                f"{stem}.gz (the IDX format). Pass download=True to fetch the files."
            )
        path = _files.find_file(self.folders, [stem + ".gz", stem])
        if path is None:
            raise FileNotFoundError(
                f"{self.name}: found no {stem}.gz (or {stem}) in {', '.join(self.folders)}; expected "
                f"the {self.name} files in the IDX format there. Pass download=True to fetch them."
            )
        return path

    def _download(self, prefix):
        for filename, md5 in self.files.items():
            if filename.startswith(prefix) and _files.find_file(self.folders, [filename, filename[:-3]]) is None:
                _files.download(self.base_url + filename, self.folders[0], filename, md5, self.name)


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): 28x28 grey images of ten kinds of clothing, in the same
    IDX files and layout as :class:`MNIST` (looked for under ``root/FashionMNIST/raw/``,
    ``root/FashionMNIST/`` and ``root/``).

    Everything else — parameters, samples, errors — is as :class:`MNIST`.

    Examples
    --------
    >>> import tempfile
    >>> import lucid
    >>> lucid.datasets.FashionMNIST.classes[:3]
    ['T-shirt/top', 'Trouser', 'Pullover']
    >>> try:
    ...     lucid.datasets.FashionMNIST(tempfile.mkdtemp())
    ... except FileNotFoundError as e:
    ...     print("not found:", "train-images-idx3-ubyte.gz" in str(e))
    not found: True
    """

    name = "FashionMNIST"
    base_url = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
    files = {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
