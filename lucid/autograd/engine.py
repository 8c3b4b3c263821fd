"""The backward pass: walk the graph from the output back to the leaves.

Algorithm (the same one PyTorch's engine uses, without threads):

1. **Count dependencies.** Walk the graph once from the output's node, iteratively
   (no recursion, so a 100,000-op chain works), counting for each node how many
   consumers inside this graph will send it a gradient.
2. **Run nodes in topological order.** A node runs once every consumer has added its
   contribution (``dL/dy = sum over consumers``), so a tensor used twice (``y * y``,
   ``y + y``) gets both contributions before its own backward runs.
3. **Check and reduce each gradient.** A node's ``backward`` must return one gradient
   per input, each of the input's shape or of a shape the input broadcasts to; anything
   else raises, naming the Function. Broadcast gradients are summed back to the input's
   shape (``unbroadcast``) and cast to the input's gradient dtype (``grad_dtype``: the
   input's own dtype; an integer or bool input keeps a floating gradient, never a
   truncated one). Before a node runs, the arrays it saved are checked against in-place
   changes made since (``inplace.check_saved``). An exception raised inside a node's
   ``backward`` comes out as :class:`lucid.BackwardError` naming the node, with the
   original exception chained.
4. **Accumulate into leaves**: a leaf's ``.grad`` is its own array (added in place
   after the first time), never an array another tensor or the caller holds. The first
   time, the engine keeps the gradient the graph produced when nothing else refers to
   it (:func:`_unshared`: it owns its memory and the engine holds the only reference),
   and copies it otherwise. Copying every time cost a pass over each parameter per
   training step: 8 MB each for the LSTM language model's embedding and decoder.
5. **Free the graph** (each node's inputs and saved arrays) unless ``retain_graph``.
"""
import sys

import numpy as np

from lucid.autograd import inplace as _inplace
from lucid.autograd.observe import run_backward as _observed_backward, state as _observe_state
from lucid.error import BackwardError

