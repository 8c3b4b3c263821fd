"""Datasets and batching: ``Dataset``, ``TensorDataset``, ``ConcatDataset``, ``Subset``,
``random_split``, the samplers, ``DataLoader`` (with worker processes),
``get_worker_info`` and ``default_collate``.

Every random choice here (shuffling, splits, sampling, the workers' seeds) draws from
:func:`lucid.random.generator` unless given a generator of its own, so
:func:`lucid.random.seed` makes a whole training run repeatable.
"""
from lucid.data.collate import default_collate
from lucid.data.dataloader import DataLoader
from lucid.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from lucid.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                                SubsetRandomSampler, WeightedRandomSampler)
from lucid.data._workers import get_worker_info

__all__ = ["Dataset", "TensorDataset", "ConcatDataset", "Subset", "random_split",
           "DataLoader", "default_collate", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "get_worker_info"]
