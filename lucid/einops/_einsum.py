r"""Einstein summation, and why its gradient is another einsum.

An equation such as ``"ij,jk->ik"`` names the axes of every operand with letters.
The result is the sum, over every letter *not* in the output, of the product of the
operands:

.. math:: y_{ik} = \sum_j a_{ij}\, b_{jk}

The product is linear in each operand, so the gradient with respect to one operand
is the same kind of sum: multiply the output gradient by all the *other* operands and
sum over every letter that the operand does not carry:

.. math:: \frac{\partial L}{\partial a_{ij}} = \sum_k \frac{\partial L}{\partial y_{ik}}
          \, b_{jk} \quad\Longrightarrow\quad
          \texttt{einsum("ik,jk->ij", dy, b)}

Two details make this work for every equation: a letter repeated in one operand
(``"ii->i"``, a diagonal) gets a second, fresh letter in the gradient's output joined
to the first by an identity matrix (the gradient lands on the diagonal only), and a
letter that only this operand carries (``"ij->i"``: ``j`` is summed away) gets a vector
of ones (every element of that axis receives the same gradient).
"""
import string

import numpy as np

from lucid.autograd.function import Function
from lucid.ops._util import as_tensor

__all__ = ["einsum"]


def _equation_error(equation, problem):
    return ValueError(f"einsum: equation {equation!r}: {problem}")


def parse_equation(equation, shapes):
    """Explicit form of ``equation`` for operands of ``shapes``: one string of letters per
    operand and one for the output, ``...`` replaced by letters of its own.

    Follows PyTorch: implicit output (no ``->``) is the letters used once, sorted, after
    the ``...`` axes; ``...`` axes broadcast (right-aligned) and are summed when the
    output does not mention them. Raises ValueError quoting the equation.
    """
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise _equation_error(equation, "more than one '->'")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise _equation_error(equation, f"it has {len(terms)} operand(s) but {len(shapes)} "
                                        f"were given")
    for term in terms + ([out] if arrow else []):
        bad = set(term.replace("...", "")) - set(string.ascii_letters)
        if bad:
            raise _equation_error(equation, f"unexpected character(s) {''.join(sorted(bad))!r}; "
                                            "subscripts are letters and '...'")
        if term.count("...") > 1:
            raise _equation_error(equation, f"'...' appears more than once in {term!r}")

    # how many axes each '...' covers, and letters for them (unused elsewhere)
    spans = []
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        letters = len(term.replace("...", ""))
        if "..." in term:
            if letters > len(shape):
                raise _equation_error(equation, f"operand {k} has {len(shape)} dimensions but "
                                                f"{term!r} names {letters}")
            spans.append(len(shape) - letters)
        else:
            if letters != len(shape):
                raise _equation_error(equation, f"operand {k} has {len(shape)} dimensions but "
                                                f"{term!r} names {letters}")
            spans.append(0)
    free = [c for c in string.ascii_letters if c not in eq]
    ellipsis = "".join(free[:max(spans, default=0)])
    inputs = [t.replace("...", ellipsis[len(ellipsis) - n:]) for t, n in zip(terms, spans)]

    if arrow:
        if "..." in out and "..." not in lhs:
            raise _equation_error(equation, "'...' in the output but in no operand")
        output = out.replace("...", ellipsis)
        for c in output:
            if output.count(c) > 1:
                raise _equation_error(equation, f"output letter {c!r} appears twice")
            if not any(c in t for t in inputs):
                raise _equation_error(equation, f"output letter {c!r} is in no operand")
    else:
        used = "".join(terms).replace("...", "")
        output = ellipsis + "".join(sorted(c for c in set(used) if used.count(c) == 1))

    # every letter has one length (1 broadcasts between operands, not within one)
    sizes = {}
    for k, (term, shape) in enumerate(zip(inputs, shapes)):
        own = {}
        for c, n in zip(term, shape):
            if own.setdefault(c, n) != n:
                raise _equation_error(equation, f"letter {c!r} is repeated in operand {k} with "
                                                f"different lengths {own[c]} and {n}")
            if sizes.get(c, 1) == 1:
                sizes[c] = n
            elif n not in (1, sizes[c]):
                raise _equation_error(equation, f"letter {c!r} has length {sizes[c]} and {n} "
                                                f"(operand {k}, shape {tuple(shape)})")
    return inputs, output


def _gradient_equation(k, inputs, output, shapes, sizes_dtype):
    """The einsum that gives ``dL/d operand_k``: its subscripts and extra operands."""
    target = inputs[k]
    spare = iter(c for c in string.ascii_letters
                 if c not in "".join(inputs) + output)
    terms = [output] + [t for i, t in enumerate(inputs) if i != k]
    extra = []
    result = ""
    for pos, c in enumerate(target):
        n = shapes[k][pos]
        if c in result:                       # repeated letter: a diagonal
            fresh = next(spare)
            terms.append(c + fresh)
            extra.append(np.eye(n, dtype=sizes_dtype))
            result += fresh
            continue
        if not any(c in t for t in terms):    # only this operand has it: all ones
            terms.append(c)
            extra.append(np.ones(n, dtype=sizes_dtype))
        result += c
    return ",".join(terms) + "->" + result, extra


