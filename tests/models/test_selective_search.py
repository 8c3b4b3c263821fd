"""Selective search and its graph segmentation: the segmentation against a plain loop
written here, proposals on synthetic images (each object covered by a proposal of IoU >
0.7), the grouping order, determinism, and bad inputs."""
import itertools

import numpy as np
import pytest

import lucid
from lucid import models
from lucid.models.objdet.selective_search import hierarchical_grouping


def segmentation_loop(image, k, min_size, connectivity):
    """Felzenszwalb-Huttenlocher with regions as Python sets (no union-find)."""
    channels, height, width = image.shape
    low, high = image.min(), image.max()
    pixels = 255.0 * (image - low) / (high - low)
    steps = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if connectivity == 8 else [])
    edges = []
    for y, x in itertools.product(range(height), range(width)):
        for dy, dx in steps:
            if 0 <= y + dy < height and 0 <= x + dx < width:
                w = float(np.sqrt(((pixels[:, y, x] - pixels[:, y + dy, x + dx]) ** 2).sum()))
                edges.append((w, (y, x), (y + dy, x + dx)))
    edges.sort(key=lambda e: e[0])
    region = {(y, x): frozenset([(y, x)]) for y in range(height) for x in range(width)}
    internal = {r: 0.0 for r in region.values()}

    def join(a, b, w):
        merged = a | b
        internal[merged] = max(internal[a], internal[b], w)
        for pixel in merged:
            region[pixel] = merged

    for w, p, q in edges:
        a, b = region[p], region[q]
        if a is not b and w <= min(internal[a] + k / len(a), internal[b] + k / len(b)):
            join(a, b, w)
    for w, p, q in edges:
        a, b = region[p], region[q]
        if a is not b and min(len(a), len(b)) < min_size:
            join(a, b, w)
    return set(region.values())


def partition(labels):
    return {frozenset(zip(*np.nonzero(labels == value))) for value in np.unique(labels)}


@pytest.mark.parametrize("k, min_size, connectivity", [(100.0, 1, 8), (60.0, 3, 4),
                                                       (200.0, 1, 4)])
def test_segmentation_equals_the_loop(rng, k, min_size, connectivity):
    image = rng.uniform(size=(3, 7, 9))
    image[:, 2:6, 3:7] += 1.0                                         # a brighter block
    labels = models.felzenszwalb_segmentation(image, k, min_size, connectivity)
    assert labels.shape == (7, 9) and labels.dtype == np.int64
    assert set(np.unique(labels)) == set(range(labels.max() + 1))
    assert partition(labels) == segmentation_loop(image, k, min_size, connectivity)
    assert 1 < len(np.unique(labels)) < labels.size / 4              # a real grouping
    assert min(np.bincount(labels.ravel())) >= min_size


def test_segmentation_scale_and_flat_images():
    rng = np.random.default_rng(1)
    image = rng.uniform(size=(1, 10, 10))
    fine = models.felzenszwalb_segmentation(image, k=5.0, min_size=1).max() + 1
    coarse = models.felzenszwalb_segmentation(image, k=500.0, min_size=1).max() + 1
    assert fine > coarse
    flat = models.felzenszwalb_segmentation(np.ones((3, 4, 5)))
    assert (flat == 0).all()
    assert models.felzenszwalb_segmentation(lucid.Tensor(image)).shape == (10, 10)


def two_rectangles(noise=0.02, seed=0):
    rng = np.random.default_rng(seed)
    image = 0.5 + noise * rng.standard_normal((3, 40, 56))
    image[:, 4:18, 5:25] = np.array([0.9, 0.15, 0.1])[:, None, None]      # red
    image[:, 22:37, 30:52] = np.array([0.1, 0.25, 0.85])[:, None, None]   # blue
    objects = np.array([[5, 4, 25, 18], [30, 22, 52, 37]], np.float64)
    return image, objects


@pytest.mark.parametrize("scales", [(100,), (50, 100, 150, 300)])
def test_proposals_cover_each_rectangle(scales):
    image, objects = two_rectangles()
    search = models.SelectiveSearch(scales=scales, min_size=20)
    boxes = search(image)
    assert boxes.dtype == np.float32 and boxes.ndim == 2 and boxes.shape[1] == 4
    best = models.box_iou(objects, boxes.data.astype(np.float64)).data.max(axis=1)
    assert (best > 0.7).all(), best
    assert boxes.data.tolist()[0] == [0.0, 0.0, 56.0, 40.0]              # the whole image
    assert (boxes.data[:, :2] >= 0).all() and (boxes.data[:, 2] <= 56).all() \
        and (boxes.data[:, 3] <= 40).all()
    assert (boxes.data[:, 2:] > boxes.data[:, :2]).all()
    assert np.array_equal(search(lucid.Tensor(image)).data, boxes.data)       # deterministic


