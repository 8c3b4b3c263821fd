r"""Normalisation layers: ``BatchNorm1d/2d/3d``, ``InstanceNorm1d/2d/3d``, ``LayerNorm``,
``GroupNorm`` and ``GlobalResponseNorm``.

Each layer owns its affine parameters (:math:`\gamma` = ``weight``, :math:`\beta` =
``bias``; ones and zeros at the start, as in PyTorch) and, when it tracks them, its
running statistics as buffers (``running_mean`` zeros, ``running_var`` ones,
``num_batches_tracked`` an int64 counter), and calls the matching function of
:mod:`lucid.nn.functional.norm`, which documents the maths and the fused backward.

Train / eval, as in PyTorch: a BatchNorm layer in training mode normalises with the
batch's statistics and updates the running ones; in evaluation mode it normalises with
the running statistics (or, with ``track_running_stats=False``, always with the
batch's). With ``momentum=None`` the running statistics are the cumulative average of
every batch seen: the update factor is :math:`1/\texttt{num\_batches\_tracked}`.

Under ``no_grad`` a BatchNorm layer in evaluation mode and a LayerNorm remember their
last checked call and repeat it straight on the op's forward (batch norm's with the
running statistics of the call) while nothing the checks read has changed
(``_plan.py``).
"""
import warnings

import numpy as np

from lucid import ops
from lucid.nn import functional as F
from lucid._checks import check_bool, check_number, is_int
from lucid.nn.module import Module
from lucid.nn.functional import norm as F_norm
from lucid.nn.modules._checks import layer_input, tensor_input
from lucid.nn.modules._plan import Planned, plan_holds
from lucid.ops.norm import AffineNorm, running_stats_forward
from lucid.nn.parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "LayerNorm", "GroupNorm", "GlobalResponseNorm"]


def _positive_int(layer, arg, value):
    if not is_int(value) or value < 1:
        raise (TypeError if not is_int(value) else ValueError)(
            f"{layer}: {arg} must be a positive int; got {value!r}")
    return int(value)


class _NormBase(Module):
    """Per-channel parameters and running statistics shared by BatchNorm and InstanceNorm."""

    _d = 0  # spatial axes of a batched input

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, bias):
        super().__init__()
        name = type(self).__name__
        self.num_features = _positive_int(name, "num_features", num_features)
        self.eps = check_number(eps, name, "eps", 0.0, None)
        self.momentum = None if momentum is None else check_number(momentum, name, "momentum",
                                                                 0.0, 1.0)
        self.affine = check_bool(affine, name, "affine")
        self.track_running_stats = check_bool(track_running_stats, name, "track_running_stats")
        use_bias = check_bool(bias, name, "bias")
        c = self.num_features
        if self.affine:
            self.weight = Parameter(np.ones(c, np.float32))
        else:
            self.register_parameter("weight", None)
        if self.affine and use_bias:
            self.bias = Parameter(np.zeros(c, np.float32))
        else:
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(c, np.float32))
            self.register_buffer("running_var", np.ones(c, np.float32))
            self.register_buffer("num_batches_tracked", np.array(0, np.int64))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def reset_running_stats(self):
        """Running mean 0, running variance 1, counter 0."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self):
        """Reset the running statistics, and the affine parameters to ones and zeros."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(Planned, _NormBase):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias)

    def _check(self, x):
        layer_input(type(self).__name__, x, self._d, self.num_features, unbatched=False)

    def forward(self, x):
        """Normalise ``x`` of shape ``(N, C, *)`` per channel (see the class docstring)."""
        stats = (self.running_mean, self.running_var)
        parameters = (self.weight, self.bias) + stats
        settings = (self.training, self.momentum, self.eps, self.num_features,
                    self.track_running_stats)
        if self.training:
            y = self._planned_training_call(x, parameters, settings)
        else:
            y = self._planned_call(x, parameters, settings)
        if y is not None:
            return y
        self._check(x)
        factor = self._factor()
        running_mean, running_var = stats
        use_batch_stats = self.training or (running_mean is None and running_var is None)
        pass_running = not self.training or self.track_running_stats
        y = F.batch_norm(x, running_mean if pass_running else None,
                         running_var if pass_running else None, self.weight, self.bias,
                         training=use_batch_stats, momentum=factor, eps=self.eps)
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
        if self.training or (stats[0] is not None and stats[1] is not None):
            # training, or evaluation with running statistics: the plan runs that call
            # again (evaluation's views the running statistics as the op's ``stats``)
            self._keep_plan(AffineNorm, x, parameters, settings,
                            lambda: F_norm._batch_norm_params(x, *stats, *parameters[:2],
                                                              use_batch_stats, factor,
                                                              self.eps),
                            forward=None if self.training else running_stats_forward)
        return y

    def _factor(self):
        """The momentum of this call's running update: ``momentum``, or with ``None`` the
        cumulative average's ``1 / (batches so far + 1)`` in training mode."""
        if self.momentum is not None:
            return self.momentum
        if self.training and self.track_running_stats:
            return 1.0 / float(int(self.num_batches_tracked.data) + 1)
        return 0.0

    def _planned_training_call(self, x, parameters, settings):
        """A training-mode call by the layer's plan (``_plan.py``), or None when it does
        not hold: ``AffineNorm.apply`` with the kept arguments and this call's running
        statistics and momentum, as ``F.batch_norm`` hands them after its checks, then
        the batch count moved on."""
        plan = self._plan
        if not (plan_holds(plan, x, parameters, settings) and plan.records):
            return None
        running = None
        if self.track_running_stats:        # the checks make the momentum a float
            running = F_norm._running_update(self.running_mean, self.running_var,
                                             float(self._factor()))
        y = AffineNorm.apply(x, self.weight, self.bias, running=running, **plan.params)
        if self.track_running_stats:
            self.num_batches_tracked.data += 1
        return y


