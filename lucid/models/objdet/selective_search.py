r"""Region proposals by selective search (Uijlings et al., 2013), the proposer of R-CNN.

"Selective Search for Object Recognition", IJCV 2013, on top of "Efficient Graph-Based
Image Segmentation" (Felzenszwalb and Huttenlocher, IJCV 2004). Two steps:

1. **Segment** the image into small regions with Felzenszwalb and Huttenlocher's graph
   method (:func:`felzenszwalb_segmentation`): pixels are the vertices, neighbouring
   pixels are joined by edges weighted by their colour distance, and edges are visited
   from the lightest; two regions :math:`C_1, C_2` merge across an edge of weight
   :math:`w` when

   .. math::

       w \le \min\bigl(\mathrm{Int}(C_1) + k / |C_1|,\ \mathrm{Int}(C_2) + k / |C_2|\bigr)

   where :math:`\mathrm{Int}(C)` is the heaviest edge inside :math:`C` (of its minimum
   spanning tree) and :math:`k` sets the scale: larger :math:`k`, larger regions.
   Regions smaller than ``min_size`` pixels are merged into a neighbour afterwards.

2. **Group** hierarchically: repeatedly merge the two most similar *neighbouring*
   regions until one region is left. The similarity of regions :math:`r_i, r_j` in an
   image of :math:`|\mathrm{im}|` pixels is the sum of four measures in [0, 1]:

   .. math::

       s_\mathrm{colour} = \sum_k \min(c_i^k, c_j^k),\qquad
       s_\mathrm{texture} = \sum_k \min(t_i^k, t_j^k),

       s_\mathrm{size} = 1 - \frac{|r_i| + |r_j|}{|\mathrm{im}|},\qquad
       s_\mathrm{fill} = 1 - \frac{|B_{ij}| - |r_i| - |r_j|}{|\mathrm{im}|}

   with :math:`c` the region's colour histogram (25 bins per channel, L1-normalised),
   :math:`t` its texture histogram (gradient orientation in 8 directions times 10
   gradient-magnitude bins per channel, L1-normalised) and :math:`B_{ij}` the bounding
   box of both. Size favours merging small regions first; fill favours regions that
   fill each other's gaps. A merged region's histograms are the size-weighted mean of
   its parts'.

Every region met on the way, the initial segments and each merge, gives a proposal:
its bounding box. Running the grouping at several scales :math:`k` diversifies them.
The proposals are ranked from the top of each hierarchy down (the whole image first,
then the last merges), scales interleaved, and a box overlapping an earlier one by
IoU above ``iou_thresh`` is dropped. Everything is deterministic (the paper multiplies
the ranks by random numbers; lucid does not).

Simplifications of the paper, for a readable NumPy version: one colour space (the
image's own), no Gaussian smoothing before segmenting, and texture from the image
gradient's direction rather than eight oriented Gaussian derivative filters.
"""
import numpy as np

from lucid import nn
from lucid._checks import check_int, check_number
from lucid._tensor import Tensor
from lucid.models.objdet.boxes import box_iou

__all__ = ["felzenszwalb_segmentation", "SelectiveSearch"]

COLOUR_BINS = 25
ORIENTATIONS = 8
MAGNITUDE_BINS = 10


def as_image(image, fname, arg="image"):
    """``image`` (a Tensor or an array of shape ``(C, H, W)``) as a float64 array."""
    array = image.data if isinstance(image, Tensor) else image
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "iuf":
        raise TypeError(f"{fname}: {arg} must be a Tensor or an array of numbers of shape "
                        f"(C, H, W); got {type(image).__name__}")
    if array.ndim != 3 or min(array.shape) < 1:
        raise ValueError(f"{fname}: {arg} must have shape (C, H, W) with every size positive; "
                         f"got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{fname}: {arg} must hold finite numbers; got NaN or infinity")
    return array.astype(np.float64)


def _stretch(pixels):
    """Pixel values stretched linearly to [0, 1] (a flat image becomes zeros)."""
    low, high = pixels.min(), pixels.max()
    return (pixels - low) / (high - low) if high > low else np.zeros_like(pixels)


def _grid_edges(height, width, connectivity):
    """Pairs ``(p, q)`` of flat pixel indices joined by an edge of the pixel grid."""
    index = np.arange(height * width).reshape(height, width)
    steps = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if connectivity == 8 else [])
    p, q = [], []
    for dy, dx in steps:
        p.append(index[:height - dy, max(0, -dx):width - max(0, dx)].ravel())
        q.append(index[dy:, max(0, dx):width - max(0, -dx)].ravel())
    return np.concatenate(p), np.concatenate(q)


