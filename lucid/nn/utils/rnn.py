r"""Batches of sequences of different lengths: padding and packing (``lucid.nn.utils.rnn``).

Sequences of lengths :math:`L_1, \dots, L_B` go into a recurrent layer in one of two
forms:

* **padded**: one tensor ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``),
  :math:`T = \max_b L_b`, each sequence followed by ``padding_value`` up to length
  :math:`T` (:func:`pad_sequence`);
* **packed**: a :class:`PackedSequence`, the sequences sorted longest first and stored
  time step after time step without any padding: step :math:`t` holds the elements
  :math:`x_{b, t}` of the ``batch_sizes[t]`` sequences longer than :math:`t`
  (:func:`pack_padded_sequence`, :func:`pack_sequence`). A recurrent layer given a
  packed sequence runs each sequence for exactly its own length, so padding never
  enters its final states.

Every function here only moves elements (a gather of rows), so each is differentiable:
its backward sends each gradient row back to the element it was read from (the
scatter-add of :func:`lucid.getitem`); padding gets no gradient.
"""
from collections import namedtuple

import numpy as np

from lucid._checks import check_bool, check_int, check_number, is_int
from lucid._tensor import Tensor
from lucid.ops.shape import concatenate

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence"]


def _int_vector(value, fname, arg):
    """A 1-d sequence of ints (list, tuple, int ndarray or int Tensor) as an int64 array."""
    data = value.data if isinstance(value, Tensor) else value
    if isinstance(data, (list, tuple)) and all(is_int(v) for v in data):
        data = np.array(data, dtype=np.int64).reshape(len(data))
    if not isinstance(data, np.ndarray) or data.dtype.kind not in "iu":
        raise TypeError(f"{fname}: {arg} must be a 1-d sequence of ints (a list, or an "
                        f"integer array or Tensor); got {value!r}")
    if data.ndim != 1:
        raise ValueError(f"{fname}: {arg} must be 1-d; got shape {data.shape}")
    return data.astype(np.int64)


def _permutation(value, n, fname, arg):
    """None, or ``value`` as an int64 array holding a permutation of ``0 .. n-1``."""
    if value is None:
        return None
    order = _int_vector(value, fname, arg)
    if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError(f"{fname}: {arg} must be a permutation of 0..{n - 1} (one entry "
                         f"per sequence); got {order.tolist()}")
    return order


def _offsets(batch_sizes):
    """``offsets[t]``: the first row of step ``t`` in the packed data."""
    return np.concatenate(([0], np.cumsum(batch_sizes)[:-1])).astype(np.int64)


