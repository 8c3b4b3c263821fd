"""lucid.linalg: inv, det, solve, cholesky, norm, eig, qr, svd, matrix_power, pinv —
values and gradients against torch.linalg (float32 and float64), gradcheck in float64,
batches / 1x1 / empty batches, and every bad input."""
import re

import numpy as np
import pytest

import lucid
from helpers import torch_parity
from lucid.autograd import Function
from lucid.linalg import LinAlgError
from lucid.testing import assert_close, gradcheck

INF = float("inf")


def _matrix(rng, shape, dtype=np.float64):
    """A well-conditioned random (batch of) matrix: Gaussian plus n on the diagonal."""
    a = rng.standard_normal(shape)
    if shape[-1] == shape[-2]:
        a = a + shape[-1] * np.eye(shape[-1])
    return a.astype(dtype)


def _spd(rng, shape, dtype=np.float64):
    """A random symmetric positive-definite (batch of) matrix ``B B^T + n I``."""
    b = rng.standard_normal(shape)
    return (b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def _leaf(a):
    return lucid.Tensor(a, requires_grad=True)


def _multi_parity(torch, lucid_fn, torch_fn, arrays, rng, rtol=None, atol=None, seeds=None, phases=None):
    """Like ``torch_parity`` for functions returning a tuple: compare every output, then
    backpropagate a random seed through *all* outputs at once and compare gradients.

    ``phases(lucid_outputs, torch_outputs)`` may return, per output, the factor ``p``
    (broadcastable) with ``lucid = torch * p``: singular vectors and eigenvectors are
    defined up to a sign or phase, and two LAPACK builds may pick different ones. Torch
    then gets the seed ``seed * conj(p)``, which is the same loss as lucid's.
    """
    lt = [_leaf(a) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    lo, to = lucid_fn(*lt), torch_fn(*tt)
    assert len(lo) == len(to)
    tn = [t.detach().numpy() for t in to]
    factors = [1] * len(lo) if phases is None else phases([l.data for l in lo], tn)
    for l, t, p in zip(lo, tn, factors):
        assert_close(l, (t * p).astype(t.dtype), rtol=rtol, atol=atol)
    if seeds is None:
        seeds = [rng.standard_normal(l.shape).astype(l.dtype) for l in lo]
    for l, s in zip(lo, seeds):
        l.backward(s)
    torch.autograd.backward(list(to), [torch.tensor((s * np.conj(p)).astype(s.dtype))
                                       for s, p in zip(seeds, factors)])
    for l, t in zip(lt, tt):
        assert_close(l.grad, t.grad.numpy(), rtol=rtol, atol=atol)
    return lo


def _column_phases(ours, theirs):
    """Per column j, the unit factor ``p_j`` with ``ours[:, j] = theirs[:, j] * p_j``
    (a sign for real vectors, a phase for complex ones), shape ``(..., 1, k)``."""
    inner = np.sum(np.conj(theirs) * ours, axis=-2, keepdims=True)
    return inner / np.abs(inner)


def _svd_phases(ours, theirs):
    sign = _column_phases(ours[0], theirs[0])                  # (..., 1, m or k)
    k = ours[1].shape[-1]
    sign_rows = np.swapaxes(sign[..., :k], -1, -2)              # rows of Vh: the same signs
    if ours[2].shape[-2] > k:                                   # full_matrices: the complement
        sign_rows = np.concatenate(
            [sign_rows, np.swapaxes(_column_phases(np.swapaxes(ours[2], -1, -2),
                                                   np.swapaxes(theirs[2], -1, -2)), -1, -2)[..., k:, :]],
            axis=-2)
    return [sign, 1, sign_rows]


def _tol(dtype, f32=(1e-4, 1e-5)):
    return f32 if dtype == np.float32 else (1e-8, 1e-10)


class Sym(Function):
    """``(x + x^T) / 2`` (test helper): functions of a symmetric matrix, for gradcheck."""

    @staticmethod
    def forward(ctx, x):
        return (x + np.swapaxes(x, -1, -2)) / 2

    @staticmethod
    def backward(ctx, grad):
        return (grad + np.swapaxes(grad, -1, -2)) / 2


class ComplexAsReal(Function):
    """Complex ``z`` -> real ``[Re z, Im z]`` on a new last axis (test helper)."""

    @staticmethod
    def forward(ctx, z):
        return np.stack([z.real, z.imag], axis=-1)

    @staticmethod
    def backward(ctx, grad):
        return grad[..., 0] + 1j * grad[..., 1]


class AbsSquared(Function):
    """``|z|^2`` of a complex ``z``: real, independent of the phase of ``z`` (test helper)."""

    @staticmethod
    def forward(ctx, z):
        ctx.z = z
        return (z * np.conj(z)).real

    @staticmethod
    def backward(ctx, grad):
        return 2 * grad * ctx.z          # dL/dRe + i dL/dIm


SQUARE_SHAPES = [(3, 3), (2, 4, 4), (2, 1, 3, 3), (1, 1), (0, 3, 3)]


# -------------------------------------------------------------------------- inv
@pytest.mark.parametrize("shape", SQUARE_SHAPES)
def test_inv_matches_torch(torch, float_dtype, rng, shape):
    rtol, atol = _tol(float_dtype)
    out = torch_parity(lucid.linalg.inv, torch.linalg.inv, [_matrix(rng, shape, float_dtype)],
                       rtol=rtol, atol=atol)
    assert out.dtype == float_dtype and out.shape == shape


def test_inv_gradcheck(rng):
    assert gradcheck(lucid.linalg.inv, [_leaf(_matrix(rng, (2, 3, 3)))])


@pytest.mark.parametrize("name, call", [
    ("inv", lambda a: lucid.linalg.inv(a)),
    ("solve", lambda a: lucid.linalg.solve(a, np.ones(3))),
    ("matrix_power", lambda a: lucid.linalg.matrix_power(a, -2)),
])
def test_singular_matrix_raises_linalg_error(name, call):
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]])
    with pytest.raises(LinAlgError, match=rf"^{name}: the matrix is singular"):
        call(singular)
    with pytest.raises(np.linalg.LinAlgError):          # numpy's class catches it too
        call(np.zeros((2, 3, 3)))