__all__ = ["backward", "grad_dtype", "unbroadcast"]


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``.

    If ``x`` of shape ``(3,)`` was broadcast to ``(4, 3)``, then
    ``dL/dx[j] = sum_i dL/dy[i, j]``: sum over the leading axes that broadcasting
    prepended, and (keeping the axis) over every axis where ``x`` had size 1.
    """
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def grad_dtype(data_dtype, incoming=None):
    """The dtype of the gradient of a tensor whose values have ``data_dtype``.

    A floating (or complex) tensor's gradient has its own dtype. An integer or bool
    tensor (the original lucid lets them require grad) gets a floating gradient, never
    one truncated to integers: ``incoming`` (the arriving gradient's dtype) when that is
    floating, else float64 (exact for every integer up to 2**53).
    """
    if data_dtype.kind in "fc":
        return data_dtype
    if incoming is not None and incoming.kind in "fc":
        return incoming
    return np.dtype(np.float64)


def _freed(node):
    return RuntimeError(
        f"backward: trying to backward through the graph a second time (through "
        f"{type(node).__name__}): its saved arrays were freed by the first backward(). "
        "Pass retain_graph=True to the first backward() to keep them."
    )


def _bad_gradients(node, count):
    return RuntimeError(
        f"backward: {type(node).__name__}.backward returned {count} gradient(s) for "
        f"{len(node.parents)} input(s); it must return one per positional input of "
        "forward (None for an input that gets no gradient)"
    )


def _checked(node, index, grad, data):
    """``grad`` for input ``index`` of ``node``, reduced to ``data``'s shape and dtype."""
    if type(grad) is not np.ndarray:
        if not isinstance(grad, (np.ndarray, np.generic)):
            raise RuntimeError(
                f"backward: {type(node).__name__}.backward returned a "
                f"{type(grad).__name__} as the gradient of input {index}; expected an "
                f"ndarray of shape {data.shape}"
            )
        grad = np.asarray(grad)
    if grad.shape != data.shape:
        try:
            ok = np.broadcast_shapes(data.shape, grad.shape) == grad.shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(
                f"backward: {type(node).__name__}.backward returned a gradient of shape "
                f"{grad.shape} for input {index}, which has shape {data.shape}; a gradient "
                "must have its input's shape (or a shape the input broadcasts to)"
            )
        grad = unbroadcast(grad, data.shape)
    dtype = grad_dtype(data.dtype, grad.dtype)
    if grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad


def _run_hooks(hooks, grad):
    for hook in hooks:
        new = hook(grad)
        if new is not None:
            grad = np.asarray(new, dtype=grad.dtype)
    return grad


def backward(root, grad, retain_graph=False):
    """Accumulate ``d root / d leaf`` (times ``grad``) into every leaf's ``.grad``.

    ``root`` is a Tensor that requires grad; ``grad`` an array of its shape and dtype.
    """
    node = root._node
    if node is None:  # a leaf: its gradient is the seed itself
        _accumulate(root, grad)
        return

    # 1. dependency counts, iteratively
    deps = {node: 0}
    stack = [node]
    while stack:
        n = stack.pop()
        parents = n.parents
        if parents is None:
            raise _freed(n)
        for p in parents:
            if p is None:
                continue
            pn = p._node
            if pn is None:
                continue
            if pn in deps:
                deps[pn] += 1
            else:
                deps[pn] = 1
                stack.append(pn)

    # 2. run in topological order
    grads = {node: grad}
    leaves = {}  # id(leaf) -> [leaf, summed gradient]
    ready = [node]
    while ready:
        n = ready.pop()
        g = grads.pop(n)
        if n._hooks:
            g = _run_hooks(n._hooks, g)
        if n._keep is not None:
            t = n._keep()
            if t is not None:
                t.grad = g.copy() if t.grad is None else t.grad + g
        if n._writes != _inplace.state.writes:
            _inplace.check_saved(n)
        try:
            input_grads = n.backward(n, g) if not _observe_state.observers \
                else _observed_backward(n, g)
        except Exception as exc:   # name the op (the original lucid's BackwardError)
            raise BackwardError(g.shape, type(n), exc) from exc
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if len(input_grads) != len(n.parents):
            raise _bad_gradients(n, len(input_grads))
        for i, (p, ig) in enumerate(zip(n.parents, input_grads)):
            if ig is None or p is None or not p.requires_grad:
                continue
            data = p.data
            if type(ig) is not np.ndarray or ig.shape != data.shape or ig.dtype != data.dtype:
                ig = _checked(n, i, ig, data)
            pn = p._node
            if pn is None:
                key = id(p)
                if key in leaves:
                    entry = leaves[key]
                    entry[1] = entry[1] + ig
                else:
                    leaves[key] = [p, ig]
            else:
                if pn in grads:
                    grads[pn] = grads[pn] + ig
                else:
                    grads[pn] = ig
                left = deps[pn] - 1
                deps[pn] = left
                if left == 0:
                    ready.append(pn)
        if not retain_graph:  # free what the op saved; the node's own fields stay
            vars(n).clear()
            n.parents = None

    # 3. leaves (the loop's last gradients released first, so that they count as
    # unshared where nothing else holds them)
    g = ig = input_grads = entry = None
    while leaves:
        leaf, g = leaves.popitem()[1]
        unshared = _unshared(g)        # (not inside the call below: its arguments count)
        _accumulate(leaf, g, unshared)


def _unshared(grad):
    """Whether ``grad`` may become a leaf's ``.grad`` as it is: an ndarray that owns its
    memory (no view of another array), writeable, referred to by the calling frame's one
    variable alone (``sys.getrefcount`` counts that variable and its own argument)."""
    return (_COUNTS_REFERENCES and type(grad) is np.ndarray and grad.base is None
            and grad.flags.writeable and sys.getrefcount(grad) <= 3)


# Only CPython counts references (PyPy has no sys.getrefcount): elsewhere, always a copy.
_COUNTS_REFERENCES = sys.implementation.name == "cpython" and hasattr(sys, "getrefcount")


def _accumulate(leaf, grad, unshared=False):
    if leaf._hooks:
        grad = _run_hooks(leaf._hooks, grad)
        unshared = False               # a hook may have kept it
    if leaf.grad is None:
        # its own array: never the caller's, never another tensor's
        dtype = grad_dtype(leaf.data.dtype, grad.dtype)
        if unshared and grad.dtype == dtype:
            leaf.grad = grad
        else:
            leaf.grad = np.array(grad, dtype=dtype, copy=True)
    else:
        leaf.grad += grad
