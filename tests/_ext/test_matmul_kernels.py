"""The matmul kernel family, both twins: a loop oracle, transposed and strided views,
the compiled twin's blocks of rows (every boundary, the thread rule, the same bits on
any thread count, its loop's own checks), stacks of matrices (attention's strided head
views, in parallel), the fall-back without BLAS, every check of ``_checks.matmul``, and
``Linear`` and attention through it against PyTorch."""
import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid import _ext
from lucid._ext import _cpus

from tests.helpers import NotPlain, unaligned

KERNEL_FAMILIES = ("matmul",)


def _oracle(a, b):
    """Loops written here, in float64: C[i, j] = sum_k A[i, k] B[k, j]."""
    M, K = a.shape
    N = b.shape[1]
    c = np.zeros((M, N))
    for i in range(M):
        for j in range(N):
            c[i, j] = sum(float(a[i, k]) * float(b[k, j]) for k in range(K))
    return c


def _operand(rng, rows, cols, dtype, layout):
    """A ``(rows, cols)`` matrix stored C-ordered, as a transposed view, or strided."""
    if layout == "transposed":
        return rng.standard_normal((cols, rows)).astype(dtype).T
    if layout == "strided":
        return rng.standard_normal((rows, 2 * cols)).astype(dtype)[:, ::2]
    return rng.standard_normal((rows, cols)).astype(dtype)


def _compiled():
    if not _ext.compiled_available("matmul"):
        pytest.skip(f"the compiled matmul twin is not built; {_ext.BUILD_HINT}")
    return _ext._compiled["matmul"]


def _needs_blocks(module, M, N, K):
    """Skip when this machine would multiply ``(M, K) @ (K, N)`` in one call (one
    thread in the team, or no OpenBLAS found): the test is about the blocks."""
    if module._parts_for(M, N, K) < 2:
        pytest.skip("one block here (a team of one thread, or no OpenBLAS lucid can call)")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layouts", [("c", "c"), ("transposed", "c"), ("c", "transposed"),
                                     ("transposed", "transposed"), ("strided", "strided")])
@pytest.mark.parametrize("M, K, N", [(1, 1, 1), (3, 5, 4), (7, 1, 6), (2, 9, 1)])
def test_matmul_matches_a_loop(twin, dtype, layouts, M, K, N):
    rng = np.random.default_rng(0)
    a = _operand(rng, M, K, dtype, layouts[0])
    b = _operand(rng, K, N, dtype, layouts[1])
    c = _ext.get("matmul").matmul(a, b)
    assert c.dtype == dtype and c.shape == (M, N) and c.flags.c_contiguous
    tol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(c, _oracle(a, b), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M, N", [(1, 1), (10, 3136), (256, 784), (3, 1)])
def test_one_column_times_one_row_is_an_outer_product(twin, dtype, M, N):
    """K = 1 (a layer's weight gradient at batch 1, ``G^T X``): every value is the one
    product ``a[i, 0] * b[0, j]`` (the compiled twin multiplies, NumPy's broadcast, not
    a gemm); the transposed and strided views a layer passes, NaN and infinities, and
    the same values as the other twin."""
    rng = np.random.default_rng(M + N)
    g = rng.standard_normal((1, M)).astype(dtype)
    x = rng.standard_normal((1, 2 * N)).astype(dtype)[:, ::2]          # strided row
    g[0, 0] = np.inf
    x[0, -1] = np.nan
    c = _ext.get("matmul").matmul(g.T, x)
    assert c.shape == (M, N) and c.dtype == dtype and c.flags.c_contiguous
    products = g.T.astype(np.float64) * x.astype(np.float64)          # exact in float64
    np.testing.assert_array_equal(c, products.astype(dtype))
    from lucid._ext import matmul as reference
    np.testing.assert_array_equal(c, reference.matmul(g.T, x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["column", "strided", "reversed", "unaligned"])
def test_compiled_outer_product_rows_on_threads(monkeypatch, dtype, layout):
    """The compiled twin's outer-product loop (K = 1) shares its rows among the threads
    (``threads_for_pass``): on 1, 2 and 3 threads, shapes whose rows do not split evenly,
    every value is still ``a[i, 0] * b[0, j]`` rounded once (NumPy's product, bit for
    bit), whatever the column's strides (a column of a wider matrix, one walked
    backwards, one off its dtype's alignment)."""
    module = _compiled()
    rng = np.random.default_rng(7)
    for M, N in [(7, 5), (1, 9), (257, 783)]:
        base = rng.standard_normal((M, 3)).astype(dtype)
        column = {"column": base[:, :1].copy(), "strided": base[:, 1:2],
                  "reversed": base[::-1, 2:3],
                  "unaligned": unaligned(base[:, :1].copy())}[layout]
        row = rng.standard_normal((1, N)).astype(dtype)
        expected = column * row                         # NumPy: one rounding each
        for threads in (1, 2, 3):
            monkeypatch.setattr(module, "threads_for_pass", lambda values, t=threads: t)
            c = module.matmul(column, row)
            assert c.flags.c_contiguous and c.dtype == dtype
            np.testing.assert_array_equal(c, expected)


@pytest.mark.parametrize("M, K, N", [(0, 3, 4), (3, 0, 4), (3, 4, 0), (0, 0, 0)])
def test_matmul_of_empty_matrices(twin, M, K, N):
    """An empty sum is 0: (3, 0) @ (0, 4) is a (3, 4) matrix of zeros."""
    a, b = np.ones((M, K), np.float32), np.ones((K, N), np.float32)
    c = _ext.get("matmul").matmul(a, b)
    assert c.shape == (M, N) and c.dtype == np.float32
    np.testing.assert_array_equal(c, np.zeros((M, N)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layouts", [("c", "c"), ("transposed", "c"), ("c", "transposed"),
                                     ("transposed", "transposed"), ("strided", "c")])
@pytest.mark.parametrize("M, K, N", [(256, 64, 160), (100, 300, 70), (1024, 64, 64)])
def test_products_in_blocks_match_float64(twin, dtype, layouts, M, K, N):
    """Sizes the compiled twin splits into blocks of rows (on a team of two or more):
    both twins against the product in float64."""
    rng = np.random.default_rng(1)
    a = _operand(rng, M, K, dtype, layouts[0])
    b = _operand(rng, K, N, dtype, layouts[1])
    c = _ext.get("matmul").matmul(a, b)
    assert c.shape == (M, N) and c.dtype == dtype and c.flags.c_contiguous
    expected = a.astype(np.float64) @ b.astype(np.float64)
    tol = 2e-5 * np.sqrt(K) if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(c, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("parts", [1, 2, 3, 4])
@pytest.mark.parametrize("M", [128, 130, 161])
@pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True), (True, True)])
def test_every_block_boundary(parts, M, ta, tb):
    """The loop itself with 1-4 blocks on one thread (every boundary a multiple of 32
    rows, the last block ending at M), the operands stored either way round."""
    module = _compiled()
    if module._BLAS_MAX == 0:
        pytest.skip("no OpenBLAS lucid can call: the loop has no gemm to call")
    rng = np.random.default_rng(2)
    K, N = 37, 29
    A = rng.standard_normal((K, M) if ta else (M, K))
    B = rng.standard_normal((N, K) if tb else (K, N))
    C = np.full((M, N), np.nan)
    module._rows(A, ta, B, tb, C, parts, 1)
    expected = (A.T if ta else A) @ (B.T if tb else B)
    np.testing.assert_allclose(C, expected, rtol=1e-13, atol=1e-13)


