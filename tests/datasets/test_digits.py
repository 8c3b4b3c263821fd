"""Digits: the shipped UCI 8x8 set — its file, its split, its samples."""
import os

import numpy as np
import pytest

import lucid
import lucid.data
from lucid.datasets import Digits
from lucid.datasets import digits as digits_module


def test_shipped_file():
    images, labels = digits_module.load_digits_arrays()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and images.max() == 16 and images.min() == 0
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert os.path.getsize(digits_module.DIGITS_FILE) < 100_000
    readme = os.path.join(os.path.dirname(digits_module.DIGITS_FILE), "README")
    text = open(readme, encoding="utf-8").read()
    assert "CC BY 4.0" in text and "Alpaydin" in text


def test_split_is_a_deterministic_partition():
    train, test = Digits(), Digits(train=False)
    assert len(train) + len(test) == 1797 and len(test) == round(1797 * 0.2)
    assert not set(train.indices) & set(test.indices)
    np.testing.assert_array_equal(Digits().indices, train.indices)
    lucid.random.seed(123)                        # lucid's seed does not move the split
    np.testing.assert_array_equal(Digits(train=False).indices, test.indices)
    other = Digits(train=False, split_seed=1, test_fraction=0.5)
    assert len(other) == round(1797 * 0.5) and not np.array_equal(other.indices[:359], test.indices)
    images, labels = digits_module.load_digits_arrays()
    np.testing.assert_array_equal(test.data, images[test.indices])
    np.testing.assert_array_equal(test.targets, labels[test.indices])
    assert set(np.unique(train.targets)) == set(range(10))


def test_samples_are_scaled_chw_tensors():
    ds = Digits(train=False, target_transform=str)
    image, label = ds[5]
    assert isinstance(image, lucid.Tensor) and image.shape == (1, 8, 8) and image.dtype == np.float32
    np.testing.assert_array_equal(image.data[0], ds.data[5].astype(np.float32) / 16)
    assert label == str(ds.targets[5])
    xb, yb = next(iter(lucid.data.DataLoader(Digits(), batch_size=64, shuffle=True)))
    assert xb.shape == (64, 1, 8, 8) and yb.dtype == np.int64
    assert 0.0 <= xb.data.min() and xb.data.max() <= 1.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="Digits: test_fraction must lie strictly between 0 and 1; got 1.5"):
        Digits(test_fraction=1.5)
    with pytest.raises(TypeError, match="Digits: split_seed must be an int"):
        Digits(split_seed="a")
    with pytest.raises(TypeError, match="Digits: train must be a bool"):
        Digits(train="yes")
    with pytest.raises(TypeError, match="Digits: transform must be callable or None"):
        Digits(transform=3)
