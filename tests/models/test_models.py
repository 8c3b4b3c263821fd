"""lucid.models: the registry and the classic CNN families (shapes, parameter counts,
torchvision's naming, and values against the same architecture built in torch.nn)."""
import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.models import _registry
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch

# Parameter counts published by torchvision (1000 classes); torchvision cannot be
# installed beside this torch, so the published numbers are the oracle.
TORCHVISION_PARAMS = {
    "alexnet": 61_100_840,
    "vgg11": 132_863_336,
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "mobilenet_v2": 3_504_872,
}
ALL_NAMES = ["lenet_5", *TORCHVISION_PARAMS]
needs_torch = pytest.mark.torch


# --------------------------------------------------------------------------- registry
@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry, so registering in a test leaks nowhere."""
    for table in ("_MODELS", "_FAMILY", "_ALIASES"):
        monkeypatch.setattr(_registry, table, dict(getattr(_registry, table)))


def test_every_family_is_registered():
    names = models.get_model_names()
    assert set(ALL_NAMES) <= set(names)
    assert names == sorted(names)
    assert models.get_model_names("vgg") == ["vgg11", "vgg16", "vggnet_11", "vggnet_13",
                                             "vggnet_16", "vggnet_19"]
    assert models.list_models("vgg") == ["vggnet_11", "vggnet_13", "vggnet_16", "vggnet_19"]
    assert models.get_model is models.create_model


def test_register_and_create(registry):
    @models.register_model
    def toy_net(num_classes=2):
        return nn.Linear(3, num_classes)

    assert "toy_net" in models.get_model_names()
    assert models.create_model("toy_net", num_classes=5).out_features == 5

    @models.register_model(name="toy_renamed")
    def whatever():
        return nn.Identity()

    assert isinstance(models.create_model("toy_renamed"), nn.Identity)


def test_duplicate_name_rejected(registry):
    with pytest.raises(ValueError, match=r"register_model: the name 'resnet18' is already "
                                         r"registered \(by lucid\.models\.resnet\.resnet_18\)"):
        models.register_model(lambda: nn.Identity(), name="resnet18")
    # the original is untouched
    assert _registry._MODELS["resnet18"] is models.resnet18 is models.resnet_18


def test_reregistering_the_same_definition_is_allowed(registry):
    assert models.register_model(models.resnet18) is models.resnet18


@pytest.mark.parametrize("name", ["ResNet", "1net", "my-net", ""])
def test_bad_names_rejected(registry, name):
    with pytest.raises(ValueError, match="register_model: name must be lowercase"):
        models.register_model(lambda: None, name=name)


def test_register_type_errors(registry):
    with pytest.raises(TypeError, match="register_model: the model builder must be callable; got int"):
        models.register_model(3)
    with pytest.raises(TypeError, match="register_model: name must be a str; got int"):
        models.register_model(lambda: None, name=7)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        models.create_model("resnet19")
    message = str(info.value)
    assert message.startswith("create_model: unknown model name 'resnet19'")
    assert "did you mean 'resnet18'" in message
    for name in ALL_NAMES:
        assert name in message
    with pytest.raises(TypeError, match="create_model: name must be a str; got int"):
        models.create_model(18)
    with pytest.raises(TypeError, match="get_model_names: pattern must be a str"):
        models.get_model_names(3)


# ------------------------------------------------------------- counts and shapes
def _forward(model, shape):
    with lucid.no_grad():
        return model.eval()(lucid.random.randn(*shape))


@pytest.fixture
def skip_init(monkeypatch):
    """Build the big models without drawing their random weights (which takes seconds
    for VGG's 100M-weight classifier): the architecture, so the count, is unchanged.
    Initialisation itself is tested on the small models below."""
    from lucid.models import vgg
    from lucid.nn.modules import conv, linear
    monkeypatch.setattr(conv._ConvNd, "reset_parameters", lambda self: None)
    monkeypatch.setattr(linear.Linear, "reset_parameters", lambda self: None)
    monkeypatch.setattr(vgg, "init_like_torchvision", lambda model, linear_std=None: model)


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "mobilenet_v2"])
def test_parameter_count_equals_torchvision(name):
    assert models.create_model(name).count_parameters() == TORCHVISION_PARAMS[name]


def test_alexnet_parameter_count(skip_init):
    assert models.alexnet().count_parameters() == TORCHVISION_PARAMS["alexnet"]


def test_vgg_parameter_counts_and_forward(skip_init):
    """VGG is big (0.5 GB each): build one at a time, count, and run the smallest input."""
    for name in ("vgg11", "vgg16"):
        model = models.create_model(name)
        for p in model.parameters():                    # defined values for the forward
            p.data[...] = 0.01
        assert model.count_parameters() == TORCHVISION_PARAMS[name]
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
        assert len(convs) + 3 == int(name[3:])          # VGG-n: n weight layers
        assert _forward(model, (1, 3, 32, 32)).shape == (1, 1000)
        del model, convs


def test_lenet_parameter_count_by_hand():
    conv = lambda cin, cout, k: cout * cin * k * k + cout
    fc = lambda i, o: i * o + o
    expected = conv(1, 6, 5) + conv(6, 16, 5) + fc(400, 120) + fc(120, 84) + fc(84, 10)
    assert models.lenet_5().count_parameters() == expected == 61_706


@pytest.mark.parametrize("name, shape", [
    ("lenet_5", (2, 1, 32, 32)),
    ("resnet18", (2, 3, 64, 64)),
    ("resnet34", (1, 3, 64, 64)),
    ("mobilenet_v2", (2, 3, 64, 64)),
    ("alexnet", (1, 3, 63, 63)),                          # the smallest AlexNet accepts
])
def test_forward_shape(name, shape):
    model = models.create_model(name, num_classes=7)
    out = _forward(model, shape)
    assert out.shape == (shape[0], 7)
    assert out.dtype == np.float32
    assert np.isfinite(out.data).all()


def test_alexnet_too_small_input_is_an_error():
    with pytest.raises(ValueError):
        _forward(models.alexnet(num_classes=3), (1, 3, 62, 62))


@pytest.mark.parametrize("name, head", [
    ("lenet_5", "fc3"), ("alexnet", "classifier.6"), ("resnet18", "fc"),
    ("mobilenet_v2", "classifier.1"),
])
def test_num_classes_sets_the_head(name, head):
    model = models.create_model(name, num_classes=3)
    assert model.state_dict()[f"{head}.weight"].shape[0] == 3


def test_torchvision_state_dict_names():
    keys = models.mobilenet_v2().state_dict()
    shapes = {"features.0.0.weight": (32, 3, 3, 3),
              "features.1.residual.depthwise.0.weight": (32, 1, 3, 3),   # t=1: no expansion
              "features.1.residual.project.0.weight": (16, 32, 1, 1),
              "features.2.residual.expand.0.weight": (96, 16, 1, 1),
              "features.2.residual.depthwise.0.weight": (96, 1, 3, 3),
              "features.18.0.weight": (1280, 320, 1, 1),
              "classifier.1.weight": (1000, 1280)}
    for key, shape in shapes.items():
        assert keys[key].shape == shape, key
    keys = models.resnet34().state_dict()
    assert keys["layer3.5.conv2.weight"].shape == (256, 256, 3, 3)
    assert keys["layer2.0.downsample.0.weight"].shape == (128, 64, 1, 1)
    assert "layer2.1.downsample.0.weight" not in keys


def test_torchvision_initialisation():
    model = models.resnet18()
    w = model.layer4[1].conv2.weight.data                  # fan_out = 512 * 9
    assert abs(w.std() - np.sqrt(2 / (512 * 9))) < 0.05 * np.sqrt(2 / (512 * 9))
    assert (model.bn1.weight.data == 1).all() and (model.bn1.bias.data == 0).all()
    head = models.mobilenet_v2().classifier[1]
    assert abs(head.weight.data.std() - 0.01) < 0.001 and (head.bias.data == 0).all()
    toy = models.VGG([16, "M", 32, "M"], hidden_features=64)
    assert (toy.features[0].bias.data == 0).all()
    assert abs(toy.classifier[0].weight.data.std() - 0.01) < 0.001
    assert abs(toy.features[3].weight.data.std() - np.sqrt(2 / (32 * 9))) < 0.1 * np.sqrt(2 / (32 * 9))


def test_training_step_fills_every_gradient():
    model = models.resnet18(num_classes=4)
    x = lucid.random.randn(2, 3, 32, 32)
    loss = nn.functional.cross_entropy(model(x), lucid.Tensor(np.array([0, 3])))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name


# --------------------------------------------------------- gradients of the blocks
def test_gradcheck_basic_block():
    lucid.random.seed(0)
    block = models.BasicBlock(2, 3, stride=2).double()
    x = lucid.Tensor(np.random.default_rng(0).standard_normal((2, 2, 4, 4)), requires_grad=True)
    assert gradcheck(block, [x])


def test_gradcheck_inverted_residual():
    lucid.random.seed(0)
    block = models.InvertedResidual(3, 3, stride=1, expand_ratio=2).double()
    assert block.use_shortcut
    x = lucid.Tensor(np.random.default_rng(1).standard_normal((2, 3, 4, 4)), requires_grad=True)
    assert gradcheck(block, [x])


# ---------------------------------------------- values against the same net in torch
def _torch_lenet():
    tnn = torch.nn

    class TorchLeNet5(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = tnn.Conv2d(1, 6, 5), tnn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = tnn.Linear(400, 120), tnn.Linear(120, 84), tnn.Linear(84, 10)

        def forward(self, x):
            x = torch.nn.functional.avg_pool2d(torch.tanh(self.conv1(x)), 2)
            x = torch.nn.functional.avg_pool2d(torch.tanh(self.conv2(x)), 2)
            x = torch.tanh(self.fc1(x.flatten(1)))
            return self.fc3(torch.tanh(self.fc2(x)))

    return TorchLeNet5()


def _torch_resnet18():
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(cout)
            self.relu = tnn.ReLU()
            self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False),
                                                 tnn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1, self.relu = tnn.BatchNorm2d(64), tnn.ReLU()
            self.maxpool = tnn.MaxPool2d(3, 2, 1)
            widths, cin = (64, 128, 256, 512), 64
            for i, width in enumerate(widths):
                stride = 1 if i == 0 else 2
                setattr(self, f"layer{i + 1}", tnn.Sequential(Block(cin, width, stride),
                                                               Block(width, width, 1)))
                cin = width
            self.avgpool, self.fc = tnn.AdaptiveAvgPool2d(1), tnn.Linear(512, 1000)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(self.avgpool(x).flatten(1))

    return Net()


def _copy_from_torch(lucid_model, torch_model):
    state = torch_model.state_dict()
    assert list(lucid_model.state_dict()) == list(state)      # same names, same order
    lucid_model.load_state_dict(state)


@needs_torch
def test_lenet_values_equal_torch():
    torch.manual_seed(0)
    reference = _torch_lenet()
    model = models.lenet_5()
    _copy_from_torch(model, reference)
    x = np.random.default_rng(0).standard_normal((3, 1, 32, 32)).astype(np.float32)
    assert_close(model(lucid.Tensor(x)), reference(torch.tensor(x)).detach().numpy(),
                 rtol=1e-5, atol=1e-5)


@needs_torch
def test_resnet18_values_equal_torch():
    torch.manual_seed(0)
    reference = _torch_resnet18()
    assert sum(p.numel() for p in reference.parameters()) == TORCHVISION_PARAMS["resnet18"]
    with torch.no_grad():                    # non-trivial running statistics for eval mode
        for m in reference.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    model = models.resnet18()
    _copy_from_torch(model, reference)
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    reference.eval(), model.eval()
    with torch.no_grad():
        expected = reference(torch.tensor(x)).numpy()
    assert_close(model(lucid.Tensor(x)), expected, rtol=1e-4, atol=1e-4)
    # training mode: batch statistics, and the running statistics move the same way
    reference.train(), model.train()
    with torch.no_grad():
        expected = reference(torch.tensor(x)).numpy()
    assert_close(model(lucid.Tensor(x)), expected, rtol=1e-4, atol=1e-4)
    assert_close(model.layer3[0].bn1.running_var.data,
                 reference.layer3[0].bn1.running_var.numpy(), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------ families and aliases
def test_list_models_by_family():
    families = models.list_families()
    for family in ("alexnet", "convnext", "densenet", "efficientnet", "inception",
                   "inception_next", "inception_resnet", "lenet", "mobilenet", "resnest",
                   "resnet", "resnext", "senet", "sknet", "vgg", "xception", "zfnet"):
        assert family in families
    assert models.list_models("resnet")[:5] == ["resnet_18", "resnet_34", "resnet_50",
                                                "resnet_101", "resnet_152"]
    assert models.list_models("lenet") == ["lenet_1", "lenet_4", "lenet_5"]
    assert "mobilenet_v4_hybrid_large" in models.list_models("mobilenet")
    everything = models.list_models()
    assert len(everything) == len(set(everything))
    assert "resnet18" not in everything and "resnet18" in models.get_model_names()
    with pytest.raises(TypeError, match="list_models: family must be a str; got int"):
        models.list_models(3)
    with pytest.raises(ValueError, match="list_models: unknown family 'resnets'; the families "
                                         "are: alexnet, "):
        models.list_models("resnets")


def test_aliases_build_the_same_model():
    with nn.shape_only():
        assert type(models.create_model("vgg16", num_classes=2)) is models.VGG
        assert models.create_model("resnet34").count_parameters() == 21_797_672
    assert models.vgg11 is models.vggnet_11 and models.resnet34 is models.resnet_34


def test_register_with_family_and_aliases(registry):
    @models.register_model(family="toys", aliases=("toy_b", "toy_c"))
    def toy_a(num_classes=2):
        return nn.Linear(3, num_classes)

    assert models.list_models("toys") == ["toy_a"]
    assert models.create_model("toy_c").out_features == 2
    with pytest.raises(TypeError, match="register_model: aliases must be a sequence of str; "
                                        "got 'toy_d'"):
        models.register_model(lambda: None, name="toy_e", aliases="toy_d")
    with pytest.raises(ValueError, match="register_model: the name 'toy_b' is already registered"):
        models.register_model(lambda: None, name="toy_f", aliases=("toy_b",))
    with pytest.raises(TypeError, match="register_model: family must be a str; got int"):
        models.register_model(lambda: None, name="toy_g", family=3)
