"""The ``keras-ov`` command (also ``python -m keras_ov``).

    keras-ov [demo]                      train a CNN on scikit-learn's digits, evaluate, export
    keras-ov check                       run a small fixed-weight CNN, check it against NumPy
    keras-ov info                        versions, OpenVINO devices, CPU features, settings
    keras-ov predict MODEL.keras X.npy   run a saved model on a NumPy array
    keras-ov bench MODEL                 latency percentiles and throughput (like benchmark_app)
    keras-ov export MODEL.keras OUT.xml  OpenVINO IR (or an OVMS repository with --ovms DIR;
                                         --int8 --calibration X.npy: NNCF int8)
    keras-ov quantize MODEL.keras -o OUT.xml --mode int8|int8_weights|int4 [--calibration X.npy]
                                         NNCF post-training quantization to OpenVINO IR
    keras-ov serve MODEL --replicas N    HTTP serving on Ray Serve (extra: keras-ov[serve])

Bad input (a missing file, a model that does not load, an array of the wrong
shape or dtype, an unknown device or precision) ends the command with exit
status 1 (2 for usage errors) and one line on stderr, never a traceback.
"""

import argparse
import os
import platform
import sys
import time
import zipfile
from collections.abc import Sequence

import numpy as np

import keras_ov  # noqa: F401  (must precede every keras import)
from keras_ov.cli_util import _LOAD_ERRORS, CLIError, _existing, _first_line, load_keras_model  # noqa: F401

PRECISIONS = ("f32", "bf16", "f16")
DEMO_SEED = 1234


def _versions():
    # lazy: importing keras (and openvino) takes seconds; `--help` should not
    import openvino as ov  # lazy: as keras

    import keras  # lazy: see above

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


def _use_device(device, precision=None):
    """Validate and select the OpenVINO device (and precision) for this process."""
    # lazy: loads keras/openvino (seconds); `--help` and the other commands should not
    from keras_ov.engine import settings

    available = list(settings.core().available_devices)
    if device not in available + ["AUTO"]:
        raise CLIError(f"unknown device {device!r} (available: {', '.join(available)}, AUTO)")
    settings.config.device = device
    if precision is not None:
        settings.set_precision(precision)


def cpu_features():
    """Which of avx2/avx512/vnni/bf16/amx the CPU has ({name: bool}), from /proc/cpuinfo."""
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags.update(line.split(":", 1)[1].split())
                    break
    except OSError:  # not Linux: OpenVINO's capabilities line still says what it can use
        return {}
    return {
        "avx2": "avx2" in flags,
        "avx512": "avx512f" in flags,
        "vnni": bool({"avx512_vnni", "avx_vnni"} & flags),
        "bf16": bool({"avx512_bf16", "amx_bf16"} & flags),
        "amx": bool({"amx_tile", "amx_bf16", "amx_int8"} & flags),
    }


