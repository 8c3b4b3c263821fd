r"""``default_collate``: turn a list of samples into one batch.

The rule is applied recursively, by the type of the first sample (as PyTorch's
``default_collate``):

=====================================  ==============================================
each sample is                         the batch is
=====================================  ==============================================
a Tensor, ndarray or NumPy scalar      one Tensor, the samples stacked on a new axis 0
a Python float / int / bool            a 1-d Tensor (float32 / int64 / bool)
a str or bytes                         the list of them, unchanged
a dict (mapping)                       a dict: each key's values collated
a namedtuple                           the same namedtuple: each field collated
a tuple or list                        a list: each position collated
=====================================  ==============================================

So a batch of ``(image, label)`` pairs becomes ``[images, labels]`` with ``images`` of
shape ``(B, *image.shape)`` and ``labels`` of shape ``(B,)``.

One difference from PyTorch, on purpose: Python floats become **float32** (lucid's
default float dtype, as everywhere in lucid), where PyTorch makes float64.
"""
import collections.abc

import numpy as np

from lucid._tensor import Tensor

__all__ = ["default_collate"]


def _stack(batch):
    """Stack tensors / arrays / NumPy scalars along a new first axis into a Tensor."""
    arrays = [np.asarray(s.data if isinstance(s, Tensor) else s) for s in batch]
    first = arrays[0]
    if first.dtype.kind not in "biufc":
        raise TypeError(f"default_collate: samples must hold numbers; got an array of dtype {first.dtype}")
    for k, a in enumerate(arrays):
        if a.shape != first.shape:
            raise ValueError(
                "default_collate: every sample in a batch must have the same shape to be "
                f"stacked; sample 0 has shape {first.shape}, sample {k} has shape {a.shape}"
            )
    return Tensor._wrap(np.stack(arrays))


def default_collate(batch):
    """Collate a list of samples into a batch (see the table in the module docstring).

    Parameters
    ----------
    batch : list
        The samples, at least one, all of the same structure.

    Returns
    -------
    Tensor, dict, list or namedtuple
        The batch, with the structure of one sample.

    Raises
    ------
    TypeError
        A sample of a type it cannot batch (e.g. ``None``, an object array).
    ValueError
        An empty batch; samples of different shapes, lengths or keys.

    Examples
    --------
    >>> import numpy as np
    >>> from lucid.data import default_collate
    >>> images, labels = default_collate([(np.zeros((2, 2)), 0), (np.ones((2, 2)), 1)])
    >>> images.shape, images.dtype
    ((2, 2, 2), dtype('float64'))
    >>> print(labels)
    Tensor([0, 1])
    >>> default_collate([{"x": 1.5}, {"x": 2.5}])["x"].dtype
    dtype('float32')
    """
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)):
        raise TypeError(f"default_collate: batch must be a list of samples; got {type(batch).__name__}")
    if len(batch) == 0:
        raise ValueError("default_collate: batch must hold at least one sample; got none")
    elem = batch[0]
    if isinstance(elem, (Tensor, np.ndarray, np.generic)):
        if isinstance(elem, np.ndarray) and elem.dtype.kind in "USO":
            raise TypeError(f"default_collate: arrays of dtype {elem.dtype} cannot be batched; "
                            "samples must hold numbers")
        return _stack(batch)
    if isinstance(elem, (bool, int, float)):
        if not all(isinstance(s, (bool, int, float)) for s in batch):
            raise TypeError("default_collate: a batch mixes numbers with "
                            f"{sorted({type(s).__name__ for s in batch})}")
        return Tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        keys = list(elem.keys())
        for k, s in enumerate(batch):
            if not isinstance(s, collections.abc.Mapping) or set(s.keys()) != set(keys):
                raise ValueError(f"default_collate: every dict sample must have the keys {keys}; "
                                 f"sample {k} has {list(s.keys()) if isinstance(s, collections.abc.Mapping) else type(s).__name__}")
        return {key: default_collate([s[key] for s in batch]) for key in keys}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):   # a namedtuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        for k, s in enumerate(batch):
            if len(s) != size:
                raise ValueError(f"default_collate: every sample must have the same length; "
                                 f"sample 0 has {size} elements, sample {k} has {len(s)}")
        return [default_collate(list(position)) for position in zip(*batch)]
    raise TypeError(
        "default_collate: samples must be Tensors, ndarrays, numbers, str, or dicts / "
        f"tuples / lists of them; got {type(elem).__name__}"
    )
