"""The topics of the course and their exercises, in the order they are listed."""
import hashlib
import json
import os

from lucid.course import _kernels, _patches

__all__ = ["TOPICS", "EXERCISES", "exercise", "select", "exercise_set_hash", "FORMAT"]

#: Changes when the way workspaces are made or graded changes incompatibly.
FORMAT = 1

#: topic -> one line saying what it covers.
TOPICS = {
    "conv": "the convolution kernels: conv_forward, its weight gradient, the transposed "
            "convolution (its input gradient), unfold and fold (im2col, col2im)",
    "pool": "max and average pooling, forward and backward",
    "activation": "ReLU forward and backward, and the error function (for GELU)",
    "scatter": "scatter-add: the backward of gathering rows (indexing, embeddings)",
    "autograd": "the backward of the primitive ops: add and multiply with broadcasting, "
                "matmul, sum, exp, log, reshape, transpose, indexing",
    "nn": "three layers forward and backward: Linear, BatchNorm, cross-entropy",
    "optim": "two optimizers' updates: SGD with momentum, Adam",
}

EXERCISES = {e.name: e for e in _kernels.EXERCISES + _patches.EXERCISES}


def exercise(name):
    """The exercise called ``name``."""
    try:
        return EXERCISES[name]
    except KeyError:
        raise ValueError(f"lucid.course: unknown exercise {name!r}; known: "
                         f"{', '.join(EXERCISES)}") from None


def of_topic(topic):
    return [e for e in EXERCISES.values() if e.topic == topic]


def select(names, origin="lucid.course.new"):
    """The exercises a list of topics and exercise names selects, in catalogue order."""
    if isinstance(names, str):
        names = [names]
    if not names:
        raise ValueError(f"{origin}: name at least one topic ({', '.join(TOPICS)}) or exercise")
    chosen = set()
    for name in names:
        if name in TOPICS:
            chosen.update(e.name for e in of_topic(name))
        elif name in EXERCISES:
            chosen.add(name)
        else:
            raise ValueError(f"{origin}: {name!r} is neither a topic ({', '.join(TOPICS)}) "
                             f"nor an exercise (python -m lucid.course list shows them)")
    return [e for e in EXERCISES.values() if e.name in chosen]


def _grader_source():
    """The text of the grader's own modules (its cases are part of the exercise set)."""
    here = os.path.dirname(os.path.abspath(__file__))
    parts = []
    for name in ("_exercise.py", "_kernels.py", "_patches.py", "_compare.py", "_regions.py"):
        with open(os.path.join(here, name), encoding="utf-8") as f:
            parts.append(f.read())
    return parts


def exercise_set_hash(exercises):
    """A hash of what makes the exercises what they are: their regions in lucid's source,
    what is stubbed, points and hints, and the grader's code that makes their cases."""
    record = {"format": FORMAT, "grader": _grader_source(), "exercises": [
        {"name": e.name, "file": e.file, "points": e.points, "stubs": list(e.stubs),
         "hints": list(e.hints), "region": e.region().text} for e in exercises]}
    text = json.dumps(record, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
