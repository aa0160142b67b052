"""Indexing ops: ``x[key]``, take, slices and scatters, triangles and diagonals.

``getitem`` lowers NumPy indexing in two passes: one StridedSlice for the
basic part (ints, slices, ``None``, ``...``) and one Gather for the advanced
part (integer arrays and boolean masks).  Several advanced indices are
combined into one linear index over their (flattened) axes, so the whole of
it runs on Gather, which has exact reference kernels for wide dtypes (GatherND
and GatherElements do not).
"""

import builtins

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.engine.dtypes import join_dtype
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.registry import apply, register
from keras_ov.ops.shape import (
    along,
    arange_of,
    as_index,
    flatten,
    gather,
    index_dtype,
    ravel,
    scalar,
    scatter_axis,
    scatter_nd,
    static_ints,
    take_last,
    transpose,
)

_I64_MAX = 2**63 - 1
_pyslice = builtins.slice  # ``slice`` below is the Keras op
_I32 = (-(2**31), 2**31 - 1)


def _index_tensor(x, op, narrow=True):
    """An integer index tensor (raises for other dtypes).

    With ``narrow``, concrete wide indices (int64 from NumPy, most often) whose
    values all fit int32 become int32 on the host: an int64 input would send
    the op to the reference kernels (3x slower for a 64-row take) for no gain
    in exactness.  Values outside int32 stay wide, and exact.
    """
    t = to_tensor(x, op=op)
    if not (dtypes.is_int(t.dtype)):
        raise TypeError(f"`{op}`: indices must be integers, got dtype {t.dtype}")
    return _narrowed(t) if narrow else t


def _narrowed(t):
    if t.dtype not in dtypes.WIDE or t.is_symbolic or not t.data.size:
        return t
    return OVTensor(t.data.astype(np.int32)) if dtypes.fits_int32(t.data) else t


def _wrap(idx, dim):
    """Negative indices counted from the end of an axis of size ``dim``."""
    idx = as_index(idx)
    dim = g.cast(dim, g.dtype(idx))
    neg = ov_ops.less(idx, g.const(0, g.dtype(idx)))
    return g.select(g.out(neg), g.out(ov_ops.add(idx, dim)), idx)


# -- getitem ---------------------------------------------------------------


def _is_array_like(k):
    return (
        isinstance(k, (OVTensor, np.ndarray, list))
        or hasattr(k, "value")
        or (hasattr(k, "__array__") and not isinstance(k, (int, float, bool, np.generic)))
    )


def _classify(k):
    """(kind, value) of one entry of an index key."""
    if k is None:
        return ("new", None)
    if k is Ellipsis:
        return ("ellipsis", None)
    if isinstance(k, (bool, np.bool_)):
        raise NotImplementedError(f"`getitem`: a scalar boolean index ({k!r}) is not supported")
    if isinstance(k, (int, np.integer)):
        return ("int", int(k))
    if isinstance(k, _pyslice):
        if k.step is not None and not isinstance(k.step, OVTensor) and int(k.step) == 0:
            raise ValueError("`getitem`: slice step cannot be zero")
        return ("slice", k)
    if _is_array_like(k):
        t = to_tensor(k, op="getitem")
        if t.dtype == "bool":
            if t.ndim == 0:
                raise NotImplementedError("`getitem`: a 0-d boolean index is not supported")
            return ("mask", t)
        if not dtypes.is_int(t.dtype):
            raise IndexError(
                f"`getitem`: only integers, slices, None, ... and integer "
                f"or boolean arrays are valid indices, got dtype {t.dtype}"
            )
        t = _narrowed(t)
        return ("int_t", t) if t.ndim == 0 else ("array", t)
    raise IndexError(f"`getitem`: invalid index {k!r} of type {type(k).__name__}")


def _expand(entries, ndim):
    """Replace ``...`` (or the implicit trailing one) by full slices."""
    used = sum(v.ndim if k == "mask" else (k not in ("new", "ellipsis")) for k, v in entries)
    n_ell = sum(k == "ellipsis" for k, _ in entries)
    if n_ell > 1:
        raise IndexError("`getitem`: an index can only have a single ellipsis ('...')")
    if used > ndim:
        raise IndexError(f"`getitem`: too many indices for a tensor of rank {ndim} ({used} given)")
    fill = [("slice", _pyslice(None))] * (ndim - used)
    if not n_ell:
        return entries + fill
    i = next(i for i, (k, _) in enumerate(entries) if k == "ellipsis")
    return entries[:i] + fill + entries[i + 1 :]


