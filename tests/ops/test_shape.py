"""Shape ops against NumPy: every dtype, static and dynamic shapes, exact wide data."""

import ml_dtypes
import numpy as np
import openvino as ov
import pytest

from keras import ops
from keras.src.backend.common.keras_tensor import KerasTensor

from keras_ov.engine import dtypes, execute
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import shape as S
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.registry import REGISTRY

ALL = dtypes.KERAS_DTYPES


def sample(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    np_dtype = ml_dtypes.bfloat16 if dtype == "bfloat16" else np.dtype(dtype)
    if dtype.startswith("uint"):
        return rng.integers(0, 200, shape).astype(np_dtype)
    if dtype.startswith("int"):
        return rng.integers(-100, 100, shape).astype(np_dtype)
    return rng.normal(size=shape).astype(np_dtype)


def check(got, want):
    got = np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(
        got.astype(np.float64) if got.dtype == ml_dtypes.bfloat16 else got,
        want.astype(np.float64) if want.dtype == ml_dtypes.bfloat16 else want,
    )


# -- ravel --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 3, 4)])
def test_ravel_matches_numpy(dtype, shape):
    x = sample(shape, dtype)
    check(ops.ravel(x), np.ravel(x))


def test_ravel_1d_returns_input_without_a_node():
    x = to_tensor(np.arange(4, dtype=np.float32))
    assert S.ravel(x) is x


def test_ravel_0d_is_1d():
    assert ops.ravel(np.float32(3)).shape == (1,)


@pytest.mark.parametrize(
    "shape,want", [((None, 3), (None,)), ((2, None, 4), (None,)), ((2, 3), (6,)), ((7,), (7,))]
)
def test_ravel_symbolic_shapes(shape, want):
    assert ops.ravel(KerasTensor(shape, "float32")).shape == want


def _symbolic(shape, dtype="float32"):
    p = execute.make_parameter([-1 if d is None else d for d in shape], dtype)
    return p, OVTensor(output=p.output(0))


def _count(model, kind):
    return sum(op.get_type_name() == kind for op in model.get_ordered_ops())


def test_reshape_chain_collapses_to_one_node():
    p, x = _symbolic((None, 3, 4))
    y = S.ravel(S.reshape(S.reshape(x, (-1, 12)), (-1, 2, 6)))
    model = ov.Model([y.output], [p])
    assert _count(model, "Reshape") == 1
    assert y.shape == (None,)


def test_ravel_of_1d_symbolic_adds_nothing():
    p, x = _symbolic((None,))
    assert S.ravel(x) is x


def test_second_ravel_of_same_signature_does_not_compile():
    ops.ravel(np.zeros((3, 7), np.int16))
    before, hits = execute.counters["compiled"], execute.cache.stats()["hits"]
    out = ops.ravel(np.ones((3, 7), np.int16))
    assert execute.counters["compiled"] == before
    assert execute.cache.stats()["hits"] == hits + 1
    check(out, np.ones(21, np.int16))


def test_eager_reshape_graph_is_built_but_not_run():
    # A reshape-only graph moves no data: it is built (OpenVINO infers the
    # shape) and its result is the input's bytes as a view -- no compile.
    x = to_tensor(np.arange(2 * 3 * 11, dtype=np.int64).reshape(2, 3, 11) + 2**40)
    compiled, views = execute.counters["compiled"], execute.counters["views"]
    out = S.ravel(S.expand_dims(x, 0))
    assert execute.counters["compiled"] == compiled
    assert execute.counters["views"] == views + 2
    host = ops.convert_to_numpy(out)
    check(host, np.arange(66, dtype=np.int64) + 2**40)
    host[0] = -1  # the caller's copy: the tensor is not changed
    assert np.asarray(x).min() == 2**40


def test_only_pure_reshape_graphs_are_views():
    p, x = _symbolic((2, 3))
    assert execute.view_shape(ov.Model([S.ravel(x).output], [p])) == (6,)
    assert execute.view_shape(ov.Model([S.transpose(x).output], [p])) is None
    negated = REGISTRY["numpy.negative"](x)
    assert execute.view_shape(ov.Model([S.reshape(negated, (6,)).output], [p])) is None
    q, y = _symbolic((None, 3))
    assert execute.view_shape(ov.Model([S.ravel(y).output], [q])) is None  # dynamic


# -- table of shape ops vs NumPy ------------------------------------------------

CASES = [
    ("reshape", lambda x: ops.reshape(x, (3, -1)), lambda x: np.reshape(x, (3, -1))),
    ("transpose", lambda x: ops.transpose(x, (2, 0, 1)), lambda x: np.transpose(x, (2, 0, 1))),
    ("transpose_default", ops.transpose, np.transpose),
    ("moveaxis", lambda x: ops.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1)),
    ("swapaxes", lambda x: ops.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2)),
    ("expand_dims", lambda x: ops.expand_dims(x, (0, -1)), lambda x: np.expand_dims(x, (0, -1))),
    ("squeeze", lambda x: ops.squeeze(x[:1], 0), lambda x: np.squeeze(x[:1], 0)),
    (
        "broadcast_to",
        lambda x: ops.broadcast_to(x, (2, 2, 3, 4)),
        lambda x: np.broadcast_to(x, (2, 2, 3, 4)),
    ),
    (
        "concatenate",
        lambda x: ops.concatenate([x, x], axis=1),
        lambda x: np.concatenate([x, x], axis=1),
    ),
    ("stack", lambda x: ops.stack([x, x], axis=-1), lambda x: np.stack([x, x], axis=-1)),
    ("hstack", lambda x: ops.hstack([x, x]), lambda x: np.hstack([x, x])),
    ("vstack", lambda x: ops.vstack([x, x]), lambda x: np.vstack([x, x])),
    ("dstack", lambda x: ops.dstack([x, x]), lambda x: np.dstack([x, x])),
    ("append", lambda x: ops.append(x, x), lambda x: np.append(x, x)),
    ("flip", lambda x: ops.flip(x, (0, 2)), lambda x: np.flip(x, (0, 2))),
    ("rot90", lambda x: ops.rot90(x, 3, (1, 2)), lambda x: np.rot90(x, 3, (1, 2))),
    ("roll", lambda x: ops.roll(x, -2, 2), lambda x: np.roll(x, -2, 2)),
    ("roll_flat", lambda x: ops.roll(x, 5), lambda x: np.roll(x, 5)),
    ("tile", lambda x: ops.tile(x, (2, 1, 1, 2)), lambda x: np.tile(x, (2, 1, 1, 2))),
    ("repeat", lambda x: ops.repeat(x, 2, axis=1), lambda x: np.repeat(x, 2, axis=1)),
    (
        "repeat_each",
        lambda x: ops.repeat(x, [2, 0, 1], axis=1),
        lambda x: np.repeat(x, [2, 0, 1], axis=1),
    ),
    (
        "pad",
        lambda x: ops.pad(x, ((1, 0), (0, 2), (1, 1))),
        lambda x: np.pad(x, ((1, 0), (0, 2), (1, 1))),
    ),
    (
        "pad_reflect",
        lambda x: ops.pad(x, 1, mode="reflect"),
        lambda x: np.pad(x, 1, mode="reflect"),
    ),
    ("split", lambda x: ops.split(x, [1, 3], axis=2)[1], lambda x: np.split(x, [1, 3], axis=2)[1]),
    (
        "array_split",
        lambda x: ops.array_split(x, 3, axis=2)[2],
        lambda x: np.array_split(x, 3, axis=2)[2],
    ),
]


