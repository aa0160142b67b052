"""Element-wise ops against NumPy: op x dtype tables, plus the cases where the
CPU plugin and NumPy part ways (exact int32 division/comparison/power, narrow
int wrap-around, NaN propagation, signed zeros, uint32 bitwise ops)."""

import numpy as np
import pytest

from keras_ov.engine import dtypes
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops.registry import REGISTRY
from tests.helpers import op, symbolic

FLOATS = ["float16", "bfloat16", "float32"]
INTS = ["int8", "int16", "int32", "uint8", "uint16", "uint32"]


def data(shape, dtype, lo=-3.0, hi=3.0, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    np_dtype = dtypes.to_numpy(dtype)
    if dtype in INTS:
        lo = max(lo, np.iinfo(np_dtype).min)
        return rng.integers(int(lo), int(hi) + 1, shape).astype(np_dtype)
    return (rng.random(shape) * (hi - lo) + lo).astype(np_dtype)


def tol(dtype):
    return {"float16": 2e-3, "bfloat16": 1.6e-2}.get(dtype, 2e-6)


def check(got, expected, dtype, rtol=None):
    assert isinstance(got, OVTensor)
    assert got.dtype == dtype, (got.dtype, dtype)
    got = np.asarray(got)
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    if dtype in FLOATS:
        r = rtol or tol(dtype)
        np.testing.assert_allclose(
            got.astype(np.float64), np.asarray(expected, np.float64), rtol=r, atol=r
        )
    else:
        np.testing.assert_array_equal(got, np.asarray(expected).astype(got.dtype))


def inexact(dtype):
    return dtype if dtype in FLOATS else "float32"


def same(dtype):
    return dtype


def as64(x):
    return x.astype(np.float64)


# -- unary: name, numpy reference (on float64 for inexact ops), dtype rule, domain
UNARY = [
    ("negative", np.negative, same, (-3, 3), ["int8", "uint8", "float16"]),
    ("absolute", np.absolute, same, (-3, 3), ["bool", "int32", "uint16", "float32"]),
    ("fabs", lambda x: np.fabs(as64(x)), inexact, (-3, 3), ["int16", "float32", "bfloat16"]),
    ("sign", np.sign, same, (-3, 3), ["int8", "int32", "uint8", "float32"]),
    ("square", np.square, same, (-3, 3), ["int8", "int32", "uint8", "float32"]),
    ("sqrt", lambda x: np.sqrt(as64(x)), inexact, (0, 9), ["uint8", "float16", "float32"]),
    ("cbrt", lambda x: np.cbrt(as64(x)), inexact, (-8, 8), ["int32", "float32"]),
    ("reciprocal", lambda x: 1 / as64(x), inexact, (0.5, 3), ["float32", "float16"]),
    ("exp", lambda x: np.exp(as64(x)), inexact, (-3, 3), ["int8", "float32", "bfloat16"]),
    ("exp2", lambda x: np.exp2(as64(x)), inexact, (-3, 3), ["int32", "float32"]),
    ("expm1", lambda x: np.expm1(as64(x)), inexact, (-1e-3, 1e-3), ["float32"]),
    ("expm1", lambda x: np.expm1(as64(x)), inexact, (-5, 5), ["float32", "int8"]),
    ("log", lambda x: np.log(as64(x)), inexact, (1, 50), ["int32", "float32"]),
    ("log2", lambda x: np.log2(as64(x)), inexact, (1, 50), ["uint8", "float32"]),
    ("log10", lambda x: np.log10(as64(x)), inexact, (1, 50), ["int16", "float32"]),
    ("log1p", lambda x: np.log1p(as64(x)), inexact, (-1e-4, 1e-4), ["float32"]),
    ("log1p", lambda x: np.log1p(as64(x)), inexact, (0, 50), ["float32", "int32"]),
    ("sin", lambda x: np.sin(as64(x)), inexact, (-3, 3), ["int32", "float16"]),
    ("cos", lambda x: np.cos(as64(x)), inexact, (-3, 3), ["float32"]),
    ("tan", lambda x: np.tan(as64(x)), inexact, (-1, 1), ["float32"]),
    ("arcsin", lambda x: np.arcsin(as64(x)), inexact, (-0.9, 0.9), ["float32"]),
    ("arccos", lambda x: np.arccos(as64(x)), inexact, (-0.9, 0.9), ["float32"]),
    ("arctan", lambda x: np.arctan(as64(x)), inexact, (-3, 3), ["float32", "int8"]),
    ("sinh", lambda x: np.sinh(as64(x)), inexact, (-3, 3), ["float32"]),
    ("cosh", lambda x: np.cosh(as64(x)), inexact, (-3, 3), ["float32"]),
    ("tanh", lambda x: np.tanh(as64(x)), inexact, (-3, 3), ["float32"]),
    ("arcsinh", lambda x: np.arcsinh(as64(x)), inexact, (-3, 3), ["float32"]),
    ("arccosh", lambda x: np.arccosh(as64(x)), inexact, (1, 5), ["float32"]),
    ("arctanh", lambda x: np.arctanh(as64(x)), inexact, (-0.9, 0.9), ["float32"]),
    ("sinc", lambda x: np.sinc(as64(x)), inexact, (-3, 3), ["float32", "int8"]),
    ("deg2rad", lambda x: np.deg2rad(as64(x)), inexact, (-300, 300), ["int32", "float32"]),
    ("rad2deg", lambda x: np.rad2deg(as64(x)), inexact, (-3, 3), ["float32"]),
    ("i0", lambda x: np.i0(as64(x)), inexact, (-20, 20), ["float32"]),
    ("floor", lambda x: np.floor(as64(x)), inexact, (-3, 3), ["int8", "float32", "bfloat16"]),
    ("ceil", lambda x: np.ceil(as64(x)), inexact, (-3, 3), ["uint8", "float32"]),
    ("trunc", np.trunc, same, (-3, 3), ["int8", "float32", "float16"]),
    ("angle", lambda x: np.angle(as64(x)), inexact, (-3, 3), ["int32", "float32"]),
    ("bitwise_invert", np.invert, same, (-100, 100), ["bool", "int8", "int32", "uint8", "uint32"]),
    ("logical_not", np.logical_not, lambda d: "bool", (-2, 2), ["int32", "float32", "bool"]),
    ("signbit", np.signbit, lambda d: "bool", (-3, 3), ["int8", "uint8", "float32"]),
    ("isfinite", np.isfinite, lambda d: "bool", (-3, 3), ["int32", "float32"]),
    ("real", np.real, same, (-3, 3), ["int32", "float32"]),
    ("imag", np.imag, same, (-3, 3), ["int32", "float32"]),
    ("copy", np.copy, same, (-3, 3), ["bool", "float16"]),
]
UNARY_CASES = [(n, f, r, dom, d) for n, f, r, dom, ds in UNARY for d in ds]


@pytest.mark.parametrize(
    "name,ref,rule,domain,dtype", UNARY_CASES, ids=[f"{c[0]}-{c[4]}-{c[3][1]}" for c in UNARY_CASES]
)
def test_unary_matches_numpy(name, ref, rule, domain, dtype):
    x = data((2, 3, 4), dtype, *domain)
    check(op(name)(x), ref(x), rule(dtype))


# -- binary: name, numpy reference, dtype rule, domain, dtypes -----------------------------
def promoted(d1, d2):
    return dtypes.promote(np.zeros(1, dtypes.to_numpy(d1)), np.zeros(1, dtypes.to_numpy(d2)))


BINARY = [
    (
        "add",
        np.add,
        "numeric",
        (-3, 3),
        [
            ("bool", "bool"),
            ("int8", "int8"),
            ("uint8", "int16"),
            ("float16", "float32"),
            ("int32", "float32"),
        ],
    ),
    (
        "subtract",
        np.subtract,
        "numeric",
        (-3, 3),
        [("int8", "int8"), ("uint8", "uint8"), ("float32", "float32")],
    ),
    (
        "multiply",
        np.multiply,
        "numeric",
        (-3, 3),
        [("bool", "bool"), ("int16", "int16"), ("bfloat16", "bfloat16")],
    ),
    (
        "divide",
        lambda a, b: as64(a) / b,
        "inexact",
        (1, 9),
        [("int32", "int32"), ("float16", "float16")],
    ),
    ("true_divide", lambda a, b: as64(a) / b, "inexact", (1, 9), [("uint8", "int8")]),
    (
        "floor_divide",
        np.floor_divide,
        "numeric",
        (-9, 9),
        [
            ("int8", "int8"),
            ("int32", "int32"),
            ("uint8", "uint8"),
            ("float32", "float32"),
            ("uint32", "uint32"),
        ],
    ),
    (
        "mod",
        np.mod,
        "numeric",
        (-9, 9),
        [("int8", "int8"), ("int32", "int32"), ("float32", "float32"), ("uint32", "uint32")],
    ),
    (
        "fmod",
        np.fmod,
        "numeric",
        (-9, 9),
        [("int16", "int16"), ("int32", "int32"), ("float32", "float32")],
    ),
    (
        "power",
        np.power,
        "numeric",
        (0, 5),
        [("int8", "int8"), ("int32", "int32"), ("uint32", "uint32"), ("float32", "float32")],
    ),
    (
        "maximum",
        np.maximum,
        "numeric",
        (-3, 3),
        [("bool", "bool"), ("int8", "uint8"), ("float32", "float32")],
    ),
    ("minimum", np.minimum, "numeric", (-3, 3), [("int32", "int32"), ("float16", "float16")]),
    ("fmax", np.fmax, "numeric", (-3, 3), [("int32", "int32"), ("float32", "float32")]),
    ("fmin", np.fmin, "numeric", (-3, 3), [("float32", "float32")]),
    (
        "arctan2",
        lambda a, b: np.arctan2(as64(a), b),
        "inexact",
        (-3, 3),
        [("float32", "float32"), ("int32", "int32")],
    ),
    (
        "hypot",
        lambda a, b: np.hypot(as64(a), b),
        "inexact",
        (-3, 3),
        [("float32", "float32"), ("int8", "int8")],
    ),
    (
        "logaddexp",
        lambda a, b: np.logaddexp(as64(a), b),
        "inexact",
        (-30, 30),
        [("float32", "float32")],
    ),
    (
        "logaddexp2",
        lambda a, b: np.logaddexp2(as64(a), b),
        "inexact",
        (-30, 30),
        [("float32", "float32")],
    ),
    (
        "heaviside",
        lambda a, b: np.heaviside(as64(a), b),
        "inexact",
        (-2, 2),
        [("int32", "int32"), ("float32", "float32")],
    ),
    (
        "divide_no_nan",
        lambda a, b: np.where(b == 0, 0, as64(a) / np.where(b == 0, 1, b)),
        "inexact",
        (-2, 2),
        [("int32", "int32"), ("float32", "float32")],
    ),
    (
        "bitwise_and",
        np.bitwise_and,
        "numeric",
        (0, 200),
        [("bool", "bool"), ("int8", "int8"), ("uint32", "uint32")],
    ),
    (
        "bitwise_or",
        np.bitwise_or,
        "numeric",
        (-100, 100),
        [("int32", "int32"), ("uint32", "uint8")],
    ),
    (
        "bitwise_xor",
        np.bitwise_xor,
        "numeric",
        (0, 100),
        [("int16", "int16"), ("uint32", "uint32")],
    ),
    (
        "left_shift",
        np.left_shift,
        "numeric",
        (0, 7),
        [("int8", "int8"), ("int32", "int32"), ("uint32", "uint32")],
    ),
    ("right_shift", np.right_shift, "numeric", (-64, 7), [("int8", "int8"), ("int32", "int32")]),
    ("gcd", np.gcd, "numeric", (-30, 30), [("int32", "int32"), ("uint8", "uint8")]),
    ("lcm", np.lcm, "numeric", (-12, 12), [("int32", "int32")]),
    ("logical_and", np.logical_and, "bool", (-1, 1), [("int32", "float32"), ("bool", "bool")]),
    ("logical_or", np.logical_or, "bool", (-1, 1), [("int8", "int8")]),
    ("logical_xor", np.logical_xor, "bool", (-1, 1), [("float32", "bool")]),
] + [
    (n, getattr(np, n), "bool", (-2, 2), [("int32", "int32"), ("bool", "float16")])
    for n in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")
]
BINARY_CASES = [(n, f, r, dom, d) for n, f, r, dom, ds in BINARY for d in ds]


@pytest.mark.parametrize(
    "name,ref,rule,domain,dtypes_",
    BINARY_CASES,
    ids=[f"{c[0]}-{c[4][0]}-{c[4][1]}" for c in BINARY_CASES],
)
def test_binary_matches_numpy(name, ref, rule, domain, dtypes_):
    d1, d2 = dtypes_
    a = data((2, 3, 4), d1, *domain, seed=1)
    b = data((3, 1), d2, *domain, seed=2)  # broadcasting
    if name in ("floor_divide", "mod", "fmod", "divide", "true_divide") and d2 != "bool":
        b = np.where(b == 0, 1, b).astype(b.dtype)
    if name in ("left_shift", "right_shift"):
        b = data((3, 1), d2, 0, 7, seed=2)
    want = {"bool": "bool", "numeric": promoted(d1, d2)}.get(rule) or inexact(promoted(d1, d2))
    if name in ("floor_divide", "mod", "power") and want == "bool":
        want = "int32"
    with np.errstate(all="ignore"):
        expected = ref(a, b)
    check(op(name)(a, b), expected, want)


# -- where the CPU plugin and NumPy part ways ------------------------------------------------
BIG = np.array(
    [2**31 - 1, -(2**31), 2**31 - 1, 16777217, -16777217, 123456789, 1073741823, 7, -7, 0], np.int32
)
BIG_D = np.array([2**30, -1, 1, 16777216, 3, -10007, 1073741824, -2, 2, 5], np.int32)


@pytest.mark.parametrize("name", ["floor_divide", "mod", "fmod"])
def test_int32_division_is_exact(name):
    rng = np.random.default_rng(0)
    a = np.concatenate([BIG, rng.integers(-(2**31), 2**31, 3000).astype(np.int32)])
    b = np.concatenate(
        [
            BIG_D,
            rng.integers(-(2**31), 2**31, 1500).astype(np.int32),
            rng.integers(-300, 300, 1500).astype(np.int32),
        ]
    )
    b = np.where(b == 0, 1, b).astype(np.int32)
    with np.errstate(all="ignore"):
        check(op(name)(a, b), getattr(np, name)(a, b), "int32")


def test_integer_division_by_zero_is_zero():
    a = np.array([5, -5, 0], np.int32)
    z = np.zeros(3, np.int32)
    for name in ("floor_divide", "mod", "fmod"):
        check(op(name)(a, z), [0, 0, 0], "int32")


@pytest.mark.parametrize(
    "name", ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
)
def test_int32_comparisons_are_exact(name):
    a = np.array([16777217, 2**31 - 1, -16777217, 1073741823, -(2**31), 5], np.int32)
    b = np.array([16777216, 2**31 - 2, -16777216, 1073741824, 2**31 - 1, 5], np.int32)
    check(op(name)(a, b), getattr(np, name)(a, b), "bool")


def test_int_power_is_exact_and_wraps():
    a = np.array([3, 3, -3, 2, 7, 1, -1, -1, 2, 0], np.int32)
    b = np.array([19, 20, 19, 30, 11, -5, -3, -4, -1, 0], np.int32)
    with np.errstate(all="ignore"):
        want = np.where(
            b < 0,
            np.where(a == 1, 1, np.where(a == -1, (-1) ** (-b % 2), 0)),
            np.power(a, np.maximum(b, 0)),
        )
    check(op("power")(a, b), want, "int32")


def test_narrow_ints_wrap_like_numpy():
    a = np.array([100, -100, 120, -128], np.int8)
    b = np.array([3, 3, 10, 1], np.int8)
    with np.errstate(all="ignore"):
        check(op("multiply")(a, b), a * b, "int8")
        check(op("add")(a, b), a + b, "int8")
        check(op("subtract")(a, b), a - b, "int8")
        check(op("absolute")(a), np.abs(a), "int8")
        check(
            op("negative")(np.array([0, 3, 255], np.uint8)),
            -np.array([0, 3, 255], np.uint8),
            "uint8",
        )


def test_nan_handling():
    a = np.array([np.nan, 1, 2, np.nan], np.float32)
    b = np.array([1, np.nan, 3, np.nan], np.float32)
    for name in ("maximum", "minimum", "fmax", "fmin"):
        check(op(name)(a, b), getattr(np, name)(a, b), "float32")
    check(op("clip")(a, 0, 1.5), np.clip(a, 0, 1.5), "float32")


def test_signed_zeros_and_infinities():
    inf = np.inf
    y = np.array([0.0, -0.0, 0.0, -0.0, 1, -1, inf, -inf, inf, 1, np.nan, 0], np.float32)
    x = np.array([1.0, 1.0, -1.0, -1.0, 0, 0, inf, -inf, -inf, np.nan, 1, -0.0], np.float32)
    got = np.asarray(op("arctan2")(y, x))
    want = np.arctan2(y, x)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert np.array_equal(np.signbit(got), np.signbit(want))
    v = np.array([0.0, -0.0, -1.1e-38, 2, -1, -np.inf], np.float32)
    check(op("signbit")(v), np.signbit(v), "bool")
    check(op("angle")(v), np.angle(v.astype(np.float64)), "float32")


def test_classification_and_nan_to_num():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -2.0], np.float32)
    for name in ("isfinite", "isinf", "isnan", "isneginf", "isposinf"):
        check(op(name)(x), getattr(np, name)(x), "bool")
        check(op(name)(np.arange(3, dtype=np.int32)), getattr(np, name)(np.arange(3)), "bool")
    check(op("nan_to_num")(x), np.nan_to_num(x), "float32")
    check(
        op("nan_to_num")(x, nan=2, posinf=3, neginf=4),
        np.nan_to_num(x, nan=2, posinf=3, neginf=4),
        "float32",
    )
    h = x.astype(np.float16)
    check(op("nan_to_num")(h), np.nan_to_num(h), "float16")


