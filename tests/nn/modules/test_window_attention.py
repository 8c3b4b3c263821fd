"""nn.WindowAttention and nn.CosineWindowAttention (Swin V1 / V2): the relative position
index and the shift mask by hand, values and gradients against torchvision's
ShiftedWindowAttention(V2) with the same weights (shifted, padded and one-window maps),
a loop oracle for one window, gradcheck on tiny configurations, and bad arguments."""
import math

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.nn.modules.window_attention import relative_position_index, shift_mask
from lucid.testing import assert_close, gradcheck
from tests import reference_models as ref


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_relative_position_index_by_hand():
    index = relative_position_index((2, 3))
    assert index.shape == (6, 6)
    positions = [(y, x) for y in range(2) for x in range(3)]
    for i, (yi, xi) in enumerate(positions):
        for j, (yj, xj) in enumerate(positions):
            assert index[i, j] == (yi - yj + 1) * 5 + (xi - xj + 2)
    assert index.min() == 0 and index.max() == 3 * 5 - 1


def test_shift_mask_separates_the_rolled_regions():
    """A 4 x 4 map, windows of 2, shift 1: after rolling by -1 the last window holds
    tokens from four regions; tokens of different regions must not attend."""
    mask = shift_mask((4, 4), (2, 2), (1, 1))
    assert mask.shape == (4, 4, 4)
    assert (mask[0] == 0).all()                                  # a window of one region
    region = np.zeros((4, 4), int)                                # labels by the rule
    region[:, 3] += 1
    region[3, :] += 2
    last = region[2:, 2:].reshape(-1)
    expected = np.where(last[:, None] == last[None, :], 0.0, -100.0)
    np.testing.assert_array_equal(mask[3], expected)


def test_one_window_by_a_loop():
    """A map that is one window: softmax(q k / sqrt(d) + B) v, head by head, in loops."""
    lucid.random.seed(0)
    attn = nn.WindowAttention(4, 2, (2, 3)).double()
    x = _x(1, 2, 3, 4)
    out = attn(x).data
    tokens = x.data.reshape(6, 4)
    qkv = tokens @ attn.qkv.weight.data.T + attn.qkv.bias.data
    table = attn.relative_position_bias_table.data
    index = relative_position_index((2, 3))
    heads = np.zeros((6, 4))
    for h in range(2):
        q, k, v = (qkv[:, s * 4 + 2 * h: s * 4 + 2 * h + 2] for s in range(3))
        for i in range(6):
            scores = [q[i] @ k[j] / math.sqrt(2) + table[index[i, j], h] for j in range(6)]
            weights = np.exp(scores - np.max(scores))
            weights /= weights.sum()
            heads[i, 2 * h: 2 * h + 2] = sum(weights[j] * v[j] for j in range(6))
    expected = heads @ attn.proj.weight.data.T + attn.proj.bias.data
    assert_close(out.reshape(6, 4), expected, rtol=1e-10, atol=1e-12)


def _torchvision_pair(torch, version, dim, heads, window, shift):
    tv = ref.torchvision()
    from torchvision.models import swin_transformer as tv_swin
    cls = tv_swin.ShiftedWindowAttention if version == 1 else tv_swin.ShiftedWindowAttentionV2
    torch.manual_seed(0)
    theirs = cls(dim, [window, window], [shift, shift], heads).double()
    assert tv is not None
    ours = (nn.WindowAttention if version == 1 else nn.CosineWindowAttention)(
        dim, heads, window, shift).double()
    with torch.no_grad():
        for p in theirs.parameters():                  # every tensor non-trivial
            p.normal_(0, 0.5)
    t = {k: v.detach().numpy() for k, v in theirs.named_parameters()}
    ours.qkv.weight.data[...] = t["qkv.weight"]
    ours.proj.weight.data[...] = t["proj.weight"]
    ours.proj.bias.data[...] = t["proj.bias"]
    if version == 1:
        ours.qkv.bias.data[...] = t["qkv.bias"]
        ours.relative_position_bias_table.data[...] = t["relative_position_bias_table"]
    else:                                   # torchvision learns a key bias it never uses
        ours.q_bias.data[...] = t["qkv.bias"][:dim]
        ours.v_bias.data[...] = t["qkv.bias"][2 * dim:]
        ours.logit_scale.data[...] = t["logit_scale"]
        ours.cpb_mlp[0].weight.data[...] = t["cpb_mlp.0.weight"]
        ours.cpb_mlp[0].bias.data[...] = t["cpb_mlp.0.bias"]
        ours.cpb_mlp[2].weight.data[...] = t["cpb_mlp.2.weight"]
    return theirs, ours


@pytest.mark.torchvision
@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("size, window, shift", [((8, 8), 4, 2), ((6, 10), 4, 2),
                                                 ((4, 4), 4, 2), ((6, 6), 3, 1)])
