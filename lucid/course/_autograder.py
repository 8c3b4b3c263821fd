"""Packing a workspace for a course platform (Gradescope's autograder layout).

The zip holds, at its top, the two scripts a platform runs and ``source/``, which the
platform unpacks as ``/autograder/source``:

``setup.sh``
    installs lucid from ``source/lucid-src`` (the very lucid that made the workspace, so
    :func:`lucid.course.grade`'s version and exercise-set checks pass);
``run_autograder``
    copies the student's files (only the names the workspace gives them) from
    ``/autograder/submission`` into a fresh copy of the workspace and runs
    ``python3 -m lucid.course grade`` on it, with ``--json`` where the platform reads
    ``results.json``;
``source/workspace``
    the workspace made by ``new`` (the stubs, the README, the record).
"""
import os
import stat
import zipfile

import lucid
from lucid.course._grade import CourseError, read_record

__all__ = ["pack", "SETUP", "RUN"]

SETUP = """#!/usr/bin/env bash
# Installs the lucid that made this assignment (lucid {version}).
set -euo pipefail
python3 -m pip install /autograder/source/lucid-src
"""

RUN = """#!/usr/bin/env bash
# Grades one submission: the student's files go into a copy of the workspace.
set -uo pipefail
work=$(mktemp -d)
cp -r /autograder/source/workspace/. "$work/"
for name in {files}; do
    found=$(find /autograder/submission -name "$name" -type f | head -n 1)
    if [ -n "$found" ]; then cp "$found" "$work/$name"; fi
done
mkdir -p /autograder/results
cd "$work"
python3 -m lucid.course grade "$work" --json /autograder/results/results.json
exit 0
"""

#: What of lucid's checkout the platform needs to install it.
SOURCE_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE")
SKIPPED = ("__pycache__",)
SKIPPED_ENDINGS = (".so", ".pyd", ".c", ".html", ".pyc")


def _lucid_checkout():
    root = os.path.dirname(os.path.dirname(os.path.abspath(lucid.__file__)))
    if not os.path.isfile(os.path.join(root, "pyproject.toml")):
        raise CourseError("lucid.course.autograder: lucid's source checkout (pyproject.toml "
                          f"beside the lucid package, in {root}) was not found; pack from a "
                          "source checkout of lucid (pip install -e .)")
    return root


def _add_file(archive, path, name, executable=False):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    if path is None:
        return info
    with open(path, "rb") as f:
        archive.writestr(info, f.read())
    return info


def _add_text(archive, text, name, executable=False):
    info = _add_file(archive, None, name, executable)
    archive.writestr(info, text)


def _add_tree(archive, folder, prefix):
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED)
        for name in sorted(filenames):
            if name.endswith(SKIPPED_ENDINGS):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            _add_file(archive, path, f"{prefix}/{rel}")


def pack(directory, out=None):
    """See :func:`lucid.course.autograder`."""
    directory = os.path.abspath(os.fspath(directory))
    record, exercises = read_record(directory, "lucid.course.autograder")
    root = _lucid_checkout()
    if out is None:
        out = os.path.join(os.path.dirname(directory), "autograder.zip")
    out = os.fspath(out)
    files = sorted({e.file for e in exercises})
    with zipfile.ZipFile(out, "w") as archive:
        _add_text(archive, SETUP.format(version=lucid.__version__), "setup.sh", True)
        _add_text(archive, RUN.format(files=" ".join(files)), "run_autograder", True)
        _add_tree(archive, directory, "source/workspace")
        for name in SOURCE_FILES:
            if os.path.isfile(os.path.join(root, name)):
                _add_file(archive, os.path.join(root, name), f"source/lucid-src/{name}")
        _add_tree(archive, os.path.join(root, "lucid"), "source/lucid-src/lucid")
    return out
