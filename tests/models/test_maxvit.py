"""lucid.models.maxvit: MaxViT. Values and gradients equal timm's MaxxVit (the authors'
TF configuration) with the same weights on a small configuration (the code is the same
at every size), counts against timm's ``maxvit_*_tf_224`` and against the original
lucid's table (its differences explained by formula), gradcheck of the block, and bad
input."""
import functools
import re

import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.testing import assert_close, gradcheck
from tests import reference_models as ref
from tests.models.test_counts import COUNTS

# the original lucid's table
ORIGINAL = {"maxvit_tiny": 25_081_416, "maxvit_small": 55_757_304, "maxvit_base": 96_626_776,
            "maxvit_large": 171_187_880, "maxvit_xlarge": 383_734_024}
CONFIGS = {"maxvit_tiny": (64, (64, 128, 256, 512), (2, 2, 5, 2)),
           "maxvit_small": (64, (96, 192, 384, 768), (2, 2, 5, 2)),
           "maxvit_base": (64, (96, 192, 384, 768), (2, 6, 14, 2)),
           "maxvit_large": (128, (128, 256, 512, 1024), (2, 6, 14, 2)),
           "maxvit_xlarge": (192, (192, 384, 768, 1536), (2, 6, 14, 2))}
SMALL = dict(depths=(2, 1), channels=(16, 32), embed_dim=16, head_dim=8, grid_window_size=2,
             num_classes=5)


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_family_listing_and_counts():
    assert models.list_models("maxvit") == list(CONFIGS)
    for name in CONFIGS:
        with nn.shape_only():
            assert models.create_model(name).count_parameters() == COUNTS[name], name


