r"""Similarity layers: ``CosineSimilarity``.

A thin :class:`~lucid.nn.Module` over :func:`lucid.nn.functional.cosine_similarity`,
which documents the maths and its fused backward. No parameters.
"""
from lucid._checks import check_number, is_int, renamed
from lucid.nn import functional as F
from lucid.nn.module import Module

__all__ = ["CosineSimilarity"]


class CosineSimilarity(Module):
    r"""The cosine of the angle between two inputs along ``axis``.

    .. math:: y = \sum_k \frac{x_{1,k}}{\max(\lVert x_1\rVert, \epsilon)}
              \frac{x_{2,k}}{\max(\lVert x_2\rVert, \epsilon)}

    Shapes: ``x1`` and ``x2`` broadcastable; the output is their broadcast shape without
    ``axis``. Backward: :math:`\partial L/\partial x_1 = g\,(b - a\,y)/\lVert
    x_1\rVert` for vectors longer than :math:`\epsilon` (:math:`a, b` the unit vectors;
    see :func:`lucid.nn.functional.cosine_similarity`).

    Parameters
    ----------
    axis : int, default 1
        The axis of the vectors; PyTorch's ``dim`` works too.
    eps : float, default 1e-8
        Positive; the smallest norm divided by.

    Raises
    ------
    TypeError, ValueError
        A non-int ``axis``, ``eps <= 0``; (forward) inputs that do not broadcast, an
        ``axis`` out of range.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> cos = nn.CosineSimilarity(dim=1)
    >>> cos
    CosineSimilarity()
    >>> print(cos(lucid.Tensor([[1.0, 0.0], [3.0, 4.0]]), lucid.Tensor([[0.0, 2.0], [3.0, 4.0]])))
    Tensor([0.0, 1.0])
    """

    @renamed(dim="axis")
    def __init__(self, axis=1, eps=1e-8):
        super().__init__()
        if not is_int(axis):
            raise TypeError(f"CosineSimilarity: axis must be an int; got {axis!r}")
        self.axis = int(axis)
        self.eps = check_number(eps, "CosineSimilarity", "eps", 0.0, None, low_open=True)

    def forward(self, x1, x2):
        """The cosine similarity of ``x1`` and ``x2`` along ``axis``."""
        return F.cosine_similarity(x1, x2, axis=self.axis, eps=self.eps)