class BatchNorm1d(_BatchNorm):
    r"""Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs, per channel.

    .. math:: y = \gamma_c \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c

    Training mode: :math:`\mu_c, \sigma_c^2` are the batch mean and biased variance of
    channel :math:`c` (over ``N`` and ``L``), and the running statistics move toward
    them: :math:`\hat\mu \leftarrow (1 - m)\hat\mu + m\mu_c`, :math:`\hat\sigma^2
    \leftarrow (1 - m)\hat\sigma^2 + m\,\sigma_c^2\,\frac{n}{n - 1}` (unbiased). Evaluation
    mode: :math:`\hat\mu, \hat\sigma^2` replace them. Shapes: the output has the
    input's shape.

    Backward (see :func:`lucid.nn.functional.batch_norm`): :math:`\partial L/\partial x
    = r(h - \langle h\rangle - \hat x\langle h\hat x\rangle)` in training mode and
    :math:`r h` in evaluation mode (:math:`h = g\gamma`, :math:`r = (\sigma^2 +
    \epsilon)^{-1/2}`); :math:`\partial L/\partial\gamma = \sum g\hat x`,
    :math:`\partial L/\partial\beta = \sum g`.

    Parameters
    ----------
    num_features : int
        :math:`C`.
    eps : float, default 1e-5
    momentum : float or None, default 0.1
        :math:`m`; None for the cumulative average over all batches.
    affine : bool, default True
        Learn :math:`\gamma` (``weight``) and :math:`\beta` (``bias``).
    track_running_stats : bool, default True
        Keep ``running_mean``, ``running_var`` and ``num_batches_tracked`` buffers;
        without them batch statistics are used in evaluation mode too.
    bias : bool, default True (keyword only)
        Learn :math:`\beta` (when ``affine``).

    Raises
    ------
    TypeError, ValueError
        Bad settings; (forward) an input not ``(N, C)`` / ``(N, C, L)`` with
        ``C = num_features``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> bn = nn.BatchNorm1d(2)
    >>> bn
    BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    >>> print(bn(lucid.Tensor([[1.0, 10.0], [3.0, 30.0]])))
    Tensor([[-0.999995, -1.0], [0.999995, 1.0]], grad_fn=AffineNorm)
    >>> print(bn.running_mean)
    Buffer containing:
    Tensor([0.2, 2.0])
    >>> list(bn.state_dict())
    ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    """

    def _check(self, x):
        name = type(self).__name__
        c = self.num_features
        tensor_input(name, x)
        if not (x.ndim in (2, 3) and x.shape[1] == c):
            raise ValueError(f"{name}: expected input of shape (N, {c}) or (N, {c}, L); "
                             f"got {x.shape}")


