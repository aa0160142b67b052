"""Low-precision benchmark: keras-ov int8 / bf16 against raw OpenVINO and JAX, interleaved.

    python -m benchmarks.lowprecision [--quick] [--out benchmarks/LOWPRECISION.md]

Three worker processes (this module with ``--worker KIND``) stay alive for the
whole run; the driver talks to them as ``benchmarks.run`` does (one JSON line
per command, ``benchmarks.run.WorkerProcess``).  For each model:

* the keras-ov worker builds the model (seed 0) and times ``predict`` in
  float32; a second copy after Keras's ``model.quantize("int8")``; the NNCF
  int8 graph of the first copy (``keras_ov.quantize(model, "int8",
  calibration)``, ``QuantizedModel.predict``); and, where the CPU has bf16,
  the float32 model under ``keras_ov.engine.settings.set_precision("bf16")``.
  It saves NNCF's int8 IR and its own float32 IR for the raw worker;
* the raw-ov worker (OpenVINO only, no Keras) compiles those IRs with
  ``compile_model(path, "CPU", {INFERENCE_PRECISION_HINT, PERFORMANCE_HINT:
  LATENCY})`` and times ``compiled_model(x)``: NNCF's int8 IR in f32 (its
  FakeQuantize ops select the int8 kernels), the float32 IR in bf16;
* the JAX worker times ``predict`` in float32 and after ``quantize("int8")``.

Then in interleaved rounds (the order rotates) every cell makes a burst of
timed calls; a cell is the median over all of them.  Columns for a feature the
CPU lacks (VNNI for int8, bf16) are not measured: the report says why.
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.run import ROOT, WorkerProcess, log, machine_info

WORKERS = {
    "keras-ov": {"KERAS_BACKEND": "openvino"},
    "raw-ov": {},
    "jax": {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"},
}
# name -> (batch size, calibration samples, description)
MODELS = {
    "mlp": (128, 256, "MLP 784-2048-2048-10"),
    "bert": (8, 32, "BERT-style encoder, 2 layers, seq 128, hidden 256, 4 heads"),
    "resnet50": (8, 16, "ResNet50 224x224, weights=None"),
}
# label -> (worker, task, CPU feature it needs or None)
CELLS = {
    "kov f32": ("keras-ov", "f32", None),
    "kov int8": ("keras-ov", "int8", "int8"),
    "kov NNCF int8": ("keras-ov", "nncf", "int8"),
    "raw OV NNCF int8": ("raw-ov", "int8", "int8"),
    "JAX f32": ("jax", "f32", None),
    "JAX int8": ("jax", "int8", None),
    "kov bf16": ("keras-ov", "bf16", "bf16"),
    "raw OV bf16": ("raw-ov", "bf16", "bf16"),
}
SETTINGS = {
    "quick": {"rounds": 3, "budget": 0.1, "min_calls": 2, "max_calls": 30},
    "full": {"rounds": 7, "budget": 0.5, "min_calls": 3, "max_calls": 300},
}
# /proc/cpuinfo flags behind each low-precision feature
FEATURE_FLAGS = {
    "int8": ("avx512_vnni", "avx_vnni", "amx_int8"),
    "bf16": ("avx512_bf16", "amx_bf16"),
    "amx": ("amx_tile", "amx_int8", "amx_bf16"),
}


def cpu_features():
    """feature -> the /proc/cpuinfo flags this CPU has for it (empty: lacks it)."""
    flags = set()
    if os.path.exists("/proc/cpuinfo"):
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    return {feat: [f for f in names if f in flags] for feat, names in FEATURE_FLAGS.items()}


def mlp_2048(keras):
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(2048, activation="relu"),
            keras.layers.Dense(2048, activation="relu"),
            keras.layers.Dense(10),
        ],
        name="mlp2048",
    )


def build(name, keras):
    from benchmarks.models import build_model

    return mlp_2048(keras) if name == "mlp" else build_model(name, keras)


def inputs(name, n, seed):
    from benchmarks.models import model_input

    return model_input(name, n, seed)


# --- the worker ---------------------------------------------------------------
class LowPrecisionWorker:
    def __init__(self, kind):
        if kind not in WORKERS:
            raise SystemExit(
                f"benchmarks.lowprecision: unknown worker {kind!r}; known: {list(WORKERS)}"
            )
        self.kind = kind
        self.keras = None
        if kind == "keras-ov":
            import keras_ov  # noqa: F401  (before keras)
        if kind != "raw-ov":
            import keras

            self.keras = keras
        self.tmpdir = tempfile.mkdtemp(prefix="kov-lowp-")
        self.fns = {}

    def hello(self):
        if self.kind == "raw-ov":
            if "keras" in sys.modules:
                raise RuntimeError("raw-ov worker imported keras")
            return {"kind": self.kind, "pid": os.getpid()}
        backend = self.keras.backend.backend()
        want = {"keras-ov": "openvino", "jax": "jax"}[self.kind]
        if backend != want:
            raise RuntimeError(f"worker {self.kind} runs backend {backend!r}, expected {want!r}")
        module = sys.modules.get("keras.src.backend.openvino")
        if self.kind == "keras-ov" and not module.__name__.startswith("keras_ov"):
            raise RuntimeError("keras-ov worker did not load keras_ov.backend")
        return {"kind": self.kind, "backend": backend, "pid": os.getpid()}

    def setup(self, name, features, irs=None):
        """Prepare the tasks of model ``name``; returns per-task first-call times."""
        self.release()
        batch, calib, _ = MODELS[name]
        x = inputs(name, batch, seed=0)
        info = {}
        if self.kind == "raw-ov":
            return self._setup_raw(x, irs, features)
        keras = self.keras
        model = build(name, keras)
        self.fns["f32"] = lambda: model.predict(x, batch_size=batch, verbose=0)
        quantized = build(name, keras)
        t0 = time.perf_counter()
        quantized.quantize("int8")
        info["int8_quantize_s"] = time.perf_counter() - t0
        self.fns["int8"] = lambda: quantized.predict(x, batch_size=batch, verbose=0)
        if self.kind == "keras-ov":
            info.update(self._setup_keras_ov(name, model, x, calib, features))
        for task, fn in self.fns.items():
            t0 = time.perf_counter()
            fn()
            info[f"first_{task}_s"] = time.perf_counter() - t0
            fn()  # warm-up
        if self.kind == "keras-ov":
            from keras_ov.backend import quantize as kq

            def kernels(m, hint="f32"):
                out = {}
                for rep in kq.runtime_precisions(m):
                    if rep["hint"] != hint:
                        continue
                    for (layer, prec), n in rep["kernels"].items():
                        out[f"{layer} {prec}"] = out.get(f"{layer} {prec}", 0) + n
                return out

            info["kernels"] = {
                "f32": kernels(model),
                "int8": kernels(quantized),
                "nncf": kernels(self.nncf),
            }
            if "bf16" in self.fns:
                info["kernels"]["bf16"] = kernels(model, "bf16")
        return info

    def _setup_keras_ov(self, name, model, x, calib, features):
        import keras_ov
        from keras_ov.backend import export
        from keras_ov.engine import layout, settings

        batch = len(x)
        info = {}
        t0 = time.perf_counter()
        self.nncf = keras_ov.quantize(
            model,
            "int8",
            calibration_data=inputs(name, calib, seed=2),
            batch_size=min(batch, calib),
            subset_size=calib,
        )
        info["nncf_quantize_s"] = time.perf_counter() - t0
        nncf = self.nncf
        self.fns["nncf"] = lambda: nncf.predict(x, batch_size=batch)
        info["nncf_ir"] = nncf.export(os.path.join(self.tmpdir, f"{name}_nncf.xml"))
        import openvino as ov

        f32_model = export.trace_model(model)
        layout.optimize(f32_model)
        info["f32_ir"] = os.path.join(self.tmpdir, f"{name}_f32.xml")
        ov.save_model(f32_model, info["f32_ir"], compress_to_fp16=False)
        if features["bf16"]:

            def bf16():
                with _precision(settings, "bf16"):
                    return model.predict(x, batch_size=batch, verbose=0)

            self.fns["bf16"] = bf16
        return info

    def _setup_raw(self, x, irs, features):
        import openvino as ov

        core = ov.Core()
        info = {}
        wanted = [("int8", "nncf_ir", "f32")]
        if features["bf16"]:
            wanted.append(("bf16", "f32_ir", "bf16"))
        for task, ir, precision in wanted:
            ov_model = core.read_model(irs[ir])
            ov_model.reshape({ov_model.inputs[0]: ov.PartialShape(list(x.shape))})
            compiled = core.compile_model(
                ov_model,
                "CPU",
                {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY"},
            )
            self.fns[task] = lambda c=compiled: c(x)
            t0 = time.perf_counter()
            self.fns[task]()
            info[f"first_{task}_s"] = time.perf_counter() - t0
            self.fns[task]()
            info[f"runs_as_{task}"] = compiled.get_property(
                "INFERENCE_PRECISION_HINT"
            ).get_type_name()
        return info

    def run(self, task, budget, min_calls, max_calls):
        fn = self.fns.get(task)
        if fn is None:
            raise RuntimeError(f"task {task!r} was not set up in the {self.kind} worker")
        times = []
        deadline = time.perf_counter() + budget
        while len(times) < max_calls and (len(times) < min_calls or time.perf_counter() < deadline):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return {"times": times}

    def release(self):
        import gc

        self.fns = {}
        self.nncf = None
        if self.keras is not None:
            self.keras.backend.clear_session()
        gc.collect()
        return {}

    def stats(self):
        import resource

        return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

    def dispatch(self, msg):
        cmd = msg["cmd"]
        if cmd == "hello":
            return self.hello()
        if cmd == "setup_lowp":
            return self.setup(msg["name"], msg["features"], msg.get("irs"))
        if cmd == "run":
            return self.run(msg["task"], msg["budget"], msg["min_calls"], msg["max_calls"])
        if cmd == "release":
            return self.release()
        if cmd == "stats":
            return self.stats()
        raise ValueError(f"unknown command {cmd!r}")


class _precision:
    """keras-ov's inference precision for the duration of a ``with``."""

    def __init__(self, settings, precision):
        self.settings, self.precision = settings, precision

    def __enter__(self):
        self.old = self.settings.config.precision
        self.settings.set_precision(self.precision)

    def __exit__(self, *exc):
        self.settings.config.precision = self.old


