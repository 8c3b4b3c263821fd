"""lucid.models.swin: Swin Transformer V1 and V2. Values and gradients equal timm's with
the same weights (small configurations: the code is the same at every size), counts
against timm / torchvision and the original lucid's table (its differences explained
by formula), the window plan, gradcheck of the blocks, and bad input."""
import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.testing import gradcheck
from tests import reference_models as ref
from tests.models.test_counts import COUNTS

# the original lucid's table
ORIGINAL = {"swin_v2_tiny": 28_349_842, "swin_v2_small": 49_731_106,
            "swin_v2_base": 87_922_400, "swin_v2_large": 196_745_308,
            "swin_v2_huge": 657_796_668, "swin_v2_giant": 3_000_869_564}
EMBED = {"tiny": 96, "small": 96, "base": 128, "large": 192, "huge": 352, "giant": 512}
TIMM_SWIN = {"swin_tiny": "swin_tiny_patch4_window7_224",
             "swin_small": "swin_small_patch4_window7_224",
             "swin_base": "swin_base_patch4_window7_224",
             "swin_large": "swin_large_patch4_window7_224",
             "swin_v2_tiny": "swinv2_tiny_window8_256", "swin_v2_small": "swinv2_small_window8_256",
             "swin_v2_base": "swinv2_base_window8_256"}
SMALL = dict(img_size=32, patch_size=2, embed_dim=16, depths=(2, 2, 2), num_heads=(2, 4, 4),
             window_size=4, num_classes=5)


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def _count(name, **kwargs):
    with nn.shape_only():
        return models.create_model(name, **kwargs).count_parameters()


def test_family_listing():
    assert models.list_models("swin") == [
        "swin_tiny", "swin_small", "swin_base", "swin_large", "swin_v2_tiny", "swin_v2_small",
        "swin_v2_base", "swin_v2_large", "swin_v2_huge", "swin_v2_giant"]


@pytest.mark.parametrize("size", sorted(EMBED))
def test_v2_counts_differ_from_the_original_by_its_patch_merging(size):
    """The original lucid's V2 normalises 4C before the reduction (as V1); the V2 paper's
    code normalises 2C after it: 4 C_1 + 4 C_2 + 4 C_3 parameters fewer. Its H and G
    count 6, 12, 24, 48 heads, which do not divide C = 352 or 512 (ours: the papers' 32
    channels per head); each head of a block holds 1 + 512 parameters (its logit scale
    and its row of the position-bias MLP's last layer)."""
    name, c = f"swin_v2_{size}", EMBED[size]
    with nn.shape_only():
        model = models.create_model(name)
    extra_heads = 0
    if size in ("huge", "giant"):
        extra_heads = sum(block.attn.num_heads - 6 * 2 ** i
                          for i, stage in enumerate(model.layers) for block in stage.blocks)
    assert ORIGINAL[name] - model.count_parameters() == 4 * (c + 2 * c + 4 * c) \
        - (1 + 512) * extra_heads
    assert COUNTS[name] == model.count_parameters()


@pytest.mark.timm
@pytest.mark.parametrize("name", sorted(TIMM_SWIN))
def test_counts_equal_timm(torch, name):
    timm = ref.timm()
    with torch.device("meta"):
        reference = timm.create_model(TIMM_SWIN[name])
    assert COUNTS[name] == sum(p.numel() for p in reference.parameters())


@pytest.mark.torchvision
def test_v1_counts_equal_torchvision(torch):
    tv = ref.torchvision()
    for name, builder in (("swin_tiny", "swin_t"), ("swin_small", "swin_s"),
                          ("swin_base", "swin_b")):
        with torch.device("meta"):
            reference = getattr(tv.models, builder)()
        assert COUNTS[name] == sum(p.numel() for p in reference.parameters())


@pytest.mark.timm
@pytest.mark.parametrize("version", [1, 2])
def test_values_and_gradients_equal_timm(torch, version):
    """Three stages: shifted windows at 16 x 16 and 8 x 8, one unshifted window at 4 x 4;
    every bias and scale drawn away from its start."""
    ref.timm()
    from timm.models.swin_transformer import SwinTransformer as TimmV1
    from timm.models.swin_transformer_v2 import SwinTransformerV2 as TimmV2
    torch.manual_seed(0)
    reference = (TimmV1 if version == 1 else TimmV2)(drop_path_rate=0.0, **SMALL)
    with torch.no_grad():
        for key, p in reference.named_parameters():
            if "bias" in key or "logit_scale" in key:
                p.normal_(0, 0.5)
    model = models.SwinTransformer(version=version, **SMALL)
    ref.compare_with_reference(torch, reference, model, (2, 3, 32, 32), rtol=1e-6, atol=1e-8,
                               buffers=False)     # buffers: masks and tables, built by each


