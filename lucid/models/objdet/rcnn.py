r"""R-CNN (Girshick, Donahue, Darrell and Malik, 2014): regions with CNN features.

"Rich feature hierarchies for accurate object detection and semantic segmentation",
CVPR 2014. Detection as classification of proposed regions:

1. **Propose** about 2000 class-independent regions per image
   (:class:`~lucid.models.SelectiveSearch`).
2. **Warp** each region, whatever its shape, to the CNN's fixed input size
   (``warper_output_size``, 227 x 227 in the paper) by bilinear resizing.
3. **Describe** each warped region with the CNN (``backbone``; AlexNet's 4096-d fc7
   features in the paper).
4. **Score** each region per class (a linear classifier over ``num_classes`` object
   classes plus background, class 0) and **refine** its box per class with a linear
   regressor of the R-CNN deltas :math:`(t_x, t_y, t_w, t_h)`
   (:func:`~lucid.models.apply_deltas`).
5. **Suppress**: per class, greedy non-maximum suppression
   (:func:`~lucid.models.batched_nms`) keeps the best-scoring of overlapping boxes.

Training (:meth:`RCNN.loss`): a proposal whose IoU with a ground-truth box reaches 0.5
takes that box's class, the rest are background (the paper's fine-tuning rule); the
classifier learns by softmax cross-entropy, and on proposals with IoU of at least 0.6
the regressor of the true class learns the deltas to its box by the smooth-L1 loss.
The paper trained one linear SVM per class on the features and ridge regression for
the boxes, in separate stages; lucid trains the two heads (and the backbone) together
with the losses of Fast R-CNN (Girshick, 2015), which the paper's Appendix B and Fast
R-CNN found to work as well.
"""
import numpy as np

import lucid
from lucid import nn
from lucid._checks import check_bool, check_int, check_number, float_tensor, int_tuple
from lucid._tensor import Tensor
from lucid.models._registry import register_model
from lucid.models.alexnet import AlexNet
from lucid.models.objdet.boxes import (apply_deltas, as_boxes, batched_nms, bbox_to_delta,
                                       box_iou, clip_boxes)
from lucid.models.objdet.selective_search import SelectiveSearch
from lucid.nn import functional as F

__all__ = ["RCNN", "assign_targets", "rcnn"]


def assign_targets(proposals, gt_boxes, gt_labels, fg_iou_thresh=0.5, reg_iou_thresh=0.6):
    r"""R-CNN's training targets for the proposals of one image.

    Each proposal :math:`P` is matched to the ground-truth box :math:`G` it overlaps
    most. Its class is :math:`G`'s when :math:`\mathrm{IoU}(P, G) \ge`
    ``fg_iou_thresh`` and 0 (background) otherwise; its regression target is
    ``bbox_to_delta(P, G)``, used only where :math:`\mathrm{IoU}(P, G) \ge`
    ``reg_iou_thresh`` (the paper: 0.5 and 0.6).

    Shapes: ``proposals (R, 4)``, ``gt_boxes (G, 4)``, ``gt_labels (G,)`` -> labels
    ``(R,)`` int64, deltas ``(R, 4)``, mask ``(R,)`` bool.

    Backward: none (targets are constants).

    Parameters
    ----------
    proposals : Tensor or array, shape (R, 4)
        Boxes of positive width and height.
    gt_boxes : Tensor or array, shape (G, 4)
        The objects' boxes (``G`` may be 0: every proposal is background).
    gt_labels : Tensor or array of ints, shape (G,)
        Their classes, each at least 1 (0 is the background).
    fg_iou_thresh : float, default 0.5
    reg_iou_thresh : float, default 0.6

    Returns
    -------
    labels : Tensor of int64, shape (R,)
    deltas : Tensor, shape (R, 4)
        Zero rows where the mask is False.
    mask : Tensor of bool, shape (R,)
        The proposals whose deltas are learnt.

    Raises
    ------
    TypeError
        An argument has the wrong type.
    ValueError
        A shape is wrong, a label is below 1, a threshold lies outside [0, 1].

    Examples
    --------
    >>> from lucid.models import assign_targets
    >>> labels, deltas, mask = assign_targets(
    ...     [[0, 0, 10, 10], [0, 0, 10, 12], [30, 30, 40, 40]], [[0, 0, 10, 11]], [3])
    >>> print(labels, mask)
    Tensor([3, 3, 0]) Tensor([True, True, False])
    """
    fname = "assign_targets"
    proposals = as_boxes(proposals, fname, "proposals")
    gt_boxes = as_boxes(gt_boxes, fname, "gt_boxes")
    labels = np.asarray(gt_labels.data if isinstance(gt_labels, Tensor) else gt_labels)
    if labels.dtype.kind not in "iu" and labels.size:
        raise TypeError(f"{fname}: gt_labels must hold integers; got dtype {labels.dtype}")
    if labels.shape != (gt_boxes.shape[0],):
        raise ValueError(f"{fname}: gt_labels must have shape ({gt_boxes.shape[0]},), one per "
                         f"ground-truth box; got shape {labels.shape}")
    if labels.size and labels.min() < 1:
        raise ValueError(f"{fname}: gt_labels must be at least 1 (0 is the background); got "
                         f"{int(labels.min())}")
    fg_iou_thresh = check_number(fg_iou_thresh, fname, "fg_iou_thresh", 0.0, 1.0)
    reg_iou_thresh = check_number(reg_iou_thresh, fname, "reg_iou_thresh", 0.0, 1.0)
    count = proposals.shape[0]
    dtype = proposals.dtype
    if gt_boxes.shape[0] == 0 or count == 0:
        return (Tensor(np.zeros(count, dtype=np.int64)), Tensor(np.zeros((count, 4), dtype)),
                Tensor(np.zeros(count, dtype=bool)))
    iou = box_iou(proposals.data, gt_boxes.data).data
    best = iou.argmax(axis=1)
    best_iou = iou[np.arange(count), best]
    classes = np.where(best_iou >= fg_iou_thresh, labels[best], 0).astype(np.int64)
    mask = (best_iou >= reg_iou_thresh) & (classes > 0)
    deltas = np.zeros((count, 4), dtype)
    if mask.any():
        deltas[mask] = bbox_to_delta(proposals.data[mask], gt_boxes.data[best[mask]]).data
    return Tensor(classes), Tensor(deltas), Tensor(mask)


