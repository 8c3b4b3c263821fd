"""A module's registries keep each member as an attribute too (``lucid.nn._members``).

The rule under test: whatever writes a registry (the Module methods, assignment,
``del``, the registry's own dict methods, the containers, copies, pickles, interop),
afterwards every entry ``name -> value`` of ``_parameters``, ``_buffers`` and
``_modules`` is also ``module.__dict__[name]`` (the same object), and no removed member
is left behind as an attribute.
"""
import copy
import pickle
from collections import OrderedDict

import pytest

import lucid
from lucid import nn
from lucid.nn import Buffer, Module, Parameter
from lucid.nn._members import Members

REGISTRIES = ("_parameters", "_buffers", "_modules")


def member(kind, value=1.0):
    """A fresh member of each kind (its registry's name)."""
    if kind == "_parameters":
        return Parameter([value])
    if kind == "_buffers":
        return Buffer([value])
    return nn.Linear(1, 1)


def assert_in_step(module, gone=()):
    """Every registry entry is the module's attribute of that name; ``gone`` are not."""
    attributes = vars(module)
    for registry in REGISTRIES:
        assert type(getattr(module, registry)) is Members
        for name, value in getattr(module, registry).items():
            assert name in attributes and attributes[name] is value, (registry, name)
            assert getattr(module, name) is value
    for name in gone:
        assert name not in attributes, name
        with pytest.raises(AttributeError, match=f"has no attribute '{name}'"):
            getattr(module, name)


def test_layers_members_are_plain_attributes():
    lin = nn.Linear(3, 2)
    assert vars(lin)["weight"] is lin._parameters["weight"]
    assert vars(lin)["bias"] is lin._parameters["bias"]
    seq = nn.Sequential(lin, nn.ReLU())
    assert vars(seq)["0"] is lin
    norm = nn.BatchNorm1d(4)
    assert vars(norm)["running_mean"] is norm._buffers["running_mean"]
    assert_in_step(seq)
    assert_in_step(norm)


@pytest.mark.parametrize("registry", REGISTRIES)
def test_every_dict_method_keeps_the_attributes(registry):
    m = Module()
    reg = getattr(m, registry)
    a, b, c, d = (member(registry, v) for v in (1.0, 2.0, 3.0, 4.0))
    reg["a"] = a
    reg.update({"b": b}, c=c)
    reg.update([("d", d)])
    assert list(reg) == ["a", "b", "c", "d"]
    assert_in_step(m)
    assert reg.setdefault("a", member(registry)) is a          # present: unchanged
    e = member(registry, 5.0)
    assert reg.setdefault("e", e) is e and m.e is e
    f = member(registry, 6.0)
    reg |= {"f": f}
    assert m.f is f
    assert_in_step(m)
    del reg["a"]
    assert reg.pop("b") is b
    assert reg.pop("missing", None) is None
    with pytest.raises(KeyError):
        reg.pop("missing")
    with pytest.raises(TypeError, match="pop expected at most 2 arguments, got 3"):
        reg.pop("c", None, None)
    assert reg.popitem() == ("f", f)
    assert reg.popitem(last=False) == ("c", c)
    assert_in_step(m, gone=("a", "b", "c", "f"))
    reg["d"] = None                                             # an absent member
    assert m.d is None
    reg.clear()
    assert_in_step(m, gone=("a", "b", "c", "d", "e", "f"))
    with pytest.raises(KeyError, match="dictionary is empty"):
        reg.popitem()
    with pytest.raises(KeyError):
        del reg["a"]


def test_module_methods_assignment_and_del_keep_the_attributes():
    m = Module()
    w = Parameter([1.0])
    m.register_parameter("w", w)
    m.register_buffer("b", lucid.zeros(2), persistent=False)
    m.add_module("child", nn.Linear(1, 1))
    m.plain = 3
    assert_in_step(m)
    m.b = lucid.ones(2)                          # a Tensor replaces a buffer's value
    assert m.b is m._buffers["b"] and float(m.b.sum().item()) == 2.0
    m.w = None                                   # an absent parameter
    assert m.w is None and m._parameters["w"] is None
    m.w = Buffer([2.0])                          # re-registered as a buffer
    assert "w" not in m._parameters and m.w is m._buffers["w"]
    assert_in_step(m)
    del m.w, m.b, m.child
    assert_in_step(m, gone=("w", "b", "child"))
    assert m.plain == 3


def test_a_value_written_into_the_dict_by_hand_is_left_alone():
    m = Module()
    p = Parameter([1.0])
    m.w = p
    vars(m)["w"] = "by hand"                     # found first by the normal lookup,
    assert m.w == "by hand"                      # as before Members
    del m._parameters["w"]
    assert m.w == "by hand"
    m.v = Parameter([2.0])
    del vars(m)["v"]                             # the attribute removed by hand:
    assert m.v is m._parameters["v"]             # __getattr__ still finds the member


def test_a_registry_replaced_whole_takes_its_attributes_with_it():
    m = Module()
    m.old = Parameter([1.0])
    new = Parameter([2.0])
    m._parameters = OrderedDict(new=new)
    assert_in_step(m, gone=("old",))
    assert m.new is new and [p for p in m.parameters()] == [new]
    m._parameters = m._parameters                # itself: nothing lost
    assert m.new is new
    with pytest.raises(TypeError, match="Module: _parameters must be a mapping of names to "
                                        "members; got int"):
        m._parameters = 3