# -------------------------------------------------------------------------- det
@pytest.mark.parametrize("shape", SQUARE_SHAPES + [(0, 0)])
def test_det_matches_torch(torch, float_dtype, rng, shape):
    rtol, atol = _tol(float_dtype)
    a = rng.standard_normal(shape).astype(float_dtype)
    out = torch_parity(lucid.linalg.det, torch.linalg.det, [a], rtol=rtol, atol=atol)
    assert out.shape == shape[:-2] and out.dtype == float_dtype


def test_det_gradcheck(rng):
    assert gradcheck(lucid.linalg.det, [_leaf(rng.standard_normal((2, 3, 3)))])


def test_det_gradient_of_a_singular_matrix_is_the_cofactor_matrix(rng):
    # rank n-1: the cofactor matrix is nonzero (PyTorch 2.13 returns zeros here)
    a = _leaf(np.array([[1.0, 2.0], [2.0, 4.0]]))
    lucid.linalg.det(a).backward()
    assert_close(a.grad, np.array([[4.0, -2.0], [-2.0, 1.0]]), atol=1e-12)
    # and it is the derivative: finite differences agree, rank n-1 and n-2, in a batch
    rank2 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    rank1 = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])
    batch = np.stack([rank2, rank1, _matrix(rng, (3, 3))])
    assert gradcheck(lucid.linalg.det, [_leaf(batch)])


# ------------------------------------------------------------------------ solve
_SOLVE_SHAPES = [
    ((3, 3), (3,)),            # one vector
    ((3, 3), (3, 2)),          # several right-hand sides
    ((2, 3, 3), (2, 3)),       # batch of vectors: b.shape == a.shape[:-1]
    ((2, 3, 3), (3,)),         # one vector for the whole batch
    ((2, 3, 3), (2, 3, 4)),
    ((3, 3), (2, 3, 2)),       # one matrix a for a batch of b
    ((2, 1, 3, 3), (4, 3, 2)),  # batch broadcasting on both sides
    ((1, 1), (1, 1)),
    ((0, 3, 3), (0, 3, 2)),
]