def _plan(x, key):
    """The hashable translator spec of ``key`` and the tensors it reads."""
    key = key if isinstance(key, tuple) else (key,)
    entries = _expand([_classify(k) for k in key], x.ndim)
    advanced = any(k in ("array", "mask") for k, _ in entries)
    inputs, spec, axis = [], [], 0

    def ref(t):
        inputs.append(t)
        return ("t", len(inputs))

    def bound(v):
        if v is None or isinstance(v, (int, np.integer)):
            return None if v is None else min(max(int(v), _I32[0]), _I32[1])
        t = _index_tensor(v, "getitem")
        if t.ndim:
            raise IndexError(f"`getitem`: slice bounds must be scalars, got shape {t.shape}")
        return ref(t)

    for kind, v in entries:
        if kind == "new":
            spec.append(("new",))
            continue
        dim = x.shape[axis] if axis < x.ndim else None
        if kind == "int":
            if dim is not None and not -dim <= v < dim:
                raise IndexError(
                    f"`getitem`: index {v} is out of bounds for axis {axis} with size {dim}"
                )
            if dim is not None:
                v %= dim
            spec.append(("aint", v) if advanced else ("int", v))
        elif kind == "int_t":
            spec.append(("aint_t", ref(v)) if advanced else ("int_t", ref(v)))
        elif kind == "slice":
            spec.append(("slice", bound(v.start), bound(v.stop), bound(v.step)))
        elif kind == "array":
            spec.append(("array", ref(v)))
        else:
            for got, want in zip(v.shape, x.shape[axis : axis + v.ndim]):
                if None not in (got, want) and got != want:
                    raise IndexError(
                        f"`getitem`: boolean index of shape {v.shape} does not match "
                        f"the indexed shape {x.shape[axis : axis + v.ndim]}"
                    )
            spec.append(("mask", ref(v), v.ndim))
        axis += v.ndim if kind == "mask" else 1
    return tuple(spec), inputs


def _piece(v, extra, itype):
    """A 1-element index tensor for a static int or a tensor reference."""
    if isinstance(v, tuple):
        return g.reshape(g.cast(extra[v[1] - 1], itype), [1])
    return g.const([v], itype)


def _basic(x, extra, spec, itype):
    """StridedSlice for ints, slices and new axes; advanced entries keep their axes."""
    begin, end, stride = [], [], []
    bmask, emask, new, shrink = [], [], [], []
    positions, scalars, out_axis, in_axis = [], [], 0, 0
    trivial = True
    zero, one = g.const([0], itype), g.const([1], itype)
    for entry in spec:
        kind = entry[0]
        if kind == "new":
            begin.append(zero), end.append(zero), stride.append(one)
            bmask.append(0), emask.append(0), new.append(1), shrink.append(0)
            out_axis += 1
            trivial = False
            continue
        new.append(0)
        if kind == "int_t":  # a Gather after the slice (see _getitem)
            begin.append(zero), end.append(zero), stride.append(one)
            bmask.append(1), emask.append(1), shrink.append(0)
            scalars.append((out_axis, entry[1]))
            out_axis += 1
        elif kind == "int":
            b = g.const([entry[1]], itype)
            e = g.const([entry[1] + 1], itype) if entry[1] != -1 else zero
            begin.append(b), end.append(e), stride.append(one)
            bmask.append(0), emask.append(0), shrink.append(1)
            trivial = False
        elif kind == "slice":
            _, start, stop, step = entry
            begin.append(zero if start is None else _piece(start, extra, itype))
            end.append(zero if stop is None else _piece(stop, extra, itype))
            stride.append(one if step is None else _piece(step, extra, itype))
            bmask.append(int(start is None)), emask.append(int(stop is None)), shrink.append(0)
            trivial = trivial and start is None and stop is None and step in (None, 1)
            out_axis += 1
        else:  # advanced entries keep their axes for the second pass
            n = entry[2] if kind == "mask" else 1
            for _ in range(n):
                begin.append(zero), end.append(zero), stride.append(one)
                bmask.append(1), emask.append(1), shrink.append(0)
            new.extend([0] * (n - 1))
            positions.append((entry, list(range(out_axis, out_axis + n))))
            out_axis += n
            in_axis += n
            continue
        in_axis += 1
    if trivial:
        return x, positions, scalars
    cat = lambda parts: g.out(ov_ops.concat(parts, 0))  # noqa: E731
    y = ov_ops.strided_slice(
        x,
        cat(begin),
        cat(end),
        cat(stride),
        bmask,
        emask,
        new_axis_mask=new,
        shrink_axis_mask=shrink,
    )
    return g.out(y), positions, scalars


