"""The norm kernel family (batch normalisation; its evaluation-mode scale and shift),
both twins: a loop oracle, PyTorch parity through ``F.batch_norm``, gradcheck, and every
check of ``_checks.py``."""
import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import _ext
from lucid.testing import assert_close, check_kernels, gradcheck

from tests.conftest import torch
from tests.helpers import NotPlain, assert_same_bits_on_any_thread_count, unaligned

KERNEL_FAMILIES = ("norm",)
SHAPES = [(1, 1, 1), (2, 3, 5), (4, 2, 1), (3, 4, 37), (2, 3, 64)]


def _oracle(x, g, w, b, eps):
    """Loops written here, in float64: y, mean, var, and the three gradients."""
    N, C, L = x.shape
    x, g = x.astype(np.float64), g.astype(np.float64)
    M = N * L
    y, gx = np.zeros_like(x), np.zeros_like(x)
    mean, var, gw, gb = (np.zeros(C) for _ in range(4))
    for c in range(C):
        gamma = 1.0 if w is None else float(w[c])
        beta = 0.0 if b is None else float(b[c])
        mean[c] = sum(x[n, c, l] for n in range(N) for l in range(L)) / M
        var[c] = sum((x[n, c, l] - mean[c]) ** 2 for n in range(N) for l in range(L)) / M
        r = 1 / np.sqrt(var[c] + eps)
        xhat = [[(x[n, c, l] - mean[c]) * r for l in range(L)] for n in range(N)]
        gb[c] = sum(g[n, c, l] for n in range(N) for l in range(L))
        gw[c] = sum(g[n, c, l] * xhat[n][l] for n in range(N) for l in range(L))
        for n in range(N):
            for l in range(L):
                y[n, c, l] = gamma * xhat[n][l] + beta
                gx[n, c, l] = gamma * r * (g[n, c, l] - gb[c] / M - xhat[n][l] * gw[c] / M)
    return y, mean, var, gx, gw, gb


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_kernels_match_a_loop(twin, dtype, shape, affine):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(shape[1]).astype(dtype) if affine else None
    b = rng.standard_normal(shape[1]).astype(dtype) if affine else None
    kernels = _ext.get("norm")
    y, mean, var = kernels.batch_norm_forward(x, w, b, 1e-5)
    gx, gw, gb = kernels.batch_norm_backward(g, x, mean, var, w, 1e-5)
    expected = _oracle(x, g, w, b, 1e-5)
    tol = dict(rtol=2e-4, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for got, want in zip((y, mean, var, gx, gw, gb), expected):
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, **tol)


def test_constant_channel_has_zero_variance_and_finite_results(twin):
    x = np.full((2, 1, 3), 5.0)
    y, mean, var = _ext.get("norm").batch_norm_forward(x, None, None, 1e-5)
    assert mean[0] == 5.0 and var[0] == 0.0
    np.testing.assert_array_equal(y, np.zeros_like(x))
    gx, gw, gb = _ext.get("norm").batch_norm_backward(np.ones_like(x), x, mean, var, None, 1e-5)
    np.testing.assert_allclose(gx, 0.0, atol=1e-12)
    assert gb[0] == 6.0 and gw[0] == 0.0


