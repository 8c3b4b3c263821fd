"""lucid.save / lucid.load: round trips (tensors keep dtype, shape, requires_grad),
the documented npz + JSON format, never unpickling, clear errors naming the file for
truncated or foreign files, and atomic writes (no half-written file, no temp left)."""
import json
import math
import os
import pathlib
import pickle

import numpy as np
import pytest

import lucid
from lucid import serialization as S
from lucid.testing import assert_close


def _files(directory):
    return sorted(p.name for p in pathlib.Path(directory).iterdir())


def _roundtrip(obj, tmp_path, name="obj.npz"):
    path = tmp_path / name
    S.save(obj, path)
    assert _files(tmp_path) == [name], "save must leave exactly the target file"
    return S.load(path)


def _same_tensor(loaded, original):
    assert isinstance(loaded, lucid.Tensor)
    assert loaded.dtype == original.dtype and loaded.shape == original.shape
    np.testing.assert_array_equal(loaded.data, original.data)
    assert loaded.requires_grad == original.requires_grad
    assert loaded.keep_grad == original.keep_grad
    assert loaded.is_leaf and loaded.grad is None


# ------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32",
                                   "int64", "uint8", "bool", "complex64", "complex128"])
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (3, 4)])
def test_tensor_round_trip_keeps_dtype_and_shape(tmp_path, dtype, shape):
    data = (np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(dtype)
    original = lucid.Tensor(data, requires_grad=np.dtype(dtype).kind in "fc")
    _same_tensor(_roundtrip(original, tmp_path), original)


def test_tensor_flags_and_values_round_trip(tmp_path):
    w = lucid.Tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    y = (w * 2).sum()
    y.backward()
    h = lucid.Tensor([1.0, 2.0])
    h.keep_grad = True
    loaded = _roundtrip({"w": w, "h": h}, tmp_path)
    _same_tensor(loaded["w"], w)  # a new leaf: no .grad, no graph
    _same_tensor(loaded["h"], h)
    loaded["w"].data[0, 0] = 100.0  # its own memory
    assert w.data[0, 0] != 100.0


def test_arrays_keep_dtype_layout_and_values(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    cases = [a, a.T, np.asfortranarray(a), a[::2, ::-1], np.array(["ab", "cde"]),
             np.zeros((0, 2), dtype=np.int16), np.array(7, dtype=np.uint32)]
    loaded = _roundtrip(cases, tmp_path)
    assert isinstance(loaded, list) and len(loaded) == len(cases)
    for got, want in zip(loaded, cases):
        assert isinstance(got, np.ndarray)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_python_and_numpy_scalars_round_trip(tmp_path):
    obj = [0, -3, 2 ** 70, 0.1, -0.0, 1e-300, math.inf, -math.inf, True, False, None,
           1.5 - 2j, complex(math.nan, 1.0), "héllo ✓", "", np.float32(1.25), np.int8(-4),
           np.bool_(True), np.complex64(1 + 2j)]
    loaded = _roundtrip(obj, tmp_path)
    for got, want in zip(loaded, obj):
        assert type(got) is type(want), (got, want)
        if isinstance(want, complex):
            assert repr(got) == repr(want)
        else:
            assert got == want or (got != got and want != want)
        if isinstance(want, float):
            assert math.copysign(1, got) == math.copysign(1, want)
    nan = _roundtrip(math.nan, tmp_path)
    assert isinstance(nan, float) and math.isnan(nan)


def test_nested_containers_round_trip_in_order(tmp_path):
    t = lucid.Tensor([[1.0, 2.0]], requires_grad=True)
    obj = {"model": {"layer.0.weight": t, "layer.0.bias": np.zeros(2)},
           "optimizer": {"state": {0: {"step": 3, "exp_avg": np.ones(2, np.float32)}},
                         "param_groups": [{"lr": 1e-3, "params": [0, 1]}]},
           "shape": (2, (3, [])), "empty": {}, "z": [], 5: "int key"}
    loaded = _roundtrip(obj, tmp_path)
    assert list(loaded) == list(obj)  # keys and their order
    assert list(loaded["model"]) == ["layer.0.weight", "layer.0.bias"]
    _same_tensor(loaded["model"]["layer.0.weight"], t)
    assert_close(loaded["optimizer"]["state"][0]["exp_avg"], np.ones(2, np.float32))
    assert loaded["optimizer"]["state"][0]["step"] == 3
    assert loaded["optimizer"]["param_groups"] == [{"lr": 1e-3, "params": [0, 1]}]
    assert loaded["shape"] == (2, (3, [])) and isinstance(loaded["shape"][1], tuple)
    assert loaded["empty"] == {} and loaded["z"] == [] and loaded[5] == "int key"


def test_a_shared_object_loads_as_two_copies(tmp_path):
    a = np.arange(3.0)
    first, second = _roundtrip([a, a], tmp_path)
    np.testing.assert_array_equal(first, second)
    first[0] = 9.0
    assert second[0] == 0.0


def test_path_like_and_any_extension(tmp_path):
    S.save([1, 2], str(tmp_path / "plain"))
    assert _files(tmp_path) == ["plain"]  # no ".npz" appended
    assert S.load(tmp_path / "plain") == [1, 2]


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "x.npz"
    S.save({"v": 1}, path)
    S.save({"v": 2}, path)
    assert S.load(path) == {"v": 2} and _files(tmp_path) == ["x.npz"]


def test_file_mode_follows_the_umask_like_open(tmp_path):
    with open(tmp_path / "by_open", "wb"):
        pass
    S.save(1, tmp_path / "by_save")
    assert os.stat(tmp_path / "by_save").st_mode == os.stat(tmp_path / "by_open").st_mode


# ------------------------------------------------------------------------- the format
def test_the_file_is_a_plain_npz_with_a_json_structure(tmp_path):
    path = tmp_path / "f.npz"
    w = lucid.Tensor([0.5, -1.0], requires_grad=True)
    S.save({"w": w, "n": [1.5, "s"]}, path)
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["__lucid__", "a0"]
        np.testing.assert_array_equal(f["a0"], w.data)
        doc = json.loads(f["__lucid__"].item())
    assert doc["format"] == "lucid" and doc["version"] == 1
    assert doc["root"] == {"type": "dict", "items": [
        ["w", {"type": "tensor", "array": "a0", "requires_grad": True, "keep_grad": False}],
        ["n", {"type": "list", "items": [{"type": "float", "value": 1.5},
                                          {"type": "str", "value": "s"}]}]]}


def test_non_finite_floats_are_strict_json(tmp_path):
    path = tmp_path / "f.npz"
    S.save([math.nan, math.inf], path)
    with np.load(path) as f:
        text = f["__lucid__"].item()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


# ------------------------------------------------------------------------- bad objects
class _Thing:
    pass


@pytest.mark.parametrize("obj, words", [
    ({1, 2}, ["save", "obj", "set"]),
    ({"a": [1, _Thing()]}, ["save", "obj['a'][1]", "_Thing"]),
    ({("a", 1): 1}, ["save", "key", "('a', 1)"]),
    ({True: 1}, ["save", "key", "True"]),
    (np.array([1, "a", None], dtype=object), ["save", "obj", "objects"]),
    ([lucid.Tensor([1.0]), b"bytes"], ["save", "obj[1]", "bytes"]),
])
def test_unsavable_objects_raise_typeerror_and_write_nothing(tmp_path, obj, words):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError) as info:
        S.save(obj, path)
    for w in words:
        assert w in str(info.value)
    assert _files(tmp_path) == []


def test_a_cycle_is_a_valueerror(tmp_path):
    cycle = [1]
    cycle.append(cycle)
    with pytest.raises(ValueError, match="save: obj\\[1\\] contains itself"):
        S.save(cycle, tmp_path / "c.npz")
    assert _files(tmp_path) == []


# ------------------------------------------------------------------- atomic writing
def test_a_failed_save_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    S.save({"epoch": 1}, path)
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04 half of a zip")
        raise OSError("disk full")

    monkeypatch.setattr(S.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        S.save({"epoch": 2}, path)
    assert path.read_bytes() == before and _files(tmp_path) == ["ckpt.npz"]
    monkeypatch.undo()
    assert S.load(path) == {"epoch": 1}


def test_a_failed_rename_leaves_no_temp(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise PermissionError("no")

    monkeypatch.setattr(S.os, "replace", broken_replace)
    with pytest.raises(PermissionError):
        S.save([1], tmp_path / "x.npz")
    assert _files(tmp_path) == []


def test_saving_into_a_missing_directory_is_an_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        S.save(1, tmp_path / "missing" / "x.npz")


# ------------------------------------------------------------------ foreign and damaged
def _assert_not_lucid(path, *words):
    with pytest.raises(ValueError) as info:
        S.load(path)
    message = str(info.value)
    assert message.startswith("load: ") and str(path) in message, message
    for w in words:
        assert w in message, message


@pytest.mark.parametrize("keep", [0, 10, 100, 0.5, -22])
def test_truncated_file_is_a_clear_valueerror(tmp_path, keep):
    path = tmp_path / "t.npz"
    S.save({"w": lucid.Tensor(np.arange(200.0)), "tag": "x"}, path)
    data = path.read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    path.write_bytes(data[:n])
    _assert_not_lucid(path)


def test_foreign_files_are_clear_valueerrors(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a lucid file\n")
    _assert_not_lucid(text, "not a lucid file")

    npy = tmp_path / "a.npy"
    np.save(npy, np.arange(3))
    _assert_not_lucid(npy, ".npy", "numpy.load")

    npz = tmp_path / "plain.npz"
    np.savez(npz, x=np.arange(3))
    _assert_not_lucid(npz, "__lucid__", "['x']")

    pickled = tmp_path / "obj.pkl"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    _assert_not_lucid(pickled)

    noise = tmp_path / "noise.bin"
    noise.write_bytes(np.random.default_rng(0).bytes(300))
    _assert_not_lucid(noise)


def test_load_never_unpickles(tmp_path, monkeypatch):
    # an npz whose array entry holds pickled Python objects: np.load must refuse it
    path = tmp_path / "evil.npz"
    doc = json.dumps({"format": "lucid", "version": 1, "root": {"type": "ndarray", "array": "a0"}})
    np.savez(path, __lucid__=np.array(doc), a0=np.array([_Thing()], dtype=object))

    def no_pickle(*args, **kwargs):
        raise AssertionError("load unpickled something")

    monkeypatch.setattr(pickle, "loads", no_pickle)
    monkeypatch.setattr(pickle, "load", no_pickle)
    _assert_not_lucid(path, "pickle")


@pytest.mark.parametrize("structure, words", [
    ("not json {", ["not valid JSON"]),
    (json.dumps({"format": "other", "version": 1, "root": {"type": "none"}}), ["format"]),
    (json.dumps({"format": "lucid", "version": 99, "root": {"type": "none"}}), ["version 99"]),
    (json.dumps({"format": "lucid", "version": 1}), ["root"]),
    (json.dumps({"format": "lucid", "version": 1, "root": {"type": "tensor", "array": "a7",
                                                           "requires_grad": False}}), ["'a7'"]),
    (json.dumps({"format": "lucid", "version": 1, "root": {"type": "pickle"}}), ["'pickle'"]),
    (json.dumps({"format": "lucid", "version": 1, "root": {"type": "int", "value": "3"}}),
     ["int"]),
    (json.dumps({"format": "lucid", "version": 1, "root": {"type": "dict", "items": [[1]]}}),
     ["dict item"]),
    (json.dumps({"format": "lucid", "version": 1, "root": [1, 2]}), ["'type'"]),
])
def test_damaged_structure_is_a_clear_valueerror(tmp_path, structure, words):
    path = tmp_path / "bad.npz"
    np.savez(path, __lucid__=np.array(structure), a0=np.zeros(2))
    _assert_not_lucid(path, *words)


def test_structure_entry_must_be_a_string(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, __lucid__=np.zeros(3))
    _assert_not_lucid(path, "not a string")


def test_missing_file_is_filenotfounderror(tmp_path):
    with pytest.raises(FileNotFoundError):
        S.load(tmp_path / "nope.npz")


# ------------------------------------------------------------------ hostile files
def _npy_bytes(array=None, header_shape=None, dtype="<f4"):
    """A .npy entry; ``header_shape`` makes its header declare another shape (a lie)."""
    import io
    buf = io.BytesIO()
    if header_shape is None:
        np.lib.format.write_array(buf, array, allow_pickle=False)
        return buf.getvalue()
    header = {"descr": dtype, "fortran_order": False, "shape": header_shape}
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + b"\0" * 16


def _lucid_zip(path, entries, structure):
    """A lucid-looking npz: ``structure`` (a dict, or JSON text) and raw .npy entries."""
    import zipfile
    text = structure if isinstance(structure, str) else json.dumps(structure)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__lucid__.npy", _npy_bytes(np.array(text)))
        for name, data in entries.items():
            z.writestr(name + ".npy", data)


def test_an_entry_declaring_a_huge_shape_is_a_valueerror_before_allocating(tmp_path):
    import tracemalloc
    path = tmp_path / "huge.npz"
    _lucid_zip(path, {"a0": _npy_bytes(header_shape=(10**13,))},
               {"format": "lucid", "version": 1, "root": {"type": "ndarray", "array": "a0"}})
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"entry 'a0' declares shape \(10000000000000,\) "
                                             r"of float32 \(40000000000000 bytes\) but holds 16"):
            lucid.load(path)
        assert tracemalloc.get_traced_memory()[1] < 50 * 2**20
    finally:
        tracemalloc.stop()


def test_a_structure_nested_3000_deep_is_a_valueerror(tmp_path):
    path = tmp_path / "deep.npz"
    deep = '{"type": "list", "items": [' * 3000 + '{"type": "none"}' + "]}" * 3000
    _lucid_zip(path, {}, '{"format": "lucid", "version": 1, "root": ' + deep + "}")
    with pytest.raises(ValueError, match=r"nested"):
        lucid.load(path)
    shallow = {"type": "none"}
    for _ in range(50):
        shallow = {"type": "list", "items": [shallow]}
    _lucid_zip(path, {}, {"format": "lucid", "version": 1, "root": shallow})
    value = lucid.load(path)
    for _ in range(50):
        (value,) = value
    assert value is None


def test_entries_the_structure_never_names_are_not_read(tmp_path):
    path = tmp_path / "extra.npz"
    _lucid_zip(path, {"a0": _npy_bytes(np.arange(3.0)),
                      "junk": _npy_bytes(header_shape=(10**13,))},
               {"format": "lucid", "version": 1, "root": {"type": "ndarray", "array": "a0"}})
    assert lucid.load(path).tolist() == [0.0, 1.0, 2.0]


def test_the_structure_cannot_name_itself_as_an_array(tmp_path):
    path = tmp_path / "self.npz"
    _lucid_zip(path, {}, {"format": "lucid", "version": 1,
                          "root": {"type": "ndarray", "array": "__lucid__"}})
    with pytest.raises(ValueError, match=r"names an array entry '__lucid__' that the file lacks"):
        lucid.load(path)
