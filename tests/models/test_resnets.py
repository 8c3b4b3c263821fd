"""ResNet, Wide ResNet, pre-activation ResNet, ResNeXt and SE-ResNet(eXt): counts,
shapes, gradients of the blocks, and values and gradients against torchvision / timm
with the same weights."""
import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.testing import gradcheck
from tests import reference_models as ref


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_gradcheck_bottleneck_with_groups_and_se():
    lucid.random.seed(0)
    block = models.Bottleneck(4, 2, stride=2, groups=2, base_width=64, se_reduction=4).double()
    assert gradcheck(block, [_x(2, 4, 4, 4)])


def test_gradcheck_preact_bottleneck():
    lucid.random.seed(0)
    block = models.PreActBottleneck(3, 2, stride=2).double()
    assert block.downsample is not None
    assert gradcheck(block, [_x(2, 3, 4, 4)])


def test_preact_cifar_resnet_shapes_and_depth():
    net = models.PreActResNetCIFAR(depth=20, num_classes=4)             # n = 2
    assert len(net.layer1) == len(net.layer2) == len(net.layer3) == 2
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1)
             or isinstance(m, nn.Conv2d) and m not in
             [b.downsample[0] for s in (net.layer1, net.layer2, net.layer3) for b in s
              if b.downsample is not None]]
    assert len(convs) + 1 == 20                   # depth counts convolutions and the fc
    out = net(lucid.random.randn(2, 3, 32, 32))
    out.sum().backward()
    assert out.shape == (2, 4)
    assert all(p.grad is not None for p in net.parameters())
    with pytest.raises(ValueError, match="depth must be 9n \\+ 2"):
        models.PreActResNetCIFAR(depth=100)


def test_resnet_1001_is_the_papers_cifar_network():
    with nn.shape_only():
        net = models.resnet_1001()
    assert [len(s) for s in (net.layer1, net.layer2, net.layer3)] == [111, 111, 111]
    assert net.fc.out_features == 10 and net.fc.in_features == 256


@pytest.mark.parametrize("name, input_shape", [("se_resnet_18", (2, 3, 32, 32))])
def test_forward_backward_shapes(name, input_shape):
    model = models.create_model(name, num_classes=5)
    out = model(lucid.random.randn(*input_shape))
    out.sum().backward()
    assert out.shape == (input_shape[0], 5)
    assert all(p.grad is not None and np.isfinite(p.grad).all() for p in model.parameters())


# ------------------------------------------------------- against torchvision / timm
@pytest.mark.torchvision
def test_resnet_18_equals_torchvision(torch):
    tv = ref.torchvision()
    torch.manual_seed(0)
    ref.compare_with_reference(torch, tv.models.resnet18(num_classes=7),
                               models.resnet_18(num_classes=7), (2, 3, 32, 32))


@pytest.mark.torchvision
@pytest.mark.parametrize("groups, width", [(1, 64), (8, 4)], ids=["resnet", "resnext"])
def test_bottleneck_nets_equal_torchvision(torch, groups, width):
    """ResNet-50's and ResNeXt's bottleneck code (Wide ResNet's is ResNet's with
    ``base_width=128``), one block per stage (48x48 inputs: batch norm over a 1x1 map
    of 2 samples is too ill-conditioned to compare)."""
    tv = ref.torchvision()
    torch.manual_seed(0)
    reference = tv.models.ResNet(tv.models.resnet.Bottleneck, [1, 1, 1, 1], num_classes=7,
                                 groups=groups, width_per_group=width)
    ours = models.ResNet([1, 1, 1, 1], num_classes=7, block=models.Bottleneck,
                         block_args={"groups": groups, "base_width": width})
    ref.compare_with_reference(torch, reference, ours, (2, 3, 48, 48))


@pytest.mark.timm
def test_se_resnet_equals_timm(torch):
    timm = ref.timm()
    from functools import partial
    from timm.layers import SEModule
    torch.manual_seed(0)
    se = partial(SEModule, rd_divisor=1)              # the paper's C/16, not rounded to 8
    reference = timm.models.resnet.ResNet(timm.models.resnet.BasicBlock, [2, 2, 2, 2],
                                          num_classes=7, block_args=dict(attn_layer=se))
    ref.compare_with_reference(torch, reference, models.se_resnet_18(num_classes=7),
                               (2, 3, 32, 32))


@pytest.mark.timm
def test_preact_resnet_equals_timm_resnetv2(torch):
    timm = ref.timm()
    from functools import partial
    from timm.layers import BatchNormAct2d, create_conv2d
    torch.manual_seed(0)
    reference = timm.models.resnetv2.ResNetV2([1, 2, 1, 1], num_classes=7, preact=True,
                                              conv_layer=partial(create_conv2d, bias=False),
                                              norm_layer=BatchNormAct2d)
    ours = models.ResNet([1, 2, 1, 1], num_classes=7, block=models.PreActBottleneck)
    ref.compare_with_reference(torch, reference, ours, (2, 3, 48, 48))


@pytest.mark.timm
@pytest.mark.parametrize("kind", ["basic", "resnext"])
def test_sknet_equals_timm(torch, kind):
    """timm's selective-kernel blocks with the paper's rules (no input split,
    d = max(C/16, 32): timm's rounding to a multiple of 32 gives the same d here)."""
    timm = ref.timm()
    from timm.models.sknet import SelectiveKernelBasic, SelectiveKernelBottleneck
    torch.manual_seed(0)
    sk_args = dict(sk_kwargs=dict(rd_ratio=1 / 16, rd_divisor=32, split_input=False))
    if kind == "basic":
        reference = timm.models.resnet.ResNet(SelectiveKernelBasic, [1, 1, 1, 1],
                                              num_classes=5, block_args=sk_args)
        ours = models.ResNet([1, 1, 1, 1], num_classes=5, block=models.BasicBlock,
                             block_args={"sk": True})
    else:
        reference = timm.models.resnet.ResNet(SelectiveKernelBottleneck, [1, 1, 1, 1],
                                              num_classes=5, cardinality=8, base_width=4,
                                              block_args=sk_args)
        ours = models.ResNet([1, 1, 1, 1], num_classes=5, block=models.Bottleneck,
                             block_args={"sk": True, "groups": 8, "base_width": 4})
    ref.compare_with_reference(torch, reference, ours, (2, 3, 48, 48))


@pytest.mark.timm
@pytest.mark.parametrize("radix, groups, width, avd_first", [(2, 1, 64, False), (4, 2, 40, True),
                                                             (1, 4, 24, True)],
                         ids=["2s1x64d", "4s2x40d", "1s4x24d"])
def test_resnest_equals_timm(torch, radix, groups, width, avd_first):
    timm = ref.timm()
    from timm.models.resnest import ResNestBottleneck
    torch.manual_seed(0)
    reference = timm.models.resnet.ResNet(
        ResNestBottleneck, [1, 1, 1, 1], num_classes=5, stem_type="deep", stem_width=32,
        avg_down=True, base_width=width, cardinality=groups,
        block_args=dict(radix=radix, avd=True, avd_first=avd_first))
    ours = models.ResNet([1, 1, 1, 1], num_classes=5, block=models.ResNeStBottleneck,
                         deep_stem=True, stem_width=32, avg_down=True,
                         block_args=dict(radix=radix, groups=groups, base_width=width,
                                         avd_first=avd_first))
    ref.compare_with_reference(torch, reference, ours, (2, 3, 48, 48))
