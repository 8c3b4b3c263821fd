"""The convolution family against PyTorch, on both kernel twins.

* a seeded randomised grid (stride, padding, output_padding, dilation, groups incl.
  depthwise, kernel size, 1-3 spatial axes, float32/float64): forward values and the
  gradients of input, weight and bias, for conv, conv_transpose and unfold/fold;
* gradcheck in float64; the adjoint identity <conv(x, w), u> = <x, conv_transpose(u, w)>;
* edge cases: N = 0, unbatched input, padding='same', non-contiguous / negative-stride /
  read-only arrays, NaN and Inf, the seed page's three examples.
"""
import functools

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid._ext._sizes import conv_output_size, conv_transpose_output_size
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch

needs_torch = pytest.mark.torch

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _torch_conv(d):
    return getattr(torch.nn.functional, f"conv{d}d")


def _torch_conv_t(d):
    return getattr(torch.nn.functional, f"conv_transpose{d}d")


# ------------------------------------------------------------------ random configurations
def _tup(rng, d, lo, hi):
    return tuple(int(v) for v in rng.integers(lo, hi + 1, size=d))


def _groups_and_channels(rng):
    """(groups, C_in, C_out): plain, grouped and depthwise, channels <= 4."""
    kind = rng.integers(3)
    if kind == 0:                       # groups = 1
        return 1, int(rng.integers(1, 5)), int(rng.integers(1, 5))
    if kind == 1:                       # depthwise: one channel per group
        c = int(rng.integers(1, 5))
        return c, c, c * int(rng.integers(1, 5 // c + 1))
    g = int(rng.choice([2, 4]))         # grouped
    per = 4 // g
    return g, g * int(rng.integers(1, per + 1)), g * int(rng.integers(1, per + 1))


@functools.lru_cache(maxsize=None)
def conv_configs(count, seed):
    """``count`` valid conv configurations (the dilated kernel fits the padded input)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        d = 1 + len(out) % 3            # 1, 2, 3 spatial axes in turn
        groups, c_in, c_out = _groups_and_channels(rng)
        kernel = _tup(rng, d, 1, 5 if d < 3 else 3)
        stride, padding, dilation = _tup(rng, d, 1, 3), _tup(rng, d, 0, 2), _tup(rng, d, 1, 3)
        spatial = _tup(rng, d, 1, 7 if d < 3 else 5)
        if any(dl * (k - 1) + 1 > s + 2 * p for s, k, p, dl in zip(spatial, kernel, padding, dilation)):
            continue
        out.append(dict(d=d, n=int(rng.integers(1, 3)), c_in=c_in, c_out=c_out, groups=groups,
                        kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                        spatial=spatial, bias=bool(rng.integers(2)),
                        dtype=[np.float32, np.float64][int(rng.integers(2))]))
    return out


@functools.lru_cache(maxsize=None)
def conv_transpose_configs(count, seed):
    """``count`` valid conv_transpose configurations (positive output sizes)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        d = 1 + len(out) % 3            # 1, 2, 3 spatial axes in turn
        groups, c_in, c_out = _groups_and_channels(rng)
        kernel = _tup(rng, d, 1, 5 if d < 3 else 3)
        stride, padding, dilation = _tup(rng, d, 1, 3), _tup(rng, d, 0, 2), _tup(rng, d, 1, 3)
        output_padding = tuple(int(rng.integers(0, max(s, dl))) for s, dl in zip(stride, dilation))
        spatial = _tup(rng, d, 1, 5 if d < 3 else 3)
        sizes = [conv_transpose_output_size(*a) for a in
                 zip(spatial, kernel, stride, padding, output_padding, dilation)]
        if min(sizes) < 1:
            continue
        out.append(dict(d=d, n=int(rng.integers(1, 3)), c_in=c_in, c_out=c_out, groups=groups,
                        kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                        output_padding=output_padding, spatial=spatial,
                        bias=bool(rng.integers(2)),
                        dtype=[np.float32, np.float64][int(rng.integers(2))]))
    return out


@functools.lru_cache(maxsize=None)
def unfold_configs(count, seed):
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        kernel, stride = _tup(rng, 2, 1, 5), _tup(rng, 2, 1, 3)
        padding, dilation = _tup(rng, 2, 0, 2), _tup(rng, 2, 1, 3)
        spatial = _tup(rng, 2, 1, 7)
        if any(dl * (k - 1) + 1 > s + 2 * p for s, k, p, dl in zip(spatial, kernel, padding, dilation)):
            continue
        out.append(dict(n=int(rng.integers(1, 3)), c=int(rng.integers(1, 4)), kernel=kernel,
                        stride=stride, padding=padding, dilation=dilation, spatial=spatial,
                        dtype=[np.float32, np.float64][int(rng.integers(2))]))
    return out


CHUNK = 100
N_CONV, N_CONV_T, N_UNFOLD = 1500, 1500, 500   # 500 per spatial dimension


def _arrays(rng, cfg, weight_shape):
    dt = cfg["dtype"]
    x = rng.standard_normal((cfg["n"], cfg["c_in"]) + cfg["spatial"]).astype(dt)
    w = rng.standard_normal(weight_shape).astype(dt)
    b = rng.standard_normal(cfg["c_out"]).astype(dt) if cfg["bias"] else None
    return x, w, b


@pytest.fixture(autouse=True, scope="module")
def _torch_one_thread():
    """Tiny convolutions: torch's thread pool only adds overhead (and the cores are shared)."""
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


EPS32 = float(np.finfo(np.float32).eps)


def _float32_bound(torch_fn, arrays, seed, terms):
    """Round-off bound for float32 results that are sums of products.

    Two float32 evaluations of a sum of ``n`` products, in different orders, differ by
    at most ``2 n eps sum|product|`` (the classical bound for recursive summation).
    ``sum|product|`` for the output and every gradient is the same computation on
    absolute values, done here in float64. ``terms`` gives ``n`` per quantity
    (output first, then the gradient of each input).
    """
    tt = [None if a is None else torch.tensor(np.abs(a).astype(np.float64), requires_grad=True)
          for a in arrays]
    out = torch_fn(*tt)
    out.backward(torch.tensor(np.abs(seed).astype(np.float64)))
    mags = [out.detach().numpy()] + [None if t is None else t.grad.numpy() for t in tt]
    return [None if m is None else 2 * n * EPS32 * m for m, n in zip(mags, terms)]


def _close(actual, expected, bound, msg):
    """assert_close for float64 (default tolerance); the round-off bound for float32."""
    if actual.dtype == np.float64:
        assert_close(actual, expected, msg=msg)
        return
    assert actual.dtype == expected.dtype, f"{msg}dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{msg}shape {actual.shape} != {expected.shape}"
    rtol, atol = lucid.testing.tolerance(np.float32)
    np.testing.assert_array_less(np.abs(actual - expected),
                                 atol + rtol * np.abs(expected) + bound, err_msg=msg)


def _check_parity(lucid_fn, torch_fn, arrays, rng, msg, terms):
    """Forward and every gradient of lucid_fn against torch_fn, same seed gradient.

    ``terms``: the number of products summed into the output and into each gradient
    (for the float32 round-off bound, see :func:`_float32_bound`).
    """
    lt = [None if a is None else lucid.Tensor(a, requires_grad=True) for a in arrays]
    tt = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    lo, to = lucid_fn(*lt), torch_fn(*tt)
    seed = rng.standard_normal(lo.shape).astype(lo.dtype)
    bounds = [None] * 4
    if lo.dtype == np.float32:
        bounds = _float32_bound(torch_fn, arrays, seed, terms)
    _close(lo.data, to.detach().numpy(), bounds[0], msg + " forward: ")
    lo.backward(seed)
    to.backward(torch.tensor(seed))
    for name, l, t, bound in zip(("input", "weight", "bias"), lt, tt, bounds[1:]):
        if l is not None:
            _close(l.grad, t.grad.numpy(), bound, f"{msg} grad of {name}: ")


def _conv_terms(cfg, out_spatial, transposed):
    """Products summed per element: output, dL/dx, dL/dw, dL/db."""
    k = int(np.prod(cfg["kernel"]))
    n_out = cfg["n"] * int(np.prod(out_spatial))
    n_in = cfg["n"] * int(np.prod(cfg["spatial"]))
    per_out = cfg["c_in"] // cfg["groups"] * k + 1
    per_in = cfg["c_out"] // cfg["groups"] * k
    return per_out, per_in, (n_in if transposed else n_out), n_out


@needs_torch
@pytest.mark.parametrize("chunk", range(N_CONV // CHUNK))
def test_conv_parity_grid(twin, chunk):
    rng = np.random.default_rng(100 + chunk)
    for cfg in conv_configs(N_CONV, seed=1)[chunk * CHUNK:(chunk + 1) * CHUNK]:
        d = cfg["d"]
        w_shape = (cfg["c_out"], cfg["c_in"] // cfg["groups"]) + cfg["kernel"]
        kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"],
                  groups=cfg["groups"])
        out = [conv_output_size(*a) for a in zip(cfg["spatial"], cfg["kernel"], cfg["stride"],
                                                 cfg["padding"], cfg["dilation"])]
        _check_parity(lambda x, w, b: CONV[d](x, w, b, **kw),
                      lambda x, w, b: _torch_conv(d)(x, w, b, **kw),
                      _arrays(rng, cfg, w_shape), rng, f"{twin} conv{d}d {cfg}",
                      _conv_terms(cfg, out, transposed=False))


@needs_torch
@pytest.mark.parametrize("chunk", range(N_CONV_T // CHUNK))
def test_conv_transpose_parity_grid(twin, chunk):
    rng = np.random.default_rng(200 + chunk)
    for cfg in conv_transpose_configs(N_CONV_T, seed=2)[chunk * CHUNK:(chunk + 1) * CHUNK]:
        d = cfg["d"]
        w_shape = (cfg["c_in"], cfg["c_out"] // cfg["groups"]) + cfg["kernel"]
        kw = dict(stride=cfg["stride"], padding=cfg["padding"],
                  output_padding=cfg["output_padding"], dilation=cfg["dilation"],
                  groups=cfg["groups"])
        out = [conv_transpose_output_size(*a) for a in zip(
            cfg["spatial"], cfg["kernel"], cfg["stride"], cfg["padding"], cfg["output_padding"],
            cfg["dilation"])]
        _check_parity(lambda x, w, b: CONV_T[d](x, w, b, **kw),
                      lambda x, w, b: _torch_conv_t(d)(x, w, b, **kw),
                      _arrays(rng, cfg, w_shape), rng, f"{twin} conv_transpose{d}d {cfg}",
                      _conv_terms(cfg, out, transposed=True))


@needs_torch
@pytest.mark.parametrize("chunk", range(N_UNFOLD // CHUNK))
def test_unfold_fold_parity_grid(twin, chunk):
    rng = np.random.default_rng(300 + chunk)
    tf = torch.nn.functional
    for cfg in unfold_configs(N_UNFOLD, seed=3)[chunk * CHUNK:(chunk + 1) * CHUNK]:
        kw = dict(kernel_size=cfg["kernel"], dilation=cfg["dilation"], padding=cfg["padding"],
                  stride=cfg["stride"])
        x = rng.standard_normal((cfg["n"], cfg["c"]) + cfg["spatial"]).astype(cfg["dtype"])
        k = int(np.prod(cfg["kernel"]))
        _check_parity(lambda t: F.unfold(t, **kw), lambda t: tf.unfold(t, **kw), [x], rng,
                      f"{twin} unfold {cfg}", (1, k))
        blocks = np.prod([conv_output_size(*a) for a in zip(cfg["spatial"], cfg["kernel"],
                          cfg["stride"], cfg["padding"], cfg["dilation"])])
        cols = rng.standard_normal((cfg["n"], cfg["c"] * np.prod(cfg["kernel"]), blocks))
        cols = cols.astype(cfg["dtype"])
        _check_parity(lambda t: F.fold(t, cfg["spatial"], **kw),
                      lambda t: tf.fold(t, cfg["spatial"], **kw), [cols], rng,
                      f"{twin} fold {cfg}", (k, 1))


# ------------------------------------------------------------------ gradcheck (float64)
GRADCHECK_CASES = [
    # (d, x shape, w shape, kwargs)
    (1, (2, 2, 5), (4, 1, 3), dict(stride=2, padding=1, dilation=1, groups=2)),
    (1, (1, 3, 4), (2, 3, 2), dict(padding="same", dilation=3)),
    (2, (1, 2, 4, 3), (2, 2, 2, 2), dict(stride=(1, 2), padding=(1, 0), dilation=(2, 1))),
    (3, (1, 2, 3, 3, 2), (2, 1, 2, 1, 2), dict(stride=1, padding=(0, 1, 0), groups=2)),
]
GRADCHECK_T_CASES = [
    (1, (2, 2, 3), (2, 2, 3), dict(stride=2, padding=1, output_padding=1, groups=2)),
    (1, (1, 2, 3), (2, 1, 2), dict(stride=1, dilation=3, output_padding=2)),
    (2, (1, 2, 2, 3), (2, 1, 2, 2), dict(stride=(2, 1), padding=(0, 1), dilation=(1, 2))),
    (3, (1, 1, 2, 2, 1), (1, 2, 2, 1, 2), dict(stride=(1, 2, 2), output_padding=(0, 1, 1))),
]


def _gradcheck_inputs(rng, x_shape, w_shape, c_out):
    return [lucid.Tensor(rng.standard_normal(s), requires_grad=True)
            for s in (x_shape, w_shape, (c_out,))]


@pytest.mark.parametrize("case", GRADCHECK_CASES, ids=lambda c: f"conv{c[0]}d-{c[3]}")
def test_conv_gradcheck(twin, rng, case):
    d, xs, ws, kw = case
    inputs = _gradcheck_inputs(rng, xs, ws, ws[0])
    assert gradcheck(lambda x, w, b: CONV[d](x, w, b, **kw), inputs)


@pytest.mark.parametrize("case", GRADCHECK_T_CASES, ids=lambda c: f"conv_transpose{c[0]}d-{c[3]}")
def test_conv_transpose_gradcheck(twin, rng, case):
    d, xs, ws, kw = case
    inputs = _gradcheck_inputs(rng, xs, ws, ws[1] * kw.get("groups", 1))
    assert gradcheck(lambda x, w, b: CONV_T[d](x, w, b, **kw), inputs)


def test_unfold_fold_gradcheck(twin, rng):
    x = lucid.Tensor(rng.standard_normal((1, 2, 4, 3)), requires_grad=True)
    kw = dict(kernel_size=(2, 2), dilation=(1, 2), padding=1, stride=(2, 1))
    assert gradcheck(lambda t: F.unfold(t, **kw), [x])
    cols = lucid.Tensor(rng.standard_normal(F.unfold(x, **kw).shape), requires_grad=True)
    assert gradcheck(lambda t: F.fold(t, (4, 3), **kw), [cols])


def test_unbatched_gradcheck(twin, rng):
    x = lucid.Tensor(rng.standard_normal((2, 5)), requires_grad=True)
    w = lucid.Tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    assert gradcheck(lambda a, b: F.conv1d(a, b, padding="same"), [x, w])
    wt = lucid.Tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
    assert gradcheck(lambda a, b: F.conv_transpose1d(a, b, stride=2), [x, wt])


# ------------------------------------------------------------------ adjoint identity
@pytest.mark.parametrize("cfg", conv_configs(40, seed=4), ids=lambda c: f"{c['d']}d")
def test_adjoint_identity(twin, cfg):
    """<conv(x, w), u> == <x, conv_transpose(u, w)> to 1e-12 relative, in float64.

    conv maps x (N, C_in, *S) to (N, C_out, *O); the transposed conv of u (N, C_out, *O)
    with the same weight returns *S when output_padding = S - (its size without it).
    """
    rng = np.random.default_rng(5)
    d, g = cfg["d"], cfg["groups"]
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=g)
    geometry = list(zip(cfg["spatial"], cfg["kernel"], cfg["stride"], cfg["padding"],
                        cfg["dilation"]))
    out = tuple(conv_output_size(*a) for a in geometry)
    output_padding = tuple(s - conv_transpose_output_size(o, k, st, p, 0, dl)
                           for o, (s, k, st, p, dl) in zip(out, geometry))
    x = lucid.Tensor(rng.standard_normal((cfg["n"], cfg["c_in"]) + cfg["spatial"]))
    u = lucid.Tensor(rng.standard_normal((cfg["n"], cfg["c_out"]) + out))
    w = lucid.Tensor(rng.standard_normal((cfg["c_out"], cfg["c_in"] // g) + cfg["kernel"]))
    y = CONV[d](x, w, **kw).data
    xt = CONV_T[d](u, w, output_padding=output_padding, **kw).data
    assert xt.shape == x.shape
    left, right = np.vdot(y, u.data), np.vdot(x.data, xt)
    scale = np.vdot(np.abs(y), np.abs(u.data))
    assert abs(left - right) <= 1e-12 * scale, (left, right)


# ------------------------------------------------------------------ edge cases
@needs_torch
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("kernel,dilation", [(1, 1), (2, 1), (3, 1), (4, 2), (2, 3), (5, 1)])
def test_same_padding_matches_torch(twin, rng, d, kernel, dilation, float_dtype):
    """'same' (asymmetric when dilation*(K-1) is odd) and 'valid', values and gradients."""
    x = rng.standard_normal((2, 2) + (5,) * d).astype(float_dtype)
    w = rng.standard_normal((3, 2) + (kernel,) * d).astype(float_dtype)
    b = rng.standard_normal(3).astype(float_dtype)
    k = 2 * kernel ** d + 1
    for padding in ("same", "valid"):
        if padding == "valid" and dilation * (kernel - 1) + 1 > 5:
            continue
        kw = dict(padding=padding, dilation=dilation)
        _check_parity(lambda *t: CONV[d](*t, **kw), lambda *t: _torch_conv(d)(*t, **kw),
                      [x, w, b], rng, f"{twin} conv{d}d {kw}", (k, 3 * kernel ** d, 50, 50))
    out = CONV[d](lucid.Tensor(x), lucid.Tensor(w), padding="same", dilation=dilation)
    assert out.shape == (2, 3) + (5,) * d


@needs_torch
@pytest.mark.parametrize("d", [1, 2, 3])
def test_unbatched_input_matches_batched(twin, rng, d):
    x = rng.standard_normal((2,) + (4,) * d)
    w = rng.standard_normal((3, 2) + (2,) * d)
    wt = rng.standard_normal((2, 3) + (2,) * d)
    b = rng.standard_normal(3)
    _check_parity(lambda *t: CONV[d](*t, stride=2, padding=1),
                  lambda *t: _torch_conv(d)(*t, stride=2, padding=1), [x, w, b], rng,
                  f"unbatched conv{d}d", None)
    _check_parity(lambda *t: CONV_T[d](*t, stride=2, output_padding=1),
                  lambda *t: _torch_conv_t(d)(*t, stride=2, output_padding=1), [x, wt, b], rng,
                  f"unbatched conv_transpose{d}d", None)
    assert CONV[d](lucid.Tensor(x), lucid.Tensor(w)).shape == (3,) + (3,) * d


@needs_torch
def test_unfold_fold_unbatched(twin, rng):
    x = rng.standard_normal((2, 4, 5))
    tf = torch.nn.functional
    _check_parity(lambda t: F.unfold(t, 2, stride=2), lambda t: tf.unfold(t, 2, stride=2), [x],
                  rng, "unbatched unfold", None)
    cols = rng.standard_normal((8, 4))
    _check_parity(lambda t: F.fold(t, (4, 5), 2, stride=2),
                  lambda t: tf.fold(t, (4, 5), 2, stride=2), [cols], rng, "unbatched fold", None)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_empty_batch(twin, d):
    """N = 0 gives an empty result of the right shape, and empty gradients."""
    x = lucid.Tensor(np.zeros((0, 2) + (5,) * d, np.float32), requires_grad=True)
    w = lucid.Tensor(np.ones((4, 1) + (3,) * d, np.float32), requires_grad=True)
    b = lucid.Tensor(np.ones(4, np.float32), requires_grad=True)
    y = CONV[d](x, w, b, stride=2, groups=2)
    assert y.shape == (0, 4) + (2,) * d and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.shape == x.shape
    assert_close(w.grad, np.zeros(w.shape, np.float32))
    assert_close(b.grad, np.zeros(4, np.float32))
    wt = lucid.Tensor(np.ones((2, 3) + (3,) * d, np.float32), requires_grad=True)
    yt = CONV_T[d](x, wt, stride=2, output_padding=1)
    assert yt.shape == (0, 3) + (12,) * d
    yt.sum().backward()
    assert_close(wt.grad, np.zeros(wt.shape, np.float32))
    assert F.unfold(lucid.Tensor(np.zeros((0, 2, 4, 4))), 2).shape == (0, 8, 9)
    assert F.fold(lucid.Tensor(np.zeros((0, 8, 9))), 4, 2).shape == (0, 2, 4, 4)


def _layouts(a):
    """The same values as C-contiguous, non-contiguous, negative-stride and read-only arrays."""
    strided = np.repeat(a, 2, axis=-1)[..., ::2]
    assert not strided.flags.c_contiguous
    flipped = np.flip(np.flip(a, -1).copy(), -1)
    assert flipped.strides[-1] < 0
    readonly = a.copy()
    readonly.flags.writeable = False
    fortran = np.asfortranarray(a)
    return {"contiguous": a, "strided": strided, "negative-stride": flipped,
            "read-only": readonly, "fortran": fortran}


def _wrap(a):
    """A Tensor holding ``a`` itself (the constructor would copy it into C order)."""
    t = lucid.Tensor(np.zeros(1))
    t.data = a
    t.requires_grad = True
    return t


@pytest.mark.parametrize("op", ["conv2d", "conv_transpose2d", "unfold", "fold"])
def test_memory_layouts_give_same_result(twin, rng, op):
    x = rng.standard_normal((2, 2, 5, 4))
    w = rng.standard_normal((2, 2, 3, 2))
    cols = rng.standard_normal((2, 8, 12))
    run = {
        "conv2d": lambda a, b: F.conv2d(a, b, stride=(2, 1), padding=1),
        "conv_transpose2d": lambda a, b: F.conv_transpose2d(a, b, stride=2, output_padding=1),
        "unfold": lambda a, b: F.unfold(a, 2),
        "fold": lambda a, b: F.fold(a, (4, 5), 2),
    }[op]
    first = cols if op == "fold" else x
    results = {}
    firsts, weights = _layouts(first), _layouts(w)
    for name in firsts:
        ta, tb = _wrap(firsts[name]), _wrap(weights[name])
        out = run(ta, tb)
        out.backward(np.ones(out.shape))
        results[name] = (out.data, ta.grad, tb.grad)
    ref = results["contiguous"]
    for name, got in results.items():
        for r, g in zip(ref, got):
            if r is not None:
                assert_close(g, r, msg=f"{op} {name}: ")
    assert not firsts["read-only"].flags.writeable


@needs_torch
def test_nan_and_inf_propagate(twin):
    x = np.array([[[1.0, np.nan, 2.0, np.inf, 3.0, -np.inf, 4.0]]])
    w = np.array([[[1.0, 2.0]]])
    got = F.conv1d(lucid.Tensor(x), lucid.Tensor(w)).data
    want = torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w)).numpy()
    assert_close(got, want)                       # NaN where torch has NaN, +-inf likewise
    assert np.isnan(got).sum() == 2 and np.isinf(got).sum() == 4
    got_t = F.conv_transpose1d(lucid.Tensor(x), lucid.Tensor(w.copy()), stride=2).data
    want_t = torch.nn.functional.conv_transpose1d(torch.tensor(x), torch.tensor(w), stride=2).numpy()
    assert_close(got_t, want_t)
    assert np.isinf(got_t).any() and np.isnan(got_t).any()


def test_float32_stays_float32(twin):
    x = lucid.Tensor(np.ones((1, 1, 4), np.float32), requires_grad=True)
    w = lucid.Tensor(np.ones((1, 1, 2), np.float32), requires_grad=True)
    b = lucid.Tensor(np.ones(1, np.float32), requires_grad=True)
    for y in (F.conv1d(x, w, b), F.conv_transpose1d(x, w, b)):
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def test_gradient_only_where_required(twin):
    x = lucid.Tensor(np.ones((1, 1, 4)), requires_grad=True)
    w = lucid.Tensor(np.ones((1, 1, 2)))
    F.conv1d(x, w).sum().backward()
    assert_close(x.grad, np.array([[[1.0, 2.0, 2.0, 1.0]]]))
    assert w.grad is None


# ------------------------------------------------------------------ the seed page
SEED_X1 = [[[1.0, 2.0, 3.0]]]
SEED_W1 = [[[1.0, 0.5]]]
SEED_X3 = [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]
SEED_W3 = [[[1.0, 0.5]], [[-1.0, 0.5]]]


def test_seed_page_examples(twin):
    """Examples 1 and 2 print what the page prints; example 3 prints PyTorch's value
    (the page printed [-4.0, -3.5, -2.0, 3.0] for the second channel)."""
    T = lucid.Tensor
    out = F.conv_transpose1d(T(SEED_X1), T(SEED_W1), T([0.0]), stride=1, padding=0, dilation=1, groups=1)
    assert str(out) == "Tensor([[[1.0, 2.5, 4.0, 1.5]]])"
    out = F.conv_transpose1d(T(SEED_X1), T(SEED_W1), T([0.0]), stride=2, padding=0, dilation=1, groups=1)
    assert str(out) == "Tensor([[[1.0, 0.5, 2.0, 1.0, 3.0, 1.5]]])"
    out = F.conv_transpose1d(T(SEED_X3), T(SEED_W3), T([0.0, 0.0]), stride=1, padding=0, dilation=1, groups=2)
    assert str(out) == "Tensor([[[1.0, 2.5, 4.0, 1.5], [-4.0, -3.0, -3.5, 3.0]]])"
    # the second channel by hand: x = [4, 5, 6] spread by w = [-1, 0.5]
    x, w = [4.0, 5.0, 6.0], [-1.0, 0.5]
    by_hand = [0.0] * 4
    for j, xj in enumerate(x):
        for k, wk in enumerate(w):
            by_hand[j + k] += xj * wk
    assert out.data[0, 1].tolist() == by_hand


@needs_torch
def test_seed_page_examples_match_torch(twin):
    tf = torch.nn.functional
    cases = [(SEED_X1, SEED_W1, [0.0], dict(stride=1)), (SEED_X1, SEED_W1, [0.0], dict(stride=2)),
             (SEED_X3, SEED_W3, [0.0, 0.0], dict(groups=2))]
    for x, w, b, kw in cases:
        got = F.conv_transpose1d(lucid.Tensor(x), lucid.Tensor(w), lucid.Tensor(b), **kw)
        want = tf.conv_transpose1d(torch.tensor(x), torch.tensor(w), torch.tensor(b), **kw)
        assert_close(got, want.numpy())


# ------------------------------------------------------------------ modules
from lucid import nn  # noqa: E402

LAYERS = [
    (nn.Conv1d, dict(in_channels=6, out_channels=8, kernel_size=5, groups=2), (8, 3, 5)),
    (nn.Conv2d, dict(in_channels=4, out_channels=6, kernel_size=(3, 2)), (6, 4, 3, 2)),
    (nn.Conv3d, dict(in_channels=3, out_channels=3, kernel_size=2, groups=3), (3, 1, 2, 2, 2)),
    (nn.ConvTranspose1d, dict(in_channels=6, out_channels=4, kernel_size=4, groups=2), (6, 2, 4)),
    (nn.ConvTranspose2d, dict(in_channels=4, out_channels=6, kernel_size=3), (4, 6, 3, 3)),
    (nn.ConvTranspose3d, dict(in_channels=2, out_channels=4, kernel_size=(1, 2, 3)), (2, 4, 1, 2, 3)),
]


@pytest.mark.parametrize("cls,kw,shape", LAYERS, ids=lambda v: getattr(v, "__name__", ""))
def test_layer_default_init_statistics(cls, kw, shape):
    """weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.shape[1] * prod(K)."""
    lucid.random.seed(0)
    layers = [cls(**kw) for _ in range(200)]
    w = np.stack([m.weight.data for m in layers])
    b = np.stack([m.bias.data for m in layers])
    assert layers[0].weight.shape == shape and layers[0].bias.shape == (kw["out_channels"],)
    assert w.dtype == b.dtype == np.float32
    bound = 1 / np.sqrt(shape[1] * np.prod(shape[2:]))
    for values in (w.ravel(), b.ravel()):
        n = values.size
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > bound * (1 - 20 / n)           # the interval is filled
        # uniform on [-B, B]: mean 0 (sd B/sqrt(3n)), variance B^2/3 (sd ~ 0.9 B^2/(3 sqrt(n)))
        assert abs(values.mean()) < 5 * bound / np.sqrt(3 * n)
        assert abs(values.var() / (bound ** 2 / 3) - 1) < 5 * 0.9 / np.sqrt(n)
    assert all(p.requires_grad for p in layers[0].parameters())


def test_layer_init_follows_lucid_seed():
    lucid.random.seed(3)
    a = nn.Conv2d(2, 3, 3)
    lucid.random.seed(3)
    b = nn.Conv2d(2, 3, 3)
    assert_close(a.weight, b.weight.data)
    assert_close(a.bias, b.bias.data)
    assert not np.array_equal(a.weight.data, nn.Conv2d(2, 3, 3).weight.data)


def test_layer_without_bias():
    conv = nn.ConvTranspose2d(2, 2, 2, bias=False)
    assert conv.bias is None and [n for n, _ in conv.named_parameters()] == ["weight"]


@needs_torch
@pytest.mark.parametrize("d", [1, 2, 3])
def test_layers_match_torch(twin, rng, d):
    """The same weights give the same outputs and gradients as torch's layers."""
    cases = [
        (getattr(nn, f"Conv{d}d")(4, 6, 3, stride=2, padding=1, groups=2),
         getattr(torch.nn, f"Conv{d}d")(4, 6, 3, stride=2, padding=1, groups=2)),
        (getattr(nn, f"Conv{d}d")(2, 3, 2, padding="same", dilation=3),
         getattr(torch.nn, f"Conv{d}d")(2, 3, 2, padding="same", dilation=3)),
        (getattr(nn, f"ConvTranspose{d}d")(4, 2, 3, stride=2, padding=1, output_padding=1),
         getattr(torch.nn, f"ConvTranspose{d}d")(4, 2, 3, stride=2, padding=1, output_padding=1)),
    ]
    for ours, theirs in cases:
        theirs.double()
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        ours.weight.data = ours.weight.data.astype(np.float64)
        ours.bias.data = ours.bias.data.astype(np.float64)
        x = rng.standard_normal((2, ours.in_channels) + (5,) * d)
        lx, tx = lucid.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        lo, to = ours(lx), theirs(tx)
        assert_close(lo, to.detach().numpy())
        seed = rng.standard_normal(lo.shape)
        lo.backward(seed)
        to.backward(torch.tensor(seed))
        assert_close(lx.grad, tx.grad.numpy())
        assert_close(ours.weight.grad, theirs.weight.grad.numpy())
        assert_close(ours.bias.grad, theirs.bias.grad.numpy())


@needs_torch
@pytest.mark.parametrize("output_size", [[13], [14], (1, 2, 14), [1, 14], [15], [12], (1, 2, 3, 14)])
def test_conv_transpose_output_size_like_torch(output_size):
    ours = nn.ConvTranspose1d(4, 2, 3, stride=3, padding=1)
    theirs = torch.nn.ConvTranspose1d(4, 2, 3, stride=3, padding=1)
    theirs.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.weight.data = ours.weight.data.astype(np.float64)
    ours.bias.data = ours.bias.data.astype(np.float64)
    x = np.random.default_rng(0).standard_normal((1, 4, 5))       # sizes 13..15 reachable
    try:
        want = theirs(torch.tensor(x), output_size=output_size).detach().numpy()
    except (ValueError, RuntimeError, IndexError) as exc:
        with pytest.raises(ValueError, match="ConvTranspose1d.forward: output_size"):
            ours(lucid.Tensor(x), output_size=output_size)
        assert str(exc)  # torch refused too
        return
    assert_close(ours(lucid.Tensor(x), output_size=output_size), want)


@needs_torch
def test_conv_transpose2d_output_size_unbatched_and_2d():
    ours = nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)
    theirs = torch.nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1).double()
    ours.load_state_dict({k: v.detach().numpy().astype(np.float32) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 4, 4)).astype(np.float32)
    for size in [(7, 8), (8, 7), (2, 8, 8)]:
        got = ours(lucid.Tensor(x), output_size=size)
        want = theirs.float()(torch.tensor(x), output_size=size).detach().numpy()
        assert_close(got, want)


@needs_torch
def test_unfold_layer_matches_torch(rng):
    x = rng.standard_normal((2, 3, 6, 5))
    got = nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1))(lucid.Tensor(x))
    want = torch.nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1))(torch.tensor(x))
    assert_close(got, want.numpy())
