"""The twin contract and its switch: same functions and signatures in both twins of every
family; ``lucid.kernels.status`` / ``use``; ``LUCID_KERNELS`` read at import."""
import inspect
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

import lucid
from lucid import _ext

REPO = pathlib.Path(lucid.__file__).resolve().parent.parent
NOT_BUILT = "compiled twin of {!r} is not built; " + _ext.BUILD_HINT.replace("{", "{{").replace("}", "}}")


def _public_functions(module):
    """Names of the public callables a module defines (not imported modules or classes)."""
    return {
        name for name, obj in vars(module).items()
        if not name.startswith("_") and callable(obj) and not isinstance(obj, type)
        and getattr(obj, "__module__", module.__name__) == module.__name__
    }


# ----------------------------------------------------------------- the twin contract
@pytest.mark.parametrize("family", _ext.families)
def test_compiled_twin_has_exactly_the_reference_functions(family):
    if not _ext.compiled_available(family):
        pytest.skip(NOT_BUILT.format(family))
    reference, compiled = _ext._reference[family], _ext._compiled[family]
    assert list(compiled.__all__) == list(reference.__all__)
    assert _public_functions(reference) == set(reference.__all__)
    assert _public_functions(compiled) == set(reference.__all__)


@pytest.mark.parametrize("family", _ext.families)
def test_compiled_twin_has_the_same_signatures(family):
    if not _ext.compiled_available(family):
        pytest.skip(NOT_BUILT.format(family))
    reference, compiled = _ext._reference[family], _ext._compiled[family]
    for name in reference.__all__:
        # Cython 3 compiles functions with binding=True by default, so inspect sees them
        expected = inspect.signature(getattr(reference, name))
        got = inspect.signature(getattr(compiled, name))
        assert got == expected, f"{family}.{name}: compiled {got} != reference {expected}"


@pytest.mark.parametrize("family", _ext.families)
def test_compiled_functions_document_their_loop_nest(family):
    if not _ext.compiled_available(family):
        pytest.skip(NOT_BUILT.format(family))
    compiled = _ext._compiled[family]
    for name in compiled.__all__:
        doc = getattr(compiled, name).__doc__ or ""
        assert "for " in doc and "::" in doc, f"{family}.{name}: docstring shows no loop nest"


# ----------------------------------------------------------------------- status()
def test_status_names_every_family_with_a_reason():
    with lucid.kernels.use("auto"):
        table = lucid.kernels.status()
    assert sorted(table) == sorted(_ext.families)
    for family, st in table.items():
        built = _ext.compiled_available(family)
        assert st.compiled_built is built
        assert st.active == ("compiled" if built else "reference")
        assert ("compiled twin is built" if built else "compiled twin not built") in st.reason
        assert family in repr(table)


def test_status_reason_names_the_request():
    with lucid.kernels.use("reference"):
        for st in lucid.kernels.status().values():
            assert st.active == "reference"
            assert "reference requested" in st.reason


# -------------------------------------------------------------------------- use()
def test_use_reference_switches_and_restores():
    before = lucid.kernels.status()
    with lucid.kernels.use("reference"):
        for family in _ext.families:
            assert _ext.get(family) is _ext._reference[family]
    assert lucid.kernels.status() == before


def test_use_restores_after_an_exception():
    before = lucid.kernels.status()
    with pytest.raises(KeyError, match="boom"):
        with lucid.kernels.use("reference"):
            raise KeyError("boom")
    assert lucid.kernels.status() == before


def test_use_can_switch_one_family():
    others = [f for f in _ext.families if f != "scatter"]
    with lucid.kernels.use("auto"):
        before = lucid.kernels.status()
        with lucid.kernels.use("reference", "scatter"):
            now = lucid.kernels.status()
            assert now["scatter"].active == "reference"
            assert all(now[f] == before[f] for f in others)
        assert lucid.kernels.status() == before


def test_use_nests():
    with lucid.kernels.use("reference"):
        inner_before = lucid.kernels.status()
        with lucid.kernels.use("auto"):
            pass
        assert lucid.kernels.status() == inner_before


