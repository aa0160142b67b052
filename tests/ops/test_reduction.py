"""Reductions and statistics against NumPy: op x dtype x shape x axis tables."""

import warnings

import numpy as np
import pytest

from tests.helpers import op, symbolic


def data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 5, shape).astype(dtype)
    return (rng.random(shape) * 4 - 2).astype(dtype)


def check(got, expected, dtype=None, rtol=1e-5):
    got = np.asarray(got)
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    if dtype is not None:
        assert str(got.dtype) == dtype
    np.testing.assert_allclose(got.astype(float), np.asarray(expected, float), rtol=rtol, atol=1e-5)


# (shape, axis, keepdims): None, negative, empty and multi-axis reductions.
LAYOUTS = [
    ((5,), None, False),
    ((2, 3, 4), None, True),
    ((2, 3, 4), -1, False),
    ((2, 3, 4), (), False),
    ((2, 3, 4), (0, -1), True),
]
# name, numpy reference, result dtype per input dtype
REDUCTIONS = [
    (
        "sum",
        np.sum,
        {
            "int8": "int32",
            "bool": "int32",
            "uint8": "uint32",
            "int64": "int64",
            "float16": "float16",
        },
    ),
    ("prod", np.prod, {"int32": "int32", "float32": "float32"}),
    ("mean", np.mean, {"int8": "float32", "float16": "float16", "int64": "float32"}),
    ("max", np.max, {"bool": "bool", "int8": "int8", "int64": "int64", "float32": "float32"}),
    ("min", np.min, {"uint32": "uint32", "float32": "float32"}),
    ("all", np.all, {"bool": "bool", "float32": "bool"}),
    ("any", np.any, {"int32": "bool"}),
    ("var", np.var, {"int32": "float32", "float16": "float16"}),
    ("std", np.std, {"float32": "float32", "bool": "float32"}),
    ("ptp", np.ptp, {"int64": "int64", "float32": "float32"}),
    ("nansum", np.nansum, {"int8": "int32", "float32": "float32"}),
    ("nanmean", np.nanmean, {"float32": "float32"}),
    ("nanmax", np.nanmax, {"int32": "int32"}),
    ("median", np.median, {"int32": "float32", "float16": "float16"}),
]
CASES = [(n, f, d, r) for n, f, table in REDUCTIONS for d, r in table.items()]


@pytest.mark.parametrize("name,ref,dtype,result", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_reduction_matches_numpy(name, ref, dtype, result):
    rtol = 1e-2 if dtype == "float16" else 1e-5
    for shape, axis, keepdims in LAYOUTS:
        x = data(shape, dtype)
        expected = ref(
            x.astype(np.float64) if dtype == "float16" else x, axis=axis, keepdims=keepdims
        )
        check(op(name)(x, axis=axis, keepdims=keepdims), expected, result, rtol)


def test_keepdims_shapes_agree_across_reductions():
    x = data((2, 3), "float32")
    for name in ("sum", "max", "min", "mean", "prod", "var", "median", "all", "argmax"):
        assert op(name)(x, keepdims=True).shape == (1, 1), name
    assert op("argmax")(x).shape == ()


@pytest.mark.parametrize(
    "name,ref",
    [
        ("max", np.max),
        ("min", np.min),
        ("argmax", np.argmax),
        ("argmin", np.argmin),
        ("median", np.median),
        ("ptp", np.ptp),
    ],
)
def test_nan_propagates(name, ref):
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, -np.inf]], np.float32)
    for axis in (None, 0, 1):
        check(op(name)(x, axis=axis), ref(x, axis=axis))


@pytest.mark.parametrize(
    "name",
    [
        "nanmax",
        "nanmin",
        "nansum",
        "nanprod",
        "nanmean",
        "nanvar",
        "nanstd",
        "nanmedian",
        "nanargmax",
        "nanargmin",
    ],
)
def test_nan_variants_skip_nan(name):
    x = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, -np.inf], [4.0, 0.5, 1.0]], np.float32)
    ref = getattr(np, name)
    for axis in (None, 0, 1):
        check(op(name)(x, axis=axis), ref(x, axis=axis))


def test_all_nan_slices():
    x = np.array([[np.nan, np.nan], [1.0, np.nan]], np.float32)
    check(op("nanmax")(x, axis=1), [np.nan, 1.0])
    check(op("nanmean")(x, axis=1), [np.nan, 1.0])
    check(op("nanargmax")(x, axis=1), [-1, 0])
    check(op("nanargmin")(np.array([np.nan, -np.inf], np.float32)), 1)


