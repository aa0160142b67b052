"""Element-wise ops: one table row each where the op is "cast, one opset call,
cast" (see ``skeletons.unary``/``binary``), a short translator otherwise.

Translators exist where NumPy semantics and the OpenVINO CPU plugin part ways:

* narrow integers (int8/16, uint8/16) *saturate* on the CPU plugin; NumPy
  wraps.  Integer arithmetic runs in int32 and converts back (Convert wraps):
  ``compute=_wrap``.
* the CPU plugin runs several int32 ops through float32, wrong above 2**24:
  Divide (which also truncates instead of flooring), Power, comparisons, and
  Select once fused with a comparison.  ``int_divmod`` corrects a float
  estimate with exact integer arithmetic, ``_int_power`` squares, ``_equal``/
  ``_less``/... compare through wrapping subtraction and Maximum, ``_sel``
  selects arithmetically.
* Maximum/Minimum drop NaNs; NumPy propagates them.
* there is no opset op for atan2, log1p, expm1, signbit, trunc, i0, nextafter.
* uint32 graphs run on reference kernels, which have no bitwise ops:
  ``_bitwise_arith`` works on bits split out arithmetically.

Dtypes follow Keras's ``result_type`` (``dtypes.promote``), which maps 64-bit
types to 32-bit ones, exactly as Keras's own symbolic ``compute_output_spec``.
"""

import math

import ml_dtypes
import numpy as np
import openvino as ov

from keras_ov.engine import dtypes
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.registry import alias, apply, register
from keras_ov.ops.skeletons import binary, unary
from keras_ov.ops.sorting import nonzero


# -- dtype rules (functions of the promoted dtype) -------------------------------
def _wrap(dt):
    """Integer arithmetic on narrow ints runs in int32 so it wraps like NumPy."""
    return dtypes.int32_if_narrow(dt)


def _bool_to_int32(dt):
    return "int32" if dt == "bool" else dt


def _wrap_bool_int32(dt):
    return _wrap(_bool_to_int32(dt))


def _int_to_floatx(dt):
    return dt if dtypes.is_float(dt) else dtypes.floatx()


# -- small graph helpers ---------------------------------------------------------
def _full(value, like, dtype=None):
    """``value`` broadcast to ``like``'s runtime shape."""
    return g.broadcast_to_shape(g.const(value, dtype or g.dtype(like)), g.shape_of(like))


def _sel(cond, a, b):
    """Select; for int32 data as ``b + cond * (a - b)`` in wrapping arithmetic, since
    the CPU plugin fuses Select with comparisons into float32 kernels that round
    int32 data above 2**24."""
    if g.dtype(a) != "int32":
        return g.out(ov_ops.select(cond, a, b))
    return g.out(ov_ops.add(b, ov_ops.multiply(g.cast(cond, "int32"), ov_ops.subtract(a, b))))


def _isnan(x):
    """NaN mask as ``not (x == x)``: the CPU plugin fuses Equal into the
    element-wise kernel around it, while IsNaN is a pass of its own over memory
    (the selects of a clip in Keras's int8 activation quantization: ~10% of a
    quantized BERT encoder)."""
    return g.out(ov_ops.logical_not(ov_ops.equal(x, x)))


def _require_ints(op, x, allow_bool=True):
    dt = g.dtype(x)
    if dt in dtypes.FLOATS or (dt == "bool" and not allow_bool):
        raise TypeError(
            f"`{op}` requires integer{' or bool' if allow_bool else ''} inputs, got {dt}"
        )


def _signbit(x):
    """Sign bit of a float, -0.0 included: min(x, 1/x) < 0 (NaN's sign is not observable)."""
    return g.out(
        ov_ops.less(ov_ops.minimum(x, ov_ops.divide(g.const_like(1, x), x)), g.const_like(0, x))
    )


# -- exact int32 comparisons ----------------------------------------------------------
# The CPU plugin compares int32 through float32 (16777217 == 16777216 there).
# Wrapping subtraction and Maximum are exact, and comparing with 0 is too.
def _equal(a, b):
    if g.dtype(a) != "int32":
        return g.out(ov_ops.equal(a, b))
    return g.out(ov_ops.equal(ov_ops.subtract(a, b), g.const_like(0, a)))


def _less(a, b):
    if g.dtype(a) != "int32":
        return g.out(ov_ops.less(a, b))
    return g.out(ov_ops.not_equal(ov_ops.subtract(ov_ops.maximum(a, b), a), g.const_like(0, a)))


def _less_equal(a, b):
    if g.dtype(a) != "int32":
        return g.out(ov_ops.less_equal(a, b))
    return g.out(ov_ops.equal(ov_ops.subtract(ov_ops.maximum(a, b), b), g.const_like(0, a)))


def _not_equal(a, b):
    return g.out(ov_ops.logical_not(_equal(a, b)))


def _greater(a, b):
    return _less(b, a)


def _greater_equal(a, b):
    return _less_equal(b, a)


