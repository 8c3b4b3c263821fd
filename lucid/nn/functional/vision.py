r"""Spatial transformers: ``affine_grid``, ``grid_sample`` and ``rotate``.

``affine_grid`` turns a batch of affine matrices into sampling grids; ``grid_sample``
reads an image at the points of a grid; ``rotate`` is the two together with the grid
of a rotation. Each function checks its arguments (a ``ValueError`` / ``TypeError``
naming the function, the argument, what was expected and what was given), then calls
the autograd Functions of :mod:`lucid.ops.grid`, where the maths is written out.
"""
import math

import numpy as np

from lucid._tensor import Tensor
from lucid._checks import check_bool, float_tensor, is_int, is_number
from lucid.ops.grid import AffineGrid, GridSample

__all__ = ["affine_grid", "grid_sample", "rotate"]

MODES = ("bilinear", "nearest")
PADDING_MODES = ("zeros", "border", "reflection")


def _align_corners_arg(align_corners, fname):
    """None means False (PyTorch's default); otherwise a bool."""
    return False if align_corners is None else check_bool(align_corners, fname, "align_corners")


def _choice(value, choices, fname, arg):
    if not isinstance(value, str) or value not in choices:
        expected = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"
        raise ValueError(f"{fname}: {arg} must be {expected}; got {value!r}")
    return value


def affine_grid(theta, size, align_corners=None):
    r"""The sampling grid of a batch of affine maps, for :func:`grid_sample`.

    Every output point :math:`p` has normalised coordinates :math:`(x_p, y_p)` in
    :math:`[-1, 1]` (:math:`x` along the width, :math:`y` along the height; :math:`-1`
    is the left/top edge); the grid holds where the map :math:`\theta_n` sends it:

    .. math:: \text{grid}[n, h, w] = \theta_n \begin{pmatrix} x_w \\ y_h \\ 1
              \end{pmatrix}, \qquad
              x_w = \begin{cases} -1 + \dfrac{2w}{W - 1} & \text{align\_corners} \\[1ex]
              \dfrac{2w + 1}{W} - 1 & \text{otherwise} \end{cases}

    (and the same for :math:`y_h` with :math:`H`; a size of 1 gives the single
    coordinate 0). With ``align_corners`` the coordinates :math:`\pm 1` are the centres
    of the corner pixels, otherwise their outer edges. In 3-D, :math:`\theta_n` is
    :math:`3 \times 4` and acts on :math:`(x_w, y_h, z_d, 1)`.

    Shapes: ``theta`` ``(N, 2, 3)`` with ``size = (N, C, H, W)`` gives a grid
    ``(N, H, W, 2)``; ``theta`` ``(N, 3, 4)`` with ``size = (N, C, D, H, W)`` gives
    ``(N, D, H, W, 3)``. ``C`` is not used.

    Backward: the grid is linear in :math:`\theta`, so with
    :math:`b_p = (x_p, y_p, 1)`,

    .. math:: \frac{\partial L}{\partial \theta_n} = \sum_p
              \frac{\partial L}{\partial\, \text{grid}[n, p]}\; b_p^\top

    Parameters
    ----------
    theta : Tensor
        ``(N, 2, 3)`` (2-D) or ``(N, 3, 4)`` (3-D), float32 or float64.
    size : tuple of ints
        The size of the output image: ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
    align_corners : bool, optional
        Whether :math:`\pm 1` are the centres (True) or the outer edges (False, the
        default, as PyTorch) of the corner pixels. Use the same value in
        :func:`grid_sample`.

    Returns
    -------
    Tensor
        ``(N, H, W, 2)`` or ``(N, D, H, W, 3)``, the dtype of ``theta``.

    Raises
    ------
    TypeError
        ``theta`` not a float Tensor; ``size`` not a tuple of ints; a non-bool
        ``align_corners``.
    ValueError
        ``size`` not of length 4 or 5, or with a non-positive spatial size; ``theta``
        not of shape ``(N, 2, 3)`` (4-D ``size``) or ``(N, 3, 4)`` (5-D ``size``); its
        batch different from ``size[0]``.

    Examples
    --------
    The identity map gives the pixel centres themselves:

    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> theta = lucid.Tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> print(F.affine_grid(theta, (1, 1, 2, 2)))
    Tensor([[[[-0.5, -0.5], [0.5, -0.5]], [[-0.5, 0.5], [0.5, 0.5]]]])
    >>> print(F.affine_grid(theta, (1, 1, 2, 2), align_corners=True))
    Tensor([[[[-1.0, -1.0], [1.0, -1.0]], [[-1.0, 1.0], [1.0, 1.0]]]])

    The gradient of a translation (the last column) sums the grid's gradient:

    >>> theta = lucid.Tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], requires_grad=True)
    >>> F.affine_grid(theta, (1, 1, 2, 2)).sum().backward()
    >>> theta.grad
    array([[[0., 0., 4.],
            [0., 0., 4.]]], dtype=float32)
    """
    name = "affine_grid"
    theta = float_tensor(theta, name, "theta")
    align_corners = _align_corners_arg(align_corners, name)
    if not isinstance(size, (tuple, list)) or not all(is_int(s) for s in size):
        raise TypeError(f"{name}: size must be a tuple of ints (N, C, H, W) or "
                        f"(N, C, D, H, W); got {size!r}")
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise ValueError(f"{name}: size must have 4 entries (N, C, H, W) or 5 "
                         f"(N, C, D, H, W); got {size} ({len(size)} entries)")
    if size[0] < 0 or size[1] < 0 or any(s <= 0 for s in size[2:]):
        raise ValueError(f"{name}: size must have N, C >= 0 and positive spatial sizes; "
                         f"got {size}")
    k = len(size) - 2
    if theta.ndim != 3 or theta.shape[1:] != (k, k + 1):
        raise ValueError(f"{name}: theta must have shape (N, {k}, {k + 1}) for a "
                         f"{len(size)}-entry size {size}; got {theta.shape}")
    if theta.shape[0] != size[0]:
        raise ValueError(f"{name}: theta has batch {theta.shape[0]} but size[0] is "
                         f"{size[0]}; they must be equal")
    return AffineGrid.apply(theta, spatial=size[2:], align_corners=align_corners)


