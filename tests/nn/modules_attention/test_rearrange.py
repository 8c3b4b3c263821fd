"""nn.Rearrange: the layer form of lucid.einops.rearrange (NumPy oracle: reshape and
transpose written out), its gradient, repr and errors."""
import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import gradcheck


def test_tokens_from_feature_map(rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    y = nn.Rearrange("b c h w -> b (h w) c")(lucid.Tensor(x))
    np.testing.assert_array_equal(y.data, x.transpose(0, 2, 3, 1).reshape(2, 20, 3))
    assert y.dtype == np.float32


def test_split_with_lengths(rng):
    x = rng.standard_normal((2, 12, 5))
    y = nn.Rearrange("b (h d) l -> b h l d", h=3)(lucid.Tensor(x))
    np.testing.assert_array_equal(y.data, x.reshape(2, 3, 4, 5).transpose(0, 1, 3, 2))


def test_inside_sequential_and_gradient(rng):
    model = nn.Sequential(nn.Rearrange("b c l -> b (c l)"), nn.Linear(6, 2)).to(lucid.Float64)
    x = lucid.Tensor(rng.standard_normal((3, 2, 3)), requires_grad=True)
    assert model(x).shape == (3, 2)
    assert gradcheck(nn.Rearrange("b c l -> l (b c)"), [x])


def test_repr():
    assert repr(nn.Rearrange("b (h w) -> b h w", h=2)) == "Rearrange('b (h w) -> b h w', h=2)"


@pytest.mark.parametrize("call, error, text", [
    (lambda: nn.Rearrange("a b"), ValueError, "->"),
    (lambda: nn.Rearrange(3), TypeError, "pattern must be a str"),
    (lambda: nn.Rearrange("(a b) -> a b", a=0), TypeError, "Rearrange: axes_lengths"),
    (lambda: nn.Rearrange("a b c -> c b a")(lucid.zeros((2, 3))), ValueError, "3 axes"),
    (lambda: nn.Rearrange("a b -> b a")([[1.0]]), TypeError, "Rearrange: input must be a Tensor"),
])
def test_errors(call, error, text):
    with pytest.raises(error, match=text):
        call()
