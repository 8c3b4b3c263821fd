r"""``Module``: the base class of every layer and model.

A Module holds three kinds of named members, each in its own ordered registry:

* ``_parameters`` — :class:`~lucid.nn.Parameter` s (learned; what ``parameters()``
  yields and an optimiser updates);
* ``_buffers`` — state that is not learned (:class:`~lucid.nn.Buffer`, or any Tensor
  given to :meth:`Module.register_buffer`), such as BatchNorm's running mean;
* ``_modules`` — sub-Modules.

Assigning a Parameter, Buffer or Module as an attribute registers it (in the order of
assignment), so ``parameters()``, ``state_dict()``, ``train()`` / ``eval()`` and
``zero_grad()`` reach every one of them recursively. Names are *dotted paths*:
``encoder.0.weight`` is the ``weight`` of the sub-module ``0`` of ``encoder``.

Each registry is a :class:`~lucid.nn._members.Members`, which keeps every entry as an
attribute of the module too (in its ``__dict__``), so ``self.weight`` in a ``forward``
is a plain attribute read rather than a miss followed by ``__getattr__``; the
registry is where members are written, the attribute follows it.

Calling a module (``module(x)``) runs its forward pre-hooks, ``forward``, its forward
hooks, and arranges for its backward hooks (see :meth:`Module.register_backward_hook`).
"""
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from lucid._checks import check_device, device_or_dtype
from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.autograd.grad_mode import state as _grad_state
from lucid.autograd.inplace import note_write
from lucid.nn._members import Members
from lucid.nn._shape_only import is_shape_only as _is_shape_only
from lucid.nn.parameter import Buffer, Parameter

__all__ = ["Module", "RemovableHandle", "IncompatibleKeys", "auto_repr"]

#: the registries of a module's members, in the order ``__getattr__`` searches them
_REGISTRIES = ("_parameters", "_buffers", "_modules")


# ----------------------------------------------------------------------------- helpers
class RemovableHandle:
    """What ``register_*_hook`` returns: ``handle.remove()`` unregisters the hook.

    Also a context manager (the hook is removed on leaving the ``with`` block), and
    callable (``handle()`` removes, as the original lucid's returned callable did).

    Examples
    --------
    >>> from lucid import nn
    >>> m = nn.Conv1d(1, 1, 1)
    >>> handle = m.register_forward_hook(lambda module, args, out: None)
    >>> len(m._forward_hooks)
    1
    >>> handle.remove()
    >>> len(m._forward_hooks)
    0
    """

    _next_id = 0

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        """Unregister the hook (doing it twice is harmless)."""
        self._hooks.pop(self.id, None)

    __call__ = remove

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What :meth:`Module.load_state_dict` returns: ``(missing_keys, unexpected_keys)``."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


def _addindent(text, spaces):
    """Indent every line of ``text`` but the first by ``spaces`` (PyTorch's repr layout)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _snapshot(tensor):
    """A state-dict entry: a plain Tensor holding a copy of ``tensor``'s values."""
    return Tensor._wrap(tensor.data.copy())


def _checkpoint_array(value, key):
    """A state-dict value (lucid Tensor, ndarray, number, or another framework's tensor)
    as an ndarray; TypeError naming ``key`` if it holds no numbers."""
    if isinstance(value, Tensor):
        return value.data
    if not isinstance(value, np.ndarray) and hasattr(value, "detach"):
        value = value.detach()           # e.g. a torch tensor that requires grad
        value = value.cpu() if hasattr(value, "cpu") else value
    try:
        array = np.asarray(value)
    except Exception:                    # noqa: BLE001 - reported below with the key
        array = None
    if array is None or array.dtype.kind not in "biufc":
        raise TypeError(
            f"load_state_dict: the value of {key!r} must be a Tensor or an array of numbers; "
            f"got {type(value).__name__}"
        )
    return array


# ------------------------------------------------------------------- backward hooks
class _ModuleInputGrad(Function):
    """Identity on one input of a hooked module; its backward sees ``dL/d(input)``."""

    @staticmethod
    def forward(ctx, x, state=None, index=0):
        ctx.state, ctx.index = state, index
        return x

    @staticmethod
    def backward(ctx, grad):
        return ctx.state.input_ready(ctx.index, grad)

    @staticmethod
    def flops(ctx, out, *inputs):
        return 0


class _ModuleOutputGrad(Function):
    """Identity on one output of a hooked module; its backward sees ``dL/d(output)``."""

    @staticmethod
    def forward(ctx, y, state=None, index=0):
        ctx.state, ctx.index = state, index
        return y

    @staticmethod
    def backward(ctx, grad):
        ctx.state.output_ready(ctx.index, grad)
        return grad

    @staticmethod
    def flops(ctx, out, *inputs):
        return 0


