"""nn.GridAttention (MaxViT's grid attention): a loop oracle over the grid groups of a
map (tokens H/G and W/G apart), the bias read by grid offset, gradcheck on a tiny
configuration, and bad input. (Values and gradients against torch: the interop twin in
tests/test_interop.py and the whole MaxViT against timm in tests/models/test_maxvit.py.)"""
import math

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.nn.modules.window_attention import relative_position_index
from lucid.testing import assert_close, gradcheck


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def _by_loops(attn, x):
    """Each group (a, b): the tokens x[p (H/G) + a, q (W/G) + b] in (p, q) order attend
    to each other, head by head, with the bias of their offset (p_i - p_j, q_i - q_j)."""
    n, H, W, c = x.shape
    (gh, gw), heads = attn.grid_size, attn.num_heads
    d = c // heads
    wq, bq = attn.qkv.weight.data, attn.qkv.bias.data
    table, index = attn.relative_position_bias_table.data, relative_position_index((gh, gw))
    out = np.zeros_like(x)
    for i in range(n):
        for a in range(H // gh):
            for b in range(W // gw):
                where = [(p * (H // gh) + a, q * (W // gw) + b) for p in range(gh)
                         for q in range(gw)]
                tokens = np.stack([x[i, r, s] for r, s in where])
                qkv = tokens @ wq.T + bq
                mixed = np.zeros_like(tokens)
                for h in range(heads):
                    q, k, v = (qkv[:, part * c + h * d: part * c + (h + 1) * d]
                               for part in range(3))
                    for t in range(len(where)):
                        scores = np.array([q[t] @ k[u] / math.sqrt(d) + table[index[t, u], h]
                                           for u in range(len(where))])
                        w = np.exp(scores - scores.max())
                        mixed[t, h * d:(h + 1) * d] = (w / w.sum()) @ v
                projected = mixed @ attn.proj.weight.data.T + attn.proj.bias.data
                for (r, s), value in zip(where, projected):
                    out[i, r, s] = value
    return out


@pytest.mark.parametrize("size, grid", [((4, 6), (2, 3)), ((6, 6), 3), ((2, 4), 2)])
def test_grid_groups_by_loops(size, grid):
    lucid.random.seed(0)
    attn = nn.GridAttention(4, 2, grid).double()
    attn.relative_position_bias_table.data[...] = np.random.default_rng(2).normal(
        0, 0.5, attn.relative_position_bias_table.shape)
    x = _x(2, *size, 4)
    assert_close(attn(x).data, _by_loops(attn, x.data), rtol=1e-10, atol=1e-12)


def test_one_group_is_one_window_and_larger_maps_differ():
    """On a map that is one window the grid and the window partitions coincide; on a
    larger map they differ (the grid's groups span the map)."""
    lucid.random.seed(0)
    grid = nn.GridAttention(4, 2, 2).double()
    window = nn.WindowAttention(4, 2, 2).double()
    window.load_state_dict(grid.state_dict())
    one = _x(1, 2, 2, 4)
    assert_close(grid(one).data, window(one).data, rtol=1e-12, atol=1e-14)
    big = _x(1, 4, 4, 4)
    assert not np.allclose(grid(big).data, window(big).data)


def test_gradcheck():
    lucid.random.seed(0)
    attn = nn.GridAttention(4, 2, (2, 2)).double()
    for p in attn.parameters():
        p.data[...] += np.random.default_rng(3).normal(0, 0.3, p.shape)
    assert gradcheck(attn, [_x(1, 4, 2, 4)])


def test_bad_input():
    attn = nn.GridAttention(8, 2, 2)
    with pytest.raises(ValueError, match=r"GridAttention: the map's sides must be multiples "
                                         r"of grid_size \(2, 2\); got 3 x 4"):
        attn(lucid.random.randn(1, 3, 4, 8))
    with pytest.raises(ValueError, match=r"GridAttention: expected input of shape "
                                         r"\(N, H, W, 8\); got \(1, 4, 4, 6\)"):
        attn(lucid.random.randn(1, 4, 4, 6))
    with pytest.raises(ValueError, match=r"GridAttention: num_heads \(3\) must divide dim"):
        nn.GridAttention(8, 3, 2)
    with pytest.raises(ValueError, match=r"GridAttention: window_size must be an int >= 1"):
        nn.GridAttention(8, 2, 0)
