"""lucid.onnx.export, layer by layer and model by model: the file passes onnx.checker
and ONNX Runtime computes lucid's outputs (float32, max difference <= 1e-5 of the output
scale) on the example and on another batch size (the batch axis is dynamic)."""
import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.demo import DigitsCNN
import lucid.nn.functional as F

from tests.onnx.export_helpers import export_and_compare, randn, randomize, run, session

pytestmark = pytest.mark.onnx


def _check(layer, shape, tmp_path, other_batch=5):
    """Export ``layer`` on a batch of 2 of ``shape``; compare on it and on a batch of 5."""
    randomize(layer)
    export_and_compare(layer, randn(2, *shape), tmp_path,
                       other=[randn(other_batch, *shape, seed=2)])


# ------------------------------------------------------------------ linear, conv
@pytest.mark.parametrize("layer, shape", [
    (nn.Linear(6, 4), (6,)),
    (nn.Linear(6, 4, bias=False), (6,)),
    (nn.Linear(6, 4), (3, 6)),                   # (N, T, features): MatMul, not Gemm
    (nn.Bilinear(3, 3, 2), None),
], ids=["linear", "no-bias", "3d-input", "bilinear"])
def test_linear(layer, shape, tmp_path):
    if shape is None:                            # Bilinear takes two inputs
        randomize(layer)
        export_and_compare(layer, (randn(2, 3), randn(2, 3, seed=3)), tmp_path,
                           other=[(randn(4, 3, seed=4), randn(4, 3, seed=5))])
    else:
        _check(layer, shape, tmp_path)


@pytest.mark.parametrize("layer, shape", [
    (nn.Conv1d(3, 4, 3), (3, 10)),
    (nn.Conv1d(4, 6, 4, stride=2, padding=2, dilation=2, groups=2), (4, 11)),
    (nn.Conv1d(2, 3, 4, padding="same"), (2, 9)),          # odd extra padding at the end
    (nn.Conv2d(3, 4, 3, padding=1), (3, 7, 8)),
    (nn.Conv2d(4, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=4,
               bias=False), (4, 9, 8)),
    (nn.Conv3d(2, 3, 3, padding=1, stride=2), (2, 5, 6, 7)),
    (nn.Conv3d(2, 4, 2, groups=2, dilation=2), (2, 5, 5, 5)),
], ids=["conv1d", "conv1d-strided-grouped", "conv1d-same", "conv2d", "conv2d-mixed",
        "conv3d", "conv3d-grouped"])
def test_convolution(layer, shape, tmp_path):
    _check(layer, shape, tmp_path)


@pytest.mark.parametrize("layer, shape", [
    (nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1), (3, 6)),
    (nn.ConvTranspose1d(4, 4, 3, stride=3, output_padding=2, groups=2, dilation=2), (4, 5)),
    (nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), (3, 4, 5)),
    (nn.ConvTranspose2d(2, 4, (2, 3), stride=(1, 2), bias=False), (2, 3, 3)),
    (nn.ConvTranspose3d(2, 3, 2, stride=2), (2, 3, 2, 4)),
    (nn.ConvTranspose3d(2, 2, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 2, 3, 2)),
], ids=["1d", "1d-output-padding-grouped", "2d", "2d-mixed", "3d", "3d-grouped"])
def test_transposed_convolution(layer, shape, tmp_path):
    _check(layer, shape, tmp_path)


# --------------------------------------------------------------------- pooling
@pytest.mark.parametrize("layer, shape", [
    (nn.MaxPool1d(3, stride=2, padding=1), (3, 11)),
    (nn.MaxPool1d(2, ceil_mode=True), (2, 9)),
    (nn.MaxPool2d(2), (3, 8, 8)),
    (nn.MaxPool2d(3, stride=2, padding=1, dilation=2), (2, 11, 10)),
    (nn.MaxPool2d(3, stride=2, ceil_mode=True), (2, 8, 10)),
    (nn.MaxPool3d(2, stride=(1, 2, 2)), (2, 4, 6, 5)),
    (nn.AvgPool1d(3, stride=2, padding=1), (3, 10)),
    (nn.AvgPool2d(2), (3, 8, 6)),
    (nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 7, 9)),
    (nn.AvgPool2d(3, stride=2, ceil_mode=True), (2, 8, 10)),
    (nn.AvgPool2d(2, padding=1, divisor_override=3), (2, 5, 6)),
    (nn.AvgPool3d(2, stride=2, padding=1), (2, 4, 5, 6)),
], ids=["max1d", "max1d-ceil", "max2d", "max2d-dilated", "max2d-ceil", "max3d", "avg1d",
        "avg2d", "avg2d-exclude-pad", "avg2d-ceil", "avg2d-divisor", "avg3d"])
