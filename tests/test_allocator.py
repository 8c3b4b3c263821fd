"""lucid/_allocator.py: glibc keeps freed large arrays for reuse, unless told not to."""
import sys

import pytest

from lucid import _allocator


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's (Linux)")
def test_tuning_applies_on_glibc(monkeypatch):
    monkeypatch.delenv("LUCID_MALLOC_TUNING", raising=False)
    assert _allocator.tune_malloc() is True


def test_tuning_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("LUCID_MALLOC_TUNING", "0")
    assert _allocator.tune_malloc() is False
