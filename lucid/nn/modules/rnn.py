r"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` over whole sequences and their one-step
``RNNCell``, ``LSTMCell``, ``GRUCell``, with PyTorch's arguments, parameter names and
layouts, default initialisation and results.

A layer runs a cell along the sequence, :math:`h_t = \mathrm{cell}(x_t, h_{t-1})`;
stacked layers (``num_layers``) feed each layer's outputs to the next, with dropout in
between; a bidirectional layer runs a second cell from the last step to the first and
concatenates the two outputs. Each layer and direction is one autograd node
(:class:`lucid.ops.rnn.Recurrence`), whose backward runs backpropagation through time
on whole batches, so a 35-step LSTM costs two matrix products per step, not hundreds
of graph nodes.

Parameters are named as in PyTorch, so ``state_dict`` s load across:
``weight_ih_l{k}`` ``(G H, I_k)``, ``weight_hh_l{k}`` ``(G H, P)``, ``bias_ih_l{k}``,
``bias_hh_l{k}`` ``(G H,)``, ``weight_hr_l{k}`` ``(P, H)`` (LSTM with ``proj_size``),
with the suffix ``_reverse`` for the backward direction. The gate blocks are stacked in
the rows of each matrix: ``G = 1`` (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
Every parameter starts from :math:`U(-1/\sqrt{H}, 1/\sqrt{H})`.
"""
import math
import warnings

import numpy as np

from lucid._checks import check_bool, check_int
from lucid._tensor import Tensor
from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.functional._layer_args import flag_arg, probability
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.nn.utils.rnn import PackedSequence, sequence_order
from lucid.ops.rnn import GATES, recurrence
from lucid.ops.shape import concatenate, reshape, stack, swapaxes

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_NONLINEARITIES = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}


def _positive(value, name, arg):
    return check_int(value, name, arg, minimum=1)


def _reset(module, hidden_size):
    """PyTorch's default: every parameter from :math:`U(-1/\\sqrt{H}, 1/\\sqrt{H})`."""
    bound = 1 / math.sqrt(hidden_size)
    for p in module.parameters():
        init.uniform(p, -bound, bound)


def _dtype_of(name, arg, x, dtype):
    """``x`` must be a float Tensor of the parameters' dtype."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: {arg} must be a Tensor; got {type(x).__name__}")
    if x.dtype != dtype:
        raise TypeError(f"{name}: {arg} must have the dtype of the parameters ({dtype}); "
                        f"got {x.dtype}. Cast it, or the module with .double() / .float()")
    return x


def _state(name, arg, h, shape, dtype):
    """A given initial state: a Tensor of exactly ``shape`` and ``dtype``."""
    _dtype_of(name, arg, h, dtype)
    if h.shape != tuple(shape):
        raise ValueError(f"{name}: expected {arg} of shape {tuple(shape)}; got {h.shape}")
    return h


def _sizes_and_settings(module, **defaults):
    """PyTorch's repr of a recurrent layer: the two sizes, then each setting that differs
    from its default (``LSTM(3, 4, num_layers=2, bidirectional=True)``)."""
    text = f"{module.input_size}, {module.hidden_size}"
    for name, default in defaults.items():
        value = getattr(module, name, default)
        if value != default:
            text += f", {name}={value}"
    return text


class RNNBase(Module):
    r"""The machinery shared by :class:`RNN`, :class:`LSTM` and :class:`GRU`.

    A multi-layer, optionally bidirectional recurrence over a sequence; the subclasses
    fix the cell (``mode``: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'``, ``'GRU'``).
    Layer :math:`k` reads the outputs of layer :math:`k-1` (with dropout between them in
    training mode), both directions concatenated:

    .. math:: x^{(k)}_t = \mathrm{dropout}\big([\overrightarrow{h}^{(k-1)}_t ;
              \overleftarrow{h}^{(k-1)}_t]\big), \qquad x^{(0)}_t = x_t

    Shapes (``D`` = 2 if bidirectional else 1, ``P`` = ``proj_size`` or
    ``hidden_size``): input ``(L, N, input_size)`` (``(N, L, input_size)`` with
    ``batch_first``, ``(L, input_size)`` unbatched, or a
    :class:`~lucid.nn.utils.rnn.PackedSequence`); output ``(L, N, D P)`` in the same
    layout (a PackedSequence for a packed input); states ``(D num_layers, N, P)``
    (LSTM's cell state ``(D num_layers, N, hidden_size)``), without the ``N`` axis for
    unbatched input, in every layout.

    Backward: backpropagation through time, one node per layer and direction (see
    :mod:`lucid.ops.rnn`): gradients reach the input, the initial states and every
    parameter.

    Parameters
    ----------
    mode : {'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'}
    input_size, hidden_size : int
        Features of :math:`x_t` and of :math:`h_t` (positive).
    num_layers : int, default 1
    bias : bool, default True
        Learn ``bias_ih`` and ``bias_hh``.
    batch_first : bool, default False
        Input and output ``(N, L, *)`` instead of ``(L, N, *)`` (states keep their
        layout).
    dropout : float, default 0.0
        Drop probability on the outputs of each layer but the last (training mode).
    bidirectional : bool, default False
    proj_size : int, default 0
        LSTM only: project :math:`h_t` to ``proj_size`` features (``0 < proj_size <
        hidden_size``), :math:`h_t = W_{hr}(o_t \odot \tanh c_t)`.

    Raises
    ------
    TypeError, ValueError
        Non-int or non-positive sizes, a ``dropout`` outside [0, 1], a ``proj_size``
        not below ``hidden_size`` or given to RNN/GRU; (forward) inputs and states of
        the wrong type, shape or dtype.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> lstm = nn.RNNBase("LSTM", 3, 5, num_layers=2)
    >>> [name for name, _ in lstm.named_parameters()][:4]
    ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0):
        super().__init__()
        name = type(self).__name__
        if mode not in GATES:
            raise ValueError(f"{name}: mode must be one of {sorted(GATES)}; got {mode!r}")
        self.mode = mode
        self.input_size = _positive(input_size, name, "input_size")
        self.hidden_size = _positive(hidden_size, name, "hidden_size")
        self.num_layers = _positive(num_layers, name, "num_layers")
        self.bias = flag_arg(bias, name, "bias")
        self.batch_first = check_bool(batch_first, name, "batch_first")
        self.dropout = probability(dropout, name, "dropout")
        self.bidirectional = check_bool(bidirectional, name, "bidirectional")
        self.proj_size = check_int(proj_size, name, "proj_size", minimum=0)
        if self.proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size is an LSTM argument; got proj_size="
                             f"{self.proj_size} for mode {mode!r}")
        if self.proj_size >= self.hidden_size:
            raise ValueError(f"{name}: proj_size must be smaller than hidden_size "
                             f"({self.hidden_size}); got {self.proj_size}")
        if self.dropout > 0 and self.num_layers == 1:
            warnings.warn(f"{name}: dropout acts between recurrent layers, so dropout="
                          f"{self.dropout} does nothing with num_layers=1", UserWarning,
                          stacklevel=3 if name != "RNNBase" else 2)
        gates = GATES[mode] * self.hidden_size
        out = self.proj_size or self.hidden_size
        directions = 2 if self.bidirectional else 1
        self._flat_weights_names = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else out * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gates, layer_input)), ("weight_hh", (gates, out))]
                if self.bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if self.proj_size:
                    shapes += [("weight_hr", (self.proj_size, self.hidden_size))]
                for param, shape in shapes:
                    setattr(self, param + suffix, Parameter(np.empty(shape, np.float32)))
                    self._flat_weights_names.append(param + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: every parameter from :math:`U(-1/\\sqrt{H}, 1/\\sqrt{H})`."""
        _reset(self, self.hidden_size)

    def flatten_parameters(self):
        """Does nothing: PyTorch packs its CUDA weights here; lucid's are always ready.

        Kept so that PyTorch code calling it runs unchanged.
        """

    @property
    def all_weights(self):
        """The parameters of each layer and direction, ``[[weight_ih, weight_hh, ...], ...]``."""
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        params = [getattr(self, n) for n in self._flat_weights_names]
        return [params[i:i + per] for i in range(0, len(params), per)]

    def _weights(self, layer, direction):
        """``(w_ih, w_hh, b_ih, b_hh, w_hr)`` of one layer and direction (None where absent)."""
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        return tuple(getattr(self, param + suffix, None)
                     for param in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"))

    # -------------------------------------------------------------------- forward
    def _sequence(self, input):  # noqa: A002
        """The input as ``(rows, input_size)`` packed rows, its batch sizes, and how to
        give the output back: ``(rows, batch_sizes, n, layout)``."""
        name = type(self).__name__
        dtype = self.weight_ih_l0.dtype
        if isinstance(input, PackedSequence):
            x = _dtype_of(name, "input.data", input.data, dtype)
            if x.ndim != 2 or x.shape[1] != self.input_size:
                raise ValueError(f"{name}: expected packed data of shape (rows, "
                                 f"{self.input_size}); got {x.shape}")
            sizes = input.batch_sizes.data
            return x, sizes, int(sizes[0]), "packed"
        x = _dtype_of(name, "input", input, dtype)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            layout = "(N, L, {0})" if self.batch_first else "(L, N, {0})"
            raise ValueError(f"{name}: expected input of shape {layout.format(self.input_size)} "
                             f"or (L, {self.input_size}); got {x.shape}")
        if x.ndim == 2:
            x, layout = reshape(x, (x.shape[0], 1, x.shape[1])), "unbatched"
        elif self.batch_first:
            x, layout = swapaxes(x, 0, 1), "batch_first"
        else:
            layout = "time_first"
        steps, n = x.shape[0], x.shape[1]
        if steps == 0:
            raise ValueError(f"{name}: the sequence must have at least one step; got input "
                             f"of shape {input.shape}")
        rows = reshape(x, (steps * n, self.input_size))
        return rows, np.full(steps, n, dtype=np.int64), n, layout

    def _initial_states(self, hx, n, layout, order):
        """The initial states as lists with one ``(n, P)`` (and ``(n, H)``) entry per layer
        and direction, checked, and in the packed order of the sequences."""
        name = type(self).__name__
        dtype = self.weight_ih_l0.dtype
        count = self.num_layers * (2 if self.bidirectional else 1)
        out = self.proj_size or self.hidden_size
        lstm = self.mode == "LSTM"
        if hx is None:
            h = np.zeros((count, n, out), dtype=dtype)
            c = np.zeros((count, n, self.hidden_size), dtype=dtype) if lstm else None
        else:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h_0, c_0) of Tensors; got "
                                    f"{type(hx).__name__}")
                h, c = hx
            else:
                h, c = hx, None
            unbatched = layout == "unbatched"
            shape_h = (count,) + (() if unbatched else (n,)) + (out,)
            shape_c = (count,) + (() if unbatched else (n,)) + (self.hidden_size,)
            h = _state(name, "h_0" if lstm else "hx", h, shape_h, dtype)
            c = _state(name, "c_0", c, shape_c, dtype) if lstm else None
            if unbatched:
                h = reshape(h, (count, 1, out))
                c = reshape(c, (count, 1, self.hidden_size)) if lstm else None
            if order is not None:
                h = h[:, order]
                c = c[:, order] if lstm else None
        hs = [h[k] for k in range(count)]
        cs = [c[k] for k in range(count)] if lstm else [None] * count
        return hs, cs

    def forward(self, input, hx=None):  # noqa: A002  (PyTorch's argument name)
        """Run the layers over ``input``; return ``(output, h_n)`` (LSTM:
        ``(output, (h_n, c_n))``). See the class docstring for the shapes."""
        x, batch_sizes, n, layout = self._sequence(input)
        order = None
        if layout == "packed" and input.sorted_indices is not None:
            order = sequence_order(input)
        hs, cs = self._initial_states(hx, n, layout, order)
        directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                y, h, c = recurrence(self.mode, x, hs[k], cs[k], self._weights(layer, direction),
                                     batch_sizes, reverse=direction == 1)
                outputs.append(y)
                h_n.append(h)
                c_n.append(c)
            x = outputs[0] if directions == 1 else concatenate(outputs, axis=1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout)
        states = [stack(h_n, axis=0)] + ([stack(c_n, axis=0)] if self.mode == "LSTM" else [])
        if layout == "packed":
            if input.unsorted_indices is not None:
                states = [s[:, input.unsorted_indices.data] for s in states]
            output = PackedSequence(x, input.batch_sizes, input.sorted_indices,
                                    input.unsorted_indices)
        else:
            output = reshape(x, (len(batch_sizes), n, x.shape[1]))
            if layout == "batch_first":
                output = swapaxes(output, 0, 1)
            elif layout == "unbatched":
                output = output[:, 0]
                states = [s[:, 0] for s in states]
        if self.mode == "LSTM":
            return output, tuple(states)
        return output, states[0]

    def extra_repr(self):
        return _sizes_and_settings(self, proj_size=0, num_layers=1, bias=True, batch_first=False,
                                   dropout=0.0, bidirectional=False)


_LAYER_ARGS = r"""
    Parameters
    ----------
    input_size : int
        Features of :math:`x_t`.
    hidden_size : int
        Features of :math:`h_t` (:math:`H`).
    num_layers : int, default 1
        Stacked layers; layer :math:`k > 0` reads the outputs of layer :math:`k - 1`."""

_LAYER_FLAGS = r"""
    bias : bool, default True
        Learn ``bias_ih`` and ``bias_hh``.
    batch_first : bool, default False
        Input and output ``(N, L, *)`` instead of ``(L, N, *)``; the states keep
        ``(D num_layers, N, *)``.
    dropout : float, default 0.0
        Dropout on the outputs of every layer but the last, in training mode.
    bidirectional : bool, default False
        Add a layer that reads the sequence backwards; outputs are concatenated
        (forward first), states stacked per layer as ``[forward, backward]``."""

_LAYER_RAISES = r"""
    Raises
    ------
    TypeError
        Non-int sizes, non-bool flags; (forward) an input or state that is not a Tensor
        of the parameters' dtype.
    ValueError
        Non-positive sizes, ``dropout`` outside [0, 1]; (forward) an input of the wrong
        shape or with no step, a state of the wrong shape."""


class RNN(RNNBase):
    __doc__ = r"""An Elman recurrent network: :math:`h_t = \phi(W_{ih} x_t + b_{ih} +
    W_{hh} h_{t-1} + b_{hh})`, with :math:`\phi` = tanh or ReLU, over a whole sequence.

    .. math:: h_t = \phi\big(W_{ih}\, x_t + b_{ih} + W_{hh}\, h_{t-1} + b_{hh}\big),
              \qquad t = 1, \dots, L

    Shapes (``D`` = 2 if bidirectional else 1): input ``(L, N, input_size)``,
    ``(N, L, input_size)`` with ``batch_first``, ``(L, input_size)`` unbatched, or a
    :class:`~lucid.nn.utils.rnn.PackedSequence`; ``hx`` ``(D num_layers, N, H)``
    (zeros when omitted). Returns ``(output, h_n)``: ``output`` ``(L, N, D H)`` in the
    input's layout (every :math:`h_t` of the last layer), ``h_n`` ``(D num_layers, N,
    H)`` (the last state of each layer and direction; for a packed input, of each
    sequence at its own length).

    Backward (through time): with :math:`\bar h_t = \partial L/\partial h_t` (from the
    output and from step :math:`t+1`), :math:`\delta_t = \bar h_t \odot \phi'`,
    :math:`\partial L/\partial h_{t-1} = \delta_t W_{hh}`; then
    :math:`\partial L/\partial W_{ih} = \sum_t \delta_t^T x_t`,
    :math:`\partial L/\partial W_{hh} = \sum_t \delta_t^T h_{t-1}`,
    :math:`\partial L/\partial b = \sum_t \delta_t`,
    :math:`\partial L/\partial x_t = \delta_t W_{ih}`.
