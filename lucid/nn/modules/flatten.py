r"""``Flatten``: merge a range of axes into one, as a layer (for ``Sequential`` models).

Not in the original lucid's list; added because every PyTorch homework CNN uses
``nn.Flatten()`` between its convolutions and its classifier.
"""
from lucid._checks import renamed
from lucid._tensor import Tensor
from lucid.nn.module import Module
from lucid.ops import flatten as _flatten

__all__ = ["Flatten"]


class Flatten(Module):
    r"""Merge the axes ``start_axis`` to ``end_axis`` (both included) into one.

    .. math:: y.\text{shape} = x.\text{shape}[:s] +
              \Big(\prod_{k=s}^{e} x.\text{shape}[k]\Big) + x.\text{shape}[e+1:]

    With the defaults a batch ``(N, C, H, W)`` becomes ``(N, C*H*W)``: the batch axis
    0 is kept (PyTorch's ``nn.Flatten``; its ``start_dim``/``end_dim`` are lucid's
    ``start_axis``/``end_axis``, and are accepted too).

    Backward: :math:`\partial L/\partial y` reshaped back to the input's shape.

    Parameters
    ----------
    start_axis : int, default 1
        First axis to merge.
    end_axis : int, default -1
        Last axis to merge (included).

    Raises
    ------
    TypeError
        (forward) ``x`` is not a Tensor.
    ValueError
        (forward) an axis out of range for the input, or ``start_axis`` after
        ``end_axis``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> nn.Flatten()(lucid.zeros((2, 3, 4, 5))).shape
    (2, 60)
    >>> nn.Flatten(0, 1)(lucid.zeros((2, 3, 4))).shape
    (6, 4)
    >>> nn.Flatten()
    Flatten(start_axis=1, end_axis=-1)
    """

    @renamed(start_dim="start_axis", end_dim="end_axis")
    def __init__(self, start_axis=1, end_axis=-1):
        super().__init__()
        for arg, value in (("start_axis", start_axis), ("end_axis", end_axis)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Flatten: {arg} must be an int; got {value!r}")
        self.start_axis, self.end_axis = start_axis, end_axis

    def forward(self, x):
        """Return ``x`` with the axes ``start_axis..end_axis`` merged."""
        if not isinstance(x, Tensor):
            raise TypeError(f"Flatten: input must be a Tensor; got {type(x).__name__}")
        return _flatten(x, self.start_axis, self.end_axis)

    def extra_repr(self):
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"
