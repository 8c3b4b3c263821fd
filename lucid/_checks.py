"""Argument checks for every layer of lucid: each rule written once, here.

Every check takes ``(value, fname, arg, ...)`` in that order: the value to check, the
public function's name, the argument's name. It returns the value in the one form the
code below expects (a Python ``int``, a ``float``, a tuple of ints, ...) or raises

* ``TypeError`` when the value has the wrong type,
* ``ValueError`` when it has the right type and a wrong value,

with a message that names the function, the argument, what was expected and what was
given::

    conv1d: stride must be positive; got 0
    reshape: shape must be an int or a tuple of ints; got 2.5 (a float)

``lucid.ops``, ``lucid.nn``, ``lucid.optim``, ``lucid.data``, ``lucid.datasets``,
``lucid.transforms`` and ``lucid.linalg`` all call these; nothing below them (the
Functions of ``lucid.ops``, the kernels) checks user input again.
"""
import functools
import math
import numbers

import numpy as np

__all__ = ["is_int", "is_number", "check_bool", "check_int", "check_number", "int_tuple",
           "shape_arg", "shape_args", "float_tensor", "normalize_axis", "check_device", "device_or_dtype", "renamed"]


def is_int(x):
    """True for Python and NumPy integers; bools are not ints here."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def is_number(x):
    """True for Python and NumPy real numbers; bools are not numbers here."""
    if type(x) is float or type(x) is int:     # the common case, without the ABC check
        return True
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def check_bool(value, fname, arg, expected="a bool"):
    """``value`` as a Python bool (a NumPy bool too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fname}: {arg} must be {expected}; got {value!r}")
    return bool(value)


def _bound(minimum):
    return {0: "non-negative", 1: "positive"}.get(minimum, f"at least {minimum}")


def check_int(value, fname, arg, minimum=None, maximum=None):
    """``value`` as a Python int in ``[minimum, maximum]`` (either end optional)."""
    if not is_int(value):
        raise TypeError(f"{fname}: {arg} must be an int; got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{fname}: {arg} must be {_bound(minimum)}; got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{fname}: {arg} is too large: got {value}, at most {maximum}")
    return value


def check_number(value, fname, arg, low=None, high=None, low_open=False, high_open=False,
                 finite=True):
    """``value`` as a float in the interval from ``low`` to ``high`` (each end closed
    unless ``*_open``; None: unbounded). ``finite=False`` admits infinities."""
    if not is_number(value):
        raise TypeError(f"{fname}: {arg} must be a real number; got {value!r}")
    number = float(value)
    shown = value if type(value) in (int, float) else number
    bad = (number != number or (finite and not math.isfinite(number))
           or (low is not None and (number < low or (low_open and number == low)))
           or (high is not None and (number > high or (high_open and number == high))))
    if bad:
        raise ValueError(f"{fname}: {arg} must {_interval(low, high, low_open, high_open)}; "
                         f"got {shown}")
    return number


def _interval(low, high, low_open, high_open):
    """The words for an allowed interval: 'lie in [0, 1)', 'be a number >= 0'..."""
    if low is not None and high is not None:
        return f"lie in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"be a number {'>' if low_open else '>='} {low}"
    if high is not None:
        return f"be a number {'<' if high_open else '<='} {high}"
    return "be finite"


