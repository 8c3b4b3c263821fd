"""The pooling kernels on both twins.

Oracles: tiny element-by-element loops written here (one output at a time, straight
from the formulas of ``lucid/_ext/pool.py``), and PyTorch's max / avg pooling (values,
max indices, and autograd input gradients) over a seeded randomised grid of kernel,
stride, padding, dilation, ceil_mode and count_include_pad in 1d, 2d and 3d, float32
and float64. The two twins are also compared with each other on larger inputs, where
the compiled twin splits the planes between threads.
"""
import functools
import itertools
import pathlib

import numpy as np
import pytest

from tests.conftest import torch
from lucid import _ext
from lucid._ext._sizes import pool_output_size
from lucid.testing import assert_close, check_kernels

KERNEL_FAMILIES = ("pool",)
needs_torch = pytest.mark.torch
BUILD = f"the compiled pool twin is not built; {_ext.BUILD_HINT}"


def pool():
    return _ext.get("pool")


# ------------------------------------------------------------------ tiny loop oracles
def _windows(spatial, kernel, stride, padding, dilation, ceil_mode):
    """For every output position (row-major), the input positions of its window that
    lie inside the input (row-major), and the window's extent inside the padded input."""
    d = len(spatial)
    out = tuple(pool_output_size(spatial[a], kernel[a], stride[a], padding[a], dilation[a],
                                 ceil_mode) for a in range(d))
    result = []
    for o in itertools.product(*(range(n) for n in out)):
        inside, padded = [], 1
        for k in itertools.product(*(range(n) for n in kernel)):
            i = tuple(o[a] * stride[a] + k[a] * dilation[a] - padding[a] for a in range(d))
            if all(0 <= i[a] < spatial[a] for a in range(d)):
                inside.append(i)
        for a in range(d):
            start = o[a] * stride[a] - padding[a]
            padded *= min(start + kernel[a], spatial[a] + padding[a]) - start
        result.append((o, inside, padded))
    return out, result


def loop_max_pool(x, kernel, stride, padding, dilation, ceil_mode):
    """Max and argmax one window at a time: a strictly larger value (or a NaN) wins."""
    spatial = x.shape[2:]
    out, windows = _windows(spatial, kernel, stride, padding, dilation, ceil_mode)
    y = np.full(x.shape[:2] + out, -np.inf, dtype=x.dtype)
    arg = np.full(x.shape[:2] + out, -1, dtype=np.int64)
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for o, inside, _ in windows:
            best, at = -np.inf, -1
            for j, i in enumerate(inside):
                v = x[(n, c) + i]
                if j == 0:                           # the first position holds the seat
                    at = np.ravel_multi_index(i, spatial)
                if v > best or np.isnan(v):
                    best, at = v, np.ravel_multi_index(i, spatial)
            y[(n, c) + o], arg[(n, c) + o] = best, at
    return y, arg


def loop_avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor):
    spatial = x.shape[2:]
    ones = (1,) * len(spatial)
    out, windows = _windows(spatial, kernel, stride, padding, ones, ceil_mode)
    y = np.zeros(x.shape[:2] + out, dtype=x.dtype)
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for o, inside, padded in windows:
            total = sum(float(x[(n, c) + i]) for i in inside)
            div = divisor if divisor is not None else (padded if count_include_pad
                                                       else len(inside))
            y[(n, c) + o] = total / div
    return y


# ------------------------------------------------------------------ random configurations
def _tup(rng, d, lo, hi):
    return tuple(int(v) for v in rng.integers(lo, hi + 1, size=d))


