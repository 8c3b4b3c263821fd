"""lucid.optim.lr_scheduler: every learning-rate sequence equals PyTorch's (100 epochs, two
parameter groups), state dicts resume a schedule, last_epoch resumes as torch, bad input."""
import math

import numpy as np
import pytest

import lucid
from lucid import optim
from lucid.optim import lr_scheduler



@pytest.fixture
def torch_mod(torch):
    return torch


def _param():
    return lucid.Tensor(np.zeros(2), requires_grad=True)


def _optimizers(torch_mod, name="SGD", **kwargs):
    """The same optimizer on both sides, two groups (lr 0.1 and 0.05), no gradients."""
    lucid_opt = getattr(optim, name)([{"params": [_param()]}, {"params": [_param()], "lr": 0.05}],
                                     lr=0.1, **kwargs)
    tp = [torch_mod.zeros(2, requires_grad=True) for _ in range(2)]
    torch_opt = getattr(torch_mod.optim, name)([{"params": [tp[0]]}, {"params": [tp[1]], "lr": 0.05}],
                                               lr=0.1, **kwargs)
    return lucid_opt, torch_opt


def _lr_lambda(epoch):
    return 0.95 ** epoch + 0.01 * math.sin(epoch)


def _second_lambda(epoch):
    return 1.0 / (1 + epoch)


def _metric(epoch):
    """A loss that falls, stalls, wiggles and falls again: plateaus for ReduceLROnPlateau."""
    if epoch < 15:
        return 1.0 / (1 + epoch)
    if epoch < 60:
        return 0.07 + 0.001 * math.sin(epoch)
    return 0.07 - 0.0005 * (epoch - 60)


SCHEDULERS = [
    ("LambdaLR", dict(lr_lambda=_lr_lambda), {}),
    ("LambdaLR", dict(lr_lambda=[_lr_lambda, _second_lambda]), {}),
    ("StepLR", dict(step_size=7), {}),
    ("StepLR", dict(step_size=3, gamma=0.7), {}),
    ("MultiStepLR", dict(milestones=[5, 20, 20, 63], gamma=0.3), {}),
    ("ExponentialLR", dict(gamma=0.97), {}),
    ("CosineAnnealingLR", dict(T_max=30), {}),
    ("CosineAnnealingLR", dict(T_max=17, eta_min=0.001), {}),
    ("ReduceLROnPlateau", dict(), {}),
    ("ReduceLROnPlateau", dict(factor=0.5, patience=3, cooldown=2, threshold=0.01,
                               threshold_mode="abs", min_lr=[0.01, 0.004]), {}),
    ("ReduceLROnPlateau", dict(mode="max", factor=0.3, patience=2, threshold=0.05), {}),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=7), dict(momentum=0.9)),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=5, step_size_down=11,
                      mode="triangular2"), dict(momentum=0.9)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=6, mode="exp_range", gamma=0.98,
                      cycle_momentum=False), {}),
    ("CyclicLR", dict(base_lr=0.001, max_lr=0.01, step_size_up=4, base_momentum=0.85,
                      max_momentum=0.95, scale_fn=_second_lambda, scale_mode="iterations",
                      optimizer="Adam"), {}),
    ("LinearLR", dict(), {}),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.7, total_iters=40), {}),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=60), {}),
    ("CosineAnnealingWarmRestarts", dict(T_0=7), {}),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001), {}),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=100), dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.3], epochs=10, steps_per_epoch=10, pct_start=0.25,
                        anneal_strategy="linear", div_factor=10.0, final_div_factor=100.0),
     dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.2, total_steps=110, three_phase=True, cycle_momentum=False), {}),
    ("OneCycleLR", dict(max_lr=0.01, total_steps=100, base_momentum=0.8, max_momentum=0.9,
                        optimizer="Adam"), {}),
]


def _run(lucid_sched, torch_sched, lucid_opt, torch_opt, name, epochs=100):
    ours, theirs = [lucid_sched.get_last_lr()], [torch_sched.get_last_lr()]
    momenta_ours, momenta_theirs = [], []
    for epoch in range(epochs):
        lucid_opt.step()
        torch_opt.step()
        if name == "ReduceLROnPlateau":
            metric = _metric(epoch) if lucid_sched.mode == "min" else 1.0 - _metric(epoch)
            lucid_sched.step(metric)
            torch_sched.step(metric)
        else:
            lucid_sched.step()
            torch_sched.step()
        ours.append(lucid_sched.get_last_lr())
        theirs.append(torch_sched.get_last_lr())
        momenta_ours.append([g.get("momentum", g.get("betas")) for g in lucid_opt.param_groups])
        momenta_theirs.append([g.get("momentum", g.get("betas")) for g in torch_opt.param_groups])
    return ours, theirs, momenta_ours, momenta_theirs


