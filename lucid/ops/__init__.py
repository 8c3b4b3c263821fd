"""The primitive operations: one :class:`~lucid.autograd.Function` per op.

Each module defines its Functions (forward and hand-written backward on arrays) and
the public functions that validate arguments and call ``Function.apply``. The public
names listed in each module's ``__all__`` are re-exported here and by ``lucid``.
"""
from lucid.ops import (creation, cumulative, elementwise, gather_scatter, index, linalg, reduce,
                       shape, utility)
from lucid.ops.creation import *  # noqa: F401,F403
from lucid.ops.cumulative import *  # noqa: F401,F403
from lucid.ops.gather_scatter import *  # noqa: F401,F403
from lucid.ops.elementwise import *  # noqa: F401,F403
from lucid.ops.index import *  # noqa: F401,F403
from lucid.ops.linalg import *  # noqa: F401,F403
from lucid.ops.reduce import *  # noqa: F401,F403
from lucid.ops.shape import *  # noqa: F401,F403
from lucid.ops.utility import *  # noqa: F401,F403

__all__ = [
    *creation.__all__,
    *cumulative.__all__,
    *elementwise.__all__,
    *gather_scatter.__all__,
    *index.__all__,
    *linalg.__all__,
    *reduce.__all__,
    *shape.__all__,
    *utility.__all__,
]
