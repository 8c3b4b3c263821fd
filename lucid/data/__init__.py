"""Datasets and batching: ``Dataset``, ``TensorDataset``, ``ConcatDataset``, ``Subset``,
``random_split``, ``DataLoader`` and ``default_collate``.

Every random choice here (shuffling, splits) draws from :func:`lucid.random.generator`,
so :func:`lucid.random.seed` makes a whole training run repeatable.
"""
from lucid.data.collate import default_collate
from lucid.data.dataloader import DataLoader
from lucid.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "TensorDataset", "ConcatDataset", "Subset", "random_split",
           "DataLoader", "default_collate"]
