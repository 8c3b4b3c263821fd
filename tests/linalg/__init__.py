"""Tests of lucid.linalg (a package so that its test_linalg.py does not clash with tests/ops/test_linalg.py)."""
