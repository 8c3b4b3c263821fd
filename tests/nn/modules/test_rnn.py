"""RNN, LSTM, GRU and their cells against PyTorch with copied weights: outputs, final
states and every gradient (input, initial states, each parameter), in float32 and
float64; gradcheck of the fused backward through time; init, repr, dropout, errors."""
import math

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from lucid.ops.rnn import recurrence
from lucid.testing import assert_close, gradcheck
from tests.conftest import torch
from tests.nn.modules._parity import load_torch_state, to_dtype

needs_torch = pytest.mark.torch
# PyTorch (the oracle) notes that its oneDNN path does not cover projections
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

# name -> (lucid class, torch class name, extra constructor arguments)
KINDS = {
    "rnn_tanh": (nn.RNN, "RNN", {}),
    "rnn_relu": (nn.RNN, "RNN", {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, "LSTM", {}),
    "lstm_proj": (nn.LSTM, "LSTM", {"proj_size": 3}),
    "gru": (nn.GRU, "GRU", {}),
}
I, H = 4, 5


def close(actual, expected, dtype, msg):
    """float64: the default tolerance; float32: relative 1e-4, and absolute 1e-5 of the
    largest expected value (sums over steps and gates round differently)."""
    expected = np.asarray(expected)
    if np.dtype(dtype) == np.float32:
        scale = float(np.abs(expected).max()) if expected.size else 1.0
        assert_close(actual, expected, rtol=1e-4, atol=1e-5 * max(scale, 1.0), msg=msg)
    else:
        assert_close(actual, expected, msg=msg)


def make_pair(kind, dtype, **kwargs):
    """A lucid layer and a torch layer of the same configuration and weights."""
    cls, torch_name, extra = KINDS[kind]
    args = {**extra, **kwargs}
    torch.manual_seed(0)
    t = getattr(torch.nn, torch_name)(I, H, **args)
    m = cls(I, H, **args)
    to_dtype(m, t, dtype)
    load_torch_state(m, t)
    return m, t


def state_shapes(m, batch):
    d = 2 if m.bidirectional else 1
    p = m.proj_size or m.hidden_size
    shapes = [(d * m.num_layers,) + batch + (p,)]
    if m.mode == "LSTM":
        shapes.append((d * m.num_layers,) + batch + (m.hidden_size,))
    return shapes


def run_both(m, t, x, states, dtype, rng, packed_lengths=None):
    """Forward both layers, backpropagate one random seed through the output and the
    final states, compare everything; returns the lucid output."""
    lx = lucid.Tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ls = [lucid.Tensor(s, requires_grad=True) for s in states]
    ts = [torch.tensor(s, requires_grad=True) for s in states]
    lin, tin = lx, tx
    if packed_lengths is not None:
        lin = pack_padded_sequence(lx, packed_lengths, batch_first=m.batch_first,
                                   enforce_sorted=False)
        tin = torch.nn.utils.rnn.pack_padded_sequence(tx, packed_lengths, m.batch_first,
                                                      enforce_sorted=False)
    lhx = thx = None
    if states:
        lhx, thx = (tuple(ls), tuple(ts)) if m.mode == "LSTM" else (ls[0], ts[0])
    lout, lstate = m(lin, lhx)
    tout, tstate = t(tin, thx)
    if packed_lengths is not None:
        assert isinstance(lout, type(lin))
        for a, b in zip(lout[1:], tout[1:]):
            assert a.tolist() == b.tolist()
        lout, tout = lout.data, tout.data
    lstate = list(lstate) if m.mode == "LSTM" else [lstate]
    tstate = list(tstate) if m.mode == "LSTM" else [tstate]
    close(lout, tout.detach().numpy(), dtype, "output: ")
    for i, (a, b) in enumerate(zip(lstate, tstate)):
        close(a, b.detach().numpy(), dtype, f"final state {i}: ")
    seeds = [rng.standard_normal(o.shape).astype(dtype) for o in [lout, *lstate]]
    loss = sum((o * lucid.Tensor(s)).sum() for o, s in zip([lout, *lstate], seeds))
    tloss = sum((o * torch.tensor(s)).sum() for o, s in zip([tout, *tstate], seeds))
    loss.backward()
    tloss.backward()
    close(lx.grad, tx.grad.numpy(), dtype, "grad of input: ")
    for i, (a, b) in enumerate(zip(ls, ts)):
        close(a.grad, b.grad.numpy(), dtype, f"grad of initial state {i}: ")
    t_params = dict(t.named_parameters())
    for name, p in m.named_parameters():
        close(p.grad, t_params[name].grad.numpy(), dtype, f"grad of {name}: ")
    return lout


# ------------------------------------------------------------------- layers vs torch
@needs_torch
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True), (2, False)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_layer_parity(kind, layers, bidirectional, batch_first, float_dtype, rng):
    m, t = make_pair(kind, float_dtype, num_layers=layers, bidirectional=bidirectional,
                     batch_first=batch_first)
    steps, batch = 6, 3
    x = rng.standard_normal((batch, steps, I) if batch_first else (steps, batch, I))
    states = [rng.standard_normal(s).astype(float_dtype) for s in state_shapes(m, (batch,))]
    run_both(m, t, x.astype(float_dtype), states, float_dtype, rng)


