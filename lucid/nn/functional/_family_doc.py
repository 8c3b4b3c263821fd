"""One docstring per 1d/2d/3d family, filled in per dimension.

``conv1d/2d/3d``, ``max_pool1d/2d/3d``, ``Conv1d/2d/3d``, ``ConvBNReLU1d/2d/3d`` ... each
share one text that names the sizes of the ``d`` spatial axes with placeholders;
:func:`fill_doc` turns it into the docstring of one member of the family.
"""

__all__ = ["SPATIAL", "OUT", "KERNEL", "fill_doc"]

SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}
"""The names of the spatial sizes of an input, by number of spatial axes."""

OUT = {1: "L_out", 2: "H_out, W_out", 3: "D_out, H_out, W_out"}
"""The names of the spatial sizes of an output."""

KERNEL = {1: "kL", 2: "kH, kW", 3: "kD, kH, kW"}
"""The names of the sizes of a kernel."""


def fill_doc(template, d, examples="", **extra):
    """The docstring of the ``d``-D member of a family, from its ``template``.

    Placeholders: ``<d>`` and ``<D>`` become ``d``; ``<d1>`` and ``<d2>`` ``d + 1`` and
    ``d + 2`` (the ndim of an unbatched and a batched input); ``<S>``, ``<O>`` and
    ``<K>`` the names in :data:`SPATIAL`, :data:`OUT` and :data:`KERNEL`;
    ``<EXAMPLES>`` the text ``examples``; and ``<KEY>`` the value of each ``KEY=`` in
    ``extra``.
    """
    fills = {"d": str(d), "D": str(d), "d1": str(d + 1), "d2": str(d + 2),
             "S": SPATIAL[d], "O": OUT[d], "K": KERNEL[d], "EXAMPLES": examples.strip("\n"),
             **extra}
    for key, value in fills.items():
        template = template.replace(f"<{key}>", value)
    return template
