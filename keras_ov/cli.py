"""The ``keras-ov`` command.

    keras-ov [demo]                 run a small Keras CNN on OpenVINO, check it against NumPy
    keras-ov info                   versions, OpenVINO devices, execution settings
    keras-ov export MODEL.keras OUT.xml   convert a saved Keras model to OpenVINO IR
"""

import keras_ov  # noqa: F401  (must precede every keras import)

import argparse
import platform
import sys
import time

import numpy as np

DEMO_SEED = 1234


def _versions():
    # lazy: importing keras (and openvino) takes seconds; `--help` should not
    import keras
    import openvino as ov  # lazy: as keras

    return {
        "keras-ov": keras_ov.__version__,
        "keras": keras.__version__,
        "openvino": ov.get_version(),
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _cache_line():
    from keras_ov.engine import execute  # lazy: loads openvino (see the keras imports)

    s = execute.cache.stats()
    return (
        f"compiled models: {execute.counters['compiled']}, "
        f"exact (reference) models: {execute.counters['reference_built']}, "
        f"eager cache: {s['size']}/{s['maxsize']} entries, "
        f"{s['hits']} hits, {s['misses']} misses, {s['evictions']} evictions"
    )


# -- demo -------------------------------------------------------------------


def build_demo_model():
    """A small CNN with fixed weights: conv -> max-pool -> dense -> softmax."""
    # lazy: importing keras (and openvino) takes seconds; `--help` should not
    import keras
    from keras import layers  # lazy: as keras

    model = keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ],
        name="keras_ov_demo",
    )
    # Fixed weights from NumPy (keras.utils.set_random_seed would import TensorFlow).
    rng = np.random.default_rng(DEMO_SEED)
    for layer in model.layers:
        layer.set_weights(
            [rng.normal(0.0, 0.3, w.shape).astype("float32") for w in layer.get_weights()]
        )
    return model


def numpy_reference(model, x):
    """The demo model's output computed with NumPy from its weights."""
    kernel, bias = (np.asarray(w, np.float64) for w in model.layers[0].get_weights())
    kh, kw = kernel.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), (kh, kw), axis=(1, 2))
    conv = np.einsum("bhwcij,ijco->bhwo", windows, kernel) + bias
    conv = np.maximum(conv, 0.0)
    b, h, w, c = conv.shape
    pooled = conv[:, : h // 2 * 2, : w // 2 * 2].reshape(b, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
    dense_w, dense_b = (np.asarray(v, np.float64) for v in model.layers[-1].get_weights())
    logits = pooled.reshape(b, -1) @ dense_w + dense_b
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cmd_demo(args):
    # lazy: importing keras (and openvino) takes seconds; `--help` should not
    import keras

    from keras_ov.engine import execute  # lazy: loads openvino, as keras

    versions = _versions()
    print(f"keras-ov {versions['keras-ov']} | keras {versions['keras']} "
          f"(backend: {keras.backend.backend()}) | openvino {versions['openvino']}")
    print(f"device: {execute.config.device}, precision: {execute.config.precision}")
    model = build_demo_model()
    x = np.random.default_rng(DEMO_SEED).random((args.batch, 12, 12, 3), dtype=np.float32)
    if args.verbose:
        model.summary()

    t0 = time.perf_counter()
    y = model.predict(x, batch_size=args.batch_size, verbose=0)
    t1 = time.perf_counter()
    y2 = model.predict(x, batch_size=args.batch_size, verbose=0)
    t2 = time.perf_counter()

    ref = numpy_reference(model, x)
    err = float(np.max(np.abs(y - ref)))
    np.set_printoptions(precision=4, suppress=True)
    print(f"predict on {x.shape} -> {y.shape} (batch_size={args.batch_size})")
    print("first rows:")
    print(y[:3])
    print("predicted classes:", np.argmax(y, axis=-1))
    print(f"first predict (trace + compile + run): {1000 * (t1 - t0):.1f} ms")
    print(f"second predict (cached model):          {1000 * (t2 - t1):.1f} ms")
    print(_cache_line())
    ok = err < 1e-4 and np.array_equal(y, y2)
    print(f"max |openvino - numpy| = {err:.2e}")
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


# -- info -------------------------------------------------------------------


def cmd_info(args):
    # lazy: importing keras (and openvino) takes seconds; `--help` should not
    import keras

    from keras_ov.engine import execute  # lazy: loads openvino, as keras

    for name, version in _versions().items():
        print(f"{name:10s} {version}")
    print(f"{'backend':10s} {keras.backend.backend()}")
    core = execute.core()
    print("devices:")
    for device in core.available_devices:
        try:
            full = core.get_property(device, "FULL_DEVICE_NAME")
        except RuntimeError as e:  # a plugin that cannot report its name
            full = f"(name unavailable: {e})"
        print(f"  {device}: {full}")
    c = execute.config
    print(f"execution: device={c.device} precision={c.precision} "
          f"threads={c.num_threads or 'auto'} hint={c.hint}")
    print(_cache_line())
    return 0


# -- export -----------------------------------------------------------------


def cmd_export(args):
    # lazy: importing keras (and openvino) takes seconds; `--help` should not
    import keras

    from keras_ov.backend.export import export_model  # lazy: loads keras, as above

    model = keras.saving.load_model(args.model, compile=False)
    ov_model = export_model(model, args.output, compress_to_fp16=args.fp16)
    ins = ", ".join(f"{i.get_any_name()}{i.get_partial_shape()}" for i in ov_model.inputs)
    outs = ", ".join(f"{o.get_any_name()}{o.get_partial_shape()}" for o in ov_model.outputs)
    print(f"wrote {args.output} (inputs: {ins}; outputs: {outs})")
    return 0


# -- entry point ------------------------------------------------------------


def _parser():
    parser = argparse.ArgumentParser(prog="keras-ov", description="keras-ov: Keras on OpenVINO")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="run a small CNN on OpenVINO and check it (default)")
    demo.add_argument("--batch", type=int, default=8, help="number of samples")
    demo.add_argument("--batch-size", type=int, default=4, help="predict batch size")
    demo.add_argument("--verbose", action="store_true", help="print the model summary")
    demo.set_defaults(func=cmd_demo)
    info = sub.add_parser("info", help="versions, devices and cache statistics")
    info.set_defaults(func=cmd_info)
    export = sub.add_parser("export", help="convert a saved Keras model to OpenVINO IR")
    export.add_argument("model", help="a .keras file")
    export.add_argument("output", help="the .xml file to write (weights go to .bin)")
    export.add_argument("--fp16", action="store_true", help="store weights as float16")
    export.set_defaults(func=cmd_export)
    return parser


def main(argv=None):
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        args = _parser().parse_args(["demo"])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
