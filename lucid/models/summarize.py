r"""``summarize(model, input_shape)``: a table of a model's layers, shapes, parameters, FLOPs.

One forward pass on a random input of ``input_shape`` is run (in evaluation mode,
without gradients); a forward hook on every *leaf* module (one without sub-modules)
records, in execution order, the layer's output shape, its parameter count and its
floating-point operations (FLOPs).

What is counted (for the whole input given, so for the whole batch ``N``):

=============================  ================================================
layer                          FLOPs
=============================  ================================================
``Conv1d/2d/3d``               :math:`2 \cdot \frac{C_{in}}{g} \prod K \cdot C_{out} \prod O \cdot N`
``ConvTranspose1d/2d/3d``      :math:`2 \cdot C_{in} \prod S \cdot \frac{C_{out}}{g} \prod K \cdot N`
``Linear``                     :math:`2 \cdot \text{in} \cdot \text{out}` per row
``BatchNorm``, ``LayerNorm``,  2 per output element (the normalisation folded into
``InstanceNorm``               one multiply and one add, as at inference)
activations (``ReLU`` ...)     1 per output element
``MaxPool``, ``AvgPool``       :math:`\prod K` per output element
``AdaptiveAvgPool``            1 per input element
``Dropout*``, ``Identity``,    0
``Embedding``
``MultiheadAttention`` and     measured whole (one row): its projections and the
the zoo's attention layers     attention products, as :func:`lucid.count_flops`
(below)                        counts them
any other leaf                 measured: the operations the layer ran, as
                               :func:`lucid.count_flops` counts them
=============================  ================================================

The attention layers measured whole: :class:`~lucid.nn.MultiheadAttention`,
:class:`~lucid.nn.WindowAttention` (and :class:`~lucid.nn.CosineWindowAttention`),
:class:`~lucid.nn.SpatialReductionAttention`,
:class:`~lucid.nn.ConvProjectionAttention` and :class:`~lucid.nn.CrossBranchAttention`.

A multiply-add is two FLOPs; **bias additions are not counted** (the textbook
convention: a Linear layer is :math:`2 \cdot \text{in} \cdot \text{out}`). Work done
directly in a container's own ``forward`` (a residual ``x + out``, a ``flatten``, the
attention products of a module written without sub-layers) belongs to no leaf and is
not counted. The parameters of a leaf are shown at its first call (a layer called twice
shows them once); the total is ``model.count_parameters()``.
"""
import math
from collections import namedtuple

import numpy as np

import lucid
from lucid._checks import check_bool, check_int
from lucid._tensor import Tensor
from lucid.nn import modules as _layers
from lucid.nn.module import Module

__all__ = ["summarize", "ModelSummary", "LayerSummary", "layer_flops"]

LayerSummary = namedtuple("LayerSummary", ["name", "type", "output_shape", "params", "flops"])
LayerSummary.__doc__ = """One row of a :class:`ModelSummary`: a call of a leaf layer.

``name`` is its dotted path in the model, ``type`` its class name, ``output_shape`` a
tuple (a list of tuples for several outputs), ``params`` and ``flops`` ints."""

_CONV = (_layers.Conv1d, _layers.Conv2d, _layers.Conv3d)
_CONV_T = (_layers.ConvTranspose1d, _layers.ConvTranspose2d, _layers.ConvTranspose3d)
_NORM = (_layers.BatchNorm1d, _layers.BatchNorm2d, _layers.BatchNorm3d,
         _layers.InstanceNorm1d, _layers.InstanceNorm2d, _layers.InstanceNorm3d,
         _layers.LayerNorm)
_ACTIVATION = tuple(getattr(_layers, n) for n in _layers.activation.__all__)
_POOL = (_layers.MaxPool1d, _layers.MaxPool2d, _layers.MaxPool3d,
         _layers.AvgPool1d, _layers.AvgPool2d, _layers.AvgPool3d)
_ADAPTIVE = (_layers.AdaptiveAvgPool1d, _layers.AdaptiveAvgPool2d, _layers.AdaptiveAvgPool3d)
_FREE = (*(getattr(_layers, n) for n in _layers.dropout.__all__), _layers.Identity,
         _layers.Embedding)


def _as_tuple(value, d):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * d


