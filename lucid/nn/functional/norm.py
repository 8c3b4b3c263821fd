r"""Normalisation: ``batch_norm``, ``layer_norm``, ``instance_norm``, ``group_norm``,
``global_response_norm`` and ``normalize``.

The first four check their arguments, then call the fused Function
:class:`lucid.ops.norm.AffineNorm` (its docstring derives the shared backward);
``global_response_norm`` and ``normalize`` are short compositions of lucid ops, whose
backward autograd assembles. Values, gradients and running statistics equal
``torch.nn.functional``'s.
"""
from lucid import linalg, ops
from lucid._checks import (check_bool, check_int, check_number, float_tensor, remembered,
                           renamed)
from lucid.linalg._norm import tensor_norm
from lucid.nn.functional._layer_args import optional_param
from lucid.ops.norm import AffineNorm, running_stats

__all__ = ["batch_norm", "layer_norm", "instance_norm", "group_norm", "global_response_norm",
           "normalize"]


def _channel_params(fname, x, c, **params):
    """Check optional ``(C,)`` tensors (weight, bias, running stats) of ``x``'s dtype."""
    for arg, t in params.items():
        optional_param(t, fname, arg, (c,), x.dtype)


def _eps_momentum(fname, eps, momentum):
    eps = check_number(eps, fname, "eps", 0.0, None)
    momentum = check_number(momentum, fname, "momentum", 0.0, 1.0)
    return eps, momentum


def _data(t):
    return None if t is None else t.data


