"""Module, Parameter, Buffer: registration, traversal, hooks, modes, state dicts, repr.

PyTorch is the oracle for names, orders, hook firing order and hook gradients; the
same model is built in both frameworks from the same numbers.
"""
import copy
import os

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.nn import Buffer, Module, Parameter
from lucid.testing import assert_close
from tests.conftest import torch

needs_torch = pytest.mark.torch


# ------------------------------------------------------------------ twin models
def _lucid_net():
    class Block(Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(2, 3, 3)
            self.register_buffer("running", lucid.zeros(3))
            self.register_buffer("scratch", lucid.zeros(1), persistent=False)
            self.gamma = Parameter(np.ones(3, np.float32))

        def forward(self, x):
            return self.conv(x)

    class Net(Module):
        def __init__(self):
            super().__init__()
            self.scale = Parameter([2.0])
            self.first = Block()
            self.second = Block()
            self.shared = self.first            # the same module under two names
            self.steps = Buffer([0])

        def forward(self, x):
            return self.second.conv(self.first(x)[:, :2]) * self.scale

    return Net()


def _torch_net():
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv = tnn.Conv1d(2, 3, 3)
            self.register_buffer("running", torch.zeros(3))
            self.register_buffer("scratch", torch.zeros(1), persistent=False)
            self.gamma = tnn.Parameter(torch.ones(3))

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.scale = tnn.Parameter(torch.tensor([2.0]))
            self.first = Block()
            self.second = Block()
            self.shared = self.first
            self.steps = tnn.Buffer(torch.tensor([0]))

    return Net()


@needs_torch
def test_names_and_orders_match_torch():
    ours, theirs = _lucid_net(), _torch_net()

    def names(items):
        return [name for name, _ in items]

    assert names(ours.named_parameters()) == names(theirs.named_parameters())
    assert names(ours.named_parameters(remove_duplicate=False)) == \
        names(theirs.named_parameters(remove_duplicate=False))
    assert names(ours.named_parameters(prefix="net", recurse=False)) == \
        names(theirs.named_parameters(prefix="net", recurse=False))
    assert names(ours.named_buffers()) == names(theirs.named_buffers())
    assert names(ours.named_modules()) == names(theirs.named_modules())
    assert names(ours.named_modules(remove_duplicate=False)) == \
        names(theirs.named_modules(remove_duplicate=False))
    assert names(ours.named_children()) == names(theirs.named_children())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.count_parameters() == sum(p.numel() for p in theirs.parameters())
    assert ours.count_parameters(recurse=False) == 1
    visited_ours, visited_theirs = [], []
    ours.apply(lambda m: visited_ours.append(type(m).__name__))
    theirs.apply(lambda m: visited_theirs.append(type(m).__name__))
    assert visited_ours == visited_theirs           # children first, then the module


def test_parameter_and_buffer():
    p = Parameter([1, 2], dtype=lucid.Float64)
    assert p.requires_grad and p.dtype == np.float64 and p.is_leaf
    with pytest.raises(TypeError, match=r"Parameter: only floating tensors can require grad; got dtype int64"):
        Parameter([1, 2])
    assert not Parameter([1, 2], requires_grad=False).requires_grad
    with pytest.raises(TypeError, match=r"^Parameter: "):
        Parameter("abc")
    b = Buffer([1.0, 2.0])
    assert not b.requires_grad and b.persistent and isinstance(b, lucid.Tensor)
    assert not Buffer([0], persistent=False).persistent
    with pytest.raises(TypeError, match="Buffer: persistent must be True or False; got 1"):
        Buffer([0], persistent=1)
    source = np.zeros(2, np.float32)
    p = Parameter(source)
    p.data[0] = 5
    assert source[0] == 0                          # the Parameter owns a copy


def test_assignment_registers_replaces_and_deletes():
    m = Module()
    m.w = Parameter([1.0])
    m.b = Buffer([0.0])
    m.child = nn.Conv1d(1, 1, 1)
    m.plain = lucid.Tensor([1.0])                  # a plain Tensor is just an attribute
    assert list(m._parameters) == ["w"] and list(m._buffers) == ["b"]
    assert list(m._modules) == ["child"] and "plain" in m.__dict__
    m.b = lucid.Tensor([7.0])                      # a Tensor replaces a buffer's value
    assert list(m.buffers())[0].item() == 7.0
    with pytest.raises(TypeError, match="Module: cannot assign a ndarray to buffer 'b'"):
        m.b = np.zeros(1)
    with pytest.raises(TypeError, match="Module: cannot assign a int to sub-module 'child'"):
        m.child = 3
    m.b = Parameter([3.0])                         # re-registered as a parameter
    assert list(m._parameters) == ["w", "b"] and "b" not in m._buffers
    m.child = None
    assert list(m.children()) == [] and m.child is None
    del m.w, m.b, m.child, m.plain
    assert m._parameters == {} and m._modules == {} and "plain" not in m.__dict__
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'w'"):
        m.w
    assert {"scale"} <= set(dir(_lucid_net()))


def test_name_clashes_are_clear_errors():
    m = Module()
    m.w = Parameter([1.0])
    m.note = "text"
    with pytest.raises(ValueError, match=r"Module.register_buffer: 'w' is already a parameter"):
        m.register_buffer("w", lucid.zeros(1))
    with pytest.raises(ValueError, match=r"Module.register_parameter: 'note' is already a plain attribute"):
        m.register_parameter("note", Parameter([1.0]))
    with pytest.raises(ValueError, match=r"Module.add_module: cannot register a sub-module named "
                                         r"'forward': Module already has a class attribute"):
        m.add_module("forward", nn.Conv1d(1, 1, 1))
    with pytest.raises(ValueError, match="cannot register a parameter named 'train'"):
        m.train = Parameter([1.0])
    with pytest.raises(ValueError, match=r"must be non-empty and contain no '\.' .*; got 'a\.b'"):
        m.register_parameter("a.b", None)
    with pytest.raises(ValueError, match="got ''"):
        m.add_module("", None)
    with pytest.raises(TypeError, match="the buffer name must be a str; got int"):
        m.register_buffer(1, None)
    with pytest.raises(TypeError, match=r"param must be a Parameter or None; got Tensor \(wrap"):
        m.register_parameter("t", lucid.Tensor([1.0]))
    with pytest.raises(TypeError, match="module must be a Module or None; got str"):
        m.add_module("x", "conv")
    with pytest.raises(TypeError, match="tensor must be a Tensor, an ndarray or None; got list"):
        m.register_buffer("x", [1.0])
    with pytest.raises(TypeError, match="persistent must be True or False"):
        m.register_buffer("x", None, persistent="no")

    class Broken(Module):
        def __init__(self):
            self.w = Parameter([1.0])

    with pytest.raises(AttributeError, match=r"Broken: call super\(\)\.__init__\(\) before"):
        Broken()
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        Module()(lucid.Tensor([1.0]))


# ------------------------------------------------------------------ forward hooks
def _record_hooks(make_module, events, tag):
    """Register pre and post hooks on a module built by ``make_module``; log their order."""
    module = make_module()
    module.register_forward_pre_hook(lambda m, args: events.append(f"{tag} pre"))
    module.register_forward_hook(lambda m, args, out: events.append(f"{tag} post"))
    return module


@needs_torch
def test_forward_hook_order_matches_torch():
    def run(framework, sequential, conv, x):
        events = []
        model = sequential(_record_hooks(lambda: conv(1, 2, 3), events, "inner0"),
                           _record_hooks(lambda: conv(2, 1, 3), events, "inner1"))
        model.register_forward_pre_hook(lambda m, args: events.append("outer pre 1"))
        model.register_forward_pre_hook(lambda m, args: events.append("outer pre 2"))
        model.register_forward_hook(lambda m, args, out: events.append("outer post"))
        model(x)
        return events

    ours = run("lucid", nn.Sequential, nn.Conv1d, lucid.random.randn(1, 1, 8))
    theirs = run("torch", torch.nn.Sequential, torch.nn.Conv1d, torch.randn(1, 1, 8))
    assert ours == theirs
    assert ours[0] == "outer pre 1" and ours[-1] == "outer post"


def test_forward_hooks_replace_args_and_output_and_are_removable():
    class Affine(Module):
        def forward(self, x, shift=0.0):
            return x * 2.0 + shift

    m = Affine()
    x = lucid.Tensor([1.0, 2.0])
    pre = m.register_forward_pre_hook(lambda mod, args: (args[0] + 1.0,))
    post = m.register_forward_hook(lambda mod, args, out: out * 10.0)
    assert_close(m(x), np.array([40.0, 60.0], np.float32))       # ((x + 1) * 2) * 10
    seen = []
    kw = m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"shift": 1.0}),
                                     with_kwargs=True)
    kw_post = m.register_forward_hook(
        lambda mod, args, kwargs, out: seen.append(dict(kwargs)), with_kwargs=True)
    assert_close(m(x), np.array([50.0, 70.0], np.float32))
    assert seen == [{"shift": 1.0}]
    for handle in (pre, post, kw, kw_post):
        handle.remove()
    handle.remove()                                               # twice is harmless
    assert_close(m(x), np.array([2.0, 4.0], np.float32))
    with m.register_forward_hook(lambda mod, args, out: out * 0.0):
        assert_close(m(x), np.zeros(2, np.float32))
    assert_close(m(x), np.array([2.0, 4.0], np.float32))
    m.register_forward_pre_hook(lambda mod, args, kwargs: "bad", with_kwargs=True)
    with pytest.raises(TypeError, match="must return None or \\(args, kwargs\\); got str"):
        m(x)
    with pytest.raises(TypeError, match="register_forward_hook: hook must be callable"):
        m.register_forward_hook(3)


