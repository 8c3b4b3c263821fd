r"""Containers: Modules that hold other Modules or Parameters, as PyTorch's do.

* :class:`Sequential` — layers applied one after the other: :math:`y = f_n(\dots f_1(x))`;
* :class:`ModuleList` / :class:`ModuleDict` — sub-modules held in a list / dict, so
  that ``parameters()``, ``state_dict()`` and ``train()`` reach them (a plain Python
  list of layers would hide them from the model);
* :class:`ParameterList` / :class:`ParameterDict` — the same for Parameters.

Members are registered under their index (``'0'``, ``'1'``, ...) or their key, so a
state dict reads ``layers.0.weight``. Deleting from a list renumbers what follows.
"""
from collections import OrderedDict
from collections.abc import Mapping

from lucid._checks import renamed
from lucid._tensor import Tensor
from lucid.error import IndexOutOfRangeError
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index(container, idx, method):
    """``idx`` (an int, negative allowed) as a valid position in ``container``."""
    if isinstance(idx, bool) or not hasattr(idx, "__index__"):
        raise TypeError(f"{type(container).__name__}.{method}: indices must be ints or slices; "
                        f"got {type(idx).__name__}")
    n = len(container)
    i = idx.__index__()
    if not -n <= i < n:
        raise IndexOutOfRangeError(
            f"{type(container).__name__}.{method}: index {i} is out of range "
            f"for {n} members")
    return i + n if i < 0 else i


def _renumber(registry, members):
    """Make ``members`` the contents of ``registry`` (an OrderedDict), keyed '0', '1', ..."""
    registry.clear()
    registry.update((str(i), m) for i, m in enumerate(members))


def _insert(container, method, registry, index, member):
    """Insert ``member`` before position ``index`` (list semantics), renumbering all."""
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"{type(container).__name__}.{method}: index must be an int; "
                        f"got {type(index).__name__}")
    members = list(registry.values())
    members.insert(index, member)
    _renumber(registry, members)


def _delete(container, registry, idx):
    """Delete the member at ``idx`` (an int or a slice), renumbering the rest."""
    keys = list(registry)
    doomed = keys[idx] if isinstance(idx, slice) else [keys[_index(container, idx, "__delitem__")]]
    for key in doomed:
        del registry[key]
    _renumber(registry, list(registry.values()))


def _check_key(container, registry, kind, key):
    """``key`` must name a member of ``registry`` (a KeyError listing the keys otherwise)."""
    if key not in registry:
        raise KeyError(f"{type(container).__name__}: no {kind} named {key!r}; keys are "
                       f"{list(registry)}")


