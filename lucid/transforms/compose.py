"""``Compose``: several transforms, one after the other."""

__all__ = ["Compose"]


class Compose:
    r"""Apply transforms in order: ``Compose([f, g, h])(x) = h(g(f(x)))``.

    .. math:: \text{out} = t_k(\cdots t_2(t_1(x)))

    Parameters
    ----------
    transforms : list of callables

    Raises
    ------
    TypeError
        ``transforms`` not a list/tuple, or an element that is not callable.

    Examples
    --------
    >>> import numpy as np
    >>> import lucid
    >>> from lucid import transforms as T
    >>> pipeline = T.Compose([T.ToTensor(), T.Normalize(mean=[0.5], std=[0.5])])
    >>> print(pipeline(np.array([[0, 255]], dtype=np.uint8)))
    Tensor([[[-1.0, 1.0]]])
    """

    def __init__(self, transforms):
        if not isinstance(transforms, (list, tuple)):
            raise TypeError(f"Compose: transforms must be a list of callables; got {type(transforms).__name__}")
        for k, t in enumerate(transforms):
            if not callable(t):
                raise TypeError(f"Compose: transforms[{k}] must be callable; got {type(t).__name__}")
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"
