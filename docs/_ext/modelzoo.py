"""The model-zoo tables of ``docs/models/``: parameters counted at every build, FLOPs from
``lucid.models.summarize``.

``.. model-table:: family`` writes one row per factory of the family: its parameter
count (the model is built under ``nn.shape_only()`` at the docs build, so no weight is
allocated), the count the original lucid 2.2.2 documented, the input size of the paper
and the FLOPs :func:`lucid.models.summarize` counts for one image of that size.
``.. model-index::`` writes the same for every family, with a link to its page.

One forward pass per factory at the paper's resolution takes minutes in NumPy (ConvNeXt
V2-Huge alone runs 230 GFLOPs), too long for every build, so the FLOPs are computed by
running this file::

    python docs/_ext/modelzoo.py          # summarize() every factory; writes flops.csv

which writes ``docs/models/flops.csv`` (name, input shape, parameters, FLOPs). The
build reads it and checks each row against the model it has just built: a row whose
parameter count no longer matches (the architecture changed) or a factory without a
row is a warning, which ``-W`` turns into a failed build. ``tests/models/
test_zoo_docs.py`` recomputes some rows with ``summarize``.
"""
import csv
import functools
import importlib
import inspect
import os
import sys

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = os.path.dirname(os.path.abspath(__file__))
FLOPS_CSV = os.path.join(os.path.dirname(HERE), "models", "flops.csv")

#: The families of the zoo, in the order of the index, with page titles.
FAMILIES = [
    ("lenet", "LeNet"), ("alexnet", "AlexNet"), ("zfnet", "ZFNet"), ("vgg", "VGGNet"),
    ("inception", "Inception"), ("inception_resnet", "Inception-ResNet"),
    ("resnet", "ResNet"), ("resnext", "ResNeXt"), ("senet", "SENet"), ("sknet", "SKNet"),
    ("resnest", "ResNeSt"), ("densenet", "DenseNet"), ("xception", "Xception"),
    ("mobilenet", "MobileNet"), ("efficientnet", "EfficientNet"), ("convnext", "ConvNeXt"),
    ("inception_next", "InceptionNeXt"), ("vit", "ViT"), ("swin", "Swin Transformer"),
    ("pvt", "PVT"), ("cvt", "CvT"), ("crossvit", "CrossViT"), ("maxvit", "MaxViT"),
    ("coatnet", "CoAtNet"),
]

