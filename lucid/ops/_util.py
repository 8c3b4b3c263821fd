"""Small helpers every op module shares: operands as Tensors, broadcast errors, leaves,
shared docstring sections. Argument checks live in :mod:`lucid._checks`."""
import inspect

import numpy as np

from lucid import _ext
from lucid._tensor import Tensor
from lucid.autograd.function import Function

__all__ = ["DataMovement", "as_tensor", "broadcast_error", "column_sums", "leaf",
           "product_plus_bias", "shared_doc"]


def as_tensor(x):
    """Return ``x`` as a Tensor; Python numbers take the dtype rules of ``Tensor``."""
    if isinstance(x, Tensor):
        return x
    return Tensor(x)


def broadcast_error(name, a, b):
    """The ValueError for operands whose shapes do not broadcast."""
    sa = np.shape(a.data if isinstance(a, Tensor) else a)
    sb = np.shape(b.data if isinstance(b, Tensor) else b)
    return ValueError(f"{name}: shapes {sa} and {sb} cannot be broadcast together")


def product_plus_bias(a, b, bias):
    """``a @ b + bias`` for matrices ``a`` ``(n, in)`` and ``b`` ``(in, out)`` (a layer's
    ``x W^T``, ``b`` the transposed view ``w.T``) and ``bias`` ``(out,)`` or None: the
    ``matmul`` kernel's product, then the bias added to every row. Where the active twin
    has the private ``_matmul_biased`` (the compiled one) and the bias has ``a``'s dtype,
    the bias is added inside that kernel (on the threads, the same bits as ``+=``);
    elsewhere by NumPy's ``+=`` after the product."""
    kernels = _ext.get("matmul")
    biased = getattr(kernels, "_matmul_biased", None)
    if bias is not None and biased is not None and bias.dtype == a.dtype:
        return biased(a, b, np.ascontiguousarray(bias))
    y = kernels.matmul(a, b)
    if bias is not None:
        y += bias
    return y


def column_sums(g):
    """``g.sum(axis=0)`` of a gradient matrix ``g`` ``(n, out)``: a layer's bias gradient,
    :math:`\\partial L/\\partial b_j = \\sum_i G_{ij}`. Where the active ``matmul`` twin has
    the private ``_column_sums`` (the compiled one: NumPy's bits, its columns shared among
    the threads, 2x NumPy's speed on a language model's decoder) it sums; elsewhere
    NumPy does."""
    fast = getattr(_ext.get("matmul"), "_column_sums", None)
    return g.sum(axis=0) if fast is None else fast(g)


def leaf(array, name, requires_grad=False, keep_grad=False):
    """Wrap a freshly made ``array`` (not copied) in a leaf Tensor (any dtype may
    require grad, as in the original lucid: an integer tensor's gradient is floating)."""
    t = Tensor._wrap(array)
    t.requires_grad = bool(requires_grad)
    t.keep_grad = bool(keep_grad)
    return t


def shared_doc(sections):
    """Decorator: insert the shared Parameters / Returns / Raises ``sections`` before Examples.

    For a family of functions whose argument docs are word for word the same; each
    function's own docstring keeps only what is particular to it (maths, backward,
    examples) and must have an ``Examples`` section.
    """
    def attach(fn):
        doc = inspect.cleandoc(fn.__doc__)
        head, examples = doc.split("\nExamples\n", 1)
        fn.__doc__ = head.rstrip() + "\n" + sections + "\nExamples\n" + examples
        return fn
    return attach


class DataMovement(Function):
    """Base of ops that only move or select values (reshape, transpose, indexing...).

    They do no arithmetic, so inside ``lucid.count_flops()`` they count 0 operations.
    """

    @staticmethod
    def flops(ctx, out, *inputs, **params):
        return 0

