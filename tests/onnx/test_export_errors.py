"""lucid.onnx.export refuses what it cannot write faithfully, with a message naming the
operation and the module that ran it, and writes no file then; bad arguments are
TypeError / ValueError before the model runs; a missing onnx names the extra."""
import sys

import numpy as np
import pytest

import lucid
from lucid import nn
import lucid.onnx

from tests.onnx.export_helpers import randn

onnx_only = pytest.mark.onnx


def _fails(model, args, tmp_path, error, match, **kwargs):
    path = tmp_path / "m.onnx"
    with pytest.raises(error, match=match):
        lucid.onnx.export(model, args, path, **kwargs)
    assert list(tmp_path.iterdir()) == [], "a failed export must not leave a file"


# -------------------------------------------------------- what cannot be exported
@onnx_only
def test_an_operation_without_a_mapping_names_it_and_its_module(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Unfold(kernel_size=2))
    _fails(model, randn(1, 1, 6, 6), tmp_path, ValueError,
           r"operation Unfold \(lucid\.ops\.conv\.Unfold\) run by module '1' \(Unfold\) "
           r"has no ONNX mapping")


class _NumPyStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        sign = lucid.Tensor(np.sign(x.data))       # computed with NumPy: not recorded
        return self.fc(x) * sign


@onnx_only
def test_a_value_computed_outside_lucid_operations_is_refused(tmp_path):
    _fails(_NumPyStep(), randn(4, 3), tmp_path, ValueError,
           r"input 1 of the operation Multiply run by the model itself \(_NumPyStep\) .*"
           r"without a recorded lucid operation")


class _Branch(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        y = self.fc(x)
        if x.shape[0] == 2:                          # Python decides: the graph cannot
            y = y * 2.0
        return y


@onnx_only
def test_a_forward_that_branches_on_the_input_is_refused(tmp_path):
    _fails(_Branch(), randn(2, 3), tmp_path, ValueError, "branches on the input",
           dynamic_axes={"input": [0]})


@onnx_only
def test_the_same_branch_without_dynamic_axes_exports_the_example(tmp_path):
    lucid.onnx.export(_Branch(), randn(2, 3), tmp_path / "m.onnx")
    assert (tmp_path / "m.onnx").stat().st_size > 0


class _Comparison(nn.Module):
    def forward(self, x):
        return lucid.where(x > 0, x, x * 0.1)           # x > 0 is not a recorded operation


@onnx_only
def test_a_mask_from_a_comparison_is_refused(tmp_path):
    _fails(_Comparison(), randn(3, 4), tmp_path, ValueError,
           r"operation Where run by the model itself \(_Comparison\): its parameter condition "
           "is an array that changes with the model's input")


class _BatchConstant(nn.Module):
    def forward(self, x):
        return x + lucid.zeros((x.shape[0], 1))      # a constant whose shape is the batch's


@onnx_only
def test_a_constant_made_from_a_dynamic_size_is_refused(tmp_path):
    _fails(_BatchConstant(), randn(3, 2), tmp_path, ValueError,
           "input 1 of the operation Add run by the model itself",
           dynamic_axes={"input": {0: "n"}})


@onnx_only
def test_an_uneven_adaptive_pool_over_a_dynamic_axis_is_refused(tmp_path):
    model = nn.AdaptiveAvgPool1d(3)
    _fails(model, randn(1, 2, 7), tmp_path, ValueError,
           r"AdaptiveAvgPool run by the model itself \(AdaptiveAvgPool1d\): adaptive pooling "
           "to a size other than 1 needs static spatial axes",
           dynamic_axes={"input": {2: "length"}})


@onnx_only
def test_a_non_tensor_output_is_refused(tmp_path):
    class Text(nn.Module):
        def forward(self, x):
            return "not a tensor"
    _fails(Text(), randn(1, 2), tmp_path, TypeError, "the model's output is a str")


# ---------------------------------------------------------------- bad arguments
@onnx_only
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(model=lambda x: x), TypeError, "model must be a lucid.nn.Module; got function"),
    (dict(args=np.zeros((1, 3))), TypeError, "args must be a Tensor or a tuple"),
    (dict(args=(3, 4)), ValueError, "args must contain at least one Tensor"),
    (dict(args=(randn(1, 3), {"scale": randn(1)})), TypeError,
     "keyword argument 'scale' is a Tensor"),
    (dict(opset_version=9), ValueError, "opset_version must be between 13 and"),
    (dict(opset_version="17"), TypeError, "opset_version must be an int"),
    (dict(input_names=["a", "b"]), ValueError, "input_names has 2 names but there are 1 inputs"),
    (dict(input_names="x"), TypeError, "input_names must be a list of non-empty strings"),
    (dict(output_names=["y", "y"]), ValueError, "output_names has repeated names"),
    (dict(dynamic_axes={"images": [0]}), ValueError, "dynamic_axes names 'images'"),
    (dict(dynamic_axes={"input": [2]}), ValueError,
     "dynamic_axes\\['input'\\] has axis 2, but the input 'input' has 2 axes"),
    (dict(dynamic_axes={"input": 0}), TypeError, "must be a list of axes or a dict"),
    (dict(dynamic_axes={"output": [3]}), ValueError,
     "dynamic_axes\\['output'\\] has axis 3, but the output 'output' has 2 axes"),
    (dict(dynamic_axes=[0]), TypeError, "dynamic_axes must be a dict"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_arguments(kwargs, error, match, tmp_path):
    call = dict(model=nn.Linear(3, 2), args=randn(1, 3))
    call.update(kwargs)
    _fails(call.pop("model"), call.pop("args"), tmp_path, error, match, **call)


@onnx_only
def test_a_model_that_fails_on_the_second_size_says_so(tmp_path):
    model = nn.MultiHeadAttention(4, 1, batch_first=True)
    q, kv = randn(2, 3, 4), randn(2, 5, 4, seed=2)
    _fails(model, (q, kv, kv), tmp_path, ValueError,
           "the model fails on a second input whose dynamic axes have other sizes",
           dynamic_axes={"input_0": {0: "batch"}})       # key and value keep batch 2


@onnx_only
def test_a_graph_onnx_runtime_cannot_run_is_not_written(tmp_path, monkeypatch):
    from tests.conftest import onnxruntime

    def no_kernel(*args, **kwargs):       # what ONNX Runtime says for, e.g., a float64 Conv
        raise RuntimeError("[ONNXRuntimeError] : 9 : NOT_IMPLEMENTED : Could not find an "
                           "implementation for Conv(11)")
    monkeypatch.setattr(onnxruntime, "InferenceSession", no_kernel)
    model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.ReLU()).double()
    _fails(model, lucid.Tensor(np.ones((1, 1, 5))), tmp_path, ValueError,
           "ONNX Runtime cannot load the exported graph .* the file was not written. .*"
           r"export a float32 model \(model.float\(\) and float32 inputs\)")