class Einsum(Function):
    r"""``y = einsum(equation, *operands)``; each ``dL/d operand`` is an einsum too."""

    @staticmethod
    def forward(ctx, *operands, inputs=(), output=""):
        ctx.operands, ctx.inputs, ctx.output = operands, inputs, output
        return np.einsum(",".join(inputs) + "->" + output, *operands)

    @staticmethod
    def backward(ctx, grad):
        grads = []
        shapes = [np.shape(op) for op in ctx.operands]
        for k in range(len(ctx.operands)):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            equation, extra = _gradient_equation(k, ctx.inputs, ctx.output, shapes, grad.dtype)
            others = [op for i, op in enumerate(ctx.operands) if i != k]
            g = np.einsum(equation, grad, *others, *extra)
            grads.append(_fit(g, shapes[k]))
        return tuple(grads)


def _fit(g, shape):
    """Bring a gradient to its operand's ``shape`` where a letter of length 1 was
    broadcast: sum the axes the operand had as 1, copy along those the others had as 1."""
    if g.shape == shape:
        return g
    summed = tuple(i for i, (a, b) in enumerate(zip(g.shape, shape)) if b == 1 and a != 1)
    return np.broadcast_to(g.sum(axis=summed, keepdims=True), shape)


def einsum(equation, *operands):
    r"""Einstein summation: products of the operands, summed over the letters that are
    not in the output.

    .. math:: y_{\text{out}} = \sum_{\text{letters not in out}} \; \prod_k
              x^{(k)}_{\text{letters of } k}

    ``"ij,jk->ik"`` is a matrix product, ``"bij,bjk->bik"`` a batched one, ``"ii->i"``
    the diagonal, ``"ii"`` the trace, ``"i,j->ij"`` the outer product,
    ``"...ij->...ji"`` a batched transpose. Without ``->`` the output is the letters that
    appear once, in alphabetical order (upper case first), after the ``...`` axes.
    ``...`` axes broadcast like NumPy's (right-aligned, length 1 stretches), and a
    letter of length 1 in one operand broadcasts against the others. As in PyTorch
    (NumPy refuses this), ``...`` axes missing from an explicit output are summed.

    Shapes: each operand has one axis per letter (``...`` covering the rest); the
    output one axis per output letter.

    Backward: :math:`y` is linear in each operand, so with :math:`g = \partial
    L/\partial y`, :math:`\partial L/\partial x^{(k)}` is the einsum of :math:`g` with
    every other operand, whose output is operand :math:`k`'s letters. For example, for
    ``"ij,jk->ik"``, :math:`\partial L/\partial a` is ``einsum("ik,jk->ij", g, b)``.
    A repeated letter (``"ii->i"``) puts the gradient on the diagonal (through an
    identity matrix); a letter only operand :math:`k` has gets the gradient copied
    along it (through a vector of ones). See :mod:`lucid.einops._einsum`.

    Parameters
    ----------
    equation : str
        Subscripts, e.g. ``"ij,jk->ik"``; letters ``a-z A-Z`` and ``...``; spaces ignored.
    *operands : Tensor
        One per comma-separated term (a single list or tuple of tensors also works).

    Returns
    -------
    Tensor
        dtype by NumPy promotion of the operands.

    Raises
    ------
    ValueError
        If the equation is malformed or does not fit the operands (the message quotes
        it): wrong number of operands or of letters for an operand's dimensions, letters
        with different lengths, an output letter in no operand or repeated.
    TypeError
        If ``equation`` is not a str.

    Examples
    --------
    >>> import lucid
    >>> a = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> b = lucid.Tensor([[1.0, 0.0], [1.0, 1.0]], requires_grad=True)
    >>> y = lucid.einops.einsum("ij,jk->ik", a, b)
    >>> print(y)
    Tensor([[3.0, 2.0], [7.0, 4.0]], grad_fn=Einsum)
    >>> y.sum().backward()
    >>> a.grad
    array([[1., 2.],
           [1., 2.]], dtype=float32)
    >>> print(lucid.einops.einsum("ii", a))
    Tensor(5.0, grad_fn=Einsum)
    >>> print(lucid.einops.einsum("ii->i", a))
    Tensor([1.0, 4.0], grad_fn=Einsum)
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum: equation must be a str; got {type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError(f"einsum: equation {equation!r}: no operands given")
    tensors = [as_tensor(op) for op in operands]
    inputs, output = parse_equation(equation, [t.shape for t in tensors])
    return Einsum.apply(*tensors, inputs=tuple(inputs), output=output)
