r"""The sequence-to-sequence Transformer of "Attention is all you need" (Vaswani et al.,
2017), for translation-style homework: tokens in, next-token logits out.

"Attention is all you need", NeurIPS 2017. :class:`lucid.nn.Transformer` is the
encoder-decoder stack; this model adds what turns token ids into its inputs and its
output into scores over the vocabulary:

.. math::

    e_{\mathrm{src}} = \sqrt{d}\, W_{\mathrm{src}}[\mathrm{src}] + PE,\qquad
    e_{\mathrm{tgt}} = \sqrt{d}\, W_{\mathrm{tgt}}[\mathrm{tgt}] + PE

    \mathrm{logits} = \mathrm{Decoder}(e_{\mathrm{tgt}},\
    \mathrm{Encoder}(e_{\mathrm{src}}))\, W_{\mathrm{gen}}^T + b_{\mathrm{gen}}

(dropout on both sums), with the fixed sinusoidal position encoding :math:`PE` of
:class:`PositionalEncoding`. Encoder and decoder are post-norm, ReLU, each stack
ending with a LayerNorm (the paper's and PyTorch's layout). Layout: batch first,
tokens ``(N, S)`` and ``(N, T)``, logits ``(N, T, V_tgt)``.

=========================  ==================================================
name                       layer
=========================  ==================================================
``src_embedding``          Embedding(V_src, d) (the same object as
                           ``tgt_embedding`` when ``share_embeddings``)
``tgt_embedding``          Embedding(V_tgt, d)
``positional_encoding``    sinusoidal table (a non-persistent buffer), Dropout
``transformer``            :class:`lucid.nn.Transformer` (``batch_first=True``)
``generator``              Linear(d, V_tgt) (its weight is
                           ``tgt_embedding.weight`` when ``share_embeddings``)
=========================  ==================================================

Parameter count. An encoder layer has :math:`4d^2 + 4d` (attention) +
:math:`2 d d_{ff} + d_{ff} + d` (feed-forward) + :math:`4d` (two LayerNorms); a decoder
layer one more attention and LayerNorm: :math:`8d^2 + 8d + 2 d d_{ff} + d_{ff} + d + 6d`;
each stack adds a final LayerNorm (:math:`2d`). With the paper's base sizes
(:math:`d = 512`, :math:`d_{ff} = 2048`, 8 heads, 6 + 6 layers):

* encoder :math:`6 \cdot 3{,}152{,}384 + 1{,}024 = 18{,}915{,}328`, decoder
  :math:`6 \cdot 4{,}204{,}032 + 1{,}024 = 25{,}225{,}216`: ``nn.Transformer`` has
  44,140,544 (as PyTorch's);
* the paper's shared vocabulary (about 37,000 byte-pair tokens for English-German) and
  its weight sharing (one :math:`V \times d` matrix for both embeddings and the
  pre-softmax layer) add :math:`37{,}000 \cdot 512 = 18{,}944{,}000` and the
  generator's bias 37,000: ``transformer_base()`` has **63,121,544** parameters (the
  paper rounds its model to "65 M"). Without sharing the same sizes give 101,009,544.

``transformer_big`` (:math:`d = 1024`, :math:`d_{ff} = 4096`, 16 heads, 6 + 6 layers,
dropout 0.3, the paper's "big") has 176,361,472 in ``nn.Transformer`` and, with the
shared vocabulary of 37,000, **214,286,472** (the paper: "213 M").

The original lucid documented 62,584,544 and 213,237,472 for its ``transformer_base``
and ``transformer_big``: the same stacks with two *separate* vocabularies of 12,000
tokens each and no sharing, :math:`44{,}140{,}544 + (2 \cdot 512 + 513) \cdot 12{,}000`
and :math:`176{,}361{,}472 + (2 \cdot 1024 + 1025) \cdot 12{,}000`;
``transformer_base(src_vocab_size=12000, tgt_vocab_size=12000,
share_embeddings=False)`` builds it (the tests check both). lucid keeps the paper's
shared 37,000-token vocabulary as the default.

``transformer_tiny`` (:math:`d = 64`, :math:`d_{ff} = 256`, 4 heads, 2 + 2 layers, one
shared vocabulary of 1,000) has 298,728: ``nn.Transformer`` :math:`2 \cdot 49{,}984 + 128
+ 2 \cdot 66{,}752 + 128 = 233{,}728`, the shared matrix :math:`1{,}000 \cdot 64 = 64{,}000`
and the generator's bias 1,000.
"""
import math

