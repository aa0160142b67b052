"""Gradient rules of gathers, scatters, TopK and CumSum.

A gather's cotangent is scattered back with a summing scatter (repeated
indices accumulate).  Gather over one axis without batch dims (embedding
lookups) scatters the cotangent rows straight into a zero table with one
``ScatterNDUpdate``; only unusual batch-dims gathers fall back to the
generic positions trick of ``rules_shape.scatter_back``.
"""

import numpy as np
import openvino as ov

from keras_ov.autodiff.core import inputs, rule
from keras_ov.autodiff.helpers import convert_to, like
from keras_ov.autodiff.rules_shape import scatter_back
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops


def _zeros(x, ct):
    return g.out(ov_ops.broadcast(like(0, ct), g.shape_of(x)))


def _nonneg(idx, size):
    """Indices with negative entries wrapped (``size`` an i64 scalar Output).

    64-bit indices are wrapped as int32 (every index of a real axis fits it):
    int64 ids fed to a train step then only reach Gather and a Convert to
    int32, so ``compiled.narrow_inputs`` feeds them as int32 and the step stays
    on the CPU plugin instead of the exact executor.
    """
    if idx.get_element_type() in (ov.Type.i64, ov.Type.u64):
        idx = convert_to(idx, ov.Type.i32)
    size = convert_to(size, idx.get_element_type())
    neg = ov_ops.less(idx, g.const(0, g.dtype(idx)))
    return g.select(neg, g.out(ov_ops.add(idx, size)), idx)


def _const_int(node, index):
    src = node.input_value(index).get_node()
    if src.get_type_name() != "Constant":
        raise NotImplementedError(
            f"keras-ov: gradient of {node.get_type_name()} with a non-constant input {index}"
        )
    return int(np.asarray(src.get_data()).reshape(-1)[0])


@rule("Gather")
def _(node, ct):
    x, idx, _ = inputs(node)
    r = g.rank(x)
    axis = _const_int(node, 2) % r
    batch_dims = node.get_attributes()["batch_dims"]
    c = ct[0]
    if batch_dims == 0:
        # rows of the table along `axis`: move it first, scatter-add the rows, move it back
        k = g.rank(idx)
        perm_x = [axis] + [a for a in range(r) if a != axis]
        # ct dims: x[:axis], idx dims, x[axis+1:]
        perm_c = list(range(axis, axis + k)) + list(range(axis)) + list(range(axis + k, g.rank(c)))
        moved = g.transpose(c, perm_c) if perm_c != list(range(g.rank(c))) else c
        rest = g.out(ov_ops.gather(g.shape_of(moved), g.i64(list(range(k, g.rank(c)))), g.i64(0)))
        rows = g.reshape_to(moved, g.out(ov_ops.concat([g.i64([-1]), rest], 0)))
        xt = g.transpose(x, perm_x) if perm_x != list(range(r)) else x
        flat = g.reshape(_nonneg(idx, g.dim(x, axis)), [-1, 1])
        table = g.out(ov_ops.scatter_nd_update(_zeros(xt, c), flat, rows, "sum"))
        if perm_x == list(range(r)):
            return [table, None, None]
        return [g.transpose(table, list(np.argsort(perm_x))), None, None]
    if batch_dims == r - 1 and axis == r - 1 and g.rank(idx) == r:
        # take_along_axis: per-row picks along the last axis
        idx = _nonneg(idx, g.dim(x, axis))
        return [
            g.out(ov_ops.scatter_elements_update(_zeros(x, c), idx, c, g.i64(axis), "sum")),
            None,
            None,
        ]
    return [
        scatter_back(c, x, lambda p: g.out(ov_ops.gather(p, idx, g.i64(axis), batch_dims))),
        None,
        None,
    ]


@rule("GatherElements")
def _(node, ct):
    x, idx = inputs(node)
    axis = node.get_attributes()["axis"] % g.rank(x)
    idx = _nonneg(idx, g.dim(x, axis))
    return [
        g.out(ov_ops.scatter_elements_update(_zeros(x, ct[0]), idx, ct[0], g.i64(axis), "sum")),
        None,
    ]


@rule("GatherND")
def _(node, ct):
    x, idx = inputs(node)
    batch_dims = node.get_attributes()["batch_dims"]
    if batch_dims == 0:
        return [g.out(ov_ops.scatter_nd_update(_zeros(x, ct[0]), idx, ct[0], "sum")), None]
    return [scatter_back(ct[0], x, lambda p: g.out(ov_ops.gather_nd(p, idx, batch_dims))), None]


@rule("ScatterNDUpdate")
def _(node, ct):
    _, idx, upd = inputs(node)
    mode = str(node.get_attributes().get("reduction", "none")).lower()
    c = ct[0]
    d_upd = g.out(ov_ops.gather_nd(c, idx))
    if mode == "sum":
        return [c, None, d_upd]
    if mode == "none":  # overwritten entries pass no gradient to the data
        d_x = g.out(ov_ops.scatter_nd_update(c, idx, _zeros(upd, c)))
        return [d_x, None, d_upd]
    raise NotImplementedError(f"keras-ov: gradient of ScatterNDUpdate with reduction={mode}")


@rule("ScatterUpdate")
def _(node, ct):
    # keras-ov emits it with distinct indices (slice_update along one axis).
    x, idx, upd, _ = inputs(node)
    axis = _const_int(node, 3) % g.rank(x)
    c = ct[0]
    d_upd = g.out(ov_ops.gather(c, idx, g.i64(axis)))
    d_x = g.out(ov_ops.scatter_update(c, idx, _zeros(upd, c), g.i64(axis)))
    return [d_x, None, d_upd, None]


@rule("ScatterElementsUpdate")
def _(node, ct):
    x, idx, upd, _ = inputs(node)
    a = node.get_attributes()
    mode = str(a.get("reduction", "none")).lower()
    axis = _const_int(node, 3) % g.rank(x)
    c = ct[0]
    idx = _nonneg(idx, g.dim(x, axis))
    d_upd = g.out(ov_ops.gather_elements(c, idx, axis))
    if mode == "sum" and a.get("use_init_val", True):
        return [c, None, d_upd, None]
    if mode == "none":
        d_x = g.out(ov_ops.scatter_elements_update(c, idx, _zeros(upd, c), g.i64(axis)))
        return [d_x, None, d_upd, None]
    raise NotImplementedError(f"keras-ov: gradient of ScatterElementsUpdate with reduction={mode}")


@rule("TopK")
def _(node, ct):
    x = node.input_value(0)
    axis = node.get_attributes()["axis"] % g.rank(x)
    if ct[0] is None:  # only the indices were used
        return [None, None]
    picked = node.output(1)
    return [
        g.out(ov_ops.scatter_elements_update(_zeros(x, ct[0]), picked, ct[0], g.i64(axis), "sum")),
        None,
    ]


@rule("CumSum")
def _(node, ct):
    xs = inputs(node)
    a = node.get_attributes()
    axis = xs[1] if len(xs) > 1 else g.i64(0)
    d = g.out(ov_ops.cumsum(ct[0], axis, a["exclusive"], not a["reverse"]))
    return [d] + [None] * (len(xs) - 1)
