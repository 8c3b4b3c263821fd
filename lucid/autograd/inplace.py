"""In-place changes of a tensor (``x += 1``, ``x.zero_()``), with PyTorch's safety rules.

An in-place operation writes its result into the tensor's own memory, so every other
name for that memory (the same Parameter held by a model, ``x.detach()``, a view made by
``reshape``) sees the change. Three rules keep autograd right:

1. **Leaves that require grad.** Outside ``no_grad()``, changing a leaf that requires
   grad in place raises: its ``.grad`` would belong to values it no longer holds.
   Parameter updates run inside ``with lucid.no_grad():`` (as the optimizers do).
2. **Values saved for backward.** Every in-place write is numbered (``state.writes``
   counts them) and noted for the memory it changed. A graph node remembers the count
   when it was made; before its backward runs, the engine asks :func:`check_saved`
   whether any array the node saved on ``ctx`` lives in memory written since, and
   raises if so. This is PyTorch's version counter, kept per memory block instead of
   per tensor: views share their base's memory, so they share its writes.
3. **Recorded in-place operations.** With grad mode on, ``y += z`` on a result ``y`` of
   other operations (or on any tensor when ``z`` requires grad) is recorded: the graph
   sees ``y``'s old value, a copy, as the input of the addition, and ``y`` becomes its
   result. A view of another tensor that requires grad cannot be changed that way
   (lucid does not track views): use ``y = y + z``.

Writes that bypass lucid (``x.data[...] = ...``) are not noted: ``.data`` is the escape
hatch, as in PyTorch.
"""
import weakref

import numpy as np

from lucid.autograd.flops import state as _flop_state
from lucid.autograd.grad_mode import no_grad, state as _grad_state

__all__ = ["update", "write", "note_write", "check_leaf", "check_saved"]


class _State:
    writes = 0       # in-place writes so far in this process


state = _State()

# id(memory block) -> (weak reference to the block, number of its last in-place write)
_last_write = {}


def _memory(array):
    """The ndarray that owns ``array``'s memory (NumPy points every view at its owner)."""
    base = array.base
    while isinstance(base, np.ndarray):
        array, base = base, base.base
    return array


def _forget(key):
    return lambda _ref: _last_write.pop(key, None)


def note_write(array):
    """Record an in-place write into ``array``'s memory (for :func:`check_saved`)."""
    state.writes += 1
    block = _memory(array)
    key = id(block)
    entry = _last_write.get(key)
    ref = entry[0] if entry is not None and entry[0]() is block else weakref.ref(block, _forget(key))
    _last_write[key] = (ref, state.writes)


def _written_after(array, count):
    block = _memory(array)
    entry = _last_write.get(id(block))
    return entry is not None and entry[0]() is block and entry[1] > count


def _saved_arrays(node):
    for name, value in vars(node).items():
        if isinstance(value, np.ndarray):
            yield name, value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, np.ndarray):
                    yield name, item


def check_saved(node):
    """Raise if an array ``node`` saved for its backward was changed in place since.

    The engine calls this before ``node.backward`` only when some in-place write
    happened after the node was made (``node._writes != state.writes``).
    """
    for name, array in _saved_arrays(node):
        if _written_after(array, node._writes):
            op = type(node).__name__
            raise RuntimeError(
                f"backward: one of the arrays {op} saved for its backward (ctx.{name}, "
                f"shape {array.shape}, dtype {array.dtype}) was modified by an in-place "
                f"operation after {op} ran, so its gradient would be computed from the "
                "wrong values. Change the tensor out of place (y = y + 1 instead of "
                "y += 1), or make the change after backward()."
            )


def check_leaf(tensor, what):
    """The leaf rule: no in-place change of a leaf that requires grad in grad mode."""
    if _grad_state.enabled and tensor.requires_grad and tensor._node is None:
        raise RuntimeError(
            f"{what}: a leaf tensor that requires grad is being used in an in-place "
            "operation; its .grad would no longer match its values. Change it inside "
            "`with lucid.no_grad():` (as an optimizer step does), or write "
            "x = x + ... to make a new tensor."
        )


def write(tensor, values, what, casting="same_kind"):
    """Write the array ``values`` into ``tensor``'s memory, checking shape, dtype and
    writability first; note the write. The tensor's graph is not touched.

    ``casting`` is NumPy's rule for the dtype: ``"same_kind"`` for arithmetic (a float
    result is not stored into an integer tensor, as in PyTorch), ``"unsafe"`` for
    ``copy_`` / ``fill_``, which convert like an assignment."""
    target = tensor.data
    if values.shape != target.shape:
        raise ValueError(
            f"{what}: the result has shape {values.shape} but the tensor changed in place "
            f"has shape {target.shape}; an in-place operation cannot change a tensor's "
            "shape (only the other operand may be broadcast)"
        )
    if not np.can_cast(values.dtype, target.dtype, casting):
        raise TypeError(
            f"{what}: the result has dtype {values.dtype}, which cannot be stored in place "
            f"in a tensor of dtype {target.dtype}; write x = x ... for a new tensor, or "
            "convert first (x.astype(...))"
        )
    if not target.flags.writeable:
        raise ValueError(
            f"{what}: this tensor's memory is read-only (a broadcast view, or the values "
            "of a tensor that requires grad handed out by .numpy()); change a copy instead"
        )
    np.copyto(target, values, casting=casting)
    note_write(target)


def _requires_grad(x):
    return isinstance(x, Tensor) and x.requires_grad


def _views_an_input(tensor):
    """Whether ``tensor``'s memory belongs to one of the inputs of the op that made it
    (a reshape, transpose or basic-indexing result); a view of an array the op made
    itself (a kernel's reshaped output) is the tensor's own memory."""
    if tensor.data.base is None or tensor._node is None:
        return False
    block = _memory(tensor.data)
    return any(p is not None and _memory(p.data) is block for p in tensor._node.parents)


def update(tensor, what, op, *args, casting="same_kind"):
    """``tensor <- op(tensor, *args)`` in place; returns ``tensor``.

    ``op`` is an out-of-place lucid operation (``lucid.add``...). With grad mode on and a
    gradient to record, the graph sees a copy of the old value as ``op``'s input and
    ``tensor`` becomes ``op``'s result (rule 3 of the module docstring).
    """
    check_leaf(tensor, what)
    recording = _grad_state.enabled and (tensor.requires_grad
                                         or any(_requires_grad(a) for a in args))
    if not recording:
        with no_grad():
            out = op(tensor, *args)
        write(tensor, out.data, what, casting)
        return tensor
    if tensor.requires_grad and _views_an_input(tensor):
        raise RuntimeError(
            f"{what}: this tensor is a view of another tensor's memory (made by reshape, "
            "transpose, indexing...) and requires grad; lucid cannot record an in-place "
            "change through a view. Write y = y ... to make a new tensor."
        )
    before = Tensor._wrap(tensor.data.copy(), tensor.requires_grad, tensor._node)
    out = op(before, *args)
    write(tensor, out.data, what, casting)
    old = tensor._node
    if old is not None and old._keep is not None and old._keep() is tensor:
        old._keep = None        # keep_grad now means the gradient of the new value
    tensor._node = out._node
    tensor.requires_grad = out.requires_grad
    if tensor._keep_grad and tensor._node is not None:
        tensor._node._keep = weakref.ref(tensor)
    if _flop_state.counting:
        tensor._flops = out._flops
    return tensor


from lucid._tensor import Tensor  # noqa: E402  (Tensor imports this module)
