"""Exercises on lucid's own Python: the backward of the primitive ops (``autograd``),
three layers (``nn``) and two optimizers (``optim``).

The student's file (``autograd.py``, ``nn.py``, ``optim.py``) holds the marked regions
of lucid's source (a Function class, an optimizer class, their helpers), each with the
chosen bodies removed; copying the regions back is a full solution. In the child the
student's definitions replace lucid's own (``Add.backward``, ``SGD._update``), one
exercise at a time, and the cases run through lucid's public functions, so the docs'
examples run as written. Oracles, in the grading process: lucid's own code, PyTorch
where installed, and for every backward central differences of the forward (float64).
"""
import contextlib
import functools
import importlib

import numpy as np

from lucid.course import _compare
from lucid.course._exercise import Case, Exercise, array_size

__all__ = ["PatchExercise", "OpExercise", "OptimizerExercise", "EXERCISES"]

FLOATS = (np.float32, np.float64)


def _owner_and_attr(module, stub):
    """The object holding a stub (lucid's module or class) and the attribute's name."""
    obj = importlib.import_module(module)
    *path, attr = stub.split(".")
    for part in path:
        obj = getattr(obj, part)
    return obj, attr


def _student_definition(student, stub, file):
    obj = student
    *path, attr = stub.split(".")
    for part in path:
        obj = getattr(obj, part, None)
        if obj is None:
            raise LookupError(f"{file} has no class {part} (it must define {stub})")
    if path:
        if attr not in vars(obj):
            raise LookupError(f"{file}: class {'.'.join(path)} has no method {attr}")
        return vars(obj)[attr]
    found = getattr(obj, attr, None)
    if found is None:
        raise LookupError(f"{file} has no function {attr}")
    return found


class PatchExercise(Exercise):
    """Definitions of a lucid module replaced by the student's (see the module docstring).

    ``make(rng, dtype, small)`` makes a case's payload; ``call(lucid, payload)`` runs it
    (in the child on the student's code, in the grading process on lucid's);
    ``torch_call(torch, payload)`` is the PyTorch oracle (or None); ``gradients(payload)``
    the finite-difference oracle of a gradcheck case (None: no gradcheck);
    ``names(payload)`` labels the outputs.
    """

    kind = "patch"

    def __init__(self, topic, name, module, region, stubs, *, make, docs=(), hints=(),
                 points=10):
        super().__init__(topic, name, module, region, stubs, f"{topic}.py", hints=hints,
                         docs=docs, points=points)
        self.make = make

    def call(self, lucid, payload):  # pragma: no cover - abstract
        raise NotImplementedError

    def torch_call(self, torch, payload):
        return None

    def gradients(self, payload):
        return None

    def names(self, payload):
        return None

    # ------------------------------------------------------- grading process
    def random_case(self, seed, torch=None):
        import lucid

        rng = self.rng("random", seed)
        payload = self.make(rng, FLOATS[seed % 2], False)
        expected = {"lucid": self.call(lucid, payload)}
        note = None
        if torch is not None:
            theirs = self.torch_call(torch, payload)
            if theirs is not None:
                if _compare.compare(expected["lucid"], theirs) is None:
                    expected["PyTorch"] = theirs
                else:
                    note = "dropped: PyTorch and lucid disagree on this case"
                    expected = None
        return Case("random", seed, self.describe(payload), payload, array_size(payload),
                    expected, self.names(payload), note)

    def has_gradcheck(self):
        return self.gradients(self.make(self.rng("gradcheck", 0), np.float64, True)) is not None

    def gradcheck_case(self, seed):
        payload = self.make(self.rng("gradcheck", seed), np.float64, True)
        return Case("gradcheck", seed, self.describe(payload), payload, array_size(payload),
                    {"finite differences": self.gradients(payload)}, self.names(payload))

    def describe(self, payload):  # pragma: no cover - abstract
        raise NotImplementedError

    @contextlib.contextmanager
    def counting(self):
        """Count calls of lucid's own definitions of the stubs (to find the docs
        examples that run them)."""
        calls = [0]
        saved = []
        for stub in self.stubs:
            owner, attr = _owner_and_attr(self.module, stub)
            original = vars(owner)[attr]
            function = original.__func__ if isinstance(original, staticmethod) else original

            @functools.wraps(function)
            def counted(*args, __f=function, **kwargs):
                calls[0] += 1
                return __f(*args, **kwargs)

            saved.append((owner, attr, original))
            setattr(owner, attr, staticmethod(counted) if isinstance(original, staticmethod)
                    else counted)
        try:
            yield calls, None
        finally:
            for owner, attr, original in saved:
                setattr(owner, attr, original)

    # ----------------------------------------------------------------- child
    def install(self, student):
        for stub in self.stubs:
            owner, attr = _owner_and_attr(self.module, stub)
            setattr(owner, attr, _student_definition(student, stub, self.file))
        return contextlib.ExitStack()

    def run(self, case, student):
        if case["kind"] == "example":
            return self.run_examples(case["payload"], student)
        import lucid

        return {"outputs": self.call(lucid, case["payload"])}