@pytest.mark.parametrize("shape_a, shape_b", _SOLVE_SHAPES)
def test_solve_matches_torch(torch, float_dtype, rng, shape_a, shape_b):
    rtol, atol = _tol(float_dtype)
    a, b = _matrix(rng, shape_a, float_dtype), rng.standard_normal(shape_b).astype(float_dtype)
    torch_parity(lucid.linalg.solve, torch.linalg.solve, [a, b], rtol=rtol, atol=atol)


@pytest.mark.parametrize("shape_a, shape_b", [((3, 3), (3,)), ((2, 3, 3), (2, 3)), ((2, 1, 3, 3), (2, 3, 2))])
def test_solve_gradcheck(rng, shape_a, shape_b):
    a, b = _matrix(rng, shape_a), rng.standard_normal(shape_b)
    assert gradcheck(lucid.linalg.solve, [_leaf(a), _leaf(b)])


def test_solve_bad_shapes():
    with pytest.raises(ValueError, match=r"solve: b must have n = 3 rows to match a of shape \(3, 3\); "
                                         r"got b of shape \(2,\)"):
        lucid.linalg.solve(np.eye(3), np.ones(2))
    with pytest.raises(ValueError, match=r"solve: b must have n = 3 rows .* got b of shape \(2, 4\)"):
        lucid.linalg.solve(np.eye(3), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"solve: the batch shapes of a \(2, 3, 3\) and b \(4, 3, 1\) "
                                         r"cannot be broadcast"):
        lucid.linalg.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1)))
    with pytest.raises(ValueError, match="solve: b must be a vector .* 0-d"):
        lucid.linalg.solve(np.eye(3), np.float64(1.0))
    with pytest.raises(TypeError, match="solve: b must have a floating dtype .float32 or float64.; got int64"):
        lucid.linalg.solve(np.eye(3), np.ones(3, dtype=np.int64))


# --------------------------------------------------------------------- cholesky
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1), (0, 2, 2)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_torch(torch, float_dtype, rng, shape, upper):
    rtol, atol = _tol(float_dtype)
    torch_parity(lambda a: lucid.linalg.cholesky(a, upper=upper),
                 lambda a: torch.linalg.cholesky(a, upper=upper),
                 [_spd(rng, shape, float_dtype)], rtol=rtol, atol=atol)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_gradcheck(rng, upper):
    # cholesky reads one triangle only: check it as a function of a symmetric matrix
    a = _leaf(_spd(rng, (2, 3, 3)))
    assert gradcheck(lambda x: lucid.linalg.cholesky(Sym.apply(x), upper=upper), [a])


def test_cholesky_not_positive_definite():
    with pytest.raises(LinAlgError, match=r"^cholesky: the matrix is not positive-definite"):
        lucid.linalg.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(TypeError, match="cholesky: upper must be a bool; got 1"):
        lucid.linalg.cholesky(np.eye(2), upper=1)


# --------------------------------------------------------------------------- qr
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4), (2, 4, 3), (3, 2, 5), (1, 1), (0, 3, 2)])
def test_qr_matches_torch(torch, float_dtype, rng, shape):
    rtol, atol = _tol(float_dtype, (1e-4, 1e-4))
    a = rng.standard_normal(shape).astype(float_dtype)
    q, r = _multi_parity(torch, lucid.linalg.qr, torch.linalg.qr, [a], rng, rtol, atol)
    k = min(shape[-2:])
    assert q.shape == shape[:-1] + (k,) and r.shape == shape[:-2] + (k, shape[-1])


@pytest.mark.parametrize("shape", [(3, 3), (2, 4)])
def test_qr_complete_matches_torch(torch, rng, shape):
    a = rng.standard_normal(shape)
    _multi_parity(torch, lambda x: lucid.linalg.qr(x, mode="complete"),
                  lambda x: torch.linalg.qr(x, mode="complete"), [a], rng, 1e-8, 1e-10)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4)])
@pytest.mark.parametrize("which", [0, 1])
def test_qr_gradcheck(rng, shape, which):
    assert gradcheck(lambda x: lucid.linalg.qr(x)[which], [_leaf(rng.standard_normal(shape))])


def test_qr_complete_tall_is_not_differentiable(rng):
    a = _leaf(rng.standard_normal((4, 2)))
    q, r = lucid.linalg.qr(a, mode="complete")
    assert q.shape == (4, 4) and r.shape == (4, 2)
    with pytest.raises(RuntimeError, match="qr: the QR decomposition is not differentiable with mode='complete'"):
        q.backward(np.ones((4, 4)))
    with pytest.raises(ValueError, match="qr: mode must be 'reduced' or 'complete'; got 'r'"):
        lucid.linalg.qr(a, mode="r")


