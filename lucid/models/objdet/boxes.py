r"""Boxes: area, intersection over union, non-maximum suppression, the R-CNN box
deltas and clipping.

A box is four numbers :math:`(x_1, y_1, x_2, y_2)` with :math:`x_1 \le x_2` and
:math:`y_1 \le y_2`, in continuous pixel coordinates: pixel :math:`(i, j)` covers
:math:`[j, j + 1) \times [i, i + 1)`, so the box of pixels 10 to 19 across is
:math:`x_1 = 10, x_2 = 20`, of width :math:`w = x_2 - x_1 = 10` (torchvision's
convention; the original lucid's ``add_one`` convention counted :math:`x_2 - x_1 + 1`).
A set of boxes is a float Tensor of shape ``(N, 4)``; the functions also take NumPy
arrays and nested lists. ``box_area``, ``box_iou``, ``bbox_to_delta``,
``apply_deltas`` and ``clip_boxes`` are built of lucid operations, so gradients flow
through them; ``nms`` and ``batched_nms`` return indices.
"""
import math

import numpy as np

import lucid
from lucid._checks import check_number, float_tensor, int_tuple
from lucid._tensor import Tensor

__all__ = ["box_area", "box_iou", "nms", "batched_nms", "bbox_to_delta", "apply_deltas",
           "clip_boxes"]

#: exp() of a width or height delta is capped at 1000 / 16 (torchvision's bound)
MAX_LOG_RATIO = math.log(1000.0 / 16)


def as_boxes(boxes, fname, arg="boxes"):
    """``boxes`` (a Tensor, an array or nested lists) as a float Tensor of shape
    ``(N, 4)``; nested lists and integer arrays become float32 (a float64 array stays
    float64). Raises TypeError / ValueError naming
    ``fname`` and ``arg``."""
    if not isinstance(boxes, Tensor):
        array = np.asarray(boxes) if isinstance(boxes, (np.ndarray, list, tuple)) else None
        if array is None or array.dtype.kind not in "iuf":
            raise TypeError(f"{fname}: {arg} must be a Tensor or an array of numbers of shape "
                            f"(N, 4); got {type(boxes).__name__}")
        keep64 = isinstance(boxes, np.ndarray) and array.dtype == np.float64
        boxes = Tensor(array.astype(np.float64 if keep64 else np.float32))
    elif boxes.dtype.kind in "iu":
        boxes = Tensor(boxes.data.astype(np.float32))
    float_tensor(boxes, fname, arg)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{fname}: {arg} must have shape (N, 4), one (x1, y1, x2, y2) row per "
                         f"box; got shape {tuple(boxes.shape)}")
    return boxes


def as_box_pair(boxes, rows, fname, arg):
    """``boxes`` and ``rows`` (named ``arg``: one row of four numbers per box) as float
    Tensors of the same shape ``(N, 4)``."""
    boxes = as_boxes(boxes, fname)
    rows = as_boxes(rows, fname, arg)
    if boxes.shape != rows.shape:
        raise ValueError(f"{fname}: {arg} must have the shape of boxes {tuple(boxes.shape)}, "
                         f"one row per box; got {tuple(rows.shape)}")
    return boxes, rows


def as_scores(scores, count, fname, arg="scores"):
    """``scores`` as a 1-d float array of ``count`` numbers (no gradient is needed)."""
    array = scores.data if isinstance(scores, Tensor) else scores
    if not isinstance(array, (np.ndarray, list, tuple)):
        raise TypeError(f"{fname}: {arg} must be a Tensor or an array of numbers; got "
                        f"{type(scores).__name__}")
    array = np.asarray(array)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{fname}: {arg} must hold numbers; got dtype {array.dtype}")
    if array.shape != (count,):
        raise ValueError(f"{fname}: {arg} must have shape ({count},), one per box; got shape "
                         f"{array.shape}")
    return array.astype(np.float64)


