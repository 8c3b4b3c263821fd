"""Test helpers: compare a lucid op with its torch twin, values and gradients."""
import numpy as np

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


__all__ = ["torch_parity", "assert_close", "gradcheck", "torch"]
