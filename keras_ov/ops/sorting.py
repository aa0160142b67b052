"""Sorting, searching and counting: sort, argsort, unique, searchsorted, bincount, ...

Sorts are stable TopK over the whole axis (``k`` = the axis length, read from
the runtime shape).  NumPy puts NaNs last; TopK has no NaN order, so NaNs are
keyed as +inf and then moved behind the real infinities.

OpenVINO's SearchSorted, Bucketize, Unique and GatherElements have no
reference kernels for the exact int64/uint32/uint64/float64 executor, so the
translators here avoid them on wide data: searchsorted counts comparisons,
unique is built from a stable sort, and gathers along one axis are flat
Gathers with row offsets (``reduction.take_last``).  Ops whose output length
depends on the values (unique, nonzero, bincount) produce dynamic shapes,
which both executors resolve.
"""

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.reduction import isnan, scalar_dim, scan, take_last
from keras_ov.ops.registry import apply, host_path, register

_END = np.iinfo(
    np.int32
).max  # "to the end" in slices (an int64 bound would force the reference executor)


def _sort_key(x):
    """A TopK-sortable key: bools as int32, NaNs as +inf."""
    dt = g.dtype(x)
    if dt == "bool":
        return g.cast(x, "int32")
    if dtypes.is_float(dt):
        return g.select(isnan(x), g.const(np.inf, dt), x)
    return x


def _positions(n):
    """``[0, 1, ..., n - 1]`` as int32, for a runtime int64 scalar ``n``."""
    return g.out(ov_ops.range(g.i64(0), n, g.i64(1), "i32"))


def sort_last(x, want):
    """Stable ascending sort along the last axis: values or indices (int32)."""
    last = g.rank(x) - 1
    if g.static_shape(x)[last] == 1:  # nothing to sort (and it dodges a CPU-plugin
        # bug: int32 reductions over a size-1 axis fused with an element-wise op)
        return x if want == "values" else g.broadcast_to_shape(g.i32(0), g.shape_of(x))
    n = scalar_dim(x, last)
    node = ov_ops.topk(_sort_key(x), n, last, "min", "value", "i32", stable=True)
    values, index = g.out(node.output(0)), g.out(node.output(1))
    if not dtypes.is_float(g.dtype(x)):
        return g.cast(values, g.dtype(x)) if want == "values" else index
    # NaNs were keyed +inf; a second stable sort on "is NaN" moves them behind
    # the real +infs, where NumPy puts them.
    nan_in_order = take_last(g.cast(isnan(x), "int32"), index)
    again = ov_ops.topk(nan_in_order, n, last, "min", "value", "i32", stable=True)
    index = take_last(index, g.out(again.output(1)))
    return take_last(x, index) if want == "values" else index


def _along_last(fn, x, axis):
    """Apply a last-axis function along ``axis`` (None: the flattened tensor)."""
    if axis is None:
        return fn(g.reshape(x, [-1]))
    rank = g.rank(x)
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return g.transpose(fn(g.transpose(x, perm)), perm)


def _sort_translator(x, *, axis, want):
    if g.rank(x) == 0:
        return g.reshape(x, [1]) if want == "values" else g.i32([0])
    return _along_last(lambda t: sort_last(t, want), x, axis)


def _axis_arg(name, x, axis):
    if axis is None or x.ndim == 0:
        return None
    return g.normalize_axis(axis, x.ndim, name)


@register("numpy")
def sort(x, axis=-1):
    x = to_tensor(x, op="sort")
    return apply("sort", _sort_translator, [x], axis=_axis_arg("sort", x, axis), want="values")


@register("numpy")
def argsort(x, axis=-1):
    x = to_tensor(x, op="argsort")
    return apply(
        "argsort", _sort_translator, [x], axis=_axis_arg("argsort", x, axis), want="indices"
    )