def box_area(boxes):
    r"""The area of each box: :math:`(x_2 - x_1)(y_2 - y_1)`.

    Shapes: ``boxes (N, 4)`` -> ``(N,)``.

    Backward: :math:`\partial A / \partial x_2 = y_2 - y_1 = -\partial A / \partial x_1`,
    and likewise for :math:`y`.

    Parameters
    ----------
    boxes : Tensor or array, shape (N, 4)
        :math:`(x_1, y_1, x_2, y_2)` rows.

    Returns
    -------
    Tensor, shape (N,)

    Raises
    ------
    TypeError
        ``boxes`` is not a Tensor or an array of numbers.
    ValueError
        ``boxes`` is not of shape ``(N, 4)``.

    Examples
    --------
    >>> from lucid.models import box_area
    >>> print(box_area([[0, 0, 4, 3], [1, 1, 2, 2]]))
    Tensor([12.0, 1.0])
    """
    boxes = as_boxes(boxes, "box_area")
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1, boxes2):
    r"""Intersection over union of every box of ``boxes1`` with every box of ``boxes2``.

    .. math::

        \mathrm{IoU}(a, b) = \frac{|a \cap b|}{|a| + |b| - |a \cap b|},\qquad
        |a \cap b| = [\min(x_2^a, x_2^b) - \max(x_1^a, x_1^b)]_+ \,
                     [\min(y_2^a, y_2^b) - \max(y_1^a, y_1^b)]_+

    with :math:`[t]_+ = \max(t, 0)`. 1 for equal boxes, 0 for disjoint ones. Two boxes
    of zero area give 0 / 0 (NaN), as in torchvision.

    Shapes: ``boxes1 (N, 4)``, ``boxes2 (M, 4)`` -> ``(N, M)``.

    Backward: by the quotient rule through the formula above; a clamped overlap
    (:math:`[t]_+` at :math:`t < 0`) passes no gradient.

    Parameters
    ----------
    boxes1 : Tensor or array, shape (N, 4)
    boxes2 : Tensor or array, shape (M, 4)

    Returns
    -------
    Tensor, shape (N, M)

    Raises
    ------
    TypeError
        A box set is not a Tensor or an array of numbers.
    ValueError
        A box set is not of shape ``(N, 4)``.

    Examples
    --------
    >>> from lucid.models import box_iou
    >>> print(box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]]))
    Tensor([[0.14285715, 1.0, 0.0]])
    """
    boxes1 = as_boxes(boxes1, "box_iou", "boxes1")
    boxes2 = as_boxes(boxes2, "box_iou", "boxes2")
    a, b = boxes1[:, None, :], boxes2[None, :, :]          # (N, 1, 4) against (1, M, 4)
    overlap_w = lucid.clip(lucid.minimum(a[..., 2], b[..., 2])
                           - lucid.maximum(a[..., 0], b[..., 0]), min_value=0.0)
    overlap_h = lucid.clip(lucid.minimum(a[..., 3], b[..., 3])
                           - lucid.maximum(a[..., 1], b[..., 1]), min_value=0.0)
    intersection = overlap_w * overlap_h
    area1 = box_area(boxes1)[:, None]
    area2 = box_area(boxes2)[None, :]
    return intersection / (area1 + area2 - intersection)


def nms(boxes, scores, iou_thresh=0.3):
    r"""Non-maximum suppression: the indices of the boxes kept, best score first.

    Greedy, as in R-CNN: take the box of highest score, drop every remaining box whose
    IoU with it exceeds ``iou_thresh``, repeat with the best box left. Equal scores
    keep their order (a stable sort). torchvision's ``ops.nms`` keeps the same boxes.

    Shapes: ``boxes (N, 4)``, ``scores (N,)`` -> ``(K,)`` int64 indices, ``K <= N``.

    Backward: none (indices).

    Parameters
    ----------
    boxes : Tensor or array, shape (N, 4)
    scores : Tensor or array, shape (N,)
    iou_thresh : float, default 0.3
        In [0, 1]: a box overlapping a kept one by more than this is suppressed (R-CNN
        used 0.3 at test time).

    Returns
    -------
    Tensor of int64, shape (K,)

    Raises
    ------
    TypeError
        ``boxes`` or ``scores`` is not an array of numbers, ``iou_thresh`` not a number.
    ValueError
        ``boxes`` is not ``(N, 4)``, ``scores`` not ``(N,)``, ``iou_thresh`` outside [0, 1].

    Examples
    --------
    >>> from lucid.models import nms
    >>> boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]]
    >>> print(nms(boxes, [0.9, 0.8, 0.7], iou_thresh=0.5))
    Tensor([0, 2])
    """
    boxes = as_boxes(boxes, "nms")
    scores = as_scores(scores, boxes.shape[0], "nms")
    iou_thresh = check_number(iou_thresh, "nms", "iou_thresh", 0.0, 1.0)
    iou = box_iou(boxes.data, boxes.data).data
    order = np.argsort(-scores, kind="stable")
    keep = []
    suppressed = np.zeros(len(order), dtype=bool)
    for i in order:
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_thresh
    return Tensor(np.array(keep, dtype=np.int64))


