r"""Export a lucid model to ONNX, the exchange format that deployment engines read.

:func:`export` runs the model on an example input, records every operation it runs
(through :func:`lucid.autograd.observe.observe`), and writes them as an ONNX graph
with the weights inside. The file opens in ONNX Runtime, in TensorRT, OpenVINO, a
browser or a phone, none of which needs lucid or Python.

``onnx`` and ``onnxruntime`` are optional: ``pip install "lucid[onnx]"``. lucid does
not import them until :func:`export` is called.

How a graph is recorded
-----------------------
A model is *traced*, as ``torch.onnx.export`` traces: the graph holds the operations
that ran on the example, with Python's ``if`` and ``for`` already decided. To keep a
traced file honest, :func:`export` runs the model a second time, on the example's
values in another order and with another size along every axis named in
``dynamic_axes``, and compares the two runs:

* an axis whose size differs between the runs is dynamic in the graph (a reshape
  to ``(batch, -1)`` reads the batch size at run time);
* a value the model computed *without* a recorded lucid operation (with NumPy,
  ``.data``, ``.item()``, a comparison) changes between the runs, so it cannot be a
  constant of the file: the export stops with a ``ValueError`` naming the operation
  that used it and the module that ran it;
* a forward that branches on the input's values runs other operations the second
  time, which is reported the same way.

Parameters and buffers become the graph's initializers under their ``state_dict``
names; an operation on constants only (slicing a projection matrix, say) is folded
into a constant. Dropout and batch norm run as in evaluation mode (the model is put
in ``eval()`` for the export and back in its own mode afterwards).

When ONNX Runtime is installed, the exported graph is also *run* on both inputs
before the file is written, and each output is compared with lucid's; a difference
larger than rounding is an error and no file is written.

The operations it knows: :func:`supported_operations`. They cover the layers of the
homework models: ``Linear``, the convolutions and transposed convolutions in 1, 2
and 3 dimensions, max / average / adaptive-average pooling, batch, layer and
instance normalisation (evaluation mode), the activations, ``Dropout``, ``Flatten``,
reshaping, transposing, joining and indexing, ``Embedding``, attention and the
Transformer layers, and the einops patterns.
"""
from lucid.onnx._export import export
from lucid.onnx._ops import supported_operations

__all__ = ["export", "supported_operations"]
