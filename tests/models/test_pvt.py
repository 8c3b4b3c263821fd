"""lucid.models.pvt: PVT v1 and v2. v2's values and gradients equal timm's with the same
weights (small configurations, plain and linear SRA); counts against timm and the
papers; v1 (no reference implementation installed) by shapes, its class token and
position embeddings, gradcheck of its block; bad input."""
import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.testing import gradcheck
from tests import reference_models as ref
from tests.models.test_counts import COUNTS

V2 = ("b0", "b1", "b2", "b2_li", "b3", "b4", "b5")
SMALL_V2 = dict(embed_dims=(8, 16, 24), num_heads=(1, 2, 3), depths=(1, 2, 1),
                mlp_ratios=(2, 2, 1), sr_ratios=(4, 2, 1), num_classes=5)
SMALL_V1 = dict(img_size=32, patch_sizes=(4, 2, 2), embed_dims=(8, 16, 24), num_heads=(1, 2, 3),
                depths=(1, 2, 1), mlp_ratios=(2, 2, 1), sr_ratios=(4, 2, 1), num_classes=5)


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_family_listing():
    assert models.list_models("pvt") == ["pvt_tiny", "pvt_small", "pvt_medium", "pvt_large",
                                         "pvt_huge", *(f"pvt_v2_{v}" for v in V2)]


@pytest.mark.timm
@pytest.mark.parametrize("version", V2)
def test_v2_counts_equal_timm(torch, version):
    timm = ref.timm()
    with torch.device("meta"):
        reference = timm.create_model(f"pvt_v2_{version}")
    assert COUNTS[f"pvt_v2_{version}"] == sum(p.numel() for p in reference.parameters())


def test_v1_counts_match_the_paper():
    """PVT, Table 2: Tiny 13.2M, Small 24.5M, Medium 44.2M, Large 61.4M."""
    for name, paper in (("pvt_tiny", 13.2), ("pvt_small", 24.5), ("pvt_medium", 44.2),
                        ("pvt_large", 61.4)):
        assert round(COUNTS[name] / 1e6, 1) == paper, name


def test_v1_differs_from_the_original_by_the_attention_output_projection():
    """The original lucid's v1 attention replaced its output projection Linear(C, C) by
    a Dropout (``self.proj = nn.Dropout(attn_drop)``), so each of its blocks has
    C * C + C parameters fewer; its ``pvt_large`` has stage depths 3, 4, 27, 3 where the
    paper (Table 2) has 3, 8, 27, 3. Together they give every documented count."""
    original = {"pvt_tiny": 12_457_192, "pvt_small": 23_003_048, "pvt_medium": 41_492_648,
                "pvt_large": 55_359_848, "pvt_huge": 286_706_920}
    for name, count in original.items():
        depths = (3, 4, 27, 3) if name == "pvt_large" else None
        with nn.shape_only():
            net = getattr(models, name)(**({"depths": depths} if depths else {}))
        projections = sum(b.attn.proj.weight.size + b.attn.proj.bias.size
                          for stage in net.stages for b in stage.blocks)
        assert net.count_parameters() - projections == count, name


def test_v2_b5_differs_from_the_original_by_its_mlp_ratios():
    """The original lucid's B5 count is B5 with MLP ratios 8, 8, 4, 4 (the paper: 4
    everywhere)."""
    with nn.shape_only():
        eight = models.pvt_v2_b5(mlp_ratios=(8, 8, 4, 4))
    assert eight.count_parameters() == 82_882_984


@pytest.mark.timm
@pytest.mark.parametrize("linear", [False, True])
def test_v2_values_and_gradients_equal_timm(torch, linear):
    ref.timm()
    from timm.models.pvt_v2 import PyramidVisionTransformerV2 as TimmPVTv2
    torch.manual_seed(0)
    reference = TimmPVTv2(linear=linear, **SMALL_V2)
    with torch.no_grad():                      # biases and norms away from their start
        for key, p in reference.named_parameters():
            if "bias" in key or "norm" in key:
                p.normal_(0, 0.5)
    model = models.PyramidVisionTransformerV2(linear=linear, **SMALL_V2)
    ref.compare_with_reference(torch, reference, model, (2, 3, 64, 48), rtol=1e-6, atol=1e-8)


def test_v1_forward_backward_and_layout():
    lucid.random.seed(0)
    model = models.PyramidVisionTransformer(drop_path_rate=0.1, **SMALL_V1)
    assert [s.pos_embed.shape for s in model.stages] == [(1, 64, 8), (1, 16, 16), (1, 5, 24)]
    assert model.stages[0].patch_embed.proj.kernel_size == (4, 4)
    assert model.stages[0].blocks[0].attn.sr.stride == (4, 4)
    assert model.stages[2].blocks[0].attn.sr is None           # the class token's stage
    out = model(lucid.random.randn(2, 3, 32, 32))
    assert out.shape == (2, 5)
    out.sum().backward()
    for key, p in model.named_parameters():
        assert p.grad is not None and np.any(p.grad != 0), key


def test_v1_output_is_the_class_token():
    """Changing the class token changes the output (not by a constant: LayerNorm)."""
    lucid.random.seed(0)
    model = models.PyramidVisionTransformer(**SMALL_V1).eval()
    x = lucid.random.randn(1, 3, 32, 32)
    before = model(x).data.copy()
    model.cls_token.data[...] += np.random.default_rng(0).normal(0, 1, (1, 1, 24))
    assert not np.allclose(model(x).data, before)


@pytest.mark.parametrize("version, linear", [(1, False), (2, False), (2, True)])
def test_gradcheck_block(version, linear):
    lucid.random.seed(0)
    block = models.PVTBlock(4, 2, mlp_ratio=1.5, sr_ratio=1 if linear else 2, linear=linear,
                            version=version).double()
    for p in block.parameters():
        p.data[...] += np.random.default_rng(1).normal(0, 0.2, p.shape)
    x = _x(1, 16, 4)
    assert gradcheck(lambda t: block(t, (4, 4)), [x])


def test_v2_takes_any_input_size():
    model = models.PyramidVisionTransformerV2(**SMALL_V2)
    assert model(lucid.random.randn(1, 3, 40, 56)).shape == (1, 5)


def test_bad_input():
    v1 = models.PyramidVisionTransformer(**SMALL_V1)
    with pytest.raises(ValueError, match=r"PyramidVisionTransformer: expected input of shape "
                                         r"\(N, 3, 32, 32\); got \(1, 3, 64, 64\)"):
        v1(lucid.random.randn(1, 3, 64, 64))
    with pytest.raises(TypeError, match="PyramidVisionTransformer: input must be a Tensor"):
        models.PyramidVisionTransformerV2(**SMALL_V2)(np.zeros((1, 3, 32, 32)))
    with pytest.raises(ValueError, match="must have the same non-zero length"):
        models.PyramidVisionTransformerV2(depths=(1, 1))
    with pytest.raises(ValueError, match=r"patch_sizes \(4, 2, 2\) must have one entry per "
                                         r"stage and their product must divide img_size \(40\)"):
        models.PyramidVisionTransformer(**{**SMALL_V1, "img_size": 40})
    with pytest.raises(ValueError, match="PVTBlock: version must be 1 or 2"):
        models.PVTBlock(4, 2, version=3)
