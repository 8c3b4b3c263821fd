"""Watching operations run: the one hook that tracers use.

``with observe(callback):`` calls ``callback(fn, inputs, params, output)`` after every
:class:`~lucid.autograd.Function` runs its forward inside the block: ``fn`` is the
Function class, ``inputs`` the positional inputs as given (Tensors or plain values),
``params`` the keyword parameters, ``output`` the result Tensor. The ONNX exporter records
a model's graph this way. Observers see every operation, with or without grad mode;
when nothing observes, an operation pays one attribute test.

A callback object may also have any of the methods ``begin(fn)`` (called before the
forward), ``begin_backward(fn)`` and ``end_backward(fn)`` (around the backward of each
node the engine runs); the profiler (``lucid.profile``) times ops with them.
"""
import contextlib

__all__ = ["observe", "begin", "run_backward"]


class _State:
    observers = ()   # the callbacks in effect, innermost last


state = _State()


@contextlib.contextmanager
def observe(callback):
    """Call ``callback(fn, inputs, params, output)`` after each operation in the block.

    Examples
    --------
    >>> import lucid
    >>> from lucid.autograd.observe import observe
    >>> seen = []
    >>> with observe(lambda fn, inputs, params, out: seen.append(fn.__name__)):
    ...     y = lucid.ones((2,)) * 3 + 1
    >>> seen
    ['Multiply', 'Add']
    """
    if not callable(callback):
        raise TypeError(f"observe: callback must be callable; got {type(callback).__name__}")
    previous = state.observers
    state.observers = previous + (callback,)
    try:
        yield
    finally:
        state.observers = previous


def begin(fn, observers):
    """Tell the observers that have a ``begin`` method that ``fn``'s forward starts."""
    for callback in observers:
        start = getattr(callback, "begin", None)
        if start is not None:
            start(fn)


def run_backward(node, grad):
    """``node.backward(node, grad)`` between the observers' ``begin_backward`` and
    ``end_backward`` (the engine calls this instead while anything observes)."""
    observers = state.observers
    for callback in observers:
        start = getattr(callback, "begin_backward", None)
        if start is not None:
            start(type(node))
    try:
        return node.backward(node, grad)
    finally:
        for callback in reversed(observers):
            end = getattr(callback, "end_backward", None)
            if end is not None:
                end(type(node))
