"""lucid.interop: to_torch / from_torch move every standard layer, container, lucid-only
layer and model family with outputs and gradients equal (float64 layers to 1e-9 of the
output scale, float32 models to 1e-5), keep modes, dtypes, requires_grad and tied
weights, and refuse what has no counterpart with a message naming it and its place.
Tests that need PyTorch take the ``torch`` fixture (which marks and skips them)."""
import sys
from collections import OrderedDict

import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.demo import DigitsCNN
from lucid.interop import from_torch, to_torch

#: |got - want| <= RTOL * max|want| + ATOL (ATOL: a value that is 0 up to rounding, such as
#: the gradient of a bias followed by batch norm)
RTOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-5}
ATOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-6}


# ---------------------------------------------------------------- comparing
def _close(got, want, what):
    got = np.asarray(got.detach().numpy() if hasattr(got, "detach") else got)
    want = np.asarray(want.data if isinstance(want, lucid.Tensor) else want)
    assert got.shape == want.shape and got.dtype == want.dtype, \
        f"{what}: {got.shape} {got.dtype} vs {want.shape} {want.dtype}"
    if want.dtype.kind not in "fc":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    err = float(np.max(np.abs(got - want), initial=0.0))
    scale = float(np.max(np.abs(want), initial=0.0))
    assert err <= RTOL[want.dtype] * scale + ATOL[want.dtype], \
        f"{what}: error {err:.3g} at scale {scale:.3g}"


def _randomize(module, rng, float64=True):
    """Random parameters and floating buffers (positive running variances)."""
    if float64:
        module.double()
    for name, t in list(module.named_parameters()) + list(module.named_buffers()):
        if t is not None and t.data.dtype.kind == "f":
            values = rng.uniform(0.5, 1.5, t.shape) if name.endswith("running_var") \
                else rng.standard_normal(t.shape) * 0.5
            t.data[...] = values
    return module


def _outputs(out):
    """The output tensors, nested tuples flattened (an LSTM returns (y, (h, c)))."""
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in _outputs(item)]
    return [] if out is None else [out]


def _compare(lucid_module, torch_module, inputs, torch, grad=True):
    """Run both modules on ``inputs`` (arrays); compare the outputs, then (``grad``)
    the gradients of the float inputs and of every parameter, by name."""
    lucid_module.zero_grad()
    torch_module.zero_grad(set_to_none=True)
    lucid_in = [lucid.Tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in inputs]
    torch_in = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in inputs]
    lucid_out = _outputs(lucid_module(*lucid_in))
    torch_out = _outputs(torch_module(*torch_in))
    assert len(lucid_out) == len(torch_out)
    for k, (t, l) in enumerate(zip(torch_out, lucid_out)):
        _close(t, l, f"output {k}")
    if not grad:
        return
    rng = np.random.default_rng(7)
    lucid_loss, torch_loss = 0, 0
    for t, l in zip(torch_out, lucid_out):
        if l.requires_grad:
            seed = rng.standard_normal(l.shape).astype(l.dtype)
            lucid_loss = lucid_loss + (l * lucid.Tensor(seed)).sum()
            torch_loss = torch_loss + (t * torch.from_numpy(seed)).sum()
    if isinstance(lucid_loss, int):
        return
    lucid_loss.backward()
    torch_loss.backward()
    for i, (t, l) in enumerate(zip(torch_in, lucid_in)):
        if l.requires_grad:
            _close(t.grad if t.grad is not None else np.zeros_like(l.data),
                   l.grad if l.grad is not None else np.zeros_like(l.data), f"input {i} grad")
    theirs = dict(torch_module.named_parameters())
    ours = dict(lucid_module.named_parameters())
    assert sorted(theirs) == sorted(ours)
    for name, p in ours.items():
        t = theirs[name]
        _close(t.grad if t.grad is not None else np.zeros_like(p.data),
               p.grad if p.grad is not None else np.zeros_like(p.data), f"{name}.grad")


#: lucid layers torch has under one name with another lucid layer: they come back as that
COMES_BACK_AS = {nn.Swish: nn.SiLU}     # torch.nn.SiLU is lucid's SiLU (a Swish)


def _both_ways(layer, inputs, torch, grad=True, eval_mode=True):
    """to_torch(layer) equals layer; from_torch(that) equals it too (a fresh copy)."""
    layer.train(not eval_mode)
    twin = to_torch(layer)
    _compare(layer, twin, inputs, torch, grad)
    back = from_torch(twin)
    assert type(back) is COMES_BACK_AS.get(type(layer), type(layer))
    _compare(back, twin, inputs, torch, grad)
    return twin


