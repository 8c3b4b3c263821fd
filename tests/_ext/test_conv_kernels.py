"""The convolution kernels on both twins.

Oracles: tiny element-by-element loops written here (they follow the formulas of
``lucid/_ext/conv.py`` one output at a time), PyTorch's conv / conv_transpose /
unfold / fold (values and autograd gradients), and the adjoint identities that tie the
kernels together. The compiled twin is also run with each of its code paths forced
(direct loops, GEMM, GEMM over several batch chunks) and compared with the reference.

Float32 results are compared with a float64 truth, with a tolerance proportional to
the magnitude of the sum's terms (``scale``, the same kernel on ``|x|`` and ``|w|``):
float32 rounding is relative to the terms, not to a result that may cancel to ~0.
"""
import inspect
import itertools
import math
import pathlib
import re

import numpy as np
import pytest

import lucid
from tests.conftest import torch
from lucid import _ext
from lucid._ext._sizes import conv_output_size, conv_transpose_output_size
from lucid.testing import assert_close, check_kernels
from tests.helpers import NotPlain, unaligned

needs_torch = pytest.mark.torch
FUNCTIONS = ["conv_forward", "conv_weight_grad", "conv_transpose_forward", "unfold", "fold"]
KERNEL_FAMILIES = ("conv",)     # the conftest twin fixture: only conv must be built
BUILD = f"the compiled conv twin is not built; {_ext.BUILD_HINT}"


def conv():
    return _ext.get("conv")


# ------------------------------------------------------------------ tiny loop oracles
def _positions(shape):
    return itertools.product(*(range(n) for n in shape))


def _read(x_nc, pos):
    """x_nc[pos], or 0 outside (zero padding)."""
    if all(0 <= i < n for i, n in zip(pos, x_nc.shape)):
        return x_nc[pos]
    return 0.0


def oracle_conv(x, w, s, p, dil, G):
    N, C_in = x.shape[:2]
    C_out, C_in_g = w.shape[:2]
    K = w.shape[2:]
    O = [conv_output_size(*a) for a in zip(x.shape[2:], K, s, p, dil)]
    y = np.zeros((N, C_out, *O))
    for n, co in _positions((N, C_out)):
        g = co // (C_out // G)
        for o in _positions(O):
            for ci, k in itertools.product(range(C_in_g), _positions(K)):
                pos = tuple(oi * si + ki * di - pi for oi, si, ki, di, pi in zip(o, s, k, dil, p))
                y[(n, co) + o] += w[(co, ci) + k] * _read(x[n, g * C_in_g + ci], pos)
    return y


def oracle_weight_grad(x, gy, K, s, p, dil, G):
    N, C_in = x.shape[:2]
    C_out = gy.shape[1]
    C_in_g = C_in // G
    gw = np.zeros((C_out, C_in_g, *K))
    for co, ci, k in itertools.product(range(C_out), range(C_in_g), _positions(K)):
        g = co // (C_out // G)
        for n, o in itertools.product(range(N), _positions(gy.shape[2:])):
            pos = tuple(oi * si + ki * di - pi for oi, si, ki, di, pi in zip(o, s, k, dil, p))
            gw[(co, ci) + k] += gy[(n, co) + o] * _read(x[n, g * C_in_g + ci], pos)
    return gw


def oracle_conv_transpose(x, w, s, p, op, dil, G):
    N, C_in = x.shape[:2]
    C_out_g = w.shape[1]
    K = w.shape[2:]
    O = [conv_transpose_output_size(*a) for a in zip(x.shape[2:], K, s, p, op, dil)]
    y = np.zeros((N, C_out_g * G, *O))
    for n, ci in _positions((N, C_in)):
        g = ci // (C_in // G)
        for i, k, a in itertools.product(_positions(x.shape[2:]), _positions(K), range(C_out_g)):
            pos = tuple(ii * si + ki * di - pi for ii, si, ki, di, pi in zip(i, s, k, dil, p))
            if all(0 <= q < n_ for q, n_ in zip(pos, O)):
                y[(n, g * C_out_g + a) + pos] += x[(n, ci) + i] * w[(ci, a) + k]
    return y


def oracle_unfold(x, K, s, p, dil):
    N, C = x.shape[:2]
    O = [conv_output_size(*a) for a in zip(x.shape[2:], K, s, p, dil)]
    cols = np.zeros((N, C * math.prod(K), math.prod(O)))
    for n, c in _positions((N, C)):
        for j, k in enumerate(_positions(K)):
            for l, o in enumerate(_positions(O)):
                pos = tuple(oi * si + ki * di - pi for oi, si, ki, di, pi in zip(o, s, k, dil, p))
                cols[n, c * math.prod(K) + j, l] = _read(x[n, c], pos)
    return cols


def oracle_fold(cols, S, K, s, p, dil):
    N = cols.shape[0]
    C = cols.shape[1] // math.prod(K)
    O = [conv_output_size(*a) for a in zip(S, K, s, p, dil)]
    x = np.zeros((N, C, *S))
    for n, c in _positions((N, C)):
        for j, k in enumerate(_positions(K)):
            for l, o in enumerate(_positions(O)):
                pos = tuple(oi * si + ki * di - pi for oi, si, ki, di, pi in zip(o, s, k, dil, p))
                if all(0 <= q < n_ for q, n_ in zip(pos, S)):
                    x[(n, c) + pos] += cols[n, c * math.prod(K) + j, l]
    return x


# ------------------------------------------------------------------ configurations
def random_config(rng, transpose=False, max_channels=3, both=False):
    """A random valid geometry: d in 1..3, groups, stride, padding, dilation, kernel,
    output_padding; output sizes >= 1 (the caller's validation guarantees that) for the
    conv, the transposed conv (``transpose``) or both (``both``)."""
    while True:
        d = int(rng.integers(1, 4))
        G = int(rng.choice([1, 1, 2, 3]))
        C_in_g, C_out_g = (int(c) for c in rng.integers(1, max_channels + 1, size=2))
        K = tuple(int(k) for k in rng.integers(1, 5 if d < 3 else 4, size=d))
        s = tuple(int(v) for v in rng.integers(1, 4, size=d))
        p = tuple(int(v) for v in rng.integers(0, 3, size=d))
        dil = tuple(int(v) for v in rng.integers(1, 4, size=d))
        op = tuple(int(rng.integers(0, max(si, di))) for si, di in zip(s, dil))
        S = tuple(int(rng.integers(1, 10 if d < 3 else 6)) for _ in range(d))
        N = int(rng.integers(1, 4))
        O = [conv_output_size(*a) for a in zip(S, K, s, p, dil)]
        OT = [conv_transpose_output_size(*a) for a in zip(S, K, s, p, op, dil)]
        if min(O if not transpose or both else OT) >= 1 and (not both or min(OT) >= 1):
            return dict(d=d, G=G, C_in_g=C_in_g, C_out_g=C_out_g, K=K, s=s, p=p, dil=dil,
                        op=op, S=S, N=N)


