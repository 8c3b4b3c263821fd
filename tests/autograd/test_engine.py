"""The autograd engine: order, accumulation, broadcasting, ownership, freeing, memory."""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import lucid
from lucid.autograd import Function
from lucid.testing import assert_close, gradcheck


class Mul(Function):
    """A local multiply so these tests depend on the engine only."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return a * b

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.b, grad * ctx.a


class Scale(Function):
    @staticmethod
    def forward(ctx, x, factor=2.0):
        ctx.factor = factor
        return x * factor

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.factor


def leaf(values, dtype=np.float64):
    return lucid.Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_long_chain_has_no_recursion_error():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = Scale.apply(y, factor=1.0)
    lucid.sum(y).backward()
    assert_close(x.grad, np.ones(1))


@pytest.mark.parametrize("build", [
    ("y*y", lambda y: Mul.apply(y, y), lambda v: 2 * v),
    ("y+y", lambda y: lucid.add(y, y), lambda v: np.full_like(v, 2.0)),
    ("y*scale(y)", lambda y: Mul.apply(y, Scale.apply(y, factor=3.0)), lambda v: 6 * v),
], ids=lambda b: b[0])
def test_non_leaf_used_twice_gets_both_contributions(build):
    _, f, dfdy = build
    x = leaf([1.0, -2.0, 3.0])
    y = Scale.apply(x, factor=1.5)          # a non-leaf
    out = lucid.sum(f(y))
    out.backward()
    # dL/dx = dL/dy * 1.5
    assert_close(x.grad, dfdy(1.5 * x.data) * 1.5)


def test_broadcast_gradient_is_summed_back_to_input_shape():
    x = leaf(np.arange(12.0).reshape(4, 3))   # batch of 4
    b = leaf([1.0, 2.0, 3.0])                  # bias, broadcast over the batch
    c = leaf(np.ones((4, 1)))                  # broadcast over columns
    out = Mul.apply(lucid.add(x, b), c)
    seed = np.arange(12.0).reshape(4, 3)
    out.backward(seed)
    assert b.grad.shape == (3,)
    assert_close(b.grad, seed.sum(axis=0))
    assert c.grad.shape == (4, 1)
    assert_close(c.grad, (seed * (x.data + b.data)).sum(axis=1, keepdims=True))


def test_grad_is_never_shared_or_the_callers_array():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    lucid.sum(lucid.add(a, b)).backward()      # add's backward hands the same array to both
    assert a.grad is not b.grad
    assert not np.shares_memory(a.grad, b.grad)
    a.grad[0] = 100.0
    assert b.grad[0] == 1.0

    seed = np.ones(2)
    x = leaf([1.0, 2.0])
    x.backward(seed)                            # a leaf seeded directly
    assert x.grad is not seed and not np.shares_memory(x.grad, seed)
    x.grad += 1
    assert seed[0] == 1.0


class _Fresh(Function):
    """Returns a new array as the gradient, and remembers its id (not the array)."""
    ids = []

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        out = grad * 2
        _Fresh.ids.append(id(out))
        return out


class _Twice(Function):
    """Hands one new array to both inputs."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        out = grad.copy()
        return out, out


class _Saved(Function):
    """Returns an array it also keeps in ctx (alive with retain_graph=True)."""

    @staticmethod
    def forward(ctx, x):
        ctx.kept = np.full(x.shape, 3.0)
        return x * 3

    @staticmethod
    def backward(ctx, grad):
        return ctx.kept


def test_a_fresh_gradient_becomes_the_grad_without_a_copy():
    x = leaf([1.0, 2.0])
    _Fresh.ids.clear()
    _Fresh.apply(x).sum().backward()
    assert _Fresh.ids == [id(x.grad)]                # kept, not copied
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    _Fresh.apply(x).sum().backward()                 # later ones are added in place
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])


