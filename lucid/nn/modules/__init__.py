"""Layers: thin :class:`~lucid.nn.Module` classes over :mod:`lucid.nn.functional`."""
from lucid.nn.modules import (activation, conv, dropout, linear, loss, norm, pooling, sparse,
                              upsample)
from lucid.nn.modules.activation import *  # noqa: F401,F403
from lucid.nn.modules.conv import *  # noqa: F401,F403
from lucid.nn.modules.dropout import *  # noqa: F401,F403
from lucid.nn.modules.linear import *  # noqa: F401,F403
from lucid.nn.modules.loss import *  # noqa: F401,F403
from lucid.nn.modules.norm import *  # noqa: F401,F403
from lucid.nn.modules.pooling import *  # noqa: F401,F403
from lucid.nn.modules.sparse import *  # noqa: F401,F403
from lucid.nn.modules.upsample import *  # noqa: F401,F403
from lucid.nn.modules import attention as _attention
from lucid.nn.modules.attention import *  # noqa: F401,F403
from lucid.nn.modules import transformer as _transformer
from lucid.nn.modules.transformer import *  # noqa: F401,F403
from lucid.nn.modules import fused as _fused
from lucid.nn.modules.fused import *  # noqa: F401,F403
from lucid.nn.modules import einops as _einops
from lucid.nn.modules.einops import *  # noqa: F401,F403
from lucid.nn.modules import flatten as _flatten
from lucid.nn.modules.flatten import *  # noqa: F401,F403
from lucid.nn.modules import rnn as _rnn
from lucid.nn.modules.rnn import *  # noqa: F401,F403
from lucid.nn.modules import mbconv as _mbconv
from lucid.nn.modules.mbconv import *  # noqa: F401,F403
from lucid.nn.modules import split_attention as _split_attention
from lucid.nn.modules.split_attention import *  # noqa: F401,F403
from lucid.nn.modules import layer_scale as _layer_scale
from lucid.nn.modules.layer_scale import *  # noqa: F401,F403
from lucid.nn.modules import layer_norm2d as _layer_norm2d
from lucid.nn.modules.layer_norm2d import *  # noqa: F401,F403
from lucid.nn.modules import window_attention as _window_attention
from lucid.nn.modules.window_attention import *  # noqa: F401,F403
from lucid.nn.modules import grid_attention as _grid_attention
from lucid.nn.modules.grid_attention import *  # noqa: F401,F403
from lucid.nn.modules import spatial_reduction_attention as _spatial_reduction_attention
from lucid.nn.modules.spatial_reduction_attention import *  # noqa: F401,F403
from lucid.nn.modules import conv_token_embedding as _conv_token_embedding
from lucid.nn.modules.conv_token_embedding import *  # noqa: F401,F403
from lucid.nn.modules import conv_projection_attention as _conv_projection_attention
from lucid.nn.modules.conv_projection_attention import *  # noqa: F401,F403
from lucid.nn.modules import cross_branch_attention as _cross_branch_attention
from lucid.nn.modules.cross_branch_attention import *  # noqa: F401,F403
from lucid.nn.modules import distance as _distance
from lucid.nn.modules.distance import *  # noqa: F401,F403
from lucid.nn.modules import pixelshuffle as _pixelshuffle
from lucid.nn.modules.pixelshuffle import *  # noqa: F401,F403
from lucid.nn.modules import relative_attention as _relative_attention
from lucid.nn.modules.relative_attention import *  # noqa: F401,F403

__all__ = [*conv.__all__, *linear.__all__, *activation.__all__, *norm.__all__,
           *dropout.__all__, *loss.__all__, *pooling.__all__, *sparse.__all__,
           *upsample.__all__, *_attention.__all__, *_transformer.__all__, *_fused.__all__,
           *_einops.__all__, *_flatten.__all__, *_rnn.__all__, *_mbconv.__all__,
           *_split_attention.__all__, *_layer_scale.__all__, *_layer_norm2d.__all__,
           *_window_attention.__all__, *_spatial_reduction_attention.__all__,
           *_conv_token_embedding.__all__, *_conv_projection_attention.__all__,
           *_cross_branch_attention.__all__, *_grid_attention.__all__,
           *_relative_attention.__all__, *_distance.__all__, *_pixelshuffle.__all__]
