r"""Random numbers: one generator for all of lucid, and the tensors drawn from it.

Every source of randomness in lucid (these functions, weight initialisation, dropout,
DataLoader shuffling, random transforms) draws from the *one* NumPy
:class:`numpy.random.Generator` that :func:`generator` returns, so a single
:func:`seed` call makes a whole training run repeatable. :func:`seed` re-seeds that
generator in place: a module that kept ``generator()`` sees the new seed too.

Floating results are float32. Shapes are given as ints (``rand(2, 3)``) or as one
tuple (``rand((2, 3))``). Every result is a new leaf tensor; nothing here has a
backward.
"""
import numpy as np

from lucid._tensor import Tensor, _resolve_dtype
from lucid._checks import (check_device, is_int as _is_int, is_number as _is_number,
                           shape_arg as _shape, shape_args)
from lucid.ops._util import leaf as _leaf

__all__ = ["seed", "generator", "rand", "randn", "randint", "randperm", "uniform", "bernoulli"]

_generator = np.random.Generator(np.random.PCG64())  # seeded from the OS until seed()


def generator():
    """The NumPy Generator every source of randomness in lucid draws from.

    Returns
    -------
    numpy.random.Generator
        Always the same object; :func:`seed` re-seeds it in place.

    Examples
    --------
    >>> import lucid
    >>> g = lucid.random.generator()
    >>> g is lucid.random.generator()
    True
    >>> lucid.random.seed(7); first = g.random()
    >>> lucid.random.seed(7); first == g.random()
    True
    """
    return _generator


def seed(seed):
    """Reset the shared generator to a fixed state: the same seed, the same numbers.

    Parameters
    ----------
    seed : int
        Non-negative.

    Raises
    ------
    TypeError
        ``seed`` is not an int.
    ValueError
        ``seed`` is negative.

    Examples
    --------
    >>> import lucid
    >>> lucid.random.seed(0)
    >>> a = lucid.random.rand(3)
    >>> lucid.random.seed(0)
    >>> b = lucid.random.rand(3)
    >>> bool((a.data == b.data).all())
    True
    """
    if not _is_int(seed):
        raise TypeError(f"seed: seed must be an int; got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed: seed must be non-negative; got {seed}")
    _generator.bit_generator.state = np.random.PCG64(int(seed)).state


def rand(*shape, requires_grad=False, keep_grad=False, device="cpu"):
    r"""Samples from the uniform distribution on :math:`[0, 1)`.

    .. math:: \text{out}_i \sim \mathcal{U}[0, 1)

    Backward: none; the result is a leaf.

    Parameters
    ----------
    *shape : int, or one tuple of int
        Non-negative sizes; none gives a 0-d tensor.
    requires_grad : bool, default False
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError.

    Returns
    -------
    Tensor
        float32, of shape ``shape``.

    Raises
    ------
    TypeError
        A size that is not an int.
    ValueError
        A negative size.

    Examples
    --------
    >>> import lucid
    >>> x = lucid.random.rand(2, 3)
    >>> x.shape, x.dtype
    ((2, 3), dtype('float32'))
    >>> bool(((x.data >= 0) & (x.data < 1)).all())
    True
    """
    check_device(device, "rand")
    shape = shape_args(shape, "rand")
    values = _generator.random(shape, dtype=np.float32)
    return _leaf(np.asarray(values), "rand", requires_grad, keep_grad)


def randn(*shape, requires_grad=False, keep_grad=False, device="cpu"):
    r"""Samples from the standard normal distribution.

    .. math:: \text{out}_i \sim \mathcal{N}(0, 1)

    Backward: none; the result is a leaf.

    Parameters
    ----------
    *shape : int, or one tuple of int
        Non-negative sizes; none gives a 0-d tensor.
    requires_grad : bool, default False
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError.

    Returns
    -------
    Tensor
        float32, of shape ``shape``.

    Raises
    ------
    TypeError
        A size that is not an int.
    ValueError
        A negative size.

    Examples
    --------
    >>> import lucid
    >>> w = lucid.random.randn((4, 2), requires_grad=True)
    >>> w.shape, w.dtype, w.requires_grad
    ((4, 2), dtype('float32'), True)
    """
    check_device(device, "randn")
    shape = shape_args(shape, "randn")
    values = _generator.standard_normal(shape, dtype=np.float32)
    return _leaf(np.asarray(values), "randn", requires_grad, keep_grad)


