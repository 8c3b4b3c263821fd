"""In-place operations: they change the tensor's own memory, with PyTorch's safety rules
(lucid/autograd/inplace.py). Each rule here was a silent wrong result before."""
import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.testing import assert_close
from tests.conftest import torch


# ---------------------------------------------------------------- memory changes
def test_from_scratch_sgd_loop_updates_the_model():
    """The classic loop: ``p -= lr * p.grad`` under no_grad must change the model."""
    lucid.random.seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    x, y = lucid.random.randn(8, 3), lucid.random.randn(8, 1)
    before = [p.data.copy() for p in model.parameters()]
    F.mse_loss(model(x), y).backward()
    grads = [p.grad.copy() for p in model.parameters()]
    with lucid.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    for p, b, g in zip(model.parameters(), before, grads):
        assert_close(p.data, b - 0.1 * g)
        assert p.is_leaf and p.requires_grad


@pytest.mark.parametrize("op, expected", [
    (lambda t: t.__iadd__(2), [3.0, 4.0]), (lambda t: t.__isub__(2), [-1.0, 0.0]),
    (lambda t: t.__imul__(2), [2.0, 4.0]), (lambda t: t.__itruediv__(2), [0.5, 1.0]),
    (lambda t: t.__ipow__(2), [1.0, 4.0]),
    (lambda t: t.add_(lucid.Tensor([1.0, 1.0]), alpha=3), [4.0, 5.0]),
    (lambda t: t.sub_(1, alpha=2), [-1.0, 0.0]), (lambda t: t.mul_(3), [3.0, 6.0]),
    (lambda t: t.div_(lucid.Tensor([2.0, 4.0])), [0.5, 0.5]),
    (lambda t: t.clamp_(1.5, None), [1.5, 2.0]), (lambda t: t.fill_(7), [7.0, 7.0]),
    (lambda t: t.zero_(), [0.0, 0.0]), (lambda t: t.copy_(lucid.Tensor(9.0)), [9.0, 9.0]),
])
def test_every_in_place_op_changes_the_shared_memory(op, expected):
    t = lucid.Tensor([1.0, 2.0])
    alias = t.detach()                  # the same memory under another name
    array = t.data
    assert op(t) is t
    assert t.data is array              # not rebound: written into
    assert_close(alias, np.array(expected, dtype=np.float32))


def test_uniform_and_normal_fill_in_place_reproducibly():
    t = lucid.zeros((1000,))
    array = t.data
    lucid.random.seed(3)
    t.uniform_(-2.0, 3.0)
    assert t.data is array and -2.0 <= t.data.min() and t.data.max() < 3.0
    first = t.data.copy()
    lucid.random.seed(3)
    assert_close(lucid.zeros((1000,)).uniform_(-2.0, 3.0), first)
    t.normal_(5.0, 0.5)
    assert abs(float(t.data.mean()) - 5.0) < 0.1 and t.dtype == np.float32
    with pytest.raises(ValueError, match=r"normal_: std must be >= 0; got -1"):
        t.normal_(0.0, -1.0)


def test_in_place_keeps_dtype_and_shape_or_refuses():
    t = lucid.Tensor([1.0, 2.0])
    t += lucid.Tensor(np.array([1.0, 1.0]))          # float64 operand, float32 tensor
    assert t.dtype == np.float32
    i = lucid.Tensor([1, 2])
    with pytest.raises(TypeError, match=r"\+=: the result has dtype float64, which cannot "
                                        r"be stored in place in a tensor of dtype int64"):
        i += 1.5
    assert i.tolist() == [1, 2]
    i.copy_(lucid.Tensor([3.7, 4.2]))                 # copy_ converts like an assignment
    assert i.tolist() == [3, 4]
    with pytest.raises(ValueError, match=r"\*=: the result has shape \(2, 2\) but the tensor "
                                         r"changed in place has shape \(2,\)"):
        t *= lucid.ones((2, 2))
    with pytest.raises(ValueError, match=r"\+=: this tensor's memory is read-only"):
        b = lucid.broadcast_to(lucid.Tensor([1.0]), (3,))
        b += 1
    with pytest.raises(TypeError, match=r"fill_: expected a real number; got 'a'"):
        t.fill_("a")


# ------------------------------------------------------------------ the leaf rule
@pytest.mark.parametrize("op", [
    lambda w: w.__iadd__(1), lambda w: w.__imul__(2), lambda w: w.add_(1),
    lambda w: w.zero_(), lambda w: w.uniform_(), lambda w: w.__setitem__(0, 3.0),
])
def test_leaf_that_requires_grad_refuses_in_place_outside_no_grad(op):
    w = lucid.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"a leaf tensor that requires grad is being used "
                                           r"in an in-place operation.*lucid.no_grad"):
        op(w)
    assert w.tolist() == [1.0, 2.0] and w.is_leaf
    with lucid.no_grad():
        op(w)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_in_place_through_a_view_of_a_leaf_refuses_and_changes_nothing():
    x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"a view of another tensor's memory"):
        x[0] += 1
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]


# ----------------------------------------------------- saved values (version counter)
def test_backward_refuses_an_output_changed_after_it_was_saved():
    x = lucid.Tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()            # Exp saves its output
    y += 1
    with pytest.raises(RuntimeError, match=r"arrays Exp saved for its backward .* modified "
                                           r"by an in-place operation after Exp ran"):
        y.sum().backward()