def test_twins_agree_on_a_resnet_sized_batch():
    if not _ext.compiled_available("norm"):
        pytest.skip(f"the compiled norm twin is not built; {_ext.BUILD_HINT}")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 16, 1024)).astype(np.float32)
    w, b = rng.standard_normal(16).astype(np.float32), rng.standard_normal(16).astype(np.float32)
    y, mean, var = check_kernels("norm", "batch_norm_forward", x, w, b, 1e-5)
    g = rng.standard_normal(x.shape).astype(np.float32)
    # grad_weight and grad_bias are float32 sums of 32,768 terms (their magnitudes add up
    # to ~2.6e4): the reference's pairwise float32 sums are 1e-4 from the float64 truth
    # there, the compiled twin's double sums 3e-5 (measured), so compare to 2e-4.
    check_kernels("norm", "batch_norm_backward", g, x, mean, var, w, 1e-5, atol=2e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_results_do_not_depend_on_the_thread_count(monkeypatch, dtype):
    """The compiled twin hands whole channels to its threads; each channel's sums run in
    one thread in a fixed order, so one thread and every thread give the same bits."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((4, 13, 1029)) * 2 + 3).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    w, b = rng.standard_normal(13).astype(dtype), rng.standard_normal(13).astype(dtype)

    def run(kernels):
        y, mean, var = kernels.batch_norm_forward(x, w, b, 1e-5)
        return (y, mean, var) + kernels.batch_norm_backward(g, x, mean, var, w, 1e-5)

    assert_same_bits_on_any_thread_count(monkeypatch, "norm", "_threads", run)


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("shape", [(3, 5, 7), (5, 3, 1), (1, 7, 16), (2, 1, 9)])
def test_compiled_row_pass_shared_among_threads_matches_a_loop(monkeypatch, threads, shape):
    """The compiled twin writes ``y`` and ``grad_x`` in a second pass, each thread a
    contiguous share of the rows (n, c); shares that start inside a sample (rows not a
    multiple of the threads, one channel, one value per row) must still pair each row
    with its channel."""
    if not _ext.compiled_available("norm"):
        pytest.skip(f"the compiled norm twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _norm
    monkeypatch.setattr(_norm, "_threads", lambda x: threads)
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float64)
    g = rng.standard_normal(shape)
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    y, mean, var = _norm.batch_norm_forward(x, w, b, 1e-5)
    gx, gw, gb = _norm.batch_norm_backward(g, x, mean, var, w, 1e-5)
    for got, want in zip((y, mean, var, gx, gw, gb), _oracle(x, g, w, b, 1e-5)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 32, 784), (3, 5, 1300), (4, 1, 7), (2, 3, 1)])
def test_compiled_channel_sums(dtype, shape, monkeypatch):
    """The compiled twin's private ``_channel_sums`` (a convolution's bias gradient):
    each channel's sum over the batch and positions against float64 sums written here,
    the same bits on one, two and three threads and as ``batch_norm_backward``'s
    ``grad_bias`` (the same loop); None for what it does not take (the caller then sums
    another way)."""
    if not _ext.compiled_available("norm"):
        pytest.skip(f"the compiled norm twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _norm
    rng = np.random.default_rng(6)
    x = (rng.standard_normal(shape) + 0.5).astype(dtype)
    exact = np.array([sum(float(v) for v in x[:, c, :].ravel()) for c in range(shape[1])])
    results = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(_norm, "_threads", lambda a, t=threads: t)
        got = _norm._channel_sums(x)
        assert got.dtype == dtype and got.shape == (shape[1],)
        results.append(got.tobytes())
    assert len(set(results)) == 1
    scale = np.abs(x).sum(axis=(0, 2)).astype(np.float64)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    assert np.all(np.abs(got - exact) <= tol * scale)
    grad_bias = _norm.batch_norm_backward(x, x, np.zeros(shape[1], dtype),
                                          np.ones(shape[1], dtype), None, 1e-5)[2]
    assert grad_bias.tobytes() == got.tobytes()
    for other in (np.asfortranarray(x), x.astype(np.int64), x[0],
                  x[:0], unaligned(x), x.astype(">f8"), list(x)):
        assert _norm._channel_sums(other) is None


def _numpy_running(rm, rv, mean, var, unbiased, momentum):
    """The op layer's NumPy formula for the running statistics (copies)."""
    rm, rv = rm.copy(), rv.copy()
    rm[...] = (1 - momentum) * rm + momentum * mean
    rv[...] = (1 - momentum) * rv + momentum * (var * unbiased)
    return rm, rv


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum", [0.1, 1 / 3, 1, 0.0])
def test_compiled_running_update_gives_numpys_bits(dtype, momentum):
    """The compiled twin's private ``_update_running`` (one loop instead of six NumPy
    operations) rounds as NumPy rounds the op layer's formula with Python numbers."""
    if not _ext.compiled_available("norm"):
        pytest.skip(f"the compiled norm twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _norm
    rng = np.random.default_rng(5)
    rm, rv = rng.standard_normal(37).astype(dtype), rng.random(37).astype(dtype)
    mean, var = rng.standard_normal(37).astype(dtype), rng.random(37).astype(dtype)
    for n in (2, 3, 1024):
        want = _numpy_running(rm, rv, mean, var, n / (n - 1), momentum)
        got_m, got_v = rm.copy(), rv.copy()
        assert _norm._update_running(got_m, got_v, mean, var, n / (n - 1), momentum)
        np.testing.assert_array_equal(got_m, want[0])
        np.testing.assert_array_equal(got_v, want[1])


def test_compiled_running_update_leaves_other_arguments_to_numpy():
    """It returns False, touching nothing, for what NumPy would round or treat
    differently: a NumPy scalar momentum (not a weak scalar), mixed dtypes, a missing
    or read-only array, statistics of another length."""
    if not _ext.compiled_available("norm"):
        pytest.skip(f"the compiled norm twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _norm
    f32 = lambda n=4: np.arange(n, dtype=np.float32)     # noqa: E731
    frozen = f32()
    frozen.flags.writeable = False
    cases = [(f32(), f32(), f32(), f32(), 2.0, np.float64(0.1)),
             (f32(), f32().astype(np.float64), f32(), f32(), 2.0, 0.1),
             (None, f32(), f32(), f32(), 2.0, 0.1),
             (f32(), frozen, f32(), f32(), 2.0, 0.1),
             (f32(), f32(), f32(8), f32(), 2.0, 0.1),
             (f32(), f32(), f32(), f32(), np.float64(2.0), 0.1)]
    for rm, rv, mean, var, unbiased, momentum in cases:
        before = [None if a is None else a.copy() for a in (rm, rv)]
        assert _norm._update_running(rm, rv, mean, var, unbiased, momentum) is False
        for a, b in zip((rm, rv), before):
            if a is not None:
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_running_statistics_with_and_without_the_compiled_update(monkeypatch, momentum):
    """A BatchNorm2d layer's running statistics after three training steps on the
    compiled twin: its ``_update_running`` loop and the op layer's NumPy formula (the
    function taken away) give the same bits."""
    if not _ext.compiled_available("norm"):
        pytest.skip(f"the compiled norm twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _norm
    rng = np.random.default_rng(6)
    batches = [lucid.Tensor(rng.standard_normal((4, 3, 5, 5)).astype(np.float32))
               for _ in range(3)]
    calls = []

    def run():
        layer = lucid.nn.BatchNorm2d(3, momentum=momentum)
        for x in batches:
            layer(x)
        return layer.running_mean.data.copy(), layer.running_var.data.copy()

    with lucid.kernels.use("compiled", "norm"):
        fused = _norm._update_running
        monkeypatch.setattr(_norm, "_update_running",
                            lambda *a: calls.append(1) or fused(*a))
        with_loop = run()
        assert len(calls) == 3
        monkeypatch.delattr(_norm, "_update_running")
        with_numpy = run()
    np.testing.assert_array_equal(with_loop[0], with_numpy[0])
    np.testing.assert_array_equal(with_loop[1], with_numpy[1])


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 7), (4, 5, 6, 6), (2, 3, 2, 3, 4)])
def test_batch_norm_training_matches_torch(twin, dtype, shape):
    """Through the public op: output, running statistics and the three gradients."""
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(shape) * 2 - 1).astype(dtype)
    w, b = rng.standard_normal(shape[1]).astype(dtype), rng.standard_normal(shape[1]).astype(dtype)
    seed = rng.standard_normal(shape).astype(dtype)
    rm, rv = np.zeros(shape[1], dtype), np.ones(shape[1], dtype)
    lx, lw, lb = (lucid.Tensor(a.copy(), requires_grad=True) for a in (x, w, b))
    lrm, lrv = lucid.Tensor(rm.copy()), lucid.Tensor(rv.copy())
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    out = F.batch_norm(lx, lrm, lrv, lw, lb, training=True, momentum=0.1, eps=1e-5)
    expected = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training=True,
                                              momentum=0.1, eps=1e-5)
    assert out.grad_fn is not None
    assert_close(out, expected.detach().numpy())
    assert_close(lrm, trm.numpy())
    assert_close(lrv, trv.numpy())
    out.backward(seed)
    expected.backward(torch.tensor(seed))
    for l, t in ((lx, tx), (lw, tw), (lb, tb)):
        assert_close(l.grad, t.grad.numpy())


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_gradcheck(twin, affine):
    rng = np.random.default_rng(3)
    x = lucid.Tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    if affine:
        w = lucid.Tensor(rng.standard_normal(2), requires_grad=True)
        b = lucid.Tensor(rng.standard_normal(2), requires_grad=True)
        assert gradcheck(lambda *t: F.batch_norm(t[0], None, None, t[1], t[2], training=True),
                         [x, w, b])
    else:
        assert gradcheck(lambda t: F.batch_norm(t, None, None, training=True), [x])


