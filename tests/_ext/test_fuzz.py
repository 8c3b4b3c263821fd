"""Kernels called directly with bad arguments raise, on both twins, and never crash.

Two parts, both in subprocesses so that a segfault fails a test instead of the suite:

* each crash class found by fuzzing the compiled twins before they checked their
  arguments (issue 10), as a named case: it must raise the named exception on both
  twins;
* a bounded fuzz (``tests/_ext/fuzz.py``, seeded, a few seconds): no crash, no hang,
  and both twins give the same outcome for every call. The long run is
  ``python -m tests._ext.fuzz --calls 100000``.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from lucid import _ext
from tests._ext import fuzz

REPO = fuzz.REPO

# (name, family, call on the kernel module ``k``, the exception both twins raise)
REGRESSIONS = [
    ("max_pool_backward-argmax-out-of-range", "pool",
     "k.max_pool_backward(np.ones((1, 1, 1)), np.array([[[10**9]]]), (1, 1, 6))",
     "IndexOutOfRangeError"),
    ("max_pool_backward-input-shape-empty-plane", "pool",
     "k.max_pool_backward(np.ones((2, 1, 1, 1)), np.zeros((2, 1, 1, 1), np.int64), (2, 1, 0, 5))",
     "ValueError"),
    ("scatter_add-index-out-of-range", "scatter",
     "k.scatter_add(np.zeros((2, 30)), np.array([10**9]), np.ones((1, 30)))", "IndexOutOfRangeError"),
    ("scatter_add-negative-index", "scatter",
     "k.scatter_add(np.zeros((2, 3)), np.array([-1]), np.ones((1, 3)))", "IndexOutOfRangeError"),
    ("unfold-empty-dilation", "conv",
     "k.unfold(np.ones((1, 2, 5)), (3,), (1,), (0,), ())", "ValueError"),
    ("conv_weight_grad-short-tuple", "conv",
     "k.conv_weight_grad(np.ones((1, 2, 6)), np.ones((1, 3, 3)), (3,), (2,), (2,), (), 1)",
     "ValueError"),
    ("max_pool_forward-bad-dilation", "pool",
     "k.max_pool_forward(np.ones((1, 1, 4, 4)), (2, 2), (1, 1), (0, 0), (0, -1), False)",
     "ValueError"),
    ("conv_forward-groups-zero-sigfpe", "conv",
     "k.conv_forward(np.ones((3, 1, 4)), np.ones((1, 1, 1)), (1,), (0,), (1,), 0)",
     "ValueError"),
    ("conv_forward-groups-huge", "conv",
     "k.conv_forward(np.ones((3, 1, 4)), np.ones((1, 1, 1)), (1,), (0,), (1,), -2**63)",
     "ValueError"),
    ("fold-cols-of-the-wrong-length", "conv",
     "k.fold(np.ones((3, 12, 18)), (3, 2), (3, 1), (2, 1), (2, 0), (1, 2))", "ValueError"),
    ("conv_transpose_forward-weight-channels", "conv",
     "k.conv_transpose_forward(np.ones((1, 2, 3)), np.ones((3, 1, 2)), (1,), (0,), (0,), (1,), 1)",
     "ValueError"),
    ("conv_weight_grad-non-contiguous", "conv",
     "k.conv_weight_grad(np.ones((1, 2, 6)), np.ones((1, 3, 8))[..., ::2], (3,), (1,), (0,), (1,), 1)",
     "ValueError"),
    ("avg_pool_backward-grad-of-the-wrong-shape", "pool",
     "k.avg_pool_backward(np.ones((3, 5, 9)), (3, 5, 29), (4,), (3,), (2,), False, True, None)",
     "ValueError"),
    ("relu_forward-int-array", "activation", "k.relu_forward(np.ones(3, dtype=np.int64))",
     "TypeError"),
    ("relu_backward-mask-of-the-wrong-shape", "activation",
     "k.relu_backward(np.ones((4, 4)), np.ones(4, dtype=bool))", "ValueError"),
]

_RUNNER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from lucid import _ext
    for name, family, call, twin in json.loads(sys.argv[1]):
        _ext._load(family)
        k = (_ext._reference if twin == "reference" else _ext._compiled)[family]
        try:
            eval(call)
            outcome = "no error"
        except Exception as exc:
            outcome = type(exc).__name__ + ": " + str(exc)
        print(json.dumps([name, twin, outcome]), flush=True)
    """
)


def _twins(family):
    return ("reference", "compiled") if _ext.compiled_available(family) else ("reference",)


@pytest.fixture(scope="module")
def regression_outcomes():
    """Run every regression case on every built twin in one subprocess."""
    jobs = [(name, family, call, twin) for name, family, call, _ in REGRESSIONS
            for twin in _twins(family)]
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(jobs)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)
    outcomes = {}
    for line in done.stdout.splitlines():
        name, twin, outcome = json.loads(line)
        outcomes[name, twin] = outcome
    return outcomes, done.returncode


@pytest.mark.parametrize("name, family, call, error", REGRESSIONS,
                         ids=[r[0] for r in REGRESSIONS])
def test_crash_class_raises_on_both_twins(regression_outcomes, name, family, call, error):
    outcomes, returncode = regression_outcomes
    for twin in _twins(family):
        got = outcomes.get((name, twin))
        assert got is not None, (f"{twin} {call} never answered (the process ended with "
                                 f"code {returncode}: a crash)")
        assert got.startswith(error + ": "), f"{twin} {call}: expected {error}, got {got}"
        message = got.split(": ", 1)[1]
        function = call.split("(")[0].removeprefix("k.")
        assert message.startswith(function + ": "), f"the message names no function: {got}"


def test_bounded_fuzz_has_no_crash_and_the_twins_agree():
    twins = ("reference", "compiled") if all(
        _ext.compiled_available(f) for f in fuzz.FUNCTIONS) else ("reference",)
    counts, problems = fuzz.fuzz(1500, seed=20240, twins=twins, timeout=60)
    assert problems == [], problems                  # no crash, hang, mismatch, other error
    assert counts["ok"] > 100 and counts["ValueError"] > 100 and counts["TypeError"] > 50


def test_an_ignored_row_with_an_infinite_coef_stays_in_its_row():
    """Found by the fuzz: the compiled cross_entropy_backward wrote ``grad[n, t]`` for an
    ignored row whose scale ``coef * 0`` was NaN (an infinite ``coef``), with ``t`` the
    ignore_index -1: a write before the array, and a heap corruption. Both twins now
    give that row NaN (0 * inf), and nothing else changes."""
    call = textwrap.dedent(
        """
        import numpy as np
        from lucid import _ext
        _ext._load("loss")
        p, t = np.array([[0.25, 0.75], [0.5, 0.5]]), np.array([-1, 1])
        for twin in ("reference", "compiled"):
            k = (_ext._reference if twin == "reference" else _ext._compiled)["loss"]
            if isinstance(k, ImportError):
                continue
            for _ in range(200):
                g = k.cross_entropy_backward(p, t, None, -1, np.array([np.inf, 2.0]))
            assert np.isnan(g[0]).all(), g
            assert np.array_equal(g[1], [1.0, -1.0]), g
        print("fine")
        """)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", call], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "fine", done.stderr[-2000:]
