r"""ResNet (He, Zhang, Ren and Sun, 2016), its pre-activation form (He et al., 2016b) and
Wide ResNet (Zagoruyko and Komodakis, 2016).

"Deep residual learning for image recognition", CVPR 2016. A 7x7 stem, four stages of
residual blocks, global average pooling and one Linear layer; each block adds its input
back, :math:`y = \mathrm{relu}(F(x) + s(x))`, with :math:`s` the identity or, when the
shape changes, a strided 1x1 convolution and batch norm (the paper's option B):

=========  =====================================================  ====================
stage      layers                                                 output (224 input)
=========  =====================================================  ====================
stem       conv1 7x7/2 (64, no bias), bn1, relu, maxpool 3x3/2    64 x 56 x 56
layer1     n1 blocks, width 64                                    64e x 56 x 56
layer2     n2 blocks, width 128, the first with stride 2          128e x 28 x 28
layer3     n3 blocks, width 256, the first with stride 2          256e x 14 x 14
layer4     n4 blocks, width 512, the first with stride 2          512e x 7 x 7
head       avgpool (global), flatten, fc Linear(512e, C)          num_classes
=========  =====================================================  ====================

The *basic block* (ResNet-18/34, :math:`e = 1`) is two 3x3 convolutions; the
*bottleneck* (ResNet-50 and deeper, :math:`e = 4`) is 1x1 (reduce), 3x3 (stride),
1x1 (expand to :math:`4\times` the width). Every convolution is bias-free and followed
by batch norm. Wide ResNet-50/101-2 double the inner width of every bottleneck
(``base_width=128``); ResNeXt (:mod:`lucid.models.resnext`) makes the 3x3 a grouped
convolution; SE-ResNet (:mod:`lucid.models.senet`) adds a squeeze-excitation to each
block. The deepest nets use the *pre-activation* bottleneck of "Identity mappings in
deep residual networks" (ECCV 2016): batch norm and ReLU *before* each convolution, so
the shortcut path is a pure identity, and one batch norm and ReLU after the last stage.

Names of the state dict are torchvision's (``conv1``, ``bn1``, ``layer1.0.conv1``,
``layer2.0.downsample.0``, ..., ``fc``), and weights start as torchvision's:
He-normal (fan-out) convolutions, batch-norm weight 1 and bias 0, the default Linear.
"""
from lucid import flatten, nn
from lucid.models._common import factory, init_like_torchvision

__all__ = ["BasicBlock", "Bottleneck", "PreActBottleneck", "ResNet", "PreActResNetCIFAR",
           "resnet_18", "resnet_34", "resnet_50", "resnet_101", "resnet_152", "resnet_200",
           "resnet_269", "resnet_1001", "wide_resnet_50", "wide_resnet_101"]


def shortcut(in_channels, out_channels, stride, avg_down=False, norm=True):
    """The projection shortcut: a strided 1x1 conv (+ BN); with ``avg_down`` an average
    pool does the striding and the conv is 1x1/1 (ResNet-D, used by ResNeSt)."""
    layers = []
    if avg_down and stride != 1:
        layers.append(nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False))
        stride = 1
    layers.append(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False))
    if norm:
        layers.append(nn.BatchNorm2d(out_channels))
    return nn.Sequential(*layers)


def sk_conv(in_channels, out_channels, stride=1, groups=1):
    """SKNet's selective-kernel unit (Li et al., 2019): branches 3x3 and 3x3 with
    dilation 2 (the paper's "5x5"), reduction 16 with at least 32 features, no bias in
    the select layer (:class:`~lucid.nn.SelectiveKernel`)."""
    return nn.SelectiveKernel(in_channels, out_channels, [3, 3], stride, groups=groups,
                              reduction=16, dilations=[1, 2], min_hidden=32, select_bias=False)


def _needs_shortcut(in_channels, out_channels, stride):
    return stride != 1 or in_channels != out_channels


