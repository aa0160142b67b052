"""What the benchmark measures: the models and the eager-op workloads.

Everything here takes the ``keras`` module of the calling worker as an
argument, so the same definitions run on every backend.  Nothing in this file
imports keras, openvino or a backend itself.
"""

import numpy as np

# name -> (batch size, description)
MODELS = {
    "mlp": (128, "MLP 784-512-512-10"),
    "cnn": (32, "small CNN 32x32x3, conv32-conv64-dense128-10"),
    "mobilenetv2": (8, "MobileNetV2 224x224, weights=None"),
    "resnet50": (8, "ResNet50 224x224, weights=None"),
    "bert": (8, "BERT-style encoder, 2 layers, seq 128, hidden 256, 4 heads"),
}
SMALL_MODELS = ("mlp", "cnn")

BERT_VOCAB = 30522
BERT_SEQ = 128
BERT_HIDDEN = 256
BERT_HEADS = 4
BERT_FF = 1024
BERT_LAYERS = 2


def model_input(name, batch, seed=0):
    """A host batch for model ``name`` (NumPy; float32, or int32 token ids)."""
    rng = np.random.default_rng(seed)
    if name == "mlp":
        return rng.standard_normal((batch, 784), dtype=np.float32)
    if name == "cnn":
        return rng.standard_normal((batch, 32, 32, 3), dtype=np.float32)
    if name in ("mobilenetv2", "resnet50"):
        return rng.standard_normal((batch, 224, 224, 3), dtype=np.float32)
    if name == "bert":
        return rng.integers(0, BERT_VOCAB, (batch, BERT_SEQ), dtype=np.int32)
    raise ValueError(f"benchmarks: unknown model {name!r}; known: {sorted(MODELS)}")


def build_model(name, keras):
    keras.utils.set_random_seed(0)
    if name == "mlp":
        return keras.Sequential(
            [
                keras.Input((784,)),
                keras.layers.Dense(512, activation="relu"),
                keras.layers.Dense(512, activation="relu"),
                keras.layers.Dense(10),
            ],
            name="mlp",
        )
    if name == "cnn":
        return keras.Sequential(
            [
                keras.Input((32, 32, 3)),
                keras.layers.Conv2D(32, 3, activation="relu"),
                keras.layers.MaxPooling2D(),
                keras.layers.Conv2D(64, 3, activation="relu"),
                keras.layers.MaxPooling2D(),
                keras.layers.Flatten(),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(10),
            ],
            name="cnn",
        )
    if name == "mobilenetv2":
        return keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3))
    if name == "resnet50":
        return keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3))
    if name == "bert":
        return _bert(keras)
    raise ValueError(f"benchmarks: unknown model {name!r}; known: {sorted(MODELS)}")


def _bert(keras):
    layers = keras.layers

    class PositionEmbedding(layers.Layer):
        """Adds a learned (seq, hidden) table: BERT's absolute positions."""

        def build(self, input_shape):
            self.table = self.add_weight(
                shape=tuple(input_shape[1:]), initializer="random_normal", name="table"
            )

        def call(self, x):
            return keras.ops.add(x, self.table)

    tokens = keras.Input((BERT_SEQ,), dtype="int32", name="tokens")
    x = layers.Embedding(BERT_VOCAB, BERT_HIDDEN)(tokens)
    x = PositionEmbedding()(x)
    x = layers.LayerNormalization(epsilon=1e-12)(x)
    for _ in range(BERT_LAYERS):
        attn = layers.MultiHeadAttention(BERT_HEADS, BERT_HIDDEN // BERT_HEADS)(x, x)
        x = layers.LayerNormalization(epsilon=1e-12)(layers.Add()([x, attn]))
        ff = layers.Dense(BERT_FF, activation="gelu")(x)
        ff = layers.Dense(BERT_HIDDEN)(ff)
        x = layers.LayerNormalization(epsilon=1e-12)(layers.Add()([x, ff]))
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(tokens, layers.Dense(2)(x), name="bert_encoder")


# --- eager ops -------------------------------------------------------------
# Each workload is (description, inputs(rng) -> dict of host arrays,
# fn(ops, t) -> result).  Inputs are converted to backend tensors once, before
# timing; every timed call ends with keras.ops.convert_to_numpy(result).

N = 256


def _xy(rng):
    return {
        "x": rng.standard_normal((N, N), dtype=np.float32),
        "y": rng.standard_normal((N, N), dtype=np.float32),
    }


def _take_inputs(rng):
    return {
        "x": rng.standard_normal((N, N), dtype=np.float32),
        "idx": rng.integers(0, N, (64,), dtype=np.int32),
    }


def _chain_inputs(rng):
    return {**_xy(rng), "w": rng.standard_normal((N, N), dtype=np.float32)}


EAGER_OPS = {
    "ravel": ("ravel (256,256)", _xy, lambda ops, t: ops.ravel(t["x"])),
    "add": ("add (256,256)+(256,256)", _xy, lambda ops, t: ops.add(t["x"], t["y"])),
    "matmul": ("matmul 256x256 @ 256x256", _xy, lambda ops, t: ops.matmul(t["x"], t["y"])),
    "sum": ("sum (256,256) -> scalar", _xy, lambda ops, t: ops.sum(t["x"])),
    "softmax": ("softmax (256,256), axis -1", _xy, lambda ops, t: ops.softmax(t["x"], axis=-1)),
    "take": (
        "take 64 rows of (256,256)",
        _take_inputs,
        lambda ops, t: ops.take(t["x"], t["idx"], axis=0),
    ),
    "concatenate": (
        "concatenate 2x(256,256), axis 0",
        _xy,
        lambda ops, t: ops.concatenate([t["x"], t["y"]], axis=0),
    ),
    "chain5": (
        "5-op chain add→matmul→relu→softmax→sum (256,256)",
        _chain_inputs,
        lambda ops, t: ops.sum(
            ops.softmax(ops.relu(ops.matmul(ops.add(t["x"], t["y"]), t["w"])), axis=-1),
            axis=-1,
        ),
    ),
}
