r"""Initialise parameters in place, as PyTorch does (``lucid.nn.init``).

Each function overwrites a floating tensor's values (keeping its dtype and shape)
and returns the tensor. Random ones draw from :func:`lucid.random.generator`, the one
NumPy generator every source of randomness in lucid shares, so
``lucid.random.seed(...)`` makes initialisation repeatable. The draws are made in
float64 and rounded to the tensor's dtype. (The numbers are not PyTorch's: its
generator is another; the distributions are the same.)

The names are the original lucid's (``uniform``, ``kaiming_normal``...); PyTorch's
names with a trailing underscore (``uniform_``, ``kaiming_normal_``...) are the same
functions.

The *fans* of a weight of shape ``(d0, d1, *K)`` are, as in PyTorch,
:math:`\mathrm{fan_{in}} = d_1 \prod K` and :math:`\mathrm{fan_{out}} = d_0 \prod K`
(for a convolution weight ``(C_out, C_in // groups, *K)``: the inputs and outputs one
kernel application connects; for a linear weight ``(out, in)``: ``in`` and ``out``).

Backward: none. Initialisation writes values; it records no graph.
"""
import math

from lucid import random as _random
from lucid._tensor import Tensor
from lucid.autograd.inplace import note_write
from lucid._checks import is_number as _is_number
from lucid.nn._shape_only import is_shape_only as _is_shape_only

# PyTorch's trailing-underscore names (uniform_, ...) are the same functions: they are
# module attributes but not listed here, so the docs show each function once.
__all__ = ["calculate_gain", "uniform", "normal", "constant", "zeros", "ones",
           "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"]


# ----------------------------------------------------------------------- checks
def _check_tensor(tensor, name):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: tensor must be a lucid Tensor (e.g. a Parameter); "
                        f"got {type(tensor).__name__}")
    if tensor.data.dtype.kind != "f":
        raise TypeError(f"{name}: tensor must be floating; got dtype {tensor.data.dtype}")


def _check_number(value, name, arg):
    if not _is_number(value):
        raise TypeError(f"{name}: {arg} must be a real number; got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name}: {arg} must be finite; got {value}")
    return float(value)


def _fans(tensor, name):
    """``(fan_in, fan_out)`` of a weight of shape ``(d0, d1, *K)``."""
    if tensor.ndim < 2:
        raise ValueError(
            f"{name}: fan_in and fan_out need a tensor with at least 2 axes; got shape {tensor.shape}"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode, name):
    fan_in, fan_out = _fans(tensor, name)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{name}: mode must be 'fan_in' or 'fan_out'; got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"{name}: cannot initialise a tensor with a zero {mode} (shape {tensor.shape})")
    return fan


def _fill(tensor, values):
    if not _is_shape_only(tensor):          # placeholders of nn.shape_only() stay as they are
        tensor.data[...] = values
        note_write(tensor.data)
    return tensor


def _draw(tensor, method, *args):
    """Fill ``tensor`` with ``generator().<method>(*args, size=shape)``; no draw for a
    shape-only placeholder."""
    if _is_shape_only(tensor):
        return tensor
    return _fill(tensor, getattr(_random.generator(), method)(*args, size=tensor.shape))


