"""Creation functions against PyTorch (NumPy where PyTorch has no equivalent)."""
import numpy as np
import pytest

import lucid
from lucid.testing import assert_close, gradcheck
from tests.helpers import torch, torch_parity

needs_torch = pytest.mark.torch


def _torch_dtype(dtype):
    return getattr(torch, np.dtype(dtype).name) if np.dtype(dtype) != np.bool_ else torch.bool


# ----------------------------------------------------------------- tensor, to_tensor
@pytest.mark.parametrize("data, dtype", [
    (2.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2], [3, 4]], np.int64),
    (True, np.bool_), (np.arange(3, dtype=np.float64), np.float64), ([], np.float32),
])
def test_tensor_dtype_rules(data, dtype):
    t = lucid.tensor(data)
    assert t.dtype == dtype
    assert t.shape == np.shape(data)
    assert t.is_leaf and not t.requires_grad


def test_tensor_copies_its_data():
    a = np.ones(3, dtype=np.float32)
    t = lucid.tensor(a)
    a[0] = 5
    assert t.data[0] == 1


def test_tensor_of_a_tensor_is_a_detached_copy():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    y = lucid.exp(x)
    t = lucid.tensor(y)
    assert t.is_leaf and not t.requires_grad
    assert not np.shares_memory(t.data, y.data)
    assert_close(t, y.data)


def test_tensor_arguments():
    t = lucid.tensor([1, 2], dtype=float, requires_grad=True, keep_grad=True)
    assert (t.dtype, t.requires_grad, t.keep_grad) == (np.float32, True, True)


@pytest.mark.parametrize("fn", [lucid.tensor, lucid.to_tensor])
def test_tensor_bad_inputs(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"^{name}: data must be .*rectangular"):
        fn([[1, 2], [3]])
    with pytest.raises(TypeError, match=rf"^{name}: data must be numbers.*str"):
        fn("abc")
    with pytest.raises(TypeError, match=rf"^{name}: dtype must be"):
        fn([1.0], dtype="no-such-dtype")


def test_to_tensor_passes_a_tensor_through():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    y = lucid.exp(x)
    assert lucid.to_tensor(y) is y
    assert lucid.to_tensor(y, dtype=np.float32) is y
    z = lucid.to_tensor(y, dtype=np.float64)
    assert z is not y and z.dtype == np.float64 and z.is_leaf
    assert_close(z, y.data.astype(np.float64))


def test_to_tensor_converts_data():
    t = lucid.to_tensor(np.array([[1, 2]], dtype=np.int32))
    assert t.dtype == np.int32 and t.shape == (1, 2)
    assert lucid.to_tensor(0.5).dtype == np.float32


# ----------------------------------------------------------- zeros, ones, empty, full
SHAPES = [3, (2, 3), [4, 1, 2], (), (0, 5)]


