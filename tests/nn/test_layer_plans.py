"""A layer's remembered no-grad call (convolutions, ``Linear``, max pooling, batch norm
in evaluation mode, layer norm, multi-head self-attention;
``lucid/nn/modules/_plan.py``): the same bytes as the checked path, used only where
nothing but the time changes, and the checked path (its named errors, a new plan)
whenever anything it read has changed.

Run on both kernel twins: a plan calls the op's own forward, so whichever twin is
active computes it."""
import copy
import functools
import pickle
import types

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid._ext import conv as reference_conv
from lucid.autograd.observe import observe
from lucid.nn.modules import _plan
from lucid.ops.attention import PackedAttention
from lucid.ops.conv import Conv, ConvTranspose
from lucid.ops.linear import Linear as LinearOp
from lucid.ops.norm import AffineNorm
from lucid.ops.pool import MaxPool

KERNEL_FAMILIES = ("conv", "matmul", "pool", "norm", "softmax")

# layer, functional, input shape, keyword arguments
CASES = [
    (nn.Conv1d(8, 32, 4, stride=2, padding=1), F.conv1d, (2, 8, 20)),
    (nn.Conv1d(8, 32, 4, stride=2, padding=1), F.conv1d, (8, 20)),          # unbatched
    (nn.Conv1d(6, 9, 4, padding="same", groups=3, bias=False), F.conv1d, (2, 6, 11)),
    (nn.Conv2d(3, 8, 3, stride=2, padding=1, dilation=2), F.conv2d, (2, 3, 9, 9)),
    (nn.Conv3d(2, 4, 2, padding=(1, 0, 1)), F.conv3d, (1, 2, 4, 5, 3)),
    (nn.ConvTranspose1d(8, 4, 4, stride=2, padding=1), F.conv_transpose1d, (2, 8, 7)),
    (nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     F.conv_transpose2d, (1, 4, 5, 5)),
    (nn.ConvTranspose3d(2, 3, 2, stride=2, bias=False), F.conv_transpose3d, (1, 2, 2, 3, 2)),
    (nn.Linear(6, 5), F.linear, (1, 6)),
    (nn.Linear(6, 5), F.linear, (6,)),
    (nn.Linear(6, 5, bias=False), F.linear, (2, 3, 6)),
    (nn.MaxPool2d(2), F.max_pool2d, (1, 3, 8, 8)),
    (nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True), F.max_pool1d, (4, 9)),
    (nn.MaxPool3d((2, 1, 2), dilation=(1, 2, 1)), F.max_pool3d, (1, 2, 4, 5, 4)),
    (nn.BatchNorm2d(3), F.batch_norm, (2, 3, 5, 5)),
    (nn.BatchNorm1d(4, affine=False, momentum=None), F.batch_norm, (3, 4)),
    (nn.BatchNorm1d(4, eps=1e-3), F.batch_norm, (1, 4, 6)),
    (nn.BatchNorm3d(2), F.batch_norm, (1, 2, 3, 2, 4)),
    (nn.LayerNorm(6), F.layer_norm, (2, 3, 6)),
    (nn.LayerNorm((3, 4), elementwise_affine=False, eps=1e-3), F.layer_norm, (2, 3, 4)),
    (nn.LayerNorm(5, bias=False), F.layer_norm, (5,)),
]
IDS = ["conv1d", "conv1d-unbatched", "conv1d-same-groups", "conv2d", "conv3d",
       "convT1d", "convT2d-groups", "convT3d", "linear", "linear-1d", "linear-3d-unbiased",
       "maxpool2d", "maxpool1d-unbatched-ceil", "maxpool3d-dilated",
       "batchnorm2d", "batchnorm1d-2d-plain", "batchnorm1d-3d", "batchnorm3d",
       "layernorm", "layernorm-2-axes-plain", "layernorm-1d-unbiased"]


def _checked(layer, fn, x):
    """The layer's call through lucid.nn.functional: the checked path."""
    if isinstance(layer, nn.Linear):
        return fn(x, layer.weight, layer.bias)
    if isinstance(layer, nn.LayerNorm):
        return fn(x, layer.normalized_shape, layer.weight, layer.bias, layer.eps)
    if isinstance(layer, nn.modules.norm._BatchNorm):
        return fn(x, layer.running_mean, layer.running_var, layer.weight, layer.bias,
                  training=False, eps=layer.eps)
    if isinstance(layer, nn.modules.pooling._MaxPool):
        return fn(x, layer.kernel_size, layer.stride, layer.padding, layer.dilation,
                  layer.ceil_mode)
    args = [layer.stride, layer.padding]
    if isinstance(layer, nn.modules.conv._ConvTranspose):
        args.append(layer.output_padding)
    return fn(x, layer.weight, layer.bias, *args, layer.dilation, layer.groups)


