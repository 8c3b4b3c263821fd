"""affine_grid, grid_sample and rotate against torch.nn.functional: values and gradients
(input, grid, theta) in float32 and float64 across modes, padding modes and
align_corners, 4-D and 5-D, on both scatter twins; gradcheck in float64 away from the
kinks; rotate against a torch computation built from homogeneous matrices and against
np.rot90; every bad input."""
import numpy as np
import pytest

import lucid
from lucid.nn.functional.vision import affine_grid, grid_sample, rotate
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

KERNEL_FAMILIES = ("scatter",)
needs_torch = pytest.mark.torch

MODES = ["bilinear", "nearest"]
PADDINGS = ["zeros", "border", "reflection"]


def _input_and_grid(rng, dtype, spatial_in, spatial_out, batch=2, channels=3, reach=1.4):
    """A random input and a random grid reaching ``reach`` (beyond the edges at +-1).

    The grid has more points than the input has pixels, so pixels are read many times
    (the backward must add their gradients up). Random reals avoid the kinks."""
    x = rng.standard_normal((batch, channels) + spatial_in).astype(dtype)
    grid = rng.uniform(-reach, reach, (batch,) + spatial_out + (len(spatial_in),)).astype(dtype)
    return x, grid


# ------------------------------------------------------------------- grid_sample
@needs_torch
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_2d_matches_torch(twin, mode, padding_mode, align_corners, float_dtype):
    x, grid = _input_and_grid(np.random.default_rng(0), float_dtype, (3, 4), (5, 6))
    out = torch_parity(
        lambda a, g: grid_sample(a, g, mode, padding_mode, align_corners),
        lambda a, g: torch.nn.functional.grid_sample(a, g, mode, padding_mode, align_corners),
        [x, grid])
    assert out.shape == (2, 3, 5, 6) and out.dtype == float_dtype


@needs_torch
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_3d_matches_torch(twin, mode, padding_mode, align_corners, float_dtype):
    x, grid = _input_and_grid(np.random.default_rng(1), float_dtype, (2, 3, 4), (3, 2, 4))
    out = torch_parity(
        lambda a, g: grid_sample(a, g, mode, padding_mode, align_corners),
        lambda a, g: torch.nn.functional.grid_sample(a, g, mode, padding_mode, align_corners),
        [x, grid])
    assert out.shape == (2, 3, 3, 2, 4)


@needs_torch
def test_grid_sample_default_is_bilinear_zeros_unaligned():
    x, grid = _input_and_grid(np.random.default_rng(2), np.float64, (4, 4), (3, 3))
    expected = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(grid),
                                               align_corners=False)
    assert_close(grid_sample(lucid.Tensor(x), lucid.Tensor(grid)), expected.numpy())


def test_grid_sample_reads_pixel_centres_exactly(float_dtype):
    # a tiny oracle written here: at the pixel centres bilinear sampling is the image
    x = np.arange(12, dtype=float_dtype).reshape(1, 1, 3, 4)
    for align_corners in (False, True):
        theta = lucid.Tensor(np.array([[[1, 0, 0], [0, 1, 0]]], dtype=float_dtype))
        grid = affine_grid(theta, (1, 1, 3, 4), align_corners=align_corners)
        out = grid_sample(lucid.Tensor(x), grid, align_corners=align_corners)
        assert_close(out, x)


def test_grid_sample_input_gradient_adds_repeated_reads(twin):
    # every output point reads the image's centre: four pixels, a quarter each
    x = lucid.Tensor(np.zeros((1, 2, 2, 2)), requires_grad=True)
    grid = lucid.Tensor(np.zeros((1, 3, 5, 2)))
    grid_sample(x, grid).sum().backward()
    assert_close(x.grad, np.full((1, 2, 2, 2), 15 * 0.25))


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_grid_sample_bilinear_gradcheck(twin, padding_mode, align_corners):
    x, grid = _input_and_grid(np.random.default_rng(3), np.float64, (3, 4), (2, 3), batch=1,
                              channels=2)
    x, grid = lucid.Tensor(x, requires_grad=True), lucid.Tensor(grid, requires_grad=True)
    assert gradcheck(lambda a, g: grid_sample(a, g, "bilinear", padding_mode, align_corners),
                     [x, grid])


def test_grid_sample_bilinear_3d_gradcheck(twin):
    x, grid = _input_and_grid(np.random.default_rng(4), np.float64, (2, 3, 2), (2, 2, 1),
                              batch=1, channels=2)
    x, grid = lucid.Tensor(x, requires_grad=True), lucid.Tensor(grid, requires_grad=True)
    assert gradcheck(lambda a, g: grid_sample(a, g, "bilinear", "reflection"), [x, grid])


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_grid_sample_nearest_gradcheck(twin, padding_mode):
    # nearest is piecewise constant in the grid: its gradient there is 0 (and checked)
    x, grid = _input_and_grid(np.random.default_rng(5), np.float64, (3, 3), (2, 4), batch=1)
    x, grid = lucid.Tensor(x, requires_grad=True), lucid.Tensor(grid, requires_grad=True)
    assert gradcheck(lambda a, g: grid_sample(a, g, "nearest", padding_mode), [x, grid])


