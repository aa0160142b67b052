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
        return g.out(
            ov_ops.strided_slice(
                p,
                *rest,
                begin_mask=a["begin_mask"],
                end_mask=a["end_mask"],
                new_axis_mask=a["new_axis_mask"],
                shrink_axis_mask=a["shrink_axis_mask"],
                ellipsis_mask=a["ellipsis_mask"],
            )
        )

    return [scatter_back(ct[0], x, select)] + [None] * len(rest)


@rule("Split", "VariadicSplit")
def _(node, ct):
    x = node.input_value(0)
    axis = node.input_value(1)
    parts = [c if c is not None else g.zeros_like(node.output(i)) for i, c in enumerate(ct)]
    ax = axis.get_node()
    if ax.get_type_name() != "Constant":
        raise NotImplementedError(
            f"keras-ov: gradient of {node.get_type_name()} over a non-constant axis"
        )
    axis = int(np.asarray(ax.get_data()).reshape(-1)[0]) % g.rank(x)
    return [g.out(ov_ops.concat(parts, axis))] + [None] * (node.get_input_size() - 1)


@rule("Pad")
def _(node, ct):
    xs = inputs(node)
    x, begin, end = xs[:3]
    mode = str(node.get_attributes()["pad_mode"]).lower()
    if mode == "constant":
        # negative pads crop: the cotangent is the inner block (Pad crops on negative pads)
        zero = g.const(0, g.dtype(ct[0]))
        d = g.out(
            ov_ops.pad(
                ct[0], g.out(ov_ops.negative(begin)), g.out(ov_ops.negative(end)), "constant", zero
            )
        )
        d_value = None
        if len(xs) > 3 and xs[3].get_node().get_type_name() != "Constant" and g.rank(xs[3]) == 0:
            total = g.out(ov_ops.reduce_sum(ct[0], g.i64(list(range(g.rank(ct[0])))), False))
            inner = g.out(ov_ops.reduce_sum(d, g.i64(list(range(g.rank(d)))), False))
            d_value = g.out(ov_ops.subtract(total, inner))
        return [d, None, None] + ([d_value] if len(xs) > 3 else [])

    def select(p):
        return g.out(ov_ops.pad(p, begin, end, mode))

    return [scatter_back(ct[0], x, select), None, None] + [None] * (len(xs) - 3)


@rule("Tile")
def _(node, ct):
    x, repeats = inputs(node)
    shape = g.static_shape(x)
    rep = repeats.get_node()
    if rep.get_type_name() == "Constant" and None not in shape:
        reps = [int(r) for r in np.asarray(rep.get_data()).reshape(-1)]
        shape = [1] * (len(reps) - len(shape)) + list(shape)
        reps = [1] * (len(shape) - len(reps)) + reps
        split = [v for r, d in zip(reps, shape) for v in (r, d)]
        d = g.reshape(ct[0], split)
        d = g.out(ov_ops.reduce_sum(d, g.i64(list(range(0, 2 * len(shape), 2))), False))
        return [g.reshape_to(d, g.shape_of(x)), None]
    return [scatter_back(ct[0], x, lambda p: g.out(ov_ops.tile(p, repeats))), None]


@rule("Interpolate")
def _(node, ct):
    """A resize is linear and separable: per resized axis, its matrix is the
    resize of an identity (constant-folded); the cotangent goes through its transpose."""
    x = node.input_value(0)
    if node.get_input_size() != 3 or node.input_value(2).get_node().get_type_name() != "Constant":
        raise NotImplementedError("keras-ov: gradient of Interpolate without constant axes")
    a = node.get_attributes()
    if any(a.get("pads_begin", [0])) or any(a.get("pads_end", [0])):
        raise NotImplementedError("keras-ov: gradient of a padded Interpolate")
    rank = g.rank(x)
    axes = [int(v) % rank for v in np.asarray(node.input_value(2).get_node().get_data())]
    xs, ys = g.static_shape(x), g.static_shape(node.output(0))
    scales_mode = str(a["shape_calculation_mode"]).lower() == "scales"
    d = ct[0]
    for axis in axes:
        n, m = xs[axis], ys[axis]
        if n is None or m is None:
            raise NotImplementedError("keras-ov: gradient of Interpolate over a dynamic axis")
        eye = g.const(np.eye(n, dtype=np.float32), g.dtype(x))
        size = g.const([m / n], "float32") if scales_mode else g.i64([m])
        response = g.out(
            ov_ops.interpolate(  # (n, m): the resize of each unit impulse
                eye,
                size,
                a["mode"],
                a["shape_calculation_mode"],
                coordinate_transformation_mode=a["coordinate_transformation_mode"],
                nearest_mode=a["nearest_mode"],
                antialias=a["antialias"],
                cube_coeff=a["cube_coeff"],
                axes=g.i64([1]),
            )
        )
        perm = [k for k in range(rank) if k != axis] + [axis]
        moved = g.out(ov_ops.matmul(g.transpose(d, perm), response, False, True))
        d = g.transpose(moved, list(np.argsort(perm)))
    return [d] + [None] * (node.get_input_size() - 1)


@rule("DepthToSpace", "SpaceToDepth")
def _(node, ct):
    # each is the other's inverse permutation (same mode and block size)
    a = node.get_attributes()
    inverse = (
        ov_ops.space_to_depth if node.get_type_name() == "DepthToSpace" else ov_ops.depth_to_space
    )
    return [g.out(inverse(ct[0], a["mode"], a["block_size"]))]


@rule("ExtractImagePatches")
def _(node, ct):
    x = node.input_value(0)
    a = node.get_attributes()

    def select(p):
        return g.out(
            ov_ops.extract_image_patches(p, a["sizes"], a["strides"], a["rates"], a["auto_pad"])
        )

    return [scatter_back(ct[0], x, select)]
