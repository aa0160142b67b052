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


# A BERT-style encoder small enough for the test suite: token and position
# embeddings, 2 post-norm layers of multi-head attention and a GELU feed-forward
# block, mean pooling, a 2-class head.  No dropout (its random masks differ by
# backend), so two backends' loss curves are comparable step by step.
BERT = {"vocab": 1000, "seq": 32, "hidden": 64, "heads": 4, "ff": 128, "layers": 2}


def _positions_layer():
    import keras

    class Positions(keras.layers.Layer):
        """Adds a learned (seq, hidden) table: BERT's absolute positions."""

        def build(self, input_shape):
            self.table = self.add_weight(
                shape=tuple(input_shape[1:]), initializer="random_normal", name="table"
            )

        def call(self, x):
            return keras.ops.add(x, self.table)

    return Positions


def build_bert(seed=0):
    import keras

    layers = keras.layers
    keras.utils.set_random_seed(seed)
    c = BERT
    tokens = keras.Input((c["seq"],), dtype="int32", name="tokens")
    x = layers.Embedding(c["vocab"], c["hidden"])(tokens)
    x = layers.LayerNormalization(epsilon=1e-12)(_positions_layer()()(x))
    for _ in range(c["layers"]):
        attn = layers.MultiHeadAttention(c["heads"], c["hidden"] // c["heads"])(x, x)
        x = layers.LayerNormalization(epsilon=1e-12)(layers.Add()([x, attn]))
        ff = layers.Dense(c["ff"], activation="gelu")(x)
        ff = layers.Dense(c["hidden"])(ff)
        x = layers.LayerNormalization(epsilon=1e-12)(layers.Add()([x, ff]))
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(tokens, layers.Dense(2)(x), name="bert_encoder")


def bert_data(batch=8):
    rng = np.random.default_rng(1)
    x = rng.integers(0, BERT["vocab"], size=(batch, BERT["seq"])).astype("int32")
    y = rng.integers(0, 2, size=(batch,)).astype("int32")
    return x, y


def run_bert(inp, out, steps=20):
    """The loss of ``steps`` AdamW ``train_on_batch`` steps on one batch."""
    import keras

    init = np.load(inp)
    model = build_bert()
    model.set_weights([init[f"w{i}"] for i in range(len(model.weights))])
    model.compile(
        optimizer=keras.optimizers.AdamW(1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x, y = bert_data()
    losses = [model.train_on_batch(x, y) for _ in range(steps)]
    np.savez(out, loss=np.array(losses, dtype="float64"))


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
    (run_bert if sys.argv[4:] == ["bert"] else run)(sys.argv[2], sys.argv[3])