class _Applies:
    """Counts the op's Function.apply calls (the checked path makes one a call)."""

    def __init__(self, monkeypatch, op):
        self.count = 0
        apply = op.apply.__func__

        def counted(cls, *args, **kwargs):
            self.count += 1
            return apply(cls, *args, **kwargs)

        monkeypatch.setattr(op, "apply", classmethod(counted))


def _prepared(layer, dtype, rng):
    """A copy of the layer in ``dtype``, in evaluation mode, with running statistics
    that are not the initial zeros and ones (batch norm)."""
    layer = copy.deepcopy(layer).to(dtype).eval()
    for name in ("running_mean", "running_var"):
        stats = getattr(layer, name, None)
        if stats is not None:
            stats.data[...] = rng.uniform(0.5, 2.0, stats.shape)
    return layer


def _op(layer):
    if isinstance(layer, nn.Linear):
        return LinearOp
    if isinstance(layer, nn.modules.pooling._MaxPool):
        return MaxPool
    if isinstance(layer, (nn.modules.norm._BatchNorm, nn.LayerNorm)):
        return AffineNorm
    return ConvTranspose if isinstance(layer, nn.modules.conv._ConvTranspose) else Conv


@pytest.mark.parametrize("layer, fn, shape", CASES, ids=IDS)
def test_planned_calls_give_the_checked_bytes(twin, layer, fn, shape, float_dtype, rng,
                                              monkeypatch):
    """The first no-grad call goes the checked way and leaves a plan; the next ones run
    the op's forward straight away (no Function.apply) and give the same bytes."""
    layer = _prepared(layer, float_dtype, rng)
    applies = _Applies(monkeypatch, _op(layer))
    with lucid.no_grad():
        for step in range(3):
            x = lucid.Tensor(rng.standard_normal(shape).astype(float_dtype))
            before = applies.count
            y = layer(x)
            assert applies.count - before == (step == 0)   # the first call's only
            expected = _checked(layer, fn, x)
            assert y.dtype == expected.dtype and y.shape == expected.shape
            assert not y.requires_grad and y._node is None
            np.testing.assert_array_equal(y.data, expected.data)
            assert y.data.tobytes() == expected.data.tobytes()


@pytest.mark.parametrize("layer, fn, shape", CASES[:1] + CASES[5:6] + CASES[8:9] + CASES[14:15],
                         ids=["conv1d", "convT1d", "linear", "batchnorm2d"])
def test_no_plan_where_apply_has_work(twin, layer, fn, shape, rng, monkeypatch):
    """An observer, a FLOP count: the checked path, every call, with what it owes them;
    grad mode records its node either way (by the plan's ``op.apply``, or batch norm's
    evaluation plan, which has a forward of its own, by the checked path)."""
    layer = _prepared(layer, np.float32, rng)
    x = lucid.Tensor(rng.standard_normal(shape).astype(np.float32))
    with lucid.no_grad():
        layer(x)                                     # a plan exists from here
    applies = _Applies(monkeypatch, _op(layer))
    y = layer(x)
    assert y.requires_grad and y._node is not None and applies.count == 1
    y.sum().backward()
    assert layer.weight.grad is not None
    seen = []
    with lucid.no_grad(), observe(lambda f, inputs, params, out: seen.append(f)):
        layer(x)
    assert seen == [_op(layer)] and applies.count == 2
    with lucid.no_grad(), lucid.count_flops():
        y = layer(x)
    assert y.flops == _op(layer).flops(None, y.data, x.data, layer.weight.data, None)
    assert applies.count == 3
    with lucid.no_grad():
        layer(x)
    assert applies.count == 3                        # and the plan again


class _Runs:
    """Counts the calls a layer's plan runs (``Plan.run``)."""

    def __init__(self, monkeypatch):
        self.count = 0
        run = _plan.Plan.run

        def counted(plan, *args):
            self.count += 1
            return run(plan, *args)

        monkeypatch.setattr(_plan.Plan, "run", counted)


def _gradients(layer, x, y, seed):
    """``y``'s backward of a fixed random weighting: the input's and the parameters'
    gradients (None where there is none)."""
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(y.dtype)
    (y * lucid.Tensor(g)).sum().backward()
    found = [x.grad] + [None if p is None or p.grad is None else p.grad
                        for p in (getattr(layer, "weight", None), getattr(layer, "bias", None))]
    return [None if a is None else a.copy() for a in found]


