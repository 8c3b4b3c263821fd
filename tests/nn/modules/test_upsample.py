"""interpolate and Upsample against PyTorch: every mode, 1-3 spatial axes, align_corners,
size / scale_factor / recompute_scale_factor, up and down; values and gradients in
float32 and float64 on both scatter twins; gradcheck; repr; errors."""
import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import nn
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

needs_torch = pytest.mark.torch
KERNEL_FAMILIES = ("scatter",)

MODES = [("nearest", 1), ("nearest", 2), ("nearest", 3), ("nearest-exact", 2),
         ("nearest-exact", 3), ("linear", 1), ("bilinear", 2), ("trilinear", 3)]
SIZES = [dict(scale_factor=2), dict(scale_factor=1.7), dict(scale_factor=0.6),
         dict(scale_factor=2.5, recompute_scale_factor=True), dict(size=3), dict(size=7),
         "per-axis"]


def _size_kwargs(kind, d):
    if kind == "per-axis":
        return dict(size=tuple([5, 2, 6][:d]))
    return kind


CONFIGS = [(m, d, ac) for m, d in MODES
           for ac in ([None] if m.startswith("nearest") else [None, False, True])]


@needs_torch
@pytest.mark.parametrize("mode, d, align_corners", CONFIGS,
                         ids=[f"{m}-{d}d-{ac}" for m, d, ac in CONFIGS])
def test_parity(twin, float_dtype, mode, d, align_corners):
    rng = np.random.default_rng(d)
    for kind in SIZES:
        kw = _size_kwargs(kind, d)
        shape = (2, 3) + tuple(int(n) for n in rng.integers(2, 6, size=d))
        x = rng.standard_normal(shape).astype(float_dtype)
        torch_parity(lambda t: F.interpolate(t, mode=mode, align_corners=align_corners, **kw),
                     lambda t: torch.nn.functional.interpolate(
                         t, mode=mode, align_corners=align_corners, **kw), [x])


@pytest.mark.parametrize("mode, d", [("nearest", 2), ("linear", 1), ("bilinear", 2),
                                     ("trilinear", 3)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_gradcheck(rng, mode, d, align_corners):
    x = lucid.Tensor(rng.standard_normal((1, 2) + (3,) * d), requires_grad=True)
    ac = None if mode == "nearest" else align_corners
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=1.6, mode=mode, align_corners=ac), [x])


def test_small_example_by_hand():
    """1-d linear, align_corners=False, 2 -> 4: u = (o + 1/2)/2 - 1/2 clipped at 0."""
    x = lucid.Tensor([[[0.0, 8.0]]], requires_grad=True)
    y = F.interpolate(x, scale_factor=2, mode="linear")
    assert y.data.tolist() == [[[0.0, 2.0, 6.0, 8.0]]]        # u = 0, .25, .75, 1
    y.backward(np.ones(y.shape, np.float32))
    assert x.grad.tolist() == [[[2.0, 2.0]]]                  # 1 + .75 + .25 each


@needs_torch
@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(3, 4), mode="bilinear"),
                                dict(scale_factor=(2, 3), mode="bilinear", align_corners=True)],
                         ids=str)
def test_upsample_module(float_dtype, rng, kw):
    layer, twin = nn.Upsample(**kw), torch.nn.Upsample(**kw)
    assert repr(layer) == repr(twin)
    assert list(layer.state_dict()) == []
    x = rng.standard_normal((2, 3, 4, 5)).astype(float_dtype)
    torch_parity(layer, twin, [x])


def test_errors():
    x = lucid.random.randn(1, 2, 4, 4)
    cases = [
        (dict(), ValueError, "interpolate: give exactly one of size and scale_factor"),
        (dict(size=2, scale_factor=2), ValueError, "give exactly one"),
        (dict(size=(2, 2, 2)), ValueError, r"size must have one entry per spatial axis \(2"),
        (dict(size=0), ValueError, "size must be a positive int"),
        (dict(scale_factor=-1), ValueError, "scale_factor must be a positive number"),
        (dict(scale_factor=0.1), ValueError, "shrinks the spatial shape"),
        (dict(size=2, mode="cubic"), ValueError, "mode must be one of"),
        (dict(size=2, mode="linear"), ValueError, r"mode 'linear' needs a 3-d input"),
        (dict(size=2, align_corners=True), ValueError, "align_corners can only be set"),
        (dict(size=2, mode="bilinear", align_corners=1), TypeError, "align_corners must be"),
        (dict(size=2, recompute_scale_factor=True), ValueError, "meaningless with an explicit"),
    ]
    for kw, error, message in cases:
        with pytest.raises(error, match=message):
            F.interpolate(x, **kw)
    with pytest.raises(ValueError, match=r"interpolate: input_ must be \(N, C, L\)"):
        F.interpolate(lucid.random.randn(2, 4), size=3)
    with pytest.raises(TypeError, match="interpolate: input_ must have a floating dtype"):
        F.interpolate(lucid.Tensor([[[1, 2]]]), size=3)
    with pytest.raises(ValueError, match=r"Upsample: expected input of shape \(N, C, H, W\) for mode 'bilinear'; got \(1, 2, 4\)"):
        nn.Upsample(scale_factor=2, mode="bilinear")(lucid.random.randn(1, 2, 4))
    with pytest.raises(ValueError, match="Upsample: give exactly one"):
        nn.Upsample()
    with pytest.raises(ValueError, match="Upsample: mode must be one of"):
        nn.Upsample(size=2, mode="area")