# -- exact integer division -------------------------------------------------------
def int_divmod(a, b):
    """Floor quotient and remainder of int32 ``a``, ``b``; (0, 0) where b == 0.

    A float32 estimate of the quotient is corrected twice with exact (wrapping)
    int32 arithmetic, so the result is exact for every int32 input.
    """
    zero = g.out(ov_ops.equal(b, g.const_like(0, b)))
    b = _sel(zero, g.const_like(1, b), b)
    fb = g.cast(b, "float32")

    def estimate(n):
        return g.cast(g.out(ov_ops.floor(ov_ops.divide(g.cast(n, "float32"), fb))), "int32")

    q = estimate(a)
    r = g.out(ov_ops.subtract(a, ov_ops.multiply(q, b)))
    q = g.out(ov_ops.add(q, estimate(r)))
    r = g.out(ov_ops.subtract(a, ov_ops.multiply(q, b)))
    # q is now within 1 of floor(a / b): r must be 0 or carry b's sign, |r| < |b|.
    b_neg = g.out(ov_ops.less(b, g.const_like(0, b)))
    r_neg = g.out(ov_ops.less(r, g.const_like(0, r)))
    low = g.out(
        ov_ops.logical_and(ov_ops.not_equal(r, g.const_like(0, r)), ov_ops.not_equal(r_neg, b_neg))
    )
    high = _sel(b_neg, _less_equal(r, b), _greater_equal(r, b))
    one = g.const_like(1, q)
    q = _sel(low, g.out(ov_ops.subtract(q, one)), _sel(high, g.out(ov_ops.add(q, one)), q))
    r = _sel(low, g.out(ov_ops.add(r, b)), _sel(high, g.out(ov_ops.subtract(r, b)), r))
    zeros = g.const_like(0, q)
    return _sel(zero, zeros, q), _sel(zero, zeros, r)


def _floor_divide(a, b):
    dt = g.dtype(a)
    if dt in dtypes.FLOATS:
        return ov_ops.floor(ov_ops.divide(a, b))
    if dtypes.is_wide(dt):  # reference kernels: exact, floor semantics
        zero = g.out(ov_ops.equal(b, g.const_like(0, b)))
        return _sel(
            zero, g.const_like(0, a), g.out(ov_ops.divide(a, _sel(zero, g.const_like(1, b), b)))
        )
    return int_divmod(a, b)[0]


def _mod(a, b):
    dt = g.dtype(a)
    if dt in dtypes.FLOATS:
        return ov_ops.floor_mod(a, b)
    if dtypes.is_wide(dt):
        zero = g.out(ov_ops.equal(b, g.const_like(0, b)))
        return _sel(
            zero, g.const_like(0, a), g.out(ov_ops.floor_mod(a, _sel(zero, g.const_like(1, b), b)))
        )
    return int_divmod(a, b)[1]


def _fmod(a, b):
    dt = g.dtype(a)
    if dt in dtypes.FLOATS:
        return ov_ops.mod(a, b)
    if dtypes.is_wide(dt):
        zero = g.out(ov_ops.equal(b, g.const_like(0, b)))
        return _sel(
            zero, g.const_like(0, a), g.out(ov_ops.mod(a, _sel(zero, g.const_like(1, b), b)))
        )
    r = int_divmod(a, b)[1]
    # C remainder takes the dividend's sign: undo the floor adjustment.
    flip = g.out(
        ov_ops.logical_and(
            ov_ops.not_equal(r, g.const_like(0, r)),
            ov_ops.not_equal(
                ov_ops.less(r, g.const_like(0, r)), ov_ops.less(a, g.const_like(0, a))
            ),
        )
    )
    return _sel(flip, g.out(ov_ops.subtract(r, b)), r)


# -- exact integer power ------------------------------------------------------------
def _int_power(base, exp):
    """``base ** exp`` for int32 by squaring (wraps like NumPy; x ** -n -> 0 unless |x| == 1)."""
    zero, one = g.const_like(0, base), g.const_like(1, base)
    negative = g.out(ov_ops.less(exp, zero))
    e = _sel(negative, zero, exp)
    result = _full(1, base)
    b = base
    for _ in range(31):
        bit = g.out(ov_ops.equal(ov_ops.bitwise_and(e, one), one))
        result = _sel(bit, g.out(ov_ops.multiply(result, b)), result)
        b = g.out(ov_ops.multiply(b, b))
        e = g.out(ov_ops.bitwise_right_shift(e, one))
    odd = g.out(ov_ops.equal(ov_ops.bitwise_and(exp, one), one))
    minus_one = g.const_like(-1, base)
    inverse = _sel(
        g.out(ov_ops.equal(base, one)),
        one,
        _sel(g.out(ov_ops.equal(base, minus_one)), _sel(odd, minus_one, one), zero),
    )
    return _sel(negative, inverse, result)


def _power(a, b):
    dt = g.dtype(a)
    if dt in dtypes.FLOATS or dtypes.is_wide(dt):
        return ov_ops.power(a, b)
    return _int_power(a, b)


# -- arithmetic -----------------------------------------------------------------------
def _add(a, b):
    return ov_ops.logical_or(a, b) if g.dtype(a) == "bool" else ov_ops.add(a, b)


def _subtract(a, b):
    if g.dtype(a) == "bool":
        raise TypeError("`subtract` does not support bool inputs; use `logical_xor`")
    return ov_ops.subtract(a, b)


def _multiply(a, b):
    return ov_ops.logical_and(a, b) if g.dtype(a) == "bool" else ov_ops.multiply(a, b)


def _divide_no_nan(a, b):
    zero = g.out(ov_ops.equal(b, g.const_like(0, b)))
    return _sel(
        zero, g.const_like(0, a), g.out(ov_ops.divide(a, _sel(zero, g.const_like(1, b), b)))
    )


add = binary("add", _add, compute=_wrap)
subtract = binary("subtract", _subtract, compute=_wrap)
multiply = binary("multiply", _multiply, compute=_wrap)
divide = binary("divide", ov_ops.divide, rule="inexact")
true_divide = binary("true_divide", ov_ops.divide, rule="inexact")
divide_no_nan = binary("divide_no_nan", _divide_no_nan, rule="inexact")
floor_divide = binary(
    "floor_divide", _floor_divide, compute=_wrap_bool_int32, result=_bool_to_int32
)
mod = binary("mod", _mod, compute=_wrap_bool_int32, result=_bool_to_int32)
fmod = binary("fmod", _fmod, compute=_wrap_bool_int32, result=_bool_to_int32)
power = binary("power", _power, compute=_wrap_bool_int32, result=_bool_to_int32)


