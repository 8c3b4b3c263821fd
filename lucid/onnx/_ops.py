"""How each lucid operation becomes ONNX nodes: one converter per Function class.

A converter is ``convert(g, call)``: ``g`` is the :class:`~lucid.onnx._graph.Graph`,
``call`` the :class:`Call` being converted (its inputs as graph Values or plain Python
values, its keyword parameters, the shapes and dtype of its output). It appends nodes
and returns the name of the output (or, for an operation that changes nothing, the
input Value itself).

Each converter writes the same arithmetic as the lucid Function's ``forward`` (read
them side by side: ``lucid/ops/``), so ONNX Runtime computes the same numbers up to
floating-point rounding. :data:`CONVERTERS` maps each Function class to its converter
and to the names of the parameters that may change with a dynamic axis (such as a
reshape's target shape); any other parameter must be the same for every input size.
"""
import math

import numpy as np

from lucid.einops._transform import Transform
from lucid.nn.module import _ModuleInputGrad, _ModuleOutputGrad
from lucid.onnx._graph import Value, tensor_type
from lucid.ops import activation as act
from lucid.ops import elementwise as ew
from lucid.ops import index as ix
from lucid.ops import reduce as rd
from lucid.ops import shape as sh
from lucid.ops.attention import Attention, PackedAttention
from lucid.ops.conv import Conv, ConvTranspose
from lucid.ops.embedding import Embedding
from lucid.ops.linalg import MatMul
from lucid.ops.linear import Bilinear, Linear
from lucid.ops.norm import AffineNorm
from lucid.ops.pool import AdaptiveAvgPool, AvgPool, MaxPool, averaging_matrix
from lucid.ops.rnn import GATES, Recurrence
from lucid.ops.utility import GatherAlongAxis, Tril, Triu

__all__ = ["Call", "CONVERTERS", "supported_operations"]

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


class Call:
    """One recorded operation, ready to convert (see the module docstring)."""

    def __init__(self, fn, inputs, params, params_b, out_a, out_b, dtype, where):
        self.fn = fn
        self.inputs = inputs          # Values, or plain Python values (None, numbers)
        self.params = params          # keyword parameters of the example's run
        self.params_b = params_b      # ... and of the second run
        self.out_a, self.out_b = tuple(out_a), tuple(out_b)
        self.dtype = np.dtype(dtype)  # the output's dtype
        self.where = where            # "module 'fc' (Linear)", for messages

    def fail(self, reason):
        """A ValueError naming the operation and the module that ran it."""
        return ValueError(f"lucid.onnx.export: cannot export the operation "
                          f"{self.fn.__name__} run by {self.where}: {reason}")


# ---------------------------------------------------------------------- helpers
def _operand(g, x, dtype):
    """An input of an arithmetic node, converted to ``dtype`` (NumPy computes in the
    result's dtype, so ONNX must see both operands in it)."""
    if isinstance(x, Value):
        return g.cast(g.use(x), x.dtype, dtype)
    return g.scalar(x, dtype)


def _axes(axis, ndim):
    """A reduction's ``axis`` (None, int or tuple) as a sorted list of non-negative axes."""
    if axis is None:
        return list(range(ndim))
    axis = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return sorted(int(a) % ndim for a in axis)


def _batched(g, x, unbatched):
    """``x``'s name, with a batch axis put in front when ``unbatched``."""
    name = g.use(x)
    return g.unsqueeze(name, [0]) if unbatched else name


def _unbatch(g, y, unbatched):
    return g.squeeze(y, [0]) if unbatched else y


# ---------------------------------------------------------------- convolution
def conv(g, c):
    x, w, b = c.inputs
    p = c.params
    d = len(p["stride"])
    end = p.get("padding_end") or (0,) * d
    pads = list(p["padding"]) + [a + e for a, e in zip(p["padding"], end)]
    inputs = [_batched(g, x, p["unbatched"]), g.use(w)] + ([g.use(b)] if b is not None else [])
    y = g.node("Conv", inputs, kernel_shape=list(w.shape_a[2:]), strides=list(p["stride"]),
               pads=pads, dilations=list(p["dilation"]), group=int(p["groups"]))
    return _unbatch(g, y, p["unbatched"])


def conv_transpose(g, c):
    x, w, b = c.inputs
    p = c.params
    inputs = [_batched(g, x, p["unbatched"]), g.use(w)] + ([g.use(b)] if b is not None else [])
    y = g.node("ConvTranspose", inputs, kernel_shape=list(w.shape_a[2:]),
               strides=list(p["stride"]), pads=list(p["padding"]) * 2,
               output_padding=list(p["output_padding"]), dilations=list(p["dilation"]),
               group=int(p["groups"]))
    return _unbatch(g, y, p["unbatched"])


