"""Element-wise ops: values and gradients against PyTorch (float32 and float64, broadcast,
0-d and empty shapes), gradcheck in float64, nodes used twice, NumPy's dtype rules,
comparisons and logic, casts, and every bad argument."""
import numpy as np
import pytest

import lucid
from helpers import torch_parity
from tests.conftest import torch
from lucid.testing import assert_close, gradcheck

needs_torch = pytest.mark.torch


# ------------------------------------------------------------------ samplers
def _any(rng, shape):
    return rng.standard_normal(shape)


def _positive(rng, shape):
    return rng.uniform(0.5, 3.0, shape)


def _unit(rng, shape):  # inside (-1, 1), where arcsin / arccos are smooth
    return rng.uniform(-0.9, 0.9, shape)


def _nonzero(rng, shape):  # away from 0, for divisors
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def _ties(rng, shape):  # few distinct values, so maximum / minimum meet ties
    return rng.integers(-1, 2, shape).astype(np.float64)


# name -> (lucid function, torch function, sampler)
UNARY = {
    "neg": (lucid.neg, lambda t: torch.neg(t), _any),
    "exp": (lucid.exp, lambda t: torch.exp(t), _any),
    "log": (lucid.log, lambda t: torch.log(t), _positive),
    "log2": (lucid.log2, lambda t: torch.log2(t), _positive),
    "sqrt": (lucid.sqrt, lambda t: torch.sqrt(t), _positive),
    "sin": (lucid.sin, lambda t: torch.sin(t), _any),
    "cos": (lucid.cos, lambda t: torch.cos(t), _any),
    "tan": (lucid.tan, lambda t: torch.tan(t), _unit),
    "sinh": (lucid.sinh, lambda t: torch.sinh(t), _any),
    "cosh": (lucid.cosh, lambda t: torch.cosh(t), _any),
    "tanh": (lucid.tanh, lambda t: torch.tanh(t), _any),
    "arcsin": (lucid.arcsin, lambda t: torch.asin(t), _unit),
    "arccos": (lucid.arccos, lambda t: torch.acos(t), _unit),
    "arctan": (lucid.arctan, lambda t: torch.atan(t), _any),
    "abs": (lucid.abs, lambda t: torch.abs(t), _any),
    "sign": (lucid.sign, lambda t: torch.sign(t), _any),
    "reciprocal": (lucid.reciprocal, lambda t: torch.reciprocal(t), _nonzero),
    "square": (lucid.square, lambda t: torch.square(t), _any),
    "cube": (lucid.cube, lambda t: torch.pow(t, 3), _any),
    "clip": (lambda x: lucid.clip(x, -0.5, 0.7), lambda t: torch.clamp(t, -0.5, 0.7), _any),
    "clip_min": (lambda x: lucid.clip(x, min_value=-0.3), lambda t: torch.clamp(t, min=-0.3), _any),
    "clip_max": (lambda x: lucid.clip(x, max_value=0.2), lambda t: torch.clamp(t, max=0.2), _any),
    "round": (lucid.round, lambda t: torch.round(t), lambda r, s: 3 * _any(r, s)),
    "round_2": (lambda x: lucid.round(x, 2), lambda t: torch.round(t, decimals=2), _any),
    "round_-1": (lambda x: lucid.round(x, decimals=-1),
                 lambda t: torch.round(t, decimals=-1), lambda r, s: 40 * _any(r, s)),
    "floor": (lucid.floor, lambda t: torch.floor(t), lambda r, s: 3 * _any(r, s)),
    "ceil": (lucid.ceil, lambda t: torch.ceil(t), lambda r, s: 3 * _any(r, s)),
    "method_exp": (lambda x: x.exp(), lambda t: t.exp(), _any),
    "operator_neg": (lambda x: -x, lambda t: -t, _any),
    "operator_abs": (lambda x: abs(x), lambda t: abs(t), _any),
}

