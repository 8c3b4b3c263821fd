"""The original lucid's Tensor behaviour that lucid follows: backward() seeds ones on a
non-scalar, integer tensors may require grad (their gradient is floating and exact),
x.size is the element count (and callable), the error classes; plus int()/float()."""
import numpy as np
import pytest

import lucid
from lucid.testing import assert_close


# ------------------------------------------------------------------ backward seeding
def test_non_scalar_backward_is_the_backward_of_the_sum(rng):
    data = rng.standard_normal((3, 4)).astype(np.float32)
    a = lucid.Tensor(data, requires_grad=True)
    b = lucid.Tensor(data, requires_grad=True)
    (lucid.exp(a) * a).backward()
    (lucid.exp(b) * b).sum().backward()
    assert_close(a.grad, b.grad)
    assert_close(a.grad, np.exp(data) * (1 + data))       # d/dx x e^x


def test_explicit_gradient_still_seeds(rng):
    x = lucid.Tensor(rng.standard_normal(3), requires_grad=True)
    seed = np.array([1.0, -2.0, 0.5])
    (x * 3).backward(seed)
    assert_close(x.grad, 3 * seed)
    with pytest.raises(ValueError, match=r"^backward: gradient has shape \(2,\) but the tensor has shape \(3,\)"):
        (x * 3).backward(np.ones(2))


def test_keep_grad_keeps_every_intermediate_gradient_for_one_call():
    x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = h * h
    y.backward(keep_grad=True, retain_graph=True)
    assert y.grad.tolist() == [1.0, 1.0] and h.grad.tolist() == [6.0, 12.0]
    assert not h.keep_grad and not y.keep_grad              # reset after the call
    x.zero_grad()
    h.grad = None
    y.backward()                                            # an ordinary backward
    assert h.grad is None and x.grad.tolist() == [18.0, 36.0]
    with pytest.raises(TypeError, match=r"^backward: keep_grad must be a bool"):
        (x * 2).backward(keep_grad=1)


# ------------------------------------------------------------ integers require grad
@pytest.mark.parametrize("fn", [
    lambda t: (t * t).sum(),
    lambda t: (t * 2.5 + 1).sum(),
    lambda t: lucid.mean(t * t),
    lambda t: (lucid.exp(t / 4) * t).sum(),
    lambda t: lucid.gather(t, 0, [2, 0, 0]).sum() * t.sum(),
    lambda t: (t.float() * lucid.Tensor([1.0, -1.0, 2.0])).sum(),
])
def test_integer_gradient_equals_the_float_twin(fn):
    """torch refuses integer tensors that require grad; the oracle is the same
    computation on float64 values."""
    n = lucid.Tensor([1, 2, 3], requires_grad=True)
    f = lucid.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    fn(n).backward()
    fn(f).backward()
    assert n.grad.dtype.kind == "f"
    assert_close(n.grad.astype(np.float64), f.grad, rtol=1e-6, atol=1e-6)


def test_integer_gradient_is_exact_not_truncated():
    n = lucid.Tensor([1, 2, 3], requires_grad=True)
    (n * 0.25).sum().backward()
    assert n.grad.tolist() == [0.25, 0.25, 0.25] and n.grad.dtype == np.float64
    k = lucid.Tensor(np.array([5, 7], dtype=np.int32), requires_grad=True)
    (k * lucid.Tensor([0.5, 1.5])).sum().backward()          # int32 * float32 -> float64
    assert k.grad.tolist() == [0.5, 1.5]
    i = lucid.Tensor([4, 5], requires_grad=True)
    (i * i).backward()                                      # all-integer graph
    assert i.grad.dtype == np.float64 and i.grad.tolist() == [8.0, 10.0]


