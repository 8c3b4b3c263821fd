"""Pooling against torch.nn.functional, on both kernel twins.

* a seeded randomised grid (kernel, stride (None = kernel), padding, dilation,
  ceil_mode, count_include_pad, divisor_override; 1d/2d/3d; batched and unbatched;
  float32/float64): values and input gradients of max_pool / avg_pool;
* adaptive_avg_pool1d/2d/3d: output sizes smaller, equal and larger than the input,
  None entries, values and gradients;
* gradcheck in float64 for every function;
* every bad input: a ValueError / TypeError naming the function, the argument, what
  was expected and what was given, raised before any kernel runs.
"""
import functools
import importlib
import re

import numpy as np
import pytest

import lucid
from lucid import _ext
from lucid._ext._sizes import pool_output_size
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

# the module itself (lucid.nn.functional re-exports its functions)
F = importlib.import_module("lucid.nn.functional.pool")

KERNEL_FAMILIES = ("pool",)
needs_torch = pytest.mark.torch


def _torch(name):
    return getattr(torch.nn.functional, name)


def _tup(rng, d, lo, hi):
    return tuple(int(v) for v in rng.integers(lo, hi + 1, size=d))


@functools.lru_cache(maxsize=None)
def configs(count, seed):
    """``count`` valid pooling configurations, for both max and avg pooling."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        d = 1 + len(out) % 3
        kernel = _tup(rng, d, 1, 4 if d < 3 else 3)
        stride = None if rng.integers(4) == 0 else _tup(rng, d, 1, 3)
        padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
        dilation = _tup(rng, d, 1, 2)
        spatial = _tup(rng, d, 2, 8 if d < 3 else 5)
        ceil_mode = bool(rng.integers(2))
        s = kernel if stride is None else stride
        if any(pool_output_size(L, K, st, p, dl, ceil_mode) < 1
               for L, K, st, p, dl in zip(spatial, kernel, s, padding, dilation)):
            continue
        if d == 3 and any(L < K for L, K in zip(spatial, kernel)):
            continue                  # torch's avg_pool3d refuses these (tested below)
        unbatched = rng.integers(4) == 0
        shape = ((int(rng.integers(1, 4)),) if unbatched else (2, int(rng.integers(1, 4))))
        out.append(dict(
            d=d, shape=shape + spatial, kernel=kernel, stride=stride, padding=padding,
            dilation=dilation, ceil_mode=ceil_mode,
            count_include_pad=bool(rng.integers(2)),
            divisor=None if d == 1 or rng.integers(3) else int(rng.integers(1, 5)),
            dtype=[np.float32, np.float64][int(rng.integers(2))]))
    return out


GRID = configs(30, seed=11)


def _empty_window(cfg):
    """Whether some max-pool window has no element inside the input (torch's backward
    writes out of bounds there, so its gradient is no oracle)."""
    stride = cfg["kernel"] if cfg["stride"] is None else cfg["stride"]
    for L, K, s, p, dl in zip(cfg["shape"][-cfg["d"]:], cfg["kernel"], stride,
                              cfg["padding"], cfg["dilation"]):
        for o in range(pool_output_size(L, K, s, p, dl, cfg["ceil_mode"])):
            if not any(0 <= o * s + k * dl - p < L for k in range(K)):
                return True
    return False


@needs_torch
@pytest.mark.parametrize("index", range(len(GRID)))
def test_max_pool_matches_torch(twin, index):
    cfg = GRID[index]
    if _empty_window(cfg):
        pytest.skip("a window lies wholly in the padding: torch's backward is undefined there")
    x = np.random.default_rng(index).standard_normal(cfg["shape"]).astype(cfg["dtype"])
    name = f"max_pool{cfg['d']}d"
    args = (cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["ceil_mode"])
    torch_parity(lambda t: getattr(F, name)(t, *args),
                 lambda t: _torch(name)(t, *args), [x])


@needs_torch
@pytest.mark.parametrize("index", range(len(GRID)))
def test_avg_pool_matches_torch(twin, index):
    cfg = GRID[index]
    x = np.random.default_rng(index).standard_normal(cfg["shape"]).astype(cfg["dtype"])
    name = f"avg_pool{cfg['d']}d"
    args = (cfg["kernel"], cfg["stride"], cfg["padding"], cfg["ceil_mode"],
            cfg["count_include_pad"]) + (() if cfg["d"] == 1 else (cfg["divisor"],))
    torch_parity(lambda t: getattr(F, name)(t, *args),
                 lambda t: _torch(name)(t, *args), [x])


@needs_torch
@pytest.mark.parametrize("d, shape, output_size", [
    (1, (2, 3, 7), 3),
    (1, (3, 5), 8),                      # unbatched, output larger than the input
    (2, (2, 2, 9, 6), (4, 4)),
    (2, (2, 2, 5, 6), (None, 4)),        # None keeps H
    (2, (1, 3, 7, 7), 1),                # global average pooling
    (3, (1, 2, 5, 6, 7), (2, 3, 4)),
    (3, (2, 4, 3, 5), (3, None, 2)),     # unbatched 3d
])
def test_adaptive_avg_pool_matches_torch(twin, float_dtype, d, shape, output_size):
    x = np.random.default_rng(0).standard_normal(shape).astype(float_dtype)
    name = f"adaptive_avg_pool{d}d"
    torch_parity(lambda t: getattr(F, name)(t, output_size),
                 lambda t: _torch(name)(t, output_size), [x])


@needs_torch
def test_adaptive_avg_pool_to_size_zero_is_empty():
    x = np.ones((2, 3, 4, 5), dtype=np.float32)
    y = F.adaptive_avg_pool2d(lucid.Tensor(x), (0, 2))
    assert y.shape == tuple(_torch("adaptive_avg_pool2d")(torch.tensor(x), (0, 2)).shape)


@needs_torch
def test_default_stride_is_the_kernel_size(twin):
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 8)).astype(np.float32)
    for name in ("max_pool2d", "avg_pool2d"):
        y = getattr(F, name)(lucid.Tensor(x), (3, 2))
        expected = _torch(name)(torch.tensor(x), (3, 2))
        assert y.shape == (2, 3, 3, 4)
        np.testing.assert_allclose(y.data, expected.numpy(), rtol=1e-6)


# ------------------------------------------------------------------ gradcheck (float64)
@pytest.mark.parametrize("fn, shape, kwargs", [
    (F.max_pool1d, (2, 2, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (F.max_pool2d, (1, 2, 6, 5), dict(kernel_size=(2, 3), stride=1, dilation=(2, 1))),
    (F.max_pool3d, (1, 1, 4, 4, 5), dict(kernel_size=2, padding=1)),
    (F.avg_pool1d, (2, 2, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                   count_include_pad=False)),
    (F.avg_pool2d, (1, 2, 6, 5), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0),
                                      divisor_override=5)),
    (F.avg_pool3d, (1, 1, 4, 4, 5), dict(kernel_size=2, stride=1, ceil_mode=True)),
    (F.adaptive_avg_pool1d, (2, 2, 7), dict(output_size=3)),
    (F.adaptive_avg_pool2d, (1, 2, 5, 6), dict(output_size=(4, 4))),
    (F.adaptive_avg_pool3d, (1, 1, 3, 4, 5), dict(output_size=2)),
    (F.adaptive_avg_pool2d, (1, 2, 6, 4), dict(output_size=(3, 2))),   # disjoint blocks
    (F.adaptive_avg_pool2d, (2, 3, 5, 5), dict(output_size=1)),        # global pooling
    (F.adaptive_avg_pool1d, (2, 3), dict(output_size=3)),              # unbatched, block 1
])
def test_gradcheck(twin, fn, shape, kwargs):
    # distinct values well apart, so no finite-difference step changes which one wins
    x = np.random.default_rng(2).permutation(np.prod(shape)).reshape(shape) * 0.1
    x = lucid.Tensor(x, requires_grad=True, dtype=np.float64)
    assert gradcheck(lambda t: fn(t, **kwargs), [x])


def test_float32_stays_float32_and_unbatched_works(twin):
    x = lucid.Tensor(np.random.default_rng(3).standard_normal((3, 6, 6)).astype(np.float32),
                     requires_grad=True)
    for fn in (F.max_pool2d, F.avg_pool2d):
        y = fn(x, 2)
        assert y.shape == (3, 3, 3) and y.dtype == "float32"
        y.sum().backward()
        assert x.grad.shape == (3, 6, 6) and x.grad.dtype == np.float32
        x.grad = None
    y = F.adaptive_avg_pool2d(x, 2)
    assert y.shape == (3, 2, 2) and y.dtype == "float32"


def test_both_twins_give_the_same_result():
    if not _ext.compiled_available("pool"):
        pytest.skip(f"the compiled pool twin is not built; {_ext.BUILD_HINT}")
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 9)).astype(np.float32)
    results = []
    for kind in ("reference", "compiled"):
        with lucid.kernels.use(kind, "pool"):
            t = lucid.Tensor(x, requires_grad=True)
            y = F.max_pool2d(t, 3, 2, 1, ceil_mode=True) + F.avg_pool2d(t, 3, 2, 1, True)
            y.sum().backward()
            results.append((y.data, t.grad))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)


# ------------------------------------------------------------------ bad inputs
def _x(shape, dtype=np.float32):
    return lucid.Tensor(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("call, error, message", [
    # wrong ndim: the function, what is expected and the shape given
    (lambda: F.max_pool2d(_x((5, 5)), 2), ValueError,
     "max_pool2d: input_ must be 3-D (C, H, W) unbatched or 4-D (N, C, H, W) batched; "
     "got a 2-D tensor of shape (5, 5)"),
    (lambda: F.avg_pool1d(_x((1, 2, 3, 4)), 2), ValueError,
     "avg_pool1d: input_ must be 2-D (C, L) unbatched or 3-D (N, C, L) batched; "
     "got a 4-D tensor of shape (1, 2, 3, 4)"),
    (lambda: F.adaptive_avg_pool3d(_x((2, 3, 4)), 2), ValueError,
     "adaptive_avg_pool3d: input_ must be 4-D (C, D, H, W) unbatched or 5-D "
     "(N, C, D, H, W) batched; got a 3-D tensor of shape (2, 3, 4)"),
    (lambda: F.max_pool1d(_x((2, 0, 5)), 2), ValueError,
     "max_pool1d: input_ must have at least one channel"),
    # sizes
    (lambda: F.max_pool2d(_x((1, 1, 5, 5)), 0), ValueError,
     "max_pool2d: kernel_size must be positive; got 0"),
    (lambda: F.avg_pool2d(_x((1, 1, 5, 5)), 2, stride=(1, 0)), ValueError,
     "avg_pool2d: stride must be positive; got (1, 0)"),
    (lambda: F.max_pool1d(_x((1, 1, 5)), 2, dilation=0), ValueError,
     "max_pool1d: dilation must be positive; got 0"),
    (lambda: F.avg_pool1d(_x((1, 1, 5)), 2, padding=-1), ValueError,
     "avg_pool1d: padding must be non-negative; got -1"),
    (lambda: F.max_pool3d(_x((1, 1, 5, 5, 5)), (2, 2)), ValueError,
     "max_pool3d: kernel_size must be an int or a tuple of 3 ints"),
    (lambda: F.max_pool2d(_x((1, 1, 5, 5)), 2.5), TypeError,
     "max_pool2d: kernel_size must be an int or a tuple of ints; got 2.5"),
    # padding more than half the kernel, as torch
    (lambda: F.max_pool2d(_x((1, 1, 9, 9)), 3, padding=(1, 2)), ValueError,
     "max_pool2d: padding (2) must be at most half of kernel_size (3), i.e. at most 1 "
     "along spatial axis 1"),
    (lambda: F.avg_pool1d(_x((1, 1, 9)), 1, padding=1), ValueError,
     "avg_pool1d: padding (1) must be at most half of kernel_size (1), i.e. at most 0"),
    # an output size that is not positive
    (lambda: F.max_pool2d(_x((1, 1, 2, 2)), 3), ValueError,
     "max_pool2d: the output size floor((L + 2 * padding - dilation * (K - 1) - 1) / "
     "stride) + 1 = floor((2 + 2 * 0 - 1 * (3 - 1) - 1) / 3) + 1 = 0 is not positive "
     "along spatial axis 0"),
    (lambda: F.max_pool1d(_x((1, 1, 4)), 2, dilation=4), ValueError,
     "max_pool1d: the output size floor((L + 2 * padding - dilation * (K - 1) - 1) / "
     "stride) + 1 = floor((4 + 2 * 0 - 4 * (2 - 1) - 1) / 2) + 1 = 0 is not positive"),
    (lambda: F.avg_pool3d(_x((1, 1, 2, 5, 5)), 3, padding=1), ValueError,
     "avg_pool3d: input_ of spatial size (2, 5, 5) is smaller than kernel_size (3, 3, 3)"),
    # flags and divisor
    (lambda: F.max_pool1d(_x((1, 1, 5)), 2, ceil_mode="yes"), TypeError,
     "max_pool1d: ceil_mode must be True or False; got 'yes'"),
    (lambda: F.avg_pool2d(_x((1, 1, 5, 5)), 2, count_include_pad=None), TypeError,
     "avg_pool2d: count_include_pad must be True or False; got None"),
    (lambda: F.avg_pool2d(_x((1, 1, 5, 5)), 2, divisor_override=0), ValueError,
     "avg_pool2d: divisor_override must not be zero"),
    (lambda: F.avg_pool3d(_x((1, 1, 5, 5, 5)), 2, divisor_override=1.5), TypeError,
     "avg_pool3d: divisor_override must be an int or None; got 1.5"),
    # the tensor itself
    (lambda: F.max_pool2d(np.zeros((1, 1, 4, 4)), 2), TypeError,
     "max_pool2d: input_ must be a lucid Tensor; got ndarray"),
    (lambda: F.avg_pool2d(lucid.Tensor(np.zeros((1, 1, 4, 4), dtype=np.int64)), 2), TypeError,
     "avg_pool2d: input_ must be a float32 or float64 tensor; got dtype int64"),
    # adaptive output sizes
    (lambda: F.adaptive_avg_pool2d(_x((1, 1, 4, 4)), (2, 2, 2)), ValueError,
     "adaptive_avg_pool2d: output_size must be an int or a tuple of 2 ints (or None, to "
     "keep an axis' size); got (2, 2, 2)"),
    (lambda: F.adaptive_avg_pool1d(_x((1, 1, 4)), 1.5), TypeError,
     "adaptive_avg_pool1d: output_size must be an int or a tuple of 1 ints"),
    (lambda: F.adaptive_avg_pool1d(_x((1, 1, 4)), -1), ValueError,
     "adaptive_avg_pool1d: output_size must not be negative; got -1"),
])
def test_bad_inputs_raise_before_any_kernel_runs(monkeypatch, call, error, message):
    def refuse(*args, **kwargs):      # a kernel reached with a bad input fails the test
        raise AssertionError("a kernel ran before the arguments were checked")
    for twin in (_ext._reference, _ext._compiled):
        module = twin.get("pool")
        if module is not None and not isinstance(module, ImportError):
            for name in module.__all__:
                monkeypatch.setattr(module, name, refuse)
    with pytest.raises(error, match=re.escape(message)):
        call()


# ------------------------------------------------ return_indices and max unpooling
@needs_torch
@pytest.mark.parametrize("index", range(len(GRID)))
def test_max_pool_indices_match_torch(twin, index):
    """return_indices: PyTorch's flat positions, and the same pooled values and gradient."""
    cfg = GRID[index]
    if _empty_window(cfg):
        pytest.skip("a window lies wholly in the padding: torch's index there is undefined")
    x = np.random.default_rng(index).standard_normal(cfg["shape"]).astype(cfg["dtype"])
    name = f"max_pool{cfg['d']}d"
    args = (cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["ceil_mode"])
    y, indices = getattr(F, name)(lucid.Tensor(x), *args, return_indices=True)
    ty, tindices = _torch(name)(torch.tensor(x), *args, return_indices=True)
    assert indices.dtype == np.int64 and indices.shape == y.shape
    np.testing.assert_array_equal(indices.data, tindices.numpy())
    torch_parity(lambda t: getattr(F, name)(t, *args, return_indices=True)[0],
                 lambda t: _torch(name)(t, *args, return_indices=True)[0], [x])


