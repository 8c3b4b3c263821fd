"""CosineSimilarity against PyTorch: values, gradients (float32 / float64), repr, errors.
The function is tested in tests/nn/functional/test_distance.py."""
import pytest

import lucid
from lucid import nn
from lucid.testing import gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

needs_torch = pytest.mark.torch


@needs_torch
@pytest.mark.parametrize("kw, tkw", [({}, {}), ({"dim": 0}, {"dim": 0}),
                                     ({"axis": -1, "eps": 1e-3}, {"dim": -1, "eps": 1e-3})])
def test_cosine_similarity_layer(float_dtype, rng, kw, tkw):
    layer, twin = nn.CosineSimilarity(**kw), torch.nn.CosineSimilarity(**tkw)
    assert repr(layer) == repr(twin)
    a, b = (rng.standard_normal((4, 5)).astype(float_dtype) for _ in range(2))
    torch_parity(layer, twin, [a, b])


def test_gradcheck(rng):
    u = lucid.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    v = lucid.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(nn.CosineSimilarity(), [u, v])


def test_bad_settings():
    with pytest.raises(TypeError, match="CosineSimilarity: axis must be an int; got None"):
        nn.CosineSimilarity(dim=None)
    with pytest.raises(ValueError, match="CosineSimilarity: eps must be a number > 0.0; got 0"):
        nn.CosineSimilarity(eps=0)
    with pytest.raises(TypeError, match="CosineSimilarity: got both axis= and dim="):
        nn.CosineSimilarity(axis=1, dim=1)
