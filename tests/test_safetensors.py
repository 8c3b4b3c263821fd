"""lucid.save / lucid.load in the safetensors format: the bytes follow the format (checked
by a reader written here), every dtype round-trips, the format follows the suffix or
``format=``, a file whose bytes are of the other format is refused, hostile headers are
a ValueError before anything large is allocated, and PyTorch's safetensors reader and
writer agree with lucid's (when torch and safetensors are installed)."""
import json
import math
import struct
import tracemalloc

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid import _safetensors

SAFETENSORS_MISSING = "the safetensors package is not installed (pip install safetensors)"


def _parse(path):
    """A safetensors file by the format's definition: {name: (dtype, shape, bytes)}."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name != "__metadata__":
            begin, end = info["data_offsets"]
            out[name] = (info["dtype"], info["shape"], data[begin:end])
    return n, header, out


# ------------------------------------------------------------------ the bytes
def test_the_file_is_a_header_length_a_json_header_and_the_data(tmp_path):
    state = {"w": lucid.Tensor([[1.0, -2.0], [3.5, 4.0]]),
             "steps": np.array(7, dtype=np.int64),
             "mask": np.array([True, False, True])}
    path = tmp_path / "m.safetensors"
    lucid.save(state, path)
    n, header, entries = _parse(path)
    assert (8 + n) % 8 == 0, "the data starts at a multiple of 8 bytes"
    assert list(header) == ["w", "steps", "mask"]
    assert header["w"] == {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
    assert header["steps"] == {"dtype": "I64", "shape": [], "data_offsets": [16, 24]}
    assert header["mask"] == {"dtype": "BOOL", "shape": [3], "data_offsets": [24, 27]}
    assert entries["w"][2] == struct.pack("<4f", 1.0, -2.0, 3.5, 4.0)
    assert entries["steps"][2] == struct.pack("<q", 7)
    assert entries["mask"][2] == b"\x01\x00\x01"
    assert path.stat().st_size == 8 + n + 27


@pytest.mark.parametrize("dtype, code", [("float64", "F64"), ("float32", "F32"),
                                         ("float16", "F16"), ("complex64", "C64"),
                                         ("int64", "I64"), ("int32", "I32"), ("int16", "I16"),
                                         ("int8", "I8"), ("uint64", "U64"), ("uint32", "U32"),
                                         ("uint16", "U16"), ("uint8", "U8"), ("bool", "BOOL")])
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (2, 3)])
def test_every_dtype_and_shape_round_trips(dtype, code, shape, tmp_path):
    data = (np.arange(math.prod(shape)).reshape(shape) % 5 - 2).astype(dtype)
    path = tmp_path / "x.safetensors"
    lucid.save({"x": data, "t": lucid.Tensor(data)}, path)
    assert _parse(path)[1]["x"]["dtype"] == code
    loaded = lucid.load(path)
    assert list(loaded) == ["x", "t"]
    for value in loaded.values():
        assert isinstance(value, lucid.Tensor) and not value.requires_grad
        assert value.dtype == np.dtype(dtype) and value.shape == shape
        np.testing.assert_array_equal(value.data, data)
        assert value.data.flags.writeable and value.data.flags.c_contiguous


def test_views_and_big_endian_arrays_are_written_as_their_values(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    state = {"t": a.T, "strided": a[::2, ::-1], "big": a.astype(">f4"),
             "param": nn.Parameter(a)}
    path = tmp_path / "v.safetensors"
    lucid.save(state, path)
    loaded = lucid.load(path)
    for name, value in state.items():
        np.testing.assert_array_equal(loaded[name].data, np.asarray(getattr(value, "data", value)))
        assert loaded[name].dtype == np.float32


def test_a_model_state_dict_round_trips(tmp_path):
    make = lambda: nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(),  # noqa: E731
                                 nn.Flatten(), nn.Linear(12, 2))
    trained, fresh = make(), make()
    trained[1].running_mean.data[...] = [0.5, -1.0, 2.0]
    lucid.save(trained.state_dict(), tmp_path / "m.safetensors")
    fresh.load_state_dict(lucid.load(tmp_path / "m.safetensors"))
    x = lucid.random.randn(2, 1, 4, 4)
    np.testing.assert_array_equal(fresh.eval()(x).data, trained.eval()(x).data)


# ------------------------------------------------------------ choosing a format
def test_the_suffix_chooses_the_format_and_lucid_stays_the_default(tmp_path):
    state = {"w": lucid.ones((2,))}
    lucid.save(state, tmp_path / "a.SafeTensors")
    lucid.save(state, tmp_path / "b.npz")
    lucid.save(state, tmp_path / "c")
    assert (tmp_path / "a.SafeTensors").read_bytes()[8:9] == b"{"
    assert (tmp_path / "b.npz").read_bytes()[:2] == b"PK"
    assert (tmp_path / "c").read_bytes()[:2] == b"PK"
    lucid.save(state, tmp_path / "d.bin", format="safetensors")
    assert lucid.load(tmp_path / "d.bin", format="safetensors")["w"].shape == (2,)


@pytest.mark.parametrize("name, fmt, error, match", [
    ("m.safetensors", "lucid", ValueError, "says safetensors format but format='lucid'"),
    ("m.npz", "safetensors", ValueError, "says lucid format but format='safetensors'"),
    ("m.bin", "torch", ValueError, "format must be 'lucid', 'safetensors' or None; got 'torch'"),
    ("m.bin", 1, TypeError, "format must be 'lucid', 'safetensors' or None; got int"),
])
def test_a_format_that_contradicts_the_name_is_refused(name, fmt, error, match, tmp_path):
    with pytest.raises(error, match=f"save: .*{match}"):
        lucid.save({"w": lucid.ones((1,))}, tmp_path / name, format=fmt)
    with pytest.raises(error, match=f"load: .*{match}"):
        lucid.load(tmp_path / name, format=fmt)
    assert list(tmp_path.iterdir()) == []


def test_bytes_of_the_other_format_are_refused_clearly(tmp_path):
    lucid.save({"w": lucid.ones((1,))}, tmp_path / "real.npz")
    (tmp_path / "fake.safetensors").write_bytes((tmp_path / "real.npz").read_bytes())
    with pytest.raises(ValueError, match="fake.safetensors.* is not a valid safetensors file: "
                                         "its bytes are a zip archive"):
        lucid.load(tmp_path / "fake.safetensors")
    lucid.save({"w": lucid.ones((1,))}, tmp_path / "real.safetensors")
    for name in ("fake.npz", "fake"):
        (tmp_path / name).write_bytes((tmp_path / "real.safetensors").read_bytes())
        with pytest.raises(ValueError, match=f"{name}' is a safetensors file, not lucid's own "
                                             "format: name it '.safetensors' or pass "
                                             "format='safetensors'"):
            lucid.load(tmp_path / name)


@pytest.mark.parametrize("obj, error, match", [
    ([lucid.ones((1,))], TypeError, "holds a flat mapping of names to tensors .* got list"),
    ({"a": {"b": lucid.ones((1,))}}, TypeError, r"obj\['a'\] is a dict"),
    ({"step": 3}, TypeError, r"obj\['step'\] is a int; a safetensors file holds only tensors"),
    ({1: lucid.ones((1,))}, TypeError, "names must be strings; got the key 1"),
    ({"__metadata__": lucid.ones((1,))}, ValueError, "'__metadata__' is reserved"),
    ({"z": np.ones(2, np.complex128)}, TypeError, "has dtype complex128, which safetensors "
                                                  "cannot hold"),
    ({"s": np.array(["a"])}, TypeError, "has dtype <U1"),
])
def test_what_safetensors_cannot_hold_is_refused_before_writing(obj, error, match, tmp_path):
    with pytest.raises(error, match=f"save: .*{match}"):
        lucid.save(obj, tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


# -------------------------------------------------------------- hostile files
def _file(tmp_path, header, data=b"", length=None):
    """A file of the given header (a dict, or raw bytes) and data."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    n = len(text) if length is None else length
    path = tmp_path / "h.safetensors"
    path.write_bytes(struct.pack("<Q", n) + text + data)
    return path


