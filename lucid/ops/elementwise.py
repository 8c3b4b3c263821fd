"""Element-wise operations: arithmetic, unary maths, comparisons.

Every binary op broadcasts like NumPy; the engine sums each gradient back to its
input's shape, so a backward here returns gradients of the broadcast shape.
"""
import numpy as np

from lucid.autograd.function import Function
from lucid.ops._util import broadcast_error

__all__ = ["add", "exp"]


def _binary(fn, name, a, b):
    try:
        return fn.apply(a, b)
    except ValueError as exc:
        if "broadcast" in str(exc):
            raise broadcast_error(name, a, b) from None
        raise


class Add(Function):
    r"""``z = a + b``;  ``dL/da = dL/dz``, ``dL/db = dL/dz``."""

    @staticmethod
    def forward(ctx, a, b):
        return np.add(a, b)

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


def add(a, b):
    r"""Element-wise sum with broadcasting.

    .. math:: z_i = a_i + b_i

    Backward: :math:`\partial L/\partial a = \partial L/\partial z` and the same for
    :math:`b`, each summed over the axes that broadcasting stretched.

    Parameters
    ----------
    a, b : Tensor or number
        Operands; their shapes must broadcast together.

    Returns
    -------
    Tensor
        Of the broadcast shape; dtype by NumPy promotion.

    Raises
    ------
    ValueError
        If the shapes do not broadcast; the message names both.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> b = lucid.Tensor([10.0, 20.0], requires_grad=True)
    >>> c = lucid.add(a, b)
    >>> print(c)
    Tensor([[11.0, 22.0], [13.0, 24.0]], grad_fn=Add)
    >>> c.sum().backward()
    >>> b.grad
    array([2., 2.], dtype=float32)
    """
    return _binary(Add, "add", a, b)


class Exp(Function):
    r"""``y = exp(x)``;  ``dL/dx = dL/dy * y``."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.y


def exp(input_):
    r"""Element-wise exponential.

    .. math:: y_i = e^{x_i}

    Backward: :math:`\partial L/\partial x_i = \partial L/\partial y_i \, e^{x_i}`.

    Examples
    --------
    >>> import lucid
    >>> print(lucid.exp(lucid.Tensor([0.0, 1.0])))
    Tensor([1.0, 2.7182817])
    """
    return Exp.apply(input_)