def worker_main(kind):
    import traceback

    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    worker = LowPrecisionWorker(kind)
    try:
        for line in sys.stdin:
            msg = json.loads(line)
            if msg["cmd"] == "quit":
                break
            try:
                reply = worker.dispatch(msg)
            except Exception as exc:
                reply = {
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(),
                }
            proto.write(json.dumps(reply) + "\n")
    finally:
        shutil.rmtree(worker.tmpdir, ignore_errors=True)


class _Process(WorkerProcess):
    """A ``benchmarks.run`` worker process running this module's worker."""

    def start(self):
        self.starts += 1
        env = dict(os.environ, **WORKERS[self.kind])
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.lowprecision", "--worker", self.kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=ROOT,
        )
        self.buf = b""
        self.dead_error = None


# --- the driver -----------------------------------------------------------------
def measure(workers, cells, cfg, timeout):
    """cells: label -> (worker kind, task).  Interleaved rounds; label -> cell."""
    times = {label: [] for label in cells}
    out = {}
    labels = list(cells)
    for r in range(cfg["rounds"]):
        k = r % len(labels) if labels else 0
        for label in labels[k:] + labels[:k]:
            if label in out:
                continue
            kind, task = cells[label]
            reply = workers[kind].call(
                {
                    "cmd": "run",
                    "task": task,
                    "budget": cfg["budget"],
                    "min_calls": cfg["min_calls"],
                    "max_calls": cfg["max_calls"],
                },
                timeout,
            )
            if "times" in reply:
                times[label].extend(reply["times"])
            else:
                out[label] = reply
    for label, ts in times.items():
        if label not in out and ts:
            out[label] = {"median_ms": 1e3 * statistics.median(ts), "n": len(ts)}
    return out