# -------------------------------------------------------------------- pooling
def max_pool(g, c):
    (x,), p = c.inputs, c.params
    y = g.node("MaxPool", [_batched(g, x, p["unbatched"])], kernel_shape=list(p["kernel_size"]),
               strides=list(p["stride"]), pads=list(p["padding"]) * 2,
               dilations=list(p["dilation"]), ceil_mode=int(bool(p["ceil_mode"])))
    return _unbatch(g, y, p["unbatched"])


def avg_pool(g, c):
    (x,), p = c.inputs, c.params
    kernel = list(p["kernel_size"])
    divisor = p["divisor_override"]
    if divisor is not None and p["ceil_mode"]:
        raise c.fail("divisor_override with ceil_mode has no ONNX equivalent (AveragePool "
                     "divides by the window size)")
    include_pad = bool(p["count_include_pad"]) or divisor is not None
    y = g.node("AveragePool", [_batched(g, x, p["unbatched"])], kernel_shape=kernel,
               strides=list(p["stride"]), pads=list(p["padding"]) * 2,
               ceil_mode=int(bool(p["ceil_mode"])), count_include_pad=int(include_pad))
    if divisor is not None:          # every window is whole: mean * K / divisor = sum / divisor
        y = g.node("Mul", [y, g.scalar(math.prod(kernel) / divisor, c.dtype)])
    return _unbatch(g, y, p["unbatched"])


def adaptive_avg_pool(g, c):
    (x,) = c.inputs
    sizes = tuple(c.params["output_size"])
    d = len(sizes)
    first = x.ndim - d
    spatial = list(range(first, x.ndim))
    name = g.use(x)
    if all(s == 1 for s in sizes):                    # global average pooling
        return g.reduce("ReduceMean", name, spatial, keepdims=True)
    if any(x.shape_a[a] != x.shape_b[a] for a in spatial):
        raise c.fail("adaptive pooling to a size other than 1 needs static spatial axes; "
                     "keep them out of dynamic_axes")
    lengths = [x.shape_a[a] for a in spatial]
    if all(n % s == 0 for n, s in zip(lengths, sizes)) and first <= 2:
        kernel = [n // s for n, s in zip(lengths, sizes)]
        unbatched = first == 1
        y = g.node("AveragePool", [g.unsqueeze(name, [0]) if unbatched else name],
                   kernel_shape=kernel, strides=kernel)
        return _unbatch(g, y, unbatched)
    y = name                                          # separable: one matrix per axis
    for a, (n, s) in enumerate(zip(lengths, sizes)):
        axis = first + a
        perm = [i for i in range(x.ndim) if i != axis] + [axis]
        back = list(np.argsort(perm))
        matrix = g.constant(averaging_matrix(n, s, x.dtype).T, "averaging_matrix")
        y = g.node("Transpose", [g.node("MatMul", [g.node("Transpose", [y], perm=perm), matrix])],
                   perm=[int(i) for i in back])
    return y


# ----------------------------------------------------------- linear and norms
def linear(g, c):
    x, w, b = c.inputs
    if x.ndim == 2:
        inputs = [g.use(x), g.use(w)] + ([g.use(b)] if b is not None else [])
        return g.node("Gemm", inputs, transB=1)
    y = g.node("MatMul", [g.use(x), g.node("Transpose", [g.use(w)], perm=[1, 0])])
    return y if b is None else g.node("Add", [y, g.use(b)])


def bilinear(g, c):
    x1, x2, w, b = c.inputs
    y = g.node("Einsum", [g.use(x1), g.use(w), g.use(x2)], equation="...i,oij,...j->...o")
    return y if b is None else g.node("Add", [y, g.use(b)])


def _param_or(g, v, shape, fill, dtype):
    """A norm's weight or bias, or a constant of ``fill`` when the layer has none."""
    if v is not None:
        return g.use(v)
    return g.constant(np.full(shape, fill, dtype=dtype), "ones" if fill else "zeros")


def affine_norm(g, c):
    x, w, b = c.inputs
    p = c.params
    axes, shape, eps = tuple(p["axes"]), tuple(p["param_shape"]), float(p["eps"])
    stats = p.get("stats")
    name = g.use(x)
    if p.get("view") is not None:                          # group norm
        return _group_norm(g, x, w, b, name, int(p["view"][1]), eps)
    channels = x.ndim >= 2 and shape == (1, x.shape_a[1]) + (1,) * (x.ndim - 2)
    if stats is not None and channels:                    # batch norm in evaluation mode
        n = x.shape_a[1]
        mean, var = (g.constant(np.reshape(s, (n,)).astype(x.dtype), hint)
                     for s, hint in zip(stats, ("running_mean", "running_var")))
        return g.node("BatchNormalization",
                      [name, _param_or(g, w, (n,), 1, x.dtype), _param_or(g, b, (n,), 0, x.dtype),
                       mean, var], epsilon=eps)
    k = len(axes)
    trailing = axes == tuple(range(x.ndim - k, x.ndim)) and shape[:x.ndim - k] == (1,) * (x.ndim - k)
    if stats is None and trailing and g.opset >= 17:       # layer norm
        normalized = shape[x.ndim - k:]
        inputs = [name, _param_or(g, w, normalized, 1, x.dtype)]
        if b is not None:
            inputs.append(g.use(b))
        return g.node("LayerNormalization", inputs, axis=-k, epsilon=eps)
    # the general case, written out as AffineNorm.forward computes it
    if stats is None:
        mean = g.reduce("ReduceMean", name, axes, keepdims=True)
        centred = g.node("Sub", [name, mean])
        var = g.reduce("ReduceMean", g.node("Mul", [centred, centred]), axes, keepdims=True)
    else:
        centred = g.node("Sub", [name, g.constant(np.asarray(stats[0], x.dtype), "mean")])
        var = g.constant(np.asarray(stats[1], x.dtype), "var")
    return _scale_shift(g, _normalized(g, centred, var, eps, x.dtype), w, b, shape)


def _normalized(g, centred, var, eps, dtype):
    """``centred / sqrt(var + eps)``."""
    rstd = g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [var, g.scalar(eps, dtype)])])])
    return g.node("Mul", [centred, rstd])


