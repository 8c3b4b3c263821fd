"""``Module``: the base class of every layer and model (a minimal one for now).

A Module holds Parameters and sub-Modules as attributes; assigning them registers
them, so ``parameters()``, ``state_dict()``, ``train()``/``eval()`` and ``zero_grad()``
reach every one of them, recursively and in the order they were assigned. A subclass
sets its attributes in ``__init__`` (after ``super().__init__()``) and computes in
``forward``; calling the module calls ``forward``.
"""
from collections import OrderedDict

import numpy as np

from lucid._tensor import Tensor
from lucid.nn.parameter import Parameter

__all__ = ["Module"]


class Module:
    """Base class of layers and models: holds Parameters and sub-Modules.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn import Module, Parameter
    >>> class Scale(Module):
    ...     def __init__(self, n):
    ...         super().__init__()
    ...         self.weight = Parameter(lucid.Tensor([1.0] * n))
    ...     def forward(self, x):
    ...         return x * self.weight
    >>> class Net(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.first = Scale(2)
    ...         self.second = Scale(2)
    ...     def forward(self, x):
    ...         return self.second(self.first(x))
    >>> net = Net()
    >>> [name for name, _ in net.named_parameters()]
    ['first.weight', 'second.weight']
    >>> net
    Net(
      (first): Scale()
      (second): Scale()
    )
    >>> net.eval().training, net.first.training
    (False, False)
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        params, modules = self._parameters, self._modules
        if isinstance(value, Parameter):
            modules.pop(name, None)
            self.__dict__.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            self.__dict__.pop(name, None)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign a {type(value).__name__} to parameter "
                    f"{name!r}: assign a Parameter or None"
                )
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign a {type(value).__name__} to sub-module "
                    f"{name!r}: assign a Module or None"
                )
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):  # only called when normal lookup fails
        d = self.__dict__
        if "_parameters" in d and name in d["_parameters"]:
            return d["_parameters"][name]
        if "_modules" in d and name in d["_modules"]:
            return d["_modules"][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent one) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: param must be a Parameter or None; got {type(param).__name__}"
            )
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def add_module(self, name, module):
        """Register ``module`` (or None) as a sub-module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: module must be a Module or None; got {type(module).__name__}")
        self.__dict__.pop(name, None)
        self._modules[name] = module

    # ----------------------------------------------------------------- forward
    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --------------------------------------------------------------- traversal
    def named_modules(self, prefix=""):
        """``(name, module)`` for this module and every sub-module, each once, depth first."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m)
                        for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        """This module and every sub-module."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """``(name, module)`` for the direct sub-modules."""
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self):
        """The direct sub-modules."""
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix="", recurse=True):
        """``(dotted name, Parameter)`` for every parameter, each once, in assignment order."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse=True):
        """Every Parameter (each once): what an optimiser updates."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    # ------------------------------------------------------------------- modes
    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode on every module; return self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode (``train(False)``); return self."""
        return self.train(False)

    def zero_grad(self):
        """Forget every parameter's gradient (``.grad`` becomes None, as in PyTorch)."""
        for param in self.parameters():
            param.grad = None

    # -------------------------------------------------------------- state dict
    def state_dict(self):
        """A snapshot of every parameter: ``{dotted name: np.ndarray copy}``, in order.

        The arrays are copies, so training on does not change a saved state dict.
        """
        return OrderedDict((name, param.data.copy()) for name, param in self._all_named_parameters())

    def load_state_dict(self, state_dict, strict=True):
        """Copy the values of ``state_dict`` into this module's parameters.

        Values may be arrays or Tensors; each must have its parameter's shape and is
        cast to its dtype. With ``strict`` (default), the names must match exactly.

        Raises
        ------
        KeyError
            With ``strict``: names missing from ``state_dict`` or unknown here.
        ValueError
            A value whose shape differs from its parameter's.
        """
        own = OrderedDict(self._all_named_parameters())
        if strict:
            missing = [k for k in own if k not in state_dict]
            unexpected = [k for k in state_dict if k not in own]
            if missing or unexpected:
                raise KeyError(
                    f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
                )
        for name, value in state_dict.items():
            if name not in own:
                continue
            param = own[name]
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.shape != param.data.shape:
                raise ValueError(
                    f"load_state_dict: {name} has shape {param.data.shape} here but "
                    f"{array.shape} in the state dict"
                )
            param.data[...] = array.astype(param.data.dtype, copy=False)

    def _all_named_parameters(self):
        """Like named_parameters, but a parameter shared by two modules appears under both names."""
        for module_name, module in self.named_modules():
            for name, param in module._parameters.items():
                if param is not None:
                    yield (f"{module_name}.{name}" if module_name else name), param

    # ------------------------------------------------------------------- repr
    def extra_repr(self):
        """Text shown inside this module's parentheses by ``repr`` (subclasses override)."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(module).replace("\n", "\n  ")
                 for name, module in self._modules.items() if module is not None]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = ([extra] if extra else []) + lines
        return f"{type(self).__name__}(\n  " + "\n  ".join(body) + "\n)"
