"""Grading: run each exercise's cases on the student's code in a child, compare in the
grading process, score, report, and write the results after every exercise.

Scores: an exercise's points times the share of its cases that pass (cases dropped
because the oracles disagree do not count). A hang, a crash, a flood of output or a
tampered results channel scores 0 for that exercise and grading goes on. The results
file (Gradescope's ``results.json``: strict JSON, written atomically) is rewritten after
every exercise, so a run that is killed still leaves the exercises graded so far.
"""
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np

import lucid
from lucid.course import _catalog, _sandbox
from lucid.course._exercise import KINDS, Outcome

__all__ = ["CourseError", "ExerciseResult", "Report", "run_exercises", "grade", "read_record",
           "RECORD"]

#: The file in a workspace that records how it was made.
RECORD = ".lucid-course.json"


class CourseError(Exception):
    """A workspace or a request the course tools cannot work with (the message says why)."""


class ExerciseResult:
    """The grading of one exercise: each case and how it went, the score."""

    def __init__(self, exercise, cases, outcomes, ended=None, running=None, printed="",
                 seconds=0.0, repaired=()):
        self.exercise, self.cases, self.outcomes = exercise, cases, outcomes
        self.ended, self.running, self.printed = ended, running, printed
        self.seconds, self.repaired = seconds, list(repaired)

    @property
    def name(self):
        return self.exercise.name

    @property
    def max_score(self):
        return float(self.exercise.points)

    def count(self, passed, kind=None):
        return sum(1 for c, o in zip(self.cases, self.outcomes)
                   if o.passed is passed and (kind is None or c.kind == kind))

    @property
    def score(self):
        if self.ended or self.repaired:
            return 0.0
        passed, failed = self.count(True), self.count(False)
        if passed + failed == 0:
            return 0.0
        return round(self.max_score * passed / (passed + failed), 2)

    def failures(self):
        """The failing cases, smallest input first."""
        found = [(c, o) for c, o in zip(self.cases, self.outcomes) if o.passed is False]
        return sorted(found, key=lambda co: (co[0].size, co[0].seed))

    def breakdown(self):
        parts = []
        for kind in KINDS:
            total = sum(1 for c in self.cases if c.kind == kind)
            if total:
                label = {"example": "docs examples", "bad input": "bad inputs",
                         "random": "random", "gradcheck": "gradcheck"}[kind]
                parts.append(f"{label} {self.count(True, kind)}/{total}")
        dropped = self.count(None)
        if dropped:
            parts.append(f"{dropped} dropped")
        return ", ".join(parts)

    def details(self, directory="DIR"):
        """What the student needs to fix: why the exercise scored less than full."""
        lines = []
        if self.repaired:
            lines.append("your code changed the grader's files (they were restored): "
                         + ", ".join(os.path.basename(p) for p in self.repaired[:5]))
        if self.ended:
            where = f" while running case seed {self.running}" if self.running is not None else ""
            lines.append(f"your code {self.ended}{where}; this exercise scores 0")
            if self.running is not None:
                case = next((c for c in self.cases if c.seed == self.running), None)
                if case is not None:
                    lines.append(f"  the case: {case.call}")
        failures = self.failures()
        if failures and not self.ended:
            case, outcome = failures[0]
            lines.append(f"{len(failures)} of {len(self.cases)} cases fail. The smallest "
                         f"({case.kind}, seed {case.seed}):")
            lines.append(f"  {case.call}")
            for line in outcome.message.splitlines():
                lines.append(f"  {line}")
            lines.append(f"  replay: python -m lucid.course grade {directory} "
                         f"--exercise {self.name} --seed {case.seed}")
        if self.printed.strip() and (self.ended or failures):
            lines.append("what your code printed:")
            lines.extend("  " + line for line in self.printed.rstrip().splitlines()[:40])
        return "\n".join(lines)

    def test(self, number, directory):
        """This exercise as one test of Gradescope's results.json."""
        return {
            "name": f"{self.name}: {self.exercise.title}",
            "number": str(number),
            "score": self.score,
            "max_score": self.max_score,
            "status": "passed" if self.score == self.max_score else "failed",
            "output": (f"{self.breakdown()}\n{self.details(directory)}").strip(),
            "output_format": "text",
            "tags": [self.exercise.topic],
            "visibility": "visible",
            "extra_data": _strict({
                "exercise": self.name, "file": self.exercise.file,
                "cases": len(self.cases), "passed": self.count(True),
                "failed": self.count(False), "dropped": self.count(None),
                "failed_seeds": [c.seed for c, _ in self.failures()],
                "dropped_seeds": [c.seed for c, o in zip(self.cases, self.outcomes)
                                  if o.passed is None],
                "outcome": self.ended or ("files restored" if self.repaired else "graded"),
                "largest_error": max((o.error for o in self.outcomes if o.error is not None),
                                     default=None),
                "seconds": round(self.seconds, 3)}),
        }


