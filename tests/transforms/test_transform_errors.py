"""Transforms, bad input: each error names the transform, what it expected and what it got."""
import numpy as np
import pytest

import lucid
import lucid.transforms as T

IMAGE_TRANSFORMS = [T.Normalize(0.5, 0.5), T.Resize(4), T.RandomHorizontalFlip(), T.RandomVerticalFlip(),
                    T.RandomCrop(2), T.CenterCrop(2), T.RandomRotation(10), T.RandomGrayscale()]


@pytest.mark.parametrize("transform", IMAGE_TRANSFORMS, ids=lambda t: type(t).__name__)
def test_wrong_shape_type_or_dtype(transform):
    name = type(transform).__name__
    with pytest.raises(ValueError, match=rf"^{name}: expected a CHW image \(C, H, W\) .*got shape \(4, 4\)"):
        transform(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match=rf"^{name}: expected a CHW image .*got shape \(2, 2, 2, 2, 2\)"):
        transform(lucid.zeros((2, 2, 2, 2, 2)))
    with pytest.raises(TypeError, match=rf"^{name}: expected a CHW image as a lucid Tensor or an ndarray; got list"):
        transform([[[0.0]]])
    with pytest.raises(TypeError, match=rf"^{name}: expected an image of real numbers .*got dtype bool"):
        transform(np.zeros((3, 4, 4), bool))
    with pytest.raises(ValueError, match=rf"^{name}: got an ndarray of shape \(8, 8, 3\), which looks like an HWC"):
        transform(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match=rf"^{name}: expected an image with height and width of at least 1"):
        transform(np.zeros((3, 0, 4), np.float32))


def test_to_tensor_errors():
    with pytest.raises(TypeError, match="ToTensor: expected an image ndarray .*got a Tensor"):
        T.ToTensor()(lucid.zeros((3, 2, 2)))
    with pytest.raises(ValueError, match=r"ToTensor: expected an image ndarray .*got shape \(2, 2, 2, 2\)"):
        T.ToTensor()(np.zeros((2, 2, 2, 2), np.uint8))
    with pytest.raises(TypeError, match="ToTensor: expected uint8 .* got dtype int64"):
        T.ToTensor()(np.zeros((2, 2), np.int64))


def test_normalize_errors():
    with pytest.raises(TypeError, match="Normalize: expected a floating image; got dtype uint8"):
        T.Normalize(0.5, 0.5)(np.zeros((3, 2, 2), np.uint8))
    with pytest.raises(ValueError, match=r"Normalize: mean has 2 values; expected 1 or one per channel \(3\)"):
        T.Normalize([0.5, 0.5], 0.5)(np.zeros((3, 2, 2), np.float32))
    with pytest.raises(ValueError, match="Normalize: std must not contain zeros"):
        T.Normalize(0.5, [1.0, 0.0])
    with pytest.raises(TypeError, match="Normalize: mean must be a number or a non-empty sequence"):
        T.Normalize("red", 1.0)


@pytest.mark.parametrize("make, match", [
    (lambda: T.Resize(0), "Resize: size must be positive"),
    (lambda: T.Resize((2, 2, 2)), "Resize: size must be an int or a pair"),
    (lambda: T.CenterCrop(-1), "CenterCrop: size must be positive"),
    (lambda: T.RandomCrop(2, padding=-1), "RandomCrop: padding must be non-negative"),
    (lambda: T.RandomCrop(2, padding=(1, 2, 3)), "RandomCrop: padding must be an int or a sequence of 2 or 4"),
    (lambda: T.RandomCrop(2, fill="black"), "RandomCrop: fill must be a number"),
    (lambda: T.RandomHorizontalFlip(p=1.5), r"RandomHorizontalFlip: p must lie in \[0, 1\]; got 1.5"),
    (lambda: T.RandomVerticalFlip(p="half"), "RandomVerticalFlip: p must be a number"),
    (lambda: T.RandomGrayscale(p=-0.1), "RandomGrayscale: p must lie in"),
    (lambda: T.RandomRotation(-5), "RandomRotation: degrees must be non-negative"),
    (lambda: T.RandomRotation((10, -10)), "RandomRotation: degrees .* min <= max"),
    (lambda: T.RandomRotation(10, interpolation="cubic"), "RandomRotation: interpolation must be"),
    (lambda: T.Compose(T.ToTensor()), "Compose: transforms must be a list"),
    (lambda: T.Compose([T.ToTensor(), 3]), r"Compose: transforms\[1\] must be callable"),
])
def test_bad_arguments(make, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()


def test_errors_found_only_on_the_image():
    with pytest.raises(ValueError, match=r"RandomCrop: the crop size \(5, 5\) is larger than the image \(4, 4\)"):
        T.RandomCrop(5)(np.zeros((1, 4, 4), np.float32))
    with pytest.raises(ValueError, match="RandomGrayscale: expected an image with 1 or 3 channels .*got 4"):
        T.RandomGrayscale()(np.zeros((4, 2, 2), np.float32))


def test_same_kind_out_and_input_untouched(rng):
    data = rng.random((3, 6, 6)).astype(np.float32)
    img = lucid.tensor(data, requires_grad=True)
    for transform in IMAGE_TRANSFORMS[1:]:
        out = transform(img)
        assert isinstance(out, lucid.Tensor) and (out is img or not out.requires_grad)
        arr_out = transform(data)
        assert isinstance(arr_out, np.ndarray)
    np.testing.assert_array_equal(img.data, data)
