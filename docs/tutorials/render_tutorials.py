"""Render the tutorials (``tutorials/NN_*.py``) into docs pages, running them at build time.

A tutorial is a Python script in the *percent* format: ``# %%`` starts a code cell,
``# %% [markdown]`` a prose cell whose lines are Markdown behind ``# ``. This module
writes ``docs/tutorials/generated/index.rst`` (the tutorials' contents page; the site's
toctree lists it as ``tutorials/generated/index``) and turns each script into
``docs/tutorials/generated/NN_name.rst``: the prose becomes
reStructuredText (headings, ``$...$`` / ``$$...$$`` maths, inline code, bold), every
code cell a code block followed by what it printed, and every figure the cell saved
an image right under it.

The scripts are *run* to make the pages (one subprocess per script, its cells executed
one after another in one namespace), so every printed number and every picture on the
pages comes from the code shown. Each script writes its figures into a folder of its
own, ``docs/tutorials/generated/figures/<name>/``, emptied before the run; a figure
belongs to the cell during which its file appeared or changed, so the pages show every
figure whatever an earlier run (the test suite's, or a build in the other setting) left
there. Figures are made at build time and never committed; ``generated/`` is rewritten
by each build. A script whose source (and the shared ``_tutorial.py``) did not change
since the last build, and whose figures are all still there, is not run again
(``generated/<name>.sha256``).

``LUCID_TUTORIAL_FAST=1`` in the environment renders the fast setting (as CI runs the
tutorials); otherwise the full one. The page says which.

Use it as a Sphinx extension (``extensions.append("render_tutorials")`` with this folder
on ``sys.path``; it runs at ``builder-inited``) or by hand::

    python docs/tutorials/render_tutorials.py          # writes docs/tutorials/generated/
"""
import contextlib
import hashlib
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TUTORIALS = ROOT / "tutorials"
OUT = HERE / "generated"
FIGURES = OUT / "figures"


# -- reading a percent-format script ------------------------------------------------------

