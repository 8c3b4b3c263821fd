"""Reductions: sum, mean, var, min, max, trace (NumPy-style ``axis`` / ``keepdims``)."""
import numpy as np

from lucid.autograd.function import Function
from lucid.ops._util import normalize_axis

__all__ = ["sum"]

_sum = sum  # Python's, before the name is taken below


def _expand(grad, shape, axis, keepdims):
    """Put back the reduced axes of ``grad`` (size 1) so it broadcasts to ``shape``."""
    if axis is None:
        return grad.reshape((1,) * len(shape))
    if not keepdims:
        grad = np.expand_dims(grad, axis)
    return grad


class Sum(Function):
    r"""``y = sum_{axis} x``;  ``dL/dx = broadcast(dL/dy)``."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return np.broadcast_to(_expand(grad, ctx.shape, ctx.axis, ctx.keepdims), ctx.shape)


def sum(input_, axis=None, keepdims=False):
    r"""Sum of elements over ``axis`` (all axes when None).

    .. math:: y = \sum_{i \in \text{axis}} x_i

    Backward: every input element receives the gradient of the sum it went into,
    :math:`\partial L/\partial x_i = \partial L/\partial y`.

    Parameters
    ----------
    input_ : Tensor
    axis : int or tuple of int, optional
    keepdims : bool, default False
        Keep reduced axes with size 1.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> print(lucid.sum(x, axis=0))
    Tensor([4.0, 6.0], grad_fn=Sum)
    >>> x.sum().backward()
    >>> x.grad
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    if axis is not None:
        axis = normalize_axis(axis, input_.ndim, "sum")
    return Sum.apply(input_, axis=axis, keepdims=keepdims)