# ---------------------------------------------------------------------- op exercises
class OpExercise(PatchExercise):
    """An op (or a layer's functional form): ``forward(lucid, tensors, params)`` builds
    the output (and, optionally, extra arrays it changed, as ``(y, [arrays])``); the case
    runs ``y.backward(upstream)`` and returns ``[y, *extras, *input gradients]``."""

    def __init__(self, topic, name, module, region, stubs, *, make, forward, torch_forward=None,
                 extras=(), **kwargs):
        super().__init__(topic, name, module, region, stubs, make=self._payload(make), **kwargs)
        self.forward, self.torch_forward, self.extras = forward, torch_forward, tuple(extras)

    def _payload(self, make):
        """``make`` gives the inputs, which need a gradient, and the params; the upstream
        gradient is drawn here, of the output's shape."""
        def full(rng, dtype, small):
            import lucid

            inputs, needs, params = make(rng, dtype, small)
            payload = {"inputs": inputs, "needs": needs, "params": params, "upstream": None}
            y = self._outputs(lucid, payload)[0]
            payload["upstream"] = rng.standard_normal(y.shape).astype(y.dtype)
            return payload
        return full

    def _outputs(self, lucid, payload, backward=False):
        tensors = [lucid.Tensor(np.array(a), requires_grad=bool(n))
                   for a, n in zip(payload["inputs"], payload["needs"])]
        out = self.forward(lucid, tensors, payload["params"])
        y, extras = out if isinstance(out, tuple) else (out, [])
        results = [y.data.copy(), *[np.array(e) for e in extras]]
        if backward:
            y.backward(payload["upstream"])
            results += [t.grad for t, n in zip(tensors, payload["needs"]) if n]
        return results

    def call(self, lucid, payload):
        return self._outputs(lucid, payload, backward=True)

    def torch_call(self, torch, payload):
        if self.torch_forward is None:
            return None
        tensors = [torch.from_numpy(np.array(a)).requires_grad_(bool(n))
                   for a, n in zip(payload["inputs"], payload["needs"])]
        out = self.torch_forward(torch, tensors, payload["params"])
        if out is None:
            return None
        y, extras = out if isinstance(out, tuple) else (out, [])
        y.backward(torch.from_numpy(payload["upstream"]))
        return [y.detach().numpy(), *[e.detach().numpy() for e in extras],
                *[t.grad.numpy() for t, n in zip(tensors, payload["needs"]) if n]]

    def gradients(self, payload):
        import lucid

        expected = self._outputs(lucid, payload)
        g = payload["upstream"]
        for i, need in enumerate(payload["needs"]):
            if not need:
                continue

            def f(v, i=i):
                inputs = list(payload["inputs"])
                inputs[i] = v
                with lucid.no_grad():
                    return self._outputs(lucid, dict(payload, inputs=inputs))[0]

            expected.append(_compare.numeric_gradient(f, payload["inputs"][i], g))
        return expected

    def names(self, payload):
        grads = [f"gradient of input {i}" for i, n in enumerate(payload["needs"]) if n]
        return ["output", *self.extras, *grads]

    def describe(self, payload):
        inputs = ", ".join(f"{_compare.describe(a)}{' (requires grad)' if n else ''}"
                           for a, n in zip(payload["inputs"], payload["needs"]))
        params = ", ".join(f"{k}={_short(v)}" for k, v in payload["params"].items())
        return f"{self.name}({inputs}{', ' if params else ''}{params})"