def batched_nms(boxes, scores, labels, iou_thresh=0.3):
    r"""Non-maximum suppression within each label: boxes of different labels never
    suppress each other (R-CNN's per-class NMS).

    Shapes: ``boxes (N, 4)``, ``scores (N,)``, ``labels (N,)`` -> ``(K,)`` int64 indices
    into ``boxes``, best score first.

    Backward: none (indices).

    Parameters
    ----------
    boxes : Tensor or array, shape (N, 4)
    scores : Tensor or array, shape (N,)
    labels : Tensor or array of ints, shape (N,)
    iou_thresh : float, default 0.3

    Returns
    -------
    Tensor of int64, shape (K,)

    Raises
    ------
    TypeError
        An argument has the wrong type (``labels`` must hold integers).
    ValueError
        The shapes disagree or ``iou_thresh`` lies outside [0, 1].

    Examples
    --------
    >>> from lucid.models import batched_nms
    >>> boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [1, 1, 11, 11]]
    >>> print(batched_nms(boxes, [0.9, 0.8, 0.7], [1, 1, 2], iou_thresh=0.5))
    Tensor([0, 2])
    """
    boxes = as_boxes(boxes, "batched_nms")
    scores = as_scores(scores, boxes.shape[0], "batched_nms")
    label_array = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if label_array.dtype.kind not in "iu":
        raise TypeError(f"batched_nms: labels must hold integers; got dtype {label_array.dtype}")
    if label_array.shape != (boxes.shape[0],):
        raise ValueError(f"batched_nms: labels must have shape ({boxes.shape[0]},), one per "
                         f"box; got shape {label_array.shape}")
    check_number(iou_thresh, "batched_nms", "iou_thresh", 0.0, 1.0)
    keep = []
    for label in np.unique(label_array):
        members = np.flatnonzero(label_array == label)
        kept = nms(boxes.data[members], scores[members], iou_thresh).data
        keep.append(members[kept])
    keep = np.concatenate(keep) if keep else np.zeros(0, dtype=np.int64)
    return Tensor(keep[np.argsort(-scores[keep], kind="stable")].astype(np.int64))


