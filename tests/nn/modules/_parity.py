"""Run a lucid layer and its PyTorch twin on the same parameters, inputs and seed gradient.

``module_parity`` copies torch's freshly initialised parameters and buffers into the
lucid layer through ``load_state_dict`` (so the state-dict keys must match), runs both
forward, backpropagates one random gradient, and compares the outputs, the gradients
of every float input and of every parameter, and the buffers afterwards.
"""
import numpy as np

import lucid
from lucid.testing import assert_close
from tests.conftest import torch

TORCH_DTYPE = {np.float32: "float32", np.float64: "float64"}


def load_torch_state(lucid_module, torch_module):
    """Load torch's state dict into the lucid module (strict: the keys must be equal)."""
    state = {k: v.detach().numpy().copy() for k, v in torch_module.state_dict().items()}
    assert list(lucid_module.state_dict()) == list(state)
    lucid_module.load_state_dict(state)


def to_dtype(lucid_module, torch_module, dtype):
    lucid_module.to(np.dtype(dtype).type)
    torch_module.to(getattr(torch, TORCH_DTYPE[np.dtype(dtype).type]))


def module_parity(lucid_module, torch_module, arrays, dtype, rng, steps=1, grad=True):
    """Compare forward values, gradients (inputs and parameters) and buffers.

    ``steps`` forward/backward passes are run (each on fresh inputs derived from
    ``arrays`` by a small shift) so that running statistics accumulate. Returns the
    last lucid output.
    """
    to_dtype(lucid_module, torch_module, dtype)
    load_torch_state(lucid_module, torch_module)
    out = None
    for step in range(steps):
        shifted = [a + step * 0.25 if a.dtype.kind == "f" else a for a in arrays]
        lt = [lucid.Tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in shifted]
        tt = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in shifted]
        out, t_out = lucid_module(*lt), torch_module(*tt)
        assert_close(out, t_out.detach().numpy(), msg=f"forward (step {step}): ")
        if grad and out.requires_grad:
            seed = rng.standard_normal(out.shape).astype(out.dtype)
            out.backward(seed)
            t_out.backward(torch.tensor(seed))
            for i, (l, t) in enumerate(zip(lt, tt)):
                if l.requires_grad:
                    assert_close(l.grad, t.grad.numpy(), msg=f"grad of input {i}: ")
            t_params = dict(torch_module.named_parameters())
            for name, p in lucid_module.named_parameters():
                if p.requires_grad:
                    assert_close(p.grad, t_params[name].grad.numpy(), msg=f"grad of {name}: ")
            lucid_module.zero_grad()
            torch_module.zero_grad()
    t_state = torch_module.state_dict()
    for name, value in lucid_module.state_dict().items():
        assert_close(value, t_state[name].numpy(), msg=f"state {name}: ")
    return out
