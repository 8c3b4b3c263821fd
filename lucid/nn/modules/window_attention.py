r"""Window attention (Swin Transformer): self-attention inside non-overlapping windows,
shifted windows, and position biases learnt per relative offset.

Global self-attention over an :math:`H \times W` map costs :math:`O((HW)^2)`. Swin
(Liu et al., 2021) cuts the map into :math:`M \times M` windows and lets each token
attend only to the :math:`M^2` tokens of its window: :math:`O(HW M^2)`. Windows do not
talk to each other, so every second layer *shifts* them by :math:`(\lfloor M/2 \rfloor,
\lfloor M/2 \rfloor)`: the map is rolled cyclically by :math:`-s` before the
partition and back after, and a mask keeps tokens that the roll brought together from
opposite borders from attending to each other (their score gets :math:`-100`, which
the softmax turns into 0).

Inside a window the score of query :math:`i` and key :math:`j` gets a bias that
depends only on their relative offset :math:`(\Delta y, \Delta x) \in [-(M-1), M-1]^2`:

* :class:`WindowAttention` (Swin V1) learns it as a table :math:`\hat B \in
  \mathbb R^{(2M-1)^2 \times h}` (*relative position bias*), read at the index of each
  pair;
* :class:`CosineWindowAttention` (Swin V2) computes it with a small MLP of the
  log-spaced offset, :math:`\hat{\Delta} = \mathrm{sign}(\Delta) \log_2(1 + 8|\Delta| /
  (M-1)) / 3` (*continuous position bias*), and scores by scaled cosine similarity.
"""
import math

import numpy as np

from lucid import clip, concatenate, exp, pad, roll
from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.containers import Sequential
from lucid.nn.module import Module
from lucid.nn.modules.activation import ReLU
from lucid.nn.modules.attention import _positive_int
from lucid.nn.modules.dropout import Dropout
from lucid.nn.modules.linear import Linear
from lucid.nn.parameter import Parameter

__all__ = ["WindowAttention", "CosineWindowAttention"]