@needs_torch
@pytest.mark.parametrize("name", ["zeros", "ones"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [None, np.float64, np.int64, np.bool_])
def test_zeros_ones_match_torch(name, shape, dtype):
    out = getattr(lucid, name)(shape, dtype=dtype)
    size = (shape,) if isinstance(shape, int) else tuple(shape)
    expected = getattr(torch, name)(size, dtype=None if dtype is None else _torch_dtype(dtype))
    assert_close(out, expected.numpy())
    assert out.is_leaf and not out.requires_grad


@pytest.mark.parametrize("shape", SHAPES)
def test_empty_shape_and_dtype(shape):
    out = lucid.empty(shape)
    size = (shape,) if isinstance(shape, int) else tuple(shape)
    assert out.shape == size and out.dtype == np.float32
    assert lucid.empty(shape, dtype=np.int32).dtype == np.int32


@needs_torch
@pytest.mark.parametrize("fill", [7, 2.5, True, -1e30, np.float64(0.1)])
@pytest.mark.parametrize("shape", [(2, 3), 4, ()])
def test_full_matches_torch_including_its_dtype(fill, shape):
    out = lucid.full(shape, fill)
    size = (shape,) if isinstance(shape, int) else shape
    expected = torch.full(size, fill.item() if isinstance(fill, np.generic) else fill,
                          dtype=torch.float64 if isinstance(fill, np.float64) else None)
    assert_close(out, expected.numpy())


def test_full_with_dtype_and_tensor_fill():
    assert_close(lucid.full(2, 3, dtype=np.float64), np.array([3.0, 3.0]))
    assert_close(lucid.full((1, 2), lucid.tensor(1.5)), np.full((1, 2), 1.5, dtype=np.float32))


@needs_torch
@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like"])
@pytest.mark.parametrize("like", [
    lambda: lucid.tensor([[1.0, 2.0, 3.0]]), lambda: np.arange(6, dtype=np.int32).reshape(2, 3),
    lambda: [[1, 2], [3, 4]], lambda: lucid.zeros((0, 2), dtype=np.float64),
])
@pytest.mark.parametrize("dtype", [None, np.float64])
def test_like_functions_take_shape_and_dtype(name, like, dtype):
    src = like()
    out = getattr(lucid, name)(src, dtype=dtype)
    src_array = lucid.tensor(src).data
    expected_dtype = src_array.dtype if dtype is None else np.dtype(dtype)
    assert out.shape == src_array.shape and out.dtype == expected_dtype
    if name != "empty_like":
        t = getattr(torch, name)(torch.from_numpy(src_array),
                                 dtype=None if dtype is None else _torch_dtype(dtype))
        assert_close(out, t.numpy())


@needs_torch
def test_full_like_keeps_the_input_dtype_like_torch():
    src = np.array([[1, 2]], dtype=np.int64)
    assert_close(lucid.full_like(lucid.tensor(src), 2.7), torch.full_like(torch.from_numpy(src), 2.7).numpy())
    assert_close(lucid.full_like(src, 2.7, dtype=np.float32),
                 torch.full_like(torch.from_numpy(src), 2.7, dtype=torch.float32).numpy())


def test_like_result_is_a_new_leaf():
    x = lucid.exp(lucid.tensor([1.0, 2.0], requires_grad=True))
    for fn in (lucid.zeros_like, lucid.ones_like, lucid.empty_like):
        out = fn(x)
        assert out.is_leaf and not out.requires_grad
    assert lucid.ones_like(x, requires_grad=True).requires_grad


@pytest.mark.parametrize("call, name", [
    (lambda: lucid.zeros((2, -1)), "zeros"), (lambda: lucid.ones(-3), "ones"),
    (lambda: lucid.empty((-1,)), "empty"), (lambda: lucid.full((1, -2), 0.0), "full"),
])
def test_negative_size_is_a_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}: shape must (not contain negative values; "
                                         rf"got \(|be non-negative; got -3)"):
        call()


@pytest.mark.parametrize("bad", [2.0, (2, 1.5), "3", (True, 2), None])
@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_shape_must_be_ints(name, bad):
    with pytest.raises(TypeError, match=rf"^{name}: shape must be an int or a tuple of ints; got"):
        getattr(lucid, name)(bad)


def test_integer_results_may_require_grad_as_in_the_original():
    for name in ("zeros", "ones", "empty"):
        assert getattr(lucid, name)(2, dtype=int, requires_grad=True).requires_grad
    assert lucid.full(2, 1, requires_grad=True).requires_grad
    t = lucid.zeros(2, requires_grad=True, keep_grad=True)
    assert t.requires_grad and t.keep_grad and t.is_leaf


def test_other_bad_arguments():
    with pytest.raises(TypeError, match=r"^full: fill_value must be a number"):
        lucid.full(2, [1, 2])
    with pytest.raises(TypeError, match=r"^zeros_like: input_ must be"):
        lucid.zeros_like("abc")
    with pytest.raises(TypeError, match=r"^ones: dtype must be"):
        lucid.ones(2, dtype="nope")


