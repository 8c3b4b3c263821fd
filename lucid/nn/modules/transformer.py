r"""The Transformer (Vaswani et al., 2017): encoder / decoder layers, their stacks, and
the whole encoder-decoder model, with the original lucid's argument names and layout
(``num_heads``, batch first ``(N, L, E)``) and PyTorch's parameter layout; PyTorch's
``nhead=`` and ``batch_first=False`` work too.

A layer is a few residual blocks. Post-norm (``norm_first=False``, the paper's and
PyTorch's default) normalises after adding the residual; pre-norm (``norm_first=True``)
normalises the block's input:

.. math::

    \text{post-norm:}\quad x \leftarrow \mathrm{LayerNorm}(x + \mathrm{Block}(x))
    \qquad\qquad
    \text{pre-norm:}\quad x \leftarrow x + \mathrm{Block}(\mathrm{LayerNorm}(x))

The blocks are self-attention :math:`\mathrm{SA}(x) = \mathrm{MHA}(x, x, x)`, cross
attention :math:`\mathrm{CA}(x, m) = \mathrm{MHA}(x, m, m)` over the encoder's output
:math:`m` ("memory", decoder only), and the feed-forward network
:math:`\mathrm{FF}(x) = W_2\,\mathrm{dropout}(\sigma(W_1 x + b_1)) + b_2`, each followed
by dropout. The state-dict keys equal PyTorch's (``self_attn.in_proj_weight``,
``linear1.weight``, ``norm1.weight``, ...), so PyTorch checkpoints load 1:1.
"""
import copy

import numpy as np

from lucid._tensor import Tensor
from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.containers import ModuleList
from lucid._checks import check_bool, renamed
from lucid.nn.functional.attention import causal_mask
from lucid.nn.module import Module
from lucid.nn.modules._checks import tensor_input
from lucid.nn.modules.attention import MultiHeadAttention, _positive_int
from lucid.nn.modules.dropout import Dropout
from lucid.nn.modules.linear import Linear
from lucid.nn.modules.norm import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerDecoder", "Transformer"]

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _activation(name, activation):
    """'relu', 'gelu' or a callable (a Module is registered as a sub-module)."""
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{name}: activation must be 'relu', 'gelu' or a callable; "
                             f"got {activation!r}")
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{name}: activation must be 'relu', 'gelu' or a callable; "
                        f"got {activation!r}")
    return activation


def _features(name, arg, x, d_model, batch_first):
    """``x`` must be a Tensor whose last axis has ``d_model`` features (2-d or 3-d)."""
    tensor_input(name, x)
    if x.ndim not in (2, 3) or x.shape[-1] != d_model:
        layout = f"(N, L, {d_model})" if batch_first else f"(L, N, {d_model})"
        raise ValueError(f"{name}: expected {arg} of shape {layout} "
                         f"(batch_first={batch_first}) or (L, {d_model}); got {x.shape}")
    return x


