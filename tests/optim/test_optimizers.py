"""lucid.optim optimizers: 100 steps equal PyTorch's (float64, 1e-10 relative), the
Optimizer base (groups, closure, zero_grad, state_dict round trips, repr) and bad input.

The problem: a small least-squares fit, loss = 0.5/n * ||X W + b - Y||^2. Its gradient is
computed in NumPy from each side's *own* current parameters and assigned to ``.grad``,
so lucid and torch are driven by the same deterministic gradient function.
"""
import numpy as np
import pytest

import lucid
from lucid import optim
from lucid.testing import assert_close

from tests.conftest import torch

needs_torch = pytest.mark.torch

_rng = np.random.default_rng(0)
X = _rng.standard_normal((16, 4))
Y = _rng.standard_normal((16, 3))
W0 = _rng.standard_normal((4, 3))
B0 = _rng.standard_normal(3)


def lsq_grads(w, b):
    """Gradients of 0.5/n * ||X w + b - Y||^2 with respect to w and b."""
    r = (X @ w + b - Y) / len(X)
    return X.T @ r, r.sum(axis=0)


@pytest.fixture
def torch64(torch):
    """torch with float64 as its default dtype, so that torch's scalar optimizer state
    (step counts, NAdam's mu_product, ASGD's eta and mu) is float64, like lucid's Python
    floats; restored afterwards."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.1, amsgrad=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, momentum=0.9, centered=True, alpha=0.9)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-4, 0.2))),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=30, weight_decay=0.1)),
]


def _run_both(name, kwargs, torch_mod, groups=False, steps=100):
    lw = lucid.Tensor(W0, requires_grad=True)
    lb = lucid.Tensor(B0, requires_grad=True)
    tw = torch_mod.tensor(W0, requires_grad=True)
    tb = torch_mod.tensor(B0, requires_grad=True)
    if groups:   # the bias gets its own learning rate
        lparams = [{"params": [lw]}, {"params": [lb], "lr": kwargs["lr"] / 2}]
        tparams = [{"params": [tw]}, {"params": [tb], "lr": kwargs["lr"] / 2}]
    else:
        lparams, tparams = [lw, lb], [tw, tb]
    lopt = getattr(optim, name)(lparams, **kwargs)
    topt = getattr(torch_mod.optim, name)(tparams, foreach=False, **kwargs)
    for _ in range(steps):
        lopt.zero_grad()
        lw.grad, lb.grad = lsq_grads(lw.data, lb.data)
        lopt.step()
        topt.zero_grad()
        gw, gb = lsq_grads(tw.detach().numpy(), tb.detach().numpy())
        tw.grad, tb.grad = torch_mod.tensor(gw), torch_mod.tensor(gb)
        topt.step()
    return (lw, lb), (tw, tb)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_100_steps_equal_torch(name, kwargs, torch64):
    (lw, lb), (tw, tb) = _run_both(name, kwargs, torch64)
    assert not np.allclose(lw.data, W0), "the optimizer did not move the parameters"
    assert_close(lw, tw.detach().numpy(), rtol=1e-10, atol=0)
    assert_close(lb, tb.detach().numpy(), rtol=1e-10, atol=0)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_param_groups_equal_torch(name, torch64):
    kwargs = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.01),
              "RMSprop": dict(lr=0.01)}[name]
    (lw, lb), (tw, tb) = _run_both(name, kwargs, torch64, groups=True)
    assert_close(lw, tw.detach().numpy(), rtol=1e-10, atol=0)
    assert_close(lb, tb.detach().numpy(), rtol=1e-10, atol=0)


def test_defaults_match_torch(torch64):
    import inspect
    original_only = {("ASGD", "momentum")}     # the original lucid's (0: PyTorch's rule)
    for name in optim.__all__:
        cls = getattr(optim, name)
        if not isinstance(cls, type) or cls is optim.Optimizer:
            continue
        ours = inspect.signature(cls).parameters
        theirs = inspect.signature(getattr(torch64.optim, name)).parameters
        for arg, p in ours.items():
            if arg != "params" and (name, arg) not in original_only:
                assert arg in theirs, f"{name}: torch has no argument {arg!r}"
                assert p.default == theirs[arg].default, f"{name}.{arg}: {p.default} != {theirs[arg].default}"


# ------------------------------------------------------------------------ the base
def _param(values=(1.0, -2.0), dtype=np.float64):
    return lucid.Tensor(np.array(values, dtype=dtype), requires_grad=True)


def test_sgd_one_step_by_hand():
    w = _param()
    opt = optim.SGD([w], lr=0.1, weight_decay=0.5)
    w.grad = np.array([1.0, 1.0])
    opt.step()
    # w - lr * (g + wd * w)
    assert_close(w, np.array([1.0, -2.0]) - 0.1 * (np.array([1.0, 1.0]) + 0.5 * np.array([1.0, -2.0])))


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad", "Rprop"])
def test_float32_parameters_stay_float32(name):
    w = _param(dtype=np.float32)
    opt = getattr(optim, name)([w], lr=0.1)
    for _ in range(3):
        w.grad = w.data.copy()
        opt.step()
    assert w.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[w].values() if isinstance(v, np.ndarray))
    assert abs(w.data[0]) < 1.0


def test_parameters_without_grad_are_skipped():
    w, b = _param(), _param((3.0,))
    opt = optim.Adam([w, b], lr=0.1)
    w.grad = np.ones(2)
    opt.step()
    assert_close(b, np.array([3.0]))
    assert b not in opt.state and w in opt.state


def test_closure_returns_loss_and_runs_with_grad():
    w = _param()
    opt = optim.SGD([w], lr=0.1)
    seen = []

    def closure():
        opt.zero_grad()
        seen.append(lucid.grad_enabled())
        loss = (w * w).sum()
        loss.backward()
        return loss

    with lucid.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert float(loss.item()) == 5.0
    assert_close(w, np.array([1.0, -2.0]) * (1 - 0.2))


def test_zero_grad():
    w = _param()
    opt = optim.SGD([w], lr=0.1)
    w.grad = np.ones(2)
    opt.zero_grad(set_to_none=False)
    assert_close(w.grad, np.zeros(2))
    opt.zero_grad()
    assert w.grad is None


def test_add_param_group_fills_defaults():
    w, b = _param(), _param((3.0,))
    opt = optim.Adam([w], lr=0.1, betas=(0.8, 0.9))
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["betas"] == (0.8, 0.9)
    assert opt.param_groups[1]["params"][0] is b


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.05, amsgrad=True)),
                                         ("NAdam", dict(lr=0.05)), ("ASGD", dict(lr=0.05, t0=5)),
                                         ("Adagrad", dict(lr=0.1)), ("Rprop", dict())])
def test_state_dict_round_trip_continues_identically(name, kwargs):
    def train(opt, w, b, steps):
        for _ in range(steps):
            w.grad, b.grad = lsq_grads(w.data, b.data)
            opt.step()

    w, b = lucid.Tensor(W0, requires_grad=True), lucid.Tensor(B0, requires_grad=True)
    straight = getattr(optim, name)([w, b], **kwargs)
    train(straight, w, b, 20)

    w2, b2 = lucid.Tensor(W0, requires_grad=True), lucid.Tensor(B0, requires_grad=True)
    first = getattr(optim, name)([w2, b2], **kwargs)
    train(first, w2, b2, 10)
    saved = first.state_dict()
    w3, b3 = lucid.Tensor(w2.data, requires_grad=True), lucid.Tensor(b2.data, requires_grad=True)
    assert set(saved["state"]) == {0, 1} and saved["param_groups"][0]["params"] == [0, 1]
    train(first, w2, b2, 1)   # the saved arrays are copies: later steps leave them alone
    fresh = getattr(optim, name)([w3, b3], **kwargs)
    fresh.load_state_dict(saved)
    train(fresh, w3, b3, 10)
    assert_close(w3, w.data, rtol=1e-14, atol=0)
    assert_close(b3, b.data, rtol=1e-14, atol=0)


def test_load_state_dict_mismatch():
    w, b = _param(), _param((3.0,))
    saved = optim.SGD([w, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="SGD.load_state_dict: group 0 has 1 parameters, the saved group 2"):
        optim.SGD([w], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="2 parameter groups, the optimizer 1"):
        optim.SGD([w], lr=0.1).load_state_dict(
            optim.SGD([{"params": [w]}, {"params": [b]}], lr=0.1).state_dict())
    with pytest.raises(TypeError, match="'state' and 'param_groups'"):
        optim.SGD([w], lr=0.1).load_state_dict({"state": {}})


@needs_torch
def test_state_dict_layout_and_repr_like_torch():
    w = _param()
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    tw = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    topt = torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    w.grad, tw.grad = np.ones(2), torch.ones(2, dtype=torch.float64)
    opt.step()
    topt.step()
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert set(ours) == set(theirs)
    assert set(ours["state"][0]) == set(theirs["state"][0])
    assert ours["param_groups"][0]["params"] == theirs["param_groups"][0]["params"]
    assert {"lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"} \
        <= set(ours["param_groups"][0])
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text and "    momentum: 0.9\n" in text


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("cls,kwargs,message", [
    (optim.SGD, dict(lr=-0.1), r"SGD: lr must be a number >= 0; got -0.1"),
    (optim.SGD, dict(momentum=-0.5), r"SGD: momentum must be a number >= 0; got -0.5"),
    (optim.SGD, dict(weight_decay=-1e-4), r"SGD: weight_decay must be a number >= 0; got -0.0001"),
    (optim.SGD, dict(nesterov=True), r"SGD: nesterov=True needs momentum > 0 and dampening == 0; got momentum=0"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), r"dampening=0.1"),
    (optim.Adam, dict(lr=-1.0), r"Adam: lr must be a number >= 0; got -1.0"),
    (optim.Adam, dict(betas=(1.0, 0.999)), r"Adam: betas\[0\] must lie in \[0.0, 1.0\); got 1.0"),
    (optim.AdamW, dict(betas=(0.9, -0.1)), r"AdamW: betas\[1\] must lie in \[0.0, 1.0\); got -0.1"),
    (optim.NAdam, dict(eps=-1e-8), r"NAdam: eps must be a number >= 0; got -1e-08"),
    (optim.NAdam, dict(momentum_decay=-1.0), r"NAdam: momentum_decay must be a number >= 0"),
    (optim.RAdam, dict(weight_decay=-0.1), r"RAdam: weight_decay must be a number >= 0; got -0.1"),
    (optim.Adamax, dict(betas=(0.9, 1.5)), r"Adamax: betas\[1\] must lie in \[0.0, 1.0\); got 1.5"),
    (optim.RMSprop, dict(momentum=-0.9), r"RMSprop: momentum must be a number >= 0; got -0.9"),
    (optim.RMSprop, dict(alpha=-0.9), r"RMSprop: alpha must be a number >= 0; got -0.9"),
    (optim.Rprop, dict(etas=(1.5, 1.2)), r"Rprop: etas must satisfy 0 < etas\[0\] < 1 < etas\[1\]; got \(1.5, 1.2\)"),
    (optim.Rprop, dict(step_sizes=(1.0, 0.1)), r"Rprop: step_sizes must satisfy"),
    (optim.Adagrad, dict(lr_decay=-0.1), r"Adagrad: lr_decay must be a number >= 0; got -0.1"),
    (optim.Adagrad, dict(eps=-1.0), r"Adagrad: eps must be a number >= 0; got -1.0"),
    (optim.Adadelta, dict(rho=1.1), r"Adadelta: rho must lie in \[0.0, 1.0\]; got 1.1"),
    (optim.ASGD, dict(lr=-0.01), r"ASGD: lr must be a number >= 0; got -0.01"),
    (optim.ASGD, dict(weight_decay=-0.01), r"ASGD: weight_decay must be a number >= 0"),
])
def test_bad_hyperparameters(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([_param()], **kwargs)


def test_bad_hyperparameter_in_a_group():
    with pytest.raises(ValueError, match=r"Adam: lr must be a number >= 0; got -0.5"):
        optim.Adam([{"params": [_param()]}, {"params": [_param()], "lr": -0.5}])


@pytest.mark.parametrize("kwargs,message", [
    (dict(lr="0.1"), r"SGD: lr must be a real number; got '0.1'"),
    (dict(lr=None), r"SGD: lr must be a real number; got None"),
])
def test_non_numeric_hyperparameters(kwargs, message):
    with pytest.raises(TypeError, match=message):
        optim.SGD([_param()], **kwargs)


def test_betas_not_a_pair():
    with pytest.raises(TypeError, match=r"Adam: betas must be a pair of numbers; got 0.9"):
        optim.Adam([_param()], betas=0.9)


def test_parameter_given_twice():
    w = _param()
    with pytest.raises(ValueError, match=r"SGD: parameter 1 of shape \(2,\) is given twice"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match=r"Adam: parameter 0 of shape \(2,\) is given twice"):
        optim.Adam([{"params": [w]}, {"params": [w]}])
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="given twice"):
        opt.add_param_group({"params": [w]})


def test_bad_parameters():
    with pytest.raises(ValueError, match=r"SGD: params is an empty list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match=r"Adam: a parameter group has an empty 'params' list"):
        optim.Adam([{"params": []}])
    with pytest.raises(TypeError, match=r"SGD: parameter 0 must have a float dtype; got int64"):
        optim.SGD([lucid.Tensor([1, 2])], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: parameter 0 \(shape \(2,\)\) does not require grad"):
        optim.SGD([lucid.Tensor([1.0, 2.0])], lr=0.1)
    with pytest.raises(TypeError, match=r"SGD: parameter 0 must be a lucid Tensor; got ndarray"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match=r"SGD: params must be an iterable of Tensors or of dicts; got a single Tensor"):
        optim.SGD(_param(), lr=0.1)
    with pytest.raises(TypeError, match=r"SGD: params must be an ordered collection"):
        optim.SGD({_param()}, lr=0.1)
    w = _param()
    with pytest.raises(ValueError, match=r"Adam: parameter 0 \(shape \(2,\)\) is the result of an operation"):
        optim.Adam([w * 2])


def test_gradient_of_wrong_shape():
    w = _param()
    opt = optim.Adam([w])
    w.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"Adam.step: the gradient of a parameter of shape \(2,\) has shape \(3,\)"):
        opt.step()
    assert_close(w, np.array([1.0, -2.0]))


def test_training_loop_through_autograd_equals_torch(torch64):
    """Gradients from lucid's own backward() (a Parameter, a closure) drive Adam as torch's do."""
    from lucid.nn import Parameter

    w = Parameter(W0)
    opt = optim.Adam([w], lr=0.05, amsgrad=True)
    tw = torch64.tensor(W0, requires_grad=True)
    topt = torch64.optim.Adam([tw], lr=0.05, amsgrad=True, foreach=False)
    x, y = lucid.Tensor(X), lucid.Tensor(Y)
    tx, ty = torch64.tensor(X), torch64.tensor(Y)

    def closure():
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        return loss

    def torch_closure():
        topt.zero_grad()
        loss = ((tx @ tw - ty) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(30):
        loss = opt.step(closure)
        tloss = topt.step(torch_closure)
    assert_close(w, tw.detach().numpy(), rtol=1e-10, atol=0)
    assert abs(float(loss.item()) - tloss.item()) <= 1e-10 * abs(tloss.item())