# -------------------------------------------------------------------------- svd
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4), (2, 4, 3), (3, 2, 5), (1, 1)])
@pytest.mark.parametrize("full_matrices", [False, True])
def test_svd_matches_torch(torch, float_dtype, rng, shape, full_matrices):
    rtol, atol = _tol(float_dtype, (1e-3, 1e-4))
    a = rng.standard_normal(shape).astype(float_dtype)
    k = min(shape[-2:])
    u_shape = shape[:-1] + ((shape[-2],) if full_matrices else (k,))
    vh_shape = shape[:-2] + ((shape[-1],) if full_matrices else (k,)) + (shape[-1],)
    seeds = [rng.standard_normal(s).astype(float_dtype) for s in (u_shape, shape[:-2] + (k,), vh_shape)]
    seeds[0][..., :, k:] = 0          # the complement's vectors are arbitrary: no loss on them
    seeds[2][..., k:, :] = 0
    u, s, vh = _multi_parity(torch, lambda x: lucid.linalg.svd(x, full_matrices=full_matrices),
                             lambda x: torch.linalg.svd(x, full_matrices=full_matrices), [a], rng,
                             rtol, atol, seeds, _svd_phases)
    assert (u.shape, s.shape, vh.shape) == (u_shape, shape[:-2] + (k,), vh_shape)


def test_svd_empty_batch_and_shapes(torch, rng):
    u, s, vh = lucid.linalg.svd(_leaf(np.zeros((0, 3, 2))), full_matrices=False)
    assert (u.shape, s.shape, vh.shape) == ((0, 3, 2), (0, 2), (0, 2, 2))
    u, s, vh = lucid.linalg.svd(np.ones((2, 5, 3), np.float32))
    assert (u.shape, s.shape, vh.shape) == ((2, 5, 5), (2, 3), (2, 3, 3)) and s.dtype == np.float32


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4)])
@pytest.mark.parametrize("which", [0, 1, 2])
def test_svd_gradcheck(rng, shape, which):
    a = _leaf(rng.standard_normal(shape))
    assert gradcheck(lambda x: lucid.linalg.svd(x, full_matrices=False)[which], [a])


def test_svd_singular_values_differentiable_at_repeated_values(torch):
    # the identity has equal singular values: S alone still has a gradient (U V^T)
    torch_parity(lambda x: lucid.linalg.svd(x)[1], lambda x: torch.linalg.svd(x)[1],
                 [np.eye(3)], rtol=1e-10, atol=1e-12)


# -------------------------------------------------------------------------- eig
_REAL_EIGEN = np.array([[4.0, 1.0, 0.5], [0.3, 2.0, 0.2], [0.1, 0.4, -1.0]])
_COMPLEX_EIGEN = np.array([[0.5, -2.0, 0.3], [1.5, 0.2, 0.1], [0.4, 0.3, 1.0]])


def _phase_free(v, g):
    """Remove from ``g`` the part along ``i v`` (phase changes), so the loss
    ``Re <g, v>`` does not depend on the phases of the columns of ``v``."""
    diag = np.einsum("...ij,...ij->...j", np.conj(v), g)
    return g - v * (1j * diag.imag)[..., None, :]


@pytest.mark.parametrize("a", [_REAL_EIGEN, _COMPLEX_EIGEN, np.stack([_REAL_EIGEN, _COMPLEX_EIGEN]),
                               np.array([[2.0]])], ids=["real", "complex", "batch", "1x1"])
def test_eig_matches_torch(torch, float_dtype, rng, a):
    rtol, atol = _tol(float_dtype, (1e-4, 1e-5))
    a = a.astype(float_dtype)
    w, v = lucid.linalg.eig(a)
    cdtype = np.complex64 if float_dtype == np.float32 else np.complex128
    assert w.dtype == cdtype and v.dtype == cdtype
    seeds = [rng.standard_normal(w.shape) + 1j * rng.standard_normal(w.shape),
             rng.standard_normal(v.shape) + 1j * rng.standard_normal(v.shape)]
    seeds = [seeds[0].astype(cdtype), _phase_free(v.data, seeds[1]).astype(cdtype)]
    _multi_parity(torch, lucid.linalg.eig, torch.linalg.eig, [a], rng, rtol, atol, seeds,
                  lambda ours, theirs: [1, _column_phases(ours[1], theirs[1])])


