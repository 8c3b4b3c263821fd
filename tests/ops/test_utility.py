"""Utilities: sort, argsort, topk, nonzero, unique, histograms, meshgrid, roll,
tril/triu — values and gradients against PyTorch (float32 and float64), gradcheck in
float64, edge cases (0-d, empty, negative axes, ties, nan) and every bad argument."""
import re

import numpy as np
import pytest

import lucid
from helpers import torch_parity
from lucid.ops import utility as U
from lucid.testing import assert_close, gradcheck


def _f64(shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def _raises(exc, *words):
    """pytest.raises whose message must contain every one of ``words``."""
    return pytest.raises(exc, match="(?s)" + "".join(f"(?=.*{re.escape(w)})" for w in words))


# ============================================================================ sort
_SORT_CASES = [((3, 4, 5), -1), ((3, 4, 5), 0), ((3, 4, 5), -2), ((7,), 0), ((2, 0, 3), 1),
               ((0, 3), -1)]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("shape, axis", _SORT_CASES)
def test_sort_matches_torch_with_ties(torch, float_dtype, rng, shape, axis, descending):
    # values in {0, 1, 2}: many ties, so stability decides the indices and the gradient
    x = rng.integers(0, 3, size=shape).astype(float_dtype)
    torch_parity(lambda t: U.sort(t, axis, descending).values,
                 lambda t: torch.sort(t, dim=axis, descending=descending, stable=True).values,
                 [x])
    expected = torch.sort(torch.tensor(x), dim=axis, descending=descending, stable=True).indices
    assert_close(U.sort(lucid.Tensor(x), axis, descending).indices, expected.numpy())
    want = torch.argsort(torch.tensor(x), dim=axis, descending=descending, stable=True)
    assert_close(U.argsort(lucid.Tensor(x), axis, descending), want.numpy())


@pytest.mark.parametrize("descending", [False, True])
def test_sort_puts_nan_where_torch_does(torch, descending):
    x = np.array([[1.0, np.nan, -2.0, np.nan, 3.0], [0.0, 0.0, np.nan, 5.0, -1.0]])
    torch_parity(lambda t: U.sort(t, -1, descending).values,
                 lambda t: torch.sort(t, dim=-1, descending=descending, stable=True).values, [x])
    want = torch.sort(torch.tensor(x), dim=-1, descending=descending, stable=True).indices
    assert_close(U.sort(lucid.Tensor(x), -1, descending).indices, want.numpy())


def test_sort_integers_and_bools_match_torch(torch, rng):
    for x in (rng.integers(-5, 5, size=(4, 6)), rng.integers(0, 2, size=(9,)).astype(bool)):
        values, indices = U.sort(lucid.Tensor(x), descending=True)
        expected = torch.sort(torch.tensor(x), descending=True, stable=True)
        assert_close(values, expected.values.numpy())
        assert_close(indices, expected.indices.numpy())
        assert not values.requires_grad


def test_sort_is_stable_by_a_loop():
    # the oracle: positions sorted by (value, position), largest value first
    x = [2.0, 1.0, 2.0, 3.0, 1.0, 2.0]
    want = sorted(range(len(x)), key=lambda i: (-x[i], i))
    assert U.sort(lucid.Tensor(x), descending=True).indices.tolist() == want
    assert U.argsort(lucid.Tensor(x)).tolist() == sorted(range(len(x)), key=lambda i: (x[i], i))


def test_sort_of_0d_tensor():
    x = lucid.Tensor(2.5, requires_grad=True)
    values, indices = U.sort(x)
    assert values.shape == () and indices.shape == () and indices.item() == 0
    assert values.item() == 2.5
    values.backward()
    assert_close(x.grad, np.array(1.0, dtype=np.float32))
    assert U.argsort(lucid.Tensor(2.5)).shape == ()


@pytest.mark.parametrize("axis, descending", [(-1, False), (0, True), (1, False)])
def test_sort_gradcheck(axis, descending):
    gradcheck(lambda t: U.sort(t, axis, descending).values, [_f64((3, 4, 2))])


def test_sort_results_are_a_named_tuple_and_indices_need_no_grad():
    out = U.sort(_f64((5,)))
    assert out.values.requires_grad and not out.indices.requires_grad
    assert out.indices.dtype == np.int64
    assert U.argsort(_f64((5,))).requires_grad is False


@pytest.mark.parametrize("fn", [U.sort, U.argsort])
def test_sort_bad_arguments(fn):
    name = fn.__name__
    with _raises(ValueError, name, "axis 2", "ndim 2"):
        fn(lucid.Tensor(np.zeros((2, 3))), axis=2)
    with _raises(ValueError, name, "axis -3", "ndim 2"):
        fn(lucid.Tensor(np.zeros((2, 3))), axis=-3)
    with _raises(TypeError, name, "axis"):
        fn(lucid.Tensor(np.zeros(3)), axis=0.5)
    with _raises(TypeError, name, "complex"):
        fn(lucid.Tensor(np.array([1 + 1j, 2])))
    with _raises(TypeError, name, "descending", "'yes'"):
        fn(lucid.Tensor(np.zeros(3)), descending="yes")
    with _raises(TypeError, name, "input_"):
        fn("not a tensor")


# ============================================================================ topk
def _distinct(shape, dtype, rng):
    """Values with no ties, so every index is determined (torch's and ours agree)."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 1.0).astype(dtype)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("shape, k, axis", [((4, 6), 3, -1), ((4, 6), 2, 0), ((2, 3, 5), 5, 2),
                                            ((2, 3, 5), 0, -1), ((5,), 1, 0), ((3, 0), 0, 1)])
def test_topk_matches_torch(torch, float_dtype, rng, shape, k, axis, largest):
    x = _distinct(shape, float_dtype, rng)
    torch_parity(lambda t: U.topk(t, k, axis, largest).values,
                 lambda t: torch.topk(t, k, dim=axis, largest=largest).values, [x])
    assert_close(U.topk(lucid.Tensor(x), k, axis, largest).indices,
                 torch.topk(torch.tensor(x), k, dim=axis, largest=largest).indices.numpy())


@pytest.mark.parametrize("largest", [True, False])
def test_topk_unsorted_selects_what_torch_selects(torch, rng, largest):
    x = _distinct((3, 8), np.float64, rng)
    ours = U.topk(lucid.Tensor(x), 4, largest=largest, sorted=False)
    theirs = torch.topk(torch.tensor(x), 4, largest=largest, sorted=False)
    # torch's unsorted order is unspecified: compare the chosen sets, ordered by index
    order = np.argsort(theirs.indices.numpy(), axis=-1)
    want_idx = np.take_along_axis(theirs.indices.numpy(), order, -1)
    assert_close(ours.indices, want_idx)
    assert_close(ours.values, np.take_along_axis(theirs.values.numpy(), order, -1))


def test_topk_ties_take_the_first_and_gradient_follows_the_index(torch):
    x = np.array([[3.0, 1.0, 3.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0, 1.0]], dtype=np.float32)
    values, indices = U.topk(lucid.Tensor(x), 2)
    assert_close(values, torch.topk(torch.tensor(x), 2).values.numpy())
    # the oracle: positions ordered by (value descending, position), first two
    want = [sorted(range(5), key=lambda i: (-row[i], i))[:2] for row in x.tolist()]
    assert indices.tolist() == want
    t = lucid.Tensor(x, requires_grad=True)
    seed = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    U.topk(t, 2).values.backward(seed)
    expected = np.zeros_like(x)
    for r, row in enumerate(want):
        for j, i in enumerate(row):
            expected[r, i] += seed[r, j]
    assert_close(t.grad, expected)


def test_topk_nan_is_largest_like_torch(torch):
    x = np.array([1.0, np.nan, 3.0, 2.0])
    for largest in (True, False):
        ours = U.topk(lucid.Tensor(x), 2, largest=largest)
        theirs = torch.topk(torch.tensor(x), 2, largest=largest)
        assert_close(ours.values, theirs.values.numpy())
        assert_close(ours.indices, theirs.indices.numpy())


def test_topk_of_0d_and_gradcheck():
    x = lucid.Tensor(4.0, requires_grad=True)
    values, indices = U.topk(x, 1)
    assert values.shape == () and indices.item() == 0
    values.backward()
    assert x.grad == 1.0
    with _raises(ValueError, "topk", "k (0)", "0-d"):  # torch returns the value; lucid refuses
        U.topk(lucid.Tensor(4.0), 0)
    gradcheck(lambda t: U.topk(t, 2, axis=0).values, [_f64((4, 3), seed=3)])
    gradcheck(lambda t: U.topk(t, 3, largest=False, sorted=False).values, [_f64((2, 5), seed=4)])


def test_topk_bad_arguments():
    x = lucid.Tensor(np.zeros((2, 3)))
    with _raises(ValueError, "topk", "k (4)", "(3)"):
        U.topk(x, 4)
    with _raises(ValueError, "topk", "k (3)", "(2)"):
        U.topk(x, 3, axis=0)
    with _raises(ValueError, "topk", "k (-1)"):
        U.topk(x, -1)
    with _raises(ValueError, "topk", "k (2)", "0-d"):
        U.topk(lucid.Tensor(1.0), 2)
    with _raises(TypeError, "topk", "k", "1.5"):
        U.topk(x, 1.5)
    with _raises(TypeError, "topk", "k", "True"):
        U.topk(x, True)
    with _raises(ValueError, "topk", "axis 2", "ndim 2"):
        U.topk(x, 1, axis=2)
    with _raises(TypeError, "topk", "largest"):
        U.topk(x, 1, largest=None)
    with _raises(TypeError, "topk", "sorted"):
        U.topk(x, 1, sorted=1)
    with _raises(TypeError, "topk", "complex"):
        U.topk(lucid.Tensor(np.array([1j, 2j])), 1)


# ========================================================================= nonzero
@pytest.mark.parametrize("x", [
    np.array([[0.0, 1.5, 0.0], [-2.0, 0.0, np.nan]]),
    np.array([[[True, False], [False, True]]]),
    np.array([0, 3, 0, 0, 7]),
    np.zeros((0, 4)),
    np.zeros((2, 3)),
    np.array(5.0),
    np.array(0.0),
], ids=["float", "bool3d", "int", "empty", "allzero", "0d-nonzero", "0d-zero"])
def test_nonzero_matches_torch(torch, x):
    out = U.nonzero(lucid.Tensor(x))
    assert_close(out, torch.nonzero(torch.tensor(x)).numpy())
    assert not out.requires_grad


def test_nonzero_by_a_loop():
    x = np.array([[0, 2], [3, 0], [0, 0]])
    want = [[i, j] for i in range(3) for j in range(2) if x[i, j] != 0]
    assert U.nonzero(lucid.Tensor(x)).tolist() == want
    assert not U.nonzero(_f64((3,))).requires_grad


# ========================================================================== unique
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_unique_matches_torch(torch, rng, axis):
    x = rng.integers(0, 3, size=(6, 4)).astype(np.float32)
    x[3] = x[1]  # a repeated row, so unique along axis 0 has something to merge
    ours = U.unique(lucid.Tensor(x), return_inverse=True, return_counts=True, axis=axis)
    theirs = torch.unique(torch.tensor(x), return_inverse=True, return_counts=True, dim=axis)
    assert len(ours) == 3
    for o, t in zip(ours, theirs):
        assert_close(o, t.numpy())
    assert_close(U.unique(lucid.Tensor(x), axis=axis), theirs[0].numpy())


@pytest.mark.parametrize("x", [np.array(3), np.zeros((0,)), np.zeros((0, 3)),
                               np.array([np.nan, 1.0, np.nan, 1.0]),
                               np.array([[True, False], [True, True]])],
                         ids=["0d", "empty", "empty2d", "nan", "bool"])
def test_unique_edges_match_torch(torch, x):
    ours = U.unique(lucid.Tensor(x), return_inverse=True, return_counts=True)
    theirs = torch.unique(torch.tensor(x), return_inverse=True, return_counts=True)
    for o, t in zip(ours, theirs):
        assert_close(o, t.numpy())


def test_unique_empty_along_axis_matches_torch(torch):
    x = np.zeros((0, 3), dtype=np.float32)
    ours = U.unique(lucid.Tensor(x), return_inverse=True, return_counts=True, axis=0)
    theirs = torch.unique(torch.tensor(x), return_inverse=True, return_counts=True, dim=0)
    for o, t in zip(ours, theirs):
        assert_close(o, t.numpy())


def test_unique_unsorted_is_first_appearance_by_a_loop():
    x = [5, 2, 5, 9, 2, 2, 7]
    seen = []
    for v in x:
        if v not in seen:
            seen.append(v)
    values, inverse, counts = U.unique(lucid.Tensor(x), sorted=False, return_inverse=True,
                                       return_counts=True)
    assert values.tolist() == seen
    assert inverse.tolist() == [seen.index(v) for v in x]
    assert counts.tolist() == [x.count(v) for v in seen]
    rows = np.array([[1, 1], [0, 0], [1, 1], [2, 0]])
    values, inverse = U.unique(lucid.Tensor(rows), sorted=False, return_inverse=True, axis=0)
    assert values.tolist() == [[1, 1], [0, 0], [2, 0]] and inverse.tolist() == [0, 1, 0, 2]


def test_unique_returns_in_torch_order_and_records_no_graph():
    x = _f64((4,))
    assert not U.unique(x).requires_grad
    values, counts = U.unique(lucid.Tensor([1, 1, 2]), return_counts=True)
    assert counts.tolist() == [2, 1]
    values, inverse = U.unique(lucid.Tensor([[1, 1], [2, 1]]), return_inverse=True)
    assert inverse.shape == (2, 2) and inverse.dtype == np.int64


def test_unique_bad_arguments():
    x = lucid.Tensor(np.zeros((2, 3)))
    with _raises(ValueError, "unique", "axis 2", "ndim 2"):
        U.unique(x, axis=2)
    with _raises(ValueError, "unique", "0-d"):
        U.unique(lucid.Tensor(1.0), axis=0)
    for flag in ("sorted", "return_counts", "return_inverse"):
        with _raises(TypeError, "unique", flag):
            U.unique(x, **{flag: "no"})


# ====================================================================== histograms
@pytest.mark.parametrize("bins, range_, density", [
    (10, None, False), (4, (-1.0, 1.0), False), (7, None, True),
    ([-3.0, -0.5, 0.0, 0.25, 3.0], None, False), ([-3.0, -0.5, 0.0, 0.25, 3.0], None, True),
    (3, (0.5, 0.5), False),
])
def test_histogram_matches_torch(torch, float_dtype, rng, bins, range_, density):
    x = rng.standard_normal((5, 8)).astype(float_dtype)
    hist, edges = U.histogram(lucid.Tensor(x), bins=bins, range=range_, density=density)
    t_bins = bins if isinstance(bins, int) else torch.tensor(np.array(bins, dtype=float_dtype))
    kwargs = {"range": range_} if range_ is not None else {}
    want = torch.histogram(torch.tensor(x), bins=t_bins, density=density, **kwargs)
    # counts are exact; torch gives them (and the density) in the input's dtype
    assert_close(hist.data.astype(float_dtype), want.hist.numpy(), rtol=1e-6, atol=0)
    assert_close(edges.data.astype(float_dtype), want.bin_edges.numpy())
    assert hist.dtype == (np.float64 if density else np.int64)
    assert not hist.requires_grad and not edges.requires_grad


def test_histogram_by_a_loop(rng):
    x = rng.integers(-3, 4, size=50)
    hist, edges = U.histogram(lucid.Tensor(x), bins=4, range=(-2, 2))
    e = [-2.0, -1.0, 0.0, 1.0, 2.0]
    want = [sum(1 for v in x if e[b] <= v < e[b + 1] or (b == 3 and v == e[4])) for b in range(4)]
    assert hist.tolist() == want
    assert edges.tolist() == e
    assert U.histogram(lucid.Tensor(np.zeros(0)), bins=2)[0].tolist() == [0, 0]
    hist, edges = U.histogram(lucid.Tensor(x), bins="sturges")
    assert hist.data.sum() == x.size and edges.shape == (hist.shape[0] + 1,)


def test_histogram_ignores_grad_of_input():
    hist, edges = U.histogram(_f64((10,)), bins=3)
    assert not hist.requires_grad and hist._node is None


def test_histogram_bad_arguments():
    x = lucid.Tensor([1.0, 2.0, 3.0])
    with _raises(ValueError, "histogram", "bins", "0"):
        U.histogram(x, bins=0)
    with _raises(ValueError, "histogram", "increasing"):
        U.histogram(x, bins=[0.0, 2.0, 1.0])
    with _raises(ValueError, "histogram", "bins"):
        U.histogram(x, bins=[1.0])
    with _raises(ValueError, "histogram", "bins", "'often'"):
        U.histogram(x, bins="often")
    with _raises(TypeError, "histogram", "bins"):
        U.histogram(x, bins=2.5)
    with _raises(TypeError, "histogram", "bins"):
        U.histogram(x, bins=[[1.0, 2.0]])
    with _raises(ValueError, "histogram", "range", "(2.0, 1.0)"):
        U.histogram(x, range=(2.0, 1.0))
    with _raises(ValueError, "histogram", "range"):
        U.histogram(x, range=(0.0, np.inf))
    with _raises(TypeError, "histogram", "range"):
        U.histogram(x, range=(0.0, 1.0, 2.0))
    with _raises(ValueError, "histogram", "nan", "range="):
        U.histogram(lucid.Tensor([1.0, np.nan]))
    with _raises(TypeError, "histogram", "complex"):
        U.histogram(lucid.Tensor(np.array([1j])))
    with _raises(TypeError, "histogram", "bool"):
        U.histogram(lucid.Tensor([True, False]))
    with _raises(TypeError, "histogram", "density"):
        U.histogram(x, density=None)
    # with a range, nan values are simply not counted (NumPy's rule)
    assert U.histogram(lucid.Tensor([1.0, np.nan]), bins=1, range=(0.0, 2.0))[0].tolist() == [1]


def _torch_range(range_):
    return None if range_ is None else [v for pair in range_ for v in pair]


@pytest.mark.parametrize("bins, range_, density", [
    (3, None, False), ([2, 5], [[-1.0, 1.0], [-2.0, 2.0]], False), (4, None, True),
])
def test_histogram2d_matches_torch_histogramdd(torch, rng, bins, range_, density):
    x, y = rng.standard_normal(30), rng.standard_normal(30)
    H, xedges, yedges = U.histogram2d(lucid.Tensor(x), lucid.Tensor(y), bins=bins,
                                      range=range_, density=density)
    want = torch.histogramdd(torch.tensor(np.stack([x, y], 1)), bins=bins,
                             range=_torch_range(range_), density=density)
    assert_close(H, want.hist.numpy())
    assert_close(xedges, want.bin_edges[0].numpy())
    assert_close(yedges, want.bin_edges[1].numpy())


def test_histogram2d_edges_and_loop():
    x = lucid.Tensor([0.1, 0.6, 0.6, 1.0])
    y = lucid.Tensor([0.0, 0.2, 0.9, 1.0])
    edges = [0.0, 0.5, 1.0]
    H, xe, ye = U.histogram2d(x, y, bins=edges)  # one edge list for both axes
    want = np.zeros((2, 2))
    for a, b in zip(x.tolist(), y.tolist()):
        want[min(int(a / 0.5), 1), min(int(b / 0.5), 1)] += 1
    assert_close(H, want)
    assert xe.tolist() == edges and ye.tolist() == edges
    H, xe, ye = U.histogram2d(x, y, bins=[1, [0.0, 0.5, 1.0]])
    assert H.shape == (1, 2)


def test_histogram2d_bad_arguments():
    x = lucid.Tensor([1.0, 2.0])
    with _raises(ValueError, "histogram2d", "same length", "(2,)", "(3,)"):
        U.histogram2d(x, lucid.Tensor([1.0, 2.0, 3.0]))
    with _raises(ValueError, "histogram2d", "1-D", "(1, 2)"):
        U.histogram2d(lucid.Tensor([[1.0, 2.0]]), lucid.Tensor([[1.0, 2.0]]))
    with _raises(ValueError, "histogram2d", "range", "(2)"):
        U.histogram2d(x, x, range=[[0.0, 1.0]])
    with _raises(ValueError, "histogram2d", "bins[0]"):
        U.histogram2d(x, x, bins=[0, 2])
    with _raises(TypeError, "histogram2d", "y", "complex"):
        U.histogram2d(x, lucid.Tensor(np.array([1j, 2j])))


@pytest.mark.parametrize("d, bins, range_, density", [
    (3, 2, None, False), (2, [3, [-4.0, 0.0, 4.0]], None, False),
    (3, [2, 3, 4], [[-1.0, 1.0], [-2.0, 2.0], [0.0, 3.0]], True), (1, 5, None, False),
])
def test_histogramdd_matches_torch(torch, rng, d, bins, range_, density):
    sample = rng.standard_normal((40, d))
    H, edges = U.histogramdd(lucid.Tensor(sample), bins=bins, range=range_, density=density)
    t_bins = bins if isinstance(bins, int) else [
        b if isinstance(b, int) else torch.tensor(b) for b in bins]
    if isinstance(t_bins, list) and not all(isinstance(b, int) for b in t_bins):
        t_bins = [torch.tensor(e.data) for e in edges]  # torch takes all ints or all edges
    want = torch.histogramdd(torch.tensor(sample), bins=t_bins, range=_torch_range(range_),
                             density=density)
    assert_close(H, want.hist.numpy())
    assert len(edges) == d
    for e, w in zip(edges, want.bin_edges):
        assert_close(e, w.numpy())


def test_histogramdd_takes_1d_samples_and_records_no_graph():
    H, edges = U.histogramdd(_f64((6,)), bins=3)
    assert H.shape == (3,) and len(edges) == 1 and H.data.sum() == 6
    assert not H.requires_grad


def test_histogramdd_bad_arguments():
    s = lucid.Tensor(np.zeros((4, 2)))
    with _raises(ValueError, "histogramdd", "sample", "(2, 2, 2)"):
        U.histogramdd(lucid.Tensor(np.zeros((2, 2, 2))))
    with _raises(ValueError, "histogramdd", "bins", "(2)"):
        U.histogramdd(s, bins=[2, 2, 2])
    with _raises(TypeError, "histogramdd", "bins"):
        U.histogramdd(s, bins="auto")
    with _raises(ValueError, "histogramdd", "range", "(2)"):
        U.histogramdd(s, range=[(0.0, 1.0)])
    with _raises(ValueError, "histogramdd", "range[1]"):
        U.histogramdd(s, range=[(0.0, 1.0), (1.0, 0.0)])
    with _raises(ValueError, "histogramdd", "nan"):
        U.histogramdd(lucid.Tensor([[0.0, np.inf]]))


# ======================================================================== meshgrid
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [[(3,), (4,)], [(2,), (3,), (4,)], [(5,)], [(), (3,)],
                                    [(0,), (2,)]])
def test_meshgrid_matches_torch(torch, float_dtype, rng, indexing, shapes):
    arrays = [rng.standard_normal(s).astype(float_dtype) for s in shapes]
    ours = U.meshgrid(*[lucid.Tensor(a) for a in arrays], indexing=indexing)
    theirs = torch.meshgrid(*[torch.tensor(a) for a in arrays], indexing=indexing)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert_close(o, t.numpy())

    def weighted(grids):  # every input reaches the output, each with its own weight
        return sum((k + 1.0) * g for k, g in enumerate(grids))

    torch_parity(lambda *ts: weighted(U.meshgrid(*ts, indexing=indexing)),
                 lambda *ts: weighted(torch.meshgrid(*ts, indexing=indexing)), arrays)


def test_meshgrid_takes_a_list_and_gradchecks():
    a, b = _f64((3,)), _f64((2,), seed=1)
    grids = U.meshgrid([a, b], indexing="xy")
    assert isinstance(grids, tuple) and [g.shape for g in grids] == [(2, 3), (2, 3)]
    assert [g.shape for g in U.meshgrid([1.0, 2.0, 3.0])] == [(3,)]  # one vector
    assert [g.shape for g in U.meshgrid((a, [1.0, 2.0]))] == [(3, 2), (3, 2)]
    gradcheck(lambda x, y: (U.meshgrid(x, y)[0] * U.meshgrid(x, y)[1]).sum(axis=0), [a, b])
    gradcheck(lambda x, y: U.meshgrid(x, y, indexing="xy")[0] ** 2, [a, b])


def test_meshgrid_bad_arguments():
    with _raises(ValueError, "meshgrid", "at least one"):
        U.meshgrid()
    with _raises(ValueError, "meshgrid", "tensors[1]", "(2, 2)"):
        U.meshgrid(lucid.Tensor([1.0]), lucid.Tensor(np.zeros((2, 2))))
    with _raises(ValueError, "meshgrid", "indexing", "'ji'"):
        U.meshgrid(lucid.Tensor([1.0]), indexing="ji")
    with _raises(TypeError, "meshgrid", "tensors[0]"):
        U.meshgrid(object())


# ============================================================================ roll
@pytest.mark.parametrize("shape, shifts, axis", [
    ((2, 3), 1, None), ((2, 3), -4, None), ((2, 3, 4), 2, 1), ((2, 3, 4), (1, -2), (0, -1)),
    ((2, 3, 4), (1, 1), (2, 2)), ((2, 3, 4), 7, -1), ((0, 3), 1, 1), ((3,), (2,), None),
])
def test_roll_matches_torch(torch, float_dtype, rng, shape, shifts, axis):
    x = rng.standard_normal(shape).astype(float_dtype)
    torch_parity(lambda t: U.roll(t, shifts, axis), lambda t: torch.roll(t, shifts, axis), [x])


def test_roll_0d_gradcheck_and_loop():
    x = lucid.Tensor(3.0, requires_grad=True)
    y = U.roll(x, 5)
    assert y.item() == 3.0
    y.backward()
    assert x.grad == 1.0
    v = [1, 2, 3, 4, 5]
    assert U.roll(lucid.Tensor(v), 2).tolist() == [v[(i - 2) % 5] for i in range(5)]
    gradcheck(lambda t: U.roll(t, (1, -1), (0, 1)) * lucid.Tensor(np.arange(12.0).reshape(3, 4)),
              [_f64((3, 4))])
    gradcheck(lambda t: U.roll(t, 3) ** 2, [_f64((3, 4), seed=2)])


def test_roll_bad_arguments():
    x = lucid.Tensor(np.zeros((2, 3)))
    with _raises(ValueError, "roll", "same length"):
        U.roll(x, (1, 2), axis=0)
    with _raises(ValueError, "roll", "same length"):
        U.roll(x, 1, axis=(0, 1))
    with _raises(ValueError, "roll", "axis=None", "(1, 2)"):
        U.roll(x, (1, 2))
    with _raises(ValueError, "roll", "axis 2", "ndim 2"):
        U.roll(x, 1, axis=2)
    with _raises(TypeError, "roll", "shifts", "1.5"):
        U.roll(x, 1.5)
    with _raises(TypeError, "roll", "axis"):
        U.roll(x, 1, axis="0")
    with _raises(ValueError, "roll", "shifts must not be empty"):
        U.roll(x, ())


# ====================================================================== tril, triu
@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("shape, diagonal", [((4, 4), 0), ((3, 5), 1), ((5, 3), -1),
                                             ((2, 3, 4), 2), ((2, 1, 3, 3), -5), ((0, 3), 0)])
def test_tril_triu_match_torch(torch, float_dtype, rng, name, shape, diagonal):
    x = rng.standard_normal(shape).astype(float_dtype)
    torch_parity(lambda t: getattr(U, name)(t, diagonal),
                 lambda t: getattr(torch, name)(t, diagonal), [x])


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_tril_triu_gradcheck_and_loop(name):
    gradcheck(lambda t: getattr(U, name)(t, 1) ** 2, [_f64((2, 3, 4))])
    x = np.arange(1, 13).reshape(3, 4)
    keep = (lambda i, j: j - i <= -1) if name == "tril" else (lambda i, j: j - i >= -1)
    want = [[x[i, j] if keep(i, j) else 0 for j in range(4)] for i in range(3)]
    assert getattr(U, name)(lucid.Tensor(x), -1).tolist() == want


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_tril_triu_bad_arguments(name):
    fn = getattr(U, name)
    with _raises(ValueError, name, "2 dimensions", "(3,)"):
        fn(lucid.Tensor([1.0, 2.0, 3.0]))
    with _raises(ValueError, name, "2 dimensions", "()"):
        fn(lucid.Tensor(1.0))
    with _raises(TypeError, name, "diagonal", "0.5"):
        fn(lucid.Tensor(np.zeros((2, 2))), 0.5)
    with _raises(TypeError, name, "diagonal", "True"):
        fn(lucid.Tensor(np.zeros((2, 2))), True)


def test_all_public_names_are_listed():
    for name in U.__all__:
        assert callable(getattr(U, name)) and getattr(U, name).__doc__
