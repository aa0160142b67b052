"""Shape ops: data movement without arithmetic (ravel lives here).

Every op here moves elements without computing on them, so it is exact for
every dtype.  Translators use only opset ops that have reference kernels
(Reshape, Transpose, Concat, Gather, StridedSlice, Slice, Broadcast, Tile, Pad,
Split): Roll, GatherND, GatherElements and CumSum have none, so ``roll`` and
friends are written with Gather over computed indices instead.

Shape arithmetic goes through ``shape_of`` so traced graphs keep dynamic dims.
"""

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import concat_tensors, promote_all, stack_tensors, to_tensor
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.registry import apply, host_path, register

# -- helpers shared by shape, indexing and creation ops -----------------------


def scalar(x):
    """A 1-element tensor as a 0-d one (Range and friends want scalars)."""
    return g.out(ov_ops.squeeze(x, g.i64([0]))) if g.rank(x) == 1 else x


def arange_of(n, dtype="int64"):
    """``[0, 1, ..., n-1]`` for a (possibly runtime) count ``n``."""
    n = g.i64(n) if isinstance(n, (int, np.integer)) else scalar(n)
    return g.out(ov_ops.range(g.i64(0), n, g.i64(1), dtypes.to_ov(dtype)))


def index_dtype(*kinds):
    """int64 if any index source is wide, else int32.

    A Convert to int64 would send a whole graph to the (slow) reference
    kernels, so narrow indices stay int32 and shape values are converted down
    to them instead.
    """
    return "int64" if any(k in dtypes.WIDE for k in kinds) else "int32"


def as_index(idx, dtype=None):
    """An index tensor as int32/int64 (Gather and friends take no other)."""
    return g.cast(idx, dtype or index_dtype(g.dtype(idx)))


# OpenVINO's reference kernels lack these element types for Gather and
# ScatterNDUpdate; the data is widened to int32 around them (exactly).
_GATHER_WIDEN = ("int16", "uint16")


def gather(x, idx, axis):
    """Gather with int32/int64 indices and exact kernels for every dtype (no
    ``batch_dims``: see ``take_last``)."""
    x, dt = g.out(x), g.dtype(x)
    if dt in _GATHER_WIDEN:
        x = g.cast(x, "int32")
    y = g.out(ov_ops.gather(x, as_index(idx), g.i64(axis)))
    return g.cast(y, dt)


def take_last(x, index, check=True):
    """``x[..., index[..., j]]``: gather along the last axis, row by row.

    ``x`` (..., n) and ``index`` (..., k) have the same leading dims.  Written
    as one flat Gather with row offsets, never Gather with ``batch_dims``: the
    CPU plugin crashes on that when a batch dim is 1 (static shapes; a dynamic
    dim may be 1 at run time), and GatherElements has no reference kernel.
    With ``check``, negative indices count from the end and indices out of
    range give 0, as Gather does; without it they must be in [0, n).
    """
    index = g.cast(index, "int32")
    n = g.cast(ov_ops.gather(g.shape_of(x), g.i64(g.rank(x) - 1), g.i64(0)), "int32")
    lead = ov_ops.slice(g.shape_of(index), g.i64([0]), g.i64([-1]), g.i64([1]))
    rows = g.cast(ov_ops.reduce_prod(lead, g.i64([0]), False), "int32")
    row = ov_ops.multiply(ov_ops.range(g.i32(0), rows, g.i32(1), "i32"), n)
    offsets = g.reshape_to(g.out(row), g.out(ov_ops.concat([lead, g.i64([1])], 0)))
    valid = None
    if check:
        index = g.select(ov_ops.less(index, g.i32(0)), ov_ops.add(index, n), index)
        valid = g.out(
            ov_ops.logical_and(ov_ops.greater_equal(index, g.i32(0)), ov_ops.less(index, n))
        )
        index = g.select(valid, index, g.i32(0))
    y = gather(g.reshape(x, [-1]), g.out(ov_ops.add(index, offsets)), 0)
    return y if valid is None else g.select(valid, y, g.const(0, g.dtype(y)))