@pytest.mark.parametrize("name,kwargs,opt_kwargs", SCHEDULERS,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SCHEDULERS)])
def test_sequence_equals_torch(name, kwargs, opt_kwargs, torch_mod):
    kwargs = dict(kwargs)
    opt_name = kwargs.pop("optimizer", "SGD")
    lucid_opt, torch_opt = _optimizers(torch_mod, opt_name, **opt_kwargs)
    lucid_sched = getattr(lr_scheduler, name)(lucid_opt, **kwargs)
    torch_sched = getattr(torch_mod.optim.lr_scheduler, name)(torch_opt, **kwargs)
    ours, theirs, m_ours, m_theirs = _run(lucid_sched, torch_sched, lucid_opt, torch_opt, name)
    assert ours == theirs                      # bit for bit: the same formulas, same order
    assert len({tuple(lrs) for lrs in ours}) > 2, "the schedule never changed the rate"
    assert m_ours == m_theirs
    assert [g["lr"] for g in lucid_opt.param_groups] == ours[-1]


@pytest.mark.parametrize("name,kwargs", [("StepLR", dict(step_size=4, gamma=0.5)),
                                         ("ExponentialLR", dict(gamma=0.9)),
                                         ("CosineAnnealingLR", dict(T_max=10)),
                                         ("MultiStepLR", dict(milestones=[3, 12]))])
def test_resume_with_last_epoch_like_torch(name, kwargs, torch_mod):
    """A scheduler built with last_epoch=k (groups carrying 'initial_lr') continues as torch's."""
    lucid_opt, torch_opt = _optimizers(torch_mod)
    for opt in (lucid_opt, torch_opt):
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
            group["lr"] = group["lr"] * 0.5
    lucid_sched = getattr(lr_scheduler, name)(lucid_opt, last_epoch=8, **kwargs)
    torch_sched = getattr(torch_mod.optim.lr_scheduler, name)(torch_opt, last_epoch=8, **kwargs)
    assert lucid_sched.last_epoch == torch_sched.last_epoch == 9
    ours, theirs, _, _ = _run(lucid_sched, torch_sched, lucid_opt, torch_opt, name, epochs=30)
    assert ours == theirs


def _composite(opt, lr_scheduler_mod, kind):
    """The same SequentialLR / ChainedScheduler built from either library's schedulers."""
    m = lr_scheduler_mod
    if kind == "warmup-cosine":
        return m.SequentialLR(opt, [m.LinearLR(opt, start_factor=0.1, total_iters=10),
                                    m.CosineAnnealingLR(opt, T_max=50, eta_min=0.001)], milestones=[10])
    if kind == "three-stage":
        return m.SequentialLR(opt, [m.ConstantLR(opt, factor=0.5, total_iters=4),
                                    m.ExponentialLR(opt, gamma=0.95),
                                    m.StepLR(opt, step_size=6, gamma=0.5)], milestones=[8, 40])
    if kind == "multistep-after-warmup":
        return m.SequentialLR(opt, [m.LinearLR(opt, start_factor=0.5, total_iters=3),
                                    m.MultiStepLR(opt, milestones=[0, 10, 30], gamma=0.5)],
                              milestones=[5])
    if kind == "warm-restarts-after-constant":
        return m.SequentialLR(opt, [m.ConstantLR(opt, factor=0.2, total_iters=3),
                                    m.CosineAnnealingWarmRestarts(opt, T_0=9, T_mult=2)], milestones=[3])
    if kind == "chained":
        return m.ChainedScheduler([m.ConstantLR(opt, factor=0.25, total_iters=12),
                                   m.ExponentialLR(opt, gamma=0.97),
                                   m.CosineAnnealingLR(opt, T_max=25)])
    if kind == "chained-first-in-sequential":
        return m.SequentialLR(opt, [m.ChainedScheduler([m.StepLR(opt, step_size=5, gamma=0.8),
                                                        m.ExponentialLR(opt, gamma=0.99)]),
                                    m.LinearLR(opt, start_factor=0.3, total_iters=5)],
                              milestones=[20])
    raise AssertionError(kind)


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")   # torch's, at init
@pytest.mark.parametrize("kind", ["warmup-cosine", "three-stage", "multistep-after-warmup",
                                  "warm-restarts-after-constant", "chained", "chained-first-in-sequential"])