# ------------------------------------------------------------------------------ eye
@needs_torch
@pytest.mark.parametrize("N, M", [(3, None), (2, 4), (4, 2), (0, 3), (1, 1)])
@pytest.mark.parametrize("dtype", [None, np.float64, np.int64])
def test_eye_matches_torch(N, M, dtype):
    expected = torch.eye(N, N if M is None else M,
                         dtype=None if dtype is None else _torch_dtype(dtype))
    assert_close(lucid.eye(N, M, dtype=dtype), expected.numpy())


@pytest.mark.parametrize("k", [-3, -1, 1, 2, 5])
def test_eye_off_diagonal_matches_numpy(k):
    # torch.eye has no k; the contract is np.eye's
    assert_close(lucid.eye(3, 4, k=k), np.eye(3, 4, k=k, dtype=np.float32))


def test_eye_bad_arguments():
    with pytest.raises(ValueError, match=r"^eye: N must be non-negative; got -1"):
        lucid.eye(-1)
    with pytest.raises(ValueError, match=r"^eye: M must be non-negative; got -2"):
        lucid.eye(2, -2)
    with pytest.raises(TypeError, match=r"^eye: N must be an int; got 2.0"):
        lucid.eye(2.0)
    with pytest.raises(TypeError, match=r"^eye: k must be an int"):
        lucid.eye(2, k=0.5)


# ----------------------------------------------------------------------------- diag
DIAG_CASES = [((4,), 0), ((3,), 2), ((3,), -1), ((3, 3), 0), ((3, 5), 1), ((5, 3), -2),
              ((2, 4), 3), ((2, 4), 7), ((4, 2), -5)]


@needs_torch
@pytest.mark.parametrize("shape, k", DIAG_CASES)
def test_diag_values_and_gradients_match_torch(shape, k, float_dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(float_dtype)
    torch_parity(lambda t: lucid.diag(t, k), lambda t: torch.diag(t, k), [x])


@pytest.mark.parametrize("shape, k", DIAG_CASES)
def test_diag_gradcheck(shape, k):
    x = lucid.tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: lucid.diag(t, k), [x])


def test_diag_of_plain_data_matches_numpy():
    m = [[1, 2, 3], [4, 5, 6]]
    assert_close(lucid.diag(m, 1), np.diag(np.array(m), 1))
    assert_close(lucid.diag([1.5, 2.5]), np.diag(np.array([1.5, 2.5], dtype=np.float32)))


def test_diag_owns_its_memory():
    m = lucid.tensor([[1.0, 2.0], [3.0, 4.0]])
    d = lucid.diag(m)
    d.data[0] = 9.0  # writable, and not a view of m
    assert m.data[0, 0] == 1.0


def test_diag_dtype_and_grad_flags():
    v = lucid.tensor([1.0, 2.0], requires_grad=True)
    out = lucid.diag(v, dtype=np.float64)
    assert out.dtype == np.float64 and out.grad_fn is not None
    out.sum().backward()
    assert v.grad.dtype == np.float32
    assert_close(v.grad, np.ones(2, dtype=np.float32))
    leaf = lucid.diag([1.0, 2.0], requires_grad=True, keep_grad=True)
    assert leaf.is_leaf and leaf.requires_grad and leaf.keep_grad
    assert not lucid.diag([1.0, 2.0]).requires_grad


def test_diag_bad_arguments():
    with pytest.raises(ValueError, match=r"^diag: v must be 1-D or 2-D; got 3-D with shape \(1, 2, 2\)"):
        lucid.diag(lucid.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match=r"^diag: v must be 1-D or 2-D; got 0-D"):
        lucid.diag(3.0)
    with pytest.raises(TypeError, match=r"^diag: k must be an int"):
        lucid.diag([1.0], k=1.0)


