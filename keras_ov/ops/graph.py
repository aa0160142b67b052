"""Named graph helpers, so translators read as what they do.

All take and return ``openvino.Output`` values.  ``ov_ops`` is the opset that
every translator uses.
"""

import numpy as np
import openvino as ov
import openvino.opset15 as ov_ops

from keras_ov.engine import dtypes, execute, scope
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


# Values computed through arithmetic that has no useful derivative (the exact
# rounding of a narrowing cast) but whose derivative is the identity of one
# source: ``keras_ov.autodiff`` sends their cotangent straight to that source,
# as JAX differentiates ``convert_element_type``.
STRAIGHT_THROUGH = scope.NodeTable()  # node instance id -> source Output
STRAIGHT_THROUGH_FLAG = "keras_ov_straight_through"
# Of those, values that stood for a narrower type the graph skipped (a float8
# quantize-dequantize pair computed in float32): their cotangent is rounded to
# that type on its way through, as JAX rounds the cotangent of a float8 value.
ROUND_COTANGENT = scope.NodeTable()  # node instance id -> Keras dtype


def straight_through(result, source, round_to=None):
    """Mark ``result`` (a fresh node's output) as ``source`` for gradients
    (with its cotangent rounded to ``round_to`` on the way, if given)."""
    node = result.get_node()
    node.get_rt_info()[STRAIGHT_THROUGH_FLAG] = True
    STRAIGHT_THROUGH[node.get_instance_id()] = source
    if round_to is not None:
        ROUND_COTANGENT[node.get_instance_id()] = round_to
    return result


def cast(x, to):
    """Convert to a Keras dtype; no node if already of that type.

    Narrowing to a low-precision float goes through ``round_to_float``, so that
    it rounds as NumPy/ml_dtypes do whatever the CPU's conversion kernels do.
    """
    target = dtypes.to_ov(to)
    if x.get_element_type() == target:
        return x
    src = dtype(x)
    if to in _NARROW_FLOATS and not _holds(to, src):
        return straight_through(round_to_float(x, to), x)
    if src in dtypes.FLOAT8 and to in _WIDER_THAN_FLOAT8 and _is_rounded(x):
        # Back from a float8 value this graph rounded itself: take the float32
        # value before that Convert (the target holds it), so a quantize-
        # dequantize pair leaves no float8 data in the graph and the graph
        # stays on the CPU plugin's kernels.
        rounded = x.get_node().input_value(0)
        return straight_through(out(ov_ops.convert(rounded, target)), _source_of(x), src)
    if src in dtypes.FLOAT8 and to not in dtypes.FLOATS:
        return cast(cast(x, "float32"), to)  # float8 -> float32 is exact
    if to == "bool":
        return out(ov_ops.not_equal(x, const(0, dtype(x))))
    return out(ov_ops.convert(x, target))


# Float types that hold every float8 value exactly.
_WIDER_THAN_FLOAT8 = ("float16", "bfloat16", "float32")


def _is_rounded(x):
    """True if ``x`` is the final Convert of ``round_to_float``."""
    if not isinstance(x, ov.Output):  # (a Parameter node of an eager graph)
        return False
    node = x.get_node()
    return (
        node.get_type_name() == "Convert"
        and STRAIGHT_THROUGH_FLAG in node.get_rt_info()
        and node.get_instance_id() in STRAIGHT_THROUGH
        and node.input_value(0).get_element_type() == ov.Type.f32
    )


def _source_of(x):
    return STRAIGHT_THROUGH[x.get_node().get_instance_id()]


