"""Embedding against PyTorch: lookup values, weight gradient (padding row excluded),
init (normal(0, 1), padding row zero), repr, state_dict, from_pretrained, errors."""
import numpy as np
import pytest

import lucid
from lucid import nn
from tests.conftest import torch
from tests.nn.modules._parity import module_parity

needs_torch = pytest.mark.torch


@needs_torch
@pytest.mark.parametrize("padding_idx", [None, 0, -2])
def test_parity(float_dtype, rng, padding_idx):
    layer = nn.Embedding(7, 3, padding_idx=padding_idx)
    twin = torch.nn.Embedding(7, 3, padding_idx=padding_idx)
    idx = rng.integers(0, 7, (4, 5))
    idx[0, :3] = [0, 5, 5]                                  # padding row and a repeat
    module_parity(layer, twin, [idx], float_dtype, rng)
    assert repr(layer) == repr(twin)


def test_init_and_padding_row():
    lucid.random.seed(0)
    layer = nn.Embedding(2000, 50, padding_idx=3)
    w = layer.weight.data
    assert w.dtype == np.float32 and (w[3] == 0).all()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01
    assert list(layer.state_dict()) == ["weight"]
    y = layer(lucid.Tensor([3, 3, 1]))
    y.sum().backward()
    assert (layer.weight.grad[3] == 0).all() and (layer.weight.grad[1] == 1).all()


def test_from_pretrained():
    table = lucid.Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    assert frozen(lucid.Tensor([2, 0])).data.tolist() == [[5.0, 6.0], [1.0, 2.0]]
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_bad_settings_and_inputs():
    with pytest.raises(ValueError, match=r"Embedding: padding_idx must lie in \[-5, 5\); got 5"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match="Embedding: embedding_dim must be positive"):
        nn.Embedding(5, 0)
    with pytest.raises(TypeError, match="Embedding: num_embeddings must be an int"):
        nn.Embedding(5.0, 2)
    with pytest.raises(ValueError, match=r"embedding: indices in input_ must lie in \[0, 5\)"):
        nn.Embedding(5, 2)(lucid.Tensor([1, 5]))
    with pytest.raises(TypeError, match="embedding: input_ must hold integer indices"):
        nn.Embedding(5, 2)(lucid.Tensor([1.0]))
