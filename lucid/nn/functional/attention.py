r"""Scaled dot-product attention, the core of every Transformer.

.. math:: \mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^T}{\sqrt{d}} + M\right) V

Each query (a row of :math:`Q`) is compared with every key (a row of :math:`K`) by a dot
product; the softmax turns one row of scores into weights that sum to 1, and the result
is that weighted average of the values (rows of :math:`V`). :math:`M` is an additive
mask: 0 where a query may look at a key, :math:`-\infty` where it may not.

:func:`attend` computes it in one autograd node (:class:`lucid.ops.attention.Attention`:
two batched products around the ``softmax`` kernels, the backward written out) whenever
it can: no dropout and a mask that needs no gradient. Otherwise, and in
:func:`attention_weights`, which returns the weights as well (for
:class:`lucid.nn.MultiHeadAttention` with ``need_weights=True``), it is a chain of
differentiable ops (``matmul``, ``softmax``, ``masked_fill``, ``dropout``) whose
backward the engine chains. Both give the same numbers.
"""
import math

import numpy as np

from lucid import ops
from lucid._tensor import Tensor
from lucid._checks import check_bool, check_number, float_tensor
from lucid.ops.attention import Attention
from lucid.nn.functional._layer_args import probability
from lucid.nn.functional.activation import softmax
from lucid.nn.functional.dropout import dropout

__all__ = ["scaled_dot_product_attention"]

FNAME = "scaled_dot_product_attention"


def _batch_shape(fname, query, key, value):
    """Check the three shapes fit together; return the broadcast batch shape."""
    for arg, t in (("query", query), ("key", key), ("value", value)):
        if t.ndim < 2:
            raise ValueError(f"{fname}: {arg} must have at least 2 axes (..., length, "
                             f"features); got shape {t.shape}")
        if t.dtype != query.dtype:
            raise TypeError(f"{fname}: {arg} must have the dtype of query ({query.dtype}); "
                            f"got {t.dtype}")
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(f"{fname}: key must have query's feature size E = "
                         f"{query.shape[-1]} on its last axis; got key {key.shape}")
    if value.shape[-2] != key.shape[-2]:
        raise ValueError(f"{fname}: value must have key's length S = {key.shape[-2]} on "
                         f"axis -2; got key {key.shape} and value {value.shape}")
    try:
        return np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise ValueError(f"{fname}: the leading (batch) axes of query {query.shape}, key "
                         f"{key.shape} and value {value.shape} do not broadcast") from None


def additive_mask(fname, mask, scores_shape, dtype, arg="attn_mask", true_means="keep"):
    r"""Turn a user mask into the additive mask :math:`M` (or None).

    A bool mask becomes :math:`0` / :math:`-\infty`: with ``true_means="keep"``
    (scaled_dot_product_attention) True marks a pair that may attend; with
    ``true_means="drop"`` (MultiHeadAttention's masks) True marks a pair to ignore. A
    float mask is added as it is (a Tensor keeps its graph). The mask must broadcast to
    ``scores_shape`` without enlarging it.
    """
    if mask is None:
        return None
    data = mask.data if isinstance(mask, Tensor) else mask
    if not isinstance(data, np.ndarray):
        raise TypeError(f"{fname}: {arg} must be a bool or float Tensor; "
                        f"got {type(mask).__name__}")
    try:
        fits = np.broadcast_shapes(data.shape, scores_shape) == tuple(scores_shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{fname}: {arg} must broadcast to the attention scores' shape "
                         f"{tuple(scores_shape)} (..., L, S); got shape {data.shape}")
    if data.dtype == np.bool_:
        blocked = data if true_means == "drop" else ~data
        return np.where(blocked, -np.inf, 0.0).astype(dtype)
    if data.dtype.kind != "f":
        raise TypeError(f"{fname}: {arg} must be bool or floating; got dtype {data.dtype}")
    if not isinstance(mask, Tensor):
        return data.astype(dtype)
    if mask.dtype != dtype:
        raise TypeError(f"{fname}: a float {arg} must have the dtype of query ({dtype}); "
                        f"got {mask.dtype}")
    return mask


