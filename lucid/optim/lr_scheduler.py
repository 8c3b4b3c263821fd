r"""Learning-rate schedulers: change each parameter group's ``"lr"`` as training goes on.

A scheduler wraps an optimizer. Call ``scheduler.step()`` once per epoch (or per batch
for :class:`CyclicLR`), *after* ``optimizer.step()``; it sets ``group["lr"]`` for the next
epoch and :meth:`~LRScheduler.get_last_lr` returns those values. The sequences equal
PyTorch's: the same formulas evaluated in the same order (most schedulers update the
current rate *multiplicatively*, PyTorch's "chainable" form, so that several schedulers
may act on one optimizer).

``last_epoch`` counts the ``step()`` calls; constructing a scheduler performs the first
one (``last_epoch`` becomes 0 and the rate is the initial one).
"""
import bisect
import math
import types
from collections import Counter
from functools import partial

from lucid._checks import check_bool, check_number, is_int
from lucid.optim.optimizer import Optimizer, check_non_negative

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "ConstantLR",
           "LinearLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "ReduceLROnPlateau",
           "CyclicLR", "OneCycleLR", "SequentialLR", "ChainedScheduler"]


def __dir__():
    """``dir(lr_scheduler)`` lists the schedulers, not the helpers this module imports."""
    return sorted(__all__)


