"""The backward pass: walk the graph from the output back to the leaves.

Algorithm (the same one PyTorch's engine uses, without threads):

1. **Count dependencies.** Walk the graph once from the output's node, iteratively
   (no recursion, so a 100,000-op chain works), counting for each node how many
   consumers inside this graph will send it a gradient.
2. **Run nodes in topological order.** A node runs once every consumer has added its
   contribution (``dL/dy = sum over consumers``), so a tensor used twice (``y * y``,
   ``y + y``) gets both contributions before its own backward runs.
3. **Reduce broadcast gradients** back to each input's shape (``unbroadcast``) and cast
   them to the input's dtype.
4. **Accumulate into leaves**: a leaf's ``.grad`` is its own array (copied the first
   time, added in place afterwards), never an array another tensor or the caller holds.
5. **Free the graph** (each node's inputs and saved arrays) unless ``retain_graph``.
"""
import numpy as np

__all__ = ["backward", "unbroadcast"]


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


def _freed(node):
    return RuntimeError(
        f"backward: trying to backward through the graph a second time (through "
        f"{type(node).__name__}): its saved arrays were freed by the first backward(). "
        "Pass retain_graph=True to the first backward() to keep them."
    )


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
        hooks = n.__dict__.get("_hooks")
        if hooks:
            g = _run_hooks(hooks, g)
        keep = n.__dict__.get("_keep")
        if keep is not None:
            t = keep()
            if t is not None:
                t.grad = g.copy() if t.grad is None else t.grad + g
        input_grads = n.backward(n, g)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        for p, ig in zip(n.parents, input_grads):
            if ig is None or p is None or not p.requires_grad:
                continue
            data = p.data
            if ig.shape != data.shape:
                ig = unbroadcast(ig, data.shape)
            if ig.dtype != data.dtype:
                ig = ig.astype(data.dtype)
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
        if not retain_graph:
            d = n.__dict__
            hooks, keep = d.get("_hooks"), d.get("_keep")
            d.clear()
            n.parents = None
            if hooks:
                n._hooks = hooks
            if keep is not None:
                n._keep = keep

    # 3. leaves
    for leaf, g in leaves.values():
        _accumulate(leaf, g)


def _accumulate(leaf, grad):
    if leaf._hooks:
        grad = _run_hooks(leaf._hooks, grad)
    if leaf.grad is None:
        # its own array: never the caller's, never another tensor's
        leaf.grad = np.array(grad, dtype=leaf.data.dtype, copy=True)
    else:
        leaf.grad += grad
