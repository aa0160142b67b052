"""Training: fit/train_on_batch compiled into one OpenVINO model, against the JAX backend."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import keras
from keras import layers
from keras.src.backend.common.symbolic_scope import in_symbolic_scope

from tests.backend import _fit_cases

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _run_backend(backend, script, *args):
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, script, backend, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if proc.returncode:
        raise AssertionError(f"{backend} run failed:\n{proc.stderr[-4000:]}")


@pytest.fixture(scope="module")
def optimizer_runs(tmp_path_factory):
    """The same 4 train_on_batch steps per optimizer on keras-ov and on JAX."""
    tmp = tmp_path_factory.mktemp("fit_cases")
    model = _fit_cases.build_mlp()
    init = tmp / "init.npz"
    np.savez(init, **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    script = os.path.join(HERE, "_fit_cases.py")
    _run_backend("openvino", script, str(init), str(tmp / "ov.npz"))
    _run_backend("jax", script, str(init), str(tmp / "jax.npz"))
    return np.load(tmp / "ov.npz"), np.load(tmp / "jax.npz")


# name -> (rtol, atol) on the weights after 4 steps.  Adam-style updates
# divide by sqrt(v): float32 rounding in gradients near zero moves them by
# ~1e-6 of the weights' scale.  mixed_float16: the CPU plugin computes
# float16 graphs in float32, JAX in float16.
OPTIMIZER_CASES = {
    "adam": (1e-4, 1e-5),
    "adamw": (1e-4, 1e-5),
    "sgd_momentum": (1e-5, 1e-6),
    "rmsprop": (1e-4, 1e-5),
    "adam_accumulate": (1e-4, 1e-5),  # assignments inside ops.cond
    "sgd_ema": (1e-5, 1e-6),  # EMA overwrite inside ops.cond
    "adam_clipnorm": (1e-4, 1e-5),
    "mixed_float16": (5e-2, 2e-2),  # LossScaleOptimizer: ops.cond with assignments
    "float8": (1e-4, 1e-5),  # float8 Dense: custom gradients, float8 casts, scale updates
}


@pytest.mark.parametrize("name", sorted(OPTIMIZER_CASES))
def test_optimizer_steps_match_jax(optimizer_runs, name):
    ours, jax = optimizer_runs
    rtol, atol = OPTIMIZER_CASES[name]
    np.testing.assert_allclose(ours[f"{name}/loss"], jax[f"{name}/loss"], rtol=max(rtol, 1e-5))
    for key in jax.files:
        if key.startswith(f"{name}/w"):
            np.testing.assert_allclose(ours[key], jax[key], rtol=rtol, atol=atol, err_msg=key)
    if name == "adam_accumulate":  # no update on the odd steps
        assert ours[f"{name}/loss"][0] == ours[f"{name}/loss"][1]


def _adam_step_script(tmp):
    return f"""
import os, sys
if os.environ["KERAS_BACKEND"] == "openvino":
    import keras_ov