def _scale_shift(g, y, w, b, shape):
    """``y * w + b``, each of ``w`` and ``b`` (when present) viewed as ``shape``."""
    if w is not None:
        y = g.node("Mul", [y, g.node("Reshape", [g.use(w), g.ints(shape)])])
    if b is not None:
        y = g.node("Add", [y, g.node("Reshape", [g.use(b), g.ints(shape)])])
    return y


def _group_norm(g, x, w, b, name, groups, eps):
    """Group norm: ``x`` viewed as ``(N, G, -1)`` (the batch size read from ``x``),
    normalised over its last axis, back in ``x``'s shape, then scaled per channel."""
    grouped = g.node("Reshape", [name, g.ints((0, groups, -1))])
    centred = g.node("Sub", [grouped, g.reduce("ReduceMean", grouped, (2,), keepdims=True)])
    var = g.reduce("ReduceMean", g.node("Mul", [centred, centred]), (2,), keepdims=True)
    y = g.node("Reshape", [_normalized(g, centred, var, eps, x.dtype), g.node("Shape", [name])])
    return _scale_shift(g, y, w, b, (1, x.shape_a[1]) + (1,) * (x.ndim - 2))


# ---------------------------------------------------------------- activations
def _unary(op_type):
    def convert(g, c):
        return g.node(op_type, [g.use(c.inputs[0])])
    convert.__name__ = op_type
    return convert


def leaky_relu(g, c):
    return g.node("LeakyRelu", [g.use(c.inputs[0])], alpha=float(c.params["negative_slope"]))


def elu(g, c):
    x = g.use(c.inputs[0])
    alpha, scale = float(c.params["alpha"]), float(c.params.get("scale", 1.0))
    if alpha == act.SELU_ALPHA and scale == act.SELU_SCALE:
        return g.node("Selu", [x], alpha=alpha, gamma=scale)
    y = g.node("Elu", [x], alpha=alpha)
    return y if scale == 1.0 else g.node("Mul", [y, g.scalar(scale, c.dtype)])


def gelu(g, c):
    (x,), t = c.inputs, c.dtype
    name = g.use(x)
    approximate = c.params.get("approximate", "none")
    if g.opset >= 20:
        return g.node("Gelu", [name], approximate=approximate)
    if approximate == "tanh":           # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.node("Mul", [g.node("Mul", [name, name]), name])
        inner = g.node("Add", [name, g.node("Mul", [cube, g.scalar(0.044715, t)])])
        u = g.node("Tanh", [g.node("Mul", [inner, g.scalar(math.sqrt(2 / math.pi), t)])])
        half_x = g.node("Mul", [name, g.scalar(0.5, t)])
        return g.node("Mul", [half_x, g.node("Add", [u, g.scalar(1.0, t)])])
    erf = g.node("Erf", [g.node("Mul", [name, g.scalar(1 / math.sqrt(2.0), t)])])
    cdf = g.node("Mul", [g.node("Add", [erf, g.scalar(1.0, t)]), g.scalar(0.5, t)])
    return g.node("Mul", [name, cdf])