def make_conv(rng, c, dtype):
    x = rng.standard_normal((c["N"], c["G"] * c["C_in_g"], *c["S"])).astype(dtype)
    w = rng.standard_normal((c["G"] * c["C_out_g"], c["C_in_g"], *c["K"])).astype(dtype)
    return x, w


def make_transpose(rng, c, dtype):
    x = rng.standard_normal((c["N"], c["G"] * c["C_in_g"], *c["S"])).astype(dtype)
    w = rng.standard_normal((c["G"] * c["C_in_g"], c["C_out_g"], *c["K"])).astype(dtype)
    return x, w


def assert_scaled(got, expected, scale, dtype):
    """``got`` equals ``expected`` within rounding relative to the terms' magnitude."""
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == dtype
    assert got.flags.c_contiguous
    eps = np.finfo(dtype).eps
    limit = 64 * eps * (np.abs(scale) + 1e-30) + 1e-300
    err = np.abs(got.astype(np.float64) - expected)
    assert np.all(err <= limit), f"max error {err.max():.3g}, allowed {limit.max():.3g}"


# Small configurations for the loop oracles (pure-Python loops: keep them tiny).
ORACLE_CASES = [random_config(np.random.default_rng(seed)) for seed in range(12)]
TRANSPOSE_ORACLE_CASES = [random_config(np.random.default_rng(100 + seed), transpose=True)
                          for seed in range(12)]


def _id(c):
    return (f"{c['d']}d-g{c['G']}-c{c['C_in_g']}x{c['C_out_g']}-K{c['K']}-s{c['s']}"
            f"-p{c['p']}-d{c['dil']}-op{c['op']}").replace(" ", "")


# ------------------------------------------------------------------ loop oracles
@pytest.mark.parametrize("c", ORACLE_CASES, ids=_id)
def test_conv_forward_and_weight_grad_match_loops(twin, float_dtype, c):
    rng = np.random.default_rng(1)
    x, w = make_conv(rng, c, float_dtype)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    y = conv().conv_forward(x, w, c["s"], c["p"], c["dil"], c["G"])
    scale = oracle_conv(np.abs(x64), np.abs(w64), c["s"], c["p"], c["dil"], c["G"])
    assert_scaled(y, oracle_conv(x64, w64, c["s"], c["p"], c["dil"], c["G"]), scale, float_dtype)

    gy = rng.standard_normal(y.shape).astype(float_dtype)
    gw = conv().conv_weight_grad(x, gy, c["K"], c["s"], c["p"], c["dil"], c["G"])
    args = (c["K"], c["s"], c["p"], c["dil"], c["G"])
    expected = oracle_weight_grad(x64, gy.astype(np.float64), *args)
    scale = oracle_weight_grad(np.abs(x64), np.abs(gy.astype(np.float64)), *args)
    assert_scaled(gw, expected, scale, float_dtype)


@pytest.mark.parametrize("c", TRANSPOSE_ORACLE_CASES, ids=_id)
def test_conv_transpose_forward_matches_loops(twin, float_dtype, c):
    rng = np.random.default_rng(2)
    x, w = make_transpose(rng, c, float_dtype)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    args = (c["s"], c["p"], c["op"], c["dil"], c["G"])
    y = conv().conv_transpose_forward(x, w, *args)
    scale = oracle_conv_transpose(np.abs(x64), np.abs(w64), *args)
    assert_scaled(y, oracle_conv_transpose(x64, w64, *args), scale, float_dtype)


@pytest.mark.parametrize("c", ORACLE_CASES[:8], ids=_id)
def test_unfold_and_fold_match_loops(twin, float_dtype, c):
    rng = np.random.default_rng(3)
    x, _ = make_conv(rng, c, float_dtype)
    geometry = (c["K"], c["s"], c["p"], c["dil"])
    cols = conv().unfold(x, *geometry)
    assert cols.dtype == float_dtype and cols.flags.c_contiguous
    np.testing.assert_array_equal(cols, oracle_unfold(x.astype(np.float64), *geometry))
    back = conv().fold(cols, c["S"], *geometry)
    expected = oracle_fold(cols.astype(np.float64), c["S"], *geometry)
    scale = oracle_fold(np.abs(cols.astype(np.float64)), c["S"], *geometry)
    assert_scaled(back, expected, scale, float_dtype)


def test_spec_examples(twin):
    """The worked examples of the conv_transpose1d page. The first two agree with
    PyTorch; for the grouped one the page printed ``[-4.0, -3.5, -2.0, 3.0]`` for the
    second channel, but -4*1 ... is -4, -4*0.5-5 = -3, -5*0.5-6 = -3.5, 6*0.5 = 3: PyTorch's
    value, asserted here."""
    x = np.array([[[1.0, 2.0, 3.0]]], dtype=np.float32)
    w = np.array([[[1.0, 0.5]]], dtype=np.float32)
    assert_close(conv().conv_transpose_forward(x, w, (1,), (0,), (0,), (1,), 1),
                 np.array([[[1.0, 2.5, 4.0, 1.5]]], dtype=np.float32))
    assert_close(conv().conv_transpose_forward(x, w, (2,), (0,), (0,), (1,), 1),
                 np.array([[[1.0, 0.5, 2.0, 1.0, 3.0, 1.5]]], dtype=np.float32))
    x2 = np.array([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]], dtype=np.float32)
    w2 = np.array([[[1.0, 0.5]], [[-1.0, 0.5]]], dtype=np.float32)
    assert_close(conv().conv_transpose_forward(x2, w2, (1,), (0,), (0,), (1,), 2),
                 np.array([[[1.0, 2.5, 4.0, 1.5], [-4.0, -3.0, -3.5, 3.0]]], dtype=np.float32))


# ------------------------------------------------------------------ PyTorch parity
def _torch_conv(d):
    return getattr(torch.nn.functional, f"conv{d}d")