def _short(value):
    if isinstance(value, np.ndarray):
        return _compare.describe(value)
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_short(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, slice):
        return ":".join("" if v is None else str(v) for v in (value.start, value.stop, value.step)).rstrip(":") or ":"
    if value is Ellipsis:
        return "..."
    return repr(value)


def _shape(rng, low=0, high=4, small=False):
    return tuple(int(n) for n in rng.integers(1, 3 if small else 5, int(rng.integers(low, high))))


def _broadcast_pair(rng, small):
    """Two shapes that broadcast together (one a suffix of the other, with 1s)."""
    big = _shape(rng, 1, 4, small)
    cut = int(rng.integers(0, len(big) + 1))
    small_shape = tuple(1 if rng.integers(0, 3) == 0 else n for n in big[cut:])
    return (big, small_shape) if rng.integers(0, 2) else (small_shape, big)


def _needs(rng, count):
    """Which of ``count`` inputs need a gradient: all, or (one time in three) one of them."""
    if count > 1 and rng.integers(0, 3) == 0:
        keep = int(rng.integers(0, count))
        return [i == keep for i in range(count)]
    return [True] * count


def make_binary(rng, dtype, small):
    a, b = _broadcast_pair(rng, small)
    return ([rng.standard_normal(a).astype(dtype), rng.standard_normal(b).astype(dtype)],
            _needs(rng, 2), {})


def make_unary(low=None):
    def make(rng, dtype, small):
        shape = _shape(rng, 0, 4, small)
        x = rng.uniform(low, 3.0, shape) if low is not None else rng.standard_normal(shape)
        return [np.asarray(x, dtype=dtype)], [True], {}
    return make


MATMUL_SHAPES = [("k", "k"), ("mk", "k"), ("k", "kn"), ("mk", "kn"), ("bmk", "kn"),
                 ("mk", "bkn"), ("bmk", "bkn"), ("b1mk", "ckn"), ("k", "bkn"), ("bmk", "k")]


def make_matmul(rng, dtype, small):
    sizes = {c: int(rng.integers(1, 3 if small else 5)) for c in "mknbc"}
    sizes["1"] = 1
    a, b = MATMUL_SHAPES[int(rng.integers(0, len(MATMUL_SHAPES)))]
    shape = lambda spec: tuple(sizes[c] for c in spec)  # noqa: E731
    return ([rng.standard_normal(shape(a)).astype(dtype), rng.standard_normal(shape(b)).astype(dtype)],
            _needs(rng, 2), {})


def make_sum(rng, dtype, small):
    shape = _shape(rng, 0, 4, small)
    axis = None
    if shape and rng.integers(0, 4):
        axes = [a - len(shape) if rng.integers(0, 2) else a for a in range(len(shape))
                if rng.integers(0, 2)]
        axis = int(axes[0]) if len(axes) == 1 else (tuple(int(a) for a in axes) or None)
    return ([rng.standard_normal(shape).astype(dtype)], [True],
            {"axis": axis, "keepdims": bool(rng.integers(0, 2))})


