"""``keras-ov demo``: train, evaluate, time and export a CNN on real data, offline.

The data are scikit-learn's bundled handwritten digits (1,797 8x8 images, no
download).  A small CNN is trained with ``fit`` on OpenVINO (Keras's progress
bar), evaluated on a held-out split, timed against the JAX backend when JAX is
installed, exported to OpenVINO IR and checked with plain OpenVINO.  A PNG
with the training curve and a few test digits is written next to the IR.
"""

import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np

SEED = 0


def load_digits_split():
    """``(x_train, y_train, x_test, y_test)``: digits scaled to [0, 1], 25% held out."""
    try:
        # lazy: optional extra keras-ov[demo]; a clear error names it
        from sklearn.datasets import load_digits

        # lazy: optional extra keras-ov[demo]; a clear error names it
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise SystemExit(
            "keras-ov demo: needs scikit-learn for its bundled digits data; "
            "install it with: pip install -e '.[demo]'"
        ) from None
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target.astype(np.int32)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=SEED, stratify=y
    )
    return x_train, y_train, x_test, y_test


def seed_everything(keras):
    """``keras.utils.set_random_seed(SEED)`` without its TensorFlow import (seconds)."""
    # lazy (the three): importing keras takes seconds; `--help` should not
    from keras.src.backend.common import global_state  # lazy: as above
    from keras.src.random import seed_generator  # lazy: as above
    from keras.src.utils import rng_utils  # lazy: as above

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, SEED)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(SEED)
    np.random.seed(SEED)


def build_model(keras):
    seed_everything(keras)
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1), name="image"),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, name="logits"),
        ],
        name="digits_cnn",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def median_latency_ms(fn, calls=30):
    fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


_JAX_TIMER = """
import json, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from keras_ov.demo import build_model, median_latency_ms  # imports keras_ov: before keras
import keras
model = build_model(keras)
model.load_weights({weights!r})
x = np.load({batch!r})
print(json.dumps({{"ms": median_latency_ms(lambda: model.predict_on_batch(x))}}))
"""


def jax_latency_ms(weights, batch_path):
    """``predict_on_batch`` median on the JAX backend (a child process), or why not."""
    if importlib.util.find_spec("jax") is None:
        return None, "JAX is not installed"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = _JAX_TIMER.format(root=root, weights=weights, batch=batch_path)
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"the JAX run failed: {last}"
    return json.loads(done.stdout.strip().splitlines()[-1])["ms"], None


def plain_openvino_check(xml_path, x, expected):
    """Max |plain OpenVINO - predict| on ``x``, compiled with OpenVINO's default settings.

    On a CPU whose OpenVINO default is bf16 too: the export keeps the IR in float32.
    """
    import openvino as ov  # lazy: loads keras/openvino (seconds); `--help` and the other commands should not

    compiled = ov.Core().compile_model(xml_path, "CPU")
    got = compiled(x)[compiled.outputs[0]]
    return float(np.max(np.abs(got - expected)))


def write_png(path, history, images, labels, predictions):
    """The loss/accuracy curves and 10 test digits with their predictions."""
    try:
        from PIL import (  # lazy: optional extra keras-ov[demo]; the plot is skipped without it
            Image,
            ImageDraw,
        )
    except ImportError:
        return "Pillow is not installed (pip install -e '.[demo]')"
    width, height = 640, 360
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    left, top, w, h = 40, 20, 560, 180
    draw.rectangle([left, top, left + w, top + h], outline="black")
    curves = [("loss", "#1f77b4"), ("accuracy", "#2ca02c"), ("val_accuracy", "#d62728")]
    top_value = max(max(history.get("loss", [1.0])), 1.0)
    for k, (key, color) in enumerate(curves):
        values = history.get(key)
        if not values:
            continue
        points = [
            (left + w * i / max(len(values) - 1, 1), top + h - h * v / top_value)
            for i, v in enumerate(values)
        ]
        draw.line(points, fill=color, width=2)
        draw.text((left + 8, top + 6 + 12 * k), key, fill=color)
    for i in range(min(10, len(images))):
        digit = (255 - images[i, :, :, 0] * 255).clip(0, 255).astype(np.uint8)
        tile = Image.fromarray(digit).resize((48, 48), Image.NEAREST)
        x0 = left + i * 58
        img.paste(tile, (x0, 240))
        ok = predictions[i] == labels[i]
        draw.text((x0 + 4, 295), f"{predictions[i]}", fill="green" if ok else "red")
    draw.text((left, 320), "test digits: predicted class (green right, red wrong)", fill="black")
    img.save(path)
    return None


def run(epochs=12, out_dir=None, compare_jax=True, verbose=1):
    """The demo; returns a dict of what it measured (also printed)."""
    import keras  # lazy: loads keras/openvino (seconds); `--help` and the other commands should not

    # lazy: loads keras/openvino (seconds); `--help` and the other commands should not
    from keras_ov.engine import settings

    out_dir = out_dir or tempfile.mkdtemp(prefix="keras-ov-demo-")
    os.makedirs(out_dir, exist_ok=True)
    x_train, y_train, x_test, y_test = load_digits_split()
    print(
        f"keras-ov demo: scikit-learn digits, {len(x_train)} train / {len(x_test)} test "
        f"images of 8x8, backend {keras.backend.backend()!r} (keras-ov), "
        f"device {settings.config.device}"
    )
    model = build_model(keras)
    t0 = time.perf_counter()
    history = model.fit(
        x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=verbose
    )
    train_s = time.perf_counter() - t0
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(
        f"trained {epochs} epochs in {train_s:.1f} s; test accuracy {accuracy:.4f} "
        f"(loss {loss:.4f})"
    )

    batch = x_test[:32]
    ms = median_latency_ms(lambda: model.predict_on_batch(batch))
    report = {"test_accuracy": float(accuracy), "train_s": train_s, "predict_ms": ms}
    weights = os.path.join(out_dir, "digits_cnn.weights.h5")
    model.save_weights(weights)
    line = f"predict_on_batch (32 images): keras-ov {ms:.3f} ms"
    if compare_jax:
        batch_path = os.path.join(out_dir, "batch.npy")
        np.save(batch_path, batch)
        jax_ms, why = jax_latency_ms(weights, batch_path)
        report["jax_predict_ms"] = jax_ms
        line += f", JAX {jax_ms:.3f} ms ({ms / jax_ms:.2f}x)" if jax_ms else f"; JAX: {why}"
    print(line)

    xml = os.path.join(out_dir, "digits_cnn.xml")
    model.export(xml, format="openvino", verbose=False)
    expected = model.predict(x_test, verbose=0)
    diff = plain_openvino_check(xml, x_test, expected)
    report["ir"] = xml
    report["plain_openvino_max_abs_diff"] = diff
    print(
        f"exported OpenVINO IR: {xml}; plain OpenVINO (default settings) reproduces "
        f"predict on the test set to {diff:.2e} (max abs)"
    )

    png = os.path.join(out_dir, "digits_cnn.png")
    why = write_png(png, history.history, x_test, y_test, expected.argmax(-1))
    report["png"] = None if why else png
    print(f"plot: {png}" if not why else f"plot skipped: {why}")
    return report
