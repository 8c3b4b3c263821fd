"""Output sizes of convolutions, transposed convolutions and pooling: the one place they live.

Used by argument validation, kernel allocation, the docs and the tests.
"""

__all__ = ["conv_output_size", "conv_transpose_output_size", "pool_output_size"]


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
