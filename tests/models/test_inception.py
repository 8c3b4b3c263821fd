"""Inception v1/v3/v4, Inception-ResNet v1/v2, InceptionNeXt and Xception: values and
gradients against torchvision / timm with the same weights, auxiliary heads, shapes,
and gradcheck of the distinctive blocks."""
import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.testing import gradcheck
from tests import reference_models as ref


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_gradcheck_inception_module():
    lucid.random.seed(0)
    block = models.InceptionModule(2, 1, 1, 2, 1, 1, 1, kernel5=3).double()
    assert gradcheck(block, [_x(2, 2, 3, 3)])


def test_auxiliary_heads_in_training_mode():
    net = models.inception_v1(num_classes=4)
    logits, aux1, aux2 = net(lucid.random.randn(2, 3, 64, 64))
    assert logits.shape == aux1.shape == aux2.shape == (2, 4)
    (logits.sum() + 0.3 * (aux1.sum() + aux2.sum())).backward()
    assert net.aux1.fc2.weight.grad is not None and net.aux2.fc2.weight.grad is not None
    assert net.eval()(lucid.random.randn(1, 3, 64, 64)).shape == (1, 4)


@pytest.mark.torchvision
def test_inception_v1_equals_torchvision(torch):
    """torchvision's GoogLeNet builds the "5x5" branches 3x3 (``kernel5=3`` here)."""
    tv = ref.torchvision()
    torch.manual_seed(0)
    reference = tv.models.GoogLeNet(num_classes=5, aux_logits=False, init_weights=True,
                                    dropout=0.0)
    ours = models.inception_v1(num_classes=5, aux_logits=False, kernel5=3, dropout=0.0)
    ref.compare_with_reference(torch, reference, ours, (2, 3, 64, 64))


@pytest.mark.torchvision
def test_inception_v3_equals_torchvision(torch):
    tv = ref.torchvision()
    torch.manual_seed(0)
    reference = tv.models.Inception3(num_classes=5, aux_logits=False, init_weights=True,
                                     dropout=0.0)
    ours = models.inception_v3(num_classes=5, aux_logits=False, dropout=0.0)
    ref.compare_with_reference(torch, reference, ours, (1, 3, 75, 75), train=False)


def _keep(sequential, keep):
    """A torch Sequential with only the modules at the positions ``keep``."""
    return type(sequential)(*[m for i, m in enumerate(sequential) if i in keep])


@pytest.mark.timm
def test_inception_v4_equals_timm(torch):
    """One module of each kind (timm's modules 6, 11 and 19 kept; every module of a
    kind is built by the same code). Small inputs: the gradient step runs in evaluation
    mode, batch norm over 1x1 maps of one sample being ill-conditioned."""
    timm = ref.timm()
    torch.manual_seed(0)
    reference = timm.create_model("inception_v4", num_classes=5)
    reference.features = _keep(reference.features, {0, 1, 2, 3, 4, 5, 6, 10, 11, 18, 19})
    ours = models.InceptionV4(num_classes=5, repeats=(1, 1, 1))
    ref.compare_with_reference(torch, reference, ours, (1, 3, 75, 75), train=False)


@pytest.mark.timm
def test_inception_resnet_v2_equals_timm(torch):
    timm = ref.timm()
    torch.manual_seed(0)
    reference = timm.create_model("inception_resnet_v2", num_classes=5)
    for name in ("repeat", "repeat_1", "repeat_2"):          # one block of each kind
        setattr(reference, name, _keep(getattr(reference, name), {0}))
    ours = models.InceptionResNetV2(num_classes=5, repeats=(1, 1, 2))
    ref.compare_with_reference(torch, reference, ours, (1, 3, 75, 75), train=False)


def test_inception_resnet_v1_shapes_and_block_gradcheck():
    with nn.shape_only():
        net = models.inception_resnet_v1(num_classes=3)
    out = net.eval()(lucid.random.randn(1, 3, 75, 75))
    assert out.shape == (1, 3)
    lucid.random.seed(0)
    block = models.InceptionResNetBlock([nn.Conv2d(2, 1, 1), nn.Conv2d(2, 2, 3, padding=1)],
                                        3, 2, scale=0.2).double()
    assert gradcheck(block, [_x(1, 2, 3, 3)])


@pytest.mark.timm
def test_xception_equals_timm(torch):
    timm = ref.timm()
    torch.manual_seed(0)
    reference = timm.create_model("legacy_xception", num_classes=5)
    for i in range(5, 12):                          # one middle-flow module (block4) kept
        setattr(reference, f"block{i}", torch.nn.Identity())
    ours = models.Xception(num_classes=5, middle_blocks=1)
    ref.compare_with_reference(torch, reference, ours, (2, 3, 48, 48), train=False)


@pytest.mark.timm
def test_inception_next_atto_equals_timm(torch):
    timm = ref.timm()
    torch.manual_seed(0)
    reference = timm.create_model("inception_next_atto", num_classes=5)
    for name, p in reference.named_parameters():          # layer scales start at 1e-6
        if "gamma" in name:
            torch.nn.init.normal_(p, std=0.5)
    ref.compare_with_reference(torch, reference, models.inception_next_atto(num_classes=5),
                               (2, 3, 64, 64))


def test_gradcheck_inception_dw_conv():
    lucid.random.seed(0)
    mixer = models.InceptionDWConv2d(8, band_kernel=3, branch_ratio=0.25).double()
    assert gradcheck(mixer, [_x(1, 8, 3, 3)])