class BatchNorm2d(_BatchNorm):
    r"""Batch normalisation of ``(N, C, H, W)`` inputs, per channel.

    .. math:: y = \gamma_c \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c

    with the statistics over ``N``, ``H`` and ``W``; training and evaluation modes,
    the running statistics, the parameters and the backward as in
    :class:`BatchNorm1d` (see :func:`lucid.nn.functional.batch_norm`).

    Parameters
    ----------
    num_features : int
    eps : float, default 1e-5
    momentum : float or None, default 0.1
    affine : bool, default True
    track_running_stats : bool, default True
    bias : bool, default True (keyword only)

    Raises
    ------
    TypeError, ValueError
        Bad settings; (forward) an input not ``(N, C, H, W)`` with ``C = num_features``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> bn = nn.BatchNorm2d(3)
    >>> y = bn(lucid.random.randn(4, 3, 5, 5))
    >>> int(bn.num_batches_tracked.item())
    1
    >>> bn.eval().training
    False
    """
    _d = 2


class BatchNorm3d(_BatchNorm):
    r"""Batch normalisation of ``(N, C, D, H, W)`` inputs, per channel.

    .. math:: y = \gamma_c \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c

    with the statistics over ``N``, ``D``, ``H`` and ``W``; otherwise as
    :class:`BatchNorm1d` (backward: see :func:`lucid.nn.functional.batch_norm`).

    Parameters
    ----------
    num_features : int
    eps : float, default 1e-5
    momentum : float or None, default 0.1
    affine : bool, default True
    track_running_stats : bool, default True
    bias : bool, default True (keyword only)

    Raises
    ------
    TypeError, ValueError
        Bad settings; (forward) an input not ``(N, C, D, H, W)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> nn.BatchNorm3d(2, momentum=None)(lucid.random.randn(2, 2, 3, 3, 3)).shape
    (2, 2, 3, 3, 3)
    """
    _d = 3


class _InstanceNorm(_NormBase):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias)

    def forward(self, x):
        """Normalise each channel of each sample of ``x`` (``(N, C, *S)`` or ``(C, *S)``)."""
        name = type(self).__name__
        batched = layer_input(name, x, self._d, self.num_features, channel_check=False)
        c = x.shape[1 if batched else 0]
        if c != self.num_features:
            if self.affine or self.track_running_stats:
                layer_input(name, x, self._d, self.num_features)       # raises
            warnings.warn(f"{name}: the input has {c} channels, not num_features="
                          f"{self.num_features} (unused, since affine=False and "
                          "track_running_stats=False)", stacklevel=2)
        if not batched:
            return ops.squeeze(self._normalise(ops.unsqueeze(x, 0)), 0)
        return self._normalise(x)

    def _normalise(self, x):
        return F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                               use_input_stats=self.training or not self.track_running_stats,
                               momentum=0.0 if self.momentum is None else self.momentum,
                               eps=self.eps)


_INSTANCE_DOC = r"""Instance normalisation of ``{shape}`` inputs: each channel of each sample
    over its {what} positions.

    .. math:: y_{{n,c}} = \gamma_c \frac{{x_{{n,c}} - \mu_{{n,c}}}}{{\sqrt{{\sigma_{{n,c}}^2
              + \epsilon}}}} + \beta_c

    with :math:`\mu_{{n,c}}, \sigma_{{n,c}}^2` the mean and biased variance over the
    spatial axes. With ``track_running_stats`` the running statistics are updated in
    training mode (with the batch average of the per-instance statistics) and used in
    evaluation mode, as in PyTorch. Unbatched ``{unbatched}`` inputs are accepted.
    Shapes: the output has the input's shape.

    Backward (see :func:`lucid.nn.functional.instance_norm`): as batch norm, with the
    means over each (sample, channel)'s spatial positions.

    Parameters
    ----------
    num_features : int
    eps : float, default 1e-5
    momentum : float or None, default 0.1
    affine : bool, default False
    track_running_stats : bool, default False
    bias : bool, default True (keyword only)

    Raises
    ------
    TypeError, ValueError
        Bad settings; (forward) an input of another ndim, or with a channel count other
        than ``num_features`` when it matters (``affine`` or ``track_running_stats``;
        otherwise a warning, as PyTorch).

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> norm = nn.InstanceNorm{d}d(2)
    >>> norm
    InstanceNorm{d}d(2, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    >>> norm(lucid.random.randn{example}).shape
    {example}
    """


class InstanceNorm1d(_InstanceNorm):
    _d = 1
    __doc__ = _INSTANCE_DOC.format(shape="(N, C, L)", what="L", unbatched="(C, L)", d=1,
                                   example="(3, 2, 5)")


