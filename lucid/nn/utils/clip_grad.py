r"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``.

Both run between ``loss.backward()`` and ``optimizer.step()`` and change the ``.grad``
arrays of the parameters in place (the trailing underscore says so, as in PyTorch), so
the optimizer then steps with the clipped gradients::

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()

A parameter without a gradient (``.grad is None``) is skipped. Each write is noted by
lucid's in-place machinery (:func:`lucid.autograd.inplace.note_write`), as an optimizer
step notes its writes into the parameters.
"""
import math

import numpy as np

from lucid._checks import check_bool, check_number, is_number
from lucid._tensor import Tensor
from lucid.autograd.inplace import note_write
from lucid.nn.utils._params import tensor_list

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _foreach(foreach, fname):
    """PyTorch's ``foreach`` switch picks a fused CUDA path; lucid has one path."""
    if foreach is not None:
        check_bool(foreach, fname, "foreach", "True, False or None")


def _vector_norm(values, p):
    r""":math:`\lVert v\rVert_p` of the flattened array ``values`` (``p`` may be inf)."""
    flat = values.ravel()
    if flat.size == 0:
        return values.dtype.type(0)
    if p == 2:
        # v * v is |v| * |v| exactly (NaN, -0.0 and inf included): the sum of squares
        # needs no pass that writes out |v| (on a language model's 4.7 million gradient
        # values that pass was most of clipping's time)
        return np.sqrt(np.dot(flat, flat))
    magnitude = np.abs(flat)
    if p == math.inf:
        return magnitude.max()
    if p == 1:
        return magnitude.sum(dtype=values.dtype)
    return np.sum(magnitude ** values.dtype.type(p)) ** values.dtype.type(1 / p)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    r"""Scale all gradients together so that their joint norm is at most ``max_norm``.

    The gradients :math:`g_1, \dots, g_k` of the parameters are treated as one long
    vector. Its :math:`p`-norm (``norm_type``) is the norm of the per-parameter norms,

    .. math:: N = \bigl\lVert (\lVert g_1\rVert_p, \dots, \lVert g_k\rVert_p)
              \bigr\rVert_p, \qquad \lVert g\rVert_p = \Bigl(\sum_i |g_i|^p\Bigr)^{1/p},
              \quad \lVert g\rVert_\infty = \max_i |g_i|,

    and every gradient is multiplied, in place, by one factor

    .. math:: c = \min\Bigl(1, \frac{\text{max\_norm}}{N + 10^{-6}}\Bigr),

    so the direction of the whole update is kept and only its length is cut (the
    :math:`10^{-6}` keeps :math:`c` finite when :math:`N = 0`). When :math:`c = 1` the
    gradients are left as they are (multiplying by 1 would change no value), without a
    pass over them. :math:`N` is returned: logging it shows how often, and by how much,
    the gradients were clipped.

    Shapes: any parameters; the result is a 0-d Tensor.

    Backward: none. This acts on ``.grad`` arrays outside any graph; the returned norm
    does not require grad.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Usually ``model.parameters()``. Those whose ``.grad`` is None are skipped.
    max_norm : float
        The largest joint norm allowed, :math:`\ge 0`.
    norm_type : float, default 2.0
        :math:`p`, positive, or ``math.inf`` (or the string ``'inf'``) for the largest
        absolute value.
    error_if_nonfinite : bool, default False
        Raise when :math:`N` is NaN or infinite instead of scaling by it (scaling by a
        non-finite norm makes every gradient NaN or 0).
    foreach : bool, optional
        Accepted for PyTorch compatibility (it picks a fused CUDA path there); lucid
        has one path.

    Returns
    -------
    Tensor
        :math:`N`, 0-d, of the gradients' dtype (their NumPy promotion; float32 when no
        parameter has a gradient, and then :math:`N = 0`).

    Raises
    ------
    TypeError
        ``parameters`` not a Tensor or an iterable of Tensors; a non-number
        ``max_norm`` or ``norm_type``; a non-bool ``error_if_nonfinite`` or ``foreach``.
    ValueError
        A negative ``max_norm``; ``norm_type`` not positive.
    RuntimeError
        ``error_if_nonfinite=True`` and :math:`N` is NaN or infinite (nothing is
        changed then).

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> w = nn.Parameter(lucid.zeros(2))
    >>> b = nn.Parameter(lucid.zeros(1))
    >>> w.grad = lucid.Tensor([3.0, 0.0]).data          # joint norm sqrt(9 + 16) = 5
    >>> b.grad = lucid.Tensor([4.0]).data
    >>> total = nn.utils.clip_grad_norm_([w, b], max_norm=1.0)
    >>> print(total)
    Tensor(5.0)
    >>> print(w.grad.round(4), b.grad.round(4))        # both scaled by 1 / (5 + 1e-6)
    [0.6 0. ] [0.8]

    A norm already below ``max_norm`` leaves the gradients alone:

    >>> print(nn.utils.clip_grad_norm_([w, b], max_norm=2.0).round(4))
    Tensor(1.0)
    >>> print(w.grad.round(4))
    [0.6 0. ]
    """
    name = "clip_grad_norm_"
    params = tensor_list(parameters, name)
    max_norm = check_number(max_norm, name, "max_norm", 0.0, None)
    if isinstance(norm_type, str) and norm_type.lower() in ("inf", "infinity"):
        norm_type = math.inf
    if not is_number(norm_type):
        raise TypeError(f"{name}: norm_type must be a positive number or math.inf; got "
                        f"{norm_type!r}")
    p = check_number(norm_type, name, "norm_type", 0.0, None, low_open=True, finite=False)
    nonfinite_error = check_bool(error_if_nonfinite, name, "error_if_nonfinite")
    _foreach(foreach, name)
    grads = [t.grad for t in params if t.grad is not None]
    if not grads:
        return Tensor._wrap(np.zeros((), dtype=np.float32))
    norms = [_vector_norm(g, p) for g in grads]
    dtype = np.result_type(*{g.dtype for g in grads})   # a few dtypes, not one per array
    total = _vector_norm(np.array(norms, dtype=dtype), p)
    if nonfinite_error and not np.isfinite(total):
        raise RuntimeError(
            f"{name}: the total norm of order {norm_type} of the gradients is {total}, so "
            "they cannot be clipped. Set error_if_nonfinite=False to scale them by it "
            "anyway (look for the NaN or infinite gradient first)")
    coef = min(float(max_norm / (total + dtype.type(1e-6))), 1.0)
    if coef == 1.0:          # times 1 changes no value: no pass over the gradients
        return Tensor._wrap(np.asarray(total, dtype=dtype))
    with np.errstate(invalid="ignore"):      # a non-finite N: inf * 0 is NaN, as in PyTorch
        for g in grads:
            g *= g.dtype.type(coef)
            note_write(g)
    return Tensor._wrap(np.asarray(total, dtype=dtype))


