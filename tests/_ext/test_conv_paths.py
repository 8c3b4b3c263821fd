"""The compiled conv twin's speed paths (``_conv.pyx``), each where its rule takes it.

* A conv_transpose with stride 1, no output_padding and no more input than output
  channels runs as the convolution it equals, kernel flipped (``_as_flipped_conv``):
  that is also a conv's input gradient at stride 1.
* The per-sample forward unfolds and multiplies its columns in tiles of whole window
  rows (``_tile_rows``): tiles that do not divide the window, one tile larger than it,
  tiles across the planes of a 3-d window, into a workspace or into kept columns. A
  batch with fewer samples than the team shares each sample's rows among the threads
  (``_split_rows``).
* im2col of a strided kernel larger than 1x1 gathers from a zero-padded copy of the
  input (``_im2col_box``): padding wider than the kernel, dilation, a stride along one
  axis only, input positions no window reads.
* 2-d 3x3 stride-1 convolutions with enough channels run by Winograd's F(2x2, 3x3)
  (``_winograd_fits``), forward, input gradient (the flipped conv, also for more input
  than output channels) and, on one thread, weight gradient: odd sizes, padding 0 to
  3, whole samples per job or chunks of tile rows, uneven runs of samples.

* float32 2-d stride-1 convolutions with whole blocks of 8 output channels run on the
  blocked path (``_blocked_fits``, ``_blocked.pxd``) where the processor has AVX-512:
  row widths around the 16 and 32 columns of its blocks, kernels 1x1 to 5x5, padding
  0 to 2 along each axis, a bias, infinities and NaN, one thread or all. Their weight
  gradients, any stride, 1-d too, with whole blocks of 16 output channels, run on its
  second loop nest (``_blocked_grad_w_fits``): 16, 32, 48 and 64 output channels (the
  three vector counts a block holds), 3-wide kernels by rows of three taps and others
  by single taps, every tail of 4, 2 and 1 rows, output sizes that are not whole
  blocks of 16 positions, with and without padding.
* float32 2-d convolutions the blocked path leaves (a stride, or rows under 16 wide)
  with whole vectors of 16 output channels run on the lanes path (``_lanes_fits``,
  ``_blocked.pxd``'s ``lucid_lanes_conv_f``): strides along one axis or both, 1, 2, 4
  and 7 vectors of output channels, position counts that are not whole blocks, 5x5 and
  1x3 kernels, a bias, infinities and NaN, one thread or all. float32 1-d convolutions
  run there as 2-d ones of height 1, kernels of 2 to 5 taps, any stride; with one vector
  of output channels, the row blocks (kernel and stride written in) then the general
  loops for the positions left: every (kernel, stride) they are written for, stride 3,
  rows shorter than a block, 1 to 3 vectors, the same bits as the general loops.
* float32 2-d 3x3 stride-1 convolutions with whole vectors of 16 input and output
  channels run by Winograd's F(2x2, 3x3) with the channels in the lanes
  (``_wl_fits``, ``_winograd.pxd``): forward, input gradient and, from 256 tiles,
  weight gradient (``_wl_grad_fits``); odd output sizes (half tiles), padding 0 to 2,
  1 to 7 vectors of output channels, input channels in runs of 6, 12 and 16 rows and
  their tails, chunks of one tile row, a bias, infinities, NaN and overflow (computed
  again on the next path), one thread or all, workspaces full of NaN.
* float32 2-d conv_transposes with a stride and whole pairs of vectors of output
  channels run by the phases of the stride (``_phases_fits``, ``_phase_axis``), each
  phase a stride-1 convolution on the lanes loops: strides along one axis or both, 2
  to 4, phases with different tap counts, output_padding, one input row, a bias, signed
  zeros, infinities and NaN, one thread or all; a stride-2 conv's input gradient.
  float32 1-d ones run there as 2-d of height 1, each phase a row on the row blocks:
  the rule (2 to 5 taps a phase, 128 outputs a phase, one vector only from at most 32
  input channels), 1 to 3 vectors, strides 2 and 3, phases of unequal taps,
  output_padding, a bias; ``ops.py``'s layer and a conv1d's input gradient against
  PyTorch.
* Each thread's part of a threaded workspace starts whole pages after the previous
  one's with a gap (``_part``): every path that gives threads parts gives the same bits
  with the parts spaced and back to back, on two threads; the loops share out the
  workspace they are handed, and one too small for the rule is refused.

Each case asserts the rule took (or did not take) the path, then compares with the
reference twin on every GEMM form of the compiled twin (per sample, batch chunks) and,
on both twins, with PyTorch; the ops built on it are gradchecked in float64.
"""
import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import _ext
from lucid._ext._sizes import as_5d, conv_output_size, conv_transpose_output_size
from lucid.testing import check_kernels, gradcheck
from tests._ext.test_conv_kernels import (BUILD, assert_scaled, conv, force_gemm_path,
                                          force_winograd, poison_workspaces)
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

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

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


# (N, C_in, C_out, S, K, padding): stride-1 conv_transposes whose flipped conv the
# lanes path takes (as on a processor with AVX-512 and two threads)
FLIP_LANES_CASES = [
    (1, 64, 64, (8, 8), (3, 3), (1, 1)),      # the ResNet's input gradient at batch 1
    (1, 32, 48, (6, 9), (3, 2), (1, 0)),      # an uneven kernel, padding along one axis
    (1, 32, 16, (5, 5), (3, 3), (2, 2)),      # the conv's padding 0 (p = K - 1)
    (1, 16, 32, (12,), (4,), (1,)),           # 1-d, as a 2-d conv of height 1
]


@pytest.mark.parametrize("N, ci, co, S, K, p", FLIP_LANES_CASES,
                         ids=["64to64-8x8", "32to48-K3x2", "32to16-p2", "1d"])
@pytest.mark.parametrize("biased", [False, True], ids=["", "bias"])
def test_flipped_conv_on_the_lanes_path(N, ci, co, S, K, p, biased, monkeypatch):
    """Where the flipped conv of a stride-1 conv_transpose (a conv's input gradient) runs
    on the lanes path, each thread flips the weight as it transposes it (no
    ``_flipped_weight``): the same bytes as the lanes conv of the flipped weight, with
    and without a bias, on one thread and on two."""
    module, *_ = _lanes_rule_of(monkeypatch)
    d = len(S)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((N, ci) + S).astype(np.float32)
    w = rng.standard_normal((ci, co) + K).astype(np.float32)
    bias = rng.standard_normal(co).astype(np.float32) if biased else None
    ones, zeros = (1,) * d, (0,) * d
    O = tuple(conv_transpose_output_size(n, k, 1, q, 0, 1) for n, k, q in zip(S, K, p))
    flipped = module._as_flipped_conv(ones, p, zeros, ones, K, ci, co, 1)
    assert flipped is not None
    assert module._lanes_takes(np.dtype(np.float32), N, ci, co, K, ones, ones, O)
    flipped_w = module._flipped_weight(w, 1)
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(module, "threads_for", lambda work, t=threads: t)
        monkeypatch.setattr(module, "free_threads", lambda parts, t=threads: min(parts, t))
        monkeypatch.setattr(module, "_SAMPLE_THREADS", threads)
        expected = np.empty((N, co) + O, np.float32)
        module._lanes_forward(x, flipped_w, ones, flipped, expected, bias)
        calls = spy(module, "_flipped_weight", monkeypatch)
        if biased:
            got = module._conv_transpose_forward_biased(x, w, bias, ones, p, zeros, ones, 1)
        else:
            got = module.conv_transpose_forward(x, w, ones, p, zeros, ones, 1)
        assert not calls                              # flipped in the lanes loops
        assert got.shape == expected.shape and got.tobytes() == expected.tobytes()
        results.append(got)
    assert results[0].tobytes() == results[1].tobytes()


@pytest.mark.parametrize("shape, groups", [((4, 3, 3, 3), 1), ((64, 64, 3, 3), 1),
                                           ((6, 2, 5), 3), ((4, 3, 2, 3, 2), 2),
                                           ((8, 1, 3, 3), 8)])
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_flipped_weight_is_the_flip(shape, groups, layout, float_dtype):
    """``_flipped_weight`` (a compiled loop) against the flip written as loops here:
    out[g*C_out_g + co, ci, k] = w[g*C_in_g + ci, co, K - 1 - k], every spatial axis
    reversed; the same bytes, from a contiguous weight and from a strided view."""
    rng = np.random.default_rng(3)
    full = rng.standard_normal(shape[:-1] + (2 * shape[-1],)).astype(float_dtype)
    w = np.ascontiguousarray(full[..., ::2]) if layout == "contiguous" else full[..., ::2]
    C_in, C_out_g = shape[:2]
    C_in_g = C_in // groups
    expected = np.empty((groups * C_out_g, C_in_g) + shape[2:], dtype=float_dtype)
    for g in range(groups):
        for co in range(C_out_g):
            for ci in range(C_in_g):
                for k in np.ndindex(*shape[2:]):
                    back = tuple(K - 1 - i for K, i in zip(shape[2:], k))
                    expected[(g * C_out_g + co, ci) + k] = w[(g * C_in_g + ci, co) + back]
    out = compiled()._flipped_weight(w, groups)
    assert out.dtype == float_dtype and out.flags.c_contiguous
    np.testing.assert_array_equal(out, expected)