def _features_line():
    # lazy: loads keras/openvino (seconds); `--help` and the other commands should not
    from keras_ov.engine import settings

    feats = cpu_features()
    text = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in feats.items()) or "unknown"
    caps = settings.core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return f"cpu features: {text} (OpenVINO CPU capabilities: {' '.join(caps)})"


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
    pooled = (
        conv[:, : h // 2 * 2, : w // 2 * 2].reshape(b, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
    )
    dense_w, dense_b = (np.asarray(v, np.float64) for v in model.layers[-1].get_weights())
    logits = pooled.reshape(b, -1) @ dense_w + dense_b
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cmd_check(args):
    # lazy: importing keras (and openvino) takes seconds; `--help` should not
    import keras

    from keras_ov.engine import settings  # lazy: loads openvino, as keras

    versions = _versions()
    print(
        f"keras-ov {versions['keras-ov']} | keras {versions['keras']} "
        f"(backend: {keras.backend.backend()}) | openvino {versions['openvino']}"
    )
    print(f"device: {settings.config.device}, precision: {settings.config.precision}")
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


def cmd_demo(args):
    from keras_ov import demo  # lazy: imports keras (seconds); `--help` should not

    report = demo.run(
        epochs=args.epochs,
        out_dir=args.out,
        compare_jax=not args.no_jax,
        verbose=0 if args.quiet else 1,
    )
    ok = report["test_accuracy"] >= 0.95 and report["plain_openvino_max_abs_diff"] < 1e-4
    print("OK" if ok else "BELOW EXPECTATIONS (accuracy < 0.95 or IR mismatch)")
    return 0 if ok else 1


# -- info -------------------------------------------------------------------


def cmd_info(args):
    # lazy: importing keras (and openvino) takes seconds; `--help` should not
    import keras

    from keras_ov.engine import settings  # lazy: loads openvino, as keras

    for name, version in _versions().items():
        print(f"{name:10s} {version}")
    print(f"{'backend':10s} {keras.backend.backend()}")
    core = settings.core()
    print("devices:")
    for device in core.available_devices:
        try:
            full = core.get_property(device, "FULL_DEVICE_NAME")
        except RuntimeError as e:  # a plugin that cannot report its name
            full = f"(name unavailable: {e})"
        print(f"  {device}: {full}")
    c = settings.config
    print(_features_line())
    print(
        f"execution: device={c.device} precision={c.precision} "
        f"threads={c.num_threads or 'auto'} hint={c.hint}"
    )
    print(_cache_line())
    return 0


# -- predict ----------------------------------------------------------------


def _check_input(x, spec_shape, dtype, label):
    """``x`` as the model input ``label`` wants it, or a CLIError naming the mismatch."""
    want = tuple(spec_shape)
    if x.ndim != len(want) or any(w is not None and w != d for w, d in zip(want, x.shape)):
        shown = "(" + ", ".join("None" if d is None else str(d) for d in want) + ")"
        raise CLIError(f"input {label!r} has shape {x.shape}, the model expects {shown}")
    if not np.can_cast(x.dtype, np.dtype(dtype), "same_kind"):
        raise CLIError(f"input {label!r} has dtype {x.dtype}, the model expects {dtype}")
    return x.astype(dtype, copy=False)


def _model_inputs(model):
    inputs = getattr(model, "inputs", None) or []
    return [(i.name, tuple(i.shape), str(i.dtype)) for i in inputs]


def load_inputs(path, model):
    """A .npy (one input) or .npz (arrays named after the inputs) checked against ``model``."""
    _existing(path)
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as e:
        raise CLIError(f"cannot read {path} as a NumPy .npy/.npz file: {_first_line(e)}") from None
    specs = _model_inputs(model)
    if isinstance(data, np.lib.npyio.NpzFile):
        arrays = {k: data[k] for k in data.files}
        if not specs:
            raise CLIError(f"{path}: a .npz needs a model with named inputs")
        missing = [n for n, _, _ in specs if n not in arrays]
        if missing:
            raise CLIError(f"{path} lacks inputs {missing} (it has {sorted(arrays)})")
        xs = [_check_input(arrays[n], shape, dtype, n) for n, shape, dtype in specs]
    else:
        if len(specs) > 1:
            names = [n for n, _, _ in specs]
            raise CLIError(
                f"the model takes {len(specs)} inputs {names}: give a .npz with those names"
            )
        if specs:
            name, shape, dtype = specs[0]
            xs = [_check_input(data, shape, dtype, name)]
        else:
            xs = [data]
    return xs


def cmd_predict(args):
    _use_device(args.device, args.precision)
    model = load_keras_model(args.model)
    xs = load_inputs(args.input, model)
    if args.batch_size < 1:
        raise CLIError(f"--batch-size must be at least 1, got {args.batch_size}")
    t0 = time.perf_counter()
    y = model.predict(xs if len(xs) > 1 else xs[0], batch_size=args.batch_size, verbose=0)
    elapsed = time.perf_counter() - t0
    outputs = y if isinstance(y, (list, tuple)) else [y]
    # lazy: loads keras/openvino (seconds); `--help` and the other commands should not
    from keras_ov.backend.export import _output_names

    names = _output_names(model)
    if len(names) != len(outputs):
        names = [f"output_{i}" for i in range(len(outputs))]
    shapes = ", ".join(f"{n}{tuple(o.shape)}" for n, o in zip(names, outputs))
    print(
        f"predict {args.model} on {args.input}: {shapes} in {1000 * elapsed:.1f} ms "
        f"(batch_size={args.batch_size})"
    )
    if args.output:
        if args.output.endswith(".npz") or len(outputs) > 1:
            path = args.output if args.output.endswith(".npz") else args.output + ".npz"
            np.savez(path, **dict(zip(names, outputs)))
        else:
            path = args.output
            np.save(path, outputs[0])
        print(f"wrote {path}")
    else:
        with np.printoptions(precision=4, suppress=True, threshold=50):
            for n, o in zip(names, outputs):
                print(f"{n} (first rows):")
                print(o[:5])
    return 0


# -- bench ------------------------------------------------------------------


def _ov_model(path):
    """``(ov.Model, description)`` for a .keras file or an IR .xml."""
    import openvino as ov  # lazy: loads keras/openvino (seconds); `--help` and the other commands should not

    _existing(path)
    if path.endswith(".xml"):
        try:
            return ov.Core().read_model(path), "IR"
        except RuntimeError as e:
            raise CLIError(f"cannot read {path} as OpenVINO IR: {_first_line(e)}") from None
    # lazy: loads keras/openvino (seconds); `--help` and the other commands should not
    from keras_ov.backend.export import trace_model
    from keras_ov.engine import (  # lazy: loads keras/openvino (seconds); `--help` and the other commands should not
        execute,
        layout,
    )

    ov_model = trace_model(load_keras_model(path))
    if not execute.needs_reference(ov_model):
        layout.optimize(ov_model)
    return ov_model, "Keras model traced by keras-ov"


def _bench_inputs(compiled, batch_size, rng):
    feeds = {}
    for port in compiled.inputs:
        shape = port.get_partial_shape()
        dims = []
        for i, d in enumerate(shape):
            if d.is_static:
                dims.append(d.get_length())
            elif i == 0:
                dims.append(batch_size)
            else:
                raise CLIError(
                    f"input {port.get_any_name()!r} has a dynamic dim {i} ({shape}); "
                    "bench needs every dim but the batch static"
                )
        dtype = port.get_element_type().to_dtype()
        if np.issubdtype(dtype, np.floating):
            feeds[port.get_any_name()] = rng.standard_normal(dims).astype(dtype)
        else:
            feeds[port.get_any_name()] = np.zeros(dims, dtype)
    return feeds


def percentiles(latencies_ms):
    a = np.asarray(latencies_ms, np.float64)
    return {f"p{q}": float(np.percentile(a, q)) for q in (50, 90, 99)}


def cmd_bench(args):
    import openvino as ov  # lazy: loads keras/openvino (seconds); `--help` and the other commands should not

    # lazy: loads keras/openvino (seconds); `--help` and the other commands should not
    from keras_ov.engine import settings

    _use_device(args.device, args.precision)
    if args.batch_size < 1:
        raise CLIError(f"--batch-size must be at least 1, got {args.batch_size}")
    ov_model, what = _ov_model(args.model)
    config = {"PERFORMANCE_HINT": args.hint, "INFERENCE_PRECISION_HINT": args.precision}
    t0 = time.perf_counter()
    compiled = settings.core().compile_model(ov_model, args.device, config)
    compile_ms = 1000 * (time.perf_counter() - t0)
    feeds = _bench_inputs(compiled, args.batch_size, np.random.default_rng(0))
    nreq = (
        compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")
        if args.hint == "THROUGHPUT"
        else 1
    )

    print(_features_line())
    print(
        f"model: {args.model} ({what}); device {args.device}, hint {args.hint}, "
        f"precision {args.precision}, batch {args.batch_size}, {nreq} infer request(s)"
    )
    print(f"compile: {compile_ms:.1f} ms")
    first = compiled.create_infer_request()
    t0 = time.perf_counter()
    first.infer(feeds)
    print(f"first inference: {1000 * (time.perf_counter() - t0):.2f} ms")

    latencies = []
    deadline = time.perf_counter() + args.time
    start = time.perf_counter()
    if nreq == 1:
        while len(latencies) < args.iterations and time.perf_counter() < deadline:
            t = time.perf_counter()
            first.infer(feeds)
            latencies.append(1000 * (time.perf_counter() - t))
    else:
        queue = ov.AsyncInferQueue(compiled, nreq)
        queue.set_callback(lambda request, t: latencies.append(1000 * (time.perf_counter() - t)))
        sent = 0
        while sent < args.iterations and time.perf_counter() < deadline:
            queue.start_async(feeds, time.perf_counter())
            sent += 1
        queue.wait_all()
    duration = time.perf_counter() - start
    p = percentiles(latencies)
    print(f"count: {len(latencies)} iterations in {duration:.3f} s")
    print(
        f"latency (ms): p50 {p['p50']:.3f}  p90 {p['p90']:.3f}  p99 {p['p99']:.3f}  "
        f"min {min(latencies):.3f}  max {max(latencies):.3f}"
    )
    print(f"throughput: {len(latencies) * args.batch_size / duration:.1f} samples/s")
    return 0


# -- export -----------------------------------------------------------------


def cmd_export(args):
    # lazy: loads keras/openvino (seconds); `--help` and the other commands should not
    from keras_ov.backend import export

    precision = "f16" if args.fp16 else args.precision
    if args.output is None and not args.ovms:
        raise CLIError("give OUT.xml (or --ovms DIR)")
    if args.int8:
        if args.ovms or precision != "f32":
            raise CLIError("--int8 writes one NNCF-quantized IR: drop --ovms and --precision")
        args.mode = "int8"
        return cmd_quantize(args)
    if args.calibration:
        raise CLIError("--calibration goes with --int8")
    model = load_keras_model(args.model)
    try:
        if args.ovms:
            name = args.output or os.path.splitext(os.path.basename(args.model))[0]
            path = export.ovms_repository(model, args.ovms, name, precision=precision)
        else:
            path = args.output
            export.export_model(model, path, precision=precision)
    except (ValueError, OSError) as e:
        raise CLIError(_first_line(e).removeprefix("keras-ov export: ")) from None
    import openvino as ov  # lazy: loads keras/openvino (seconds); `--help` and the other commands should not

    ov_model = ov.Core().read_model(path)
    ins = ", ".join(f"{i.get_any_name()}{i.get_partial_shape()}" for i in ov_model.inputs)
    outs = ", ".join(f"{o.get_any_name()}{o.get_partial_shape()}" for o in ov_model.outputs)
    print(f"wrote {path} (precision {precision}; inputs: {ins}; outputs: {outs})")
    if args.ovms:
        print(f"OpenVINO Model Server repository: {os.path.join(args.ovms, 'config.json')}")
    return 0


# -- quantize ---------------------------------------------------------------


def _calibration(path, model):
    """Calibration inputs for ``keras_ov.quantize`` from a .npy/.npz."""
    xs = load_inputs(path, model)
    if len(xs[0]) == 0:
        raise CLIError(f"{path} holds no samples to calibrate on")
    return xs[0] if len(xs) == 1 else (tuple(xs),)  # (x,): x is the inputs, no targets


def cmd_quantize(args):
    # lazy: loads keras/openvino (seconds); `--help` and the other commands should not
    from keras_ov.backend import quantize

    output = args.output
    if not output:
        raise CLIError("give -o OUT.xml")
    if not output.endswith(".xml"):
        raise CLIError(f"OpenVINO IR paths end with '.xml', got {output!r}")
    if args.mode == "int8" and not args.calibration:
        raise CLIError(
            "--mode int8 needs --calibration X.npy (model inputs to calibrate activation ranges on)"
        )
    if args.mode != "int8" and args.calibration:
        raise CLIError(f"--mode {args.mode} quantizes weights only: drop --calibration")
    if args.subset_size < 1:
        raise CLIError(f"--subset-size must be at least 1, got {args.subset_size}")
    model = load_keras_model(args.model)
    data = _calibration(args.calibration, model) if args.calibration else None
    t0 = time.perf_counter()
    try:
        q = quantize.quantize(model, args.mode, calibration_data=data, subset_size=args.subset_size)
    except ImportError as e:
        raise CLIError(_first_line(e)) from None
    except (ValueError, RuntimeError) as e:
        raise CLIError(_first_line(e).removeprefix("keras_ov.quantize: ")) from None
    elapsed = time.perf_counter() - t0
    try:
        q.export(output)
    except (ValueError, OSError, RuntimeError) as e:
        raise CLIError(f"cannot write {output}: {_first_line(e)}") from None
    kinds = [n.get_type_name() for n in q.ov_model.get_ordered_ops()]
    weights = sum(
        1
        for n in q.ov_model.get_ordered_ops()
        if n.get_type_name() == "Constant"
        and n.get_output_element_type(0).get_type_name() in ("i8", "u8", "i4", "u4")
    )
    print(
        f"wrote {output} (NNCF {args.mode} in {elapsed:.1f} s; FakeQuantize ops: "
        f"{kinds.count('FakeQuantize')}, low-precision weight constants: {weights})"
    )
    return 0


# -- serve ------------------------------------------------------------------


def cmd_serve(args):
    try:
        # lazy: loads keras/openvino (seconds); `--help` and the other commands should not
        from keras_ov import serve
    except ImportError as e:
        raise CLIError(
            f"serving needs Ray Serve ({_first_line(e)}): pip install 'keras-ov[serve]'"
        ) from None
    return serve.run(args)


# -- entry point ------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _device_args(p):
    p.add_argument("--device", default="CPU", help="OpenVINO device (default CPU)")
    p.add_argument(
        "--precision", default="f32", choices=PRECISIONS, help="inference precision (default f32)"
    )


def _quantize_args(p):
    p.add_argument(
        "--calibration",
        metavar="X.npy",
        help="model inputs to calibrate int8 activation ranges on (.npy, or .npz of "
        "arrays named after the inputs)",
    )
    p.add_argument(
        "--subset-size", type=int, default=300, help="calibration samples NNCF uses (300)"
    )


def _parser():
    parser = _Parser(prog="keras-ov", description="keras-ov: Keras on OpenVINO")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="train a CNN on scikit-learn's digits with fit on OpenVINO, evaluate, "
        "time it against JAX, export it and check the IR with plain OpenVINO (default)",
    )
    demo.add_argument("--epochs", type=int, default=12, help="training epochs (12)")
    demo.add_argument(
        "--out",
        metavar="DIR",
        default="keras-ov-demo",
        help="where the IR, weights and PNG plot go (./keras-ov-demo)",
    )
    demo.add_argument("--no-jax", action="store_true", help="do not time the JAX backend")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=cmd_demo)

    check = sub.add_parser(
        "check", help="run a small fixed-weight CNN on OpenVINO and check it against NumPy"
    )
    check.add_argument("--batch", type=int, default=8, help="number of samples")
    check.add_argument("--batch-size", type=int, default=4, help="predict batch size")
    check.add_argument("--verbose", action="store_true", help="print the model summary")
    check.set_defaults(func=cmd_check)

    info = sub.add_parser("info", help="versions, devices, CPU features and cache statistics")
    info.set_defaults(func=cmd_info)

    predict = sub.add_parser("predict", help="run a saved Keras model on a NumPy array")
    predict.add_argument("model", help="a .keras file")
    predict.add_argument("input", help="a .npy array (or a .npz of arrays named after the inputs)")
    predict.add_argument(
        "-o", "--output", help="write the predictions here (.npy; .npz for several outputs)"
    )
    predict.add_argument("--batch-size", type=int, default=32, help="predict batch size (32)")
    _device_args(predict)
    predict.set_defaults(func=cmd_predict)

    bench = sub.add_parser("bench", help="latency percentiles and throughput of a model")
    bench.add_argument("model", help="a .keras file or an OpenVINO IR .xml")
    bench.add_argument("--batch-size", type=int, default=1, help="batch size (1)")
    bench.add_argument(
        "--hint",
        default="LATENCY",
        choices=("LATENCY", "THROUGHPUT"),
        help="OpenVINO performance hint: LATENCY (one request, synchronous) or "
        "THROUGHPUT (the device's optimal number of asynchronous requests)",
    )
    bench.add_argument(
        "-n",
        "--iterations",
        type=int,
        default=10000,
        help="stop after this many inferences (10000)",
    )
    bench.add_argument(
        "-t", "--time", type=float, default=5.0, help="or after this many seconds (5)"
    )
    _device_args(bench)
    bench.set_defaults(func=cmd_bench)

    export = sub.add_parser("export", help="convert a saved Keras model to OpenVINO IR")
    export.add_argument("model", help="a .keras file")
    export.add_argument(
        "output",
        nargs="?",
        help="the .xml file to write (weights go to .bin); with --ovms, "
        "the model's name in the repository (default: MODEL's file name)",
    )
    export.add_argument(
        "--precision",
        default="f32",
        choices=PRECISIONS,
        help="what plain OpenVINO computes the IR in (default f32)",
    )
    export.add_argument(
        "--ovms",
        metavar="DIR",
        help="write an OpenVINO Model Server repository: DIR/NAME/1/model.xml and DIR/config.json",
    )
    export.add_argument("--fp16", action="store_true", help=argparse.SUPPRESS)
    export.add_argument(
        "--int8",
        action="store_true",
        help="NNCF int8 post-training quantization (as `keras-ov quantize "
        "--mode int8`); needs --calibration",
    )
    _quantize_args(export)
    export.set_defaults(func=cmd_export)

    quant = sub.add_parser(
        "quantize",
        help="NNCF post-training quantization of a saved Keras "
        "model to OpenVINO IR (needs keras-ov[nncf])",
    )
    quant.add_argument("model", help="a .keras file")
    quant.add_argument("-o", "--output", help="the .xml file to write (weights go to .bin)")
    quant.add_argument(
        "--mode",
        default="int8",
        choices=("int8", "int8_weights", "int4"),
        help="int8: int8 weights and activations, calibrated (default); "
        "int8_weights / int4: compressed weights, float activations",
    )
    _quantize_args(quant)
    quant.set_defaults(func=cmd_quantize)

    serve = sub.add_parser(
        "serve", help="serve a model over HTTP with Ray Serve (needs keras-ov[serve])"
    )
    serve.add_argument("model", help="a .keras file or an OpenVINO IR .xml")
    serve.add_argument("--replicas", type=int, default=1, help="model replicas (1)")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP host (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (8000)")
    serve.add_argument("--name", default=None, help="route /NAME (default: the model's file name)")
    serve.add_argument(
        "--threads", type=int, default=1, help="OpenVINO inference threads per replica (1)"
    )
    serve.add_argument(
        "--cpus-per-replica", type=float, default=1.0, help="CPUs Ray reserves for each replica (1)"
    )
    serve.add_argument(
        "--address",
        default=None,
        help="a running Ray cluster ('auto', or ray://HOST:PORT); default: start a local Ray",
    )
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        args = parser.parse_args(["demo"])
    import keras  # noqa: F401  (Keras first: it loads keras_ov.backend as its backend)

    try:
        return args.func(args)
    except CLIError as e:
        print(f"keras-ov {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