def _original_count(stem, channels, depths, classes=1000, window=7):
    """The original lucid 2.2.2's MaxViT, counted by formula: its MBConv is BN, a 1x1
    convolution C_in -> C_in, a depthwise 3x3 and a pointwise C_in -> C (no biases), BN,
    SE (C/4), a 1x1 convolution C -> C, and a max-pool + 1x1 shortcut in every first block;
    its attention has 32 heads at every width; its head is one Linear layer."""
    total = 3 * stem * 9 + stem + stem * stem * 9 + stem          # stem: two biased convs
    table = (2 * window - 1) ** 2 * 32
    width = stem
    for c, depth in zip(channels, depths):
        for i in range(depth):
            cin = width if i == 0 else c
            mbconv = (2 * cin + cin * cin + cin + cin * 9 + cin * c + 2 * c
                      + c * (c // 4) + c // 4 + (c // 4) * c + c + c * c + c)
            shortcut = cin * c + c if i == 0 else 0
            attention = 2 * (2 * c + 3 * c * c + 3 * c + c * c + c + table + 2 * c
                             + 8 * c * c + 4 * c + c)
            total += mbconv + shortcut + attention
        width = c
    return total + width * classes + classes


@pytest.mark.parametrize("name", list(CONFIGS))
def test_counts_differ_from_the_original_by_its_architecture(name):
    """The original's count is reproduced by formula (so the difference is understood):
    no expansion in its MBConv, 32 heads everywhere, a bare Linear head."""
    assert _original_count(*CONFIGS[name]) == ORIGINAL[name]
    assert COUNTS[name] > ORIGINAL[name]


@pytest.mark.timm
@pytest.mark.parametrize("name", list(CONFIGS))
def test_counts_equal_timm(torch, name):
    timm = ref.timm()
    with torch.device("meta"):
        reference = timm.create_model(f"{name}_tf_224", num_classes=1000)
    assert COUNTS[name] == sum(p.numel() for p in reference.parameters())


# ------------------------------------------------------------- weights from timm
_RENAMES = [                           # timm's names -> lucid's (applied in order)
    (r"^stem\.conv1\.", "stem.0."), (r"^stem\.norm1\.", "stem.1."), (r"^stem\.conv2\.", "stem.3."),
    (r"^stages\.(\d+)\.blocks\.(\d+)\.", r"stages.\1.\2."),
    (r"conv\.shortcut\.expand\.", "mbconv.shortcut.project."),
    (r"conv\.pre_norm\.", "mbconv.residual.pre_norm."),
    (r"conv\.conv1_1x1\.", "mbconv.residual.expand.0."),
    (r"conv\.norm1\.", "mbconv.residual.expand.1."),
    (r"conv\.conv2_kxk\.", "mbconv.residual.depthwise.0."),
    (r"conv\.norm2\.", "mbconv.residual.depthwise.1."),
    (r"conv\.se\.", "mbconv.residual.se."),
    (r"conv\.conv3_1x1\.", "mbconv.residual.project."),
    (r"attn_block\.", "block_attn."), (r"attn_grid\.", "grid_attn."),
    (r"attn\.rel_pos\.relative_position_bias_table", "attn.relative_position_bias_table"),
    (r"mlp\.fc1\.", "mlp.0."), (r"mlp\.fc2\.", "mlp.3."),
    (r"^head\.norm\.", "norm."), (r"^head\.pre_logits\.fc\.", "pre_logits.0."),
    (r"^head\.fc\.", "head."),
]


def _lucid_name(name):
    for pattern, replacement in _RENAMES:
        name = re.sub(pattern, replacement, name)
    return name


def _to_lucid(name, value):
    """timm's tensor as lucid's: the TF-layout bias table ``(h, 2G-1, 2G-1)`` is indexed
    by key - query, lucid's ``((2G-1)^2, h)`` by query - key: flip both offset axes."""
    if name.endswith("relative_position_bias_table"):
        return value[:, ::-1, ::-1].reshape(value.shape[0], -1).T
    return value


def _timm_small(torch, timm):
    from timm.models.maxxvit import MaxxVit, MaxxVitCfg, MaxxVitConvCfg, MaxxVitTransformerCfg
    cfg = MaxxVitCfg(
        embed_dim=(16, 32), depths=(2, 1), block_type=("M", "M"), stem_width=16,
        stem_bias=True, head_hidden_size=32,
        # the authors' configuration (timm's _tf_cfg) but PyTorch's symmetric padding
        conv_cfg=MaxxVitConvCfg(norm_eps=1e-3, act_layer="gelu_tanh", padding=""),
        transformer_cfg=MaxxVitTransformerCfg(norm_eps=1e-5, act_layer="gelu_tanh",
                                              head_first=False, rel_pos_type="bias_tf",
                                              dim_head=8, window_size=2))
    torch.manual_seed(0)
    reference = MaxxVit(cfg, img_size=32, num_classes=5)
    with torch.no_grad():                # every bias and norm away from its start
        for key, p in reference.named_parameters():
            if p.ndim == 1 or "relative_position" in key:
                p.normal_(0, 0.5)
            if key.endswith("norm1.weight") or key.endswith("norm2.weight") \
                    or "pre_norm.weight" in key:
                p.add_(1.0)
    return reference.double()


@pytest.mark.timm
def test_values_and_gradients_equal_timm(torch):
    """Two stages (maps 8 x 8 and 4 x 4, windows and grids of 2 x 2), shortcuts of all
    three kinds (pool only, pool and projection, identity), in float64: eval-mode
    outputs, then a training step's outputs and every parameter's gradient."""
    timm = ref.timm()
    reference = _timm_small(torch, timm)
    model = models.MaxViT(act_layer=functools.partial(nn.GELU, approximate="tanh"),
                          **SMALL).double()
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    assert len(params) == len(list(reference.parameters()))
    for key, t in [*reference.named_parameters(), *reference.named_buffers()]:
        if "lookup" in key or "num_batches" in key:
            continue                     # constants each builds (timm's one-hot lookups)
        target = params.get(_lucid_name(key), buffers.get(_lucid_name(key)))
        assert target is not None, key
        value = _to_lucid(key, t.detach().numpy())
        assert value.size == target.data.size, key
        target.data[...] = value.reshape(target.shape)
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32))
    reference.eval()
    model.eval()
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    with lucid.no_grad():
        assert_close(model(lucid.Tensor(x)).data, expected, rtol=1e-6, atol=1e-8)

    reference.train()
    model.train()
    weights = np.random.default_rng(1).standard_normal(expected.shape)
    t_out = reference(torch.from_numpy(x))
    (t_out * torch.from_numpy(weights)).sum().backward()
    out = model(lucid.Tensor(x))
    (out * lucid.Tensor(weights)).sum().backward()
    assert_close(out.data, t_out.detach().numpy(), rtol=1e-6, atol=1e-8)
    scale = max(float(p.grad.abs().max()) for p in reference.parameters())
    for key, t in reference.named_parameters():
        got = params[_lucid_name(key)].grad
        assert got is not None, key
        want = _to_lucid(key, t.grad.numpy())
        assert_close(got.reshape(want.shape), want, rtol=1e-6, atol=1e-8 * scale)