class BasicBlock(nn.Module):
    r"""Two 3x3 conv-BN layers and a shortcut: :math:`y = \mathrm{relu}(F(x) + s(x))`.

    .. math:: F(x) = \mathrm{bn_2}(\mathrm{conv_2}(\mathrm{relu}(
              \mathrm{bn_1}(\mathrm{conv_1}(x)))))

    with :math:`s` the identity, or ``downsample`` (1x1 conv with ``stride`` + BN) when
    ``stride != 1`` or the channel count changes. With ``se_reduction`` a
    squeeze-excitation (:class:`~lucid.nn.SEModule`) rescales :math:`F(x)` before the
    sum (SE-ResNet).

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, channels, ceil(H / stride), ceil(W / stride))``.

    Backward: through its layers; the addition passes the gradient to both branches.

    Parameters
    ----------
    in_channels : int
    channels : int
        Output channels of both convolutions.
    stride : int, default 1
        Of the first convolution (and of the shortcut).
    se_reduction : int, optional
        Squeeze-excitation with this reduction ratio (none when omitted).
    avg_down : bool, default False
        Average-pool shortcut (see :func:`shortcut`).
    sk : bool, default False
        The first convolution becomes a selective-kernel unit (SKNet, see
        :func:`sk_conv`), which carries its own batch norm and ReLU.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import BasicBlock
    >>> block = BasicBlock(8, 16, stride=2)
    >>> block(lucid.random.randn(1, 8, 10, 10)).shape
    (1, 16, 5, 5)
    >>> [name for name, _ in block.named_children()]
    ['conv1', 'bn1', 'relu', 'conv2', 'bn2', 'downsample']
    """

    expansion = 1

    def __init__(self, in_channels, channels, stride=1, *, se_reduction=None, avg_down=False,
                 sk=False):
        super().__init__()
        if sk:
            self.conv1, self.bn1 = sk_conv(in_channels, channels, stride), None
        else:
            self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=3, stride=stride,
                                   padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.se = nn.SEModule(channels, se_reduction) if se_reduction else None
        self.downsample = (shortcut(in_channels, channels, stride, avg_down)
                           if _needs_shortcut(in_channels, channels, stride) else None)

    def forward(self, x):
        """``relu(F(x) + shortcut(x))``."""
        out = self.conv1(x) if self.bn1 is None else self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.se is not None:
            out = self.se(out)
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    r"""1x1 reduce, 3x3 (stride, groups), 1x1 expand, and a shortcut (ResNet-50 and up).

    .. math:: F(x) = \mathrm{bn_3}(W_3 * \mathrm{relu}(\mathrm{bn_2}(W_2 *
              \mathrm{relu}(\mathrm{bn_1}(W_1 * x))))), \qquad
              y = \mathrm{relu}(F(x) + s(x))

    The inner width is :math:`d = \lfloor c \cdot \texttt{base\_width} / 64 \rfloor
    \cdot \texttt{groups}` for ``channels`` :math:`c` (:math:`d = c` for ResNet; twice
    it for Wide ResNet; :math:`32 \times 4` for ResNeXt 32x4d at :math:`c = 64`); the
    output has :math:`4c` channels. Optional squeeze-excitation on :math:`F(x)`
    (SE-ResNet, SE-ResNeXt).

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, 4 * channels, ceil(H / stride), ceil(W / stride))``.

    Backward: through its layers and the shortcut.

    Parameters
    ----------
    in_channels, channels : int
    stride : int, default 1
    groups : int, default 1
        Of the 3x3 convolution (the cardinality of ResNeXt).
    base_width : int, default 64
    se_reduction : int, optional
    avg_down : bool, default False
    sk : bool, default False
        The 3x3 convolution becomes a selective-kernel unit (SKNet, see
        :func:`sk_conv`).

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import Bottleneck
    >>> block = Bottleneck(64, 16)
    >>> block(lucid.random.randn(1, 64, 6, 6)).shape, block.downsample is None
    ((1, 64, 6, 6), True)
    >>> Bottleneck(64, 64, groups=32, base_width=4).conv2.weight.shape   # ResNeXt 32x4d
    (128, 4, 3, 3)
    """

    expansion = 4

    def __init__(self, in_channels, channels, stride=1, *, groups=1, base_width=64,
                 se_reduction=None, avg_down=False, sk=False):
        super().__init__()
        width = int(channels * (base_width / 64.0)) * groups
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        if sk:
            self.conv2, self.bn2 = sk_conv(width, width, stride, groups), None
        else:
            self.conv2 = nn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False)
            self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.se = nn.SEModule(out_channels, se_reduction) if se_reduction else None
        self.relu = nn.ReLU()
        self.downsample = (shortcut(in_channels, out_channels, stride, avg_down)
                           if _needs_shortcut(in_channels, out_channels, stride) else None)

    def forward(self, x):
        """``relu(F(x) + shortcut(x))``."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.conv2(out) if self.bn2 is None else self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.se is not None:
            out = self.se(out)
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class PreActBottleneck(nn.Module):
    r"""The pre-activation bottleneck (He et al., "Identity mappings", 2016).

    .. math:: a = \mathrm{relu}(\mathrm{bn_1}(x)), \quad
              F = W_3 * \mathrm{relu}(\mathrm{bn_3}(W_2 * \mathrm{relu}(\mathrm{bn_2}(
              W_1 * a)))), \quad y = F + s

    with :math:`s = x` (a pure identity: no activation after the sum), or, when the
    shape changes, :math:`s = W_s * a` (a strided 1x1 convolution of the activated
    input, no batch norm). The inner width is ``channels``, the output ``4 * channels``.

    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, 4 * channels, ceil(H / stride), ceil(W / stride))``.

    Backward: through its layers; the identity passes the gradient unchanged.

    Parameters
    ----------
    in_channels, channels : int
    stride : int, default 1

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import PreActBottleneck
    >>> block = PreActBottleneck(16, 8, stride=2)
    >>> block(lucid.random.randn(1, 16, 6, 6)).shape
    (1, 32, 3, 3)
    >>> [name for name, _ in block.named_children()][:3]
    ['downsample', 'bn1', 'conv1']
    """

    expansion = 4
    preact = True

    def __init__(self, in_channels, channels, stride=1):
        super().__init__()
        out_channels = channels * self.expansion
        self.downsample = (shortcut(in_channels, out_channels, stride, norm=False)
                           if _needs_shortcut(in_channels, out_channels, stride) else None)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.relu = nn.ReLU()

    def forward(self, x):
        """``F(x) + shortcut``, activations before the convolutions."""
        a = self.relu(self.bn1(x))
        identity = x if self.downsample is None else self.downsample(a)
        out = self.conv1(a)
        out = self.conv2(self.relu(self.bn2(out)))
        out = self.conv3(self.relu(self.bn3(out)))
        return out + identity


class ResNet(nn.Module):
    r"""A ResNet: a stem, four stages of residual blocks, global pooling, Linear.

    .. math:: y = \mathrm{fc}(\mathrm{vec}(\mathrm{avgpool}(\mathrm{layer_4}(\cdots
              \mathrm{layer_1}(\mathrm{stem}(x))))))

    See :mod:`lucid.models.resnet` for the table. With a pre-activation block the
    stem has no batch norm (the first block normalises its input) and the stages end
    in one more batch norm and ReLU (``norm``), as timm's ``ResNetV2``; with ``deep_stem`` the 7x7
    stem convolution becomes three 3x3 ones (``stem_width``, ``stem_width``,
    ``2 * stem_width`` channels; ResNet-D, used by ResNeSt).

    Shapes: input ``(N, in_channels, H, W)`` (224 in the paper); output
    ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    layers : sequence of 4 ints
        Blocks per stage: ``(2, 2, 2, 2)`` for ResNet-18, ``(3, 4, 6, 3)`` for 34/50.
    num_classes : int, default 1000
    block : type, default BasicBlock
        ``block(in_channels, channels, stride, **block_args)`` with a class attribute
        ``expansion``.
    in_channels : int, default 3
    block_args : dict, optional
        Passed to every block (``groups``, ``base_width``, ``se_reduction``, ...).
    deep_stem : bool, default False
    stem_width : int, default 32
        Of the deep stem.
    avg_down : bool, default False
        Average-pool shortcuts (passed to the blocks).
    dropout : float, default 0
        Before ``fc``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import ResNet
    >>> net = ResNet([1, 1, 1, 1], num_classes=10).eval()
    >>> net(lucid.random.randn(1, 3, 32, 32)).shape
    (1, 10)
    >>> net.count_parameters()
    4910922
    """

    def __init__(self, layers, num_classes=1000, block=BasicBlock, in_channels=3,
                 block_args=None, deep_stem=False, stem_width=32, avg_down=False, dropout=0.0):
        super().__init__()
        block_args = dict(block_args or {})
        if avg_down:
            block_args["avg_down"] = True
        self.preact = getattr(block, "preact", False)
        if deep_stem:
            self.conv1 = nn.Sequential(
                nn.Conv2d(in_channels, stem_width, 3, 2, 1, bias=False),
                nn.BatchNorm2d(stem_width), nn.ReLU(),
                nn.Conv2d(stem_width, stem_width, 3, 1, 1, bias=False),
                nn.BatchNorm2d(stem_width), nn.ReLU(),
                nn.Conv2d(stem_width, 2 * stem_width, 3, 1, 1, bias=False))
            self.in_channels = 2 * stem_width
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3,
                                   bias=False)
            self.in_channels = 64
        # a pre-activation net normalises inside its first block instead (as timm's ResNetV2)
        self.bn1 = None if self.preact else nn.BatchNorm2d(self.in_channels)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._stage(block, 64, layers[0], 1, block_args)
        self.layer2 = self._stage(block, 128, layers[1], 2, block_args)
        self.layer3 = self._stage(block, 256, layers[2], 2, block_args)
        self.layer4 = self._stage(block, 512, layers[3], 2, block_args)
        self.norm = nn.BatchNorm2d(self.in_channels) if self.preact else None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout) if dropout else None
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        init_like_torchvision(self)

    def _stage(self, block, channels, count, stride, block_args):
        """``count`` blocks; the first may change the stride and the channel count."""
        blocks = [block(self.in_channels, channels, stride, **block_args)]
        self.in_channels = channels * block.expansion
        blocks += [block(self.in_channels, channels, **block_args) for _ in range(count - 1)]
        return nn.Sequential(*blocks)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, C, H, W)``."""
        x = self.conv1(x)
        if self.bn1 is not None:
            x = self.relu(self.bn1(x))
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.maxpool(x)))))
        if self.norm is not None:
            x = self.relu(self.norm(x))
        x = flatten(self.avgpool(x), 1)
        if self.dropout is not None:
            x = self.dropout(x)
        return self.fc(x)