def _zero_grads(layer, x):
    x.grad = None
    for p in layer.parameters():
        p.grad = None


# every layer whose plan runs the op's own forward (batch norm's evaluation plan has
# a forward of its own: tested below)
GRAD_CASES = [case for case in CASES if not isinstance(case[0], nn.modules.norm._BatchNorm)]
GRAD_IDS = [i for i, case in zip(IDS, CASES) if case in GRAD_CASES]


@pytest.mark.parametrize("layer, fn, shape", GRAD_CASES, ids=GRAD_IDS)
def test_planned_calls_in_grad_mode_record_the_checked_node(twin, layer, fn, shape,
                                                            float_dtype, rng, monkeypatch):
    """A training step's calls: the first goes the checked way and leaves a plan, the
    next ones call ``op.apply`` through it, skipping the module's and the functional
    layer's checks. The output's bytes, the node's op and parents, and every gradient
    (input, weight, bias) are those of the checked call."""
    layer = _prepared(layer, float_dtype, rng).train()
    runs = _Runs(monkeypatch)
    applies = _Applies(monkeypatch, _op(layer))
    for step in range(3):
        x = lucid.Tensor(rng.standard_normal(shape).astype(float_dtype), requires_grad=True)
        y = layer(x)
        assert runs.count == step and applies.count == 2 * step + 1   # plan from the 2nd
        assert y.requires_grad and type(y._node) is _op(layer)
        assert y._node.parents[0] is x
        got = _gradients(layer, x, y, step)
        _zero_grads(layer, x)
        expected = _checked(layer, fn, x)
        assert runs.count == step                                     # not through a plan
        assert type(expected._node) is type(y._node)
        assert y.data.tobytes() == expected.data.tobytes()
        want = _gradients(layer, x, expected, step)
        _zero_grads(layer, x)
        for a, b in zip(got, want):
            assert (a is None) == (b is None)
            if a is not None:
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_a_grad_mode_plan_follows_requires_grad_and_replaced_weights(twin, rng):
    """The plan's node reads the parameters as the call finds them: a weight frozen
    (requires_grad off) gets no gradient and the input's still does; a computed Tensor
    set in the weight's place (meta-learning code) receives the gradient; an input of
    another shape goes the checked way and raises its named error."""
    layer = nn.Conv1d(2, 3, 3)
    x = lucid.Tensor(rng.standard_normal((1, 2, 7)).astype(np.float32), requires_grad=True)
    layer(x)                                         # checked: a plan from here
    layer.weight.requires_grad = False
    layer(x).sum().backward()
    assert layer.weight.grad is None and layer.bias.grad is not None and x.grad is not None
    fast = lucid.Tensor(rng.standard_normal((3, 2, 3)).astype(np.float32),
                        requires_grad=True)
    del layer.weight
    layer.weight = fast
    x2 = lucid.Tensor(rng.standard_normal((1, 2, 7)).astype(np.float32))
    y = F.conv1d(x2, fast, layer.bias)
    fast.grad = None
    y.sum().backward()
    expected = fast.grad.copy()
    fast.grad = None
    layer(x2).sum().backward()
    np.testing.assert_array_equal(fast.grad, expected)
    with pytest.raises(ValueError, match="Conv1d|conv1d"):
        layer(lucid.Tensor(np.ones((1, 5, 7), np.float32), requires_grad=True))


BN_TRAIN_CASES = [
    (nn.BatchNorm2d(3), (2, 3, 5, 5)),
    (nn.BatchNorm1d(4, affine=False, momentum=None), (3, 4)),     # cumulative average
    (nn.BatchNorm1d(4, eps=1e-3, momentum=0.3), (1, 4, 6)),
    (nn.BatchNorm3d(2, track_running_stats=False), (2, 2, 3, 2, 2)),
]


class _Functional:
    """Counts the calls of ``F.batch_norm`` (the checked path's)."""

    def __init__(self, monkeypatch):
        self.count = 0
        batch_norm = F.batch_norm

        def counted(*args, **kwargs):
            self.count += 1
            return batch_norm(*args, **kwargs)

        monkeypatch.setattr(F, "batch_norm", counted)


@pytest.mark.parametrize("layer, shape", BN_TRAIN_CASES,
                         ids=["2d", "1d-cumulative-plain", "1d-3d", "3d-untracked"])
