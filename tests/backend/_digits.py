"""A small CNN on scikit-learn's bundled digits; used by test_fit.py.

``python _digits.py BACKEND INIT.npz OUT.json``: load the initial weights
(INIT.npz, or write them there when it does not exist), train 8 epochs
without shuffling and print the test accuracy to OUT.json.
"""

import json
import os
import sys

if __name__ == "__main__":
    os.environ["KERAS_BACKEND"] = sys.argv[1]
    if sys.argv[1] == "openvino":
        import keras_ov  # noqa: F401

import numpy as np

EPOCHS = 8


def split():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype("float32")[..., None]
    y = d.target.astype("int32")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return (x[:1400], y[:1400]), (x[1400:], y[1400:])


def build():
    import keras

    keras.utils.set_random_seed(0)
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Flatten(),
            layers.Dense(10),
        ]
    )


def main(init_path, out_path):
    import keras

    model = build()
    if os.path.exists(init_path):
        init = np.load(init_path)
        model.set_weights([init[f"w{i}"] for i in range(len(model.weights))])
    else:
        np.savez(init_path, **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    (x, y), (xt, yt) = split()
    history = model.fit(x, y, epochs=EPOCHS, batch_size=32, shuffle=False, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    with open(out_path, "w") as f:
        json.dump({"accuracy": accuracy, "loss": history.history["loss"]}, f)


if __name__ == "__main__":
    main(sys.argv[2], sys.argv[3])
