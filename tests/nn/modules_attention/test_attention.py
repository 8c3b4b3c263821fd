"""scaled_dot_product_attention, ScaledDotProductAttention, MultiheadAttention (PyTorch's
name and call) and MultiHeadAttention (the original lucid's) against
PyTorch: values, gradients (float32 / float64), masks, state-dict layout, errors."""

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import nn
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity
from tests.nn.modules_attention._parity import call_parity

needs_torch = pytest.mark.torch
# torch warns when a bool and a float mask are mixed (lucid accepts the mix silently)
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched:UserWarning")


def _qkv(rng, dtype, batch=(2, 3), length=4, source=5, e=6, ev=7):
    return [rng.standard_normal(batch + shape).astype(dtype)
            for shape in ((length, e), (source, e), (source, ev))]


def _mask(rng, kind, dtype, shape=(4, 5)):
    if kind == "bool":
        m = rng.random(shape) > 0.4
        m[..., 1, :] = False                  # a query with no key: output 0, grad 0
        m[..., 0, 0] = True
        return m
    return rng.standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------ functional
@needs_torch
@pytest.mark.parametrize("mask", [None, "bool", "float"])
@pytest.mark.parametrize("kw", [{}, {"scale": 0.3}], ids=["default-scale", "scale"])
def test_sdpa_parity(float_dtype, rng, mask, kw):
    q, k, v = _qkv(rng, float_dtype)
    m = None if mask is None else _mask(rng, mask, float_dtype)
    lm = None if m is None else lucid.Tensor(m)
    tm = None if m is None else torch.tensor(m)
    torch_parity(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, lm, **kw),
                 lambda a, b, c: torch.nn.functional.scaled_dot_product_attention(
                     a, b, c, tm, **kw), [q, k, v])


@needs_torch
def test_sdpa_causal_and_broadcast_batch(float_dtype, rng):
    q = rng.standard_normal((2, 3, 4, 6)).astype(float_dtype)
    k = rng.standard_normal((1, 3, 6, 6)).astype(float_dtype)     # batch axis broadcast
    v = rng.standard_normal((1, 3, 6, 5)).astype(float_dtype)
    torch_parity(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True),
                 lambda a, b, c: torch.nn.functional.scaled_dot_product_attention(
                     a.expand(2, 3, 4, 6), b.expand(2, 3, 6, 6), c.expand(2, 3, 6, 5),
                     is_causal=True), [q, k, v])


@needs_torch
def test_sdpa_float_mask_gets_gradient(rng):
    q, k, v = _qkv(rng, np.float64)
    m = rng.standard_normal((4, 5))
    torch_parity(lambda a, b, c, d: F.scaled_dot_product_attention(a, b, c, d),
                 lambda a, b, c, d: torch.nn.functional.scaled_dot_product_attention(
                     a, b, c, d), [q, k, v, m])


def test_sdpa_gradcheck(rng):
    q, k, v = (lucid.Tensor(a, requires_grad=True) for a in _qkv(rng, np.float64, (2,), 3, 4, 2, 3))
    m = lucid.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda a, b, c, d: F.scaled_dot_product_attention(a, b, c, d), [q, k, v, m])
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True),
                     [q, k, v])


def test_sdpa_matches_a_loop(rng):
    """The formula written out for one (batch, query) pair."""
    q, k, v = _qkv(rng, np.float64, (1,), 2, 3, 2, 2)
    out = F.scaled_dot_product_attention(lucid.Tensor(q), lucid.Tensor(k), lucid.Tensor(v))
    for i in range(2):
        s = [sum(q[0, i, e] * k[0, j, e] for e in range(2)) / np.sqrt(2) for j in range(3)]
        w = np.exp(s) / np.exp(s).sum()
        expected = sum(w[j] * v[0, j] for j in range(3))
        np.testing.assert_allclose(out.data[0, i], expected, rtol=1e-12)


def test_sdpa_dropout_one_zeroes_the_output(rng):
    q, k, v = (lucid.Tensor(a) for a in _qkv(rng, np.float32))
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert out.shape == (2, 3, 4, 7) and not out.data.any()


@pytest.mark.parametrize("case, error, text", [
    (dict(is_causal=True, attn_mask="bool"), ValueError, "not both"),
    (dict(attn_mask=np.ones((3, 5), bool)), ValueError, "attn_mask must broadcast"),
    (dict(key_shape=(2, 3, 5, 4)), ValueError, "feature size"),
    (dict(value_shape=(2, 3, 6, 7)), ValueError, "length S"),
    (dict(query_shape=(6,)), ValueError, "at least 2 axes"),
    (dict(dropout_p=1.5), ValueError, "dropout_p"),
    (dict(attn_mask=np.ones((4, 5), np.int64)), TypeError, "bool or floating"),
])
def test_sdpa_errors(rng, case, error, text):
    q = rng.standard_normal(case.pop("query_shape", (2, 3, 4, 6))).astype(np.float32)
    k = rng.standard_normal(case.pop("key_shape", (2, 3, 5, 6))).astype(np.float32)
    v = rng.standard_normal(case.pop("value_shape", (2, 3, 5, 7))).astype(np.float32)
    if isinstance(case.get("attn_mask"), str):
        case["attn_mask"] = np.ones((4, 5), bool)
    if "attn_mask" in case:
        case["attn_mask"] = lucid.Tensor(case["attn_mask"])
    with pytest.raises(error, match=f"scaled_dot_product_attention: .*{text}"):
        F.scaled_dot_product_attention(lucid.Tensor(q), lucid.Tensor(k), lucid.Tensor(v), **case)


