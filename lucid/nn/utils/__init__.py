"""Utilities for layers: ``lucid.nn.utils.rnn`` (padding and packing sequences), gradient
clipping and the parameters as one vector."""
from lucid.nn.utils import rnn
from lucid.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from lucid.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["rnn", "clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]
