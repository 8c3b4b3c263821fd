"""``Optimizer``: the base of every lucid optimizer (parameter groups, state, steps).

An optimizer holds *parameter groups*: lists of parameters (Tensors that require grad)
that share hyper-parameters such as the learning rate. ``step()`` walks every parameter
that has a gradient and applies the optimizer's *update rule* to its values in place.
A subclass supplies three small methods, one parameter at a time (as PyTorch's
single-tensor, ``foreach=False``, implementations do):

* ``_check_group(group)`` -- validate the hyper-parameters of one group;
* ``_init_state(param, state, group)`` -- fill the per-parameter state (moment
  buffers, step count, ...) before the first update;
* ``_update(param, grad, state, group)`` -- the update rule itself, on NumPy arrays:
  ``param`` is ``p.data`` (changed in place), ``grad`` is ``p.grad`` (never changed).

The checks below (``check_non_negative`` ...) are shared by every optimizer so that a
bad hyper-parameter always gets the same kind of message:
``Adam: lr must be a number >= 0; got -0.1``; so is ``apply_weight_decay``, the
:math:`g \\leftarrow g + \\lambda\\theta` step that most update rules begin with.
"""
import copy

import numpy as np

from lucid._checks import check_number
from lucid._tensor import Tensor
from lucid.autograd.grad_mode import enable_grad, no_grad
from lucid.autograd.inplace import note_write

__all__ = ["Optimizer"]


# --------------------------------------------------------------------------- checks
# Hyper-parameters are checked with lucid._checks.check_number (value, owner, name, ...);
# infinities are allowed, as in PyTorch (lr=inf is odd, not wrong).
def check_non_negative(value, owner, name):
    """A real number ``>= 0`` (infinity allowed); returns it unchanged."""
    check_number(value, owner, name, low=0, finite=False)
    return value