def _scatter_widened(x, updates, scatter):
    """``scatter(x, updates)`` with narrow integers widened to int32 around it
    (exactly), for the scatter kernels' element types."""
    x, dt = g.out(x), g.dtype(x)
    if dt in dtypes.NARROW_INTS:
        x, updates = g.cast(x, "int32"), g.cast(updates, "int32")
    return g.cast(g.out(scatter(x, updates)), dt)


def scatter_nd(x, idx, updates, reduction="none"):
    idx = as_index(idx)
    return _scatter_widened(x, updates, lambda x, u: ov_ops.scatter_nd_update(x, idx, u, reduction))


def scatter_axis(x, idx, updates, axis):
    """ScatterUpdate: the slices ``idx`` (1-D, distinct) of ``x`` along
    ``axis`` replaced by ``updates``."""
    idx = as_index(idx)
    return _scatter_widened(x, updates, lambda x, u: ov_ops.scatter_update(x, idx, u, g.i64(axis)))


def numel(x):
    """Element count as a 1-element int64 tensor."""
    return g.out(ov_ops.reduce_prod(g.shape_of(x), g.i64([0]), keep_dims=True))


def along(v, axis, ndim):
    """A 1-D tensor reshaped to broadcast along ``axis`` of a rank-``ndim`` tensor."""
    shape = [1] * ndim
    shape[axis] = -1
    return g.reshape(v, shape)


def reshape_collapsed(x, shape):
    """Reshape to a static shape, looking through a Reshape feeding ``x``.

    A chain of reshapes therefore emits one node, and reshaping to the
    current static shape emits none.
    """
    x, shape = g.out(x), tuple(int(d) for d in shape)
    if g.is_static(x) and g.static_shape(x) == shape:
        return x
    node = x.get_node()
    if node.get_type_name() == "Reshape":
        x = node.input_value(0)
        if g.is_static(x) and g.static_shape(x) == shape:
            return x
    return g.reshape(x, shape)


def flatten(x):
    return reshape_collapsed(x, (-1,)) if g.rank(x) != 1 else x


def _reshape_like(y, x):
    return g.reshape_to(y, g.shape_of(x))


def reshape_like(y, x):
    """``y`` reshaped to the (possibly dynamic) shape of ``x``."""
    if None not in x.shape:
        return reshape(y, x.shape)
    return apply("numpy.reshape_like", _reshape_like, [y, x])


def static_ints(values, op, what):
    """A tuple of Python ints from a list/tuple/array argument."""
    if hasattr(values, "shape") and not isinstance(values, np.ndarray):
        values = to_tensor(values, op=op).data
    arr = np.asarray(values)
    if arr.size == 0:
        return ()
    if arr.dtype.kind not in "iub":
        raise TypeError(f"`{op}`: {what} must be integers, got {values!r}")
    return tuple(int(v) for v in arr.reshape(-1))


def _axis(axis, ndim, op):
    return g.normalize_axis(axis, ndim, op)


# -- reshape family -------------------------------------------------------------


def _reshape(x, shape):
    return reshape_collapsed(x, shape)


def _reshape_dynamic(x, shape):
    # ``None`` entries copy the input's dimension at that position.
    parts = [g.dim(x, i) if d is None else g.i64([d]) for i, d in enumerate(shape)]
    return g.reshape_to(x, g.out(ov_ops.concat(parts, 0)))


def _check_newshape(x, shape, op):
    if sum(1 for d in shape if d == -1) > 1:
        raise ValueError(f"`{op}`: can only specify one unknown dimension (-1), got {shape}")
    if any(d is not None and d < -1 for d in shape):
        raise ValueError(f"`{op}`: invalid dimension in new shape {shape}")
    known = [d for d in shape if d is not None and d != -1]
    size = x.size
    if size is not None and None not in shape:
        n = int(np.prod(known)) if known else 1
        ok = (n == size) if -1 not in shape else (n != 0 and size % n == 0) or size == 0
        if not ok:
            raise ValueError(
                f"`{op}`: cannot reshape a tensor of shape {x.shape} (size {size}) "
                f"into shape {shape}"
            )