def test_a_gradient_held_elsewhere_is_copied():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    _Twice.apply(a, b).sum().backward()              # one array for two leaves
    assert not np.shares_memory(a.grad, b.grad)
    a.grad += 1
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])

    x = leaf([1.0, 2.0])
    y = _Saved.apply(x)
    y.sum().backward(retain_graph=True)              # ctx still holds its array
    kept = y._node.kept
    assert not np.shares_memory(x.grad, kept)
    y.sum().backward()
    np.testing.assert_array_equal(kept, [3.0, 3.0])
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])

    seen = []
    z = leaf([1.0, 2.0])
    z.register_hook(lambda g: seen.append(g))        # a hook keeps the array
    _Fresh.apply(z).sum().backward()
    _Fresh.apply(z).sum().backward()
    assert not np.shares_memory(z.grad, seen[0])
    np.testing.assert_array_equal(seen[0], [2.0, 2.0])

    w = leaf([[1.0, 2.0], [3.0, 4.0]])
    lucid.reshape(w, (4,)).sum().backward()          # a view of the upstream gradient
    w.grad += 1
    lucid.reshape(w, (4,)).sum().backward()
    np.testing.assert_array_equal(w.grad, np.full((2, 2), 3.0))


def test_grad_keeps_shape_and_dtype_float32():
    x = leaf([[1.0, 2.0]], dtype=np.float32)
    y = lucid.add(x, np.float64(1.0))
    lucid.sum(y).backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == (1, 2)


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    lucid.sum(Scale.apply(x, factor=2.0)).backward()
    lucid.sum(Scale.apply(x, factor=3.0)).backward()
    assert_close(x.grad, np.full(2, 5.0))
    x.zero_grad()
    assert x.grad is None


def test_graph_is_freed_and_second_backward_raises():
    x = leaf([1.0, 2.0])
    y = lucid.sum(Mul.apply(x, x))
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = lucid.sum(Mul.apply(x, x))
    y.backward(retain_graph=True)
    y.backward()
    assert_close(x.grad, 2 * (2 * x.data))


def test_no_reference_cycle_between_tensor_and_node():
    x = leaf([1.0])
    y = Mul.apply(x, x)
    node = weakref.ref(y._node)
    ref = weakref.ref(y)
    gc.disable()
    try:
        del y
        assert ref() is None and node() is None    # freed by refcount alone
    finally:
        gc.enable()


def test_memory_stays_flat_over_many_iterations():
    """10,000 forward/backward steps with the cycle collector off: no object survives a
    step (a tensor <-> node cycle would leave every step's graph behind), and traced
    memory does not grow with the number of steps (a leaked graph per step would cost
    10,000 x ~1 KB = ~10 MB; allocator and interpreter caches stay well under 256 KB)."""
    w = leaf(np.ones(16))

    def step():
        h = Mul.apply(w, w)
        out = lucid.sum(lucid.add(h, Scale.apply(h, factor=0.5)))
        out.backward()
        w.zero_grad()

    gc.collect()
    gc.disable()
    try:
        for _ in range(200):
            step()
        objects_before = len(gc.get_objects())
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(10_000):
            step()
        now, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        objects_after = len(gc.get_objects())
    finally:
        gc.enable()
    assert objects_after - objects_before < 50, (
        f"{objects_after - objects_before} objects survived 10,000 iterations")
    assert now - base < 256 * 1024, f"memory grew by {now - base} bytes over 10,000 iterations"


