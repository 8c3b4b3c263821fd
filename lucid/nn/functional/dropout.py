r"""Dropout family: ``dropout``, ``dropout1d/2d/3d``, ``alpha_dropout``, ``drop_block`` and
``drop_path``.

Each draws one random *mask* :math:`m` from :func:`lucid.random.generator` (so
:func:`lucid.random.seed` makes it repeatable) and returns :math:`y = x \odot m\,s` (plus
a constant for ``alpha_dropout``), with a scale :math:`s` that keeps the expected value
of each element unchanged. The mask is a constant of the graph, so the backward is
:math:`\partial L/\partial x = g \odot m\,s` (:class:`lucid.ops.elementwise.Multiply`).
What differs is the *shape* of the mask, i.e. what is dropped together:

=================  ===========================================================
``dropout``        each element on its own
``dropout1d/2d/3d`` whole channels: a mask of shape ``(N, C, 1, ...)``
``drop_block``     square blocks of ``block_size x block_size`` pixels
``drop_path``      whole samples: a mask of shape ``(N, 1, ..., 1)``
=================  ===========================================================

Outside training (``training=False``) every function returns ``input_`` itself.
PyTorch's random streams differ from NumPy's, so masks cannot equal PyTorch's; the
semantics (which elements share a mask, the scaling, train / eval) do.
"""
import numpy as np

from lucid.nn.functional._family_doc import SPATIAL
from lucid._checks import check_bool, check_int, check_number, float_tensor
from lucid.nn.functional._layer_args import probability
from lucid.ops.elementwise import Add, Multiply
from lucid.random import generator

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "drop_block",
           "drop_path"]

SELU_ALPHA_PRIME = 1.7580993408473766  # -SELU's negative saturation, lambda * alpha


def _keep_mask(shape, p, dtype):
    """1 with probability ``1 - p``, else 0: ``u >= p`` for ``u ~ U[0, 1)``."""
    return (generator().random(shape) >= p).astype(dtype)


def _scaled(x, mask, p):
    """``x * mask / (1 - p)`` (all zeros when ``p = 1``) as a graph node."""
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return Multiply.apply(x, mask * x.dtype.type(scale))


def _args(fname, input_, p, training):
    x = float_tensor(input_, fname)
    return x, probability(p, fname), check_bool(training, fname, "training")


def dropout(input_, p=0.5, training=True):
    r"""Zero each element with probability ``p``; scale the rest by :math:`1/(1-p)`.

    .. math:: y_i = \frac{m_i\, x_i}{1 - p}, \qquad m_i \sim \text{Bernoulli}(1 - p)

    so :math:`\mathbb E[y_i] = x_i`. Shapes: any; the result has ``input_``'s shape.
    Backward: :math:`\partial L/\partial x_i = g_i m_i/(1 - p)`.

    Parameters
    ----------
    input_ : Tensor
        float32 or float64.
    p : float, default 0.5
        Drop probability in [0, 1] (``p = 1`` gives zeros).
    training : bool, default True
        When False, ``input_`` is returned unchanged.

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError
        A non-float ``input_``; a non-number ``p``; a non-bool ``training``.
    ValueError
        ``p`` outside [0, 1].

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> lucid.random.seed(0)
    >>> y = F.dropout(lucid.ones(8), p=0.5)
    >>> sorted(set(y.data.tolist()))
    [0.0, 2.0]
    >>> F.dropout(lucid.ones(3), training=False).data.tolist()
    [1.0, 1.0, 1.0]
    """
    x, p, training = _args("dropout", input_, p, training)
    if not training or p == 0:
        return x
    return _scaled(x, _keep_mask(x.shape, p, x.dtype), p)


def _channel_dropout(fname, d, input_, p, training):
    x, p, training = _args(fname, input_, p, training)
    if x.ndim not in (d + 1, d + 2):
        space = SPATIAL[d]
        raise ValueError(f"{fname}: input_ must have shape (N, C, {space}) or (C, {space}); "
                         f"got {x.shape}")
    if not training or p == 0:
        return x
    mask = _keep_mask(x.shape[:-d] + (1,) * d, p, x.dtype)
    return _scaled(x, mask, p)


_CHANNEL_DOC = r"""Zero whole channels with probability ``p``; scale the rest by :math:`1/(1-p)`.

    .. math:: y_{n,c,\dots} = \frac{m_{n,c}\, x_{n,c,\dots}}{1 - p}, \qquad
              m_{n,c} \sim \text{Bernoulli}(1 - p)

    one draw per (sample, channel), shared by all its {what} positions (PyTorch's
    ``dropout{d}d``; useful when neighbouring positions are strongly correlated).
    Shapes: ``(N, C, {space})`` or unbatched ``(C, {space})`` (one draw per channel).
    Backward: :math:`\partial L/\partial x = g\, m_{n,c}/(1 - p)`.

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, {space})`` or ``(C, {space})``, float32 or float64.
    p : float, default 0.5
        Drop probability in [0, 1].
    training : bool, default True
        When False, ``input_`` is returned unchanged.

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError
        A non-float ``input_``; a bad ``p`` or ``training`` type.
    ValueError
        ``input_`` of another ndim; ``p`` outside [0, 1].

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> lucid.random.seed(0)
    >>> y = F.dropout{d}d(lucid.ones({example}), p=0.5)
    >>> [sorted(set(ch.ravel().tolist())) in ([0.0], [2.0]) for ch in y.data[0]]
    [True, True, True, True]
    """