@register("numpy")
def reshape(x, newshape):
    x = to_tensor(x, op="reshape")
    if isinstance(newshape, (int, np.integer)):
        newshape = (newshape,)
    if hasattr(newshape, "shape") and not isinstance(newshape, (list, tuple)):
        newshape = static_ints(newshape, "reshape", "`newshape`")
    shape = tuple(None if d is None else int(d) for d in newshape)
    _check_newshape(x, shape, "reshape")
    if shape.count(None) == 1 and -1 not in shape:
        # One unknown dim (Flatten's `(batch, n)` on a dynamic batch): inferred.
        shape = tuple(-1 if d is None else d for d in shape)
    if None in shape:
        if len(shape) != x.ndim:
            raise ValueError(
                f"`reshape`: `None` in new shape {shape} needs a rank-{len(shape)} input"
            )
        return apply("numpy.reshape_dynamic", _reshape_dynamic, [x], shape=shape)
    if x.shape == shape:
        return x
    return apply("numpy.reshape", _reshape, [x], shape=shape)


@register("numpy")
def ravel(x):
    x = to_tensor(x, op="ravel")
    if x.ndim == 1:
        return x
    return apply("numpy.reshape", _reshape, [x], shape=(-1,))


@register("numpy")
def squeeze(x, axis=None):
    x = to_tensor(x, op="squeeze")
    if axis is None:
        axes = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        axes = g.normalize_axes(axis, x.ndim, "squeeze")
        for a in axes:
            if x.shape[a] not in (1, None):
                raise ValueError(
                    f"`squeeze`: cannot squeeze axis {a} of size {x.shape[a]} (shape {x.shape})"
                )
    if not axes:
        return x
    return apply("numpy.squeeze", g.squeeze_axes, [x], axes=axes)


@register("numpy")
def expand_dims(x, axis):
    x = to_tensor(x, op="expand_dims")
    axis = axis if isinstance(axis, (list, tuple)) else (axis,)
    axes = g.normalize_axes(axis, x.ndim + len(axis), "expand_dims")
    return apply("numpy.expand_dims", g.unsqueeze_axes, [x], axes=axes)


# -- axis permutations ----------------------------------------------------------


@register("numpy")
def transpose(x, axes=None):
    x = to_tensor(x, op="transpose")
    if axes is None:
        perm = tuple(range(x.ndim))[::-1]
    else:
        perm = tuple(_axis(a, x.ndim, "transpose") for a in axes)
        if sorted(perm) != list(range(x.ndim)):
            raise ValueError(
                f"`transpose`: axes {tuple(axes)} are not a permutation of the "
                f"{x.ndim} axes of a tensor of shape {x.shape}"
            )
    if perm == tuple(range(x.ndim)):
        return x
    return apply("numpy.transpose", g.transpose, [x], perm=perm)


@register("numpy")
def moveaxis(x, source, destination):
    x = to_tensor(x, op="moveaxis")
    src = source if isinstance(source, (list, tuple)) else (source,)
    dst = destination if isinstance(destination, (list, tuple)) else (destination,)
    if len(src) != len(dst):
        raise ValueError(
            f"`moveaxis`: `source` {source} and `destination` {destination} "
            "must have the same number of elements"
        )
    src = [_axis(a, x.ndim, "moveaxis") for a in src]
    dst = [_axis(a, x.ndim, "moveaxis") for a in dst]
    perm = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return transpose(x, perm)


@register("numpy")
def swapaxes(x, axis1, axis2):
    x = to_tensor(x, op="swapaxes")
    a = _axis(axis1, x.ndim, "swapaxes")
    b = _axis(axis2, x.ndim, "swapaxes")
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


# -- broadcasting, joining --------------------------------------------------------


def _broadcast_to(x, shape):
    return g.broadcast_to_shape(x, g.i64(list(shape)))


@register("numpy")
def broadcast_to(x, shape):
    x = to_tensor(x, op="broadcast_to")
    shape = (
        (shape,)
        if isinstance(shape, (int, np.integer))
        else static_ints(shape, "broadcast_to", "`shape`")
    )
    if len(shape) < x.ndim or any(
        s not in (1, None, t) for s, t in zip(x.shape[::-1], shape[::-1])
    ):
        raise ValueError(f"`broadcast_to`: cannot broadcast shape {x.shape} to {shape}")
    if x.shape == shape:
        return x
    return apply("numpy.broadcast_to", _broadcast_to, [x], shape=shape)