@pytest.mark.parametrize("decimals", [0, 1, 2, -1, -2])
def test_round_half_to_even(decimals):
    f = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1.25, 2.675, 123.456, -17.5], np.float32)
    check(op("round")(f, decimals), np.round(f, decimals), "float32")
    i = np.array([125, 135, -125, 15, 25, 2**31 - 1, -(2**31), 0, 7], np.int32)
    with np.errstate(all="ignore"):
        want = np.round(i.astype(np.int64), decimals).astype(np.int32)
    check(op("round")(i, decimals), want, "int32")
    with pytest.raises(TypeError, match="round"):
        op("round")(np.array([True]))


def test_shift_out_of_range():
    x = np.array([1, -1, 100, -100], np.int32)
    s = np.array([32, 40, 31, 35], np.int32)
    check(op("left_shift")(x, s), [0, 0, 0, 0], "int32")
    check(op("right_shift")(x, s), [0, -1, 0, -1], "int32")
    check(
        op("right_shift")(np.array([255, 128], np.uint8), np.array([1, 7], np.uint8)),
        [127, 1],
        "uint8",
    )


def test_isclose_allclose_where_clip():
    a = np.array([1.0, np.nan, np.inf, 1.0], np.float32)
    b = np.array([1.000001, np.nan, np.inf, 1.1], np.float32)
    for equal_nan in (False, True):
        check(
            op("isclose")(a, b, equal_nan=equal_nan), np.isclose(a, b, equal_nan=equal_nan), "bool"
        )
    check(op("isclose")(np.array([100, 5]), 101, rtol=0.1), [True, False], "bool")
    assert bool(op("allclose")(a[:1], b[:1])) and not bool(op("allclose")(a, b))
    c = np.array([True, False, True])
    check(op("where")(c, np.array([1, 2, 3], np.int8), 2.5), [1, 2.5, 3], "float32")
    with pytest.raises(ValueError, match="both"):
        op("where")(c, 1, None)
    check(op("clip")(np.array([-5, 0, 5], np.int32), -1, 2), [-1, 0, 2], "int32")
    check(op("clip")(np.array([True, False]), 0, 1), [1, 0], "int32")