# ------------------------------------------------------------------------- gain
_FIXED_GAINS = {"linear": 1.0, "identity": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
                "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
                "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "selu": 3.0 / 4.0}


def calculate_gain(nonlinearity, param=None):
    r"""The factor that keeps activations' variance stable through ``nonlinearity``.

    ==================================================  ==============================
    nonlinearity                                        gain
    ==================================================  ==============================
    ``linear``, ``identity``, ``conv*``, ``sigmoid``    1
    ``tanh``                                            5/3
    ``relu``                                            :math:`\sqrt 2`
    ``leaky_relu`` (slope :math:`a` = ``param``)        :math:`\sqrt{2 / (1 + a^2)}`
    ``selu``                                            3/4
    ==================================================  ==============================

    .. math:: \mathrm{gain}_{\text{leaky\_relu}}(a) = \sqrt{\frac{2}{1 + a^2}}

    Parameters
    ----------
    nonlinearity : str
        One of the names above (``conv*``: ``conv1d`` ... ``conv_transpose3d``).
    param : float, optional
        Leaky ReLU's negative slope (default 0.01); ignored otherwise.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        An unknown ``nonlinearity``.
    TypeError
        A ``param`` that is not a number.

    Examples
    --------
    >>> from lucid.nn import init
    >>> init.calculate_gain("relu")
    1.4142135623730951
    >>> init.calculate_gain("leaky_relu", 5 ** 0.5) ** 2   # 2 / (1 + 5)
    0.3333333333333333
    """
    if nonlinearity in _FIXED_GAINS:
        return _FIXED_GAINS[nonlinearity]
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if not _is_number(slope):
            raise TypeError(f"calculate_gain: param (the negative slope) must be a number; got {slope!r}")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of "
        f"{sorted(_FIXED_GAINS) + ['leaky_relu']}"
    )


# ------------------------------------------------------------------ plain fills
def uniform(tensor, a=0.0, b=1.0):
    r"""Fill ``tensor`` with draws from the uniform distribution :math:`U(a, b)`.

    .. math:: w_i \sim U(a, b), \qquad \mathrm{E}[w] = \frac{a + b}{2}, \quad
              \mathrm{Var}[w] = \frac{(b - a)^2}{12}

    Parameters
    ----------
    tensor : Tensor
        Floating; overwritten in place (its dtype is kept).
    a, b : float
        The bounds, ``a <= b``.

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        ``tensor`` not a floating Tensor; bounds not numbers.
    ValueError
        ``a > b``, or a bound not finite.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn import init
    >>> w = lucid.zeros((2, 3))
    >>> _ = init.uniform(w, -0.5, 0.5)
    >>> bool(((w.data >= -0.5) & (w.data <= 0.5)).all())
    True
    """
    _check_tensor(tensor, "uniform")
    a, b = _check_number(a, "uniform", "a"), _check_number(b, "uniform", "b")
    if not a <= b:
        raise ValueError(f"uniform: a must not exceed b; got a={a}, b={b}")
    return _draw(tensor, "uniform", a, b)


def normal(tensor, mean=0.0, std=1.0):
    r"""Fill ``tensor`` with draws from the normal distribution :math:`\mathcal N(\mu, \sigma^2)`.

    .. math:: w_i \sim \mathcal{N}(\text{mean}, \text{std}^2)

    Parameters
    ----------
    tensor : Tensor
        Floating; overwritten in place.
    mean : float, default 0
    std : float, default 1
        Non-negative.

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        ``tensor`` not a floating Tensor; ``mean`` / ``std`` not numbers.
    ValueError
        A negative ``std``, or a value not finite.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn import init
    >>> lucid.random.seed(0)
    >>> w = init.normal(lucid.zeros(100_000), mean=2.0, std=0.5)
    >>> round(float(w.data.mean()), 2), round(float(w.data.std()), 2)
    (2.0, 0.5)
    """
    _check_tensor(tensor, "normal")
    mean, std = _check_number(mean, "normal", "mean"), _check_number(std, "normal", "std")
    if std < 0:
        raise ValueError(f"normal: std must be non-negative; got {std}")
    return _draw(tensor, "normal", mean, std)


def constant(tensor, val):
    r"""Fill ``tensor`` with the value ``val``: :math:`w_i = \text{val}`.

    .. math:: w_i = \text{val}

    Parameters
    ----------
    tensor : Tensor
        Floating; overwritten in place.
    val : float

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        ``tensor`` not a floating Tensor; ``val`` not a number.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn import init
    >>> print(init.constant(lucid.zeros(3), 0.25))
    Tensor([0.25, 0.25, 0.25])
    """
    _check_tensor(tensor, "constant")
    if not _is_number(val):
        raise TypeError(f"constant: val must be a real number; got {val!r}")
    return _fill(tensor, val)


