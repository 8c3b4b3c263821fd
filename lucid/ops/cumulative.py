r"""Running sums and products along an axis: ``cumsum`` and ``cumprod``.

.. math:: \text{cumsum: } y_j = \sum_{k \le j} x_k, \qquad
          \text{cumprod: } y_j = \prod_{k \le j} x_k

along ``axis`` (over the flattened tensor when ``axis`` is None, as NumPy). Integer and
bool inputs give int64, floating inputs keep their dtype (PyTorch's rules).
"""
import numpy as np

from lucid._checks import normalize_axis, renamed
from lucid.autograd.function import Function
from lucid.ops._util import as_tensor, shared_doc

__all__ = ["cumsum", "cumprod"]

# Parameters / Returns / Raises of both (shared_doc inserts them)
_SCAN_SECTIONS = """
Parameters
----------
input_ : Tensor
axis : int, optional
    Negative counts from the end; None flattens.

Returns
-------
Tensor
    ``input_``'s shape (1-d when ``axis`` is None); int64 for integer and bool
    inputs, else the input's dtype.

Raises
------
ValueError
    ``axis`` out of range.
TypeError
    ``axis`` not one int.
"""


def _reverse_cumsum(a, axis):
    """``r_j = sum_{k >= j} a_k`` along ``axis``: a running sum from the end."""
    return np.flip(np.cumsum(np.flip(a, axis), axis=axis), axis)


class CumSum(Function):
    r"""``y_j = sum_{k<=j} x_k``;  ``dL/dx_k = sum_{j>=k} dL/dy_j`` (a reverse cumsum)."""

    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis = axis
        return np.cumsum(x, axis=axis, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        return _reverse_cumsum(grad, ctx.axis)


class CumProd(Function):
    r"""``y_j = prod_{k<=j} x_k``;  ``dL/dx_i = sum_{j>=i} dL/dy_j prod_{k<=j, k!=i} x_k``."""

    @staticmethod
    def forward(ctx, x, axis, dtype):
        y = np.cumprod(x, axis=axis, dtype=dtype)
        ctx.x, ctx.y, ctx.axis = x, y, axis
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y, axis = ctx.x, ctx.y, ctx.axis
        if np.all(x != 0):          # y_j / x_i is the product without x_i
            return _reverse_cumsum(grad * y, axis) / x
        # Zeros: dL/dx_i = P_i R_i with P_i = prod_{k<i} x_k (an exclusive cumprod) and
        # R_i = sum_{j>=i} g_j prod_{i<k<=j} x_k, which obeys R_i = g_i + x_{i+1} R_{i+1}
        # from the end of the axis; no division, so exact at zeros.
        g = np.moveaxis(grad, axis, 0)
        xs = np.moveaxis(x, axis, 0).astype(g.dtype)
        r = np.empty_like(g)
        r[-1] = g[-1]
        for i in range(g.shape[0] - 2, -1, -1):
            r[i] = g[i] + xs[i + 1] * r[i + 1]
        p = np.ones_like(g)
        p[1:] = np.cumprod(xs[:-1], axis=0)
        return np.moveaxis(p * r, 0, axis)


def _scan_args(name, input_, axis):
    """``(x, axis, dtype)``: the tensor (flattened when ``axis`` is None), one axis,
    and the result dtype (int64 for integers and bools)."""
    x = as_tensor(input_)
    if axis is None:
        from lucid.ops.shape import reshape
        x, axis = reshape(x, (-1,)), 0
    elif isinstance(axis, (tuple, list)):
        raise TypeError(f"{name}: axis must be one int (or None); got {axis!r}")
    axis = normalize_axis(axis, x.ndim, name)
    if x.ndim == 0:
        from lucid.ops.shape import reshape
        x = reshape(x, (1,))
    dtype = x.dtype if x.dtype.kind in "fc" else np.dtype(np.int64)
    return x, axis, dtype


@renamed(dim="axis")
@shared_doc(_SCAN_SECTIONS)
def cumsum(input_, axis=None):
    r"""Running sum along ``axis`` (of the flattened tensor when None).

    .. math:: y_j = \sum_{k=0}^{j} x_k

    along the axis, for every position of the other axes. ``torch.cumsum`` requires
    ``dim``; without it lucid sums the flattened tensor, as NumPy does. A 0-d input
    gives a 1-element result.

    Backward: :math:`x_k` appears in every :math:`y_j` with :math:`j \ge k`, so its
    gradient is the running sum from the end,
    :math:`\partial L/\partial x_k = \sum_{j \ge k} \partial L/\partial y_j`.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    >>> y = lucid.cumsum(x, axis=1)
    >>> print(y)
    Tensor([[1.0, 3.0, 6.0], [4.0, 9.0, 15.0]], grad_fn=CumSum)
    >>> y.sum().backward()
    >>> x.grad
    array([[3., 2., 1.],
           [3., 2., 1.]], dtype=float32)
    >>> print(x.cumsum(dim=0))
    Tensor([[1.0, 2.0, 3.0], [5.0, 7.0, 9.0]], grad_fn=CumSum)
    """
    x, axis, dtype = _scan_args("cumsum", input_, axis)
    return CumSum.apply(x, axis=axis, dtype=dtype)


@renamed(dim="axis")
@shared_doc(_SCAN_SECTIONS)
def cumprod(input_, axis=None):
    r"""Running product along ``axis`` (of the flattened tensor when None).

    .. math:: y_j = \prod_{k=0}^{j} x_k

    Backward: :math:`\partial y_j / \partial x_i` is the product of the first
    :math:`j + 1` entries without :math:`x_i` (for :math:`j \ge i`), so

    .. math:: \frac{\partial L}{\partial x_i} = \sum_{j \ge i}
              \frac{\partial L}{\partial y_j} \prod_{k \le j,\, k \ne i} x_k

    computed as :math:`\frac{1}{x_i}\sum_{j \ge i} g_j y_j` when no entry is zero, and
    otherwise by the recurrence :math:`R_i = g_i + x_{i+1} R_{i+1}`,
    :math:`\partial L/\partial x_i = (\prod_{k<i} x_k)\, R_i`, which never divides (so
    the gradient at a zero is exact, as in PyTorch).

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> y = lucid.cumprod(x, axis=0)
    >>> print(y)
    Tensor([2.0, 0.0, 0.0], grad_fn=CumProd)
    >>> y.sum().backward()          # d/dx1 of 2 x1 + 2 x1 x2 = 2 + 2 * 3
    >>> x.grad
    array([1., 8., 0.], dtype=float32)
    """
    x, axis, dtype = _scan_args("cumprod", input_, axis)
    return CumProd.apply(x, axis=axis, dtype=dtype)