def _advanced(y, extra, positions, itype):
    """Gather for integer arrays and masks (numpy's placement rules)."""
    axes, indices = [], []
    for entry, ax in positions:
        kind = entry[0]
        if kind == "mask":
            nz = g.out(ov_ops.non_zero(extra[entry[1][1] - 1], dtypes.to_ov(itype)))
            for j, a in enumerate(ax):
                indices.append(g.out(ov_ops.gather(nz, g.i64(j), g.i64(0))))
                axes.append(a)
        elif kind == "aint":
            indices.append(g.const(entry[1], itype)), axes.append(ax[0])
        else:
            indices.append(g.cast(extra[entry[1][1] - 1], itype)), axes.append(ax[0])
    if len(indices) == 1:
        return gather(y, indices[0], axes[0])
    # One linear index over the advanced axes, moved to the front and flattened.
    rest = [a for a in range(g.rank(y)) if a not in axes]
    yt = g.transpose(y, axes + rest)
    dims = [g.cast(scalar(g.dim(y, a)), itype) for a in axes]
    linear, stride = None, None
    for idx, d in zip(reversed(indices), reversed(dims)):
        term = _wrap(idx, d)
        if stride is not None:
            term = g.out(ov_ops.multiply(term, stride))
        linear = term if linear is None else g.out(ov_ops.add(linear, term))
        stride = d if stride is None else g.out(ov_ops.multiply(stride, d))
    tail = g.out(ov_ops.slice(g.shape_of(yt), g.i64([len(axes)]), g.i64([_I64_MAX]), g.i64([1])))
    flat = g.reshape_to(yt, g.out(ov_ops.concat([g.i64([-1]), tail], 0)))
    out = gather(flat, linear, 0)
    if axes == list(range(axes[0], axes[0] + len(axes))) and axes[0]:
        nb, first = g.rank(linear), axes[0]
        perm = list(range(nb, nb + first)) + list(range(nb)) + list(range(nb + first, g.rank(out)))
        out = g.transpose(out, perm)
    return out


def _getitem(x, *extra, spec, itype):
    # Tensor-valued scalar indices are Gathers, not StridedSlice shrinks: the
    # CPU plugin cannot run a StridedSlice with runtime bounds that yields 0-d.
    y, positions, scalars = _basic(x, extra, spec, itype)
    for axis, ref in reversed(scalars):
        y = gather(y, extra[ref[1] - 1], axis)
    return _advanced(y, extra, positions, itype) if positions else y


@register("core")
def getitem(x, key):
    x = to_tensor(x, op="getitem")
    spec, inputs = _plan(x, key)
    if all(e == ("slice", None, None, None) for e in spec):
        return x
    itype = index_dtype(*[t.dtype for t in inputs])
    return apply("core.getitem", _getitem, [x] + inputs, spec=spec, itype=itype)


# -- take ---------------------------------------------------------------------


def _take(x, idx, *, axis):
    return gather(x, idx, axis)


@register("numpy")
def take(x, indices, axis=None):
    x = to_tensor(x, op="take")
    idx = _index_tensor(indices, "take")
    if axis is None:
        x, axis = ravel(x), 0
    axis = g.normalize_axis(axis, x.ndim, "take")
    return apply("numpy.take", _take, [x, idx], axis=axis)


def _take_along_axis(x, idx, *, axis):
    # Broadcast the non-axis dims, move the axis last, then gather row by row.
    r = g.rank(x)
    idx = as_index(idx)
    sx, si = g.shape_of(x), g.shape_of(idx)
    both = g.out(ov_ops.maximum(sx, si))
    axis_mask = g.const([i == axis for i in range(r)], "bool")
    x = g.broadcast_to_shape(x, g.select(axis_mask, sx, both))
    idx = g.broadcast_to_shape(idx, g.select(axis_mask, si, both))
    perm = [a for a in range(r) if a != axis] + [axis]
    out = take_last(g.transpose(x, perm), g.transpose(idx, perm))
    return g.transpose(out, [int(a) for a in np.argsort(perm)])