@needs_torch
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_layer_parity_without_bias_or_initial_state(kind, float_dtype, rng):
    m, t = make_pair(kind, float_dtype, num_layers=2, bidirectional=True, bias=False)
    assert not any("bias" in name for name, _ in m.named_parameters())
    x = rng.standard_normal((5, 2, I)).astype(float_dtype)
    run_both(m, t, x, [], float_dtype, rng)


@needs_torch
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_unbatched_parity(kind, float_dtype, rng):
    m, t = make_pair(kind, float_dtype, num_layers=2, bidirectional=True)
    x = rng.standard_normal((4, I)).astype(float_dtype)
    states = [rng.standard_normal(s).astype(float_dtype) for s in state_shapes(m, ())]
    out = run_both(m, t, x, states, float_dtype, rng)
    assert out.shape == (4, 2 * (m.proj_size or H))


@needs_torch
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("batch_first", [False, True])
def test_packed_parity(kind, batch_first, float_dtype, rng):
    """Unsorted lengths (with a tie): outputs, each sequence's final state at its own
    length, and the gradients of the padded input, the states and the parameters."""
    m, t = make_pair(kind, float_dtype, num_layers=2, bidirectional=True,
                     batch_first=batch_first)
    lengths = [3, 6, 1, 3]
    shape = (4, 6, I) if batch_first else (6, 4, I)
    x = rng.standard_normal(shape).astype(float_dtype)
    states = [rng.standard_normal(s).astype(float_dtype) for s in state_shapes(m, (4,))]
    run_both(m, t, x, states, float_dtype, rng, packed_lengths=lengths)


@needs_torch
def test_packed_output_pads_back_like_torch(rng):
    m, t = make_pair("lstm", np.float64, bidirectional=True)
    x = rng.standard_normal((5, 3, I))
    lengths = [2, 5, 4]
    lp = pack_padded_sequence(lucid.Tensor(x), lengths, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths, enforce_sorted=False)
    lpad, llen = pad_packed_sequence(m(lp)[0])
    tpad, tlen = torch.nn.utils.rnn.pad_packed_sequence(t(tp)[0])
    assert_close(lpad, tpad.detach().numpy())
    assert llen.tolist() == tlen.tolist()


@needs_torch
def test_torch_state_dict_keys_and_order(float_dtype):
    for kind in KINDS:
        m, t = make_pair(kind, float_dtype, num_layers=2, bidirectional=True)
        assert list(m.state_dict()) == list(t.state_dict())
        assert m._flat_weights_names == t._flat_weights_names
        assert [[p.shape for p in ps] for ps in m.all_weights] == \
            [[tuple(p.shape) for p in ps] for ps in t.all_weights]