class RCNN(nn.Module):
    r"""R-CNN: classify warped region proposals with a CNN, refine their boxes, suppress
    overlaps (see :mod:`lucid.models.objdet.rcnn` for the pipeline).

    For a proposal :math:`P` warped to :math:`x_P` and described by
    :math:`\phi(x_P) \in \mathbb R^{d}` (``backbone``, ``d = feat_dim``):

    .. math::

        \text{logits}_P = W_c \, \phi(x_P) + b_c \in \mathbb R^{K},\qquad
        t_P^{(k)} = W_r^{(k)} \phi(x_P) + b_r^{(k)} \in \mathbb R^4,\quad k < K,

    with :math:`K` = ``num_classes + 1`` classes when ``add_one`` (0 is the background),
    else ``num_classes`` (which then counts the background, class 0). Pixels are first
    normalised: ``images / pixel_scale - image_means`` (per channel).

    Shapes: images ``(N, C, H, W)`` with ``C = len(image_means)``; proposals a list of
    ``N`` box sets ``(R_i, 4)``; ``forward`` returns logits ``(M, K)`` and deltas
    ``(M, K, 4)`` for the :math:`M = \sum_i R_i` proposals, image by image.

    Backward: through the heads, the backbone and the bilinear warp (to the images too).

    Parameters
    ----------
    backbone : Module
        Maps a batch of warped regions ``(M, C, h, w)`` to features ``(M, feat_dim)``
        (or a tuple/list whose last item is; feature maps are flattened).
    feat_dim : int
        The backbone's feature size.
    num_classes : int
        The object classes (plus background when ``add_one``).
    image_means : tuple of float, default (0.485, 0.456, 0.406)
        Subtracted from each channel after scaling.
    pixel_scale : float, default 1.0
        Images are divided by it first (255.0 for pixels in 0..255).
    warper_output_size : int or (int, int), default (224, 224)
        The size ``(h, w)`` every region is warped to.
    nms_iou_thresh : float, default 0.3
        Per-class NMS threshold of :meth:`predict`.
    score_thresh : float, default 0.0
        :meth:`predict` drops detections whose class probability is not above it.
    add_one : bool, default True
        Add the background class (index 0) to ``num_classes``.

    Attributes
    ----------
    proposer : SelectiveSearch
        Used when no proposals are given; replace it to change its settings.
    classifier : Linear
        ``feat_dim -> K``.
    box_regressor : Linear
        ``feat_dim -> 4 K`` (one set of deltas per class; the background's is unused).

    Raises
    ------
    TypeError, ValueError
        A bad argument, named.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> from lucid.models import RCNN
    >>> backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
    ...                          nn.AdaptiveAvgPool2d(1), nn.Flatten())
    >>> model = RCNN(backbone, feat_dim=8, num_classes=2, warper_output_size=(16, 16))
    >>> images = lucid.random.rand(1, 3, 32, 32)
    >>> logits, deltas = model(images, [[[0, 0, 16, 16], [8, 4, 30, 20]]])
    >>> logits.shape, deltas.shape
    ((2, 3), (2, 3, 4))
    """

    def __init__(self, backbone, feat_dim, num_classes, *, image_means=(0.485, 0.456, 0.406),
                 pixel_scale=1.0, warper_output_size=(224, 224), nms_iou_thresh=0.3,
                 score_thresh=0.0, add_one=True):
        super().__init__()
        fname = "RCNN"
        if not isinstance(backbone, nn.Module):
            raise TypeError(f"{fname}: backbone must be a Module; got {type(backbone).__name__}")
        feat_dim = check_int(feat_dim, fname, "feat_dim", minimum=1)
        num_classes = check_int(num_classes, fname, "num_classes", minimum=1)
        add_one = check_bool(add_one, fname, "add_one")
        if not isinstance(image_means, (tuple, list)) or not image_means:
            raise TypeError(f"{fname}: image_means must be a non-empty tuple of numbers (one per "
                            f"channel); got {image_means!r}")
        means = [check_number(m, fname, "image_means") for m in image_means]
        self.pixel_scale = check_number(pixel_scale, fname, "pixel_scale", low=0.0,
                                        low_open=True)
        self.warper_output_size = int_tuple(warper_output_size, fname, "warper_output_size",
                                            length=2, minimum=1)
        self.nms_iou_thresh = check_number(nms_iou_thresh, fname, "nms_iou_thresh", 0.0, 1.0)
        self.score_thresh = check_number(score_thresh, fname, "score_thresh", 0.0, 1.0)
        self.num_classes = num_classes + add_one                   # K, background included
        if self.num_classes < 2:
            raise ValueError(f"{fname}: num_classes must be at least 2 when add_one is False "
                             f"(class 0 is the background); got {num_classes}")
        self.feat_dim = feat_dim
        self.backbone = backbone
        self.proposer = SelectiveSearch()
        self.classifier = nn.Linear(feat_dim, self.num_classes)
        self.box_regressor = nn.Linear(feat_dim, 4 * self.num_classes)
        self.register_buffer("image_means", Tensor(np.array(means, np.float32).reshape(
            1, len(means), 1, 1)))

    # ----------------------------------------------------------------- the pipeline
    def _check_images(self, images, fname):
        images = float_tensor(images, fname, "images")
        channels = self.image_means.shape[1]
        if images.ndim != 4 or images.shape[1] != channels:
            raise ValueError(f"{fname}: images must have shape (N, {channels}, H, W) "
                             f"({channels} channels, one per image mean); got shape "
                             f"{tuple(images.shape)}")
        return images

    def _check_proposals(self, proposals, images, fname):
        """The proposals, one (R_i, 4) float Tensor per image; None runs the proposer."""
        if proposals is None:
            with lucid.no_grad():
                return [self.proposer(image.data) for image in images]
        if isinstance(proposals, (Tensor, np.ndarray)) or not isinstance(proposals,
                                                                         (list, tuple)):
            raise TypeError(f"{fname}: proposals must be a list of box sets, one per image; "
                            f"got {type(proposals).__name__}")
        if len(proposals) != images.shape[0]:
            raise ValueError(f"{fname}: proposals must hold one box set per image "
                             f"({images.shape[0]}); got {len(proposals)}")
        return [as_boxes(boxes, fname, f"proposals[{i}]") for i, boxes in enumerate(proposals)]

    def warp(self, images, proposals):
        r"""Crop each proposal from its image and resize it bilinearly to
        ``warper_output_size``.

        A box is widened to whole pixels (:math:`\lfloor x_1 \rfloor` to :math:`\lceil x_2
        \rceil`), clipped to the image, and given at least one pixel per side.

        Shapes: images ``(N, C, H, W)``, proposals ``N`` sets ``(R_i, 4)`` ->
        ``(sum R_i, C, h, w)``.

        Backward: the bilinear resize's, into the cropped pixels.
        """
        images = self._check_images(images, "RCNN.warp")
        proposals = self._check_proposals(proposals, images, "RCNN.warp")
        height, width = images.shape[2:]
        crops = []
        for i, boxes in enumerate(proposals):
            for x1, y1, x2, y2 in boxes.data.tolist():
                left = min(max(int(np.floor(x1)), 0), width - 1)
                top = min(max(int(np.floor(y1)), 0), height - 1)
                right = max(min(int(np.ceil(x2)), width), left + 1)
                bottom = max(min(int(np.ceil(y2)), height), top + 1)
                crop = images[i:i + 1, :, top:bottom, left:right]
                crops.append(F.interpolate(crop, size=self.warper_output_size,
                                           mode="bilinear", align_corners=False))
        if not crops:
            raise ValueError("RCNN.warp: proposals hold no box; give at least one")
        return lucid.concatenate(crops, axis=0)

    def forward(self, images, proposals=None):
        """Class logits ``(M, K)`` and per-class box deltas ``(M, K, 4)`` of the
        proposals (selective search's when None), in order, image by image."""
        images = self._check_images(images, "RCNN.forward")
        proposals = self._check_proposals(proposals, images, "RCNN.forward")
        normalised = images / self.pixel_scale - self.image_means
        features = self.backbone(self.warp(normalised, proposals))
        if isinstance(features, (tuple, list)):
            features = features[-1]
        features = features.reshape(features.shape[0], -1)
        if features.shape[1] != self.feat_dim:
            raise ValueError(f"RCNN.forward: the backbone gives {features.shape[1]} features "
                             f"per region but feat_dim is {self.feat_dim}")
        logits = self.classifier(features)
        deltas = self.box_regressor(features).reshape(-1, self.num_classes, 4)
        return logits, deltas

    def loss(self, images, proposals, gt_boxes, gt_labels, *, fg_iou_thresh=0.5,
             reg_iou_thresh=0.6, box_weight=1.0):
        r"""The training loss of a batch: classification plus box regression.

        .. math::

            L = \frac1M \sum_P \mathrm{CE}(\text{logits}_P, u_P)
              + \lambda \frac1M \sum_{P:\ \text{mask}_P}
                \sum_{j \in \{x, y, w, h\}} \mathrm{smooth}_{L_1}(t_{P,j}^{(u_P)} - v_{P,j})

        with the labels :math:`u`, deltas :math:`v` and mask of
        :func:`assign_targets`, :math:`\lambda` = ``box_weight``,
        :math:`\mathrm{smooth}_{L_1}(z) = z^2/2` for :math:`|z| < 1`, else :math:`|z| -
        1/2`.

        Parameters
        ----------
        images : Tensor, shape (N, C, H, W)
        proposals : list of N box sets (R_i, 4)
        gt_boxes : list of N box sets (G_i, 4)
        gt_labels : list of N int arrays (G_i,)
            Classes 1 .. K - 1.
        fg_iou_thresh, reg_iou_thresh : float
            See :func:`assign_targets`.
        box_weight : float, default 1.0
            :math:`\lambda`.

        Returns
        -------
        Tensor
            The scalar loss.
        """
        fname = "RCNN.loss"
        images = self._check_images(images, fname)
        proposals = self._check_proposals(proposals, images, fname)
        for arg, value in (("gt_boxes", gt_boxes), ("gt_labels", gt_labels)):
            if not isinstance(value, (list, tuple)) or len(value) != images.shape[0]:
                raise ValueError(f"{fname}: {arg} must be a list with one entry per image "
                                 f"({images.shape[0]}); got {type(value).__name__}"
                                 + (f" of length {len(value)}" if isinstance(value, (list, tuple))
                                    else ""))
        box_weight = check_number(box_weight, fname, "box_weight", low=0.0)
        targets = [assign_targets(p, g, lab, fg_iou_thresh, reg_iou_thresh)
                   for p, g, lab in zip(proposals, gt_boxes, gt_labels)]
        labels = np.concatenate([t[0].data for t in targets])
        if labels.max(initial=0) >= self.num_classes:
            raise ValueError(f"{fname}: gt_labels must be below {self.num_classes} (the "
                             f"classes 1 .. {self.num_classes - 1}); got {int(labels.max())}")
        deltas_target = np.concatenate([t[1].data for t in targets])
        mask = np.concatenate([t[2].data for t in targets])
        logits, deltas = self(images, proposals)
        loss = F.cross_entropy(logits, Tensor(labels))
        rows = np.flatnonzero(mask)
        if len(rows):
            predicted = deltas[rows, labels[rows]]
            target = Tensor(deltas_target[rows].astype(predicted.dtype))
            box_loss = F.smooth_l1_loss(predicted, target, reduction="sum") / len(labels)
            loss = loss + box_weight * box_loss
        return loss

    def predict(self, images, proposals=None, *, max_det_per_img=100):
        """Detections per image: proposals -> class probabilities and refined boxes ->
        per-class NMS.

        Each proposal gives one candidate per object class :math:`k \\ge 1`: the box
        ``apply_deltas(P, t^(k))`` clipped to the image, scored by the softmax
        probability of :math:`k`; candidates scoring at most ``score_thresh``, or left
        without area by the clipping, are dropped, :func:`~lucid.models.batched_nms`
        with ``nms_iou_thresh`` suppresses overlaps within each class, and the best
        ``max_det_per_img`` are kept. Runs
        without gradients; call ``model.eval()`` first (a backbone's dropout or batch
        norm would act otherwise).

        Returns
        -------
        list of dict
            One per image: ``"boxes"`` ``(D, 4)``, ``"scores"`` ``(D,)`` and
            ``"labels"`` ``(D,)`` int64 (classes ``1 .. K - 1``), best score first.
        """
        fname = "RCNN.predict"
        max_det_per_img = check_int(max_det_per_img, fname, "max_det_per_img", minimum=1)
        images = self._check_images(images, fname)
        with lucid.no_grad():
            proposals = self._check_proposals(proposals, images, fname)
            counts = [len(boxes) for boxes in proposals]
            results = [None] * len(proposals)
            if sum(counts):
                logits, deltas = self(images, proposals)
                probs = F.softmax(logits, axis=1).data
                deltas = deltas.data
            start = 0
            for i, boxes in enumerate(proposals):
                rows = slice(start, start + counts[i])
                start += counts[i]
                results[i] = self._detect(boxes.data, probs[rows] if counts[i] else None,
                                          deltas[rows] if counts[i] else None,
                                          images.shape[2:], max_det_per_img)
        return results

    def _detect(self, boxes, probs, deltas, image_size, max_det):
        """One image's detections from its proposals' probabilities and deltas."""
        found_boxes, found_scores, found_labels = [], [], []
        for k in range(1, self.num_classes if probs is not None else 1):
            moved = clip_boxes(apply_deltas(boxes, deltas[:, k].astype(boxes.dtype)),
                               image_size).data
            keep = ((probs[:, k] > self.score_thresh) & (moved[:, 2] > moved[:, 0])
                    & (moved[:, 3] > moved[:, 1]))             # clipping may leave no area
            if keep.any():
                found_boxes.append(moved[keep])
                found_scores.append(probs[keep, k])
                found_labels.append(np.full(int(keep.sum()), k, dtype=np.int64))
        if not found_boxes:
            return {"boxes": Tensor(np.zeros((0, 4), np.float32)),
                    "scores": Tensor(np.zeros(0, np.float32)),
                    "labels": Tensor(np.zeros(0, np.int64))}
        boxes, scores = np.concatenate(found_boxes), np.concatenate(found_scores)
        labels = np.concatenate(found_labels)
        keep = batched_nms(boxes, scores, labels, self.nms_iou_thresh).data[:max_det]
        return {"boxes": Tensor(boxes[keep]), "scores": Tensor(scores[keep]),
                "labels": Tensor(labels[keep])}

    def extra_repr(self):
        return (f"num_classes={self.num_classes} (background included), "
                f"warper_output_size={self.warper_output_size}, "
                f"nms_iou_thresh={self.nms_iou_thresh}, score_thresh={self.score_thresh}")


