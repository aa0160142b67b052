"""Model inputs as users send them: float64/int64 batches from NumPy, tf.data,
grain and PyDataset are cast to the model's input dtypes (as on JAX), and
predict/evaluate stay on the compiled (fast) kernels."""

import numpy as np
import pytest

import keras
from keras import layers

from keras_ov.engine import execute, reference

N = 6


def _token_model():
    # keras-hub style: dict inputs of int32 ids and mask, Embedding + Einsum
    # (OpenVINO's reference kernels have no Einsum: a 64-bit graph fails).
    ids = keras.Input((5,), dtype="int32", name="token_ids")
    mask = keras.Input((5,), dtype="int32", name="padding_mask")
    h = layers.Embedding(50, 8)(ids)
    h = layers.EinsumDense("btd,de->bte", output_shape=(None, 3))(h)
    h = h * keras.ops.cast(mask, "float32")[..., None]
    model = keras.Model({"token_ids": ids, "padding_mask": mask}, keras.ops.mean(h, axis=1))
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _conv_model():
    model = keras.Sequential(
        [keras.Input((8, 8, 2)), layers.Conv2D(3, 3), layers.Flatten(), layers.Dense(3)]
    )
    model.compile(loss="mse")
    return model


RNG = np.random.default_rng(0)
TOKENS = {"token_ids": RNG.random((N, 5)) * 50, "padding_mask": np.ones((N, 5))}  # float64
LABELS = RNG.integers(0, 3, N)  # int64
IMAGES = RNG.random((N, 8, 8, 2))  # float64


def _narrow(x):
    if isinstance(x, dict):
        return {k: v.astype("int32") for k, v in x.items()}
    return x.astype("float32")


def _sources(x, y):
    import grain.python as grain
    import tensorflow as tf

    class Seq(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            sl = slice(3 * i, 3 * i + 3)
            if isinstance(x, dict):
                return {k: v[sl] for k, v in x.items()}, y[sl]
            return x[sl], y[sl]

    return {
        "numpy": (x, y),
        "tf.data": (tf.data.Dataset.from_tensor_slices((x, y)).batch(3), None),
        "grain": (
            grain.MapDataset.source(
                list(
                    zip(
                        [
                            {k: v[i] for k, v in x.items()} if isinstance(x, dict) else x[i]
                            for i in range(N)
                        ],
                        list(y),
                    )
                )
            ).batch(3),
            None,
        ),
        "PyDataset": (Seq(), None),
    }


@pytest.mark.parametrize("source", ["numpy", "tf.data", "grain", "PyDataset"])
@pytest.mark.parametrize("kind", ["tokens", "images"])
def test_wide_inputs_are_cast_and_stay_compiled(kind, source):
    model, x = (_token_model(), TOKENS) if kind == "tokens" else (_conv_model(), IMAGES)
    y = LABELS if kind == "tokens" else RNG.random((N, 3))
    want = model.predict(_narrow(x), batch_size=3, verbose=0)
    want_eval = model.evaluate(
        _narrow(x),
        y.astype("float32") if kind == "images" else y.astype("int32"),
        batch_size=3,
        verbose=0,
    )
    data, labels = _sources(x, y)[source]
    before = execute.counters["reference_built"]
    if source == "numpy":
        got = model.predict(data, batch_size=3, verbose=0)
        got_eval = model.evaluate(data, labels, batch_size=3, verbose=0)
    else:
        got = model.predict(data, verbose=0)
        got_eval = model.evaluate(data, verbose=0)
    assert execute.counters["reference_built"] == before
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_eval, want_eval, rtol=1e-6, atol=1e-6)


def test_int64_input_keeps_int64():
    ids = keras.Input((3,), dtype="int64")
    model = keras.Model(ids, layers.Identity()(ids))
    big = np.array([[2**40, 1, 2]])
    np.testing.assert_array_equal(model.predict(big, verbose=0), big)


@pytest.mark.parametrize("dtype", [None, "int4_from_float32"])
def test_int64_ids_whose_shape_is_read_stay_compiled_in_fit(dtype):
    # int64 ids feed the Embedding's Gather, its gradient (the rows scattered
    # back, negative ids wrapped) and a ShapeOf (the traced step reads their
    # dynamic batch size): all exact on int32, so the train step is fed int32
    # ids and stays off the exact executor.  (An int4 Embedding's train step
    # has BitwiseAnd, which has no reference kernel: it could not run there.)
    class Model(keras.Model):
        def __init__(self):
            super().__init__()
            self.embed = layers.Embedding(5, 4, dtype=dtype)

        def call(self, x, training=False):
            return self.embed(x)

    class Sum(keras.losses.Loss):  # (run_layer_test's training check)
        def __call__(self, y_true, y_pred, sample_weight=None):
            return keras.ops.sum(y_pred)

    model = Model()
    model.compile(optimizer="sgd", loss=Sum())
    x = RNG.integers(0, 5, (4, 3))  # int64
    y = RNG.random((4, 3, 4)).astype("float32")
    model.fit(x, y, batch_size=2, verbose=0)
    for traced in model.train_function.graph_step._cache._data.values():
        function = traced.function
        assert function.in_dtypes[0] == "int32"  # fed narrowed
        executable = function.executable or function.dynamic
        assert not isinstance(executable, reference.ReferenceExecutable)
    got = model.predict(x, verbose=0)
    table = keras.ops.convert_to_numpy(keras.ops.cast(model.embed.embeddings, "float32"))
    if dtype is None:
        np.testing.assert_allclose(got, table[x], rtol=1e-6)


class _Recording(keras.Model):
    """A Functional model whose steps record how their data was packed."""

    def predict_step(self, data):
        self.seen.append(_packing(data))
        return super().predict_step(data)

    def test_step(self, data):
        self.seen.append(_packing(data))
        return super().test_step(data)


def _packing(data):
    if isinstance(data, tuple):
        return tuple(_packing(d) for d in data)
    return "dict" if isinstance(data, dict) else "tensor"


def _recording_model(dict_input):
    a = keras.Input((3,), name="a")
    out = layers.Dense(2)(a)
    model = _Recording({"a": a} if dict_input else a, out)
    model.compile(loss="mse")
    model.seen = []
    return model


X = RNG.random((4, 3)).astype("float32")
Y = RNG.random((4, 2)).astype("float32")

# (x, y, what the step gets) -- what Keras's data adapter yields, which the
# step gets as it is on JAX: x alone is bare, x with y a tuple.
PACKING = [
    ("array", X, None, "tensor"),
    ("array, eager", X, None, "tensor"),
    ("dict", {"a": X}, None, "dict"),
    ("dict, eager", {"a": X}, None, "dict"),
    ("dict, y", {"a": X}, Y, ("dict", "tensor")),
    ("array, y", X, Y, ("tensor", "tensor")),
]


@pytest.mark.parametrize("name,x,y,want", PACKING, ids=[p[0] for p in PACKING])
def test_steps_get_the_batch_packed_as_the_data_adapter_yields_it(name, x, y, want):
    # keras-hub's SAMImageSegmenter.predict_step calls `.copy()` on a bare dict x.
    model = _recording_model(isinstance(x, dict))
    if "eager" in name:
        model.run_eagerly = True
    if y is None:
        model.predict(x, batch_size=2, verbose=0)
    else:
        model.evaluate(x, y, batch_size=2, verbose=0)
    assert model.seen and set(model.seen) == {want}, model.seen
