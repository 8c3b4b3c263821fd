"""The model-zoo pages: every factory has a family page, a row of ``docs/models/flops.csv``
that matches the model built today, and FLOPs that ``summarize`` reproduces and that
agree with what the papers state."""
import importlib
import pathlib
import sys

import pytest

from lucid import models, nn
from tests.models.test_counts import COUNTS

DOCS = pathlib.Path(__file__).resolve().parent.parent.parent / "docs"


def _modelzoo():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        return importlib.import_module("modelzoo")
    finally:
        sys.path.remove(str(DOCS / "_ext"))


ZOO = _modelzoo()
FACTORIES = [n for family, _ in ZOO.FAMILIES for n in models.list_models(family)]


def test_every_zoo_family_is_listed():
    listed = {family for family, _ in ZOO.FAMILIES}
    assert listed == set(models.list_families()) - {"transformer", "rcnn", "user"}


@pytest.mark.parametrize("family", [f for f, _ in ZOO.FAMILIES])
def test_family_page_documents_every_factory(family):
    text = (DOCS / "models" / f"{family}.rst").read_text(encoding="utf-8")
    assert f".. model-table:: {family}" in text
    for name in models.list_models(family):
        assert f"* :func:`~lucid.models.{name}`\n" in text, name
    index = (DOCS / "models" / "index.rst").read_text(encoding="utf-8")
    assert f"\n   {family}\n" in index


def test_flops_table_has_an_up_to_date_row_per_factory():
    cache = ZOO.read_flops()
    assert set(cache) == set(FACTORIES)
    for name in FACTORIES:
        shape, params, flops = cache[name]
        assert shape == ZOO.input_shape(name) and params == COUNTS[name], name
        assert flops > 0


@pytest.mark.parametrize("name", ["lenet_5", "mobilenet_v2"])
def test_summarize_reproduces_the_flops_table(name):
    shape, params, flops = ZOO.read_flops()[name]
    with nn.shape_only():
        model = models.create_model(name)
    report = models.summarize(model, shape, print_table=False)
    assert (report.total_params, report.total_flops) == (params, flops)


# multiply-adds the papers state (summarize counts two FLOPs per multiply-add)
PAPER_MULTIPLY_ADDS = {
    "mobilenet": 569e6,             # MobileNets, Table 8
    "mobilenet_v2": 300e6,          # MobileNetV2, Table 4
    "mobilenet_v3_large": 219e6,    # MobileNetV3, Table 3
    "efficientnet_b0": 0.39e9,      # EfficientNet, Table 2
    "resnet_18": 1.8e9,             # ResNet, Table 1
    "sk_resnext_50_32x4d": 4.47e9,  # SKNet, Table 2
    "convnext_tiny": 4.5e9,         # ConvNeXt, Table 1 ("FLOPs": multiply-adds)
    "vit_tiny": 1.3e9,              # DeiT, Table 1 (DeiT-Ti = ViT-Ti/16)
    "vit_small": 4.6e9,             # DeiT, Table 1
    "vit_base": 17.6e9,             # DeiT, Table 1
    "swin_tiny": 4.5e9,             # Swin, Table 1(a)
    "swin_base": 15.4e9,            # Swin, Table 1(a)
    "swin_v2_tiny": 5.9e9,          # Swin V2's code: SwinV2-T, 256 x 256, window 8
    "pvt_tiny": 1.9e9,              # PVT, Table 2 ("GFLOPs": multiply-adds)
    "pvt_small": 3.8e9,             # PVT, Table 2
    "pvt_v2_b0": 0.6e9,             # PVT v2, Table 5
    "pvt_v2_b2": 4.0e9,             # PVT v2, Table 5
    "pvt_v2_b2_li": 3.9e9,          # PVT v2, Table 5
    "cvt_13": 4.5e9,                # CvT, Table 2
    "cvt_21": 7.1e9,                # CvT, Table 2
    "cvt_w24": 193.2e9,             # CvT, Table 3 (384 x 384)
    "coatnet_1": 8.4e9,             # CoAtNet, Table 4 (CoAtNet-0: see its page)
    "coatnet_2": 15.7e9,            # CoAtNet, Table 4
    "coatnet_3": 34.7e9,            # CoAtNet, Table 4
}


@pytest.mark.parametrize("name", sorted(PAPER_MULTIPLY_ADDS))
def test_flops_agree_with_the_papers(name):
    """Within 8%: the papers round, and some leave out the batch-norm, activation and
    pooling work that summarize counts."""
    _, _, flops = ZOO.read_flops()[name]
    assert abs(flops / 2 / PAPER_MULTIPLY_ADDS[name] - 1) < 0.08, flops / 2
