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
import os
from typing import NamedTuple

from lucid import _allocator, _blas_env, _ext

__all__ = ["KernelStatus", "Setting", "status", "use", "settings", "families"]

families = _ext.families


class KernelStatus(NamedTuple):
    """The state of one kernel family."""

    active: str
    """``'reference'``, ``'compiled'`` or ``'custom: NAME'`` (a module plugged in with
    :func:`use`): the twin that runs now."""
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
def use(kind, *families, family=None):
    """Run a block of code on one twin, or on your own kernels, then restore the choice.

    Parameters
    ----------
    kind : {'reference', 'compiled', 'auto'}, module, or path to a ``.py`` file
        The twin to use inside the block; or a module (or the file of one) with a
        family's contract -- every function of the reference twin, with the same
        signature -- which then runs as that family's kernels (``family`` names it).
    *families : str
        Limit the switch to these families (default: all).
    family : str, optional
        The family a module or file plugs into (``"conv"``, ``"pool"``, ...).

    Raises
    ------
    ImportError
        ``kind='compiled'`` for a family whose compiled twin is not built.
    ValueError
        An unknown kind or family; a module without ``family``; a module missing a
        function of the contract or with another signature (the message names it).

    Examples
    --------
    >>> import lucid
    >>> with lucid.kernels.use("reference", "scatter"):
    ...     print(lucid.kernels.status()["scatter"].active)
    reference

    Any module with the contract can run inside real models, e.g. a student's own
    scatter-add (here a copy of the reference twin):

    >>> import types
    >>> from lucid._ext import scatter as reference_scatter
    >>> mine = types.ModuleType("my_scatter")
    >>> mine.scatter_add = reference_scatter.scatter_add
    >>> with lucid.kernels.use(mine, family="scatter"):
    ...     print(lucid.kernels.status()["scatter"].active)
    custom: my_scatter
    """
    saved = _ext.state()
    if isinstance(kind, str) and not kind.endswith(".py") and family is None:
        _ext.select(kind, families or None)
    else:
        chosen = family if family is not None else (families[0] if len(families) == 1 else None)
        if chosen is None or (family is not None and families):
            raise ValueError("lucid.kernels.use: a module or .py file plugs into one family: "
                             "name it with family=..., e.g. use(module, family='conv')")
        _ext.plug(kind, chosen)
    try:
        yield
    finally:
        _ext.restore(saved)


class Setting(NamedTuple):
    """One process-wide setting that importing lucid may change."""

    value: str
    """What is in force now."""
    set_by: str
    """Who set it (you, lucid, or nobody), and when."""
    opt_out: str
    """How to keep lucid from changing it."""


class _SettingsTable(dict):
    def __repr__(self):
        lines = []
        for name, st in self.items():
            lines += [name, f"    value:   {st.value}", f"    set by:  {st.set_by}",
                      f"    opt out: {st.opt_out}"]
        return "\n".join(lines)


def _load_setting(openmp):
    """The ``OpenMP threads`` row of :func:`settings`."""
    from lucid._ext import _cpus
    if not openmp:
        return Setting("nothing (the compiled twins are not built)", "nobody",
                       "nothing to do")
    if not _cpus.ENABLED:
        return Setting("every thread of the team, whatever the load", "nobody",
                       "nothing to do (LUCID_LOAD_AWARE=0 is set)")
    return Setting(
        f"at most the CPUs other processes leave free ({_cpus.free()} of "
        f"{_cpus.cpu_count} now); the same bits on any count",
        "lucid (lucid/_ext/_cpus.py)",
        "LUCID_LOAD_AWARE=0 in the environment before importing lucid")


