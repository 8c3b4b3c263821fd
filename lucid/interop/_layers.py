"""The standard layers: each lucid layer, its ``torch.nn`` counterpart, and how the
constructor arguments of one are read from the other.

A layer is moved by building its counterpart with the same constructor arguments,
then copying every parameter and buffer by name (lucid's state-dict names are
PyTorch's). Each entry of :data:`LAYERS` lists the arguments as :class:`Arg` s:
the argument's name on each side and how to read its value from a module of either
side (an attribute path, the same on both sides unless written ``lucid|torch``).

Options that one side has and the other lacks are listed in :data:`TORCH_ONLY`
(a torch layer using them cannot move to lucid) and checked in :func:`lucid_only`.
"""
import operator

__all__ = ["Arg", "LAYERS", "TORCH_ONLY", "lucid_only", "activation_name"]


class Arg:
    """One constructor argument: ``lucid`` and ``torch`` keyword names, and a getter
    per side (``get_lucid(module)`` / ``get_torch(module)``)."""

    def __init__(self, spec, get=None):
        names, _, path = spec.partition("=")
        lucid_name, _, torch_name = names.partition("|")
        self.lucid = lucid_name
        self.torch = torch_name or lucid_name
        if get is not None:
            self.get_lucid = self.get_torch = get
        elif path:
            self.get_lucid = self.get_torch = operator.attrgetter(path)
        else:
            self.get_lucid = operator.attrgetter(self.lucid)
            self.get_torch = operator.attrgetter(self.torch)


def _present(name):
    """Whether the module has the parameter ``name`` (``bias=False`` layers have None)."""
    return lambda m: getattr(m, name) is not None


def _args(*specs):
    return [spec if isinstance(spec, Arg) else Arg(spec) for spec in specs]


_BIAS = Arg("bias", _present("bias"))
_CONV = _args("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
              "groups", _BIAS)
_CONV_T = _args("in_channels", "out_channels", "kernel_size", "stride", "padding",
                "output_padding", "groups", _BIAS, "dilation")
