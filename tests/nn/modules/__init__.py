"""Tests of the layer classes of lucid.nn.modules against PyTorch."""