# name -> (lucid function, torch function, sampler of a, sampler of b)
BINARY = {
    "add": (lucid.add, lambda a, b: torch.add(a, b), _any, _any),
    "sub": (lucid.sub, lambda a, b: torch.sub(a, b), _any, _any),
    "multiply": (lucid.multiply, lambda a, b: torch.mul(a, b), _any, _any),
    "div": (lucid.div, lambda a, b: torch.div(a, b), _any, _nonzero),
    "power": (lucid.power, lambda a, b: torch.pow(a, b), _positive, _any),
    "maximum": (lucid.maximum, lambda a, b: torch.maximum(a, b), _ties, _ties),
    "minimum": (lucid.minimum, lambda a, b: torch.minimum(a, b), _ties, _ties),
    "operator_+": (lambda a, b: a + b, lambda a, b: a + b, _any, _any),
    "operator_-": (lambda a, b: a - b, lambda a, b: a - b, _any, _any),
    "operator_*": (lambda a, b: a * b, lambda a, b: a * b, _any, _any),
    "operator_/": (lambda a, b: a / b, lambda a, b: a / b, _any, _nonzero),
    "operator_**": (lambda a, b: a ** b, lambda a, b: a ** b, _positive, _any),
}

# a Tensor with a Python number on either side: name -> (lucid, torch, sampler)
WITH_NUMBER = {
    "t+2.5": (lambda x: x + 2.5, lambda t: t + 2.5, _any),
    "2.5+t": (lambda x: 2.5 + x, lambda t: 2.5 + t, _any),
    "t-2": (lambda x: x - 2, lambda t: t - 2, _any),
    "2-t": (lambda x: 2 - x, lambda t: 2 - t, _any),
    "t*2.5": (lambda x: x * 2.5, lambda t: t * 2.5, _any),
    "2.5*t": (lambda x: 2.5 * x, lambda t: 2.5 * t, _any),
    "t/4": (lambda x: x / 4, lambda t: t / 4, _any),
    "3/t": (lambda x: 3 / x, lambda t: 3 / t, _nonzero),
    "t**2": (lambda x: x ** 2, lambda t: t ** 2, _any),
    "t**3.0": (lambda x: x ** 3.0, lambda t: t ** 3.0, _any),
    "t**0.5": (lambda x: x ** 0.5, lambda t: t ** 0.5, _positive),
    "t**-1": (lambda x: x ** -1, lambda t: t ** -1, _nonzero),
    "t**0": (lambda x: x ** 0, lambda t: t ** 0, _any),
    "2**t": (lambda x: 2 ** x, lambda t: 2 ** t, _any),
    "0.5**t": (lambda x: 0.5 ** x, lambda t: 0.5 ** t, _any),
    "maximum(t,0)": (lambda x: lucid.maximum(x, 0.0),
                     lambda t: torch.maximum(t, torch.tensor(0.0, dtype=t.dtype)), _ties),
    "minimum(0.5,t)": (lambda x: lucid.minimum(0.5, x),
                       lambda t: torch.minimum(torch.tensor(0.5, dtype=t.dtype), t), _any),
}

UNARY_SHAPES = [(2, 3, 4), (), (0, 3)]
BINARY_SHAPES = [((2, 3, 4), (3, 1)), ((3, 1), (2, 3, 4)), ((), (2, 3)), ((), ()), ((0, 3), (3,)),
                 ((2, 1, 3), (4, 1))]


def _names(table):
    return pytest.mark.parametrize("name", list(table))


# ------------------------------------------------------------- torch parity
@needs_torch
@_names(UNARY)
@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
def test_unary_matches_torch(name, shape, float_dtype, rng):
    fn, tfn, sample = UNARY[name]
    torch_parity(fn, tfn, [sample(rng, shape).astype(float_dtype)])


@needs_torch
@_names(BINARY)
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
def test_binary_matches_torch(name, shapes, float_dtype, rng):
    fn, tfn, sample_a, sample_b = BINARY[name]
    a = sample_a(rng, shapes[0]).astype(float_dtype)
    b = sample_b(rng, shapes[1]).astype(float_dtype)
    torch_parity(fn, tfn, [a, b])


