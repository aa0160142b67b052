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


def const_like(value, like):
    """A scalar Constant of ``like``'s dtype."""
    return const(value, dtype(like))


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
    if to in dtypes.FLOAT8:
        return _to_float8(x, to)
    if dtype(x) in dtypes.FLOAT8 and to not in dtypes.FLOATS:
        return cast(cast(x, "float32"), to)  # float8 -> float32 is exact
    if to == "bool":
        return out(ov_ops.not_equal(x, const(0, dtype(x))))
    return out(ov_ops.convert(x, target))


# float8: (largest finite value, magnitude from which a cast overflows, whether
# that magnitude itself overflows).  The threshold is halfway from the largest
# value to the next step above it (480 for e4m3fn, where that pattern is NaN;
# 65536 for e5m2); the tie goes to even: to 448 (0b1.110) for e4m3fn, to the
# overflow for e5m2 (57344 is 0b1.11).  e4m3fn overflows to NaN (it has no
# infinity), e5m2 to +-inf.
_FLOAT8_RANGE = {
    "float8_e4m3fn": (448.0, 464.0, False),
    "float8_e5m2": (57344.0, 61440.0, True),
}


def _to_float8(x, to):
    """Convert to float8 rounding once to nearest even, as ml_dtypes and JAX do.

    OpenVINO's Convert narrows float32 to float8 through float16, so it rounds
    twice: a value just off a float8 midpoint lands on the midpoint in float16
    and the tie then goes to even, possibly the wrong way.  (Its float16 ->
    float8 step is exact.)  So: clamp to the float8 range, round to float16
    (``h``) and convert (``y``).  The neighbours of a midpoint ``h`` are ``y``
    and ``2h - y``; the latter is a float8 value exactly when ``h`` is a
    midpoint, and then the neighbour on the input's side of ``h`` is taken.
    Overflow and NaN (canonical, sign kept) are decided from the input.
    """
    src = dtype(x)
    target = dtypes.to_ov(to)
    if src in dtypes.FLOAT8:  # float8 -> float16 is exact, float16 -> float8 rounds once
        return out(ov_ops.convert(cast(x, "float16"), target))
    big, limit, tie_overflows = _FLOAT8_RANGE[to]
    beyond = ov_ops.greater_equal if tie_overflows else ov_ops.greater
    f16, f32 = dtypes.to_ov("float16"), dtypes.to_ov("float32")
    # float16/bfloat16 -> float32 is exact; integers beyond 2**24 overflow
    # float8 anyway; float64 goes through float32 as in ml_dtypes (NumPy's
    # astype, which host-side casts use) and in JAX without x64.
    x32 = cast(x, "float32")
    nan = ov_ops.not_equal(x32, x32)
    over = beyond(ov_ops.abs(x32), const(limit, "float32"))
    xc = ov_ops.clamp(x32, -big, big)
    h16 = ov_ops.convert(xc, f16)
    h = ov_ops.convert(h16, f32)
    y = ov_ops.convert(ov_ops.convert(h16, target), f32)
    other = ov_ops.subtract(ov_ops.multiply(h, const(2.0, "float32")), y)
    other_is_float8 = ov_ops.equal(
        ov_ops.convert(ov_ops.convert(ov_ops.convert(other, f16), target), f32), other)
    tie = ov_ops.logical_and(other_is_float8, ov_ops.not_equal(y, h))
    rounded = ov_ops.select(
        ov_ops.logical_and(tie, ov_ops.greater(xc, h)), ov_ops.maximum(y, other),
        ov_ops.select(ov_ops.logical_and(tie, ov_ops.less(xc, h)), ov_ops.minimum(y, other), y))
    inf = ov_ops.multiply(x32, const(np.inf, "float32"))  # +-inf where it overflows
    # float32 -> e4m3fn maps every NaN to the canonical one of its sign; back in
    # float32 that NaN converts to any float8 type as ml_dtypes does.
    canonical_nan = ov_ops.convert(ov_ops.convert(x32, dtypes.to_ov("float8_e4m3fn")), f32)
    result = ov_ops.select(nan, canonical_nan, ov_ops.select(over, inf, rounded))
    return out(ov_ops.convert(result, target))


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


def loop(count, body, carried, invariants=(), until=None):
    """``for i in range(count): carried = body(i, carried, invariants)`` as a Loop node.

    ``body`` receives the iteration index (an int64 scalar) and body-side
    Parameters for ``carried`` and ``invariants``; it returns the new carried
    values, plus, if ``until`` is set, a boolean scalar "keep going" as the
    last element.  Returns the final carried values.
    """
    carried = [out(c) for c in carried]
    invariants = [out(v) for v in invariants]
    it = ov_ops.parameter([], ov.Type.i64)
    c_params = [ov_ops.parameter(c.get_partial_shape(), c.get_element_type()) for c in carried]
    i_params = [ov_ops.parameter(v.get_partial_shape(), v.get_element_type()) for v in invariants]
    new = [out(n) for n in body(it.output(0), [p.output(0) for p in c_params],
                                  [p.output(0) for p in i_params])]
    go = new.pop() if until else out(ov_ops.constant(True))
    body_model = ov.Model([go] + new, [it] + c_params + i_params)
    loop = ov_ops.loop(i64(count), out(ov_ops.constant(True)))
    loop.set_function(body_model)
    loop.set_special_body_ports([0, 0])
    for p, c, n in zip(c_params, carried, new):
        loop.set_merged_input(p, c, n)
    for p, v in zip(i_params, invariants):
        loop.set_invariant_input(p, v)
    return [loop.get_iter_value(n, -1) for n in new]


def data_format(data_format):
    """``"channels_last"``/``"channels_first"``; ``None`` -> Keras's image_data_format."""
    # lazy: keras loads keras_ov.backend, which loads this module
    from keras.src.backend.config import standardize_data_format

    return standardize_data_format(data_format)


def one_hot(x, *, depth, axis, dtype):
    """One-hot of integer ``x`` along a new ``axis``, 1/0 in ``dtype``."""
    on, off = const(1, dtype), const(0, dtype)
    wide = dtypes.from_ov(x.get_element_type()) in ("int64", "uint64")  # (`dtype` is the argument)
    idx = x if wide else cast(x, "int32")
    return out(ov_ops.one_hot(idx, i64(depth), on, off, axis))
