"""``lucid.onnx.export``: trace a model twice, build the ONNX graph, check it, write it.

The steps (each in its own function below):

1. **Check the arguments** (:func:`_check_names`, :func:`_check_dynamic_axes`), before
   the model runs.
2. **Trace twice**, in evaluation mode (:mod:`lucid.onnx._trace`): once on the example
   ``args`` (run A) and once on a second input (run B) whose dynamic axes have another
   size and whose values are shuffled (:func:`_second_inputs`). An axis whose size
   differs between the runs is dynamic in the graph; a value that the model computed
   without a recorded operation (NumPy, ``.data``, ``.item()``, a comparison) shows up
   as a "constant" that differs between the runs, and is reported instead of being
   frozen into the file.
3. **Convert** the runs' operations side by side (:func:`_build`): each input is a graph
   input, a parameter or buffer (an initializer named by its state-dict name), the
   result of an earlier operation, or a constant; an operation on constants only whose
   result is the same in both runs is folded into a constant; every other one goes to
   its converter in :mod:`lucid.onnx._ops`.
4. **Check** the model with ``onnx.checker.check_model`` and, when ONNX Runtime is
   installed, run it on both inputs and compare with lucid's outputs
   (:func:`_verify`); only then is the file written (atomically).
"""
import os
import re

import numpy as np

from lucid._tensor import Tensor
from lucid.nn.module import Module
from lucid.onnx._graph import Graph, Value, tensor_type
from lucid.onnx._ops import CONVERTERS, FIXED_SHAPES, Call
from lucid.onnx._trace import flat_outputs, permuted, record, trace_inputs
from lucid.serialization import _write_atomically

__all__ = ["export", "DEFAULT_OPSET", "MIN_OPSET"]

DEFAULT_OPSET = 17
MIN_OPSET = 13
EXTRA = 'pip install "lucid[onnx]"'

#: Largest difference to lucid's output (relative to the output's largest magnitude)
#: that the check with ONNX Runtime accepts, by the least precise float dtype the model
#: computes in; float rounding stays far below it.
VERIFY_TOLERANCE = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4,
                    np.dtype(np.float64): 1e-9}


def _require_onnx():
    try:
        import onnx.checker
    except ImportError:
        raise ImportError(f"lucid.onnx.export needs the optional package 'onnx' (and "
                          f"'onnxruntime' to check the file): {EXTRA}") from None
    return onnx


# ------------------------------------------------------------------ arguments
def _split_args(args):
    """``args`` as (positional tuple, keyword dict), as torch.onnx.export reads them."""
    if isinstance(args, Tensor):
        return (args,), {}
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"lucid.onnx.export: args must be a Tensor or a tuple of the "
                        f"model's arguments; got {type(args).__name__}")
    args = tuple(args)
    kwargs = {}
    if args and isinstance(args[-1], dict):
        args, kwargs = args[:-1], dict(args[-1])
        for key, value in kwargs.items():
            if isinstance(value, Tensor):
                raise TypeError(f"lucid.onnx.export: keyword argument {key!r} is a Tensor; "
                                "give the graph's inputs as positional arguments")
    if not any(isinstance(a, Tensor) for a in args):
        raise ValueError("lucid.onnx.export: args must contain at least one Tensor (the "
                         "graph's inputs)")
    return args, kwargs


def _check_names(names, count, arg, default):
    if names is None:
        return [default] if count == 1 else [f"{default}_{i}" for i in range(count)]
    if isinstance(names, str) or not isinstance(names, (list, tuple)) \
            or not all(isinstance(n, str) and n for n in names):
        raise TypeError(f"lucid.onnx.export: {arg} must be a list of non-empty strings; "
                        f"got {names!r}")
    if len(names) != count:
        raise ValueError(f"lucid.onnx.export: {arg} has {len(names)} names but there are "
                         f"{count} {default}s")
    if len(set(names)) != len(names):
        raise ValueError(f"lucid.onnx.export: {arg} has repeated names: {list(names)}")
    return list(names)