@pytest.mark.parametrize("grad", [True, False], ids=["grad", "no-grad"])
def test_batch_norm_training_plan(twin, layer, shape, grad, float_dtype, rng, monkeypatch):
    """Training mode: the first call goes the checked way and leaves a plan; the next
    ones call ``AffineNorm.apply`` with this call's running statistics and momentum (the
    cumulative average's changes each call) and move the batch count on. Against a copy
    of the layer driven through ``F.batch_norm`` step by step: the output's bytes, the
    gradients, the running statistics' bytes and the batch count."""
    layer = copy.deepcopy(layer).to(float_dtype).train()
    mirror = copy.deepcopy(layer)
    functional = _Functional(monkeypatch)
    for step in range(4):
        x = lucid.Tensor(rng.standard_normal(shape).astype(float_dtype), requires_grad=grad)
        before = functional.count
        if grad:
            y = layer(x)
        else:
            with lucid.no_grad():
                y = layer(x)
        assert functional.count - before == (step == 0)      # the plan from the 2nd
        momentum = mirror.momentum
        if momentum is None:
            momentum = 1.0 / (int(mirror.num_batches_tracked.data) + 1)
        tracked = mirror.track_running_stats
        x2 = lucid.Tensor(x.data.copy(), requires_grad=grad)
        with lucid.enable_grad() if grad else lucid.no_grad():
            expected = F.batch_norm(x2, mirror.running_mean if tracked else None,
                                    mirror.running_var if tracked else None,
                                    mirror.weight, mirror.bias, training=True,
                                    momentum=momentum, eps=mirror.eps)
        if tracked:
            mirror.num_batches_tracked.data += 1
        assert y.data.tobytes() == expected.data.tobytes()
        assert (y._node is not None) == grad
        if grad:
            assert type(y._node) is AffineNorm
            g = rng.standard_normal(shape).astype(float_dtype)
            (y * lucid.Tensor(g)).sum().backward()
            (expected * lucid.Tensor(g)).sum().backward()
            assert x.grad.tobytes() == x2.grad.tobytes()
            for p, q in zip(layer.parameters(), mirror.parameters()):
                assert p.grad.tobytes() == q.grad.tobytes()
                p.grad = q.grad = None
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            a, b = getattr(layer, name), getattr(mirror, name)
            assert (a is None) == (b is None)
            if a is not None:
                assert a.data.tobytes() == b.data.tobytes(), name


def test_batch_norm_training_plan_checked_again(twin, rng):
    """After a training plan: evaluation mode, another momentum, running statistics
    replaced by arrays of another size, and an input of one value per channel go the
    checked way (the last raises its named error); back in training the plan is made
    again."""
    layer = nn.BatchNorm1d(3)
    x = lucid.Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    layer(x)
    layer(x)                                         # planned
    layer.eval()
    np.testing.assert_array_equal(
        layer(x).data, F.batch_norm(x, layer.running_mean, layer.running_var, layer.weight,
                                    layer.bias, training=False).data)
    layer.train()
    layer.momentum = 0.5
    rm = layer.running_mean.data.copy()
    y = layer(x)
    mean = x.data.mean(axis=0)
    np.testing.assert_allclose(layer.running_mean.data, 0.5 * rm + 0.5 * mean, rtol=1e-6)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        layer(lucid.Tensor(np.ones((1, 3), np.float32), requires_grad=True))
    layer.running_mean.data = np.zeros(5, np.float32)
    with pytest.raises(ValueError, match="running_mean"):
        layer(x)
    assert y.shape == (4, 3)


def test_batch_norm_evaluation_plan_not_used_in_grad_mode(twin, rng, monkeypatch):
    """Batch norm's evaluation plan runs a forward of its own (the running statistics
    viewed as the op's), so a grad-mode call goes the checked way and records the
    checked node, with the checked gradients."""
    layer = _prepared(nn.BatchNorm2d(3), np.float32, rng)
    x = lucid.Tensor(rng.standard_normal((2, 3, 4, 4)).astype(np.float32),
                     requires_grad=True)
    with lucid.no_grad():
        layer(x)                                     # the evaluation plan
    runs = _Runs(monkeypatch)
    y = layer(x)
    assert runs.count == 0 and y._node is not None
    got = _gradients(layer, x, y, 0)
    _zero_grads(layer, x)
    want = _gradients(layer, x, _checked(layer, F.batch_norm, x), 0)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    with lucid.no_grad():
        layer(x)
    assert runs.count == 1                           # and the plan again without grad


