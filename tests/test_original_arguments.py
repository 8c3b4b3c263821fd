"""The original lucid's arguments that lucid lacked, and what each one does: Embedding's
max_norm (PyTorch's renormalisation), the losses' eps, DropBlock's eps, DropPath's
scale_by_keep, eig's eps, pinv's rcond, ASGD's momentum, the schedulers' verbose and
last_lr, ToTensor's settings, summarize(recurse=, truncate_from=), ColorJitter, and the
renamed arguments (filter_size, input_1, training, parameters, func, nhead/num_heads)."""
import colorsys

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import nn, optim
from lucid.optim import lr_scheduler
from lucid.testing import assert_close, gradcheck


# ----------------------------------------------------------------- Embedding max_norm
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_embedding_max_norm_matches_torch(torch, float_dtype, rng, norm_type):
    table = (rng.standard_normal((6, 4)) * 2).astype(float_dtype)
    index = np.array([[0, 2, 2], [5, 1, 0]])
    ours = lucid.Tensor(table, requires_grad=True)
    theirs = torch.tensor(table, requires_grad=True)
    y = F.embedding(lucid.Tensor(index), ours, max_norm=1.5, norm_type=norm_type)
    t = torch.nn.functional.embedding(torch.tensor(index), theirs, max_norm=1.5,
                                      norm_type=norm_type)
    assert_close(y, t.detach().numpy())
    assert_close(ours.data, theirs.detach().numpy())          # rescaled in place
    seed = rng.standard_normal(y.shape).astype(float_dtype)
    y.backward(seed)
    t.backward(torch.tensor(seed))
    assert_close(ours.grad, theirs.grad.numpy())
    untouched = [3, 4]                                        # rows not looked up
    np.testing.assert_array_equal(ours.data[untouched], table[untouched])


def test_embedding_layer_max_norm_and_initial_weight(torch):
    start = lucid.Tensor([[3.0, 4.0], [0.0, 1.0], [6.0, 8.0]])
    layer = nn.Embedding(3, 2, max_norm=1.0, _weight=start)
    twin = torch.nn.Embedding(3, 2, max_norm=1.0, _weight=torch.tensor(start.data.copy()))
    out = layer(lucid.Tensor([0, 1]))
    expected = twin(torch.tensor([0, 1]))
    assert_close(out, expected.detach().numpy())
    assert_close(layer.weight.data, twin.weight.detach().numpy())
    assert layer.weight.data[2].tolist() == [6.0, 8.0] and "max_norm=1.0" in repr(layer)
    with pytest.raises(ValueError, match=r"^Embedding: _weight must have shape \(3, 2\); got \(2, 2\)"):
        nn.Embedding(3, 2, _weight=lucid.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"^embedding: max_norm must be a number > 0.0; got 0"):
        F.embedding(lucid.Tensor([0]), start, max_norm=0)


# ----------------------------------------------------------------------- loss eps
def test_binary_cross_entropy_eps_clips_as_the_original(rng):
    x = np.array([0.0, 1e-9, 0.3, 1.0], dtype=np.float64)
    t = np.array([1.0, 1.0, 0.0, 0.0])
    eps = 1e-7
    clipped = np.clip(x, eps, 1 - eps)                        # the original's formula
    expected = -(t * np.log(clipped) + (1 - t) * np.log(1 - clipped))
    ours = F.binary_cross_entropy(lucid.Tensor(x), lucid.Tensor(t), reduction="none", eps=eps)
    assert_close(ours, expected)
    assert nn.BCELoss(eps=eps)(lucid.Tensor(x), lucid.Tensor(t)).item() == pytest.approx(expected.mean())
    p = lucid.Tensor(rng.uniform(0.1, 0.9, 5), requires_grad=True)
    assert gradcheck(lambda a: F.binary_cross_entropy(a, lucid.Tensor(np.ones(5) * 0.3), eps=0.05), [p])
    with pytest.raises(ValueError, match=r"^binary_cross_entropy: eps must lie in \[0.0, 0.5\)"):
        F.binary_cross_entropy(lucid.Tensor(x), lucid.Tensor(t), eps=0.5)


