"""The gradient test table: Keras functions, backend-agnostic.

Imported by ``test_rules.py`` (on keras-ov) and by ``_jax_reference.py``
(run once under ``KERAS_BACKEND=jax`` for the whole table).  Each case is a
Keras-ops function of float inputs; integer arguments (indices) are NumPy
constants closed over by the function.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Case:
    name: str
    fn: object  # (*keras tensors) -> keras tensor
    shapes: tuple  # one shape per input
    init: str = "normal"  # normal | positive | unit | distinct | ties
    tol: float = 2e-4  # rtol and atol of the float32 gradient vs JAX
    fd_tol: float = 2e-3  # against the finite difference (None: skip, e.g. at ties)
    fd_step: float = 2e-2  # finite-difference step, relative to max |x|
    jax: bool = True  # False: JAX cannot differentiate it (while_loop); finite differences only
    dynamic: tuple = field(default_factory=tuple)  # input indices traced with dim 0 dynamic


def inputs(case, seed=0):
    """The float32 input arrays of a case (deterministic)."""
    rng = np.random.default_rng(abs(hash(case.name)) % 2**32 if seed is None else seed)
    out = []
    for shape in case.shapes:
        if case.init == "positive":
            a = rng.uniform(0.5, 2.0, shape)
        elif case.init == "unit":
            a = rng.uniform(-0.8, 0.8, shape)
        elif case.init == "distinct":  # well-separated values: no near-ties in max/sort
            n = int(np.prod(shape))
            a = (rng.permutation(n) / n * 4 - 2).reshape(shape) + rng.uniform(0, 0.1 / n, shape)
        elif case.init == "ties":  # small integers: many exact ties
            a = rng.integers(-2, 3, shape)
        else:
            a = rng.normal(size=shape)
        out.append(a.astype(np.float32))
    return out


def digest(case):
    """A key that changes when a case's definition does (for caching JAX's results)."""
    import hashlib
    import inspect

    text = f"{inspect.getsource(case.fn)}|{case.shapes}|{case.init}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cotangent(shape, seed=1):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _ops():
    from keras import ops

    return ops


IDX = np.array([[0, 3, 1], [4, 4, 2]], dtype=np.int32)
ROWS = np.array([[1, 0, 2], [2, 2, 0], [0, 1, 1]], dtype=np.int32)  # take_along_axis picks
IDS = np.random.default_rng(3).integers(0, 1000, (8, 16)).astype(np.int32)  # embedding ids
SCATTER_IDX = np.array([[0, 1], [2, 0], [0, 1]], dtype=np.int32)  # a repeated position


_LAYERS = {}


def _layer_case(name, make, input_shape, training=False, **kw):
    """A Keras layer as a case: f(x, *trainable weights) through ``stateless_call``."""
    import keras

    layer = _LAYERS.get(name)
    if layer is None:
        keras.utils.set_random_seed(0)
        layer = _LAYERS[name] = make()
        layer.build(input_shape)
    shapes = (input_shape, *(tuple(w.shape) for w in layer.trainable_variables))
    state = [w.value for w in layer.non_trainable_variables]

    kwargs = {"training": True} if training else {}

    def fn(x, *weights):
        return layer.stateless_call(list(weights), state, x, **kwargs)[0]

    return Case(name, fn, shapes, **kw)


def _id_layer_case(name, make, ids, weights_shape, **kw):
    """A layer fed constant integer ids (Embedding): f(*trainable weights)."""
    layer = _LAYERS.get(name)
    if layer is None:
        layer = _LAYERS[name] = make()
        layer.build(ids.shape)

    def fn(*weights):
        return layer.stateless_call(list(weights), [], ids)[0]

    return Case(name, fn, (weights_shape,), **kw)


def _layers():
    from keras import layers

    L = _layer_case
    return [
        L("layer_dense_gelu", lambda: layers.Dense(5, activation="gelu"), (4, 3)),
        L("layer_conv2d", lambda: layers.Conv2D(4, 3, strides=2, padding="same"), (2, 6, 6, 3)),
        L(
            "layer_batchnorm_training",
            lambda: layers.BatchNormalization(),
            (6, 4),
            training=True,
            tol=1e-3,
        ),
        L("layer_layernorm", lambda: layers.LayerNormalization(), (3, 5, 4), tol=1e-3),
        L("layer_groupnorm", lambda: layers.GroupNormalization(2), (2, 3, 4), tol=1e-3),
        L("layer_mha", lambda: _Attention(), (2, 3, 4), tol=5e-4),
        L("layer_lstm", lambda: layers.LSTM(3, return_sequences=True), (2, 4, 3), tol=5e-4),
        L("layer_gru", lambda: layers.GRU(3), (2, 4, 3), tol=5e-4),
        L("layer_simple_rnn", lambda: layers.SimpleRNN(3), (2, 4, 3), tol=5e-4),
        L("layer_depthwise", lambda: layers.DepthwiseConv2D(3, padding="same"), (1, 5, 5, 2)),
        L("layer_conv1d_transpose", lambda: layers.Conv1DTranspose(2, 3, strides=2), (2, 4, 3)),
        L("layer_maxpool_gap", lambda: _PoolHead(), (2, 4, 4, 3), init="distinct", fd_step=1e-3),
        # dynamic batch: traced with dim 0 unknown, as fit traces
        # (recurrent layers cannot be traced with a dynamic batch yet: their initial state
        # is ops.zeros((batch, units)) and keras-ov's shape() gives None for the batch)
        L("layer_mha_dynamic", lambda: _Attention(), (2, 3, 4), tol=5e-4, dynamic=(0,)),
        L(
            "layer_batchnorm_dynamic",
            lambda: layers.BatchNormalization(),
            (5, 3),
            training=True,
            tol=1e-3,
            dynamic=(0,),
        ),
        L(
            "layer_layernorm_dynamic",
            lambda: layers.LayerNormalization(),
            (2, 3, 4),
            tol=1e-3,
            dynamic=(0,),
        ),
        _id_layer_case(
            "layer_embedding",
            lambda: layers.Embedding(20, 4),
            np.array([[1, 5, 5], [19, 0, 1]], np.int32),
            (20, 4),
        ),
    ]


class _Attention:
    """MultiHeadAttention as a self-attention layer (one input)."""

    def __new__(cls):
        from keras import layers

        class SelfAttention(layers.MultiHeadAttention):
            def build(self, input_shape):
                super().build(input_shape, input_shape)

            def call(self, x):
                return super().call(x, x)

        return SelfAttention(num_heads=2, key_dim=3)


class _PoolHead:
    def __new__(cls):
        from keras import layers

        class PoolHead(layers.Layer):
            def call(self, x):
                y = layers.MaxPooling2D(2)(x)
                return layers.GlobalAveragePooling2D()(layers.UpSampling2D(2)(y))

        return PoolHead()


def _cases():
    ops = _ops()
    C = Case
    return [
        # element-wise and reductions (existing rules)
        C("add_broadcast", lambda a, b: ops.add(a, b), ((3, 1, 4), (5, 1))),
        # narrowing casts round exactly (ops.graph.round_to_float) yet differentiate as
        # the identity, as JAX's convert_element_type; a step function, so no finite
        # difference
        C(
            "cast_float16",
            lambda a: ops.cast(ops.cast(a, "float16") * 3.0, "float32"),
            ((4, 5),),
            tol=1e-2,
            fd_tol=None,
        ),
        C(
            "cast_bfloat16",
            lambda a: ops.cast(ops.exp(ops.cast(a, "bfloat16")), "float32"),
            ((4, 5),),
            tol=3e-2,
            fd_tol=None,
        ),
        # A cast there and back: the cotangent is rounded to the narrow type on its
        # way through, to nearest even, bit for bit as JAX rounds it (float8 too,
        # whose quantize-dequantize pair keras-ov computes in float32).
        *(
            C(
                f"cast_roundtrip_{dt}",
                lambda a, dt=dt: ops.cast(ops.cast(a, dt), "float32"),
                ((6, 7),),
                tol=0.0,
                fd_tol=None,
            )
            for dt in ("float16", "bfloat16", "float8_e4m3fn", "float8_e5m2")
        ),
        C("multiply", lambda a, b: ops.multiply(a, b), ((2, 3), (2, 3))),
        C("divide", lambda a, b: ops.divide(a, b), ((2, 3), (3,)), init="positive"),
        C("power", lambda a, b: ops.power(a, b), ((2, 3), (2, 3)), init="positive"),
        C("exp_log_sqrt", lambda a: ops.log(ops.sqrt(ops.exp(a) + 1.0)), ((4, 5),)),
        C("tanh_sigmoid", lambda a: ops.tanh(a) * ops.sigmoid(a), ((4, 5),)),
        C("relu_abs", lambda a: ops.relu(a) + ops.abs(a), ((4, 5),)),
        C("softmax", lambda a: ops.softmax(a, axis=-1), ((3, 6),)),
        C("log_softmax", lambda a: ops.log_softmax(a, axis=1), ((3, 6),)),
        C("matmul_batched", lambda a, b: ops.matmul(a, b), ((2, 3, 4), (4, 5))),
        C("matmul_vec", lambda a, b: ops.matmul(a, b), ((4,), (2, 4, 3))),
        C("sum_mean", lambda a: ops.sum(a, axis=1) + ops.mean(a, axis=1), ((3, 4),)),
        C("max_ties", lambda a: ops.max(a, axis=1), ((3, 8),), init="ties", fd_tol=None),
        C(
            "min_axis0",
            lambda a: ops.min(a, axis=0, keepdims=True),
            ((5, 4),),
            init="distinct",
            fd_step=1e-3,
        ),
        C("prod", lambda a: ops.prod(a, axis=-1), ((3, 4),), init="positive"),
        C(
            "maximum_ties",
            lambda a, b: ops.maximum(a, b),
            ((4, 4), (4, 4)),
            init="ties",
            fd_tol=None,
        ),
        C("where", lambda a, b: ops.where(a > 0, a, b), ((3, 4), (3, 4))),
        C("clip", lambda a: ops.clip(a, -0.5, 0.5), ((4, 5),)),
        C(
            "reshape_transpose",
            lambda a: ops.transpose(ops.reshape(a, (3, 2, 4)), (2, 0, 1)),
            ((6, 4),),
        ),
        C("concat_slice", lambda a, b: ops.concatenate([a, b], axis=1)[:, 1:5:2], ((3, 2), (3, 4))),
        C("broadcast_to", lambda a: ops.broadcast_to(a, (3, 4, 5)), ((4, 1),)),
        C("take_rows", lambda a: ops.take(a, IDX, axis=0), ((5, 3),)),
        C("take_axis1", lambda a: ops.take(a, IDX, axis=1), ((2, 5),)),
        C("dense_dynamic", lambda x, w: ops.relu(ops.matmul(x, w)), ((4, 3), (3, 2)), dynamic=(0,)),
        # activations and element-wise math
        C(
            "tan_sinh_cosh",
            lambda a: ops.tan(a) + ops.sinh(a) * ops.cosh(a),
            ((3, 4),),
            init="unit",
        ),
        C(
            "arcsin_arccos_arctan",
            lambda a: ops.arcsin(a) * ops.arccos(a) + ops.arctan(a),
            ((3, 4),),
            init="unit",
        ),
        C(
            "arcsinh_arccosh_arctanh",
            lambda a: ops.arcsinh(a) + ops.arccosh(ops.abs(a) + 1.5) + ops.arctanh(a),
            ((3, 4),),
            init="unit",
        ),
        C("gelu_erf", lambda a: ops.gelu(a, approximate=False), ((4, 5),)),
        C("gelu_tanh", lambda a: ops.gelu(a, approximate=True), ((4, 5),)),
        C("silu", lambda a: ops.silu(a), ((4, 5),)),
        C("hard_silu_sigmoid", lambda a: ops.hard_silu(a * 3) + ops.hard_sigmoid(a * 3), ((4, 5),)),
        C("elu_selu", lambda a: ops.elu(a, alpha=0.7) + ops.selu(a), ((4, 5),)),
        C("leaky_relu", lambda a: ops.leaky_relu(a, negative_slope=0.1), ((4, 5),)),
        C("soft_sign", lambda a: ops.softsign(a), ((4, 5),)),
        C("squared_difference", lambda a, b: ops.square(a - b), ((3, 4), (4,))),
        C("mod", lambda a, b: ops.mod(a, b), ((3, 4), (3, 4)), init="positive"),
        C(
            "softplus_log1p",
            lambda a: ops.softplus(a) + ops.log1p(ops.abs(a)) + ops.expm1(a),
            ((3, 4),),
        ),
        # convolutions (channels_last, as Keras layers call them)
        C("conv2d_valid", lambda x, w: ops.conv(x, w), ((2, 7, 6, 3), (3, 2, 3, 4))),
        C(
            "conv2d_same_strided",
            lambda x, w: ops.conv(x, w, strides=2, padding="same"),
            ((2, 7, 8, 3), (3, 3, 3, 4)),
        ),
        C(
            "conv2d_dilated",
            lambda x, w: ops.conv(x, w, padding="same", dilation_rate=2),
            ((1, 9, 9, 2), (3, 3, 2, 3)),
        ),
        C("conv1d_strided_valid", lambda x, w: ops.conv(x, w, strides=3), ((2, 11, 3), (4, 3, 5))),
        C(
            "conv3d_same",
            lambda x, w: ops.conv(x, w, padding="same"),
            ((1, 4, 5, 4, 2), (2, 3, 2, 2, 3)),
        ),
        C(
            "conv2d_grouped",
            lambda x, w: ops.conv(x, w, strides=(1, 2), padding="same"),
            ((2, 6, 7, 4), (3, 3, 2, 6)),
        ),
        C(
            "conv2d_channels_first",
            lambda x, w: ops.conv(x, w, data_format="channels_first"),
            ((2, 3, 6, 6), (2, 2, 3, 4)),
        ),
        C(
            "depthwise_conv",
            lambda x, w: ops.depthwise_conv(x, w, strides=2, padding="same"),
            ((2, 7, 7, 3), (3, 3, 3, 2)),
        ),
        C(
            "separable_conv",
            lambda x, d, p: ops.separable_conv(x, d, p, padding="same"),
            ((2, 6, 6, 3), (3, 3, 3, 2), (1, 1, 6, 4)),
        ),
        C(
            "conv_transpose_same",
            lambda x, w: ops.conv_transpose(x, w, strides=2, padding="same"),
            ((2, 4, 5, 3), (3, 3, 4, 3)),
        ),
        C(
            "conv_transpose_valid_outpad",
            lambda x, w: ops.conv_transpose(x, w, strides=3, padding="valid", output_padding=1),
            ((1, 4, 3, 2), (3, 2, 3, 2)),
        ),
        C(
            "conv1d_transpose_dilated",
            lambda x, w: ops.conv_transpose(x, w, strides=1, padding="same", dilation_rate=2),
            ((2, 6, 3), (3, 4, 3)),
        ),
        C(
            "conv2d_dynamic_batch",
            lambda x, w: ops.conv(x, w, strides=2, padding="same"),
            ((3, 6, 6, 2), (3, 3, 2, 4)),
            dynamic=(0,),
        ),
        # pooling
        C(
            "max_pool_2x2",
            lambda x: ops.max_pool(x, 2, strides=2),
            ((2, 6, 7, 3),),
            init="distinct",
            fd_step=1e-3,
        ),
        C(
            "max_pool_overlap_same",
            lambda x: ops.max_pool(x, 3, strides=2, padding="same"),
            ((2, 7, 6, 2),),
            init="distinct",
            fd_step=1e-3,
        ),
        C(
            "max_pool_ties_relu",
            lambda x: ops.max_pool(ops.relu(x), 2, strides=1),
            ((1, 4, 4, 2),),
            fd_tol=None,
        ),
        C(
            "max_pool1d",
            lambda x: ops.max_pool(x, 3, strides=2),
            ((2, 9, 3),),
            init="distinct",
            fd_step=1e-3,
        ),
        C(
            "max_pool3d",
            lambda x: ops.max_pool(x, 2, strides=2, padding="same"),
            ((1, 3, 4, 5, 2),),
            init="distinct",
            fd_step=1e-3,
        ),
        C("avg_pool_valid", lambda x: ops.average_pool(x, 2, strides=1), ((2, 5, 6, 3),)),
        C(
            "avg_pool_same_excl_pad",
            lambda x: ops.average_pool(x, 3, strides=2, padding="same"),
            ((2, 6, 7, 2),),
        ),
        C(
            "avg_pool1d_channels_first",
            lambda x: ops.average_pool(
                x, 3, strides=1, padding="same", data_format="channels_first"
            ),
            ((2, 3, 7),),
        ),
        C(
            "max_pool_dynamic_batch",
            lambda x: ops.max_pool(x, 2, strides=2),
            ((3, 4, 4, 2),),
            init="distinct",
            fd_step=1e-3,
            dynamic=(0,),
        ),
        C("adaptive_avg_pool", lambda x: ops.adaptive_average_pool(x, (2, 3)), ((2, 5, 7, 3),)),
        # einsum
        C(
            "einsum_attention_scores",
            lambda q, k: ops.einsum("bqhd,bkhd->bhqk", q, k),
            ((2, 3, 2, 4), (2, 5, 2, 4)),
        ),
        C("einsum_dense", lambda x, w: ops.einsum("abc,cde->abde", x, w), ((2, 3, 4), (4, 2, 3))),
        C("einsum_diag_trace", lambda a: ops.einsum("ii->i", a) + ops.einsum("jj->", a), ((4, 4),)),
        C("einsum_summed_inside", lambda a, b: ops.einsum("ij,k->k", a, b), ((3, 4), (5,))),
        C(
            "einsum_ellipsis_broadcast",
            lambda a, b: ops.einsum("...ij,...jk->...ik", a, b),
            ((2, 1, 3, 4), (5, 4, 2)),
        ),
        C(
            "einsum_three_operands",
            lambda a, b, c: ops.einsum("ij,jk,kl->il", a, b, c),
            ((2, 3), (3, 4), (4, 2)),
        ),
        C("einsum_outer_implicit", lambda a, b: ops.einsum("i,j", a, b), ((3,), (4,))),
        C("einsum_ellipsis_summed", lambda a: ops.einsum("...i->i", a), ((2, 3, 4),)),
        # gathers, scatters, sorting, data movement
        C("embedding_lookup", lambda t: ops.take(t, IDS, axis=0), ((1000, 32),)),
        C(
            "take_negative",
            lambda a: ops.take(a, np.array([-1, 0, -1], np.int32), axis=0),
            ((4, 3),),
        ),
        C("take_along_axis", lambda a: ops.take_along_axis(a, ROWS, axis=1), ((3, 4),)),
        C("take_along_axis0", lambda a: ops.take_along_axis(a, ROWS, axis=0), ((4, 3),)),
        C(
            "scatter_update_dup",
            lambda a, u: ops.scatter_update(a, SCATTER_IDX[:2], u),
            ((3, 2), (2,)),
        ),
        C("scatter_sum", lambda u: ops.scatter(SCATTER_IDX, u, (3, 2)), ((3,),)),
        C("slice_update", lambda a, u: ops.slice_update(a, (1, 0), u), ((4, 3), (2, 2))),
        C(
            "slice_update_rows",
            lambda a, u: ops.slice_update(a, (1, 0, 0), u),
            ((2, 5, 3), (2, 2, 3)),
        ),
        C("getitem_int_array", lambda a: a[np.array([2, 0, 2])], ((3, 4),)),
        C("top_k_values", lambda a: ops.top_k(a, 3)[0], ((4, 6),), init="distinct", fd_step=1e-3),
        C("sort", lambda a: ops.sort(a, axis=0), ((5, 3),), init="distinct", fd_step=1e-3),
        C("cumsum", lambda a: ops.cumsum(a, axis=1), ((3, 5),)),
        C("cumprod_positive", lambda a: ops.cumprod(a, axis=0), ((4, 3),), init="positive"),
        C("pad_constant", lambda a: ops.pad(a, ((1, 2), (0, 3))), ((3, 4),)),
        C("pad_reflect", lambda a: ops.pad(a, ((1, 2), (2, 1)), mode="reflect"), ((4, 4),)),
        C("pad_symmetric", lambda a: ops.pad(a, ((2, 1),), mode="symmetric"), ((5,),)),
        C("tile", lambda a: ops.tile(a, (2, 1, 3)), ((2, 3),)),
        C("repeat", lambda a: ops.repeat(a, 2, axis=1), ((2, 3),)),
        C(
            "split",
            lambda a: ops.split(a, 3, axis=1)[0] * 2 + ops.split(a, 3, axis=1)[2],
            ((2, 6),),
        ),
        C("split_one_used", lambda a: ops.split(a, [1, 3], axis=0)[1], ((5, 2),)),
        C("flip_roll", lambda a: ops.roll(ops.flip(a, axis=1), 2, axis=0), ((4, 3),)),
        C("resize_bilinear", lambda x: ops.image.resize(x, (5, 7)), ((2, 3, 4, 2),)),
        C(
            "resize_nearest_up",
            lambda x: ops.image.resize(x, (6, 4), interpolation="nearest"),
            ((1, 3, 2, 2),),
        ),
        C("resize_bilinear_down", lambda x: ops.image.resize(x, (3, 2)), ((1, 6, 5, 1),)),
        C("norm_l2", lambda a: ops.norm(a, axis=1), ((3, 4),)),
        C("inv", lambda a: ops.inv(a + 3 * ops.eye(3)), ((2, 3, 3),)),
        C("depth_to_space", lambda x: ops.depth_to_space(x, 2), ((2, 3, 2, 8),)),
        C("space_to_depth", lambda x: ops.space_to_depth(x, 2), ((1, 4, 6, 3),)),
        C("unfold", lambda x: ops.unfold(x, 2, stride=1), ((2, 3, 4, 4),)),
        # control flow
        C(
            "cond_true_branch",
            lambda a, b: ops.cond(ops.sum(a) > -100.0, lambda: ops.sin(a) * b, lambda: a - b),
            ((3, 4), (4,)),
        ),
        C(
            "cond_false_branch_unused_input",
            lambda a, b: ops.cond(ops.sum(a) > 100.0, lambda: a * b, lambda: ops.exp(a) * 2.0),
            ((3, 4), (3, 4)),
        ),
        C(
            "while_loop",
            lambda a, b: ops.while_loop(
                lambda x, y: ops.sum(ops.abs(x)) < 50.0,
                lambda x, y: (x * 1.5 + ops.sin(y), y),
                (a, b),
            )[0],
            ((3,), (3,)),
            jax=False,
        ),
        C(
            "fori_loop",
            lambda a, w: ops.fori_loop(
                0, 4, lambda i, x: ops.tanh(ops.matmul(x, w)) + ops.cast(i, "float32"), a
            ),
            ((2, 3), (3, 3)),
        ),
        C(
            "scan_rnn",
            lambda h0, xs, w: ops.scan(lambda h, x: (ops.tanh(ops.matmul(h, w) + x),) * 2, h0, xs)[
                1
            ],
            ((2, 3), (5, 2, 3), (3, 3)),
        ),
        C(
            "scan_reverse_carry",
            lambda c0, xs: ops.scan(lambda c, x: (c * x + 1.0, c), c0, xs, reverse=True)[0],
            ((4,), (3, 4)),
        ),
    ]


def CASES():
    return _cases() + _layers()