def test_sdpa_layer_dropout_only_in_training(rng):
    q, k, v = (lucid.Tensor(a) for a in _qkv(rng, np.float32))
    layer = nn.ScaledDotProductAttention(dropout_p=1.0)
    assert not layer(q, k, v).data.any()
    expected = F.scaled_dot_product_attention(q, k, v)
    np.testing.assert_array_equal(layer.eval()(q, k, v).data, expected.data)


# ------------------------------------------- MultiheadAttention (PyTorch's call)
MHA_SETTINGS = [dict(), dict(bias=False), dict(kdim=3, vdim=5), dict(add_bias_kv=True),
                dict(add_zero_attn=True)]


def _mha_inputs(rng, batch_first, n=3, length=4, source=5, e=8, kdim=8, vdim=8):
    def seq(t, f):
        return rng.standard_normal((n, t, f) if batch_first else (t, n, f))
    return [seq(length, e), seq(source, kdim), seq(source, vdim)]


@needs_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kw", MHA_SETTINGS, ids=str)
def test_mha_parity_with_masks(float_dtype, rng, batch_first, kw):
    layer = nn.MultiheadAttention(8, 2, batch_first=batch_first, **kw)
    twin = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first, **kw)
    inputs = _mha_inputs(rng, batch_first, kdim=kw.get("kdim", 8), vdim=kw.get("vdim", 8))
    padding = rng.random((3, 5)) > 0.7
    padding[:, 0] = False
    masks = dict(key_padding_mask=padding, attn_mask=rng.random((4, 5)) > 0.8)
    call_parity(layer, twin, inputs, float_dtype, rng, masks)
    assert layer.count_parameters() == sum(p.numel() for p in twin.parameters())


@needs_torch
@pytest.mark.parametrize("average", [True, False])
def test_mha_float_masks_per_head_and_weights(float_dtype, rng, average):
    layer, twin = nn.MultiheadAttention(8, 4), torch.nn.MultiheadAttention(8, 4)
    masks = dict(attn_mask=rng.standard_normal((3 * 4, 4, 5)),
                 key_padding_mask=rng.standard_normal((3, 5)))
    call_parity(layer, twin, _mha_inputs(rng, False), float_dtype, rng, masks,
                average_attn_weights=average)


@needs_torch
def test_mha_unbatched_and_no_weights(float_dtype, rng):
    layer, twin = nn.MultiheadAttention(8, 2), torch.nn.MultiheadAttention(8, 2)
    inputs = [a[:, 0] for a in _mha_inputs(rng, False)]                 # (L, E), (S, E)
    masks = dict(key_padding_mask=np.array([False, False, True, False, True]))
    call_parity(layer, twin, inputs, float_dtype, rng, masks, need_weights=False)
    out, weights = layer(*(lucid.Tensor(a.astype(float_dtype)) for a in inputs))
    assert out.shape == (4, 8) and weights.shape == (4, 5)


@needs_torch
def test_mha_causal_hint_builds_the_mask(rng):
    layer = nn.MultiheadAttention(8, 2, batch_first=True).to(lucid.Float64)
    x = lucid.Tensor(rng.standard_normal((2, 4, 4)).repeat(2, axis=-1))
    mask = nn.Transformer.generate_square_subsequent_mask(4, np.float64)
    a = layer(x, x, x, is_causal=True)[0]
    b = layer(x, x, x, attn_mask=mask)[0]
    np.testing.assert_allclose(a.data, b.data, rtol=1e-12)


def test_mha_gradcheck(rng):
    layer = nn.MultiheadAttention(4, 2, batch_first=True).to(lucid.Float64)
    x = lucid.Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    padding = lucid.Tensor(np.array([[False, False, True], [False, False, False]]))
    assert gradcheck(lambda t: layer(t, t, t, key_padding_mask=padding)[0], [x])


@needs_torch
def test_mha_init_matches_torch_distribution():
    layer, twin = nn.MultiheadAttention(64, 4), torch.nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 3 * 64))                          # xavier_uniform on (3E, E)
    assert 0.9 * bound < np.abs(layer.in_proj_weight.data).max() <= bound
    assert not layer.in_proj_bias.data.any() and not layer.out_proj.bias.data.any()
    assert layer.out_proj.extra_repr() == twin.out_proj.extra_repr()


