"""The plain and mobile CNN families: LeNet, AlexNet, ZFNet, VGG, DenseNet, MobileNet
V1-V3, EfficientNet V1/V2 and ConvNeXt V1/V2: values and gradients against torchvision /
timm with the same weights (small inputs, reduced depths where the code is the same),
shapes, and gradcheck of the distinctive blocks."""
import importlib
from functools import partial

import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.testing import gradcheck
from tests import reference_models as ref


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# ------------------------------------------------------------------ shapes, blocks
@pytest.mark.parametrize("name, shape", [
    ("lenet_1", (2, 1, 28, 28)), ("lenet_4", (2, 1, 28, 28)), ("zfnet", (1, 3, 64, 64)),
])
def test_forward_backward_shapes(name, shape):
    with nn.shape_only():                   # shapes only: no 62M random draws for ZFNet
        model = models.create_model(name, num_classes=6)
    out = model(lucid.random.randn(*shape))
    out.sum().backward()
    assert out.shape == (shape[0], 6)
    assert all(p.grad is not None for p in model.parameters())


def test_lenet_counts_by_hand():
    conv = lambda cin, cout: cout * cin * 25 + cout
    fc = lambda i, o: i * o + o
    assert models.lenet_1().count_parameters() == conv(1, 4) + conv(4, 12) + fc(192, 10)
    assert models.lenet_4().count_parameters() == (conv(1, 4) + conv(4, 12) + fc(192, 84)
                                                   + fc(84, 10))


def test_gradcheck_dense_layer():
    lucid.random.seed(0)
    layer = models.DenseLayer(3, growth_rate=2, bn_size=2).double()
    assert gradcheck(layer, [_x(2, 3, 4, 4)])


def test_gradcheck_convnext_blocks():
    lucid.random.seed(0)
    for block in (models.ConvNeXtBlock(3, layer_scale=0.5),
                  models.ConvNeXtBlock(3, layer_scale=None, grn=True)):
        block = block.double()
        if block.grn is not None:                        # start away from the identity
            block.grn.gamma.data[...] = 0.3
            block.grn.beta.data[...] = -0.2
        assert gradcheck(block, [_x(2, 3, 4, 4)])


# ------------------------------------------------------- against torchvision / timm
@pytest.mark.torchvision
def test_alexnet_and_vgg_trunks_equal_torchvision(torch):
    """The convolutional trunks (AlexNet's, VGG-19's); their classifiers are three Linear
    layers with ReLU and dropout, whose 100M weights would only slow the test."""
    tv = ref.torchvision()
    alexnet, vgg = importlib.import_module("lucid.models.alexnet"), \
        importlib.import_module("lucid.models.vgg")
    torch.manual_seed(0)
    ref.compare_with_reference(torch, tv.models.alexnet().features, alexnet._features(),
                               (2, 3, 63, 63))
    config = models.VGG_CONFIGS["vgg19"]
    ref.compare_with_reference(torch, tv.models.vgg.make_layers(list(config)),
                               vgg._features(config), (2, 3, 32, 32))


@pytest.mark.torchvision
def test_densenet_equals_torchvision(torch):
    tv = ref.torchvision()
    torch.manual_seed(0)
    reference = tv.models.DenseNet(growth_rate=8, block_config=(2, 3, 2, 2),
                                   num_init_features=16, num_classes=5)
    ours = models.DenseNet([2, 3, 2, 2], growth_rate=8, num_init_features=16, num_classes=5)
    ref.compare_with_reference(torch, reference, ours, (2, 3, 64, 64))


@pytest.mark.timm
def test_mobilenet_v1_equals_timm(torch):
    timm = ref.timm()
    torch.manual_seed(0)
    reference = timm.create_model("mobilenetv1_100", num_classes=5, act_layer="relu")
    ref.compare_with_reference(torch, reference,
                               models.mobilenet(num_classes=5), (2, 3, 64, 64))


@pytest.mark.torchvision
@pytest.mark.parametrize("name", ["mobilenet_v2", "mobilenet_v3_small"])
def test_mobilenet_equals_torchvision(torch, name):
    tv = ref.torchvision()
    torch.manual_seed(0)
    ref.compare_with_reference(torch, getattr(tv.models, name)(num_classes=5, dropout=0.0),
                               models.create_model(name, num_classes=5, dropout=0.0),
                               (3, 3, 32, 32))


@pytest.mark.torchvision
def test_mobilenet_v3_large_blocks_equal_torchvision(torch):
    """The large net's first seven blocks (its other block kinds are the small net's)."""
    tv = ref.torchvision()
    from tests.models import _mobilenet_v3_settings as settings
    torch.manual_seed(0)
    config, tv_config = settings.large_prefix(tv, 7)
    reference = tv.models.mobilenetv3.MobileNetV3(tv_config, 128, num_classes=5, dropout=0.0)
    ours = models.MobileNetV3(config, 128, num_classes=5, dropout=0.0)
    ref.compare_with_reference(torch, reference, ours, (2, 3, 64, 64))


@pytest.mark.torchvision
def test_efficientnet_b0_equals_torchvision(torch):
    tv = ref.torchvision()
    torch.manual_seed(0)
    reference = tv.models.efficientnet_b0(num_classes=5, dropout=0.0, stochastic_depth_prob=0.0)
    ours = models.efficientnet_b0(num_classes=5, dropout=0.0, drop_path=0.0)
    ref.compare_with_reference(torch, reference, ours, (2, 3, 64, 64))


