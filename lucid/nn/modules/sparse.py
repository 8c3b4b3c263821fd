r"""``Embedding``: a learned lookup table of vectors, indexed by integers.

The layer owns ``weight`` ``(num_embeddings, embedding_dim)``, drawn from
:math:`\mathcal N(0, 1)` as in PyTorch (with the ``padding_idx`` row zeroed), and calls
:func:`lucid.nn.functional.embedding`, whose backward scatter-adds gradient rows (the
scatter kernel family).
"""
import numpy as np

from lucid.nn import functional as F
from lucid.nn import init
from lucid._checks import check_bool, check_int, check_number, float_tensor
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    r"""Map each integer index to its row of a learned table: :math:`y_{\dots} =
    W_{\text{input}_{\dots}}`.

    Shapes: input of any shape ``S`` (integer indices in ``[0, num_embeddings)``);
    output ``S + (embedding_dim,)``.

    Backward (see :func:`lucid.nn.functional.embedding`): row :math:`r` of ``weight``
    receives :math:`\sum_{i:\,\text{input}_i = r} \partial L/\partial y_i`; the
    ``padding_idx`` row receives none, so it stays zero during training.

    Parameters
    ----------
    num_embeddings : int
        :math:`V`, the table's rows (the vocabulary size).
    embedding_dim : int
        :math:`D`, the length of each vector.
    padding_idx : int, optional
        A row in ``[-V, V)`` (negative counts from the end) that starts at zero and
        gets no gradient (e.g. the padding token).
    max_norm : float, optional
        Rows looked up with a larger ``norm_type``-norm are rescaled in place to this
        norm (PyTorch's semantics; see :func:`lucid.nn.functional.embedding`).
    norm_type : float, default 2.0
    _weight : Tensor, optional
        A ``(num_embeddings, embedding_dim)`` float table to start from instead of
        :math:`\mathcal N(0, 1)` (PyTorch's and the original lucid's ``_weight``).

    Attributes
    ----------
    weight : Parameter
        ``(num_embeddings, embedding_dim)``, float32, from :math:`\mathcal N(0, 1)`.

    Raises
    ------
    TypeError, ValueError
        Non-int or non-positive sizes; ``padding_idx`` out of range; (forward)
        non-integer or out-of-range indices.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb
    Embedding(10, 3, padding_idx=0)
    >>> emb(lucid.Tensor([[1, 2, 0]])).shape
    (1, 3, 3)
    >>> emb.weight.data[0].tolist()
    [0.0, 0.0, 0.0]
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, _weight=None):
        super().__init__()
        for arg, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if check_int(n, "Embedding", arg) < 1:
                raise ValueError(f"Embedding: {arg} must be positive; got {n}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = _padding_idx(padding_idx, self.num_embeddings)
        self.max_norm = (None if max_norm is None else
                         check_number(max_norm, "Embedding", "max_norm", 0.0, None, low_open=True))
        self.norm_type = check_number(norm_type, "Embedding", "norm_type", 0.0, None,
                                      low_open=True, finite=False)
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, np.float32))
            self.reset_parameters()
        else:
            float_tensor(_weight, "Embedding", "_weight")
            if _weight.shape != shape:
                raise ValueError(f"Embedding: _weight must have shape {shape}; got {_weight.shape}")
            self.weight = Parameter(_weight.data)

    def reset_parameters(self):
        """PyTorch's default: :math:`\\mathcal N(0, 1)`, the padding row zeroed."""
        init.normal(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding whose table is a copy of ``embeddings`` ``(V, D)`` (float Tensor).

        With ``freeze`` (default) the table does not require grad.

        Examples
        --------
        >>> import lucid
        >>> from lucid import nn
        >>> emb = nn.Embedding.from_pretrained(lucid.Tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> print(emb(lucid.Tensor([1])))
        Tensor([[3.0, 4.0]])
        """
        float_tensor(embeddings, "Embedding.from_pretrained", "embeddings")
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-d "
                             f"(num_embeddings, embedding_dim); got {embeddings.shape}")
        freeze = check_bool(freeze, "Embedding.from_pretrained", "freeze")
        emb = cls(*embeddings.shape, padding_idx=padding_idx)
        emb.weight = Parameter(embeddings.data, requires_grad=not freeze)
        return emb

    def forward(self, x):
        """Look up the rows of ``x`` (integer indices of any shape)."""
        return F.embedding(x, self.weight, self.padding_idx, self.max_norm, self.norm_type)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        return text


def _padding_idx(padding_idx, v):
    """None, or the row in [0, v) that ``padding_idx`` in [-v, v) names."""
    if padding_idx is None:
        return None
    p = check_int(padding_idx, "Embedding", "padding_idx")
    if not -v <= p < v:
        raise ValueError(f"Embedding: padding_idx must lie in [-{v}, {v}); got {p}")
    return p % v
