"""lucid.profile: ops and kernel calls timed by phase, the twins restored, compare()."""
import numpy as np
import pytest

import lucid
from lucid import _ext, nn
from lucid.autograd import observe


def _model():
    lucid.random.seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 3))


def _step(model, x):
    loss = model(x).sum()
    loss.backward()
    return loss


def test_ops_and_kernels_are_counted_by_phase():
    model, x = _model(), lucid.randn(2, 1, 8, 8)
    with lucid.profile() as prof:
        for _ in range(3):
            _step(model, x)
    ops = {(op, phase): calls for op, phase, calls, _ in prof.ops()}
    assert ops[("Conv", "forward")] == ops[("Conv", "backward")] == 3
    assert ops[("Linear", "forward")] == ops[("MaxPool", "backward")] == 3
    kernels = {(k, phase): calls for k, phase, calls, _ in prof.kernels()}
    assert kernels[("conv.conv_forward", "forward")] == 3
    assert kernels[("conv.conv_weight_grad", "backward")] == 3
    assert kernels[("pool.max_pool_backward", "backward")] == 3
    assert ("conv.conv_transpose_forward", "backward") not in kernels  # x needs no grad
    assert all(seconds > 0 for *_, seconds in prof.ops() + prof.kernels())
    assert sum(s for *_, s in prof.kernels()) <= prof.seconds
    text = str(prof)
    assert "conv.conv_forward" in text and "MaxPool" in text and "backward" in text


def test_results_are_unchanged_and_everything_is_restored():
    model, x = _model(), lucid.randn(2, 1, 8, 8)
    before = _ext.state()
    expected = model(x).data
    with lucid.profile():
        assert lucid.kernels.status()["conv"].active.startswith("custom: profiled")
        got = model(x).data
    np.testing.assert_array_equal(got, expected)
    assert _ext.state() == before and observe.state.observers == ()
    with pytest.raises(RuntimeError, match="boom"):
        with lucid.profile():
            raise RuntimeError("boom")
    assert _ext.state() == before and observe.state.observers == ()


def test_an_op_that_raises_does_not_upset_the_records():
    a = lucid.ones((2, 3), requires_grad=True)
    with lucid.profile() as prof:
        with pytest.raises(Exception):
            a.reshape(4, 4)
        (a * 2).sum().backward()
    ops = {(op, phase): calls for op, phase, calls, _ in prof.ops()}
    assert ops[("Multiply", "forward")] == ops[("Multiply", "backward")] == 1
    assert ("Reshape", "forward") not in ops


def test_compare_replays_the_recorded_calls_on_both_twins():
    model, x = _model(), lucid.randn(2, 1, 8, 8)
    with lucid.profile() as prof:
        _step(model, x)
    rows = {family: (calls, ref, comp) for family, calls, ref, comp in prof.compare(1).rows()}
    assert rows["conv"][0] == 2 and rows["pool"][0] == 2 and rows["activation"][0] == 2
    for family, (calls, ref, comp) in rows.items():
        assert ref > 0
        assert (comp is not None) == _ext.compiled_available(family)
    text = str(prof.compare(1))
    assert "speed-up" in text and "conv" in text


def test_record_bytes_limits_what_compare_replays():
    model, x = _model(), lucid.randn(2, 1, 8, 8)
    with lucid.profile(record_bytes=0) as prof:
        _step(model, x)
    comparison = prof.compare()
    # 9 kernel calls: the conv's forward and weight gradient, ReLU's and max pooling's
    # forward and backward, the Linear's three products
    assert comparison.rows() == [] and comparison.unrecorded == 9
    assert "were not replayed" in str(comparison)


def test_the_profile_replays_the_arguments_as_they_were():
    """A kernel that writes into its argument (scatter_add) is replayed on the copy made
    before the call, not on the array it changed."""
    w = lucid.Tensor(np.zeros((4, 2), np.float32), requires_grad=True)
    with lucid.profile() as prof:
        w[lucid.Tensor([0, 0, 3], dtype=lucid.int64)].sum().backward()
    ((family, name, args, kwargs),) = [c for c in prof._calls if c[0] == "scatter"]
    assert name == "scatter_add" and not args[0].any()


def test_bad_arguments():
    with pytest.raises(TypeError, match="lucid.profile: record_bytes must be an int >= 0, got -1"):
        lucid.profile(record_bytes=-1)
    with lucid.profile() as prof:
        pass
    with pytest.raises(ValueError, match="compare: repeat must be an int >= 1, got 0"):
        prof.compare(0)
    with pytest.raises(RuntimeError, match="records one block"):
        with prof:
            pass
