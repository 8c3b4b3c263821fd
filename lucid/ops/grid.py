r"""Spatial transformers as autograd Functions: affine sampling grids and grid sampling.

A *sampling grid* says, for every output point, where to read the input. Its entries
are **normalised coordinates**: :math:`-1` is the left (top, front) edge of the input
and :math:`+1` the right (bottom, back) edge, whatever the input's size. The last axis
of a grid holds :math:`(x, y)` in 2-D and :math:`(x, y, z)` in 3-D: :math:`x` runs
along the *last* input axis (the width), :math:`y` along the one before (the height),
:math:`z` along the depth.

* :class:`AffineGrid` makes the grid of an affine map,
  :math:`g = \theta\,(x_t, y_t, 1)^\top` for every output point :math:`(x_t, y_t)`.
* :class:`GridSample` reads the input at the grid's points, by bilinear (trilinear in
  3-D) or nearest interpolation, with one of three rules for points outside it.

Unnormalisation, for an axis of ``size`` pixels (:func:`source_index`):

.. math:: i = \frac{g + 1}{2}\,(\text{size} - 1) \quad\text{(align\_corners)}, \qquad
          i = \frac{g + 1}{2}\,\text{size} - \frac{1}{2} \quad\text{(otherwise)}

With ``align_corners`` the edges :math:`\pm 1` are the *centres* of the corner pixels;
without it they are the outer *edges* of the corner pixels.

The gradient with respect to the input scatters each output gradient back to the pixels
it was read from, weighted by the interpolation weights: the scatter-add kernel family
(:mod:`lucid._ext.scatter`, both twins) through
:func:`lucid.ops.index.scatter_add_rows`. The gradient with respect to the grid is the
derivative of the interpolation weights (see :class:`GridSample`).

These Functions take checked arguments; :mod:`lucid.nn.functional.vision` checks user
input first.
"""
import itertools

import numpy as np

from lucid._ext._blas import matmul as blas_matmul
from lucid.autograd.function import Function
from lucid.ops.index import scatter_add_rows

__all__ = []  # Functions only; the public functions live in lucid.nn.functional.vision


# ------------------------------------------------------------------ coordinates
def normalised_positions(n, align_corners, dtype):
    r"""The normalised coordinates of the ``n`` pixel centres along one axis.

    ``align_corners``: ``-1, ..., 1`` evenly spaced (the corner pixels' centres sit on
    the edges). Otherwise the same points scaled by ``(n - 1) / n``, i.e.
    :math:`(2 i + 1) / n - 1` (the corner pixels' outer edges sit on :math:`\pm 1`).
    One pixel sits at 0.
    """
    if n <= 1:
        return np.zeros(n, dtype=dtype)
    positions = np.linspace(-1.0, 1.0, n).astype(dtype)
    if not align_corners:
        positions = positions * (n - 1) / n
    return positions


