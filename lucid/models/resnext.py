r"""ResNeXt (Xie, Girshick, Dollár, Tu and He, 2017): ResNet with grouped bottlenecks.

"Aggregated residual transformations for deep neural networks", CVPR 2017. The 3x3
convolution of every bottleneck is split into :math:`C` groups (the *cardinality*) of
width :math:`d`: ResNeXt-50 (32x4d) has 32 groups of 4 channels in the first stage
(inner width 128, doubling per stage). The paper's template (its Table 1) otherwise is
ResNet-50's; more cardinality at equal parameters gave better accuracy than depth or
width. The 32x8d, 32x16d and 32x32d ResNeXt-101 are the widths of Mahajan et al.
(2018), "Exploring the limits of weakly supervised pretraining".

Blocks are :class:`~lucid.models.Bottleneck` with ``groups=C`` and ``base_width=d``;
names and initialisation as :class:`~lucid.models.ResNet` (torchvision's).
"""
from lucid.models._common import factory
from lucid.models.resnet import Bottleneck, _resnets

__all__ = ["resnext_50_32x4d", "resnext_101_32x4d", "resnext_101_32x8d",
           "resnext_101_32x16d", "resnext_101_32x32d", "resnext_101_64x4d"]


def _factory(name, layers, groups, width, title):
    return factory(__name__, name, f"{title}: bottlenecks {tuple(layers)}, {groups} groups of "
                   f"width {width}.", _resnets(Bottleneck, layers, {"groups": groups,
                                                                    "base_width": width}),
                   "~lucid.models.ResNet")


resnext_50_32x4d = _factory("resnext_50_32x4d", [3, 4, 6, 3], 32, 4, "ResNeXt-50 (32x4d)")
resnext_101_32x4d = _factory("resnext_101_32x4d", [3, 4, 23, 3], 32, 4, "ResNeXt-101 (32x4d)")
resnext_101_32x8d = _factory("resnext_101_32x8d", [3, 4, 23, 3], 32, 8, "ResNeXt-101 (32x8d)")
resnext_101_32x16d = _factory("resnext_101_32x16d", [3, 4, 23, 3], 32, 16,
                              "ResNeXt-101 (32x16d)")
resnext_101_32x32d = _factory("resnext_101_32x32d", [3, 4, 23, 3], 32, 32,
                              "ResNeXt-101 (32x32d)")
resnext_101_64x4d = _factory("resnext_101_64x4d", [3, 4, 23, 3], 64, 4, "ResNeXt-101 (64x4d)")
