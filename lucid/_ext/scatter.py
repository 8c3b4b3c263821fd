"""Scatter-add kernels: reference twin (to be written)."""
