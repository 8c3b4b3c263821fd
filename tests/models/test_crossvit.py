"""lucid.models.crossvit: values and training-step gradients equal timm's CrossVit with the
same weights (copied by name; a small configuration whose large branch resizes the
image bicubically; single- and three-convolution patches), the bicubic resize against
a loop oracle, the counts against timm and the original lucid's table, the structure,
gradcheck of the multi-scale block, and bad input."""
import re

import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.models.crossvit import bicubic_matrix
from lucid.testing import assert_close, gradcheck
from tests import reference_models as ref
from tests.models.test_counts import COUNTS

NAMES = ["crossvit_tiny", "crossvit_small", "crossvit_base", "crossvit_9", "crossvit_15",
         "crossvit_18", "crossvit_9_dagger", "crossvit_15_dagger", "crossvit_18_dagger"]
# the original lucid 2.2.2's documented counts (its model table)
ORIGINAL = {"crossvit_tiny": 7_014_800, "crossvit_small": 26_856_272,
            "crossvit_base": 105_025_232, "crossvit_9": 8_553_296, "crossvit_15": 27_528_464,
            "crossvit_18": 43_271_408, "crossvit_9_dagger": 8_776_592,
            "crossvit_15_dagger": 28_209_008, "crossvit_18_dagger": 44_266_976}
SMALL = dict(patch_size=(12, 16), embed_dim=(16, 32), depth=((1, 2, 0), (1, 1, 0)),
             num_heads=(2, 4), mlp_ratio=(2, 3, 1), num_classes=5)

# timm's parameter names -> lucid's (applied in order)
_RENAMES = [
    (r"^pos_embed_(\d+)$", r"embeds.\1.pos_embed"),
    (r"^cls_token_(\d+)$", r"embeds.\1.cls_token"),
    (r"^patch_embed\.(\d+)\.proj", r"embeds.\1.proj"),
    (r"\.blocks\.(\d+)\.(\d+)\.norm1", r".branches.\1.\2.ln_1"),
    (r"\.blocks\.(\d+)\.(\d+)\.norm2", r".branches.\1.\2.ln_2"),
    (r"\.blocks\.(\d+)\.(\d+)\.attn\.qkv\.(weight|bias)",
     r".branches.\1.\2.self_attention.in_proj_\3"),
    (r"\.blocks\.(\d+)\.(\d+)\.attn\.proj", r".branches.\1.\2.self_attention.out_proj"),
    (r"\.blocks\.(\d+)\.(\d+)\.mlp\.fc1", r".branches.\1.\2.mlp.0"),
    (r"\.blocks\.(\d+)\.(\d+)\.mlp\.fc2", r".branches.\1.\2.mlp.3"),
    (r"\.projs\.(\d+)\.", r".fusion.\1.project_in."),
    (r"\.revert_projs\.(\d+)\.", r".fusion.\1.project_out."),
    (r"\.fusion\.(\d+)\.norm1", r".fusion.\1.norm"),
    (r"\.fusion\.(\d+)\.attn\.w([qkv])", r".fusion.\1.\2"),
    (r"\.fusion\.(\d+)\.attn\.proj", r".fusion.\1.proj"),
    (r"^norm\.", "norms."),
    (r"^head\.", "heads."),
]


def lucid_name(timm_name):
    for pattern, replacement in _RENAMES:
        timm_name = re.sub(pattern, replacement, timm_name)
    return timm_name


def _timm_small(torch, multi_conv):
    ref.timm()
    from timm.models.crossvit import CrossVit
    torch.manual_seed(0)
    theirs = CrossVit(img_size=48, img_scale=(1.0, 32 / 48), multi_conv=multi_conv, **SMALL)
    with torch.no_grad():                      # biases and norms away from their start
        for key, p in theirs.named_parameters():
            if "bias" in key or "norm" in key:
                p.normal_(0, 0.5)
    return theirs.double()