def test_proposal_limits():
    image, _ = two_rectangles(noise=0.1, seed=3)
    many = models.SelectiveSearch(scales=(20, 60), min_size=4, iou_thresh=1.0)(image).data
    assert len(many) > 6
    assert len(np.unique(many, axis=0)) == len(many)                     # no duplicates
    assert len(models.SelectiveSearch(scales=(20, 60), min_size=4, max_boxes=6)(image)) == 6
    spread = models.SelectiveSearch(scales=(20, 60), min_size=4, iou_thresh=0.5)(image).data
    iou = models.box_iou(spread.astype(np.float64), spread.astype(np.float64)).data
    assert (iou[~np.eye(len(spread), dtype=bool)] <= 0.5).all()
    gray = models.SelectiveSearch(scales=(100,))(image[:1])
    assert gray.shape[1] == 4 and len(gray) >= 1


def test_grouping_merges_the_most_similar_neighbours_first():
    # three stripes: red, red, blue; the two red ones are the most similar pair
    labels = np.repeat(np.array([[0, 0, 0, 1, 1, 1, 2, 2, 2]]), 6, axis=0)
    image = np.zeros((3, 6, 9))
    image[0, :, :6] = 1.0
    image[2, :, 6:] = 1.0
    found = hierarchical_grouping(image, labels)
    assert found == [(0, 0, 3, 6), (3, 0, 6, 6), (6, 0, 9, 6), (0, 0, 6, 6), (0, 0, 9, 6)]


@pytest.mark.parametrize("call, error, message", [
    (lambda: models.felzenszwalb_segmentation("image"), TypeError,
     "felzenszwalb_segmentation: image must be a Tensor or an array of numbers of shape "
     "\\(C, H, W\\); got str"),
    (lambda: models.felzenszwalb_segmentation(np.zeros((4, 4))), ValueError,
     "felzenszwalb_segmentation: image must have shape \\(C, H, W\\) with every size "
     "positive; got shape \\(4, 4\\)"),
    (lambda: models.felzenszwalb_segmentation(np.full((1, 2, 2), np.nan)), ValueError,
     "felzenszwalb_segmentation: image must hold finite numbers"),
    (lambda: models.felzenszwalb_segmentation(np.zeros((1, 2, 2)), k=-1.0), ValueError,
     "felzenszwalb_segmentation: k must be a number >= 0.0; got -1.0"),
    (lambda: models.felzenszwalb_segmentation(np.zeros((1, 2, 2)), min_size=0), ValueError,
     "felzenszwalb_segmentation: min_size must be positive; got 0"),
    (lambda: models.felzenszwalb_segmentation(np.zeros((1, 2, 2)), connectivity=6),
     ValueError, "felzenszwalb_segmentation: connectivity must be 4 or 8; got 6"),
    (lambda: models.SelectiveSearch(scales=100), TypeError,
     "SelectiveSearch: scales must be a non-empty tuple of numbers; got 100"),
    (lambda: models.SelectiveSearch(scales=(100, -5)), ValueError,
     "SelectiveSearch: scales must be a number >= 0.0; got -5"),
    (lambda: models.SelectiveSearch(max_boxes=0), ValueError,
     "SelectiveSearch: max_boxes must be positive; got 0"),
    (lambda: models.SelectiveSearch(iou_thresh=1.5), ValueError,
     "SelectiveSearch: iou_thresh must lie in \\[0.0, 1.0\\]; got 1.5"),
    (lambda: models.SelectiveSearch(connectivity=True), ValueError,
     "SelectiveSearch: connectivity must be 4 or 8; got True"),
    (lambda: models.SelectiveSearch()(np.zeros((2, 3, 0))), ValueError,
     "SelectiveSearch: image must have shape \\(C, H, W\\) with every size positive"),
])
def test_bad_inputs(call, error, message):
    with pytest.raises(error, match=message):
        call()