def test_a_changed_layer_is_checked_again(twin, rng, monkeypatch):
    """Whatever the checks read, changed after the plan was made: the checked path,
    with its named errors, and the right result once it passes."""
    layer = nn.Conv1d(4, 6, 3, padding=1)
    x = lucid.Tensor(rng.standard_normal((2, 4, 10)).astype(np.float32))
    with lucid.no_grad():
        layer(x)
        # a weight of another shape, in place of the Parameter's array
        layer.weight.data = rng.standard_normal((6, 5, 3)).astype(np.float32)
        with pytest.raises(ValueError, match=r"conv1d: input_ has 4 channels but weight"):
            layer(x)
        layer.weight.data = rng.standard_normal((6, 4, 3)).astype(np.float64)
        with pytest.raises(TypeError, match=r"conv1d: input_ \(float32\) and weight"):
            layer(x)
        layer.weight = nn.Parameter(rng.standard_normal((6, 4, 2)).astype(np.float32))
        assert layer(x).shape == (2, 6, 11)          # a new Parameter, kernel size 2
        layer.bias = None
        np.testing.assert_array_equal(layer(x).data, F.conv1d(x, layer.weight, None, 1, 1).data)
        layer.bias = nn.Parameter(np.ones(7, np.float32))
        with pytest.raises(ValueError,
                           match=r"conv1d: bias must be 1-D of length C_out = 6; got shape \(7,\)"):
            layer(x)
        layer.bias = nn.Parameter(np.ones(6, np.float32))
        layer(x)
        unbiased = nn.Conv1d(4, 6, 3, bias=False)
        unbiased(x)                                  # planned without a bias
        unbiased.bias = nn.Parameter(np.ones(7, np.float32))
        with pytest.raises(ValueError, match=r"conv1d: bias must be 1-D of length C_out = 6"):
            unbiased(x)
        layer.stride = (3,)                          # a new setting object
        np.testing.assert_array_equal(layer(x).data,
                                      F.conv1d(x, layer.weight, layer.bias, 3, 1).data)
        layer.padding = [0]                          # mutable: checked every call
        applies = _Applies(monkeypatch, Conv)
        for _ in range(2):
            np.testing.assert_array_equal(layer(x).data,
                                          F.conv1d(x, layer.weight, layer.bias, 3, 0).data)
        assert applies.count == 4                    # the layer's two, and the oracle's
        layer.padding = (0,)
        layer(x)
        with pytest.raises(ValueError, match=r"conv1d: input_ has 3 channels"):
            layer(lucid.Tensor(np.zeros((2, 3, 10), np.float32)))
        with pytest.raises(TypeError, match=r"conv1d: input_ must be a lucid Tensor; got ndarray"):
            layer(np.zeros((2, 4, 10), np.float32))
        with pytest.raises(TypeError, match=r"conv1d: input_ \(float64\) and weight \(float32\)"):
            layer(lucid.Tensor(np.zeros((2, 4, 10))))
        y = layer(lucid.Tensor(np.ones((1, 4, 7), np.float32)))   # another shape
        np.testing.assert_array_equal(
            y.data, F.conv1d(lucid.Tensor(np.ones((1, 4, 7), np.float32)), layer.weight,
                             layer.bias, 3, 0).data)


def test_a_changed_linear_is_checked_again(twin, rng):
    """Linear's checks read the input's last axis (against ``in_features``) and the
    parameters' shapes and dtypes: each changed after a plan gets its named error."""
    layer = nn.Linear(4, 3)
    x = lucid.Tensor(rng.standard_normal((2, 4)).astype(np.float32))
    with lucid.no_grad():
        layer(x)
        with pytest.raises(ValueError,
                           match=r"Linear: expected input of shape \(\*, 4\); got \(2, 5\)"):
            layer(lucid.Tensor(np.zeros((2, 5), np.float32)))
        layer(x)
        layer.weight.data = np.zeros((3, 5), np.float32)
        with pytest.raises(ValueError,
                           match=r"linear: input_'s last axis must have in_features = 5"):
            layer(x)
        layer.weight.data = np.zeros((3, 4), np.float64)
        with pytest.raises(TypeError, match=r"linear"):
            layer(x)
        layer.weight.data = np.ones((3, 4), np.float32)
        layer(x)
        layer.bias.data = np.zeros(2, np.float32)
        with pytest.raises(ValueError, match=r"linear: bias"):
            layer(x)
        layer.bias = None
        np.testing.assert_array_equal(layer(x).data, F.linear(x, layer.weight).data)