# ------------------------------------------------------------------ the blocks
def test_block_layout_and_start():
    model = models.MaxViT(drop_path=0.3, **SMALL)
    first, second = model.stages[0][0], model.stages[0][1]
    assert [n for n, _ in first.mbconv.shortcut.named_children()] == ["pool"]      # 16 -> 16
    assert second.mbconv.shortcut is None and second.mbconv.use_shortcut
    assert [n for n, _ in model.stages[1][0].mbconv.shortcut.named_children()] == \
        ["pool", "project"]
    attn = first.block_attn.attn
    assert isinstance(attn, nn.WindowAttention) and attn.shift_size == (0, 0)
    assert isinstance(first.grid_attn.attn, nn.GridAttention)
    assert attn.num_heads == 2 and model.stages[1][0].block_attn.attn.num_heads == 4
    rates = [b.block_attn.drop_path.drop_prob for stage in model.stages for b in stage
             if isinstance(b.block_attn.drop_path, nn.DropPath)]
    assert np.allclose(rates, [0.15, 0.3])
    head = model.head.weight.data
    assert abs(head.std() - 0.02) < 0.01 and (model.head.bias.data == 0).all()
    with nn.shape_only():
        tiny = models.maxvit_tiny(num_heads=32)           # the original's meaning
    assert tiny.stages[0][0].grid_attn.attn.num_heads == 32


def test_forward_backward_shapes():
    lucid.random.seed(0)
    model = models.MaxViT(**SMALL)
    out = model(lucid.random.randn(2, 3, 16, 16))          # maps 4 x 4 and 2 x 2
    assert out.shape == (2, 5) and out.dtype == np.float32
    out.sum().backward()
    for key, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, key


def test_gradcheck_block():
    lucid.random.seed(0)
    block = models.MaxViTBlock(2, 4, stride=2, head_dim=2, partition_size=2,
                               expand_ratio=1, mlp_ratio=1.0).double()
    rng = np.random.default_rng(1)
    for p in block.parameters():
        p.data[...] += rng.normal(0, 0.2, p.shape)
    block.eval()                             # batch norm on running statistics
    assert gradcheck(block, [_x(1, 2, 8, 8)])


def test_bad_input():
    model = models.MaxViT(**SMALL)
    with pytest.raises(ValueError, match=r"MaxViT: the map entering every stage must be a "
                                         r"multiple of grid_window_size \(2\); input 24 x 24 "
                                         r"gives 6 x 6 -> 3 x 3"):
        model(lucid.random.randn(1, 3, 24, 24))
    with pytest.raises(ValueError, match=r"MaxViT: expected input of shape \(N, 3, H, W\); "
                                         r"got \(1, 1, 16, 16\)"):
        model(lucid.random.randn(1, 1, 16, 16))
    with pytest.raises(TypeError, match="MaxViT: input must be a Tensor; got ndarray"):
        model(np.zeros((1, 3, 16, 16)))
    with pytest.raises(ValueError, match="depths and channels must have the same"):
        models.MaxViT(depths=(2, 2), channels=(8,))
    with pytest.raises(ValueError, match=r"MaxViTBlock: head_dim \(32\) must divide "
                                         r"out_channels \(48\)"):
        models.MaxViTBlock(16, 48)