# --------------------------------------------------------------------------- arange
ARANGE_CASES = [
    ((5,), {}), ((2, 9), {}), ((2, 9, 3), {}), ((10, 0, -3), {}), ((0, 1, 0.1), {}),
    ((1.5,), {}), ((-2.5, 2.5, 0.7), {}), ((0.0, 3), {}), ((0, 3, 1.0), {}),
    ((0, 3), {"dtype": np.float64}), ((0, 1, 0.1), {"dtype": np.float64}),
    ((1, 4), {"dtype": np.float32}), ((0.5, 3), {"dtype": np.int64}),
    ((-0.5, 3.2, 1.5), {"dtype": np.int64}), ((0, 3.5, 1), {"dtype": np.int64}),
    ((1, 7, 2), {"dtype": np.int32}),
]


@needs_torch
@pytest.mark.parametrize("args, kwargs", ARANGE_CASES)
def test_arange_matches_torch(args, kwargs):
    out = lucid.arange(*args, **kwargs)
    tkw = {k: (_torch_dtype(v) if k == "dtype" else v) for k, v in kwargs.items()}
    expected = torch.arange(*args, **tkw).numpy()
    assert_close(out, expected)
    np.testing.assert_array_equal(out.data, expected)  # to the last bit


def test_arange_float_step_given_by_keyword_makes_floats():
    # torch.arange has no (stop, step=) form; this is torch.arange(0, 5, 1.0)
    assert_close(lucid.arange(5, step=1.0), np.arange(5, dtype=np.float32))
    assert lucid.arange(5).dtype == np.int64
    assert lucid.arange(start=5).dtype == np.int64


def test_arange_with_a_step_of_the_wrong_sign_is_empty_like_numpy():
    out = lucid.arange(5, 1)
    assert out.shape == (0,) and out.dtype == np.int64
    assert lucid.arange(0.0, 1.0, -0.5).shape == (0,)


def test_arange_bad_arguments():
    with pytest.raises(ValueError, match=r"^arange: step must not be zero"):
        lucid.arange(0, 5, 0)
    with pytest.raises(ValueError, match=r"^arange: step must not be zero \(after truncation"):
        lucid.arange(0, 3, 0.5, dtype=np.int64)
    with pytest.raises(TypeError, match=r"^arange: stop must be a real number; got '5'"):
        lucid.arange("5")
    with pytest.raises(ValueError, match=r"^arange: stop must be finite; got inf"):
        lucid.arange(0, float("inf"))
    assert lucid.arange(3, requires_grad=True).requires_grad     # int64, as the original
    assert lucid.arange(3.0, requires_grad=True).requires_grad


# ------------------------------------------------------------------------- linspace
LINSPACE_CASES = [(0, 1, 5), (-3.3, 7.1, 37), (1e3, -2.7, 101), (0.1, 0.7, 7), (5, 5, 4),
                  (-1, 1, 2), (2.5, 9.0, 1), (0, 1, 0), (-7.7, 13.1, 1001), (0, 1, 50)]


@needs_torch
@pytest.mark.parametrize("start, stop, num", LINSPACE_CASES)
@pytest.mark.parametrize("dtype", [None, np.float64])
def test_linspace_matches_torch_to_the_last_bit(start, stop, num, dtype):
    out = lucid.linspace(start, stop, num, dtype=dtype)
    expected = torch.linspace(start, stop, num,
                              dtype=None if dtype is None else _torch_dtype(dtype)).numpy()
    assert_close(out, expected)
    np.testing.assert_array_equal(out.data, expected)


@needs_torch
def test_linspace_default_num_and_integer_dtype():
    assert_close(lucid.linspace(0, 1), torch.linspace(0, 1, 50).numpy())
    for start, stop, num in [(0, 10, 4), (-5, 7, 6), (2.7, 9.9, 5)]:
        assert_close(lucid.linspace(start, stop, num, dtype=np.int64),
                     torch.linspace(start, stop, num, dtype=torch.int64).numpy())


def test_linspace_bad_arguments():
    with pytest.raises(ValueError, match=r"^linspace: num must be non-negative; got -1"):
        lucid.linspace(0, 1, -1)
    with pytest.raises(TypeError, match=r"^linspace: num must be an int; got 2.0"):
        lucid.linspace(0, 1, 2.0)
    with pytest.raises(TypeError, match=r"^linspace: start must be a real number"):
        lucid.linspace(None, 1)
