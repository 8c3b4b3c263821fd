"""The scatter-add kernel on both twins, against ``np.add.at`` (the oracle)."""
import numpy as np
import pytest

import lucid
from lucid import _ext
from lucid.testing import assert_close


KERNEL_FAMILIES = ("scatter",)     # the conftest twin fixture: only scatter must be built


def _case(rng, M, K, n, dtype):
    target = rng.standard_normal((M, K)).astype(dtype)
    index = rng.integers(0, M, size=n).astype(np.int64)
    values = rng.standard_normal((n, K)).astype(dtype)
    return target, index, values


def _check(target, index, values):
    expected = target.copy()
    np.add.at(expected, index, values)
    result = _ext.get("scatter").scatter_add(target, index, values)
    assert result is None
    assert_close(target, expected)


@pytest.mark.parametrize("M, K, n", [
    (5, 1, 40),        # K == 1: the tight serial loop; many repeats per row
    (7, 3, 50),        # small K: the serial nest
    (1, 4, 9),         # every value row lands in the only target row
    (40, 64, 600),     # 256-byte float32 rows, 38400 additions: the parallel split
    (3, 80, 500),      # wide rows, fewer target rows than threads might be
])
def test_matches_add_at(twin, float_dtype, rng, M, K, n):
    _check(*_case(rng, M, K, n, float_dtype))


def test_repeated_indices_add_up(twin, float_dtype):
    target = np.zeros((3, 2), dtype=float_dtype)
    index = np.array([2, 0, 2, 2], dtype=np.int64)
    values = np.arange(8, dtype=float_dtype).reshape(4, 2)
    _ext.get("scatter").scatter_add(target, index, values)
    # row 2 gets value rows 0, 2 and 3; row 0 gets row 1; row 1 nothing
    assert_close(target, np.array([values[1], [0, 0], values[0] + values[2] + values[3]],
                                  dtype=float_dtype))


@pytest.mark.parametrize("M, K", [(4, 1), (4, 3), (4, 100)])
def test_no_indices_leaves_target_unchanged(twin, float_dtype, rng, M, K):
    target, index, values = _case(rng, M, K, 0, float_dtype)
    before = target.copy()
    _check(target, index, values)
    np.testing.assert_array_equal(target, before)


def test_zero_columns(twin, float_dtype):
    target = np.zeros((3, 0), dtype=float_dtype)
    _ext.get("scatter").scatter_add(target, np.array([0, 2], dtype=np.int64),
                                    np.zeros((2, 0), dtype=float_dtype))
    assert target.shape == (3, 0)


def test_values_are_not_modified(twin, rng):
    target, index, values = _case(rng, 6, 5, 30, np.float64)
    values_before, index_before = values.copy(), index.copy()
    _ext.get("scatter").scatter_add(target, index, values)
    np.testing.assert_array_equal(values, values_before)
    np.testing.assert_array_equal(index, index_before)


def test_read_only_values_are_accepted(twin, rng):
    target, index, values = _case(rng, 6, 5, 30, np.float32)
    values.flags.writeable = False
    index.flags.writeable = False
    _check(target, index, values)


@pytest.mark.parametrize("K", [1, 7, 128])
def test_twins_add_in_the_same_order(float_dtype, rng, K):
    """Both twins add into each element in the order i = 0, 1, ...: identical bits."""
    if not _ext.compiled_available("scatter"):
        pytest.skip(f"the compiled scatter twin is not built; {_ext.BUILD_HINT}")
    target, index, values = _case(rng, 9, K, 400, float_dtype)
    other = target.copy()
    _ext._reference["scatter"].scatter_add(target, index, values)
    _ext._compiled["scatter"].scatter_add(other, index, values)
    np.testing.assert_array_equal(other, target)


def test_fixture_runs_the_named_twin(twin):
    loaded = _ext._compiled if twin == "compiled" else _ext._reference
    assert _ext.get("scatter") is loaded["scatter"]
