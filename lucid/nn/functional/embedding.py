r"""``embedding``: look up rows of a weight matrix by integer index.

It checks its arguments, then calls :class:`lucid.ops.embedding.Embedding`, whose
backward runs the scatter-add kernels (reference or compiled twin).
"""
import numpy as np

from lucid._checks import check_int, float_tensor
from lucid.nn.functional._layer_args import int_tensor
from lucid.ops.embedding import Embedding

__all__ = ["embedding"]


def embedding(input_, weight, padding_idx=None):
    r"""Replace each index by its row of ``weight`` (a lookup table of vectors).

    .. math:: y_{\dots, :} = W_{\text{input}_{\dots}, :}

    Shapes: ``input_`` of any shape ``S`` (integer indices in ``[0, V)``), ``weight``
    ``(V, D)``; the result is ``S + (D,)``.

    Backward: each row of ``weight`` receives the sum of the gradients of every
    position that looked it up,
    :math:`\partial L/\partial W_r = \sum_{i:\,\text{input}_i = r} \partial L/\partial y_i`
    (the scatter-add kernel family); the row ``padding_idx`` receives none (as PyTorch:
    its vector stays fixed during training). ``input_`` gets no gradient.

    Parameters
    ----------
    input_ : Tensor
        Indices of an integer dtype.
    weight : Tensor
        ``(V, D)``, float32 or float64.
    padding_idx : int, optional
        A row in ``[-V, V)`` (negative counts from the end) that gets no gradient.

    Returns
    -------
    Tensor
        ``input_.shape + (D,)``, the dtype of ``weight``.

    Raises
    ------
    TypeError
        ``input_`` not of an integer dtype; a non-float ``weight``; a non-int
        ``padding_idx``.
    ValueError
        ``weight`` not 2-d; an index outside ``[0, V)``; ``padding_idx`` out of range.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> w = lucid.Tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = F.embedding(lucid.Tensor([[1, 2, 1], [0, 0, 2]]), w, padding_idx=0)
    >>> print(y[0])
    Tensor([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]], grad_fn=BasicIndex)
    >>> y.sum().backward()
    >>> w.grad
    array([[0., 0.],
           [2., 2.],
           [2., 2.]], dtype=float32)
    """
    name = "embedding"
    idx = int_tensor(input_, name, "input_")
    w = float_tensor(weight, name, "weight")
    if w.ndim != 2:
        raise ValueError(f"{name}: weight must be 2-d (num_embeddings, embedding_dim); "
                         f"got shape {w.shape}")
    v = w.shape[0]
    if idx.size and (idx.data.min() < 0 or idx.data.max() >= v):
        bad = idx.data[(idx.data < 0) | (idx.data >= v)].ravel()[0]
        raise ValueError(f"{name}: indices in input_ must lie in [0, {v}) for a weight of "
                         f"{v} rows; got {bad}")
    if padding_idx is not None:
        padding_idx = check_int(padding_idx, name, "padding_idx")
        if not -v <= padding_idx < v:
            raise ValueError(f"{name}: padding_idx must lie in [-{v}, {v}); got {padding_idx}")
        padding_idx %= v
    return Embedding.apply(idx.data.astype(np.int64, copy=False), w, padding_idx=padding_idx)
