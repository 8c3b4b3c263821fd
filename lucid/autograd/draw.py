"""Drawing the graph that produced a tensor: as SVG (laid out here), DOT, or a text tree.

The graph is the one ``backward()`` walks: each op node is a
:class:`~lucid.autograd.Function` instance (``tensor.grad_fn``), its inputs are
``ctx.parents``, and what it saved for backward are the attributes on ``ctx``. Leaves
are the tensors the graph starts from: those that require a gradient (parameters,
inputs you differentiate by) and constants that do not.

The SVG layout is a layered drawing of a DAG, written here so that nothing outside
lucid is needed (no Graphviz):

1. *layers*: a node's layer is the longest path from it to the drawn tensor, so every
   edge points down, from a node's inputs to the node, and the output is at the bottom;
2. *order*: within each layer, nodes are sorted by the mean position of their
   neighbours in the layer above, then below (the barycentre heuristic, a few sweeps),
   which removes most edge crossings;
3. *coordinates*: each layer is a row of boxes, centred; edges are cubic curves from
   the bottom of an input's box to the top of its consumer's.
"""
import html
import os

import numpy as np

__all__ = ["draw"]

FORMATS = ("svg", "dot", "text")
#: Pixels per character of the SVG's monospace text, line height, and the gaps.
CHAR_W, LINE_H, PAD, GAP_X, GAP_Y = 7.2, 15, 8, 28, 46


class _Node:
    __slots__ = ("key", "kind", "title", "lines", "inputs", "layer", "order", "x", "y",
                 "w", "h")

    def __init__(self, key, kind, title, lines):
        self.key, self.kind, self.title, self.lines = key, kind, title, lines
        self.inputs = []          # the nodes this one consumes, in argument order
        self.layer = self.order = 0
        self.x = self.y = self.w = self.h = 0.0


def _describe(array):
    return f"{tuple(array.shape)} {array.dtype}"


def _short(value, limit=40):
    if isinstance(value, np.ndarray):
        return _describe(value)
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _values(array, limit=6):
    flat = np.asarray(array).reshape(-1)
    shown = ", ".join(f"{v:.4g}" for v in flat[:limit].tolist())
    return f"[{shown}, ...]" if flat.size > limit else f"[{shown}]"


def _graph(tensor, names, grads, saved):
    """The nodes of ``tensor``'s graph, the output's first."""
    from lucid._tensor import Tensor

    names = {id(t): n for n, t in (names or {}).items()}
    nodes = {}

    def tensor_lines(t, with_grad):
        lines = [_describe(t.data)]
        if t.requires_grad:
            lines.append("requires grad")
        if with_grad and t.grad is not None:
            lines.append(f"grad {_values(t.grad)}")
        return lines

    def leaf(t):
        key = ("tensor", id(t))
        if key not in nodes:
            kind = "leaf" if t.requires_grad else "constant"
            title = names.get(id(t), "leaf" if t.requires_grad else "constant")
            nodes[key] = _Node(key, kind, title, tensor_lines(t, grads))
        return nodes[key]

    def op(ctx, produced):
        key = ("op", id(ctx))
        if key in nodes:
            return nodes[key]
        lines = tensor_lines(produced, grads)[:1]          # what it made: shape, dtype
        if grads and produced.grad is not None:
            lines.append(f"grad {_values(produced.grad)}")
        if saved:
            for name, value in sorted(vars(ctx).items()):
                lines.append(f"saved {name}: {_short(value)}")
        if ctx.parents is None:
            lines.append("inputs freed by backward (retain_graph=True keeps them)")
        node = nodes[key] = _Node(key, "op", type(ctx).__name__, lines)
        for parent in ctx.parents or ():
            if parent is None:
                continue
            node.inputs.append(op(parent.grad_fn, parent) if parent.grad_fn is not None
                               else leaf(parent))
        return node

    if not isinstance(tensor, Tensor):
        raise TypeError(f"lucid.autograd.draw: tensor must be a lucid.Tensor, got "
                        f"{type(tensor).__name__}")
    root = op(tensor.grad_fn, tensor) if tensor.grad_fn is not None else leaf(tensor)
    root.kind = "output"
    if id(tensor) in names:
        root.title = f"{names[id(tensor)]} = {root.title}" if root.key[0] == "op" \
            else names[id(tensor)]
    return [root] + [n for n in nodes.values() if n is not root]


