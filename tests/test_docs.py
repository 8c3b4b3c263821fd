"""The documentation: it builds offline with no warning, every public name has a page,
every ``>>>`` example on every hand-written page runs, and kernel source is live.

The Sphinx build runs once per session (about 20 s) into a temporary directory:
``python -m sphinx -W --keep-going -b html docs <tmp>``.
"""
import doctest
import importlib
import inspect
import io
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

DOCS_MISSING = "Sphinx or a docs extension is not installed (pip install -e \".[docs]\")"

#: Namespaces whose every public function and class must have a page (and every lucid
#: subpackage these list in their ``__all__``, see ``_namespaces``).
NAMESPACES = ["lucid", "lucid.random", "lucid.autograd", "lucid.kernels", "lucid.testing",
              "lucid.nn.functional", "lucid.nn", "lucid.course"]


def _namespaces():
    found = list(NAMESPACES)
    for namespace in found:              # grows: lucid.nn -> lucid.nn.utils -> ...utils.rnn
        try:
            module = importlib.import_module(namespace)
        except ImportError:
            continue
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if inspect.ismodule(obj) and obj.__name__.startswith("lucid.") \
                    and obj.__name__ not in found:
                found.append(obj.__name__)
    return found


def _docs_tools_or_skip():
    for module in ("sphinx", "numpydoc", "sphinx-mathjax-offline", "pydata_sphinx_theme",
                   "matplotlib"):
        try:
            importlib.import_module(module)
        except ImportError:
            pytest.skip(f"{DOCS_MISSING}: cannot import {module}")


def _docs_ext(name):
    """The docs extension ``docs/_ext/<name>.py``, imported as a module."""
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(DOCS / "_ext"))


def _apigen():
    return _docs_ext("apigen")


def _twins():
    return _docs_ext("twins")


def _lrplots():
    return _docs_ext("lrplots")


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """Build the HTML site once; returns (returncode, output, html directory)."""
    _docs_tools_or_skip()
    out = tmp_path_factory.mktemp("docs")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(out / "doctrees"), str(DOCS), str(out / "html")]
    env = dict(os.environ, LUCID_TUTORIAL_FAST="1")   # the tutorials' short setting
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1500, env=env)
    return proc.returncode, proc.stdout + proc.stderr, out / "html"


@pytest.fixture(scope="module")
def html(build):
    """The built site; checked even when -W found warnings (--keep-going still writes
    every page), so one warning does not hide the other results."""
    code, output, where = build
    if not (where / "index.html").is_file():
        pytest.fail(f"the docs build wrote no site:\n{output[-6000:]}")
    return where


# ---------------------------------------------------------------- (a) the build
def test_build_passes_with_warnings_as_errors(build):
    code, output, _ = build
    warnings = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
    assert code == 0, "sphinx-build -W failed:\n" + "\n".join(warnings or output.splitlines()[-40:])


def test_mathjax_is_served_locally(html):
    local = html / "_static" / "mathjax" / "tex-chtml.js"
    assert local.is_file(), "MathJax was not copied into _static/mathjax"
    script = re.compile(r"<script[^>]*\bsrc=\"([^\"]*)\"")
    using_math = []
    for page in html.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for src in script.findall(text):
            assert not re.match(r"(https?:)?//", src), f"{page.name} loads a remote script: {src}"
            if "mathjax" in src.lower():
                assert (page.parent / src.split("?")[0]).resolve() == local.resolve(), src
                using_math.append(page)
        assert not re.search(r"https?://[^\"'\s]*mathjax", text, re.I), \
            f"{page.name} references a MathJax URL"
    names = {p.name for p in using_math}
    assert "lucid.nn.functional.conv_transpose1d.html" in names and "autograd.html" in names


def test_site_loads_nothing_from_the_network(html):
    """The theme's styles, scripts and fonts, like MathJax, are files of the site: no
    page links a remote stylesheet or script, no stylesheet imports a remote URL."""
    remote = re.compile(r"""^(https?:)?//""")
    found = []
    for page in html.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for tag, url in re.findall(r'<(link|script)\b[^>]*\b(?:href|src)="([^"]*)"', text):
            if remote.match(url):
                found.append(f"{page.name}: <{tag}> {url}")
    for sheet in (html / "_static").rglob("*.css"):
        for url in re.findall(r"""url\(\s*["']?([^"')]+)""", sheet.read_text(encoding="utf-8")):
            if remote.match(url):
                found.append(f"{sheet.name}: url({url})")
    assert not found, "\n".join(sorted(set(found))[:20])


