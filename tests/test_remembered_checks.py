"""``lucid._checks.remembered``: a checking function's calls kept by what the checks
read, so a model's layers are not checked again every step; what must still fail
fails."""
import math

import numpy as np
import pytest

import lucid
from lucid._checks import _NOT_KEYED, _key_of, remembered


def test_keys_tell_apart_what_compares_equal():
    """True, 1 and 1.0 compare equal but are three keys; a Tensor's key is its class,
    shape and dtype (not its values); lists, NumPy numbers and arrays have none."""
    assert len({_key_of(True), _key_of(1), _key_of(1.0)}) == 3
    assert _key_of((1, 2)) != _key_of((True, 2)) and _key_of((1, 2)) == _key_of((1, 2))
    a, b = lucid.zeros((2, 3)), lucid.ones((2, 3))
    assert _key_of(a) == _key_of(b) != _key_of(lucid.zeros((3, 2)))
    assert _key_of(a) != _key_of(lucid.zeros((2, 3), dtype=lucid.float64))
    assert _key_of(a) != _key_of(lucid.nn.Parameter(np.zeros((2, 3), np.float32)))
    for value in ([1, 2], np.int64(1), np.float32(1.0), np.zeros(2), (1, [2]), object()):
        assert _key_of(value) is _NOT_KEYED
    assert _key_of(None) == (type(None), None) and _key_of("same") == (str, "same")


def test_a_call_is_checked_once_and_a_failure_every_time():
    runs = []

    @remembered
    def check(x, eps):
        runs.append(eps)
        if not eps > 0:
            raise ValueError(f"check: eps must be positive; got {eps}")
        return (x.shape, float(eps))

    x = lucid.zeros((2, 3))
    first = check(x, 0.5)
    assert check(lucid.ones((2, 3)), 0.5) is first and runs == [0.5]
    check(x, 1)                                  # 1 is not 1.0: checked
    assert len(runs) == 2
    for _ in range(2):
        with pytest.raises(ValueError, match="eps must be positive"):
            check(x, -1.0)
    assert len(runs) == 4
    for _ in range(2):                           # a NaN never equals a key: checked
        with pytest.raises(ValueError):
            check(x, math.nan)
    assert len(runs) == 6 and len(check.seen) == 2
    check(x, np.float64(0.5))                    # no key: checked every time
    check(x, np.float64(0.5))
    assert len(runs) == 8 and len(check.seen) == 2


def test_at_most_512_calls_are_kept():
    @remembered
    def check(n):
        return (n,)

    for n in range(600):
        check(n)
    assert 0 < len(check.seen) <= 512 and check(599) == (599,)
