"""An exercise: a marked region of lucid's source, the definitions in it a student
writes, and the cases that grade them.

Each exercise makes its cases in the grading process, deterministically from their
seeds (``rng(kind, seed)``), in four kinds:

``example``
    the worked examples of a docstring in the docs (those that run the exercise's
    code: the grader checks it by counting calls), their printed output compared as
    doctest compares it;
``random``
    a random configuration; the expected result comes from the compiled twin (for a
    kernel) or from lucid's own code (for an op, a layer, an optimizer), and also from
    PyTorch where it is installed. A case on which those oracles disagree is lucid's
    bug, not the student's: it is dropped from the score and reported;
``gradcheck``
    a gradient compared with central finite differences of the forward, in float64;
``bad input``
    an argument the kernel's contract refuses (``lucid/_ext/_checks.py``): the
    student's code must raise what the compiled twin raises.

A case's ``payload`` (wire data: arrays, numbers, tuples) is all the child process
gets; it runs the student's code on it and sends the results back, and the grading
process compares them with the ``expected`` it kept.
"""
import contextlib
import doctest
import importlib
import inspect
import io
import sys
import traceback
import zlib

import numpy as np

from lucid.course import _compare, _regions

__all__ = ["Case", "Outcome", "Exercise", "KINDS", "run_examples", "check_examples",
           "resolve"]

KINDS = ("example", "random", "gradcheck", "bad input")
SEED_BASE = {"example": 1, "random": 101, "gradcheck": 201, "bad input": 301}
DOCTEST_FLAGS = doctest.NORMALIZE_WHITESPACE


class Case:
    """One graded case (made in the grading process)."""

    __slots__ = ("kind", "seed", "call", "payload", "size", "expected", "names", "note")

    def __init__(self, kind, seed, call, payload, size=0, expected=None, names=None,
                 note=None):
        self.kind, self.seed, self.call, self.payload = kind, seed, call, payload
        self.size, self.expected, self.names, self.note = size, expected, names, note

    def job(self):
        """What the child gets."""
        return {"kind": self.kind, "seed": self.seed, "payload": self.payload}


class Outcome:
    """How one case went: ``passed`` is True, False, or None (dropped from the score)."""

    __slots__ = ("passed", "message", "error", "where")

    def __init__(self, passed, message="", error=None, where=None):
        self.passed, self.message, self.error, self.where = passed, message, error, where


def resolve(dotted):
    """The object a dotted name (``lucid.nn.functional.conv1d``, ``lucid.optim.SGD``)
    names, and the module whose globals its examples run in."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        module = sys.modules[getattr(obj, "__module__", None) or ".".join(parts[:cut])]
        return obj, module
    raise LookupError(dotted)


def examples_of(dotted):
    """The ``>>>`` examples (source, want, exc_msg, options) of a docstring."""
    obj, _ = resolve(dotted)
    parsed = doctest.DocTestParser().get_examples(inspect.getdoc(obj) or "")
    return [{"source": e.source, "want": e.want, "exc": e.exc_msg,
             "options": {name: bool(e.options[flag])
                         for name, flag in doctest.OPTIONFLAGS_BY_NAME.items()
                         if flag in e.options}} for e in parsed]


class _Capture(io.StringIO):
    """What an example prints, kept up to ``CAPTURED`` characters; the rest goes to the
    real stdout, where the grading process's output limit sees it."""

    def write(self, text):
        room = CAPTURED - self.tell()
        if len(text) > room:
            sys.__stdout__.write(text[max(room, 0):])
            text = text[:max(room, 0)]
        return super().write(text)


#: Characters of an example's printing kept to compare (an example prints a few lines).
CAPTURED = 2 ** 16


def run_examples(sources, globs):
    """Run example sources in ``globs`` as doctest runs them: what each printed (and the
    repr of an expression statement's value), and the exception it raised, if any."""
    results = []
    for source in sources:
        out = _Capture()
        exc = None
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(source, "<example>", "single"), globs)
            except BaseException as error:  # noqa: BLE001 - reported, like doctest
                if isinstance(error, (SystemExit, KeyboardInterrupt)):
                    raise
                exc = "".join(traceback.format_exception_only(type(error), error))
        results.append({"out": out.getvalue(), "exc": exc})
        if exc is not None:
            break
    return results


def check_examples(examples, got):
    """None when every example printed what it should, else the message of the first
    that did not."""
    checker = doctest.OutputChecker()
    for i, example in enumerate(examples):
        if i >= len(got):
            return f"example {i + 1} did not run (an earlier one raised)"
        flags = DOCTEST_FLAGS
        for name, on in example["options"].items():
            flag = doctest.OPTIONFLAGS_BY_NAME.get(name, 0)
            flags = flags | flag if on else flags & ~flag
        result = got[i]
        source = example["source"].rstrip("\n")
        if example["exc"] is None:
            if result["exc"] is not None or not checker.check_output(example["want"],
                                                                       result["out"], flags):
                shown = result["out"] if result["exc"] is None else result["exc"]
                return (f">>> {source}\nexpected:\n{example['want'].rstrip() or '(nothing)'}\n"
                        f"got:\n{shown.rstrip() or '(nothing)'}")
        elif result["exc"] is None or not checker.check_output(example["exc"], result["exc"],
                                                                 flags):
            return (f">>> {source}\nexpected the exception: {example['exc'].rstrip()}\n"
                    f"got: {(result['exc'] or result['out']).rstrip() or '(nothing)'}")
    return None


