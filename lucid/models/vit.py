r"""The Vision Transformer (Dosovitskiy et al., 2021), torchvision's layout and names.

"An image is worth 16x16 words: Transformers for image recognition at scale", ICLR 2021.
The image is cut into :math:`P \times P` patches, each patch becomes a token by one
linear map, a learnt *class token* is put in front, learnt position embeddings are
added, and a pre-norm Transformer encoder mixes the tokens; the class token's final
state is classified:

.. math::

    z_0 = [x_{\mathrm{cls}};\ x_p^1 E;\ \dots;\ x_p^{M} E] + E_{\mathrm{pos}},\qquad
    M = (H / P)(W / P)

    z'_\ell = \mathrm{MSA}(\mathrm{LN}(z_{\ell-1})) + z_{\ell-1},\qquad
    z_\ell = \mathrm{MLP}(\mathrm{LN}(z'_\ell)) + z'_\ell,\qquad \ell = 1 \dots L

    y = \mathrm{head}(\mathrm{LN}(z_L^0))

====================  ============================================  ===================
name                  layer                                         output
====================  ============================================  ===================
``conv_proj``         Conv2d(C, D, P, stride=P): the patch map E    N x D x H/P x W/P
(in ``forward``)      flatten the grid, tokens first                N x M x D
``class_token``       Parameter (1, 1, D), put in front             N x (M+1) x D
``encoder``           ``+ pos_embedding`` (1, M+1, D), dropout,      N x (M+1) x D
                      L ``encoder_layer_i``, ``ln`` (LayerNorm)
``heads.head``        Linear(D, num_classes) of token 0             N x num_classes
====================  ============================================  ===================

Each encoder layer is ``ln_1`` (LayerNorm), ``self_attention`` (multi-head, ``h``
heads, :class:`~lucid.nn.MultiheadAttention`), dropout, residual; ``ln_2``, ``mlp``
(Linear(D, D_mlp), GELU, Dropout, Linear(D_mlp, D), Dropout), residual. Every LayerNorm
has :math:`\epsilon = 10^{-6}`. The state-dict names are torchvision's
(``class_token``, ``conv_proj.weight``, ``encoder.pos_embedding``,
``encoder.layers.encoder_layer_0.ln_1.weight``, ``...self_attention.in_proj_weight``,
``...mlp.0.weight``, ``...mlp.3.weight``, ``encoder.ln.weight``, ``heads.head.weight``),
so a torchvision checkpoint loads with ``load_state_dict``.

The registered configurations (the original lucid's five, the paper's Table 1 sizes
plus DeiT's Tiny and Small, all with 16 x 16 patches of 224 x 224 images, and one for
homework):

==============  =====  =====  ====  ==  =====  =====  ===========================
name            image  patch  D     L   heads  D_mlp  parameters (1000 classes)
==============  =====  =====  ====  ==  =====  =====  ===========================
``vit_tiny``    224    16     192   12  3      768    5,717,416
``vit_small``   224    16     384   12  6      1536   22,050,664
``vit_base``    224    16     768   12  12     3072   86,567,656
``vit_large``   224    16     1024  24  16     4096   304,326,632
``vit_huge``    224    16     1280  32  16     5120   632,199,400
``vit_cifar``   32     4      192   6   3      768    2,693,578 (10 classes)
==============  =====  =====  ====  ==  =====  =====  ===========================

Every count equals the original lucid's table and timm's ``vit_*_patch16_224``
(``vit_tiny``, ``vit_small``: DeiT's sizes); ``vit_base`` and ``vit_large`` are
torchvision's ``vit_b_16`` and ``vit_l_16`` (registered under those names too), with
the same state-dict names. ``vit_huge`` uses 16 x 16 patches as the original lucid
does; torchvision's ``vit_h_14`` (632,045,800 parameters) cuts 14 x 14 patches, which
is ``vit_huge(patch_size=14)``.

``vit_cifar`` is for homework on 32 x 32 images (CIFAR-10): DeiT-Tiny's width
(D = 192, 3 heads of 64, D_mlp = 4 D) on an 8 x 8 grid of 4 x 4 patches (64 tokens +
the class token), with 6 layers instead of 12 so that a NumPy forward pass stays quick
(``vit_cifar(num_layers=12)`` gives the full depth). lucid named it ``vit_tiny`` until
the original lucid's ``vit_tiny`` (ViT-Ti/16, 224 x 224 images) took that name.

A layer holds :math:`4D^2 + 4D` attention, :math:`2 D D_{mlp} + D_{mlp} + D` MLP and
:math:`4D` LayerNorm parameters; the rest is :math:`C P^2 D + D` (patches), :math:`D`
(class token), :math:`(M+1) D` (positions), :math:`2D` (last LayerNorm) and the head.
"""
import math
from collections import OrderedDict