def int_tuple(value, fname, arg, length=None, minimum=None, maximum=None, allow=None,
              nonempty=False, per=""):
    """An int or a sequence of ints as a tuple of Python ints.

    ``length``: the tuple's length (a single int is repeated to it); ``minimum`` /
    ``maximum``: bounds of every item, except an item equal to ``allow`` (reshape's -1);
    ``nonempty``: refuse ``()``; ``per``: words after the length in the message
    (" (one per spatial axis)"). A 1-d integer ndarray or Tensor counts as a sequence.
    """
    items = value
    single = False
    if type(items) is tuple and all(type(v) is int for v in items):
        pass                  # the common case, a tuple of Python ints, without the probes
    elif type(items) is int:  # the other common case, one Python int (not a bool)
        single = True
        items = (items,) * (length or 1)
    else:
        if hasattr(items, "data") and isinstance(items.data, np.ndarray):   # a Tensor
            items = items.data
        if isinstance(items, np.ndarray) and items.ndim == 1 and items.dtype.kind in "iu":
            items = items.tolist()
        single = is_int(items)
        if single:
            items = (items,) * (length or 1)
        elif not isinstance(items, (tuple, list)) or not all(is_int(v) for v in items):
            bad = next((v for v in items if not is_int(v)), items) \
                if isinstance(items, (tuple, list)) else items
            raise TypeError(f"{fname}: {arg} must be an int or a tuple of ints; got "
                            f"{value!r} (a {type(bad).__name__})")
        items = tuple(int(v) for v in items)
    if length is not None and len(items) != length:
        raise ValueError(f"{fname}: {arg} must be an int or a tuple of {length} "
                         f"int{'s' if length != 1 else ''}{per}; got {value!r} of length "
                         f"{len(items)}")
    if nonempty and not items:
        raise ValueError(f"{fname}: {arg} must not be empty")
    shown = items[0] if single else items
    if minimum is not None and items and min(items) < minimum and any(
            v < minimum and v != allow for v in items):
        if minimum == 0 and not single:
            raise ValueError(f"{fname}: {arg} must not contain negative values; got {shown}")
        raise ValueError(f"{fname}: {arg} must be {_bound(minimum)}; got {shown}")
    if maximum is not None and items and max(items) > maximum:
        raise ValueError(f"{fname}: {arg} is too large: got {shown}, at most {maximum}")
    return items


def shape_arg(shape, fname, arg="shape"):
    """A shape: an int or a sequence of non-negative ints, as a tuple."""
    return int_tuple(shape, fname, arg, minimum=0)


def shape_args(dims, fname, arg="shape"):
    """The shape of a varargs call: ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all
    mean ``(2, 3)`` (the original lucid's and PyTorch's habit); no sizes is ``()``."""
    if len(dims) == 1 and not is_int(dims[0]):
        return shape_arg(dims[0], fname, arg)
    if dims and not is_int(dims[0]):
        raise TypeError(f"{fname}: pass the {arg} as ints or as one tuple of ints, and "
                        f"the other arguments by name; got {dims!r}")
    return shape_arg(dims, fname, arg)


_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))   # dtype objects: fast `in`
_Tensor = None


def _tensor_class():
    """lucid's Tensor (imported on first use: lucid._tensor imports this module)."""
    global _Tensor
    from lucid._tensor import Tensor
    _Tensor = Tensor
    return Tensor


def float_tensor(x, fname, arg="input_", convert=False):
    """``x`` as a float32 / float64 Tensor. ``convert``: an array-like becomes a Tensor
    first (``lucid.linalg`` accepts arrays); otherwise a Tensor is required."""
    if not isinstance(x, _Tensor or _tensor_class()):
        if not convert:
            raise TypeError(f"{fname}: {arg} must be a Tensor; got {type(x).__name__}")
        try:
            x = _Tensor(x)
        except (TypeError, ValueError):
            raise TypeError(f"{fname}: {arg} must be a Tensor or an array of floats; got "
                            f"{type(x).__name__}") from None
    if x.data.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{fname}: {arg} must have a floating dtype (float32 or float64); "
                        f"got {x.dtype}")
    return x


def normalize_axis(axis, ndim, fname):
    """``axis`` (an int, a tuple of ints or None) as non-negative ints, range checked."""
    if type(axis) is int and -ndim <= axis < ndim:     # the common case, in one test
        return axis % ndim
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        out = tuple(normalize_axis(a, ndim, fname) for a in axis)
        if len(set(out)) != len(out):
            raise ValueError(f"{fname}: repeated axis in {tuple(axis)}")
        return out
    if not is_int(axis):
        raise TypeError(f"{fname}: axis must be an int or a tuple of ints; got {axis!r}")
    n = max(ndim, 1)
    if not -n <= axis < n:
        raise ValueError(f"{fname}: axis {axis} is out of range for a tensor with ndim "
                         f"{ndim} (valid: {-n} to {n - 1})")
    return int(axis) % n