def test_pooling(layer, shape, tmp_path):
    _check(layer, shape, tmp_path)


@pytest.mark.parametrize("layer, shape", [
    (nn.AdaptiveAvgPool1d(1), (3, 7)),
    (nn.AdaptiveAvgPool1d(3), (2, 9)),               # divides: an AveragePool
    (nn.AdaptiveAvgPool1d(4), (2, 7)),               # does not: one matrix per axis
    (nn.AdaptiveAvgPool2d((1, 1)), (3, 5, 6)),
    (nn.AdaptiveAvgPool2d((2, 3)), (2, 4, 9)),
    (nn.AdaptiveAvgPool2d((3, 4)), (2, 7, 5)),
    (nn.AdaptiveAvgPool3d((2, 1, 3)), (2, 5, 3, 7)),
], ids=["1d-global", "1d-divisible", "1d-uneven", "2d-global", "2d-divisible",
        "2d-uneven", "3d-uneven"])
def test_adaptive_pooling(layer, shape, tmp_path):
    _check(layer, shape, tmp_path)


# ---------------------------------------------------------------- normalisation
@pytest.mark.parametrize("layer, shape", [
    (nn.BatchNorm1d(4), (4,)),
    (nn.BatchNorm1d(4), (4, 6)),
    (nn.BatchNorm2d(3), (3, 5, 4)),
    (nn.BatchNorm2d(3, affine=False), (3, 5, 4)),
    (nn.BatchNorm3d(2, eps=1e-3), (2, 3, 4, 5)),
    (nn.LayerNorm(6), (4, 6)),
    (nn.LayerNorm((4, 6), elementwise_affine=False), (4, 6)),
    (nn.LayerNorm(6, bias=False), (6,)),
    (nn.InstanceNorm2d(3, affine=True), (3, 5, 6)),
    (nn.InstanceNorm1d(3, track_running_stats=True), (3, 7)),
    (nn.GroupNorm(2, 4), (4, 3, 5)),
    (nn.GroupNorm(3, 6, affine=False), (6, 7)),
    (nn.GroupNorm(2, 4, bias=False), (4, 2, 3, 2)),
    (nn.LayerNorm2d(3), (3, 4, 5)),
], ids=["bn1d-2d-input", "bn1d", "bn2d", "bn2d-no-affine", "bn3d", "ln", "ln-2-axes",
        "ln-no-bias", "in2d", "in1d-running-stats", "gn2d", "gn1d-no-affine", "gn3d-no-bias",
        "ln2d"])
def test_normalisation_in_evaluation_mode(layer, shape, tmp_path):
    _check(layer, shape, tmp_path)


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize("layer", [
    nn.ReLU(), nn.ReLU6(), nn.LeakyReLU(0.2), nn.ELU(0.7), nn.SELU(), nn.GELU(),
    nn.GELU(approximate="tanh"), nn.Sigmoid(), nn.HardSigmoid(), nn.Tanh(), nn.Softmax(1),
    nn.Softmax(-1), nn.LogSoftmax(1), nn.Swish(), nn.SiLU(), nn.HardSwish(), nn.Identity(),
], ids=lambda m: repr(m))
def test_activation(layer, tmp_path):
    x = randn(2, 3, 5) * 4.0                          # reaches both sides of every kink
    export_and_compare(layer, x, tmp_path, other=[randn(4, 3, 5, seed=7) * 4.0])


class _Functional(nn.Module):
    """Element-wise functions and reductions written with lucid ops."""

    def forward(self, x):
        y = F.log_softmax(x, axis=-1) + lucid.exp(-x.abs()) - lucid.sqrt(x * x + 1.0)
        y = y / (lucid.maximum(x, 0.5) + 2.0) + lucid.clip(x, -0.5, 0.5) ** 2
        y = y + x.sum(axis=1, keepdims=True) * 0.1 - x.mean(axis=-1, keepdims=True)
        y = y + lucid.var(x, axis=(1, 2), keepdims=True) + x.max(axis=1, keepdims=True)
        return y * lucid.sin(x) + lucid.tanh(x) + lucid.log(lucid.abs(x) + 1.0)


def test_elementwise_and_reductions(tmp_path):
    export_and_compare(_Functional(), randn(2, 3, 4), tmp_path, other=[randn(5, 3, 4, seed=3)])