@register("numpy")
def take_along_axis(x, indices, axis=None):
    x = to_tensor(x, op="take_along_axis")
    idx = _index_tensor(indices, "take_along_axis")
    if axis is None:
        if idx.ndim != 1:
            raise ValueError(
                f"`take_along_axis`: with axis=None indices must be 1-D, got shape {idx.shape}"
            )
        x, axis = ravel(x), 0
    if idx.ndim != x.ndim:
        raise ValueError(
            f"`take_along_axis`: indices (shape {idx.shape}) and x (shape {x.shape}) "
            "must have the same rank"
        )
    axis = g.normalize_axis(axis, x.ndim, "take_along_axis")
    return apply("numpy.take_along_axis", _take_along_axis, [x, idx], axis=axis)


# -- select ---------------------------------------------------------------------


def _select(*xs, n):
    conds, choices, out = xs[:n], xs[n : 2 * n], xs[2 * n]
    for c, v in reversed(list(zip(conds, choices))):
        out = g.select(g.cast(c, "bool"), v, out)
    return out


@register("numpy")
def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError(
            f"`select`: condlist and choicelist must have the same length, "
            f"got {len(condlist)} and {len(choicelist)}"
        )
    if not condlist:
        raise ValueError("`select`: condlist must be non-empty")
    conds = [to_tensor(c, op="select") for c in condlist]
    for c in conds:
        if c.dtype != "bool":
            raise TypeError(f"`select`: conditions must be boolean, got dtype {c.dtype}")
    dt = join_dtype(*[to_tensor(c, op="select") for c in choicelist], default)
    choices = [to_tensor(c, dt, op="select") for c in choicelist]
    default = to_tensor(default, dt, op="select")
    return apply("numpy.select", _select, conds + choices + [default], n=len(conds))


# -- triangles and diagonals ------------------------------------------------------


def _band(x, *, k, lower):
    """Keep ``col - row <= k`` (lower) or ``col - row >= k`` (upper) of the last two dims."""
    rows, cols = arange_of(g.dim(x, -2)), arange_of(g.dim(x, -1))
    diff = ov_ops.subtract(g.unsqueeze_axes(cols, (0,)), g.unsqueeze_axes(rows, (1,)))
    keep = (ov_ops.less_equal if lower else ov_ops.greater_equal)(diff, g.i64(k))
    return g.select(g.out(keep), x, g.const(0, g.dtype(x)))


def _triangle(x, k, lower, op):
    x = to_tensor(x, op=op)
    if x.ndim < 2:
        raise ValueError(f"`{op}`: needs a tensor of rank >= 2, got shape {x.shape}")
    k = to_tensor(k, op=op)
    if k.is_symbolic:
        raise NotImplementedError(f"`{op}`: a symbolic `k` is not supported")
    return apply(f"numpy.{op}", _band, [x], k=int(k.data), lower=lower)


@register("numpy")
def tril(x, k=0):
    return _triangle(x, k, True, "tril")


@register("numpy")
def triu(x, k=0):
    return _triangle(x, k, False, "triu")


def _diagonal(x, *, offset):
    """The ``offset`` diagonal of the last two dims (a Gather on them flattened)."""
    n1, n2 = g.dim(x, -2), g.dim(x, -1)
    if offset >= 0:
        length = ov_ops.minimum(n1, ov_ops.subtract(n2, g.i64([offset])))
        first = g.i64([offset])
    else:
        length = ov_ops.minimum(ov_ops.add(n1, g.i64([offset])), n2)
        first = ov_ops.multiply(g.i64([-offset]), n2)
    length = g.out(ov_ops.maximum(length, g.i64([0])))
    idx = ov_ops.add(
        ov_ops.multiply(arange_of(length), scalar(g.out(ov_ops.add(n2, g.i64([1]))))),
        scalar(g.out(first)),
    )
    lead = g.out(ov_ops.slice(g.shape_of(x), g.i64([0]), g.i64([-2]), g.i64([1])))
    flat = g.reshape_to(x, g.out(ov_ops.concat([lead, g.i64([-1])], 0)))
    return gather(flat, g.out(idx), -1)


@register("numpy")
def diagonal(x, offset=0, axis1=0, axis2=1):
    x = to_tensor(x, op="diagonal")
    if x.ndim < 2:
        raise ValueError(f"`diagonal`: needs a tensor of rank >= 2, got shape {x.shape}")
    a, b = g.normalize_axis(axis1, x.ndim, "diagonal"), g.normalize_axis(axis2, x.ndim, "diagonal")
    if a == b:
        raise ValueError(f"`diagonal`: axis1 and axis2 cannot be the same ({axis1}, {axis2})")
    x = transpose(x, [i for i in range(x.ndim) if i not in (a, b)] + [a, b])
    return apply("numpy.diagonal", _diagonal, [x], offset=int(offset))


