r"""The LSTM's and the GRU's time loops, reference twin: a whole sequence forwards and
backwards.

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

A GRU layer's loop (:func:`gru_forward`, :func:`gru_backward`) is the same kind of
call; its cell is written in those functions' docstrings.

The whole loop is one kernel call, not one per step: a step is a small product
``(b, H) @ (H, 4H)`` and a few passes over ``(b, 4H)`` values, and the compiled twin
(``_rnn.pyx``) runs all of it on its threads in a few microseconds a step, where one
Python call per step would cost as much as the arithmetic.
"""
import numpy as np

from lucid._ext import _checks

__all__ = ["lstm_forward", "lstm_backward", "gru_forward", "gru_backward"]


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


# [kernel: gru_forward]
def _gru_cell_forward(gi, gh, h):
    r"""One GRU step: ``gi`` and ``gh`` ``(b, 3H)`` the input's and the state's
    pre-activations (blocks ``r, z, n``), ``h`` ``(b, H)`` :math:`h_{t-1}`. Returns
    what the backward needs, ``[r, z, n, g_n]`` ``(b, 4H)``, and :math:`h_t`."""
    H = h.shape[1]
    r = _sigmoid(gi[:, :H] + gh[:, :H])                      # reset gate
    z = _sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])            # update gate
    g_n = gh[:, 2 * H:]                                      # W_hn h_{t-1} + b_hn
    n = np.tanh(gi[:, 2 * H:] + r * g_n)                     # candidate state
    return np.concatenate([r, z, n, g_n], axis=1), n + z * (h - n)


def gru_forward(gi, h0, w_hh, b_hh, batch_sizes, reverse):
    r"""A GRU layer's time loop over a packed sequence, forwards.

    For each step :math:`t` (rows of the step, ``b`` of them), with
    :math:`g = h_{t-1} W_{hh}^\top + b_{hh}` (blocks :math:`g_r, g_z, g_n`):

    .. math::

        r = \sigma(gi_r + g_r), \quad z = \sigma(gi_z + g_z), \quad
        n = \tanh(gi_n + r \odot g_n), \quad h_t = (1 - z) \odot n + z \odot h_{t-1}

    (PyTorch's GRU: the reset gate multiplies the state's part of the candidate,
    bias included.)

    Parameters
    ----------
    gi : ndarray, float32 or float64, shape (rows, 3H), C-contiguous
        :math:`W_{ih} x_t + b_{ih}` of every row (blocks ``r, z, n``); not changed.
    h0 : ndarray of gi's dtype, shape (N, H), C-contiguous
        The initial state (not changed).
    w_hh : ndarray of gi's dtype, shape (3H, H), C-contiguous
        :math:`W_{hh}`.
    b_hh : ndarray of gi's dtype, shape (3H,), or None
        :math:`b_{hh}`.
    batch_sizes : ndarray, int64, shape (T,), C-contiguous
        Rows per step, as in :func:`lstm_forward`.
    reverse : bool
        Run the steps from the last to the first.

    Returns
    -------
    y : ndarray, shape (rows, H)
        :math:`h_t` of every row.
    h_prev : ndarray, shape (rows, H)
        :math:`h_{t-1}` of every row (for the weight gradient and the backward).
    saved : ndarray, shape (rows, 4H)
        ``[r, z, n, g_n]`` of every row (what the backward needs).
    h_n : ndarray, shape (N, H)
        The final state (a sequence that ended early keeps its last).

    Examples
    --------
    One step, one unit, every weight 0: :math:`r = z = \sigma(0) = 1/2`, so
    :math:`h_1 = (\tanh(gi_n) + h_0) / 2`.

    >>> import numpy as np
    >>> from lucid import _ext
    >>> gi = np.array([[0.0, 0.0, 1.0]])                 # gi_r, gi_z, gi_n
    >>> y, h_prev, saved, h_n = _ext.get("rnn").gru_forward(
    ...     gi, np.ones((1, 1)), np.zeros((3, 1)), None, np.array([1]), False)
    >>> saved.round(4)                                   # r, z, n, g_n
    array([[0.5   , 0.5   , 0.7616, 0.    ]])
    >>> h_n.round(4)                                     # (tanh(1) + 1) / 2
    array([[0.8808]])
    """
    _checks.gru_forward(gi, h0, w_hh, b_hh, batch_sizes, reverse)
    rows, H = gi.shape[0], h0.shape[1]
    h = h0.copy()                                     # the running state
    y = np.empty((rows, H), dtype=gi.dtype)
    h_prev = np.empty_like(y)
    saved = np.empty((rows, 4 * H), dtype=gi.dtype)
    for start, b in _steps(batch_sizes, reverse):
        r = slice(start, start + b)
        h_prev[r] = h[:b]
        gh = h[:b] @ w_hh.T                           # W_hh h_{t-1}
        if b_hh is not None:
            gh += b_hh
        saved[r], h[:b] = _gru_cell_forward(gi[r], gh, h[:b])
        y[r] = h[:b]
    return y, h_prev, saved, h
# [end kernel: gru_forward]


