"""Making a student workspace: the files to write, the README, the record, the proof.

For a kernel family ``F`` the student's file ``F.py`` is the reference twin
``lucid/_ext/F.py`` with each chosen kernel's body replaced by ``raise
NotImplementedError`` (docstring, formula, shapes and signature kept, hints added), so
copying lucid's file over it is a full solution. For ``autograd``, ``nn`` and ``optim``
the file holds the marked regions of lucid's source that the chosen exercises name, in
order, with the imports they need, stubbed the same way.

Before writing anything, :func:`new` proves every exercise: lucid's own code (the
solution) passes every case and the stub does not earn full points, both graded as a
student's file is (in a child process).
"""
import datetime
import inspect
import json
import os
import tempfile

import lucid
from lucid.course import _catalog, _regions, _sandbox
from lucid.course._exercise import KINDS, resolve
from lucid.course._grade import RECORD, CourseError, run_exercises

__all__ = ["files", "new", "readme"]


def _header(file):
    return (f"# {file}: your part of a lucid course assignment (lucid {lucid.__version__}).\n"
            "# Write every body that raises NotImplementedError; README.md says what is graded.\n"
            "# Grade your work from this folder with:  python -m lucid.course grade .\n")


def _kernel_file(family, exercises, stubbed):
    region = exercises[0].region()
    with open(region.path, encoding="utf-8") as f:
        text = f.read()
    if stubbed:
        for e in exercises:
            text = _regions.stub(text, e.stubs, e.hints)
    return text


def _patch_file(topic, exercises, stubbed):
    needed = set()
    parts = []
    for e in exercises:
        region = e.region()
        needed |= _regions.imports(region.text, e.module)
        body = _regions.stub(region.text, e.stubs, e.hints) if stubbed else region.text
        source = os.path.relpath(region.path, os.path.dirname(os.path.dirname(
            os.path.abspath(lucid.__file__))))
        rule = f"# {'-' * 60} {e.name}: from {source}, lines {region.first}-{region.last}"
        parts.append(f"\n\n{rule}\n{body}")
    doc = (f'"""Your {topic} assignment: {_catalog.TOPICS[topic]}.\n\n'
           "Each part below is a region of lucid's own source (the comment above it says\n"
           "where), with the bodies you write removed. The grader puts your definitions in\n"
           "place of lucid's, one exercise at a time, and runs lucid's public functions.\n"
           '"""\n')
    return doc + "\n".join(_regions.import_lines(needed)) + "\n" + "".join(parts)


def files(exercises, stubbed=True):
    """``{file name: text}`` of a workspace for ``exercises`` (the stubs; with
    ``stubbed=False`` the solutions: lucid's own code)."""
    by_file = {}
    for e in exercises:
        by_file.setdefault(e.file, []).append(e)
    made = {}
    for file, group in by_file.items():
        if group[0].kind == "kernel":
            body = _kernel_file(group[0].family, group, stubbed)
        else:
            body = _patch_file(group[0].topic, group, stubbed)
        made[file] = _header(file) + body
    return made


def _docstring(e):
    obj, _ = resolve(e.docs[0])
    return inspect.getdoc(obj) or ""


