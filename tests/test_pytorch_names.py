"""PyTorch's habits that work in lucid: dim= / keepdim= beside axis= / keepdims= (one
rule, lucid._checks.renamed), Tensor methods, top-level names and dtype aliases,
Module.half/float/double/cpu. Values and gradients against PyTorch where it has the op."""
import inspect

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from helpers import torch_parity
from lucid import nn
from lucid.testing import assert_close, gradcheck


# ------------------------------------------------------ dim / keepdim, axis / keepdims
def _x():
    return lucid.Tensor(np.arange(24.0).reshape(2, 3, 4) % 7, requires_grad=True)


# (call with the original's names, the same call with PyTorch's)
_SPELLINGS = [
    (lambda x: lucid.sum(x, axis=1, keepdims=True), lambda x: lucid.sum(x, dim=1, keepdim=True)),
    (lambda x: lucid.mean(x, axis=(0, 2)), lambda x: lucid.mean(x, dim=(0, 2))),
    (lambda x: lucid.var(x, axis=-1, keepdims=True), lambda x: x.var(dim=-1, keepdim=True)),
    (lambda x: lucid.max(x, axis=2), lambda x: x.max(dim=2)),
    (lambda x: lucid.min(x, axis=0, keepdims=True), lambda x: x.min(dim=0, keepdim=True)),
    (lambda x: lucid.argmax(x, axis=1), lambda x: x.argmax(dim=1)),
    (lambda x: lucid.argmin(x, axis=2, keepdims=True), lambda x: x.argmin(dim=2, keepdim=True)),
    (lambda x: x.any(axis=1), lambda x: x.any(dim=1)),
    (lambda x: x.all(axis=1, keepdims=True), lambda x: x.all(dim=1, keepdim=True)),
    (lambda x: lucid.squeeze(x[:, :1], axis=1), lambda x: x[:, :1].squeeze(dim=1)),
    (lambda x: lucid.unsqueeze(x, axis=0), lambda x: x.unsqueeze(dim=0)),
    (lambda x: lucid.expand_dims(x, axis=-1), lambda x: lucid.expand_dims(x, dim=-1)),
    (lambda x: lucid.flatten(x, start_axis=1), lambda x: x.flatten(start_dim=1)),
    (lambda x: lucid.flatten(x, axis=1), lambda x: lucid.flatten(x, start_dim=1, end_dim=-1)),
    (lambda x: lucid.flatten(x, 0, 1), lambda x: x.flatten(start_dim=0, end_dim=1)),
    (lambda x: lucid.concatenate([x, x], axis=2), lambda x: lucid.cat([x, x], dim=2)),
    (lambda x: lucid.stack([x, x], axis=1), lambda x: lucid.stack([x, x], dim=1)),
    (lambda x: lucid.split(x, 2, axis=2)[1], lambda x: x.split(2, dim=2)[1]),
    (lambda x: lucid.chunk(x, 3, axis=1)[2], lambda x: x.chunk(3, dim=1)[2]),
    (lambda x: lucid.unbind(x, axis=2)[3], lambda x: x.unbind(dim=2)[3]),
    (lambda x: lucid.repeat(x, 2, axis=0), lambda x: x.repeat(2, dim=0)),
    (lambda x: lucid.sort(x, axis=1)[0], lambda x: x.sort(dim=1)[0]),
    (lambda x: lucid.argsort(x, axis=0), lambda x: x.argsort(dim=0)),
    (lambda x: lucid.topk(x, 2, axis=1)[0], lambda x: x.topk(2, dim=1)[0]),
    (lambda x: lucid.unique(x, axis=0), lambda x: x.unique(dim=0)),
    (lambda x: lucid.roll(x, 1, axis=2), lambda x: x.roll(1, dims=2)),
    (lambda x: F.softmax(x, axis=1), lambda x: x.softmax(dim=1)),
    (lambda x: F.log_softmax(x, axis=0), lambda x: x.log_softmax(dim=0)),
    (lambda x: F.normalize(x, 1, 2), lambda x: F.normalize(x, p=1, dim=2)),
    (lambda x: nn.Softmax(axis=0)(x), lambda x: nn.Softmax(dim=0)(x)),
    (lambda x: lucid.linalg.norm(x, axis=1, keepdims=True), lambda x: lucid.linalg.norm(x, dim=1, keepdim=True)),
    (lambda x: lucid.cumsum(x, axis=1), lambda x: x.cumsum(dim=1)),
    (lambda x: lucid.transpose(x, (1, 0, 2)), lambda x: x.transpose(0, 1)),
    (lambda x: lucid.clip(x, 1.0, 4.0), lambda x: lucid.clamp(x, min=1.0, max=4.0)),
    (lambda x: x.clip(max_value=2.0), lambda x: x.clamp(max=2.0)),
]


