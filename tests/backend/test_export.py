"""Export parity: IR written by keras-ov, run by plain OpenVINO with default settings.

Both export paths -- Keras's ``model.export(format="openvino")`` and
``keras-ov export`` -- must give an IR whose inputs are named as in Keras,
whose batch dim (and every dim the model leaves dynamic) is dynamic, and which
``openvino.Core().compile_model(xml, "CPU")`` runs in float32 even on a CPU
whose default is bf16: it matches ``model.predict`` to 1e-5.
"""

import json

import numpy as np
import openvino as ov
import pytest

import keras
from keras import layers

from keras_ov import cli
from keras_ov.backend import export as ov_export


def _mlp():
    inp = keras.Input((20,), name="features")
    h = layers.Dense(64, activation="gelu")(inp)
    h = layers.Dense(64, activation="tanh")(h)
    return keras.Model(inp, layers.Dense(5, activation="softmax", name="probs")(h))


def _cnn():
    inp = keras.Input((14, 14, 4), name="image")
    h = layers.Conv2D(16, 3, padding="same", activation="relu")(inp)
    h = layers.MaxPooling2D(2)(h)
    h = layers.Flatten()(h)
    return keras.Model(inp, layers.Dense(10, name="logits")(h))


def _sequential_cnn():
    return keras.Sequential(
        [
            keras.Input((12, 12, 3), name="pixels"),
            layers.Conv2D(8, 3, activation="relu"),
            layers.AveragePooling2D(2),
            layers.Conv2D(8, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(4, name="scores"),
        ]
    )


def _gray_cnn():
    # One channel: the layout Transpose only moves a size-1 dim (keras-ov demo's digits).
    inp = keras.Input((8, 8, 1), name="digit")
    h = layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    h = layers.Flatten()(layers.MaxPooling2D()(h))
    return keras.Model(inp, layers.Dense(10, name="logits")(h))


def _two_inputs():
    a = keras.Input((8,), name="numbers")
    b = keras.Input((6, 6, 2), name="patch")
    h = layers.Concatenate()([layers.Dense(12, activation="relu")(a), layers.Flatten()(b)])
    return keras.Model([a, b], layers.Dense(3, name="score")(h))


def _trained_cnn():
    # BatchNormalization after a Dense and a Conv2D: its statistics matter once trained.
    inp = keras.Input((10, 10, 3), name="photo")
    h = layers.Conv2D(6, 3, activation="relu")(inp)
    h = layers.BatchNormalization()(h)
    h = layers.Flatten()(layers.MaxPooling2D()(h))
    h = layers.BatchNormalization()(layers.Dense(16, activation="relu")(h))
    return keras.Model(inp, layers.Dense(4, activation="softmax", name="classes")(h))


def _randomised(build, seed=7):
    """``build()`` with every weight random (non-zero biases, BatchNorm statistics):
    what a trained model looks like to the exporter.  Fresh Keras layers have
    zero biases, which OpenVINO drops before its Dense fusions."""

    def make():
        model = build()
        rng = np.random.default_rng(seed)
        for w in model.weights:
            value = rng.normal(scale=0.5, size=w.shape)
            if "variance" in w.path:
                value = np.abs(value) + 0.5
            w.assign(value.astype("float32"))
        return model

    return make


MODELS = {
    "mlp": _mlp,
    "cnn": _cnn,
    "sequential_cnn": _sequential_cnn,
    "gray_cnn": _gray_cnn,
    "two_inputs": _two_inputs,
    "trained_mlp": _randomised(_mlp),
    "trained_cnn": _randomised(_cnn),
    "trained_bn_cnn": _randomised(_trained_cnn),
    "trained_sequential_cnn": _randomised(_sequential_cnn),
    "trained_gray_cnn": _randomised(_gray_cnn),
    "trained_two_inputs": _randomised(_two_inputs),
}
# Keras's own export_openvino takes single-input models; keras-ov's path takes both.
CASES = [
    ("mlp", "keras"),
    ("mlp", "cli"),
    ("cnn", "keras"),
    ("cnn", "cli"),
    ("sequential_cnn", "keras"),
    ("sequential_cnn", "cli"),
    ("gray_cnn", "keras"),
    ("gray_cnn", "cli"),
    ("two_inputs", "cli"),
    ("two_inputs", "keras"),
    # Trained weights (issue #14): a non-zero Dense bias used to run in bf16.
    ("trained_mlp", "keras"),
    ("trained_mlp", "cli"),
    ("trained_cnn", "keras"),
    ("trained_cnn", "cli"),
    ("trained_bn_cnn", "keras"),
    ("trained_bn_cnn", "cli"),
    ("trained_sequential_cnn", "keras"),
    ("trained_sequential_cnn", "cli"),
    ("trained_gray_cnn", "keras"),
    ("trained_two_inputs", "cli"),
]


def _export(model, path, tmp_path, how, *extra):
    if how == "keras":
        model.export(str(path), format="openvino", verbose=False)
    else:
        src = tmp_path / "model.keras"
        model.save(src)
        assert cli.main(["export", str(src), str(path), *extra]) == 0


def _batch(model, n, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(n,) + tuple(i.shape[1:])).astype("float32") for i in model.inputs]


