"""``.. kernel-twins:: FAMILY FUNCTION``: a kernel's two twins, live from the source.

Every kernel exists twice (see ``lucid/_ext/__init__.py``): the readable reference in
``lucid/_ext/<family>.py`` and the compiled twin in ``lucid/_ext/_<family>.pyx``. This
directive reads both files at build time and shows ``FUNCTION`` from each, the
reference first and the compiled twin under it (each as wide as the page, so no line is
cut), so the docs always show the code that runs.

The reference pane shows, from ``<family>.py``:

1. the lines between the marker comments ``# [kernel: FUNCTION]`` and
   ``# [end kernel: FUNCTION]`` (markers excluded), if the file has them;
2. otherwise the definition itself: from its ``def FUNCTION(`` / ``cpdef ...
   FUNCTION(`` / ``cdef ... FUNCTION(`` line (with the decorators right above it) to
   the next line that starts in column 0 (the next top-level statement).

The compiled pane shows, from ``_<family>.pyx``, the *typed loops* the entry point
runs: every region between ``# [loops: FUNCTION]`` and ``# [end loops: FUNCTION]``
(one or more, in file order; a marker may name several kernels that share a loop nest,
``# [loops: conv_forward, conv_transpose_forward]``), each with its own line numbers,
then the entry point itself (found as in the reference pane), folded: a click opens it.
A ``.pyx`` without ``loops`` markers for ``FUNCTION`` shows the entry point, open.

A missing file or function, or a marker that is never closed, is a build warning (an
error under ``-W``): the page must not silently show nothing.

Options: ``:reference-only:`` shows the reference alone (for a kernel whose compiled
twin is not written yet).
"""
import os
import re

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)


def ext_dir():
    """``lucid/_ext`` of the lucid that conf.py imported."""
    import lucid

    return os.path.join(os.path.dirname(os.path.abspath(lucid.__file__)), "_ext")


def _definition_start(lines, name):
    pattern = re.compile(rf"^(?:async\s+)?(?:c?p?def)\b[^(]*?\b{re.escape(name)}\s*\(")
    for i, line in enumerate(lines):
        if pattern.match(line):
            while i > 0 and lines[i - 1].startswith("@"):
                i -= 1
            return i
    return None


def _marker(kind, name):
    """The regex of a ``# [kind: names]`` marker line naming ``name`` (a comma-separated
    list of names may follow the colon)."""
    return re.compile(rf"^\s*#\s*\[{kind}:(?:[^\]]*,)?\s*{re.escape(name)}\s*(?:,[^\]]*)?\]\s*$")


def _regions(lines, name, kind):
    """``[(first, last)]`` (1-based, inclusive, markers excluded) of every region between
    ``# [KIND: name]`` and ``# [end KIND: name]``; None if a region is never closed."""
    begin, end = _marker(kind, name), _marker(f"end {kind}", name)
    found, i = [], 0
    while i < len(lines):
        if begin.match(lines[i]):
            j = next((j for j in range(i + 1, len(lines)) if end.match(lines[j])), None)
            if j is None:
                return None                   # an unclosed marker is an error
            found.append((i + 2, j))
            i = j
        i += 1
    return found


def find_kernel(text, name):
    """``(first_line, last_line)`` (1-based, inclusive) of kernel ``name`` in ``text``,
    or None. Marker comments win over the ``def`` search (see the module docstring)."""
    lines = text.splitlines()
    marked = _regions(lines, name, "kernel")
    if marked is None:
        return None
    if marked:
        return marked[0]
    start = _definition_start(lines, name)
    if start is None:
        return None
    stop = start + 1
    while stop < len(lines) and lines[stop].startswith("@"):
        stop += 1                              # past the decorators to the def line
    stop += 1
    while stop < len(lines) and (not lines[stop].strip() or lines[stop][0] in " \t"):
        stop += 1
    while stop > start and not lines[stop - 1].strip():
        stop -= 1                              # drop trailing blank lines
    return start + 1, stop


def find_loops(text, name):
    """``[(first_line, last_line)]`` of the typed loop nests kernel ``name`` runs: the
    regions marked ``# [loops: name]`` ... ``# [end loops: name]``, in file order
    (``[]`` when the file marks none; None when a marker is never closed)."""
    return _regions(text.splitlines(), name, "loops")


class folded(nodes.General, nodes.Element):
    """A block shown folded, with its first child (a :class:`folded_summary`) as the
    line to click: ``<details>`` in HTML, plain in other builders."""


