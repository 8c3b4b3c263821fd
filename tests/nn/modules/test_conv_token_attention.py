"""nn.ConvTokenEmbedding and nn.ConvProjectionAttention (CvT): values and gradients
against the authors' formulation written in torch.nn here (with and without a class
token), gradcheck, and bad input."""
import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import assert_close, gradcheck
from tests import reference_models as ref


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def _torch_attention(torch, dim, heads, cls):
    """CvT's attention as its authors write it: conv_proj_{q,k,v} = depthwise conv + BN,
    then proj_{q,k,v}; scores scaled by dim ** -0.5; a class token kept aside."""
    tnn = torch.nn

    def dw(stride):
        return tnn.Sequential(tnn.Conv2d(dim, dim, 3, stride, 1, groups=dim, bias=False),
                              tnn.BatchNorm2d(dim))

    class Attention(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv_proj_q, self.conv_proj_k, self.conv_proj_v = dw(1), dw(2), dw(2)
            self.proj_q, self.proj_k, self.proj_v = (tnn.Linear(dim, dim) for _ in range(3))
            self.proj = tnn.Linear(dim, dim)

        def forward(self, x, h, w):
            token, x = (x[:, :1], x[:, 1:]) if cls else (None, x)
            grid = x.transpose(1, 2).reshape(x.shape[0], dim, h, w)
            qkv = []
            for conv, linear in ((self.conv_proj_q, self.proj_q), (self.conv_proj_k, self.proj_k),
                                 (self.conv_proj_v, self.proj_v)):
                t = conv(grid).flatten(2).transpose(1, 2)
                if cls:
                    t = torch.cat([token, t], dim=1)
                t = linear(t)
                qkv.append(t.reshape(t.shape[0], t.shape[1], heads, -1).transpose(1, 2))
            q, k, v = qkv
            attn = torch.softmax(q @ k.transpose(-2, -1) * dim ** -0.5, dim=-1)
            out = (attn @ v).transpose(1, 2).reshape(x.shape[0], -1, dim)
            return self.proj(out)

    return Attention()


@pytest.mark.torch
@pytest.mark.parametrize("cls", [False, True])
@pytest.mark.parametrize("train", [False, True])
def test_attention_equals_the_authors_formulation(torch, cls, train):
    torch.manual_seed(0)
    theirs = _torch_attention(torch, 8, 2, cls).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_(0, 0.5)
    ours = nn.ConvProjectionAttention(8, 2, with_cls_token=cls).double()
    ref.copy_weights(theirs, ours)
    theirs.train(train), ours.train(train)
    h, w = 5, 6
    x = np.random.default_rng(1).standard_normal((2, h * w + cls, 8))
    g = np.random.default_rng(2).standard_normal(x.shape)
    tx = torch.tensor(x, requires_grad=True)
    expected = theirs(tx, h, w)
    (expected * torch.from_numpy(g)).sum().backward()
    lx = lucid.Tensor(x, requires_grad=True)
    out = ours(lx, (h, w))
    (out * lucid.Tensor(g)).sum().backward()
    assert_close(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-10)
    assert_close(lx.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    for ((key, tp), p) in zip(theirs.named_parameters(), ours.parameters()):
        assert_close(p.grad, tp.grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.torch
def test_embedding_equals_conv_and_layer_norm(torch):
    torch.manual_seed(0)
    conv, norm = torch.nn.Conv2d(3, 8, 7, 4, 2).double(), torch.nn.LayerNorm(8).double()
    ours = nn.ConvTokenEmbedding(3, 8).double()
    ref.copy_weights(torch.nn.Sequential(conv, norm), ours)
    x = np.random.default_rng(0).standard_normal((2, 3, 19, 17))
    expected = norm(conv(torch.from_numpy(x)).permute(0, 2, 3, 1)).detach().numpy()
    assert_close(ours(lucid.Tensor(x)).data, expected, rtol=1e-10, atol=1e-12)
    assert expected.shape == (2, 5, 4, 8)            # floor((17 + 4 - 7) / 4) + 1 = 4


def test_map_form_and_layout():
    lucid.random.seed(0)
    attn = nn.ConvProjectionAttention(8, 2).eval()
    x = lucid.random.randn(2, 4, 6, 8)
    assert_close(attn(x).data.reshape(2, 24, 8), attn(x.reshape(2, 24, 8), (4, 6)).data)
    assert attn.conv_proj_k[0].stride == (2, 2) and attn.conv_proj_q[0].stride == (1, 1)
    assert attn.conv_proj_q[0].groups == 8 and attn.conv_proj_q[0].bias is None


@pytest.mark.parametrize("cls", [False, True])
def test_gradcheck(cls):
    lucid.random.seed(0)
    attn = nn.ConvProjectionAttention(4, 2, with_cls_token=cls).double().eval()
    assert gradcheck(lambda t: attn(t, (3, 4)), [_x(1, 12 + cls, 4)])
    embed = nn.ConvTokenEmbedding(2, 4, 3, 2, 1).double()
    assert gradcheck(embed, [_x(1, 2, 5, 5)])


def test_bad_input():
    attn = nn.ConvProjectionAttention(8, 2, with_cls_token=True)
    with pytest.raises(ValueError, match=r"ConvProjectionAttention: size must be the map's "
                                         r"\(H, W\) with H \* W \+ 1 = L = 24; got \(4, 6\)"):
        attn(lucid.random.randn(1, 24, 8), (4, 6))
    with pytest.raises(ValueError, match=r"expected a map \(N, H, W, 8\) or tokens"):
        attn(lucid.random.randn(1, 24))
    with pytest.raises(ValueError, match=r"num_heads \(3\) must divide dim \(8\)"):
        nn.ConvProjectionAttention(8, 3)
    with pytest.raises(ValueError, match=r"ConvTokenEmbedding: expected input of shape "
                                         r"\(N, C, H, W\); got \(3, 8, 8\)"):
        nn.ConvTokenEmbedding(3, 4)(lucid.random.randn(3, 8, 8))
    with pytest.raises(TypeError, match="ConvTokenEmbedding: embed_dim must be a positive int"):
        nn.ConvTokenEmbedding(3, 0)
