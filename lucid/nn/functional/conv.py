r"""The convolution family: ``conv1d/2d/3d``, ``conv_transpose1d/2d/3d``, ``unfold``, ``fold``.

Each function checks its arguments (:mod:`lucid.nn.functional._conv_args`), then calls
one autograd Function of :mod:`lucid.ops.conv`, whose forward and backward run the
``conv`` kernels of :mod:`lucid._ext`. The output sizes come from one helper,
:mod:`lucid._ext._sizes`.

The docstrings of ``conv1d/2d/3d`` (and of the transposed trio) share one text, filled
in per dimension below; each function has its own examples.
"""
from lucid._checks import renamed
from lucid.nn.functional import _conv_args as _args
from lucid.nn.functional._family_doc import fill_doc
from lucid.ops.conv import Conv, ConvTranspose, Fold, Unfold

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold"]


def _conv(fname, d, input_, weight, bias, stride, padding, dilation, groups):
    a = _args.conv_args(fname, d, input_, weight, bias, stride, padding, dilation, groups)
    return Conv.apply(input_, weight, bias, stride=a.stride, padding=a.padding,
                      dilation=a.dilation, groups=a.groups, padding_end=a.padding_end,
                      unbatched=a.unbatched)


def _conv_transpose(fname, d, input_, weight, bias, stride, padding, output_padding,
                    dilation, groups):
    a = _args.conv_transpose_args(fname, d, input_, weight, bias, stride, padding,
                                  output_padding, dilation, groups)
    return ConvTranspose.apply(input_, weight, bias, stride=a.stride, padding=a.padding,
                               output_padding=a.output_padding, dilation=a.dilation,
                               groups=a.groups, unbatched=a.unbatched)


