"""Homework models: a registry, :func:`summarize`, and classic architectures.

Every family module registers its builders with :func:`register_model` when it is
imported below; :func:`create_model` builds one by name, :func:`list_models` lists them
by family (:func:`list_families`) and :func:`get_model_names` lists every name,
lucid's earlier aliases (``resnet18``, ``vgg16``...) included. A new family joins with one line, ``from lucid.models.<family> import *``,
and the names in its ``__all__`` are re-exported (see ``_family_names``).

Examples
--------
>>> from lucid import models
>>> models.list_models("vgg")
['vggnet_11', 'vggnet_13', 'vggnet_16', 'vggnet_19']
"""
import sys as _sys

from lucid.models._registry import (create_model, get_model, get_model_names, list_families,
                                    list_models, register_model)
from lucid.models.summarize import LayerSummary, ModelSummary, summarize
from lucid.models.lenet import *  # noqa: F401,F403
from lucid.models.alexnet import *  # noqa: F401,F403
from lucid.models.zfnet import *  # noqa: F401,F403
from lucid.models.vgg import *  # noqa: F401,F403
from lucid.models.resnet import *  # noqa: F401,F403
from lucid.models.resnext import *  # noqa: F401,F403
from lucid.models.senet import *  # noqa: F401,F403
from lucid.models.resnest import *  # noqa: F401,F403
from lucid.models.sknet import *  # noqa: F401,F403
from lucid.models.densenet import *  # noqa: F401,F403
from lucid.models.mobilenet import *  # noqa: F401,F403
from lucid.models.mobilenet_v4 import *  # noqa: F401,F403
from lucid.models.efficientnet import *  # noqa: F401,F403
from lucid.models.convnext import *  # noqa: F401,F403
from lucid.models.inception import *  # noqa: F401,F403
from lucid.models.inception_resnet import *  # noqa: F401,F403
from lucid.models.inception_next import *  # noqa: F401,F403
from lucid.models.xception import *  # noqa: F401,F403
from lucid.models.vit import *  # noqa: F401,F403
from lucid.models.swin import *  # noqa: F401,F403
from lucid.models.pvt import *  # noqa: F401,F403
from lucid.models.cvt import *  # noqa: F401,F403
from lucid.models.crossvit import *  # noqa: F401,F403
from lucid.models.maxvit import *  # noqa: F401,F403
from lucid.models.coatnet import *  # noqa: F401,F403
from lucid.models.transformer import *  # noqa: F401,F403
from lucid.models.objdet import *  # noqa: F401,F403


# lucid's earlier names of four builders (registered as aliases too)
resnet18, resnet34, vgg11, vgg16 = resnet_18, resnet_34, vggnet_11, vggnet_16  # noqa: F405
# torchvision's names of two ViTs (registered as aliases too)
vit_b_16, vit_l_16 = vit_base, vit_large  # noqa: F405


def _family_names():
    """The ``__all__`` of every public model-family module imported above."""
    names = []
    for module_name, module in sorted(_sys.modules.items()):
        parent, _, leaf = module_name.rpartition(".")
        if parent == __name__ and not leaf.startswith("_") and leaf != "summarize":
            names += getattr(module, "__all__", [])
    return names


__all__ = ["register_model", "get_model_names", "create_model", "list_models", "list_families",
           "summarize",
           "ModelSummary", "LayerSummary", *_family_names()]