class _DisjointSets:
    """Union-find over pixels, with each set's size and internal difference Int(C)
    (Python lists: item access on them is much faster than on NumPy arrays)."""

    def __init__(self, count):
        self.parent = list(range(count))
        self.size = [1] * count
        self.internal = [0.0] * count

    def find(self, x):
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:                      # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a, b, weight):
        """Join the sets of roots ``a`` and ``b`` across an edge of ``weight``."""
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]
        self.internal[a] = max(self.internal[a], self.internal[b], weight)


def felzenszwalb_segmentation(image, k=100.0, min_size=20, connectivity=8):
    r"""Felzenszwalb and Huttenlocher's graph-based segmentation of an image.

    Pixels are joined to their 8 (or 4) neighbours by edges of weight
    :math:`w = \lVert I(p) - I(q) \rVert_2` (the colour distance, pixel values
    stretched to 0..255 first). Visiting the edges from the lightest, the regions
    :math:`C_1 \ni p` and :math:`C_2 \ni q` merge when

    .. math::

        w \le \min\bigl(\mathrm{Int}(C_1) + k / |C_1|,\ \mathrm{Int}(C_2) + k / |C_2|\bigr),

    :math:`\mathrm{Int}(C)` being the heaviest edge merged into :math:`C`; then every
    region under ``min_size`` pixels is merged into a neighbour (lightest edges first).

    Shapes: ``image (C, H, W)`` -> labels ``(H, W)``.

    Backward: none (a segmentation).

    Parameters
    ----------
    image : Tensor or array, shape (C, H, W)
        Any range of values (it is stretched to 0..255).
    k : float, default 100.0
        The scale: larger values give larger regions.
    min_size : int, default 20
        The smallest region kept, in pixels.
    connectivity : {4, 8}, default 8
        The neighbours of a pixel.

    Returns
    -------
    ndarray of int64, shape (H, W)
        Region labels ``0 .. n - 1``.

    Raises
    ------
    TypeError
        ``image`` is not an array of numbers; ``k`` or ``min_size`` has the wrong type.
    ValueError
        ``image`` is not ``(C, H, W)`` or not finite, ``k`` is negative, ``min_size`` is
        below 1, ``connectivity`` is not 4 or 8.

    Examples
    --------
    >>> import numpy as np
    >>> from lucid.models import felzenszwalb_segmentation
    >>> image = np.zeros((1, 6, 8))
    >>> image[0, :, 4:] = 1.0                          # two halves
    >>> felzenszwalb_segmentation(image, k=10.0, min_size=1)[0]
    array([0, 0, 0, 0, 1, 1, 1, 1])
    """
    fname = "felzenszwalb_segmentation"
    image = as_image(image, fname)
    k = check_number(k, fname, "k", low=0.0)
    min_size = check_int(min_size, fname, "min_size", minimum=1)
    if connectivity not in (4, 8) or isinstance(connectivity, bool):
        raise ValueError(f"{fname}: connectivity must be 4 or 8; got {connectivity!r}")
    channels, height, width = image.shape
    pixels = 255.0 * _stretch(image).reshape(channels, height * width).T      # (HW, C)
    p, q = _grid_edges(height, width, connectivity)
    weights = np.linalg.norm(pixels[p] - pixels[q], axis=1)
    order = np.argsort(weights, kind="stable")
    p, q, weights = p[order].tolist(), q[order].tolist(), weights[order].tolist()

    sets = _DisjointSets(height * width)
    for a, b, w in zip(p, q, weights):
        a, b = sets.find(a), sets.find(b)
        if a != b and w <= min(sets.internal[a] + k / sets.size[a],
                               sets.internal[b] + k / sets.size[b]):
            sets.union(a, b, w)
    for a, b, w in zip(p, q, weights):                   # absorb the small regions
        a, b = sets.find(a), sets.find(b)
        if a != b and min(sets.size[a], sets.size[b]) < min_size:
            sets.union(a, b, w)
    roots = np.array([sets.find(i) for i in range(height * width)])
    return _raster_labels(roots).reshape(height, width)


def _raster_labels(roots):
    """Set roots renumbered 0, 1, ... in the order their first pixel appears."""
    _, first, inverse = np.unique(roots, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.ravel()]