import numpy as np

from lucid import nn, no_grad
from lucid._tensor import Tensor
from lucid.models._registry import register_model
from lucid.nn import init
from lucid.nn.modules.attention import _positive_int
from lucid._checks import check_bool

__all__ = ["PositionalEncoding", "Seq2SeqTransformer", "transformer_tiny", "transformer_base",
           "transformer_big"]


def sinusoidal_table(max_len, d_model):
    r"""The table :math:`PE` ``(max_len, d_model)`` of the paper's section 3.5 (float32).

    .. math:: PE_{p, 2i} = \sin(p / 10000^{2i/d}),\qquad
              PE_{p, 2i+1} = \cos(p / 10000^{2i/d})
    """
    position = np.arange(max_len, dtype=np.float64)[:, None]
    frequency = np.exp(-math.log(10000.0) * np.arange(0, d_model, 2) / d_model)
    table = np.zeros((max_len, d_model))
    table[:, 0::2] = np.sin(position * frequency)
    table[:, 1::2] = np.cos(position * frequency[:d_model // 2])
    return table.astype(np.float32)


class PositionalEncoding(nn.Module):
    r"""Add the fixed sinusoidal position encoding, then dropout (the paper's section 3.5).

    .. math:: y_{n, p, :} = \mathrm{dropout}(x_{n, p, :} + PE_{p, :}),\qquad
              PE_{p, 2i} = \sin\!\left(\frac{p}{10000^{2i/d}}\right),\quad
              PE_{p, 2i+1} = \cos\!\left(\frac{p}{10000^{2i/d}}\right)

    Every frequency is a sine/cosine pair, so :math:`PE_{p+k}` is a fixed rotation of
    :math:`PE_p`: relative positions are linear functions of the encoding. The table
    is a non-persistent buffer ``pe`` (not learnt, not in the state dict).

    Shapes: input ``(N, L, d_model)`` with ``L <= max_len``; output the same.

    Backward: the identity (the table is a constant), then dropout's mask.

    Parameters
    ----------
    d_model : int
    dropout : float, default 0.1
    max_len : int, default 5000

    Raises
    ------
    TypeError, ValueError
        Sizes that are not positive ints; in ``forward``, an input that is not
        ``(N, L, d_model)`` or longer than ``max_len``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import PositionalEncoding
    >>> pe = PositionalEncoding(d_model=4, dropout=0.0, max_len=10)
    >>> print(pe(lucid.zeros((1, 2, 4))).data.round(4))     # sin, cos, sin, cos at p = 0, 1
    [[[0.     1.     0.     1.    ]
      [0.8415 0.5403 0.01   1.    ]]]
    """

    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super().__init__()
        self.d_model = _positive_int("PositionalEncoding", "d_model", d_model)
        self.max_len = _positive_int("PositionalEncoding", "max_len", max_len)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pe", sinusoidal_table(max_len, d_model), persistent=False)

    def forward(self, x):
        """``dropout(x + PE[:L])`` for ``x`` of shape ``(N, L, d_model)``."""
        if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[-1] != self.d_model \
                or x.shape[1] > self.max_len:
            given = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"PositionalEncoding: expected input of shape (N, L, "
                             f"{self.d_model}) with L <= max_len = {self.max_len}; got {given}")
        return self.dropout(x + self.pe[:x.shape[1]].astype(x.dtype))

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}"


