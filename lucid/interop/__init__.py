r"""A bridge to PyTorch: move a model from lucid to ``torch.nn`` and back.

:func:`to_torch` turns a lucid module into an equivalent ``torch.nn.Module``;
:func:`from_torch` does the reverse. *Equivalent* means: the same tree of modules
under the same names, the same parameters and buffers (values and dtypes copied,
shared ones still shared), each module in the same train / eval mode, each
parameter with the same ``requires_grad``, so the outputs and the gradients are the
same on both sides (up to floating-point rounding).

What moves
----------
* **Standard layers**, one to one: ``nn.Linear`` becomes ``torch.nn.Linear``,
  ``nn.Conv2d`` ``torch.nn.Conv2d``, ``nn.MultiHeadAttention``
  ``torch.nn.MultiheadAttention``, ``nn.Swish`` ``torch.nn.SiLU``, ... (every layer of
  :mod:`lucid.nn` that ``torch.nn`` has), built from the same constructor arguments.
* **Containers** (``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``,
  ``ParameterDict``), with their members moved under the same keys.
* **lucid-only layers and the model families** (``ConvBNReLU2d``, ``SEModule``,
  ``DropPath``, ``Rearrange``, ..., and ``lucid.models``' LeNet-5, AlexNet, VGG,
  ResNet, MobileNetV2, ViT and Transformer classes, and the demo's ``DigitsCNN``):
  ``torch.nn`` has no such class, so ``to_torch`` makes a *twin*, a
  ``torch.nn.Module`` class of the same name whose ``forward`` is the lucid
  ``forward`` written with torch operations. ``from_torch`` turns a twin back into
  the lucid class.

A module without a counterpart (one you wrote yourself, whose ``forward`` is lucid
code) is a ``ValueError`` naming it and where it sits in the model. For your own
model, write the class once with ``torch.nn`` under the same attribute names and
load the weights: lucid's state-dict names are PyTorch's, so
``lucid.save(model.state_dict(), "model.safetensors")`` and
``safetensors.torch.load_file`` carry them over.

PyTorch is optional: lucid imports it only when these functions are called.
"""
from lucid.nn.module import Module
from lucid.interop._convert import Mover

__all__ = ["to_torch", "from_torch"]


def _require_torch(fname):
    try:
        import torch
    except ImportError:
        raise ImportError(f"lucid.interop.{fname} needs PyTorch, which is not installed: "
                          "pip install torch") from None
    return torch


def to_torch(module):
    r"""An equivalent ``torch.nn.Module`` of a lucid module.

    Standard layers become their ``torch.nn`` counterparts, containers stay
    containers, lucid-only layers and the ``lucid.models`` families become twins (see
    :mod:`lucid.interop`). Parameters and buffers are copied (the two modules share no
    memory), with their dtypes; tied parameters stay tied; every module keeps its
    training mode.

    .. math:: f^{\mathrm{torch}}_{\theta}(x) = f^{\mathrm{lucid}}_{\theta}(x), \qquad
              \nabla_\theta f^{\mathrm{torch}} = \nabla_\theta f^{\mathrm{lucid}}

    Backward: the moved module is PyTorch's; its gradients are torch's autograd
    through the same operations.

    Parameters
    ----------
    module : lucid.nn.Module

    Returns
    -------
    torch.nn.Module
        On the CPU; ``.to("cuda")`` moves it on.

    Raises
    ------
    ImportError
        PyTorch is not installed.
    TypeError
        ``module`` is not a lucid Module.
    ValueError
        A module in the tree has no counterpart (the message names it and its path),
        or uses an option its counterpart lacks.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> import lucid
    >>> from lucid import nn
    >>> from lucid.interop import to_torch
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
    ...                       nn.Linear(64, 2)).eval()
    >>> twin = to_torch(model)
    >>> twin
    Sequential(
      (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
      (1): ReLU()
      (2): Flatten(start_dim=1, end_dim=-1)
      (3): Linear(in_features=64, out_features=2, bias=True)
    )
    >>> twin.training, twin[0].weight.dtype
    (False, torch.float32)
    >>> x = np.ones((1, 1, 4, 4), np.float32)
    >>> y = twin(torch.from_numpy(x)).detach().numpy()
    >>> bool(np.allclose(y, model(lucid.Tensor(x)).data, atol=1e-6))
    True
    """
    torch = _require_torch("to_torch")
    if not isinstance(module, Module):
        raise TypeError(f"lucid.interop.to_torch: module must be a lucid.nn.Module; got "
                        f"{type(module).__name__}")
    return Mover(torch, to_torch=True).module(module)


def from_torch(module):
    r"""An equivalent lucid module of a ``torch.nn.Module``.

    The reverse of :func:`to_torch`: ``torch.nn`` layers that lucid has become lucid
    layers, containers stay containers, twins made by :func:`to_torch` become their
    lucid class again. Values are copied to the CPU with their dtypes; every module
    keeps its training mode.

    .. math:: f^{\mathrm{lucid}}_{\theta}(x) = f^{\mathrm{torch}}_{\theta}(x)

    Backward: lucid's, through the hand-written backward of each operation.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    lucid.nn.Module

    Raises
    ------
    ImportError
        PyTorch is not installed.
    TypeError
        ``module`` is not a ``torch.nn.Module``.
    ValueError
        A module in the tree has no lucid counterpart (the message names it and its
        path), or uses an option lucid lacks (such as ``padding_mode='reflect'``).

    Examples
    --------
    >>> import torch
    >>> from lucid.interop import from_torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.SiLU()).double()
    >>> model = from_torch(net)
    >>> model
    Sequential(
      (0): Linear(in_features=3, out_features=2, bias=True)
      (1): SiLU()
    )
    >>> model[0].weight.dtype
    dtype('float64')
    """
    torch = _require_torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"lucid.interop.from_torch: module must be a torch.nn.Module; got "
                        f"{type(module).__name__}")
    return Mover(torch, to_torch=False).module(module)
