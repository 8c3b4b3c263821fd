"""Utilities for layers: ``lucid.nn.utils.rnn`` (padding and packing sequences)."""
from lucid.nn.utils import rnn

__all__ = ["rnn"]