@register("numpy")
def argpartition(x, kth, axis=-1):
    """Indices that partition ``x`` around ``kth``: a stable argsort is one."""
    x = to_tensor(x, op="argpartition")
    axis = _axis_arg("argpartition", x, axis)
    length = x.size if axis is None else x.shape[axis]
    if not isinstance(kth, (int, np.integer)):
        raise TypeError(f"`argpartition`: kth must be an integer, got {kth!r}")
    if length is not None and not -length <= kth < length:
        raise ValueError(f"`argpartition`: kth={kth} is out of bounds for length {length}")
    return apply("argsort", _sort_translator, [x], axis=axis, want="indices")


# -- searching -----------------------------------------------------------------


def search(sequence, values, right):
    """``searchsorted`` of ``values`` in a 1-D ascending ``sequence`` (int32)."""
    if g.static_shape(sequence)[0] == 0:
        # Every value goes at 0 (SearchSorted's CPU kernel reads past an empty
        # sequence and answers garbage).
        return g.broadcast_to_shape(g.const(0, "int32"), g.shape_of(values))
    if not dtypes.is_wide(g.dtype(values)):
        return g.cast(ov_ops.search_sorted(sequence, values, right_mode=right), "int32")
    # Wide data: count the elements before each value (no reference kernel).
    expanded = g.unsqueeze_axes(values, [g.rank(values)])
    before = (ov_ops.less_equal if right else ov_ops.less)(sequence, expanded)
    return g.out(ov_ops.reduce_sum(g.cast(before, "int32"), g.i64([-1]), False))


def _searchsorted_translator(sequence, values, *, right, compute):
    return search(g.cast(sequence, compute), g.cast(values, compute), right)


def _search_dtype(a, b):
    """A type both operands convert to losslessly (searching only compares)."""
    if a.dtype == b.dtype:
        dt = a.dtype
    elif dtypes.is_wide(a.dtype) or dtypes.is_wide(b.dtype):
        dt = dtypes.from_numpy(np.result_type(dtypes.to_numpy(a.dtype), dtypes.to_numpy(b.dtype)))
    else:
        dt = dtypes.promote(a, b)
    return "int32" if dt == "bool" else dt


@register("numpy")
def searchsorted(sorted_sequence, values, side="left"):
    sequence = to_tensor(sorted_sequence, op="searchsorted")
    values = to_tensor(values, op="searchsorted")
    if sequence.ndim != 1:
        raise ValueError(
            "`searchsorted` only supports 1-D sorted sequences; use "
            "`keras.ops.vectorized_map` for N-D ones. Received: "
            f"sorted_sequence.shape={sequence.shape}"
        )
    if side not in ("left", "right"):
        raise ValueError(f"`searchsorted`: side must be 'left' or 'right', got {side!r}")
    return apply(
        "searchsorted",
        _searchsorted_translator,
        [sequence, values],
        right=side == "right",
        compute=_search_dtype(sequence, values),
    )


def _digitize_translator(x, bins, *, compute):
    x, bins = g.cast(x, compute), g.cast(bins, compute)
    rising = search(bins, x, right=True)
    reversed_bins = ov_ops.slice(bins, g.i64([-1]), g.i64([-_END]), g.i64([-1]), g.i64([0]))
    falling = ov_ops.subtract(
        g.cast(g.dim(bins, 0), "int32"), search(g.out(reversed_bins), x, right=True)
    )
    first, final = (ov_ops.gather(bins, g.i64(i), g.i64(0)) for i in (0, -1))
    return g.select(ov_ops.greater(first, final), falling, rising)


@register("numpy")
def digitize(x, bins):
    x = to_tensor(x, op="digitize")
    bins = to_tensor(bins, op="digitize")
    if bins.ndim != 1:
        raise ValueError(f"`digitize`: bins must be 1-D, got shape {bins.shape}")
    compute = _search_dtype(x, bins)
    if compute == "float64":  # Keras/JAX compare float64 data in float32
        compute = "float32"
        x, bins = to_tensor(x, compute, op="digitize"), to_tensor(bins, compute, op="digitize")
    return apply("digitize", _digitize_translator, [x, bins], compute=compute)


