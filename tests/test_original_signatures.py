"""Every public function and class of the original lucid (2.2.2) exists in lucid, and
accepts every argument name a caller could pass to the original by keyword.

The facts are in tests/data/lucid222_signatures.txt (the original's signatures, one per
line). Each entry is mapped from the original's module to lucid's public namespace
(``lucid._func.exp`` is ``lucid.exp``, ``lucid.nn.modules.attention.MultiHeadAttention``
is ``lucid.nn.MultiHeadAttention``); entries for the original's internals (its Metal
backend, its operation classes) are left out, each group with its reason below.
"""
import ast
import importlib
import inspect
import pathlib
import re

import pytest

DATA = pathlib.Path(__file__).parent / "data" / "lucid222_signatures.txt"

#: Modules of the original that hold no public names, and why they are not checked.
INTERNAL = {
    r"lucid\._backend\.": "the original's op machinery and Apple Metal (MLX) backend; "
                          "lucid writes ops as autograd.Function and has no GPU",
    r"lucid\._func\.(bfunc|ufunc|gfunc)\.": "the operation classes behind lucid.add, ...",
    r"lucid\._util\.func\.": "the operation classes behind lucid.reshape, ...",
    r"lucid\.(einops|linalg|random)\._func\.": "the operation classes of those packages",
    r"lucid\.nn\.init\._dist\.": "the private twins of lucid.nn.init's functions",
    r"lucid\.nn\.functional\._(?!_init__)\w+\.": "the private modules re-exported by "
                                                 "lucid.nn.functional (checked there)",
}

#: Public names of the original lucid deliberately absent, with the reason.
ABSENT = {
    "lucid.reshape_immediate": "a typing overload of a private helper, not in the "
                               "original's __all__ (lucid.reshape is the public name)",
    "lucid.datasets.DatasetBase": "the original's base of datasets it downloaded and split "
                                  "with test_size; lucid's readers take the standard files "
                                  "(MNIST, CIFAR) and the shipped digits instead",
}

#: The original module of a name -> lucid's public namespace for it.
NAMESPACES = [
    ("lucid._func", "lucid"), ("lucid._util", "lucid"), ("lucid._tensor.tensor", "lucid"),
    ("lucid.nn.modules.", "lucid.nn"), ("lucid.nn.module", "lucid.nn"),
    ("lucid.nn.parameter", "lucid.nn"), ("lucid.nn.fused", "lucid.nn"),
    ("lucid.optim.lr_scheduler.", "lucid.optim.lr_scheduler"), ("lucid.optim.", "lucid.optim"),
    ("lucid.transforms.", "lucid.transforms"), ("lucid.data.", "lucid.data"),
    ("lucid.datasets.", "lucid.datasets"),
]


def _public(path):
    module, name = path.rsplit(".", 1)
    module = re.sub(r"\.__init__$", "", module)
    for prefix, target in NAMESPACES:
        if module == prefix.rstrip(".") or module.startswith(prefix):
            return target, name
    return module, name


def _entries():
    """``(public name, owner class or None, argument list text)`` for each line."""
    entries, owner = [], None
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        method = re.match(r"\s+\.(\w+)\((.*)\)$", line)
        if method:
            if owner is not None:
                entries.append((f"{owner}.{method.group(1)}", owner, method.group(2)))
            continue
        path, args = re.match(r"([\w.]+)\((.*)\)$", line).groups()
        if any(re.match(p, path) for p in INTERNAL):
            owner = None
            continue
        module, name = _public(path)
        owner = f"{module}.{name}"
        entries.append((owner, None, args))
    return entries


def _resolve(fullname):
    parts = fullname.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(fullname)


def _keyword_names(args):
    """The original's argument names a caller could pass by keyword: not ``self``, not
    positional-only, not one that comes before a ``*args`` (it must be positional)."""
    spec = ast.parse(f"def f({args}): pass").body[0].args
    before_varargs = spec.args if spec.vararg is not None else []
    return [a.arg for a in spec.args + spec.kwonlyargs
            if a.arg not in ("self", "cls") and a not in before_varargs]


ENTRIES = _entries()


def test_the_data_file_was_read():
    names = {name for name, _, _ in ENTRIES}
    assert len(ENTRIES) > 300
    assert {"lucid.tensor", "lucid.Tensor.backward", "lucid.nn.MultiHeadAttention",
            "lucid.optim.lr_scheduler.StepLR", "lucid.types.Numeric"} <= names


@pytest.mark.parametrize("name, owner, args", ENTRIES, ids=[e[0] for e in ENTRIES])
def test_lucid_has_it_with_every_argument_name(name, owner, args):
    if name in ABSENT:
        pytest.skip(f"not in lucid on purpose: {ABSENT[name]}")
    try:
        obj = _resolve(name)
    except (ImportError, AttributeError):
        pytest.fail(f"{name} is missing")
    if isinstance(obj, property):          # an attribute of the original's Tensor
        return
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        params = inspect.signature(target).parameters
    except ValueError:                     # a builtin without a signature
        return
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    ours = {n for n, p in params.items() if p.kind is not p.POSITIONAL_ONLY}
    missing = [n for n in _keyword_names(args) if n not in ours]
    assert not missing, f"{name} lacks the original's argument(s) {missing}; has {list(params)}"