class _MoreOps(nn.Module):
    """The remaining element-wise, selection and triangle operations."""

    def __init__(self):
        super().__init__()
        self.mask = np.random.default_rng(0).random((3, 4)) > 0.5     # constants of the model

    def forward(self, x):                               # x: (N, 3, 4), values in (-1, 1)
        y = lucid.where(self.mask, x, -x) + lucid.masked_fill(x, self.mask, 0.25)
        y = y + lucid.tril(x) - lucid.triu(x, 1) + lucid.power(lucid.abs(x) + 1.0, 1.5)
        y = y + lucid.minimum(x, 0.1) + lucid.cube(x) + lucid.reciprocal(x * x + 1.0)
        y = y + lucid.log2(x + 2.0) + lucid.arcsin(x * 0.5) + lucid.arccos(x * 0.5)
        y = y + lucid.arctan(x) + lucid.cosh(x) + lucid.sinh(x) + lucid.cos(x) + lucid.tan(x)
        y = y + lucid.round(x * 4) + lucid.round(x, decimals=1) + lucid.sign(x)
        y = y + lucid.floor(x * 3) + lucid.ceil(x * 3) + lucid.square(x) - lucid.exp(-x)
        return y.astype(lucid.Float64), lucid.clip(x, min_value=0.0)


def test_more_elementwise_selection_and_triangle_operations(tmp_path):
    x = lucid.Tensor(np.tanh(randn(2, 3, 4).data))
    export_and_compare(_MoreOps(), x, tmp_path,
                       other=[lucid.Tensor(np.tanh(randn(5, 3, 4, seed=3).data))])


def test_dropout_in_evaluation_mode_and_flatten(tmp_path):
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.Dropout(0.5), nn.Dropout2d(0.3), nn.Flatten(),
                          nn.Linear(3 * 4 * 4, 5), nn.AlphaDropout(0.2))
    _check(model, (2, 6, 6), tmp_path)


def test_export_runs_in_evaluation_mode_and_gives_the_modes_back(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), nn.BatchNorm1d(3))
    model.train()
    model[2].eval()
    x = randn(4, 3)
    lucid.onnx.export(model, x, tmp_path / "m.onnx")
    assert [m.training for m in model.modules()] == [True, True, True, False]
    (got,) = run(session(tmp_path / "m.onnx"), x)   # dropout off, running statistics used
    np.testing.assert_array_equal(got, model.eval()(x).data)


# ------------------------------------------------ reshape, transpose, join, index
class _Shapes(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):                         # x: (N, 3, 4)
        n = x.shape[0]
        h = self.fc(x)
        y = lucid.concatenate([h, x * 2.0], axis=1)               # (N, 6, 4)
        y = y.transpose((0, 2, 1)).reshape(n, -1)                 # (N, 24)
        z = lucid.stack([x[:, 0], x[:, -1], h[:, 1]], axis=1)     # (N, 3, 4)
        z = z[:, 1:, ::-1][..., None, :2]                         # (N, 2, 1, 2)
        w = lucid.swapaxes(h, 1, 2)[:, [0, 2]].reshape(n, 6)      # advanced index, axis 1
        v = lucid.pad(x, ((0, 0), (1, 2), (0, 1)))                # (N, 6, 5)
        return y, z.reshape(n, 4) + w[:, :4], lucid.tile(v, (1, 1, 2)), lucid.flatten(x, 1)


def test_reshape_transpose_concatenate_index(tmp_path):
    sess = export_and_compare(_Shapes(), randn(2, 3, 4), tmp_path, other=[randn(5, 3, 4, seed=3),
                                                                           randn(1, 3, 4, seed=4)])
    assert [o.name for o in sess.get_outputs()] == ["output_0", "output_1", "output_2", "output_3"]


