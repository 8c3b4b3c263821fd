r"""The LSTM's time loop, reference twin: a whole sequence forwards and backwards.

An LSTM layer (:class:`lucid.nn.LSTM`) runs one cell per time step. With the input
projections of all steps computed before the loop (one matrix product, in
``lucid/ops/rnn.py``), what is left for step :math:`t` is

.. math::

    a_t &= \underbrace{W_{ih} x_t + b_{ih} + b_{hh}}_{\text{given}} + W_{hh} h_{t-1}
          \qquad (4H \text{ values per row: the blocks } i, f, g, o) \\
    i &= \sigma(a_i),\ f = \sigma(a_f),\ g = \tanh(a_g),\ o = \sigma(a_o) \\
    c_t &= f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t)

and backwards, from :math:`\bar h = \partial L/\partial h_t` (the output's gradient plus
what step :math:`t+1` sent back) and :math:`\bar c = \partial L/\partial c_t`:

.. math::

    \bar c &\mathrel{+}= \bar h\, o\, (1 - \tanh^2 c_t) \\
    \delta_i &= \bar c\, g\; i(1-i), \quad \delta_f = \bar c\, c_{t-1}\; f(1-f), \quad
    \delta_g = \bar c\, i\; (1-g^2), \quad \delta_o = \bar h \tanh(c_t)\; o(1-o) \\
    \partial L/\partial c_{t-1} &= \bar c\, f, \qquad
    \partial L/\partial h_{t-1} = \delta_t W_{hh}

(:math:`\delta_t` is the gradient of the pre-activations :math:`a_t`; the weight
gradients are products over all steps at once, after the loop, in ``lucid/ops/rnn.py``.)

The steps are the rows of a packed sequence, time-major: step ``t`` owns
``batch_sizes[t]`` rows (the sequences still running, longest first), so a padded batch
``(T, N, ...)`` is ``batch_sizes = [N] * T``. A step updates the first
``batch_sizes[t]`` states; the others keep theirs. ``reverse`` runs the steps from the
last to the first (the backward direction of a bidirectional layer).

The whole loop is one kernel call, not one per step: a step is a small product
``(b, H) @ (H, 4H)`` and a few passes over ``(b, 4H)`` values, and the compiled twin
(``_rnn.pyx``) runs all of it on its threads in a few microseconds a step, where one
Python call per step would cost as much as the arithmetic.
"""
import numpy as np

from lucid._ext import _checks

__all__ = ["lstm_forward", "lstm_backward"]


def _steps(batch_sizes, reverse):
    """``[(first row, rows)]`` of each step, in the order the loop runs them."""
    starts = np.concatenate(([0], np.cumsum(batch_sizes)[:-1])).astype(int)
    steps = [(int(s), int(b)) for s, b in zip(starts, batch_sizes)]
    return steps[::-1] if reverse else steps


# [kernel: lstm_forward]
def _sigmoid(a):
    r""":math:`\sigma(a) = 1 / (1 + e^{-a})`, written as :math:`\tfrac12 \tanh(a/2) +
    \tfrac12` (the same function; it never overflows)."""
    return 0.5 * np.tanh(0.5 * a) + 0.5


def _cell_forward(a, c):
    """One step's cell: ``a`` ``(b, 4H)`` pre-activations, overwritten with the gates
    ``[i, f, g, o]``; ``c`` ``(b, H)`` :math:`c_{t-1}`, overwritten with :math:`c_t`.
    Returns ``(tanh(c_t), o)``."""
    H = c.shape[1]
    a[:, :2 * H] = _sigmoid(a[:, :2 * H])            # i, f
    a[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])  # g
    a[:, 3 * H:] = _sigmoid(a[:, 3 * H:])            # o
    i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    c *= f
    c += i * g                                      # c_t = f c_{t-1} + i g
    return np.tanh(c), o