def test_flipped_weight_refuses_uneven_groups():
    w = np.zeros((5, 2, 3, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="C_in 5 is not a multiple of groups 2"):
        compiled()._flipped_weight(w, 2)


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


# ------------------------------------------------------------------ geometry
def test_geometry_kept_and_as_5d():
    """``_geo`` keeps each geometry it built (a pure function of its tuples): asked
    again, or with lists (not kept), it gives the ``as_3d`` form; ``as_5d`` views 1-,
    2- and 3-d arrays as 5-d with the missing axes in front."""
    from lucid._ext._sizes import as_3d
    module = compiled()
    sizes = ((9,), (5,), (3,), (2,), (1,), (1,))
    built = tuple(as_3d(v, 0 if i == 4 else 1) for i, v in enumerate(sizes))
    assert module._geo(*sizes) == built == ((1, 1, 9), (1, 1, 5), (1, 1, 3), (1, 1, 2),
                                            (0, 0, 1), (1, 1, 1))
    assert module._geo(*sizes) is module._geo(*sizes)           # kept
    assert module._geo(*(list(v) for v in sizes)) == built      # lists: built each time
    for shape in [(2, 3, 7), (2, 3, 4, 7), (2, 3, 5, 4, 7)]:
        a = np.arange(np.prod(shape)).reshape(shape)
        five = as_5d(a)
        assert five.shape == shape[:2] + (1,) * (5 - len(shape)) + shape[2:]
        assert np.shares_memory(five, a) and (five.ravel() == a.ravel()).all()
    x = np.random.default_rng(0).standard_normal((1, 2, 9))
    got = module.unfold(x, [3], [2], [1], [1])                  # list sizes, as a user may
    from lucid._ext import conv as reference
    assert np.array_equal(got, reference.unfold(x, (3,), (2,), (1,), (1,)))


# ------------------------------------------------------------------ column tiles
def test_tile_rule():
    """_tile_rows tiles where its measurements say (thin weight, wide and deep enough
    columns) and returns every window row (one GEMM) elsewhere."""
    module = compiled()
    T = module._TILE_COLUMNS
    assert module._tile_rows((32, 32), 16 * 9, 16) == T // 32        # resnet 16->16
    assert module._tile_rows((32, 32), 3 * 9, 16) == T // 32         # resnet stem
    assert module._tile_rows((12, 12, 12), 8 * 27, 8) == T // 12     # 3-d
    assert module._tile_rows((1, 2048), 64, 16) == 1                 # a row wider than T
    assert module._tile_rows((16, 16), 16 * 9, 16) == 16             # 256 positions
    assert module._tile_rows((32, 32), 32 * 9, 32) == 32             # 32 output channels
    assert module._tile_rows((28, 28), 9, 16) == 28                  # depth 9
    assert module._tile_rows((256,), 128, 16) == 1                   # 1-d: one row


# (d, N, C_in, C_out, groups, S, K, stride, padding, dilation, tile columns)
TILE_CASES = [
    (2, 3, 3, 4, 1, (7, 9), (3, 3), (1, 1), (1, 1), (1, 1), 20),      # 2 rows of 9, 7 rows
    (2, 2, 4, 6, 2, (8, 6), (3, 2), (1, 1), (1, 0), (2, 1), 11),      # narrower than x
    (2, 2, 3, 5, 1, (9, 9), (3, 3), (2, 2), (1, 1), (1, 1), 13),      # stride 2
    (2, 2, 3, 4, 1, (5, 6), (3, 3), (1, 1), (1, 1), (1, 1), 1),       # one row per tile
    (2, 2, 3, 4, 1, (5, 6), (3, 3), (1, 1), (1, 1), (1, 1), 1000),    # one tile > window
    (2, 2, 2, 3, 1, (4, 5), (3, 3), (1, 1), (2, 2), (1, 1), 10),      # zero rows at edges
    (3, 2, 4, 4, 2, (4, 5, 6), (2, 3, 3), (1, 1, 1), (1, 1, 1), (1, 2, 1), 18),  # 3 rows
    (3, 2, 3, 3, 1, (3, 4, 5), (3, 2, 3), (1, 1, 2), (1, 0, 1), (1, 1, 1), 9),   # of planes
    (1, 3, 3, 4, 1, (13,), (3,), (1,), (1,), (1,), 5),                 # 1-d: one row
]


def _tile_id(c):
    d, N, ci, co, g, S, K, s, p, dil, T = c
    return f"{d}d-{ci}to{co}-g{g}-S{S}-K{K}-s{s}-p{p}-dil{dil}-T{T}"


def force_tiles(module, tile_columns, monkeypatch):
    """Per-sample path, column tiles of ``tile_columns`` positions whatever the shape."""
    force_gemm_path(module, "gemm-per-sample", monkeypatch, 0)
    monkeypatch.setattr(module, "_TILE_COLUMNS", tile_columns)
    monkeypatch.setattr(module, "_TILE_MIN_COLUMNS", 0)
    monkeypatch.setattr(module, "_TILE_MIN_DEPTH", 0)
    monkeypatch.setattr(module, "_TILE_MAX_OUT", 1 << 30)


def _tile_arrays(c, dtype, seed):
    d, N, ci, co, g, S, K, s, p, dil, T = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, ci) + S).astype(dtype)
    w = rng.standard_normal((co, ci // g) + K).astype(dtype)
    return x, w, (s, p, dil, g)


def _tol(dtype):
    return (dict(rtol=1e-5, atol=1e-5) if dtype == np.float32
            else dict(rtol=1e-12, atol=1e-12))


@pytest.mark.parametrize("c", TILE_CASES, ids=_tile_id)
def test_tiled_forward_matches_reference(c, float_dtype, monkeypatch):
    """The tiles are taken (more than one where the window has more rows than a tile)
    and the forward equals the reference twin's."""
    module = compiled()
    force_tiles(module, c[-1], monkeypatch)
    calls = spy(module, "_run_sample_conv", monkeypatch)
    x, w, args = _tile_arrays(c, float_dtype, seed=4)
    check_kernels("conv", "conv_forward", x, w, *args, **_tol(float_dtype))
    O = module.conv_forward(x, w, *args).shape[2:]
    W = O[-1]
    assert calls and calls[-1][7] == max(1, c[-1] // W)           # tile_rows
    # with a bias, added to each tile after its product: conv + bias, bit for bit
    b = np.random.default_rng(6).standard_normal(w.shape[0]).astype(float_dtype)
    np.testing.assert_array_equal(
        module._conv_forward_biased(x, w, b, *args),
        module.conv_forward(x, w, *args) + b.reshape((-1,) + (1,) * len(O)))


@pytest.mark.parametrize("c", TILE_CASES, ids=_tile_id)
def test_tiled_into_full_columns(c, float_dtype):
    """Tiles unfolded at their place in a full-batch column matrix (row stride L): the
    matrix is unfold's, the output the reference's."""
    module = compiled()
    if module._BLAS is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can call (lucid/_ext/_blas.py)")
    x, w, (s, p, dil, g) = _tile_arrays(c, float_dtype, seed=5)
    ref = _ext._reference["conv"]
    expected = ref.conv_forward(x, w, s, p, dil, g)
    O = expected.shape[2:]
    N, C_out = expected.shape[:2]
    R = x.shape[1] * int(np.prod(w.shape[2:]))
    full = np.full(N * R * int(np.prod(O)), np.nan, dtype=float_dtype)
    y = np.full(expected.shape, np.nan, dtype=float_dtype)
    geo = module._geo(x.shape[2:], O, w.shape[2:], s, p, dil)
    tile_rows = max(1, c[-1] // O[-1])
    with module._blas.one_thread():
        module._run_sample_conv(as_5d(x), w.reshape(C_out, -1), as_5d(y),
                                np.empty(1, float_dtype), full, geo, g, tile_rows,
                                module._SAMPLE_THREADS)
    tol = _tol(float_dtype)
    np.testing.assert_allclose(full.reshape(N, R, -1),
                               ref.unfold(x, w.shape[2:], s, p, dil).reshape(N, R, -1), **tol)
    np.testing.assert_allclose(y, expected, **tol)


@pytest.mark.parametrize("tiled", [False, True])
def test_transpose_grads_keeps_columns_unless_tiled(tiled, monkeypatch):
    """_transpose_grads keeps the columns of its forward for its weight gradient, except
    when that forward goes by tiles; the gradients are the reference's either way."""
    module = compiled()
    force_gemm_path(module, "gemm-per-sample", monkeypatch, 0)
    if not tiled:
        monkeypatch.setattr(module, "_TILE_MIN_COLUMNS", 1 << 30)
    else:
        monkeypatch.setattr(module, "_TILE_MIN_COLUMNS", 0)
    rng = np.random.default_rng(6)
    gy = rng.standard_normal((3, 4, 20, 20))                 # conv_transpose's grad_y
    x = rng.standard_normal((3, 5, 20, 20))                  # its input
    w = rng.standard_normal((5, 4, 3, 3))
    found = []
    real = module._kept_columns
    monkeypatch.setattr(module, "_kept_columns", lambda *a: found.append(real(*a)) or found[-1])
    args = ((1, 1), (1, 1), (1, 1), 1)
    gx, gw = module._transpose_grads(gy, x, w, *args)
    assert len(found) == 1 and (found[0] is None) == tiled
    ref = _ext._reference["conv"]
    np.testing.assert_allclose(gx, ref.conv_forward(gy, w, *args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw, ref.conv_weight_grad(gy, x, (3, 3), *args),
                               rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ a sample shared
def test_split_rule(monkeypatch):
    """_split_rows cuts each sample's window rows into runs, one per thread, when the
    batch has fewer samples than the team and a sample has enough flops; else it keeps
    the tiles of _tile_rows."""
    module = compiled()
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 4)
    big = module._SPLIT_SAMPLE_FLOPS
    assert module._split_rows(1, 16, 16, big) == 4           # 4 runs of 4 rows
    assert module._split_rows(1, 15, 15, big) == 4           # 4, 4, 4 and 3
    assert module._split_rows(2, 16, 16, big) == 8           # 2 runs a sample
    assert module._split_rows(3, 16, 16, big) == 8           # ceil(4 / 3) = 2 runs
    assert module._split_rows(1, 16, 2, big) == 2            # its tiles are smaller
    assert module._split_rows(4, 16, 16, big) == 16          # a sample per thread
    assert module._split_rows(1, 16, 16, big - 1) == 16      # too small to share
    assert module._split_rows(1, 1, 1, big) == 1             # one row


# (d, N, C_in, C_out, groups, S, K, stride, padding, dilation, team)
SPLIT_CASES = [
    (2, 1, 3, 8, 1, (9, 7), (3, 3), (1, 1), (1, 1), (1, 1), 2),
    (2, 1, 4, 6, 2, (11, 9), (3, 3), (2, 2), (1, 1), (1, 1), 4),       # 6 rows in 4 runs
    (2, 3, 3, 5, 1, (8, 8), (3, 2), (1, 1), (0, 1), (2, 1), 4),        # 3 samples, team 4
    (3, 1, 2, 4, 1, (4, 5, 6), (2, 3, 3), (1, 1, 1), (1, 1, 1), (1, 2, 1), 3),
    (1, 1, 3, 4, 1, (13,), (3,), (1,), (1,), (1,), 2),                 # one row: whole
]


def _split_id(c):
    d, N, ci, co, g, S, K, s, p, dil, team = c
    return f"{d}d-N{N}-{ci}to{co}-g{g}-S{S}-K{K}-s{s}-team{team}"


@pytest.mark.parametrize("c", SPLIT_CASES, ids=_split_id)
def test_split_sample_matches_reference(c, float_dtype, monkeypatch):
    """A batch with fewer samples than the team, its samples' rows shared among the
    threads (_split_rows): the tiles are the rule's, the result the reference twin's,
    with a bias conv + bias bit for bit, and the same bits on one free thread."""
    module = compiled()
    force_gemm_path(module, "gemm-per-sample", monkeypatch, 0)
    d, N, ci, co, g, S, K, s, p, dil, team = c
    monkeypatch.setattr(module, "_SAMPLE_THREADS", team)
    monkeypatch.setattr(module, "_SPLIT_SAMPLE_FLOPS", 0)
    calls = spy(module, "_run_sample_conv", monkeypatch)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((N, ci) + S).astype(float_dtype)
    w = rng.standard_normal((co, ci // g) + K).astype(float_dtype)
    args = (s, p, dil, g)
    check_kernels("conv", "conv_forward", x, w, *args, **_tol(float_dtype))
    y = module.conv_forward(x, w, *args)
    Q = int(np.prod(y.shape[2:-1]))                  # window rows
    runs = -(-team // N)
    assert calls[-1][7] == (Q if Q < 2 else -(-Q // runs))          # tile_rows
    b = rng.standard_normal(co).astype(float_dtype)
    np.testing.assert_array_equal(module._conv_forward_biased(x, w, b, *args),
                                  y + b.reshape((-1,) + (1,) * d))
    monkeypatch.setattr(module, "free_threads", lambda parts: 1)
    np.testing.assert_array_equal(module.conv_forward(x, w, *args), y)


def test_split_sample_keeps_columns(monkeypatch):
    """_transpose_grads of a batch of one, its forward's rows shared among the threads:
    the columns are unfolded at their places in the kept matrix, and both gradients are
    the reference's."""
    module = compiled()
    force_gemm_path(module, "gemm-per-sample", monkeypatch, 0)
    monkeypatch.setattr(module, "_TILE_MIN_COLUMNS", 1 << 30)     # one tile a sample
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 4)
    monkeypatch.setattr(module, "_SPLIT_SAMPLE_FLOPS", 0)
    calls = spy(module, "_run_sample_conv", monkeypatch)
    rng = np.random.default_rng(9)
    gy = rng.standard_normal((1, 4, 10, 10))
    x = rng.standard_normal((1, 5, 10, 10))
    w = rng.standard_normal((5, 4, 3, 3))
    args = ((1, 1), (1, 1), (1, 1), 1)
    gx, gw = module._transpose_grads(gy, x, w, *args)
    assert calls[-1][7] == 3 and calls[-1][4].shape[0] > 1        # 4 runs, columns kept
    ref = _ext._reference["conv"]
    np.testing.assert_allclose(gx, ref.conv_forward(gy, w, *args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw, ref.conv_weight_grad(gy, x, (3, 3), *args),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c", [TILE_CASES[0], TILE_CASES[6]], ids=_tile_id)
def test_tiled_gradcheck(twin, c, monkeypatch):
    """conv2d / conv3d through the ops, float64, tiles forced on the compiled twin (its
    forward and its stride-1 input gradient, the flipped conv, are tiled)."""
    force_tiles(compiled(), c[-1], monkeypatch)
    d, N, ci, co, g, S, K, s, p, dil, T = c
    rng = np.random.default_rng(7)
    shapes = ((2, ci) + S, (co, ci // g) + K, (co,))
    inputs = [lucid.Tensor(rng.standard_normal(sh), requires_grad=True) for sh in shapes]
    fn = getattr(F, f"conv{d}d")
    assert gradcheck(lambda x, w, b: fn(x, w, b, stride=s, padding=p, dilation=dil,
                                        groups=g), inputs)


# ------------------------------------------------------------------ im2col box
# (d, N, C_in, C_out, S, K, stride, padding, dilation): every case strided with a kernel
# larger than 1 (the box), each compared on every GEMM form and through unfold
BOX_CASES = [
    (2, 2, 3, 4, (9, 8), (3, 3), (2, 2), (1, 1), (1, 1)),
    (2, 2, 3, 4, (7, 7), (3, 2), (2, 3), (4, 3), (1, 1)),       # padding > kernel
    (2, 2, 2, 3, (11, 10), (3, 3), (2, 2), (2, 1), (2, 3)),     # dilation
    (2, 2, 3, 4, (8, 9), (3, 3), (1, 2), (1, 0), (1, 1)),       # stride along W only
    (2, 2, 3, 4, (9, 8), (2, 3), (3, 1), (0, 1), (1, 1)),       # along H only; unread rows
    (2, 2, 3, 4, (10, 10), (2, 2), (3, 3), (0, 0), (1, 1)),     # unread rows and columns
    (2, 2, 3, 4, (5, 41), (3, 3), (1, 2), (1, 1), (1, 1)),      # rows of 21: stride 2's
                                                                # vector loop and its rest
    (1, 3, 4, 5, (17,), (4,), (2,), (1,), (1,)),
    (1, 2, 3, 2, (13,), (3,), (3,), (5,), (2,)),
    (3, 2, 2, 3, (5, 6, 7), (3, 2, 3), (2, 1, 2), (1, 1, 0), (1, 2, 1)),
    (3, 2, 2, 3, (7, 4, 4), (3, 1, 1), (2, 1, 1), (1, 0, 0), (1, 1, 1)),  # stride in D only
]


def _box_id(c):
    d, N, ci, co, S, K, s, p, dil = c
    return f"{d}d-S{S}-K{K}-s{s}-p{p}-dil{dil}"


@pytest.mark.parametrize("path", ["gemm-per-sample", "gemm", "gemm-chunked"])
@pytest.mark.parametrize("c", BOX_CASES, ids=_box_id)
def test_im2col_box_matches_reference(c, path, float_dtype, monkeypatch):
    module = compiled()
    force_gemm_path(module, path, monkeypatch, 60)
    d, N, ci, co, S, K, s, p, dil = c
    rng = np.random.default_rng(8)
    x = rng.standard_normal((N, ci) + S).astype(float_dtype)
    w = rng.standard_normal((co, ci) + K).astype(float_dtype)
    tol = _tol(float_dtype)
    y = check_kernels("conv", "conv_forward", x, w, s, p, dil, 1, **tol)
    gy = rng.standard_normal(y.shape).astype(float_dtype)
    check_kernels("conv", "conv_weight_grad", x, gy, K, s, p, dil, 1, **tol)
    check_kernels("conv", "unfold", x, K, s, p, dil, **tol)


def test_im2col_box_gradcheck(twin):
    """conv2d with stride 2 and dilation through the ops, float64 (both twins)."""
    rng = np.random.default_rng(9)
    shapes = ((2, 4, 7, 8), (6, 2, 3, 2), (6,))
    inputs = [lucid.Tensor(rng.standard_normal(sh), requires_grad=True) for sh in shapes]
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 3), padding=(2, 1),
                                              dilation=(1, 2), groups=2), inputs)


# ------------------------------------------------------------------ Winograd F(2x2, 3x3)
# (N, C_in, C_out, (H, W), padding); C_in * C_out > 4, so that the input gradient is not
# on the direct path (thin channel blocks, _path), which comes first
WINOGRAD_CASES = [
    (3, 2, 3, (5, 5), (1, 1)),
    (2, 3, 2, (7, 6), (0, 0)),          # odd output height: half a tile row
    (2, 3, 2, (9, 13), (2, 1)),         # odd width, padding differs per axis
    (2, 2, 3, (4, 6), (3, 3)),          # padding 3: windows wholly in the padding
    (1, 3, 2, (1, 1), (1, 1)),          # one output, one tile
    (5, 2, 3, (8, 8), (1, 1)),          # several samples per job, uneven runs
    (2, 2, 3, (40, 35), (1, 1)),        # 400 tiles: chunks of tile rows
    (3, 4, 4, (3, 3), (0, 0)),          # one output per sample
]


def _winograd_id(c):
    N, ci, co, S, p = c
    return f"N{N}-{ci}to{co}-S{S[0]}x{S[1]}-p{p[0]}{p[1]}"


def _winograd_arrays(c, dtype, seed):
    N, ci, co, S, p = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, ci) + S).astype(dtype)
    w = rng.standard_normal((co, ci, 3, 3)).astype(dtype)
    return x, w, ((1, 1), p, (1, 1), 1)


@pytest.mark.parametrize("C_in", [1, 63, 64, 65, 130])
def test_winograd_weight_transform(C_in, float_dtype):
    """U = G w G^T, computed in double and rounded once, against NumPy's products in
    float64: input channel counts on both sides of the transform's blocks of 64."""
    module = compiled()
    G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
    rng = np.random.default_rng(11)
    w = rng.standard_normal((3, C_in, 3, 3)).astype(float_dtype)
    u = np.empty((16, 3, C_in), dtype=float_dtype)
    module._run_winograd_weight(w, u)
    truth = np.einsum("ai,ocij,bj->aboc", G, w.astype(np.float64), G)
    truth = truth.reshape(16, 3, C_in)
    ulp = 2.0 ** -23 if float_dtype == np.float32 else 2.0 ** -52
    np.testing.assert_allclose(u, truth, rtol=0, atol=4 * ulp * np.abs(truth).max())


def test_per_sample_loops_check_their_scratch_space():
    """The per-sample loops give each of ``threads`` threads its own part of the
    workspace: a workspace too small for the thread count asked for (or a thread count
    of 0) is refused before the loops run, not written past; without a BLAS to call,
    so are the loops."""
    module = compiled()
    if module._BLAS is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can call (lucid/_ext/_blas.py)")
    from lucid._ext._sizes import as_5d
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    y = np.empty((2, 4, 6, 6))
    geo = module._geo((6, 6), (6, 6), (3, 3), (1, 1), (1, 1), (1, 1))
    R, L = 3 * 9, 36
    none = np.empty(0)
    enough = np.empty(2 * module._thread_part(R * L, np.float64))
    module._run_sample_conv(as_5d(x), w.reshape(4, -1), as_5d(y), enough, none, geo, 1,
                            6, 2)
    np.testing.assert_allclose(y, _ext._reference["conv"].conv_forward(
        x, w, (1, 1), (1, 1), (1, 1), 1), rtol=1e-12, atol=1e-12)
    for ws, threads in ((enough, 3), (np.empty(R * L), 2), (enough, 0)):
        with pytest.raises(AssertionError, match="sample conv"):
            module._run_sample_conv(as_5d(x), w.reshape(4, -1), as_5d(y), ws, none, geo,
                                    1, 6, threads)
    with pytest.raises(AssertionError, match="sample conv_transpose"):
        module._run_sample_conv_transpose(as_5d(y), w.reshape(4, -1), as_5d(x),
                                          np.empty(R * L), geo, 1, 2)
    parts = np.zeros((2, R * 4))
    with pytest.raises(AssertionError, match="sample weight grad"):
        module._run_sample_weight_grad(as_5d(x), as_5d(y), parts, np.empty(R * L), none,
                                       geo, 1, True, 2)
    for bad in (parts[:0], parts[:, :-1].copy()):     # no part, or parts of a wrong size
        with pytest.raises(AssertionError, match="sample weight grad: parts"):
            module._run_sample_weight_grad(as_5d(x), as_5d(y), bad, enough, none, geo, 1,
                                           True, 2)
    module._bind_blas(None)                    # no BLAS: refused, not a call through NULL
    try:
        with pytest.raises(AssertionError, match="no BLAS bound"):
            module._run_sample_conv(as_5d(x), w.reshape(4, -1), as_5d(y), enough, none,
                                    geo, 1, 6, 2)
    finally:
        module._bind_blas(module._BLAS)


def test_winograd_weight_transform_checks_its_arrays():
    """The transform walks both arrays as C-contiguous blocks: a strided or misshapen
    array is refused before its loops run (a strided one already by Cython's typed
    arguments)."""
    module = compiled()
    w = np.zeros((4, 6, 3, 3))
    with pytest.raises(ValueError, match="not C-contiguous"):
        module._run_winograd_weight(w[:, ::2], np.empty((16, 4, 3)))
    with pytest.raises(AssertionError, match="winograd weight"):
        module._run_winograd_weight(w, np.empty((16, 4, 5)))
    with pytest.raises(AssertionError, match="winograd weight"):
        module._run_winograd_weight(np.zeros((4, 6, 2, 2)), np.empty((16, 4, 6)))


@pytest.mark.parametrize("case", [
    ((32, 32, (3, 3), (1, 1), (1, 1), 1), True),
    ((16, 32, (3, 3), (1, 1), (1, 1), 1), True),
    ((12, 60, (3, 3), (1, 1), (1, 1), 1), True),        # 12 * 60 = 10 * (12 + 60)
    ((12, 59, (3, 3), (1, 1), (1, 1), 1), False),       # too few channel pairs
    ((16, 16, (3, 3), (1, 1), (1, 1), 1), False),
    ((64, 64, (3, 3), (2, 2), (1, 1), 1), False),       # stride 2
    ((64, 64, (3, 3), (1, 1), (2, 2), 1), False),       # dilation
    ((64, 64, (3, 3), (1, 1), (1, 1), 2), False),       # groups
    ((64, 64, (5, 5), (1, 1), (1, 1), 1), False),
    ((64, 64, (3,), (1,), (1,), 1), False),             # 1-d
    ((64, 64, (3, 3, 3), (1, 1, 1), (1, 1, 1), 1), False),
])
def test_winograd_rule(case):
    """_winograd_fits takes 2-d 3x3 stride-1 undilated one-group convolutions with
    C_in * C_out >= 10 (C_in + C_out); the weight gradient's own bound is 16."""
    module = compiled()
    args, taken = case
    assert module._winograd_fits(*args) == (taken and module._BLAS is not None)
    if taken:
        ci, co = args[:2]
        assert module._winograd_fits(*args, pairs=module._WINOGRAD_GRAD_MIN_PAIRS) == (
            ci * co >= 16 * (ci + co) and module._BLAS is not None)


def test_winograd_needs_enough_tiles():
    """The forward's bound: at least _WINOGRAD_MIN_TILES 2x2 output blocks per thread
    (a batch-1 conv goes by GEMM), counted with the half blocks at odd edges."""
    module = compiled()
    if module._BLAS is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can call (lucid/_ext/_blas.py)")
    args = (32, 64, (3, 3), (1, 1), (1, 1), 1)
    need = module._WINOGRAD_MIN_TILES * module._SAMPLE_THREADS
    assert module._winograd_tiles(1, (14, 14)) == 49
    assert module._winograd_tiles(2, (15, 13)) == 2 * 8 * 7
    assert module._winograd_tiles(4, (9,)) == module._winograd_tiles(4, (3, 3, 3)) == 0
    assert module._winograd_fits(*args, tiles=need)
    assert not module._winograd_fits(*args, tiles=need - 1)
    assert module._winograd_fits(*args)                    # no batch given: channels only


def test_winograd_jobs():
    """Jobs of about _WINOGRAD_TILES tiles (fewer for wide layers): runs of whole
    samples, as even as can be and a multiple of the threads where the batch allows;
    else every sample alone, in equal chunks of tile rows."""
    module = compiled()
    threads, tiles = module._SAMPLE_THREADS, module._WINOGRAD_TILES
    for N in (1, 5, 32, 64):
        for TH, TW in ((4, 4), (7, 7), (8, 8), (1, 1)):
            batches, rows = module._winograd_jobs(N, TH, TW, 64)
            assert rows == TH and 1 <= batches <= N
            assert -(-N // batches) <= max(1, tiles // (TH * TW))     # samples per job
            assert batches % threads == 0 or batches == N
    for TH, TW in ((20, 18), (56, 56), (14, 30)):
        batches, rows = module._winograd_jobs(8, TH, TW, 64)
        chunks = -(-TH // rows)
        assert batches == 8 and rows * TW <= max(tiles, TW)
        assert chunks * rows - TH < chunks                  # equal chunks, to one row
    for channels in (1024, 4096, 1 << 16):                  # wide layers: smaller jobs
        batches, rows = module._winograd_jobs(8, 56, 56, channels)
        assert rows == 1 or 16 * channels * rows * 56 <= module._WINOGRAD_MAX_ELEMENTS


@pytest.mark.parametrize("c", WINOGRAD_CASES, ids=_winograd_id)
def test_winograd_matches_reference(c, float_dtype, monkeypatch):
    """Forward, input gradient (conv_transpose_forward, run as the flipped conv) and
    weight gradient on the Winograd path, each call after call (OpenMP threads share
    the jobs), against the reference twin."""
    module = compiled()
    force_winograd(module, monkeypatch)
    forward = spy(module, "_winograd_forward", monkeypatch)
    weight = spy(module, "_winograd_grad_w", monkeypatch)
    x, w, args = _winograd_arrays(c, float_dtype, seed=10)
    s, p, dil, g = args
    ref = _ext._reference["conv"]
    tol = _tol(float_dtype)
    y = ref.conv_forward(x, w, *args)
    gy = np.random.default_rng(11).standard_normal(y.shape).astype(float_dtype)
    op = tuple(n - conv_transpose_output_size(o, 3, 1, pi, 0, 1)
               for n, o, pi in zip(x.shape[2:], y.shape[2:], p))
    gx = ref.conv_transpose_forward(gy, w, s, p, op, dil, g)
    gw = ref.conv_weight_grad(x, gy, (3, 3), *args)
    for _ in range(5):
        np.testing.assert_allclose(module.conv_forward(x, w, *args), y, **tol)
        np.testing.assert_allclose(module.conv_transpose_forward(gy, w, s, p, op, dil, g),
                                   gx, **tol)
        np.testing.assert_allclose(module.conv_weight_grad(x, gy, (3, 3), *args), gw, **tol)
    flipped_taken = min(pi <= 2 for pi in p) and op == (0, 0)
    assert len(forward) == 5 * (1 + flipped_taken) and len(weight) == 5


def test_winograd_weight_grad_only_on_one_thread(monkeypatch):
    """The weight gradient takes the Winograd path (32 -> 32 channels) when the kernels
    run on one thread, the GEMM path on two (where it measured slower); the same
    values either way. The blocked path, which a float32 weight gradient with 32
    output channels would take first, is turned off."""
    module = compiled()
    monkeypatch.setattr(module, "_BLOCKED_WIDE", False)
    if module._BLAS is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can call (lucid/_ext/_blas.py)")
    calls = spy(module, "_winograd_grad_w", monkeypatch)
    rng = np.random.default_rng(15)
    x = rng.standard_normal((3, 32, 6, 5)).astype(np.float32)
    gy = rng.standard_normal((3, 32, 6, 5)).astype(np.float32)
    args = ((3, 3), (1, 1), (1, 1), (1, 1), 1)
    expected = _ext._reference["conv"].conv_weight_grad(x, gy, *args)
    for threads, taken in ((1, True), (2, False)):
        monkeypatch.setattr(module, "_SAMPLE_THREADS", threads)
        before = len(calls)
        gw = module.conv_weight_grad(x, gy, *args)
        assert (len(calls) > before) == taken
        np.testing.assert_allclose(gw, expected, **_tol(np.float32))


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, 3e38])
def test_winograd_non_finite_falls_back_to_the_direct_sum(bad, float_dtype, monkeypatch):
    """An inf, NaN or huge value in x or dL/dy: the transforms would turn inf into NaN
    (inf - inf) or overflow, so a result that is not all finite is computed again on
    the GEMM path, and every output (inf, -inf, NaN, finite) is the reference's."""
    module = compiled()
    force_winograd(module, monkeypatch)
    calls = spy(module, "_winograd_forward", monkeypatch)
    rng = np.random.default_rng(16)
    x = rng.standard_normal((2, 4, 8, 7)).astype(float_dtype)
    w = rng.standard_normal((5, 4, 3, 3)).astype(float_dtype)
    x[0, 1, 3, 4] = bad
    args = ((1, 1), (1, 1), (1, 1), 1)
    ref = _ext._reference["conv"]
    with np.errstate(all="ignore"):
        y = module.conv_forward(x, w, *args)
        expected = ref.conv_forward(x, w, *args)
        assert len(calls) == 1
        np.testing.assert_allclose(y, expected, **_tol(float_dtype))
        gy = rng.standard_normal(y.shape).astype(float_dtype)
        gy[1, 2, 5, 1] = bad
        np.testing.assert_allclose(module.conv_weight_grad(x, gy, (3, 3), *args),
                                   ref.conv_weight_grad(x, gy, (3, 3), *args),
                                   **_tol(float_dtype))
        np.testing.assert_allclose(
            module.conv_transpose_forward(gy, w, (1, 1), (1, 1), (0, 0), (1, 1), 1),
            ref.conv_transpose_forward(gy, w, (1, 1), (1, 1), (0, 0), (1, 1), 1),
            **_tol(float_dtype))


@pytest.mark.torch
@pytest.mark.parametrize("c", [(3, 32, 32, (8, 8), (1, 1)), (2, 32, 64, (9, 7), (1, 0))],
                         ids=_winograd_id)
def test_winograd_matches_torch(c, float_dtype, monkeypatch):
    """At its own channel rule (32 channels and up; the tile bound lifted, these batches
    are small), the Winograd forward against torch in float64, within rounding of the
    terms' magnitude."""
    module = compiled()
    monkeypatch.setattr(module, "_WINOGRAD_MIN_TILES", 0)
    monkeypatch.setattr(module, "_LANES", False)     # it takes float32 8x8 maps first
    x, w, args = _winograd_arrays(c, float_dtype, seed=12)
    calls = []
    real = module._winograd_forward
    try:
        module._winograd_forward = lambda *a: calls.append(1) or real(*a)
        y = module.conv_forward(x, w, *args)
    finally:
        module._winograd_forward = real
    assert calls == [1] or module._BLAS is None
    yt = torch.nn.functional.conv2d(torch.tensor(x, dtype=torch.float64),
                                    torch.tensor(w, dtype=torch.float64),
                                    padding=args[1]).numpy()
    scale = _ext._reference["conv"].conv_forward(np.abs(x).astype(np.float64),
                                                 np.abs(w).astype(np.float64), *args)
    assert_scaled(y, yt, scale, float_dtype)


def test_winograd_conv_transpose_with_more_input_channels(monkeypatch):
    """A stride-1 3x3 conv_transpose with C_in > C_out (col2im otherwise) runs as the
    flipped conv when that conv takes the Winograd path."""
    module = compiled()
    force_winograd(module, monkeypatch)
    calls = spy(module, "_winograd_forward", monkeypatch)
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 6, 5, 7))
    w = rng.standard_normal((6, 3, 3, 3))               # 6 -> 3 channels
    args = ((1, 1), (1, 1), (0, 0), (1, 1), 1)
    y = module.conv_transpose_forward(x, w, *args)
    assert len(calls) == 1
    np.testing.assert_allclose(y, _ext._reference["conv"].conv_transpose_forward(x, w, *args),
                               rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(module, "_winograd_fits", lambda *a, **k: False)
    module.conv_transpose_forward(x, w, *args)
    assert len(calls) == 1                              # back to col2im


@pytest.mark.parametrize("transposed", [False, True])
def test_winograd_gradcheck(twin, transposed, monkeypatch):
    """conv2d / conv_transpose2d through the ops in float64, every 3x3 stride-1 conv
    of the compiled twin on the Winograd path (forward and both gradients)."""
    if _ext.compiled_available("conv"):
        force_winograd(_ext._compiled["conv"], monkeypatch)
    rng = np.random.default_rng(14)
    if transposed:
        shapes, fn, kw = ((2, 3, 5, 4), (3, 2, 3, 3), (2,)), F.conv_transpose2d, dict(padding=1)
    else:
        shapes, fn, kw = ((2, 3, 5, 6), (4, 3, 3, 3), (4,)), F.conv2d, dict(padding=(1, 2))
    inputs = [lucid.Tensor(rng.standard_normal(sh), requires_grad=True) for sh in shapes]
    assert gradcheck(lambda x, w, b: fn(x, w, b, **kw), inputs)


# ------------------------------------------------------------------ blocked path
def test_blocked_rule(monkeypatch):
    """Taken for float32, 2-d, stride 1, no dilation, one group, C_out a multiple of 8,
    output rows of at least 16 and at least 27 terms per output; never without the
    AVX-512 code (``_BLOCKED_WIDE``)."""
    module = compiled()
    monkeypatch.setattr(module, "_BLOCKED_WIDE", True)
    fits = module._blocked_fits
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert fits(f32, 16, 16, (3, 3), (1, 1), (1, 1), 1, (32, 32))
    assert fits(f32, 3, 16, (3, 3), (1, 1), (1, 1), 1, (32, 16))
    assert not fits(f32, 32, 64, (3, 3), (1, 1), (1, 1), 1, (14, 14))
    assert fits(f32, 27, 8, (1, 1), (1, 1), (1, 1), 1, (5, 40))
    assert not fits(f64, 16, 16, (3, 3), (1, 1), (1, 1), 1, (32, 32))
    assert not fits(f32, 16, 16, (3, 3), (2, 2), (1, 1), 1, (16, 16))
    assert not fits(f32, 16, 16, (3, 3), (1, 1), (2, 1), 1, (30, 30))
    assert not fits(f32, 16, 16, (3, 3), (1, 1), (1, 1), 2, (32, 32))
    assert not fits(f32, 16, 12, (3, 3), (1, 1), (1, 1), 1, (32, 32))
    assert not fits(f32, 64, 64, (3, 3), (1, 1), (1, 1), 1, (8, 11))
    assert not fits(f32, 1, 32, (3, 3), (1, 1), (1, 1), 1, (28, 28))
    assert not fits(f32, 16, 16, (3,), (1,), (1,), 1, (32,))
    monkeypatch.setattr(module, "_BLOCKED_WIDE", False)
    assert not fits(f32, 16, 16, (3, 3), (1, 1), (1, 1), 1, (32, 32))


def blocked():
    module = compiled()
    if not module._BLOCKED_WIDE:
        pytest.skip("the blocked and lanes conv paths need a processor with AVX-512 "
                    "(and a GCC build on x86-64 Linux): this one runs the other paths")
    return module


# (N, C_in, C_out, S, K, padding, bias)
BLOCKED_CASES = [
    (2, 16, 16, (32, 32), (3, 3), (1, 1), False),     # the ResNet's 16 -> 16
    (1, 3, 16, (32, 32), (3, 3), (1, 1), True),       # its stem, with a bias
    (3, 4, 8, (9, 16), (3, 3), (1, 1), False),        # rows of 16: one block of 16
    (2, 5, 24, (7, 17), (3, 3), (1, 1), True),        # 17: a block of 16 and one of 1
    (1, 3, 8, (6, 33), (3, 3), (1, 1), False),        # 33: one of 32 and one of 1
    (2, 6, 16, (5, 47), (3, 3), (0, 2), True),        # 47 + 4 - 2 = 49 columns
    (1, 2, 8, (11, 64), (5, 5), (2, 2), False),       # 5x5, 64: two blocks of 32
    (2, 9, 16, (8, 100), (1, 3), (0, 1), True),       # 1x3, rows of 100
    (1, 9, 8, (20, 18), (3, 1), (2, 0), False),       # 3x1, padding along H only
    (2, 32, 8, (4, 21), (1, 1), (0, 0), True),        # 1x1
]


def _blocked_id(c):
    N, ci, co, S, K, p, b = c
    return f"N{N}-{ci}to{co}-S{S[0]}x{S[1]}-K{K[0]}x{K[1]}-p{p[0]}{p[1]}" + ("-bias" * b)


def _forward_twice_matches_reference(module, x, w, b, args, with_bias):
    """The compiled forward of ``x`` and ``w`` (plus ``b`` when ``with_bias``), run twice,
    equals the reference twin's float64 values within float32 rounding of the terms'
    size; returns the reference output and the float64 weight."""
    ref = _ext._reference["conv"]
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    y = ref.conv_forward(x64, w64, *args)
    scale = ref.conv_forward(np.abs(x64), np.abs(w64), *args)
    for _ in range(2):
        got = (module._conv_forward_biased(x, w, b, *args) if with_bias
               else module.conv_forward(x, w, *args))
        per_channel = (-1,) + (1,) * (x.ndim - 2)        # b along the channel axis
        assert_scaled(got, y + b.reshape(per_channel) if with_bias else y,
                      scale + np.abs(b).reshape(per_channel), np.float32)
    return y, w64


@pytest.mark.parametrize("c", BLOCKED_CASES, ids=_blocked_id)
def test_blocked_matches_reference(c, monkeypatch):
    """Forward (with and without a bias) and input gradient (the flipped conv, where
    ``_as_flipped_conv`` takes it) on the blocked path, each twice, against the
    reference twin's float64 values within float32 rounding of the terms' size."""
    module = blocked()
    taken = spy(module, "_blocked_forward", monkeypatch)
    N, ci, co, S, K, p, with_bias = c
    rng = np.random.default_rng(20)
    x = rng.standard_normal((N, ci) + S).astype(np.float32)
    w = rng.standard_normal((co, ci) + K).astype(np.float32)
    b = rng.standard_normal(co).astype(np.float32)
    args = ((1, 1), p, (1, 1), 1)
    y, w64 = _forward_twice_matches_reference(module, x, w, b, args, with_bias)
    assert len(taken) == 2
    gy = rng.standard_normal(y.shape).astype(np.float32)
    op = tuple(n - conv_transpose_output_size(o, k, 1, pi, 0, 1)
               for n, o, k, pi in zip(S, y.shape[2:], K, p))
    ref = _ext._reference["conv"]
    gx = ref.conv_transpose_forward(gy.astype(np.float64), w64, (1, 1), p, op, (1, 1), 1)
    gx_scale = ref.conv_transpose_forward(np.abs(gy).astype(np.float64), np.abs(w64),
                                          (1, 1), p, op, (1, 1), 1)
    flipped = module._as_flipped_conv((1, 1), p, op, (1, 1), K, co, ci)
    runs = flipped is not None and module._blocked_fits(
        np.dtype(np.float32), co, ci, K, (1, 1), (1, 1), 1, S)
    assert_scaled(module.conv_transpose_forward(gy, w, (1, 1), p, op, (1, 1), 1), gx,
                  gx_scale, np.float32)
    assert len(taken) == 2 + runs


@pytest.mark.parametrize("shape", [(8, 3, 3, 3), (16, 16, 3, 3), (64, 64, 3, 3),
                                   (24, 5, 1, 3), (48, 7, 5, 5), (32, 2, 1, 1)])
def test_weights_repacked_for_the_blocked_loops(shape):
    """The blocked loops' weight (C_out / 8, C_in, KH, KW, 8), repacked by a loop of its
    own, holds exactly NumPy's transposed copy; output channels not in whole blocks of
    8 are refused. (The lanes loops transpose theirs per thread: _lanes_conv.)"""
    module = compiled()
    co, ci, kh, kw = shape
    w = np.random.default_rng(32).standard_normal(shape).astype(np.float32)
    w[0, 0, 0, 0], w[-1, -1, -1, -1] = -0.0, np.nan
    blocks = np.ascontiguousarray(w.reshape(co // 8, 8, ci, kh, kw).transpose(0, 2, 3, 4, 1))
    np.testing.assert_array_equal(module._blocked_weight(w), blocks.reshape(-1))
    assert np.signbit(module._blocked_weight(w)[0])
    with pytest.raises(AssertionError, match="blocked weight: C_out"):
        module._blocked_weight(np.zeros((co + 4, ci, kh, kw), np.float32))


def test_blocked_path_is_the_same_on_any_thread_count(monkeypatch):
    """A sample is computed whole by one thread: one thread and every thread give the
    same bits; an infinity and a NaN in the input reach the outputs whose sums hold
    them, as in the reference twin."""
    module = blocked()
    from lucid._ext import _openmp
    rng = np.random.default_rng(21)
    x = rng.standard_normal((5, 16, 20, 20)).astype(np.float32)
    x[1, 3, 4, 5], x[3, 0, 19, 0] = np.inf, np.nan
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    results, asked = [], []
    for threads in (1, _openmp.max_threads()):
        monkeypatch.setattr(module, "threads_for",
                            lambda work, t=threads: asked.append(t) or t)
        results.append(module.conv_forward(x, w, (1, 1), (1, 1), (1, 1), 1))
    assert set(asked) == {1, _openmp.max_threads()}
    np.testing.assert_array_equal(results[0], results[1])
    expected = _ext._reference["conv"].conv_forward(x.astype(np.float64),
                                                    w.astype(np.float64), (1, 1), (1, 1),
                                                    (1, 1), 1)
    np.testing.assert_array_equal(np.isfinite(results[0]), np.isfinite(expected))
    np.testing.assert_array_equal(np.isnan(results[0]), np.isnan(expected))


def assert_refused(run, call, bad, prefix):
    """``run(*call.values())`` with each ``(change, words)`` of ``bad`` applied to the
    arguments ``call`` (a dict in ``run``'s order) raises the AssertionError whose
    message starts ``prefix + words``."""
    for change, words in bad:
        with pytest.raises(AssertionError, match=prefix + words):
            run(*dict(call, **change).values())


def test_blocked_loops_check_their_arrays():
    """What the loops assume is refused before they run: too small a workspace, output
    channels not in whole blocks of 8, a weight of the wrong size, padded rows too
    short for the last block's reads, an output of the wrong size."""
    module = compiled()
    rng = np.random.default_rng(22)
    x = rng.standard_normal((2, 3, 6, 20)).astype(np.float32)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    y = np.empty((2, 8, 6, 20), np.float32)
    wr = module._blocked_weight(w)
    Wp = 32 + 2
    enough = np.empty(2 * module._thread_part(3 * 8 * Wp, np.float32), np.float32)
    module._run_blocked_conv(x, wr, y, enough, (3, 3), (1, 1), Wp, 2)
    np.testing.assert_allclose(y, _ext._reference["conv"].conv_forward(
        x, w, (1, 1), (1, 1), (1, 1), 1), rtol=1e-4, atol=1e-4)
    bad = [
        (dict(ws=enough[:-1]), "workspace"),
        (dict(threads=0), "sizes"),
        (dict(y=np.empty((2, 12, 6, 20), np.float32), wr=np.empty(12 * 27, np.float32)),
         "C_out"),
        (dict(wr=wr[:-1]), "weight"),
        (dict(Wp=33), "padded width"),
        (dict(y=np.empty((2, 8, 6, 19), np.float32)), "y"),
    ]
    bad.append((dict(parts=0), "sizes"))
    assert_refused(module._run_blocked_conv, dict(x=x, wr=wr, y=y, ws=enough, K=(3, 3),
                                                  padding=(1, 1), Wp=Wp, threads=2,
                                                  bias=None, parts=1),
                   bad, "blocked conv: ")


# path: (its forward and weight gradient, N, C_in, C_out, S, seed)
LAYER_PATHS = {
    "blocked": ("_blocked_forward", "_blocked_weight_grad", 2, 16, 16, 32, 23),  # ResNet's
    "winograd-lanes": ("_wl_forward", "_wl_weight_grad", 6, 32, 64, 14, 54),    # CNN's
}


@pytest.mark.torch
@pytest.mark.parametrize("path", sorted(LAYER_PATHS))
def test_conv_layer_on_path_matches_torch(path, monkeypatch):
    """A float32 3x3 layer through ``F.conv2d`` (forward, and the input, weight and bias
    gradients) on the compiled twin, the path taking the forward, the input gradient (a
    flipped conv) and the weight gradient, against PyTorch: the ResNet's 16 -> 16 at
    32x32 on the blocked path, the CNN's 32 -> 64 at 14x14 on the Winograd lanes path."""
    module = blocked()
    forward, weight_grad, N, ci, co, S, seed = LAYER_PATHS[path]
    taken = spy(module, forward, monkeypatch)
    grad_w = spy(module, weight_grad, monkeypatch)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, ci, S, S)).astype(np.float32)
    w = (rng.standard_normal((co, ci, 3, 3)) * 0.1).astype(np.float32)
    b = rng.standard_normal(co).astype(np.float32)
    g = rng.standard_normal((N, co, S, S)).astype(np.float32)
    lx, lw, lb = (lucid.Tensor(a.copy(), requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    with lucid.kernels.use("compiled", "conv"):
        out = F.conv2d(lx, lw, lb, padding=1)
        out.backward(g)
    expected = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
    expected.backward(torch.tensor(g))
    assert len(taken) == 2 and len(grad_w) == 1
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-4, atol=1e-4)
    for ours, theirs in ((lx, tx), (lw, tw), (lb, tb)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-4, atol=2e-3)


# ------------------------------------------------------------------ lanes path
def _lanes_rule_of(monkeypatch):
    """The compiled module as on a processor with AVX-512 and two threads, its
    ``_lanes_fits``, and the two float dtypes."""
    module = compiled()
    monkeypatch.setattr(module, "_BLOCKED_WIDE", True)
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 2)
    return module, module._lanes_fits, np.dtype(np.float32), np.dtype(np.float64)


def test_lanes_rule(monkeypatch):
    """Taken for float32, 2-d, no dilation, one group, C_out a multiple of 16, a kernel
    larger than 1x1 with at least 27 terms per output and a weight of at most 2**17
    values, where the blocked path does not go (a stride, or rows under 16 wide); at
    fewer samples than threads without a stride (each sample in runs of its positions),
    and with one only under the flops from which _split_rows shares a sample, or where
    the per-sample path would not take the call; never without the AVX-512 code."""
    module, fits, f32, f64 = _lanes_rule_of(monkeypatch)
    one = (1, 1)
    assert fits(f32, 32, 16, 32, (3, 3), (2, 2), one, 1, (16, 16))    # ResNet stride 2
    assert fits(f32, 32, 64, 64, (3, 3), one, one, 1, (8, 8))         # 8 wide
    assert fits(f32, 64, 32, 64, (3, 3), one, one, 1, (14, 14))       # CNN's second
    assert not fits(f32, 32, 16, 16, (3, 3), one, one, 1, (32, 32))   # blocked's
    assert not fits(f32, 32, 32, 64, (1, 1), (2, 2), one, 1, (8, 8))  # 1x1
    assert not fits(f32, 32, 2, 16, (3, 3), (2, 2), one, 1, (8, 8))   # 18 terms
    assert not fits(f32, 32, 16, 24, (3, 3), (2, 2), one, 1, (8, 8))  # 24 channels
    assert fits(f32, 8, 64, 128, (3, 3), (2, 2), one, 1, (28, 28))    # 73,728 weights
    assert not fits(f32, 8, 128, 256, (3, 3), (2, 2), one, 1, (14, 14))   # 294,912
    assert not fits(f32, 8, 512, 512, (3, 3), one, one, 1, (7, 7))
    assert not fits(f64, 32, 16, 32, (3, 3), (2, 2), one, 1, (16, 16))
    assert not fits(f32, 32, 16, 32, (3, 3), (2, 2), (2, 2), 1, (15, 15))
    assert not fits(f32, 32, 16, 32, (3, 3), (2, 2), one, 2, (16, 16))
    big = module._SPLIT_SAMPLE_FLOPS
    assert fits(f32, 1, 16, 16, (3, 3), (2, 2), one, 1, (4, 4))       # small: one thread
    assert not fits(f32, 1, 32, 64, (3, 3), (2, 2), one, 1, (8, 8))   # 2**21: shared
    assert 2 * 64 * 32 * 9 * 64 >= big > 2 * 16 * 16 * 9 * 16
    assert fits(f32, 1, 64, 64, (3, 3), one, one, 1, (8, 8))          # no stride: runs
    assert fits(f32, 1, 32, 64, (3, 3), one, one, 1, (14, 14))        # CNN's forward
    assert fits(f32, 1, 64, 32, (3, 3), one, one, 1, (14, 14))        # its input gradient
    # one sample on two threads with a stride, with more columns than the per-sample
    # path shares (it would go to batch-chunk): lanes
    monkeypatch.setattr(module, "parts_for", lambda work: 1 if work < (1 << 16) else 2)
    assert fits(f32, 1, 64, 32, (3, 3), (2, 2), one, 1, (14, 14))
    assert module._path(1, 64, 32, 64 * 9 * 196, 32 * 196) == "batch-chunk"
    assert not fits(f32, 1, 32, 64, (3, 3), (2, 2), one, 1, (14, 14))   # shared
    assert module._path(1, 32, 64, 32 * 9 * 196, 64 * 196) == "per-sample"
    monkeypatch.setattr(module, "_BLOCKED_WIDE", False)
    assert not fits(f32, 32, 16, 32, (3, 3), (2, 2), one, 1, (16, 16))


def test_lanes_rule_1d(monkeypatch):
    """A 1-d convolution is taken as a 2-d one of height 1 for float32, no dilation, one
    group, C_out a multiple of 16, a kernel of 2 to 5 taps, at least 27 terms per output
    and a weight of at most 2**17 values, any stride and any batch (no blocked path to
    leave to, and a sample on one thread beat the GEMMs on two); never without the
    AVX-512 code."""
    module, fits, f32, f64 = _lanes_rule_of(monkeypatch)
    one = (1,)
    assert fits(f32, 32, 32, 16, (4,), (2,), one, 1, (128,))          # ops.py's conv1d
    assert fits(f32, 32, 8, 32, (4,), (2,), one, 1, (128,))           # 32 terms
    assert fits(f32, 1, 64, 128, (5,), (1,), one, 1, (256,))          # batch 1
    assert fits(f32, 32, 32, 64, (2,), (4,), one, 1, (64,))           # stride 4
    assert fits(f32, 8, 128, 256, (4,), (2,), one, 1, (32,))          # 2**17 weights
    assert not fits(f32, 8, 128, 256, (5,), (2,), one, 1, (32,))      # more
    assert not fits(f32, 32, 32, 16, (7,), (1,), one, 1, (256,))      # 7 taps
    assert not fits(f32, 32, 64, 16, (1,), (1,), one, 1, (256,))      # 1 tap: a GEMM
    assert not fits(f32, 32, 8, 16, (3,), (1,), one, 1, (256,))       # 24 terms
    assert not fits(f32, 32, 32, 24, (4,), (2,), one, 1, (128,))      # 24 channels
    assert not fits(f32, 32, 32, 16, (4,), (2,), (2,), 1, (127,))     # dilation
    assert not fits(f32, 32, 32, 16, (4,), (2,), one, 2, (128,))      # groups
    assert not fits(f64, 32, 32, 16, (4,), (2,), one, 1, (128,))
    monkeypatch.setattr(module, "_BLOCKED_WIDE", False)
    assert not fits(f32, 32, 32, 16, (4,), (2,), one, 1, (128,))


# (N, C_in, C_out, S, K, stride, padding, bias)
LANES_CASES = [
    (2, 16, 32, (32, 32), (3, 3), (2, 2), (1, 1), False),   # the ResNet's 16 -> 32
    (3, 32, 64, (16, 16), (3, 3), (2, 2), (1, 1), True),    # its 32 -> 64, a bias
    (2, 64, 64, (8, 8), (3, 3), (1, 1), (1, 1), False),     # 64 -> 64 at 8x8: 4 vectors
    (2, 8, 48, (7, 9), (3, 3), (1, 2), (0, 2), True),       # 48: 2 vectors, then 1
    (1, 3, 16, (11, 13), (5, 5), (2, 3), (2, 1), False),    # 5x5, odd strides
    (2, 5, 112, (6, 5), (3, 2), (1, 1), (1, 0), True),      # 7 vectors: 4, 2, 1
    (2, 40, 16, (5, 7), (1, 3), (3, 1), (0, 1), False),     # 1x3, 35 positions
]


def _lanes_id(c):
    N, ci, co, S, K, s, p, b = c
    return (f"N{N}-{ci}to{co}-S{S[0]}x{S[1]}-K{K[0]}x{K[1]}-s{s[0]}{s[1]}-p{p[0]}{p[1]}"
            + ("-bias" * b))


@pytest.mark.parametrize("c", LANES_CASES, ids=_lanes_id)
def test_lanes_matches_reference(c, monkeypatch):
    """Forward (with and without a bias) on the lanes path, twice, against the
    reference twin's float64 values within float32 rounding of the terms' size; one
    thread and every thread give the same bits."""
    module = blocked()
    monkeypatch.setattr(module, "_SPLIT_SAMPLE_FLOPS", 1 << 40)   # small samples: lanes
    taken = spy(module, "_lanes_forward", monkeypatch)
    N, ci, co, S, K, s, p, with_bias = c
    rng = np.random.default_rng(24)
    x = rng.standard_normal((N, ci) + S).astype(np.float32)
    w = rng.standard_normal((co, ci) + K).astype(np.float32)
    b = rng.standard_normal(co).astype(np.float32)
    args = (s, p, (1, 1), 1)
    y, w64 = _forward_twice_matches_reference(module, x, w, b, args, with_bias)
    assert len(taken) == 2
    from lucid._ext import _openmp
    results = []
    for threads in (1, _openmp.max_threads()):
        monkeypatch.setattr(module, "threads_for", lambda work, t=threads: t)
        results.append(module.conv_forward(x, w, *args))
    np.testing.assert_array_equal(results[0], results[1])


# 1-d: (N, C_in, C_out, L, K, stride, padding, bias). Output lengths of at least 24
# run the row blocks of the kernel's (K, stride) then the general loops for the rest.
LANES_1D_CASES = [
    (3, 32, 16, 256, 4, 2, 1, True),      # ops.py's conv1d: 5 row blocks, 8 left
    (2, 8, 32, 256, 4, 2, 1, False),      # the autoencoder's first: 2 vectors, no rows
    (2, 14, 48, 101, 2, 1, 0, True),      # 2 vectors, then rows for the last one
    (1, 9, 16, 50, 3, 1, 1, False),       # K 3 stride 1: 2 blocks, 2 left
    (2, 9, 16, 97, 3, 2, 0, True),        # K 3 stride 2
    (2, 7, 16, 72, 4, 1, 2, False),       # K 4 stride 1, 73 positions
    (1, 6, 16, 120, 5, 1, 2, True),       # K 5 stride 1
    (2, 6, 16, 121, 5, 2, 0, False),      # K 5 stride 2
    (2, 16, 16, 96, 2, 2, 0, True),       # K 2 stride 2: whole blocks, none left
    (1, 10, 16, 200, 3, 3, 1, False),     # stride 3: no row blocks
    (2, 12, 16, 40, 4, 2, 1, True),       # 20 positions: only the general loops
]


def _lanes_1d_id(c):
    N, ci, co, L, K, s, p, b = c
    return f"N{N}-{ci}to{co}-L{L}-K{K}-s{s}-p{p}" + ("-bias" * b)


@pytest.mark.parametrize("c", LANES_1D_CASES, ids=_lanes_1d_id)
def test_lanes_1d_matches_reference(c, monkeypatch):
    """conv1d's forward (with and without a bias) on the lanes path, twice, against the
    reference twin's float64 values within float32 rounding of the terms' size; the same
    bits as the general loops give the same row as one of two rows of a 2-d input (the
    row blocks sum each output's terms in the general loops' order), and as one thread."""
    module = blocked()
    taken = spy(module, "_lanes_forward", monkeypatch)
    N, ci, co, L, K, s, p, with_bias = c
    rng = np.random.default_rng(29)
    x = rng.standard_normal((N, ci, L)).astype(np.float32)
    w = rng.standard_normal((co, ci, K)).astype(np.float32)
    b = rng.standard_normal(co).astype(np.float32)
    args = ((s,), (p,), (1,), 1)
    _forward_twice_matches_reference(module, x, w, b, args, with_bias)
    assert len(taken) == 2
    y = module.conv_forward(x, w, *args)
    two_rows = np.ascontiguousarray(np.stack([x, x[:, :, ::-1]], axis=2))   # (N, C, 2, L)
    y2 = np.empty(y.shape[:2] + (2, y.shape[2]), np.float32)
    module._lanes_forward(two_rows, np.ascontiguousarray(w[:, :, None]), (1, s), (0, p), y2)
    np.testing.assert_array_equal(y, y2[:, :, 0])
    from lucid._ext import _openmp
    monkeypatch.setattr(module, "threads_for", lambda work: 1)
    np.testing.assert_array_equal(module.conv_forward(x, w, *args), y)
    assert _openmp.max_threads() >= 1


# (C_in, C_out, S, K, stride, padding): one sample, its positions in runs
LANES_RUNS_CASES = [
    (32, 64, (14, 14), (3, 3), (1, 1), (1, 1)),     # the CNN's second layer: 196
    (16, 48, (9, 7), (3, 3), (2, 1), (1, 1)),       # 5 x 7 = 35 positions, 2 + 1 vectors
    (5, 112, (6, 5), (3, 2), (1, 1), (1, 0)),       # 7 vectors: 4, 2, 1
    (32, 16, (1, 256), (1, 4), (1, 2), (0, 1)),     # a 1-d layer as 2-d: row blocks
    (9, 16, (1, 13), (1, 3), (1, 1), (0, 1)),       # 13 positions: runs shorter than 8
]


@pytest.mark.parametrize("c", LANES_RUNS_CASES, ids=lambda c: f"{c[0]}to{c[1]}-S{c[2]}")
def test_lanes_runs_of_positions_give_the_same_bits(c, monkeypatch):
    """A batch of one on two threads runs as runs of its output positions, a thread
    each (``_lanes_threads``); one run, two, three and five (some empty) give the same
    bytes, with a bias, NaN and infinity in the input, the reference's values within
    float32 rounding; the runs really were asked for."""
    module = blocked()
    ci, co, S, K, stride, padding = c
    rng = np.random.default_rng(31)
    x = rng.standard_normal((1, ci) + S).astype(np.float32)
    x[0, 0, 0, :2] = [np.nan, np.inf]
    w = rng.standard_normal((co, ci) + K).astype(np.float32)
    b = rng.standard_normal(co).astype(np.float32)
    O = tuple(conv_output_size(n, k, st, p, 1) for n, p, k, st in zip(S, padding, K, stride))
    runs = []
    for threads, parts in ((1, 1), (2, 2), (2, 3), (2, 5)):
        monkeypatch.setattr(module, "_lanes_threads", lambda N, work, a=(threads, parts):
                            (runs.append(a), a)[1])
        y = np.full((1, co) + O, 12345.0, np.float32)      # a position left out shows
        module._lanes_forward(x, w, stride, padding, y, b)
        runs.append(y)
    assert [r for r in runs if isinstance(r, tuple)] == [(1, 1), (2, 2), (2, 3), (2, 5)]
    ys = [r for r in runs if not isinstance(r, tuple)]
    for y in ys[1:]:
        assert y.tobytes() == ys[0].tobytes()
    ref = _ext._reference["conv"]
    finite = np.nan_to_num(x, nan=0.0, posinf=0.0).astype(np.float64)
    x[0, 0, 0, :2] = 0.0
    y0 = np.empty((1, co) + O, np.float32)
    module._lanes_forward(x, w, stride, padding, y0, b)
    expected = ref.conv_forward(finite, w.astype(np.float64), stride, padding, (1, 1), 1)
    scale = ref.conv_forward(np.abs(finite), np.abs(w.astype(np.float64)), stride, padding,
                             (1, 1), 1)
    assert_scaled(y0, expected + b[:, None, None], scale + np.abs(b)[:, None, None],
                  np.float32)
    assert np.isnan(ys[0]).any()


def test_lanes_threads_rule(monkeypatch):
    """With fewer samples than threads a lanes call runs on one thread below
    ``_LANES_SPLIT_MIN_WORK`` multiply-adds, else as ``_sample_parts`` says (a sample
    in runs, a thread each); a batch of at least as many samples as threads always as
    ``_sample_parts`` says."""
    module = blocked()
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 2)
    monkeypatch.setattr(module, "threads_for", lambda work: 2)
    least = module._LANES_SPLIT_MIN_WORK
    assert module._lanes_threads(1, least - 1) == (1, 1)
    assert module._lanes_threads(1, least) == module._sample_parts(1, least) == (2, 2)
    assert module._lanes_threads(2, 1000) == module._sample_parts(2, 1000) == (2, 1)
    monkeypatch.setattr(module, "threads_for", lambda work: 1)
    assert module._lanes_threads(1, 4 * least) == (1, 1)
    # the autoencoder's 1-d layers at batch 1 take one thread, the CNN's 32->64 two
    assert module._lanes_threads(1, 64 * 64 * 32 * 4) == (1, 1)
    monkeypatch.setattr(module, "threads_for", lambda work: 2)
    assert module._lanes_threads(1, 14 * 14 * 64 * 32 * 9) == (2, 2)


# (C_in, C_out, S, K, padding): one sample on the blocked path, its rows of blocks in runs
BLOCKED_RUNS_CASES = [
    (16, 16, (32, 32), (3, 3), (1, 1)),      # the ResNet's 16 -> 16: 2 x 32 rows
    (3, 16, (32, 32), (3, 3), (1, 1)),       # its stem
    (5, 24, (7, 17), (3, 3), (1, 1)),        # 3 x 7 rows, a block of 16 columns and 1
    (4, 8, (5, 33), (2, 3), (0, 1)),         # 4 rows: runs of one row, some empty
]


@pytest.mark.parametrize("c", BLOCKED_RUNS_CASES, ids=lambda c: f"{c[0]}to{c[1]}-S{c[2]}")
def test_blocked_runs_of_rows_give_the_same_bits(c, monkeypatch):
    """A batch of one on the blocked path in runs of its rows of blocks (8 output
    channels of an output row each): one run, two, three and five give the same bytes,
    with a bias and NaN and infinity in the input."""
    module = blocked()
    ci, co, S, K, padding = c
    rng = np.random.default_rng(33)
    x = rng.standard_normal((1, ci) + S).astype(np.float32)
    x[0, 0, 1, :2] = [np.nan, np.inf]
    w = rng.standard_normal((co, ci) + K).astype(np.float32)
    b = rng.standard_normal(co).astype(np.float32)
    O = tuple(conv_output_size(n, k, 1, p, 1) for n, p, k in zip(S, padding, K))
    asked, ys = [], []
    for threads, parts in ((1, 1), (2, 2), (2, 3), (2, 5)):
        monkeypatch.setattr(module, "_sample_parts", lambda N, work, a=(threads, parts):
                            (asked.append(a), a)[1])
        y = np.full((1, co) + O, 12345.0, np.float32)      # a row left out shows
        module._blocked_forward(x, w, padding, y, b)
        ys.append(y)
    assert asked == [(1, 1), (2, 2), (2, 3), (2, 5)]
    for y in ys[1:]:
        assert y.tobytes() == ys[0].tobytes()
    assert np.isnan(ys[0]).any() and not (ys[0] == 12345.0).any()


def test_lanes_at_batch_one_takes_the_runs(monkeypatch):
    """conv2d of a batch of one on the lanes path with two threads free runs two runs
    of positions (the CNN's second layer forward and its input gradient, a flipped
    conv), and gives the bytes of the same call on one thread."""
    module = blocked()
    from lucid._ext import _openmp
    if _openmp.max_threads() < 2:
        pytest.skip("one OpenMP thread: a batch of one is never cut into runs")
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 2)
    monkeypatch.setattr(module, "threads_for", lambda work: 2)
    real, given = module._sample_parts, []
    monkeypatch.setattr(module, "_sample_parts",
                        lambda N, work: (given.append(real(N, work)), given[-1])[1])
    rng = np.random.default_rng(32)
    x = rng.standard_normal((1, 32, 14, 14)).astype(np.float32)
    w = rng.standard_normal((64, 32, 3, 3)).astype(np.float32)
    g = rng.standard_normal((1, 64, 14, 14)).astype(np.float32)
    args = ((1, 1), (1, 1), (1, 1), 1)
    y = module.conv_forward(x, w, *args)
    gx = module.conv_transpose_forward(g, w, (1, 1), (1, 1), (0, 0), (1, 1), 1)
    assert given == [(2, 2), (2, 2)]
    monkeypatch.setattr(module, "threads_for", lambda work: 1)
    assert module.conv_forward(x, w, *args).tobytes() == y.tobytes()
    assert module.conv_transpose_forward(g, w, (1, 1), (1, 1), (0, 0), (1, 1),
                                         1).tobytes() == gx.tobytes()


def test_lanes_non_finite(monkeypatch):
    """An infinity and a NaN in the input reach the outputs whose sums hold them, as in
    the reference twin."""
    module = blocked()
    rng = np.random.default_rng(25)
    x = rng.standard_normal((2, 16, 9, 9)).astype(np.float32)
    x[0, 3, 4, 5], x[1, 0, 8, 0] = np.inf, np.nan
    w = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    taken = spy(module, "_lanes_forward", monkeypatch)
    got = module.conv_forward(x, w, (2, 2), (1, 1), (1, 1), 1)
    assert len(taken) == 1
    expected = _ext._reference["conv"].conv_forward(x.astype(np.float64),
                                                    w.astype(np.float64), (2, 2), (1, 1),
                                                    (1, 1), 1)
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(expected))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))


def test_lanes_loops_check_their_arrays():
    """What the loops assume is refused before they run: too small a workspace, output
    channels not in whole vectors of 16, a weight of the wrong shape, an output of the
    wrong size, a zero stride."""
    module = compiled()
    rng = np.random.default_rng(26)
    x = rng.standard_normal((2, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((16, 3, 3, 3)).astype(np.float32)
    y = np.empty((2, 16, 5, 5), np.float32)
    w2 = w.reshape(16, -1)
    per_thread = 3 * 11 * 11 + 25 * 16 + 27 * 16          # padded sample, outputs, weight
    assert module._lanes_per_thread(3, 11, 11, 9, 16, 25) == per_thread
    enough = np.empty(2 * module._thread_part(per_thread, np.float32), np.float32)
    expected = _ext._reference["conv"].conv_forward(x, w, (2, 2), (1, 1), (1, 1), 1)
    for threads in (1, 2):
        y[...] = np.nan
        module._run_lanes_conv(x, w2, y, enough, (3, 3), (2, 2), (1, 1), threads)
        np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    bad = [
        (dict(ws=enough[:-1]), "workspace"),
        (dict(threads=0), "sizes"),
        (dict(stride=(0, 2)), "sizes"),
        (dict(y=np.empty((2, 8, 5, 5), np.float32), w=np.empty((8, 27), np.float32)),
         "C_out"),
        (dict(w=np.empty((16, 26), np.float32)), "weight"),
        (dict(w=w2[:-1]), "weight"),
        (dict(y=np.empty((2, 16, 5, 4), np.float32)), "y"),
    ]
    bad.append((dict(parts=0), "sizes"))
    assert_refused(module._run_lanes_conv, dict(x=x, w=w2, y=y, ws=enough, K=(3, 3),
                                                stride=(2, 2), padding=(1, 1), threads=2,
                                                bias=None, parts=1),
                   bad, "lanes conv: ")


@pytest.mark.torch
def test_lanes_conv_layer_matches_torch(monkeypatch):
    """The ResNet's stride-2 32 -> 64 layer and its 64 -> 64 at 8x8 through ``F.conv2d``
    (forward and the three gradients) on the compiled twin, the lanes path taking both
    forwards and the 8x8 layer's input gradient (a flipped conv), against PyTorch."""
    module = blocked()
    taken = spy(module, "_lanes_forward", monkeypatch)
    rng = np.random.default_rng(27)
    N = max(2, module._SAMPLE_THREADS)               # a sample per thread: lanes
    for (ci, co, S, stride, runs) in ((32, 64, 16, 2, 1), (64, 64, 8, 1, 2)):
        x = rng.standard_normal((N, ci, S, S)).astype(np.float32)
        w = (rng.standard_normal((co, ci, 3, 3)) * 0.1).astype(np.float32)
        b = rng.standard_normal(co).astype(np.float32)
        lx, lw, lb = (lucid.Tensor(a.copy(), requires_grad=True) for a in (x, w, b))
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        before = len(taken)
        with lucid.kernels.use("compiled", "conv"):
            out = F.conv2d(lx, lw, lb, stride=stride, padding=1)
            g = rng.standard_normal(out.shape).astype(np.float32)
            out.backward(g)
        expected = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=1)
        expected.backward(torch.tensor(g))
        assert len(taken) - before == runs
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-4,
                                   atol=1e-4)
        for ours, theirs in ((lx, tx), (lw, tw), (lb, tb)):
            np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-4,
                                       atol=2e-3)


# ------------------------------------------------------------------ Winograd lanes path
def test_wl_rule(monkeypatch):
    """Taken for float32, 2-d, 3x3, stride 1, no dilation, one group, whole vectors of 16
    input and output channels, at least 64 tiles (2x2 output blocks) in the batch, and
    two vectors of output channels or more unless the rows are narrower than the
    blocked path's 16; never without the AVX-512 code."""
    module = compiled()
    monkeypatch.setattr(module, "_BLOCKED_WIDE", True)
    fits = module._wl_fits
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    one = (1, 1)
    assert fits(f32, 64, 32, 64, (3, 3), one, one, 1, (14, 14))      # the CNN's second
    assert fits(f32, 64, 64, 32, (3, 3), one, one, 1, (14, 14))      # its input gradient
    assert fits(f32, 32, 32, 32, (3, 3), one, one, 1, (16, 16))      # ResNet 32->32
    assert fits(f32, 32, 64, 64, (3, 3), one, one, 1, (8, 8))        # ResNet 64->64
    assert fits(f32, 32, 16, 16, (3, 3), one, one, 1, (8, 8))        # one vector, 8 wide
    assert not fits(f32, 32, 16, 16, (3, 3), one, one, 1, (32, 32))  # ... 32 wide: blocked
    assert fits(f32, 1, 32, 32, (3, 3), one, one, 1, (16, 16))       # 64 tiles
    assert fits(f32, 1, 32, 32, (3, 3), one, one, 1, (15, 15))       # 8 x 8 with halves
    assert not fits(f32, 1, 32, 32, (3, 3), one, one, 1, (14, 14))   # 49 tiles
    assert not fits(f32, 1, 64, 64, (3, 3), one, one, 1, (8, 8))     # 16 tiles
    assert fits(f32, 4, 64, 64, (3, 3), one, one, 1, (8, 8))         # 64
    assert not fits(f32, 64, 24, 64, (3, 3), one, one, 1, (14, 14))  # 24 input channels
    assert not fits(f32, 64, 32, 40, (3, 3), one, one, 1, (14, 14))  # 40 output channels
    assert not fits(f32, 64, 3, 16, (3, 3), one, one, 1, (32, 32))   # the stem
    assert not fits(f64, 64, 32, 64, (3, 3), one, one, 1, (14, 14))
    assert not fits(f32, 64, 32, 64, (3, 3), (2, 2), one, 1, (7, 7))
    assert not fits(f32, 64, 32, 64, (3, 3), one, (2, 2), 1, (12, 12))
    assert not fits(f32, 64, 32, 64, (3, 3), one, one, 2, (14, 14))
    assert not fits(f32, 64, 32, 64, (5, 5), one, one, 1, (14, 14))
    assert not fits(f32, 64, 32, 64, (3,), (1,), (1,), 1, (14,))
    monkeypatch.setattr(module, "_WL", False)
    assert not fits(f32, 64, 32, 64, (3, 3), one, one, 1, (14, 14))
    monkeypatch.setattr(module, "_WL", True)
    monkeypatch.setattr(module, "_BLOCKED_WIDE", False)
    assert not fits(f32, 64, 32, 64, (3, 3), one, one, 1, (14, 14))


def test_wl_weight_transform():
    """The loops' weight is U = G w G^T of every channel pair, as (16, C_in, C_out):
    position e = 4a + b of pair (c_o, c_i) at [e, c_i, c_o], within float32 rounding of
    the product in float64."""
    module = compiled()
    rng = np.random.default_rng(50)
    w = rng.standard_normal((48, 32, 3, 3)).astype(np.float32)
    G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
    u = np.einsum("ak,oikl,bl->abio", G, w.astype(np.float64), G).reshape(16, 32, 48)
    got = module._wl_weight(w)
    assert got.shape == (16, 32, 48) and got.dtype == np.float32
    np.testing.assert_allclose(got, u, rtol=1e-6, atol=1e-6)


# (N, C_in, C_out, S, padding, bias)
WL_CASES = [
    (2, 32, 64, (14, 14), (1, 1), True),     # the CNN's 32 -> 64: 4 vectors
    (3, 16, 32, (9, 11), (1, 1), False),     # odd output: half tiles; 2 vectors
    (5, 48, 80, (8, 8), (0, 2), True),       # 6 x 10 output; 80: 4 vectors, then 1
    (3, 16, 16, (12, 7), (2, 1), False),     # padding 2; one vector, 7 wide
    (2, 32, 112, (5, 33), (1, 1), False),    # 7 vectors: 4, 2, 1; rows of 33
    (1, 64, 32, (16, 16), (1, 1), True),     # one sample of 64 tiles
    (5, 16, 32, (3, 40), (0, 1), True),      # one output row: a row of half tiles
]


def _wl_id(c):
    N, ci, co, S, p, b = c
    return f"N{N}-{ci}to{co}-S{S[0]}x{S[1]}-p{p[0]}{p[1]}" + ("-bias" * b)


@pytest.mark.parametrize("chunk", ["whole", "one-row"])
@pytest.mark.parametrize("c", WL_CASES, ids=_wl_id)
def test_wl_matches_reference(c, chunk, monkeypatch):
    """Forward (with and without a bias) on the Winograd lanes path, twice, and the input
    gradient (the flipped conv), against the reference twin's float64 values within
    float32 rounding of the terms' size; tile rows in one chunk or one row a chunk; one
    thread and every thread give the same bits."""
    module = blocked()
    if chunk == "one-row":
        monkeypatch.setattr(module, "_WL_CHUNK_FLOATS", 1)
    taken = spy(module, "_wl_forward", monkeypatch)
    N, ci, co, S, p, with_bias = c
    rng = np.random.default_rng(51)
    x = rng.standard_normal((N, ci) + S).astype(np.float32)
    w = rng.standard_normal((co, ci, 3, 3)).astype(np.float32)
    b = rng.standard_normal(co).astype(np.float32)
    args = ((1, 1), p, (1, 1), 1)
    y, w64 = _forward_twice_matches_reference(module, x, w, b, args, with_bias)
    assert len(taken) == 2
    gy = rng.standard_normal(y.shape).astype(np.float32)
    op = tuple(n - conv_transpose_output_size(o, 3, 1, pi, 0, 1)
               for n, o, pi in zip(S, y.shape[2:], p))
    ref = _ext._reference["conv"]
    gt_args = ((1, 1), p, op, (1, 1), 1)
    gx = ref.conv_transpose_forward(gy.astype(np.float64), w64, *gt_args)
    gx_scale = ref.conv_transpose_forward(np.abs(gy).astype(np.float64), np.abs(w64),
                                          *gt_args)
    flipped = module._as_flipped_conv((1, 1), p, op, (1, 1), (3, 3), co, ci)
    runs = flipped is not None and module._wl_fits(
        np.dtype(np.float32), N, co, ci, (3, 3), (1, 1), (1, 1), 1, S)
    assert_scaled(module.conv_transpose_forward(gy, w, *gt_args), gx, gx_scale, np.float32)
    assert len(taken) == 2 + runs
    from lucid._ext import _openmp
    results = []
    for threads in (1, _openmp.max_threads()):
        monkeypatch.setattr(module, "threads_for", lambda work, t=threads: t)
        results.append(module.conv_forward(x, w, *args))
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, 3e38])
def test_wl_non_finite_falls_back_to_the_direct_sum(bad, monkeypatch):
    """An inf, NaN or huge value in x: the transforms would turn inf into NaN (inf - inf)
    or overflow, so a Winograd lanes result that is not all finite is computed again on
    the next path (here the lanes loops, direct sums), and every output (inf, -inf, NaN,
    finite) is the reference twin's."""
    module = blocked()
    rng = np.random.default_rng(52)
    x = rng.standard_normal((4, 32, 8, 8)).astype(np.float32)
    x[1, 3, 4, 5] = bad
    w = rng.standard_normal((32, 32, 3, 3)).astype(np.float32)
    wl = spy(module, "_wl_forward", monkeypatch)
    lanes = spy(module, "_lanes_forward", monkeypatch)
    args = ((1, 1), (1, 1), (1, 1), 1)
    with np.errstate(all="ignore"):
        got = module.conv_forward(x, w, *args)
        expected = _ext._reference["conv"].conv_forward(x, w, *args)
    assert len(wl) == 1 and len(lanes) == 1
    np.testing.assert_allclose(got, expected, **_tol(np.float32))


