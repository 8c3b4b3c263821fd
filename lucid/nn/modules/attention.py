r"""Attention layers: ``ScaledDotProductAttention``, ``MultiHeadAttention`` and
``MultiheadAttention``.

All compute :math:`\mathrm{softmax}(Q K^T / \sqrt{d} + M)\,V` through
:func:`lucid.nn.functional.scaled_dot_product_attention`'s helpers. The two multi-head
layers are one computation with two front doors:

* ``MultiHeadAttention`` is the original lucid's: batch-first inputs ``(N, L, E)`` by
  default, and the call returns the output tensor (``need_weights=True`` adds the
  weights);
* ``MultiheadAttention`` is PyTorch's name with PyTorch's defaults and call: sequence
  first ``(L, N, E)`` unless ``batch_first=True``, and the call returns
  ``(output, weights)``.

Both have PyTorch's parameters, names and layout (``in_proj_weight``, ``in_proj_bias``,
``out_proj.weight``, ``out_proj.bias``), so a PyTorch checkpoint loads 1:1 with
``load_state_dict``.

Under ``no_grad``, a self-attention call without masks or weights (``x, x, x``: what a
Transformer layer runs in inference) keeps a plan (``_plan.py``): a later such call
with an input of the same shape and dtype, the same parameter shapes and the same
settings runs the packed in-projection and ``PackedAttention``'s forward straight on
the arrays, then ``out_proj`` as a module call (its hooks run, and its own plan); the
same bytes as the checked way (``docs/fast.rst``).
"""
import numpy as np

from lucid import ops
from lucid._tensor import Tensor
from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.functional import attention as _attn
from lucid._checks import check_bool, check_number
from lucid.nn.functional._layer_args import probability
from lucid.nn.module import Module
from lucid.nn.modules._checks import tensor_input
from lucid.nn.modules._plan import Planned
from lucid.nn.modules.linear import Linear
from lucid.nn.parameter import Parameter
from lucid.ops import linear as ops_linear
from lucid.ops.attention import PackedAttention

__all__ = ["ScaledDotProductAttention", "MultiHeadAttention", "MultiheadAttention"]


