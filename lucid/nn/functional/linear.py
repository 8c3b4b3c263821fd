r"""Affine maps: ``linear`` (``x W^T + b``) and ``bilinear`` (``x_1^T W x_2 + b``).

Each checks its arguments, then calls one Function of :mod:`lucid.ops.linear`.
Weights use PyTorch's layout: ``linear``'s weight is ``(out_features, in_features)``.
"""
from lucid._checks import float_tensor, renamed
from lucid.nn.functional._layer_args import optional_param
from lucid.ops.linear import Bilinear, Linear

__all__ = ["linear", "bilinear"]


def _same_dtype(fname, x, arg, t):
    if t.dtype != x.dtype:
        raise TypeError(f"{fname}: {arg} must have the dtype of input_ ({x.dtype}); "
                        f"got {t.dtype}")


def linear(input_, weight, bias=None):
    r"""Affine map of the last axis: :math:`y = x W^T + b`.

    .. math:: y_{\dots, o} = \sum_i x_{\dots, i} W_{o i} + b_o

    Shapes: ``input_`` ``(*, in_features)`` (any number of leading axes ``*``), ``weight``
    ``(out_features, in_features)``, ``bias`` ``(out_features,)``; the result is
    ``(*, out_features)``.

    Backward: with :math:`G = \partial L/\partial y`, :math:`\partial L/\partial x = G W`,
    :math:`\partial L/\partial W = \sum_{*} G^T x` (one matrix product over the flattened
    leading axes) and :math:`\partial L/\partial b = \sum_{*} G`.

    Parameters
    ----------
    input_ : Tensor
        ``(*, in_features)``, float32 or float64, at least 1-d.
    weight : Tensor
        ``(out_features, in_features)``, the dtype of ``input_``.
    bias : Tensor, optional
        ``(out_features,)``.

    Returns
    -------
    Tensor
        ``(*, out_features)``, the dtype of ``input_``.

    Raises
    ------
    TypeError
        A non-Tensor or non-float argument, or dtypes that differ.
    ValueError
        ``weight`` not 2-d, ``in_features`` that differ, a ``bias`` of the wrong shape.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[1.0, 2.0]], requires_grad=True)
    >>> w = lucid.Tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]], requires_grad=True)
    >>> b = lucid.Tensor([0.5, 0.0, 0.0], requires_grad=True)
    >>> y = F.linear(x, w, b)
    >>> print(y)
    Tensor([[1.5, 3.0, -2.0]], grad_fn=Linear)
    >>> y.sum().backward()
    >>> x.grad
    array([[2., 0.]], dtype=float32)
    """
    x = float_tensor(input_, "linear")
    w = float_tensor(weight, "linear", "weight")
    _same_dtype("linear", x, "weight", w)
    if w.ndim != 2:
        raise ValueError(f"linear: weight must be 2-d (out_features, in_features); "
                         f"got shape {w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: input_'s last axis must have in_features = {w.shape[1]} "
                         f"elements (weight {w.shape}); got input_ shape {x.shape}")
    optional_param(bias, "linear", "bias", (w.shape[0],), x.dtype)
    return Linear.apply(x, w, bias)


@renamed(input_1="input1", input_2="input2")
def bilinear(input1, input2, weight, bias=None):
    r"""Bilinear map of two inputs: :math:`y_o = x_1^T W_o x_2 + b_o`.

    .. math:: y_{\dots, o} = \sum_{i, j} x_{1, \dots, i}\, W_{o i j}\, x_{2, \dots, j} + b_o

    Shapes: ``input1`` ``(*, in1)``, ``input2`` ``(*, in2)`` with the same leading axes,
    ``weight`` ``(out, in1, in2)``, ``bias`` ``(out,)``; the result is ``(*, out)``.

    Backward, with :math:`g = \partial L/\partial y`:
    :math:`\partial L/\partial x_{1,i} = \sum_{o,j} g_o W_{oij} x_{2,j}`,
    :math:`\partial L/\partial x_{2,j} = \sum_{o,i} g_o W_{oij} x_{1,i}`,
    :math:`\partial L/\partial W_{oij} = \sum_{*} g_o x_{1,i} x_{2,j}`,
    :math:`\partial L/\partial b_o = \sum_{*} g_o`.

    Parameters
    ----------
    input1 : Tensor
        ``(*, in1)``, float32 or float64.
    input2 : Tensor
        ``(*, in2)``, the same leading axes and dtype.
    weight : Tensor
        ``(out, in1, in2)``.
    bias : Tensor, optional
        ``(out,)``.

    Returns
    -------
    Tensor
        ``(*, out)``.

    Raises
    ------
    TypeError
        A non-Tensor or non-float argument, or dtypes that differ.
    ValueError
        Shapes that do not fit together (the message names both).

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x1 = lucid.Tensor([[1.0, 2.0]])
    >>> x2 = lucid.Tensor([[3.0]])
    >>> w = lucid.Tensor([[[1.0], [1.0]]])
    >>> print(F.bilinear(x1, x2, w))
    Tensor([[9.0]])
    """
    name = "bilinear"
    x1 = float_tensor(input1, name, "input1")
    x2 = float_tensor(input2, name, "input2")
    w = float_tensor(weight, name, "weight")
    _same_dtype(name, x1, "input2", x2)
    _same_dtype(name, x1, "weight", w)
    if w.ndim != 3:
        raise ValueError(f"bilinear: weight must be 3-d (out, in1, in2); got shape {w.shape}")
    if x1.ndim == 0 or x2.ndim == 0 or x1.shape[:-1] != x2.shape[:-1]:
        raise ValueError(f"bilinear: input1 and input2 must have the same leading axes; "
                         f"got shapes {x1.shape} and {x2.shape}")
    if x1.shape[-1] != w.shape[1] or x2.shape[-1] != w.shape[2]:
        raise ValueError(f"bilinear: weight {w.shape} expects input1 (*, {w.shape[1]}) and "
                         f"input2 (*, {w.shape[2]}); got {x1.shape} and {x2.shape}")
    optional_param(bias, name, "bias", (w.shape[0],), x1.dtype)
    return Bilinear.apply(x1, x2, w, bias)