@pytest.mark.timm
@pytest.mark.parametrize("multi_conv", [False, True])
def test_values_and_gradients_equal_timm(torch, multi_conv):
    theirs = _timm_small(torch, multi_conv)
    ours = models.CrossViT(img_size=(48, 32), multi_conv=multi_conv, **SMALL).double()
    params = dict(ours.named_parameters())
    copied = set()
    for key, p in theirs.named_parameters():
        target = params[lucid_name(key)]
        target.data[...] = p.detach().numpy().reshape(target.shape)
        copied.add(lucid_name(key))
    assert copied == set(params)                          # one for one

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 48, 48))
    theirs.eval()
    ours.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    with lucid.no_grad():
        assert_close(ours(lucid.Tensor(x)).data, expected, rtol=1e-9, atol=1e-10)

    theirs.train()
    ours.train()
    weights = rng.standard_normal(expected.shape)
    (theirs(torch.from_numpy(x)) * torch.from_numpy(weights)).sum().backward()
    (ours(lucid.Tensor(x)) * lucid.Tensor(weights)).sum().backward()
    grads = {lucid_name(k): p.grad.numpy() for k, p in theirs.named_parameters()}
    scale = max(float(np.abs(g).max()) for g in grads.values())
    for key, p in params.items():
        assert p.grad is not None, key
        assert_close(p.grad.reshape(grads[key].shape), grads[key], rtol=1e-8,
                     atol=1e-10 * scale)


@pytest.mark.torch
@pytest.mark.parametrize("size_in, size_out", [(48, 32), (240, 224), (5, 9), (7, 7)])
def test_bicubic_resize_equals_torch_interpolate(torch, size_in, size_out):
    x = np.random.default_rng(1).standard_normal((2, 3, size_in, size_in))
    expected = torch.nn.functional.interpolate(torch.from_numpy(x), size=(size_out, size_out),
                                               mode="bicubic", align_corners=False).numpy()
    a = bicubic_matrix(size_in, size_out)
    assert_close(a @ x @ a.T, expected, rtol=1e-12, atol=1e-12)


def test_bicubic_matrix_loop_oracle():
    """Rows sum to 1 (constants are kept); a row's weights are the cubic kernel at the
    distances of the four nearest inputs to the source position (Keys, a = -0.75)."""
    a = bicubic_matrix(10, 4)
    assert_close(a.sum(axis=1), np.ones(4), rtol=1e-12, atol=1e-12)
    s = (1 + 0.5) * 10 / 4 - 0.5                                      # output 1 reads 3.25
    t = s - 3

    def w(d):
        d = abs(d)
        return (1.25 * d - 2.25) * d * d + 1 if d <= 1 else \
            ((-0.75 * d + 3.75) * d - 6) * d + 3
    expected = np.zeros(10)
    for j, d in zip(range(2, 6), (1 + t, t, 1 - t, 2 - t)):
        expected[j] = w(d)
    assert_close(a[1], expected, rtol=1e-12, atol=1e-12)
    assert bicubic_matrix(10, 4) is a and not a.flags.writeable      # cached, read-only


def test_family_listing_and_counts_equal_the_original():
    """(test_counts.py checks each count against timm's crossvit_*_240.)"""
    assert models.list_models("crossvit") == NAMES
    for name in NAMES:
        assert COUNTS[name] == ORIGINAL[name], name


def test_structure_of_crossvit_15_dagger():
    with nn.shape_only():
        net = models.crossvit_15_dagger(num_classes=10)
    assert [e.pos_embed.shape for e in net.embeds] == [(1, 401, 192), (1, 197, 384)]
    assert [e.img_size for e in net.embeds] == [240, 224]
    assert [type(m).__name__ for m in net.embeds[0].proj] == ["Conv2d", "ReLU", "Conv2d",
                                                               "ReLU", "Conv2d"]
    assert net.embeds[0].proj[2].stride == (3, 3) and net.embeds[1].proj[2].stride == (2, 2)
    assert len(net.blocks) == 3
    assert [len(b) for b in net.blocks[0].branches] == [1, 5]
    fuse = net.blocks[0].fusion
    assert (fuse[0].dim, fuse[0].other_dim, fuse[1].dim, fuse[1].other_dim) == (192, 384,
                                                                                 384, 192)
    assert [h.out_features for h in net.heads] == [10, 10]