class ScaledDotProductAttention(Module):
    r"""Scaled dot-product attention as a layer (no parameters).

    .. math:: \mathrm{out} = \mathrm{softmax}\!\left(s\,Q K^T + M\right) V,
              \qquad s = 1/\sqrt{E}

    See :func:`lucid.nn.functional.scaled_dot_product_attention` for the mask rules and
    the backward maths. Dropout on the weights acts only in training mode.

    Shapes: ``query`` ``(..., L, E)``, ``key`` ``(..., S, E)``, ``value``
    ``(..., S, Ev)``; output ``(..., L, Ev)``.

    Backward: that of the functional form (``matmul``, ``softmax``, ``matmul``).

    Parameters
    ----------
    attn_mask : Tensor, optional
        A default mask (bool: True = may attend; float: added), used when ``forward``
        gets none.
    dropout_p : float, default 0.0
        Dropout on the attention weights (training mode only).
    is_causal : bool, default False
    scale : float, optional
        Default :math:`1/\sqrt{E}`.

    Raises
    ------
    TypeError, ValueError
        Bad settings; in ``forward``, the errors of the functional form.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> attn = nn.ScaledDotProductAttention(is_causal=True)
    >>> x = lucid.Tensor([[1.0], [2.0]])                # scores s_ij = x_i x_j, causal
    >>> print(attn(x, x, lucid.Tensor([[10.0], [20.0]])).data.round(3))   # row 2: e^2, e^4
    [[10.   ]
     [18.808]]
    """

    def __init__(self, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
        super().__init__()
        name = "ScaledDotProductAttention"
        self.attn_mask = attn_mask
        self.dropout_p = probability(dropout_p, name, "dropout_p")
        self.is_causal = check_bool(is_causal, name, "is_causal")
        self.scale = None if scale is None else check_number(scale, name, "scale")

    def forward(self, query, key, value, attn_mask=None):
        """Attend ``query`` over ``key`` / ``value`` (``attn_mask`` overrides the layer's)."""
        mask = self.attn_mask if attn_mask is None else attn_mask
        p = self.dropout_p if self.training else 0.0
        return F.scaled_dot_product_attention(query, key, value, mask, p, self.is_causal,
                                              self.scale)

    def extra_repr(self):
        return f"dropout_p={self.dropout_p}, is_causal={self.is_causal}, scale={self.scale}"


def _positive_int(name, arg, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise TypeError(f"{name}: {arg} must be a positive int; got {value!r}")
    return int(value)


def _append_key(mask, n):
    """Give a mask (..., S) ``n`` more key columns of 0 (they may be attended)."""
    mask = mask if isinstance(mask, Tensor) else Tensor._wrap(mask)
    extra = ops.zeros((*mask.shape[:-1], n), dtype=mask.dtype)
    return ops.concatenate([mask, extra], axis=-1)


def _planned_self_attention(ctx, x, w, b, bias_k, layout, scale, heads):
    """A self-attention plan's forward (``Plan.run``): ``x`` as ``_inputs`` lays it out
    (``(N, L, E)``: a view), the packed in-projection ``x W^T + b`` by the ``Linear``
    op's forward, then ``PackedAttention``'s forward (``ctx`` one of its contexts) with
    no mask; ``bias_k`` is None (the plan checked it)."""
    if layout == "unbatched":
        x = x[None]
    elif layout == "sequence first":
        x = x.swapaxes(0, 1)
    qkv = ops_linear.Linear.forward(ops_linear.Linear.__new__(ops_linear.Linear), x, w, b)
    return PackedAttention.forward(ctx, qkv, None, scale, heads)


class MultiHeadAttention(Planned, Module):
    r"""Multi-head attention, the original lucid's layer: batch first, returns the output.

    The inputs are projected, split into :math:`h` heads of size :math:`d = E/h`, each
    head attends on its own, and the heads are concatenated and projected back:

    .. math::

        \mathrm{head}_i = \mathrm{softmax}\!\left(\frac{(Q W^Q_i)(K W^K_i)^T}{\sqrt d}
        + M\right) V W^V_i, \qquad
        \mathrm{out} = [\mathrm{head}_1, \dots, \mathrm{head}_h]\, W^O + b^O

    (each projection also adds its bias). :math:`W^Q, W^K, W^V` are the three row
    blocks of ``in_proj_weight`` (``(3E, E)``; or ``q_proj_weight`` /
    ``k_proj_weight`` / ``v_proj_weight`` when ``kdim`` or ``vdim`` differ from
    :math:`E`), :math:`W^O` is ``out_proj``.

    Layout: ``(N, L, E)`` (batch first), as in the original lucid; pass
    ``batch_first=False`` for PyTorch's ``(L, N, E)``. Unbatched inputs ``(L, E)``
    work in both. :class:`MultiheadAttention` (PyTorch's name) is this layer with
    PyTorch's defaults: sequence first, and a call that returns ``(output, weights)``.

    Masks (PyTorch's rules, which the original lucid's agree with for bool masks; True
    means *ignore*, the opposite of
    :func:`~lucid.nn.functional.scaled_dot_product_attention`):

    * ``key_padding_mask`` ``(N, S)`` (or ``(S,)``): True marks padded keys to ignore;
      a float mask is added to the scores;
    * ``attn_mask`` ``(L, S)`` or ``(N * num_heads, L, S)``: True forbids the pair; a
      float mask is added. Both masks add up. ``is_causal=True`` without an
      ``attn_mask`` uses the causal mask (PyTorch requires the mask as well and treats
      the flag as a hint).

    ``forward(query, key, value, key_padding_mask=None, attn_mask=None,
    is_causal=False, need_weights=False, average_attn_weights=True)`` (the original's
    order of the first six) returns the output, shaped as ``query`` with ``E``
    features; with ``need_weights=True`` it returns ``(output, weights)``, the
    attention weights ``(N, L, S)`` averaged over the heads, or
    ``(N, num_heads, L, S)`` with ``average_attn_weights=False``.

    A query whose keys are all masked gets zero weights (PyTorch gives ``nan`` there
    when ``need_weights=True``).

    Backward: through ``linear`` (projections) and the attention of
    :func:`~lucid.nn.functional.scaled_dot_product_attention` (its backward written out
    in one node, :mod:`lucid.ops.attention`, with the heads split and merged inside);
    with ``need_weights=True``, dropout, or a mask that needs a gradient, through
    ``matmul``, ``softmax``, ``reshape`` and ``swapaxes`` (head split and merge: the
    gradient is moved back the same way). Self-attention (``query``, ``key`` and
    ``value`` the same Tensor) projects all three in one product.

    Parameters
    ----------
    embed_dim : int
        :math:`E`, the feature size of the queries and of the output.
    num_heads : int
        :math:`h`; must divide ``embed_dim``.
    dropout : float, default 0.0
        Dropout on the attention weights (training mode).
    bias : bool, default True
        Biases of the input and output projections.
    add_bias_kv : bool, default False
        Append a learnt key ``bias_k`` and value ``bias_v`` to the sequences.
    add_zero_attn : bool, default False
        Append a key and a value of zeros.
    kdim, vdim : int, optional
        Feature sizes of ``key`` and ``value`` (default ``embed_dim``).
    batch_first : bool, default True
        ``(N, L, E)`` inputs and outputs; False for ``(L, N, E)``.

    Attributes
    ----------
    in_proj_weight : Parameter
        ``(3E, E)``, Xavier-uniform (None when ``kdim``/``vdim`` differ).
    in_proj_bias : Parameter or None
        ``(3E,)``, zeros.
    out_proj : Linear
        ``E -> E``; its bias starts at zero.

    Raises
    ------
    ValueError
        ``embed_dim`` not divisible by ``num_heads``; in ``forward``, inputs that are
        not 2-d/3-d, feature sizes or batch sizes that differ, masks of the wrong shape.
    TypeError
        Non-int sizes, non-bool flags, non-Tensor inputs.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> mha = nn.MultiHeadAttention(embed_dim=8, num_heads=2)
    >>> x = lucid.random.randn(4, 5, 8)                 # (N, L, E)
    >>> mha(x, x, x).shape
    (4, 5, 8)
    >>> out, weights = mha(x, x, x, need_weights=True)
    >>> weights.shape
    (4, 5, 5)
    >>> [name for name, _ in mha.named_parameters()]
    ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
    >>> print(weights.sum(axis=-1).data.round(6)[0])
    [1. 1. 1. 1. 1.]
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=True):
        super().__init__()
        name = type(self).__name__
        self.embed_dim = _positive_int(name, "embed_dim", embed_dim)
        self.num_heads = _positive_int(name, "num_heads", num_heads)
        if self.embed_dim % self.num_heads:
            raise ValueError(f"{name}: embed_dim ({embed_dim}) must be divisible by "
                             f"num_heads ({num_heads})")
        self.head_dim = self.embed_dim // self.num_heads
        self.kdim = self.embed_dim if kdim is None else _positive_int(name, "kdim", kdim)
        self.vdim = self.embed_dim if vdim is None else _positive_int(name, "vdim", vdim)
        self.dropout = probability(dropout, name, "dropout")
        self.batch_first = check_bool(batch_first, name, "batch_first")
        self.add_zero_attn = check_bool(add_zero_attn, name, "add_zero_attn")
        use_bias = check_bool(bias, name, "bias")
        e = self.embed_dim
        self._qkv_same_embed_dim = self.kdim == e and self.vdim == e
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * e, e), np.float32))
        else:
            self.q_proj_weight = Parameter(np.empty((e, e), np.float32))
            self.k_proj_weight = Parameter(np.empty((e, self.kdim), np.float32))
            self.v_proj_weight = Parameter(np.empty((e, self.vdim), np.float32))
            self.register_parameter("in_proj_weight", None)
        if use_bias:
            self.in_proj_bias = Parameter(np.empty(3 * e, np.float32))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(e, e, bias=use_bias)
        if check_bool(add_bias_kv, name, "add_bias_kv"):
            self.bias_k = Parameter(np.empty((1, 1, e), np.float32))
            self.bias_v = Parameter(np.empty((1, 1, e), np.float32))
        else:
            self.bias_k = self.bias_v = None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's start: Xavier-uniform projections, zero biases, Xavier-normal bias_k/v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform(w)
        if self.in_proj_bias is not None:
            init.zeros(self.in_proj_bias)
            init.zeros(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal(self.bias_k)
            init.xavier_normal(self.bias_v)

    # ------------------------------------------------------------------ checks
    def _inputs(self, query, key, value):
        """Check the three inputs; return them as (N, T, features) and whether batched."""
        name = type(self).__name__
        for arg, t in (("query", query), ("key", key), ("value", value)):
            tensor_input(name, t)
        n_axes = query.ndim
        layout = "(N, {}, {})" if self.batch_first else "({}, N, {})"
        for arg, t, length, features in (("query", query, "L", self.embed_dim),
                                         ("key", key, "S", self.kdim),
                                         ("value", value, "S", self.vdim)):
            if t.ndim not in (2, 3) or t.ndim != n_axes or t.shape[-1] != features:
                expected = layout.format(length, features) + f" or ({length}, {features})"
                if n_axes in (2, 3) and t is not query:
                    expected = (layout.format(length, features) if n_axes == 3
                                else f"({length}, {features})") + " (as query)"
                raise ValueError(f"{name}: expected {arg} of shape {expected}; got {t.shape}")
        if n_axes == 2:
            query, key, value = (ops.unsqueeze(t, 0) for t in (query, key, value))
        elif not self.batch_first:
            query, key, value = (ops.swapaxes(t, 0, 1) for t in (query, key, value))
        if not query.shape[0] == key.shape[0] == value.shape[0]:
            raise ValueError(f"{name}: query, key and value must have the same batch size; "
                             f"got {query.shape[0]}, {key.shape[0]} and {value.shape[0]}")
        if key.shape[1] != value.shape[1]:
            raise ValueError(f"{name}: key and value must have the same length S; got "
                             f"{key.shape[1]} and {value.shape[1]}")
        return query, key, value, n_axes == 3

    def _masks(self, key_padding_mask, attn_mask, n, length, source, batched, dtype):
        """The additive mask of shape broadcasting to (N, h, L, S), or None."""
        name = type(self).__name__
        h = self.num_heads
        mask = None
        if attn_mask is not None:
            shapes = [(length, source), (n * h if batched else h, length, source)]
            given = np.shape(getattr(attn_mask, "data", attn_mask))
            if given not in shapes:
                raise ValueError(f"{name}: attn_mask must have shape {shapes[0]} or "
                                 f"{shapes[1]} (L, S) / (N * num_heads, L, S); got {given}")
            mask = _attn.additive_mask(name, attn_mask, given, dtype, "attn_mask", "drop")
            if len(given) == 3:
                mask = ops.reshape(Tensor._wrap(mask) if isinstance(mask, np.ndarray) else mask,
                                   (n, h, length, source))
        if key_padding_mask is not None:
            expected = (n, source) if batched else (source,)
            given = np.shape(getattr(key_padding_mask, "data", key_padding_mask))
            if given != expected:
                raise ValueError(f"{name}: key_padding_mask must have shape {expected} "
                                 f"({'(N, S)' if batched else '(S,)'}); got {given}")
            pad = _attn.additive_mask(name, key_padding_mask, given, dtype,
                                      "key_padding_mask", "drop")
            pad = ops.reshape(Tensor._wrap(pad) if isinstance(pad, np.ndarray) else pad,
                              (n, 1, 1, source))
            mask = pad if mask is None else mask + pad
        return mask

    def _projections(self):
        """The (weight, bias) of the query, key and value projections."""
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            weights = (w[:e], w[e:2 * e], w[2 * e:])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        biases = (None,) * 3 if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        return zip(weights, biases)

    def _heads(self, x):
        """(N, T, E) -> (N, h, T, d)."""
        n, t, _ = x.shape
        return ops.swapaxes(ops.reshape(x, (n, t, self.num_heads, self.head_dim)), 1, 2)

    # ----------------------------------------------------------------- forward
    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None,
                is_causal=False, need_weights=False, average_attn_weights=True):
        """Attend ``query`` over ``key`` / ``value``; returns the output, or
        ``(output, weights)`` with ``need_weights=True``."""
        need = check_bool(need_weights, type(self).__name__, "need_weights")
        out, weights = self._attend(query, key, value, key_padding_mask, need, attn_mask,
                                    average_attn_weights, is_causal)
        return (out, weights) if need else out

    def _plan_reads(self):
        """The parameters and settings a self-attention plan compares (``_plan.py``):
        ``bias_k`` must stay None, as the packed path needs."""
        return ((self.in_proj_weight, self.in_proj_bias, self.bias_k),
                (self.batch_first, self.training, self.dropout, self.num_heads,
                 self.head_dim, self._qkv_same_embed_dim, self.add_zero_attn))

    def _attend(self, query, key, value, key_padding_mask, need_weights, attn_mask,
                average_attn_weights, is_causal):
        """The computation both layers share; returns ``(output, weights or None)``."""
        self_attention = query is key and key is value
        plain = (self_attention and key_padding_mask is None and attn_mask is None
                 and is_causal is False and need_weights is False)
        if plain:                                 # x, x, x: the plan, when it holds
            parameters, settings = self._plan_reads()
            out = self._planned_call(query, parameters, settings)
            if out is not None:
                return self._output(out, query.ndim == 3), None
        given = query
        query, key, value, batched = self._inputs(query, key, value)
        n, length, source = query.shape[0], query.shape[1], key.shape[1]
        mask = self._masks(key_padding_mask, attn_mask, n, length, source, batched,
                           query.dtype)
        if check_bool(is_causal, type(self).__name__, "is_causal") and attn_mask is None:
            tri = _attn.causal_mask(length, source, query.dtype)
            mask = tri if mask is None else mask + tri
        p = self.dropout if self.training else 0.0
        if (self_attention and self._qkv_same_embed_dim and self.bias_k is None
                and not self.add_zero_attn and not need_weights and p == 0.0
                and not (isinstance(mask, Tensor) and mask.requires_grad)):
            # one projection for q, k and v, read by one attention node as views
            qkv = F.linear(query, self.in_proj_weight, self.in_proj_bias)
            scale = _attn.default_scale(self.head_dim)
            out = PackedAttention.apply(qkv, mask, scale=scale, heads=self.num_heads)
            if plain:
                layout = ("batch first" if self.batch_first else "sequence first"
                          ) if batched else "unbatched"
                self._keep_plan(PackedAttention, given, *self._plan_reads(),
                                lambda: {"layout": layout, "scale": scale,
                                         "heads": self.num_heads},
                                forward=_planned_self_attention)
            return self._output(out, batched), None
        q, k, v = (F.linear(x, w, b) for x, (w, b) in
                   zip((query, key, value), self._projections()))
        extra = []
        if self.bias_k is not None:
            extra.append((ops.broadcast_to(self.bias_k, (n, 1, self.embed_dim)),
                          ops.broadcast_to(self.bias_v, (n, 1, self.embed_dim))))
        if self.add_zero_attn:
            zero = ops.zeros((n, 1, self.embed_dim), dtype=q.dtype)
            extra.append((zero, zero))
        for k_row, v_row in extra:
            k = ops.concatenate([k, k_row], axis=1)
            v = ops.concatenate([v, v_row], axis=1)
            if mask is not None:
                mask = _append_key(mask, 1)
        if need_weights:
            out, weights = _attn.attention_weights(self._heads(q), self._heads(k),
                                                   self._heads(v), mask, p)
            out = ops.reshape(ops.swapaxes(out, 1, 2), (n, length, self.embed_dim))
        else:
            out = _attn.attend(q, k, v, mask, p, heads=self.num_heads)
        out = self._output(out, batched)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = ops.mean(weights, axis=1)
        return out, (weights if batched else ops.squeeze(weights, 0))

    def _output(self, out, batched):
        """out_proj of the merged heads (N, L, E), in the caller's layout."""
        out = self.out_proj(out)
        if not batched:
            return ops.squeeze(out, 0)
        return out if self.batch_first else ops.swapaxes(out, 0, 1)

    def extra_repr(self):
        text = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if not self._qkv_same_embed_dim:
            text += f", kdim={self.kdim}, vdim={self.vdim}"
        return text + f", batch_first={self.batch_first}"


class MultiheadAttention(MultiHeadAttention):
    r"""PyTorch's ``nn.MultiheadAttention``: its name, defaults and call.

    The same layer and parameters as :class:`MultiHeadAttention` (see there for the
    formula, masks and backward), with PyTorch's defaults: inputs sequence first,
    ``(L, N, E)``, unless ``batch_first=True``; and PyTorch's call

    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)``

    which returns ``(output, weights)`` (``weights`` None when ``need_weights=False``).
    With a PyTorch layer's ``state_dict`` loaded, the outputs, weights and gradients
    equal PyTorch's.

    Parameters
    ----------
    embed_dim, num_heads : int
    dropout : float, default 0.0
    bias : bool, default True
    add_bias_kv, add_zero_attn : bool, default False
    kdim, vdim : int, optional
    batch_first : bool, default False
        PyTorch's default: ``(L, N, E)``.

    Raises
    ------
    ValueError, TypeError
        As :class:`MultiHeadAttention`.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> mha = nn.MultiheadAttention(embed_dim=8, num_heads=2)
    >>> x = lucid.random.randn(5, 4, 8)                 # (L, N, E)
    >>> out, weights = mha(x, x, x)
    >>> out.shape, weights.shape
    ((5, 4, 8), (4, 5, 5))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False):
        super().__init__(embed_dim, num_heads, dropout, bias, add_bias_kv, add_zero_attn,
                         kdim, vdim, batch_first)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """Attend ``query`` over ``key`` / ``value``; returns ``(output, weights or None)``."""
        need = check_bool(need_weights, type(self).__name__, "need_weights")
        return self._attend(query, key, value, key_padding_mask, need, attn_mask,
                            average_attn_weights, is_causal)