def test_values_and_gradients_equal_torchvision(torch, version, size, window, shift):
    theirs, ours = _torchvision_pair(torch, version, 8, 2, window, shift)
    x = np.random.default_rng(1).standard_normal((2, *size, 8))
    g = np.random.default_rng(2).standard_normal((2, *size, 8))
    tx = torch.tensor(x, requires_grad=True)
    expected = theirs(tx)
    (expected * torch.from_numpy(g)).sum().backward()
    lx = lucid.Tensor(x, requires_grad=True)
    out = ours(lx)
    (out * lucid.Tensor(g)).sum().backward()
    assert_close(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-10)
    assert_close(lx.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    grads = dict(theirs.named_parameters())
    assert_close(ours.qkv.weight.grad, grads["qkv.weight"].grad.numpy(), rtol=1e-9, atol=1e-10)
    assert_close(ours.proj.weight.grad, grads["proj.weight"].grad.numpy(), rtol=1e-9,
                 atol=1e-10)
    if version == 1:
        assert_close(ours.relative_position_bias_table.grad,
                     grads["relative_position_bias_table"].grad.numpy(), rtol=1e-9, atol=1e-10)
    else:
        tb = grads["qkv.bias"].grad.numpy()
        assert_close(ours.q_bias.grad, tb[:8], rtol=1e-9, atol=1e-10)
        assert_close(ours.v_bias.grad, tb[16:], rtol=1e-9, atol=1e-10)
        for key, p in (("logit_scale", ours.logit_scale),
                       ("cpb_mlp.0.weight", ours.cpb_mlp[0].weight),
                       ("cpb_mlp.2.weight", ours.cpb_mlp[2].weight)):
            assert_close(p.grad, grads[key].grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("version", [1, 2])
def test_gradcheck(version):
    lucid.random.seed(0)
    if version == 1:
        attn = nn.WindowAttention(4, 2, 2, shift_size=1)
    else:
        attn = nn.CosineWindowAttention(4, 2, 2, shift_size=1, cpb_hidden=5)
    attn = attn.double()
    for p in attn.parameters():                                 # away from zero starts
        p.data[...] += np.random.default_rng(3).normal(0, 0.3, p.shape)
    assert gradcheck(attn, [_x(1, 4, 3, 4)])


def test_start_and_layout():
    lucid.random.seed(0)
    v1 = nn.WindowAttention(16, 4, 7)
    assert v1.relative_position_bias_table.shape == (169, 4)
    assert abs(v1.relative_position_bias_table.data.std() - 0.02) < 0.004
    assert "relative_position_index" not in v1.state_dict()        # rebuilt, not stored
    v2 = nn.CosineWindowAttention(16, 4, 8)
    assert_close(v2.logit_scale.data, np.full((4, 1, 1), math.log(10), np.float32))
    assert v2.qkv.bias is None and (v2.q_bias.data == 0).all() and (v2.v_bias.data == 0).all()
    table = v2.relative_coords_table.data
    assert table.shape == (15, 15, 2)
    assert_close(table[0, 0], np.full(2, -math.log2(9) / 3, np.float32))     # offset -8
    assert abs(table[7, 7]).max() == 0
    assert_close(table[14, 7, 0], np.float32(math.log2(9) / 3))
    no_bias = nn.CosineWindowAttention(16, 4, 8, qkv_bias=False)
    assert no_bias.count_parameters() == v2.count_parameters() - 32


def test_scale_is_clipped_at_log_100():
    """A logit scale beyond log(100) acts as log(100) and gets no gradient."""
    attn = nn.CosineWindowAttention(4, 1, 2, cpb_hidden=3).double()
    attn.logit_scale.data[...] = 10.0
    out = attn(_x(1, 2, 2, 4))
    out.sum().backward()
    assert (attn.logit_scale.grad == 0).all()
    attn.logit_scale.data[...] = math.log(100.0)
    assert_close(attn(_x(1, 2, 2, 4)).data, out.data, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.WindowAttention(8, 3, 2), ValueError,
     r"WindowAttention: num_heads \(3\) must divide dim \(8\)"),
    (lambda: nn.WindowAttention(8, 2, 2, shift_size=2), ValueError,
     r"WindowAttention: shift_size \(2, 2\) must be smaller than window_size \(2, 2\)"),
    (lambda: nn.WindowAttention(8, 2, 0), ValueError,
     r"WindowAttention: window_size must be an int >= 1 or a pair of them; got 0"),
    (lambda: nn.WindowAttention(8, 2, 2.5), TypeError,
     r"WindowAttention: window_size must be an int >= 1 or a pair of them; got 2.5"),
    (lambda: nn.WindowAttention(8, 2, (2, 2, 2)), ValueError, r"window_size must be"),
    (lambda: nn.CosineWindowAttention(8, 2, 2, cpb_hidden=0), TypeError,
     r"CosineWindowAttention: cpb_hidden"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_input():
    attn = nn.WindowAttention(8, 2, 2)
    with pytest.raises(ValueError, match=r"WindowAttention: expected input of shape "
                                         r"\(N, H, W, 8\); got \(2, 8, 4, 4\)"):
        attn(lucid.random.randn(2, 8, 4, 4))
    with pytest.raises(ValueError, match=r"CosineWindowAttention: expected input of shape "
                                         r"\(N, H, W, 8\); got ndarray"):
        nn.CosineWindowAttention(8, 2, 2)(np.zeros((1, 2, 2, 8)))