@pytest.mark.parametrize("dtype", ["bool", "uint16", "bfloat16", "float32"])
@pytest.mark.parametrize("name,fn,ref", CASES, ids=[c[0] for c in CASES])
def test_shape_op_matches_numpy(name, fn, ref, dtype):
    x = sample((2, 3, 4), dtype)
    check(fn(x), ref(x))


# -- exact wide data --------------------------------------------------------------

WIDE = [
    ("int64", [2**40 + 1, -(2**62), 7]),
    ("uint32", [4_000_000_000, 1, 3_999_999_999]),
    ("uint64", [2**63 + 5, 1, 2**64 - 1]),
    ("float64", [1 / 3, 2**-1074, 1e300]),
]

MOVES = [
    ("transpose", lambda x: ops.transpose(ops.reshape(x, (1, 3)))),
    ("concatenate", lambda x: ops.concatenate([x, x])),
    ("stack", lambda x: ops.stack([x, x])),
    ("flip", lambda x: ops.flip(x)),
    ("roll", lambda x: ops.roll(x, 1)),
    ("tile", lambda x: ops.tile(x, 2)),
    ("repeat", lambda x: ops.repeat(x, 2)),
    ("repeat_each", lambda x: ops.repeat(x, [1, 0, 2])),
    ("pad", lambda x: ops.pad(x, (1, 1), mode="symmetric")),
    ("broadcast_to", lambda x: ops.broadcast_to(x, (2, 3))),
    ("split", lambda x: ops.split(x, [1])[1]),
]