""" + _LAYER_ARGS + r"""
    nonlinearity : {'tanh', 'relu'}, default 'tanh'""" + _LAYER_FLAGS + r"""

    Attributes
    ----------
    weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} : Parameter
        ``(H, input_size)`` (layer 0) or ``(H, D H)``, ``(H, H)``, ``(H,)``, ``(H,)``;
        ``..._reverse`` for the backward direction; all from
        :math:`U(-1/\sqrt H, 1/\sqrt H)`.
""" + _LAYER_RAISES + r"""

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> rnn = nn.RNN(3, 4, num_layers=2, batch_first=True)
    >>> rnn
    RNN(3, 4, num_layers=2, batch_first=True)
    >>> output, h_n = rnn(lucid.random.randn(5, 7, 3))     # 5 sequences of 7 steps
    >>> output.shape, h_n.shape
    ((5, 7, 4), (2, 5, 4))
    >>> bool((output[:, -1].data == h_n[-1].data).all())   # last step = last layer's state
    True
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False):
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
        super().__init__(_NONLINEARITIES[nonlinearity], input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    __doc__ = r"""A long short-term memory network (Hochreiter and Schmidhuber, 1997), in
    PyTorch's form: gates i, f, g, o, and an optional projection of the hidden state.

    .. math::

        \begin{aligned}
        i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) &
        f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
        g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) &
        o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t &
        h_t &= o_t \odot \tanh(c_t)
        \end{aligned}

    With ``proj_size`` :math:`= P > 0`, :math:`h_t \leftarrow W_{hr} h_t` (``(P, H)``),
    and :math:`h_t` has :math:`P` features. The rows of ``weight_ih_l{k}`` are
    :math:`[W_{ii}; W_{if}; W_{ig}; W_{io}]`, of ``weight_hh_l{k}``
    :math:`[W_{hi}; W_{hf}; W_{hg}; W_{ho}]`.

    Shapes (``D`` = 2 if bidirectional else 1, ``P`` = ``proj_size`` or ``H``): input
    ``(L, N, input_size)``, ``(N, L, input_size)`` with ``batch_first``,
    ``(L, input_size)`` unbatched, or a :class:`~lucid.nn.utils.rnn.PackedSequence`;
    ``hx = (h_0, c_0)``, ``(D num_layers, N, P)`` and ``(D num_layers, N, H)`` (zeros
    when omitted). Returns ``(output, (h_n, c_n))``: ``output`` ``(L, N, D P)`` in the
    input's layout; ``h_n``, ``c_n`` the final states, shaped as ``h_0``, ``c_0``.

    Backward (through time), with :math:`\bar h_t, \bar c_t` the gradients of
    :math:`h_t, c_t` (from the output and from step :math:`t + 1`):
    :math:`\bar o = \bar h_t \tanh c_t`, :math:`\bar c_t \mathrel{+}= \bar h_t\, o_t (1 -
    \tanh^2 c_t)`, :math:`\bar i = \bar c_t g_t`, :math:`\bar f = \bar c_t c_{t-1}`,
    :math:`\bar g = \bar c_t i_t`; through the activations
    (:math:`\sigma' = \sigma(1 - \sigma)`, :math:`\tanh' = 1 - \tanh^2`) they give the
    pre-activation gradients :math:`\delta_t`; then
    :math:`\partial L/\partial c_{t-1} = \bar c_t f_t`,
    :math:`\partial L/\partial h_{t-1} = \delta_t W_{hh}`, and the parameter gradients
    are sums over the steps (:math:`\sum_t \delta_t^T x_t`, :math:`\sum_t \delta_t^T
    h_{t-1}`, :math:`\sum_t \delta_t`).
""" + _LAYER_ARGS + _LAYER_FLAGS + r"""
    proj_size : int, default 0
        When positive (and below ``hidden_size``), project each :math:`h_t` to
        ``proj_size`` features with ``weight_hr_l{k}``.

    Attributes
    ----------
    weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} : Parameter
        ``(4 H, input_size)`` (layer 0) or ``(4 H, D P)``, ``(4 H, P)``, ``(4 H,)``,
        ``(4 H,)``; ``weight_hr_l{k}`` ``(P, H)`` with a projection; ``..._reverse``
        for the backward direction; all from :math:`U(-1/\sqrt H, 1/\sqrt H)`.
""" + _LAYER_RAISES + r"""

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> lstm = nn.LSTM(10, 20, num_layers=2)
    >>> x = lucid.random.randn(5, 3, 10)                      # (L, N, input_size)
    >>> output, (h_n, c_n) = lstm(x)
    >>> output.shape, h_n.shape, c_n.shape
    ((5, 3, 20), (2, 3, 20), (2, 3, 20))
    >>> output.sum().backward()
    >>> lstm.weight_hh_l1.grad.shape
    (80, 20)
    >>> nn.LSTM(10, 20, proj_size=5, bidirectional=True)(x)[0].shape
    (5, 3, 10)
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size)


class GRU(RNNBase):
    __doc__ = r"""A gated recurrent unit network (Cho et al., 2014), in PyTorch's form:
    gates r, z, n, the reset gate applied to :math:`W_{hn} h_{t-1} + b_{hn}`.

    .. math::

        \begin{aligned}
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh\big(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
        \end{aligned}

    The rows of ``weight_ih_l{k}`` are :math:`[W_{ir}; W_{iz}; W_{in}]`, of
    ``weight_hh_l{k}`` :math:`[W_{hr}; W_{hz}; W_{hn}]`.

    Shapes (``D`` = 2 if bidirectional else 1): input ``(L, N, input_size)``,
    ``(N, L, input_size)`` with ``batch_first``, ``(L, input_size)`` unbatched, or a
    :class:`~lucid.nn.utils.rnn.PackedSequence`; ``hx`` ``(D num_layers, N, H)``
    (zeros when omitted). Returns ``(output, h_n)``: ``output`` ``(L, N, D H)`` in the
    input's layout, ``h_n`` ``(D num_layers, N, H)``.

    Backward (through time), with :math:`\bar h_t` the gradient of :math:`h_t` and
    :math:`a_n = W_{hn} h_{t-1} + b_{hn}`: :math:`\bar n = \bar h_t (1 - z_t)(1 -
    n_t^2)`, :math:`\bar z = \bar h_t (h_{t-1} - n_t)\, z_t (1 - z_t)`,
    :math:`\bar r = \bar n\, a_n\, r_t (1 - r_t)`; the input weights get
    :math:`[\bar r, \bar z, \bar n]` and the hidden weights
    :math:`[\bar r, \bar z, r_t \odot \bar n]` (the reset gate scales the hidden part of
    :math:`n`), and :math:`\partial L/\partial h_{t-1} = \bar h_t z_t + [\bar r, \bar z,
    r_t \odot \bar n]\, W_{hh}`.
""" + _LAYER_ARGS + _LAYER_FLAGS + r"""

    Attributes
    ----------
    weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} : Parameter
        ``(3 H, input_size)`` (layer 0) or ``(3 H, D H)``, ``(3 H, H)``, ``(3 H,)``,
        ``(3 H,)``; ``..._reverse`` for the backward direction; all from
        :math:`U(-1/\sqrt H, 1/\sqrt H)`.
""" + _LAYER_RAISES + r"""

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> gru = nn.GRU(4, 6, bidirectional=True)
    >>> output, h_n = gru(lucid.random.randn(7, 2, 4))
    >>> output.shape, h_n.shape
    ((7, 2, 12), (2, 2, 6))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional)


