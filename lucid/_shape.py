"""``lucid.shape(a)``: the shape of a tensor or an array (the original lucid's)."""
import numpy as np

__all__ = ["shape"]


def shape(a):
    """The shape of ``a`` (a Tensor, an ndarray or nested lists) as a tuple of ints.

    Parameters
    ----------
    a : Tensor, np.ndarray or array_like

    Returns
    -------
    tuple of int

    Raises
    ------
    TypeError
        ``a`` has no shape (not numbers, or ragged lists).

    Examples
    --------
    >>> import lucid
    >>> lucid.shape(lucid.zeros(2, 3)), lucid.shape([[1, 2, 3]])
    ((2, 3), (1, 3))
    """
    found = getattr(a, "shape", None)
    if isinstance(found, tuple):
        return found
    try:
        return np.shape(np.asarray(a))
    except ValueError:
        raise TypeError(f"shape: {type(a).__name__} has no shape (ragged nested lists?)") from None
