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
* ``backward`` returns one gradient per positional input, in order (a tuple, or the
  bare array when there is one input); ``None`` where an input needs no gradient.
  A gradient may have the broadcast shape: the engine sums it back to the input's shape.
* ``ctx.needs_input_grad[i]`` tells whether input ``i`` needs a gradient.

The ``ctx`` object *is* the graph node: it keeps the inputs (``ctx.parents``) but never
the output Tensor, so no reference cycle exists between a tensor and its node.
"""
from numpy import asarray, ndarray

from lucid.autograd.flops import state as _flop_state
from lucid.autograd.grad_mode import state as _grad_state
from lucid.autograd.observe import state as _observe_state

__all__ = ["Function"]


class Function:
    """Base class of every differentiable operation (see the module docstring)."""

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

    def save_for_backward(self, *arrays):
        """Keep arrays for ``backward``; read them back from ``ctx.saved_tensors``."""
        self.saved_tensors = arrays

    @classmethod
    def apply(cls, *inputs, **params):
        """Run ``forward`` on the inputs' arrays and record a node when grad is needed."""
        ctx = cls.__new__(cls)
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        out = cls.forward(ctx, *arrays, **params)
        if type(out) is not ndarray:  # a NumPy scalar from a full reduction
            out = asarray(out)
        result = Tensor.__new__(Tensor)
        result.data = out
        result.grad = None
        result._keep_grad = False
        result._hooks = None
        if _flop_state.counting:
            result._flops = (cls.flops(ctx, out, *arrays),
                             tuple(x for x in inputs if isinstance(x, Tensor)))
        else:
            result._flops = None
        result.requires_grad = False
        result._node = None
        if _grad_state.enabled:
            needs = tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs)
            if True in needs:
                ctx.parents = tuple(x if isinstance(x, Tensor) else None for x in inputs)
                ctx.needs_input_grad = needs
                result.requires_grad = True
                result._node = ctx
        if _observe_state.observers:
            for callback in _observe_state.observers:
                callback(cls, inputs, params, result)
        return result


from lucid._tensor import Tensor  # noqa: E402  (Tensor imports this module)
