"""Transpose sinking (keras_ov.engine.layout): rule by rule on small graphs,
then on a channels-last CNN, always checking the numbers against the
unoptimized graph."""

import collections

import numpy as np
import openvino as ov
import pytest
from openvino import opset15 as op

import keras
from keras import layers

from keras_ov.engine import compiled, layout, plugin

RNG = np.random.default_rng(0)


def _count(model, kind="Transpose"):
    return collections.Counter(n.get_type_name() for n in model.get_ordered_ops())[kind]


def _run(model, *arrays):
    exe = plugin.CompiledExecutable(model)
    return exe(list(arrays), ["float32"] * len(arrays))


def _check(build, shapes, transposes_left):
    """Build twice; sink in one copy; same numbers, expected Transpose count."""
    arrays = [RNG.normal(size=s).astype(np.float32) for s in shapes]

    def model():
        params = [op.parameter(list(s), ov.Type.f32) for s in shapes]
        return ov.Model([op.result(o) for o in build(*params)], params)

    plain, sunk = model(), model()
    layout.sink_transposes(sunk)
    assert _count(sunk) == transposes_left
    for want, got in zip(_run(plain, *arrays), _run(sunk, *arrays)):
        assert want.shape == got.shape
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def _t(x, perm):
    return op.transpose(x, op.constant(np.array(perm, dtype=np.int64)))


NCHW, NHWC = [0, 3, 1, 2], [0, 2, 3, 1]


def test_inverse_pair_through_unary_ops_cancels():
    _check(lambda x: [_t(op.clamp(op.relu(_t(x, NHWC)), 0.0, 6.0), NCHW)], [(2, 3, 4, 5)], 0)


def test_constant_operands_are_transposed_on_host():
    # rank-1 (per channel), full-rank and scalar constants
    full = RNG.normal(size=(1, 4, 1, 3)).astype(np.float32)

    def build(x):
        y = _t(x, NHWC)  # (2, 4, 5, 3)
        y = op.multiply(y, op.constant(np.arange(3, dtype=np.float32) + 1))
        y = op.add(y, op.constant(full))
        y = op.subtract(op.constant(np.float32(0.5)), y)
        return [_t(y, NCHW)]

    _check(build, [(2, 3, 4, 5)], 0)


def test_both_operands_transposed_alike():
    _check(lambda a, b: [op.add(_t(a, NHWC), _t(b, NHWC))], [(2, 3, 4, 5)] * 2, 1)


def test_mismatched_operands_stop_the_sinking():
    _check(lambda a, b: [_t(op.add(_t(a, NHWC), b), NCHW)], [(2, 3, 4, 5), (2, 4, 5, 3)], 2)


def test_pad_concat_and_transposes_compose():
    def build(a, b):
        pa = op.pad(
            _t(a, NHWC),
            op.constant(np.array([0, 1, 2, 0])),
            op.constant(np.array([0, 0, 1, 0])),
            "constant",
            op.constant(np.float32(0)),
        )
        cat = op.concat([pa, _t(b, NHWC)], -1)  # along channels
        return [_t(cat, [0, 2, 1, 3])]  # a different permutation: composes to one

    _check(build, [(2, 3, 4, 5), (2, 6, 5, 8)], 1)


@pytest.mark.parametrize(
    "axes,keep,left", [([1, 2], False, 0), ([1, 2], True, 1), ([3], False, 0), ([0], False, 1)]
)
def test_reductions_map_their_axes(axes, keep, left):
    _check(
        lambda x: [op.reduce_mean(_t(x, NHWC), op.constant(np.array(axes)), keep)],
        [(2, 3, 4, 5)],
        left,
    )


def _seeded(model):
    rng = np.random.default_rng(1)
    for w in model.weights:
        w.assign(
            rng.normal(size=w.shape).astype("float32") * 0.3 + (1.0 if "variance" in w.path else 0)
        )
    return model