def check_device(device, fname):
    """``device`` must be ``'cpu'`` (or None: the default); anything else is a
    :class:`lucid.error.UnknownDeviceError` (a ValueError) saying what is missing."""
    if device is None or device == "cpu":
        return "cpu"
    from lucid.error import UnknownDeviceError
    raise UnknownDeviceError(device, fname)


def device_or_dtype(target, fname):
    """What ``to(target)`` asks for: a dtype (returned as a NumPy dtype), or a device
    (returned as None after :func:`check_device`). A string names a dtype when NumPy
    knows it (``'float64'``), else a device; a Tensor stands for its dtype."""
    from lucid import _dtypes
    from lucid._tensor import Tensor
    target = target.dtype if isinstance(target, Tensor) else target
    if isinstance(target, str):
        try:
            return _dtypes.resolve_dtype(target, fname)
        except TypeError:
            check_device(target, fname)
            return None
    return _dtypes.resolve_dtype(target, fname)


def renamed(**aliases):
    """Decorator: also accept other spellings of some keyword arguments.

    ``@renamed(dim="axis", keepdim="keepdims")`` lets callers write PyTorch's
    ``dim=`` / ``keepdim=`` where the function's own (the original lucid's) names are
    ``axis`` / ``keepdims`` (or the original's names where lucid's own differ). This is
    the one place the rule lives: the alias is passed
    on under the function's own name, and giving both spellings of one argument is a
    TypeError naming them. The aliases show in ``inspect.signature`` as keyword-only
    arguments (default None: not given).

    A call without keyword arguments goes straight through (no extra work).
    """
    def decorate(fn):
        import functools
        import inspect

        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        fname = fn.__qualname__.replace(".__init__", "")
        positions = {p.name: i for i, p in enumerate(params)
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)}
        for alias, own in aliases.items():
            if own not in sig.parameters:
                raise AssertionError(f"renamed: {fn.__qualname__} has no argument {own!r}")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if kwargs:
                for alias, own in aliases.items():
                    if alias in kwargs:
                        if own in kwargs or positions.get(own, len(args)) < len(args):
                            raise TypeError(f"{fname}: got both {own}= and {alias}= (two "
                                            f"names of one argument); pass one of them")
                        kwargs[own] = kwargs.pop(alias)
            return fn(*args, **kwargs)

        extra = [inspect.Parameter(alias, inspect.Parameter.KEYWORD_ONLY, default=None)
                 for alias in aliases]
        tail = [p for p in params if p.kind == p.VAR_KEYWORD]
        head = [p for p in params if p.kind != p.VAR_KEYWORD]
        wrapper.__signature__ = sig.replace(parameters=head + extra + tail)
        wrapper.aliases = dict(aliases)
        wrapper.__doc__ = _alias_doc(fn.__doc__, aliases)
        return wrapper
    return decorate


def _alias_doc(doc, aliases):
    """``doc`` with one entry for the alias names at the end of its Parameters section
    (unchanged when it has none)."""
    import inspect

    if not doc or "\nParameters\n----------\n" not in "\n" + inspect.cleandoc(doc):
        return doc
    doc = inspect.cleandoc(doc)
    owns = ", ".join(f"``{own}``" for own in aliases.values())
    entry = (f"{', '.join(aliases)} : optional\n    Other names of {owns} (PyTorch's or the "
             "original lucid's); give one spelling of an argument, not both.\n")
    start = doc.index("Parameters\n----------\n")
    ends = [doc.find(f"\n{title}\n", start) for title in
            ("Returns", "Yields", "Raises", "Attributes", "Notes", "See Also", "Examples")]
    end = min([e for e in ends if e != -1], default=len(doc))
    return doc[:end].rstrip("\n") + "\n" + entry + doc[end:]


# ------------------------------------------------------------------ calls seen before
_NOT_KEYED = object()
_PLAIN = (int, float, bool, str)
_PLAIN_KINDS = frozenset(_PLAIN)


