"""Training: fit/train_on_batch compiled into one OpenVINO model, against the JAX backend."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import layers

from tests.backend import _fit_cases

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _run_backend(backend, script, *args):
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, script, backend, *args], env=env, capture_output=True, text=True, check=False,
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


# -- in-process training ---------------------------------------------------------


def _classification(n=256, d=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x[:, :3].sum(1) > 0).astype("int32")
    return x, y


def _mlp_model(d=20):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((d,)), layers.Dense(32, activation="relu"), layers.Dense(2)
    ])
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
        x, y.astype("float32")[:, None] * 1e20, epochs=3, batch_size=32, verbose=0,
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
