"""Grad mode: whether operations record the graph that ``backward()`` walks.

``no_grad`` and ``enable_grad`` work both as context managers and as decorators.
"""
import functools

__all__ = ["no_grad", "enable_grad", "grad_enabled", "set_grad_enabled", "inference_mode"]


class _State:
    enabled = True


state = _State()


def grad_enabled():
    """Return True when operations record the autograd graph.

    Examples
    --------
    >>> import lucid
    >>> lucid.grad_enabled()
    True
    >>> with lucid.no_grad():
    ...     lucid.grad_enabled()
    False
    """
    return state.enabled


class _GradMode:
    """Base of ``no_grad`` / ``enable_grad``: sets the mode inside a block or a function."""

    _mode = True

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._mode
        return self

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = state.enabled
            state.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                state.enabled = prev

        return wrapper


class no_grad(_GradMode):
    """Do not record the graph: results of operations do not require grad.

    Use it for evaluation and for parameter updates.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    >>> with lucid.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    >>> @lucid.no_grad()
    ... def evaluate(t):
    ...     return t + 1
    >>> evaluate(x).requires_grad
    False
    """

    _mode = False


class enable_grad(_GradMode):
    """Record the graph again inside a ``no_grad`` block.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0], requires_grad=True)
    >>> with lucid.no_grad():
    ...     with lucid.enable_grad():
    ...         y = x * 2
    >>> y.requires_grad
    True
    """

    _mode = True


class set_grad_enabled(_GradMode):
    """Set grad mode to ``mode`` inside a block (or a decorated function).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0], requires_grad=True)
    >>> with lucid.set_grad_enabled(False):
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self, mode):
        self._mode = bool(mode)


class inference_mode(_GradMode):
    """PyTorch's ``inference_mode``: no graph is recorded inside it (``mode=True``),
    as :class:`no_grad`. lucid has no separate inference tensors, so it is exactly
    ``no_grad`` (``inference_mode(False)`` changes nothing).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0], requires_grad=True)
    >>> with lucid.inference_mode():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self, mode=True):
        self._off = bool(mode)

    @property
    def _mode(self):
        return False if self._off else state.enabled

    def __call__(self, fn):
        return super().__call__(fn) if self._off else fn