def zeros(tensor):
    r"""Fill ``tensor`` with zeros: :math:`w_i = 0`.

    .. math:: w_i = 0

    Parameters
    ----------
    tensor : Tensor
        Floating; overwritten in place.

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        ``tensor`` not a floating Tensor.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn import init
    >>> print(init.zeros(lucid.ones(2)))
    Tensor([0.0, 0.0])
    """
    _check_tensor(tensor, "zeros")
    return _fill(tensor, 0.0)


def ones(tensor):
    r"""Fill ``tensor`` with ones: :math:`w_i = 1`.

    .. math:: w_i = 1

    Parameters
    ----------
    tensor : Tensor
        Floating; overwritten in place.

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        ``tensor`` not a floating Tensor.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn import init
    >>> print(init.ones(lucid.zeros(2)))
    Tensor([1.0, 1.0])
    """
    _check_tensor(tensor, "ones")
    return _fill(tensor, 1.0)


# ------------------------------------------------------------ Glorot (Xavier)
def xavier_uniform(tensor, gain=1.0):
    r"""Glorot (Xavier) initialisation, uniform: :math:`U(-\mathrm{bound}, \mathrm{bound})` with

    .. math:: \mathrm{bound} = \mathrm{gain} \sqrt{\frac{6}{\mathrm{fan_{in}} + \mathrm{fan_{out}}}}

    so that :math:`\mathrm{Var}[w] = \mathrm{gain}^2 \, \frac{2}{\mathrm{fan_{in}} +
    \mathrm{fan_{out}}}`: a compromise that keeps the variance of both the forward
    activations and the backward gradients steady (for tanh / sigmoid networks).

    Parameters
    ----------
    tensor : Tensor
        Floating, at least 2-D; overwritten in place.
    gain : float, default 1
        A scale, usually :func:`calculate_gain` of the nonlinearity.

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        ``tensor`` not a floating Tensor; ``gain`` not a number.
    ValueError
        Fewer than 2 axes, or ``fan_in + fan_out == 0``.

    Examples
    --------
    >>> import numpy as np
    >>> import lucid
    >>> from lucid.nn import init
    >>> w = init.xavier_uniform(lucid.zeros((30, 20)))            # bound = sqrt(6 / 50)
    >>> bool(np.abs(w.data).max() <= np.sqrt(6 / 50))
    True
    """
    _check_tensor(tensor, "xavier_uniform")
    gain = _check_number(gain, "xavier_uniform", "gain")
    fan_in, fan_out = _fans(tensor, "xavier_uniform")
    if fan_in + fan_out == 0:
        raise ValueError(f"xavier_uniform: cannot initialise a tensor with zero fans (shape {tensor.shape})")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _draw(tensor, "uniform", -bound, bound)


def xavier_normal(tensor, gain=1.0):
    r"""Glorot (Xavier) initialisation, normal: :math:`\mathcal N(0, \mathrm{std}^2)` with

    .. math:: \mathrm{std} = \mathrm{gain} \sqrt{\frac{2}{\mathrm{fan_{in}} + \mathrm{fan_{out}}}}

    Parameters
    ----------
    tensor : Tensor
        Floating, at least 2-D; overwritten in place.
    gain : float, default 1

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        ``tensor`` not a floating Tensor; ``gain`` not a number.
    ValueError
        Fewer than 2 axes, or ``fan_in + fan_out == 0``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn import init
    >>> lucid.random.seed(0)
    >>> w = init.xavier_normal(lucid.zeros((400, 600)))          # std = sqrt(2 / 1000)
    >>> round(float(w.data.std()) / (2 / 1000) ** 0.5, 2)
    1.0
    """
    _check_tensor(tensor, "xavier_normal")
    gain = _check_number(gain, "xavier_normal", "gain")
    fan_in, fan_out = _fans(tensor, "xavier_normal")
    if fan_in + fan_out == 0:
        raise ValueError(f"xavier_normal: cannot initialise a tensor with zero fans (shape {tensor.shape})")
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _draw(tensor, "normal", 0.0, std)