@needs_torch
def test_grid_sample_empty_batch():
    x, grid = np.zeros((0, 2, 3, 3)), np.zeros((0, 2, 2, 2))
    expected = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(grid),
                                               align_corners=False)
    out = grid_sample(lucid.Tensor(x), lucid.Tensor(grid))
    assert_close(out, expected.numpy())


# ------------------------------------------------------------------- affine_grid
@needs_torch
@pytest.mark.filterwarnings("ignore:Since version 1.3.0, affine_grid:UserWarning")  # torch's
@pytest.mark.parametrize("align_corners", [False, True])                  # note on size 1
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 3, 2, 3, 4)])
def test_affine_grid_matches_torch(size, align_corners, float_dtype):
    k = len(size) - 2
    theta = np.random.default_rng(6).standard_normal((2, k, k + 1)).astype(float_dtype)
    out = torch_parity(lambda t: affine_grid(t, size, align_corners),
                       lambda t: torch.nn.functional.affine_grid(t, size, align_corners),
                       [theta])
    assert out.shape == (size[0],) + size[2:] + (k,)


@needs_torch
def test_affine_grid_default_is_unaligned():
    theta = np.random.default_rng(7).standard_normal((1, 2, 3))
    expected = torch.nn.functional.affine_grid(torch.tensor(theta), (1, 1, 3, 2),
                                               align_corners=False)
    assert_close(affine_grid(lucid.Tensor(theta), (1, 1, 3, 2)), expected.numpy())


@pytest.mark.parametrize("size", [(2, 1, 3, 4), (1, 2, 2, 3, 2)])
def test_affine_grid_gradcheck(size):
    k = len(size) - 2
    theta = lucid.Tensor(np.random.default_rng(8).standard_normal((size[0], k, k + 1)),
                         requires_grad=True)
    assert gradcheck(lambda t: affine_grid(t, size, align_corners=True), [theta])


@needs_torch
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_spatial_transformer_matches_torch(twin, padding_mode, align_corners, float_dtype):
    # affine_grid then grid_sample: the gradient reaches theta through the grid
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 5, 4)).astype(float_dtype)
    theta = (np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
             + 0.4 * rng.standard_normal((2, 2, 3))).astype(float_dtype)
    size = (2, 3, 6, 7)
    seed = rng.standard_normal((2, 3, 6, 7)).astype(float_dtype)
    lx, lt = lucid.Tensor(x, requires_grad=True), lucid.Tensor(theta, requires_grad=True)
    ly = grid_sample(lx, affine_grid(lt, size, align_corners), "bilinear", padding_mode,
                     align_corners)
    ly.backward(seed)
    tx, tt = torch.tensor(x, requires_grad=True), torch.tensor(theta, requires_grad=True)
    tgrid = torch.nn.functional.affine_grid(tt, size, align_corners)
    tgrid.retain_grad()
    ty = torch.nn.functional.grid_sample(tx, tgrid, "bilinear", padding_mode, align_corners)
    ty.backward(torch.tensor(seed))
    assert_close(ly, ty.detach().numpy())
    assert_close(lx.grad, tx.grad.numpy())
    # dL/dtheta sums 6 * 7 grid-gradient terms that cancel: two correct float32 sums in
    # different orders differ by up to (number of terms) * eps * (largest term)
    terms = np.abs(tgrid.grad.numpy()).max() * 42
    atol = None if float_dtype == np.float64 else float(terms * np.finfo(np.float32).eps)
    assert_close(lt.grad, tt.grad.numpy(), atol=atol)


def test_spatial_transformer_gradcheck():
    rng = np.random.default_rng(10)
    x = lucid.Tensor(rng.standard_normal((1, 2, 3, 3)), requires_grad=True)
    theta = lucid.Tensor(np.array([[[0.9, 0.2, 0.1], [-0.3, 1.1, 0.05]]]), requires_grad=True)
    assert gradcheck(lambda a, t: grid_sample(a, affine_grid(t, (1, 2, 4, 3)), "bilinear",
                                              "border"), [x, theta])