F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize("header, data, length, match", [
    ({"w": F32}, b"\0" * 8, 10 ** 6, r"header length \(1000000 bytes\) reaches beyond the end"),
    ({"w": F32}, b"\0" * 8, 2 ** 63, "more than the 100000000 a safetensors header may have"),
    ({"w": {**F32, "data_offsets": [0, 8]}}, b"\0" * 4, None, "ends at byte 8 of the data, "
                                                            "beyond its 4 bytes"),
    ({"w": {"dtype": "F32", "shape": [10 ** 12], "data_offsets": [0, 8]}}, b"\0" * 8, None,
     "needs 4000000000000 bytes but data_offsets give it 8"),
    ({"a": F32, "b": {**F32, "data_offsets": [4, 12]}}, b"\0" * 12, None,
     r"'b' overlaps the tensor before it \(it starts at byte 4, before byte 8\)"),
    ({"a": F32, "b": {**F32, "data_offsets": [12, 20]}}, b"\0" * 20, None,
     "the bytes 8 to 12 of the data belong to no tensor"),
    ({"w": F32}, b"\0" * 12, None, "the data has 12 bytes but the tensors cover 8"),
    ({"w": {**F32, "data_offsets": [8, 0]}}, b"\0" * 8, None, "not \\[begin, end\\]"),
    ({"w": {**F32, "data_offsets": [-8, 0]}}, b"\0" * 8, None, "not \\[begin, end\\]"),
    ({"w": {**F32, "data_offsets": [0, 8.0]}}, b"\0" * 8, None, "not \\[begin, end\\]"),
    ({"w": {**F32, "data_offsets": [False, 8]}}, b"\0" * 8, None, "not \\[begin, end\\]"),
    ({"w": {**F32, "shape": [-2]}}, b"\0" * 8, None, "not a list of sizes >= 0"),
    ({"w": {**F32, "shape": "2"}}, b"\0" * 8, None, "not a list of sizes >= 0"),
    ({"w": {**F32, "dtype": "F8_E4M3"}}, b"\0" * 8, None, "has dtype 'F8_E4M3'; lucid reads"),
    ({"w": {**F32, "extra": 1}}, b"\0" * 8, None, "not an object with exactly"),
    ({"w": [1, 2]}, b"", None, "not an object with exactly"),
    ({"w": F32, "__metadata__": {"a": 1}}, b"\0" * 8, None, "'__metadata__' is not a mapping"),
    (b'{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "w": {"dtype": "F32", '
     b'"shape": [2], "data_offsets": [0, 8]}}', b"\0" * 8, None, "a name appears twice"),
    (b"[" * 100000 + b"]" * 100000, b"", None, "nests deeper than the 3 levels"),
    (b'{"a": {"b": {"c": [1]}}}', b"", None, "nests deeper than the 3 levels"),
    (b'{"w": ', b"", None, "its header is not JSON"),
    (b'{"w": "\xff\xfe"}', b"", None, "its header is not JSON"),
    (b"[1, 2]", b"", None, "its header is a JSON list, not an object"),
])
def test_hostile_headers_are_value_errors(header, data, length, match, tmp_path):
    path = _file(tmp_path, header, data, length)
    with pytest.raises(ValueError, match=f"h.safetensors' is not a valid safetensors file: .*{match}"):
        lucid.load(path)


