"""Indexing ops against NumPy: getitem, take, slices, scatters, triangles, diagonals."""

import numpy as np
import openvino as ov
import pytest

import keras
from keras import ops

from keras_ov.engine import execute
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import indexing as I
from keras_ov.ops.coerce import to_tensor
from tests.ops.test_shape import check, sample

X = np.arange(24).reshape(2, 3, 4).astype(np.int32)

KEYS = [
    1,
    -1,
    (1, 2, 3),
    slice(1, 2),
    (slice(None), 2),
    (None, Ellipsis, slice(3, 4), None),
    (Ellipsis, -1, 2),
    (Ellipsis, slice(-1, -2), 2),
    slice(None, None, -1),
    (slice(None), slice(None, None, -2)),
    (1, slice(None), [0, 2]),
    (slice(None), 1, [0, 2]),
    ([0, 1], [1, 2]),
    ([[0], [1]], slice(None), [1, 2]),
    ([1, 0],),
    (Ellipsis, [-1, 0]),
    (X[..., 0] > 5,),
    (slice(None), X[0] > 5),
    Ellipsis,
    (slice(5, 10),),
]


@pytest.mark.parametrize("key", KEYS, ids=[str(i) for i in range(len(KEYS))])
def test_getitem_matches_numpy(key):
    check(to_tensor(X)[key], X[key])


def test_getitem_with_tensor_indices():
    t = to_tensor(X)
    for i in (1, -2):
        idx = ops.convert_to_tensor(np.array(i, np.int32))
        check(t[idx, 1], X[i, 1])
    check(t[ops.convert_to_tensor(np.array([1, 0]))], X[[1, 0]])
    check(t[:, ops.convert_to_tensor(np.int32(2))], X[:, 2])
    flat = to_tensor(X.ravel())
    for i in (-3, 4):
        check(flat[ops.convert_to_tensor(np.array(i, np.int32))], X.ravel()[i])
    i, j = (ops.convert_to_tensor(np.array(v, np.int32)) for v in (-1, 2))
    check(t[None, i, ..., j], X[None, -1, ..., 2])


def test_getitem_errors():
    t = to_tensor(X)
    with pytest.raises(IndexError, match="getitem"):
        t[5]
    with pytest.raises(IndexError, match="getitem"):
        t[0, 0, 0, 0]
    with pytest.raises(IndexError, match="getitem"):
        t[1.5]
    with pytest.raises(ValueError, match="step"):
        t[::0]


def _symbolic(shape, dtype="float32"):
    p = execute.make_parameter([-1 if d is None else d for d in shape], dtype)
    return p, OVTensor(output=p.output(0))


@pytest.mark.parametrize(
    "key,want",
    [
        ((slice(None), 1), (None, 4)),
        ((Ellipsis, slice(1, 3)), (None, 3, 2)),
        ((None, slice(None, None, -1)), (1, None, 3, 4)),
        ((-1,), (3, 4)),
        ((slice(None), [0, 2, 1]), (None, 3, 4)),
    ],
)
def test_getitem_symbolic_dynamic_dims(key, want):
    _, x = _symbolic((None, 3, 4))
    assert x[key].shape == want


def test_getitem_symbolic_runs_like_numpy():
    p, x = _symbolic((None, 3, 4), "int32")
    q, i = _symbolic((), "int32")
    y = x[-1, ::-1, [0, 3]] + x[i, 0, i]
    model = ov.Model([y.output], [p, q])
    out = ov.Core().compile_model(model, "CPU")([X, np.array(-2, np.int32)])[0]
    np.testing.assert_array_equal(out, X[-1, ::-1, [0, 3]] + X[-2, 0, -2])


# -- take and friends ------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "uint16", "bfloat16", "float32"])
def test_take_family_matches_numpy(dtype):
    x = sample((3, 4), dtype)
    idx = np.array([[0, -1], [2, 1]])
    check(ops.take(x, idx, axis=1), np.take(x, idx, axis=1))
    check(ops.take(x, idx), np.take(x, idx))
    along = np.array([[0, 3, 1], [2, 2, 0], [1, 0, 3]])
    check(ops.take_along_axis(x, along, axis=1), np.take_along_axis(x, along, axis=1))
    check(
        ops.take_along_axis(x, np.array([[2, 0, 1, 1]]), axis=0),
        np.take_along_axis(x, np.array([[2, 0, 1, 1]]), axis=0),
    )
    check(ops.tril(x, -1), np.tril(x, -1))
    check(ops.triu(x, 1), np.triu(x, 1))
    check(ops.diagonal(x, 1), np.diagonal(x, 1))
    check(ops.diagonal(x, -1), np.diagonal(x, -1))
    check(ops.diag(x[0], -2), np.diag(x[0], -2))
    check(ops.diagflat(x[:2, :2], 1), np.diagflat(x[:2, :2], 1))


