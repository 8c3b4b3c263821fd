"""Forked children run the compiled kernels, on all their threads (issue 10, item 3).

GNU libgomp's thread pool does not survive ``fork``: without ``lucid/_ext/_openmp.pyx``
pausing the OpenMP runtime before each fork, a child that calls a compiled kernel after
its parent did hangs forever. Every case runs in a fresh interpreter with two OpenMP
threads and a time limit, so a regression fails (as a hang) instead of stalling the
suite.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from lucid import _ext

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.skipif(
    not (_ext.compiled_available("conv") and _ext.compiled_available("pool")),
    reason=f"the compiled conv and pool twins are not built; {_ext.BUILD_HINT}")

_PRELUDE = textwrap.dedent(
    """
    import json, os, signal, sys, threading, time
    import numpy as np
    import lucid
    import lucid.nn.functional as F
    from lucid._ext import _openmp

    x = lucid.Tensor(np.random.default_rng(0).random((4, 16, 32, 32)).astype("f4"))
    w = lucid.Tensor(np.random.default_rng(1).random((16, 16, 3, 3)).astype("f4"))

    def work():
        '''A conv forward and backward and a max pool, on the compiled twins.'''
        xs = lucid.Tensor(x.data, requires_grad=True)
        y = F.max_pool2d(F.conv2d(xs, w, padding=1), 2)
        y.sum().backward()
        return float(y.data.sum())

    def child_report():
        '''What a child sends back: its result and the threads its kernels ran on.'''
        return {"value": work(), "team": _openmp.team_size()}

    def wait(pid, seconds=60):
        '''The child's exit status, or 'hang' (and the child killed) after ``seconds``.'''
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return "hang"

    def fork_and_report():
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            os.write(write, json.dumps(child_report()).encode())
            os._exit(0)
        os.close(write)
        status = wait(pid)
        data = os.read(read, 1 << 16)
        os.close(read)
        return {"status": status, **(json.loads(data) if data else {})}

    expected = work()                 # the parent ran the compiled kernels first
    """
)

CASES = {
    "os.fork": """
        result = fork_and_report()
        result["parent_after"] = work()
    """,
    "multiprocessing fork pool": """
        import multiprocessing as mp
        with mp.get_context("fork").Pool(2) as pool:
            async_result = pool.map_async(lambda_free_child, range(4))
            reports = async_result.get(timeout=60)
        result = {"status": 0, "value": reports[0]["value"],
                  "team": min(r["team"] for r in reports),
                  "values": [r["value"] for r in reports]}
    """,
    "fork while another thread runs kernels": """
        stop = threading.Event()
        def loop():
            while not stop.is_set():
                work()
        busy = threading.Thread(target=loop)
        busy.start()
        time.sleep(0.2)
        results = [fork_and_report() for _ in range(3)]
        stop.set()
        busy.join()
        bad = [r for r in results if r["status"] != 0]
        result = bad[0] if bad else results[0]
        result["values"] = [r.get("value") for r in results]
    """,
}


def _run(case):
    script = _PRELUDE + textwrap.dedent(
        """
        def lambda_free_child(_):
            return child_report()
        """) + textwrap.dedent(CASES[case]) + textwrap.dedent(
        """
        result["expected"] = expected
        result["parent_team"] = _openmp.team_size()
        print(json.dumps(result))
        """)
    env = dict(os.environ, OMP_NUM_THREADS="2", LUCID_KERNELS="compiled",
               PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", list(CASES))
def test_forked_children_run_the_compiled_kernels_on_all_threads(case):
    result = _run(case)
    assert result["status"] == 0, f"the child did not finish: {result['status']}"
    assert result["value"] == result["expected"]          # same kernels, same numbers
    for value in result.get("values", []):
        assert value == result["expected"]
    assert result["team"] == 2, "the child's kernels must use both OpenMP threads"
    assert result["parent_team"] == 2
    if "parent_after" in result:                           # the parent's pool came back
        assert result["parent_after"] == result["expected"]
