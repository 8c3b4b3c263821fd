"""The building blocks of the model zoo: nn.shape_only, MBConv / FusedMBConv,
SplitAttention, LayerScale, LayerNorm2d, and the SEModule / SelectiveKernel options
the families use. Values and gradients against torchvision's / timm's blocks (or
torch.nn by hand), gradcheck on tiny configurations, and every bad argument."""
import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.testing import assert_close, gradcheck
from tests import reference_models as ref


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# ------------------------------------------------------------------ shape_only
def test_shape_only_placeholders():
    with nn.shape_only():
        with nn.shape_only():                                  # blocks nest
            conv = nn.Conv2d(3, 8, 3)
        norm = nn.BatchNorm2d(8)
    plain = nn.Conv2d(3, 8, 3)
    assert not nn.is_shape_only(plain.weight)
    for t in (conv.weight, conv.bias, norm.weight, norm.running_mean):
        assert nn.is_shape_only(t) and t.data.strides == (0,) * t.ndim
        assert not t.data.flags.writeable and t.data.dtype == np.float32
    assert conv.count_parameters() == plain.count_parameters() == 8 * 3 * 9 + 8
    assert nn.is_shape_only(norm.num_batches_tracked)             # an int64 buffer too
    assert norm.num_batches_tracked.data.dtype == np.int64


def test_shape_only_skips_initialisation_and_random_draws():
    lucid.random.seed(3)
    with nn.shape_only():
        p = nn.Parameter(np.empty((1000, 1000), np.float32))
        for init in (nn.init.kaiming_uniform, nn.init.xavier_normal, nn.init.ones):
            assert init(p) is p
    draw_after = lucid.random.randn(2).data
    lucid.random.seed(3)
    assert (lucid.random.randn(2).data == draw_after).all()     # nothing was drawn
    assert float(p.data.sum()) == 0.0


def test_shape_only_model_runs_forward_and_backward():
    with nn.shape_only():
        net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                            nn.Linear(4 * 5 * 5, 3))
    out = net(lucid.random.randn(2, 2, 5, 5))
    out.sum().backward()
    assert out.shape == (2, 3) and net[0].weight.grad.shape == (4, 2, 3, 3)


def test_shape_only_weights_refuse_to_load():
    with nn.shape_only():
        lin = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="load_state_dict: weight is a shape-only placeholder"):
        lin.load_state_dict(nn.Linear(2, 2).state_dict())


def test_is_shape_only_type_error():
    with pytest.raises(TypeError, match="is_shape_only: tensor must be a lucid Tensor; got ndarray"):
        nn.is_shape_only(np.zeros(2))


# ------------------------------------------------------------------ MBConv
def test_gradcheck_mbconv_and_fused():
    lucid.random.seed(0)
    blocks = [nn.MBConv(3, 3, 3, 1, expand_ratio=2, se_channels=2, activation=nn.Swish),
              nn.MBConv(3, 4, 3, 2, expanded_channels=5, se_channels=2, activation=nn.HardSwish,
                        se_activation=nn.ReLU, se_gate=nn.HardSigmoid),
              nn.FusedMBConv(3, 3, 3, 1, expand_ratio=2, se_channels=2),
              nn.FusedMBConv(3, 4, 3, 2, expand_ratio=1)]
    for block in blocks:
        assert gradcheck(block.double(), [_x(2, 3, 4, 4)])


def test_mbconv_layout_and_shortcut():
    block = nn.MBConv(8, 8, 5, expand_ratio=1)
    assert [n for n, _ in block.residual.named_children()] == ["depthwise", "project"]
    assert block.use_shortcut and block.residual.depthwise[0].kernel_size == (5, 5)
    assert not nn.MBConv(8, 16).use_shortcut and not nn.MBConv(8, 8, stride=2).use_shortcut
    fused = nn.FusedMBConv(8, 16, expand_ratio=4, se_channels=2)
    assert [n for n, _ in fused.residual.named_children()] == ["fused", "se", "project"]


