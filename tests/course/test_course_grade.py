"""lucid.course.grade: scores, partial credit, the report, results.json, the CLI, and the
paths a course autograder must survive (a hang, a segfault, an output flood, a patched
NumPy, a submission that edits the grader's files). Each grading runs child processes
with short limits."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

import lucid
import lucid.course
from lucid.course import __main__ as cli
from tests.course.helpers_course import (FAST, LUCID_SOURCE, SOLUTION, solution_with, submit,
                                         workspace)

ERF_PLUS_ONE = """
def erf(x):
    _checks.erf(x)
    return np.array(_math_erf(x), dtype=x.dtype) + x.dtype.type(1e-2)
"""


def test_the_stub_earns_nothing_and_the_solution_everything(tmp_path):
    folder = workspace(tmp_path)
    stub = lucid.course.grade(folder, **FAST)
    assert (stub.score, stub.max_score) == (0.0, 10.0)
    submit(folder, SOLUTION)
    full = lucid.course.grade(folder, **FAST)
    assert full.score == full.max_score == 10.0
    kinds = {c.kind for c in full.results[0].cases}
    assert {"example", "random", "bad input"} <= kinds


def test_a_wrong_formula_loses_the_numeric_cases_and_shows_the_smallest(tmp_path):
    folder = workspace(tmp_path)
    submit(folder, solution_with(ERF_PLUS_ONE))
    report = lucid.course.grade(folder, **FAST)
    (result,) = report.results
    assert 0 < result.score < result.max_score          # partial: the bad inputs still pass
    assert result.count(True, "bad input") == sum(c.kind == "bad input" for c in result.cases)
    assert result.count(True, "random") == 0
    assert result.count(None) == 0          # PyTorch and the compiled twin agree on erf
    assert "--exercise erf --seed" in str(report)
    case, _ = result.failures()[0]
    assert case.size == min(c.size for c, _ in result.failures())
    random = [o for c, o in result.failures() if c.kind == "random"]
    assert any("largest error 0.01" in o.message.replace("0.00999999", "0.01") for o in random)


def test_replaying_one_seed_grades_that_case_only(tmp_path):
    folder = workspace(tmp_path)
    submit(folder, solution_with(ERF_PLUS_ONE))
    lines = []
    report = lucid.course.grade(folder, exercise="erf", seed=101, echo=lines.append,
                                time_limit=20.0)
    (result,) = report.results
    assert [c.seed for c in result.cases] == [101]
    assert "erf, random case seed 101: fails" in lines[-1]
    with pytest.raises(lucid.course.CourseError, match="no case with seed 99999"):
        lucid.course.grade(folder, exercise="erf", seed=99999, **FAST)
    with pytest.raises(lucid.course.CourseError, match="name it with --exercise"):
        lucid.course.grade(folder, seed=101, **FAST)
    with pytest.raises(lucid.course.CourseError, match="no exercise 'conv_forward'"):
        lucid.course.grade(folder, exercise="conv_forward", **FAST)


def test_no_grader_frame_reaches_the_student(tmp_path):
    folder = workspace(tmp_path)
    submit(folder, solution_with("def erf(x):\n    return helper(x)\n\n"
                                 "def helper(x):\n    raise RuntimeError('my bug')\n"))
    report = lucid.course.grade(folder, exercise="erf", seed=101, echo=None, time_limit=20.0)
    (outcome,) = report.results[0].outcomes
    assert "RuntimeError: my bug" in outcome.message
    assert "activation.py" in outcome.message and "helper" in outcome.message
    assert "lucid/course" not in outcome.message and "_child" not in outcome.message


def test_results_json_is_gradescope_format_and_written_after_every_exercise(tmp_path):
    folder = workspace(tmp_path, ["relu_forward", "erf"])
    submit(folder, solution_with(ERF_PLUS_ONE))
    path = tmp_path / "results" / "results.json"
    seen = []

    def echo(line):     # called after each exercise is saved: the file has it already
        if line.startswith(("relu_forward", "erf ")):
            seen.append(len(json.loads(path.read_text())["tests"]))

    report = lucid.course.grade(folder, json=path, echo=echo, time_limit=20.0)
    assert seen == [1, 2]
    data = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"not strict: {c}"))
    assert data["score"] == report.score == sum(t["score"] for t in data["tests"])
    assert isinstance(data["execution_time"], (int, float)) and data["output"]
    for i, test in enumerate(data["tests"], 1):
        assert {"name", "number", "score", "max_score", "status", "output", "tags",
                "visibility", "extra_data"} <= set(test)
        assert test["number"] == str(i) and test["tags"] == ["activation"]
    relu, erf = data["tests"]
    assert (relu["status"], erf["status"]) == ("passed", "failed")
    assert erf["extra_data"]["failed_seeds"] and erf["extra_data"]["outcome"] == "graded"
    assert data["extra_data"]["versions"]["lucid"] == lucid.__version__
    assert data["extra_data"]["complete"] is True
    assert not [p for p in os.listdir(path.parent) if p != "results.json"]   # no temp left


def test_the_command_line_new_grade_and_exit_status(tmp_path, capsys):
    folder = tmp_path / "hw"
    assert cli.main(["new", "erf", "--out", str(folder), "--no-check"]) == 0
    assert sorted(os.listdir(folder)) == [".lucid-course.json", "README.md", "activation.py"]
    args = ["grade", str(folder), "--time-limit", "20", "--json", str(tmp_path / "r.json")]
    assert cli.main(args) == 1
    submit(folder, SOLUTION)
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "total" in out and "10.00 / 10" in out
    assert cli.main(["grade", str(tmp_path)]) == 2
    assert "is not a course workspace" in capsys.readouterr().err
    assert cli.main(["new", "nothing", "--out", str(tmp_path / "x")]) == 2
    assert "neither a topic" in capsys.readouterr().err


def test_a_workspace_of_another_lucid_or_exercise_set_is_refused(tmp_path):
    folder = workspace(tmp_path)
    record_path = os.path.join(folder, ".lucid-course.json")
    record = json.load(open(record_path))
    json.dump(dict(record, lucid="0.0.1"), open(record_path, "w"))
    with pytest.raises(lucid.course.CourseError, match="made by lucid 0.0.1"):
        lucid.course.grade(folder, **FAST)
    json.dump(dict(record, exercise_set="0" * 16), open(record_path, "w"))
    with pytest.raises(lucid.course.CourseError, match="are not the ones this lucid grades"):
        lucid.course.grade(folder, **FAST)
    open(record_path, "w").write("{")
    with pytest.raises(lucid.course.CourseError, match="is damaged"):
        lucid.course.grade(folder, **FAST)


# ------------------------------------------------------------------ robustness
def _one_bad_one_good(tmp_path, bad_erf):
    """relu_forward right, erf misbehaving: erf scores 0 and relu_forward is still graded."""
    folder = workspace(tmp_path, ["erf", "relu_forward"])
    submit(folder, solution_with(bad_erf))
    report = lucid.course.grade(folder, time_limit=4.0, output_limit=64 * 2 ** 10, echo=None)
    relu, erf = report.results                # in catalogue order
    assert (relu.name, erf.name) == ("relu_forward", "erf")
    assert erf.score == 0.0
    assert relu.score == relu.max_score, relu.details()
    return erf


def test_a_hang_scores_zero_and_grading_goes_on(tmp_path):
    erf = _one_bad_one_good(tmp_path, "def erf(x):\n    while True:\n        pass\n")
    assert "time limit" in erf.ended
    assert erf.running is not None            # the case that was running is named
    assert "while running case seed" in erf.details()


def test_a_segfault_scores_zero_and_grading_goes_on(tmp_path):
    erf = _one_bad_one_good(tmp_path, "import ctypes\n\ndef erf(x):\n"
                                      "    return ctypes.string_at(0xffffffffffff0000, 8)\n")
    assert "SIGSEGV" in erf.ended


def test_an_output_flood_scores_zero_and_grading_goes_on(tmp_path):
    erf = _one_bad_one_good(tmp_path, "def erf(x):\n    while True:\n"
                                      "        print('x' * 10000)\n")
    assert "output limit" in erf.ended
    assert "more bytes not shown" in erf.printed and len(erf.printed) < 5000


def test_a_memory_hog_is_stopped(tmp_path):
    folder = workspace(tmp_path)
    submit(folder, solution_with("def erf(x):\n    return np.ones(2 ** 31)\n"))
    report = lucid.course.grade(folder, exercise="erf", seed=101, time_limit=20.0,
                                memory_limit=256 * 2 ** 20, echo=None)
    (outcome,) = report.results[0].outcomes
    assert report.score == 0.0 and "MemoryError" in outcome.message


def test_patching_numpy_cannot_fool_the_comparison(tmp_path):
    """The student's module runs only in the child: patched NumPy checks there change
    nothing, since the grading process compares."""
    patch = ("np.allclose = lambda *a, **k: True\n"
             "np.array_equal = lambda *a, **k: True\n"
             "np.testing.assert_allclose = lambda *a, **k: None\n"
             "np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)\n"
             "def erf(x):\n    return np.zeros_like(x)\n")
    folder = workspace(tmp_path)
    submit(folder, solution_with(patch))
    report = lucid.course.grade(folder, **FAST)
    assert report.results[0].count(True, "random") == 0


def test_the_result_channel_cannot_be_forged(tmp_path):
    """Writing fake 'passed' messages on the results pipe is caught (the channel only
    carries wire data, and a stray line ends the exercise)."""
    forge = ("import os\n"
             "for fd in range(3, 20):\n"
             "    try:\n"
             "        os.write(fd, b'{\"event\": \"done\"}\\nnot json\\n')\n"
             "    except OSError:\n"
             "        pass\n")
    folder = workspace(tmp_path)
    submit(folder, solution_with(forge + "\ndef erf(x):\n    return np.zeros_like(x)\n"))
    report = lucid.course.grade(folder, **FAST)
    assert report.score == 0.0
    assert "results channel" in report.results[0].ended


@pytest.fixture
def lucid_copy(tmp_path):
    """A copy of the lucid package to grade with: a submission that tries to edit the
    grader's files is pointed at it, never at this checkout."""
    root = tmp_path / "copy"
    shutil.copytree(LUCID_SOURCE, root / "lucid",
                    ignore=shutil.ignore_patterns("__pycache__", "*.c", "*.html"))
    return root