def test_a_changed_max_pool_is_checked_again(twin, rng, monkeypatch):
    """Max pooling: a new window setting, indices asked for, an input of another rank:
    the checked path (a new plan, the indices, the named error)."""
    layer = nn.MaxPool2d(2)
    x = lucid.Tensor(rng.standard_normal((1, 2, 6, 6)).astype(np.float32))
    with lucid.no_grad():
        layer(x)
        layer.stride = 3
        np.testing.assert_array_equal(layer(x).data, F.max_pool2d(x, 2, 3).data)
        layer.return_indices = True
        y, indices = layer(x)
        expected, expected_indices = F.max_pool2d(x, 2, 3, return_indices=True)
        np.testing.assert_array_equal(indices.data, expected_indices.data)
        layer.return_indices = False
        layer(x)
        with pytest.raises(ValueError, match=r"MaxPool2d"):
            layer(lucid.Tensor(np.zeros((1, 1, 2, 6, 6), np.float32)))
        layer.padding = 2                            # more than half the kernel
        with pytest.raises(ValueError, match=r"max_pool2d: padding"):
            layer(x)


def test_a_changed_batch_norm_is_checked_again(twin, rng):
    """Batch norm in evaluation mode: running statistics changed in place are what the
    next planned call reads; another eps, a refused momentum, statistics of another
    shape or removed, training mode: the checked path."""
    layer = _prepared(nn.BatchNorm2d(3), np.float32, rng)
    x = lucid.Tensor(rng.standard_normal((2, 3, 4, 4)).astype(np.float32))

    def expected():
        return F.batch_norm(x, layer.running_mean, layer.running_var, layer.weight,
                            layer.bias, training=False, eps=layer.eps).data

    with lucid.no_grad():
        layer(x)
        layer.running_mean.data += 1.5
        layer.running_var.data *= 3
        np.testing.assert_array_equal(layer(x).data, expected())
        layer.eps = 0.5
        np.testing.assert_array_equal(layer(x).data, expected())
        layer.train()                                # the settings otherwise unchanged
        mean = x.data.mean(axis=(0, 2, 3))
        for step in (1, 2):
            before = layer.running_mean.data.copy()
            y = layer(x)
            np.testing.assert_allclose(layer.running_mean.data, 0.9 * before + 0.1 * mean,
                                       rtol=1e-6)
            np.testing.assert_allclose(y.data.mean(axis=(0, 2, 3)), 0, atol=1e-5)
            assert int(layer.num_batches_tracked.data) == step
        layer.eval()
        np.testing.assert_array_equal(layer(x).data, expected())
        layer.momentum = 2.0
        with pytest.raises(ValueError, match=r"batch_norm: momentum"):
            layer(x)
        layer.momentum = 0.1
        layer.running_var = nn.Buffer(np.ones(4, np.float32))
        with pytest.raises(ValueError, match=r"batch_norm: running_var must have shape \(3,\)"):
            layer(x)
        layer.running_var = None
        with pytest.raises(ValueError, match=r"batch_norm: running_mean and running_var are "
                                             r"required when training=False"):
            layer(x)


def test_a_weight_set_as_a_plain_attribute(twin, rng):
    """The functional trick of meta-learning code: ``del layer.weight`` and a computed
    Tensor set in its place (a plain attribute, not a Parameter). The layer reads it
    as ``self.weight`` finds it, planned or not, and gradients reach it."""
    layer = nn.Conv1d(2, 3, 3)
    x = lucid.Tensor(rng.standard_normal((1, 2, 7)).astype(np.float32))
    with lucid.no_grad():
        layer(x)                                     # a plan with the Parameter
    fast = lucid.Tensor(rng.standard_normal((3, 2, 3)).astype(np.float32),
                        requires_grad=True)
    del layer.weight
    layer.weight = fast
    y = layer(x)
    y.sum().backward()
    assert fast.grad is not None and fast.grad.shape == (3, 2, 3)
    with lucid.no_grad():
        for _ in range(2):
            np.testing.assert_array_equal(layer(x).data,
                                          F.conv1d(x, fast, layer.bias).data)
        layer.weight = lucid.Tensor(np.zeros((3, 2, 3), np.float32))
        np.testing.assert_array_equal(layer(x).data,
                                      np.broadcast_to(layer.bias.data[:, None], (1, 3, 5)))


