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
import math
import types
from collections import Counter
from functools import partial

from lucid._checks import check_bool, check_number, is_int
from lucid.optim.optimizer import Optimizer, check_non_negative

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "ReduceLROnPlateau", "CyclicLR"]


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
        self._step_count = 0
        self._is_initial = True      # the constructor's step: epoch 0
        self.step()
        self._is_initial = False

    def get_lr(self):
        """The learning rates of epoch ``self.last_epoch``, one per group."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr")

    def step(self):
        """Advance one epoch and set every group's ``"lr"`` to the scheduled value."""
        self._step_count += 1
        self.last_epoch += 1
        values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._current_lrs()
        if self.verbose:
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
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"CyclicLR: cycle_momentum=True needs an optimizer with momentum or betas; "
                    f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _per_group("CyclicLR", "base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("CyclicLR", "max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m_max, m_base, group in zip(self.max_momentums, self.base_momentums,
                                                optimizer.param_groups):
                    self._set_momentum(group, m_max)
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

    def _set_momentum(self, group, momentum):
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

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
                self._set_momentum(group, m_max - (m_max - m_base) * scale_factor * scale)
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


def _triangular_scale(x):
    return 1.0


def _triangular2_scale(x):
    return 1 / (2.0 ** (x - 1))


def _exp_range_scale(gamma, x):
    return gamma ** x
