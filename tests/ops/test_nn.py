"""nn ops against NumPy references, over dtypes and shapes, plus symbolic shapes."""

import math

import numpy as np
import pytest

import keras
from keras import KerasTensor
from keras.src.backend import nn as B

from keras_ov.ops.registry import REGISTRY

RNG = np.random.default_rng(0)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _gelu_erf(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


ACTIVATIONS = [
    ("relu", lambda x: np.maximum(x, 0)),
    ("relu6", lambda x: np.clip(x, 0, 6)),
    ("sigmoid", _sigmoid),
    ("sparse_sigmoid", lambda x: np.clip(0.5 * (x + 1), 0, 1)),
    ("tanh", np.tanh),
    ("tanh_shrink", lambda x: x - np.tanh(x)),
    ("softplus", _softplus),
    ("softsign", lambda x: x / (1 + np.abs(x))),
    ("sparse_plus", lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4))),
    ("silu", lambda x: x * _sigmoid(x)),
    ("squareplus", lambda x: (x + np.sqrt(x * x + 4)) / 2),
    ("log_sigmoid", lambda x: -_softplus(-x)),
    ("leaky_relu", lambda x: np.where(x > 0, x, 0.2 * x)),
    ("hard_sigmoid", lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hard_silu", lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("elu", lambda x: np.where(x > 0, x, np.expm1(x))),
    ("selu", lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    ("celu", lambda x: np.where(x > 0, x, np.expm1(x))),
    ("hard_tanh", lambda x: np.clip(x, -1, 1)),
    ("hard_shrink", lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    ("soft_shrink", lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0))),
    ("softmax", _softmax),
    ("log_softmax", lambda x: np.log(_softmax(x))),
]
TOL = {"float32": 1e-5, "float16": 2e-2, "bfloat16": 5e-2}


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("shape", [(3, 5)])
@pytest.mark.parametrize("name,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, ref, shape, dtype):
    x = (RNG.standard_normal(shape) * 4).astype(dtype)
    out = getattr(B, name)(x)
    assert out.dtype == dtype and out.shape == shape
    expected = ref(x.astype("float64"))
    np.testing.assert_allclose(
        np.asarray(out, "float64"), expected, rtol=TOL[dtype], atol=TOL[dtype]
    )


def test_activation_tails_and_params():
    x = np.array([-90, -40, -6.6, 0, 1e-8, 6.6, 40, 90], "float32")
    np.testing.assert_allclose(B.softplus(x), _softplus(x.astype("float64")), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(B.gelu(x, approximate=False), _gelu_erf(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(B.threshold(x, 0.5, -1.0), np.where(x > 0.5, x, -1.0))
    np.testing.assert_allclose(
        B.glu(np.arange(8.0).reshape(2, 4)),
        np.arange(8.0).reshape(2, 4)[:, :2] * _sigmoid(np.arange(8.0).reshape(2, 4)[:, 2:]),
        rtol=1e-6,
    )
    np.testing.assert_allclose(B.sparsemax(np.array([1.0, 1.0, -2.0])), [0.5, 0.5, 0.0])
    with pytest.raises(ValueError, match="glu"):
        B.glu(np.ones((2, 3)))


def _np_conv2d_nhwc(x, k, stride):
    kh, kw, _, co = k.shape
    n, h, w, _ = x.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, oh, ow, co))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, k, axes=([1, 2, 3], [0, 1, 2]))
    return out


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_and_pool_vs_numpy(stride, data_format):
    x = RNG.standard_normal((2, 7, 6, 3)).astype("float32")
    k = RNG.standard_normal((3, 2, 3, 4)).astype("float32")
    expected = _np_conv2d_nhwc(x, k, stride)
    xin = x if data_format == "channels_last" else x.transpose(0, 3, 1, 2)
    out = np.asarray(B.conv(xin, k, stride, "valid", data_format))
    if data_format == "channels_first":
        out = out.transpose(0, 2, 3, 1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    pooled = np.asarray(B.max_pool(xin, 2, 2, "valid", data_format))
    if data_format == "channels_first":
        pooled = pooled.transpose(0, 2, 3, 1)
    ref = x[:, :6].reshape(2, 3, 2, 3, 2, 3).max(axis=(2, 4))
    np.testing.assert_allclose(pooled, ref)


def test_depthwise_separable_transpose_shapes():
    x = RNG.standard_normal((1, 5, 5, 2)).astype("float32")
    assert B.depthwise_conv(x, np.ones((3, 3, 2, 3), "float32"), 1, "same").shape == (1, 5, 5, 6)
    y = B.separable_conv(x, np.ones((3, 3, 2, 1), "float32"), np.ones((1, 1, 2, 4), "float32"))
    assert y.shape == (1, 3, 3, 4)
    assert B.conv_transpose(x, np.ones((3, 3, 4, 2), "float32"), 2, "same").shape == (1, 10, 10, 4)
    # depthwise with a ones kernel sums each channel's window
    d = np.asarray(B.depthwise_conv(x, np.ones((3, 3, 2, 1), "float32")))
    np.testing.assert_allclose(d[0, 0, 0], x[0, :3, :3].sum(axis=(0, 1)), rtol=1e-5)


def test_encodings_and_losses():
    idx = np.array([[0, 2], [1, -1]], "int32")
    np.testing.assert_array_equal(B.one_hot(idx, 3), np.eye(3)[idx] * (idx[..., None] >= 0))
    np.testing.assert_array_equal(
        B.multi_hot(np.array([[0, 2], [1, 1]]), 3), [[1, 0, 1], [0, 1, 0]]
    )
    t = RNG.random((4, 5)).astype("float32")
    o = RNG.random((4, 5)).astype("float32")
    p = np.clip(o / o.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(
        B.categorical_crossentropy(t, o), -(t * np.log(p)).sum(-1), rtol=1e-5
    )
    lbl = np.array([0, 3, 1, 4])
    np.testing.assert_allclose(
        B.sparse_categorical_crossentropy(lbl, o, from_logits=True),
        -np.log(_softmax(o))[np.arange(4), lbl],
        rtol=1e-5,
    )
    q = np.clip(o, 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(
        B.binary_crossentropy(t, o), -(t * np.log(q) + (1 - t) * np.log(1 - q)), rtol=1e-5
    )


def test_normalization_and_metrics():
    x = RNG.standard_normal((3, 4, 5)).astype("float32")
    mean, var = B.moments(x, (0, 2))
    np.testing.assert_allclose(mean, x.mean((0, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, x.var((0, 2)), rtol=1e-5)
    m, v = np.arange(4.0, dtype="float32"), np.ones(4, "float32")
    np.testing.assert_allclose(
        B.batch_normalization(x, m, v, axis=1, epsilon=0.0),
        x - m[None, :, None],
        rtol=1e-5,
        atol=1e-6,
    )
    a, b = RNG.random((8, 8)).astype("float32"), RNG.random((8, 8)).astype("float32")
    np.testing.assert_allclose(
        B.psnr(a, b, 1.0), 10 * np.log10(1 / np.mean((a - b) ** 2)), rtol=1e-5
    )


def test_attention_vs_numpy():
    q, k, v = (RNG.standard_normal((2, 4, 3, 8)).astype("float32") for _ in range(3))
    logits = np.einsum("btnh,bsnh->bnts", q, k) / math.sqrt(8)
    expected = np.einsum("bnts,bsnh->btnh", _softmax(logits), v)
    np.testing.assert_allclose(B.dot_product_attention(q, k, v), expected, rtol=1e-4, atol=1e-5)
    causal = np.where(np.tril(np.ones((4, 4), bool)), logits, -1e30)
    np.testing.assert_allclose(
        B.dot_product_attention(q, k, v, is_causal=True),
        np.einsum("bnts,bsnh->btnh", _softmax(causal), v),
        rtol=1e-4,
        atol=1e-5,
    )


def test_patches_and_depth_space_roundtrip():
    x = np.arange(2 * 3 * 6 * 4, dtype="float32").reshape(2, 3, 6, 4)
    cols = B.unfold(x, 2, stride=2)
    assert cols.shape == (2, 12, 6)
    np.testing.assert_array_equal(B.fold(cols, (6, 4), 2, stride=2), x)
    y = np.arange(2 * 4 * 4 * 8, dtype="float32").reshape(2, 4, 4, 8)
    for fmt in ("channels_last", "channels_first"):
        np.testing.assert_array_equal(B.depth_to_space(B.space_to_depth(y, 2, fmt), 2, fmt), y)


def test_ctc_greedy_decode():
    # classes: 0 = blank; path 1 1 0 2 2 -> [1, 2]
    seq = np.array([1, 1, 0, 2, 2])
    logits = np.log(np.eye(3)[seq][None] * 0.9 + 0.05).astype("float32")
    decoded, scores = B.ctc_decode(logits, np.array([5]))
    np.testing.assert_array_equal(np.asarray(decoded)[0, 0, :2], [1, 2])
    assert np.all(np.asarray(decoded)[0, 0, 2:] == -1)
    loss = B.ctc_loss(np.array([[1, 2]]), logits, np.array([2]), np.array([5]))
    assert loss.shape == (1,) and np.isfinite(np.asarray(loss)).all()


# -- CTC beam search -------------------------------------------------------------------------
# (T, K, beam_width, top_paths, mask_index, inputs); batch rows get lengths T, T - 2, 1, 0
CTC_BEAM_CASES = {
    "normal": (7, 5, 4, 3, 0, "normal"),
    "wide_beam_blank_last": (6, 4, 9, 9, None, "normal"),  # beam > classes, empty slots
    "narrow_beam_blank_mid": (6, 6, 2, 2, 3, "normal"),  # beam < classes at frame 0
    "more_paths_than_beam": (4, 3, 2, 4, 1, "normal"),  # extra paths: -1 and -inf
    "greedy_beam": (5, 4, 1, 1, 0, "normal"),
    "all_tied": (5, 4, 6, 4, 0, "zeros"),  # every score tied: JAX's path order decides
    "one_frame": (1, 4, 3, 3, 2, "normal"),
}


def _ctc_beam_inputs(T, K, kind, batch=4):
    if kind == "zeros":
        return np.zeros((batch, T, K), "float32")
    return (RNG.standard_normal((batch, T, K)) * 2).astype("float32")


def _ctc_beam(x, lengths, **kw):
    d, s = B.ctc_decode(x, lengths, strategy="beam_search", **kw)
    return np.asarray(d), np.asarray(s)


@pytest.mark.parametrize("case", sorted(CTC_BEAM_CASES))
def test_ctc_beam_search_matches_jax(case):
    pytest.importorskip("jax")
    from keras.src.backend.jax import nn as jax_nn

    T, K, width, top, mask, kind = CTC_BEAM_CASES[case]
    x = _ctc_beam_inputs(T, K, kind)
    lengths = np.array([T, max(T - 2, 0), 1, 0], "int32")
    kw = dict(beam_width=width, top_paths=top, mask_index=mask)
    decoded, scores = _ctc_beam(x, lengths, **kw)
    ref_decoded, ref_scores = jax_nn.ctc_decode(x, lengths, strategy="beam_search", **kw)
    assert decoded.dtype == np.int32 and scores.dtype == np.float32
    np.testing.assert_array_equal(decoded, np.asarray(ref_decoded))
    np.testing.assert_allclose(scores, np.asarray(ref_scores), rtol=1e-5, atol=1e-5)


def test_ctc_beam_search_ties_match_jax():
    # exact ties that JAX breaks by its path order, including between an
    # extension and beam paths that extend the same parent
    pytest.importorskip("jax")
    from keras.src.backend.jax import nn as jax_nn

    x = np.array(
        [
            [[0, 0, 2], [0, 2, 2], [0, 2, 1]],
            [[2, 2, 0], [1, 2, 2], [2, 2, 2]],
            [[0, 2, 0], [2, 2, 2], [2, 1, 1]],
            [[2, 0, 1], [2, 0, 2], [0, 2, 2]],
        ],
        "float32",
    )
    lengths = np.array([3, 3, 3, 3], "int32")
    decoded, scores = _ctc_beam(x, lengths, beam_width=5, top_paths=5)
    ref_decoded, ref_scores = jax_nn.ctc_decode(
        x, lengths, strategy="beam_search", beam_width=5, top_paths=5
    )
    np.testing.assert_array_equal(decoded, np.asarray(ref_decoded))
    np.testing.assert_allclose(scores, np.asarray(ref_scores), rtol=1e-5, atol=1e-5)


def test_ctc_beam_search_hand_computed():
    # blank (class 0) has p = 0.6 in both frames: greedy reads "", but the
    # alignments "1 1", "1 _", "_ 1" of [1] add up to 0.64 against 0.36 for ""
    x = np.log(np.array([[[0.6, 0.4], [0.6, 0.4]]], "float32"))
    decoded, scores = _ctc_beam(x, np.array([2]), beam_width=5, top_paths=2)
    np.testing.assert_array_equal(decoded, [[[1, -1]], [[-1, -1]]])
    np.testing.assert_allclose(scores, np.log([[0.64, 0.36]]), rtol=1e-6)
    (greedy,), _ = B.ctc_decode(x, np.array([2]))
    np.testing.assert_array_equal(greedy, [[-1, -1]])


@pytest.mark.parametrize("merge_repeated", [True, False])
def test_ctc_beam_search_repeats(merge_repeated):
    # frames a a _ a b b (blank 0, a = 1, b = 2): repeats merge unless a blank
    # separates them; like JAX and TF, beam search ignores merge_repeated
    frames = [1, 1, 0, 1, 2, 2]
    x = np.log(np.eye(3)[frames] * 0.97 + 0.01).astype("float32")[None]
    decoded, scores = _ctc_beam(
        x, np.array([6]), beam_width=4, top_paths=2, merge_repeated=merge_repeated
    )
    np.testing.assert_array_equal(decoded[0, 0], [1, 1, 2, -1, -1, -1])
    assert scores[0, 0] > scores[0, 1] > -np.inf


def test_ctc_beam_search_mask_index():
    # moving the blank column from first to last shifts every label down by one
    T, K = 6, 5
    x = (RNG.standard_normal((3, T, K)) * 2).astype("float32")
    lengths = np.array([6, 4, 5], "int32")
    decoded, scores = _ctc_beam(x, lengths, beam_width=5, top_paths=3, mask_index=0)
    shifted = np.where(decoded >= 0, decoded - 1, -1)
    rolled = np.roll(x, -1, axis=2)
    for mask in (K - 1, -1, None):
        d, s = _ctc_beam(rolled, lengths, beam_width=5, top_paths=3, mask_index=mask)
        np.testing.assert_array_equal(d, shifted)
        np.testing.assert_allclose(s, scores, rtol=1e-5)


def test_ctc_beam_search_dynamic_batch():
    from keras_ov.engine import compiled

    def fn(x, lengths):
        return list(B.ctc_decode(x, lengths, strategy="beam_search", beam_width=4, top_paths=2))

    model, _ = compiled.trace(fn, [((None, 6, 5), "float32"), ((None,), "int32")])
    traced = compiled.CompiledFunction(model)
    for batch in (1, 3):  # batch 1: Gather with batch_dims crashes the CPU plugin
        x = (RNG.standard_normal((batch, 6, 5)) * 2).astype("float32")
        lengths = np.array([6, 3, 1][:batch], "int32")
        decoded, scores = traced([x, lengths])
        eager = _ctc_beam(x, lengths, beam_width=4, top_paths=2)
        assert decoded.shape == (2, batch, 6)
        np.testing.assert_array_equal(decoded, eager[0])
        np.testing.assert_allclose(scores, eager[1], rtol=1e-6)
    spec = keras.src.backend.compute_output_spec(
        fn, KerasTensor((None, 6, 5)), KerasTensor((None,), "int32")
    )
    assert spec[0].shape == (2, None, 6) and spec[1].shape == (None, 2)


@pytest.mark.parametrize(
    "kw",
    [
        dict(beam_width=0),
        dict(top_paths=0),
        dict(beam_width=2.5),
        dict(mask_index=5),
        dict(mask_index=-6),
    ],
)
def test_ctc_beam_search_bad_arguments(kw):
    with pytest.raises(ValueError, match="ctc_decode"):
        B.ctc_decode(np.zeros((1, 3, 5), "float32"), np.array([3]), strategy="beam_search", **kw)


def test_symbolic_shapes():
    x = KerasTensor((None, 8, 8, 3))
    assert keras.ops.conv(x, KerasTensor((3, 3, 3, 4)), padding="same").shape == (None, 8, 8, 4)
    assert keras.ops.max_pool(x, 2).shape == (None, 4, 4, 3)
    assert keras.ops.softmax(KerasTensor((None, 5))).shape == (None, 5)
    out = keras.src.backend.compute_output_spec(
        lambda t: B.conv(t, np.ones((3, 3, 3, 2), "float32")), x
    )
    assert out.shape == (None, 6, 6, 2)
    out = keras.src.backend.compute_output_spec(lambda t: B.average_pool(t, 2, padding="same"), x)
    assert out.shape == (None, 4, 4, 3)


def test_errors_name_the_op():
    with pytest.raises(ValueError, match="padding"):
        B.max_pool(np.ones((1, 4, 4, 1), "float32"), 2, padding="full")
    with pytest.raises(ValueError, match="conv"):
        B.conv(np.ones((1, 4, 4, 3), "float32"), np.ones((3, 3, 2, 4), "float32"))
    with pytest.raises(ValueError, match="ctc_decode"):
        B.ctc_decode(
            np.ones((1, 3, 2), "float32"), np.array([3]), strategy="beam_search", beam_width=0
        )


@pytest.mark.parametrize("pool", ["max_pool", "average_pool"])
@pytest.mark.parametrize(
    "shape,data_format",
    [
        ((0, 4, 1), "channels_last"),
        ((0, 4, 4, 3), "channels_last"),
        ((0, 3, 4, 4), "channels_first"),
    ],
)
def test_pooling_a_batch_of_zero(pool, shape, data_format):
    # OpenVINO's pooling shape inference refuses a batch of 0; Keras's does not.
    got = np.asarray(REGISTRY[f"nn.{pool}"](np.ones(shape, "float32"), 2, data_format=data_format))
    spatial = [d // 2 for d in (shape[1:-1] if data_format == "channels_last" else shape[2:])]
    channels = shape[-1] if data_format == "channels_last" else shape[1]
    expected = (
        (0, *spatial, channels) if data_format == "channels_last" else (0, channels, *spatial)
    )
    assert got.shape == expected


@pytest.mark.parametrize("shape", [(2, 4, 0), (2, 0, 4, 3)])
def test_pooling_zero_size_features_is_refused_naming_the_op(shape):
    with pytest.raises(ValueError, match=r"`max_pool`: .*\(2, "):
        REGISTRY["nn.max_pool"](np.ones(shape, "float32"), 2)
