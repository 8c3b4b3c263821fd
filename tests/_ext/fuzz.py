"""Fuzz the kernel twins with direct calls: crashes are counted, never fatal.

Every public function of every kernel family is called with arguments that start as a
valid call and are then spoilt at random: a wrong dtype, rank or shape, a non-contiguous
or read-only array, a list for an array, a tuple too short or too long, a negative, zero
or huge size, a float or a bool for an int, an index out of range. Each call runs on both
twins (on copies of the same arguments), and the outcomes are compared:

``ok``
    both returned, with the same shapes, dtypes and values (values compared only when
    every input is finite: where an infinity meets the zero padding the reference,
    which multiplies the padding, gives NaN and the compiled twin, which skips it, not);
``<ExceptionType>``
    both raised it (ValueError, TypeError or lucid.IndexOutOfRangeError are what the
    contract promises;
    MemoryError is accepted for a valid call whose arrays do not fit, also when only
    one twin needs more memory than the limit: the reference pads whole arrays);
``mismatch``
    the twins disagreed (one raised, or the results differ);
``crash``
    the worker process died (a segfault, an abort, a floating-point exception) or did
    not answer within the time limit (a hang).

The calls run in worker processes (each under a memory limit); a worker that crashes
is restarted after the call that killed it. Call ``i`` of seed ``s`` is always the same
call, so a crash can be replayed alone (``--replay i``).

Run from the repository root::

    python -m tests._ext.fuzz --calls 100000            # the long run (a few minutes)
    python -m tests._ext.fuzz --calls 2000 --seed 7     # a short one
    python -m tests._ext.fuzz --replay 1234 --seed 7    # print and run one call

``tests/_ext/test_fuzz.py`` runs a bounded fuzz (seeded, a few seconds) in the suite.
"""
import argparse
import collections
import json
import os
import queue
import subprocess
import sys
import threading
import time

import numpy as np

