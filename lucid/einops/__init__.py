r"""``lucid.einops``: tensor reshaping and contraction written as readable patterns.

``rearrange``, ``reduce`` and ``repeat`` take a pattern ``"left -> right"`` that names
the axes of the input (left) and of the output (right):

>>> import lucid
>>> x = lucid.Tensor([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])      # (b=1, h=3, w=2)
>>> print(lucid.einops.rearrange(x, "b h w -> b w h"))
Tensor([[[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]])
>>> print(lucid.einops.reduce(x, "b h w -> b w", "mean"))
Tensor([[3.0, 4.0]])
>>> lucid.einops.repeat(x, "b h w -> b h w c", c=4).shape
(1, 3, 2, 4)

Pattern grammar (see ``_pattern.py``):

* names (``b``, ``h``, ``head_dim``) are axes; each name at most once per side;
* ``(h w)`` is one axis made of two (``h`` varies slowest, as in ``reshape``);
  ``()`` and ``1`` are axes of length 1; a number ``n > 1`` is an anonymous axis of
  length ``n``;
* ``...`` stands for every axis the pattern does not name.

Lengths that the input's shape does not determine are given as keywords
(``rearrange(x, "b (h w) -> b h w", h=4)``). A bad pattern raises ValueError quoting
the pattern and saying what is wrong.

``einsum(equation, *operands)`` is the Einstein summation of NumPy and PyTorch.

Everything here is differentiable: one graph node per call, with a hand-written
backward (``_transform.py``, ``_einsum.py``).
"""
from lucid.einops._einsum import einsum
from lucid.einops._transform import rearrange, reduce, repeat

__all__ = ["rearrange", "reduce", "repeat", "einsum"]
