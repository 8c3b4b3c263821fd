"""Rules the test suite keeps, checked: PyTorch is optional, reached through one guard."""
import pathlib
import re

TESTS = pathlib.Path(__file__).resolve().parent
_IMPORT_TORCH = re.compile(r"^\s*(import torch\b|from torch\b)", re.MULTILINE)


def test_no_test_imports_torch_itself():
    """Only conftest.py imports torch; tests take it from there under the ``torch`` marker,
    so a checkout without PyTorch skips them instead of failing (README's promise)."""
    offenders = [str(p.relative_to(TESTS)) for p in TESTS.rglob("*.py")
                 if p.name != "conftest.py" and _IMPORT_TORCH.search(p.read_text())]
    assert offenders == [], f"these test files import torch themselves: {offenders}"