@needs_torch
@pytest.mark.parametrize("args", [
    ("RNN", (3, 4), {}), ("RNN", (3, 4, 2, "relu", False, True, 0.5, True), {}),
    ("LSTM", (3, 4), {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
    ("GRU", (3, 4), {"bias": False, "batch_first": True}),
    ("RNNCell", (3, 4), {"bias": False, "nonlinearity": "relu"}),
    ("LSTMCell", (3, 4), {}), ("GRUCell", (3, 4), {"bias": False}),
])
def test_repr_matches_torch(args):
    name, pos, kw = args
    assert repr(getattr(nn, name)(*pos, **kw)) == repr(getattr(torch.nn, name)(*pos, **kw))


# ----------------------------------------------------------------------- cells vs torch
CELLS = {"rnn_tanh": ("RNNCell", {}), "rnn_relu": ("RNNCell", {"nonlinearity": "relu"}),
         "lstm": ("LSTMCell", {}), "gru": ("GRUCell", {})}


@needs_torch
@pytest.mark.parametrize("kind", sorted(CELLS))
@pytest.mark.parametrize("batch", [(3,), ()])
@pytest.mark.parametrize("bias, with_state", [(True, True), (False, True), (True, False)])
def test_cell_parity(kind, batch, bias, with_state, float_dtype, rng):
    name, extra = CELLS[kind]
    torch.manual_seed(1)
    t = getattr(torch.nn, name)(I, H, bias=bias, **extra)
    m = getattr(nn, name)(I, H, bias=bias, **extra)
    to_dtype(m, t, float_dtype)
    load_torch_state(m, t)
    lstm = name == "LSTMCell"
    x = rng.standard_normal(batch + (I,)).astype(float_dtype)
    states = [rng.standard_normal(batch + (H,)).astype(float_dtype)
              for _ in range(2 if lstm else 1)] if with_state else []
    lx, tx = lucid.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ls = [lucid.Tensor(s, requires_grad=True) for s in states]
    ts = [torch.tensor(s, requires_grad=True) for s in states]
    lhx = thx = None
    if states:
        lhx, thx = (tuple(ls), tuple(ts)) if lstm else (ls[0], ts[0])
    lo, to = m(lx, lhx), t(tx, thx)
    lo, to = (list(lo), list(to)) if lstm else ([lo], [to])
    seeds = [rng.standard_normal(o.shape).astype(float_dtype) for o in lo]
    for a, b in zip(lo, to):
        assert a.shape == tuple(b.shape)
        close(a, b.detach().numpy(), float_dtype, "output: ")
    sum((o * lucid.Tensor(s)).sum() for o, s in zip(lo, seeds)).backward()
    sum((o * torch.tensor(s)).sum() for o, s in zip(to, seeds)).backward()
    close(lx.grad, tx.grad.numpy(), float_dtype, "grad of input: ")
    for a, b in zip(ls, ts):
        close(a.grad, b.grad.numpy(), float_dtype, "grad of state: ")
    t_params = dict(t.named_parameters())
    for pname, p in m.named_parameters():
        close(p.grad, t_params[pname].grad.numpy(), float_dtype, f"grad of {pname}: ")


@needs_torch
def test_cell_loop_equals_layer(rng):
    """Stepping an LSTMCell by hand gives the LSTM layer's outputs (same weights)."""
    layer = nn.LSTM(I, H).double()
    cell = nn.LSTMCell(I, H).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = lucid.Tensor(rng.standard_normal((5, 2, I)))
    out, (h_n, c_n) = layer(x)
    state = None
    for t in range(5):
        state = cell(x[t], state)
        assert_close(state[0], out[t].data)
    assert_close(state[0], h_n[0].data)
    assert_close(state[1], c_n[0].data)


# --------------------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("mode, project", [("RNN_TANH", False), ("RNN_RELU", False),
                                           ("LSTM", False), ("LSTM", True), ("GRU", False)])
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrence_gradcheck(mode, reverse, project):
    """The hand-written backward through time against finite differences, on a packed
    batch (batch sizes 3, 2, 2, 1), for every input: x, h0, c0 and each weight."""
    rng = np.random.default_rng(3)
    hidden, p, inp = 3, (2 if project else 3), 2
    g = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}[mode] * hidden
    sizes = np.array([3, 2, 2, 1])

    def t(*shape):
        return lucid.Tensor(rng.standard_normal(shape) * 0.5, requires_grad=True)

    x, h0 = t(int(sizes.sum()), inp), t(3, p)
    c0 = t(3, hidden) if mode == "LSTM" else None
    w_ih, w_hh, b_ih, b_hh = t(g, inp), t(g, p), t(g), t(g)
    w_hr = t(p, hidden) if project else None
    inputs = [a for a in (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr) if a is not None]

    def fn(*args):
        it = iter(args)
        xa, ha = next(it), next(it)
        ca = next(it) if mode == "LSTM" else None
        wi, wh, bi, bh = next(it), next(it), next(it), next(it)
        wr = next(it) if project else None
        y, h_n, c_n = recurrence(mode, xa, ha, ca, (wi, wh, bi, bh, wr), sizes, reverse)
        parts = [y.reshape(-1), h_n.reshape(-1)] + ([c_n.reshape(-1)] if c_n is not None else [])
        return lucid.concatenate(parts)

    assert gradcheck(fn, inputs, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_layer_gradcheck_two_layers_bidirectional(cls):
    lucid.random.seed(2)
    m = cls(2, 3, num_layers=2, bidirectional=True).double()
    rng = np.random.default_rng(4)
    x = lucid.Tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = lucid.Tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)

    def fn(x, h0):
        hx = (h0, h0 * 0.5) if cls is nn.LSTM else h0
        out, state = m(x, hx)
        h_n = state[0] if cls is nn.LSTM else state
        return lucid.concatenate([out.reshape(-1), h_n.reshape(-1)])

    assert gradcheck(fn, [x, h0], atol=1e-6, rtol=1e-5)


