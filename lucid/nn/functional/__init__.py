"""Functions of neural-network layers, with ``input_`` first (``lucid.nn.functional``).

Each validates its arguments, then calls an autograd Function of :mod:`lucid.ops`.
(The submodules are imported under private aliases because ``linear``, ``dropout`` and
``embedding`` are also the names of functions exported here.)
"""
from lucid.nn.functional import conv
from lucid.nn.functional.conv import *  # noqa: F401,F403
from lucid.nn.functional import (activation as _activation, dropout as _dropout,
                                 embedding as _embedding, linear as _linear, loss as _loss,
                                 norm as _norm)
from lucid.nn.functional.activation import *  # noqa: F401,F403
from lucid.nn.functional.linear import *  # noqa: F401,F403
from lucid.nn.functional.loss import *  # noqa: F401,F403
from lucid.nn.functional.norm import *  # noqa: F401,F403
from lucid.nn.functional.dropout import *  # noqa: F401,F403
from lucid.nn.functional.embedding import *  # noqa: F401,F403
from lucid.nn.functional import interpolate as _interpolate
from lucid.nn.functional import pool
from lucid.nn.functional import vision as _vision
from lucid.nn.functional.vision import *  # noqa: F401,F403
from lucid.nn.functional import attention as _attention
from lucid.nn.functional.attention import *  # noqa: F401,F403
from lucid.nn.functional.pool import *  # noqa: F401,F403
from lucid.nn.functional.interpolate import *  # noqa: F401,F403
from lucid.nn.functional import distance as _distance
from lucid.nn.functional.distance import *  # noqa: F401,F403
from lucid.nn.functional import padding as _padding
from lucid.nn.functional.padding import *  # noqa: F401,F403
from lucid.nn.functional import pixelshuffle as _pixelshuffle
from lucid.nn.functional.pixelshuffle import *  # noqa: F401,F403

__all__ = [*conv.__all__, *_activation.__all__, *_linear.__all__, *_loss.__all__,
           *_norm.__all__, *_dropout.__all__, *_embedding.__all__, *_interpolate.__all__,
           *pool.__all__, *_vision.__all__, *_attention.__all__, *_distance.__all__,
           *_padding.__all__, *_pixelshuffle.__all__]