class PreActResNetCIFAR(nn.Module):
    r"""The pre-activation ResNet of "Identity mappings" for 32x32 images (ResNet-164,
    ResNet-1001).

    .. math:: \text{depth} = 9n + 2

    A 3x3 convolution to 16 channels, three stages of :math:`n` pre-activation
    bottlenecks (widths 16, 32, 64; outputs 64, 128, 256; stride 2 at the start of the
    second and third), batch norm and ReLU, global average pooling and a Linear layer.

    Shapes: input ``(N, in_channels, H, W)`` (32 x 32 in the paper); output
    ``(N, num_classes)``.

    Backward: through its layers.

    Parameters
    ----------
    depth : int
        :math:`9n + 2` (164 or 1001 in the paper).
    num_classes : int, default 10
    in_channels : int, default 3

    Raises
    ------
    ValueError
        ``depth`` is not :math:`9n + 2` with :math:`n \ge 1`.

    Examples
    --------
    >>> import lucid
    >>> from lucid.models import PreActResNetCIFAR
    >>> net = PreActResNetCIFAR(depth=11).eval()             # n = 1
    >>> net(lucid.random.randn(2, 3, 32, 32)).shape
    (2, 10)
    """

    def __init__(self, depth, num_classes=10, in_channels=3):
        super().__init__()
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 11 \
                or (depth - 2) % 9:
            raise ValueError(f"PreActResNetCIFAR: depth must be 9n + 2 with n >= 1 (164, "
                             f"1001); got {depth!r}")
        n = (depth - 2) // 9
        self.conv1 = nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
        stages, width_in = [], 16
        for i, width in enumerate((16, 32, 64)):
            blocks = [PreActBottleneck(width_in, width, 1 if i == 0 else 2)]
            blocks += [PreActBottleneck(4 * width, width) for _ in range(n - 1)]
            stages.append(nn.Sequential(*blocks))
            width_in = 4 * width
        self.layer1, self.layer2, self.layer3 = stages
        self.norm = nn.BatchNorm2d(width_in)
        self.relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width_in, num_classes)
        init_like_torchvision(self)

    def forward(self, x):
        """Logits of ``x`` of shape ``(N, C, H, W)``."""
        x = self.layer3(self.layer2(self.layer1(self.conv1(x))))
        return self.fc(flatten(self.avgpool(self.relu(self.norm(x))), 1))


