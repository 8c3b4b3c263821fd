"""Seed PyTorch and lucid before each test: the layers start from random parameters,
and a float32 comparison must see the same numbers on every run."""
import pytest

import lucid
from tests.conftest import torch


@pytest.fixture(autouse=True)
def _seeded():
    lucid.random.seed(0)
    if torch is not None:
        torch.manual_seed(0)