# ------------------------------------------------------------ standard layers
def _rng():
    return np.random.default_rng(0)


def _x(*shape, scale=1.0):
    return np.random.default_rng(sum(shape)).standard_normal(shape) * scale


def _labels(n, classes):
    return np.random.default_rng(n).integers(0, classes, n).astype(np.int64)


def _pooled(d, shape, kernel_size, **kw):
    """Max-pooled values and their indices: the inputs of MaxUnpool{d}d."""
    y, indices = getattr(nn.functional, f"max_pool{d}d")(lucid.Tensor(_x(*shape)), kernel_size,
                                                          return_indices=True, **kw)
    return [y.data, indices.data]


LAYERS = {   # id -> (layer factory, inputs factory)
    "Identity": (lambda: nn.Identity(), lambda: [_x(3, 4)]),
    "Linear": (lambda: nn.Linear(4, 3), lambda: [_x(2, 5, 4)]),
    "Linear-no-bias": (lambda: nn.Linear(4, 3, bias=False), lambda: [_x(2, 4)]),
    "Bilinear": (lambda: nn.Bilinear(3, 4, 2), lambda: [_x(2, 3), _x(2, 4)]),
    "Conv1d": (lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1), lambda: [_x(2, 2, 9)]),
    "Conv2d": (lambda: nn.Conv2d(2, 4, 3, padding="same", groups=2), lambda: [_x(2, 2, 6, 5)]),
    "Conv3d": (lambda: nn.Conv3d(2, 3, 2, dilation=2, bias=False), lambda: [_x(1, 2, 5, 5, 5)]),
    "ConvTranspose1d": (lambda: nn.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1),
                        lambda: [_x(2, 2, 5)]),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, groups=2),
                        lambda: [_x(1, 4, 3, 4)]),
    "ConvTranspose3d": (lambda: nn.ConvTranspose3d(2, 2, 2, stride=2, dilation=2),
                        lambda: [_x(1, 2, 2, 3, 2)]),
    "Unfold": (lambda: nn.Unfold(2, stride=2, padding=1), lambda: [_x(1, 2, 4, 6)]),
    "ReLU": (lambda: nn.ReLU(), lambda: [_x(2, 3, 4)]),
    "ReLU6": (lambda: nn.ReLU6(), lambda: [_x(2, 3, 4, scale=5)]),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.2), lambda: [_x(2, 3, 4)]),
    "ELU": (lambda: nn.ELU(0.5), lambda: [_x(2, 3, 4)]),
    "SELU": (lambda: nn.SELU(), lambda: [_x(2, 3, 4)]),
    "GELU": (lambda: nn.GELU(), lambda: [_x(2, 3, 4)]),
    "GELU-tanh": (lambda: nn.GELU(approximate="tanh"), lambda: [_x(2, 3, 4)]),
    "Sigmoid": (lambda: nn.Sigmoid(), lambda: [_x(2, 3, 4)]),
    "HardSigmoid": (lambda: nn.HardSigmoid(), lambda: [_x(2, 3, 4, scale=4)]),
    "Tanh": (lambda: nn.Tanh(), lambda: [_x(2, 3, 4)]),
    "Softmax": (lambda: nn.Softmax(axis=1), lambda: [_x(2, 3, 4)]),
    "LogSoftmax": (lambda: nn.LogSoftmax(axis=1), lambda: [_x(2, 3, 4)]),
    "SiLU": (lambda: nn.SiLU(), lambda: [_x(2, 3, 4)]),
    "Swish": (lambda: nn.Swish(), lambda: [_x(2, 3, 4)]),
    "HardSwish": (lambda: nn.HardSwish(), lambda: [_x(2, 3, 4, scale=4)]),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(3), lambda: [_x(4, 3)]),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3, momentum=None), lambda: [_x(2, 3, 4, 4)]),
    "BatchNorm3d": (lambda: nn.BatchNorm3d(2, eps=1e-3), lambda: [_x(2, 2, 3, 3, 3)]),
    "InstanceNorm1d": (lambda: nn.InstanceNorm1d(3, affine=True), lambda: [_x(2, 3, 5)]),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(3, track_running_stats=True),
                       lambda: [_x(2, 3, 4, 4)]),
    "InstanceNorm3d": (lambda: nn.InstanceNorm3d(2), lambda: [_x(1, 2, 3, 3, 3)]),
    "LayerNorm": (lambda: nn.LayerNorm((3, 4)), lambda: [_x(2, 3, 4)]),
    "LayerNorm-no-bias": (lambda: nn.LayerNorm(4, bias=False), lambda: [_x(2, 4)]),
    "LayerNorm-no-affine": (lambda: nn.LayerNorm(4, elementwise_affine=False),
                            lambda: [_x(2, 4)]),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4, eps=1e-3), lambda: [_x(2, 4, 3, 3)]),
    "GroupNorm-no-affine": (lambda: nn.GroupNorm(3, 6, affine=False), lambda: [_x(2, 6, 5)]),
    "GlobalResponseNorm": (lambda: nn.GlobalResponseNorm(3), lambda: [_x(2, 3, 4, 4)]),
    "LayerNorm2d": (lambda: nn.LayerNorm2d(3), lambda: [_x(2, 3, 4, 5)]),
    "LayerScale": (lambda: nn.LayerScale(4, init_value=0.1, axis=-1), lambda: [_x(2, 3, 4)]),
    "Dropout": (lambda: nn.Dropout(0.3), lambda: [_x(2, 3)]),
    "Dropout1d": (lambda: nn.Dropout1d(0.3), lambda: [_x(2, 3, 4)]),
    "Dropout2d": (lambda: nn.Dropout2d(0.3), lambda: [_x(2, 3, 4, 4)]),
    "Dropout3d": (lambda: nn.Dropout3d(0.3), lambda: [_x(2, 3, 2, 2, 2)]),
    "AlphaDropout": (lambda: nn.AlphaDropout(0.3), lambda: [_x(2, 3)]),
    "DropBlock": (lambda: nn.DropBlock(2, p=0.3), lambda: [_x(2, 3, 4, 4)]),
    "DropPath": (lambda: nn.DropPath(0.3), lambda: [_x(2, 3)]),
    "MSELoss": (lambda: nn.MSELoss(), lambda: [_x(3, 4), _x(3, 4) + 1]),
    "BCELoss": (lambda: nn.BCELoss(weight=lucid.Tensor(_x(4) ** 2), reduction="sum"),
                lambda: [1 / (1 + np.exp(-_x(3, 4))), np.abs(np.sin(_x(3, 4)))]),
    "NLLLoss": (lambda: nn.NLLLoss(weight=lucid.Tensor(_x(5) ** 2), ignore_index=1),
                lambda: [_x(6, 5), _labels(6, 5)]),
    "CrossEntropyLoss": (lambda: nn.CrossEntropyLoss(label_smoothing=0.1, reduction="sum"),
                         lambda: [_x(6, 5), _labels(6, 5)]),
    "HuberLoss": (lambda: nn.HuberLoss(delta=0.5), lambda: [_x(3, 4), _x(4, 4)[:3]]),
    "L1Loss": (lambda: nn.L1Loss(reduction="sum"), lambda: [_x(3, 4), _x(4, 4)[1:]]),
    "SmoothL1Loss": (lambda: nn.SmoothL1Loss(beta=0.5), lambda: [_x(3, 4), _x(4, 4)[1:]]),
    "BCEWithLogitsLoss": (lambda: nn.BCEWithLogitsLoss(
        weight=lucid.Tensor(_x(4) ** 2), pos_weight=lucid.Tensor(np.abs(_x(4)) + 0.5)),
        lambda: [_x(3, 4), np.abs(np.sin(_x(3, 4)))]),
    "KLDivLoss": (lambda: nn.KLDivLoss(reduction="batchmean", log_target=True),
                  lambda: [_x(3, 4), -np.abs(_x(3, 4))]),
    "MaxPool1d": (lambda: nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True),
                  lambda: [_x(2, 3, 10)]),
    "MaxPool2d": (lambda: nn.MaxPool2d(2, dilation=2), lambda: [_x(2, 3, 7, 8)]),
    "MaxPool3d": (lambda: nn.MaxPool3d(2), lambda: [_x(1, 2, 4, 4, 4)]),
    "AvgPool1d": (lambda: nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False),
                  lambda: [_x(2, 3, 9)]),
    "AvgPool2d": (lambda: nn.AvgPool2d(2, padding=1, divisor_override=3),
                  lambda: [_x(2, 3, 5, 6)]),
    "AvgPool3d": (lambda: nn.AvgPool3d(2, ceil_mode=True), lambda: [_x(1, 2, 5, 4, 4)]),
    "AdaptiveAvgPool1d": (lambda: nn.AdaptiveAvgPool1d(3), lambda: [_x(2, 3, 7)]),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((2, 3)), lambda: [_x(2, 3, 5, 7)]),
    "AdaptiveAvgPool3d": (lambda: nn.AdaptiveAvgPool3d(2), lambda: [_x(1, 2, 5, 4, 3)]),
    "MaxUnpool1d": (lambda: nn.MaxUnpool1d(3, stride=2, padding=1),
                    lambda: _pooled(1, (2, 3, 9), 3, stride=2, padding=1)),
    "MaxUnpool2d": (lambda: nn.MaxUnpool2d(2), lambda: _pooled(2, (2, 3, 4, 6), 2)),
    "MaxUnpool3d": (lambda: nn.MaxUnpool3d((2, 1, 2)),
                    lambda: _pooled(3, (1, 2, 4, 3, 4), (2, 1, 2))),
    "Embedding-max_norm": (lambda: nn.Embedding(10, 4, max_norm=1.0, norm_type=1.5),
                           lambda: [np.array([[0, 3, 9], [3, 3, 1]], dtype=np.int64)]),
    "Embedding": (lambda: nn.Embedding(10, 4, padding_idx=0),
                  lambda: [np.array([[0, 3, 9], [3, 3, 1]], dtype=np.int64)]),
    "Upsample-bilinear": (lambda: nn.Upsample(scale_factor=2, mode="bilinear"),
                          lambda: [_x(1, 2, 3, 4)]),
    "Upsample-nearest": (lambda: nn.Upsample(size=(5, 7)), lambda: [_x(1, 2, 3, 4)]),
    "PixelShuffle": (lambda: nn.PixelShuffle(2), lambda: [_x(2, 8, 3, 4)]),
    "PixelUnshuffle": (lambda: nn.PixelUnshuffle(2), lambda: [_x(2, 2, 4, 6)]),
    "CosineSimilarity": (lambda: nn.CosineSimilarity(dim=-1, eps=1e-6),
                         lambda: [_x(3, 4), _x(2, 3, 4)]),
    "ScaledDotProductAttention": (lambda: nn.ScaledDotProductAttention(is_causal=True),
                                  lambda: [_x(2, 4, 8), _x(2, 5, 8)[:, :4], _x(2, 4, 6)]),
    "RNN": (lambda: nn.RNN(3, 4, 2, nonlinearity="relu", bidirectional=True),
            lambda: [_x(5, 2, 3), _x(4, 2, 4)]),
    "LSTM": (lambda: nn.LSTM(3, 4, 2, batch_first=True, proj_size=2), lambda: [_x(2, 5, 3)]),
    "GRU": (lambda: nn.GRU(3, 4, bias=False), lambda: [_x(5, 2, 3)]),
    "RNNCell": (lambda: nn.RNNCell(3, 4, nonlinearity="tanh"), lambda: [_x(2, 3), _x(2, 4)]),
    "LSTMCell": (lambda: nn.LSTMCell(3, 4), lambda: [_x(2, 3)]),
    "GRUCell": (lambda: nn.GRUCell(3, 4), lambda: [_x(2, 3), _x(2, 4)]),
    "MultiHeadAttention": (lambda: nn.MultiHeadAttention(8, 2, batch_first=True),
                           lambda: [_x(2, 4, 8), _x(2, 5, 8), _x(2, 5, 8) * 2]),
    "MultiHeadAttention-kv": (lambda: nn.MultiHeadAttention(8, 2, kdim=6, vdim=5,
                                                            add_bias_kv=True,
                                                            add_zero_attn=True),
                              lambda: [_x(2, 4, 8), _x(2, 5, 6), _x(2, 5, 5)]),
    "MultiheadAttention": (lambda: nn.MultiheadAttention(8, 2, kdim=6, vdim=5),
                           lambda: [_x(4, 2, 8), _x(5, 2, 6), _x(5, 2, 5)]),
    "TransformerEncoderLayer": (lambda: nn.TransformerEncoderLayer(
        8, 2, 16, activation="gelu", batch_first=True), lambda: [_x(2, 5, 8)]),
    "TransformerDecoderLayer": (lambda: nn.TransformerDecoderLayer(8, 2, 16, norm_first=True),
                                lambda: [_x(2, 4, 8), _x(2, 5, 8)]),     # batch first
    "TransformerEncoder": (lambda: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2, norm=nn.LayerNorm(8)),
        lambda: [_x(2, 5, 8)]),
    "TransformerDecoder": (lambda: nn.TransformerDecoder(
        nn.TransformerDecoderLayer(8, 2, 16, batch_first=True), 2), lambda: [_x(2, 4, 8),
                                                                            _x(2, 5, 8)]),
    "Transformer": (lambda: nn.Transformer(8, 2, 1, 2, 16, batch_first=True),
                    lambda: [_x(2, 5, 8), _x(2, 3, 8)]),
    "ConvBNReLU1d": (lambda: nn.ConvBNReLU1d(2, 3, 3, padding=1), lambda: [_x(2, 2, 6)]),
    "ConvBNReLU2d": (lambda: nn.ConvBNReLU2d(2, 3, 3, stride=2), lambda: [_x(2, 2, 7, 7)]),
    "ConvBNReLU3d": (lambda: nn.ConvBNReLU3d(2, 2, 2, conv_bias=False),
                     lambda: [_x(1, 2, 3, 3, 3)]),
    "DepthSeparableConv1d": (lambda: nn.DepthSeparableConv1d(2, 4, 3), lambda: [_x(2, 2, 6)]),
    "DepthSeparableConv2d": (lambda: nn.DepthSeparableConv2d(3, 4, 3, padding=1),
                             lambda: [_x(2, 3, 5, 5)]),
    "DepthSeparableConv3d": (lambda: nn.DepthSeparableConv3d(2, 3, 2, bias=False),
                             lambda: [_x(1, 2, 3, 3, 3)]),
    "SEModule": (lambda: nn.SEModule(8, reduction=4), lambda: [_x(2, 8, 3, 3)]),
    "SelectiveKernel": (lambda: nn.SelectiveKernel(4, 6, (3, 5), reduction=2),
                        lambda: [_x(2, 4, 6, 6)]),
    "SplitAttention": (lambda: nn.SplitAttention(4, 8, radix=2, groups=2),
                       lambda: [_x(2, 4, 5, 5)]),
    "SplitAttention-radix1": (lambda: nn.SplitAttention(4, 4, radix=1),
                              lambda: [_x(2, 4, 5, 5)]),
    "MBConv": (lambda: nn.MBConv(4, 4, expand_ratio=2, se_channels=2, activation=nn.Swish),
               lambda: [_x(2, 4, 5, 5)]),
    "MBConv-stride2": (lambda: nn.MBConv(4, 6, stride=2), lambda: [_x(2, 4, 5, 5)]),
    "FusedMBConv": (lambda: nn.FusedMBConv(4, 4, expand_ratio=2), lambda: [_x(2, 4, 5, 5)]),
    "FusedMBConv-1": (lambda: nn.FusedMBConv(4, 6, expand_ratio=1, stride=2),
                      lambda: [_x(2, 4, 5, 5)]),
    "Rearrange": (lambda: nn.Rearrange("b c (h p) w -> b (h w) (c p)", p=2),
                  lambda: [_x(2, 3, 4, 5)]),
    "Flatten": (lambda: nn.Flatten(1, 2), lambda: [_x(2, 3, 4, 5)]),
    "WindowAttention": (lambda: nn.WindowAttention(8, 2, 3, shift_size=1),
                        lambda: [_x(2, 5, 7, 8)]),
    "CosineWindowAttention": (lambda: nn.CosineWindowAttention(8, 2, 2, 1, cpb_hidden=6),
                              lambda: [_x(2, 4, 6, 8)]),
    "GridAttention": (lambda: nn.GridAttention(8, 2, (2, 3)), lambda: [_x(2, 4, 6, 8)]),
    "MBConv-pre-norm": (lambda: nn.MBConv(4, 6, stride=2, expanded_channels=8, se_channels=2,
                                          activation=nn.GELU, pre_norm=True),
                        lambda: [_x(2, 4, 6, 6)]),
    "RelativeAttention": (lambda: nn.RelativeAttention(6, 8, 2, (3, 4)),
                          lambda: [_x(2, 3, 4, 6)]),
    "SpatialReductionAttention": (lambda: nn.SpatialReductionAttention(8, 2, sr_ratio=2),
                                  lambda: [_x(2, 4, 6, 8)]),
    "SpatialReductionAttention-linear": (
        lambda: nn.SpatialReductionAttention(8, 2, linear=True), lambda: [_x(2, 8, 9, 8)]),
    "ConvTokenEmbedding": (lambda: nn.ConvTokenEmbedding(3, 8, 3, 2, 1),
                           lambda: [_x(2, 3, 7, 6)]),
    "ConvProjectionAttention": (lambda: nn.ConvProjectionAttention(8, 2),
                                lambda: [_x(2, 5, 6, 8)]),
    "CrossBranchAttention": (lambda: nn.CrossBranchAttention(4, 6, 3),
                             lambda: [_x(2, 7, 4), _x(2, 5, 6)]),
}