def make_reshape(rng, dtype, small):
    shape = _shape(rng, 0, 4, small)
    size = int(np.prod(shape))
    factors = [f for f in range(1, size + 1) if size % f == 0]
    first = int(factors[int(rng.integers(0, len(factors)))])
    target = (first, size // first) if rng.integers(0, 2) else (size // first, first, 1)
    if rng.integers(0, 2):
        target = (-1,) + target[1:]
    return [rng.standard_normal(shape).astype(dtype)], [True], {"shape": tuple(int(n) for n in target)}


def make_transpose(rng, dtype, small):
    shape = _shape(rng, 1, 5, small)
    axes = None if rng.integers(0, 4) == 0 else tuple(int(a) for a in rng.permutation(len(shape)))
    return [rng.standard_normal(shape).astype(dtype)], [True], {"axes": axes}


def make_index(rng, dtype, small):
    shape = (int(rng.integers(2, 4)), int(rng.integers(2, 4)), int(rng.integers(1, 3)))
    x = rng.standard_normal(shape).astype(dtype)
    style = int(rng.integers(0, 4))
    if style == 0:      # basic: ints, slices, None, ...
        choices = [(slice(None, None, 2),), (1, slice(1, None)), (Ellipsis, 0),
                   (None, slice(None), -1), (slice(None, None, -1), 0, slice(None))]
        index = choices[int(rng.integers(0, len(choices)))]
    elif style == 1:    # rows, with repeats
        index = [int(i) for i in rng.integers(-shape[0], shape[0], int(rng.integers(1, 6)))]
    elif style == 2:    # a boolean mask
        index = rng.integers(0, 2, shape[:2]).astype(bool)
    else:               # two integer arrays, broadcast together
        index = (rng.integers(0, shape[0], (2, 2)).astype(np.int64),
                 rng.integers(0, shape[1], (1, 2)).astype(np.int64))
    return [x], [True], {"index": index}


def _torch_index(torch, index):
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index)
    if isinstance(index, list):
        return torch.tensor(index)
    if isinstance(index, tuple):
        return tuple(_torch_index(torch, i) for i in index)
    return index


def make_linear(rng, dtype, small):
    lead = _shape(rng, 1, 3, small)
    n_in, n_out = int(rng.integers(1, 4 if small else 6)), int(rng.integers(1, 4 if small else 6))
    inputs = [rng.standard_normal(lead + (n_in,)), rng.standard_normal((n_out, n_in))]
    if rng.integers(0, 3):
        inputs.append(rng.standard_normal(n_out))
    inputs = [a.astype(dtype) for a in inputs]
    return inputs, _needs(rng, len(inputs)), {}


def make_batch_norm(rng, dtype, small):
    C = int(rng.integers(1, 4))
    spatial = _shape(rng, 0, 3, True)
    N = int(rng.integers(2, 4)) if np.prod(spatial) < 2 else int(rng.integers(1, 3))
    training = bool(rng.integers(0, 3))
    inputs = [rng.standard_normal((N, C) + spatial) * 2 + 0.5]
    affine = bool(rng.integers(0, 3))
    if affine:
        inputs += [rng.standard_normal(C), rng.standard_normal(C)]
    params = {"running_mean": rng.standard_normal(C).astype(dtype),
              "running_var": rng.uniform(0.5, 2.0, C).astype(dtype),
              "training": training, "momentum": float(rng.choice([0.1, 0.5])),
              "eps": float(rng.choice([1e-5, 1e-3]))}
    inputs = [a.astype(dtype) for a in inputs]
    return inputs, _needs(rng, len(inputs)), params


def _batch_norm_args(payload_params, tensors, stats):
    weight, bias = (tensors[1], tensors[2]) if len(tensors) == 3 else (None, None)
    p = payload_params
    return (tensors[0], stats[0], stats[1], weight, bias, p["training"], p["momentum"], p["eps"])


def make_cross_entropy(rng, dtype, small):
    N, C = int(rng.integers(1, 4)), int(rng.integers(2, 5))
    spatial = () if rng.integers(0, 3) else (int(rng.integers(1, 3)),)
    logits = rng.standard_normal((N, C) + spatial).astype(dtype) * 2
    probabilities = rng.integers(0, 4) == 0
    if probabilities:
        target = rng.uniform(0, 1, logits.shape)
        target = (target / target.sum(axis=1, keepdims=True)).astype(dtype)
        needs = [True, bool(rng.integers(0, 2))]
    else:
        target = rng.integers(0, C, (N,) + spatial).astype(np.int64)
        needs = [True, False]
    params = {"reduction": str(rng.choice(["mean", "sum", "none"])),
              "label_smoothing": float(rng.choice([0.0, 0.0, 0.1])),
              "weight": rng.uniform(0.5, 2.0, C).astype(dtype) if rng.integers(0, 3) == 0 else None,
              "ignore_index": -100}
    if not probabilities and target.size > 1 and rng.integers(0, 3) == 0:
        params["ignore_index"] = int(target.reshape(-1)[0])
        if (target == params["ignore_index"]).all():
            params["ignore_index"] = -100
    return [logits, target], needs, params


