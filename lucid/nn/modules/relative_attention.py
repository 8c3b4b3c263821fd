r"""Relative attention (CoAtNet): global self-attention over a whole feature map, with a
position bias learnt per relative offset.

CoAtNet (Dai et al., 2021) lets every position of an :math:`H \times W` map attend to
every other one, and adds to each score a learnt bias that depends only on the offset
between the two positions, :math:`(\Delta y, \Delta x) \in [-(H-1), H-1] \times
[-(W-1), W-1]`:

.. math::

    A_{ij} = \mathrm{softmax}_j\Big(\frac{q_i^T k_j}{\sqrt d} + \hat B[p_i - p_j]\Big)

The bias makes the attention *translation equivariant*, as a convolution is (the same
offset gets the same bias wherever it occurs), while the softmax over every position
keeps its *global* receptive field. This is the window attention of Swin
(:class:`~lucid.nn.WindowAttention`) with one window that covers the whole map, so
:class:`RelativeAttention` reuses its table, its index and its attention; it adds
an input width that may differ from the output width (CoAtNet widens the channels in
the first block of a stage, inside the attention).
"""
from lucid._tensor import Tensor
from lucid.nn.modules.attention import _positive_int
from lucid.nn.modules.linear import Linear
from lucid.nn.modules.window_attention import WindowAttention, _pair

__all__ = ["RelativeAttention"]


class RelativeAttention(WindowAttention):
    r"""Multi-head self-attention over a whole :math:`H \times W` map with a learnt
    relative position bias (CoAtNet's *relative attention*).

    With :math:`T = HW` tokens :math:`X \in \mathbb R^{T \times C_{in}}`, :math:`h` heads
    of size :math:`d = C/h`:

    .. math::

        [Q; K; V] = X W_{qkv}^T + b_{qkv},\qquad
        A = \mathrm{softmax}\Big(\frac{Q K^T}{\sqrt d} + B\Big),\qquad
        Y = (A V) W_{proj}^T + b_{proj}

    with :math:`W_{qkv} \in \mathbb R^{3C \times C_{in}}` (the rows of :math:`Q`, then
    :math:`K`, then :math:`V`, each head after head) and :math:`B_{ij} = \hat B[
    \mathrm{index}(p_i - p_j)]` read from ``relative_position_bias_table``
    (:math:`(2H-1)(2W-1) \times h`, :math:`\mathcal N(0, 0.02^2)` at the start), as in
    :class:`~lucid.nn.WindowAttention` with a window of the map's size. The map's size is
    fixed when the layer is built: the table has a row for every offset of that map.

    Shapes: input ``(N, H, W, in_dim)`` (channels last); output ``(N, H, W, dim)``.

    Backward: through the output projection, :math:`AV`, the softmax, :math:`QK^T` and
    the QKV projection; the table row of an offset receives the sum of the score
    gradients of every pair at that offset,
    :math:`\partial L/\partial \hat B_r = \sum_{(i,j):\,\mathrm{index}=r}
    \partial L / \partial B_{ij}`.

    Parameters
    ----------
    in_dim : int
        :math:`C_{in}`, the input width.
    dim : int
        :math:`C`, the width of the queries, keys, values and output.
    num_heads : int
        :math:`h`; must divide ``dim``.
    size : int or (int, int)
        :math:`(H, W)`, the size of the maps the layer attends over.
    qkv_bias : bool, default True
    attn_drop, proj_drop : float, default 0.0
        Dropout on the attention weights and on the output (training mode only).

    Raises
    ------
    TypeError, ValueError
        Bad sizes; in ``forward``, an input that is not ``(N, H, W, in_dim)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> attn = nn.RelativeAttention(in_dim=4, dim=8, num_heads=2, size=3)
    >>> attn(lucid.random.randn(2, 3, 3, 4)).shape
    (2, 3, 3, 8)
    >>> attn.relative_position_bias_table.shape         # (2*3-1)**2 offsets, 2 heads
    (25, 2)
    >>> attn.count_parameters()                # 4*24 + 24 + 25*2 + 8*8 + 8
    242
    """

    _name = "RelativeAttention"

    def __init__(self, in_dim, dim, num_heads, size, qkv_bias=True, attn_drop=0.0,
                 proj_drop=0.0):
        super(WindowAttention, self).__init__()       # Module's: _build needs in_dim first
        self.in_dim = _positive_int(self._name, "in_dim", in_dim)
        self.size = _pair(self._name, "size", size, 1)
        self._build(dim, num_heads, self.size, 0, qkv_bias, attn_drop, proj_drop)

    # registered in the order they are used: the projection, then the bias table
    def _define_position_bias(self):
        pass

    def _define_projections(self, qkv_bias):
        self.qkv = Linear(self.in_dim, 3 * self.dim, bias=qkv_bias)
        WindowAttention._define_position_bias(self)

    def forward(self, x):
        """Attend over the whole map ``x`` ``(N, H, W, in_dim)``."""
        h, w = self.size
        if not isinstance(x, Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != (h, w, self.in_dim):
            given = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"{self._name}: expected input of shape (N, {h}, {w}, "
                             f"{self.in_dim}); got {given}")
        n = x.shape[0]
        out = self._attend(x.reshape(n, h * w, self.in_dim), n, None)
        return out.reshape(n, h, w, self.dim)