@pytest.mark.parametrize("a", [_REAL_EIGEN, _COMPLEX_EIGEN], ids=["real", "complex"])
def test_eig_gradcheck(a):
    x = _leaf(a)
    assert gradcheck(lambda t: ComplexAsReal.apply(lucid.linalg.eig(t)[0]), [x])
    assert gradcheck(lambda t: AbsSquared.apply(lucid.linalg.eig(t)[1]), [x])


def test_eig_phase_dependent_loss_raises(torch):
    a = _leaf(_COMPLEX_EIGEN)
    w, v = lucid.linalg.eig(a)
    seed = 1j * np.ones(v.shape)          # Im(sum v): changes with the phases of v
    with pytest.raises(RuntimeError, match="eig: the eigenvectors are defined only up to a phase"):
        v.backward(seed)
    tv = torch.linalg.eig(torch.tensor(_COMPLEX_EIGEN, requires_grad=True))[1]
    with pytest.raises(RuntimeError):     # torch refuses this loss too
        tv.backward(torch.tensor(seed))


def test_eig_repeated_eigenvalues():
    # eigenvalues alone: differentiable; eigenvectors: not (inf / nan, as torch)
    a = _leaf(np.eye(2))
    w, v = lucid.linalg.eig(a)
    w.backward(np.array([1.0, 2.0], dtype=complex))
    assert_close(a.grad, np.diag([1.0, 2.0]))
    a.grad = None
    v.backward(np.array([[0.0, 1.0], [1.0, 0.0]], dtype=complex))
    assert not np.isfinite(a.grad).all()


# ------------------------------------------------------------------------- norm
_NORM_CASES = [  # (shape, ord, axis, keepdims)
    ((5,), None, None, False),
    ((3, 4), None, None, False),
    ((2, 3, 4), None, None, True),
    ((2, 3, 4), None, 1, False),
    ((2, 3, 4), None, (0, 2), False),
    ((5,), 1, None, False),
    ((5,), INF, None, False),
    ((5,), -INF, None, False),
    ((2, 3, 4), 1, -1, True),
    ((2, 3, 4), 2, 0, False),
    ((2, 3, 4), INF, 1, False),
    ((3, 4), "fro", None, False),
    ((3, 4), "nuc", None, False),
    ((3, 4), 1, None, False),
    ((3, 4), -1, None, True),
    ((3, 4), 2, None, False),
    ((4, 3), -2, None, False),
    ((3, 4), INF, None, False),
    ((3, 4), -INF, None, False),
    ((2, 3, 4), "nuc", (2, 0), True),
    ((2, 3, 4), 2, (-1, -2), False),
    ((2, 3, 4), 1, (0, 2), True),
    ((2, 3, 4), -INF, (2, 1), False),
    ((2, 3, 4), "fro", (1, 2), True),
    ((), None, None, False),
]


@pytest.mark.parametrize("shape, ord, axis, keepdims", _NORM_CASES)
def test_norm_matches_torch(torch, float_dtype, rng, shape, ord, axis, keepdims):
    rtol, atol = _tol(float_dtype, (1e-4, 1e-5))
    x = rng.standard_normal(shape).astype(float_dtype)
    out = torch_parity(lambda t: lucid.linalg.norm(t, ord=ord, axis=axis, keepdims=keepdims),
                       lambda t: torch.linalg.norm(t, ord=ord, dim=axis, keepdim=keepdims),
                       [x], rtol=rtol, atol=atol)
    assert out.dtype == float_dtype


@pytest.mark.parametrize("shape, ord, axis, keepdims", [c for c in _NORM_CASES if c[0] != ()])
def test_norm_gradcheck(rng, shape, ord, axis, keepdims):
    x = _leaf(rng.standard_normal(shape))
    assert gradcheck(lambda t: lucid.linalg.norm(t, ord=ord, axis=axis, keepdims=keepdims), [x])


