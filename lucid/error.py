"""lucid's error classes: the original lucid's ``UnknownDeviceError``,
``DeviceMismatchError`` and ``BackwardError``, and ``IndexOutOfRangeError``.

They keep the original's names and constructor arguments, so code written for it that
catches them runs unchanged, and each also derives from the built-in exception that
lucid raises for the same fault (``ValueError`` for a bad argument, ``RuntimeError``
for a failure while running), so ``except ValueError`` keeps working too.

* :class:`UnknownDeviceError` -- a device other than ``'cpu'`` (lucid computes on the
  CPU with NumPy; there is no GPU backend).
* :class:`BackwardError` -- an operation's backward raised; the original exception is
  chained as its ``__cause__``.
* :class:`DeviceMismatchError` -- tensors on different devices meet in one operation.
  lucid has a single device, so lucid itself never raises it; it exists for code that
  catches it.
* :class:`IndexOutOfRangeError` -- an index value outside the range it selects from.
"""

__all__ = ["UnknownDeviceError", "DeviceMismatchError", "BackwardError",
           "IndexOutOfRangeError"]

#: Device names of accelerators lucid does not have (the original's ``'gpu'`` ran on
#: Apple's MLX/Metal; ``'cuda'`` and ``'mps'`` are PyTorch's).
ACCELERATORS = ("gpu", "cuda", "mps", "metal", "mlx")


class UnknownDeviceError(ValueError):
    """A device lucid cannot compute on: anything but ``'cpu'``.

    Parameters
    ----------
    device : object
        The device that was asked for.
    where : str, optional
        The function that was given it (the message starts with it).

    Examples
    --------
    >>> import lucid
    >>> try:
    ...     lucid.zeros(3, device="cuda")
    ... except lucid.UnknownDeviceError as err:
    ...     print(str(err)[:64])
    zeros: device 'cuda' is not available: lucid computes on the CPU
    >>> issubclass(lucid.UnknownDeviceError, ValueError)
    True
    """

    def __init__(self, device, where=None):
        self.device = device
        head = f"{where}: " if where else ""
        name = device.split(":")[0].lower() if isinstance(device, str) else None
        if name in ACCELERATORS:
            message = (f"{head}device {device!r} is not available: lucid computes on the "
                       "CPU with NumPy and has no GPU backend (the original lucid's 'gpu' "
                       "needs Apple's MLX on Metal; PyTorch's 'cuda' and 'mps' need CUDA "
                       "or Metal). Use device='cpu'.")
        else:
            message = f"{head}unknown device {device!r}; lucid has one device, 'cpu'"
        super().__init__(message)


class DeviceMismatchError(RuntimeError):
    """Tensors on two different devices met in one operation.

    lucid has one device (``'cpu'``), so lucid never raises this error; the class is
    here so that code written for the original lucid, which catches it, runs.

    Parameters
    ----------
    to, from_ : str
        The two devices.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.DeviceMismatchError("gpu", "cpu"))
    tried to use a tensor on 'gpu' from a tensor on 'cpu'
    """

    def __init__(self, to, from_):
        self.to, self.from_ = to, from_
        super().__init__(f"tried to use a tensor on {to!r} from a tensor on {from_!r}")


class BackwardError(RuntimeError):
    """An operation's backward failed; the error it raised is the ``__cause__``.

    ``backward()`` raises it when the ``backward`` of an operation (a
    :class:`~lucid.autograd.Function`) raises, naming the operation and the shape of
    the gradient it was given; the traceback shows the original error above it.

    Parameters
    ----------
    shape : tuple of int
        The shape of the gradient the operation received.
    op : object
        The operation (its name or its Function).
    cause : BaseException, optional
        The error the operation raised; its message ends this one's.

    Examples
    --------
    >>> import numpy as np
    >>> import lucid
    >>> class Broken(lucid.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x * 2
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         raise ZeroDivisionError("a bug in my backward")
    >>> y = Broken.apply(lucid.Tensor([1.0, 2.0], requires_grad=True))
    >>> try:
    ...     y.sum().backward()
    ... except lucid.BackwardError as err:
    ...     print(err)
    ...     print(repr(err.__cause__))
    backward of Broken failed for a gradient of shape (2,): ZeroDivisionError: a bug in my backward
    ZeroDivisionError('a bug in my backward')
    """

    def __init__(self, shape, op, cause=None):
        self.shape, self.op = tuple(shape), op
        name = op if isinstance(op, str) else getattr(op, "__name__", type(op).__name__)
        why = f": {type(cause).__name__}: {cause}" if cause is not None else " (the error above)"
        super().__init__(f"backward of {name} failed for a gradient of shape {self.shape}{why}")


class IndexOutOfRangeError(IndexError, ValueError):
    """An index value outside the range it selects from.

    One rule for every index lucid reads: indexing a tensor (``x[5]`` on 3 rows), the
    index of ``gather``/``scatter``, the token ids of ``embedding``, the classes of
    ``one_hot`` and of a loss's target, the positions given to ``max_unpool``, and the
    index arrays a kernel is handed. The message names the function, the index and the
    range. It is an ``IndexError``, as in Python (and PyTorch's ``embedding`` and
    ``cross_entropy``), and a ``ValueError``, like every other bad argument value, so
    either ``except`` catches it (NumPy's ``AxisError`` is built the same way).

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> try:
    ...     F.one_hot(lucid.Tensor([0, 3]), num_classes=3)
    ... except lucid.IndexOutOfRangeError as err:
    ...     print(err)
    one_hot: class indices must be smaller than num_classes (3); got 3
    >>> issubclass(lucid.IndexOutOfRangeError, IndexError)
    True
    >>> issubclass(lucid.IndexOutOfRangeError, ValueError)
    True
    """