FUNCTIONS = {
    "conv": ("conv_forward", "conv_weight_grad", "conv_transpose_forward", "unfold", "fold"),
    "pool": ("max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward"),
    "scatter": ("scatter_add",),
    "activation": ("relu_forward", "relu_backward", "erf"),
    "norm": ("batch_norm_forward", "batch_norm_backward", "batch_norm_eval"),
    "loss": ("cross_entropy_forward", "cross_entropy_backward"),
    "rnn": ("lstm_forward", "lstm_backward", "gru_forward", "gru_backward"),
}
CALLS = [(family, name) for family, names in FUNCTIONS.items() for name in names]
EXPECTED = ("ValueError", "TypeError", "IndexOutOfRangeError", "MemoryError")
NASTY_INTS = (-1, 0, -(10 ** 9), 10 ** 9, 2 ** 31, 2 ** 63, -(2 ** 63))
NASTY_VALUES = (1.5, None, True, "3", np.float64(2.0), (), [])
MEMORY_LIMIT = 4 << 30          # bytes of address space per worker process
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ------------------------------------------------------------------ valid calls
def _floats(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _tuple(rng, d, lo, hi):
    return tuple(int(v) for v in rng.integers(lo, hi + 1, size=d))


def _valid(rng, family, name):
    """A valid call of ``family.name``: its arguments, as a list."""
    from lucid._ext._sizes import conv_output_size, pool_output_size

    dtype = (np.float32, np.float64)[rng.integers(2)]
    d = int(rng.integers(1, 4))
    N = int(rng.integers(0, 4))
    if family == "conv":
        G = int(rng.integers(1, 3))
        C_in, C_out = G * int(rng.integers(1, 4)), G * int(rng.integers(1, 4))
        K, s, dil = _tuple(rng, d, 1, 3), _tuple(rng, d, 1, 3), _tuple(rng, d, 1, 2)
        p = _tuple(rng, d, 0, 2)
        S = tuple(dl * (k - 1) + 1 + int(rng.integers(0, 4)) for k, dl in zip(K, dil))
        x = _floats(rng, (N, C_in) + S, dtype)
        if name == "conv_forward":
            return [x, _floats(rng, (C_out, C_in // G) + K, dtype), s, p, dil, G]
        O = tuple(conv_output_size(*a) for a in zip(S, K, s, p, dil))
        if name == "conv_weight_grad":
            return [x, _floats(rng, (N, C_out) + O, dtype), K, s, p, dil, G]
        if name == "conv_transpose_forward":
            op = tuple(int(rng.integers(0, max(a, b))) for a, b in zip(s, dil))
            return [x, _floats(rng, (C_in, C_out // G) + K, dtype), s, p, op, dil, G]
        if name == "unfold":
            return [x, K, s, p, dil]
        cols = _floats(rng, (N, C_in * int(np.prod(K)), int(np.prod(O))), dtype)
        return [cols, S, K, s, p, dil]
    if family == "pool":
        K, s = _tuple(rng, d, 1, 3), _tuple(rng, d, 1, 3)
        p = tuple(int(rng.integers(0, k // 2 + 1)) for k in K)
        dil = _tuple(rng, d, 1, 2) if name.startswith("max") else (1,) * d
        S = tuple(dl * (k - 1) + 1 + int(rng.integers(0, 4)) for k, dl in zip(K, dil))
        x = _floats(rng, (N, int(rng.integers(1, 3))) + S, dtype)
        ceil = bool(rng.integers(2))
        O = tuple(pool_output_size(*a, ceil) for a in zip(S, K, s, p, dil))
        if name == "max_pool_forward":
            return [x, K, s, p, dil, ceil]
        gy = _floats(rng, x.shape[:2] + O, dtype)
        if name == "max_pool_backward":
            argmax = rng.integers(-1, int(np.prod(S)), size=gy.shape).astype(np.int64)
            return [gy, argmax, x.shape]
        include, override = bool(rng.integers(2)), (None, 2, -3)[rng.integers(3)]
        if name == "avg_pool_forward":
            return [x, K, s, p, ceil, include, override]
        return [gy, x.shape, K, s, p, ceil, include, override]
    if family == "scatter":
        M, Kc, n = int(rng.integers(1, 6)), int(rng.integers(0, 5)), int(rng.integers(0, 8))
        return [_floats(rng, (M, Kc), dtype), rng.integers(0, M, size=n).astype(np.int64),
                _floats(rng, (n, Kc), dtype)]
    if family == "norm":
        C = int(rng.integers(0, 4))
        x = _floats(rng, (max(N, 1), C, int(rng.integers(1, 6))), dtype)
        w, b = (_floats(rng, (C,), dtype) if rng.integers(2) else None for _ in range(2))
        eps = float(rng.choice([0.0, 1e-5, 0.1]))
        if name == "batch_norm_forward":
            return [x, w, b, eps]
        var = np.abs(_floats(rng, (C,), dtype))
        if name == "batch_norm_eval":
            return [x, _floats(rng, (C,), dtype), var, w, b, eps]
        return [_floats(rng, x.shape, dtype), x, _floats(rng, (C,), dtype), var, w, eps]
    if family == "loss":
        C = int(rng.integers(1, 6))
        z = _floats(rng, (N, C), dtype)
        target = rng.integers(-1, C, size=N).astype(np.int64)      # -1: ignored
        w = _floats(rng, (C,), dtype) if rng.integers(2) else None
        if name == "cross_entropy_forward":
            return [z, target, w, -1]
        return [np.abs(z), target, w, -1, _floats(rng, (N,), dtype)]
    if family == "rnn":
        H, T = int(rng.integers(0, 11)), int(rng.integers(0, 4))
        sizes = sorted(rng.integers(1, N + 1, size=T).tolist(), reverse=True) if N else []
        if sizes:
            sizes[0] = N
        rows = sum(sizes)
        gates, w_hh = _floats(rng, (rows, 4 * H), dtype), _floats(rng, (4 * H, H), dtype)
        states = [_floats(rng, (N, H), dtype) for _ in range(2)]
        batch_sizes, reverse = np.array(sizes, dtype=np.int64), bool(rng.integers(2))
        if name == "gru_forward":
            b_hh = _floats(rng, (3 * H,), dtype) if rng.integers(2) else None
            return [_floats(rng, (rows, 3 * H), dtype), states[0], w_hh[:3 * H], b_hh,
                    batch_sizes, reverse]
        if name == "gru_backward":
            return [_floats(rng, (rows, 4 * H), dtype), _floats(rng, (rows, H), dtype),
                    w_hh[:3 * H], _floats(rng, (rows, H), dtype), states[0], batch_sizes,
                    reverse]
        if name == "lstm_forward":
            return [gates, *states, w_hh, batch_sizes, reverse]
        saved = [_floats(rng, (rows, H), dtype) for _ in range(3)]     # tanh_c, c_prev, dy
        return [gates, saved[0], saved[1], w_hh, saved[2], *states, batch_sizes, reverse]
    shape = tuple(int(v) for v in rng.integers(0, 5, size=int(rng.integers(0, 4))))
    x = _floats(rng, shape, dtype)
    if name == "relu_backward":
        return [x, rng.integers(0, 2, size=shape).astype(bool)]
    return [x]


# ------------------------------------------------------------------ spoiling them
def _strided(a):
    """The values of ``a`` in a view with every other element of a buffer twice as long."""
    buffer = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
    buffer[..., ::2] = a
    return buffer[..., ::2]


def _spoil_array(rng, a):
    kind = int(rng.integers(9))
    if kind == 0:                                        # another dtype
        return a.astype((np.int64, np.float16, np.int32, np.bool_, np.complex64,
                         np.float32, np.float64)[rng.integers(7)])
    if kind == 1 and a.ndim:                             # not C-contiguous
        return _strided(a)
    if kind == 2 and a.ndim:                             # one axis fewer
        return a[..., 0] if a.shape[-1] else a.sum(axis=-1)
    if kind == 3:                                        # one axis more
        return a[None]
    if kind == 4 and a.ndim:                             # an axis one longer or shorter
        axis = int(rng.integers(a.ndim))
        shape = list(a.shape)
        shape[axis] = max(0, shape[axis] + (1, -1)[rng.integers(2)])
        return np.resize(a, shape)
    if kind == 5:                                        # read-only
        b = a.copy()
        b.flags.writeable = False
        return b
    if kind == 6:                                        # a list
        return a.tolist()
    if kind == 7 and a.dtype == np.int64 and a.size:     # an index out of range
        b = a.copy()
        b.reshape(-1)[int(rng.integers(b.size))] = (10 ** 9, -2, -(10 ** 9), 2 ** 62)[rng.integers(4)]
        return b
    if kind == 8 and a.size:                             # non-finite values
        b = a.copy()
        if b.dtype.kind == "f":
            b.reshape(-1)[int(rng.integers(b.size))] = (np.nan, np.inf, -np.inf)[rng.integers(3)]
        return b
    return np.empty((0,) * a.ndim, dtype=a.dtype)


def _spoil_value(rng, v):
    kind = int(rng.integers(5))
    if isinstance(v, tuple):
        if kind == 0:
            return v[:-1]                                # too short
        if kind == 1:
            return v + (1,)                              # too long
        if kind == 2 and v:
            i = int(rng.integers(len(v)))
            return v[:i] + (NASTY_INTS[rng.integers(len(NASTY_INTS))],) + v[i + 1:]
        if kind == 3 and v:
            i = int(rng.integers(len(v)))
            return v[:i] + (NASTY_VALUES[rng.integers(len(NASTY_VALUES))],) + v[i + 1:]
        return list(v) if kind == 4 else NASTY_VALUES[rng.integers(len(NASTY_VALUES))]
    if kind < 3:
        return NASTY_INTS[rng.integers(len(NASTY_INTS))]
    return NASTY_VALUES[rng.integers(len(NASTY_VALUES))]


def make_call(seed, i):
    """Call ``i`` of ``seed``: ``(family, name, args)``, always the same."""
    rng = np.random.default_rng([seed, i])
    family, name = CALLS[rng.integers(len(CALLS))]
    args = _valid(rng, family, name)
    spoilt = int(rng.integers(0, 3))                     # a valid call a third of the time
    for _ in range(spoilt):
        j = int(rng.integers(len(args)))
        if isinstance(args[j], np.ndarray):
            args[j] = _spoil_array(rng, args[j])
        else:
            args[j] = _spoil_value(rng, args[j])
    return family, name, args


# ------------------------------------------------------------------ one call, both twins
def _copy(args):
    out = []
    for a in args:
        if isinstance(a, np.ndarray):
            b = a.copy() if a.flags.c_contiguous or not a.ndim else _strided(a)
            b.flags.writeable = a.flags.writeable
            out.append(b)
        else:
            out.append(a)
    return out


def _run(fn, args):
    try:
        return "ok", fn(*args)
    except MemoryError as exc:  # NumPy raises a subclass of its own
        return "MemoryError", exc
    except Exception as exc:  # the outcome is its type
        return type(exc).__name__, exc


def _same(a, b, values=True):
    """Same shapes and dtypes; same values too when ``values`` (finite inputs: an inf
    weight meets the zero padding as NaN in the reference, which reads the padding,
    and not at all in the compiled twin, which skips it)."""
    a = a if isinstance(a, tuple) else (a,)
    b = b if isinstance(b, tuple) else (b,)
    if len(a) != len(b):
        return False
    for u, v in zip(a, b):
        if u is None or v is None:
            if not (u is None and v is None):
                return False
            continue
        u, v = np.asarray(u), np.asarray(v)
        if u.shape != v.shape or u.dtype != v.dtype:
            return False
        if not values:
            continue
        if u.dtype.kind == "f":
            tol = 1e-3 if u.dtype == np.float32 else 1e-9
            if not np.allclose(u, v, rtol=tol, atol=tol, equal_nan=True):
                return False
        elif not np.array_equal(u, v):
            return False
    return True


def run_call(family, name, args, twins=("reference", "compiled")):
    """Outcome of one call on the given twins (see the module docstring)."""
    from lucid import _ext

    _ext._load(family)
    modules = {"reference": _ext._reference[family], "compiled": _ext._compiled[family]}
    results = []
    for twin in twins:
        copies = _copy(args)
        outcome, value = _run(getattr(modules[twin], name), copies)
        if outcome == "ok" and value is None:                # in place: its first argument
            value = copies[0]
        results.append((outcome, value))
    outcomes = {o for o, _ in results}
    if "MemoryError" in outcomes:      # the reference pads whole arrays: it may need more
        return "MemoryError"
    if len(outcomes) > 1:
        return "mismatch"
    outcome = results[0][0]
    finite = all(np.isfinite(a).all() for a in args
                 if isinstance(a, np.ndarray) and a.dtype.kind == "f")
    if outcome == "ok" and not all(_same(results[0][1], v, finite) for _, v in results[1:]):
        return "mismatch"
    return outcome


def _worker(seed, start, stop, twins):
    """Run calls ``start..stop-1``; print ``i outcome`` after each (the parent reads it)."""
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass
    import lucid  # noqa: F401  (the whole import, as a user has it)

    for i in range(start, stop):
        family, name, args = make_call(seed, i)
        print(i, run_call(family, name, args, twins), flush=True)


# ------------------------------------------------------------------ the parent
def _describe(seed, i):
    family, name, args = make_call(seed, i)

    def show(a):
        if isinstance(a, np.ndarray):
            layout = "" if a.flags.c_contiguous else ", non-contiguous"
            return f"array{a.shape}:{a.dtype}{layout}"
        return repr(a) if len(repr(a)) < 40 else repr(a)[:37] + "..."
    return f"{family}.{name}({', '.join(show(a) for a in args)})"


def fuzz(calls, seed=0, twins=("reference", "compiled"), timeout=20.0, progress=None):
    """Run calls ``0 .. calls-1`` of ``seed`` in worker processes.

    Returns ``(counts, problems)``: a Counter of outcomes and, per crash, mismatch or
    unexpected exception, ``(i, what, description)``.
    """
    counts = collections.Counter()
    problems = []
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    i = 0
    while i < calls:
        cmd = [sys.executable, "-m", "tests._ext.fuzz", "--worker", "--seed", str(seed),
               "--start", str(i), "--stop", str(calls), "--twins", ",".join(twins)]
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout] + [lines.put(None)],
                         daemon=True).start()
        how = None
        while True:
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                proc.kill()
                how = f"hang (no answer in {timeout:g} s)"
                break
            if line is None:
                code = proc.wait()
                if code != 0 or i < calls:
                    how = f"died ({'signal ' + str(-code) if code < 0 else 'exit ' + str(code)})"
                break
            done, outcome = line.split()
            i = int(done) + 1
            counts[outcome] += 1
            if outcome not in EXPECTED + ("ok",):
                problems.append((i - 1, outcome, _describe(seed, i - 1)))
            if progress and i % 1000 == 0:
                progress(i, counts)
        proc.wait()
        if how is not None and i < calls:
            counts["crash"] += 1
            problems.append((i, f"crash: {how}", _describe(seed, i)))
            i += 1
    return counts, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--twins", default="reference,compiled")
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--replay", type=int)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=int, default=0, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    twins = tuple(opts.twins.split(","))
    if opts.worker:
        _worker(opts.seed, opts.start, opts.stop, twins)
        return 0
    if opts.replay is not None:
        print(_describe(opts.seed, opts.replay))
        family, name, args = make_call(opts.seed, opts.replay)
        print(run_call(family, name, args, twins))
        return 0
    t0 = time.perf_counter()
    counts, problems = fuzz(opts.calls, opts.seed, twins, opts.timeout,
                           progress=lambda i, c: print(f"  {i} calls: {dict(c)}", flush=True))
    print(json.dumps({"calls": opts.calls, "seed": opts.seed, "twins": twins,
                      "seconds": round(time.perf_counter() - t0, 1),
                      "outcomes": dict(counts.most_common())}, indent=1))
    for i, what, text in problems:
        print(f"call {i}: {what}: {text}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