def test_max_pool_indices_point_at_the_maxima(twin):
    """A loop oracle: each index is the flat position, in its input plane, of a value equal
    to the pooled maximum; ties go to the first in row-major order."""
    x = np.random.default_rng(3).integers(0, 4, (2, 3, 6, 5)).astype(np.float64)  # ties
    y, indices = F.max_pool2d(lucid.Tensor(x), (3, 2), stride=(2, 1), padding=(1, 0),
                              return_indices=True)
    for n in range(2):
        for c in range(3):
            plane = x[n, c].ravel()
            for oh in range(y.shape[2]):
                for ow in range(y.shape[3]):
                    window = [(h, w) for h in range(oh * 2 - 1, oh * 2 + 2)
                              for w in range(ow, ow + 2) if 0 <= h < 6]
                    first = max(window, key=lambda hw: (x[n, c][hw], -hw[0], -hw[1]))
                    assert indices.data[n, c, oh, ow] == first[0] * 5 + first[1]
                    assert plane[indices.data[n, c, oh, ow]] == y.data[n, c, oh, ow]


UNPOOL_CASES = [
    # (d, shape, kernel, stride, padding, output_size)
    (1, (2, 3, 9), 2, None, 0, None),
    (1, (3, 8), 3, 2, 1, (8,)),                         # unbatched
    (1, (2, 2, 9), 2, None, 0, (9,)),                   # odd length restored
    (2, (2, 3, 6, 8), 2, None, 0, None),
    (2, (1, 2, 7, 5), (3, 2), (2, 1), (1, 0), None),
    (2, (1, 2, 7, 7), 2, None, 0, (1, 2, 7, 7)),        # output_size with N, C
    (3, (1, 2, 4, 6, 4), 2, None, 0, None),
    (3, (2, 5, 5, 4), (3, 2, 2), 2, (1, 1, 0), (5, 5, 4)),
]


