"""The process-wide settings lucid changes are reported, can be opted out of, work
whatever the import order, and leave PyTorch's numbers alone (issue 10, item 6).

Everything runs in fresh interpreters: these settings are made at import.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

import lucid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAMES = ["BLAS threads", "GOMP_SPINCOUNT", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT",
         "OpenMP threads", "fork", "malloc"]


def _python(code, drop=("OPENBLAS_THREAD_TIMEOUT", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT",
                        "LUCID_BLAS", "LUCID_LOAD_AWARE"), **env):
    full = {k: v for k, v in os.environ.items() if k not in drop}
    full.update(env, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=full,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


_REPORT = """
    import json
    {first}
    import lucid
    from lucid import _blas_env
    from lucid._ext import _blas, _openmp
    table = lucid.kernels.settings()
    print(json.dumps({{"settings": {{k: list(v) for k, v in table.items()}},
                      "timeout": _blas.timeout_in_effect(),
                      "blas_spins": _blas_env.BLAS_SPINS,
                      "openmp_spins": _blas_env.OPENMP_SPINS,
                      "small_loop_threads": _openmp.threads_for(10),
                      "large_loop_threads": _openmp.threads_for(10 ** 9),
                      "max_threads": _openmp.max_threads()}}))
"""


def test_settings_name_each_setting_who_set_it_and_how_to_opt_out():
    table = lucid.kernels.settings()
    assert sorted(table) == NAMES
    for name, setting in table.items():
        assert isinstance(setting, lucid.kernels.Setting)
        assert setting.value and setting.set_by and setting.opt_out, name
        assert name in repr(table)


def test_lucid_first_sets_everything_before_the_runtimes_load():
    out = _python(_REPORT.format(first=""), OMP_NUM_THREADS="2")
    s = out["settings"]
    assert s["OPENBLAS_THREAD_TIMEOUT"][1] == "lucid, before NumPy loaded"
    assert s["OMP_WAIT_POLICY"][:2] == ["PASSIVE", "lucid, before the OpenMP runtime loaded"]
    assert s["GOMP_SPINCOUNT"][:2] == ["300000", "lucid, before the OpenMP runtime loaded"]
    assert s["OpenMP threads"][1] == "lucid (lucid/_ext/_cpus.py)"
    assert s["malloc"][1].startswith("lucid")
    assert not out["blas_spins"] and not out["openmp_spins"]
    assert out["large_loop_threads"] == out["max_threads"] == 2
    assert out["small_loop_threads"] == 1     # a small loop never wakes a second thread


def test_every_setting_can_be_opted_out_of():
    out = _python(_REPORT.format(first=""), OMP_NUM_THREADS="2", LUCID_MALLOC_TUNING="0",
                  OPENBLAS_THREAD_TIMEOUT="10", OMP_WAIT_POLICY="ACTIVE", LUCID_BLAS="numpy",
                  LUCID_LOAD_AWARE="0", drop=("GOMP_SPINCOUNT",))
    s = out["settings"]
    assert s["malloc"][:2] == ["the C library's defaults: off (LUCID_MALLOC_TUNING=0)", "nobody"]
    assert s["OPENBLAS_THREAD_TIMEOUT"][:2] == ["10", "you (the environment)"]
    assert s["OMP_WAIT_POLICY"][:2] == ["ACTIVE", "you (the environment)"]
    assert s["GOMP_SPINCOUNT"][0] == "unset" and s["GOMP_SPINCOUNT"][1].startswith("nobody")
    assert s["OpenMP threads"][:2] == ["every thread of the team, whatever the load", "nobody"]
    assert s["BLAS threads"][1] == "nobody"
    spin = _python(_REPORT.format(first=""), GOMP_SPINCOUNT="1000")["settings"]
    assert spin["GOMP_SPINCOUNT"][:2] == ["1000", "you (the environment)"]


def test_numpy_first_restarts_openblas_with_the_timeout():
    out = _python(_REPORT.format(first="import numpy"), OMP_NUM_THREADS="2")
    if out["timeout"] is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can reach")
    assert out["timeout"] == 4 and not out["blas_spins"]
    assert "re-read its environment and restarted its threads" in \
        out["settings"]["OPENBLAS_THREAD_TIMEOUT"][1]


@pytest.mark.torch
def test_torch_first_the_settings_still_take_effect():
    """PyTorch imports NumPy (too late for OPENBLAS_THREAD_TIMEOUT at load) and loads
    the OpenMP runtime (too late for OMP_WAIT_POLICY): OpenBLAS is restarted with the
    timeout, and small parallel loops run on one thread, so no loop ends in a spinning
    wait (the speed of both orders: benchmarks/import_order.py)."""
    out = _python(_REPORT.format(first="import torch"), OMP_NUM_THREADS="2")
    s = out["settings"]
    if out["timeout"] is not None:
        assert out["timeout"] == 4 and not out["blas_spins"]
    assert s["OMP_WAIT_POLICY"][1].startswith("lucid, too late")
    assert s["GOMP_SPINCOUNT"][1].startswith("nobody: the OpenMP runtime was loaded")
    assert out["openmp_spins"]
    assert out["small_loop_threads"] == 1 and out["large_loop_threads"] == 2


_TORCH_WORK = """
    import hashlib, json
    {first}
    torch = __import__("torch")      # in the child only (the suite reaches torch via conftest)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    a, b = torch.randn(256, 784), torch.randn(784, 512)
    x = torch.randn(8, 16, 28, 28, requires_grad=True)
    w = torch.randn(32, 16, 3, 3, requires_grad=True)
    y = torch.nn.functional.conv2d(x, w, padding=1)
    y.square().sum().backward()
    digest = hashlib.sha256()
    for t in (a @ b, y, x.grad, w.grad, torch.softmax(a, 1)):
        digest.update(t.detach().numpy().tobytes())
    print(json.dumps(digest.hexdigest()))
"""


@pytest.mark.torch
def test_pytorch_computes_the_same_bits_with_and_without_lucid():
    env = dict(OMP_NUM_THREADS="2")
    alone = _python(_TORCH_WORK.format(first=""), **env)
    lucid_first = _python(_TORCH_WORK.format(first="import lucid"), **env)
    torch_first = _python(_TORCH_WORK.format(first="import torch, lucid"), **env)
    assert alone == lucid_first == torch_first