BASES = {"RNNBase", "RNNCellBase"}   # abstract bases: their subclasses are covered


def test_every_lucid_layer_is_covered():
    covered = {key.split("-")[0] for key in LAYERS}
    assert sorted(set(nn.modules.__all__) - covered - BASES) == []


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_moves_both_ways_with_equal_outputs_and_gradients(name, torch):
    make, inputs = LAYERS[name]
    layer = _randomize(make(), _rng())
    grad = name not in ("Identity",)
    twin = _both_ways(layer, [np.asarray(a) for a in inputs()], torch, grad=grad)
    assert isinstance(twin, torch.nn.Module)


@pytest.mark.parametrize("name", ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
                                  "InstanceNorm2d", "ConvBNReLU2d", "SelectiveKernel"])
def test_training_mode_statistics_move_too(name, torch):
    """In training mode the batch statistics are used and the running ones updated:
    equal outputs, gradients and (after the step) running buffers."""
    make, inputs = LAYERS[name]
    layer = _randomize(make(), _rng()).train()
    twin = to_torch(layer)
    _compare(layer, twin, [np.asarray(a) for a in inputs()], torch)
    ours, theirs = dict(layer.named_buffers()), dict(twin.named_buffers())
    assert sorted(ours) == sorted(theirs)
    for key, value in ours.items():
        if value is not None:
            _close(theirs[key], value, key)


