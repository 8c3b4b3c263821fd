"""lucid.models.vit and lucid.models.transformer: shapes, parameter counts (torchvision's
published ViT-B/16 count, the same architectures built in torch.nn, hand formulas),
values and gradients equal to torch re-implementations after copying the weights,
masks, greedy decoding and bad input."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.models import _registry
from lucid.models import transformer as seq2seq
from lucid.testing import assert_close, gradcheck
from tests import reference_models as ref
from tests.conftest import torch

VIT_B_16_PARAMS = 86_567_656          # torchvision's published count (1000 classes)
needs_torch = pytest.mark.torch


@pytest.fixture
def skip_init(monkeypatch):
    """Build the big models without drawing their random weights (seconds for 60-90 M
    numbers): the architecture, so the count, is unchanged. Initialisation itself is
    tested on the small models below."""
    for fn in ("uniform", "normal", "constant", "zeros", "ones", "xavier_uniform",
               "xavier_normal", "kaiming_uniform", "kaiming_normal"):
        monkeypatch.setattr(nn.init, fn, lambda tensor, *args, **kwargs: tensor)


def _vit_count(image, patch, layers, dim, mlp, classes, channels=3):
    """ViT parameters by hand: patches, class token, positions, layers, last LN, head."""
    per_layer = (4 * dim * dim + 4 * dim) + (2 * dim * mlp + mlp + dim) + 4 * dim
    tokens = (image // patch) ** 2 + 1
    return (channels * patch * patch * dim + dim + dim + tokens * dim + layers * per_layer
            + 2 * dim + dim * classes + classes)


def _transformer_count(d, ff, n_enc, n_dec):
    """nn.Transformer parameters by hand (the formula of lucid.models.transformer)."""
    enc = 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d
    dec = 8 * d * d + 8 * d + 2 * d * ff + ff + d + 6 * d
    return n_enc * enc + 2 * d + n_dec * dec + 2 * d


# ----------------------------------------------------------------- registry, counts
def test_registered():
    names = models.get_model_names()
    for name in ("vit_cifar", "vit_tiny", "vit_base", "transformer_tiny", "transformer_base"):
        assert name in names
        assert _registry._MODELS[name] is getattr(models, name)
    for alias, name in (("vit_b_16", "vit_base"), ("vit_l_16", "vit_large")):
        assert _registry._MODELS[alias] is getattr(models, alias) is getattr(models, name)
    assert models.list_models("vit") == ["vit_cifar", "vit_tiny", "vit_small", "vit_base",
                                         "vit_large", "vit_huge"]


def test_vit_b_16_count_equals_torchvision(skip_init):
    model = models.create_model("vit_b_16")
    assert model.count_parameters() == VIT_B_16_PARAMS
    assert _vit_count(224, 16, 12, 768, 3072, 1000) == VIT_B_16_PARAMS
    state = model.state_dict()
    assert state["encoder.pos_embedding"].shape == (1, 197, 768)
    assert state["encoder.layers.encoder_layer_11.mlp.3.weight"].shape == (768, 3072)
    assert "encoder.layers.encoder_layer_12.ln_1.weight" not in state


# the original lucid's table (ViT-X/16 at 224 x 224, 1000 classes): (L, D, count)
VIT_TABLE = {"vit_tiny": (12, 192, 5_717_416), "vit_small": (12, 384, 22_050_664),
             "vit_base": (12, 768, 86_567_656), "vit_large": (24, 1024, 304_326_632),
             "vit_huge": (32, 1280, 632_199_400)}


@pytest.mark.parametrize("name", sorted(VIT_TABLE))
def test_vit_counts_equal_the_original_table(name):
    layers, dim, count = VIT_TABLE[name]
    with nn.shape_only():
        model = models.create_model(name)
    assert model.count_parameters() == count == _vit_count(224, 16, layers, dim, 4 * dim, 1000)
    assert len(model.encoder.layers) == layers and model.hidden_dim == dim


def test_vit_huge_with_14_pixel_patches_is_torchvisions_vit_h_14():
    with nn.shape_only():
        assert models.vit_huge(patch_size=14).count_parameters() == 632_045_800


# timm's ViTs of the same sizes (their attention holds one qkv Linear: the same count)
# (timm has no ViT-H/16 at 224: its ViT-H/14 with 16-pixel patches)
TIMM_VIT = {"vit_tiny": ("vit_tiny_patch16_224", {}), "vit_small": ("vit_small_patch16_224", {}),
            "vit_base": ("vit_base_patch16_224", {}), "vit_large": ("vit_large_patch16_224", {}),
            "vit_huge": ("vit_huge_patch14_224", {"patch_size": 16, "num_classes": 1000})}


@pytest.mark.timm
@pytest.mark.parametrize("name", sorted(TIMM_VIT))
def test_vit_counts_equal_timm(torch, name):
    timm = ref.timm()
    with torch.device("meta"):
        reference = timm.create_model(TIMM_VIT[name][0], **TIMM_VIT[name][1])
    assert sum(p.numel() for p in reference.parameters()) == VIT_TABLE[name][2]


@pytest.mark.torchvision
def test_vit_counts_equal_torchvision(torch):
    tv = ref.torchvision()
    for name, builder, kwargs in (("vit_base", "vit_b_16", {}), ("vit_large", "vit_l_16", {}),
                                  ("vit_huge", "vit_h_14", {"patch_size": 14})):
        with torch.device("meta"):
            reference = getattr(tv.models, builder)()
        with nn.shape_only():
            model = models.create_model(name, **kwargs)
        assert model.count_parameters() == sum(p.numel() for p in reference.parameters())
        assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in reference.state_dict().items()], name


def test_vit_cifar_count_by_hand():
    assert models.vit_cifar().count_parameters() == _vit_count(32, 4, 6, 192, 768, 10) \
        == 2_693_578
    deep = models.vit_cifar(num_layers=12, num_classes=100, in_channels=1, image_size=28,
                           patch_size=7)
    assert deep.count_parameters() == _vit_count(28, 7, 12, 192, 768, 100, channels=1)


def test_transformer_counts(skip_init):
    base = models.transformer_base()
    assert base.share_embeddings
    assert base.transformer.count_parameters() == _transformer_count(512, 2048, 6, 6) \
        == 44_140_544
    assert base.count_parameters() == 44_140_544 + 37_000 * 512 + 37_000 == 63_121_544
    unshared = models.transformer_base(share_embeddings=False)
    assert unshared.count_parameters() == 44_140_544 + 3 * 37_000 * 512 + 37_000


def test_transformer_big_count_and_the_original_tables_vocabulary():
    """The paper's shared 37,000-token vocabulary; the original lucid's counts are the
    same stacks with two separate 12,000-token vocabularies."""
    with nn.shape_only():
        big = models.transformer_big()
        original = {name: models.create_model(name, src_vocab_size=12_000,
                                              tgt_vocab_size=12_000, share_embeddings=False)
                    for name in ("transformer_base", "transformer_big")}
    assert big.transformer.count_parameters() == _transformer_count(1024, 4096, 6, 6) \
        == 176_361_472
    assert big.count_parameters() == 176_361_472 + 37_000 * 1024 + 37_000 == 214_286_472
    assert big.transformer.encoder.layers[0].self_attn.num_heads == 16
    assert original["transformer_base"].count_parameters() == 62_584_544
    assert original["transformer_big"].count_parameters() == 213_237_472


def test_transformer_tiny_count():
    model = models.transformer_tiny()
    assert model.transformer.count_parameters() == _transformer_count(64, 256, 2, 2)
    assert model.count_parameters() == _transformer_count(64, 256, 2, 2) + 64_000 + 1_000 \
        == 298_728


@needs_torch
def test_counts_equal_torch_built_architectures():
    reference = _torch_vit(32, 4, 6, 3, 192, 768, 10)
    assert sum(p.numel() for p in reference.parameters()) == models.vit_cifar().count_parameters()
    torch_transformer = torch.nn.Transformer(64, 4, 2, 2, 256, batch_first=True)
    assert sum(p.numel() for p in torch_transformer.parameters()) == \
        models.transformer_tiny().transformer.count_parameters()


# ------------------------------------------------------------------------ ViT shapes
def _small_vit(**kwargs):
    config = dict(image_size=8, patch_size=4, num_layers=2, num_heads=2, hidden_dim=8,
                  mlp_dim=16, num_classes=5)
    return models.VisionTransformer(**{**config, **kwargs})


def test_vit_cifar_forward_shape():
    model = models.vit_cifar().eval()
    with lucid.no_grad():
        out = model(lucid.random.randn(2, 3, 32, 32))
    assert out.shape == (2, 10) and out.dtype == np.float32
    assert np.isfinite(out.data).all()


def test_vit_variants_shapes():
    grey = _small_vit(in_channels=1, image_size=12, patch_size=3).eval()
    assert grey(lucid.random.randn(3, 1, 12, 12)).shape == (3, 5)
    assert grey.encoder.pos_embedding.shape == (1, 17, 8)
    pre = _small_vit(representation_size=6)
    assert [name for name, _ in pre.heads.named_children()] == ["pre_logits", "act", "head"]
    assert pre.heads.head.in_features == 6
    assert pre(lucid.random.randn(2, 3, 8, 8)).shape == (2, 5)


def test_vit_torchvision_names():
    keys = list(_small_vit(num_layers=1).state_dict())
    prefix = "encoder.layers.encoder_layer_0."
    assert keys == ["class_token", "conv_proj.weight", "conv_proj.bias", "encoder.pos_embedding",
                    *(prefix + k for k in (
                        "ln_1.weight", "ln_1.bias", "self_attention.in_proj_weight",
                        "self_attention.in_proj_bias", "self_attention.out_proj.weight",
                        "self_attention.out_proj.bias", "ln_2.weight", "ln_2.bias",
                        "mlp.0.weight", "mlp.0.bias", "mlp.3.weight", "mlp.3.bias")),
                    "encoder.ln.weight", "encoder.ln.bias", "heads.head.weight",
                    "heads.head.bias"]


def test_vit_torchvision_initialisation():
    lucid.random.seed(0)
    model = models.vit_cifar()
    assert (model.class_token.data == 0).all()
    assert (model.heads.head.weight.data == 0).all() and (model.heads.head.bias.data == 0).all()
    assert abs(model.encoder.pos_embedding.data.std() - 0.02) < 0.001
    assert abs(model.conv_proj.weight.data.std() - math.sqrt(1 / 48)) < 0.01 * math.sqrt(1 / 48)
    assert (model.conv_proj.bias.data == 0).all()
    mlp = model.encoder.layers.encoder_layer_3.mlp
    bound = math.sqrt(6 / (192 + 768))                           # Xavier-uniform
    assert np.abs(mlp[0].weight.data).max() <= bound
    assert abs(mlp[0].weight.data.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert 0 < np.abs(mlp[3].bias.data).max() < 1e-5
    ln = model.encoder.ln
    assert ln.eps == 1e-6 and (ln.weight.data == 1).all()


def test_vit_zero_head_lets_only_the_head_learn_first():
    """torchvision's zero head: at the first step only the head has a gradient."""
    model = _small_vit()
    loss = nn.functional.cross_entropy(model(lucid.random.randn(2, 3, 8, 8)),
                                       lucid.Tensor(np.array([0, 3])))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert np.any(p.grad != 0) == name.startswith("heads."), name


