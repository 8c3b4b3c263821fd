"""Kernel exercises: a function of a reference twin (``lucid/_ext/<family>.py``).

The student's file is the reference module itself with the chosen functions' bodies
removed, so copying ``lucid/_ext/conv.py`` over it is a full solution. In the child the
student's function joins the compiled twin's others in one module, which
``lucid.kernels.use(module, family=...)`` makes the active twin: while one kernel is
graded every other kernel is the compiled one, so one bug never costs points twice.

Oracles, in the grading process: the compiled twin (the reference twin where it is not
built), PyTorch where installed, central differences of the forward kernel for the
kernels that are gradients (gradcheck), and the compiled twin's own argument checks
for the bad inputs (``lucid/_ext/_checks.py``): the student must raise what it raises.
"""
import contextlib
import functools
import inspect
import math
import types

import numpy as np

from lucid import _ext
from lucid._ext._sizes import conv_output_size, conv_transpose_output_size, pool_output_size
from lucid.course import _compare, _wire
from lucid.course._exercise import SEED_BASE, Case, Exercise, array_size

__all__ = ["KernelExercise", "EXERCISES"]

FLOATS = (np.float32, np.float64)


def oracle_twin(family):
    """The compiled twin of ``family`` (the reference where it is not built), and its name."""
    _ext._load(family)
    if _ext.compiled_available(family):
        return _ext._compiled[family], "compiled twin"
    return _ext._reference[family], "reference twin (the compiled one is not built)"


def _ints(values):
    return tuple(int(v) for v in values)


def _describe_call(function, names, args):
    parts = []
    for name, value in zip(names, args):
        shown = _compare.describe(value) if isinstance(value, np.ndarray) else repr(value)
        parts.append(f"{name}={shown}")
    return f"{function}({', '.join(parts)})"


# ----------------------------------------------------------------- configurations
def _conv_geometry(rng, d):
    K = _ints(rng.integers(1, 4, d))
    s = _ints(rng.integers(1, 3, d))
    p = _ints(rng.integers(0, 2, d))
    dil = _ints(rng.integers(1, 3, d))
    S = _ints(max(1, di * (k - 1) + 1 - 2 * pi) + rng.integers(0, 4)
              for k, pi, di in zip(K, p, dil))
    O = _ints(conv_output_size(*a) for a in zip(S, K, s, p, dil))
    return K, s, p, dil, S, O


def _conv_sizes(rng, small=False):
    d = int(rng.choice([1, 2]) if small else rng.choice([1, 1, 2, 2, 3]))
    G = int(rng.choice([1, 1, 2]))
    N = int(rng.integers(1, 3))
    C_in = G * int(rng.integers(1, 3))
    C_out = G * int(rng.integers(1, 3))
    return d, G, N, C_in, C_out