# ------------------------------------------------------------------------ rotate
def _torch_rotation_theta(angle_deg, center, height, width):
    """The affine_grid matrix of a rotation, built from 3x3 homogeneous matrices:
    normalised -> pixel index (align_corners=False), rotate about the centre, back."""
    to_pixel = np.array([[width / 2, 0, (width - 1) / 2],
                         [0, height / 2, (height - 1) / 2],
                         [0, 0, 1]])
    a = np.deg2rad(angle_deg)
    turn = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    shift = np.array([[1, 0, center[0]], [0, 1, center[1]], [0, 0, 1]])
    unshift = np.array([[1, 0, -center[0]], [0, 1, -center[1]], [0, 0, 1]])
    return (np.linalg.inv(to_pixel) @ shift @ turn @ unshift @ to_pixel)[:2]


@needs_torch
@pytest.mark.parametrize("mode,padding_mode,center", [
    ("bilinear", "zeros", None),
    ("bilinear", "border", (1.0, 3.5)),
    ("bilinear", "reflection", (0.0, 0.0)),
    ("nearest", "zeros", None),
    ("nearest", "border", (2.25, 1.0)),
])
def test_rotate_matches_torch_affine_grid_grid_sample(twin, mode, padding_mode, center,
                                                      float_dtype):
    rng = np.random.default_rng(11)
    n, c, h, w = 3, 2, 5, 7
    x = rng.standard_normal((n, c, h, w)).astype(float_dtype)
    angles = [23.0, -71.5, 131.0]
    middle = ((w - 1) / 2, (h - 1) / 2)
    theta = np.stack([_torch_rotation_theta(a, center or middle, h, w) for a in angles])
    theta = torch.tensor(theta.astype(float_dtype))

    def torch_rotate(t):
        grid = torch.nn.functional.affine_grid(theta, (n, c, h, w), align_corners=False)
        return torch.nn.functional.grid_sample(t, grid, mode, padding_mode, align_corners=False)

    out = torch_parity(lambda t: rotate(t, angles, center, mode, padding_mode), torch_rotate,
                       [x])
    assert out.dtype == float_dtype


@pytest.mark.parametrize("k", [1, 2, 3, -1])
def test_rotate_quarter_turns_are_rot90_counter_clockwise(k, float_dtype):
    x = np.random.default_rng(12).standard_normal((2, 3, 4, 4)).astype(float_dtype)
    out = rotate(lucid.Tensor(x), 90.0 * k, mode="nearest")
    assert_close(out, np.rot90(x, k, axes=(2, 3)))
    out = rotate(lucid.Tensor(x), 90.0 * k)            # bilinear: cos(90 deg) is 6e-17, not 0
    assert_close(out, np.rot90(x, k, axes=(2, 3)))


def test_rotate_zero_angle_is_identity_and_centre_stays():
    x = np.random.default_rng(13).standard_normal((1, 1, 5, 5))
    assert_close(rotate(lucid.Tensor(x), 0.0), x)
    out = rotate(lucid.Tensor(x), 37.0)
    assert_close(out.data[0, 0, 2, 2], x[0, 0, 2, 2])
    # about another centre, that pixel stays instead
    out = rotate(lucid.Tensor(x), 37.0, center=(1.0, 3.0))
    assert_close(out.data[0, 0, 3, 1], x[0, 0, 3, 1])


