"""Creation ops against NumPy: filled tensors, eye/tri, ranges, grids, windows."""

import numpy as np
import pytest

from keras import ops

from tests.ops.test_shape import check

DTYPES = ["bool", "int8", "uint32", "int64", "float16", "bfloat16", "float32"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_filled_tensors(dtype):
    np_dtype = ops.convert_to_numpy(ops.zeros((1,), dtype)).dtype
    for shape in [(), (3,), (2, 0), (2, 3)]:
        check(ops.zeros(shape, dtype), np.zeros(shape, np_dtype))
        check(ops.ones(shape, dtype), np.ones(shape, np_dtype))
        check(ops.full(shape, 1, dtype), np.full(shape, 1, np_dtype))
        like = np.zeros(shape, np_dtype)
        check(ops.zeros_like(like), np.zeros_like(like))
        check(ops.ones_like(like), np.ones_like(like))
        check(ops.full_like(like, 1), np.full_like(like, 1))
    check(ops.eye(3, 4, 1, dtype), np.eye(3, 4, 1, dtype=np_dtype))
    check(ops.identity(2, dtype), np.identity(2, dtype=np_dtype))
    check(ops.tri(3, 2, -1, dtype), np.tri(3, 2, -1, dtype=np_dtype))


def test_default_dtypes_follow_keras():
    assert ops.zeros((2,)).dtype == "float32"
    assert ops.full((2,), 3).dtype == "float32"
    assert ops.full_like(np.zeros(2, np.int16), 3.7).dtype == "int16"
    assert ops.arange(3).dtype == "int32"
    assert ops.arange(0.5, 3).dtype == "float32"
    assert ops.linspace(0, 1, 3).dtype == "float32"


def test_wide_fill_values_are_exact():
    check(ops.full((2,), 2**40 + 1, "int64"), np.full((2,), 2**40 + 1, np.int64))
    check(ops.full((2,), 4_000_000_000, "uint32"), np.full((2,), 4_000_000_000, np.uint32))
    check(ops.full_like(np.zeros(2), 1 / 3), np.full(2, 1 / 3))


@pytest.mark.parametrize("args", [(5,), (2, 9), (2, 9, 3), (10, 2, -3), (0.5, 3.0, 0.5), (3, 1)])
def test_arange(args):
    want = np.arange(*args)
    got = ops.convert_to_numpy(ops.arange(*args))
    np.testing.assert_allclose(got, want.astype(got.dtype), rtol=1e-6)


def test_spaces():
    np.testing.assert_allclose(ops.linspace(0, 10, 5), np.linspace(0, 10, 5), rtol=1e-6)
    np.testing.assert_allclose(
        ops.linspace(2, 3, 4, endpoint=False), np.linspace(2, 3, 4, endpoint=False), rtol=1e-6
    )
    start, stop = np.array([0.0, 1.0], np.float32), np.array([1.0, 3.0], np.float32)
    got, step = ops.linspace(start, stop, 3, retstep=True, axis=1)
    np.testing.assert_allclose(got, np.linspace(start, stop, 3, axis=1), rtol=1e-6)
    np.testing.assert_allclose(step, [0.5, 1.0], rtol=1e-6)
    check(ops.linspace(0, 10, 4, dtype="int32"), np.linspace(0, 10, 4, dtype="int32"))
    assert ops.linspace(0, 1, 0).shape == (0,)
    np.testing.assert_allclose(ops.logspace(0, 2, 3), np.logspace(0, 2, 3), rtol=1e-6)
    np.testing.assert_allclose(
        ops.logspace(0, 3, 4, base=2), np.logspace(0, 3, 4, base=2), rtol=1e-6
    )
    np.testing.assert_allclose(ops.geomspace(1, 1000, 4), np.geomspace(1, 1000, 4), rtol=1e-5)
    np.testing.assert_allclose(ops.geomspace(-1, -16, 5), np.geomspace(-1, -16, 5), rtol=1e-5)


def test_meshgrid_and_vander():
    a, b = np.arange(3, dtype=np.int32), np.arange(4, dtype=np.float32)
    for indexing in ("xy", "ij"):
        for got, want in zip(
            ops.meshgrid(a, b, indexing=indexing), np.meshgrid(a, b, indexing=indexing)
        ):
            check(got, want)
    x = np.array([2, 3, -1], np.int64)
    check(ops.vander(x), np.vander(x))
    check(ops.vander(x, 5, increasing=True), np.vander(x, 5, increasing=True))
    small = np.array([3, -2, 100], np.int8)
    check(ops.vander(small, 3), np.vander(small, 3).astype(np.int8))  # wraps, dtype kept
    big = np.array([2**20 + 1], np.int64)
    check(ops.vander(big, 3), np.vander(big, 3))


@pytest.mark.parametrize("m", [0, 1, 2, 7, 16])
def test_windows(m):
    for ours, ref in [
        (ops.bartlett, np.bartlett),
        (ops.hanning, np.hanning),
        (ops.hamming, np.hamming),
        (ops.blackman, np.blackman),
    ]:
        np.testing.assert_allclose(
            ops.convert_to_numpy(ours(m)), ref(m).astype(np.float32), atol=1e-6
        )
    for beta in (0.0, 3.0, 14.0):
        np.testing.assert_allclose(
            ops.convert_to_numpy(ops.kaiser(m, beta)), np.kaiser(m, beta), atol=2e-6
        )


@pytest.mark.parametrize(
    "bounds",
    [
        (0.1, 1.1, 0.1),
        (0, 1, 0.1),
        (1, 2.2, 0.3),
        (3, -1, -0.7),
        (1, 1, 0.1),
        (np.float32(0.1), np.float32(1.1), np.float32(0.1)),
    ],
)
def test_arange_float_length_counted_like_numpy(bounds):
    # A float32 Range counts (1.1 - 0.1) / 0.1 as 10.000001, one value too many.
    got, want = np.asarray(ops.arange(*bounds)), np.arange(*bounds)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n", [0, 3])
@pytest.mark.parametrize("N", [None, 0, 2])
def test_vander_of_empty_and_zero_columns(n, N):
    x = np.arange(1, n + 1, dtype=np.float32)
    check(ops.vander(x, N), np.vander(x, N).astype(np.float32))