def array_size(value):
    """How many elements the arrays in ``value`` hold (to find the smallest case)."""
    if isinstance(value, np.ndarray):
        return int(value.size)
    if isinstance(value, (list, tuple)):
        return sum(array_size(v) for v in value)
    if isinstance(value, dict):
        return sum(array_size(v) for v in value.values())
    return 0


def student_frames(error, path):
    """The traceback of ``error`` cut to the frames in the student's file ``path``:
    nothing of the grader's code or its cases reaches the student."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == path]
    return "".join(traceback.format_list(frames))


class Exercise:
    """Base of the two kinds of exercise (see :mod:`lucid.course._kernels` and
    :mod:`lucid.course._patches`)."""

    kind = None
    #: number of random and gradcheck cases
    random_cases = 24
    gradcheck_cases = 6

    def __init__(self, topic, name, module, region, stubs, file, *, hints=(), docs=(),
                 points=10):
        self.topic, self.name, self.module, self.region_name = topic, name, module, region
        self.stubs, self.file, self.hints, self.docs = tuple(stubs), file, tuple(hints), tuple(docs)
        self.points = points

    def __repr__(self):
        return f"<exercise {self.name} ({self.topic}, {self.file})>"

    # ------------------------------------------------------------- the source
    def region(self):
        return _regions.find(self.module, self.region_name)

    def target(self, stub):
        """The live object a stub name (``f`` or ``C.m``) names in lucid's module."""
        obj = importlib.import_module(self.module)
        for part in stub.split("."):
            obj = getattr(obj, part)
        return obj

    @property
    def title(self):
        """The first line of the first stubbed definition's docstring."""
        doc = inspect.getdoc(self.target(self.stubs[0])) or ""
        return doc.strip().splitlines()[0] if doc.strip() else self.name

    # ------------------------------------------------------- grading process
    def rng(self, kind, seed):
        return np.random.default_rng([zlib.crc32(self.name.encode()), KINDS.index(kind), seed])

    def cases(self, torch=None):
        """Every case of this exercise, with what is expected of it."""
        found = []
        for i, (dotted, examples) in enumerate(self.example_sets()):
            found.append(Case("example", SEED_BASE["example"] + i, f"the examples of {dotted}",
                              {"doc": dotted, "sources": [e["source"] for e in examples]},
                              expected=examples))
        for i in range(self.random_cases):
            found.append(self.random_case(SEED_BASE["random"] + i, torch))
        for i in range(self.gradcheck_cases if self.has_gradcheck() else 0):
            found.append(self.gradcheck_case(SEED_BASE["gradcheck"] + i))
        found.extend(self.bad_input_cases())
        return found

    def example_sets(self):
        """``[(dotted name, examples)]``: the docstrings of :attr:`docs` whose examples
        run this exercise's code (counted), cached."""
        cached = getattr(self, "_example_sets", None)
        if cached is None:
            cached = []
            for dotted in self.docs:
                examples = examples_of(dotted)
                if not examples:
                    continue
                _, module = resolve(dotted)
                with self.counting() as (calls, counted):
                    globs = dict(vars(module))
                    self.example_globals(globs, module, counted)
                    run_examples([e["source"] for e in examples], globs)
                if calls[0]:
                    cached.append((dotted, examples))
            self._example_sets = cached
        return cached

    def has_gradcheck(self):
        return False

    def bad_input_cases(self):
        return []

    def check(self, case, result):
        """Compare the child's ``result`` for ``case`` with what was expected."""
        if "raised" in result and case.kind != "bad input":
            text = f"raised {result['raised']}: {result.get('message', '')}".rstrip(": ")
            frames = result.get("frames")
            return Outcome(False, text + (f"\n{frames.rstrip()}" if frames else ""))
        if case.kind == "example":
            message = check_examples(case.expected, result.get("examples", []))
            return Outcome(message is None, message or "")
        if case.kind == "bad input":
            expected, text = case.expected
            if "raised" not in result:
                return Outcome(False, f"expected {expected} ({text}), but nothing was raised")
            if expected in result.get("mro", [result["raised"]]):
                return Outcome(True)
            return Outcome(False, f"expected {expected} ({text}), got {result['raised']}: "
                                  f"{result.get('message', '')}")
        if case.expected is None:
            return Outcome(None, case.note or "dropped")
        outputs = result.get("outputs")
        if not isinstance(outputs, list):
            return Outcome(False, f"returned {result.get('returned', 'something else')}")
        names = case.names
        tolerance = _compare.GRADCHECK if case.kind == "gradcheck" else None
        for oracle, expected in case.expected.items():
            found = _compare.compare(expected, outputs, names, tolerance)
            if found is not None:
                message, error, where = found
                against = "" if oracle == "lucid" else f" (against {oracle})"
                return Outcome(False, message + against, error, where)
        return Outcome(True)

    # ----------------------------------------------------------------- child
    def counting(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def install(self, student):  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, case, student):  # pragma: no cover - abstract
        raise NotImplementedError

    def run_examples(self, payload, student):
        """The example case: the docstring's examples, run with the student's code in place."""
        _, module = resolve(payload["doc"])
        globs = dict(vars(module))
        self.example_globals(globs, module, student)
        return {"examples": run_examples(payload["sources"], globs)}

    def example_globals(self, globs, module, student):
        """Adjust the globals examples run in (a kernel's own examples call the function
        by its bare name)."""