def _torch_conv_transpose(d):
    return getattr(torch.nn.functional, f"conv_transpose{d}d")


def _scale_conv(x, w, c):
    """The reference kernel on |x|, |w| in float64: the magnitude of the summed terms."""
    ref = _ext._reference["conv"]
    return ref.conv_forward(np.abs(x).astype(np.float64), np.abs(w).astype(np.float64),
                            c["s"], c["p"], c["dil"], c["G"])


# Random grids: thin channel blocks (the compiled twin's direct loops) and wider ones
# (its GEMM path), every d, stride, padding, dilation, groups, depthwise.
PARITY_CASES = ([random_config(np.random.default_rng(200 + i)) for i in range(24)]
                + [random_config(np.random.default_rng(300 + i), max_channels=9) for i in range(24)])
TRANSPOSE_PARITY_CASES = (
    [random_config(np.random.default_rng(400 + i), transpose=True) for i in range(24)]
    + [random_config(np.random.default_rng(500 + i), transpose=True, max_channels=9)
       for i in range(24)])


@needs_torch
@pytest.mark.parametrize("c", PARITY_CASES, ids=_id)
def test_conv_kernels_match_torch(twin, float_dtype, c):
    """Forward, weight gradient and input gradient (= conv_transpose_forward of grad_y
    with the output_padding that gives back the input size) against torch autograd."""
    rng = np.random.default_rng(4)
    x, w = make_conv(rng, c, float_dtype)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    yt = _torch_conv(c["d"])(xt, wt, None, c["s"], c["p"], c["dil"], c["G"])
    gy = rng.standard_normal(tuple(yt.shape)).astype(float_dtype)
    yt.backward(torch.tensor(gy, dtype=torch.float64))

    y = conv().conv_forward(x, w, c["s"], c["p"], c["dil"], c["G"])
    assert_scaled(y, yt.detach().numpy(), _scale_conv(x, w, c), float_dtype)

    gw = conv().conv_weight_grad(x, gy, c["K"], c["s"], c["p"], c["dil"], c["G"])
    scale = _ext._reference["conv"].conv_weight_grad(
        np.abs(x).astype(np.float64), np.abs(gy).astype(np.float64),
        c["K"], c["s"], c["p"], c["dil"], c["G"])
    assert_scaled(gw, wt.grad.numpy(), scale, float_dtype)

    O = y.shape[2:]
    op = tuple(S - conv_transpose_output_size(o, K, s, p, 0, dil)
               for S, o, K, s, p, dil in zip(c["S"], O, c["K"], c["s"], c["p"], c["dil"]))
    gx = conv().conv_transpose_forward(gy, w, c["s"], c["p"], op, c["dil"], c["G"])
    scale = _ext._reference["conv"].conv_transpose_forward(
        np.abs(gy).astype(np.float64), np.abs(w).astype(np.float64),
        c["s"], c["p"], op, c["dil"], c["G"])
    assert_scaled(gx, xt.grad.numpy(), scale, float_dtype)


@needs_torch
@pytest.mark.parametrize("c", TRANSPOSE_PARITY_CASES, ids=_id)
def test_conv_transpose_kernels_match_torch(twin, float_dtype, c):
    """conv_transpose forward against torch; its backward is conv_forward (input
    gradient) and conv_weight_grad with input and output gradient swapped."""
    rng = np.random.default_rng(5)
    x, w = make_transpose(rng, c, float_dtype)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    yt = _torch_conv_transpose(c["d"])(xt, wt, None, c["s"], c["p"], c["op"], c["G"], c["dil"])
    gy = rng.standard_normal(tuple(yt.shape)).astype(float_dtype)
    yt.backward(torch.tensor(gy, dtype=torch.float64))
    ref = _ext._reference["conv"]
    absx, absw, absgy = (np.abs(a).astype(np.float64) for a in (x, w, gy))

    args = (c["s"], c["p"], c["op"], c["dil"], c["G"])
    y = conv().conv_transpose_forward(x, w, *args)
    assert_scaled(y, yt.detach().numpy(), ref.conv_transpose_forward(absx, absw, *args), float_dtype)

    # With output_padding >= stride (allowed when smaller than dilation) the conv of
    # grad_y has extra trailing positions that no input fed: the op crops them.
    crop = (Ellipsis,) + tuple(slice(0, S) for S in c["S"])
    gx = conv().conv_forward(gy, w, c["s"], c["p"], c["dil"], c["G"])
    scale = ref.conv_forward(absgy, absw, c["s"], c["p"], c["dil"], c["G"])
    assert_scaled(np.ascontiguousarray(gx[crop]), xt.grad.numpy(), scale[crop], float_dtype)

    wargs = (c["K"], c["s"], c["p"], c["dil"], c["G"])
    gw = conv().conv_weight_grad(gy, x, *wargs)
    assert_scaled(gw, wt.grad.numpy(), ref.conv_weight_grad(absgy, absx, *wargs), float_dtype)


@needs_torch
@pytest.mark.parametrize("seed", range(10))
def test_unfold_and_fold_match_torch(twin, float_dtype, seed):
    """torch's unfold / fold exist for 2 spatial axes (the loop oracle covers 1d, 3d)."""
    rng = np.random.default_rng(600 + seed)
    while True:
        c = random_config(rng)
        if c["d"] == 2:
            break
    x, _ = make_conv(rng, c, float_dtype)
    F = torch.nn.functional
    geometry = (c["K"], c["s"], c["p"], c["dil"])
    cols = conv().unfold(x, *geometry)
    expected = F.unfold(torch.tensor(x), c["K"], dilation=c["dil"], padding=c["p"], stride=c["s"])
    assert_close(cols, expected.numpy())
    back = conv().fold(cols, c["S"], *geometry)
    expected = F.fold(torch.tensor(cols, dtype=torch.float64), c["S"], c["K"],
                      dilation=c["dil"], padding=c["p"], stride=c["s"])
    scale = F.fold(torch.tensor(np.abs(cols), dtype=torch.float64), c["S"], c["K"],
                   dilation=c["dil"], padding=c["p"], stride=c["s"])
    assert_scaled(back, expected.numpy(), scale.numpy(), float_dtype)