# -- sign and magnitude --------------------------------------------------------------
def _negative(x):
    dt = g.dtype(x)
    if dt == "bool":
        raise TypeError("`negative` does not support bool inputs; use `logical_not`")
    if dtypes.is_unsigned(dt):  # (uint32 has no Negative reference kernel)
        return ov_ops.subtract(g.const_like(0, x), x)
    return ov_ops.negative(x)


def _absolute(x):
    dt = g.dtype(x)
    return x if dt == "bool" or dtypes.is_unsigned(dt) else ov_ops.abs(x)


def _sign(x):
    if g.dtype(x) == "bool":
        raise TypeError("`sign` does not support bool inputs")
    return ov_ops.sign(x)


def _signbit_op(x):
    dt = g.dtype(x)
    if dt in dtypes.FLOATS:
        return _signbit(x)
    if dt in dtypes.SIGNED:
        return ov_ops.less(x, g.const_like(0, x))
    return _full(False, x, "bool")


def _square(x):
    return ov_ops.multiply(x, x)


negative = unary("negative", _negative, compute=_wrap)
absolute = unary("absolute", _absolute, compute=_wrap)
alias("numpy", "abs", absolute)
fabs = unary("fabs", ov_ops.abs, compute=_int_to_floatx, result=_int_to_floatx)
sign = unary("sign", _sign)
signbit = unary("signbit", _signbit_op, result="bool")
square = unary("square", _square, compute=_wrap_bool_int32, result=_bool_to_int32)


# -- powers, exponentials, logarithms -----------------------------------------------------
def _cbrt(x):
    third = g.const_like(1.0 / 3.0, x)
    return ov_ops.multiply(ov_ops.sign(x), ov_ops.power(ov_ops.abs(x), third))


def _reciprocal(x):
    return ov_ops.divide(g.const_like(1, x), x)


def _exp2(x):
    return ov_ops.power(g.const_like(2, x), x)


def _log1p(x):
    """log(1 + x), accurate near 0: log(u) * x / (u - 1) with u = 1 + x."""
    one = g.const_like(1, x)
    u = g.out(ov_ops.add(x, one))
    d = g.out(ov_ops.subtract(u, one))
    exact = g.out(ov_ops.equal(d, g.const_like(0, x)))
    scaled = g.out(ov_ops.divide(ov_ops.multiply(ov_ops.log(u), x), _sel(exact, one, d)))
    # u == inf: log(u) * x / d is inf/inf; log(u) is the answer.
    scaled = _sel(g.out(ov_ops.is_inf(u)), g.out(ov_ops.log(u)), scaled)
    return _sel(exact, x, scaled)


def _expm1(x):
    """exp(x) - 1, accurate near 0: (u - 1) * x / log(u) with u = exp(x)."""
    one = g.const_like(1, x)
    u = g.out(ov_ops.exp(x))
    d = g.out(ov_ops.subtract(u, one))
    lu = g.out(ov_ops.log(u))
    exact = g.out(ov_ops.equal(u, one))
    scaled = g.out(ov_ops.divide(ov_ops.multiply(d, x), _sel(exact, one, lu)))
    scaled = _sel(g.out(ov_ops.is_inf(u)), u, scaled)
    scaled = _sel(g.out(ov_ops.equal(d, g.const_like(-1, x))), d, scaled)
    return _sel(exact, x, scaled)


def _log_base(base):
    def translator(x):
        return ov_ops.multiply(ov_ops.log(x), g.const_like(1.0 / math.log(base), x))

    return translator


def _logaddexp_with(log1p_exp, tie):
    def translator(a, b):
        m = g.out(ov_ops.maximum(a, b))
        d = g.out(ov_ops.negative(ov_ops.abs(ov_ops.subtract(a, b))))
        r = g.out(ov_ops.add(m, log1p_exp(d)))
        # a == b (infinities included): a + tie; NaN propagates through d.
        return _sel(g.out(ov_ops.equal(a, b)), g.out(ov_ops.add(a, g.const_like(tie, a))), r)

    return translator


sqrt = unary("sqrt", ov_ops.sqrt, rule="inexact")
cbrt = unary("cbrt", _cbrt, rule="inexact")
reciprocal = unary("reciprocal", _reciprocal, rule="inexact")
exp = unary("exp", ov_ops.exp, compute=_int_to_floatx, result=_int_to_floatx)
exp2 = unary("exp2", _exp2, compute=_int_to_floatx, result=_int_to_floatx)
expm1 = unary("expm1", _expm1, compute=_int_to_floatx, result=_int_to_floatx)
log = unary("log", ov_ops.log, rule="inexact")
log2 = unary("log2", _log_base(2), rule="inexact")
log10 = unary("log10", _log_base(10), rule="inexact")
log1p = unary("log1p", _log1p, rule="inexact")
logaddexp = binary(
    "logaddexp",
    _logaddexp_with(lambda d: _log1p(g.out(ov_ops.exp(d))), math.log(2)),
    rule="inexact",
)
logaddexp2 = binary(
    "logaddexp2",
    _logaddexp_with(
        lambda d: g.out(ov_ops.multiply(_log1p(_exp2(d)), g.const_like(1 / math.log(2), d))), 1.0
    ),
    rule="inexact",
)


