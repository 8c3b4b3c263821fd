r"""``Rearrange``: :func:`lucid.einops.rearrange` as a layer, so a reshape can sit in a
:class:`~lucid.nn.Sequential` (a ViT's patch flattening, a head split).
"""
from lucid.einops import rearrange
from lucid.einops._pattern import parse_pattern
from lucid.einops._transform import _check_lengths
from lucid.nn.module import Module
from lucid.nn.modules._checks import tensor_input

__all__ = ["Rearrange"]


class Rearrange(Module):
    r"""Reorder, split and merge axes by an einops pattern (no parameters).

    .. math:: y[\text{right axes}] = x[\text{left axes}]

    ``Rearrange("b c h w -> b (h w) c")`` turns a feature map into a sequence of
    :math:`h w` tokens of :math:`c` features. The pattern grammar is that of
    :mod:`lucid.einops`; lengths the input's shape does not fix are given as keywords
    (``Rearrange("b (h w) c -> b c h w", h=4)``). Shapes: the input must have the axes
    the left side names; the output has those of the right side.

    Backward: the inverse rearrangement of the gradient (every element is moved back
    to where it came from).

    Parameters
    ----------
    pattern : str
        ``"left -> right"``.
    **axes_lengths : int
        Lengths of axes the input's shape does not determine.

    Raises
    ------
    TypeError, ValueError
        A pattern that is not a str or does not parse, or lengths that are not
        positive ints (when the layer is made); in ``forward``, an input whose shape
        does not fit the pattern (the message quotes the pattern).

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> to_tokens = nn.Rearrange("b c h w -> b (h w) c")
    >>> to_tokens
    Rearrange('b c h w -> b (h w) c')
    >>> to_tokens(lucid.zeros((2, 3, 4, 5))).shape
    (2, 20, 3)
    >>> print(nn.Rearrange("(a b) -> b a", a=2)(lucid.Tensor([1.0, 2.0, 3.0, 4.0])))
    Tensor([[1.0, 3.0], [2.0, 4.0]])
    """

    def __init__(self, pattern, **axes_lengths):
        super().__init__()
        parse_pattern(pattern)                   # a bad pattern fails here, not in forward
        self.pattern = pattern
        self.axes_lengths = _check_lengths("Rearrange", axes_lengths)

    def forward(self, x):
        """Rearrange ``x`` by the pattern."""
        return rearrange(tensor_input("Rearrange", x), self.pattern, **self.axes_lengths)

    def extra_repr(self):
        lengths = "".join(f", {k}={v}" for k, v in self.axes_lengths.items())
        return f"{self.pattern!r}{lengths}"