def lstm_forward(gates, h0, c0, w_hh, batch_sizes, reverse):
    r"""An LSTM layer's time loop over a packed sequence, forwards.

    For each step :math:`t` (rows ``r`` of the step, ``b`` of them):
    :math:`a = \text{gates}[r] + h_{t-1} W_{hh}^\top`, the gates
    :math:`i, f, g, o` of :math:`a`, :math:`c_t = f c_{t-1} + i g`,
    :math:`h_t = o \tanh c_t` (module docstring).

    Parameters
    ----------
    gates : ndarray, float32 or float64, shape (rows, 4H), C-contiguous, writeable
        On entry :math:`W_{ih} x_t + b_{ih} + b_{hh}` of every row; on return the
        activated gates ``[i, f, g, o]`` of every row (what the backward needs).
    h0, c0 : ndarray of gates' dtype, shape (N, H), C-contiguous
        The initial hidden and cell states (not changed).
    w_hh : ndarray of gates' dtype, shape (4H, H), C-contiguous
        :math:`W_{hh}`.
    batch_sizes : ndarray, int64, shape (T,), C-contiguous
        Rows per step: none negative, none larger than the one before, the first
        ``N``, summing to ``rows``.
    reverse : bool
        Run the steps from the last to the first.

    Returns
    -------
    y : ndarray, shape (rows, H)
        :math:`h_t` of every row.
    h_prev, c_prev : ndarray, shape (rows, H)
        :math:`h_{t-1}` and :math:`c_{t-1}` of every row (for the weight gradient and
        the backward).
    tanh_c : ndarray, shape (rows, H)
        :math:`\tanh c_t` of every row.
    h_n, c_n : ndarray, shape (N, H)
        The final states (a sequence that ended early keeps its last).

    Examples
    --------
    One step of one sequence with one hidden unit, where every weight is 0: the gates
    are their pre-activations' sigmoids and tanh.

    >>> import numpy as np
    >>> from lucid import _ext
    >>> gates = np.array([[0.0, 0.0, 1.0, 0.0]])          # a_i, a_f, a_g, a_o
    >>> y, h_prev, c_prev, tanh_c, h_n, c_n = _ext.get("rnn").lstm_forward(
    ...     gates, np.zeros((1, 1)), np.ones((1, 1)), np.zeros((4, 1)),
    ...     np.array([1]), False)
    >>> gates.round(4)                                  # i, f, g, o
    array([[0.5   , 0.5   , 0.7616, 0.5   ]])
    >>> c_n.round(4)                                    # 0.5 * 1 + 0.5 * tanh(1)
    array([[0.8808]])
    >>> bool(np.allclose(y, 0.5 * np.tanh(c_n)))
    True
    """
    _checks.lstm_forward(gates, h0, c0, w_hh, batch_sizes, reverse)
    rows, H = gates.shape[0], h0.shape[1]
    h, c = h0.copy(), c0.copy()                       # the running states
    y = np.empty((rows, H), dtype=gates.dtype)
    h_prev, c_prev, tanh_c = np.empty_like(y), np.empty_like(y), np.empty_like(y)
    for start, b in _steps(batch_sizes, reverse):
        r = slice(start, start + b)
        h_prev[r], c_prev[r] = h[:b], c[:b]
        a = gates[r]
        a += h[:b] @ w_hh.T                           # a_t
        tanh_c[r], o = _cell_forward(a, c[:b])         # gates, c_t
        h[:b] = y[r] = o * tanh_c[r]                  # h_t = o tanh(c_t)
    return y, h_prev, c_prev, tanh_c, h, c
# [end kernel: lstm_forward]


# [kernel: lstm_backward]
def _cell_backward(gates, tanh_c, c_prev, dh, dc):
    r"""One step backwards: from the step's gates ``(b, 4H)``, :math:`\tanh c_t` and
    :math:`c_{t-1}` ``(b, H)``, :math:`\bar h` ``dh`` and :math:`\bar c` ``dc``
    ``(b, H)``. Returns :math:`\delta_t` ``(b, 4H)``; ``dc`` is overwritten with
    :math:`\partial L/\partial c_{t-1} = \bar c f`."""
    H = dh.shape[1]
    i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    dc += dh * o * (1 - tanh_c * tanh_c)            # through h_t = o tanh(c_t)
    delta = np.empty_like(gates)
    delta[:, :H] = dc * g * (i * (1 - i))           # sigma' = sigma (1 - sigma)
    delta[:, H:2 * H] = dc * c_prev * (f * (1 - f))
    delta[:, 2 * H:3 * H] = dc * i * (1 - g * g)    # tanh' = 1 - tanh^2
    delta[:, 3 * H:] = dh * tanh_c * (o * (1 - o))
    dc *= f
    return delta