def cells(source):
    """``[(kind, text)]`` of a percent-format script; kind is ``'markdown'`` or ``'code'``.

    Markdown text has its ``# `` prefixes removed; code text is as written. Empty code
    cells are dropped.
    """
    found, kind, lines = [], None, []

    def flush():
        text = "\n".join(lines).strip("\n")
        if kind == "markdown":
            found.append(("markdown", "\n".join(re.sub(r"^# ?", "", ln) for ln in text.splitlines())))
        elif kind == "code" and text.strip():
            found.append(("code", text))

    for line in source.splitlines():
        if line.startswith("# %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        elif kind is not None:
            lines.append(line)
    flush()
    return found


# -- Markdown (the subset the tutorials use) to reStructuredText --------------------------

def _inline(text):
    """Inline markup: `code` -> ``code``, $x$ -> :math:`x`, **bold** stays.

    reST wants inline markup to start after a space or punctuation and to end before
    one, so a markup token touching a letter or digit gets an escaped space (``\\ ``).
    """
    tokens = []      # (is_markup, text)
    for part in re.split(r"(`[^`]+`|\$[^$]+\$)", text):
        if re.fullmatch(r"`[^`]+`", part):
            tokens.append((True, f"``{part[1:-1]}``"))
        elif re.fullmatch(r"\$[^$]+\$", part):
            tokens.append((True, f":math:`{part[1:-1]}`"))
        elif part:
            tokens.append((False, part))
    out = ""
    for i, (markup, piece) in enumerate(tokens):
        if markup and out and (out[-1].isalnum() or tokens[i - 1][0]):
            out += "\\ "
        if not markup and out and tokens[i - 1][0] and piece[0].isalnum():
            out += "\\ "
        out += piece
    return out


def markdown_to_rst(md):
    """Convert a tutorial's Markdown cell to reStructuredText."""
    rst, paragraph = [], []

    def flush():
        if paragraph:
            rst.append(_inline(" ".join(ln.strip() for ln in paragraph)))
            rst.append("")
            paragraph.clear()

    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^(#{1,3}) (.*)$", line)
        if heading:
            flush()
            title = _inline(heading.group(2).strip())
            rst += [title, "=-~"[len(heading.group(1)) - 1] * len(title), ""]
        elif line.strip().startswith("$$"):
            flush()
            body = line.strip()[2:]
            while not body.rstrip().endswith("$$"):
                i += 1
                body += "\n" + lines[i].strip()
            body = body.rstrip()[:-2].strip()
            rst += [".. math::", "", textwrap.indent(body, "   "), ""]
        elif not line.strip():
            flush()
        else:
            paragraph.append(line)
        i += 1
    flush()
    return "\n".join(rst)


# -- running a script cell by cell (in a subprocess: see run_script) ------------------------

def _snapshot(folder):
    """``{file name: (modification time, size)}`` of the files in ``folder``."""
    return {entry.name: (entry.stat().st_mtime_ns, entry.stat().st_size)
            for entry in os.scandir(folder) if entry.is_file()}


def _run_cells(script, figures, result_file):
    """Execute ``script``'s code cells in one namespace; dump each cell's output and the
    figures it wrote (files of ``figures`` that appeared or changed during the cell)."""
    sys.path.insert(0, str(pathlib.Path(script).parent))
    os.environ["LUCID_TUTORIAL_FIGURES"] = str(figures)
    sys.argv = [str(script)]
    namespace = {"__name__": "__main__", "__file__": str(script)}
    results = []
    for kind, text in cells(pathlib.Path(script).read_text()):
        if kind != "code":
            continue
        before = _snapshot(figures)
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(text, str(script), "exec"), namespace)
        output = re.sub(r"^\[figure saved: .*\]\n?", "", stdout.getvalue(), flags=re.M)
        after = _snapshot(figures)
        results.append({"output": output,
                        "figures": sorted(n for n in after if after[n] != before.get(n))})
    pathlib.Path(result_file).write_text(json.dumps(results))


def run_script(script, figures):
    """Run ``script`` in a fresh Python, cell by cell; ``[{output, figures}]`` per code cell.

    ``figures`` is the script's own folder: emptied first, then the run writes its
    figures there (it is also the run's current directory).
    """
    shutil.rmtree(figures, ignore_errors=True)
    figures.mkdir(parents=True)
    result_file = figures.parent / (script.stem + ".json")
    env = {**os.environ, "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, __file__, "--run-cells", str(script), str(figures),
                           str(result_file)], cwd=str(figures), env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"tutorial {script.name} failed while rendering the docs:\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    results = json.loads(result_file.read_text())
    result_file.unlink()
    return results


# -- the page ------------------------------------------------------------------------------

def render_page(script, results, fast, figures="figures"):
    """The reST page of ``script`` from its cells and the results of running them;
    ``figures`` is the folder of its figures, relative to the page."""
    setting = "the fast setting (``LUCID_TUTORIAL_FAST=1``)" if fast else "the full setting"
    rel = script.relative_to(ROOT).as_posix()
    parts = [f".. This page is generated from {rel} by docs/tutorials/render_tutorials.py.", ""]
    code_results = iter(results)
    first_heading_done = False
    for kind, text in cells(script.read_text()):
        if kind == "markdown":
            parts.append(markdown_to_rst(text))
            if not first_heading_done:
                first_heading_done = True
                parts.append(f".. note:: This page is the script ``{rel}``, run at docs build time "
                             f"in {setting}: every output and figure below is what it produced. "
                             f"Run it yourself with ``python {rel} FIGURE_FOLDER``.\n")
            continue
        result = next(code_results)
        parts += [".. code-block:: python", "", textwrap.indent(text, "   "), ""]
        if result["output"].strip():
            parts += [".. code-block:: none", "", textwrap.indent(result["output"].rstrip(), "   "), ""]
        for name in result["figures"]:
            parts += [f".. image:: {figures}/{name}", f"   :alt: {name}", ""]
    return "\n".join(parts).rstrip() + "\n"


INDEX = """\
Tutorials
=========

Homework-style walkthroughs. Each is a Python script in ``tutorials/`` that you can
run, change and run again: ``python tutorials/02_mlp.py FIGURE_FOLDER`` writes its figures
to ``FIGURE_FOLDER`` (else to ``$LUCID_TUTORIAL_FIGURES``, else to a temporary folder,
never to the current directory), and ``LUCID_TUTORIAL_FAST=1`` runs it briefly, as the
test suite does. The pages below are those scripts, run when this documentation was
built: every printed value and every figure is what the code shown produced.

.. toctree::
   :maxdepth: 1

"""


def _digest(script, fast):
    h = hashlib.sha256()
    for path in (script, TUTORIALS / "_tutorial.py"):
        h.update(path.read_bytes())
    h.update(b"fast" if fast else b"full")
    return h.hexdigest()


def _figures_shown(page):
    """The figure paths (relative to the page) that a rendered page shows."""
    return re.findall(r"^\.\. image:: (\S+)$", page.read_text(), re.M)


def _up_to_date(page, stamp, digest):
    """The page was rendered from this source, in this setting, and its figures exist."""
    return (page.exists() and stamp.exists() and stamp.read_text() == digest
            and all((page.parent / path).is_file() for path in _figures_shown(page)))


def render_all(out=OUT, log=print):
    """Write ``out/NN_name.rst`` (and its figures, in ``out/figures/NN_name/``) for every
    tutorial; return the page names."""
    fast = os.environ.get("LUCID_TUTORIAL_FAST", "0") not in ("", "0")
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for script in sorted(TUTORIALS.glob("[0-9][0-9]_*.py")):
        page, stamp = out / f"{script.stem}.rst", out / f"{script.stem}.sha256"
        digest = _digest(script, fast)
        if not _up_to_date(page, stamp, digest):
            log(f"render_tutorials: running {script.name}")
            results = run_script(script, out / "figures" / script.stem)
            page.write_text(render_page(script, results, fast, f"figures/{script.stem}"))
            stamp.write_text(digest)
        names.append(script.stem)
    for entry in (out / "figures").iterdir() if (out / "figures").is_dir() else ():
        if entry.name not in names:               # figures of an older layout or a removed script
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    index = INDEX + "".join(f"   {name}\n" for name in names)
    if not (out / "index.rst").exists() or (out / "index.rst").read_text() != index:
        (out / "index.rst").write_text(index)     # rewritten only when changed (Sphinx rereads it)
    return names


def _builder_inited(app):
    from sphinx.util import logging
    logger = logging.getLogger(__name__)
    render_all(log=logger.info)


def setup(app):
    """Sphinx entry point: render the tutorials before the sources are read."""
    app.connect("builder-inited", _builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--run-cells":
        _run_cells(*sys.argv[2:])
    else:
        print("\n".join(render_all()))
