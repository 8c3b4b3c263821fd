"""The optim kernel family (fused SGD and Adam steps), both twins: a loop oracle, the
twins bit for bit, PyTorch parity through lucid.optim step by step (SGD through the
kernel, Adam and AdamW through their rules, kernel results against torch below), the
rule a subclass (or a course exercise) replaces still running, and every check of
``_checks.py``."""
import math

import numpy as np
import pytest

import lucid
from lucid import _ext, optim
from lucid.testing import assert_close


KERNEL_FAMILIES = ("optim",)

SGD_CASES = [
    dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
    dict(momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False),
    dict(momentum=0.9, dampening=0.3, weight_decay=0.05, nesterov=False),
    dict(momentum=0.8, dampening=0.0, weight_decay=0.05, nesterov=True),
]
ADAM_CASES = [
    dict(weight_decay=0.0, decoupled=False, amsgrad=False),
    dict(weight_decay=0.1, decoupled=False, amsgrad=True),
    dict(weight_decay=0.1, decoupled=True, amsgrad=False),
    dict(weight_decay=0.1, decoupled=True, amsgrad=True),
]


# ------------------------------------------------------------------ loop oracles
def _sgd_loop(p, g, b, lr, momentum, dampening, weight_decay, nesterov, first):
    """Element by element, in Python floats (float64)."""
    p, b = p.copy(), (None if b is None else b.copy())
    for i in range(p.size):
        gi = g.flat[i] + weight_decay * p.flat[i]
        if momentum:
            b.flat[i] = gi if first else momentum * b.flat[i] + (1 - dampening) * gi
            gi = gi + momentum * b.flat[i] if nesterov else b.flat[i]
        p.flat[i] = p.flat[i] - lr * gi
    return p, b


def _adam_loop(p, g, m, v, vmax, t, lr, b1, b2, eps, wd, decoupled):
    p, m, v = p.copy(), m.copy(), v.copy()
    vmax = None if vmax is None else vmax.copy()
    for i in range(p.size):
        pi, gi = p.flat[i], g.flat[i]
        if decoupled:
            pi *= 1 - lr * wd
        else:
            gi += wd * pi
        m.flat[i] = b1 * m.flat[i] + (1 - b1) * gi
        v.flat[i] = b2 * v.flat[i] + (1 - b2) * gi * gi
        vi = v.flat[i]
        if vmax is not None:
            vmax.flat[i] = vi = max(vmax.flat[i], vi)
        denom = math.sqrt(vi) / math.sqrt(1 - b2 ** t) + eps
        p.flat[i] = pi - lr / (1 - b1 ** t) * m.flat[i] / denom
    return p, m, v, vmax


