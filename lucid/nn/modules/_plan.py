"""A layer's checked call, remembered for the calls that repeat it.

Used by the convolution layers (``conv.py``), ``Linear`` (``linear.py``), max
pooling (``pooling.py``), batch norm and layer norm (``norm.py``), and multi-head
attention's plain self-attention call (``attention.py``). Batch norm in training mode
runs its plan itself (``_BatchNorm._planned_training_call``: the running statistics
and momentum are the call's own). A
convolution layer's ``forward`` goes ``module -> lucid.nn.functional -> argument
checks -> Function.apply -> the op's forward -> the kernel``. At batch 1 (what a demo
or a notebook runs) everything but the kernel was a third of the time: a
``Conv1d(8, 32, 4, 2, 1)`` on a ``(1, 8, 256)`` input took 19.4 us, of which the
kernel 10.5, the remembered argument checks 2.7, ``Function.apply``'s bookkeeping 1.9,
the op's own glue 1.3.

The checks read only the input's shape and dtype, the parameters' shapes and dtypes
and the layer's settings (stride, padding, ...). So after a checked call has passed, a
layer keeps a :class:`Plan`: those things as they were, and the checked arguments the
op took. A later call that matches skips the module's checks and the functional layer:

* under ``no_grad`` (no node is recorded, and with no observer and no FLOP count
  ``Function.apply`` only runs the op's ``forward`` and wraps its array) it runs the
  op's ``forward`` straight away: the same function, the same arrays, the same bytes;
* in grad mode (a training step) it calls ``op.apply`` with the parameters and the
  checked arguments, the very call the functional layer makes after its checks, so
  the node, its parents and its gradients are the same. Only plans that run the op's
  own ``forward`` do this; one with a forward of its own (batch norm's evaluation,
  the attention layers' packed call) is for no-grad calls only.

A plan is used when all of this holds:

* no observer (the profiler, the ONNX tracer) is registered and no FLOP count is
  running (``Function.apply`` reports to them: the checked way makes that call);
* the input is a :class:`~lucid.Tensor` whose array has the remembered shape and
  dtype, and every parameter (read anew each call, so a replaced weight is seen) has
  the remembered shape and dtype, or is None where it was None;
* each setting is *the same object* as then (settings are ints, bools, floats and
  tuples of them, immutable: the same object has the same value; a layer whose
  settings were reassigned to something mutable, a list, or a NumPy number, gets no
  plan).

Anything else goes the checked way, which raises the named errors and makes a new
plan when the call passes. A plan is private: it changes no result and no error, only
the time (``docs/fast.rst``).
"""
from lucid._tensor import Tensor
from lucid.autograd.flops import state as _flop_state
from lucid.autograd.grad_mode import state as _grad_state
from lucid.autograd.observe import state as _observe_state

__all__ = ["Plan", "Planned", "plan_holds", "plannable", "unplanned"]

# The settings a plan compares by identity must be immutable (the same object then has
# the same value): Python ints, bools, floats, strings, None and tuples of them.
_IMMUTABLE = (int, bool, float, str, type(None))


def _immutable(items):
    return all(type(v) in _IMMUTABLE for v in items)


def plannable(x, settings):
    """Whether a call that just passed its checks can be remembered: not when a call
    must go the checked way anyway (:func:`unplanned`), nor when a later call could
    not be matched to it (an input that is not a plain Tensor, a setting that is not
    immutable)."""
    return (not unplanned() and type(x) is Tensor
            and all(type(s) in _IMMUTABLE or (type(s) is tuple and _immutable(s))
                    for s in settings))


def unplanned():
    """True when a call must go the checked way whatever the layer remembers: an
    observer registered or a FLOP count running (``Function.apply`` reports to them)."""
    return bool(_observe_state.observers) or _flop_state.counting


class Plan:
    """What one checked call of a layer read, and the op it ran (module docstring).

    Parameters
    ----------
    op : type
        The :class:`~lucid.autograd.Function` the call applied.
    x : Tensor
        The call's input.
    parameters : tuple
        The layer's parameters in the op's argument order (Tensors or None).
    settings : tuple
        The layer's settings as the call read them (compared by identity later).
    params : dict
        The checked keyword arguments the op's ``forward`` took.
    forward : callable, optional
        What runs the call: ``forward(ctx, x, *arrays, **params)`` with a ctx of
        ``op``, the parameters' arrays in their order. Default ``op.forward``; batch
        norm passes :func:`lucid.ops.norm.running_stats_forward` (its running
        statistics are arrays of the call, not fixed arguments).
    """

    __slots__ = ("op", "forward", "records", "shape", "dtype", "kinds", "settings",
                 "params")

    def __init__(self, op, x, parameters, settings, params, forward=None):
        self.op = op
        self.forward = op.forward if forward is None else forward
        self.records = forward is None          # grad mode: op.apply makes the node
        self.shape, self.dtype = x.data.shape, x.data.dtype
        self.kinds = tuple(None if p is None else (p.data.shape, p.data.dtype)
                           for p in parameters)
        self.settings = settings
        self.params = params

    def run(self, x, parameters):
        """In grad mode ``op.apply`` (the functional layer's call after its checks);
        else the op's forward on the arrays, wrapped as ``Function.apply`` wraps it
        under ``no_grad`` (no node). Call only when :func:`plan_holds` said so."""
        if _grad_state.enabled:
            return self.op.apply(x, *parameters, **self.params)
        arrays = [None if p is None else p.data for p in parameters]
        out = self.forward(self.op.__new__(self.op), x.data, *arrays, **self.params)
        return Tensor._wrap(out, False, None)


class Planned:
    """Mixed into a layer class that keeps a plan: no plan until its first checked
    call, and none in its copies and pickles (a cache, not state: they make their own).
    A layer's ``forward`` asks :meth:`_planned_call` first and, after a checked call,
    :meth:`_keep_plan`, which stores the plan in the instance's ``__dict__`` (not
    through ``Module.__setattr__``, which sorts what it is given into parameters,
    buffers and sub-modules)."""

    _plan = None

    def _planned_call(self, x, parameters, settings):
        """The output of this call by the layer's plan, or None when the plan does not
        hold (:func:`plan_holds`): then the layer takes the checked way."""
        plan = self._plan                    # read once: another thread may replace it
        return plan.run(x, parameters) if plan_holds(plan, x, parameters, settings) else None

    def _keep_plan(self, op, x, parameters, settings, checked, forward=None):
        """After a checked call passed: keep its plan when it can be one
        (:func:`plannable`). ``checked()`` gives the op's checked keyword arguments
        (called only then); ``forward`` as :class:`Plan` takes it."""
        if plannable(x, settings):
            self.__dict__["_plan"] = Plan(op, x, parameters, settings, checked(), forward)

    def __getstate__(self):
        state = super().__getstate__()          # Module's: the registries' attributes out
        state.pop("_plan", None)
        return state


def plan_holds(plan, x, parameters, settings):
    """Whether ``plan`` (or None) fits this call: see the module docstring."""
    if (plan is None or unplanned() or type(x) is not Tensor
            or (_grad_state.enabled and not plan.records)):
        return False
    data = x.data
    if data.shape != plan.shape or data.dtype != plan.dtype:
        return False
    for p, kind in zip(parameters, plan.kinds):
        if p is None or kind is None:
            if p is not kind:
                return False
        elif p.data.shape != kind[0] or p.data.dtype != kind[1]:
            return False
    for now, then in zip(settings, plan.settings):
        if now is not then:
            return False
    return True
