"""Run the same training on one Keras backend; used by test_fit.py.

``python _fit_cases.py BACKEND IN.npz OUT.npz``: for every case, build the
model, load the initial weights from IN, train a few ``train_on_batch``
steps and save the weights and losses to OUT.  The JAX backend runs it in a
subprocess, keras-ov too (same process type).
"""

import os
import sys

if __name__ == "__main__":
    os.environ["KERAS_BACKEND"] = sys.argv[1]
    if sys.argv[1] == "openvino":
        import keras_ov  # noqa: F401

import numpy as np


def optimizers():
    import keras

    o = keras.optimizers
    return {
        "adam": lambda: o.Adam(1e-2),
        "adamw": lambda: o.AdamW(1e-2, weight_decay=0.1),
        "sgd_momentum": lambda: o.SGD(0.1, momentum=0.9, nesterov=True),
        "rmsprop": lambda: o.RMSprop(1e-2, momentum=0.5, centered=True),
        "adam_accumulate": lambda: o.Adam(1e-2, gradient_accumulation_steps=2),
        "sgd_ema": lambda: o.SGD(0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2),
        "adam_clipnorm": lambda: o.Adam(1e-2, clipnorm=0.1),
        "mixed_float16": lambda: o.Adam(1e-2),
        "float8": lambda: o.SGD(0.1),
    }


def build_mlp(seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Dense(3),
        ]
    )


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8)).astype("float32")
    y = rng.integers(0, 3, size=(32,)).astype("int32")
    return x, y


def run(inp, out, steps=4):
    import keras

    init = np.load(inp)
    x, y = data()
    results = {}
    for name, make in optimizers().items():
        keras.config.set_dtype_policy("mixed_float16" if name == "mixed_float16" else "float32")
        model = build_mlp()
        model.set_weights([init[f"w{i}"] for i in range(len(model.weights))])
        if name == "float8":  # quantize-dequantize with scales and amax histories
            model.quantize("float8")
        model.compile(
            optimizer=make(),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        losses = [model.train_on_batch(x, y) for _ in range(steps)]
        results[f"{name}/loss"] = np.array(losses, dtype="float64")
        for i, w in enumerate(model.get_weights()):
            results[f"{name}/w{i}"] = w
    keras.config.set_dtype_policy("float32")
    np.savez(out, **results)


if __name__ == "__main__":
    run(sys.argv[2], sys.argv[3])
