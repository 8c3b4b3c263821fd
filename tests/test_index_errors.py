"""One rule for every index value out of range: ``lucid.IndexOutOfRangeError``, both an
``IndexError`` (Python's convention) and a ``ValueError`` (every bad argument value),
raised before anything is computed, naming the function."""
import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid import _ext


def _pool_indices():
    _, idx = F.max_pool1d(lucid.ones(1, 1, 4), 2, return_indices=True)
    return idx


CASES = {
    "getitem": (lambda: lucid.ones(3, 2)[3], "index 3 is out of range"),
    "getitem array": (lambda: lucid.ones(3)[lucid.Tensor([0, -4])], "index -4"),
    "gather": (lambda: lucid.gather(lucid.ones(2, 3), 1, lucid.Tensor([[0, 3]])),
               "gather: index 3"),
    "index_select": (lambda: lucid.index_select(lucid.ones(2, 3), 0, lucid.Tensor([2])),
                     "index_select: index 2"),
    "embedding": (lambda: F.embedding(lucid.Tensor([0, 5]), lucid.ones(5, 2)),
                  "embedding: indices in input_ must lie in"),
    "one_hot": (lambda: F.one_hot(lucid.Tensor([0, 3]), num_classes=3), "one_hot"),
    "one_hot negative": (lambda: F.one_hot(lucid.Tensor([-1])), "non-negative"),
    "cross_entropy": (lambda: F.cross_entropy(lucid.ones(2, 3), lucid.Tensor([0, 3])),
                      "class indices in target"),
    "nll_loss": (lambda: F.nll_loss(lucid.ones(2, 3), lucid.Tensor([-2, 0])),
                 "class indices in target"),
    "max_unpool": (lambda: F.max_unpool1d(lucid.ones(1, 1, 2), _pool_indices() + 9, 2),
                   "indices must lie in"),
    "Sequential": (lambda: nn.Sequential(nn.ReLU())[1], "index 1 is out of range"),
    "TensorDataset": (lambda: lucid.data.TensorDataset(lucid.ones(2, 1))[2],
                      "out of range for a dataset of length 2"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_index_out_of_range_is_one_error_of_both_kinds(case):
    call, words = CASES[case]
    with pytest.raises(lucid.IndexOutOfRangeError, match=words) as info:
        call()
    assert isinstance(info.value, IndexError) and isinstance(info.value, ValueError)


def test_the_kernels_index_checks_raise_the_same_error(twin):
    target, index, rows = np.zeros((2, 3)), np.array([0, 2], dtype=np.int64), np.ones((2, 3))
    with pytest.raises(lucid.IndexOutOfRangeError, match="index entries must be rows"):
        _ext.get("scatter").scatter_add(target, index, rows)