@needs_torch
@pytest.mark.parametrize("d, N, C, K, s, p", [
    (1, 4, 8, (3,), (2,), (1,)),              # depthwise 1d
    (2, 3, 6, (3, 2), (1, 2), (1, 0)),        # depthwise 2d
    (3, 2, 4, (2, 2, 2), (1, 1, 2), (0, 1, 1)),
])
def test_depthwise_matches_torch(twin, float_dtype, d, N, C, K, s, p):
    rng = np.random.default_rng(7)
    c = dict(d=d, G=C, C_in_g=1, C_out_g=2, K=K, s=s, p=p, dil=(1,) * d, op=(0,) * d,
             S=(7,) * d, N=N)
    x, w = make_conv(rng, c, float_dtype)
    yt = _torch_conv(d)(torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64),
                        None, s, p, 1, C)
    y = conv().conv_forward(x, w, s, p, (1,) * d, C)
    assert_scaled(y, yt.numpy(), _scale_conv(x, w, c), float_dtype)
    wt = rng.standard_normal((C, 2, *K)).astype(float_dtype)
    yt = _torch_conv_transpose(d)(torch.tensor(x, dtype=torch.float64),
                                  torch.tensor(wt, dtype=torch.float64), None, s, p, 0, C)
    y = conv().conv_transpose_forward(x, wt, s, p, (0,) * d, (1,) * d, C)
    scale = _ext._reference["conv"].conv_transpose_forward(
        np.abs(x).astype(np.float64), np.abs(wt).astype(np.float64), s, p, (0,) * d, (1,) * d, C)
    assert_scaled(y, yt.numpy(), scale, float_dtype)


# ------------------------------------------------------------------ adjoint identities
@pytest.mark.parametrize("c", PARITY_CASES[::3], ids=_id)
def test_adjoint_identities(twin, c):
    """<conv(x, w), y> == <x, conv_transpose(y, w)> (the transpose is the adjoint),
    <conv(x, w), y> == <w, weight_grad(x, y)> (linearity in w), and
    <unfold(x), z> == <x, fold(z)>, to 1e-12 relative in float64."""
    rng = np.random.default_rng(8)
    x, w = make_conv(rng, c, np.float64)
    k = conv()
    y = k.conv_forward(x, w, c["s"], c["p"], c["dil"], c["G"])
    v = rng.standard_normal(y.shape)
    O = y.shape[2:]
    op = tuple(S - conv_transpose_output_size(o, K, s, p, 0, dil)
               for S, o, K, s, p, dil in zip(c["S"], O, c["K"], c["s"], c["p"], c["dil"]))
    lhs = np.vdot(y, v)
    rhs = np.vdot(x, k.conv_transpose_forward(v, w, c["s"], c["p"], op, c["dil"], c["G"]))
    rhs_w = np.vdot(w, k.conv_weight_grad(x, v, c["K"], c["s"], c["p"], c["dil"], c["G"]))
    norm = np.linalg.norm(y) * np.linalg.norm(v)
    assert abs(lhs - rhs) <= 1e-12 * norm
    assert abs(lhs - rhs_w) <= 1e-12 * norm

    geometry = (c["K"], c["s"], c["p"], c["dil"])
    cols = k.unfold(x, *geometry)
    z = rng.standard_normal(cols.shape)
    lhs, rhs = np.vdot(cols, z), np.vdot(x, k.fold(z, c["S"], *geometry))
    assert abs(lhs - rhs) <= 1e-12 * np.linalg.norm(cols) * np.linalg.norm(z)


# ------------------------------------------------------------------ both twins, every path
def force_gemm_path(compiled, path, monkeypatch, chunk_elements):
    """On the GEMM path, force its per-sample form (BLAS called from every OpenMP thread,
    whatever N) or its batch-chunk form (np.matmul: what runs where NumPy's BLAS is not
    an OpenBLAS lucid can call), with chunks of 1 or 2 samples for ``-chunked``. The
    blocked path, which a float32 convolution would take first, is turned off."""
    monkeypatch.setattr(compiled, "_BLOCKED_WIDE", False)
    if path == "gemm-per-sample":
        if compiled._BLAS is None:
            pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can call (lucid/_ext/_blas.py)")
        monkeypatch.setattr(compiled, "_path", lambda *sizes: "per-sample")
    else:
        monkeypatch.setattr(compiled, "_path", lambda *sizes: "batch-chunk")
    if path == "gemm-chunked":
        monkeypatch.setattr(compiled, "_CHUNK_ELEMENTS", chunk_elements)


def force_winograd(compiled, monkeypatch):
    """Every 2-d 3x3 stride-1 one-group convolution on the Winograd path, forward and
    both gradients, whatever its channels (the rule keeps it to wide layers), the
    blocked path turned off."""
    monkeypatch.setattr(compiled, "_BLOCKED_WIDE", False)
    if compiled._BLAS is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can call (lucid/_ext/_blas.py)")
    monkeypatch.setattr(compiled, "_WINOGRAD_MIN_PAIRS", 0)
    monkeypatch.setattr(compiled, "_WINOGRAD_MIN_TILES", 0)
    monkeypatch.setattr(compiled, "_WINOGRAD_GRAD_MIN_PAIRS", 0)
    monkeypatch.setattr(compiled, "_WINOGRAD_GRAD_MAX_THREADS", 1 << 10)


@pytest.fixture(params=["auto", "direct", "gemm-per-sample", "gemm", "gemm-chunked",
                        "winograd"])
def compiled_path(request, monkeypatch):
    """Force one code path of the compiled twin (its rule picks per call otherwise)."""
    if not _ext.compiled_available("conv"):
        pytest.skip(BUILD)
    compiled = _ext._compiled["conv"]
    if request.param == "direct":
        monkeypatch.setattr(compiled, "_BLOCKED_WIDE", False)
        monkeypatch.setattr(compiled, "_path", lambda *sizes: "direct")
    elif request.param.startswith("gemm"):
        force_gemm_path(compiled, request.param, monkeypatch, 200)
    elif request.param == "winograd":
        force_winograd(compiled, monkeypatch)
    if request.param != "auto" and request.param != "winograd":
        monkeypatch.setattr(compiled, "_winograd_fits", lambda *args, **kwargs: False)
    return request.param


