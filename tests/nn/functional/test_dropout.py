"""The dropout family. Masks cannot equal PyTorch's random streams, so the tests check
what defines each function: the drop rate and scaling (statistics on large inputs),
which elements share a mask (channels, samples, blocks), that the gradient uses the
same mask, train / eval behaviour, p = 0 / p = 1, seeded reproducibility, bad inputs."""
import numpy as np
import pytest

import lucid
import importlib

# the module itself (lucid.nn.functional.dropout may be shadowed by a function of that name)
F = importlib.import_module("lucid.nn.functional.dropout")

CHANNEL = {1: F.dropout1d, 2: F.dropout2d, 3: F.dropout3d}


def _ones(shape, requires_grad=False):
    return lucid.Tensor(np.ones(shape, np.float32), requires_grad=requires_grad)


def test_dropout_rate_scale_and_gradient():
    lucid.random.seed(0)
    x = _ones((200, 100), requires_grad=True)
    y = F.dropout(x, p=0.3)
    kept = y.data != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.7, rtol=1e-6)
    y.backward(np.ones(y.shape, np.float32))
    np.testing.assert_array_equal(x.grad, y.data)         # same mask, same scale
    assert y.dtype == np.float32


@pytest.mark.parametrize("fn", [F.dropout, F.dropout2d, F.drop_path])
def test_eval_and_edge_probabilities(fn):
    x = _ones((2, 3, 4, 4))
    assert fn(x, p=0.5, training=False) is x
    assert fn(x, p=0.0) is x
    assert not fn(x, p=1.0).data.any()


def test_seed_reproduces_every_mask():
    x = _ones((4, 3, 6, 6))
    calls = [lambda: F.dropout(x), lambda: F.dropout2d(x), lambda: F.drop_path(x, 0.5),
             lambda: F.alpha_dropout(x, training=True), lambda: F.drop_block(x, 3, 0.3)]
    for call in calls:
        lucid.random.seed(5)
        a = call().data
        lucid.random.seed(5)
        np.testing.assert_array_equal(a, call().data)
        assert not np.array_equal(a, call().data)         # the next draw differs


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("batched", [True, False])
def test_channel_dropout_shares_the_mask_over_space(d, batched):
    lucid.random.seed(1)
    shape = ((50,) if batched else ()) + (40,) + (3,) * d
    y = CHANNEL[d](_ones(shape), p=0.4).data
    flat = y.reshape(y.shape[:-d] + (-1,))
    assert (flat == flat[..., :1]).all()                  # one value per channel
    assert set(np.unique(flat)) <= {0.0, np.float32(1 / 0.6)}
    assert abs((flat[..., 0] == 0).mean() - 0.4) < 0.1
    with pytest.raises(ValueError, match=rf"dropout{d}d: input_ must have shape \(N, C, "):
        CHANNEL[d](_ones((2,) * (d + 3)))


def test_drop_path_drops_whole_samples():
    lucid.random.seed(2)
    y = F.drop_path(_ones((1000, 2, 3)), p=0.25).data
    per_sample = y.reshape(1000, -1)
    assert (per_sample == per_sample[:, :1]).all()
    assert abs((per_sample[:, 0] == 0).mean() - 0.25) < 0.05
    np.testing.assert_allclose(per_sample[per_sample != 0], 1 / 0.75, rtol=1e-6)


def test_alpha_dropout_keeps_mean_and_variance_and_gradient():
    lucid.random.seed(3)
    x = lucid.Tensor(np.random.default_rng(0).standard_normal(200000), requires_grad=True)
    y = F.alpha_dropout(x, p=0.3, training=True)
    assert abs(y.data.mean()) < 0.02 and abs(y.data.std() - 1) < 0.02
    y.sum().backward()
    alpha, p = 1.7580993408473766, 0.3
    a = 1 / np.sqrt((alpha ** 2 * p + 1) * (1 - p))
    dropped = np.isclose(y.data, -alpha * a * (1 - p))
    np.testing.assert_allclose(x.grad, np.where(dropped, 0.0, a), rtol=1e-12)
    assert F.alpha_dropout(x, p=0.3) is x                 # training=False by default


def test_drop_block_drops_square_blocks_and_rescales():
    lucid.random.seed(4)
    x = _ones((64, 8, 12, 12), requires_grad=True)
    y = F.drop_block(x, block_size=3, p=0.15)
    dropped = y.data == 0
    assert abs(dropped.mean() - 0.15) < 0.03               # gamma gives about p
    scale = dropped.size / (~dropped).sum()
    np.testing.assert_allclose(y.data[~dropped], scale, rtol=1e-5)
    # every dropped pixel lies in some fully dropped 3 x 3 block
    d = dropped
    full = np.zeros_like(d)
    for i in range(10):
        for j in range(10):
            block = d[:, :, i:i + 3, j:j + 3].all(axis=(2, 3))
            full[:, :, i:i + 3, j:j + 3] |= block[:, :, None, None]
    np.testing.assert_array_equal(full, d)
    y.backward(np.ones(y.shape, np.float32))
    np.testing.assert_array_equal(x.grad, y.data)


def test_bad_inputs():
    x = _ones((2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"dropout: p must lie in \[0.0, 1.0\]; got 1.5"):
        F.dropout(x, p=1.5)
    with pytest.raises(TypeError, match=r"dropout: training must be a bool; got 'yes'"):
        F.dropout(x, training="yes")
    with pytest.raises(TypeError, match=r"drop_path: input_ must have a floating dtype"):
        F.drop_path(lucid.Tensor([1, 2]))
    with pytest.raises(ValueError, match=r"drop_block: input_ must have shape \(N, C, H, W\); "
                                         r"got \(3, 4, 4\)"):
        F.drop_block(_ones((3, 4, 4)), 2)
    with pytest.raises(ValueError, match=r"drop_block: block_size must lie in \[1, min\(H, W\)\] "
                                         r"= \[1, 4\] .* got 5"):
        F.drop_block(x, 5)
    with pytest.raises(TypeError, match=r"drop_block: block_size must be an int"):
        F.drop_block(x, 2.0)