def _strict(value):
    """JSON without NaN or infinities (they become strings)."""
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value


def _versions():
    found = {"lucid": lucid.__version__, "numpy": np.__version__,
             "python": platform.python_version(),
             "kernels": {f: s.active for f, s in lucid.kernels.status().items()}}
    torch = sys.modules.get("torch")
    found["torch"] = getattr(torch, "__version__", None)
    return found


class Report:
    """The result of :func:`lucid.course.grade`: per exercise scores and failures.

    ``print(report)`` shows the table of points and, for every exercise that lost
    points, its smallest failing case; :meth:`gradescope` is the results.json data.
    """

    def __init__(self, directory, record, results, seconds, complete):
        self.directory, self.record, self.results = directory, record, list(results)
        self.seconds, self.complete = seconds, complete

    @property
    def score(self):
        """Points earned."""
        return round(sum(r.score for r in self.results), 2)

    @property
    def max_score(self):
        """Points available."""
        return round(sum(r.max_score for r in self.results), 2)

    def table(self):
        width = max([len(r.name) for r in self.results] + [8])
        lines = [f"{'exercise':<{width}}  {'points':^13}  cases"]
        for r in self.results:
            lines.append(f"{r.name:<{width}}  {r.score:6.2f} / {r.max_score:<4g}  "
                         f"{r.breakdown() if not r.ended else r.ended}")
        lines.append(f"{'total':<{width}}  {self.score:6.2f} / {self.max_score:<4g}")
        return "\n".join(line.rstrip() for line in lines)

    def __str__(self):
        parts = [self.table()]
        for r in self.results:
            if r.score < r.max_score:
                parts.append(f"--- {r.name}\n{r.details(self.directory)}")
        return "\n\n".join(parts)

    def gradescope(self):
        """The results in Gradescope's ``results.json`` format (strict JSON data)."""
        tests = [r.test(i + 1, self.directory) for i, r in enumerate(self.results)]
        return _strict({
            "score": round(sum(t["score"] for t in tests), 2),
            "execution_time": int(round(self.seconds)),
            "output": self.table() + ("" if self.complete else "\n(grading did not finish)"),
            "output_format": "text",
            "stdout_visibility": "hidden",
            "visibility": "visible",
            "tests": tests,
            "extra_data": {"versions": _versions(), "complete": self.complete,
                           "exercise_set": self.record.get("exercise_set"),
                           "workspace_lucid": self.record.get("lucid")},
        })