@pytest.mark.parametrize("original, pytorch", _SPELLINGS)
def test_both_spellings_give_the_same_values_and_gradients(original, pytorch):
    a, b = _x(), _x()
    ya, yb = original(a), pytorch(b)
    assert_close(ya, yb)
    if ya.requires_grad:
        ya.backward()
        yb.backward()
        assert_close(a.grad, b.grad)


@pytest.mark.parametrize("call, names", [
    (lambda x: lucid.sum(x, axis=0, dim=0), "axis= and dim="),
    (lambda x: lucid.mean(x, 0, dim=0), "axis= and dim="),
    (lambda x: x.max(keepdims=True, keepdim=True), "keepdims= and keepdim="),
    (lambda x: F.softmax(x, axis=0, dim=0), "axis= and dim="),
    (lambda x: lucid.flatten(x, start_axis=1, start_dim=1), "start_axis= and start_dim="),
    (lambda x: lucid.clip(x, 0.0, min=0.0), "min_value= and min="),
    (lambda x: F.normalize(x, 2, p=2), "ord= and p="),
])
def test_both_spellings_at_once_is_a_type_error_naming_them(call, names):
    with pytest.raises(TypeError, match=rf"got both {names} \(two names of one argument\)"):
        call(_x())


def test_aliases_show_in_signatures_and_docs():
    sig = inspect.signature(lucid.sum)
    assert list(sig.parameters) == ["input_", "axis", "keepdims", "dim", "keepdim"]
    assert sig.parameters["dim"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "dim, keepdim : optional" in lucid.sum.__doc__
    assert lucid.cat is lucid.concatenate and lucid.clamp is lucid.clip


# ------------------------------------------------------------------- Tensor methods
def test_shape_methods(rng):
    x = lucid.Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    assert x.view(6, 4).shape == (6, 4) and x.view((4, -1)).shape == (4, 6)
    assert x.permute(2, 0, 1).shape == (4, 2, 3) and x.permute((1, 0, 2)).shape == (3, 2, 4)
    assert x.transpose(0, 2).shape == (4, 3, 2)
    assert x.contiguous() is x and x.dim() == 3 and x.numel() == 24
    assert x[:, :1].expand(2, 5, 4).shape == (2, 5, 4)
    assert x[:, :1].expand(-1, 3, -1).shape == (2, 3, 4)
    assert x[0, 0].expand(2, 4).shape == (2, 4)
    with pytest.raises(TypeError, match=r"^view: expected a shape .* astype"):
        x.view(np.float64)
    with pytest.raises(ValueError, match=r"^expand: 2 sizes for a tensor with ndim 3"):
        x.expand(3, 4)


def test_shape_methods_match_torch(torch, rng, float_dtype):
    a = rng.standard_normal((2, 3, 4)).astype(float_dtype)
    torch_parity(lambda t: t.view(4, 6) * 2, lambda t: t.view(4, 6) * 2, [a])
    torch_parity(lambda t: t.permute(2, 0, 1), lambda t: t.permute(2, 0, 1), [a])
    torch_parity(lambda t: t.transpose(1, 2), lambda t: t.transpose(1, 2), [a])
    torch_parity(lambda t: t[:, :1].expand(2, 5, 4), lambda t: t[:, :1].expand(2, 5, 4), [a])
    torch_parity(lambda t: t.clone() * 3, lambda t: t.clone() * 3, [a])
    torch_parity(lambda t: t.relu(), lambda t: t.relu(), [a])
    torch_parity(lambda t: t.softmax(dim=1), lambda t: t.softmax(dim=1), [a])
    torch_parity(lambda t: t.log_softmax(1), lambda t: t.log_softmax(1), [a])
    torch_parity(lambda t: t.clamp(min=-0.5, max=0.5), lambda t: t.clamp(min=-0.5, max=0.5), [a])
    torch_parity(lambda t: t.sigmoid(), lambda t: t.sigmoid(), [a])


@pytest.mark.parametrize("shape, dim, keepdim", [((3, 4), None, False), ((3, 4), 1, False),
                                                 ((2, 3, 4), 0, True), ((5,), -1, False)])
def test_argmax_argmin_match_torch(torch, rng, shape, dim, keepdim):
    a = rng.integers(0, 3, shape).astype(np.float32)      # ties: the first index wins
    for name in ("argmax", "argmin"):
        ours = getattr(lucid, name)(lucid.Tensor(a), dim=dim, keepdim=keepdim)
        theirs = getattr(torch, name)(torch.tensor(a), dim=dim, keepdim=keepdim)
        assert ours.dtype == np.int64 and not ours.requires_grad
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    nan = np.array([[1.0, np.nan, 3.0], [np.nan, 0.0, 0.0]])
    for name in ("argmax", "argmin"):
        np.testing.assert_array_equal(getattr(lucid, name)(lucid.Tensor(nan), axis=1).data,
                                      getattr(torch, name)(torch.tensor(nan), dim=1).numpy())


def test_argmax_errors():
    with pytest.raises(ValueError, match=r"^argmax: an empty tensor \(shape \(0,\)\) has no maximum"):
        lucid.argmax(lucid.zeros(0))
    with pytest.raises(ValueError, match=r"^argmin: cannot reduce over axis 1 of size 0"):
        lucid.argmin(lucid.zeros((2, 0)), axis=1)
    with pytest.raises(TypeError, match=r"^argmax: axis must be one int \(or None\); got \(0, 1\)"):
        lucid.argmax(lucid.zeros((2, 2)), axis=(0, 1))
    with pytest.raises(TypeError, match=r"^argmax: complex values have no order"):
        lucid.argmax(lucid.Tensor([1j]))
    assert lucid.argmax(lucid.Tensor(3.0)).item() == 0


@pytest.mark.parametrize("p", ["fro", 1, 2, 3, 0.5, float("inf"), -float("inf"), 0])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, True), ((0, 1), False)])
def test_norm_matches_torch(torch, rng, float_dtype, p, dim, keepdim):
    a = rng.standard_normal((3, 4, 2)).astype(float_dtype)
    a[0, 0, 0] = 0.0
    torch_parity(lambda t: t.norm(p=p, dim=dim, keepdim=keepdim),
                 lambda t: t.norm(p=p, dim=dim, keepdim=keepdim), [a], rtol=1e-4, atol=1e-5)
    if p in (1, 2):
        torch_parity(lambda t: lucid.norm(t, p, dim), lambda t: torch.norm(t, p, dim), [a],
                     rtol=1e-4, atol=1e-5)


