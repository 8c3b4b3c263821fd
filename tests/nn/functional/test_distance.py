"""cosine_similarity against torch.nn.functional: values and gradients of both inputs
(float32 / float64), broadcasting, zero and tiny vectors (the eps clamp), a loop oracle,
gradcheck, errors."""
import importlib

import numpy as np
import pytest

import lucid
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

# the module itself (lucid.nn.functional.distance)
F = importlib.import_module("lucid.nn.functional.distance")
needs_torch = pytest.mark.torch


def _rand(shape, dtype, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@needs_torch
@pytest.mark.parametrize("shape1,shape2,axis", [((4, 5), (4, 5), 1), ((3, 4, 5), (3, 4, 5), -1),
                                                ((3, 4, 5), (3, 4, 5), 0),
                                                ((3, 1, 5), (1, 4, 5), 2),     # broadcast
                                                ((6, 3), (3,), 1), ((5,), (5,), 0)])
def test_matches_torch(shape1, shape2, axis, float_dtype):
    arrays = [_rand(shape1, float_dtype, 0), _rand(shape2, float_dtype, 1)]
    torch_parity(lambda a, b: F.cosine_similarity(a, b, axis),
                 lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=axis), arrays)
    torch_parity(lambda a, b: F.cosine_similarity(a, b, dim=axis),     # PyTorch's name
                 lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=axis), arrays)


@needs_torch
def test_zero_and_tiny_vectors_as_torch(float_dtype):
    """Norms below eps are clamped; the gradient goes through the unclamped norm (0 for
    a zero vector), as in PyTorch."""
    a = _rand((4, 3), float_dtype, 0)
    b = _rand((4, 3), float_dtype, 1)
    a[0] = 0.0
    a[1] = [1e-4, -2e-4, 1e-4]                      # norm below eps = 1e-3
    b[2] = 0.0
    torch_parity(lambda u, v: F.cosine_similarity(u, v, eps=1e-3),
                 lambda u, v: torch.nn.functional.cosine_similarity(u, v, eps=1e-3), [a, b])


def test_loop_oracle():
    a, b = _rand((3, 4), np.float64, 2), _rand((3, 4), np.float64, 3)
    got = F.cosine_similarity(lucid.Tensor(a), lucid.Tensor(b)).data
    for i in range(3):
        want = sum(a[i, k] * b[i, k] for k in range(4)) / (
            np.sqrt(sum(a[i, k] ** 2 for k in range(4))) * np.sqrt(sum(b[i, k] ** 2 for k in range(4))))
        assert abs(got[i] - want) < 1e-14


def test_gradcheck():
    a = lucid.Tensor(_rand((3, 4), np.float64, 4), requires_grad=True)
    b = lucid.Tensor(_rand((1, 4), np.float64, 5), requires_grad=True)
    assert gradcheck(lambda u, v: F.cosine_similarity(u, v), [a, b])
    # (below eps the gradient is PyTorch's, through the unclamped norm, which is not
    # the derivative of the clamped function: test_zero_and_tiny_vectors_as_torch)


def test_one_node():
    a = lucid.Tensor(_rand((3, 4), np.float32, 7), requires_grad=True)
    assert type(F.cosine_similarity(a, a).grad_fn).__name__ == "CosineSimilarity"


def test_bad_inputs():
    x = lucid.Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"cosine_similarity: x1 of shape \(2, 3\) and x2 of "
                                         r"shape \(4,\) do not broadcast"):
        F.cosine_similarity(x, lucid.Tensor(np.zeros(4)))
    with pytest.raises(TypeError, match=r"cosine_similarity: x2 must have the dtype of x1 "
                                        r"\(float64\); got float32"):
        F.cosine_similarity(x, lucid.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"cosine_similarity: x1 must have a floating dtype"):
        F.cosine_similarity(lucid.Tensor([1, 2]), x)
    with pytest.raises(ValueError, match=r"cosine_similarity: axis 2 is out of range"):
        F.cosine_similarity(x, x, 2)
    with pytest.raises(ValueError, match=r"cosine_similarity: eps must be a number > 0.0"):
        F.cosine_similarity(x, x, eps=0.0)
    with pytest.raises(ValueError, match=r"cosine_similarity: x1 and x2 must have at least one"):
        F.cosine_similarity(lucid.Tensor(1.0), lucid.Tensor(2.0))
    with pytest.raises(TypeError, match=r"cosine_similarity: got both axis= and dim="):
        F.cosine_similarity(x, x, axis=0, dim=0)
    assert_close(F.cosine_similarity(x[:0], x[:0]).data, np.zeros(0))
