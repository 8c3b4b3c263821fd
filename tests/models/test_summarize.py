"""lucid.models.summarize: rows in execution order, shapes, parameters, textbook FLOPs."""
import os

import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.models import summarize


class TinyNet(nn.Module):
    """Conv -> ReLU -> MaxPool -> flatten -> Linear; registered in a different order
    than it runs, so the table must follow execution, not registration."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4 * 3 * 3, 5)
        self.pool = nn.MaxPool2d(2)
        self.act = nn.ReLU()
        self.conv = nn.Conv2d(2, 4, kernel_size=3, padding=1)

    def forward(self, x):
        x = self.pool(self.act(self.conv(x)))
        return self.fc(lucid.flatten(x, 1))


def test_tiny_conv_linear_flops_by_hand():
    n, c_in, h, w, c_out, k = 3, 2, 6, 6, 4, 3
    report = summarize(TinyNet(), (n, c_in, h, w), print_table=False)
    rows = {row.name: row for row in report.rows}
    assert [row.name for row in report.rows] == ["conv", "act", "pool", "fc"]
    # conv: 2 * C_in * kH * kW multiply-adds per output element, H_out = 6 ('same')
    conv_flops = n * 2 * c_in * k * k * c_out * h * w
    relu_flops = n * c_out * h * w
    pool_flops = n * c_out * 3 * 3 * (2 * 2)         # each output looks at a 2x2 window
    fc_flops = n * 2 * 36 * 5
    assert rows["conv"].flops == conv_flops == n * 5184
    assert rows["act"].flops == relu_flops
    assert rows["pool"].flops == pool_flops
    assert rows["fc"].flops == fc_flops
    assert report.total_flops == conv_flops + relu_flops + pool_flops + fc_flops
    assert [row.output_shape for row in report.rows] == [
        (n, c_out, h, w), (n, c_out, h, w), (n, c_out, 3, 3), (n, 5)]
    assert [row.params for row in report.rows] == [4 * 2 * 9 + 4, 0, 0, 36 * 5 + 5]
    assert [row.type for row in report.rows] == ["Conv2d", "ReLU", "MaxPool2d", "Linear"]
    assert report.output_shape == (n, 5) and report.input_shape == (n, c_in, h, w)
    assert report.total_params == report.trainable_params == 4 * 2 * 9 + 4 + 36 * 5 + 5


def test_flops_scale_with_the_batch():
    one = summarize(TinyNet(), (1, 2, 6, 6), print_table=False).total_flops
    assert summarize(TinyNet(), (4, 2, 6, 6), print_table=False).total_flops == 4 * one


@pytest.mark.parametrize("layer, shape, expected", [
    # grouped, strided conv: 2 * (C_in / g) * prod(K) * C_out * prod(O); O = 3 x 3
    (nn.Conv2d(4, 6, kernel_size=3, stride=2, padding=1, groups=2), (1, 4, 6, 6),
     2 * 2 * 9 * 6 * 9),
    (nn.Conv1d(3, 5, kernel_size=4, bias=False), (2, 3, 10), 2 * 2 * 3 * 4 * 5 * 7),
    # transposed: every input element meets C_out/g * prod(K) weights
    (nn.ConvTranspose2d(3, 4, kernel_size=2, stride=2), (1, 3, 5, 5), 2 * 3 * 25 * 4 * 4),
    (nn.Linear(7, 3), (2, 5, 7), 2 * 10 * 7 * 3),
    (nn.BatchNorm2d(3), (2, 3, 4, 4), 2 * 96),
    (nn.AvgPool2d(kernel_size=3, stride=1), (1, 2, 5, 5), 2 * 9 * 9),
    (nn.AdaptiveAvgPool2d(1), (2, 3, 4, 4), 96),
    (nn.Dropout(0.5), (2, 8), 0),
    (nn.Tanh(), (2, 8), 16),
])
def test_layer_rules(layer, shape, expected):
    report = summarize(layer, shape, print_table=False)
    assert len(report.rows) == 1 and report.rows[0].flops == expected


def test_unknown_leaf_is_measured_with_count_flops():
    class MatMul(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(np.ones((6, 4), np.float32))

        def forward(self, x):
            return x @ self.weight                         # 2 * m * k * n

    report = summarize(nn.Sequential(nn.ReLU(), MatMul()), (3, 6), print_table=False)
    assert [row.flops for row in report.rows] == [18, 2 * 3 * 6 * 4]
    assert report.rows[1].params == 24


def test_attention_is_measured_whole():
    """One row for MultiheadAttention: its input projection and the two attention
    products as well as out_proj (q = k = v counted once)."""
    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            return self.attn(x, x, x, need_weights=False)[0]

    n, t, d = 2, 5, 8
    report = summarize(SelfAttention(), (n, t, d), print_table=False)
    assert [row.name for row in report.rows] == ["attn"]
    matmuls = 2 * n * t * d * 3 * d + 2 * (2 * n * t * t * d) + 2 * n * t * d * d
    flops = report.rows[0].flops
    assert matmuls <= flops <= matmuls + 20 * n * t * t * 2 + 4 * n * t * d * 4, flops


def test_shared_layer_rows_and_params_once():
    shared = nn.Linear(4, 4)
    report = summarize(nn.Sequential(shared, nn.ReLU(), shared), (2, 4), print_table=False)
    assert [row.name for row in report.rows] == ["0", "1", "0"]
    assert [row.params for row in report.rows] == [20, 0, 0]
    assert report.total_params == 20
    assert report.rows[0].flops == report.rows[2].flops == 2 * 2 * 4 * 4


def test_model_state_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = models.resnet18(num_classes=3)
    model.layer1.train(False)                        # a mixed mode must come back as it was
    before = {k: v.data.copy() for k, v in model.state_dict().items()}
    lucid.random.seed(5)
    expected_draw = lucid.random.randn(3).data
    lucid.random.seed(5)
    report = summarize(model, (1, 3, 32, 32), print_table=False)
    assert (lucid.random.randn(3).data == expected_draw).all()      # global RNG untouched
    assert model.training and not model.layer1.training and model.layer2[0].bn1.training
    for key, value in model.state_dict().items():                 # BN stats did not move
        assert (value.data == before[key]).all(), key
    assert all(not m._forward_hooks for m in model.modules())      # hooks removed
    assert os.listdir(tmp_path) == []                              # nothing written
    assert report.total_params == model.count_parameters()
    convs = [row for row in report.rows if row.type == "Conv2d"]
    assert len(convs) == 20                     # 1 stem + 16 in blocks + 3 downsample
    assert sum(row.params for row in report.rows) == report.total_params


def test_resnet18_stem_flops():
    report = summarize(models.resnet18(), (1, 3, 64, 64), print_table=False)
    stem = report.rows[0]
    assert (stem.name, stem.output_shape) == ("conv1", (1, 64, 32, 32))
    assert stem.flops == 2 * 3 * 7 * 7 * 64 * 32 * 32
    fc = report.rows[-1]
    assert (fc.name, fc.flops) == ("fc", 2 * 512 * 1000)


def test_table_printed_and_returned(capsys):
    report = summarize(TinyNet(), (1, 2, 6, 6))
    printed = capsys.readouterr().out
    assert printed == str(report) + "\n"
    lines = printed.splitlines()
    assert lines[0] == "TinyNet: input (1, 2, 6, 6) -> output (1, 5)"
    assert lines[2].split() == ["Layer", "Type", "Output", "shape", "Params", "FLOPs"]
    assert lines[4].split()[:2] == ["conv", "Conv2d"] and lines[4].endswith(f"{report.rows[0].flops:,}")
    assert report.rows[0].flops == 2 * 2 * 9 * 4 * 36
    assert f"Total FLOPs: {report.total_flops:,}" in printed
    assert "Total params: 261" in printed
    assert repr(report).startswith("ModelSummary(TinyNet, layers=4")


def test_bad_input():
    with pytest.raises(TypeError, match="summarize: model must be a lucid.nn.Module; got function"):
        summarize(lambda x: x, (1, 2))
    with pytest.raises(TypeError, match=r"summarize: input_shape must be a non-empty tuple of ints such as"):
        summarize(TinyNet(), 5)
    with pytest.raises(TypeError, match=r"summarize: input_shape must hold ints; got \(1, 2.0\)"):
        summarize(TinyNet(), (1, 2.0))
    with pytest.raises(ValueError, match=r"summarize: every size in input_shape must be positive; "
                                         r"got \(1, 0, 6, 6\)"):
        summarize(TinyNet(), (1, 0, 6, 6))