@register("numpy")
def concatenate(xs, axis=0):
    xs = promote_all(xs, "concatenate")
    if axis is None:
        return concat_tensors([ravel(x) for x in xs], 0, "concatenate")
    ndim = xs[0].ndim
    if ndim == 0:
        raise ValueError("`concatenate`: zero-dimensional tensors cannot be concatenated")
    if any(x.ndim != ndim for x in xs):
        raise ValueError(
            f"`concatenate`: all inputs must have the same rank, got shapes {[x.shape for x in xs]}"
        )
    axis = _axis(axis, ndim, "concatenate")
    for x in xs:
        for i, (d, d0) in enumerate(zip(x.shape, xs[0].shape)):
            if i != axis and None not in (d, d0) and d != d0:
                raise ValueError(
                    f"`concatenate`: shapes {[t.shape for t in xs]} differ outside axis {axis}"
                )
    return concat_tensors(xs, axis, "concatenate")


@register("numpy")
def stack(x, axis=0):
    return stack_tensors(promote_all(x, "stack"), axis, "stack")


def _at_least(x, ndim):
    """numpy's atleast_2d/3d placement of new axes."""
    if x.ndim >= ndim:
        return x
    if x.ndim == 0:
        return reshape(x, (1,) * ndim)
    if ndim == 2:
        return expand_dims(x, 0)
    if x.ndim == 1:
        return expand_dims(x, (0, 2))
    return expand_dims(x, 2)


@register("numpy")
def hstack(xs):
    xs = promote_all(xs, "hstack")
    xs = [_at_least(x, 1) for x in xs]
    return concatenate(xs, axis=0 if xs[0].ndim == 1 else 1)


@register("numpy")
def vstack(xs):
    return concatenate([_at_least(x, 2) for x in promote_all(xs, "vstack")], axis=0)


@register("numpy")
def dstack(xs):
    return concatenate([_at_least(x, 3) for x in promote_all(xs, "dstack")], axis=2)


@register("numpy")
def append(x1, x2, axis=None):
    x1, x2 = promote_all([x1, x2], "append")
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], axis=0)
    return concatenate([x1, x2], axis=axis)


# -- splitting ---------------------------------------------------------------


def _split(x, *, axis, lengths):
    parts = ov_ops.variadic_split(x, g.i64(axis), g.i64(list(lengths)))
    return list(parts.outputs())


def _split_lengths(x, indices_or_sections, axis, op, even):
    n = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        s = int(indices_or_sections)
        if s <= 0:
            raise ValueError(f"`{op}`: number of sections must be positive, got {s}")
        if n is None:
            if even:
                return (-1,) if s == 1 else None
            raise ValueError(f"`{op}`: splitting a dynamic axis into sections is not supported")
        if even and n % s:
            raise ValueError(
                f"`{op}`: array split does not result in an equal division "
                f"({n} elements into {s} sections)"
            )
        q, r = divmod(n, s)
        return tuple(q + 1 if i < r else q for i in range(s))
    cuts = static_ints(indices_or_sections, op, "split indices")
    if n is None:
        raise ValueError(f"`{op}`: splitting a dynamic axis at indices is not supported")
    bounds = [min(max(c + n if c < 0 else c, 0), n) for c in cuts]
    lengths, prev = [], 0
    for b in bounds + [n]:
        lengths.append(max(b - prev, 0))
        prev = max(prev, b)
    return tuple(lengths)


def _split_sections(x, *, axis, sections):
    return list(ov_ops.split(x, g.i64(axis), sections).outputs())


def _do_split(x, indices_or_sections, axis, op, even):
    x = to_tensor(x, op=op)
    if x.ndim == 0:
        raise ValueError(f"`{op}`: cannot split a 0-d tensor")
    axis = _axis(axis, x.ndim, op)
    lengths = _split_lengths(x, indices_or_sections, axis, op, even)
    if lengths is None:  # dynamic axis, even sections
        return list(
            apply(
                f"numpy.{op}_sections",
                _split_sections,
                [x],
                axis=axis,
                sections=int(indices_or_sections),
            )
        )
    if len(lengths) == 1:
        return [x]
    return list(apply("numpy.split", _split, [x], axis=axis, lengths=lengths))


@register("numpy")
def split(x, indices_or_sections, axis=0):
    return _do_split(x, indices_or_sections, axis, "split", even=True)


@register("numpy")
def array_split(x, indices_or_sections, axis=0):
    return _do_split(x, indices_or_sections, axis, "array_split", even=False)