def test_integer_leaves_from_creation_functions_and_bools():
    for t in (lucid.arange(3, requires_grad=True), lucid.zeros(2, dtype=int, requires_grad=True),
              lucid.tensor([True, False], requires_grad=True),
              lucid.random.randint(0, 5, (2,), requires_grad=True)):
        assert t.requires_grad and t.is_leaf
    b = lucid.Tensor([True, False], requires_grad=True)
    (b * 2.0).sum().backward()
    assert b.grad.tolist() == [2.0, 2.0]


# ---------------------------------------------------------------------------- size
def test_size_is_the_count_and_callable():
    x = lucid.zeros((2, 3, 4))
    assert x.size == 24 and isinstance(x.size, int) and x.size + 1 == 25
    assert repr(x.size) == "24" and x.size * 2 == 48 and f"{x.size:,}" == "24"
    import copy
    import pickle
    assert copy.deepcopy(x.size) == 24 and type(pickle.loads(pickle.dumps(x.size))) is int
    assert x.size() == (2, 3, 4) and x.size(0) == 2 and x.size(-1) == 4 and x.size(dim=1) == 3
    assert lucid.Tensor(3.0).size == 1 and lucid.Tensor(3.0).size() == ()
    with pytest.raises(IndexError, match=r"^size: dim 3 is out of range for a tensor with ndim 3"):
        x.size(3)
    with pytest.raises(TypeError, match=r"^size: dim must be an int; got 1.0"):
        x.size(1.0)


def test_int_float_bool_of_one_element_tensors():
    assert int(lucid.Tensor([3.9])) == 3 and float(lucid.Tensor(2)) == 2.0
    assert bool(lucid.Tensor([[1]])) and int(lucid.Tensor(7, requires_grad=True)) == 7
    assert float(lucid.Tensor([1.5], requires_grad=True) * 2) == 3.0
    with pytest.raises(TypeError, match=r"^int\(\): only one-element tensors can be converted .* shape \(2,\)"):
        int(lucid.Tensor([1, 2]))
    with pytest.raises(TypeError, match=r"^float\(\): only one-element"):
        float(lucid.zeros(0))


# -------------------------------------------------------------------------- errors
@pytest.mark.parametrize("device", ["gpu", "cuda", "cuda:0", "mps"])
def test_accelerators_name_what_is_missing(device):
    for call, where in ((lambda: lucid.Tensor([1.0], device=device), "Tensor"),
                        (lambda: lucid.zeros(2, device=device), "zeros"),
                        (lambda: lucid.random.randn(2, device=device), "randn"),
                        (lambda: lucid.ones(2).to(device), "to")):
        with pytest.raises(lucid.UnknownDeviceError,
                           match=rf"^{where}: device '{device}' is not available: lucid computes "
                                 r"on the CPU with NumPy and has no GPU backend .*MLX.*CUDA"):
            call()


def test_unknown_devices_and_the_error_hierarchy():
    with pytest.raises(ValueError, match=r"^arange: unknown device 'tpu'; lucid has one device, 'cpu'"):
        lucid.arange(3, device="tpu")
    with pytest.raises(lucid.error.UnknownDeviceError):
        lucid.ones(2).cuda()
    assert lucid.zeros(2, device="cpu").device == "cpu"
    assert issubclass(lucid.BackwardError, RuntimeError)
    assert issubclass(lucid.DeviceMismatchError, RuntimeError)
    assert str(lucid.DeviceMismatchError("gpu", "cpu")) == "tried to use a tensor on 'gpu' from a tensor on 'cpu'"


def test_backward_error_names_the_op_and_chains_the_cause():
    class Faulty(lucid.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x + 1

        @staticmethod
        def backward(ctx, grad):
            return grad[:, None] @ grad[None, :5]           # a shape bug

    x = lucid.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(lucid.BackwardError, match=r"^backward of Faulty failed for a gradient of "
                                                  r"shape \(2, 3\): ValueError") as info:
        Faulty.apply(x).backward()
    assert isinstance(info.value.__cause__, ValueError)
    assert info.value.shape == (2, 3) and info.value.op is Faulty
