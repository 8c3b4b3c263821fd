"""Transforms, values: against PyTorch (interpolate, grid_sample, the torchvision
formulas written in torch) and tiny loops; every random draw from lucid's generator."""
import math

import numpy as np
import pytest

import lucid
import lucid.transforms as T
from lucid.testing import assert_close
from tests.conftest import torch

needs_torch = pytest.mark.torch


# ----------------------------------------------------------------- ToTensor, Normalize
def test_to_tensor_uint8_hwc_and_hw(rng):
    hwc = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    out = T.ToTensor()(hwc)
    assert isinstance(out, lucid.Tensor) and out.shape == (3, 4, 5) and out.dtype == np.float32
    for c in range(3):
        for y in range(4):
            for x in range(5):
                assert out.data[c, y, x] == np.float32(hwc[y, x, c]) / np.float32(255)
    hw = rng.integers(0, 256, (2, 3), dtype=np.uint8)
    assert_close(T.ToTensor()(hw), (hw / np.float32(255)).astype(np.float32)[None])


def test_to_tensor_float_is_only_moved(rng):
    hwc = rng.standard_normal((3, 2, 2))
    out = T.ToTensor()(hwc)
    assert_close(out, hwc.transpose(2, 0, 1))
    out.data[0, 0, 0] = 99.0
    assert hwc[0, 0, 0] != 99.0                    # a copy, not a view of the input


@needs_torch
@pytest.mark.parametrize("mean, std", [([0.5, 0.4, 0.3], [0.2, 0.25, 0.5]), (0.5, 0.25), ([0.1], [2.0])])
def test_normalize_matches_torchvision_formula(rng, float_dtype, mean, std):
    img = rng.random((3, 4, 5)).astype(float_dtype)
    t = torch.from_numpy(img.copy())
    m = torch.as_tensor(np.atleast_1d(mean), dtype=t.dtype).view(-1, 1, 1)
    s = torch.as_tensor(np.atleast_1d(std), dtype=t.dtype).view(-1, 1, 1)
    assert_close(T.Normalize(mean, std)(lucid.tensor(img)), t.sub(m).div(s))
    batch = rng.random((2, 3, 4, 5)).astype(float_dtype)
    assert_close(T.Normalize(mean, std)(batch), torch.from_numpy(batch).sub(m).div(s))


# ---------------------------------------------------------------------------- Resize
@needs_torch
@pytest.mark.parametrize("shape, size", [((3, 8, 8), (4, 4)), ((3, 8, 8), (13, 5)), ((2, 7, 10), (3, 17)),
                                         ((1, 5, 3), (5, 3)), ((3, 1, 6), (4, 2)), ((2, 3, 9, 6), (7, 4))])
def test_resize_matches_torch_interpolate(rng, float_dtype, shape, size):
    img = rng.standard_normal(shape).astype(float_dtype)
    t = torch.from_numpy(img)
    batch = t if t.ndim == 4 else t[None]
    expected = torch.nn.functional.interpolate(batch, size=size, mode="bilinear", align_corners=False,
                                               antialias=False)
    expected = expected if t.ndim == 4 else expected[0]
    assert_close(T.Resize(size)(lucid.tensor(img)), expected)


@pytest.mark.parametrize("hw, size, expected", [((32, 64), 16, (16, 32)), ((64, 32), 16, (32, 16)),
                                                ((10, 15), 7, (7, 10)), ((15, 10), 7, (10, 7)),
                                                ((9, 9), 4, (4, 4))])
def test_resize_int_matches_the_shorter_side(hw, size, expected):
    h, w = hw
    short, long = min(h, w), max(h, w)
    assert (size, int(size * long / short)) == (min(expected), max(expected))   # the rule, restated
    assert T.Resize(size)(np.zeros((1, h, w), np.float32)).shape == (1, *expected)