def _resnets(block, layers, block_args=None):
    """``make(num_classes, kwargs)`` of a ResNet with these blocks (kwargs win)."""
    defaults = {"block_args": block_args} if block_args else {}
    return lambda num_classes, kwargs: ResNet(layers, num_classes=num_classes, block=block,
                                              **{**defaults, **kwargs})


def _factory(name, summary, block, layers, block_args=None, **register):
    return factory(__name__, name, summary, _resnets(block, layers, block_args),
                   "~lucid.models.ResNet", hint="``in_channels``, ``dropout``, ``block_args``...",
                   **register)


resnet_18 = _factory("resnet_18", "ResNet-18: basic blocks (2, 2, 2, 2), 11.7M parameters.",
                     BasicBlock, [2, 2, 2, 2], aliases=("resnet18",))
resnet_34 = _factory("resnet_34", "ResNet-34: basic blocks (3, 4, 6, 3), 21.8M parameters.",
                     BasicBlock, [3, 4, 6, 3], aliases=("resnet34",))
resnet_50 = _factory("resnet_50", "ResNet-50: bottlenecks (3, 4, 6, 3), 25.6M parameters.",
                     Bottleneck, [3, 4, 6, 3])
resnet_101 = _factory("resnet_101", "ResNet-101: bottlenecks (3, 4, 23, 3), 44.5M parameters.",
                      Bottleneck, [3, 4, 23, 3])
