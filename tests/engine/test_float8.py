"""float8 dtypes: the dtype table, host transport as raw bits, and exact casts.

Every cast is compared bit for bit with ml_dtypes (what NumPy's ``astype`` and
JAX compute): round to nearest even, e4m3fn overflowing to NaN and e5m2 to
inf, NaN canonical with its sign kept.
"""

import ml_dtypes
import numpy as np
import openvino as ov
import pytest

from keras_ov.engine import dtypes, execute, plugin
from keras_ov.engine.tensor import OVTensor, constant, from_ov_tensor, to_ov_tensor
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.core import cast
from keras_ov.ops.registry import apply

FLOAT8 = {"float8_e4m3fn": ml_dtypes.float8_e4m3fn, "float8_e5m2": ml_dtypes.float8_e5m2}
OTHER_FLOATS = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16}


def every_float8(name):
    """All 256 bit patterns: zeros, subnormals, normals, max, NaN (and inf)."""
    return np.arange(256, dtype=np.uint8).view(FLOAT8[name])


def float32_probe(name):
    """float32 values where float8 rounding can go wrong: every float8 value,
    every midpoint and the 300 float32 values either side of it (a midpoint
    reached by rounding through float16 first), overflow thresholds, specials,
    random bit patterns (NaN payloads included) and random normals."""
    values = every_float8(name).astype(np.float32)
    finite = np.unique(values[np.isfinite(values)])
    mids = ((finite[:-1].astype(np.float64) + finite[1:]) / 2).astype(np.float32)
    near = mids.view(np.uint32).astype(np.int64)[None, :] + np.arange(-300, 301)[:, None]
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            values,
            mids,
            near.astype(np.uint32).view(np.float32).ravel(),
            np.array(
                [
                    448,
                    463.99997,
                    464,
                    464.00003,
                    480,
                    57344,
                    61439.996,
                    61440,
                    61440.004,
                    65504,
                    65520,
                    3.4e38,
                    np.inf,
                    np.nan,
                    0.0,
                    1e-30,
                    1e-45,
                    2.0**-17,
                    2.0**-10,
                ],
                np.float32,
            ),
            rng.integers(0, 2**32, 50_000, dtype=np.uint64).astype(np.uint32).view(np.float32),
            (rng.standard_normal(50_000) * 50).astype(np.float32),
        ]
    )
    return np.concatenate([x, -x])