# ------------------------------------------------------ (b) every public name has a page
def _public(namespace):
    """Every public function and class of ``namespace`` (independent of apigen)."""
    module = importlib.import_module(namespace)
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or (callable(obj) and not inspect.ismodule(obj)):
            yield f"{namespace}.{name}", obj


def _resolve(fullname):
    module, _, name = fullname.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("namespace", _namespaces())
def test_every_public_name_has_a_page(html, namespace):
    pages = _apigen().page_map()
    missing, wrong = [], []
    for fullname, obj in _public(namespace):
        if fullname not in pages:
            missing.append(f"{fullname}: not in the API listings")
            continue
        docname, documented_as = pages[fullname]
        page = html / f"{docname}.html"
        if not page.is_file():
            missing.append(f"{fullname}: {docname}.html was not built")
        elif f'id="{documented_as}"' not in page.read_text(encoding="utf-8"):
            missing.append(f"{fullname}: {docname}.html does not document {documented_as}")
        elif _resolve(documented_as) is not obj:
            wrong.append(f"{fullname}: its page documents {documented_as}, another object")
    assert not missing and not wrong, "\n".join(missing + wrong)


def test_a_name_public_twice_is_documented_once():
    _docs_tools_or_skip()
    pages = _apigen().page_map()
    assert pages["lucid.autograd.no_grad"] == pages["lucid.no_grad"]
    assert pages["lucid.no_grad"][1] == "lucid.no_grad"


def test_case_colliding_names_get_distinct_files():
    _docs_tools_or_skip()
    mapping = _apigen().filename_map(["lucid.Tensor", "lucid.tensor", "lucid.add"])
    assert mapping == {"lucid.tensor": "lucid.tensor-2"}


# ------------------------------------------------ (c) the pages' own >>> examples run
def _rst_pages():
    pages = []
    for path in sorted(DOCS.rglob("*.rst")):
        rel = path.relative_to(DOCS).as_posix()
        if rel.startswith(("_build/", "api/generated/", "_templates/", "tutorials/generated/")):
            # generated at build time (the tutorials print source whose docstrings hold >>>)
            continue
        pages.append(pytest.param(path, id=rel))
    return pages


