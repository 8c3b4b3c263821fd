"""lucid: a deep-learning framework for teaching.

A NumPy :class:`Tensor` with reverse-mode autograd; every numeric kernel exists twice,
as a readable reference and a compiled twin (see :mod:`lucid.kernels`).
"""
from lucid import _blas_env  # noqa: F401  (first: a setting read when NumPy loads)
from lucid._allocator import tune_malloc as _tune_malloc

_tune_malloc()  # reuse freed large arrays: see lucid/_allocator.py

from lucid._tensor import Tensor  # noqa: E402
from lucid import error
from lucid.error import (BackwardError, DeviceMismatchError, IndexOutOfRangeError,
                         UnknownDeviceError)
from lucid import autograd
from lucid.autograd import enable_grad, grad_enabled, inference_mode, no_grad, set_grad_enabled
from lucid.autograd.flops import count_flops, flops_enabled
from lucid.profiler import profile
from lucid import _ext, kernels
from lucid.ops import *  # noqa: F401,F403
from lucid import ops
from lucid import random
from lucid.random import rand, randint, randn, randperm
from lucid.random import seed as manual_seed
from lucid._dtypes import (Complex, Complex64, Float, Float16, Float32, Float64, Int, Int8,
                           Int16, Int32, Int64)
from lucid._dtypes import TORCH_NAMES as _TORCH_DTYPES
from lucid import types
from lucid.serialization import load, save
from lucid import einops, linalg
from lucid import nn
from lucid import optim
from lucid import data, datasets, transforms
from lucid import models
from lucid import interop, onnx
from lucid.einops import einsum
from lucid.linalg._norm import tensor_norm as norm
from lucid.models import register_model
from lucid.nn.functional import log_softmax, softmax
from lucid._shape import shape

__version__ = "0.1.0"

newaxis = None
pi = 3.141592653589793
inf = float("inf")

__all__ = ["Tensor", "autograd", "no_grad", "enable_grad", "grad_enabled",
           "set_grad_enabled", "inference_mode", "count_flops", "flops_enabled", "profile",
           "kernels",
           "random", "linalg", "einops", "nn", "optim", "data", "datasets", "transforms",
           "models", "interop", "onnx", "newaxis", "pi", "inf",
           "Int", "Int8", "Int16", "Int32", "Int64", "Float", "Float16", "Float32", "Float64",
           "Complex", "Complex64", "save", "load", "error", "UnknownDeviceError",
           "IndexOutOfRangeError",
           "DeviceMismatchError", "BackwardError", "types", "shape", "register_model",
           "manual_seed", "rand", "randn", "randint", "randperm", "einsum", "norm",
           "softmax", "log_softmax", *ops.__all__,
           # PyTorch's dtype names, but not float / int / bool: `from lucid import *`
           # must not hide Python's own
           *(name for name in _TORCH_DTYPES if name not in ("float", "int", "bool"))]

globals().update(_TORCH_DTYPES)   # lucid.float32, lucid.long, lucid.float, ... (PyTorch's)