def test_vit_gradients_reach_every_parameter():
    lucid.random.seed(1)
    model = _small_vit(dropout=0.1, attention_dropout=0.1)
    nn.init.normal(model.heads.head.weight, std=0.1)             # leave the zero start
    nn.init.normal(model.class_token, std=0.1)
    out = model(lucid.random.randn(3, 3, 8, 8))
    nn.functional.cross_entropy(out, lucid.Tensor(np.array([0, 1, 4]))).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        assert np.any(p.grad != 0), name


def test_gradcheck_vit_encoder_block():
    lucid.random.seed(0)
    block = models.ViTEncoderBlock(num_heads=2, hidden_dim=4, mlp_dim=6).double()
    x = lucid.Tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcheck(block, [x])


def test_vit_bad_input():
    model = _small_vit()
    with pytest.raises(ValueError, match=r"VisionTransformer: expected input of shape "
                                         r"\(N, 3, 8, 8\); got \(2, 3, 16, 16\)"):
        model(lucid.random.randn(2, 3, 16, 16))
    with pytest.raises(ValueError, match=r"VisionTransformer: expected input of shape "
                                         r"\(N, 3, 8, 8\); got \(3, 8, 8\)"):
        model(lucid.random.randn(3, 8, 8))
    with pytest.raises(TypeError, match="VisionTransformer: input must be a Tensor; got ndarray"):
        model(np.zeros((1, 3, 8, 8), np.float32))
    with pytest.raises(ValueError, match=r"patch_size \(3\) must divide image_size \(8\)"):
        _small_vit(patch_size=3)
    with pytest.raises(ValueError, match="embed_dim .* divisible by num_heads"):
        _small_vit(num_heads=3)
    with pytest.raises(TypeError, match="VisionTransformer: image_size must be a positive int"):
        _small_vit(image_size=8.0)
    with pytest.raises(ValueError, match=r"ViTEncoder: expected input of shape \(N, 5, 8\)"):
        model.encoder(lucid.random.randn(1, 4, 8))


