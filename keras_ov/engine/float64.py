"""Exact float64 arithmetic for the reference executor, built from int64 kernels.

OpenVINO's reference kernels have float64 Multiply and Sqrt but no float64
Add, Subtract, Negative, Abs, ReduceSum, ReduceProd or CumSum, and the CPU
plugin computes float64 in float32.  This module fills the gap without leaving
OpenVINO:

* ``add_bits`` is IEEE-754 binary64 addition, round-to-nearest-even, with
  subnormals, signed zeros, infinities and NaN, written as an OpenVINO graph
  over the int64 bit patterns of its operands.  It uses only the int64 kernels
  the reference executor has exactly (Add, Subtract, Multiply, floor Divide,
  comparisons, Select, Gather): shifts are multiplications and floor divisions
  by powers of two, masks are remainders of those.
* Float64 reductions are lowered to pairwise trees of Add or Multiply nodes,
  which then run on ``add_bits`` or on the float64 Multiply kernel, and CumSum
  to a log-step scan of Adds.  Every step is one correctly rounded IEEE
  operation; the association is a tree (as in XLA's reductions) rather than
  NumPy's left-to-right loop, so results can differ from NumPy's in the last
  bits, and a product whose partial products leave the normal range can lose
  more.

Each lowering is an ``ov.Model`` that ``reference.ReferenceExecutable`` runs;
they are built once per (op, shapes) and kept in a small cache.
"""

import numpy as np
import openvino as ov
from openvino import opset15 as op

_MIN = -(2**63)
_EXP_ALL = 0x7FF << 52  # exponent field all ones: inf (fraction 0) or NaN
_NAN = 0x7FF8 << 48
_POW2 = op.constant(2 ** np.arange(63, dtype=np.int64))


def _c(v):
    return op.constant(np.int64(v))


def _i64(flag):
    return op.convert(flag, "i64")


def _pow2(k):
    """2**k for an int64 tensor ``k`` in [0, 62]."""
    return op.gather(_POW2, k, _c(0))


def _div(x, d):
    return op.divide(x, d)  # int64 Divide floors, like ``>>`` for x >= 0


def _mod(x, d):
    # not FloorMod: its int64 reference kernel goes through double (measured:
    # (2**55 + 13) mod 8 gives 0)
    return op.subtract(x, op.multiply(op.divide(x, d), d))


def _set_low_bit(q, flag):
    """``q | 1`` where ``flag`` (a sticky bit), for q >= 0."""
    return op.select(flag, op.add(op.subtract(q, _mod(q, _c(2))), _c(1)), q)


def _magnitude(bits):
    """(|x| bit pattern, sign flag) of float64 bit patterns."""
    negative = op.less(bits, _c(0))
    return op.select(negative, op.subtract(bits, _c(_MIN)), bits), negative


def negate_bits(bits):
    return op.select(op.less(bits, _c(0)), op.subtract(bits, _c(_MIN)), op.add(bits, _c(_MIN)))


def abs_bits(bits):
    return _magnitude(bits)[0]


