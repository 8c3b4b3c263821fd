r"""``interpolate``: resize the spatial axes of ``(N, C, *S)`` inputs, as PyTorch's
``F.interpolate``.

Every supported mode is *separable*: resizing a 2-d image is resizing its rows, then
its columns. Along one axis of input length :math:`n` and output length :math:`m`,
output position :math:`o` reads input positions chosen by the mode:

* ``'nearest'``: one source, :math:`i(o) = \min(\lfloor o\,s \rfloor, n - 1)`;
  ``'nearest-exact'``: :math:`i(o) = \min(\lfloor (o + \tfrac12) s \rfloor, n - 1)`;
* ``'linear'`` / ``'bilinear'`` / ``'trilinear'`` (1, 2, 3 spatial axes): two sources
  :math:`i_0 = \lfloor u \rfloor` and :math:`i_1 = \min(i_0 + 1, n - 1)` around the
  source coordinate

  .. math:: u(o) = \begin{cases} o\,\frac{n - 1}{m - 1} & \text{align\_corners} \\
            \max\big(s\,(o + \tfrac12) - \tfrac12,\ 0\big) & \text{otherwise}
            \end{cases}

  mixed as :math:`y_o = (1 - \lambda_o)\, x_{i_0} + \lambda_o\, x_{i_1}` with
  :math:`\lambda_o = u - i_0`.

Here :math:`s = 1/\text{scale\_factor}` when a scale factor is given (PyTorch's rule:
the factor, not the rounded sizes, sets the grid), else :math:`s = n/m`. An axis whose
size does not change is copied.

So one axis is a *gather* (``Take``: read whole slices at :math:`i_0`, :math:`i_1`)
followed by a weighted sum, and the function is a composition of lucid ops. Backward
is therefore automatic and exact: each output gradient is split back to its sources
with the same weights, and ``Take``'s backward adds the pieces that land on the same
source (the scatter-add kernel family, both twins):

.. math:: \frac{\partial L}{\partial x_i} = \sum_{o:\,i_0(o) = i} (1 - \lambda_o)\, g_o
          + \sum_{o:\,i_1(o) = i} \lambda_o\, g_o

The axes are resized last axis first, which reproduces PyTorch's order of floating-point
operations; the indices and weights are computed in the input's dtype (``float32``
weights for ``float32`` input, as PyTorch's kernels do), nearest indices in float32.
"""
import math

import numpy as np

from lucid._checks import float_tensor, is_int, is_number
from lucid.ops.elementwise import Add, Multiply
from lucid.ops.index import Take

__all__ = ["interpolate"]

LINEAR_AXES = {"linear": 1, "bilinear": 2, "trilinear": 3}
MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear")
_NAME = "interpolate"


def _per_axis(value, d, arg, spatial):
    """An int / float, or a tuple / list of ``d`` of them, as a list of ``d`` values."""
    if isinstance(value, (tuple, list)):
        if len(value) != d:
            raise ValueError(f"{_NAME}: {arg} must have one entry per spatial axis ({d} for "
                             f"an input with spatial shape {spatial}); got {value!r}")
        return list(value)
    return [value] * d


def _output_sizes(spatial, size, scale_factor, recompute_scale_factor):
    """The output size of each spatial axis, and the scale factors the grid uses."""
    d = len(spatial)
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{_NAME}: give exactly one of size and scale_factor; got "
                         f"size={size!r}, scale_factor={scale_factor!r}")
    if recompute_scale_factor not in (None, True, False):
        raise TypeError(f"{_NAME}: recompute_scale_factor must be None, True or False; "
                        f"got {recompute_scale_factor!r}")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{_NAME}: recompute_scale_factor is meaningless with an "
                             "explicit size")
        sizes = _per_axis(size, d, "size", spatial)
        if not all(is_int(n) and n >= 1 for n in sizes):
            raise ValueError(f"{_NAME}: size must be a positive int or a tuple of {d} "
                             f"positive ints; got {size!r}")
        return [int(n) for n in sizes], [None] * d
    factors = _per_axis(scale_factor, d, "scale_factor", spatial)
    if not all(is_number(f) and math.isfinite(f) and f > 0 for f in factors):
        raise ValueError(f"{_NAME}: scale_factor must be a positive number or a tuple of "
                         f"{d} of them; got {scale_factor!r}")
    sizes = [math.floor(float(n) * float(f)) for n, f in zip(spatial, factors)]
    if min(sizes) < 1:
        raise ValueError(f"{_NAME}: scale_factor {scale_factor!r} shrinks the spatial shape "
                         f"{spatial} to {tuple(sizes)}; every output size must be positive")
    scales = [None] * d if recompute_scale_factor else [float(f) for f in factors]
    return sizes, scales


def _nearest_indices(n_in, n_out, scale, exact):
    """Source index of each output position (PyTorch's float32 arithmetic)."""
    out = np.arange(n_out, dtype=np.int64)
    if not exact and n_out == n_in:
        return out
    if not exact and n_out == 2 * n_in:
        return out // 2
    s = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
    if exact:
        u = ((out + 0.5) * np.float64(s)).astype(np.float32)
    else:
        u = out.astype(np.float32) * s
    return np.minimum(np.floor(u).astype(np.int64), n_in - 1)