def test_a_changed_layer_norm_is_checked_again(twin, rng):
    """Layer norm: another normalised shape or eps after a plan, an input whose last
    axes do not match: the checked path (the new result, the named error)."""
    layer = nn.LayerNorm(4)
    x = lucid.Tensor(rng.standard_normal((3, 4)).astype(np.float32))
    with lucid.no_grad():
        layer(x)
        layer.eps = 0.25
        np.testing.assert_array_equal(
            layer(x).data, F.layer_norm(x, (4,), layer.weight, layer.bias, 0.25).data)
        with pytest.raises(ValueError, match=r"LayerNorm: expected input of shape \(\*, 4\)"):
            layer(lucid.Tensor(np.zeros((3, 5), np.float32)))
        layer.weight.data = np.ones(5, np.float32)
        with pytest.raises(ValueError, match=r"layer_norm: weight"):
            layer(x)


def test_planned_calls_read_the_weights_now(twin, rng):
    """A weight changed in place (an optimiser step, load_state_dict) is what the next
    planned call computes with; hooks still run around a planned forward."""
    layer = nn.ConvTranspose1d(3, 2, 3, stride=2)
    x = lucid.Tensor(rng.standard_normal((1, 3, 5)).astype(np.float32))
    seen = []
    layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    with lucid.no_grad():
        layer(x)
        layer.weight.data *= 2
        layer.load_state_dict({"weight": layer.weight.data,
                               "bias": np.arange(2.0, dtype=np.float32)})
        y = layer(x)
    np.testing.assert_array_equal(y.data, F.conv_transpose1d(x, layer.weight, layer.bias, 2).data)
    assert seen == [(1, 2, 11), (1, 2, 11)]


def test_copies_and_pickles_of_a_planned_layer(twin, rng):
    """A copied or unpickled layer carries no plan (a cache, not state) and computes
    with its own weights."""
    layer = nn.Conv2d(2, 3, 3)
    x = lucid.Tensor(rng.standard_normal((1, 2, 5, 5)).astype(np.float32))
    with lucid.no_grad():
        layer(x)
        assert layer._plan is not None
        for other in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
            assert other._plan is None
            other(x)
            other.weight.data[...] = 0
            np.testing.assert_array_equal(other(x).data,
                                          np.broadcast_to(other.bias.data[:, None, None],
                                                          (1, 3, 3, 3)))
            assert np.abs(layer(x).data - other(x).data).max() > 0


def test_the_active_twin_computes_a_planned_call(rng):
    """Kernels switched after a plan was made: the planned call runs the kernels active
    now (the op's forward asks for them each call), here a plugged-in copy of the
    reference twin that records its calls."""
    calls = []
    recording = types.ModuleType("recording_conv")
    for name in dir(reference_conv):
        if not name.startswith("__"):
            setattr(recording, name, getattr(reference_conv, name))

    @functools.wraps(reference_conv.conv_forward)
    def conv_forward(*args, **kwargs):
        calls.append("conv_forward")
        return reference_conv.conv_forward(*args, **kwargs)

    recording.conv_forward = conv_forward
    layer = nn.Conv1d(2, 3, 3)
    x = lucid.Tensor(rng.standard_normal((1, 2, 6)).astype(np.float32))
    with lucid.no_grad():
        layer(x)                                     # planned on the default kernels
        with lucid.kernels.use(recording, family="conv"):
            y = layer(x)
            assert calls == ["conv_forward"]
            expected = F.conv1d(x, layer.weight, layer.bias)
    assert y.data.tobytes() == expected.data.tobytes() and len(calls) == 2


# ------------------------------------------------------------------ self-attention
# layer class, keyword arguments, input shape, call keyword arguments
ATTENTION_CASES = [
    (nn.MultiheadAttention, {"batch_first": True}, (2, 5, 16), {"need_weights": False}),
    (nn.MultiheadAttention, {}, (5, 2, 16), {"need_weights": False}),   # sequence first
    (nn.MultiHeadAttention, {}, (2, 5, 16), {}),
    (nn.MultiHeadAttention, {}, (5, 16), {}),                           # unbatched
]
ATTENTION_IDS = ["batch-first", "sequence-first", "original", "unbatched"]


def _attention(cls, kwargs, dtype, rng):
    layer = cls(16, 4, **kwargs).to(dtype).eval()
    layer.in_proj_bias.data[...] = rng.standard_normal(48)     # not PyTorch's zeros
    return layer


def _output(result):
    return result[0] if isinstance(result, tuple) else result


