r"""Recurrent layers as one autograd Function per layer and direction: :class:`Recurrence`.

A recurrent layer applies the same cell at every time step,

.. math:: h_t = \mathrm{cell}(x_t, h_{t-1}) \qquad (t = 1, \dots, T)

with one of four cells (PyTorch's names, gate order and formulas):

``RNN_TANH`` / ``RNN_RELU``
    :math:`h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`, :math:`\phi` =
    tanh or ReLU.
``LSTM`` (gates i, f, g, o; optional projection :math:`W_{hr}`)
    .. math::

        i = \sigma(\cdot),\ f = \sigma(\cdot),\ g = \tanh(\cdot),\ o = \sigma(\cdot)
        \quad\text{of}\quad W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}

        c_t = f \odot c_{t-1} + i \odot g, \qquad
        h_t = o \odot \tanh(c_t) \quad (\text{then } h_t \leftarrow W_{hr} h_t)
``GRU`` (gates r, z, n)
    .. math::

        r = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}), \quad
        z = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})

        n = \tanh(W_{in} x_t + b_{in} + r \odot (W_{hn} h_{t-1} + b_{hn})), \quad
        h_t = (1 - z) \odot n + z \odot h_{t-1}

**Why one Function for the whole sequence.** Written with one graph node per gate
operation, a 35-step LSTM layer would record ~500 nodes, and the Python cost of the
nodes would dwarf the arithmetic. Here the forward runs the time loop on plain arrays
and the backward is *backpropagation through time* written out by hand:

1. the input projections of all steps are one matrix product,
   :math:`X W_{ih}^T` (``(rows, I) @ (I, G H)``), done before the loop;
2. the loop does, per step, one small product :math:`h_{t-1} W_{hh}^T` and the gate
   arithmetic on the whole batch, saving the gate activations (for a GRU and for an
   LSTM without projection, steps 2 and 3 are one kernel call each,
   ``lucid/_ext/rnn.py``);
3. the backward walks the steps in the opposite order, turning the gradient of
   :math:`h_t` (and :math:`c_t`) into the gradient of each step's gate
   pre-activations :math:`\delta_t` and of :math:`h_{t-1}` (and :math:`c_{t-1}`):
   :math:`\partial L/\partial h_{t-1} = \delta_t W_{hh}` (+ the direct path);
4. after the loop, the parameter and input gradients are again single products over
   all steps: :math:`\partial L/\partial W_{ih} = \Delta^T X`,
   :math:`\partial L/\partial W_{hh} = \Delta^T H_{\text{prev}}`,
   :math:`\partial L/\partial X = \Delta W_{ih}`, :math:`\partial L/\partial b =
   \sum_t \delta_t`.

**Packed layout.** The sequence is given as rows, time-major, the way a
:class:`~lucid.nn.utils.rnn.PackedSequence` stores it: step ``t`` owns the
``batch_sizes[t]`` rows that start at ``offsets[t] = sum(batch_sizes[:t])``, one per
sequence still running, longest sequences first. A padded batch ``(T, N, I)`` is the
case ``batch_sizes = [N] * T``. At step ``t`` only the first ``batch_sizes[t]``
states change; the others keep their value, which is exactly the final state of a
sequence that has ended (forward direction) or the initial state of one that has not
started yet (reverse direction). So one loop serves padded and packed input, both
directions.

These Functions take checked arguments; :mod:`lucid.nn.modules.rnn` checks user input.
"""
import numpy as np


from lucid import _ext
from lucid._ext._blas import one_thread
from lucid._ext.rnn import _cell_backward as lstm_cell_backward
from lucid._ext.rnn import _cell_forward as lstm_cell_forward
from lucid.autograd.function import Function
from lucid.ops._util import column_sums, product_plus_bias
from lucid.ops.shape import reshape

__all__ = []  # Functions only; the public layers are in lucid.nn.modules.rnn

#: Gate blocks per hidden unit of each cell (the rows of W_ih are ``GATES * H``).
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def one_blas_thread():
    """The context of the time loops written here (Elman, LSTM with a projection): one
    OpenBLAS thread.

    The loop is a chain of small products (``(N, P) @ (P, G H)``, a few million flops
    each) that a second OpenBLAS thread does not speed up: measured here, 70 products
    ``(20, 200) @ (200, 800)`` took 15 ms on one thread and 40-150 ms on two. The LSTM
    without a projection and the GRU run their loops in the ``rnn`` kernels instead
    (:func:`lucid._ext.rnn.lstm_forward`, :func:`lucid._ext.rnn.gru_forward`), whose
    compiled twin shares each step's product among lucid's OpenMP threads. The products
    over all steps at once, before and after the loop (hundreds of millions of flops
    each), run on the ``matmul`` kernel, on those threads too: with them on OpenBLAS's
    own threads, the OpenMP workers still spinning after the LSTM kernel's loop slowed
    them (the two layers' backward outside the loop, the three products and the bias
    sums, 13.1 ms against 8.3-8.9 ms on the ``matmul`` kernel).
    """
    return one_thread()