def layer_flops(module, inputs, output):
    r"""FLOPs of one call of a leaf layer by the textbook rule, or None if it has none.

    The rules are the table of :mod:`lucid.models.summarize`; for a convolution
    with ``weight`` of shape :math:`(C_{out}, C_{in}/g, *K)`:

    .. math:: \mathrm{FLOPs} = 2 \cdot \mathrm{size}(y) \cdot \frac{C_{in}}{g} \prod K

    Backward: none (counting only).

    Parameters
    ----------
    module : Module
        The layer.
    inputs : tuple
        Its positional arguments in the call.
    output : Tensor
        What it returned.

    Returns
    -------
    int or None
        None for a layer type the table does not know.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> from lucid.models.summarize import layer_flops
    >>> conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
    >>> x = lucid.zeros((1, 3, 4, 4))
    >>> layer_flops(conv, (x,), conv(x))          # 2 * 3*3*3 * 8 * 4*4
    6912
    """
    if not isinstance(output, Tensor):
        return None
    if isinstance(module, _CONV):
        return 2 * output.size * math.prod(module.weight.shape[1:])
    if isinstance(module, _CONV_T):
        x = inputs[0]
        return 2 * x.size * math.prod(module.weight.shape[1:])
    if isinstance(module, _layers.Linear):
        return 2 * output.size * module.in_features
    if isinstance(module, _NORM):
        return 2 * output.size
    if isinstance(module, _ACTIVATION):
        return output.size
    if isinstance(module, _POOL):
        return output.size * math.prod(_as_tuple(module.kernel_size, output.ndim - 2))
    if isinstance(module, _ADAPTIVE):
        return inputs[0].size
    if isinstance(module, _FREE):
        return 0
    return None


#: Layers measured whole, as one row (their products live in their own ``forward``, not in
#: sub-layers): attention.
_WHOLE = (_layers.MultiheadAttention, _layers.WindowAttention,
          _layers.SpatialReductionAttention, _layers.ConvProjectionAttention,
          _layers.CrossBranchAttention)


def _leaves(model):
    """The layers that get a row: leaf modules, and the :data:`_WHOLE` layers (whose
    sub-layers are then not listed on their own)."""
    out, stack, seen = [], [model], set()
    while stack:
        module = stack.pop()
        if id(module) in seen:
            continue
        seen.add(id(module))
        children = list(module.children())
        if isinstance(module, _WHOLE) or not children:
            out.append(module)
        else:
            stack.extend(reversed(children))
    return out


def _measured_flops(inputs, output):
    """Operations recorded by ``count_flops`` between the layer's inputs and its output."""
    outputs = [output] if isinstance(output, Tensor) else [o for o in output if isinstance(o, Tensor)]
    unique = {id(t): t for t in inputs if isinstance(t, Tensor)}   # q = k = v: once
    done = sum(t.flops for t in unique.values())
    return max(sum(o.flops for o in outputs) - done, 0)


def _shape(output):
    if isinstance(output, Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        return [tuple(o.shape) for o in output if isinstance(o, Tensor)]
    return ()


class ModelSummary:
    """What :func:`summarize` returns: the rows, the totals, and the table as ``str()``.

    Attributes
    ----------
    rows : list of LayerSummary
        One per leaf-layer call, in execution order.
    input_shape : tuple
    output_shape : tuple
    total_params, trainable_params : int
        ``model.count_parameters()``, and those with ``requires_grad``.
    total_flops : int
        The sum of the rows' FLOPs.
    """

    def __init__(self, model_name, input_shape, rows, output_shape, total_params,
                 trainable_params, truncate_from=None):
        self.truncate_from = truncate_from
        self.model_name = model_name
        self.input_shape = input_shape
        self.rows = rows
        self.output_shape = output_shape
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.total_flops = sum(row.flops for row in rows)

    def __str__(self):
        head = ("Layer", "Type", "Output shape", "Params", "FLOPs")
        shown = self.rows if self.truncate_from is None else self.rows[:self.truncate_from]
        body = [(r.name, r.type, str(r.output_shape), f"{r.params:,}", f"{r.flops:,}")
                for r in shown]
        widths = [max(len(line[i]) for line in [head, *body]) for i in range(5)]
        right = (False, False, False, True, True)

        def fmt(line):
            return "  ".join(c.rjust(w) if r else c.ljust(w)
                             for c, w, r in zip(line, widths, right)).rstrip()

        rule = "=" * len(fmt(head))
        more = len(self.rows) - len(shown)
        lines = [f"{self.model_name}: input {self.input_shape} -> output {self.output_shape}",
                 rule, fmt(head), "-" * len(rule), *(fmt(line) for line in body),
                 *([f"... {more} more layer{'s' if more != 1 else ''}"] if more else []), rule,
                 f"Total params: {self.total_params:,}",
                 f"Trainable params: {self.trainable_params:,}",
                 f"Total FLOPs: {self.total_flops:,} ({_human(self.total_flops)})"]
        return "\n".join(lines)

    def __repr__(self):
        return (f"ModelSummary({self.model_name}, layers={len(self.rows)}, "
                f"params={self.total_params:,}, flops={self.total_flops:,})")


def _human(n):
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}FLOPs"
    return f"{n} FLOPs"