# ----------------------------------------------------------------- backward hooks
class _MulAdd(Module):
    def forward(self, x, y):
        return x * y + x


@needs_torch
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True), (False, False)],
                         ids=["both-inputs", "first-input", "second-input", "no-input"])
def test_backward_hook_gradients_match_torch(needs):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((2, 3)) for _ in range(2)]
    weight = rng.standard_normal((2, 3))

    class TMulAdd(torch.nn.Module):
        def forward(self, x, y):
            return x * y + x

    def run(module, tensor, grad_of):
        calls = []
        module.register_full_backward_hook(lambda m, gin, gout: calls.append((gin, gout)))
        a = tensor(xs[0], needs[0])
        b = tensor(xs[1], needs[1])
        w = tensor(weight, True)
        ((module(a, b) * w).sum()).backward()
        return [([None if g is None else grad_of(g) for g in gin], [grad_of(g) for g in gout])
                for gin, gout in calls]

    ours = run(_MulAdd(), lambda v, r: lucid.Tensor(v, requires_grad=r), np.asarray)
    theirs = run(TMulAdd(), lambda v, r: torch.tensor(v, requires_grad=r),
                 lambda g: g.numpy())
    assert len(ours) == len(theirs) == (1 if any(needs) else 0)   # no graph: no call
    for (our_in, our_out), (their_in, their_out) in zip(ours, theirs):
        assert len(our_in) == len(their_in) == 2 and len(our_out) == len(their_out) == 1
        assert_close(our_out[0], their_out[0])
        for needed, mine, ref in zip(needs, our_in, their_in):
            if needed:
                assert_close(mine, ref)
            else:   # PyTorch also reports a gradient for an input not requiring grad
                assert mine is None