def _linear_weights(n_in, n_out, scale, align_corners, dtype):
    """``i0, i1, w0, w1`` of the linear mix ``y_o = w0 x[i0] + w1 x[i1]`` along one axis."""
    t = np.dtype(dtype).type
    out = np.arange(n_out)
    if n_out == n_in:                                       # copy the axis
        return out, out, np.ones(n_out, dtype), np.zeros(n_out, dtype)
    if align_corners:
        ratio = t(n_in - 1) / t(n_out - 1) if n_out > 1 else t(0)
        u = ratio * out.astype(dtype)
    else:
        ratio = t(1.0 / scale) if scale else t(n_in) / t(n_out)
        u = np.maximum(ratio * (out.astype(dtype) + t(0.5)) - t(0.5), t(0))
    i0 = np.minimum(np.floor(u).astype(np.int64), n_in - 1)
    lam = np.clip(u - i0.astype(dtype), t(0), t(1)).astype(dtype)
    i1 = i0 + (i0 < n_in - 1)
    return i0, i1, (t(1) - lam).astype(dtype), lam


def interpolate(input_, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None):
    r"""Resize the spatial axes of ``input_`` by nearest or (bi/tri)linear interpolation.

    Along each spatial axis (see the module docstring for the index maths):

    .. math:: y_o = (1 - \lambda_o)\, x_{i_0(o)} + \lambda_o\, x_{i_1(o)} \quad
              \text{(linear modes)}, \qquad y_o = x_{i(o)} \quad \text{(nearest)}

    Shapes: ``input_`` ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``; the output
    is ``(N, C, *size)``, or :math:`\lfloor` input size :math:`\times` scale_factor
    :math:`\rfloor` per axis. ``'linear'`` needs 3-d input, ``'bilinear'`` 4-d,
    ``'trilinear'`` 5-d; the nearest modes take any of them.

    Backward: the transpose of the same gathers,
    :math:`\partial L/\partial x_i = \sum_{o:\,i_0(o) = i} (1 - \lambda_o) g_o +
    \sum_{o:\,i_1(o) = i} \lambda_o g_o` (a scatter-add; for nearest, the sum of the
    gradients of every output that copied :math:`x_i`).

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, *S)`` with 1 to 3 spatial axes, float32 or float64.
    size : int or tuple of int, optional
        The output's spatial shape (one int for every axis, or one per axis).
    scale_factor : float or tuple of float, optional
        Multiplies each spatial size (the output size is rounded down). Give exactly
        one of ``size`` and ``scale_factor``.
    mode : {'nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear'}
        ``'nearest'`` is PyTorch's (legacy) nearest: :math:`\lfloor o s \rfloor`;
        ``'nearest-exact'`` samples pixel centres.
    align_corners : bool, optional
        Linear modes only (default False): True maps the corner pixels of input and
        output onto each other (:math:`u = o (n - 1)/(m - 1)`); False maps pixel
        *areas* (:math:`u = s(o + 1/2) - 1/2`).
    recompute_scale_factor : bool, optional
        With ``scale_factor``: True makes the grid follow the rounded output size
        (:math:`s = n/m`) instead of the factor.

    Returns
    -------
    Tensor
        ``(N, C, *out)``, the dtype of ``input_``.

    Raises
    ------
    TypeError
        A non-float ``input_``; a non-bool ``align_corners`` / ``recompute_scale_factor``.
    ValueError
        An unknown ``mode``; an input ndim the mode cannot take; both or neither of
        ``size`` and ``scale_factor``; sizes or factors that are not positive or not one
        per spatial axis; an empty output; ``align_corners`` with a nearest mode.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[1.0, 2.0, 4.0]]], requires_grad=True)
    >>> print(F.interpolate(x, scale_factor=2))
    Tensor([[[1.0, 1.0, 2.0, 2.0, 4.0, 4.0]]], grad_fn=Take)
    >>> y = F.interpolate(x, size=5, mode="linear", align_corners=True)
    >>> print(y)
    Tensor([[[1.0, 1.5, 2.0, 3.0, 4.0]]], grad_fn=Add)
    >>> y.sum().backward()
    >>> x.grad
    array([[[1.5, 2. , 1.5]]], dtype=float32)
    """
    x = float_tensor(input_, _NAME)
    if mode not in MODES:
        raise ValueError(f"{_NAME}: mode must be one of {', '.join(map(repr, MODES))}; "
                         f"got {mode!r}")
    if not 3 <= x.ndim <= 5:
        raise ValueError(f"{_NAME}: input_ must be (N, C, L), (N, C, H, W) or "
                         f"(N, C, D, H, W); got shape {x.shape}")
    d = x.ndim - 2
    nearest = mode.startswith("nearest")
    if not nearest and LINEAR_AXES[mode] != d:
        k = LINEAR_AXES[mode]
        raise ValueError(f"{_NAME}: mode {mode!r} needs a {k + 2}-d input ({k} spatial "
                         f"axes); got shape {x.shape}")
    if nearest and align_corners is not None:
        raise ValueError(f"{_NAME}: align_corners can only be set with the linear modes "
                         f"(linear, bilinear, trilinear); got mode {mode!r}")
    if align_corners is None:
        align_corners = False
    if not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"{_NAME}: align_corners must be True, False or None; got "
                        f"{align_corners!r}")
    sizes, scales = _output_sizes(x.shape[2:], size, scale_factor, recompute_scale_factor)
    y = x
    for k in reversed(range(d)):                 # last axis first (PyTorch's nesting)
        axis, n_in, n_out = k + 2, x.shape[k + 2], sizes[k]
        if nearest:
            indices = _nearest_indices(n_in, n_out, scales[k], exact=mode == "nearest-exact")
            y = Take.apply(y, indices=indices, axis=axis)
            continue
        i0, i1, w0, w1 = _linear_weights(n_in, n_out, scales[k], align_corners, x.dtype)
        shape = [1] * x.ndim
        shape[axis] = n_out
        y = Add.apply(Multiply.apply(Take.apply(y, indices=i0, axis=axis), w0.reshape(shape)),
                      Multiply.apply(Take.apply(y, indices=i1, axis=axis), w1.reshape(shape)))
    return y