def _diag_matrix(v, *, k):
    """A square matrix with ``v`` on its ``k``-th diagonal."""
    n = g.out(ov_ops.add(g.shape_of(v), g.i64([abs(k)])))
    padded = g.out(ov_ops.pad(v, g.i64([0]), g.i64([abs(k)]), "constant", g.const(0, g.dtype(v))))
    rows, cols = arange_of(n), arange_of(n)
    diff = ov_ops.subtract(g.unsqueeze_axes(cols, (0,)), g.unsqueeze_axes(rows, (1,)))
    on = g.out(ov_ops.equal(diff, g.i64(k)))
    values = g.unsqueeze_axes(padded, (1,) if k >= 0 else (0,))
    return g.select(on, values, g.const(0, g.dtype(v)))


@register("numpy")
def diag(x, k=0):
    x = to_tensor(x, op="diag")
    if x.ndim == 1:
        return apply("numpy.diag", _diag_matrix, [x], k=int(k))
    if x.ndim == 2:
        return diagonal(x, offset=k)
    raise ValueError(f"`diag`: input must be 1-D or 2-D, got shape {x.shape}")


@register("numpy")
def diagflat(x, k=0):
    x = to_tensor(x, op="diagflat")
    return apply("numpy.diag", _diag_matrix, [ravel(x)], k=int(k))


# -- unravel_index, isin ----------------------------------------------------------


def _unravel(idx, *, shape):
    outs = []
    for d in reversed(shape):
        dc = g.const(d, g.dtype(idx))
        outs.append(g.out(ov_ops.floor_mod(idx, dc)))
        idx = g.out(ov_ops.divide(idx, dc))
    return outs[::-1]


@register("numpy")
def unravel_index(indices, shape):
    idx = _index_tensor(indices, "unravel_index", narrow=False)  # (sets the result dtype)
    shape = static_ints(shape, "unravel_index", "`shape`")
    if any(d <= 0 for d in shape):
        raise ValueError(f"`unravel_index`: dimensions must be positive, got {shape}")
    return (
        tuple(apply("numpy.unravel_index", _unravel, [idx], shape=shape))
        if len(shape) > 1
        else (idx,)
    )


def _isin(x1, x2, *, invert):
    hit = ov_ops.equal(g.unsqueeze_axes(x1, (g.rank(x1),)), flatten(x2))
    found = g.out(ov_ops.reduce_logical_or(hit, g.i64([-1]), False))
    return g.out(ov_ops.logical_not(found)) if invert else found


@register("numpy")
def isin(x1, x2, assume_unique=False, invert=False):
    dt = join_dtype(to_tensor(x1, op="isin"), to_tensor(x2, op="isin"))
    x1 = to_tensor(x1, dt, op="isin")
    x2 = to_tensor(x2, dt, op="isin")
    return apply("numpy.isin", _isin, [x1, x2], invert=bool(invert))


# -- slice / scatter (core) ------------------------------------------------------


def _start_vector(start_indices, rank, op):
    t = _index_tensor(start_indices, op)
    if t.ndim != 1 or t.shape[0] not in (None, rank):
        raise ValueError(f"`{op}`: start_indices must have {rank} entries, got shape {t.shape}")
    return t


def _slice(x, start, *, sizes):
    start = as_index(start)
    it = g.dtype(start)
    dims = g.shape_of(x, it)
    start = ov_ops.minimum(ov_ops.maximum(start, g.const(0, it)), dims)
    full = g.const([s < 0 for s in sizes], "bool")
    size = g.select(
        full, g.out(ov_ops.subtract(dims, start)), g.const([max(s, 0) for s in sizes], it)
    )
    start = ov_ops.maximum(ov_ops.minimum(start, ov_ops.subtract(dims, size)), g.const(0, it))
    y = g.out(ov_ops.slice(x, start, ov_ops.add(start, size), g.const([1] * len(sizes), it)))
    if all(s >= 0 for s in sizes):
        y = g.reshape(y, sizes)
    return y