# -- nonzero, bincount, histogram ---------------------------------------------------


def _nonzero_translator(x):
    rank = g.rank(x)
    found = ov_ops.non_zero(x, "i32")
    if rank == 1:
        return [g.squeeze_axes(g.out(found), [0])]
    parts = ov_ops.split(found, g.i64(0), rank)
    return [g.squeeze_axes(p, [0]) for p in parts.outputs()]


@register("numpy")
def nonzero(x):
    x = to_tensor(x, op="nonzero")
    if x.ndim == 0:
        raise ValueError("`nonzero` of a 0-d tensor is undefined; use `atleast_1d` first")
    return tuple(apply("nonzero", _nonzero_translator, [x]))


def _bincount_translator(x, *weights, minlength, result):
    # Lengths stay int32: an int64 value here would send the whole graph to the
    # reference executor, which lacks kernels for the narrow types.
    last = g.rank(x) - 1
    x = g.cast(x, "int32")
    top = ov_ops.reduce_max(x, g.i64(list(range(last + 1))), True)
    length = ov_ops.maximum(ov_ops.add(top, g.i32(1)), g.i32(minlength))
    length = g.reshape(length, [1])
    shape = length if last == 0 else g.out(ov_ops.concat([g.cast(g.dim(x, 0), "int32"), length], 0))
    zeros = g.broadcast_to_shape(g.const(0, result), shape)
    if weights:
        updates = g.cast(weights[0], result)
    else:
        updates = g.broadcast_to_shape(g.const(1, result), g.shape_of(x))
    return ov_ops.scatter_elements_update(zeros, x, updates, g.i32(last), "sum")


@register("numpy")
def bincount(x, weights=None, minlength=0, sparse=False):
    if sparse:
        raise ValueError("`bincount`: sparse outputs are not supported by the OpenVINO backend")
    x = to_tensor(x, op="bincount")
    if not dtypes.is_int(x.dtype):
        raise TypeError(f"`bincount` expects integer values, got dtype {x.dtype}")
    if x.ndim not in (1, 2):
        raise ValueError(f"`bincount` expects a 1-D or 2-D tensor, got shape {x.shape}")
    if not isinstance(minlength, (int, np.integer)) or minlength < 0:
        raise ValueError(f"`bincount`: minlength must be a non-negative integer, got {minlength!r}")
    if not x.is_symbolic and x.size and x.data.min() < 0:  # validation only
        raise ValueError("`bincount`: values must be non-negative")
    inputs = [x]
    result = "int32"
    if weights is not None:
        weights = to_tensor(weights, op="bincount")
        if weights.shape != x.shape:
            raise ValueError(f"`bincount`: weights shape {weights.shape} != x shape {x.shape}")
        inputs.append(weights)
        result = dtypes.promote(x, weights)
    return apply("bincount", _bincount_translator, inputs, minlength=int(minlength), result=result)


def _histogram_translator(x, *, bins, bounds, compute, result):
    x = g.cast(x, compute)
    if bounds is None:
        lo = g.out(ov_ops.reduce_min(x, g.i64([0]), False))
        hi = g.out(ov_ops.reduce_max(x, g.i64([0]), False))
        same = ov_ops.equal(lo, hi)
        half = g.const(0.5, compute)
        lo = g.select(same, ov_ops.subtract(lo, half), lo)
        hi = g.select(same, ov_ops.add(hi, half), hi)
    else:
        lo, hi = (g.const(b, compute) for b in bounds)
    step = ov_ops.divide(ov_ops.subtract(hi, lo), g.const(bins, compute))
    inner = ov_ops.add(lo, ov_ops.multiply(g.const(np.arange(bins), compute), step))
    edges = g.out(ov_ops.concat([inner, g.reshape(hi, [1])], 0))
    cuts = ov_ops.slice(edges, g.i64([1]), g.i64([bins]), g.i64([1]))  # interior edges
    column = g.unsqueeze_axes(x, [1])
    index = ov_ops.reduce_sum(g.cast(ov_ops.less_equal(cuts, column), "int32"), g.i64([1]), True)
    inside = ov_ops.logical_and(ov_ops.greater_equal(column, lo), ov_ops.less_equal(column, hi))
    hit = ov_ops.logical_and(ov_ops.equal(index, g.i32(np.arange(bins))), inside)
    counts = ov_ops.reduce_sum(g.cast(hit, "int32"), g.i64([0]), False)
    return [g.cast(counts, result), g.cast(edges, result)]