# Low-precision floats: (significand bits, smallest subnormal, largest finite
# value, overflow threshold).  The threshold is halfway from the largest value
# to the next step above it; a value beyond it, or one that rounds (to even)
# past the largest value, overflows: to +-inf, or to NaN for e4m3fn, which has
# no infinity (as in ml_dtypes).
_NARROW_FLOATS = {
    "float16": (11, 2.0**-24, 65504.0, 65520.0),
    "bfloat16": (8, 2.0**-133, (2 - 2.0**-7) * 2.0**127, (2 - 2.0**-8) * 2.0**127),
    "float8_e4m3fn": (4, 2.0**-9, 448.0, 464.0),
    "float8_e5m2": (3, 2.0**-16, 57344.0, 61440.0),
}
# Sources whose every value the narrow type holds (a bare Convert is exact).
_HELD = {
    "float16": ("bool", "float8_e4m3fn", "float8_e5m2"),
    "bfloat16": ("bool", "float8_e4m3fn", "float8_e5m2"),
    "float8_e4m3fn": ("bool",),
    "float8_e5m2": ("bool",),
}
# Sources that float32 holds exactly; the others are rounded to float32 first
# and the double rounding undone (see ``round_to_float``).
_IN_FLOAT32 = (
    "bool",
    "int8",
    "int16",
    "uint8",
    "uint16",
    "float16",
    "bfloat16",
    "float32",
    *dtypes.FLOAT8,
)


def _holds(narrow, src):
    return src in _HELD[narrow]


def _f32(value):
    return const(value, "float32")


