"""default_collate against torch.utils.data.default_collate (dtypes: floats -> float32)."""
import collections

import numpy as np
import pytest

import lucid
from lucid.data import default_collate
from lucid.testing import assert_close
from tests.conftest import torch

Pair = collections.namedtuple("Pair", "x y")


def _to_torch(sample):
    """The same sample with lucid Tensors as torch tensors (for the oracle)."""
    if isinstance(sample, lucid.Tensor):
        return torch.from_numpy(sample.data.copy())
    if isinstance(sample, dict):
        return {k: _to_torch(v) for k, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(_to_torch(v) for v in sample))
    if isinstance(sample, (list, tuple)):
        return type(sample)(_to_torch(v) for v in sample)
    return sample


def _assert_same(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, lucid.Tensor)
        expected = theirs.numpy()
        if expected.dtype == np.float64 and ours.dtype == np.float32:   # Python floats: lucid's float32
            expected = expected.astype(np.float32)
        assert_close(ours, expected)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for k in theirs:
            _assert_same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _assert_same(o, t)
    else:
        assert ours == theirs


RNG = np.random.default_rng(0)
BATCHES = {
    "tuples of arrays and ints": [(RNG.standard_normal((2, 3)).astype(np.float32), k) for k in range(4)],
    "tensors": [lucid.tensor(RNG.standard_normal(3)) for _ in range(3)],
    "dicts": [{"image": RNG.integers(0, 255, (1, 2, 2)).astype(np.uint8), "label": k, "name": f"s{k}"}
              for k in range(3)],
    "python floats": [0.5, 1.25, -2.0],
    "numpy scalars": [np.float64(1.5), np.float64(2.5)],
    "lists": [[1, 2.5], [3, 4.5]],
    "nested": [({"a": np.ones(2)}, [np.int64(k), 1.0]) for k in range(2)],
    "namedtuples": [Pair(np.zeros(2), k) for k in range(3)],
    "bools": [True, False, True],
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(BATCHES))
def test_matches_torch_default_collate(name):
    batch = BATCHES[name]
    expected = torch.utils.data.default_collate([_to_torch(s) for s in batch])
    _assert_same(default_collate(batch), expected)


def test_stacked_values_and_dtypes_without_torch():
    images = [np.full((2, 2), k, dtype=np.uint8) for k in range(3)]
    out_images, out_labels = default_collate(list(zip(images, [0, 1, 2])))
    assert out_images.dtype == np.uint8 and out_images.shape == (3, 2, 2)
    for k in range(3):
        np.testing.assert_array_equal(out_images.data[k], images[k])
    assert out_labels.dtype == np.int64 and out_labels.tolist() == [0, 1, 2]
    assert default_collate([0.5, 1.5]).dtype == np.float32          # Python floats: float32
    assert default_collate([np.zeros(2), np.ones(2)]).dtype == np.float64   # arrays keep theirs


def test_bad_batches():
    with pytest.raises(ValueError, match=r"default_collate: every sample in a batch must have the same shape.*"
                                         r"sample 1 has shape \(3,\)"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="same length"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(ValueError, match="keys"):
        default_collate([{"a": 1}, {"b": 2}])
    with pytest.raises(ValueError, match="at least one sample"):
        default_collate([])
    with pytest.raises(TypeError, match="default_collate: samples must be Tensors.*got NoneType"):
        default_collate([None, None])
    with pytest.raises(TypeError, match="dtype <U1 cannot be batched"):
        default_collate([np.array(["a"]), np.array(["b"])])