@register("numpy")
def histogram(x, bins=10, range=None):
    x = to_tensor(x, op="histogram")
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins < 0:
        raise ValueError(
            f"`histogram`: Argument `bins` should be a non-negative integer, got {bins!r}"
        )
    if range is not None:
        if len(range) != 2:
            raise ValueError(
                f"`histogram`: Argument `range` must be a tuple of two elements, got {range!r}"
            )
        if range[1] <= range[0]:
            raise ValueError(
                f"`histogram`: The second element of `range` must be greater than the first, got {range!r}"
            )
        range = (float(range[0]), float(range[1]))
    if x.ndim != 1:
        raise ValueError(f"`histogram`: Input tensor must be 1-dimensional, got shape {x.shape}")
    result = dtypes.promote_inexact(x)
    compute = dtypes.result_type(result, "float32")
    return apply(
        "histogram",
        _histogram_translator,
        [x],
        bins=int(bins),
        bounds=range,
        compute=compute,
        result=result,
    )


# -- unique ------------------------------------------------------------------------


def _pad_to(x, size, value):
    """First ``size`` entries of ``x`` along axis 0, padded with ``value``."""
    rank = g.rank(x)
    kept = ov_ops.slice(x, g.i64([0]), g.i64([size]), g.i64([1]), g.i64([0]))
    missing = ov_ops.maximum(ov_ops.subtract(g.i64([size]), g.dim(x, 0)), g.i64([0]))
    pads_end = ov_ops.concat([missing, g.i64([0] * (rank - 1))], 0) if rank > 1 else missing
    return g.out(ov_ops.pad(kept, g.i64([0] * rank), pads_end, "constant", value))