def _check_opset(opset_version, onnx):
    if opset_version is None:
        return DEFAULT_OPSET
    latest = onnx.defs.onnx_opset_version()
    if isinstance(opset_version, bool) or not isinstance(opset_version, (int, np.integer)):
        raise TypeError(f"lucid.onnx.export: opset_version must be an int; got "
                        f"{opset_version!r}")
    if not MIN_OPSET <= opset_version <= latest:
        raise ValueError(f"lucid.onnx.export: opset_version must be between {MIN_OPSET} and "
                         f"{latest} (the newest this onnx knows); got {opset_version}")
    return int(opset_version)


def _check_dynamic_axes(dynamic_axes, ranks, output_names):
    """``{name: {axis: symbol}}`` from the user's ``dynamic_axes``. ``ranks`` gives each
    input's number of axes; an output's axes are checked after the trace
    (:func:`_check_output_axes`), but its name must be a possible output name now."""
    if dynamic_axes is None:
        return {}
    if not isinstance(dynamic_axes, dict):
        raise TypeError(f"lucid.onnx.export: dynamic_axes must be a dict of input / output "
                        f"names to lists of axes; got {type(dynamic_axes).__name__}")
    found = {}
    for name, axes in dynamic_axes.items():
        default_output = output_names is None and isinstance(name, str) and \
            re.fullmatch(r"output(_\d+)?", name)
        if name not in ranks and name not in (output_names or ()) and not default_output:
            raise ValueError(f"lucid.onnx.export: dynamic_axes names {name!r}, which is not "
                             f"an input name ({list(ranks)}) or an output name")
        if isinstance(axes, dict):
            pairs = list(axes.items())
        elif isinstance(axes, (list, tuple)):
            pairs = [(a, f"{name}_dim{a}") for a in axes]
        else:
            raise TypeError(f"lucid.onnx.export: dynamic_axes[{name!r}] must be a list of "
                            f"axes or a dict of axis -> name; got {axes!r}")
        ndim = ranks.get(name)
        symbols = {}
        for axis, symbol in pairs:
            if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) \
                    or not isinstance(symbol, str) or not symbol:
                raise TypeError(f"lucid.onnx.export: dynamic_axes[{name!r}] must map int "
                                f"axes to non-empty names; got {axes!r}")
            if ndim is not None and not -ndim <= axis < ndim:
                raise ValueError(f"lucid.onnx.export: dynamic_axes[{name!r}] has axis "
                                 f"{axis}, but the input {name!r} has {ndim} axes")
            symbols[int(axis) % ndim if ndim is not None else int(axis)] = symbol
        found[name] = symbols
    return found


def _check_output_axes(dynamic, in_names, out_names, outputs):
    """The outputs' entries of ``dynamic`` (axes made non-negative), now that the
    outputs are known."""
    for name in list(dynamic):
        if name in in_names:
            continue
        if name not in out_names:
            raise ValueError(f"lucid.onnx.export: dynamic_axes names {name!r}, but the "
                             f"outputs are {out_names}")
        rank = outputs[out_names.index(name)].ndim
        symbols = {}
        for axis, symbol in dynamic[name].items():
            if not -rank <= axis < rank:
                raise ValueError(f"lucid.onnx.export: dynamic_axes[{name!r}] has axis "
                                 f"{axis}, but the output {name!r} has {rank} axes")
            symbols[axis % rank] = symbol
        dynamic[name] = symbols