def base_grid(spatial, align_corners, dtype):
    r"""Homogeneous normalised coordinates of every output point: shape
    ``(*spatial, k + 1)`` holding :math:`(x, y, 1)` (2-D) or :math:`(x, y, z, 1)` (3-D),
    where ``spatial`` is ``(H, W)`` or ``(D, H, W)``."""
    axes = [normalised_positions(n, align_corners, dtype) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")          # one array per axis: D, H, W order
    coords = list(mesh[::-1]) + [np.ones(tuple(spatial), dtype=dtype)]   # x (width) first
    return np.stack(coords, axis=-1)


def _reflect(i, low, high):
    r"""Fold :math:`i` back into :math:`[low, high]` by mirroring at both ends (as many
    times as needed). Returns the folded value and :math:`d(\text{folded})/di = \pm 1`."""
    span = high - low
    if span <= 0:
        return np.zeros_like(i), np.zeros_like(i)
    sign = np.where(i < low, -1, 1).astype(i.dtype)
    distance = np.abs(i - low)                        # how far past the low end
    extra = np.fmod(distance, span)
    flips = np.floor(distance / span)
    odd = (flips % 2) == 1
    folded = np.where(odd, span - extra + low, extra + low).astype(i.dtype)
    sign = np.where(odd, -sign, sign).astype(i.dtype)
    return folded, sign


def source_index(g, size, padding_mode, align_corners):
    r"""Pixel index :math:`i` (a real number) read for normalised coordinate :math:`g`,
    and :math:`di/dg`.

    Unnormalise (see the module docstring), then apply the padding mode:

    * ``zeros``: keep :math:`i`; pixels outside the input read 0 (done by the caller);
    * ``border``: clip :math:`i` to :math:`[0, \text{size} - 1]` (the derivative is 0
      where the clip is active);
    * ``reflection``: mirror :math:`i` at the edges — at the corner pixels' centres
      :math:`0, \text{size} - 1` with ``align_corners``, at their outer edges
      :math:`-\tfrac12, \text{size} - \tfrac12` otherwise — then clip as ``border``.
    """
    if align_corners:
        scale = (size - 1) / 2
        i = (g + 1) * scale
    else:
        scale = size / 2
        i = (g + 1) * scale - 0.5
    di = np.full(g.shape, scale, dtype=g.dtype)
    if padding_mode == "reflection":
        if align_corners:
            i, sign = _reflect(i, 0.0, size - 1.0)
        else:
            i, sign = _reflect(i, -0.5, size - 0.5)
        di = di * sign
    if padding_mode in ("border", "reflection"):
        di = di * ((i > 0) & (i < size - 1))
        i = np.clip(i, 0, size - 1).astype(g.dtype)
    # far outside the input every neighbour is outside too: clip so the integer casts
    # below cannot overflow (this does not move any point that reads the input)
    i = np.clip(i, -2, size + 1).astype(g.dtype)
    return i, di


def _corners(index, sizes, mode):
    r"""The input pixels read for each output point, with their interpolation weights.

    ``index`` holds one array of real pixel indices per input spatial axis (D, H, W
    order), each of shape ``(N, *out)``. Returns a list with one entry per pixel read
    (2^k for bilinear/trilinear, 1 for nearest): ``(pixel, inside, weight, dweight)``
    where ``pixel`` are the integer indices per axis (clipped into the input so they can
    be used to index; ``inside`` says which were really inside), ``weight`` is the
    interpolation weight and ``dweight[d]`` its derivative with respect to ``index[d]``.

    Bilinear: with :math:`i_0 = \lfloor i \rfloor` and :math:`t = i - i_0` per axis,
    corner :math:`b \in \{0, 1\}^k` is the pixel :math:`i_0 + b` with weight
    :math:`w_b = \prod_d (t_d \text{ if } b_d = 1 \text{ else } 1 - t_d)`.
    """
    if mode == "nearest":
        pixel = [np.rint(i).astype(np.int64) for i in index]
        return [_corner(pixel, sizes, np.ones_like(index[0]), None)]
    low = [np.floor(i) for i in index]
    frac = [i - lo for i, lo in zip(index, low)]
    low = [lo.astype(np.int64) for lo in low]
    corners = []
    for b in itertools.product((0, 1), repeat=len(index)):
        factors = [t if bit else 1 - t for t, bit in zip(frac, b)]
        weight = np.prod(factors, axis=0)
        dweight = []
        for d, bit in enumerate(b):
            others = [f for e, f in enumerate(factors) if e != d]
            rest = np.prod(others, axis=0) if others else np.ones_like(weight)
            dweight.append(rest if bit else -rest)
        pixel = [lo + bit for lo, bit in zip(low, b)]
        corners.append(_corner(pixel, sizes, weight, dweight))
    return corners


def _corner(pixel, sizes, weight, dweight):
    inside = np.ones(weight.shape, dtype=bool)
    for p, n in zip(pixel, sizes):
        inside &= (p >= 0) & (p < n)
    pixel = [np.clip(p, 0, n - 1) for p, n in zip(pixel, sizes)]
    return pixel, inside, weight, dweight


def _rows(pixel, sizes):
    """Row of each pixel in the channels-last input ``(N * prod(sizes), C)``."""
    n_pixels = int(np.prod(sizes))
    batch = np.arange(pixel[0].shape[0], dtype=np.int64).reshape((-1,) + (1,) * (pixel[0].ndim - 1))
    return (batch * n_pixels + np.ravel_multi_index(pixel, sizes)).reshape(-1)


def _channels_last(x):
    """``(N, C, *S)`` -> rows ``(N * prod(S), C)``: one row of channels per pixel."""
    return np.ascontiguousarray(np.moveaxis(x, 1, -1)).reshape(-1, x.shape[1])


# ------------------------------------------------------------------------ Functions
class AffineGrid(Function):
    r"""``grid[n, p] = theta[n] @ (x_p, y_p[, z_p], 1)``; ``dL/dtheta[n] = sum_p
    dL/dgrid[n, p] (x_p, y_p[, z_p], 1)^T`` (an outer product summed over points)."""

    @staticmethod
    def forward(ctx, theta, spatial=None, align_corners=False):
        base = base_grid(spatial, align_corners, theta.dtype)     # (*spatial, k + 1)
        ctx.base = base.reshape(-1, base.shape[-1])               # (P, k + 1)
        grid = blas_matmul(ctx.base, theta.transpose(0, 2, 1))      # (N, P, k)
        return grid.reshape((theta.shape[0],) + tuple(spatial) + (theta.shape[1],))

    @staticmethod
    def backward(ctx, grad):
        n, k = grad.shape[0], grad.shape[-1]
        return blas_matmul(grad.reshape(n, -1, k).transpose(0, 2, 1), ctx.base)

    @staticmethod
    def flops(ctx, out, *inputs):
        return int(2 * out.size * ctx.base.shape[-1])


class GridSample(Function):
    r"""``y[n, c, p] = sum_b w_b(i(grid[n, p])) x[n, c, pixel_b]`` (see the module
    docstring and :func:`_corners`).

    Backward, with :math:`\bar y = \partial L/\partial y`:

    * input: :math:`\partial L/\partial x[n, c, q] = \sum_{p, b:\, \text{pixel}_b = q}
      w_b\, \bar y[n, c, p]` — a scatter-add of the weighted gradients;
    * grid (bilinear only; nearest gives 0): for the coordinate along axis :math:`d`,
      :math:`\partial L/\partial g_d = \frac{di_d}{dg_d} \sum_b \frac{\partial w_b}
      {\partial i_d} \sum_c \bar y[n, c, p]\, x[n, c, \text{pixel}_b]`.
    """

    @staticmethod
    def forward(ctx, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
        sizes = x.shape[2:]                                        # D, H, W order
        k = len(sizes)
        index, dindex = [], []
        for d, size in enumerate(sizes):                           # grid[..., k-1-d] is axis d
            i, di = source_index(grid[..., k - 1 - d], size, padding_mode, align_corners)
            index.append(i)
            dindex.append(di)
        corners = _corners(index, sizes, mode)
        rows_x = _channels_last(x)
        out = np.zeros((grid[..., 0].size, x.shape[1]), dtype=x.dtype)
        for pixel, inside, weight, _ in corners:
            rows = _rows(pixel, sizes)
            w = (weight * inside).reshape(-1, 1)
            out += w * rows_x[rows]
        ctx.sizes, ctx.mode, ctx.dindex, ctx.corners = sizes, mode, dindex, corners
        ctx.x_shape, ctx.rows_x = x.shape, rows_x
        out = out.reshape(grid.shape[:-1] + (x.shape[1],))
        return np.ascontiguousarray(np.moveaxis(out, -1, 1))

    @staticmethod
    def backward(ctx, grad):
        sizes, k = ctx.sizes, len(ctx.sizes)
        rows_grad = _channels_last(grad)                           # (N * P_out, C)
        dx = dgrid = None
        if ctx.needs_input_grad[0]:
            values, targets = [], []
            for pixel, inside, weight, _ in ctx.corners:
                keep = inside.reshape(-1)
                values.append(weight.reshape(-1, 1)[keep] * rows_grad[keep])
                targets.append(_rows(pixel, sizes)[keep])
            n_rows = ctx.rows_x.shape[0]
            dx_rows = scatter_add_rows(np.concatenate(values), np.concatenate(targets), n_rows)
            n, c = ctx.x_shape[:2]
            dx = np.moveaxis(dx_rows.reshape((n,) + tuple(sizes) + (c,)), -1, 1)
        if ctx.needs_input_grad[1]:
            out_shape = ctx.dindex[0].shape
            dgrid = np.zeros(out_shape + (k,), dtype=grad.dtype)
            if ctx.mode == "bilinear":
                for pixel, inside, _, dweight in ctx.corners:
                    # sum over channels of grad * the pixel's value, 0 for pixels outside
                    read = (rows_grad * ctx.rows_x[_rows(pixel, sizes)]).sum(axis=1)
                    read = read.reshape(out_shape) * inside
                    for d in range(k):
                        dgrid[..., k - 1 - d] += dweight[d] * read
                for d in range(k):
                    dgrid[..., k - 1 - d] *= ctx.dindex[d]
        return dx, dgrid

    @staticmethod
    def flops(ctx, out, *inputs):
        return int(2 * out.size * len(ctx.corners))