def _tokens(name, arg, x):
    """Token ids must be a 2-d integer Tensor ``(N, L)``."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: {arg} must be a Tensor of token ids; got {type(x).__name__}")
    if x.ndim != 2 or x.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected {arg} of integer token ids of shape (N, L); "
                         f"got shape {x.shape} and dtype {x.dtype}")
    return x


class Seq2SeqTransformer(nn.Module):
    r"""The encoder-decoder Transformer on token ids: embeddings, positions,
    :class:`lucid.nn.Transformer`, a Linear to the target vocabulary.

    .. math:: \mathrm{logits} = \mathrm{generator}(\mathrm{Decoder}(
              \mathrm{PE}(\sqrt d\, E_{\mathrm{tgt}}[\mathrm{tgt}]),\
              \mathrm{Encoder}(\mathrm{PE}(\sqrt d\, E_{\mathrm{src}}[\mathrm{src}]))))

    See :mod:`lucid.models.transformer` for the layers and the parameter count. For
    teacher forcing, ``tgt`` is the target shifted right (a start token first), the
    decoder needs the causal ``tgt_mask`` (:meth:`causal_mask`), and padded positions
    are hidden with ``*_key_padding_mask`` (True = padding). The weights start as in
    PyTorch's ``nn.Transformer`` (Xavier-uniform matrices), the embeddings from
    :math:`\mathcal N(0, 1/d)` (so :math:`\sqrt d\, E` has unit scale, like
    :math:`PE`), the unshared generator as a default Linear.

    Shapes: ``src`` ``(N, S)``, ``tgt`` ``(N, T)`` integer ids; masks as in
    :class:`lucid.nn.Transformer` with ``batch_first=True`` (``tgt_mask`` ``(T, T)``,
    ``src_key_padding_mask`` ``(N, S)`` ...); output ``(N, T, tgt_vocab_size)``.

    Backward: through the generator, the decoder, the encoder (via ``memory``), the
    position encoding (the identity) and the embeddings (each used row collects its
    tokens' gradients, times :math:`\sqrt d`). With ``share_embeddings`` the one
    matrix sums the gradients of its three uses.

    Parameters
    ----------
    src_vocab_size, tgt_vocab_size : int
        :math:`V_{\mathrm{src}}`, :math:`V_{\mathrm{tgt}}`.
    d_model : int, default 512
    nhead : int, default 8
    num_encoder_layers, num_decoder_layers : int, default 6
    dim_feedforward : int, default 2048
    dropout : float, default 0.1
        After the positions, in every layer (training mode only).
    max_len : int, default 5000
        The longest sequence the position table covers.
    share_embeddings : bool, default False
        The paper's weight sharing: one matrix for both embeddings and the generator's
        weight (needs ``src_vocab_size == tgt_vocab_size``).

    Raises
    ------
    TypeError, ValueError
        Sizes that are not positive ints, ``share_embeddings`` with vocabularies of
        different sizes; in ``forward``, token ids that are not ``(N, L)`` integers or
        are out of range, sequences longer than ``max_len``, masks of the wrong shape.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import Seq2SeqTransformer
    >>> model = Seq2SeqTransformer(src_vocab_size=11, tgt_vocab_size=13, d_model=8,
    ...                            nhead=2, num_encoder_layers=1, num_decoder_layers=1,
    ...                            dim_feedforward=16).eval()
    >>> src = lucid.Tensor([[1, 2, 3, 4], [5, 6, 7, 0]])
    >>> tgt = lucid.Tensor([[1, 9, 9], [1, 8, 0]])
    >>> pad = lucid.Tensor([[False] * 4, [False] * 3 + [True]])
    >>> logits = model(src, tgt, tgt_mask=model.causal_mask(3), src_key_padding_mask=pad,
    ...                memory_key_padding_mask=pad)
    >>> logits.shape
    (2, 3, 13)
    >>> model.greedy_decode(src, start_token=1, max_len=5).shape
    (2, 5)
    """

    def __init__(self, src_vocab_size, tgt_vocab_size, d_model=512, nhead=8,
                 num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048, dropout=0.1,
                 max_len=5000, share_embeddings=False):
        super().__init__()
        name = "Seq2SeqTransformer"
        _positive_int(name, "src_vocab_size", src_vocab_size)
        _positive_int(name, "tgt_vocab_size", tgt_vocab_size)
        self.d_model = _positive_int(name, "d_model", d_model)
        share_embeddings = check_bool(share_embeddings, name, "share_embeddings")
        if share_embeddings and src_vocab_size != tgt_vocab_size:
            raise ValueError(f"{name}: share_embeddings needs one vocabulary size; got "
                             f"src_vocab_size={src_vocab_size} and "
                             f"tgt_vocab_size={tgt_vocab_size}")
        self.share_embeddings = share_embeddings
        self.src_embedding = nn.Embedding(src_vocab_size, d_model)
        self.tgt_embedding = (self.src_embedding if share_embeddings
                              else nn.Embedding(tgt_vocab_size, d_model))
        self.positional_encoding = PositionalEncoding(d_model, dropout, max_len)
        self.transformer = nn.Transformer(d_model, nhead, num_encoder_layers,
                                          num_decoder_layers, dim_feedforward, dropout,
                                          batch_first=True)
        self.generator = nn.Linear(d_model, tgt_vocab_size)
        for embedding in (self.src_embedding, self.tgt_embedding):
            init.normal(embedding.weight, std=d_model ** -0.5)
        if share_embeddings:
            self.generator.weight = self.tgt_embedding.weight

    @staticmethod
    def causal_mask(size):
        """The decoder's ``tgt_mask`` ``(size, size)``: 0 on and below the diagonal,
        ``-inf`` above (see :meth:`lucid.nn.Transformer.generate_square_subsequent_mask`).

        Examples
        --------
        >>> from lucid.models import Seq2SeqTransformer
        >>> print(Seq2SeqTransformer.causal_mask(2))
        Tensor([[0.0, -inf], [0.0, 0.0]])
        """
        return nn.Transformer.generate_square_subsequent_mask(size)

    def _embed(self, embedding, tokens):
        """``PE(sqrt(d) * E[tokens])``: ``(N, L)`` ids -> ``(N, L, d)``."""
        return self.positional_encoding(embedding(tokens) * math.sqrt(self.d_model))

    def encode(self, src, src_mask=None, src_key_padding_mask=None):
        """The encoder's output ``memory`` ``(N, S, d_model)`` for ids ``src`` ``(N, S)``."""
        src = _tokens("Seq2SeqTransformer.encode", "src", src)
        return self.transformer.encoder(self._embed(self.src_embedding, src), mask=src_mask,
                                        src_key_padding_mask=src_key_padding_mask)

    def decode(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
               memory_key_padding_mask=None):
        """Logits ``(N, T, tgt_vocab_size)`` for ids ``tgt`` ``(N, T)`` given ``memory``."""
        tgt = _tokens("Seq2SeqTransformer.decode", "tgt", tgt)
        out = self.transformer.decoder(self._embed(self.tgt_embedding, tgt), memory,
                                       tgt_mask=tgt_mask, memory_mask=memory_mask,
                                       tgt_key_padding_mask=tgt_key_padding_mask,
                                       memory_key_padding_mask=memory_key_padding_mask)
        return self.generator(out)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None):
        """Next-token logits ``(N, T, tgt_vocab_size)`` for ``src`` ``(N, S)`` and the
        shifted target ``tgt`` ``(N, T)``."""
        src = _tokens("Seq2SeqTransformer", "src", src)
        tgt = _tokens("Seq2SeqTransformer", "tgt", tgt)
        if src.shape[0] != tgt.shape[0]:
            raise ValueError(f"Seq2SeqTransformer: src and tgt must have the same batch "
                             f"size; got src {src.shape} and tgt {tgt.shape}")
        out = self.transformer(self._embed(self.src_embedding, src),
                               self._embed(self.tgt_embedding, tgt), src_mask=src_mask,
                               tgt_mask=tgt_mask, memory_mask=memory_mask,
                               src_key_padding_mask=src_key_padding_mask,
                               tgt_key_padding_mask=tgt_key_padding_mask,
                               memory_key_padding_mask=memory_key_padding_mask)
        return self.generator(out)

    def greedy_decode(self, src, start_token, max_len, end_token=None,
                      src_key_padding_mask=None):
        r"""Translate ``src`` greedily: start from ``start_token``, then append
        :math:`\arg\max` of the next-token logits until ``max_len`` tokens (or until
        every row has produced ``end_token``; a finished row is filled with it).

        Runs without gradients, in the mode the model is in (call ``eval()`` first).

        Parameters
        ----------
        src : Tensor
            ``(N, S)`` integer ids.
        start_token : int
        max_len : int
            Length of the result, ``start_token`` included.
        end_token : int, optional
        src_key_padding_mask : Tensor, optional
            ``(N, S)``, True at padding; also used as the memory padding mask.

        Returns
        -------
        Tensor
            ``(N, L)`` int64 ids, ``L <= max_len``, column 0 ``start_token``.

        Examples
        --------
        >>> import lucid
        >>> from lucid import models
        >>> model = models.transformer_tiny(src_vocab_size=20, tgt_vocab_size=20).eval()
        >>> out = model.greedy_decode(lucid.Tensor([[3, 4, 5]]), start_token=1, max_len=4)
        >>> out.shape, out.dtype, int(out.data[0, 0])
        ((1, 4), dtype('int64'), 1)
        """
        n = _tokens("Seq2SeqTransformer.greedy_decode", "src", src).shape[0]
        length = _positive_int("Seq2SeqTransformer.greedy_decode", "max_len", max_len)
        with no_grad():
            memory = self.encode(src, src_key_padding_mask=src_key_padding_mask)
            ys = np.full((n, 1), start_token, dtype=np.int64)
            done = np.zeros(n, dtype=bool)
            while ys.shape[1] < length and not done.all():
                logits = self.decode(Tensor(ys), memory, tgt_mask=self.causal_mask(ys.shape[1]),
                                     memory_key_padding_mask=src_key_padding_mask)
                step = logits.data[:, -1].argmax(axis=-1)
                if end_token is not None:
                    step = np.where(done, end_token, step)
                    done |= step == end_token
                ys = np.concatenate([ys, step[:, None].astype(np.int64)], axis=1)
        return Tensor(ys)


