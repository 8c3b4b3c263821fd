"""From a parsed pattern and a tensor's shape to a *recipe*: the plain array steps that
carry out ``rearrange``, ``reduce`` or ``repeat``.

Every einops operation is the same five steps on the elementary axes:

1. ``reshape`` the input so that each elementary axis of the left side is its own
   axis (``(h p)`` of length 6 with ``p=2`` becomes ``h=3, p=2``);
2. ``reduce`` the axes that are on the left but not on the right (``reduce`` only);
3. ``transpose`` the remaining axes into their order on the right side;
4. insert the axes that are on the right but not on the left, and broadcast them to
   their lengths (``repeat`` only);
5. ``reshape`` to the right side's groups (``(c p)`` merges ``c`` and ``p``).

:func:`make_recipe` works out every length (from the shape, the keyword lengths and
division) and checks the pattern against the operation; its errors quote the pattern.
"""
from math import prod
from typing import NamedTuple

from lucid.einops._pattern import ELLIPSIS, anonymous_length, pattern_error

__all__ = ["Recipe", "make_recipe"]


class Recipe(NamedTuple):
    """The steps of one einops call (see the module docstring)."""
    elementary_shape: tuple   # 1. the input reshaped: one axis per elementary left axis
    reduced_axes: tuple       # 2. positions (in elementary_shape) to reduce
    permutation: tuple        # 3. order of the kept axes on the right
    new_axes: tuple           # 4. (position, length) of the axes repeat inserts
    expanded_shape: tuple     #    the elementary right shape after step 4
    final_shape: tuple        # 5. the output shape


def _name(name):
    """How an axis is called in a message."""
    n = anonymous_length(name)
    if n is not None:
        return f"anonymous axis {n}"
    if name.startswith(ELLIPSIS):
        return "an axis of '...'"
    return f"axis {name!r}"


def _expand_ellipsis(text, left, right, ndim):
    """Replace ``...`` by names ``...0, ...1, ...`` for the input axes it covers: a
    standalone ``...`` becomes one group per axis, ``(... c)`` one merged group."""
    named = sum(1 for g in left if g != ELLIPSIS)
    has_ellipsis = ELLIPSIS in left
    if not has_ellipsis and named != ndim:
        raise pattern_error(text, f"the left side names {named} axes but the input has {ndim} "
                                  f"dimensions")
    if has_ellipsis and named > ndim:
        raise pattern_error(text, f"the left side names {named} axes (plus '...') but the input "
                                  f"has only {ndim} dimensions")
    ellipsis = tuple(f"{ELLIPSIS}{i}" for i in range(ndim - named))

    def expand(groups):
        out = []
        for g in groups:
            if g == ELLIPSIS:
                out.extend((name,) for name in ellipsis)
            elif ELLIPSIS in g:
                i = g.index(ELLIPSIS)
                out.append(g[:i] + ellipsis + g[i + 1:])
            else:
                out.append(g)
        return out

    return expand(left), expand(right)


def make_recipe(pattern, operation, shape, axes_lengths):
    """The :class:`Recipe` of ``operation`` ('rearrange', 'reduce', 'repeat') on ``shape``."""
    text = pattern.text
    left, right = _expand_ellipsis(text, pattern.left, pattern.right, len(shape))
    left_axes = [a for g in left for a in g]
    right_axes = [a for g in right for a in g]

    for name in axes_lengths:
        if name not in left_axes and name not in right_axes:
            raise pattern_error(text, f"axes_lengths gives {name}={axes_lengths[name]}, but there "
                                      f"is no axis {name!r} in the pattern")

    # which axes the operation may drop or create
    only_left = [a for a in left_axes if a not in right_axes]
    only_right = [a for a in right_axes if a not in left_axes]
    if operation == "rearrange" and (only_left or only_right):
        side, names = ("left", only_left) if only_left else ("right", only_right)
        raise pattern_error(text, f"{_name(names[0])} is on the {side} side only; rearrange "
                                  "needs the same axes on both sides (use reduce or repeat)")
    if operation == "reduce" and only_right:
        raise pattern_error(text, f"unknown {_name(only_right[0])} on the right side: reduce "
                                  "cannot create axes (use repeat)")
    if operation == "repeat" and only_left:
        raise pattern_error(text, f"{_name(only_left[0])} is on the left side only: repeat cannot "
                                  "remove axes (use reduce)")

    # lengths: from the keywords and anonymous axes, then solved group by group
    length = {a: anonymous_length(a) for a in left_axes + right_axes if anonymous_length(a)}
    length.update(axes_lengths)
    for group, dim in zip(left, shape):
        unknown = [a for a in group if a not in length]
        known = prod(length[a] for a in group if a in length)
        described = "(" + " ".join(group) + ")" if len(group) != 1 else group[0]
        if len(unknown) > 1:
            raise pattern_error(text, f"cannot infer the lengths of {', '.join(unknown)} in "
                                      f"{described} (length {dim}): give all but one as keyword "
                                      "arguments")
        if unknown:
            if known == 0 or dim % known:
                raise pattern_error(text, f"the axis {described} has length {dim}, which the known "
                                          f"lengths ({known}) do not divide")
            length[unknown[0]] = dim // known
        elif known != dim:
            raise pattern_error(text, f"the axis {described} has length {dim}, but the lengths "
                                      f"given multiply to {known}")
    for a in only_right:
        if a not in length:
            raise pattern_error(text, f"the new axis {a!r} needs its length: pass {a}=<int>")

    elementary_shape = tuple(length[a] for a in left_axes)
    reduced_axes = tuple(i for i, a in enumerate(left_axes) if a in only_left)
    kept = [a for a in left_axes if a not in only_left]
    kept_on_right = [a for a in right_axes if a in kept]
    permutation = tuple(kept.index(a) for a in kept_on_right)
    new_axes = tuple((i, length[a]) for i, a in enumerate(right_axes) if a in only_right)
    expanded_shape = tuple(length[a] for a in right_axes)
    final_shape = tuple(prod(length[a] for a in g) for g in right)
    return Recipe(elementary_shape, reduced_axes, permutation, new_axes, expanded_shape,
                  final_shape)