def assert_same_bits(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    bad = got.view(np.uint8) != want.view(np.uint8)
    assert not bad.any(), (got[bad][:8], want[bad][:8])


def assert_same_values(got, want):
    """Equal values (signed zeros distinguished), NaN where NaN."""
    assert got.dtype == want.dtype and got.shape == want.shape
    with np.errstate(invalid="ignore"):
        g64, w64 = got.astype(np.float64), want.astype(np.float64)
    nan = np.isnan(w64)
    assert np.array_equal(np.isnan(g64), nan)
    assert np.array_equal(g64[~nan], w64[~nan])
    assert np.array_equal(np.signbit(g64[~nan]), np.signbit(w64[~nan]))


def eager_cast(array, to):
    return cast(to_tensor(array), to).numpy()


# -- the dtype table ----------------------------------------------------------


@pytest.mark.parametrize("name", FLOAT8)
def test_dtype_table(name):
    ov_type = {"float8_e4m3fn": ov.Type.f8e4m3, "float8_e5m2": ov.Type.f8e5m2}[name]
    assert dtypes.to_ov(name) == ov_type
    assert dtypes.from_ov(ov_type) == name
    assert dtypes.to_numpy(name) == np.dtype(FLOAT8[name])
    assert dtypes.from_numpy(FLOAT8[name]) == name
    assert dtypes.is_float8(name) and not dtypes.is_float(name)
    assert name in dtypes.KERAS_DTYPES


def test_float8_is_never_promoted_implicitly():
    # Keras's rule, which keras-ov's promotion helpers apply unchanged.
    x = to_tensor(np.ones(2, ml_dtypes.float8_e4m3fn))
    with pytest.raises(ValueError, match="no implicit conversions from float8"):
        dtypes.promote(x, x)
    with pytest.raises(ValueError, match="no implicit conversions from float8"):
        dtypes.promote_inexact(x)


# -- host transport -------------------------------------------------------------


@pytest.mark.parametrize("name", FLOAT8)
@pytest.mark.parametrize("shape", [(256,), (16, 16), ()])
def test_host_arrays_travel_as_bits(name, shape):
    a = every_float8(name)[: int(np.prod(shape))].reshape(shape)
    t = to_ov_tensor(a, name)
    assert t.element_type == dtypes.to_ov(name)
    assert list(t.shape) == list(shape)
    assert_same_bits(from_ov_tensor(t), a)


@pytest.mark.parametrize("name", FLOAT8)
def test_constant_holds_every_value(name):
    # A float16 Constant and a Convert: the reference kernels would read a
    # float8 Constant through its uint8 view.
    a = every_float8(name)
    tensor = OVTensor(np.zeros(256, np.float32))
    got = apply(
        f"test.constant_{name}",
        lambda x: g.out(g.ov_ops.convert(constant(a), dtypes.to_ov("float32"))),
        [tensor],
    ).numpy()
    assert_same_values(got, a.astype(np.float32))


@pytest.mark.parametrize("name", FLOAT8)
def test_float8_casts_run_on_cpu_kernels(name):
    # The CPU plugin's float32 -> float8 Convert rounds twice; ``round_to_float``
    # rounds first and flags the Convert, whose input the target then holds.
    p = execute.make_parameter((3,), "float32")
    model = ov.Model([g.cast(p.output(0), name)], [p])
    assert not execute.needs_reference(model)
    q = execute.make_parameter((3,), name)
    model = ov.Model([g.cast(q.output(0), "float32")], [q])
    assert not execute.needs_reference(model)


@pytest.mark.parametrize("name", FLOAT8)
def test_other_float8_graphs_take_the_reference_path(name):
    # A bare Convert to float8 (rounds twice on the CPU) and float8 data moved
    # by other ops stay on the reference kernels.
    p = execute.make_parameter((3,), "float32")
    model = ov.Model([g.ov_ops.convert(p, dtypes.to_ov(name))], [p])
    assert execute.needs_reference(model)
    q = execute.make_parameter((3,), name)
    model = ov.Model([g.ov_ops.concat([q, q], 0)], [q])
    assert execute.needs_reference(model)


@pytest.mark.parametrize("name", FLOAT8)
@pytest.mark.parametrize("back", ["float32", "float16", "bfloat16"])
def test_quantize_dequantize_stays_on_cpu_kernels(name, back):
    # float32 -> float8 -> float (Keras's float8 layers quantize-dequantize
    # this way in every training step): the graph keeps no float8 data, so the
    # CPU plugin runs it, and it rounds once, as ml_dtypes does.
    x = float32_probe(name)
    p = execute.make_parameter(x.shape, "float32")
    model = ov.Model([g.cast(g.cast(p.output(0), name), back)], [p])
    assert not execute.needs_reference(model)
    with np.errstate(over="ignore", invalid="ignore"):
        want = x.astype(FLOAT8[name]).astype(dtypes.to_numpy(back))
    got = execute.make_executable(model)([x], ["float32"])[0]
    assert isinstance(execute.make_executable(model), plugin.CompiledExecutable)
    assert_same_values(got, want)


# -- casts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,x,nearest",
    [
        ("float8_e4m3fn", 431.99997, 416.0),  # float16: 432, the midpoint of 416 and 448
        ("float8_e5m2", 45055.996, 40960.0),  # float16: 45056, between 40960 and 49152
    ],
)
def test_cast_does_not_round_through_float16(name, x, nearest):
    # OpenVINO's Convert narrows float32 to float8 through float16 on some CPUs
    # (this x lands on a float8 midpoint in float16 and the tie goes to even,
    # away from the nearest value); ``graph.round_to_float`` rounds once.
    assert np.float32(x).astype(FLOAT8[name]) == nearest
    assert eager_cast(np.array([x], np.float32), name)[0] == nearest


@pytest.mark.parametrize("name", FLOAT8)
def test_cast_from_float32_is_exact(name):
    x = float32_probe(name)
    with np.errstate(over="ignore", invalid="ignore"):
        want = x.astype(FLOAT8[name])
    assert_same_bits(eager_cast(x, name), want)


@pytest.mark.parametrize("name", FLOAT8)
@pytest.mark.parametrize("src", OTHER_FLOATS)
def test_cast_from_every_16_bit_float_is_exact(name, src):
    x = np.arange(2**16, dtype=np.uint16).view(OTHER_FLOATS[src])
    with np.errstate(over="ignore", invalid="ignore"):
        want = x.astype(FLOAT8[name])
    assert_same_bits(eager_cast(x, name), want)