def _second_inputs(tensors, names, dynamic):
    """Run B's Tensors: values shuffled, each dynamic axis of another size (one less
    from 3 up, one more below), the same new size for axes sharing a name."""
    rng = np.random.default_rng(0)
    sizes = {}
    for t, name in zip(tensors, names):
        for axis, symbol in dynamic.get(name, {}).items():
            n = t.shape[axis]
            if symbol in sizes and sizes[symbol][0] != n:
                raise ValueError(f"lucid.onnx.export: dynamic axis {symbol!r} has size "
                                 f"{sizes[symbol][0]} in one input and {n} in {name!r}")
            sizes[symbol] = (n, n - 1 if n >= 3 else n + 1)
    second = []
    for t, name in zip(tensors, names):
        data = permuted(t.data, rng)
        for axis, symbol in dynamic.get(name, {}).items():
            n, m = sizes[symbol]
            if n == 0:
                raise ValueError(f"lucid.onnx.export: input {name!r} has size 0 along its "
                                 f"dynamic axis {axis}; give an example of size 1 or more")
            data = np.take(data, np.arange(m) % n, axis=axis)
        second.append(Tensor(np.ascontiguousarray(data)))
    return second


def _trace(model, args, kwargs, positions, tensors):
    """Run ``model`` on ``args`` with ``tensors`` in the places of its Tensors; return
    ``(the Tensors given, records, output)``."""
    call_args = list(args)
    for i, t in zip(positions, trace_inputs(tensors)):
        call_args[i] = t
    records, output = record(model, call_args, kwargs)
    return [call_args[i] for i in positions], records, output


# ------------------------------------------------------------------ comparing
def _same(a, b):
    """Whether two parameters / plain inputs of the two runs are the same."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return isinstance(a, Tensor) and isinstance(b, Tensor) and _same(a.data, b.data)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, slice) and isinstance(b, slice):
        return (a.start, a.stop, a.step) == (b.start, b.stop, b.step)
    try:
        return bool(a == b) or (a != a and b != b)    # nan == nan here
    except Exception:                                  # noqa: BLE001 - not comparable
        return a is b


def _short(value, limit=80):
    """``repr(value)``, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _untracked(rec, i, what):
    return ValueError(
        f"lucid.onnx.export: input {i} of the operation {rec.fn.__name__} run by "
        f"{rec.where} {what}: it changes with the model's input (its values, or its sizes "
        "along dynamic_axes) but was computed without "
        "a recorded lucid operation (with NumPy, .data, .numpy(), .item(), .detach(), a "
        "comparison, or int32 indices converted on the way), so the graph cannot compute "
        "it. Write that step with lucid operations on Tensors.")


