r"""Initialise parameters in place, as PyTorch does (``lucid.nn.init``).

Each function overwrites a tensor's values (keeping its dtype) with draws from
:func:`lucid.random.generator`, the one generator every source of randomness in lucid
shares, so ``lucid.random.seed(...)`` makes initialisation repeatable. Each returns
the tensor.

The *fans* of a weight of shape ``(d0, d1, *K)`` are, as in PyTorch,
:math:`\mathrm{fan_{in}} = d_1 \prod K` and :math:`\mathrm{fan_{out}} = d_0 \prod K`
(for a convolution weight ``(C_out, C_in // groups, *K)``: the inputs and outputs one
kernel application connects).
"""
import math

from lucid import random as _random

__all__ = ["uniform", "kaiming_uniform", "calculate_gain"]


def _fans(tensor, name):
    if tensor.ndim < 2:
        raise ValueError(
            f"{name}: fan_in and fan_out need a tensor with at least 2 axes; got shape {tensor.shape}"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def calculate_gain(nonlinearity, param=None):
    r"""The factor that keeps activations' variance stable through ``nonlinearity``.

    ``'linear'``, ``'conv1d'``/``'conv2d'``/``'conv3d'``, ``'sigmoid'``: 1;
    ``'tanh'``: 5/3; ``'relu'``: :math:`\sqrt 2`; ``'selu'``: 3/4;
    ``'leaky_relu'`` with negative slope :math:`a` (``param``, default 0.01):
    :math:`\sqrt{2 / (1 + a^2)}`.

    Examples
    --------
    >>> from lucid.nn import init
    >>> init.calculate_gain("relu")
    1.4142135623730951
    >>> init.calculate_gain("leaky_relu", 5 ** 0.5) ** 2   # 2 / (1 + 5)
    0.3333333333333333
    """
    fixed = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "sigmoid": 1.0,
             "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "selu": 3.0 / 4.0}
    if nonlinearity in fixed:
        return fixed[nonlinearity]
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise TypeError(f"calculate_gain: param must be a number; got {slope!r}")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of "
        f"{sorted(fixed) + ['leaky_relu']}"
    )


def uniform(tensor, a=0.0, b=1.0):
    r"""Fill ``tensor`` with draws from the uniform distribution :math:`U(a, b)`.

    Parameters
    ----------
    tensor : Tensor
        Overwritten in place (its dtype is kept).
    a, b : float
        The bounds, ``a <= b``.

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn import init
    >>> w = lucid.Tensor([[0.0, 0.0, 0.0]])
    >>> bool(((init.uniform(w, -0.5, 0.5).data >= -0.5) & (w.data < 0.5)).all())
    True
    """
    if not a <= b:
        raise ValueError(f"uniform: a must not exceed b; got a={a}, b={b}")
    tensor.data[...] = _random.generator().uniform(a, b, size=tensor.shape)
    return tensor


def kaiming_uniform(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    r"""He (Kaiming) initialisation: :math:`U(-\mathrm{bound}, \mathrm{bound})` with

    .. math:: \mathrm{bound} = \mathrm{gain} \sqrt{\frac{3}{\mathrm{fan}}}

    where ``fan`` is fan_in or fan_out (``mode``) and ``gain`` is
    :func:`calculate_gain` of ``nonlinearity`` (with ``a`` as leaky ReLU's slope).
    The variance is then :math:`\mathrm{gain}^2 / \mathrm{fan}`. PyTorch's default
    for linear and convolution weights is ``a = sqrt(5)``, which gives
    :math:`\mathrm{bound} = 1/\sqrt{\mathrm{fan_{in}}}`.

    Parameters
    ----------
    tensor : Tensor
        At least 2-D; overwritten in place.
    a : float, default 0
        Negative slope of the leaky ReLU that follows.
    mode : {'fan_in', 'fan_out'}
        Preserve the variance of the forward (fan_in) or backward (fan_out) pass.
    nonlinearity : str, default 'leaky_relu'

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Examples
    --------
    >>> import numpy as np
    >>> import lucid
    >>> from lucid.nn import init
    >>> w = lucid.Tensor(np.zeros((64, 16, 3), np.float32))      # fan_in = 16 * 3 = 48
    >>> _ = init.kaiming_uniform(w, a=5 ** 0.5)
    >>> bool(np.abs(w.data).max() <= 1 / np.sqrt(48))
    True
    """
    fan_in, fan_out = _fans(tensor, "kaiming_uniform")
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming_uniform: mode must be 'fan_in' or 'fan_out'; got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(
            f"kaiming_uniform: cannot initialise a tensor with a zero fan (shape {tensor.shape})"
        )
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform(tensor, -bound, bound)
