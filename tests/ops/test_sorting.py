"""Sorting, searching and counting ops against NumPy."""

import numpy as np
import pytest

from tests.ops.test_reduction import check, data, op, symbolic


@pytest.mark.parametrize(
    "dtype", ["bool", "int8", "int32", "int64", "uint32", "float16", "float32"]
)
def test_sort_and_argsort(dtype):
    x = data((3, 4, 5), dtype)
    for axis in (-1, 0, None):
        check(op("sort")(x, axis=axis), np.sort(x, axis=axis), dtype)
        check(op("argsort")(x, axis=axis), np.argsort(x, axis=axis, kind="stable"), "int32")


def test_sort_puts_nan_after_inf():
    x = np.array([[3.0, np.nan, np.inf, 1.0, -np.inf, np.nan, np.inf]], np.float32)
    check(op("sort")(x), np.sort(x))
    check(op("argsort")(x), np.argsort(x, kind="stable"))
    check(op("argsort")(np.array(1)), np.argsort(np.array(1)))


def test_argpartition_partitions():
    x = np.array([[3, 4, 2, 1, 7], [1, 3, 4, 0, 0]])
    for kth in (0, 2, 4):
        got = np.asarray(op("argpartition")(x, kth))
        part = np.take_along_axis(x, got, axis=-1)
        assert (part[:, :kth] <= part[:, kth : kth + 1]).all()
        assert (part[:, kth + 1 :] >= part[:, kth : kth + 1]).all()
    with pytest.raises(ValueError, match="`argpartition`"):
        op("argpartition")(x, 5)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "float32", "float16"])
def test_searchsorted_and_digitize(dtype):
    a = np.array([1, 2, 2, 3, 4, 5, 5]).astype(dtype)
    v = np.array([[4, 3, 5], [1, 2, 0]]).astype(dtype)
    for side in ("left", "right"):
        check(op("searchsorted")(a, v, side=side), np.searchsorted(a, v, side=side), "int32")
    rising = np.array([0, 2, 3, 5]).astype(dtype)
    check(op("digitize")(v, rising), np.digitize(v, rising), "int32")
    check(op("digitize")(v, rising[::-1].copy()), np.digitize(v, rising[::-1]), "int32")
    with pytest.raises(ValueError, match="`searchsorted`"):
        op("searchsorted")(v, a)


def test_nonzero_bincount_histogram():
    for x in (np.array([[0, 0, 3], [3, 0, 0]]), np.array([0, 1.5, 0, 2], np.float32)):
        got = op("nonzero")(x)
        for g_, e in zip(got, np.nonzero(x)):
            check(g_, e, "int32")
    x = np.array([1, 1, 2, 3, 2, 4, 4, 6])
    w = np.array([0, 0, 3, 2, 1, 1, 4, 2])
    check(op("bincount")(x, weights=w, minlength=3), np.bincount(x, weights=w, minlength=3))
    check(op("bincount")(x.astype("int8"), minlength=9), np.bincount(x, minlength=9), "int32")
    check(
        op("bincount")(x[None].astype("int32"), weights=w[None].astype("float32")),
        np.bincount(x, weights=w)[None],
        "float32",
    )
    with pytest.raises(ValueError, match="`bincount`"):
        op("bincount")(np.array([1, -1]))
    for x, kw in (
        (np.array([0.0, 2.0, 4.0, 8.0, 10.0], np.float32), {"bins": 5}),
        (data((20,), "float32"), {"bins": 4, "range": (-1.0, 1.5)}),
        (np.array([3, 3, 3], np.int32), {}),
    ):
        counts, edges = op("histogram")(x, **kw)
        expected_counts, expected_edges = np.histogram(x, **kw)
        check(counts, expected_counts)
        check(edges, expected_edges)


def test_unique():
    x = np.array([3, 1, 2, 1, 4, 2])
    for kw in ({}, {"return_index": True, "return_inverse": True, "return_counts": True}):
        got, expected = op("unique")(x, **kw), np.unique(x, **kw)
        for g_, e in zip(got if kw else [got], expected if kw else [expected]):
            check(g_, e)
    rows = np.array([[1, 0], [0, 1], [1, 0], [2, 2], [0, 1]], np.int32)
    for axis in (0, -1):
        got = op("unique")(
            rows, axis=axis, return_index=True, return_inverse=True, return_counts=True
        )
        for g_, e in zip(
            got,
            np.unique(rows, axis=axis, return_index=True, return_inverse=True, return_counts=True),
        ):
            check(g_, np.reshape(e, -1) if e.ndim == 1 else e)
    v, counts = op("unique")(x, size=6, fill_value=-1, return_counts=True)
    check(v, [1, 2, 3, 4, -1, -1])
    check(counts, [2, 2, 1, 1, 0, 0])
    check(op("unique")(x, size=2), [1, 2])
    v = np.asarray(op("unique")(np.array([1.0, np.nan, 2.0, np.nan], np.float32)))
    assert v.shape == (4,) and np.isnan(v).sum() == 2
    assert op("unique")(np.zeros((0, 3), np.float32), axis=0).shape == (0, 3)


def test_symbolic_shapes():
    x = symbolic((None, 5), "float32")
    assert op("sort")(x).shape == (None, 5)
    assert op("argsort")(x, axis=0).dtype == "int32"
    assert op("searchsorted")(symbolic((7,), "int32"), symbolic((None, 2), "int32")).shape == (
        None,
        2,
    )
    counts, edges = op("histogram")(symbolic((None,), "float32"), bins=4)
    assert counts.shape == (4,) and edges.shape == (5,)


def test_bincount_rejects_negative_values_host_validation():
    from keras import ops

    with pytest.raises(ValueError, match="non-negative"):
        ops.bincount(np.array([1, -1, 2], np.int32))


def test_unique_of_empty_input_host_path():
    from keras import ops

    out = ops.unique(np.zeros((0,), np.float32))
    assert tuple(out.shape) == (0,) and ops.convert_to_numpy(out).dtype == np.float32


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64"])
def test_searching_an_empty_sequence(dtype):
    # SearchSorted's CPU kernel read past an empty sequence (garbage indices).
    empty = np.zeros((0,), dtype)
    v = np.arange(6).astype(dtype).reshape(2, 3)
    for side in ("left", "right"):
        check(
            op("searchsorted")(empty, v, side=side), np.searchsorted(empty, v, side=side), "int32"
        )
    check(op("digitize")(v, empty), np.digitize(v, empty), "int32")
