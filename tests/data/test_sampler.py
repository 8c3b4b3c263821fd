"""lucid.data samplers: the deterministic ones equal torch's sequences; the random ones have
the right distribution (fixed seeds; each frequency within 5 standard deviations of its
binomial expectation, a bound from the distribution: a false failure has probability
below 1e-6 per count); DataLoader's sampler/batch_sampler rules are torch's; bad input."""
import itertools
import math

import numpy as np
import pytest

import lucid
from lucid.data import (BatchSampler, DataLoader, RandomSampler, Sampler, SequentialSampler,
                        SubsetRandomSampler, TensorDataset, WeightedRandomSampler)


def _within_binomial(count, trials, p, sigmas=5.0):
    """``count`` of ``trials`` Bernoulli(p) successes lies within ``sigmas`` standard
    deviations of its mean ``trials * p``."""
    mean, sd = trials * p, math.sqrt(trials * p * (1 - p))
    return abs(count - mean) <= sigmas * sd


# ------------------------------------------------------------------ deterministic: torch's
@pytest.mark.torch
@pytest.mark.parametrize("n", [0, 1, 7])
def test_sequential_equals_torch(n, torch):
    ours = SequentialSampler(list(range(n)))
    theirs = torch.utils.data.SequentialSampler(list(range(n)))
    assert list(ours) == list(theirs) == list(range(n))
    assert len(ours) == len(theirs)


@pytest.mark.torch
@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                                     (9, 3, False), (2, 5, False), (2, 5, True),
                                                     (0, 2, False), (1, 1, True)])
def test_batch_sampler_equals_torch(n, batch_size, drop_last, torch):
    source = [3 * i + 1 for i in range(n)]        # any iterable of indices, not only range
    ours = BatchSampler(source, batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(source, batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs) == len(list(ours))


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", [dict(batch_size=3, sampler=[4, 0, 3, 1, 2, 6, 5]),
                                    dict(batch_size=2, sampler=[6, 6, 1], drop_last=True),
                                    dict(batch_sampler=[[5, 0], [1, 4, 2], [3]]),
                                    dict(batch_sampler=BatchSampler(range(7), 4, False)),
                                    dict(batch_size=None),
                                    dict(batch_size=None, sampler=[2, 1, 1]),
                                    dict(batch_size=3, shuffle=False, drop_last=True)])
def test_dataloader_batches_equal_torch(kwargs, torch):
    data = [10 * i for i in range(7)]
    ours = DataLoader(data, **kwargs)
    theirs = torch.utils.data.DataLoader(data, **kwargs)
    expect = [b.tolist() if hasattr(b, "tolist") else b for b in theirs]
    assert [b.tolist() if hasattr(b, "tolist") else b for b in ours] == expect
    assert len(ours) == len(theirs)


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", [
    dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], batch_size=None),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(prefetch_factor=2),
    dict(persistent_workers=True),
    dict(num_workers=-1),
    dict(timeout=-1),
])
def test_dataloader_refuses_what_torch_refuses(kwargs, torch):
    with pytest.raises(ValueError):
        torch.utils.data.DataLoader(list(range(5)), **kwargs)
    with pytest.raises(ValueError, match=r"^DataLoader: "):
        DataLoader(list(range(5)), **kwargs)


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", [dict(batch_sampler=[[0]], batch_size=1),
                                    dict(batch_sampler=[[0]], shuffle=False),
                                    dict(sampler=[0], shuffle=False)])
def test_dataloader_accepts_what_torch_accepts(kwargs, torch):
    torch.utils.data.DataLoader(list(range(5)), **kwargs)
    assert len(DataLoader(list(range(5)), **kwargs)) == 1


# ------------------------------------------------------------------ random: distributions
def test_random_sampler_permutations_are_uniform():
    """All 24 orders of 4 indices, each with probability 1/24."""
    sampler = RandomSampler(range(4), generator=np.random.default_rng(0))
    trials = 24_000
    counts = {}
    for _ in range(trials):
        order = tuple(sampler)
        counts[order] = counts.get(order, 0) + 1
    assert set(counts) == set(itertools.permutations(range(4)))
    for order, count in counts.items():
        assert _within_binomial(count, trials, 1 / 24), (order, count)


@pytest.mark.parametrize("n,num_samples", [(5, 12), (5, 5), (5, 3), (1, 4)])
def test_random_sampler_without_replacement_is_permutation_blocks(n, num_samples):
    """Without replacement: whole permutations, then part of one more (torch's structure)."""
    sampler = RandomSampler(list(range(n)), num_samples=num_samples)
    for _ in range(20):
        order = list(sampler)
        assert len(order) == len(sampler) == num_samples
        for start in range(0, num_samples, n):
            block = order[start:start + n]
            assert len(set(block)) == len(block) and set(block) <= set(range(n))