@pytest.mark.parametrize("eps", [1e-7, 0.5])
def test_cross_entropy_eps_is_the_originals_formula(rng, eps):
    z = rng.standard_normal((4, 5))
    target = np.array([0, 3, 4, 1])
    shifted = z - z.max(axis=1, keepdims=True)                # the original's formula
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True) + eps)
    expected = -log_probs[np.arange(4), target].mean()
    zt = lucid.Tensor(z, requires_grad=True)
    loss = F.cross_entropy(zt, lucid.Tensor(target), eps=eps)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert nn.CrossEntropyLoss(eps=eps)(lucid.Tensor(z), lucid.Tensor(target)).item() == \
        pytest.approx(expected, rel=1e-12)
    assert gradcheck(lambda a: F.cross_entropy(a, lucid.Tensor(target), eps=eps), [zt])
    probs = lucid.Tensor(rng.dirichlet(np.ones(5), 4))
    assert gradcheck(lambda a: F.cross_entropy(a, probs, eps=eps, label_smoothing=0.1), [zt])
    with pytest.raises(ValueError, match=r"^cross_entropy: eps must be a number >= 0.0; got -1"):
        F.cross_entropy(zt, lucid.Tensor(target), eps=-1)


def test_cross_entropy_without_eps_is_unchanged(torch, rng):
    z = rng.standard_normal((3, 4)).astype(np.float32)
    target = np.array([1, 0, 3])
    ours = F.cross_entropy(lucid.Tensor(z), lucid.Tensor(target), eps=None)
    theirs = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(target))
    assert_close(ours, theirs.numpy())


# ----------------------------------------------------------------------- dropout
def test_drop_path_scale_by_keep():
    x = lucid.ones((8, 3))
    lucid.random.seed(4)
    scaled = F.drop_path(x, 0.5)
    lucid.random.seed(4)
    plain = F.drop_path(x, 0.5, scale_by_keep=False)
    assert set(np.unique(plain.data)) <= {0.0, 1.0} and set(np.unique(scaled.data)) <= {0.0, 2.0}
    np.testing.assert_array_equal(plain.data * 2, scaled.data)       # the same draws
    layer = nn.DropPath(0.5, scale_by_keep=False)
    assert repr(layer) == "DropPath(drop_prob=0.5, scale_by_keep=False)"
    lucid.random.seed(4)
    np.testing.assert_array_equal(layer(x).data, plain.data)
    with pytest.raises(TypeError, match=r"^drop_path: scale_by_keep must be a bool"):
        F.drop_path(x, 0.5, scale_by_keep=1)


def test_drop_block_eps_enters_gamma():
    x = lucid.ones((4, 2, 6, 6))
    drops = []
    for eps in (0.0, 1e6):                  # a huge eps makes gamma ~0: nothing dropped
        lucid.random.seed(2)
        drops.append(float((F.drop_block(x, 3, p=0.5, eps=eps).data == 0).mean()))
    assert drops[0] > 0.2 and drops[1] == 0.0
    assert nn.DropBlock(3, eps=1e-3).eps == 1e-3
    with pytest.raises(ValueError, match=r"^drop_block: eps must be a number >= 0.0"):
        F.drop_block(x, 3, eps=-1.0)