import numpy as np

from lucid import broadcast_to, concatenate, nn
from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.models._common import factory
from lucid.models._registry import register_model
from lucid.nn import init
from lucid.nn.modules.attention import _positive_int
from lucid.nn.parameter import Parameter

__all__ = ["ViTEncoderBlock", "ViTEncoder", "VisionTransformer", "vit_cifar", "vit_tiny",
           "vit_small", "vit_base", "vit_large", "vit_huge"]

_LN_EPS = 1e-6                                        # torchvision's ViT LayerNorm epsilon


def _mlp_block(hidden_dim, mlp_dim, dropout):
    """torchvision's ``MLPBlock``: Linear, GELU, Dropout, Linear, Dropout (keys 0 ... 4)."""
    mlp = nn.Sequential(nn.Linear(hidden_dim, mlp_dim), nn.GELU(), nn.Dropout(dropout),
                        nn.Linear(mlp_dim, hidden_dim), nn.Dropout(dropout))
    for linear in (mlp[0], mlp[3]):                   # torchvision: Xavier, tiny normal bias
        init.xavier_uniform(linear.weight)
        init.normal(linear.bias, std=1e-6)
    return mlp


class ViTEncoderBlock(nn.Module):
    r"""One pre-norm Transformer encoder layer of a ViT (torchvision's ``EncoderBlock``).

    .. math::

        z' = z + \mathrm{DP}(\mathrm{dropout}(\mathrm{MSA}(\mathrm{LN}_1(z)))),\qquad
        \mathrm{out} = z' + \mathrm{DP}(\mathrm{MLP}(\mathrm{LN}_2(z')))

    with :math:`\mathrm{MLP}(u) = W_2\,\mathrm{GELU}(W_1 u + b_1) + b_2` (dropout after
    the GELU and after :math:`W_2`) and DP stochastic depth (the identity unless
    ``drop_path``). The weights start as torchvision's: the attention's
    own start (Xavier-uniform projections, zero biases), Xavier-uniform MLP weights and
    :math:`\mathcal N(0, 10^{-12})` MLP biases.

    Shapes: input ``(N, T, D)`` (tokens second); output ``(N, T, D)``.

    Backward: each residual passes the gradient around its branch and through it,
    :math:`\partial L/\partial z = g + J^T_{\mathrm{branch}}\, g`; the branches
    backpropagate through :class:`~lucid.nn.LayerNorm`,
    :class:`~lucid.nn.MultiheadAttention` and the Linear / GELU layers.

    Parameters
    ----------
    num_heads : int
        :math:`h`; must divide ``hidden_dim``.
    hidden_dim : int
        :math:`D`, the token size.
    mlp_dim : int
        :math:`D_{mlp}`, the MLP's hidden size.
    dropout : float, default 0.0
        After the attention and in the MLP (training mode only).
    attention_dropout : float, default 0.0
        On the attention weights (training mode only).
    drop_path : float, default 0.0
        Stochastic depth (:class:`~lucid.nn.DropPath`) on both residual branches (the
        ViT has none; CrossViT's branches use it).

    Raises
    ------
    TypeError, ValueError
        Sizes that are not positive ints, ``hidden_dim`` not divisible by ``num_heads``;
        in ``forward``, an input that is not ``(N, T, hidden_dim)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import ViTEncoderBlock
    >>> block = ViTEncoderBlock(num_heads=2, hidden_dim=8, mlp_dim=16)
    >>> block(lucid.random.randn(3, 5, 8)).shape
    (3, 5, 8)
    >>> [name for name, _ in block.named_children()]
    ['ln_1', 'self_attention', 'dropout', 'ln_2', 'mlp', 'drop_path']
    >>> block.count_parameters()       # 4*8*8 + 4*8 (attention) + 2*8*16 + 16 + 8 + 4*8
    600
    """

    def __init__(self, num_heads, hidden_dim, mlp_dim, dropout=0.0, attention_dropout=0.0,
                 drop_path=0.0):
        super().__init__()
        self.hidden_dim = _positive_int("ViTEncoderBlock", "hidden_dim", hidden_dim)
        _positive_int("ViTEncoderBlock", "mlp_dim", mlp_dim)
        self.ln_1 = nn.LayerNorm(hidden_dim, eps=_LN_EPS)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout,
                                                    batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = nn.LayerNorm(hidden_dim, eps=_LN_EPS)
        self.mlp = _mlp_block(hidden_dim, mlp_dim, dropout)
        self.drop_path = nn.DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x):
        """Attend, then transform every token; returns a tensor of ``x``'s shape."""
        if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[-1] != self.hidden_dim:
            given = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"ViTEncoderBlock: expected input of shape "
                             f"(N, T, {self.hidden_dim}); got {given}")
        y = self.ln_1(x)
        y = self.self_attention(y, y, y, need_weights=False)[0]
        x = x + self.drop_path(self.dropout(y))
        return x + self.drop_path(self.mlp(self.ln_2(x)))