# ------------------------------------------------------------------ bad input
def _good(dtype=np.float32):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4)).astype(dtype)
    return x, np.ones(3, dtype), np.zeros(3, dtype)


@pytest.mark.parametrize("change, error, words", [
    (lambda a: dict(a, x=a["x"].tolist()), TypeError, "x must be a NumPy array"),
    (lambda a: dict(a, x=a["x"].astype(np.int64)), TypeError, "x must be float32 or float64"),
    (lambda a: dict(a, x=a["x"][0]), ValueError, "x must have 3 dimensions"),
    (lambda a: dict(a, x=a["x"][:, :, ::2]), ValueError, "x must be C-contiguous"),
    (lambda a: dict(a, x=a["x"][:0]), ValueError, "at least one value per channel"),
    (lambda a: dict(a, weight=a["weight"][:2]), ValueError, "weight must have shape (3,)"),
    (lambda a: dict(a, bias=a["bias"].astype(np.float64)), TypeError, "bias must have the dtype"),
    (lambda a: dict(a, weight=a["weight"][None]), ValueError, "weight must have 1 dimensions"),
    (lambda a: dict(a, eps=-1.0), ValueError, "eps must be finite and at least 0"),
    (lambda a: dict(a, eps="1e-5"), TypeError, "eps must be a float"),
    (lambda a: dict(a, eps=float("nan")), ValueError, "eps must be finite"),
    # what the compiled twin's front door (_plain_batch) must leave to the checks
    (lambda a: dict(a, eps=float("inf")), ValueError, "eps must be finite"),
    (lambda a: dict(a, bias=a["bias"][None]), ValueError, "bias must have 1 dimensions"),
    (lambda a: dict(a, bias=np.zeros(4, np.float32)), ValueError, "bias must have shape (3,)"),
    (lambda a: dict(a, weight=a["weight"].astype(">f4")), TypeError,
     "weight must be float32 or float64, got dtype >f4"),
])
def test_batch_norm_forward_rejects_bad_input(twin, change, error, words):
    x, w, b = _good()
    args = change(dict(x=x, weight=w, bias=b, eps=1e-5))
    with pytest.raises(error, match="batch_norm_forward: " + ".*" + words.replace("(", r"\(")
                       .replace(")", r"\)")):
        _ext.get("norm").batch_norm_forward(**args)


