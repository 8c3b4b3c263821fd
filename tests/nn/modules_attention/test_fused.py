"""Fused blocks (ConvBNReLU, DepthSeparableConv, SEModule, SelectiveKernel) against the
same layers assembled in PyTorch: values, gradients, running statistics, errors."""
import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.nn.modules._parity import module_parity

needs_torch = pytest.mark.torch
SHAPES = {1: (2, 3, 7), 2: (2, 3, 5, 6), 3: (2, 3, 3, 4, 4)}

if torch is not None:
    class TorchConvBNReLU(torch.nn.Module):
        def __init__(self, d, *args, **kw):
            super().__init__()
            self.conv = getattr(torch.nn, f"Conv{d}d")(*args, **kw)
            self.bn = getattr(torch.nn, f"BatchNorm{d}d")(args[1])
            self.relu = torch.nn.ReLU()

        def forward(self, x):
            return self.relu(self.bn(self.conv(x)))

    class TorchDepthSeparable(torch.nn.Module):
        def __init__(self, d, c_in, c_out, k, **kw):
            super().__init__()
            conv = getattr(torch.nn, f"Conv{d}d")
            self.depthwise = conv(c_in, c_in, k, groups=c_in, **kw)
            self.pointwise = conv(c_in, c_out, 1)

        def forward(self, x):
            return self.pointwise(self.depthwise(x))

    class TorchSE(torch.nn.Module):
        def __init__(self, c, r):
            super().__init__()
            self.fc1, self.fc2 = torch.nn.Linear(c, c // r), torch.nn.Linear(c // r, c)

        def forward(self, x):
            s = x.mean(dim=tuple(range(2, x.ndim)))
            a = torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))
            return x * a.reshape(a.shape + (1,) * (x.ndim - 2))

    class TorchSK(torch.nn.Module):
        """Li et al. 2019 written directly in torch, with lucid's parameter names."""

        def __init__(self, c_in, c_out, sizes, hidden):
            super().__init__()
            self.branches = torch.nn.ModuleList(
                [TorchConvBNReLU(2, c_in, c_out, k, padding=k // 2, bias=False) for k in sizes])
            self.fc = torch.nn.Linear(c_out, hidden, bias=False)
            self.fc_bn = torch.nn.BatchNorm1d(hidden)
            self.select = torch.nn.Linear(hidden, len(sizes) * c_out)

        def forward(self, x):
            u = torch.stack([b(x) for b in self.branches], 1)
            z = torch.relu(self.fc_bn(self.fc(u.sum(1).mean(dim=(2, 3)))))
            a = torch.softmax(self.select(z).reshape(u.shape[:3]), dim=1)
            return (a[..., None, None] * u).sum(1)


@needs_torch
@pytest.mark.parametrize("d", [1, 2, 3])
def test_conv_bn_relu_parity(float_dtype, rng, d):
    # conv_bias=False: a bias before batch norm has gradient 0 in exact arithmetic, so
    # both frameworks would only be compared on rounding noise there.
    block = getattr(nn, f"ConvBNReLU{d}d")(3, 4, 3, stride=2, padding=1, conv_bias=False)
    twin = TorchConvBNReLU(d, 3, 4, 3, stride=2, padding=1, bias=False)
    x = rng.standard_normal(SHAPES[d]).astype(float_dtype)
    module_parity(block, twin, [x], float_dtype, rng, steps=2)        # training: batch stats
    module_parity(block.eval(), twin.eval(), [x], float_dtype, rng)   # eval: running stats


@needs_torch
@pytest.mark.parametrize("d", [1, 2, 3])
def test_depth_separable_parity(float_dtype, rng, d):
    block = getattr(nn, f"DepthSeparableConv{d}d")(3, 5, 3, padding=1, dilation=1)
    twin = TorchDepthSeparable(d, 3, 5, 3, padding=1)
    module_parity(block, twin, [rng.standard_normal(SHAPES[d]).astype(float_dtype)],
                  float_dtype, rng)
    full = 3 * 5 * 3 ** d + 5
    assert block.count_parameters() == 3 * 3 ** d + 3 + 3 * 5 + 5 < full


@needs_torch
@pytest.mark.parametrize("d", [1, 2, 3])
def test_se_parity(float_dtype, rng, d):
    x = rng.standard_normal((2, 8) + SHAPES[d][2:]).astype(float_dtype)
    module_parity(nn.SEModule(8, reduction=4), TorchSE(8, 4), [x], float_dtype, rng)


@needs_torch
def test_selective_kernel_parity(float_dtype, rng):
    block = nn.SelectiveKernel(3, 8, kernel_sizes=[3, 5], reduction=2)
    twin = TorchSK(3, 8, [3, 5], hidden=4)
    x = rng.standard_normal((8, 3, 5, 5)).astype(float_dtype)
    # Training mode chains two batch norms over a small batch; the weight gradients then
    # cancel to a few 1e-5 of their size, below float32 summation-order noise. So the
    # training step is compared in float64, and float32 in evaluation mode.
    if float_dtype == np.float64:
        module_parity(block, twin, [x], float_dtype, rng, steps=2)   # batch statistics
    module_parity(block.eval(), twin.eval(), [x], float_dtype, rng)


def test_selective_kernel_weights_sum_to_one_over_branches(rng):
    """With two identical branches, the mix returns that branch exactly."""
    block = nn.SelectiveKernel(2, 4, kernel_sizes=[3, 3], reduction=2).eval()
    block.branches[1].load_state_dict(block.branches[0].state_dict())
    x = lucid.Tensor(rng.standard_normal((2, 2, 5, 5)).astype(np.float32))
    np.testing.assert_allclose(block(x).data, block.branches[0](x).data, rtol=1e-5, atol=1e-6)


def test_se_gradcheck(rng):
    se = nn.SEModule(4, reduction=2).to(lucid.Float64)
    x = lucid.Tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    assert gradcheck(se, [x])


@pytest.mark.parametrize("call, error, text", [
    (lambda: nn.SEModule(8, reduction=16), ValueError, r"SEModule: channels // reduction must be at least 1"),
    (lambda: nn.SEModule(8, 2)(lucid.zeros((2, 6, 3, 3))), ValueError, r"SEModule: expected input of shape \(N, 8, \*spatial\)"),
    (lambda: nn.SEModule(8, 2)(lucid.zeros((2, 8))), ValueError, r"SEModule: expected input"),
    (lambda: nn.SelectiveKernel(3, 8, []), TypeError, "SelectiveKernel: kernel_sizes"),
    (lambda: nn.SelectiveKernel(3, 8, [3])(lucid.zeros((2, 3, 5))), ValueError, r"SelectiveKernel: expected input of shape \(N, 3, H, W\)"),
    (lambda: nn.ConvBNReLU2d(3, 4, 3)(lucid.zeros((2, 5, 6, 6))), ValueError, "conv2d: input_ has 5 channels"),
])
def test_errors(call, error, text):
    with pytest.raises(error, match=text):
        call()
