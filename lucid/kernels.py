"""Which kernel twin runs: inspect it and switch it.

Every numeric kernel of lucid exists twice (see :mod:`lucid._ext`): a readable
reference written in NumPy and a compiled Cython twin with the same functions and
results. This module is the user-facing switch.

Examples
--------
>>> import lucid
>>> st = lucid.kernels.status()
>>> sorted(st) == sorted(lucid._ext.families)
True
>>> with lucid.kernels.use("reference"):
...     lucid.kernels.status()["scatter"].active
'reference'
"""
import contextlib
from typing import NamedTuple

from lucid import _ext

__all__ = ["KernelStatus", "status", "use", "families"]

families = _ext.families


class KernelStatus(NamedTuple):
    """The state of one kernel family."""

    active: str
    """``'reference'`` or ``'compiled'``: the twin that runs now."""
    compiled_built: bool
    """Whether the compiled twin is built and importable."""
    reason: str
    """Why this twin is the active one."""


class _StatusTable(dict):
    def __repr__(self):
        width = max((len(f) for f in self), default=6)
        lines = [f"{'family':<{width}}  active     built  reason"]
        for family, st in self.items():
            lines.append(
                f"{family:<{width}}  {st.active:<9}  {'yes' if st.compiled_built else 'no ':<5}  {st.reason}"
            )
        return "\n".join(lines)


def status():
    """Tell, per kernel family, which twin is active and why.

    Returns
    -------
    dict of str to KernelStatus
        One entry per family (``'conv'``, ``'scatter'``, ...). Its ``repr`` is a
        small table, so ``print(lucid.kernels.status())`` reads well.
    """
    return _StatusTable(
        (family, KernelStatus(*state)) for family, state in _ext.status().items()
    )


@contextlib.contextmanager
def use(kind, *families):
    """Run a block of code on one twin, then restore the previous choice.

    Parameters
    ----------
    kind : {'reference', 'compiled', 'auto'}
        The twin to use inside the block.
    *families : str
        Limit the switch to these families (default: all).

    Raises
    ------
    ImportError
        ``kind='compiled'`` for a family whose compiled twin is not built.

    Examples
    --------
    >>> import lucid
    >>> with lucid.kernels.use("reference", "scatter"):
    ...     print(lucid.kernels.status()["scatter"].active)
    reference
    """
    saved = (dict(_ext._active), dict(_ext._reason))
    _ext.select(kind, families or None)
    try:
        yield
    finally:
        _ext._active.clear(); _ext._active.update(saved[0])
        _ext._reason.clear(); _ext._reason.update(saved[1])