def conv1d(input_, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv1d", 1, input_, weight, bias, stride, padding, dilation, groups)


def conv2d(input_, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv2d", 2, input_, weight, bias, stride, padding, dilation, groups)


def conv3d(input_, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv3d", 3, input_, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input_, weight, bias=None, stride=1, padding=0, output_padding=0,
                     dilation=1, groups=1):
    return _conv_transpose("conv_transpose1d", 1, input_, weight, bias, stride, padding,
                           output_padding, dilation, groups)


def conv_transpose2d(input_, weight, bias=None, stride=1, padding=0, output_padding=0,
                     dilation=1, groups=1):
    return _conv_transpose("conv_transpose2d", 2, input_, weight, bias, stride, padding,
                           output_padding, dilation, groups)


def conv_transpose3d(input_, weight, bias=None, stride=1, padding=0, output_padding=0,
                     dilation=1, groups=1):
    return _conv_transpose("conv_transpose3d", 3, input_, weight, bias, stride, padding,
                           output_padding, dilation, groups)


@renamed(filter_size="kernel_size")
def unfold(input_, kernel_size, dilation=1, padding=0, stride=1):
    r"""Extract sliding blocks (im2col): every kernel-sized window becomes one column.

    For input :math:`x` of shape ``(N, C, H, W)``, window :math:`l` (windows counted
    row by row) and kernel offset :math:`k = (k_h, k_w)`:

    .. math:: \mathrm{cols}[n,\; c\,k_H k_W + k_h k_W + k_w,\; l]
              = x_{pad}[n, c,\; l_h s_h + k_h d_h,\; l_w s_w + k_w d_w]

    where :math:`x_{pad}` is :math:`x` with ``padding`` zeros on both sides, and the
    number of windows is :math:`L = H_{out} W_{out}` with

    .. math:: H_{out} = \left\lfloor \frac{H + 2 p_h - d_h (k_H - 1) - 1}{s_h} \right\rfloor + 1

    (and the same for :math:`W_{out}`). A convolution is ``weight.reshape(C_out, -1)``
    times these columns: that is why im2col exists.

    Shapes: input ``(N, C, H, W)`` gives ``(N, C * kH * kW, L)``; an unbatched input
    ``(C, H, W)`` gives ``(C * kH * kW, L)``. Only 2 spatial axes are supported, as in
    PyTorch.

    Backward: unfold only copies values, so each input element receives the sum of
    the gradients of every column entry it was copied to:
    :math:`\partial L/\partial x = \mathrm{fold}(\partial L/\partial \mathrm{cols})`.

    Parameters
    ----------
    input_ : Tensor
        ``(N, C, H, W)`` or ``(C, H, W)``, float32 or float64.
    kernel_size : int or tuple of 2 ints
        Window size ``(kH, kW)``.
    dilation : int or tuple of 2 ints, default 1
        Spacing between the window's elements.
    padding : int or tuple of 2 ints, default 0
        Zeros added on both sides of each spatial axis.
    stride : int or tuple of 2 ints, default 1
        Step between windows.

    Returns
    -------
    Tensor
        ``(N, C * kH * kW, L)`` (or ``(C * kH * kW, L)``), the input's dtype.

    Raises
    ------
    TypeError
        Non-Tensor or non-float input; non-integer sizes.
    ValueError
        Wrong input ndim; sizes out of range; a window larger than the padded input.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]])   # (1, 1, 2, 3)
    >>> print(F.unfold(x, kernel_size=2))                          # 2 windows of 2x2
    Tensor([[[1.0, 2.0], [2.0, 3.0], [4.0, 5.0], [5.0, 6.0]]])
    """
    a = _args.unfold_args("unfold", input_, kernel_size, dilation, padding, stride)
    return Unfold.apply(input_, kernel_size=a.kernel_size, stride=a.stride,
                        padding=a.padding, dilation=a.dilation, unbatched=a.unbatched)


def fold(input_, output_size, kernel_size, dilation=1, padding=0, stride=1):
    r"""Sum sliding blocks back into an image (col2im), the adjoint of :func:`unfold`.

    Every column entry is added to the position :func:`unfold` would have read it
    from; positions covered by several windows receive the sum:

    .. math:: y_{pad}[n, c,\; l_h s_h + k_h d_h,\; l_w s_w + k_w d_w]
              \mathrel{+}= \mathrm{cols}[n,\; c\,k_H k_W + k_h k_W + k_w,\; l]

    and the ``padding`` border of :math:`y_{pad}` is cut off. The number of columns
    must be :math:`L = H_{out} W_{out}` with
    :math:`H_{out} = \lfloor (H + 2 p_h - d_h (k_H - 1) - 1) / s_h \rfloor + 1`,
    ``(H, W) = output_size``.

    Shapes: input ``(N, C * kH * kW, L)`` gives ``(N, C, H, W)``; an unbatched input
    ``(C * kH * kW, L)`` gives ``(C, H, W)``.

    Backward: :math:`\partial L/\partial \mathrm{cols} = \mathrm{unfold}(\partial L/\partial y)`
    (each column entry was added to one output position).

    Parameters
    ----------
    input_ : Tensor
        ``(N, C * kH * kW, L)`` or ``(C * kH * kW, L)``, float32 or float64.
    output_size : int or tuple of 2 ints
        ``(H, W)`` of the result.
    kernel_size : int or tuple of 2 ints
    dilation : int or tuple of 2 ints, default 1
    padding : int or tuple of 2 ints, default 0
    stride : int or tuple of 2 ints, default 1
        As in :func:`unfold`.

    Returns
    -------
    Tensor
        ``(N, C, H, W)`` (or ``(C, H, W)``), the input's dtype.

    Raises
    ------
    TypeError
        Non-Tensor or non-float input; non-integer sizes.
    ValueError
        Wrong input ndim; ``input_.shape[-2]`` not a multiple of ``kH * kW``; a number
        of columns that does not match ``output_size``; sizes out of range.

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]])
    >>> cols = F.unfold(x, kernel_size=2)
    >>> print(F.fold(cols, output_size=(2, 3), kernel_size=2))   # the middle column twice
    Tensor([[[[1.0, 4.0, 3.0], [4.0, 10.0, 6.0]]]])
    """
    a = _args.fold_args("fold", input_, output_size, kernel_size, dilation, padding, stride)
    return Fold.apply(input_, output_size=a.output_size, kernel_size=a.kernel_size,
                      stride=a.stride, padding=a.padding, dilation=a.dilation,
                      unbatched=a.unbatched)


# ---------------------------------------------------------------- shared docstrings
_CONV_DOC = r"""<D>-D convolution (cross-correlation, as in every deep-learning framework).

    Each output channel :math:`o` of group :math:`\gamma` slides its kernel over the
    input channels of that group (:math:`C_{in}/g` of them); along every spatial axis

    .. math:: y[n, o, i] = b[o] + \sum_{c=0}^{C_{in}/g - 1} \sum_{k=0}^{K-1}
              w[o, c, k]\; x_{pad}[n,\; \gamma \tfrac{C_{in}}{g} + c,\; i\,s + k\,d]

    (with one :math:`i`, :math:`k`, :math:`s`, :math:`d` per spatial axis), where
    :math:`x_{pad}` is :math:`x` with ``padding`` zeros on both sides. The output size
    along an axis of input size :math:`L_{in}` is

    .. math:: L_{out} = \left\lfloor \frac{L_{in} + 2p - d (K - 1) - 1}{s} \right\rfloor + 1

    Shapes: input ``(N, C_in, <S>)``, weight ``(C_out, C_in // groups, <K>)``, bias
    ``(C_out,)``, output ``(N, C_out, <O>)``. An unbatched input ``(C_in, <S>)`` is
    accepted (as in PyTorch) and gives an unbatched output ``(C_out, <O>)``.

    Backward: the convolution is linear in :math:`x` and in :math:`w`, so

    .. math::

        \frac{\partial L}{\partial x} &= \mathrm{conv\_transpose}\!\left(
        \frac{\partial L}{\partial y}, w\right)

        \frac{\partial L}{\partial w[o, c, k]} &= \sum_{n, i}
        \frac{\partial L}{\partial y[n, o, i]}\,
        x_{pad}[n, \gamma \tfrac{C_{in}}{g} + c, i s + k d]

        \frac{\partial L}{\partial b[o]} &= \sum_{n, i} \frac{\partial L}{\partial y[n, o, i]}

    (the transposed convolution with the same weight, stride, padding, dilation and
    groups, and the ``output_padding`` that restores the input's size).

    Parameters
    ----------
    input_ : Tensor
        ``(N, C_in, <S>)`` or ``(C_in, <S>)``; float32 or float64.
    weight : Tensor
        ``(C_out, C_in // groups, <K>)``, the same dtype as ``input_``.
    bias : Tensor, optional
        ``(C_out,)``, the same dtype; added to every output position.
    stride : int or tuple of <d> ints, default 1
        Step of the window along each spatial axis.
    padding : int, tuple of <d> ints, 'valid' or 'same', default 0
        Zeros added on both sides of each spatial axis. ``'valid'`` is 0; ``'same'``
        (stride 1 only) pads ``dilation * (K - 1)`` zeros in total so the output has the
        input's size, half before and the rest after (an odd total puts the extra zero
        at the end, as PyTorch does).
    dilation : int or tuple of <d> ints, default 1
        Spacing between kernel elements.
    groups : int, default 1
        Split the channels into ``groups`` independent convolutions; ``groups ==
        C_in`` with ``C_out == C_in`` is the depthwise convolution.

    Returns
    -------
    Tensor
        ``(N, C_out, <O>)`` (or ``(C_out, <O>)``), the input's dtype.

    Raises
    ------
    TypeError
        A non-Tensor input or weight; an integer, bool or float16 tensor; weight or
        bias of another dtype than the input (lucid does not promote here, like
        PyTorch); a non-integer size (``1.5``, ``True``, ``"2"``).
    ValueError
        Input not <d1>-D or <d2>-D; weight not <d2>-D; a channel count that does not
        match ``weight.shape[1] * groups``; ``groups`` not positive or not dividing
        ``C_out``; a bias not of shape ``(C_out,)``; stride or dilation not positive;
        negative padding; tuples of the wrong length; a dilated kernel larger than the
        padded input; sizes so large the result could not be allocated (checked before
        anything is allocated).

    Examples
    --------
<EXAMPLES>
    """

_CONV_TRANSPOSE_DOC = r"""<D>-D transposed convolution: the adjoint of ``conv<d>d``, used to upsample.

    Every input position :math:`j` scatters a copy of the kernel, scaled by the input
    value, into the output at :math:`i = j\,s + k\,d - p`; along every spatial axis,
    for group :math:`\gamma`, input channel :math:`c` and output channel :math:`o` of
    the group:

    .. math:: y[n,\; \gamma \tfrac{C_{out}}{g} + o,\; i] = b[\gamma \tfrac{C_{out}}{g} + o]
              + \sum_{c=0}^{C_{in}/g - 1} \sum_{\substack{j, k \\ j s + k d - p = i}}
              w[\gamma \tfrac{C_{in}}{g} + c, o, k]\; x[n, \gamma \tfrac{C_{in}}{g} + c, j]

    It is the gradient of ``conv<d>d`` with respect to its input: with the same
    weight, :math:`\langle \mathrm{conv}(x, w), u \rangle = \langle x,
    \mathrm{conv\_transpose}(u, w) \rangle`. The output size along an axis of input
    size :math:`L_{in}` is

    .. math:: L_{out} = (L_{in} - 1)\,s - 2p + d\,(K - 1) + p_{out} + 1

    where :math:`p_{out}` is ``output_padding``: extra positions at the end that tell
    apart the input sizes a strided ``conv<d>d`` maps to the same output size.

    Shapes: input ``(N, C_in, <S>)``, weight ``(C_in, C_out // groups, <K>)``, bias
    ``(C_out,)``, output ``(N, C_out, <O>)``. An unbatched input ``(C_in, <S>)`` is
    accepted (as in PyTorch) and gives an unbatched output ``(C_out, <O>)``.

    Backward:

    .. math::

        \frac{\partial L}{\partial x} &= \mathrm{conv}\!\left(
        \frac{\partial L}{\partial y}, w\right)

        \frac{\partial L}{\partial w[\gamma \frac{C_{in}}{g} + c, o, k]} &= \sum_{n, j}
        x[n, \gamma \tfrac{C_{in}}{g} + c, j]\,
        \frac{\partial L}{\partial y_{pad}}[n, \gamma \tfrac{C_{out}}{g} + o, j s + k d]

        \frac{\partial L}{\partial b[o]} &= \sum_{n, i} \frac{\partial L}{\partial y[n, o, i]}

    (the convolution with the same weight, stride, padding, dilation and groups; the
    weight gradient is the convolution's weight gradient with the roles of input and
    output swapped).

    Parameters
    ----------
    input_ : Tensor
        ``(N, C_in, <S>)`` or ``(C_in, <S>)``; float32 or float64.
    weight : Tensor
        ``(C_in, C_out // groups, <K>)``, the same dtype as ``input_``.
    bias : Tensor, optional
        ``(C_out,)``, the same dtype.
    stride : int or tuple of <d> ints, default 1
        Spacing of the input positions in the output (the upsampling factor).
    padding : int or tuple of <d> ints, default 0
        ``dilation * (K - 1) - padding`` zeros are added on both sides of the input;
        equivalently, ``padding`` positions are cut from both ends of the output.
    output_padding : int or tuple of <d> ints, default 0
        Extra positions added at the end of each output axis; must be smaller than
        ``stride`` or ``dilation``.
    dilation : int or tuple of <d> ints, default 1
        Spacing between kernel elements.
    groups : int, default 1
        Split the channels into ``groups`` independent transposed convolutions.

    Returns
    -------
    Tensor
        ``(N, C_out, <O>)`` (or ``(C_out, <O>)``), the input's dtype.

    Raises
    ------
    TypeError
        A non-Tensor input or weight; an integer, bool or float16 tensor; weight or
        bias of another dtype than the input; a non-integer size.
    ValueError
        Input not <d1>-D or <d2>-D; weight not <d2>-D; ``weight.shape[0]`` not equal to
        the input's channels; ``groups`` not positive or not dividing them; a bias not
        of shape ``(C_out,)``; stride or dilation not positive; negative padding or
        output_padding; output_padding not smaller than stride or dilation; string
        padding; tuples of the wrong length; an output size that is not positive;
        sizes so large the result could not be allocated.

    Examples
    --------
<EXAMPLES>
    """


conv1d.__doc__ = fill_doc(_CONV_DOC, 1, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[1.0, 2.0, 3.0, 4.0]]])      # (N=1, C_in=1, L=4)
    >>> w = lucid.Tensor([[[1.0, 0.0, -1.0]]])          # (C_out=1, C_in=1, K=3)
    >>> print(F.conv1d(x, w))
    Tensor([[[-2.0, -2.0]]])
    >>> print(F.conv1d(x, w, padding="same"))
    Tensor([[[-2.0, -2.0, -2.0, 3.0]]])

    The gradient of the weight is the input correlated with the output's gradient:

    >>> w = lucid.Tensor([[[1.0, 0.0, -1.0]]], requires_grad=True)
    >>> F.conv1d(x, w).sum().backward()
    >>> w.grad
    array([[[3., 5., 7.]]], dtype=float32)