@needs_torch
@_names(WITH_NUMBER)
@pytest.mark.parametrize("shape", [(3, 4), ()], ids=str)
def test_tensor_with_number_matches_torch(name, shape, float_dtype, rng):
    fn, tfn, sample = WITH_NUMBER[name]
    torch_parity(fn, tfn, [sample(rng, shape).astype(float_dtype)])


@needs_torch
def test_maximum_minimum_split_ties_half_half():
    a = np.array([1.0, 2.0, 3.0], np.float32)
    b = np.array([2.0, 2.0, 2.0], np.float32)
    ones = np.ones(3, np.float32)
    for fn, tfn in [(lucid.maximum, torch.maximum), (lucid.minimum, torch.minimum)]:
        la, lb = lucid.Tensor(a, requires_grad=True), lucid.Tensor(b, requires_grad=True)
        fn(la, lb).backward(ones)
        assert la.grad[1] == 0.5 and lb.grad[1] == 0.5
        torch_parity(fn, tfn, [a, b], out_grad=ones)


@needs_torch
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns about 0 ** -1, log(0), ...
def test_power_edges_follow_torch(float_dtype):
    base = np.array([0.0, 0.0, 0.0, 0.0, -2.0, -2.0, 2.0, 1.0], float_dtype)
    expo = np.array([2.0, 0.0, -1.0, 0.5, 2.0, 0.5, 0.0, -3.0], float_dtype)
    seed = np.arange(1, 9).astype(float_dtype)
    torch_parity(lucid.power, torch.pow, [base, expo], out_grad=seed)
    # number ** Tensor at base 0 and below 0, Tensor ** number at base 0
    torch_parity(lambda p: 0.0 ** p, lambda p: 0.0 ** p, [expo], out_grad=seed)
    torch_parity(lambda p: (-2.0) ** p, lambda p: (-2.0) ** p, [expo], out_grad=seed)
    for p in (0, 0.5, 1, 2, -1):
        torch_parity(lambda x: x ** p, lambda x: x ** p, [base], out_grad=seed)


@needs_torch
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns about log(0), 1 / 0
def test_edges_at_zero_and_bounds_follow_torch(float_dtype):
    x = np.array([0.0, 1.0, -1.0, 0.7, -0.5, 4.0], float_dtype)
    seed = np.array([1.0, -2.0, 3.0, 0.5, 1.5, -1.0], float_dtype)
    positive = np.abs(x)
    for fn, tfn, data in [
        (lucid.sqrt, torch.sqrt, positive),  # sqrt'(0) = inf
        (lucid.log, torch.log, positive),  # log(0) = -inf, log'(0) = inf
        (lucid.log2, torch.log2, positive),
        (lucid.abs, torch.abs, x),  # abs'(0) = 0
        (lucid.sign, torch.sign, x),
        (lucid.reciprocal, torch.reciprocal, x),  # 1 / 0 = inf
        (lambda t: lucid.clip(t, -0.5, 0.7), lambda t: torch.clamp(t, -0.5, 0.7), x),  # bounds inclusive
        (lambda t: lucid.clip(t, 0.7, -0.5), lambda t: torch.clamp(t, 0.7, -0.5), x),  # min > max
        (lucid.round, torch.round, np.array([0.5, 1.5, 2.5, -0.5, -1.5, 3.49], float_dtype)),
    ]:
        torch_parity(fn, tfn, [data], out_grad=seed)


@needs_torch
def test_clip_propagates_nan_with_zero_gradient():
    x = np.array([np.nan, 0.5, 2.0], np.float64)
    torch_parity(lambda t: lucid.clip(t, 0.0, 1.0), lambda t: torch.clamp(t, 0.0, 1.0), [x])


