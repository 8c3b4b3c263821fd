r"""Padding: ``pad``, PyTorch's ``F.pad`` (constant, reflect, replicate and circular).

``pad`` checks its arguments, then calls :class:`lucid.ops.shape.Pad` (constant borders)
or :class:`lucid.ops.padding.IndexPad` (borders copied from the input, and cropping),
whose docstring explains the modes and the scatter-add backward. Values, gradients and
the errors PyTorch raises follow ``torch.nn.functional.pad``. (``lucid.pad`` is the
NumPy-style padding of the original lucid, with ``np.pad``'s ``pad_width``.)
"""
import numpy as np

from lucid._checks import is_int, is_number
from lucid._tensor import Tensor
from lucid.ops.padding import IndexPad
from lucid.ops.shape import Pad

__all__ = ["pad"]

MODES = ("constant", "reflect", "replicate", "circular")


def _pad_pairs(fname, pad, ndim):
    """``pad`` (``(left, right)`` of the last axis, then of the one before, ...) as a list
    of ``(axis, before, after)``, the last axis first."""
    if not isinstance(pad, (tuple, list)) or not all(is_int(p) for p in pad):
        raise TypeError(f"{fname}: pad must be a tuple of ints (left, right of the last "
                        f"axis, then of the axis before, ...); got {pad!r}")
    if len(pad) % 2:
        raise ValueError(f"{fname}: pad must hold pairs (before, after); got {len(pad)} "
                         f"values: {tuple(pad)}")
    if len(pad) // 2 > ndim:
        raise ValueError(f"{fname}: pad has {len(pad) // 2} pairs but input_ has only {ndim} "
                         f"axes (one pair per axis, from the last)")
    return [(ndim - 1 - k, int(pad[2 * k]), int(pad[2 * k + 1])) for k in range(len(pad) // 2)]


def _check_copying_mode(fname, x, pairs, mode, value):
    """The rules of the modes that copy the input (as PyTorch's): 1, 2 or 3 padded axes of a
    batched or unbatched ``(N, C, *S)`` input, non-empty except the batch, no ``value``,
    widths a reflection (``< n``) or one wrap (``<= n``) can fill."""
    if value is not None and value != 0:
        raise ValueError(f"{fname}: mode {mode!r} copies the input into the border and takes "
                         f"no value; got value={value!r}")
    k = len(pairs)
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise ValueError(
            f"{fname}: mode {mode!r} pads the last 1, 2 or 3 axes of a (C, *S) or (N, C, *S) "
            f"input: {k} pair{'s' if k != 1 else ''} of pad for {k + 1}-D or {k + 2}-D input_; "
            f"got {len(pairs) * 2} values for input_ of shape {x.shape}")
    if 0 in x.shape[x.ndim - k - 1:]:
        raise ValueError(f"{fname}: mode {mode!r} needs non-empty channel and padded axes "
                         f"(only the batch may be 0); got input_ of shape {x.shape}")
    for axis, before, after in pairs:
        n = x.shape[axis]
        if mode == "reflect" and (before >= n or after >= n):
            raise ValueError(f"{fname}: reflect padding ({before}, {after}) of axis {axis} must "
                             f"be smaller than its size {n}")
        kept = n - max(-before, 0) - max(-after, 0)
        if mode == "circular" and (before > kept or after > kept):
            raise ValueError(f"{fname}: circular padding ({before}, {after}) of axis {axis} "
                             f"must be at most its size {kept} (one wrap around)")
        if n + before + after < 1:
            raise ValueError(f"{fname}: padding ({before}, {after}) leaves axis {axis} of size "
                             f"{n} with {n + before + after} elements; at least 1 must remain")


def pad(input_, pad, mode="constant", value=None):
    r"""Pad (or crop) the last axes of a tensor, PyTorch's ``F.pad``.

    ``pad`` lists widths from the **last** axis backwards:
    ``(left, right)`` pads the last axis, ``(left, right, top, bottom)`` the last two,
    ``(left, right, top, bottom, front, back)`` the last three. A negative width
    crops. The border is, per ``mode`` (input ``a b c d``, width 2 on both sides)::

        constant   v v | a b c d | v v      value (default 0)
        reflect    c b | a b c d | c b      mirror about the edge elements
        replicate  a a | a b c d | d d      repeat the edge elements
        circular   c d | a b c d | a b      wrap around

    Along a padded axis of length :math:`n`, output position :math:`j` copies input
    position :math:`s(j)` (reflect: :math:`|j - \text{left}|` folded back at
    :math:`n - 1`; replicate: :math:`j - \text{left}` clipped into :math:`[0, n - 1]`;
    circular: :math:`(j - \text{left}) \bmod n`).

    Shapes: ``constant`` pads any of the axes of any tensor. The other modes pad the
    last 1, 2 or 3 axes of a ``(C, *S)`` or ``(N, C, *S)`` input (1 pair for
    ``(C, W)``/``(N, C, W)``, 2 pairs for ``(C, H, W)``/``(N, C, H, W)``, 3 for
    volumes); ``reflect`` widths must be smaller than the axis, ``circular`` ones at
    most its size.

    Backward: every output gradient flows back to the input position it was copied
    from, so an edge element copied into the border receives its own gradient plus the
    border's: :math:`\partial L/\partial x_i = \sum_{j:\ s(j) = i} \partial L/\partial
    y_j`. The constant border passes nothing back.

    Parameters
    ----------
    input_ : Tensor
        Any dtype (gradients need a float dtype).
    pad : tuple of ints
        An even number of widths, at most two per axis, last axis first.
    mode : {'constant', 'reflect', 'replicate', 'circular'}, default 'constant'
    value : float, optional
        The border of ``mode='constant'`` (default 0). The other modes take none.

    Returns
    -------
    Tensor
        ``input_``'s dtype; each padded axis grows by ``left + right``.

    Raises
    ------
    TypeError
        A non-Tensor ``input_``; ``pad`` not ints; a non-number ``value``.
    ValueError
        An odd number of widths or more pairs than axes; an unknown ``mode``; a
        ``value`` with a copying mode; an input or widths that mode cannot pad (see
        Shapes); a crop that leaves a negative size (an empty axis, for the copying
        modes).

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[1.0, 2.0, 3.0, 4.0]]])           # (N, C, W) = (1, 1, 4)
    >>> print(F.pad(x, (2, 1)))
    Tensor([[[0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 0.0]]])
    >>> print(F.pad(x, (2, 1), mode="reflect"))
    Tensor([[[3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0]]])
    >>> print(F.pad(x, (2, 1), mode="replicate"))
    Tensor([[[1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 4.0]]])
    >>> print(F.pad(x, (2, 1), mode="circular"))
    Tensor([[[3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0]]])
    >>> print(F.pad(x, (-1, -1)))                           # crop
    Tensor([[[2.0, 3.0]]])

    The edge elements copied into a replicate border collect its gradient too:

    >>> x = lucid.Tensor([[[1.0, 2.0, 3.0, 4.0]]], requires_grad=True)
    >>> F.pad(x, (2, 1), mode="replicate").sum().backward()
    >>> x.grad
    array([[[3., 1., 1., 2.]]], dtype=float32)

    Two pairs pad an image's width, then its height:

    >>> img = lucid.arange(4.0).reshape(1, 1, 2, 2)
    >>> print(F.pad(img, (1, 0, 0, 1), value=-1.0))
    Tensor([[[[-1.0, 0.0, 1.0], [-1.0, 2.0, 3.0], [-1.0, -1.0, -1.0]]]])
    """
    name = "pad"
    if not isinstance(input_, Tensor):
        raise TypeError(f"{name}: input_ must be a Tensor; got {type(input_).__name__}")
    pairs = _pad_pairs(name, pad, input_.ndim)
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"{name}: mode must be 'constant', 'reflect', 'replicate' or "
                         f"'circular'; got {mode!r}")
    if value is not None and not is_number(value):
        raise TypeError(f"{name}: value must be a number or None; got {value!r}")
    if mode != "constant":
        _check_copying_mode(name, input_, pairs, mode, value)
        return IndexPad.apply(input_, pads=tuple(pairs), mode=mode, value=0)
    value = 0 if value is None else value
    for axis, before, after in pairs:
        if input_.shape[axis] + before + after < 0:
            raise ValueError(f"{name}: padding ({before}, {after}) crops more than axis {axis} "
                             f"of size {input_.shape[axis]} holds")
    if all(before >= 0 and after >= 0 for _, before, after in pairs):
        widths = np.zeros((input_.ndim, 2), dtype=np.int64)
        for axis, before, after in pairs:
            widths[axis] = before, after
        return Pad.apply(input_, pad_width=widths, constant_values=value)
    return IndexPad.apply(input_, pads=tuple(pairs), mode="constant", value=value)
