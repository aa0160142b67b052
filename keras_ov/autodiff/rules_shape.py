"""Gradient rules of data movement: reshapes, transposes, broadcasts, slices, concat."""

import numpy as np

from keras_ov.autodiff.core import inputs, rule
from keras_ov.autodiff.helpers import unbroadcast
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops


@rule("Reshape", "Squeeze", "Unsqueeze")
def _(node, ct):
    x = node.input_value(0)
    return [g.reshape_to(ct[0], g.shape_of(x))] + [None] * (node.get_input_size() - 1)


@rule("Transpose")
def _(node, ct):
    perm_node = node.input_value(1).get_node()
    if perm_node.get_type_name() != "Constant":
        raise NotImplementedError("keras-ov: gradient of Transpose with a non-constant order")
    perm = [int(p) for p in perm_node.get_vector()]
    return [g.transpose(ct[0], list(np.argsort(perm))), None]


@rule("Broadcast")
def _(node, ct):
    x = node.input_value(0)
    mode = node.get_attributes().get("mode", "numpy")
    if mode not in ("numpy", "bidirectional"):
        raise NotImplementedError(f"keras-ov: gradient of Broadcast in {mode} mode")
    return [unbroadcast(ct[0], x)] + [None] * (node.get_input_size() - 1)


@rule("Concat")
def _(node, ct):
    xs = inputs(node)
    axis = node.get_attributes()["axis"] % g.rank(xs[0])
    lengths = g.out(ov_ops.concat([g.dim(x, axis) for x in xs], 0))
    parts = ov_ops.variadic_split(ct[0], g.i64(axis), lengths)
    return [parts.output(i) for i in range(len(xs))]


def scatter_back(ct, x, select):
    """The cotangent of a pure selection ``select(x)`` (slice, gather, ...).

    ``select`` is applied to the flat positions of ``x``; ``ct`` is added
    into zeros at the positions it picked (repeats accumulate).
    """
    shape = g.shape_of(x)
    size = g.out(ov_ops.reduce_prod(shape, g.i64([0]), True))
    flat = g.out(ov_ops.range(g.i64(0), g.reshape(size, ()), g.i64(1), "i64"))
    positions = select(g.reshape_to(flat, shape))
    zeros = g.out(ov_ops.broadcast(g.const(0, g.dtype(ct)), size))
    idx = g.reshape(positions, (-1, 1))
    summed = ov_ops.scatter_nd_update(zeros, idx, g.reshape(ct, (-1,)), reduction="sum")
    return g.reshape_to(g.out(summed), shape)


@rule("Slice")
def _(node, ct):
    x, *rest = inputs(node)
    return [scatter_back(ct[0], x, lambda p: g.out(ov_ops.slice(p, *rest)))] + [None] * len(rest)


@rule("StridedSlice")
def _(node, ct):
    x, *rest = inputs(node)
    a = node.get_attributes()

    def select(p):
        return g.out(ov_ops.strided_slice(
            p, *rest, begin_mask=a["begin_mask"], end_mask=a["end_mask"],
            new_axis_mask=a["new_axis_mask"], shrink_axis_mask=a["shrink_axis_mask"],
            ellipsis_mask=a["ellipsis_mask"]))

    return [scatter_back(ct[0], x, select)] + [None] * len(rest)


@rule("Gather")
def _(node, ct):
    x, idx, axis = inputs(node)
    batch_dims = node.get_attributes()["batch_dims"]
    return [scatter_back(ct[0], x, lambda p: g.out(ov_ops.gather(p, idx, axis, batch_dims))),
            None, None]
