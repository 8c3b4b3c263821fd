"""The compiled loops' two ways to run: a plain loop on one thread, a parallel loop on more.

Opening a parallel region costs ~0.7 us even for a team of one, so every compiled loop
that ``threads_for`` (or a family's own rule) gives one thread runs as a plain ``range``
loop, and as a ``prange`` otherwise (``lucid/_ext/_openmp.pyx``). Both call the same
per-row, per-channel or per-plane function, and each row, channel or plane is computed
by one thread either way, so the two must give the same bits. Each test forces the
thread rule of one compiled module to 1 and then to 2 and compares every output; the
inputs have enough rows, channels or planes that both threads get some, and a few
special values (NaN, infinities) where the kernel defines what they give.
"""
import numpy as np
import pytest

from lucid import _ext


def _compiled(family):
    if not _ext.compiled_available(family):
        pytest.skip(f"the compiled {family} twin is not built; {_ext.BUILD_HINT}")


def _on_threads(monkeypatch, module, rule, run):
    """``run()``'s outputs with ``module.rule`` forced to 1 thread, then to 2."""
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(module, rule, lambda *_, t=threads: t)
        results.append(run())
    return results


def _same(one, two):
    assert len(one) == len(two)
    for a, b in zip(one, two):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
        assert a.tobytes() == b.tobytes()        # -0.0 and NaN payloads too


def _rng():
    return np.random.default_rng(11)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_loops(monkeypatch, dtype):
    _compiled("softmax")
    from lucid._ext import _softmax
    x = (_rng().standard_normal((37, 19)) * 4).astype(dtype)
    x[0, :3] = [np.inf, 0.0, 1.0]
    x[5, 2] = np.nan
    g = _rng().standard_normal(x.shape).astype(dtype)

    def run():
        y = _softmax.softmax_forward(x)
        ly = _softmax._log_softmax_forward(x)
        return (y, _softmax.softmax_backward(y, g), ly,
                _softmax._log_softmax_backward(ly, g))

    _same(*_on_threads(monkeypatch, _softmax, "threads_for", run))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_loops(monkeypatch, dtype):
    _compiled("loss")
    from lucid._ext import _loss
    z = _rng().standard_normal((41, 7)).astype(dtype)
    target = _rng().integers(0, 7, size=41).astype(np.int64)
    target[3] = -100                               # ignored
    weight = _rng().uniform(0.5, 2.0, 7).astype(dtype)
    coef = np.full(41, 1 / 41, dtype=dtype)

    def run():
        loss, p = _loss.cross_entropy_forward(z, target, weight, -100)
        return loss, p, _loss.cross_entropy_backward(p, target, weight, -100, coef)

    _same(*_on_threads(monkeypatch, _loss, "threads_for", run))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm_loops(monkeypatch, dtype):
    _compiled("norm")
    from lucid._ext import _norm
    rng = _rng()
    x = rng.standard_normal((3, 9, 13)).astype(dtype)
    x[1, 4, 2] = np.nan
    w, b = rng.standard_normal(9).astype(dtype), rng.standard_normal(9).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    rows = rng.standard_normal((45, 21)).astype(dtype)       # two blocks of 32 rows
    rows[7, 3] = np.inf
    rw, rb = rng.standard_normal(21).astype(dtype), rng.standard_normal(21).astype(dtype)
    rg = rng.standard_normal(rows.shape).astype(dtype)
    mean, var = rng.standard_normal(9).astype(dtype), rng.uniform(0.5, 2, 9).astype(dtype)

    def run():
        y, m, v = _norm.batch_norm_forward(x, w, b, 1e-5)
        back = _norm.batch_norm_backward(g, x, m, v, w, 1e-5)
        ry, rm, rv = _norm._layer_norm_forward(rows, rw, rb, 1e-5)
        rback = _norm._layer_norm_backward(rg, rows, rm, rv, rw, 1e-5)
        return (y, m, v, *back, ry, rm, rv, *rback,
                _norm.batch_norm_eval(x, mean, var, w, b, 1e-5))

    for rule in ("_threads", "_pass_threads"):
        _same(*_on_threads(monkeypatch, _norm, rule, run))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("window", [(2, 2), (3, 2)])      # the 2x2 path and the general one
def test_pool_loops(monkeypatch, dtype, window):
    _compiled("pool")
    from lucid._ext import _pool
    x = _rng().standard_normal((3, 5, 10, 12)).astype(dtype)
    x[0, 1, 2, 3], x[2, 4, 5, 6] = np.nan, -np.inf

    def run():
        y, argmax = _pool.max_pool_forward(x, window, (2, 2), (0, 0), (1, 1), False)
        gx = _pool.max_pool_backward(y * 2, argmax, x.shape)
        a = _pool.avg_pool_forward(x, window, (2, 2), (0, 0), False, True, None)
        ga = _pool.avg_pool_backward(a * 2, x.shape, window, (2, 2), (0, 0), False, True,
                                     None)
        return y, argmax, gx, a, ga

    _same(*_on_threads(monkeypatch, _pool, "threads_for", run))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding",
                         [((3, 4, 21), (6, 4, 3), (2,), (1,)),
                          ((3, 3, 9, 10), (5, 3, 3, 2), (1, 2), (1, 0))])