def _alexnet_fc7():
    """AlexNet up to fc7 (its 4096-d features after the second fully connected layer
    and ReLU): the paper's CNN."""
    net = AlexNet()
    head = list(net.classifier)[:-1]
    return nn.Sequential(net.features, net.avgpool, nn.Flatten(), *head)


@register_model(family="rcnn")
def rcnn(num_classes=20, backbone=None, feat_dim=None, **kwargs):
    """R-CNN as in the paper: AlexNet's fc7 features (4096-d) when no backbone is given,
    20 object classes (PASCAL VOC) plus background.

    Parameters
    ----------
    num_classes : int, default 20
    backbone : Module, optional
        Default: AlexNet (torchvision's layout) up to fc7.
    feat_dim : int, optional
        Required with a backbone; 4096 for the default.
    **kwargs
        Passed to :class:`~lucid.models.RCNN`.

    Returns
    -------
    RCNN

    Examples
    --------
    >>> from lucid import models, nn
    >>> with nn.shape_only():
    ...     model = models.rcnn()
    >>> model.classifier
    Linear(in_features=4096, out_features=21, bias=True)
    """
    if backbone is None:
        if feat_dim not in (None, 4096):
            raise ValueError(f"rcnn: feat_dim of the default AlexNet backbone is 4096; got "
                             f"{feat_dim!r}")
        backbone, feat_dim = _alexnet_fc7(), 4096
    elif feat_dim is None:
        raise ValueError("rcnn: feat_dim (the backbone's feature size) is required with a "
                         "backbone")
    return RCNN(backbone, feat_dim, num_classes, **kwargs)
