r"""Sub-pixel rearrangement: ``pixel_shuffle`` and ``pixel_unshuffle``.

Each checks its arguments, then calls :class:`lucid.ops.pixel_shuffle.PixelShuffle`
(one reshape, transpose and reshape; its docstring writes out the index map). Values
and gradients equal ``torch.nn.functional``'s.
"""
from lucid._checks import check_int
from lucid._tensor import Tensor
from lucid.ops.pixel_shuffle import PixelShuffle

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _image(fname, input_):
    if not isinstance(input_, Tensor):
        raise TypeError(f"{fname}: input_ must be a Tensor; got {type(input_).__name__}")
    if input_.ndim < 3:
        raise ValueError(f"{fname}: input_ must have shape (*, C, H, W) (at least 3 axes); "
                         f"got {input_.shape}")
    return input_


def pixel_shuffle(input_, upscale_factor):
    r"""Rearrange ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)``: channels into pixels.

    .. math:: y[\dots, c, h r + i, w r + j] = x[\dots, c r^2 + i r + j, h, w],
              \qquad 0 \le i, j < r

    Each output channel :math:`c` is woven from the :math:`r^2` input channels
    :math:`c r^2, \dots, c r^2 + r^2 - 1`: the one numbered :math:`i r + j` fills the
    pixels at offset :math:`(i, j)` of every :math:`r \times r` block. A convolution
    with :math:`C r^2` output channels followed by this layer upsamples an image by
    :math:`r` (ESPCN, Shi et al. 2016).

    Shapes: ``(*, C r^2, H, W)`` to ``(*, C, H r, W r)``.

    Backward: the inverse permutation, :func:`pixel_unshuffle` of the gradient.

    Parameters
    ----------
    input_ : Tensor
        At least 3 axes; the third from last a multiple of ``upscale_factor**2``.
    upscale_factor : int
        :math:`r`, positive.

    Returns
    -------
    Tensor
        ``(*, C, H r, W r)``, ``input_``'s dtype.

    Raises
    ------
    TypeError
        A non-Tensor ``input_``; a non-int ``upscale_factor``.
    ValueError
        Fewer than 3 axes; ``upscale_factor < 1``; channels not divisible by
        ``upscale_factor**2``.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.arange(4.0).reshape(1, 4, 1, 1)           # 4 channels of one pixel
    >>> print(F.pixel_shuffle(x, 2))                        # 1 channel of 2 x 2
    Tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    >>> F.pixel_shuffle(lucid.zeros((2, 18, 5, 7)), 3).shape
    (2, 2, 15, 21)
    """
    name = "pixel_shuffle"
    x = _image(name, input_)
    r = check_int(upscale_factor, name, "upscale_factor", 1)
    c = x.shape[-3]
    if c % (r * r):
        raise ValueError(f"{name}: the channels of input_ ({c}, axis -3 of {x.shape}) must be "
                         f"divisible by upscale_factor**2 = {r * r}")
    return PixelShuffle.apply(x, factor=r)


def pixel_unshuffle(input_, downscale_factor):
    r"""Rearrange ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)``: pixels into channels.

    .. math:: y[\dots, c r^2 + i r + j, h, w] = x[\dots, c, h r + i, w r + j],
              \qquad 0 \le i, j < r

    The inverse of :func:`pixel_shuffle`: each :math:`r \times r` block of a channel
    is spread over :math:`r^2` channels (space-to-depth).

    Shapes: ``(*, C, H r, W r)`` to ``(*, C r^2, H, W)``.

    Backward: :func:`pixel_shuffle` of the gradient.

    Parameters
    ----------
    input_ : Tensor
        At least 3 axes; the last two multiples of ``downscale_factor``.
    downscale_factor : int
        :math:`r`, positive.

    Returns
    -------
    Tensor
        ``(*, C r^2, H, W)``, ``input_``'s dtype.

    Raises
    ------
    TypeError
        A non-Tensor ``input_``; a non-int ``downscale_factor``.
    ValueError
        Fewer than 3 axes; ``downscale_factor < 1``; a height or width not divisible by
        it.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.arange(4.0).reshape(1, 1, 2, 2)
    >>> print(F.pixel_unshuffle(x, 2).reshape(-1))          # the 4 pixels as channels
    Tensor([0.0, 1.0, 2.0, 3.0])
    >>> y = lucid.random.randn(2, 3, 8, 6)
    >>> bool((F.pixel_shuffle(F.pixel_unshuffle(y, 2), 2).data == y.data).all())
    True
    """
    name = "pixel_unshuffle"
    x = _image(name, input_)
    r = check_int(downscale_factor, name, "downscale_factor", 1)
    h, w = x.shape[-2:]
    if h % r or w % r:
        raise ValueError(f"{name}: the height and width of input_ ({h}, {w}) must be "
                         f"divisible by downscale_factor = {r}")
    return PixelShuffle.apply(x, factor=r, inverse=True)