def test_per_sample_convolution_loops(monkeypatch, dtype, x_shape, w_shape, stride, padding):
    """The per-sample paths of the convolution and of the transposed convolution (the
    forward's tiles, the transposed one's samples), their thread count forced (their
    own rule is ``free_threads`` of the samples), each checked to run there."""
    _compiled("conv")
    from lucid._ext import _conv
    rng = _rng()
    x = rng.standard_normal(x_shape).astype(dtype)
    x.reshape(-1)[5] = np.nan
    w = rng.standard_normal(w_shape).astype(dtype)
    wt = rng.standard_normal((x_shape[1],) + w_shape[:1] + w_shape[2:]).astype(dtype)
    bias = rng.standard_normal(w_shape[0]).astype(dtype)
    d = len(stride)
    ran = []
    for name in ("_run_sample_conv", "_run_sample_conv_transpose"):
        monkeypatch.setattr(_conv, name, lambda *a, _f=getattr(_conv, name), _n=name, **k:
                            (ran.append(_n), _f(*a, **k))[1])
    monkeypatch.setattr(_conv, "_path", lambda *a: "per-sample")

    def run():
        y = _conv._conv_forward_biased(x, w, bias, stride, padding, (1,) * d, 1)
        yt = _conv._conv_transpose_forward_biased(x, wt, bias, stride, padding, (0,) * d,
                                                  (1,) * d, 1)
        return y, yt

    _same(*_on_threads(monkeypatch, _conv, "free_threads", run))
    assert {"_run_sample_conv", "_run_sample_conv_transpose"} <= set(ran)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("how", ["plain", "unaligned"])     # the front door, the long way
def test_adam_loops(monkeypatch, dtype, how):
    """Adam's branch-free loop in blocks of 4,096 values shared among the threads: three
    steps of 4 x 4,096 + 7 values (five blocks, the last of 7; the least size the rule
    is asked for is 16,384) give the same bytes in the parameter and both moments on one
    thread and two, AdamW's decay included."""
    _compiled("optim")
    from lucid._ext import _optim
    from tests.helpers import unaligned
    rng = _rng()
    n = 4 * 4096 + 7
    p = rng.standard_normal(n).astype(dtype)
    grads = [rng.standard_normal(n).astype(dtype) for _ in range(3)]
    grads[1][[0, 4095, 4096, n - 1]] = [np.nan, np.inf, -0.0, -np.inf]

    def run():
        state = [p.copy(), np.zeros(n, dtype), np.zeros(n, dtype)]
        if how == "unaligned":
            state = [unaligned(a) for a in state]
        for t, g in enumerate(grads, start=1):
            _optim.adam_step(state[0], g if how == "plain" else unaligned(g), state[1],
                             state[2], None, t, 0.01, 0.9, 0.999, 1e-8, 0.1, True)
        return [np.array(a) for a in state]

    one, two = _on_threads(monkeypatch, _optim, "_adam_threads", run)
    _same(one, two)
    assert not np.array_equal(one[0], p)                      # the steps did something


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("how", ["plain", "unaligned"])     # the front door, the long way
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_loops(monkeypatch, dtype, how, momentum):
    """SGD's branch-free loops (with and without momentum) in blocks of 16,384 values
    shared among the threads: three steps of 4 x 16,384 + 5 values (five blocks; the
    least size the rule is asked for is 65,536) give the same bytes in the parameter and
    the buffer on one thread and two."""
    _compiled("optim")
    from lucid._ext import _optim
    from tests.helpers import unaligned
    rng = _rng()
    n = 4 * 16384 + 5
    p = rng.standard_normal(n).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    grads = [rng.standard_normal(n).astype(dtype) for _ in range(3)]
    grads[1][[0, 16383, 16384, n - 1]] = [np.nan, np.inf, -0.0, -np.inf]
    door = (lambda a: a) if how == "plain" else unaligned

    def run():
        state = [door(p.copy()), door(b.copy()) if momentum else None]
        for g in grads:
            _optim.sgd_step(state[0], door(g), state[1], 0.1, momentum, 0.0, 0.0, False,
                            False)
        return [np.array(a) for a in state if a is not None]

    one, two = _on_threads(monkeypatch, _optim, "_sgd_threads", run)
    _same(one, two)
    assert not np.array_equal(one[0], p)                      # the steps did something