@register("core")
def slice(inputs, start_indices, shape):
    x = to_tensor(inputs, op="slice")
    sizes = static_ints(shape, "slice", "`shape`")
    if len(sizes) != x.ndim:
        raise ValueError(
            "`slice`: the number of dimensions in `inputs` must match the number of "
            f"dimensions in `shape` (inputs.shape={x.shape}, shape={sizes})"
        )
    start = _start_vector(start_indices, x.ndim, "slice")
    return apply("core.slice", _slice, [x, start], sizes=sizes)


def _grid(start, updates):
    """Indices ``start + position`` of every element of ``updates``, shape ``updates.shape + (rank,)``."""
    r = g.rank(updates)
    shape = g.shape_of(updates)
    cols = []
    for d in range(r):
        s = g.out(ov_ops.gather(start, g.i64([d]), g.i64(0)))
        pos = ov_ops.add(arange_of(g.dim(updates, d), g.dtype(start)), s)
        cols.append(g.unsqueeze_axes(g.broadcast_to_shape(along(g.out(pos), d, r), shape), (r,)))
    return g.out(ov_ops.concat(cols, r))


def _slice_update(x, start, updates):
    start = as_index(start)
    it = g.dtype(start)
    room = ov_ops.subtract(g.shape_of(x, it), g.shape_of(updates, it))
    start = ov_ops.minimum(ov_ops.maximum(start, g.const(0, it)), room)
    start = g.out(ov_ops.maximum(start, g.const(0, it)))
    axis = _only_partial_axis(x, updates)
    if axis is not None:
        # One index per slice instead of ScatterNDUpdate's one per element:
        # a decode step's KV-cache write costs half as much.
        s = g.out(ov_ops.gather(start, g.i64([axis]), g.i64(0)))
        rows = g.out(ov_ops.add(arange_of(g.dim(updates, axis), it), s))
        return scatter_axis(x, rows, updates, axis)
    return scatter_nd(x, _grid(start, updates), updates)


def _only_partial_axis(x, updates):
    """The one axis along which ``updates`` is shorter than ``x`` when every
    other axis matches statically (its start is then 0), else None."""
    partial = [
        d
        for d, (a, b) in enumerate(zip(g.static_shape(x), g.static_shape(updates)))
        if a is None or a != b
    ]
    return partial[0] if len(partial) == 1 else None


@register("core")
def slice_update(inputs, start_indices, updates):
    x = to_tensor(inputs, op="slice_update")
    updates = to_tensor(updates, x.dtype, op="slice_update")
    if updates.ndim != x.ndim:
        raise ValueError(
            f"`slice_update`: updates (shape {updates.shape}) must have the rank of "
            f"inputs (shape {x.shape})"
        )
    if x.ndim == 0:
        return updates
    start = _start_vector(start_indices, x.ndim, "slice_update")
    return apply("core.slice_update", _slice_update, [x, start, updates])


_REDUCTIONS = {None: "none", "add": "sum", "mul": "prod", "max": "max", "min": "min"}


def _scatter_nd(x, idx, updates, *, reduction):
    return scatter_nd(x, idx, updates, reduction)


def _scatter_into_zeros(idx, updates, *, shape):
    zeros = g.broadcast_to_shape(g.const(0, g.dtype(updates)), g.i64(list(shape)))
    return _scatter_nd(zeros, idx, updates, reduction="sum")


def _check_scatter(idx, updates, rank, op):
    k = idx.shape[-1] if idx.ndim else None
    if idx.ndim < 1 or (k is not None and k > rank):
        raise ValueError(
            f"`{op}`: indices of shape {idx.shape} do not index a tensor of rank {rank}"
        )


@register("core")
def scatter(indices, values, shape):
    idx = _index_tensor(indices, "scatter")
    values = to_tensor(values, op="scatter")
    shape = static_ints(shape, "scatter", "`shape`")
    _check_scatter(idx, values, len(shape), "scatter")
    return apply("core.scatter", _scatter_into_zeros, [idx, values], shape=shape)


@register("core")
def scatter_update(inputs, indices, updates, reduction=None):
    x = to_tensor(inputs, op="scatter_update")
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"`scatter_update`: unsupported reduction {reduction!r} "
            f"(use one of {list(_REDUCTIONS)})"
        )
    idx = _index_tensor(indices, "scatter_update")
    updates = to_tensor(updates, x.dtype, op="scatter_update")
    _check_scatter(idx, updates, x.ndim, "scatter_update")
    return apply(
        "core.scatter_update", _scatter_nd, [x, idx, updates], reduction=_REDUCTIONS[reduction]
    )