import numpy as np, keras
sys.path.insert(0, {HERE!r})
import _fit_cases as c
init = np.load({str(tmp / "init.npz")!r})
x, y = c.data()
model = c.build_mlp()
model.set_weights([init[f"w{{i}}"] for i in range(len(model.weights))])
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)
model.train_on_batch(x, y)
np.savez(sys.argv[2], *model.get_weights())
"""


def test_one_adam_step_matches_jax_to_1e_5(tmp_path):
    model = _fit_cases.build_mlp()
    weights = model.get_weights()
    np.savez(tmp_path / "init.npz", **{f"w{i}": w for i, w in enumerate(weights)})
    script = tmp_path / "step.py"
    script.write_text(_adam_step_script(tmp_path))
    _run_backend("openvino", str(script), str(tmp_path / "ov.npz"))
    _run_backend("jax", str(script), str(tmp_path / "jax.npz"))
    ours, jax = np.load(tmp_path / "ov.npz"), np.load(tmp_path / "jax.npz")
    for key in jax.files:
        assert not np.array_equal(jax[key], weights[int(key.split("_")[1])])
        np.testing.assert_allclose(ours[key], jax[key], rtol=1e-5, atol=1e-7, err_msg=key)


def test_bert_loss_curve_matches_jax(tmp_path):
    """20 AdamW steps of a BERT-style encoder (dropout off): the loss at every
    step equals the JAX backend's to 1e-4 relative, and it falls."""
    model = _fit_cases.build_bert()
    np.savez(tmp_path / "init.npz", **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    script = os.path.join(HERE, "_fit_cases.py")
    for backend in ("openvino", "jax"):
        _run_backend(backend, script, str(tmp_path / "init.npz"), str(tmp_path / backend), "bert")
    ours = np.load(tmp_path / "openvino.npz")["loss"]
    jax = np.load(tmp_path / "jax.npz")["loss"]
    assert len(ours) == len(jax) == 20
    assert jax[-1] < 0.8 * jax[0]  # it learns (one batch)
    np.testing.assert_allclose(ours, jax, rtol=1e-4)


# -- in-process training ---------------------------------------------------------


def _classification(n=256, d=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x[:, :3].sum(1) > 0).astype("int32")
    return x, y


def _mlp_model(d=20):
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.Input((d,)), layers.Dense(32, activation="relu"), layers.Dense(2)]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def test_fit_mlp_loss_decreases_and_history():
    x, y = _classification()
    model = _mlp_model()
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    loss = history.history["loss"]
    assert len(loss) == 5 and loss[-1] < 0.8 * loss[0]
    assert history.history["accuracy"][-1] > 0.7
    assert model.optimizer.iterations.numpy() == 5 * 8
    step = model.train_function.graph_step
    assert step.traces == 1  # one trace for all 40 steps


class _BatchEnds(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_batch_end(self, batch, logs=None):  # (reached through on_train_batch_end)
        self.seen.append(("train", batch, sorted(logs)))

    def on_test_batch_end(self, batch, logs=None):
        self.seen.append(("test", batch))


def test_batch_end_hooks_only_dispatched_when_a_callback_has_one(monkeypatch):
    # Keras's CallbackList hands every batch end to a worker thread, even when
    # no callback overrides the hook; fit/evaluate/predict skip that hand-over.
    from keras.src.callbacks.callback_list import CallbackList

    dispatched = []
    real = CallbackList._async_dispatch
    monkeypatch.setattr(
        CallbackList,
        "_async_dispatch",
        lambda self, fn, *args: dispatched.append(fn.__name__) or real(self, fn, *args),
    )
    x, y = _classification(n=64)
    model = _mlp_model()
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, validation_data=(x, y))
    model.evaluate(x, y, batch_size=32, verbose=0, callbacks=[keras.callbacks.History()])
    model.predict(x, batch_size=32, verbose=0, callbacks=[keras.callbacks.History()])
    assert dispatched == []
    recorder = _BatchEnds()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[recorder])
    model.evaluate(x, y, batch_size=32, verbose=0, callbacks=[recorder])
    assert recorder.seen == [
        ("train", 0, ["accuracy", "loss"]),
        ("train", 1, ["accuracy", "loss"]),
        ("test", 0),
        ("test", 1),
    ]