@pytest.mark.parametrize("make, call, text", [
    (lambda: nn.MultiheadAttention(10, 3), None, r"embed_dim \(10\) must be divisible by num_heads \(3\)"),
    (lambda: nn.MultiheadAttention(8, 2), lambda m, x: m(x[0, 0], x[0, 0], x[0, 0]), r"expected query of shape"),
    (lambda: nn.MultiheadAttention(8, 2), lambda m, x: m(x, x[..., :4], x), r"expected key of shape"),
    (lambda: nn.MultiheadAttention(8, 2), lambda m, x: m(x, x, x, attn_mask=lucid.zeros((5, 5))),
     r"attn_mask must have shape \(4, 4\) or \(6, 4, 4\).*got \(5, 5\)"),
    (lambda: nn.MultiheadAttention(8, 2), lambda m, x: m(x, x, x, key_padding_mask=lucid.zeros((4, 3))),
     r"key_padding_mask must have shape \(3, 4\).*got \(4, 3\)"),
    (lambda: nn.MultiheadAttention(8, 2), lambda m, x: m(x, x[:, :2], x[:, :2]), ".*same batch size; got 3, 2 and 2"),
])
def test_mha_errors(make, call, text):
    x = lucid.zeros((4, 3, 8))                                    # (L, N, E)
    with pytest.raises(ValueError, match=f"MultiheadAttention: {text}"):
        call(make(), x) if call else make()


# ---------------------------------------- MultiHeadAttention (the original lucid's call)
@needs_torch
@pytest.mark.parametrize("kw", MHA_SETTINGS, ids=str)
def test_original_mha_is_batch_first_and_returns_the_output(float_dtype, rng, kw):
    layer = nn.MultiHeadAttention(8, 2, **kw)
    assert layer.batch_first
    twin = torch.nn.MultiheadAttention(8, 2, batch_first=True, **kw)
    inputs = _mha_inputs(rng, True, kdim=kw.get("kdim", 8), vdim=kw.get("vdim", 8))
    padding = rng.random((3, 5)) > 0.7
    padding[:, 0] = False

    class Output(torch.nn.Module):        # torch's call, keeping only the output
        def __init__(self, mha):
            super().__init__()
            self.mha = mha

        def forward(self, q, k, v, **masks):
            return self.mha(q, k, v, **masks)[0]

    class Prefixed(nn.Module):            # the same state-dict keys as Output
        def __init__(self, mha):
            super().__init__()
            self.mha = mha

        def forward(self, q, k, v, **masks):
            out = self.mha(q, k, v, **masks)
            assert isinstance(out, lucid.Tensor)          # not a tuple
            return out

    masks = dict(key_padding_mask=padding, attn_mask=rng.random((4, 5)) > 0.8)
    call_parity(Prefixed(layer), Output(twin), inputs, float_dtype, rng, masks)


def test_original_and_pytorch_mha_are_one_computation(rng):
    original = nn.MultiHeadAttention(8, 2).to(lucid.Float64)
    pytorch = nn.MultiheadAttention(8, 2, batch_first=True).to(lucid.Float64)
    pytorch.load_state_dict(original.state_dict())
    x = lucid.Tensor(rng.standard_normal((3, 4, 8)))
    out = original(x, x, x)
    out2, weights = pytorch(x, x, x)
    np.testing.assert_array_equal(out.data, out2.data)
    out3, weights3 = original(x, x, x, need_weights=True, average_attn_weights=False)
    assert weights3.shape == (3, 2, 4, 4)
    np.testing.assert_allclose(weights3.data.mean(axis=1), weights.data, rtol=1e-12)
    seq_first = nn.MultiHeadAttention(8, num_heads=2, batch_first=False).to(lucid.Float64)
    seq_first.load_state_dict(original.state_dict())
    np.testing.assert_allclose(seq_first(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1)).data,
                               out.data.transpose(1, 0, 2), rtol=1e-12)
    # the original's positional order: key_padding_mask, attn_mask, is_causal
    mask = nn.Transformer.generate_square_subsequent_mask(4, np.float64)
    np.testing.assert_allclose(original(x, x, x, None, mask).data,
                               original(x, x, x, is_causal=True).data, rtol=1e-12)
    assert nn.MultiheadAttention(8, 2).batch_first is False


def test_original_mha_errors_name_it():
    with pytest.raises(ValueError, match=r"MultiHeadAttention: expected query of shape \(N, L, 8\)"):
        nn.MultiHeadAttention(8, 2)(lucid.zeros((2, 3, 4)), lucid.zeros((2, 3, 4)), lucid.zeros((2, 3, 4)))
    with pytest.raises(TypeError, match=r"MultiHeadAttention: need_weights must be a bool"):
        x = lucid.zeros((2, 3, 8))
        nn.MultiHeadAttention(8, 2)(x, x, x, need_weights=None)