@needs_torch
def test_resize_uint8_rounds_like_torchvision(rng):
    img = rng.integers(0, 256, (3, 6, 9), dtype=np.uint8)
    expected = torch.nn.functional.interpolate(torch.from_numpy(img)[None].float(), size=(4, 5),
                                               mode="bilinear", align_corners=False, antialias=False)
    expected = expected.round().clamp(0, 255).to(torch.uint8)[0]
    got = T.Resize((4, 5))(img)
    assert isinstance(got, np.ndarray) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, expected.numpy())


# --------------------------------------------------------------------------- flips
@pytest.mark.parametrize("cls, axis", [(T.RandomHorizontalFlip, -1), (T.RandomVerticalFlip, -2)])
def test_flips_follow_the_generator(rng, cls, axis):
    img = lucid.tensor(rng.standard_normal((2, 3, 4)))
    flip = cls(p=0.5)
    lucid.random.seed(4)
    outputs = [flip(img).data for _ in range(20)]
    lucid.random.seed(4)
    draws = [lucid.random.generator().random() < 0.5 for _ in range(20)]
    assert any(draws) and not all(draws)
    for out, flipped in zip(outputs, draws):
        np.testing.assert_array_equal(out, np.flip(img.data, axis) if flipped else img.data)
    assert flip.__class__(p=0.0)(img) is img
    np.testing.assert_array_equal(cls(p=1.0)(img.data), np.flip(img.data, axis))


# ---------------------------------------------------------------------------- crops
def test_center_crop_offsets(rng):
    img = rng.standard_normal((2, 7, 6))
    for h, w in [(3, 3), (4, 2), (7, 6), (1, 5)]:
        top, left = int(round((7 - h) / 2.0)), int(round((6 - w) / 2.0))
        out = T.CenterCrop((h, w))(img)
        for c in range(2):
            for y in range(h):
                for x in range(w):
                    assert out[c, y, x] == img[c, top + y, left + x]


def test_center_crop_pads_small_images():
    img = np.ones((1, 2, 3), np.float32)
    out = T.CenterCrop((4, 6))(img)               # padding (left 1, top 1, right 2, bottom 1)
    expected = np.zeros((1, 4, 6), np.float32)
    expected[0, 1:3, 1:4] = 1
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("padding, pads", [(None, (0, 0, 0, 0)), (2, (2, 2, 2, 2)), ((1, 3), (1, 3, 1, 3)),
                                           ((1, 0, 2, 3), (1, 0, 2, 3))])
def test_random_crop_draws_and_padding(rng, padding, pads):
    img = rng.standard_normal((3, 6, 7)).astype(np.float32)
    crop = T.RandomCrop((4, 5), padding=padding, fill=-9)
    left, top, right, bottom = pads
    padded = np.full((3, 6 + top + bottom, 7 + left + right), -9, np.float32)
    padded[:, top:top + 6, left:left + 7] = img
    lucid.random.seed(9)
    outputs = [crop(lucid.tensor(img)).data for _ in range(5)]
    lucid.random.seed(9)
    g = lucid.random.generator()
    for out in outputs:
        i = g.integers(0, padded.shape[1] - 4 + 1)
        j = g.integers(0, padded.shape[2] - 5 + 1)
        np.testing.assert_array_equal(out, padded[:, i:i + 4, j:j + 5])


def test_random_crop_pad_if_needed():
    img = np.ones((1, 2, 3), np.float32)
    out = T.RandomCrop((4, 3), pad_if_needed=True)(img)
    assert out.shape == (1, 4, 3) and out.sum() <= 6


# ------------------------------------------------------------------------- rotation
def _torch_rotate(img, angle, mode):
    """torch's grid_sample on the rotation grid (in normalised coordinates)."""
    h, w = img.shape[-2:]
    th = math.radians(angle)
    theta = torch.tensor([[[math.cos(th), -math.sin(th) * h / w, 0.0],
                           [math.sin(th) * w / h, math.cos(th), 0.0]]], dtype=torch.float64)
    grid = torch.nn.functional.affine_grid(theta, (1, img.shape[0], h, w), align_corners=False)
    out = torch.nn.functional.grid_sample(torch.from_numpy(img)[None], grid, mode=mode,
                                          padding_mode="zeros", align_corners=False)
    return out[0].numpy()