def _check_optimizer(owner, optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: optimizer must be a lucid.optim.Optimizer; got {type(optimizer).__name__}")


def _check_positive_int(owner, name, value):
    if not is_int(value) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive integer; got {value!r}")


def _per_group(owner, name, optimizer, value):
    """``value`` for every group: a list of one value per group, or one value for all."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{owner}: {name} has {len(value)} values but the optimizer has "
                f"{len(optimizer.param_groups)} parameter groups"
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


class LRScheduler:
    """Base of the schedulers: initial rates, ``step()``, ``get_last_lr()``, state dicts.

    A subclass defines :meth:`get_lr`, the rates for epoch ``self.last_epoch``.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer whose groups' ``"lr"`` this scheduler sets.
    last_epoch : int, default -1
        The index of the last epoch: -1 to start; a larger value resumes a schedule
        (each group then needs its ``"initial_lr"``, which starting sets).
    verbose : bool, default False
        Print each group's new rate at every step (the original lucid's and PyTorch's
        older option), ``Adjusting learning rate of group 0 to 1.0000e-01.``

    Attributes
    ----------
    last_lr : list of float
        The rates the last ``step()`` set (the original lucid's name for
        :meth:`get_last_lr`).

    Raises
    ------
    TypeError
        ``optimizer`` is not a lucid optimizer.
    KeyError
        Resuming (``last_epoch >= 0``) when a group has no ``"initial_lr"``.
    """

    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1, verbose=False):
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        self.verbose = check_bool(verbose, name, "verbose")
        if not is_int(last_epoch) or last_epoch < -1:
            raise ValueError(f"{name}: last_epoch must be an integer >= -1; got {last_epoch!r}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}: resuming with last_epoch={last_epoch} needs 'initial_lr' in "
                        f"param_groups[{i}]; load the optimizer's state dict first"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """The constructor's step (epoch 0, or the resumed epoch); counts steps from 0."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The learning rates of epoch ``self.last_epoch``, one per group."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr")

    def step(self):
        """Advance one epoch and set every group's ``"lr"`` to the scheduled value."""
        self._step_count += 1
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _restart(self):
        """Jump to epoch 0 (how :class:`SequentialLR` starts a scheduler at its milestone):
        the closed form of epoch 0 where the scheduler has one, else :meth:`get_lr`."""
        self.last_epoch = 0
        closed_form = getattr(self, "_closed_form_lr", None)
        self._set_lrs(closed_form() if closed_form is not None else self.get_lr())

    def _set_lrs(self, values):
        """Set every group's ``"lr"`` to ``values``; remember them (and print them with
        ``verbose``)."""
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._current_lrs()
        if getattr(self, "verbose", False):
            self._report()

    def _report(self, groups=None):
        """``verbose``: print the rates of ``groups`` (default: every group)."""
        for i, lr in enumerate(self._current_lrs()):
            if groups is None or i in groups:
                print(f"Adjusting learning rate of group {i} to {lr:.4e}.")

    @property
    def last_lr(self):
        """The rates the last ``step()`` set, one per group (:meth:`get_last_lr`)."""
        return self.get_last_lr()

    def _current_lrs(self):
        """Every group's ``"lr"`` as it is now, one per group (a list)."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates the last ``step()`` set, one per parameter group (a list)."""
        return list(self._last_lr)

    def state_dict(self):
        """The scheduler's state: every attribute but the optimizer (a dict)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore a state from :meth:`state_dict`."""
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    r"""Set each group's rate to its initial rate times a function of the epoch.

    .. math::

        \gamma_e = \gamma_0 \cdot \lambda(e)

    Parameters
    ----------
    optimizer : Optimizer
    lr_lambda : callable or list of callables
        :math:`\lambda(e)`, a function of the epoch index, or one per group.
    last_epoch : int, default -1
    verbose : bool, default False
        Print the new rates at every step (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        ``lr_lambda`` is not callable.
    ValueError
        A list of ``lr_lambda`` whose length is not the number of groups.

    Notes
    -----
    :meth:`state_dict` keeps the ``__dict__`` of callable objects, not plain functions
    or lambdas (as PyTorch).

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import LambdaLR
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=0.1)
    >>> sched = LambdaLR(opt, lambda epoch: 1 / (epoch + 1))
    >>> for epoch in range(3):
    ...     opt.step()
    ...     sched.step()
    ...     print(f"{sched.get_last_lr()[0]:.4f}")
    0.0500
    0.0333
    0.0250
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1, verbose=False):
        _check_optimizer("LambdaLR", optimizer)
        lambdas = _per_group("LambdaLR", "lr_lambda", optimizer, lr_lambda)
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be callable (a function of the epoch); got {fn!r}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        return [base_lr * fn(self.last_epoch) for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        saved = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for fn, fn_state in zip(self.lr_lambdas, saved):
            if fn_state is not None:
                fn.__dict__.update(fn_state)


class StepLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` every ``step_size`` epochs.

    .. math::

        \gamma_e = \gamma_0 \cdot \text{gamma}^{\lfloor e / \text{step\_size} \rfloor}

    (computed as PyTorch does: the current rate times ``gamma`` at each multiple of
    ``step_size``).

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Period of the decay, in epochs (> 0).
    gamma : float, default 0.1
        Multiplicative factor.
    last_epoch : int, default -1
    verbose : bool, default False
        Print the new rates at every step (see :class:`LRScheduler`).

    Raises
    ------
    ValueError
        ``step_size`` not a positive integer.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import StepLR
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=0.1)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(sched.get_last_lr()[0])
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1, verbose=False):
        _check_positive_int("StepLR", "step_size", step_size)
        check_number(gamma, "StepLR", "gamma", finite=False)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` at each milestone epoch.

    .. math::

        \gamma_e = \gamma_0 \cdot \text{gamma}^{\#\{m \in \text{milestones} : m \le e\}}

    Parameters
    ----------
    optimizer : Optimizer
    milestones : iterable of int
        Epochs at which to decay (a milestone listed twice decays twice).
    gamma : float, default 0.1
    last_epoch : int, default -1
    verbose : bool, default False
        Print the new rates at every step (see :class:`LRScheduler`).

    Raises
    ------
    ValueError
        A milestone that is not a non-negative integer.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import MultiStepLR
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(sched.get_last_lr()[0])
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1, verbose=False):
        milestones = list(milestones)
        for m in milestones:
            if not is_int(m) or m < 0:
                raise ValueError(f"MultiStepLR: milestones must be non-negative integers; got {milestones!r}")
        check_number(gamma, "MultiStepLR", "gamma", finite=False)
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _closed_form_lr(self):
        passed = bisect.bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base_lr * self.gamma ** passed for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` every epoch.

    .. math::

        \gamma_e = \gamma_0 \cdot \text{gamma}^{e}

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
        Multiplicative factor per epoch.
    last_epoch : int, default -1
    verbose : bool, default False
        Print the new rates at every step (see :class:`LRScheduler`).

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import ExponentialLR
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> for epoch in range(3):
    ...     opt.step()
    ...     sched.step()
    >>> sched.get_last_lr()
    [0.125]
    """

    def __init__(self, optimizer, gamma, last_epoch=-1, verbose=False):
        check_number(gamma, "ExponentialLR", "gamma", finite=False)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    r"""Multiply the rate by ``factor`` for the first ``total_iters`` epochs, then restore it.

    .. math::

        \gamma_e = \gamma_0 \cdot \begin{cases} \text{factor} & e < \text{total\_iters} \\
                                                 1 & e \ge \text{total\_iters} \end{cases}

    (computed as PyTorch does: the current rate times ``factor`` at epoch 0 and times
    ``1 / factor`` at epoch ``total_iters``, so it composes with other schedulers). A
    warm-up at a constant low rate.

    Parameters
    ----------
    optimizer : Optimizer
    factor : float, default 1/3
        In :math:`(0, 1]`.
    total_iters : int, default 5
        Epochs at the reduced rate (> 0).
    last_epoch : int, default -1
    verbose : bool, default False
        Print the new rates at every step (see :class:`LRScheduler`).

    Raises
    ------
    ValueError
        ``factor`` outside :math:`(0, 1]`; ``total_iters`` not a positive integer.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import ConstantLR
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = ConstantLR(opt, factor=0.5, total_iters=2)
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(sched.get_last_lr()[0])
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [0.5, 0.5, 1.0, 1.0]
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1, verbose=False):
        check_number(factor, "ConstantLR", "factor", low=0, high=1, low_open=True)
        _check_positive_int("ConstantLR", "total_iters", total_iters)
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _closed_form_lr(self):
        return [base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Change the rate's factor linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs, then keep it.

    .. math::

        \gamma_e = \gamma_0 \left(s + (t - s)\,\frac{\min(e, T)}{T}\right)

    with :math:`s` = ``start_factor``, :math:`t` = ``end_factor``, :math:`T` =
    ``total_iters``. PyTorch computes it recursively, each epoch multiplying the current
    rate by :math:`1 + \frac{t - s}{T s + (e - 1)(t - s)}` (the ratio of consecutive
    factors), so that it composes with other schedulers; lucid evaluates the same
    recursion. The usual linear warm-up.

    Parameters
    ----------
    optimizer : Optimizer
    start_factor : float, default 1/3
        The factor at epoch 0, in :math:`(0, 1]`.
    end_factor : float, default 1.0
        The factor from epoch ``total_iters`` on, in :math:`[0, 1]`.
    total_iters : int, default 5
        Epochs of the change (> 0).
    last_epoch : int, default -1
    verbose : bool, default False
        Print the new rates at every step (see :class:`LRScheduler`).

    Raises
    ------
    ValueError
        A factor outside its interval; ``total_iters`` not a positive integer.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import LinearLR
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1, verbose=False):
        check_number(start_factor, "LinearLR", "start_factor", low=0, high=1, low_open=True)
        check_number(end_factor, "LinearLR", "end_factor", low=0, high=1)
        _check_positive_int("LinearLR", "total_iters", total_iters)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        e, s, t, T = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if e == 0:
            return [lr * s for lr in self._current_lrs()]
        if self._is_initial or e > T:
            return self._current_lrs()
        return [lr * (1.0 + (t - s) / (T * s + (e - 1) * (t - s))) for lr in self._current_lrs()]

    def _closed_form_lr(self):
        s, t, T = self.start_factor, self.end_factor, self.total_iters
        return [base_lr * (s + (t - s) * min(T, self.last_epoch) / T) for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the rate from its initial value to ``eta_min`` along a cosine.

    .. math::

        \gamma_e = \eta_{\min} + \tfrac12(\gamma_0 - \eta_{\min})
                   \left(1 + \cos\frac{e\,\pi}{T_{\max}}\right)

    PyTorch computes it recursively from the previous rate,
    :math:`\gamma_e = \eta_{\min} + (\gamma_{e-1} - \eta_{\min})
    \frac{1 + \cos(e\pi/T_{\max})}{1 + \cos((e-1)\pi/T_{\max})}`, so that other
    schedulers may change the rate too; past :math:`T_{\max}` the cosine continues
    (the rate climbs back). lucid evaluates the same recursion.

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Half-period, in epochs (> 0).
    eta_min : float, default 0.0
        The lowest rate.
    last_epoch : int, default -1
    verbose : bool, default False
        Print the new rates at every step (see :class:`LRScheduler`).

    Raises
    ------
    ValueError
        ``T_max`` not a positive integer.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import CosineAnnealingLR
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=4)
    >>> for epoch in range(4):
    ...     opt.step()
    ...     sched.step()
    ...     print(f"{sched.get_last_lr()[0]:.4f}")
    0.8536
    0.5000
    0.1464
    0.0000
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1, verbose=False):
        _check_positive_int("CosineAnnealingLR", "T_max", T_max)
        check_number(eta_min, "CosineAnnealingLR", "eta_min", finite=False)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        lrs = self._current_lrs()
        if self._is_initial:
            return lrs
        if self._step_count == 1 and e > 0:   # resumed: the closed form
            return [eta_min + (base_lr - eta_min) * (1 + math.cos(e * math.pi / T)) / 2
                    for base_lr in self.base_lrs]
        if (e - 1 - T) % (2 * T) == 0:        # the bottom of the cosine: climb again
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base_lr, lr in zip(self.base_lrs, lrs)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                * (lr - eta_min) + eta_min for lr in lrs]

    def _closed_form_lr(self):
        return [self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing that restarts: SGDR (Loshchilov and Hutter, 2017).

    .. math::

        \gamma_e = \eta_{\min} + \tfrac12(\gamma_0 - \eta_{\min})
                   \left(1 + \cos\frac{T_{cur}\,\pi}{T_i}\right)

    :math:`T_{cur}` counts the epochs since the last restart and :math:`T_i` is the
    length of the current period: the first lasts :math:`T_0` epochs, each next one
    ``T_mult`` times longer; at a restart the rate jumps back to :math:`\gamma_0`.
    ``step(epoch)`` accepts a fractional epoch (``epoch + batch / batches``), to anneal
    within an epoch; :math:`T_{cur}` and :math:`T_i` are then computed from it.

    Parameters
    ----------
    optimizer : Optimizer
    T_0 : int
        Epochs of the first period (> 0).
    T_mult : int, default 1
        Growth of the period at each restart (>= 1).
    eta_min : float, default 0.0
        The lowest rate.
    last_epoch : int, default -1
    verbose : bool, default False
        Print the new rates at every step (see :class:`LRScheduler`).

    Raises
    ------
    ValueError
        ``T_0`` not a positive integer, ``T_mult`` not an integer >= 1; a negative
        ``epoch`` given to ``step``.
    TypeError
        ``eta_min`` or ``epoch`` not a number.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import CosineAnnealingWarmRestarts
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    >>> lrs = []
    >>> for epoch in range(7):
    ...     lrs.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0]
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1, verbose=False):
        name = "CosineAnnealingWarmRestarts"
        _check_positive_int(name, "T_0", T_0)
        if not is_int(T_mult) or T_mult < 1:
            raise ValueError(f"{name}: T_mult must be an integer >= 1; got {T_mult!r}")
        check_number(eta_min, name, "eta_min")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        return [self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base_lr in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or go to ``epoch`` (a number >= 0, fractions allowed)."""
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:           # a restart
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            check_number(epoch, "CosineAnnealingWarmRestarts.step", "epoch", low=0)
            self.T_cur, self.T_i = self._position(epoch)
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())

    def _position(self, epoch):
        r""":math:`(T_{cur}, T_i)` at ``epoch``: the periods before it last
        :math:`T_0 (1 + m + \dots + m^{n-1}) = T_0 (m^n - 1)/(m - 1)` epochs."""
        T_0, m = self.T_0, self.T_mult
        if epoch < T_0:
            return epoch, T_0
        if m == 1:
            return epoch % T_0, self.T_i
        n = int(math.log((epoch / T_0 * (m - 1) + 1), m))
        return epoch - T_0 * (m ** n - 1) / (m - 1), T_0 * m ** n