def settings():
    """Tell what importing lucid changed in this process, who set it, and how to opt out.

    lucid changes a few process-wide settings of the C libraries it runs on, each kept
    because a measurement showed it pays (the page *What importing lucid changes*
    in the docs has the numbers):

    ``malloc``
        glibc keeps freed arrays below 256 MiB for reuse instead of unmapping them.
    ``OPENBLAS_THREAD_TIMEOUT``
        OpenBLAS's idle worker threads sleep at once instead of spinning ~0.1 s.
    ``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT``
        idle OpenMP worker threads spin for 3-5 ms (300,000 rounds, GNU OpenMP's
        default), then sleep; the setting is the whole process's (PyTorch's too, when it
        is imported after lucid: one OpenMP runtime serves the process).
    ``OpenMP threads``
        the compiled kernels' parallel loops run on no more threads than the CPUs
        other processes leave free (the same bits on any count).
    ``BLAS threads``
        OpenBLAS runs on one thread while a conv kernel calls its gemm from every
        OpenMP thread (no other lucid product runs meanwhile).
    ``fork``
        the OpenMP runtime frees its thread pool before each fork, so a forked child
        can start its own.

    Returns
    -------
    dict of str to Setting
        Its ``repr`` is a readable list, so ``print(lucid.kernels.settings())`` works.

    Examples
    --------
    >>> import lucid
    >>> table = lucid.kernels.settings()
    >>> sorted(table)
    ['BLAS threads', 'GOMP_SPINCOUNT', 'OMP_WAIT_POLICY', 'OPENBLAS_THREAD_TIMEOUT', 'OpenMP threads', 'fork', 'malloc']
    >>> table["malloc"].opt_out
    'LUCID_MALLOC_TUNING=0 in the environment before importing lucid'
    """
    from lucid._ext import _blas

    blas = _blas.find()
    in_effect = _blas.timeout_in_effect()
    timeout = os.environ.get("OPENBLAS_THREAD_TIMEOUT", "unset")
    if in_effect is not None:
        timeout += f" (OpenBLAS uses {in_effect})"
    spins = (" and while lucid multiplies under 2**25 flops (waking a second thread costs "
             "more there) or in blocks on its own OpenMP threads (the matmul kernels)")
    if blas is None:
        threads = Setting("never changed: NumPy's BLAS is not an OpenBLAS lucid calls "
                          "directly (or LUCID_BLAS=numpy)", "nobody", "nothing to do")
    else:
        threads = Setting(
            f"{blas._get()} (OpenBLAS's count); 1 while a conv kernel's per-sample GEMM "
            f"path runs{spins}",
            "lucid's conv kernels and products, one mode at a time (lucid/_ext/_blas.py)",
            "LUCID_BLAS=numpy (the conv kernels then multiply through np.matmul; slower)")
    openmp = _ext.compiled_available("conv")
    return _SettingsTable({
        "malloc": Setting(
            "M_MMAP_THRESHOLD=256 MiB, M_TRIM_THRESHOLD=1 GiB" if _allocator.STATE == "on"
            else f"the C library's defaults: {_allocator.STATE}",
            "lucid, at import (lucid/_allocator.py)" if _allocator.STATE == "on" else "nobody",
            "LUCID_MALLOC_TUNING=0 in the environment before importing lucid"),
        "OPENBLAS_THREAD_TIMEOUT": Setting(
            timeout, _blas_env.TIMEOUT_SET_BY,
            "set OPENBLAS_THREAD_TIMEOUT yourself before importing lucid "
            "(OpenBLAS's own default is 28)"),
        "OMP_WAIT_POLICY": Setting(
            os.environ.get("OMP_WAIT_POLICY", "unset"), _ext.WAIT_POLICY_SET_BY,
            "set OMP_WAIT_POLICY yourself before importing lucid or PyTorch"),
        "GOMP_SPINCOUNT": Setting(
            os.environ.get("GOMP_SPINCOUNT", "unset"), _ext.SPIN_COUNT_SET_BY,
            "set GOMP_SPINCOUNT (or OMP_WAIT_POLICY) yourself before importing lucid or "
            "PyTorch"),
        "OpenMP threads": _load_setting(openmp),
        "BLAS threads": threads,
        "fork": Setting(
            "the OpenMP thread pool is freed before each fork" if openmp
            else "nothing (the compiled twins are not built)",
            "lucid/_ext/_openmp.pyx (os.register_at_fork)" if openmp else "nobody",
            "none: it only frees idle threads, which the next parallel loop starts again"),
    })
