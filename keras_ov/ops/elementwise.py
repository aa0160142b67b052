"""Element-wise ops: one table row each (see ``skeletons.unary``/``binary``)."""

from keras_ov.ops.graph import ov_ops
from keras_ov.ops.skeletons import binary, unary

# -- arithmetic ---------------------------------------------------------------
binary("add", ov_ops.add)
binary("subtract", ov_ops.subtract)
binary("multiply", ov_ops.multiply)

# -- transcendental -------------------------------------------------------------
unary("sin", ov_ops.sin, rule="inexact")
