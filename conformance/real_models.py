"""Real models on keras-ov against the JAX backend: keras-hub backbones and
``keras.applications``, randomly initialized (no downloads), same weights.

    python -m conformance.real_models            # every model
    python -m conformance.real_models llama vit  # some of them

For each model a JAX process builds it (seeded), saves its weights and its
outputs (``predict`` and an eager call); a keras-ov process builds the same
architecture, loads those weights and computes the same outputs.  The table
gives the largest difference relative to the largest JAX output value; the
exit status is non-zero if a model fails or differs by more than 1e-4.

keras-hub is not a dependency of keras-ov.  Install it without its
TensorFlow-Text pin (tokenizers are not used here):

    pip install keras-hub --no-deps
    pip install regex rich kagglehub sentencepiece tokenizers
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

TOLERANCE = 1e-4
SEQ, VOCAB = 12, 100


def _text(rng):
    mask = np.ones((2, SEQ), "int32")
    mask[1, 9:] = 0
    return {"token_ids": rng.integers(1, VOCAB, (2, SEQ)).astype("int32"), "padding_mask": mask}


def _image(rng, size=32):
    return rng.random((2, size, size, 3)).astype("float32")


def _encoder(cls, **extra):
    def build(hub):
        return getattr(hub.models, cls)(
            vocabulary_size=VOCAB,
            num_layers=2,
            num_heads=2,
            hidden_dim=32,
            intermediate_dim=64,
            max_sequence_length=16,
            **extra,
        )

    return build


def _decoder(cls, **extra):
    def build(hub):
        return getattr(hub.models, cls)(
            vocabulary_size=VOCAB,
            num_layers=2,
            num_query_heads=4,
            hidden_dim=32,
            intermediate_dim=64,
            **extra,
        )

    return build


def _application(name, size):
    def build(keras):
        # Features, not the classifier: a random-init softmax can be uniform.
        return getattr(keras.applications, name)(
            weights=None, include_top=False, pooling="avg", input_shape=(size, size, 3)
        )

    return build


def _bert_inputs(rng):
    return dict(_text(rng), segment_ids=np.zeros((2, SEQ), "int32"))


# name -> (source, builder, inputs)
MODELS = {
    "bert": ("hub", _encoder("BertBackbone"), _bert_inputs),
    "roberta": ("hub", _encoder("RobertaBackbone"), _text),
    "distilbert": ("hub", _encoder("DistilBertBackbone"), _text),
    "gpt2": ("hub", _encoder("GPT2Backbone"), _text),
    "opt": ("hub", _encoder("OPTBackbone"), _text),
    "deberta_v3": ("hub", _encoder("DebertaV3Backbone", bucket_size=4), _text),
    "llama": ("hub", _decoder("LlamaBackbone", num_key_value_heads=2), _text),
    "mistral": ("hub", _decoder("MistralBackbone", num_key_value_heads=2), _text),
    "qwen": ("hub", _decoder("QwenBackbone", num_key_value_heads=2), _text),
    "gemma": ("hub", _decoder("GemmaBackbone", num_key_value_heads=1, head_dim=8), _text),
    "vit": (
        "hub",
        lambda hub: hub.models.ViTBackbone(
            image_shape=(32, 32, 3),
            patch_size=8,
            num_layers=2,
            num_heads=2,
            hidden_dim=32,
            mlp_dim=64,
        ),
        _image,
    ),
    "MobileNetV3Small": ("apps", _application("MobileNetV3Small", 64), lambda r: _image(r, 64)),
    "EfficientNetB0": ("apps", _application("EfficientNetB0", 64), lambda r: _image(r, 64)),
    "DenseNet121": ("apps", _application("DenseNet121", 64), lambda r: _image(r, 64)),
    "ConvNeXtTiny": ("apps", _application("ConvNeXtTiny", 64), lambda r: _image(r, 64)),
    "Xception": ("apps", _application("Xception", 71), lambda r: _image(r, 71)),
    "InceptionV3": ("apps", _application("InceptionV3", 75), lambda r: _image(r, 75)),
}


def _outputs(keras, model, x):
    """Flat name -> array of ``predict`` and of an eager call."""
    out = {}
    for how, y in (("predict", model.predict(x, verbose=0)), ("eager", model(x))):
        y = y if isinstance(y, dict) else {"out": y}
        for k, v in y.items():
            out[f"{how}/{k}"] = np.asarray(keras.ops.convert_to_numpy(v))
    return out


def worker(backend, name, workdir):
    """Run one model on one backend (in its own process: the backend is global)."""
    os.environ["KERAS_BACKEND"] = backend
    if backend == "openvino":
        import keras_ov  # noqa: F401  (activates keras-ov before keras loads)
    import keras

    source, build, inputs = MODELS[name]
    keras.utils.set_random_seed(0)
    if source == "hub":
        import keras_hub

        model = build(keras_hub)
    else:
        model = build(keras)
    x = inputs(np.random.default_rng(0))
    weights_file = os.path.join(workdir, f"{name}.weights.npz")
    if backend == "jax":
        np.savez(weights_file, *model.get_weights())
    else:
        saved = np.load(weights_file)
        model.set_weights([saved[f"arr_{i}"] for i in range(len(saved.files))])
    np.savez(os.path.join(workdir, f"{name}.{backend}.npz"), **_outputs(keras, model, x))


def _run(backend, name, workdir):
    cmd = [sys.executable, "-m", "conformance.real_models", "--worker", backend, name, workdir]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        return lines[-1] if lines else f"exit status {proc.returncode}"
    return None


def compare(name, workdir):
    for backend in ("jax", "openvino"):
        error = _run(backend, name, workdir)
        if error:
            return None, f"{backend}: {error[:160]}"
    ref = np.load(os.path.join(workdir, f"{name}.jax.npz"))
    got = np.load(os.path.join(workdir, f"{name}.openvino.npz"))
    worst = 0.0
    for key in ref.files:
        scale = float(np.max(np.abs(ref[key]))) or 1.0
        worst = max(worst, float(np.max(np.abs(ref[key] - got[key]))) / scale)
    return worst, None


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("models", nargs="*", help=f"some of: {', '.join(MODELS)}")
    ap.add_argument(
        "--worker", nargs=3, metavar=("BACKEND", "MODEL", "DIR"), help=argparse.SUPPRESS
    )
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        ap.error(f"unknown models {unknown}; choose from {list(MODELS)}")
    failed = 0
    print(f"{'model':18s} {'max rel. difference vs JAX (predict and eager call)':>52s}")
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.models or list(MODELS):
            worst, error = compare(name, workdir)
            if error or worst > TOLERANCE:
                failed += 1
            shown = (
                f"ERROR {error}"
                if error
                else f"{worst:.1e}" + ("" if worst <= TOLERANCE else "  FAIL")
            )
            print(f"{name:18s} {shown:>52s}", flush=True)
    print(f"real models: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