@pytest.mark.parametrize("dtype,values", WIDE, ids=[w[0] for w in WIDE])
@pytest.mark.parametrize("name,fn", MOVES, ids=[m[0] for m in MOVES])
def test_data_movement_is_exact_for_wide_dtypes(name, fn, dtype, values):
    x = np.array(values, dtype=dtype)
    ref = {
        "transpose": lambda: x.reshape(1, 3).T,
        "concatenate": lambda: np.concatenate([x, x]),
        "stack": lambda: np.stack([x, x]),
        "flip": lambda: x[::-1],
        "roll": lambda: np.roll(x, 1),
        "tile": lambda: np.tile(x, 2),
        "repeat": lambda: np.repeat(x, 2),
        "repeat_each": lambda: np.repeat(x, [1, 0, 2]),
        "pad": lambda: np.pad(x, 1, mode="symmetric"),
        "broadcast_to": lambda: np.broadcast_to(x, (2, 3)),
        "split": lambda: np.split(x, [1])[1],
    }[name]()
    check(fn(x), ref)


# -- symbolic shape inference -------------------------------------------------------


@pytest.mark.parametrize(
    "fn,shape,want",
    [
        (lambda x: S.reshape(x, (-1, 6)), (None, 2, 3), (None, 6)),
        (lambda x: S.reshape(x, (None, 6)), (None, 2, 3), (None, 6)),  # Flatten's form
        (lambda x: S.reshape(x, (None, 3, 2)), (None, 2, 3), (None, 3, 2)),
        (lambda x: S.transpose(x), (None, 2, 3), (3, 2, None)),
        (lambda x: S.concatenate([x, x], axis=1), (None, 2, 3), (None, 4, 3)),
        (lambda x: S.stack([x, x], axis=1), (None, 3), (None, 2, 3)),
        (lambda x: S.tile(x, (1, 2)), (None, 3), (None, 6)),
        (lambda x: S.repeat(x, 3, axis=0), (None, 3), (None, 3)),
        (lambda x: S.roll(x, 1, axis=0), (None, 3), (None, 3)),
        (lambda x: S.flip(x, 0), (None, 3), (None, 3)),
        (lambda x: S.squeeze(x, 1), (None, 1, 3), (None, 3)),
        (lambda x: S.pad(x, ((0, 0), (1, 2))), (None, 3), (None, 6)),
        (lambda x: S.split(x, 2, axis=0)[0], (None, 3), (None, 3)),
    ],
)
def test_symbolic_shapes(fn, shape, want):
    _, x = _symbolic(shape)
    assert fn(x).shape == want


def test_bad_arguments_raise_clear_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="reshape"):
        ops.reshape(x, (4, 2))
    with pytest.raises(ValueError, match="transpose"):
        ops.transpose(x, (0, 0))
    with pytest.raises(ValueError, match="squeeze"):
        ops.squeeze(x, 0)
    with pytest.raises(ValueError, match="split"):
        ops.split(x, 2, axis=1)
    with pytest.raises(NotImplementedError, match="pad"):
        ops.pad(x, 1, mode="wrap")


@pytest.mark.parametrize(
    "shape,repeats,axis",
    [
        ((2, 0), 2, 0),
        ((2, 0), 3, 1),
        ((0, 3), 2, 1),
        ((0, 3), 2, 0),
        ((1, 0, 2), 2, 2),
        ((0,), 2, None),
    ],
)
def test_repeat_of_zero_size_arrays(shape, repeats, axis):
    # The merged axis was a -1 in a Reshape, which a 0-size tensor leaves at 1.
    x = np.ones(shape, np.float32)
    check(ops.repeat(x, repeats, axis=axis), np.repeat(x, repeats, axis=axis))