def readme(exercises, counts):
    """The assignment, stated from the docs: per exercise its file, formula and shapes
    (the docstring), and what is graded."""
    topics = sorted({e.topic for e in exercises}, key=list(_catalog.TOPICS).index)
    total = sum(e.points for e in exercises)
    lines = [f"# Assignment: {', '.join(topics)}", "",
             f"Made by lucid {lucid.__version__}: {len(exercises)} exercise(s), {total:g} points.",
             "", "Your files: " + ", ".join(f"`{f}`" for f in sorted({e.file for e in exercises}))
             + ". In each, write the bodies that raise `NotImplementedError`; keep every",
             "function's name and signature. Each docstring gives the formula and the shapes.",
             "", "## Grading", "",
             "    python -m lucid.course grade .                 # every exercise, a table of points",
             "    python -m lucid.course grade . --exercise NAME --seed S   # replay one case", "",
             "Each exercise runs in its own process, with a time and a memory limit, and may not",
             "write files; a hang, a crash or pages of printing score 0 for that exercise.",
             "While one exercise is graded, every other kernel is lucid's compiled one, so a bug",
             "costs points once. An exercise's points are shared among its cases:", "",
             "* docs examples: the worked examples of its docs page, printed as shown there;",
             "* random: random shapes and arguments, compared with lucid's compiled kernels or",
             "  lucid's own code (and with PyTorch when it is installed);",
             "* gradcheck: a gradient compared with finite differences of the forward;",
             "* bad inputs: arguments the kernel must refuse with the same error as lucid's",
             "  (start your kernel with the shared check, `_checks.NAME(...)`).", "",
             "For each exercise that loses points the grader shows the smallest failing case:",
             "the call, its seed, the expected and the computed value, the largest error and",
             "where. `pytest -m TOPIC` runs lucid's own tests of a topic.", ""]
    for e in exercises:
        kinds = ", ".join(f"{counts[e.name][k]} {k}" for k in KINDS if counts[e.name].get(k))
        lines += [f"## {e.name} ({e.points:g} points, in `{e.file}`)", "",
                  f"{e.title}", "", f"Graded: {kinds}.", "",
                  f"From the docs of `{e.docs[0]}`:", "", "```text",
                  _docstring(e), "```", ""]
    return "\n".join(lines)


def prove(exercises, cases, limits=None):
    """Grade lucid's own code and the stubs as a student's files: raise CourseError
    unless the solution passes every case and the stub falls short of full points."""
    limits = limits or _sandbox.Limits(time=600)
    with tempfile.TemporaryDirectory(prefix="lucid-course-proof-") as tmp:
        tasks = []
        for variant, stubbed in (("solution", False), ("stub", True)):
            folder = os.path.join(tmp, variant)
            os.makedirs(folder)
            for name, text in files(exercises, stubbed).items():
                with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
                    f.write(text)
            tasks += [(e, cases[e.name], os.path.join(folder, e.file)) for e in exercises]
        results = run_exercises(tasks, limits, together=True)
    problems = []
    n = len(exercises)
    for solution, stub in zip(results[:n], results[n:]):
        if solution.ended or solution.count(False):
            problems.append(f"{solution.name}: lucid's own code does not pass it:\n"
                            f"{solution.details()}")
        if stub.ended or stub.score >= stub.max_score:
            problems.append(f"{stub.name}: the stub earns full points ({stub.breakdown()})")
    if problems:
        raise CourseError("lucid.course.new: an exercise cannot be set:\n" + "\n".join(problems))
    return results


def new(names, out, force=False, check=True, limits=None):
    """See :func:`lucid.course.new`."""
    exercises = _catalog.select(names)
    out = os.fspath(out)
    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)) and not force:
        raise CourseError(f"lucid.course.new: {out} exists and is not empty; choose another "
                          "folder (or force=True / --force to write into it)")
    cases = {e.name: e.cases() for e in exercises}
    if check:
        prove(exercises, cases, limits)
    counts = {name: {k: sum(1 for c in cs if c.kind == k) for k in KINDS}
              for name, cs in cases.items()}
    os.makedirs(out, exist_ok=True)
    written = files(exercises)
    written["README.md"] = readme(exercises, counts)
    record = {"lucid": lucid.__version__, "format": _catalog.FORMAT,
              "exercise_set": _catalog.exercise_set_hash(exercises),
              "made": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "exercises": [{"name": e.name, "topic": e.topic, "file": e.file,
                             "points": e.points} for e in exercises]}
    written[RECORD] = json.dumps(record, indent=2) + "\n"
    for name, text in written.items():
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write(text)
    return out
