"""CIFAR10 / CIFAR100: small batch files in the standard pickle format, the restricted
unpickler, errors naming the file, and download=True with the network stubbed."""
import io
import os
import pickle
import tarfile
import urllib.error

import numpy as np
import pytest

from lucid.datasets import CIFAR10, CIFAR100, _files


def dump(path, obj, protocol=2):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


def cifar10_folder(root, rng, sizes=(2, 3, 1, 2, 2), n_test=3, protocol=2):
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    batches = {}
    for k, n in enumerate(sizes, start=1):
        batches[f"data_batch_{k}"] = (rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                                      rng.integers(0, 10, n).tolist())
    batches["test_batch"] = (rng.integers(0, 256, (n_test, 3072), dtype=np.uint8),
                             rng.integers(0, 10, n_test).tolist())
    for name, (data, labels) in batches.items():
        dump(os.path.join(folder, name), {b"batch_label": name.encode(), b"data": data,
                                          b"labels": labels, b"filenames": [b"x.png"] * len(labels)},
             protocol)
    dump(os.path.join(folder, "batches.meta"), {b"label_names": [f"class{c}".encode() for c in range(10)],
                                                b"num_vis": 3072}, protocol)
    return folder, batches


def as_hwc(rows):
    """The layout rule, by loops: row = 1024 red, 1024 green, 1024 blue, each 32x32 row-major."""
    out = np.zeros((len(rows), 32, 32, 3), dtype=np.uint8)
    for i, row in enumerate(rows):
        for c in range(3):
            for y in range(32):
                for x in range(32):
                    out[i, y, x, c] = row[c * 1024 + y * 32 + x]
    return out


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar10_reads_batches_in_order(tmp_path, rng, protocol):
    _, batches = cifar10_folder(tmp_path, rng, protocol=protocol)
    train = CIFAR10(tmp_path)
    rows = np.concatenate([batches[f"data_batch_{k}"][0] for k in range(1, 6)])
    labels = sum((batches[f"data_batch_{k}"][1] for k in range(1, 6)), [])
    assert len(train) == len(rows) == 10
    np.testing.assert_array_equal(train.data, as_hwc(rows))
    assert train.targets.tolist() == labels and train.targets.dtype == np.int64
    assert train.classes == [f"class{c}" for c in range(10)]
    test = CIFAR10(tmp_path, train=False, transform=lambda im: im.mean())
    image_mean, label = test[1]
    assert image_mean == pytest.approx(batches["test_batch"][0][1].mean())
    assert label == batches["test_batch"][1][1]


def test_root_may_be_the_batch_folder(tmp_path, rng):
    folder, batches = cifar10_folder(tmp_path, rng)
    ds = CIFAR10(folder, train=False)
    np.testing.assert_array_equal(ds.data, as_hwc(batches["test_batch"][0]))


def test_cifar100_fine_and_coarse(tmp_path, rng):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
    fine, coarse = [0, 57, 99, 3], [0, 11, 19, 4]
    dump(folder / "test", {"data": data, "fine_labels": fine, "coarse_labels": coarse})   # str keys too
    dump(folder / "meta", {b"fine_label_names": [b"n%d" % c for c in range(100)],
                           b"coarse_label_names": [b"c%d" % c for c in range(20)]})
    ds = CIFAR100(tmp_path, train=False)
    assert ds.targets.tolist() == fine and ds.coarse_targets.tolist() == coarse
    assert ds.classes[57] == "n57" and ds[1][1] == 57
    np.testing.assert_array_equal(ds[2][0], as_hwc(data[2:3])[0])


def test_missing_and_wrong_format(tmp_path, rng):
    with pytest.raises(FileNotFoundError, match="CIFAR10: found no cifar-10-batches-py/ .*does not exist"):
        CIFAR10(tmp_path / "nowhere")
    folder, _ = cifar10_folder(tmp_path, rng)
    os.remove(os.path.join(folder, "data_batch_3"))
    with pytest.raises(FileNotFoundError, match=r"data_batch_3 is missing; expected a CIFAR python batch"):
        CIFAR10(tmp_path)
    with open(os.path.join(folder, "data_batch_3"), "wb") as f:
        f.write(b"\x89PNG not a pickle")
    with pytest.raises(ValueError, match=r"data_batch_3: cannot be read as a CIFAR python batch"):
        CIFAR10(tmp_path)
    dump(os.path.join(folder, "data_batch_3"), {b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]})
    with pytest.raises(ValueError, match=r"data_batch_3: b'data' is shape \(2, 100\) of uint8; expected"):
        CIFAR10(tmp_path)
    dump(os.path.join(folder, "data_batch_3"), {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]})
    with pytest.raises(ValueError, match=r"data_batch_3: b'labels' does not hold 2 ints in 0\.\.9"):
        CIFAR10(tmp_path)
    dump(os.path.join(folder, "data_batch_3"), [1, 2, 3])
    with pytest.raises(ValueError, match=r"data_batch_3 holds a list; expected a CIFAR python batch"):
        CIFAR10(tmp_path)


class Exploit:
    """A pickle that would run a shell command when loaded by the plain unpickler."""

    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


@pytest.mark.parametrize("payload", [Exploit(), {b"data": Exploit()}, {b"x": eval}, {b"x": io.BytesIO}])
def test_restricted_unpickler_refuses_code(tmp_path, payload):
    path = tmp_path / "evil"
    dump(path, payload)
    with pytest.raises(ValueError, match=r"evil: cannot be read as .*refused to load the global"):
        _files.read_pickle(str(path), "a CIFAR python batch")


def test_restricted_unpickler_refuses_other_codecs():
    evil = b"\x80\x02c_codecs\nencode\nq\x00X\x01\x00\x00\x00aX\x04\x00\x00\x00zlibq\x01\x86R."
    with pytest.raises(pickle.UnpicklingError, match="encoding 'zlib'"):
        _files.RestrictedUnpickler(io.BytesIO(evil)).load()


def _offline(url, destination, timeout=30):
    raise urllib.error.URLError("no route to host")


def test_download_without_network(tmp_path, monkeypatch):
    monkeypatch.setattr(_files, "fetch", _offline)
    with pytest.raises(RuntimeError) as info:
        CIFAR100(tmp_path, download=True)
    assert CIFAR100.url in str(info.value) and str(tmp_path) in str(info.value)
    assert "no route to host" in str(info.value)


def test_download_extracts_the_archive(tmp_path, rng, monkeypatch):
    build = tmp_path / "build"
    _, batches = cifar10_folder(build, rng)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(build / "cifar-10-batches-py", arcname="cifar-10-batches-py")

    def fake_fetch(url, destination, timeout=30):
        assert url == CIFAR10.url
        with open(archive, "rb") as src, open(destination, "wb") as dst:
            dst.write(src.read())

    monkeypatch.setattr(_files, "fetch", fake_fetch)
    monkeypatch.setattr(CIFAR10, "archive_md5", _files.md5_of(str(archive)))
    ds = CIFAR10(tmp_path / "root", train=False, download=True)
    np.testing.assert_array_equal(ds.data, as_hwc(batches["test_batch"][0]))
    monkeypatch.setattr(_files, "fetch", _offline)         # present now: no network needed
    assert len(CIFAR10(tmp_path / "root", download=True)) == 10


def test_unsafe_archive_member_is_refused(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        data = b"outside"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(ValueError, match="cannot be extracted"):
        _files.extract_tar(str(archive), str(tmp_path / "out"), "CIFAR10")
    assert not (tmp_path / "escaped.txt").exists()