def test_window_plan():
    """Shift M // 2 in every second block; a map no larger than the window: one window."""
    model = models.SwinTransformer(**SMALL)
    plan = [(b.attn.window_size, b.attn.shift_size) for stage in model.layers
            for b in stage.blocks]
    assert plan == [((4, 4), (0, 0)), ((4, 4), (2, 2)), ((4, 4), (0, 0)), ((4, 4), (2, 2)),
                    ((4, 4), (0, 0)), ((4, 4), (0, 0))]
    with nn.shape_only():
        tiny = models.swin_tiny()
    last = tiny.layers[3].blocks[1].attn
    assert (last.window_size, last.shift_size) == ((7, 7), (0, 0))        # 7 x 7 map
    assert tiny.layers[2].blocks[1].attn.shift_size == (3, 3)
    with nn.shape_only():
        v2 = models.swin_v2_tiny()
    assert isinstance(v2.layers[0].blocks[0].attn, nn.CosineWindowAttention)
    assert v2.img_size == 256 and v2.layers[0].blocks[1].attn.window_size == (8, 8)


def test_forward_backward_shapes_and_start():
    lucid.random.seed(0)
    model = models.SwinTransformer(drop_path_rate=0.2, version=2, **SMALL)
    out = model(lucid.random.randn(2, 3, 32, 32))
    assert out.shape == (2, 5) and out.dtype == np.float32
    out.sum().backward()
    for key, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, key
    head = model.head.weight.data
    assert abs(head.std() - 0.02) < 0.005 and (model.head.bias.data == 0).all()
    rates = [b.drop_path.drop_prob for stage in model.layers for b in stage.blocks
             if isinstance(b.drop_path, nn.DropPath)]
    assert np.allclose(rates, np.linspace(0, 0.2, 6)[1:])


@pytest.mark.parametrize("version", [1, 2])
def test_gradcheck_block_and_patch_merging(version):
    lucid.random.seed(0)
    block = models.SwinTransformerBlock(4, 2, 2, shift_size=1, mlp_ratio=1.5,
                                        version=version).double()
    for p in block.parameters():
        p.data[...] += np.random.default_rng(1).normal(0, 0.2, p.shape)
    assert gradcheck(block, [_x(1, 4, 4, 4)])
    merge = models.PatchMerging(2, version=version).double()
    assert gradcheck(merge, [_x(1, 3, 4, 2)])                   # odd height: padded


def test_patch_merging_order():
    """Channels: [x(2i, 2j), x(2i+1, 2j), x(2i, 2j+1), x(2i+1, 2j+1)] (the papers' code)."""
    merge = models.PatchMerging(1)
    merge.norm.weight.data[...] = 1
    x = lucid.Tensor(np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1))
    from lucid.einops import rearrange
    joined = rearrange(x, "n (h a) (w b) c -> n h w (b a c)", a=2, b=2).data
    np.testing.assert_array_equal(joined[0, 0, 1], [2, 6, 3, 7])
    assert merge(x).shape == (1, 2, 2, 2)


def test_bad_input():
    model = models.SwinTransformer(**SMALL)
    with pytest.raises(ValueError, match=r"SwinTransformer: expected input of shape "
                                         r"\(N, 3, 32, 32\); got \(1, 3, 16, 16\)"):
        model(lucid.random.randn(1, 3, 16, 16))
    with pytest.raises(TypeError, match="SwinTransformer: input must be a Tensor; got ndarray"):
        model(np.zeros((1, 3, 32, 32)))
    with pytest.raises(ValueError, match=r"depths and num_heads must have the same"):
        models.SwinTransformer(depths=(2, 2), num_heads=(2,))
    with pytest.raises(ValueError, match=r"patch_size \(3\) must divide img_size \(32\)"):
        models.SwinTransformer(**{**SMALL, "patch_size": 3})
    with pytest.raises(ValueError, match="version must be 1 or 2"):
        models.SwinTransformer(version=3)
    with pytest.raises(ValueError, match=r"PatchMerging: expected input of shape"):
        models.PatchMerging(4)(lucid.random.randn(1, 2, 2, 3))