def write_json(path, data):
    """Write ``data`` as strict JSON to ``path`` atomically (a reader never sees half)."""
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    text = json.dumps(data, indent=2, allow_nan=False)
    fd, tmp = tempfile.mkstemp(prefix=".results-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _outcomes(exercise, cases, messages):
    """Each case's outcome from the child's messages for this exercise."""
    failed = next((m for m in messages if m.get("event") == "failed"), None)
    if failed is not None:
        text = f"{failed.get('raised')}: {failed.get('message', '')}"
        if failed.get("frames"):
            text += "\n" + failed["frames"].rstrip()
        return [Outcome(False, f"your {exercise.file} could not be used: {text}")
                for _ in cases]
    got = {m.get("seed"): m.get("result") for m in messages if m.get("event") == "case"}
    outcomes = []
    for case in cases:
        result = got.get(case.seed)
        if not isinstance(result, dict):
            outcomes.append(Outcome(False, "no result"))
            continue
        try:
            outcomes.append(exercise.check(case, result))
        except Exception as exc:  # noqa: BLE001 - a malformed result fails its case
            outcomes.append(Outcome(False, f"a result the grader cannot read ({exc})"))
    return outcomes


def _split(messages):
    """The child's messages, per job (in order)."""
    jobs = []
    for m in messages:
        if m.get("event") == "job":
            jobs.append([])
        elif jobs:
            jobs[-1].append(m)
    return jobs


def _running(messages):
    started = [m.get("seed") for m in messages if m.get("event") == "start"]
    finished = {m.get("seed") for m in messages if m.get("event") == "case"}
    pending = [s for s in started if s not in finished]
    return pending[-1] if pending else None


def run_exercises(tasks, limits, together=False, guard=None, on_result=None):
    """Grade ``tasks`` (``[(exercise, cases, path of the student's file)]``): one child per
    task (or one for all, ``together``, for trusted code); ExerciseResult per task."""
    results = []
    groups = [tasks] if together else [[t] for t in tasks]
    for group in groups:
        start = time.perf_counter()
        jobs = [{"exercise": e.name, "file": os.path.abspath(path),
                 "cases": [c.job() for c in cases]} for e, cases, path in group]
        run = _sandbox.run_child(jobs, limits)
        repaired = guard.check() if guard is not None else []
        ended = run.ended(limits)
        per_job = _split(run.messages)
        seconds = (time.perf_counter() - start) / len(group)
        for i, (exercise, cases, _) in enumerate(group):
            messages = per_job[i] if i < len(per_job) else []
            own_end = None
            if ended and i == len(per_job) - 1:
                own_end = ended
            elif ended and i >= len(per_job):
                own_end = "was not run (the child stopped before it)"
            result = ExerciseResult(exercise, cases, _outcomes(exercise, cases, messages),
                                    own_end, _running(messages) if own_end else None,
                                    run.printed, seconds, repaired)
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results


def read_record(directory, origin="lucid.course.grade"):
    """The workspace's record (what ``new`` wrote), checked against this lucid."""
    path = os.path.join(directory, RECORD)
    if not os.path.isfile(path):
        raise CourseError(f"{origin}: {directory} is not a course workspace (it has "
                          f"no {RECORD}; make one with python -m lucid.course new)")
    try:
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
        names = [e["name"] for e in record["exercises"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise CourseError(f"{origin}: {path} is damaged ({exc}); make the "
                          "workspace again with python -m lucid.course new") from None
    if record.get("lucid") != lucid.__version__:
        raise CourseError(
            f"{origin}: this workspace was made by lucid {record.get('lucid')} and "
            f"this is lucid {lucid.__version__}; grade it with the lucid that made it, or "
            f"make a new workspace (python -m lucid.course new) and move your code into it")
    exercises = [_catalog.exercise(n) for n in names]
    made = _catalog.exercise_set_hash(exercises)
    if record.get("exercise_set") != made:
        raise CourseError(
            f"{origin}: the exercises of this workspace (set {record.get('exercise_set')}) "
            f"are not the ones this lucid grades (set {made}): lucid's source or its grader "
            f"changed since the workspace was made. Grade it with the lucid that made it, or "
            f"make a new workspace and move your code into it")
    return record, exercises


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def grade(directory, exercise=None, seed=None, json_path=None, limits=None, oracles="auto",
          echo=print):
    """See :func:`lucid.course.grade`."""
    start = time.perf_counter()
    directory = os.fspath(directory)
    record, exercises = read_record(directory)
    if exercise is not None:
        exercises = [e for e in exercises if e.name == exercise]
        if not exercises:
            raise CourseError(f"lucid.course.grade: this workspace has no exercise "
                              f"{exercise!r}; it has {', '.join(e['name'] for e in record['exercises'])}")
    if seed is not None and exercise is None:
        raise CourseError("lucid.course.grade: --seed replays one case of one exercise: "
                          "name it with --exercise")
    torch = _torch() if oracles == "auto" else None
    limits = limits or _sandbox.Limits()
    guard = _sandbox.Guard(extra=[os.path.join(directory, RECORD)])
    results = []

    def save(complete):
        report = Report(directory, record, results, time.perf_counter() - start, complete)
        if json_path is not None:
            write_json(json_path, report.gradescope())
        return report

    save(False)
    for e in exercises:
        cases = e.cases(torch)
        if seed is not None:
            cases = [c for c in cases if c.seed == seed]
            if not cases:
                seeds = _seed_ranges(e.cases(None))
                raise CourseError(f"lucid.course.grade: {e.name} has no case with seed {seed}; "
                                  f"its seeds are {seeds}")
        (result,) = run_exercises([(e, cases, os.path.join(directory, e.file))], limits,
                                  guard=guard)
        results.append(result)
        save(False)
        if echo is not None:
            echo(f"{e.name:<24} {result.score:6.2f} / {result.max_score:g}")
    report = save(True)
    if echo is not None:
        echo("")
        echo(str(report) if seed is None else _replay(report))
    return report


def _replay(report):
    (result,) = report.results
    (case,), (outcome,) = result.cases, result.outcomes
    state = {True: "passes", False: "fails", None: "is dropped"}[outcome.passed]
    lines = [f"{result.name}, {case.kind} case seed {case.seed}: {state}", f"  {case.call}"]
    if result.ended:
        lines.append(f"  your code {result.ended}")
    lines.extend("  " + line for line in outcome.message.splitlines())
    if result.printed.strip():
        lines.append("what your code printed:")
        lines.extend("  " + line for line in result.printed.rstrip().splitlines()[:40])
    return "\n".join(lines)


def _seed_ranges(cases):
    seeds = sorted(c.seed for c in cases)
    ranges, first = [], None
    for i, s in enumerate(seeds):
        if first is None:
            first = s
        if i + 1 == len(seeds) or seeds[i + 1] != s + 1:
            ranges.append(str(first) if first == s else f"{first}-{s}")
            first = None
    return ", ".join(ranges)
