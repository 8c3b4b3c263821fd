"""Layers: thin :class:`~lucid.nn.Module` classes over :mod:`lucid.nn.functional`."""
from lucid.nn.modules import conv
from lucid.nn.modules.conv import *  # noqa: F401,F403

__all__ = [*conv.__all__]