def step_rows(batch_sizes):
    """``[(t, slice of step t's rows, batch size)]`` of a packed sequence, in time order."""
    offsets = np.concatenate(([0], np.cumsum(batch_sizes)))
    return [(t, slice(int(offsets[t]), int(offsets[t + 1])), int(b))
            for t, b in enumerate(batch_sizes)]


class Recurrence(Function):
    r"""One recurrent layer, one direction, over a whole packed sequence.

    Inputs (arrays, one dtype): ``x`` ``(rows, I)``; ``h0`` ``(N, P)``; ``c0``
    ``(N, H)`` (LSTM) or None; ``w_ih`` ``(G H, I)``; ``w_hh`` ``(G H, P)``;
    ``b_ih``, ``b_hh`` ``(G H,)`` or None; ``w_hr`` ``(P, H)`` (LSTM with projection)
    or None. ``P = H`` without projection. Parameters: ``mode`` (a key of
    :data:`GATES`), ``batch_sizes`` (non-increasing ints summing to ``rows``,
    ``batch_sizes[0] = N``), ``reverse`` (run the steps from last to first).

    Output: one flat array, the concatenation of ``y.ravel()`` (``(rows, P)``, the
    hidden state of every step), ``h_n.ravel()`` (``(N, P)``) and, for an LSTM,
    ``c_n.ravel()`` (``(N, H)``). A Function has one output; the layer splits it
    (:func:`recurrence`).

    Backward: backpropagation through time, as in the module docstring; the step
    formulas are in :meth:`_lstm_back` and :meth:`_rnn_back`, and for the GRU and the
    LSTM without projection in the ``rnn`` kernels (``lucid/_ext/rnn.py``).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode="LSTM", batch_sizes=(),
                reverse=False):
        hidden = w_hh.shape[0] // GATES[mode]
        steps = step_rows(batch_sizes)
        if reverse:
            steps.reverse()
        # 1. the input projections of every step at once, plus the biases (GRU keeps
        # b_hh for the loop), summed first: one pass over xw, not two
        if b_hh is not None and mode != "GRU":
            bias = b_hh if b_ih is None else b_ih + b_hh
        else:
            bias = b_ih
        xw = product_plus_bias(x, w_ih.T, bias)
        ctx.mode, ctx.steps, ctx.hidden, ctx.n = mode, steps, hidden, len(h0)
        ctx.x, ctx.w_ih, ctx.w_hh, ctx.w_hr = x, w_ih, w_hh, w_hr
        if mode == "GRU" or (mode == "LSTM" and w_hr is None):
            # 2.-3. the whole time loop in one kernel call (lucid/_ext/rnn.py), on
            # C-ordered arrays (a weight may be any view a user assigned)
            ctx.batch_sizes = np.asarray(batch_sizes, dtype=np.int64)
            ctx.reverse = reverse
            ctx.w_hh = w_hh = np.ascontiguousarray(w_hh)
            h0 = np.ascontiguousarray(h0)
            rnn = _ext.get("rnn")
            if mode == "GRU":
                b_hh = None if b_hh is None else np.ascontiguousarray(b_hh)
                ctx.y, ctx.h_prev, ctx.saved, h_n = rnn.gru_forward(
                    xw, h0, w_hh, b_hh, ctx.batch_sizes, reverse)
                return np.concatenate([ctx.y.ravel(), h_n.ravel()])
            y, ctx.h_prev, ctx.c_prev, ctx.tanh_c, *final = rnn.lstm_forward(
                xw, h0, np.ascontiguousarray(c0), w_hh, ctx.batch_sizes, reverse)
            ctx.gates, ctx.y, ctx.h_full = xw, y, None
            return np.concatenate([y.ravel(), *(a.ravel() for a in final)])
        h = h0.copy()                              # the running state, (N, P)
        y = np.empty((x.shape[0], h0.shape[1]), dtype=x.dtype)
        h_prev = np.empty_like(y)                  # h_{t-1} of every step, for dW_hh
        ctx.h_prev, ctx.y = h_prev, y
        # W_hh^T as its own C-contiguous array, and one buffer for the step products:
        # np.matmul(h, W^T, out=buffer) runs ~2x faster than h @ w_hh.T here (no
        # transposed operand, no fresh output array per step)
        w_hh_t = np.ascontiguousarray(w_hh.T)
        hw = np.empty((len(h0), w_hh.shape[0]), dtype=x.dtype)
        with one_blas_thread():
            if mode == "LSTM":
                final = Recurrence._lstm(ctx, xw, h, c0.copy(), w_hh_t, hw, w_hr, y, h_prev)
            else:
                final = Recurrence._rnn(ctx, xw, h, w_hh_t, hw, mode, y, h_prev)
        return np.concatenate([y.ravel(), *(a.ravel() for a in final)])

    # ------------------------------------------------------------------ forward steps
    @staticmethod
    def _lstm(ctx, xw, h, c, w_hh_t, hw, w_hr, y, h_prev):
        r"""The LSTM loop with a projection (without one, the kernel
        :func:`lucid._ext.rnn.lstm_forward` runs the loop): the cell of each step is
        the kernel's reference cell, then :math:`h_t = W_{hr} (o \odot \tanh c_t)`.
        Saves per step the activated gates ``[i, f, g, o]``, :math:`\tanh c_t`, the old
        cell :math:`c_{t-1}` and the unprojected :math:`o \odot \tanh(c_t)`."""
        gates = xw                                   # overwritten in place by the activations
        tanh_c = np.empty((len(xw), ctx.hidden), dtype=xw.dtype)
        c_prev, h_full = np.empty_like(tanh_c), np.empty_like(tanh_c)
        w_hr_t = np.ascontiguousarray(w_hr.T)
        for _, rows, b in ctx.steps:
            a = gates[rows]
            a += np.matmul(h[:b], w_hh_t, out=hw[:b])   # W_ih x_t + b + W_hh h_{t-1}
            h_prev[rows], c_prev[rows] = h[:b], c[:b]
            tanh_c[rows], o = lstm_cell_forward(a, c[:b])  # gates, c_t
            full = np.multiply(o, tanh_c[rows], out=h_full[rows])
            h[:b] = np.matmul(full, w_hr_t, out=y[rows])   # h_t = W_hr (o tanh(c_t))
        ctx.gates, ctx.tanh_c, ctx.c_prev, ctx.h_full = gates, tanh_c, c_prev, h_full
        return h, c

    @staticmethod
    def _rnn(ctx, xw, h, w_hh_t, hw, mode, y, h_prev):
        r"""The Elman loop: :math:`h_t = \phi(W_{ih} x_t + b + W_{hh} h_{t-1})`."""
        for _, rows, b in ctx.steps:
            a = xw[rows]
            a += np.matmul(h[:b], w_hh_t, out=hw[:b])
            if mode == "RNN_TANH":
                np.tanh(a, out=a)
            else:
                np.maximum(a, 0, out=a)
            h_prev[rows] = h[:b]
            h[:b] = a
            y[rows] = a
        return (h,)

    # ---------------------------------------------------------------------- backward
    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.x, ctx.y
        rows_total, p = y.shape
        n = ctx.n
        dy = grad[:y.size].reshape(y.shape)
        dh = grad[y.size:y.size + n * p].reshape(n, p).copy()   # dL/dh_T, then running
        lstm = ctx.mode == "LSTM"
        dc = grad[y.size + n * p:].reshape(n, ctx.hidden).copy() if lstm else None
        dh_out = None
        if lstm and ctx.w_hr is None:
            # the whole time loop in one kernel call (lucid/_ext/rnn.py)
            d_in, dh, dc = _ext.get("rnn").lstm_backward(
                ctx.gates, ctx.tanh_c, ctx.c_prev, ctx.w_hh, np.ascontiguousarray(dy), dh,
                dc, ctx.batch_sizes, ctx.reverse)
            d_hh = d_in
        elif ctx.mode == "GRU":
            d_in, d_hh, dh = _ext.get("rnn").gru_backward(
                ctx.saved, ctx.h_prev, ctx.w_hh, np.ascontiguousarray(dy), dh,
                ctx.batch_sizes, ctx.reverse)
        else:
            # one row of pre-activation gradients per step row: for W_ih / x (d_in) and
            # for W_hh / h_{t-1} (d_hh); the same array here (not in the GRU)
            d_in = np.empty((rows_total, ctx.w_ih.shape[0]), dtype=x.dtype)
            d_hh = d_in
            if ctx.w_hr is not None:
                dh_out = np.empty((rows_total, p), dtype=x.dtype)
            with one_blas_thread():
                for _, rows, b in reversed(ctx.steps):
                    g = dh[:b]
                    g += dy[rows]                    # dL/dh_t: from the output and from t+1
                    if lstm:
                        Recurrence._lstm_back(ctx, rows, b, dh, dc, d_in, dh_out)
                    else:
                        Recurrence._rnn_back(ctx, rows, b, dh, d_in)
        need = ctx.needs_input_grad
        matmul = _ext.get("matmul").matmul
        dx = matmul(d_in, ctx.w_ih) if need[0] else None
        dw_ih = matmul(d_in.T, x) if need[3] else None
        dw_hh = matmul(d_hh.T, ctx.h_prev) if need[4] else None
        dw_hr = matmul(dh_out.T, ctx.h_full) if dh_out is not None and need[7] else None
        db_ih = column_sums(d_in) if need[5] else None
        if need[6]:     # the same sum when d_hh is d_in (LSTM, Elman): a copy, not a pass
            same = d_hh is d_in and db_ih is not None
            db_hh = db_ih.copy() if same else column_sums(d_hh)
        else:
            db_hh = None
        return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh, dw_hr

    @staticmethod
    def _lstm_back(ctx, rows, b, dh, dc, d_in, dh_out):
        r"""One step of an LSTM with a projection backwards (without one, the kernel
        :func:`lucid._ext.rnn.lstm_backward` runs the loop): the projection's backward,
        :math:`\bar h \leftarrow \bar h W_{hr}`, then the kernel's reference cell
        (:math:`\delta_t` and :math:`\partial L/\partial c_{t-1}`), and
        :math:`\partial L/\partial h_{t-1} = \delta_t W_{hh}`."""
        dh_out[rows] = dh[:b]                        # dL/d(projected h_t), for dW_hr
        dh_t = dh[:b] @ ctx.w_hr
        d = d_in[rows]
        d[...] = lstm_cell_backward(ctx.gates[rows], ctx.tanh_c[rows], ctx.c_prev[rows],
                                    dh_t, dc[:b])
        np.matmul(d, ctx.w_hh, out=dh[:b])           # dL/dh_{t-1}

    @staticmethod
    def _rnn_back(ctx, rows, b, dh, d_in):
        r"""One Elman step backwards: :math:`\delta_t = \bar h \odot \phi'`, with
        :math:`\tanh' = 1 - h_t^2` and :math:`\mathrm{ReLU}' = [h_t > 0]`;
        :math:`\partial L/\partial h_{t-1} = \delta_t W_{hh}`."""
        h_t = ctx.y[rows]
        d = d_in[rows]
        if ctx.mode == "RNN_TANH":
            np.multiply(dh[:b], 1 - h_t * h_t, out=d)
        else:
            np.multiply(dh[:b], h_t > 0, out=d)
        dh[:b] = d @ ctx.w_hh

    @staticmethod
    def flops(ctx, out, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, **params):
        """The matrix products (``2 m k n`` each) plus ~10 operations per gate value."""
        rows, g = x.shape[0], w_ih.shape[0]
        count = 2 * rows * g * (w_ih.shape[1] + w_hh.shape[1]) + 10 * rows * g
        if w_hr is not None:
            count += 2 * rows * w_hr.size
        return int(count)


def recurrence(mode, x, h0, c0, weights, batch_sizes, reverse=False):
    """Run :class:`Recurrence` on Tensors (or arrays) and split its output.

    ``weights`` is ``(w_ih, w_hh, b_ih, b_hh, w_hr)`` (None where absent). Returns the
    Tensors ``(y, h_n, c_n)``: ``y`` ``(rows, P)``, ``h_n`` ``(N, P)``, ``c_n``
    ``(N, H)`` for an LSTM, else None. Each is a slice of the one output, so the
    gradients of all three reach the same backward.
    """
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    out = Recurrence.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode=mode,
                           batch_sizes=batch_sizes, reverse=reverse)
    rows, n, p = x.shape[0], h0.shape[0], h0.shape[1]
    hidden = w_hh.shape[0] // GATES[mode]
    sizes = [(rows, p), (n, p)] + ([(n, hidden)] if mode == "LSTM" else [])
    parts, start = [], 0
    for shape in sizes:
        stop = start + shape[0] * shape[1]
        parts.append(reshape(out[start:stop], shape))
        start = stop
    return parts[0], parts[1], parts[2] if mode == "LSTM" else None