@pytest.mark.parametrize("name", ["Dropout", "Dropout2d", "AlphaDropout", "DropPath",
                                  "DropBlock"])
def test_dropout_layers_keep_their_training_mode(name, torch):
    make, _ = LAYERS[name]
    layer = make().train()
    twin = to_torch(layer)
    assert twin.training and from_torch(twin).training
    assert not to_torch(layer.eval()).training


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_twin_drop_path_in_training_mode_at_the_extremes(p, torch):
    x = _x(4, 3, 2)
    twin = to_torch(nn.DropPath(p).train())
    got = twin(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(got, nn.DropPath(p)(lucid.Tensor(x)).data)  # kept / dropped


@pytest.mark.parametrize("name", ["DropPath", "DropBlock"])
def test_twin_drop_layers_in_training_mode_drop_as_lucid_does(name, torch):
    """Random masks differ between the frameworks; their rules must not: every kept value
    is scaled by one factor, and the dropped share agrees with lucid's."""
    layer = nn.DropPath(0.3) if name == "DropPath" else nn.DropBlock(3, p=0.3)
    x = np.abs(_x(4096, 2) if name == "DropPath" else _x(64, 8, 16, 16)) + 0.5   # no zeros
    twin = to_torch(layer.train())
    torch.manual_seed(0)
    lucid.random.seed(0)
    shares = []
    for y in (twin(torch.from_numpy(x)).numpy(), layer(lucid.Tensor(x)).data):
        kept = y != 0
        ratios = y[kept] / x[kept]
        assert np.allclose(ratios, ratios[0])               # one scale ...
        assert abs(ratios[0] - (1 / (1 - 0.3) if name == "DropPath" else y.size / kept.sum())) \
            < 1e-9                                          # ... the rule's
        shares.append(1 - kept.mean())
    assert abs(shares[0] - shares[1]) < 0.05, shares


def test_layers_built_by_pytorch_move_to_lucid(torch):
    """from_torch on layers PyTorch built with its own defaults and options."""
    t = torch.nn
    torch.manual_seed(0)
    cases = [
        (t.Conv2d(3, 4, 3, padding="same", bias=False), [_x(2, 3, 5, 5)]),
        (t.ConvTranspose1d(2, 3, 4, stride=2, padding=1, output_padding=1), [_x(2, 2, 5)]),
        (t.Linear(5, 2), [_x(3, 5)]),
        (t.BatchNorm1d(4), [_x(3, 4)]),
        (t.LayerNorm(6, eps=1e-3), [_x(2, 6)]),
        (t.MultiheadAttention(6, 3, bias=False, batch_first=True), [_x(2, 3, 6)] * 3),
        (t.TransformerEncoderLayer(6, 2, 12, dropout=0.0, activation="gelu"), [_x(4, 2, 6)]),
        (t.Embedding(7, 3, padding_idx=2), [np.array([[1, 2, 6]], np.int64)]),
        (t.Sequential(OrderedDict(conv=t.Conv1d(2, 2, 3), act=t.SiLU(), flat=t.Flatten(),
                                  fc=t.Linear(8, 1))), [_x(2, 2, 6)]),
    ]
    for module, inputs in cases:
        module = module.double().eval()
        moved = from_torch(module)
        assert type(moved).__name__ in (type(module).__name__, "Swish")
        _compare(moved, module, [np.asarray(a) for a in inputs], torch)


# ---------------------------------------------------------------- containers
def test_containers_keep_their_keys_order_and_members(torch):
    tree = nn.ModuleDict(OrderedDict(
        blocks=nn.ModuleList([nn.Linear(2, 2), nn.Sequential(OrderedDict(a=nn.ReLU(),
                                                                         b=nn.Linear(2, 3)))]),
        gains=nn.ParameterList([nn.Parameter([1.0, 2.0]), nn.Parameter([[3.0]])]),
        extra=nn.ParameterDict({"bias": nn.Parameter([0.5]), "scale": nn.Parameter([2.0])})))
    twin = to_torch(tree)
    assert isinstance(twin, torch.nn.ModuleDict) and list(twin) == ["blocks", "gains", "extra"]
    assert isinstance(twin["blocks"], torch.nn.ModuleList)
    assert list(twin["blocks"][1]._modules) == ["a", "b"]
    assert isinstance(twin["gains"], torch.nn.ParameterList)
    assert isinstance(twin["extra"], torch.nn.ParameterDict)
    ours, theirs = tree.state_dict(), twin.state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        _close(theirs[key], ours[key], key)
    back = from_torch(twin)
    assert type(back) is nn.ModuleDict and list(back.state_dict()) == list(ours)
    assert type(back["gains"]) is nn.ParameterList and type(back["extra"]) is nn.ParameterDict


# ---------------------------------------------------------- what else is kept
def test_modes_dtypes_requires_grad_and_tied_weights_are_kept(torch):
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.2), nn.Linear(3, 3)).double()
    model[2].weight = model[0].weight                      # tied
    model[0].bias.requires_grad = False
    model[1].eval()
    twin = to_torch(model)
    assert [m.training for m in twin.modules()] == [True, True, False, True]
    assert twin[0].weight.dtype == torch.float64
    assert twin[2].weight is twin[0].weight
    assert not twin[0].bias.requires_grad and twin[2].bias.requires_grad
    twin[0].weight.data[0, 0] = 7.0                        # no memory shared with lucid
    assert model[0].weight.data[0, 0] != 7.0
    back = from_torch(twin)
    assert back[2].weight is back[0].weight
    assert back[0].weight.dtype == np.float64 and not back[0].bias.requires_grad
    assert [m.training for m in back.modules()] == [True, True, False, True]