def run(args):
    cfg = dict(SETTINGS["quick" if args.quick else "full"])
    if args.rounds:
        cfg["rounds"] = args.rounds
    features = cpu_features()
    machine = machine_info()  # before the run: the commit the workers import
    logdir = tempfile.mkdtemp(prefix="kov-lowp-logs-")
    workers = {k: _Process(k, logdir, args.timeout) for k in WORKERS}
    results = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "load_start": os.getloadavg(),
        "features": features,
        "models": {},
    }
    try:
        for w in workers.values():
            w.start()
        for w in workers.values():
            w.handshake()
        for name in args.models:
            log(f"low precision {name}: setup (build, quantize, first predicts)")
            setup = {}
            for kind in ("keras-ov", "jax", "raw-ov"):
                w = workers[kind]
                started = w.ensure_started()
                if started and "error" in started:
                    setup[kind] = started
                    continue
                msg = {"cmd": "setup_lowp", "name": name, "features": features}
                if kind == "raw-ov":
                    if "error" in setup["keras-ov"]:
                        setup[kind] = {"error": "no IR: the keras-ov worker failed to set up"}
                        continue
                    msg["irs"] = {k: setup["keras-ov"][k] for k in ("nncf_ir", "f32_ir")}
                setup[kind] = w.call(msg, args.timeout)
            cells = {}
            for label, (kind, task, feature) in CELLS.items():
                if feature and not features[feature]:
                    continue
                if "error" not in setup[kind]:
                    cells[label] = (kind, task)
            log(f"low precision {name}: predict, {len(cells)} cells")
            row = measure(workers, cells, cfg, args.timeout)
            for label, (kind, _, feature) in CELLS.items():
                if feature and not features[feature]:
                    row[label] = {"na": f"this CPU has no {feature} support"}
                elif "error" in setup[kind]:
                    row[label] = setup[kind]
            results["models"][name] = {"setup": setup, "predict": row}
            for w in workers.values():
                w.call({"cmd": "release"}, args.timeout)
    finally:
        for w in workers.values():
            w.stop()
    results["load_end"] = os.getloadavg()
    results["peak_rss_mb"] = {k: w.peak_rss_mb for k, w in workers.items()}
    results["machine"] = machine
    results["settings"] = dict(cfg, mode="quick" if args.quick else "full")
    return results