def _parameters_repr(container, pairs):
    """One line per member: ``(key): Parameter containing: [float32 of size 2x3]``.

    PyTorch's wording; its layout differs a little (it indents these lines by four
    spaces, or puts a single one on the first line).
    """
    lines = [f"({key}): Parameter containing: [{p.dtype} of size "
             + "x".join(str(n) for n in p.shape) + "]" for key, p in pairs]
    if not lines:
        return type(container).__name__ + "()"
    return type(container).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    r"""Layers applied in order: :math:`y = f_n(\cdots f_2(f_1(x)))`.

    Built from layers (named ``'0'``, ``'1'``, ...) or from one OrderedDict of
    ``name -> layer``. Indexing with an int gives a layer; a slice gives a new
    Sequential of the same layer objects (with their names).

    Shapes: whatever the first layer takes; whatever the last one returns.

    Backward: through each layer in reverse (the chain rule:
    :math:`\partial L / \partial x = J_{f_1}^\top \cdots J_{f_n}^\top \, \partial L / \partial y`).

    Parameters
    ----------
    *args : Module, or one OrderedDict of str -> Module

    Raises
    ------
    TypeError
        A member that is not a Module.

    Examples
    --------
    >>> from collections import OrderedDict
    >>> import lucid
    >>> from lucid import nn
    >>> model = nn.Sequential(nn.Conv1d(1, 4, 3), nn.Conv1d(4, 2, 3))
    >>> model(lucid.random.randn(8, 1, 10)).shape
    (8, 2, 6)
    >>> model
    Sequential(
      (0): Conv1d(1, 4, kernel_size=(3,), stride=(1,))
      (1): Conv1d(4, 2, kernel_size=(3,), stride=(1,))
    )
    >>> model[1:]
    Sequential(
      (1): Conv1d(4, 2, kernel_size=(3,), stride=(1,))
    )
    >>> named = nn.Sequential(OrderedDict([("encode", nn.Conv1d(1, 2, 1))]))
    >>> list(named.state_dict())
    ['encode.weight', 'encode.bias']
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self._add("Sequential", name, module)
        else:
            for i, module in enumerate(args):
                self._add("Sequential", str(i), module)

    def _add(self, method, name, module):
        if not isinstance(module, Module):
            raise TypeError(f"{method}: every member must be a Module; got "
                            f"{type(module).__name__} for {name!r}")
        self.add_module(name, module)

    def forward(self, input_):
        """Apply every layer in order to ``input_``."""
        for module in self._modules.values():
            input_ = module(input_)
        return input_

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(self, idx, "__getitem__")]

    def __setitem__(self, idx, module):
        key = list(self._modules)[_index(self, idx, "__setitem__")]
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.__setitem__: the value must be a Module; got "
                            f"{type(module).__name__}")
        self._modules[key] = module

    def __delitem__(self, idx):
        _delete(self, self._modules, idx)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end (named by its position); return self.

        Examples
        --------
        >>> from lucid import nn
        >>> len(nn.Sequential().append(nn.Conv1d(1, 1, 1)))
        1
        """
        self._add("Sequential.append", str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of ``modules``; return self.

        Examples
        --------
        >>> from lucid import nn
        >>> len(nn.Sequential().extend([nn.Conv1d(1, 1, 1), nn.Conv1d(1, 1, 1)]))
        2
        """
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``; the members are renumbered.

        Examples
        --------
        >>> from lucid import nn
        >>> model = nn.Sequential(nn.Conv1d(1, 1, 1))
        >>> _ = model.insert(0, nn.Conv1d(1, 1, 3))
        >>> model[0].kernel_size
        (3,)
        """
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: module must be a Module; got {type(module).__name__}")
        _insert(self, "insert", self._modules, index, module)
        return self


class ModuleList(Module):
    r"""A list of sub-modules that the parent module sees (parameters, state dict, modes).

    Behaves as a Python list: ``len``, iteration, indexing (a slice gives a new
    ModuleList), ``append``, ``extend``, ``insert``, ``pop``, ``+=``. It has no
    ``forward``: the parent decides how to use its members, e.g.
    :math:`x \leftarrow f_i(x)` in a loop.

    Backward: through whatever the parent computes with the members.

    Parameters
    ----------
    modules : iterable of Module, optional

    Raises
    ------
    TypeError
        A member that is not a Module.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> class Stack(nn.Module):
    ...     def __init__(self, depth):
    ...         super().__init__()
    ...         self.layers = nn.ModuleList(nn.Conv1d(2, 2, 3, padding=1) for _ in range(depth))
    ...     def forward(self, x):
    ...         for layer in self.layers:
    ...             x = layer(x)
    ...         return x
    >>> stack = Stack(3)
    >>> stack(lucid.random.randn(1, 2, 5)).shape
    (1, 2, 5)
    >>> [name for name, _ in stack.named_parameters()][:3]
    ['layers.0.weight', 'layers.0.bias', 'layers.1.weight']
    >>> stack.layers
    ModuleList(
      (0-2): 3 x Conv1d(2, 2, kernel_size=(3,), stride=(1,), padding=(1,))
    )
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _check(self, method, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList.{method}: members must be Modules; got {type(module).__name__}")

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(self, idx, "__getitem__"))]

    def __setitem__(self, idx, module):
        self._check("__setitem__", module)
        self._modules[str(_index(self, idx, "__setitem__"))] = module

    def __delitem__(self, idx):
        _delete(self, self._modules, idx)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return type(self)(list(self) + list(other))

    def append(self, module):
        """Add ``module`` at the end; return self.

        Examples
        --------
        >>> from lucid import nn
        >>> len(nn.ModuleList().append(nn.Conv1d(1, 1, 1)))
        1
        """
        self._check("append", module)
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of ``modules``; return self.

        Examples
        --------
        >>> from lucid import nn
        >>> len(nn.ModuleList().extend([nn.Conv1d(1, 1, 1)] * 2))
        2
        """
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError("ModuleList.extend: expected an iterable of Modules; got a single "
                            f"{type(modules).__name__} (use append)")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``; the members are renumbered.

        Examples
        --------
        >>> from lucid import nn
        >>> layers = nn.ModuleList([nn.Conv1d(1, 1, 1)])
        >>> layers.insert(0, nn.Conv1d(1, 1, 5))
        >>> layers[0].kernel_size, len(layers)
        ((5,), 2)
        """
        self._check("insert", module)
        _insert(self, "insert", self._modules, index, module)

    def pop(self, index=-1):
        """Remove and return the module at ``index`` (default the last).

        Examples
        --------
        >>> from lucid import nn
        >>> layers = nn.ModuleList([nn.Conv1d(1, 1, 1), nn.Conv1d(1, 1, 3)])
        >>> layers.pop().kernel_size, len(layers)
        ((3,), 1)
        """
        module = self[index]
        del self[index]
        return module

    def __repr__(self):
        reprs = [repr(m) for m in self]
        if not reprs:
            return type(self).__name__ + "()"
        runs = []                                    # [first index, last index, repr]
        for i, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = []
        for first, last, text in runs:
            line = (f"({first}): {text}" if first == last
                    else f"({first}-{last}): {last - first + 1} x {text}")
            lines.append(line.replace("\n", "\n  "))
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    r"""A dict of sub-modules (keys are their names) that the parent module sees.

    Behaves as a Python dict: ``d[key]``, ``d[key] = module``, ``del d[key]``,
    ``len``, ``in``, iteration over the keys, ``keys``, ``values``, ``items``,
    ``update``, ``pop``, ``clear``. Keys keep their insertion order. It has no
    ``forward``.

    Backward: through whatever the parent computes with the members.

    Parameters
    ----------
    modules : mapping or iterable of (str, Module) pairs, optional

    Raises
    ------
    TypeError
        A value that is not a Module, or a key that is not a str.
    ValueError
        A key with a dot, or one that names a method (``'keys'``, ``'forward'``...).

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> heads = nn.ModuleDict({"small": nn.Conv1d(4, 1, 1), "wide": nn.Conv1d(4, 1, 5, padding=2)})
    >>> list(heads)
    ['small', 'wide']
    >>> heads["wide"](lucid.random.randn(2, 4, 7)).shape
    (2, 1, 7)
    >>> "small" in heads, len(heads)
    (True, 2)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        _check_key(self, self._modules, "module", key)
        return self._modules[key]

    def __setitem__(self, key, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: the value for {key!r} must be a Module; "
                            f"got {type(module).__name__}")
        self.add_module(key, module)

    def __delitem__(self, key):
        _check_key(self, self._modules, "module", key)
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        """The keys, in insertion order."""
        return self._modules.keys()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self):
        """``(key, module)`` pairs, in insertion order."""
        return self._modules.items()

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def pop(self, key):
        """Remove the module under ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def update(self, modules):
        """Add (or replace) the modules of a mapping or of ``(key, module)`` pairs.

        Examples
        --------
        >>> from lucid import nn
        >>> d = nn.ModuleDict()
        >>> d.update([("a", nn.Conv1d(1, 1, 1))])
        >>> list(d.keys())
        ['a']
        """
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for pair in pairs:
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError("ModuleDict.update: expected a mapping or (key, Module) pairs; "
                                f"got an element {pair!r:.60}")
            self[pair[0]] = pair[1]


class ParameterList(Module):
    r"""A list of Parameters that the parent module sees (``parameters()``, state dict).

    A Tensor that is not a Parameter is made into one (its values copied, as
    :class:`~lucid.nn.Parameter` does). Behaves as a list: ``len``, iteration,
    indexing, assignment, ``append``, ``extend``.

    Backward: each member accumulates :math:`\partial L / \partial p_i` into its ``.grad``.

    Parameters
    ----------
    values : iterable of Tensor, optional
        PyTorch's name; the original lucid's ``parameters=`` works too.

    Raises
    ------
    TypeError
        A member that is not a Tensor.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> class Mix(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.weights = nn.ParameterList([nn.Parameter([1.0, 2.0]), lucid.ones(2)])
    >>> m = Mix()
    >>> [name for name, _ in m.named_parameters()]
    ['weights.0', 'weights.1']
    >>> m.weights
    ParameterList(
      (0): Parameter containing: [float32 of size 2]
      (1): Parameter containing: [float32 of size 2]
    )
    """

    @renamed(parameters="values")
    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    @staticmethod
    def _as_parameter(method, value):
        if isinstance(value, Parameter):
            return value
        if isinstance(value, Tensor):
            return Parameter(value)
        raise TypeError(f"ParameterList.{method}: members must be Tensors (made Parameters); "
                        f"got {type(value).__name__}")

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._parameters.values())[idx])
        return self._parameters[str(_index(self, idx, "__getitem__"))]

    def __setitem__(self, idx, value):
        key = str(_index(self, idx, "__setitem__"))
        self._parameters[key] = self._as_parameter("__setitem__", value)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value):
        """Add ``value`` (made a Parameter if it is a plain Tensor) at the end; return self.

        Examples
        --------
        >>> from lucid import nn
        >>> len(nn.ParameterList().append(nn.Parameter([0.0])))
        1
        """
        self.register_parameter(str(len(self)), self._as_parameter("append", value))
        return self

    def extend(self, values):
        """Append every element of ``values``; return self.

        Examples
        --------
        >>> from lucid import nn
        >>> len(nn.ParameterList().extend([nn.Parameter([0.0]), nn.Parameter([1.0])]))
        2
        """
        if isinstance(values, Tensor):
            raise TypeError("ParameterList.extend: expected an iterable of Tensors; got a single "
                            "Tensor (use append)")
        for value in values:
            self.append(value)
        return self

    def __repr__(self):
        return _parameters_repr(self, enumerate(self))


class ParameterDict(Module):
    r"""A dict of Parameters (keys are their names) that the parent module sees.

    A Tensor that is not a Parameter is made into one. Behaves as a dict:
    ``d[key]``, assignment, ``del``, ``len``, ``in``, iteration over the keys,
    ``keys``, ``values``, ``items``, ``update``, ``pop``.

    Backward: each member accumulates :math:`\partial L / \partial p_k` into its ``.grad``.

    Parameters
    ----------
    parameters : mapping or iterable of (str, Tensor) pairs, optional

    Raises
    ------
    TypeError
        A value that is not a Tensor, or a key that is not a str.
    ValueError
        A key with a dot, or one that names a method.

    Examples
    --------
    >>> from lucid import nn
    >>> scales = nn.ParameterDict({"gamma": nn.Parameter([1.0]), "beta": nn.Parameter([0.0])})
    >>> list(scales), scales["gamma"].requires_grad      # a plain dict is sorted, as PyTorch
    (['beta', 'gamma'], True)
    >>> scales
    ParameterDict(
      (beta): Parameter containing: [float32 of size 1]
      (gamma): Parameter containing: [float32 of size 1]
    )
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        _check_key(self, self._parameters, "parameter", key)
        return self._parameters[key]

    def __setitem__(self, key, value):
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        if not isinstance(value, Parameter):
            raise TypeError(f"ParameterDict: the value for {key!r} must be a Tensor (made a "
                            f"Parameter); got {type(value).__name__}")
        self.register_parameter(key, value)

    def __delitem__(self, key):
        _check_key(self, self._parameters, "parameter", key)
        del self._parameters[key]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        """The keys, in insertion order."""
        return self._parameters.keys()

    def values(self):
        """The parameters, in insertion order."""
        return self._parameters.values()

    def items(self):
        """``(key, parameter)`` pairs, in insertion order."""
        return self._parameters.items()

    def pop(self, key):
        """Remove the parameter under ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def update(self, parameters):
        """Add (or replace) the parameters of a mapping or of ``(key, Tensor)`` pairs.

        As in PyTorch, the members of a plain ``dict`` are added in sorted key order;
        those of an OrderedDict, a ParameterDict or a sequence of pairs in their order.

        Examples
        --------
        >>> from lucid import nn
        >>> d = nn.ParameterDict()
        >>> d.update({"w": nn.Parameter([1.0])})
        >>> list(d.keys())
        ['w']
        """
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = parameters.items()
        elif isinstance(parameters, Mapping):      # a plain dict: sorted by key, as PyTorch
            pairs = sorted(parameters.items())
        else:
            pairs = parameters
        for pair in pairs:
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError("ParameterDict.update: expected a mapping or (key, Tensor) pairs; "
                                f"got an element {pair!r:.60}")
            self[pair[0]] = pair[1]

    def __repr__(self):
        return _parameters_repr(self, self.items())
