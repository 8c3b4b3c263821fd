r"""ConvNeXt (Liu et al., 2022) and ConvNeXt V2 (Woo et al., 2023).

"A ConvNet for the 2020s", CVPR 2022, modernises a ResNet step by step towards a vision
transformer: a *patchify* stem (4x4 convolution with stride 4), stage depths
(3, 3, 9, 3), a 7x7 depthwise convolution per block, an inverted MLP (:math:`C \to 4C
\to C`) with GELU, layer normalisation instead of batch norm, fewer activations and
norms, separate 2x2/2 downsampling layers, layer scale and stochastic depth:

.. math:: y = x + \mathrm{DropPath}\bigl(\gamma \odot W_2\,\mathrm{GELU}(W_1\,
          \mathrm{LN}(\mathrm{dwconv}_{7\times7}(x)))\bigr)

"ConvNeXt V2: co-designing and scaling ConvNets with masked autoencoders", CVPR 2023,
drops the layer scale and adds *global response normalisation*
(:class:`~lucid.nn.GlobalResponseNorm`) after the GELU, which keeps the channels from
collapsing to the same features.

=====================  ==================  ===========================
model                  depths              widths
=====================  ==================  ===========================
V2-Atto                2, 2, 6, 2          40, 80, 160, 320
V2-Femto               2, 2, 6, 2          48, 96, 192, 384
V2-Pico                2, 2, 6, 2          64, 128, 256, 512
V2-Nano                2, 2, 8, 2          80, 160, 320, 640
Tiny, V2-Tiny          3, 3, 9, 3          96, 192, 384, 768
Small                  3, 3, 27, 3         96, 192, 384, 768
Base, V2-Base          3, 3, 27, 3         128, 256, 512, 1024
Large, V2-Large        3, 3, 27, 3         192, 384, 768, 1536
XLarge                 3, 3, 27, 3         256, 512, 1024, 2048
V2-Huge                3, 3, 27, 3         352, 704, 1408, 2816
=====================  ==================  ===========================

The head is global average pooling, layer norm and Linear. Here the block's MLP is
written with 1x1 convolutions on the ``(N, C, H, W)`` map (the same weights as the
paper's Linear layers on channels-last pixels, in the other layout) and its layer norm
is :class:`~lucid.nn.LayerNorm2d`. Weights start as the paper's: convolutions and
Linear layers :math:`\mathcal N(0, 0.02^2)` (the paper's truncation at :math:`\pm 2`
never acts at this scale), zero biases, layer scale :math:`10^{-6}`.
"""
from lucid import flatten, nn
from lucid.models._common import factory, init_normal

__all__ = ["ConvNeXtBlock", "ConvNeXt", "convnext_tiny", "convnext_small", "convnext_base",
           "convnext_large", "convnext_xlarge", "convnext_v2_atto", "convnext_v2_femto",
           "convnext_v2_pico", "convnext_v2_nano", "convnext_v2_tiny", "convnext_v2_base",
           "convnext_v2_large", "convnext_v2_huge"]


class ConvNeXtBlock(nn.Module):
    r"""The ConvNeXt block (V1 with layer scale, V2 with GRN).

    .. math:: y = x + \mathrm{DropPath}\bigl(S(W_2 * G(\mathrm{GELU}(W_1 *
              \mathrm{LN}(W_{dw} \circledast x)))))\bigr)

    :math:`W_{dw}`: 7x7 depthwise convolution (with bias); LN:
    :class:`~lucid.nn.LayerNorm2d`; :math:`W_1, W_2`: 1x1 convolutions
    :math:`C \to 4C \to C` (with bias); :math:`G`: :class:`~lucid.nn.GlobalResponseNorm`
    (V2) or the identity; :math:`S`: :class:`~lucid.nn.LayerScale` (V1) or the
    identity.

    Shapes: input ``(N, dim, H, W)``; output the same.

    Backward: through its layers and the residual sum.

    Parameters
    ----------
    dim : int
    drop_path : float, default 0
    layer_scale : float or None, default 1e-6
        Initial layer-scale value; None for no layer scale.
    grn : bool, default False
        Global response normalisation after the GELU (V2).

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import ConvNeXtBlock
    >>> block = ConvNeXtBlock(8, grn=True, layer_scale=None)
    >>> block(lucid.random.randn(2, 8, 5, 5)).shape
    (2, 8, 5, 5)
    """

    def __init__(self, dim, drop_path=0.0, layer_scale=1e-6, grn=False):
        super().__init__()
        # the layer scale first: the parameter order of torchvision's and timm's blocks
        self.layer_scale = nn.LayerScale(dim, layer_scale) if layer_scale else None
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm2d(dim)
        self.pwconv1 = nn.Conv2d(dim, 4 * dim, 1)
        self.act = nn.GELU()
        self.grn = nn.GlobalResponseNorm(4 * dim) if grn else None
        self.pwconv2 = nn.Conv2d(4 * dim, dim, 1)
        self.drop_path = nn.DropPath(drop_path)

    def forward(self, x):
        """``x + drop_path(branch(x))``."""
        out = self.act(self.pwconv1(self.norm(self.dwconv(x))))
        if self.grn is not None:
            out = self.grn(out)
        out = self.pwconv2(out)
        if self.layer_scale is not None:
            out = self.layer_scale(out)
        return x + self.drop_path(out)