@pytest.mark.torch
def test_random_sampler_structure_matches_torch(torch):
    theirs = list(torch.utils.data.RandomSampler(range(5), num_samples=12))
    ours = list(RandomSampler(range(5), num_samples=12))
    for order in (theirs, ours):
        assert sorted(order[:5]) == sorted(order[5:10]) == list(range(5))
        assert len(set(order[10:])) == 2


def test_random_sampler_with_replacement_is_uniform():
    trials = 60_000
    draws = np.array(list(RandomSampler(range(6), replacement=True, num_samples=trials,
                                        generator=np.random.default_rng(1))))
    counts = np.bincount(draws, minlength=6)
    assert counts.sum() == trials and len(counts) == 6
    for count in counts:
        assert _within_binomial(count, trials, 1 / 6)
    # independent draws: the pair (first, second) is uniform over 36 pairs too
    pairs = np.bincount(6 * draws[0::2] + draws[1::2], minlength=36)
    for count in pairs:
        assert _within_binomial(count, trials // 2, 1 / 36)


def test_subset_random_sampler_is_a_uniform_permutation_of_its_indices():
    indices = [7, 3, 11]
    sampler = SubsetRandomSampler(indices, generator=np.random.default_rng(2))
    trials = 12_000
    first = {}
    for _ in range(trials):
        order = list(sampler)
        assert sorted(order) == sorted(indices)
        first[order[0]] = first.get(order[0], 0) + 1
    for index in indices:
        assert _within_binomial(first[index], trials, 1 / 3)


def test_weighted_with_replacement_follows_the_weights():
    weights = [1.0, 2.0, 3.0, 0.0, 4.0]
    trials = 50_000
    draws = list(WeightedRandomSampler(weights, trials, generator=np.random.default_rng(3)))
    counts = np.bincount(draws, minlength=5)
    assert counts[3] == 0                       # weight zero: never drawn
    for i, w in enumerate(weights):
        if w:
            assert _within_binomial(counts[i], trials, w / sum(weights)), (i, counts[i])


def test_weighted_without_replacement_is_successive_sampling():
    """The ordered pair (i, j) has probability w_i/W * w_j/(W - w_i) (torch.multinomial's
    sampling without replacement), computed here by a loop over the pairs."""
    weights = [1.0, 2.0, 3.0, 4.0, 0.0]
    total = sum(weights)
    sampler = WeightedRandomSampler(weights, 2, replacement=False, generator=np.random.default_rng(4))
    trials = 40_000
    counts = {}
    for _ in range(trials):
        i, j = list(sampler)
        assert i != j
        counts[(i, j)] = counts.get((i, j), 0) + 1
    for i in range(5):
        for j in range(5):
            if i == j:
                continue
            p = weights[i] / total * weights[j] / (total - weights[i])
            count = counts.get((i, j), 0)
            if p == 0:
                assert count == 0
            else:
                assert _within_binomial(count, trials, p), ((i, j), count, trials * p)


def test_weighted_without_replacement_takes_every_nonzero_index_once():
    sampler = WeightedRandomSampler(lucid.tensor([0.5, 0.0, 2.0, 1.0]), 3, replacement=False)
    for _ in range(10):
        assert sorted(sampler) == [0, 2, 3]


@pytest.mark.parametrize("make", [
    lambda g: RandomSampler(range(9), generator=g),
    lambda g: RandomSampler(range(9), replacement=True, num_samples=20, generator=g),
    lambda g: SubsetRandomSampler([4, 5, 6, 7], generator=g),
    lambda g: WeightedRandomSampler([1, 2, 3], 10, generator=g),
    lambda g: WeightedRandomSampler([1, 2, 3], 3, replacement=False, generator=g),
], ids=["random", "replacement", "subset", "weighted", "weighted-noreplace"])
def test_seeds_reproduce_the_sequence(make):
    """Its own generator, or lucid's shared one (then lucid.random.seed reproduces it)."""
    a = list(make(np.random.default_rng(5)))
    assert a == list(make(np.random.default_rng(5)))
    shared = make(None)
    lucid.random.seed(5)
    b = list(shared)
    lucid.random.seed(5)
    assert b == list(shared)


def test_shuffle_is_a_random_sampler_over_the_shared_generator():
    data = list(range(10))
    loader = DataLoader(data, batch_size=10, shuffle=True)
    assert isinstance(loader.sampler, RandomSampler)
    assert isinstance(loader.batch_sampler, BatchSampler)
    assert isinstance(DataLoader(data).sampler, SequentialSampler)
    lucid.random.seed(8)
    got = next(iter(loader)).tolist()
    lucid.random.seed(8)
    rng = lucid.random.generator()
    rng.integers(0, 2 ** 62)                    # the epoch's base seed for the workers
    assert got == rng.permutation(10).tolist()


def test_loader_generator_argument():
    data = list(range(12))
    orders = []
    for _ in range(2):
        loader = DataLoader(data, batch_size=12, shuffle=True, generator=np.random.default_rng(9))
        orders.append(next(iter(loader)).tolist())
    assert orders[0] == orders[1] and sorted(orders[0]) == data


def test_a_sampler_subclass():
    class Backwards(Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n - 1, -1, -1))

        def __len__(self):
            return self.n

    x = lucid.tensor(np.arange(5.0))
    batches = [xb.tolist() for (xb,) in DataLoader(TensorDataset(x), batch_size=2, sampler=Backwards(5))]
    assert batches == [[4.0, 3.0], [2.0, 1.0], [0.0]]
    with pytest.raises(NotImplementedError, match="Sampler must define __iter__"):
        iter(Sampler())


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("make,error,message", [
    (lambda: SequentialSampler(5), TypeError,
     r"SequentialSampler: data_source must have a length \(__len__\); got int"),
    (lambda: RandomSampler(range(3), replacement=1), TypeError,
     r"RandomSampler: replacement must be a bool; got 1"),
    (lambda: RandomSampler(range(3), num_samples=0), ValueError,
     r"RandomSampler: num_samples must be positive; got 0"),
    (lambda: RandomSampler(range(3), num_samples=2.0), TypeError,
     r"RandomSampler: num_samples must be an int; got 2.0"),
    (lambda: RandomSampler(range(3), generator=7), TypeError,
     r"RandomSampler: generator must be a numpy.random.Generator or None; got int"),
    (lambda: iter(RandomSampler([], num_samples=2)), ValueError,
     r"RandomSampler: cannot draw 2 samples from an empty data_source"),
    (lambda: SubsetRandomSampler([1, 2.5]), TypeError,
     r"SubsetRandomSampler: indices must be a sequence of ints; found 2.5"),
    (lambda: SubsetRandomSampler(3), TypeError,
     r"SubsetRandomSampler: indices must be a sequence of ints; got int"),
    (lambda: SubsetRandomSampler(np.zeros((2, 2), dtype=int)), TypeError,
     r"SubsetRandomSampler: indices must be a 1-d sequence of ints; got an array of shape \(2, 2\)"),
    (lambda: WeightedRandomSampler([[1.0, 2.0]], 2), ValueError,
     r"WeightedRandomSampler: weights must be 1-d; got shape \(1, 2\)"),
    (lambda: WeightedRandomSampler(["a", "b"], 2), TypeError,
     r"WeightedRandomSampler: weights must be a 1-d sequence of numbers; got dtype <U1"),
    (lambda: WeightedRandomSampler([1.0, -1.0], 2), ValueError,
     r"WeightedRandomSampler: weights must be finite and >= 0; got \[1.0, -1.0\]"),
    (lambda: WeightedRandomSampler([1.0, float("nan")], 2), ValueError,
     r"WeightedRandomSampler: weights must be finite and >= 0"),
    (lambda: WeightedRandomSampler([0.0, 0.0], 2), ValueError,
     r"WeightedRandomSampler: weights must not all be zero"),
    (lambda: WeightedRandomSampler([1.0, 2.0], 0), ValueError,
     r"WeightedRandomSampler: num_samples must be positive; got 0"),
    (lambda: WeightedRandomSampler([1.0, 0.0, 2.0], 3, replacement=False), ValueError,
     r"WeightedRandomSampler: without replacement num_samples \(3\) must be at most the number "
     r"of non-zero weights \(2\)"),
    (lambda: BatchSampler(range(3), 0, False), ValueError,
     r"BatchSampler: batch_size must be positive; got 0"),
    (lambda: BatchSampler(range(3), 2, None), TypeError,
     r"BatchSampler: drop_last must be a bool; got None"),
    (lambda: BatchSampler(3, 2, False), TypeError,
     r"BatchSampler: sampler must be an iterable of indices; got int"),
    (lambda: DataLoader(range(3), sampler=4), TypeError,
     r"DataLoader: sampler must be an iterable of indices; got int"),
    (lambda: DataLoader(range(3), generator="seed"), TypeError,
     r"DataLoader: generator must be a numpy.random.Generator or None; got str"),
])
def test_bad_input(make, error, message):
    with pytest.raises(error, match=message):
        make()
