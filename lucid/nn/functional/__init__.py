"""Functions of neural-network layers, with ``input_`` first (``lucid.nn.functional``).

Each validates its arguments, then calls an autograd Function of :mod:`lucid.ops`.
"""
from lucid.nn.functional import conv
from lucid.nn.functional.conv import *  # noqa: F401,F403

__all__ = [*conv.__all__]
