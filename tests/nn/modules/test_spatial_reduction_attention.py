"""nn.SpatialReductionAttention (PVT v1/v2): values and gradients against timm's PVT v2
attention with the same weights (no reduction, R x R reduction, linear), a loop oracle,
the map and token forms, gradcheck, and bad input."""
import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import assert_close, gradcheck
from tests import reference_models as ref


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


@pytest.mark.timm
@pytest.mark.parametrize("sr_ratio, linear", [(1, False), (2, False), (3, False), (1, True)])
def test_values_and_gradients_equal_timm(torch, sr_ratio, linear):
    ref.timm()
    from timm.models.pvt_v2 import Attention
    torch.manual_seed(0)
    theirs = Attention(8, num_heads=2, sr_ratio=sr_ratio, linear_attn=linear)
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_(0, 0.5)

    class Tokens(torch.nn.Module):                   # timm's takes the map's size apart
        def __init__(self):
            super().__init__()
            self.attn = theirs

        def forward(self, x):
            n, h, w, c = x.shape
            return self.attn(x.reshape(n, h * w, c), [h, w]).reshape(n, h, w, c)

    ours = nn.SpatialReductionAttention(8, 2, sr_ratio, linear=linear)
    ref.compare_with_reference(torch, Tokens(), ours, (2, 9, 12, 8), rtol=1e-9, atol=1e-10)


def test_a_loop_oracle_without_reduction():
    lucid.random.seed(0)
    attn = nn.SpatialReductionAttention(4, 1).double()
    x = _x(1, 5, 4)
    out = attn(x).data[0]
    tokens = x.data[0]
    q = tokens @ attn.q.weight.data.T + attn.q.bias.data
    kv = tokens @ attn.kv.weight.data.T + attn.kv.bias.data
    k, v = kv[:, :4], kv[:, 4:]
    for i in range(5):
        scores = np.array([q[i] @ k[j] / 2.0 for j in range(5)])
        weights = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        expected = (weights @ v) @ attn.proj.weight.data.T + attn.proj.bias.data
        assert_close(out[i], expected, rtol=1e-10, atol=1e-12)


def test_map_and_token_forms_agree_and_keys_are_reduced():
    lucid.random.seed(0)
    attn = nn.SpatialReductionAttention(8, 2, sr_ratio=2)
    x = lucid.random.randn(2, 4, 6, 8)
    assert_close(attn(x).data.reshape(2, 24, 8), attn(x.reshape(2, 24, 8), (4, 6)).data)
    assert attn.sr.kernel_size == (2, 2) and attn.sr.stride == (2, 2)
    linear = nn.SpatialReductionAttention(8, 2, linear=True)
    assert [n for n, _ in linear.named_children()] == ["q", "kv", "attn_drop", "proj",
                                                       "proj_drop", "pool", "sr", "norm", "act"]
    plain = nn.SpatialReductionAttention(8, 2)
    assert plain.sr is None and plain.count_parameters() == 4 * 64 + 4 * 8
    cls_and_map = lucid.random.randn(1, 1 + 12, 8)          # PVT v1: a class token in front
    assert plain(cls_and_map).shape == (1, 13, 8)


@pytest.mark.parametrize("sr_ratio, linear", [(2, False), (1, True)])
def test_gradcheck(sr_ratio, linear):
    lucid.random.seed(0)
    attn = nn.SpatialReductionAttention(4, 2, sr_ratio, linear=linear).double()
    assert gradcheck(attn, [_x(1, 4, 4, 4)])


def test_bad_input():
    attn = nn.SpatialReductionAttention(8, 2, sr_ratio=2)
    with pytest.raises(ValueError, match=r"SpatialReductionAttention: size must be the map's "
                                         r"\(H, W\) with H \* W = L = 24 when the map is "
                                         r"reduced; got None"):
        attn(lucid.random.randn(1, 24, 8))
    with pytest.raises(ValueError, match=r"got \(3, 5\)"):
        attn(lucid.random.randn(1, 24, 8), (3, 5))
    with pytest.raises(ValueError, match=r"expected a map \(N, H, W, 8\) or tokens \(N, L, 8\); "
                                         r"got \(1, 24, 4\)"):
        attn(lucid.random.randn(1, 24, 4))
    with pytest.raises(ValueError, match=r"num_heads \(3\) must divide dim \(8\)"):
        nn.SpatialReductionAttention(8, 3)
    with pytest.raises(TypeError, match="sr_ratio must be a positive int; got 0"):
        nn.SpatialReductionAttention(8, 2, sr_ratio=0)