# ---------------------------------------------------------------- gradcheck
@_names(UNARY)
def test_unary_gradcheck(name, rng):
    fn, _, sample = UNARY[name]
    x = lucid.Tensor(sample(rng, (2, 3)), requires_grad=True)
    assert gradcheck(fn, [x])


@_names(BINARY)
def test_binary_gradcheck(name, rng):
    fn, _, sample_a, sample_b = BINARY[name]
    a = lucid.Tensor(sample_a(rng, (2, 1, 3)), requires_grad=True)
    b = lucid.Tensor(sample_b(rng, (4, 1)), requires_grad=True)
    assert gradcheck(fn, [a, b])  # maximum / minimum: at ties the central difference is 1/2 too


@_names(WITH_NUMBER)
def test_tensor_with_number_gradcheck(name, rng):
    fn, _, sample = WITH_NUMBER[name]
    assert gradcheck(fn, [lucid.Tensor(sample(rng, (2, 3)), requires_grad=True)])


def test_astype_gradcheck(rng):
    x = lucid.Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(lambda t: lucid.astype(t, np.float64) * t.astype("float64").exp(), [x])


# ------------------------------------------------------- a node used twice
def _twice(op):
    """``op(y, y)`` for the non-leaf ``y = exp(x)``: the engine must add both contributions."""
    return lambda x: (lambda y: op(y, y))(x.exp())


@needs_torch
@_names(BINARY)
def test_non_leaf_as_both_operands(name, rng, float_dtype):
    fn, tfn, sample, _ = BINARY[name]
    x = (0.5 * sample(rng, (3, 2))).astype(float_dtype)
    torch_parity(_twice(fn), _twice(tfn), [x])


@needs_torch
@_names(UNARY)
def test_leaf_times_function_of_itself(name, rng, float_dtype):
    """``a * f(a)``: the gradient reaches ``a`` directly and through ``f``."""
    fn, tfn, sample = UNARY[name]
    a = sample(rng, (3, 2)).astype(float_dtype)
    torch_parity(lambda t: t * fn(t), lambda t: t * tfn(t), [a])


def test_y_times_y_and_y_plus_y_by_hand():
    x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3  # non-leaf
    (y * y + (y + y)).sum().backward()  # d/dx (9x^2 + 6x) = 18x + 6
    assert_close(x.grad, np.array([24.0, 42.0], np.float32))


# ------------------------------------------------------------------- dtypes
def test_python_numbers_keep_the_tensor_dtype():
    x = lucid.Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    results = [x + 2.5, 2.5 + x, x - 1, 1 - x, x * 2.5, 2.5 * x, x / 3, 3 / x, x ** 2, x ** 0.5,
               2 ** x, lucid.maximum(x, 0.5), lucid.minimum(0.5, x), lucid.clip(x, 0.5, 1.5),
               lucid.round(x, 1)]
    for r in results:
        assert r.dtype == np.float32
    i = lucid.Tensor([1, 2])
    assert (i + 1).dtype == np.int64 and (i * 2).dtype == np.int64


def test_tensor_dtypes_follow_numpy_promotion():
    f32 = lucid.Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    f64 = lucid.Tensor(np.array([3.0, 4.0], np.float64), requires_grad=True)
    i64 = lucid.Tensor([1, 2])
    assert (i64 + f32).dtype == np.float64  # NumPy: int64 + float32 -> float64
    assert (f32 * i64).dtype == np.float64
    assert (i64 / i64).dtype == np.float64  # true division
    assert (i64 * 2.5).dtype == np.float64  # NumPy: int array with a Python float
    out = f32 * f64
    assert out.dtype == np.float64
    out.sum().backward()
    assert f32.grad.dtype == np.float32 and f64.grad.dtype == np.float64  # cast back
    assert_close(f32.grad, np.array([3.0, 4.0], np.float32))


def test_float32_unary_results_stay_float32():
    x = lucid.Tensor(np.array([0.3, 0.6], np.float32))
    for name, (fn, _, _) in UNARY.items():
        assert fn(x).dtype == np.float32, name


