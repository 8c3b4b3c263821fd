"""Exercise regions: the parts of lucid's own source an assignment is cut from.

A region is the text between two marker comments in a lucid module,

``# [kernel: NAME]`` ... ``# [end kernel: NAME]``
    around each kernel of a reference twin (``lucid/_ext/conv.py``); the docs show the
    same region beside the compiled twin's loops;
``# [exercise: NAME]`` ... ``# [end exercise: NAME]``
    around the Functions, classes and helpers of an op, a layer or an optimizer
    (``lucid/ops/elementwise.py``, ``lucid/optim/sgd.py``).

An exercise names a region and the definitions in it whose bodies the student writes
(``"conv_forward"``, ``"Add.backward"``). :func:`stub` keeps each definition's signature
and docstring and replaces the rest of its body by ``raise NotImplementedError``; the
region itself is the solution. Because the regions are read from the source at the
moment ``new`` runs, an exercise cannot drift from the code it is about.
"""
import ast
import builtins
import importlib
import inspect
import re
import symtable
import sys
from typing import NamedTuple

__all__ = ["Region", "find", "stub", "defined", "imports", "import_lines"]

KINDS = ("kernel", "exercise")


class Region(NamedTuple):
    """One marked region of a lucid module."""

    module: str   # "lucid._ext.conv"
    name: str     # the marker's name
    path: str     # the module's source file
    first: int    # first line of the region (1-based, markers excluded)
    last: int     # last line
    text: str     # the region's source, ending with a newline


def _marker(kind, name):
    return re.compile(rf"^#\s*\[{kind}:\s*{re.escape(name)}\s*\]\s*$")


def find(module, name):
    """The region ``name`` of ``module`` (a dotted name): between ``# [kernel: name]`` or
    ``# [exercise: name]`` and its end marker. LookupError when absent or never closed."""
    mod = importlib.import_module(module)
    path = inspect.getsourcefile(mod)
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for kind in KINDS:
        begin, end = _marker(kind, name), _marker(f"end {kind}", name)
        starts = [i for i, line in enumerate(lines) if begin.match(line)]
        if not starts:
            continue
        ends = [j for j, line in enumerate(lines) if end.match(line) and j > starts[0]]
        if len(starts) > 1 or not ends:
            raise LookupError(f"{path}: the region '# [{kind}: {name}]' must open once and "
                              f"close once with '# [end {kind}: {name}]'")
        i, j = starts[0], ends[0]
        text = "\n".join(lines[i + 1:j]) + "\n"
        return Region(module, name, path, i + 2, j, text)
    raise LookupError(f"{path}: no region '# [kernel: {name}]' or '# [exercise: {name}]' "
                      f"(an exercise names a region marked in lucid's source)")


def _definitions(tree):
    """``{qualified name: def node}`` of the functions and methods at the top of ``tree``."""
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            found[node.name] = node
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"{node.name}.{item.name}"] = item
    return found


def defined(text):
    """The qualified names (``f``, ``C``, ``C.method``) a region defines."""
    return set(_definitions(ast.parse(text)))


def stub(text, names, hints=()):
    """``text`` with the body of each definition in ``names`` replaced by a
    ``raise NotImplementedError``, keeping its decorators, signature and docstring.

    ``hints`` (lines of text) go above each raise, as comments.

    >>> print(stub('def f(x):\\n    "Twice x."\\n    return 2 * x\\n', ["f"], ["use *"]))
    def f(x):
        "Twice x."
        # use *
        raise NotImplementedError("f: not written yet")
    <BLANKLINE>
    """
    lines = text.splitlines()
    nodes = _definitions(ast.parse(text))
    missing = [n for n in names if n not in nodes or isinstance(nodes[n], ast.ClassDef)]
    if missing:
        raise LookupError(f"stub: the region defines no function {', '.join(missing)}")
    for name in sorted(names, key=lambda n: nodes[n].lineno, reverse=True):
        node = nodes[name]
        body = node.body
        has_doc = (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                   and isinstance(body[0].value.value, str))
        start = body[0].end_lineno if has_doc else body[0].lineno - 1   # 0-based: first line to drop
        indent = " " * body[0].col_offset
        new = [indent + ("# " + h if h else "#") for h in hints]
        new.append(f'{indent}raise NotImplementedError("{name}: not written yet")')
        lines[start:node.end_lineno] = new
    return "\n".join(lines) + "\n"


def _globals_used(text):
    """Names a region reads from its module's globals (not defined in the region)."""
    table = symtable.symtable(text, "<region>", "exec")
    used = set()
    todo = [table]
    while todo:
        t = todo.pop()
        for sym in t.get_symbols():
            if t.get_type() == "module":
                if sym.is_referenced() and not sym.is_assigned() and not sym.is_imported():
                    used.add(sym.get_name())
            elif sym.is_global() and sym.is_referenced():
                used.add(sym.get_name())
        todo.extend(t.get_children())
    top = set()
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            top.add(node.name)
    return sorted(used - top - set(dir(builtins)))


def imports(text, module):
    """What a region needs to run outside ``module``: for each name it reads from the
    module's globals, ``("import", module, alias)`` or ``("from", home, name)`` with the
    module where the name is defined. :func:`import_lines` writes them."""
    mod = importlib.import_module(module)
    needed = set()
    for name in _globals_used(text):
        if not hasattr(mod, name):
            raise LookupError(f"{module}: the region reads {name!r}, which the module lacks")
        obj = getattr(mod, name)
        if inspect.ismodule(obj):
            parent, _, last = obj.__name__.rpartition(".")
            if parent and last == name:
                needed.add(("from", parent, name))
            else:
                needed.add(("import", obj.__name__, name))
            continue
        home = getattr(obj, "__module__", None)
        if not (home and getattr(sys.modules.get(home), name, None) is obj):
            home = module
        needed.add(("from", home, name))
    return needed


def import_lines(needed):
    """The import statements of :func:`imports`' tuples: plain imports first, then one
    ``from`` line per module, sorted."""
    lines = []
    for kind, full, alias in sorted(n for n in needed if n[0] == "import"):
        lines.append(f"import {full}" if full == alias else f"import {full} as {alias}")
    homes = {}
    for _, home, name in (n for n in needed if n[0] == "from"):
        homes.setdefault(home, set()).add(name)
    for home in sorted(homes):
        lines.append(f"from {home} import {', '.join(sorted(homes[home]))}")
    return lines