def test_backward_refuses_an_input_changed_under_no_grad():
    x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    w = lucid.Tensor([3.0, 4.0], requires_grad=True)
    loss = (x * w).sum()   # Multiply saves x and w
    with lucid.no_grad():
        w -= 1             # a parameter update between forward and backward
    with pytest.raises(RuntimeError, match=r"Multiply saved"):
        loss.backward()


def test_backward_refuses_after_an_optimizer_step_changed_the_weights():
    lin = nn.Linear(2, 1)
    loss = lin(lucid.ones((3, 2))).sum()
    opt = lucid.optim.SGD(lin.parameters(), lr=0.1)
    for p in lin.parameters():
        p.grad = np.ones_like(p.data)
    opt.step()
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation"):
        loss.backward()


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1)),
                                         ("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.1)), ("AdamW", dict(lr=0.1))])
def test_backward_refuses_after_a_later_optimizer_step_changed_the_weights(name, kwargs):
    """From the second step on SGD and Adam may take a whole group in one kernel call
    (the compiled twin's ``_sgd_steps``, ``_adam_steps``); that step must mark the
    weights written too."""
    lin = nn.Linear(2, 1)
    opt = getattr(lucid.optim, name)(lin.parameters(), **kwargs)
    for _ in range(2):
        for p in lin.parameters():
            p.grad = np.ones_like(p.data)
        opt.step()
    loss = lin(lucid.ones((3, 2))).sum()
    opt.step()
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation"):
        loss.backward()


def test_writes_through_an_alias_are_seen():
    x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    x.detach()[0] = 5.0    # same memory, written through setitem
    with pytest.raises(RuntimeError, match=r"Multiply saved"):
        loss.backward()


def test_no_false_alarm_when_nothing_saved_was_changed():
    x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    other = lucid.Tensor([7.0, 7.0])
    loss = (x * x).sum()
    other += 1             # an unrelated write
    h = x * 2              # Multiply by a number saves only the number for x's gradient
    h += 1
    (loss + h.sum()).backward()
    assert_close(x.grad, np.array([4.0, 6.0], dtype=np.float32))


# -------------------------------------------------------------- recorded in place
@pytest.mark.torch
def test_recorded_in_place_chain_matches_torch(rng):
    a, b = rng.standard_normal((2, 3, 4))
    x, z = lucid.Tensor(a, requires_grad=True), lucid.Tensor(b, requires_grad=True)
    tx, tz = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    results = []
    for X, Z in ((x, z), (tx, tz)):
        y = X * 2
        y *= Z
        y += X
        y -= 1.5
        y /= 3
        y.clamp_(-0.5, 0.5)
        y[0, 1] = Z[1, 2] * 4
        y.add_(Z, alpha=0.5)
        (y * y).sum().backward()
        results.append(y)
    assert_close(results[0], results[1].detach().numpy())
    assert_close(x.grad, tx.grad.numpy())
    assert_close(z.grad, tz.grad.numpy())


@pytest.mark.torch
def test_in_place_on_a_constant_with_a_grad_operand_is_recorded_like_torch():
    w = lucid.Tensor([2.0, 3.0], requires_grad=True)
    tw = torch.tensor([2.0, 3.0], requires_grad=True)
    buf, tbuf = lucid.zeros((2,)), torch.zeros(2)
    buf += w * w
    tbuf += tw * tw
    buf[1] = w[0]
    tbuf[1] = tw[0]
    assert buf.requires_grad and not buf.is_leaf
    buf.sum().backward()
    tbuf.sum().backward()
    assert_close(w.grad, tw.grad.numpy())


def test_keep_grad_follows_the_tensor_through_in_place_ops():
    x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.keep_grad = True
    y *= 2
    (y * y).sum().backward()
    assert_close(y.grad, 2 * y.data)      # dL/dy of the final y only
    assert_close(x.grad, np.array([72.0, 144.0], dtype=np.float32))   # d(36 x^2)/dx


# -------------------------------------------------------------------- numpy()
def test_numpy_of_a_tensor_that_requires_grad_is_read_only():
    w = lucid.Tensor([1.0, 2.0], requires_grad=True)
    view = w.numpy()
    assert not view.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 9.0
    assert w.tolist() == [1.0, 2.0]
    plain = lucid.Tensor([1.0, 2.0])
    assert plain.numpy() is plain.data and plain.numpy().flags.writeable


def test_a_result_that_views_only_its_own_temporary_may_change_in_place():
    """A kernel may hand back a reshaped view of an array it made (no other tensor owns
    that memory): ``out += identity`` of a residual block must work on it."""
    x = lucid.Tensor(np.ones((2, 3)), requires_grad=True)
    for view in (x.reshape(3, 2), (x * 2).reshape(3, 2)):   # memory of another tensor
        with pytest.raises(RuntimeError, match="a view of another tensor's memory"):
            view += 1
    from lucid.autograd.function import Function

    class ViewOfOwn(Function):
        @staticmethod
        def forward(ctx, a):
            return (a * 3).reshape(-1)[: a.size].reshape(a.shape)

        @staticmethod
        def backward(ctx, grad):
            return grad * 3

    y = ViewOfOwn.apply(x)
    assert y.data.base is not None
    y += 1
    y.sum().backward()
    assert_close(x.grad, np.full((2, 3), 3.0))