# -- trigonometric and hyperbolic -----------------------------------------------------
def _arctan2(y, x):
    """atan(|y| / |x|) folded into the quadrant of (x, y), signed zeros included.

    Equal magnitudes are the special cases: both zero gives 0, both infinite
    (like any finite tie) pi/4.
    """
    ay, ax = g.out(ov_ops.abs(y)), g.out(ov_ops.abs(x))
    tie = _sel(
        g.out(ov_ops.equal(ax, g.const_like(0, x))),
        g.const_like(0, x),
        g.const_like(math.pi / 4, x),
    )
    base = _sel(g.out(ov_ops.equal(ay, ax)), tie, g.out(ov_ops.atan(ov_ops.divide(ay, ax))))
    base = _sel(_signbit(x), g.out(ov_ops.subtract(g.const_like(math.pi, x), base)), base)
    return ov_ops.multiply(_sel(_signbit(y), g.const_like(-1, y), g.const_like(1, y)), base)


def _sinc(x):
    px = g.out(ov_ops.multiply(x, g.const_like(math.pi, x)))
    zero = g.out(ov_ops.equal(x, g.const_like(0, x)))
    return _sel(
        zero,
        g.const_like(1, x),
        g.out(ov_ops.divide(ov_ops.sin(px), _sel(zero, g.const_like(1, x), px))),
    )


def _scale(factor):
    def translator(x):
        return ov_ops.multiply(x, g.const_like(factor, x))

    return translator


for _name, _fn in [
    ("sin", ov_ops.sin),
    ("cos", ov_ops.cos),
    ("tan", ov_ops.tan),
    ("arcsin", ov_ops.asin),
    ("arccos", ov_ops.acos),
    ("arctan", ov_ops.atan),
    ("sinh", ov_ops.sinh),
    ("cosh", ov_ops.cosh),
    ("tanh", ov_ops.tanh),
    ("arcsinh", ov_ops.asinh),
    ("arccosh", ov_ops.acosh),
    ("arctanh", ov_ops.atanh),
    ("sinc", _sinc),
    ("deg2rad", _scale(math.pi / 180)),
    ("rad2deg", _scale(180 / math.pi)),
]:
    unary(_name, _fn, rule="inexact")
arctan2 = binary("arctan2", _arctan2, rule="inexact")


def _angle(x):
    return _arctan2(g.const_like(0, x), x)


angle = unary("angle", _angle, rule="inexact")


# -- special functions ----------------------------------------------------------------
# Chebyshev coefficients of exp(-x) I0(x) on [0, 8] and of exp(-x) sqrt(x) I0(x)
# on (8, inf) (Cephes, as used by NumPy's i0).
_I0_A = (
    -4.41534164647933937950e-18,
    3.33079451882223809783e-17,
    -2.43127984654795469359e-16,
    1.71539128555513303061e-15,
    -1.16853328779934516808e-14,
    7.67618549860493561688e-14,
    -4.85644678311192946090e-13,
    2.95505266312963983461e-12,
    -1.72682629144155570723e-11,
    9.67580903537323691224e-11,
    -5.18979560163526290666e-10,
    2.65982372468238665035e-9,
    -1.30002500998624804212e-8,
    6.04699502254191894932e-8,
    -2.67079385394061173391e-7,
    1.11738753912010371815e-6,
    -4.41673835845875056359e-6,
    1.64484480707288970893e-5,
    -5.75419501008210370398e-5,
    1.88502885095841655729e-4,
    -5.76375574538582365885e-4,
    1.63947561694133579842e-3,
    -4.32430999505057594430e-3,
    1.05464603945949983183e-2,
    -2.37374148058994688156e-2,
    4.93052842396707084878e-2,
    -9.49010970480476444210e-2,
    1.71620901522208775349e-1,
    -3.04682672343198398683e-1,
    6.76795274409476084995e-1,
)
_I0_B = (
    -7.23318048787475395456e-18,
    -4.83050448594418207126e-18,
    4.46562142029675999901e-17,
    3.46122286769746109310e-17,
    -2.82762398051658348494e-16,
    -3.42548561967721913462e-16,
    1.77256013305652638360e-15,
    3.81168066935262242075e-15,
    -9.55484669882830764870e-15,
    -4.15056934728722208663e-14,
    1.54008621752140982691e-14,
    3.85277838274214270114e-13,
    7.18012445138366623367e-13,
    -1.79417853150680611778e-12,
    -1.32158118404477131188e-11,
    -3.14991652796324136454e-11,
    1.18891471078464383424e-11,
    4.94060238822496958910e-10,
    3.39623202570838634515e-9,
    2.26666899049817806459e-8,
    2.04891858946906374183e-7,
    2.89137052083475648297e-6,
    6.88975834691682398426e-5,
    3.36911647825569408990e-3,
    8.04490411014108831608e-1,
)


def _chebyshev(t, coefficients):
    """Clenshaw's recurrence, as Cephes' chbevl."""
    b0, b1, b2 = g.const_like(coefficients[0], t), g.const_like(0, t), None
    for c in coefficients[1:]:
        b2, b1 = b1, b0
        b0 = g.out(ov_ops.add(ov_ops.subtract(ov_ops.multiply(t, b1), b2), g.const_like(c, t)))
    return g.out(ov_ops.multiply(ov_ops.subtract(b0, b2), g.const_like(0.5, t)))


