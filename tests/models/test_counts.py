"""Every convolutional factory's parameter count, built shape-only (no weights allocated:
``nn.shape_only()``), against the count of the same architecture in torchvision or timm
(built on torch's meta device) or, where neither has it, the paper's figure or a count
by hand. Where the original lucid 2.2.2 documented another count, the family's docs
page says why (``docs/models/``)."""
import pytest

from lucid import models, nn
from tests import reference_models as ref

# name: lucid's count for 1000 classes (resnet_1001, vit_cifar: 10, for CIFAR-10). The
# original lucid's documented counts, and why they differ, are on the family pages
# (docs/_ext/modelzoo.py holds them).
COUNTS = {
    "alexnet": 61_100_840,
    "coatnet_0": 25_036_820,
    "coatnet_1": 42_225_776,
    "coatnet_2": 74_684_744,
    "coatnet_3": 166_966_264,
    "coatnet_4": 275_425_288,
    "coatnet_5": 687_052_952,
    "coatnet_6": 1_348_435_040,
    "coatnet_7": 2_441_972_728,
    "convnext_tiny": 28_589_128,
    "convnext_small": 50_223_688,
    "convnext_base": 88_591_464,
    "convnext_large": 197_767_336,
    "convnext_xlarge": 350_196_968,
    "convnext_v2_atto": 3_708_400,
    "convnext_v2_femto": 5_233_240,
    "convnext_v2_pico": 9_066_280,
    "convnext_v2_nano": 15_623_800,
    "convnext_v2_tiny": 28_635_496,
    "convnext_v2_base": 88_717_800,
    "convnext_v2_large": 197_956_840,
    "convnext_v2_huge": 660_289_640,
    "crossvit_tiny": 7_014_800,
    "crossvit_small": 26_856_272,
    "crossvit_base": 105_025_232,
    "crossvit_9": 8_553_296,
    "crossvit_15": 27_528_464,
    "crossvit_18": 43_271_408,
    "crossvit_9_dagger": 8_776_592,
    "crossvit_15_dagger": 28_209_008,
    "crossvit_18_dagger": 44_266_976,
    "cvt_13": 19_997_480,
    "cvt_21": 31_622_696,
    "cvt_w24": 277_196_392,
    "densenet_121": 7_978_856,
    "densenet_169": 14_149_480,
    "densenet_201": 20_013_928,
    "densenet_264": 33_337_704,
    "efficientnet_b0": 5_288_548,
    "efficientnet_b1": 7_794_184,
    "efficientnet_b2": 9_109_994,
    "efficientnet_b3": 12_233_232,
    "efficientnet_b4": 19_341_616,
    "efficientnet_b5": 30_389_784,
    "efficientnet_b6": 43_040_704,
    "efficientnet_b7": 66_347_960,
    "efficientnet_v2_s": 21_458_488,
    "efficientnet_v2_m": 54_139_356,
    "efficientnet_v2_l": 118_515_272,
    "efficientnet_v2_xl": 208_119_808,
    "inception_v1": 13_385_816,
    "inception_v3": 27_161_264,
    "inception_v4": 42_679_816,
    "inception_next_atto": 4_156_520,
    "inception_next_tiny": 28_055_680,
    "inception_next_small": 49_374_016,
    "inception_next_base": 86_672_136,
    "inception_resnet_v1": 22_756_328,
    "inception_resnet_v2": 55_843_464,
    "lenet_1": 3_246,
    "lenet_4": 18_378,
    "lenet_5": 61_706,
    "mobilenet": 4_231_976,
    "mobilenet_v2": 3_504_872,
    "mobilenet_v3_large": 5_483_032,
    "mobilenet_v3_small": 2_542_856,
    "mobilenet_v4_conv_small": 3_774_024,
    "mobilenet_v4_conv_medium": 9_715_512,
    "mobilenet_v4_conv_large": 32_590_864,
    "mobilenet_v4_hybrid_medium": 11_074_648,
    "mobilenet_v4_hybrid_large": 37_764_624,
    "pvt_tiny": 13_229_288,
    "pvt_small": 24_485_864,
    "pvt_medium": 44_208_104,
    "pvt_large": 61_369_320,
    "pvt_huge": 304_945_512,
    "pvt_v2_b0": 3_666_760,
    "pvt_v2_b1": 14_009_000,
    "pvt_v2_b2": 25_362_856,
    "pvt_v2_b2_li": 22_553_512,
    "pvt_v2_b3": 45_238_696,
    "pvt_v2_b4": 62_556_072,
    "pvt_v2_b5": 81_956_008,
    "resnest_14": 10_611_688,
    "resnest_26": 17_069_448,
    "resnest_50": 27_483_240,
    "resnest_101": 48_275_016,
    "resnest_200": 70_201_544,
    "resnest_269": 110_929_480,
    "resnest_50_4s2x40d": 30_417_592,
    "resnest_50_1s4x24d": 25_677_000,
    "resnet_18": 11_689_512,
    "resnet_34": 21_797_672,
    "resnet_50": 25_557_032,
    "resnet_101": 44_549_160,
    "resnet_152": 60_192_808,
    "resnet_200": 64_666_152,
    "resnet_269": 102_065_704,
    "resnet_1001": 10_327_706,
    "wide_resnet_50": 68_883_240,
    "wide_resnet_101": 126_886_696,
    "resnext_50_32x4d": 25_028_904,
    "resnext_101_32x4d": 44_177_704,
    "resnext_101_32x8d": 88_791_336,
    "resnext_101_32x16d": 194_026_792,
    "resnext_101_32x32d": 468_530_472,
    "resnext_101_64x4d": 83_455_272,
    "se_resnet_18": 11_778_592,
    "se_resnet_34": 21_958_868,
    "se_resnet_50": 28_088_024,
    "se_resnet_101": 49_326_872,
    "se_resnet_152": 66_821_848,
    "maxvit_tiny": 30_916_528,
    "maxvit_small": 68_927_956,
    "maxvit_base": 119_467_708,
    "maxvit_large": 211_785_560,
    "maxvit_xlarge": 474_951_952,
    "se_resnext_50_32x4d": 27_559_896,
    "se_resnext_101_32x4d": 48_955_416,
    "se_resnext_101_32x8d": 93_569_048,
    "se_resnext_101_64x4d": 88_232_984,
    "sk_resnet_18": 16_596_776,
    "sk_resnet_34": 31_937_704,
    "sk_resnet_50": 37_245_352,
    "sk_resnext_50_32x4d": 27_479_784,
    "swin_tiny": 28_288_354,
    "swin_small": 49_606_258,
    "swin_base": 87_768_224,
    "swin_large": 196_532_476,
    "swin_v2_tiny": 28_347_154,
    "swin_v2_small": 49_728_418,
    "swin_v2_base": 87_918_816,
    "swin_v2_large": 196_739_932,
    "swin_v2_huge": 658_027_922,
    "swin_v2_giant": 3_001_912_008,
    "vggnet_11": 132_863_336,
    "vggnet_13": 133_047_848,
    "vggnet_16": 138_357_544,
    "vggnet_19": 143_667_240,
    "vit_cifar": 2_693_578,
    "vit_tiny": 5_717_416,
    "vit_small": 22_050_664,
    "vit_base": 86_567_656,
    "vit_large": 304_326_632,
    "vit_huge": 632_199_400,
    "xception": 22_855_952,
    "zfnet": 62_357_608,
}

