r"""Grid attention (MaxViT): self-attention among tokens spread over the whole map on a
regular grid, with a learnt relative position bias.

MaxViT (Tu et al., 2022) attends along two axes in turn. *Block* attention is Swin's
window attention without shifts: each token sees the :math:`G \times G` tokens of its
local window. *Grid* attention lays a :math:`G \times G` grid over the whole map: for an
:math:`H \times W` map the tokens of one group are

.. math:: \{x_{p\,(H/G) + a,\ q\,(W/G) + b} : 0 \le p, q < G\}

for a fixed offset :math:`(a, b)`, :math:`0 \le a < H/G`, :math:`0 \le b < W/G`: tokens
:math:`H/G` rows and :math:`W/G` columns apart, so each group sees the whole image
sparsely (global mixing at the cost of local attention, :math:`O(HW G^2)`).

A grid group is a window of the map with its rows and columns interleaved: moving row
:math:`p\,(H/G) + a` to row :math:`a G + p` (and the columns alike) puts each group in one
:math:`G \times G` window, in the order :math:`(p, q)`. :class:`GridAttention` does
exactly that: it interleaves, runs :class:`~lucid.nn.WindowAttention` with window
:math:`G`, and interleaves back. The relative position bias then depends on the grid
offset :math:`(p_i - p_j, q_i - q_j)`, as in the paper.
"""
from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.nn.modules.window_attention import WindowAttention

__all__ = ["GridAttention"]


class GridAttention(WindowAttention):
    r"""Multi-head self-attention within the groups of a :math:`G \times G` grid spread
    over the map, with a learnt relative position bias (MaxViT's grid attention).

    For each group (see :mod:`lucid.nn.modules.grid_attention`), with :math:`T = G_h G_w`
    tokens, :math:`h` heads of size :math:`d = C/h` and grid offsets :math:`(p, q)`:

    .. math::

        [Q; K; V] = X W_{qkv}^T + b_{qkv},\qquad
        A = \mathrm{softmax}\Big(\frac{Q K^T}{\sqrt d} + B\Big),\qquad
        Y = (A V) W_{proj}^T + b_{proj}

    with :math:`B_{ij} = \hat B[\mathrm{index}(p_i - p_j, q_i - q_j)]` read from the
    learnt table ``relative_position_bias_table`` (:math:`(2G_h-1)(2G_w-1) \times h`,
    :math:`\mathcal N(0, 0.02^2)` at the start). It is :class:`~lucid.nn.WindowAttention`
    (window :math:`G`, no shift) on the map with rows and columns interleaved:

    .. math:: x'_{aG + p,\ bG + q} = x_{p (H/G) + a,\ q (W/G) + b}

    The sides of the map must be multiples of the grid.

    Shapes: input ``(N, H, W, C)`` (channels last); output the same.

    Backward: as :class:`~lucid.nn.WindowAttention`; the interleaving is a permutation,
    which sends each gradient back to its token.

    Parameters
    ----------
    dim : int
        :math:`C`.
    num_heads : int
        :math:`h`; must divide ``dim``.
    grid_size : int or (int, int)
        :math:`G` (at least 1): the number of tokens per group along each side.
    qkv_bias : bool, default True
    attn_drop, proj_drop : float, default 0.0
        Dropout on the attention weights and on the output (training mode only).

    Raises
    ------
    TypeError, ValueError
        Bad sizes; in ``forward``, an input that is not ``(N, H, W, dim)`` or whose sides
        are not multiples of the grid.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> attn = nn.GridAttention(dim=8, num_heads=2, grid_size=2)
    >>> attn(lucid.random.randn(3, 4, 6, 8)).shape
    (3, 4, 6, 8)
    >>> attn.grid_size, attn.relative_position_bias_table.shape
    ((2, 2), (9, 2))
    >>> attn.count_parameters()                # 8*24 + 24 + 8*8 + 8 + 9*2
    306
    """

    _name = "GridAttention"

    def __init__(self, dim, num_heads, grid_size, qkv_bias=True, attn_drop=0.0, proj_drop=0.0):
        super().__init__(dim, num_heads, grid_size, 0, qkv_bias, attn_drop, proj_drop)

    @property
    def grid_size(self):
        """:math:`(G_h, G_w)`: tokens per group along each side (the window of the
        interleaved map)."""
        return self.window_size

    def forward(self, x):
        """Attend within the grid groups of ``x`` ``(N, H, W, C)``."""
        if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[-1] != self.dim:
            given = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"{self._name}: expected input of shape (N, H, W, {self.dim}); "
                             f"got {given}")
        (gh, gw), (h, w) = self.grid_size, x.shape[1:3]
        if h % gh or w % gw:
            raise ValueError(f"{self._name}: the map's sides must be multiples of grid_size "
                             f"{self.grid_size}; got {h} x {w}")
        x = rearrange(x, "n (p a) (q b) c -> n (a p) (b q) c", p=gh, q=gw)
        x = super().forward(x)
        return rearrange(x, "n (a p) (b q) c -> n (p a) (q b) c", p=gh, q=gw)
