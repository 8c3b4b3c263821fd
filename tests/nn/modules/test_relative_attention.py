"""nn.RelativeAttention (CoAtNet): global attention over the map with a relative position
bias, against a loop oracle (another input width, a map that is not square), gradcheck on
a tiny configuration, the bias's translation equivariance, and bad arguments and input.
(Values and gradients against timm inside a whole CoAtNet: tests/models/test_coatnet.py;
against its torch twin: tests/test_interop.py.)"""
import math

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.nn.modules.window_attention import relative_position_index
from lucid.testing import assert_close, gradcheck


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def _perturbed(attn, seed=3, std=0.3):
    for p in attn.parameters():                                 # away from zero starts
        p.data[...] += np.random.default_rng(seed).normal(0, std, p.shape)
    return attn


def test_by_a_loop():
    """softmax(q k / sqrt(d) + B[offset]) v, head by head, position by position."""
    lucid.random.seed(0)
    attn = _perturbed(nn.RelativeAttention(3, 4, 2, (2, 3)).double())
    x = _x(1, 2, 3, 3)
    out = attn(x).data
    tokens = x.data.reshape(6, 3)
    qkv = tokens @ attn.qkv.weight.data.T + attn.qkv.bias.data
    table = attn.relative_position_bias_table.data
    positions = [(y, x_) for y in range(2) for x_ in range(3)]
    heads = np.zeros((6, 4))
    for h in range(2):
        q, k, v = (qkv[:, s * 4 + 2 * h: s * 4 + 2 * h + 2] for s in range(3))
        for i, (yi, xi) in enumerate(positions):
            scores = []
            for j, (yj, xj) in enumerate(positions):
                row = (yi - yj + 1) * 5 + (xi - xj + 2)          # offset -> table row
                scores.append(q[i] @ k[j] / math.sqrt(2) + table[row, h])
            weights = np.exp(scores - np.max(scores))
            weights /= weights.sum()
            heads[i, 2 * h: 2 * h + 2] = sum(weights[j] * v[j] for j in range(6))
    expected = heads @ attn.proj.weight.data.T + attn.proj.bias.data
    assert out.shape == (1, 2, 3, 4)
    assert_close(out.reshape(6, 4), expected, rtol=1e-10, atol=1e-12)


def test_bias_is_translation_equivariant():
    """Pairs at the same offset read the same bias, wherever they are on the map."""
    attn = _perturbed(nn.RelativeAttention(4, 4, 1, 3))
    bias = attn.position_bias().data[0]
    index = relative_position_index((3, 3))
    for i in range(9):
        for j in range(9):
            assert bias[i, j] == attn.relative_position_bias_table.data[index[i, j], 0]
    assert bias[0, 1] == bias[4, 5] == bias[7, 8]                  # offset (0, -1)


def test_gradcheck():
    lucid.random.seed(0)
    attn = _perturbed(nn.RelativeAttention(2, 4, 2, (2, 3)).double())
    assert gradcheck(attn, [_x(2, 2, 3, 2)])


def test_layout_and_start():
    lucid.random.seed(0)
    attn = nn.RelativeAttention(16, 32, 4, 7)
    assert [name for name, _ in attn.named_parameters()] == [
        "relative_position_bias_table", "qkv.weight", "qkv.bias", "proj.weight", "proj.bias"]
    assert attn.relative_position_bias_table.shape == (169, 4)
    assert abs(attn.relative_position_bias_table.data.std() - 0.02) < 0.004
    assert attn.count_parameters() == 16 * 96 + 96 + 169 * 4 + 32 * 32 + 32
    assert "relative_position_index" not in attn.state_dict()       # rebuilt, not stored
    assert nn.RelativeAttention(16, 32, 4, 7, qkv_bias=False).qkv.bias is None


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.RelativeAttention(8, 8, 3, 2), ValueError,
     r"RelativeAttention: num_heads \(3\) must divide dim \(8\)"),
    (lambda: nn.RelativeAttention(0, 8, 2, 2), TypeError,
     r"RelativeAttention: in_dim must be a positive int; got 0"),
    (lambda: nn.RelativeAttention(8, 8, 2, 0), ValueError,
     r"RelativeAttention: size must be an int >= 1 or a pair of them; got 0"),
    (lambda: nn.RelativeAttention(8, 8, 2, (2, 2.5)), TypeError,
     r"RelativeAttention: size must be an int >= 1 or a pair of them"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_input():
    attn = nn.RelativeAttention(4, 8, 2, (2, 3))
    with pytest.raises(ValueError, match=r"RelativeAttention: expected input of shape "
                                         r"\(N, 2, 3, 4\); got \(1, 3, 2, 4\)"):
        attn(lucid.random.randn(1, 3, 2, 4))
    with pytest.raises(ValueError, match=r"RelativeAttention: expected input of shape "
                                         r"\(N, 2, 3, 4\); got ndarray"):
        attn(np.zeros((1, 2, 3, 4)))
