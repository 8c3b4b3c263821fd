"""TinyShakespeare: the shipped text (size, provenance, checksum), its split, its
windows, encode/decode, and bad arguments."""
import hashlib
import os

import numpy as np
import pytest

import lucid
from lucid.datasets import TinyShakespeare
from lucid.datasets import shakespeare as module


def test_shipped_text_and_its_readme():
    raw = open(module.TEXT_FILE, "rb").read()
    assert len(raw) == 31_742 and raw.count(b"\n") == 1_193
    readme = open(os.path.join(os.path.dirname(module.TEXT_FILE), "README"),
                  encoding="utf-8").read()
    assert hashlib.sha256(raw).hexdigest() in readme
    assert "Public domain" in readme and "karpathy/char-rnn" in readme
    text = module.load_text()
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")
    assert text.endswith("In praises sauced with lies.\n")


def test_split_and_shared_vocabulary():
    train, valid = TinyShakespeare(seq_len=32), TinyShakespeare(seq_len=32, train=False)
    whole = module.load_text()
    assert train.text + valid.text == whole
    assert len(train.text) == round(len(whole) * 0.9)
    assert train.chars == valid.chars == sorted(set(whole)) and train.vocab_size == 58
    other = TinyShakespeare(seq_len=32, train_fraction=0.5)
    assert len(other.text) == round(len(whole) * 0.5)


@pytest.mark.parametrize("seq_len, stride", [(16, None), (10, 3), (1, 1)])
def test_windows_are_shifted_by_one(seq_len, stride):
    data = TinyShakespeare(seq_len=seq_len, stride=stride)
    step = stride or seq_len
    assert len(data) == (len(data.codes) - seq_len - 1) // step + 1
    for i in (0, 7, len(data) - 1, -1):
        x, y = data[i]
        start = (i % len(data)) * step
        assert x.dtype == np.int64 and x.shape == (seq_len,) and y.shape == (seq_len,)
        assert data.decode(x) == data.text[start:start + seq_len]
        assert data.decode(y) == data.text[start + 1:start + seq_len + 1]
    last_x, last_y = data[len(data) - 1]
    assert (len(data) - 1) * step + seq_len + 1 <= len(data.codes)


def test_encode_decode_round_trip_and_loader():
    data = TinyShakespeare(seq_len=8)
    line = "Hail, noble Marcius!"
    assert data.decode(data.encode(line)) == line
    assert data.decode(lucid.Tensor(data.encode(line))) == line
    xb, yb = next(iter(lucid.data.DataLoader(data, batch_size=4)))
    assert xb.shape == (4, 8) and yb.shape == (4, 8) and xb.dtype == np.int64
    assert repr(data) == "TinyShakespeare(train, 3570 windows of 8 characters, vocabulary 58)"


@pytest.mark.parametrize("call, error, match", [
    (lambda: TinyShakespeare(seq_len=0), ValueError, r"TinyShakespeare: seq_len must be positive"),
    (lambda: TinyShakespeare(seq_len=2.0), TypeError, r"seq_len must be an int"),
    (lambda: TinyShakespeare(stride=0), ValueError, r"stride must be positive"),
    (lambda: TinyShakespeare(train="yes"), TypeError, r"train must be a bool"),
    (lambda: TinyShakespeare(train_fraction=1.0), ValueError, r"train_fraction must lie in \(0, 1\)"),
    (lambda: TinyShakespeare(seq_len=5000, train=False), ValueError,
     r"the validation part has 3174 characters, fewer than one window of seq_len \+ 1 = 5001"),
    (lambda: TinyShakespeare().encode("Zoë"), ValueError, r"characters not in the vocabulary: 'Zë'"),
    (lambda: TinyShakespeare().encode(b"abc"), TypeError, r"text must be a str; got bytes"),
    (lambda: TinyShakespeare().decode([58]), ValueError, r"codes must be ints in \[0, 58\)"),
    (lambda: TinyShakespeare().decode([1.5]), ValueError, r"codes must be ints"),
    (lambda: TinyShakespeare()[10_000], IndexError, r"out of range"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
