"""lucid/_ext/_blas.py: NumPy's OpenBLAS reached directly (gemm pointer, thread count)."""
import ctypes
import subprocess
import sys
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from lucid._ext import _blas

blas = _blas.find()
_NULL_FUNCTION = ctypes.cast(None, ctypes.CFUNCTYPE(ctypes.c_int))   # address 0
needs_blas = pytest.mark.skipif(
    blas is None, reason="NumPy's BLAS is not an OpenBLAS lucid can call")


def _gate_kinds():
    """The gates a test runs on: the compiled twin (``lucid/_ext/_gate.pyx``) where it
    was built, and the reference twin ``lucid/_ext/gate.py`` always."""
    try:
        import lucid._ext._gate  # noqa: F401
    except ImportError:
        return ["python"]
    return ["compiled", "python"]


@pytest.fixture(params=_gate_kinds())
def each_gate(request):
    """The test's gate as the process's one (then the one before): every test of the
    gate's rules runs on both implementations."""
    if blas is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can call")
    before = list(_blas._gates)
    gate = _blas._new_gate(blas, compiled=request.param == "compiled")
    assert (type(gate).__module__ == "lucid._ext._gate") == (request.param == "compiled")
    _blas._gates[:] = [gate]
    yield gate
    _blas._gates[:] = before


@pytest.fixture
def two_blas_threads():
    """OpenBLAS at two threads for the test (then as it was): the gate's own workings,
    which a process at one thread skips (``gate.ModeGate.idle_at_one``)."""
    before = blas._get()
    blas._set(2)
    yield
    blas._set(before)


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
def test_one_thread_sets_one_thread_and_restores_nested(two_blas_threads, each_gate):
    before = blas._get()
    with _blas.one_thread():
        assert blas._get() == 1
        with _blas.one_thread():
            assert blas._get() == 1
        with _blas.all_threads():                        # nested: the held mode runs on
            assert blas._get() == 1
        assert blas._get() == 1
    assert blas._get() == before


@needs_blas
def test_one_thread_restores_after_an_exception(two_blas_threads, each_gate):
    before = blas._get()
    with pytest.raises(KeyError):
        with _blas.one_thread():
            raise KeyError("inside")
    assert blas._get() == before


@needs_blas
def test_the_two_modes_never_overlap_and_one_mode_shares(two_blas_threads, each_gate):
    """Threads in "one" mode run together; an "all threads" caller waits for them all
    to leave, and sees OpenBLAS's own count."""
    before = blas._get()
    inside = threading.Barrier(3)
    leave = threading.Event()
    seen = []

    def one():
        with _blas.one_thread():
            inside.wait(timeout=10)
            leave.wait(timeout=10)

    def default():
        with _blas.all_threads():
            seen.append(blas._get())

    ones = [threading.Thread(target=one) for _ in range(2)]
    for t in ones:
        t.start()
    inside.wait(timeout=10)                              # both "one" blocks are inside
    waiter = threading.Thread(target=default)
    waiter.start()
    waiter.join(timeout=0.3)
    assert waiter.is_alive() and seen == []              # it waits for them
    assert blas._get() == 1
    leave.set()
    for t in ones + [waiter]:
        t.join(timeout=10)
    assert seen == [before] and blas._get() == before


_CONCURRENT = """
import json, sys, threading
import numpy as np
import lucid
import lucid.nn.functional as F

rng = np.random.default_rng(0)
mats = [(lucid.Tensor(rng.standard_normal((m, k)).astype(dt)),
         lucid.Tensor(rng.standard_normal((k, n)).astype(dt)))
        for m, k, n, dt in [(256, 784, 512, "f4"), (512, 784, 256, "f4"),
                            (128, 784, 256, "f4"), (256, 288, 196, "f8")]]
x = lucid.Tensor(rng.standard_normal((8, 16, 16, 16)).astype("f4"))
w = lucid.Tensor(rng.standard_normal((16, 16, 3, 3)).astype("f4"))

def products():
    return [(a @ b).data.tobytes() for a, b in mats]

def convs():
    return [F.conv2d(x, w, padding=1).data.tobytes()]

serial = {"products": products(), "convs": convs()}
differ = 0
def run(job, rounds):
    global differ
    for _ in range(rounds):
        if (products() if job == "products" else convs()) != serial[job]:
            differ += 1

threads = [threading.Thread(target=run, args=(job, 30))
           for job in ("products", "convs", "products", "convs")]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"differ": differ}))
"""