def _cross_entropy(F, tensors, p, torch=False):
    weight = p["weight"]
    if weight is not None and torch:
        import torch as _torch

        weight = _torch.from_numpy(weight)
    elif weight is not None:
        import lucid

        weight = lucid.Tensor(weight)
    return F.cross_entropy(tensors[0], tensors[1], weight=weight, reduction=p["reduction"],
                           ignore_index=p["ignore_index"], label_smoothing=p["label_smoothing"])


# ---------------------------------------------------------------- optimizer exercises
class OptimizerExercise(PatchExercise):
    """An optimizer's update: the parameters after each of a few steps with given
    gradients, from the same hyperparameters."""

    def __init__(self, topic, name, module, region, stubs, *, optimizer, **kwargs):
        super().__init__(topic, name, module, region, stubs, **kwargs)
        self.optimizer = optimizer

    @staticmethod
    def _steps(make_param, set_grad, value, opt_class, payload):
        params = [make_param(p) for p in payload["params"]]
        opt = opt_class(params, **payload["config"])
        trajectory = [[] for _ in params]
        for grads in payload["grads"]:
            for p, g in zip(params, grads):
                set_grad(p, g)
            opt.step()
            for i, p in enumerate(params):
                trajectory[i].append(np.array(value(p)))
        return [np.stack(t) for t in trajectory]

    def call(self, lucid, payload):
        def make(a):
            return lucid.Tensor(np.array(a), requires_grad=True)

        def set_grad(p, g):
            p.grad = np.array(g)

        return self._steps(make, set_grad, lambda p: p.data,
                           getattr(lucid.optim, self.optimizer), payload)

    def torch_call(self, torch, payload):
        def make(a):
            return torch.from_numpy(np.array(a)).requires_grad_(True)

        def set_grad(p, g):
            p.grad = torch.from_numpy(np.array(g))

        return self._steps(make, set_grad, lambda p: p.detach().numpy(),
                           getattr(torch.optim, self.optimizer), payload)

    def names(self, payload):
        return [f"parameter {i} after each step" for i in range(len(payload["params"]))]

    def describe(self, payload):
        params = ", ".join(_compare.describe(p) for p in payload["params"])
        config = ", ".join(f"{k}={v!r}" for k, v in payload["config"].items())
        return (f"{self.optimizer}([{params}], {config}): {len(payload['grads'])} steps "
                f"with given gradients")


def _make_params(rng, dtype, steps):
    shapes = [_shape(rng, 1, 3) for _ in range(int(rng.integers(1, 3)))]
    params = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    return params, grads


def make_sgd(rng, dtype, small):
    params, grads = _make_params(rng, dtype, int(rng.integers(2, 5)))
    momentum = float(rng.choice([0.0, 0.9, 0.5]))
    nesterov = bool(momentum > 0 and rng.integers(0, 3) == 0)
    config = {"lr": float(rng.choice([0.1, 0.01])), "momentum": momentum,
              "dampening": 0.0 if nesterov else float(rng.choice([0.0, 0.1])),
              "weight_decay": float(rng.choice([0.0, 0.01])), "nesterov": nesterov,
              "maximize": bool(rng.integers(0, 4) == 0)}
    return {"params": params, "grads": grads, "config": config}


def make_adam(rng, dtype, small):
    params, grads = _make_params(rng, dtype, int(rng.integers(2, 5)))
    config = {"lr": float(rng.choice([0.1, 0.01, 1e-3])),
              "betas": tuple(float(b) for b in [(0.9, 0.999), (0.8, 0.9)][int(rng.integers(0, 2))]),
              "eps": float(rng.choice([1e-8, 1e-6])),
              "weight_decay": float(rng.choice([0.0, 0.01])),
              "amsgrad": bool(rng.integers(0, 3) == 0),
              "maximize": bool(rng.integers(0, 4) == 0),
              "decoupled_weight_decay": bool(rng.integers(0, 3) == 0)}
    return {"params": params, "grads": grads, "config": config}