def dropout1d(input_, p=0.5, training=True):
    return _channel_dropout("dropout1d", 1, input_, p, training)


def dropout2d(input_, p=0.5, training=True):
    return _channel_dropout("dropout2d", 2, input_, p, training)


def dropout3d(input_, p=0.5, training=True):
    return _channel_dropout("dropout3d", 3, input_, p, training)


for _fn, _d, _what, _example in ((dropout1d, 1, "L", "(2, 4, 5)"),
                                 (dropout2d, 2, "H x W", "(2, 4, 3, 3)"),
                                 (dropout3d, 3, "D x H x W", "(2, 4, 2, 2, 2)")):
    _fn.__doc__ = (_CHANNEL_DOC.replace("{d}", str(_d)).replace("{what}", _what)
                   .replace("{space}", SPATIAL[_d]).replace("{example}", _example))


def alpha_dropout(input_, p=0.5, training=False):
    r"""Dropout that keeps a SELU network's mean and variance (Klambauer et al. 2017).

    Dropped elements are set to SELU's negative saturation :math:`\alpha' = -\lambda\alpha
    \approx -1.7581` instead of 0, then an affine map restores zero mean and unit variance:

    .. math:: y_i = a\,(m_i x_i + (1 - m_i)\alpha') + b, \qquad
              a = \big((1 - p)(1 + p\,\alpha'^2)\big)^{-1/2}, \quad b = -a\,\alpha' p

    with :math:`m_i \sim \text{Bernoulli}(1 - p)` (PyTorch's formulas). Shapes: any.
    Backward: :math:`\partial L/\partial x_i = g_i\, a\, m_i`.

    Parameters
    ----------
    input_ : Tensor
        float32 or float64.
    p : float, default 0.5
        Drop probability in [0, 1] (``p = 1`` gives zeros, as PyTorch).
    training : bool, default False
        When False (the default, as PyTorch), ``input_`` is returned unchanged.

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError
        A non-float ``input_``; a bad ``p`` or ``training`` type.
    ValueError
        ``p`` outside [0, 1].

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> lucid.random.seed(0)
    >>> x = lucid.random.randn(100000)          # mean 0, variance 1 ...
    >>> y = F.alpha_dropout(x, p=0.2, training=True)   # ... and so is y
    >>> round(float(y.data.mean()), 1), round(float(y.data.std()), 1)
    (0.0, 1.0)
    """
    x, p, training = _args("alpha_dropout", input_, p, training)
    if not training or p == 0:
        return x
    if p == 1:
        return Multiply.apply(x, np.zeros(x.shape, x.dtype))
    t = x.dtype.type
    alpha = SELU_ALPHA_PRIME
    a = 1.0 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    mask = _keep_mask(x.shape, p, x.dtype)
    shift = (mask - 1) * t(alpha * a) + t(alpha * a * p)   # a (1 - m) alpha' + b
    return Add.apply(Multiply.apply(x, mask * t(a)), shift)


