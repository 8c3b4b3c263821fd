"""Neural networks: :class:`Module`, :class:`Parameter`, layers, ``functional`` and ``init``."""
from lucid.nn import functional, init, modules
from lucid.nn.module import Module
from lucid.nn.containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from lucid.nn.modules import *  # noqa: F401,F403
from lucid.nn.parameter import Buffer, Parameter
from lucid.nn._shape_only import is_shape_only, shape_only

__all__ = ["Module", "Parameter", "Buffer", "Sequential", "ModuleList", "ModuleDict",
           "ParameterList", "ParameterDict", "functional", "init", "shape_only", "is_shape_only",
           *modules.__all__]