def test_argmax_argmin_float32_edges():
    """float32 argmax/argmin by reductions (``reduction._first_best_index``):
    the first of tied entries, NaN first, signed zeros equal, and slices all
    -inf or all +inf (where the CPU plugin's ReduceMax/ReduceMin give
    -FLT_MAX/FLT_MAX, which no entry equals)."""
    rows = [
        [1.0, 3.0, 3.0, -2.0, 3.0],
        [-np.inf] * 5,
        [np.inf] * 5,
        [0.0, -0.0, -1.0, -0.0, 0.0],
        [2.0, np.nan, 5.0, np.nan, -np.inf],
        [-np.inf, np.inf, np.inf, -np.inf, 1.0],
    ]
    x = np.array(rows, np.float32)
    for name in ("argmax", "argmin"):
        for axis, keepdims in ((None, False), (0, False), (1, True), (-1, False)):
            check(
                op(name)(x, axis=axis, keepdims=keepdims),
                getattr(np, name)(x, axis=axis, keepdims=keepdims),
                "int32",
            )


@pytest.mark.parametrize("dtype", ["int8", "int64", "float32", "bool"])
def test_argmax_argmin(dtype):
    x = data((3, 4), dtype)
    for name in ("argmax", "argmin"):
        for axis, keepdims in ((None, False), (0, True), (-1, False), (None, True)):
            if True:
                check(
                    op(name)(x, axis=axis, keepdims=keepdims),
                    getattr(np, name)(x, axis=axis, keepdims=keepdims),
                    "int32",
                )


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "nancumsum", "nancumprod"])
@pytest.mark.parametrize(
    "dtype,result",
    [("bool", "int32"), ("int8", "int8"), ("int64", "int64"), ("float32", "float32")],
)
def test_cumulative(name, dtype, result):
    # Small values: narrow integer products must not overflow (the CPU plugin
    # saturates int8 arithmetic where NumPy wraps).
    x = data((3, 5), dtype) % 3 if dtype != "bool" else data((3, 5), dtype)
    for axis in (None, 1):
        expected = getattr(np, name)(x, axis=axis)
        check(op(name)(x, axis=axis), expected.astype(result), result)
    check(
        op(name)(x, axis=1, dtype="float32"),
        getattr(np, name)(x, axis=1, dtype="float32"),
        "float32",
    )


@pytest.mark.parametrize("name", ["quantile", "percentile", "nanquantile", "nanpercentile"])
@pytest.mark.parametrize("method", ["linear", "midpoint", "nearest"])
def test_quantiles(name, method):
    x = data((2, 3, 4), "float32")
    x[1, 1, 2] = np.nan if name.startswith("nan") else x[1, 1, 2]
    scale = 100 if "percentile" in name else 1
    ref = getattr(np, name)
    for q, axis, keepdims in (
        (0.5 * scale, None, False),
        (np.array([0.1, 0.5, 1.0], np.float32) * scale, (0, 2), True),
    ):
        if True:
            check(
                op(name)(x, q, axis=axis, method=method, keepdims=keepdims),
                ref(x, q, axis=axis, method=method, keepdims=keepdims),
            )


def test_count_nonzero_average_corrcoef_trapezoid():
    x = data((3, 4), "int32")
    for axis in (None, 0, 1, ()):
        check(op("count_nonzero")(x, axis=axis), np.count_nonzero(x, axis=axis), "int32")
    check(op("average")(x), np.average(x), "float32")
    check(
        op("average")(x, axis=1, weights=np.arange(4)), np.average(x, axis=1, weights=np.arange(4))
    )
    w = data((3, 4), "float32") + 3
    check(op("average")(x, axis=0, weights=w), np.average(x, axis=0, weights=w))
    y = data((4, 5), "float32")
    check(op("corrcoef")(y), np.corrcoef(y))
    check(op("trapezoid")(y), np.trapezoid(y))
    check(op("trapezoid")(y, dx=0.5, axis=0), np.trapezoid(y, dx=0.5, axis=0))
    t = np.cumsum(data((4, 5), "float32") + 3, axis=0)
    check(op("trapezoid")(y, x=t, axis=0), np.trapezoid(y, x=t, axis=0))


