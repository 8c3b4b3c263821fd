"""Run a course on lucid: assignments cut from lucid's own source, graded against its
compiled twins.

Every kernel of lucid exists twice: the readable reference twin *is* the solution of an
exercise, and the compiled twin is an independent oracle to grade it against. This
package makes an assignment from the marked regions of lucid's source and grades a
student's code in sandboxed child processes:

* :func:`topics` and :func:`exercises` list what can be set
  (``python -m lucid.course list``);
* :func:`new` writes a student workspace (``python -m lucid.course new conv --out hw1``):
  the student's files, a README stating the assignment, and a record of the lucid and
  the exercise set that made it; it first proves each exercise (lucid's code passes,
  the stub does not);
* :func:`grade` grades a workspace (``python -m lucid.course grade hw1``): per exercise,
  the docs' worked examples, random cases against the compiled twin (and PyTorch where
  installed), gradchecks and the bad inputs the kernel's contract names; a table of
  points, the smallest failing case of each exercise, and Gradescope's results.json;
* :func:`autograder` packs what a course platform needs to run the same grading on a
  submission.

The guide "Running a course with lucid" in the docs covers all of it.
"""
from typing import NamedTuple

from lucid.course import _catalog
from lucid.course._grade import CourseError, Report
from lucid.course._sandbox import Limits

__all__ = ["topics", "exercises", "new", "grade", "autograder", "Exercise", "Report",
           "CourseError"]


class Exercise(NamedTuple):
    """One exercise an assignment can set (see :func:`exercises`)."""

    name: str
    """Its name (``"conv_forward"``); ``new`` and ``grade --exercise`` take it."""
    topic: str
    """The topic it belongs to (``"conv"``)."""
    file: str
    """The student's file that holds it (``"conv.py"``)."""
    points: float
    """Its points."""
    title: str
    """What it asks for: the first line of its docstring."""
    source: str
    """Where its region is marked in lucid's source (``lucid/_ext/conv.py:80-129``)."""


def topics():
    """The topics a course can set, each with what it covers.

    Returns
    -------
    dict of str to str
        ``{topic: description}`` in the order ``python -m lucid.course list`` shows.

    Examples
    --------
    >>> import lucid.course
    >>> list(lucid.course.topics())
    ['conv', 'pool', 'activation', 'scatter', 'autograd', 'nn', 'optim']
    """
    return dict(_catalog.TOPICS)


def exercises(topic=None):
    """The exercises of one topic (or of all), each with its file, points and source.

    Parameters
    ----------
    topic : str, optional
        A topic of :func:`topics`; None for every exercise.

    Returns
    -------
    list of Exercise

    Raises
    ------
    ValueError
        An unknown topic.

    Examples
    --------
    >>> import lucid.course
    >>> [e.name for e in lucid.course.exercises("optim")]
    ['sgd', 'adam']
    >>> e = lucid.course.exercises("conv")[0]
    >>> e.name, e.file, e.points
    ('conv_forward', 'conv.py', 10)
    """
    import os

    import lucid

    if topic is not None and topic not in _catalog.TOPICS:
        raise ValueError(f"lucid.course.exercises: unknown topic {topic!r}; known: "
                         f"{', '.join(_catalog.TOPICS)}")
    root = os.path.dirname(os.path.dirname(os.path.abspath(lucid.__file__)))
    found = []
    for e in _catalog.EXERCISES.values():
        if topic is None or e.topic == topic:
            region = e.region()
            where = f"{os.path.relpath(region.path, root)}:{region.first}-{region.last}"
            found.append(Exercise(e.name, e.topic, e.file, e.points, e.title, where))
    return found


def new(topics, out, *, force=False, check=True):
    """Write a student workspace for some topics (or single exercises) into ``out``.

    For a kernel family ``F`` the student's file ``out/F.py`` is lucid's reference twin
    ``lucid/_ext/F.py`` with each chosen kernel's body replaced by ``raise
    NotImplementedError`` (docstring, formula, shapes and signature kept, hints added):
    copying lucid's file over it is a full solution. The ``autograd``, ``nn`` and
    ``optim`` topics make ``autograd.py``, ``nn.py`` and ``optim.py`` from the marked
    regions of lucid's ops, layers and optimizers the same way. ``out/README.md`` states
    the assignment from the docs (formulas, shapes, what is graded) and
    ``out/.lucid-course.json`` records lucid's version and a hash of the exercise set,
    which :func:`grade` checks.

    Before writing, every exercise is proved: lucid's own code, graded as a student's
    file would be, passes every case, and the stub does not earn full points.

    Parameters
    ----------
    topics : str or list of str
        Topics (:func:`topics`) or exercise names (:func:`exercises`), in any mix.
    out : str or path
        The folder to write; it must not exist or be empty, unless ``force``.
    force : bool, default False
        Write into a folder that has files (those of the same name are replaced).
    check : bool, default True
        Prove the exercises first (a few seconds per topic).

    Returns
    -------
    str
        ``out``.

    Raises
    ------
    ValueError
        A name that is neither a topic nor an exercise.
    CourseError
        ``out`` has files (without ``force``), or an exercise fails its proof.

    Examples
    --------
    >>> import os, tempfile, lucid.course
    >>> folder = lucid.course.new(["relu_forward"], tempfile.mkdtemp(), check=False)
    >>> sorted(os.listdir(folder))
    ['.lucid-course.json', 'README.md', 'activation.py']
    """
    from lucid.course import _workspace

    return _workspace.new(topics, out, force=force, check=check)


