"""The minimal Module / Parameter base: registration, traversal, modes, state dicts, repr."""
import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.nn import Module, Parameter
from lucid.testing import assert_close
from tests.conftest import torch


class Affine(Module):
    def __init__(self, n, bias=True):
        super().__init__()
        self.weight = Parameter(np.arange(n, dtype=np.float32))
        if bias:
            self.bias = Parameter(np.zeros(n, np.float32))
        else:
            self.register_parameter("bias", None)
        self.note = "plain attribute"

    def forward(self, x):
        return lucid.add(x, self.weight)


class Net(Module):
    def __init__(self):
        super().__init__()
        self.first = Affine(3)
        self.second = Affine(3, bias=False)
        self.scale = Parameter([2.0])

    def forward(self, x):
        return self.second(self.first(x))


def test_parameter_is_a_leaf_tensor_requiring_grad():
    p = Parameter([1.0, 2.0])
    assert isinstance(p, lucid.Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == np.float32
    assert not Parameter([1.0], requires_grad=False).requires_grad
    lucid.sum(lucid.exp(p)).backward()
    assert_close(p.grad, np.exp(np.array([1.0, 2.0], np.float32)))
    assert repr(p).startswith("Parameter containing:\nTensor([1.0, 2.0]")


def test_registration_and_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "first.weight", "first.bias",
                                                     "second.weight"]
    assert list(net.parameters())[0] is net.scale
    assert [n for n, _ in net.named_children()] == ["first", "second"]
    assert [type(m).__name__ for m in net.modules()] == ["Net", "Affine", "Affine"]
    assert [n for n, _ in net.named_modules()] == ["", "first", "second"]
    assert net.second.bias is None and "bias" in net.second._parameters
    assert net.first.note == "plain attribute" and "note" not in net.first._parameters
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]


def test_reassignment_and_deletion():
    m = Affine(2)
    m.weight = Parameter([5.0, 6.0])
    assert_close(m.weight, np.array([5.0, 6.0], np.float32))
    m.bias = None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="Affine: cannot assign a ndarray to parameter 'weight'"):
        m.weight = np.zeros(2)
    del m.weight
    assert list(m.parameters()) == []
    with pytest.raises(AttributeError, match="weight"):
        m.weight


def test_shared_parameter_counted_once():
    net = Net()
    net.second.weight = net.first.weight
    params = list(net.parameters())
    assert len(params) == len({id(p) for p in params}) == 3
    assert "second.weight" in net.state_dict()          # the state dict names both places


def test_setattr_before_init_is_an_error():
    class Broken(Module):
        def __init__(self):
            self.w = Parameter([1.0])

    with pytest.raises(AttributeError, match=r"Broken: call super\(\)\.__init__\(\) before"):
        Broken()


def test_forward_and_call():
    out = Affine(3)(lucid.Tensor([1.0, 1.0, 1.0]))
    assert_close(out, np.array([1.0, 2.0, 3.0], np.float32))
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        Module()(1)


def test_train_eval_reach_every_module():
    net = Net()
    assert net.training and net.first.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad():
    net = Net()
    for p in net.parameters():
        p.grad = np.ones(p.shape, p.dtype)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_round_trip():
    net = Net()
    state = net.state_dict()
    assert list(state) == ["scale", "first.weight", "first.bias", "second.weight"]
    state["first.weight"] += 10                     # a snapshot: the module is untouched
    assert_close(net.first.weight, np.arange(3, dtype=np.float32))
    other = Net()
    other.first.weight.data[...] = -1
    other.load_state_dict(state)
    assert_close(other.first.weight, np.arange(3, dtype=np.float32) + 10)
    other.load_state_dict({k: lucid.Tensor(v) for k, v in net.state_dict().items()})
    assert_close(other.first.weight, np.arange(3, dtype=np.float32))
    assert other.first.weight.dtype == np.float32


def test_load_state_dict_errors():
    net = Net()
    state = net.state_dict()
    with pytest.raises(ValueError, match=r"missing keys .*\['scale'\]"):
        net.load_state_dict({k: v for k, v in state.items() if k != "scale"})
    with pytest.raises(ValueError, match=r"unexpected keys .*\['extra'\]"):
        net.load_state_dict({**state, "extra": np.zeros(1)})
    net.load_state_dict({"scale": np.array([3.0])}, strict=False)
    assert_close(net.scale, np.array([3.0], np.float32))
    with pytest.raises(ValueError, match=r"first.weight: shape \(4,\) in the state dict, \(3,\) in the model"):
        net.load_state_dict({**state, "first.weight": np.zeros(4)})


def test_repr_nested():
    assert repr(Net()) == "Net(\n  (first): Affine()\n  (second): Affine()\n)"


@pytest.mark.torch
def test_repr_matches_torch():
    tnn = torch.nn
    pairs = [
        (nn.Conv2d(3, 8, 3), tnn.Conv2d(3, 8, 3)),
        (nn.Conv1d(4, 4, 5, stride=2, padding=2, dilation=2, groups=4, bias=False),
         tnn.Conv1d(4, 4, 5, stride=2, padding=2, dilation=2, groups=4, bias=False)),
        (nn.Conv3d(2, 2, 3, padding="same"), tnn.Conv3d(2, 2, 3, padding="same")),
        (nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1, output_padding=1),
         tnn.ConvTranspose2d(4, 2, 4, stride=2, padding=1, output_padding=1)),
        (nn.Unfold(2, stride=2), tnn.Unfold(2, stride=2)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)

    class Block(Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.up = nn.ConvTranspose1d(2, 1, 2)

    class TBlock(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv = tnn.Conv2d(1, 2, 3)
            self.up = tnn.ConvTranspose1d(2, 1, 2)

    assert repr(Block()) == repr(TBlock()).replace("TBlock", "Block")
