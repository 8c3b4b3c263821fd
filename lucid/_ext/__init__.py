"""The kernels, and the one place that picks a twin for each family.

Every kernel family lives here twice, the way the standard library keeps ``heapq.py``
beside ``_heapq``:

* ``lucid/_ext/<family>.py`` — the *reference* twin: plain NumPy written for a student
  to read, with the formula in each docstring;
* ``lucid/_ext/_<family>.pyx`` — the *compiled* twin: typed Cython memoryviews with the
  same function names, arguments and results.

Which twin runs is chosen at import from the environment variable ``LUCID_KERNELS``:

``auto`` (default)
    the compiled twin where it is built, else the reference (warning once);
``reference``
    the reference twin everywhere;
``compiled``
    the compiled twin everywhere; an ImportError if one is not built.

Operations fetch the active twin at call time with :func:`get`, so
:func:`lucid.kernels.use` can switch twins for a block of code.
"""
import importlib
import importlib.util
import inspect
import os
import pkgutil
import warnings

from lucid import _blas_env

__all__ = ["families", "get", "select", "plug", "state", "restore", "status", "BUILD_HINT"]



def _openmp_loaded():
    """The OpenMP runtime already mapped into this process (e.g. by PyTorch), or None."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                name = os.path.basename(line.rsplit(None, 1)[-1]) if "/" in line else ""
                if name.startswith(("libgomp", "libomp", "libiomp")):
                    return line.rsplit(None, 1)[-1]
    except OSError:
        pass
    return None


# The compiled twins' OpenMP threads wait for work by spinning for a moment
# (GOMP_SPINCOUNT=300000, GNU OpenMP's own default: 3-5 ms here), then sleeping
# (OMP_WAIT_POLICY=PASSIVE). In a training step the next parallel loop comes soon and
# finds them awake; waking a sleeping thread cost ~70-110 us a loop on this project's
# virtual machines. On a busy machine spinning threads starved the threads doing the work
# (the demo's epochs ran 5.9 s instead of 0.3 s under load), so the kernels run on no
# more threads than the CPUs other processes leave free (lucid/_ext/_cpus.py): on a busy
# machine, one thread, no parallel loop, nothing spins. With that rule the spin went from
# 30000 (0.3-0.6 ms) to 300000: the MLP's and the encoder's steps put their products on
# the OpenMP threads with gaps longer than 0.6 ms between some of them. The runtime reads
# both variables when it loads (with the first compiled twin, below, unless PyTorch
# loaded it first); an OMP_WAIT_POLICY or GOMP_SPINCOUNT in the environment wins. They
# are the process's settings: a PyTorch imported later runs on the same runtime with
# them. Numbers: docs/process.rst.
SPIN_COUNT = "300000"
_OPENMP_BEFORE = _openmp_loaded()
WAIT_POLICY_SET_BY = (
    "you (the environment)" if "OMP_WAIT_POLICY" in os.environ
    else f"lucid, too late: the OpenMP runtime was loaded before lucid ({_OPENMP_BEFORE}) "
         "and read its environment then (its idle threads spin)" if _OPENMP_BEFORE
    else "lucid, before the OpenMP runtime loaded")
SPIN_COUNT_SET_BY = (
    "you (the environment)" if "GOMP_SPINCOUNT" in os.environ
    else "nobody: you set OMP_WAIT_POLICY (GNU OpenMP then spins as that policy says)"
    if "OMP_WAIT_POLICY" in os.environ
    else "nobody: the OpenMP runtime was loaded before lucid (it read its own default)"
    if _OPENMP_BEFORE
    else "lucid, before the OpenMP runtime loaded")
if SPIN_COUNT_SET_BY.startswith("lucid"):
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
_blas_env.OPENMP_SPINS = WAIT_POLICY_SET_BY.startswith("lucid, too late")

BUILD_HINT = (
    "build them with `pip install -e .` from a lucid checkout "
    "(needs a C compiler; Cython and NumPy are fetched by pip)"
)

_KINDS = ("auto", "reference", "compiled")


# Twins in this folder that are not kernel families: the compiled kernels import
# ``_openmp`` themselves (threads and fork safety), and ``_blas`` picks its BLAS mode
# gate (``gate.py`` / ``_gate.pyx``), so no switch applies to them.
NOT_FAMILIES = ("openmp", "gate")


def _discover():
    """Families are the reference modules in this folder: ``conv.py`` -> ``conv``."""
    names = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name not in NOT_FAMILIES:
            names.append(info.name)
    return tuple(sorted(names))


families = _discover()

_reference = {}   # family -> reference module
_compiled = {}    # family -> compiled module, or the ImportError that stopped it
_active = {}      # family -> the module ops call now
_reason = {}      # family -> why that twin is active


def _load(family):
    if family not in _reference:
        _reference[family] = importlib.import_module(f"{__name__}.{family}")
        try:
            _compiled[family] = importlib.import_module(f"{__name__}._{family}")
        except ImportError as exc:
            _compiled[family] = exc


def compiled_available(family):
    """Whether the compiled twin of ``family`` is built and importable."""
    _load(family)
    return not isinstance(_compiled[family], ImportError)


def select(kind, families_=None, *, _origin="lucid.kernels.use"):
    """Make ``kind`` ('auto', 'reference' or 'compiled') the active twin of each family.

    Returns the families that fell back to the reference in ``auto`` mode.
    """
    if kind not in _KINDS:
        raise ValueError(
            f"{_origin}: kind must be one of {', '.join(map(repr, _KINDS))}, got {kind!r}"
        )
    chosen = families if families_ is None else tuple(families_)
    for family in chosen:
        if family not in families:
            raise ValueError(
                f"{_origin}: unknown kernel family {family!r}; known: {', '.join(families)}"
            )
    missing = [f for f in chosen if not compiled_available(f)]
    if kind == "compiled" and missing:
        detail = "; ".join(f"{f}: {_compiled[f]}" for f in missing)
        raise ImportError(
            f"{_origin}: the compiled twin is not built for {', '.join(missing)} "
            f"({detail}); {BUILD_HINT}"
        )
    fallback = []
    for family in chosen:
        if kind == "reference":
            _active[family] = _reference[family]
            _reason[family] = f"reference requested ({_origin})"
        elif family in missing:
            _active[family] = _reference[family]
            _reason[family] = "auto: compiled twin not built, so the reference runs"
            fallback.append(family)
        else:
            _active[family] = _compiled[family]
            _reason[family] = (
                f"compiled requested ({_origin})" if kind == "compiled"
                else "auto: compiled twin is built"
            )
    return fallback


def _module_from(source, origin):
    """``source`` itself when it is a module, else the module in the ``.py`` file it names."""
    if not isinstance(source, (str, os.PathLike)):
        return source
    path = os.fspath(source)
    if not path.endswith(".py") or not os.path.isfile(path):
        raise ValueError(f"{origin}: a path must name an existing .py file, got {path!r}")
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(f"lucid_custom_kernels.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plug(source, family, *, _origin="lucid.kernels.use"):
    """Make a module with ``family``'s contract (or the ``.py`` file ``source`` names) the
    active twin of ``family``: every function of the reference twin, with its signature."""
    if family not in families:
        raise ValueError(f"{_origin}: unknown kernel family {family!r}; "
                         f"known: {', '.join(families)}")
    module = _module_from(source, _origin)
    _load(family)
    reference = _reference[family]
    name = getattr(module, "__name__", repr(module)).rsplit(".", 1)[-1]
    for function in reference.__all__:
        theirs = getattr(module, function, None)
        if not callable(theirs):
            raise ValueError(f"{_origin}: module {name!r} has no function {function!r}, "
                             f"which the {family} family's contract needs "
                             f"({', '.join(reference.__all__)})")
        expected = inspect.signature(getattr(reference, function))
        try:
            got = inspect.signature(theirs)
        except (TypeError, ValueError):
            got = None
        if got != expected:
            raise ValueError(f"{_origin}: {name}.{function} has the signature {got}; "
                             f"the {family} family's contract is {function}{expected}")
    _active[family] = module
    _reason[family] = f"custom module {name!r} plugged in ({_origin})"


def get(family):
    """The active twin (a module) of ``family``; ops call their kernels through it."""
    return _active[family]


def state():
    """The active twin and its reason per family, to hand back to :func:`restore`."""
    return {f: (_active[f], _reason[f]) for f in _active}


def restore(saved):
    """Make the twins of a :func:`state` active again."""
    for family, (module, reason) in saved.items():
        _active[family] = module
        _reason[family] = reason


def _kind(family):
    module = _active[family]
    if module is _compiled.get(family):
        return "compiled"
    if module is _reference.get(family):
        return "reference"
    return "custom: " + getattr(module, "__name__", "module").rsplit(".", 1)[-1]


def status():
    """``{family: (active twin, compiled built?, reason)}`` for every family; the active
    twin is ``'reference'``, ``'compiled'`` or ``'custom: NAME'``."""
    return {f: (_kind(f), compiled_available(f), _reason[f]) for f in families}


def _select_from_environment():
    kind = os.environ.get("LUCID_KERNELS", "auto").strip().lower() or "auto"
    fallback = select(kind, _origin="LUCID_KERNELS")
    if fallback:
        warnings.warn(
            "lucid: compiled kernels are missing for "
            f"{', '.join(fallback)}; running on the readable reference twins (slower). "
            f"To use the compiled twins, {BUILD_HINT}.",
            RuntimeWarning,
            stacklevel=2,
        )


_select_from_environment()
