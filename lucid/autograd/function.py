"""``Function``: one differentiable operation, forward and backward written by hand.

A subclass writes two static methods on plain NumPy arrays::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = np.exp(x)
            ctx.y = y                   # whatever backward needs, on ctx
            return y

        @staticmethod
        def backward(ctx, grad):        # grad: dL/dy, an array of y's shape
            return grad * ctx.y         # dL/dx = dL/dy * exp(x)

and is called as ``Exp.apply(tensor)``. The rules:

* positional arguments are the differentiable inputs: Tensors (their ``.data`` is
  passed to ``forward``) or plain values (Python numbers, arrays), passed as they are;
* keyword arguments are parameters (axis, stride, ...), passed to ``forward`` as they are;
* **what backward needs is saved as attributes of ctx** (``ctx.y = y``, ``ctx.axis =
  axis``): arrays and parameters alike, the one convention. The engine frees them after
  backward, and checks before it that no saved array was changed in place since
  (``lucid.autograd.inplace``);
* ``backward`` returns one gradient per positional input, in order (a tuple, or the
  bare array when there is one input); ``None`` where an input needs no gradient.
  A gradient has the input's shape, or a shape the input broadcasts to (the engine
  sums it back); anything else is an error naming the Function;
* ``ctx.needs_input_grad[i]`` tells whether input ``i`` needs a gradient.

The ``ctx`` object *is* the graph node. Its graph fields (``parents``,
``needs_input_grad`` and the engine's bookkeeping) are slots of this base class, kept
apart from the saved state in ``ctx.__dict__``. The node keeps its inputs
(``ctx.parents``) but never its output Tensor, so no reference cycle exists between a
tensor and its node.
"""
from numpy import asarray, ndarray

from lucid.autograd.flops import state as _flop_state
from lucid.autograd.grad_mode import state as _grad_state
from lucid.autograd.inplace import state as _write_state
from lucid.autograd.observe import begin as _observe_begin, state as _observe_state

__all__ = ["Function"]


class Function:
    """Base class of every differentiable operation (see the module docstring)."""

    # The graph node's fields; what an op saves lives in the instance __dict__.
    __slots__ = ("parents", "needs_input_grad", "_writes", "_hooks", "_keep",
                 "__dict__", "__weakref__")

    @staticmethod
    def forward(ctx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def flops(ctx, out, *inputs):
        """Floating-point operations of one forward call (default: one per output element).

        Override for ops whose cost is not one operation per output element (a matrix
        product counts ``2 m k n``). Used only inside ``lucid.count_flops()``.
        """
        return int(out.size)

    @classmethod
    def apply(cls, *inputs, **params):
        """Run ``forward`` on the inputs' arrays and record a node when grad is needed."""
        ctx = cls.__new__(cls)
        observers = _observe_state.observers
        if observers:
            _observe_begin(cls, observers)
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        out = cls.forward(ctx, *arrays, **params)
        if type(out) is not ndarray:  # a NumPy scalar from a full reduction
            out = asarray(out)
        node = None
        if _grad_state.enabled:
            needs = tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs)
            if True in needs:
                ctx.parents = tuple(x if isinstance(x, Tensor) else None for x in inputs)
                ctx.needs_input_grad = needs
                ctx._writes = _write_state.writes
                ctx._hooks = None
                ctx._keep = None
                node = ctx
        result = Tensor._wrap(out, node is not None, node)
        if _flop_state.counting:
            result._flops = (cls.flops(ctx, out, *arrays),
                             tuple(x for x in inputs if isinstance(x, Tensor)))
        if observers:
            for callback in observers:
                callback(cls, inputs, params, result)
        return result


from lucid._tensor import Tensor  # noqa: E402  (Tensor imports this module)
