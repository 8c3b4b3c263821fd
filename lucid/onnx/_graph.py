"""The ONNX graph under construction: values, nodes, initializers, dynamic sizes.

A :class:`Value` is one tensor of the graph. The exporter runs the model twice (see
:mod:`lucid.onnx._export`), so a Value knows its shape in both runs: ``shape_a`` on the
example the user gave, ``shape_b`` on a second input whose dynamic axes have another
size. An axis whose two sizes differ is *dynamic*; every other axis is a constant of
the graph. A Value is either computed by the graph (``const`` is None) or known
beforehand (``const`` holds its array: a parameter, a buffer, a constant of the model).

:class:`Graph` collects the nodes in order and writes the initializers lazily: a
parameter becomes an initializer (named by its state-dict name) only when a node
reads it. Its helpers build the small pieces every converter needs: integer
constants, casts, reductions whose axes moved from attribute to input in opset 18,
and :meth:`Graph.shape` / :meth:`Graph.reshape`, which turn a target shape with
dynamic axes into a shape tensor read from the input's own ``Shape``.
"""
import collections

import numpy as np

__all__ = ["Value", "Graph"]


class Value:
    """One tensor of the graph: its ONNX name, its shape in both runs, its dtype, and
    its array when it is known without running the graph."""

    __slots__ = ("name", "shape_a", "shape_b", "dtype", "const", "initializer")

    def __init__(self, name, shape_a, shape_b, dtype, const=None, initializer=False):
        self.name = name
        self.shape_a = tuple(shape_a)
        self.shape_b = tuple(shape_b)
        self.dtype = np.dtype(dtype)
        self.const = const
        self.initializer = initializer   # True once written to the graph's initializers

    @property
    def ndim(self):
        return len(self.shape_a)

    def dynamic_axes(self):
        """The axes whose size differs between the two runs."""
        return [i for i, (a, b) in enumerate(zip(self.shape_a, self.shape_b)) if a != b]


class Graph:
    """Nodes, initializers and names of the graph being built (see the module docstring).

    ``onnx`` is the imported onnx package (optional: imported by the exporter only).
    """

    def __init__(self, onnx, opset):
        self.onnx = onnx
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self._names = set()
        self._counts = collections.Counter()
        self._int_constants = {}
        self._shapes = {}                 # value name -> name of its Shape node
        self.dim_sources = {}             # (size_a, size_b) -> (Value, axis)
        self.scope = ""                   # prefix of new names: the module running

    # ------------------------------------------------------------------ names
    def fresh(self, hint, scoped=True):
        """A name not used yet, built from ``hint`` (after the current module's name,
        unless ``scoped`` is False)."""
        base = f"{self.scope}/{hint}" if self.scope and scoped else hint
        name = base
        while name in self._names:
            self._counts[base] += 1
            name = f"{base}_{self._counts[base]}"
        self._names.add(name)
        return name

    def reserve(self, name):
        """Claim ``name`` exactly (graph inputs, outputs, parameters); False if taken."""
        if name in self._names:
            return False
        self._names.add(name)
        return True

    # ------------------------------------------------------------------ nodes
    def node(self, op_type, inputs, n_outputs=1, **attributes):
        """Append a node; return its output name (or a list of them when n_outputs > 1).

        An input given as None is an omitted optional input (written as '').
        """
        outputs = [self.fresh(op_type) for _ in range(n_outputs)]
        inputs = ["" if name is None else name for name in inputs]
        node = self.onnx.helper.make_node(op_type, inputs, outputs, name=outputs[0],
                                          **attributes)
        self.nodes.append(node)
        return outputs[0] if n_outputs == 1 else outputs

    def initializer(self, array, name):
        """Write ``array`` as the initializer ``name`` (a name that is free)."""
        array = np.ascontiguousarray(array)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def constant(self, array, hint="const"):
        """A new initializer holding ``array``; returns its name."""
        return self.initializer(np.asarray(array), self.fresh(hint))

    def ints(self, values):
        """A 1-d int64 constant (shared between nodes that need the same one)."""
        key = tuple(int(v) for v in values)
        if key not in self._int_constants:
            self._int_constants[key] = self.constant(np.array(key, dtype=np.int64), "ints")
        return self._int_constants[key]

    def scalar(self, value, dtype):
        """A 0-d constant of ``dtype``."""
        return self.constant(np.array(value, dtype=dtype), "scalar")

    def use(self, value):
        """The name under which ``value`` is read, writing its initializer on first use."""
        if value.const is not None and not value.initializer:
            self.initializer(value.const, value.name)
            value.initializer = True
        return value.name

    def register(self, value):
        """Remember where each dynamic size of ``value`` can be read (first one wins)."""
        for axis in value.dynamic_axes():
            key = (value.shape_a[axis], value.shape_b[axis])
            self.dim_sources.setdefault(key, (value, axis))

    # -------------------------------------------------------- small patterns
    def cast(self, name, from_dtype, to_dtype):
        """``name`` converted to ``to_dtype`` (no node when the dtypes agree)."""
        if np.dtype(from_dtype) == np.dtype(to_dtype):
            return name
        return self.node("Cast", [name], to=tensor_type(self.onnx, to_dtype))

    def unsqueeze(self, name, axes):
        return self.node("Unsqueeze", [name, self.ints(axes)])

    def squeeze(self, name, axes):
        return self.node("Squeeze", [name, self.ints(axes)])

    def reduce(self, op_type, name, axes, keepdims):
        """A Reduce* node over ``axes`` (an input since opset 13 for ReduceSum and
        since opset 18 for the others; an attribute before)."""
        keep = int(bool(keepdims))
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.node(op_type, [name, self.ints(axes)], keepdims=keep)
        return self.node(op_type, [name], axes=list(axes), keepdims=keep)

    def size_of(self, value, axis):
        """A 1-element int64 tensor holding ``value``'s size along ``axis`` at run time."""
        if value.name not in self._shapes:
            self._shapes[value.name] = self.node("Shape", [self.use(value)])
        return self.node("Gather", [self._shapes[value.name], self.ints([axis])], axis=0)

    def shape(self, shape_a, shape_b, infer=False, what="a shape"):
        """An int64 1-d tensor for a target shape given in both runs.

        Axes equal in both runs are constants. A dynamic axis is read at run time from
        a Value that has a dynamic axis of the same two sizes (:attr:`dim_sources`).
        With ``infer`` (Reshape), one dynamic axis that no Value has may be left as -1
        (ONNX computes it from the element count). Returns None when some axis cannot
        be expressed; the caller raises the error.
        """
        parts, unknown = [], []
        for i, (a, b) in enumerate(zip(shape_a, shape_b)):
            if a == b:
                parts.append(("const", a))
            elif (a, b) in self.dim_sources:
                parts.append(("dim", self.dim_sources[(a, b)]))
            else:
                unknown.append(i)
                parts.append(("const", -1))
        if unknown and not (infer and len(unknown) == 1):
            return None
        if all(kind == "const" for kind, _ in parts):
            return self.ints([v for _, v in parts])
        pieces, run = [], []
        for kind, item in parts:
            if kind == "const":
                run.append(item)
                continue
            if run:
                pieces.append(self.ints(run))
                run = []
            pieces.append(self.size_of(*item))
        if run:
            pieces.append(self.ints(run))
        return pieces[0] if len(pieces) == 1 else self.node("Concat", pieces, axis=0)


def tensor_type(onnx, dtype):
    """The ONNX element type (``TensorProto.FLOAT`` ...) of a NumPy dtype."""
    return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