_NORM = _args("num_features", "eps", "momentum", "affine", "track_running_stats")
_DROPOUT = _args("p", "inplace")
_MAX_POOL = _args("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode")
_AVG_POOL = _args("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")
_RECURRENT = _args("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                   "bidirectional")
_LAYER = [Arg("d_model=self_attn.embed_dim"), Arg("nhead=self_attn.num_heads"),
          Arg("dim_feedforward=linear1.out_features"), Arg("dropout=dropout.p"),
          Arg("layer_norm_eps=norm1.eps"), Arg("batch_first=self_attn.batch_first"),
          Arg("norm_first"), Arg("bias", lambda m: m.linear1.bias is not None)]

#: lucid class name -> (torch class name, constructor arguments)
LAYERS = {
    "Identity": ("Identity", []),
    "Linear": ("Linear", _args("in_features", "out_features", _BIAS)),
    "Bilinear": ("Bilinear", _args("in1_features", "in2_features", "out_features", _BIAS)),
    **{f"Conv{d}d": (f"Conv{d}d", _CONV) for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": (f"ConvTranspose{d}d", _CONV_T) for d in (1, 2, 3)},
    "Unfold": ("Unfold", _args("kernel_size", "dilation", "padding", "stride")),
    "ReLU": ("ReLU", _args("inplace")),
    "ReLU6": ("ReLU6", _args("inplace")),
    "LeakyReLU": ("LeakyReLU", _args("negative_slope", "inplace")),
    "ELU": ("ELU", _args("alpha", "inplace")),
    "SELU": ("SELU", _args("inplace")),
    "GELU": ("GELU", _args("approximate")),
    "Sigmoid": ("Sigmoid", []),
    "HardSigmoid": ("Hardsigmoid", _args("inplace")),
    "Tanh": ("Tanh", []),
    "Softmax": ("Softmax", _args("axis|dim")),
    "LogSoftmax": ("LogSoftmax", _args("axis|dim")),
    "SiLU": ("SiLU", _args("inplace")),      # before Swish: torch's SiLU comes back as SiLU
    "Swish": ("SiLU", _args("inplace")),
    "HardSwish": ("Hardswish", _args("inplace")),
    **{f"BatchNorm{d}d": (f"BatchNorm{d}d", _NORM) for d in (1, 2, 3)},
    **{f"InstanceNorm{d}d": (f"InstanceNorm{d}d", _NORM) for d in (1, 2, 3)},
    "LayerNorm": ("LayerNorm", _args("normalized_shape", "eps", "elementwise_affine",
                                     Arg("bias", lambda m: m.bias is not None
                                         or not m.elementwise_affine))),
    "GroupNorm": ("GroupNorm", _args("num_groups", "num_channels", "eps", "affine")),
    "Dropout": ("Dropout", _DROPOUT),
    **{f"Dropout{d}d": (f"Dropout{d}d", _DROPOUT) for d in (1, 2, 3)},
    "AlphaDropout": ("AlphaDropout", _DROPOUT),
    "Flatten": ("Flatten", _args("start_axis|start_dim", "end_axis|end_dim")),
    "MSELoss": ("MSELoss", _args("reduction")),
    "BCELoss": ("BCELoss", _args("reduction")),
    "NLLLoss": ("NLLLoss", _args("ignore_index", "reduction")),
    "CrossEntropyLoss": ("CrossEntropyLoss", _args("ignore_index", "reduction",
                                                   "label_smoothing")),
    "HuberLoss": ("HuberLoss", _args("reduction", "delta")),
    "L1Loss": ("L1Loss", _args("reduction")),
    "SmoothL1Loss": ("SmoothL1Loss", _args("reduction", "beta")),
    "BCEWithLogitsLoss": ("BCEWithLogitsLoss", _args("reduction")),
    "KLDivLoss": ("KLDivLoss", _args("reduction", "log_target")),
    **{f"MaxPool{d}d": (f"MaxPool{d}d", _MAX_POOL) for d in (1, 2, 3)},
    "AvgPool1d": ("AvgPool1d", _AVG_POOL),
    **{f"AvgPool{d}d": (f"AvgPool{d}d", _AVG_POOL + _args("divisor_override")) for d in (2, 3)},
    **{f"AdaptiveAvgPool{d}d": (f"AdaptiveAvgPool{d}d", _args("output_size"))
       for d in (1, 2, 3)},
    "Embedding": ("Embedding", _args("num_embeddings", "embedding_dim", "padding_idx",
                                     "max_norm", "norm_type")),
    "Upsample": ("Upsample", _args("size", "scale_factor", "mode", "align_corners",
                                   "recompute_scale_factor")),
    "MultiheadAttention": ("MultiheadAttention", _args(
        "embed_dim", "num_heads", "dropout", Arg("bias", _present("in_proj_bias")),
        Arg("add_bias_kv", _present("bias_k")), "add_zero_attn", "kdim", "vdim",
        "batch_first")),
    "RNN": ("RNN", _RECURRENT + _args("nonlinearity")),
    "LSTM": ("LSTM", _RECURRENT + _args("proj_size")),
    "GRU": ("GRU", _RECURRENT),
    "RNNCell": ("RNNCell", _args("input_size", "hidden_size", "bias", "nonlinearity")),
    "LSTMCell": ("LSTMCell", _args("input_size", "hidden_size", "bias")),
    "GRUCell": ("GRUCell", _args("input_size", "hidden_size", "bias")),
    "TransformerEncoderLayer": ("TransformerEncoderLayer", _LAYER),
    "TransformerDecoderLayer": ("TransformerDecoderLayer", _LAYER),
    "TransformerEncoder": ("TransformerEncoder", _args(
        Arg("encoder_layer=layers.0"), Arg("num_layers", lambda m: len(m.layers)),
        "norm")),
    "TransformerDecoder": ("TransformerDecoder", _args(
        Arg("decoder_layer=layers.0"), Arg("num_layers", lambda m: len(m.layers)),
        "norm")),
    "Transformer": ("Transformer", _args("d_model", "nhead", "batch_first",
                                         Arg("custom_encoder=encoder"),
                                         Arg("custom_decoder=decoder"))),
}

#: Arguments a module's constructor receives as converted sub-modules (not values).
MODULE_ARGS = {"encoder_layer", "decoder_layer", "norm", "custom_encoder", "custom_decoder"}

#: Arguments whose value is the layer's activation (a name, or a sub-module).
ACTIVATION_LAYERS = {"TransformerEncoderLayer", "TransformerDecoderLayer"}

#: torch class name -> {attribute: the value lucid supports}
TORCH_ONLY = {
    **{f"Conv{d}d": {"padding_mode": "zeros"} for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": {"padding_mode": "zeros"} for d in (1, 2, 3)},
    "Embedding": {"scale_grad_by_freq": False, "sparse": False},
}


def lucid_only(module):
    """The options of a lucid module that its torch counterpart lacks: a list of
    ``'name=value'`` strings (empty when it moves as it is)."""
    name = type(module).__name__
    found = []
    if (name.startswith(("BatchNorm", "InstanceNorm", "GroupNorm")) and module.affine
            and module.bias is None):
        found.append("bias=False")
    return found


def activation_name(activation, functions):
    """'relu' / 'gelu' for the functions of ``functions`` ({'relu': fn, 'gelu': fn})."""
    for name, fn in functions.items():
        if activation is fn:
            return name
    return None