def grid_sample(input_, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    r"""Read ``input_`` at the points of ``grid`` (normalised coordinates), interpolating.

    For every output point :math:`p` the grid gives normalised coordinates
    :math:`g = (g_x, g_y)` (:math:`-1` the left/top edge of the input, :math:`+1` the
    right/bottom edge). Each is unnormalised to a real pixel index along its axis
    (:math:`x` along the width :math:`W`, :math:`y` along the height :math:`H`):

    .. math:: i_x = \frac{g_x + 1}{2}\,(W - 1) \quad\text{(align\_corners)}, \qquad
              i_x = \frac{g_x + 1}{2}\,W - \frac{1}{2} \quad\text{(otherwise)}

    then ``padding_mode`` decides what points outside the input read: ``"zeros"`` —
    pixels outside are 0; ``"border"`` — :math:`i` is clipped to
    :math:`[0, W - 1]` (the edge pixel is repeated); ``"reflection"`` — :math:`i` is
    mirrored at the edges (the corner pixels' centres with ``align_corners``, their
    outer edges otherwise) until it lies inside. Then, with :math:`x_0 = \lfloor i_x
    \rfloor`, :math:`u = i_x - x_0`, :math:`y_0 = \lfloor i_y \rfloor`,
    :math:`v = i_y - y_0`, ``"bilinear"`` computes

    .. math:: y[n, c, p] = (1-u)(1-v)\, x_{y_0, x_0} + u (1-v)\, x_{y_0, x_0+1}
              + (1-u) v\, x_{y_0+1, x_0} + u v\, x_{y_0+1, x_0+1}

    (each :math:`x_{\cdot,\cdot}` at :math:`[n, c]`); ``"nearest"`` reads the pixel
    :math:`(\mathrm{round}(i_y), \mathrm{round}(i_x))`, ties to even. In 3-D the grid
    holds :math:`(g_x, g_y, g_z)` and the eight neighbours are weighted the same way
    (trilinear).

    Shapes: input ``(N, C, H_in, W_in)`` and grid ``(N, H_out, W_out, 2)`` give
    ``(N, C, H_out, W_out)``; input ``(N, C, D_in, H_in, W_in)`` and grid
    ``(N, D_out, H_out, W_out, 3)`` give ``(N, C, D_out, H_out, W_out)``.

    Backward, with :math:`\bar y = \partial L/\partial y` and :math:`w_b` the four
    weights above:

    .. math::

        \frac{\partial L}{\partial x[n, c, q]} &= \sum_{p,\, b \,:\, \text{pixel}_b(p) = q}
        w_b(p)\; \bar y[n, c, p]

        \frac{\partial L}{\partial g_x} &= \frac{d i_x}{d g_x} \sum_c \bar y[n, c, p]
        \Big((1-v)(x_{y_0, x_0+1} - x_{y_0, x_0}) + v (x_{y_0+1, x_0+1} - x_{y_0+1, x_0})\Big)

    (and the same for :math:`g_y`); :math:`d i_x / d g_x` is :math:`(W - 1)/2` or
    :math:`W/2`, times :math:`\pm 1` for a reflection and 0 where a clip is active.
    The input gradient is a scatter-add (the kernel family
    :mod:`lucid._ext.scatter`). ``"nearest"`` gives the grid no gradient (0); the
    gradient does not exist on the kinks (integer :math:`i`, the clip limits).

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, H, W)`` or ``(N, C, D, H, W)``, float32 or float64.
    grid : Tensor
        ``(N, H_out, W_out, 2)`` or ``(N, D_out, H_out, W_out, 3)``, the dtype of
        ``input_``; the last axis is :math:`(x, y[, z])`.
    mode : {'bilinear', 'nearest'}, default 'bilinear'
        Interpolation.
    padding_mode : {'zeros', 'border', 'reflection'}, default 'zeros'
        What points outside the input read.
    align_corners : bool, optional
        Whether :math:`\pm 1` are the centres (True) or the outer edges (False, the
        default, as PyTorch) of the corner pixels.

    Returns
    -------
    Tensor
        ``(N, C, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``, the input's dtype.

    Raises
    ------
    TypeError
        A non-Tensor or non-float ``input_`` or ``grid``; ``grid`` of another dtype;
        a non-bool ``align_corners``.
    ValueError
        ``input_`` not 4-D or 5-D, or with an empty spatial axis; ``grid`` not of the
        input's ndim or without a last axis of 2 (4-D) or 3 (5-D); a batch mismatch;
        an unknown ``mode`` or ``padding_mode``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[1.0, 2.0], [3.0, 4.0]]]], requires_grad=True)   # (1, 1, 2, 2)
    >>> grid = lucid.Tensor([[[[0.0, 0.0], [-0.5, -0.5], [1.0, -0.5]]]])     # (1, 1, 3, 2)
    >>> print(F.grid_sample(x, grid))
    Tensor([[[[2.5, 1.0, 1.0]]]], grad_fn=GridSample)

    The centre mixes all four pixels; ``(-0.5, -0.5)`` is the top-left pixel's centre;
    ``(1, -0.5)`` is half a pixel beyond the top-right one, so half of it is read with
    zeros padding and all of it with border padding:

    >>> print(F.grid_sample(x, grid, padding_mode="border"))
    Tensor([[[[2.5, 1.0, 2.0]]]], grad_fn=GridSample)
    >>> F.grid_sample(x, grid).sum().backward()
    >>> x.grad
    array([[[[1.25, 0.75],
             [0.25, 0.25]]]], dtype=float32)
    """
    name = "grid_sample"
    input_ = float_tensor(input_, name, "input_")
    grid = float_tensor(grid, name, "grid")
    mode = _choice(mode, MODES, name, "mode")
    padding_mode = _choice(padding_mode, PADDING_MODES, name, "padding_mode")
    align_corners = _align_corners_arg(align_corners, name)
    if input_.ndim not in (4, 5):
        raise ValueError(f"{name}: input_ must be 4-D (N, C, H, W) or 5-D (N, C, D, H, W); "
                         f"got shape {input_.shape}")
    k = input_.ndim - 2
    if grid.ndim != input_.ndim or grid.shape[-1] != k:
        expected = "(N, H_out, W_out, 2)" if k == 2 else "(N, D_out, H_out, W_out, 3)"
        raise ValueError(f"{name}: grid must have shape {expected} for a {input_.ndim}-D "
                         f"input_; got {grid.shape}")
    if grid.shape[0] != input_.shape[0]:
        raise ValueError(f"{name}: grid has batch {grid.shape[0]} but input_ has batch "
                         f"{input_.shape[0]}; they must be equal")
    if grid.dtype != input_.dtype:
        raise TypeError(f"{name}: grid must have the dtype of input_ ({input_.dtype}); "
                        f"got {grid.dtype}")
    if any(s == 0 for s in input_.shape[2:]):
        raise ValueError(f"{name}: input_ must have non-empty spatial axes; got shape "
                         f"{input_.shape}")
    return GridSample.apply(input_, grid, mode=mode, padding_mode=padding_mode,
                            align_corners=align_corners)


def _angles(angle, n, fname):
    """``angle`` (a number, or one per image) as a float64 array of ``n`` degrees."""
    if is_number(angle):
        values = np.full(n, float(angle))
    else:
        data = angle.data if isinstance(angle, Tensor) else angle
        if isinstance(data, (list, tuple)) and all(is_number(a) for a in data):
            data = np.array(data, dtype=np.float64)
        if not isinstance(data, np.ndarray) or data.ndim != 1 or data.dtype.kind not in "iuf":
            raise TypeError(f"{fname}: angle must be a real number or a 1-D sequence of N "
                            f"real numbers (degrees); got {angle!r:.80}")
        if data.shape[0] != n:
            raise ValueError(f"{fname}: angle must have one entry per image (N = {n}); got "
                             f"{data.shape[0]} entries")
        values = data.astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{fname}: angle must be finite; got {angle!r:.80}")
    return values


def _center(center, height, width, fname):
    """The centre of rotation ``(c_x, c_y)`` in pixel indices (default: the middle)."""
    if center is None:
        return (width - 1) / 2, (height - 1) / 2
    if (not isinstance(center, (tuple, list)) or len(center) != 2
            or not all(is_number(c) for c in center)):
        raise TypeError(f"{fname}: center must be None or a pair (x, y) of real numbers; "
                        f"got {center!r}")
    if not all(math.isfinite(c) for c in center):
        raise ValueError(f"{fname}: center must be finite; got {tuple(center)}")
    return float(center[0]), float(center[1])


def rotation_theta(angles, center, height, width):
    r"""The ``(N, 2, 3)`` matrices of :func:`affine_grid` that rotate an ``H x W`` image
    by ``angles`` (degrees, counter-clockwise as shown) about ``center`` (pixel
    indices), in float64.

    In pixel indices, output pixel :math:`(x, y)` reads the input at
    :math:`c + A (p - c)` with :math:`A = \begin{pmatrix} \cos\alpha & -\sin\alpha \\
    \sin\alpha & \cos\alpha \end{pmatrix}`. With ``align_corners=False`` a pixel index
    is :math:`x = ((g_x + 1) W - 1)/2`; substituting, and writing
    :math:`\delta = c - ((W - 1)/2, (H - 1)/2)` for the centre's offset from the
    middle of the image:

    .. math:: \theta = \begin{pmatrix} \cos\alpha & -\sin\alpha \, H/W &
              \tfrac{2}{W}(\delta_x - \cos\alpha\, \delta_x + \sin\alpha\, \delta_y) \\
              \sin\alpha \, W/H & \cos\alpha &
              \tfrac{2}{H}(\delta_y - \sin\alpha\, \delta_x - \cos\alpha\, \delta_y)
              \end{pmatrix}
    """
    alpha = np.deg2rad(angles)
    cos, sin = np.cos(alpha), np.sin(alpha)
    dx, dy = center[0] - (width - 1) / 2, center[1] - (height - 1) / 2
    theta = np.empty((len(angles), 2, 3))
    theta[:, 0, 0] = cos
    theta[:, 0, 1] = -sin * height / width
    theta[:, 0, 2] = 2 / width * (dx - cos * dx + sin * dy)
    theta[:, 1, 0] = sin * width / height
    theta[:, 1, 1] = cos
    theta[:, 1, 2] = 2 / height * (dy - sin * dx - cos * dy)
    return theta


def rotate(input_, angle, center=None, mode="bilinear", padding_mode="zeros"):
    r"""Rotate a batch of images by ``angle`` degrees about a centre, keeping their size.

    Positive angles turn the picture **counter-clockwise as it is shown** (row 0 at the
    top), as ``torchvision.transforms.functional.rotate`` and
    :class:`lucid.transforms.RandomRotation` do. Each output pixel
    :math:`p = (x, y)` (column, row) reads the input at the point the rotation carries
    onto it:

    .. math:: s = c + \begin{pmatrix} \cos\alpha & -\sin\alpha \\ \sin\alpha & \cos\alpha
              \end{pmatrix} (p - c)

    where :math:`\alpha` is the angle and :math:`c` the centre in pixel indices
    (default the middle of the image, :math:`((W-1)/2, (H-1)/2)`). The input is read at
    :math:`s` by :func:`grid_sample` (``align_corners=False``) on the grid of
    :func:`affine_grid` for this map, so ``mode`` chooses bilinear (the default) or
    nearest interpolation and ``padding_mode`` what the corners that come from outside
    the image read (0 by default).

    (The original lucid's ``rotate`` turned the other way, about :math:`(W/2, H/2)`,
    and read the pixel at the truncated, clamped index; lucid follows torchvision's
    direction and centre instead.)

    Shapes: ``(N, C, H, W)`` to ``(N, C, H, W)``.

    Backward: the gradient with respect to ``input_`` is that of :func:`grid_sample`
    (a scatter of the output gradient through the interpolation weights); ``angle`` and
    ``center`` are numbers and get none.

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, H, W)``, float32 or float64.
    angle : float or sequence of N floats
        Degrees, counter-clockwise; one for the whole batch or one per image.
    center : tuple (x, y) of floats, optional
        The fixed point, in pixel indices (``x`` the column, ``y`` the row).
    mode : {'bilinear', 'nearest'}, default 'bilinear'
        Interpolation.
    padding_mode : {'zeros', 'border', 'reflection'}, default 'zeros'
        What points outside the image read.

    Returns
    -------
    Tensor
        ``(N, C, H, W)``, the input's dtype.

    Raises
    ------
    TypeError
        A non-Tensor or non-float ``input_``; ``angle`` or ``center`` not numbers.
    ValueError
        ``input_`` not 4-D or with an empty spatial axis; not one angle per image; a
        non-finite angle or centre; an unknown ``mode`` or ``padding_mode``.

    Examples
    --------
    A quarter turn counter-clockwise is ``np.rot90``:

    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]])
    >>> print(F.rotate(x, 90.0, mode="nearest"))
    Tensor([[[[3.0, 6.0, 9.0], [2.0, 5.0, 8.0], [1.0, 4.0, 7.0]]]])

    Other angles interpolate; the corners partly come from outside the image and read
    0 there (``padding_mode="border"`` repeats the edge instead). The centre stays:

    >>> print(F.rotate(x, 45.0).round(2))
    Tensor([[[[1.17, 3.59, 3.51], [2.17, 5.0, 7.83], [2.34, 6.41, 4.69]]]])
    >>> print(F.rotate(x, 45.0, padding_mode="border").round(2))
    Tensor([[[[2.0, 3.59, 6.0], [2.17, 5.0, 7.83], [4.0, 6.41, 8.0]]]])
    """
    name = "rotate"
    input_ = float_tensor(input_, name, "input_")
    if input_.ndim != 4:
        raise ValueError(f"{name}: input_ must be 4-D (N, C, H, W); got shape {input_.shape}")
    mode = _choice(mode, MODES, name, "mode")
    padding_mode = _choice(padding_mode, PADDING_MODES, name, "padding_mode")
    n, c, height, width = input_.shape
    if height == 0 or width == 0:
        raise ValueError(f"{name}: input_ must have non-empty spatial axes; got shape "
                         f"{input_.shape}")
    angles = _angles(angle, n, name)
    centre = _center(center, height, width, name)
    theta = rotation_theta(angles, centre, height, width).astype(input_.dtype)
    grid = affine_grid(Tensor._wrap(theta), (n, c, height, width), align_corners=False)
    return grid_sample(input_, grid, mode=mode, padding_mode=padding_mode,
                       align_corners=False)
