r"""All parameters as one vector and back: ``parameters_to_vector`` and
``vector_to_parameters``.

Some algorithms see a model's parameters as one point :math:`\theta \in \mathbb{R}^P`
(:math:`P` the total number of elements): a line search, a second-order method, weight
averaging, evolution strategies, an interpolation between two trained models. These two
functions are the flattening and its inverse, in the order of ``model.parameters()``:

.. math:: \theta = (\mathrm{vec}(W_1), \mathrm{vec}(W_2), \dots, \mathrm{vec}(W_k))

with :math:`\mathrm{vec}` the row-major flattening.
"""
import math

import numpy as np

from lucid._tensor import Tensor
from lucid.autograd.grad_mode import no_grad
from lucid.autograd.inplace import write
from lucid.nn.utils._params import tensor_list
from lucid.ops.shape import concatenate

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    r"""Flatten the parameters and join them into one 1-d Tensor.

    .. math:: \theta = (\mathrm{vec}(W_1), \dots, \mathrm{vec}(W_k)),
              \qquad P = \sum_j |W_j|

    Shapes: parameters of any shapes give ``(P,)``.

    Backward: a concatenation of reshapes, so :math:`\partial L/\partial W_j` is the
    slice of :math:`\partial L/\partial\theta` that holds :math:`W_j`, reshaped back
    (a penalty written on :math:`\theta` trains the parameters).

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Usually ``model.parameters()``; at least one.

    Returns
    -------
    Tensor
        ``(P,)``, a new Tensor (writing it does not change the parameters); the NumPy
        promotion of the parameters' dtypes.

    Raises
    ------
    TypeError
        ``parameters`` not a Tensor or an iterable of Tensors.
    ValueError
        No parameters.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> layer = nn.Linear(2, 1)
    >>> theta = nn.utils.parameters_to_vector(layer.parameters())
    >>> theta.shape                                  # weight (1, 2), then bias (1,)
    (3,)
    >>> bool((theta.data[:2] == layer.weight.data.ravel()).all())
    True
    """
    name = "parameters_to_vector"
    params = tensor_list(parameters, name)
    if not params:
        raise ValueError(f"{name}: parameters is empty; there is nothing to flatten")
    return concatenate([t.reshape(-1) for t in params])


def vector_to_parameters(vec, parameters):
    r"""Copy the slices of a 1-d ``vec`` into the parameters, in place.

    The inverse of :func:`parameters_to_vector`: parameter :math:`W_j` receives the
    :math:`|W_j|` elements of ``vec`` after those of :math:`W_1, \dots, W_{j-1}`,
    reshaped to its shape,

    .. math:: W_j \leftarrow \mathrm{reshape}\bigl(\theta_{o_j : o_j + |W_j|}\bigr),
              \qquad o_j = \sum_{i < j} |W_i|.

    The parameters keep their identity (an optimizer or a tied layer holding them sees
    the new values) and their dtype; the writes go through lucid's in-place rules, so
    a graph that saved the old values refuses its backward.

    Shapes: ``vec`` of shape ``(P,)``, :math:`P` the parameters' total size.

    Backward: none; the copy is made under ``no_grad``, as an optimizer step.

    Parameters
    ----------
    vec : Tensor
        1-d, exactly :math:`P` elements, of a dtype that casts to the parameters'.
    parameters : Tensor or iterable of Tensor
        Usually ``model.parameters()``.

    Returns
    -------
    None

    Raises
    ------
    TypeError
        ``vec`` not a Tensor; ``parameters`` not a Tensor or an iterable of Tensors;
        ``vec``'s dtype cannot be stored in a parameter (a float into an integer).
    ValueError
        ``vec`` not 1-d, or its length not :math:`P` (PyTorch silently ignores extra
        elements; lucid refuses them); a read-only parameter.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> layer = nn.Linear(2, 1)
    >>> nn.utils.vector_to_parameters(lucid.Tensor([1.0, 2.0, 3.0]), layer.parameters())
    >>> layer.weight.data, layer.bias.data
    (array([[1., 2.]], dtype=float32), array([3.], dtype=float32))

    Half-way between two models:

    >>> a, b = nn.Linear(2, 1), nn.Linear(2, 1)
    >>> mid = (nn.utils.parameters_to_vector(a.parameters())
    ...        + nn.utils.parameters_to_vector(b.parameters())) / 2
    >>> nn.utils.vector_to_parameters(mid, a.parameters())
    """
    name = "vector_to_parameters"
    if not isinstance(vec, Tensor):
        raise TypeError(f"{name}: vec must be a Tensor; got {type(vec).__name__}")
    params = tensor_list(parameters, name)
    if vec.ndim != 1:
        raise ValueError(f"{name}: vec must be 1-d; got shape {vec.shape}")
    sizes = [math.prod(t.shape) for t in params]
    if vec.shape[0] != sum(sizes):
        raise ValueError(f"{name}: vec has {vec.shape[0]} elements but the parameters "
                         f"have {sum(sizes)} in all; they must be equal")
    for i, t in enumerate(params):
        if not np.can_cast(vec.dtype, t.dtype, "same_kind"):
            raise TypeError(f"{name}: vec's dtype {vec.dtype} cannot be stored in parameter "
                            f"{i} of dtype {t.dtype}")
    offsets = np.cumsum([0] + sizes)
    with no_grad():
        for t, start, stop in zip(params, offsets[:-1], offsets[1:]):
            write(t, vec.data[start:stop].reshape(t.shape), name)
