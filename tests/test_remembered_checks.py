"""``lucid._checks.remembered``: a checking function's calls kept by what the checks
read, so a model's layers are not checked again every step; what must still fail
fails."""
import math

import numpy as np
import pytest

import lucid
from lucid._checks import _NOT_KEYED, _key_of, remembered, remembered_by_identity


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


# ------------------------------------------------------------------ by identity
def test_by_identity_keeps_the_same_objects_and_checks_anything_else():
    runs = []

    @remembered_by_identity(by_value=1)
    def check(shape, stride, flag):
        runs.append(stride)
        if not all(type(s) is int and s > 0 for s in stride):
            raise TypeError(f"check: stride must be positive ints; got {stride}")
        if type(flag) is not bool:
            raise TypeError(f"check: flag must be a bool; got {flag!r}")
        return tuple(n // s for n, s in zip(shape, stride))

    stride = (2, 2)
    first = check((8, 8), stride, True)
    assert check((8, 8), stride, True) is first and len(runs) == 1
    assert check((6, 6), stride, True) == (3, 3) and len(runs) == 2     # shapes by value
    for bad in ((2.0, 2.0), (2, 0)):                 # equal or alike, not the same object
        for _ in range(2):
            with pytest.raises(TypeError, match="stride must be positive ints"):
                check((8, 8), bad, True)
    with pytest.raises(TypeError, match="flag must be a bool"):
        check((8, 8), stride, 1)                     # 1 == True, but not the same object
    listed = [2, 2]
    check((8, 8), listed, True)
    listed[1] = 0                                    # a list may change: never kept
    with pytest.raises(TypeError, match="stride must be positive ints"):
        check((8, 8), listed, True)
    assert len(check.seen) == 2


def test_by_identity_holds_what_it_keeps_so_an_id_is_never_reused():
    """A kept call holds its arguments: while it is kept, the object whose id is its
    key stays alive, so no new object can take that id (CPython reuses the
    addresses of freed objects)."""
    @remembered_by_identity(by_value=0)
    def check(size):
        return size[0]

    size = tuple([7])                                # a tuple only this test holds
    kept_id = id(size)
    assert check(size) == 7
    del size
    (found, held), = check.seen.values()
    assert found == 7 and held[0] == (7,) and id(held[0]) == kept_id
    assert list(check.seen) == [(kept_id,)]


def test_kernel_checks_remember_the_geometry_but_not_bad_calls():
    """The kernels' size checks (lucid._ext._checks) run once per geometry; a float
    stride or an int for ceil_mode, equal to a kept call's, still raises."""
    from lucid._ext import _checks
    x = np.zeros((1, 2, 8, 8), np.float32)
    k, pad, dil = (2, 2), (0, 0), (1, 1)
    _checks.max_pool_forward(x, k, k, pad, dil, False)
    assert len(_checks._pool_geometry.seen) >= 1
    with pytest.raises(TypeError, match="stride"):
        _checks.max_pool_forward(x, k, (2.0, 2.0), pad, dil, False)
    with pytest.raises(TypeError, match="ceil_mode must be a bool"):
        _checks.max_pool_forward(x, k, k, pad, dil, 0)
    w = np.zeros((3, 2, 3, 3), np.float32)
    _checks.conv_forward(x, w, dil, dil, dil, 1)
    with pytest.raises(TypeError, match="groups must be an int"):
        _checks.conv_forward(x, w, dil, dil, dil, True)
    with pytest.raises(TypeError, match="w must have the dtype of x"):
        _checks.conv_forward(x, w.astype(np.float64), dil, dil, dil, 1)


@pytest.mark.parametrize("twin", ["reference", "compiled"])
def test_a_convolutions_backward_is_checked_once_per_geometry(monkeypatch, twin):
    """The backward of a convolution and of a transposed one builds its kernel size
    (``w.shape[2:]``) and ``output_padding`` anew each call; interned, the kernels'
    remembered size checks find them again, so a step after the first runs no geometry
    check. (Three steps: a table that was full when the first step began is started
    again during it, and the second step fills it anew.)"""
    from lucid import _ext
    from lucid._checks import interned
    from lucid._ext import _checks
    if twin == "compiled" and not _ext.compiled_available("conv"):
        pytest.skip(f"the compiled conv twin is not built; {_ext.BUILD_HINT}")
    rng = np.random.default_rng(0)
    model = lucid.nn.Sequential(lucid.nn.Conv2d(2, 3, 3, stride=2, padding=1),
                                lucid.nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1))
    x = lucid.Tensor(rng.standard_normal((2, 2, 9, 9)).astype(np.float32))
    runs = []
    geometry = _checks._geometry
    monkeypatch.setattr(_checks, "_geometry", lambda *a: runs.append(a) or geometry(*a))
    with lucid.kernels.use(twin, "conv"):
        for _ in range(3):
            runs.clear()
            model(x).sum().backward()
    assert runs == []
    assert interned((3, 3)) is interned(tuple([3, 3]))


def test_adaptive_pooling_remembers_its_sizes_but_not_bad_calls():
    """``adaptive_avg_pool2d``'s checks are remembered per input shape and output size:
    the same call gives the same sizes without them, while a bad size, a float for an
    int, another input's shape or an int tensor after good calls still fail."""
    import lucid.nn.functional as F
    from lucid.nn.functional.pool import _adaptive_args
    x = lucid.Tensor(np.random.default_rng(0).standard_normal((1, 3, 6, 4)).astype(np.float32))
    assert F.adaptive_avg_pool2d(x, (3, 2)).shape == (1, 3, 3, 2)
    assert F.adaptive_avg_pool2d(x, (3, 2)).shape == (1, 3, 3, 2)
    assert any(key[2][1] == (1, 3, 6, 4) for key in _adaptive_args.seen)
    with pytest.raises(ValueError, match="must not be negative"):
        F.adaptive_avg_pool2d(x, (3, -2))
    with pytest.raises(TypeError, match="output_size must be an int"):
        F.adaptive_avg_pool2d(x, (3.0, 2))
    with pytest.raises(ValueError, match="output_size must be an int or a tuple of 2"):
        F.adaptive_avg_pool2d(x, (3, 2, 1))
    with pytest.raises(TypeError, match="float32 or float64"):
        F.adaptive_avg_pool2d(lucid.Tensor(np.zeros((1, 3, 6, 4), np.int64)), (3, 2))
    y = F.adaptive_avg_pool2d(lucid.Tensor(np.ones((2, 3, 6, 4), np.float32)), (None, 2))
    assert y.shape == (2, 3, 6, 2)


def test_normalize_axis_int_fast_path_keeps_the_rules():
    """An int axis in range takes one test; every other case keeps the full rules: out
    of range, a bool, a 0-d tensor's axes 0 and -1, tuples, None."""
    from lucid._checks import normalize_axis
    for ndim in (1, 2, 4):
        for axis in range(-ndim, ndim):
            assert normalize_axis(axis, ndim, "f") == axis % ndim
        for axis in (ndim, -ndim - 1):
            with pytest.raises(ValueError, match=f"f: axis {axis} is out of range"):
                normalize_axis(axis, ndim, "f")
    assert normalize_axis(0, 0, "f") == normalize_axis(-1, 0, "f") == 0
    with pytest.raises(ValueError, match="out of range"):
        normalize_axis(1, 0, "f")
    with pytest.raises(TypeError, match="axis must be an int"):
        normalize_axis(True, 2, "f")
    assert normalize_axis(np.int64(-1), 3, "f") == 2
    assert normalize_axis((0, -1), 3, "f") == (0, 2) and normalize_axis(None, 3, "f") is None