def test_wl_loops_check_their_arrays():
    """What the loops assume is refused before they run: too small a workspace, channels
    not in whole vectors of 16, a weight of the wrong shape, an output of the wrong size,
    a plane too small for whole tiles or for the padded input, no tile row per chunk."""
    module = compiled()
    rng = np.random.default_rng(53)
    x = rng.standard_normal((2, 16, 7, 9)).astype(np.float32)
    w = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    y = np.empty((2, 32, 7, 9), np.float32)
    u = module._wl_weight(w)
    Hp, Wp, chunk = 10, 12, 2
    per_thread = module._wl_per_thread(16, 32, Hp, Wp, 7, 9, chunk)
    enough = np.empty(2 * module._thread_part(per_thread, np.float32), np.float32)
    module._run_wl_conv(x, u, y, enough, (1, 1), Hp, Wp, chunk, 2)
    if module._BLOCKED_WIDE:       # elsewhere the loops are plain C, never taken
        np.testing.assert_allclose(y, _ext._reference["conv"].conv_forward(
            x, w, (1, 1), (1, 1), (1, 1), 1), rtol=1e-4, atol=1e-4)
    bad = [
        (dict(ws=enough[:-1]), "workspace"),
        (dict(threads=0), "sizes"),
        (dict(chunk=0), "sizes"),
        (dict(padding=(1, -1)), "sizes"),
        (dict(x=x[:, :8].copy(), u=module._wl_weight(w[:, :8].copy())), "channels"),
        (dict(u=u[:, :, :16].copy()), "weight"),
        (dict(y=np.empty((2, 32, 7, 8), np.float32)), "y"),
        (dict(Hp=9), "plane"),
        (dict(Wp=11), "plane"),
    ]
    assert_refused(module._run_wl_conv, dict(x=x, u=u, y=y, ws=enough, padding=(1, 1),
                                             Hp=Hp, Wp=Wp, chunk=chunk, threads=2),
                   bad, "winograd lanes: ")