def test_rotate_gradcheck(twin):
    x = lucid.Tensor(np.random.default_rng(14).standard_normal((2, 1, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: rotate(t, [17.0, -40.0], padding_mode="border"), [x])


# -------------------------------------------------------------------- bad input
def _t(*shape, dtype=np.float32):
    return lucid.Tensor(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("call,error,message", [
    (lambda: grid_sample(_t(2, 3, 4), _t(2, 3, 4, 2)), ValueError,
     r"grid_sample: input_ must be 4-D \(N, C, H, W\) or 5-D .*got shape \(2, 3, 4\)"),
    (lambda: grid_sample(_t(2, 1, 3, 4), _t(2, 3, 4)), ValueError,
     r"grid_sample: grid must have shape \(N, H_out, W_out, 2\) for a 4-D input_; "
     r"got \(2, 3, 4\)"),
    (lambda: grid_sample(_t(2, 1, 3, 4), _t(2, 3, 4, 3)), ValueError,
     r"grid_sample: grid must have shape \(N, H_out, W_out, 2\).*got \(2, 3, 4, 3\)"),
    (lambda: grid_sample(_t(2, 1, 3, 4, 4), _t(2, 3, 4, 2, 2)), ValueError,
     r"grid_sample: grid must have shape \(N, D_out, H_out, W_out, 3\)"),
    (lambda: grid_sample(_t(2, 1, 3, 4), _t(3, 3, 4, 2)), ValueError,
     r"grid_sample: grid has batch 3 but input_ has batch 2"),
    (lambda: grid_sample(_t(1, 1, 3, 4), _t(1, 2, 2, 2), mode="bicubic"), ValueError,
     r"grid_sample: mode must be 'bilinear' or 'nearest'; got 'bicubic'"),
    (lambda: grid_sample(_t(1, 1, 3, 4), _t(1, 2, 2, 2), padding_mode="wrap"), ValueError,
     r"grid_sample: padding_mode must be 'zeros', 'border' or 'reflection'; got 'wrap'"),
    (lambda: grid_sample(_t(1, 1, 0, 4), _t(1, 2, 2, 2)), ValueError,
     r"grid_sample: input_ must have non-empty spatial axes; got shape \(1, 1, 0, 4\)"),
    (lambda: grid_sample(_t(1, 1, 3, 4), _t(1, 2, 2, 2, dtype=np.float64)), TypeError,
     r"grid_sample: grid must have the dtype of input_ \(float32\); got float64"),
    (lambda: grid_sample(_t(1, 1, 3, 4, dtype=np.int64), _t(1, 2, 2, 2)), TypeError,
     r"grid_sample: input_ must have a floating dtype"),
    (lambda: grid_sample(np.zeros((1, 1, 3, 4)), _t(1, 2, 2, 2)), TypeError,
     r"grid_sample: input_ must be a Tensor; got ndarray"),
    (lambda: grid_sample(_t(1, 1, 3, 4), _t(1, 2, 2, 2), align_corners=1), TypeError,
     r"grid_sample: align_corners must be a bool; got 1"),
    (lambda: affine_grid(_t(2, 2, 3), (2, 1, 4)), ValueError,
     r"affine_grid: size must have 4 entries \(N, C, H, W\) or 5 \(N, C, D, H, W\); "
     r"got \(2, 1, 4\) \(3 entries\)"),
    (lambda: affine_grid(_t(2, 2, 3), (2, 1, 4, 4.0)), TypeError,
     r"affine_grid: size must be a tuple of ints"),
    (lambda: affine_grid(_t(2, 2, 3), (2, 1, 0, 4)), ValueError,
     r"affine_grid: size must have N, C >= 0 and positive spatial sizes; got \(2, 1, 0, 4\)"),
    (lambda: affine_grid(_t(2, 3, 3), (2, 1, 4, 4)), ValueError,
     r"affine_grid: theta must have shape \(N, 2, 3\) for a 4-entry size \(2, 1, 4, 4\); "
     r"got \(2, 3, 3\)"),
    (lambda: affine_grid(_t(2, 2, 3), (2, 1, 4, 4, 4)), ValueError,
     r"affine_grid: theta must have shape \(N, 3, 4\) for a 5-entry size"),
    (lambda: affine_grid(_t(2, 3), (2, 1, 4, 4)), ValueError,
     r"affine_grid: theta must have shape \(N, 2, 3\).*got \(2, 3\)"),
    (lambda: affine_grid(_t(2, 2, 3), (3, 1, 4, 4)), ValueError,
     r"affine_grid: theta has batch 2 but size\[0\] is 3; they must be equal"),
    (lambda: affine_grid(_t(2, 2, 3, dtype=np.int64), (2, 1, 4, 4)), TypeError,
     r"affine_grid: theta must have a floating dtype"),
    (lambda: affine_grid(_t(2, 2, 3), (2, 1, 4, 4), align_corners="yes"), TypeError,
     r"affine_grid: align_corners must be a bool; got 'yes'"),
    (lambda: rotate(_t(1, 4, 4), 30.0), ValueError,
     r"rotate: input_ must be 4-D \(N, C, H, W\); got shape \(1, 4, 4\)"),
    (lambda: rotate(_t(2, 1, 4, 4), [10.0, 20.0, 30.0]), ValueError,
     r"rotate: angle must have one entry per image \(N = 2\); got 3 entries"),
    (lambda: rotate(_t(2, 1, 4, 4), "30"), TypeError,
     r"rotate: angle must be a real number or a 1-D sequence of N real numbers"),
    (lambda: rotate(_t(2, 1, 4, 4), float("nan")), ValueError,
     r"rotate: angle must be finite"),
    (lambda: rotate(_t(2, 1, 4, 4), 30.0, center=(1.0,)), TypeError,
     r"rotate: center must be None or a pair \(x, y\) of real numbers; got \(1.0,\)"),
    (lambda: rotate(_t(2, 1, 4, 4), 30.0, mode="cubic"), ValueError,
     r"rotate: mode must be 'bilinear' or 'nearest'; got 'cubic'"),
    (lambda: rotate(_t(2, 1, 4, 4), 30.0, padding_mode="edge"), ValueError,
     r"rotate: padding_mode must be 'zeros', 'border' or 'reflection'; got 'edge'"),
])
def test_bad_inputs(call, error, message):
    with pytest.raises(error, match=message):
        call()
