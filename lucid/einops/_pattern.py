"""Reading an einops pattern such as ``"b c (h p) w -> b (c p) h w"``.

A pattern is two *sides* joined by ``->``. Each side is a list of *groups*, one per
axis of the tensor on that side; a group is one or more *elementary axes*:

* a name ``h`` (letters, digits, ``_``; not starting with a digit);
* parentheses ``(h p)``: one tensor axis made of several elementary axes, the first
  one varying slowest (row-major, as ``reshape``); ``()`` is an axis of length 1;
* a number: ``1`` is an axis of length 1 (the same as ``()``); a larger number ``n``
  is an *anonymous* axis of length ``n`` (``(h 2)``: split off a factor 2);
* ``...``: all the axes the pattern does not name, at most once per side.

:func:`parse_pattern` turns the text into a :class:`Pattern`; it checks only the
syntax. What the axes mean for a given tensor is worked out in ``_recipe.py``.
"""
import re
from typing import NamedTuple

__all__ = ["ELLIPSIS", "Pattern", "parse_pattern", "pattern_error"]

ELLIPSIS = "..."
_TOKEN = re.compile(r"\.\.\.|\(|\)|[A-Za-z_][A-Za-z0-9_]*|\d+|\S")


class Pattern(NamedTuple):
    """A parsed pattern: each side is a list of groups, each group a tuple of axis names
    (``(h w)`` is ``("h", "w")``, ``h`` is ``("h",)``), or the string ``ELLIPSIS`` for a
    standalone ``...`` (inside parentheses it is one of the names of the group).

    Anonymous axes are named ``"2#k"`` (their length, ``#``, a counter) so that each is
    a distinct axis; ``ELLIPSIS`` stands for the unnamed axes.
    """
    text: str
    left: list
    right: list


def pattern_error(text, problem):
    """The ValueError for a bad pattern: it quotes the pattern and says what is wrong."""
    return ValueError(f"einops pattern {text!r}: {problem}")


def anonymous_length(name):
    """The length of an anonymous axis name ``"n#k"``, or None for a named axis."""
    return int(name.split("#")[0]) if "#" in name else None


def _parse_side(text, side, which, counter):
    groups, current = [], None          # current: the open parenthesised group, or None
    seen = set()
    for token in _TOKEN.findall(side):
        if token == "(":
            if current is not None:
                raise pattern_error(text, f"nested parentheses on the {which} side; "
                                          "a group (...) holds names only")
            current = []
        elif token == ")":
            if current is None:
                raise pattern_error(text, f"')' without a matching '(' on the {which} side")
            groups.append(tuple(current))
            current = None
        else:
            if token == ELLIPSIS or token[0].isalpha() or token[0] == "_":
                name = token
            elif token.isdigit():
                n = int(token)
                if n == 0:
                    raise pattern_error(text, "an axis cannot have length 0")
                if n == 1:              # '1': an axis of length 1, like '()'
                    if current is None:
                        groups.append(())
                    continue
                counter[0] += 1
                name = f"{n}#{counter[0]}"
            else:
                raise pattern_error(text, f"unexpected character {token!r} on the {which} side "
                                          "(axis names are letters, digits and '_')")
            if name in seen:
                what = "'...'" if name == ELLIPSIS else f"axis {name!r}"
                raise pattern_error(text, f"{what} appears twice on the {which} side")
            seen.add(name)
            if current is None:         # a standalone '...' stays the bare string
                groups.append(name if name == ELLIPSIS else (name,))
            else:
                current.append(name)
    if current is not None:
        raise pattern_error(text, f"'(' without a matching ')' on the {which} side")
    return groups


def parse_pattern(text):
    """Parse ``"left -> right"`` into a :class:`Pattern` (ValueError quoting it if bad)."""
    if not isinstance(text, str):
        raise TypeError(f"einops: pattern must be a str; got {type(text).__name__}")
    if text.count("->") != 1:
        raise pattern_error(text, "expected exactly one '->' between the input and output axes")
    left_text, right_text = text.split("->")
    counter = [0]
    left = _parse_side(text, left_text, "left", counter)
    right = _parse_side(text, right_text, "right", counter)
    if any(g != ELLIPSIS and ELLIPSIS in g for g in left):
        raise pattern_error(text, "'...' inside parentheses on the left side is not allowed")
    has_left = ELLIPSIS in left
    if not has_left and any(ELLIPSIS in g for g in right):
        raise pattern_error(text, "'...' on the right side but not on the left")
    return Pattern(text, left, right)
