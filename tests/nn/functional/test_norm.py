"""Normalisation against torch.nn.functional: values and gradients (input, weight,
bias), running statistics after an in-place update, train / eval modes, float32 and
float64; gradcheck in float64; bad shapes. GRN is checked against the ConvNeXt-V2
formula written with torch ops (channels first)."""
import numpy as np
import pytest

import lucid
import importlib

# the module itself (lucid.nn.functional.norm may be shadowed by a function of that name)
F = importlib.import_module("lucid.nn.functional.norm")
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch
from tests.helpers import torch_parity

needs_torch = pytest.mark.torch


def _rand(shape, dtype, seed=0, scale=1.0, shift=0.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(dtype)


def _stats(c, dtype):
    return _rand((c,), dtype, 7, 0.1), np.abs(_rand((c,), dtype, 8)) + 0.5


@needs_torch
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_matches_torch(shape, training, affine, float_dtype):
    c = shape[1]
    rm, rv = _stats(c, float_dtype)
    lrm, lrv = lucid.Tensor(rm.copy()), lucid.Tensor(rv.copy())
    trm, trv = torch.tensor(rm.copy()), torch.tensor(rv.copy())
    arrays = [_rand(shape, float_dtype, scale=2, shift=1)]
    if affine:
        arrays += [_rand((c,), float_dtype, 1), _rand((c,), float_dtype, 2)]
    torch_parity(
        lambda x, *wb: F.batch_norm(x, lrm, lrv, *wb, training=training, momentum=0.3),
        lambda x, *wb: torch.nn.functional.batch_norm(x, trm, trv, *wb, training=training,
                                                      momentum=0.3), arrays)
    assert_close(lrm, trm.numpy())
    assert_close(lrv, trv.numpy())
    if not training:
        assert_close(lrm, rm)                            # untouched in evaluation mode


@needs_torch
def test_batch_norm_without_running_stats_in_training(float_dtype):
    x = _rand((5, 3, 4), float_dtype)
    torch_parity(lambda t: F.batch_norm(t, None, None, training=True),
                 lambda t: torch.nn.functional.batch_norm(t, None, None, training=True), [x])


@needs_torch
@pytest.mark.parametrize("normalized", [(5,), (4, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_torch(normalized, affine, float_dtype):
    arrays = [_rand((2, 3, 4, 5), float_dtype, scale=3, shift=2)]
    if affine:
        arrays += [_rand(normalized, float_dtype, 1), _rand(normalized, float_dtype, 2)]
    torch_parity(lambda x, *wb: F.layer_norm(x, normalized, *wb),
                 lambda x, *wb: torch.nn.functional.layer_norm(x, normalized, *wb), arrays)


@needs_torch
@pytest.mark.parametrize("shape", [(3, 2, 5), (2, 3, 4, 4)])
@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_matches_torch(shape, use_input_stats, float_dtype):
    c = shape[1]
    rm, rv = _stats(c, float_dtype)
    lrm, lrv = lucid.Tensor(rm.copy()), lucid.Tensor(rv.copy())
    trm, trv = torch.tensor(rm.copy()), torch.tensor(rv.copy())
    arrays = [_rand(shape, float_dtype, scale=2, shift=1), _rand((c,), float_dtype, 1),
              _rand((c,), float_dtype, 2)]
    torch_parity(
        lambda x, w, b: F.instance_norm(x, lrm, lrv, w, b, use_input_stats, momentum=0.2),
        lambda x, w, b: torch.nn.functional.instance_norm(x, trm, trv, w, b, use_input_stats,
                                                          momentum=0.2), arrays)
    assert_close(lrm, trm.numpy())
    assert_close(lrv, trv.numpy())


def _torch_grn(x, gamma, beta, eps=1e-6):
    """The ConvNeXt-V2 GRN (paper, Algorithm 1), moved to channels first."""
    gx = torch.norm(x, p=2, dim=(2, 3), keepdim=True)
    nx = gx / (gx.mean(dim=1, keepdim=True) + eps)
    return gamma.view(1, -1, 1, 1) * (x * nx) + beta.view(1, -1, 1, 1) + x


@needs_torch
def test_global_response_norm_matches_convnext_v2_formula(float_dtype):
    arrays = [_rand((2, 3, 4, 5), float_dtype), _rand((3,), float_dtype, 1),
              _rand((3,), float_dtype, 2)]
    torch_parity(F.global_response_norm, _torch_grn, arrays)


@needs_torch
@pytest.mark.parametrize("ord_", [1, 2, 3, 1.5, float("inf")])
@pytest.mark.parametrize("axis", [1, -1])
def test_normalize_matches_torch(ord_, axis, float_dtype):
    x = _rand((3, 4, 5), float_dtype)
    x[0, :, 0] = 0.0 if axis == 1 else x[0, :, 0]      # a zero vector: divided by eps
    torch_parity(lambda t: F.normalize(t, ord_, axis),
                 lambda t: torch.nn.functional.normalize(t, p=ord_, dim=axis), [x])
    torch_parity(lambda t: F.normalize(t, p=ord_, dim=axis),       # PyTorch's names
                 lambda t: torch.nn.functional.normalize(t, p=ord_, dim=axis), [x])


def test_gradcheck():
    x = lucid.Tensor(_rand((4, 3, 2), np.float64, scale=2), requires_grad=True)
    w = lucid.Tensor(_rand((3,), np.float64, 1), requires_grad=True)
    b = lucid.Tensor(_rand((3,), np.float64, 2), requires_grad=True)
    assert gradcheck(lambda *t: F.batch_norm(t[0], None, None, t[1], t[2], training=True),
                     [x, w, b])
    rm, rv = lucid.zeros(3, dtype=np.float64), lucid.ones(3, dtype=np.float64)
    assert gradcheck(lambda *t: F.batch_norm(t[0], rm, rv, t[1], t[2]), [x, w, b])
    assert gradcheck(lambda *t: F.instance_norm(t[0], weight=t[1], bias=t[2]), [x, w, b])
    lw = lucid.Tensor(_rand((3, 2), np.float64, 3), requires_grad=True)
    assert gradcheck(lambda t, u: F.layer_norm(t, (3, 2), u), [x, lw])
    x4 = lucid.Tensor(_rand((2, 3, 2, 2), np.float64), requires_grad=True)
    assert gradcheck(F.global_response_norm, [x4, w, b])
    assert gradcheck(lambda t: F.normalize(t, axis=1), [x])


def test_bad_inputs():
    x = lucid.Tensor(np.zeros((2, 3, 4)))
    c3 = lucid.Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"batch_norm: input_ must have shape \(N, C\) or "
                                         r"\(N, C, \*\); got \(3,\)"):
        F.batch_norm(c3, c3, c3)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean must have shape \(3,\); "
                                         r"got \(4,\)"):
        F.batch_norm(x, lucid.Tensor(np.zeros(4)), c3)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean and running_var are "
                                         r"required when training=False"):
        F.batch_norm(x, None, None)
    with pytest.raises(ValueError, match=r"batch_norm: training needs more than 1 value per "
                                         r"channel; got input_ of shape \(1, 3\)"):
        F.batch_norm(lucid.Tensor(np.zeros((1, 3))), None, None, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: momentum must lie in \[0.0, 1.0\]"):
        F.batch_norm(x, c3, c3, momentum=2)
    with pytest.raises(ValueError, match=r"instance_norm: input_ must have shape \(N, C, \*\) "
                                         r"with at least one spatial axis; got \(2, 3\)"):
        F.instance_norm(lucid.Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match=r"instance_norm: input statistics need more than 1"):
        F.instance_norm(lucid.Tensor(np.zeros((2, 3, 1))))
    with pytest.raises(ValueError, match=r"layer_norm: input_ must have shape \(\*, 5\) .*"
                                         r"got \(2, 3, 4\)"):
        F.layer_norm(x, 5)
    with pytest.raises(ValueError, match=r"layer_norm: weight must have shape \(4,\)"):
        F.layer_norm(x, 4, weight=c3)
    with pytest.raises(TypeError, match=r"layer_norm: normalized_shape must be an int"):
        F.layer_norm(x, 4.0)
    with pytest.raises(ValueError, match=r"global_response_norm: input_ must have shape "
                                         r"\(N, C, H, W\) \(channels first\); got \(2, 3, 4\)"):
        F.global_response_norm(x, c3, c3)
    with pytest.raises(ValueError, match=r"normalize: ord must be a number > 0, inf or -inf; got -1"):
        F.normalize(x, ord=-1)
    with pytest.raises(TypeError, match=r"normalize: got both ord= and p="):
        F.normalize(x, ord=2, p=2)
    with pytest.raises(TypeError, match=r"batch_norm: input_ must have a floating dtype"):
        F.batch_norm(lucid.Tensor(np.zeros((2, 3), np.int64)), None, None, training=True)


# ------------------------------------------------------------------ group_norm
@needs_torch
@pytest.mark.parametrize("shape,groups", [((4, 12), 3), ((2, 6, 5), 2), ((2, 6, 4, 3), 3),
                                          ((2, 4, 2, 3, 2), 4), ((3, 4, 5), 1),
                                          ((1, 4, 3, 3), 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(shape, groups, affine, float_dtype):
    c = shape[1]
    arrays = [_rand(shape, float_dtype, scale=2, shift=1)]
    if affine:
        arrays += [_rand((c,), float_dtype, 1), _rand((c,), float_dtype, 2)]
    torch_parity(lambda x, *wb: F.group_norm(x, groups, *wb, eps=1e-4),
                 lambda x, *wb: torch.nn.functional.group_norm(x, groups, *wb, eps=1e-4),
                 arrays)


@needs_torch
def test_group_norm_weight_only(float_dtype):
    arrays = [_rand((2, 4, 3), float_dtype), _rand((4,), float_dtype, 1)]
    torch_parity(lambda x, w: F.group_norm(x, 2, w),
                 lambda x, w: torch.nn.functional.group_norm(x, 2, w), arrays)


def test_group_norm_is_layer_norm_and_instance_norm_at_the_ends():
    """One group normalises (C, *) like layer_norm; C groups like instance_norm: a loop
    oracle through the two existing layers (values and gradients)."""
    x = _rand((3, 4, 5), np.float64, scale=2)
    g = _rand((3, 4, 5), np.float64, 9)

    def run(fn):
        t = lucid.Tensor(x, requires_grad=True)
        y = fn(t)
        y.backward(g)
        return y.data, t.grad

    for got, want in [(run(lambda t: F.group_norm(t, 1)), run(lambda t: F.layer_norm(t, (4, 5)))),
                      (run(lambda t: F.group_norm(t, 4)), run(lambda t: F.instance_norm(t)))]:
        assert_close(got[0], want[0])
        assert_close(got[1], want[1])


def test_group_norm_gradcheck():
    x = lucid.Tensor(_rand((2, 6, 3, 2), np.float64, scale=2), requires_grad=True)
    w = lucid.Tensor(_rand((6,), np.float64, 1), requires_grad=True)
    b = lucid.Tensor(_rand((6,), np.float64, 2), requires_grad=True)
    assert gradcheck(lambda *t: F.group_norm(t[0], 3, t[1], t[2]), [x, w, b])
    assert gradcheck(lambda t: F.group_norm(t, 2), [x])


def test_group_norm_one_node():
    x = lucid.Tensor(_rand((2, 4, 3), np.float32), requires_grad=True)
    y = F.group_norm(x, 2, lucid.ones(4), lucid.zeros(4))
    assert type(y.grad_fn).__name__ == "AffineNorm"
    assert [type(p).__name__ for p in y.grad_fn.parents] == ["Tensor", "Tensor", "Tensor"]


@pytest.mark.parametrize("which", ["running_mean", "running_var"])
def test_read_only_running_statistics_are_named(which):
    """Training mode writes the running statistics in place: a read-only one raises a
    ValueError naming it, from ``F.batch_norm``, ``F.instance_norm`` and a layer whose
    call already has a plan, and neither statistic is changed."""
    x = lucid.Tensor(_rand((4, 3, 5), np.float32), requires_grad=True)
    stats = {"running_mean": np.zeros(3, np.float32), "running_var": np.ones(3, np.float32)}
    stats[which].flags.writeable = False
    before = {k: v.copy() for k, v in stats.items()}
    words = rf"{which} is a read-only array"
    tensors = {k: lucid.zeros(3) for k in stats}
    for k, t in tensors.items():
        t.data = stats[k]                           # the arrays themselves, not copies
    with pytest.raises(ValueError, match=words):
        F.batch_norm(x, tensors["running_mean"], tensors["running_var"], training=True)
    with pytest.raises(ValueError, match=words):
        F.instance_norm(x, tensors["running_mean"], tensors["running_var"],
                        use_input_stats=True)
    layer = lucid.nn.BatchNorm1d(3)
    layer(x)
    layer(x)                                        # the second call by the plan
    getattr(layer, which).data = stats[which]
    with pytest.raises(ValueError, match=words):
        layer(x)
    for k in stats:
        np.testing.assert_array_equal(stats[k], before[k])


def test_group_norm_bad_inputs():
    x = lucid.Tensor(np.zeros((2, 6, 4)))
    with pytest.raises(ValueError, match=r"group_norm: num_groups \(4\) must divide the "
                                         r"number of channels \(6\) of input_ of shape "
                                         r"\(2, 6, 4\)"):
        F.group_norm(x, 4)
    with pytest.raises(ValueError, match=r"group_norm: num_groups must be positive; got 0"):
        F.group_norm(x, 0)
    with pytest.raises(TypeError, match=r"group_norm: num_groups must be an int; got 2.0"):
        F.group_norm(x, 2.0)
    with pytest.raises(ValueError, match=r"group_norm: input_ must have shape \(N, C\) or "
                                         r"\(N, C, \*\); got \(6,\)"):
        F.group_norm(lucid.Tensor(np.zeros(6)), 2)
    with pytest.raises(ValueError, match=r"group_norm: weight must have shape \(6,\); got \(3,\)"):
        F.group_norm(x, 2, lucid.Tensor(np.zeros(3)))
    with pytest.raises(TypeError, match=r"group_norm: bias must have the dtype of input_ "
                                        r"\(float64\); got float32"):
        F.group_norm(x, 2, None, lucid.zeros(6))
    with pytest.raises(ValueError, match=r"group_norm: eps must be a number >= 0.0; got -1"):
        F.group_norm(x, 2, eps=-1)
    with pytest.raises(TypeError, match=r"group_norm: input_ must have a floating dtype"):
        F.group_norm(lucid.Tensor(np.zeros((2, 6), np.int64)), 2)


def test_batch_norm_with_running_stats_folds_scale_and_shift():
    """Evaluation mode computes x * s + t with s = w / sqrt(var + eps), t = b - mean * s;
    the values equal the unfolded formula written as a loop, and the gradients (the
    backward keeps x and recomputes x-hat) pass gradcheck with and without affine."""
    x = lucid.Tensor(_rand((4, 3, 2), np.float64, scale=2), requires_grad=True)
    w = lucid.Tensor(_rand((3,), np.float64, 1), requires_grad=True)
    b = lucid.Tensor(_rand((3,), np.float64, 2), requires_grad=True)
    rm = lucid.Tensor(_rand((3,), np.float64, 4))
    rv = lucid.Tensor(np.abs(_rand((3,), np.float64, 5)) + 0.5)
    y = F.batch_norm(x, rm, rv, w, b, eps=1e-3).data
    for n in range(4):
        for c in range(3):
            for i in range(2):
                want = ((x.data[n, c, i] - rm.data[c]) / np.sqrt(rv.data[c] + 1e-3)
                        * w.data[c] + b.data[c])
                assert abs(y[n, c, i] - want) < 1e-12
    assert gradcheck(lambda *t: F.batch_norm(t[0], rm, rv, t[1], t[2]), [x, w, b])
    assert gradcheck(lambda t, u: F.batch_norm(t, rm, rv, u), [x, w])
    assert gradcheck(lambda t: F.batch_norm(t, rm, rv), [x])
    assert gradcheck(lambda *t: F.instance_norm(t[0], rm, rv, t[1], t[2],
                                                use_input_stats=False), [x, w, b])


def test_layer_norm_rows_match_a_loop_and_gradcheck():
    """Layer norm (and instance norm in training mode) normalise each row of x seen as
    (rows, D) through the norm kernels: values against a loop, gradients by gradcheck."""
    x = lucid.Tensor(_rand((2, 3, 4), np.float64, scale=2), requires_grad=True)
    w = lucid.Tensor(_rand((3, 4), np.float64, 1), requires_grad=True)
    b = lucid.Tensor(_rand((3, 4), np.float64, 2), requires_grad=True)
    y = F.layer_norm(x, (3, 4), w, b, eps=1e-3).data
    for n in range(2):
        row = x.data[n]
        mean = sum(row.flat) / 12
        var = sum((v - mean) ** 2 for v in row.flat) / 12
        want = (row - mean) / np.sqrt(var + 1e-3) * w.data + b.data
        assert np.abs(y[n] - want).max() < 1e-12
    assert gradcheck(lambda *t: F.layer_norm(t[0], (3, 4), t[1], t[2]), [x, w, b])
    assert gradcheck(lambda t: F.layer_norm(t, 4), [x])
    c = lucid.Tensor(_rand((3,), np.float64, 3), requires_grad=True)
    assert gradcheck(lambda *t: F.instance_norm(t[0], weight=t[1], bias=t[2]), [x, c, c])


@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 5), (0, 3, 2, 2)])
def test_evaluation_mode_norms_take_an_empty_batch(shape):
    """An empty batch in evaluation mode gives an empty output and empty gradients (as
    PyTorch), not an error from reshaping it."""
    x = lucid.Tensor(np.zeros(shape, np.float32), requires_grad=True)
    w = lucid.Tensor(np.ones(3, np.float32), requires_grad=True)
    rm, rv = lucid.Tensor(np.zeros(3, np.float32)), lucid.Tensor(np.ones(3, np.float32))
    y = F.batch_norm(x, rm, rv, w)
    assert y.shape == shape
    y.sum().backward()
    assert x.grad.shape == shape and np.array_equal(w.grad, np.zeros(3, np.float32))
    if len(shape) > 2:
        z = F.instance_norm(x, rm, rv, use_input_stats=False)
        assert z.shape == shape


@pytest.mark.parametrize("change, exc, words", [
    (dict(normalized_shape=True), TypeError, "normalized_shape must be an int"),  # True == 1
    (dict(normalized_shape=(4.0,)), TypeError, "normalized_shape must be an int"),
    (dict(eps=-1e-5), ValueError, "eps must be a number >= 0.0"),
    (dict(weight=lucid.Tensor(np.ones(4, np.float64))), TypeError, "weight"),
    (dict(x=lucid.Tensor(np.zeros((2, 3, 5), np.float32))), ValueError, "input_ must have"),
])
def test_layer_norm_bad_call_after_a_good_one_still_fails(change, exc, words):
    """layer_norm's checks are remembered (``lucid._checks.remembered``): a call seen
    before is not checked again, but one that differs in what the checks read is, and
    a failing call is never kept."""
    good = dict(x=lucid.Tensor(np.zeros((2, 3, 4), np.float32)), normalized_shape=4,
                weight=lucid.Tensor(np.ones(4, np.float32)), eps=1e-5)
    F.layer_norm(good["x"], good["normalized_shape"], good["weight"], eps=good["eps"])
    call = {**good, **change}
    for _ in range(2):
        with pytest.raises(exc, match=f"layer_norm: .*{words}"):
            F.layer_norm(call["x"], call["normalized_shape"], call["weight"], eps=call["eps"])