class _BackwardHookCall:
    """The bookkeeping of one call of a module that has backward hooks.

    The engine runs a node once all of its gradient has arrived, and the nodes of a
    module's outputs before those of its inputs. So: each output's identity node
    records ``grad_output[j]``; each input's identity node records ``grad_input[i]``,
    and the last input node to run (of those the outputs depend on, found when the
    forward ends) calls the hooks. With no input to wait for, the last output node
    calls them, with ``grad_input`` all None.
    """

    def __init__(self, module, n_args):
        self.module = module
        self.n_args = n_args
        self.grad_input = [None] * n_args
        self.expected_inputs = set()
        self.arrived_inputs = set()
        self.grad_output = []
        self.expected_outputs = 0
        self.arrived_outputs = 0

    def wrap_inputs(self, args):
        return tuple(_ModuleInputGrad.apply(a, state=self, index=i)
                     if isinstance(a, Tensor) and a.requires_grad else a
                     for i, a in enumerate(args))

    def wrap_outputs(self, output):
        """Put an identity node after each Tensor output; find the inputs they depend on."""
        single = isinstance(output, Tensor)
        if not single and not isinstance(output, (tuple, list)):
            return output                                     # no tensors to watch
        items = [output] if single else list(output)
        tensors = [i for i, item in enumerate(items) if isinstance(item, Tensor)]
        self.grad_output = [None] * len(tensors)
        self.expected_inputs = self._inputs_reached_from(
            [items[i] for i in tensors if items[i].requires_grad])
        for j, i in enumerate(tensors):
            if items[i].requires_grad:
                items[i] = _ModuleOutputGrad.apply(items[i], state=self, index=j)
                self.expected_outputs += 1
        if single:
            return items[0]
        return type(output)(items)

    def _inputs_reached_from(self, outputs):
        """Indices of this call's input nodes that the graph of ``outputs`` reaches."""
        found, seen = set(), set()
        stack = [t._node for t in outputs if t._node is not None]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if type(node) is _ModuleInputGrad and node.__dict__.get("state") is self:
                found.add(node.index)
                continue
            for parent in node.parents or ():
                if parent is not None and parent._node is not None:
                    stack.append(parent._node)
        return found

    def output_ready(self, index, grad):
        self.grad_output[index] = grad
        self.arrived_outputs += 1
        if not self.expected_inputs and self.arrived_outputs == self.expected_outputs:
            self._fire()

    def input_ready(self, index, grad):
        self.grad_input[index] = grad
        self.arrived_inputs.add(index)
        if self.arrived_inputs >= self.expected_inputs:
            replaced = self._fire()
            if replaced is not None:
                return replaced[index]
        return grad

    def _fire(self):
        """Call every backward hook; reset for a later backward (``retain_graph``)."""
        module = self.module
        grad_input, grad_output = tuple(self.grad_input), tuple(self.grad_output)
        replaced = None
        for hook in list(module._backward_hooks.values()):
            result = hook(module, grad_input, grad_output)
            if result is None:
                continue
            result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
            if len(self.expected_inputs) > 1 or len(result) != self.n_args:
                raise RuntimeError(
                    f"{type(module).__name__} backward hook: a hook may return a replacement "
                    f"grad_input (a tuple of {self.n_args}) only when one input tensor receives "
                    f"a gradient; here {len(self.expected_inputs)} do and it returned "
                    f"{len(result)} values. Use Tensor.register_hook to change gradients."
                )
            grad_input = tuple(None if g is None else np.asarray(g) for g in result)
            replaced = grad_input
        self.grad_input = [None] * self.n_args
        self.arrived_inputs = set()
        self.grad_output = [None] * len(self.grad_output)
        self.arrived_outputs = 0
        return replaced


