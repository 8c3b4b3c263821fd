"""``.. kernel-twins:: FAMILY FUNCTION``: a kernel's two twins, side by side, live.

Every kernel exists twice (see ``lucid/_ext/__init__.py``): the readable reference in
``lucid/_ext/<family>.py`` and the compiled twin in ``lucid/_ext/_<family>.pyx``. This
directive reads both files at build time and shows ``FUNCTION`` from each in two
columns, so the docs always show the code that runs.

Which lines are shown, in each file:

1. the lines between the marker comments ``# [kernel: FUNCTION]`` and
   ``# [end kernel: FUNCTION]`` (markers excluded), if the file has them;
2. otherwise the definition itself: from its ``def FUNCTION(`` / ``cpdef ...
   FUNCTION(`` / ``cdef ... FUNCTION(`` line (with the decorators right above it) to
   the next line that starts in column 0 (the next top-level statement).

A missing file or function is a build warning (an error under ``-W``): the page must
not silently show nothing.

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


def find_kernel(text, name):
    """``(first_line, last_line)`` (1-based, inclusive) of kernel ``name`` in ``text``,
    or None. Marker comments win over the ``def`` search (see the module docstring)."""
    lines = text.splitlines()
    begin = re.compile(rf"^\s*#\s*\[kernel:\s*{re.escape(name)}\s*\]\s*$")
    end = re.compile(rf"^\s*#\s*\[end kernel:\s*{re.escape(name)}\s*\]\s*$")
    for i, line in enumerate(lines):
        if begin.match(line):
            for j in range(i + 1, len(lines)):
                if end.match(lines[j]):
                    return i + 2, j
            return None                       # an unclosed marker is an error
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


def _column(title, path, text, span, language):
    first, last = span
    code = "\n".join(text.splitlines()[first - 1:last])
    caption = nodes.paragraph(classes=["kernel-twin-caption"])
    caption += nodes.strong(text=title)
    caption += nodes.Text(" \u2014 ")
    caption += nodes.literal(text=f"lucid/_ext/{os.path.basename(path)}")
    caption += nodes.Text(f", lines {first}\u2013{last}")
    block = nodes.literal_block(code, code, language=language)
    block["linenos"] = True
    block["highlight_args"] = {"linenostart": first}
    column = nodes.container(classes=["kernel-twin"])
    column += caption
    column += block
    return column


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
            if span is None:
                logger.warning(
                    f"kernel-twins: no kernel {name!r} in lucid/_ext/{filename} (looked for "
                    f"'# [kernel: {name}]' ... '# [end kernel: {name}]' markers, then a "
                    f"'def {name}(' / 'cpdef ... {name}(' definition)",
                    location=self.get_location(),
                )
                continue
            outer += _column(title, path, text, span, language)
        return [outer]


def setup(app):
    app.add_directive("kernel-twins", KernelTwins)
    app.add_css_file("twins.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