@pytest.mark.parametrize("seed", range(16))
def test_compiled_agrees_with_reference(compiled_path, float_dtype, seed):
    rng = np.random.default_rng(700 + seed)
    c = random_config(rng, max_channels=6, both=True)
    c["N"] = int(rng.integers(1, 6))
    x, w = make_conv(rng, c, float_dtype)
    xt, wt = make_transpose(rng, c, float_dtype)
    scale = np.abs(_scale_conv(x, w, c)).max() + 1
    tol = dict(rtol=1e-5 if float_dtype == np.float32 else 1e-12,
               atol=64 * np.finfo(float_dtype).eps * scale)
    y = check_kernels("conv", "conv_forward", x, w, c["s"], c["p"], c["dil"], c["G"], **tol)
    gy = rng.standard_normal(y.shape).astype(float_dtype)
    check_kernels("conv", "conv_weight_grad", x, gy, c["K"], c["s"], c["p"], c["dil"], c["G"], **tol)
    check_kernels("conv", "conv_transpose_forward", xt, wt, c["s"], c["p"], c["op"],
                  c["dil"], c["G"], **tol)
    cols = check_kernels("conv", "unfold", x, c["K"], c["s"], c["p"], c["dil"])
    check_kernels("conv", "fold", cols, c["S"], c["K"], c["s"], c["p"], c["dil"], **tol)


@pytest.mark.parametrize("seed", range(12))
def test_biased_forward_is_forward_plus_bias(compiled_path, float_dtype, seed):
    """The compiled twin's private ``_conv_forward_biased`` (the op layer's call for a
    convolution with a bias) adds the bias where each path writes its output: the
    result is ``conv_forward + bias`` bit for bit on every path, and the reference's
    convolution plus the bias within float tolerance. Even seeds are 2-d 3x3 stride-1
    geometries, which the ``winograd`` path takes."""
    compiled = _ext._compiled["conv"]
    rng = np.random.default_rng(900 + seed)
    if seed % 2 == 0:
        c = dict(N=int(rng.integers(1, 5)), C_in_g=int(rng.integers(1, 6)),
                 C_out_g=int(rng.integers(1, 6)), G=1, K=(3, 3), s=(1, 1), dil=(1, 1),
                 S=tuple(int(v) for v in rng.integers(1, 12, size=2)))
        c["p"] = tuple(int(rng.integers(1, 3)) for _ in range(2))
    else:
        c = random_config(rng, max_channels=6)
        c["N"] = int(rng.integers(1, 6))
    x, w = make_conv(rng, c, float_dtype)
    b = (rng.standard_normal(w.shape[0]) * 3).astype(float_dtype)
    args = (c["s"], c["p"], c["dil"], c["G"])
    got = compiled._conv_forward_biased(x, w, b, *args)
    plain = compiled.conv_forward(x, w, *args)
    channel = (-1,) + (1,) * (x.ndim - 2)
    np.testing.assert_array_equal(got, plain + b.reshape(channel))
    scale = np.abs(_scale_conv(x, w, c)).max() + np.abs(b).max() + 1
    expected = _ext._reference["conv"].conv_forward(x, w, *args) + b.reshape(channel)
    np.testing.assert_allclose(got, expected,
                               rtol=1e-5 if float_dtype == np.float32 else 1e-12,
                               atol=64 * np.finfo(float_dtype).eps * scale)


@pytest.mark.parametrize("seed", range(12))
def test_biased_transpose_is_transpose_plus_bias(compiled_path, float_dtype, seed):
    """``_conv_transpose_forward_biased``, likewise: ``conv_transpose_forward + bias``
    bit for bit on every path (odd seeds have stride 1, run as the flipped convolution
    where the channels allow), the reference's plus the bias within tolerance."""
    compiled = _ext._compiled["conv"]
    rng = np.random.default_rng(950 + seed)
    while True:
        c = random_config(rng, transpose=True, max_channels=6)
        if seed % 2:
            c["s"], c["op"] = (1,) * c["d"], (0,) * c["d"]
        if min(conv_transpose_output_size(*a) for a in zip(c["S"], c["K"], c["s"], c["p"],
                                                           c["op"], c["dil"])) >= 1:
            break
    c["N"] = int(rng.integers(1, 6))
    x, w = make_transpose(rng, c, float_dtype)
    b = (rng.standard_normal(w.shape[1] * c["G"]) * 3).astype(float_dtype)
    args = (c["s"], c["p"], c["op"], c["dil"], c["G"])
    got = compiled._conv_transpose_forward_biased(x, w, b, *args)
    plain = compiled.conv_transpose_forward(x, w, *args)
    channel = (-1,) + (1,) * (x.ndim - 2)
    np.testing.assert_array_equal(got, plain + b.reshape(channel))
    expected = _ext._reference["conv"].conv_transpose_forward(x, w, *args) + b.reshape(channel)
    scale = np.abs(expected).max() + 1
    np.testing.assert_allclose(got, expected,
                               rtol=1e-5 if float_dtype == np.float32 else 1e-12,
                               atol=64 * np.finfo(float_dtype).eps * scale)


