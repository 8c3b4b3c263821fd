"""lucid.random: one shared generator, reproducible with seed(), the right shapes,
dtypes and distributions. Oracles: NumPy's own Generator seeded the same way, and
sample statistics with bounds of five standard errors."""
import numpy as np
import pytest

import lucid
from lucid import random as lr

DRAWS = [
    lambda: lr.rand(3, 2),
    lambda: lr.randn(4),
    lambda: lr.randint(-5, 5, size=(2, 3)),
    lambda: lr.uniform(-1.0, 3.0, size=5),
    lambda: lr.bernoulli(np.full(6, 0.5)),
]


@pytest.mark.parametrize("draw", DRAWS, ids=["rand", "randn", "randint", "uniform", "bernoulli"])
def test_same_seed_same_numbers(draw):
    lr.seed(123)
    first = [draw().data for _ in range(3)]
    lr.seed(123)
    again = [draw().data for _ in range(3)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    lr.seed(124)
    assert not all(np.array_equal(a, draw().data) for a in first)


def test_one_sequence_across_functions():
    lr.seed(5)
    a = (lr.rand(3).data, lr.randn(2).data)
    lr.seed(5)
    b = (lr.rand(3).data, lr.randn(2).data)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0][:2], a[1])  # the second call continued the stream


def test_generator_is_shared_and_reseeded_in_place():
    g = lr.generator()
    assert isinstance(g, np.random.Generator) and g is lr.generator()
    lr.seed(9)
    expected = np.random.Generator(np.random.PCG64(9))
    np.testing.assert_array_equal(lr.rand(4).data, expected.random(4, dtype=np.float32))
    np.testing.assert_array_equal(g.random(3), expected.random(3))  # the same stream


def test_seed_bad_arguments():
    with pytest.raises(TypeError, match=r"^seed: seed must be an int; got 1.5"):
        lr.seed(1.5)
    with pytest.raises(ValueError, match=r"^seed: seed must be non-negative; got -1"):
        lr.seed(-1)


@pytest.mark.parametrize("fn", [lr.rand, lr.randn])
@pytest.mark.parametrize("args, shape", [((2, 3), (2, 3)), (((2, 3),), (2, 3)), ((4,), (4,)),
                                         ((), ()), (((0, 2),), (0, 2)), (([1, 2],), (1, 2))])
def test_rand_randn_shapes_and_dtype(fn, args, shape):
    out = fn(*args)
    assert out.shape == shape and out.dtype == np.float32
    assert out.is_leaf and not out.requires_grad


@pytest.mark.parametrize("fn", [lr.rand, lr.randn])
def test_rand_randn_bad_shapes_and_flags(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"^{name}: shape must not contain negative values"):
        fn(2, -1)
    with pytest.raises(TypeError, match=rf"^{name}: shape must be an int or a tuple of ints"):
        fn(2.5)
    t = fn(2, requires_grad=True, keep_grad=True)
    assert t.requires_grad and t.keep_grad and t.is_leaf


def test_rand_is_uniform_on_0_1():
    lr.seed(0)
    x = lr.rand(20_000).data.astype(np.float64)
    assert x.min() >= 0 and x.max() < 1
    se = np.sqrt(1 / 12 / x.size)
    assert abs(x.mean() - 0.5) < 5 * se
    assert abs((x < 0.25).mean() - 0.25) < 5 * np.sqrt(0.25 * 0.75 / x.size)


def test_randn_is_standard_normal():
    lr.seed(0)
    x = lr.randn(20_000).data.astype(np.float64)
    assert abs(x.mean()) < 5 / np.sqrt(x.size)
    assert abs(x.var() - 1) < 5 * np.sqrt(2 / x.size)


def test_randint():
    lr.seed(1)
    k = lr.randint(3, 7, size=5000)
    assert k.dtype == np.int64 and k.shape == (5000,)
    assert set(np.unique(k.data)) == {3, 4, 5, 6}  # upper bound excluded, all others hit
    only_high = lr.randint(2, size=(3, 4))
    assert only_high.shape == (3, 4) and set(np.unique(only_high.data)) <= {0, 1}
    assert lr.randint(5).shape == ()
    assert lr.randint(0, 9, size=3, dtype=np.int32).dtype == np.int32


def test_randint_bad_arguments():
    with pytest.raises(ValueError, match=r"^randint: low \(5\) must be smaller than high \(5\)"):
        lr.randint(5, 5)
    with pytest.raises(ValueError, match=r"^randint: low \(0\) must be smaller than high \(0\)"):
        lr.randint(0)
    with pytest.raises(TypeError, match=r"^randint: high must be an int; got 2.5"):
        lr.randint(0, 2.5)
    with pytest.raises(TypeError, match=r"^randint: dtype must be an integer dtype; got float32"):
        lr.randint(0, 2, dtype=np.float32)
    with pytest.raises(ValueError, match=r"^randint: the range \[0, 300\) does not fit in int8"):
        lr.randint(0, 300, dtype=np.int8)
    with pytest.raises(ValueError, match=r"^randint: size must not contain negative values"):
        lr.randint(0, 2, size=(-1,))


def test_uniform():
    lr.seed(2)
    u = lr.uniform(-2.0, 6.0, size=(100, 200)).data.astype(np.float64)
    assert u.shape == (100, 200) and lr.uniform().dtype == np.float32
    assert u.min() >= -2 and u.max() <= 6
    assert abs(u.mean() - 2.0) < 5 * 8 / np.sqrt(12 * u.size)
    assert lr.uniform().shape == ()
    assert lr.uniform(1, 1, size=3).data.tolist() == [1.0, 1.0, 1.0]
    assert lr.uniform(size=2, requires_grad=True).requires_grad


def test_uniform_bad_arguments():
    with pytest.raises(ValueError, match=r"^uniform: low \(2.0\) must not be greater than high \(1.0\)"):
        lr.uniform(2.0, 1.0)
    with pytest.raises(TypeError, match=r"^uniform: low must be a real number"):
        lr.uniform("0", 1.0)
    with pytest.raises(ValueError, match=r"^uniform: high must be finite"):
        lr.uniform(0.0, float("inf"))


def test_bernoulli():
    lr.seed(3)
    p = np.array([[0.0, 1.0], [1.0, 0.0]])
    out = lr.bernoulli(lucid.tensor(p, dtype=np.float64))
    assert out.dtype == np.float64 and out.shape == (2, 2)
    np.testing.assert_array_equal(out.data, p)
    draws = lr.bernoulli(np.full(20_000, 0.3, dtype=np.float32)).data
    assert draws.dtype == np.float32 and set(np.unique(draws)) == {0.0, 1.0}
    assert abs(draws.mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / draws.size)
    assert lr.bernoulli([1, 0]).dtype == np.float32  # integer probabilities -> float32
    assert lr.bernoulli(np.zeros((0, 3))).shape == (0, 3)


def test_bernoulli_bad_arguments():
    with pytest.raises(ValueError, match=r"^bernoulli: every probability must lie in \[0, 1\]; got values from -0.5 to 1.0"):
        lr.bernoulli([-0.5, 1.0])
    with pytest.raises(ValueError, match=r"^bernoulli: every probability .* and NaN"):
        lr.bernoulli([0.5, float("nan")])
    with pytest.raises(TypeError, match=r"^bernoulli: probs must be real numbers"):
        lr.bernoulli(["a"])