def _i0(x):
    a = g.out(ov_ops.abs(x))
    small = _chebyshev(
        g.out(ov_ops.subtract(ov_ops.multiply(a, g.const_like(0.5, a)), g.const_like(2, a))), _I0_A
    )
    safe = g.out(ov_ops.maximum(a, g.const_like(8, a)))  # keeps 32 / a finite on the unused branch
    large = g.out(
        ov_ops.divide(
            _chebyshev(
                g.out(
                    ov_ops.subtract(ov_ops.divide(g.const_like(32, a), safe), g.const_like(2, a))
                ),
                _I0_B,
            ),
            ov_ops.sqrt(safe),
        )
    )
    picked = _sel(g.out(ov_ops.less_equal(a, g.const_like(8, a))), small, large)
    return ov_ops.multiply(ov_ops.exp(a), picked)


i0 = unary("i0", _i0, rule="inexact")


def _heaviside(x1, x2):
    zero = g.const_like(0, x1)
    r = _sel(
        g.out(ov_ops.less(x1, zero)),
        zero,
        _sel(g.out(ov_ops.equal(x1, zero)), x2, g.const_like(1, x1)),
    )
    return _sel(_isnan(x1), x1, r)


def _hypot(a, b):
    a, b = g.out(ov_ops.abs(a)), g.out(ov_ops.abs(b))
    hi, lo = g.out(ov_ops.maximum(a, b)), g.out(ov_ops.minimum(a, b))
    zero = g.out(ov_ops.equal(hi, g.const_like(0, hi)))
    ratio = g.out(ov_ops.divide(lo, _sel(zero, g.const_like(1, hi), hi)))
    r = g.out(
        ov_ops.multiply(
            hi, ov_ops.sqrt(ov_ops.add(g.const_like(1, hi), ov_ops.multiply(ratio, ratio)))
        )
    )
    r = _sel(g.out(ov_ops.logical_or(_isnan(a), _isnan(b))), g.const_like(float("nan"), a), r)
    return _sel(
        g.out(ov_ops.logical_or(ov_ops.is_inf(a), ov_ops.is_inf(b))),
        g.const_like(float("inf"), a),
        r,
    )


heaviside = binary("heaviside", _heaviside, compute=_int_to_floatx, result=_int_to_floatx)
hypot = binary("hypot", _hypot, compute=_int_to_floatx, result=_int_to_floatx)


def _nextafter(x, y):
    """The next float after ``x`` towards ``y``, from the exponent of ``x``."""
    dt = g.dtype(x)
    info = ml_dtypes.finfo(dtypes.to_numpy(dt))
    mant = int(info.nmant)
    a = g.out(ov_ops.abs(x))
    tiny = g.const_like(float(info.smallest_subnormal), x)
    # exponent e with 2**e <= |x| < 2**(e+1), repaired after the float log2
    e = g.out(ov_ops.floor(ov_ops.multiply(ov_ops.log(a), g.const_like(1 / math.log(2), x))))
    two = g.const_like(2, x)
    p = g.out(ov_ops.power(two, e))
    e = _sel(g.out(ov_ops.greater(p, a)), g.out(ov_ops.subtract(e, g.const_like(1, x))), e)
    e = _sel(
        g.out(ov_ops.less_equal(ov_ops.multiply(p, two), a)),
        g.out(ov_ops.add(e, g.const_like(1, x))),
        e,
    )
    e = g.out(ov_ops.maximum(e, g.const_like(float(info.minexp), x)))
    ulp = g.out(ov_ops.power(two, ov_ops.subtract(e, g.const_like(mant, x))))
    # stepping towards zero from an exact power of two takes half an ulp
    towards_zero = g.out(ov_ops.less(ov_ops.abs(y), a))
    at_power = g.out(ov_ops.equal(a, ov_ops.power(two, e)))
    halve = g.out(
        ov_ops.logical_and(
            ov_ops.logical_and(towards_zero, at_power),
            ov_ops.greater(e, g.const_like(float(info.minexp), x)),
        )
    )
    ulp = _sel(halve, g.out(ov_ops.multiply(ulp, g.const_like(0.5, x))), ulp)
    direction = g.out(ov_ops.sign(ov_ops.subtract(y, x)))
    r = g.out(ov_ops.add(x, ov_ops.multiply(direction, ulp)))
    r = _sel(g.out(ov_ops.equal(x, g.const_like(0, x))), g.out(ov_ops.multiply(direction, tiny)), r)
    r = _sel(g.out(ov_ops.equal(x, y)), y, r)
    any_nan = g.out(ov_ops.logical_or(_isnan(x), _isnan(y)))
    return _sel(any_nan, g.const_like(float("nan"), x), r)


nextafter = binary("nextafter", _nextafter, rule="inexact")


def _ldexp(x1, x2):
    # two factors keep 2 ** x2 finite where x1 * 2 ** x2 still is
    half = g.cast(g.out(ov_ops.divide(x2, g.const(2, g.dtype(x2)))), g.dtype(x1))
    rest = g.out(ov_ops.subtract(g.cast(x2, g.dtype(x1)), half))
    two = g.const_like(2, x1)
    return ov_ops.multiply(ov_ops.multiply(x1, ov_ops.power(two, half)), ov_ops.power(two, rest))


@register("numpy")
def ldexp(x1, x2):
    a, b = to_tensor(x1, op="ldexp"), to_tensor(x2, op="ldexp")
    if not dtypes.is_int(b.dtype):
        raise TypeError(f"`ldexp`: the exponent must be an integer tensor, got dtype {b.dtype}")
    dt = dtypes.promote_inexact(x1, x2)
    b = to_tensor(b, "int32") if dtypes.is_wide(b.dtype) else b
    return apply("numpy.ldexp", _ldexp, [to_tensor(a, dt), b])