def _histograms(labels, count, values, bins):
    """Per region, the L1-normalised histogram of integer ``values`` (``(HW, F)`` with
    values in ``[0, bins)``): ``(count, F * bins)``."""
    features = values.shape[1]
    flat = labels[:, None] * (features * bins) + np.arange(features) * bins + values
    hist = np.bincount(flat.ravel(), minlength=count * features * bins).astype(np.float64)
    hist = hist.reshape(count, features * bins)
    return hist / hist.sum(axis=1, keepdims=True)


def _region_features(image, labels):
    """Each initial region's size, box ``(x1, y1, x2, y2)`` and colour and texture
    histograms, and the pairs of neighbouring regions."""
    channels, height, width = image.shape
    flat = labels.ravel()
    count = int(flat.max()) + 1
    sizes = np.bincount(flat, minlength=count).astype(np.float64)
    ys, xs = np.divmod(np.arange(height * width), width)
    boxes = np.empty((count, 4))
    boxes[:, 0], boxes[:, 1] = width, height
    boxes[:, 2:] = 0
    np.minimum.at(boxes[:, 0], flat, xs)
    np.minimum.at(boxes[:, 1], flat, ys)
    np.maximum.at(boxes[:, 2], flat, xs + 1)
    np.maximum.at(boxes[:, 3], flat, ys + 1)

    unit = _stretch(image)                                          # (C, H, W) in [0, 1]
    colour_bin = np.minimum((unit * COLOUR_BINS).astype(np.int64), COLOUR_BINS - 1)
    colour = _histograms(flat, count, colour_bin.reshape(channels, -1).T, COLOUR_BINS)

    grad_y, grad_x = np.gradient(unit, axis=(1, 2))
    angle = np.arctan2(grad_y, grad_x) % (2 * np.pi)
    direction = np.minimum((angle / (2 * np.pi) * ORIENTATIONS).astype(np.int64),
                           ORIENTATIONS - 1)
    magnitude = _stretch(np.hypot(grad_x, grad_y))
    strength = np.minimum((magnitude * MAGNITUDE_BINS).astype(np.int64), MAGNITUDE_BINS - 1)
    texture_value = direction * MAGNITUDE_BINS + strength
    texture = _histograms(flat, count, texture_value.reshape(channels, -1).T,
                          ORIENTATIONS * MAGNITUDE_BINS)

    pairs = np.concatenate([np.stack([labels[:, :-1].ravel(), labels[:, 1:].ravel()], 1),
                            np.stack([labels[:-1, :].ravel(), labels[1:, :].ravel()], 1)])
    pairs = np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1)
    neighbours = [tuple(pair) for pair in np.unique(pairs, axis=0).tolist()]
    return sizes, boxes, colour, texture, neighbours


def _similarity(a, b, image_area):
    """s_colour + s_texture + s_size + s_fill of two regions (dicts)."""
    x1, y1 = min(a["box"][0], b["box"][0]), min(a["box"][1], b["box"][1])
    x2, y2 = max(a["box"][2], b["box"][2]), max(a["box"][3], b["box"][3])
    both = a["size"] + b["size"]
    return (np.minimum(a["colour"], b["colour"]).sum()
            + np.minimum(a["texture"], b["texture"]).sum()
            + 1.0 - both / image_area
            + 1.0 - ((x2 - x1) * (y2 - y1) - both) / image_area)


def _merge(a, b):
    """The region made of regions ``a`` and ``b``."""
    size = a["size"] + b["size"]
    return {"size": size,
            "box": (min(a["box"][0], b["box"][0]), min(a["box"][1], b["box"][1]),
                    max(a["box"][2], b["box"][2]), max(a["box"][3], b["box"][3])),
            "colour": (a["size"] * a["colour"] + b["size"] * b["colour"]) / size,
            "texture": (a["size"] * a["texture"] + b["size"] * b["texture"]) / size}


def hierarchical_grouping(image, labels):
    """The boxes of every region of the hierarchy grown from ``labels``, in the order
    the regions appear (the initial segments, then one per merge)."""
    sizes, boxes, colour, texture, neighbour_pairs = _region_features(image, labels)
    image_area = float(labels.size)
    regions = {i: {"size": sizes[i], "box": tuple(boxes[i]), "colour": colour[i],
                   "texture": texture[i]} for i in range(len(sizes))}
    neighbours = {i: set() for i in regions}
    similarity = {}
    for i, j in neighbour_pairs:
        neighbours[i].add(j)
        neighbours[j].add(i)
        similarity[i, j] = _similarity(regions[i], regions[j], image_area)
    found = [regions[i]["box"] for i in sorted(regions)]
    while similarity:
        i, j = max(similarity, key=lambda pair: (similarity[pair], -pair[0], -pair[1]))
        new = len(found)
        regions[new] = _merge(regions.pop(i), regions.pop(j))
        found.append(regions[new]["box"])
        touching = (neighbours.pop(i) | neighbours.pop(j)) - {i, j}
        for pair in [pair for pair in similarity if i in pair or j in pair]:
            del similarity[pair]
        neighbours[new] = touching
        for n in touching:
            neighbours[n] -= {i, j}
            neighbours[n].add(new)
            similarity[n, new] = _similarity(regions[n], regions[new], image_area)
    return found