class _BatchBegins(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        pass


def _started():
    from keras_ov.engine import plugin

    return plugin.counters["started"]


def test_fit_overlaps_steps_only_without_batch_callbacks():
    # With no per-batch callback, fit starts step k+1's infer as soon as step
    # k is committed, and fetches batch k+2 while it runs (GraphStep.submit).
    x, y = _classification(n=128)
    model = _mlp_model()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    before = _started()
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert _started() - before == 8
    before = _started()
    model.evaluate(x, y, batch_size=32, verbose=0)
    assert _started() - before == 4
    # A callback that looks at single batches sees every step committed.
    for callbacks, verbose in (([_BatchBegins()], 0), ([_BatchEnds()], 0), ([], 1)):
        before = _started()
        model.fit(x, y, epochs=1, batch_size=32, verbose=verbose, callbacks=callbacks)
        assert _started() == before, (callbacks, verbose)


def test_overlapped_fit_and_evaluate_equal_step_by_step(monkeypatch):
    from keras_ov.backend import train_step

    x, y = _classification(n=200)
    runs = []
    for overlap in (True, False):
        if not overlap:
            monkeypatch.setattr(train_step, "no_batch_hooks", lambda callbacks, mode: False)
        before = _started()
        model = _mlp_model()
        history = model.fit(
            x, y, epochs=3, batch_size=32, verbose=0, shuffle=False, validation_split=0.2
        )
        scores = model.evaluate(
            x, y, batch_size=32, verbose=0, return_dict=True, callbacks=[keras.callbacks.History()]
        )
        assert (_started() > before) == overlap
        runs.append((history.history, scores, model.get_weights(), model.optimizer.variables))
    (h1, s1, w1, o1), (h2, s2, w2, o2) = runs
    assert h1 == h2 and s1 == s2
    for a, b in zip(w1 + [v.numpy() for v in o1], w2 + [v.numpy() for v in o2]):
        np.testing.assert_array_equal(a, b)


def test_a_data_pipeline_failing_mid_fit_keeps_every_finished_step():
    # The step running when the pipeline raises is waited for and committed
    # whole: the weights are those after 3 steps, as step by step.
    x, y = _classification(n=160)

    class Data(keras.utils.PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            if i == 3:
                raise OSError("disk gone")
            return x[i * 32 : (i + 1) * 32], y[i * 32 : (i + 1) * 32]

    model = _mlp_model()
    with pytest.raises(OSError, match="disk gone"):
        model.fit(Data(), epochs=1, verbose=0, shuffle=False)
    assert model.optimizer.iterations.numpy() == 3
    reference = _mlp_model()
    for i in range(3):
        reference.train_on_batch(x[i * 32 : (i + 1) * 32], y[i * 32 : (i + 1) * 32])
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)  # (nothing left running)
    assert model.optimizer.iterations.numpy() == 8


def test_fit_compiles_one_model_per_signature():
    x, y = _classification(n=100)
    model = _mlp_model()
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)  # batches 32, 32, 32, 4
    # Keras's loss reduction needs a static batch (`ops.shape(values)` as a
    # tensor), so each batch size is its own signature: 32 and 4.
    assert model.train_function.graph_step.traces == 2
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert model.train_function.graph_step.traces == 2


def test_exception_mid_fit_leaves_weights_of_last_step():
    x, y = _classification()
    model = _mlp_model()

    class Boom(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.seen = [w.copy() for w in self.model.get_weights()]
                raise KeyboardInterrupt

    boom = Boom()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[boom])
    for a, b in zip(model.get_weights(), boom.seen):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations.numpy() == 3

    # A failure inside the step (here: a batch the compiled step rejects)
    # changes nothing.
    before = [w.copy() for w in model.get_weights()]
    opt_before = [v.numpy().copy() for v in model.optimizer.variables]
    function = model.train_function

    def failing(batches):
        step = function.graph_step
        traced, _, _ = step._traced(batches[0])
        real = traced.function

        class Half:
            def __call__(self, feed):
                real(feed)
                raise RuntimeError("device lost after computing")

        traced.function = Half()
        try:
            return step(batches[0])
        finally:
            traced.function = real

    model.train_function = failing
    with pytest.raises(RuntimeError, match="device lost"):
        model.train_on_batch(x[:32], y[:32])
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    for v, b in zip(model.optimizer.variables, opt_before):
        np.testing.assert_array_equal(v.numpy(), b)


