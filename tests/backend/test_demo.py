"""``keras-ov demo``: trains on the bundled digits offline, >= 95% test accuracy,
the exported IR reproduces ``predict`` in plain OpenVINO, a PNG is written.

Also the two trainer faults the demo exposed: ``evaluate`` after ``fit`` must
not change the weights, and the IR of a one-channel CNN must run in float32.
"""

import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import keras
from keras import layers

pytest.importorskip("sklearn", reason="the demo's data are scikit-learn's digits (keras-ov[demo])")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_command_offline(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("KERAS_BACKEND", None)
    # Offline: any download attempt would fail through this proxy.
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[var] = "http://127.0.0.1:9"
    env["NO_PROXY"] = env["no_proxy"] = ""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "keras_ov", "demo", "--out", str(tmp_path), "--quiet"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    wall = time.perf_counter() - t0
    out = proc.stdout
    print(f"\nkeras-ov demo: {wall:.1f} s wall\n{out}")
    assert proc.returncode == 0, out + proc.stderr[-3000:]
    assert out.strip().splitlines()[-1] == "OK"
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", out).group(1))
    assert accuracy >= 0.95
    assert "450 test" in out  # the held-out 25% of 1,797 digits
    diff = float(re.search(r"predict on the test set to (\S+) \(max abs\)", out).group(1))
    assert diff < 1e-4
    assert os.path.exists(tmp_path / "digits_cnn.xml") and os.path.exists(
        tmp_path / "digits_cnn.bin"
    )
    pytest.importorskip("PIL", reason="the plot needs Pillow (keras-ov[demo])")
    png = tmp_path / "digits_cnn.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if "JAX" in out and "the JAX run failed" in out:
        pytest.fail("the JAX timing run failed: " + out)


def test_evaluate_after_fit_leaves_the_weights_alone():
    # evaluate after fit feeds the weights; it used to write every fed weight
    # back from the model's outputs, where large ones were uninitialized memory.
    rng = np.random.default_rng(0)
    x = rng.random((96, 8, 8, 1), dtype=np.float32)
    y = rng.integers(0, 10, 96).astype("int32")
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10),
        ]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    before = [np.array(w) for w in model.get_weights()]
    want = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
        y, model.predict(x, verbose=0)
    )
    loss = model.evaluate(x, y, batch_size=32, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(loss, float(want), rtol=1e-5)
