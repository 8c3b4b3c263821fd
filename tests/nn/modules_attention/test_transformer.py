"""Transformer encoder / decoder layers, stacks and the whole model against PyTorch:
values and gradients in float32 / float64, masks, pre- and post-norm, state-dict keys
and parameter counts, errors."""
import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.nn.modules_attention._parity import call_parity

needs_torch = pytest.mark.torch
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched:UserWarning",
                                        "ignore:enable_nested_tensor:UserWarning")

# PyTorch's layout, named on both sides (lucid's default is batch first, torch's is not)
SMALL = dict(d_model=8, nhead=2, dim_feedforward=12, dropout=0.0)
SEQ_FIRST = dict(SMALL, batch_first=False)
LAYER_SETTINGS = [dict(), dict(norm_first=True), dict(activation="gelu"),
                  dict(batch_first=True, layer_norm_eps=1e-3), dict(bias=False)]


def _seq(rng, length, batch_first, n=2, e=8):
    return rng.standard_normal((n, length, e) if batch_first else (length, n, e))


def _padding(rng, n, length):
    mask = rng.random((n, length)) > 0.7
    mask[:, 0] = False
    return mask


@needs_torch
@pytest.mark.parametrize("kw", LAYER_SETTINGS, ids=str)
def test_encoder_layer_parity(float_dtype, rng, kw):
    kw = {"batch_first": False, **kw}
    bf = kw["batch_first"]
    layer = nn.TransformerEncoderLayer(**SMALL, **kw).eval()
    twin = torch.nn.TransformerEncoderLayer(**SMALL, **kw).eval()
    masks = dict(src_mask=nn.Transformer.generate_square_subsequent_mask(5).data,
                 src_key_padding_mask=_padding(rng, 2, 5))
    call_parity(layer, twin, [_seq(rng, 5, bf)], float_dtype, rng, masks)


@needs_torch
@pytest.mark.parametrize("kw", LAYER_SETTINGS, ids=str)
def test_decoder_layer_parity(float_dtype, rng, kw):
    kw = {"batch_first": False, **kw}
    bf = kw["batch_first"]
    layer = nn.TransformerDecoderLayer(**SMALL, **kw).eval()
    twin = torch.nn.TransformerDecoderLayer(**SMALL, **kw).eval()
    masks = dict(tgt_mask=nn.Transformer.generate_square_subsequent_mask(4).data,
                 memory_mask=rng.random((4, 6)) > 0.8,
                 tgt_key_padding_mask=_padding(rng, 2, 4),
                 memory_key_padding_mask=_padding(rng, 2, 6))
    call_parity(layer, twin, [_seq(rng, 4, bf), _seq(rng, 6, bf)], float_dtype, rng, masks)


@needs_torch
def test_stacks_parity(float_dtype, rng):
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(**SEQ_FIRST), 2, nn.LayerNorm(8))
    t_enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(**SEQ_FIRST), 2,
                                        torch.nn.LayerNorm(8), enable_nested_tensor=False)
    call_parity(enc.eval(), t_enc.eval(), [_seq(rng, 5, False)], float_dtype, rng,
                dict(src_key_padding_mask=_padding(rng, 2, 5)))
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(**SEQ_FIRST, norm_first=True), 2)
    t_dec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(**SEQ_FIRST,
                                                                         norm_first=True), 2)
    call_parity(dec.eval(), t_dec.eval(), [_seq(rng, 4, False), _seq(rng, 5, False)],
                float_dtype, rng,
                dict(tgt_mask=nn.Transformer.generate_square_subsequent_mask(4).data))


@needs_torch
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_parity(float_dtype, rng, batch_first):
    kw = dict(num_encoder_layers=2, num_decoder_layers=1, batch_first=batch_first, **SMALL)
    model, twin = nn.Transformer(**kw).eval(), torch.nn.Transformer(**kw).eval()
    masks = dict(tgt_mask=nn.Transformer.generate_square_subsequent_mask(4).data,
                 src_key_padding_mask=_padding(rng, 2, 6),
                 memory_key_padding_mask=_padding(rng, 2, 6))
    call_parity(model, twin, [_seq(rng, 6, batch_first), _seq(rng, 4, batch_first)],
                float_dtype, rng, masks)
    assert model.count_parameters() == sum(p.numel() for p in twin.parameters())


@needs_torch
def test_default_transformer_layout_equals_torch():
    """The full-size default model: the same keys, shapes and count as torch's."""
    model, twin = nn.Transformer(), torch.nn.Transformer()
    assert {k: v.shape for k, v in model.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in twin.state_dict().items()}
    assert model.count_parameters() == sum(p.numel() for p in twin.parameters()) == 44140544


def test_transformer_init_is_xavier():
    model = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=32)
    w = model.encoder.layers[0].linear1.weight.data                      # (32, 16)
    bound = np.sqrt(6 / (16 + 32))
    assert 0.8 * bound < np.abs(w).max() <= bound