def _cnn():
    x = keras.Input((16, 16, 3))
    y = layers.Conv2D(8, 3, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.ReLU(6.0)(y)
    z = layers.DepthwiseConv2D(3, padding="same")(y)
    z = layers.BatchNormalization()(z)
    y = layers.Add()([y, z])
    y = layers.ZeroPadding2D(((1, 0), (0, 1)))(y)
    y = layers.Conv2D(6, 3, strides=2)(y)
    y = layers.Concatenate()([y, layers.MaxPooling2D(2)(layers.Conv2D(4, 1)(x))])
    y = layers.GlobalAveragePooling2D()(y)
    return _seeded(keras.Model(x, layers.Dense(5)(y)))


def test_channels_last_cnn_keeps_its_numbers_and_loses_its_transposes():
    model = _cnn()
    x = RNG.random((4, 16, 16, 3)).astype(np.float32)

    def fn(t):
        return [model(t, training=False)]

    plain, _ = compiled.trace(fn, [((4, 16, 16, 3), "float32")])
    optimized, _ = compiled.trace(fn, [((4, 16, 16, 3), "float32")])
    layout.optimize(optimized)
    assert _count(plain) >= 10
    assert _count(optimized) == 1  # the input's, NHWC -> NCHW, as in OpenVINO's own IR
    (want,), (got,) = _run(plain, x), _run(optimized, x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    # predict compiles the optimized graph
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-4, atol=1e-4)


def test_transposes_fold_into_einsum_equations():
    w = RNG.normal(size=(6, 2, 3)).astype(np.float32)
    v = RNG.normal(size=(2, 3, 5)).astype(np.float32)

    def build(x):  # x: (4, 7, 6) -> heads (4, 2, 7, 3) -> back to (4, 7, 5)
        heads = _t(op.einsum([x, op.constant(w)], "abc,cde->abde"), [0, 2, 1, 3])
        heads = op.softmax(heads, -1)  # not a sinking op: only the Einsums can take them
        return [op.einsum([_t(heads, [0, 2, 1, 3]), op.constant(v)], "abcd,cde->abe")]

    _check(build, [(4, 7, 6)], 0)


def test_transposes_after_an_einsum_and_its_bias_fold_into_the_equation():
    w = RNG.normal(size=(6, 2, 3)).astype(np.float32)
    b = RNG.normal(size=(2, 3)).astype(np.float32)

    def build(x):  # attention's head split: projection, bias, (batch, heads, seq, dim)
        q = op.add(op.einsum([x, op.constant(w)], "abc,cde->abde"), op.constant(b))
        return [op.softmax(_t(q, [0, 2, 1, 3]), -1)]

    _check(build, [(4, 7, 6)], 0)


def test_transpose_after_a_shared_biased_einsum_stays():
    w = RNG.normal(size=(6, 2, 3)).astype(np.float32)

    def build(x):  # the biased projection has a second reader: no rewrite
        q = op.add(op.einsum([x, op.constant(w)], "abc,cde->abde"), op.constant(1.0, np.float32))
        return [op.softmax(_t(q, [0, 2, 1, 3]), -1), op.relu(q)]

    _check(build, [(4, 7, 6)], 1)


def test_transpose_with_runtime_permutation_is_left_alone():
    x = op.parameter([2, 3], ov.Type.f32)
    perm = op.parameter([2], ov.Type.i64)
    y = op.transpose(op.einsum([x, op.constant(np.ones((3, 4), np.float32))], "ab,bc->ac"), perm)
    model = ov.Model([op.result(y)], [x, perm])
    assert layout.sink_transposes(model) == 0
    assert _count(model) == 1


# -- int8 products cast back to float -------------------------------------------


def _int8_product_model(k, equation=None):
    """Parameter(int8 (2, k)) x Constant(int8 (k, 3)) through ops.linalg's int8
    operands, Convert to int32 and back to float32 (Keras's int8 Dense)."""
    from keras_ov.ops import linalg

    a = op.parameter([2, k], ov.Type.i8)
    b = op.constant(np.full((k, 3), -128, np.int8))
    fa, fb = linalg._int8_operand(a.output(0)), linalg._int8_operand(b.output(0))
    p = op.einsum([fa, fb], equation) if equation else op.matmul(fa, fb, False, False)
    back = op.convert(op.convert(p, ov.Type.i32), ov.Type.f32)
    return ov.Model([op.result(back)], [a])


@pytest.mark.parametrize(
    "k,equation,dropped",
    [
        (1024, None, 1),
        (1024, "ab,bc->ac", 1),
        (1025, None, 0),
        (1025, "ab,bc->ac", 0),
    ],
)
def test_int8_product_round_trip_is_dropped_only_where_exact(k, equation, dropped):
    model = _int8_product_model(k, equation)
    assert layout.drop_int8_round_trips(model) == dropped
    kinds = [n.get_type_name() for n in model.get_ordered_ops()]
    assert kinds.count("Convert") == 2 + 2 * (1 - dropped)  # the operands' Converts stay
    x = np.full((2, k), -128, np.int8)  # the extreme: k * 2**14, 2**24 at k = 1024
    y = ov.Core().compile_model(model, "CPU")(x)[0]
    if dropped:
        np.testing.assert_array_equal(y, np.full((2, 3), k * 2.0**14, np.float32))