def _centre_size(boxes):
    """``(x1, y1, x2, y2)`` columns as centre and size: ``(cx, cy, w, h)``."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return boxes[:, 0] + 0.5 * w, boxes[:, 1] + 0.5 * h, w, h


def bbox_to_delta(boxes, targets):
    r"""The R-CNN deltas that move each box onto its target (the inverse of
    :func:`apply_deltas`).

    With centre :math:`(p_x, p_y)`, width :math:`p_w` and height :math:`p_h` of a box
    :math:`P` and :math:`(g_x, g_y, g_w, g_h)` of its target :math:`G` (Girshick et al.
    2014, Appendix C):

    .. math::

        t_x = (g_x - p_x) / p_w,\quad t_y = (g_y - p_y) / p_h,\quad
        t_w = \log(g_w / p_w),\quad t_h = \log(g_h / p_h)

    Shifts are relative to the box's size and scale changes are logarithmic, so the
    deltas do not depend on where the box is or how large it is.

    Shapes: ``boxes (N, 4)``, ``targets (N, 4)`` -> ``(N, 4)`` rows :math:`(t_x, t_y,
    t_w, t_h)`.

    Backward: through the formula (e.g. :math:`\partial t_w / \partial g_w = 1 / g_w`).

    Parameters
    ----------
    boxes : Tensor or array, shape (N, 4)
        The proposals :math:`P`, each of positive width and height.
    targets : Tensor or array, shape (N, 4)
        The boxes :math:`G` to reach.

    Returns
    -------
    Tensor, shape (N, 4)

    Raises
    ------
    TypeError
        A box set is not a Tensor or an array of numbers.
    ValueError
        The shapes are not ``(N, 4)`` alike.

    Examples
    --------
    >>> from lucid.models import bbox_to_delta
    >>> print(bbox_to_delta([[0, 0, 10, 10]], [[5, 0, 15, 20]]))
    Tensor([[0.5, 0.5, 0.0, 0.6931472]])
    """
    boxes, targets = as_box_pair(boxes, targets, "bbox_to_delta", "targets")
    px, py, pw, ph = _centre_size(boxes)
    gx, gy, gw, gh = _centre_size(targets)
    return lucid.stack([(gx - px) / pw, (gy - py) / ph,
                        lucid.log(gw / pw), lucid.log(gh / ph)], axis=1)


def apply_deltas(boxes, deltas):
    r"""Move each box by its R-CNN deltas (the inverse of :func:`bbox_to_delta`).

    .. math::

        \hat g_x = p_w t_x + p_x,\quad \hat g_y = p_h t_y + p_y,\quad
        \hat g_w = p_w e^{t_w},\quad \hat g_h = p_h e^{t_h}

    returned as corners :math:`\hat g_x \mp \hat g_w / 2`, :math:`\hat g_y \mp \hat
    g_h / 2`. :math:`t_w` and :math:`t_h` are capped at :math:`\log(1000 / 16)` first
    (as torchvision does) so that a wild prediction cannot overflow the exponential.

    Shapes: ``boxes (N, 4)``, ``deltas (N, 4)`` -> ``(N, 4)``.

    Backward: :math:`\partial \hat g_x / \partial t_x = p_w`,
    :math:`\partial \hat g_w / \partial t_w = \hat g_w` (0 where capped), and so on.

    Parameters
    ----------
    boxes : Tensor or array, shape (N, 4)
        The proposals.
    deltas : Tensor or array, shape (N, 4)
        Rows :math:`(t_x, t_y, t_w, t_h)`.

    Returns
    -------
    Tensor, shape (N, 4)

    Raises
    ------
    TypeError
        ``boxes`` or ``deltas`` is not a Tensor or an array of numbers.
    ValueError
        The shapes are not ``(N, 4)`` alike.

    Examples
    --------
    >>> from lucid.models import apply_deltas, bbox_to_delta
    >>> boxes, targets = [[0.0, 0.0, 10.0, 10.0]], [[5.0, 0.0, 15.0, 20.0]]
    >>> print(apply_deltas(boxes, bbox_to_delta(boxes, targets)))
    Tensor([[5.0, 0.0, 15.0, 20.0]])
    """
    boxes, deltas = as_box_pair(boxes, deltas, "apply_deltas", "deltas")
    px, py, pw, ph = _centre_size(boxes)
    gx = pw * deltas[:, 0] + px
    gy = ph * deltas[:, 1] + py
    gw = pw * lucid.exp(lucid.clip(deltas[:, 2], max_value=MAX_LOG_RATIO))
    gh = ph * lucid.exp(lucid.clip(deltas[:, 3], max_value=MAX_LOG_RATIO))
    return lucid.stack([gx - 0.5 * gw, gy - 0.5 * gh, gx + 0.5 * gw, gy + 0.5 * gh], axis=1)


def clip_boxes(boxes, image_size):
    r"""Clip boxes to an image of ``image_size = (H, W)``: :math:`x \in [0, W]`,
    :math:`y \in [0, H]`.

    Shapes: ``boxes (N, 4)`` -> ``(N, 4)``.

    Backward: 1 where a coordinate lies inside the image, 0 where it was clipped.

    Parameters
    ----------
    boxes : Tensor or array, shape (N, 4)
    image_size : tuple of 2 ints
        ``(H, W)``, each positive.

    Returns
    -------
    Tensor, shape (N, 4)

    Raises
    ------
    TypeError
        ``boxes`` is not an array of numbers or ``image_size`` not two ints.
    ValueError
        ``boxes`` is not ``(N, 4)`` or a size is not positive.

    Examples
    --------
    >>> from lucid.models import clip_boxes
    >>> print(clip_boxes([[-3.0, 2.0, 40.0, 9.5]], (8, 32)))
    Tensor([[0.0, 2.0, 32.0, 8.0]])
    """
    boxes = as_boxes(boxes, "clip_boxes")
    height, width = int_tuple(image_size, "clip_boxes", "image_size", length=2, minimum=1)
    x = lucid.clip(boxes[:, 0::2], min_value=0.0, max_value=float(width))
    y = lucid.clip(boxes[:, 1::2], min_value=0.0, max_value=float(height))
    return lucid.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], axis=1)