def test_use_compiled_without_a_built_twin_is_an_import_error(monkeypatch):
    _ext._load("scatter")
    monkeypatch.setitem(_ext._compiled, "scatter",
                        ImportError("No module named 'lucid._ext._scatter'"))
    before = lucid.kernels.status()
    with pytest.raises(ImportError) as info:
        with lucid.kernels.use("compiled", "scatter"):
            pytest.fail("the block must not run")  # pragma: no cover
    message = str(info.value)
    assert "lucid.kernels.use" in message and "scatter" in message
    assert "pip install -e ." in message             # the build hint
    assert lucid.kernels.status() == before          # nothing was switched


def test_use_auto_without_a_built_twin_falls_back_to_the_reference(monkeypatch):
    _ext._load("scatter")
    monkeypatch.setitem(_ext._compiled, "scatter", ImportError("not built"))
    with lucid.kernels.use("auto", "scatter"):
        st = lucid.kernels.status()["scatter"]
        assert (st.active, st.compiled_built) == ("reference", False)
        assert "not built" in st.reason
        assert _ext.get("scatter") is _ext._reference["scatter"]


@pytest.mark.parametrize("args, match", [
    (("fast",), r"lucid.kernels.use: kind must be one of 'auto', 'reference', 'compiled', got 'fast'"),
    (("reference", "no_such_family"), r"lucid.kernels.use: unknown kernel family 'no_such_family'"),
])
def test_use_rejects_bad_arguments(args, match):
    before = lucid.kernels.status()
    with pytest.raises(ValueError, match=match):
        with lucid.kernels.use(*args):
            pass  # pragma: no cover
    assert lucid.kernels.status() == before


# ------------------------------------------------------------ LUCID_KERNELS at import
_PROBE = textwrap.dedent(
    """
    import json, sys, warnings
    for family in {block!r}:                 # make these compiled twins unimportable
        sys.modules["lucid._ext._" + family] = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            import lucid
        except (ImportError, ValueError) as exc:
            print(json.dumps({{"error": type(exc).__name__, "message": str(exc)}}))
            sys.exit(0)
        import lucid                         # a second import warns no more
        lucid.kernels.status()
        with lucid.kernels.use("auto"):
            pass
    print(json.dumps({{
        "status": {{f: list(s) for f, s in lucid.kernels.status().items()}},
        "warnings": [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)],
    }}))
    """
)


def _import_lucid(kernels, block=()):
    """Import lucid in a fresh interpreter with ``LUCID_KERNELS=kernels``; report back."""
    env = dict(os.environ)
    env.pop("LUCID_KERNELS", None)
    if kernels is not None:
        env["LUCID_KERNELS"] = kernels
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", _PROBE.format(block=tuple(block))],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_env_reference_runs_every_reference_twin_without_warning():
    out = _import_lucid("reference", block=_ext.families)
    assert out["warnings"] == []
    for family in _ext.families:
        active, built, reason = out["status"][family]
        assert (active, built) == ("reference", False)
        assert "LUCID_KERNELS" in reason


def test_env_compiled_with_a_missing_twin_fails_the_import_with_a_hint():
    out = _import_lucid("compiled", block=["scatter"])
    assert out["error"] == "ImportError"
    assert "LUCID_KERNELS" in out["message"] and "scatter" in out["message"]
    assert "pip install -e ." in out["message"]


def test_env_compiled_uses_every_compiled_twin():
    missing = [f for f in _ext.families if not _ext.compiled_available(f)]
    out = _import_lucid("compiled")
    if missing:  # the import must refuse, naming exactly the families not built
        assert out["error"] == "ImportError"
        named = out["message"].split("not built for ")[1].split(" (")[0]
        assert sorted(named.split(", ")) == sorted(missing)
    else:
        assert out["warnings"] == []
        assert all(out["status"][f][0] == "compiled" for f in _ext.families)


@pytest.mark.parametrize("kernels", ["auto", None], ids=["auto", "unset"])
def test_env_auto_with_missing_twins_warns_once(kernels):
    out = _import_lucid(kernels, block=_ext.families)
    assert len(out["warnings"]) == 1, out["warnings"]
    for family in _ext.families:
        assert family in out["warnings"][0]
        active, built, reason = out["status"][family]
        assert (active, built) == ("reference", False)
        assert "not built" in reason


def test_env_auto_with_every_twin_built_does_not_warn():
    missing = [f for f in _ext.families if not _ext.compiled_available(f)]
    if missing:
        pytest.skip(f"compiled twins not built for {', '.join(missing)}")
    out = _import_lucid("auto")
    assert out["warnings"] == []
    assert all(out["status"][f][0] == "compiled" for f in _ext.families)


