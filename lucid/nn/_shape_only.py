"""``shape_only()``: Parameters and Buffers that keep their shape but not their values
(see the docstring of :func:`shape_only`)."""
import contextlib

import numpy as np

__all__ = ["shape_only", "is_shape_only"]

_depth = 0      # how many ``shape_only()`` blocks are open (they nest)


@contextlib.contextmanager
def shape_only():
    r"""Build models without their weights: new Parameters and Buffers are placeholders.

    A model's parameter count depends only on the shapes of its parameters, yet building
    a large model the ordinary way allocates and randomly fills every weight
    (ConvNeXt V2-Huge needs 2.6 GB of float32 just to be counted). PyTorch answers this
    with its ``meta`` device; lucid with this context. Inside ``with shape_only():``
    every :class:`~lucid.nn.Parameter` and :class:`~lucid.nn.Buffer` created keeps its
    shape and dtype but stores one zero broadcast to the full shape,

    .. math:: \texttt{p.data} = \texttt{np.broadcast\_to}(0, \texttt{shape}),
              \qquad \text{strides} = (0, \dots, 0),

    a read-only NumPy view that costs one element of memory whatever its size; the
    :mod:`lucid.nn.init` functions skip such placeholders (no random numbers are
    drawn). Blocks nest; tensors stay placeholders after the block ends.

    What works on a shape-only model: ``count_parameters()``, ``parameters()``,
    shapes, ``repr``, ``state_dict()`` (of placeholders) and a forward pass in
    evaluation mode (every weight reads as 0, so the output's values mean nothing but
    its shape and :func:`~lucid.models.summarize`'s FLOP count are right). What does
    not: anything that writes into a weight (an optimiser step, ``load_state_dict``,
    batch-norm statistics in training mode) fails, the placeholder being read-only.
    Build the model again outside the block to train it.

    Backward: none (construction only).

    Yields
    ------
    None

    Examples
    --------
    >>> from lucid import nn
    >>> with nn.shape_only():
    ...     big = nn.Linear(50_000, 50_000)         # 2.5e9 weights, not allocated
    >>> big.count_parameters()
    2500050000
    >>> big.weight.shape, nn.is_shape_only(big.weight)
    ((50000, 50000), True)
    >>> big.weight.data.strides                  # every element is the same zero
    (0, 0)
    >>> nn.is_shape_only(nn.Linear(2, 2).weight)
    False
    """
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1


def active():
    """True inside a :func:`shape_only` block (internal: read by Parameter and Buffer)."""
    return _depth > 0


def make_placeholder(tensor, data, dtype):
    """Initialise the new Parameter/Buffer ``tensor`` as the placeholder of ``data``
    (internal: called by ``Parameter`` and ``Buffer`` inside a ``shape_only()`` block)."""
    from lucid._tensor import Tensor

    source = data.data if isinstance(data, Tensor) else data
    if isinstance(source, np.ndarray):         # e.g. np.empty(shape): never filled
        Tensor.__init__(tensor, np.zeros((), source.dtype), dtype=dtype)
        shape = source.shape
    else:                                       # nested lists and scalars are small
        Tensor.__init__(tensor, data, dtype=dtype)
        shape = tensor.data.shape
    tensor.data = np.broadcast_to(np.zeros((), tensor.data.dtype), shape)


def is_shape_only(tensor):
    """True if ``tensor`` holds a shape-only placeholder (made under :func:`shape_only`).

    A placeholder is a read-only array whose strides are all zero.

    Backward: none.

    Parameters
    ----------
    tensor : Tensor

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        ``tensor`` is not a lucid Tensor.

    Examples
    --------
    >>> from lucid import nn
    >>> with nn.shape_only():
    ...     conv = nn.Conv2d(3, 8, kernel_size=3)
    >>> nn.is_shape_only(conv.weight), nn.is_shape_only(conv.bias)
    (True, True)
    """
    from lucid._tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"is_shape_only: tensor must be a lucid Tensor; got "
                        f"{type(tensor).__name__}")
    data = tensor.data
    return not data.flags.writeable and all(step == 0 for step in data.strides)