@needs_blas
def test_concurrent_threads_get_the_serial_results_bit_for_bit():
    """Python threads multiplying matrices while others run the conv kernel (which
    sets OpenBLAS to one thread): every product equals its serial result exactly, with
    the compiled gate (where built) and with the Python one."""
    import json
    import os

    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    python_gate = ("from lucid._ext import _blas\n"
                   "_blas._gates[:] = [_blas._new_gate(_blas.find(), compiled=False)]\n")
    for first in ("import lucid", "import numpy", "import lucid\n" + python_gate):
        code = first + "\n" + _CONCURRENT       # with and without BLAS spinning; each gate
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert json.loads(out.stdout.splitlines()[-1]) == {"differ": 0}, first


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
    ("import lucid", {}, ["4", "False", "4"]),            # lucid first: set before load
    ("import numpy, lucid", {}, ["4", "False", "4"]),     # too late: re-read, restarted
    ("import numpy, lucid", {"OPENBLAS_THREAD_TIMEOUT": "10"}, ["10", "False", "10"]),
    ("import lucid", {"OPENBLAS_THREAD_TIMEOUT": "10"}, ["10", "False", "10"]),  # the user's wins
])
def test_openblas_thread_timeout_applies_whatever_the_import_order(first, env, expected):
    """The variable is set before NumPy loads, or after it with OpenBLAS made to read
    its environment again and restart its threads: either way OpenBLAS uses it."""
    if blas is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can call")
    code = (f"{first}; import os; from lucid import _blas_env; from lucid._ext import _blas; "
            "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset'), _blas_env.BLAS_SPINS, "
            "_blas.timeout_in_effect())")
    assert _run(code, **env) == expected


@needs_blas
@pytest.mark.parametrize("spins", [True, False])
def test_product_threads_runs_small_products_on_one_thread(monkeypatch, spins, each_gate):
    from lucid import _blas_env
    before = blas._get()
    monkeypatch.setattr(_blas_env, "BLAS_SPINS", spins)
    with _blas.product_threads(_blas.SMALL_PRODUCT_FLOPS - 1):
        assert blas._get() == 1
    with _blas.product_threads(10):
        assert blas._get() == 1
    with _blas.product_threads(_blas.SMALL_PRODUCT_FLOPS):
        assert blas._get() == before
    assert blas._get() == before


@needs_blas
def test_matmul_threads_skips_the_gate_only_for_products_openblas_keeps_alone(two_blas_threads, each_gate):
    """No gate (OpenBLAS's count untouched) for a gemm of m n k <= 65536 * 4, a gemv of
    m n < 2304 * 4 and their stacks; the gate for anything larger and for A @ A.T
    (NumPy's syrk, which OpenBLAS threads at any size), but not for two slices of one
    packed array that start apart (attention's q and k)."""
    def gated(a, b):
        context = _blas.matmul_threads(a, b)
        return context is not _blas._NO_GATE

    z = np.zeros
    assert not gated(z((64, 64)), z((64, 64)))                    # 262,144
    assert gated(z((64, 65)), z((65, 64)))
    assert not gated(z((8, 32, 16)), z((8, 16, 32)))              # each of the stack
    assert gated(z((8, 64, 65)), z((8, 65, 64)))
    assert not gated(z((1, 96)), z((96, 95)))                     # gemv: 9120
    assert gated(z((1, 96)), z((96, 96)))
    assert gated(z((96, 1)).T, z((96, 200)))                      # gemv, a transposed view
    a = z((16, 8))
    assert gated(a, a.T)                                          # syrk
    packed = z((4, 32, 48))
    q, k = packed[..., :16], packed[..., 16:32]
    assert not gated(q, k.transpose(0, 2, 1))
    assert gated(q, q.transpose(0, 2, 1))
    heads = z((2, 32, 192)).reshape(2, 32, 3, 4, 16).transpose(2, 0, 3, 1, 4)  # (3, N, h, T, d)
    assert not gated(heads[0], heads[1].swapaxes(-1, -2))         # attention's q k^T
    assert gated(heads[0], heads[0].swapaxes(-1, -2))
    stack = z((8, 16, 8))
    assert gated(stack, stack.transpose(0, 2, 1))                 # a stack of syrks
    assert not gated(stack[1:, :8], stack[:-1, :8].transpose(0, 2, 1))   # start apart
    assert not gated(z((3, 0, 4)), z((3, 4, 0)))                  # empty: no product
    before = blas._get()
    with _blas.matmul_threads(z((64, 64)), z((64, 64))):
        assert blas._get() == before                              # untouched
    with _blas.matmul_threads(z((200, 200)), z((200, 200))):
        assert blas._get() == 1                                   # below 2**25: one thread


@needs_blas
def test_gemm_threads_gates_only_the_gemms_openblas_would_thread(each_gate):
    before = blas._get()
    with _blas.gemm_threads(64, 64, 64):                          # 262,144: no gate
        assert blas._get() == before
    with _blas.gemm_threads(64, 64, 65):
        assert blas._get() == 1