def test_wl_grad_rule(monkeypatch):
    """The weight gradient is taken where the forward is, from 256 tiles in the batch."""
    module = compiled()
    monkeypatch.setattr(module, "_BLOCKED_WIDE", True)
    fits = module._wl_grad_fits
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    one = (1, 1)
    assert fits(f32, 64, 32, 64, (3, 3), one, one, 1, (14, 14))      # the CNN's second
    assert fits(f32, 1, 32, 32, (3, 3), one, one, 1, (32, 32))       # 256 tiles
    assert not fits(f32, 1, 32, 32, (3, 3), one, one, 1, (30, 32))   # 240
    assert not fits(f32, 8, 64, 64, (3, 3), one, one, 1, (8, 8))     # 128
    assert fits(f32, 32, 16, 16, (3, 3), one, one, 1, (8, 8))        # one vector, 8 wide
    assert not fits(f32, 32, 16, 16, (3, 3), one, one, 1, (16, 16))
    assert not fits(f64, 64, 32, 64, (3, 3), one, one, 1, (14, 14))
    assert not fits(f32, 64, 32, 64, (3, 3), (2, 2), one, 1, (7, 7))
    assert not fits(f32, 64, 24, 64, (3, 3), one, one, 1, (14, 14))
    monkeypatch.setattr(module, "_WL_GRAD", False)
    assert not fits(f32, 64, 32, 64, (3, 3), one, one, 1, (14, 14))
    monkeypatch.setattr(module, "_WL_GRAD", True)
    monkeypatch.setattr(module, "_WL", False)
    assert not fits(f32, 64, 32, 64, (3, 3), one, one, 1, (14, 14))