class InstanceNorm2d(_InstanceNorm):
    _d = 2
    __doc__ = _INSTANCE_DOC.format(shape="(N, C, H, W)", what="H x W",
                                   unbatched="(C, H, W)", d=2, example="(3, 2, 4, 4)")


class InstanceNorm3d(_InstanceNorm):
    _d = 3
    __doc__ = _INSTANCE_DOC.format(shape="(N, C, D, H, W)", what="D x H x W",
                                   unbatched="(C, D, H, W)", d=3, example="(1, 2, 3, 3, 3)")


class LayerNorm(Planned, Module):
    r"""Layer normalisation: each sample over its last ``len(normalized_shape)`` axes.

    .. math:: y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    with :math:`\mu, \sigma^2` the mean and biased variance of the trailing axes (the
    same in training and evaluation). Shapes: input ``(*, *normalized_shape)``; the
    output has its shape; ``weight`` and ``bias`` have ``normalized_shape``.

    Backward (see :func:`lucid.nn.functional.layer_norm`): :math:`\partial L/\partial x
    = r(h - \langle h\rangle - \hat x\langle h\hat x\rangle)`, :math:`\partial
    L/\partial\gamma = \sum_* g\hat x`, :math:`\partial L/\partial\beta = \sum_* g`.

    Parameters
    ----------
    normalized_shape : int or tuple of int
    eps : float, default 1e-5
    elementwise_affine : bool, default True
        Learn ``weight`` (ones at the start) and ``bias`` (zeros).
    bias : bool, default True
        Learn ``bias`` (when ``elementwise_affine``).

    Raises
    ------
    TypeError, ValueError
        Bad settings; (forward) an input whose trailing axes are not
        ``normalized_shape``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> ln = nn.LayerNorm(2, eps=0.0)
    >>> ln
    LayerNorm((2,), eps=0.0, elementwise_affine=True, bias=True)
    >>> print(ln(lucid.Tensor([[1.0, 3.0]])))
    Tensor([[-1.0, 1.0]], grad_fn=AffineNorm)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        shape = (normalized_shape,) if is_int(normalized_shape) else normalized_shape
        if not isinstance(shape, (tuple, list)) or not shape or \
                not all(is_int(n) and n >= 1 for n in shape):
            raise TypeError(f"LayerNorm: normalized_shape must be a positive int or a "
                            f"non-empty tuple of them; got {normalized_shape!r}")
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = check_number(eps, "LayerNorm", "eps", 0.0, None)
        self.elementwise_affine = check_bool(elementwise_affine, "LayerNorm",
                                           "elementwise_affine")
        use_bias = check_bool(bias, "LayerNorm", "bias")
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, np.float32))
        else:
            self.register_parameter("weight", None)
        if self.elementwise_affine and use_bias:
            self.bias = Parameter(np.zeros(self.normalized_shape, np.float32))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        """Normalise ``x`` over its trailing ``normalized_shape`` axes."""
        parameters = (self.weight, self.bias)
        settings = (self.normalized_shape, self.eps)
        y = self._planned_call(x, parameters, settings)
        if y is not None:
            return y
        k = len(self.normalized_shape)
        tensor_input("LayerNorm", x)
        if x.ndim < k or x.shape[x.ndim - k:] != self.normalized_shape:
            dims = ", ".join(map(str, self.normalized_shape))
            raise ValueError(f"LayerNorm: expected input of shape (*, {dims}); got {x.shape}")
        y = F.layer_norm(x, self.normalized_shape, *parameters, self.eps)
        self._keep_plan(AffineNorm, x, parameters, settings, lambda: dict(zip(
            ("axes", "param_shape", "eps"),
            F_norm._layer_norm_args(x, self.normalized_shape, *parameters, self.eps))))
        return y

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GlobalResponseNorm(Module):
    r"""Global response normalisation (ConvNeXt V2), channels first.

    .. math:: G_{n,c} = \lVert x_{n,c,:,:} \rVert_2, \quad
              N_{n,c} = \frac{G_{n,c}}{\frac1C \sum_{c'} G_{n,c'} + \epsilon}, \quad
              y = \gamma_c\, x\, N_{n,c} + \beta_c + x

    ``gamma`` and ``beta`` start at zero, so the layer starts as the identity. Shapes:
    input ``(N, C, H, W)``; the output has its shape.

    Backward: assembled by autograd (see
    :func:`lucid.nn.functional.global_response_norm`); :math:`\partial L/\partial
    \gamma_c = \sum g\,x N`, :math:`\partial L/\partial\beta_c = \sum g`.

    Parameters
    ----------
    channels : int
        :math:`C`.
    eps : float, default 1e-6

    Raises
    ------
    TypeError, ValueError
        Bad settings; (forward) an input not ``(N, C, H, W)`` with ``C = channels``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> grn = nn.GlobalResponseNorm(3)
    >>> grn
    GlobalResponseNorm(3, eps=1e-06)
    >>> x = lucid.random.randn(2, 3, 4, 4)
    >>> bool((grn(x).data == x.data).all())     # gamma = beta = 0: the identity
    True
    """

    def __init__(self, channels, eps=1e-6):
        super().__init__()
        self.channels = _positive_int("GlobalResponseNorm", "channels", channels)
        self.eps = check_number(eps, "GlobalResponseNorm", "eps", 0.0, None)
        self.gamma = Parameter(np.zeros(self.channels, np.float32))
        self.beta = Parameter(np.zeros(self.channels, np.float32))

    def forward(self, x):
        """Apply GRN to ``x`` of shape ``(N, C, H, W)``."""
        layer_input("GlobalResponseNorm", x, 2, self.channels, unbatched=False)
        return F.global_response_norm(x, self.gamma, self.beta, self.eps)

    def extra_repr(self):
        return f"{self.channels}, eps={self.eps}"



class GroupNorm(Module):
    r"""Group normalisation: each sample's channels in ``num_groups`` groups.

    .. math:: y_{n,c,\dots} = \gamma_c \frac{x_{n,c,\dots} - \mu_{n,g(c)}}
              {\sqrt{\sigma_{n,g(c)}^2 + \epsilon}} + \beta_c

    with :math:`\mu_{n,g}, \sigma^2_{n,g}` the mean and biased variance of the
    :math:`C/G` consecutive channels of group :math:`g` of sample :math:`n`, over every
    spatial position. The statistics are the sample's own, so training and evaluation
    agree and nothing is tracked (a batch of one works: the layer of choice for small
    batches). Shapes: input ``(N, C)`` or ``(N, C, *)`` with ``C = num_channels``; the
    output has its shape; ``weight`` and ``bias`` are ``(C,)``.

    Backward (see :func:`lucid.nn.functional.group_norm`): :math:`\partial L/\partial x
    = r(h - \langle h\rangle - \hat x\langle h\hat x\rangle)` per group,
    :math:`\partial L/\partial\gamma_c = \sum g\hat x`, :math:`\partial
    L/\partial\beta_c = \sum g`.

    Parameters
    ----------
    num_groups : int
        :math:`G`, dividing ``num_channels``.
    num_channels : int
        :math:`C`.
    eps : float, default 1e-5
    affine : bool, default True
        Learn a per-channel ``weight`` (ones at the start) and ``bias`` (zeros).
    bias : bool, default True
        Learn ``bias`` (when ``affine``); keyword only, as in PyTorch.

    Raises
    ------
    TypeError, ValueError
        Bad settings, ``num_groups`` not dividing ``num_channels``; (forward) an input
        that is not ``(N, num_channels, *)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> gn = nn.GroupNorm(2, 4)
    >>> gn
    GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
    >>> y = gn(lucid.random.randn(3, 4, 5, 5))
    >>> y.shape
    (3, 4, 5, 5)
    >>> bool(abs(y.data[0, :2].mean()) < 1e-5)                   # group 0 of sample 0
    True
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, *, bias=True):
        super().__init__()
        self.num_groups = _positive_int("GroupNorm", "num_groups", num_groups)
        self.num_channels = _positive_int("GroupNorm", "num_channels", num_channels)
        if self.num_channels % self.num_groups:
            raise ValueError(f"GroupNorm: num_groups ({self.num_groups}) must divide "
                             f"num_channels ({self.num_channels})")
        self.eps = check_number(eps, "GroupNorm", "eps", 0.0, None)
        self.affine = check_bool(affine, "GroupNorm", "affine")
        use_bias = check_bool(bias, "GroupNorm", "bias")
        if self.affine:
            self.weight = Parameter(np.ones(self.num_channels, np.float32))
        else:
            self.register_parameter("weight", None)
        if self.affine and use_bias:
            self.bias = Parameter(np.zeros(self.num_channels, np.float32))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        """Normalise ``x`` of shape ``(N, C, *)`` per group of channels."""
        tensor_input("GroupNorm", x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: expected input of shape (N, {self.num_channels}, *) "
                             f"(num_channels={self.num_channels}); got {x.shape}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
