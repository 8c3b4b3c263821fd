"""nn.Flatten against torch.nn.Flatten: shapes, values, gradients, errors."""
import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch


@pytest.mark.torch
@pytest.mark.parametrize("start, end", [(1, -1), (0, -1), (0, 1), (1, 2), (-2, -1)])
def test_matches_torch(start, end):
    x_np = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    x = lucid.Tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    y = nn.Flatten(start, end)(x)
    ty = torch.nn.Flatten(start, end)(tx)
    assert_close(y, ty.detach().numpy())
    seed = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(seed)
    ty.backward(torch.from_numpy(seed))
    assert_close(x.grad, tx.grad.numpy())


def test_gradcheck_and_in_sequential():
    x = lucid.Tensor(np.random.default_rng(2).standard_normal((2, 3, 2)), requires_grad=True)
    assert gradcheck(lambda t: nn.Flatten()(t) * 2.0, [x])
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 2 * 2, 3))
    assert model(lucid.zeros((5, 1, 4, 4))).shape == (5, 3)


def test_bad_arguments():
    with pytest.raises(TypeError, match="Flatten: start_axis must be an int"):
        nn.Flatten(1.5)
    with pytest.raises(TypeError, match="Flatten: input must be a Tensor"):
        nn.Flatten()(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="axis"):
        nn.Flatten(3)(lucid.zeros((2, 3)))