@pytest.mark.parametrize("change, error, words", [
    (lambda b: b[:-1], ValueError, "one value per output channel"),
    (lambda b: b.reshape(1, -1), ValueError, "must have 1 dimensions"),
    (lambda b: b.astype(np.float64), TypeError, "must have the dtype of w"),
    (lambda b: list(b), TypeError, "must be a NumPy array"),
    (lambda b: np.repeat(b, 2)[::2], ValueError, "C-contiguous"),
])
def test_biased_forward_rejects_a_bad_bias(change, error, words):
    if not _ext.compiled_available("conv"):
        pytest.skip(BUILD)
    compiled = _ext._compiled["conv"]
    x = np.ones((2, 3, 5, 5), np.float32)
    w = np.ones((4, 3, 3, 3), np.float32)
    b = np.zeros(4, np.float32)
    with pytest.raises(error, match=words) as info:
        compiled._conv_forward_biased(x, w, change(b), (1, 1), (1, 1), (1, 1), 1)
    assert "bias" in str(info.value)
    wt = np.ones((3, 2, 3, 3), np.float32)       # conv_transpose: C_out = 2 * groups
    with pytest.raises(error, match=words) as info:
        compiled._conv_transpose_forward_biased(x, wt, change(np.zeros(2, np.float32)),
                                                (1, 1), (1, 1), (0, 0), (1, 1), 1)
    assert "bias" in str(info.value)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_forwards_the_same_bits_with_the_arrays_checked_in_c_or_in_python(d):
    """The compiled forwards tell plain arrays (``_arrays.pxd``: ndarrays exactly,
    aligned, C-contiguous, one float dtype) in C and skip the arrays' checks; a
    subclass or an unaligned array takes them. The same geometry check and the same
    paths after: the same bytes, with and without the bias."""
    if not _ext.compiled_available("conv"):
        pytest.skip(BUILD)
    compiled = _ext._compiled["conv"]
    rng = np.random.default_rng(d)
    S, K = (9, 8, 7)[:d], (3, 2, 3)[:d]
    x = rng.standard_normal((2, 4) + S).astype(np.float32)
    w = rng.standard_normal((6, 2) + K).astype(np.float32)        # groups 2
    wt = rng.standard_normal((4, 3) + K).astype(np.float32)       # C_out = 3 * 2
    b = rng.standard_normal(6).astype(np.float32)
    geo = ((2,) * d, (1,) * d, (1,) * d)
    tgeo = ((2,) * d, (1,) * d, (1,) * d, (1,) * d)
    y = compiled._conv_forward_biased(x, w, b, *geo, 2)
    yt = compiled._conv_transpose_forward_biased(x, wt, b, *tgeo, 2)
    plain, plain_t = compiled.conv_forward(x, w, *geo, 2), compiled.conv_transpose_forward(
        x, wt, *tgeo, 2)
    for xs, ws, wts, bs in ((x.view(NotPlain), w, wt, b), (x, unaligned(w), unaligned(wt), b),
                            (x, w, wt, b.view(NotPlain)), (unaligned(x), w, wt, unaligned(b))):
        assert compiled._conv_forward_biased(xs, ws, bs, *geo, 2).tobytes() == y.tobytes()
        assert compiled.conv_forward(xs, ws, *geo, 2).tobytes() == plain.tobytes()
        assert (compiled._conv_transpose_forward_biased(xs, wts, bs, *tgeo, 2).tobytes()
                == yt.tobytes())
        assert compiled.conv_transpose_forward(xs, wts, *tgeo, 2).tobytes() == plain_t.tobytes()


@pytest.mark.parametrize("call, error, words", [
    (lambda k, x, w: k.conv_forward(x[:, :, :0], w, (1,), (0,), (1,), 1), ValueError,
     "conv_forward: x must have spatial sizes of at least 1"),
    (lambda k, x, w: k.conv_forward(x, w[..., None], (1,), (0,), (1,), 1), ValueError,
     "conv_forward: w must have 3 dimensions"),
    (lambda k, x, w: k.conv_forward(x, w.astype(np.float64), (1,), (0,), (1,), 1), TypeError,
     "conv_forward: w must have the dtype of x"),
    (lambda k, x, w: k.conv_forward(x, w, (0,), (0,), (1,), 1), ValueError, "stride"),
    (lambda k, x, w: k.conv_forward(x, w, (1,), (0,), (1,), 3), ValueError, "divisible by groups"),
    (lambda k, x, w: k.conv_transpose_forward(x[..., :0], w, (1,), (0,), (0,), (1,), 1),
     ValueError, "conv_transpose_forward: x must have spatial sizes of at least 1"),
    (lambda k, x, w: k.conv_transpose_forward(x, w, (1,), (-1,), (0,), (1,), 1), ValueError,
     "padding"),
    (lambda k, x, w: k._conv_forward_biased(x, w, np.zeros(3, np.float32), (1,), (0,), (1,), 1),
     ValueError, "_conv_forward_biased: bias must have one value per output channel"),
    (lambda k, x, w: k._conv_transpose_forward_biased(x, w, np.zeros(5, np.float32), (1,), (0,),
                                                      (0,), (1,), 1),
     ValueError, "_conv_transpose_forward_biased: bias must have one value per output channel"),
    (lambda k, x, w: k.conv_forward(x.astype(">f4"), w.astype(">f4"), (1,), (0,), (1,), 1),
     TypeError, "conv_forward: x must be float32 or float64, got dtype >f4"),
    (lambda k, x, w: k._conv_forward_biased(x, w, np.zeros(4, ">f4"), (1,), (0,), (1,), 1),
     TypeError, "_conv_forward_biased: bias must be float32 or float64, got dtype >f4"),
])
def test_plain_arrays_with_a_bad_argument_still_get_the_named_error(call, error, words):
    """Plain arrays go past the arrays' checks in C only when those would pass: an empty
    spatial axis, a weight of another rank or dtype, a bad geometry or a bias of the
    wrong length still gets the checks' error."""
    if not _ext.compiled_available("conv"):
        pytest.skip(BUILD)
    x = np.ones((2, 4, 6), np.float32)
    w = np.ones((4, 4, 3), np.float32)
    with pytest.raises(error, match=words):
        call(_ext._compiled["conv"], x, w)


def random_gemm_config(rng):
    """A geometry for the compiled twin's GEMM path: strides 1 and 2 mixed per axis
    (stride 1 with an output as wide as the input takes im2col's block copy), padding
    up to K + 1, output_padding up to max(stride, dilation) - 1; valid both ways."""
    while True:
        d = int(rng.integers(1, 4))
        K = tuple(int(k) for k in rng.integers(1, 5 if d < 3 else 4, size=d))
        s = tuple(int(rng.choice([1, 1, 2])) for _ in range(d))
        dil = tuple(int(rng.choice([1, 1, 2])) for _ in range(d))
        p = tuple(int(rng.integers(0, k + 2)) for k in K)
        op = tuple(int(rng.integers(0, max(si, di))) for si, di in zip(s, dil))
        S = tuple(int(rng.integers(1, 9 if d < 3 else 5)) for _ in range(d))
        G = int(rng.choice([1, 2]))
        C_in_g, C_out_g = (int(c) for c in rng.integers(2, 5, size=2))
        N = int(rng.integers(1, 5))
        O = [conv_output_size(*a) for a in zip(S, K, s, p, dil)]
        OT = [conv_transpose_output_size(*a) for a in zip(S, K, s, p, op, dil)]
        if min(O) >= 1 and min(OT) >= 1:
            return dict(d=d, G=G, C_in_g=C_in_g, C_out_g=C_out_g, K=K, s=s, p=p, dil=dil,
                        op=op, S=S, N=N)


def poison_workspaces(module, monkeypatch):
    """Every workspace the compiled conv ``module`` hands out comes full of NaN (for the
    test): a value a loop reads before writing it reaches the results."""
    workspace = module._workspace

    def poisoned(name, shape, dtype):
        buf = workspace(name, shape, dtype)
        buf.fill(np.nan)
        return buf

    monkeypatch.setattr(module, "_workspace", poisoned)


