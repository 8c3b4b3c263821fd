"""Helpers the model families share: torchvision's weight initialisation."""
from lucid import nn
from lucid.nn import init

__all__ = ["init_like_torchvision"]

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_NORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def init_like_torchvision(model, linear_std=None):
    r"""Initialise ``model`` in place as torchvision's VGG, ResNet and MobileNetV2 do.

    * convolution weights: :math:`\mathcal N(0, 2 / \mathrm{fan_{out}})` (He, fan-out
      mode, ReLU gain), biases 0;
    * batch-norm: weight 1, bias 0;
    * Linear (only when ``linear_std`` is given): weight :math:`\mathcal N(0,
      \mathrm{linear\_std}^2)`, bias 0; otherwise the layer's default is kept.

    Returns ``model``.
    """
    for module in model.modules():
        if isinstance(module, _CONV):
            init.kaiming_normal(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                init.zeros(module.bias)
        elif isinstance(module, _NORM) and module.weight is not None:
            init.ones(module.weight)
            init.zeros(module.bias)
        elif isinstance(module, nn.Linear) and linear_std is not None:
            init.normal(module.weight, 0.0, linear_std)
            if module.bias is not None:
                init.zeros(module.bias)
    return model
