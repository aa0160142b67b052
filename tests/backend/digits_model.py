"""A small classifier of scikit-learn's bundled digits, for the quantization
accuracy test.  ``python -m tests.backend.digits_model WEIGHTS`` trains it on
the current backend (JAX in the test: keras-ov has no ``fit`` yet)."""

import sys

import numpy as np


def data():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int32")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return (x[:1300], y[:1300]), (x[1300:], y[1300:])


def build(keras):
    inp = keras.Input((64,))
    h = keras.layers.Dense(128, activation="relu")(inp)
    h = keras.layers.Dense(64, activation="relu")(h)
    return keras.Model(inp, keras.layers.Dense(10)(h))


if __name__ == "__main__":
    import keras

    keras.utils.set_random_seed(0)
    (x, y), _ = data()
    model = build(keras)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x, y, epochs=40, batch_size=32, verbose=0)
    model.save_weights(sys.argv[1])
