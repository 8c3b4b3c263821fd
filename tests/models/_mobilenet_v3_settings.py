"""MobileNetV3-Large's block table in lucid's form and in torchvision's (for a test)."""
import importlib

mobilenet = importlib.import_module("lucid.models.mobilenet")


def large_prefix(tv, count):
    """The first ``count`` blocks of the large net: (lucid config, torchvision config)."""
    config = mobilenet._V3_LARGE[:count]
    cnf = tv.models.mobilenetv3.InvertedResidualConfig
    tv_config, channels = [], 16
    for k, expanded, out, se, act, stride in config:
        tv_config.append(cnf(channels, k, expanded, out, se, act, stride, 1, 1.0))
        channels = out
    return config, tv_config
