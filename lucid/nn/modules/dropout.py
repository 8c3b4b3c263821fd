r"""Dropout layers: ``Dropout``, ``Dropout1d/2d/3d``, ``AlphaDropout``, ``DropBlock`` and
``DropPath``.

Each holds its drop probability and calls its function of
:mod:`lucid.nn.functional.dropout` with ``training=self.training``: in training mode
a random mask (drawn from :func:`lucid.random.generator`, so
:func:`lucid.random.seed` repeats it) zeros part of the input and rescales the rest; in
evaluation mode (``model.eval()``) the layer returns its input unchanged. ``inplace``
is accepted for PyTorch compatibility; lucid never overwrites the input.
"""
from lucid.nn import functional as F
from lucid._checks import check_bool, check_int, check_number
from lucid.nn.functional._layer_args import flag_arg, probability
from lucid.nn.module import Module
from lucid.nn.modules._checks import layer_input, tensor_input

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "DropBlock",
           "DropPath"]


class _DropoutNd(Module):
    """``p`` and ``inplace``, checked when the layer is made; PyTorch's repr."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        name = type(self).__name__
        self.p = probability(p, name)
        self.inplace = flag_arg(inplace, name, "inplace")

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    r"""Zero each element with probability ``p`` in training mode; scale the rest by
    :math:`1/(1 - p)`.

    .. math:: y_i = \frac{m_i x_i}{1 - p}, \qquad m_i \sim \mathrm{Bernoulli}(1 - p)

    In evaluation mode :math:`y = x`. Shapes: any. Backward:
    :math:`\partial L/\partial x_i = g_i m_i / (1 - p)` (see
    :func:`lucid.nn.functional.dropout`).

    Parameters
    ----------
    p : float, default 0.5
        In [0, 1].
    inplace : bool, default False
        Accepted for PyTorch compatibility.

    Raises
    ------
    TypeError, ValueError
        ``p`` not a number in [0, 1].

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> drop = nn.Dropout(p=0.5)
    >>> drop
    Dropout(p=0.5, inplace=False)
    >>> lucid.random.seed(0)
    >>> sorted(set(drop(lucid.ones(10)).data.tolist()))
    [0.0, 2.0]
    >>> print(drop.eval()(lucid.ones(3)))
    Tensor([1.0, 1.0, 1.0])
    """

    def forward(self, x):
        """Drop elements of ``x`` (training mode) or return it (evaluation mode)."""
        return F.dropout(tensor_input("Dropout", x), self.p, self.training)


class _ChannelDropout(_DropoutNd):
    _d = 1

    def forward(self, x):
        """Drop whole channels of ``x`` (``(N, C, *S)`` or ``(C, *S)``) in training mode."""
        layer_input(type(self).__name__, x, self._d)
        fn = (F.dropout1d, F.dropout2d, F.dropout3d)[self._d - 1]
        return fn(x, self.p, self.training)


_CHANNEL_DOC = r"""Zero whole channels with probability ``p`` in training mode; scale the rest
    by :math:`1/(1 - p)`.

    .. math:: y_{{n,c}} = \frac{{m_{{n,c}}\, x_{{n,c}}}}{{1 - p}}, \qquad
              m_{{n,c}} \sim \mathrm{{Bernoulli}}(1 - p)

    one draw per (sample, channel), shared by its {what} positions. Evaluation mode:
    :math:`y = x`. Shapes: ``(N, C, {space})`` or ``(C, {space})``. Backward:
    :math:`\partial L/\partial x = g\, m_{{n,c}}/(1 - p)` (see
    :func:`lucid.nn.functional.dropout{d}d`).

    Parameters
    ----------
    p : float, default 0.5
    inplace : bool, default False
        Accepted for PyTorch compatibility.

    Raises
    ------
    TypeError, ValueError
        ``p`` not in [0, 1]; (forward) an input of another ndim.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> drop = nn.Dropout{d}d(p=0.5)
    >>> drop
    Dropout{d}d(p=0.5, inplace=False)
    >>> drop(lucid.ones({example})).shape
    {example}
    """


class Dropout1d(_ChannelDropout):
    _d = 1
    __doc__ = _CHANNEL_DOC.format(d=1, what="L", space="L", example="(2, 3, 4)")


class Dropout2d(_ChannelDropout):
    _d = 2
    __doc__ = _CHANNEL_DOC.format(d=2, what="H x W", space="H, W", example="(2, 3, 4, 4)")


class Dropout3d(_ChannelDropout):
    _d = 3
    __doc__ = _CHANNEL_DOC.format(d=3, what="D x H x W", space="D, H, W",
                                  example="(2, 3, 2, 2, 2)")


class AlphaDropout(_DropoutNd):
    r"""Dropout for SELU networks: keeps the activations' mean and variance.

    .. math:: y_i = a\,(m_i x_i + (1 - m_i)\alpha') + b, \quad
              a = ((1 - p)(1 + p\alpha'^2))^{-1/2}, \quad b = -a\alpha' p

    with :math:`\alpha' \approx -1.7581` (SELU's negative saturation). Evaluation mode:
    :math:`y = x`. Shapes: any. Backward: :math:`\partial L/\partial x_i = g_i a m_i`
    (see :func:`lucid.nn.functional.alpha_dropout`).

    Parameters
    ----------
    p : float, default 0.5
    inplace : bool, default False
        Accepted for PyTorch compatibility.

    Raises
    ------
    TypeError, ValueError
        ``p`` not in [0, 1].

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> drop = nn.AlphaDropout(0.2)
    >>> drop
    AlphaDropout(p=0.2, inplace=False)
    >>> x = lucid.random.randn(4)
    >>> drop.eval()(x) is x
    True
    """

    def forward(self, x):
        """Alpha-dropout of ``x`` in training mode; ``x`` itself in evaluation mode."""
        return F.alpha_dropout(tensor_input("AlphaDropout", x), self.p, self.training)


class DropBlock(Module):
    r"""DropBlock: zero square ``block_size x block_size`` blocks of each feature map in
    training mode, then rescale by :math:`\mathrm{numel}(M)/\mathrm{sum}(M)`.

    Block corners are drawn with probability :math:`\gamma = \frac{p}{k^2}\frac{HW}{(H - k
    + 1)(W - k + 1) + \epsilon}`, so about a fraction ``p`` of the pixels is dropped. Evaluation
    mode: :math:`y = x`. Shapes: ``(N, C, H, W)``. Backward: :math:`\partial L/\partial x
    = g \odot M\,\mathrm{numel}(M)/\mathrm{sum}(M)` (see
    :func:`lucid.nn.functional.drop_block`).

    Parameters
    ----------
    block_size : int
        :math:`k`, at most ``min(H, W)`` of the inputs.
    p : float, default 0.1
    eps : float, default 1e-7
        :math:`\epsilon` (the original lucid's argument).

    Raises
    ------
    TypeError, ValueError
        A non-int ``block_size``, ``p`` not in [0, 1]; (forward) an input not 4-d.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> drop = nn.DropBlock(block_size=3, p=0.1)
    >>> drop
    DropBlock(block_size=3, p=0.1)
    >>> drop(lucid.ones((2, 4, 8, 8))).shape
    (2, 4, 8, 8)
    """

    def __init__(self, block_size, p=0.1, eps=1e-7):
        super().__init__()
        self.block_size = check_int(block_size, "DropBlock", "block_size")
        if self.block_size < 1:
            raise ValueError(f"DropBlock: block_size must be at least 1; got {block_size}")
        self.p = probability(p, "DropBlock")
        self.eps = check_number(eps, "DropBlock", "eps", 0.0, None)

    def forward(self, x):
        """Drop blocks of ``x`` (``(N, C, H, W)``) in training mode."""
        layer_input("DropBlock", x, 2, unbatched=False)
        return F.drop_block(x, self.block_size, self.p, self.training, self.eps)

    def extra_repr(self):
        return f"block_size={self.block_size}, p={self.p}"


class DropPath(Module):
    r"""Stochastic depth: drop a whole sample's residual branch with probability
    ``drop_prob`` in training mode, scaling kept samples by :math:`1/(1 - p)`.

    .. math:: y_n = \frac{m_n x_n}{1 - p}, \qquad m_n \sim \mathrm{Bernoulli}(1 - p)

    Evaluation mode: :math:`y = x`. Shapes: ``(N, *)``. Backward:
    :math:`\partial L/\partial x_n = g_n m_n/(1 - p)` (see
    :func:`lucid.nn.functional.drop_path`).

    Parameters
    ----------
    drop_prob : float, default 0.1
    scale_by_keep : bool, default True
        Divide kept samples by :math:`1 - p` (False: leave them as they are).

    Raises
    ------
    TypeError, ValueError
        ``drop_prob`` not in [0, 1], ``scale_by_keep`` not a bool; (forward) a 0-d input.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> dp = nn.DropPath(0.5)
    >>> dp
    DropPath(drop_prob=0.5)
    >>> lucid.random.seed(1)
    >>> print(dp(lucid.ones((4, 2))))
    Tensor([[2.0, 2.0], [2.0, 2.0], [0.0, 0.0], [2.0, 2.0]])
    """

    def __init__(self, drop_prob=0.1, scale_by_keep=True):
        super().__init__()
        self.drop_prob = probability(drop_prob, "DropPath", "drop_prob")
        self.scale_by_keep = check_bool(scale_by_keep, "DropPath", "scale_by_keep")

    def forward(self, x):
        """Drop whole samples of ``x`` (``(N, *)``) in training mode."""
        tensor_input("DropPath", x)
        if x.ndim == 0:
            raise ValueError(f"DropPath: expected input of shape (N, *); got {x.shape}")
        return F.drop_path(x, self.drop_prob, self.training, self.scale_by_keep)

    def extra_repr(self):
        return f"drop_prob={self.drop_prob}" + ("" if self.scale_by_keep else ", scale_by_keep=False")
