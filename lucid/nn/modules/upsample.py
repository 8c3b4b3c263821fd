r"""``Upsample``: a layer that resizes its input with :func:`lucid.nn.functional.interpolate`."""
from lucid.nn import functional as F
from lucid.nn.functional.interpolate import LINEAR_AXES, MODES
from lucid.nn.module import Module
from lucid.nn.modules._checks import tensor_input

__all__ = ["Upsample"]


class Upsample(Module):
    r"""Resize the spatial axes of ``(N, C, *S)`` inputs (nearest or (bi/tri)linear).

    Along each spatial axis the output position :math:`o` reads the input at
    :math:`i(o) = \min(\lfloor o s \rfloor, n - 1)` (nearest) or mixes two neighbours,
    :math:`y_o = (1 - \lambda_o) x_{i_0} + \lambda_o x_{i_1}` (linear modes), with
    :math:`s = 1/\text{scale\_factor}` (see :func:`lucid.nn.functional.interpolate` for
    the source coordinate and ``align_corners``). Shapes: ``(N, C, L)``,
    ``(N, C, H, W)`` or ``(N, C, D, H, W)`` to ``(N, C, *size)`` or
    :math:`\lfloor S \times \text{scale\_factor} \rfloor`.

    Backward: the transpose of the gathers: each output gradient goes back to its
    source(s) with the same weights, summed where sources repeat (scatter-add).

    Parameters
    ----------
    size : int or tuple of int, optional
    scale_factor : float or tuple of float, optional
        Exactly one of ``size`` and ``scale_factor``.
    mode : {'nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear'}, default 'nearest'
    align_corners : bool, optional
        Linear modes only.
    recompute_scale_factor : bool, optional

    Raises
    ------
    ValueError
        An unknown ``mode``, both or neither of ``size`` / ``scale_factor``,
        ``align_corners`` with a nearest mode; (forward) an input the mode cannot take
        (the message names the layer).

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> up = nn.Upsample(scale_factor=2, mode="bilinear")
    >>> up
    Upsample(scale_factor=2.0, mode='bilinear')
    >>> up(lucid.random.randn(1, 3, 4, 5)).shape
    (1, 3, 8, 10)
    >>> print(nn.Upsample(size=4)(lucid.Tensor([[[1.0, 2.0]]])))
    Tensor([[[1.0, 1.0, 2.0, 2.0]]])
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"Upsample: mode must be one of "
                             f"{', '.join(map(repr, MODES))}; got {mode!r}")
        if (size is None) == (scale_factor is None):
            raise ValueError(f"Upsample: give exactly one of size and scale_factor; got "
                             f"size={size!r}, scale_factor={scale_factor!r}")
        if mode.startswith("nearest") and align_corners is not None:
            raise ValueError(f"Upsample: align_corners can only be set with the linear modes; "
                             f"got mode {mode!r}")
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = None if scale_factor is None else float(scale_factor)
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x):
        """Resize ``x`` (``(N, C, *S)``)."""
        tensor_input("Upsample", x)
        needed = LINEAR_AXES.get(self.mode)
        ok = (x.ndim == needed + 2) if needed else 3 <= x.ndim <= 5
        if not ok:
            shapes = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
            expected = shapes[needed] if needed else " or ".join(shapes.values())
            raise ValueError(f"Upsample: expected input of shape {expected} for mode "
                             f"{self.mode!r}; got {x.shape}")
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"