# (N, C_in, C_out, S, padding)
WL_GRAD_CASES = [
    (6, 32, 64, (14, 14), (1, 1)),           # the CNN's 32 -> 64: 4 vectors, runs of 6 rows
    (9, 16, 32, (9, 11), (1, 1)),            # odd output: half tiles; 16 = 12 + 4 rows
    (18, 48, 80, (8, 8), (0, 2)),            # 6 x 10 output; 80: 4 vectors, then 1
    (10, 16, 16, (12, 7), (2, 1)),           # padding 2; one vector, 7 wide
    (3, 32, 112, (13, 33), (1, 1)),          # 7 vectors: 4, 2, 1; 32 = 5 x 6 + 2 rows
]


def _wl_grad_id(c):
    N, ci, co, S, p = c
    return f"N{N}-{ci}to{co}-S{S[0]}x{S[1]}-p{p[0]}{p[1]}"


@pytest.mark.parametrize("chunk", ["whole", "one-row"])
@pytest.mark.parametrize("c", WL_GRAD_CASES, ids=_wl_grad_id)
def test_wl_weight_grad_matches_reference(c, chunk, monkeypatch):
    """The weight gradient on the Winograd lanes path, every workspace handed out full
    of NaN, against the reference twin's float64 values within float32 rounding of the
    terms' size (and not computed again elsewhere: no NaN was read); tile rows in one
    chunk or one row a chunk; one thread and every thread give the same bits."""
    module = blocked()
    poison_workspaces(module, monkeypatch)
    if chunk == "one-row":
        monkeypatch.setattr(module, "_WL_CHUNK_FLOATS", 1)
    taken = spy(module, "_wl_weight_grad", monkeypatch)
    again = spy(module, "_blocked_weight_grad", monkeypatch)
    N, ci, co, S, p = c
    rng = np.random.default_rng(55)
    x = rng.standard_normal((N, ci) + S).astype(np.float32)
    O = tuple(conv_output_size(n, 3, 1, pi, 1) for n, pi in zip(S, p))
    gy = rng.standard_normal((N, co) + O).astype(np.float32)
    args = ((1, 1), p, (1, 1), 1)
    ref = _ext._reference["conv"]
    expected = ref.conv_weight_grad(x.astype(np.float64), gy.astype(np.float64), (3, 3),
                                    *args)
    scale = ref.conv_weight_grad(np.abs(x).astype(np.float64),
                                 np.abs(gy).astype(np.float64), (3, 3), *args)
    from lucid._ext import _openmp
    results = []
    for threads in (1, _openmp.max_threads()):
        monkeypatch.setattr(module, "threads_for", lambda work, t=threads: t)
        monkeypatch.setattr(module, "free_threads", lambda parts, t=threads: min(parts, t))
        results.append(module.conv_weight_grad(x, gy, (3, 3), *args))
    assert len(taken) == 2 and not again
    assert_scaled(results[0], expected, scale, np.float32)
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, 3e38])
def test_wl_weight_grad_non_finite_falls_back(bad, monkeypatch):
    """An inf, NaN or huge value in x or dL/dy: a Winograd lanes weight gradient that is
    not all finite is computed again on the blocked loops (direct sums), and every
    entry is the reference twin's."""
    module = blocked()
    monkeypatch.setattr(module, "_WL_MIN_TILES", 0)        # a small batch: the float32
    monkeypatch.setattr(module, "_WL_GRAD_MIN_TILES", 0)   # reference's rounding is close
    rng = np.random.default_rng(56)
    x = rng.standard_normal((2, 16, 6, 6)).astype(np.float32)
    gy = rng.standard_normal((2, 16, 6, 6)).astype(np.float32)
    args = ((1, 1), (1, 1), (1, 1), 1)
    for where in ("x", "gy"):
        a, b = x.copy(), gy.copy()
        (a if where == "x" else b)[1, 5, 2, 3] = bad
        taken = spy(module, "_wl_weight_grad", monkeypatch)
        again = spy(module, "_blocked_weight_grad", monkeypatch)
        with np.errstate(all="ignore"):
            got = module.conv_weight_grad(a, b, (3, 3), *args)
            expected = _ext._reference["conv"].conv_weight_grad(a, b, (3, 3), *args)
        assert len(taken) == 1 and len(again) == 1
        np.testing.assert_allclose(got, expected, **_tol(np.float32))