@pytest.mark.parametrize("change, error, words", [
    (lambda a: dict(a, grad=a["grad"][:1]), ValueError, "grad must have shape (2, 3, 4)"),
    (lambda a: dict(a, grad=a["grad"].astype(np.float64)), TypeError, "grad must have the dtype"),
    (lambda a: dict(a, mean=None), TypeError, "mean must be a NumPy array"),
    (lambda a: dict(a, var=a["var"][:1]), ValueError, "var must have shape (3,)"),
    (lambda a: dict(a, x=np.zeros((2, 3, 0), np.float32)), ValueError,
     "at least one value per channel"),
    (lambda a: dict(a, weight=np.ones(4, np.float32)), ValueError, "weight must have shape (3,)"),
    (lambda a: dict(a, eps=True), TypeError, "eps must be a float"),
    # what the compiled twin's front door (_plain_gradient) must leave to the checks
    (lambda a: dict(a, grad=np.ones((2, 4, 3), np.float32)), ValueError,
     "grad must have shape (2, 3, 4)"),
    (lambda a: dict(a, grad=np.ones((2, 3, 8), np.float32)[:, :, ::2]), ValueError,
     "grad must be C-contiguous"),
    (lambda a: dict(a, mean=a["mean"].astype(np.float64)), TypeError,
     "mean must have the dtype"),
    (lambda a: dict(a, var=None), TypeError, "var must be a NumPy array"),
    (lambda a: dict(a, eps=-1e-5), ValueError, "eps must be finite and at least 0"),
    (lambda a: dict(a, x=a["x"].astype(np.float64), grad=a["grad"].astype(np.float64)),
     TypeError, "mean must have the dtype"),
])
def test_batch_norm_backward_rejects_bad_input(twin, change, error, words):
    x, w, _ = _good()
    stats = np.zeros(3, np.float32), np.ones(3, np.float32)
    args = change(dict(grad=np.ones_like(x), x=x, mean=stats[0], var=stats[1], weight=w,
                       eps=1e-5))
    with pytest.raises(error, match="batch_norm_backward: " + ".*" + words.replace("(", r"\(")
                       .replace(")", r"\)")):
        _ext.get("norm").batch_norm_backward(**args)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_kernels_same_bytes_whichever_door(twin, dtype):
    """Arguments the compiled twin's front doors take (plain arrays, a Python float eps)
    and equal ones they leave to the checks (a NumPy eps, a read-only x, an unaligned
    copy): the same outputs, statistics and gradients, byte for byte."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 5, 7)).astype(dtype)
    w = rng.uniform(0.5, 2.0, 5).astype(dtype)
    b = rng.standard_normal(5).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    kernels = _ext.get("norm")
    y, mean, var = kernels.batch_norm_forward(x, w, b, 1e-5)
    grads = kernels.batch_norm_backward(g, x, mean, var, w, 1e-5)
    frozen = x.copy()
    frozen.flags.writeable = False
    for xs, eps in [(x, np.float64(1e-5)), (frozen, 1e-5), (unaligned(x), 1e-5)]:
        other = kernels.batch_norm_forward(xs, w, b, eps)
        assert all(a.tobytes() == o.tobytes() for a, o in zip((y, mean, var), other))
        other = kernels.batch_norm_backward(g, xs, mean, var, w, eps)
        assert all(a.tobytes() == o.tobytes() for a, o in zip(grads, other))
    other = kernels.batch_norm_backward(unaligned(g), x, mean, var, w, 1e-5)
    assert all(a.tobytes() == o.tobytes() for a, o in zip(grads, other))


# ------------------------------------------------------------------ evaluation mode
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES + [(0, 3, 4)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval_matches_a_loop(twin, dtype, shape, affine):
    """The fold s = w / sqrt(var + eps), t = b - mean * s and y = x * s + t, each step
    rounded to x's precision as written here: equal to the last bit."""
    rng = np.random.default_rng(5)
    C = shape[1]
    x = rng.standard_normal(shape).astype(dtype)
    mean = rng.standard_normal(C).astype(dtype)
    var = (rng.random(C) + 0.1).astype(dtype)
    w = rng.standard_normal(C).astype(dtype) if affine else None
    b = rng.standard_normal(C).astype(dtype) if affine else None
    y = _ext.get("norm").batch_norm_eval(x, mean, var, w, b, 1e-5)
    assert y.dtype == dtype and y.shape == x.shape
    for c in range(C):
        s = dtype(1) / np.sqrt(var[c] + dtype(1e-5))
        s = s * w[c] if affine else s
        t = b[c] - mean[c] * s if affine else -(mean[c] * s)
        for n in range(shape[0]):
            for l in range(shape[2]):
                assert y[n, c, l] == dtype(x[n, c, l] * s) + t


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_eval_rows_on_every_thread(dtype, monkeypatch):
    """The compiled pass shares its rows (n, c) among the threads from about a million
    values on (``_pass_threads``); forced onto one and onto every thread, an odd number
    of rows (with an infinity and a NaN in them) gives the reference twin's values bit
    for bit."""
    if not _ext.compiled_available("norm"):
        pytest.skip(f"the compiled norm twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _norm, _openmp
    rng = np.random.default_rng(6)
    x = rng.standard_normal((7, 5, 33)).astype(dtype)
    x[3, 2, 0], x[6, 4, 32] = np.inf, np.nan
    mean, var = rng.standard_normal(5).astype(dtype), (rng.random(5) + 0.1).astype(dtype)
    w, b = rng.standard_normal(5).astype(dtype), rng.standard_normal(5).astype(dtype)
    expected = _ext._reference["norm"].batch_norm_eval(x, mean, var, w, b, 1e-5)
    for threads in {1, _openmp.max_threads()}:
        monkeypatch.setattr(_norm, "_pass_threads", lambda x, t=threads: t)
        np.testing.assert_array_equal(_norm.batch_norm_eval(x, mean, var, w, b, 1e-5),
                                      expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(0, 3, 4), (1, 1, 1), (2, 16, 64)])
