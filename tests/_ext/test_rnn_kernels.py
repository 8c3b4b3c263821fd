"""The rnn kernel family (an LSTM's and a GRU's time loops, forwards and backwards), both twins:
a loop oracle unit by unit, finite differences for the backward in float64, the twins
against each other on the shapes that take each of the compiled twin's row blocks and
partial panels, the same bits on one thread and two, and every check of ``_checks.py``.

(``tests/nn/modules/test_rnn.py`` compares the layers built on these kernels with
PyTorch, values and gradients.)"""
import math

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid import _ext

KERNEL_FAMILIES = ("rnn",)

# (N, H, batch_sizes, reverse): padded and packed sequences, both directions, H not a
# multiple of the compiled twin's panels (8 units forwards, 32 backwards)
CASES = [
    (1, 1, [1], False),
    (3, 5, [3, 3, 3, 3], False),
    (4, 3, [4, 3, 3, 1], False),
    (4, 3, [4, 3, 3, 1], True),
    (2, 9, [2, 2, 1], True),
]


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


def _inputs(rng, N, H, batch_sizes, dtype, scale=1.0):
    rows = sum(batch_sizes)
    return dict(
        gates=rng.standard_normal((rows, 4 * H)).astype(dtype),
        h0=rng.standard_normal((N, H)).astype(dtype),
        c0=rng.standard_normal((N, H)).astype(dtype),
        w_hh=(scale * rng.standard_normal((4 * H, H)) / math.sqrt(H)).astype(dtype),
        batch_sizes=np.array(batch_sizes, dtype=np.int64),
    )


def _steps(batch_sizes, reverse):
    starts = np.concatenate(([0], np.cumsum(batch_sizes)[:-1]))
    steps = list(zip(starts.tolist(), list(batch_sizes)))
    return steps[::-1] if reverse else steps


def _forward_loop(gates, h0, c0, w_hh, batch_sizes, reverse):
    """Unit by unit in Python floats: what lstm_forward must return."""
    N, H = h0.shape
    h, c = h0.astype(float).tolist(), c0.astype(float).tolist()
    rows = len(gates)
    y, h_prev, c_prev, tanh_c = (np.zeros((rows, H)) for _ in range(4))
    acts = np.zeros((rows, 4 * H))
    for start, b in _steps(batch_sizes, reverse):
        old_h = [row[:] for row in h]
        for n in range(b):
            r = start + n
            for u in range(H):
                a = [float(gates[r, k * H + u]) + sum(float(w_hh[k * H + u, j]) * old_h[n][j]
                                                      for j in range(H)) for k in range(4)]
                i, f, g, o = _sigmoid(a[0]), _sigmoid(a[1]), math.tanh(a[2]), _sigmoid(a[3])
                acts[r, [u, H + u, 2 * H + u, 3 * H + u]] = i, f, g, o
                h_prev[r, u], c_prev[r, u] = old_h[n][u], c[n][u]
                c[n][u] = f * c[n][u] + i * g
                tanh_c[r, u] = math.tanh(c[n][u])
                h[n][u] = y[r, u] = o * tanh_c[r, u]
    return acts, y, h_prev, c_prev, tanh_c, np.array(h).reshape(N, H), np.array(c).reshape(N, H)