@pytest.mark.parametrize("make, message", [
    (lambda: nn.MBConv(0, 8), "MBConv: in_channels must be a positive int; got 0"),
    (lambda: nn.MBConv(8, 8, kernel_size=2.5), "MBConv: kernel_size must be a positive int"),
    (lambda: nn.MBConv(8, 8, expand_ratio="6"), "MBConv: expand_ratio must be a positive number"),
    (lambda: nn.MBConv(8, 8, expanded_channels=-1), "MBConv: expanded_channels must be a positive"),
    (lambda: nn.FusedMBConv(8, 8, stride=0), "FusedMBConv: stride must be a positive int"),
    (lambda: nn.FusedMBConv(8, 8, expand_ratio=0), "FusedMBConv: expand_ratio must be a positive"),
])
def test_mbconv_bad_arguments(make, message):
    with pytest.raises(TypeError, match=message):
        make()


@pytest.mark.torchvision
def test_mbconv_equals_torchvision_blocks(torch):
    """EfficientNet's MBConv / Fused-MBConv and MobileNetV3's block against torchvision's."""
    tv = ref.torchvision()
    eff, mv3 = tv.models.efficientnet, tv.models.mobilenetv3
    from functools import partial
    norm = partial(torch.nn.BatchNorm2d, eps=1e-3, momentum=0.01)
    torch.manual_seed(0)
    pairs = [
        (eff.MBConv(eff.MBConvConfig(4, 5, 1, 8, 8, 1), 0.0, torch.nn.BatchNorm2d),
         nn.MBConv(8, 8, 5, 1, 4, se_channels=2, activation=nn.Swish)),
        (eff.FusedMBConv(eff.FusedMBConvConfig(4, 3, 2, 8, 16, 1), 0.0, torch.nn.BatchNorm2d),
         nn.FusedMBConv(8, 16, 3, 2, 4)),
        (mv3.InvertedResidual(mv3.InvertedResidualConfig(8, 3, 24, 8, True, "HS", 1, 1, 1.0),
                              norm),
         nn.MBConv(8, 8, 3, 1, expanded_channels=24, se_channels=8, activation=nn.HardSwish,
                   se_activation=nn.ReLU, se_gate=nn.HardSigmoid, bn_eps=1e-3,
                   bn_momentum=0.01)),
    ]
    for reference, ours in pairs:
        ref.compare_with_reference(torch, reference, ours, (2, 8, 6, 6))


# ------------------------------------------------------------------ SplitAttention
def test_gradcheck_split_attention():
    lucid.random.seed(0)
    for radix, groups in ((2, 1), (2, 2), (1, 2)):
        block = nn.SplitAttention(4, 4, radix=radix, groups=groups, reduction=4).double()
        assert gradcheck(block, [_x(2, 4, 3, 3)])


@pytest.mark.timm
@pytest.mark.parametrize("radix, groups", [(2, 1), (4, 2), (1, 4)])
def test_split_attention_equals_timm(torch, radix, groups):
    timm = ref.timm()
    from timm.layers import SplitAttn
    torch.manual_seed(0)
    reference = SplitAttn(16, 16, kernel_size=3, stride=2, padding=1, groups=groups,
                          radix=radix, norm_layer=torch.nn.BatchNorm2d)
    ours = nn.SplitAttention(16, 16, 3, stride=2, groups=groups, radix=radix)
    ref.compare_with_reference(torch, reference, ours, (3, 16, 6, 6))


def test_split_attention_errors():
    with pytest.raises(ValueError, match="SplitAttention: channels \\(6\\) must be divisible by "
                                         "groups \\(4\\)"):
        nn.SplitAttention(8, 6, groups=4)
    with pytest.raises(TypeError, match="SplitAttention: radix must be a positive int; got 0"):
        nn.SplitAttention(8, 8, radix=0)
    with pytest.raises(ValueError, match="SplitAttention: expected input of shape \\(N, 8, H, W\\)"):
        nn.SplitAttention(8, 8)(lucid.random.randn(1, 4, 3, 3))