def _pair(fname, arg, value, minimum):
    """An int or a pair of ints, each at least ``minimum`` -> a tuple of two ints."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                 for v in pair) or min(pair) < minimum:
        raise (TypeError if not all(isinstance(v, (int, np.integer)) for v in pair) else
               ValueError)(f"{fname}: {arg} must be an int >= {minimum} or a pair of them; "
                           f"got {value!r}")
    return tuple(int(v) for v in pair)


def relative_position_index(window_size):
    r"""``(M_h M_w, M_h M_w)`` int array: for tokens :math:`i, j` of a window (row-major),
    :math:`(\Delta y + M_h - 1)(2 M_w - 1) + (\Delta x + M_w - 1)` with
    :math:`\Delta = p_i - p_j`: the row of the bias table of their offset."""
    wh, ww = window_size
    ys, xs = np.meshgrid(np.arange(wh), np.arange(ww), indexing="ij")
    ys, xs = ys.reshape(-1), xs.reshape(-1)
    dy = ys[:, None] - ys[None, :] + wh - 1
    dx = xs[:, None] - xs[None, :] + ww - 1
    return dy * (2 * ww - 1) + dx


def shift_mask(size, window_size, shift_size):
    """``(windows, T, T)`` float32: 0 where two tokens of a shifted window came from the
    same region of the unrolled map, -100 where the cyclic roll brought them together."""
    (H, W), (wh, ww), (sh, sw) = size, window_size, shift_size
    region = np.zeros((H, W), np.float32)
    count = 0
    for h in ((0, H - wh), (H - wh, H - sh), (H - sh, H)):
        for w in ((0, W - ww), (W - ww, W - sw), (W - sw, W)):
            region[h[0]:h[1], w[0]:w[1]] = count
            count += 1
    region = region.reshape(H // wh, wh, W // ww, ww).transpose(0, 2, 1, 3).reshape(-1, wh * ww)
    return np.where(region[:, None, :] != region[:, :, None], -100.0, 0.0).astype(np.float32)


class WindowAttention(Module):
    r"""Multi-head self-attention within (shifted) windows, with a learnt relative
    position bias (Swin Transformer V1, W-MSA / SW-MSA).

    For each :math:`M_h \times M_w` window of the (rolled) map, with :math:`T = M_h M_w`
    tokens and :math:`h` heads of size :math:`d = C/h`:

    .. math::

        [Q; K; V] = X W_{qkv}^T + b_{qkv},\qquad
        A = \mathrm{softmax}\Big(\frac{Q K^T}{\sqrt d} + B + \mathrm{mask}\Big),\qquad
        Y = (A V) W_{proj}^T + b_{proj}

    where :math:`B_{ij} = \hat B[\mathrm{index}(p_i - p_j)]` is read from the learnt
    table ``relative_position_bias_table`` (:math:`(2M_h-1)(2M_w-1) \times h`,
    :math:`\mathcal N(0, 0.02^2)` at the start) and the mask is 0 or -100 (see
    :mod:`lucid.nn.modules.window_attention`). A map whose sides are not multiples of the
    window is padded with zeros at the bottom and right and cropped back; a side no
    larger than its window is not shifted.

    Shapes: input ``(N, H, W, C)`` (channels last); output the same.

    Backward: through the output projection, the products :math:`AV` and :math:`QK^T`,
    the softmax, and the QKV projection; the table receives the gradient of every score
    summed over the windows and pairs that read its row
    (:math:`\partial L/\partial \hat B_{r} = \sum_{(i,j):\,\mathrm{index}=r}
    \partial L / \partial B_{ij}`); the roll, partition and padding move gradients back
    to where their values came from.

    Parameters
    ----------
    dim : int
        :math:`C`.
    num_heads : int
        :math:`h`; must divide ``dim``.
    window_size : int or (int, int)
        :math:`M` (at least 1).
    shift_size : int or (int, int), default 0
        :math:`s` (0: plain windows); must be smaller than the window.
    qkv_bias : bool, default True
    attn_drop, proj_drop : float, default 0.0
        Dropout on the attention weights and on the output (training mode only).

    Raises
    ------
    TypeError, ValueError
        Bad sizes; in ``forward``, an input that is not ``(N, H, W, dim)``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> attn = nn.WindowAttention(dim=8, num_heads=2, window_size=2, shift_size=1)
    >>> attn(lucid.random.randn(3, 4, 4, 8)).shape
    (3, 4, 4, 8)
    >>> attn.relative_position_bias_table.shape        # (2*2-1)**2 offsets, 2 heads
    (9, 2)
    >>> attn.count_parameters()                # 8*24 + 24 + 8*8 + 8 + 9*2
    306
    """

    _name = "WindowAttention"

    def __init__(self, dim, num_heads, window_size, shift_size=0, qkv_bias=True, attn_drop=0.0,
                 proj_drop=0.0):
        super().__init__()
        self._build(dim, num_heads, window_size, shift_size, qkv_bias, attn_drop, proj_drop)

    def _build(self, dim, num_heads, window_size, shift_size, qkv_bias, attn_drop, proj_drop):
        name = self._name
        self.dim = _positive_int(name, "dim", dim)
        self.num_heads = _positive_int(name, "num_heads", num_heads)
        if dim % num_heads:
            raise ValueError(f"{name}: num_heads ({num_heads}) must divide dim ({dim})")
        self.window_size = _pair(name, "window_size", window_size, 1)
        self.shift_size = _pair(name, "shift_size", shift_size, 0)
        if any(s >= w for s, w in zip(self.shift_size, self.window_size)):
            raise ValueError(f"{name}: shift_size {self.shift_size} must be smaller than "
                             f"window_size {self.window_size}")
        self._define_position_bias()
        self._define_projections(qkv_bias)
        self.attn_drop = Dropout(attn_drop)
        self.proj = Linear(dim, dim)
        self.proj_drop = Dropout(proj_drop)
        self.register_buffer("relative_position_index",
                             relative_position_index(self.window_size), persistent=False)

    # --- the parts Swin V2 changes
    def _define_position_bias(self):
        wh, ww = self.window_size
        self.relative_position_bias_table = Parameter(
            np.zeros(((2 * wh - 1) * (2 * ww - 1), self.num_heads), np.float32))
        init.normal(self.relative_position_bias_table, std=0.02)

    def _define_projections(self, qkv_bias):
        self.qkv = Linear(self.dim, 3 * self.dim, bias=qkv_bias)

    def _project_qkv(self, x):
        return self.qkv(x)

    def _bias_table(self):
        """``((2M_h-1)(2M_w-1), h)``: the bias of each relative offset and head."""
        return self.relative_position_bias_table

    def _scores(self, q, k):
        return (q * (self.dim // self.num_heads) ** -0.5) @ k.swapaxes(-2, -1)

    # --- shared
    def position_bias(self):
        """``(h, T, T)``: the position bias of every pair of a window, per head."""
        t = self.window_size[0] * self.window_size[1]
        bias = self._bias_table()[self.relative_position_index.data.reshape(-1)]
        return rearrange(bias.reshape(t, t, self.num_heads), "i j h -> h i j")

    def forward(self, x):
        """Attend within the (shifted) windows of ``x`` ``(N, H, W, C)``."""
        if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[-1] != self.dim:
            given = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"{self._name}: expected input of shape (N, H, W, {self.dim}); "
                             f"got {given}")
        n, h, w, _ = x.shape
        (wh, ww), (sh, sw) = self.window_size, self.shift_size
        pad_b, pad_r = -h % wh, -w % ww
        if pad_b or pad_r:
            x = pad(x, ((0, 0), (0, pad_b), (0, pad_r), (0, 0)))
        H, W = h + pad_b, w + pad_r
        sh, sw = (0 if wh >= H else sh), (0 if ww >= W else sw)    # one window: no shift
        if sh or sw:
            x = roll(x, (-sh, -sw), axis=(1, 2))
        windows = rearrange(x, "n (a p) (b q) c -> (n a b) (p q) c", p=wh, q=ww)
        mask = shift_mask((H, W), (wh, ww), (sh, sw)) if (sh or sw) else None
        out = self._attend(windows, n, mask)
        x = rearrange(out, "(n a b) (p q) c -> n (a p) (b q) c", n=n, a=H // wh, p=wh, q=ww)
        if sh or sw:
            x = roll(x, (sh, sw), axis=(1, 2))
        return x[:, :h, :w] if (pad_b or pad_r) else x

    def _attend(self, windows, n, mask):
        """Self-attention of ``(N * windows, T, C)`` tokens."""
        qkv = rearrange(self._project_qkv(windows), "b t (k h d) -> k b h t d", k=3,
                        h=self.num_heads)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = self._scores(q, k) + self.position_bias()
        if mask is not None:
            b, heads, t, _ = scores.shape
            scores = (scores.reshape(n, b // n, heads, t, t)
                      + Tensor(mask.astype(scores.dtype)).reshape(1, b // n, 1, t, t))
            scores = scores.reshape(b, heads, t, t)
        attn = self.attn_drop(F.softmax(scores, axis=-1))
        return self.proj_drop(self.proj(rearrange(attn @ v, "b h t d -> b t (h d)")))


class CosineWindowAttention(WindowAttention):
    r"""Window attention of Swin Transformer V2: scaled cosine attention and a continuous,
    log-spaced relative position bias.

    .. math::

        A = \mathrm{softmax}\Big(\frac{\hat Q \hat K^T}{1}\cdot
            e^{\min(\tau_h, \log 100)} + 16\,\sigma(B) + \mathrm{mask}\Big),\qquad
        \hat Q = \frac{Q}{\lVert Q \rVert},\ \hat K = \frac{K}{\lVert K \rVert}

    per head :math:`h`, with the learnt ``logit_scale`` :math:`\tau` (``(h, 1, 1)``,
    :math:`\log 10` at the start). The bias of offset :math:`\Delta` is
    :math:`B = \mathrm{MLP}(\hat\Delta)`, ``cpb_mlp`` = Linear(2, 512), ReLU,
    Linear(512, h, no bias), of the log-spaced offset

    .. math:: \hat\Delta = \mathrm{sign}(\Delta)\,
              \frac{\log_2\big(1 + 8\,|\Delta| / (M - 1)\big)}{3}

    (the ``relative_coords_table`` buffer, ``(2M_h-1, 2M_w-1, 2)``). The QKV projection
    has no bias of its own: ``q_bias`` and ``v_bias`` (zeros at the start) are learnt
    and the keys get none. Windows, shifts, masks and padding are as in
    :class:`WindowAttention`.

    Shapes: input ``(N, H, W, C)``; output the same.

    Backward: as :class:`WindowAttention`, with the normalisation's Jacobian
    :math:`(I - \hat q \hat q^T)/\lVert q \rVert`; the scale receives
    :math:`e^{\tau}\sum (\hat Q \hat K^T) \odot G` while :math:`\tau < \log 100` (0 beyond,
    where it is clipped); the bias MLP receives :math:`16\sigma(B)(1-\sigma(B))` times
    the score gradients summed per offset.

    Parameters
    ----------
    dim, num_heads, window_size, shift_size, attn_drop, proj_drop
        As :class:`WindowAttention`.
    qkv_bias : bool, default True
        Learn ``q_bias`` and ``v_bias``.
    cpb_hidden : int, default 512
        The hidden size of the position-bias MLP.

    Raises
    ------
    TypeError, ValueError
        As :class:`WindowAttention`.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> attn = nn.CosineWindowAttention(dim=8, num_heads=2, window_size=2, cpb_hidden=16)
    >>> attn(lucid.random.randn(1, 4, 6, 8)).shape
    (1, 4, 6, 8)
    >>> [name for name, _ in attn.named_parameters()][:4]
    ['logit_scale', 'q_bias', 'v_bias', 'cpb_mlp.0.weight']
    >>> attn.count_parameters()         # 2 + (2*16 + 16 + 16*2) + 8*24 + 2*8 + 8*8 + 8
    362
    """

    _name = "CosineWindowAttention"

    def __init__(self, dim, num_heads, window_size, shift_size=0, qkv_bias=True, attn_drop=0.0,
                 proj_drop=0.0, cpb_hidden=512):
        Module.__init__(self)
        self._cpb_hidden = _positive_int(self._name, "cpb_hidden", cpb_hidden)
        self._build(dim, num_heads, window_size, shift_size, qkv_bias, attn_drop, proj_drop)

    def _define_position_bias(self):
        self.logit_scale = Parameter(np.full((self.num_heads, 1, 1), math.log(10.0), np.float32))
        self.cpb_mlp = Sequential(Linear(2, self._cpb_hidden), ReLU(),
                                  Linear(self._cpb_hidden, self.num_heads, bias=False))
        wh, ww = self.window_size
        dy, dx = np.meshgrid(np.arange(1 - wh, wh, dtype=np.float32),
                             np.arange(1 - ww, ww, dtype=np.float32), indexing="ij")
        table = np.stack([dy / max(wh - 1, 1), dx / max(ww - 1, 1)], axis=-1) * 8
        table = np.sign(table) * np.log2(np.abs(table) + 1.0) / 3.0
        self.register_buffer("relative_coords_table", table.astype(np.float32),
                             persistent=False)

    def _define_projections(self, qkv_bias):
        self.qkv = Linear(self.dim, 3 * self.dim, bias=False)
        self.q_bias = Parameter(np.zeros(self.dim, np.float32)) if qkv_bias else None
        self.v_bias = Parameter(np.zeros(self.dim, np.float32)) if qkv_bias else None

    def _project_qkv(self, x):
        if self.q_bias is None:
            return self.qkv(x)
        zeros = Tensor(np.zeros(self.dim, self.q_bias.dtype))
        return F.linear(x, self.qkv.weight, concatenate([self.q_bias, zeros, self.v_bias]))

    def _bias_table(self):
        coords = self.relative_coords_table
        table = self.cpb_mlp(Tensor(coords.data.astype(self.logit_scale.dtype)))
        return 16 * F.sigmoid(table.reshape(-1, self.num_heads))

    def _scores(self, q, k):
        q, k = F.normalize(q, axis=-1), F.normalize(k, axis=-1)
        scale = exp(clip(self.logit_scale, max_value=math.log(100.0)))
        return (q @ k.swapaxes(-2, -1)) * scale