def test_errors_name_the_op():
    with pytest.raises(TypeError, match="subtract"):
        op("subtract")(np.array([True]), np.array([False]))
    with pytest.raises(TypeError, match="bitwise_and"):
        op("bitwise_and")(np.array([1.0]), np.array([2.0]))
    with pytest.raises(TypeError, match="ldexp"):
        op("ldexp")(np.array([1.0]), np.array([2.0]))
    with pytest.raises(TypeError, match="negative"):
        op("negative")(np.array([True]))


def test_special_functions():
    x = np.array([1, 2, 3, 0.5], np.float32)
    e = np.array([4, -5, 6, 0], np.int32)
    check(op("ldexp")(x, e), np.ldexp(x, e), "float32")
    y = np.array([4, -5, 3, 0.5], np.float32)
    check(op("nextafter")(x, y), np.nextafter(x, y), "float32")
    p = np.array([1, 1, 0.5, 2, 0, 1e-30], np.float32)
    q = np.array([2, 0, 0, 0, 1, 0], np.float32)
    check(op("nextafter")(p, q), np.nextafter(p, q), "float32")
    big = np.array([2**31 - 1, 2**30 - 1, 0, 12], np.int32)
    check(
        op("gcd")(big, np.array([2**30, 2**30, 0, -18], np.int32)),
        np.gcd(big, np.array([2**30, 2**30, 0, -18])),
        "int32",
    )