@register("numpy")
def hsplit(x, indices_or_sections):
    x = to_tensor(x, op="hsplit")
    return _do_split(x, indices_or_sections, 0 if x.ndim == 1 else 1, "hsplit", even=True)


@register("numpy")
def vsplit(x, indices_or_sections):
    x = to_tensor(x, op="vsplit")
    if x.ndim < 2:
        raise ValueError(f"`vsplit`: needs a tensor of rank >= 2, got shape {x.shape}")
    return _do_split(x, indices_or_sections, 0, "vsplit", even=True)


@register("numpy")
def dsplit(x, indices_or_sections):
    x = to_tensor(x, op="dsplit")
    if x.ndim < 3:
        raise ValueError(f"`dsplit`: needs a tensor of rank >= 3, got shape {x.shape}")
    return _do_split(x, indices_or_sections, 2, "dsplit", even=True)


# -- reversing, rotating, rolling ------------------------------------------------


def reverse(x, axes):
    """``x`` reversed along ``axes`` (a Slice with step -1)."""
    if not axes:
        return x
    n = len(axes)
    return g.out(
        ov_ops.slice(x, g.i64([-1] * n), g.i64([-(2**63)] * n), g.i64([-1] * n), g.i64(list(axes)))
    )


@register("numpy")
def flip(x, axis=None):
    x = to_tensor(x, op="flip")
    axes = g.normalize_axes(axis, x.ndim, "flip")
    if not axes:
        return x
    return apply("numpy.flip", reverse, [x], axes=axes)


@register("numpy")
def fliplr(x):
    x = to_tensor(x, op="fliplr")
    if x.ndim < 2:
        raise ValueError(f"`fliplr`: needs a tensor of rank >= 2, got shape {x.shape}")
    return flip(x, 1)


@register("numpy")
def flipud(x):
    x = to_tensor(x, op="flipud")
    if x.ndim < 1:
        raise ValueError("`flipud`: needs a tensor of rank >= 1, got a 0-d tensor")
    return flip(x, 0)


@register("numpy")
def rot90(array, k=1, axes=(0, 1)):
    x = to_tensor(array, op="rot90")
    if x.ndim < 2:
        raise ValueError(f"`rot90`: input must have at least 2 dimensions, got shape {x.shape}")
    if len(axes) != 2:
        raise ValueError(f"`rot90`: `axes` must name two axes, got {axes}")
    a, b = (_axis(v, x.ndim, "rot90") for v in axes)
    if a == b:
        raise ValueError(f"`rot90`: `axes` must be two different axes, got {axes}")
    k = int(k) % 4
    if k == 0:
        return x
    if k == 2:
        return flip(x, (a, b))
    if k == 1:
        return swapaxes(flip(x, b), a, b)
    return flip(swapaxes(x, a, b), b)


def _roll(x, shift, *, axes):
    # Gather with (i - shift) mod n: Roll has no reference kernel.
    shift = as_index(shift)
    it = g.dtype(shift)
    for i, axis in enumerate(axes):
        n = g.cast(g.dim(x, axis), it)
        s = g.out(ov_ops.gather(shift, g.i64([i]), g.i64(0)))
        idx = ov_ops.floor_mod(ov_ops.subtract(arange_of(n, it), s), n)
        x = gather(x, g.out(idx), axis)
    return x


@register("numpy")
def roll(x, shift, axis=None):
    x = to_tensor(x, op="roll")
    if axis is None:
        return reshape_like(roll(ravel(x), shift, 0), x)
    axes = axis if isinstance(axis, (list, tuple)) else (axis,)
    axes = tuple(_axis(a, x.ndim, "roll") for a in axes)
    shift = to_tensor(shift, op="roll")
    if not dtypes.is_int(shift.dtype):
        raise TypeError(f"`roll`: `shift` must be integers, got dtype {shift.dtype}")
    shift = reshape(shift, (-1,))
    if shift.shape[0] not in (1, len(axes)) and len(axes) != 1:
        raise ValueError(f"`roll`: `shift` {shift.shape} and `axis` {axis} do not match")
    if len(axes) == 1 and shift.shape[0] not in (None, 1):
        raise ValueError(f"`roll`: one axis needs one shift, got {shift.shape[0]}")
    if shift.shape[0] == 1 and len(axes) > 1:
        shift = broadcast_to(shift, (len(axes),))
    return apply("numpy.roll", _roll, [x, shift], axes=axes)


