"""Tensor construction, dtypes, attributes, printing."""
import numpy as np
import pytest

import lucid


@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2]], np.int64), (3, np.int64),
    (True, np.bool_), ([True, False], np.bool_), (np.arange(3, dtype=np.float64), np.float64),
    (np.arange(3, dtype=np.int32), np.int32), ([1, 2.5], np.float32),
])
def test_dtype_rules(data, dtype):
    assert lucid.Tensor(data).dtype == dtype


def test_dtype_argument():
    assert lucid.Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert lucid.Tensor([1.5], dtype=float).dtype == np.float32
    assert lucid.Tensor([1.5], dtype=int).dtype == np.int64
    with pytest.raises(TypeError, match="dtype"):
        lucid.Tensor([1.0], dtype="no-such-type")


def test_data_is_copied_never_shared():
    a = np.ones(3, dtype=np.float32)
    t = lucid.Tensor(a)
    a[0] = 5
    assert t.data[0] == 1
    u = lucid.Tensor(t)
    assert not np.shares_memory(u.data, t.data)


def test_attributes():
    t = lucid.Tensor(np.zeros((2, 3)), requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.dtype == np.float64
    assert t.requires_grad and t.is_leaf and t.grad is None and t.device == "cpu"
    assert len(t) == 2
    assert lucid.Tensor(2.5).item() == 2.5
    assert lucid.Tensor([[1, 2]]).tolist() == [[1, 2]]
    assert isinstance(t.numpy(), np.ndarray)
    d = t.detach()
    assert not d.requires_grad and np.shares_memory(d.data, t.data)
    assert t.to("cpu") is t


def test_bad_inputs():
    with pytest.raises(ValueError, match="device"):
        lucid.Tensor([1.0], device="gpu")
    with pytest.raises(TypeError):
        lucid.Tensor(["a", "b"])
    with pytest.raises(ValueError, match="one-element"):
        lucid.Tensor([1.0, 2.0]).item()


@pytest.mark.parametrize("data, text", [
    ([[[1.0, 2.5, 4.0, 1.5]]], "Tensor([[[1.0, 2.5, 4.0, 1.5]]])"),
    ([[[1.0, 2.5, 4.0, 1.5], [-4.0, -3.0, -3.5, 3.0]]],
     "Tensor([[[1.0, 2.5, 4.0, 1.5], [-4.0, -3.0, -3.5, 3.0]]])"),
    (0.1, "Tensor(0.1)"),
    ([1, 2, 3], "Tensor([1, 2, 3])"),
    ([True, False], "Tensor([True, False])"),
    ([float("nan"), float("inf"), -float("inf")], "Tensor([nan, inf, -inf])"),
])
def test_print_format(data, text):
    assert str(lucid.Tensor(data)) == text
    assert repr(lucid.Tensor(data)) == text


def test_print_grad_state_and_dtype():
    x = lucid.Tensor([1.0], requires_grad=True)
    assert str(x) == "Tensor([1.0], requires_grad=True)"
    assert str(lucid.add(x, x)) == "Tensor([2.0], grad_fn=Add)"
    assert str(lucid.Tensor(np.array([1.0]))) == "Tensor([1.0], dtype=float64)"


def test_big_tensors_are_summarised_like_numpy():
    text = str(lucid.Tensor(np.arange(5000.0, dtype=np.float32)))
    assert "..." in text and text.startswith("Tensor([0.0, 1.0, 2.0, ...,")
    assert text.count("\n") == 0
    text = str(lucid.Tensor(np.arange(40.0, dtype=np.float32).reshape(4, 10)))
    assert "\n" in text  # too wide for one line: laid out by rows
    assert text.splitlines()[1].startswith("        [10.0")
