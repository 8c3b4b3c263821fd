"""lucid.course: the catalogue, the regions cut from lucid's source, the workspace `new`
writes and the proof it makes first, and the wire format the grader reads."""
import json
import os

import numpy as np
import pytest

import lucid
import lucid.course
from lucid.course import _catalog, _regions, _wire, _workspace
from tests.course.helpers_course import LUCID_SOURCE, workspace

TOPICS = ["conv", "pool", "activation", "scatter", "autograd", "nn", "optim"]


def test_every_topic_the_issue_names_with_its_exercises():
    assert list(lucid.course.topics()) == TOPICS
    names = {t: [e.name for e in lucid.course.exercises(t)] for t in TOPICS}
    assert names["conv"] == ["conv_forward", "conv_weight_grad", "conv_transpose_forward",
                             "unfold", "fold"]
    assert {"add", "multiply", "matmul", "sum", "exp", "log", "reshape", "transpose",
            "indexing"} <= set(names["autograd"])
    assert names["nn"] == ["linear", "batch_norm", "cross_entropy"]
    assert names["optim"] == ["sgd", "adam"]
    with pytest.raises(ValueError, match="unknown topic 'x'"):
        lucid.course.exercises("x")


@pytest.mark.parametrize("exercise", list(_catalog.EXERCISES.values()), ids=str)
def test_every_region_is_marked_and_its_stubs_exist(exercise):
    region = exercise.region()
    assert set(exercise.stubs) <= _regions.defined(region.text)
    stubbed = _regions.stub(region.text, exercise.stubs, exercise.hints)
    compile(stubbed, region.path, "exec")
    assert stubbed.count("raise NotImplementedError") >= len(exercise.stubs)


def test_a_region_must_open_and_close_once(tmp_path):
    with pytest.raises(LookupError, match="no region"):
        _regions.find("lucid._ext.conv", "no_such_kernel")


def test_stub_keeps_signature_docstring_and_hints():
    text = 'def f(x, y=2):\n    """Doc."""\n    z = x\n    return z * y\n'
    out = _regions.stub(text, ["f"], ["hint one"])
    assert out == ('def f(x, y=2):\n    """Doc."""\n    # hint one\n'
                   '    raise NotImplementedError("f: not written yet")\n')
    with pytest.raises(LookupError, match="no function g"):
        _regions.stub(text, ["g"])


def test_the_kernel_file_is_the_reference_twin_with_bodies_removed(tmp_path):
    folder = workspace(tmp_path, ["erf"])
    text = open(os.path.join(folder, "activation.py")).read()
    source = (LUCID_SOURCE / "_ext" / "activation.py").read_text()
    assert 'raise NotImplementedError("erf: not written yet")' in text
    assert "return np.array(_math_erf(x), dtype=x.dtype)" not in text
    assert "def relu_forward(x):" in text and source.split("# [kernel: relu_forward]")[1] \
        .split("# [end kernel: relu_forward]")[0] in text     # not chosen: kept whole
    solution = _workspace.files(_catalog.select(["erf"]), stubbed=False)["activation.py"]
    assert source in solution


def test_the_readme_and_the_record(tmp_path):
    folder = workspace(tmp_path, ["erf", "sgd"])
    readme = open(os.path.join(folder, "README.md")).read()
    assert "## erf (10 points, in `activation.py`)" in readme
    assert "## sgd (10 points, in `optim.py`)" in readme
    assert "python -m lucid.course grade ." in readme
    record = json.load(open(os.path.join(folder, ".lucid-course.json")))
    assert record["lucid"] == lucid.__version__
    assert record["exercise_set"] == _catalog.exercise_set_hash(_catalog.select(["erf", "sgd"]))
    assert [e["name"] for e in record["exercises"]] == ["erf", "sgd"]


def test_new_refuses_a_full_folder_and_unknown_names(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("x")
    with pytest.raises(lucid.course.CourseError, match="not empty"):
        lucid.course.new("erf", tmp_path / "full", check=False)
    lucid.course.new("erf", tmp_path / "full", check=False, force=True)
    assert (tmp_path / "full" / "mine.txt").exists()
    with pytest.raises(ValueError, match="'bogus' is neither a topic"):
        lucid.course.new(["bogus"], tmp_path / "y", check=False)
    with pytest.raises(ValueError, match="name at least one topic"):
        lucid.course.new([], tmp_path / "y", check=False)


@pytest.mark.parametrize("topic", TOPICS)
def test_new_proves_every_topic(topic, tmp_path):
    """lucid's own code passes every case and the stub does not (in child processes)."""
    exercises = _catalog.select([topic])
    results = _workspace.prove(exercises, {e.name: e.cases() for e in exercises})
    assert len(results) == 2 * len(exercises)
    for solution in results[:len(exercises)]:
        assert solution.score == solution.max_score, solution.details()


def test_the_proof_catches_an_exercise_whose_solution_fails(tmp_path, monkeypatch):
    exercise = _catalog.exercise("erf")
    cases = exercise.cases()
    case = next(c for c in cases if c.kind == "random" and c.expected is not None)
    case.expected = {k: [v[0] + 1] for k, v in case.expected.items()}
    with pytest.raises(lucid.course.CourseError, match="erf: lucid's own code does not pass"):
        _workspace.prove([exercise], {"erf": cases})


@pytest.mark.parametrize("value", [
    np.array(0.5), np.float32(2.0), np.int64(3), np.zeros((2, 0)), np.arange(6.).reshape(2, 3).T,
    (1, "a", None, [True, 2.5]), {"k": slice(1, None, 2)}, Ellipsis, float("nan")],
    ids=lambda v: type(v).__name__)
def test_wire_round_trips_values_with_their_type_shape_and_layout(value):
    back = _wire.loads(_wire.dumps(value))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.shape == value.shape and back.dtype == value.dtype
        assert back.flags.c_contiguous == value.flags.c_contiguous
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, float):
        assert np.isnan(back)
    else:
        assert back == value


@pytest.mark.parametrize("line", [
    '{"array": "object", "shape": [1], "data": ""}', '{"pickle": "x"}',
    '{"array": "float64", "shape": [2], "data": "AAAAAAAA4D8="}', "not json"])
def test_wire_refuses_anything_else(line):
    with pytest.raises(_wire.WireError):
        _wire.loads(line)
