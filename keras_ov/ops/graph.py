"""Named graph helpers, so translators read as what they do.

All take and return ``openvino.Output`` values.  ``ov_ops`` is the opset that
every translator uses.
"""

import numpy as np
import openvino as ov
import openvino.opset15 as ov_ops

from keras_ov.engine import dtypes
from keras_ov.engine.tensor import constant

__all__ = ["ov_ops"]


def out(node):
    """The single output of a node (or the output itself)."""
    return node.output(0) if isinstance(node, ov.Node) else node


def const(value, dtype):
    """A Constant of a Keras dtype."""
    return constant(np.asarray(value, dtype=dtypes.to_numpy(dtype)), dtype)


def i64(values):
    """An int64 Constant, for shapes, axes and indices."""
    return constant(np.asarray(values, dtype=np.int64), "int64")


def i32(values):
    return constant(np.asarray(values, dtype=np.int32), "int32")


def dtype(x):
    """Keras dtype name of an output."""
    return dtypes.from_ov(x.get_element_type())


def rank(x):
    return x.get_partial_shape().rank.get_length()


def static_shape(x):
    """The shape as a tuple, ``None`` for dynamic dimensions."""
    return tuple(d.get_length() if d.is_static else None for d in x.get_partial_shape())


def is_static(x):
    return x.get_partial_shape().is_static


def shape_of(x, dtype="int64"):
    """The runtime shape as a 1-D tensor."""
    return out(ov_ops.shape_of(x, dtypes.to_ov(dtype)))


def dim(x, axis):
    """One runtime dimension as a 1-element int64 tensor."""
    return out(ov_ops.gather(shape_of(x), i64([axis]), i64(0)))


def cast(x, to):
    """Convert to a Keras dtype; no node if already of that type."""
    target = dtypes.to_ov(to)
    if x.get_element_type() == target:
        return x
    if to == "bool":
        return out(ov_ops.not_equal(x, const(0, dtype(x))))
    return out(ov_ops.convert(x, target))


def normalize_axis(axis, ndim, op):
    """An axis in ``[0, ndim)``; raises naming the op if out of range."""
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"`{op}`: axis must be an integer, got {axis!r}")
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"`{op}`: axis {axis} is out of bounds for a tensor of rank {ndim}")
    return int(axis) % max(ndim, 1)


def normalize_axes(axis, ndim, op):
    """``None`` -> all axes; int or sequence -> a sorted tuple of distinct axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    axes = tuple(normalize_axis(a, ndim, op) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"`{op}`: repeated axis in {axis!r}")
    return tuple(sorted(axes))


def reshape(x, shape):
    """Reshape to a static shape (``-1`` allowed once)."""
    return out(ov_ops.reshape(x, i64(list(shape)), special_zero=False))


def reshape_to(x, shape_tensor):
    return out(ov_ops.reshape(x, shape_tensor, special_zero=False))


def squeeze_axes(x, axes):
    if not axes:
        return x
    return out(ov_ops.squeeze(x, i64(list(axes))))


def unsqueeze_axes(x, axes):
    if not axes:
        return x
    return out(ov_ops.unsqueeze(x, i64(list(axes))))


def transpose(x, perm):
    if list(perm) == list(range(len(perm))):
        return x
    return out(ov_ops.transpose(x, i64(list(perm))))


def broadcast_to_shape(x, shape_tensor):
    return out(ov_ops.broadcast(x, shape_tensor))


def zeros_like(x):
    return out(ov_ops.broadcast(const(0, dtype(x)), shape_of(x)))


def select(cond, a, b):
    return out(ov_ops.select(cond, a, b))


def slice_axis(x, axis, start, stop, step=1):
    """``x[..., start:stop:step, ...]`` along one axis (negative bounds count from the end)."""
    return out(ov_ops.slice(x, i64([start]), i64([stop]), i64([step]), i64([axis])))
