r"""Counting floating-point operations: ``with lucid.count_flops():`` and ``Tensor.flops``.

Inside ``count_flops()``, every operation records on its result

* its own cost — ``Function.flops(ctx, out, *inputs)``: by default one operation per
  output element; a matrix product :math:`(m \times k)(k \times n)` counts
  :math:`2mkn` (a multiply and an add per term);
* the tensors it read.

``t.flops`` is then the cost of everything that produced ``t``: the sum of the own cost
of every operation in ``t``'s history, **each counted once** however many consumers
share it (``y + y`` counts the work that made ``y`` once, not twice).

Counting works with or without grad mode. The recorded inputs keep tensors alive while
a counted result is alive, so count a forward pass, read ``.flops``, and let go.
"""
import contextlib

__all__ = ["count_flops", "flops_enabled", "total_flops"]


class _State:
    counting = False


state = _State()


@contextlib.contextmanager
def count_flops():
    """Record the cost of every operation run inside the block.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.ones((2, 3))
    >>> b = lucid.ones((3, 4))
    >>> with lucid.count_flops():
    ...     y = a @ b            # 2 * 2 * 3 * 4 = 48
    ...     z = y + y            # 8 more; y's 48 counted once
    >>> y.flops, z.flops
    (48, 56)
    """
    previous = state.counting
    state.counting = True
    try:
        yield
    finally:
        state.counting = previous


def flops_enabled():
    """True inside :func:`count_flops` (the original lucid's ``flops_enabled``).

    Examples
    --------
    >>> import lucid
    >>> lucid.flops_enabled()
    False
    >>> with lucid.count_flops():
    ...     lucid.flops_enabled()
    True
    """
    return state.counting


def total_flops(tensor):
    """The summed own cost of every recorded operation in ``tensor``'s history, once each."""
    total = 0
    seen = set()
    stack = [tensor]
    while stack:
        t = stack.pop()
        record = t._flops
        if record is None or id(t) in seen:
            continue
        seen.add(id(t))
        own, inputs = record
        total += own
        stack.extend(inputs)
    return total