def test_wl_weight_grad_loops_check_their_arrays():
    """What the weight gradient's loops assume is refused before they run: too small a
    workspace, channels not in whole vectors of 16, parts of the wrong size or more runs
    than samples, an output gradient of the wrong size, a plane too small, no tile row
    per chunk."""
    module = compiled()
    rng = np.random.default_rng(57)
    x = rng.standard_normal((2, 16, 7, 9)).astype(np.float32)
    gy = rng.standard_normal((2, 32, 7, 9)).astype(np.float32)
    parts = np.zeros((2, 16 * 16 * 32), np.float32)
    Hp, Wp, chunk = 10, 12, 2
    per_thread = module._wl_per_thread(16, 32, Hp, Wp, 7, 9, chunk)
    enough = np.empty(2 * module._thread_part(per_thread, np.float32), np.float32)
    module._run_wl_grad_w(x, gy, parts, enough, (1, 1), Hp, Wp, chunk, 2)
    if module._BLOCKED_WIDE:       # elsewhere the loops are plain C, never taken
        du = parts.sum(axis=0).reshape(16, 16, 32).transpose(0, 2, 1).copy()
        gw = np.empty((32, 16, 3, 3), np.float32)
        module._run_winograd_weight_back(du, gw)
        np.testing.assert_allclose(gw, _ext._reference["conv"].conv_weight_grad(
            x, gy, (3, 3), (1, 1), (1, 1), (1, 1), 1), rtol=1e-4, atol=1e-3)
    bad = [
        (dict(ws=enough[:-1]), "workspace"),
        (dict(threads=0), "sizes"),
        (dict(chunk=0), "sizes"),
        (dict(x=x[:, :8].copy(), parts=np.zeros((2, 16 * 8 * 32), np.float32)), "channels"),
        (dict(parts=parts[:, :-1].copy()), "parts"),
        (dict(parts=np.zeros((3, 16 * 16 * 32), np.float32)), "parts"),
        (dict(gy=gy[:, :, :, :8].copy()), "gy"),
        (dict(Hp=9), "plane"),
        (dict(Wp=11), "plane"),
    ]
    assert_refused(module._run_wl_grad_w, dict(x=x, gy=gy, parts=parts, ws=enough,
                                               padding=(1, 1), Hp=Hp, Wp=Wp, chunk=chunk,
                                               threads=2),
                   bad, "winograd lanes weight grad: ")


# ------------------------------------------------------------------ conv_transpose by phases
def test_phases_rule(monkeypatch):
    """Taken for float32 2-d conv_transposes with a stride, no dilation, one group, a
    kernel at least as long as the stride along each axis, C_out a multiple of 32, on
    average at least 27 terms per output and a weight of at most 2**17 values per phase,
    and at least a sample per thread (two samples on one thread); never without the
    AVX-512 code or with the lanes path switched off."""
    module = compiled()
    monkeypatch.setattr(module, "_BLOCKED_WIDE", True)
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 2)
    fits = module._phases_fits
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    one, two = (1, 1), (2, 2)
    assert fits(f32, 64, 64, 32, (4, 4), two, one, 1, (14, 14))       # DCGAN-style
    assert fits(f32, 32, 64, 32, (3, 3), two, one, 1, (16, 16))       # a conv's gx
    assert fits(f32, 2, 64, 64, (4, 4), (2, 1), one, 1, (14, 7))
    assert fits(f32, 8, 256, 128, (4, 4), two, one, 1, (8, 8))        # 2**19 / 4
    assert not fits(f32, 8, 256, 256, (4, 4), two, one, 1, (8, 8))    # 2**20 / 4
    assert not fits(f32, 32, 32, 16, (3, 3), two, one, 1, (16, 16))   # one vector
    assert not fits(f32, 32, 48, 48, (3, 3), two, one, 1, (16, 16))   # 48 channels
    assert not fits(f32, 64, 64, 32, (4, 4), one, one, 1, (9, 9))     # stride 1
    assert not fits(f32, 64, 64, 32, (1, 1), two, one, 1, (13, 13))  # K < stride
    assert not fits(f32, 64, 64, 32, (4, 2), (2, 3), one, 1, (14, 19))
    assert not fits(f32, 64, 4, 32, (4, 4), two, one, 1, (14, 14))    # 16 terms
    assert not fits(f32, 64, 64, 32, (4, 4), two, two, 1, (17, 17))
    assert not fits(f32, 64, 64, 32, (4, 4), two, one, 2, (14, 14))
    assert not fits(f64, 64, 64, 32, (4, 4), two, one, 1, (14, 14))
    assert not fits(f32, 64, 64, 32, (4,), (2,), (1,), 1, (14,))      # 1-d: 7 a phase
    assert not fits(f32, 1, 64, 32, (4, 4), two, one, 1, (14, 14))    # a thread idle
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 1)
    assert not fits(f32, 1, 64, 32, (4, 4), two, one, 1, (14, 14))
    assert fits(f32, 2, 64, 32, (4, 4), two, one, 1, (14, 14))
    monkeypatch.setattr(module, "_LANES", False)
    assert not fits(f32, 64, 64, 32, (4, 4), two, one, 1, (14, 14))
    monkeypatch.setattr(module, "_LANES", True)
    monkeypatch.setattr(module, "_BLOCKED_WIDE", False)
    assert not fits(f32, 64, 64, 32, (4, 4), two, one, 1, (14, 14))


def test_phases_rule_1d(monkeypatch):
    """1-d: as 2-d (float32, a stride, no dilation, one group, 27 terms per output and
    2**17 weight values per phase), whole vectors of 16 output channels, 2 to 5 taps in
    every phase, at least 16 outputs per phase, with one vector at most 64 input
    channels; any batch, but a single sample with more than 32 input channels only from
    128 outputs per phase."""
    module = compiled()
    monkeypatch.setattr(module, "_BLOCKED_WIDE", True)
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 2)
    fits = module._phases_fits
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    s2, d1 = (2,), (1,)
    assert fits(f32, 32, 32, 16, (4,), s2, d1, 1, (512,))         # ops.py's row
    assert fits(f32, 32, 16, 32, (4,), s2, d1, 1, (256,))         # its conv1d's gx
    assert fits(f32, 32, 64, 64, (4,), s2, d1, 1, (256,))
    assert fits(f32, 32, 32, 16, (6,), (3,), d1, 1, (384,))       # 2 taps a phase
    assert fits(f32, 32, 16, 16, (10,), s2, d1, 1, (512,))        # 5 taps a phase
    assert not fits(f32, 32, 16, 16, (12,), s2, d1, 1, (512,))    # 6 taps
    assert not fits(f32, 32, 32, 16, (3,), s2, d1, 1, (512,))     # a phase of 1 tap
    assert fits(f32, 32, 32, 16, (5,), s2, d1, 1, (512,))         # 3 and 2 taps
    assert not fits(f32, 32, 32, 8, (4,), s2, d1, 1, (512,))      # half a vector
    assert fits(f32, 32, 64, 16, (4,), s2, d1, 1, (512,))         # one vector, 64 in
    assert not fits(f32, 32, 128, 16, (4,), s2, d1, 1, (512,))    # one vector, 128 in
    assert fits(f32, 32, 128, 32, (4,), s2, d1, 1, (512,))        # two vectors, 128 in
    assert fits(f32, 32, 64, 32, (4,), s2, d1, 1, (256,))         # two vectors, 64 in
    assert fits(f32, 32, 64, 32, (4,), s2, d1, 1, (32,))          # 16 a phase
    assert not fits(f32, 32, 64, 32, (4,), s2, d1, 1, (30,))      # 15 a phase
    assert not fits(f32, 32, 4, 16, (4,), s2, d1, 1, (512,))      # 16 terms
    assert not fits(f32, 32, 32, 16, (4,), (1,), d1, 1, (512,))   # stride 1
    assert not fits(f32, 32, 32, 16, (4,), s2, (2,), 1, (512,))
    assert not fits(f32, 32, 32, 16, (4,), s2, d1, 2, (512,))
    assert not fits(f64, 32, 32, 16, (4,), s2, d1, 1, (512,))
    assert fits(f32, 1, 32, 16, (4,), s2, d1, 1, (32,))           # a single sample,
    assert fits(f32, 1, 16, 32, (4,), s2, d1, 1, (256,))          # up to 32 inputs
    assert not fits(f32, 1, 64, 32, (4,), s2, d1, 1, (254,))      # 64 inputs: 127 a
    assert fits(f32, 1, 64, 32, (4,), s2, d1, 1, (256,))          # phase, 128
    assert fits(f32, 2, 64, 32, (4,), s2, d1, 1, (32,))           # two samples


@pytest.mark.parametrize("S, K, s, p, op", [
    ((1, 64), (1, 4), (1, 2), (0, 1), (0, 0)), ((7, 7), (4, 4), (2, 2), (1, 1), (0, 0)),
    ((8, 8), (3, 3), (2, 2), (1, 1), (1, 1)), ((5, 6), (5, 3), (3, 2), (2, 0), (1, 1)),
    ((1, 40), (1, 6), (1, 3), (0, 1), (0, 2))])
