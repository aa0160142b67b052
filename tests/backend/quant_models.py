"""Small models for the quantization tests, built alike on keras-ov and on JAX
(``python -m tests.backend.quant_models OUT.npz WEIGHTS MODEL MODE`` runs one on
the current backend: loads float weights, quantizes, predicts the saved input)."""

import sys

import numpy as np


def mlp(keras):
    # 1536 inputs to the second layer: its int8 product is split in two chunks.
    inp = keras.Input((96,))
    h = keras.layers.Dense(1536, activation="relu")(inp)
    h = keras.layers.Dense(64, activation="relu")(h)
    return keras.Model(inp, keras.layers.Dense(10)(h))


def encoder(keras):
    """A BERT-style block: Embedding, MultiHeadAttention (EinsumDense), feed-forward."""
    inp = keras.Input((16,), dtype="int32")
    x = keras.layers.Embedding(100, 32)(inp)
    a = keras.layers.MultiHeadAttention(4, 8)(x, x)
    x = keras.layers.LayerNormalization()(x + a)
    f = keras.layers.EinsumDense("abc,cd->abd", output_shape=(None, 64), activation="relu")(x)
    f = keras.layers.Dense(32)(f)
    return keras.Model(inp, keras.layers.LayerNormalization()(x + f))


MODELS = {"mlp": mlp, "encoder": encoder}


def inputs(name, seed=0):
    rng = np.random.default_rng(seed)
    if name == "mlp":
        return rng.standard_normal((8, 96)).astype("float32")
    return rng.integers(0, 100, (4, 16)).astype("int32")


def run(keras, name, mode, weights):
    model = MODELS[name](keras)
    model.load_weights(weights)
    if mode is not None:
        model.quantize(mode)
    return np.asarray(model.predict(inputs(name), verbose=0))


if __name__ == "__main__":
    import keras

    out, weights, name, mode = sys.argv[1:5]
    np.save(out, run(keras, name, None if mode == "none" else mode, weights))