# -- rounding ---------------------------------------------------------------------------
def _trunc(x):
    if g.dtype(x) not in dtypes.FLOATS:
        return x
    return _sel(
        g.out(ov_ops.less(x, g.const_like(0, x))), g.out(ov_ops.ceiling(x)), g.out(ov_ops.floor(x))
    )


floor = unary("floor", ov_ops.floor, rule="inexact")
ceil = unary("ceil", ov_ops.ceiling, rule="inexact")
trunc = unary("trunc", _trunc)


def _round(x, decimals, result):
    if decimals == 0:
        out = ov_ops.round(x, "half_to_even")
    elif g.dtype(x) in dtypes.FLOATS:
        f = g.const_like(10.0 ** abs(decimals), x)
        scale, unscale = (
            (ov_ops.multiply, ov_ops.divide) if decimals > 0 else (ov_ops.divide, ov_ops.multiply)
        )
        out = unscale(ov_ops.round(scale(x, f), "half_to_even"), f)
    else:  # integers, decimals < 0: exact half-to-even on multiples of 10**-decimals
        f = g.const_like(10**-decimals, x)
        q = _floor_divide(x, f)
        r = g.out(ov_ops.subtract(x, ov_ops.multiply(q, f)))
        twice = g.out(ov_ops.multiply(r, g.const_like(2, r)))
        odd = g.out(ov_ops.equal(_mod(q, g.const_like(2, q)), g.const_like(1, q)))
        up = g.out(ov_ops.logical_or(_greater(twice, f), ov_ops.logical_and(_equal(twice, f), odd)))
        out = ov_ops.multiply(_sel(up, g.out(ov_ops.add(q, g.const_like(1, q))), q), f)
    return g.cast(g.out(out), result)


@register("numpy")
def round(x, decimals=0):
    x = to_tensor(x, op="round")
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"`round`: decimals must be an integer, got {decimals!r}")
    dt = dtypes.promote(x)
    if dt == "bool":
        raise TypeError("`round` does not support bool inputs")
    if dtypes.is_int(dt):
        if decimals >= 0:
            return to_tensor(x, dt)
        if 10**-decimals > np.iinfo(dtypes.to_numpy(dt)).max:
            return multiply(x, 0)
        compute = _wrap(dt)
    else:
        compute = "float32" if dt in ("float16", "bfloat16") and decimals else dt
    return apply("numpy.round", _round, [to_tensor(x, compute)], decimals=int(decimals), result=dt)


# -- comparisons and selection -----------------------------------------------------------
def _nan_propagating(fn):
    def translator(a, b):
        r = g.out(fn(a, b))
        if g.dtype(a) in dtypes.FLOATS:
            r = _sel(_isnan(a), a, _sel(_isnan(b), b, r))
        return r

    return translator


def _nan_ignoring(fn):
    def translator(a, b):
        r = g.out(fn(a, b))
        if g.dtype(a) in dtypes.FLOATS:
            r = _sel(_isnan(a), b, _sel(_isnan(b), a, r))
        return r

    return translator


def _bool_or(fn, bool_fn):
    def translator(a, b):
        return bool_fn(a, b) if g.dtype(a) == "bool" else fn(a, b)

    return translator


_maximum = _bool_or(_nan_propagating(ov_ops.maximum), ov_ops.logical_or)
_minimum = _bool_or(_nan_propagating(ov_ops.minimum), ov_ops.logical_and)
maximum = binary("maximum", _maximum)
minimum = binary("minimum", _minimum)
fmax = binary("fmax", _bool_or(_nan_ignoring(ov_ops.maximum), ov_ops.logical_or))
fmin = binary("fmin", _bool_or(_nan_ignoring(ov_ops.minimum), ov_ops.logical_and))

equal = binary("equal", _equal, result="bool")
not_equal = binary("not_equal", _not_equal, result="bool")
less = binary("less", _less, result="bool")
less_equal = binary("less_equal", _less_equal, result="bool")
greater = binary("greater", _greater, result="bool")
greater_equal = binary("greater_equal", _greater_equal, result="bool")


def _clip(x, lo, hi):
    if lo is not None:
        x = _maximum(x, lo)
    if hi is not None:
        x = _minimum(x, hi)
    return x


@register("numpy")
def clip(x, x_min, x_max):
    x = to_tensor(x, op="clip")
    dt = _bool_to_int32(dtypes.promote(x))
    bounds = [None if b is None else to_tensor(b, dt, op="clip") for b in (x_min, x_max)]
    present = [b for b in bounds if b is not None]

    def translator(x, *given):
        it = iter(given)
        lo, hi = [None if b is None else next(it) for b in bounds]
        return _clip(x, lo, hi)

    key = ("numpy.clip", tuple(b is None for b in bounds))
    return apply(key, translator, [to_tensor(x, dt)] + present)


def _isclose(a, b, rtol, atol, equal_nan):
    if g.dtype(a) not in dtypes.FLOATS:
        return _equal(a, b)
    diff = g.out(ov_ops.abs(ov_ops.subtract(a, b)))
    bound = g.out(
        ov_ops.add(g.const_like(atol, a), ov_ops.multiply(g.const_like(rtol, a), ov_ops.abs(b)))
    )
    close = g.out(ov_ops.logical_or(ov_ops.equal(a, b), ov_ops.less_equal(diff, bound)))
    if equal_nan:
        close = g.out(ov_ops.logical_or(close, ov_ops.logical_and(_isnan(a), _isnan(b))))
    return close