def test_max_min_initial_and_empty():
    x = data((2, 3), "int32")
    check(op("max")(x, initial=10), 10)
    check(op("min")(x, axis=0, initial=-1), np.min(x, axis=0, initial=-1))
    empty = np.zeros((1, 0), np.float32)
    check(op("max")(empty, initial=1.0, keepdims=True), np.max(empty, initial=1.0, keepdims=True))
    with pytest.raises(ValueError, match="`max`"):
        op("max")(empty)


@pytest.mark.parametrize("name", ["mean", "var", "std", "nanmean", "nanvar", "nanstd", "average"])
@pytest.mark.parametrize(
    "shape,axis", [((2, 0), 1), ((0,), None), ((0, 3), 0), ((2, 0, 3), (0, 1))]
)
def test_statistics_over_an_empty_axis_are_nan(name, shape, axis):
    # ReduceMean of nothing is 0; NumPy and JAX give NaN.
    x = np.zeros(shape, np.float32)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = getattr(np, name)(x, axis=axis)
    check(op(name)(x, axis=axis), want)


def test_moments_over_an_empty_axis_are_nan():
    from keras_ov.ops.registry import REGISTRY

    mean, var = REGISTRY["nn.moments"](np.zeros((2, 0), np.float32), [1])
    assert np.isnan(np.asarray(mean)).all() and np.isnan(np.asarray(var)).all()
    assert np.asarray(mean).shape == (2,)


def test_bad_arguments_name_the_op():
    x = data((2, 3), "float32")
    with pytest.raises(ValueError, match="`sum`"):
        op("sum")(x, axis=2)
    with pytest.raises(ValueError, match="`quantile`.*method"):
        op("quantile")(x, 0.5, method="cubic")
    with pytest.raises(TypeError, match="`ptp`"):
        op("ptp")(x > 0)
    with pytest.raises(ValueError, match="`average`"):
        op("average")(x, weights=np.ones(3))


@pytest.mark.parametrize(
    "name,args,kwargs,shape,dtype",
    [
        ("sum", (), {"axis": 1}, (None, 4), "int32"),
        ("mean", (), {"axis": (1, 2), "keepdims": True}, (None, 1, 1), "float32"),
        ("argmax", (), {"axis": -1}, (None, 3), "int32"),
        ("max", (), {}, (), "int8"),
        ("var", (), {"axis": 0}, (3, 4), "float32"),
        ("quantile", (np.array([0.2, 0.8], np.float32),), {"axis": 1}, (2, None, 4), "float32"),
        ("cumsum", (), {"axis": 1}, (None, 3, 4), "int8"),
    ],
)
def test_symbolic_shape_and_dtype(name, args, kwargs, shape, dtype):
    x = symbolic((None, 3, 4), "int8")
    out = op(name)(x, *args, **kwargs)
    assert out.is_symbolic and out.shape == shape and out.dtype == dtype


@pytest.mark.parametrize("name", ["nanprod", "nancumsum", "cumsum", "cumprod", "nancumprod"])
def test_float64_results_keep_float64_precision(name):
    # Keras keeps float64 for these; float32 rounding would miss by ~1e-8.
    x = np.array([[1.0 + 2**-40, np.nan, 3.0 + 2**-45], [1e-200, 2.0**60, -(2.0**-30)]])
    for axis in (None, 0, 1):
        got = np.asarray(op(name)(x, axis=axis))
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, getattr(np, name)(x, axis=axis), rtol=1e-15)


def test_corrcoef_of_one_variable_is_a_scalar():
    # A 1-D input died in compile_model (SIGSEGV on MatMul -> Reshape to a
    # scalar); one row gave (1, 1), not NumPy's scalar.
    from tests.engine.test_empty_tensors import run_in_child

    out = run_in_child("""
        x = np.array([1.0, 2.0, 4.0], np.float32)
        for v in (x, x[None]):
            r = np.asarray(REGISTRY["numpy.corrcoef"](v))
            print(r.shape, round(float(r), 4))
    """)
    assert out.splitlines() == ["() 1.0", "() 1.0"]


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [0, 1, None])
def test_float32_argmax_stays_off_the_reference_kernels(name, axis):
    # (an int32 reduction would send the graph there: the CPU's is not exact,
    # and argmax sits in every train step with an accuracy metric)
    from keras_ov.engine import execute

    x = np.random.default_rng(0).standard_normal((4, 8192)).astype("float32")
    built = execute.counters["reference_built"]
    got = op(name)(x, axis=axis)
    assert execute.counters["reference_built"] == built
    np.testing.assert_array_equal(np.asarray(got), getattr(np, name)(x, axis=axis))