def test_the_blocks_follow_the_sizes_and_the_team(monkeypatch):
    module = _compiled()
    if module._BLAS_MAX == 0:
        pytest.skip("no OpenBLAS lucid can call: every product is one np.matmul")
    monkeypatch.setattr(module, "max_threads", lambda: 4)
    small = module.SPLIT_FLOPS
    assert module._parts_for(8, 8, 8) == 1                    # far below SPLIT_FLOPS
    assert module._parts_for(1024, small // 2048 - 1, 1) == 1  # one flop short of it
    assert module._parts_for(1024, 64, 64) == 4                # one block per thread
    assert module._parts_for(64, 1024, 64) == 2                # at least 32 rows each
    assert module._parts_for(31, 4096, 64) == 1
    big = 1 << 26                                              # over SMALL_PRODUCT_FLOPS
    assert module._parts_for(1024, big // 2048, 1) == 4        # rows for the whole team
    assert module._parts_for(64, big // 128, 1) == 1           # not: OpenBLAS's threads
    monkeypatch.setattr(_cpus, "free", lambda now=None: 1)     # the load: never the parts
    assert module._parts_for(1024, 64, 64) == 4


def test_the_same_bits_on_one_thread_and_on_every_thread(monkeypatch):
    """The blocks are fixed by the sizes; one thread or every free CPU runs them
    (float64: float32 takes the panels path on AVX-512, tested below)."""
    module = _compiled()
    rng = np.random.default_rng(3)
    a = rng.standard_normal((512, 96))
    w = rng.standard_normal((160, 96))
    _needs_blocks(module, 512, 160, 96)
    ran = []
    real = module._rows
    monkeypatch.setattr(module, "_rows", lambda *args: ran.append(args[-1]) or real(*args))
    results = []
    for free in (1, 64):
        monkeypatch.setattr(_cpus, "free", lambda now=None, f=free: f)
        results.append(module.matmul(a, w.T))
    assert ran == [1, min(module._parts_for(512, 160, 96), 64)]
    np.testing.assert_array_equal(results[0], results[1])


def _wide():
    module = _compiled()
    if not module._PANELS_WIDE:
        pytest.skip("the panels path needs AVX-512 (and a GCC build on x86-64 Linux)")
    return module


@pytest.mark.parametrize("M", [1, 5, 13, 37, 70])
@pytest.mark.parametrize("N", [1, 8, 16, 31, 33, 40, 45, 70])
@pytest.mark.parametrize("K", [1, 17, 257, 600])
def test_panels_every_tail(M, N, K):
    """The register-blocked product on every tail: rows in blocks of 12, 8, 4, 2, 1,
    a last panel narrower than 32 columns (of at most 8 and of at most 16 columns: the
    narrow blocks; more), K in one, two or three packed blocks of 256,
    the operands C-ordered, transposed and strided, against float64."""
    module = _wide()
    rng = np.random.default_rng(M * 10000 + N * 100 + K)
    for layouts in [("c", "c"), ("transposed", "transposed"), ("strided", "transposed"),
                    ("transposed", "strided")]:
        a = _operand(rng, M, K, np.float32, layouts[0])
        b = _operand(rng, K, N, np.float32, layouts[1])
        c = module._panel_product(a, b)
        assert c.shape == (M, N) and c.dtype == np.float32 and c.flags.c_contiguous
        expected = a.astype(np.float64) @ b.astype(np.float64)
        np.testing.assert_allclose(c, expected, rtol=1e-5, atol=2e-6 * np.sqrt(K) * 4)


@pytest.mark.parametrize("tail", [1, 8, 9, 13, 16, 17])
def test_panels_a_narrow_last_panel_gives_a_whole_panels_bits(tail):
    """The last panel's columns (``tail`` of them: the blocks of 8 and 16 columns, or
    the whole panel's) are the same sums in the same order as when the same columns sit
    inside a whole panel of 32: bit for bit."""
    module = _wide()
    rng = np.random.default_rng(tail)
    a = rng.standard_normal((37, 300)).astype(np.float32)
    b = rng.standard_normal((300, 64)).astype(np.float32)
    whole = module._panel_product(a, b)
    narrow = module._panel_product(a, b[:, :32 + tail])
    assert narrow.tobytes() == np.ascontiguousarray(whole[:, :32 + tail]).tobytes()


def test_panels_the_same_bits_however_shared(monkeypatch):
    """By runs of panels or of rows, on one thread or two, in one part or several: every
    element is the same sum in the same order."""
    module = _wide()
    rng = np.random.default_rng(9)
    a = rng.standard_normal((100, 300)).astype(np.float32)
    b = rng.standard_normal((70, 300)).astype(np.float32).T
    a2, ras, cas = module._elements(a)
    b2, rbs, cbs = module._elements(b)
    results = []
    for by_panels, parts, threads in [(True, 1, 1), (True, 3, 1), (True, 3, 2),
                                      (False, 2, 2), (False, 7, 1), (False, 100, 2)]:
        c = np.full((100, 70), np.nan, np.float32)
        work = np.empty((parts, module.PANEL_WORK), np.float32)
        module._panels(a2.ctypes.data, ras, cas, b2.ctypes.data, rbs, cbs, c, 300,
                       by_panels, parts, threads, work)
        results.append(c)
    for c in results[1:]:
        np.testing.assert_array_equal(c, results[0])
    taken = []
    real = module._panel_product
    monkeypatch.setattr(module, "_panel_product", lambda x, y: taken.append(1) or real(x, y))
    big = rng.standard_normal((256, 128)).astype(np.float32)
    w = rng.standard_normal((256, 128)).astype(np.float32)
    for free in (1, 64):                                 # through matmul: the free CPUs
        monkeypatch.setattr(_cpus, "free", lambda now=None, f=free: f)
        results.append(module.matmul(big, w.T))
    assert taken == [1, 1]
    np.testing.assert_array_equal(results[-1], results[-2])


@pytest.mark.parametrize("N", [1, 3, 4, 5, 10, 256, 259])
@pytest.mark.parametrize("K", [1, 7, 64, 784])
def test_one_row_times_a_transposed_b(twin, N, K):
    """``x @ w.T`` at batch 1 (the compiled twin's dot products along w's rows, four at a
    time, and their tail) against loops in float64."""
    rng = np.random.default_rng(N * 1000 + K)
    x = rng.standard_normal((1, K)).astype(np.float32)
    w = rng.standard_normal((N, K)).astype(np.float32)
    c = _ext.get("matmul").matmul(x, w.T)
    assert c.shape == (1, N) and c.dtype == np.float32 and c.flags.c_contiguous
    expected = x.astype(np.float64) @ w.astype(np.float64).T
    np.testing.assert_allclose(c, expected, rtol=1e-5, atol=1e-5 * np.sqrt(K))


def test_one_row_the_same_bits_however_shared(monkeypatch):
    """The runs of rows start at multiples of four: one thread or two, one run or
    several, every row is the same sum."""
    module = _compiled()
    rng = np.random.default_rng(3)
    w = rng.standard_normal((259, 300)).astype(np.float32)
    x = rng.standard_normal(300).astype(np.float32)
    results = []
    for parts, threads in [(1, 1), (2, 1), (2, 2), (3, 2), (7, 2)]:
        y = np.full((1, 259), np.nan, np.float32)
        module._rows_dot(w, x[None], y, parts, threads)
        results.append(y[0])
    for y in results[1:]:
        np.testing.assert_array_equal(y, results[0])
    for free in (1, 64):                                 # through matmul: the free CPUs
        monkeypatch.setattr(_cpus, "free", lambda now=None, f=free: f)
        results.append(module.matmul(x[None], w.T)[0])
    np.testing.assert_array_equal(results[-1], results[-2])
    np.testing.assert_array_equal(results[-1], results[0])
    with pytest.raises(AssertionError, match="do not fit"):
        module._rows_dot(w, x[None, :299], np.empty((1, 259), np.float32), 1, 1)


def test_few_rows_rule():
    """One row always; 5 to 16 rows with a weight of 65,536 values or more (where
    OpenBLAS's gemm packs the whole weight for a few rows); not 2 to 4 rows (its kernel
    for small products), not 17 rows or more, not a small weight."""
    module = _compiled()
    assert module._few_rows(1, 1, 2) and module._few_rows(1, 256, 784)
    for M in (5, 8, 16):
        assert module._few_rows(M, 256, 784) and module._few_rows(M, 256, 256)
    for M in (2, 4, 17, 32):
        assert not module._few_rows(M, 256, 784)
    assert not module._few_rows(8, 255, 256) and not module._few_rows(8, 192, 64)


@pytest.mark.parametrize("M, N, K", [(5, 256, 256), (8, 256, 784), (16, 259, 300),
                                     (7, 257, 256)])
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_few_rows_times_a_transposed_b(twin, monkeypatch, M, N, K, layout):
    """``x @ w.T`` at a small batch with a large weight (the compiled twin's dot
    products along w's rows for all rows at once, blocks of four rows and their tail)
    against NumPy's product in float64; the path is taken (one ``_rows_dot`` call)."""
    rng = np.random.default_rng(M * N + K)
    x = _operand(rng, M, K, np.float32, layout)
    w = rng.standard_normal((N, K)).astype(np.float32)
    module = _ext.get("matmul")
    taken = []
    if twin == "compiled":
        real = module._rows_dot
        monkeypatch.setattr(module, "_rows_dot",
                            lambda *a, **k: taken.append(1) or real(*a, **k))
    c = module.matmul(x, w.T)
    assert c.shape == (M, N) and c.dtype == np.float32 and c.flags.c_contiguous
    expected = x.astype(np.float64) @ w.astype(np.float64).T
    np.testing.assert_allclose(c, expected, rtol=1e-5, atol=1e-5 * np.sqrt(K))
    assert taken == ([1] if twin == "compiled" else [])


def test_few_rows_unaligned_or_subclassed_operands_give_the_same_bits():
    """A few rows whose ``x`` or ``w`` is unaligned or a subclass go the long way
    (the checks, then ``_product``) to the same dot products: the same bytes, with the
    bias and without."""
    module = _compiled()
    rng = np.random.default_rng(12)
    x = rng.standard_normal((8, 784)).astype(np.float32)
    w = rng.standard_normal((256, 784)).astype(np.float32)
    bias = rng.standard_normal(256).astype(np.float32)
    plain = module.matmul(x, w.T)
    biased = module._matmul_biased(x, w.T, bias)
    for a, b in ((unaligned(x), w.T), (x.view(NotPlain), w.T), (x, w.view(NotPlain).T)):
        assert np.asarray(module.matmul(a, b)).tobytes() == plain.tobytes()
        assert np.asarray(module._matmul_biased(a, b, bias)).tobytes() == biased.tobytes()


def test_few_rows_each_row_is_its_one_row_product():
    """Every row of a few rows' product is the sum its row alone gives (the same loop
    over the same blocks of four of w's rows), on one thread or two, in one run or
    several; NaN and infinity stay in their rows."""
    module = _compiled()
    rng = np.random.default_rng(11)
    w = rng.standard_normal((259, 300)).astype(np.float32)
    X = rng.standard_normal((9, 300)).astype(np.float32)
    X[2, 5], X[6, 0] = np.nan, np.inf
    bias = rng.standard_normal(259).astype(np.float32)
    for parts, threads in [(1, 1), (2, 2), (7, 2)]:
        Y = np.full((9, 259), np.nan, np.float32)
        module._rows_dot(w, X, Y, parts, threads, bias)
        for i in range(9):
            y = np.full((1, 259), np.nan, np.float32)
            module._rows_dot(w, X[i:i + 1], y, 1, 1, bias)
            assert Y[i].tobytes() == y[0].tobytes()
    assert np.isnan(Y[2]).all() and not np.isnan(np.delete(Y, [2, 6], axis=0)).any()


@pytest.mark.parametrize("N, K", [(1, 2), (3, 2), (10, 256), (259, 300)])
def test_one_row_the_front_door_and_the_long_way_give_the_same_bits(N, K):
    """A float32 row times a transposed b (a batch-1 layer) is recognised in C and goes
    straight to the dot products (``_one_row``); a subclass, an unaligned operand or a
    bias that is a subclass go the long way (checks, ``_product``) to the same loop:
    the same bits, with the bias and without, NaN and infinity included."""
    module = _compiled()
    rng = np.random.default_rng(N + K)
    x = rng.standard_normal((1, K)).astype(np.float32)
    w = rng.standard_normal((N, K)).astype(np.float32)
    bias = rng.standard_normal(N).astype(np.float32)
    x[0, 0], bias[-1] = np.nan if N > 3 else x[0, 0], np.inf
    plain = module.matmul(x, w.T)
    np.testing.assert_allclose(plain, _oracle(x, w.T), rtol=1e-5, atol=1e-5 * np.sqrt(K))
    biased = module._matmul_biased(x, w.T, bias)
    for a, b in ((x.view(NotPlain), w.T), (x, w.view(NotPlain).T), (unaligned(x), w.T),
                 (x, unaligned(w).T)):
        assert module.matmul(a, b).tobytes() == plain.tobytes()
        assert module._matmul_biased(a, b, bias).tobytes() == biased.tobytes()
    assert module._matmul_biased(x, w.T, bias.view(NotPlain)).tobytes() == biased.tobytes()
    expected = plain.copy()
    expected += bias
    assert biased.tobytes() == expected.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M, K, N", [(32, 64, 64), (7, 1, 5), (3, 64, 10), (300, 128, 96)])
def test_matrices_the_checks_in_c_or_in_python_give_the_same_bits(dtype, M, K, N):
    """Two ndarrays of one float dtype, ``(M, K)`` and ``(K, N)``, any strides, and a
    plain bias are told apart in C (``_plain_pair``) and skip the Python checks; a
    subclass or an unaligned operand takes the checks first. Then the same paths: the
    same bits, with the bias (added in C after the product) and without."""
    module = _compiled()
    rng = np.random.default_rng(M * K + N)
    x = rng.standard_normal((M, K)).astype(dtype)
    w = rng.standard_normal((N, K)).astype(dtype)
    bias = rng.standard_normal(N).astype(dtype)
    bias[0] = np.nan
    for b in (w.T, np.ascontiguousarray(w.T), w.T[:, ::-1][:, ::-1]):
        plain = module.matmul(x, b)
        biased = module._matmul_biased(x, b, bias)
        expected = plain.copy()
        expected += bias
        assert biased.tobytes() == expected.tobytes()
        for a2, b2 in ((x.view(NotPlain), b), (x, b.view(NotPlain)), (unaligned(x), b)):
            assert np.asarray(module.matmul(a2, b2)).tobytes() == plain.tobytes()
            assert np.asarray(module._matmul_biased(a2, b2, bias)).tobytes() == biased.tobytes()
        assert module._matmul_biased(x, b, unaligned(bias)).tobytes() == biased.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
# one row and a few rows (the dot products; float64: one np.matmul), a small product
# (one np.matmul), and two big enough for the panels (float32, AVX-512) or the blocks of rows
@pytest.mark.parametrize("M, K, N", [(1, 784, 256), (1, 7, 5), (3, 64, 10), (8, 784, 256),
                                     (64, 256, 256), (300, 128, 96), (5, 1, 7)])
def test_the_biased_product_is_the_product_plus_the_bias(dtype, M, K, N):
    """``_matmul_biased`` (private to the compiled twin; ``Linear`` calls it) gives
    ``matmul(a, b) + bias`` bit for bit on every path, NaN and infinities included."""
    module = _compiled()
    rng = np.random.default_rng(M + K + N)
    x = rng.standard_normal((M, K)).astype(dtype)
    w = rng.standard_normal((N, K)).astype(dtype)
    bias = rng.standard_normal(N).astype(dtype)
    bias[0] = np.nan
    bias[-1] = np.inf if N > 1 else bias[-1]
    expected = module.matmul(x, w.T)
    expected += bias
    got = module._matmul_biased(x, w.T, bias)
    assert got.shape == (M, N) and got.dtype == dtype and got.flags.c_contiguous
    assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("bias, error, message", [
    (np.zeros(4, np.float32), ValueError, "bias must have shape"),
    (np.zeros(5, np.float64), TypeError, "bias must have the dtype of a"),
    (np.zeros((1, 5), np.float32), ValueError, "bias must have 1 dimensions"),
    (np.zeros(10, np.float32)[::2], ValueError, "bias must be C-contiguous"),
    ([0.0] * 5, TypeError, "bias must be a NumPy array"),
    (np.zeros(5, ">f4"), TypeError, "bias must be float32 or float64, got dtype >f4"),
])
def test_the_biased_product_checks_its_bias(bias, error, message):
    module = _compiled()
    w = np.ones((5, 3), np.float32)
    for rows in (1, 2):           # one row: what the front door leaves reaches the checks
        with pytest.raises(error, match=f"_matmul_biased: {message}"):
            module._matmul_biased(np.ones((rows, 3), np.float32), w.T, bias)
    with pytest.raises(ValueError, match="_matmul_biased: a must be a matrix"):
        module._matmul_biased(np.ones((2, 2, 3), np.float32), np.ones((2, 3, 5), np.float32),
                              np.zeros(5, np.float32))


@pytest.mark.parametrize("shape", [(1, 784), (5, 64), (2, 3, 64), (64,)])
def test_linear_with_the_bias_in_the_kernel_or_after_it(monkeypatch, shape):
    """``F.linear`` on the compiled twin: the bias added in the kernel, or (the kernel
    hidden, as in a twin without it) by NumPy after the product: the same bits."""
    module = _compiled()
    rng = np.random.default_rng(5)
    x = lucid.tensor(rng.standard_normal(shape).astype(np.float32))
    layer = nn.Linear(shape[-1], 33)
    with lucid.kernels.use("compiled"):
        fused = layer(x).data
        monkeypatch.delattr(module, "_matmul_biased")
        separate = layer(x).data
    assert fused.shape == shape[:-1] + (33,)
    assert fused.tobytes() == separate.tobytes()


def test_panels_carry_nan_and_infinity():
    module = _wide()
    a = np.ones((40, 20), np.float32)
    b = np.ones((20, 40), np.float32)
    a[3, 5] = np.nan
    a[7, 2] = np.inf
    b[4, 9] = -np.inf
    c = module._panel_product(a, b)
    with np.errstate(invalid="ignore"):                  # inf - inf: NaN, as expected
        expected = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(c), np.isnan(expected))
    np.testing.assert_array_equal(c[~np.isnan(c)], expected[~np.isnan(expected)])


def test_the_panels_loop_checks_what_it_assumes():
    module = _wide()
    a, b = np.ones((6, 4), np.float32), np.ones((4, 40), np.float32)
    c = np.empty((6, 40), np.float32)
    work = np.empty((2, module.PANEL_WORK), np.float32)
    module._panels(a.ctypes.data, 4, 1, b.ctypes.data, 40, 1, c, 4, True, 2, 2, work)
    np.testing.assert_array_equal(c, np.full((6, 40), 4.0))
    ok = (a.ctypes.data, 4, 1, b.ctypes.data, 40, 1, c, 4, True, 2, 1, work)
    for change, message in [({0: 0}, "address 0"), ({2: -1}, "strides and K"),
                            ({7: 0}, "strides and K"), ({9: 3}, "more parts than panels"),
                            ({8: False, 9: 7}, "more parts than panels or rows"),
                            ({10: 0}, "threads"), ({11: work[:1]}, "workspace"),
                            ({11: work[:, :100].copy()}, "workspace")]:
        args = list(ok)
        for i, v in change.items():
            args[i] = v
        with pytest.raises(AssertionError, match=message):
            module._panels(*args)


def test_without_blas_every_product_is_one_numpy_call():
    module = _compiled()
    rng = np.random.default_rng(4)
    a = rng.standard_normal((512, 96)).astype(np.float32)
    b = rng.standard_normal((96, 160)).astype(np.float32)
    module._bind_blas(None)
    try:
        assert module._parts_for(512, 160, 96) == 1
        np.testing.assert_allclose(module.matmul(a, b), a @ b, rtol=1e-6, atol=1e-5)
        with pytest.raises(AssertionError, match="no BLAS bound"):
            module._rows(a, False, b, False, np.empty((512, 160), np.float32), 2, 1)
    finally:
        module._bind_blas(module._BLAS)


def test_the_loop_checks_what_it_assumes():
    """The private loop refuses, before it runs, what its indexing assumes: C's rows and
    B's shape fitting A, at least 32 rows per block, a thread."""
    module = _compiled()
    if module._BLAS_MAX == 0:
        pytest.skip("no OpenBLAS lucid can call: the loop refuses every call")
    a, b = np.ones((64, 8)), np.ones((8, 5))
    ok = np.empty((64, 5))
    module._rows(a, False, b, False, ok, 2, 1)
    np.testing.assert_array_equal(ok, np.full((64, 5), 8.0))
    for args, message in [((a, False, b, False, np.empty((63, 5)), 1, 1), "A's rows"),
                          ((a, False, b, True, ok, 1, 1), "B does not fit"),
                          ((a, False, b, False, np.empty((64, 4)), 1, 1), "B does not fit"),
                          ((a, False, b, False, ok, 3, 1), "PART_ROWS"),
                          ((a, False, b, False, ok, 0, 1), "PART_ROWS"),
                          ((a, False, b, False, ok, 1, 0), "threads")]:
        with pytest.raises(AssertionError, match=message):
            module._rows(*args)


@pytest.mark.parametrize("a, b, error, message", [
    ([[1.0]], np.ones((1, 1)), TypeError, "a must be a NumPy array"),
    (np.ones((2, 2), np.int64), np.ones((2, 2)), TypeError, "a must be float32 or float64"),
    (np.ones(3), np.ones((3, 2)), ValueError, r"a must have at least 2 dimensions, got "
                                              r"shape \(3,\)"),
    (np.ones((2, 3)), np.ones((1, 3, 2)), ValueError, r"b must have a's leading axes \(\) "
                                                      r"and two more, got shape \(1, 3, 2\)"),
    (np.ones((4, 2, 3)), np.ones((5, 3, 2)), ValueError, r"b must have a's leading axes "
                                                         r"\(4,\) and two more"),
    (np.ones((2, 3)), np.ones((3, 2), np.float32), TypeError, r"b must have the dtype of a"),
    (np.ones((2, 3)), np.ones((4, 2)), ValueError, r"b must have as many rows as a has "
                                                   r"columns \(3\), got shape \(4, 2\)"),
    # one float32 row times a transposed b: what the compiled front door does not take
    (np.ones((1, 3), np.float32), np.ones((2, 4), np.float32).T, ValueError,
     r"b must have as many rows as a has columns \(3\), got shape \(4, 2\)"),
    (np.ones((1, 3), np.float32), np.ones((2, 3)).T, TypeError, r"b must have the dtype of a"),
    (np.ones((1, 3), np.float32), [[1.0], [1.0], [1.0]], TypeError, "b must be a NumPy array"),
    (np.ones((1, 3), np.float32), np.ones((1, 2, 3), np.float32).T, ValueError,
     r"b must have a's leading axes \(\) and two more"),
    # byte-swapped floats: float32's type number, but not np.float32
    (np.ones((1, 3), ">f4"), np.ones((2, 3), np.float32).T, TypeError,
     "a must be float32 or float64, got dtype >f4"),
    (np.ones((1, 3), np.float32), np.ones((2, 3), ">f4").T, TypeError,
     "b must be float32 or float64, got dtype >f4"),
    (np.ones((4, 3), ">f8"), np.ones((3, 2), ">f8"), TypeError,
     "a must be float32 or float64, got dtype >f8"),
])
def test_bad_arguments_are_named(twin, a, b, error, message):
    with pytest.raises(error, match="matmul: " + message):
        _ext.get("matmul").matmul(a, b)


def _heads(x, heads):
    """(N, T, heads * d) -> (N, heads, T, d): the strided view attention multiplies."""
    n, t, e = x.shape
    return x.reshape(n, t, heads, e // heads).swapaxes(1, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stacks_match_a_loop(twin, dtype):
    """Stacks of small matrices, one product per leading index, each operand C-ordered,
    a transposed view, strided, reversed or a broadcast view (stride 0)."""
    rng = np.random.default_rng(6)
    a = rng.standard_normal((2, 3, 4, 5)).astype(dtype)
    b = rng.standard_normal((2, 3, 5, 6)).astype(dtype)
    wide = rng.standard_normal((2, 3, 5, 12)).astype(dtype)
    cases = [(a, b), (a, b.swapaxes(-1, -2).copy().swapaxes(-1, -2)),
             (a.swapaxes(-1, -2).copy().swapaxes(-1, -2), b), (a, wide[..., ::2]),
             (a[:, ::-1], b), (a, np.broadcast_to(b[:1], b.shape))]
    kernels = _ext.get("matmul")
    tol = 1e-5 if dtype == np.float32 else 1e-13
    for x, y in cases:
        c = kernels.matmul(x, y)
        assert c.shape == (2, 3, 4, 6) and c.dtype == dtype and c.flags.c_contiguous
        for i in range(2):
            for j in range(3):
                np.testing.assert_allclose(c[i, j], _oracle(x[i, j], y[i, j]), rtol=tol,
                                           atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_attention_sized_stacks_in_parallel(twin, dtype, monkeypatch):
    """The products of the encoder's attention (32 samples x 4 heads of 32x16, strided
    head views): both twins against float64, and the compiled twin's stacked path
    taken and giving the same bits on one thread and on every thread."""
    rng = np.random.default_rng(7)
    qkv = rng.standard_normal((32, 32, 192)).astype(dtype)
    Q, K, V = (_heads(qkv[..., i * 64:(i + 1) * 64], 4) for i in range(3))
    A = rng.standard_normal((32, 4, 32, 32)).astype(dtype)
    kernels = _ext.get("matmul")
    tol = 2e-5 if dtype == np.float32 else 1e-12
    for x, y in [(Q, K.swapaxes(-1, -2)), (A, V), (A.swapaxes(-1, -2), Q)]:
        c = kernels.matmul(x, y)
        np.testing.assert_allclose(c, np.matmul(x.astype(np.float64), y.astype(np.float64)),
                                   rtol=tol, atol=tol)
    if twin == "compiled":
        module = _ext._compiled["matmul"]
        if module._BLAS_MAX == 0 or module.max_threads() < 2:
            pytest.skip("one thread in the team, or no OpenBLAS lucid can call")
        threads = []
        real = module._stack
        monkeypatch.setattr(module, "_stack",
                            lambda *args: threads.append(args[-1]) or real(*args))
        results = []
        for free in (1, 64):
            monkeypatch.setattr(_cpus, "free", lambda now=None, f=free: f)
            results.append(kernels.matmul(Q, K.swapaxes(-1, -2)))
        assert threads == [1, module.max_threads()]
        np.testing.assert_array_equal(results[0], results[1])


def test_the_stack_loop_checks_what_it_assumes():
    module = _compiled()
    if module._BLAS_MAX == 0:
        pytest.skip("no OpenBLAS lucid can call: the loop refuses every call")
    a, b = np.ones((3, 4, 5)), np.ones((3, 5, 2))
    at, bt = np.arange(3, dtype=np.int64) * 20, np.arange(3, dtype=np.int64) * 10
    c = np.empty((3, 4, 2))
    module._stack(a.ctypes.data, at, False, 5, b.ctypes.data, bt, False, 2, c, 5, 2)
    np.testing.assert_array_equal(c, np.full((3, 4, 2), 5.0))
    for args, message in [((a.ctypes.data, at[:2], False, 5, b.ctypes.data, bt, False, 2,
                            c, 5, 1), "one start per matrix"),
                          ((0, at, False, 5, b.ctypes.data, bt, False, 2, c, 5, 1),
                           "address 0"),
                          ((a.ctypes.data, at, False, 4, b.ctypes.data, bt, False, 2, c, 5, 1),
                           "closer together"),
                          ((a.ctypes.data, at, False, 5, b.ctypes.data, bt, False, 2, c, 5, 0),
                           "threads")]:
        with pytest.raises(AssertionError, match=message):
            module._stack(*args)


def test_linear_in_blocks_matches_torch(torch):
    """A Transformer-sized Linear (1024 rows, 64 -> 192: its forward and both backward
    products are split into blocks) against PyTorch, forward and gradients."""
    rng = np.random.default_rng(5)
    layer = nn.Linear(64, 192)
    x = rng.standard_normal((32, 32, 64)).astype(np.float32)
    g = rng.standard_normal((32, 32, 192)).astype(np.float32)
    t_layer = torch.nn.Linear(64, 192)
    with torch.no_grad():
        t_layer.weight.copy_(torch.from_numpy(layer.weight.data.copy()))
        t_layer.bias.copy_(torch.from_numpy(layer.bias.data.copy()))
    xt = lucid.Tensor(x, requires_grad=True)
    y = layer(xt)
    y.backward(lucid.Tensor(g))
    tx = torch.from_numpy(x).requires_grad_()
    ty = t_layer(tx)
    ty.backward(torch.from_numpy(g))
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xt.grad.data, tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.weight.grad.data, t_layer.weight.grad.numpy(),
                               rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(layer.bias.grad.data, t_layer.bias.grad.numpy(),
                               rtol=1e-4, atol=1e-3)


def test_encoder_layer_of_homework_size_matches_torch(torch):
    """The homework encoder's layer at its real size (32 x 32 tokens of 64, 4 heads, ff
    128: Linear products in blocks, attention's stacks in parallel), float64, forward and
    the gradients of the input and of every weight, against PyTorch."""
    rng = np.random.default_rng(8)
    kw = dict(dim_feedforward=128, dropout=0.0, batch_first=True)
    layer = nn.TransformerEncoderLayer(64, 4, **kw).to(lucid.Float64)
    twin_layer = torch.nn.TransformerEncoderLayer(64, 4, dtype=torch.float64, **kw)
    twin_layer.load_state_dict({k: torch.tensor(v.data) for k, v in
                                layer.state_dict().items()})
    x_np = rng.standard_normal((32, 32, 64))
    x = lucid.Tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out = layer(x)
    expected = twin_layer(tx)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    seed = rng.standard_normal(out.shape)
    out.backward(lucid.Tensor(seed))
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-9)
    grads = dict(twin_layer.named_parameters())
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad.data, grads[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-9, err_msg=name)


def _unfused_attention(qkv, heads, scale):
    """Attention of each head written here with NumPy (float64 products)."""
    n, t, e3 = qkv.shape
    e, d = e3 // 3, e3 // 3 // heads
    q, k, v = (qkv[..., i * e:(i + 1) * e].astype(np.float64)
               .reshape(n, t, heads, d).transpose(0, 2, 1, 3) for i in range(3))
    s = (q @ k.transpose(0, 1, 3, 2)) * scale
    s = np.exp(s - s.max(axis=-1, keepdims=True))
    a = s / s.sum(axis=-1, keepdims=True)
    return (a @ v).transpose(0, 2, 1, 3).reshape(n, t, e), a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, t, e, heads", [(1, 32, 64, 4), (3, 5, 24, 2), (2, 1, 12, 3),
                                            (4, 17, 48, 4), (2, 9, 8, 8)])
def test_packed_attention_matches_numpy(dtype, n, t, e, heads):
    """``_packed_attention`` (private to the compiled twin; ``PackedAttention`` calls it)
    against attention written out in float64: the merged output and the weights."""
    module = _compiled()
    qkv = np.random.default_rng(n * t * e).standard_normal((n, t, 3 * e)).astype(dtype)
    scale = 1 / np.sqrt(e // heads)
    done = module._packed_attention(qkv, heads, scale)
    if done is None:
        pytest.skip("no OpenBLAS lucid can call: the op runs the unfused path")
    out, a = done
    expected, weights = _unfused_attention(qkv, heads, scale)
    assert out.shape == (n, t, e) and a.shape == (n, heads, t, t) and out.dtype == dtype
    tol = 2e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(a, weights, rtol=tol, atol=tol)
    np.testing.assert_allclose(out, expected, rtol=10 * tol, atol=10 * tol)


def test_packed_attention_the_same_bits_on_one_thread_and_two(monkeypatch):
    module = _compiled()
    qkv = np.random.default_rng(8).standard_normal((6, 19, 96)).astype(np.float32)
    qkv[1, 3, 5] = np.nan                          # one query's row: NaN weights and output
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(module, "threads_for", lambda work, t=threads: t)
        done = module._packed_attention(qkv, 4, 0.25)
        if done is None:
            pytest.skip("no OpenBLAS lucid can call: the op runs the unfused path")
        results.append(done)
    for one, two in zip(*results):
        assert one.tobytes() == two.tobytes()
    assert np.isnan(results[0][0][1, 3]).any() and not np.isnan(results[0][0][0]).any()


def test_packed_attention_of_nothing():
    module = _compiled()
    for shape in [(0, 4, 24), (2, 0, 24)]:
        done = module._packed_attention(np.zeros(shape, np.float32), 2, 0.5)
        if done is None:
            pytest.skip("no OpenBLAS lucid can call: the op runs the unfused path")
        assert done[0].shape == shape[:2] + (8,) and done[1].shape == (shape[0], 2) + shape[1:2] * 2
    out, a = module._packed_attention(np.zeros((1, 3, 0), np.float32), 1, 0.5)  # E = 0
    assert out.shape == (1, 3, 0)
    np.testing.assert_array_equal(a, np.full((1, 1, 3, 3), 1 / 3, np.float32))  # softmax(0)


@pytest.mark.parametrize("qkv, heads, scale, error, message", [
    (np.zeros((2, 3, 12), np.float32), 3, 0.5, ValueError, "qkv's last axis must be 3 E"),
    (np.zeros((2, 3, 12), np.float32), 0, 0.5, ValueError, "heads must be at least 1"),
    (np.zeros((2, 3, 12), np.float32), True, 0.5, TypeError, "heads must be an int"),
    (np.zeros((2, 3, 12), np.float32), 2, float("nan"), ValueError, "scale must be finite"),
    (np.zeros((2, 3, 12), np.float32), 2, "0.5", TypeError, "scale must be a float"),
    (np.zeros((6, 12), np.float32), 2, 0.5, ValueError, "qkv must have 3 dimensions"),
    (np.zeros((2, 3, 24), np.float32)[..., ::2], 2, 0.5, ValueError, "qkv must be C-contiguous"),
    (np.zeros((2, 3, 12), np.int64), 2, 0.5, TypeError, "qkv must be float32 or float64"),
])
def test_packed_attention_checks_its_arguments(qkv, heads, scale, error, message):
    module = _compiled()
    with pytest.raises(error, match=f"_packed_attention: {message}"):
        module._packed_attention(qkv, heads, scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_self_attention_fused_or_not_forward_and_backward(monkeypatch, dtype):
    """``MultiheadAttention(x, x, x)`` on the compiled twin, its attention fused or (the
    fused function hidden, as in a twin without it) one kernel after the other: the same
    output and gradients, within a rounding of the products."""
    module = _compiled()
    rng = np.random.default_rng(2)
    layer = nn.MultiheadAttention(24, 4, batch_first=True)
    for p in layer.parameters():
        p.data = p.data.astype(dtype)
    x_np = rng.standard_normal((3, 7, 24)).astype(dtype)
    runs = []
    with lucid.kernels.use("compiled"):
        for hide in (False, True):
            if hide:
                monkeypatch.delattr(module, "_packed_attention")
            layer.zero_grad()
            x = lucid.tensor(x_np.copy(), requires_grad=True)
            out = layer(x, x, x, need_weights=False)[0]
            (out * out).sum().backward()
            runs.append([out.data, x.grad] + [p.grad for p in layer.parameters()])
    tol = 2e-5 if dtype == np.float32 else 1e-12
    for fused, separate in zip(*runs):
        np.testing.assert_allclose(fused, separate, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M, K, N", [(300, 64, 700), (7, 33, 20000), (2000, 5, 40)])
def test_biased_product_on_the_threads_is_the_product_then_the_bias(monkeypatch, dtype,
                                                                    M, K, N):
    """A large output gets its bias on every free thread, runs of rows each: the same
    bytes as the product followed by NumPy's ``+= bias``, on one thread and on all."""
    module = _compiled()
    rng = np.random.default_rng(M + N)
    x = rng.standard_normal((M, K)).astype(dtype)
    w = rng.standard_normal((N, K)).astype(dtype)
    bias = rng.standard_normal(N).astype(dtype)
    expected = module.matmul(x, w.T)
    expected += bias
    for free in (1, 64):
        monkeypatch.setattr(_cpus, "free", lambda now=None, f=free: f)
        assert module._matmul_biased(x, w.T, bias).tobytes() == expected.tobytes()


# ----------------------------------------------------------------- a layer's bias gradient
def _rows_of_scales(rng, M, N, dtype):
    """Values whose sum depends on the order of the additions (rows of scales 1e-3 to
    1e4), so a sum in any other order than NumPy's shows in the bits."""
    scales = 10.0 ** rng.uniform(-3, 4, (M, 1))
    return (rng.standard_normal((M, N)) * scales).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M, N", [(0, 5), (1, 2), (3, 2), (5, 17), (9, 16), (64, 10),
                                  (700, 1031), (130, 2049), (4097, 33)])
def test_column_sums_are_numpys_bits(dtype, M, N):
    """``_column_sums(g)`` is ``g.sum(axis=0)`` bit for bit: each column from 0, row by
    row (four rows a pass, still one after the other), whatever the run it falls in."""
    module = _compiled()
    g = _rows_of_scales(np.random.default_rng(M * N), M, N, dtype)
    s = module._column_sums(g)
    assert s.dtype == dtype and s.shape == (N,) and s.flags.c_contiguous
    assert s.tobytes() == g.sum(axis=0).tobytes()


def test_column_sums_special_values():
    """Signed zeros (a column of -0.0 sums to +0.0, as NumPy's sum from 0 does), NaN,
    infinities and inf - inf."""
    module = _compiled()
    g = np.zeros((6, 5), np.float32)
    g[:, 0] = -0.0
    g[2, 1] = np.nan
    g[1, 2], g[4, 2] = np.inf, 1.0
    g[0, 3], g[5, 3] = np.inf, -np.inf
    g[:, 4] = np.finfo(np.float32).max            # overflows to inf on the second row
    s = module._column_sums(g)
    with np.errstate(invalid="ignore", over="ignore"):      # NumPy warns of inf - inf
        assert s.tobytes() == g.sum(axis=0).tobytes()
    assert not np.signbit(s[0]) and np.isnan(s[1]) and s[2] == np.inf and np.isnan(s[3])


def test_column_sums_the_same_bits_on_one_thread_and_every_thread(monkeypatch):
    """The runs of columns follow the threads, but each column is one sum whichever
    thread makes it."""
    module = _compiled()
    g = _rows_of_scales(np.random.default_rng(5), 300, 5000, np.float32)
    results = []
    for free in (1, 64):
        monkeypatch.setattr(_cpus, "free", lambda now=None, f=free: f)
        results.append(module._column_sums(g).tobytes())
    assert results[0] == results[1] == g.sum(axis=0).tobytes()


def test_column_sums_leave_other_arrays_to_numpy():
    """What the loop does not take (one column: NumPy sums it pairwise, another order;
    strided and transposed views, a subclass, unaligned or byte-swapped memory, integers,
    three axes) is NumPy's ``g.sum(axis=0)``, with its type and bits."""
    module = _compiled()
    rng = np.random.default_rng(8)
    column = _rows_of_scales(rng, 100_000, 1, np.float32)
    running = np.zeros(1, np.float32)
    for value in column[:, 0]:
        running += value
    assert running.tobytes() != column.sum(axis=0).tobytes()      # the orders differ here
    g = _rows_of_scales(rng, 40, 24, np.float32)
    for other in [column, g[:, ::2], g.T, g.view(NotPlain), unaligned(g),
                  g.astype(">f4"), (g * 100).astype(np.int64), g.reshape(2, 20, 24)]:
        s = module._column_sums(other)
        expected = other.sum(axis=0)
        assert type(s) is type(expected) and s.dtype == expected.dtype
        assert s.tobytes() == expected.tobytes()


@pytest.mark.parametrize("twin", ["reference", "compiled"])
def test_a_linear_layers_bias_gradient_is_the_sum_of_its_gradient_rows(twin):
    """``Linear``'s bias gradient through ``lucid.ops._util.column_sums`` on either twin:
    NumPy's sums of the gradient rows, bit for bit."""
    if twin == "compiled":
        _compiled()
    rng = np.random.default_rng(4)
    layer = nn.Linear(12, 40)
    x = lucid.tensor(rng.standard_normal((300, 12)).astype(np.float32))
    g = _rows_of_scales(rng, 300, 40, np.float32)
    with lucid.kernels.use(twin):
        (layer(x) * lucid.tensor(g)).sum().backward()
    assert layer.bias.grad.tobytes() == g.sum(axis=0).tobytes()