def _isclose_inputs(op, x1, x2, rtol, atol):
    dt = dtypes.promote(x1, x2)
    if dtypes.is_int(dt) and (rtol or atol):
        dt = dtypes.floatx()  # tolerances apply to integers too, as in NumPy
    for name, value in (("rtol", rtol), ("atol", atol)):
        if not isinstance(value, (int, float, np.number)) or isinstance(value, bool):
            raise TypeError(f"`{op}`: {name} must be a number, got {value!r}")
    return [to_tensor(to_tensor(x1, op=op), dt), to_tensor(to_tensor(x2, op=op), dt)]


@register("numpy")
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    inputs = _isclose_inputs("isclose", x1, x2, rtol, atol)
    return apply(
        "numpy.isclose",
        _isclose,
        inputs,
        rtol=float(rtol),
        atol=float(atol),
        equal_nan=bool(equal_nan),
    )


def _allclose(a, b, rtol, atol, equal_nan):
    close = g.out(_isclose(a, b, rtol, atol, equal_nan))
    flat = g.reshape(close, (-1,))
    return ov_ops.reduce_logical_and(flat, g.i64([0]), False)


@register("numpy")
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    inputs = _isclose_inputs("allclose", x1, x2, rtol, atol)
    return apply(
        "numpy.allclose",
        _allclose,
        inputs,
        rtol=float(rtol),
        atol=float(atol),
        equal_nan=bool(equal_nan),
    )


def _where(condition, x1, x2):
    return _sel(condition, x1, x2)


@register("numpy")
def where(condition, x1=None, x2=None):
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError(
            "`where`: `x1` and `x2` either both should be `None` or both "
            f"should have non-None value; got x1={x1!r}, x2={x2!r}"
        )
    dt = dtypes.promote(x1, x2)
    c = to_tensor(condition, op="where")
    return apply(
        "numpy.where",
        _where,
        [
            to_tensor(c, "bool"),
            to_tensor(to_tensor(x1, op="where"), dt),
            to_tensor(to_tensor(x2, op="where"), dt),
        ],
    )


# -- classification -----------------------------------------------------------------------
def _float_test(fn, other):
    """``fn(x)`` for floats; the constant ``other`` for integers and bools."""

    def translator(x):
        if g.dtype(x) in dtypes.FLOATS:
            return fn(x)
        return _full(other, x, "bool")

    return translator


def _isneginf(x):
    return ov_ops.logical_and(ov_ops.is_inf(x), ov_ops.less(x, g.const_like(0, x)))


def _isposinf(x):
    return ov_ops.logical_and(ov_ops.is_inf(x), ov_ops.greater(x, g.const_like(0, x)))


isfinite = unary("isfinite", _float_test(ov_ops.is_finite, True), result="bool")
isinf = unary("isinf", _float_test(ov_ops.is_inf, False), result="bool")
isnan = unary("isnan", _float_test(ov_ops.is_nan, False), result="bool")
isneginf = unary("isneginf", _float_test(_isneginf, False), result="bool")
isposinf = unary("isposinf", _float_test(_isposinf, False), result="bool")
isreal = unary("isreal", lambda x: _full(True, x, "bool"), result="bool")


def _nan_to_num(x, nan, posinf, neginf):
    if g.dtype(x) not in dtypes.FLOATS:
        return x
    x = _sel(_isnan(x), g.const_like(nan, x), x)
    x = _sel(g.out(_isposinf(x)), g.const_like(posinf, x), x)
    return _sel(g.out(_isneginf(x)), g.const_like(neginf, x), x)


@register("numpy")
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    x = to_tensor(x, op="nan_to_num")
    dt = dtypes.promote(x)
    if dt in dtypes.FLOATS:
        info = ml_dtypes.finfo(dtypes.to_numpy(dt))
        posinf = float(info.max) if posinf is None else float(posinf)
        neginf = float(info.min) if neginf is None else float(neginf)
    return apply(
        "numpy.nan_to_num",
        _nan_to_num,
        [to_tensor(x, dt)],
        nan=float(nan),
        posinf=posinf,
        neginf=neginf,
    )


# -- logical and bitwise --------------------------------------------------------------------
for _name, _fn in [
    ("logical_and", ov_ops.logical_and),
    ("logical_or", ov_ops.logical_or),
    ("logical_xor", ov_ops.logical_xor),
]:
    binary(_name, _fn, compute="bool", result="bool")
logical_not = unary("logical_not", ov_ops.logical_not, compute="bool", result="bool")


def _bits(x, n):
    """``x`` split into its ``n`` low bits along a new last axis, arithmetically."""
    powers = g.const([2**i for i in range(n)], g.dtype(x))
    column = g.unsqueeze_axes(x, [g.rank(x)])
    return g.out(ov_ops.floor_mod(ov_ops.divide(column, powers), g.const_like(2, x))), powers


def _bitwise_arith(combine):
    """A bitwise op on data with no bitwise kernels (uint32 on reference kernels)."""

    def translator(a, b):
        n = 8 * dtypes.to_numpy(g.dtype(a)).itemsize
        bits_a, powers = _bits(a, n)
        bits_b, _ = _bits(b, n)
        picked = g.out(combine(bits_a, bits_b))
        return ov_ops.reduce_sum(ov_ops.multiply(picked, powers), g.i64([-1]), False)

    return translator


def _bitwise(op_name, fn, arith_combine):
    arith = _bitwise_arith(arith_combine)

    def translator(a, b):
        _require_ints(op_name, a)
        return arith(a, b) if dtypes.is_wide(g.dtype(a)) else fn(a, b)

    return translator


