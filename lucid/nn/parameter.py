r"""``Parameter`` and ``Buffer``: the two kinds of Tensor a :class:`~lucid.nn.Module` owns.

* A **Parameter** is learned: it requires grad, appears in ``module.parameters()``
  (what an optimiser updates) and in ``module.state_dict()``.
* A **Buffer** is state that is not learned, such as BatchNorm's running mean: it
  does not require grad, is left out of ``parameters()``, but appears in
  ``module.buffers()`` and (unless ``persistent=False``) in ``module.state_dict()``.

Assigning either one as a Module attribute (``self.w = Parameter(...)``,
``self.running_mean = Buffer(...)``) registers it under that name.
"""
import numpy as np

from lucid._checks import check_device
from lucid._tensor import Tensor
from lucid.nn import _shape_only

__all__ = ["Parameter", "Buffer"]


def _init_tensor(tensor, data, dtype, name):
    """Fill ``tensor`` (a new Parameter / Buffer) from ``data``; errors name ``name``.
    Inside ``nn.shape_only()`` it keeps only the shape and dtype (a placeholder)."""
    try:
        if _shape_only.active():
            _shape_only.make_placeholder(tensor, data, dtype)
            return
        Tensor.__init__(tensor, data, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{name}: {error}") from None


class Parameter(Tensor):
    r"""A Tensor a Module registers as learnable; it requires grad by default.

    Assigning a Parameter to an attribute of a :class:`~lucid.nn.Module` registers it:
    it then appears in ``module.parameters()`` and ``module.state_dict()``, and
    optimisers update it. Apart from that it is a Tensor (a leaf, whose ``.grad``
    fills on ``backward()``):

    .. math:: \texttt{p.grad} = \frac{\partial L}{\partial p}

    Backward: none of its own; like any leaf it accumulates ``dL/dp`` into ``.grad``.

    Parameters
    ----------
    data : scalar, nested list, np.ndarray or Tensor
        The initial values. They are copied (unlike PyTorch, whose Parameter shares
        the given tensor's memory): the Parameter owns its array.
    requires_grad : bool, default True
        Whether gradients flow to it. (The original lucid's second argument was
        ``dtype``: a dtype given here, ``Parameter(x, lucid.Float64)``, is read as
        ``dtype``.)
    dtype : dtype, optional
        As for :class:`~lucid.Tensor` (Python floats give float32).
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError.

    Raises
    ------
    TypeError
        Non-numeric data, or integer / bool data with ``requires_grad=True`` (an
        optimiser step would truncate them, so only floating Parameters learn; plain
        integer tensors may require grad).

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn import Parameter
    >>> p = Parameter([1.0, 2.0])
    >>> p.requires_grad, p.is_leaf, isinstance(p, lucid.Tensor)
    (True, True, True)
    >>> print(p)
    Parameter containing:
    Tensor([1.0, 2.0], requires_grad=True)
    >>> (p * p).sum().backward()
    >>> p.grad
    array([2., 4.], dtype=float32)
    """

    def __init__(self, data, requires_grad=True, dtype=None, device="cpu"):
        check_device(device, "Parameter")
        if not isinstance(requires_grad, (bool, np.bool_)):
            if dtype is not None:
                raise TypeError(f"Parameter: requires_grad must be a bool; got {requires_grad!r}")
            requires_grad, dtype = True, requires_grad       # the original's (data, dtype)
        _init_tensor(self, data, dtype, "Parameter")
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"Parameter: only floating tensors can require grad; got dtype {self.data.dtype}. "
                "Pass float data, dtype=lucid.Float32, or requires_grad=False."
            )
        self.requires_grad = bool(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


class Buffer(Tensor):
    r"""A Tensor a Module keeps as state but does not learn (e.g. a running mean).

    Assigning a Buffer to an attribute of a :class:`~lucid.nn.Module` registers it
    (as :meth:`Module.register_buffer` does): it then appears in ``module.buffers()``
    and, if ``persistent``, in ``module.state_dict()``, but never in
    ``module.parameters()``. A buffer does not require grad. Its values are whatever
    the module stores in it; no formula of its own:

    .. math:: \texttt{b} \notin \texttt{module.parameters()}

    Backward: none (a buffer does not require grad).

    Parameters
    ----------
    data : scalar, nested list, np.ndarray or Tensor
        The values (copied).
    dtype : dtype, optional
        As for :class:`~lucid.Tensor`.
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError.
    persistent : bool, default True
        Whether ``state_dict()`` includes it (keyword only, as in PyTorch).

    Raises
    ------
    TypeError
        Non-numeric data, or a ``persistent`` that is not a bool.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> class Counter(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.count = nn.Buffer([0])
    ...         self.scratch = nn.Buffer([0.0, 0.0], persistent=False)
    >>> m = Counter()
    >>> [name for name, _ in m.named_buffers()]
    ['count', 'scratch']
    >>> list(m.state_dict())
    ['count']
    >>> list(m.parameters())
    []
    >>> print(m.count)
    Buffer containing:
    Tensor([0])
    """

    def __init__(self, data, dtype=None, device="cpu", *, persistent=True):
        check_device(device, "Buffer")
        if not isinstance(persistent, (bool, np.bool_)):
            raise TypeError(f"Buffer: persistent must be True or False; got {persistent!r}")
        _init_tensor(self, data, dtype, "Buffer")
        self.persistent = bool(persistent)

    def __repr__(self):
        return "Buffer containing:\n" + super().__repr__()

    __str__ = __repr__