def _index_tensor(array):
    return Tensor._wrap(np.ascontiguousarray(array, dtype=np.int64))


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    r"""A batch of sequences stored step by step, without padding.

    The sequences are ordered longest first (sequence ``j`` of that order is sequence
    ``sorted_indices[j]`` of the batch as given). Step :math:`t` holds one row per
    sequence still running: the rows
    ``data[offsets[t] : offsets[t] + batch_sizes[t]]``, with
    :math:`\text{offsets}[t] = \sum_{s < t} \text{batch\_sizes}[s]`, are
    :math:`x_{\text{sorted\_indices}[j],\, t}` for :math:`j < \text{batch\_sizes}[t]`.
    So ``batch_sizes`` is non-increasing, ``batch_sizes[0]`` is the number of
    sequences and ``sum(batch_sizes)`` the number of rows.

    Make one with :func:`pack_padded_sequence` or :func:`pack_sequence` rather than by
    hand; give it to :class:`~lucid.nn.RNN`, :class:`~lucid.nn.LSTM` or
    :class:`~lucid.nn.GRU` and read their packed output back with
    :func:`pad_packed_sequence`. It is a named tuple: ``data, batch_sizes,
    sorted_indices, unsorted_indices = packed`` works.

    Backward: a PackedSequence holds a Tensor; gradients flow through ``data`` like
    through any Tensor.

    Parameters
    ----------
    data : Tensor
        ``(sum(batch_sizes), *)``.
    batch_sizes : sequence of int or int Tensor
        Positive, non-increasing; stored as an int64 Tensor.
    sorted_indices : sequence of int or int Tensor, optional
        The order of the sequences in ``data`` (a permutation); None means the batch
        was already sorted.
    unsorted_indices : sequence of int or int Tensor, optional
        The inverse permutation (computed from ``sorted_indices`` when omitted).

    Attributes
    ----------
    data : Tensor
    batch_sizes : Tensor
        int64.
    sorted_indices, unsorted_indices : Tensor or None
        int64.

    Raises
    ------
    TypeError, ValueError
        ``data`` not a Tensor, ``batch_sizes`` not positive and non-increasing or not
        summing to ``len(data)``, indices that are not a permutation of the sequences.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn.utils.rnn import pack_sequence
    >>> packed = pack_sequence([lucid.Tensor([1.0, 2.0, 3.0]), lucid.Tensor([4.0, 5.0])])
    >>> print(packed.data)
    Tensor([1.0, 4.0, 2.0, 5.0, 3.0])
    >>> packed.batch_sizes.tolist()
    [2, 2, 1]
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        name = "PackedSequence"
        if not isinstance(data, Tensor):
            raise TypeError(f"{name}: data must be a Tensor; got {type(data).__name__}")
        if data.ndim == 0:
            raise ValueError(f"{name}: data must have at least one axis (the rows); got a "
                             "0-d Tensor")
        sizes = _int_vector(batch_sizes, name, "batch_sizes")
        if sizes.size == 0 or sizes.min() < 1 or np.any(np.diff(sizes) > 0):
            raise ValueError(f"{name}: batch_sizes must be positive and non-increasing; got "
                             f"{sizes.tolist()}")
        if int(sizes.sum()) != data.shape[0]:
            raise ValueError(f"{name}: batch_sizes must sum to the rows of data "
                             f"({data.shape[0]}); they sum to {int(sizes.sum())}")
        n = int(sizes[0])
        order = _permutation(sorted_indices, n, name, "sorted_indices")
        inverse = _permutation(unsorted_indices, n, name, "unsorted_indices")
        if order is not None and inverse is None:
            inverse = np.argsort(order)
        if (order is None) != (inverse is None) or (
                order is not None and not np.array_equal(order[inverse], np.arange(n))):
            raise ValueError(f"{name}: unsorted_indices must be the inverse permutation of "
                             "sorted_indices")
        return super().__new__(cls, data, _index_tensor(sizes),
                               None if order is None else _index_tensor(order),
                               None if inverse is None else _index_tensor(inverse))

    def __repr__(self):
        return (f"PackedSequence(data={self.data!r}, batch_sizes={self.batch_sizes.tolist()}, "
                f"sorted_indices={None if self.sorted_indices is None else self.sorted_indices.tolist()}, "
                f"unsorted_indices={None if self.unsorted_indices is None else self.unsorted_indices.tolist()})")


def sequence_order(packed):
    """Which sequence of the batch as given each place of a step holds: the int64 array
    ``sorted_indices`` of ``packed`` (``arange(N)`` when the batch came sorted)."""
    n = int(packed.batch_sizes.data[0])
    return np.arange(n) if packed.sorted_indices is None else packed.sorted_indices.data


def _sequences(sequences, fname):
    """A non-empty list of Tensors of at least one axis, one dtype, the same trailing shape."""
    if isinstance(sequences, Tensor):
        sequences = [sequences[i] for i in range(len(sequences))] if sequences.ndim else None
    if not isinstance(sequences, (list, tuple)) or not sequences or not all(
            isinstance(s, Tensor) for s in sequences):
        raise TypeError(f"{fname}: sequences must be a non-empty list of Tensors; got "
                        f"{type(sequences).__name__}")
    first = sequences[0]
    for i, s in enumerate(sequences):
        if s.ndim == 0 or s.shape[1:] != first.shape[1:] or s.dtype != first.dtype:
            raise ValueError(
                f"{fname}: every sequence must be a Tensor (L_i, *) with the trailing shape "
                f"and dtype of sequences[0] ({first.shape[1:]}, {first.dtype}); "
                f"sequences[{i}] has shape {s.shape} and dtype {s.dtype}")
    return list(sequences)


def _with_padding_row(rows, padding_value, fname):
    """``rows`` ``(n, *)`` with one more row filled with ``padding_value`` at the end."""
    value = check_number(padding_value, fname, "padding_value", finite=False)
    if rows.dtype.kind in "iub" and not (np.isfinite(value) and value == int(value)):
        raise ValueError(f"{fname}: padding_value {padding_value!r} does not fit the "
                         f"integer dtype {rows.dtype} of the sequences")
    pad = Tensor._wrap(np.full((1,) + rows.shape[1:], value, dtype=rows.dtype))
    return concatenate([rows, pad], axis=0)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    r"""Stack sequences of different lengths into one padded tensor.

    .. math::

        y_{t, b} = \begin{cases} x^{(b)}_t & t < L_b \\ \text{padding\_value} & t \ge L_b
        \end{cases} \qquad (0 \le t < T = \max_b L_b)

    (with ``padding_side='left'`` the padding comes first:
    :math:`y_{t, b} = x^{(b)}_{t - (T - L_b)}` for :math:`t \ge T - L_b`).

    Shapes: ``sequences[b]`` ``(L_b, *)``; the result ``(T, B, *)``, or ``(B, T, *)``
    with ``batch_first``. Integer sequences (token ids) are padded too.

    Backward: :math:`\partial L/\partial x^{(b)}_t = \partial L/\partial y_{t, b}`; the
    padding receives no gradient.

    Parameters
    ----------
    sequences : list of Tensor
        The sequences, each ``(L_b, *)``, one dtype, the same trailing shape.
    batch_first : bool, default False
    padding_value : float, default 0.0
    padding_side : {'right', 'left'}, default 'right'

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``sequences`` not a non-empty list of Tensors; a non-bool ``batch_first``.
    ValueError
        Sequences of different trailing shapes or dtypes, a 0-d sequence, a bad
        ``padding_side``, a ``padding_value`` that does not fit an integer dtype.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn.utils.rnn import pad_sequence
    >>> a, b = lucid.Tensor([1, 2, 3]), lucid.Tensor([4, 5])
    >>> print(pad_sequence([a, b], batch_first=True))
    Tensor([[1, 2, 3], [4, 5, 0]])
    >>> pad_sequence([a, b]).shape
    (3, 2)
    """
    fname = "pad_sequence"
    seqs = _sequences(sequences, fname)
    batch_first = check_bool(batch_first, fname, "batch_first")
    if padding_side not in ("right", "left"):
        raise ValueError(f"{fname}: padding_side must be 'right' or 'left'; got "
                         f"{padding_side!r}")
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    rows = _with_padding_row(concatenate(seqs, axis=0), padding_value, fname)
    pad_row = int(lengths.sum())
    t = np.arange(lengths.max())[None, :]                 # (1, T)
    lag = lengths.max() - lengths[:, None] if padding_side == "left" else 0
    pos = t - lag                                         # position in the sequence
    starts = _offsets(lengths)[:, None]
    index = np.where((pos >= 0) & (pos < lengths[:, None]), starts + pos, pad_row)  # (B, T)
    return rows[index if batch_first else index.T]


def _lengths(lengths, batch, steps, fname):
    """``lengths`` as an int64 array of ``batch`` entries in ``[1, steps]``."""
    lengths = _int_vector(lengths, fname, "lengths")
    if len(lengths) != batch:
        raise ValueError(f"{fname}: lengths must have one entry per sequence ({batch}); got "
                         f"{len(lengths)}")
    if lengths.size and (lengths.min() < 1 or lengths.max() > steps):
        raise ValueError(f"{fname}: every length must lie in [1, {steps}] (the padded "
                         f"input has {steps} steps); got {lengths.tolist()}")
    return lengths


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):  # noqa: A002
    r"""Pack a padded batch of sequences into a :class:`PackedSequence`.

    With the sequences sorted longest first (``sorted_indices``, a stable sort of
    ``lengths``, descending), step :math:`t` keeps the ``batch_sizes[t]`` =
    :math:`|\{b : L_b > t\}|` sequences still running:

    .. math:: \text{data}[\text{offsets}[t] + j] = x_{t,\ \text{sorted\_indices}[j]}
              \qquad (j < \text{batch\_sizes}[t])

    Shapes: ``input`` ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``); ``lengths``
    ``B`` ints in ``[1, T]``; ``data`` of the result ``(sum(lengths), *)``.

    Backward: each row of ``data`` sends its gradient to the element of ``input`` it
    came from; padded positions get zero.

    Parameters
    ----------
    input : Tensor
        The padded batch.
    lengths : list of int, or an int array / Tensor
        The length of each sequence.
    batch_first : bool, default False
    enforce_sorted : bool, default True
        Require ``lengths`` to be non-increasing (``sorted_indices`` is then None);
        with False, any order, sorted here.

    Returns
    -------
    PackedSequence

    Raises
    ------
    TypeError
        A non-Tensor ``input``, non-int ``lengths``, non-bool flags.
    ValueError
        ``input`` with fewer than two axes, a length outside ``[1, T]``, a count that is
        not the batch size, or unsorted lengths with ``enforce_sorted=True``.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn.utils.rnn import pack_padded_sequence
    >>> x = lucid.Tensor([[1.0, 4.0], [2.0, 5.0], [3.0, 0.0]])   # (T=3, B=2), b=1 padded
    >>> packed = pack_padded_sequence(x, [3, 2])
    >>> print(packed.data)
    Tensor([1.0, 4.0, 2.0, 5.0, 3.0])
    >>> packed.batch_sizes.tolist()
    [2, 2, 1]
    >>> pack_padded_sequence(x.T, [2, 3], batch_first=True,
    ...                      enforce_sorted=False).sorted_indices.tolist()
    [1, 0]
    """
    fname = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}: input must be a Tensor; got {type(input).__name__}")
    batch_first = check_bool(batch_first, fname, "batch_first")
    enforce_sorted = check_bool(enforce_sorted, fname, "enforce_sorted")
    if input.ndim < 2:
        raise ValueError(f"{fname}: input must be padded sequences (T, B, *) or, with "
                         f"batch_first, (B, T, *); got shape {input.shape}")
    batch, steps = (input.shape[0], input.shape[1]) if batch_first else input.shape[1::-1]
    lengths = _lengths(lengths, batch, steps, fname)
    if batch == 0:
        raise ValueError(f"{fname}: input holds no sequence (batch size 0)")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise ValueError(f"{fname}: lengths must be sorted in decreasing order when "
                             f"enforce_sorted is True; got {lengths.tolist()}. Pass "
                             "enforce_sorted=False to sort them here.")
        order = np.arange(batch)
    else:
        order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    batch_sizes = (sorted_lengths[None, :] > np.arange(sorted_lengths[0])[:, None]).sum(1)
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)        # the step of each row
    j = np.concatenate([np.arange(b) for b in batch_sizes])        # its place in the step
    b = order[j]                                                   # its sequence
    flat = b * steps + t if batch_first else t * batch + b        # its row in input
    rows = input.reshape((batch * steps,) + input.shape[2:])
    return PackedSequence(rows[flat], batch_sizes, None if enforce_sorted else order)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    r"""Unpack a :class:`PackedSequence` into a padded tensor and the lengths.

    The inverse of :func:`pack_padded_sequence`: the sequences come back in the order
    they were given (``unsorted_indices``), each followed by ``padding_value``:

    .. math:: y_{t, b} = x^{(b)}_t \ (t < L_b), \qquad y_{t, b} = \text{padding\_value}
              \ (L_b \le t < T)

    Shapes: ``sequence.data`` ``(sum L_b, *)``; the result ``(T, B, *)`` (``(B, T, *)``
    with ``batch_first``), :math:`T` = ``total_length`` or the longest length; the
    lengths an int64 Tensor ``(B,)``.

    Backward: each element of the padded result sends its gradient to the row of
    ``data`` it came from; padding sends none.

    Parameters
    ----------
    sequence : PackedSequence
    batch_first : bool, default False
    padding_value : float, default 0.0
    total_length : int, optional
        Pad to this many steps (at least the longest length), e.g. to get back the
        ``T`` of the padded input when the longest sequence is shorter.

    Returns
    -------
    (Tensor, Tensor)
        The padded sequences and their lengths.

    Raises
    ------
    TypeError
        ``sequence`` not a PackedSequence, a non-int ``total_length``.
    ValueError
        ``total_length`` shorter than the longest sequence.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn.utils.rnn import pack_sequence, pad_packed_sequence
    >>> packed = pack_sequence([lucid.Tensor([1.0]), lucid.Tensor([2.0, 3.0])],
    ...                        enforce_sorted=False)
    >>> padded, lengths = pad_packed_sequence(packed, batch_first=True, padding_value=-1.0)
    >>> print(padded)
    Tensor([[1.0, -1.0], [2.0, 3.0]])
    >>> lengths.tolist()
    [1, 2]
    """
    fname = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{fname}: sequence must be a PackedSequence; got "
                        f"{type(sequence).__name__}")
    batch_first = check_bool(batch_first, fname, "batch_first")
    batch_sizes = sequence.batch_sizes.data
    longest, batch = len(batch_sizes), int(batch_sizes[0])
    steps = longest
    if total_length is not None:
        steps = check_int(total_length, fname, "total_length")
        if steps < longest:
            raise ValueError(f"{fname}: total_length must be at least the longest sequence "
                             f"({longest}); got {steps}")
    order = sequence_order(sequence)
    place = np.argsort(order)                              # sequence b sits at place[b]
    sorted_lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    lengths = sorted_lengths[place]
    t = np.arange(steps)[:, None]                          # (T, 1)
    index = np.where(t < lengths[None, :], _offsets(batch_sizes)[np.minimum(t, longest - 1)]
                     + place[None, :], len(sequence.data))         # (T, B)
    rows = _with_padding_row(sequence.data, padding_value, fname)
    padded = rows[index.T if batch_first else index]
    return padded, _index_tensor(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    r"""Pack a list of sequences of different lengths: :func:`pad_sequence`, then
    :func:`pack_padded_sequence`.

    .. math:: \text{pack\_sequence}(x^{(1)}, \dots, x^{(B)}) =
              \text{pack\_padded\_sequence}(\text{pad\_sequence}(x), (L_1, \dots, L_B))

    Shapes: ``sequences[b]`` ``(L_b, *)``; ``data`` ``(sum L_b, *)``.
    Backward: each element of ``data`` sends its gradient to the element it came from.

    Parameters
    ----------
    sequences : list of Tensor
        Longest first, unless ``enforce_sorted=False``.
    enforce_sorted : bool, default True

    Returns
    -------
    PackedSequence

    Raises
    ------
    TypeError, ValueError
        As :func:`pad_sequence` and :func:`pack_padded_sequence`.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn.utils.rnn import pack_sequence
    >>> packed = pack_sequence([lucid.Tensor([1.0, 2.0]), lucid.Tensor([3.0])])
    >>> packed.batch_sizes.tolist(), packed.data.tolist()
    ([2, 1], [1.0, 3.0, 2.0])
    """
    seqs = _sequences(sequences, "pack_sequence")
    enforce_sorted = check_bool(enforce_sorted, "pack_sequence", "enforce_sorted")
    lengths = [len(s) for s in seqs]
    if min(lengths) < 1:
        raise ValueError(f"pack_sequence: every sequence must have at least one step; got "
                         f"lengths {lengths}")
    if enforce_sorted and any(a < b for a, b in zip(lengths, lengths[1:])):
        raise ValueError(f"pack_sequence: sequences must be sorted longest first when "
                         f"enforce_sorted is True; got lengths {lengths}. Pass "
                         "enforce_sorted=False to sort them here.")
    return pack_padded_sequence(pad_sequence(seqs), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    r"""Split a padded batch back into its sequences, each without its padding.

    .. math:: x^{(b)} = (y_{0, b}, \dots, y_{L_b - 1, b})

    Shapes: ``padded_sequences`` ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``);
    the result is ``B`` Tensors ``(L_b, *)``.
    Backward: each slice sends its gradient back to the padded positions it came from.

    Parameters
    ----------
    padded_sequences : Tensor
    lengths : list of int, or an int array / Tensor
    batch_first : bool, default False

    Returns
    -------
    list of Tensor

    Raises
    ------
    TypeError, ValueError
        A non-Tensor input, bad lengths (as :func:`pack_padded_sequence`).

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn.utils.rnn import pad_sequence, unpad_sequence
    >>> padded = pad_sequence([lucid.Tensor([1.0, 2.0]), lucid.Tensor([3.0])])
    >>> [s.tolist() for s in unpad_sequence(padded, [2, 1])]
    [[1.0, 2.0], [3.0]]
    """
    fname = "unpad_sequence"
    if not isinstance(padded_sequences, Tensor):
        raise TypeError(f"{fname}: padded_sequences must be a Tensor; got "
                        f"{type(padded_sequences).__name__}")
    batch_first = check_bool(batch_first, fname, "batch_first")
    x = padded_sequences
    if x.ndim < 2:
        raise ValueError(f"{fname}: padded_sequences must be (T, B, *) or, with batch_first, "
                         f"(B, T, *); got shape {x.shape}")
    batch, steps = (x.shape[0], x.shape[1]) if batch_first else x.shape[1::-1]
    lengths = _lengths(lengths, batch, steps, fname)
    if batch_first:
        return [x[b, :int(n)] for b, n in enumerate(lengths)]
    return [x[:int(n), b] for b, n in enumerate(lengths)]


def unpack_sequence(packed_sequences):
    r"""Split a :class:`PackedSequence` into its sequences, in the order given to
    :func:`pack_sequence`: :func:`pad_packed_sequence`, then :func:`unpad_sequence`.

    .. math:: x^{(b)} = (\text{padded}_{0, b}, \dots, \text{padded}_{L_b - 1, b})

    Shapes: ``B`` Tensors ``(L_b, *)``. Backward: each element sends its gradient to the
    row of ``data`` it came from.

    Parameters
    ----------
    packed_sequences : PackedSequence

    Returns
    -------
    list of Tensor

    Raises
    ------
    TypeError
        Not a PackedSequence.

    Examples
    --------
    >>> import lucid
    >>> from lucid.nn.utils.rnn import pack_sequence, unpack_sequence
    >>> packed = pack_sequence([lucid.Tensor([1.0]), lucid.Tensor([2.0, 3.0])],
    ...                        enforce_sorted=False)
    >>> [s.tolist() for s in unpack_sequence(packed)]
    [[1.0], [2.0, 3.0]]
    """
    if not isinstance(packed_sequences, PackedSequence):
        raise TypeError(f"unpack_sequence: packed_sequences must be a PackedSequence; got "
                        f"{type(packed_sequences).__name__}")
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