bitwise_and = binary(
    "bitwise_and", _bitwise("bitwise_and", ov_ops.bitwise_and, ov_ops.multiply), params=("x", "y")
)
bitwise_or = binary(
    "bitwise_or", _bitwise("bitwise_or", ov_ops.bitwise_or, ov_ops.maximum), params=("x", "y")
)
bitwise_xor = binary(
    "bitwise_xor",
    _bitwise(
        "bitwise_xor",
        ov_ops.bitwise_xor,
        lambda x, y: g.cast(g.out(ov_ops.not_equal(x, y)), g.dtype(x)),
    ),
    params=("x", "y"),
)


def _bitwise_invert(x):
    _require_ints("bitwise_invert", x)
    dt = g.dtype(x)
    if dt == "bool":
        return ov_ops.logical_not(x)
    if dtypes.is_wide(dt) and dtypes.is_unsigned(dt):
        return ov_ops.subtract(g.const_like(np.iinfo(dtypes.to_numpy(dt)).max, x), x)
    if dtypes.is_wide(dt):  # ~x == -x - 1 in two's complement
        return ov_ops.subtract(ov_ops.negative(x), g.const_like(1, x))
    return ov_ops.bitwise_not(x)


bitwise_invert = unary("bitwise_invert", _bitwise_invert)
alias("numpy", "bitwise_not", bitwise_invert)


def _shift(op_name, left):
    def translator(x, s):
        _require_ints(op_name, x)
        dt = g.dtype(x)
        n = 8 * dtypes.to_numpy(dt).itemsize
        out_of_range = g.out(
            ov_ops.logical_or(
                ov_ops.less(s, g.const_like(0, s)), ov_ops.greater_equal(s, g.const_like(n, s))
            )
        )
        s_safe = _sel(out_of_range, g.const_like(0, s), s)
        if dtypes.is_wide(dt):  # no shift kernels: multiply/divide by 2 ** s
            factor = g.out(ov_ops.power(g.const_like(2, x), s_safe))
            shifted = g.out(ov_ops.multiply(x, factor) if left else ov_ops.divide(x, factor))
        else:
            fn = ov_ops.bitwise_left_shift if left else ov_ops.bitwise_right_shift
            shifted = g.out(fn(x, s_safe))
        fill = g.const_like(0, x)
        if not left and dt in dtypes.SIGNED:
            fill = _sel(g.out(ov_ops.less(x, g.const_like(0, x))), g.const_like(-1, x), fill)
        return _sel(out_of_range, fill, shifted)

    return translator


bitwise_left_shift = binary(
    "bitwise_left_shift",
    _shift("bitwise_left_shift", True),
    compute=_wrap_bool_int32,
    result=_bool_to_int32,
    params=("x", "y"),
)
bitwise_right_shift = binary(
    "bitwise_right_shift",
    _shift("bitwise_right_shift", False),
    compute=_bool_to_int32,
    result=_bool_to_int32,
    params=("x", "y"),
)
alias("numpy", "left_shift", bitwise_left_shift)
alias("numpy", "right_shift", bitwise_right_shift)


# -- gcd / lcm -------------------------------------------------------------------------------
def _gcd(a, b):
    """Euclid's algorithm in a Loop until every remainder is 0 (<= 64 steps).

    Runs in int64, hence on exact reference kernels: the CPU plugin computes
    int32 Loop bodies inexactly (gcd(2**30 - 1, 2**30) came out 2**30).
    """
    _require_ints("gcd", a, allow_bool=False)
    dt = g.dtype(a)
    a, b = g.cast(a, "int64"), g.cast(b, "int64")
    shape = g.shape_of(g.out(ov_ops.add(a, b)))
    a = g.broadcast_to_shape(g.out(ov_ops.abs(a)), shape)
    b = g.broadcast_to_shape(g.out(ov_ops.abs(b)), shape)

    def unfinished(r):
        flat = g.reshape(g.out(ov_ops.not_equal(r, g.const_like(0, r))), (-1,))
        return g.out(ov_ops.reduce_logical_or(flat, g.i64([0]), False))

    pa = ov_ops.parameter(a.get_partial_shape(), a.get_element_type())
    pb = ov_ops.parameter(b.get_partial_shape(), b.get_element_type())
    done = g.out(ov_ops.equal(pb.output(0), g.const_like(0, b)))  # finished pairs stay put
    na = _sel(done, pa.output(0), pb.output(0))
    nb = _mod(pa.output(0), pb.output(0))  # a mod 0 == 0
    loop = ov_ops.loop(g.i64(64), unfinished(b))
    loop.set_function(ov.Model([unfinished(nb), na, nb], [pa, pb]))
    loop.set_special_body_ports([-1, 0])
    loop.set_merged_input(pa, a, na)
    loop.set_merged_input(pb, b, nb)
    a, b = loop.get_iter_value(na, -1), loop.get_iter_value(nb, -1)
    return g.cast(g.out(ov_ops.maximum(a, b)), dt)  # b is 0 unless the loop never ran


def _lcm(a, b):
    _require_ints("lcm", a, allow_bool=False)
    d = _gcd(a, b)
    zero = g.out(ov_ops.equal(d, g.const_like(0, d)))
    q = _floor_divide(g.out(ov_ops.abs(a)), _sel(zero, g.const_like(1, d), d))
    return _sel(zero, g.const_like(0, d), g.out(ov_ops.multiply(q, ov_ops.abs(b))))


gcd = binary("gcd", _gcd, compute=_wrap)
lcm = binary("lcm", _lcm, compute=_wrap)


# -- complex parts and copies (real tensors only) ------------------------------------------------
def _identity(name):
    def op(x):
        return to_tensor(x, op=name)

    op.__name__ = op.__qualname__ = name
    return register("numpy", name)(op)


for _name in ("real", "conjugate", "conj", "copy"):
    _identity(_name)
imag = unary("imag", lambda x: _full(0, x))

del _name, _fn