def randint(low, high=None, size=None, requires_grad=False, keep_grad=False, device="cpu",
            dtype=np.int64):
    r"""Random integers from ``low`` (inclusive) to ``high`` (exclusive).

    .. math:: \text{out}_i \sim \mathcal{U}\{\text{low}, \dots, \text{high} - 1\}

    As NumPy: with ``high`` None the range is ``[0, low)``. PyTorch's two-argument
    form ``randint(high, size)`` works too: a tuple in second place is the size.
    Backward: none is computed through sampling; the result may still require grad (an
    integer leaf, as in the original lucid; its gradient is floating).

    Parameters
    ----------
    low : int
    high : int, optional
    size : int or tuple of int, optional
        Default: a single value (a 0-d tensor).
    requires_grad : bool, default False
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError.
    dtype : dtype, default int64
        An integer dtype.

    Returns
    -------
    Tensor
        Of shape ``size`` and dtype ``dtype``.

    Raises
    ------
    TypeError
        ``low`` / ``high`` not ints, a bad ``size``, a non-integer ``dtype``.
    ValueError
        ``low >= high`` (an empty range), a negative size.

    Examples
    --------
    >>> import lucid
    >>> k = lucid.random.randint(0, 10, size=(2, 5))
    >>> k.shape, k.dtype
    ((2, 5), dtype('int64'))
    >>> bool(((k.data >= 0) & (k.data < 10)).all())
    True
    """
    check_device(device, "randint")
    if isinstance(high, (tuple, list)) and size is None:     # PyTorch: randint(high, size)
        high, size = None, high
    if high is None:
        low, high = 0, low
    for arg, value in (("low", low), ("high", high)):
        if not _is_int(value):
            raise TypeError(f"randint: {arg} must be an int; got {value!r}")
    if low >= high:
        raise ValueError(f"randint: low ({low}) must be smaller than high ({high}): the range is empty")
    shape = () if size is None else _shape(size, "randint", "size")
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"randint: dtype must be an integer dtype; got {dtype}")
    info = np.iinfo(dtype)
    if low < info.min or high - 1 > info.max:
        raise ValueError(f"randint: the range [{low}, {high}) does not fit in {dtype}")
    values = _generator.integers(low, high, size=shape, dtype=dtype)
    return _leaf(np.asarray(values), "randint", requires_grad, keep_grad)


def randperm(n, dtype=np.int64, requires_grad=False, keep_grad=False, device="cpu"):
    r"""A random permutation of ``0, 1, ..., n - 1`` (PyTorch's ``randperm``).

    .. math:: \text{out} = (\pi(0), \dots, \pi(n - 1)), \qquad \pi \text{ uniform over
              the } n! \text{ permutations}

    Drawn from lucid's one generator (:func:`generator`), so :func:`seed` repeats it.
    Backward: none (a leaf).

    Parameters
    ----------
    n : int
        Non-negative length.
    dtype : dtype, default int64
        An integer or floating dtype.
    requires_grad : bool, default False
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'

    Returns
    -------
    Tensor
        Shape ``(n,)``.

    Raises
    ------
    TypeError
        ``n`` not an int, a dtype that is not a number type.
    ValueError
        ``n`` negative.

    Examples
    --------
    >>> import lucid
    >>> lucid.random.seed(0)
    >>> p = lucid.randperm(5)
    >>> sorted(p.tolist())
    [0, 1, 2, 3, 4]
    """
    check_device(device, "randperm")
    if not _is_int(n):
        raise TypeError(f"randperm: n must be an int; got {n!r}")
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative; got {n}")
    dtype = _resolve_dtype(dtype)
    if dtype.kind not in "iuf":
        raise TypeError(f"randperm: dtype must be an integer or floating dtype; got {dtype}")
    values = _generator.permutation(int(n)).astype(dtype)
    return _leaf(values, "randperm", requires_grad, keep_grad)