class _Builder:
    """Turns the two runs into graph Values and nodes (step 3 of the module docstring)."""

    def __init__(self, onnx, opset, model):
        self.g = Graph(onnx, opset)
        self.a, self.b = {}, {}                 # id(Tensor or its array) -> Value, per run
        self.owners = {}                        # id(param or its array) -> state-dict name
        self.params = {}                        # state-dict name -> Value
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            if t is not None:
                self.owners.setdefault(id(t), (name, t))
                self.owners.setdefault(id(t.data), (name, t))

    def bind(self, value, ta, tb, node_a=None, node_b=None):
        for run, t, node in ((self.a, ta, node_a), (self.b, tb, node_b)):
            run[id(t)] = value
            if isinstance(t, Tensor):
                run[id(t.data)] = value
            if node is not None:
                run[("node", id(node))] = value
        self.g.register(value)

    @staticmethod
    def _known(run, x, node=None):
        """The Value of ``x`` in ``run``: by its graph node when it had one (an in-place
        operation gives a tensor the node of its new value, and the copy of its old value
        the old node), else by the object (arrays, tensors without a node)."""
        if node is not None and ("node", id(node)) in run:
            return run[("node", id(node))]
        return run.get(id(x))

    def param(self, name, tensor):
        if name not in self.params:
            self.g.reserve(name)
            data = tensor.data
            self.params[name] = Value(name, data.shape, data.shape, data.dtype, const=data)
        return self.params[name]

    def resolve(self, xa, xb, rec, i, nodes=(None, None)):
        """The graph Value (or plain value) of input ``i`` of ``rec`` in both runs
        (``nodes``: the input's graph node in each run, when it had one)."""
        array_like = (Tensor, np.ndarray)
        if not isinstance(xa, array_like):
            if isinstance(xb, array_like) or not _same(xa, xb):
                raise _untracked(rec, i, f"is {_short(xa)} in one run and {_short(xb)} in "
                                         "the other")
            return xa
        va, vb = self._known(self.a, xa, nodes[0]), self._known(self.b, xb, nodes[1])
        if va is not None or vb is not None:
            if va is not vb:
                raise _untracked(rec, i, "is not the same tensor in the two runs")
            return va
        owner = self.owners.get(id(xa))
        if owner is not None and self.owners.get(id(xb)) is owner:
            return self.param(*owner)
        arr_a = xa.data if isinstance(xa, Tensor) else xa
        arr_b = xb.data if isinstance(xb, Tensor) else xb
        if not _same(arr_a, arr_b):
            raise _untracked(rec, i, "is a tensor the trace did not see being made")
        base = self.owners.get(id(arr_a.base)) if arr_a.base is not None else None
        hint = base[0] if base is not None else "constant"
        return Value(self.g.fresh(hint, scoped=False), arr_a.shape, arr_a.shape, arr_a.dtype,
                     const=np.array(arr_a))

    def operation(self, ra, rb):
        """Convert one operation (ra in run A, rb the same one in run B)."""
        if ra.fn is not rb.fn or len(ra.inputs) != len(rb.inputs):
            raise ValueError(
                f"lucid.onnx.export: the model ran {ra.fn.__name__} ({ra.where}) on the "
                f"example but {rb.fn.__name__} ({rb.where}) at the same step on an input of "
                "another size or other values: its forward branches on the input, which a "
                "graph cannot record")
        self.g.scope = ra.module[0]
        if ra.fn in FIXED_SHAPES and ra.output.shape != rb.output.shape:
            raise ValueError(
                f"lucid.onnx.export: {ra.where} runs {ra.fn.__name__}, "
                f"{FIXED_SHAPES[ra.fn]}, so it exports with fixed shapes only; a dynamic axis "
                f"reaches it here (its output is {ra.output.shape} on the example and "
                f"{rb.output.shape} on an input of another size). Keep the axes that reach "
                "it out of dynamic_axes, or export through PyTorch "
                "(lucid.interop.to_torch)")
        inputs = [self.resolve(xa, xb, ra, i, nodes) for i, (xa, xb, *nodes)
                  in enumerate(zip(ra.inputs, rb.inputs, ra.nodes, rb.nodes))]
        out_a, out_b = ra.output.data, rb.output.data
        constant = all(not isinstance(v, Value) or v.const is not None for v in inputs)
        if constant and _same(out_a, out_b):                 # fold: a constant of the model
            value = Value(self.g.fresh(ra.fn.__name__), out_a.shape, out_a.shape, out_a.dtype,
                          const=np.array(out_a))
        else:
            value = self._convert(ra, rb, inputs)
        self.bind(value, ra.output, rb.output, ra.node, rb.node)

    def _convert(self, ra, rb, inputs):
        entry = CONVERTERS.get(ra.fn)
        if entry is None:
            raise ValueError(
                f"lucid.onnx.export: the operation {ra.fn.__name__} "
                f"({ra.fn.__module__}.{ra.fn.__qualname__}) run by {ra.where} has no ONNX "
                "mapping in lucid.onnx; see lucid.onnx.supported_operations() for those "
                "that have one")
        convert, dynamic = entry
        call = Call(ra.fn, inputs, ra.params, rb.params, ra.output.shape, rb.output.shape,
                    ra.output.dtype, ra.where)
        for key in sorted(set(ra.params) | set(rb.params)):
            a, b = ra.params.get(key), rb.params.get(key)
            if key in dynamic or _same(a, b):
                continue
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                raise call.fail(f"its parameter {key} is an array that changes with the "
                                "model's input: it was computed without a recorded lucid "
                                "operation (a comparison such as x > 0, or NumPy), so the "
                                "graph cannot compute it")
            raise call.fail(f"its parameter {key} is {_short(a)} on the example but "
                            f"{_short(b)} for an input of another size; keep that axis out "
                            "of dynamic_axes")
        result = convert(self.g, call)
        if isinstance(result, Value):
            return result
        return Value(result, ra.output.shape, rb.output.shape, ra.output.dtype)


