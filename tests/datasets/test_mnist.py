"""MNIST / FashionMNIST: read small IDX files (gzipped or not, both layouts), errors,
and download=True with the network replaced by a stub."""
import gzip
import os
import urllib.error

import numpy as np
import pytest

import lucid
import lucid.data
import lucid.transforms
from lucid.datasets import MNIST, FashionMNIST, _files


def write_idx(path, array, code=0x08, compress=True):
    """The IDX format, written by hand: magic 0 0 <code> <ndim>, big-endian sizes, values."""
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    payload = header + array.tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(payload)


def make_split(folder, prefix, n, rng, compress=True):
    os.makedirs(folder, exist_ok=True)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte{suffix}"), images, compress=compress)
    write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{suffix}"), labels, compress=compress)
    return images, labels


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
@pytest.mark.parametrize("layout", ["torchvision", "flat"])
@pytest.mark.parametrize("compress", [True, False])
def test_reads_train_and_test(tmp_path, rng, cls, layout, compress):
    folder = tmp_path / cls.__name__ / "raw" if layout == "torchvision" else tmp_path
    train_images, train_labels = make_split(folder, "train", 5, rng, compress)
    test_images, test_labels = make_split(folder, "t10k", 3, rng, compress)
    train, test = cls(tmp_path), cls(str(tmp_path), train=False)
    assert len(train) == 5 and len(test) == 3
    np.testing.assert_array_equal(train.data, train_images)
    np.testing.assert_array_equal(test.targets, test_labels.astype(np.int64))
    image, label = train[2]
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8
    np.testing.assert_array_equal(image, train_images[2])
    assert label == int(train_labels[2]) and type(label) is int


def test_transforms_are_applied(tmp_path, rng):
    images, labels = make_split(tmp_path, "train", 4, rng)
    ds = MNIST(tmp_path, transform=lucid.transforms.ToTensor(), target_transform=lambda y: y + 100)
    image, label = ds[1]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    np.testing.assert_allclose(image.data[0], images[1] / np.float32(255), rtol=1e-6)
    assert label == labels[1] + 100
    xb, yb = next(iter(lucid.data.DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and yb.tolist() == (labels.astype(int) + 100).tolist()


def test_read_idx_other_dtypes(tmp_path):
    values = np.arange(-6, 6, dtype=">i2").reshape(3, 4)
    write_idx(tmp_path / "x.idx", values, code=0x0B, compress=False)
    out = _files.read_idx(str(tmp_path / "x.idx"))
    assert out.dtype == np.int16 and out.dtype.isnative
    np.testing.assert_array_equal(out, values)
    floats = np.linspace(0, 1, 5).astype(">f8")
    write_idx(tmp_path / "f.idx.gz", floats, code=0x0E)
    np.testing.assert_array_equal(_files.read_idx(str(tmp_path / "f.idx.gz")), floats)


def test_missing_root_and_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"MNIST: the root folder .*nowhere does not exist.*IDX"):
        MNIST(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"FashionMNIST: found no train-images-idx3-ubyte\.gz .*"
                                                r"FashionMNIST.raw.*download=True"):
        FashionMNIST(tmp_path)
    with pytest.raises(TypeError, match="MNIST: root must be a path"):
        MNIST(3)


def test_wrong_format_names_the_file(tmp_path, rng):
    make_split(tmp_path, "train", 2, rng)
    bad = tmp_path / "train-images-idx3-ubyte.gz"
    bad.write_bytes(b"this is not an IDX file at all")
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz: is not an IDX file.*expected IDX"):
        MNIST(tmp_path)
    with gzip.open(bad, "wb") as f:                 # a truncated IDX
        f.write(bytes([0, 0, 8, 3]) + np.array([2, 28, 28], ">i4").tobytes() + b"\x00" * 10)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz: IDX sizes \(2, 28, 28\).*has 26"):
        MNIST(tmp_path)
    write_idx(bad, np.zeros((2, 28, 28), dtype=">f4"), code=0x0D)
    with pytest.raises(ValueError, match=r"expected IDX images of shape \(N, H, W\) and type uint8; got .*float32"):
        MNIST(tmp_path)
    write_idx(bad, np.zeros((3, 28, 28), dtype=np.uint8))
    with pytest.raises(ValueError, match="holds 3 images but .* holds 2 labels"):
        MNIST(tmp_path)
    write_idx(bad, np.zeros((2, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.array([1, 12], dtype=np.uint8))
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.9; found 12"):
        MNIST(tmp_path)


def test_download_without_network_names_url_and_root(tmp_path, monkeypatch):
    def offline(url, destination, timeout=30):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(_files, "fetch", offline)
    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path, download=True)
    message = str(info.value)
    assert MNIST.base_url + "train-images-idx3-ubyte.gz" in message
    assert os.path.join(str(tmp_path), "MNIST", "raw") in message and "no network" in message


def test_download_fetches_checks_and_reads(tmp_path, rng, monkeypatch):
    source = tmp_path / "server"
    images, labels = make_split(source, "t10k", 3, rng)
    served = {}
    md5s = {}
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        md5s[name] = _files.md5_of(str(source / name))

    def fake_fetch(url, destination, timeout=30):
        name = url.rsplit("/", 1)[1]
        served[name] = destination
        with open(source / name, "rb") as src, open(destination, "wb") as dst:
            dst.write(src.read())

    monkeypatch.setattr(_files, "fetch", fake_fetch)
    monkeypatch.setattr(MNIST, "files", {**MNIST.files, **md5s})
    ds = MNIST(tmp_path / "root", train=False, download=True)
    assert sorted(served) == sorted(md5s)          # only the test files were fetched
    assert all(os.path.dirname(p) == str(tmp_path / "root" / "MNIST" / "raw") for p in served.values())
    np.testing.assert_array_equal(ds.data, images)
    served.clear()
    MNIST(tmp_path / "root", train=False, download=True)
    assert served == {}                            # already there: nothing fetched again
    monkeypatch.setattr(MNIST, "files", {**MNIST.files, "t10k-images-idx3-ubyte.gz": "0" * 32})
    with pytest.raises(RuntimeError, match="has MD5 .* expected 0000"):
        MNIST(tmp_path / "other", train=False, download=True)
    assert not (tmp_path / "other" / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").exists()
