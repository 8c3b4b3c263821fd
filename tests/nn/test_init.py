"""lucid.nn.init: gains and fans as PyTorch's, draw statistics as the formulas, seeding.

Statistics are checked on ~150k draws with a fixed seed, against the formula's
mean / standard deviation / bound, within 6 standard errors of the estimate.
"""
import math

import numpy as np
import pytest

import lucid
from lucid.nn import init
from tests.conftest import torch

needs_torch = pytest.mark.torch

SHAPES = [(600, 250), (64, 32, 3, 3), (40, 8, 2, 3, 3)]
NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"]


@needs_torch
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_calculate_gain_matches_torch(nonlinearity):
    assert init.calculate_gain(nonlinearity) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity), rel=1e-15)
    for slope in (0, 0.2, 3, math.sqrt(5)):
        assert init.calculate_gain(nonlinearity, slope) == pytest.approx(
            torch.nn.init.calculate_gain(nonlinearity, slope), rel=1e-15)


@needs_torch
@pytest.mark.parametrize("shape", SHAPES + [(3, 5), (7, 0, 2)])
def test_fans_match_torch(shape):
    assert init._fans(lucid.zeros(shape), "x") == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def _check_uniform(w, low, high):
    values = w.data.astype(np.float64).ravel()
    n = values.size
    assert values.min() >= low and values.max() <= high
    width = high - low
    assert values.min() < low + width * 1e-3 and values.max() > high - width * 1e-3   # fills the range
    sd = width / math.sqrt(12)
    assert abs(values.mean() - (low + high) / 2) < 6 * sd / math.sqrt(n)
    # the sample variance of U(a, b) has standard error width^2 sqrt(1/80 - 1/144) / sqrt(n)
    assert abs(values.var() - sd ** 2) < 6 * width ** 2 * math.sqrt(1 / 80 - 1 / 144) / math.sqrt(n)


