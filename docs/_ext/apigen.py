"""Write the API reference listings from each namespace's ``__all__``.

Nobody edits a list of names by hand: when an op is added to ``lucid.__all__`` (or to
``lucid.nn.functional.__all__``, ...) it gets a page at the next build. At
``config-inited`` this extension

1. imports every namespace of :data:`NAMESPACES` (and every lucid subpackage that a
   namespace lists in its ``__all__``, such as ``lucid.linalg``) and sorts its public names into
   functions and classes (pages), constants (a table) and subpackages (links);
2. groups the pages by the module that defines them (``lucid.ops.reduce`` ->
   "Reductions") and writes ``api/generated/<namespace>.rst``: one
   ``autosummary`` list per group, which makes autosummary write one page per name
   (``api/generated/<namespace>.<name>.rst``, from ``_templates/autosummary``);
3. hands the page template the hand-written additions of :data:`EXTRAS` (output-size
   formulas, the kernel twins' source) and of ``api/extras/<fullname>.rst`` files.

The test suite (``tests/test_docs.py``) checks that every public name got its page.
"""
import importlib
import inspect
import os
import re

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: (namespace, title, one-line description) in the order of the API index.
NAMESPACES = [
    ("lucid", "lucid", "The Tensor, grad mode and the operations on tensors."),
    ("lucid.random", "lucid.random", "Random tensors; one seed reproduces everything."),
    ("lucid.autograd", "lucid.autograd", "Function, grad mode and gradcheck."),
    ("lucid.kernels", "lucid.kernels", "Which kernel twin runs, and switching it."),
    ("lucid.testing", "lucid.testing", "assert_close, gradcheck and check_kernels."),
    ("lucid.nn.functional", "lucid.nn.functional", "Layers as functions of their inputs."),
    ("lucid.nn", "lucid.nn", "Layers as Modules that own their parameters."),
    ("lucid.course", "lucid.course", "Assignments from lucid's source, graded against its twins."),
]

#: Section titles for the modules that define public names (others use their docstring).
GROUP_TITLES = {
    "lucid._tensor": "The Tensor",
    "lucid.autograd.grad_mode": "Gradient mode",
    "lucid.autograd.function": "Writing an operation",
    "lucid.autograd.gradcheck": "Gradient checking",
    "lucid.ops.creation": "Creating tensors",
    "lucid.ops.elementwise": "Element-wise operations",
    "lucid.ops.reduce": "Reductions",
    "lucid.ops.shape": "Shapes, joining and splitting",
    "lucid.ops.index": "Indexing and selection",
    "lucid.ops.linalg": "Products and linear algebra",
    "lucid.nn.functional.conv": "Convolution",
    "lucid.nn.modules.conv": "Convolution layers",
}

#: Hand-written additions to generated pages: (pattern on the full name, fragments
#: from ``api/extras/`` to include, kernel twins to show as ``(family, function)``).
#: A page with its own ``api/extras/<fullname>.rst`` uses that file instead.
EXTRAS = [
    (r"lucid\.nn\.(functional\.conv[123]d|Conv[123]d)",
     ["conv-output-size.rst"], [("conv", "conv_forward")]),
    (r"lucid\.nn\.(functional\.conv_transpose[123]d|ConvTranspose[123]d)",
     ["conv-transpose-output-size.rst"], [("conv", "conv_transpose_forward")]),
    (r"lucid\.nn\.(functional\.unfold|Unfold)",
     ["unfold-output-size.rst"], [("conv", "unfold")]),
    (r"lucid\.nn\.(functional\.fold|Fold)",
     ["unfold-output-size.rst"], [("conv", "fold")]),
    (r"lucid\.nn\.LSTM", [], [("rnn", "lstm_forward"), ("rnn", "lstm_backward")]),
    (r"lucid\.nn\.GRU", [], [("rnn", "gru_forward"), ("rnn", "gru_backward")]),
]

GENERATED = os.path.join("api", "generated")
EXTRAS_DIR = os.path.join("api", "extras")


def kind_of(obj):
    """'module', 'class', 'function' or 'data': how a public name is documented."""
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "data"


