r"""Similarity of vectors: ``cosine_similarity``.

The function checks its arguments, then calls the fused Function
:class:`lucid.ops.distance.CosineSimilarity`, whose docstring derives the backward.
Values and gradients equal ``torch.nn.functional.cosine_similarity``'s.
"""
import numpy as np

from lucid._checks import check_number, float_tensor, normalize_axis, renamed
from lucid.ops.distance import CosineSimilarity

__all__ = ["cosine_similarity"]


@renamed(dim="axis")
def cosine_similarity(x1, x2, axis=1, eps=1e-8):
    r"""The cosine of the angle between ``x1`` and ``x2`` along ``axis``.

    .. math:: y = \sum_k \frac{x_{1,k}}{\max(\lVert x_1\rVert, \epsilon)}
              \frac{x_{2,k}}{\max(\lVert x_2\rVert, \epsilon)}

    with the sums and norms along ``axis``. It is 1 for vectors pointing the same way,
    0 for orthogonal ones, -1 for opposite ones; a vector shorter than :math:`\epsilon`
    is divided by :math:`\epsilon` instead of its norm (a zero vector gives 0).

    Shapes: ``x1`` and ``x2`` broadcast to one shape; the result has that shape without
    ``axis``.

    Backward (fused; :math:`a = x_1/c_1`, :math:`b = x_2/c_2`, :math:`c` the clamped
    norms, :math:`g` the output gradient):
    :math:`\partial L/\partial x_1 = g\,b/c_1 - x_1 \sum_k g\,b_k x_{1,k} /
    (c_1^2 \lVert x_1\rVert)`, which is :math:`g\,(b - a\,y)/\lVert x_1\rVert` for
    vectors longer than :math:`\epsilon`; symmetric for :math:`x_2`.

    Parameters
    ----------
    x1, x2 : Tensor
        float32 or float64, of one dtype, broadcastable.
    axis : int, default 1
        The axis of the vectors (PyTorch's ``dim`` works too).
    eps : float, default 1e-8
        Positive; the smallest norm divided by.

    Returns
    -------
    Tensor
        The broadcast shape without ``axis``; the inputs' dtype.

    Raises
    ------
    TypeError
        Non-float tensors, differing dtypes, a non-int ``axis``.
    ValueError
        Shapes that do not broadcast, or 0-d; ``axis`` out of range; ``eps <= 0``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> a = lucid.Tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> b = lucid.Tensor([[2.0, 0.0], [-1.0, -1.0], [1.0, 2.0]])
    >>> print(F.cosine_similarity(a, b))            # same way, opposite, zero vector
    Tensor([1.0, -0.99999994, 0.0])
    >>> print(F.cosine_similarity(a, lucid.Tensor([0.0, 1.0]), dim=-1))   # broadcast
    Tensor([0.0, 0.70710677, 0.0])
    """
    name = "cosine_similarity"
    u = float_tensor(x1, name, "x1")
    v = float_tensor(x2, name, "x2")
    if u.dtype != v.dtype:
        raise TypeError(f"{name}: x2 must have the dtype of x1 ({u.dtype}); got {v.dtype}")
    try:
        shape = np.broadcast_shapes(u.shape, v.shape)
    except ValueError:
        raise ValueError(f"{name}: x1 of shape {u.shape} and x2 of shape {v.shape} do not "
                         "broadcast to one shape") from None
    if not shape:
        raise ValueError(f"{name}: x1 and x2 must have at least one axis (the vectors'); "
                         "got 0-d tensors")
    axis = normalize_axis(axis, len(shape), name)
    eps = check_number(eps, name, "eps", 0.0, None, low_open=True)
    return CosineSimilarity.apply(u, v, axis=axis, eps=eps)