class _Layer(Module):
    """What the encoder and decoder layers share: the feed-forward block and settings."""

    def __init__(self, d_model, num_heads, dim_feedforward, dropout, activation,
                 layer_norm_eps, norm_first, bias, batch_first, n_norms):
        super().__init__()
        name = type(self).__name__
        self.d_model = _positive_int(name, "d_model", d_model)
        dim_feedforward = _positive_int(name, "dim_feedforward", dim_feedforward)
        batch_first = check_bool(batch_first, name, "batch_first")
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout=dropout, bias=bias,
                                            batch_first=batch_first)
        if n_norms == 3:
            self.multihead_attn = MultiHeadAttention(d_model, num_heads, dropout=dropout,
                                                     bias=bias, batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = check_bool(norm_first, name, "norm_first")
        self.batch_first = batch_first
        for i in range(1, n_norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        for i in range(1, n_norms + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(name, activation)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        """Self-attention, then dropout: :math:`\\mathrm{dropout}(\\mathrm{MHA}(x, x, x))`."""
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal)
        return self.dropout1(x)

    def _ff_block(self, x, dropout_out):
        """The feed-forward network: :math:`W_2\\,\\mathrm{dropout}(\\sigma(W_1 x + b_1)) + b_2`."""
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return dropout_out(x)


_LAYER_PARAMS = r"""
    Parameters
    ----------
    d_model : int
        Feature size of the input and output.
    num_heads : int
        Number of attention heads; divides ``d_model`` (PyTorch's ``nhead=`` works too).
    dim_feedforward : int, default 2048
        Hidden size of the feed-forward network.
    dropout : float, default 0.1
        Dropout after each block, on the attention weights and inside the
        feed-forward network (training mode only; use 0 or ``eval()`` for
        deterministic output).
    activation : 'relu', 'gelu' or callable, default 'relu'
    layer_norm_eps : float, default 1e-5
    norm_first : bool, default False
        Pre-norm instead of post-norm.
    bias : bool, default True
        Biases of the linear layers and the layer norms.
    batch_first : bool, default True
        ``(N, L, E)`` inputs, as in the original lucid; False for PyTorch's default
        ``(L, N, E)`` (PyTorch's own default differs: pass it when porting)."""


class TransformerEncoderLayer(_Layer):
    __doc__ = r"""One encoder layer: self-attention then a feed-forward network, each a
    residual block.

    .. math::

        \text{post-norm:}\quad x \leftarrow \mathrm{LN}_1(x + \mathrm{SA}(x)),\quad
        x \leftarrow \mathrm{LN}_2(x + \mathrm{FF}(x))

        \text{pre-norm:}\quad x \leftarrow x + \mathrm{SA}(\mathrm{LN}_1(x)),\quad
        x \leftarrow x + \mathrm{FF}(\mathrm{LN}_2(x))

    Shapes: ``src`` ``(N, L, E)`` (``(L, N, E)`` with ``batch_first=False``, or
    ``(L, E)``); ``src_mask`` ``(L, L)`` or ``(N * num_heads, L, L)``; ``src_key_padding_mask``
    ``(N, L)``. The output has the shape of ``src``. Masks follow
    :class:`MultiHeadAttention` (bool True = ignore; float = added).

    Backward: each residual block passes the gradient both around the block (the
    identity) and through it: :math:`\partial L/\partial x = g + J_{\mathrm{Block}}^T g`
    (then through the layer norm for post-norm).
""" + _LAYER_PARAMS + r"""

    Raises
    ------
    ValueError, TypeError
        Bad settings (``d_model`` not divisible by ``num_heads``, an unknown activation);
        in ``forward``, an input that is not ``(*, d_model)`` with 2 or 3 axes, or masks
        of the wrong shape.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> layer = nn.TransformerEncoderLayer(d_model=8, num_heads=2, dim_feedforward=16)
    >>> layer(lucid.random.randn(3, 5, 8)).shape        # (N, L, E)
    (3, 5, 8)
    >>> list(layer.state_dict())[:3]
    ['self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight']
    """

    @renamed(nhead="num_heads")
    def __init__(self, d_model, num_heads, dim_feedforward=2048, dropout=0.1,
                 activation="relu", layer_norm_eps=1e-5, norm_first=False, bias=True,
                 batch_first=True):
        super().__init__(d_model, num_heads, dim_feedforward, dropout, activation,
                         layer_norm_eps, norm_first, bias, batch_first, n_norms=2)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """Encode ``src``; returns a tensor of its shape."""
        x = _features("TransformerEncoderLayer", "src", src, self.d_model, self.batch_first)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x, self.dropout2))