def test_env_unknown_value_is_a_value_error_naming_the_variable():
    out = _import_lucid("fastest")
    assert out["error"] == "ValueError"
    assert out["message"].startswith("LUCID_KERNELS: kind must be one of")
    assert "'fastest'" in out["message"]


# ------------------------------------------------------------ a module of your own
def _module(name, **functions):
    import types
    module = types.ModuleType(name)
    for key, value in functions.items():
        setattr(module, key, value)
    return module


def _copy_of(family, name="mine"):
    reference = _ext._reference[family]
    return _module(name, **{f: getattr(reference, f) for f in reference.__all__})


def test_use_a_module_makes_it_the_active_twin_and_restores():
    before = lucid.kernels.status()
    calls = []
    mine = _copy_of("scatter", "my_scatter")
    original = mine.scatter_add

    def scatter_add(target, index, values):
        calls.append(index.shape)
        return original(target, index, values)

    mine.scatter_add = scatter_add
    with lucid.kernels.use(mine, family="scatter"):
        st = lucid.kernels.status()["scatter"]
        assert st.active == "custom: my_scatter" and "my_scatter" in st.reason
        x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        x[lucid.Tensor([0, 0, 1])].sum().backward()      # gather's backward: scatter_add
        assert calls and x.grad.tolist() == [[2.0, 2.0], [1.0, 1.0]]
    assert lucid.kernels.status() == before


def test_use_a_py_file(tmp_path):
    source = (REPO / "lucid" / "_ext" / "conv.py").read_text()
    path = tmp_path / "student_conv.py"
    path.write_text(source)
    with lucid.kernels.use(str(path), family="conv"):
        assert lucid.kernels.status()["conv"].active == "custom: student_conv"
        import numpy as np
        y = _ext.get("conv").conv_forward(np.ones((1, 1, 4)), np.ones((1, 1, 2)), (1,), (0,),
                                          (1,), 1)
        assert y.tolist() == [[[2.0, 2.0, 2.0]]]


@pytest.mark.parametrize("spoil, match", [
    ("missing", r"module 'broken' has no function 'fold', which the conv family's contract needs"),
    ("signature", r"broken.unfold has the signature \(x, kernel_size\); the conv family's "
                  r"contract is unfold\(x, kernel_size, stride, padding, dilation\)"),
    ("not callable", r"module 'broken' has no function 'fold'"),
])
def test_use_a_module_that_breaks_the_contract_is_refused(spoil, match):
    mine = _copy_of("conv", "broken")
    if spoil == "missing":
        del mine.fold
    elif spoil == "signature":
        mine.unfold = lambda x, kernel_size: None
    else:
        mine.fold = 3
    before = lucid.kernels.status()
    with pytest.raises(ValueError, match=match):
        with lucid.kernels.use(mine, family="conv"):
            pytest.fail("the block must not run")  # pragma: no cover
    assert lucid.kernels.status() == before


@pytest.mark.parametrize("call, match", [
    (lambda m: lucid.kernels.use(m), "name it with family="),
    (lambda m: lucid.kernels.use(m, family="nope"), "unknown kernel family 'nope'"),
    (lambda m: lucid.kernels.use("no/such/file.py", family="conv"),
     "a path must name an existing .py file"),
])
def test_use_a_module_needs_a_known_family_and_a_real_file(call, match):
    with pytest.raises(ValueError, match=match):
        with call(_copy_of("conv")):
            pass  # pragma: no cover


# --------------------------------------------------------------- docs markers
@pytest.mark.parametrize("family", _ext.families)
def test_compiled_twins_mark_the_loops_of_each_kernel(family):
    """Each public kernel of a .pyx has one or more ``# [loops: NAME]`` ...
    ``# [end loops: NAME]`` regions around the typed loop nests it runs (the docs show
    them beside the reference), and every region is closed."""
    import re

    source = (REPO / "lucid" / "_ext" / f"_{family}.pyx").read_text()
    for name in _ext._reference[family].__all__ if family in _ext._reference else []:
        regions = re.findall(rf"^# \[loops: {name}\]\n(.*?)^# \[end loops: {name}\]$",
                             source, re.S | re.M)
        assert regions, f"_{family}.pyx: no loops region for {name}"
        assert all(re.search(r"^(cdef|def) ", r, re.M) for r in regions)
    opened = re.findall(r"^# \[loops: (\w+)\]$", source, re.M)
    closed = re.findall(r"^# \[end loops: (\w+)\]$", source, re.M)
    assert sorted(opened) == sorted(closed)