def test_init_again_drops_the_members_attributes():
    lin = nn.Linear(2, 2)
    Module.__init__(lin)
    assert_in_step(lin, gone=("weight", "bias"))


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "copy"])
def test_copies_and_pickles_have_registries_of_their_own(how):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model.eval()
    with lucid.no_grad():                        # a plan kept in the Linear's __dict__
        model(lucid.ones(4, 2))
    if how == "pickle":
        other = pickle.loads(pickle.dumps(model))
    elif how == "deepcopy":
        other = copy.deepcopy(model)
    else:
        other = copy.copy(model)
    for m in other.modules():
        assert_in_step(m)
    assert other._modules is not model._modules
    if how != "copy":
        assert other[0].weight is not model[0].weight
        assert (other[0].weight.data == model[0].weight.data).all()
        assert "_plan" not in vars(other[0])
    replacement = nn.ReLU()
    other._modules["1"] = replacement            # the copy's registry, the copy's attribute
    assert other[1] is replacement and getattr(other, "1") is replacement
    assert isinstance(getattr(model, "1"), nn.BatchNorm1d) and model[1] is model._modules["1"]
    assert_in_step(model)


def test_a_pickle_holds_each_member_once():
    lin = nn.Linear(2, 2)
    state = lin.__getstate__()
    assert "weight" not in state and "bias" not in state
    assert state["_parameters"]["weight"] is lin.weight
    registry = pickle.loads(pickle.dumps(lin._parameters))
    assert type(registry) is OrderedDict and list(registry) == ["weight", "bias"]
    assert type(lin._parameters.copy()) is OrderedDict


def test_a_state_from_before_members_is_restored_with_attributes():
    w = Parameter([1.0])
    child = nn.Linear(1, 1)
    state = {"_parameters": OrderedDict(w=w), "_buffers": OrderedDict(),
             "_non_persistent_buffers": set(), "_modules": OrderedDict(child=child),
             "_forward_pre_hooks": OrderedDict(), "_forward_hooks": OrderedDict(),
             "_backward_hooks": OrderedDict(), "training": True, "plain": 5}
    m = Module.__new__(Module)
    m.__setstate__(state)
    assert m.w is w and m.child is child and m.plain == 5
    assert_in_step(m)


def test_containers_keep_the_attributes_through_renumbering():
    layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(4)])
    del layers[1]
    assert_in_step(layers, gone=("3",))
    layers.insert(0, nn.ReLU())
    del layers[1:3]
    assert_in_step(layers, gone=("2", "3"))
    params = nn.ParameterList([Parameter([float(i)]) for i in range(2)])
    params.append(Parameter([2.0]))
    params[0] = Parameter([5.0])
    assert_in_step(params)
    named = nn.ParameterDict({"a": Parameter([1.0]), "b": Parameter([2.0])})
    del named["a"]
    assert_in_step(named, gone=("a",))
    table = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()})
    del table["a"]
    table.pop("b")
    assert_in_step(table, gone=("a", "b"))
    table["c"] = nn.ReLU()
    table.clear()
    assert_in_step(table, gone=("c",))


def test_state_dict_load_and_casts_keep_the_attributes():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    weight = model[0].weight
    model.load_state_dict({k: v * 2 for k, v in model.state_dict().items()})
    model.double()
    assert model[0].weight is weight and weight.dtype == lucid.float64
    for m in model.modules():
        assert_in_step(m)


def test_a_name_that_would_hide_something_stays_in_the_registry_only():
    """A write straight into a registry is not checked as ``register_parameter`` checks
    its name; an entry whose attribute would hide a method, the module's machinery or a
    plain attribute is not made an attribute, so the module works as before Members."""
    lin = nn.Linear(2, 2)
    forward = lucid.zeros(2)
    lin._buffers["forward"] = forward                  # the class's method
    lin._buffers["training"] = lucid.zeros(2)          # the module's own flag
    lin._modules["_parameters"] = nn.ReLU()            # a registry itself
    lin.plain = 7
    lin._parameters["plain"] = Parameter([1.0])        # a plain attribute
    lin._parameters[3] = Parameter([2.0])              # not a str
    assert lin(lucid.ones(1, 2)).shape == (1, 2)
    assert lin.training is True and type(lin._parameters) is Members
    assert lin.plain == 7 and "forward" not in vars(lin) and 3 not in vars(lin)
    assert lin._buffers["forward"] is forward
    assert {"forward", "training"} <= set(dict(lin.named_buffers()))
    assert lin._parameters.attribute_names() == {"weight", "bias"}
    del lin._buffers["training"], lin._parameters["plain"]
    assert lin.training is True and lin.plain == 7     # not theirs to remove
    assert "plain" not in lin.__getstate__()["_parameters"]
    restored = pickle.loads(pickle.dumps(lin))
    assert restored.training is True and restored.plain == 7
    assert restored(lucid.ones(1, 2)).shape == (1, 2)
