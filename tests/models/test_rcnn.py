"""R-CNN: the warp, the heads' shapes and values, the training targets and loss against
computations written here, gradcheck in float64 on a tiny backbone, a few training steps
on a synthetic detection set, predict's per-class NMS, the registry, and bad inputs."""
import numpy as np
import pytest

import lucid
from lucid import models, nn, optim
from lucid.testing import assert_close, gradcheck


def tiny_backbone(channels=3, features=6):
    return nn.Sequential(nn.Conv2d(channels, features, 3, padding=1), nn.Tanh(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten())


def tiny_rcnn(num_classes=2, **kwargs):
    lucid.random.seed(0)
    kwargs.setdefault("warper_output_size", (6, 6))
    return models.RCNN(tiny_backbone(), 6, num_classes, **kwargs)


PROPOSALS = [[[0.0, 0.0, 8.0, 8.0], [2.5, 1.0, 11.0, 7.2], [4.0, 4.0, 12.0, 10.0]],
             [[1.0, 2.0, 6.0, 9.0]]]


def images(n=2, dtype=np.float32, seed=0):
    return lucid.Tensor(np.random.default_rng(seed).uniform(size=(n, 3, 10, 12)).astype(dtype))


# ------------------------------------------------------------------------ the warp
def test_warp_crops_and_resizes():
    model = tiny_rcnn(warper_output_size=(10, 12))
    x = images()
    whole = model.warp(x, [[[0, 0, 12, 10]], np.zeros((0, 4))])
    assert_close(whole, x.data[:1])                            # same size: the image itself
    model = tiny_rcnn(warper_output_size=(5, 4))
    crops = model.warp(x, [[[2, 3, 6, 8]], [[1.4, 0.2, 4.6, 4.9], [-3, -2, 40, 30]]])
    assert crops.shape == (3, 3, 5, 4)
    assert_close(crops[0], x.data[0, :, 3:8, 2:6])             # whole pixels, same size
    assert_close(crops[1], x.data[1, :, 0:5, 1:5])             # widened to whole pixels
    expected = lucid.nn.functional.interpolate(x[1:2], size=(5, 4), mode="bilinear",
                                               align_corners=False)
    assert_close(crops[2:], expected)                          # clipped to the image


def test_forward_shapes_and_values():
    model = models.RCNN(nn.Flatten(), 3 * 2 * 2, 4, image_means=(0.1, 0.2, 0.3),
                        pixel_scale=2.0, warper_output_size=2)
    x = images()
    logits, deltas = model(x, PROPOSALS)
    assert logits.shape == (4, 5) and deltas.shape == (4, 5, 4)          # 4 classes + bg
    normalised = x.data / 2.0 - np.array([0.1, 0.2, 0.3], np.float32).reshape(1, 3, 1, 1)
    features = model.warp(lucid.Tensor(normalised), PROPOSALS).data.reshape(4, -1)
    w, b = model.classifier.weight.data, model.classifier.bias.data
    assert_close(logits, features @ w.T + b, rtol=1e-5, atol=1e-6)
    w, b = model.box_regressor.weight.data, model.box_regressor.bias.data
    assert_close(deltas, (features @ w.T + b).reshape(4, 5, 4), rtol=1e-5, atol=1e-6)
    without_background = models.RCNN(nn.Flatten(), 12, 4, add_one=False, warper_output_size=2)
    assert without_background(x, PROPOSALS)[0].shape == (4, 4)


def test_backbone_may_return_a_tuple_of_maps():
    class Pyramid(nn.Module):
        def forward(self, x):
            return x * 2, x                                     # the last item is used

    model = models.RCNN(Pyramid(), 3 * 3 * 3, 2, warper_output_size=3)
    assert model(images(), PROPOSALS)[0].shape == (4, 3)


def test_gradcheck_forward_and_loss_on_a_tiny_backbone():
    model = tiny_rcnn(warper_output_size=(3, 3)).double()
    x = lucid.Tensor(np.random.default_rng(1).uniform(size=(1, 3, 5, 6)), requires_grad=True)
    proposals = [[[0.0, 0.0, 4.0, 3.0], [1.5, 1.0, 6.0, 5.0]]]

    def heads(t):
        logits, deltas = model(t, proposals)
        return lucid.concatenate([logits, deltas.reshape(2, -1)], axis=1)

    assert gradcheck(heads, [x])
    assert gradcheck(lambda t: model.loss(t, proposals, [[[0.0, 0.0, 4.0, 3.5]]], [[2]]), [x])


# ---------------------------------------------------------------- targets and loss
def test_assign_targets_equals_the_loop(rng):
    proposals = np.array([[0, 0, 10, 10], [1, 1, 11, 9], [20, 20, 30, 30], [18, 19, 31, 29],
                          [0, 15, 5, 20], [5, 5, 15, 15]], np.float64)
    gt = np.array([[0, 0, 10, 10], [19, 20, 30, 30]], np.float64)
    gt_labels = np.array([2, 5])
    labels, deltas, mask = models.assign_targets(proposals, gt, gt_labels, 0.5, 0.6)
    for i, p in enumerate(proposals):
        ious = [models.box_iou(p[None], g[None]).item() for g in gt]
        j = int(np.argmax(ious))
        assert labels.data[i] == (gt_labels[j] if ious[j] >= 0.5 else 0)
        assert mask.data[i] == (ious[j] >= 0.6 and labels.data[i] > 0)
        expected = models.bbox_to_delta(p[None], gt[j][None]).data[0] if mask.data[i] \
            else np.zeros(4)
        assert_close(deltas.data[i], expected)
    assert labels.data.tolist() == [2, 2, 5, 5, 0, 0] and mask.data.sum() == 4
    labels, deltas, mask = models.assign_targets(proposals, np.zeros((0, 4)), np.zeros(0, int))
    assert (labels.data == 0).all() and not mask.data.any() and deltas.shape == (6, 4)


def test_loss_is_cross_entropy_plus_smooth_l1():
    model = tiny_rcnn(num_classes=3)
    x = images()
    gt_boxes = [[[0.0, 0.0, 8.0, 7.0]], [[1.0, 2.0, 6.0, 8.0]]]
    gt_labels = [[1], [3]]
    loss = model.loss(x, PROPOSALS, gt_boxes, gt_labels, box_weight=2.0)
    logits, deltas = (t.data.astype(np.float64) for t in model(x, PROPOSALS))
    targets = [models.assign_targets(p, g, lab) for p, g, lab in zip(PROPOSALS, gt_boxes,
                                                                      gt_labels)]
    labels = np.concatenate([t[0].data for t in targets])
    target = np.concatenate([t[1].data for t in targets])
    mask = np.concatenate([t[2].data for t in targets])
    assert labels.tolist() == [1, 0, 0, 3] and mask.tolist() == [True, False, False, True]
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    cross_entropy = -log_softmax[np.arange(4), labels].mean()
    z = np.abs(deltas[np.arange(4), labels] - target)[mask]
    smooth_l1 = np.where(z < 1, 0.5 * z ** 2, z - 0.5).sum() / 4
    assert loss.item() == pytest.approx(cross_entropy + 2.0 * smooth_l1, rel=1e-5)


def synthetic_detection_set(count=6, seed=0):
    """Grey 24 x 24 images with one square: red (class 1) or blue (class 2); proposals:
    the square, three jittered copies and three random boxes."""
    rng = np.random.default_rng(seed)
    batch, proposals, gt_boxes, gt_labels = [], [], [], []
    for i in range(count):
        image = np.full((3, 24, 24), 0.5, np.float32)
        label = 1 + i % 2
        x, y = rng.integers(0, 12, 2)
        side = int(rng.integers(8, 12))
        image[0 if label == 1 else 2, y:y + side, x:x + side] = 1.0
        box = np.array([[x, y, x + side, y + side]], np.float32)
        jittered = box + rng.normal(0, 1.5, (3, 4)).astype(np.float32)
        corner = rng.uniform(0, 16, (3, 2))
        random = np.concatenate([corner, corner + rng.uniform(3, 8, (3, 2))], 1)
        batch.append(image)
        proposals.append(np.concatenate([box, jittered, random.astype(np.float32)]))
        gt_boxes.append(box)
        gt_labels.append(np.array([label]))
    return lucid.Tensor(np.stack(batch)), proposals, gt_boxes, gt_labels


def test_a_tiny_rcnn_trains_on_a_synthetic_detection_set():
    x, proposals, gt_boxes, gt_labels = synthetic_detection_set()
    model = tiny_rcnn(image_means=(0.5, 0.5, 0.5))
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(12):
        loss = model.loss(x, proposals, gt_boxes, gt_labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0], losses
    assert all(np.isfinite(losses))


# ---------------------------------------------------------------------- prediction
def rigged_model(num_classes=2, **kwargs):
    """A model whose class probabilities are chosen through the bias (zero weights),
    with zero deltas: every class's boxes are the proposals."""
    model = tiny_rcnn(num_classes=num_classes, **kwargs)
    model.classifier.weight.data[...] = 0.0
    model.box_regressor.weight.data[...] = 0.0
    model.box_regressor.bias.data[...] = 0.0
    return model.eval()


def test_predict_applies_per_class_nms():
    model = rigged_model(nms_iou_thresh=0.3, score_thresh=0.2)
    model.classifier.bias.data[...] = np.log(np.array([0.1, 0.6, 0.3], np.float32))
    proposals = [[[0, 0, 8, 8], [0.5, 0.5, 8.5, 8.5], [9, 5, 12, 10]], np.zeros((0, 4))]
    first, second = model.predict(images(), proposals)
    # class 1 (p = 0.6) and class 2 (p = 0.3): the overlapping pair keeps its first box
    assert first["labels"].data.tolist() == [1, 1, 2, 2]
    assert_close(first["scores"], np.array([0.6, 0.6, 0.3, 0.3], np.float32), rtol=1e-5)
    assert first["boxes"].data.tolist() == [[0, 0, 8, 8], [9, 5, 12, 10]] * 2
    assert second["boxes"].shape == (0, 4) and second["labels"].dtype == np.int64
    model.score_thresh = 0.4                                     # class 2 drops out
    assert model.predict(images(), proposals)[0]["labels"].data.tolist() == [1, 1]
    model.score_thresh = 0.2
    top = model.predict(images(), proposals, max_det_per_img=3)[0]
    assert top["scores"].shape == (3,)


def test_predict_moves_and_clips_boxes():
    model = rigged_model()
    model.classifier.bias.data[...] = np.array([0.0, 5.0, 0.0], np.float32)
    model.box_regressor.bias.data[4:8] = np.array([0.5, 0.0, np.log(2.0), 0.0], np.float32)
    result = model.predict(images(1), [[[2.0, 2.0, 6.0, 6.0], [8.0, 0.0, 12.0, 4.0]]])[0]
    boxes = {tuple(b) for b, label in zip(result["boxes"].data.tolist(),
                                          result["labels"].data.tolist()) if label == 1}
    # centre x moves by half a width, width doubles; the second box is clipped at x = 12
    assert boxes == {(2.0, 2.0, 10.0, 6.0), (8.0, 0.0, 12.0, 4.0)}


def test_predict_without_proposals_runs_selective_search():
    model = rigged_model()
    model.proposer = models.SelectiveSearch(scales=(100,), min_size=10)
    x = np.full((1, 3, 16, 20), 0.5, np.float32)
    x[0, 0, 3:10, 4:12] = 1.0
    result = model.predict(lucid.Tensor(x))[0]
    assert result["boxes"].shape[1] == 4 and len(result["boxes"]) >= 1
    logits, _ = model(lucid.Tensor(x))
    assert logits.shape[0] == len(model.proposer(x[0]))


# ---------------------------------------------------------------------- the registry
def test_registered_as_the_rcnn_family():
    assert models.list_models("rcnn") == ["rcnn"]
    with nn.shape_only():
        paper = models.create_model("rcnn")
    assert paper.classifier.out_features == 21 and paper.box_regressor.out_features == 84
    assert paper.warper_output_size == (224, 224)
    custom = models.rcnn(num_classes=3, backbone=tiny_backbone(), feat_dim=6,
                         warper_output_size=8)
    assert custom(images(), PROPOSALS)[0].shape == (4, 4)
    with pytest.raises(ValueError, match="rcnn: feat_dim \\(the backbone's feature size\\) "
                                         "is required with a backbone"):
        models.rcnn(backbone=tiny_backbone())
    with pytest.raises(ValueError, match="rcnn: feat_dim of the default AlexNet backbone is "
                                         "4096; got 512"):
        models.rcnn(feat_dim=512)


def test_feature_size_mismatch_is_named():
    model = models.RCNN(tiny_backbone(), 7, 2, warper_output_size=4)
    with pytest.raises(ValueError, match="RCNN.forward: the backbone gives 6 features per "
                                         "region but feat_dim is 7"):
        model(images(), PROPOSALS)


# ---------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("kwargs, error, message", [
    ({"backbone": "alexnet"}, TypeError, "RCNN: backbone must be a Module; got str"),
    ({"feat_dim": 0}, ValueError, "RCNN: feat_dim must be positive; got 0"),
    ({"num_classes": "3"}, TypeError, "RCNN: num_classes must be an int; got '3'"),
    ({"num_classes": 1, "add_one": False}, ValueError,
     "RCNN: num_classes must be at least 2 when add_one is False"),
    ({"add_one": 1}, TypeError, "RCNN: add_one must be a bool; got 1"),
    ({"image_means": ()}, TypeError, "RCNN: image_means must be a non-empty tuple of numbers"),
    ({"pixel_scale": 0.0}, ValueError, "RCNN: pixel_scale must be a number > 0.0; got 0.0"),
    ({"warper_output_size": (0, 4)}, ValueError,
     "RCNN: warper_output_size must be positive; got \\(0, 4\\)"),
    ({"nms_iou_thresh": 2}, ValueError, "RCNN: nms_iou_thresh must lie in \\[0.0, 1.0\\]"),
    ({"score_thresh": -0.1}, ValueError, "RCNN: score_thresh must lie in \\[0.0, 1.0\\]"),
])
def test_bad_constructor_arguments(kwargs, error, message):
    arguments = {"backbone": tiny_backbone(), "feat_dim": 6, "num_classes": 2}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        models.RCNN(arguments.pop("backbone"), arguments.pop("feat_dim"),
                    arguments.pop("num_classes"), **arguments)


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m(lucid.Tensor(np.zeros((1, 3, 8, 8), np.int64)), [[[0, 0, 4, 4]]]),
     TypeError, "RCNN.forward: images must have a floating dtype"),
    (lambda m: m(lucid.random.rand(1, 1, 8, 8), [[[0, 0, 4, 4]]]), ValueError,
     "RCNN.forward: images must have shape \\(N, 3, H, W\\) \\(3 channels, one per image "
     "mean\\); got shape \\(1, 1, 8, 8\\)"),
    (lambda m: m(lucid.random.rand(1, 3, 8, 8), np.zeros((1, 4))), TypeError,
     "RCNN.forward: proposals must be a list of box sets, one per image; got ndarray"),
    (lambda m: m(lucid.random.rand(2, 3, 8, 8), [[[0, 0, 4, 4]]]), ValueError,
     "RCNN.forward: proposals must hold one box set per image \\(2\\); got 1"),
    (lambda m: m(lucid.random.rand(1, 3, 8, 8), [[[0, 0, 4]]]), ValueError,
     "RCNN.forward: proposals\\[0\\] must have shape \\(N, 4\\)"),
    (lambda m: m(lucid.random.rand(1, 3, 8, 8), [np.zeros((0, 4))]), ValueError,
     "RCNN.warp: proposals hold no box; give at least one"),
    (lambda m: m.loss(lucid.random.rand(1, 3, 8, 8), [[[0, 0, 4, 4]]], [[[0, 0, 4, 4]]], [[3]]),
     ValueError, "RCNN.loss: gt_labels must be below 3 \\(the classes 1 .. 2\\); got 3"),
    (lambda m: m.loss(lucid.random.rand(1, 3, 8, 8), [[[0, 0, 4, 4]]], [[[0, 0, 4, 4]]], [[0]]),
     ValueError, "assign_targets: gt_labels must be at least 1 \\(0 is the background\\); got 0"),
    (lambda m: m.loss(lucid.random.rand(1, 3, 8, 8), [[[0, 0, 4, 4]]], [], [[1]]), ValueError,
     "RCNN.loss: gt_boxes must be a list with one entry per image \\(1\\); got list of length 0"),
    (lambda m: m.loss(lucid.random.rand(1, 3, 8, 8), [[[0, 0, 4, 4]]], [[[0, 0, 4, 4]]], [[1]],
                      box_weight=-1.0), ValueError,
     "RCNN.loss: box_weight must be a number >= 0.0; got -1.0"),
    (lambda m: m.predict(lucid.random.rand(1, 3, 8, 8), [[[0, 0, 4, 4]]], max_det_per_img=0),
     ValueError, "RCNN.predict: max_det_per_img must be positive; got 0"),
])
def test_bad_call_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(tiny_rcnn())