@pytest.mark.parametrize("path", ["gemm-per-sample", "gemm", "gemm-chunked"])
@pytest.mark.parametrize("seed", range(20))
def test_compiled_gemm_path_matches_reference(seed, path, monkeypatch):
    """The GEMM path of the compiled twin (im2col / col2im per sample on every thread, or
    in batch chunks around np.matmul, see ``_conv.pyx``) against the reference, with
    every workspace handed out full of NaN: no value of a previous call may leak into a
    result."""
    if not _ext.compiled_available("conv"):
        pytest.skip(BUILD)
    compiled = _ext._compiled["conv"]
    force_gemm_path(compiled, path, monkeypatch, 150)
    poison_workspaces(compiled, monkeypatch)
    rng = np.random.default_rng(900 + seed)
    c = random_gemm_config(rng)
    x, w = make_conv(rng, c, np.float64)
    xt, wt = make_transpose(rng, c, np.float64)
    tol = dict(rtol=1e-12, atol=1e-12)
    y = check_kernels("conv", "conv_forward", x, w, c["s"], c["p"], c["dil"], c["G"], **tol)
    gy = rng.standard_normal(y.shape)
    check_kernels("conv", "conv_weight_grad", x, gy, c["K"], c["s"], c["p"], c["dil"], c["G"],
                  **tol)
    check_kernels("conv", "conv_transpose_forward", xt, wt, c["s"], c["p"], c["op"],
                  c["dil"], c["G"], **tol)


@pytest.mark.parametrize("path", ["auto", "direct", "gemm-per-sample", "gemm", "gemm-chunked",
                                  "over-cap"])
@pytest.mark.parametrize("seed", range(8))
def test_transpose_grads_equal_the_two_kernels(path, seed, monkeypatch):
    """The compiled twin's private ``_transpose_grads`` (a conv_transpose's backward: the
    columns of grad_y formed once for both gradients) gives, bit for bit, what
    conv_forward and conv_weight_grad give separately, on every path and over the size
    cap of the kept columns; and it checks its arguments like the two kernels."""
    if not _ext.compiled_available("conv"):
        pytest.skip(BUILD)
    compiled = _ext._compiled["conv"]
    if path == "direct":
        monkeypatch.setattr(compiled, "_path", lambda *sizes: "direct")
    elif path.startswith("gemm"):
        force_gemm_path(compiled, path, monkeypatch, 150)
    elif path == "over-cap":
        monkeypatch.setattr(compiled, "_COLUMNS_MAX_BYTES", 0)
    rng = np.random.default_rng(1100 + seed)
    c = random_gemm_config(rng)
    geometry = (c["s"], c["p"], c["dil"], c["G"])
    for dtype in (np.float32, np.float64):
        xt, wt = make_transpose(rng, c, dtype)
        yt = compiled.conv_transpose_forward(xt, wt, c["s"], c["p"], c["op"], c["dil"], c["G"])
        gyt = rng.standard_normal(yt.shape).astype(dtype)
        gx = compiled.conv_forward(gyt, wt, *geometry)
        extra = [g - n for g, n in zip(gx.shape[2:], xt.shape[2:])]
        xp = np.ascontiguousarray(np.pad(xt, [(0, 0), (0, 0)] + [(0, e) for e in extra]))
        gw = compiled.conv_weight_grad(gyt, xp, c["K"], *geometry)
        got_x, got_w = compiled._transpose_grads(gyt, xp, wt, *geometry)
        assert np.array_equal(got_x, gx) and np.array_equal(got_w, gw)
    with pytest.raises(ValueError, match="conv_weight_grad: grad_y must have"):
        compiled._transpose_grads(gyt, xp[0], wt, *geometry)