def _value_info(onnx, name, dtype, shape, symbols):
    dims = [symbols.get(i, n) for i, n in enumerate(shape)]
    return onnx.helper.make_tensor_value_info(name, tensor_type(onnx, dtype), dims)


def _build(onnx, opset, model, run_a, run_b, in_names, out_names, dynamic):
    """The ModelProto of the two runs (see the module docstring, step 3)."""
    (inputs_a, records_a, outs_a), (inputs_b, records_b, outs_b) = run_a, run_b
    builder = _Builder(onnx, opset, model)
    g = builder.g
    graph_inputs, symbols_of = [], {}
    for name, ta, tb in zip(in_names, inputs_a, inputs_b):
        g.reserve(name)
        value = Value(name, ta.shape, tb.shape, ta.dtype)
        builder.bind(value, ta, tb)
        symbols = dynamic.get(name, {})
        for axis, symbol in symbols.items():
            symbols_of.setdefault((ta.shape[axis], tb.shape[axis]), symbol)
        graph_inputs.append(_value_info(onnx, name, ta.dtype, ta.shape, symbols))
    if len(records_a) != len(records_b):
        raise ValueError(
            f"lucid.onnx.export: the model ran {len(records_a)} operations on the example but "
            f"{len(records_b)} on an input of another size or other values: its forward "
            "branches on the input, which a graph cannot record")
    for ra, rb in zip(records_a, records_b):
        builder.operation(ra, rb)
    g.scope = ""
    graph_outputs = []
    for k, (name, ta, tb) in enumerate(zip(out_names, outs_a, outs_b)):
        value = builder._known(builder.a, ta, ta._node)
        if value is None:
            owner = builder.owners.get(id(ta))
            if owner is None:
                raise ValueError(f"lucid.onnx.export: output {k} ({name!r}) was not computed "
                                 "by recorded lucid operations from the inputs")
            value = builder.param(*owner)
        if builder._known(builder.b, tb, tb._node) not in (None, value):
            raise ValueError(f"lucid.onnx.export: output {k} ({name!r}) is not the same "
                             "tensor in the two runs")
        g.reserve(name)
        g.nodes.append(onnx.helper.make_node("Identity", [g.use(value)], [name],
                                             name=f"{name}/Identity"))
        symbols = dict(dynamic.get(name, {}))
        for axis in value.dynamic_axes():
            key = (value.shape_a[axis], value.shape_b[axis])
            symbols.setdefault(axis, symbols_of.get(key, f"{name}_dim{axis}"))
        graph_outputs.append(_value_info(onnx, name, ta.dtype, ta.shape, symbols))
    graph = onnx.helper.make_graph(g.nodes, f"lucid.{type(model).__name__}", graph_inputs,
                                   graph_outputs, initializer=g.initializers)
    opsets = [onnx.helper.make_opsetid("", opset)]
    proto = onnx.helper.make_model(graph, opset_imports=opsets, producer_name="lucid",
                                   ir_version=onnx.helper.find_min_ir_version_for(opsets))
    return proto


# ------------------------------------------------------------------ checking
def _weight_dtypes(proto, onnx):
    """The NumPy dtypes of the graph's weights."""
    return {np.dtype(onnx.helper.tensor_dtype_to_np_dtype(i.data_type))
            for i in proto.graph.initializer}


