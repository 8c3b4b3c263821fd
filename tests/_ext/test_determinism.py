"""The determinism contract: same seed, same thread count => the same results, bit for bit.

Two fresh interpreters run the same small training (a conv net on the compiled twins,
its Linear layer on BLAS, three SGD steps with momentum) from the same seed with the
same thread counts; every parameter must come out with identical bytes. A third run
with the reference twins must agree with itself the same way.
"""
import hashlib
import os
import subprocess
import sys
import textwrap

import pytest

from lucid import _ext

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_TRAIN = textwrap.dedent(
    """
    import hashlib
    import lucid
    import lucid.nn as nn
    import lucid.nn.functional as F

    lucid.random.seed(7)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 4 * 4, 10))
    opt = lucid.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    images = lucid.random.randn(32, 1, 16, 16)
    labels = lucid.Tensor((lucid.random.rand(32).data * 10).astype("int64"))
    for _ in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        opt.step()
    digest = hashlib.sha256()
    for p in model.parameters():
        digest.update(p.data.tobytes())
    print(digest.hexdigest(), float(loss.data))
    """
)


def _train(kernels):
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2",
               LUCID_KERNELS=kernels,
               PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", _TRAIN], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()


@pytest.mark.parametrize("kernels", ["compiled", "reference"])
def test_same_seed_same_threads_same_bits(kernels):
    if kernels == "compiled" and not all(_ext.compiled_available(f) for f in _ext.families):
        pytest.skip(f"the compiled twins are not built; {_ext.BUILD_HINT}")
    first, second = _train(kernels), _train(kernels)
    assert first == second
    assert len(first[0]) == len(hashlib.sha256().hexdigest())
