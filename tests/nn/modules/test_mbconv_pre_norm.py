"""nn.MBConv(pre_norm=True), the MBConv of MaxViT and CoAtNet: the formula composed by
hand in NumPy (evaluation mode), the three kinds of shortcut, gradcheck on a tiny
configuration. (Against timm's MbConvBlock: the whole MaxViT in
tests/models/test_maxvit.py; against its torch twin: tests/test_interop.py.)"""
import math

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import assert_close, gradcheck


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def _randomize(block, seed=1):
    rng = np.random.default_rng(seed)
    for p in block.parameters():
        p.data[...] += rng.normal(0, 0.3, p.shape)
    for key, b in block.named_buffers():
        if key.endswith("running_var"):
            b.data[...] = rng.uniform(0.5, 2.0, b.shape)
        elif key.endswith("running_mean"):
            b.data[...] = rng.normal(0, 0.5, b.shape)
    return block.eval()


def _bn(bn, x):
    shape = (1, -1, 1, 1)
    return ((x - bn.running_mean.data.reshape(shape)) / np.sqrt(bn.running_var.data.reshape(shape)
            + bn.eps) * bn.weight.data.reshape(shape) + bn.bias.data.reshape(shape))


def _conv1x1(conv, x):
    y = np.einsum("oi,nihw->nohw", conv.weight.data[:, :, 0, 0], x)
    return y if conv.bias is None else y + conv.bias.data.reshape(1, -1, 1, 1)


def _depthwise3x3(conv, x, stride):
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ho, wo = (h - 1) // stride + 1, (w - 1) // stride + 1
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = padded[:, :, i * stride:i * stride + 3, j * stride:j * stride + 3]
            out[:, :, i, j] = (patch * conv.weight.data[:, 0]).sum(axis=(2, 3))
    return out


def _gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _by_hand(block, x, stride):
    r = block.residual
    h = _gelu(_bn(r.expand[1], _conv1x1(r.expand[0], _bn(r.pre_norm, x))))
    d = _gelu(_bn(r.depthwise[1], _depthwise3x3(r.depthwise[0], h, stride)))
    s = d.mean(axis=(2, 3))
    z = s @ r.se.fc1.weight.data.T + r.se.fc1.bias.data
    z = z / (1 + np.exp(-z))                                                   # SiLU
    gate = 1 / (1 + np.exp(-(z @ r.se.fc2.weight.data.T + r.se.fc2.bias.data)))
    out = _conv1x1(r.project, d * gate[:, :, None, None])
    shortcut = x
    if block.shortcut is not None:
        if stride > 1:
            n, c, hh, ww = x.shape
            shortcut = x.reshape(n, c, hh // 2, 2, ww // 2, 2).mean(axis=(3, 5))
        if "project" in dict(block.shortcut.named_children()):
            shortcut = _conv1x1(block.shortcut.project, shortcut)
    return shortcut + out


@pytest.mark.parametrize("cin, cout, stride, kinds", [(4, 4, 1, None), (4, 4, 2, ["pool"]),
                                                       (4, 6, 2, ["pool", "project"]),
                                                       (4, 6, 1, ["project"])])
def test_formula_by_hand(cin, cout, stride, kinds):
    lucid.random.seed(0)
    block = _randomize(nn.MBConv(cin, cout, stride=stride, expanded_channels=8, se_channels=2,
                                 activation=nn.GELU, se_activation=nn.SiLU,
                                 pre_norm=True).double())
    assert block.use_shortcut
    if kinds is None:
        assert block.shortcut is None
    else:
        assert [name for name, _ in block.shortcut.named_children()] == kinds
    assert block.residual.project.bias is not None
    x = _x(2, cin, 4, 6)
    assert_close(block(x).data, _by_hand(block, x.data, stride), rtol=1e-10, atol=1e-12)


def test_default_is_unchanged():
    block = nn.MBConv(4, 6, stride=2)
    assert block.shortcut is None and not block.use_shortcut
    assert [name for name, _ in block.residual.named_children()] == [
        "expand", "depthwise", "project"]


def test_gradcheck():
    lucid.random.seed(0)
    block = _randomize(nn.MBConv(2, 3, stride=2, expanded_channels=4, se_channels=2,
                                 activation=nn.GELU, pre_norm=True).double())
    assert gradcheck(block, [_x(1, 2, 4, 4)])