@pytest.mark.parametrize("x, ord, axis", [
    (np.zeros(3), None, None),                        # 2-norm at 0: gradient 0
    (np.zeros((2, 3)), "fro", None),
    (np.array([1.0, -3.0, 3.0, 0.0]), INF, None),     # tied maxima share the gradient
    (np.array([0.0, -1.0, 2.0]), 1, None),            # sign(0) = 0
    (np.array([[1.0, -2.0], [-2.0, 1.0]]), 1, None),  # tied column sums
    (np.array([[1.0, 2.0], [-2.0, 1.0]]), -INF, None),
    (np.eye(3), 2, None),                             # repeated singular values
])
def test_norm_special_points_match_torch(torch, x, ord, axis):
    torch_parity(lambda t: lucid.linalg.norm(t, ord=ord, axis=axis),
                 lambda t: torch.linalg.norm(t, ord=ord, dim=axis),
                 [x], rtol=1e-10, atol=1e-12, out_grad=np.array(1.5))


def test_norm_bad_arguments():
    x = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match="norm: ord of a vector norm must be 1, 2, inf or -inf; got 'nuc'"):
        lucid.linalg.norm(x, ord="nuc", axis=1)
    with pytest.raises(ValueError, match="norm: ord of a matrix norm must be .*; got 3"):
        lucid.linalg.norm(x, ord=3, axis=(0, 1))
    with pytest.raises(ValueError, match=re.escape("norm: with ord=inf and axis=None, a must be 1-D "
                                                   "(vector norm) or 2-D (matrix norm); got shape (2, 3, 4)")):
        lucid.linalg.norm(x, ord=INF)
    with pytest.raises(ValueError, match="norm: axis must be one axis .* or two .*; got"):
        lucid.linalg.norm(x, axis=(0, 1, 2))
    with pytest.raises(ValueError, match="norm: axis 3 is out of range for a tensor with ndim 3"):
        lucid.linalg.norm(x, axis=3)
    with pytest.raises(ValueError, match="norm: repeated axis"):
        lucid.linalg.norm(x, axis=(1, -2))
    with pytest.raises(ValueError, match="norm: ord=inf needs a non-empty axis"):
        lucid.linalg.norm(np.ones((2, 0)), ord=INF, axis=1)
    with pytest.raises(TypeError, match="norm: keepdims must be a bool; got 1"):
        lucid.linalg.norm(x, keepdims=1)
    with pytest.raises(TypeError, match="norm: ord must be None, a number, 'fro' or 'nuc'; got True"):
        lucid.linalg.norm(x, ord=True)
    with pytest.raises(TypeError, match="norm: a must have a floating dtype .float32 or float64.; got int64"):
        lucid.linalg.norm(np.ones(3, dtype=np.int64))


# ----------------------------------------------------------------- matrix_power
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 6, -1, -3])
@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2), (1, 1)])
def test_matrix_power_matches_torch(torch, float_dtype, rng, n, shape):
    rtol, atol = _tol(float_dtype, (1e-4, 1e-5))
    a = (_matrix(rng, shape) / shape[-1]).astype(float_dtype)     # entries near 1: powers stay small
    torch_parity(lambda t: lucid.linalg.matrix_power(t, n), lambda t: torch.linalg.matrix_power(t, n),
                 [a], rtol=rtol, atol=atol)


@pytest.mark.parametrize("n", [0, 1, 2, 5, -2])
def test_matrix_power_gradcheck(rng, n):
    a = _leaf(_matrix(rng, (2, 3, 3)) / 3)
    assert gradcheck(lambda t: lucid.linalg.matrix_power(t, n), [a])


def test_matrix_power_empty_batch():
    y = lucid.linalg.matrix_power(_leaf(np.zeros((0, 2, 2))), 3)
    assert y.shape == (0, 2, 2)


def test_matrix_power_bad_n():
    with pytest.raises(TypeError, match="matrix_power: n must be an int; got 2.0"):
        lucid.linalg.matrix_power(np.eye(2), 2.0)
    with pytest.raises(TypeError, match="matrix_power: n must be an int; got True"):
        lucid.linalg.matrix_power(np.eye(2), True)