@needs_torch
@pytest.mark.parametrize("case", UNPOOL_CASES, ids=range(len(UNPOOL_CASES)))
def test_max_unpool_matches_torch(twin, case, float_dtype):
    d, shape, kernel, stride, padding, output_size = case
    x = np.random.default_rng(7).standard_normal(shape).astype(float_dtype)
    pool, unpool = f"max_pool{d}d", f"max_unpool{d}d"
    _, indices = getattr(F, pool)(lucid.Tensor(x), kernel, stride, padding, return_indices=True)
    _, tindices = _torch(pool)(torch.tensor(x), kernel, stride, padding, return_indices=True)
    pooled = np.random.default_rng(8).standard_normal(indices.shape).astype(float_dtype)
    out = torch_parity(
        lambda t: getattr(F, unpool)(t, indices, kernel, stride, padding, output_size),
        lambda t: _torch(unpool)(t, tindices, kernel, stride, padding, output_size), [pooled])
    if output_size is not None:
        assert out.shape[-d:] == tuple(output_size)[-d:]


def test_max_unpool_inverts_max_pool_on_the_maxima(twin):
    x = lucid.random.rand(2, 3, 8, 6) + 0.5                 # positive: the zeros never win
    y, indices = F.max_pool2d(x, 2, return_indices=True)
    z = F.max_unpool2d(y, indices, 2)
    kept = z.data != 0
    assert kept.sum() == y.size
    np.testing.assert_array_equal(z.data[kept], x.data[kept])
    np.testing.assert_array_equal(F.max_pool2d(z, 2).data, y.data)