def swish(g, c):
    x = g.use(c.inputs[0])
    return g.node("Mul", [x, g.node("Sigmoid", [x])])


def clip_shift(g, c):
    p, t = c.params, c.dtype
    y = g.use(c.inputs[0])
    if p["shift"]:
        y = g.node("Add", [y, g.scalar(p["shift"], t)])
    y = g.node("Clip", [y, g.scalar(0, t), g.scalar(p["high"], t)])
    return y if p["divisor"] == 1 else g.node("Div", [y, g.scalar(p["divisor"], t)])


def hard_swish(g, c):
    t = c.dtype
    x = g.use(c.inputs[0])
    gate = g.node("Clip", [g.node("Add", [x, g.scalar(3, t)]), g.scalar(0, t), g.scalar(6, t)])
    return g.node("Div", [g.node("Mul", [x, gate]), g.scalar(6, t)])


def _softmax(op_type):
    def convert(g, c):
        return g.node(op_type, [g.use(c.inputs[0])], axis=int(c.params["axis"]))
    return convert


# ---------------------------------------------------------------- element-wise
def _binary(op_type):
    def convert(g, c):
        a, b = c.inputs
        return g.node(op_type, [_operand(g, a, c.dtype), _operand(g, b, c.dtype)])
    convert.__name__ = op_type
    return convert


def log2(g, c):
    return g.node("Div", [g.node("Log", [g.use(c.inputs[0])]), g.scalar(math.log(2.0), c.dtype)])


def square(g, c):
    x = g.use(c.inputs[0])
    return g.node("Mul", [x, x])


def cube(g, c):
    x = g.use(c.inputs[0])
    return g.node("Mul", [g.node("Mul", [x, x]), x])


def clip(g, c):
    bounds = [None if c.params.get(k) is None else g.scalar(c.params[k], c.dtype)
              for k in ("min_value", "max_value")]
    return g.node("Clip", [g.use(c.inputs[0])] + bounds)


def round_(g, c):
    decimals = int(c.params.get("decimals", 0))
    x = g.use(c.inputs[0])
    if decimals == 0:
        return g.node("Round", [x])
    scale = g.scalar(10.0 ** decimals, c.dtype)
    return g.node("Div", [g.node("Round", [g.node("Mul", [x, scale])]), scale])


def astype(g, c):
    x = c.inputs[0]
    return g.node("Cast", [g.use(x)], to=tensor_type(g.onnx, c.dtype))


# ------------------------------------------------------------------ reductions
def _reduction(op_type):
    def convert(g, c):
        x = c.inputs[0]
        y = g.reduce(op_type, g.use(x), _axes(c.params.get("axis"), x.ndim),
                     c.params.get("keepdims", False))
        return g.cast(y, x.dtype, c.dtype)
    return convert


def var(g, c):
    x = c.inputs[0]
    axes = _axes(c.params.get("axis"), x.ndim)
    name = g.use(x)
    centred = g.node("Sub", [name, g.reduce("ReduceMean", name, axes, keepdims=True)])
    return g.reduce("ReduceMean", g.node("Mul", [centred, centred]), axes,
                    c.params.get("keepdims", False))


# ---------------------------------------------------------------------- shapes
def _dynamic_shape(g, c, shape_a, shape_b, infer=False):
    shape = g.shape(shape_a, shape_b, infer=infer)
    if shape is None:
        raise c.fail(f"its target shape {tuple(shape_a)} changes with the dynamic axes (it "
                     f"is {tuple(shape_b)} for another input size) in a way the graph cannot "
                     "read from its inputs' sizes; export with fewer dynamic_axes")
    return shape


def reshape(g, c):
    return g.node("Reshape", [g.use(c.inputs[0]), _dynamic_shape(g, c, c.out_a, c.out_b, True)])


def transpose(g, c):
    x = c.inputs[0]
    axes = c.params.get("axes")
    perm = list(reversed(range(x.ndim))) if axes is None else [int(a) % x.ndim for a in axes]
    return g.node("Transpose", [g.use(x)], perm=perm)


def concatenate(g, c):
    ndim = len(c.out_a)
    return g.node("Concat", [_operand(g, v, c.dtype) for v in c.inputs],
                  axis=int(c.params["axis"]) % ndim)