# --------------------------------------------------------------------------- catalogue
def _functional(name):
    def forward(lucid, tensors, params):
        return getattr(lucid, name)(*tensors, **params)
    return forward


def _torch_fn(name):
    def forward(torch, tensors, params):
        return getattr(torch, name)(*tensors, **params)
    return forward


def _torch_sum(torch, tensors, p):
    x = tensors[0]
    if p["axis"] is None:
        return x.sum().reshape((1,) * x.ndim) if p["keepdims"] else x.sum()
    return x.sum(dim=p["axis"], keepdim=p["keepdims"])


def _torch_transpose(torch, tensors, p):
    x = tensors[0]
    return x.permute(*(p["axes"] if p["axes"] is not None else range(x.ndim - 1, -1, -1)))


def _batch_norm(lucid, tensors, p):
    stats = [lucid.Tensor(np.array(p["running_mean"])), lucid.Tensor(np.array(p["running_var"]))]
    y = lucid.nn.functional.batch_norm(*_batch_norm_args(p, tensors, stats))
    return y, [stats[0].data, stats[1].data]


def _torch_batch_norm(torch, tensors, p):
    stats = [torch.from_numpy(np.array(p["running_mean"])), torch.from_numpy(np.array(p["running_var"]))]
    y = torch.nn.functional.batch_norm(*_batch_norm_args(p, tensors, stats))
    return y, stats


AUTOGRAD = "lucid.ops.elementwise"
H_BROADCAST = ("Return gradients of the output's (broadcast) shape, or sum them back to "
               "each input's shape yourself: the engine accepts both.")