def test_backward_on_non_scalar_seeds_ones_as_the_original():
    x = leaf([1.0, 2.0])
    Scale.apply(x).backward(retain_graph=True)          # the gradient of the sum
    first = x.grad.copy()
    x.zero_grad()
    Scale.apply(x).sum().backward()
    np.testing.assert_array_equal(first, x.grad)
    y = Scale.apply(x)
    with pytest.raises(ValueError, match="shape"):
        y.backward(np.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        lucid.Tensor([1.0]).backward()


def test_no_grad_and_enable_grad():
    x = leaf([1.0])
    with lucid.no_grad():
        assert not lucid.grad_enabled()
        y = Scale.apply(x)
        with lucid.enable_grad():
            z = Scale.apply(x)
    assert lucid.grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf

    @lucid.no_grad()
    def f(t):
        return Scale.apply(t)

    assert not f(x).requires_grad
    assert lucid.grad_enabled()

    @lucid.enable_grad()
    def g(t):
        return Scale.apply(t)

    with lucid.no_grad():
        assert g(x).requires_grad


def test_no_grad_restores_on_exception():
    with pytest.raises(KeyError):
        with lucid.no_grad():
            raise KeyError
    assert lucid.grad_enabled()


def test_hooks_on_leaf_and_non_leaf():
    x = leaf([1.0, 2.0])
    y = Scale.apply(x, factor=3.0)
    seen = []
    y.register_hook(lambda g: seen.append(g.copy()))
    x.register_hook(lambda g: g * 10)          # replaces the gradient
    lucid.sum(y).backward()
    assert_close(seen[0], np.ones(2))
    assert_close(x.grad, np.full(2, 30.0))


def test_keep_grad_on_non_leaf():
    x = leaf([1.0, 2.0])
    y = Scale.apply(x, factor=3.0)
    y.keep_grad = True
    z = Scale.apply(x, factor=3.0)
    lucid.sum(Mul.apply(y, y)).backward()
    lucid.sum(z).backward()
    assert_close(y.grad, 2 * y.data)
    assert z.grad is None


def test_integer_and_bool_tensors_may_require_grad():
    # the original lucid's rule; their gradients are floating (tests/test_compat_tensor.py)
    assert lucid.Tensor([1, 2], requires_grad=True).requires_grad
    assert lucid.Tensor([True], requires_grad=True).requires_grad


def test_gradcheck_passes_and_catches_a_wrong_backward():
    class WrongSquare(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.x = x
            return x * x

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.x          # missing the factor 2

    x = leaf([0.3, -1.2, 2.0])
    assert gradcheck(lambda t: Mul.apply(t, t), [x])
    with pytest.raises(AssertionError, match="does not match"):
        gradcheck(lambda t: WrongSquare.apply(t), [x])
    assert gradcheck(lambda t: WrongSquare.apply(t), [x], raise_exception=False) is False


def test_gradcheck_works_in_float64_for_float32_inputs():
    x = leaf([0.3, -1.2], dtype=np.float32)
    seen = []

    def f(t):
        seen.append(t.dtype)
        return Mul.apply(t, t)

    assert gradcheck(f, [x])
    assert set(seen) == {np.dtype(np.float64)}


def test_gradcheck_handles_functions_returning_views():
    class View(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.shape = x.shape
            return x.reshape(-1)          # a view sharing memory with the input

        @staticmethod
        def backward(ctx, grad):
            return grad.reshape(ctx.shape)

    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    assert gradcheck(lambda t: View.apply(t), [x])


# ------------------------------------------- what a Function's backward may return
class _Returns(Function):
    """Identity whose backward returns whatever the test puts in ``ctx.give``."""

    @staticmethod
    def forward(ctx, x, y=None, give=None):
        ctx.give = give
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return ctx.give(grad)


@pytest.mark.parametrize("give, match", [
    (lambda g: (np.float32(1.0), None), r"_Returns.backward returned a gradient of shape \(\) for "
                                r"input 0, which has shape \(2,\)"),
    (lambda g: (np.ones(5, np.float32), None), r"gradient of shape \(5,\) for input 0, which has "
                                       r"shape \(2,\)"),
    (lambda g: (np.ones((3, 1), np.float32), None), r"gradient of shape \(3, 1\) for input 0"),
    (lambda g: (g, g, g), r"_Returns.backward returned 3 gradient\(s\) for 2 input\(s\)"),
    (lambda g: ([1.0, 2.0], None), r"_Returns.backward returned a list as the gradient of input 0"),
])
def test_engine_refuses_a_backward_with_wrong_gradients(give, match):
    x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    y = _Returns.apply(x, None, give=give)
    with pytest.raises(RuntimeError, match=match):
        y.backward(np.ones(2, np.float32))
    assert x.grad is None


def test_engine_accepts_a_gradient_of_a_shape_the_input_broadcasts_to():
    x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    y = _Returns.apply(x, None, give=lambda g: (np.ones((3, 2), np.float32), None))
    y.backward(np.ones(2, np.float32))
    assert_close(x.grad, np.array([3.0, 3.0], dtype=np.float32))
