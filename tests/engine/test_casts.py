"""Casts to float16, bfloat16 and float8 round as NumPy/ml_dtypes do, bit for bit.

OpenVINO's Convert kernels differ by CPU (through float16 for float8, truncating
float64 -> bfloat16, ...), so ``ops.graph.round_to_float`` rounds with exact
float32 operations and converts only values the target holds.  These tests
probe every value of each target type and the rounding boundaries around it
(midpoints and their neighbours in the source type, the overflow threshold,
the subnormal range, signed zeros, infinities, NaN), from every float source
and from integers, through the eager cast, a traced function and
``convert_to_tensor``.
"""

import ml_dtypes
import numpy as np
import pytest

import keras

from keras_ov.engine import compiled, dtypes, execute
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.core import cast

NARROW = ("float8_e4m3fn", "float8_e5m2", "bfloat16", "float16")
FLOAT_SOURCES = ("float64", "float32", "bfloat16", "float16", "float8_e4m3fn", "float8_e5m2")
_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def np_dtype(name):
    return dtypes.to_numpy(name)


def bits(a):
    return a.view(_UINT[a.itemsize])


def every_value(name):
    """All bit patterns of a 8/16-bit float type."""
    d = np_dtype(name)
    return np.arange(2 ** (8 * d.itemsize), dtype=_UINT[d.itemsize]).view(d)


def step(a, k):
    """``a`` moved ``k`` steps of its own type (on the bit pattern)."""
    return (bits(a).astype(np.int64) + k).astype(bits(a).dtype).view(a.dtype)


def to_source(values64, src):
    with np.errstate(over="ignore", invalid="ignore"):
        return values64.astype(np_dtype(src))


def probe(to, src):
    """Source values where a cast to ``to`` can go wrong."""
    values = every_value(to).astype(np.float64)
    finite = np.unique(np.abs(values[np.isfinite(values)]))
    big = finite[-1]
    ulp_top = finite[-1] - finite[-2]
    edges = np.concatenate([finite, [big + ulp_top]])  # (the step past the largest)
    mids = (edges[:-1] + edges[1:]) / 2
    parts = [
        to_source(values, src),
        to_source(every_value("float8_e4m3fn").astype(np.float64), src),
        to_source(every_value("float8_e5m2").astype(np.float64), src),
    ]
    m = to_source(mids, src)
    parts += [m] + [step(m, k) for k in (-2, -1, 1, 2)]
    if src == "float64":  # between float32 neighbours: a double rounding through float32
        parts += [mids * (1 + e) for e in (2.0**-30, -(2.0**-30), 2.0**-45, -(2.0**-45))]
    info = ml_dtypes.finfo(np_dtype(src))
    specials = np.array(
        [
            0.0,
            np.inf,
            np.nan,
            big,
            big + ulp_top / 2,
            float(info.max),
            float(info.smallest_subnormal),
            float(info.smallest_normal),
            finite[1] / 2,
            finite[1] / 4,
            finite[1] * 0.75,
        ]
    )
    parts.append(to_source(specials, src))
    x = np.concatenate(parts)
    return np.concatenate([x, -x])


def expected(x, to):
    with np.errstate(over="ignore", invalid="ignore"):
        return x.astype(np_dtype(to))


def _nan_payloads(x, to):
    """NaN inputs that are not the canonical quiet NaN: float16 and bfloat16
    give a NaN of the same sign, whose payload may differ from ml_dtypes'
    (no OpenVINO op reads a NaN's bits; float8 has one NaN of each sign)."""
    if to not in ("float16", "bfloat16") or dtypes.from_numpy(x.dtype) not in FLOAT_SOURCES:
        return np.zeros(x.shape, bool)
    with np.errstate(invalid="ignore"):
        nan = np.isnan(x.astype(np.float32))
        canonical = bits(np.abs(x)) == bits(np.array(np.nan).astype(x.dtype))
    return nan & ~canonical


# The bfloat16 Convert of CPUs with AVX512-BF16 (vcvtneps2bf16) flushes
# subnormal results to zero; ml_dtypes keeps them (below 1.2e-38).
BF16_TINY = float(ml_dtypes.finfo(ml_dtypes.bfloat16).smallest_normal)