def test_batch_norm_eval_the_front_door_and_the_long_way_give_the_same_bits(dtype, shape):
    """Plain arguments go from C straight to the loop (``_eval_plain``); a subclass, an
    unaligned array or an ``eps`` of another type go through the checks to the same
    loop: the same bytes, with and without the affine parameters."""
    norm = _compiled_norm()
    rng = np.random.default_rng(11)
    C = shape[1]
    x = rng.standard_normal(shape).astype(dtype)
    mean = rng.standard_normal(C).astype(dtype)
    var = (rng.random(C) + 0.1).astype(dtype)
    w, b = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    for weight, bias in ((w, b), (None, None), (None, b)):
        plain = norm.batch_norm_eval(x, mean, var, weight, bias, 1e-5)
        for args in ((x.view(NotPlain), mean, var, weight, bias, 1e-5),
                     (unaligned(x), mean, var, weight, bias, 1e-5),
                     (x, unaligned(mean), var.view(NotPlain), weight, bias, 1e-5),
                     (x, mean, var, weight, bias, np.float64(1e-5))):
            got = norm.batch_norm_eval(*args)
            assert got.dtype == dtype and got.tobytes() == plain.tobytes()


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 7), (2, 5, 6, 6)])
def test_batch_norm_eval_mode_matches_torch(twin, dtype, shape):
    """Through the public module in evaluation mode: output and input gradient."""
    rng = np.random.default_rng(6)
    c = shape[1]
    layer = {2: lucid.nn.BatchNorm1d, 3: lucid.nn.BatchNorm1d, 4: lucid.nn.BatchNorm2d}
    tlayer = {2: torch.nn.BatchNorm1d, 3: torch.nn.BatchNorm1d, 4: torch.nn.BatchNorm2d}
    ours, theirs = layer[len(shape)](c), tlayer[len(shape)](c)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    state = {"weight": rng.standard_normal(c), "bias": rng.standard_normal(c),
             "running_mean": rng.standard_normal(c), "running_var": rng.random(c) + 0.5}
    for name, value in state.items():
        getattr(ours, name).data[...] = value
        getattr(theirs, name).data[...] = torch.tensor(value)
    ours.eval(), theirs.eval()
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    lx, tx = lucid.Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(lx), theirs(tx)
    assert_close(out, expected.detach().numpy())
    seed = rng.standard_normal(shape).astype(dtype)
    out.backward(seed)
    expected.backward(torch.tensor(seed))
    assert_close(lx.grad, tx.grad.numpy())
    assert_close(ours.weight.grad, theirs.weight.grad.numpy())
    assert_close(ours.bias.grad, theirs.bias.grad.numpy())