def add_bits(a, b):
    """Bit pattern of the correctly rounded float64 sum of two bit patterns."""
    abs_a, neg_a = _magnitude(a)
    abs_b, neg_b = _magnitude(b)
    a_big = op.greater_equal(abs_a, abs_b)
    hi, lo = op.select(a_big, abs_a, abs_b), op.select(a_big, abs_b, abs_a)
    sign = op.select(a_big, neg_a, neg_b)
    differ = op.not_equal(neg_a, neg_b)

    def significand(mag):
        exp, frac = _div(mag, _c(2**52)), _mod(mag, _c(2**52))
        m = op.select(op.equal(exp, _c(0)), frac, op.add(frac, _c(2**52)))
        # three guard bits; subnormals share exponent 1 with the smallest normals
        return op.multiply(m, _c(8)), op.maximum(exp, _c(1))

    m_hi, e = significand(hi)
    m_lo, e_lo = significand(lo)
    # Align the smaller operand, folding the bits shifted out into a sticky bit.
    scale = _pow2(op.minimum(op.subtract(e, e_lo), _c(60)))
    m_lo = _set_low_bit(_div(m_lo, scale), op.not_equal(_mod(m_lo, scale), _c(0)))
    m = op.select(differ, op.subtract(m_hi, m_lo), op.add(m_hi, m_lo))

    # A carry out of bit 55 shifts right once (sticky).
    carry = op.greater_equal(m, _c(2**56))
    m = op.select(carry, _set_low_bit(_div(m, _c(2)), op.equal(_mod(m, _c(2)), _c(1))), m)
    e = op.add(e, _i64(carry))
    # Cancellation: shift left until bit 55 is set, but not below exponent 1
    # (the result is then subnormal).  Shifts only happen when the low guard
    # bits are exact, so shifting back right is lossless.
    shift = _c(0)
    for k in (32, 16, 8, 4, 2, 1):
        small = op.less(m, _c(2 ** (56 - k)))  # m * 2**k still below 2**56
        m = op.select(small, op.multiply(m, _c(2**k)), m)
        shift = op.add(shift, op.multiply(_i64(small), _c(k)))
    used = op.minimum(shift, op.subtract(e, _c(1)))
    m = _div(m, _pow2(op.minimum(op.subtract(shift, used), _c(62))))
    e = op.subtract(e, used)

    # Round to nearest, ties to even, on the three guard bits.
    guard, m = _mod(m, _c(8)), _div(m, _c(8))
    up = op.logical_or(
        op.greater(guard, _c(4)),
        op.logical_and(op.equal(guard, _c(4)), op.equal(_mod(m, _c(2)), _c(1))),
    )
    m = op.add(m, _i64(up))
    overflow = op.equal(m, _c(2**53))
    m = op.select(overflow, _div(m, _c(2)), m)
    e = op.add(e, _i64(overflow))

    field = op.select(op.greater_equal(m, _c(2**52)), e, _c(0))
    mag = op.add(op.multiply(field, _c(2**52)), _mod(m, _c(2**52)))
    mag = op.select(op.greater_equal(e, _c(2047)), _c(_EXP_ALL), mag)
    # x + (-x) is +0; -0 + -0 stays -0 (round to nearest).
    sign = op.logical_and(sign, op.logical_not(op.logical_and(differ, op.equal(m, _c(0)))))
    result = op.select(sign, op.add(mag, _c(_MIN)), mag)

    # inf and NaN: hi is the operand of larger magnitude, so it is the special one.
    inf_minus_inf = op.logical_and(differ, op.equal(lo, _c(_EXP_ALL)))
    special = op.select(
        op.logical_or(op.greater(hi, _c(_EXP_ALL)), inf_minus_inf),
        _c(_NAN),
        op.select(sign, _c(_EXP_ALL + _MIN), _c(_EXP_ALL)),
    )
    return op.select(op.greater_equal(hi, _c(_EXP_ALL)), special, result)


# -- lowerings of float64 nodes the reference kernels lack --------------------


def _bits_model(fn, shapes):
    params = [op.parameter(list(s), ov.Type.i64) for s in shapes]
    return ov.Model([fn(*params)], params, "keras_ov_float64_bits")


def _tree(x, n, combine, identity):
    """Combine the columns of the matrix ``x`` (n of them) pairwise down to one."""
    while n > 1:
        if n % 2:
            pad = op.constant(np.float64(identity))
            x = op.pad(x, _axis_pads(2, 1, 0), _axis_pads(2, 1, 1), "constant", pad)
            n += 1
        half = n // 2
        left = op.slice(x, _c1(0), _c1(half), _c1(1), _c1(-1))
        right = op.slice(x, _c1(half), _c1(n), _c1(1), _c1(-1))
        x = combine(left, right)
        n = half
    return x


def _c1(v):
    return op.constant(np.array([v], dtype=np.int64))


def _reduction_model(kind, shape, axes, keep_dims):
    combine, identity = {"ReduceSum": (op.add, -0.0), "ReduceProd": (op.multiply, 1.0)}[kind]
    rank = len(shape)
    axes = sorted({a % rank for a in axes}) if rank else []
    kept = [a for a in range(rank) if a not in axes]
    x = op.parameter(list(shape), ov.Type.f64)
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    outer = [shape[a] for a in kept]
    y = op.transpose(x, op.constant(np.array(kept + axes, dtype=np.int64)))
    rows = int(np.prod(outer, dtype=np.int64))
    y = op.reshape(y, op.constant(np.array([rows, n], dtype=np.int64)), False)
    if n:
        y = _tree(y, n, combine, identity)
    else:  # an empty sum is +0.0, an empty product 1.0
        empty = op.constant(np.float64(abs(identity)))
        y = op.broadcast(empty, op.constant(np.array([rows, 1], dtype=np.int64)))
    out_shape = [1 if a in axes else shape[a] for a in range(rank)] if keep_dims else outer
    y = op.reshape(y, op.constant(np.array(out_shape, dtype=np.int64)), False)
    return ov.Model([y], [x], "keras_ov_float64_reduction")


