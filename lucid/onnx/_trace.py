"""Recording what a model runs: every operation, with the module that ran it.

:func:`record` calls the model once inside :func:`lucid.autograd.observe.observe`, which
reports each :class:`~lucid.autograd.Function` after its forward: its class, its inputs
as given, its keyword parameters and its output Tensor. Forward pre- and post-hooks,
registered on every sub-module for the duration of the call and removed afterwards,
keep a stack of the modules running, so each operation knows the module that ran it
(for names in the graph and for error messages).

The trace runs with gradients enabled and with floating inputs that require grad, so
every operation that depends on an input goes through ``Function.apply`` (an
operation may take a shortcut past the graph when no input needs a gradient).
"""
import numpy as np

from lucid._tensor import Tensor
from lucid.autograd.grad_mode import enable_grad
from lucid.autograd.observe import observe

__all__ = ["Record", "record"]


class Record:
    """One operation of the trace."""

    __slots__ = ("fn", "inputs", "params", "output", "module", "nodes", "node")

    def __init__(self, fn, inputs, params, output, module):
        self.fn = fn                # the Function class
        self.inputs = inputs        # positional inputs, as given
        self.params = params        # keyword parameters
        self.output = output        # the result Tensor (kept alive: ids stay unique)
        self.module = module        # (dotted name, class name) of the module running it
        # the graph nodes of the inputs and of the output as they were at this step (an
        # in-place operation later gives a tensor the node of its new value)
        self.nodes = tuple(getattr(x, "_node", None) for x in inputs)
        self.node = output._node

    @property
    def where(self):
        """'module 'features.0' (Conv2d)' or 'the model itself (Net)', for messages."""
        name, cls = self.module
        return f"the model itself ({cls})" if name == "" else f"module {name!r} ({cls})"


def trace_inputs(args):
    """Copies of the Tensor arguments for a trace: floating ones require grad."""
    return tuple(Tensor(a.data.copy(), requires_grad=a.dtype.kind == "f")
                 if isinstance(a, Tensor) else a for a in args)


def record(model, args, kwargs=None):
    """Run ``model(*args, **kwargs)``; return ``(records, output)``.

    Every operation lands in ``records`` (a list of :class:`Record`), in the order
    it ran.
    """
    records = []
    stack = [("", type(model).__name__)]
    handles = []

    def push(name):
        def hook(module, inputs):
            stack.append((name, type(module).__name__))
        return hook

    def pop(module, inputs, output):
        stack.pop()

    for name, module in model.named_modules():
        if name:
            handles.append(module.register_forward_pre_hook(push(name)))
            handles.append(module.register_forward_hook(pop))

    def seen(fn, inputs, params, output):
        records.append(Record(fn, inputs, params, output, stack[-1]))

    try:
        with enable_grad(), observe(seen):
            output = model(*args, **(kwargs or {}))
    finally:
        for handle in handles:
            handle.remove()
    return records, output


def flat_outputs(output, what="the model's output"):
    """The Tensors of a model's output (a Tensor, or nested tuples / lists of them;
    None items are left out) as a flat list; TypeError for anything else."""
    if isinstance(output, Tensor):
        return [output]
    if isinstance(output, (tuple, list)):
        found = []
        for i, item in enumerate(output):
            if item is not None:
                found += flat_outputs(item, f"{what}[{i}]")
        return found
    raise TypeError(f"lucid.onnx.export: {what} is a {type(output).__name__}; the model "
                    "must return a Tensor or a tuple / list of Tensors")


def permuted(array, rng):
    """``array``'s values in another order (same shape and dtype)."""
    flat = np.array(array).reshape(-1)
    return rng.permutation(flat).reshape(np.shape(array))