def public_names(namespace):
    """``[(name, object, kind)]`` for the names in ``namespace.__all__``, in order.

    A namespace without ``__all__`` is an error: its public names are not declared."""
    module = importlib.import_module(namespace)
    names = getattr(module, "__all__", None)
    if names is None:
        raise AttributeError(f"{namespace} has no __all__, so its public names are unknown")
    return [(n, getattr(module, n), kind_of(getattr(module, n))) for n in names]


def namespaces():
    """``[(namespace, title, description)]``: :data:`NAMESPACES`, then every lucid
    subpackage found in a listed namespace's ``__all__`` (so ``lucid.linalg`` gets its
    pages as soon as ``lucid.__all__`` names it)."""
    found = list(NAMESPACES)
    known = {n for n, _, _ in found}
    i = 0
    while i < len(found):
        try:
            entries = public_names(found[i][0])
        except (ImportError, AttributeError):
            entries = []
        for _, obj, kind in entries:
            name = getattr(obj, "__name__", "")
            if kind == "module" and name.startswith("lucid.") and name not in known:
                doc = (inspect.getdoc(obj) or name).splitlines()[0]
                found.append((name, name, doc))
                known.add(name)
        i += 1
    return found


def catalogue():
    """Walk :data:`NAMESPACES` in order and decide where each object is documented.

    Returns ``(entries, primary)``: ``entries[namespace]`` is :func:`public_names` of it
    (or the ImportError that stopped it), and ``primary[fullname]`` is, for every public
    function and class, the full name whose page documents it. An object that is public
    under several names (``lucid.no_grad`` is ``lucid.autograd.no_grad``) gets one page,
    under the first; the other names link to it.
    """
    entries, primary, first = {}, {}, {}
    for namespace, _, _ in namespaces():
        try:
            entries[namespace] = public_names(namespace)
        except (ImportError, AttributeError) as exc:
            entries[namespace] = exc
            continue
        for name, obj, kind in entries[namespace]:
            if kind in ("class", "function"):
                fullname = f"{namespace}.{name}"
                primary[fullname] = first.setdefault(id(obj), fullname)
    return entries, primary


def filename_map(fullnames):
    """Page file names, so ``lucid.Tensor`` and ``lucid.tensor`` do not collide on a
    case-insensitive file system: the later of two such names gets a ``-2`` suffix."""
    seen, mapping = {}, {}
    for name in fullnames:
        key = name.lower()
        if key in seen:
            seen[key] += 1
            mapping[name] = f"{name}-{seen[key]}"
        else:
            seen[key] = 1
    return mapping


def page_map():
    """``{fullname: (docname of its page, full name it is documented under)}`` for
    every public function and class (used by the tests)."""
    _, primary = catalogue()
    files = filename_map([n for n, p in primary.items() if n == p])
    return {name: (f"api/generated/{files.get(page, page)}", page)
            for name, page in primary.items()}


def _group_title(modname):
    if modname in GROUP_TITLES:
        return GROUP_TITLES[modname]
    doc = inspect.getdoc(importlib.import_module(modname)) if modname else None
    if doc:
        return doc.splitlines()[0].split(":")[0].rstrip(".")
    return modname or "Other"


def _group_intro(modname):
    """The first paragraph of the defining module's docstring, if it has one."""
    try:
        doc = inspect.getdoc(importlib.import_module(modname))
    except ImportError:
        return ""
    return doc.split("\n\n")[0].strip() if doc else ""


def _heading(text, char):
    return f"{text}\n{char * len(text)}\n"