@pytest.mark.parametrize("index_dtype", ["int64", "uint32", "uint64"])
def test_wide_host_indices_that_fit_int32_run_compiled(index_dtype):
    x = np.arange(40, dtype=np.float32).reshape(8, 5)
    idx = np.array([7, 0, 3], index_dtype)
    keras.backend.clear_session()  # (empties the eager cache: every graph is built again)
    before = execute.counters["reference_built"]
    check(ops.take(x, idx, axis=0), np.take(x, idx, axis=0))
    check(
        ops.take_along_axis(x, np.array([[4], [0]] * 4, index_dtype), axis=1),
        np.take_along_axis(x, np.array([[4], [0]] * 4, index_dtype), axis=1),
    )
    check(ops.convert_to_tensor(x)[idx], x[idx])
    assert execute.counters["reference_built"] == before


def test_index_values_outside_int32_are_not_narrowed():
    t = I._index_tensor(np.array([0, 2**40]), "take")
    assert t.dtype == "int64"
    assert I._index_tensor(np.array([0, 5]), "take").dtype == "int32"
    idx, _ = ops.unravel_index(np.array([5, 7]), (2, 4))
    assert idx.dtype == "int64"  # numpy's intp, not narrowed


WIDE = [
    ("int64", [2**40 + 1, -(2**62), 7, 9]),
    ("uint32", [4_000_000_000, 1, 3_999_999_999, 5]),
    ("uint64", [2**63 + 5, 1, 2**64 - 1, 3]),
    ("float64", [1 / 3, 2**-1074, 1e300, -0.1]),
]


@pytest.mark.parametrize("dtype,values", WIDE, ids=[w[0] for w in WIDE])
def test_indexing_is_exact_for_wide_dtypes(dtype, values):
    x = np.array(values, dtype=dtype)
    m = x.reshape(2, 2)
    t = to_tensor(m)
    check(ops.take(x, np.array([3, 0, -1])), x[[3, 0, -1]])
    check(
        ops.take_along_axis(m, np.array([[1, 0], [0, 0]]), axis=1),
        np.take_along_axis(m, np.array([[1, 0], [0, 0]]), axis=1),
    )
    check(t[1], m[1])
    check(t[::-1, [1, 0]], m[::-1, [1, 0]])
    check(
        t[m.astype(bool) if dtype != "float64" else np.array([[True, False], [False, True]])],
        m[m.astype(bool) if dtype != "float64" else np.array([[True, False], [False, True]])],
    )
    check(ops.slice(m, (1, 0), (1, 2)), m[1:2, 0:2])
    want = m.copy()
    want[0, 1] = x[2]
    check(ops.slice_update(m, (0, 1), m[1:, :1]), want)
    check(ops.scatter_update(m, [[0, 1]], x[2:3]), want)
    check(ops.diagonal(m), np.diagonal(m))


# -- core slice / scatter ----------------------------------------------------------


def test_slice_clamps_like_jax():
    x = np.arange(20).reshape(4, 5)
    check(ops.slice(x, (3, 4), (2, 2)), x[2:4, 3:5])
    check(ops.slice(x, np.array([1, 1]), (-1, -1)), x[1:, 1:])


@pytest.mark.parametrize(
    "dtype", ["float32", "bfloat16", "float64", "int8", "uint8", "int64", "bool"]
)
@pytest.mark.parametrize(
    "start,rows",
    [((0, 2, 0), 1), ((0, 0, 0), 3), ((0, 4, 0), 2), ((0, 9, 0), 1), ((0, -3, 0), 2)],
)
def test_slice_update_along_one_axis_matches_numpy(dtype, start, rows):
    # The KV-cache write of a decode step: every axis but one is whole.
    # JAX clamps the start so the update fits.
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2 if dtype == "bool" else 9, (2, 6, 3)).astype(dtype)
    u = rng.integers(0, 2 if dtype == "bool" else 9, (2, rows, 3)).astype(dtype)
    at = min(max(start[1], 0), 6 - rows)
    want = x.copy()
    want[:, at : at + rows] = u
    check(ops.slice_update(x, start, u), want)


def test_slice_update_along_one_axis_is_one_scatter_update():
    from tests.ops.test_shape import _count, _symbolic

    p, x = _symbolic((4, 96, 8, 64))
    q, pos = _symbolic((), "int32")
    u = ops.ones((4, 1, 8, 64))
    zero = ops.zeros((), "int32")
    y = I.slice_update(x, [zero, pos, zero, zero], u)
    model = ov.Model([y.output], [p, q])
    assert (_count(model, "ScatterUpdate"), _count(model, "ScatterNDUpdate")) == (1, 0)
    p, x = _symbolic((4, 96, 8, 64))
    y = I.slice_update(x, [0, 1, 2, 0], ops.ones((4, 1, 2, 64)))  # two partial axes
    model = ov.Model([y.output], [p])
    assert (_count(model, "ScatterUpdate"), _count(model, "ScatterNDUpdate")) == (0, 1)