class TransformerDecoderLayer(_Layer):
    __doc__ = r"""One decoder layer: self-attention, cross-attention over the encoder's
    output (``memory``), then a feed-forward network, each a residual block.

    .. math::

        \text{post-norm:}\quad x \leftarrow \mathrm{LN}_1(x + \mathrm{SA}(x)),\quad
        x \leftarrow \mathrm{LN}_2(x + \mathrm{CA}(x, m)),\quad
        x \leftarrow \mathrm{LN}_3(x + \mathrm{FF}(x))

        \text{pre-norm:}\quad x \leftarrow x + \mathrm{SA}(\mathrm{LN}_1(x)),\quad
        x \leftarrow x + \mathrm{CA}(\mathrm{LN}_2(x), m),\quad
        x \leftarrow x + \mathrm{FF}(\mathrm{LN}_3(x))

    Shapes: ``tgt`` ``(N, T, E)``, ``memory`` ``(N, S, E)`` (sequence first with
    ``batch_first=False``); ``tgt_mask`` ``(T, T)``, ``memory_mask`` ``(T, S)``,
    ``tgt_key_padding_mask`` ``(N, T)``, ``memory_key_padding_mask`` ``(N, S)``. The
    output has the shape of ``tgt``. A causal ``tgt_mask``
    (:meth:`Transformer.generate_square_subsequent_mask`) keeps position :math:`t`
    from seeing later ones.

    Backward: as for :class:`TransformerEncoderLayer`; ``memory`` gets its gradient
    through the keys and values of the cross-attention.
""" + _LAYER_PARAMS + r"""

    Raises
    ------
    ValueError, TypeError
        As :class:`TransformerEncoderLayer`.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> layer = nn.TransformerDecoderLayer(d_model=8, num_heads=2, dim_feedforward=16)
    >>> tgt, memory = lucid.random.randn(2, 4, 8), lucid.random.randn(2, 6, 8)
    >>> mask = nn.Transformer.generate_square_subsequent_mask(4)
    >>> layer(tgt, memory, tgt_mask=mask).shape
    (2, 4, 8)
    >>> seq_first = nn.TransformerDecoderLayer(8, nhead=2, dim_feedforward=16,
    ...                                        batch_first=False)   # PyTorch's layout
    >>> seq_first(lucid.random.randn(4, 2, 8), lucid.random.randn(6, 2, 8)).shape
    (4, 2, 8)
    """

    @renamed(nhead="num_heads")
    def __init__(self, d_model, num_heads, dim_feedforward=2048, dropout=0.1,
                 activation="relu", layer_norm_eps=1e-5, norm_first=False, bias=True,
                 batch_first=True):
        super().__init__(d_model, num_heads, dim_feedforward, dropout, activation,
                         layer_norm_eps, norm_first, bias, batch_first, n_norms=3)

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        """Cross-attention over ``memory``, then dropout."""
        x = self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal)
        return self.dropout2(x)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        """Decode ``tgt`` attending to ``memory``; returns a tensor of ``tgt``'s shape."""
        x = _features("TransformerDecoderLayer", "tgt", tgt, self.d_model, self.batch_first)
        _features("TransformerDecoderLayer", "memory", memory, self.d_model, self.batch_first)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                           memory_is_causal))
        return self.norm3(x + self._ff_block(x, self.dropout3))


def _clones(name, layer, num_layers, kind):
    if not isinstance(layer, kind):
        raise TypeError(f"{name}: the layer must be a {kind.__name__}; "
                        f"got {type(layer).__name__}")
    n = _positive_int(name, "num_layers", num_layers)
    return ModuleList([copy.deepcopy(layer) for _ in range(n)])