# -- tiling and repeating ---------------------------------------------------------


def _tile(x, *, repeats):
    return g.out(ov_ops.tile(x, g.i64(list(repeats))))


@register("numpy")
def tile(x, repeats):
    x = to_tensor(x, op="tile")
    reps = (
        (int(repeats),)
        if isinstance(repeats, (int, np.integer))
        else static_ints(repeats, "tile", "`repeats`")
    )
    if any(r < 0 for r in reps):
        raise ValueError(f"`tile`: repeats must be non-negative, got {reps}")
    return apply("numpy.tile", _tile, [x], repeats=reps)


def _repeat_int(x, *, axis, count):
    shape = g.shape_of(x)
    y = g.unsqueeze_axes(x, (axis + 1,))
    target = g.out(
        ov_ops.concat(
            [
                g.out(ov_ops.slice(shape, g.i64([0]), g.i64([axis + 1]), g.i64([1]))),
                g.i64([count]),
                g.out(ov_ops.slice(shape, g.i64([axis + 1]), g.i64([2**62]), g.i64([1]))),
            ],
            0,
        )
    )
    y = g.broadcast_to_shape(y, target)
    # (not -1: that cannot be inferred when another dim is 0)
    along = ov_ops.multiply(
        ov_ops.slice(shape, g.i64([axis]), g.i64([axis + 1]), g.i64([1])), g.i64([count])
    )
    merged = g.out(
        ov_ops.concat(
            [
                g.out(ov_ops.slice(shape, g.i64([0]), g.i64([axis]), g.i64([1]))),
                g.out(along),
                g.out(ov_ops.slice(shape, g.i64([axis + 1]), g.i64([2**62]), g.i64([1]))),
            ],
            0,
        )
    )
    return g.reshape_to(y, merged)


def _repeat_each(x, repeats, *, axis):
    # Output position j takes element #{i : cumsum(repeats)[i] <= j}; the
    # cumulative sum is a masked ReduceSum (CumSum has no reference kernel).
    r = as_index(repeats)
    it = g.dtype(r)
    i = arange_of(g.shape_of(r), it)
    upper = ov_ops.less_equal(g.unsqueeze_axes(i, (1,)), g.unsqueeze_axes(i, (0,)))
    csum = ov_ops.reduce_sum(
        ov_ops.multiply(g.cast(g.out(upper), it), g.unsqueeze_axes(r, (1,))), g.i64([0]), False
    )
    total = g.out(ov_ops.reduce_sum(r, g.i64([0]), True))
    j = arange_of(total, it)
    below = ov_ops.less_equal(g.unsqueeze_axes(g.out(csum), (0,)), g.unsqueeze_axes(j, (1,)))
    idx = ov_ops.reduce_sum(g.cast(g.out(below), it), g.i64([1]), False)
    return gather(x, g.out(idx), axis)


@register("numpy")
def repeat(x, repeats, axis=None):
    x = to_tensor(x, op="repeat")
    if axis is None:
        x, axis = ravel(x), 0
    axis = _axis(axis, x.ndim, "repeat")
    if isinstance(repeats, (int, np.integer)):
        if repeats < 0:
            raise ValueError(f"`repeat`: repeats must be non-negative, got {repeats}")
        return apply("numpy.repeat", _repeat_int, [x], axis=axis, count=int(repeats))
    r = to_tensor(repeats, op="repeat")
    if not dtypes.is_int(r.dtype):
        raise TypeError(f"`repeat`: `repeats` must be integers, got dtype {r.dtype}")
    if r.ndim == 0 or r.shape == (1,):
        if not r.is_symbolic:
            return repeat(x, int(r.data.reshape(())), axis)
        r = broadcast_to(reshape(r, (1,)), (x.shape[axis],))
    if r.ndim != 1:
        raise ValueError(f"`repeat`: `repeats` must be 0-d or 1-d, got shape {r.shape}")
    return apply("numpy.repeat_each", _repeat_each, [x, r], axis=axis)


# -- padding --------------------------------------------------------------