# ------------------------------------------------------------------------------ cells
class RNNCellBase(Module):
    r"""The machinery shared by :class:`RNNCell`, :class:`LSTMCell` and :class:`GRUCell`:
    one time step, :math:`h' = \mathrm{cell}(x, h)`, with ``weight_ih``
    ``(G H, input_size)``, ``weight_hh`` ``(G H, H)``, ``bias_ih``, ``bias_hh``
    ``(G H,)`` (``G`` = ``num_chunks``: 1, 4 or 3).

    .. math:: h' = \mathrm{cell}(x, h) \quad \text{(see each cell)}

    Shapes: input ``(N, input_size)`` or ``(input_size,)``; states ``(N, H)`` or
    ``(H,)``. Backward: one step of backpropagation through time (the same node as the
    layers, :class:`lucid.ops.rnn.Recurrence`, over one step).

    Parameters
    ----------
    input_size, hidden_size : int
    bias : bool
    num_chunks : int
        Gate blocks: 1 (RNN), 4 (LSTM), 3 (GRU).

    Raises
    ------
    TypeError, ValueError
        Non-int or non-positive sizes, a non-bool ``bias``.

    Examples
    --------
    >>> from lucid import nn
    >>> nn.RNNCellBase(3, 4, bias=True, num_chunks=4).weight_ih.shape
    (16, 3)
    """

    def __init__(self, input_size, hidden_size, bias, num_chunks):
        super().__init__()
        name = type(self).__name__
        self.input_size = _positive(input_size, name, "input_size")
        self.hidden_size = _positive(hidden_size, name, "hidden_size")
        self.bias = flag_arg(bias, name, "bias")
        gates = _positive(num_chunks, name, "num_chunks") * self.hidden_size
        self.weight_ih = Parameter(np.empty((gates, self.input_size), np.float32))
        self.weight_hh = Parameter(np.empty((gates, self.hidden_size), np.float32))
        if self.bias:
            self.bias_ih = Parameter(np.empty(gates, np.float32))
            self.bias_hh = Parameter(np.empty(gates, np.float32))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: every parameter from :math:`U(-1/\\sqrt{H}, 1/\\sqrt{H})`."""
        _reset(self, self.hidden_size)

    def _step(self, mode, input, hx):  # noqa: A002
        """Check the input and states, run one step; ``(h', c')`` (``c'`` None but LSTM)."""
        name = type(self).__name__
        dtype = self.weight_ih.dtype
        x = _dtype_of(name, "input", input, dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (N, {self.input_size}) or "
                             f"({self.input_size},); got {x.shape}")
        batched = x.ndim == 2
        n = x.shape[0] if batched else 1
        shape = (n, self.hidden_size) if batched else (self.hidden_size,)
        lstm = mode == "LSTM"
        if hx is None:
            h = np.zeros((n, self.hidden_size), dtype=dtype)
            c = np.zeros_like(h) if lstm else None
        else:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h, c) of Tensors; got "
                                    f"{type(hx).__name__}")
                h, c = (_state(name, arg, s, shape, dtype) for arg, s in zip(("h", "c"), hx))
            else:
                h, c = _state(name, "hx", hx, shape, dtype), None
            if not batched:
                h = reshape(h, (1, self.hidden_size))
                c = reshape(c, (1, self.hidden_size)) if lstm else None
        if not batched:
            x = reshape(x, (1, self.input_size))
        weights = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, None)
        _, h, c = recurrence(mode, x, h, c, weights, np.array([n], dtype=np.int64))
        if not batched:
            h = reshape(h, (self.hidden_size,))
            c = reshape(c, (self.hidden_size,)) if lstm else None
        return h, c

    def extra_repr(self):
        return _sizes_and_settings(self, bias=True, nonlinearity="tanh")