def causal_mask(length, source_length, dtype):
    r"""The additive causal mask: :math:`M_{ij} = 0` for :math:`j \le i`, else :math:`-\infty`."""
    allowed = np.tril(np.ones((length, source_length), dtype=bool))
    return np.where(allowed, 0.0, -np.inf).astype(dtype)


def default_scale(head_size):
    r"""The factor of :math:`Q K^T` when none is given: :math:`1/\sqrt{d}` for heads of
    ``head_size`` features."""
    return 1.0 / math.sqrt(head_size)


def attention_weights(query, key, value, mask=None, dropout_p=0.0, scale=None):
    r"""Scaled dot-product attention on checked inputs; returns ``(output, weights)``.

    ``mask`` is already additive (None, an array or a Tensor broadcasting to
    ``(..., L, S)``). A query row whose keys are all masked gets zero weights (and a
    zero output) instead of the ``nan`` of a softmax over :math:`-\infty` only, as
    PyTorch's ``scaled_dot_product_attention``.
    """
    if scale is None:
        scale = default_scale(query.shape[-1])
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2)) * scale      # (..., L, S)
    if mask is not None:
        scores = scores + mask
    dead = np.all(scores.data == -np.inf, axis=-1, keepdims=True)     # rows with no key
    if dead.any():
        scores = ops.masked_fill(scores, dead, 0.0)
    weights = softmax(scores, axis=-1)
    if dead.any():
        weights = ops.masked_fill(weights, dead, 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return ops.matmul(weights, value), weights


def attend(query, key, value, mask=None, dropout_p=0.0, scale=None, heads=None):
    r"""The output of :func:`attention_weights` (checked inputs), in one node when it can.

    With ``heads``, ``query``, ``key`` and ``value`` are ``(N, T, heads * d)`` and the
    heads are split before and merged after (the layout of
    :class:`lucid.nn.MultiHeadAttention`); ``mask`` then broadcasts to ``(N, heads, L,
    S)``. One :class:`~lucid.ops.attention.Attention` node runs when there is no
    dropout, the mask needs no gradient and (without ``heads``) the three inputs have
    the same leading axes; otherwise the chain of ops of :func:`attention_weights`.
    """
    if scale is None:
        scale = default_scale(query.shape[-1] // (heads or 1))
    same_batch = heads is not None or query.shape[:-2] == key.shape[:-2] == value.shape[:-2]
    fixed_mask = not (isinstance(mask, Tensor) and mask.requires_grad)
    if dropout_p == 0.0 and fixed_mask and same_batch:
        return Attention.apply(query, key, value, mask, scale=scale, heads=heads)
    if heads is None:
        return attention_weights(query, key, value, mask, dropout_p, scale)[0]
    n, length = query.shape[0], query.shape[1]
    split = [ops.swapaxes(ops.reshape(t, (n, t.shape[1], heads, -1)), 1, 2)
             for t in (query, key, value)]
    out = attention_weights(*split, mask, dropout_p, scale)[0]
    return ops.reshape(ops.swapaxes(out, 1, 2), (n, length, -1))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    r"""Attention of queries over keys and values (PyTorch's
    ``F.scaled_dot_product_attention``).

    .. math::

        S = \frac{Q K^T}{\sqrt{E}} + M, \qquad
        A_{ij} = \frac{e^{S_{ij}}}{\sum_k e^{S_{ik}}}, \qquad
        \mathrm{out} = A V

    with :math:`E` the feature size of the queries (or ``1/scale``) and :math:`M` the
    additive mask: from a bool ``attn_mask``, :math:`0` where True (may attend) and
    :math:`-\infty` where False; a float ``attn_mask`` is added as it is.
    ``is_causal=True`` uses the causal mask instead (query :math:`i` sees keys
    :math:`j \le i`; giving both is an error, as PyTorch documents). A query that may attend to no
    key at all gets weights 0 and output 0. With ``dropout_p > 0`` the weights
    :math:`A` pass through :func:`~lucid.nn.functional.dropout` (always: this
    function has no training flag, as in PyTorch).

    Shapes: ``query`` ``(..., L, E)``, ``key`` ``(..., S, E)``, ``value``
    ``(..., S, Ev)``, ``attn_mask`` broadcasting to ``(..., L, S)``; the output is
    ``(..., L, Ev)``. The leading axes ``...`` (batch, heads) broadcast.

    Backward (the chain rule through the ops): with :math:`G = \partial L/\partial
    \mathrm{out}`, :math:`\partial L/\partial V = A^T G`, :math:`\partial L/\partial A
    = G V^T`, the softmax gives :math:`\partial L/\partial S_{ij} = A_{ij}(\partial
    L/\partial A_{ij} - \sum_k \partial L/\partial A_{ik} A_{ik})`, and then
    :math:`\partial L/\partial Q = s\,(\partial L/\partial S) K`,
    :math:`\partial L/\partial K = s\,(\partial L/\partial S)^T Q` with :math:`s` the
    scale. A float ``attn_mask`` Tensor that requires grad gets
    :math:`\partial L/\partial S` (summed over broadcast axes).

    Parameters
    ----------
    query : Tensor
        ``(..., L, E)``, float32 or float64.
    key : Tensor
        ``(..., S, E)``, the dtype of ``query``.
    value : Tensor
        ``(..., S, Ev)``, the dtype of ``query``.
    attn_mask : Tensor, optional
        Bool (True = may attend) or float (added to the scores), broadcasting to
        ``(..., L, S)``.
    dropout_p : float, default 0.0
        Dropout probability on the attention weights, in [0, 1].
    is_causal : bool, default False
        Let query :math:`i` attend only to keys :math:`j \le i`.
    scale : float, optional
        The factor of :math:`Q K^T`; default :math:`1/\sqrt{E}`.

    Returns
    -------
    Tensor
        ``(..., L, Ev)``, the dtype of ``query``.

    Raises
    ------
    TypeError
        Non-Tensor or non-float inputs, different dtypes, a mask neither bool nor float.
    ValueError
        Inputs with fewer than 2 axes, feature or length sizes that differ, batch axes
        that do not broadcast, a mask that does not broadcast to ``(..., L, S)``, a
        ``dropout_p`` outside [0, 1].

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> q = lucid.Tensor([[1.0, 0.0]])                  # L = 1 query, E = 2
    >>> k = lucid.Tensor([[1.0, 0.0], [0.0, 1.0]])      # S = 2 keys
    >>> v = lucid.Tensor([[10.0], [20.0]])
    >>> print(F.scaled_dot_product_attention(q, k, v, scale=0.0))   # equal weights
    Tensor([[15.0]])
    >>> print(F.scaled_dot_product_attention(q, k, v, attn_mask=lucid.Tensor([[False, True]])))
    Tensor([[20.0]])
    >>> x = lucid.random.randn(2, 4, 3, 8)              # (batch, heads, L, E)
    >>> F.scaled_dot_product_attention(x, x, x, is_causal=True).shape
    (2, 4, 3, 8)
    """
    q = float_tensor(query, FNAME, "query")
    k = float_tensor(key, FNAME, "key")
    v = float_tensor(value, FNAME, "value")
    batch = _batch_shape(FNAME, q, k, v)
    p = probability(dropout_p, FNAME, "dropout_p")
    causal = check_bool(is_causal, FNAME, "is_causal")
    if scale is not None:
        scale = check_number(scale, FNAME, "scale")
    length, source_length = q.shape[-2], k.shape[-2]
    scores_shape = (*batch, length, source_length)
    if causal and attn_mask is not None:
        raise ValueError(f"{FNAME}: give attn_mask or is_causal=True, not both; got an "
                         f"attn_mask of shape {np.shape(getattr(attn_mask, 'data', attn_mask))} "
                         f"with is_causal=True")
    mask = additive_mask(FNAME, attn_mask, scores_shape, q.dtype)
    if causal:
        mask = causal_mask(length, source_length, q.dtype)
    return attend(q, k, v, mask, p, scale)
