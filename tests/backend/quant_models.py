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


def blocks(keras):
    """Embedding, then two transformer blocks as layers of their own (GPTQ and
    AWQ quantize block by block), then a Dense head."""
    inp = keras.Input((16,), dtype="int32")
    h = keras.layers.Embedding(100, 32, name="embedding")(inp)
    for i in range(2):
        x = keras.Input((16, 32))
        a = keras.layers.MultiHeadAttention(4, 8)(x, x)
        y = keras.layers.LayerNormalization()(x + a)
        f = keras.layers.Dense(64, activation="relu")(y)
        out = keras.layers.LayerNormalization()(y + keras.layers.Dense(32)(f))
        h = keras.Model(x, out, name=f"block{i}")(h)
    return keras.Model(inp, keras.layers.Dense(100)(h))


MODELS = {"mlp": mlp, "encoder": encoder, "blocks": blocks}
# Modes that calibrate on data, block by block: only the "blocks" model has blocks.
CALIBRATED = ("gptq", "awq")


def inputs(name, seed=0):
    rng = np.random.default_rng(seed)
    if name == "mlp":
        return rng.standard_normal((8, 96)).astype("float32")
    return rng.integers(0, 100, (4, 16)).astype("int32")


def calibration_config(keras, model, mode):
    """A ``GPTQConfig``/``AWQConfig`` over token ids (no tokenizer needed: ids
    are not strings) and the model's blocks."""
    structure = {
        "pre_block_layers": [model.get_layer("embedding")],
        "sequential_blocks": [model.get_layer("block0"), model.get_layer("block1")],
    }
    ids = np.random.default_rng(1).integers(0, 100, (64, 16)).astype("int32")
    common = dict(
        dataset=list(ids),
        tokenizer=lambda text: text,
        num_samples=16,
        sequence_length=16,
        group_size=8,
        quantization_layer_structure=structure,
    )
    if mode == "gptq":
        return keras.quantizers.GPTQConfig(weight_bits=4, symmetric=False, **common)
    return keras.quantizers.AWQConfig(num_grid_points=10, **common)


def run(keras, name, mode, weights):
    model = MODELS[name](keras)
    model.load_weights(weights)
    if mode in CALIBRATED:
        model.quantize(mode, config=calibration_config(keras, model, mode))
    elif mode is not None:
        model.quantize(mode)
    return np.asarray(model.predict(inputs(name), verbose=0))


if __name__ == "__main__":
    import keras

    out, weights, name, mode = sys.argv[1:5]
    np.save(out, run(keras, name, None if mode == "none" else mode, weights))