def _tolerance(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ forward
@pytest.mark.parametrize("N, H, batch_sizes, reverse", CASES)
def test_forward_matches_the_loop(twin, rng, float_dtype, N, H, batch_sizes, reverse):
    args = _inputs(rng, N, H, batch_sizes, float_dtype)
    expected = _forward_loop(**args, reverse=reverse)
    gates = args.pop("gates")
    got = _ext.get("rnn").lstm_forward(gates, **args, reverse=reverse)
    names = ["gates", "y", "h_prev", "c_prev", "tanh_c", "h_n", "c_n"]
    for name, g, e in zip(names, (gates,) + tuple(got), expected):
        assert g.dtype == float_dtype and g.shape == e.shape, name
        np.testing.assert_allclose(g, e, err_msg=name, **_tolerance(float_dtype))


def test_forward_leaves_its_inputs_but_gates(twin, rng):
    args = _inputs(rng, 3, 4, [3, 2], np.float32)
    before = {k: v.copy() for k, v in args.items()}
    _ext.get("rnn").lstm_forward(**args, reverse=False)
    for name in ("h0", "c0", "w_hh", "batch_sizes"):
        np.testing.assert_array_equal(args[name], before[name], err_msg=name)
    assert not np.array_equal(args["gates"], before["gates"])       # the gates, in place


def test_sequences_that_end_keep_their_state(twin, rng):
    """In a packed batch, h_n of a sequence is its h at its own last step."""
    args = _inputs(rng, 3, 4, [3, 3, 1], np.float64)
    gates = args.pop("gates")
    y, _, _, _, h_n, _ = _ext.get("rnn").lstm_forward(gates, **args, reverse=False)
    np.testing.assert_array_equal(h_n[0], y[6])         # sequence 0 ran 3 steps
    np.testing.assert_array_equal(h_n[1:], y[4:6])      # sequences 1, 2 ran 2


def test_no_steps(twin):
    h0, c0 = np.ones((2, 3)), np.full((2, 3), 2.0)
    y, h_prev, c_prev, tanh_c, h_n, c_n = _ext.get("rnn").lstm_forward(
        np.zeros((0, 12)), h0, c0, np.zeros((12, 3)), np.zeros(0, dtype=np.int64), False)
    assert y.shape == h_prev.shape == (0, 3)
    np.testing.assert_array_equal(h_n, h0)
    np.testing.assert_array_equal(c_n, c0)
    delta, dh0, dc0 = _ext.get("rnn").lstm_backward(
        np.zeros((0, 12)), y, y, np.zeros((12, 3)), y, h0, c0,
        np.zeros(0, dtype=np.int64), False)
    assert delta.shape == (0, 12)
    np.testing.assert_array_equal(dh0, h0)
    np.testing.assert_array_equal(dc0, c0)


# ------------------------------------------------------------------ backward
def _loss_and_weights(rng, rows, N, H):
    """L = sum(y * Wy) + sum(h_n * Wh) + sum(c_n * Wc): its gradients are the weights."""
    return [rng.standard_normal(s) for s in ((rows, H), (N, H), (N, H))]


def _loss(kernel, weights, gates, h0, c0, w_hh, batch_sizes, reverse):
    y, _, _, _, h_n, c_n = kernel.lstm_forward(gates.copy(), h0, c0, w_hh, batch_sizes,
                                               reverse)
    return sum(float((a * w).sum()) for a, w in zip((y, h_n, c_n), weights))


@pytest.mark.parametrize("N, H, batch_sizes, reverse", CASES)
def test_backward_matches_finite_differences(twin, rng, N, H, batch_sizes, reverse):
    """float64: delta is dL/d(gates on entry), dh0 and dc0 dL/dh0 and dL/dc0."""
    kernel = _ext.get("rnn")
    args = _inputs(rng, N, H, batch_sizes, np.float64)
    weights = _loss_and_weights(rng, len(args["gates"]), N, H)
    saved = args["gates"].copy()
    _, _, c_prev, tanh_c, _, _ = kernel.lstm_forward(**args, reverse=reverse)
    delta, dh0, dc0 = kernel.lstm_backward(args["gates"], tanh_c, c_prev, args["w_hh"],
                                           *weights, args["batch_sizes"], reverse)
    args["gates"] = saved
    eps = 1e-6
    for name, grad in (("gates", delta), ("h0", dh0), ("c0", dc0)):
        numeric = np.zeros_like(grad)
        for index in np.ndindex(grad.shape):
            moved = {k: v.copy() for k, v in args.items()}
            moved[name][index] += eps
            up = _loss(kernel, weights, **moved, reverse=reverse)
            moved[name][index] -= 2 * eps
            down = _loss(kernel, weights, **moved, reverse=reverse)
            numeric[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def test_backward_leaves_its_inputs(twin, rng):
    kernel = _ext.get("rnn")
    args = _inputs(rng, 3, 4, [3, 2], np.float32)
    _, _, c_prev, tanh_c, _, _ = kernel.lstm_forward(**args, reverse=False)
    dy, dh_n, dc_n = (rng.standard_normal(s).astype(np.float32)
                      for s in ((5, 4), (3, 4), (3, 4)))
    inputs = [args["gates"], tanh_c, c_prev, args["w_hh"], dy, dh_n, dc_n]
    before = [a.copy() for a in inputs]
    kernel.lstm_backward(*inputs, args["batch_sizes"], False)
    for a, b in zip(inputs, before):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ the twins agree
def _forward_and_backward(kernel, args, reverse, grads=None):
    """One twin's gates after the forward, the forward's six outputs and the backward's
    three; the backward takes ``grads`` (dy, dh_n, dc_n), or y, h0 and c0."""
    gates = args["gates"].copy()
    forward = kernel.lstm_forward(gates, args["h0"], args["c0"], args["w_hh"],
                                  args["batch_sizes"], reverse)
    dy, dh_n, dc_n = grads if grads is not None else (forward[0], args["h0"], args["c0"])
    backward = kernel.lstm_backward(gates, forward[3], forward[2], args["w_hh"], dy, dh_n,
                                    dc_n, args["batch_sizes"], reverse)
    return (gates,) + tuple(forward) + tuple(backward)


# N from 1 to 30 takes every row block of the compiled loops (12, 8, 4, 2, 1); H = 200
# is benchmarks/lstm_lm.py's layer; 37 and 300 end in partial panels, 300 > 256 values
# of k in one block forwards
@pytest.mark.parametrize("N, H, T, packed, reverse", [
    (20, 200, 7, False, False), (30, 37, 5, True, True), (7, 300, 3, False, True),
    (1, 64, 4, False, False), (13, 33, 6, True, False),
])
def test_the_twins_agree(rng, float_dtype, N, H, T, packed, reverse):
    if not _ext.compiled_available("rnn"):
        pytest.skip("compiled twin of 'rnn' is not built; " + _ext.BUILD_HINT)
    sizes = [N] + sorted(rng.integers(1, N + 1, size=T - 1).tolist(), reverse=True) \
        if packed else [N] * T
    args = _inputs(rng, N, H, sizes, float_dtype)
    grads = [rng.standard_normal(s).astype(float_dtype)
             for s in ((len(args["gates"]), H), (N, H), (N, H))]
    out = {kind: _forward_and_backward(_ext._reference["rnn"] if kind == "reference"
                                       else _ext._compiled["rnn"], args, reverse, grads)
           for kind in ("reference", "compiled")}
    tol = dict(rtol=1e-4, atol=1e-5) if float_dtype == np.float32 else dict(rtol=1e-10,
                                                                            atol=1e-12)
    for i, (a, b) in enumerate(zip(out["reference"], out["compiled"])):
        np.testing.assert_allclose(b, a, err_msg=f"output {i}", **tol)


def test_compiled_results_do_not_depend_on_the_threads(rng, monkeypatch):
    """Every value comes from the same instructions whichever thread owns its panel."""
    if not _ext.compiled_available("rnn"):
        pytest.skip("compiled twin of 'rnn' is not built; " + _ext.BUILD_HINT)
    compiled = _ext._compiled["rnn"]
    args = _inputs(rng, 20, 72, [20] * 5, np.float32)
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(compiled, "threads_for", lambda work, t=threads: t)
        results.append(_forward_and_backward(compiled, args, False))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_compiled_tanh_and_sigmoid_are_accurate(rng):
    """The float32 cells' own sigmoid and tanh (compiled twin): a one-unit layer whose
    weights are 0 returns sigma and tanh of the gates it is given, over the whole range
    (float32 values against float64 functions)."""
    if not _ext.compiled_available("rnn"):
        pytest.skip("compiled twin of 'rnn' is not built; " + _ext.BUILD_HINT)
    a = np.concatenate([np.linspace(-100, 100, 20001), np.linspace(-1, 1, 20001),
                        [0.0, -0.0, 1e-30, -1e-30, 0.625, -0.625, np.inf, -np.inf]])
    a = a.astype(np.float32)
    gates = np.repeat(a[:, None], 4, axis=1)
    rows = len(a)
    _ext._compiled["rnn"].lstm_forward(gates, np.zeros((rows, 1), np.float32),
                                       np.zeros((rows, 1), np.float32),
                                       np.zeros((4, 1), np.float32),
                                       np.array([rows], dtype=np.int64), False)
    x = a.astype(np.float64)
    sigmoid = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(gates[:, 0], sigmoid, rtol=3e-7, atol=1e-37)
    np.testing.assert_allclose(gates[:, 2], np.tanh(x), rtol=3e-7, atol=0)
    nan = np.full((1, 4), np.nan, np.float32)
    _ext._compiled["rnn"].lstm_forward(nan, np.zeros((1, 1), np.float32),
                                       np.zeros((1, 1), np.float32),
                                       np.zeros((4, 1), np.float32),
                                       np.array([1], dtype=np.int64), False)
    assert np.isnan(nan).all()


# ------------------------------------------------------------------ the checks
def _valid():
    H, N = 3, 2
    gates = np.zeros((4, 4 * H))
    return dict(gates=gates, h0=np.zeros((N, H)), c0=np.zeros((N, H)),
                w_hh=np.zeros((4 * H, H)), batch_sizes=np.array([2, 2], dtype=np.int64),
                reverse=False)


@pytest.mark.parametrize("change, error, message", [
    (dict(gates=[[0.0] * 12] * 4), TypeError, "gates must be a NumPy array, got list"),
    (dict(gates=np.zeros((4, 12), np.int64)), TypeError, "gates must be float32 or float64"),
    (dict(gates=np.zeros((4, 11))), ValueError, r"gates must have 4 \* H = 12 columns"),
    (dict(gates=np.zeros((4, 24))[:, ::2]), ValueError, "gates must be C-contiguous"),
    (dict(h0=np.zeros((2, 3), np.float32)), TypeError, r"h0 must have the dtype of gates"),
    (dict(c0=np.zeros((3, 3))), ValueError, r"c0 must have shape \(2, 3\)"),
    (dict(w_hh=np.zeros((12, 4))), ValueError, r"w_hh must have shape \(12, 3\)"),
    (dict(batch_sizes=np.array([2, 2], dtype=np.int32)), TypeError,
     "batch_sizes must have dtype int64"),
    (dict(batch_sizes=np.array([2, 3], dtype=np.int64)), ValueError,
     r"batch_sizes must not increase from step to step, got \[2, 3\]"),
    (dict(batch_sizes=np.array([2, 1], dtype=np.int64)), ValueError,
     "batch_sizes must sum to the 4 rows of gates, got 3"),
    (dict(batch_sizes=np.array([3, 1], dtype=np.int64)), ValueError,
     r"batch_sizes\[0\] must be the batch of the states \(2\), got 3"),
    (dict(batch_sizes=np.array([2, 2, -1, 1], dtype=np.int64)), ValueError,
     "batch_sizes must not be negative, got -1"),
    (dict(reverse=1), TypeError, "reverse must be a bool, got 1"),
])
def test_forward_checks(twin, change, error, message):
    args = {**_valid(), **change}
    with pytest.raises(error, match=f"^lstm_forward: ({message})"):
        _ext.get("rnn").lstm_forward(**args)


def test_forward_refuses_read_only_gates(twin):
    args = _valid()
    args["gates"].flags.writeable = False
    with pytest.raises(ValueError, match="^lstm_forward: gates must be writeable"):
        _ext.get("rnn").lstm_forward(**args)


@pytest.mark.parametrize("change, error, message", [
    (dict(gates=np.zeros((4, 10))), ValueError, r"gates must have 4 \* H columns"),
    (dict(tanh_c=np.zeros((4, 2))), ValueError, r"tanh_c must have shape \(4, 3\)"),
    (dict(c_prev=np.zeros((4, 3), np.float32)), TypeError, "c_prev must have the dtype"),
    (dict(dy=np.zeros((5, 3))), ValueError, r"dy must have shape \(4, 3\)"),
    (dict(dh_n=np.zeros((2, 4))), ValueError, "dh_n must have H = 3 columns"),
    (dict(dc_n=np.zeros((1, 3))), ValueError, r"dc_n must have shape \(2, 3\)"),
    (dict(w_hh=np.zeros((3, 12))), ValueError, r"w_hh must have shape \(12, 3\)"),
    (dict(batch_sizes=np.array([2, 1], dtype=np.int64)), ValueError,
     "batch_sizes must sum to the 4 rows of gates, got 3"),
    (dict(reverse="yes"), TypeError, "reverse must be a bool"),
])
def test_backward_checks(twin, change, error, message):
    valid = _valid()
    args = dict(gates=valid["gates"], tanh_c=np.zeros((4, 3)), c_prev=np.zeros((4, 3)),
                w_hh=valid["w_hh"], dy=np.zeros((4, 3)), dh_n=np.zeros((2, 3)),
                dc_n=np.zeros((2, 3)), batch_sizes=valid["batch_sizes"], reverse=False)
    args.update(change)
    with pytest.raises(error, match=f"^lstm_backward: ({message})"):
        _ext.get("rnn").lstm_backward(**args)


def test_compiled_float32_without_the_panels_agrees(rng, monkeypatch):
    """The compiled twin's other float32 path (processors without AVX-512: BLAS products
    and the typed cell loops) against the reference."""
    if not _ext.compiled_available("rnn"):
        pytest.skip("compiled twin of 'rnn' is not built; " + _ext.BUILD_HINT)
    compiled, reference = _ext._compiled["rnn"], _ext._reference["rnn"]
    monkeypatch.setattr(compiled, "_PANELS", False)
    args = _inputs(rng, 5, 19, [5, 5, 3, 2], np.float32)
    out = [_forward_and_backward(kernel, args, True) for kernel in (reference, compiled)]
    for i, (a, b) in enumerate(zip(*out)):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6, err_msg=f"output {i}")


# ====================================================================== the GRU
def _gru_inputs(rng, N, H, batch_sizes, dtype, bias=True):
    rows = sum(batch_sizes)
    return dict(
        gi=rng.standard_normal((rows, 3 * H)).astype(dtype),
        h0=rng.standard_normal((N, H)).astype(dtype),
        w_hh=(rng.standard_normal((3 * H, H)) / math.sqrt(H)).astype(dtype),
        b_hh=rng.standard_normal(3 * H).astype(dtype) if bias else None,
        batch_sizes=np.array(batch_sizes, dtype=np.int64),
    )


def _gru_forward_loop(gi, h0, w_hh, b_hh, batch_sizes, reverse):
    """Unit by unit in Python floats: what gru_forward must return."""
    N, H = h0.shape
    h = h0.astype(float).tolist()
    rows = len(gi)
    y, h_prev = np.zeros((rows, H)), np.zeros((rows, H))
    saved = np.zeros((rows, 4 * H))
    for start, b in _steps(batch_sizes, reverse):
        old_h = [row[:] for row in h]
        for n in range(b):
            r = start + n
            for u in range(H):
                g = [sum(float(w_hh[k * H + u, j]) * old_h[n][j] for j in range(H))
                     + (0.0 if b_hh is None else float(b_hh[k * H + u])) for k in range(3)]
                reset = _sigmoid(float(gi[r, u]) + g[0])
                update = _sigmoid(float(gi[r, H + u]) + g[1])
                cand = math.tanh(float(gi[r, 2 * H + u]) + reset * g[2])
                saved[r, [u, H + u, 2 * H + u, 3 * H + u]] = reset, update, cand, g[2]
                h_prev[r, u] = old_h[n][u]
                h[n][u] = y[r, u] = (1 - update) * cand + update * old_h[n][u]
    return y, h_prev, saved, np.array(h).reshape(N, H)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("N, H, batch_sizes, reverse", CASES)
def test_gru_forward_matches_the_loop(twin, rng, float_dtype, N, H, batch_sizes, reverse,
                                      bias):
    args = _gru_inputs(rng, N, H, batch_sizes, float_dtype, bias)
    before = {k: None if v is None else v.copy() for k, v in args.items()}
    expected = _gru_forward_loop(**args, reverse=reverse)
    got = _ext.get("rnn").gru_forward(**args, reverse=reverse)
    for name, g, e in zip(["y", "h_prev", "saved", "h_n"], got, expected):
        assert g.dtype == float_dtype and g.shape == e.shape, name
        np.testing.assert_allclose(g, e, err_msg=name, **_tolerance(float_dtype))
    for name, value in args.items():                      # nothing changed in place
        if value is not None:
            np.testing.assert_array_equal(value, before[name], err_msg=name)


def _gru_loss(kernel, weights, gi, h0, w_hh, b_hh, batch_sizes, reverse):
    y, _, _, h_n = kernel.gru_forward(gi, h0, w_hh, b_hh, batch_sizes, reverse)
    return sum(float((a * w).sum()) for a, w in zip((y, h_n), weights))


@pytest.mark.parametrize("N, H, batch_sizes, reverse", CASES)
def test_gru_backward_matches_finite_differences(twin, rng, N, H, batch_sizes, reverse):
    """float64, L = sum(y * Wy) + sum(h_n * Wh): d_in is dL/dgi; the column sums of d_hh
    are dL/db_hh and d_hh.T @ h_prev is dL/dW_hh; dh0 is dL/dh0."""
    kernel = _ext.get("rnn")
    args = _gru_inputs(rng, N, H, batch_sizes, np.float64)
    rows = len(args["gi"])
    weights = [rng.standard_normal(s) for s in ((rows, H), (N, H))]
    _, h_prev, saved, _ = kernel.gru_forward(**args, reverse=reverse)
    d_in, d_hh, dh0 = kernel.gru_backward(saved, h_prev, args["w_hh"], *weights,
                                          args["batch_sizes"], reverse)
    eps = 1e-6
    for name, grad in (("gi", d_in), ("h0", dh0), ("b_hh", d_hh.sum(axis=0)),
                       ("w_hh", d_hh.T @ h_prev)):
        numeric = np.zeros_like(grad)
        for index in np.ndindex(grad.shape):
            moved = {k: None if v is None else v.copy() for k, v in args.items()}
            moved[name][index] += eps
            up = _gru_loss(kernel, weights, **moved, reverse=reverse)
            moved[name][index] -= 2 * eps
            down = _gru_loss(kernel, weights, **moved, reverse=reverse)
            numeric[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def _gru_both_ways(kernel, args, reverse, grads):
    forward = kernel.gru_forward(**args, reverse=reverse)
    backward = kernel.gru_backward(forward[2], forward[1], args["w_hh"], *grads,
                                   args["batch_sizes"], reverse)
    return tuple(forward) + tuple(backward)


@pytest.mark.parametrize("N, H, T, packed, reverse", [
    (20, 200, 7, False, False), (30, 37, 5, True, True), (1, 64, 4, False, False),
    (13, 33, 6, True, False),
])
def test_gru_twins_agree(rng, float_dtype, N, H, T, packed, reverse):
    """Shapes whose step products take each of the matmul kernel's paths (one row,
    panels on the threads, BLAS)."""
    if not _ext.compiled_available("rnn"):
        pytest.skip("compiled twin of 'rnn' is not built; " + _ext.BUILD_HINT)
    sizes = [N] + sorted(rng.integers(1, N + 1, size=T - 1).tolist(), reverse=True) \
        if packed else [N] * T
    args = _gru_inputs(rng, N, H, sizes, float_dtype)
    grads = [rng.standard_normal(s).astype(float_dtype) for s in ((sum(sizes), H), (N, H))]
    out = [_gru_both_ways(kernel, args, reverse, grads)
           for kernel in (_ext._reference["rnn"], _ext._compiled["rnn"])]
    tol = dict(rtol=1e-4, atol=1e-5) if float_dtype == np.float32 else dict(rtol=1e-10,
                                                                            atol=1e-12)
    for i, (a, b) in enumerate(zip(*out)):
        np.testing.assert_allclose(b, a, err_msg=f"output {i}", **tol)


def test_gru_no_steps_and_ended_sequences(twin, rng):
    kernel = _ext.get("rnn")
    h0 = np.ones((2, 3))
    y, h_prev, saved, h_n = kernel.gru_forward(np.zeros((0, 9)), h0, np.zeros((9, 3)), None,
                                               np.zeros(0, dtype=np.int64), False)
    assert y.shape == h_prev.shape == (0, 3) and saved.shape == (0, 12)
    np.testing.assert_array_equal(h_n, h0)
    d_in, d_hh, dh0 = kernel.gru_backward(saved, y, np.zeros((9, 3)), y, h0,
                                          np.zeros(0, dtype=np.int64), False)
    assert d_in.shape == d_hh.shape == (0, 9)
    np.testing.assert_array_equal(dh0, h0)
    args = _gru_inputs(rng, 3, 4, [3, 3, 1], np.float64)
    y, _, _, h_n = kernel.gru_forward(**args, reverse=False)
    np.testing.assert_array_equal(h_n[0], y[6])           # sequence 0 ran 3 steps
    np.testing.assert_array_equal(h_n[1:], y[4:6])        # sequences 1, 2 ran 2


def _gru_valid():
    H, N = 3, 2
    return dict(gi=np.zeros((4, 3 * H)), h0=np.zeros((N, H)), w_hh=np.zeros((3 * H, H)),
                b_hh=np.zeros(3 * H), batch_sizes=np.array([2, 2], dtype=np.int64),
                reverse=False)


@pytest.mark.parametrize("change, error, message", [
    (dict(gi=[[0.0] * 9] * 4), TypeError, "gi must be a NumPy array, got list"),
    (dict(gi=np.zeros((4, 9), np.int64)), TypeError, "gi must be float32 or float64"),
    (dict(gi=np.zeros((4, 12))), ValueError, r"gi must have 3 \* H = 9 columns"),
    (dict(gi=np.zeros((4, 18))[:, ::2]), ValueError, "gi must be C-contiguous"),
    (dict(h0=np.zeros((2, 3), np.float32)), TypeError, "h0 must have the dtype of gi"),
    (dict(w_hh=np.zeros((12, 3))), ValueError, r"w_hh must have shape \(9, 3\)"),
    (dict(b_hh=np.zeros(12)), ValueError, r"b_hh must have shape \(9,\)"),
    (dict(b_hh=np.zeros(9, np.float32)), TypeError, "b_hh must have the dtype of gi"),
    (dict(batch_sizes=np.array([2, 1], dtype=np.int64)), ValueError,
     "batch_sizes must sum to the 4 rows of gi, got 3"),
    (dict(batch_sizes=np.array([2, 3], dtype=np.int64)), ValueError,
     "batch_sizes must not increase"),
    (dict(reverse=0), TypeError, "reverse must be a bool, got 0"),
])
def test_gru_forward_checks(twin, change, error, message):
    args = {**_gru_valid(), **change}
    with pytest.raises(error, match=f"^gru_forward: ({message})"):
        _ext.get("rnn").gru_forward(**args)


@pytest.mark.parametrize("change, error, message", [
    (dict(saved=np.zeros((4, 10))), ValueError, r"saved must have 4 \* H columns"),
    (dict(h_prev=np.zeros((4, 2))), ValueError, r"h_prev must have shape \(4, 3\)"),
    (dict(dy=np.zeros((4, 3), np.float32)), TypeError, "dy must have the dtype of saved"),
    (dict(dh_n=np.zeros((2, 4))), ValueError, "dh_n must have H = 3 columns"),
    (dict(w_hh=np.zeros((12, 3))), ValueError, r"w_hh must have shape \(9, 3\)"),
    (dict(batch_sizes=np.array([3, 1], dtype=np.int64)), ValueError,
     r"batch_sizes\[0\] must be the batch of the states \(2\), got 3"),
    (dict(reverse="yes"), TypeError, "reverse must be a bool"),
])
def test_gru_backward_checks(twin, change, error, message):
    args = dict(saved=np.zeros((4, 12)), h_prev=np.zeros((4, 3)), w_hh=np.zeros((9, 3)),
                dy=np.zeros((4, 3)), dh_n=np.zeros((2, 3)),
                batch_sizes=np.array([2, 2], dtype=np.int64), reverse=False)
    args.update(change)
    with pytest.raises(error, match=f"^gru_backward: ({message})"):
        _ext.get("rnn").gru_backward(**args)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_layer_the_same_bits_with_or_without_the_biased_product(monkeypatch, mode):
    """The recurrent layers add their biases to the input projections inside the
    compiled ``_matmul_biased`` where the twin has it, else by NumPy's ``+=`` after the
    product: the same bytes forwards and backwards either way."""
    if not _ext.compiled_available("matmul"):
        pytest.skip("compiled twin of 'matmul' is not built; " + _ext.BUILD_HINT)
    module = _ext._compiled["matmul"]
    rng = np.random.default_rng(6)
    layer = getattr(nn, mode)(24, 40, 2)
    x_np = rng.standard_normal((9, 5, 24)).astype(np.float32)
    runs = []
    with lucid.kernels.use("compiled"):
        for hide in (False, True):
            if hide:
                monkeypatch.delattr(module, "_matmul_biased")
            layer.zero_grad()
            x = lucid.tensor(x_np, requires_grad=True)
            out = layer(x)[0]
            (out * out).sum().backward()
            runs.append([out.data, x.grad] + [p.grad for p in layer.parameters()])
    for fused, separate in zip(*runs):
        assert fused.tobytes() == separate.tobytes()