def test_buffers_and_non_persistent_buffers_move(torch):
    enc = models.PositionalEncoding(8, dropout=0.0, max_len=20)
    twin = to_torch(enc)
    assert "pe" not in twin.state_dict() and twin.pe.shape == (20, 8)
    _close(twin.pe, enc.pe, "pe")
    assert "pe" not in from_torch(twin).state_dict()


# ------------------------------------------------------------------- models
def _model_inputs(name):
    if name == "transformer_tiny":
        rng = np.random.default_rng(3)
        return [rng.integers(0, 20, (2, 5)).astype(np.int64),
                rng.integers(0, 20, (2, 4)).astype(np.int64)]
    size = {"lenet_5": (1, 32, 32), "alexnet": (3, 63, 63)}.get(name, (3, 32, 32))
    return [np.random.default_rng(1).standard_normal((2,) + size).astype(np.float32)]


@pytest.mark.parametrize("name", ["lenet_5", "resnet18", "mobilenet_v2", "vit_cifar",
                                  "transformer_tiny", "vgg", "alexnet", "digits_cnn"])
def test_model_families_move_both_ways(name, torch):
    lucid.random.seed(0)
    if name == "vgg":
        model = models.VGG([8, "M", 16, "M"], num_classes=5, hidden_features=16)
    elif name == "digits_cnn":
        model = DigitsCNN()
    elif name == "transformer_tiny":
        model = models.transformer_tiny(src_vocab_size=20, tgt_vocab_size=20)
    else:
        model = models.create_model(name, num_classes=10)
    if name == "alexnet":         # its own forward, a lighter head (61M -> 2.6M parameters)
        model.classifier = nn.Sequential(nn.Dropout(), nn.Linear(256 * 6 * 6, 10))
    rng = _rng()                 # the models' own start, with every tensor made non-trivial
    for key, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t is not None and t.data.dtype.kind == "f":
            if key.endswith("running_var"):
                t.data[...] = rng.uniform(0.5, 1.5, t.shape)
            elif key.endswith(("running_mean", "bias")) or not t.data.any():
                t.data[...] = rng.standard_normal(t.shape) * 0.1
    inputs = _model_inputs(name) if name != "digits_cnn" else [
        np.random.default_rng(2).standard_normal((3, 1, 8, 8)).astype(np.float32)]
    model.eval()
    twin = to_torch(model)
    assert type(twin).__name__ == type(model).__name__
    _compare(model, twin, inputs, torch)
    back = from_torch(twin)
    assert type(back) is type(model)
    assert list(back.state_dict()) == list(model.state_dict())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key].data, value.data)
    lucid_out = back(*[lucid.Tensor(a) for a in inputs]).data
    np.testing.assert_array_equal(lucid_out, model(*[lucid.Tensor(a) for a in inputs]).data)