def test_max_unpool_gradcheck():
    x = lucid.Tensor(np.random.default_rng(0).standard_normal((2, 2, 3, 3)), requires_grad=True)
    indices = lucid.Tensor(np.random.default_rng(1).permutation(36)[:9].reshape(1, 1, 3, 3)
                           .repeat(2, 0).repeat(2, 1))
    assert gradcheck(lambda t: F.max_unpool2d(t, indices, 2), [x])
    assert gradcheck(lambda t: F.max_pool2d(t, 2, 1, return_indices=True)[0], [x])


def test_max_unpool_bad_inputs():
    x = lucid.Tensor(np.zeros((1, 1, 2, 2)))
    idx = lucid.Tensor(np.zeros((1, 1, 2, 2), np.int64))
    with pytest.raises(TypeError, match=r"max_unpool2d: indices must be a Tensor of integer "
                                        r"positions .*; got float64"):
        F.max_unpool2d(x, lucid.Tensor(np.zeros((1, 1, 2, 2))), 2)
    with pytest.raises(TypeError, match=r"max_unpool2d: indices must be a Tensor .*; got list"):
        F.max_unpool2d(x, [0, 1], 2)
    with pytest.raises(ValueError, match=r"max_unpool2d: indices must have the shape of input_ "
                                         r"\(1, 1, 2, 2\); got \(1, 1, 4\)"):
        F.max_unpool2d(x, lucid.Tensor(np.zeros((1, 1, 4), np.int64)), 2)
    with pytest.raises(ValueError, match=r"max_unpool2d: indices must lie in \[0, 16\) .*"
                                         r"plane of size 4x4\); got 16"):
        F.max_unpool2d(x, lucid.Tensor(np.full((1, 1, 2, 2), 16)), 2)
    with pytest.raises(ValueError, match=r"max_unpool2d: indices must lie in .*; got -1"):
        F.max_unpool2d(x, lucid.Tensor(np.full((1, 1, 2, 2), -1)), 2)
    with pytest.raises(ValueError, match=r"max_unpool2d: output_size \(6, 4\) must lie strictly "
                                         r"between 2 and 6 along spatial axis 0"):
        F.max_unpool2d(x, idx, 2, output_size=(6, 4))
    with pytest.raises(ValueError, match=r"max_unpool2d: output_size must have 2 \(spatial\) or "
                                         r"4 values; got \(4, 4, 4\)"):
        F.max_unpool2d(x, idx, 2, output_size=(4, 4, 4))
    one = lucid.Tensor(np.zeros((1, 1, 1)))
    with pytest.raises(ValueError, match=r"max_unpool1d: the output size \(0,\) must be positive"):
        F.max_unpool1d(one, lucid.Tensor(np.zeros((1, 1, 1), np.int64)), 2, padding=1)
    with pytest.raises(ValueError, match=r"max_unpool3d: input_ must be 4-D \(C, D, H, W\) unbatched"):
        F.max_unpool3d(one, lucid.Tensor(np.zeros((1, 1, 1), np.int64)), 2)
    with pytest.raises(TypeError, match=r"max_pool2d: return_indices must be True or False"):
        F.max_pool2d(x, 2, return_indices="yes")
