"""Watching operations run: the one hook that tracers use.

``with observe(callback):`` calls ``callback(fn, inputs, params, output)`` after every
:class:`~lucid.autograd.Function` runs its forward inside the block: ``fn`` is the
Function class, ``inputs`` the positional inputs as given (Tensors or plain values),
``params`` the keyword parameters, ``output`` the result Tensor. The ONNX exporter records
a model's graph this way. Observers see every operation, with or without grad mode;
when nothing observes, an operation pays one attribute test.
"""
import contextlib

__all__ = ["observe"]


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
