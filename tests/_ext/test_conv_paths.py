"""The compiled conv twin's speed paths (``_conv.pyx``), each where its rule takes it.

* A conv_transpose with stride 1, no output_padding and no more input than output
  channels runs as the convolution it equals, kernel flipped (``_as_flipped_conv``):
  that is also a conv's input gradient at stride 1.

Each case asserts the rule took (or did not take) the path, then compares with the
reference twin on every GEMM form of the compiled twin (per sample, batch chunks) and,
on both twins, with PyTorch; the ops built on it are gradchecked in float64.
"""
import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import _ext
from lucid._ext._sizes import conv_transpose_output_size
from lucid.testing import check_kernels, gradcheck
from tests._ext.test_conv_kernels import BUILD, assert_scaled, conv, force_gemm_path
from tests.conftest import torch

KERNEL_FAMILIES = ("conv",)     # the conftest twin fixture: only conv must be built


def compiled():
    if not _ext.compiled_available("conv"):
        pytest.skip(BUILD)
    return _ext._compiled["conv"]


def spy(module, name, monkeypatch):
    """Count the calls of ``module.name`` (a module-level function the kernels call)."""
    calls = []
    real = getattr(module, name)

    def counted(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(module, name, counted)
    return calls


# ------------------------------------------------------------------ flipped conv
# (d, N, C_in, C_out, groups, S, K, padding, dilation, output_padding, stride, taken)
FLIP_CASES = [
    (2, 3, 4, 4, 1, (6, 5), (3, 3), (1, 1), (1, 1), (0, 0), (1, 1), True),
    (2, 2, 4, 6, 2, (5, 7), (3, 2), (0, 1), (2, 1), (0, 0), (1, 1), True),
    (2, 2, 9, 9, 3, (4, 4), (2, 3), (1, 2), (1, 1), (0, 0), (1, 1), True),  # conv padding 0
    (1, 4, 3, 5, 1, (9,), (4,), (2,), (1,), (0,), (1,), True),
    (1, 2, 4, 8, 2, (7,), (3,), (3,), (2,), (0,), (1,), True),              # p = dil*(K-1)
    (3, 2, 6, 6, 2, (3, 4, 3), (2, 3, 2), (1, 0, 1), (1, 1, 2), (0, 0, 0), (1, 1, 1), True),
    (2, 2, 6, 3, 1, (5, 5), (3, 3), (1, 1), (1, 1), (0, 0), (1, 1), False),  # C_in > C_out
    (1, 2, 4, 4, 1, (8,), (3,), (3,), (1,), (0,), (1,), False),           # p > dil*(K-1)
    (1, 2, 4, 4, 1, (8,), (3,), (1,), (2,), (1,), (1,), False),           # output_padding
    (2, 2, 4, 4, 1, (5, 5), (3, 3), (1, 1), (1, 1), (0, 0), (1, 2), False),  # stride 2
    (2, 2, 4, 4, 4, (5, 5), (3, 3), (1, 1), (1, 1), (0, 0), (1, 1), False),  # depthwise
]


def _flip_id(c):
    d, N, ci, co, g, S, K, p, dil, op, s, taken = c
    return f"{d}d-{ci}to{co}-g{g}-K{K}-p{p}-dil{dil}-op{op}-s{s}-{'flip' if taken else 'col2im'}"


def _flip_arrays(c, dtype, seed=0):
    d, N, ci, co, g, S, K, p, dil, op, s, _ = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, ci) + S).astype(dtype)
    w = rng.standard_normal((ci, co // g) + K).astype(dtype)
    return x, w, (s, p, op, dil, g)


@pytest.mark.parametrize("c", FLIP_CASES, ids=_flip_id)
def test_flipped_conv_rule(c, monkeypatch):
    """The flipped conv runs exactly where its rule says (stride 1, no output_padding,
    padding <= dil*(K-1), C_in <= C_out, a GEMM path)."""
    module = compiled()
    calls = spy(module, "_flipped_weight", monkeypatch)
    x, w, args = _flip_arrays(c, np.float64)
    module.conv_transpose_forward(x, w, *args)
    assert bool(calls) == c[-1]


@pytest.mark.parametrize("path", ["gemm-per-sample", "gemm", "gemm-chunked"])
@pytest.mark.parametrize("c", FLIP_CASES, ids=_flip_id)
def test_flipped_conv_matches_reference(c, path, float_dtype, monkeypatch):
    module = compiled()
    force_gemm_path(module, path, monkeypatch, 60)
    x, w, args = _flip_arrays(c, float_dtype, seed=1)
    tol = (dict(rtol=1e-5, atol=1e-5) if float_dtype == np.float32
           else dict(rtol=1e-12, atol=1e-12))
    check_kernels("conv", "conv_transpose_forward", x, w, *args, **tol)


@pytest.mark.torch
@pytest.mark.parametrize("c", FLIP_CASES, ids=_flip_id)
def test_flipped_conv_matches_torch(twin, c, float_dtype):
    """conv_transpose_forward as a conv_transpose's forward and as a conv's input
    gradient (the same call), against torch in float64."""
    x, w, (s, p, op, dil, g) = _flip_arrays(c, float_dtype, seed=2)
    d = c[0]
    fn = getattr(torch.nn.functional, f"conv_transpose{d}d")
    yt = fn(torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64),
            None, s, p, op, g, dil).numpy()
    y = conv().conv_transpose_forward(x, w, s, p, op, dil, g)
    scale = _ext._reference["conv"].conv_transpose_forward(
        np.abs(x).astype(np.float64), np.abs(w).astype(np.float64), s, p, op, dil, g)
    assert_scaled(y, yt, scale, float_dtype)


@pytest.mark.parametrize("transposed", [False, True])
def test_flipped_conv_gradcheck(twin, transposed):
    """Through the ops, float64, shapes whose stride-1 input gradient (conv) or forward
    and weight gradient's partner (conv_transpose) take the flipped conv."""
    rng = np.random.default_rng(3)
    if transposed:
        shapes, fn = ((2, 4, 4, 3), (4, 3, 3, 2), (6,)), F.conv_transpose2d
        kw = dict(padding=(1, 0), groups=2, dilation=(1, 2))
    else:
        shapes, fn = ((2, 4, 5, 4), (4, 2, 3, 2), (4,)), F.conv2d
        kw = dict(padding=(1, 1), groups=2, dilation=(2, 1))
    inputs = [lucid.Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(lambda x, w, b: fn(x, w, b, **kw), inputs)


def test_flipped_conv_output_size():
    """The conv it runs has the conv_transpose's output size (the identity the rule uses)."""
    module = compiled()
    for S, K, p, dil in [(5, 3, 1, 1), (7, 3, 0, 2), (4, 4, 3, 1), (6, 2, 1, 3)]:
        pad = module._as_flipped_conv((1,), (p,), (0,), (dil,), (K,), 1, 1)
        assert pad == (dil * (K - 1) - p,)
        assert S + 2 * pad[0] - dil * (K - 1) == conv_transpose_output_size(S, K, 1, p, 0, dil)