EXERCISES = [
    OpExercise("autograd", "add", AUTOGRAD, "add", ["Add.backward"], make=make_binary,
               forward=_functional("add"), torch_forward=_torch_fn("add"), docs=["lucid.add"],
               hints=["z = a + b: dL/da = dL/dz and dL/db = dL/dz.", H_BROADCAST]),
    OpExercise("autograd", "multiply", AUTOGRAD, "multiply", ["Multiply.backward"],
               make=make_binary, forward=_functional("multiply"), torch_forward=_torch_fn("mul"),
               docs=["lucid.multiply"],
               hints=["z = a * b: dL/da = dL/dz * b; forward saved a and b on ctx.",
                      "ctx.needs_input_grad tells which inputs need one (None for the others).",
                      H_BROADCAST]),
    OpExercise("autograd", "matmul", "lucid.ops.linalg", "matmul",
               ["MatMul.backward", "_matmul_grads"], make=make_matmul,
               forward=_functional("matmul"), torch_forward=_torch_fn("matmul"),
               docs=["lucid.matmul"],
               hints=["C = A @ B: dA = dC @ B^T and dB = A^T @ dC, for every matrix of the batch.",
                      "A 1-d operand was made a row (a) or a column (b): put the axis back into",
                      "dC, and take it out of that operand's gradient. Batch axes that were",
                      "broadcast are summed back by the engine."]),
    OpExercise("autograd", "sum", "lucid.ops.reduce", "sum", ["Sum.backward"], make=make_sum,
               forward=_functional("sum"), torch_forward=_torch_sum, docs=["lucid.sum"],
               hints=["Every element that went into a sum gets that sum's gradient:",
                      "put the reduced axes back (size 1, see _expand) and broadcast to ctx.shape."]),
    OpExercise("autograd", "exp", AUTOGRAD, "exp", ["Exp.backward"], make=make_unary(),
               forward=_functional("exp"), torch_forward=_torch_fn("exp"), docs=["lucid.exp"],
               hints=["y = e^x: dL/dx = dL/dy * e^x, and forward saved y = e^x."]),
    OpExercise("autograd", "log", AUTOGRAD, "log", ["Log.backward"], make=make_unary(0.5),
               forward=_functional("log"), torch_forward=_torch_fn("log"), docs=["lucid.log"],
               hints=["y = ln x: dL/dx = dL/dy / x."]),
    OpExercise("autograd", "reshape", "lucid.ops.shape", "reshape", ["Reshape.backward"],
               make=make_reshape, forward=_functional("reshape"),
               torch_forward=lambda torch, t, p: t[0].reshape(p["shape"]),
               docs=["lucid.reshape"],
               hints=["Same elements, same order: reshape the gradient back to the input's shape."]),
    OpExercise("autograd", "transpose", "lucid.ops.shape", "transpose", ["Transpose.backward"],
               make=make_transpose, forward=_functional("transpose"),
               torch_forward=_torch_transpose, docs=["lucid.transpose"],
               hints=["y.shape[i] = x.shape[axes[i]]: undo it with the inverse permutation (argsort)."]),
    OpExercise("autograd", "indexing", "lucid.ops.index", "indexing",
               ["BasicIndex.backward", "Take.backward", "AdvancedIndex.backward"],
               make=make_index, forward=lambda lucid, t, p: t[0][p["index"]],
               torch_forward=lambda torch, t, p: t[0][_torch_index(torch, p["index"])],
               docs=["lucid.ops.index.getitem"],
               hints=["Each gradient element goes back where it was read from; an element read",
                      "several times gets the sum (scatter_add_rows adds repeated rows)."]),
    OpExercise("nn", "linear", "lucid.ops.linear", "linear", ["Linear.forward", "Linear.backward"],
               make=make_linear, forward=lambda lucid, t, p: lucid.nn.functional.linear(*t),
               torch_forward=lambda torch, t, p: torch.nn.functional.linear(*t),
               docs=["lucid.nn.functional.linear", "lucid.nn.Linear"],
               hints=["y = x W^T + b. Save on ctx what backward needs; b may be None.",
                      "With G = dL/dy flattened to (n, out): dx = G W, dW = G^T X, db = sum of G's rows."]),
    OpExercise("nn", "batch_norm", "lucid.ops.norm", "batch_norm",
               ["AffineNorm.forward", "AffineNorm.backward"], make=make_batch_norm,
               forward=_batch_norm, torch_forward=_torch_batch_norm,
               extras=["running_mean", "running_var"],
               docs=["lucid.nn.functional.batch_norm", "lucid.nn.BatchNorm1d"],
               hints=["Statistics over `axes` (keepdims), or the fixed `stats`; update `running`",
                      "with _update_running. Backward: the module docstring's formula; the",
                      "parameter gradients are summed to param_shape (_sum_to)."]),
    OpExercise("nn", "cross_entropy", "lucid.ops.loss", "cross_entropy",
               ["CrossEntropy.forward", "CrossEntropy.backward"], make=make_cross_entropy,
               forward=lambda lucid, t, p: _cross_entropy(lucid.nn.functional, t, p),
               torch_forward=lambda torch, t, p: _cross_entropy(torch.nn.functional, t, p, True),
               docs=["lucid.nn.functional.cross_entropy", "lucid.nn.CrossEntropyLoss"],
               hints=["Forward: log_softmax_array, target_distribution (q and the divisor), _reduce.",
                      "Backward: dz = coef * (Q p - q) with p = softmax(z), Q = sum of q over classes;",
                      "_coefficient gives coef. Probability targets also get a gradient."]),
    OptimizerExercise("optim", "sgd", "lucid.optim.sgd", "sgd", ["SGD._update"],
                      optimizer="SGD", make=make_sgd, docs=["lucid.optim.SGD"],
                      hints=["apply_weight_decay first; then the momentum buffer (state) from the",
                             "first gradient on, Nesterov or not; change param in place."]),
    OptimizerExercise("optim", "adam", "lucid.optim.adam", "adam",
                      ["_update_moments", "Adam._update"], optimizer="Adam", make=make_adam,
                      docs=["lucid.optim.Adam"],
                      hints=["Count the step in state; the moments m and v (in place, in state);",
                             "amsgrad keeps the running maximum of v; bias-correct and change param in place."]),
]
