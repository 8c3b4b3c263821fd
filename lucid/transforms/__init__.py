"""Image transforms for data pipelines: ``Compose``, ``ToTensor``, ``Normalize``,
``Resize``, ``RandomHorizontalFlip``, ``RandomVerticalFlip``, ``RandomCrop``,
``CenterCrop``, ``RandomRotation``, ``RandomGrayscale``, ``ColorJitter``.

:class:`ToTensor` turns an image array (HWC or HW, as loaded) into a CHW Tensor; every
other transform takes a CHW image ``(C, H, W)`` (or a batch ``(N, C, H, W)``, given
the same draw) as a lucid Tensor or an ndarray and gives back the same kind. Random
transforms draw from :func:`lucid.random.generator`, so :func:`lucid.random.seed`
repeats a whole augmented epoch. Transforms prepare data: their results are new
leaves, never recorded for backward.
"""
from lucid.transforms.color import ColorJitter, RandomGrayscale
from lucid.transforms.compose import Compose
from lucid.transforms.convert import Normalize, ToTensor
from lucid.transforms.crop import CenterCrop, RandomCrop
from lucid.transforms.flip import RandomHorizontalFlip, RandomVerticalFlip
from lucid.transforms.resize import Resize
from lucid.transforms.rotate import RandomRotation

__all__ = ["Compose", "ToTensor", "Normalize", "Resize", "RandomHorizontalFlip",
           "RandomVerticalFlip", "RandomCrop", "CenterCrop", "RandomRotation", "RandomGrayscale",
           "ColorJitter"]