def _check_shape(input_shape):
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise TypeError(f"summarize: input_shape must be a non-empty tuple of ints such as "
                        f"(1, 3, 32, 32); got {input_shape!r}")
    for size in input_shape:
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"summarize: input_shape must hold ints; got {input_shape!r}")
        if size <= 0:
            raise ValueError(f"summarize: every size in input_shape must be positive; "
                             f"got {tuple(input_shape)}")
    return tuple(int(s) for s in input_shape)


def summarize(model, input_shape, recurse=True, truncate_from=None, *, dtype=np.float32,
              print_table=True):
    r"""Run ``model`` once and tabulate its leaf layers: output shapes, parameters, FLOPs.

    The input is standard-normal noise of ``input_shape`` (the batch axis included)
    drawn from a private generator, so lucid's global random state is untouched. The
    model runs in evaluation mode under :func:`lucid.no_grad` and its training flags
    are restored afterwards (batch-norm running statistics do not move).

    FLOPs follow the textbook count (see the table of this module); for a
    convolution,

    .. math:: \mathrm{FLOPs} = 2 \cdot \frac{C_{in}}{g} \prod K \cdot C_{out}
              \prod O \cdot N,

    bias additions are not counted, and the totals are for the whole batch ``N``.

    Backward: none (the pass runs without gradients).

    Parameters
    ----------
    model : Module
    input_shape : tuple of int
        Shape of the single input, e.g. ``(1, 3, 224, 224)``.
    recurse : bool, default True
        One row per leaf layer (True), or per direct child of ``model`` (False: a
        block's row counts everything inside it; the original lucid's argument).
    truncate_from : int, optional
        Show only the first ``truncate_from`` rows in the table (then "... n more
        layers"); the totals and ``.rows`` still cover every layer (the original's).
    dtype : dtype, default float32
        Of the random input.
    print_table : bool, default True
        Print the table (``str`` of the result).

    Returns
    -------
    ModelSummary
        ``.rows`` (LayerSummary ``name, type, output_shape, params, flops``),
        ``.total_params``, ``.trainable_params``, ``.total_flops``.

    Raises
    ------
    TypeError
        ``model`` is not a Module, or ``input_shape`` not a tuple of ints.
    ValueError
        A size in ``input_shape`` is not positive, or ``truncate_from`` negative.

    Examples
    --------
    >>> from lucid import nn
    >>> from lucid.models import summarize
    >>> net = nn.Sequential(nn.Conv2d(1, 4, kernel_size=3), nn.ReLU(),
    ...                     nn.AdaptiveAvgPool2d(1))
    >>> report = summarize(net, (1, 1, 6, 6))
    Sequential: input (1, 1, 6, 6) -> output (1, 4, 1, 1)
    =====================================================
    Layer  Type               Output shape  Params  FLOPs
    -----------------------------------------------------
    0      Conv2d             (1, 4, 4, 4)      40  1,152
    1      ReLU               (1, 4, 4, 4)       0     64
    2      AdaptiveAvgPool2d  (1, 4, 1, 1)       0     64
    =====================================================
    Total params: 40
    Trainable params: 40
    Total FLOPs: 1,280 (1.28 KFLOPs)
    >>> report.rows[0].flops                       # 2 * 1*3*3 * 4 * 4*4
    1152
    >>> block = nn.Sequential(net, nn.Flatten())
    >>> [row.name for row in summarize(block, (1, 1, 6, 6), recurse=False,
    ...                                print_table=False).rows]
    ['0', '1']
    """
    if not isinstance(model, Module):
        raise TypeError(f"summarize: model must be a lucid.nn.Module; got {type(model).__name__}")
    shape = _check_shape(input_shape)
    recurse = check_bool(recurse, "summarize", "recurse")
    if truncate_from is not None:
        truncate_from = check_int(truncate_from, "summarize", "truncate_from", minimum=0)
    names = {}
    for name, module in model.named_modules():
        names.setdefault(id(module), name or type(module).__name__)
    if recurse:
        leaves = _leaves(model)
    else:
        leaves = list(model.children()) or [model]
    rows, seen = [], set()

    def record(module, args, output):
        flops = layer_flops(module, args, output)
        if flops is None:
            flops = _measured_flops(args, output)
        params = 0 if id(module) in seen else module.count_parameters()
        seen.add(id(module))
        rows.append(LayerSummary(names[id(module)], type(module).__name__, _shape(output),
                                 int(params), int(flops)))

    x = Tensor(np.random.default_rng(0).standard_normal(shape).astype(dtype))
    modes = [(m, m.training) for m in model.modules()]
    handles = [m.register_forward_hook(record) for m in leaves]
    try:
        model.eval()
        with lucid.no_grad(), lucid.count_flops():
            out = model(x)
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes:
            module.training = mode
    report = ModelSummary(type(model).__name__, shape, rows, _shape(out),
                          model.count_parameters(),
                          int(sum(p.size for p in model.parameters() if p.requires_grad)),
                          truncate_from)
    if print_table:
        print(report)
    return report
