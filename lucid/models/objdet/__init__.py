"""Object detection: R-CNN, its region proposals (selective search) and the box
utilities it is built of (IoU, non-maximum suppression, box deltas, clipping).

Every name here is also a name of :mod:`lucid.models` (``lucid.models.RCNN``,
``lucid.models.nms``...), as in the original lucid.
"""
from lucid.models.objdet.boxes import *  # noqa: F401,F403
from lucid.models.objdet.boxes import __all__ as _boxes
from lucid.models.objdet.rcnn import *  # noqa: F401,F403
from lucid.models.objdet.rcnn import __all__ as _rcnn
from lucid.models.objdet.selective_search import *  # noqa: F401,F403
from lucid.models.objdet.selective_search import __all__ as _selective_search

__all__ = [*_rcnn, *_selective_search, *_boxes]