# ----------------------------------------------------------------- linalg, optim
def test_eig_eps_floors_the_eigenvalue_gaps():
    repeated = np.array([[2.0, 0.3, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
    a = lucid.Tensor(repeated, requires_grad=True)                    # eigenvalue 2 twice
    lucid.abs(lucid.linalg.eig(a, eps=1e-6)[1]).sum().backward()
    assert np.isfinite(a.grad).all()
    b = lucid.Tensor(repeated, requires_grad=True)
    with np.errstate(all="ignore"):
        lucid.abs(lucid.linalg.eig(b)[1]).sum().backward()              # PyTorch's formula
    assert not np.isfinite(b.grad).all()
    c = lucid.Tensor(np.array([[2.0, 1.0], [0.5, 3.0]]), requires_grad=True)   # distinct
    assert gradcheck(lambda t: lucid.abs(lucid.linalg.eig(t, eps=1e-9)[1]).sum(), [c])
    with pytest.raises(ValueError, match=r"^eig: eps must be a number >= 0.0; got -1"):
        lucid.linalg.eig(c, eps=-1)


def test_pinv_rcond_is_rtol(rng):
    a = lucid.Tensor(np.diag([1.0, 1e-3, 0.0]))
    np.testing.assert_array_equal(lucid.linalg.pinv(a, rcond=1e-2).data,
                                  lucid.linalg.pinv(a, rtol=1e-2).data)
    assert lucid.linalg.pinv(a, rcond=1e-2).data[1, 1] == 0.0
    assert lucid.linalg.pinv(a, rcond=1e-4).data[1, 1] == pytest.approx(1e3)


def test_asgd_momentum_is_a_heavy_ball_buffer():
    w = lucid.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = optim.ASGD([w], lr=0.1, lambd=0.0, momentum=0.9, t0=1e9)
    expected, buf = np.array([1.0, -2.0]), None
    for _ in range(3):
        opt.zero_grad()
        w.grad = w.data.copy()
        g = w.data.copy()
        buf = g if buf is None else 0.9 * buf + g            # the original's rule
        expected = expected - 0.1 * buf                      # lambd 0: eta stays lr
        opt.step()
        np.testing.assert_allclose(w.data, expected, rtol=1e-12)
    with pytest.raises(ValueError, match=r"ASGD: momentum"):
        optim.ASGD([w], momentum=-0.1)


def test_schedulers_verbose_and_last_lr(capsys):
    w = lucid.Tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5, verbose=True)
    sched.step()
    assert sched.last_lr == sched.get_last_lr() == [0.05]
    assert capsys.readouterr().out.splitlines() == [
        "Adjusting learning rate of group 0 to 1.0000e-01.",
        "Adjusting learning rate of group 0 to 5.0000e-02."]
    plateau = lr_scheduler.ReduceLROnPlateau(opt, patience=0, verbose=True)
    plateau.step(1.0)
    plateau.step(2.0)
    assert capsys.readouterr().out == "Adjusting learning rate of group 0 to 5.0000e-03.\n"
    quiet = lr_scheduler.ExponentialLR(opt, 0.9)
    quiet.step()
    assert capsys.readouterr().out == "" and quiet.last_lr == [pytest.approx(0.0045)]
    for cls, args in ((lr_scheduler.LambdaLR, (lambda e: 1.0,)), (lr_scheduler.MultiStepLR, ([2],)),
                      (lr_scheduler.CosineAnnealingLR, (5,))):
        assert cls(opt, *args, verbose=False).verbose is False
    with pytest.raises(TypeError, match=r"^StepLR: verbose must be a bool"):
        lr_scheduler.StepLR(opt, 1, verbose="yes")


# ------------------------------------------------------------ renamed arguments
def test_renamed_arguments_of_the_original(rng):
    x = lucid.Tensor(rng.standard_normal((1, 2, 5, 5)))
    np.testing.assert_array_equal(F.unfold(x, filter_size=3).data, F.unfold(x, 3).data)
    a, b = lucid.Tensor(rng.standard_normal((2, 3))), lucid.Tensor(rng.standard_normal((2, 4)))
    w = lucid.Tensor(rng.standard_normal((5, 3, 4)))
    np.testing.assert_array_equal(F.bilinear(input_1=a, input_2=b, weight=w).data,
                                  F.bilinear(a, b, w).data)
    rm, rv = lucid.zeros(2, dtype=np.float64), lucid.ones(2, dtype=np.float64)
    np.testing.assert_array_equal(F.instance_norm(x, rm, rv, training=False).data,
                                  F.instance_norm(x, rm, rv, use_input_stats=False).data)
    params = [nn.Parameter([1.0]), nn.Parameter([2.0])]
    assert len(nn.ParameterList(parameters=params)) == 2
    assert nn.Flatten(start_dim=2)(x).shape == (1, 2, 25)


def test_parameter_and_buffer_take_the_originals_arguments():
    p = nn.Parameter([1.0, 2.0], lucid.Float64, device="cpu")        # (data, dtype, device)
    assert p.dtype == np.float64 and p.requires_grad
    assert not nn.Parameter([1.0], False).requires_grad                 # PyTorch's order
    assert nn.Buffer([1, 2], lucid.Int32, "cpu").dtype == np.int32
    with pytest.raises(lucid.UnknownDeviceError, match=r"^Parameter: device 'gpu'"):
        nn.Parameter([1.0], device="gpu")
    with pytest.raises(TypeError, match=r"^Parameter: requires_grad must be a bool; got 1"):
        nn.Parameter([1.0], 1, dtype=float)


def test_auto_repr_and_register_model(monkeypatch):
    @nn.auto_repr("size", "mode")
    class Pool(nn.Module):
        def __init__(self, size, mode="max"):
            super().__init__()
            self.size, self.mode = size, mode

    assert repr(Pool(2)) == "Pool(size=2, mode='max')"
    with pytest.raises(TypeError, match=r"^auto_repr: decorates a Module class"):
        nn.auto_repr("x")(int)
    with pytest.raises(TypeError, match=r"^auto_repr: attribute names must be str"):
        nn.auto_repr(3)

    from lucid.models import _registry
    monkeypatch.setattr(_registry, "_MODELS", dict(_registry._MODELS))   # leak nothing

    def compat_test_net():
        return nn.Linear(2, 2)

    assert lucid.register_model(func=compat_test_net) is compat_test_net
    assert "compat_test_net" in lucid.models.get_model_names()


def test_to_tensor_settings():
    img = np.full((2, 2, 3), 255, dtype=np.uint8)
    t = lucid.transforms.ToTensor(requires_grad=True, keep_grad=True, dtype=lucid.Float64)(img)
    assert t.requires_grad and t.keep_grad and t.dtype == np.float64 and t.data.max() == 1.0
    assert repr(lucid.transforms.ToTensor(dtype="float16")) == "ToTensor(dtype=float16)"
    with pytest.raises(TypeError, match=r"^ToTensor: requires_grad must be a bool"):
        lucid.transforms.ToTensor(requires_grad=None)


def test_summarize_recurse_and_truncate_from(capsys):
    block = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
    model = nn.Sequential(block, nn.Linear(8, 2))
    full = lucid.models.summarize(model, (3, 4), print_table=False)
    top = lucid.models.summarize(model, (3, 4), recurse=False, print_table=False)
    assert [r.name for r in full.rows] == ["0.0", "0.1", "1"]
    assert [r.name for r in top.rows] == ["0", "1"]
    assert top.rows[0].params == 40 and top.total_flops == full.total_flops
    short = lucid.models.summarize(model, (3, 4), truncate_from=1)
    printed = capsys.readouterr().out
    assert "0.0" in printed and "0.1 " not in printed and "... 2 more layers" in printed
    assert len(short.rows) == 3
    with pytest.raises(ValueError, match=r"^summarize: truncate_from must be non-negative"):
        lucid.models.summarize(model, (3, 4), truncate_from=-1)


def test_transformer_names():
    layer = nn.TransformerEncoderLayer(8, nhead=2, dim_feedforward=8)
    assert layer.self_attn.num_heads == 2 and layer.batch_first
    with pytest.raises(TypeError, match=r"^Transformer: got both num_heads= and nhead="):
        nn.Transformer(num_heads=2, nhead=2)


# ------------------------------------------------------------------- ColorJitter
def _loop_jitter(image, order, factors):
    """The adjustments one pixel at a time, hue through colorsys."""
    x = image.astype(np.float64).copy()
    c, h, w = x.shape
    for k in order:
        f = factors[k]
        if k == 0:
            x = np.clip(f * x, 0, 1)
        elif k == 1:
            grey = 0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]
            x = np.clip(f * x + (1 - f) * grey.mean(), 0, 1)
        elif k == 2:
            grey = 0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]
            x = np.clip(f * x + (1 - f) * grey, 0, 1)
        else:
            for i in range(h):
                for j in range(w):
                    hh, ss, vv = colorsys.rgb_to_hsv(*x[:, i, j])
                    x[:, i, j] = colorsys.hsv_to_rgb((hh + f) % 1.0, ss, vv)
    return x