@pytest.mark.parametrize("cls, kwargs, shape, call", ATTENTION_CASES, ids=ATTENTION_IDS)
def test_attention_plan_gives_the_checked_bytes(twin, cls, kwargs, shape, call,
                                                float_dtype, rng, monkeypatch):
    """x, x, x: the first call (grad mode) goes the checked way and leaves a plan; the
    no-grad calls after it run the in-projection and the attention without
    Function.apply (out_proj still a module call) and give the bytes of the grad-mode
    call. (This plan has a forward of its own: it is for no-grad calls only.)"""
    layer = _attention(cls, kwargs, float_dtype, rng)
    applies = _Applies(monkeypatch, PackedAttention)
    x = lucid.Tensor(rng.standard_normal(shape).astype(float_dtype))
    expected = _output(layer(x, x, x, **call)).data            # grad mode: checked
    seen = []
    layer.out_proj.register_forward_hook(lambda module, args, out: seen.append(out))
    with lucid.no_grad():
        outputs = [_output(layer(x, x, x, **call)).data for _ in range(3)]
    assert applies.count == 1                  # the grad-mode call, which left the plan
    assert layer._plan is not None and len(seen) == 3
    for out in outputs:
        assert out.dtype == float_dtype and out.shape == shape
        np.testing.assert_array_equal(out, expected)


def test_attention_plan_only_for_plain_self_attention(twin, rng, monkeypatch):
    """A mask, the weights, a causal call, another key or value, training mode with
    dropout and bias_k set go the checked way after a plan, with their own results."""
    layer = _attention(nn.MultiheadAttention, {"batch_first": True}, np.float32, rng)
    applies = _Applies(monkeypatch, PackedAttention)
    x = lucid.Tensor(rng.standard_normal((2, 5, 16)).astype(np.float32))
    other = lucid.Tensor(rng.standard_normal((2, 5, 16)).astype(np.float32))
    pad = lucid.Tensor(np.array([[False] * 4 + [True]] * 2))
    with lucid.no_grad():
        plain = layer(x, x, x, need_weights=False)[0].data
        count = applies.count
        masked = layer(x, x, x, key_padding_mask=pad, need_weights=False)[0].data
        causal = layer(x, x, x, is_causal=True, attn_mask=nn.Transformer
                       .generate_square_subsequent_mask(5), need_weights=False)[0].data
        causal_only = layer(x, x, x, is_causal=True, need_weights=False)[0].data
        out, weights = layer(x, x, x)                      # need_weights defaults True
        crossed = layer(x, other, other, need_weights=False)[0].data
        assert applies.count == count + 3                  # masked and causal: packed
        assert weights is not None and not np.array_equal(masked, plain)
        assert not np.array_equal(causal, plain) and not np.array_equal(crossed, plain)
        np.testing.assert_array_equal(causal_only, causal)
        np.testing.assert_array_equal(layer(x, x, x, need_weights=False)[0].data, plain)
        assert applies.count == count + 3                  # the plan again
    layer.train()
    layer.dropout = 0.5
    with lucid.no_grad():
        lucid.manual_seed(1)
        dropped = layer(x, x, x, need_weights=False)[0].data
    assert not np.array_equal(dropped, plain)
    layer.eval()
    layer.dropout = 0.0
    layer.bias_k = nn.Parameter(lucid.Tensor(rng.standard_normal((1, 1, 16))
                                             .astype(np.float32)))
    layer.bias_v = nn.Parameter(lucid.Tensor(rng.standard_normal((1, 1, 16))
                                             .astype(np.float32)))
    with lucid.no_grad():
        with_bias_k = layer(x, x, x, need_weights=False)[0].data
    expected = layer(x, x, x, need_weights=False)[0].data       # grad mode: checked
    np.testing.assert_array_equal(with_bias_k, expected)
    assert not np.array_equal(with_bias_k, plain)


def test_attention_plan_reads_the_weights_now(twin, rng):
    """A weight changed in place, or replaced by one of another shape, after a plan: the
    next call uses it (the checked way's result, or its named error)."""
    layer = _attention(nn.MultiHeadAttention, {}, np.float32, rng)
    x = lucid.Tensor(rng.standard_normal((2, 5, 16)).astype(np.float32))
    with lucid.no_grad():
        layer(x, x, x)
        layer.in_proj_weight.data *= 0.5
        changed = layer(x, x, x).data
    np.testing.assert_array_equal(changed, layer(x, x, x).data)
    layer.in_proj_weight = nn.Parameter(lucid.Tensor(np.ones((48, 8), np.float32)))
    with lucid.no_grad(), pytest.raises(ValueError, match="in_features"):
        layer(x, x, x)
    y = lucid.Tensor(rng.standard_normal((2, 5, 8)).astype(np.float32))
    with lucid.no_grad(), pytest.raises(ValueError, match="query"):
        layer(y, y, y)
