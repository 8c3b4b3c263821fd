"""nn.CrossBranchAttention (CrossViT): values and gradients against timm's projection,
cross-attention block and reverse projection with the same weights, a loop oracle, the
untouched patch tokens, gradcheck, and bad input."""
from functools import partial

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import assert_close, gradcheck
from tests import reference_models as ref


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


@pytest.mark.timm
def test_values_and_gradients_equal_timm(torch):
    ref.timm()
    from timm.models.crossvit import CrossAttentionBlock
    tnn = torch.nn
    torch.manual_seed(0)

    class Theirs(tnn.Module):           # timm's MultiScaleBlock fusion for one branch
        def __init__(self):
            super().__init__()
            self.projs = tnn.Sequential(tnn.LayerNorm(4, eps=1e-6), tnn.GELU(),
                                        tnn.Linear(4, 6))
            self.fusion = CrossAttentionBlock(6, num_heads=3, qkv_bias=True,
                                              norm_layer=partial(tnn.LayerNorm, eps=1e-6))
            self.revert_projs = tnn.Sequential(tnn.LayerNorm(6, eps=1e-6), tnn.GELU(),
                                               tnn.Linear(6, 4))

        def forward(self, xs):          # x: (N, 1 + 7, 4) then other: (N, 1 + 5, 6)
            x, other = xs[:, :8, :4], xs[:, 8:, :]
            tmp = torch.cat((self.projs(x[:, :1]), other[:, 1:]), dim=1)
            cls = self.revert_projs(self.fusion(tmp)[:, :1])
            return torch.cat((cls, x[:, 1:]), dim=1)

    theirs = Theirs()
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_(0, 0.5)

    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.CrossBranchAttention(4, 6, 3)

        def forward(self, xs):
            return self.attn(xs[:, :8, :4], xs[:, 8:, :])

    # both take x and other packed in one (N, 8 + 6, 6) array, x zero-padded to width 6
    ref.compare_with_reference(torch, theirs, Ours(), (2, 14, 6), rtol=1e-9, atol=1e-10)


def test_a_loop_oracle():
    lucid.random.seed(0)
    attn = nn.CrossBranchAttention(3, 4, 2).double()
    for p in attn.parameters():
        p.data[...] += np.random.default_rng(1).normal(0, 0.3, p.shape)
    x, other = _x(1, 3, 3), _x(1, 4, 4, seed=1)
    out = attn(x, other).data[0]

    def layer_norm(u, ln):
        return (u - u.mean()) / np.sqrt(u.var() + 1e-6) * ln.weight.data + ln.bias.data

    def gelu(u):
        from math import erf, sqrt
        return np.array([0.5 * v * (1 + erf(v / sqrt(2))) for v in u])

    def linear(u, layer):
        return layer.weight.data @ u + layer.bias.data

    def project(u, seq):
        return linear(gelu(layer_norm(u, seq[0])), seq[2])

    cls = project(x.data[0, 0], attn.project_in)
    rows = [cls] + [other.data[0, j] for j in range(1, 4)]
    z = [layer_norm(r, attn.norm) for r in rows]
    q = linear(z[0], attn.q)
    k = [linear(r, attn.k) for r in z]
    v = [linear(r, attn.v) for r in z]
    heads = []
    for h in range(2):
        part = slice(2 * h, 2 * h + 2)
        scores = np.array([q[part] @ kj[part] / np.sqrt(2) for kj in k])
        weights = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        heads.append(sum(w * vj[part] for w, vj in zip(weights, v)))
    cls = cls + linear(np.concatenate(heads), attn.proj)
    assert_close(out[0], project(cls, attn.project_out), rtol=1e-10, atol=1e-12)
    assert_close(out[1:], x.data[0, 1:])


def test_gradients_reach_the_right_tokens():
    lucid.random.seed(0)
    attn = nn.CrossBranchAttention(4, 8, 2).double()
    x, other = _x(2, 5, 4), _x(2, 3, 8, seed=1)
    attn(x, other).sum().backward()
    assert np.all(x.grad[:, 1:] == 1.0)                 # patch tokens pass unchanged
    assert np.any(x.grad[:, 0] != 0) and np.any(other.grad[:, 1:] != 0)
    assert np.all(other.grad[:, 0] == 0)                 # other's class token is not read


def test_gradcheck():
    lucid.random.seed(0)
    attn = nn.CrossBranchAttention(4, 6, 3).double()
    for p in attn.parameters():
        p.data[...] += np.random.default_rng(1).normal(0, 0.2, p.shape)
    assert gradcheck(attn, [_x(2, 3, 4), _x(2, 4, 6, seed=1)])


def test_bad_input():
    attn = nn.CrossBranchAttention(4, 8, 2)
    with pytest.raises(ValueError, match=r"CrossBranchAttention: expected other of shape "
                                         r"\(N, 1 \+ L, 8\) with L >= 1 \(a class token, then "
                                         r"patches\); got \(2, 5, 4\)"):
        attn(lucid.random.randn(2, 5, 4), lucid.random.randn(2, 5, 4))
    with pytest.raises(ValueError, match=r"expected x of shape \(N, 1 \+ L, 4\).*got \(2, 1, 4\)"):
        attn(lucid.random.randn(2, 1, 4), lucid.random.randn(2, 5, 8))
    with pytest.raises(ValueError, match="same batch size; got 2 and 3"):
        attn(lucid.random.randn(2, 5, 4), lucid.random.randn(3, 5, 8))
    with pytest.raises(TypeError, match="CrossBranchAttention: x must be a Tensor; got ndarray"):
        attn(np.zeros((2, 5, 4)), lucid.random.randn(2, 5, 8))
    with pytest.raises(ValueError, match=r"num_heads \(3\) must divide other_dim \(8\)"):
        nn.CrossBranchAttention(4, 8, 3)
    with pytest.raises(TypeError, match="other_dim must be a positive int; got 0"):
        nn.CrossBranchAttention(4, 0, 1)
