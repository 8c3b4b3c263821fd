r"""MobileNetV4 (Qin et al., 2024): the universal inverted bottleneck and mobile MQA.

"MobileNetV4: universal models for the mobile ecosystem", ECCV 2024. One block, the
*universal inverted bottleneck* (UIB), covers four earlier ones by making its two
depthwise convolutions optional:

==============  =====================================  ==========================
UIB variant     layers                                 the same as
==============  =====================================  ==========================
ExtraDW         dw(a) - 1x1 expand - dw(k) - 1x1       (new)
IB              1x1 expand - dw(k) - 1x1                MobileNetV2's block
ConvNeXt        dw(a) - 1x1 expand - 1x1                ConvNeXt's block
FFN             1x1 expand - 1x1                        a transformer's MLP
==============  =====================================  ==========================

(``dw(a)`` is a depthwise :math:`a \times a` convolution before the expansion, without
activation; ``dw(k)`` one after it, with activation.) The nets start with a 3x3/2 stem
and a *FusedIB* (:class:`~lucid.nn.FusedMBConv`) or plain convolutions, and end with a
1x1 convolution to 960, global pooling, a 1x1 convolution to 1280 with batch norm and
activation, and the classifier. The *hybrid* nets insert *mobile multi-query
attention* (:class:`MobileMQA`) blocks in the last two stages: all heads share one key
and one value, which are computed on a map downsampled by a strided depthwise
convolution in the third stage; their UIB and attention blocks carry a layer scale
(:math:`10^{-5}`). The block tables are the paper's Tables 11-15 (as its released code
and timm build them); activations are ReLU, GELU for Hybrid-Large.
"""
import math

from lucid import flatten, nn, ops
from lucid.models._common import conv_bn, factory, init_like_torchvision, make_divisible
from lucid.nn import functional as F
from lucid.nn import init

__all__ = ["UniversalInvertedBottleneck", "MobileMQA", "MobileNetV4",
           "mobilenet_v4_conv_small", "mobilenet_v4_conv_medium", "mobilenet_v4_conv_large",
           "mobilenet_v4_hybrid_medium", "mobilenet_v4_hybrid_large"]


class UniversalInvertedBottleneck(nn.Module):
    r"""The UIB block: optional depthwise convolutions around an inverted bottleneck.

    .. math:: F(x) = \mathrm{BN}(W_{proj} * \phi(\mathrm{BN}(W_{k} \circledast
              \phi(\mathrm{BN}(W_{exp} * \mathrm{BN}(W_{a} \circledast x)))))),

    :math:`y = x + \mathrm{DropPath}(\gamma \odot F(x))` when the shape is kept, else
    :math:`F(x)`. :math:`W_a` (``start_kernel`` :math:`a`, no activation) and
    :math:`W_k` (``mid_kernel`` :math:`k`) are depthwise and skipped when their size
    is 0; the stride goes to :math:`W_k` if present, else to :math:`W_a`. :math:`\gamma`
    is a layer scale (when ``layer_scale`` is given).

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, out_channels, ceil(H / stride), ceil(W / stride))``.

    Backward: through its layers and the shortcut.

    Parameters
    ----------
    in_channels, out_channels : int
    start_kernel, mid_kernel : int
        0 for none.
    stride : int, default 1
    expand_ratio : float, default 4
        The hidden width is ``make_divisible(in_channels * expand_ratio, 8)``.
    activation : Module class, default ReLU
    layer_scale : float, optional
    drop_path : float, default 0

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import UniversalInvertedBottleneck
    >>> block = UniversalInvertedBottleneck(16, 16, start_kernel=3, mid_kernel=3)  # ExtraDW
    >>> block(lucid.random.randn(2, 16, 6, 6)).shape
    (2, 16, 6, 6)
    >>> UniversalInvertedBottleneck(16, 24, 5, 0, stride=2)(lucid.random.randn(1, 16, 6, 6)).shape
    (1, 24, 3, 3)
    """

    def __init__(self, in_channels, out_channels, start_kernel, mid_kernel, stride=1,
                 expand_ratio=4, activation=nn.ReLU, layer_scale=None, drop_path=0.0):
        super().__init__()
        mid = make_divisible(in_channels * expand_ratio)
        self.dw_start = (conv_bn(in_channels, in_channels, start_kernel,
                                 1 if mid_kernel else stride, groups=in_channels,
                                 activation=None) if start_kernel else None)
        self.pw_exp = conv_bn(in_channels, mid, 1, activation=activation)
        self.dw_mid = (conv_bn(mid, mid, mid_kernel, stride, groups=mid, activation=activation)
                       if mid_kernel else None)
        self.pw_proj = conv_bn(mid, out_channels, 1, activation=None)
        self.layer_scale = nn.LayerScale(out_channels, layer_scale) if layer_scale else None
        self.use_shortcut = stride == 1 and in_channels == out_channels
        self.drop_path = nn.DropPath(drop_path)

    def forward(self, x):
        """``x + drop_path(gamma * F(x))`` or ``F(x)``."""
        out = x if self.dw_start is None else self.dw_start(x)
        out = self.pw_exp(out)
        if self.dw_mid is not None:
            out = self.dw_mid(out)
        out = self.pw_proj(out)
        if self.layer_scale is not None:
            out = self.layer_scale(out)
        return x + self.drop_path(out) if self.use_shortcut else out


