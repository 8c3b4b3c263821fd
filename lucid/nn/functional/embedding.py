r"""Integer indices to vectors: ``embedding`` (rows of a weight matrix) and ``one_hot``.

``embedding`` checks its arguments, then calls :class:`lucid.ops.embedding.Embedding`,
whose backward runs the scatter-add kernels (reference or compiled twin). ``one_hot``
makes a new integer tensor (it has no gradient).
"""
import numpy as np

from lucid._checks import check_int, check_number, float_tensor
from lucid._tensor import Tensor
from lucid.error import IndexOutOfRangeError
from lucid.autograd.inplace import note_write
from lucid.nn.functional._layer_args import int_tensor
from lucid.ops.embedding import Embedding

__all__ = ["embedding", "one_hot"]


def embedding(input_, weight, padding_idx=None, max_norm=None, norm_type=2.0):
    r"""Replace each index by its row of ``weight`` (a lookup table of vectors).

    .. math:: y_{\dots, :} = W_{\text{input}_{\dots}, :}

    Shapes: ``input_`` of any shape ``S`` (integer indices in ``[0, V)``), ``weight``
    ``(V, D)``; the result is ``S + (D,)``.

    Backward: each row of ``weight`` receives the sum of the gradients of every
    position that looked it up,
    :math:`\partial L/\partial W_r = \sum_{i:\,\text{input}_i = r} \partial L/\partial y_i`
    (the scatter-add kernel family); the row ``padding_idx`` receives none (as PyTorch:
    its vector stays fixed during training). ``input_`` gets no gradient.

    ``max_norm`` (PyTorch's and the original lucid's): before the lookup, every row
    that ``input_`` uses and whose :math:`p`-norm exceeds ``max_norm`` is scaled down
    **in place** in ``weight``, :math:`W_r \leftarrow W_r \cdot \text{max\_norm} /
    (\lVert W_r\rVert_p + 10^{-7})` with :math:`p` = ``norm_type`` (PyTorch's
    ``embedding_renorm_``). The rescaling is not part of the graph: the gradient is that
    of the lookup of the rescaled rows.

    Parameters
    ----------
    input_ : Tensor
        Indices of an integer dtype.
    weight : Tensor
        ``(V, D)``, float32 or float64.
    padding_idx : int, optional
        A row in ``[-V, V)`` (negative counts from the end) that gets no gradient.
    max_norm : float, optional
        Rescale looked-up rows whose norm exceeds it (in place).
    norm_type : float, default 2.0
        The :math:`p` of that norm (positive, or ``inf``).

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
        ``weight`` not 2-d; an index outside ``[0, V)``; ``padding_idx`` out of range;
        ``max_norm`` or ``norm_type`` not positive.

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
    >>> table = lucid.Tensor([[3.0, 4.0], [0.3, 0.4]])
    >>> print(F.embedding(lucid.Tensor([0, 1]), table, max_norm=1.0))
    Tensor([[0.6, 0.8], [0.3, 0.4]])
    >>> print(table)                        # row 0 was rescaled in place
    Tensor([[0.6, 0.8], [0.3, 0.4]])
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
        raise IndexOutOfRangeError(
            f"{name}: indices in input_ must lie in [0, {v}) for a weight of "
            f"{v} rows; got {bad}")
    if padding_idx is not None:
        padding_idx = check_int(padding_idx, name, "padding_idx")
        if not -v <= padding_idx < v:
            raise ValueError(f"{name}: padding_idx must lie in [-{v}, {v}); got {padding_idx}")
        padding_idx %= v
    indices = idx.data.astype(np.int64, copy=False)
    if max_norm is not None:
        max_norm = check_number(max_norm, name, "max_norm", 0.0, None, low_open=True)
        p = check_number(norm_type, name, "norm_type", 0.0, None, low_open=True, finite=False)
        _renorm(w.data, np.unique(indices), max_norm, p)
    return Embedding.apply(indices, w, padding_idx=padding_idx)


def _renorm(table, rows, max_norm, p):
    """Scale, in place, the ``rows`` of ``table`` whose ``p``-norm exceeds ``max_norm``
    to norm ``max_norm`` (PyTorch's ``embedding_renorm_``: a margin of 1e-7)."""
    picked = table[rows]
    norms = np.linalg.norm(picked, ord=p, axis=1)
    too_long = norms > max_norm
    if too_long.any():
        scale = (max_norm / (norms[too_long] + 1e-7)).astype(table.dtype)
        table[rows[too_long]] = picked[too_long] * scale[:, None]
        note_write(table)


def one_hot(input_, num_classes=-1):
    r"""One-hot encode class indices: a 1 at each index, 0 elsewhere.

    .. math:: y_{\dots, c} = [\,\text{input}_{\dots} = c\,], \qquad 0 \le c < C

    with :math:`C` = ``num_classes``, or one more than the largest index when it is -1.

    Shapes: ``input_`` of any shape ``S`` gives ``S + (C,)``.

    Backward: none (the result is a new int64 tensor, as PyTorch's; cast it with
    ``.float()`` to mix it with activations).

    Parameters
    ----------
    input_ : Tensor
        Non-negative integer class indices, each smaller than ``num_classes``.
    num_classes : int, default -1
        :math:`C`; -1 infers it from ``input_`` (which must then not be empty).

    Returns
    -------
    Tensor
        int64, of shape ``input_.shape + (C,)``.

    Raises
    ------
    TypeError
        ``input_`` not a Tensor of an integer dtype; a non-int ``num_classes``.
    ValueError
        A negative index; an index not below ``num_classes``; ``num_classes`` below -1;
        -1 with an empty ``input_``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> print(F.one_hot(lucid.Tensor([0, 2, 1])))
    Tensor([[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    >>> F.one_hot(lucid.Tensor([[1, 3]]), num_classes=5).shape
    (1, 2, 5)
    """
    name = "one_hot"
    t = int_tensor(input_, name, "input_")
    classes = check_int(num_classes, name, "num_classes", -1)
    if classes == -1:
        if t.size == 0:
            raise ValueError(f"{name}: num_classes=-1 infers the number of classes from "
                             f"the largest index, but input_ is empty (shape {t.shape})")
        classes = int(t.data.max()) + 1
    if t.size and t.data.min() < 0:
        raise IndexOutOfRangeError(
            f"{name}: class indices must be non-negative; got {t.data.min()}")
    if t.size and t.data.max() >= classes:
        raise IndexOutOfRangeError(f"{name}: class indices must be smaller than "
                                   f"num_classes ({classes}); got {t.data.max()}")
    out = np.zeros(t.shape + (classes,), dtype=np.int64)
    np.put_along_axis(out, t.data.astype(np.int64)[..., None], 1, axis=-1)
    return Tensor._wrap(out)
