"""keras_ov.quantize: NNCF post-training quantization of a traced Keras model,
its calibration sources, bad input, and int8 accuracy on scikit-learn's digits
(both int8 paths: Keras's ``quantize("int8")`` and NNCF's)."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import keras

import keras_ov
from keras_ov.backend import quantize as kq
from keras_ov.engine import execute
from tests.backend import digits_model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytest.importorskip("nncf")


def _mlp():
    keras.utils.set_random_seed(1)
    inp = keras.Input((20,))
    h = keras.layers.Dense(64, activation="relu")(inp)
    return keras.Model(inp, keras.layers.Dense(5)(h))


X = np.random.default_rng(0).standard_normal((96, 20)).astype("float32")


class _Batches(keras.utils.PyDataset):
    def __len__(self):
        return 3

    def __getitem__(self, i):
        return X[32 * i : 32 * (i + 1)]


def _tf_data():
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(X).batch(32)


@pytest.mark.parametrize("mode,tol", [("int8", 0.1), ("int8_weights", 0.05), ("int4", 0.5)])
def test_modes_predict_close_to_float(mode, tol):
    model = _mlp()
    expected = model.predict(X, verbose=0)
    q = keras_ov.quantize(model, mode, calibration_data=X)
    assert q.mode == mode
    y = q.predict(X)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, atol=tol * np.abs(expected).max())
    kinds = {n.get_type_name() for n in q.ov_model.get_ordered_ops()}
    assert ("FakeQuantize" in kinds) == (mode == "int8")


@pytest.mark.parametrize("source", ["numpy", "xy", "pydataset", "tf.data"])
def test_calibration_sources(source):
    model = _mlp()
    data = {
        "numpy": lambda: X,
        "xy": lambda: (X, np.zeros(len(X))),
        "pydataset": _Batches,
        "tf.data": _tf_data,
    }[source]()
    q = keras_ov.quantize(model, "int8", calibration_data=data)
    expected = model.predict(X, verbose=0)
    np.testing.assert_allclose(q.predict(X), expected, atol=0.1 * np.abs(expected).max())


def test_export_of_the_quantized_graph(tmp_path):
    import openvino as ov

    model = _mlp()
    q = keras_ov.quantize(model, "int8", calibration_data=X)
    path = q.export(str(tmp_path / "q.xml"))
    compiled = ov.Core().compile_model(path, "CPU")
    np.testing.assert_allclose(compiled(X)[0], q.predict(X), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="end with '.xml'"):
        q.export(str(tmp_path / "q.bin"))


def test_unknown_mode():
    with pytest.raises(ValueError, match="mode must be one of .*'int3'"):
        keras_ov.quantize(_mlp(), "int3", calibration_data=X)


def test_unbuilt_model():
    model = keras.Sequential([keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="is not built"):
        keras_ov.quantize(model, "int8_weights")


def test_int8_needs_calibration_data():
    with pytest.raises(ValueError, match="needs calibration_data"):
        keras_ov.quantize(_mlp(), "int8")


def test_missing_nncf_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "nncf", None)
    with pytest.raises(ImportError, match=r"keras-ov\[nncf\]"):
        keras_ov.quantize(_mlp(), "int8_weights")


def test_failed_quantization_leaves_the_model_usable():
    model = _mlp()
    expected = model.predict(X, verbose=0)
    weights = [w.copy() for w in model.get_weights()]
    bad = np.zeros((8, 7), "float32")  # wrong feature count for the calibration graph
    with pytest.raises(RuntimeError, match="(?s)NNCF failed .* unchanged"):
        keras_ov.quantize(model, "int8", calibration_data=bad)
    for w, v in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(w, v)
    np.testing.assert_array_equal(model.predict(X, verbose=0), expected)


# -- accuracy on scikit-learn's digits ------------------------------------------------
@pytest.fixture(scope="module")
def digits_weights(tmp_path_factory):
    pytest.importorskip("sklearn")
    path = str(tmp_path_factory.mktemp("digits") / "digits.weights.h5")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.backend.digits_model", path],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return path


def _accuracy(logits, y):
    return float(np.mean(np.argmax(logits, -1) == y))


def test_int8_keeps_digits_accuracy(digits_weights):
    (x_train, _), (x_test, y_test) = digits_model.data()
    model = digits_model.build(keras)
    model.load_weights(digits_weights)
    base = _accuracy(model.predict(x_test, verbose=0), y_test)
    assert base > 0.9  # the model learned something

    nncf_int8 = keras_ov.quantize(model, "int8", calibration_data=x_train)
    nncf_acc = _accuracy(nncf_int8.predict(x_test), y_test)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.quantize("int8")
    before = execute.counters["reference_built"]
    keras_acc = _accuracy(model.predict(x_test, verbose=0), y_test)
    assert execute.counters["reference_built"] == before
    assert abs(keras_acc - base) <= 0.01, (base, keras_acc)
    assert abs(nncf_acc - base) <= 0.01, (base, nncf_acc)


def test_modes_listed():
    assert kq.MODES == ("int8", "int8_weights", "int4")


# -- which precision ran ---------------------------------------------------------------
def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            return set(next(line for line in f if line.startswith("flags")).split())
    except (OSError, StopIteration):
        return set()


def test_runtime_precisions_report_int8_kernels():
    model = _mlp()
    model.predict(X, verbose=0)
    assert kq.runtime_precisions(model) == [
        {"hint": "f32", "kernels": {("FullyConnected", "f32"): 2}}
    ]
    q = keras_ov.quantize(model, "int8", calibration_data=X)
    q.predict(X)
    (report,) = kq.runtime_precisions(q)
    assert {p for _, p in report["kernels"]} <= {"i8", "u8"}


@pytest.mark.skipif(
    "avx512_bf16" not in _cpu_flags() and "amx_bf16" not in _cpu_flags(),
    reason="the CPU has no bf16 instructions",
)
def test_mixed_bfloat16_policy_runs_bf16_kernels():
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = _mlp()
        y = model.predict(X, verbose=0)
    finally:
        keras.config.set_dtype_policy("float32")
    assert y.dtype == "bfloat16"
    (report,) = kq.runtime_precisions(model)
    assert report["kernels"] == {("FullyConnected", "bf16"): 2}


def test_runtime_precisions_needs_a_predict():
    with pytest.raises(ValueError, match="call predict first"):
        kq.runtime_precisions(_mlp())