def assert_same_bits(got, want, x):
    assert got.dtype == want.dtype and got.shape == want.shape
    bad = bits(got) != bits(want)
    loose = _nan_payloads(x, got.dtype.name)
    if loose.any():  # a NaN of the same sign
        g32, w32 = got[loose].astype(np.float32), want[loose].astype(np.float32)
        assert np.isnan(g32).all() and (np.signbit(g32) == np.signbit(w32)).all()
        bad &= ~loose
    if got.dtype == ml_dtypes.bfloat16:
        w = want.astype(np.float32)
        flushed = (
            (np.abs(w) < BF16_TINY)
            & (got.astype(np.float32) == 0)
            & (np.signbit(got.astype(np.float32)) == np.signbit(w))
        )
        bad &= ~flushed
    assert not bad.any(), (x[bad][:6], got[bad][:6], want[bad][:6], int(bad.sum()))


def eager(x, to):
    return cast(to_tensor(x), to).numpy()


def traced(x, to):
    model, _ = compiled.trace(lambda t: [cast(t, to)], [(x.shape, dtypes.from_numpy(x.dtype))])
    return compiled.CompiledFunction(model)([x])[0]


CASES = [(to, src) for to in NARROW for src in FLOAT_SOURCES if src != to]


@pytest.mark.parametrize("to,src", CASES)
def test_eager_cast_rounds_as_ml_dtypes(to, src):
    x = probe(to, src)
    assert_same_bits(eager(x, to), expected(x, to), x)


@pytest.mark.parametrize("to", NARROW)
@pytest.mark.parametrize("src", ["float32", "float64"])
def test_traced_cast_rounds_as_ml_dtypes(to, src):
    x = probe(to, src)
    assert_same_bits(traced(x, to), expected(x, to), x)


@pytest.mark.parametrize("to", NARROW)
@pytest.mark.parametrize("src", ["float32", "float64"])
def test_keras_cast_paths_agree(to, src):
    # keras.ops.cast, convert_to_tensor(tensor, dtype) and the host-side cast
    # of convert_to_tensor(array, dtype) (ml_dtypes itself) give the same bits.
    x = probe(to, src)
    want = expected(x, to)
    t = keras.ops.convert_to_tensor(x)
    assert_same_bits(np.asarray(keras.ops.cast(t, to)), want, x)
    assert_same_bits(np.asarray(keras.ops.convert_to_tensor(t, dtype=to)), want, x)
    assert_same_bits(np.asarray(keras.ops.convert_to_tensor(x, dtype=to)), want, x)


@pytest.mark.parametrize("to", NARROW)
def test_every_float8_value_from_float32_float16_float64(to):
    for name in ("float8_e4m3fn", "float8_e5m2"):
        for src in ("float32", "float16", "float64"):
            x = every_value(name).astype(np_dtype(src))
            assert_same_bits(eager(x, to), expected(x, to), x)


def _integer_probe(src, to):
    info = np.iinfo(src)
    lo, hi = int(info.min), int(info.max)
    small = np.arange(max(lo, -70_000), min(hi, 70_000) + 1, dtype=np.int64)
    # bfloat16 midpoints above 2**24 (where float32 rounds integers too) and
    # their integer neighbours.
    p = np.arange(24, min(64, hi.bit_length()), dtype=np.int64)
    frac = np.arange(1, 256, 2, dtype=np.int64)
    mids = ((2 ** p[:, None]) // 256 * (256 + frac[None, :])).ravel() // 2 * 1
    mids = np.unique(np.concatenate([mids // 2**k * 2**k for k in (0,)]))
    near = (mids[:, None] + np.arange(-3, 4)[None, :]).ravel()
    x = np.concatenate([small, near, -near]).astype(object)
    x = np.array([v for v in x.tolist() if lo <= v <= hi] + [lo, hi, lo + 1, hi - 1], dtype=src)
    return x


@pytest.mark.parametrize("to", NARROW)
@pytest.mark.parametrize(
    "src", ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]
)
def test_cast_from_integers_rounds_once(to, src):
    x = _integer_probe(src, to)
    assert_same_bits(eager(x, to), expected(x, to), x)


@pytest.mark.parametrize("to", ["bfloat16", "float16"])
@pytest.mark.parametrize("src", ["float32", "float16", "bfloat16", "int32", "int16"])
def test_narrow_casts_stay_on_the_cpu_plugin(to, src):
    if src == to:
        pytest.skip("no cast")
    x = to_source(np.linspace(-70_000, 70_000, 1001), src)
    before = execute.counters["reference_built"]
    eager(x, to)
    traced(x, to)
    assert execute.counters["reference_built"] == before


@pytest.mark.parametrize("to", NARROW)
def test_nan_keeps_its_sign(to):
    x = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0], np.float32)
    got = eager(x, to)
    assert_same_bits(got, expected(x, to), x)
    assert np.isnan(got[:2].astype(np.float32)).all()
    assert list(np.signbit(got.astype(np.float32))) == [False, True, False, True, True, False]