def test_norm_nuclear_gradcheck_and_errors(torch, rng):
    a = rng.standard_normal((3, 4))
    torch_parity(lambda t: t.norm(p="nuc"), lambda t: t.norm(p="nuc"), [a])
    x = lucid.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for p in ("fro", 1, 3, 1.5, float("inf")):
        assert gradcheck(lambda t: t.norm(p=p, dim=1), [x])
    with pytest.raises(ValueError, match=r"^norm: p must be >= 0, inf or -inf; got -1"):
        x.norm(p=-1)
    with pytest.raises(ValueError, match=r"^norm: p must be a number, 'fro' or 'nuc'; got 'max'"):
        x.norm(p="max")
    with pytest.raises(TypeError, match=r"^norm: p must be a number, 'fro' or 'nuc'; got True"):
        x.norm(p=True)
    with pytest.raises(TypeError, match=r"^norm: input_ must have a floating dtype"):
        lucid.norm(lucid.Tensor([1, 2]))


def test_conversions_and_comparisons():
    x = lucid.Tensor([1.5, -2.0, 3.0], requires_grad=True)
    assert (x.float().dtype, x.double().dtype, x.half().dtype) == (np.float32, np.float64, np.float16)
    assert (x.long().dtype, x.int().dtype, x.bool().dtype) == (np.int64, np.int32, np.bool_)
    assert x.double().requires_grad and not x.long().requires_grad
    assert x.type() == "float32" and x.type(lucid.float64).dtype == np.float64
    assert x.long().tolist() == [1, -2, 3]
    y = lucid.Tensor([1.5, 0.0, 4.0])
    assert x.eq(y).tolist() == [True, False, False] and x.ne(y).tolist() == [False, True, True]
    assert x.lt(y).tolist() == [False, True, True] and x.le(y).tolist() == [True, True, True]
    assert x.gt(y).tolist() == [False, False, False] and x.ge(y).tolist() == [True, False, False]
    x.double().sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0, 1.0]


