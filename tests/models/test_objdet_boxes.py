"""The box utilities of lucid.models.objdet: IoU, NMS (plain and per label), the R-CNN
deltas and clipping, against loops written here (always) and torchvision's pure-Python
box code (where torchvision imports), gradcheck in float64, and every bad input."""
import math

import numpy as np
import pytest

import lucid
from lucid import models
from lucid.testing import assert_close, gradcheck
from tests import reference_models as ref


def random_boxes(rng, n, size=20.0, dtype=np.float64):
    corners = rng.uniform(0, size, (n, 2))
    sides = rng.uniform(1.0, size / 2, (n, 2))
    return np.concatenate([corners, corners + sides], axis=1).astype(dtype)


def iou_loop(a, b):
    """IoU of two boxes, one coordinate at a time."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def nms_loop(boxes, scores, thresh):
    """Greedy NMS: repeatedly keep the best remaining box and discard its overlaps."""
    remaining = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
    keep = []
    while remaining:
        best = remaining.pop(0)
        keep.append(best)
        remaining = [i for i in remaining if iou_loop(boxes[best], boxes[i]) <= thresh]
    return keep


# ---------------------------------------------------------------------- area and IoU
def test_box_area_and_iou_equal_the_loops(rng, float_dtype):
    a, b = random_boxes(rng, 7, dtype=float_dtype), random_boxes(rng, 5, dtype=float_dtype)
    area = models.box_area(a)
    assert area.dtype == float_dtype
    assert_close(area, np.array([(x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in a],
                                float_dtype))
    iou = models.box_iou(a, b)
    assert iou.shape == (7, 5) and iou.dtype == float_dtype
    expected = np.array([[iou_loop(p, q) for q in b] for p in a], float_dtype)
    assert_close(iou, expected, rtol=1e-5, atol=1e-6)
    assert (expected > 0).any() and (expected == 0).any()          # overlaps and misses


def test_box_iou_special_cases():
    box = [[2.0, 3.0, 7.0, 9.0]]
    assert models.box_iou(box, box).item() == 1.0
    assert models.box_iou(box, [[7.0, 3.0, 9.0, 9.0]]).item() == 0.0        # touching
    assert models.box_iou(box, [[2.0, 3.0, 4.5, 9.0]]).item() == 0.5        # half inside
    assert models.box_iou(np.zeros((0, 4)), box).shape == (0, 1)
    # lists are float32 (lucid's rule for Python floats), integer arrays too
    assert models.box_iou(box, box).dtype == np.float32
    assert models.box_area(np.array([[0, 0, 2, 3]])).dtype == np.float32


@pytest.mark.torchvision
def test_box_iou_equals_torchvision(torch, rng):
    torchvision = ref.torchvision()
    a, b = random_boxes(rng, 9), random_boxes(rng, 6)
    expected = torchvision.ops.box_iou(torch.tensor(a), torch.tensor(b)).numpy()
    assert_close(models.box_iou(a, b), expected, rtol=1e-12, atol=1e-12)
    expected = torchvision.ops.box_area(torch.tensor(a)).numpy()
    assert_close(models.box_area(a), expected, rtol=1e-12, atol=1e-12)


def test_gradcheck_box_iou_and_area(rng):
    # overlapping, unclamped boxes (away from the kinks of max/min/clip)
    a = lucid.Tensor(np.array([[0.0, 0.0, 4.0, 5.0], [1.0, 2.0, 6.0, 4.5]]), requires_grad=True)
    b = lucid.Tensor(np.array([[1.5, 1.0, 5.0, 3.5], [-1.0, 0.5, 2.5, 6.0]]),
                     requires_grad=True)
    assert gradcheck(models.box_iou, [a, b])
    assert gradcheck(models.box_area, [a])


# ------------------------------------------------------------------------------ NMS
@pytest.mark.parametrize("thresh", [0.0, 0.3, 0.5, 0.9])
def test_nms_equals_the_loop(rng, thresh):
    boxes = random_boxes(rng, 30, size=30.0)
    scores = rng.uniform(size=30)
    keep = models.nms(boxes, scores, thresh)
    assert keep.dtype == np.int64
    assert keep.data.tolist() == nms_loop(boxes, scores, thresh)


def test_nms_ties_keep_the_first_and_empty_input():
    boxes = [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]]
    assert models.nms(boxes, [0.5, 0.5, 0.5], 0.5).data.tolist() == [0]
    assert models.nms(boxes, [0.5, 0.5, 0.5], 1.0).data.tolist() == [0, 1, 2]
    empty = models.nms(np.zeros((0, 4)), np.zeros(0))
    assert empty.shape == (0,) and empty.dtype == np.int64


def test_batched_nms_suppresses_within_each_label_only(rng):
    boxes = random_boxes(rng, 40, size=25.0)
    scores = rng.uniform(size=40)
    labels = rng.integers(0, 3, 40)
    keep = models.batched_nms(boxes, scores, labels, 0.4).data.tolist()
    expected = []
    for label in range(3):
        members = [i for i in range(40) if labels[i] == label]
        expected += [members[i] for i in nms_loop(boxes[members], scores[members], 0.4)]
    assert sorted(keep) == sorted(expected)
    assert keep == sorted(keep, key=lambda i: -scores[i])                # best first
    assert models.batched_nms(np.zeros((0, 4)), [], np.zeros(0, np.int64)).shape == (0,)


# --------------------------------------------------------------- deltas and clipping
def test_deltas_follow_the_paper_and_invert(rng, float_dtype):
    boxes = random_boxes(rng, 8, dtype=float_dtype)
    targets = random_boxes(rng, 8, dtype=float_dtype)
    deltas = models.bbox_to_delta(boxes, targets)
    assert deltas.dtype == float_dtype
    for (p, g, t) in zip(boxes, targets, deltas.data):
        pw, ph, gw, gh = p[2] - p[0], p[3] - p[1], g[2] - g[0], g[3] - g[1]
        px, py, gx, gy = p[0] + pw / 2, p[1] + ph / 2, g[0] + gw / 2, g[1] + gh / 2
        assert_close(t, np.array([(gx - px) / pw, (gy - py) / ph, math.log(gw / pw),
                                  math.log(gh / ph)], float_dtype), rtol=1e-5, atol=1e-5)
    assert_close(models.apply_deltas(boxes, deltas), targets, rtol=1e-5, atol=1e-4)
    zero = models.apply_deltas(boxes, np.zeros((8, 4), float_dtype))
    assert_close(zero, boxes, rtol=1e-6, atol=1e-5)


def test_apply_deltas_caps_the_scale():
    moved = models.apply_deltas([[0.0, 0.0, 2.0, 2.0]], [[0.0, 0.0, 100.0, -1.0]]).data[0]
    assert np.isfinite(moved).all()
    assert moved[2] - moved[0] == pytest.approx(2 * 1000 / 16, rel=1e-5)
    assert moved[3] - moved[1] == pytest.approx(2 * math.exp(-1.0), rel=1e-5)


@pytest.mark.torchvision
def test_deltas_equal_torchvision_box_coder(torch, rng):
    torchvision = ref.torchvision()
    coder = torchvision.models.detection._utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
    boxes, targets = random_boxes(rng, 10), random_boxes(rng, 10)
    expected = coder.encode_single(torch.tensor(targets), torch.tensor(boxes)).numpy()
    assert_close(models.bbox_to_delta(boxes, targets), expected, rtol=1e-10, atol=1e-10)
    deltas = rng.normal(0, 1, (10, 4))
    deltas[0, 2] = 9.0                                                   # capped
    expected = coder.decode_single(torch.tensor(deltas), torch.tensor(boxes)).numpy()
    assert_close(models.apply_deltas(boxes, deltas), expected, rtol=1e-10, atol=1e-10)


def test_gradcheck_deltas():
    boxes = lucid.Tensor(np.array([[0.0, 1.0, 4.0, 6.0], [2.0, 2.0, 5.0, 9.0]]),
                         requires_grad=True)
    targets = lucid.Tensor(np.array([[1.0, 0.5, 5.0, 7.0], [2.5, 1.0, 4.0, 8.0]]),
                           requires_grad=True)
    deltas = lucid.Tensor(np.array([[0.1, -0.2, 0.3, -0.1], [0.0, 0.5, -0.4, 0.2]]),
                          requires_grad=True)
    assert gradcheck(models.bbox_to_delta, [boxes, targets])
    assert gradcheck(models.apply_deltas, [boxes, deltas])


def test_clip_boxes(rng):
    boxes = np.array([[-3.0, 2.0, 40.0, 9.5], [1.0, -1.0, 5.0, 4.0]])
    clipped = models.clip_boxes(boxes, (8, 32)).data
    assert clipped.tolist() == [[0.0, 2.0, 32.0, 8.0], [1.0, 0.0, 5.0, 4.0]]
    inside = lucid.Tensor(np.array([[1.0, 1.0, 3.0, 3.0]]), requires_grad=True)
    assert gradcheck(lambda b: models.clip_boxes(b, (8, 8)), [inside])


@pytest.mark.torchvision
def test_clip_boxes_equals_torchvision(torch, rng):
    torchvision = ref.torchvision()
    boxes = random_boxes(rng, 12, size=40.0) - 5.0
    expected = torchvision.ops.clip_boxes_to_image(torch.tensor(boxes), (20, 30)).numpy()
    assert_close(models.clip_boxes(boxes, (20, 30)), expected)


# ---------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("call, error, message", [
    (lambda: models.box_iou("boxes", [[0, 0, 1, 1]]), TypeError,
     "box_iou: boxes1 must be a Tensor or an array of numbers of shape \\(N, 4\\); got str"),
    (lambda: models.box_iou([[0, 0, 1, 1]], [[0, 0, 1]]), ValueError,
     "box_iou: boxes2 must have shape \\(N, 4\\), one \\(x1, y1, x2, y2\\) row per box; got "
     "shape \\(1, 3\\)"),
    (lambda: models.box_area(np.array([["a", "b", "c", "d"]])), TypeError,
     "box_area: boxes must be a Tensor or an array of numbers"),
    (lambda: models.nms([[0, 0, 1, 1]], [0.5, 0.2]), ValueError,
     "nms: scores must have shape \\(1,\\), one per box; got shape \\(2,\\)"),
    (lambda: models.nms([[0, 0, 1, 1]], None), TypeError,
     "nms: scores must be a Tensor or an array of numbers; got NoneType"),
    (lambda: models.nms([[0, 0, 1, 1]], [0.5], iou_thresh=1.5), ValueError,
     "nms: iou_thresh must lie in \\[0.0, 1.0\\]; got 1.5"),
    (lambda: models.nms([[0, 0, 1, 1]], [0.5], iou_thresh="0.3"), TypeError,
     "nms: iou_thresh must be a real number"),
    (lambda: models.batched_nms([[0, 0, 1, 1]], [0.5], [0.5]), TypeError,
     "batched_nms: labels must hold integers; got dtype float64"),
    (lambda: models.batched_nms([[0, 0, 1, 1]], [0.5], [1, 2]), ValueError,
     "batched_nms: labels must have shape \\(1,\\), one per box; got shape \\(2,\\)"),
    (lambda: models.bbox_to_delta([[0, 0, 1, 1]], [[0, 0, 1, 1], [0, 0, 2, 2]]), ValueError,
     "bbox_to_delta: targets must have the shape of boxes \\(1, 4\\)"),
    (lambda: models.apply_deltas([[0, 0, 1, 1]], np.zeros((2, 4))), ValueError,
     "apply_deltas: deltas must have the shape of boxes \\(1, 4\\)"),
    (lambda: models.apply_deltas([[0, 0, 1, 1]], 3.0), TypeError,
     "apply_deltas: deltas must be a Tensor or an array of numbers"),
    (lambda: models.clip_boxes([[0, 0, 1, 1]], (0, 5)), ValueError,
     "clip_boxes: image_size must be positive; got \\(0, 5\\)"),
    (lambda: models.clip_boxes([[0, 0, 1, 1]], 5.0), TypeError,
     "clip_boxes: image_size must be an int or a tuple of ints"),
])
def test_bad_inputs(call, error, message):
    with pytest.raises(error, match=message):
        call()