def _build(src_vocab_size, tgt_vocab_size, share_embeddings, sizes, kwargs):
    """A :class:`Seq2SeqTransformer` of ``sizes`` (overridable by ``kwargs``); shares the
    embeddings by default when the vocabularies have one size."""
    if share_embeddings is None:
        share_embeddings = src_vocab_size == tgt_vocab_size
    return Seq2SeqTransformer(src_vocab_size, tgt_vocab_size,
                              share_embeddings=share_embeddings, **{**sizes, **kwargs})


@register_model
def transformer_tiny(src_vocab_size=1000, tgt_vocab_size=1000, share_embeddings=None, **kwargs):
    """A small seq2seq Transformer for homework: d 64, 4 heads, 2 + 2 layers, d_ff 256.

    With the default vocabularies (1,000, shared) it has 298,728 parameters.

    Parameters
    ----------
    src_vocab_size, tgt_vocab_size : int, default 1000
    share_embeddings : bool, optional
        Default: share when the two sizes are equal (see :class:`Seq2SeqTransformer`).
    **kwargs
        Passed to :class:`Seq2SeqTransformer` (``dropout``, ``max_len``, sizes).

    Returns
    -------
    Seq2SeqTransformer

    Examples
    --------
    >>> from lucid import models
    >>> models.transformer_tiny().count_parameters()
    298728
    >>> models.transformer_tiny(src_vocab_size=30, tgt_vocab_size=40).share_embeddings
    False
    """
    sizes = dict(d_model=64, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
                 dim_feedforward=256)
    return _build(src_vocab_size, tgt_vocab_size, share_embeddings, sizes, kwargs)


