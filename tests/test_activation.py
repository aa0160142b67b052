"""How keras-ov makes stock Keras load it, and how it refuses."""

import os
import subprocess
import sys

import pytest

from keras_ov import _activation


def _run(code, **env):
    full_env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env
    )


def test_backend_defaults_to_openvino_and_resolves_to_keras_ov():
    r = _run(
        "import keras_ov, keras\n"
        "from keras.src.backend import openvino as b\n"
        "from keras.src.models import model\n"
        "from keras.src.layers import layer\n"
        "print(keras.backend.backend(), b.__name__, model.Trainer.__module__,"
        " layer.BackendLayer.__module__)"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [
        "openvino",
        "keras_ov.backend",
        "keras_ov.backend.trainer",
        "keras_ov.backend.layer",
    ]


def test_explicit_other_backend_wins():
    r = _run("import keras_ov, os; print(os.environ['KERAS_BACKEND'])", KERAS_BACKEND="numpy")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "numpy"


def test_explicit_other_backend_wins_in_keras():
    pytest.importorskip("jax")  # Keras's numpy backend imports jax
    r = _run("import keras_ov, keras; print(keras.backend.backend())", KERAS_BACKEND="numpy")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "numpy"


def test_keras_imported_first_is_a_clear_error():
    # Keras's in-tree openvino backend needs nothing beyond openvino.
    r = _run("import keras\nimport keras_ov", KERAS_BACKEND="openvino")
    assert r.returncode != 0
    assert "keras was imported before keras_ov" in r.stderr


@pytest.mark.parametrize("version", ["3.14.0", "3.16.0", "2.15.0", "4.0.0"])
def test_unsupported_keras_version_is_refused(version):
    with pytest.raises(_activation.KerasOVActivationError, match=version):
        _activation.check_keras_version(version)


def test_supported_keras_version():
    assert _activation.check_keras_version("3.15.1") == "3.15.1"