def test_requires_grad_new_tensors_and_device_methods():
    w = lucid.zeros(3).requires_grad_()
    assert w.requires_grad and w.requires_grad_(False) is w and not w.requires_grad
    h = lucid.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"^requires_grad_: only leaf tensors can stop"):
        h.requires_grad_(False)
    with pytest.raises(TypeError, match=r"^requires_grad_: requires_grad must be a bool"):
        w.requires_grad_(1)
    d = lucid.Tensor([1.0, 2.0], dtype=lucid.float64)
    z = d.new_zeros(2, 3)
    assert z.shape == (2, 3) and z.dtype == np.float64 and z.tolist()[0] == [0.0] * 3
    assert d.new_ones((2,)).tolist() == [1.0, 1.0] and d.new_ones(2, dtype=int).dtype == np.int64
    f = d.new_full((2, 2), 7)
    assert f.dtype == np.float64 and f.tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert d.new_zeros(2, requires_grad=True).requires_grad
    assert d.cpu() is d and d.is_cpu() and not d.is_gpu()


def test_the_original_lucids_tensor_helpers():
    x = lucid.Tensor([1.0, 2.0])
    assert x.eval() is x and x.free() is x and x.is_free and lucid.Tensor.is_all_free(x, x)
    a = np.ones(2)
    assert lucid.Tensor.copy_data(a) is not a and lucid.Tensor.copy_grad(a).tolist() == [1.0, 1.0]
    assert x.zero() is x and x.tolist() == [0.0, 0.0]
    with pytest.raises(lucid.UnknownDeviceError, match=r"^mlx: device 'mlx' is not available"):
        x.mlx()


# ----------------------------------------------------------------- top-level names
def test_creation_and_random_top_level_names():
    lucid.manual_seed(3)
    a = (lucid.randn(2, 3), lucid.rand((2,)), lucid.randint(0, 5, (4,)), lucid.randperm(6))
    lucid.manual_seed(3)
    b = (lucid.randn(2, 3), lucid.rand((2,)), lucid.randint(0, 5, (4,)), lucid.randperm(6))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u.data, v.data)
    assert sorted(a[3].tolist()) == list(range(6)) and a[3].dtype == np.int64
    assert lucid.randint(10, (3,)).shape == (3,)                 # torch.randint(high, size)
    assert lucid.randperm(3, dtype=lucid.float32).dtype == np.float32
    assert lucid.zeros(2, 3).shape == (2, 3) and lucid.ones([2, 3]).shape == (2, 3)
    assert lucid.empty(2, 2, dtype=lucid.int64).dtype == np.int64
    with pytest.raises(TypeError, match=r"^zeros: pass the shape as ints or as one tuple of ints"):
        lucid.zeros((2, 3), lucid.float64)
    with pytest.raises(ValueError, match=r"^randperm: n must be non-negative; got -1"):
        lucid.randperm(-1)
    with pytest.raises(TypeError, match=r"^randperm: dtype must be an integer or floating dtype"):
        lucid.randperm(3, dtype=bool)


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.arange(3.0)
    t = lucid.from_numpy(a)
    a[1] = 10.0
    assert t.tolist() == [0.0, 10.0, 2.0] and t.dtype == np.float64
    c = lucid.tensor(a)
    a[0] = -1.0
    assert c.tolist()[0] == 0.0
    with pytest.raises(TypeError, match=r"^from_numpy: expected an np.ndarray; got list"):
        lucid.from_numpy([1.0])
    with pytest.raises(TypeError, match=r"^from_numpy: dtype must be"):
        lucid.from_numpy(np.array(["a"]))