def test_strings_in_the_header_do_not_count_as_nesting(tmp_path):
    name = "[[[[{{{{ a name with brackets ]]\\\" }"
    lucid.save({name: lucid.ones((2,))}, tmp_path / "m.safetensors")
    assert list(lucid.load(tmp_path / "m.safetensors")) == [name]


def test_a_short_file_is_a_value_error(tmp_path):
    (tmp_path / "s.safetensors").write_bytes(b"\x01\x02")
    with pytest.raises(ValueError, match="it has 2 bytes, fewer than the 8"):
        lucid.load(tmp_path / "s.safetensors")


def test_nothing_large_is_allocated_for_a_header_that_claims_huge_sizes(tmp_path):
    """A header length of 100 MB + 1 on a (sparse) file that really is that long, and a
    tensor claiming 10^12 elements: both refused with a few kB allocated."""
    big = tmp_path / "big.safetensors"
    with open(big, "wb") as f:
        f.write(struct.pack("<Q", _safetensors.MAX_HEADER_BYTES + 1) + b"{")
        f.truncate(8 + _safetensors.MAX_HEADER_BYTES + 10)
    huge = _file(tmp_path, {"w": {"dtype": "F64", "shape": [10 ** 6, 10 ** 6],
                                  "data_offsets": [0, 8 * 10 ** 12]}}, b"\0" * 8)
    for path, match in ((big, "more than the 100000000"), (huge, "ends at byte")):
        tracemalloc.start()
        try:
            with pytest.raises(ValueError, match=match):
                lucid.load(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 1_000_000, f"{peak} bytes allocated to refuse {path.name}"


def test_bf16_tensors_load_as_float32(tmp_path):
    values = np.array([1.0, -2.5, 3.140625, 0.0], dtype=np.float32)
    bits = (values.view(np.uint32) >> 16).astype("<u2")        # exact in bfloat16
    header = {"b": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]}}
    loaded = lucid.load(_file(tmp_path, header, bits.tobytes()))["b"]
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded.data, values.reshape(2, 2))


