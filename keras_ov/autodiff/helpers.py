"""Graph pieces that gradient rules share: broadcasting back, scalar constants."""

from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops


def like(value, x):
    """A scalar Constant of ``x``'s element type."""
    return g.const(value, g.dtype(x))


def convert_to(x, element_type):
    """``x`` as ``element_type`` (no node if it already is: a Convert to a 64-bit
    type would send the whole graph to the reference kernels)."""
    if x.get_element_type() == element_type:
        return x
    return g.out(ov_ops.convert(x, element_type))


def mul(a, b):
    return g.out(ov_ops.multiply(a, b))


def add(a, b):
    return g.out(ov_ops.add(a, b))


def sub(a, b):
    return g.out(ov_ops.subtract(a, b))


def div(a, b):
    return g.out(ov_ops.divide(a, b))


def neg(a):
    return g.out(ov_ops.negative(a))


def reduce_sum(x, axes, keepdims):
    if not axes:
        return x
    return g.out(ov_ops.reduce_sum(x, g.i64(list(axes)), keepdims))


def unbroadcast(ct, x):
    """``ct`` (of the broadcast result's shape) summed down to ``x``'s shape.

    Leading axes that broadcasting added are summed away; axes where ``x`` has
    a static 1 and ``ct`` does not are summed with keepdims.  A dynamic dim of
    ``x`` is taken to match ``ct``'s (OpenVINO's numpy broadcasting of two
    dynamic dims requires them equal unless one is 1 at run time, which
    traced Keras graphs do not produce).
    """
    ct_shape, x_shape = g.static_shape(ct), g.static_shape(x)
    lead = len(ct_shape) - len(x_shape)
    ct = reduce_sum(ct, range(lead), False)
    ct_shape = ct_shape[lead:]
    axes = [i for i, (c, d) in enumerate(zip(ct_shape, x_shape)) if d == 1 and c != 1]
    ct = reduce_sum(ct, axes, True)
    if None in g.static_shape(ct) and g.static_shape(ct) != x_shape and None not in x_shape:
        ct = g.reshape(ct, x_shape)
    return ct


def broadcast_back(ct, x, axes, keep_dims):
    """A reduction's cotangent ``ct`` broadcast back over the reduced ``axes`` of ``x``."""
    if not keep_dims:
        ct = g.unsqueeze_axes(ct, axes)
    return g.out(ov_ops.broadcast(ct, g.shape_of(x)))


def const_axes(node, index, rank):
    """A Constant axes input as normalized Python ints (None if not constant)."""
    src = node.input_value(index).get_node()
    if src.get_type_name() != "Constant":
        return None
    values = [int(a) for a in src.get_vector()]
    return sorted(a % rank if rank else 0 for a in values)