def test_slice_update_and_scatter():
    x = np.zeros((4, 4), np.float32)
    u = np.ones((2, 3), np.float32)
    want = x.copy()
    want[2:4, 1:4] = 1
    check(ops.slice_update(x, (2, 1), u), want)
    check(
        ops.scatter(
            np.array([[0, 1], [0, 1], [3, 3]]), np.array([1.0, 2.0, 5.0], np.float32), (4, 4)
        ),
        np.array([[0, 3, 0, 0], [0] * 4, [0] * 4, [0, 0, 0, 5]], np.float32),
    )
    for red, fn in [
        ("add", np.add),
        ("max", np.maximum),
        ("min", np.minimum),
        ("mul", np.multiply),
    ]:
        base = np.full((3,), 2.0, np.float32)
        want = base.copy()
        fn.at(want, [0, 0, 2], [3.0, 4.0, 1.0])
        check(
            ops.scatter_update(
                base, [[0], [0], [2]], np.array([3.0, 4.0, 1.0], np.float32), reduction=red
            ),
            want,
        )
    with pytest.raises(ValueError, match="scatter_update"):
        I.scatter_update(base, [[0]], [1.0], reduction="mean")


def test_select_isin_unravel():
    x = np.arange(6, dtype=np.int32)
    check(ops.select([x < 2, x > 4], [x, -x], 7), np.select([x < 2, x > 4], [x, -x], 7))
    check(ops.isin(x, [1, 4, 9]), np.isin(x, [1, 4, 9]))
    check(ops.isin(x, [1, 4, 9], invert=True), np.isin(x, [1, 4, 9], invert=True))
    got = ops.unravel_index(np.array([5, 11], np.int32), (3, 4))
    for a, b in zip(got, np.unravel_index([5, 11], (3, 4))):
        np.testing.assert_array_equal(a, b)


# -- gathers along an axis with batch dims of size 1 (issue #10) ------------------
# Gather with batch_dims crashes the CPU plugin when a batch dim is 1; these
# lowerings gather row by row from a flat view instead.

ALONG = [
    ((1, 5), (1, 1), 1),
    ((1, 5), (1, 3), -1),
    ((1, 1, 5), (1, 1, 2), 2),
    ((3, 1, 4), (3, 1, 2), 2),
    ((1, 5), (1, 1), 0),
    ((2, 3, 4), (2, 1, 4), 1),
    ((2, 3), (1, 2), 1),
    ((5,), (3,), 0),
    ((2, 0), (2, 0), 1),
    ((0, 3), (0, 2), 1),
    ((1, 0, 3), (1, 0, 1), 2),
]


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64", "float64", "int16", "bool"])
@pytest.mark.parametrize("x_shape,i_shape,axis", ALONG, ids=[str(c) for c in ALONG])
def test_take_along_axis_with_unit_and_empty_batch_dims(dtype, x_shape, i_shape, axis):
    x = sample(x_shape, dtype)
    n = x_shape[axis]
    idx = np.random.default_rng(1).integers(-n, n, i_shape) if n else np.zeros(i_shape, np.int32)
    check(ops.take_along_axis(x, idx, axis=axis), np.take_along_axis(x, idx, axis=axis))


def test_take_along_axis_with_a_dynamic_batch_of_one():
    x_in, i_in = keras.Input((5,)), keras.Input((2,), dtype="int32")
    model = keras.Model([x_in, i_in], ops.take_along_axis(x_in, i_in, axis=1))
    x = np.arange(15, dtype=np.float32).reshape(3, 5)
    idx = np.array([[4, 0], [1, 1], [-1, 2]], np.int32)
    for rows in (slice(0, 1), slice(0, 3), slice(2, 3)):  # static first, then dynamic
        want = np.take_along_axis(x[rows], idx[rows], axis=1)
        np.testing.assert_array_equal(model.predict([x[rows], idx[rows]], verbose=0), want)


def test_in_top_k_with_one_row():
    preds = np.array([[0.1, 0.5, 0.2]], np.float32)
    assert np.asarray(ops.in_top_k(np.array([1]), preds, 1)).tolist() == [True]
    assert np.asarray(ops.in_top_k(np.array([2]), preds, 1)).tolist() == [False]


@pytest.mark.parametrize("shape", [(1, 3, 3), (1, 1, 2, 2), (3, 3)])
def test_svd_and_qr_with_unit_batch_dims(shape):
    a = sample(shape, "float32")
    s = np.asarray(ops.svd(a, compute_uv=False))
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-4, atol=1e-5)
    q, r = ops.qr(a)
    np.testing.assert_allclose(np.asarray(q) @ np.asarray(r), a, rtol=1e-4, atol=1e-5)


# -- zero-size results are not run ---------------------------------------------------


def test_broadcast_of_a_zero_size_tensor():
    # Compiling this kills the process (SIGFPE in the CPU plugin).
    before = execute.counters["compiled"]
    got = ops.broadcast_to(ops.zeros((2, 0))[..., None], (2, 0, 32))
    assert tuple(got.shape) == (2, 0, 32) and got.dtype == "float32"
    assert execute.counters["compiled"] == before
