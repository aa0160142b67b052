"""The keras-ov command (demo in a fresh process; info and export in this one) and IR export."""

import os
import subprocess
import sys

import numpy as np
import openvino as ov

import keras
from keras import layers

from keras_ov import cli


def test_demo_in_a_subprocess():
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)
    proc = subprocess.run(
        [sys.executable, "-m", "keras_ov.cli", "demo"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "backend: openvino" in out
    assert f"openvino {ov.get_version()}" in out
    assert "second predict (cached model)" in out and "compiled models:" in out
    assert out.strip().splitlines()[-1] == "OK"


def test_demo_reference_matches_predict():
    model = cli.build_demo_model()
    x = np.random.default_rng(0).random((5, 12, 12, 3), dtype=np.float32)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), cli.numpy_reference(model, x), rtol=1e-5, atol=1e-6
    )


def test_info(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "openvino" in out and "CPU" in out and "backend" in out


def _small_model():
    inp = keras.Input((6,), name="features")
    h = layers.Dense(4, activation="tanh")(inp)
    return keras.Model(inp, layers.Dense(2, activation="softmax")(h))


def test_export_command_writes_ir_that_runs(tmp_path, capsys):
    model = _small_model()
    src = tmp_path / "small.keras"
    model.save(src)
    xml = tmp_path / "small.xml"
    assert cli.main(["export", str(src), str(xml)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert xml.exists() and xml.with_suffix(".bin").exists()

    ir = ov.Core().read_model(str(xml))
    assert ir.inputs[0].get_any_name() == "features"
    assert ir.inputs[0].get_partial_shape()[0].is_dynamic
    x = np.random.default_rng(1).random((3, 6), dtype=np.float32)
    got = ov.Core().compile_model(ir, "CPU")(x)[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_keras_export_format_openvino(tmp_path):
    model = _small_model()
    path = str(tmp_path / "via_keras.xml")
    model.export(path, format="openvino", verbose=False)
    x = np.random.default_rng(2).random((2, 6), dtype=np.float32)
    got = ov.Core().compile_model(path, "CPU")(x)[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