@pytest.mark.parametrize("change, error, words", [
    (lambda a: dict(a, x=a["x"].tolist()), TypeError, "x must be a NumPy array"),
    (lambda a: dict(a, x=a["x"].astype(np.int32)), TypeError, "x must be float32 or float64"),
    (lambda a: dict(a, x=a["x"][0]), ValueError, "x must have 3 dimensions"),
    (lambda a: dict(a, x=a["x"][:, :, ::2]), ValueError, "x must be C-contiguous"),
    (lambda a: dict(a, mean=None), TypeError, "mean must be a NumPy array"),
    (lambda a: dict(a, var=a["var"][:2]), ValueError, "var must have shape (3,)"),
    (lambda a: dict(a, weight=a["weight"].astype(np.float64)), TypeError,
     "weight must have the dtype"),
    (lambda a: dict(a, bias=a["bias"][None]), ValueError, "bias must have 1 dimensions"),
    (lambda a: dict(a, eps=-1.0), ValueError, "eps must be finite and at least 0"),
    (lambda a: dict(a, eps="1e-5"), TypeError, "eps must be a float"),
    (lambda a: dict(a, eps=float("nan")), ValueError, "eps must be finite and at least 0"),
    (lambda a: dict(a, var=None), TypeError, "var must be a NumPy array"),
    (lambda a: dict(a, mean=np.zeros(6, np.float32)[::2]), ValueError,
     "mean must be C-contiguous"),
    (lambda a: dict(a, x=a["x"].astype(">f4")), TypeError, "x must be float32 or float64"),
    (lambda a: dict(a, var=a["var"].astype(">f4")), TypeError, "var must be float32 or float64"),
])
def test_batch_norm_eval_rejects_bad_input(twin, change, error, words):
    x, w, b = _good()
    args = change(dict(x=x, mean=np.zeros(3, np.float32), var=np.ones(3, np.float32),
                       weight=w, bias=b, eps=1e-5))
    with pytest.raises(error, match="batch_norm_eval: " + ".*" + words.replace("(", r"\(")
                       .replace(")", r"\)")):
        _ext.get("norm").batch_norm_eval(**args)


# ------------------------------------------------------------------ layer norm (compiled)
def _compiled_norm():
    if not _ext.compiled_available("norm"):
        pytest.skip(f"the compiled norm twin is not built; {_ext.BUILD_HINT}")
    from lucid._ext import _norm
    return _norm


def _layer_oracle(x, g, w, b, eps):
    """Loops written here, in float64, row by row: y, mean, var and the three gradients
    of layer norm with the parameters along each row."""
    R, D = x.shape
    x, g = x.astype(np.float64), g.astype(np.float64)
    w = np.ones(D) if w is None else w.astype(np.float64)
    b = np.zeros(D) if b is None else b.astype(np.float64)
    y, gx = np.zeros_like(x), np.zeros_like(x)
    mean, var, gw, gb = np.zeros(R), np.zeros(R), np.zeros(D), np.zeros(D)
    for r in range(R):
        mean[r] = sum(x[r]) / D
        var[r] = sum((v - mean[r]) ** 2 for v in x[r]) / D
        rstd = 1 / np.sqrt(var[r] + eps)
        xhat = [(v - mean[r]) * rstd for v in x[r]]
        h = [g[r, l] * w[l] for l in range(D)]
        mean_h = sum(h) / D
        mean_hx = sum(h[l] * xhat[l] for l in range(D)) / D
        for l in range(D):
            y[r, l] = xhat[l] * w[l] + b[l]
            gx[r, l] = rstd * (h[l] - mean_h - xhat[l] * mean_hx)
            gw[l] += g[r, l] * xhat[l]
            gb[l] += g[r, l]
    return y, mean, var, gx, gw, gb


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (7, 64), (70, 37)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_kernels_match_a_loop_and_the_batch_norm_path(dtype, shape, affine):
    """The compiled twin's private ``_layer_norm_forward`` / ``_layer_norm_backward`` (the
    op layer's call for layer norm): against loops in float64, and against what the op
    computes without them (``batch_norm_forward`` / ``backward`` on the rows seen as
    ``(1, R, D)``, the parameters applied around them in NumPy): the same bits for
    ``y``, the statistics and ``grad_x``."""
    norm = _compiled_norm()
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(shape[1]).astype(dtype) if affine else None
    b = rng.standard_normal(shape[1]).astype(dtype) if affine else None
    y, mean, var = norm._layer_norm_forward(x, w, b, 1e-5)
    gx, gw, gb = norm._layer_norm_backward(g, x, mean, var, w, 1e-5)
    tol = dict(rtol=2e-4, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for got, want in zip((y, mean, var, gx, gw, gb), _layer_oracle(x, g, w, b, 1e-5)):
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, **tol)
    y3, mean3, var3 = norm.batch_norm_forward(x[None], None, None, 1e-5)
    if affine:
        y3 = y3 * w + b
    h = g if w is None else g * w
    gx3, _, _ = norm.batch_norm_backward(h[None], x[None], mean3, var3, None, 1e-5)
    for got, want in ((y, y3[0]), (mean, mean3), (var, var3), (gx, gx3[0])):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_kernels_do_not_depend_on_the_thread_count(monkeypatch, dtype):
    """Rows go to the threads whole, and the parameters' gradients are summed per block
    of rows, the blocks added in order: one thread and every thread give the same bits
    (here 100 blocks of rows, the last one short)."""
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((3190, 45)) * 2 + 3).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    w, b = rng.standard_normal(45).astype(dtype), rng.standard_normal(45).astype(dtype)

    def run(kernels):
        y, mean, var = kernels._layer_norm_forward(x, w, b, 1e-5)
        return (y, mean, var) + kernels._layer_norm_backward(g, x, mean, var, w, 1e-5)

    assert_same_bits_on_any_thread_count(monkeypatch, "norm", "_threads", run)