# --------------------------------------------------- ViT values against torch.nn
def _torch_vit(image, patch, layers, heads, dim, mlp, classes, channels=3):
    """torchvision's ViT layout, written in plain torch.nn (no dropout)."""
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = tnn.LayerNorm(dim, eps=1e-6)
            self.self_attention = tnn.MultiheadAttention(dim, heads, batch_first=True)
            self.dropout = tnn.Dropout(0.0)
            self.ln_2 = tnn.LayerNorm(dim, eps=1e-6)
            self.mlp = tnn.Sequential(tnn.Linear(dim, mlp), tnn.GELU(), tnn.Dropout(0.0),
                                      tnn.Linear(mlp, dim), tnn.Dropout(0.0))

        def forward(self, x):
            y = self.ln_1(x)
            x = x + self.dropout(self.self_attention(y, y, y, need_weights=False)[0])
            return x + self.mlp(self.ln_2(x))

    class Encoder(tnn.Module):
        def __init__(self, seq):
            super().__init__()
            self.pos_embedding = tnn.Parameter(torch.randn(1, seq, dim) * 0.5)
            self.dropout = tnn.Dropout(0.0)
            self.layers = tnn.Sequential(OrderedDict(
                (f"encoder_layer_{i}", Block()) for i in range(layers)))
            self.ln = tnn.LayerNorm(dim, eps=1e-6)

        def forward(self, x):
            return self.ln(self.layers(self.dropout(x + self.pos_embedding)))

    class ViT(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv_proj = tnn.Conv2d(channels, dim, patch, stride=patch)
            self.class_token = tnn.Parameter(torch.randn(1, 1, dim))
            self.encoder = Encoder((image // patch) ** 2 + 1)
            self.heads = tnn.Sequential(OrderedDict(head=tnn.Linear(dim, classes)))

        def forward(self, x):
            n = x.shape[0]
            x = self.conv_proj(x).reshape(n, dim, -1).permute(0, 2, 1)
            x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
            return self.heads(self.encoder(x)[:, 0])

    return ViT()


def _copy_from_torch(lucid_model, torch_model):
    state = torch_model.state_dict()
    assert list(lucid_model.state_dict()) == list(state)      # same names, same order
    lucid_model.load_state_dict(state)


def _compare_gradients(lucid_model, torch_model, rtol, atol):
    grads = dict(torch_model.named_parameters())
    for name, p in lucid_model.named_parameters():
        assert_close(p.grad, grads[name].grad.numpy(), rtol=rtol, atol=atol)


@needs_torch
def test_vit_values_and_gradients_equal_torch():
    torch.manual_seed(0)
    reference = _torch_vit(image=8, patch=4, layers=2, heads=2, dim=8, mlp=16, classes=5)
    model = _small_vit()
    _copy_from_torch(model, reference)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 3, 8, 8)).astype(np.float32)
    weight = rng.standard_normal((3, 5)).astype(np.float32)
    model.eval(), reference.eval()
    expected = reference(torch.tensor(x))
    out = model(lucid.Tensor(x))
    assert_close(out, expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    (expected * torch.tensor(weight)).sum().backward()
    (out * lucid.Tensor(weight)).sum().backward()
    _compare_gradients(model, reference, rtol=1e-3, atol=1e-5)


# ------------------------------------------------------------------- Transformer
def test_positional_encoding_table():
    d, length = 6, 5
    expected = np.zeros((length, d))
    for p in range(length):                           # the paper's formula, one entry each
        for i in range(d // 2):
            expected[p, 2 * i] = math.sin(p / 10000 ** (2 * i / d))
            expected[p, 2 * i + 1] = math.cos(p / 10000 ** (2 * i / d))
    pe = models.PositionalEncoding(d, dropout=0.0, max_len=length)
    x = lucid.random.randn(2, length, d)
    assert_close(pe(x), x.data + expected.astype(np.float32), rtol=1e-6, atol=1e-6)
    assert "pe" not in pe.state_dict() and len(list(pe.buffers())) == 1
    odd = seq2seq.sinusoidal_table(3, 5)                       # an odd size keeps its sines
    assert_close(odd[:, 4], np.sin(np.arange(3) / 10000 ** (4 / 5)).astype(np.float32))
    with pytest.raises(ValueError, match=r"PositionalEncoding: expected input of shape "
                                         r"\(N, L, 6\) with L <= max_len = 5; got \(1, 6, 6\)"):
        pe(lucid.random.randn(1, 6, 6))


def _small_seq2seq(**kwargs):
    config = dict(src_vocab_size=11, tgt_vocab_size=13, d_model=8, nhead=2,
                  num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                  dropout=0.0, max_len=20)
    return models.Seq2SeqTransformer(**{**config, **kwargs})


def _batch():
    src = lucid.Tensor(np.array([[1, 2, 3, 4, 5], [6, 7, 8, 0, 0]]))
    tgt = lucid.Tensor(np.array([[1, 9, 10, 12], [1, 3, 0, 0]]))
    src_pad = np.array([[False] * 5, [False] * 3 + [True] * 2])
    tgt_pad = np.array([[False] * 4, [False] * 2 + [True] * 2])
    return src, tgt, src_pad, tgt_pad


def test_seq2seq_forward_backward_with_masks():
    lucid.random.seed(0)
    model = _small_seq2seq(dropout=0.1)
    src, tgt, src_pad, tgt_pad = _batch()
    logits = model(src, tgt, tgt_mask=model.causal_mask(4),
                   src_key_padding_mask=lucid.Tensor(src_pad),
                   tgt_key_padding_mask=lucid.Tensor(tgt_pad),
                   memory_key_padding_mask=lucid.Tensor(src_pad))
    assert logits.shape == (2, 4, 13) and logits.dtype == np.float32
    labels = lucid.Tensor(np.array([9, 10, 12, 2, 3, 2, 0, 0]))
    nn.functional.cross_entropy(logits.reshape(8, 13), labels).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        assert np.any(p.grad != 0), name


def test_seq2seq_causal_and_padding_masks_hide_what_they_should():
    model = _small_seq2seq().eval()
    src, tgt, src_pad, _ = _batch()
    mask = model.causal_mask(4)
    with lucid.no_grad():
        base = model(src, tgt, tgt_mask=mask, src_key_padding_mask=lucid.Tensor(src_pad),
                     memory_key_padding_mask=lucid.Tensor(src_pad)).data
        later = tgt.data.copy()
        later[:, 2:] = 5                                    # change only later targets
        changed_tgt = model(src, lucid.Tensor(later), tgt_mask=mask,
                            src_key_padding_mask=lucid.Tensor(src_pad),
                            memory_key_padding_mask=lucid.Tensor(src_pad)).data
        padded = src.data.copy()
        padded[1, 3:] = 9                                   # change only padded sources
        changed_src = model(lucid.Tensor(padded), tgt, tgt_mask=mask,
                            src_key_padding_mask=lucid.Tensor(src_pad),
                            memory_key_padding_mask=lucid.Tensor(src_pad)).data
    assert_close(changed_tgt[:, :2], base[:, :2], rtol=1e-6, atol=1e-6)
    assert not np.allclose(changed_tgt[:, 2:], base[:, 2:])
    assert_close(changed_src, base, rtol=1e-6, atol=1e-6)


def test_shared_embeddings_are_one_matrix():
    model = models.transformer_tiny(src_vocab_size=17, tgt_vocab_size=17, dropout=0.0)
    assert model.src_embedding is model.tgt_embedding
    assert model.generator.weight is model.tgt_embedding.weight
    src = lucid.Tensor(np.array([[1, 2, 3]]))
    model(src, src, tgt_mask=model.causal_mask(3)).sum().backward()
    assert model.generator.weight.grad is not None
    separate = models.transformer_tiny(src_vocab_size=17, tgt_vocab_size=18)
    assert separate.src_embedding is not separate.tgt_embedding
    assert abs(separate.src_embedding.weight.data.std() - 64 ** -0.5) < 0.01


def test_greedy_decode_agrees_with_teacher_forcing():
    lucid.random.seed(3)
    model = _small_seq2seq().eval()
    src, _, src_pad, _ = _batch()
    pad = lucid.Tensor(src_pad)
    out = model.greedy_decode(src, start_token=1, max_len=6, src_key_padding_mask=pad)
    assert out.shape == (2, 6) and out.dtype == np.int64 and (out.data[:, 0] == 1).all()
    with lucid.no_grad():                   # each token is the argmax given its prefix
        logits = model(src, lucid.Tensor(out.data[:, :-1]), tgt_mask=model.causal_mask(5),
                       src_key_padding_mask=pad, memory_key_padding_mask=pad)
    assert (logits.data.argmax(-1) == out.data[:, 1:]).all()
    # an end token stops a row: what follows it is the end token again
    end = int(out.data[0, 2])
    stopped = model.greedy_decode(src, start_token=1, max_len=6, end_token=end,
                                  src_key_padding_mask=pad).data
    first = [list(row).index(end) if end in row[1:] else None for row in stopped]
    for row, at in zip(stopped, first):
        if at is not None:
            assert (row[at:] == end).all()


def test_seq2seq_bad_input():
    model = _small_seq2seq()
    src, tgt, _, _ = _batch()
    with pytest.raises(ValueError, match=r"Seq2SeqTransformer: expected src of integer token "
                                         r"ids of shape \(N, L\); got shape \(2, 5\) and "
                                         r"dtype float32"):
        model(lucid.Tensor(src.data.astype(np.float32)), tgt)
    with pytest.raises(ValueError, match=r"expected tgt of integer token ids .* got shape \(4,\)"):
        model(src, lucid.Tensor(np.arange(4)))
    with pytest.raises(TypeError, match="Seq2SeqTransformer: src must be a Tensor of token ids"):
        model([[1, 2]], tgt)
    with pytest.raises(ValueError, match="src and tgt must have the same batch size"):
        model(src, lucid.Tensor(tgt.data[:1]))
    with pytest.raises(ValueError, match="max_len = 20"):
        model(lucid.Tensor(np.ones((1, 21), np.int64)), lucid.Tensor(np.ones((1, 2), np.int64)))
    with pytest.raises(ValueError, match=r"share_embeddings needs one vocabulary size; got "
                                         r"src_vocab_size=11 and tgt_vocab_size=13"):
        _small_seq2seq(share_embeddings=True)
    with pytest.raises(TypeError, match="share_embeddings must be a bool"):
        _small_seq2seq(share_embeddings=1)
    with pytest.raises(TypeError, match="d_model must be a positive int"):
        _small_seq2seq(d_model=0)


@needs_torch
def test_seq2seq_values_and_gradients_equal_torch():
    tnn = torch.nn
    d, max_len = 8, 20

    class TorchSeq2Seq(tnn.Module):
        def __init__(self):
            super().__init__()
            self.src_embedding, self.tgt_embedding = tnn.Embedding(11, d), tnn.Embedding(13, d)
            self.transformer = tnn.Transformer(d, 2, 2, 2, 16, dropout=0.0, batch_first=True)
            self.generator = tnn.Linear(d, 13)
            position = torch.arange(max_len, dtype=torch.float64)[:, None]
            angle = position / 10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
            self.pe = torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(max_len, d).float()

        def embed(self, table, tokens):
            return table(tokens) * math.sqrt(d) + self.pe[:tokens.shape[1]]

        def forward(self, src, tgt, **masks):
            out = self.transformer(self.embed(self.src_embedding, src),
                                   self.embed(self.tgt_embedding, tgt), **masks)
            return self.generator(out)

    torch.manual_seed(0)
    reference = TorchSeq2Seq()
    model = _small_seq2seq()
    _copy_from_torch(model, reference)
    src, tgt, src_pad, tgt_pad = _batch()
    additive = lambda hide: torch.tensor(np.where(hide, -np.inf, 0.0).astype(np.float32))
    causal = np.triu(np.ones((4, 4), bool), 1)       # torch wants one mask type: float here
    torch_masks = dict(tgt_mask=additive(causal), src_key_padding_mask=additive(src_pad),
                       tgt_key_padding_mask=additive(tgt_pad),
                       memory_key_padding_mask=additive(src_pad))
    expected = reference(torch.tensor(src.data), torch.tensor(tgt.data), **torch_masks)
    out = model(src, tgt, tgt_mask=model.causal_mask(4),
                src_key_padding_mask=lucid.Tensor(src_pad),
                tgt_key_padding_mask=lucid.Tensor(tgt_pad),
                memory_key_padding_mask=lucid.Tensor(src_pad))
    assert_close(out, expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    weight = np.random.default_rng(1).standard_normal((2, 4, 13)).astype(np.float32)
    (expected * torch.tensor(weight)).sum().backward()
    (out * lucid.Tensor(weight)).sum().backward()
    _compare_gradients(model, reference, rtol=1e-3, atol=1e-5)