@pytest.mark.parametrize("path", _rst_pages())
def test_rst_examples_run(path):
    text = path.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {"__name__": "__docs__"}, path.name,
                                               str(path), 0)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.REPORT_NDIFF)
    runner.run(test, out=report.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, report.getvalue()
    prompts = len(re.findall(r"^\s*>>>", text, re.M))
    assert result.attempted == prompts, (
        f"{prompts} '>>>' lines but {result.attempted} examples ran: an example is hidden "
        "from doctest (check its indentation)")


def test_every_hand_written_page_is_checked():
    assert {p.values[0].name for p in _rst_pages()} >= {
        "index.rst", "tensor.rst", "autograd.rst", "kernels.rst", "indexing.rst",
        "lucid.nn.functional.conv_transpose1d.rst", "model.rst", "training.rst", "data.rst"}


def test_guides_are_in_the_index_toctree(html):
    index = (html / "index.html").read_text(encoding="utf-8")
    for guide in ("guide/model.html", "guide/training.html", "guide/data.html"):
        assert f'href="{guide}"' in index, f"index.html does not link {guide}"


# --------------------------------------------------- kernel source, side by side and live
_FIXTURE = '''\
import numpy as np


def helper(x):
    return x


# [kernel: marked]
def marked(x):
    """Doc."""

    return helper(x)
# [end kernel: marked]


@decorator
cpdef double typed(double[::1] x) nogil:
    cdef double s = 0
    for i in range(3):
        s += x[i]

    return s

OTHER = 1
'''


def test_twins_finds_markers_then_definitions():
    _docs_tools_or_skip()
    find = _twins().find_kernel
    lines = _FIXTURE.splitlines()
    first, last = find(_FIXTURE, "marked")
    assert lines[first - 1] == "def marked(x):" and lines[last - 1] == "    return helper(x)"
    first, last = find(_FIXTURE, "typed")                 # no markers: the definition
    assert lines[first - 1] == "@decorator" and lines[last - 1] == "    return s"
    first, last = find(_FIXTURE, "helper")
    assert (lines[first - 1], lines[last - 1]) == ("def helper(x):", "    return x")
    assert find(_FIXTURE, "missing") is None
    assert find(_FIXTURE, "help") is None                 # a prefix is not a name
    assert find("# [kernel: open]\ndef open():\n    pass\n", "open") is None  # unclosed


_PYX = """\
cdef double total(double[::1] x) noexcept nogil:
    # [loops: summed, doubled]
    cdef Py_ssize_t i
    cdef double s = 0
    for i in range(x.shape[0]):
        s += x[i]
    # [end loops: summed, doubled]
    return s


cdef void twice(double[::1] x) noexcept nogil:
# [loops: doubled]
    for i in range(x.shape[0]):
        x[i] *= 2
# [end loops: doubled]


# [kernel: summed]
def summed(x):
    return total(x)
# [end kernel: summed]


# [kernel: doubled]
def doubled(x):
    twice(x)
    return x
# [end kernel: doubled]
"""


def test_twins_finds_the_typed_loops_of_each_entry_point():
    """``# [loops: NAME]`` regions, one or more per kernel, a marker may name several
    kernels; none marked gives [] (the pane falls back to the entry point)."""
    _docs_tools_or_skip()
    twins = _twins()
    lines = _PYX.splitlines()

    def shown(spans):
        return [lines[first - 1:last] for first, last in spans]

    assert shown(twins.find_loops(_PYX, "summed")) == [lines[2:6]]
    assert lines[2] == "    cdef Py_ssize_t i" and lines[5] == "        s += x[i]"
    assert shown(twins.find_loops(_PYX, "doubled")) == [
        lines[2:6], ["    for i in range(x.shape[0]):", "        x[i] *= 2"]]
    assert lines[twins.find_kernel(_PYX, "doubled")[0] - 1] == "def doubled(x):"
    assert twins.find_loops(_PYX, "total") == []          # not a kernel: no loops marked
    assert twins.find_loops(_PYX, "sum") == []            # a prefix is not a name
    assert twins.find_loops(_FIXTURE, "marked") == []     # a file without loops markers
    assert twins.find_loops("# [loops: k]\nfor i in x:\n    pass\n", "k") is None  # unclosed


def _text(node):
    return node.astext().replace("\n", " ")


def test_compiled_pane_shows_the_loops_then_the_folded_entry_point():
    _docs_tools_or_skip()
    twins = _twins()
    entry, loops = twins.find_kernel(_PYX, "doubled"), twins.find_loops(_PYX, "doubled")
    pane = twins._pane("Compiled", "_fixture.pyx", _PYX, "doubled", entry, loops, "cython")
    blocks = [n for n in pane.children if n.tagname == "literal_block"]
    assert [b["highlight_args"]["linenostart"] for b in blocks] == [3, 13]
    assert blocks[1].astext() == "    for i in range(x.shape[0]):\n        x[i] *= 2"
    assert _text(pane.children[0]) == \
        "Compiled \u2014 lucid/_ext/_fixture.pyx: the typed loops doubled runs, lines 3\u20136, 13\u201314"
    folded = pane.children[-1]
    assert isinstance(folded, twins.folded)             # the entry point comes last, folded
    assert _text(folded.children[0]).startswith("The entry point doubled, lines 25\u201327")
    assert folded.children[1].astext() == "def doubled(x):\n    twice(x)\n    return x"
    # without loops markers: today's pane, the entry point open
    pane = twins._pane("Compiled", "_fixture.pyx", _PYX, "doubled", entry, [], "cython")
    assert [n.tagname for n in pane.children] == ["paragraph", "literal_block"]
    assert _text(pane.children[0]) == "Compiled \u2014 lucid/_ext/_fixture.pyx, lines 25\u201327"


def _captions(page, kind="kernel-twin-caption"):
    text = page.read_text(encoding="utf-8")
    found = re.findall(rf'class="{kind}[^"]*">(.*?)</(?:p|summary)>', text, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in found]


@pytest.mark.parametrize("page, kernels", [
    ("conv/index.html", [("conv", name) for name in (
        "conv_forward", "conv_transpose_forward", "conv_weight_grad", "unfold", "fold")]),
    ("indexing.html", [("scatter", "scatter_add")]),
    ("pooling.html", [("pool", "max_pool_forward"), ("pool", "max_pool_backward"),
                      ("pool", "avg_pool_forward"), ("pool", "avg_pool_backward"),
                      ("activation", "relu_forward"), ("activation", "relu_backward"),
                      ("activation", "erf")]),
    ("api/generated/lucid.nn.functional.conv_transpose1d.html",
     [("conv", "conv_transpose_forward")]),
    ("api/generated/lucid.nn.LSTM.html", [("rnn", "lstm_forward"), ("rnn", "lstm_backward")]),
    ("api/generated/lucid.nn.GRU.html", [("rnn", "gru_forward"), ("rnn", "gru_backward")]),
])
def test_kernel_source_shown_is_the_current_source(html, page, kernels):
    """Both twins appear, and the line ranges shown are those of today's files: the
    compiled twin's typed loops where its .pyx marks them, then its entry point."""
    twins = _twins()
    ext = ROOT / "lucid" / "_ext"
    captions, entries = [], []
    for family, name in kernels:
        for title, filename in (("Reference", f"{family}.py"), ("Compiled", f"_{family}.pyx")):
            text = (ext / filename).read_text(encoding="utf-8")
            (first, last), loops = twins.find_kernel(text, name), twins.find_loops(text, name)
            where = f"{title} \u2014 lucid/_ext/{filename}"
            if title == "Compiled" and loops:
                ranges = ", ".join(f"{a}\u2013{b}" for a, b in loops)
                captions.append(f"{where}: the typed loops {name} runs, lines {ranges}")
                entries.append(f"The entry point {name}, lines {first}\u2013{last}:")
            else:
                captions.append(f"{where}, lines {first}\u2013{last}")
    assert _captions(html / page) == captions
    shown = _captions(html / page, "kernel-twin-entry-caption")
    assert [s.split(":")[0] + ":" for s in shown] == entries


# ------------------------------------------------ learning-rate plots, drawn at build time
def _schedulers():
    import lucid.optim.lr_scheduler as module

    return [n for n in module.__all__ if n != "LRScheduler"]


def test_every_scheduler_has_a_plot():
    """A new scheduler fails here until docs/_ext/lrplots.py draws it."""
    _docs_tools_or_skip()
    assert sorted(_lrplots().DEMOS) == sorted(_schedulers())


@pytest.mark.parametrize("name", _schedulers())
def test_scheduler_page_shows_its_plot_and_the_code_that_drew_it(html, name):
    page = html / "api" / "generated" / f"lucid.optim.lr_scheduler.{name}.html"
    text = page.read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]*\bsrc="([^"]*)"', text)
    assert images == [f"../../_images/{name}.png"], images
    png = (page.parent / images[0]).resolve()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
    demo = _lrplots().DEMOS[name][0]
    constructor = next(line for line in demo.splitlines() if line.startswith("sched = "))
    shown = re.sub(r"<[^>]+>", "", text).replace("&quot;", '"')
    assert constructor in shown, f"the page does not show the code that drew it: {constructor}"