def stack(g, c):
    axis = int(c.params["axis"]) % len(c.out_a)
    return g.node("Concat", [g.unsqueeze(_operand(g, v, c.dtype), [axis]) for v in c.inputs],
                  axis=axis)


def pad(g, c):
    widths = [tuple(int(v) for v in w) for w in c.params["pad_width"]]
    pads = [w[0] for w in widths] + [w[1] for w in widths]
    value = g.scalar(c.params.get("constant_values", 0), c.dtype)
    return g.node("Pad", [g.use(c.inputs[0]), g.ints(pads), value], mode="constant")


def tile(g, c):
    return g.node("Tile", [g.use(c.inputs[0]), g.ints(c.params["reps"])])


def broadcast_to(g, c):
    return g.node("Expand", [g.use(c.inputs[0]), _dynamic_shape(g, c, c.out_a, c.out_b)])


def transform(g, c):
    """An einops recipe: reshape, reduce, transpose, repeat, reshape (Transform.forward)."""
    ra, rb = c.params["recipe"], c.params_b["recipe"]
    reductions = {"sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax",
                  "min": "ReduceMin", "prod": "ReduceProd"}
    y = g.node("Reshape", [g.use(c.inputs[0]),
                           _dynamic_shape(g, c, ra.elementary_shape, rb.elementary_shape, True)])
    if ra.reduced_axes:
        y = g.reduce(reductions[c.params.get("reduction", "sum")], y, list(ra.reduced_axes),
                     keepdims=False)
    y = g.node("Transpose", [y], perm=[int(i) for i in ra.permutation])
    if ra.new_axes:
        y = g.unsqueeze(y, [p for p, _ in ra.new_axes])
        y = g.node("Expand", [y, _dynamic_shape(g, c, ra.expanded_shape, rb.expanded_shape)])
    return g.node("Reshape", [y, _dynamic_shape(g, c, ra.final_shape, rb.final_shape, True)])


# ---------------------------------------------------------------------- indexing
def _basic_items(index, shape):
    """A basic index as one entry per input axis or new axis: ('int', i), ('slice', s)
    or ('new',), each int and slice made relative to the end where it reaches it."""
    index = index if isinstance(index, tuple) else (index,)
    used = sum(1 for item in index if item is not None and item is not Ellipsis)
    items, axis = [], 0
    for item in index:
        if item is Ellipsis:
            for _ in range(len(shape) - used):
                items.append(("slice", (0, None, 1)))
                axis += 1
        elif item is None:
            items.append(("new",))
        elif isinstance(item, slice):
            n = shape[axis]
            start, stop, step = item.indices(n)
            if step > 0:
                stop = None if stop >= n else stop
            else:
                stop = None if stop < 0 else stop
                start = -1 if start == n - 1 else start
            items.append(("slice", (start, stop, step)))
            axis += 1
        else:
            i = int(item) % shape[axis]
            items.append(("int", i if i < shape[axis] - 1 or shape[axis] == 1 else -1))
            axis += 1
    for _ in range(len(shape) - axis):
        items.append(("slice", (0, None, 1)))
    return items