def round_to_float(x, to):
    """Convert to float16/bfloat16/float8 rounding once to nearest even, as
    NumPy and ml_dtypes do, on every CPU.

    OpenVINO's Convert kernels round differently by ISA (through float16 for
    float8, truncating float64 -> bfloat16, ...).  So the rounding is done here
    with float32 operations that are exact on every ISA, and the final Convert
    only sees values the target holds (or inf/NaN):

    * ``q``, the target's step at ``|y|``: ``(t + a) - t`` with ``t = a * 2**24``
      is ``2**(e+1)`` for ``a`` in ``[2**e, 2**(e+1))`` (0 if ``a`` is a power of
      two), so ``q = max(2**(e+1-p), smallest subnormal)``;
    * ``(y + M) - M`` with ``M = 1.5 * 2**23 * q`` rounds ``y`` to a multiple of
      ``q``, ties to even (the sum lies in the binade where float32's step is
      ``q``, and ``M / q`` is even).
    All products are by powers of two (exact), so a fused multiply-add changes
    nothing.  A zero result takes the input's sign; NaN keeps its sign.

    Sources float32 does not hold (float64, 32/64-bit integers) are first
    rounded to float32 (``y``), which cannot cross a target midpoint but can
    land on one: then the neighbour on the source value's side is taken.
    """
    p, tiny, big, limit = _NARROW_FLOATS[to]
    src = dtype(x)
    # Integers beyond 2**24 (not held by float32) overflow every target but
    # bfloat16: only float64 and bfloat16 need the double rounding undone.
    undo = src not in _IN_FLOAT32 and (src == "float64" or to == "bfloat16")
    if undo and src == "int32":
        # The CPU plugin compares int32 in float32: split x into two parts that
        # float32 holds, x == hi + lo exactly (y rounds their sum once).
        hi = cast(ov_ops.bitwise_and(x, i32(-256)), "float32")
        lo = cast(ov_ops.bitwise_and(x, i32(255)), "float32")
        y = out(ov_ops.add(hi, lo))
    else:
        y = cast(x, "float32")  # exact for _IN_FLOAT32
    nan = ov_ops.not_equal(y, y)
    yc = out(ov_ops.clamp(ov_ops.select(nan, _f32(0.0), y), -limit, limit))
    # bfloat16 reaches 2**128: round large values at a 2**-64 scale (exact).
    scaled = limit > 2.0**100
    if scaled:
        large = ov_ops.greater_equal(ov_ops.abs(yc), _f32(2.0**64))
        down = ov_ops.select(large, _f32(2.0**-64), _f32(1.0))
        up = ov_ops.select(large, _f32(2.0**64), _f32(1.0))
        ys = ov_ops.multiply(yc, down)
    else:
        ys = yc
    a = ov_ops.abs(ys)
    t = ov_ops.multiply(a, _f32(2.0**24))
    step = ov_ops.subtract(ov_ops.add(t, a), t)
    binade = ov_ops.select(ov_ops.equal(step, _f32(0.0)), ov_ops.multiply(a, _f32(2.0)), step)
    q = ov_ops.maximum(ov_ops.multiply(binade, _f32(2.0**-p)), _f32(tiny))
    m = ov_ops.multiply(q, _f32(1.5 * 2.0**23))
    r = ov_ops.subtract(ov_ops.add(ys, m), m)
    if undo:
        half = ov_ops.multiply(q, _f32(0.5))
        midpoint = ov_ops.equal(ov_ops.abs(ov_ops.subtract(ys, r)), half)
        if src == "int32":  # x - yc, exactly
            x, back = ov_ops.add(ov_ops.subtract(hi, yc), lo), _f32(0.0)
        else:  # (the reference path compares 64-bit values exactly)
            back = cast(yc, src)  # (yc is an integer when x is one and y != x)
        if src == "float64":  # (float64 comparisons on the reference path refuse NaN)
            x = ov_ops.select(ov_ops.is_nan(x), back, x)
        moved = ov_ops.logical_and(midpoint, ov_ops.not_equal(x, back))
        toward = ov_ops.select(
            ov_ops.greater(x, back), ov_ops.add(ys, half), ov_ops.subtract(ys, half)
        )
        r = ov_ops.select(moved, toward, r)
    if scaled:
        r = ov_ops.multiply(r, up)
    r = ov_ops.select(ov_ops.equal(r, _f32(0.0)), ov_ops.multiply(y, _f32(0.0)), r)
    over = ov_ops.logical_or(
        ov_ops.greater(ov_ops.abs(y), _f32(limit)), ov_ops.greater(ov_ops.abs(r), _f32(big))
    )
    if to == "float8_e4m3fn":
        overflow = ov_ops.select(ov_ops.less(y, _f32(0.0)), _f32(-np.nan), _f32(np.nan))
    else:
        overflow = ov_ops.multiply(y, _f32(np.inf))
    if to in dtypes.FLOAT8:
        # float32 -> e4m3fn maps every NaN to the one NaN of its sign; back in
        # float32 it converts to the canonical NaN of any float8 type.
        # Only NaN results are used, which the CPU plugin computes exactly.
        to_f8 = ov_ops.convert(y, dtypes.to_ov("float8_e4m3fn"))
        to_f8.get_rt_info()[execute.CPU_EXACT_FLAG] = True
        y = ov_ops.convert(to_f8, dtypes.to_ov("float32"))
    result = ov_ops.select(nan, y, ov_ops.select(over, overflow, r))
    converted = ov_ops.convert(result, dtypes.to_ov(to))
    if to in dtypes.FLOAT8:  # (the target holds every value of ``result``)
        converted.get_rt_info()[execute.CPU_EXACT_FLAG] = True
    return out(converted)


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
    if not len(shape) and x.get_partial_shape().rank.is_static:
        # To a scalar: a Squeeze (the CPU plugin dies compiling MatMul ->
        # Reshape to rank 0).
        return squeeze_axes(x, range(rank(x)))
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


def horner(coeffs, w):
    """The polynomial ``coeffs[0] * w**(n-1) + ... + coeffs[-1]`` at ``w``, by
    Horner's rule, in ``w``'s dtype."""
    p = const(coeffs[0], dtype(w))
    for c in coeffs[1:]:
        p = out(ov_ops.add(out(ov_ops.multiply(p, w)), const(c, dtype(w))))
    return p


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
    new = [
        out(n)
        for n in body(
            it.output(0), [p.output(0) for p in c_params], [p.output(0) for p in i_params]
        )
    ]
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
