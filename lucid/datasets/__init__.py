"""Datasets for homework: ``Digits`` ships with lucid and works offline; ``MNIST``,
``FashionMNIST``, ``CIFAR10`` and ``CIFAR100`` read the standard files from a folder
(and download them only when asked, ``download=True``); ``TinyShakespeare``, a text for
character-level language models, ships with lucid too.

Every image dataset is a map-style :class:`lucid.data.Dataset` of ``(image, label)``
samples with optional ``transform`` / ``target_transform``; ``TinyShakespeare`` gives
``(characters, next characters)`` windows. Feed any of them to
:class:`lucid.data.DataLoader`.
"""
from lucid.datasets.cifar import CIFAR10, CIFAR100
from lucid.datasets.digits import Digits
from lucid.datasets.mnist import MNIST, FashionMNIST
from lucid.datasets.shakespeare import TinyShakespeare

__all__ = ["Digits", "MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "TinyShakespeare"]