def test_plot_demo_records_the_schedulers_own_rates():
    """The plotted numbers are lucid's: StepLR(step_size=20, gamma=0.5) from 0.1."""
    _docs_tools_or_skip()
    lrs, metric = _lrplots().run_demo("StepLR")
    assert metric is None and len(lrs) == _lrplots().EPOCHS
    assert lrs[0] == lrs[19] == 0.1 and lrs[20] == 0.05 and lrs[99] == 0.1 * 0.5 ** 4
    lrs, metric = _lrplots().run_demo("ReduceLROnPlateau")
    assert len(metric) == len(lrs) and min(lrs) < lrs[0] / 4      # it did reduce


def test_docs_build_stops_clearly_without_matplotlib(monkeypatch):
    """matplotlib is a docs requirement: missing, the build fails saying so."""
    _docs_tools_or_skip()
    from sphinx.errors import ExtensionError

    lrplots = _lrplots()
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # import matplotlib -> ImportError
    with pytest.raises(ExtensionError, match=r"lrplots: matplotlib is required .*pip install"):
        lrplots.setup(None)


# ------------------------------------------------ search: snippets read maths as text
def test_search_page_reads_maths_as_text(html):
    """The search page loads docs/_static/search-snippets.js after Sphinx's searchtools
    (deferred), which replaces each formula of a result's page before its snippet is cut."""
    page = (html / "search.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script([^>]*)\bsrc=\"([^\"]*)\"", page)
    ours = [attrs for attrs, src in scripts if src.split("?")[0] == "_static/search-snippets.js"]
    assert len(ours) == 1 and "defer" in ours[0], scripts
    assert any(src.split("?")[0] == "_static/searchtools.js" for _, src in scripts)
    snippets = (html / "_static" / "search-snippets.js").read_text(encoding="utf-8")
    assert "Search.htmlToText = " in snippets and 'querySelectorAll(".math")' in snippets