def test_phase_weights_are_the_cut_kernel(S, K, s, p, op):
    """The phases' plan (kept per geometry, read-only) and their weight, cut by a loop
    of its own: each phase's taps ``w[:, :, kh0::sh, kw0::sw]`` reversed along both
    axes, as (c_i, jh, jw, c_o), one phase after another from the table's offsets; a
    table whose taps reach past the kernel is refused before the loop."""
    module = compiled()
    C_in, C_out = 5, 32
    O = tuple(conv_transpose_output_size(*a, 1) for a in zip(S, K, s, p, op))
    plan = module._phases_plan(*S, *K, *s, *p, *O, C_in, C_out)
    assert module._phases_plan(*S, *K, *s, *p, *O, C_in, C_out) is plan
    top, left, Hp, Wp, table, taps, most, size = plan
    assert not table.flags.writeable and not taps.flags.writeable
    w = np.random.default_rng(41).standard_normal((C_in, C_out) + K).astype(np.float32)
    w[0, 0, 0, 0] = -0.0
    cut = []
    for (rh, rw, Th, Tw, oh, ow, Qh, Qw, wo), (kh0, kw0) in zip(table, taps):
        assert wo == sum(part.size for part in cut)
        part = w[:, :, kh0::s[0], kw0::s[1]][:, :, ::-1, ::-1]
        assert part.shape[2:] == (Th, Tw)
        cut.append(part.transpose(0, 2, 3, 1).reshape(-1))
    expected = np.concatenate(cut)
    got = module._phase_weights(w, table, taps, s, size)
    assert got.shape == (size,)
    np.testing.assert_array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
    too_far = np.array(taps)
    too_far[-1, 1] += K[1]
    with pytest.raises(AssertionError, match="phase weights: taps"):
        module._phase_weights(w, table, too_far, s, size)
    with pytest.raises(AssertionError, match="phase weights: taps"):
        module._phase_weights(w, table, taps, s, size - 1)


@pytest.mark.parametrize("S,K,s,p,op", [
    (7, 4, 2, 1, 0), (7, 4, 2, 1, 1), (5, 3, 2, 1, 1), (6, 5, 2, 2, 0), (4, 3, 3, 0, 2),
    (3, 7, 3, 5, 0), (1, 4, 2, 0, 0), (9, 2, 2, 0, 1), (5, 6, 4, 1, 3), (2, 3, 2, 2, 1)])
def test_phase_axis(S, K, s, p, op):
    """Each phase's windows hold exactly the (input, tap) pairs with ``i*s + k - p = o``
    for each of its outputs ``o``, inside the padded axis; the phases hold every output
    once."""
    module = compiled()
    O = conv_transpose_output_size(S, K, s, p, op, 1)
    (before, after), rows = module._phase_axis(S, K, s, p, O)
    outputs = []
    for r, k0, T, start, Q in rows:
        assert T >= 1 and start >= 0 and start + Q + T - 1 <= before + S + after
        for q in range(Q):
            o = s * q + r
            outputs.append(o)
            window = {(q + start - before + j, k0 + s * (T - 1 - j)) for j in range(T)}
            inside = {(i, k) for i, k in window if 0 <= i < S}
            assert all(0 <= k < K for _, k in window)
            assert inside == {(i, k) for i in range(S) for k in range(K)
                              if i * s + k - p == o}
    assert sorted(outputs) == list(range(O))


# (N, C_in, C_out, S, K, stride, padding, output_padding, bias)
PHASES_CASES = [
    (2, 64, 32, (7, 7), (4, 4), (2, 2), (1, 1), (0, 0), True),    # DCGAN-style, a bias
    (3, 32, 64, (8, 8), (3, 3), (2, 2), (1, 1), (1, 1), False),   # a stride-2 conv's gx
    (2, 16, 96, (5, 6), (5, 4), (2, 2), (2, 1), (1, 0), True),    # 3 and 2 taps a phase
    (2, 8, 32, (4, 9), (3, 3), (3, 1), (0, 1), (2, 0), False),    # stride along H only
    (2, 24, 64, (6, 5), (2, 4), (1, 2), (0, 0), (0, 1), True),    # stride along W only
    (2, 12, 32, (3, 3), (6, 6), (4, 3), (1, 2), (3, 1), False),   # 4 x 3 phases
    (2, 9, 128, (1, 11), (4, 3), (2, 3), (0, 2), (0, 0), True),   # one input row
]


def _phases_id(c):
    N, ci, co, S, K, s, p, op, b = c
    return (f"N{N}-{ci}to{co}-S{S[0]}x{S[1]}-K{K[0]}x{K[1]}-s{s[0]}{s[1]}-p{p[0]}{p[1]}"
            f"-op{op[0]}{op[1]}" + ("-bias" * b))


@pytest.mark.parametrize("c", PHASES_CASES, ids=_phases_id)
def test_phases_matches_reference(c, monkeypatch):
    """conv_transpose_forward (with and without a bias) by phases, twice, against the
    reference twin's float64 values within float32 rounding of the terms' size; one
    thread and every thread give the same bits."""
    module = blocked()
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 1)     # two samples: phases
    monkeypatch.setattr(module, "_LANES_MIN_DEPTH", 1)    # small layers too
    taken = spy(module, "_phases_forward", monkeypatch)
    N, ci, co, S, K, s, p, op, with_bias = c
    rng = np.random.default_rng(28)
    x = rng.standard_normal((N, ci) + S).astype(np.float32)
    w = rng.standard_normal((ci, co) + K).astype(np.float32)
    b = rng.standard_normal(co).astype(np.float32)
    args = (s, p, op, (1, 1), 1)
    ref = _ext._reference["conv"]
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    y = ref.conv_transpose_forward(x64, w64, *args)
    scale = ref.conv_transpose_forward(np.abs(x64), np.abs(w64), *args)
    for _ in range(2):
        assert_scaled(module.conv_transpose_forward(x, w, *args), y, scale, np.float32)
        got = module._conv_transpose_forward_biased(x, w, b, *args)
        assert_scaled(got, y + b[:, None, None], scale + np.abs(b)[:, None, None],
                      np.float32)
    assert len(taken) == 4
    from lucid._ext import _openmp
    results = []
    for threads in (1, _openmp.max_threads()):
        monkeypatch.setattr(module, "threads_for", lambda work, t=threads: t)
        results.append(module._conv_transpose_forward_biased(x, w, b, *args))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], got)


# (N, C_in, C_out, L, K, stride, padding, output_padding, bias)
PHASES_1D_CASES = [
    (2, 32, 16, 40, 4, 2, 1, 0, True),      # one vector: the row blocks, 2 taps
    (3, 16, 32, 30, 4, 2, 1, 1, False),     # two vectors, output_padding
    (2, 8, 16, 20, 6, 3, 1, 2, True),       # stride 3, 2 taps a phase
    (2, 8, 16, 26, 5, 2, 2, 0, False),      # 3 and 2 taps
    (2, 4, 48, 9, 10, 2, 3, 1, True),       # 5 taps, three vectors
    (2, 8, 16, 70, 4, 2, 0, 0, False),      # rows of several blocks and a tail
]


@pytest.mark.parametrize("c", PHASES_1D_CASES,
                         ids=lambda c: "N{}-{}to{}-L{}-K{}-s{}-p{}-op{}{}".format(
                             *c[:-1], "-bias" * c[-1]))
def test_phases_1d_matches_reference(c, monkeypatch):
    """A 1-d conv_transpose by phases (as 2-d of height 1): against the reference twin's
    float64 values within float32 rounding, with and without a bias; one thread and
    every thread give the same bits."""
    module = blocked()
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 1)
    monkeypatch.setattr(module, "_LANES_MIN_DEPTH", 1)
    monkeypatch.setattr(module, "_PHASES_1D_MIN_POSITIONS", 1)     # short rows too
    taken = spy(module, "_phases_forward", monkeypatch)
    N, ci, co, L, K, s, p, op, with_bias = c
    rng = np.random.default_rng(29)
    x = rng.standard_normal((N, ci, L)).astype(np.float32)
    w = rng.standard_normal((ci, co, K)).astype(np.float32)
    b = rng.standard_normal(co).astype(np.float32)
    args = ((s,), (p,), (op,), (1,), 1)
    ref = _ext._reference["conv"]
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    y = ref.conv_transpose_forward(x64, w64, *args)
    scale = ref.conv_transpose_forward(np.abs(x64), np.abs(w64), *args)
    def call():
        if with_bias:
            return module._conv_transpose_forward_biased(x, w, b, *args)
        return module.conv_transpose_forward(x, w, *args)

    got = call()
    if with_bias:
        y, scale = y + b[:, None], scale + np.abs(b)[:, None]
    assert_scaled(got, y, scale, np.float32)
    assert len(taken) == 2                # the 1-d call, then as height 1
    from lucid._ext import _openmp
    results = []
    for threads in (1, _openmp.max_threads()):
        monkeypatch.setattr(module, "threads_for", lambda work, t=threads: t)
        results.append(call())
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], got)


def test_phases_signed_zeros_and_non_finite(monkeypatch):
    """Without a bias nothing is added to the sums (an output that is -0.0 stays -0.0);
    an infinity and a NaN in the input reach the outputs whose sums hold them, as in the
    reference twin."""
    module = blocked()
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 1)
    taken = spy(module, "_phases_forward", monkeypatch)
    rng = np.random.default_rng(29)
    x = rng.standard_normal((2, 32, 5, 5)).astype(np.float32)
    w = rng.standard_normal((32, 32, 4, 4)).astype(np.float32)
    args = ((2, 2), (1, 1), (0, 0), (1, 1), 1)
    zeros = module.conv_transpose_forward(-np.zeros_like(x), w, *args)
    assert np.all(zeros == 0)
    np.testing.assert_array_equal(np.signbit(zeros), np.signbit(
        _ext._reference["conv"].conv_transpose_forward(-np.zeros_like(x), w, *args)))
    x[0, 3, 2, 2], x[1, 0, 4, 0] = np.inf, np.nan
    got = module.conv_transpose_forward(x, w, *args)
    expected = _ext._reference["conv"].conv_transpose_forward(
        x.astype(np.float64), w.astype(np.float64), *args)
    assert len(taken) == 2
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(expected))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    assert not np.isfinite(got).all()


def test_phases_loops_check_their_arrays():
    """What the phase loops assume is refused before they run: a phase twice, a phase
    missing or with the wrong number of outputs (an output left unwritten), windows
    outside the padded sample, taps outside the weight, output channels not in whole
    vectors of 16, a padded sample too small for the input, too small a workspace."""
    module = compiled()
    rng = np.random.default_rng(30)
    x = rng.standard_normal((2, 4, 3, 3)).astype(np.float32)
    w = rng.standard_normal((4, 16, 4, 4)).astype(np.float32)
    y = np.empty((2, 16, 6, 6), np.float32)
    (top, bottom), rows = module._phase_axis(3, 4, 2, 1, 6)
    Hp = top + 3 + bottom
    table, parts, wo = [], [], 0
    for rh, kh0, Th, oh, Qh in rows:
        for rw, kw0, Tw, ow, Qw in rows:
            part = w[:, :, kh0::2, kw0::2][:, :, ::-1, ::-1].transpose(0, 2, 3, 1)
            parts.append(part.reshape(-1))
            table.append((rh, rw, Th, Tw, oh, ow, Qh, Qw, wo))
            wo += part.size
    table, wt = np.array(table, dtype=np.intp), np.concatenate(parts)
    per_thread = module._phases_per_thread(4, Hp, Hp, 9, 16, 6, 6)
    assert per_thread == 4 * Hp * Hp + 9 * 16 + 36 * 16     # sample, a phase, the output
    enough = np.empty(2 * module._thread_part(per_thread, np.float32), np.float32)
    module._run_phases_conv_transpose(x, wt, table, y, enough, top, top, Hp, Hp, (2, 2), 2)
    np.testing.assert_allclose(y, _ext._reference["conv"].conv_transpose_forward(
        x, w, (2, 2), (1, 1), (0, 0), (1, 1), 1), rtol=1e-4, atol=1e-4)

    def changed(row, column, value):
        t = table.copy()
        t[row, column] = value
        return t
    bad = [
        (dict(ws=enough[:-1]), "workspace"),
        (dict(threads=0), "sizes"),
        (dict(Hp=top + 2), "sizes"),                       # the input's 3 rows
        (dict(Hp=Hp - 1), "windows"),
        (dict(table=table[:3].copy()), "positions"),
        (dict(table=changed(1, 1, 0)), "positions"),      # phase (0, 0) twice
        (dict(table=changed(0, 6, 2)), "positions"),
        (dict(table=changed(0, 4, Hp - 2)), "windows"),
        (dict(table=changed(3, 2, 0)), "windows"),
        (dict(table=changed(3, 8, wt.size - 4 * 16)), "weight"),
        (dict(table=table[:, :8].copy()), "table"),
        (dict(y=np.empty((2, 8, 6, 6), np.float32)), "y"),
    ]
    assert_refused(module._run_phases_conv_transpose,
                   dict(x=x, wt=wt, table=table, y=y, ws=enough, top=top, left=top, Hp=Hp,
                        Wp=Hp, stride=(2, 2), threads=2),
                   bad, "phases: ")


# (transposed, C_in, C_out, kernel, input size) of each dimension's two layers
PHASES_LAYERS = {
    2: ((True, 64, 32, 4, (7, 7)), (False, 32, 64, 3, (16, 16))),
    1: ((True, 32, 16, 4, (256,)), (False, 16, 32, 4, (256,))),
}


@pytest.mark.torch
@pytest.mark.parametrize("d", [2, 1])
def test_phases_layer_matches_torch(d, monkeypatch):
    """2-d: a DCGAN-style ``F.conv_transpose2d`` 64 -> 32, 4x4, stride 2 (forward by
    phases) and a stride-2 ``F.conv2d`` 32 -> 64 (its input gradient by phases); 1-d:
    ``benchmarks/ops.py``'s ``F.conv_transpose1d`` 32 -> 16, kernel 4, stride 2, and a
    ``F.conv1d`` 16 -> 32 (its input gradient). Forward and the three gradients on the
    compiled twin, against PyTorch."""
    module = blocked()
    taken = spy(module, "_phases_forward", monkeypatch)
    rng = np.random.default_rng(31)
    N = max(2, module._SAMPLE_THREADS)
    for transposed, ci, co, K, S in PHASES_LAYERS[d]:
        x = rng.standard_normal((N, ci) + S).astype(np.float32)
        shape = ((ci, co) if transposed else (co, ci)) + (K,) * d
        w = (rng.standard_normal(shape) * 0.1).astype(np.float32)
        b = rng.standard_normal(co).astype(np.float32)
        lx, lw, lb = (lucid.Tensor(a.copy(), requires_grad=True) for a in (x, w, b))
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        name = f"conv_transpose{d}d" if transposed else f"conv{d}d"
        ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
        before = len(taken)
        with lucid.kernels.use("compiled", "conv"):
            out = ours(lx, lw, lb, stride=2, padding=1)
            g = rng.standard_normal(out.shape).astype(np.float32)
            out.backward(g)
        expected = theirs(tx, tw, tb, stride=2, padding=1)
        expected.backward(torch.tensor(g))
        assert len(taken) - before == (1 if d == 2 else 2)   # 1-d: then as height 1
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-4,
                                   atol=1e-4)
        for a, t in ((lx, tx), (lw, tw), (lb, tb)):
            np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-4, atol=2e-3)


# ------------------------------------------------------------------ blocked weight gradient
def test_blocked_grad_w_rule(monkeypatch):
    """Taken for float32, 1-d or 2-d, any stride, no dilation, one group, C_out a
    multiple of 16, at least 16 taps (C_in * prod(K)); never without the AVX-512 code
    (``_BLOCKED_WIDE``)."""
    module = compiled()
    monkeypatch.setattr(module, "_BLOCKED_WIDE", True)
    fits = module._blocked_grad_w_fits
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert fits(f32, 16, 16, (3, 3), (1, 1), 1)
    assert fits(f32, 3, 16, (3, 3), (1, 1), 1)
    assert fits(f32, 16, 64, (1, 1), (1, 1), 1)
    assert fits(f32, 4, 48, (4,), (1,), 1)
    assert not fits(f32, 1, 32, (3, 3), (1, 1), 1)
    assert not fits(f32, 8, 64, (1, 1), (1, 1), 1)
    assert not fits(f64, 16, 16, (3, 3), (1, 1), 1)
    assert not fits(f32, 16, 8, (3, 3), (1, 1), 1)
    assert not fits(f32, 16, 24, (3, 3), (1, 1), 1)
    assert not fits(f32, 16, 16, (3, 3), (2, 1), 1)
    assert not fits(f32, 32, 32, (3, 3), (1, 1), 2)
    assert not fits(f32, 16, 16, (3, 3, 3), (1, 1, 1), 1)
    monkeypatch.setattr(module, "_BLOCKED_WIDE", False)
    assert not fits(f32, 16, 16, (3, 3), (1, 1), 1)


# (N, C_in, C_out, S, K, stride, padding)
BLOCKED_GRAD_W_CASES = [
    (3, 16, 16, (12, 12), (3, 3), (1, 1), (1, 1)),    # one vector, rows of 3 taps: 8 + 8 + 8 rows
    (2, 3, 16, (9, 20), (3, 3), (1, 1), (1, 1)),      # the stem: 8 rows and a tail of 1
    (2, 5, 32, (11, 7), (3, 3), (2, 2), (1, 1)),      # two vectors, 15 rows: 4 + 4 + 4 + 2 + 1
    (2, 7, 64, (6, 9), (3, 3), (1, 1), (0, 2)),       # four vectors, 21 rows: 2 * 10 + 1
    (1, 4, 48, (10, 10), (3, 3), (3, 1), (1, 0)),     # 48: three blocks of one vector
    (2, 16, 32, (13, 13), (1, 1), (2, 2), (0, 0)),    # 1x1 stride 2: single taps, no padding
    (2, 5, 64, (7, 8), (2, 3), (1, 2), (1, 1)),       # 2x3 by rows of three
    (2, 2, 16, (9, 9), (5, 5), (1, 1), (2, 2)),       # 5x5: 50 single taps, 6 * 8 + 2
    (1, 6, 32, (8, 5), (3, 1), (1, 1), (1, 0)),       # 3x1: 18 single taps
    (3, 8, 32, (37,), (4,), (2,), (1,)),              # 1-d k4 s2 (the autoencoder's)
    (2, 9, 16, (20,), (3,), (1,), (0,)),              # 1-d k3, no padding
]