def test_function_top_level_names(torch, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    torch_parity(lambda t: lucid.softmax(t, dim=0), lambda t: torch.softmax(t, dim=0), [a])
    torch_parity(lambda t: lucid.log_softmax(t, 1), lambda t: torch.log_softmax(t, 1), [a])
    torch_parity(lambda t: lucid.clamp(t, min=0.0), lambda t: torch.clamp(t, min=0.0), [a])
    torch_parity(lambda t: lucid.einsum("ij,kj->ik", t, t), lambda t: torch.einsum("ij,kj->ik", t, t), [a])
    torch_parity(lambda t: lucid.cat([t, t * 2], dim=1), lambda t: torch.cat([t, t * 2], dim=1), [a])
    np.testing.assert_array_equal(lucid.argmax(lucid.Tensor(a), 1).data, torch.argmax(torch.tensor(a), 1).numpy())


def test_dtype_aliases_are_pytorchs():
    pairs = {"float32": np.float32, "float": np.float32, "float64": np.float64,
             "double": np.float64, "float16": np.float16, "half": np.float16,
             "int64": np.int64, "long": np.int64, "int32": np.int32, "int": np.int32,
             "int16": np.int16, "short": np.int16, "int8": np.int8, "uint8": np.uint8,
             "bool": np.bool_, "complex64": np.complex64, "complex128": np.complex128}
    for name, np_type in pairs.items():
        alias = getattr(lucid, name)
        assert alias == np.dtype(np_type), name
        assert lucid.zeros(1, dtype=alias).dtype == np_type
    assert lucid.long is lucid.Int64 and lucid.float32 is lucid.Float32
    assert lucid.int == np.int32 and lucid.Int == np.int64          # PyTorch's int is int32
    assert "float32" in lucid.__all__ and "long" in lucid.__all__
    for shadowing in ("float", "int", "bool"):      # `from lucid import *` keeps Python's
        assert shadowing not in lucid.__all__


def test_grad_mode_names():
    x = lucid.Tensor([1.0], requires_grad=True)
    with lucid.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with lucid.inference_mode():
        assert not (x * 2).requires_grad
        with lucid.inference_mode(False):              # leaves the mode as it is
            assert not (x * 2).requires_grad
    with lucid.inference_mode(False):
        assert (x * 2).requires_grad

    @lucid.inference_mode()
    def predict(t):
        return t * 3

    assert not predict(x).requires_grad and lucid.grad_enabled()


def test_module_casts_and_devices():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    assert model.half() is model and model[0].weight.dtype == np.float16
    assert model.double()[1].running_mean.dtype == np.float64
    assert model.float()[0].bias.dtype == np.float32
    assert model.cpu() is model and model.to("cpu") is model
    assert model.to("float64")[0].weight.dtype == np.float64
    with pytest.raises(lucid.UnknownDeviceError, match=r"^Sequential.cuda: device 'cuda' is not available"):
        model.cuda()
    with pytest.raises(ValueError, match=r"^Sequential.to: device 'mps' is not available"):
        model.to("mps")