class TransformerEncoder(Module):
    r"""A stack of ``num_layers`` copies of an encoder layer, then an optional norm.

    .. math:: x_0 = \mathrm{src},\quad x_{i} = \mathrm{Layer}_i(x_{i-1}),\quad
              \mathrm{out} = \mathrm{norm}(x_n)

    Each copy starts with the given layer's parameters and learns its own (a deep
    copy, as in PyTorch). Shapes: as :class:`TransformerEncoderLayer`. Backward: the
    chain rule through the layers in reverse order.

    Parameters
    ----------
    encoder_layer : TransformerEncoderLayer
    num_layers : int
    norm : Module, optional
        Applied to the last layer's output (e.g. ``LayerNorm(d_model)``).
    enable_nested_tensor, mask_check : bool
        Accepted for PyTorch compatibility (PyTorch's fast paths); no effect.

    Raises
    ------
    TypeError
        ``encoder_layer`` of another type, ``num_layers`` not a positive int.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    >>> encoder = nn.TransformerEncoder(layer, num_layers=3, norm=nn.LayerNorm(8))
    >>> encoder(lucid.random.randn(2, 5, 8)).shape
    (2, 5, 8)
    >>> len(encoder.layers), encoder.count_parameters()
    (3, 1816)
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = _clones("TransformerEncoder", encoder_layer, num_layers,
                              TransformerEncoderLayer)
        self.num_layers = len(self.layers)
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """Run ``src`` through every layer (and the norm)."""
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    r"""A stack of ``num_layers`` copies of a decoder layer, then an optional norm.

    .. math:: x_0 = \mathrm{tgt},\quad x_{i} = \mathrm{Layer}_i(x_{i-1}, m),\quad
              \mathrm{out} = \mathrm{norm}(x_n)

    Every layer attends to the same ``memory`` :math:`m`. Shapes: as
    :class:`TransformerDecoderLayer`. Backward: the chain rule through the layers in
    reverse order; ``memory`` collects a gradient from every layer.

    Parameters
    ----------
    decoder_layer : TransformerDecoderLayer
    num_layers : int
    norm : Module, optional

    Raises
    ------
    TypeError
        ``decoder_layer`` of another type, ``num_layers`` not a positive int.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
    >>> decoder = nn.TransformerDecoder(layer, num_layers=2)
    >>> decoder(lucid.random.randn(2, 4, 8), lucid.random.randn(2, 6, 8)).shape
    (2, 4, 8)
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones("TransformerDecoder", decoder_layer, num_layers,
                              TransformerDecoderLayer)
        self.num_layers = len(self.layers)
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        """Run ``tgt`` through every layer, each attending to ``memory``."""
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    r"""The encoder-decoder Transformer (Vaswani et al., 2017; PyTorch's
    ``nn.Transformer``).

    .. math:: m = \mathrm{Encoder}(\mathrm{src}), \qquad
              \mathrm{out} = \mathrm{Decoder}(\mathrm{tgt}, m)

    Each stack ends with a ``LayerNorm``. Every weight with more than one axis starts
    Xavier-uniform (PyTorch's ``_reset_parameters``). The inputs are already
    embeddings: add token embeddings and positions yourself.

    Shapes: ``src`` ``(N, S, E)``, ``tgt`` ``(N, T, E)`` (the original lucid's batch
    first; ``(S, N, E)`` / ``(T, N, E)`` with ``batch_first=False``; unbatched
    ``(S, E)`` / ``(T, E)``); masks as in :class:`TransformerEncoderLayer` /
    :class:`TransformerDecoderLayer`; the output has ``tgt``'s shape.

    Backward: through the decoder, then into the encoder via ``memory``.

    Parameters
    ----------
    d_model : int, default 512
    num_heads : int, default 8
        PyTorch's ``nhead=`` works too.
    num_encoder_layers, num_decoder_layers : int, default 6
    dim_feedforward : int, default 2048
    dropout : float, default 0.1
    activation : 'relu', 'gelu' or callable, default 'relu'
    layer_norm_eps : float, default 1e-5
    norm_first, bias : bool
        As for the layers.
    custom_encoder, custom_decoder : Module, optional
        Used instead of the default stacks.
    batch_first : bool, default True
        As for the layers: ``(N, L, E)``; False for PyTorch's ``(L, N, E)``.

    Raises
    ------
    ValueError
        (forward) ``src`` / ``tgt`` feature sizes other than ``d_model``, or batch sizes
        that differ.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> model = nn.Transformer(d_model=8, num_heads=2, num_encoder_layers=1,
    ...                        num_decoder_layers=1, dim_feedforward=16)
    >>> src, tgt = lucid.random.randn(2, 7, 8), lucid.random.randn(2, 5, 8)
    >>> model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(5)).shape
    (2, 5, 8)
    """

    @renamed(nhead="num_heads")
    def __init__(self, d_model=512, num_heads=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 norm_first=False, bias=True, custom_encoder=None, custom_decoder=None,
                 batch_first=True):
        super().__init__()
        batch_first = check_bool(batch_first, "Transformer", "batch_first")
        settings = dict(dim_feedforward=dim_feedforward, dropout=dropout,
                        activation=activation, layer_norm_eps=layer_norm_eps,
                        batch_first=batch_first, norm_first=norm_first, bias=bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(d_model, num_heads, **settings), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(d_model, num_heads, **settings), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        self.d_model, self.batch_first = int(d_model), batch_first
        self.num_heads = self.nhead = int(num_heads)
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        """Encode ``src``, then decode ``tgt`` against it; returns ``tgt``'s shape."""
        _features("Transformer", "src", src, self.d_model, self.batch_first)
        _features("Transformer", "tgt", tgt, self.d_model, self.batch_first)
        batch_axis = 0 if self.batch_first else 1
        if src.ndim != tgt.ndim or (src.ndim == 3 and
                                    src.shape[batch_axis] != tgt.shape[batch_axis]):
            raise ValueError(f"Transformer: src and tgt must have the same batch size "
                             f"(axis {batch_axis}) and number of axes; got src {src.shape} "
                             f"and tgt {tgt.shape}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, dtype=None):
        r"""The causal float mask ``(sz, sz)``: :math:`0` on and below the diagonal,
        :math:`-\infty` above (position :math:`i` sees positions :math:`j \le i`).

        Examples
        --------
        >>> from lucid import nn
        >>> print(nn.Transformer.generate_square_subsequent_mask(3))
        Tensor([[0.0, -inf, -inf], [0.0, 0.0, -inf], [0.0, 0.0, 0.0]])
        """
        size = _positive_int("Transformer.generate_square_subsequent_mask", "sz", sz)
        return Tensor(causal_mask(size, size, np.dtype(dtype or np.float32)))