def grade(directory, *, exercise=None, seed=None, json=None, time_limit=60.0,
          memory_limit=2 * 2 ** 30, output_limit=2 ** 20, oracles="auto", echo=print):
    """Grade a student workspace: every exercise in its own sandboxed child process.

    Per exercise the cases are: the worked examples of its docs page; random
    configurations compared with the compiled twin (with lucid's own code for ops,
    layers and optimizers) and with PyTorch where it is installed; gradchecks (central
    differences of the forward, float64) where the exercise is a gradient; and the bad
    inputs the kernel's contract refuses, which must raise what the compiled twin
    raises. While one exercise is graded every other kernel is the compiled twin. An
    exercise earns its points times the share of its cases that pass; a hang, a crash,
    more output than ``output_limit`` or a change to lucid's files scores 0 for that
    exercise, and grading goes on. The student's module is imported only by the child,
    which may not write files and has the time and memory limits given here.

    Parameters
    ----------
    directory : str or path
        A workspace made by :func:`new` (and the same lucid: its version and exercise
        set are checked).
    exercise : str, optional
        Grade this exercise only.
    seed : int, optional
        With ``exercise``: replay the one case of that seed (the report of a failure
        names it), and print it in full.
    json : str or path, optional
        Write Gradescope's ``results.json`` here, rewritten atomically after every
        exercise (strict JSON).
    time_limit : float, default 60
        Wall-clock seconds per exercise.
    memory_limit : int, default 2 GiB
        Bytes of address space per exercise, on top of what importing lucid takes.
    output_limit : int, default 1 MiB
        Bytes an exercise's code may print.
    oracles : {'auto', 'lucid'}, default 'auto'
        'auto' adds PyTorch as an oracle when it is installed.
    echo : callable or None, default print
        Receives the progress lines and the final report; None for silence.

    Returns
    -------
    Report
        ``report.score``, ``report.max_score``; ``print(report)`` shows the table and
        the smallest failing case of every exercise that lost points.

    Raises
    ------
    CourseError
        Not a workspace; one made by another lucid or exercise set; an unknown
        exercise or seed.

    Examples
    --------
    The untouched stub earns nothing (grading runs the cases in a child process):

    >>> import tempfile, lucid.course
    >>> folder = lucid.course.new(["erf"], tempfile.mkdtemp(), check=False)
    >>> report = lucid.course.grade(folder, echo=None)
    >>> report.score, report.max_score
    (0.0, 10.0)
    """
    from lucid.course import _grade

    limits = Limits(time=time_limit, memory=memory_limit, output=output_limit)
    return _grade.grade(directory, exercise=exercise, seed=seed, json_path=json,
                        limits=limits, oracles=oracles, echo=echo)


def autograder(directory, out=None):
    """Pack what a course platform needs to grade submissions of a workspace.

    Writes a zip (Gradescope's layout): ``setup.sh`` installs lucid from the source
    packed beside it (the same lucid, so the version and exercise-set checks pass),
    ``run_autograder`` copies the submitted files into the workspace and runs
    ``python -m lucid.course grade`` on it with ``--json`` pointing where the platform
    reads results, and ``source/`` holds the workspace (stubs, README, record) and
    lucid's source.

    Parameters
    ----------
    directory : str or path
        The workspace made by :func:`new`.
    out : str or path, optional
        The zip to write (default: ``autograder.zip`` beside the workspace).

    Returns
    -------
    str
        The path of the zip.

    Raises
    ------
    CourseError
        Not a workspace of this lucid; lucid's source checkout (``pyproject.toml``
        beside the package) not found.
    """
    from lucid.course import _autograder

    return _autograder.pack(directory, out)