class ConvNeXt(nn.Module):
    r"""ConvNeXt: a 4x4/4 stem, four stages of ConvNeXt blocks, pooling, LN, Linear.

    .. math:: y = W\,\mathrm{LN}(\mathrm{avgpool}(\mathrm{stage_4}(\cdots
              \mathrm{stage_1}(\mathrm{stem}(x))))) + b

    Stages 2-4 start with a downsampling layer (LayerNorm2d, 2x2 convolution with
    stride 2). Stochastic depth rises linearly from 0 to ``drop_path`` over the blocks.
    See :mod:`lucid.models.convnext` for the sizes.

    Shapes: input ``(N, in_channels, H, W)``, ``H, W`` multiples of 32 (224 in the
    paper); output ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    depths, dims : sequences of 4 ints
    num_classes : int, default 1000
    drop_path : float, default 0
    layer_scale : float or None, default 1e-6
    grn : bool, default False
        ConvNeXt V2 blocks (use with ``layer_scale=None``).
    in_channels : int, default 3

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import ConvNeXt
    >>> tiny = ConvNeXt([1, 1, 1, 1], [8, 16, 32, 64], num_classes=10).eval()
    >>> tiny(lucid.random.randn(1, 3, 32, 32)).shape
    (1, 10)
    """

    def __init__(self, depths, dims, num_classes=1000, drop_path=0.0, layer_scale=1e-6,
                 grn=False, in_channels=3):
        super().__init__()
        total, index = sum(depths), 0
        stages = []
        for i, (depth, dim) in enumerate(zip(depths, dims)):
            if i == 0:
                layers = [nn.Sequential(nn.Conv2d(in_channels, dim, 4, stride=4),
                                        nn.LayerNorm2d(dim))]
            else:
                layers = [nn.Sequential(nn.LayerNorm2d(dims[i - 1]),
                                        nn.Conv2d(dims[i - 1], dim, 2, stride=2))]
            for _ in range(depth):
                rate = drop_path * index / max(total - 1, 1)
                layers.append(ConvNeXtBlock(dim, rate, layer_scale, grn))
                index += 1
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.fc = nn.Linear(dims[-1], num_classes)
        init_normal(self, 0.02)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, C, H, W)``."""
        return self.fc(self.norm(flatten(self.avgpool(self.stages(x)), 1)))


def _factory(name, title, depths, dims, v2):
    extra = {"layer_scale": None, "grn": True} if v2 else {}
    return factory(__name__, name, f"ConvNeXt{title}: depths {tuple(depths)}, widths "
                   f"{tuple(dims)}.",
                   lambda num_classes, kwargs: ConvNeXt(depths, dims, num_classes=num_classes,
                                                        **{**extra, **kwargs}),
                   "~lucid.models.ConvNeXt", hint="``drop_path``, ``in_channels``...")


_T, _L = [3, 3, 9, 3], [3, 3, 27, 3]
convnext_tiny = _factory("convnext_tiny", "-T", _T, [96, 192, 384, 768], False)
convnext_small = _factory("convnext_small", "-S", _L, [96, 192, 384, 768], False)
convnext_base = _factory("convnext_base", "-B", _L, [128, 256, 512, 1024], False)
convnext_large = _factory("convnext_large", "-L", _L, [192, 384, 768, 1536], False)
convnext_xlarge = _factory("convnext_xlarge", "-XL", _L, [256, 512, 1024, 2048], False)
convnext_v2_atto = _factory("convnext_v2_atto", " V2-Atto", [2, 2, 6, 2], [40, 80, 160, 320],
                            True)
convnext_v2_femto = _factory("convnext_v2_femto", " V2-Femto", [2, 2, 6, 2],
                             [48, 96, 192, 384], True)
convnext_v2_pico = _factory("convnext_v2_pico", " V2-Pico", [2, 2, 6, 2], [64, 128, 256, 512],
                            True)
convnext_v2_nano = _factory("convnext_v2_nano", " V2-Nano", [2, 2, 8, 2], [80, 160, 320, 640],
                            True)
convnext_v2_tiny = _factory("convnext_v2_tiny", " V2-Tiny", _T, [96, 192, 384, 768], True)
convnext_v2_base = _factory("convnext_v2_base", " V2-Base", _L, [128, 256, 512, 1024], True)
convnext_v2_large = _factory("convnext_v2_large", " V2-Large", _L, [192, 384, 768, 1536], True)
convnext_v2_huge = _factory("convnext_v2_huge", " V2-Huge", _L, [352, 704, 1408, 2816], True)