def test_terminate_on_nan_stops_training():
    x, y = _classification()
    model = _mlp_model()
    model.compile(optimizer=keras.optimizers.SGD(1e30), loss="mse")
    history = model.fit(
        x,
        y.astype("float32")[:, None] * 1e20,
        epochs=3,
        batch_size=32,
        verbose=0,
        callbacks=[keras.callbacks.TerminateOnNaN()],
    )
    assert model.stop_training
    assert len(history.history.get("loss", [])) <= 1


def test_digits_cnn_reaches_jax_accuracy(tmp_path):
    """Real data: the digits bundled with scikit-learn, 8 epochs, same initial weights."""
    script = os.path.join(HERE, "_digits.py")
    init = str(tmp_path / "init.npz")
    _run_backend("openvino", script, init, str(tmp_path / "ov.json"))  # writes init
    _run_backend("jax", script, init, str(tmp_path / "jax.json"))
    ours = json.loads((tmp_path / "ov.json").read_text())
    jax = json.loads((tmp_path / "jax.json").read_text())
    assert ours["accuracy"] > 0.95
    assert abs(ours["accuracy"] - jax["accuracy"]) <= 0.01, (ours, jax)
    # float32 rounding differences grow over 350 Adam steps: ~3e-3 by epoch 8
    np.testing.assert_allclose(ours["loss"], jax["loss"], rtol=1e-2)


def test_fit_small_cnn_with_batchnorm_and_dropout():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 12, 12, 3)).astype("float32")
    y = (x[:, :6].mean(axis=(1, 2, 3)) > 0).astype("int32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.BatchNormalization(),
            layers.Dropout(0.3),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    bn = model.layers[1]
    seed = model.layers[2].seed_generator.state
    mean0, seed0 = bn.moving_mean.numpy().copy(), seed.numpy().copy()
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < 0.7 * loss[0]
    assert not np.array_equal(bn.moving_mean.numpy(), mean0)  # BatchNorm statistics move
    assert not np.array_equal(seed.numpy(), seed0)  # Dropout draws new masks


def test_callbacks_validation_and_progress_bar(tmp_path, capsys):
    x, y = _classification()
    model = _mlp_model()
    events = []

    class Recorder(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            events.append((epoch, sorted(logs)))

    checkpoint = tmp_path / "best.weights.h5"
    history = model.fit(
        x,
        y,
        epochs=4,
        batch_size=32,
        validation_split=0.25,
        verbose=1,
        callbacks=[
            Recorder(),
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=10),
            keras.callbacks.ModelCheckpoint(str(checkpoint), save_weights_only=True),
            keras.callbacks.ReduceLROnPlateau(
                monitor="loss", patience=0, factor=0.5, min_delta=10.0
            ),
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr),
        ],
    )
    assert [e for e, _ in events] == [0, 1, 2, 3]
    assert events[0][1] == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(history.history["val_loss"]) == 4
    assert checkpoint.exists()
    # ReduceLROnPlateau halves the learning rate after every epoch but the first
    np.testing.assert_allclose(float(model.optimizer.learning_rate.numpy()), 1e-3 / 8, rtol=1e-6)
    out = capsys.readouterr().out
    assert "Epoch 4/4" in out and "val_loss" in out and "6/6" in out


def test_early_stopping_and_initial_epoch():
    x, y = _classification()
    model = _mlp_model()
    history = model.fit(
        x,
        y,
        epochs=10,
        batch_size=64,
        verbose=0,
        initial_epoch=7,
        validation_data=(x[:64], y[:64]),
    )
    assert history.epoch == [7, 8, 9]
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=100.0)
    history = model.fit(x, y, epochs=10, batch_size=64, verbose=0, callbacks=[stop])
    assert len(history.epoch) == 2  # the first epoch sets the baseline


def test_class_weight_is_sample_weight():
    x, y = _classification()
    a = _mlp_model()
    a.fit(x, y, class_weight={0: 0.5, 1: 2.0}, batch_size=64, epochs=2, verbose=0, shuffle=False)
    b = _mlp_model()
    b.fit(
        x,
        y,
        sample_weight=np.where(y == 0, 0.5, 2.0).astype("float32"),
        batch_size=64,
        epochs=2,
        verbose=0,
        shuffle=False,
    )
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)


