r"""SENet (Hu, Shen and Sun, 2018): squeeze-and-excitation ResNets and ResNeXts.

"Squeeze-and-excitation networks", CVPR 2018. Every residual block of a ResNet or
ResNeXt gains a squeeze-excitation (:class:`~lucid.nn.SEModule`, reduction
:math:`r = 16`) on its residual branch, just before the sum with the shortcut:

.. math:: y = \mathrm{relu}\bigl(\mathrm{SE}(F(x)) + s(x)\bigr), \qquad
          \mathrm{SE}(u)_c = u_c\,\sigma\bigl(W_2\,\mathrm{relu}(W_1 \bar u)\bigr)_c

with :math:`\bar u` the channel averages and :math:`W_1: C \to C/16`. About 10% more
parameters than the plain network for a clear gain in accuracy (the paper's Table 2).
The squeeze width is :math:`\lfloor C/16 \rfloor` as in the paper (timm rounds it up to
a multiple of 8, which changes SE-ResNet-18/34's counts slightly).
"""
from lucid.models._common import factory
from lucid.models.resnet import BasicBlock, Bottleneck, _resnets

__all__ = ["se_resnet_18", "se_resnet_34", "se_resnet_50", "se_resnet_101", "se_resnet_152",
           "se_resnext_50_32x4d", "se_resnext_101_32x4d", "se_resnext_101_32x8d",
           "se_resnext_101_64x4d"]


def _factory(name, block, layers, title, groups=1, width=64):
    args = {"se_reduction": 16}
    if block is Bottleneck:
        args.update(groups=groups, base_width=width)
    return factory(__name__, name, f"{title}: the ResNet {tuple(layers)} with a "
                   "squeeze-excitation (r = 16) in every block.",
                   _resnets(block, layers, args), "~lucid.models.ResNet")


se_resnet_18 = _factory("se_resnet_18", BasicBlock, [2, 2, 2, 2], "SE-ResNet-18")
se_resnet_34 = _factory("se_resnet_34", BasicBlock, [3, 4, 6, 3], "SE-ResNet-34")
se_resnet_50 = _factory("se_resnet_50", Bottleneck, [3, 4, 6, 3], "SE-ResNet-50")
se_resnet_101 = _factory("se_resnet_101", Bottleneck, [3, 4, 23, 3], "SE-ResNet-101")
se_resnet_152 = _factory("se_resnet_152", Bottleneck, [3, 8, 36, 3], "SE-ResNet-152")
se_resnext_50_32x4d = _factory("se_resnext_50_32x4d", Bottleneck, [3, 4, 6, 3],
                               "SE-ResNeXt-50 (32x4d)", 32, 4)
se_resnext_101_32x4d = _factory("se_resnext_101_32x4d", Bottleneck, [3, 4, 23, 3],
                                "SE-ResNeXt-101 (32x4d)", 32, 4)
se_resnext_101_32x8d = _factory("se_resnext_101_32x8d", Bottleneck, [3, 4, 23, 3],
                                "SE-ResNeXt-101 (32x8d)", 32, 8)
se_resnext_101_64x4d = _factory("se_resnext_101_64x4d", Bottleneck, [3, 4, 23, 3],
                                "SE-ResNeXt-101 (64x4d)", 64, 4)