""")

conv2d.__doc__ = fill_doc(_CONV_DOC, 2, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]])  # (1, 1, 3, 3)
    >>> w = lucid.Tensor([[[[1.0, 0.0], [0.0, -1.0]]]])                          # (1, 1, 2, 2)
    >>> print(F.conv2d(x, w))
    Tensor([[[[-4.0, -4.0], [-4.0, -4.0]]]])
    >>> print(F.conv2d(x, w, stride=2, padding=1).shape)
    (1, 1, 2, 2)
""")

conv3d.__doc__ = fill_doc(_CONV_DOC, 3, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]]])  # (1, 1, 2, 2, 2)
    >>> w = lucid.Tensor([[[[[1.0]], [[1.0]]]]])                                  # (1, 1, 2, 1, 1)
    >>> print(F.conv3d(x, w))          # sums the two depth slices
    Tensor([[[[[6.0, 8.0], [10.0, 12.0]]]]])
""")

conv_transpose1d.__doc__ = fill_doc(_CONV_TRANSPOSE_DOC, 1, r"""
    A simple transposed convolution: each input value adds a scaled copy of the
    kernel to the output.

    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> from lucid import Tensor
    >>> input_ = Tensor([[[1.0, 2.0, 3.0]]])   # Shape: (1, 1, 3)
    >>> weight = Tensor([[[1.0, 0.5]]])        # Shape: (1, 1, 2)
    >>> bias = Tensor([0.0])
    >>> out = F.conv_transpose1d(input_, weight, bias, stride=1, padding=0, dilation=1, groups=1)
    >>> print(out)
    Tensor([[[1.0, 2.5, 4.0, 1.5]]])

    With stride 2 the copies are placed two positions apart (upsampling):

    >>> out = F.conv_transpose1d(input_, weight, bias, stride=2, padding=0, dilation=1, groups=1)
    >>> print(out)
    Tensor([[[1.0, 0.5, 2.0, 1.0, 3.0, 1.5]]])

    Grouped: with ``groups=2`` each input channel has its own filter. The second
    channel is ``[4, 5, 6]`` spread by ``[-1, 0.5]``:
    ``[-4, 4*0.5 - 5, 5*0.5 - 6, 6*0.5] = [-4, -3, -3.5, 3]``:

    >>> input_ = Tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])   # Shape: (1, 2, 3)
    >>> weight = Tensor([[[1.0, 0.5]], [[-1.0, 0.5]]])          # Shape: (2, 1, 2)
    >>> bias = Tensor([0.0, 0.0])
    >>> out = F.conv_transpose1d(input_, weight, bias, stride=1, padding=0, dilation=1, groups=2)
    >>> print(out)
    Tensor([[[1.0, 2.5, 4.0, 1.5], [-4.0, -3.0, -3.5, 3.0]]])

    ``output_padding`` picks among the sizes a strided convolution maps to one size:

    >>> print(F.conv_transpose1d(Tensor([[[1.0, 2.0, 3.0]]]), Tensor([[[1.0, 0.5]]]),
    ...                          stride=2, output_padding=1))
    Tensor([[[1.0, 0.5, 2.0, 1.0, 3.0, 1.5, 0.0]]])
""")

conv_transpose2d.__doc__ = fill_doc(_CONV_TRANSPOSE_DOC, 2, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[1.0, 2.0], [3.0, 4.0]]]])      # (1, 1, 2, 2)
    >>> w = lucid.Tensor([[[[1.0, 1.0], [1.0, 1.0]]]])      # (1, 1, 2, 2)
    >>> print(F.conv_transpose2d(x, w, stride=2))          # each value fills a 2x2 block
    Tensor([[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0], [3.0, 3.0, 4.0, 4.0]]]])
""")

conv_transpose3d.__doc__ = fill_doc(_CONV_TRANSPOSE_DOC, 3, r"""
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> x = lucid.Tensor([[[[[1.0]], [[2.0]]]]])             # (1, 1, 2, 1, 1)
    >>> w = lucid.Tensor([[[[[1.0]], [[10.0]]]]])            # (1, 1, 2, 1, 1)
    >>> print(F.conv_transpose3d(x, w).shape)
    (1, 1, 3, 1, 1)
    >>> print(F.conv_transpose3d(x, w))
    Tensor([[[[[1.0]], [[12.0]], [[20.0]]]]])
""")