# ---------------------------------------------------------------- He (Kaiming)
def kaiming_uniform(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    r"""He (Kaiming) initialisation, uniform: :math:`U(-\mathrm{bound}, \mathrm{bound})` with

    .. math:: \mathrm{bound} = \mathrm{gain} \sqrt{\frac{3}{\mathrm{fan}}}

    where ``fan`` is fan_in or fan_out (``mode``) and ``gain`` is
    :func:`calculate_gain` of ``nonlinearity`` (with ``a`` as leaky ReLU's slope).
    The variance is then :math:`\mathrm{gain}^2 / \mathrm{fan}`. PyTorch's default
    for linear and convolution weights is ``a = sqrt(5)``, which gives
    :math:`\mathrm{bound} = 1/\sqrt{\mathrm{fan_{in}}}`.

    Parameters
    ----------
    tensor : Tensor
        Floating, at least 2-D; overwritten in place.
    a : float, default 0
        Negative slope of the leaky ReLU that follows.
    mode : {'fan_in', 'fan_out'}
        Preserve the variance of the forward (fan_in) or backward (fan_out) pass.
    nonlinearity : str, default 'leaky_relu'
        As for :func:`calculate_gain`.

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        ``tensor`` not a floating Tensor; ``a`` not a number.
    ValueError
        Fewer than 2 axes, a bad ``mode`` or ``nonlinearity``, a zero fan.

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
    _check_tensor(tensor, "kaiming_uniform")
    fan = _fan(tensor, mode, "kaiming_uniform")
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return _draw(tensor, "uniform", -bound, bound)


def kaiming_normal(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    r"""He (Kaiming) initialisation, normal: :math:`\mathcal N(0, \mathrm{std}^2)` with

    .. math:: \mathrm{std} = \frac{\mathrm{gain}}{\sqrt{\mathrm{fan}}}

    (``fan``, ``gain`` as in :func:`kaiming_uniform`). With ``nonlinearity='relu'``,
    :math:`\mathrm{std} = \sqrt{2 / \mathrm{fan_{in}}}`: ReLU zeroes half of its
    input, and the factor 2 makes up for it.

    Parameters
    ----------
    tensor : Tensor
        Floating, at least 2-D; overwritten in place.
    a : float, default 0
        Negative slope of the leaky ReLU that follows.
    mode : {'fan_in', 'fan_out'}
    nonlinearity : str, default 'leaky_relu'

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        ``tensor`` not a floating Tensor; ``a`` not a number.
    ValueError
        Fewer than 2 axes, a bad ``mode`` or ``nonlinearity``, a zero fan.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn import init
    >>> lucid.random.seed(0)
    >>> w = init.kaiming_normal(lucid.zeros((256, 32, 3, 3)), mode="fan_out", nonlinearity="relu")
    >>> round(float(w.data.std()) / (2 / (256 * 9)) ** 0.5, 2)     # std = sqrt(2 / fan_out)
    1.0
    """
    _check_tensor(tensor, "kaiming_normal")
    fan = _fan(tensor, mode, "kaiming_normal")
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return _draw(tensor, "normal", 0.0, std)


# PyTorch's names: the same functions.
uniform_ = uniform
normal_ = normal
constant_ = constant
zeros_ = zeros
ones_ = ones
xavier_uniform_ = xavier_uniform
xavier_normal_ = xavier_normal
kaiming_uniform_ = kaiming_uniform
kaiming_normal_ = kaiming_normal
