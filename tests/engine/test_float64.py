"""Exact float64 arithmetic from int64 kernels (keras_ov.engine.float64).

Every result is compared bit for bit with NumPy, which computes IEEE binary64
with round-to-nearest-even: this is what makes the lowering "exact".
"""

import numpy as np
import pytest
from openvino import opset15 as ov_ops

from keras_ov.engine import execute

TINY = np.finfo(np.float64).smallest_normal
SPECIALS = np.array(
    [
        0.0,
        -0.0,
        np.inf,
        -np.inf,
        np.nan,
        5e-324,
        -5e-324,
        TINY,
        -TINY,
        np.finfo(np.float64).max,
        -np.finfo(np.float64).max,
        1.0,
        -1.0,
        2.0**53,
        1 + 2**-52,
    ]
)


def _operands(seed=0, n=3000):
    """Pairs that exercise every path: random bit patterns (all exponents,
    NaN payloads, subnormals), near-cancellation, subnormal sums, round-half
    ties, operands far apart, and every pair of special values."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=n, dtype=np.int64)
    a = bits.view(np.float64).copy()
    b = rng.permutation(bits).view(np.float64).copy()
    k = n // 6
    b[:k] = -a[:k] * (1 + rng.integers(-5, 5, k) * 2.0**-52)  # cancellation
    b[k : 2 * k] = np.nextafter(-a[k : 2 * k], 0)  # differ in the last bit
    a[2 * k : 3 * k] = rng.uniform(-1, 1, k) * TINY  # subnormal results
    b[2 * k : 3 * k] = rng.uniform(-1, 1, k) * TINY
    b[3 * k : 4 * k] = a[3 * k : 4 * k] * 2.0**-53 * rng.integers(1, 4, k)  # ties
    b[4 * k : 5 * k] = a[4 * k : 5 * k] * 2.0 ** -rng.integers(54, 70, k)  # sticky
    sa, sb = np.meshgrid(SPECIALS, SPECIALS)
    return np.concatenate([a, sa.ravel()]), np.concatenate([b, sb.ravel()])


def _same_bits(got, want):
    assert got.dtype == np.float64 and got.shape == want.shape
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    bad = got.view(np.int64)[~nan] != want.view(np.int64)[~nan]
    assert not bad.any(), (got[~nan][bad][:5], want[~nan][bad][:5])


def _run(name, build, arrays):
    return execute.run(("test.float64", name), build, arrays, ["float64"] * len(arrays))[0]


@pytest.mark.parametrize(
    "kind,numpy_op",
    [
        ("add", np.add),
        ("subtract", np.subtract),
    ],
)
def test_binary_bit_exact(kind, numpy_op):
    a, b = _operands()
    got = _run(kind, lambda p: [getattr(ov_ops, kind)(*p)], [a, b])
    with np.errstate(all="ignore"):
        _same_bits(got, numpy_op(a, b))


def test_add_broadcasts():
    a, b = np.arange(6.0).reshape(2, 3) * 0.1, np.array([0.7, -0.2, 1e-300])
    got = _run("add", lambda p: [ov_ops.add(*p)], [a, b])
    _same_bits(got, a + b)


@pytest.mark.parametrize("kind,numpy_op", [("negative", np.negative), ("abs", np.abs)])
def test_sign_ops_bit_exact(kind, numpy_op):
    a, _ = _operands(n=600)
    _same_bits(_run(kind, lambda p: [getattr(ov_ops, kind)(*p)], [a]), numpy_op(a))


def _pairwise(values, combine, identity):
    """The pairwise tree keras-ov builds, in NumPy: each step is one IEEE op."""
    values = list(values)
    if not values:
        return abs(identity)
    while len(values) > 1:
        if len(values) % 2:
            values.append(identity)
        half = len(values) // 2
        values = [combine(x, y) for x, y in zip(values[:half], values[half:])]
    return values[0]


@pytest.mark.parametrize("kind", ["ReduceSum", "ReduceProd"])
@pytest.mark.parametrize(
    "shape,axes,keep",
    [
        ((5,), [0], False),
        ((4, 7, 3), [1], True),
        ((4, 7, 3), [0, 2], False),
        ((3, 0), [1], False),
        ((2, 3), [], False),
        ((), [], True),
    ],
)
def test_reductions_are_pairwise_trees_of_exact_ops(kind, shape, axes, keep):
    rng = np.random.default_rng(1)
    x = np.asarray(rng.normal(size=shape) * np.exp(rng.normal(size=shape) * 5))
    reduce = getattr(ov_ops, "reduce_sum" if kind == "ReduceSum" else "reduce_prod")
    got = _run(
        kind + str(shape) + str(axes) + str(keep),
        lambda p: [reduce(p[0], ov_ops.constant(np.array(axes, np.int64)), keep)],
        [x],
    )
    combine, identity = (np.add, -0.0) if kind == "ReduceSum" else (np.multiply, 1.0)
    kept = [a for a in range(x.ndim) if a not in axes]
    rows = np.transpose(x, kept + axes).reshape(int(np.prod([shape[a] for a in kept])), -1)
    want = np.array([_pairwise(r, combine, identity) for r in rows])
    want = want.reshape(
        [1 if a in axes else shape[a] for a in range(x.ndim)] if keep else [shape[a] for a in kept]
    )
    _same_bits(got, want)
    np.testing.assert_allclose(
        got,
        (np.sum if kind == "ReduceSum" else np.prod)(x, axis=tuple(axes), keepdims=keep),
        rtol=1e-14,
    )


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_is_exact_scan(exclusive, reverse):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 11))
    x[0, :2] = -0.0
    got = _run(
        f"cumsum{exclusive}{reverse}",
        lambda p: [ov_ops.cumsum(p[0], ov_ops.constant(np.int64(1)), exclusive, reverse)],
        [x],
    )
    y = x[:, ::-1] if reverse else x
    want = np.cumsum(y, axis=1)
    if exclusive:
        want = np.concatenate([np.zeros((3, 1)), want[:, :-1]], axis=1)
    want = want[:, ::-1] if reverse else want
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
    if not exclusive:
        assert np.signbit(got[0, 0 if not reverse else -1]) == np.signbit(
            want[0, 0 if not reverse else -1]
        )


@pytest.mark.parametrize(
    "reduction,numpy_at",
    [
        ("sum", np.add.at),
        ("prod", np.multiply.at),
        ("max", np.maximum.at),
        ("min", np.minimum.at),
    ],
)
def test_scatter_reductions_accumulate_duplicates_in_order(reduction, numpy_at):
    rng = np.random.default_rng(3)
    data = rng.normal(size=(4, 3, 2)) * 1e3
    idx = np.array([[0, 1], [3, 2], [0, 1], [-1, -1], [0, 1]], dtype=np.int32)
    upd = rng.normal(size=(5, 2)) + 2.0**-40
    got = execute.run(
        ("test.float64.scatter", reduction),
        lambda p: [ov_ops.scatter_nd_update(*p, reduction=reduction)],
        [data, idx, upd],
        ["float64", "int32", "float64"],
    )[0]
    want = data.copy()
    numpy_at(want, tuple((idx % np.array([4, 3])).T), upd)
    _same_bits(got, want)