# ------------------------------------------------------------------- init, dropout, misc
def test_default_init_is_uniform_in_one_over_sqrt_hidden():
    lucid.random.seed(0)
    m = nn.LSTM(30, 100, num_layers=2, bidirectional=True, proj_size=20)
    bound = 1 / math.sqrt(100)
    for name, p in m.named_parameters():
        assert p.dtype == np.float32, name
        assert np.abs(p.data).max() <= bound, name
    w = m.weight_hh_l1_reverse.data
    assert np.abs(w).max() > 0.95 * bound
    assert abs(float(w.std()) - bound / math.sqrt(3)) < 0.05 * bound
    cell = nn.GRUCell(5, 16)
    assert all(np.abs(p.data).max() <= 0.25 for p in cell.parameters())


def test_float64_module_runs_in_float64():
    m = nn.GRU(2, 3).double()
    out, h = m(lucid.random.randn(4, 1, 2).astype(np.float64))
    assert out.dtype == np.float64 and h.dtype == np.float64


def test_dropout_between_layers_only_in_training():
    lucid.random.seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=1.0)
    x = lucid.random.randn(5, 2, 3)
    out, (h_n, _) = m(x)
    # everything reaching layer 1 was dropped: layer 1 ran on zeros from zero states
    top = nn.LSTM(4, 4)
    top.load_state_dict({k[:-1] + "0": v for k, v in m.state_dict().items() if k.endswith("l1")})
    expected, _ = top(lucid.zeros((5, 2, 4)))
    assert_close(out, expected.data)
    m.eval()
    out_eval, (h_eval, _) = m(x)
    assert not np.allclose(out_eval.data, out.data)
    assert_close(h_eval[0], h_n[0].data)            # layer 0 itself is not dropped
    m.dropout = 0.0
    assert_close(m(x)[0], out_eval.data)             # eval == no dropout


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="dropout acts between recurrent layers"):
        nn.GRU(2, 3, dropout=0.2)


def test_empty_batch_and_flatten_parameters():
    m = nn.LSTM(2, 3)
    m.flatten_parameters()
    out, (h, c) = m(lucid.zeros((4, 0, 2)))
    assert out.shape == (4, 0, 3) and h.shape == (1, 0, 3) and c.shape == (1, 0, 3)