_CELL_ARGS = r"""
    Parameters
    ----------
    input_size : int
        Features of :math:`x`.
    hidden_size : int
        Features of :math:`h` (:math:`H`).
    bias : bool, default True
        Learn ``bias_ih`` and ``bias_hh``."""


class RNNCell(RNNCellBase):
    __doc__ = r"""One step of an Elman network: :math:`h' = \phi(W_{ih} x + b_{ih} + W_{hh} h
    + b_{hh})`, :math:`\phi` = tanh or ReLU.

    .. math:: h' = \phi\big(W_{ih}\, x + b_{ih} + W_{hh}\, h + b_{hh}\big)

    Shapes: input ``(N, input_size)`` or ``(input_size,)``; ``hx`` ``(N, H)`` or
    ``(H,)`` (zeros when omitted); returns :math:`h'` shaped as ``hx``.

    Backward: :math:`\delta = \bar h' \odot \phi'`; :math:`\partial L/\partial x =
    \delta W_{ih}`, :math:`\partial L/\partial h = \delta W_{hh}`,
    :math:`\partial L/\partial W_{ih} = \delta^T x`, :math:`\partial L/\partial W_{hh}
    = \delta^T h`, :math:`\partial L/\partial b = \sum \delta`.
""" + _CELL_ARGS + r"""
    nonlinearity : {'tanh', 'relu'}, default 'tanh'

    Attributes
    ----------
    weight_ih, weight_hh, bias_ih, bias_hh : Parameter
        ``(H, input_size)``, ``(H, H)``, ``(H,)``, ``(H,)``, from
        :math:`U(-1/\sqrt H, 1/\sqrt H)`.

    Raises
    ------
    TypeError, ValueError
        Bad sizes or flags; (forward) an input or state of the wrong type, shape or
        dtype.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> cell = nn.RNNCell(3, 4, nonlinearity="relu")
    >>> cell
    RNNCell(3, 4, nonlinearity=relu)
    >>> h = None
    >>> for x_t in lucid.random.randn(6, 2, 3):     # 6 steps of a batch of 2
    ...     h = cell(x_t, h)
    >>> h.shape
    (2, 4)
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh"):
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu'; got "
                             f"{nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, num_chunks=1)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):  # noqa: A002
        """One step: return :math:`h'`."""
        return self._step(_NONLINEARITIES[self.nonlinearity], input, hx)[0]


class LSTMCell(RNNCellBase):
    __doc__ = r"""One step of an LSTM: gates i, f, g, o, then the new cell and hidden state.

    .. math::

        \begin{aligned}
        i &= \sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi}) &
        f &= \sigma(W_{if} x + b_{if} + W_{hf} h + b_{hf}) \\
        g &= \tanh(W_{ig} x + b_{ig} + W_{hg} h + b_{hg}) &
        o &= \sigma(W_{io} x + b_{io} + W_{ho} h + b_{ho}) \\
        c' &= f \odot c + i \odot g & h' &= o \odot \tanh(c')
        \end{aligned}

    Shapes: input ``(N, input_size)`` or ``(input_size,)``; ``hx = (h, c)``, each
    ``(N, H)`` or ``(H,)`` (zeros when omitted); returns ``(h', c')``.

    Backward: as one step of :class:`LSTM`: :math:`\bar o = \bar h' \tanh c'`,
    :math:`\bar c = \bar c' + \bar h' o (1 - \tanh^2 c')`, :math:`\bar i = \bar c g`,
    :math:`\bar f = \bar c\, c`, :math:`\bar g = \bar c\, i`, through the activations to
    :math:`\delta`; :math:`\partial L/\partial c = \bar c f`,
    :math:`\partial L/\partial h = \delta W_{hh}`, :math:`\partial L/\partial x =
    \delta W_{ih}`.
""" + _CELL_ARGS + r"""

    Attributes
    ----------
    weight_ih, weight_hh, bias_ih, bias_hh : Parameter
        ``(4 H, input_size)``, ``(4 H, H)``, ``(4 H,)``, ``(4 H,)``, rows in the gate
        order i, f, g, o, from :math:`U(-1/\sqrt H, 1/\sqrt H)`.

    Raises
    ------
    TypeError, ValueError
        Bad sizes or flags; (forward) an input or state of the wrong type, shape or
        dtype; ``hx`` not a pair.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> cell = nn.LSTMCell(3, 4)
    >>> h, c = cell(lucid.random.randn(2, 3))
    >>> h, c = cell(lucid.random.randn(2, 3), (h, c))
    >>> h.shape, c.shape
    ((2, 4), (2, 4))
    """

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__(input_size, hidden_size, bias, num_chunks=4)

    def forward(self, input, hx=None):  # noqa: A002
        """One step: return ``(h', c')``."""
        return self._step("LSTM", input, hx)


class GRUCell(RNNCellBase):
    __doc__ = r"""One step of a GRU: gates r, z, n, the reset gate applied to
    :math:`W_{hn} h + b_{hn}`.

    .. math::

        \begin{aligned}
        r &= \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}) \\
        z &= \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\
        n &= \tanh\big(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})\big) \\
        h' &= (1 - z) \odot n + z \odot h
        \end{aligned}

    Shapes: input ``(N, input_size)`` or ``(input_size,)``; ``hx`` ``(N, H)`` or
    ``(H,)`` (zeros when omitted); returns :math:`h'` shaped as ``hx``.

    Backward: as one step of :class:`GRU`: :math:`\bar n = \bar h' (1 - z)(1 - n^2)`,
    :math:`\bar z = \bar h' (h - n) z (1 - z)`, :math:`\bar r = \bar n (W_{hn} h +
    b_{hn}) r (1 - r)`; :math:`\partial L/\partial h = \bar h' z + [\bar r, \bar z, r
    \odot \bar n] W_{hh}`, :math:`\partial L/\partial x = [\bar r, \bar z, \bar n]
    W_{ih}`.
""" + _CELL_ARGS + r"""

    Attributes
    ----------
    weight_ih, weight_hh, bias_ih, bias_hh : Parameter
        ``(3 H, input_size)``, ``(3 H, H)``, ``(3 H,)``, ``(3 H,)``, rows in the gate
        order r, z, n, from :math:`U(-1/\sqrt H, 1/\sqrt H)`.

    Raises
    ------
    TypeError, ValueError
        Bad sizes or flags; (forward) an input or state of the wrong type, shape or
        dtype.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> cell = nn.GRUCell(3, 4, bias=False)
    >>> cell
    GRUCell(3, 4, bias=False)
    >>> cell(lucid.random.randn(3)).shape                  # one unbatched step
    (4,)
    """

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__(input_size, hidden_size, bias, num_chunks=3)

    def forward(self, input, hx=None):  # noqa: A002
        """One step: return :math:`h'`."""
        return self._step("GRU", input, hx)[0]