@pytest.mark.parametrize("name", FLOAT8)
def test_cast_from_float64_rounds_once(name):
    # As ml_dtypes (NumPy's astype, used for host-side casts) does: from the
    # float64 value, not from its float32 rounding (x * (1 +- 2**-40) lands
    # on a float8 midpoint in float32).
    with np.errstate(over="ignore", invalid="ignore"):
        x = float32_probe(name).astype(np.float64)
        x = np.concatenate([x, x * (1 + 2.0**-40), x * (1 - 2.0**-40)])
        want = x.astype(FLOAT8[name])
    assert_same_bits(eager_cast(x, name), want)


@pytest.mark.parametrize("name", FLOAT8)
@pytest.mark.parametrize("src", ["bool", "int8", "uint8", "int32", "int64", "uint64"])
def test_cast_from_integers_is_exact(name, src):
    if src == "bool":
        x = np.array([True, False])
    else:
        info = np.iinfo(src)
        x = np.concatenate(
            [
                np.arange(max(info.min, -70_000), min(info.max, 70_000), dtype=src),
                np.array([info.min, info.max], dtype=src),
            ]
        )
    assert_same_bits(eager_cast(x, name), x.astype(FLOAT8[name]))


@pytest.mark.parametrize(
    "name,to",
    [
        (name, to)
        for name in FLOAT8
        for to in ("float16", "bfloat16", "float32", "float64", *FLOAT8)
        if to != name
    ],
)
def test_cast_from_float8_is_exact(name, to):
    x = every_float8(name)
    want = x.astype(dtypes.to_numpy(to))
    got = eager_cast(x, to)
    if to in FLOAT8:
        assert_same_bits(got, want)
    else:
        assert_same_values(got, want)


@pytest.mark.parametrize("name", FLOAT8)
@pytest.mark.parametrize("to", ["bool", "int32", "int8", "uint8"])
def test_cast_from_float8_to_integers(name, to):
    x = every_float8(name)
    f = x.astype(np.float32)
    keep = np.isfinite(f)  # (NaN and out-of-range values have no integer)
    if to != "bool":
        keep &= (f >= np.iinfo(to).min) & (f <= np.iinfo(to).max)
    got = eager_cast(x[keep], to)
    assert got.dtype == np.dtype(to)
    assert np.array_equal(got, x[keep].astype(to))


@pytest.mark.parametrize("name", FLOAT8)
def test_host_side_cast_matches_the_graph(name):
    # convert_to_tensor(array, dtype) casts on the host (ml_dtypes); ``cast``
    # of a tensor runs the graph.  Both give the same bits.
    x = float32_probe(name)
    with np.errstate(over="ignore", invalid="ignore"):
        host = to_tensor(x, name).numpy()
    assert_same_bits(host, eager_cast(x, name))


@pytest.mark.parametrize("name", FLOAT8)
def test_symbolic_cast(name):
    from keras import ops
    from keras.src.backend import KerasTensor

    y = ops.cast(KerasTensor((2, None), dtype="float32"), name)
    assert y.dtype == name and y.shape == (2, None)
    assert ops.cast(y, "float32").dtype == "float32"


def test_ops_without_a_float8_kernel_raise():
    x = to_tensor(np.ones(4, ml_dtypes.float8_e4m3fn))
    from keras import ops

    with pytest.raises(NotImplementedError, match="ReduceMax.*f8e4m3"):
        ops.max(x)


@pytest.mark.parametrize("name", FLOAT8)
def test_data_movement_keeps_the_bits(name):
    from keras import ops

    a = every_float8(name)
    x = to_tensor(a)
    assert_same_bits(ops.transpose(ops.reshape(x, (16, 16))).numpy(), a.reshape(16, 16).T)
    assert_same_bits(ops.concatenate([x, x]).numpy(), np.concatenate([a, a]))
    assert_same_bits(x[10:20].numpy(), a[10:20])


@pytest.mark.parametrize("dtype", ["float8_e4m3fn", "float8_e5m2"])
def test_float8_data_movement_runs_on_bit_patterns(dtype):
    # Gather/Concat/Transpose have no float8 kernels: they run on the uint8 bits.
    from keras import ops

    values = np.array([[1.5, -2.0, 0.25], [0.1, 3.0, -7.0]], np.float32)
    x = ops.cast(ops.convert_to_tensor(values), dtype)
    host = np.asarray(x)
    for got, want in [
        (ops.take(x, [1, 0], axis=0), host[[1, 0]]),
        (ops.transpose(x), host.T),
        (ops.concatenate([x, x]), np.concatenate([host, host])),
    ]:
        got = np.asarray(got)
        assert got.dtype == host.dtype
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8))