def clip_grad_value_(parameters, clip_value, foreach=None):
    r"""Clip every gradient element into :math:`[-v, v]`, in place.

    .. math:: g_i \leftarrow \min(\max(g_i, -v), v)

    for each element of each parameter's ``.grad``, with :math:`v` = ``clip_value``.
    Unlike :func:`clip_grad_norm_` this changes the direction of the update: only the
    large elements are cut.

    Shapes: any parameters; returns None.

    Backward: none (acts on ``.grad`` arrays, outside any graph).

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Usually ``model.parameters()``. Those whose ``.grad`` is None are skipped.
    clip_value : float
        :math:`v \ge 0`.
    foreach : bool, optional
        Accepted for PyTorch compatibility; lucid has one path.

    Returns
    -------
    None

    Raises
    ------
    TypeError
        ``parameters`` not a Tensor or an iterable of Tensors; a non-number
        ``clip_value``; a non-bool ``foreach``.
    ValueError
        A negative or non-finite ``clip_value``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> w = nn.Parameter(lucid.zeros(4))
    >>> w.grad = lucid.Tensor([-3.0, -0.5, 0.2, 7.0]).data
    >>> nn.utils.clip_grad_value_([w], clip_value=1.0)
    >>> w.grad
    array([-1. , -0.5,  0.2,  1. ], dtype=float32)
    """
    name = "clip_grad_value_"
    params = tensor_list(parameters, name)
    v = check_number(clip_value, name, "clip_value", 0.0, None)
    _foreach(foreach, name)
    for t in params:
        if t.grad is not None:
            g = t.grad
            np.clip(g, g.dtype.type(-v), g.dtype.type(v), out=g)
            note_write(g)