def drop_block(input_, block_size, p=0.1, training=True, eps=1e-7):
    r"""DropBlock (Ghiasi et al. 2018): drop contiguous square blocks of a feature map.

    Zeroing single pixels barely regularises a conv net (neighbours carry the same
    information); DropBlock zeros ``block_size x block_size`` squares instead. Following
    the paper's Algorithm 1, for each (sample, channel):

    1. draw block corners :math:`z_{i,j} \sim \text{Bernoulli}(\gamma)` on the
       :math:`(H - k + 1) \times (W - k + 1)` positions where a whole block fits
       (:math:`k` = ``block_size``), with
       :math:`\gamma = \frac{p}{k^2} \frac{H W}{(H - k + 1)(W - k + 1) + \epsilon}`, so
       about a fraction :math:`p` of the pixels is dropped (:math:`\epsilon`, the
       original lucid's ``eps``, keeps the fraction finite);
    2. the mask :math:`M` is 0 on every block :math:`[i, i + k) \times [j, j + k)` with
       :math:`z_{i,j} = 1` and 1 elsewhere;
    3. :math:`y = x \odot M \cdot \frac{\text{numel}(M)}{\text{sum}(M)}` (one scale for the
       whole tensor; zeros if everything is dropped).

    Shapes: ``(N, C, H, W)``. Backward: :math:`\partial L/\partial x = g \odot M \cdot
    \text{numel}(M)/\text{sum}(M)`.

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, H, W)``, float32 or float64.
    block_size : int
        :math:`k`, from 1 to ``min(H, W)``.
    p : float, default 0.1
        The fraction of pixels to drop, in [0, 1].
    training : bool, default True
        When False, ``input_`` is returned unchanged.
    eps : float, default 1e-7
        :math:`\epsilon \ge 0` in :math:`\gamma`'s denominator.

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError
        A non-float ``input_``; a non-int ``block_size``; a bad ``p`` / ``training`` /
        ``eps``.
    ValueError
        ``input_`` not 4-d; ``block_size`` outside [1, min(H, W)]; ``p`` outside [0, 1].

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> lucid.random.seed(0)
    >>> y = F.drop_block(lucid.ones((1, 1, 6, 6)), block_size=3, p=0.1)
    >>> print((y.data[0, 0] == 0).astype(int))    # two overlapping 3 x 3 blocks dropped
    [[0 0 0 1 1 1]
     [0 0 0 1 1 1]
     [0 0 0 1 1 1]
     [0 0 0 1 1 1]
     [0 0 0 1 1 1]
     [0 0 0 0 0 0]]
    >>> float(y.data.max())                       # the kept pixels, scaled by 36 / 21
    1.7142857313156128
    """
    name = "drop_block"
    x, p, training = _args(name, input_, p, training)
    if x.ndim != 4:
        raise ValueError(f"{name}: input_ must have shape (N, C, H, W); got {x.shape}")
    k = check_int(block_size, name, "block_size")
    h, w = x.shape[2:]
    if not 1 <= k <= min(h, w):
        raise ValueError(f"{name}: block_size must lie in [1, min(H, W)] = [1, {min(h, w)}] "
                         f"for input_ of shape {x.shape}; got {k}")
    eps = check_number(eps, name, "eps", 0.0, None)
    if not training or p == 0:
        return x
    gamma = min(p / (k * k) * (h * w) / ((h - k + 1) * (w - k + 1) + eps), 1.0)
    corners = generator().random(x.shape[:2] + (h - k + 1, w - k + 1)) < gamma
    dropped = np.zeros(x.shape, dtype=bool)
    for di in range(k):                      # spread each corner over its k x k block
        for dj in range(k):
            dropped[:, :, di:di + h - k + 1, dj:dj + w - k + 1] |= corners
    mask = (~dropped).astype(x.dtype)
    kept = mask.sum()
    scale = mask.size / kept if kept else 0.0
    return Multiply.apply(x, mask * x.dtype.type(scale))


def drop_path(input_, p=0.1, training=True, scale_by_keep=True):
    r"""Stochastic depth (Huang et al. 2016): drop a whole sample's residual branch.

    Applied to the output of a residual branch, before it is added to the shortcut:
    each sample keeps its branch with probability :math:`1 - p`, scaled by
    :math:`1/(1 - p)`, or loses it entirely (the block becomes the identity for that
    sample):

    .. math:: y_{n,\dots} = \frac{m_n\, x_{n,\dots}}{1 - p}, \qquad
              m_n \sim \text{Bernoulli}(1 - p)

    (torchvision's ``stochastic_depth`` in ``'row'`` mode, timm's ``drop_path``). With
    ``scale_by_keep=False`` (the original lucid's and timm's option) the kept samples
    are not scaled: :math:`y_n = m_n x_n`. Shapes: ``(N, *)``; one draw per sample along
    axis 0. Backward: :math:`\partial L/\partial x_{n} = g_n\, m_n/(1 - p)` (without
    the division when not scaling).

    Parameters
    ----------
    input_ : Tensor
        ``(N, *)``, float32 or float64.
    p : float, default 0.1
        The probability of dropping a sample's branch, in [0, 1].
    training : bool, default True
        When False, ``input_`` is returned unchanged.
    scale_by_keep : bool, default True
        Divide the kept samples by :math:`1 - p`.

    Returns
    -------
    Tensor
        ``input_``'s shape and dtype.

    Raises
    ------
    TypeError
        A non-float ``input_``; a bad ``p``, ``training`` or ``scale_by_keep`` type.
    ValueError
        A 0-d ``input_``; ``p`` outside [0, 1].

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> lucid.random.seed(1)
    >>> y = F.drop_path(lucid.ones((4, 2)), p=0.5)
    >>> print(y)
    Tensor([[2.0, 2.0], [2.0, 2.0], [0.0, 0.0], [2.0, 2.0]])
    """
    name = "drop_path"
    x, p, training = _args(name, input_, p, training)
    if x.ndim == 0:
        raise ValueError(f"{name}: input_ must have a batch axis (N, *); got a 0-d tensor")
    scale_by_keep = check_bool(scale_by_keep, name, "scale_by_keep")
    if not training or p == 0:
        return x
    mask = _keep_mask((x.shape[0],) + (1,) * (x.ndim - 1), p, x.dtype)
    return _scaled(x, mask, p) if scale_by_keep else Multiply.apply(x, mask)