def test_list_and_ndarray_operands_become_tensors():
    x = lucid.Tensor(np.array([1.0, 2.0], np.float32))
    assert_close(lucid.add(x, [1.0, 2.0]), np.array([2.0, 4.0], np.float32))  # list -> float32
    assert lucid.add(x, np.array([1.0, 2.0])).dtype == np.float64  # ndarray keeps float64
    assert_close(lucid.exp([0.0]), np.array([1.0], np.float32))


# -------------------------------------------------------------- no saving
def test_add_sub_neg_save_nothing():
    a = lucid.Tensor([1.0], requires_grad=True)
    b = lucid.Tensor([2.0], requires_grad=True)
    for out in (a + b, a - b, -a):
        assert vars(out.grad_fn) == {}   # what an op saves lives in vars(ctx); graph fields are slots


def test_number_operands_and_no_grad_record_no_graph():
    x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    with lucid.no_grad():
        assert not (x * 2).requires_grad and not lucid.exp(x).requires_grad
    c = lucid.Tensor([1.0, 2.0])
    assert not (c * 2 + c).requires_grad
    y = 3.0 * x  # only the tensor gets a gradient
    y.sum().backward()
    assert_close(x.grad, np.array([3.0, 3.0], np.float32))


# -------------------------------------------------------- comparisons, logic
COMPARE = {
    "equal": (lucid.equal, torch.eq if torch else None, lambda a, b: a == b),
    "not_equal": (lucid.not_equal, torch.ne if torch else None, lambda a, b: a != b),
    "less": (lucid.less, torch.lt if torch else None, lambda a, b: a < b),
    "less_equal": (lucid.less_equal, torch.le if torch else None, lambda a, b: a <= b),
    "greater": (lucid.greater, torch.gt if torch else None, lambda a, b: a > b),
    "greater_equal": (lucid.greater_equal, torch.ge if torch else None, lambda a, b: a >= b),
    "logical_and": (lucid.logical_and, torch.logical_and if torch else None, lambda a, b: a & b),
    "logical_or": (lucid.logical_or, torch.logical_or if torch else None, lambda a, b: a | b),
}


@needs_torch
@_names(COMPARE)
@pytest.mark.parametrize("shapes", [((2, 3, 4), (3, 1)), ((), (2,)), ((0, 2), (2,))], ids=str)
def test_comparisons_match_torch_and_are_bool_without_grad(name, shapes, rng, float_dtype):
    fn, tfn, operator = COMPARE[name]
    a = _ties(rng, shapes[0]).astype(float_dtype)
    b = _ties(rng, shapes[1]).astype(float_dtype)
    expected = tfn(torch.tensor(a), torch.tensor(b)).numpy()
    la, lb = lucid.Tensor(a, requires_grad=True), lucid.Tensor(b, requires_grad=True)
    for out in (fn(la, lb), operator(la, lb)):
        assert out.dtype == np.bool_
        assert not out.requires_grad and out.grad_fn is None
        assert_close(out, expected)
    with_number = fn(la, 0.0)
    assert_close(with_number, tfn(torch.tensor(a), torch.tensor(0.0, dtype=torch.tensor(a).dtype)).numpy())


def test_comparison_with_number_on_the_left():
    x = lucid.Tensor([1.0, 2.0, 3.0])
    assert (2.0 < x).tolist() == [False, False, True]  # Python turns it into x > 2.0
    assert (2.0 == x).tolist() == [False, True, False]


def test_logical_not_and_invert():
    x = lucid.Tensor([True, False])
    for out in (lucid.logical_not(x), ~x):
        assert out.dtype == np.bool_ and out.tolist() == [False, True]
    y = lucid.Tensor([0.0, 2.0], requires_grad=True)
    out = lucid.logical_not(y)
    assert out.tolist() == [True, False] and not out.requires_grad