# ------------------------------------------------------------------ torchvision
@pytest.mark.torchvision
def test_torchvision_maxvit_t_count_differs_by_its_layout(torch):
    """torchvision's maxvit_t keeps a 1x1 convolution in the shortcut of the first block
    even where the width is kept (64 -> 64: 64 * 64 + 64), and has no bias in the stem's
    first convolution (64) nor in the classifier (1000)."""
    tv = ref.torchvision()
    with torch.device("meta"):
        reference = tv.models.maxvit_t()
    assert sum(p.numel() for p in reference.parameters()) == \
        COUNTS["maxvit_tiny"] + (64 * 64 + 64) - 64 - 1000


@pytest.mark.torchvision
@pytest.mark.parametrize("kind", ["window", "grid"])
def test_attention_layers_equal_torchvision(torch, kind):
    """The block and grid layers (norm, partition, attention with its bias, MLP, both
    residuals) against torchvision's PartitionAttentionLayer, whose attention divides the
    scores by sqrt(C) (the whole width) where the paper and the authors' code divide by
    sqrt(d) of a head: the test sets its scale to the paper's."""
    tv = ref.torchvision()
    from torchvision.models.maxvit import PartitionAttentionLayer
    torch.manual_seed(0)
    theirs = PartitionAttentionLayer(8, 4, 2, kind, (6, 6), 4, torch.nn.GELU,
                                     torch.nn.LayerNorm, 0.0, 0.0, 0.0).double()
    assert tv is not None
    theirs.attn_layer[1].scale_factor = 4 ** -0.5
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_(0, 0.5)
    block = models.MaxViTBlock(8, 8, head_dim=4, partition_size=2).double()
    ours = block.block_attn if kind == "window" else block.grid_attn
    pairs = [("attn_layer.0.weight", ours.norm1.weight), ("attn_layer.0.bias", ours.norm1.bias),
             ("attn_layer.1.to_qkv.weight", ours.attn.qkv.weight),
             ("attn_layer.1.to_qkv.bias", ours.attn.qkv.bias),
             ("attn_layer.1.merge.weight", ours.attn.proj.weight),
             ("attn_layer.1.merge.bias", ours.attn.proj.bias),
             ("attn_layer.1.relative_position_bias_table", ours.attn.relative_position_bias_table),
             ("mlp_layer.0.weight", ours.norm2.weight), ("mlp_layer.0.bias", ours.norm2.bias),
             ("mlp_layer.1.weight", ours.mlp[0].weight), ("mlp_layer.1.bias", ours.mlp[0].bias),
             ("mlp_layer.3.weight", ours.mlp[3].weight), ("mlp_layer.3.bias", ours.mlp[3].bias)]
    t = dict(theirs.named_parameters())
    assert sorted(t) == sorted(key for key, _ in pairs)
    for key, p in pairs:
        p.data[...] = t[key].detach().numpy()
    x = np.random.default_rng(0).standard_normal((2, 8, 6, 6))      # torchvision: square
    seed = np.random.default_rng(1).standard_normal(x.shape)
    t_x = torch.from_numpy(x)
    t_out = theirs(t_x)
    (t_out * torch.from_numpy(seed)).sum().backward()
    out = ours(lucid.Tensor(x.transpose(0, 2, 3, 1)))
    (out * lucid.Tensor(seed.transpose(0, 2, 3, 1))).sum().backward()
    assert_close(out.data.transpose(0, 3, 1, 2), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    for key, p in pairs:
        assert_close(p.grad, t[key].grad.numpy(), rtol=1e-9, atol=1e-11)


# ------------------------------------------------------------------ docs
# multiply-adds the paper states (Table 1, 224 x 224; summarize counts two FLOPs each)
PAPER_MULTIPLY_ADDS = {"maxvit_tiny": 5.6e9, "maxvit_small": 11.7e9, "maxvit_base": 23.4e9,
                       "maxvit_large": 43.9e9}


@pytest.mark.parametrize("name", sorted(PAPER_MULTIPLY_ADDS))
def test_flops_agree_with_the_paper(name):
    """Within 5%: the paper rounds and may leave out norm and activation work."""
    from tests.models.test_zoo_docs import ZOO
    shape, params, flops = ZOO.read_flops()[name]
    assert shape == (1, 3, 224, 224) and params == COUNTS[name]
    assert abs(flops / 2 / PAPER_MULTIPLY_ADDS[name] - 1) < 0.05, flops / 2
