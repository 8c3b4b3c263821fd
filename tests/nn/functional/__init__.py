"""Tests of lucid.nn.functional (a package so test file names may repeat elsewhere)."""
