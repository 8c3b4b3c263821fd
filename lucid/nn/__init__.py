"""Neural networks: :class:`Module`, :class:`Parameter`, layers, ``functional`` and ``init``."""
from lucid.nn import functional, init, modules, utils
from lucid.nn.module import Module, auto_repr
from lucid.nn.containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from lucid.nn.modules import *  # noqa: F401,F403
from lucid.nn.parameter import Buffer, Parameter
from lucid.nn._shape_only import is_shape_only, shape_only

__all__ = ["Module", "auto_repr", "Parameter", "Buffer", "Sequential", "ModuleList", "ModuleDict",
           "ParameterList", "ParameterDict", "functional", "init", "utils", "shape_only",
           "is_shape_only", *modules.__all__]
