"""cumsum and cumprod: values and gradients against PyTorch (float32, float64), gradcheck
in float64, zeros in cumprod (the division-free backward), dtypes, bad arguments."""
import numpy as np
import pytest

import lucid
from helpers import torch_parity
from lucid.testing import assert_close, gradcheck

_CASES = [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), 1)]


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("shape, axis", _CASES)
def test_matches_torch(torch, float_dtype, rng, name, shape, axis):
    x = rng.uniform(0.5, 1.5, shape).astype(float_dtype) * rng.choice([-1, 1], shape)
    torch_parity(lambda t: getattr(lucid, name)(t, axis=axis),
                 lambda t: getattr(torch, name)(t, dim=axis), [x], rtol=1e-5, atol=1e-6)
    torch_parity(lambda t: getattr(t, name)(dim=axis),
                 lambda t: getattr(t, name)(axis), [x], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("zeros", [[1], [0, 3], [2, 4]])
def test_cumprod_with_zeros_matches_torch(torch, float_dtype, rng, zeros):
    x = rng.uniform(0.5, 2.0, (3, 6)).astype(float_dtype)
    x[:, zeros] = 0.0
    torch_parity(lambda t: lucid.cumprod(t, axis=1), lambda t: torch.cumprod(t, dim=1), [x],
                 rtol=1e-5, atol=1e-6)


def test_gradcheck(rng):
    x = lucid.Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    assert gradcheck(lambda a: lucid.cumsum(a, axis=1), [x])
    assert gradcheck(lambda a: lucid.cumprod(a, axis=0), [x])
    assert gradcheck(lambda a: lucid.cumprod(a), [x])
    z = rng.standard_normal((2, 6))
    z[0, 2] = z[1, 5] = 0.0                     # the recurrence path
    assert gradcheck(lambda a: lucid.cumprod(a, axis=1), [lucid.Tensor(z, requires_grad=True)])


def test_flattened_zero_d_empty_and_dtypes():
    x = lucid.Tensor([[1, 2], [3, 4]])
    assert lucid.cumsum(x).tolist() == [1, 3, 6, 10]                  # NumPy: flattened
    assert lucid.cumprod(x, axis=1).dtype == np.int64
    assert lucid.cumsum(lucid.Tensor([True, True, False])).tolist() == [1, 2, 2]
    assert lucid.cumsum(lucid.Tensor(2.5)).tolist() == [2.5]
    e = lucid.Tensor(np.zeros((0, 3)), requires_grad=True)
    y = lucid.cumprod(e, axis=0)
    y.backward(np.zeros((0, 3)))
    assert y.shape == (0, 3) and e.grad.shape == (0, 3)
    assert lucid.cumsum(lucid.Tensor([1.0], dtype=lucid.Float64)).dtype == np.float64


def test_integer_input_gets_a_float_gradient_equal_to_the_float_twin():
    n = lucid.Tensor([[1, 2, 3], [4, 0, 6]], requires_grad=True)
    f = lucid.Tensor(np.array([[1, 2, 3], [4, 0, 6]], dtype=np.float64), requires_grad=True)
    lucid.cumprod(n, axis=1).sum().backward()
    lucid.cumprod(f, axis=1).sum().backward()
    assert n.grad.dtype == np.float64
    assert_close(n.grad, f.grad)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_bad_arguments(name):
    fn = getattr(lucid, name)
    x = lucid.zeros((2, 3))
    with pytest.raises(ValueError, match=rf"^{name}: axis 2 is out of range for a tensor with ndim 2"):
        fn(x, axis=2)
    with pytest.raises(TypeError, match=rf"^{name}: axis must be one int \(or None\); got \(0, 1\)"):
        fn(x, axis=(0, 1))
    with pytest.raises(TypeError, match=rf"^{name}: got both axis= and dim="):
        fn(x, axis=0, dim=0)
