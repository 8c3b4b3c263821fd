"""embedding against torch.nn.functional.embedding: values and weight gradients
(repeated indices, padding_idx incl. negative) in float32 and float64 on both
scatter twins; gradcheck; bad inputs."""
import numpy as np
import pytest

import lucid
from lucid.nn.functional.embedding import embedding
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch

KERNEL_FAMILIES = ("scatter",)
needs_torch = pytest.mark.torch


@needs_torch
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_matches_torch(twin, padding_idx, float_dtype):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 4)).astype(float_dtype)
    idx = rng.integers(0, 6, (3, 5))
    idx[0, :3] = [2, 2, 5]                                  # repeats and the padding rows
    seed = rng.standard_normal((3, 5, 4)).astype(float_dtype)
    lw = lucid.Tensor(w, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ly = embedding(lucid.Tensor(idx), lw, padding_idx)
    ty = torch.nn.functional.embedding(torch.tensor(idx), tw, padding_idx)
    assert_close(ly, ty.detach().numpy())
    ly.backward(seed)
    ty.backward(torch.tensor(seed))
    assert_close(lw.grad, tw.grad.numpy())
    if padding_idx is not None:
        assert not lw.grad[padding_idx].any()


def test_gradcheck(twin):
    w = lucid.Tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    idx = lucid.Tensor(np.array([[0, 3, 3], [1, 0, 2]]))
    assert gradcheck(lambda t: embedding(idx, t), [w])   # (padding_idx: no gradient on purpose)


def test_bad_inputs():
    w = lucid.Tensor(np.zeros((4, 3)))
    with pytest.raises(TypeError, match=r"embedding: input_ must hold integer indices .*"
                                        r"got dtype float32"):
        embedding(lucid.Tensor([1.0]), w)
    with pytest.raises(ValueError, match=r"embedding: indices in input_ must lie in \[0, 4\) "
                                         r"for a weight of 4 rows; got 4"):
        embedding(lucid.Tensor([0, 4]), w)
    with pytest.raises(ValueError, match=r"embedding: indices .*got -1"):
        embedding(lucid.Tensor([-1]), w)
    with pytest.raises(ValueError, match=r"embedding: weight must be 2-d"):
        embedding(lucid.Tensor([0]), lucid.Tensor(np.zeros(4)))
    with pytest.raises(ValueError, match=r"embedding: padding_idx must lie in \[-4, 4\); got 4"):
        embedding(lucid.Tensor([0]), w, padding_idx=4)
    with pytest.raises(TypeError, match=r"embedding: weight must have a floating dtype"):
        embedding(lucid.Tensor([0]), lucid.Tensor(np.zeros((4, 3), np.int64)))


# ------------------------------------------------------------------------ one_hot
@pytest.mark.torch
@pytest.mark.parametrize("shape,num_classes", [((5,), -1), ((2, 3), 6), ((), 4), ((0,), 3),
                                               ((2, 0, 3), 2)])
def test_one_hot_matches_torch(shape, num_classes):
    from lucid.nn.functional.embedding import one_hot
    high = 4 if num_classes == -1 else num_classes
    t = np.random.default_rng(0).integers(0, high, shape)
    ours = one_hot(lucid.Tensor(t), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(t), num_classes)
    assert ours.dtype == np.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_one_hot_loop_oracle_and_errors():
    from lucid.nn.functional.embedding import one_hot
    t = np.array([[3, 0], [1, 1]], dtype=np.int32)
    y = one_hot(lucid.Tensor(t), 5).data
    for i in range(2):
        for j in range(2):
            for c in range(5):
                assert y[i, j, c] == (1 if t[i, j] == c else 0)
    with pytest.raises(ValueError, match=r"one_hot: class indices must be non-negative; got -1"):
        one_hot(lucid.Tensor([0, -1]))
    with pytest.raises(ValueError, match=r"one_hot: class indices must be smaller than "
                                         r"num_classes \(3\); got 3"):
        one_hot(lucid.Tensor([0, 3]), 3)
    with pytest.raises(ValueError, match=r"one_hot: num_classes=-1 infers .* input_ is empty"):
        one_hot(lucid.Tensor(np.zeros(0, np.int64)))
    with pytest.raises(ValueError, match=r"one_hot: num_classes must be at least -1; got -2"):
        one_hot(lucid.Tensor([0]), -2)
    with pytest.raises(TypeError, match=r"one_hot: input_ must hold integer indices .*float32"):
        one_hot(lucid.Tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match=r"one_hot: input_ must be a Tensor; got list"):
        one_hot([0, 1])