def test_edits_to_the_graders_files_are_undone_and_score_zero(tmp_path, lucid_copy):
    target = lucid_copy / "lucid" / "course" / "_compare.py"
    before = target.read_bytes()
    vandal = (f"open({str(target)!r}, 'w').close()            # truncate the grader's file\n"
              f"try:\n"
              f"    open({str(target)!r}, 'w').write('def compare(*a): return None\\n')\n"
              f"except OSError:\n"
              f"    pass                                           # writing is refused\n"
              f"open({str(lucid_copy / 'lucid' / 'planted.py')!r}, 'w').close()\n"
              f"def erf(x):\n    return np.zeros_like(x)\n")
    env = dict(os.environ, PYTHONPATH=str(lucid_copy))
    make = subprocess.run([sys.executable, "-m", "lucid.course", "new", "erf", "--no-check",
                           "--out", str(tmp_path / "hw")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert make.returncode == 0, make.stderr
    submit(tmp_path / "hw", solution_with(vandal))
    graded = subprocess.run([sys.executable, "-m", "lucid.course", "grade", str(tmp_path / "hw"),
                             "--time-limit", "20", "--json", str(tmp_path / "r.json")],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert graded.returncode == 1, graded.stdout + graded.stderr
    assert target.read_bytes() == before
    assert not (lucid_copy / "lucid" / "planted.py").exists()
    assert "changed the grader's files" in graded.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["score"] == 0 and data["tests"][0]["extra_data"]["outcome"] == "files restored"


def test_autograder_packs_the_workspace_and_lucid(tmp_path):
    folder = workspace(tmp_path, ["erf", "relu_forward"])
    path = lucid.course.autograder(folder, tmp_path / "ag.zip")
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        run = z.read("run_autograder").decode()
        assert z.getinfo("run_autograder").external_attr >> 16 & 0o111
    assert {"setup.sh", "run_autograder", "source/workspace/activation.py",
            "source/workspace/.lucid-course.json", "source/lucid-src/pyproject.toml",
            "source/lucid-src/lucid/_ext/activation.py",
            "source/lucid-src/lucid/course/_grade.py"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".so")]
    assert "lucid.course grade" in run and "/autograder/results/results.json" in run
    assert "activation.py" in run
    with pytest.raises(lucid.course.CourseError, match="lucid.course.autograder: .* is not"):
        lucid.course.autograder(tmp_path)