def basic_index(g, c):
    x = c.inputs[0]
    items = _basic_items(c.params["index"], x.shape_a)
    if items != _basic_items(c.params_b["index"], x.shape_b):
        raise c.fail(f"its index {c.params['index']!r} changes with the dynamic axes (it is "
                     f"{c.params_b['index']!r} for another input size)")
    starts, ends, axes, steps, drop, new = [], [], [], [], [], []
    axis = 0
    for position, item in enumerate(items):
        if item[0] == "new":
            new.append(position)
            continue
        if item[0] == "int":
            i = item[1]
            starts.append(i), ends.append(i + 1 if i != -1 else INT64_MAX), steps.append(1)
            axes.append(axis), drop.append(axis)
        else:
            start, stop, step = item[1]
            if (start, stop, step) != (0, None, 1):
                starts.append(start)
                ends.append(stop if stop is not None else (INT64_MAX if step > 0 else INT64_MIN))
                steps.append(step), axes.append(axis)
        axis += 1
    y = g.use(x)
    if axes:
        y = g.node("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if drop:
        y = g.squeeze(y, drop)
    if new:
        y = g.unsqueeze(y, new)
    return y if y != x.name else g.node("Identity", [y])


def advanced_index(g, c):
    x = c.inputs[0]
    index = c.params["index"]
    index = index if isinstance(index, tuple) else (index,)
    arrays = [i for i, item in enumerate(index) if not isinstance(item, slice)]
    if len(arrays) != 1 or any(item != slice(None) for item in index if isinstance(item, slice)):
        raise c.fail("only an index with one array (the other entries ':') is exported")
    k = arrays[0]
    idx = np.asarray(index[k])
    if idx.dtype == np.bool_:
        if idx.ndim != 1:
            raise c.fail("a boolean mask over several axes is not exported")
        idx = np.nonzero(idx)[0]
    return g.node("Gather", [g.use(x), g.constant(idx.astype(np.int64), "indices")], axis=k)


def take(g, c):
    indices = np.asarray(c.params["indices"], dtype=np.int64)
    return g.node("Gather", [g.use(c.inputs[0]), g.constant(indices, "indices")],
                  axis=int(c.params["axis"]) % c.inputs[0].ndim)


def gather_along_axis(g, c):
    x, indices, axis = c.inputs
    idx = g.use(indices) if isinstance(indices, Value) else g.constant(
        np.asarray(indices, np.int64), "indices")
    return g.node("GatherElements", [g.use(x), idx], axis=int(axis) % x.ndim)


def where(g, c):
    a, b = c.inputs
    condition = g.constant(np.asarray(c.params["condition"], dtype=bool), "condition")
    return g.node("Where", [condition, _operand(g, a, c.dtype), _operand(g, b, c.dtype)])


def masked_fill(g, c):
    mask = g.constant(np.asarray(c.params["mask"], dtype=bool), "mask")
    return g.node("Where", [mask, g.scalar(c.params["value"], c.dtype), g.use(c.inputs[0])])


def _scalar_k(g, k):
    return g.constant(np.array(int(k), dtype=np.int64), "k")


def tril(g, c):
    return g.node("Trilu", [g.use(c.inputs[0]), _scalar_k(g, c.params["diagonal"])], upper=0)


def triu(g, c):
    return g.node("Trilu", [g.use(c.inputs[0]), _scalar_k(g, c.params["diagonal"])], upper=1)


# ------------------------------------------------------------ products, lookup
def matmul(g, c):
    a, b = c.inputs
    return g.node("MatMul", [_operand(g, a, c.dtype), _operand(g, b, c.dtype)])


def attention(g, c):
    """softmax(scale Q K^T + mask) V as MatMul, Mul, Add, Softmax, MatMul; with ``heads``
    the heads split (Reshape to (0, 0, heads, -1), Transpose) and merged back. With a
    mask, the query rows it blocks entirely get weights 0 and output 0 (Equal, ReduceMin,
    Where), as in lucid."""
    q, k, v, mask = c.inputs
    heads = c.params.get("heads")
    if heads is None:
        nd = len(c.out_a)
        swap = list(range(nd - 2)) + [nd - 1, nd - 2]
        return _attention_nodes(g, c, g.use(q), g.node("Transpose", [g.use(k)], perm=swap),
                                g.use(v), mask, nd)

    def split(x, perm):
        return g.node("Transpose", [g.node("Reshape", [g.use(x), g.ints((0, 0, heads, -1))])],
                      perm=perm)
    out = _attention_nodes(g, c, split(q, [0, 2, 1, 3]), split(k, [0, 2, 3, 1]),
                           split(v, [0, 2, 1, 3]), mask, 4)
    return _merge_heads(g, out)


def packed_attention(g, c):
    """PackedAttention: the packed projection (N, T, 3 E) reshaped to (N, T, 3, heads,
    d), moved to (3, N, heads, T, d) and gathered (and squeezed) into Q, K, V; then as
    ``attention``."""
    qkv, mask = c.inputs
    heads = c.params["heads"]
    parts = g.node("Transpose", [g.node("Reshape", [g.use(qkv), g.ints((0, 0, 3, heads, -1))])],
                   perm=[2, 0, 3, 1, 4])
    Q, K, V = (g.node("Squeeze", [g.node("Gather", [parts, g.ints((i,))], axis=0),
                                  g.ints((0,))]) for i in range(3))
    Kt = g.node("Transpose", [K], perm=[0, 1, 3, 2])
    return _merge_heads(g, _attention_nodes(g, c, Q, Kt, V, mask, 4))


def _merge_heads(g, out):
    """(N, heads, T, d) -> (N, T, heads * d)."""
    return g.node("Reshape", [g.node("Transpose", [out], perm=[0, 2, 1, 3]), g.ints((0, 0, -1))])


def _attention_nodes(g, c, Q, Kt, V, mask, ndim):
    s = g.node("Mul", [g.node("MatMul", [Q, Kt]), g.scalar(c.params["scale"], c.dtype)])
    dead = None
    if mask is not None:
        s = g.node("Add", [s, _operand(g, mask, c.dtype)])
        blocked = g.cast(g.node("Equal", [s, g.scalar(-np.inf, c.dtype)]), np.bool_, c.dtype)
        dead = g.cast(g.reduce("ReduceMin", blocked, [ndim - 1], True), c.dtype, np.bool_)
        s = g.node("Where", [dead, g.scalar(0, c.dtype), s])
    a = g.node("Softmax", [s], axis=-1)
    if dead is not None:
        a = g.node("Where", [dead, g.scalar(0, c.dtype), a])
    return g.node("MatMul", [a, V])


def embedding(g, c):
    indices, weight = c.inputs
    if not isinstance(indices, Value):
        raise c.fail("its indices are not a tensor of the graph")
    return g.node("Gather", [g.use(weight), g.cast(g.use(indices), indices.dtype, np.int64)],
                  axis=0)


def identity(g, c):
    return c.inputs[0]


# -------------------------------------------------------------- recurrent layers
#: lucid's gate blocks (PyTorch's order: LSTM i f g o, GRU r z n) in the order ONNX's
#: operators read them (LSTM i o f c, GRU z r h)
ONNX_GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN_TANH": (0,), "RNN_RELU": (0,)}


def recurrence(g, c):
    """One layer and direction (:class:`~lucid.ops.rnn.Recurrence`) as ONNX's RNN, GRU
    or LSTM operator, its outputs flattened and joined as lucid's one flat output."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = c.inputs
    mode, sizes = c.params["mode"], [int(n) for n in c.params["batch_sizes"]]
    if w_hr is not None:
        raise c.fail("an LSTM with proj_size has no ONNX operator (ONNX's LSTM has no "
                     "projection)")
    if len(set(sizes)) != 1:
        raise c.fail("packed sequences of different lengths have no ONNX form here; pad "
                      "them to one length")
    hidden = w_hh.shape_a[0] // GATES[mode]
    rows = np.concatenate([np.arange(k * hidden, (k + 1) * hidden)
                           for k in ONNX_GATE_ORDER[mode]])

    def in_onnx_order(v):                      # (G H, ...) -> (1, G H, ...), gates reordered
        return g.unsqueeze(g.node("Gather", [g.use(v), g.ints(rows)], axis=0), [0])

    def bias(v):
        return in_onnx_order(v) if v is not None else g.constant(
            np.zeros((1, GATES[mode] * hidden), dtype=c.dtype), "zeros")

    b = None
    if b_ih is not None or b_hh is not None:   # ONNX adds W's and R's biases, as lucid
        b = g.node("Concat", [bias(b_ih), bias(b_hh)], axis=1)
    steps, n = len(sizes), sizes[0]
    inputs = [g.node("Reshape", [g.use(x), g.ints((steps, n, x.shape_a[1]))]),
              in_onnx_order(w_ih), in_onnx_order(w_hh), b, None, g.unsqueeze(g.use(h0), [0])]
    attributes = dict(hidden_size=hidden, direction="reverse" if c.params.get("reverse")
                      else "forward")
    if mode == "LSTM":
        inputs.append(g.unsqueeze(g.use(c0), [0]))
    elif mode == "GRU":
        attributes["linear_before_reset"] = 1  # r multiplies (W_hn h + b_hn), as in PyTorch
    else:
        attributes["activations"] = ["Tanh" if mode == "RNN_TANH" else "Relu"]
    op_type = mode if mode in ("LSTM", "GRU") else "RNN"
    outputs = g.node(op_type, inputs, n_outputs=3 if mode == "LSTM" else 2, **attributes)
    # Y (T, 1, N, H), Y_h (1, N, H), Y_c (1, N, H): raveled, they are lucid's y, h_n, c_n
    return g.node("Concat", [g.node("Reshape", [v, g.ints((-1,))]) for v in outputs], axis=0)


# ----------------------------------------------------------------- the table
#: Function class -> (converter, parameters that may change with a dynamic axis)
CONVERTERS = {
    Conv: (conv, ()), ConvTranspose: (conv_transpose, ()),
    MaxPool: (max_pool, ()), AvgPool: (avg_pool, ()), AdaptiveAvgPool: (adaptive_avg_pool, ()),
    Linear: (linear, ()), Bilinear: (bilinear, ()), AffineNorm: (affine_norm, ("view",)),
    Recurrence: (recurrence, ()),
    act.ReLU: (_unary("Relu"), ()), act.LeakyReLU: (leaky_relu, ()), act.ELU: (elu, ()),
    act.GELU: (gelu, ()), act.Sigmoid: (_unary("Sigmoid"), ()), act.Swish: (swish, ()),
    act.ClipShift: (clip_shift, ()), act.HardSwish: (hard_swish, ()),
    act.Softmax: (_softmax("Softmax"), ()), act.LogSoftmax: (_softmax("LogSoftmax"), ()),
    ew.Add: (_binary("Add"), ()), ew.Sub: (_binary("Sub"), ()),
    ew.Multiply: (_binary("Mul"), ()), ew.Div: (_binary("Div"), ()),
    ew.Power: (_binary("Pow"), ()), ew.Maximum: (_binary("Max"), ()),
    ew.Minimum: (_binary("Min"), ()),
    ew.Neg: (_unary("Neg"), ()), ew.Exp: (_unary("Exp"), ()), ew.Log: (_unary("Log"), ()),
    ew.Log2: (log2, ()), ew.Sqrt: (_unary("Sqrt"), ()), ew.Sin: (_unary("Sin"), ()),
    ew.Cos: (_unary("Cos"), ()), ew.Tan: (_unary("Tan"), ()), ew.Sinh: (_unary("Sinh"), ()),
    ew.Cosh: (_unary("Cosh"), ()), ew.Tanh: (_unary("Tanh"), ()),
    ew.Arcsin: (_unary("Asin"), ()), ew.Arccos: (_unary("Acos"), ()),
    ew.Arctan: (_unary("Atan"), ()), ew.Abs: (_unary("Abs"), ()),
    ew.Reciprocal: (_unary("Reciprocal"), ()), ew.Square: (square, ()), ew.Cube: (cube, ()),
    ew.Clip: (clip, ()), ew.Sign: (_unary("Sign"), ()), ew.Floor: (_unary("Floor"), ()),
    ew.Ceil: (_unary("Ceil"), ()), ew.Round: (round_, ()), ew.AsType: (astype, ()),
    rd.Sum: (_reduction("ReduceSum"), ()), rd.Mean: (_reduction("ReduceMean"), ()),
    rd.Max: (_reduction("ReduceMax"), ()), rd.Min: (_reduction("ReduceMin"), ()),
    rd.Var: (var, ()),
    sh.Reshape: (reshape, ("shape",)), sh.Transpose: (transpose, ()),
    sh.Concatenate: (concatenate, ()), sh.Stack: (stack, ()), sh.Pad: (pad, ()),
    sh.Tile: (tile, ()), sh.BroadcastTo: (broadcast_to, ("shape",)),
    Transform: (transform, ("recipe",)),
    ix.BasicIndex: (basic_index, ("index",)), ix.AdvancedIndex: (advanced_index, ()),
    ix.Take: (take, ()), ix.Where: (where, ()), ix.MaskedFill: (masked_fill, ()),
    GatherAlongAxis: (gather_along_axis, ()), Tril: (tril, ()), Triu: (triu, ()),
    MatMul: (matmul, ()), Embedding: (embedding, ()), Attention: (attention, ()),
    PackedAttention: (packed_attention, ()),
    _ModuleInputGrad: (identity, ("state", "index")),
    _ModuleOutputGrad: (identity, ("state", "index")),
}

#: Operations that export with the shapes of the example only: Function class -> what
#: it is, and why, for the error raised when a dynamic axis reaches it.
FIXED_SHAPES = {
    Recurrence: "a recurrent layer (RNN, LSTM, GRU or a cell): its batch and time sizes "
                "are written into the ONNX operator, and its default zero initial states "
                "are made with NumPy at the example's batch size",
}


def supported_operations():
    r"""The names of the lucid operations (:class:`~lucid.autograd.Function` classes)
    that :func:`lucid.onnx.export` turns into ONNX nodes.

    An operation's name is its Function class's (``Conv`` is every convolution,
    ``AffineNorm`` batch, layer and instance normalisation, ``Transform`` an einops
    pattern). A model that runs any other operation cannot be exported: the error
    names the operation and the module that ran it.

    .. math:: \{\, f \mid f \text{ has a converter to ONNX} \,\}

    Backward: none (a list of names).

    Returns
    -------
    list of str
        Sorted.

    Examples
    --------
    >>> import lucid.onnx
    >>> names = lucid.onnx.supported_operations()
    >>> [n for n in names if n.startswith("Conv")]
    ['Conv', 'ConvTranspose']
    >>> "Linear" in names and "Softmax" in names
    True
    """
    return sorted(fn.__name__ for fn in CONVERTERS if not fn.__name__.startswith("_"))