@register_model
def transformer_base(src_vocab_size=37000, tgt_vocab_size=37000, share_embeddings=None,
                     **kwargs):
    """The paper's base model: d 512, 8 heads, 6 + 6 layers, d_ff 2048, dropout 0.1.

    With the default shared vocabulary of 37,000 tokens it has 63,121,544 parameters
    (see :mod:`lucid.models.transformer` for the sum).

    Parameters
    ----------
    src_vocab_size, tgt_vocab_size : int, default 37000
    share_embeddings : bool, optional
        Default: share when the two sizes are equal, as the paper does.
    **kwargs
        Passed to :class:`Seq2SeqTransformer`.

    Returns
    -------
    Seq2SeqTransformer

    Examples
    --------
    >>> from lucid import models
    >>> model = models.transformer_base(src_vocab_size=100, tgt_vocab_size=120)
    >>> model.transformer.d_model, len(model.transformer.encoder.layers)
    (512, 6)
    >>> model.generator
    Linear(in_features=512, out_features=120, bias=True)
    """
    sizes = dict(d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1)
    return _build(src_vocab_size, tgt_vocab_size, share_embeddings, sizes, kwargs)


@register_model
def transformer_big(src_vocab_size=37000, tgt_vocab_size=37000, share_embeddings=None,
                    **kwargs):
    """The paper's big model: d 1024, 16 heads, 6 + 6 layers, d_ff 4096, dropout 0.3.

    With the default shared vocabulary of 37,000 tokens it has 214,286,472 parameters
    (see :mod:`lucid.models.transformer` for the sum).

    Parameters
    ----------
    src_vocab_size, tgt_vocab_size : int, default 37000
    share_embeddings : bool, optional
        Default: share when the two sizes are equal, as the paper does.
    **kwargs
        Passed to :class:`Seq2SeqTransformer`.

    Returns
    -------
    Seq2SeqTransformer

    Examples
    --------
    >>> from lucid import models, nn
    >>> with nn.shape_only():
    ...     model = models.transformer_big()
    >>> model.transformer.d_model, model.transformer.encoder.layers[0].self_attn.num_heads
    (1024, 16)
    >>> model.count_parameters()
    214286472
    """
    sizes = dict(d_model=1024, nhead=16, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=4096, dropout=0.3)
    return _build(src_vocab_size, tgt_vocab_size, share_embeddings, sizes, kwargs)