# ------------------------------------------------- the thread runtime (not a family)
def test_openmp_is_a_twin_pair_but_not_a_kernel_family():
    from lucid._ext import openmp
    assert "openmp" in _ext.NOT_FAMILIES and "openmp" not in _ext.families
    assert "openmp" not in lucid.kernels.status()
    try:
        from lucid._ext import _openmp
    except ImportError:
        pytest.skip(NOT_BUILT.format("openmp"))
    assert list(_openmp.__all__) == list(openmp.__all__)
    assert _public_functions(openmp) == set(openmp.__all__) - {"SMALL_WORK"}
    assert _openmp.SMALL_WORK == openmp.SMALL_WORK
    for name in set(openmp.__all__) - {"SMALL_WORK"}:
        expected = inspect.signature(getattr(openmp, name))
        assert inspect.signature(getattr(_openmp, name)) == expected, name


def test_the_blas_gate_is_a_twin_pair_but_not_a_kernel_family():
    """``gate.py`` (the rules) and ``_gate.pyx`` (compiled): not switched by
    ``lucid.kernels.use``; the same public names, the same methods, ``ModeGate(blas)``
    both; an unknown mode refused by name on both."""
    from lucid._ext import _blas, gate
    assert "gate" in _ext.NOT_FAMILIES and "gate" not in _ext.families
    assert "gate" not in lucid.kernels.status()
    try:
        from lucid._ext import _gate
    except ImportError:
        pytest.skip(NOT_BUILT.format("gate"))
    assert list(_gate.__all__) == list(gate.__all__) == ["ModeGate"]
    methods = {"hold", "idle_at_one", "count", "_after_fork_in_child", "_reset"}
    for twin in (gate, _gate):
        assert methods <= set(dir(twin.ModeGate)), twin.__name__
    blas = _blas.find()
    if blas is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can call")
    for twin in (gate, _gate):
        made = twin.ModeGate(blas)
        assert made.count() == blas._get()
        with pytest.raises(ValueError, match="mode must be 'one' or 'default'; got 'all'"):
            made.hold("all")


@pytest.mark.parametrize("runtime", ["reference", "compiled"])
def test_threads_for_pass_counts_a_value_as_a_unit(runtime):
    """One pass over values (a ReLU, batch norm in evaluation mode) asks for the threads
    of as much work: one thread below SMALL_WORK values."""
    if runtime == "reference":
        from lucid._ext import openmp as threads
    else:
        threads = pytest.importorskip("lucid._ext._openmp", reason=NOT_BUILT.format("openmp"))
    for values in (0, 1, threads.SMALL_WORK - 1, threads.SMALL_WORK, 10 ** 9):
        assert threads.threads_for_pass(values) == threads.threads_for(values)
    assert threads.threads_for_pass(threads.SMALL_WORK - 1) == 1


@pytest.mark.parametrize("runtime", ["reference", "compiled"])
def test_openmp_twins_answer_within_their_team(runtime):
    if runtime == "reference":
        from lucid._ext import openmp as threads
    else:
        threads = pytest.importorskip("lucid._ext._openmp", reason=NOT_BUILT.format("openmp"))
    team = threads.max_threads()
    assert team >= 1
    assert 1 <= threads.team_size() <= team
    for work in (0, 1, threads.SMALL_WORK - 1, threads.SMALL_WORK, 10 ** 9):
        assert 1 <= threads.threads_for(work) <= threads.parts_for(work) <= team
        assert threads.free_threads(threads.parts_for(work)) <= threads.parts_for(work)
    assert threads.parts_for(10 ** 9) == team        # a large loop is split for every thread
    assert threads.parts_for(threads.SMALL_WORK - 1) == 1
    assert threads.pause() in (0, -1)                # 0: pool freed, -1: nothing to free
    if runtime == "reference":
        assert team == threads.team_size() == threads.threads_for(10 ** 9) == 1
