"""Input checks shared by the layers of :mod:`lucid.nn.modules`.

A layer knows what its input must look like (how many axes, how many channels); the
functional form it calls only knows the arithmetic. These helpers turn a misfit into a
``ValueError`` that names the layer, the expected shape and the given one::

    BatchNorm2d: expected input of shape (N, 3, H, W); got (8, 4, 5, 5)
"""
from lucid._tensor import Tensor

__all__ = ["tensor_input", "layer_input", "expected_shape", "map_or_tokens"]

_SPATIAL = {0: (), 1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def expected_shape(channels, d, batched=True):
    """The text of a shape ``(N, C, *spatial)``, e.g. ``(N, 3, H, W)``."""
    parts = (["N"] if batched else []) + [str(channels)] + list(_SPATIAL[d])
    return "(" + ", ".join(parts) + ")"


def tensor_input(layer, x):
    """``x`` must be a Tensor (a TypeError naming the layer otherwise)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer}: input must be a Tensor; got {type(x).__name__}")
    return x


def layer_input(layer, x, d, channels=None, unbatched=True, channel_check=True):
    """Check ``x`` is ``(N, C, *spatial)`` (or ``(C, *spatial)`` when ``unbatched``) with
    ``d`` spatial axes and, when ``channel_check``, ``C == channels``. Returns whether
    ``x`` is batched."""
    tensor_input(layer, x)
    c = "C" if channels is None else channels
    ok_ndims = (d + 2, d + 1) if unbatched else (d + 2,)
    channel_axis = x.ndim - d - 1
    if x.ndim not in ok_ndims or (channel_check and channels is not None
                                  and x.shape[channel_axis] != channels):
        shapes = [expected_shape(c, d)] + ([expected_shape(c, d, False)] if unbatched else [])
        raise ValueError(f"{layer}: expected input of shape {' or '.join(shapes)}; "
                         f"got {x.shape}")
    return x.ndim == d + 2


def map_or_tokens(layer, x, dim):
    """Check ``x`` is a channels-last map ``(N, H, W, dim)`` or tokens ``(N, L, dim)``
    (the attention layers of the vision transformers take either)."""
    if not isinstance(x, Tensor) or x.ndim not in (3, 4) or x.shape[-1] != dim:
        given = x.shape if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{layer}: expected a map (N, H, W, {dim}) or tokens (N, L, {dim}); "
                         f"got {given}")
    return x