@pytest.mark.parametrize("change, error, words", [
    (lambda a: dict(a, x=a["x"].tolist()), TypeError, "x must be a NumPy array"),
    (lambda a: dict(a, x=a["x"].astype(np.int64)), TypeError, "x must be float32 or float64"),
    (lambda a: dict(a, x=a["x"][None]), ValueError, "x must have 2 dimensions"),
    (lambda a: dict(a, x=a["x"][:, ::2]), ValueError, "x must be C-contiguous"),
    (lambda a: dict(a, x=a["x"][:, :0]), ValueError, "at least one value per row"),
    (lambda a: dict(a, weight=a["weight"][:2]), ValueError, "weight must have shape (4,)"),
    (lambda a: dict(a, bias=a["bias"].astype(np.float64)), TypeError, "bias must have the dtype"),
    (lambda a: dict(a, eps=-1.0), ValueError, "eps must be finite and at least 0"),
    (lambda a: dict(a, eps=float("nan")), ValueError, "eps must be finite and at least 0"),
    (lambda a: dict(a, eps=float("inf")), ValueError, "eps must be finite and at least 0"),
    (lambda a: dict(a, eps="1e-5"), TypeError, "eps must be a float"),
    (lambda a: dict(a, weight=a["weight"].tolist()), TypeError, "weight must be a NumPy array"),
    (lambda a: dict(a, weight=a["weight"][None]), ValueError, "weight must have 1 dimensions"),
    (lambda a: dict(a, bias=None, weight=a["weight"][::2]), ValueError, "weight must be "
                                                                        "C-contiguous"),
    (lambda a: dict(a, x=a["x"].astype(">f4")), TypeError, "x must be float32 or float64"),
    (lambda a: dict(a, weight=a["weight"].astype(">f4")), TypeError,
     "weight must be float32 or float64"),
])
def test_layer_norm_forward_rejects_bad_input(change, error, words):
    norm = _compiled_norm()
    x = np.random.default_rng(9).standard_normal((3, 4)).astype(np.float32)
    args = change(dict(x=x, weight=np.ones(4, np.float32), bias=np.zeros(4, np.float32),
                       eps=1e-5))
    with pytest.raises(error, match="_layer_norm_forward: " + ".*" + words.replace("(", r"\(")
                       .replace(")", r"\)")):
        norm._layer_norm_forward(**args)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(0, 5), (1, 1), (3, 64), (70, 37)])