def test_gradients_reach_every_parameter_in_training():
    lucid.random.seed(1)
    m = nn.GRU(3, 4, num_layers=2, bidirectional=True, dropout=0.3)
    out, h = m(lucid.random.randn(6, 2, 3))
    (out.sum() + h.sum()).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and np.abs(p.grad).sum() > 0, name


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_weights_in_any_memory_order(kind):
    """A weight a user assigned as a transposed view (the same values in Fortran order)
    gives the same outputs and gradients as the C-ordered one: the layer makes the
    arrays its kernels read C-ordered, instead of failing inside a kernel."""
    results = []
    for fortran in (False, True):
        lucid.random.seed(4)
        m = getattr(nn, kind)(3, 5)
        if fortran:
            for name in ("weight_ih_l0", "weight_hh_l0"):
                p = getattr(m, name)
                p.data = np.asfortranarray(p.data)
        lucid.random.seed(5)
        x = lucid.random.randn(4, 2, 3, requires_grad=True)
        out, _ = m(x)
        out.sum().backward()
        results.append([out.data, x.grad] + [p.grad for p in m.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.LSTM(0, 3), ValueError, r"LSTM: input_size must be positive; got 0"),
    (lambda: nn.LSTM(2, 3.0), TypeError, r"LSTM: hidden_size must be an int; got 3.0"),
    (lambda: nn.GRU(2, 3, num_layers=0), ValueError, r"GRU: num_layers must be positive"),
    (lambda: nn.RNN(2, 3, nonlinearity="sigmoid"), ValueError,
     r"RNN: nonlinearity must be 'tanh' or 'relu'; got 'sigmoid'"),
    (lambda: nn.LSTM(2, 3, dropout=1.5), ValueError, r"LSTM: dropout must lie in \[0.0, 1.0\]"),
    (lambda: nn.LSTM(2, 3, batch_first=1), TypeError, r"LSTM: batch_first must be a bool"),
    (lambda: nn.LSTM(2, 3, bias="yes"), TypeError, r"LSTM: bias must be"),
    (lambda: nn.LSTM(2, 3, proj_size=3), ValueError,
     r"LSTM: proj_size must be smaller than hidden_size \(3\); got 3"),
    (lambda: nn.LSTM(2, 3, proj_size=-1), ValueError, r"LSTM: proj_size must be non-negative"),
    (lambda: nn.RNNBase("GRU", 2, 3, proj_size=1), ValueError, r"proj_size is an LSTM argument"),
    (lambda: nn.RNNBase("CELL", 2, 3), ValueError, r"RNNBase: mode must be one of"),
    (lambda: nn.LSTMCell(2, -1), ValueError, r"LSTMCell: hidden_size must be positive"),
    (lambda: nn.RNNCell(2, 3, nonlinearity="gelu"), ValueError, r"RNNCell: nonlinearity"),
])
def test_bad_construction(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m([1.0]), TypeError, r"LSTM: input must be a Tensor; got list"),
    (lambda m: m(lucid.zeros((5, 2, 4))), ValueError,
     r"LSTM: expected input of shape \(L, N, 3\) or \(L, 3\); got \(5, 2, 4\)"),
    (lambda m: m(lucid.zeros((5,))), ValueError, r"LSTM: expected input of shape"),
    (lambda m: m(lucid.zeros((0, 2, 3))), ValueError, r"at least one step"),
    (lambda m: m(lucid.zeros((5, 2, 3), dtype=np.float64)), TypeError,
     r"LSTM: input must have the dtype of the parameters \(float32\); got float64"),
    (lambda m: m(lucid.Tensor([[[1, 2, 3]]])), TypeError, r"input must have the dtype"),
    (lambda m: m(lucid.zeros((5, 2, 3)), lucid.zeros((2, 2, 4))), TypeError,
     r"LSTM: hx must be a tuple \(h_0, c_0\) of Tensors; got Tensor"),
    (lambda m: m(lucid.zeros((5, 2, 3)), (lucid.zeros((2, 2, 4)), lucid.zeros((1, 2, 4)))),
     ValueError, r"LSTM: expected h_0 of shape \(1, 2, 4\); got \(2, 2, 4\)"),
    (lambda m: m(lucid.zeros((5, 2, 3)), (lucid.zeros((1, 2, 4)), lucid.zeros((1, 2, 5)))),
     ValueError, r"LSTM: expected c_0 of shape \(1, 2, 4\); got \(1, 2, 5\)"),
    (lambda m: m(lucid.zeros((5, 3)), (lucid.zeros((1, 1, 4)), lucid.zeros((1, 1, 4)))),
     ValueError, r"LSTM: expected h_0 of shape \(1, 4\); got \(1, 1, 4\)"),
    (lambda m: m(lucid.zeros((5, 2, 3)), (lucid.zeros((1, 2, 4)), [0.0])), TypeError,
     r"LSTM: c_0 must be a Tensor; got list"),
])
def test_bad_forward(call, error, match):
    with pytest.raises(error, match=match):
        call(nn.LSTM(3, 4))


def test_bad_forward_gru_and_cells():
    with pytest.raises(ValueError, match=r"GRU: expected input of shape \(N, L, 3\)"):
        nn.GRU(3, 4, batch_first=True)(lucid.zeros((2, 5, 2)))
    with pytest.raises(ValueError, match=r"GRU: expected hx of shape \(2, 1, 4\); got \(1, 1, 4\)"):
        nn.GRU(3, 4, bidirectional=True)(lucid.zeros((2, 1, 3)), lucid.zeros((1, 1, 4)))
    with pytest.raises(ValueError, match=r"GRUCell: expected input of shape \(N, 3\) or \(3,\)"):
        nn.GRUCell(3, 4)(lucid.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match=r"RNNCell: expected hx of shape \(2, 4\); got \(4,\)"):
        nn.RNNCell(3, 4)(lucid.zeros((2, 3)), lucid.zeros(4))
    with pytest.raises(TypeError, match=r"LSTMCell: hx must be a tuple \(h, c\)"):
        nn.LSTMCell(3, 4)(lucid.zeros((2, 3)), lucid.zeros((2, 4)))
    with pytest.raises(TypeError, match=r"LSTMCell: input must have the dtype"):
        nn.LSTMCell(3, 4).double()(lucid.zeros((2, 3)))
    packed = pack_padded_sequence(lucid.zeros((3, 2, 5)), [3, 2])
    with pytest.raises(ValueError, match=r"LSTM: expected packed data of shape \(rows, 3\)"):
        nn.LSTM(3, 4)(packed)