def _unique_translator(x, *, axis, size, fill_value, outputs):
    dt = g.dtype(x)
    wide = dtypes.is_wide(dt)
    if axis is None:
        rows = g.reshape(x, [-1, 1])
        shape = g.static_shape(x)
    else:
        rows = g.transpose(x, [axis] + [a for a in range(g.rank(x)) if a != axis])
        shape = g.static_shape(rows)
        rows = g.reshape(rows, [-1 if shape[0] is None else shape[0], int(np.prod(shape[1:]))])
    count_static = g.static_shape(rows)[0]
    if count_static is None and wide:
        raise NotImplementedError("keras-ov: `unique` of wide data needs a static length")
    n = scalar_dim(rows, 0)
    # Lexicographic stable sort of the rows: one stable sort per column, last first.
    order = _positions(n)
    for j in reversed(range(g.static_shape(rows)[1])):
        column = ov_ops.gather(rows, g.i64(j), g.i64(1))
        key = _sort_key(g.out(ov_ops.gather(column, order, g.i64(0))))
        step = ov_ops.topk(key, n, 0, "min", "value", "i32", stable=True).output(1)
        order = g.out(ov_ops.gather(order, step, g.i64(0)))
    ordered = g.out(ov_ops.gather(rows, order, g.i64(0)))
    previous = ov_ops.concat(
        [
            ov_ops.slice(ordered, g.i64([0]), g.i64([1]), g.i64([1])),
            ov_ops.slice(ordered, g.i64([0]), g.i64([-1]), g.i64([1])),
        ],
        0,
    )
    differs = ov_ops.reduce_logical_or(ov_ops.not_equal(ordered, previous), g.i64([1]), False)
    starts_mask = ov_ops.logical_or(differs, ov_ops.equal(_positions(n), g.i32(0)))
    starts = g.squeeze_axes(g.out(ov_ops.non_zero(starts_mask, "i32")), [0])

    values = g.out(ov_ops.gather(ordered, starts, g.i64(0)))
    index = g.out(ov_ops.gather(order, starts, g.i64(0)))
    ends = ov_ops.concat(
        [
            ov_ops.slice(starts, g.i64([1]), g.i64([_END]), g.i64([1])),
            g.cast(g.reshape(n, [1]), "int32"),
        ],
        0,
    )
    counts = g.out(ov_ops.subtract(ends, starts))
    group = scan(g.cast(starts_mask, "int32"), 0, "sum", exact=wide)
    group = ov_ops.subtract(group, g.i32(1))
    inverse = g.out(
        ov_ops.scatter_elements_update(
            g.broadcast_to_shape(g.i32(0), g.reshape(n, [1])), order, group, g.i64(0)
        )
    )
    if axis is None:
        values = g.reshape(values, [-1])
        inverse = g.reshape(inverse, list(shape)) if None not in shape else inverse
    else:
        values = g.reshape_to(
            values, g.out(ov_ops.concat([g.i64([-1]), g.i64(list(shape[1:]))], 0))
        )

    if size is not None:
        fill = (
            g.const(fill_value, dt)
            if fill_value is not None
            else g.out(ov_ops.reduce_min(values, g.i64(list(range(g.rank(values)))), False))
        )
        values = _pad_to(values, size, fill)
        index = _pad_to(index, size, ov_ops.gather(index, g.i64(0), g.i64(0)))
        counts = _pad_to(counts, size, g.i32(0))
    if axis is not None:
        rank = g.rank(values)
        perm = list(range(1, rank))
        perm.insert(axis, 0)
        values = g.transpose(values, perm)
    named = {"values": values, "index": index, "inverse": inverse, "counts": counts}
    return [named[k] for k in outputs]


@register("numpy")
def unique(
    x,
    sorted=True,
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """Unique values (always sorted: NumPy's order), via a stable sort."""
    x = to_tensor(x, op="unique")
    if axis is not None:
        axis = g.normalize_axis(axis, x.ndim, "unique")
    if size is not None and (not isinstance(size, (int, np.integer)) or size < 0):
        raise ValueError(f"`unique`: size must be a non-negative integer, got {size!r}")
    outputs = ("values",) + tuple(
        k
        for k, on in (
            ("index", return_index),
            ("inverse", return_inverse),
            ("counts", return_counts),
        )
        if on
    )
    length = x.size if axis is None else x.shape[axis]
    if length == 0:
        return _empty_unique(x, axis, outputs)
    result = apply(
        "unique",
        _unique_translator,
        [x],
        axis=axis,
        size=None if size is None else int(size),
        fill_value=fill_value,
        outputs=outputs,
    )
    return result[0] if len(outputs) == 1 else tuple(result)


host_path(
    "numpy.bincount",
    "eager input is read on the host only to reject negative "
    "values (validation; the counting runs in OpenVINO)",
)
host_path(
    "numpy.unique",
    "an empty input's (empty) outputs are made on the host: "
    "OpenVINO graphs cannot produce the zero-size result shapes here",
)


def _empty_unique(x, axis, outputs):
    empty = np.zeros((0,), np.int32)
    shape = (0,) if axis is None else x.shape
    named = {
        "values": OVTensor(np.zeros(shape, dtypes.to_numpy(x.dtype)), dtype=x.dtype),
        "index": OVTensor(empty),
        "inverse": OVTensor(np.zeros(x.shape, np.int32) if axis is None else empty),
        "counts": OVTensor(empty),
    }
    out = tuple(named[k] for k in outputs)
    return out[0] if len(out) == 1 else out