@needs_torch
def test_backward_hooks_fire_inner_first_like_torch():
    def run(sequential, conv, x):
        events = []
        model = sequential(conv(1, 2, 3), conv(2, 1, 3))
        for name, layer in (("outer", model), ("inner0", model[0]), ("inner1", model[1])):
            layer.register_full_backward_hook(lambda m, gin, gout, name=name: events.append(name))
        model(x).sum().backward()
        return events

    ours = run(nn.Sequential, nn.Conv1d, lucid.random.randn(1, 1, 8, requires_grad=True))
    theirs = run(torch.nn.Sequential, torch.nn.Conv1d, torch.randn(1, 1, 8, requires_grad=True))
    assert ours == theirs == ["inner1", "inner0", "outer"]
    # With no input requiring grad, lucid calls a module's hook as soon as its output
    # gradient is known (documented); PyTorch waits for the module's inner backward.
    ours = run(nn.Sequential, nn.Conv1d, lucid.random.randn(1, 1, 8))
    assert ours == ["outer", "inner1", "inner0"]


def test_backward_hook_replacement_retain_graph_and_no_effect_on_params():
    conv = nn.Conv1d(1, 1, 3)
    x = lucid.random.randn(1, 1, 6, requires_grad=True)
    conv(x).sum().backward()
    plain_x, plain_w = x.grad.copy(), conv.weight.grad.copy()
    x.grad, conv.weight.grad = None, None

    calls = []
    conv.register_backward_hook(lambda m, gin, gout: calls.append(1))
    y = conv(x).sum()
    y.backward(retain_graph=True)
    assert_close(x.grad, plain_x)
    assert_close(conv.weight.grad, plain_w)       # watching changes nothing
    y.backward()
    assert len(calls) == 2                         # once per backward
    assert_close(x.grad, 2 * plain_x)

    x.grad = None
    conv.register_backward_hook(lambda m, gin, gout: (gin[0] * 3.0,))
    conv(x).sum().backward()
    assert_close(x.grad, 3 * plain_x)             # the replacement reaches the input

    m = _MulAdd()
    m.register_backward_hook(lambda mod, gin, gout: gin)
    a, b = lucid.Tensor([1.0], requires_grad=True), lucid.Tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only when one input tensor receives a gradient; here 2"):
        m(a, b).sum().backward()
    with lucid.no_grad():                          # no graph: nothing to wrap
        assert not m(a, b).requires_grad