def make_conv_forward(rng, dtype, small=False):
    d, G, N, C_in, C_out = _conv_sizes(rng, small)
    K, s, p, dil, S, O = _conv_geometry(rng, d)
    x = rng.standard_normal((N, C_in, *S)).astype(dtype)
    w = rng.standard_normal((C_out, C_in // G, *K)).astype(dtype)
    return (x, w, s, p, dil, G)


def make_conv_weight_grad(rng, dtype, small=False):
    d, G, N, C_in, C_out = _conv_sizes(rng, small)
    K, s, p, dil, S, O = _conv_geometry(rng, d)
    x = rng.standard_normal((N, C_in, *S)).astype(dtype)
    grad_y = rng.standard_normal((N, C_out, *O)).astype(dtype)
    return (x, grad_y, K, s, p, dil, G)


def make_conv_transpose_forward(rng, dtype, small=False):
    d, G, N, C_in, C_out = _conv_sizes(rng, small)
    while True:
        K = _ints(rng.integers(1, 4, d))
        s = _ints(rng.integers(1, 3, d))
        p = _ints(rng.integers(0, 2, d))
        dil = _ints(rng.integers(1, 3, d))
        op = _ints(rng.integers(0, max(si, di)) for si, di in zip(s, dil))
        S = _ints(rng.integers(1, 4, d))
        O = [conv_transpose_output_size(*a) for a in zip(S, K, s, p, op, dil)]
        if min(O) >= 1:
            break
    x = rng.standard_normal((N, C_in, *S)).astype(dtype)
    w = rng.standard_normal((C_in, C_out // G, *K)).astype(dtype)
    return (x, w, s, p, op, dil, G)


def make_unfold(rng, dtype, small=False):
    d = int(rng.choice([1, 2]) if small else rng.choice([1, 2, 2, 3]))
    K, s, p, dil, S, O = _conv_geometry(rng, d)
    x = rng.standard_normal((int(rng.integers(1, 3)), int(rng.integers(1, 3)), *S)).astype(dtype)
    return (x, K, s, p, dil)


def make_fold(rng, dtype, small=False):
    d = int(rng.choice([1, 2]) if small else rng.choice([1, 2, 2, 3]))
    K, s, p, dil, S, O = _conv_geometry(rng, d)
    N, C = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    cols = rng.standard_normal((N, C * math.prod(K), math.prod(O))).astype(dtype)
    return (cols, S, K, s, p, dil)


def _pool_geometry(rng, d, dilation=True):
    while True:
        K = _ints(rng.integers(1, 4, d))
        s = _ints(rng.integers(1, 3, d))
        p = _ints(rng.integers(0, k // 2 + 1) for k in K)
        dil = _ints(rng.integers(1, 3, d)) if dilation else (1,) * d
        ceil_mode = bool(rng.integers(0, 2))
        S = _ints(rng.integers(1, 6, d))
        O = [pool_output_size(*a, ceil_mode) for a in zip(S, K, s, p, dil)]
        if min(O) >= 1:
            return K, s, p, dil, ceil_mode, S, _ints(O)


def _pool_values(rng, shape, dtype):
    """Random values; one case in three has ties (small integers), one in six a NaN."""
    style = int(rng.integers(0, 6))
    if style < 2:
        x = rng.integers(-2, 3, shape).astype(dtype)
    else:
        x = rng.standard_normal(shape).astype(dtype)
    if style == 5 and x.size:
        x.reshape(-1)[int(rng.integers(0, x.size))] = np.nan
    return x


def make_max_pool_forward(rng, dtype, small=False):
    d = int(rng.integers(1, 3) if small else rng.integers(1, 4))
    K, s, p, dil, ceil_mode, S, O = _pool_geometry(rng, d)
    x = _pool_values(rng, (int(rng.integers(1, 3)), int(rng.integers(1, 3)), *S), dtype)
    return (x, K, s, p, dil, ceil_mode)


def make_max_pool_backward(rng, dtype, small=False):
    d = int(rng.integers(1, 4))
    K, s, p, dil, ceil_mode, S, O = _pool_geometry(rng, d)
    N, C = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    grad_y = rng.standard_normal((N, C, *O)).astype(dtype)
    argmax = rng.integers(-1, math.prod(S), (N, C, *O)).astype(np.int64)
    return (grad_y, argmax, (N, C, *S))


def _avg_options(rng):
    count_include_pad = bool(rng.integers(0, 2))
    divisor_override = None if rng.integers(0, 4) else int(rng.integers(1, 5))
    return count_include_pad, divisor_override


def make_avg_pool_forward(rng, dtype, small=False):
    d = int(rng.integers(1, 3) if small else rng.integers(1, 4))
    K, s, p, _, ceil_mode, S, O = _pool_geometry(rng, d, dilation=False)
    x = rng.standard_normal((int(rng.integers(1, 3)), int(rng.integers(1, 3)), *S)).astype(dtype)
    return (x, K, s, p, ceil_mode, *_avg_options(rng))


def make_avg_pool_backward(rng, dtype, small=False):
    d = int(rng.integers(1, 4))
    K, s, p, _, ceil_mode, S, O = _pool_geometry(rng, d, dilation=False)
    N, C = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    grad_y = rng.standard_normal((N, C, *O)).astype(dtype)
    return (grad_y, (N, C, *S), K, s, p, ceil_mode, *_avg_options(rng))


def _shape(rng, low=0):
    return _ints(rng.integers(1, 5, int(rng.integers(low, 4))))


def make_relu_forward(rng, dtype, small=False):
    x = np.asarray(rng.standard_normal(_shape(rng)), dtype=dtype)
    if x.size and rng.integers(0, 3) == 0:
        x.reshape(-1)[int(rng.integers(0, x.size))] = 0
    if x.size and rng.integers(0, 4) == 0:
        x.reshape(-1)[int(rng.integers(0, x.size))] = np.nan
    return (x,)


def make_relu_backward(rng, dtype, small=False):
    shape = _shape(rng)
    return (np.asarray(rng.standard_normal(shape), dtype=dtype),
            np.asarray(rng.integers(0, 2, shape), dtype=bool))


def make_erf(rng, dtype, small=False):
    x = np.asarray(rng.standard_normal(_shape(rng)) * rng.choice([0.5, 2.0, 5.0]), dtype=dtype)
    return (x,)


def make_scatter_add(rng, dtype, small=False):
    M, K, n = int(rng.integers(1, 6)), int(rng.integers(1, 5)), int(rng.integers(0, 9))
    target = rng.standard_normal((M, K)).astype(dtype)
    index = rng.integers(0, M, n).astype(np.int64)
    return (target, index, rng.standard_normal((n, K)).astype(dtype))


# --------------------------------------------------------------------- gradchecks
# Each returns (f, x, g, args): the student's kernel called with ``args`` must equal
# d<f(x), g>/dx, computed by central differences of ``f`` (a forward kernel of the
# oracle twin) in float64.
def grad_conv_forward(twin, rng):
    """conv_forward is the input gradient of conv_transpose (output_padding 0)."""
    d, G, N, C_in, C_out = _conv_sizes(rng, small=True)
    K, s, p, dil, S, O = _conv_geometry(rng, d)
    w = rng.standard_normal((C_out, C_in // G, *K))
    x = rng.standard_normal((N, C_out, *O))      # conv_transpose's input
    f = lambda v: twin.conv_transpose_forward(v, w, s, p, (0,) * d, dil, G)  # noqa: E731
    g = rng.standard_normal(f(x).shape)
    return f, x, g, (g, w, s, p, dil, G)


def grad_conv_weight_grad(twin, rng):
    x, grad_y, K, s, p, dil, G = make_conv_weight_grad(rng, np.float64, small=True)
    w = rng.standard_normal((grad_y.shape[1], x.shape[1] // G, *K))
    f = lambda v: twin.conv_forward(x, v, s, p, dil, G)  # noqa: E731
    return f, w, grad_y, (x, grad_y, K, s, p, dil, G)


def grad_conv_transpose_forward(twin, rng):
    """conv_transpose_forward is the input gradient of conv_forward."""
    x, w, s, p, dil, G = make_conv_forward(rng, np.float64, small=True)
    f = lambda v: twin.conv_forward(v, w, s, p, dil, G)  # noqa: E731
    g = rng.standard_normal(f(x).shape)
    K = w.shape[2:]
    op = _ints(S - conv_transpose_output_size(o, k, si, pi, 0, di)
               for S, o, k, si, pi, di in zip(x.shape[2:], g.shape[2:], K, s, p, dil))
    return f, x, g, (g, w, s, p, op, dil, G)


def grad_unfold(twin, rng):
    """unfold is the gradient of fold."""
    cols, S, K, s, p, dil = make_fold(rng, np.float64, small=True)
    f = lambda v: twin.fold(v, S, K, s, p, dil)  # noqa: E731
    g = rng.standard_normal(f(cols).shape)
    return f, cols, g, (g, K, s, p, dil)


def grad_fold(twin, rng):
    """fold is the gradient of unfold."""
    x, K, s, p, dil = make_unfold(rng, np.float64, small=True)
    f = lambda v: twin.unfold(v, K, s, p, dil)  # noqa: E731
    g = rng.standard_normal(f(x).shape)
    return f, x, g, (g, tuple(x.shape[2:]), K, s, p, dil)


def grad_max_pool_backward(twin, rng):
    d = int(rng.integers(1, 3))
    K, s, p, dil, ceil_mode, S, O = _pool_geometry(rng, d, dilation=False)
    x = rng.standard_normal((1, int(rng.integers(1, 3)), *S))
    y, argmax = twin.max_pool_forward(x, K, s, p, dil, ceil_mode)
    f = lambda v: twin.max_pool_forward(v, K, s, p, dil, ceil_mode)[0]  # noqa: E731
    g = rng.standard_normal(y.shape)
    return f, x, g, (g, argmax, tuple(x.shape))


def grad_avg_pool_backward(twin, rng):
    x, K, s, p, ceil_mode, cip, div = make_avg_pool_forward(rng, np.float64, small=True)
    f = lambda v: twin.avg_pool_forward(v, K, s, p, ceil_mode, cip, div)  # noqa: E731
    g = rng.standard_normal(f(x).shape)
    return f, x, g, (g, tuple(x.shape), K, s, p, ceil_mode, cip, div)


def grad_relu_backward(twin, rng):
    x = rng.standard_normal(_shape(rng, low=1))
    x[np.abs(x) < 0.1] += 0.5                  # away from the kink
    _, passes = twin.relu_forward(x)
    f = lambda v: twin.relu_forward(v)[0]  # noqa: E731
    g = rng.standard_normal(x.shape)
    return f, x, g, (g, passes)


def grad_scatter_add(twin, rng):
    """scatter_add is the gradient of gathering rows, ``y = x[index]``."""
    _, index, values = make_scatter_add(rng, np.float64)
    M = int(index.max()) + 1 if index.size else 1
    x = rng.standard_normal((M, values.shape[1]))
    f = lambda v: v[index]  # noqa: E731
    return f, x, values, (np.zeros_like(x), index, values)


# ------------------------------------------------------------------------ PyTorch
def _t(torch, a):
    return torch.from_numpy(a if a.flags.c_contiguous else a.copy(order="C"))  # keeps 0-d


def _conv_fn(torch, name, d):
    return getattr(torch.nn.functional, f"{name}{d}d")


def torch_conv_forward(torch, x, w, s, p, dil, G):
    return [_conv_fn(torch, "conv", x.ndim - 2)(_t(torch, x), _t(torch, w), None, s, p, dil, G)]


def torch_conv_weight_grad(torch, x, grad_y, K, s, p, dil, G):
    fn = getattr(torch.nn.grad, f"conv{x.ndim - 2}d_weight")
    shape = (grad_y.shape[1], x.shape[1] // G, *K)
    return [fn(_t(torch, x), shape, _t(torch, grad_y), s, p, dil, G)]


def torch_conv_transpose_forward(torch, x, w, s, p, op, dil, G):
    fn = _conv_fn(torch, "conv_transpose", x.ndim - 2)
    return [fn(_t(torch, x), _t(torch, w), None, s, p, op, G, dil)]


def torch_unfold(torch, x, K, s, p, dil):
    if x.ndim != 4:
        return None                              # PyTorch unfolds 4-d inputs only
    return [torch.nn.functional.unfold(_t(torch, x), K, dil, p, s)]


def torch_fold(torch, cols, S, K, s, p, dil):
    if len(S) != 2:
        return None
    return [torch.nn.functional.fold(_t(torch, cols), S, K, dil, p, s)]


def torch_max_pool_forward(torch, x, K, s, p, dil, ceil_mode):
    fn = getattr(torch.nn.functional, f"max_pool{x.ndim - 2}d")
    y, i = fn(_t(torch, x), K, s, p, dil, ceil_mode=ceil_mode, return_indices=True)
    return [y, i]


def _avg_pool(torch, x, K, s, p, ceil_mode, cip, div):
    if x.ndim == 3:     # avg_pool1d has no divisor_override: the 2-d one with a unit axis
        y = torch.nn.functional.avg_pool2d(x.unsqueeze(2), (1, *K), (1, *s), (0, *p),
                                           ceil_mode, cip, div)
        return y.squeeze(2)
    fn = getattr(torch.nn.functional, f"avg_pool{x.ndim - 2}d")
    return fn(x, K, s, p, ceil_mode, cip, div)


def torch_avg_pool_forward(torch, x, K, s, p, ceil_mode, cip, div):
    return [_avg_pool(torch, _t(torch, x), K, s, p, ceil_mode, cip, div)]


def torch_avg_pool_backward(torch, grad_y, shape, K, s, p, ceil_mode, cip, div):
    x = torch.zeros(shape, dtype=_t(torch, grad_y).dtype, requires_grad=True)
    _avg_pool(torch, x, K, s, p, ceil_mode, cip, div).backward(_t(torch, grad_y))
    return [x.grad]


def torch_relu_forward(torch, x):
    t = _t(torch, x)
    return [torch.relu(t), (t > 0) | torch.isnan(t)]


def torch_relu_backward(torch, grad, passes):
    g = _t(torch, grad)
    return [torch.where(_t(torch, passes), g, torch.zeros_like(g))]


def torch_erf(torch, x):
    return [torch.erf(_t(torch, x))]


def torch_scatter_add(torch, target, index, values):
    t = _t(torch, target).clone()
    t.index_add_(0, _t(torch, index), _t(torch, values))
    return [t]


# -------------------------------------------------------------------- bad inputs
def _copy(a):
    """A copy of ``a`` with its layout (contiguity, read-only) kept."""
    if not isinstance(a, np.ndarray):
        return a
    c = a.copy() if a.flags.c_contiguous else _wire.strided(a)
    if not a.flags.writeable:
        c.setflags(write=False)
    return c


def mutations(names, args):
    """``[(description, args)]``: each argument made wrong in the ways a kernel's
    contract refuses (wrong type or dtype, rank, contiguity, tuple length, a size out
    of range, an index out of range)."""
    found = []

    def put(i, value, what):
        changed = list(args)
        changed[i] = value
        found.append((f"{names[i]} {what}", tuple(changed)))

    for i, (name, a) in enumerate(zip(names, args)):
        if isinstance(a, np.ndarray):
            put(i, a.tolist(), "given as a list")
            if a.dtype.kind == "f":
                put(i, a.astype(np.int32), "of dtype int32")
                put(i, a.astype(np.float32 if a.dtype == np.float64 else np.float64),
                    "of the other float dtype")
            elif a.dtype == np.int64:
                put(i, a.astype(np.float64), "of dtype float64")
                if a.size:
                    bad = a.copy()
                    bad.reshape(-1)[0] = 10 ** 6
                    put(i, bad, "with an entry out of range")
            elif a.dtype == np.bool_:
                put(i, a.astype(np.float64), "of dtype float64")
            strided = _wire.strided(a)
            if not strided.flags.c_contiguous:
                put(i, strided, "not C-contiguous")
            if a.ndim:
                put(i, a[0], "with one axis fewer")
            if a.flags.writeable and name == "target":
                frozen = a.copy()
                frozen.setflags(write=False)
                put(i, frozen, "read-only")
        elif isinstance(a, tuple) and all(isinstance(v, int) for v in a):
            put(i, a + (1,), "with one entry too many")
            put(i, (-1,) + a[1:], "with a negative entry")
            if name in ("stride", "dilation", "kernel_size", "output_size"):
                put(i, (0,) + a[1:], "with a zero entry")
            if a:
                put(i, (1.5,) + a[1:], "with a float entry")
            put(i, 3, "given as an int")
        elif isinstance(a, bool):
            put(i, int(a), "given as an int")
        elif isinstance(a, int):
            put(i, 0, "zero")
            put(i, float(a), "given as a float")
    return found


# ----------------------------------------------------------------------- exercise
class KernelExercise(Exercise):
    """One kernel of a reference twin (see the module docstring)."""

    kind = "kernel"
    #: at most this many bad-input cases
    bad_inputs = 8

    def __init__(self, family, function, make, *, gradcheck=None, torch=None, in_place=None,
                 names=None, docs=(), hints=(), points=10):
        super().__init__(family, function, f"lucid._ext.{family}", function, [function],
                         f"{family}.py", hints=hints,
                         docs=(f"lucid._ext.{family}.{function}",) + tuple(docs), points=points)
        self.family, self.function = family, function
        self.make, self.gradcheck, self.torch = make, gradcheck, torch
        self.in_place, self.output_names = in_place, names

    @property
    def arguments(self):
        _ext._load(self.family)
        return list(inspect.signature(getattr(_ext._reference[self.family], self.function)).parameters)

    def has_gradcheck(self):
        return self.gradcheck is not None

    # ------------------------------------------------------- grading process
    def outputs_of(self, twin, args):
        """Run the kernel of ``twin`` on copies of ``args``: its outputs as a list."""
        copies = [_copy(a) for a in args]
        out = getattr(twin, self.function)(*copies)
        if self.in_place is not None:
            return [copies[self.in_place]]
        return list(out) if isinstance(out, tuple) else [out]

    def random_case(self, seed, torch=None):
        rng = self.rng("random", seed)
        args = self.make(rng, FLOATS[seed % 2])
        twin, label = oracle_twin(self.family)
        expected = {label: self.outputs_of(twin, args)}
        note = None
        if torch is not None and self.torch is not None:
            theirs = self.torch(torch, *args)
            if theirs is not None:
                theirs = [t.detach().numpy() for t in theirs]
                if self.function == "max_pool_forward":
                    theirs[1] = theirs[1].astype(np.int64)
                if _compare.compare(expected[label], theirs) is None:
                    expected["PyTorch"] = theirs
                else:
                    note = "dropped: PyTorch and lucid's compiled twin disagree on this case"
                    expected = None
        return Case("random", seed, _describe_call(self.function, self.arguments, args),
                    {"args": args}, array_size(args), expected, self.output_names, note)

    def gradcheck_case(self, seed):
        rng = self.rng("gradcheck", seed)
        twin, _ = oracle_twin(self.family)
        f, x, g, args = self.gradcheck(twin, rng)
        numeric = _compare.numeric_gradient(f, x, g)
        return Case("gradcheck", seed, _describe_call(self.function, self.arguments, args),
                    {"args": args}, array_size(args), {"finite differences": [numeric]},
                    None)

    def bad_input_cases(self):
        rng = self.rng("bad input", 0)
        args = self.make(rng, np.float64)
        twin, _ = oracle_twin(self.family)
        reference = _ext._reference[self.family]
        cases = []
        for what, bad in mutations(self.arguments, args):
            raised = []
            for module in (twin, reference):
                try:
                    self.outputs_of(module, bad)
                    raised.append(None)
                except (TypeError, ValueError, IndexError) as exc:
                    # an index out of range: a student's own IndexError passes too
                    kind = "IndexError" if isinstance(exc, IndexError) else type(exc).__name__
                    raised.append((kind, str(exc)))
            if raised[0] is None or raised[1] is None or raised[0][0] != raised[1][0]:
                continue   # not refused, or the twins disagree: not part of the contract
            cases.append((what, bad, raised[0]))
        # a few, spread over the arguments: calling the shared check earns them all
        step = max(1, len(cases) / self.bad_inputs)
        chosen = [cases[int(i * step)] for i in range(min(self.bad_inputs, len(cases)))]
        return [Case("bad input", SEED_BASE["bad input"] + i,
                     f"{what}: " + _describe_call(self.function, self.arguments, bad),
                     {"args": bad}, array_size(bad), expected)
                for i, (what, bad, expected) in enumerate(chosen)]

    @contextlib.contextmanager
    def counting(self):
        """Count calls of the kernel while the oracle twin is active (to find the docs
        examples that run it); yields the count and a module that stands for the student's."""
        twin, _ = oracle_twin(self.family)
        calls = [0]
        original = getattr(twin, self.function)

        @functools.wraps(original)
        def counted(*args, **kwargs):
            calls[0] += 1
            return original(*args, **kwargs)

        module = self.hybrid(counted)
        with _ext_use(module, self.family):
            yield calls, module

    # ----------------------------------------------------------------- child
    def hybrid(self, function):
        """The compiled twin's functions, with ``function`` in place of the exercise's."""
        twin, _ = oracle_twin(self.family)
        module = types.ModuleType(f"{self.family}_with_your_{self.function}")
        for name in _ext._reference[self.family].__all__:
            setattr(module, name, getattr(twin, name))
        setattr(module, self.function, function)
        return module

    def install(self, student):
        function = getattr(student, self.function, None)
        if not callable(function):
            raise LookupError(f"{self.file} has no function {self.function}")
        stack = contextlib.ExitStack()
        stack.enter_context(_ext_use(self.hybrid(function), self.family))
        return stack

    def run(self, case, student):
        if case["kind"] == "example":
            return self.run_examples(case["payload"], student)
        args = list(case["payload"]["args"])
        out = getattr(student, self.function)(*args)
        if self.in_place is not None:
            return {"outputs": [args[self.in_place]]}
        return {"outputs": list(out) if isinstance(out, tuple) else [out]}

    def example_globals(self, globs, module, student):
        if module.__name__ == self.module:
            globs[self.function] = getattr(student, self.function)


def _ext_use(module, family):
    from lucid import kernels

    return kernels.use(module, family=family)


H_CHECK = "Start with the shared argument check, _checks.{0}(...): bad inputs are graded."

EXERCISES = [
    KernelExercise("conv", "conv_forward", make_conv_forward, gradcheck=grad_conv_forward,
                   torch=torch_conv_forward, names=["y"],
                   docs=["lucid.nn.functional.conv1d", "lucid.nn.functional.conv2d"],
                   hints=[H_CHECK.format("conv_forward"),
                          "Output size per axis: conv_output_size(S, K, s, p, dil) (imported above).",
                          "Pad x with _pad, pick each kernel offset's window with _window,",
                          "and sum over the input channels of each group."]),
    KernelExercise("conv", "conv_weight_grad", make_conv_weight_grad,
                   gradcheck=grad_conv_weight_grad, torch=torch_conv_weight_grad,
                   names=["grad_w"],
                   hints=[H_CHECK.format("conv_weight_grad"),
                          "grad_w[c_o, c_i, k] sums grad_y times the input values w[c_o, c_i, k] met:",
                          "the same windows of x_pad as in conv_forward, summed over n and o."]),
    KernelExercise("conv", "conv_transpose_forward", make_conv_transpose_forward,
                   gradcheck=grad_conv_transpose_forward, torch=torch_conv_transpose_forward,
                   names=["y"], docs=["lucid.nn.functional.conv_transpose1d"],
                   hints=[H_CHECK.format("conv_transpose_forward"),
                          "Scatter each input value, times the weight, to position i*s + k*dil - p;",
                          "a buffer long enough for every such position, cropped at the end, is easiest."]),
    KernelExercise("conv", "unfold", make_unfold, gradcheck=grad_unfold, torch=torch_unfold,
                   names=["cols"], docs=["lucid.nn.functional.unfold"],
                   hints=[H_CHECK.format("unfold"),
                          "Row c * prod(K) + j of cols holds kernel offset j of channel c, for every window."]),
    KernelExercise("conv", "fold", make_fold, gradcheck=grad_fold, torch=torch_fold,
                   names=["x"], docs=["lucid.nn.functional.fold"],
                   hints=[H_CHECK.format("fold"),
                          "The adjoint of unfold: add every column back where unfold read it, then crop the padding."]),
    KernelExercise("pool", "max_pool_forward", make_max_pool_forward,
                   torch=torch_max_pool_forward, names=["y", "argmax"],
                   docs=["lucid.nn.functional.max_pool1d", "lucid.nn.functional.max_pool2d"],
                   hints=[H_CHECK.format("max_pool_forward"),
                          "Scan each window in row-major order; a value wins only if strictly larger",
                          "(or NaN): ties go to the first. argmax is the flat index in the input plane."]),
    KernelExercise("pool", "max_pool_backward", make_max_pool_backward,
                   gradcheck=grad_max_pool_backward, names=["grad_x"],
                   docs=["lucid.nn.functional.max_pool1d", "lucid.nn.functional.max_pool2d"],
                   hints=[H_CHECK.format("max_pool_backward"),
                          "Each output's gradient goes to the input position argmax names (-1: nowhere);",
                          "an input that won several windows gets the sum (np.add.at adds repeats)."]),
    KernelExercise("pool", "avg_pool_forward", make_avg_pool_forward,
                   torch=torch_avg_pool_forward, names=["y"],
                   docs=["lucid.nn.functional.avg_pool1d", "lucid.nn.functional.avg_pool2d"],
                   hints=[H_CHECK.format("avg_pool_forward"),
                          "Sum each window (the padding adds zeros), then divide by its divisor:",
                          "divisor_override, or the window's size inside the padded input or the input."]),
    KernelExercise("pool", "avg_pool_backward", make_avg_pool_backward,
                   gradcheck=grad_avg_pool_backward, torch=torch_avg_pool_backward,
                   names=["grad_x"],
                   docs=["lucid.nn.functional.avg_pool1d", "lucid.nn.functional.avg_pool2d"],
                   hints=[H_CHECK.format("avg_pool_backward"),
                          "Each window spreads grad_y / divisor over the positions it averaged."]),
    KernelExercise("activation", "relu_forward", make_relu_forward, torch=torch_relu_forward,
                   names=["y", "passes"],
                   docs=["lucid.nn.functional.relu", "lucid.nn.ReLU"],
                   hints=[H_CHECK.format("relu_forward"),
                          "NaN passes through (forward and backward), as in PyTorch."]),
    KernelExercise("activation", "relu_backward", make_relu_backward,
                   gradcheck=grad_relu_backward, torch=torch_relu_backward, names=["grad_x"],
                   docs=["lucid.nn.functional.relu", "lucid.nn.ReLU"],
                   hints=[H_CHECK.format("relu_backward"),
                          "Where the mask is False the gradient is exactly 0, even if grad is infinite."]),
    KernelExercise("activation", "erf", make_erf, torch=torch_erf, names=["erf(x)"],
                   docs=["lucid.nn.functional.gelu", "lucid.nn.GELU"],
                   hints=[H_CHECK.format("erf"),
                          "math.erf computes one number; keep x's shape and dtype."]),
    KernelExercise("scatter", "scatter_add", make_scatter_add, gradcheck=grad_scatter_add,
                   torch=torch_scatter_add, in_place=0, names=["target"],
                   docs=["lucid.ops.index.getitem", "lucid.nn.functional.embedding"],
                   hints=[H_CHECK.format("scatter_add"),
                          "Add in place into target; an index that repeats adds several rows."]),
]