class ReduceLROnPlateau(LRScheduler):
    r"""Divide the rate when a metric has stopped improving.

    ``step(metric)`` compares ``metric`` with the best value so far. After more than
    ``patience`` epochs without improvement the rate of each group becomes

    .. math::

        \gamma \leftarrow \max(\gamma \cdot \text{factor},\ \text{min\_lr})

    (only when that changes it by more than ``eps``), followed by ``cooldown`` epochs
    in which bad epochs are not counted. "Improving" means, for ``mode="min"``,
    :math:`a < \text{best}(1 - \text{threshold})` (``threshold_mode="rel"``) or
    :math:`a < \text{best} - \text{threshold}` (``"abs"``); mirrored for ``"max"``.

    Parameters
    ----------
    optimizer : Optimizer
    mode : {'min', 'max'}, default 'min'
        Whether the metric should go down (a loss) or up (an accuracy).
    factor : float, default 0.1
        Multiplier of the rate, < 1.
    patience : int, default 10
        Epochs without improvement tolerated before a reduction (>= 0).
    threshold : float, default 1e-4
    threshold_mode : {'rel', 'abs'}, default 'rel'
    cooldown : int, default 0
    min_lr : float or list of float, default 0
        Lower bound of the rate (one per group, or one for all).
    eps : float, default 1e-8
        Smallest change of the rate that is applied.
    verbose : bool, default False
        Print a group's new rate when it is reduced.

    Raises
    ------
    ValueError
        ``factor >= 1``; an unknown ``mode`` or ``threshold_mode``; a negative
        ``patience`` or ``cooldown``; a ``min_lr`` list of the wrong length.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import ReduceLROnPlateau
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> lrs = []
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0]:
    ...     opt.step()
    ...     sched.step(loss)
    ...     lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8, verbose=False):
        _check_optimizer("ReduceLROnPlateau", optimizer)
        self.verbose = check_bool(verbose, "ReduceLROnPlateau", "verbose")
        check_number(factor, "ReduceLROnPlateau", "factor", finite=False)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1; got {factor!r}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if not is_int(value) or value < 0:
                raise ValueError(f"ReduceLROnPlateau: {name} must be an integer >= 0; got {value!r}")
        check_number(threshold, "ReduceLROnPlateau", "threshold", finite=False)
        check_non_negative(eps, "ReduceLROnPlateau", "eps")
        self.factor = factor
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            self.default_min_lr = None
            self.min_lrs = _per_group("ReduceLROnPlateau", "min_lr", optimizer, min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max'; got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs'; got {threshold_mode!r}")
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def step(self, metrics):
        """Record this epoch's metric (a number or a one-element Tensor); reduce if stuck."""
        try:
            current = float(metrics.item() if hasattr(metrics, "item") else metrics)
        except (TypeError, ValueError):
            raise TypeError(f"ReduceLROnPlateau.step: metrics must be a number; got {metrics!r}") from None
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0       # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self):
        if len(self.min_lrs) != len(self.optimizer.param_groups):
            if self.default_min_lr is None:
                raise ValueError(
                    f"ReduceLROnPlateau: the optimizer now has {len(self.optimizer.param_groups)} "
                    f"parameter groups but min_lr has {len(self.min_lrs)} values"
                )
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for i, (group, min_lr) in enumerate(zip(self.optimizer.param_groups, self.min_lrs)):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
                if self.verbose:
                    self._report({i})

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


