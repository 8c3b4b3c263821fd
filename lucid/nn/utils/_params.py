"""The ``parameters`` argument of :mod:`lucid.nn.utils`: one Tensor or an iterable of them."""
from lucid._tensor import Tensor

__all__ = ["tensor_list"]


def tensor_list(parameters, fname):
    """``parameters`` (a Tensor, or an iterable of Tensors such as ``model.parameters()``)
    as a list of Tensors, read once (a generator is consumed here)."""
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        items = list(parameters)
    except TypeError:
        raise TypeError(f"{fname}: parameters must be a Tensor or an iterable of Tensors "
                        f"(such as model.parameters()); got {type(parameters).__name__}") from None
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(f"{fname}: parameters must hold Tensors only; item {i} is a "
                            f"{type(item).__name__}")
    return items