def test_layer_norm_forward_the_front_door_and_the_long_way_give_the_same_bits(dtype, shape):
    """Plain arguments (an ndarray exactly, aligned, C-contiguous; ``eps`` a float) go
    from C straight to the loop (``_layer_norm_plain``); a subclass, an unaligned array
    or an ``eps`` of another type go through the checks to the same loop: the same
    bytes for ``y`` and the statistics, with and without the parameters."""
    norm = _compiled_norm()
    rng = np.random.default_rng(10)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    w = rng.standard_normal(shape[1]).astype(dtype)
    b = rng.standard_normal(shape[1]).astype(dtype)
    for weight, bias in ((w, b), (None, None), (w, None)):
        plain = norm._layer_norm_forward(x, weight, bias, 1e-5)
        others = [(x.view(NotPlain), weight, bias, 1e-5), (unaligned(x), weight, bias, 1e-5),
                  (x, weight, bias, np.float64(1e-5))]
        if weight is not None:
            others.append((x, unaligned(weight), bias, 1e-5))
        for args in others:
            for got, want in zip(norm._layer_norm_forward(*args), plain):
                assert got.dtype == dtype and got.tobytes() == want.tobytes()
    y, mean, var = norm._layer_norm_forward(x, None, None, 1.0)      # an int eps: the long way
    for got, want in zip(norm._layer_norm_forward(x, None, None, 1), (y, mean, var)):
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("change, error, words", [
    (lambda a: dict(a, grad=a["grad"][:1]), ValueError, "grad must have shape (3, 4)"),
    (lambda a: dict(a, grad=a["grad"].astype(np.float64)), TypeError, "grad must have the dtype"),
    (lambda a: dict(a, mean=None), TypeError, "mean must be a NumPy array"),
    (lambda a: dict(a, var=a["var"][:2]), ValueError, "var must have shape (3,)"),
    (lambda a: dict(a, weight=np.ones(3, np.float32)), ValueError, "weight must have shape (4,)"),
    (lambda a: dict(a, eps=True), TypeError, "eps must be a float"),
])
def test_layer_norm_backward_rejects_bad_input(change, error, words):
    norm = _compiled_norm()
    x = np.random.default_rng(9).standard_normal((3, 4)).astype(np.float32)
    args = change(dict(grad=np.ones_like(x), x=x, mean=np.zeros(3, np.float32),
                       var=np.ones(3, np.float32), weight=np.ones(4, np.float32), eps=1e-5))
    with pytest.raises(error, match="_layer_norm_backward: " + ".*" + words.replace("(", r"\(")
                       .replace(")", r"\)")):
        norm._layer_norm_backward(**args)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_op_gives_the_same_bits_with_and_without_the_fused_kernels(
        monkeypatch, dtype, affine):
    """``F.layer_norm`` on the compiled twin with its private layer-norm kernels, and with
    them taken away (the op's NumPy path around ``batch_norm_forward``): ``y`` and
    ``dL/dx`` to the bit, the parameters' gradients within rounding."""
    norm = _compiled_norm()
    rng = np.random.default_rng(10)
    x = (rng.standard_normal((4, 6, 3, 5)) * 2 + 1).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    wb = [rng.standard_normal((3, 5)).astype(dtype) for _ in range(2)] if affine else []

    def run():
        tensors = [lucid.Tensor(a.copy(), requires_grad=True) for a in [x] + wb]
        with lucid.kernels.use("compiled", "norm"):
            out = F.layer_norm(tensors[0], (3, 5), *tensors[1:])
            out.backward(g)
        return [out.data] + [t.grad for t in tensors]

    calls = []
    for name in ("_layer_norm_forward", "_layer_norm_backward"):
        kernel = getattr(norm, name)
        monkeypatch.setattr(norm, name, lambda *a, k=kernel: calls.append(k) or k(*a))
    fused = run()
    assert len(calls) == 2, "the op did not take the fused kernels"
    monkeypatch.delattr(norm, "_layer_norm_forward")
    monkeypatch.delattr(norm, "_layer_norm_backward")
    plain = run()
    np.testing.assert_array_equal(fused[0], plain[0])
    np.testing.assert_array_equal(fused[1], plain[1])
    for got, want in zip(fused[2:], plain[2:]):
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12,
                                   atol=1e-5 if dtype == np.float32 else 1e-12)


def test_layer_norm_gradcheck_on_the_fused_kernels():
    _compiled_norm()
    rng = np.random.default_rng(11)
    x, w, b = (lucid.Tensor(rng.standard_normal(s), requires_grad=True)
               for s in [(3, 2, 5), (5,), (5,)])
    with lucid.kernels.use("compiled", "norm"):
        assert gradcheck(lambda *t: F.layer_norm(t[0], 5, t[1], t[2]), [x, w, b])
        assert gradcheck(lambda t: F.layer_norm(t, (2, 5)), [x])


def test_instance_norm_with_as_many_channels_as_positions_is_not_fused(twin):
    """Instance norm in training mode normalises rows too, but its parameters lie along
    the channels: with C equal to H * W (4 and 2 x 2) they must not be taken for a row's
    parameters (a loop oracle in float64)."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 4, 2, 2))
    w, b = rng.standard_normal(4), rng.standard_normal(4)
    out = F.instance_norm(lucid.Tensor(x), weight=lucid.Tensor(w), bias=lucid.Tensor(b))
    rows = x.reshape(8, 4)
    xhat = (rows - rows.mean(axis=1, keepdims=True)) / np.sqrt(rows.var(axis=1, keepdims=True)
                                                              + 1e-5)
    expected = xhat.reshape(2, 4, 4) * w[None, :, None] + b[None, :, None]
    np.testing.assert_allclose(out.data.reshape(2, 4, 4), expected, rtol=1e-12, atol=1e-12)


def test_layer_norm_backward_after_a_switch_of_twins():
    """A forward on the compiled twin's fused kernels and a backward after switching to
    the reference twin (which has no ``_layer_norm_backward``): the op's NumPy backward
    fits the same forward values, and gives the gradients of a run on the reference."""
    _compiled_norm()
    rng = np.random.default_rng(13)
    x, w, b = (rng.standard_normal(s) for s in [(4, 3, 6), (6,), (6,)])
    g = rng.standard_normal((4, 3, 6))
    runs = []
    for forward_twin in ("compiled", "reference"):
        tensors = [lucid.Tensor(a.copy(), requires_grad=True) for a in (x, w, b)]
        with lucid.kernels.use(forward_twin, "norm"):
            out = F.layer_norm(tensors[0], 6, tensors[1], tensors[2])
        with lucid.kernels.use("reference", "norm"):
            out.backward(g)
        runs.append([t.grad for t in tensors])
    for got, want in zip(*runs):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
