"""Scatter-add: the backward of gathering rows (advanced indexing, embeddings).

Gathering ``y[i] = x[index[i]]`` reads rows of ``x``; its backward adds each gradient
row back to the row it was read from, as many times as the row was read:

.. math:: \\frac{\\partial L}{\\partial x_r} = \\sum_{i \\,:\\, \\text{index}_i = r}
          \\frac{\\partial L}{\\partial y_i}

Reference twin: written to be read. ``np.add.at`` does exactly this sum (an unbuffered
``+=``: repeated indices add up), but slowly; the compiled twin ``_scatter.pyx`` loops
over the rows in C.
"""
import numpy as np

from lucid._ext import _checks
__all__ = ["scatter_add"]


# [kernel: scatter_add]
def scatter_add(target, index, values):
    """Add each row ``values[i]`` into ``target[index[i]]``, in place.

    Parameters
    ----------
    target : ndarray, shape (M, K), float32 or float64, C-contiguous
        Accumulates the sums; modified in place.
    index : ndarray, shape (n,), int64
        Row of ``target`` for each row of ``values``; every entry in ``[0, M)``.
    values : ndarray, shape (n, K), same dtype as ``target``

    Returns
    -------
    None
    """
    _checks.scatter_add(target, index, values)
    for i in range(index.shape[0]):
        target[index[i]] += values[i]
# [end kernel: scatter_add]