# ------------------------------------------------------------------------- layout
def _layers(nodes):
    """Layer = longest path to the output (layer 0), in place on the nodes."""
    consumers = {n.key: [] for n in nodes}
    for n in nodes:
        for i in dict.fromkeys(n.inputs):
            consumers[i.key].append(n)
    pending = {n.key: len(consumers[n.key]) for n in nodes}
    ready, order = [nodes[0]], []                  # consumers before their inputs
    while ready:
        n = ready.pop()
        order.append(n)
        for i in dict.fromkeys(n.inputs):
            pending[i.key] -= 1
            if pending[i.key] == 0:
                ready.append(i)
    for n in order:
        for i in n.inputs:
            i.layer = max(i.layer, n.layer + 1)
    return order


def _layout_graph(nodes):
    """Rows of nodes (top first), with a dummy node on every layer an edge crosses, and
    the edges as chains ``[input, dummies..., (consumer, port share)]``."""
    order = _layers(nodes)
    depth = max(n.layer for n in nodes)
    rows = [[] for _ in range(depth + 1)]
    for n in order:
        rows[depth - n.layer].append(n)
    up = {n.key: [] for n in nodes}                # (node above, where it enters me)
    down = {n.key: [] for n in nodes}              # (node below, where I enter it)
    chains = []
    for n in nodes:
        for port, src in enumerate(n.inputs):
            share = (port + 1) / (len(n.inputs) + 1)
            chain = [src]
            for layer in range(src.layer - 1, n.layer, -1):
                dummy = _Node(("dummy", len(up)), "dummy", "", [])
                dummy.layer = layer
                up[dummy.key], down[dummy.key] = [], []
                rows[depth - layer].append(dummy)
                chain.append(dummy)
            chain.append(n)
            for a, b in zip(chain, chain[1:]):
                at = share if b is n else 0.5
                up[b.key].append((a, at))
                down[a.key].append((b, at))
            chains.append((chain, share))
    return rows, up, down, chains


def _order(rows, up, down, sweeps=6):
    """Barycentre ordering: each row sorted by the mean position of its neighbours; an
    input is placed by where it enters its consumer (its argument's share of the
    consumer's width), so inputs keep their argument order, left to right."""
    for row in rows:
        for i, n in enumerate(row):
            n.order = i

    def sort(row, positions):
        def centre(n):
            near = positions(n)
            return sum(near) / len(near) if near else n.order
        row.sort(key=lambda n: (centre(n), n.order))
        for i, n in enumerate(row):
            n.order = i

    for _ in range(sweeps):
        for row in reversed(rows[:-1]):                           # bottom up
            sort(row, lambda n: [b.order + at for b, at in down[n.key]])
        for row in rows[1:]:                                      # top down
            sort(row, lambda n: [a.order + 0.5 for a, _ in up[n.key]])


def _place(rows):
    for row in rows:
        for n in row:
            if n.kind == "dummy":
                n.w = 2.0
                continue
            width = max(len(line) for line in [n.title] + n.lines)
            n.w = width * CHAR_W + 2 * PAD
            n.h = (1 + len(n.lines)) * LINE_H + 2 * PAD
    widths = [sum(n.w for n in row) + GAP_X * (len(row) - 1) for row in rows]
    total = max(widths)
    y = GAP_Y / 2
    for row, width in zip(rows, widths):
        x = (total - width) / 2 + GAP_X / 2
        height = max([n.h for n in row if n.kind != "dummy"] or [LINE_H])
        for n in row:
            if n.kind == "dummy":                 # spans the row: the edge runs through
                n.x, n.y, n.h = x, y, height
            else:
                n.x, n.y = x, y + (height - n.h) / 2
            x += n.w + GAP_X
        y += height + GAP_Y
    return total + GAP_X, y - GAP_Y / 2