def test_zero_sample_weight_trains_nothing_but_the_rest():
    x, y = _classification()
    weights = np.zeros(len(x), "float32")
    weights[:64] = 1.0
    a = _mlp_model()
    a.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum"),
    )
    a.fit(x, y, sample_weight=weights, batch_size=256, epochs=1, verbose=0, shuffle=False)
    b = _mlp_model()
    b.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum"),
    )
    b.fit(x[:64], y[:64], batch_size=64, epochs=1, verbose=0, shuffle=False)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_shuffle_changes_batch_order():
    x, y = _classification()
    a, b = _mlp_model(), _mlp_model()
    a.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    b.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=True)
    assert not np.allclose(a.get_weights()[0], b.get_weights()[0])


def test_steps_per_execution():
    x, y = _classification()
    model = _mlp_model()
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        steps_per_execution=3,
    )
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert model.optimizer.iterations.numpy() == 16


@pytest.mark.parametrize("flag", ["run_eagerly", "jit_compile"])
def test_eager_training_matches_compiled(flag):
    x, y = _classification(n=64)
    ref = _mlp_model()
    ref.fit(x, y, epochs=1, batch_size=32, verbose=0, shuffle=False)
    model = _mlp_model()
    kwargs = {"run_eagerly": True} if flag == "run_eagerly" else {"jit_compile": False}
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        **kwargs,
    )
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