def _verify(proto, in_names, out_names, runs, tolerance):
    """Run the graph in ONNX Runtime (when installed) on both runs' inputs; ValueError
    if an output differs from lucid's by more than ``tolerance`` of its scale."""
    try:
        import onnxruntime
    except ImportError:
        return False
    try:
        session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                               providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - ONNX Runtime's own error types
        advice = ""
        if "NOT_IMPLEMENTED" in str(exc):
            advice = (" ONNX Runtime has kernels for float32 (and few for float64): export "
                      "a float32 model (model.float() and float32 inputs)")
        raise ValueError(f"lucid.onnx.export: ONNX Runtime cannot load the exported graph "
                         f"({type(exc).__name__}: {exc}); the file was not written."
                         f"{advice}") from None
    for run, (inputs, outputs) in zip(("the example", "a second input"), runs):
        feed = {name: t.data for name, t in zip(in_names, inputs)}
        got = session.run(out_names, feed)
        for name, g, want in zip(out_names, got, outputs):
            want = want.data
            if g.shape != want.shape or g.dtype != want.dtype:
                raise ValueError(f"lucid.onnx.export: on {run}, ONNX Runtime gives output "
                                 f"{name!r} of shape {g.shape} and dtype {g.dtype}; lucid "
                                 f"gives {want.shape} and {want.dtype}")
            if want.size == 0:
                continue
            if want.dtype.kind in "fc":
                finite = np.isfinite(want)
                same_special = np.array_equal(np.isfinite(g), finite) and np.array_equal(
                    np.where(finite, 0, g), np.where(finite, 0, want), equal_nan=True)
                err = float(np.max(np.abs(g - want), where=finite, initial=0.0))
                scale = float(np.max(np.abs(want), where=finite, initial=0.0))
                limit = tolerance * max(scale, 1e-6)
                ok = same_special and err <= limit
            else:
                err, ok = None, bool(np.array_equal(g, want))
            if not ok:
                raise ValueError(f"lucid.onnx.export: on {run}, ONNX Runtime's output "
                                 f"{name!r} differs from lucid's (max difference {err}); "
                                 "the file was not written. Please report this with the model.")
    return True