resnet_152 = _factory("resnet_152", "ResNet-152: bottlenecks (3, 8, 36, 3), 60.2M parameters.",
                      Bottleneck, [3, 8, 36, 3])
resnet_200 = _factory("resnet_200", "ResNet-200: pre-activation bottlenecks (3, 24, 36, 3) "
                      "(He et al., 2016b).", PreActBottleneck, [3, 24, 36, 3])
resnet_269 = _factory("resnet_269", "ResNet-269: pre-activation bottlenecks (3, 30, 48, 8), "
                      "the depth of ResNeSt-269.", PreActBottleneck, [3, 30, 48, 8])
resnet_1001 = factory(
    __name__, "resnet_1001",
    "ResNet-1001: the pre-activation CIFAR network of He et al. (2016b), 10.2M parameters.\n\n"
    "    Three stages of 111 pre-activation bottlenecks on 32x32 images; the paper trains it\n"
    "    on CIFAR-10, hence 10 classes by default. (The original lucid built an ImageNet-style\n"
    "    (3, 94, 94, 3) network of 149M parameters under this name, which no paper\n"
    "    describes.)",
    lambda num_classes, kwargs: PreActResNetCIFAR(1001, num_classes=num_classes, **kwargs),
    "~lucid.models.PreActResNetCIFAR", num_classes=10, hint="``in_channels``")
wide_resnet_50 = _factory("wide_resnet_50", "Wide ResNet-50-2: bottlenecks (3, 4, 6, 3) of twice "
                          "the inner width, 68.9M parameters.", Bottleneck, [3, 4, 6, 3],
                          {"base_width": 128})
wide_resnet_101 = _factory("wide_resnet_101", "Wide ResNet-101-2: bottlenecks (3, 4, 23, 3) of "
                           "twice the inner width, 126.9M parameters.", Bottleneck,
                           [3, 4, 23, 3], {"base_width": 128})