def test_composite_sequence_equals_torch(kind, torch_mod):
    lucid_opt, torch_opt = _optimizers(torch_mod)
    ours = _composite(lucid_opt, lr_scheduler, kind)
    theirs = _composite(torch_opt, torch_mod.optim.lr_scheduler, kind)
    a, b, _, _ = _run(ours, theirs, lucid_opt, torch_opt, kind)
    assert a == b
    assert len({tuple(lrs) for lrs in a}) > 5
    assert ours.last_lr == a[-1] == [g["lr"] for g in lucid_opt.param_groups]


def test_constant_lr_equals_torch(torch_mod):
    lucid_opt, torch_opt = _optimizers(torch_mod)
    ours = lr_scheduler.ConstantLR(lucid_opt, factor=0.3, total_iters=7)
    theirs = torch_mod.optim.lr_scheduler.ConstantLR(torch_opt, factor=0.3, total_iters=7)
    a, b, _, _ = _run(ours, theirs, lucid_opt, torch_opt, "ConstantLR", epochs=12)
    assert a == b
    assert a[0] == [0.1 * 0.3, 0.05 * 0.3] and a[6] == a[0] and a[7] == [0.1, 0.05] == a[-1]


@pytest.mark.parametrize("T_mult", [1, 3])
def test_warm_restarts_fractional_epochs_equal_torch(T_mult, torch_mod):
    """step(epoch + batch / batches): the per-batch annealing of the SGDR paper."""
    lucid_opt, torch_opt = _optimizers(torch_mod)
    ours = lr_scheduler.CosineAnnealingWarmRestarts(lucid_opt, T_0=2, T_mult=T_mult, eta_min=0.002)
    theirs = torch_mod.optim.lr_scheduler.CosineAnnealingWarmRestarts(torch_opt, T_0=2, T_mult=T_mult,
                                                                      eta_min=0.002)
    a, b = [], []
    for epoch in range(12):
        for batch in range(5):
            lucid_opt.step()
            torch_opt.step()
            ours.step(epoch + batch / 5)
            theirs.step(epoch + batch / 5)
            a.append(ours.get_last_lr())
            b.append(theirs.get_last_lr())
    assert a == b
    assert ours.last_epoch == theirs.last_epoch and ours.T_cur == theirs.T_cur and ours.T_i == theirs.T_i


def test_one_cycle_past_total_steps():
    opt = optim.SGD([_param()], lr=0.1, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match=r"OneCycleLR: stepped 4 times, but total_steps is 3"):
        sched.step()


def test_sequential_state_dict_resumes():
    def build(opt):
        return lr_scheduler.SequentialLR(opt, [lr_scheduler.LinearLR(opt, start_factor=0.2, total_iters=4),
                                               lr_scheduler.CosineAnnealingLR(opt, T_max=20)],
                                         milestones=[4])

    opt = optim.SGD([_param()], lr=0.1)
    sched = build(opt)
    straight = []
    for _ in range(30):
        opt.step()
        sched.step()
        straight.append(sched.get_last_lr())
    opt1 = optim.SGD([_param()], lr=0.1)
    sched1 = build(opt1)
    for _ in range(10):
        opt1.step()
        sched1.step()
    opt_state, state = opt1.state_dict(), sched1.state_dict()
    assert len(state["_schedulers"]) == 2 and "optimizer" not in state["_schedulers"][0]
    opt2 = optim.SGD([_param()], lr=0.1)
    sched2 = build(opt2)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(state)
    resumed = []
    for _ in range(20):
        opt2.step()
        sched2.step()
        resumed.append(sched2.get_last_lr())
    assert resumed == straight[10:]