def _grad_w_id(c):
    N, ci, co, S, K, s, p = c
    return (f"N{N}-{ci}to{co}-S{'x'.join(map(str, S))}-K{'x'.join(map(str, K))}"
            f"-s{''.join(map(str, s))}-p{''.join(map(str, p))}")


@pytest.mark.parametrize("c", BLOCKED_GRAD_W_CASES, ids=_grad_w_id)
def test_blocked_grad_w_matches_reference(c, monkeypatch):
    """The weight gradient on the blocked path, on one thread and on all of them,
    against the reference twin's float64 values within float32 rounding of the terms'
    size."""
    module = blocked()
    from lucid._ext import _openmp
    taken = spy(module, "_blocked_weight_grad", monkeypatch)
    N, ci, co, S, K, s, p = c
    rng = np.random.default_rng(24)
    d = (1,) * len(K)
    ref = _ext._reference["conv"]
    x = rng.standard_normal((N, ci) + S).astype(np.float32)
    O = ref.conv_forward(x[:, :, ...], np.zeros((co, ci) + K, np.float32), s, p, d, 1).shape
    gy = rng.standard_normal(O).astype(np.float32)
    x64, gy64 = x.astype(np.float64), gy.astype(np.float64)
    expected = ref.conv_weight_grad(x64, gy64, K, s, p, d, 1)
    scale = ref.conv_weight_grad(np.abs(x64), np.abs(gy64), K, s, p, d, 1)
    for threads in (1, _openmp.max_threads()):
        monkeypatch.setattr(module, "threads_for", lambda work, t=threads: t)
        assert_scaled(module.conv_weight_grad(x, gy, K, s, p, d, 1), expected, scale,
                      np.float32)
    assert len(taken) == 2


@pytest.mark.parametrize("c", [c for c in BLOCKED_GRAD_W_CASES if c[0] <= 2],
                         ids=_grad_w_id)
def test_blocked_grad_w_cuts_give_the_same_bits(c):
    """Each run of samples' rows of taps cut among threads (one cut, two, three and
    seven, some of them empty; 4, 2 and 1 vectors, rows of 3 taps and single ones,
    1-d): the parts hold the same bytes, NaN and infinity included."""
    module = blocked()
    N, ci, co, S, K, s, p = c
    rng = np.random.default_rng(27)
    ref = _ext._reference["conv"]
    d = (1,) * len(K)
    x = rng.standard_normal((N, ci) + S).astype(np.float32)
    O = ref.conv_forward(x, np.zeros((co, ci) + K, np.float32), s, p, d, 1).shape
    x.reshape(-1)[0] = np.inf
    gy = rng.standard_normal(O).astype(np.float32)
    gy.reshape(-1)[-2] = np.nan
    x4, gy4 = (a if a.ndim == 4 else a[:, :, None] for a in (x, gy))
    K2, s2, p2 = ((1,) + K, (1,) + s, (0,) + p) if len(K) == 1 else (K, s, p)
    Hp, Wp = x4.shape[2] + 2 * p2[0], x4.shape[3] + 2 * p2[1]
    per_thread = module._thread_part(ci * Hp * Wp + gy4.shape[2] * gy4.shape[3] * co,
                                     np.float32)
    results = []
    for threads, cuts in ((1, 1), (2, 2), (2, 3), (2, 7)):
        parts = np.zeros((N, ci * K2[0] * K2[1] * co), np.float32)
        ws = np.empty(threads * per_thread, np.float32)
        module._run_blocked_grad_w(x4, gy4, parts, ws, K2, s2, p2, threads, cuts=cuts)
        results.append(parts)
    for parts in results[1:]:
        assert parts.tobytes() == results[0].tobytes()
    assert np.isnan(results[0]).any() and np.isinf(results[0]).any()


def test_blocked_grad_w_at_batch_one_cuts_the_rows(monkeypatch):
    """A batch of one on two threads cuts its rows of taps in two (the CNN's second
    layer) and gives the bytes of the same call on one thread."""
    module = blocked()
    from lucid._ext import _openmp
    if _openmp.max_threads() < 2:
        pytest.skip("one OpenMP thread: the rows are never cut")
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 2)
    monkeypatch.setattr(module, "parts_for", lambda work: 2)
    monkeypatch.setattr(module, "free_threads", lambda parts: parts)
    real, cut = module._run_blocked_grad_w, []
    monkeypatch.setattr(module, "_run_blocked_grad_w", lambda *a, cuts=1: (
        cut.append((a[-1], cuts)), real(*a, cuts=cuts))[1])
    rng = np.random.default_rng(28)
    x = rng.standard_normal((1, 32, 14, 14)).astype(np.float32)
    gy = rng.standard_normal((1, 64, 14, 14)).astype(np.float32)
    args = ((3, 3), (1, 1), (1, 1), (1, 1), 1)
    two = module.conv_weight_grad(x, gy, *args)
    monkeypatch.setattr(module, "free_threads", lambda parts: 1)
    one = module.conv_weight_grad(x, gy, *args)
    assert cut == [(2, 2), (1, 2)]
    assert two.tobytes() == one.tobytes()


def test_blocked_grad_w_non_finite():
    """An infinity in the input and a NaN in the output gradient reach the entries of
    the weight gradient whose sums hold them, as in the reference twin."""
    module = blocked()
    rng = np.random.default_rng(25)
    x = rng.standard_normal((3, 4, 9, 9)).astype(np.float32)
    gy = rng.standard_normal((3, 16, 9, 9)).astype(np.float32)
    x[1, 2, 4, 4], gy[2, 5, 0, 0] = np.inf, np.nan
    args = ((3, 3), (1, 1), (1, 1), (1, 1), 1)
    got = module.conv_weight_grad(x, gy, *args)
    expected = _ext._reference["conv"].conv_weight_grad(x.astype(np.float64),
                                                        gy.astype(np.float64), *args)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    assert np.isnan(got).any() and np.isinf(got).any()


def test_blocked_grad_w_loops_check_their_arrays():
    """What the weight-gradient loops assume is refused before they run: an output
    gradient of the wrong size, output channels not in whole blocks of 16, no parts or
    parts of the wrong size, too small a workspace."""
    module = compiled()
    rng = np.random.default_rng(26)
    x = rng.standard_normal((2, 3, 7, 9)).astype(np.float32)
    gy = rng.standard_normal((2, 16, 4, 5)).astype(np.float32)
    K, stride, padding = (3, 3), (2, 2), (1, 1)
    parts = np.zeros((2, 27 * 16), np.float32)
    enough = np.empty(2 * module._thread_part(3 * 9 * 11 + 20 * 16, np.float32), np.float32)
    module._run_blocked_grad_w(x, gy, parts, enough, K, stride, padding, 2)
    np.testing.assert_allclose(
        parts.sum(axis=0).reshape(27, 16).T.reshape(16, 3, 3, 3),
        _ext._reference["conv"].conv_weight_grad(x, gy, K, stride, padding, (1, 1), 1),
        rtol=1e-4, atol=1e-4)
    bad = [
        (dict(ws=enough[:-1]), "workspace"),
        (dict(threads=0), "sizes"),
        (dict(cuts=0), "sizes"),
        (dict(gy=gy[:, :, :3].copy()), "gy"),
        (dict(gy=gy[:, :8].copy(), parts=np.zeros((2, 27 * 8), np.float32)), "C_out"),
        (dict(parts=parts[:0]), "parts"),
        (dict(parts=parts[:, :-1].copy()), "parts"),
    ]
    for change, words in bad:
        call = dict(x=x, gy=gy, parts=parts, ws=enough, threads=2, cuts=1)
        call.update(change)
        with pytest.raises(AssertionError, match="blocked weight grad: " + words):
            module._run_blocked_grad_w(call["x"], call["gy"], call["parts"], call["ws"], K,
                                       stride, padding, call["threads"], cuts=call["cuts"])


@pytest.mark.parametrize("path", ["blocked", "lanes", "phases", "winograd-lanes"])
def test_padded_copies_write_every_value_of_their_workspace(path, monkeypatch):
    """Each workspace handed out full of NaN: the blocked, lanes, phases and Winograd
    lanes paths pad every sample into it (zeros on each side, the rows of the input
    between) and write every value of their other scratch before reading it, so no
    value of a previous call can reach a result (asymmetric padding of the phases
    included; a Winograd lanes result that read one would not be finite and would be
    computed again, which the test also rules out)."""
    module = blocked()
    poison_workspaces(module, monkeypatch)
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 1)
    taken = spy(module, {"blocked": "_blocked_forward", "lanes": "_lanes_forward",
                         "phases": "_phases_forward",
                         "winograd-lanes": "_wl_forward"}[path], monkeypatch)
    rng = np.random.default_rng(33)
    if path == "winograd-lanes":
        again = spy(module, "_lanes_forward", monkeypatch)
        monkeypatch.setattr(module, "_WL_CHUNK_FLOATS", 1)       # chunks of one tile row
        x = rng.standard_normal((2, 16, 12, 11)).astype(np.float32)
        w = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
        args = ((1, 1), (2, 1), (1, 1), 1)
        got = module.conv_forward(x, w, *args)
        expected = _ext._reference["conv"].conv_forward(x.astype(np.float64),
                                                        w.astype(np.float64), *args)
        assert len(taken) == 1 and not again
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
        return
    ref = _ext._reference["conv"]
    if path == "phases":
        x = rng.standard_normal((2, 32, 5, 6)).astype(np.float32)
        w = rng.standard_normal((32, 32, 4, 3)).astype(np.float32)
        args = ((2, 3), (1, 2), (1, 0), (1, 1), 1)
        got = module.conv_transpose_forward(x, w, *args)
        expected = ref.conv_transpose_forward(x.astype(np.float64), w.astype(np.float64),
                                              *args)
    else:
        x = rng.standard_normal((2, 8, 9, 20 if path == "blocked" else 7)).astype(np.float32)
        w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
        stride = (1, 1) if path == "blocked" else (2, 1)
        args = (stride, (2, 1), (1, 1), 1)
        got = module.conv_forward(x, w, *args)
        expected = ref.conv_forward(x.astype(np.float64), w.astype(np.float64), *args)
    assert len(taken) == 1
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------ threads' workspace parts
def test_thread_parts_are_whole_pages_apart_with_a_gap():
    """Each thread's part of a threaded workspace starts a whole number of 4 KB pages
    after the previous one's, with at least 16 KB unused between them
    (``_conv.pyx``'s ``_part`` says why); back to back when spacing is off."""
    module = compiled()
    for dtype in (np.float32, np.float64):
        size = np.dtype(dtype).itemsize
        for per_thread in (1, 1000, 4096, 10304):
            part = module._thread_part(per_thread, dtype)
            assert part * size % 4096 == 0
            assert (part - per_thread) * size >= 16384
            module._set_part_spacing(False)
            try:
                assert module._thread_part(per_thread, dtype) == per_thread
            finally:
                module._set_part_spacing(True)


def _spaced_and_back_to_back(module, run, monkeypatch):
    """``run()`` on two threads with the parts spaced, then back to back: the results,
    and the thread counts the threaded workspaces were asked for."""
    asked = []
    workspace = module._thread_workspace

    def counted(name, threads, per_thread, dtype):
        asked.append(threads)
        return workspace(name, threads, per_thread, dtype)

    monkeypatch.setattr(module, "_thread_workspace", counted)
    monkeypatch.setattr(module, "_SAMPLE_THREADS", 2)
    monkeypatch.setattr(module, "threads_for", lambda work: 2)
    monkeypatch.setattr(module, "parts_for", lambda work: 2)
    monkeypatch.setattr(module, "free_threads", lambda parts: min(parts, 2))
    results = []
    for spaced in (True, False):
        module._set_part_spacing(spaced)
        try:
            results.append(run())
        finally:
            module._set_part_spacing(True)
    return results, asked


@pytest.mark.parametrize("path", ["lanes-1d", "lanes", "blocked", "phases", "blocked-grad-w",
                                  "per-sample", "winograd", "winograd-lanes",
                                  "winograd-lanes-grad-w"])
def test_thread_parts_change_no_result(path, monkeypatch):
    """Every threaded loop finds its part of the workspace where the caller put it:
    the same bits with the parts spaced and back to back, on two threads, each path
    that gives a thread a part (a part sized one way and read the other would be
    refused by the loops' checks or give other values)."""
    module = compiled()
    if path in ("lanes-1d", "lanes", "blocked", "phases", "blocked-grad-w", "winograd-lanes",
                "winograd-lanes-grad-w"):
        module = blocked()
    elif path == "per-sample":
        force_gemm_path(module, "gemm-per-sample", monkeypatch, None)
    else:
        force_winograd(module, monkeypatch)
    rng = np.random.default_rng(41)

    def arrays(x_shape, w_shape, dtype=np.float32):
        return (rng.standard_normal(x_shape).astype(dtype),
                rng.standard_normal(w_shape).astype(dtype))

    one, two = (1,), (1, 1)
    if path == "lanes-1d":
        x, w = arrays((4, 32, 60), (16, 32, 4))
        run = lambda: module.conv_forward(x, w, (2,), (1,), one, 1)          # noqa: E731
    elif path == "lanes":
        x, w = arrays((4, 16, 9, 9), (32, 16, 3, 3))
        run = lambda: module.conv_forward(x, w, (2, 2), two, two, 1)         # noqa: E731
    elif path == "blocked":
        x, w = arrays((4, 8, 6, 20), (16, 8, 3, 3))
        run = lambda: module.conv_forward(x, w, two, two, two, 1)            # noqa: E731
    elif path == "phases":
        x, w = arrays((4, 32, 5, 6), (32, 32, 4, 4))
        run = lambda: module.conv_transpose_forward(                         # noqa: E731
            x, w, (2, 2), two, (0, 0), two, 1)
    elif path == "winograd-lanes":
        x, w = arrays((4, 16, 9, 10), (32, 16, 3, 3))
        taken = spy(module, "_wl_forward", monkeypatch)
        run = lambda: module.conv_forward(x, w, two, two, two, 1)            # noqa: E731
    elif path == "winograd-lanes-grad-w":
        x, gy = arrays((4, 16, 16, 16), (4, 32, 16, 16))
        taken = spy(module, "_wl_weight_grad", monkeypatch)
        run = lambda: module.conv_weight_grad(                               # noqa: E731
            x, gy, (3, 3), two, two, two, 1)
    elif path == "blocked-grad-w":
        x, gy = arrays((4, 8, 9, 9), (4, 16, 5, 5))
        run = lambda: module.conv_weight_grad(                               # noqa: E731
            x, gy, (3, 3), (2, 2), two, two, 1)
    elif path == "per-sample":
        x, w = arrays((4, 3, 7, 6), (8, 3, 3, 3), np.float64)
        gy = rng.standard_normal((4, 8, 7, 6))

        def run():
            return (module.conv_forward(x, w, two, two, two, 1),
                    module.conv_weight_grad(x, gy, (3, 3), two, two, two, 1),
                    module.conv_transpose_forward(gy, w, two, two, (0, 0), two, 1))
    else:
        x, w = arrays((4, 8, 10, 9), (8, 8, 3, 3), np.float64)
        gy = rng.standard_normal((4, 8, 10, 9))

        def run():
            return (module.conv_forward(x, w, two, two, two, 1),
                    module.conv_weight_grad(x, gy, (3, 3), two, two, two, 1))
    (spaced, back_to_back), asked = _spaced_and_back_to_back(module, run, monkeypatch)
    assert asked and min(asked) == 2
    if path.startswith("winograd-lanes"):
        assert len(taken) == 2
    if not isinstance(spaced, tuple):
        spaced, back_to_back = (spaced,), (back_to_back,)
    for a, b in zip(spaced, back_to_back, strict=True):
        np.testing.assert_array_equal(a, b)


def test_thread_parts_follow_the_workspace_handed_in():
    """The loops share out the workspace they are handed, ``ws.shape[0] // threads``
    each: one sized with the parts spaced still gives the right values when the rule
    says back to back at the call, and one sized back to back is refused when the rule
    says spaced (the check), never written past."""
    module = blocked()
    rng = np.random.default_rng(43)
    x = rng.standard_normal((4, 32, 1, 40)).astype(np.float32)
    w = rng.standard_normal((16, 32, 1, 4)).astype(np.float32)
    y = np.empty((4, 16, 1, 20), np.float32)
    w2 = w.reshape(16, -1)
    per_thread = 32 * 42 + 20 * 16 + 32 * 4 * 16
    args = ((1, 4), (1, 2), (0, 1), 2)
    expected = _ext._reference["conv"].conv_forward(x, w, (1, 2), (0, 1), (1, 1), 1)
    spaced = np.empty(2 * module._thread_part(per_thread, np.float32), np.float32)
    module._set_part_spacing(False)
    try:
        back_to_back = np.empty(2 * module._thread_part(per_thread, np.float32), np.float32)
        assert back_to_back.size == 2 * per_thread < spaced.size
        module._run_lanes_conv(x, w2, y, spaced, *args)
        np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    finally:
        module._set_part_spacing(True)
    with pytest.raises(AssertionError, match="lanes conv: workspace"):
        module._run_lanes_conv(x, w2, y, back_to_back, *args)
