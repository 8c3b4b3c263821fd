"""lucid/_ext/_blas.py: NumPy's OpenBLAS reached directly (gemm pointer, thread count)."""
import subprocess
import sys
import threading

import numpy as np
import pytest

from lucid._ext import _blas

blas = _blas.find()
needs_blas = pytest.mark.skipif(
    blas is None, reason="NumPy's BLAS is not an OpenBLAS lucid can call")


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_through_the_found_pointer_matches_numpy(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 33)).astype(dtype)
    b = rng.standard_normal((33, 5)).astype(dtype)
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(blas.matmul(a, b), a @ b, rtol=rtol, atol=rtol)
    assert blas.sgemm and blas.dgemm and blas.sgemm != blas.dgemm


@needs_blas
def test_single_threaded_sets_one_thread_and_restores_nested():
    before = blas._get()
    with blas.single_threaded():
        assert blas._get() == 1
        with blas.single_threaded():
            assert blas._get() == 1
        assert blas._get() == 1                          # the outer block still runs
    assert blas._get() == before


@needs_blas
def test_single_threaded_restores_after_an_exception():
    before = blas._get()
    with pytest.raises(KeyError):
        with blas.single_threaded():
            raise KeyError("inside")
    assert blas._get() == before


@needs_blas
def test_single_threaded_from_several_threads_restores_once_all_leave():
    before = blas._get()
    inside = threading.Barrier(3)
    leave = threading.Event()

    def work():
        with blas.single_threaded():
            inside.wait()
            leave.wait()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert blas._get() == 1
    leave.set()
    for t in threads:
        t.join()
    assert blas._get() == before


def test_lucid_blas_numpy_turns_the_direct_calls_off():
    """LUCID_BLAS=numpy: nothing is looked up; the compiled conv keeps to np.matmul."""
    code = ("from lucid._ext import _blas; assert _blas.find() is None; "
            "import lucid._ext as e; m = e._compiled.get('conv') if e.compiled_available('conv') else None; "
            "assert m is None or m._BLAS is None; print('ok')")
    env = dict(__import__("os").environ, LUCID_BLAS="numpy")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "ok"


def _run(code, **env):
    import os
    full_env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True,
                          text=True, check=True).stdout.split()


@pytest.mark.parametrize("first, env, expected", [
    ("import lucid", {}, ["4", "False"]),                 # lucid first: the setting applies
    ("import numpy, lucid", {}, ["unset", "True"]),       # too late: products go 1-thread
    ("import numpy, lucid", {"OPENBLAS_THREAD_TIMEOUT": "10"}, ["10", "False"]),
    ("import lucid", {"OPENBLAS_THREAD_TIMEOUT": "10"}, ["10", "False"]),  # the user's wins
])
def test_openblas_thread_timeout_is_set_only_before_numpy_loads(first, env, expected):
    code = (f"{first}; import os; from lucid import _blas_env; "
            "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset'), _blas_env.BLAS_SPINS)")
    assert _run(code, **env) == expected


@needs_blas
def test_product_threads_runs_small_products_on_one_thread_when_blas_spins(monkeypatch):
    from lucid import _blas_env
    before = blas._get()
    monkeypatch.setattr(_blas_env, "BLAS_SPINS", True)
    with _blas.product_threads(_blas.SMALL_PRODUCT_FLOPS - 1):
        assert blas._get() == 1
    with _blas.product_threads(_blas.SMALL_PRODUCT_FLOPS):
        assert blas._get() == before
    monkeypatch.setattr(_blas_env, "BLAS_SPINS", False)
    with _blas.product_threads(10):
        assert blas._get() == before
    assert blas._get() == before
