"""Compare a lucid layer with its PyTorch twin when the call takes masks and keywords.

``call_parity`` loads torch's parameters into the lucid layer (the state-dict keys must
be equal), calls both on the same inputs and masks, compares the output (and the
attention weights when the layer returns ``(output, weights)``), backpropagates one
random gradient, and compares the gradients of the inputs and of every parameter.

Gradients of the early layers of a stack are long sums (over the batch, the sequence and
every later layer): their rounding error grows with the size of the terms summed, not
with the size of the result, so a bias gradient that sums terms of size ~2 to a value of
~0.04 may differ from PyTorch's by ~1e-6 in float32 with both sides right. Gradients are
therefore compared with an absolute tolerance scaled by the largest gradient of that
array (``_close``); the relative tolerance stays the dtype's default.
"""
import numpy as np

import lucid
from lucid.testing import assert_close, tolerance
from tests.conftest import torch
from tests.nn.modules._parity import load_torch_state, to_dtype


def _cast(a, dtype):
    return a.astype(dtype) if a.dtype.kind == "f" else a


def _close(actual, expected, msg):
    """``assert_close`` with the dtype's atol scaled by ``max(1, max |expected|)``."""
    atol = tolerance(expected.dtype)[1] * max(1.0, float(np.abs(expected).max(initial=0.0)))
    assert_close(actual, expected, atol=atol, msg=msg)


def call_parity(lucid_module, torch_module, inputs, dtype, rng, masks=None, **kwargs):
    """Run both layers on ``inputs`` (float arrays, all differentiated) and ``masks``
    (a dict of keyword arrays: bool or float, not differentiated); returns lucid's output."""
    to_dtype(lucid_module, torch_module, dtype)
    load_torch_state(lucid_module, torch_module)
    masks = {k: _cast(v, dtype) for k, v in (masks or {}).items()}
    lt = [lucid.Tensor(a.astype(dtype), requires_grad=True) for a in inputs]
    tt = [torch.tensor(a.astype(dtype), requires_grad=True) for a in inputs]
    lo = lucid_module(*lt, **{k: lucid.Tensor(v) for k, v in masks.items()}, **kwargs)
    to = torch_module(*tt, **{k: torch.tensor(v) for k, v in masks.items()}, **kwargs)
    if isinstance(lo, tuple):
        (lo, lw), (to, tw) = lo, to
        assert (lw is None) == (tw is None)
        if lw is not None:
            assert_close(lw, tw.detach().numpy(), msg="attention weights: ")
    assert_close(lo, to.detach().numpy(), msg="forward: ")
    seed = rng.standard_normal(lo.shape).astype(dtype)
    lo.backward(seed)
    to.backward(torch.tensor(seed))
    for i, (l, t) in enumerate(zip(lt, tt)):
        _close(l.grad, t.grad.numpy(), msg=f"grad of input {i}: ")
    t_params = dict(torch_module.named_parameters())
    for name, p in lucid_module.named_parameters():
        expected = t_params[name].grad
        expected = np.zeros_like(p.data) if expected is None else expected.numpy()
        _close(p.grad, expected, msg=f"grad of {name}: ")
    return lo
