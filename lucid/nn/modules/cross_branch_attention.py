r"""Cross-attention between the branches of a multi-scale vision transformer (CrossViT,
Chen et al., 2021).

CrossViT runs two Transformer branches side by side on the same image, one on small
patches and one on large ones. To exchange what they learnt, the *class token* of each
branch visits the other branch: it is projected to the other branch's width, attends
(as the only query) to that branch's patch tokens and itself, and is projected back.
Only one query per branch, so the exchange costs :math:`O(L)` instead of the
:math:`O(L^2)` of self-attention over both branches' tokens.
"""
from lucid import concatenate
from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.nn import functional as F
from lucid.nn.containers import Sequential
from lucid.nn.module import Module
from lucid.nn.modules.activation import GELU
from lucid.nn.modules.attention import _positive_int
from lucid.nn.modules.dropout import Dropout, DropPath
from lucid.nn.modules.linear import Identity, Linear
from lucid.nn.modules.norm import LayerNorm

__all__ = ["CrossBranchAttention"]


def _projection(dim_in, dim_out, eps):
    """LayerNorm, GELU, Linear(dim_in, dim_out): CrossViT's projection of a class token."""
    return Sequential(LayerNorm(dim_in, eps=eps), GELU(), Linear(dim_in, dim_out))


class CrossBranchAttention(Module):
    r"""The class token of one branch attends to the patch tokens of another (CrossViT).

    With the tokens of this branch :math:`X = [x_{cls}; X_p]` (width :math:`C`) and of
    the other branch :math:`Y = [y_{cls}; Y_p]` (width :math:`C'`), :math:`h` heads of
    size :math:`d = C'/h`:

    .. math::

        c = f(x_{cls}),\qquad f(u) = W_f\,\mathrm{GELU}(\mathrm{LN}_f(u)) + b_f
        \quad (C \to C')

        Z = \mathrm{LN}([c;\ Y_p]),\qquad q = Z_0 W_q^T,\quad K = Z W_k^T,\quad
        V = Z W_v^T

        c' = c + \mathrm{softmax}\Big(\frac{q K^T}{\sqrt d}\Big) V\, W_o^T + b_o
        \qquad \text{(per head)}

        \mathrm{out} = [g(c');\ X_p],\qquad g(u) = W_g\,\mathrm{GELU}(\mathrm{LN}_g(u))
        + b_g \quad (C' \to C)

    The query is the projected class token alone; keys and values are it and the other
    branch's patch tokens (not its class token). The patch tokens of this branch pass
    unchanged. ``project_in`` is :math:`f`, ``norm``, ``q``, ``k``, ``v``, ``proj`` the
    attention, ``project_out`` is :math:`g` (timm's ``projs``, ``fusion`` and
    ``revert_projs``).

    Shapes: ``x`` ``(N, 1 + L, dim)`` and ``other`` ``(N, 1 + M, other_dim)``; output
    ``(N, 1 + L, dim)``.

    Backward: the output's class token back through :math:`g`, the residual (the
    identity plus the attention branch), the softmax and the four projections, then
    :math:`f` to :math:`x_{cls}`; :math:`Y_p` receives gradients through the keys and
    values; the patch tokens of ``x`` get theirs unchanged, ``other``'s class token none.

    Parameters
    ----------
    dim : int
        :math:`C`, this branch's width.
    other_dim : int
        :math:`C'`, the other branch's width (the attention runs at this width).
    num_heads : int
        :math:`h`; must divide ``other_dim``.
    qkv_bias : bool, default True
        Biases in :math:`W_q, W_k, W_v`.
    attn_drop, proj_drop : float, default 0.0
        Dropout on the attention weights and after :math:`W_o`.
    drop_path : float, default 0.0
        Stochastic depth on the attention branch of the residual.
    eps : float, default 1e-6
        Of the three LayerNorms.

    Raises
    ------
    TypeError, ValueError
        Sizes that are not positive ints, ``num_heads`` not dividing ``other_dim``; in
        ``forward``, tokens that are not ``(N, 1 + L, dim)`` and ``(N, 1 + M,
        other_dim)`` with the same ``N``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> fuse = nn.CrossBranchAttention(dim=4, other_dim=8, num_heads=2)
    >>> small = lucid.random.randn(2, 1 + 16, 4)       # class token + 16 patches
    >>> large = lucid.random.randn(2, 1 + 4, 8)        # class token + 4 patches
    >>> out = fuse(small, large)
    >>> out.shape
    (2, 17, 4)
    >>> bool((out[:, 1:] == small[:, 1:]).all())       # only the class token changes
    True
    >>> fuse.count_parameters()    # f: 8 + 4*8 + 8; q, k, v, o: 4*(8*8 + 8); LN: 16; g: 16 + 8*4 + 4
    404
    """

    def __init__(self, dim, other_dim, num_heads, qkv_bias=True, attn_drop=0.0, proj_drop=0.0,
                 drop_path=0.0, eps=1e-6):
        super().__init__()
        name = "CrossBranchAttention"
        self.dim = _positive_int(name, "dim", dim)
        self.other_dim = _positive_int(name, "other_dim", other_dim)
        self.num_heads = _positive_int(name, "num_heads", num_heads)
        if other_dim % num_heads:
            raise ValueError(f"{name}: num_heads ({num_heads}) must divide other_dim "
                             f"({other_dim})")
        self.project_in = _projection(dim, other_dim, eps)
        self.norm = LayerNorm(other_dim, eps=eps)
        self.q = Linear(other_dim, other_dim, bias=qkv_bias)
        self.k = Linear(other_dim, other_dim, bias=qkv_bias)
        self.v = Linear(other_dim, other_dim, bias=qkv_bias)
        self.attn_drop = Dropout(attn_drop)
        self.proj = Linear(other_dim, other_dim)
        self.proj_drop = Dropout(proj_drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else Identity()
        self.project_out = _projection(other_dim, dim, eps)

    def _check(self, x, other):
        name = "CrossBranchAttention"
        for arg, t, width in (("x", x, self.dim), ("other", other, self.other_dim)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}: {arg} must be a Tensor; got {type(t).__name__}")
            if t.ndim != 3 or t.shape[-1] != width or t.shape[1] < 2:
                raise ValueError(f"{name}: expected {arg} of shape (N, 1 + L, {width}) with "
                                 f"L >= 1 (a class token, then patches); got {t.shape}")
        if x.shape[0] != other.shape[0]:
            raise ValueError(f"{name}: x and other must have the same batch size; got "
                             f"{x.shape[0]} and {other.shape[0]}")

    def forward(self, x, other):
        """Return ``x`` with its class token replaced by the one that visited ``other``."""
        self._check(x, other)
        heads = self.num_heads
        cls = self.project_in(x[:, :1])                                  # (N, 1, C')
        z = self.norm(concatenate([cls, other[:, 1:]], axis=1))          # (N, 1 + M, C')
        q = rearrange(self.q(z[:, :1]), "n l (h d) -> n h l d", h=heads)
        k = rearrange(self.k(z), "n m (h d) -> n h m d", h=heads)
        v = rearrange(self.v(z), "n m (h d) -> n h m d", h=heads)
        scores = (q * (self.other_dim // heads) ** -0.5) @ k.swapaxes(-2, -1)   # (N, h, 1, M+1)
        attn = self.attn_drop(F.softmax(scores, axis=-1))
        y = self.proj_drop(self.proj(rearrange(attn @ v, "n h l d -> n l (h d)")))
        cls = cls + self.drop_path(y)
        return concatenate([self.project_out(cls), x[:, 1:]], axis=1)
