r"""``rearrange``, ``reduce`` and ``repeat``: one :class:`Transform` node runs a recipe
(see ``_recipe.py``: reshape, reduce, transpose, broadcast new axes, reshape) and its
backward runs the same steps in reverse order, each replaced by its adjoint:

=======================  ====================================================
forward step             backward step (on the gradient)
=======================  ====================================================
reshape                  reshape back
reduce (sum, mean, ...)  spread the gradient back over the reduced axes
transpose                transpose by the inverse permutation
broadcast new axes       sum over the new axes
=======================  ====================================================
"""
import numpy as np

from lucid.autograd.function import Function
from lucid.einops._pattern import parse_pattern
from lucid.einops._recipe import make_recipe
from lucid.ops._util import as_tensor

__all__ = ["rearrange", "reduce", "repeat"]

REDUCTIONS = ("sum", "mean", "max", "min", "prod")


def _exclusive_product(x, axes):
    r"""For every element, the product of the *other* elements over ``axes``:
    :math:`\prod_{j \ne i} x_j`, the derivative of a product (exact with zeros too).

    The reduced axes are moved last and flattened to one axis of length ``N``; then the
    product of the elements before ``i`` times the product of those after ``i``.
    """
    if x.size == 0:
        return np.zeros_like(x)
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, kept + list(axes))
    flat = moved.reshape(moved.shape[:len(kept)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (before * after).reshape(moved.shape)
    return np.transpose(others, np.argsort(kept + list(axes)))


def _reduce_backward(reduction, x, y, grad, axes):
    """``dL/dx`` of ``y = reduction(x, axes, keepdims=True)`` given ``dL/dy`` (keepdims)."""
    if reduction == "sum":
        return np.broadcast_to(grad, x.shape)
    if reduction == "mean":
        count = int(np.prod([x.shape[a] for a in axes]))
        return np.broadcast_to(grad / count, x.shape)
    if reduction == "prod":
        return grad * _exclusive_product(x, axes)
    winners = x == y                      # max / min: shared equally between ties
    return grad * winners / winners.sum(axis=axes, keepdims=True)


class Transform(Function):
    r"""Run an einops :class:`~lucid.einops._recipe.Recipe`; backward runs it in reverse."""

    @staticmethod
    def forward(ctx, x, recipe=None, reduction="sum"):
        ctx.recipe, ctx.reduction, ctx.shape = recipe, reduction, x.shape
        y = x.reshape(recipe.elementary_shape)                            # 1
        if recipe.reduced_axes:                                           # 2
            ctx.x = y
            ctx.y = getattr(np, reduction)(y, axis=recipe.reduced_axes, keepdims=True)
            y = np.squeeze(ctx.y, axis=recipe.reduced_axes)
        y = np.transpose(y, recipe.permutation)                           # 3
        if recipe.new_axes:                                               # 4
            y = np.expand_dims(y, tuple(p for p, _ in recipe.new_axes))
            y = np.broadcast_to(y, recipe.expanded_shape)
        return np.array(y.reshape(recipe.final_shape))                    # 5, its own copy

    @staticmethod
    def backward(ctx, grad):
        recipe = ctx.recipe
        g = grad.reshape(recipe.expanded_shape)                           # 5
        if recipe.new_axes:                                               # 4
            g = g.sum(axis=tuple(p for p, _ in recipe.new_axes))
        g = np.transpose(g, np.argsort(recipe.permutation))               # 3
        if recipe.reduced_axes:                                           # 2
            g = np.expand_dims(g, recipe.reduced_axes)
            g = _reduce_backward(ctx.reduction, ctx.x, ctx.y, g, recipe.reduced_axes)
        return g.reshape(ctx.shape)                                       # 1


def _check_lengths(name, axes_lengths):
    for axis, n in axes_lengths.items():
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
            raise TypeError(f"{name}: axes_lengths must be positive ints; got {axis}={n!r}")
    return {axis: int(n) for axis, n in axes_lengths.items()}


def _run(name, tensor, pattern, reduction, axes_lengths):
    x = as_tensor(tensor)
    parsed = parse_pattern(pattern)
    recipe = make_recipe(parsed, name, x.shape, _check_lengths(name, axes_lengths))
    if reduction in ("max", "min") and recipe.reduced_axes and x.size == 0:
        raise ValueError(f"reduce: cannot take the {reduction} over empty axes "
                         f"(pattern {pattern!r}, input shape {x.shape})")
    return Transform.apply(x, recipe=recipe, reduction=reduction)


def rearrange(tensor, pattern, **axes_lengths):
    r"""Reorder, split and merge axes, described by a pattern.

    .. math:: y[\text{right axes}] = x[\text{left axes}]

    Every element is moved, none is changed: ``rearrange`` is a reshape, a
    transpose and a reshape. ``"b c h w -> b h w c"`` moves the channels last;
    ``"b (h w) -> b h w"`` splits an axis (``h`` or ``w`` given as a keyword);
    ``"b c h w -> b (c h w)"`` merges axes (flattens); ``"... c -> c ..."`` moves the
    last axis first. The pattern grammar is described in :mod:`lucid.einops`.

    Shapes: the input has one axis per group on the left; the output one per group on
    the right, each of length the product of its elementary axes.

    Backward: the inverse move, :math:`\partial L/\partial x` is
    :math:`\partial L/\partial y` rearranged by the reversed pattern.

    Parameters
    ----------
    tensor : Tensor
        The input.
    pattern : str
        ``"left -> right"``; both sides must hold the same axes.
    **axes_lengths : int
        Lengths of axes that the shape does not determine.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For a bad pattern (the message quotes it): mismatched parentheses, an axis on
        one side only, wrong number of dimensions, a length that does not divide, an
        axis whose length cannot be inferred.
    TypeError
        If ``pattern`` is not a str or an axis length not a positive int.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    >>> print(lucid.einops.rearrange(x, "h w -> w h"))
    Tensor([[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]], grad_fn=Transform)
    >>> print(lucid.einops.rearrange(x, "h (w two) -> (h w) two", two=1))
    Tensor([[1.0], [2.0], [3.0], [4.0], [5.0], [6.0]], grad_fn=Transform)
    >>> y = lucid.einops.rearrange(x, "h w -> (w h)")
    >>> print(y)
    Tensor([1.0, 4.0, 2.0, 5.0, 3.0, 6.0], grad_fn=Transform)
    >>> y.backward([0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    >>> x.grad
    array([[0., 0., 0.],
           [1., 0., 0.]], dtype=float32)
    """
    return _run("rearrange", tensor, pattern, "sum", axes_lengths)


def reduce(tensor, pattern, reduction, **axes_lengths):
    r"""Reduce the axes that the pattern drops, then rearrange the rest.

    .. math:: y[\text{right axes}] = \operatorname{reduction}_{\text{axes only on the
              left}} \; x[\text{left axes}]

    ``"b c h w -> b c"`` with ``"mean"`` is global average pooling;
    ``"b c (h 2) (w 2) -> b c h w"`` with ``"max"`` is 2x2 max pooling;
    ``"b h w -> b () w"`` keeps the reduced axis with length 1.

    Shapes: as :func:`rearrange`, without the reduced axes.

    Backward, with :math:`g = \partial L/\partial y` sent back to the elements that
    were reduced into each output: ``sum`` :math:`g`; ``mean`` :math:`g / N`; ``max``
    and ``min`` :math:`g` to the elements equal to the result (shared equally between
    ties, as PyTorch's ``amax``); ``prod`` :math:`g \prod_{j \ne i} x_j` (exact when
    some :math:`x_j = 0`).

    Parameters
    ----------
    tensor : Tensor
        The input.
    pattern : str
        ``"left -> right"``; every axis on the right must be on the left.
    reduction : {'sum', 'mean', 'max', 'min', 'prod'}
    **axes_lengths : int
        Lengths of axes that the shape does not determine.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For a bad pattern (see :func:`rearrange`), an unknown axis on the right, an
        unknown ``reduction``, or ``max`` / ``min`` over empty axes.
    TypeError
        If ``pattern`` or ``reduction`` is not a str or an axis length not a positive int.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]], requires_grad=True)
    >>> print(lucid.einops.reduce(x, "h w -> w", "sum"))
    Tensor([6.0, 8.0, 10.0, 12.0], grad_fn=Transform)
    >>> y = lucid.einops.reduce(x, "h (w 2) -> h w", "max")
    >>> print(y)
    Tensor([[2.0, 4.0], [6.0, 8.0]], grad_fn=Transform)
    >>> y.sum().backward()
    >>> x.grad
    array([[0., 1., 0., 1.],
           [0., 1., 0., 1.]], dtype=float32)
    """
    if not isinstance(reduction, str):
        raise TypeError(f"reduce: reduction must be a str, one of {', '.join(REDUCTIONS)}; "
                        f"got {reduction!r}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduce: reduction must be one of {', '.join(REDUCTIONS)}; "
                         f"got {reduction!r}")
    return _run("reduce", tensor, pattern, reduction, axes_lengths)


def repeat(tensor, pattern, **axes_lengths):
    r"""Copy the input along new axes (given on the right only), then rearrange.

    .. math:: y[\text{right axes}] = x[\text{left axes}] \quad \text{for every value of
              the new axes}

    ``"h w -> h w c"`` with ``c=3`` adds a last axis of 3 copies;
    ``"h w -> (h 2) (w 2)"`` doubles each pixel (nearest-neighbour upsampling);
    ``"h w -> (2 h) w"`` stacks two copies (tiling).

    Shapes: as :func:`rearrange`, with the new axes.

    Backward: each input element is copied to every position of the new axes, so
    :math:`\partial L/\partial x` is :math:`\partial L/\partial y` rearranged back and
    summed over the new axes.

    Parameters
    ----------
    tensor : Tensor
        The input.
    pattern : str
        ``"left -> right"``; every axis on the left must be on the right.
    **axes_lengths : int
        Lengths of the new axes (and of axes the shape does not determine).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For a bad pattern (see :func:`rearrange`), an axis on the left only, or a new
        axis without a length.
    TypeError
        If ``pattern`` is not a str or an axis length not a positive int.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.Tensor([1.0, 2.0], requires_grad=True)
    >>> y = lucid.einops.repeat(x, "w -> h w", h=3)
    >>> print(y)
    Tensor([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]], grad_fn=Transform)
    >>> print(lucid.einops.repeat(x, "w -> (w 2)"))
    Tensor([1.0, 1.0, 2.0, 2.0], grad_fn=Transform)
    >>> y.sum().backward()
    >>> x.grad
    array([3., 3.], dtype=float32)
    """
    return _run("repeat", tensor, pattern, "sum", axes_lengths)
