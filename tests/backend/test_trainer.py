"""The Trainer: compiled predict/evaluate against NumPy, compile-once, rebuilds, stateful steps."""

import numpy as np
import pytest

import keras
from keras import layers

from keras_ov.engine import execute, settings


def _seeded(model, seed=0):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    return model


def _mlp():
    return _seeded(
        keras.Sequential([keras.Input((5,)), layers.Dense(7, activation="relu"), layers.Dense(3)])
    )


def _mlp_reference(model, x):
    (w1, b1), (w2, b2) = (layer.get_weights() for layer in model.layers)
    h = np.maximum(x.astype(np.float64) @ w1 + b1, 0.0)
    return h @ w2 + b2


X = np.random.default_rng(0).random((10, 5))  # float64, as users pass it


def test_predict_matches_numpy_and_compiles_once():
    model = _mlp()
    y = model.predict(X, batch_size=4, verbose=0)  # batches of 4, 4, 2
    assert y.shape == (10, 3) and y.dtype == np.float32
    np.testing.assert_allclose(y, _mlp_reference(model, X), rtol=1e-5, atol=1e-6)
    compiled = execute.counters["compiled"]
    y2 = model.predict(X, batch_size=4, verbose=0)
    y3 = model.predict(X[:3], batch_size=3, verbose=0)  # another batch size: same model
    assert execute.counters["compiled"] == compiled
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_allclose(y3, y[:3], rtol=1e-6)


def test_predict_model_is_one_float32_graph():
    model = _mlp()
    model.predict(X, batch_size=4, verbose=0)
    step = model.predict_function.__closure__[0].cell_contents
    traced = next(iter(step._cache._data.values()))
    assert not traced.function.exact_path  # float64 input narrowed at the door
    (shape,) = traced.function.inputs
    assert shape[0].is_dynamic
    assert step.traces == 1


def _int64_ids_model(cast):
    ids = keras.Input((6,), dtype="int64")
    x = layers.Embedding(50, 4)(keras.ops.cast(ids, "int32") if cast else ids)
    return keras.Model(ids, layers.Dense(2)(x))