def _pad(x, *value, begins, ends, mode, fill=None):
    pads = [g.i64(list(begins)), g.i64(list(ends))]
    if mode != "constant":
        return g.out(ov_ops.pad(x, *pads, mode))
    if not value:
        return g.out(ov_ops.pad(x, *pads, "constant", g.const(fill, g.dtype(x))))
    # A runtime pad value: the CPU plugin ignores a non-constant pad value,
    # so pad with zeros and select the value where a padded mask is False.
    zero = g.const(0, g.dtype(x))
    inside = ov_ops.pad(
        g.broadcast_to_shape(g.const(True, "bool"), g.shape_of(x)),
        *pads,
        "constant",
        g.const(False, "bool"),
    )
    return g.select(g.out(inside), g.out(ov_ops.pad(x, *pads, "constant", zero)), value[0])


_PAD_MODES = {
    "constant": "constant",
    "edge": "edge",
    "reflect": "reflect",
    "symmetric": "symmetric",
}


@register("numpy")
def pad(x, pad_width, mode="constant", constant_values=None):
    x = to_tensor(x, op="pad")
    if mode not in _PAD_MODES:
        raise NotImplementedError(
            f"`pad`: mode {mode!r} is not supported (use one of {sorted(_PAD_MODES)})"
        )
    if constant_values is not None and mode != "constant":
        raise ValueError(
            "`pad`: Argument `constant_values` can only be provided when "
            f"`mode == 'constant'` (got mode={mode!r})"
        )
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"`pad`: `pad_width` {pad_width!r} does not fit a tensor of rank {x.ndim}"
        ) from None
    if (widths < 0).any():
        raise ValueError(f"`pad`: `pad_width` must be non-negative, got {pad_width!r}")
    begins, ends = tuple(int(v) for v in widths[:, 0]), tuple(int(v) for v in widths[:, 1])
    if mode in ("reflect", "symmetric"):
        limit = 1 if mode == "reflect" else 0
        for d, b, e in zip(x.shape, begins, ends):
            if d is not None and max(b, e) > d - limit:
                raise NotImplementedError(
                    f"`pad`: {mode!r} padding wider than the axis ({d}) is not supported, got {pad_width!r}"
                )
    inputs, fill = [x], None
    if mode == "constant":
        value = to_tensor(0 if constant_values is None else constant_values, x.dtype, op="pad")
        if value.ndim:
            raise NotImplementedError("`pad`: only a scalar `constant_values` is supported")
        if value.is_symbolic:
            inputs.append(value)
        else:
            fill = value.data.item()
    return apply(
        "numpy.pad", _pad, inputs, begins=begins, ends=ends, mode=_PAD_MODES[mode], fill=fill
    )


# -- trivia ------------------------------------------------------------------


for _name in ("numpy.reshape", "numpy.ravel", "numpy.expand_dims", "numpy.squeeze"):
    host_path(
        _name,
        "on eager input the OpenVINO graph is built (and its shape inferred) "
        "but not run: a graph that only reshapes moves no data, so the result "
        "is the input's bytes under the new shape (execute.ViewExecutable); "
        "symbolic input keeps the graph",
    )
host_path(
    "numpy.view",
    "OpenVINO has no bitcast op; `view` reinterprets the bytes "
    "of a concrete tensor as a zero-copy NumPy view (no computation)",
)


@register("numpy")
def view(x, dtype=None):
    x = to_tensor(x, op="view")
    if dtype is None:
        return x
    dtype = dtypes.standardize(dtype)
    if x.is_symbolic:
        raise NotImplementedError(
            "`view`: a symbolic tensor cannot be reinterpreted (OpenVINO has no bitcast)"
        )
    data = x.data
    try:
        out = data.view(dtypes.to_numpy(dtype))
    except ValueError as e:
        raise ValueError(
            f"`view`: cannot view a tensor of shape {x.shape} and dtype {x.dtype} as {dtype}: {e}"
        ) from None
    return OVTensor(out, dtype=dtype)


@register("numpy")
def ndim(x):
    return to_tensor(x, op="ndim").ndim


def _size(x):
    return scalar(numel(x))


@register("numpy")
def size(x):
    x = to_tensor(x, op="size")
    if x.size is not None:
        return x.size
    return apply("numpy.size", _size, [x])