# torchvision builders of the same architecture (name -> (builder, kwargs))
TORCHVISION = {
    "alexnet": ("alexnet", {}), "vggnet_11": ("vgg11", {}), "vggnet_13": ("vgg13", {}),
    "vggnet_16": ("vgg16", {}), "vggnet_19": ("vgg19", {}),
    "resnet_18": ("resnet18", {}), "resnet_34": ("resnet34", {}), "resnet_50": ("resnet50", {}),
    "resnet_101": ("resnet101", {}), "resnet_152": ("resnet152", {}),
    "wide_resnet_50": ("wide_resnet50_2", {}), "wide_resnet_101": ("wide_resnet101_2", {}),
    "resnext_50_32x4d": ("resnext50_32x4d", {}), "resnext_101_32x8d": ("resnext101_32x8d", {}),
    "resnext_101_64x4d": ("resnext101_64x4d", {}),
    "densenet_121": ("densenet121", {}), "densenet_169": ("densenet169", {}),
    "densenet_201": ("densenet201", {}),
    "mobilenet_v2": ("mobilenet_v2", {}), "mobilenet_v3_large": ("mobilenet_v3_large", {}),
    "mobilenet_v3_small": ("mobilenet_v3_small", {}),
    **{f"efficientnet_{v}": (f"efficientnet_{v}", {}) for v in
       ("b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "v2_s", "v2_m", "v2_l")},
    "convnext_tiny": ("convnext_tiny", {}), "convnext_small": ("convnext_small", {}),
    "convnext_base": ("convnext_base", {}), "convnext_large": ("convnext_large", {}),
    "inception_v3": ("inception_v3", {"aux_logits": True, "init_weights": False}),
}
# timm model names of the same architecture
TIMM = {
    "resnext_101_32x4d": "resnext101_32x4d", "resnext_101_32x16d": "resnext101_32x16d",
    "resnext_101_32x32d": "resnext101_32x32d",
    "se_resnet_50": "seresnet50", "se_resnet_101": "seresnet101", "se_resnet_152": "seresnet152",
    "se_resnext_50_32x4d": "seresnext50_32x4d", "se_resnext_101_32x4d": "seresnext101_32x4d",
    "se_resnext_101_32x8d": "seresnext101_32x8d", "se_resnext_101_64x4d": "seresnext101_64x4d",
    "resnest_14": "resnest14d", "resnest_26": "resnest26d", "resnest_50": "resnest50d",
    "resnest_101": "resnest101e", "resnest_200": "resnest200e", "resnest_269": "resnest269e",
    "resnest_50_4s2x40d": "resnest50d_4s2x40d", "resnest_50_1s4x24d": "resnest50d_1s4x24d",
    "sk_resnext_50_32x4d": "skresnext50_32x4d", "mobilenet": "mobilenetv1_100",
    "efficientnet_v2_xl": "tf_efficientnetv2_xl", "convnext_xlarge": "convnext_xlarge",
    **{f"convnext_v2_{s}": f"convnextv2_{s}" for s in
       ("atto", "femto", "pico", "nano", "tiny", "base", "large", "huge")},
    **{f"mobilenet_v4_{s}": f"mobilenetv4_{s}" for s in
       ("conv_small", "conv_medium", "conv_large", "hybrid_medium", "hybrid_large")},
    "inception_v4": "inception_v4", "inception_resnet_v2": "inception_resnet_v2",
    "xception": "legacy_xception",
    **{f"inception_next_{s}": f"inception_next_{s}" for s in ("atto", "tiny", "small", "base")},
    **{f"crossvit_{s}": f"crossvit_{s}_240" for s in
       ("tiny", "small", "base", "9", "15", "18", "9_dagger", "15_dagger", "18_dagger")},
}


def _count(name, **kwargs):
    with nn.shape_only():
        return models.create_model(name, **kwargs).count_parameters()


def _torch_count(torch, build):
    with torch.device("meta"):                     # shapes only, as nn.shape_only()
        model = build()
    return sum(p.numel() for p in model.parameters())


def test_every_image_factory_is_counted():
    families = set(models.list_families()) - {"transformer", "rcnn", "user"}   # user: doctests
    assert {n for f in families for n in models.list_models(f)} == set(COUNTS)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_parameter_count(name):
    assert _count(name) == COUNTS[name]


def test_shape_only_build_allocates_no_weights():
    with nn.shape_only():
        net = models.convnext_v2_huge()
    assert all(nn.is_shape_only(p) and p.data.base is not None and p.data.base.size == 1
               for p in net.parameters())


def test_counts_without_a_reference_implementation():
    """ZFNet and the LeNets by hand; ResNet-1001: the paper's 10.2M."""
    conv = lambda cin, cout, k: cout * cin * k * k + cout
    fc = lambda i, o: i * o + o
    assert COUNTS["zfnet"] == (conv(3, 96, 7) + conv(96, 256, 5) + conv(256, 384, 3)
                                  + conv(384, 384, 3) + conv(384, 256, 3) + fc(9216, 4096)
                                  + fc(4096, 4096) + fc(4096, 1000))
    assert round(COUNTS["resnet_1001"] / 1e5) == 103       # "10.2M" for 10 classes
    assert round(_count("resnet_1001") / 1e6, 1) == 10.3


@pytest.mark.torchvision
@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_count_equals_torchvision(torch, name):
    tv = ref.torchvision()
    builder, kwargs = TORCHVISION[name]
    assert COUNTS[name] == _torch_count(torch, lambda: getattr(tv.models, builder)(**kwargs))


@pytest.mark.torchvision
def test_inception_v1_and_densenet_264_equal_torchvision_builds(torch):
    """GoogLeNet: torchvision's 3x3 "5x5" branches; DenseNet-264: torchvision's class."""
    tv = ref.torchvision()
    googlenet = lambda: tv.models.GoogLeNet(aux_logits=True, init_weights=False)
    assert _count("inception_v1", kernel5=3) == _torch_count(torch, googlenet)
    dense = lambda: tv.models.DenseNet(32, (6, 12, 64, 48), 64)
    assert COUNTS["densenet_264"] == _torch_count(torch, dense)


@pytest.mark.timm
@pytest.mark.parametrize("name", sorted(TIMM))
def test_count_equals_timm(torch, name):
    timm = ref.timm()
    assert COUNTS[name] == _torch_count(torch, lambda: timm.create_model(TIMM[name]))


@pytest.mark.timm
def test_counts_of_timm_builds_with_the_papers_settings(torch):
    """SE-ResNet-18/34 (squeeze C/16, not rounded to 8), pre-activation ResNet-200/269
    (timm's ResNetV2 with batch norm), SK-ResNet-18/34/50 (the paper's SK rules)."""
    timm = ref.timm()
    from functools import partial
    from timm.layers import BatchNormAct2d, SEModule, create_conv2d
    from timm.models.resnet import BasicBlock, Bottleneck, ResNet
    from timm.models.resnetv2 import ResNetV2
    from timm.models.sknet import SelectiveKernelBasic, SelectiveKernelBottleneck
    se = dict(attn_layer=partial(SEModule, rd_divisor=1))
    for name, block, layers in (("se_resnet_18", BasicBlock, [2, 2, 2, 2]),
                                ("se_resnet_34", BasicBlock, [3, 4, 6, 3])):
        assert COUNTS[name] == _torch_count(torch, lambda: ResNet(block, layers,
                                                                     block_args=se))
    for name, layers in (("resnet_200", [3, 24, 36, 3]), ("resnet_269", [3, 30, 48, 8])):
        build = lambda: ResNetV2(layers, preact=True, norm_layer=BatchNormAct2d,
                                 conv_layer=partial(create_conv2d, bias=False))
        assert COUNTS[name] == _torch_count(torch, build)
    sk = dict(sk_kwargs=dict(rd_ratio=1 / 16, rd_divisor=32, split_input=False))
    for name, block, layers in (("sk_resnet_18", SelectiveKernelBasic, [2, 2, 2, 2]),
                                ("sk_resnet_34", SelectiveKernelBasic, [3, 4, 6, 3]),
                                ("sk_resnet_50", SelectiveKernelBottleneck, [3, 4, 6, 3])):
        assert COUNTS[name] == _torch_count(torch, lambda: ResNet(block, layers,
                                                                     block_args=sk))