def _tol(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", SGD_CASES)
def test_sgd_step_matches_a_loop(twin, dtype, case):
    rng = np.random.default_rng(1)
    p = rng.standard_normal((3, 5)).astype(dtype)
    b = rng.standard_normal((3, 5)).astype(dtype) if case["momentum"] else None
    kernels = _ext.get("optim")
    for first in (True, False, False):
        g = rng.standard_normal((3, 5)).astype(dtype)
        want_p, want_b = _sgd_loop(p.astype(np.float64), g.astype(np.float64),
                                   None if b is None else b.astype(np.float64), 0.1,
                                   first=first, **case)
        kernels.sgd_step(p, g, b, 0.1, first=first, **case)
        assert p.dtype == dtype
        assert_close(p, want_p.astype(dtype), **_tol(dtype))
        if b is not None:
            assert_close(b, want_b.astype(dtype), **_tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ADAM_CASES)
def test_adam_step_matches_a_loop(twin, dtype, case):
    rng = np.random.default_rng(2)
    shape = (4, 6)
    p = rng.standard_normal(shape).astype(dtype)
    m, v = np.zeros(shape, dtype), np.zeros(shape, dtype)
    vmax = np.zeros(shape, dtype) if case["amsgrad"] else None
    kernels = _ext.get("optim")
    for t in range(1, 5):
        g = rng.standard_normal(shape).astype(dtype) * (3.0 if t == 2 else 0.5)
        want = _adam_loop(*(a if a is None else a.astype(np.float64)
                            for a in (p, g, m, v, vmax)), t, 0.01, 0.9, 0.99, 1e-8,
                          case["weight_decay"], case["decoupled"])
        kernels.adam_step(p, g, m, v, vmax, t, 0.01, 0.9, 0.99, 1e-8, case["weight_decay"],
                          case["decoupled"])
        for got, expected in zip((p, m, v, vmax), want):
            if got is not None:
                assert_close(got, expected.astype(dtype), **_tol(dtype))


def _twins():
    _ext._load("optim")
    if not _ext.compiled_available("optim"):
        pytest.skip(f"compiled twin of 'optim' is not built; {_ext.BUILD_HINT}")
    return _ext._reference["optim"], _ext._compiled["optim"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_twins_agree_bit_for_bit(dtype):
    """Same scalars in the same order (NaN too): the compiled twin is the reference."""
    reference, compiled = _twins()
    rng = np.random.default_rng(3)
    g = rng.standard_normal(50).astype(dtype)
    g[7] = np.nan
    for case in SGD_CASES:
        runs = []
        for kernels in (reference, compiled):
            p, b = np.linspace(-1, 1, 50).astype(dtype), np.zeros(50, dtype)
            for first in (True, False):
                kernels.sgd_step(p, g, b if case["momentum"] else None, 0.03, first=first,
                                 **case)
            runs.append((p, b))
        np.testing.assert_array_equal(runs[0][0], runs[1][0])
        np.testing.assert_array_equal(runs[0][1], runs[1][1])
    for case in ADAM_CASES:
        runs = []
        for kernels in (reference, compiled):
            p = np.linspace(-1, 1, 50).astype(dtype)
            state = [np.zeros(50, dtype), np.zeros(50, dtype)]
            state.append(np.zeros(50, dtype) if case["amsgrad"] else None)
            for t in (1, 2, 3):
                kernels.adam_step(p, g * t, *state, t, 1e-3, 0.9, 0.999, 1e-8,
                                  case["weight_decay"], case["decoupled"])
            runs.append([p] + [s for s in state if s is not None])
        for a, b in zip(*runs):
            np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ through lucid.optim
OPTIMIZERS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.1, amsgrad=True)),
]


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", OPTIMIZERS)
def test_optimizer_steps_equal_torch_step_by_step(twin, torch, dtype, name, kwargs):
    rng = np.random.default_rng(4)
    values = [rng.standard_normal(s).astype(dtype) for s in ((6, 5), (5,))]
    ours = [lucid.Tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    opt = getattr(optim, name)(ours, **kwargs)
    ref = getattr(torch.optim, name)(theirs, foreach=False, **kwargs)
    for _ in range(10):
        grads = [rng.standard_normal(v.shape).astype(dtype) for v in values]
        for p, g in zip(ours, grads):
            p.grad = g.copy()
        for p, g in zip(theirs, grads):
            p.grad = torch.from_numpy(g.copy())
        opt.step()
        ref.step()
        for p, q in zip(ours, theirs):
            assert p.dtype == np.dtype(dtype)
            assert_close(p.data, q.detach().numpy(), **_tol(np.dtype(dtype)))


def _count_calls(monkeypatch, name):
    """A list that grows by one at each call of the active ``optim`` twin's ``name``."""
    kernels, ran = _ext.get("optim"), []
    kernel = getattr(kernels, name)

    def counted(*args):
        ran.append(1)
        return kernel(*args)

    monkeypatch.setattr(kernels, name, counted)
    return ran


@pytest.mark.parametrize("kwargs", [dict(lr=0.1), dict(lr=0.1, momentum=0.9, dampening=0.2),
                                    dict(lr=0.1, momentum=0.9, weight_decay=0.1,
                                         nesterov=True)])
def test_the_fused_step_gives_the_rules_values(twin, monkeypatch, kwargs):
    """SGD's step through the kernel equals its readable rule (``_update``, run by a
    subclass that replaces it with itself) bit for bit, and the kernel did run."""
    class RuleSGD(optim.SGD):
        def _update(self, param, grad, state, group):
            super()._update(param, grad, state, group)

    ran = _count_calls(monkeypatch, "sgd_step")
    if hasattr(_ext.get("optim"), "_sgd_steps"):        # a whole group in one call
        ran_group = _count_calls(monkeypatch, "_sgd_steps")
    rng = np.random.default_rng(5)
    a = lucid.Tensor(rng.standard_normal(7).astype(np.float32), requires_grad=True)
    b = lucid.Tensor(a.data.copy(), requires_grad=True)
    opt_a, opt_b = optim.SGD([a], **kwargs), RuleSGD([b], **kwargs)
    for _ in range(4):
        g = rng.standard_normal(7).astype(np.float32)
        a.grad, b.grad = g.copy(), g.copy()
        opt_a.step()
        opt_b.step()
        np.testing.assert_array_equal(a.data, b.data)
    # without weight decay and Nesterov the kernel runs (the rule otherwise: faster
    # there): the compiled twin's steps after the first take the group in one call
    plain = kwargs.get("weight_decay", 0) == 0
    if hasattr(_ext.get("optim"), "_sgd_steps"):
        assert (len(ran), len(ran_group)) == ((1, 3) if plain else (0, 0))
    else:
        assert len(ran) == (4 if plain else 0)


def _group_and_copy(rng):
    """A group for the one-call steps: parameters of two dtypes and three shapes, and
    a copy of each for the rule to step."""
    shapes = [((3, 4), np.float32), ((5,), np.float64), ((2, 3, 2), np.float32)]
    ours = [lucid.Tensor(rng.standard_normal(s).astype(d), requires_grad=True)
            for s, d in shapes]
    return ours, [lucid.Tensor(t.data.copy(), requires_grad=True) for t in ours]


@pytest.mark.parametrize("kwargs", [dict(lr=0.1), dict(lr=0.05, momentum=0.9, dampening=0.2)])
def test_a_group_in_one_call_gives_the_rules_values(monkeypatch, kwargs):
    """The compiled twin's ``_sgd_steps`` (a whole group in one call) on parameters of
    two dtypes and several shapes, one of them without a gradient in some steps: the
    rule's bits; a group with a gradient it does not take plainly (a non-contiguous
    one) goes parameter by parameter, with the same bits too."""
    if not _ext.compiled_available("optim"):
        pytest.skip(f"the compiled optim twin is not built; {_ext.BUILD_HINT}")

    class RuleSGD(optim.SGD):
        def _update(self, param, grad, state, group):
            super()._update(param, grad, state, group)

    rng = np.random.default_rng(8)
    ours, rule = _group_and_copy(rng)
    with lucid.kernels.use("compiled", "optim"):
        ran = _count_calls(monkeypatch, "_sgd_steps")
        opt_a, opt_b = optim.SGD(ours, **kwargs), RuleSGD(rule, **kwargs)
        for step in range(5):
            for a, b in zip(ours, rule):
                g = rng.standard_normal(a.shape).astype(a.dtype)
                if step == 4:                            # not contiguous: the long way
                    g = np.asfortranarray(rng.standard_normal(a.shape + (1,))[..., 0]
                                          .astype(a.dtype))
                a.grad, b.grad = g.copy(order="K"), g.copy(order="K")
            if step == 2:
                ours[1].grad = rule[1].grad = None       # skipped by both
            opt_a.step()
            opt_b.step()
            for a, b in zip(ours, rule):
                np.testing.assert_array_equal(a.data, b.data)
    assert len(ran) == 4          # steps 2-5 were offered to it; the first made the states


def _refusal_arrays(seed, states):
    """What the refusal tests of the group steps start from: three float32 parameters
    and their gradients of four values (drawn in that order from ``seed``), ``states``
    lists of three zero arrays (momentum buffers, or Adam's two moments) and one
    read-only zero array."""
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(4).astype(np.float32) for _ in range(3)]
    grads = [rng.standard_normal(4).astype(np.float32) for _ in range(3)]
    zeros = [[np.zeros(4, np.float32) for _ in range(3)] for _ in range(states)]
    frozen = np.zeros(4, np.float32)
    frozen.flags.writeable = False
    return params, grads, zeros, frozen


