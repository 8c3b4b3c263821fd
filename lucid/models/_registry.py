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
__all__ = ["register_model", "get_model_names", "create_model", "list_models", "list_families"]

_MODELS = {}                                   # name -> builder, in registration order
_FAMILY = {}                                   # canonical name -> family
_ALIASES = {}                                  # alias -> canonical name
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _origin(fn):
    """Where a builder is defined: ``module.qualname`` (used to allow re-imports)."""
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _family_of(fn):
    """``lucid.models.resnet.resnet_50`` -> ``'resnet'``; builders defined elsewhere: ``'user'``."""
    module = getattr(fn, "__module__", "") or ""
    parent, _, leaf = module.rpartition(".")
    return leaf if parent == "lucid.models" and not leaf.startswith("_") else "user"


@renamed(func="fn")
def register_model(fn=None, *, name=None, family=None, aliases=()):
    r"""Register a model builder under a lowercase name (a decorator).

    .. math:: \text{registry}[\texttt{name}] \leftarrow \texttt{fn}

    The name defaults to the function's ``__name__``. A name may be registered once:
    registering another builder under a taken name is an error (re-running the same
    definition, as a module reload does, is allowed). The builder is filed in a
    *family* (its module's name for lucid's own, e.g. ``'resnet'``; ``'user'`` for
    others) which :func:`list_models` lists; ``aliases`` are further names
    :func:`create_model` accepts (lucid's earlier names, such as ``resnet18`` for
    ``resnet_18``).

    Backward: none (bookkeeping only).

    Parameters
    ----------
    fn : callable, optional
        The builder, ``fn(**kwargs) -> Module`` (the original lucid's ``func=``).
        Omitted when the decorator is called with arguments:
        ``@register_model(name="my_net")``.
    name : str, optional
        Lowercase letters, digits and underscores, starting with a letter.
    family : str, optional
        The family :func:`list_models` files it under.
    aliases : sequence of str, optional
        Other names for the same builder (same rules as ``name``).

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
        return lambda f: register_model(f, name=name, family=family, aliases=aliases)
    if not callable(fn):
        raise TypeError(f"register_model: the model builder must be callable; got "
                        f"{type(fn).__name__}")
    if name is None:
        name = getattr(fn, "__name__", None)
    if not isinstance(name, str):
        raise TypeError(f"register_model: name must be a str; got {type(name).__name__}")
    if family is not None and not isinstance(family, str):
        raise TypeError(f"register_model: family must be a str; got {type(family).__name__}")
    if isinstance(aliases, str) or not all(isinstance(a, str) for a in aliases):
        raise TypeError(f"register_model: aliases must be a sequence of str; got {aliases!r}")
    for key in (name, *aliases):
        if not _NAME.match(key):
            raise ValueError(f"register_model: name must be lowercase letters, digits and "
                             f"underscores, starting with a letter; got {key!r}")
        if key in _MODELS and _origin(_MODELS[key]) != _origin(fn):
            raise ValueError(f"register_model: the name {key!r} is already registered (by "
                             f"{_origin(_MODELS[key])}); choose another name for {_origin(fn)}")
    _MODELS[name] = fn
    _FAMILY[name] = family or _family_of(fn)
    for alias in aliases:
        _MODELS[alias] = fn
        _ALIASES[alias] = name
    return fn


def list_families():
    """The model families, sorted: ``'alexnet'``, ``'convnext'``, ``'resnet'``...

    Backward: none.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from lucid import models
    >>> "convnext" in models.list_families()
    True
    """
    return sorted(set(_FAMILY.values()))


def list_models(family=None):
    """The model names of one family (or of all), in their family's order.

    Each builder is listed once, under its own name (the original lucid's, e.g.
    ``resnet_18``); aliases (lucid's earlier names such as ``resnet18``) are left out
    but :func:`create_model` still accepts them. Within a family the names keep the
    order they were registered in (small to large); all families together are
    sorted by family.

    Backward: none.

    Parameters
    ----------
    family : str, optional
        A name from :func:`list_families`; all models when omitted.

    Returns
    -------
    list of str

    Raises
    ------
    TypeError
        ``family`` is not a str.
    ValueError
        ``family`` is not a known family.

    Examples
    --------
    >>> from lucid import models
    >>> models.list_models("vgg")
    ['vggnet_11', 'vggnet_13', 'vggnet_16', 'vggnet_19']
    """
    if family is None:
        return [n for f in list_families() for n in list_models(f)]
    if not isinstance(family, str):
        raise TypeError(f"list_models: family must be a str; got {type(family).__name__}")
    if family not in _FAMILY.values():
        raise ValueError(f"list_models: unknown family {family!r}; the families are: "
                         f"{', '.join(list_families())}")
    return [n for n, f in _FAMILY.items() if f == family]


def get_model_names(pattern=None):
    """Every name :func:`create_model` accepts (aliases included), sorted; optionally only
    those containing ``pattern``. :func:`list_models` lists the models by family.

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
    >>> models.get_model_names("resnet3")                # resnet34: an earlier name
    ['resnet34']
    >>> models.get_model_names("dense")
    ['densenet_121', 'densenet_169', 'densenet_201', 'densenet_264']
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