# ------------------------------------------------------------------ LayerScale, LayerNorm2d
def test_layer_scale_values_gradients_and_errors():
    scale = nn.LayerScale(3, init_value=0.5).double()
    x = _x(2, 3, 4)
    assert gradcheck(scale, [x])
    scale.zero_grad()
    y = scale(x)
    y.sum().backward()
    assert_close(scale.gamma.grad, x.data.sum(axis=(0, 2)))
    assert_close(nn.LayerScale(4, 2.0, axis=-1)(lucid.ones((1, 4))), 2 * np.ones((1, 4),
                                                                             np.float32))
    with pytest.raises(ValueError, match="LayerScale: expected an input whose axis 1 has 3 "
                                         "entries; got shape \\(2, 4\\)"):
        nn.LayerScale(3)(lucid.ones((2, 4)))
    with pytest.raises(TypeError, match="LayerScale: axis must be an int; got 1.0"):
        nn.LayerScale(3, axis=1.0)
    with pytest.raises(TypeError, match="LayerScale: init_value must be a real number"):
        nn.LayerScale(3, init_value="small")


def test_layer_norm_2d_equals_torch_layer_norm(torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3, 4))
    norm = nn.LayerNorm2d(5).double()
    norm.weight.data[...] = rng.standard_normal(5)
    norm.bias.data[...] = rng.standard_normal(5)
    tx = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.layer_norm(tx.permute(0, 2, 3, 1), (5,),
                                              torch.from_numpy(norm.weight.data),
                                              torch.from_numpy(norm.bias.data),
                                              1e-6).permute(0, 3, 1, 2)
    lx = lucid.Tensor(x, requires_grad=True)
    out = norm(lx)
    g = rng.standard_normal(x.shape)
    expected.backward(torch.from_numpy(g))
    (out * lucid.Tensor(g)).sum().backward()
    assert_close(out.data, expected.detach().numpy())
    assert_close(lx.grad, tx.grad.numpy())
    assert gradcheck(norm, [_x(1, 5, 2, 2)])
    with pytest.raises(ValueError, match="LayerNorm2d: expected input of shape \\(N, 5, H, W\\)"):
        norm(lucid.ones((2, 5, 3)))


# ------------------------------------------------------------------ SEModule, SelectiveKernel
def test_se_module_variants():
    se = nn.SEModule(16, squeeze_channels=8, activation=nn.Swish, gate=nn.HardSigmoid).double()
    assert se.fc1.out_features == 8 and isinstance(se.relu, nn.Swish)
    assert gradcheck(se, [_x(2, 16, 2, 2)])
    with pytest.raises(TypeError, match="SEModule: gate must be a Module class such as nn.ReLU"):
        nn.SEModule(16, gate=nn.Sigmoid())
    with pytest.raises(TypeError, match="SEModule: squeeze_channels must be a positive int"):
        nn.SEModule(16, squeeze_channels=0)


def test_selective_kernel_paper_options():
    sk = nn.SelectiveKernel(8, 8, [3, 3], dilations=[1, 2], min_hidden=32, select_bias=False)
    assert sk.branches[1].conv.dilation == (2, 2) and sk.branches[1].conv.padding == (2, 2)
    assert sk.fc.out_features == 32 and sk.select.bias is None
    lucid.random.seed(0)
    small = nn.SelectiveKernel(2, 2, [3, 3], dilations=[1, 2], min_hidden=2,
                               select_bias=False).double()
    assert gradcheck(small, [_x(3, 2, 4, 4)])
    with pytest.raises(TypeError, match="SelectiveKernel: dilations must be a list of 2 ints"):
        nn.SelectiveKernel(8, 8, [3, 5], dilations=[1])


# ------------------------------------------------------------------ DropPath
def test_drop_path_without_rescaling():
    lucid.random.seed(1)
    kept = nn.DropPath(0.5, scale_by_keep=False)
    assert repr(kept) == "DropPath(drop_prob=0.5, scale_by_keep=False)"
    y = kept(lucid.ones((64, 3))).data
    assert set(np.unique(y)) <= {0.0, 1.0} and 0 < y.sum() < 64 * 3
    lucid.random.seed(1)
    scaled = nn.functional.drop_path(lucid.ones((64, 3)), 0.5).data
    assert_close(scaled, 2 * y)                           # the same draws, scaled by 1/(1-p)
    with pytest.raises(TypeError, match="DropPath: scale_by_keep must be"):
        nn.DropPath(0.1, scale_by_keep=1)
    with pytest.raises(TypeError, match="drop_path: scale_by_keep must be"):
        nn.functional.drop_path(lucid.ones((2, 2)), 0.1, scale_by_keep="yes")