class ViTEncoder(nn.Module):
    r"""Position embeddings, a stack of :class:`ViTEncoderBlock`, a final LayerNorm
    (torchvision's ``Encoder``).

    .. math:: z_0 = \mathrm{dropout}(x + E_{\mathrm{pos}}),\qquad
              z_\ell = \mathrm{Block}_\ell(z_{\ell-1}),\qquad
              \mathrm{out} = \mathrm{LN}(z_L)

    ``pos_embedding`` ``(1, seq_length, D)`` starts from :math:`\mathcal N(0, 0.02^2)`
    (torchvision's start); the layers are named ``encoder_layer_0`` ... in
    ``layers``.

    Shapes: input ``(N, seq_length, D)``; output the same.

    Backward: the chain rule through the layers in reverse; ``pos_embedding`` receives
    the gradient of :math:`z_0` summed over the batch.

    Parameters
    ----------
    seq_length : int
        Tokens per input (patches + 1 for the class token).
    num_layers : int
    num_heads : int
    hidden_dim : int
    mlp_dim : int
    dropout, attention_dropout : float, default 0.0

    Raises
    ------
    TypeError, ValueError
        Sizes that are not positive ints; in ``forward``, an input that is not
        ``(N, seq_length, hidden_dim)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import ViTEncoder
    >>> encoder = ViTEncoder(seq_length=5, num_layers=2, num_heads=2, hidden_dim=8,
    ...                      mlp_dim=16)
    >>> encoder(lucid.random.randn(3, 5, 8)).shape
    (3, 5, 8)
    >>> list(encoder.state_dict())[:2]
    ['pos_embedding', 'layers.encoder_layer_0.ln_1.weight']
    """

    def __init__(self, seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout=0.0,
                 attention_dropout=0.0):
        super().__init__()
        self.seq_length = _positive_int("ViTEncoder", "seq_length", seq_length)
        self.hidden_dim = _positive_int("ViTEncoder", "hidden_dim", hidden_dim)
        _positive_int("ViTEncoder", "num_layers", num_layers)
        self.pos_embedding = Parameter(np.zeros((1, seq_length, hidden_dim), np.float32))
        init.normal(self.pos_embedding, std=0.02)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", ViTEncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                   attention_dropout))
            for i in range(num_layers)))
        self.ln = nn.LayerNorm(hidden_dim, eps=_LN_EPS)

    def forward(self, x):
        """Add the positions, run the layers, normalise."""
        expected = (self.seq_length, self.hidden_dim)
        if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[1:] != expected:
            given = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"ViTEncoder: expected input of shape (N, {expected[0]}, "
                             f"{expected[1]}); got {given}")
        return self.ln(self.layers(self.dropout(x + self.pos_embedding)))