# [kernel: gru_backward]
def _gru_cell_backward(saved, h_prev, dh):
    r"""One GRU step backwards, from ``saved`` ``[r, z, n, g_n]`` ``(b, 4H)``,
    :math:`h_{t-1}` and :math:`\bar h = \partial L/\partial h_t` ``(b, H)``. Returns
    the pre-activation gradients for the input's side :math:`[\bar r, \bar z, \bar n]`
    and the state's side :math:`[\bar r, \bar z, \bar n \odot r]`, both ``(b, 3H)``,
    and the direct part of :math:`\partial L/\partial h_{t-1}`, :math:`\bar h z`."""
    H = dh.shape[1]
    r, z, n, g_n = saved[:, :H], saved[:, H:2 * H], saved[:, 2 * H:3 * H], saved[:, 3 * H:]
    dn = dh * (1 - z) * (1 - n * n)                   # tanh' = 1 - tanh^2
    dr = dn * g_n * (r * (1 - r))                     # sigma' = sigma (1 - sigma)
    dz = dh * (h_prev - n) * (z * (1 - z))
    d_in = np.concatenate([dr, dz, dn], axis=1)
    d_hh = np.concatenate([dr, dz, dn * r], axis=1)   # r multiplies the state's part of n
    return d_in, d_hh, dh * z


def gru_backward(saved, h_prev, w_hh, dy, dh_n, batch_sizes, reverse):
    r"""A GRU layer's time loop, backwards (backpropagation through time).

    The steps run in the opposite order of :func:`gru_forward`'s. For each, with
    :math:`\bar h` = ``dy`` of its rows plus what the step after it sent back:

    .. math::

        \bar n = \bar h (1 - z)(1 - n^2), \quad
        \bar r = \bar n\, g_n\, r (1 - r), \quad
        \bar z = \bar h (h_{t-1} - n)\, z (1 - z)

    :math:`\delta^{i}_t = [\bar r, \bar z, \bar n]`,
    :math:`\delta^{h}_t = [\bar r, \bar z, \bar n \odot r]`, and
    :math:`\partial L/\partial h_{t-1} = \bar h z + \delta^{h}_t W_{hh}`.

    Parameters
    ----------
    saved, h_prev : ndarray, float32 or float64, C-contiguous
        What :func:`gru_forward` returned: shapes (rows, 4H), (rows, H).
    w_hh : ndarray of saved's dtype, shape (3H, H), C-contiguous
        :math:`W_{hh}`.
    dy : ndarray of saved's dtype, shape (rows, H), C-contiguous
        :math:`\partial L/\partial y` of every row.
    dh_n : ndarray of saved's dtype, shape (N, H), C-contiguous
        :math:`\partial L/\partial h_n` (not changed).
    batch_sizes, reverse
        As given to :func:`gru_forward`.

    Returns
    -------
    d_in : ndarray, shape (rows, 3H)
        :math:`\delta^{i}_t` of every row: ``d_in.T @ x`` is
        :math:`\partial L/\partial W_{ih}`, ``d_in @ w_ih`` is
        :math:`\partial L/\partial x`, its column sums :math:`\partial L/\partial b_{ih}`.
    d_hh : ndarray, shape (rows, 3H)
        :math:`\delta^{h}_t` of every row: ``d_hh.T @ h_prev`` is
        :math:`\partial L/\partial W_{hh}`, its column sums
        :math:`\partial L/\partial b_{hh}`.
    dh0 : ndarray, shape (N, H)
        :math:`\partial L/\partial h_0`.

    Examples
    --------
    The step of :func:`gru_forward`'s example, with :math:`\partial L/\partial h_1 =
    1`: :math:`\partial L/\partial h_0 = z = 1/2` (every weight is 0), and
    :math:`\bar n = (1 - z)(1 - n^2)`.

    >>> import numpy as np
    >>> from lucid import _ext
    >>> rnn = _ext.get("rnn")
    >>> y, h_prev, saved, h_n = rnn.gru_forward(
    ...     np.array([[0.0, 0.0, 1.0]]), np.ones((1, 1)), np.zeros((3, 1)), None,
    ...     np.array([1]), False)
    >>> d_in, d_hh, dh0 = rnn.gru_backward(
    ...     saved, h_prev, np.zeros((3, 1)), np.ones((1, 1)), np.zeros((1, 1)),
    ...     np.array([1]), False)
    >>> dh0
    array([[0.5]])
    >>> bool(np.isclose(d_in[0, 2], 0.5 * (1 - np.tanh(1.0) ** 2)))
    True
    """
    _checks.gru_backward(saved, h_prev, w_hh, dy, dh_n, batch_sizes, reverse)
    rows, H = h_prev.shape
    dh = dh_n.copy()                                  # the running gradient
    d_in = np.empty((rows, 3 * H), dtype=saved.dtype)
    d_hh = np.empty_like(d_in)
    for start, b in reversed(_steps(batch_sizes, reverse)):
        r = slice(start, start + b)
        dh[:b] += dy[r]                               # from the output and from t + 1
        d_in[r], d_hh[r], direct = _gru_cell_backward(saved[r], h_prev[r], dh[:b])
        dh[:b] = direct + d_hh[r] @ w_hh              # dL/dh_{t-1}
    return d_in, d_hh, dh
# [end kernel: gru_backward]