def lstm_backward(gates, tanh_c, c_prev, w_hh, dy, dh_n, dc_n, batch_sizes, reverse):
    r"""An LSTM layer's time loop, backwards (backpropagation through time).

    The steps run in the opposite order of :func:`lstm_forward`'s. For each, with
    :math:`\bar h` = ``dy`` of its rows plus what the step after it sent back and
    :math:`\bar c` likewise: :math:`\delta_t` and
    :math:`\partial L/\partial c_{t-1}` (module docstring), then
    :math:`\partial L/\partial h_{t-1} = \delta_t W_{hh}`.

    Parameters
    ----------
    gates, tanh_c, c_prev : ndarray, float32 or float64, C-contiguous
        What :func:`lstm_forward` returned: shapes (rows, 4H), (rows, H), (rows, H).
    w_hh : ndarray of gates' dtype, shape (4H, H), C-contiguous
        :math:`W_{hh}`.
    dy : ndarray of gates' dtype, shape (rows, H), C-contiguous
        :math:`\partial L/\partial y` of every row.
    dh_n, dc_n : ndarray of gates' dtype, shape (N, H), C-contiguous
        :math:`\partial L/\partial h_n` and :math:`\partial L/\partial c_n` (not
        changed).
    batch_sizes, reverse
        As given to :func:`lstm_forward`.

    Returns
    -------
    delta : ndarray, shape (rows, 4H)
        :math:`\partial L/\partial a_t` of every row: ``delta.T @ x`` is
        :math:`\partial L/\partial W_{ih}`, ``delta.T @ h_prev`` is
        :math:`\partial L/\partial W_{hh}`, ``delta @ w_ih`` is
        :math:`\partial L/\partial x`.
    dh0, dc0 : ndarray, shape (N, H)
        :math:`\partial L/\partial h_0` and :math:`\partial L/\partial c_0`.

    Examples
    --------
    The step of :func:`lstm_forward`'s example, with :math:`\partial L/\partial h_t =
    1`: :math:`\delta_o = \tanh(c_t)\, o (1 - o)`.

    >>> import numpy as np
    >>> from lucid import _ext
    >>> rnn = _ext.get("rnn")
    >>> gates = np.array([[0.0, 0.0, 1.0, 0.0]])
    >>> y, h_prev, c_prev, tanh_c, h_n, c_n = rnn.lstm_forward(
    ...     gates, np.zeros((1, 1)), np.ones((1, 1)), np.zeros((4, 1)),
    ...     np.array([1]), False)
    >>> delta, dh0, dc0 = rnn.lstm_backward(
    ...     gates, tanh_c, c_prev, np.zeros((4, 1)), np.ones((1, 1)),
    ...     np.zeros((1, 1)), np.zeros((1, 1)), np.array([1]), False)
    >>> bool(np.isclose(delta[0, 3], np.tanh(c_n[0, 0]) * 0.25))
    True
    >>> dc0.round(4)                                    # dL/dc_{t-1} = dL/dc_t f
    array([[0.1251]])
    """
    _checks.lstm_backward(gates, tanh_c, c_prev, w_hh, dy, dh_n, dc_n, batch_sizes,
                          reverse)
    dh, dc = dh_n.copy(), dc_n.copy()                 # the running gradients
    delta = np.empty_like(gates)
    for start, b in reversed(_steps(batch_sizes, reverse)):
        r = slice(start, start + b)
        dh[:b] += dy[r]                               # from the output and from t + 1
        delta[r] = _cell_backward(gates[r], tanh_c[r], c_prev[r], dh[:b], dc[:b])
        dh[:b] = delta[r] @ w_hh                      # dL/dh_{t-1}
    return delta, dh, dc
# [end kernel: lstm_backward]
