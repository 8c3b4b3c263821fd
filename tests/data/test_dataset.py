"""lucid.data datasets: TensorDataset, ConcatDataset (and +), Subset, random_split."""
import numpy as np
import pytest

import lucid
from lucid.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from tests.conftest import torch


class Range(Dataset):
    def __init__(self, start, stop):
        self.values = list(range(start, stop))

    def __len__(self):
        return len(self.values)

    def __getitem__(self, i):
        return self.values[i]


def test_tensor_dataset_rows_and_length():
    x = np.arange(12.0).reshape(4, 3)
    y = np.array([3, 1, 4, 1])
    ds = TensorDataset(lucid.tensor(x), y)
    assert len(ds) == 4
    for i in range(-4, 4):
        features, label = ds[i]
        np.testing.assert_array_equal(features.data, x[i])
        assert label.item() == y[i]
    with pytest.raises(IndexError, match="TensorDataset: index 4"):
        ds[4]
    with pytest.raises(TypeError, match="TensorDataset: index must be an int"):
        ds[1.0]


def test_tensor_dataset_bad_input():
    with pytest.raises(ValueError, match="TensorDataset: every tensor must have the same first size"):
        TensorDataset(lucid.zeros((3, 2)), lucid.zeros(4))
    with pytest.raises(ValueError, match="TensorDataset: needs at least one"):
        TensorDataset()
    with pytest.raises(TypeError, match="TensorDataset: tensor 1 must be a Tensor or an ndarray; got list"):
        TensorDataset(lucid.zeros(2), [1, 2])
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(lucid.tensor(1.0))


def test_base_dataset_requires_getitem_and_len():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_concat_and_plus():
    a, b, c = Range(0, 3), Range(10, 12), Range(20, 24)
    ds = a + b
    assert isinstance(ds, ConcatDataset)
    assert [ds[i] for i in range(len(ds))] == [0, 1, 2, 10, 11]
    abc = ConcatDataset([a, b, c])
    expected = a.values + b.values + c.values
    assert [abc[i] for i in range(len(abc))] == expected
    assert [abc[-i] for i in range(1, len(abc) + 1)] == expected[::-1]
    assert abc.cumulative_sizes == [3, 5, 9]
    with_empty = ConcatDataset([Range(0, 0), a])
    assert [with_empty[i] for i in range(3)] == a.values
    with pytest.raises(IndexError):
        abc[9]
    with pytest.raises(ValueError, match="ConcatDataset: datasets must not be empty"):
        ConcatDataset([])
    with pytest.raises(TypeError, match=r"ConcatDataset: datasets\[1\] must be a map-style dataset"):
        ConcatDataset([a, 5])


def test_subset():
    base = Range(100, 110)
    sub = Subset(base, [9, 0, 3])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [109, 100, 103]
    with pytest.raises(IndexError, match="Subset: index 10 is out of range"):
        Subset(base, [10])


@pytest.mark.filterwarnings("ignore:Length of split:UserWarning")
@pytest.mark.parametrize("n, lengths", [(10, [0.8, 0.2]), (7, [0.5, 0.5]), (11, [0.3, 0.3, 0.4]),
                                        (5, [0.1, 0.1, 0.8]), (3, [0.25, 0.75])])
@pytest.mark.torch
def test_random_split_fraction_lengths_match_torch(n, lengths):
    expected = [len(s) for s in torch.utils.data.random_split(range(n), lengths)]
    got = random_split(Range(0, n), lengths)
    assert [len(s) for s in got] == expected


def test_random_split_is_a_partition_and_seeded():
    ds = Range(0, 20)
    lucid.random.seed(5)
    first = random_split(ds, [5, 15])
    lucid.random.seed(5)
    again = random_split(ds, [5, 15])
    assert [s.indices for s in first] == [s.indices for s in again]
    assert sorted(first[0].indices + first[1].indices) == list(range(20))
    assert [first[0][i] for i in range(5)] == first[0].indices
    other = random_split(ds, [5, 15])          # the generator moved on: a new draw
    assert [s.indices for s in other] != [s.indices for s in first]
    mine = random_split(ds, [10, 10], generator=np.random.default_rng(1))
    assert mine[0].indices == np.random.default_rng(1).permutation(20)[:10].tolist()


def test_random_split_bad_lengths():
    ds = Range(0, 10)
    with pytest.raises(ValueError, match=r"random_split: lengths must sum to the length of the dataset \(10\)"):
        random_split(ds, [3, 3])
    with pytest.raises(ValueError, match="fractional lengths"):
        random_split(ds, [0.5, 0.6])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(ds, [-1, 11])
    with pytest.raises(TypeError, match="random_split: lengths must be ints or fractions"):
        random_split(ds, ["a", "b"])
    with pytest.raises(TypeError, match="random_split: dataset must be a map-style dataset"):
        random_split(42, [1])
    with pytest.raises(TypeError, match="random_split: generator"):
        random_split(ds, [5, 5], generator=3)
