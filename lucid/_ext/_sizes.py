"""Output sizes of convolutions and transposed convolutions: the one place they live.

Used by argument validation, kernel allocation, the docs and the tests.
"""

__all__ = ["conv_output_size", "conv_transpose_output_size"]


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
