"""Shared fixtures: both kernel twins, torch when installed, float dtypes.

PyTorch is the parity oracle, and it is optional. A test that uses it carries the
``torch`` marker (``@pytest.mark.torch``, or ``pytestmark = pytest.mark.torch`` for a
whole module) and takes the module from here (``from tests.conftest import torch``) or
from the ``torch`` fixture. Without PyTorch those tests are skipped, with one reason;
no test imports torch itself (``tests/test_suite_rules.py`` checks that).
"""
import collections

import numpy as np
import pytest

import lucid
from lucid import _ext
from tests import reference_models

try:
    import torch
except ImportError:  # parity tests skip with this reason
    torch = None

TORCH_MISSING = "PyTorch is not installed (pip install torch==2.13.0) so the parity oracle is absent"

try:
    import onnx.checker  # (a submodule: tests/onnx/ alone is no onnx)
    import onnxruntime
except ImportError:  # export tests (marked 'onnx') skip with this reason
    onnx = onnxruntime = None

ONNX_MISSING = 'onnx and onnxruntime are not installed (pip install "lucid[onnx]") so exported graphs cannot be run'

#: Docstring examples that need an optional package: path prefix -> marker
OPTIONAL_DOCTESTS = {"lucid/interop/": "torch", "lucid/onnx/_export.py": "onnx"}

#: Course topics (``pytest -m conv``, ``python -m lucid.course list``): topic -> the path
#: prefixes of its tests and of the modules whose docstring examples it runs.
TOPIC_PATHS = {
    "conv": ("tests/_ext/test_conv_kernels.py", "tests/nn/test_conv", "lucid/_ext/conv.py",
             "lucid/ops/conv.py", "lucid/nn/functional/conv.py", "lucid/nn/modules/conv.py"),
    "pool": ("tests/_ext/test_pool_kernels.py", "tests/nn/functional/test_pool.py",
             "tests/nn/modules/test_pooling.py", "lucid/_ext/pool.py", "lucid/ops/pool.py",
             "lucid/nn/functional/pool.py", "lucid/nn/modules/pooling.py"),
    "activation": ("tests/_ext/test_activation_kernels.py", "tests/nn/functional/test_activation.py",
                   "tests/nn/modules/test_activation.py", "lucid/_ext/activation.py",
                   "lucid/ops/activation.py", "lucid/nn/functional/activation.py",
                   "lucid/nn/modules/activation.py"),
    "scatter": ("tests/_ext/test_scatter.py", "tests/ops/test_index.py",
                "tests/nn/functional/test_embedding.py", "tests/nn/modules/test_sparse.py",
                "lucid/_ext/scatter.py", "lucid/ops/index.py", "lucid/ops/embedding.py"),
    "autograd": ("tests/autograd/", "tests/ops/test_elementwise.py", "tests/ops/test_reduce.py",
                 "tests/ops/test_shape.py", "tests/ops/test_index.py", "tests/ops/test_linalg.py",
                 "lucid/autograd/", "lucid/ops/elementwise.py", "lucid/ops/reduce.py",
                 "lucid/ops/shape.py", "lucid/ops/index.py", "lucid/ops/linalg.py"),
    "nn": ("tests/nn/", "lucid/nn/", "lucid/ops/linear.py", "lucid/ops/norm.py", "lucid/ops/loss.py"),
    "optim": ("tests/optim/", "lucid/optim/"),
}


def pytest_collection_modifyitems(config, items):
    """The one torch guard: a test that takes the ``torch`` fixture is marked ``torch``
    (so ``pytest -m torch`` selects every parity test), and without PyTorch every test
    marked ``torch`` is skipped; likewise every test marked ``onnx`` without onnx and
    onnxruntime, and the docstring examples of OPTIONAL_DOCTESTS. For the optional
    reference model zoos: a test marked ``torchvision`` or ``timm`` is skipped when
    that package cannot be imported (``tests/reference_models.py``). Each test (and
    docstring example) of a course topic gets the topic's marker from its path
    (TOPIC_PATHS)."""
    skip = pytest.mark.skip(reason=TORCH_MISSING)
    skip_onnx = pytest.mark.skip(reason=ONNX_MISSING)
    for item in items:
        if "torch" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.torch)
        for prefix, marker in OPTIONAL_DOCTESTS.items():
            if item.nodeid.startswith(prefix):
                item.add_marker(getattr(pytest.mark, marker))
        for topic, prefixes in TOPIC_PATHS.items():
            if item.nodeid.startswith(prefixes):
                item.add_marker(getattr(pytest.mark, topic))
        if torch is None and item.get_closest_marker("torch") is not None:
            item.add_marker(skip)
        if onnxruntime is None and item.get_closest_marker("onnx") is not None:
            item.add_marker(skip_onnx)
        for zoo in ("torchvision", "timm"):
            if item.get_closest_marker(zoo) is not None and torch is not None \
                    and reference_models.load(zoo) is None:
                item.add_marker(pytest.mark.skip(reason=reference_models.MISSING[zoo]))


def pytest_terminal_summary(terminalreporter):
    """Skips, one line per reason with its count (pytest's own list has a line per place)."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons = collections.Counter()
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    terminalreporter.section("skipped, by reason", sep="-")
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"{count:6d}  {reason}")


@pytest.fixture(params=["reference", "compiled"])
def twin(request):
    """Run the test once per kernel twin; 'compiled' skips (with the reason) when not built.

    A test module may set ``KERNEL_FAMILIES = ("scatter",)`` to name the families it
    exercises; only those must be built for its compiled run (default: every family).
    """
    kind = request.param
    families = tuple(getattr(request.module, "KERNEL_FAMILIES", _ext.families))
    if kind == "compiled":
        missing = [f for f in families if not _ext.compiled_available(f)]
        if missing:
            pytest.skip(f"compiled twins not built for {', '.join(missing)}; {_ext.BUILD_HINT}")
    with lucid.kernels.use(kind, *families):
        yield kind


@pytest.fixture(name="torch")
def torch_fixture():
    """The torch module (the parity oracle); skips the test when PyTorch is absent."""
    if torch is None:
        pytest.skip(TORCH_MISSING)
    return torch


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def float_dtype(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)