@pytest.mark.parametrize("cast", [False, True])
def test_int64_ids_that_only_index_are_fed_as_int32(cast):
    model = _int64_ids_model(cast)
    ids = np.random.default_rng(1).integers(0, 50, (5, 6))  # int64
    y = model.predict(ids, batch_size=5, verbose=0)
    step = model.predict_function.__closure__[0].cell_contents
    traced = next(iter(step._cache._data.values()))
    assert not traced.function.exact_path
    assert traced.function.in_dtypes == ["int32"]
    emb, (kernel, bias) = model.layers[-2].get_weights()[0], model.layers[-1].get_weights()
    np.testing.assert_allclose(y, emb[ids] @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_int64_ids_beyond_int32_raise_instead_of_wrapping():
    model = _int64_ids_model(cast=False)
    model.predict(np.zeros((2, 6), "int64"), verbose=0)
    with pytest.raises(ValueError, match="4294967296"):
        model.predict(np.full((2, 6), 2**32, "int64"), verbose=0)


def test_predict_compiles_first_batch_shape_static_and_others_dynamic():
    model = _mlp()
    y = model.predict(X, batch_size=4, verbose=0)  # batches of 4, 4, 2
    step = model.predict_function.__closure__[0].cell_contents
    function = next(iter(step._cache._data.values())).function
    assert function.static_shapes == ((4, 5),)
    (static_in,) = function.executable.compiled.inputs
    assert static_in.get_partial_shape().is_static  # the runtime sees batch 4
    (dynamic_in,) = function.dynamic.compiled.inputs
    assert dynamic_in.get_partial_shape()[0].is_dynamic  # the last batch of 2
    assert function._model is None  # nothing more to compile: the model is dropped
    np.testing.assert_allclose(y, _mlp_reference(model, X), rtol=1e-5, atol=1e-6)
    compiled = execute.counters["compiled"]
    y7 = model.predict(X[:7], batch_size=7, verbose=0)
    assert execute.counters["compiled"] == compiled
    np.testing.assert_allclose(y7, y[:7], rtol=1e-6)


def test_assign_rebuilds_predict():
    model = _mlp()
    model.predict(X, verbose=0)
    kernel = model.layers[1].kernel
    kernel.assign(np.zeros(kernel.shape, "float32"))
    y = model.predict(X, verbose=0)
    np.testing.assert_allclose(y, np.broadcast_to(model.layers[1].bias.numpy(), y.shape))


@pytest.mark.parametrize("how", ["layer_quantize", "gptq_correction"])
def test_replaced_variables_rebuild_predict_and_evaluate(how):
    # A layer's variables *replaced* after a first predict (new objects: the
    # old ones keep their versions) must not leave the old weights baked in.
    model = _mlp()
    model.compile(loss="mse")
    y_float = model.predict(X, verbose=0)
    loss_float = model.evaluate(X, y_float, verbose=0)
    layer = model.layers[0]
    if how == "layer_quantize":
        layer.quantize("int8")
    else:
        from keras.src.quantizers.gptq import GPTQ
        from keras.src.quantizers.gptq_config import GPTQConfig

        config = GPTQConfig(
            dataset=None, tokenizer=None, weight_bits=4, symmetric=False, group_size=-1
        )
        layer.quantize("gptq", config=config)
        gptq = GPTQ(layer, config)
        gptq.update_hessian_with_batch(X.astype("float32"))
        gptq.quantize_and_correct_layer()
    eager = keras.ops.convert_to_numpy(model(X.astype("float32")))
    assert np.abs(eager - y_float).max() > 1e-3  # the quantized weights differ
    np.testing.assert_allclose(model.predict(X, verbose=0), eager, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.predict_on_batch(X), eager, rtol=1e-5, atol=1e-5)
    assert model.evaluate(X, y_float, verbose=0) > loss_float


def test_predict_on_batch_and_structures():
    a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
    model = keras.Model({"a": a, "b": b}, {"sum": a + b, "diff": a - b})
    xa, xb = np.ones((3, 2), "float32"), np.arange(6, dtype="float32").reshape(3, 2)
    out = model.predict_on_batch({"a": xa, "b": xb})
    np.testing.assert_allclose(out["sum"], xa + xb)
    np.testing.assert_allclose(out["diff"], xa - xb)


def test_evaluate_and_test_on_batch_match_numpy():
    model = _mlp()
    model.compile(loss="mse", metrics=["mae"])
    y_true = np.random.default_rng(1).random((10, 3))
    pred = _mlp_reference(model, X)
    mse, mae = np.mean((pred - y_true) ** 2), np.mean(np.abs(pred - y_true))
    loss, metric = model.evaluate(X, y_true, batch_size=4, verbose=0)
    np.testing.assert_allclose([loss, metric], [mse, mae], rtol=1e-5)
    logs = model.test_on_batch(X, y_true, return_dict=True)
    np.testing.assert_allclose([logs["loss"], logs["mae"]], [mse, mae], rtol=1e-5)


class _Noise(layers.Layer):
    """Adds uniform noise from its own seed generator, always."""

    def __init__(self):
        super().__init__()
        self.seed_generator = keras.random.SeedGenerator(7)

    def call(self, x):
        return x + keras.random.uniform((x.shape[-1],), seed=self.seed_generator)


def test_step_that_advances_a_seed_generator():
    inp = keras.Input((4,))
    noise = _Noise()
    model = keras.Model(inp, noise(inp))
    state = noise.seed_generator.state.numpy().copy()
    y = model.predict(np.zeros((4, 4), "float32"), batch_size=2, verbose=0)
    assert not np.array_equal(y[:2], y[2:])  # each batch draws new numbers
    assert not np.array_equal(noise.seed_generator.state.numpy(), state)


def test_run_eagerly_predict_matches():
    model = _mlp()
    model.compile(run_eagerly=True)
    np.testing.assert_allclose(
        model.predict(X, verbose=0), _mlp_reference(model, X), rtol=1e-5, atol=1e-6
    )


class _Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_predict_batch_end(self, batch, logs=None):
        self.events.append(("predict", batch, logs["outputs"].shape))

    def on_test_batch_end(self, batch, logs=None):
        self.events.append(("test", batch))


def test_callbacks_still_called_when_given():
    # verbose=0 without callbacks skips Keras's CallbackList; with callbacks
    # every batch is reported.
    model = _mlp()
    rec = _Recorder()
    y = model.predict(X, batch_size=4, verbose=0, callbacks=[rec])
    assert rec.events == [("predict", 0, (4, 3)), ("predict", 1, (4, 3)), ("predict", 2, (2, 3))]
    np.testing.assert_allclose(y, _mlp_reference(model, X), rtol=1e-5, atol=1e-6)
    model.compile(loss="mse")
    model.evaluate(X, np.zeros((10, 3)), batch_size=5, verbose=0, callbacks=[rec])
    assert rec.events[-2:] == [("test", 0), ("test", 1)]


def test_single_batch_predict_returns_the_batch():
    model = _mlp()
    y = model.predict(X, batch_size=32, verbose=0)
    assert y.shape == (10, 3) and y.flags.writeable
    np.testing.assert_allclose(y, _mlp_reference(model, X), rtol=1e-5, atol=1e-6)


class _HostLayer(layers.Layer):
    """A layer that needs concrete values (like Keras's TF-based lookups)."""

    def __init__(self):
        super().__init__()
        self.supports_jit = False

    def call(self, x):
        return keras.ops.convert_to_tensor(np.asarray(keras.ops.convert_to_numpy(x)) * 2.0)

    def compute_output_shape(self, input_shape):
        return input_shape


def test_layers_that_cannot_be_traced_run_eagerly():
    model = keras.Sequential([keras.Input((5,)), _HostLayer()])
    assert not model.jit_compile
    np.testing.assert_allclose(model.predict(X, verbose=0), X * 2.0, rtol=1e-6)


def test_convert_to_numpy_holds_strings():
    assert keras.ops.convert_to_numpy("0").dtype.kind == "U"
    assert keras.ops.convert_to_numpy(["a", "bc"]).tolist() == ["a", "bc"]


def test_flatten_predict_traces_once_with_a_dynamic_batch():
    model = keras.Sequential(
        [
            keras.Input((4, 4, 2)),
            keras.layers.Conv2D(3, 2),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )
    x = np.random.default_rng(1).random((5, 4, 4, 2)).astype("float32")
    y = model.predict(x, batch_size=2, verbose=0)
    step = model.predict_function.__closure__[0].cell_contents
    assert step.traces == 1 and not step._static_batch
    want = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


def test_throughput_hint_predicts_batches_through_an_async_queue(monkeypatch):
    model = _mlp()
    x = np.random.default_rng(2).random((37, 5)).astype("float32")
    want = model.predict(x, batch_size=4, verbose=0)  # LATENCY: one request in turn
    monkeypatch.setattr(settings.config, "hint", "THROUGHPUT")
    before = execute.counters["async_batches"]
    got = model.predict(x, batch_size=4, verbose=0)  # 9 batches of 4, then 1
    assert execute.counters["async_batches"] - before == 9
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got, _mlp_reference(model, x), rtol=1e-5, atol=1e-6)


def test_async_queue_keeps_non_contiguous_inputs_alive(monkeypatch):
    model = _mlp()
    x = np.asfortranarray(np.random.default_rng(3).random((64, 5)).astype("float32"))
    monkeypatch.setattr(settings.config, "hint", "THROUGHPUT")
    step = model.make_predict_function().graph_step
    outs = step.map([(x[i : i + 16],) for i in range(0, 64, 16)])
    np.testing.assert_allclose(np.concatenate(outs), _mlp_reference(model, x), rtol=1e-5, atol=1e-6)