# ------------------------------------------------------------------------- pinv
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5), (2, 4, 3), (1, 1)])
def test_pinv_matches_torch(torch, float_dtype, rng, shape):
    rtol, atol = _tol(float_dtype, (1e-3, 1e-4))
    a = rng.standard_normal(shape).astype(float_dtype)
    torch_parity(lucid.linalg.pinv, torch.linalg.pinv, [a], rtol=rtol, atol=atol)


def test_pinv_rank_deficient_and_tolerances_match_torch(torch, rng):
    low_rank = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 3))     # rank 2
    torch_parity(lucid.linalg.pinv, torch.linalg.pinv, [low_rank], rtol=1e-7, atol=1e-8)
    a = np.diag([3.0, 1.0, 0.01])
    for atol, rtol in [(0.5, None), (None, 0.1), (0.005, 0.2), (0.0, 0.0)]:
        torch_parity(lambda t: lucid.linalg.pinv(t, atol=atol, rtol=rtol),
                     lambda t: torch.linalg.pinv(t, atol=atol, rtol=rtol), [a], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5)])
def test_pinv_gradcheck(rng, shape):
    assert gradcheck(lucid.linalg.pinv, [_leaf(rng.standard_normal(shape))])


def test_pinv_bad_tolerances():
    with pytest.raises(ValueError, match="pinv: atol must be >= 0; got -1"):
        lucid.linalg.pinv(np.eye(2), atol=-1)
    with pytest.raises(TypeError, match="pinv: rtol must be a number or None; got '1'"):
        lucid.linalg.pinv(np.eye(2), rtol="1")


# ------------------------------------------------------- shared argument checks
_SQUARE_FUNCTIONS = {
    "inv": lucid.linalg.inv,
    "det": lucid.linalg.det,
    "cholesky": lucid.linalg.cholesky,
    "eig": lucid.linalg.eig,
    "matrix_power": lambda a: lucid.linalg.matrix_power(a, 2),
    "solve": lambda a: lucid.linalg.solve(a, np.ones(3)),
}
_MATRIX_FUNCTIONS = {
    "qr": lucid.linalg.qr,
    "svd": lucid.linalg.svd,
    "pinv": lucid.linalg.pinv,
}


@pytest.mark.parametrize("name", sorted(_SQUARE_FUNCTIONS))
@pytest.mark.parametrize("shape", [(2, 3), (3,), (2, 3, 2)])
def test_square_functions_refuse_other_shapes(name, shape):
    with pytest.raises(ValueError, match=re.escape(
            f"{name}: a must be a square matrix or a batch of square matrices of shape (..., n, n); "
            f"got shape {shape}")):
        _SQUARE_FUNCTIONS[name](np.ones(shape))


@pytest.mark.parametrize("name", sorted(_MATRIX_FUNCTIONS))
def test_matrix_functions_refuse_vectors(name):
    with pytest.raises(ValueError, match=re.escape(f"{name}: a must be a matrix or a batch of matrices "
                                                   "of shape (..., m, n); got shape (3,)")):
        _MATRIX_FUNCTIONS[name](np.ones(3))


@pytest.mark.parametrize("name", sorted({**_SQUARE_FUNCTIONS, **_MATRIX_FUNCTIONS}))
@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.float16])
def test_functions_refuse_non_float_dtypes(name, dtype):
    fn = {**_SQUARE_FUNCTIONS, **_MATRIX_FUNCTIONS}[name]
    with pytest.raises(TypeError, match=f"{name}: a must have a floating dtype .float32 or float64.; got {np.dtype(dtype)}"):
        fn(np.eye(3, dtype=dtype))


def test_float32_in_float32_out(rng):
    a = _leaf(_matrix(rng, (3, 3), np.float32))
    outs = [lucid.linalg.inv(a), lucid.linalg.det(a), lucid.linalg.pinv(a), lucid.linalg.norm(a),
            lucid.linalg.matrix_power(a, 2), *lucid.linalg.qr(a), *lucid.linalg.svd(a)]
    assert all(o.dtype == np.float32 for o in outs)
    for o in outs:
        o.backward(np.ones(o.shape, np.float32))
    assert a.grad.dtype == np.float32


def test_no_graph_without_requires_grad(rng):
    a = lucid.Tensor(_matrix(rng, (3, 3)))
    assert not lucid.linalg.inv(a).requires_grad
    assert not any(t.requires_grad for t in lucid.linalg.svd(a))
