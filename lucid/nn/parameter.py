"""``Parameter``: a Tensor that a :class:`~lucid.nn.Module` learns."""
from lucid._tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor a Module registers as learnable; it requires grad by default.

    Assigning a Parameter to an attribute of a :class:`~lucid.nn.Module` registers it:
    it then appears in ``module.parameters()`` and ``module.state_dict()``, and
    optimisers update it. Apart from that it is a Tensor (a leaf, whose ``.grad``
    fills on ``backward()``).

    Parameters
    ----------
    data : scalar, nested list, np.ndarray or Tensor
        The initial values (copied). Must be floating to require grad.
    requires_grad : bool, default True
        Whether gradients flow to it.
    dtype : dtype, optional
        As for :class:`~lucid.Tensor`.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn import Parameter
    >>> p = Parameter([1.0, 2.0])
    >>> p.requires_grad, isinstance(p, lucid.Tensor)
    (True, True)
    >>> print(p)
    Parameter containing:
    Tensor([1.0, 2.0], requires_grad=True)
    """

    def __init__(self, data, requires_grad=True, dtype=None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__