@functools.lru_cache(maxsize=None)
def configs(count, seed):
    """``count`` valid configurations (padding <= K // 2, every output size >= 1)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        d = 1 + len(out) % 3
        kernel = _tup(rng, d, 1, 4 if d < 3 else 3)
        stride = _tup(rng, d, 1, 3)
        padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
        dilation = _tup(rng, d, 1, 3)
        spatial = _tup(rng, d, 1, 8 if d < 3 else 5)
        ceil_mode = bool(rng.integers(2))
        sizes = [pool_output_size(*a, ceil_mode) for a in zip(spatial, kernel, stride,
                                                              padding, dilation)]
        avg_sizes = [pool_output_size(*a, 1, ceil_mode) for a in zip(spatial, kernel, stride,
                                                                     padding)]
        if min(sizes) < 1 or min(avg_sizes) < 1:
            continue
        out.append(dict(
            d=d, shape=(int(rng.integers(1, 3)), int(rng.integers(1, 4))) + spatial,
            kernel=kernel, stride=stride, padding=padding, dilation=dilation,
            ceil_mode=ceil_mode, count_include_pad=bool(rng.integers(2)),
            divisor=None if rng.integers(3) else int(rng.integers(1, 5)),
            ties=bool(rng.integers(2)),
            dtype=[np.float32, np.float64][int(rng.integers(2))]))
    return out


def _input(cfg, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(cfg["shape"])
    if cfg["ties"]:
        x = np.round(x)                  # many equal values: the first maximum must win
    return x.astype(cfg["dtype"])


def _torch_max(cfg, x, grad):
    tx = torch.tensor(x, requires_grad=True)
    fn = getattr(torch.nn.functional, f"max_pool{cfg['d']}d")
    y, index = fn(tx, cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"],
                  ceil_mode=cfg["ceil_mode"], return_indices=True)
    y.backward(torch.tensor(grad))
    return y.detach().numpy(), index.numpy(), tx.grad.numpy()


def _torch_avg(cfg, x, grad):
    tx = torch.tensor(x, requires_grad=True)
    fn = getattr(torch.nn.functional, f"avg_pool{cfg['d']}d")
    extra = {} if cfg["d"] == 1 else {"divisor_override": cfg["divisor"]}
    y = fn(tx, cfg["kernel"], cfg["stride"], cfg["padding"], ceil_mode=cfg["ceil_mode"],
           count_include_pad=cfg["count_include_pad"], **extra)
    y.backward(torch.tensor(grad))
    return y.detach().numpy(), tx.grad.numpy()


def _avg_args(cfg):
    divisor = None if cfg["d"] == 1 else cfg["divisor"]   # torch's avg_pool1d has none
    return (cfg["kernel"], cfg["stride"], cfg["padding"], cfg["ceil_mode"],
            cfg["count_include_pad"], divisor)


GRID = configs(36, seed=5)


# ------------------------------------------------------------------ against torch
@needs_torch
@pytest.mark.parametrize("index", range(len(GRID)))
def test_max_pool_matches_torch(twin, index):
    cfg = GRID[index]
    x = _input(cfg, index)
    y, argmax = pool().max_pool_forward(x, cfg["kernel"], cfg["stride"], cfg["padding"],
                                        cfg["dilation"], cfg["ceil_mode"])
    grad = np.random.default_rng(100 + index).standard_normal(y.shape).astype(x.dtype)
    ty, tindex, tgrad = _torch_max(cfg, x, grad)
    assert (y.dtype, argmax.dtype) == (x.dtype, np.int64)
    np.testing.assert_array_equal(y, ty)            # a max copies a value: exact
    empty = argmax < 0        # a window with no element inside: torch's index is garbage
    np.testing.assert_array_equal(argmax[~empty], tindex[~empty])
    if empty.any():
        assert np.all(y[empty] == -np.inf)
    else:                     # torch's backward writes out of bounds for empty windows
        assert_close(pool().max_pool_backward(grad, argmax, x.shape), tgrad)


@needs_torch
@pytest.mark.parametrize("index", range(len(GRID)))
def test_avg_pool_matches_torch(twin, index):
    cfg = GRID[index]
    x = _input(cfg, index)
    args = _avg_args(cfg)
    y = pool().avg_pool_forward(x, *args)
    grad = np.random.default_rng(200 + index).standard_normal(y.shape).astype(x.dtype)
    if cfg["d"] == 3 and any(s < k for s, k in zip(cfg["shape"][2:], cfg["kernel"])):
        pytest.skip("torch's avg_pool3d refuses inputs smaller than the kernel "
                    "(covered by the loop oracle test)")
    ty, tgrad = _torch_avg(cfg, x, grad)
    assert y.dtype == x.dtype
    assert_close(y, ty)
    assert_close(pool().avg_pool_backward(grad, x.shape, *args), tgrad)


# ------------------------------------------------------------------ against the loops
@pytest.mark.parametrize("index", range(0, len(GRID), 3))
def test_kernels_match_the_loop_oracles(twin, index):
    cfg = GRID[index + 2]    # the 3d configurations: their windows are the richest
    x = _input(cfg, index)
    y, argmax = pool().max_pool_forward(x, cfg["kernel"], cfg["stride"], cfg["padding"],
                                        cfg["dilation"], cfg["ceil_mode"])
    ly, larg = loop_max_pool(x, cfg["kernel"], cfg["stride"], cfg["padding"],
                             cfg["dilation"], cfg["ceil_mode"])
    np.testing.assert_array_equal(y, ly)
    np.testing.assert_array_equal(argmax, larg)
    args = _avg_args(cfg)
    assert_close(pool().avg_pool_forward(x, *args), loop_avg_pool(x, *args))


def test_avg_backward_is_the_adjoint_of_the_forward(twin, rng):
    """<avg_pool(x), u> == <x, avg_pool_backward(u)>: the backward is the transpose."""
    for cfg in GRID[:12]:
        x = rng.standard_normal(cfg["shape"])
        args = _avg_args(cfg)
        y = pool().avg_pool_forward(x, *args)
        u = rng.standard_normal(y.shape)
        gx = pool().avg_pool_backward(u, x.shape, *args)
        assert np.isclose(np.vdot(y, u), np.vdot(x, gx), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ special values
def test_ties_go_to_the_first_maximum(twin, float_dtype):
    x = np.array([[[2.0, 2.0, 1.0, 2.0, 2.0]]], dtype=float_dtype)
    y, argmax = pool().max_pool_forward(x, (3,), (1,), (1,), (1,), False)
    np.testing.assert_array_equal(argmax, [[[0, 0, 1, 3, 3]]])
    gx = pool().max_pool_backward(np.ones_like(y), argmax, x.shape)
    np.testing.assert_array_equal(gx, np.array([[[2, 1, 0, 2, 0]]], dtype=float_dtype))


def test_nan_propagates_and_the_last_nan_wins(twin):
    nan = np.nan
    x = np.array([[[nan, 1.0, nan, 2.0, 0.0, 3.0, 1.0, 2.0]]])
    y, argmax = pool().max_pool_forward(x, (4,), (4,), (0,), (1,), False)
    assert np.isnan(y[0, 0, 0]) and y[0, 0, 1] == 3.0
    np.testing.assert_array_equal(argmax, [[[2, 5]]])   # as torch: NaN replaces, even NaN


def test_all_minus_infinity_keeps_the_first_position(twin):
    x = np.full((1, 1, 3), -np.inf)
    y, argmax = pool().max_pool_forward(x, (2,), (1,), (1,), (1,), False)
    assert np.all(y == -np.inf)
    np.testing.assert_array_equal(argmax, [[[0, 0, 1, 2]]])   # as torch


def test_a_window_with_no_element_inside(twin):
    """Dilation can put every element of a window in the padding: -inf, argmax -1, and
    its gradient goes nowhere (torch returns an index outside the plane here)."""
    x = np.array([[[5.0, 7.0]]])
    y, argmax = pool().max_pool_forward(x, (2,), (1,), (1,), (3,), False)
    assert y.shape == (1, 1, 1) and y[0, 0, 0] == -np.inf and argmax[0, 0, 0] == -1
    np.testing.assert_array_equal(pool().max_pool_backward(np.ones_like(y), argmax, x.shape),
                                  np.zeros_like(x))
    x = np.arange(4.0).reshape(1, 1, 2, 2)     # 2d: empty along W only
    y, argmax = pool().max_pool_forward(x, (1, 2), (1, 1), (0, 1), (1, 3), False)
    np.testing.assert_array_equal(argmax, -np.ones((1, 1, 2, 1)))


def test_padding_is_never_the_maximum_and_adds_zeros_to_averages(twin):
    x = -np.ones((1, 1, 2, 2))
    y, argmax = pool().max_pool_forward(x, (2, 2), (1, 1), (1, 1), (1, 1), False)
    np.testing.assert_array_equal(y, -np.ones((1, 1, 3, 3)))
    y = pool().avg_pool_forward(x, (2, 2), (1, 1), (1, 1), False, True, None)
    np.testing.assert_array_equal(y[0, 0, 0], [-0.25, -0.5, -0.25])
    y = pool().avg_pool_forward(x, (2, 2), (1, 1), (1, 1), False, False, None)
    np.testing.assert_array_equal(y, -np.ones((1, 1, 3, 3)))


def test_ceil_mode_divisor_stops_at_the_right_padding(twin):
    # L = 6, K = 3, s = 2, p = 1, ceil: the last window [5, 8) is cut at L + p = 7 -> 2
    x = np.ones((1, 1, 6))
    y = pool().avg_pool_forward(x, (3,), (2,), (1,), True, True, None)
    np.testing.assert_allclose(y, [[[2 / 3, 1.0, 1.0, 0.5]]])


def test_geometries_in_turn_each_get_their_own_plan(twin, rng):
    """The compiled twin keeps each geometry's plan tables between calls: geometries
    that differ only in padding, ceil_mode or count_include_pad, called in turn and
    then again, each still match the loops."""
    x = rng.standard_normal((2, 3, 7, 6))
    cases = [((3, 2), (2, 2), (1, 0), False, True), ((3, 2), (2, 2), (1, 0), False, False),
             ((3, 2), (2, 2), (0, 0), False, True), ((3, 2), (2, 2), (1, 0), True, True)]
    for kernel, stride, padding, ceil_mode, include_pad in cases + cases[::-1]:
        y, argmax = pool().max_pool_forward(x, kernel, stride, padding, (1, 1), ceil_mode)
        ly, larg = loop_max_pool(x, kernel, stride, padding, (1, 1), ceil_mode)
        np.testing.assert_array_equal(y, ly)
        np.testing.assert_array_equal(argmax, larg)
        args = (kernel, stride, padding, ceil_mode, include_pad, None)
        assert_close(pool().avg_pool_forward(x, *args), loop_avg_pool(x, *args))


@pytest.mark.parametrize("d", [1, 2, 3])
def test_empty_batch(twin, float_dtype, d):
    x = np.zeros((0, 3) + (4,) * d, dtype=float_dtype)
    k = (2,) * d
    y, argmax = pool().max_pool_forward(x, k, k, (0,) * d, (1,) * d, False)
    assert y.shape == argmax.shape == (0, 3) + (2,) * d
    assert pool().max_pool_backward(y, argmax, x.shape).shape == x.shape
    y = pool().avg_pool_forward(x, k, k, (0,) * d, False, True, None)
    assert y.shape == (0, 3) + (2,) * d and y.dtype == float_dtype
    gx = pool().avg_pool_backward(y, x.shape, k, k, (0,) * d, False, True, None)
    assert gx.shape == x.shape and gx.dtype == float_dtype


def test_read_only_inputs_are_accepted_and_not_modified(twin, rng):
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    x.flags.writeable = False
    y, argmax = pool().max_pool_forward(x, (3, 2), (2, 1), (1, 1), (1, 2), True)
    g = np.ones_like(y)
    for a in (y, argmax, g):
        a.flags.writeable = False
    pool().max_pool_backward(g, argmax, x.shape)
    y = pool().avg_pool_forward(x, (3, 2), (2, 1), (1, 1), True, False, None)
    y.flags.writeable = False
    pool().avg_pool_backward(y, x.shape, (3, 2), (2, 1), (1, 1), True, False, None)


# ------------------------------------------------------------------ the twins agree
@pytest.mark.parametrize("shape, kernel, stride, padding, dilation, ceil_mode", [
    ((4, 8, 13, 11), (3, 3), (2, 2), (1, 1), (1, 1), True),
    ((3, 5, 29), (4,), (3,), (2,), (2,), False),
    ((2, 4, 6, 7, 5), (2, 3, 2), (1, 2, 2), (1, 1, 0), (2, 1, 1), True),
])
def test_twins_agree_on_larger_inputs(float_dtype, shape, kernel, stride, padding,
                                      dilation, ceil_mode):
    if not _ext.compiled_available("pool"):
        pytest.skip(BUILD)
    rng = np.random.default_rng(3)
    x = np.round(rng.standard_normal(shape) * 4).astype(float_dtype)   # with ties
    y, argmax = check_kernels("pool", "max_pool_forward", x, kernel, stride, padding,
                              dilation, ceil_mode)
    g = rng.standard_normal(y.shape).astype(float_dtype)
    check_kernels("pool", "max_pool_backward", g, argmax, x.shape)
    for include in (True, False):
        args = (kernel, stride, padding, ceil_mode, include, None)
        y_avg = check_kernels("pool", "avg_pool_forward", x, *args)
        g_avg = rng.standard_normal(y_avg.shape).astype(float_dtype)  # no dilation: own shape
        check_kernels("pool", "avg_pool_backward", g_avg, x.shape, *args)
    check_kernels("pool", "avg_pool_forward", x, kernel, stride, padding, ceil_mode, True, -3)


# ------------------------------------------------------------------ the 2x2 loop
def test_pairs_rule():
    """The compiled twin's 2x2 stride-2 loop (``_max_plane_2x2``) is taken for 2-d
    pooling of that window without padding or dilation, every window inside the input."""
    if not _ext.compiled_available("pool"):
        pytest.skip(BUILD)
    pairs = _ext._compiled["pool"]._pairs
    assert pairs((28, 28), (14, 14), (2, 2), (2, 2), (0, 0), (1, 1))
    assert pairs((7, 9), (3, 4), (2, 2), (2, 2), (0, 0), (1, 1))         # odd: floor
    assert not pairs((7, 9), (4, 5), (2, 2), (2, 2), (0, 0), (1, 1))     # ceil_mode's edge
    assert not pairs((8, 8), (5, 5), (2, 2), (2, 2), (1, 1), (1, 1))     # padding
    assert not pairs((8, 8), (7, 7), (2, 2), (1, 1), (0, 0), (1, 1))     # stride 1
    assert not pairs((8, 8), (3, 3), (2, 2), (2, 2), (0, 0), (2, 2))     # dilation
    assert not pairs((8, 8), (3, 3), (3, 3), (2, 2), (0, 0), (1, 1))     # 3x3
    assert not pairs((8,), (4,), (2,), (2,), (0,), (1,))                 # 1-d
    assert not pairs((4, 8, 8), (2, 4, 4), (2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1))


@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (1, 4, 7, 9), (3, 2, 28, 28)])
def test_pairs_loop_equals_the_general_loop(float_dtype, shape):
    """Values and indices of the 2x2 loop equal the general loop's, bit for bit, with
    ties, NaN (the last one wins), -inf windows and odd sizes; and the reference's."""
    if not _ext.compiled_available("pool"):
        pytest.skip(BUILD)
    module = _ext._compiled["pool"]
    rng = np.random.default_rng(4)
    x = np.round(rng.standard_normal(shape) * 2).astype(float_dtype)      # ties
    x[0, 0, :2, :2] = np.nan
    x[0, -1, 2:4, 2:4] = [[np.nan, 1.0], [np.nan, 3.0]]
    x[-1, 0, :2, 2:4] = -np.inf
    N, C, H, W = shape
    out = (H // 2, W // 2)
    geometry = ((2, 2), (2, 2), (0, 0), (1, 1))
    rows, cols = module._tables((H, W), out, *geometry, True)
    plan = (rows, cols, (H, W), out) + geometry[1:] + (None,)
    found = []
    for pairs in (False, True):
        y = np.empty((N * C, out[0] * out[1]), dtype=float_dtype)
        argmax = np.empty(y.shape, dtype=np.int64)
        module._max_forward(x.reshape(N * C, -1), y, argmax, plan, 2, pairs)
        found.append((y, argmax))
    np.testing.assert_array_equal(found[0][0], found[1][0])        # NaN where NaN
    np.testing.assert_array_equal(found[0][1], found[1][1])
    assert found[1][1].reshape(N, C, -1)[0, -1, out[1] + 1] == 3 * W + 2    # the last NaN
    check_kernels("pool", "max_pool_forward", x, *geometry, False)


@pytest.mark.parametrize("width", [1, 2, 3, 4, 5, 7, 8, 9, 14, 256])
def test_pairs_loop_on_every_window_of_special_values(float_dtype, width):
    """Every 2x2 window of NaN, -inf, 0 and 1 (256 windows: each tie, each NaN
    position) gives the general loop's value and index on the 2x2 loop, for rows of
    ``width`` windows (the float32 loop's groups of four, its overlapping last group
    and its short rows)."""
    if not _ext.compiled_available("pool"):
        pytest.skip(BUILD)
    module = _ext._compiled["pool"]
    values = np.array([np.nan, -np.inf, 0.0, 1.0])
    windows = np.array(np.meshgrid(values, values, values, values, indexing="ij"))
    windows = windows.reshape(4, -1).T                   # (256, 4): a, b, c, d
    rows = -(-len(windows) // width)                     # rows of `width` windows
    windows = np.concatenate([windows, windows[:rows * width - len(windows)]])
    quads = windows.reshape(rows, width, 2, 2)           # (oh, ow, i, j)
    plane = quads.transpose(0, 2, 1, 3).reshape(2 * rows, 2 * width)
    plane = np.pad(plane, ((0, 1), (0, 1)), constant_values=5.0)   # odd: the edge unread
    x = np.ascontiguousarray(plane[None].astype(float_dtype))
    H, W = x.shape[1:]
    out = (rows, width)
    geometry = ((2, 2), (2, 2), (0, 0), (1, 1))
    tables = module._tables((H, W), out, *geometry, True)
    plan = tables + ((H, W), out) + geometry[1:] + (None,)
    found = []
    for pairs in (False, True):
        y = np.empty((1, rows * width), dtype=float_dtype)
        argmax = np.empty(y.shape, dtype=np.int64)
        module._max_forward(x.reshape(1, -1), y, argmax, plan, 1, pairs)
        found.append((y, argmax))
    np.testing.assert_array_equal(found[0][0], found[1][0])
    np.testing.assert_array_equal(found[0][1], found[1][1])
    assert np.isnan(found[1][0]).sum() == np.isnan(windows).any(axis=1).sum()


@pytest.mark.torch
def test_output_size_matches_torch():
    for L, K, s, p, dil, ceil in itertools.product(range(1, 8), range(1, 4), range(1, 4),
                                                   range(0, 2), range(1, 3), (False, True)):
        if 2 * p > K:
            continue
        size = pool_output_size(L, K, s, p, dil, ceil)
        if size < 1:
            with pytest.raises(RuntimeError):
                torch.nn.functional.max_pool1d(torch.zeros(1, 1, L), K, s, p, dil, ceil)
            continue
        y = torch.nn.functional.max_pool1d(torch.zeros(1, 1, L), K, s, p, dil, ceil)
        assert y.shape[-1] == size, (L, K, s, p, dil, ceil)


def test_fixture_runs_the_named_twin(twin):
    loaded = _ext._compiled if twin == "compiled" else _ext._reference
    assert _ext.get("pool") is loaded["pool"]


def test_each_kernel_is_marked_in_both_twins():
    """The docs show the twins side by side between ``# [kernel: NAME]`` markers."""
    folder = pathlib.Path(_ext.__file__).parent
    for source in ("pool.py", "_pool.pyx"):
        text = (folder / source).read_text()
        for name in ("max_pool_forward", "max_pool_backward", "avg_pool_forward",
                     "avg_pool_backward"):
            start, end = f"# [kernel: {name}]", f"# [end kernel: {name}]"
            assert text.count(start) == 1 and text.count(end) == 1, (source, name)
            block = text[text.index(start):text.index(end)]
            assert f"def {name}(" in block, (source, name)