def _key_of(value):
    """What a check reads of one argument: a Tensor's class, shape and dtype; a number,
    bool, string or None with its exact type (``True == 1 == 1.0``, but they are three
    keys); a tuple of those, item by item (a tuple of numbers, bools and strings in one
    step: its items' types, then its values). Anything else: ``_NOT_KEYED``."""
    kind = type(value)
    if kind in _PLAIN_KINDS or value is None:          # the commonest first
        return kind, value
    if kind is tuple:
        kinds = tuple(map(type, value))
        if _PLAIN_KINDS.issuperset(kinds):      # plain items (the usual stride, padding):
            return kind, value, kinds           # their types, then the values
        keys = tuple(map(_key_of, value))
        return _NOT_KEYED if _NOT_KEYED in keys else keys
    if isinstance(value, _Tensor or _tensor_class()):
        data = value.data
        return kind, data.shape, data.dtype
    return _NOT_KEYED


def remembered(check):
    """Decorator for a function that only checks its arguments and returns them in the
    form the ops take (a tuple: nobody changes it): a model makes the same calls every
    step, so a call whose arguments all have a key (:func:`_key_of`) equal to one that
    passed before returns what it returned then, without running the checks (their
    Python cost tens of calls, 5-15 us a layer at batch 1). A call that raised is never
    kept, so it raises again; a call with an argument of no key (a list, a NumPy
    number, an array) is checked every time. The calls are kept in ``check.seen`` (at
    most 512; then it starts again)."""
    seen = {}

    @functools.wraps(check)
    def checked(*args):
        key = tuple(map(_key_of, args))
        if _NOT_KEYED in key:
            return check(*args)
        found = seen.get(key, _NOT_KEYED)
        if found is _NOT_KEYED:
            found = check(*args)
            if len(seen) >= 512:
                seen.clear()
            seen[key] = found
        return found

    checked.seen = seen
    return checked


# Objects remembered_by_identity may keep: immutable, so the same object is the same value.
_KEPT = (tuple, int, bool, str, type(None))


_INTERNED = {}


def interned(sizes):
    """The first tuple equal to ``sizes`` (a tuple of ints an op computes: a weight's
    kernel size ``w.shape[2:]``, a backward's ``output_padding``) that this function was
    given, so that :func:`remembered_by_identity`, which compares geometry by identity,
    finds a tuple the op builds anew each call. Only for tuples of ints (equality would
    take ``2.0`` for ``2``); at most 256 are kept, then it starts again. Without it the
    convolutions' backward checks ran in full every call (~10 us each, 17 a step in the
    ResNet: ~4% of its batch-1 training step)."""
    kept = _INTERNED.get(sizes)
    if kept is None:
        if len(_INTERNED) >= 256:
            _INTERNED.clear()
        kept = _INTERNED[sizes] = sizes
    return kept


def remembered_by_identity(by_value):
    """Decorator for a check of sizes alone (no arrays or Tensors) that returns what
    its caller needs or raises, like :func:`remembered`, for the kernels' checks
    (:mod:`lucid._ext._checks`), whose arguments repeat as *the same objects*: a call
    made again with them returns what it returned then, without the checks (~5 us a
    call, most of a batch-1 pooling's Python time).

    The first ``by_value`` arguments (a function's name, arrays' shapes: a str and
    tuples of ints) are compared by value; the others (the geometry a caller passes:
    tuples, ints, bools, None) by *identity*, which tells ``2`` from ``2.0`` and
    ``True`` from ``1`` where equality does not, and costs one ``id`` per argument
    where :func:`_key_of` walks every tuple. A model passes the same tuples every step.
    A call is kept only when it passed and every argument compared by identity is
    immutable (a list may change before the next call); the kept arguments are held,
    so no other object can take their ``id`` meanwhile. At most 256 calls are kept;
    then it starts again."""
    def decorate(check):
        seen = {}

        @functools.wraps(check)
        def checked(*args):
            others = args[by_value:]
            key = args[:by_value] + tuple(map(id, others))
            kept = seen.get(key)
            if kept is not None:
                return kept[0]
            found = check(*args)
            if all(type(a) in _KEPT for a in others):
                if len(seen) >= 256:
                    seen.clear()
                seen[key] = (found, others)
            return found

        checked.seen = seen
        return checked

    return decorate