# -------------------------------------------------------------------- modes, grads
def test_train_eval_propagate_and_call_overrides():
    net = _lucid_net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    assert net.train() is net and all(m.training for m in net.modules())
    calls = []

    class Noisy(Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    outer = nn.Sequential(Noisy())
    outer.eval()
    assert calls == [False] and not outer[0].training
    with pytest.raises(TypeError, match="Sequential.train: mode must be True or False; got 'yes'"):
        outer.train("yes")


def test_zero_grad_requires_grad_and_dtype_casts():
    net = _lucid_net()
    for p in net.parameters():
        p.grad = np.ones(p.shape, p.dtype)
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.requires_grad_(False) is net and not any(p.requires_grad for p in net.parameters())
    assert net.count_parameters() == 2 * (3 * 2 * 3 + 3 + 3) + 1   # frozen ones count too
    weight = net.first.conv.weight
    net.double()
    assert net.first.conv.weight is weight and weight.dtype == np.float64
    assert net.steps.dtype == np.int64 and net.first.running.dtype == np.float64
    assert net.to(lucid.Float32) is net and weight.dtype == np.float32
    assert net.to("cpu") is net
    with pytest.raises(ValueError, match="device 'cuda' is not available: lucid computes on the CPU"):
        net.to("cuda")
    with pytest.raises(TypeError, match="the dtype must be floating; got int64"):
        net.to(lucid.Int64)


# --------------------------------------------------------------------- state dict
def test_state_dict_is_a_snapshot_of_tensors():
    net = _lucid_net()
    state = net.state_dict()
    assert list(state) == ["scale", "steps", "first.gamma", "first.running", "first.conv.weight",
                           "first.conv.bias", "second.gamma", "second.running",
                           "second.conv.weight", "second.conv.bias", "shared.gamma",
                           "shared.running", "shared.conv.weight", "shared.conv.bias"]
    value = state["first.conv.weight"]
    assert type(value) is lucid.Tensor and not value.requires_grad
    before = value.data.copy()
    net.first.conv.weight.data += 1.0              # training on ...
    assert_close(value.data, before)               # ... does not touch the snapshot
    kept = net.state_dict(keep_vars=True)
    assert kept["first.conv.weight"] is net.first.conv.weight
    assert kept["first.running"] is net.first.running


def _conv_stack():
    return nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.Conv1d(4, 4, 3, groups=2),
                         nn.Conv1d(4, 1, 1, bias=False))


def test_state_dict_round_trip_into_a_fresh_model(tmp_path):
    trained = _conv_stack()
    for p in trained.parameters():
        p.data += 0.5                              # differ from any fresh init
    x = lucid.random.randn(3, 2, 9)
    fresh = _conv_stack()
    weights = list(fresh.parameters())
    assert repr(fresh.load_state_dict(trained.state_dict())) == "<All keys matched successfully>"
    assert all(a is b for a, b in zip(fresh.parameters(), weights))   # loaded in place
    assert_close(fresh(x), trained(x).data)
    path = os.path.join(tmp_path, "model.npz")
    lucid.save(trained.state_dict(), path)
    other = _conv_stack()
    other.load_state_dict(lucid.load(path))
    assert_close(other(x), trained(x).data)
    assert other[0].weight.dtype == np.float32