#: The documented parameter counts of the original lucid 2.2.2 (its model table).
ORIGINAL = {
    "alexnet": 61100840, "convnext_base": 88591464, "convnext_large": 197767336,
    "convnext_small": 46884148, "convnext_tiny": 28589128, "convnext_v2_atto": 3708400,
    "convnext_v2_base": 88717800, "convnext_v2_femto": 5233240, "convnext_v2_huge": 660289640,
    "convnext_v2_large": 197956840, "convnext_v2_nano": 15623800, "convnext_v2_pico": 9066280,
    "convnext_v2_tiny": 28635496, "convnext_xlarge": 350196968, "densenet_121": 7978856,
    "densenet_169": 14149480, "densenet_201": 20013928, "densenet_264": 33337704,
    "efficientnet_b0": 5289636, "efficientnet_b1": 7795560, "efficientnet_b2": 9111370,
    "efficientnet_b3": 12235536, "efficientnet_b4": 19344640, "efficientnet_b5": 30393432,
    "efficientnet_b6": 43046128, "efficientnet_b7": 66355448, "efficientnet_v2_l": 120617032,
    "efficientnet_v2_m": 55302108, "efficientnet_v2_s": 21136440, "efficientnet_v2_xl": 210221568,
    "inception_v1": 13393352, "inception_v3": 30817392, "inception_v4": 40586984,
    "inception_next_atto": 4156520, "inception_next_base": 86748840,
    "inception_next_small": 49431544, "inception_next_tiny": 28083832,
    "inception_resnet_v1": 22739128, "inception_resnet_v2": 35847512, "lenet_1": 3246,
    "lenet_4": 18378, "lenet_5": 61706, "mobilenet": 4232008, "mobilenet_v2": 3504872,
    "mobilenet_v3_large": 5481198, "mobilenet_v3_small": 2537238,
    "mobilenet_v4_conv_large": 32590864, "mobilenet_v4_conv_medium": 9715512,
    "mobilenet_v4_conv_small": 3774024, "mobilenet_v4_hybrid_large": 37755152,
    "mobilenet_v4_hybrid_medium": 11070136, "resnest_101": 48274760, "resnest_14": 10611560,
    "resnest_200": 70201288, "resnest_26": 17069320, "resnest_269": 110929224,
    "resnest_50": 27483112, "resnest_50_1s4x24d": 25676872, "resnest_50_4s2x40d": 30417464,
    "resnet_1001": 149071016, "resnet_101": 44549160, "resnet_152": 60192808,
    "resnet_18": 11689512, "resnet_200": 64669864, "resnet_269": 102069416,
    "resnet_34": 21797672, "resnet_50": 25557032, "wide_resnet_101": 126886696,
    "wide_resnet_50": 78973224, "resnext_101_32x16d": 194026792,
    "resnext_101_32x32d": 468530472, "resnext_101_32x4d": 44177704,
    "resnext_101_32x8d": 88791336, "resnext_101_64x4d": 83455272,
    "resnext_50_32x4d": 25028904, "se_resnet_101": 49326872, "se_resnet_152": 66821848,
    "se_resnet_18": 11778592, "se_resnet_34": 21958868, "se_resnet_50": 28088024,
    "se_resnext_101_32x4d": 48955416, "se_resnext_101_32x8d": 93569048,
    "se_resnext_101_64x4d": 88232984, "se_resnext_50_32x4d": 27559896,
    "sk_resnet_18": 25647368, "sk_resnet_34": 45895512, "sk_resnet_50": 57073368,
    "sk_resnext_50_32x4d": 29274760, "vggnet_11": 132863336, "vggnet_13": 133047848,
    "vggnet_16": 138357544, "vggnet_19": 143667240, "xception": 22862096, "zfnet": 62357608,
    "vit_tiny": 5717416, "vit_small": 22050664, "vit_base": 86567656, "vit_large": 304326632,
    "vit_huge": 632199400, "swin_tiny": 28288354, "swin_small": 49606258,
    "swin_base": 87768224, "swin_large": 196532476, "swin_v2_tiny": 28349842,
    "swin_v2_small": 49731106, "swin_v2_base": 87922400, "swin_v2_large": 196745308,
    "swin_v2_huge": 657796668, "swin_v2_giant": 3000869564, "pvt_tiny": 12457192,
    "pvt_small": 23003048, "pvt_medium": 41492648, "pvt_large": 55359848,
    "pvt_huge": 286706920, "pvt_v2_b0": 3666760, "pvt_v2_b1": 14009000,
    "pvt_v2_b2": 25362856, "pvt_v2_b2_li": 22553512, "pvt_v2_b3": 45238696,
    "pvt_v2_b4": 62556072, "pvt_v2_b5": 82882984, "cvt_13": 19997480, "cvt_21": 31622696,
    "cvt_w24": 277196392, "crossvit_tiny": 7014800, "crossvit_small": 26856272,
    "crossvit_base": 105025232, "crossvit_9": 8553296, "crossvit_15": 27528464,
    "crossvit_18": 43271408, "crossvit_9_dagger": 8776592, "crossvit_15_dagger": 28209008,
    "crossvit_18_dagger": 44266976,
    "maxvit_tiny": 25081416, "maxvit_small": 55757304,
    "maxvit_base": 96626776, "maxvit_large": 171187880, "maxvit_xlarge": 383734024,
    "coatnet_0": 27174944, "coatnet_1": 53330240,
    "coatnet_2": 82516096, "coatnet_3": 157790656, "coatnet_4": 277301632,
    "coatnet_5": 770124608, "coatnet_6": 2011558336, "coatnet_7": 3107978688,
}

#: Input sizes (height = width) the papers evaluate at, where not 224.
_SIZES = {"inception_v3": 299, "inception_v4": 299, "inception_resnet_v1": 299,
          "inception_resnet_v2": 299, "xception": 299, "resnet_1001": 32,
          "efficientnet_b1": 240, "efficientnet_b2": 260, "efficientnet_b3": 300,
          "efficientnet_b4": 380, "efficientnet_b5": 456, "efficientnet_b6": 528,
          "efficientnet_b7": 600, "efficientnet_v2_s": 384, "efficientnet_v2_m": 480,
          "efficientnet_v2_l": 480, "efficientnet_v2_xl": 512,
          "mobilenet_v4_conv_medium": 256, "mobilenet_v4_conv_large": 384,
          "mobilenet_v4_hybrid_medium": 256, "mobilenet_v4_hybrid_large": 384,
          "vit_cifar": 32, "cvt_w24": 384, **{f"swin_v2_{s}": 256 for s in
                              ("tiny", "small", "base", "large", "huge", "giant")}}


def input_shape(name):
    """The ``(1, C, H, W)`` input of the paper's evaluation for factory ``name``."""
    if name.startswith("lenet"):
        return (1, 1, 32, 32) if name == "lenet_5" else (1, 1, 28, 28)
    size = _SIZES.get(name, 224)
    return (1, 3, size, size)