def test_forward_backward_any_input_size_and_drop_path():
    lucid.random.seed(0)
    net = models.CrossViT(img_size=(24, 16), patch_size=(6, 8), embed_dim=(8, 16),
                          depth=((1, 2, 0), (0, 1, 1)), num_heads=(2, 2), mlp_ratio=(2, 2),
                          num_classes=3, drop_path_rate=0.2)
    first, second = net.blocks[0].branches[1]       # rates 0, 0.2/3 | 0.4/3, 0.2
    assert isinstance(first.drop_path, nn.Identity)
    assert second.drop_path.drop_prob == pytest.approx(0.2 / 3)
    assert net.blocks[1].fusion[0].drop_path.drop_prob == pytest.approx(0.2)
    assert len(net.blocks[1].branches[0]) == 0
    out = net(lucid.random.randn(2, 3, 20, 28))
    assert out.shape == (2, 3)
    out.sum().backward()
    for key, p in net.named_parameters():
        assert p.grad is not None, key


def test_logits_are_the_mean_of_the_heads():
    lucid.random.seed(0)
    net = models.CrossViT(img_size=(24, 16), patch_size=(6, 8), embed_dim=(8, 16),
                          depth=((1, 1, 0),), num_heads=(2, 2), mlp_ratio=(2, 2),
                          num_classes=3).eval()
    x = lucid.random.randn(1, 3, 24, 24)
    before = net(x).data.copy()
    net.heads[1].bias.data[...] += 2.0
    assert_close(net(x).data, before + 1.0, rtol=1e-6, atol=1e-6)


def test_gradcheck_multi_scale_block():
    lucid.random.seed(0)
    block = models.MultiScaleBlock(dims=(4, 6), depths=(1, 1), num_heads=(2, 3),
                                   mlp_ratios=(1.5, 1)).double()
    for p in block.parameters():
        p.data[...] += np.random.default_rng(1).normal(0, 0.2, p.shape)
    rng = np.random.default_rng(2)
    small = lucid.Tensor(rng.standard_normal((1, 5, 4)), requires_grad=True)
    large = lucid.Tensor(rng.standard_normal((1, 3, 6)), requires_grad=True)
    assert gradcheck(lambda a, b: concatenate_outputs(block([a, b])), [small, large])


def concatenate_outputs(outs):
    return lucid.concatenate([o.reshape(o.shape[0], -1) for o in outs], axis=1)


def test_bad_input():
    net = models.CrossViT(img_size=(24, 16), patch_size=(6, 8), embed_dim=(8, 16),
                          depth=((1, 1, 0),), num_heads=(2, 2), mlp_ratio=(2, 2))
    with pytest.raises(ValueError, match=r"CrossViT: expected input of shape \(N, 3, H, W\); "
                                         r"got \(1, 1, 24, 24\)"):
        net(lucid.random.randn(1, 1, 24, 24))
    with pytest.raises(TypeError, match="CrossViT: input must be a Tensor; got ndarray"):
        net(np.zeros((1, 3, 24, 24)))
    with pytest.raises(ValueError, match=r"CrossViT: embed_dim must give two or more"):
        models.CrossViT(embed_dim=(8,))
    with pytest.raises(ValueError, match=r"CrossViT: num_heads must be 2 positive ints \(one "
                                         r"per branch\); got \(6, 6, 6\)"):
        models.CrossViT(num_heads=(6, 6, 6))
    with pytest.raises(ValueError, match=r"CrossViT: depth must be one \(2 block counts, 0 or "
                                         r"1 cross-attention\) entry per encoder"):
        models.CrossViT(depth=((1, 4, 2),))
    with pytest.raises(ValueError, match=r"each patch_size must divide its img_size \(and be "
                                         r"12 or 16 when multi_conv\); got \(12, 16\) for "
                                         r"\(240, 200\)"):
        models.CrossViT(img_size=(240, 200))
    with pytest.raises(ValueError, match=r"got \(8, 16\) for \(240, 224\)"):
        models.CrossViT(patch_size=(8, 16), multi_conv=True)