_TEX = [
    (r"\(y = \mathrm{relu}(F(x) + s(x))\)", "y = relu(F(x) + s(x))"),
    (r"\[L_{out} = \left\lfloor \frac{L + 2p - d\,(K - 1) - 1}{s} \right\rfloor + 1\]",
     "L_out = \u230a(L + 2p - d (K - 1) - 1)/s\u230b + 1"),
    (r"\(\frac{\partial L}{\partial x}\)", "(\u2202L)/(\u2202x)"),
    (r"\(\sum_{p} \mathrm{size}(p)\)", "\u03a3_p size(p)"),
    (r"\(\sigma(x) = \frac{1}{1 + e^{-x}}\)", "\u03c3(x) = 1/(1 + e^-x)"),
    (r"\(\text{step\_size} \cdot \hat{m}_t / (\sqrt{\hat{v}_t} + \epsilon)\)",
     "step_size \u00b7 m_t / (\u221a(v_t) + \u03b5)"),
    (r"\(\{x \mid x \ge 0\}\)", "{x | x \u2265 0}"),
]


def test_search_snippet_text_of_tex():
    """texToText (search-snippets.js), run by node: the TeX of these pages read as text."""
    import shutil

    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed (it runs the search page's JavaScript here)")
    script = DOCS / "_static" / "search-snippets.js"
    program = (f"const {{texToText}} = require({str(script)!r});\n"
               f"const cases = {json.dumps([tex for tex, _ in _TEX])};\n"
               "console.log(JSON.stringify(cases.map(texToText)));\n")
    out = subprocess.run([node, "-e", program], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [text for _, text in _TEX]


# ------------------------------------------------ tutorials: every figure on its page
def test_tutorial_pages_show_every_figure(html):
    """Each tutorial page shows every figure its script makes (tests/test_tutorials.py:
    EXPECTED), as an image file the site has, whatever rendered into the source tree before."""
    from tests.test_tutorials import EXPECTED, PNG_SIGNATURE

    for script, (figures, _) in sorted(EXPECTED.items()):
        page = html / "tutorials" / "generated" / script.replace(".py", ".html")
        images = re.findall(r'<img[^>]*\bsrc="([^"]*)"', page.read_text(encoding="utf-8"))
        assert sorted(pathlib.PurePosixPath(i).name for i in images) == sorted(figures), script
        for image in images:
            assert (page.parent / image).read_bytes().startswith(PNG_SIGNATURE), image


def test_no_docstring_paragraph_is_read_as_a_parameter(html):
    """A paragraph written after a numpydoc section (``Shapes: ...`` after ``Attributes``)
    is read as one more entry of it and shows as a bold name with raw ````code````:
    every such paragraph belongs before the sections."""
    swallowed = []
    for page in sorted((html / "api" / "generated").glob("*.html")):
        for term in re.findall(r"<dt>(.*?)</dt>", page.read_text(encoding="utf-8"), re.S):
            text = re.sub(r"<[^>]+>", "", term)
            if "``" in text or re.match(r"\s*(Shapes|Backward|Examples?|Notes?)\b", text):
                swallowed.append(f"{page.name}: {text.strip()[:80]}")
    assert not swallowed, "\n".join(swallowed)