@needs_torch
def test_op_gradients_with_column_reuse_match_torch(twin):
    """Through the autograd ops (conv_transpose's backward passes a holder from its input
    gradient to its weight gradient): conv2d and conv_transpose2d gradients on the GEMM
    path against PyTorch."""
    import lucid.nn.functional as F
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 6, 6))
    w = rng.standard_normal((5, 4, 3, 3))
    wt = rng.standard_normal((4, 5, 3, 3))
    for fn, tfn, weight, kw in [
        (F.conv2d, torch.nn.functional.conv2d, w, dict(padding=1)),
        (F.conv_transpose2d, torch.nn.functional.conv_transpose2d, wt,
         dict(stride=2, padding=1)),
    ]:
        xT = torch.tensor(x, requires_grad=True)
        wT = torch.tensor(weight, requires_grad=True)
        yT = tfn(xT, wT, **kw)
        g = rng.standard_normal(tuple(yT.shape))
        yT.backward(torch.tensor(g))
        xl = lucid.tensor(x, requires_grad=True)
        wl = lucid.tensor(weight, requires_grad=True)
        fn(xl, wl, **kw).backward(lucid.tensor(g))
        np.testing.assert_allclose(xl.grad, xT.grad.numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(wl.grad, wT.grad.numpy(), rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ contract details
@pytest.mark.parametrize("d", [1, 2, 3])
def test_empty_batch(twin, float_dtype, d):
    k = conv()
    one, zero = (1,) * d, (0,) * d
    x = np.zeros((0, 4) + (5,) * d, dtype=float_dtype)
    w = np.ones((6, 2) + (3,) * d, dtype=float_dtype)
    y = k.conv_forward(x, w, one, one, one, 2)
    assert y.shape == (0, 6) + (5,) * d and y.dtype == float_dtype
    gw = k.conv_weight_grad(x, y, (3,) * d, one, one, one, 2)
    assert gw.shape == w.shape and gw.dtype == float_dtype
    np.testing.assert_array_equal(gw, 0)
    wt = np.ones((4, 3) + (3,) * d, dtype=float_dtype)
    yt = k.conv_transpose_forward(x, wt, (2,) * d, one, one, one, 2)
    assert yt.shape == (0, 6) + (10,) * d and yt.dtype == float_dtype
    cols = k.unfold(x, (3,) * d, one, zero, one)
    assert cols.shape == (0, 4 * 3 ** d, 3 ** d) and cols.dtype == float_dtype
    back = k.fold(cols, (5,) * d, (3,) * d, one, zero, one)
    assert back.shape == x.shape and back.dtype == float_dtype


def test_results_are_new_arrays_and_inputs_untouched(twin):
    rng = np.random.default_rng(9)
    c = dict(d=2, G=2, C_in_g=5, C_out_g=4, K=(3, 3), s=(1, 2), p=(1, 1), dil=(1, 1),
             op=(0, 1), S=(6, 7), N=3)
    k = conv()
    for make, call in [
        (make_conv, lambda x, w: k.conv_forward(x, w, c["s"], c["p"], c["dil"], c["G"])),
        (make_conv, lambda x, w: k.conv_weight_grad(
            x, np.ones((3, 8, 6, 4)), c["K"], c["s"], c["p"], c["dil"], c["G"])),
        (make_transpose, lambda x, w: k.conv_transpose_forward(
            x, w, c["s"], c["p"], c["op"], c["dil"], c["G"])),
        (make_conv, lambda x, w: k.unfold(x, c["K"], c["s"], c["p"], c["dil"])),
    ]:
        x, w = make(rng, c, np.float64)
        x.flags.writeable = False                     # read-only inputs are accepted
        w.flags.writeable = False
        before = x.copy(), w.copy()
        out = call(x, w)
        assert out.flags.c_contiguous
        assert not np.shares_memory(out, x) and not np.shares_memory(out, w)
        np.testing.assert_array_equal(x, before[0])
        np.testing.assert_array_equal(w, before[1])
    # two calls give two independent results (no workspace is handed out)
    x, w = make_conv(rng, c, np.float32)
    a = k.conv_forward(x, w, c["s"], c["p"], c["dil"], c["G"])
    b = k.conv_forward(2 * x, w, c["s"], c["p"], c["dil"], c["G"])
    assert not np.shares_memory(a, b)
    assert_close(b, 2 * a, rtol=1e-5, atol=1e-4)


def test_nan_and_inf_propagate(twin):
    x = np.ones((1, 3, 6))
    x[0, 1, 2] = np.nan
    x[0, 2, 5] = np.inf
    w = np.ones((20, 3, 2))                       # 3*20 channel pairs: the GEMM path
    y = conv().conv_forward(x, w, (1,), (0,), (1,), 1)
    assert np.isnan(y[0, :, 1:3]).all() and np.isinf(y[0, :, 4]).all()
    assert np.isfinite(y[0, :, [0, 3]]).all()


def test_twins_have_the_same_interface():
    if not _ext.compiled_available("conv"):
        pytest.skip(BUILD)
    ref, com = _ext._reference["conv"], _ext._compiled["conv"]
    assert ref.__all__ == com.__all__ == FUNCTIONS
    for name in FUNCTIONS:
        assert inspect.signature(getattr(ref, name)) == inspect.signature(getattr(com, name))


@pytest.mark.parametrize("filename", ["conv.py", "_conv.pyx"])
def test_kernel_markers_for_the_docs(filename):
    """Each public kernel sits between ``# [kernel: name]`` and ``# [end kernel: name]``
    lines (the docs include the two twins' sources side by side from these)."""
    source = (pathlib.Path(_ext.__file__).parent / filename).read_text()
    for name in FUNCTIONS:
        block = re.search(rf"^# \[kernel: {name}\]\n(.*?)^# \[end kernel: {name}\]$",
                          source, re.S | re.M)
        assert block, f"{filename}: no marked block for {name}"
        assert re.match(rf"def {name}\(", block.group(1))


def test_path_rule():
    """Direct loops for thin channel blocks; the per-sample GEMM path when NumPy's BLAS
    was found and either the call is small (one thread) or every thread gets a sample
    and the threads' column matrices stay under the cap; else the batch-chunk path."""
    if not _ext.compiled_available("conv"):
        pytest.skip(BUILD)
    compiled = _ext._compiled["conv"]
    assert compiled._path(64, 1, 4, 100, 100) == "direct"           # 1 x 4 channel pairs
    assert compiled._path(64, 2, 4, 100, 100) != "direct"
    if compiled._BLAS is None:
        assert compiled._path(64, 2, 4, 100, 100) == "batch-chunk"
        return
    T = compiled._SAMPLE_THREADS
    assert 1 <= T <= 32
    cap = compiled._PER_SAMPLE_MAX_ELEMENTS // T
    from lucid._ext._openmp import SMALL_WORK
    small = SMALL_WORK // 4                             # N * columns under SMALL_WORK
    assert compiled._sample_threads(2, small) == 1
    assert compiled._path(1, 2, 4, small, 100) == "per-sample"      # one thread, one sample
    if T > 1:
        assert compiled._sample_threads(T, cap) == T
        assert compiled._path(T, 2, 4, cap, 100) == "per-sample"
        assert compiled._path(T, 2, 4, cap + 1, 100) == "batch-chunk"
        assert compiled._path(T - 1, 2, 4, cap, 100) == "batch-chunk"  # a sample short


@pytest.mark.parametrize("path", ["direct", "gemm"])
def test_parallel_loops_agree_with_reference_call_after_call(path, monkeypatch):
    """The loops run on every OpenMP thread with per-thread loop variables: a variable
    shared by mistake (Cython keeps one only passed by address shared) makes threads
    overwrite each other's index ranges, which shows as wrong values or a crash in
    some calls only. Many calls, with padding so that every kernel offset has its own
    inside range, each against the reference."""
    if not _ext.compiled_available("conv"):
        pytest.skip(BUILD)
    compiled, reference = _ext._compiled["conv"], _ext._reference["conv"]
    monkeypatch.setattr(compiled, "_path", lambda *sizes: "direct" if path == "direct" else "batch-chunk")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 8, 9, 11))
    w = rng.standard_normal((8, 1, 5, 4))                # depthwise: groups = 8
    geometry = ((1, 2), (2, 3), (2, 1), 8)
    y = reference.conv_forward(x, w, *geometry)
    gy = rng.standard_normal(y.shape)
    gw = reference.conv_weight_grad(x, gy, (5, 4), *geometry)
    gx = reference.conv_transpose_forward(gy, w, (1, 2), (2, 3), (0, 1), (2, 1), 8)
    assert gx.shape == x.shape
    for _ in range(40):
        assert_close(compiled.conv_forward(x, w, *geometry), y, rtol=1e-12, atol=1e-12)
        assert_close(compiled.conv_weight_grad(x, gy, (5, 4), *geometry), gw,
                     rtol=1e-12, atol=1e-12)
        assert_close(compiled.conv_transpose_forward(gy, w, (1, 2), (2, 3), (0, 1), (2, 1), 8),
                     gx, rtol=1e-12, atol=1e-12)