def test_64bit_inputs_follow_keras_result_type():
    # Keras's result_type maps 64-bit dtypes to 32-bit ones (as its symbolic
    # compute_output_spec does); the op then runs compiled, not on reference kernels.
    check(op("add")(np.array([1, 2]), np.array([3, 4])), [4, 6], "int32")
    check(op("sin")(np.array([0.5, 1.0])), np.sin([0.5, 1.0]), "float32")


# -- symbolic shape and dtype inference ---------------------------------------------------------
@pytest.mark.parametrize(
    "name,args,shape,dtype",
    [
        ("add", ((None, 3, 1), (4,)), (None, 3, 4), "float32"),
        ("floor_divide", ((None, 3), (3,)), (None, 3), "float32"),
        ("mod", ((2, None), (1,)), (2, None), "float32"),
        ("power", ((None, 1), (5,)), (None, 5), "float32"),
        ("gcd", ((None, 3), (3,)), (None, 3), "int32"),
        ("sin", ((None, 3),), (None, 3), "float32"),
        ("isnan", ((None,),), (None,), "bool"),
        ("equal", ((None, 2), (2,)), (None, 2), "bool"),
    ],
)
def test_symbolic_shape_and_dtype(name, args, shape, dtype):
    in_dtype = "int32" if name == "gcd" else "float32"
    xs = [symbolic(s, in_dtype) for s in args]
    out = op(name)(*xs)
    assert out.is_symbolic and out.shape == shape and out.dtype == dtype


def test_registry_covers_the_area():
    names = """add subtract multiply divide true_divide divide_no_nan floor_divide mod fmod power
    negative absolute abs fabs sign signbit square sqrt cbrt reciprocal exp exp2 expm1 log log2
    log10 log1p logaddexp logaddexp2 sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh
    arcsinh arccosh arctanh sinc deg2rad rad2deg hypot heaviside i0 ldexp nextafter floor ceil
    round trunc clip maximum minimum fmax fmin equal not_equal less less_equal greater
    greater_equal isclose allclose isfinite isinf isnan isneginf isposinf isreal logical_and
    logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_invert
    bitwise_not bitwise_left_shift left_shift bitwise_right_shift right_shift gcd lcm where
    nan_to_num real imag conjugate conj angle copy""".split()
    assert [n for n in names if f"numpy.{n}" not in REGISTRY] == []