def uniform(low=0.0, high=1.0, size=None, requires_grad=False, keep_grad=False,
            device="cpu"):
    r"""Samples from the uniform distribution on :math:`[\text{low}, \text{high})`.

    .. math:: \text{out}_i = \text{low} + (\text{high} - \text{low})\, u_i, \qquad
              u_i \sim \mathcal{U}[0, 1)

    computed in float64, then rounded to float32 (rounding may reach ``high``).
    Backward: none; the result is a leaf.

    Parameters
    ----------
    low, high : float
        ``low <= high``.
    size : int or tuple of int, optional
        Default: a single value (a 0-d tensor).
    requires_grad : bool, default False
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError.

    Returns
    -------
    Tensor
        float32, of shape ``size``.

    Raises
    ------
    TypeError
        ``low`` / ``high`` not real numbers, a bad ``size``.
    ValueError
        ``low > high``, either not finite, or a negative size.

    Examples
    --------
    >>> import lucid
    >>> u = lucid.random.uniform(-2.0, 2.0, size=1000)
    >>> u.shape, u.dtype
    ((1000,), dtype('float32'))
    >>> bool(((u.data >= -2) & (u.data <= 2)).all())
    True
    """
    check_device(device, "uniform")
    for arg, value in (("low", low), ("high", high)):
        if not _is_number(value):
            raise TypeError(f"uniform: {arg} must be a real number; got {value!r}")
        if not np.isfinite(value):
            raise ValueError(f"uniform: {arg} must be finite; got {value}")
    if low > high:
        raise ValueError(f"uniform: low ({low}) must not be greater than high ({high})")
    shape = () if size is None else _shape(size, "uniform", "size")
    u = _generator.random(shape)
    values = (float(low) + (float(high) - float(low)) * np.asarray(u)).astype(np.float32)
    return _leaf(values, "uniform", requires_grad, keep_grad)


def bernoulli(probs, requires_grad=False, keep_grad=False, device="cpu"):
    r"""Draw 0 or 1 for each element: 1 with probability ``probs[i]``.

    .. math:: \text{out}_i \sim \text{Bernoulli}(p_i), \qquad
              \text{out}_i = [\,u_i < p_i\,], \quad u_i \sim \mathcal{U}[0, 1)

    Backward: none (sampling has no gradient; the result is a leaf).

    Parameters
    ----------
    probs : Tensor or array_like
        Probabilities, each in :math:`[0, 1]`.
    requires_grad : bool, default False
        Make the sample a leaf that requires grad (the original lucid's argument).
    keep_grad : bool, default False
    device : {'cpu'}, default 'cpu'
        lucid computes on the CPU; another device is an UnknownDeviceError.

    Returns
    -------
    Tensor
        Zeros and ones of the shape of ``probs``; its dtype when floating, else float32.

    Raises
    ------
    TypeError
        ``probs`` not numbers.
    ValueError
        A probability outside :math:`[0, 1]` (or NaN).

    Examples
    --------
    >>> import lucid
    >>> print(lucid.random.bernoulli(lucid.tensor([0.0, 1.0, 1.0])))
    Tensor([0.0, 1.0, 1.0])
    """
    check_device(device, "bernoulli")
    p = probs.data if isinstance(probs, Tensor) else np.asarray(probs)
    if p.dtype.kind not in "biuf":
        raise TypeError(f"bernoulli: probs must be real numbers; got dtype {p.dtype}")
    if not ((p >= 0) & (p <= 1)).all():
        raise ValueError("bernoulli: every probability must lie in [0, 1]; got values "
                         f"from {np.nanmin(p) if p.size else 0} to {np.nanmax(p) if p.size else 0}"
                         + (" and NaN" if np.isnan(p).any() else ""))
    dtype = p.dtype if p.dtype.kind == "f" else np.dtype(np.float32)
    u = _generator.random(p.shape)
    return _leaf(np.asarray(u < p).astype(dtype), "bernoulli", requires_grad, keep_grad)
