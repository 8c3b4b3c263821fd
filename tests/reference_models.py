"""torchvision and timm, the optional reference implementations of the model zoo.

Both are optional test dependencies (``pip install -e ".[models-test]"``, installed with
``--no-deps`` beside ``torch==2.13.0``). A test that uses one carries its marker
(``@pytest.mark.torchvision`` / ``@pytest.mark.timm``) and takes the module from
:func:`torchvision` / :func:`timm` here; ``tests/conftest.py`` skips marked tests, with
one reason each, when the package cannot be imported. No test imports them itself.

PyPI's torchvision 0.28 is a CUDA build: beside the CPU ``torch==2.13.0`` its compiled
operators (``torchvision._C``) do not load, and its Python half then fails at import
while registering shape functions for the detection operators ``torchvision::nms`` and
``torchvision::qnms`` ("operator torchvision::nms does not exist"). The classification
models never call those operators, so :func:`torchvision` declares the two schemas
(without any kernel) before importing; a detection call would still fail, loudly.
timm imports torchvision, so it needs the same step.
"""
import functools
import importlib

import numpy as np

MISSING = {
    "torchvision": "torchvision is not installed (pip install --no-deps torchvision==0.28.0) "
                   "so the torchvision reference models are absent",
    "timm": "timm is not installed (pip install --no-deps timm==1.0.31, with torchvision) so "
            "the timm reference models are absent",
}


def _declare_detection_ops(torch):
    """Declare torchvision's two detection schemas when its compiled library is absent."""
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _declare_detection_ops.lib = lib          # a Library lives as long as its object


@functools.lru_cache(maxsize=None)
def load(name):
    """The module ``name`` ('torchvision' or 'timm'), or None when it cannot be imported."""
    try:
        torch = importlib.import_module("torch")
        if importlib.util.find_spec("torchvision") is None:
            return None
        try:
            importlib.import_module("torchvision")
        except RuntimeError:                   # the CUDA build's operators did not load
            _declare_detection_ops(torch)
            importlib.import_module("torchvision")
        return importlib.import_module(name)
    except ImportError:
        return None


def torchvision():
    return load("torchvision")


def timm():
    return load("timm")


# ------------------------------------------------------------------ copying weights
def _float_buffers(module):
    return [(n, b) for n, b in module.named_buffers() if b.dtype.is_floating_point]


def _lucid_float_buffers(model):
    return [(n, b) for n, b in model.named_buffers() if b.data.dtype.kind == "f"]


def copy_weights(torch_model, model):
    """Copy every parameter and floating buffer of ``torch_model`` into ``model``, in
    registration order (the two must list them in the same order with the same sizes; a
    Linear may face a 1x1 convolution). Returns the number of tensors copied."""
    pairs = list(zip(torch_model.named_parameters(), model.named_parameters()))
    pairs += list(zip(_float_buffers(torch_model), _lucid_float_buffers(model)))
    n_torch = len(list(torch_model.parameters())) + len(_float_buffers(torch_model))
    n_lucid = len(list(model.parameters())) + len(_lucid_float_buffers(model))
    assert n_torch == n_lucid, f"{n_torch} tensors in the reference, {n_lucid} in lucid's"
    for (t_name, t), (name, p) in pairs:
        value = t.detach().cpu().numpy()
        assert value.size == p.data.size, f"{t_name} {tuple(t.shape)} vs {name} {p.shape}"
        p.data[...] = value.reshape(p.shape)
    return len(pairs)


def lucid_grads(model):
    return [p.grad for p in model.parameters()]


def torch_grads(torch_model):
    return [p.grad.detach().numpy() for p in torch_model.parameters()]


def compare_with_reference(torch, torch_model, model, input_shape, rtol=1e-6, atol=1e-6,
                           seed=0, train=True):
    """Copy ``torch_model``'s weights into ``model`` and compare, in float64: the eval-mode
    outputs, then a training step's loss and every parameter gradient (train mode, batch
    statistics in batch norm; dropout must be off in both). ``train=False`` takes the
    step in evaluation mode (running statistics), for inputs so small that batch norm
    over the last maps would be ill-conditioned."""
    import lucid
    from lucid.testing import assert_close

    torch_model = torch_model.double()
    model = model.double()
    copy_weights(torch_model, model)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape)
    torch_model.eval()
    model.eval()
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    with lucid.no_grad():
        got = model(lucid.Tensor(x)).data
    scale = float(np.abs(expected).max()) or 1.0      # relative to the size of the values
    assert_close(got, expected, rtol=rtol, atol=atol * scale)

    torch_model.train(train)
    model.train(train)
    weights = rng.standard_normal(expected.shape)
    t_out = torch_model(torch.from_numpy(x))
    (t_out * torch.from_numpy(weights)).sum().backward()
    out = model(lucid.Tensor(x))
    (out * lucid.Tensor(weights)).sum().backward()
    assert_close(out.data, t_out.detach().numpy(), rtol=rtol, atol=atol * scale)
    expected_grads = torch_grads(torch_model)
    # atol relative to the largest gradient of the model: a gradient that is zero in
    # exact arithmetic (rounding noise of 1e-12) is not compared with itself
    g_scale = max(float(np.abs(tg).max()) for tg in expected_grads) or 1.0
    for i, (g, tg) in enumerate(zip(lucid_grads(model), expected_grads)):
        assert g is not None, f"parameter {i} got no gradient"
        assert_close(g.reshape(tg.shape), tg, rtol=rtol, atol=atol * g_scale)
