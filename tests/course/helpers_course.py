"""Shared by the course tests: a workspace of the activation kernels and student files
made from lucid's own reference twin (the solution) with one function replaced."""
import os
import pathlib

import lucid
import lucid.course

LUCID_SOURCE = pathlib.Path(lucid.__file__).resolve().parent
SOLUTION = (LUCID_SOURCE / "_ext" / "activation.py").read_text()

#: Short limits keep the suite fast: a child imports lucid in well under a second.
FAST = dict(time_limit=20.0, output_limit=64 * 2 ** 10, echo=None)


def workspace(tmp_path, names=("erf",)):
    """A workspace (not proved: the course tests prove on their own) for ``names``."""
    return lucid.course.new(list(names), tmp_path / "hw", check=False)


def submit(folder, text, file="activation.py"):
    """Write the student's file."""
    with open(os.path.join(folder, file), "w", encoding="utf-8") as f:
        f.write(text)


def solution_with(extra):
    """lucid's reference twin (a full solution) with ``extra`` appended: a definition
    there replaces the solution's."""
    return SOLUTION + "\n\n" + extra + "\n"