class _Spy(layers.Layer):
    """Reads its input's values on the host in `call` (a debugging print)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def call(self, x):
        if in_symbolic_scope():  # shape inference (compute_output_spec)
            return x
        self.seen.append((np.asarray(x).copy(), float(keras.ops.sum(x)), x.numpy().shape))
        return x


@pytest.mark.parametrize("flag", ["run_eagerly", "jit_compile"])
def test_eager_training_step_sees_values(flag):
    # As on JAX and torch, a step run eagerly may read its tensors' values;
    # keras-ov traces the step on each call, with the batch's values known.
    x, y = _classification(n=64)
    spy = _Spy()
    model = keras.Sequential([keras.Input((x.shape[1],)), layers.Dense(8), spy, layers.Dense(3)])
    kwargs = {"run_eagerly": True} if flag == "run_eagerly" else {"jit_compile": False}
    model.compile(
        optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), **kwargs
    )
    first = model.layers[0].get_weights()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, shuffle=False)
    assert len(spy.seen) == 2
    values, total, shape = spy.seen[0]
    expected = x[:32] @ first[0] + first[1]
    np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(total, expected.sum(), rtol=1e-4, atol=1e-4)
    assert shape == (32, 8)
    # the second step sees the weights after the first step's update
    second = x[32:] @ model.layers[0].get_weights()[0]
    assert not np.allclose(spy.seen[1][0], x[32:] @ first[0] + first[1], atol=1e-6)
    assert spy.seen[1][0].shape == second.shape


def test_fit_with_int64_labels_stays_on_the_cpu_plugin():
    # NumPy's default integers are int64 (np.random.randint): sparse labels
    # the loss only converts to float are fed as int32 (they fit), so the
    # step does not fall to the exact reference executor.
    x, y = _classification(n=64)
    y = y.astype("int64")
    model = _mlp_model()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    step = model.train_function.graph_step
    (traced,) = step._cache._data.values()
    assert not traced.function.exact_path
    too_wide = y.copy()
    too_wide[0] = 2**40
    with pytest.raises(ValueError, match="outside int32"):
        model.train_on_batch(x[:32], too_wide[:32])


@pytest.mark.parametrize(
    "layer,y_shape",
    [
        (lambda: layers.Dense(4), (4,)),
        (lambda: layers.EinsumDense("ab,bcd->acd", output_shape=(2, 4), bias_axes="d"), (2, 4)),
    ],
    ids=["dense", "einsum_dense"],
)
def test_float8_fit_stays_on_the_cpu_plugin(layer, y_shape):
    # Keras's float8 layers quantize-dequantize inputs, kernel and output
    # gradients through float8 casts in every step; the step's graph keeps no
    # float8 data, so it runs on the CPU plugin (OpenVINO has no reference
    # Einsum kernel at all).  The numbers: test_optimizer_steps_match_jax.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = rng.normal(size=(32, *y_shape)).astype("float32")
    layer = layer()
    layer.build((None, 3))
    layer.quantize("float8")
    model = keras.Sequential([layer])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < history[0]
    (traced,) = model.train_function.graph_step._cache._data.values()
    assert not traced.function.exact_path
    assert np.all(keras.ops.convert_to_numpy(layer.inputs_amax_history)[0] > 0)


def test_mixed_precision_fit():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        x, y = _classification()
        model = _mlp_model()
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    finally:
        keras.config.set_dtype_policy("float32")
    assert model.layers[0].kernel.dtype == "float32"
    loss = history.history["loss"]
    assert np.all(np.isfinite(loss)) and loss[-1] < loss[0]
    assert model.optimizer.step_counter.numpy() == 24


def test_keras_errors_for_bad_input():
    x, y = _classification()
    model = _mlp_model()
    with pytest.raises(ValueError, match="Data cardinality is ambiguous|sizes"):
        model.fit(x, y[:100], epochs=1, verbose=0)
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="cannot broadcast shapes"):
        model.fit(x, np.zeros((len(x), 7), "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="compile"):
        keras.Sequential([keras.Input((3,)), layers.Dense(1)]).fit(x[:, :3], y, verbose=0)


def test_custom_training_loop_matches_train_on_batch():
    """stateless_call + keras_ov.value_and_grad + optimizer.stateless_apply."""
    import keras_ov

    x, y = _classification(n=64)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model = _mlp_model()
    optimizer = keras.optimizers.Adam(1e-2)
    optimizer.build(model.trainable_variables)

    def compute_loss(trainable, non_trainable, x, y):
        y_pred, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
        return loss_fn(y, y_pred), non_trainable

    grad_fn = keras_ov.value_and_grad(compute_loss, has_aux=True)
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    opt_vars = [v.value for v in optimizer.variables]
    losses = []
    for _ in range(3):
        (loss, non_trainable), grads = grad_fn(trainable, non_trainable, x, y)
        trainable, opt_vars = optimizer.stateless_apply(opt_vars, grads, trainable)
        losses.append(float(loss))

    ref = _mlp_model()
    ref.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss_fn)
    ref_losses = [ref.train_on_batch(x, y, return_dict=True)["loss"] for _ in range(3)]
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    for ours, theirs in zip(trainable, ref.trainable_variables):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(ours), theirs.numpy(), rtol=1e-5, atol=1e-6
        )


def test_fit_on_empty_batches_runs_dynamic():
    # A LayerNormalization train step specialized to a (1, 0, 10) batch makes
    # the CPU plugin segfault in compile_model (run_layer_test trains on that
    # shape); empty batches run on the dynamic-shape compilation instead.
    # (A model traced with a static zero-size batch can still crash there:
    # OpenVINO's ConstantFolding and compile_model die of SIGFPE on it.)
    class Model(keras.Model):
        def __init__(self):
            super().__init__()
            self.norm = layers.LayerNormalization()

        def call(self, x, training=False):
            return self.norm(x)

    class Sum(keras.losses.Loss):  # (run_layer_test's training check)
        def __call__(self, y_true, y_pred, sample_weight=None):
            return keras.ops.sum(y_pred)

    model = Model()
    model.compile(optimizer="sgd", loss=Sum())
    x = np.zeros((1, 0, 10), np.float32)
    model.fit(x, x, verbose=0)
    np.testing.assert_array_equal(model.norm.gamma.numpy(), np.ones(10, np.float32))
