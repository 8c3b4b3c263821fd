"""Datasets for homework: ``Digits`` ships with lucid and works offline; ``MNIST``,
``FashionMNIST``, ``CIFAR10`` and ``CIFAR100`` read the standard files from a folder
(and download them only when asked, ``download=True``).

Every dataset is a map-style :class:`lucid.data.Dataset` of ``(image, label)`` samples
with optional ``transform`` / ``target_transform``; feed it to
:class:`lucid.data.DataLoader`.
"""
from lucid.datasets.cifar import CIFAR10, CIFAR100
from lucid.datasets.digits import Digits
from lucid.datasets.mnist import MNIST, FashionMNIST

__all__ = ["Digits", "MNIST", "FashionMNIST", "CIFAR10", "CIFAR100"]
