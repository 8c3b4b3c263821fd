"""Helpers the model families share: torchvision's weight initialisation, a
conv-norm-activation unit, and the channel rounding of the mobile families."""
from lucid import nn
from lucid.nn import init

__all__ = ["init_like_torchvision", "init_normal", "conv_bn", "make_divisible", "factory"]

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_NORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.LayerNorm2d)


def init_like_torchvision(model, linear_std=None, conv_mode="fan_out"):
    r"""Initialise ``model`` in place as torchvision's CNNs do.

    * convolution weights: :math:`\mathcal N(0, 2 / \mathrm{fan})` (He, ReLU gain,
      ``conv_mode`` fan-out by default), biases 0;
    * batch-norm and layer-norm: weight 1, bias 0;
    * Linear (only when ``linear_std`` is given): weight :math:`\mathcal N(0,
      \mathrm{linear\_std}^2)`, bias 0; otherwise the layer's default is kept.

    Returns ``model``.
    """
    for module in model.modules():
        if isinstance(module, _CONV):
            init.kaiming_normal(module.weight, mode=conv_mode, nonlinearity="relu")
            if module.bias is not None:
                init.zeros(module.bias)
        elif isinstance(module, _NORM) and getattr(module, "weight", None) is not None:
            init.ones(module.weight)
            if module.bias is not None:
                init.zeros(module.bias)
        elif isinstance(module, nn.Linear) and linear_std is not None:
            init.normal(module.weight, 0.0, linear_std)
            if module.bias is not None:
                init.zeros(module.bias)
    return model


def conv_bn(in_channels, out_channels, kernel_size, stride=1, groups=1, activation=nn.ReLU,
            padding=None, bias=False, eps=1e-5, momentum=0.1):
    """``Sequential(Conv2d, BatchNorm2d, activation())`` (torchvision's
    ``Conv2dNormActivation``); no activation when ``activation`` is None. Padding
    defaults to ``kernel_size // 2`` (per axis for a tuple kernel)."""
    if padding is None:
        padding = (tuple(k // 2 for k in kernel_size) if isinstance(kernel_size, tuple)
                   else kernel_size // 2)
    layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, groups=groups,
                        bias=bias),
              nn.BatchNorm2d(out_channels, eps, momentum)]
    if activation is not None:
        layers.append(activation())
    return nn.Sequential(*layers)


def make_divisible(value, divisor=8, min_value=None):
    """Round ``value`` to the nearest multiple of ``divisor`` (at least ``min_value``,
    default ``divisor``), never more than 10% below ``value``: the channel rule of
    MobileNetV2/V3, EfficientNet and MobileNetV4."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def init_normal(model, std):
    r"""Convolution and Linear weights :math:`\mathcal N(0, \mathrm{std}^2)`, biases 0 (the
    initialisation of ConvNeXt, InceptionNeXt and torchvision's Inception nets, whose
    truncation at 2 std or at :math:`\pm 2` hardly ever acts). Returns ``model``."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            init.normal(module.weight, 0.0, std)
            if module.bias is not None:
                init.zeros(module.bias)
    return model


_FACTORY_DOC = """{summary}

    Parameters
    ----------
    num_classes : int, default {num_classes}
    **kwargs
        Passed to :class:`{cls}`{hint}.

    Returns
    -------
    {returns}
{examples}"""


def factory(module, name, summary, make, cls, num_classes=1000, hint="", examples="",
            **register):
    """Make, document and register the builder ``name(num_classes=..., **kwargs)``, which
    returns ``make(num_classes, kwargs)``; ``cls`` is the class it returns (for the
    docstring), ``register`` goes to :func:`register_model` (``aliases``, ``family``)."""
    from lucid.models._registry import register_model

    def build(num_classes=num_classes, **kwargs):
        return make(num_classes, kwargs)

    build.__name__ = build.__qualname__ = name
    build.__module__ = module
    build.__doc__ = _FACTORY_DOC.format(
        summary=summary, num_classes=num_classes, cls=cls, returns=cls.rsplit(".", 1)[-1],
        hint=f" ({hint})" if hint else "",
        examples=f"\n    Examples\n    --------\n{examples}" if examples else "")
    return register_model(build, **register)