def test_seq2seq_twin_keeps_shared_embeddings_masks_and_methods(torch):
    lucid.random.seed(0)
    model = models.transformer_tiny(src_vocab_size=12, tgt_vocab_size=12).eval()
    assert model.share_embeddings
    twin = to_torch(model)
    assert twin.generator.weight is twin.src_embedding.weight is twin.tgt_embedding.weight
    src = np.array([[1, 4, 5, 2, 0]], np.int64)
    tgt = np.array([[1, 7, 3]], np.int64)
    pad = np.array([[False, False, False, False, True]])
    want = model(lucid.Tensor(src), lucid.Tensor(tgt), tgt_mask=model.causal_mask(3),
                 src_key_padding_mask=lucid.Tensor(pad), memory_key_padding_mask=lucid.Tensor(pad))
    got = twin(torch.from_numpy(src), torch.from_numpy(tgt), tgt_mask=twin.causal_mask(3),
               src_key_padding_mask=torch.from_numpy(pad),
               memory_key_padding_mask=torch.from_numpy(pad))
    _close(got, want, "masked logits")
    memory = twin.encode(torch.from_numpy(src))
    _close(twin.decode(torch.from_numpy(tgt), memory, tgt_mask=twin.causal_mask(3)),
           model.decode(lucid.Tensor(tgt), model.encode(lucid.Tensor(src)),
                        tgt_mask=model.causal_mask(3)), "decode")


