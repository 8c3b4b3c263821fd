"""Exporting a lucid model and running the file in ONNX Runtime, for the onnx tests."""
import numpy as np

import lucid
from lucid import onnx as lucid_onnx

from tests.conftest import onnx, onnxruntime

#: The bar for float32 outputs: max |ONNX Runtime - lucid| <= TOLERANCE * max |lucid|.
TOLERANCE = 1e-5


def randomize(model, seed=0):
    """Fill every parameter and floating buffer with values of order 0.1-1 (running
    variances positive), so no layer computes zeros; returns the model."""
    rng = np.random.default_rng(seed)
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t is None or t.data.dtype.kind != "f":
            continue
        values = rng.standard_normal(t.shape) * 0.3
        if name.endswith("running_var"):
            values = rng.uniform(0.5, 1.5, t.shape)
        t.data[...] = values
    return model


def assert_matches(got, want, what="output"):
    """``got`` (ONNX Runtime) equals ``want`` (lucid) to TOLERANCE of the output scale."""
    want = np.asarray(want.data if isinstance(want, lucid.Tensor) else want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, lucid {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, lucid {want.dtype}"
    if want.dtype.kind not in "fc":
        np.testing.assert_array_equal(got, want)
        return
    err = float(np.max(np.abs(got.astype(np.float64) - want), initial=0.0))
    scale = float(np.max(np.abs(want), initial=0.0))
    assert err <= TOLERANCE * scale, f"{what}: max difference {err:.3g} at output scale {scale:.3g}"


def session(path):
    """An ONNX Runtime session of the file (after the checker accepts it)."""
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def run(sess, *inputs):
    feed = {i.name: np.asarray(x.data if isinstance(x, lucid.Tensor) else x)
            for i, x in zip(sess.get_inputs(), inputs)}
    return sess.run(None, feed)


def export_and_compare(model, example, tmp_path, other=None, dynamic=True, **kwargs):
    """Export ``model`` (in eval mode) on ``example`` (a tuple of Tensors), with axis 0
    of every input dynamic when ``dynamic``; run the file on ``example`` and on each
    input tuple in ``other``; compare every output with lucid's. Returns the session."""
    model.eval()
    example = example if isinstance(example, tuple) else (example,)
    names = ["input"] if len(example) == 1 else [f"input_{i}" for i in range(len(example))]
    if dynamic and "dynamic_axes" not in kwargs:
        kwargs["dynamic_axes"] = {n: {0: "batch"} for n in names}
    path = tmp_path / "model.onnx"
    lucid_onnx.export(model, example, path, **kwargs)
    sess = session(path)
    for inputs in [example] + list(other or []):
        inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        want = model(*inputs)
        wants = [w for w in _flat(want) if w is not None]
        got = run(sess, *inputs)
        assert len(got) == len(wants)
        for k, (g, w) in enumerate(zip(got, wants)):
            assert_matches(g, w, f"output {k} for inputs {[x.shape for x in inputs]}")
    return sess


def _flat(out):
    """The Tensors of a model's output in order, nested tuples (an LSTM's) unpacked."""
    if isinstance(out, (tuple, list)):
        return [t for part in out for t in _flat(part)]
    return [out]


def randn(*shape, seed=1):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))