# ------------------------------------------------------------------------ writers
STYLE = {"op": ("#dbeafe", "#1d4ed8"), "leaf": ("#dcfce7", "#15803d"),
         "constant": ("#f3f4f6", "#6b7280"), "output": ("#fef3c7", "#b45309")}


def _edge(chain, share):
    """An SVG path through a chain: a curve between layers, straight through dummies."""
    src, *dummies, dst = chain
    x, y = src.x + src.w / 2, src.y + src.h
    parts = [f"M {x:.1f} {y:.1f}"]
    for d in dummies + [dst]:
        x2 = d.x + (d.w * share if d is dst else d.w / 2)
        y2 = d.y
        bend = (y2 - y) / 2
        parts.append(f"C {x:.1f} {y + bend:.1f}, {x2:.1f} {y2 - bend:.1f}, {x2:.1f} {y2:.1f}")
        if d is not dst:
            parts.append(f"L {x2:.1f} {d.y + d.h:.1f}")
        x, y = x2, d.y + d.h
    return " ".join(parts)


def to_svg(nodes):
    rows, up, down, chains = _layout_graph(nodes)
    _order(rows, up, down)
    width, height = _place(rows)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
           f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
           'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
           'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
           '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
           '<rect width="100%" height="100%" fill="white"/>']
    for chain, share in chains:
        out.append(f'<path d="{_edge(chain, share)}" fill="none" stroke="#555" '
                   'stroke-width="1.2" marker-end="url(#arrow)"/>')
    for n in nodes:
        fill, stroke = STYLE[n.kind]
        radius = 10 if n.kind == "op" else 3
        out.append(f'<g class="{n.kind}"><rect x="{n.x:.1f}" y="{n.y:.1f}" width="{n.w:.1f}" '
                   f'height="{n.h:.1f}" rx="{radius}" fill="{fill}" stroke="{stroke}" '
                   'stroke-width="1.5"/>')
        cx = n.x + n.w / 2
        for j, line in enumerate([n.title] + n.lines):
            y = n.y + PAD + LINE_H * (j + 0.8)
            weight = ' font-weight="bold"' if j == 0 else ""
            out.append(f'<text x="{cx:.1f}" y="{y:.1f}" text-anchor="middle"{weight}>'
                       f'{html.escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def to_dot(nodes):
    ids = {n.key: f"n{i}" for i, n in enumerate(nodes)}
    shapes = {"op": "box, style=\"rounded,filled\"", "leaf": "box, style=filled",
              "constant": "box, style=filled", "output": "box, style=filled"}
    out = ["digraph lucid {", "    node [fontname=\"monospace\"];"]
    for n in nodes:
        label = "\\n".join(_dot_escape(s) for s in [n.title] + n.lines)
        out.append(f'    {ids[n.key]} [label="{label}", shape={shapes[n.kind]}, '
                   f'fillcolor="{STYLE[n.kind][0]}"];')
    for n in nodes:
        for src in n.inputs:
            out.append(f"    {ids[src.key]} -> {ids[n.key]};")
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_text(nodes):
    numbers = {}
    out = []

    def line(n):
        return f"{n.title}  " + "  ".join(n.lines) if n.lines else n.title

    def walk(n, prefix, last, top):
        branch = "" if top else ("└── " if last else "├── ")
        if n.key in numbers:
            out.append(f"{prefix}{branch}{n.title} (#{numbers[n.key]}, shown above)")
            return
        numbers[n.key] = len(numbers) + 1
        out.append(f"{prefix}{branch}{line(n)}  #{numbers[n.key]}")
        inner = prefix + ("" if top else ("    " if last else "│   "))
        for i, src in enumerate(n.inputs):
            walk(src, inner, i == len(n.inputs) - 1, False)

    walk(nodes[0], "", True, True)
    return "\n".join(out) + "\n"


WRITERS = {"svg": to_svg, "dot": to_dot, "text": to_text}
EXTENSIONS = {".svg": "svg", ".dot": "dot", ".gv": "dot", ".txt": "text"}


def draw(tensor, path=None, *, format=None, names=None, grads=False, saved=False):
    """Draw the graph that produced ``tensor``: SVG, DOT, or a text tree.

    Op nodes (blue, rounded) show the Function; leaves that require a gradient are
    green, constants grey, the drawn tensor amber. Every tensor shows its shape and
    dtype; arrows run from an op's inputs to the op, in argument order (left to right).
    The SVG is laid out by lucid (a layered drawing, see the module docstring): no
    Graphviz is needed. DOT text is for Graphviz where you have it.

    Parameters
    ----------
    tensor : Tensor
        The result whose graph to draw: before ``backward()``, or after
        ``backward(retain_graph=True)`` to see the gradients with ``grads=True``
        (a plain ``backward()`` frees the graph's inputs and what the ops saved).
    path : str or path, optional
        Write the drawing there too; its extension picks the format when ``format`` is
        not given: ``.svg``, ``.dot``/``.gv``, ``.txt``.
    format : {'svg', 'dot', 'text'}, optional
        Default: from ``path``'s extension, else ``'text'``.
    names : mapping of str to Tensor, optional
        Names for leaves (and the output), e.g. ``dict(model.named_parameters())``.
    grads : bool, default False
        Show the first gradient values of the tensors that have one.
    saved : bool, default False
        Show what each op saved for backward (its ``ctx`` attributes).

    Returns
    -------
    str
        The drawing (SVG or DOT source, or the text tree).

    Raises
    ------
    TypeError
        ``tensor`` is not a Tensor.
    ValueError
        An unknown format or path extension.

    Examples
    --------
    >>> import lucid
    >>> from lucid.autograd import draw
    >>> w = lucid.Tensor([1.0, 2.0], requires_grad=True)
    >>> x = lucid.Tensor([3.0, 4.0])
    >>> y = (w * x).sum()
    >>> print(draw(y, names={"w": w, "x": x}), end="")
    Sum  () float32  #1
    └── Multiply  (2,) float32  #2
        ├── w  (2,) float32  requires grad  #3
        └── x  (2,) float32  #4

    A tensor used twice is drawn once; the text tree refers back to its number:

    >>> z = w * w
    >>> print(draw(z + z.exp(), saved=True), end="")
    Add  (2,) float32  #1
    ├── Multiply  (2,) float32  saved a: (2,) float32  saved b: (2,) float32  #2
    │   ├── leaf  (2,) float32  requires grad  #3
    │   └── leaf (#3, shown above)
    └── Exp  (2,) float32  saved y: (2,) float32  #4
        └── Multiply (#2, shown above)
    >>> svg = draw(y, format="svg")
    >>> svg.startswith("<svg") and "Multiply" in svg
    True
    >>> print(draw(y, format="dot").splitlines()[0])
    digraph lucid {
    """
    if format is None:
        if path is not None:
            ext = os.path.splitext(os.fspath(path))[1].lower()
            if ext not in EXTENSIONS:
                raise ValueError(f"lucid.autograd.draw: path must end in "
                                 f"{', '.join(EXTENSIONS)} (or give format=...); got {path!r}")
            format = EXTENSIONS[ext]
        else:
            format = "text"
    if format not in WRITERS:
        raise ValueError(f"lucid.autograd.draw: format must be one of {', '.join(FORMATS)}; "
                         f"got {format!r}")
    text = WRITERS[format](_graph(tensor, names, grads, saved))
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return text
