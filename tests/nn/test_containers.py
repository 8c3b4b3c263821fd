"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, against PyTorch's."""
from collections import OrderedDict

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import assert_close
from tests.conftest import torch

needs_torch = pytest.mark.torch


def _convs(framework, n=4):
    return [framework.Conv1d(2, 2, k) for k in range(1, n + 1)]


def _keys(module):
    return list(module.state_dict())


@needs_torch
def test_sequential_forward_equals_torch():
    theirs = torch.nn.Sequential(torch.nn.Conv1d(1, 4, 3, padding=1), torch.nn.Conv1d(4, 2, 3))
    ours = nn.Sequential(nn.Conv1d(1, 4, 3, padding=1), nn.Conv1d(4, 2, 3))
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 1, 11)).astype(np.float32)
    assert_close(ours(lucid.Tensor(x)), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@needs_torch
def test_sequential_list_operations_match_torch():
    ours, theirs = nn.Sequential(*_convs(nn)), torch.nn.Sequential(*_convs(torch.nn))
    layers = list(ours)
    assert len(ours) == 4 and ours[0] is layers[0] and ours[-1] is layers[3]
    assert ours[-4] is layers[0]
    part = ours[1:3]
    assert type(part) is nn.Sequential and list(part) == layers[1:3]
    assert _keys(part) == _keys(theirs[1:3])            # slices keep their names
    assert _keys(ours[::2]) == _keys(theirs[::2])
    replacement = nn.Conv1d(2, 2, 7)
    ours[1] = replacement
    theirs[1] = torch.nn.Conv1d(2, 2, 7)
    assert ours[1] is replacement and _keys(ours) == _keys(theirs)
    del ours[0]
    del theirs[0]
    assert _keys(ours) == _keys(theirs)                 # renumbered from 0
    del ours[1:]
    del theirs[1:]
    assert _keys(ours) == _keys(theirs) and len(ours) == 1
    ours.append(nn.Conv1d(2, 2, 1)).extend([nn.Conv1d(2, 2, 2)])
    theirs.append(torch.nn.Conv1d(2, 2, 1)).extend([torch.nn.Conv1d(2, 2, 2)])
    ours.insert(1, nn.Conv1d(2, 2, 5))
    theirs.insert(1, torch.nn.Conv1d(2, 2, 5))
    assert _keys(ours) == _keys(theirs) and repr(ours) == repr(theirs)
    with pytest.raises(IndexError, match=r"Sequential.__getitem__: index 4 is out of range for 4 members"):
        ours[4]
    with pytest.raises(TypeError, match="Sequential.__getitem__: indices must be ints or slices; got str"):
        ours["0"]
    with pytest.raises(TypeError, match="Sequential: every member must be a Module; got function for '0'"):
        nn.Sequential(lambda x: x)
    with pytest.raises(TypeError, match="Sequential.__setitem__: the value must be a Module; got int"):
        ours[0] = 3


@needs_torch
def test_sequential_from_ordered_dict_matches_torch():
    ours = nn.Sequential(OrderedDict([("encode", nn.Conv2d(1, 4, 3)), ("decode", nn.Conv2d(4, 1, 1))]))
    theirs = torch.nn.Sequential(OrderedDict([("encode", torch.nn.Conv2d(1, 4, 3)),
                                              ("decode", torch.nn.Conv2d(4, 1, 1))]))
    assert _keys(ours) == _keys(theirs) and repr(ours) == repr(theirs)
    assert ours[0] is ours.encode and ours[1] is ours.decode


@needs_torch
def test_module_list_matches_torch():
    ours, theirs = nn.ModuleList(_convs(nn, 3)), torch.nn.ModuleList(_convs(torch.nn, 3))
    assert repr(ours) == repr(theirs)
    ours += [nn.Conv1d(2, 2, 1)] * 2
    theirs += [torch.nn.Conv1d(2, 2, 1)] * 2
    assert len(ours) == 5 and _keys(ours) == _keys(theirs)
    assert repr(ours) == repr(theirs)          # the repeated block is compressed: (3-4): 2 x
    assert type(ours[1:]) is nn.ModuleList and len(ours[1:]) == 4
    last = ours[-1]
    assert ours.pop() is last and theirs.pop(-1) is not None
    del ours[0]
    del theirs[0]
    ours.insert(0, nn.Conv1d(2, 2, 9))
    theirs.insert(0, torch.nn.Conv1d(2, 2, 9))
    assert _keys(ours) == _keys(theirs) and repr(ours) == repr(theirs)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    joined = ours + nn.ModuleList([nn.Conv1d(2, 2, 1)])
    assert len(joined) == len(ours) + 1
    with pytest.raises(TypeError, match="ModuleList.append: members must be Modules; got int"):
        ours.append(1)
    with pytest.raises(TypeError, match=r"ModuleList.extend: expected an iterable of Modules; got a "
                                        r"single Conv1d \(use append\)"):
        ours.extend(nn.Conv1d(1, 1, 1))


def test_module_list_members_are_seen_by_the_parent():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Conv1d(1, 1, 3, padding=1) for _ in range(2)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    stack = Stack()
    assert len(list(stack.parameters())) == 4
    stack.eval()
    assert not stack.layers[1].training
    stack(lucid.random.randn(1, 1, 5)).sum().backward()
    assert all(p.grad is not None for p in stack.parameters())


@needs_torch
def test_module_dict_matches_torch():
    ours = nn.ModuleDict({"b": nn.Conv1d(1, 1, 1), "a": nn.Conv1d(1, 1, 3)})
    theirs = torch.nn.ModuleDict({"b": torch.nn.Conv1d(1, 1, 1), "a": torch.nn.Conv1d(1, 1, 3)})
    assert list(ours) == list(theirs) == ["b", "a"]
    ours["c"] = nn.Conv1d(1, 1, 5)
    theirs["c"] = torch.nn.Conv1d(1, 1, 5)
    ours.update([("a", nn.Conv1d(1, 1, 2))])           # replaces in place
    theirs.update([("a", torch.nn.Conv1d(1, 1, 2))])
    assert _keys(ours) == _keys(theirs) and repr(ours) == repr(theirs)
    assert "c" in ours and "z" not in ours and len(ours) == 3
    assert list(ours.keys()) == ["b", "a", "c"] and ours["a"].kernel_size == (2,)
    assert [k for k, _ in ours.items()] == list(ours.keys())
    assert ours.pop("b").kernel_size == (1,) and list(ours) == ["a", "c"]
    del ours["a"]
    assert list(ours.values())[0].kernel_size == (5,)
    ours.clear()
    assert len(ours) == 0
    with pytest.raises(KeyError, match="ModuleDict: no module named 'x'"):
        ours["x"]
    with pytest.raises(TypeError, match="ModuleDict: the value for 'x' must be a Module; got float"):
        ours["x"] = 1.0
    with pytest.raises(ValueError, match="cannot register a sub-module named 'keys'"):
        ours["keys"] = nn.Conv1d(1, 1, 1)
    with pytest.raises(ValueError, match=r"contain no '\.'"):
        ours["a.b"] = nn.Conv1d(1, 1, 1)
    with pytest.raises(TypeError, match="ModuleDict.update: expected a mapping or \\(key, Module\\) pairs"):
        ours.update(["abc"])


@needs_torch
def test_parameter_list_and_dict_match_torch():
    ours = nn.ParameterList([nn.Parameter(np.ones((2, 3), np.float32)), lucid.zeros(4)])
    theirs = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2, 3)), torch.zeros(4)])
    assert _keys(ours) == _keys(theirs) == ["0", "1"]
    assert isinstance(ours[1], nn.Parameter) and ours[1].requires_grad   # made a Parameter
    ours.append(lucid.ones(1))
    ours[0] = nn.Parameter([5.0])
    assert len(ours) == 3 and ours[0].item() == 5.0 and len(ours[1:]) == 2
    assert repr(ours) == ("ParameterList(\n  (0): Parameter containing: [float32 of size 1]\n"
                          "  (1): Parameter containing: [float32 of size 4]\n"
                          "  (2): Parameter containing: [float32 of size 1]\n)")
    with pytest.raises(TypeError, match="ParameterList.append: members must be Tensors"):
        ours.append([1.0])
    with pytest.raises(TypeError, match="got a single Tensor"):
        ours.extend(lucid.ones(2))

    d = nn.ParameterDict({"gamma": nn.Parameter([1.0]), "beta": lucid.zeros(2)})
    ordered = nn.ParameterDict(OrderedDict([("z", lucid.zeros(1)), ("a", lucid.zeros(1))]))
    assert list(ordered) == ["z", "a"]
    td = torch.nn.ParameterDict({"gamma": torch.nn.Parameter(torch.ones(1)), "beta": torch.zeros(2)})
    assert _keys(d) == _keys(td) and list(d) == list(td)
    assert isinstance(d["beta"], nn.Parameter)
    d.update({"delta": nn.Parameter([3.0])})
    assert list(d.keys()) == ["beta", "gamma", "delta"] and "delta" in d
    assert d.pop("gamma").item() == 1.0 and len(d) == 2
    del d["beta"]
    assert [k for k, _ in d.items()] == ["delta"] and list(d.values())[0].item() == 3.0
    assert repr(d) == "ParameterDict(\n  (delta): Parameter containing: [float32 of size 1]\n)"
    with pytest.raises(KeyError, match="ParameterDict: no parameter named 'x'"):
        d["x"]
    with pytest.raises(TypeError, match="ParameterDict: the value for 'x' must be a Tensor"):
        d["x"] = 1.0


def test_parameter_containers_receive_gradients():
    class Mix(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.ParameterList([nn.Parameter([1.0, 2.0]), nn.Parameter([3.0, 4.0])])
            self.scales = nn.ParameterDict({"s": nn.Parameter([2.0])})

        def forward(self, x):
            return (x * self.weights[0] + x * self.weights[1]) * self.scales["s"]

    m = Mix()
    assert [n for n, _ in m.named_parameters()] == ["weights.0", "weights.1", "scales.s"]
    x = lucid.Tensor([1.0, -1.0])
    m(x).sum().backward()
    assert_close(m.weights[0].grad, np.array([2.0, -2.0], np.float32))   # d/dw0 = x * s
    assert_close(m.scales["s"].grad, np.array([(1 + 3) - (2 + 4)], np.float32))
    fresh = Mix()
    fresh.weights[0].data[...] = 0
    fresh.load_state_dict(m.state_dict())
    assert_close(fresh.weights[0], m.weights[0].data)