@needs_torch
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("shape", [(2, 7, 7), (1, 6, 9), (3, 8, 5)])
def test_rotation_matches_grid_sample(rng, mode, shape):
    img = rng.standard_normal(shape)
    rotation = T.RandomRotation(40, interpolation=mode)
    for _ in range(3):
        state = lucid.random.generator().bit_generator.state
        out = rotation(img)
        lucid.random.generator().bit_generator.state = state
        angle = lucid.random.generator().uniform(-40, 40)
        assert_close(out, _torch_rotate(img, angle, mode), rtol=1e-9, atol=1e-12)


def test_rotation_quarter_turn_and_fill():
    img = np.arange(9.0).reshape(1, 3, 3)
    out = T.RandomRotation((90, 90))(img)
    np.testing.assert_allclose(out, np.rot90(img, 1, axes=(1, 2)), atol=1e-12)   # counter-clockwise
    const = np.full((2, 5, 4), 3.0)
    for mode in ("nearest", "bilinear"):
        np.testing.assert_allclose(T.RandomRotation(30, mode, fill=3.0)(const), const, atol=1e-12)
    corner = T.RandomRotation((45, 45), fill=200)(np.ones((1, 5, 5), np.uint8) * 7)
    assert corner.dtype == np.uint8 and corner[0, 0, 0] == 200 and corner[0, 2, 2] == 7
    clipped = T.RandomRotation((45, 45), fill=-1)(np.ones((1, 5, 5), np.uint8) * 7)
    assert clipped[0, 0, 0] == 0                  # integer images: rounded, clipped to the dtype


# ------------------------------------------------------------------------ grayscale
@needs_torch
def test_grayscale_matches_torchvision_formula(rng, float_dtype):
    img = rng.random((3, 4, 5)).astype(float_dtype)
    t = torch.from_numpy(img)
    luma = (0.2989 * t[0] + 0.587 * t[1] + 0.114 * t[2]).to(t.dtype)
    out = T.RandomGrayscale(p=1.0)(lucid.tensor(img))
    assert_close(out, luma.expand(3, 4, 5).contiguous())
    u8 = rng.integers(0, 256, (2, 3, 4, 4), dtype=np.uint8)
    t8 = torch.from_numpy(u8)
    luma8 = (0.2989 * t8[:, 0] + 0.587 * t8[:, 1] + 0.114 * t8[:, 2]).to(torch.uint8)
    np.testing.assert_array_equal(T.RandomGrayscale(p=1.0)(u8), luma8[:, None].expand(2, 3, 4, 4).numpy())


def test_grayscale_draws_and_one_channel(rng):
    img = rng.random((3, 2, 2)).astype(np.float32)
    gray = T.RandomGrayscale(p=0.3)
    lucid.random.seed(2)
    changed = [not np.array_equal(gray(img), img) for _ in range(30)]
    lucid.random.seed(2)
    assert changed == [lucid.random.generator().random() < 0.3 for _ in range(30)]
    one = rng.random((1, 2, 2))
    assert T.RandomGrayscale(p=1.0)(one) is one


# ------------------------------------------------------------------------- pipelines
def test_compose_applies_in_order_and_seed_repeats_an_epoch(rng):
    images = rng.integers(0, 256, (6, 10, 10, 3), dtype=np.uint8)
    pipeline = T.Compose([T.ToTensor(), T.RandomCrop(8, padding=1), T.RandomHorizontalFlip(),
                          T.RandomRotation(15, "bilinear"), T.RandomGrayscale(0.5),
                          T.Resize(4), T.Normalize([0.5, 0.5, 0.5], [0.2, 0.2, 0.2])])
    lucid.random.seed(0)
    first = [pipeline(im).data for im in images]
    lucid.random.seed(0)
    again = [pipeline(im).data for im in images]
    assert all(a.shape == (3, 4, 4) and a.dtype == np.float32 for a in first)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert T.Compose([lambda x: x + 1, lambda x: x * 10])(1) == 20