def export(model, args, path, opset_version=None, input_names=None, output_names=None,
           dynamic_axes=None):
    r"""Write ``model`` as an ONNX file: the operations it runs on ``args``, with its weights.

    The model is traced in evaluation mode (see :mod:`lucid.onnx` for how, and what a
    trace cannot record), the graph is checked with ``onnx.checker.check_model`` and,
    when ONNX Runtime is installed, run on the example and on a second input and
    compared with lucid before the file is written. For every input :math:`x` of the
    shapes the file declares:

    .. math:: \mathrm{onnx}(x) = \mathrm{model}(x) \quad \text{up to floating-point rounding}

    Shapes: each Tensor in ``args`` is one graph input, of its shape, except the axes
    named in ``dynamic_axes``, which take any size; each Tensor the model returns is one
    graph output.

    Backward: none; the file holds the forward computation (ONNX Runtime runs inference).

    Parameters
    ----------
    model : lucid.nn.Module
        Put in ``eval()`` for the trace and given its modes back afterwards.
    args : Tensor or tuple
        The example input: a Tensor, or a tuple of the model's positional arguments
        (Tensors become graph inputs; other values are fixed in the graph), optionally
        ending with a dict of keyword arguments (not Tensors), as in
        ``torch.onnx.export``.
    path : str or os.PathLike
        The ``.onnx`` file to write (replaced atomically; nothing is written on error).
    opset_version : int, optional
        The ONNX operator set, from 13 to the newest the installed ``onnx`` knows;
        default 17.
    input_names, output_names : list of str, optional
        Default ``'input'`` / ``'output'`` (``'input_0'``, ``'input_1'``, ... when there
        are several).
    dynamic_axes : dict, optional
        ``{name: [axis, ...]}`` or ``{name: {axis: 'symbol'}}`` for inputs and outputs
        whose axes take any size (usually ``{"input": {0: "batch"}}``). An output's
        dynamic axes are found by the trace; naming them sets their symbols. Without
        it every axis keeps the example's size.

    Raises
    ------
    ImportError
        ``onnx`` is not installed (``pip install "lucid[onnx]"``).
    TypeError
        ``model`` not a Module, ``args`` not a Tensor or tuple, bad names, a model
        returning something other than Tensors.
    ValueError
        Bad ``opset_version`` or ``dynamic_axes``; an operation with no ONNX mapping,
        or a value computed outside lucid's operations (the message names the operation
        and the module that ran it); a graph ONNX Runtime computes differently from
        lucid.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> import lucid
    >>> from lucid import nn
    >>> lucid.random.seed(0)
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    ...                       nn.Flatten(), nn.Linear(16, 3))
    >>> x = lucid.random.randn(2, 1, 4, 4)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "model.onnx")
    ...     lucid.onnx.export(model, x, path, dynamic_axes={"input": {0: "batch"}})
    ...     session = ort.InferenceSession(path)
    ...     batch = lucid.random.randn(5, 1, 4, 4)            # another batch size
    ...     (logits,) = session.run(None, {"input": batch.data})
    >>> [(i.name, i.shape) for i in session.get_inputs()]
    [('input', ['batch', 1, 4, 4])]
    >>> logits.shape, bool(np.allclose(logits, model.eval()(batch).data, atol=1e-6))
    ((5, 3), True)
    """
    onnx = _require_onnx()
    if not isinstance(model, Module):
        raise TypeError(f"lucid.onnx.export: model must be a lucid.nn.Module; got "
                        f"{type(model).__name__}")
    args, kwargs = _split_args(args)
    path = os.fspath(path)
    opset = _check_opset(opset_version, onnx)
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    tensors = [args[i] for i in positions]
    in_names = _check_names(input_names, len(tensors), "input_names", "input")
    if output_names is not None:
        _check_names(output_names, len(output_names) if isinstance(output_names, (list, tuple))
                     else 0, "output_names", "output")
    dynamic = _check_dynamic_axes(dynamic_axes, {n: t.ndim for n, t in zip(in_names, tensors)},
                                  output_names)
    second = _second_inputs(tensors, in_names, dynamic)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        inputs_a, records_a, output_a = _trace(model, args, kwargs, positions, tensors)
        try:
            inputs_b, records_b, output_b = _trace(model, args, kwargs, positions, second)
        except Exception as exc:
            raise ValueError(
                f"lucid.onnx.export: the model fails on a second input whose dynamic axes "
                f"have other sizes ({type(exc).__name__}: {exc}); check dynamic_axes") from exc
    finally:
        for module, mode in modes:
            module.training = mode
    outs_a, outs_b = flat_outputs(output_a), flat_outputs(output_b)
    if len(outs_a) != len(outs_b):
        raise ValueError("lucid.onnx.export: the model returned a different number of "
                         "outputs for a second input")
    out_names = _check_names(output_names, len(outs_a), "output_names", "output")
    if set(in_names) & set(out_names):
        raise ValueError(f"lucid.onnx.export: a name is both an input and an output: "
                         f"{sorted(set(in_names) & set(out_names))}")
    _check_output_axes(dynamic, in_names, out_names, outs_a)
    proto = _build(onnx, opset, model, (inputs_a, records_a, outs_a),
                   (inputs_b, records_b, outs_b), in_names, out_names, dynamic)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as exc:  # noqa: BLE001 - onnx's checker errors
        raise ValueError(f"lucid.onnx.export: the graph fails onnx.checker "
                         f"({type(exc).__name__}: {exc}); the file was not written. "
                         "Please report this with the model.") from None
    floats = {t.dtype for t in inputs_a + outs_a} | _weight_dtypes(proto, onnx)
    tolerance = max([VERIFY_TOLERANCE[d] for d in floats if d in VERIFY_TOLERANCE] or [1e-4])
    _verify(proto, in_names, out_names, ((inputs_a, outs_a), (inputs_b, outs_b)), tolerance)
    data = proto.SerializeToString()
    _write_atomically(path, lambda f: f.write(data))