# --------------------------------------------------------------------- astype
@needs_torch
@pytest.mark.parametrize("src, dst", [(np.float32, np.float64), (np.float64, np.float32),
                                      (np.float32, np.float32)], ids=str)
def test_astype_between_floats_is_differentiable(src, dst, rng):
    x = rng.standard_normal((3, 2)).astype(src)
    torch_parity(lambda t: lucid.astype(t, dst), lambda t: t.to(getattr(torch, np.dtype(dst).name)), [x])


def test_astype_copies_and_resolves_dtypes():
    x = lucid.Tensor([1.7, -2.7], requires_grad=True)
    y = x.astype(np.float32)
    assert y is not x and not np.shares_memory(y.data, x.data)
    assert x.astype(float).dtype == np.float32 and x.astype("float64").dtype == np.float64
    i = x.astype(int)
    assert i.dtype == np.int64 and i.tolist() == [1, -2]  # truncates toward zero
    assert not i.requires_grad  # not differentiable to an integer dtype
    b = lucid.astype(lucid.Tensor([0, 3]), bool)
    assert b.dtype == np.bool_ and b.tolist() == [False, True]


# --------------------------------------------------------------------- errors
BINARY_NAMES = ["add", "sub", "multiply", "div", "power", "maximum", "minimum", *COMPARE]


@pytest.mark.parametrize("name", BINARY_NAMES)
def test_shape_mismatch_names_both_shapes(name):
    fn = getattr(lucid, name)
    a, b = lucid.Tensor(np.ones((2, 3))), lucid.Tensor(np.ones(4))
    with pytest.raises(ValueError, match=rf"^{name}: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        fn(a, b)


@pytest.mark.parametrize("name", BINARY_NAMES)
def test_binary_rejects_bad_operands(name):
    fn = getattr(lucid, name)
    with pytest.raises(TypeError, match=rf"^{name}: at least one operand must be a Tensor; got int and float"):
        fn(1, 2.0)
    with pytest.raises(TypeError, match=rf"^{name}: operands must be Tensors, numbers, lists or ndarrays; got str"):
        fn(lucid.Tensor([1.0]), "x")
    with pytest.raises(TypeError, match=rf"^{name}: could not turn the list operand into a Tensor"):
        fn(lucid.Tensor([1.0]), [[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("name", ["neg", "exp", "log", "sqrt", "abs", "sign", "round", "floor",
                                  "clip", "logical_not", "astype"])
def test_unary_rejects_a_non_tensor(name):
    fn = getattr(lucid, name)
    args = {"clip": (0.0,), "astype": (float,)}.get(name, ())
    with pytest.raises(TypeError, match=rf"^{name}: input_ must be a Tensor \(or a list / ndarray\); got float"):
        fn(1.5, *args)


def test_numpy_refusals_name_the_function():
    with pytest.raises(ValueError, match=r"^power: Integers to negative integer powers"):
        lucid.Tensor([1, 2]) ** -1
    with pytest.raises(TypeError, match=r"^sub: numpy boolean subtract"):
        lucid.Tensor([True]) - lucid.Tensor([False])
    with pytest.raises(TypeError, match=r"^neg: "):
        -lucid.Tensor([True])


def test_clip_round_astype_arguments():
    x = lucid.Tensor([1.0])
    with pytest.raises(ValueError, match=r"^clip: at least one of min_value and max_value must be given; got both None"):
        lucid.clip(x)
    with pytest.raises(TypeError, match=r"^clip: min_value must be a real number or None; got '1'"):
        lucid.clip(x, "1")
    with pytest.raises(TypeError, match=r"^clip: max_value must be a real number or None; got True"):
        lucid.clip(x, 0.0, True)
    with pytest.raises(TypeError, match=r"^round: decimals must be an int; got 1.5"):
        lucid.round(x, 1.5)
    with pytest.raises(TypeError, match=r"^astype: dtype: expected a NumPy dtype, float, int or bool; got 'nope'"):
        lucid.astype(x, "nope")
