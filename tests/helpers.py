"""Helpers shared by the op tests.

``data`` and ``check`` stay in each test file: their value ranges and
tolerances are chosen per kind of op (wrapping integer arithmetic, linear
algebra, statistics, exact data movement).
"""

import openvino as ov

from keras_ov.engine import dtypes
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.registry import REGISTRY


def op(name, ns="numpy"):
    """The registered function Keras calls for ``<ns>.<name>``."""
    return REGISTRY[f"{ns}.{name}"]


def symbolic(shape, dtype="float32"):
    """A symbolic tensor (a Parameter) of ``shape``; ``None`` marks a dynamic dim."""
    dims = ov.PartialShape([-1 if d is None else d for d in shape])
    return OVTensor(output=ov_ops.parameter(dims, dtypes.to_ov(dtype)).output(0))
