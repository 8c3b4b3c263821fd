"""Shared fixtures: both kernel twins, torch when installed, float dtypes."""
import numpy as np
import pytest

import lucid
from lucid import _ext

try:
    import torch
except ImportError:  # parity tests skip with this reason
    torch = None

TORCH_MISSING = "PyTorch is not installed (pip install torch==2.13.0) so the parity oracle is absent"


def _twin_params():
    params = [pytest.param("reference", id="reference")]
    params.append(pytest.param("compiled", id="compiled"))
    return params


@pytest.fixture(params=_twin_params())
def twin(request):
    """Run the test once per kernel twin; 'compiled' skips (with the reason) when not built.

    A test module may set ``KERNEL_FAMILIES = ("scatter",)`` to name the families it
    exercises; only those must be built for its compiled run (default: every family).
    """
    kind = request.param
    families = tuple(getattr(request.module, "KERNEL_FAMILIES", _ext.families))
    if kind == "compiled":
        missing = [f for f in families if not _ext.compiled_available(f)]
        if missing:
            pytest.skip(f"compiled twins not built for {', '.join(missing)}: run `pip install -e .`")
    with lucid.kernels.use(kind, *families):
        yield kind


@pytest.fixture
def torch_or_skip():
    if torch is None:
        pytest.skip(TORCH_MISSING)
    return torch


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def float_dtype(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)