@pytest.mark.parametrize("name,how", CASES)
def test_plain_openvino_matches_predict(name, how, tmp_path, capsys):
    model = MODELS[name]()
    xml = tmp_path / "model.xml"
    _export(model, xml, tmp_path, how)
    capsys.readouterr()

    compiled = ov.Core().compile_model(str(xml), "CPU")  # default settings
    assert [i.get_any_name() for i in compiled.inputs] == [i.name for i in model.inputs]
    want_outputs = ["scores"] if name.endswith("sequential_cnn") else model.output_names
    assert [o.get_any_name() for o in compiled.outputs] == want_outputs
    for port, keras_input in zip(compiled.inputs, model.inputs):
        shape = port.get_partial_shape()
        assert shape[0].is_dynamic
        assert [d.get_length() for d in list(shape)[1:]] == list(keras_input.shape[1:])
    for op in compiled.get_runtime_model().get_ops():
        assert op.get_rt_info()["runtimePrecision"].astype(str) in ("f32", "i32", "dynamic"), (
            op.get_friendly_name()
        )
    for n in (1, 5, 32):
        xs = _batch(model, n, seed=n)
        want = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        got = compiled({p.get_any_name(): x for p, x in zip(compiled.inputs, xs)})[0]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=f"batch {n}")


def test_dynamic_inner_dim_stays_dynamic(tmp_path):
    inp = keras.Input((None, 4), name="steps")
    h = layers.Dense(8, activation="relu")(inp)
    model = keras.Model(inp, layers.GlobalAveragePooling1D()(h))
    xml = tmp_path / "seq.xml"
    model.export(str(xml), format="openvino", verbose=False)
    compiled = ov.Core().compile_model(str(xml), "CPU")
    assert compiled.inputs[0].get_partial_shape().to_string() == "[?,?,4]"
    for length in (1, 7):
        x = np.random.default_rng(length).normal(size=(3, length, 4)).astype("float32")
        np.testing.assert_allclose(
            compiled(x)[0], model.predict(x, verbose=0), rtol=1e-5, atol=1e-5
        )


def test_subclassed_model_with_two_call_arguments(tmp_path):
    class Sum(keras.Model):
        def call(self, x, y):
            return x * 2.0 + y

        def build(self, x_shape, y_shape):  # records both shapes for export
            self.built = True

    model = Sum()
    x = np.ones((2, 3), "float32")
    model(x, x)
    xml = tmp_path / "sum.xml"
    model.export(str(xml), format="openvino", verbose=False)
    compiled = ov.Core().compile_model(str(xml), "CPU")
    got = compiled([x * 3, x])[0]
    np.testing.assert_allclose(got, np.full((2, 3), 7.0, "float32"))


@pytest.mark.parametrize("precision", ["f32", "bf16", "f16"])
def test_precision_is_recorded(precision, tmp_path, capsys):
    model = _mlp()
    xml = tmp_path / "m.xml"
    _export(model, xml, tmp_path, "cli", "--precision", precision)
    ir = ov.Core().read_model(str(xml))
    assert ir.get_rt_info(["runtime_options", "INFERENCE_PRECISION_HINT"]).astype(str) == precision
    assert ir.get_rt_info(["keras_ov", "precision"]).astype(str) == precision
    marked = [op for op in ir.get_ops() if "DisablePrecisionConversion_0" in op.get_rt_info()]
    assert bool(marked) == (precision == "f32")
    weights = {
        c.get_output_element_type(0).get_type_name()
        for c in ir.get_ops()
        if c.get_type_name() == "Constant"
        and c.get_output_size()
        and c.get_output_element_type(0).is_real()
    }
    assert ("f16" in weights) == (precision == "f16")


def test_keras_export_accepts_precision(tmp_path):
    model = _mlp()
    xml = tmp_path / "m.xml"
    model.export(str(xml), format="openvino", verbose=False, precision="bf16")
    ir = ov.Core().read_model(str(xml))
    assert ir.get_rt_info(["runtime_options", "INFERENCE_PRECISION_HINT"]).astype(str) == "bf16"
    with pytest.raises(ValueError, match="precision must be one of"):
        model.export(str(xml), format="openvino", verbose=False, precision="f8")
    with pytest.raises(ValueError, match="unexpected arguments"):
        model.export(str(xml), format="openvino", verbose=False, colour="red")


def test_ovms_repository(tmp_path, capsys):
    model = _cnn()
    src = tmp_path / "cnn.keras"
    model.save(src)
    repo = tmp_path / "models"
    (repo).mkdir()
    (repo / "config.json").write_text(
        json.dumps({"model_config_list": [{"config": {"name": "other", "base_path": "other"}}]})
    )
    assert cli.main(["export", str(src), "digits", "--ovms", str(repo)]) == 0
    assert "digits/1/model.xml" in capsys.readouterr().out
    xml = repo / "digits" / "1" / "model.xml"
    assert xml.exists() and xml.with_suffix(".bin").exists()
    config = json.loads((repo / "config.json").read_text())
    names = [e["config"]["name"] for e in config["model_config_list"]]
    assert names == ["other", "digits"]
    entry = config["model_config_list"][1]["config"]
    assert entry["base_path"] == "digits"
    assert entry["plugin_config"] == {"INFERENCE_PRECISION_HINT": "f32"}
    # Exporting again replaces the entry instead of adding a second one.
    assert cli.main(["export", str(src), "digits", "--ovms", str(repo)]) == 0
    config = json.loads((repo / "config.json").read_text())
    assert [e["config"]["name"] for e in config["model_config_list"]] == ["other", "digits"]
    x = np.random.default_rng(0).normal(size=(5, 14, 14, 4)).astype("float32")
    got = ov.Core().compile_model(str(xml), "CPU")(x)[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_bad_export_arguments():
    model = _mlp()
    with pytest.raises(ValueError, match="end with '.xml'"):
        ov_export.export_model(model, "model.onnx")
    with pytest.raises(ValueError, match="plain name"):
        ov_export.ovms_repository(model, "/tmp", "a/b")
