"""Keras backend contract: `linalg` functions, exposed from the op registry."""

from keras_ov import ops as _ops  # noqa: F401  (fills the registry)
from keras_ov.ops.registry import namespace as _namespace

globals().update(_namespace("linalg"))
