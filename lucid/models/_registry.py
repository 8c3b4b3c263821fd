"""The model registry: a name -> builder table behind :func:`create_model`.

A *builder* is a function that returns a new :class:`~lucid.nn.Module`, such as
``resnet18(num_classes=1000)``. Decorating it with :func:`register_model` files it under
a lowercase name; :func:`get_model_names` lists the names and :func:`create_model`
calls the builder by name. Every model family of :mod:`lucid.models` registers its
builders when its module is imported.
"""
import difflib
import re

from lucid._checks import renamed

# `get_model` is a second name of `create_model` (an attribute, not listed: one docs page)
__all__ = ["register_model", "get_model_names", "create_model"]

_MODELS = {}                                   # name -> builder, in registration order
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _origin(fn):
    """Where a builder is defined: ``module.qualname`` (used to allow re-imports)."""
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


@renamed(func="fn")
def register_model(fn=None, *, name=None):
    r"""Register a model builder under a lowercase name (a decorator).

    .. math:: \text{registry}[\texttt{name}] \leftarrow \texttt{fn}

    The name defaults to the function's ``__name__``. A name may be registered once:
    registering another builder under a taken name is an error (re-running the same
    definition, as a module reload does, is allowed).

    Backward: none (bookkeeping only).

    Parameters
    ----------
    fn : callable, optional
        The builder, ``fn(**kwargs) -> Module`` (the original lucid's ``func=``).
        Omitted when the decorator is called with arguments:
        ``@register_model(name="my_net")``.
    name : str, optional
        Lowercase letters, digits and underscores, starting with a letter.

    Returns
    -------
    callable
        ``fn`` itself (unchanged), or a decorator when ``fn`` is omitted.

    Raises
    ------
    TypeError
        ``fn`` is not callable or ``name`` is not a str.
    ValueError
        ``name`` is not lowercase ``[a-z][a-z0-9_]*``, or already names another builder.

    Examples
    --------
    >>> from lucid import models, nn
    >>> @models.register_model(name="tiny_mlp_example")
    ... def tiny_mlp(num_classes=3):
    ...     return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, num_classes))
    >>> "tiny_mlp_example" in models.get_model_names()
    True
    >>> models.create_model("tiny_mlp_example", num_classes=5).count_parameters()
    85
    """
    if fn is None:
        return lambda f: register_model(f, name=name)
    if not callable(fn):
        raise TypeError(f"register_model: the model builder must be callable; got "
                        f"{type(fn).__name__}")
    if name is None:
        name = getattr(fn, "__name__", None)
    if not isinstance(name, str):
        raise TypeError(f"register_model: name must be a str; got {type(name).__name__}")
    if not _NAME.match(name):
        raise ValueError(f"register_model: name must be lowercase letters, digits and "
                         f"underscores, starting with a letter; got {name!r}")
    if name in _MODELS and _origin(_MODELS[name]) != _origin(fn):
        raise ValueError(f"register_model: the name {name!r} is already registered (by "
                         f"{_origin(_MODELS[name])}); choose another name for {_origin(fn)}")
    _MODELS[name] = fn
    return fn


def get_model_names(pattern=None):
    """The registered model names, sorted; optionally only those containing ``pattern``.

    Backward: none.

    Parameters
    ----------
    pattern : str, optional
        A substring the names must contain (e.g. ``"resnet"``).

    Returns
    -------
    list of str

    Raises
    ------
    TypeError
        ``pattern`` is not a str.

    Examples
    --------
    >>> from lucid import models
    >>> models.get_model_names("resnet")
    ['resnet18', 'resnet34']
    """
    if pattern is not None and not isinstance(pattern, str):
        raise TypeError(f"get_model_names: pattern must be a str; got {type(pattern).__name__}")
    return sorted(n for n in _MODELS if pattern is None or pattern in n)


def create_model(name, **kwargs):
    """Build the registered model ``name``: ``registry[name](**kwargs)``.

    Backward: none of its own (the returned Module is differentiable).

    Parameters
    ----------
    name : str
        A name from :func:`get_model_names`.
    **kwargs
        Passed to the builder (e.g. ``num_classes=10``).

    Returns
    -------
    Module
        A new model with freshly initialised parameters.

    Raises
    ------
    TypeError
        ``name`` is not a str.
    ValueError
        ``name`` is not registered; the message lists the registered names.

    Examples
    --------
    >>> from lucid import models
    >>> net = models.create_model("lenet_5", num_classes=10)
    >>> type(net).__name__, net.count_parameters()
    ('LeNet5', 61706)
    """
    if not isinstance(name, str):
        raise TypeError(f"create_model: name must be a str; got {type(name).__name__}")
    if name not in _MODELS:
        close = difflib.get_close_matches(name, list(_MODELS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"create_model: unknown model name {name!r}{hint}; the registered "
                         f"models are: {', '.join(get_model_names())}")
    return _MODELS[name](**kwargs)


get_model = create_model