class CyclicLR(LRScheduler):
    r"""Cycle the rate between ``base_lr`` and ``max_lr`` (Smith, 2017); step it per batch.

    With cycle length :math:`S = S_{up} + S_{down}`, at iteration :math:`e`:

    .. math::

        c &= \lfloor 1 + e / S \rfloor, \qquad x = 1 + e/S - c \in [0, 1) \\
        h &= \begin{cases} x / r & x \le r \\ (x - 1)/(r - 1) & x > r \end{cases}
             \qquad (r = S_{up}/S) \\
        \gamma_e &= \gamma_{base} + (\gamma_{max} - \gamma_{base})\, h\, s

    where the scale :math:`s` is 1 (``"triangular"``), :math:`1/2^{c-1}`
    (``"triangular2"``), :math:`\text{gamma}^{e}` (``"exp_range"``) or ``scale_fn``
    of :math:`c` or :math:`e` (``scale_mode``). With ``cycle_momentum`` the momentum
    (or Adam's :math:`\beta_1`) cycles the opposite way, between ``max_momentum`` and
    ``base_momentum``.

    Parameters
    ----------
    optimizer : Optimizer
    base_lr, max_lr : float or list of float
        The bounds of the cycle (per group, or one for all).
    step_size_up : int, default 2000
        Iterations of the rising half.
    step_size_down : int, optional
        Iterations of the falling half (default: ``step_size_up``).
    mode : {'triangular', 'triangular2', 'exp_range'}, default 'triangular'
    gamma : float, default 1.0
        Base of the ``"exp_range"`` scale.
    scale_fn : callable, optional
        A custom scale; overrides ``mode``.
    scale_mode : {'cycle', 'iterations'}, default 'cycle'
        The argument of ``scale_fn``.
    cycle_momentum : bool, default True
        Also cycle the momentum; the optimizer must have ``momentum`` or ``betas``.
    base_momentum, max_momentum : float or list of float, default 0.8, 0.9
    last_epoch : int, default -1
    verbose : bool, default False
        Print the new rates at every step (see :class:`LRScheduler`).

    Raises
    ------
    ValueError
        Non-positive step sizes; an unknown ``mode`` without ``scale_fn``; an unknown
        ``scale_mode``; ``cycle_momentum`` with an optimizer that has no momentum;
        per-group lists of the wrong length.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import CyclicLR
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
    >>> sched = CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2)
    >>> lrs = []
    >>> for batch in range(6):
    ...     lrs.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [0.1, 0.3, 0.5, 0.3, 0.1, 0.3]
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1,
                 verbose=False):
        _check_optimizer("CyclicLR", optimizer)
        base_lrs = _per_group("CyclicLR", "base_lr", optimizer, base_lr)
        for lr in base_lrs:
            check_non_negative(lr, "CyclicLR", "base_lr")
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("CyclicLR", "max_lr", optimizer, max_lr)
        for lr in self.max_lrs:
            check_non_negative(lr, "CyclicLR", "max_lr")
        _check_positive_int("CyclicLR", "step_size_up", step_size_up)
        if step_size_down is not None:
            _check_positive_int("CyclicLR", "step_size_down", step_size_down)
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(
                "CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range' "
                f"(or give scale_fn); got {mode!r}"
            )
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"CyclicLR: scale_mode must be 'cycle' or 'iterations'; got {scale_mode!r}")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"CyclicLR: scale_fn must be callable; got {scale_fn!r}")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _uses_beta1("CyclicLR", optimizer)
            self.base_momentums = _per_group("CyclicLR", "base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("CyclicLR", "max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m_max, m_base, group in zip(self.max_momentums, self.base_momentums,
                                                optimizer.param_groups):
                    _set_momentum(group, m_max, self.use_beta1)
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch, verbose)
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref = _triangular_scale
            self.scale_mode = "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref = _triangular2_scale
            self.scale_mode = "cycle"
        else:
            self._scale_fn_ref = partial(_exp_range_scale, self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x):
        """The amplitude scale at ``x`` (the cycle or the iteration, by ``scale_mode``)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base_lr + (max_lr - base_lr) * scale_factor * scale
               for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, m_base, m_max in zip(self.optimizer.param_groups, self.base_momentums,
                                            self.max_momentums):
                _set_momentum(group, m_max - (m_max - m_base) * scale_factor * scale, self.use_beta1)
        return lrs

    def state_dict(self):
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = fn.__dict__.copy()
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        fn_state = state.pop("_scale_fn_custom")
        super().load_state_dict(state)
        if fn_state is not None:
            self._scale_fn_custom.__dict__.update(fn_state)
        self._init_scale_fn()


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith and Topsekal, 2018): warm up to ``max_lr``, then anneal far
    below the start; step it per batch.

    Over ``total_steps`` steps the rate goes from :math:`\gamma_{max}/d` (``d`` =
    ``div_factor``) up to :math:`\gamma_{max}` in the first ``pct_start`` of the steps,
    then down to :math:`\gamma_{max}/(d f)` (``f`` = ``final_div_factor``). In a phase
    from step :math:`a` to step :math:`b` going from :math:`u` to :math:`v`, at step
    :math:`e` with :math:`p = (e - a)/(b - a)`:

    .. math::

        \gamma_e = v + \frac{u - v}{2}\,(1 + \cos \pi p) \quad (\text{"cos"}), \qquad
        \gamma_e = u + (v - u)\,p \quad (\text{"linear"})

    The first phase ends at step :math:`\text{pct\_start} \cdot S - 1`, the last at
    :math:`S - 1`. With ``three_phase=True`` the rate first comes back down to the
    start, symmetrically, and only the third phase anneals to the minimum. With
    ``cycle_momentum`` the momentum (or Adam's :math:`\beta_1`) moves the opposite way,
    between ``max_momentum`` and ``base_momentum``.

    Parameters
    ----------
    optimizer : Optimizer
    max_lr : float or list of float
        The peak rate (per group, or one for all).
    total_steps : int, optional
        Steps in the cycle; or give ``epochs`` and ``steps_per_epoch``.
    epochs, steps_per_epoch : int, optional
        ``total_steps = epochs * steps_per_epoch`` when ``total_steps`` is not given.
    pct_start : float, default 0.3
        Fraction of the steps spent warming up, in :math:`[0, 1]`.
    anneal_strategy : {'cos', 'linear'}, default 'cos'
    cycle_momentum : bool, default True
    base_momentum, max_momentum : float or list of float, default 0.85, 0.95
    div_factor : float, default 25.0
        Initial rate = ``max_lr / div_factor``.
    final_div_factor : float, default 1e4
        Final rate = initial rate / ``final_div_factor``.
    three_phase : bool, default False
    last_epoch : int, default -1
    verbose : bool, default False
        Print the new rates at every step (see :class:`LRScheduler`).

    Raises
    ------
    ValueError
        Neither ``total_steps`` nor ``epochs`` and ``steps_per_epoch``, or one not a
        positive integer; ``pct_start`` outside :math:`[0, 1]`; an unknown
        ``anneal_strategy``; ``cycle_momentum`` with an optimizer that has no momentum;
        stepping past ``total_steps``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import OneCycleLR
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
    >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=6, pct_start=0.5,
    ...                    anneal_strategy="linear", div_factor=4.0, final_div_factor=10.0)
    >>> lrs, momenta = [], []
    >>> for batch in range(6):
    ...     lrs.append(round(sched.get_last_lr()[0], 4))
    ...     momenta.append(round(opt.param_groups[0]["momentum"], 4))
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [0.25, 0.625, 1.0, 0.675, 0.35, 0.025]
    >>> momenta
    [0.95, 0.9, 0.85, 0.8833, 0.9167, 0.95]
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1, verbose=False):
        name = "OneCycleLR"
        _check_optimizer(name, optimizer)
        if total_steps is not None:
            _check_positive_int(name, "total_steps", total_steps)
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            _check_positive_int(name, "epochs", epochs)
            _check_positive_int(name, "steps_per_epoch", steps_per_epoch)
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{name}: give total_steps, or epochs and steps_per_epoch")
        check_number(pct_start, name, "pct_start", low=0, high=1)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear'; got {anneal_strategy!r}")
        check_number(div_factor, name, "div_factor", low=0, low_open=True)
        check_number(final_div_factor, name, "final_div_factor", low=0, low_open=True)
        self.three_phase = check_bool(three_phase, name, "three_phase")
        self.anneal_strategy = anneal_strategy
        total = self.total_steps
        warm_end = float(pct_start * total) - 1
        # (last step of the phase, group key of its start rate, of its end rate,
        #  of its start momentum, of its end momentum)
        if three_phase:
            self._phases = [(warm_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (float(2 * pct_start * total) - 2, "max_lr", "initial_lr",
                             "base_momentum", "max_momentum"),
                            (total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [(warm_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        max_lrs = _per_group(name, "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for lr, group in zip(max_lrs, optimizer.param_groups):
                check_non_negative(lr, name, "max_lr")
                group["initial_lr"] = lr / div_factor
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = check_bool(cycle_momentum, name, "cycle_momentum")
        if self.cycle_momentum:
            self.use_beta1 = _uses_beta1(name, optimizer)
            max_momentums = _per_group(name, "max_momentum", optimizer, max_momentum)
            base_momentums = _per_group(name, "base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for m_max, m_base, group in zip(max_momentums, base_momentums, optimizer.param_groups):
                    _set_momentum(group, m_max, self.use_beta1)
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, but total_steps is "
                             f"{self.total_steps} (the cycle is over; make total_steps larger)")
        anneal = _anneal_cos if self.anneal_strategy == "cos" else _anneal_linear
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        _set_momentum(group, anneal(group[m_from], group[m_to], pct), self.use_beta1)
                    break
                start = end
        return lrs


def _anneal_cos(start, end, pct):
    r"""From ``start`` (pct 0) to ``end`` (pct 1) along half a cosine."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _anneal_linear(start, end, pct):
    """From ``start`` (pct 0) to ``end`` (pct 1) along a line."""
    return (end - start) * pct + start


def _uses_beta1(owner, optimizer):
    """True when the optimizer's momentum is Adam's ``betas[0]``, False for ``momentum``;
    a ValueError when it has neither."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            f"{owner}: cycle_momentum=True needs an optimizer with momentum or betas; "
            f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)"
        )
    return "betas" in optimizer.defaults


def _set_momentum(group, momentum, use_beta1):
    """Set a group's momentum (or its ``betas[0]``)."""
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _check_children(owner, schedulers, optimizer):
    """The schedulers a SequentialLR / ChainedScheduler drives: at least one, each a
    scheduler of ``optimizer``, none a ReduceLROnPlateau (its step needs a metric)."""
    schedulers = list(schedulers)
    if not schedulers:
        raise ValueError(f"{owner}: schedulers must hold at least one scheduler; got none")
    for i, sched in enumerate(schedulers):
        if isinstance(sched, ReduceLROnPlateau):
            raise ValueError(f"{owner}: schedulers[{i}] is a ReduceLROnPlateau, whose step needs a "
                             "metric; it cannot be driven by another scheduler")
        if not isinstance(sched, LRScheduler):
            raise TypeError(f"{owner}: schedulers[{i}] must be a learning-rate scheduler; "
                            f"got {type(sched).__name__}")
        if sched.optimizer is not optimizer:
            raise ValueError(f"{owner}: schedulers[{i}] ({type(sched).__name__}) belongs to another "
                             "optimizer; every scheduler must drive the same one")
    return schedulers


def _leaves(scheduler):
    """Every scheduler inside ``scheduler``, through nested SequentialLR / ChainedScheduler."""
    for sched in scheduler._schedulers:
        if hasattr(sched, "_schedulers"):
            yield from _leaves(sched)
        else:
            yield sched


class _SchedulerGroup(LRScheduler):
    """Base of SequentialLR and ChainedScheduler: a scheduler made of ``_schedulers``,
    whose state dict holds theirs."""

    def state_dict(self):
        """Its own state and every scheduler's (a dict)."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        """Restore a state from :meth:`state_dict`, the schedulers' too."""
        state = dict(state_dict)
        children = state.pop("_schedulers")
        self.__dict__.update(state)
        for sched, child in zip(self._schedulers, children):
            sched.load_state_dict(child)


class SequentialLR(_SchedulerGroup):
    r"""Run schedulers one after another: ``schedulers[k]`` from epoch ``milestones[k-1]``.

    At epoch ``milestones[k-1]`` the next scheduler starts from its own epoch 0 (its
    closed form there, from each group's initial rate) and then steps on. The usual use:
    a :class:`LinearLR` warm-up, then a :class:`CosineAnnealingLR`. Build the
    schedulers on the optimizer first; SequentialLR undoes the step their constructors
    took and restarts the first one.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer every scheduler drives.
    schedulers : list of LRScheduler
        At least one; not :class:`ReduceLROnPlateau`.
    milestones : list of int
        ``len(schedulers) - 1`` epochs at which to switch, increasing.
    last_epoch : int, default -1

    Raises
    ------
    TypeError
        ``optimizer`` not an optimizer; an entry of ``schedulers`` not a scheduler.
    ValueError
        No schedulers; a ReduceLROnPlateau; a scheduler of another optimizer; a
        SequentialLR or ChainedScheduler after the first (PyTorch fails on it at the
        milestone); the wrong number of milestones, or milestones that are not
        increasing non-negative integers.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import ExponentialLR, LinearLR, SequentialLR
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> sched = SequentialLR(opt, schedulers=[warmup, decay], milestones=[2])
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.last_lr[0])
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        name = "SequentialLR"
        _check_optimizer(name, optimizer)
        schedulers = _check_children(name, schedulers, optimizer)
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{name}: milestones must hold one epoch fewer than schedulers "
                             f"({len(schedulers) - 1}); got {len(milestones)}")
        for k, sched in enumerate(schedulers[1:], start=1):
            if hasattr(sched, "_schedulers"):
                raise ValueError(f"{name}: schedulers[{k}] is a {type(sched).__name__}, which cannot "
                                 "restart at a milestone; only the first may combine schedulers")
        if any(not is_int(m) or m < 0 for m in milestones) or milestones != sorted(milestones):
            raise ValueError(f"{name}: milestones must be increasing non-negative integers; got {milestones!r}")
        if not is_int(last_epoch) or last_epoch < -1:
            raise ValueError(f"{name}: last_epoch must be an integer >= -1; got {last_epoch!r}")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for sched in _leaves(self):              # undo the step each constructor took
            sched.last_epoch -= 1
        first = self._schedulers[bisect.bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self):
        """Advance one epoch: step the scheduler of this epoch, or start the next one."""
        self.last_epoch += 1
        k = bisect.bisect_right(self._milestones, self.last_epoch)
        sched = self._schedulers[k]
        if k > 0 and self._milestones[k - 1] == self.last_epoch:
            sched._restart()
        else:
            sched.step()
        self._last_lr = sched.get_last_lr()


class ChainedScheduler(_SchedulerGroup):
    r"""Step several schedulers at once: each ``step()`` steps every one, in order.

    The schedulers compose because each updates the *current* rate (they are
    "chainable"): :class:`ConstantLR` for a warm-up combined with
    :class:`ExponentialLR`, for example, multiplies the two factors.

    Parameters
    ----------
    schedulers : list of LRScheduler
        At least one, all of the same optimizer; not :class:`ReduceLROnPlateau`.
    optimizer : Optimizer, optional
        Default: the first scheduler's.

    Raises
    ------
    TypeError
        An entry of ``schedulers`` not a scheduler.
    ValueError
        No schedulers; a ReduceLROnPlateau; schedulers of different optimizers.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> from lucid.optim.lr_scheduler import ChainedScheduler, ConstantLR, ExponentialLR
    >>> opt = SGD([lucid.Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=2),
    ...                           ExponentialLR(opt, gamma=0.5)])
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(sched.last_lr[0])
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [0.5, 0.25, 0.25, 0.125]
    """

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers) if hasattr(schedulers, "__iter__") else schedulers
        if not isinstance(schedulers, list):
            raise TypeError(f"ChainedScheduler: schedulers must be a list of schedulers; "
                            f"got {type(schedulers).__name__}")
        if optimizer is None and schedulers:
            optimizer = getattr(schedulers[0], "optimizer", None)
        if optimizer is not None:
            _check_optimizer("ChainedScheduler", optimizer)
        self._schedulers = _check_children("ChainedScheduler", schedulers, optimizer)
        self.optimizer = optimizer
        self._last_lr = self._current_lrs()

    def step(self):
        """Step every scheduler, in order."""
        for sched in self._schedulers:
            sched.step()
        self._last_lr = self._current_lrs()


def _triangular_scale(x):
    return 1.0


def _triangular2_scale(x):
    return 1 / (2.0 ** (x - 1))


def _exp_range_scale(gamma, x):
    return gamma ** x