class folded_summary(nodes.General, nodes.TextElement):
    """The always-visible line of a :class:`folded` block."""


def _visit_folded(self, node):
    self.body.append(self.starttag(node, "details"))


def _depart_folded(self, node):
    self.body.append("</details>\n")


def _visit_summary(self, node):
    self.body.append(self.starttag(node, "summary", suffix=""))


def _depart_summary(self, node):
    self.body.append("</summary>\n")


def _skip(self, node):
    pass


def _caption(*parts, classes=("kernel-twin-caption",), node=nodes.paragraph):
    """A caption from ``parts``: strings, or ``(kind, text)`` with kind ``'strong'`` or
    ``'literal'``."""
    caption = node(classes=list(classes))
    for part in parts:
        if isinstance(part, str):
            caption += nodes.Text(part)
        else:
            caption += (nodes.strong if part[0] == "strong" else nodes.literal)(text=part[1])
    return caption


def _lines(spans):
    return ", ".join(f"{first}\u2013{last}" for first, last in spans)


def _code(text, span, language):
    """A literal block of lines ``span`` of ``text``, numbered as in the file."""
    first, last = span
    code = "\n".join(text.splitlines()[first - 1:last])
    block = nodes.literal_block(code, code, language=language)
    block["linenos"] = True
    block["highlight_args"] = {"linenostart": first}
    return block


def _pane(title, filename, text, name, entry, loops, language):
    """One twin: its caption and code. With ``loops`` (the compiled twin's typed loop
    nests), those come first and the ``entry`` point follows, folded."""
    pane = nodes.container(classes=["kernel-twin"])
    where = ("literal", f"lucid/_ext/{filename}")
    if not loops:
        pane += _caption(("strong", title), " \u2014 ", where, f", lines {_lines([entry])}")
        pane += _code(text, entry, language)
        return pane
    pane += _caption(("strong", title), " \u2014 ", where, ": the typed loops ",
                     ("literal", name), f" runs, lines {_lines(loops)}")
    for span in loops:
        pane += _code(text, span, language)
    entry_block = folded(classes=["kernel-twin-entry"])
    entry_block += _caption("The entry point ", ("literal", name), f", lines {_lines([entry])}: "
                            "it checks the arrays, picks a path and calls the loops above",
                            classes=["kernel-twin-entry-caption"], node=folded_summary)
    entry_block += _code(text, entry, language)
    pane += entry_block
    return pane


class KernelTwins(SphinxDirective):
    required_arguments = 2
    optional_arguments = 0
    has_content = False
    option_spec = {"reference-only": directives.flag}

    def run(self):
        family, name = self.arguments
        twins = [("Reference", f"{family}.py", "python")]
        if "reference-only" not in self.options:
            twins.append(("Compiled", f"_{family}.pyx", "cython"))
        outer = nodes.container(classes=["kernel-twins"])
        for title, filename, language in twins:
            path = os.path.join(ext_dir(), filename)
            if not os.path.exists(path):
                logger.warning(
                    f"kernel-twins: {filename} does not exist in lucid/_ext "
                    f"(wanted kernel {name!r} of family {family!r})",
                    location=self.get_location(),
                )
                continue
            self.env.note_dependency(path)     # rebuild the page when the kernel changes
            with open(path, encoding="utf-8") as f:
                text = f.read()
            span = find_kernel(text, name)
            loops = find_loops(text, name) if filename.endswith(".pyx") else []
            if span is None or loops is None:
                logger.warning(
                    f"kernel-twins: no kernel {name!r} in lucid/_ext/{filename} (looked for "
                    f"'# [kernel: {name}]' ... '# [end kernel: {name}]' markers, then a "
                    f"'def {name}(' / 'cpdef ... {name}(' definition)" if span is None else
                    f"kernel-twins: a '# [loops: {name}]' marker in lucid/_ext/{filename} "
                    f"has no '# [end loops: {name}]'",
                    location=self.get_location(),
                )
                continue
            outer += _pane(title, filename, text, name, span, loops, language)
        return [outer]


def setup(app):
    app.add_directive("kernel-twins", KernelTwins)
    passthrough = {b: (_skip, _skip) for b in ("latex", "text", "man", "texinfo")}
    app.add_node(folded, html=(_visit_folded, _depart_folded), **passthrough)
    app.add_node(folded_summary, html=(_visit_summary, _depart_summary), **passthrough)
    app.add_css_file("twins.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