class VisionTransformer(nn.Module):
    r"""The Vision Transformer: patches -> tokens, a class token, a Transformer encoder,
    a linear head on the class token (torchvision's ``VisionTransformer``).

    .. math:: y = \mathrm{head}\big(\mathrm{Encoder}([x_{\mathrm{cls}};\
              \mathrm{tokens}(\mathrm{conv\_proj}(x))])_{:,0}\big)

    See :mod:`lucid.models.vit` for the layer table and the parameter count. Weights
    start as torchvision's: ``conv_proj`` from :math:`\mathcal N(0, 1/(C P^2))` (torchvision
    truncates at :math:`\pm 2`, about 50 standard deviations: never reached) with a zero
    bias, a zero class token, :math:`\mathcal N(0, 0.02^2)` positions, and a **zero
    head**: at the very first step only the head's bias and weight get a non-zero
    gradient (its weight becomes non-zero after one update, and the rest learns from
    then on).

    Shapes: input ``(N, in_channels, image_size, image_size)``; output
    ``(N, num_classes)`` (logits).

    Backward: through the head, the encoder (see :class:`ViTEncoder`), the
    concatenation (the class token receives the gradient of token 0 summed over the
    batch) and the patch convolution.

    Parameters
    ----------
    image_size : int
        Height and width of the input images.
    patch_size : int
        :math:`P`; must divide ``image_size``.
    num_layers : int
        :math:`L`, encoder layers.
    num_heads : int
        :math:`h`; must divide ``hidden_dim``.
    hidden_dim : int
        :math:`D`, the token size.
    mlp_dim : int
        :math:`D_{mlp}`, the hidden size of each layer's MLP.
    dropout : float, default 0.0
        On the embedded tokens, after each attention and in each MLP.
    attention_dropout : float, default 0.0
        On the attention weights.
    num_classes : int, default 1000
    representation_size : int, optional
        If given, the head is ``pre_logits`` Linear(D, representation_size), Tanh, then
        ``head`` (the paper's pre-training head); by default just ``head``.
    in_channels : int, default 3
        :math:`C` (1 for grey images; torchvision has only 3).

    Raises
    ------
    TypeError, ValueError
        Sizes that are not positive ints, ``patch_size`` not dividing ``image_size``,
        ``num_heads`` not dividing ``hidden_dim``; in ``forward``, an input that is not
        ``(N, in_channels, image_size, image_size)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import VisionTransformer
    >>> vit = VisionTransformer(image_size=8, patch_size=4, num_layers=1, num_heads=2,
    ...                         hidden_dim=8, mlp_dim=16, num_classes=3).eval()
    >>> vit(lucid.random.randn(2, 3, 8, 8)).shape          # 4 patches + the class token
    (2, 3)
    >>> vit.encoder.pos_embedding.shape
    (1, 5, 8)
    >>> list(vit.state_dict())[:4]
    ['class_token', 'conv_proj.weight', 'conv_proj.bias', 'encoder.pos_embedding']
    """

    def __init__(self, image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim,
                 dropout=0.0, attention_dropout=0.0, num_classes=1000,
                 representation_size=None, in_channels=3):
        super().__init__()
        name = "VisionTransformer"
        for arg, value in (("image_size", image_size), ("patch_size", patch_size),
                           ("hidden_dim", hidden_dim), ("num_classes", num_classes),
                           ("in_channels", in_channels)):
            _positive_int(name, arg, value)
        if image_size % patch_size:
            raise ValueError(f"{name}: patch_size ({patch_size}) must divide image_size "
                             f"({image_size})")
        self.image_size, self.patch_size = image_size, patch_size
        self.hidden_dim, self.in_channels = hidden_dim, in_channels
        self.conv_proj = nn.Conv2d(in_channels, hidden_dim, kernel_size=patch_size,
                                   stride=patch_size)
        seq_length = (image_size // patch_size) ** 2 + 1         # patches + class token
        self.class_token = Parameter(np.zeros((1, 1, hidden_dim), np.float32))
        self.encoder = ViTEncoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim,
                                  dropout, attention_dropout)
        self.seq_length = seq_length
        heads = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            _positive_int(name, "representation_size", representation_size)
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)
        self.reset_parameters()

    def reset_parameters(self):
        """torchvision's start of the patch map, the pre-logits and the head (the
        encoder's layers initialise themselves)."""
        fan_in = self.in_channels * self.patch_size ** 2
        init.normal(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        init.zeros(self.conv_proj.bias)
        if "pre_logits" in self.heads._modules:
            pre_logits = self.heads.pre_logits
            init.normal(pre_logits.weight, std=math.sqrt(1 / pre_logits.in_features))
            init.zeros(pre_logits.bias)
        init.zeros(self.heads.head.weight)
        init.zeros(self.heads.head.bias)

    def _tokens(self, x):
        """``(N, C, H, W)`` images -> ``(N, M, D)`` patch tokens."""
        size, c = self.image_size, self.in_channels
        if not isinstance(x, Tensor):
            raise TypeError(f"VisionTransformer: input must be a Tensor; got "
                            f"{type(x).__name__}")
        if x.ndim != 4 or x.shape[1:] != (c, size, size):
            raise ValueError(f"VisionTransformer: expected input of shape (N, {c}, {size}, "
                             f"{size}); got {x.shape}")
        return rearrange(self.conv_proj(x), "n d h w -> n (h w) d")

    def forward(self, x):
        """Logits of images ``x`` of shape ``(N, in_channels, image_size, image_size)``."""
        tokens = self._tokens(x)
        n = tokens.shape[0]
        cls = broadcast_to(self.class_token, (n, 1, self.hidden_dim))
        z = self.encoder(concatenate([cls, tokens], axis=1))
        return self.heads(z[:, 0])


@register_model
def vit_cifar(num_classes=10, **kwargs):
    """A small ViT for homework on 32 x 32 images: patch 4, D 192, 6 layers, 3 heads,
    D_mlp 768.

    2,693,578 parameters for 10 classes (see :mod:`lucid.models.vit`). Any setting of
    :class:`VisionTransformer` may be overridden, e.g. ``num_layers=12`` (DeiT-Tiny's
    depth) or ``in_channels=1, image_size=28`` for MNIST. (lucid called it ``vit_tiny``
    before the original lucid's ``vit_tiny``, the 5.7M ViT-Ti/16 for 224 x 224 images,
    took that name.)

    Parameters
    ----------
    num_classes : int, default 10
    **kwargs
        Passed to :class:`VisionTransformer`.

    Returns
    -------
    VisionTransformer

    Examples
    --------
    >>> import lucid
    >>> from lucid import models
    >>> vit = models.vit_cifar()
    >>> vit.count_parameters()
    2693578
    >>> with lucid.no_grad():
    ...     print(vit.eval()(lucid.random.randn(1, 3, 32, 32)).shape)
    (1, 10)
    """
    config = dict(image_size=32, patch_size=4, num_layers=6, num_heads=3, hidden_dim=192,
                  mlp_dim=768)
    return VisionTransformer(**{**config, **kwargs}, num_classes=num_classes)


def _factory(name, title, layers, heads, dim, aliases=(), examples=""):
    """A ViT-X/16 builder for 224 x 224 images (the paper's Table 1 sizes, DeiT's Ti/S)."""
    config = dict(image_size=224, patch_size=16, num_layers=layers, num_heads=heads,
                  hidden_dim=dim, mlp_dim=4 * dim)
    return factory(__name__, name, f"{title}/16: image 224, patch 16, D {dim}, {layers} layers, "
                   f"{heads} heads, D_mlp {4 * dim}.",
                   lambda num_classes, kwargs: VisionTransformer(
                       **{**config, **kwargs}, num_classes=num_classes),
                   "~lucid.models.VisionTransformer",
                   hint="``dropout``, ``image_size``, ``patch_size``...", aliases=aliases,
                   examples=examples)


_BASE_EXAMPLE = """    >>> from lucid import models
    >>> vit = models.vit_base(num_classes=10)
    >>> vit.encoder.pos_embedding.shape                # 14 x 14 patches + 1
    (1, 197, 768)
    >>> vit.heads.head
    Linear(in_features=768, out_features=10, bias=True)
"""

vit_tiny = _factory("vit_tiny", "ViT-Ti", 12, 3, 192)
vit_small = _factory("vit_small", "ViT-S", 12, 6, 384)
vit_base = _factory("vit_base", "ViT-B", 12, 12, 768, aliases=("vit_b_16",),
                    examples=_BASE_EXAMPLE)
vit_large = _factory("vit_large", "ViT-L", 24, 16, 1024, aliases=("vit_l_16",))
vit_huge = _factory("vit_huge", "ViT-H", 32, 16, 1280)
