"""DataLoader: batching, drop_last, seeded shuffling, collate_fn, bad arguments."""
import numpy as np
import pytest

import lucid
from lucid.data import DataLoader, TensorDataset


def _dataset(n=10):
    x = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
    return TensorDataset(lucid.tensor(x), lucid.tensor(np.arange(n))), x


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (10, 5, False),
                                                       (10, 5, True), (4, 10, False), (4, 10, True),
                                                       (0, 2, False), (1, 1, False)])
def test_batches_cover_the_data_in_order(n, batch_size, drop_last):
    ds, x = _dataset(n)
    loader = DataLoader(ds, batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    full, rest = divmod(n, batch_size)
    expected_count = full if drop_last or rest == 0 else full + 1
    assert len(loader) == len(batches) == expected_count
    seen = 0
    for xb, yb in batches:
        assert xb.shape[0] == yb.shape[0] <= batch_size
        if drop_last:
            assert xb.shape[0] == batch_size
        np.testing.assert_array_equal(xb.data, x[seen:seen + xb.shape[0]])
        np.testing.assert_array_equal(yb.data, np.arange(seen, seen + xb.shape[0]))
        seen += xb.shape[0]
    assert seen == (full * batch_size if drop_last else n)


def test_shuffle_is_a_permutation_reproduced_by_seed():
    ds, _ = _dataset(20)
    loader = DataLoader(ds, batch_size=6, shuffle=True)

    def epoch():
        return np.concatenate([yb.data for _, yb in loader]).tolist()

    lucid.random.seed(11)
    first, second = epoch(), epoch()
    assert sorted(first) == list(range(20)) and sorted(second) == list(range(20))
    assert first != list(range(20))       # shuffled (a 1 in 20! chance of a false failure)
    assert first != second                # each epoch draws a new order
    lucid.random.seed(11)
    assert epoch() == first and epoch() == second
    lucid.random.seed(11)
    rng = lucid.random.generator()
    rng.integers(0, 2 ** 62)              # each epoch first draws the workers' base seed
    expected = rng.permutation(20).tolist()
    lucid.random.seed(11)
    assert epoch() == expected            # drawn from lucid's generator, nothing else


def test_collate_fn_and_plain_samples():
    ds, _ = _dataset(5)
    loader = DataLoader(ds, batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2, 1]
    squares = [i * i for i in range(5)]            # a list is a map-style dataset too
    batches = [b.tolist() for b in DataLoader(squares, batch_size=2)]
    assert batches == [[0, 1], [4, 9], [16]]


def test_bad_arguments():
    ds, _ = _dataset(3)
    with pytest.raises(ValueError, match=r"DataLoader: batch_size must be positive; got 0"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="got -2"):
        DataLoader(ds, batch_size=-2)
    with pytest.raises(TypeError, match="DataLoader: batch_size must be an int; got 2.0"):
        DataLoader(ds, batch_size=2.0)
    with pytest.raises(TypeError, match="batch_size must be an int; got True"):
        DataLoader(ds, batch_size=True)
    with pytest.raises(TypeError, match="DataLoader: shuffle must be a bool"):
        DataLoader(ds, shuffle=1)
    with pytest.raises(TypeError, match="DataLoader: collate_fn must be callable"):
        DataLoader(ds, collate_fn="stack")
    with pytest.raises(TypeError, match="DataLoader: dataset must be a map-style dataset"):
        DataLoader(object())