class MobileMQA(nn.Module):
    r"""Mobile multi-query attention on a feature map, as a residual block.

    .. math::

        \hat x = \mathrm{BN}(x), \quad Q_h = W^Q_h \hat x, \quad
        K = W^K D_K(\hat x), \quad V = W^V D_V(\hat x)

        \mathrm{head}_h = \mathrm{softmax}\Bigl(\frac{Q_h K^\top}{\sqrt{d}}\Bigr) V,
        \qquad y = x + \gamma \odot W^O [\mathrm{head}_1, \dots, \mathrm{head}_H]

    Every position of the map is a token. The :math:`H` heads have their own queries
    (``query``: 1x1 convolution to :math:`Hd`) but share one key and one value
    (``key``, ``value``: 1x1 convolutions to :math:`d`), computed on the map
    downsampled by :math:`D` (a depthwise 3x3 convolution with stride ``kv_stride``
    and batch norm; none when ``kv_stride == 1``). ``output`` maps the :math:`Hd`
    head channels back.

    Shapes: input ``(N, C, H, W)``; output ``(N, out_channels, H, W)``.

    Backward: through the attention (softmax and the two products), the projections
    and the residual sum.

    Parameters
    ----------
    in_channels, out_channels : int
    num_heads : int
    key_dim : int
        :math:`d` (keys and values).
    kv_stride : int, default 1
    kernel_size : int, default 3
        Of the key/value downsampling.
    layer_scale : float, optional
    drop_path : float, default 0

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import MobileMQA
    >>> block = MobileMQA(16, 16, num_heads=2, key_dim=8, kv_stride=2)
    >>> block(lucid.random.randn(2, 16, 6, 6)).shape
    (2, 16, 6, 6)
    """

    def __init__(self, in_channels, out_channels, num_heads, key_dim, kv_stride=1,
                 kernel_size=3, layer_scale=None, drop_path=0.0):
        super().__init__()
        self.num_heads, self.key_dim = num_heads, key_dim
        self.norm = nn.BatchNorm2d(in_channels)
        self.query = nn.Conv2d(in_channels, num_heads * key_dim, 1, bias=False)

        def shared(name):
            layers = []
            if kv_stride > 1:
                layers += [nn.Conv2d(in_channels, in_channels, kernel_size, kv_stride,
                                     kernel_size // 2, groups=in_channels, bias=False),
                           nn.BatchNorm2d(in_channels)]
            layers.append(nn.Conv2d(in_channels, key_dim, 1, bias=False))
            return nn.Sequential(*layers)

        self.key, self.value = shared("key"), shared("value")
        self.output = nn.Conv2d(num_heads * key_dim, out_channels, 1, bias=False)
        self.layer_scale = nn.LayerScale(out_channels, layer_scale) if layer_scale else None
        self.use_shortcut = in_channels == out_channels
        self.drop_path = nn.DropPath(drop_path)
        self.reset_parameters()

    def reset_parameters(self):
        """Xavier-uniform projections and downsampling (the released code's choice)."""
        for module in (self.query, self.key, self.value, self.output):
            for conv in module.modules():
                if isinstance(conv, nn.Conv2d):
                    init.xavier_uniform(conv.weight)

    def forward(self, x):
        """``x + gamma * MQA(BN(x))``."""
        n, _, h, w = x.shape
        z = self.norm(x)
        q = ops.reshape(self.query(z), (n, self.num_heads, self.key_dim, h * w))
        q = ops.transpose(q, (0, 1, 3, 2))                                 # (N, H, L, d)
        k = self.key(z)
        k = ops.reshape(k, (n, 1, self.key_dim, k.shape[2] * k.shape[3]))  # (N, 1, d, P)
        v = self.value(z)
        v = ops.transpose(ops.reshape(v, (n, 1, self.key_dim, v.shape[2] * v.shape[3])),
                          (0, 1, 3, 2))                                    # (N, 1, P, d)
        attn = F.softmax((q @ k) * (1.0 / math.sqrt(self.key_dim)), axis=-1)
        heads = ops.transpose(attn @ v, (0, 1, 3, 2))                      # (N, H, d, L)
        out = self.output(ops.reshape(heads, (n, self.num_heads * self.key_dim, h, w)))
        if self.layer_scale is not None:
            out = self.layer_scale(out)
        return x + self.drop_path(out) if self.use_shortcut else out


# Block tables: ("conv", k, stride, out) | ("fused", k, stride, expand, out)
# | ("uib", start, mid, stride, expand, out) | ("mqa", heads, kv_stride, key_dim, out)
_V4 = {
    "conv_small": (32, nn.ReLU, [
        [("conv", 3, 2, 32), ("conv", 1, 1, 32)],
        [("conv", 3, 2, 96), ("conv", 1, 1, 64)],
        [("uib", 5, 5, 2, 3, 96)] + [("uib", 0, 3, 1, 2, 96)] * 4 + [("uib", 3, 0, 1, 4, 96)],
        [("uib", 3, 3, 2, 6, 128), ("uib", 5, 5, 1, 4, 128), ("uib", 0, 5, 1, 4, 128),
         ("uib", 0, 5, 1, 3, 128)] + [("uib", 0, 3, 1, 4, 128)] * 2,
        [("conv", 1, 1, 960)]]),
    "conv_medium": (32, nn.ReLU, [
        [("fused", 3, 2, 4, 48)],
        [("uib", 3, 5, 2, 4, 80), ("uib", 3, 3, 1, 2, 80)],
        [("uib", 3, 5, 2, 6, 160)] + [("uib", 3, 3, 1, 4, 160)] * 2
        + [("uib", 3, 5, 1, 4, 160), ("uib", 3, 3, 1, 4, 160), ("uib", 3, 0, 1, 4, 160),
           ("uib", 0, 0, 1, 2, 160), ("uib", 3, 0, 1, 4, 160)],
        [("uib", 5, 5, 2, 6, 256), ("uib", 5, 5, 1, 4, 256)] + [("uib", 3, 5, 1, 4, 256)] * 2
        + [("uib", 0, 0, 1, 4, 256), ("uib", 3, 0, 1, 4, 256), ("uib", 3, 5, 1, 2, 256),
           ("uib", 5, 5, 1, 4, 256)] + [("uib", 0, 0, 1, 4, 256)] * 2
        + [("uib", 5, 0, 1, 2, 256)],
        [("conv", 1, 1, 960)]]),
    "conv_large": (24, nn.ReLU, [
        [("fused", 3, 2, 4, 48)],
        [("uib", 3, 5, 2, 4, 96), ("uib", 3, 3, 1, 4, 96)],
        [("uib", 3, 5, 2, 4, 192)] + [("uib", 3, 3, 1, 4, 192)] * 3
        + [("uib", 3, 5, 1, 4, 192)] + [("uib", 5, 3, 1, 4, 192)] * 5
        + [("uib", 3, 0, 1, 4, 192)],
        [("uib", 5, 5, 2, 4, 512)] + [("uib", 5, 5, 1, 4, 512)] * 3
        + [("uib", 5, 0, 1, 4, 512), ("uib", 5, 3, 1, 4, 512)] + [("uib", 5, 0, 1, 4, 512)] * 2
        + [("uib", 5, 3, 1, 4, 512), ("uib", 5, 5, 1, 4, 512)] + [("uib", 5, 0, 1, 4, 512)] * 3,
        [("conv", 1, 1, 960)]]),
    "hybrid_medium": (32, nn.ReLU, [
        [("fused", 3, 2, 4, 48)],
        [("uib", 3, 5, 2, 4, 80), ("uib", 3, 3, 1, 2, 80)],
        [("uib", 3, 5, 2, 6, 160), ("uib", 0, 0, 1, 2, 160), ("uib", 3, 3, 1, 4, 160),
         ("uib", 3, 5, 1, 4, 160), ("mqa", 4, 2, 64, 160), ("uib", 3, 3, 1, 4, 160),
         ("mqa", 4, 2, 64, 160), ("uib", 3, 0, 1, 4, 160), ("mqa", 4, 2, 64, 160),
         ("uib", 3, 3, 1, 4, 160), ("mqa", 4, 2, 64, 160), ("uib", 3, 0, 1, 4, 160)],
        [("uib", 5, 5, 2, 6, 256), ("uib", 5, 5, 1, 4, 256)] + [("uib", 3, 5, 1, 4, 256)] * 2
        + [("uib", 0, 0, 1, 2, 256), ("uib", 3, 5, 1, 2, 256), ("uib", 0, 0, 1, 2, 256),
           ("uib", 0, 0, 1, 4, 256), ("mqa", 4, 1, 64, 256), ("uib", 3, 0, 1, 4, 256),
           ("mqa", 4, 1, 64, 256), ("uib", 5, 5, 1, 4, 256), ("mqa", 4, 1, 64, 256),
           ("uib", 5, 0, 1, 4, 256), ("mqa", 4, 1, 64, 256), ("uib", 5, 0, 1, 4, 256)],
        [("conv", 1, 1, 960)]]),
    "hybrid_large": (24, nn.GELU, [
        [("fused", 3, 2, 4, 48)],
        [("uib", 3, 5, 2, 4, 96), ("uib", 3, 3, 1, 4, 96)],
        [("uib", 3, 5, 2, 4, 192)] + [("uib", 3, 3, 1, 4, 192)] * 3
        + [("uib", 3, 5, 1, 4, 192)] + [("uib", 5, 3, 1, 4, 192)] * 2
        + [("mqa", 8, 2, 48, 192), ("uib", 5, 3, 1, 4, 192)] * 3
        + [("mqa", 8, 2, 48, 192), ("uib", 3, 0, 1, 4, 192)],
        [("uib", 5, 5, 2, 4, 512)] + [("uib", 5, 5, 1, 4, 512)] * 3
        + [("uib", 5, 0, 1, 4, 512), ("uib", 5, 3, 1, 4, 512)] + [("uib", 5, 0, 1, 4, 512)] * 2
        + [("uib", 5, 3, 1, 4, 512), ("uib", 5, 5, 1, 4, 512)]
        + [("mqa", 8, 1, 64, 512), ("uib", 5, 0, 1, 4, 512)] * 4,
        [("conv", 1, 1, 960)]]),
}


class MobileNetV4(nn.Module):
    r"""MobileNetV4: a stem, stages of conv / FusedIB / UIB / mobile-MQA blocks, a
    1x1 conv to 960, pooling, a 1x1 conv to 1280 with BN and activation, Linear.

    .. math:: y = W\,\mathrm{dropout}(\phi(\mathrm{BN}(W_{head}\,\mathrm{avgpool}(
              \mathrm{blocks}(\mathrm{stem}(x)))))) + b

    Shapes: input ``(N, in_channels, H, W)`` (224 in the paper, 256/384 for the large
    nets); output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    variant : str
        ``"conv_small"``, ``"conv_medium"``, ``"conv_large"``, ``"hybrid_medium"`` or
        ``"hybrid_large"``.
    num_classes : int, default 1000
    dropout : float, default 0.2
    drop_path : float, default 0
        Stochastic depth of the last block (rising linearly over the blocks).
    in_channels : int, default 3

    Examples
    --------
    >>> from lucid import nn
    >>> from lucid.models import MobileNetV4
    >>> with nn.shape_only():
    ...     net = MobileNetV4("conv_small")
    >>> net.count_parameters()
    3774024
    """

    def __init__(self, variant, num_classes=1000, dropout=0.2, drop_path=0.0, in_channels=3):
        super().__init__()
        if variant not in _V4:
            raise ValueError(f"MobileNetV4: variant must be one of {sorted(_V4)}; got {variant!r}")
        stem, act, stages = _V4[variant]
        scale = 1e-5 if variant.startswith("hybrid") else None
        self.stem = conv_bn(in_channels, stem, 3, 2, activation=act)
        channels, total = stem, sum(len(stage) for stage in stages)
        index, built = 0, []
        for stage in stages:
            blocks = []
            for spec in stage:
                rate = drop_path * index / total
                kind, *args = spec
                if kind == "conv":
                    k, s, out = args
                    blocks.append(conv_bn(channels, out, k, s, activation=act))
                elif kind == "fused":
                    k, s, e, out = args
                    blocks.append(nn.FusedMBConv(channels, out, k, s, e, activation=act,
                                                 drop_path=rate))
                elif kind == "uib":
                    a, k, s, e, out = args
                    blocks.append(UniversalInvertedBottleneck(channels, out, a, k, s, e, act,
                                                              scale, rate))
                else:
                    heads, kv_stride, d, out = args
                    blocks.append(MobileMQA(channels, out, heads, d, kv_stride,
                                            layer_scale=scale, drop_path=rate))
                channels = out
                index += 1
            built.append(nn.Sequential(*blocks))
        self.blocks = nn.Sequential(*built)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.head = conv_bn(channels, 1280, 1, activation=act)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1280, num_classes)
        init_like_torchvision(self, linear_std=0.01)
        for module in self.modules():
            if isinstance(module, MobileMQA):
                module.reset_parameters()

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, C, H, W)``."""
        x = self.head(self.avgpool(self.blocks(self.stem(x))))
        return self.fc(self.dropout(flatten(x, 1)))


def _factory(variant, title):
    return factory(__name__, f"mobilenet_v4_{variant}", f"MobileNetV4-{title}.",
                   lambda num_classes, kwargs: MobileNetV4(variant, num_classes=num_classes,
                                                           **kwargs),
                   "~lucid.models.MobileNetV4", hint="``dropout``, ``drop_path``, ``in_channels``",
                   family="mobilenet")


mobilenet_v4_conv_small = _factory("conv_small", "Conv-S")
mobilenet_v4_conv_medium = _factory("conv_medium", "Conv-M")
mobilenet_v4_conv_large = _factory("conv_large", "Conv-L")
mobilenet_v4_hybrid_medium = _factory("hybrid_medium", "Hybrid-M")
mobilenet_v4_hybrid_large = _factory("hybrid_large", "Hybrid-L")
