"""Tests of the attention, Transformer, fused-block and Rearrange layers against PyTorch."""