def _cumsum_model(shape, axis, exclusive, reverse):
    """Inclusive log-step scan of float64 Adds (Hillis-Steele)."""
    x = op.parameter(list(shape), ov.Type.f64)
    rank, n = len(shape), shape[axis]
    zero = op.constant(np.float64(-0.0))
    y = _flip(x, axis) if reverse else x
    if exclusive and n:
        head = op.slice(y, _c1(0), _c1(n - 1), _c1(1), _c1(axis))
        y = op.pad(head, _axis_pads(rank, axis, 1), _axis_pads(rank, axis, 0), "constant", zero)
    step = 1
    while step < n:
        head = op.slice(y, _c1(0), _c1(n - step), _c1(1), _c1(axis))
        shifted = op.pad(
            head, _axis_pads(rank, axis, step), _axis_pads(rank, axis, 0), "constant", zero
        )
        y = op.add(y, shifted)
        step *= 2
    if reverse:
        y = _flip(y, axis)
    return ov.Model([y], [x], "keras_ov_float64_cumsum")


def _flip(x, axis):
    return op.slice(x, _c1(-1), _c1(_MIN), _c1(-1), _c1(axis))


def _axis_pads(rank, axis, amount):
    pads = [0] * rank
    pads[axis] = amount
    return op.constant(np.array(pads, dtype=np.int64))


def _scatter_model(reduction, shapes, index_type):
    """ScatterNDUpdate with a sum/prod reduction, one update row at a time
    (duplicate indices accumulate in order, as in the reference kernel).
    GatherND has no reference kernel, so rows are addressed by flat index
    into the leading dims with Gather/ScatterUpdate."""
    data_shape, idx_shape, upd_shape = shapes
    data = op.parameter(list(data_shape), ov.Type.f64)
    idx = op.parameter(list(idx_shape), index_type)
    upd = op.parameter(list(upd_shape), ov.Type.f64)
    k = idx_shape[-1]
    n = int(np.prod(idx_shape[:-1], dtype=np.int64))
    lead, rest = list(data_shape[:k]), list(data_shape[k:])
    dims = op.constant(np.array(lead, dtype=np.int64))
    rows = op.reshape(op.convert(idx, "i64"), op.constant(np.array([n, k], dtype=np.int64)), False)
    rows = op.add(rows, op.multiply(op.convert(op.less(rows, _c(0)), "i64"), dims))  # -1 = last
    strides = np.cumprod([1] + lead[::-1], dtype=np.int64)[:-1][::-1].copy()
    flat = op.reduce_sum(op.multiply(rows, op.constant(strides)), _c1(1), False)  # [n]
    values = op.reshape(upd, op.constant(np.array([n, *rest], dtype=np.int64)), False)
    combine = op.add if reduction == "sum" else op.multiply
    y = op.reshape(
        data,
        op.constant(np.array([int(np.prod(lead, dtype=np.int64)), *rest], dtype=np.int64)),
        False,
    )
    for i in range(n):
        at = op.slice(flat, _c1(i), _c1(i + 1), _c1(1), _c1(0))
        value = op.slice(values, _c1(i), _c1(i + 1), _c1(1), _c1(0))
        y = op.scatter_update(y, at, combine(op.gather(y, at, _c(0)), value), _c(0))
    y = op.reshape(y, op.constant(np.array(data_shape, dtype=np.int64)), False)
    return ov.Model([y], [data, idx, upd], "keras_ov_float64_scatter")


_BITWISE = {
    "Add": add_bits,
    "Subtract": lambda a, b: add_bits(a, negate_bits(b)),
    "Negative": negate_bits,
    "Abs": abs_bits,
}
LOWERED = frozenset(_BITWISE) | {"ReduceSum", "ReduceProd", "CumSum", "ScatterNDUpdate"}


def lowering(kind, shapes, attrs):
    """An ``ov.Model`` computing the float64 node ``kind`` exactly.

    Bitwise kinds take and return int64 bit patterns; the others take and
    return float64 and are built from nodes that themselves lower.
    """
    if kind in _BITWISE:
        return _bits_model(_BITWISE[kind], shapes)
    if kind in ("ReduceSum", "ReduceProd"):
        axes, keep_dims = attrs
        return _reduction_model(kind, shapes[0], axes, keep_dims)
    if kind == "ScatterNDUpdate":
        reduction, index_type = attrs
        return _scatter_model(reduction, shapes, index_type)
    axis, exclusive, reverse = attrs
    return _cumsum_model(shapes[0], axis, exclusive, reverse)