def _listing(namespace, title, description, entries, primary):
    """The rst text of one namespace's listing page."""
    lines = [_heading(f"``{title}``", "="), f".. py:module:: {namespace}", "",
             description, ""]
    groups = {}
    for name, obj, kind in entries:
        if kind in ("class", "function"):
            groups.setdefault(getattr(obj, "__module__", None) or "", []).append(name)
    for modname, names in groups.items():
        lines += [_heading(_group_title(modname), "-")]
        intro = _group_intro(modname)
        if intro:
            lines += [intro, ""]
        own = [n for n in names if primary[f"{namespace}.{n}"] == f"{namespace}.{n}"]
        aliases = [primary[f"{namespace}.{n}"] for n in names if n not in own]
        # a second name in the same namespace (lucid.cat is lucid.concatenate): a line
        # of text, since autosummary refuses to list its own module's full names
        renames = [(n, primary[f"{namespace}.{n}"]) for n in names if n not in own
                   and primary[f"{namespace}.{n}"].rpartition(".")[0] == namespace]
        aliases = [a for a in aliases if a not in {p for _, p in renames}]
        lines += [f".. currentmodule:: {namespace}", ""]
        if own:
            lines += [".. autosummary::", "   :toctree: .", "   :nosignatures:", ""]
            lines += [f"   {n}" for n in own] + [""]
        for n, page in renames:
            lines += [f"``{namespace}.{n}`` is :obj:`~{page}` under another name.", ""]
        if aliases:
            lines += ["Also here, documented under their first public name:", "",
                      ".. autosummary::", "   :nosignatures:", ""]
            lines += [f"   ~{a}" for a in aliases] + [""]
    constants = [(n, o) for n, o, k in entries if k == "data"]
    if constants:
        lines += [_heading("Constants", "-"), ".. list-table::", "   :header-rows: 1", "",
                  "   * - name", "     - value"]
        for name, obj in constants:
            lines += [f"   * - ``{namespace}.{name}``", f"     - ``{obj!r}``"]
        lines.append("")
    modules = [o.__name__ for _, o, k in entries if k == "module" and o.__name__.startswith("lucid.")]
    if modules:
        lines += [_heading("Subpackages", "-")]
        for name in modules:
            lines.append(f"* :doc:`{name}`")
        lines.append("")
    return "\n".join(lines)


def _namespace_table(listed):
    """The toctree and table of the namespaces, included by ``api/index.rst``
    (paths are relative to it)."""
    described = {n: d for n, _, d in listed}
    lines = [".. toctree::", "   :hidden:", ""]
    lines += [f"   generated/{n}" for n, _, _ in listed] + ["", ".. list-table::", ""]
    for n, _, _ in listed:
        lines += [f"   * - :doc:`generated/{n}`", f"     - {described[n]}"]
    return "\n".join(lines) + "\n"


def page_extras(srcdir, fullnames):
    """``{fullname: {'fragments': [...], 'kernels': [...]}}`` for the page template."""
    out = {}
    for name in fullnames:
        own = os.path.join(EXTRAS_DIR, f"{name}.rst")
        if os.path.exists(os.path.join(srcdir, own)):
            out[name] = {"fragments": ["/" + own.replace(os.sep, "/")], "kernels": []}
            continue
        for pattern, fragments, kernels in EXTRAS:
            if re.fullmatch(pattern, name):
                out[name] = {"fragments": [f"/api/extras/{f}" for f in fragments],
                             "kernels": list(kernels)}
                break
    return out


def write_listings(app, config):
    """config-inited: (re)write api/generated/ and configure autosummary for it."""
    srcdir = str(app.srcdir)
    target = os.path.join(srcdir, GENERATED)
    os.makedirs(target, exist_ok=True)
    entries, primary = catalogue()
    listed = namespaces()
    # No stale page of a removed name: delete only pages that are not wanted now, and
    # leave the rest to be overwritten, so two builds of one tree cannot pull files from
    # under each other.
    pages = [name for name, page in primary.items() if name == page]
    files = filename_map(pages)
    wanted = {f"{files.get(name, name)}.rst" for name in pages}
    wanted |= {f"{namespace}.rst" for namespace, _, _ in listed}
    for entry in os.listdir(target):
        if entry.endswith(".rst") and entry not in wanted:
            os.remove(os.path.join(target, entry))
    for namespace, title, description in listed:
        if isinstance(entries[namespace], Exception):
            logger.warning(f"apigen: cannot list {namespace} ({entries[namespace]}); "
                           "its API pages are missing")
            text = _heading(f"``{title}``", "=") + f"\n``{namespace}`` could not be listed.\n"
        else:
            text = _listing(namespace, title, description, entries[namespace], primary)
        with open(os.path.join(target, f"{namespace}.rst"), "w") as f:
            f.write(text)
    with open(os.path.join(target, "namespaces.inc"), "w") as f:
        f.write(_namespace_table(listed))
    config.autosummary_filename_map = files
    context = dict(config.autosummary_context)
    context["page_extras"] = page_extras(srcdir, pages)
    config.autosummary_context = context


def setup(app):
    app.connect("config-inited", write_listings)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