class SelectiveSearch(nn.Module):
    r"""Selective search: class-independent object proposals for R-CNN.

    For each scale :math:`k` of ``scales``: segment the image
    (:func:`felzenszwalb_segmentation`), then merge the most similar neighbouring
    regions (colour + texture + size + fill) until one is left; every region on the way
    proposes its bounding box. See :mod:`lucid.models.objdet.selective_search` for the
    maths.

    Shapes: ``image (C, H, W)`` -> boxes ``(R, 4)``, float32 :math:`(x_1, y_1, x_2,
    y_2)` rows in pixel units (the box of pixels 3..7 across has :math:`x_1 = 3, x_2 =
    8`), ``R <= max_boxes``.

    Backward: none (the proposals are constants).

    Parameters
    ----------
    scales : tuple of float, default (50, 100, 150, 300)
        The values of :math:`k` (pixels stretched to 0..255).
    min_size : int, default 20
        The smallest initial segment, in pixels.
    connectivity : {4, 8}, default 8
    max_boxes : int, default 2000
        At most this many proposals are returned.
    iou_thresh : float, default 0.8
        A proposal overlapping a better-ranked one by more than this is dropped
        (1.0 drops exact duplicates only).

    Raises
    ------
    TypeError, ValueError
        At construction, for a bad argument (named); when called, for an image that is
        not ``(C, H, W)`` numbers.

    Examples
    --------
    >>> import numpy as np
    >>> from lucid.models import SelectiveSearch
    >>> image = np.zeros((3, 24, 32))
    >>> image[0, 4:12, 4:14] = 1.0                     # a red rectangle on black
    >>> boxes = SelectiveSearch(scales=(100,), min_size=10)(image)
    >>> boxes.shape[1], [4.0, 4.0, 14.0, 12.0] in boxes.data.tolist()
    (4, True)
    """

    def __init__(self, scales=(50, 100, 150, 300), min_size=20, connectivity=8,
                 max_boxes=2000, iou_thresh=0.8):
        super().__init__()
        fname = "SelectiveSearch"
        if isinstance(scales, (int, float)) or not isinstance(scales, (tuple, list)) \
                or not scales:
            raise TypeError(f"{fname}: scales must be a non-empty tuple of numbers; got "
                            f"{scales!r}")
        self.scales = tuple(check_number(k, fname, "scales", low=0.0) for k in scales)
        self.min_size = check_int(min_size, fname, "min_size", minimum=1)
        if connectivity not in (4, 8) or isinstance(connectivity, bool):
            raise ValueError(f"{fname}: connectivity must be 4 or 8; got {connectivity!r}")
        self.connectivity = int(connectivity)
        self.max_boxes = check_int(max_boxes, fname, "max_boxes", minimum=1)
        self.iou_thresh = check_number(iou_thresh, fname, "iou_thresh", 0.0, 1.0)

    def forward(self, image):
        image = as_image(image, "SelectiveSearch")
        hierarchies = []
        for k in self.scales:
            labels = felzenszwalb_segmentation(image, k, self.min_size, self.connectivity)
            hierarchies.append(hierarchical_grouping(image, labels)[::-1])   # top first
        ranked = [h[rank] for rank in range(max(map(len, hierarchies)))
                  for h in hierarchies if rank < len(h)]
        kept = np.zeros((0, 4))
        for box in ranked:
            box = np.array([box], dtype=np.float64)
            if len(kept) and box_iou(box, kept).data.max() > self.iou_thresh:
                continue
            if len(kept) and self.iou_thresh == 1.0 and (kept == box).all(axis=1).any():
                continue
            kept = np.concatenate([kept, box])
            if len(kept) == self.max_boxes:
                break
        return Tensor(kept.astype(np.float32))

    def extra_repr(self):
        return (f"scales={self.scales}, min_size={self.min_size}, "
                f"connectivity={self.connectivity}, max_boxes={self.max_boxes}, "
                f"iou_thresh={self.iou_thresh}")