class _InPlace(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(5, 5), nn.Linear(5, 5)

    def forward(self, x):
        out = self.fc2(self.fc1(x))
        before = out * 2.0                               # out's value before the change
        out += x                                         # in place, as torchvision writes it
        out *= 0.5
        return out + before


def test_in_place_arithmetic(tmp_path):
    _check(_InPlace(), (2, 5, 5), tmp_path)


def test_embedding(tmp_path):
    layer = randomize(nn.Embedding(10, 4))
    ids = lucid.Tensor(np.array([[1, 2, 9], [0, 3, 3]], dtype=np.int64))
    export_and_compare(layer, ids, tmp_path,
                       other=[lucid.Tensor(np.array([[5, 5, 1]] * 4, dtype=np.int64))])


# ----------------------------------------------------------- attention, transformer
class _SelfAttention(nn.Module):
    def __init__(self, batch_first, causal=False, weights=False):
        super().__init__()
        self.attention = nn.MultiHeadAttention(8, 2, batch_first=batch_first)
        self.causal, self.weights = causal, weights

    def forward(self, x):
        return self.attention(x, x, x, need_weights=self.weights, is_causal=self.causal,
                              attn_mask=None)


@pytest.mark.parametrize("batch_first, causal, weights", [(True, False, False),
                                                          (False, False, False),
                                                          (True, True, True)],
                         ids=["batch-first", "sequence-first", "causal-with-weights"])
def test_multi_head_attention(batch_first, causal, weights, tmp_path):
    model = randomize(_SelfAttention(batch_first, causal, weights))
    axis = 0 if batch_first else 1
    shape = (2, 5, 8) if batch_first else (5, 2, 8)
    other = (4, 5, 8) if batch_first else (5, 4, 8)
    export_and_compare(model, randn(*shape), tmp_path, other=[randn(*other, seed=3)],
                       dynamic_axes={"input": {axis: "batch"}})


@pytest.mark.parametrize("layer, shape", [
    (nn.LSTM(3, 4, batch_first=True), (2, 5, 3)),
    (nn.LSTM(3, 4, 2, bidirectional=True, bias=False), (5, 2, 3)),
    (nn.GRU(3, 4, 2), (5, 2, 3)),
    (nn.GRU(3, 4, bidirectional=True, batch_first=True), (2, 5, 3)),
    (nn.RNN(3, 4, nonlinearity="relu", bidirectional=True), (5, 2, 3)),
    (nn.RNN(3, 4, 2), (5, 2, 3)),
    (nn.LSTMCell(3, 4), (2, 3)),
    (nn.GRUCell(3, 4), (2, 3)),
    (nn.RNNCell(3, 4, nonlinearity="relu"), (2, 3)),
], ids=["lstm-batch-first", "lstm-2-bi-no-bias", "gru-2", "gru-bi-batch-first", "rnn-relu-bi",
        "rnn-tanh-2", "lstm-cell", "gru-cell", "rnn-cell"])
def test_recurrent_layers_with_fixed_shapes(layer, shape, tmp_path):
    """Every output (the sequence and the final states) equals lucid's."""
    randomize(layer)
    x = randn(*shape)
    export_and_compare(layer, x, tmp_path, other=[randn(*shape, seed=3)], dynamic=False)


def test_recurrent_layer_with_projection_names_what_onnx_lacks(tmp_path):
    with pytest.raises(ValueError, match="proj_size has no ONNX operator"):
        lucid.onnx.export(nn.LSTM(3, 4, proj_size=2), (randn(5, 2, 3),), tmp_path / "m.onnx")


@pytest.mark.parametrize("layer, shape, axes", [
    (nn.LSTM(3, 4, batch_first=True), (2, 5, 3), {0: "batch"}),
    (nn.GRU(3, 4), (5, 2, 3), {0: "time"}),
    (nn.RNNCell(3, 4), (2, 3), {0: "batch"}),
], ids=["lstm-batch", "gru-time", "cell-batch"])
def test_recurrent_layer_under_dynamic_axes_says_fixed_shapes_only(layer, shape, axes, tmp_path):
    with pytest.raises(ValueError, match=r"runs Recurrence, a recurrent layer .* fixed shapes "
                                         r"only; a dynamic axis reaches it"):
        lucid.onnx.export(layer, (randn(*shape),), tmp_path / "m.onnx",
                          dynamic_axes={"input": axes})


def test_scaled_dot_product_attention(tmp_path):
    model = nn.ScaledDotProductAttention(is_causal=True)
    q, k, v = randn(2, 3, 4, 8), randn(2, 3, 4, 8, seed=2), randn(2, 3, 4, 6, seed=3)
    export_and_compare(model, (q, k, v), tmp_path,
                       other=[(randn(3, 3, 4, 8, seed=4), randn(3, 3, 4, 8, seed=5),
                               randn(3, 3, 4, 6, seed=6))])


@pytest.mark.parametrize("layer", [
    nn.TransformerEncoderLayer(8, 2, 16, batch_first=True),
    nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", norm_first=True, batch_first=True),
    nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
                          norm=nn.LayerNorm(8)),
], ids=["encoder-layer", "encoder-layer-norm-first-gelu", "encoder"])
def test_transformer_encoder(layer, tmp_path):
    _check(layer, (5, 8), tmp_path)


class _Decoder(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        self.mask = nn.Transformer.generate_square_subsequent_mask(4)

    def forward(self, tgt, memory):
        return self.layer(tgt, memory, tgt_mask=self.mask)


@pytest.mark.parametrize("layer", [
    nn.TransformerDecoderLayer(8, 2, 16, batch_first=True),
    nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, batch_first=True, norm_first=True),
                          2),
], ids=["decoder-layer", "decoder"])
def test_transformer_decoder(layer, tmp_path):
    model = randomize(_Decoder(layer))
    export_and_compare(model, (randn(2, 4, 8), randn(2, 6, 8, seed=2)), tmp_path,
                       other=[(randn(3, 4, 8, seed=3), randn(3, 6, 8, seed=4))])