def test_a_group_call_changes_nothing_unless_it_takes_every_parameter():
    """``_sgd_steps`` looks at every parameter before it writes: a bad last entry (a
    gradient of another dtype, a read-only buffer, a float momentum list of the wrong
    length) returns False and leaves the earlier parameters as they were."""
    if not _ext.compiled_available("optim"):
        pytest.skip(f"the compiled optim twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _optim
    params, grads, (bufs,), frozen = _refusal_arrays(9, 1)
    before = [p.copy() for p in params]
    cases = [(params, grads[:2] + [grads[2].astype(np.float64)], bufs),
             (params, grads, bufs[:2] + [frozen]),
             (params, grads, bufs[:2]),
             (params, grads, None)]
    for p, g, b in cases:
        assert _optim._sgd_steps(p, g, b, 0.1, 0.9, 0.0) is False
        for now, then in zip(params, before):
            np.testing.assert_array_equal(now, then)
    assert _optim._sgd_steps(params, grads, None, 0.1, 0, 0.0) is True
    np.testing.assert_array_equal(params[0], before[0] - np.float32(0.1) * grads[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", [
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),                   # coupled: the loop with options
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),                                     # decoupled: one vector loop
    ("AdamW", dict(lr=0.01, weight_decay=0.0)),
])
def test_the_fused_adam_step_gives_the_rules_values(twin, monkeypatch, dtype, name, kwargs):
    """Adam's and AdamW's step through the kernel equals their readable rule bit for bit
    (37 values: the vector loop's body and its remainder; a NaN and a zero gradient
    among them), and the kernel did run."""
    rule = optim.Adam._update

    class Rule(getattr(optim, name)):
        def _update(self, param, grad, state, group):
            rule(self, param, grad, state, group)

    ran = _count_calls(monkeypatch, "adam_step")
    grouped = hasattr(_ext.get("optim"), "_adam_steps")     # a whole group in one call
    if grouped:
        ran_group = _count_calls(monkeypatch, "_adam_steps")
    rng = np.random.default_rng(6)
    a = lucid.Tensor(rng.standard_normal(37).astype(dtype), requires_grad=True)
    b = lucid.Tensor(a.data.copy(), requires_grad=True)
    opt_a, opt_b = getattr(optim, name)([a], **kwargs), Rule([b], **kwargs)
    for t in range(5):
        g = rng.standard_normal(37).astype(dtype) * (10.0 if t == 2 else 0.1)
        g[3], g[11] = 0.0, (np.nan if t == 4 else 1e-30)
        a.grad, b.grad = g.copy(), g.copy()
        opt_a.step()
        opt_b.step()
        np.testing.assert_array_equal(a.data, b.data)
        for key in opt_b.state[b]:
            np.testing.assert_array_equal(opt_a.state[a][key], opt_b.state[b][key])
    # the compiled twin's steps after the first take the group in one call where the
    # step is the plain case (no amsgrad or maximize, weight decay none or decoupled)
    plain = (not kwargs.get("amsgrad") and not kwargs.get("maximize")
             and (name == "AdamW" or not kwargs.get("weight_decay")))
    if grouped:
        assert (len(ran), len(ran_group)) == ((1, 4) if plain else (5, 0))
    else:
        assert len(ran) == 5


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_an_adam_group_in_one_call_gives_the_rules_values(monkeypatch, name):
    """The compiled twin's ``_adam_steps`` on parameters of two dtypes and several
    shapes whose step counts differ (one skips a step): the rule's bits, moments and
    step counts; a refused group (a gradient of another dtype) writes nothing and goes
    parameter by parameter."""
    if not _ext.compiled_available("optim"):
        pytest.skip(f"the compiled optim twin is not built; {_ext.BUILD_HINT}")
    rule = optim.Adam._update

    class Rule(getattr(optim, name)):
        def _update(self, param, grad, state, group):
            rule(self, param, grad, state, group)

    rng = np.random.default_rng(10)
    ours, mine = _group_and_copy(rng)
    with lucid.kernels.use("compiled", "optim"):
        ran = _count_calls(monkeypatch, "_adam_steps")
        opt_a, opt_b = getattr(optim, name)(ours, lr=0.01), Rule(mine, lr=0.01)
        for step in range(5):
            for a, b in zip(ours, mine):
                g = rng.standard_normal(a.shape).astype(a.dtype)
                if step == 4 and a.dtype == np.float32:   # float64 for a float32 one
                    g = g.astype(np.float64)
                a.grad, b.grad = g.copy(), g.copy()
            if step == 1:
                ours[2].grad = mine[2].grad = None        # its step count falls behind
            opt_a.step()
            opt_b.step()
            for a, b in zip(ours, mine):
                np.testing.assert_array_equal(a.data, b.data)
                for key in opt_b.state[b]:
                    np.testing.assert_array_equal(opt_a.state[a][key], opt_b.state[b][key])
    assert opt_a.state[ours[2]]["step"] == 4 and opt_a.state[ours[0]]["step"] == 5
    assert len(ran) == 4          # steps 2-5 were offered to it (the last refused)