# ---------------------------------------------------------------------------- Module
class Module:
    r"""Base class of layers and models: holds Parameters, Buffers and sub-Modules.

    A subclass calls ``super().__init__()`` first, assigns its members as attributes,
    and computes in ``forward``; calling the module calls ``forward`` (through the
    hooks). A module is a function :math:`y = f_\theta(x)` of its input and of its
    parameters :math:`\theta` (those of its sub-modules included).

    Backward: a module has no backward of its own: ``forward`` is made of
    differentiable operations, so ``loss.backward()`` fills
    :math:`\partial L / \partial \theta` into every ``parameter.grad``.

    Attributes
    ----------
    training : bool
        True in training mode (the default), False after :meth:`eval`. Layers such
        as dropout and batch norm behave differently in the two modes.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> class Scale(nn.Module):
    ...     def __init__(self, n):
    ...         super().__init__()
    ...         self.weight = nn.Parameter([1.0] * n)
    ...     def forward(self, x):
    ...         return x * self.weight
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.first = Scale(2)
    ...         self.second = Scale(2)
    ...         self.steps = nn.Buffer([0])
    ...     def forward(self, x):
    ...         return self.second(self.first(x))
    >>> net = Net()
    >>> [name for name, _ in net.named_parameters()]
    ['first.weight', 'second.weight']
    >>> list(net.state_dict())
    ['steps', 'first.weight', 'second.weight']
    >>> net.count_parameters()
    4
    >>> net
    Net(
      (first): Scale()
      (second): Scale()
    )
    >>> net.eval().training, net.first.training
    (False, False)
    >>> print(net(lucid.Tensor([3.0, 4.0])))
    Tensor([3.0, 4.0], grad_fn=Multiply)
    """

    def __init__(self):
        init = object.__setattr__
        for registry in _REGISTRIES:
            self._set_registry(registry, ())
        init(self, "_non_persistent_buffers", set())
        init(self, "_forward_pre_hooks", OrderedDict())
        init(self, "_forward_hooks", OrderedDict())
        init(self, "_backward_hooks", OrderedDict())
        init(self, "training", True)

    # ------------------------------------------------------------ registration
    def _check_name(self, method, name, kind):
        """The rules a member name obeys; ValueError / TypeError naming ``method``."""
        cls = type(self).__name__
        if not isinstance(name, str):
            raise TypeError(f"{cls}.{method}: the {kind} name must be a str; got {type(name).__name__}")
        if name == "" or "." in name:
            raise ValueError(
                f"{cls}.{method}: the {kind} name must be non-empty and contain no '.' "
                f"(dots separate the parts of state-dict names); got {name!r}"
            )
        if hasattr(type(self), name):
            raise ValueError(
                f"{cls}.{method}: cannot register a {kind} named {name!r}: {cls} already has a "
                f"class attribute or method of that name, which would hide it"
            )
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{cls}: call super().__init__() before assigning attributes")

    def _check_free(self, method, name, kind, registry):
        """``name`` must not already be a member of another kind or a plain attribute."""
        if name in registry:
            return
        others = (("parameter", self._parameters), ("buffer", self._buffers),
                  ("sub-module", self._modules))
        for other_kind, other in others:
            if name in other:
                raise ValueError(
                    f"{type(self).__name__}.{method}: {name!r} is already a {other_kind}; "
                    f"delete it first (del module.{name}) to register a {kind} under that name"
                )
        if name in self.__dict__:
            raise ValueError(
                f"{type(self).__name__}.{method}: {name!r} is already a plain attribute; "
                f"delete it first (del module.{name}) to register a {kind} under that name"
            )

    def register_parameter(self, name, param):
        r"""Register ``param`` (a Parameter, or None for an absent one) under ``name``.

        The same as ``self.<name> = param``, except that a name already taken by a
        buffer, a sub-module or a plain attribute is an error (assignment replaces).

        .. math:: \theta \leftarrow \theta \cup \{\texttt{name}: \texttt{param}\}

        Backward: none (registration only).

        Parameters
        ----------
        name : str
            Non-empty, without dots, not a method or attribute of the class.
        param : Parameter or None
            None keeps the name (e.g. ``bias=False`` layers) but yields nothing.

        Raises
        ------
        TypeError
            ``param`` is not a Parameter or None, or ``name`` not a str.
        ValueError
            ``name`` is empty, dotted, or already used for something else.

        Examples
        --------
        >>> from lucid import nn
        >>> m = nn.Module()
        >>> m.register_parameter("scale", nn.Parameter([2.0]))
        >>> m.register_parameter("shift", None)
        >>> [name for name, _ in m.named_parameters()], m.shift is None
        (['scale'], True)
        """
        self._check_name("register_parameter", name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter: param must be a Parameter or None; "
                f"got {type(param).__name__} (wrap a Tensor as nn.Parameter(t))"
            )
        self._check_free("register_parameter", name, "parameter", self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        r"""Register ``tensor`` as a buffer: state that is saved but not learned.

        A buffer appears in ``buffers()`` and, if ``persistent``, in ``state_dict()``;
        never in ``parameters()``. The Tensor is stored as it is (not copied); an
        ndarray is wrapped in a :class:`~lucid.nn.Buffer`.

        .. math:: \texttt{buffers} \leftarrow \texttt{buffers} \cup
                  \{\texttt{name}: \texttt{tensor}\}

        Backward: none (registration only).

        Parameters
        ----------
        name : str
            Non-empty, without dots, not a method or attribute of the class.
        tensor : Tensor, np.ndarray or None
        persistent : bool, default True
            Whether ``state_dict()`` includes it.

        Raises
        ------
        TypeError
            ``tensor`` is not a Tensor, ndarray or None; ``persistent`` not a bool.
        ValueError
            ``name`` is empty, dotted, or already used for something else.

        Examples
        --------
        >>> import lucid
        >>> from lucid import nn
        >>> m = nn.Module()
        >>> m.register_buffer("running_mean", lucid.zeros(3))
        >>> m.register_buffer("cache", lucid.zeros(2), persistent=False)
        >>> [name for name, _ in m.named_buffers()], list(m.state_dict())
        (['running_mean', 'cache'], ['running_mean'])
        """
        self._check_name("register_buffer", name, "buffer")
        if not isinstance(persistent, (bool, np.bool_)):
            raise TypeError(
                f"{type(self).__name__}.register_buffer: persistent must be True or False; "
                f"got {persistent!r}"
            )
        if isinstance(tensor, np.ndarray):
            tensor = Buffer(tensor)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"{type(self).__name__}.register_buffer: tensor must be a Tensor, an ndarray or "
                f"None; got {type(tensor).__name__}"
            )
        self._check_free("register_buffer", name, "buffer", self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        r"""Register ``module`` (or None) as a sub-module under ``name``.

        The same as ``self.<name> = module``, except that a name already taken by a
        parameter, a buffer or a plain attribute is an error.

        .. math:: \texttt{children} \leftarrow \texttt{children} \cup
                  \{\texttt{name}: \texttt{module}\}

        Backward: none (registration only).

        Parameters
        ----------
        name : str
            Non-empty, without dots, not a method or attribute of the class.
        module : Module or None

        Raises
        ------
        TypeError
            ``module`` is not a Module or None.
        ValueError
            ``name`` is empty, dotted, or already used for something else.

        Examples
        --------
        >>> from lucid import nn
        >>> block = nn.Module()
        >>> block.add_module("conv", nn.Conv2d(1, 2, 3))
        >>> block
        Module(
          (conv): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))
        )
        """
        self._check_name("add_module", name, "sub-module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.add_module: module must be a Module or None; "
                f"got {type(module).__name__}"
            )
        self._check_free("add_module", name, "sub-module", self._modules)
        self._modules[name] = module

    register_module = add_module

    def _set_registry(self, registry, entries):
        """Make ``registry`` (one of ``_REGISTRIES``) a :class:`Members` of ``entries``
        bound to this module's ``__dict__``; the attributes the registry it replaces
        kept go with it."""
        if not isinstance(entries, (Mapping, tuple, list)):
            raise TypeError(
                f"{type(self).__name__}: {registry} must be a mapping of names to members; "
                f"got {type(entries).__name__}"
            )
        entries = list(entries.items() if isinstance(entries, Mapping) else entries)
        attributes = self.__dict__
        old = attributes.get(registry)
        if isinstance(old, Members):
            old.clear()
        attributes[registry] = Members(attributes, entries, type(self))

    def __getstate__(self):
        """The ``__dict__`` without the attributes that mirror the registries (a
        pickle holds each member once, in its registry, as before ``Members``)."""
        state = self.__dict__.copy()
        for registry in _REGISTRIES:
            members = state.get(registry)
            if isinstance(members, Members):
                for name in members.attribute_names():
                    if state.get(name) is members[name]:
                        del state[name]
        return state

    def __setstate__(self, state):
        """Restore a pickled or copied module: its registries bound to its own
        ``__dict__`` (which gives back their attributes)."""
        state = dict(state)
        registries = [(r, state.pop(r)) for r in _REGISTRIES if r in state]
        self.__dict__.update(state)
        for registry, entries in registries:
            self._set_registry(registry, entries)

    def _forget(self, name):
        """Drop ``name`` from every registry and from the plain attributes."""
        self.__dict__.pop(name, None)
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers.discard(name)
        self._modules.pop(name, None)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        cls = type(self).__name__
        if isinstance(value, Parameter):
            self._forget(name)
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._forget(name)
            self.add_module(name, value)
        elif isinstance(value, Buffer):
            self._forget(name)
            self.register_buffer(name, value, persistent=value.persistent)
        elif name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"{cls}: cannot assign a {type(value).__name__} to parameter {name!r}: "
                    "assign a Parameter or None (or del it first)"
                )
            self._parameters[name] = None
        elif name in self._modules:
            if value is not None:
                raise TypeError(
                    f"{cls}: cannot assign a {type(value).__name__} to sub-module {name!r}: "
                    "assign a Module or None (or del it first)"
                )
            self._modules[name] = None
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"{cls}: cannot assign a {type(value).__name__} to buffer {name!r}: "
                    "assign a Tensor or None (or del it first)"
                )
            self._buffers[name] = value
        elif name in _REGISTRIES:
            self._set_registry(name, value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):  # called only when normal lookup fails
        d = self.__dict__           # (a member's attribute removed by hand: Members)
        for registry in _REGISTRIES:
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook, *, with_kwargs=False):
        r"""Call ``hook(module, args)`` before every ``forward``.

        The hook may return a replacement for ``args`` (a tuple; a single value is
        wrapped in one). With ``with_kwargs=True`` it is called as
        ``hook(module, args, kwargs)`` and may return ``(args, kwargs)``. Hooks run in
        the order they were registered.

        .. math:: y = f(h(x))

        Backward: none of its own; gradients flow through whatever the hook returns.

        Parameters
        ----------
        hook : callable
        with_kwargs : bool, default False

        Returns
        -------
        RemovableHandle
            ``handle.remove()`` unregisters the hook.

        Raises
        ------
        TypeError
            ``hook`` is not callable.

        Examples
        --------
        >>> import lucid
        >>> from lucid import nn
        >>> class Double(nn.Module):
        ...     def forward(self, x):
        ...         return x * 2.0
        >>> m = Double()
        >>> handle = m.register_forward_pre_hook(lambda module, args: args[0] + 1.0)
        >>> print(m(lucid.Tensor([1.0])))     # (1 + 1) * 2
        Tensor([4.0])
        >>> handle.remove()
        >>> print(m(lucid.Tensor([1.0])))
        Tensor([2.0])
        """
        return self._add_hook("register_forward_pre_hook", self._forward_pre_hooks, hook,
                              with_kwargs)

    def register_forward_hook(self, hook, *, with_kwargs=False):
        r"""Call ``hook(module, args, output)`` after every ``forward``.

        The hook may return a replacement for ``output``. With ``with_kwargs=True``
        it is called as ``hook(module, args, kwargs, output)``. Hooks run in the
        order they were registered, after ``forward`` (so, in a model, a sub-module's
        hooks run before its parent's).

        .. math:: y = h(f(x))

        Backward: none of its own; gradients flow through whatever the hook returns.

        Parameters
        ----------
        hook : callable
        with_kwargs : bool, default False

        Returns
        -------
        RemovableHandle

        Raises
        ------
        TypeError
            ``hook`` is not callable.

        Examples
        --------
        >>> import lucid
        >>> from lucid import nn
        >>> model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Conv1d(2, 1, 3))
        >>> shapes = []
        >>> for layer in model:
        ...     _ = layer.register_forward_hook(lambda m, args, out: shapes.append(out.shape))
        >>> _ = model(lucid.random.randn(1, 1, 8))
        >>> shapes
        [(1, 2, 6), (1, 1, 4)]
        """
        return self._add_hook("register_forward_hook", self._forward_hooks, hook, with_kwargs)

    def register_backward_hook(self, hook):
        r"""Call ``hook(module, grad_input, grad_output)`` when gradients pass through.

        ``grad_output`` holds :math:`\partial L / \partial y_j` for each Tensor output
        :math:`y_j` (one entry for a single output; None for an output that requires
        no grad), and ``grad_input`` holds :math:`\partial L / \partial x_i` for each
        positional argument :math:`x_i` of the call (None for arguments that are not
        Tensors requiring grad, and for inputs the outputs do not depend on). The
        gradients are ndarrays, as ``.grad`` is. Keyword arguments are not watched.
        This is PyTorch's *full* backward hook (``register_full_backward_hook`` is
        the same method here).

        The hook runs once per call of the module and per ``backward()``, after every
        input's gradient is complete. It may return a replacement ``grad_input``
        tuple when exactly one input receives a gradient (a layer's usual case);
        with several, returning anything but None raises RuntimeError (use
        ``Tensor.register_hook`` on an input to change its gradient instead).
        A call whose output requires no grad is not watched (as in PyTorch).

        Where lucid differs from PyTorch: (1) an input that does not require grad
        gets None, where PyTorch reports a gradient for it when another input
        requires grad; (2) when no input requires grad (e.g. the first layer), the
        hook is called as soon as the output's gradient is known, so before the
        hooks of the module's own sub-modules (PyTorch calls it after them); (3) for
        a module with several outputs of which the loss uses only some, the hook
        may not be called (it waits for gradients that never come).

        How: the call's inputs and outputs each pass through an identity node whose
        backward records the gradient it receives (the engine runs a node once all
        its gradient has arrived); the last input node to run calls the hooks.

        .. math:: \texttt{grad\_input}_i = \frac{\partial L}{\partial x_i}, \qquad
                  \texttt{grad\_output}_j = \frac{\partial L}{\partial y_j}

        Backward: this is a hook on the backward pass; it does not change it unless
        it returns a replacement.

        Parameters
        ----------
        hook : callable

        Returns
        -------
        RemovableHandle

        Raises
        ------
        TypeError
            ``hook`` is not callable.

        Examples
        --------
        >>> import lucid
        >>> from lucid import nn
        >>> class Square(nn.Module):
        ...     def forward(self, x):
        ...         return x * x
        >>> m = Square()
        >>> seen = []
        >>> _ = m.register_backward_hook(lambda mod, gin, gout: seen.append((gin, gout)))
        >>> x = lucid.Tensor([1.0, 3.0], requires_grad=True)
        >>> (m(x) * 10.0).sum().backward()
        >>> (grad_input,), (grad_output,) = seen[0]
        >>> grad_output, grad_input         # dL/dy = 10, dL/dx = 10 * 2x
        (array([10., 10.], dtype=float32), array([20., 60.], dtype=float32))
        """
        return self._add_hook("register_backward_hook", self._backward_hooks, hook, None)

    register_full_backward_hook = register_backward_hook

    def _add_hook(self, method, hooks, hook, with_kwargs):
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}.{method}: hook must be callable; got {hook!r}")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook if with_kwargs is None else (hook, bool(with_kwargs))
        return handle

    # ----------------------------------------------------------------- forward
    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it (call the module, not this)."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        """Pre-hooks, then forward, then forward hooks; backward hooks wrap inputs/outputs."""
        for hook, with_kwargs in list(self._forward_pre_hooks.values()):
            if with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2
                            and isinstance(result[1], dict)):
                        raise TypeError(
                            f"{type(self).__name__}: a forward pre-hook registered with_kwargs "
                            f"must return None or (args, kwargs); got {type(result).__name__}"
                        )
                    args, kwargs = result
                    args = args if isinstance(args, tuple) else (args,)
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        call = None
        if self._backward_hooks and _grad_state.enabled:
            call = _BackwardHookCall(self, len(args))
            args = call.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook, with_kwargs in list(self._forward_hooks.values()):
            result = hook(self, args, kwargs, output) if with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        if call is not None:
            output = call.wrap_outputs(output)
        return output

    # --------------------------------------------------------------- traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        r"""``(dotted name, module)`` for this module and every sub-module, depth first.

        This module comes first, named ``prefix``. A module reachable along two paths
        is yielded once (under its first name) unless ``remove_duplicate=False``.

        .. math:: \text{pre-order: } m, \; m.c_1, \; m.c_1.c_{11}, \dots, \; m.c_2, \dots

        Backward: none (traversal only).

        Parameters
        ----------
        memo : set, optional
            ids of modules already seen (shared between calls to skip them).
        prefix : str, default ''
        remove_duplicate : bool, default True

        Yields
        ------
        (str, Module)

        Examples
        --------
        >>> from lucid import nn
        >>> model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Sequential(nn.Conv1d(2, 2, 1)))
        >>> [name for name, _ in model.named_modules()]
        ['', '0', '1', '1.0']
        """
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m)
                        for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        """This module and every sub-module, each once (see :meth:`named_modules`).

        Yields
        ------
        Module

        Examples
        --------
        >>> from lucid import nn
        >>> [type(m).__name__ for m in nn.Sequential(nn.Conv1d(1, 1, 1)).modules()]
        ['Sequential', 'Conv1d']
        """
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """``(name, module)`` for the direct sub-modules, in registration order.

        Yields
        ------
        (str, Module)

        Examples
        --------
        >>> from lucid import nn
        >>> model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Sequential(nn.Conv1d(2, 2, 1)))
        >>> [name for name, _ in model.named_children()]
        ['0', '1']
        """
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """The direct sub-modules (see :meth:`named_children`).

        Yields
        ------
        Module

        Examples
        --------
        >>> from lucid import nn
        >>> len(list(nn.Sequential(nn.Conv1d(1, 1, 1), nn.Conv1d(1, 1, 1)).children()))
        2
        """
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        """``(dotted name, member)`` of one registry over this module (and sub-modules)."""
        memo = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_name, module in modules:
            for name, member in getattr(module, registry).items():
                if member is None or id(member) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        r"""``(dotted name, Parameter)`` for every parameter, in registration order.

        Each module's own parameters come before its sub-modules' (the order of
        :meth:`named_modules`). A parameter shared by two modules is yielded once,
        under its first name, unless ``remove_duplicate=False``.

        .. math:: \theta = \{\theta_{m} : m \in \texttt{modules()}\}

        Backward: none (traversal only).

        Parameters
        ----------
        prefix : str, default ''
            Prepended (with a dot) to every name.
        recurse : bool, default True
            False: this module's own parameters only.
        remove_duplicate : bool, default True

        Yields
        ------
        (str, Parameter)

        Examples
        --------
        >>> from lucid import nn
        >>> model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Conv1d(2, 1, 1, bias=False))
        >>> [name for name, _ in model.named_parameters()]
        ['0.weight', '0.bias', '1.weight']
        >>> [name for name, _ in model.named_parameters(prefix="net")]
        ['net.0.weight', 'net.0.bias', 'net.1.weight']
        """
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Every Parameter, each once: what an optimiser updates.

        Parameters
        ----------
        recurse : bool, default True
            False: this module's own parameters only.

        Yields
        ------
        Parameter

        Examples
        --------
        >>> from lucid import nn
        >>> [p.shape for p in nn.Conv1d(2, 4, 3).parameters()]
        [(4, 2, 3), (4,)]
        """
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """``(dotted name, buffer)`` for every buffer (persistent or not), in order.

        Parameters
        ----------
        prefix : str, default ''
        recurse : bool, default True
        remove_duplicate : bool, default True

        Yields
        ------
        (str, Tensor)

        Examples
        --------
        >>> from lucid import nn
        >>> outer = nn.Module()
        >>> outer.inner = nn.Module()
        >>> outer.inner.count = nn.Buffer([0])
        >>> [name for name, _ in outer.named_buffers()]
        ['inner.count']
        """
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Every buffer, each once (see :meth:`named_buffers`).

        Parameters
        ----------
        recurse : bool, default True

        Yields
        ------
        Tensor

        Examples
        --------
        >>> from lucid import nn
        >>> m = nn.Module()
        >>> m.mean = nn.Buffer([0.0, 0.0])
        >>> [b.shape for b in m.buffers()]
        [(2,)]
        """
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def count_parameters(self, recurse=True):
        r"""The number of scalar parameters: :math:`\sum_{p} \mathrm{size}(p)`.

        As the original lucid: every parameter counts, trainable or not
        (``requires_grad=False``); a shared parameter counts once; buffers do not.
        For trainable ones only:
        ``sum(p.size for p in m.parameters() if p.requires_grad)``.

        Parameters
        ----------
        recurse : bool, default True
            False: this module's own parameters only.

        Returns
        -------
        int

        Examples
        --------
        >>> from lucid import nn
        >>> nn.Conv2d(3, 8, kernel_size=3).count_parameters()     # 8*3*3*3 + 8
        224
        """
        return int(sum(p.size for p in self.parameters(recurse=recurse)))

    # ------------------------------------------------------------------- modes
    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode, recursively; return self.

        Parameters
        ----------
        mode : bool, default True

        Returns
        -------
        Module
            ``self``.

        Raises
        ------
        TypeError
            ``mode`` is not a bool.

        Examples
        --------
        >>> from lucid import nn
        >>> model = nn.Sequential(nn.Conv1d(1, 1, 1))
        >>> model.train(False)[0].training
        False
        """
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.train: mode must be True or False; got {mode!r}")
        object.__setattr__(self, "training", bool(mode))
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``; return self.

        Returns
        -------
        Module
            ``self``.

        Examples
        --------
        >>> from lucid import nn
        >>> nn.Conv1d(1, 1, 1).eval().training
        False
        """
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter (freeze with False); return self.

        Parameters
        ----------
        requires_grad : bool, default True

        Returns
        -------
        Module

        Examples
        --------
        >>> from lucid import nn
        >>> conv = nn.Conv1d(1, 1, 3).requires_grad_(False)
        >>> [p.requires_grad for p in conv.parameters()]
        [False, False]
        """
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(
                f"{type(self).__name__}.requires_grad_: requires_grad must be True or False; "
                f"got {requires_grad!r}"
            )
        for param in self.parameters():
            param.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (``.grad`` becomes None, as in PyTorch).

        Parameters
        ----------
        set_to_none : bool, default True
            False: fill existing ``.grad`` arrays with zeros instead.

        Examples
        --------
        >>> import numpy as np
        >>> from lucid import nn
        >>> conv = nn.Conv1d(1, 1, 3)
        >>> conv.weight.grad = np.ones((1, 1, 3), np.float32)
        >>> conv.zero_grad()
        >>> conv.weight.grad is None
        True
        """
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad[...] = 0

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module, then on this one; return self.

        The order is PyTorch's: children first (depth first), this module last. The
        usual use is custom initialisation.

        Parameters
        ----------
        fn : callable
            Called with each module; its result is ignored.

        Returns
        -------
        Module
            ``self``.

        Raises
        ------
        TypeError
            ``fn`` is not callable.

        Examples
        --------
        >>> from lucid import nn
        >>> def init_bias(m):
        ...     if isinstance(m, nn.Conv1d):
        ...         nn.init.constant(m.bias, 0.5)
        >>> model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Conv1d(2, 1, 3)).apply(init_bias)
        >>> print(model[0].bias)
        Parameter containing:
        Tensor([0.5, 0.5], requires_grad=True)
        """
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}.apply: fn must be callable; got {fn!r}")
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _cast(self, dtype):
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.data.dtype.kind == "f" and tensor.data.dtype != dtype:
                tensor.data = tensor.data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad = tensor.grad.astype(dtype)
        return self

    def double(self):
        """Cast every floating parameter and buffer to float64 in place; return self.

        The Parameter objects stay the same (an optimiser made before still holds
        them); integer buffers are left alone. Handy for ``gradcheck``.

        Returns
        -------
        Module

        Examples
        --------
        >>> from lucid import nn
        >>> nn.Conv1d(1, 1, 3).double().weight.dtype
        dtype('float64')
        """
        return self._cast(np.dtype(np.float64))

    def float(self):
        """Cast every floating parameter and buffer to float32 in place; return self.

        Returns
        -------
        Module

        Examples
        --------
        >>> from lucid import nn
        >>> nn.Conv1d(1, 1, 3).double().float().weight.dtype
        dtype('float32')
        """
        return self._cast(np.dtype(np.float32))

    def half(self):
        """Cast every floating parameter and buffer to float16 in place; return self.

        Returns
        -------
        Module

        Examples
        --------
        >>> from lucid import nn
        >>> nn.Linear(2, 1).half().weight.dtype
        dtype('float16')
        """
        return self._cast(np.dtype(np.float16))

    def cpu(self):
        """Return self: lucid computes on the CPU (PyTorch's ``model.cpu()``).

        Returns
        -------
        Module

        Examples
        --------
        >>> from lucid import nn
        >>> model = nn.Linear(2, 1)
        >>> model.cpu() is model
        True
        """
        return self

    def cuda(self, device=None):
        """Always an :class:`~lucid.UnknownDeviceError`: lucid has no GPU backend.

        Raises
        ------
        lucid.UnknownDeviceError
            Naming what is missing (a ValueError).

        Examples
        --------
        >>> import lucid
        >>> from lucid import nn
        >>> try:
        ...     nn.Linear(2, 1).cuda()
        ... except lucid.UnknownDeviceError as err:
        ...     print(str(err)[:44])
        Linear.cuda: device 'cuda' is not available:
        """
        check_device("cuda" if device is None else device, f"{type(self).__name__}.cuda")

    def to(self, target):
        """Cast floating parameters and buffers to a float dtype, or move to a device.

        lucid computes on the CPU only: ``to("cpu")`` returns self unchanged.

        Parameters
        ----------
        target : 'cpu' or a floating dtype

        Returns
        -------
        Module

        Raises
        ------
        lucid.UnknownDeviceError
            A device other than 'cpu' (a ValueError).
        TypeError
            A dtype that is not floating.

        Examples
        --------
        >>> import lucid
        >>> from lucid import nn
        >>> nn.Conv1d(1, 1, 3).to(lucid.Float64).bias.dtype
        dtype('float64')
        """
        dtype = device_or_dtype(target, f"{type(self).__name__}.to")
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: the dtype must be floating; got {dtype}")
        return self._cast(dtype)

    # -------------------------------------------------------------- state dict
    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        r"""A snapshot of the module's state: ``{dotted name: Tensor}``, in order.

        Holds every parameter and every persistent buffer, recursively: each
        module's parameters, then its buffers, then its sub-modules' entries (as
        PyTorch orders them). A member shared by two modules appears under both names.

        The values are **copies**: plain Tensors (``requires_grad=False``) that
        training does not change, so ``best = model.state_dict()`` keeps the best
        weights. PyTorch instead returns tensors sharing memory with the parameters
        (there one writes ``copy.deepcopy(model.state_dict())``). ``keep_vars=True``
        returns the Parameters and buffers themselves.

        .. math:: \texttt{state\_dict}[n] = \mathrm{copy}(\theta_n)

        Backward: none (the copies are cut from the graph).

        Parameters
        ----------
        destination : dict, optional
            Filled and returned (default: a new OrderedDict).
        prefix : str, default ''
            Prepended to every name (e.g. ``'encoder.'``).
        keep_vars : bool, default False

        Returns
        -------
        OrderedDict
            ``str -> Tensor``; :func:`lucid.save` writes it, :meth:`load_state_dict`
            reads it back.

        Examples
        --------
        >>> import lucid
        >>> from lucid import nn
        >>> model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Conv1d(2, 1, 1, bias=False))
        >>> state = model.state_dict()
        >>> {name: value.shape for name, value in state.items()}
        {'0.weight': (2, 1, 3), '0.bias': (2,), '1.weight': (1, 2, 1)}
        >>> state["0.bias"].requires_grad, state["0.bias"] is model[0].bias
        (False, False)
        """
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else _snapshot(param)
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else _snapshot(buffer)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=f"{prefix}{name}.",
                                  keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True):
        r"""Copy the values of ``state_dict`` into this module's parameters and buffers.

        Every entry is checked before anything is written, so on an error the module
        is unchanged. Values are written into the existing arrays (an optimiser
        holding the Parameters keeps working) and cast to their dtype. Values may be
        Tensors, ndarrays or (CPU) PyTorch tensors.

        .. math:: \theta_n \leftarrow \texttt{state\_dict}[n] \quad
                  \text{for every name } n \text{ in both}

        Backward: none (values are written in place; ``.grad`` is untouched).

        Parameters
        ----------
        state_dict : mapping
            ``{dotted name: values}``, as :meth:`state_dict` returns.
        strict : bool, default True
            Require the names to match exactly. With False, names missing on either
            side are skipped and reported in the result.

        Returns
        -------
        IncompatibleKeys
            A named tuple ``(missing_keys, unexpected_keys)``: names of the module
            absent from ``state_dict``, and names of ``state_dict`` the module lacks.

        Raises
        ------
        TypeError
            ``state_dict`` is not a mapping, or a value holds no numbers.
        ValueError
            One message listing every problem: with ``strict``, the missing and the
            unexpected keys; always, every key whose shape differs (its shape in the
            checkpoint and in the model).

        Examples
        --------
        >>> import lucid
        >>> from lucid import nn
        >>> make = lambda: nn.Sequential(nn.Conv1d(1, 2, 3), nn.Conv1d(2, 1, 1))
        >>> trained, fresh = make(), make()
        >>> fresh.load_state_dict(trained.state_dict())
        <All keys matched successfully>
        >>> bool((fresh[0].weight.data == trained[0].weight.data).all())
        True
        >>> fresh.load_state_dict({"0.bias": lucid.zeros(2)}, strict=False).missing_keys
        ['0.weight', '1.weight', '1.bias']
        >>> fresh.load_state_dict({"0.bias": lucid.zeros(3)}, strict=False)
        Traceback (most recent call last):
        ...
        ValueError: load_state_dict: the state dict does not fit Sequential:
          size mismatch for 0.bias: shape (3,) in the state dict, (2,) in the model
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict: state_dict must be a mapping of names to tensors (what "
                f"state_dict() returns); got {type(state_dict).__name__}"
            )
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        updates, mismatched = [], []
        for key, target in own.items():
            if key not in state_dict:
                continue
            array = _checkpoint_array(state_dict[key], key)
            if array.shape != target.data.shape:
                mismatched.append(f"size mismatch for {key}: shape {array.shape} in the state "
                                  f"dict, {target.data.shape} in the model")
            updates.append((target, array))
        problems = []
        if strict and missing:
            problems.append(f"missing keys (in the model, not in the state dict): {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys (in the state dict, not in the model): {unexpected}")
        problems += mismatched
        if problems:
            raise ValueError(f"load_state_dict: the state dict does not fit {type(self).__name__}:\n  "
                             + "\n  ".join(problems))
        for key, target in own.items():
            if key in state_dict and _is_shape_only(target):
                raise ValueError(f"load_state_dict: {key} is a shape-only placeholder (built "
                                 f"under nn.shape_only()); build the model outside that block "
                                 f"to load weights into it")
        for target, array in updates:
            np.copyto(target.data, array, casting="unsafe")
            note_write(target.data)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------- repr
    def extra_repr(self):
        """Text shown inside this module's parentheses by ``repr`` (subclasses override).

        Returns
        -------
        str
            '' by default; may span several lines.

        Examples
        --------
        >>> from lucid import nn
        >>> nn.Conv1d(1, 2, 3).extra_repr()
        '1, 2, kernel_size=(3,), stride=(1,)'
        """
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = type(self).__name__ + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"


def auto_repr(*attr_names):
    """Class decorator (the original lucid's): the module's ``repr`` shows the named
    attributes, ``Name(attr1=value1, attr2=value2)``.

    It writes :meth:`Module.extra_repr` for the class, so a homework layer prints its
    settings without writing one.

    Parameters
    ----------
    *attr_names : str
        Attribute names, shown in this order.

    Returns
    -------
    callable
        The decorator; it returns the class itself.

    Raises
    ------
    TypeError
        A name that is not a str, or decorating something that is not a Module class.

    Examples
    --------
    >>> from lucid import nn
    >>> @nn.auto_repr("width", "scale")
    ... class Scale(nn.Module):
    ...     def __init__(self, width, scale=2.0):
    ...         super().__init__()
    ...         self.width, self.scale = width, scale
    >>> Scale(3)
    Scale(width=3, scale=2.0)
    """
    for name in attr_names:
        if not isinstance(name, str):
            raise TypeError(f"auto_repr: attribute names must be str; got {name!r}")

    def extra_repr(self):
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in attr_names)

    def decorate(cls):
        if not (isinstance(cls, type) and issubclass(cls, Module)):
            raise TypeError(f"auto_repr: decorates a Module class; got {cls!r}")
        cls.extra_repr = extra_repr
        return cls

    return decorate