def check_pair(value, owner, name):
    """A pair (tuple or list of two items), returned as a tuple."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{owner}: {name} must be a pair of numbers; got {value!r}")
    return tuple(value)


def check_betas(betas, owner):
    """A pair ``(beta1, beta2)`` with both in ``[0, 1)``."""
    beta1, beta2 = check_pair(betas, owner, "betas")
    check_number(beta1, owner, "betas[0]", 0.0, 1.0, high_open=True)
    check_number(beta2, owner, "betas[1]", 0.0, 1.0, high_open=True)


def apply_weight_decay(param, grad, group, decoupled=False):
    r"""Apply the group's weight decay :math:`\lambda`; return the gradient to use.

    Coupled (an L2 penalty): :math:`g \leftarrow g + \lambda\theta`. Decoupled (AdamW):
    :math:`\theta \leftarrow \theta (1 - \gamma\lambda)` in place, ``grad`` unchanged.
    """
    weight_decay = group["weight_decay"]
    if weight_decay == 0:
        return grad
    if decoupled:
        param *= 1 - group["lr"] * weight_decay
        return grad
    return grad + weight_decay * param


# ------------------------------------------------------------------ fused steps
# lucid's own update rules that also exist as a kernel (lucid._ext.optim: one pass over
# each parameter's arrays in the compiled twin): the rule function -> the step calling
# that kernel, with the rule's signature and values. A rule replaced by a subclass (or
# by a course exercise) is not in here, so its own code runs.
_FUSED = {}


def fuse(cls, step):
    """Run ``step(optimizer, param, grad, state, group)`` in place of ``cls._update``
    while ``cls._update`` is the rule it was registered with."""
    _FUSED[cls.__dict__["_update"]] = step


# Rules whose kernel also takes a whole group in one call: the rule -> a function
# ``step(optimizer, group)`` that returns True when it stepped every parameter of the
# group, False (having changed nothing) to leave the group to the loop over parameters.
_FUSED_GROUPS = {}


def fuse_group(cls, step):
    """Try ``step(optimizer, group)`` first for each group while ``cls._update`` is the
    rule it was registered with (see ``_FUSED_GROUPS``)."""
    _FUSED_GROUPS[cls.__dict__["_update"]] = step


def contiguous(*arrays):
    """Whether every array is C-contiguous (what the optimizer kernels take)."""
    return all(a.flags.c_contiguous for a in arrays)


# ------------------------------------------------------------------------ the base
class Optimizer:
    r"""Base class of lucid's optimizers: parameter groups, per-parameter state, steps.

    Every optimizer updates each parameter :math:`\theta` from its gradient
    :math:`g = \partial L / \partial \theta`, in place and without recording a graph:

    .. math::

        \theta_t = \theta_{t-1} - \text{update}(g_t, \text{state}_{t-1}, \text{group})

    where the update rule is the subclass's and ``group`` holds the hyper-parameters
    of the parameter's group. Parameters whose ``.grad`` is None are skipped.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters (leaf Tensors with ``requires_grad=True`` and a float dtype),
        or parameter groups: dicts with a ``"params"`` entry and any hyper-parameters
        that override ``defaults`` for that group. No parameter may appear twice.
    defaults : dict
        The hyper-parameters of groups that do not set their own.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group: ``"params"`` (a list of Tensors) and its hyper-parameters.
    state : dict
        Per-parameter state (keyed by the parameter Tensor), filled by ``step()``.
    defaults : dict

    Raises
    ------
    TypeError
        ``params`` is a single Tensor or a set; a parameter is not a float Tensor.
    ValueError
        ``params`` is empty; a parameter does not require grad, is not a leaf or is
        given twice; a hyper-parameter is out of range.

    Examples
    --------
    >>> import lucid
    >>> from lucid.optim import SGD
    >>> w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    >>> b = lucid.Tensor([0.5], requires_grad=True)
    >>> opt = SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    >>> w.grad = w.data * 2          # d/dw of sum(w**2)
    >>> b.grad = b.data.copy()
    >>> opt.step()
    >>> print(w)
    Tensor([0.8, -1.6], requires_grad=True)
    >>> print(b)
    Tensor([0.25], requires_grad=True)
    >>> opt.zero_grad()
    >>> w.grad is None
    True
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self._check_group(self.defaults)
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self._name}: params must be an iterable of Tensors or of dicts; got a "
                f"single Tensor of shape {params.shape} (wrap it in a list: [param])"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{self._name}: params must be an ordered collection (a list), not a set")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                f"{self._name}: params must be an iterable of Tensors or of dicts; "
                f"got {type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError(f"{self._name}: params is an empty list; give at least one parameter")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.state = {}
        self.param_groups = []
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self):
        return type(self).__name__

    # -------------------------------------------------------------- subclass hooks
    def _check_group(self, group):
        """Validate the hyper-parameters of ``group`` (a dict); raise on bad values."""

    def _init_state(self, param, state, group):
        """Fill ``state`` (an empty dict) for ``param`` before its first update."""

    def _update(self, param, grad, state, group):
        """Apply the update rule to ``param`` (an ndarray, changed in place)."""
        raise NotImplementedError(f"{self._name} does not define an update rule (_update)")

    # ------------------------------------------------------------------ the groups
    def add_param_group(self, param_group):
        """Add a group of parameters, with its own hyper-parameters.

        Parameters
        ----------
        param_group : dict
            ``"params"``: a Tensor or a list of Tensors; any other entry overrides the
            optimizer's default of that name for this group.

        Raises
        ------
        TypeError, ValueError
            As for the constructor; also when a parameter already belongs to a group.

        Examples
        --------
        >>> import lucid
        >>> from lucid.optim import SGD
        >>> w = lucid.Tensor([1.0], requires_grad=True)
        >>> b = lucid.Tensor([2.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.1)
        >>> opt.add_param_group({"params": b, "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        name = self._name
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}: a parameter group must be a dict with a 'params' entry; "
                f"got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group must have a 'params' entry; got keys {sorted(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: the params of a group must be an ordered collection (a list), not a set")
        else:
            params = list(params)
        if not params:
            raise ValueError(f"{name}: a parameter group has an empty 'params' list")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for i, p in enumerate(params):
            self._check_param(i, p)
            if id(p) in seen:
                raise ValueError(
                    f"{name}: parameter {i} of shape {p.shape} is given twice "
                    "(each parameter may appear once, in one group)"
                )
            seen.add(id(p))
        group = dict(param_group)
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_param(self, i, p):
        if not isinstance(p, Tensor):
            raise TypeError(f"{self._name}: parameter {i} must be a lucid Tensor; got {type(p).__name__}")
        if p.dtype.kind != "f":
            raise TypeError(f"{self._name}: parameter {i} must have a float dtype; got {p.dtype}")
        if not p.requires_grad:
            raise ValueError(
                f"{self._name}: parameter {i} (shape {p.shape}) does not require grad; "
                "create it with requires_grad=True"
            )
        if not p.is_leaf:
            raise ValueError(
                f"{self._name}: parameter {i} (shape {p.shape}) is the result of an operation, "
                "not a leaf; optimise the leaf tensors it was computed from"
            )

    # ------------------------------------------------------------------- stepping
    def step(self, closure=None):
        """Apply one update to every parameter that has a gradient.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss (it usually calls
            ``zero_grad()``, computes the loss and calls ``backward()``). It runs with
            grad mode on, before the update.

        Returns
        -------
        The closure's loss, or None without a closure.

        Raises
        ------
        ValueError
            A parameter's ``.grad`` does not have the parameter's shape.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        update = _FUSED.get(type(self)._update)
        whole = _FUSED_GROUPS.get(type(self)._update)
        with no_grad():
            for group in self.param_groups:
                if whole is not None and whole(self, group):
                    continue                 # every parameter in one kernel call
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = self._checked_grad(p)
                    if group.get("maximize", False):
                        grad = -grad
                    state = self.state.setdefault(p, {})
                    if not state:
                        self._init_state(p.data, state, group)
                    if update is None:
                        self._update(p.data, grad, state, group)
                    else:
                        update(self, p.data, grad, state, group)
                    note_write(p.data)   # graphs that saved p's old values now refuse backward
        return loss

    def _checked_grad(self, p):
        grad = np.asarray(p.grad, dtype=p.dtype)   # a no-op for a gradient of p's dtype
        if grad.shape != p.shape:
            raise ValueError(
                f"{self._name}.step: the gradient of a parameter of shape {p.shape} has "
                f"shape {grad.shape}; a gradient must have its parameter's shape"
            )
        return grad

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient: set ``.grad`` to None (or fill it with 0).

        Parameters
        ----------
        set_to_none : bool, default True
            True: ``.grad = None`` (PyTorch's default). False: zero the arrays in place.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad[...] = 0

    # ---------------------------------------------------------------- state dicts
    def state_dict(self):
        """Return the optimizer's state as a dict of copies, PyTorch's layout.

        Returns
        -------
        dict
            ``"state"``: ``{index: {name: value}}``, one entry per parameter that has
            state, where ``index`` counts parameters across groups in order (arrays are
            copies); ``"param_groups"``: the groups with ``"params"`` as index lists.

        Examples
        --------
        >>> import lucid
        >>> from lucid.optim import SGD
        >>> w = lucid.Tensor([1.0, 2.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> w.grad = w.data.copy()
        >>> opt.step()
        >>> sd = opt.state_dict()
        >>> sd["param_groups"][0]["params"], sorted(sd["state"][0])
        ([0], ['momentum_buffer'])
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore the state saved by :meth:`state_dict` (onto this optimizer's parameters).

        Groups are matched in order and must hold as many parameters as the saved ones.
        Arrays are copied and cast to their parameter's dtype.

        Raises
        ------
        TypeError, ValueError
            ``state_dict`` is not such a dict, or its groups or arrays do not match.
        """
        name = self._name
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise TypeError(
                f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' "
                f"(from state_dict()); got {got}"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state dict has {len(saved_groups)} parameter "
                f"groups, the optimizer {len(self.param_groups)}"
            )
        params_of = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(group['params'])} parameters, "
                    f"the saved group {len(saved['params'])}"
                )
            params_of.update(zip(saved["params"], group["params"]))
        state = {}
        for key, saved_state in state_dict["state"].items():
            if key not in params_of:
                raise ValueError(f"{name}.load_state_dict: state for parameter index {key} which no group holds")
            p = params_of[key]
            state[p] = {k: self._cast_state(p, k, v) for k, v in saved_state.items()}
        groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new = copy.deepcopy({k: v for k, v in saved.items() if k != "params"})
            new["params"] = group["params"]
            self._check_group(new)
            groups.append(new)
        self.state = state
        self.param_groups = groups

    def _cast_state(self, p, key, value):
        if not isinstance(value, np.ndarray):
            return copy.deepcopy(value)
        if value.shape != p.shape:
            raise ValueError(
                f"{self._name}.load_state_dict: state {key!r} has shape {value.shape}, "
                f"its parameter {p.shape}"
            )
        return value.astype(p.dtype) if value.dtype.kind == "f" else value.copy()

    def __repr__(self):
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)