def test_color_jitter_matches_a_loop_oracle(rng):
    image = rng.uniform(0, 1, (3, 4, 5))
    jitter = lucid.transforms.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.3)
    lucid.random.seed(11)
    out = jitter(lucid.Tensor(image))
    lucid.random.seed(11)
    g = lucid.random.generator()
    order = g.permutation(4)
    factors = [g.uniform(0.6, 1.4), g.uniform(0.6, 1.4), g.uniform(0.6, 1.4), g.uniform(-0.3, 0.3)]
    assert_close(out, _loop_jitter(image, order, factors), rtol=1e-10, atol=1e-12)


def test_color_jitter_ranges_grey_images_and_errors():
    grey = lucid.Tensor(np.full((1, 2, 2), 0.5))
    out = lucid.transforms.ColorJitter(saturation=(0.0, 0.0), hue=(0.2, 0.2))(grey)
    np.testing.assert_array_equal(out.data, grey.data)                # nothing to change
    img = np.full((3, 1, 1), 100, dtype=np.uint8)
    bright = lucid.transforms.ColorJitter(brightness=(2.0, 2.0))(img)
    assert bright.dtype == np.uint8 and bright.ravel().tolist() == [200, 200, 200]
    assert lucid.transforms.ColorJitter()(img) is img
    with pytest.raises(ValueError, match=r"^ColorJitter: hue must lie in \[0, 0.5\]; got 0.7"):
        lucid.transforms.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match=r"^ColorJitter: brightness must be non-negative"):
        lucid.transforms.ColorJitter(brightness=-1)
    with pytest.raises(TypeError, match=r"^ColorJitter: contrast must be a number or a pair"):
        lucid.transforms.ColorJitter(contrast="high")
    with pytest.raises(ValueError, match=r"^ColorJitter: expected an image with 1 or 3 channels"):
        lucid.transforms.ColorJitter(brightness=0.5)(np.zeros((4, 2, 2), np.float32))