def test_last_epoch_counts_steps():
    opt = optim.SGD([_param()], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    assert sched.last_epoch == 0 and opt.param_groups[0]["initial_lr"] == 1.0
    for _ in range(5):
        sched.step()
    assert sched.last_epoch == 5


def test_resume_without_initial_lr():
    opt = optim.SGD([_param()], lr=1.0)
    with pytest.raises(KeyError, match=r"StepLR: resuming with last_epoch=3 needs 'initial_lr' in param_groups\[0\]"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)


class _Warmup:
    """A callable object: its attributes travel in LambdaLR's state dict."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.epochs)


@pytest.mark.parametrize("make", [
    lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=9, eta_min=0.01),
    lambda opt: lr_scheduler.LambdaLR(opt, _Warmup(8)),
    lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[4, 11], gamma=0.5),
    lambda opt: lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2"),
    lambda opt: lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5),
], ids=["cosine", "lambda", "multistep", "cyclic", "plateau"])
def test_state_dict_resumes_the_schedule(make):
    def advance(sched, opt, start, stop):
        lrs = []
        for epoch in range(start, stop):
            opt.step()
            if isinstance(sched, lr_scheduler.ReduceLROnPlateau):
                sched.step(_metric(epoch))
            else:
                sched.step()
            lrs.append(sched.get_last_lr())
        return lrs

    opt = optim.SGD([_param()], lr=0.1, momentum=0.9)
    straight = advance(make(opt), opt, 0, 30)

    opt1 = optim.SGD([_param()], lr=0.1, momentum=0.9)
    sched1 = make(opt1)
    advance(sched1, opt1, 0, 12)
    opt_state, sched_state = opt1.state_dict(), sched1.state_dict()
    assert "optimizer" not in sched_state

    opt2 = optim.SGD([_param()], lr=0.1, momentum=0.9)
    sched2 = make(opt2)            # build first, then load (the scheduler sets the lr)
    if isinstance(sched2, lr_scheduler.LambdaLR):
        sched2.lr_lambdas[0].epochs = 99      # the load restores the callable's attributes
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    assert advance(sched2, opt2, 12, 30) == straight[12:]


def test_get_last_lr_is_a_copy():
    opt = optim.SGD([_param()], lr=0.1)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    sched.get_last_lr()[0] = 123.0
    assert sched.get_last_lr() == [0.1]


def test_plateau_accepts_a_tensor_metric():
    opt = optim.SGD([_param()], lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    sched.step(lucid.Tensor(1.0))
    sched.step(lucid.Tensor(2.0))
    assert sched.get_last_lr() == [0.5]


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("make,error,message", [
    (lambda opt: lr_scheduler.StepLR("sgd", step_size=2), TypeError,
     r"StepLR: optimizer must be a lucid.optim.Optimizer; got str"),
    (lambda opt: lr_scheduler.StepLR(opt, step_size=0), ValueError,
     r"StepLR: step_size must be a positive integer; got 0"),
    (lambda opt: lr_scheduler.StepLR(opt, step_size=2.5), ValueError,
     r"StepLR: step_size must be a positive integer; got 2.5"),
    (lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[3, -1]), ValueError,
     r"MultiStepLR: milestones must be non-negative integers; got \[3, -1\]"),
    (lambda opt: lr_scheduler.ExponentialLR(opt, gamma="0.9"), TypeError,
     r"ExponentialLR: gamma must be a real number; got '0.9'"),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=0), ValueError,
     r"CosineAnnealingLR: T_max must be a positive integer; got 0"),
    (lambda opt: lr_scheduler.LambdaLR(opt, [_lr_lambda, _lr_lambda]), ValueError,
     r"LambdaLR: lr_lambda has 2 values but the optimizer has 1 parameter groups"),
    (lambda opt: lr_scheduler.LambdaLR(opt, 0.5), TypeError,
     r"LambdaLR: lr_lambda must be callable"),
    (lambda opt: lr_scheduler.StepLR(opt, step_size=2, last_epoch=-2), ValueError,
     r"StepLR: last_epoch must be an integer >= -1; got -2"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=1.0), ValueError,
     r"ReduceLROnPlateau: factor must be < 1; got 1.0"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, mode="avg"), ValueError,
     r"ReduceLROnPlateau: mode must be 'min' or 'max'; got 'avg'"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="pct"), ValueError,
     r"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs'; got 'pct'"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, patience=-1), ValueError,
     r"ReduceLROnPlateau: patience must be an integer >= 0; got -1"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2]), ValueError,
     r"ReduceLROnPlateau: min_lr has 2 values but the optimizer has 1 parameter groups"),
    (lambda opt: lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=1.0, mode="sawtooth"), ValueError,
     r"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range' \(or give scale_fn\); got 'sawtooth'"),
    (lambda opt: lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=0), ValueError,
     r"CyclicLR: step_size_up must be a positive integer; got 0"),
    (lambda opt: lr_scheduler.CyclicLR(opt, base_lr=-0.1, max_lr=1.0), ValueError,
     r"CyclicLR: base_lr must be a number >= 0; got -0.1"),
    (lambda opt: lr_scheduler.CyclicLR(optim.Adagrad([_param()]), base_lr=0.1, max_lr=1.0), ValueError,
     r"CyclicLR: cycle_momentum=True needs an optimizer with momentum or betas; Adagrad has neither"),
    (lambda opt: lr_scheduler.ConstantLR(opt, factor=0.0), ValueError,
     r"ConstantLR: factor must lie in \(0, 1\]; got 0.0"),
    (lambda opt: lr_scheduler.ConstantLR(opt, total_iters=0), ValueError,
     r"ConstantLR: total_iters must be a positive integer; got 0"),
    (lambda opt: lr_scheduler.LinearLR(opt, start_factor=1.5), ValueError,
     r"LinearLR: start_factor must lie in \(0, 1\]; got 1.5"),
    (lambda opt: lr_scheduler.LinearLR(opt, end_factor=-0.1), ValueError,
     r"LinearLR: end_factor must lie in \[0, 1\]; got -0.1"),
    (lambda opt: lr_scheduler.LinearLR(opt, total_iters=2.5), ValueError,
     r"LinearLR: total_iters must be a positive integer; got 2.5"),
    (lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0), ValueError,
     r"CosineAnnealingWarmRestarts: T_0 must be a positive integer; got 0"),
    (lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0), ValueError,
     r"CosineAnnealingWarmRestarts: T_mult must be an integer >= 1; got 0"),
    (lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, eta_min="0"), TypeError,
     r"CosineAnnealingWarmRestarts: eta_min must be a real number; got '0'"),
    (lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2).step(-1), ValueError,
     r"CosineAnnealingWarmRestarts.step: epoch must be a number >= 0; got -1"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=1.0), ValueError,
     r"OneCycleLR: give total_steps, or epochs and steps_per_epoch"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=0), ValueError,
     r"OneCycleLR: total_steps must be a positive integer; got 0"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=1.0, epochs=2, steps_per_epoch=-1), ValueError,
     r"OneCycleLR: steps_per_epoch must be a positive integer; got -1"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=9, pct_start=1.2), ValueError,
     r"OneCycleLR: pct_start must lie in \[0, 1\]; got 1.2"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=9, anneal_strategy="exp"),
     ValueError, r"OneCycleLR: anneal_strategy must be 'cos' or 'linear'; got 'exp'"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=9), ValueError,
     r"OneCycleLR: max_lr has 2 values but the optimizer has 1 parameter groups"),
    (lambda opt: lr_scheduler.OneCycleLR(optim.Adagrad([_param()]), max_lr=1.0, total_steps=9),
     ValueError, r"OneCycleLR: cycle_momentum=True needs an optimizer with momentum or betas; "
                 r"Adagrad has neither"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [], milestones=[]), ValueError,
     r"SequentialLR: schedulers must hold at least one scheduler; got none"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2), "cosine"], milestones=[3]),
     TypeError, r"SequentialLR: schedulers\[1\] must be a learning-rate scheduler; got str"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.ReduceLROnPlateau(opt)], milestones=[]),
     ValueError, r"SequentialLR: schedulers\[0\] is a ReduceLROnPlateau, whose step needs a metric"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(optim.SGD([_param()], lr=0.1), 2)],
                                           milestones=[]),
     ValueError, r"SequentialLR: schedulers\[0\] \(StepLR\) belongs to another optimizer"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2)] * 2, milestones=[]),
     ValueError, r"SequentialLR: milestones must hold one epoch fewer than schedulers \(1\); got 0"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2)] * 3, milestones=[5, 2]),
     ValueError, r"SequentialLR: milestones must be increasing non-negative integers; got \[5, 2\]"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2), lr_scheduler.ChainedScheduler(
        [lr_scheduler.StepLR(opt, 2)])], milestones=[3]), ValueError,
     r"SequentialLR: schedulers\[1\] is a ChainedScheduler, which cannot restart at a milestone"),
    (lambda opt: lr_scheduler.ChainedScheduler([]), ValueError,
     r"ChainedScheduler: schedulers must hold at least one scheduler; got none"),
    (lambda opt: lr_scheduler.ChainedScheduler(5), TypeError,
     r"ChainedScheduler: schedulers must be a list of schedulers; got int"),
])
def test_bad_input(make, error, message):
    opt = optim.SGD([_param()], lr=0.1)
    with pytest.raises(error, match=message):
        make(opt)


def test_plateau_bad_metric():
    sched = lr_scheduler.ReduceLROnPlateau(optim.SGD([_param()], lr=0.1))
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau.step: metrics must be a number; got 'low'"):
        sched.step("low")


def test_dir_lists_the_schedulers_only():
    assert dir(lr_scheduler) == sorted(lr_scheduler.__all__)