@pytest.mark.torchvision
def test_efficientnet_v2_blocks_equal_torchvision(torch):
    """V2's Fused-MBConv / MBConv stages (one or two blocks each), eps 1e-3 as in V2."""
    tv = ref.torchvision()
    effnet = tv.models.efficientnet
    torch.manual_seed(0)
    setting = [effnet.FusedMBConvConfig(1, 3, 1, 16, 16, 2),
               effnet.FusedMBConvConfig(4, 3, 2, 16, 24, 1),
               effnet.MBConvConfig(4, 3, 2, 24, 32, 2), effnet.MBConvConfig(6, 3, 2, 32, 48, 1)]
    reference = effnet.EfficientNet(setting, dropout=0.0, stochastic_depth_prob=0.0,
                                    num_classes=5, last_channel=96,
                                    norm_layer=partial(torch.nn.BatchNorm2d, eps=1e-3))
    ours = models.EfficientNet([("fused", 1, 3, 1, 16, 16, 2), ("fused", 4, 3, 2, 16, 24, 1),
                                ("mb", 4, 3, 2, 24, 32, 2), ("mb", 6, 3, 2, 32, 48, 1)],
                               last_channels=96, num_classes=5, dropout=0.0, drop_path=0.0,
                               bn_eps=1e-3)
    ref.compare_with_reference(torch, reference, ours, (2, 3, 64, 64))


@pytest.mark.torchvision
def test_convnext_equals_torchvision(torch):
    tv = ref.torchvision()
    cn = tv.models.convnext
    torch.manual_seed(0)
    reference = cn.ConvNeXt([cn.CNBlockConfig(16, 32, 1), cn.CNBlockConfig(32, 64, 2),
                             cn.CNBlockConfig(64, 96, 1), cn.CNBlockConfig(96, None, 1)],
                            layer_scale=0.5, num_classes=5)
    ours = models.ConvNeXt([1, 2, 1, 1], [16, 32, 64, 96], num_classes=5, layer_scale=0.5)
    ref.compare_with_reference(torch, reference, ours, (2, 3, 32, 32))


@pytest.mark.timm
def test_convnext_v2_atto_equals_timm(torch):
    timm = ref.timm()
    torch.manual_seed(0)
    reference = timm.create_model("convnextv2_atto", num_classes=5)
    for name, p in reference.named_parameters():          # GRN starts as the identity
        if "grn" in name:
            torch.nn.init.normal_(p, std=0.5)
    ref.compare_with_reference(torch, reference, models.convnext_v2_atto(num_classes=5),
                               (2, 3, 32, 32))


@pytest.mark.timm
def test_mobilenet_v4_equals_timm(torch):
    timm = ref.timm()
    torch.manual_seed(0)
    ref.compare_with_reference(torch, timm.create_model("mobilenetv4_conv_small", num_classes=5),
                               models.mobilenet_v4_conv_small(num_classes=5, dropout=0.0),
                               (2, 3, 64, 64))


def _hybrid_blocks(kind):
    """Our blocks 3-4 of Hybrid-M's third stage or 7-9 of its fourth."""
    uib, mqa = models.UniversalInvertedBottleneck, models.MobileMQA
    if kind == "third":
        return nn.Sequential(uib(160, 160, 3, 5, 1, 4, nn.ReLU, 1e-5),
                             mqa(160, 160, 4, 64, kv_stride=2, layer_scale=1e-5))
    return nn.Sequential(uib(256, 256, 0, 0, 1, 4, nn.ReLU, 1e-5),
                         mqa(256, 256, 4, 64, kv_stride=1, layer_scale=1e-5),
                         uib(256, 256, 3, 0, 1, 4, nn.ReLU, 1e-5))


@pytest.mark.timm
@pytest.mark.parametrize("stage, first, last, channels", [(2, 3, 5, 160), (3, 7, 10, 256)],
                         ids=["third", "fourth"])
def test_mobilenet_v4_hybrid_blocks_equal_timm(torch, stage, first, last, channels):
    """Blocks of Hybrid-M: UIB (with layer scale) and mobile MQA, with and without the
    strided key/value downsampling; the rest of the net is the conv nets' code."""
    timm = ref.timm()
    torch.manual_seed(0)
    reference = timm.create_model("mobilenetv4_hybrid_medium").blocks[stage][first:last]
    for name, p in reference.named_parameters():          # layer scales start at 1e-5
        if "layer_scale" in name:
            torch.nn.init.normal_(p, std=0.5)
    ours = _hybrid_blocks("third" if stage == 2 else "fourth")
    ref.compare_with_reference(torch, reference, ours, (2, channels, 6, 6))


def test_gradcheck_mobilenet_v4_blocks():
    lucid.random.seed(0)
    uib = models.UniversalInvertedBottleneck(4, 4, 3, 3, expand_ratio=2, layer_scale=0.5)
    mqa = models.MobileMQA(4, 4, num_heads=2, key_dim=2, kv_stride=2, layer_scale=0.5)
    for block in (uib.double(), mqa.double().eval()):
        assert gradcheck(block, [_x(1, 4, 4, 4)])
