r"""SKNet (Li, Wang, Hu and Yang, 2019): selective-kernel ResNets and ResNeXts.

"Selective kernel networks", CVPR 2019. Each bottleneck's 3x3 convolution becomes a
*selective-kernel unit* (:class:`~lucid.nn.SelectiveKernel`): a 3x3 and a "5x5"
branch (a 3x3 with dilation 2), summed and pooled into a :math:`d = \max(C/16, 32)`
descriptor, from which a softmax across the two branches picks, per channel, how much
of each receptive field to keep; neurons adapt their receptive field to the input.

The paper's SKNet-50 is ResNeXt-50 (32x4d) with SK units: ``sk_resnext_50_32x4d``
(27.5M parameters, the paper's Table 2). ``sk_resnet_18/34/50`` put the same unit in
ResNet-18/34/50 (in the first convolution of a basic block), variants the paper does
not list; they follow the same rules.
"""
from lucid.models._common import factory
from lucid.models.resnet import BasicBlock, Bottleneck, _resnets

__all__ = ["sk_resnet_18", "sk_resnet_34", "sk_resnet_50", "sk_resnext_50_32x4d"]


def _factory(name, block, layers, title, groups=1, width=64):
    args = {"sk": True}
    if block is Bottleneck:
        args.update(groups=groups, base_width=width)
    return factory(__name__, name, f"{title}: the ResNet {tuple(layers)} with selective-kernel "
                   "units.", _resnets(block, layers, args), "~lucid.models.ResNet")


sk_resnet_18 = _factory("sk_resnet_18", BasicBlock, [2, 2, 2, 2], "SK-ResNet-18")
sk_resnet_34 = _factory("sk_resnet_34", BasicBlock, [3, 4, 6, 3], "SK-ResNet-34")
sk_resnet_50 = _factory("sk_resnet_50", Bottleneck, [3, 4, 6, 3], "SK-ResNet-50")
sk_resnext_50_32x4d = _factory("sk_resnext_50_32x4d", Bottleneck, [3, 4, 6, 3],
                               "SKNet-50 (SK-ResNeXt-50 32x4d)", 32, 4)
