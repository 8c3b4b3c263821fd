"""Output sizes of convolutions, transposed convolutions and pooling: the one place they live.

Used by argument validation, kernel allocation, the docs and the tests. Also the one
way the compiled twins see 1d and 2d as 3d (:func:`as_3d`).
"""

__all__ = ["conv_output_size", "conv_transpose_output_size", "pool_output_size", "as_3d",
           "as_5d"]


def as_3d(values, fill):
    """``values`` (one per spatial axis, 1 to 3 of them) with ``fill`` in front, to make 3.

    The compiled twins write each loop nest once, for 3 spatial axes (D, H, W): a 1d
    size ``(L,)`` is ``(1, 1, L)``, a 2d stride ``(s_h, s_w)`` is ``(1, s_h, s_w)``. The
    added axes have size 1, kernel 1, stride 1, dilation 1 and padding 0, so they change
    nothing.

    >>> as_3d((5, 7), 1)
    (1, 5, 7)
    """
    return (fill,) * (3 - len(values)) + tuple(values)


def as_5d(a):
    """The array ``a`` of shape ``(N, C, *spatial)`` viewed as ``(N, C, D, H, W)``."""
    return a.reshape(a.shape[:2] + as_3d(a.shape[2:], 1))


def conv_output_size(size, kernel, stride, padding, dilation):
    r"""Length of a convolution's output along one axis.

    .. math:: L_{out} = \left\lfloor \frac{L + 2p - d (K - 1) - 1}{s} \right\rfloor + 1

    May be zero or negative for inputs too small: the caller validates.
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation):
    r"""Length of a transposed convolution's output along one axis.

    .. math:: L_{out} = (L - 1) s - 2p + d (K - 1) + p_{out} + 1
    """
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    r"""Length of a pooling's output along one axis (max and average pooling, as PyTorch).

    .. math:: L_{out} = \left\lfloor \frac{L + 2p - d (K - 1) - 1}{s} \right\rfloor + 1

    With ``ceil_mode`` the division rounds up instead, so a last, partial window is
    kept, but only when it starts inside the input or its left padding: if
    :math:`(L_{out} - 1) s \ge L + p` the last window would start in the right
    padding and is dropped. Average pooling has no dilation (:math:`d = 1`).

    May be zero or negative for inputs too small: the caller validates.
    """
    reach = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return reach // stride + 1
    out = (reach + stride - 1) // stride + 1     # ceil(reach / s) + 1
    if (out - 1) * stride >= size + padding:     # the last window starts in the right padding
        out -= 1
    return out