# ------------------------------------------------------------ PyTorch's side
@pytest.fixture
def st_torch(torch):
    """safetensors' PyTorch reader and writer (the reference implementation)."""
    try:
        import safetensors.torch
    except ImportError:
        pytest.skip(SAFETENSORS_MISSING)
    return safetensors.torch


def _torch_net(torch):
    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                               torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                               torch.nn.Linear(16, 3))


def _lucid_net():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 3))


@pytest.mark.torch
def test_pytorch_loads_a_lucid_file_into_its_own_model(torch, st_torch, tmp_path):
    model = _lucid_net()
    model[1].running_var.data[...] = [0.5, 1.5, 2.0, 1.0]
    model[1].num_batches_tracked.data[...] = 12
    lucid.save(model.state_dict(), tmp_path / "m.safetensors")
    state = st_torch.load_file(str(tmp_path / "m.safetensors"))
    assert list(state) == list(model.state_dict())
    twin = _torch_net(torch)
    twin.load_state_dict(state)                        # strict: every name and shape fits
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    want = model.eval()(lucid.Tensor(x)).data
    got = twin.eval()(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert int(twin[1].num_batches_tracked) == 12


@pytest.mark.torch
def test_lucid_loads_a_file_pytorch_wrote(torch, st_torch, tmp_path):
    twin = _torch_net(torch)
    with torch.no_grad():
        twin[1].running_mean.uniform_(-1, 1)
    st_torch.save_file(twin.state_dict(), str(tmp_path / "t.safetensors"),
                       metadata={"format": "pt"})
    model = _lucid_net()
    model.load_state_dict(lucid.load(tmp_path / "t.safetensors"))
    x = np.random.default_rng(1).standard_normal((3, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(model.eval()(lucid.Tensor(x)).data,
                               twin.eval()(torch.tensor(x)).detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.torch
def test_every_dtype_pytorch_writes_loads(torch, st_torch, tmp_path):
    tensors = {name: torch.arange(6).reshape(2, 3).to(dtype) for name, dtype in [
        ("f64", torch.float64), ("f32", torch.float32), ("f16", torch.float16),
        ("bf16", torch.bfloat16), ("i64", torch.int64), ("i32", torch.int32),
        ("i16", torch.int16), ("i8", torch.int8), ("u8", torch.uint8), ("b", torch.bool)]}
    st_torch.save_file(tensors, str(tmp_path / "d.safetensors"))
    loaded = lucid.load(tmp_path / "d.safetensors")
    assert sorted(loaded) == sorted(tensors)
    for name, t in tensors.items():
        want = t.float().numpy() if name == "bf16" else t.numpy()
        assert loaded[name].dtype == want.dtype
        np.testing.assert_array_equal(loaded[name].data, want)