@needs_blas
def test_an_ungated_product_has_the_same_bits_at_any_openblas_count():
    """What the bound relies on: OpenBLAS computes a product at the bound on the calling
    thread alone, so its bits do not depend on OpenBLAS's thread count."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((64, 64)).astype(np.float32)
    b = rng.standard_normal((64, 64)).astype(np.float32)
    before = blas._get()
    try:
        found = []
        for count in (1, 2, 4):
            blas._set(count)
            found.append(_blas.matmul(a, b))
    finally:
        blas._set(before)
    for c in found[1:]:
        np.testing.assert_array_equal(c, found[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6, 784), (1, 5), (2048, 7), (0, 4), (3, 0)])
def test_row_sums_match_a_loop(dtype, shape):
    rng = np.random.default_rng(1)
    rows = rng.standard_normal(shape).astype(dtype)
    sums = _blas.row_sums(rows)
    expected = np.array([sum(float(v) for v in row) for row in rows], dtype=np.float64)
    assert sums.shape == (shape[0],) and sums.dtype == dtype
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(sums, expected, rtol=rtol, atol=rtol * np.sqrt(shape[1] + 1))


def _a_thread_inside_one():
    """A thread inside a ``one_thread()`` block until the returned event is set:
    ``(thread, leave)``, returned once it is inside."""
    inside, leave = threading.Event(), threading.Event()

    def hold():
        with _blas.one_thread():
            inside.set()
            leave.wait(timeout=10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(timeout=10)
    return holder, leave


@needs_blas
def test_no_gate_at_one_blas_thread_unless_a_block_is_inside(each_gate):
    """With OpenBLAS at one thread and no block inside, every context is the empty one
    (nothing to set); while another thread is inside a block that lowered the count
    from two, a caller gets the gate (the count will go back up when that block
    leaves) and waits or shares as the modes say."""
    before = blas._get()
    try:
        blas._set(1)
        assert _blas.one_thread() is _blas._NO_GATE
        assert _blas.all_threads() is _blas._NO_GATE
        assert _blas.product_threads(_blas.SMALL_PRODUCT_FLOPS) is _blas._NO_GATE
        blas._set(2)
        assert _blas.one_thread() is not _blas._NO_GATE
        holder, leave = _a_thread_inside_one()
        assert blas._get() == 1
        assert _blas.one_thread() is not _blas._NO_GATE    # the holder set the one
        assert _blas.all_threads() is not _blas._NO_GATE
        leave.set()
        holder.join(timeout=10)
        assert blas._get() == 2
    finally:
        blas._set(before)


@needs_blas
def test_the_compiled_gate_is_the_one_where_built_and_checks_its_arguments():
    """``_blas._gate()`` is the compiled twin where ``_gate.pyx`` was built; it refuses
    null addresses and an unknown mode by name."""
    kinds = _gate_kinds()
    gate = _blas._gate()
    assert (type(gate).__module__ == "lucid._ext._gate") == ("compiled" in kinds)
    if "compiled" not in kinds:
        pytest.skip("lucid/_ext/_gate.pyx was not built: the Python gate runs")
    from lucid._ext._gate import ModeGate
    with pytest.raises(ValueError, match="set_num_threads and get_num_threads"):
        ModeGate(SimpleNamespace(_set=_NULL_FUNCTION, _get=_NULL_FUNCTION))
    with pytest.raises(ValueError, match="mode must be 'one' or 'default'; got 'two'"):
        gate.hold("two")
    assert gate.count() == blas._get()


@needs_blas
def test_a_fork_while_a_block_is_inside_leaves_the_child_a_free_gate(each_gate):
    """A fork while another thread holds the gate at one: in the child that thread is
    gone, so its gate is reset (``_after_fork_in_child``): OpenBLAS's count is back to
    what the block saved and a caller of the other mode enters without waiting."""
    import os
    before = blas._get()
    blas._set(2)
    os.register_at_fork(after_in_child=each_gate._after_fork_in_child)
    holder, leave = _a_thread_inside_one()
    try:
        assert blas._get() == 1
        pid = os.fork()
        if pid == 0:                                          # the child
            import signal
            signal.alarm(10)                  # a gate left held would block it: killed
            code = 1
            try:
                if blas._get() == 2:
                    with _blas.all_threads():                 # would wait for the holder
                        code = 0 if blas._get() == 2 else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        leave.set()
        holder.join(timeout=10)
        blas._set(before)
    assert blas._get() == before


@pytest.mark.parametrize("twin", ["reference", "compiled"])
def test_both_gates_refuse_null_openblas_functions(twin):
    """``ModeGate(blas)`` with null ``set_num_threads`` / ``get_num_threads`` (or None):
    the same named ValueError from the readable gate and the compiled one, before
    anything is called."""
    if twin == "compiled":
        try:
            from lucid._ext._gate import ModeGate
        except ImportError:
            pytest.skip("lucid/_ext/_gate.pyx was not built: the Python gate runs")
    else:
        from lucid._ext.gate import ModeGate
    for functions in [(_NULL_FUNCTION, _NULL_FUNCTION), (None, None)]:
        with pytest.raises(ValueError, match="set_num_threads and get_num_threads must "
                                             "not be null"):
            ModeGate(SimpleNamespace(_set=functions[0], _get=functions[1]))