def test_transformer(tmp_path):
    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.Transformer(8, 2, 1, 1, 16, batch_first=True)
            self.mask = nn.Transformer.generate_square_subsequent_mask(3)

        def forward(self, src, tgt):
            return self.transformer(src, tgt, tgt_mask=self.mask)
    model = randomize(Seq2Seq())
    export_and_compare(model, (randn(2, 5, 8), randn(2, 3, 8, seed=2)), tmp_path,
                       other=[(randn(4, 5, 8, seed=3), randn(4, 3, 8, seed=4))])


def test_einops_rearrange_and_upsample(tmp_path):
    model = nn.Sequential(nn.Conv2d(2, 4, 1), nn.Upsample(scale_factor=2, mode="bilinear"),
                          nn.Rearrange("n c (h p) w -> n (c p) h w", p=2))
    _check(model, (2, 4, 3), tmp_path)


# ------------------------------------------------------------------------ models
@pytest.mark.parametrize("name, shape", [("lenet_5", (1, 32, 32)), ("resnet18", (3, 32, 32)),
                                         ("mobilenet_v2", (3, 32, 32)), ("vit_cifar", (3, 32, 32))])
def test_homework_models(name, shape, tmp_path):
    lucid.random.seed(0)
    model = models.create_model(name, num_classes=10)
    randomize(model)
    if name == "vit_cifar":                           # keep the 6 layers' activations tame
        for p in model.parameters():
            p.data *= 0.3
    export_and_compare(model, randn(2, *shape), tmp_path, other=[randn(3, *shape, seed=2)])


def test_digits_cnn_with_named_inputs_and_outputs(tmp_path):
    model = randomize(DigitsCNN())
    sess = export_and_compare(model, randn(4, 1, 8, 8), tmp_path, other=[randn(1, 1, 8, 8)],
                              input_names=["images"], output_names=["logits"],
                              dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
    (inp,), (out,) = sess.get_inputs(), sess.get_outputs()
    assert (inp.name, inp.shape) == ("images", ["batch", 1, 8, 8])
    assert (out.name, out.shape) == ("logits", ["batch", 10])


def test_static_shapes_without_dynamic_axes(tmp_path):
    model = randomize(DigitsCNN())
    sess = export_and_compare(model, randn(3, 1, 8, 8), tmp_path, dynamic=False)
    assert sess.get_inputs()[0].shape == [3, 1, 8, 8]
    assert sess.get_outputs()[0].shape == [3, 10]


def test_parameters_are_initializers_under_their_state_dict_names(tmp_path):
    from tests.conftest import onnx

    model = randomize(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU()))
    lucid.onnx.export(model, randn(1, 1, 5, 5), tmp_path / "m.onnx")
    graph = onnx.load(str(tmp_path / "m.onnx")).graph
    initializers = {i.name: onnx.numpy_helper.to_array(i) for i in graph.initializer}
    for name in ("0.weight", "0.bias", "1.weight", "1.bias"):
        np.testing.assert_array_equal(initializers[name], model.state_dict()[name].data)


@pytest.mark.parametrize("opset", [13, 17, 18, 20])
def test_opsets(opset, tmp_path):
    model = randomize(nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.GELU(),
                                    nn.GELU(approximate="tanh"), nn.Softmax(-1)))
    model2 = nn.Sequential(nn.Conv1d(2, 3, 3), nn.AdaptiveAvgPool1d(1), nn.Flatten())
    export_and_compare(model, randn(2, 3, 4), tmp_path, other=[randn(5, 3, 4)],
                       opset_version=opset)
    export_and_compare(randomize(model2), randn(2, 2, 6), tmp_path, opset_version=opset)


def test_keyword_arguments_after_the_inputs(tmp_path):
    attention = randomize(nn.MultiHeadAttention(8, 2, batch_first=True))
    x = randn(2, 3, 8)
    lucid.onnx.export(attention, (x, x, x, {"need_weights": False}), tmp_path / "m.onnx",
                      input_names=["q", "k", "v"])
    (got,) = run(session(tmp_path / "m.onnx"), x, x, x)
    want = attention(x, x, x, need_weights=False)      # the original's call: the output
    np.testing.assert_allclose(got, want.data, rtol=0, atol=1e-5 * np.abs(want.data).max())
