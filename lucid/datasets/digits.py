r"""``Digits``: the UCI 8x8 handwritten digits, shipped with lucid, no network needed.

1,797 grey images of the digits 0-9, 8x8 pixels, each pixel a count 0-16 (how many
of the 16 pixels of a 4x4 block of the original 32x32 bitmap were ink). The file
``lucid/datasets/data/digits.npz`` holds ``images`` ``(1797, 8, 8)`` uint8 and
``labels`` ``(1797,)`` uint8; ``data/README`` says where it comes from (the UCI ML
repository, "Optical Recognition of Handwritten Digits", E. Alpaydin and C. Kaynak,
1998), its licence (CC BY 4.0) and how it was made.
"""
import os

import numpy as np

from lucid._tensor import Tensor
from lucid.datasets._base import ImageDataset
from lucid._checks import check_bool, is_int, is_number

__all__ = ["Digits"]

DIGITS_FILE = os.path.join(os.path.dirname(__file__), "data", "digits.npz")


def load_digits_arrays(path=DIGITS_FILE):
    """``(images, labels)`` from the shipped file: ``(1797, 8, 8)`` and ``(1797,)`` uint8."""
    with np.load(path, allow_pickle=False) as f:
        return f["images"], f["labels"]


def split_indices(n, test_fraction, split_seed):
    r"""The deterministic train/test split: ``(train_indices, test_indices)``, both sorted.

    A permutation of :math:`0, \dots, n-1` is drawn from NumPy's PCG64 generator seeded
    with ``split_seed`` (its own generator: :func:`lucid.random.seed` does not move the
    split). Its first :math:`\text{round}(n \cdot \text{test\_fraction})` entries are the
    test set, the rest the training set.
    """
    order = np.random.default_rng(split_seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


class Digits(ImageDataset):
    r"""The UCI 8x8 handwritten digits (1,797 images, labels 0-9), shipped with lucid.

    Works offline: the data are inside the package. The images are split once into a
    training and a test set, the same split on every machine for the same
    ``split_seed`` and ``test_fraction`` (see :func:`split_indices`; by default 1,438
    training and 359 test images).

    Sample ``i`` is ``(image, label)``: ``image`` a ``(1, 8, 8)`` float32 Tensor (CHW,
    one channel) with values in [0, 1],

    .. math:: \text{image}_{0, y, x} = \text{count}_{y, x} / 16,

    ready for ``lucid.nn.Conv2d`` and the :mod:`lucid.transforms`, and ``label`` an int
    in 0-9; each passed through ``transform`` / ``target_transform`` when given.

    Parameters
    ----------
    train : bool, default True
        The training part or the test part of the split.
    transform, target_transform : callable, optional
        Applied to each image / label when a sample is read.
    split_seed : int, default 0
        Seeds the permutation that splits the images.
    test_fraction : float, default 0.2
        The share of images in the test part, strictly between 0 and 1.

    Attributes
    ----------
    data : ndarray
        The part's images as stored, ``(N, 8, 8)`` uint8 with values 0-16.
    targets : ndarray
        Their labels, ``(N,)`` int64.
    indices : ndarray
        Their positions among the 1,797 images.
    classes : list of str

    Raises
    ------
    TypeError
        ``train`` not a bool, ``split_seed`` not an int, ``test_fraction`` not a number.
    ValueError
        ``split_seed`` negative or ``test_fraction`` outside (0, 1).

    Examples
    --------
    >>> import lucid
    >>> train, test = lucid.datasets.Digits(train=True), lucid.datasets.Digits(train=False)
    >>> len(train), len(test)
    (1438, 359)
    >>> image, label = train[0]
    >>> image.shape, image.dtype, label
    ((1, 8, 8), dtype('float32'), 0)
    >>> xb, yb = next(iter(lucid.data.DataLoader(train, batch_size=32)))
    >>> xb.shape, yb.shape
    ((32, 1, 8, 8), (32,))
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, train=True, transform=None, target_transform=None, split_seed=0, test_fraction=0.2):
        train = check_bool(train, "Digits", "train")
        if not is_int(split_seed):
            raise TypeError(f"Digits: split_seed must be an int; got {split_seed!r}")
        if split_seed < 0:
            raise ValueError(f"Digits: split_seed must be non-negative; got {split_seed}")
        if not is_number(test_fraction):
            raise TypeError(f"Digits: test_fraction must be a number; got {test_fraction!r}")
        if not 0 < test_fraction < 1:
            raise ValueError(f"Digits: test_fraction must lie strictly between 0 and 1; got {test_fraction}")
        images, labels = load_digits_arrays()
        train_idx, test_idx = split_indices(len(labels), test_fraction, int(split_seed))
        self.train = train
        self.indices = train_idx if train else test_idx
        super().__init__(images[self.indices], labels[self.indices], transform, target_transform)

    def _image(self, index):
        return Tensor._wrap((self.data[index] / np.float32(16)).astype(np.float32)[None])
