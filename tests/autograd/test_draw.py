"""lucid.autograd.draw: the graph as a text tree, DOT and an SVG laid out by lucid."""
import re
import xml.etree.ElementTree as ET

import pytest

import lucid
from lucid import nn
from lucid.autograd import draw

SVG = "{http://www.w3.org/2000/svg}"


def _model_loss():
    lucid.random.seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = lucid.randn(5, 4)
    target = lucid.Tensor([0, 1, 2, 0, 1], dtype=lucid.int64)
    return model, nn.functional.cross_entropy(model(x), target)


def _boxes(svg):
    """``[(title, (x, y, w, h))]`` of the SVG's node boxes, and its edge paths."""
    root = ET.fromstring(svg)
    boxes = []
    for g in root.iter(f"{SVG}g"):
        rect = g.find(f"{SVG}rect")
        title = g.find(f"{SVG}text").text
        boxes.append((title, tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))))
    paths = [p.get("d") for p in root.iter(f"{SVG}path") if p.get("marker-end")]
    return boxes, paths


def test_text_tree_names_parameters_and_shows_shapes():
    model, loss = _model_loss()
    text = draw(loss, names=dict(model.named_parameters()))
    lines = text.splitlines()
    assert lines[0].startswith("CrossEntropy  () float32")
    assert any("0.weight  (8, 4) float32  requires grad" in line for line in lines)
    assert any("2.bias  (3,) float32  requires grad" in line for line in lines)
    assert any("ReLU  (5, 8) float32" in line for line in lines)
    assert any("constant  (5, 4) float32" in line for line in lines)   # the input batch


def test_every_op_and_leaf_once_and_edges_in_argument_order():
    a = lucid.Tensor([1.0, 2.0], requires_grad=True)
    b = lucid.Tensor([3.0, 4.0], requires_grad=True)
    y = (a - b) * a.exp()
    text = draw(y, names={"a": a, "b": b})
    assert text.count("#") == 5 + 1                   # 5 nodes, one back-reference
    dot = draw(y, format="dot", names={"a": a, "b": b})
    ids = dict(re.findall(r'(n\d+) \[label="(\w+)', dot))
    edges = [(ids[s], ids[d]) for s, d in re.findall(r"(n\d+) -> (n\d+);", dot)]
    assert edges[:1] == [("Sub", "Multiply")]
    assert ("a", "Sub") in edges and ("b", "Sub") in edges and ("a", "Exp") in edges
    assert edges.index(("a", "Sub")) < edges.index(("b", "Sub"))
    assert len(edges) == 5


def test_saved_and_gradients_are_shown_on_request():
    w = lucid.Tensor([1.0, -2.0], requires_grad=True)
    y = (w * w).sum()
    assert "saved a: (2,) float32" in draw(y, saved=True)
    assert "saved" not in draw(y)
    y.backward(retain_graph=True)
    assert "grad [2, -4]" in draw(y, grads=True)
    z = (w * 3).sum()
    z.backward()                                      # frees the graph: said so
    assert "inputs freed by backward" in draw(z)


def test_svg_layers_point_down_and_inputs_sit_left_to_right(tmp_path):
    model, loss = _model_loss()
    path = tmp_path / "graph.svg"
    svg = draw(loss, path, names=dict(model.named_parameters()))
    assert path.read_text() == svg
    boxes, paths = _boxes(svg)
    assert len(boxes) == 9 and len(paths) == 8
    top = {t: y for t, (x, y, w, h) in boxes}
    # every input is drawn above the op that consumes it; the output at the bottom
    assert top["0.weight"] < top["ReLU"] < top["CrossEntropy"]
    assert max(top.values()) == top["CrossEntropy"]
    # the first Linear's inputs in argument order: x, weight, bias, left to right
    left = {t: x for t, (x, y, w, h) in boxes}
    assert left["constant"] < left["0.weight"] < left["0.bias"]
    # no two boxes of one row overlap
    rows = {}
    for title, (x, y, w, h) in boxes:
        rows.setdefault(round(y + h / 2), []).append((x, x + w))
    for spans in rows.values():
        spans.sort()
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))


def test_an_edge_that_skips_layers_runs_beside_the_boxes_between():
    x = lucid.Tensor([0.5, 1.5], requires_grad=True)
    y = x.exp().exp().exp() + x                        # x -> Add skips three rows
    boxes, paths = _boxes(draw(y, format="svg"))
    assert len(paths) == 5
    long_edge = max(paths, key=len)                    # the one routed through dummies
    xs = [float(v) for v in re.findall(r"L ([\d.]+)", long_edge)]
    assert len(xs) == 3                                # one dummy per row it crosses
    exps = [box for title, box in boxes if title == "Exp"]
    assert len(exps) == 3
    for bx, by, bw, bh in exps:
        assert all(not (bx <= v <= bx + bw) for v in xs)


def test_a_leaf_alone_and_bad_arguments():
    w = lucid.Tensor([1.0], requires_grad=True)
    assert draw(w, names={"w": w}) == "w  (1,) float32  requires grad  #1\n"
    with pytest.raises(TypeError, match="draw: tensor must be a lucid.Tensor, got list"):
        draw([1.0])
    with pytest.raises(ValueError, match="draw: format must be one of svg, dot, text; got 'png'"):
        draw(w, format="png")
    with pytest.raises(ValueError, match=r"draw: path must end in \.svg"):
        draw(w, "graph.png")
