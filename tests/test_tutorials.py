"""Every tutorial in ``tutorials/`` runs, in its fast setting, and writes its figures.

Each script runs in a subprocess, as a student runs it (``python tutorials/NN_name.py
FOLDER``), with ``LUCID_TUTORIAL_FAST=1``, the figure folder under ``tmp_path`` and an
empty current directory that must stay empty. The scripts check their own claims with
``assert`` (gradcheck results, twins agreeing), so a wrong number fails the run.
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tutorials"

MATPLOTLIB_MISSING = "matplotlib is not installed (pip install -e \".[test]\")"

#: The figures each tutorial must write, and a line its output must contain.
EXPECTED = {
    "01_autograd_from_scratch.py": (["01_softplus.png"], "broken backward passes gradcheck: False"),
    "02_mlp.py": (["02_mlp_curves.png", "02_mlp_first_layer.png"], "epoch  3: training loss"),
    "03_cnn_digits.py": (["03_cnn_confusion.png", "03_cnn_predictions.png"], "test accuracy:"),
    "04_conv_autoencoder_1d.py": (["04_autoencoder_reconstructions.png", "04_autoencoder_loss.png"],
                                  "test MSE"),
    "05_kernel_twins.py": (["05_twin_timings.png"], "reference twin == six loops"),
    "06_assignment.py": (["06_assignment_timings.png"], "Conv2d on my kernel == Conv2d on lucid's"),
    "07_outgrow_lucid.py": (["07_paths_agree.png"], "the paths agree with lucid"),
    "08_char_lstm.py": (["08_char_lstm_loss.png"], "sampled line:"),
}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _run(script, tmp_path, *args, env_extra=None):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        pytest.skip(MATPLOTLIB_MISSING)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = {**os.environ, "LUCID_TUTORIAL_FAST": "1", "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("LUCID_TUTORIAL_FIGURES", None)
    env.update(env_extra or {})
    out = subprocess.run([sys.executable, str(TUTORIALS / script), *args], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"{script} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    assert list(cwd.iterdir()) == [], f"{script} wrote into the current directory"
    return out


def test_every_tutorial_is_listed():
    scripts = sorted(p.name for p in TUTORIALS.glob("[0-9][0-9]_*.py"))
    assert scripts == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_tutorial_runs_and_writes_its_figures(script, tmp_path):
    figures = tmp_path / "figures"
    out = _run(script, tmp_path, str(figures))
    names, line = EXPECTED[script]
    assert line in out.stdout
    assert sorted(p.name for p in figures.iterdir()) == sorted(names)
    for name in names:
        data = (figures / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 2000, name
        assert f"[figure saved: {figures / name}]" in out.stdout


def test_figure_folder_from_the_environment(tmp_path):
    figures = tmp_path / "from-env"
    _run("01_autograd_from_scratch.py", tmp_path, env_extra={"LUCID_TUTORIAL_FIGURES": str(figures)})
    assert [p.name for p in figures.iterdir()] == ["01_softplus.png"]


def test_default_figure_folder_is_a_temporary_one(tmp_path):
    out = _run("01_autograd_from_scratch.py", tmp_path)
    saved = pathlib.Path(out.stdout.split("[figure saved: ")[1].split("]")[0])
    try:
        assert saved.is_file() and saved.name == "01_softplus.png"
        assert saved.parent.name.startswith("lucid-tutorial-")
        assert not saved.is_relative_to(ROOT)
    finally:
        saved.unlink(missing_ok=True)
        saved.parent.rmdir()


# -- the docs pages: docs/tutorials/render_tutorials.py ------------------------------------

def _renderer():
    sys.path.insert(0, str(ROOT / "docs" / "tutorials"))
    try:
        import render_tutorials
        return render_tutorials
    finally:
        sys.path.pop(0)


def test_percent_cells_are_split_into_prose_and_code():
    r = _renderer()
    source = "# %% [markdown]\n# # Title\n#\n# Text.\n\n# %%\nx = 1\n\n# %%\n\n# %% [markdown]\n# More.\n"
    assert r.cells(source) == [("markdown", "# Title\n\nText."), ("code", "x = 1"), ("markdown", "More.")]


def test_markdown_becomes_rest():
    r = _renderer()
    rst = r.markdown_to_rst("# 1. Title\n\nUse `nn.Linear` on $x$-values,\nsee foo$y$s.\n\n"
                            "$$a = b,\n  c = d.$$\n\n## Part")
    assert rst.splitlines()[:2] == ["1. Title", "========"]
    assert "Use ``nn.Linear`` on :math:`x`-values, see foo\\ :math:`y`\\ s." in rst
    assert ".. math::\n\n   a = b,\n   c = d.\n" in rst
    assert rst.rstrip().endswith("Part\n----")


def test_a_rendered_page_shows_code_output_and_figures(tmp_path):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        pytest.skip(MATPLOTLIB_MISSING)
    r = _renderer()
    script = TUTORIALS / "01_autograd_from_scratch.py"
    env = {"LUCID_TUTORIAL_FAST": "1"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        results = r.run_script(script, tmp_path / "figures")
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    page = r.render_page(script, results, fast=True)
    assert page.count(".. code-block:: python") == sum(k == "code" for k, _ in r.cells(script.read_text()))
    assert "   broken backward passes gradcheck: False" in page      # printed output, indented
    assert ".. image:: figures/01_softplus.png" in page        # figures="figures", the default
    assert (tmp_path / "figures" / "01_softplus.png").is_file()
    assert "fast setting" in page and "[figure saved" not in page


def test_rendered_pages_show_every_figure_whatever_ran_before(tmp_path, monkeypatch):
    """The docs' tutorial pages show each figure even when the figure files already exist
    (a docs build after ``pytest``, or after a build in the other setting, re-runs the
    scripts over the figures of the last run): render twice into one folder, the second
    time with the figures in place, and check every page against EXPECTED."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        pytest.skip(MATPLOTLIB_MISSING)
    r = _renderer()
    monkeypatch.setenv("LUCID_TUTORIAL_FAST", "1")
    out = tmp_path / "generated"
    for run in ("first", "again over the same figures"):
        for stamp in out.glob("*.sha256"):
            stamp.unlink()                                # as if the script had changed
        names = r.render_all(out=out, log=lambda message: None)
        assert sorted(f"{n}.py" for n in names) == sorted(EXPECTED)
        for name in names:
            page = (out / f"{name}.rst").read_text()
            shown = re.findall(r"^\.\. image:: (\S+)$", page, re.M)
            assert sorted(pathlib.PurePosixPath(s).name for s in shown) == \
                sorted(EXPECTED[f"{name}.py"][0]), f"{name}, {run}: {shown}"
            for path in shown:
                assert (out / path).read_bytes().startswith(PNG_SIGNATURE), (name, run, path)