@onnx_only
def test_a_graph_onnx_runtime_computes_differently_is_not_written(tmp_path, monkeypatch):
    """The check before writing: a converter that computed wrongly is caught."""
    from lucid.onnx import _ops

    wrong = dict(_ops.CONVERTERS)
    wrong[lucid.ops.activation.LeakyReLU] = (
        lambda g, c: g.node("LeakyRelu", [g.use(c.inputs[0])], alpha=0.5), ())
    monkeypatch.setattr(_ops, "CONVERTERS", wrong)
    monkeypatch.setattr(lucid.onnx._export, "CONVERTERS", wrong)
    _fails(nn.LeakyReLU(0.1), randn(3, 4), tmp_path, ValueError,
           "on the example, ONNX Runtime's output 'output' differs from lucid's .* the file "
           "was not written")


# ------------------------------------------------------------- onnx missing
def test_missing_onnx_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx.checker", None)   # import onnx.checker fails
    with pytest.raises(ImportError, match=r'pip install "lucid\[onnx\]"'):
        lucid.onnx.export(nn.Linear(2, 2), randn(1, 2), tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_supported_operations_lists_the_homework_layers():
    names = lucid.onnx.supported_operations()
    assert names == sorted(names)
    for op in ("Conv", "ConvTranspose", "Linear", "MaxPool", "AvgPool", "AdaptiveAvgPool",
               "AffineNorm", "ReLU", "GELU", "Softmax", "Reshape", "Transpose",
               "Concatenate", "BasicIndex", "Embedding", "MatMul", "Transform"):
        assert op in names
    assert not any(name.startswith("_") for name in names)
