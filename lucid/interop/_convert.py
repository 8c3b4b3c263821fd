"""Moving a module tree between lucid and PyTorch, one module at a time.

:class:`Mover` walks the source tree from the top. Each module is one of:

* a **container** (``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``,
  ``ParameterDict``): the same container on the other side, its members moved in
  order under the same keys;
* a **standard layer** (:data:`lucid.interop._layers.LAYERS`): the counterpart built
  from the same constructor arguments, then every parameter and buffer copied by
  name (:meth:`Mover.copy_state`);
* a **lucid-only module or model** (:mod:`lucid.interop._twins`): its twin class,
  with the sub-modules moved, the parameters, buffers and plain attributes copied.

Anything else is a ValueError naming the module and where it sits in the tree.
Values are copied with their dtype; a parameter or buffer shared by two modules
stays shared; every module keeps its ``training`` flag and every parameter its
``requires_grad``.
"""
from collections import OrderedDict

import numpy as np

from lucid._tensor import Tensor
from lucid.interop import _layers
from lucid.interop._twins import forwards

__all__ = ["Mover"]

#: lucid Module attributes that are its machinery, not the model's settings
_LUCID_INTERNALS = {"_parameters", "_buffers", "_non_persistent_buffers", "_modules",
                    "_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "training"}
_SIMPLE = (type(None), bool, int, float, complex, str)

_twin_classes = {}     # lucid class -> its torch twin class (made once per process)


def _where(path):
    return "the model itself" if path == "" else f"module {path!r}"


def _join(path, name):
    return f"{path}.{name}" if path else str(name)


def _qualified(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


class Mover:
    """One move (``to_torch`` when ``to_torch`` is True, else ``from_torch``)."""

    def __init__(self, torch, to_torch):
        from lucid import nn
        from lucid.nn.functional import gelu, relu

        self.torch, self.nn = torch, nn
        self.to_torch = to_torch
        self.fname = "lucid.interop." + ("to_torch" if to_torch else "from_torch")
        self.memo = {}                       # id(source tensor) -> moved tensor
        self.keep = []                       # the sources whose ids are in memo
        self.twins = forwards(torch)
        self.lucid_activations = {"relu": relu, "gelu": gelu}
        self.torch_activations = {"relu": torch.nn.functional.relu,
                                  "gelu": torch.nn.functional.gelu}

    # ------------------------------------------------------------ errors
    def fail(self, path, reason):
        return ValueError(f"{self.fname}: {_where(path)} {reason}")

    def no_counterpart(self, module, path):
        cls = type(module)
        if self.to_torch:
            advice = ("a module written in lucid has a forward that PyTorch cannot run: "
                      "write it once with torch.nn under the same attribute names and load "
                      "the weights, e.g. lucid.save(model.state_dict(), "
                      "'model.safetensors') then safetensors.torch.load_file")
        else:
            advice = ("lucid has no layer for it (from_torch moves the torch.nn layers "
                      "lucid has, their containers, and modules made by to_torch)")
        return self.fail(path, f"is a {_qualified(cls)}, which has no counterpart: {advice}")

    # --------------------------------------------------------- tensors
    def tensor(self, t, parameter):
        """A moved copy of a parameter / buffer (the same object for one seen before)."""
        if id(t) in self.memo:
            return self.memo[id(t)]
        torch, nn = self.torch, self.nn
        if self.to_torch:
            data = torch.from_numpy(np.array(t.data, copy=True))
            moved = torch.nn.Parameter(data, requires_grad=t.requires_grad) if parameter else data
        else:
            data = np.array(t.detach().cpu().numpy(), copy=True)
            moved = nn.Parameter(data, requires_grad=t.requires_grad) if parameter \
                else nn.Buffer(data)
        self.memo[id(t)] = moved
        self.keep.append(t)
        return moved

    def refresh(self, moved, t):
        """Copy ``t``'s values into ``moved`` again (a constructor may have re-initialised
        the sub-modules it was given, as torch.nn.Transformer does)."""
        if self.to_torch:
            moved.data = self.torch.from_numpy(np.array(t.data, copy=True))
        else:
            moved.data = np.array(t.detach().cpu().numpy(), copy=True)

    def value(self, v, path, name):
        """A plain attribute's value on the other side."""
        if isinstance(v, _SIMPLE):
            return v
        if isinstance(v, (tuple, list)):
            return type(v)(self.value(item, path, name) for item in v)
        if isinstance(v, dict):
            return {k: self.value(item, path, name) for k, item in v.items()}
        if self.to_torch and isinstance(v, Tensor):
            return self.torch.from_numpy(np.array(v.data, copy=True))
        if not self.to_torch and isinstance(v, self.torch.Tensor):
            return Tensor(np.array(v.detach().cpu().numpy(), copy=True))
        raise self.fail(path, f"has an attribute {name!r} of type {type(v).__name__} that "
                              "cannot be moved")

    # --------------------------------------------------------- modules
    def module(self, m, path=""):
        """The moved module ``m`` (which sits at ``path`` in the tree)."""
        containers = self._containers()
        if type(m) in containers:
            moved = containers[type(m)](m, path)
        elif self.to_torch and type(m) in self.twins:
            moved = self._twin(m, path)
        elif not self.to_torch and getattr(type(m), "_lucid_class", None) in self.twins:
            moved = self._untwin(m, path)
        else:
            moved = self._layer(m, path)
        moved.training = m.training
        return moved

    def _containers(self):
        torch, nn = self.torch, self.nn
        pairs = [(nn.Sequential, torch.nn.Sequential), (nn.ModuleList, torch.nn.ModuleList),
                 (nn.ModuleDict, torch.nn.ModuleDict), (nn.ParameterList, torch.nn.ParameterList),
                 (nn.ParameterDict, torch.nn.ParameterDict)]
        found = {}
        for lucid_cls, torch_cls in pairs:
            source, target = (lucid_cls, torch_cls) if self.to_torch else (torch_cls, lucid_cls)
            if target in (torch.nn.ParameterList, nn.ParameterList):
                found[source] = lambda m, path, t=target: t(
                    [self.tensor(p, True) for p in m.parameters(recurse=False)])
            elif target in (torch.nn.ParameterDict, nn.ParameterDict):
                found[source] = lambda m, path, t=target: t(OrderedDict(
                    (k, self.tensor(p, True)) for k, p in m._parameters.items()))
            elif target in (torch.nn.ModuleList, nn.ModuleList):
                found[source] = lambda m, path, t=target: t(
                    [self.module(c, _join(path, k)) for k, c in m._modules.items()])
            else:
                found[source] = lambda m, path, t=target: t(OrderedDict(
                    (k, self.module(c, _join(path, k))) for k, c in m._modules.items()))
        return found

    def _layer(self, m, path):
        """A standard layer: build the counterpart, copy the state."""
        torch, nn = self.torch, self.nn
        if self.to_torch:
            name = type(m).__name__
            entry = _layers.LAYERS.get(name) if type(m) is getattr(nn, name, None) else None
            if entry is None:
                raise self.no_counterpart(m, path)
            target_name, args = entry
            missing = _layers.lucid_only(m)
            if missing:
                raise self.fail(path, f"is a {name} with {', '.join(missing)}, which "
                                      f"torch.nn.{target_name} cannot express")
            target = getattr(torch.nn, target_name)
        else:
            target_name = self._lucid_name(m)
            if target_name is None:
                raise self.no_counterpart(m, path)
            _, args = _layers.LAYERS[target_name]
            for attr, supported in _layers.TORCH_ONLY.get(type(m).__name__, {}).items():
                if getattr(m, attr) != supported:
                    raise self.fail(path, f"is a torch.nn.{type(m).__name__} with "
                                          f"{attr}={getattr(m, attr)!r}, which lucid's "
                                          f"{target_name} does not have (it supports "
                                          f"{attr}={supported!r})")
            target = getattr(nn, target_name)
        kwargs = {}
        for arg in args:
            get, key = (arg.get_lucid, arg.torch) if self.to_torch else (arg.get_torch, arg.lucid)
            v = get(m)
            if arg.lucid in _layers.MODULE_ARGS or arg.torch in _layers.MODULE_ARGS:
                v = None if v is None else self.module(v, _join(path, arg.lucid))
            kwargs[key] = v
        layer_name = target_name if not self.to_torch else type(m).__name__
        if layer_name in _layers.ACTIVATION_LAYERS:
            kwargs["activation"] = self._activation(m, path)
        if self.to_torch and target_name == "TransformerEncoder":
            kwargs["enable_nested_tensor"] = False          # lucid has no nested tensors
        moved = target(**kwargs)
        self.copy_state(m, moved, path)
        return moved

    def _lucid_name(self, m):
        """The lucid layer name of a torch layer, or None."""
        torch = self.torch
        for lucid_name, (torch_name, _) in _layers.LAYERS.items():
            if type(m) is getattr(torch.nn, torch_name, None):
                return lucid_name
        return None

    def _activation(self, m, path):
        """A Transformer layer's activation: 'relu' / 'gelu', or a moved module."""
        activation = m.activation
        source = self.lucid_activations if self.to_torch else self.torch_activations
        name = _layers.activation_name(activation, source)
        if name is not None:
            return name
        module_type = self.nn.Module if self.to_torch else self.torch.nn.Module
        if isinstance(activation, module_type):
            return self.module(activation, _join(path, "activation"))
        raise self.fail(path, f"has the activation {activation!r}, a function that cannot "
                              "be moved (use 'relu', 'gelu' or a module)")

    def copy_state(self, source, target, path):
        """Copy every parameter and buffer of ``source`` into ``target``, module by
        module (matched by their dotted paths), and each module's training flag."""
        targets = dict(target.named_modules())
        for sub, m in source.named_modules():
            t = targets.get(sub)
            here = _join(path, sub)
            own = {k: v for k, v in m._parameters.items() if v is not None}
            buffers = {k: v for k, v in m._buffers.items() if v is not None}
            if t is None:
                if own or buffers:
                    raise self.fail(here, "has no counterpart sub-module in the moved layer")
                continue
            theirs = {k for k, v in t._parameters.items() if v is not None}
            if set(own) != theirs:
                raise self.fail(here, f"has the parameters {sorted(own)} but its counterpart "
                                      f"has {sorted(theirs)}")
            for k, v in own.items():               # (in the source's order)
                del t._parameters[k]
                t._parameters[k] = self.tensor(v, True)
                self.refresh(t._parameters[k], v)
            for k, v in buffers.items():
                if k not in t._buffers:
                    raise self.fail(here, f"has a buffer {k!r} that its counterpart lacks")
                del t._buffers[k]
                t._buffers[k] = self.tensor(v, False)
                self.refresh(t._buffers[k], v)
            t.training = m.training

    # ----------------------------------------------------------- twins
    def _twin_class(self, cls):
        if cls not in _twin_classes:
            body = dict(self.twins[cls])
            body.update(__module__="lucid.interop", __qualname__=cls.__name__,
                        _lucid_class=cls,
                        __doc__=f"The PyTorch twin of {_qualified(cls)} "
                                "(made by lucid.interop.to_torch).")
            _twin_classes[cls] = type(cls.__name__, (self.torch.nn.Module,), body)
        return _twin_classes[cls]

    def _twin(self, m, path):
        """A lucid-only module as its torch twin."""
        torch = self.torch
        twin = self._twin_class(type(m))
        moved = twin.__new__(twin)
        torch.nn.Module.__init__(moved)
        names = []
        members = {k: v for registry in (m._modules, m._buffers, m._parameters)
                   for k, v in registry.items()}
        for k, v in vars(m).items():            # (Members: the members are attributes too)
            if k not in _LUCID_INTERNALS and not (k in members and members[k] is v):
                setattr(moved, k, self.value(v, path, k))
                names.append(k)
        moved._lucid_attributes = tuple(names)
        for k, p in m._parameters.items():
            moved.register_parameter(k, None if p is None else self.tensor(p, True))
        for k, b in m._buffers.items():
            moved.register_buffer(k, None if b is None else self.tensor(b, False),
                                  persistent=k not in m._non_persistent_buffers)
        for k, c in m._modules.items():
            moved.add_module(k, None if c is None else self.module(c, _join(path, k)))
        return moved

    def _untwin(self, m, path):
        """A twin made by to_torch, back as its lucid class."""
        nn = self.nn
        cls = type(m)._lucid_class
        moved = cls.__new__(cls)
        nn.Module.__init__(moved)
        for k, p in m._parameters.items():
            moved._parameters[k] = None if p is None else self.tensor(p, True)
        for k, b in m._buffers.items():
            moved._buffers[k] = None if b is None else self.tensor(b, False)
            if k in m._non_persistent_buffers_set:
                moved._non_persistent_buffers.add(k)
        for k, c in m._modules.items():
            moved._modules[k] = None if c is None else self.module(c, _join(path, k))
        for k in getattr(m, "_lucid_attributes", ()):
            object.__setattr__(moved, k, self.value(getattr(m, k), path, k))
        return moved
