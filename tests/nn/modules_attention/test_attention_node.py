"""The one-node attention (lucid.ops.attention.Attention) against the chain of ops it
replaces, on both softmax twins: values, gradients, fully masked rows, gradcheck in
float64, PyTorch parity, and which path each call takes."""
import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid import ops
from lucid.nn.functional import attention as A
from lucid.ops.attention import Attention, PackedAttention
from lucid.testing import assert_close, gradcheck

from tests.conftest import torch

KERNEL_FAMILIES = ("softmax",)


def _tensors(rng, shapes, dtype=np.float64):
    return [lucid.Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
            for s in shapes]


def _blocking_mask(shape):
    """An additive mask with every key of query row 1 blocked, and one key of row 0."""
    m = np.zeros(shape)
    m[..., 1, :] = -np.inf
    m[..., 0, 2] = -np.inf
    return m


def _heads_chain(q, k, v, mask, heads):
    """The chain of ops MultiHeadAttention ran before: split, attention_weights, merge."""
    n, length = q.shape[0], q.shape[1]
    split = [ops.swapaxes(ops.reshape(t, (n, t.shape[1], heads, -1)), 1, 2) for t in (q, k, v)]
    out = A.attention_weights(*split, mask)[0]
    return ops.reshape(ops.swapaxes(out, 1, 2), (n, length, -1))


def _grads(fn, inputs, seed):
    for t in inputs:
        t.grad = None
    out = fn()
    out.backward(seed)
    return out.data.copy(), [t.grad.copy() for t in inputs]


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("heads", [None, 2])
def test_one_node_equals_the_chain(twin, rng, masked, heads):
    """Same output and gradients as the chain of ops, fully masked rows included."""
    if heads is None:
        shapes = [(2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 3)]
        mask = _blocking_mask((5, 6)) if masked else None
    else:
        shapes = [(2, 5, 8), (2, 6, 8), (2, 6, 6)]
        mask = _blocking_mask((2, 1, 5, 6)) if masked else None
    q, k, v = _tensors(rng, shapes)
    scale = 1 / np.sqrt(4)
    node = lambda: Attention.apply(q, k, v, mask, scale=scale, heads=heads)
    if heads is None:
        chain = lambda: A.attention_weights(q, k, v, mask)[0]
    else:
        chain = lambda: _heads_chain(q, k, v, mask, heads)
    seed = rng.standard_normal(chain().shape)
    out_node, grads_node = _grads(node, [q, k, v], seed)
    out_chain, grads_chain = _grads(chain, [q, k, v], seed)
    np.testing.assert_allclose(out_node, out_chain, rtol=1e-12, atol=1e-12)
    for a, b in zip(grads_node, grads_chain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    if masked:   # the blocked row: output 0, and no gradient flows through it
        row = out_node[:, 1] if heads is not None else out_node[..., 1, :]
        assert not row.any()


@pytest.mark.parametrize("heads", [None, 2])
def test_one_node_gradcheck(twin, rng, heads):
    if heads is None:
        shapes = [(2, 3, 4), (2, 5, 4), (2, 5, 3)]
        mask = _blocking_mask((3, 5))
    else:
        shapes = [(2, 3, 4), (2, 5, 4), (2, 5, 6)]
        mask = _blocking_mask((2, 2, 3, 5))
    q, k, v = _tensors(rng, shapes)
    assert gradcheck(lambda a, b, c: Attention.apply(a, b, c, mask, scale=0.7, heads=heads),
                     [q, k, v])


def test_which_path_each_call_takes(rng, monkeypatch):
    """One node without dropout and with a mask that needs no gradient; the chain for
    dropout, a mask that needs a gradient, broadcast batch axes, and returned weights."""
    calls = []
    real = Attention.apply
    monkeypatch.setattr(Attention, "apply",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    q, k, v = _tensors(rng, [(2, 4, 3)] * 3)
    F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert len(calls) == 1
    float_mask = lucid.Tensor(np.zeros((4, 4)), requires_grad=True)
    F.scaled_dot_product_attention(q, k, v, attn_mask=float_mask)
    F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    F.scaled_dot_product_attention(q, _tensors(rng, [(1, 4, 3)])[0], v)
    assert len(calls) == 1
    packed = []
    real_packed = PackedAttention.apply
    monkeypatch.setattr(PackedAttention, "apply",
                        lambda *a, **k: packed.append(1) or real_packed(*a, **k))
    layer = nn.MultiHeadAttention(6, 2, batch_first=True).to(lucid.Float64)
    x, y = _tensors(rng, [(2, 4, 6)] * 2)
    layer(x, x, x)                       # self-attention: one packed projection
    assert (len(calls), len(packed)) == (1, 1)
    layer(x, y, y)
    assert (len(calls), len(packed)) == (2, 1)
    layer(x, x, x, need_weights=True)
    assert (len(calls), len(packed)) == (2, 1)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_packed_self_attention_equals_three_projections(twin, rng, masked, bias):
    """MultiHeadAttention(x, x, x) (one packed projection, PackedAttention) against the
    same layer on an equal copy of x for key and value (three projections, the op chain
    of the slices of in_proj_weight): outputs and every gradient."""
    layer = nn.MultiHeadAttention(8, 2, bias=bias, batch_first=True).to(lucid.Float64)
    x_np = rng.standard_normal((3, 5, 8))
    mask = None
    if masked:
        mask = np.zeros((3, 5), dtype=bool)
        mask[1, :] = True                # every key of sample 1 blocked
        mask[0, 3] = True
        mask = lucid.Tensor(mask)
    seed = rng.standard_normal((3, 5, 8))
    results = []
    for same in (True, False):
        layer.zero_grad()
        x = lucid.Tensor(x_np, requires_grad=True)
        kv = x if same else lucid.Tensor(x_np.copy(), requires_grad=True)
        out = layer(x, kv, kv, key_padding_mask=mask)
        out.backward(seed)
        grad_x = x.grad if same else x.grad + kv.grad
        results.append([out.data, grad_x] + [p.grad.copy() for p in layer.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_packed_gradcheck(twin, rng):
    mask = _blocking_mask((2, 2, 3, 3))
    qkv = _tensors(rng, [(2, 3, 12)])[0]
    assert gradcheck(lambda t: PackedAttention.apply(t, mask, scale=0.6, heads=2), [qkv])


@pytest.mark.torch
def test_encoder_layer_training_step_matches_torch(twin, rng):
    """The homework encoder's layer (batch_first, no dropout), forward and backward,
    with a key padding mask that blocks keys (and so mask tensors in the node)."""
    kw = dict(dim_feedforward=32, dropout=0.0, batch_first=True)
    layer = nn.TransformerEncoderLayer(16, 4, **kw).to(lucid.Float64)
    twin_layer = torch.nn.TransformerEncoderLayer(16, 4, dtype=torch.float64, **kw)
    twin_layer.load_state_dict({k: torch.tensor(v.data) for k, v in
                                layer.state_dict().items()})
    x_np = rng.standard_normal((3, 7, 16))
    pad = np.zeros((3, 7), dtype=bool)
    pad[0, 5:] = True
    x = lucid.Tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out = layer(x, src_key_padding_mask=lucid.Tensor(pad))
    expected = twin_layer(tx, src_key_padding_mask=torch.tensor(pad))
    assert_close(out, expected.detach().numpy())
    seed = rng.standard_normal(out.shape)
    out.backward(seed)
    expected.backward(torch.tensor(seed))
    assert_close(x.grad, tx.grad.numpy())
    assert_close(layer.self_attn.in_proj_weight.grad,
                 twin_layer.self_attn.in_proj_weight.grad.numpy())
