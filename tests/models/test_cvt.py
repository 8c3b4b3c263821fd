"""lucid.models.cvt: counts by the block formula and the paper, the class token's
stage, forward/backward shapes, gradcheck of the block, bad input (no reference
implementation of CvT is installed; its blocks are checked against the authors'
formulation in tests/nn/modules/test_conv_token_attention.py)."""
import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.testing import gradcheck
from tests.models.test_counts import COUNTS

SMALL = dict(embed_dims=(8, 16), num_heads=(1, 2), depths=(1, 2), num_classes=5)


def _x(*shape, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def _count_by_formula(dims, depths, classes=1000):
    """Embeddings (7x7/4 then 3x3/2 convolutions + LayerNorm), 12 C^2 + 46 C per block,
    the class token, the final LayerNorm and the head."""
    total, previous = 0, 3
    for i, (c, d) in enumerate(zip(dims, depths)):
        k = 7 if i == 0 else 3
        total += previous * c * k * k + c + 2 * c + d * (12 * c * c + 46 * c)
        previous = c
    return total + previous + 2 * previous + previous * classes + classes


@pytest.mark.parametrize("name, dims, depths, paper", [
    ("cvt_13", (64, 192, 384), (1, 2, 10), 20),
    ("cvt_21", (64, 192, 384), (1, 4, 16), 32),
    ("cvt_w24", (192, 768, 1024), (2, 2, 20), 277)])
def test_counts_by_formula_and_paper(name, dims, depths, paper):
    assert COUNTS[name] == _count_by_formula(dims, depths)
    assert round(COUNTS[name] / 1e6) == paper
    with nn.shape_only():
        assert models.create_model(name).count_parameters() == COUNTS[name]


def test_forward_backward_and_class_token_stage():
    lucid.random.seed(0)
    model = models.CvT(drop_path_rate=0.1, **SMALL)
    assert [b.attn.with_cls_token for s in model.stages for b in s.blocks] == \
        [False, True, True]
    out = model(lucid.random.randn(2, 3, 32, 40))
    assert out.shape == (2, 5)
    out.sum().backward()
    # only the class token is classified and its query skips the convolutions: the
    # last block's query convolution and batch norm get a zero gradient, as they should
    idle = "stages.1.blocks.1.attn.conv_proj_q."
    for key, p in model.named_parameters():
        assert p.grad is not None and np.any(p.grad != 0) != key.startswith(idle), key


@pytest.mark.parametrize("cls", [False, True])
def test_gradcheck_block(cls):
    lucid.random.seed(0)
    block = models.CvTBlock(4, 2, mlp_ratio=1.5, with_cls_token=cls).double().eval()
    for p in block.parameters():
        p.data[...] += np.random.default_rng(1).normal(0, 0.2, p.shape)
    assert gradcheck(lambda t: block(t, (3, 3)), [_x(1, 9 + cls, 4)])


def test_bad_input():
    model = models.CvT(**SMALL)
    with pytest.raises(ValueError, match=r"CvT: expected input of shape \(N, 3, H, W\); "
                                         r"got \(1, 1, 32, 32\)"):
        model(lucid.random.randn(1, 1, 32, 32))
    with pytest.raises(TypeError, match="CvT: input must be a Tensor; got ndarray"):
        model(np.zeros((1, 3, 32, 32)))
    with pytest.raises(ValueError, match="must have the same non-zero length"):
        models.CvT(embed_dims=(8,), num_heads=(1, 2), depths=(1,))
