"""Reverse-mode automatic differentiation: Function, the engine, grad mode, gradcheck."""
from lucid.autograd.draw import draw
from lucid.autograd.function import Function
from lucid.autograd.grad_mode import (enable_grad, grad_enabled, inference_mode, no_grad,
                                       set_grad_enabled)
from lucid.autograd.gradcheck import GradcheckError, gradcheck

__all__ = ["Function", "no_grad", "enable_grad", "grad_enabled", "set_grad_enabled",
           "inference_mode",
           "gradcheck", "GradcheckError", "draw"]