def _check_normal(w, mean, std):
    values = w.data.astype(np.float64).ravel()
    n = values.size
    assert abs(values.mean() - mean) < 6 * std / math.sqrt(n)
    assert abs(values.std() - std) < 6 * std / math.sqrt(2 * n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_normal_constant(dtype):
    lucid.random.seed(0)
    w = lucid.Tensor(np.zeros((400, 400), dtype))
    assert init.uniform(w, -2.0, 0.5) is w and w.dtype == dtype
    _check_uniform(w, -2.0, 0.5)
    init.uniform(w)
    _check_uniform(w, 0.0, 1.0)
    assert init.normal(w, mean=3.0, std=0.1) is w and w.dtype == dtype
    _check_normal(w, 3.0, 0.1)
    init.normal(w)
    _check_normal(w, 0.0, 1.0)
    assert (init.constant(w, 0.75).data == dtype(0.75)).all()
    assert (init.zeros(w).data == 0).all() and (init.ones(w).data == 1).all()
    assert w.dtype == dtype


def _torch_bound_and_std(shape, kind, **kw):
    """The bound (uniform) or std (normal) PyTorch's formulas give, from its gain and fans."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    if kind.startswith("xavier"):
        gain = kw.get("gain", 1.0)
        std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    else:
        fan = fan_in if kw.get("mode", "fan_in") == "fan_in" else fan_out
        gain = torch.nn.init.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0))
        std = gain / math.sqrt(fan)
    return std * math.sqrt(3.0), std


CASES = [
    ("xavier_uniform", {}), ("xavier_uniform", {"gain": 5 / 3}),
    ("xavier_normal", {}), ("xavier_normal", {"gain": 2.0}),
    ("kaiming_uniform", {}), ("kaiming_uniform", {"a": math.sqrt(5)}),
    ("kaiming_uniform", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal", {}), ("kaiming_normal", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal", {"a": 0.2, "nonlinearity": "leaky_relu"}),
    ("kaiming_normal", {"nonlinearity": "tanh"}),
]


@needs_torch
@pytest.mark.parametrize("shape", SHAPES, ids=["2d", "4d", "5d"])
@pytest.mark.parametrize("kind, kw", CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_fan_based_inits_follow_torch_formulas(kind, kw, shape):
    lucid.random.seed(1)
    w = lucid.Tensor(np.zeros(shape, np.float32))
    assert getattr(init, kind)(w, **kw) is w and w.dtype == np.float32
    bound, std = _torch_bound_and_std(shape, kind, **kw)
    if kind.endswith("uniform"):
        _check_uniform(w, -bound, bound)
    else:
        _check_normal(w, 0.0, std)


def test_seeded_draws_are_reproducible_and_come_from_the_shared_generator():
    shape = (6, 4, 3)
    results = []
    for _ in range(2):
        lucid.random.seed(123)
        results.append(init.kaiming_uniform(lucid.zeros(shape), a=math.sqrt(5)).data.copy())
    assert (results[0] == results[1]).all()
    lucid.random.seed(124)
    assert not (init.kaiming_uniform(lucid.zeros(shape), a=math.sqrt(5)).data == results[0]).all()
    # the draws are the shared generator's, scaled by the formula's bound
    bound = math.sqrt(1.0 / (4 * 3))
    lucid.random.seed(123)
    expected = lucid.random.generator().uniform(-bound, bound, size=shape).astype(np.float32)
    assert (results[0] == expected).all()
    lucid.random.seed(5)
    a = init.xavier_normal(lucid.zeros((3, 4))).data.copy()
    lucid.random.seed(5)
    b = init.normal(lucid.zeros((3, 4)), std=math.sqrt(2 / 7)).data
    assert (a == b).all()


def test_torch_style_aliases():
    for name in ("uniform", "normal", "constant", "zeros", "ones", "xavier_uniform", "xavier_normal",
                 "kaiming_uniform", "kaiming_normal"):
        assert getattr(init, name + "_") is getattr(init, name)


def test_bad_input():
    w = lucid.zeros((3, 4))
    with pytest.raises(TypeError, match="uniform: tensor must be a lucid Tensor .*; got ndarray"):
        init.uniform(np.zeros(3))
    with pytest.raises(TypeError, match="normal: tensor must be floating; got dtype int64"):
        init.normal(lucid.Tensor([1, 2]))
    with pytest.raises(ValueError, match="uniform: a must not exceed b; got a=1.0, b=0.0"):
        init.uniform(w, 1.0, 0.0)
    with pytest.raises(TypeError, match="uniform: b must be a real number; got '1'"):
        init.uniform(w, 0, "1")
    with pytest.raises(ValueError, match="normal: std must be non-negative; got -1.0"):
        init.normal(w, std=-1.0)
    with pytest.raises(ValueError, match="normal: mean must be finite; got nan"):
        init.normal(w, mean=float("nan"))
    with pytest.raises(TypeError, match="constant: val must be a real number; got None"):
        init.constant(w, None)
    with pytest.raises(ValueError, match=r"xavier_normal: fan_in and fan_out need a tensor with at least "
                                         r"2 axes; got shape \(5,\)"):
        init.xavier_normal(lucid.zeros(5))
    with pytest.raises(ValueError, match="kaiming_normal: mode must be 'fan_in' or 'fan_out'; got 'fan'"):
        init.kaiming_normal(w, mode="fan")
    with pytest.raises(ValueError, match=r"kaiming_uniform: cannot initialise a tensor with a zero fan_in "
                                         r"\(shape \(3, 0\)\)"):
        init.kaiming_uniform(lucid.zeros((3, 0)))
    with pytest.raises(ValueError, match="calculate_gain: unknown nonlinearity 'softmax'"):
        init.kaiming_uniform(w, nonlinearity="softmax")
    with pytest.raises(TypeError, match="calculate_gain: param .* must be a number; got True"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(TypeError, match="xavier_uniform: gain must be a real number"):
        init.xavier_uniform(w, gain="2")
    before = w.data.copy()
    with pytest.raises(ValueError):
        init.uniform(w, 2.0, 1.0)
    assert (w.data == before).all()            # a rejected call writes nothing
