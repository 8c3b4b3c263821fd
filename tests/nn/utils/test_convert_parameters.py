"""parameters_to_vector / vector_to_parameters against torch.nn.utils (values, the order,
gradients through the vector), the round trip, in-place writes into the same Parameters
(noted, so stale graphs refuse backward), gradcheck, errors."""
import re

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.nn.utils import parameters_to_vector, vector_to_parameters
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Conv1d(2, 2, 3), nn.LayerNorm(5))


@pytest.mark.torch
def test_matches_torch(float_dtype):
    shapes = [(4, 3), (4,), (2, 2, 3), (5,)]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(float_dtype) for s in shapes]
    torch_parity(lambda *ts: parameters_to_vector(ts) * lucid.arange(33.0).astype(float_dtype),
                 lambda *ts: torch.nn.utils.parameters_to_vector(ts) * torch.arange(33.0).to(
                     ts[0].dtype), arrays)
    vec = rng.standard_normal(33).astype(float_dtype)
    ours = [nn.Parameter(lucid.Tensor(a)) for a in arrays]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    vector_to_parameters(lucid.Tensor(vec), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(vec), theirs)
    for p, q in zip(ours, theirs):
        assert p.dtype == float_dtype
        np.testing.assert_array_equal(p.data, q.detach().numpy())


def test_order_loop_oracle_and_round_trip():
    model = _model()
    theta = parameters_to_vector(model.parameters())
    flat = [v for p in model.parameters() for v in p.data.ravel()]
    np.testing.assert_array_equal(theta.data, flat)
    weights = [p for p in model.parameters()]
    new = lucid.arange(float(theta.shape[0]))
    vector_to_parameters(new, model.parameters())
    assert [p for p in model.parameters()] == weights               # the same objects
    k = 0
    for p in model.parameters():
        for v in p.data.ravel():
            assert v == k
            k += 1
    np.testing.assert_array_equal(parameters_to_vector(model.parameters()).data, new.data)


def test_the_vector_is_a_copy_with_gradients():
    layer = nn.Linear(2, 2)
    theta = parameters_to_vector(layer.parameters())
    theta.data[:] = 0.0
    assert np.all(layer.weight.data != 0) or np.all(layer.bias.data != 0)
    (parameters_to_vector(layer.parameters()) ** 2).sum().backward()
    assert_close(layer.weight.grad, 2 * layer.weight.data)
    assert_close(layer.bias.grad, 2 * layer.bias.data)


def test_gradcheck():
    a = lucid.Tensor(np.random.default_rng(1).standard_normal((2, 3)), requires_grad=True)
    b = lucid.Tensor(np.random.default_rng(2).standard_normal(4), requires_grad=True)
    assert gradcheck(lambda u, v: parameters_to_vector([u, v]) ** 3, [a, b])


def test_writes_are_noted_and_run_outside_the_graph():
    w = nn.Parameter(lucid.Tensor(np.ones(3)))
    y = (w * w).sum()                                  # saves w's memory for backward
    v = lucid.Tensor(np.full(3, 2.0), requires_grad=True)
    vector_to_parameters(v, [w])                       # allowed in grad mode: like a step
    assert w.requires_grad and w.grad_fn is None
    np.testing.assert_array_equal(w.data, [2.0, 2.0, 2.0])
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_dtype_is_kept_and_cast():
    w = nn.Parameter(lucid.Tensor(np.zeros(2, np.float32)))
    vector_to_parameters(lucid.Tensor(np.array([0.1, 0.2])), [w])     # float64 into float32
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w.data, np.array([0.1, 0.2], np.float32))


@pytest.mark.parametrize("call,error,message", [
    (lambda ps: vector_to_parameters(np.zeros(5), ps), TypeError,
     "vector_to_parameters: vec must be a Tensor; got ndarray"),
    (lambda ps: vector_to_parameters(lucid.zeros((5, 1)), ps), ValueError,
     "vector_to_parameters: vec must be 1-d; got shape (5, 1)"),
    (lambda ps: vector_to_parameters(lucid.zeros(6), ps), ValueError,
     "vector_to_parameters: vec has 6 elements but the parameters have 5 in all"),
    (lambda ps: vector_to_parameters(lucid.zeros(4), ps), ValueError,
     "vector_to_parameters: vec has 4 elements but the parameters have 5 in all"),
    (lambda ps: vector_to_parameters(lucid.zeros(5), ps + [np.zeros(1)]), TypeError,
     "vector_to_parameters: parameters must hold Tensors only; item 2 is a ndarray"),
    (lambda ps: vector_to_parameters(lucid.zeros(5), [lucid.Tensor(np.zeros(5, np.int64))]),
     TypeError, "vector_to_parameters: vec's dtype float32 cannot be stored in parameter 0 "
                "of dtype int64"),
    (lambda ps: parameters_to_vector([]), ValueError,
     "parameters_to_vector: parameters is empty; there is nothing to flatten"),
    (lambda ps: parameters_to_vector(3.0), TypeError,
     "parameters_to_vector: parameters must be a Tensor or an iterable of Tensors"),
])
def test_bad_inputs_change_nothing(call, error, message):
    ps = [nn.Parameter(lucid.ones((2, 2))), nn.Parameter(lucid.ones(1))]
    with pytest.raises(error, match=re.escape(message)):
        call(ps)
    assert all(np.all(p.data == 1) for p in ps)