# --- the report -------------------------------------------------------------------
def _ms(cell):
    if not cell:
        return "—"
    if "na" in cell:
        return "n/a"
    if "error" in cell:
        return "ERR: " + " ".join(cell["error"].split())[:70].replace("|", "\\|")
    v = cell["median_ms"]
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def _ratio(a, b):
    if not a or not b or "median_ms" not in a or "median_ms" not in b:
        return "—"
    return f"{a['median_ms'] / b['median_ms']:.2f}×"


def _feature_line(features, feature, what):
    have = features.get(feature)
    if have:
        return f"- {what}: yes ({', '.join(have)})"
    return f"- {what}: **no** — its columns are not measured (n/a)"


def render(results):
    m, feats = results["machine"], results["features"]
    s = results["settings"]
    lines = [
        "# keras-ov low-precision benchmark",
        "",
        f"Generated {results['started']} by `python -m benchmarks.lowprecision` ({s['mode']} mode, "
        f"{s['rounds']} interleaved rounds). A cell is the median ms of one `predict` of one "
        "batch (raw OV: one `compiled_model(x)` call). Ratios below 1 mean the first is faster.",
        "",
        "## Machine",
        "",
        f"- CPU: {m.get('cpu')}, {m.get('usable_cpus')} usable CPUs",
        _feature_line(feats, "int8", "int8 dot products (AVX-512 VNNI / AVX-VNNI / AMX-INT8)"),
        _feature_line(feats, "bf16", "bf16 (AVX-512 BF16 / AMX-BF16)"),
        _feature_line(feats, "amx", "AMX tiles"),
        f"- OpenVINO CPU capabilities: {m.get('ov_cpu_capabilities')}",
        f"- keras {m.get('keras')}, openvino {m.get('openvino')}, jax {m.get('jax')}; "
        f"keras-ov at {m.get('keras_ov_commit')}",
        f"- load average {results['load_start']} at start, {results['load_end']} at end",
        "",
        "## What each column runs",
        "",
        "| column | what |",
        "|---|---|",
        "| kov f32 | keras-ov `model.predict(x)`, float32 |",
        '| kov int8 | keras-ov, a second copy of the model after Keras\'s `model.quantize("int8")` |',
        '| kov NNCF int8 | `keras_ov.quantize(model, "int8", calibration)` (NNCF post-training '
        "quantization of keras-ov's traced graph), then `QuantizedModel.predict(x)` |",
        "| raw OV NNCF int8 | OpenVINO alone: `compile_model` of that same NNCF IR (f32 hint, "
        "LATENCY), `compiled_model(x)` |",
        '| JAX f32 / int8 | the JAX backend\'s `predict`, float32 / after `quantize("int8")` |',
        '| kov bf16 | keras-ov\'s float32 model under `settings.set_precision("bf16")` |',
        "| raw OV bf16 | OpenVINO alone on keras-ov's float32 IR, bf16 hint |",
        "",
        'Keras\'s `quantize("int8")` quantizes Dense, EinsumDense and Embedding layers; '
        "ResNet50's convolutions stay float32 (only its classifier is int8), while NNCF "
        "quantizes the convolutions too.",
        "",
        "## Predict (ms per batch, median)",
        "",
        "| model | batch | " + " | ".join(CELLS) + " |",
        "|---|---|" + "---|" * len(CELLS),
    ]
    for name, res in results["models"].items():
        row = res["predict"]
        lines.append(
            f"| {MODELS[name][2]} | {MODELS[name][0]} | "
            + " | ".join(_ms(row.get(label)) for label in CELLS)
            + " |"
        )
    lines += [
        "",
        "## Ratios (targets in brackets)",
        "",
        "| model | kov int8 / kov f32 (≤ 0.6 MLP, BERT) | kov NNCF / raw OV NNCF (≤ 1.1) | "
        "kov int8 / JAX int8 (< 1) | kov NNCF / JAX int8 (< 1) | kov bf16 / raw OV bf16 (≤ 1.1) |",
        "|---|---|---|---|---|---|",
    ]
    for name, res in results["models"].items():
        r = res["predict"]
        lines.append(
            f"| {name} | {_ratio(r.get('kov int8'), r.get('kov f32'))} | "
            f"{_ratio(r.get('kov NNCF int8'), r.get('raw OV NNCF int8'))} | "
            f"{_ratio(r.get('kov int8'), r.get('JAX int8'))} | "
            f"{_ratio(r.get('kov NNCF int8'), r.get('JAX int8'))} | "
            f"{_ratio(r.get('kov bf16'), r.get('raw OV bf16'))} |"
        )
    lines += [
        "",
        "## Setup and kernels",
        "",
        "Matrix kernels of keras-ov's compiled graphs by runtime precision, read from the CPU "
        "plugin's runtime model (`keras_ov.backend.quantize.runtime_precisions`); quantize and "
        "first-predict times in seconds.",
        "",
        "| model | path | kernels (type precision: count) | first predict (s) |",
        "|---|---|---|---|",
    ]
    for name, res in results["models"].items():
        kov = res["setup"].get("keras-ov", {})
        if "error" in kov:
            lines.append(f"| {name} | — | {_ms(kov)} | — |")
            continue
        for task, kernels in kov.get("kernels", {}).items():
            text = ", ".join(f"{k}: {v}" for k, v in sorted(kernels.items())) or "—"
            first = kov.get(f"first_{task}_s")
            lines.append(
                f"| {name} | {task} | {text} | {'—' if first is None else f'{first:.2f}'} |"
            )
        extra = [
            f"Keras quantize {kov['int8_quantize_s']:.2f} s" if "int8_quantize_s" in kov else "",
            f"NNCF quantize {kov['nncf_quantize_s']:.2f} s" if "nncf_quantize_s" in kov else "",
        ]
        raw = res["setup"].get("raw-ov", {})
        if "runs_as_bf16" in raw:
            extra.append(f"raw OV bf16 runs as {raw['runs_as_bf16']}")
        lines.append(f"| {name} | setup | {'; '.join(e for e in extra if e)} | — |")
    errors = [
        (name, kind, c)
        for name, res in results["models"].items()
        for kind, c in res["setup"].items()
        if "error" in c
    ]
    if errors:
        lines += ["", "## Errors", ""]
        lines += [f"- {name} / {kind}: {' '.join(c['error'].split())}" for name, kind, c in errors]
    lines += ["", "## Peak RSS of each worker (MB, over the whole run)", ""]
    for kind, rss in results["peak_rss_mb"].items():
        lines.append(f"- {kind}: {', '.join(f'{r:.0f}' for r in rss) or '—'}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "LOWPRECISION.md"))
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--rounds", type=int, default=None)
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--from-json", default=None, help="only re-render the report of a saved run")
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(args.worker)
    if args.from_json:
        with open(args.from_json) as f:
            results = json.load(f)
    else:
        args.models = [m for m in args.models.split(",") if m]
        for name in args.models:
            if name not in MODELS:
                p.error(f"unknown model {name!r}; known: {', '.join(MODELS)}")
        results = run(args)
        with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
            json.dump(results, f, indent=1, default=str)
    with open(args.out, "w") as f:
        f.write(render(results))
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
