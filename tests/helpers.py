"""Test helpers: compare a lucid op with its torch twin, values and gradients; check that
a compiled twin's results do not depend on its thread count; arrays that a compiled
kernel's front door (``lucid/_ext/_arrays.pxd``) leaves to the long way."""
import importlib

import numpy as np
import pytest

import lucid
from lucid.testing import assert_close, gradcheck

from tests.conftest import torch


def torch_parity(lucid_fn, torch_fn, arrays, grad=True, rtol=None, atol=None, out_grad=None):
    """Run ``lucid_fn`` and ``torch_fn`` on tensors made from ``arrays``; compare the
    outputs and (when ``grad``) the gradients of every floating input.

    ``out_grad`` seeds backward (default: a fixed random array of the output's shape).
    """
    lt = [lucid.Tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    tt = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    lo = lucid_fn(*lt)
    to = torch_fn(*tt)
    assert_close(lo, to.detach().numpy(), rtol=rtol, atol=atol)
    if grad and lo.requires_grad:
        seed = out_grad
        if seed is None:
            seed = np.random.default_rng(1).standard_normal(lo.shape).astype(lo.dtype)
        lo.backward(seed)
        to.backward(torch.tensor(seed))
        for l, t in zip(lt, tt):
            if l.requires_grad:
                expected = t.grad.numpy() if t.grad is not None else np.zeros_like(l.data)
                assert l.grad is not None, "lucid gave no gradient where torch did"
                assert_close(l.grad, expected, rtol=rtol, atol=atol)
    return lo


def assert_same_bits_on_any_thread_count(monkeypatch, family, rule, run):
    """Call ``run(module)`` (the compiled twin ``lucid._ext._<family>``; it returns a
    tuple of arrays) with the module's thread rule, its function ``rule``, forced to one
    thread and then to every thread: the results must be the same bits. Skips when the
    compiled twin is not built."""
    from lucid import _ext
    from lucid._ext import _openmp

    if not _ext.compiled_available(family):
        pytest.skip(f"the compiled {family} twin is not built; {_ext.BUILD_HINT}")
    module = importlib.import_module(f"lucid._ext._{family}")
    results, asked = [], []

    def forced(threads):
        def rule_forced(*_):
            asked.append(threads)
            return threads
        return rule_forced

    for threads in (1, _openmp.max_threads()):
        monkeypatch.setattr(module, rule, forced(threads))
        results.append(run(module))
    # the kernels must have asked the rule, or the two runs compared nothing
    assert set(asked) == {1, _openmp.max_threads()}, f"{family}.{rule} was not asked"
    for one, every in zip(*results):
        np.testing.assert_array_equal(one, every)


__all__ = ["torch_parity", "assert_close", "gradcheck", "torch",
           "assert_same_bits_on_any_thread_count"]


class NotPlain(np.ndarray):
    """An ndarray subclass: the kernels' checks accept it, a compiled front door does not
    (``x.view(NotPlain)``: the same memory, the long way)."""


def unaligned(a):
    """``a``'s values, C-ordered, in memory one byte off its dtype's alignment (an empty
    array counts as aligned): the checks accept it, a compiled front door does not."""
    raw = np.empty(a.nbytes + 1, np.uint8)
    out = raw[1:].view(a.dtype).reshape(a.shape)
    out[...] = a
    assert out.flags.aligned == (a.size == 0)
    return out