@needs_torch
def test_load_torch_state_dict_gives_torch_outputs():
    theirs = torch.nn.Sequential(torch.nn.Conv1d(2, 4, 3, padding=1),
                                 torch.nn.Conv1d(4, 4, 3, groups=2),
                                 torch.nn.Conv1d(4, 1, 1, bias=False))
    ours = _conv_stack()
    ours.load_state_dict(theirs.state_dict())      # torch tensors (requiring grad) load too
    x = np.random.default_rng(1).standard_normal((3, 2, 9)).astype(np.float32)
    assert_close(ours(lucid.Tensor(x)), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@needs_torch
def test_strict_errors_and_non_strict_result_match_torch():
    ours, theirs = _lucid_net(), _torch_net()
    base = {k: v for k, v in ours.state_dict().items()}
    partial = {k: v for k, v in base.items() if not k.startswith("second")}
    partial["extra.weight"] = np.zeros(1)
    t_partial = {k: torch.tensor(np.asarray(v)) for k, v in partial.items()}
    result = ours.load_state_dict(partial, strict=False)
    reference = theirs.load_state_dict(t_partial, strict=False)
    assert result.missing_keys == reference.missing_keys
    assert result.unexpected_keys == reference.unexpected_keys == ["extra.weight"]
    missing, unexpected = result                   # unpacks as a pair
    assert missing == result.missing_keys

    bad = dict(partial)
    bad["first.gamma"] = np.zeros(4)
    before = ours.first.conv.weight.data.copy()
    bad["first.conv.weight"] = np.zeros((3, 2, 3))
    with pytest.raises(ValueError) as info:
        ours.load_state_dict(bad)
    message = str(info.value)
    assert message.startswith("load_state_dict: the state dict does not fit Net:")
    assert "missing keys (in the model, not in the state dict): ['second.gamma'" in message
    assert "unexpected keys (in the state dict, not in the model): ['extra.weight']" in message
    assert "size mismatch for first.gamma: shape (4,) in the state dict, (3,) in the model" in message
    assert_close(ours.first.conv.weight.data, before)     # nothing was written
    with pytest.raises(ValueError, match="size mismatch for first.gamma"):
        ours.load_state_dict(bad, strict=False)            # shapes are checked even then
    with pytest.raises(TypeError, match="load_state_dict: state_dict must be a mapping"):
        ours.load_state_dict([("scale", np.ones(1))])
    with pytest.raises(TypeError, match="the value of 'scale' must be a Tensor or an array of numbers; got str"):
        ours.load_state_dict({"scale": "two"}, strict=False)


# ------------------------------------------------------------------------ repr, copy
@needs_torch
def test_repr_matches_torch():
    tnn = torch.nn
    ours = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 3, stride=2, bias=False),
                         nn.Sequential(nn.Conv2d(8, 4, 1, groups=4)))
    theirs = tnn.Sequential(tnn.Conv2d(3, 8, 3, padding=1), tnn.Conv2d(8, 8, 3, stride=2, bias=False),
                            tnn.Sequential(tnn.Conv2d(8, 4, 1, groups=4)))
    assert repr(ours) == repr(theirs)
    assert repr(nn.Sequential()) == repr(tnn.Sequential())

    class WithExtra(Module):
        def __init__(self, framework):
            super().__init__()
            self.head = framework.Conv1d(1, 1, 1)

        def extra_repr(self):
            return "depth=2\nwidth=3"

    class TWithExtra(tnn.Module):
        def __init__(self):
            super().__init__()
            self.head = tnn.Conv1d(1, 1, 1)
            self.add_module("gone", None)

        def extra_repr(self):
            return "depth=2\nwidth=3"

    ours = WithExtra(nn)
    ours.add_module("gone", None)
    assert repr(ours) == repr(TWithExtra()).replace("TWithExtra", "WithExtra")


def test_deepcopy_gives_an_independent_model():
    net = _lucid_net()
    twin = copy.deepcopy(net)
    twin.first.conv.weight.data += 1.0
    assert not np.allclose(twin.first.conv.weight.data, net.first.conv.weight.data)
    assert twin.shared is twin.first               # sharing survives the copy
    assert list(twin.state_dict()) == list(net.state_dict())