def _channel_shape(x):
    """``(1, C, 1, ..., 1)``: the shape per-channel values (statistics, weight, bias)
    take to broadcast over ``x`` of shape ``(N, C, *)``."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _batch_axes(x):
    """The axes batch norm reduces over: the batch and every spatial axis."""
    return (0,) + tuple(range(2, x.ndim))


def _batch_norm_params(input_, running_mean, running_var, weight, bias, training, momentum,
                       eps):
    """What ``batch_norm`` hands the op besides the arrays (and, in training, the running
    update), after its checks (which raise as it does): ``axes``, ``param_shape`` and
    ``eps``, the keyword arguments of :func:`lucid.ops.norm.running_stats_forward` in
    evaluation mode and of ``AffineNorm.apply`` in training. For a layer's plan
    (``lucid/nn/modules/_plan.py``)."""
    x = input_
    eps = _batch_norm_args(x, running_mean, running_var, weight, bias, training, momentum,
                           eps)[2]
    return {"axes": _batch_axes(x), "param_shape": _channel_shape(x), "eps": eps}


def _running_update(running_mean, running_var, momentum):
    """The op's ``running`` argument in training mode: the running statistics' arrays
    (None where a Tensor is None) and the momentum (checked), or None without any."""
    if running_mean is None and running_var is None:
        return None
    return (_data(running_mean), _data(running_var), momentum)


def _per_channel_norm(fname, flag, x, axes, use_input_stats, running_mean, running_var,
                      weight, bias, momentum, eps):
    """What batch_norm and instance_norm share once their arguments are checked:
    normalise each channel of ``x`` over ``axes``, with the input's statistics (moving
    the running ones towards them, when given) or, when ``use_input_stats`` (the
    argument ``flag``) is False, with the running statistics."""
    param_shape = _channel_shape(x)
    if use_input_stats:
        running = _running_update(running_mean, running_var, momentum)
        return AffineNorm.apply(x, weight, bias, axes=axes, param_shape=param_shape, eps=eps,
                                running=running)
    if running_mean is None or running_var is None:
        raise ValueError(f"{fname}: running_mean and running_var are required when "
                         f"{flag}=False")
    stats = running_stats(running_mean.data, running_var.data, param_shape)
    return AffineNorm.apply(x, weight, bias, axes=axes, param_shape=param_shape, eps=eps,
                            stats=stats)


def batch_norm(input_, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    r"""Batch normalisation: normalise each channel over the batch and spatial axes.

    .. math:: y_{n,c,\dots} = \gamma_c \frac{x_{n,c,\dots} - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}}
              + \beta_c

    In training mode :math:`\mu_c, \sigma_c^2` are the mean and *biased* variance of
    channel :math:`c` over ``N`` and every spatial position (:math:`m` values), and the
    running statistics (when given) are updated in place with the *unbiased* variance:
    :math:`\hat\mu \leftarrow (1 - \text{momentum})\hat\mu + \text{momentum}\,\mu_c`,
    :math:`\hat\sigma^2 \leftarrow (1 - \text{momentum})\hat\sigma^2 + \text{momentum}\,
    \sigma_c^2 \frac{m}{m - 1}`. In evaluation mode the running statistics are used.

    Shapes: ``input_`` ``(N, C)`` or ``(N, C, *)``; ``running_mean``, ``running_var``,
    ``weight``, ``bias`` ``(C,)``; the result has ``input_``'s shape.

    Backward (fused; :math:`h = g\gamma`, :math:`r = (\sigma^2 + \epsilon)^{-1/2}`,
    :math:`\langle\cdot\rangle` the mean over the channel's :math:`m` values):
    :math:`\partial L/\partial x = r(h - \langle h\rangle - \hat x\langle h\hat x\rangle)`
    in training mode, :math:`r h` in evaluation mode;
    :math:`\partial L/\partial\gamma_c = \sum g\hat x`,
    :math:`\partial L/\partial\beta_c = \sum g`. The running statistics get no gradient.

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, *)``, float32 or float64.
    running_mean, running_var : Tensor or None
        ``(C,)``; required in evaluation mode; updated in place in training mode.
    weight, bias : Tensor, optional
        ``(C,)`` scale :math:`\gamma` and shift :math:`\beta`.
    training : bool, default False
        Use (and record) batch statistics instead of the running ones.
    momentum : float, default 0.1
        In [0, 1].
    eps : float, default 1e-5
        Non-negative; added to the variance.

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError
        Non-float tensors, dtypes that differ, a non-bool ``training``.
    ValueError
        ``input_`` with fewer than 2 axes; parameters not of shape ``(C,)``; missing
        running statistics in evaluation mode; one value per channel in training mode;
        ``eps < 0`` or ``momentum`` outside [0, 1].

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> rm, rv = lucid.zeros(2), lucid.ones(2)
    >>> print(F.batch_norm(x, rm, rv, training=True, eps=0.0))
    Tensor([[-1.0, -1.0], [1.0, 1.0]])
    >>> print(rm)
    Tensor([0.2, 2.0])
    >>> print(rv)
    Tensor([1.1, 20.9])
    """
    training, momentum, eps = _batch_norm_args(input_, running_mean, running_var, weight,
                                               bias, training, momentum, eps)
    return _per_channel_norm("batch_norm", "training", input_, _batch_axes(input_),
                             training, running_mean, running_var, weight, bias, momentum,
                             eps)


@remembered
def _batch_norm_args(input_, running_mean, running_var, weight, bias, training, momentum,
                     eps):
    """:func:`batch_norm`'s checks; ``(training, momentum, eps)`` as the op takes them (a
    call seen before: what they returned then, :func:`lucid._checks.remembered`)."""
    name = "batch_norm"
    x = float_tensor(input_, name)
    if x.ndim < 2:
        raise ValueError(f"{name}: input_ must have shape (N, C) or (N, C, *); got {x.shape}")
    training = check_bool(training, name, "training")
    eps, momentum = _eps_momentum(name, eps, momentum)
    c = x.shape[1]
    _channel_params(name, x, c, running_mean=running_mean, running_var=running_var,
                    weight=weight, bias=bias)
    if training and x.size // max(c, 1) <= 1:
        raise ValueError(f"{name}: training needs more than 1 value per channel; got "
                         f"input_ of shape {x.shape}")
    return training, momentum, eps


def layer_norm(input_, normalized_shape, weight=None, bias=None, eps=1e-5):
    r"""Layer normalisation: normalise each sample over its last axes.

    .. math:: y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    with :math:`\mu, \sigma^2` the mean and biased variance over the last
    ``len(normalized_shape)`` axes of each sample (one pair per leading index).

    Shapes: ``input_`` ``(*, *normalized_shape)``; ``weight`` and ``bias``
    ``normalized_shape``; the result has ``input_``'s shape.

    Backward (fused): as :func:`batch_norm` in training mode, with the means
    :math:`\langle\cdot\rangle` over the normalised axes:
    :math:`\partial L/\partial x = r(h - \langle h\rangle - \hat x\langle h\hat x\rangle)`,
    :math:`\partial L/\partial\gamma = \sum_{*} g\hat x`,
    :math:`\partial L/\partial\beta = \sum_{*} g`.

    Parameters
    ----------
    input_ : Tensor
        float32 or float64; its last axes equal ``normalized_shape``.
    normalized_shape : int or tuple of int
        The shape of the normalised trailing axes.
    weight, bias : Tensor, optional
        Of shape ``normalized_shape``.
    eps : float, default 1e-5
        Non-negative.

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError
        Non-float tensors; ``normalized_shape`` not ints.
    ValueError
        Trailing axes of ``input_`` that differ from ``normalized_shape``; ``weight`` /
        ``bias`` of another shape; ``eps < 0``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[1.0, 3.0], [0.0, 10.0]])
    >>> print(F.layer_norm(x, 2, eps=0.0))
    Tensor([[-1.0, 1.0], [-1.0, 1.0]])
    """
    axes, param_shape, eps = _layer_norm_args(input_, normalized_shape, weight, bias, eps)
    return AffineNorm.apply(input_, weight, bias, axes=axes, param_shape=param_shape, eps=eps)


@remembered
def _layer_norm_args(input_, normalized_shape, weight, bias, eps):
    """:func:`layer_norm`'s checks; ``(axes, param_shape, eps)`` as the op takes them (a
    call seen before: what they returned then, :func:`lucid._checks.remembered`)."""
    name = "layer_norm"
    x = float_tensor(input_, name)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    if not isinstance(shape, (tuple, list)) or not shape or \
            not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"{name}: normalized_shape must be an int or a non-empty tuple of "
                        f"ints; got {normalized_shape!r}")
    shape = tuple(shape)
    k = len(shape)
    if x.shape[x.ndim - k:] != shape or x.ndim < k:
        raise ValueError(f"{name}: input_ must have shape (*, {', '.join(map(str, shape))}) "
                         f"to normalise over normalized_shape {shape}; got {x.shape}")
    optional_param(weight, name, "weight", shape, x.dtype)
    optional_param(bias, name, "bias", shape, x.dtype)
    eps = check_number(eps, name, "eps", 0.0, None)
    return tuple(range(x.ndim - k, x.ndim)), (1,) * (x.ndim - k) + shape, eps


@renamed(training="use_input_stats")
def instance_norm(input_, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    r"""Instance normalisation: normalise each channel of each sample over space.

    .. math:: y_{n,c,\dots} = \gamma_c \frac{x_{n,c,\dots} - \mu_{n,c}}
              {\sqrt{\sigma_{n,c}^2 + \epsilon}} + \beta_c

    with :math:`\mu_{n,c}, \sigma_{n,c}^2` the mean and biased variance over the spatial
    axes of sample :math:`n`, channel :math:`c` (``use_input_stats=True``), or the running
    statistics (``use_input_stats=False``). With input statistics, given running
    statistics are updated in place with the batch average of the per-instance means and
    unbiased variances (PyTorch's rule, see :func:`batch_norm`).

    Shapes: ``input_`` ``(N, C, *)`` with at least one spatial axis; the ``(C,)``
    parameters as in :func:`batch_norm`.

    Backward (fused): as :func:`batch_norm`, with the means :math:`\langle\cdot\rangle`
    over the spatial axes of each (sample, channel).

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, *)``, float32 or float64.
    running_mean, running_var : Tensor, optional
        ``(C,)``; required when ``use_input_stats`` is False.
    weight, bias : Tensor, optional
        ``(C,)``.
    use_input_stats : bool, default True
    momentum : float, default 0.1
    eps : float, default 1e-5

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError
        Non-float tensors; a non-bool ``use_input_stats``.
    ValueError
        ``input_`` with fewer than 3 axes; one spatial value with input statistics;
        parameters not ``(C,)``; missing running statistics; bad ``eps`` / ``momentum``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[1.0, 3.0], [5.0, 5.5]]])
    >>> print(F.instance_norm(x, eps=0.0))
    Tensor([[[-1.0, 1.0], [-1.0, 1.0]]])
    """
    name = "instance_norm"
    x = float_tensor(input_, name)
    if x.ndim < 3:
        raise ValueError(f"{name}: input_ must have shape (N, C, *) with at least one "
                         f"spatial axis; got {x.shape}")
    use_input_stats = check_bool(use_input_stats, name, "use_input_stats")
    eps, momentum = _eps_momentum(name, eps, momentum)
    c = x.shape[1]
    _channel_params(name, x, c, running_mean=running_mean, running_var=running_var,
                    weight=weight, bias=bias)
    if use_input_stats and x.size // max(x.shape[0] * c, 1) <= 1:
        raise ValueError(f"{name}: input statistics need more than 1 spatial value; "
                         f"got input_ of shape {x.shape}")
    return _per_channel_norm(name, "use_input_stats", x, tuple(range(2, x.ndim)),
                             use_input_stats, running_mean, running_var, weight, bias,
                             momentum, eps)


def global_response_norm(input_, gamma, beta, eps=1e-6):
    r"""Global response normalisation (ConvNeXt V2, Woo et al. 2023), channels first.

    For each sample, the L2 norm of each channel's feature map, divided by the mean of
    those norms over the channels, rescales the channel; a learned affine and a residual
    complete the layer:

    .. math:: G_{n,c} = \Big(\sum_{h,w} x_{n,c,h,w}^2\Big)^{1/2}, \qquad
              N_{n,c} = \frac{G_{n,c}}{\frac1C \sum_{c'} G_{n,c'} + \epsilon}

    .. math:: y_{n,c,h,w} = \gamma_c\, x_{n,c,h,w} N_{n,c} + \beta_c + x_{n,c,h,w}

    Layout: **channels first**, ``(N, C, H, W)`` (the paper's code is channels-last
    ``(N, H, W, C)``; the formula is the same with the axes moved). Shapes: ``gamma`` and
    ``beta`` ``(C,)``; the result has ``input_``'s shape.

    Backward: assembled by autograd from the lucid ops above. Through the norm,
    :math:`\partial G_{n,c}/\partial x_{n,c,h,w} = x_{n,c,h,w}/G_{n,c}` (0 where
    :math:`G = 0`); :math:`\partial L/\partial\gamma_c = \sum g\,x N`,
    :math:`\partial L/\partial\beta_c = \sum g`.

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, H, W)``, float32 or float64.
    gamma, beta : Tensor
        ``(C,)``; ConvNeXt V2 initialises both to zeros (the layer starts as identity).
    eps : float, default 1e-6
        Non-negative.

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError
        Non-float tensors or dtypes that differ.
    ValueError
        ``input_`` not 4-d; ``gamma`` / ``beta`` not ``(C,)``; ``eps < 0``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[3.0, 4.0]], [[0.0, 0.0]]]])
    >>> y = F.global_response_norm(x, lucid.ones(2), lucid.zeros(2), eps=0.0)
    >>> print(y)
    Tensor([[[[9.0, 12.0]], [[0.0, 0.0]]]])
    """
    name = "global_response_norm"
    x = float_tensor(input_, name)
    if x.ndim != 4:
        raise ValueError(f"{name}: input_ must have shape (N, C, H, W) (channels first); "
                         f"got {x.shape}")
    c = x.shape[1]
    for arg, t in (("gamma", gamma), ("beta", beta)):
        if t is None:
            raise TypeError(f"{name}: {arg} must be a Tensor of shape ({c},); got None")
        optional_param(t, name, arg, (c,), x.dtype)
    eps = check_number(eps, name, "eps", 0.0, None)
    n_, _, h, w = x.shape                                   # G: the L2 norm of each map
    g = linalg.norm(ops.reshape(x, (n_, c, h * w)), ord=2, axis=2, keepdims=True)
    g = ops.reshape(g, (n_, c, 1, 1))
    n = g / (ops.mean(g, axis=1, keepdims=True) + eps)
    return ops.reshape(gamma, (1, c, 1, 1)) * (x * n) + ops.reshape(beta, (1, c, 1, 1)) + x


@renamed(p="ord", dim="axis")
def normalize(input_, ord=2, axis=1, eps=1e-12):
    r"""Divide by the :math:`L_p` norm along ``axis`` (PyTorch's ``F.normalize``).

    .. math:: y = \frac{x}{\max(\lVert x \rVert_p, \epsilon)}

    with the norm taken along ``axis`` for each position of the other axes; ``eps``
    keeps a zero vector from dividing by zero (it stays zero).

    Backward: assembled by autograd (:func:`lucid.norm`, :func:`lucid.maximum`,
    :func:`lucid.div`). For :math:`p = 2` and :math:`\lVert x\rVert > \epsilon` it is
    :math:`\partial L/\partial x = (g - y\langle g, y\rangle)/\lVert x\rVert`.

    Parameters
    ----------
    input_ : Tensor
        Any shape with ``axis``, float32 or float64.
    ord : float, default 2
        The norm's :math:`p`: a number :math:`\ge 1`, or ``inf`` (PyTorch's ``p``; any
        :math:`p > 0` works, and ``-inf``, though only :math:`p \ge 1` is a norm).
    axis : int, default 1
    eps : float, default 1e-12
        Non-negative.

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError
        A non-float ``input_``; a non-int ``axis``.
    ValueError
        ``axis`` out of range; a negative ``ord`` (other than ``-inf``) or 0;
        ``eps < 0``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.normalize(lucid.Tensor([[3.0, 4.0], [0.0, 0.0]]), axis=1))
    Tensor([[0.6, 0.8], [0.0, 0.0]])
    >>> print(F.normalize(lucid.Tensor([[3.0, 4.0]]), p=1, dim=1))
    Tensor([[0.42857143, 0.5714286]])
    """
    from lucid._checks import normalize_axis
    name = "normalize"
    x = float_tensor(input_, name)
    axis = normalize_axis(axis, x.ndim, name)
    if isinstance(ord, (bool, str)) or not isinstance(ord, (int, float)) or ord == 0 \
            or (ord < 0 and ord != float("-inf")) or ord != ord:
        raise ValueError(f"{name}: ord must be a number > 0, inf or -inf; got {ord!r}")
    eps = check_number(eps, name, "eps", 0.0, None)
    n = tensor_norm(x, p=ord, axis=axis, keepdims=True)
    return x / ops.maximum(n, eps)


def group_norm(input_, num_groups, weight=None, bias=None, eps=1e-5):
    r"""Group normalisation: normalise each group of channels of each sample.

    The :math:`C` channels are split into ``num_groups`` groups of :math:`C/G`
    consecutive channels; each sample's group is normalised over its channels and
    every spatial position (:math:`m = (C/G) \cdot \prod S` values), then each channel
    gets its own scale and shift:

    .. math:: y_{n,c,\dots} = \gamma_c \frac{x_{n,c,\dots} - \mu_{n,g(c)}}
              {\sqrt{\sigma_{n,g(c)}^2 + \epsilon}} + \beta_c,
              \qquad g(c) = \lfloor c\,G / C \rfloor

    with :math:`\mu_{n,g}, \sigma_{n,g}^2` the mean and *biased* variance of group
    :math:`g` of sample :math:`n`. One group is layer norm over ``(C, *)``; :math:`C`
    groups is instance norm. The statistics never depend on the batch, so training
    and evaluation give the same result and there are no running statistics.

    Shapes: ``input_`` ``(N, C)`` or ``(N, C, *)`` with :math:`C` divisible by
    ``num_groups``; ``weight`` and ``bias`` ``(C,)``; the result has ``input_``'s shape.

    Backward (fused, one node: the input is viewed as ``(N, G, C/G, *)`` and
    normalised by the Function batch and layer norm use; :math:`h = g\gamma`,
    :math:`r = (\sigma^2 + \epsilon)^{-1/2}`, :math:`\langle\cdot\rangle` the mean over
    the group's :math:`m` values):
    :math:`\partial L/\partial x = r(h - \langle h\rangle - \hat x\langle h\hat x\rangle)`,
    :math:`\partial L/\partial\gamma_c = \sum_{n,\dots} g\hat x`,
    :math:`\partial L/\partial\beta_c = \sum_{n,\dots} g`.

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, *)``, float32 or float64.
    num_groups : int
        :math:`G`, positive, dividing :math:`C`.
    weight, bias : Tensor, optional
        ``(C,)`` scale :math:`\gamma` and shift :math:`\beta`, ``input_``'s dtype.
    eps : float, default 1e-5
        Non-negative; added to the variance.

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError
        Non-float tensors or dtypes that differ; a non-int ``num_groups``.
    ValueError
        ``input_`` with fewer than 2 axes; ``num_groups`` not positive or not dividing
        the channels; ``weight`` / ``bias`` not ``(C,)``; ``eps < 0``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[1.0, 3.0], [1.0, 3.0], [0.0, 4.0], [2.0, 2.0]]])   # (1, 4, 2)
    >>> print(F.group_norm(x, 2, eps=0.0))          # groups: channels {0, 1} and {2, 3}
    Tensor([[[-1.0, 1.0], [-1.0, 1.0], [-1.4142135, 1.4142135], [0.0, 0.0]]])
    >>> print(F.group_norm(x, 4))                   # a group per channel: instance norm
    Tensor([[[-0.999995, 0.999995], [-0.999995, 0.999995], [-0.9999988, 0.9999988], [0.0, 0.0]]])
    """
    name = "group_norm"
    x = float_tensor(input_, name)
    if x.ndim < 2:
        raise ValueError(f"{name}: input_ must have shape (N, C) or (N, C, *); got {x.shape}")
    groups = check_int(num_groups, name, "num_groups", 1)
    c = x.shape[1]
    if c % groups:
        raise ValueError(f"{name}: num_groups ({groups}) must divide the number of "
                         f"channels ({c}) of input_ of shape {x.shape}")
    _channel_params(name, x, c, weight=weight, bias=bias)
    eps = check_number(eps, name, "eps", 0.0, None)
    spatial = x.shape[2:]
    view = (x.shape[0], groups, c // groups) + spatial
    axes = tuple(range(2, len(view)))
    param_shape = (1, groups, c // groups) + (1,) * len(spatial)
    return AffineNorm.apply(x, weight, bias, axes=axes, param_shape=param_shape, eps=eps,
                            view=view)