def test_an_adam_group_call_changes_nothing_unless_it_takes_every_parameter():
    """``_adam_steps`` looks at every argument before it writes: a bad last entry (a
    read-only moment, a step count of 0, a float step) returns False and leaves the
    earlier parameters and moments as they were."""
    if not _ext.compiled_available("optim"):
        pytest.skip(f"the compiled optim twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _optim
    params, grads, (ms, vs), frozen = _refusal_arrays(11, 2)
    before = [a.copy() for a in params + ms + vs]
    cases = [(ms[:2] + [frozen], vs, [1, 1, 1]), (ms, vs, [1, 1, 0]), (ms, vs, [1, 1, 1.0]),
             (ms, vs[:2], [1, 1, 1])]
    for m, v, t in cases:
        assert _optim._adam_steps(params, grads, m, v, t, 0.1, 0.9, 0.999, 1e-8, 0.0,
                                  False) is False
        for now, then in zip(params + ms + vs, before):
            np.testing.assert_array_equal(now, then)
    assert _optim._adam_steps(params, grads, ms, vs, [1, 1, 1], 0.1, 0.9, 0.999, 1e-8,
                              0.1, False) is False      # coupled decay: not its case


def test_a_refused_adam_step_changes_nothing(twin):
    """A hyper-parameter spoiled after construction: the kernel's check names it before
    anything moves; the parameter, its moments and its step count stay as they were."""
    w = lucid.Tensor(np.linspace(-1, 1, 5, dtype=np.float32), requires_grad=True)
    w.grad = np.ones(5, dtype=np.float32)
    opt = optim.AdamW([w], lr=0.1)
    opt.step()
    before = (w.data.copy(), opt.state[w]["exp_avg"].copy(), opt.state[w]["step"])
    opt.param_groups[0]["lr"] = "fast"
    with pytest.raises(TypeError, match="lr must be a float"):
        opt.step()
    np.testing.assert_array_equal(w.data, before[0])
    np.testing.assert_array_equal(opt.state[w]["exp_avg"], before[1])
    assert opt.state[w]["step"] == before[2] == 1


def test_a_replaced_rule_runs_instead_of_the_kernel(monkeypatch):
    """A subclass's (or a course exercise's) ``_update`` is what runs."""
    calls = []

    class Logged(optim.SGD):
        def _update(self, param, grad, state, group):
            calls.append(param.shape)
            param -= 1.0

    w = lucid.Tensor([1.0, 2.0], requires_grad=True)
    w.grad = np.ones(2, dtype=np.float32)
    Logged([w], lr=0.1).step()
    assert calls == [(2,)] and w.data.tolist() == [0.0, 1.0]

    monkeypatch.setattr(optim.SGD, "_update", Logged._update)   # what the course does
    v = lucid.Tensor([1.0], requires_grad=True)
    v.grad = np.ones(1, dtype=np.float32)
    optim.SGD([v], lr=0.1).step()
    assert calls == [(2,), (1,)] and v.data.tolist() == [0.0]


def test_a_non_contiguous_gradient_takes_the_rule():
    w = lucid.Tensor(np.arange(6, dtype=np.float64).reshape(2, 3), requires_grad=True)
    w.grad = np.ones((3, 2)).T                       # a transposed (F-ordered) gradient
    opt = optim.Adam([w], lr=0.1)
    opt.step()
    assert_close(w.data, np.arange(6).reshape(2, 3) - 0.1, rtol=1e-7)
    assert opt.state[w]["step"] == 1


# ------------------------------------------------------------------ bad input
def _sgd_good():
    p = np.zeros(4, np.float32)
    return dict(param=p, grad=np.ones(4, np.float32), buf=np.zeros(4, np.float32), lr=0.1,
                momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False, first=True)


def _adam_good():
    z = lambda: np.zeros((2, 3))                                  # noqa: E731
    return dict(param=z(), grad=z(), exp_avg=z(), exp_avg_sq=z(), max_exp_avg_sq=None,
                step=1, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                decoupled=False)


BAD = [
    ("sgd_step", _sgd_good, dict(param=[0.0, 0.0]), TypeError, "param must be a NumPy array"),
    ("sgd_step", _sgd_good, dict(param=np.zeros(4, np.int64)), TypeError, "param must be float32"),
    ("sgd_step", _sgd_good, dict(grad=np.ones(4)), TypeError, "grad must have the dtype of param"),
    ("sgd_step", _sgd_good, dict(grad=np.ones(5, np.float32)), ValueError, "grad must have shape (4,)"),
    ("sgd_step", _sgd_good, dict(buf=None), TypeError, "buf must be a NumPy array"),
    ("sgd_step", _sgd_good, dict(momentum=0.0), ValueError, "buf must be None when momentum is 0"),
    ("sgd_step", _sgd_good, dict(lr="0.1"), TypeError, "lr must be a float"),
    ("sgd_step", _sgd_good, dict(nesterov=1), TypeError, "nesterov must be a bool"),
    ("sgd_step", _sgd_good, dict(param=np.zeros(8, np.float32)[::2]), ValueError,
     "param must be C-contiguous"),
    ("adam_step", _adam_good, dict(step=0), ValueError, "step must be at least 1"),
    ("adam_step", _adam_good, dict(step=1.0), TypeError, "step must be an int"),
    ("adam_step", _adam_good, dict(beta1=1.0), ValueError, "beta1 must be in [0, 1)"),
    ("adam_step", _adam_good, dict(exp_avg=np.zeros((3, 2))), ValueError,
     "exp_avg must have shape (2, 3)"),
    ("adam_step", _adam_good, dict(max_exp_avg_sq=np.zeros((2, 3), np.float32)), TypeError,
     "max_exp_avg_sq must have the dtype of param"),
    ("adam_step", _adam_good, dict(eps=None), TypeError, "eps must be a float"),
    ("adam_step", _adam_good, dict(decoupled="yes"), TypeError, "decoupled must be a bool"),
]


@pytest.mark.parametrize("fn,good,change,error,message", BAD)
def test_bad_input_is_named(twin, fn, good, change, error, message):
    args = {**good(), **change}
    if fn == "sgd_step" and "param" in change and isinstance(change["param"], np.ndarray):
        args["grad"] = np.ones(change["param"].shape, change["param"].dtype)
        args["buf"] = np.zeros(change["param"].shape, change["param"].dtype)
        if change["param"].dtype.kind != "f":
            args["grad"], args["buf"] = np.ones(4, np.float32), np.zeros(4, np.float32)
    with pytest.raises(error, match=f"^{fn}: ") as info:
        getattr(_ext.get("optim"), fn)(**args)
    assert message in str(info.value)


def test_a_read_only_parameter_is_refused(twin):
    args = _sgd_good()
    args["param"].flags.writeable = False
    with pytest.raises(ValueError, match="sgd_step: param must be writeable"):
        _ext.get("optim").sgd_step(**args)


# ------------------------------------------------------------------ the front door
def _long_way(a, how):
    """``a`` as an argument the compiled front door leaves to the checks: a subclass
    view of it, or an unaligned copy (the same values either way)."""
    from tests.helpers import NotPlain, unaligned
    return a.view(NotPlain) if how == "subclass" else unaligned(a)


SGD_DOOR = [dict(momentum=0.0, first=False), dict(momentum=0.9, first=False),
            dict(momentum=0.9, first=True), dict(momentum=0.8, first=False, nesterov=True),
            dict(momentum=0.9, first=False, dampening=1, weight_decay=0.05)]


@pytest.mark.parametrize("how", ["subclass", "unaligned"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", SGD_DOOR)
def test_sgd_step_the_same_bytes_through_the_front_door(dtype, case, how):
    """The compiled sgd_step on plain arrays (its front door: the loop on the data
    pointers) and on the same values the long way (the checks, the memoryview loops)
    leave the same bytes in ``param`` and ``buf``: NaN, infinities and signed zeros in
    the gradient, a small int and a float for the scalars, a read-only gradient."""
    _, compiled = _twins()
    rng = np.random.default_rng(40)
    p = rng.standard_normal((3, 7)).astype(dtype)
    g = rng.standard_normal((3, 7)).astype(dtype)
    g[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    g.flags.writeable = False
    b = rng.standard_normal((3, 7)).astype(dtype) if case["momentum"] else None
    args = {**dict(lr=0.1, dampening=0, weight_decay=0, nesterov=False), **case}
    results = []
    for plain in (True, False):
        pp, bb = p.copy(), (None if b is None else b.copy())
        if plain:
            compiled.sgd_step(pp, g, bb, **args)
        else:
            pl, gl = _long_way(pp, how), _long_way(g, how)
            bl = None if bb is None else _long_way(bb, how)
            compiled.sgd_step(pl, gl, bl, **args)
            pp, bb = np.array(pl), (None if bl is None else np.array(bl))
        results.append((pp.tobytes(), None if bb is None else bb.tobytes()))
    assert results[0] == results[1]
    assert results[0][0] != p.tobytes()                      # the step did something


ADAM_DOOR = [dict(weight_decay=0.0, decoupled=False), dict(weight_decay=0.1, decoupled=True),
             dict(weight_decay=0, decoupled=False), dict(weight_decay=0.1, decoupled=False)]


@pytest.mark.parametrize("how", ["subclass", "unaligned"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ADAM_DOOR)
def test_adam_step_the_same_bytes_through_the_front_door(dtype, case, how):
    """As for SGD: plain arrays (the front door) and the same values the long way leave
    the same bytes in the parameter and both moments over three steps."""
    _, compiled = _twins()
    rng = np.random.default_rng(41)
    p = rng.standard_normal(50).astype(dtype)
    grads = [rng.standard_normal(50).astype(dtype) for _ in range(3)]
    grads[1][:3] = [np.nan, np.inf, -0.0]
    runs = []
    for plain in (True, False):
        state = [p.copy(), np.zeros(50, dtype), np.zeros(50, dtype)]
        if not plain:
            state = [_long_way(a, how) for a in state]
        for t, g in enumerate(grads, start=1):
            compiled.adam_step(state[0], g if plain else _long_way(g, how), state[1],
                               state[2], None, t, 0.01, 0.9, 0.999, 1e-8, **case)
        runs.append(tuple(np.array(a).tobytes() for a in state))
    assert runs[0] == runs[1]
    assert runs[0][0] != p.tobytes()


def test_the_front_door_refuses_what_the_checks_refuse():
    """Arguments the front door leaves get the checks' named errors: a read-only buffer,
    a bool learning rate, an int ``nesterov``; a NumPy-scalar learning rate and a NumPy
    bool ``nesterov`` are accepted the long way (the same bytes), as is an int learning
    rate beyond 2**24; Adam's NaN beta2 and a step past MAX_INT are refused by name."""
    _, compiled = _twins()
    p = np.ones(5, np.float32)
    g = np.full(5, 0.5, np.float32)
    b = np.zeros(5, np.float32)
    b.flags.writeable = False
    with pytest.raises(ValueError, match="sgd_step: buf must be writeable"):
        compiled.sgd_step(p, g, b, 0.1, 0.9, 0.0, 0.0, False, False)
    with pytest.raises(TypeError, match="sgd_step: lr must be a float"):
        compiled.sgd_step(p, g, None, True, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(TypeError, match="sgd_step: nesterov must be a bool"):
        compiled.sgd_step(p, g, None, 0.1, 0.0, 0.0, 0.0, 0, False)
    q1, q2 = p.copy(), p.copy()
    compiled.sgd_step(q1, g, None, 0.25, 0.0, 0.0, 0.0, False, False)
    compiled.sgd_step(q2, g, None, np.float64(0.25), 0.0, 0.0, 0.0, np.bool_(False), False)
    assert q1.tobytes() == q2.tobytes()
    q1, q2 = p.copy(), p.copy()
    compiled.sgd_step(q1, g, None, 1 << 30, 0.0, 0.0, 0.0, False, False)   # the long way
    compiled.sgd_step(q2, g, None, float(1 << 30), 0.0, 0.0, 0.0, False, False)
    assert q1.tobytes() == q2.tobytes()
    z = np.zeros(5, np.float32)
    with pytest.raises(ValueError, match="adam_step: beta2 must be in \\[0, 1\\)"):
        compiled.adam_step(p, g, z, z.copy(), None, 1, 0.1, 0.9, float("nan"), 1e-8, 0.0,
                           False)
    with pytest.raises(ValueError, match="adam_step: step must be at most"):
        compiled.adam_step(p, g, z, z.copy(), None, 1 << 40, 0.1, 0.9, 0.99, 1e-8, 0.0,
                           False)