@functools.lru_cache(maxsize=None)
def count(name):
    """Parameters of factory ``name``, built shape-only (once per build)."""
    from lucid import models, nn
    with nn.shape_only():
        return models.create_model(name).count_parameters()


def read_flops():
    """``{name: (input_shape, params, flops)}`` from ``flops.csv`` ({} if absent)."""
    if not os.path.exists(FLOPS_CSV):
        return {}
    with open(FLOPS_CSV, newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["name"]: (tuple(int(s) for s in r["input"].split("x")), int(r["params"]),
                        int(r["flops"])) for r in rows}


def _human(n):
    return f"{n / 1e9:.2f} G" if n >= 1e8 else f"{n / 1e6:.1f} M"


def rows(family, cache, warn):
    """Table rows of a family: [factory, params, original, input, FLOPs]."""
    from lucid import models
    out = []
    for name in models.list_models(family):
        params = count(name)
        shape = input_shape(name)
        entry = cache.get(name)
        if entry is None or entry[1] != params or entry[0] != shape:
            warn(f"model-table: docs/models/flops.csv has no up-to-date row for {name} "
                 f"({params:,} parameters, input {shape}); run python docs/_ext/modelzoo.py")
            flops = "?"
        else:
            flops = _human(entry[2])
        original = ORIGINAL.get(name)
        mark = "" if original in (None, params) else " *"
        out.append([f"``{name}``", f"{params:,}",
                    (f"{original:,}{mark}" if original is not None else "-"),
                    f"{shape[2]} x {shape[3]}", flops])
    return out


def _table(header, body, widths):
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)

    def row(cells):
        r = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=cell) if not cell.startswith("``") else \
                nodes.paragraph("", "", nodes.literal(text=cell.strip("`")))
            r += entry
        return r

    thead = nodes.thead()
    thead += row(header)
    tbody = nodes.tbody()
    for cells in body:
        tbody += row(cells)
    group += thead
    group += tbody
    return table


_HEADER = ["factory", "parameters", "original lucid (* differs)", "input", "FLOPs"]


class ModelTable(Directive):
    """``.. model-table:: family``: the family's factories, counted at build time."""

    required_arguments = 1

    def run(self):
        warn = lambda msg: logger.warning(msg, location=self.state.document.current_source)
        body = rows(self.arguments[0], read_flops(), warn)
        return [_table(_HEADER, body, [30, 14, 18, 10, 10])]


class ModelIndex(Directive):
    """``.. model-index::``: every family's factories in one table (the model index)."""

    def run(self):
        warn = lambda msg: logger.warning(msg, location=self.state.document.current_source)
        cache, body = read_flops(), []
        for family, title in FAMILIES:
            for cells in rows(family, cache, warn):
                body.append([title] + [cells[0], cells[1], cells[3], cells[4]])
        return [_table(["family", "factory", "parameters", "input", "FLOPs"], body,
                       [16, 30, 14, 10, 10])]


class ModuleDoc(Directive):
    """``.. module-doc:: lucid.models.resnet``: the module's docstring, as the page's
    text (no object is registered: builders and classes have their API pages, and some
    modules share their name with a builder, ``lucid.models.zfnet``)."""

    required_arguments = 1

    def run(self):
        text = inspect.getdoc(importlib.import_module(self.arguments[0])) or ""
        node = nodes.container()
        self.state.nested_parse(StringList(text.splitlines(), source=self.arguments[0]),
                                self.content_offset, node)
        return node.children


def setup(app):
    app.add_directive("module-doc", ModuleDoc)
    app.add_directive("model-table", ModelTable)
    app.add_directive("model-index", ModelIndex)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main():
    """Recompute ``flops.csv``: one ``summarize`` per factory at its paper's input."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    from lucid import models, nn
    names = [n for family, _ in FAMILIES for n in models.list_models(family)]
    only = set(sys.argv[1:])
    cache = read_flops()
    for name in names:
        if only and name not in only:
            continue
        shape = input_shape(name)
        with nn.shape_only():
            model = models.create_model(name)
        report = models.summarize(model, shape, print_table=False)
        cache[name] = (shape, report.total_params, report.total_flops)
        print(f"{name:32s} {'x'.join(map(str, shape)):14s} {report.total_params:>12,} "
              f"{report.total_flops:>18,}", flush=True)
    with open(FLOPS_CSV, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "input", "params", "flops"])
        for name in names:
            if name in cache:
                shape, params, flops = cache[name]
                writer.writerow([name, "x".join(map(str, shape)), params, flops])


if __name__ == "__main__":
    main()