# ------------------------------------------------------------------- errors
class _Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x) * 2


class _MyLinear(nn.Linear):
    pass


@pytest.mark.parametrize("model, match", [
    (_Custom(), r"the model itself is a (tests\.)?test_interop\._Custom, which has no "
                r"counterpart: a module written in lucid"),
    (nn.Sequential(nn.ReLU(), nn.Sequential(_MyLinear(2, 2))),
     r"module '1\.0' is a (tests\.)?test_interop\._MyLinear, which has no counterpart"),
    (nn.Sequential(nn.BatchNorm2d(3, bias=False)),
     r"module '0' is a BatchNorm2d with bias=False, which torch\.nn\.BatchNorm2d cannot"),
    (nn.TransformerEncoderLayer(4, 2, 8, activation=lambda x: x),
     "the model itself has the activation .* a function that cannot be moved"),
])
def test_to_torch_refuses_what_has_no_counterpart(model, match, torch):
    with pytest.raises(ValueError, match=f"lucid.interop.to_torch: {match}"):
        to_torch(model)


def test_from_torch_refuses_what_lucid_lacks(torch):
    t = torch.nn

    class Net(t.Module):
        def forward(self, x):
            return x

    cases = [
        (t.Sequential(t.Linear(2, 2), t.PReLU()),
         r"module '1' is a torch\.nn\.modules\.activation\.PReLU, which has no counterpart"),
        (Net(), r"the model itself is a (tests\.)?test_interop\..*Net, which has no counterpart"),
        (t.Conv2d(1, 1, 3, padding_mode="reflect"),
         "the model itself is a torch.nn.Conv2d with padding_mode='reflect', which lucid's "
         "Conv2d does not have"),
        (t.Sequential(t.Embedding(3, 2, scale_grad_by_freq=True)),
         "module '0' is a torch.nn.Embedding with scale_grad_by_freq=True"),
    ]
    for module, match in cases:
        with pytest.raises(ValueError, match=f"lucid.interop.from_torch: {match}"):
            from_torch(module)


def test_arguments_must_be_modules(torch):
    with pytest.raises(TypeError, match="to_torch: module must be a lucid.nn.Module; got "
                                        "Linear"):
        to_torch(torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="from_torch: module must be a torch.nn.Module; got "
                                        "Linear"):
        from_torch(nn.Linear(2, 2))


@pytest.mark.parametrize("fn", [to_torch, from_torch], ids=["to_torch", "from_torch"])
def test_without_pytorch_the_error_says_so(fn, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=f"lucid.interop.{fn.__name__} needs PyTorch, which "
                                          "is not installed: pip install torch"):
        fn(nn.Linear(2, 2))