def test_layers_are_independent_copies():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(**SMALL), 2)
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    np.testing.assert_array_equal(enc.layers[0].linear1.weight.data,
                                  enc.layers[1].linear1.weight.data)


def test_encoder_layer_gradcheck(rng):
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=True,
                                       batch_first=True).to(lucid.Float64)
    x = lucid.Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(3, np.float64)
    assert gradcheck(lambda t: layer(t, src_mask=mask), [x])


def test_dropout_acts_in_training_only(rng):
    layer = nn.TransformerEncoderLayer(8, 2, 12, dropout=0.5)
    x = lucid.Tensor(rng.standard_normal((3, 2, 8)).astype(np.float32))
    lucid.random.seed(0)
    a, b = layer(x), layer(x)
    assert not np.allclose(a.data, b.data)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)


@pytest.mark.parametrize("call, error, text", [
    (lambda: nn.TransformerEncoderLayer(10, 3), ValueError,
     r"MultiHeadAttention: embed_dim \(10\) must be divisible by num_heads \(3\)"),
    (lambda: nn.TransformerEncoderLayer(8, 2, activation="tanh"), ValueError,
     "TransformerEncoderLayer: activation must be 'relu', 'gelu'"),
    (lambda: nn.TransformerEncoderLayer(8, 2)(lucid.zeros((3, 2, 6))), ValueError,
     r"TransformerEncoderLayer: expected src of shape .*got \(3, 2, 6\)"),
    (lambda: nn.TransformerEncoderLayer(8, 2)(lucid.zeros((3, 2, 8)),
                                              src_mask=lucid.zeros((2, 3))), ValueError,
     r"MultiHeadAttention: attn_mask must have shape \(2, 2\)"),             # (N, L, E)
    (lambda: nn.TransformerEncoderLayer(8, 2)(lucid.zeros((3, 2, 6))), ValueError,
     r"TransformerEncoderLayer: expected src of shape \(N, L, 8\) \(batch_first=True\)"),
    (lambda: nn.TransformerEncoderLayer(8, num_heads=2, nhead=2), TypeError,
     r"TransformerEncoderLayer: got both num_heads= and nhead="),
    (lambda: nn.TransformerDecoderLayer(8, 2)(lucid.zeros((3, 2, 8)), lucid.zeros((8,))),
     ValueError, "TransformerDecoderLayer: expected memory of shape"),
    (lambda: nn.TransformerEncoder(nn.Linear(2, 2), 2), TypeError,
     "TransformerEncoder: the layer must be a TransformerEncoderLayer"),
    (lambda: nn.Transformer(8, 2, 1, 1, 12)(lucid.zeros((3, 2, 8)), lucid.zeros((4, 2, 8))),
     ValueError, r"Transformer: src and tgt must have the same batch size \(axis 0\)"),
])
def test_errors(call, error, text):
    with pytest.raises(error, match=text):
        call()


# ----------------------------------------------- the original lucid's names and layout
@needs_torch
def test_layers_default_to_batch_first_and_num_heads(float_dtype, rng):
    layer = nn.TransformerEncoderLayer(8, num_heads=2, dim_feedforward=12, dropout=0.0).eval()
    twin = torch.nn.TransformerEncoderLayer(8, 2, 12, 0.0, batch_first=True).eval()
    assert layer.batch_first and layer.self_attn.batch_first
    call_parity(layer, twin, [_seq(rng, 5, True)], float_dtype, rng,
                dict(src_key_padding_mask=_padding(rng, 2, 5)))
    model = nn.Transformer(8, 2, 1, 1, 12, 0.0).eval()              # the original's order
    t_model = torch.nn.Transformer(8, 2, 1, 1, 12, 0.0, batch_first=True).eval()
    call_parity(model, t_model, [_seq(rng, 6, True), _seq(rng, 4, True)], float_dtype, rng,
                dict(tgt_mask=nn.Transformer.generate_square_subsequent_mask(4).data))
    assert model.num_heads == model.nhead == 2


def test_original_positional_order_and_pytorch_names_agree():
    a = nn.TransformerDecoderLayer(8, 2, 16, 0.0, "gelu", 1e-3, True, False)  # ..., norm_first, bias
    b = nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0,
                                   activation="gelu", layer_norm_eps=1e-3, norm_first=True,
                                   bias=False, batch_first=True)
    assert a.norm_first and b.norm_first and a.linear1.bias is None and b.linear1.bias is None
    assert list(a.state_dict()) == list(b.state_dict())
    m = nn.Transformer(d_model=8, num_heads=2, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=8, dropout=0.0, activation="relu", layer_norm_eps=1e-5,
                       norm_first=False, bias=True, custom_encoder=None, custom_decoder=None)
    assert m.batch_first and m(lucid.zeros((2, 3, 8)), lucid.zeros((2, 4, 8))).shape == (2, 4, 8)
