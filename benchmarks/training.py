"""Training benchmark: keras-ov against the JAX and torch backends, interleaved.

    python -m benchmarks.training [--quick] [--out benchmarks/TRAINING.md]

One worker process per backend (this module with ``--worker KIND``) stays
alive for the whole run; the driver talks to it as ``benchmarks.run`` talks to
its workers (one JSON line per command).  For each workload every worker
builds the same model (seed 0), compiles it with the same optimizer and loss,
and times its first ``train_on_batch`` (trace + compile + one step).  Then, in
interleaved rounds (the order rotates), each worker times a burst of
``train_on_batch`` steps, and then ``fit`` epochs of ``FIT_STEPS`` batches.
``fit`` is measured steady, as the steps are: every worker runs one untimed
``fit`` after its first step (Keras builds its data adapter and callbacks the
first time, and JAX traces its ``fit`` function).

Times are medians over every timed call.  A ratio is keras-ov's time over the
other backend's, below 1 = keras-ov faster, and it is paired: the median over
rounds of the two workers' medians in the same round.  The machines this runs
on change speed for seconds at a time (the same ``fit`` epoch runs 97 ms, then
150 ms for ten seconds, with the CPU busy all along: a neighbour on the host),
so a ratio of medians pooled over the whole run can compare one backend's fast
spells with the other's slow ones; rounds are a few seconds long, and two
workers in one round mostly see the same machine.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

from benchmarks.run import ROOT, WorkerProcess, log, machine_info

WORKERS = {
    "keras-ov": {"KERAS_BACKEND": "openvino"},
    "jax": {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"},
    "torch": {"KERAS_BACKEND": "torch", "CUDA_VISIBLE_DEVICES": ""},
}
# name -> (batch size, optimizer, description)
WORKLOADS = {
    "mlp": (128, "adam", "MLP 784-512-512-10, Adam"),
    "cnn": (32, "adam", "small CNN 32x32x3 with BatchNorm and Dropout, Adam"),
    "bert": (8, "adamw", "BERT-style encoder (2 layers, seq 128, hidden 256), AdamW"),
}
FIT_STEPS = 32
SETTINGS = {
    "quick": {
        "rounds": 3,
        "budget": 0.3,
        "min_calls": 3,
        "max_calls": 20,
        "fit_rounds": 3,
        "fit_budget": 0.2,
    },
    "full": {
        "rounds": 7,
        "budget": 1.0,
        "min_calls": 5,
        "max_calls": 200,
        "fit_rounds": 9,
        "fit_budget": 0.4,
    },
}


# --- the worker ---------------------------------------------------------------
def build_workload(name, keras):
    """``(model, x, y)`` for a workload, compiled; seed 0 everywhere."""
    import numpy as np

    from benchmarks.models import BERT_SEQ, BERT_VOCAB, build_model

    batch, optimizer, _ = WORKLOADS[name]
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    if name == "cnn":
        layers = keras.layers
        model = keras.Sequential(
            [
                keras.Input((32, 32, 3)),
                layers.Conv2D(32, 3, use_bias=False),
                layers.BatchNormalization(),
                layers.Activation("relu"),
                layers.MaxPooling2D(),
                layers.Conv2D(64, 3, activation="relu"),
                layers.MaxPooling2D(),
                layers.Flatten(),
                layers.Dropout(0.25),
                layers.Dense(128, activation="relu"),
                layers.Dense(10),
            ],
            name="cnn_bn",
        )
        x = rng.standard_normal((batch * FIT_STEPS, 32, 32, 3), dtype=np.float32)
        classes = 10
    elif name == "bert":
        model = build_model("bert", keras)
        x = rng.integers(0, BERT_VOCAB, (batch * FIT_STEPS, BERT_SEQ), dtype=np.int32)
        classes = 2
    else:
        model = build_model(name, keras)
        x = rng.standard_normal((batch * FIT_STEPS, 784), dtype=np.float32)
        classes = 10
    y = rng.integers(0, classes, (len(x),), dtype=np.int32)
    opt = keras.optimizers.AdamW(1e-3) if optimizer == "adamw" else keras.optimizers.Adam(1e-3)
    model.compile(optimizer=opt, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, x, y


class TrainWorker:
    def __init__(self, kind):
        if kind not in WORKERS:
            raise SystemExit(
                f"benchmarks.training: unknown worker {kind!r}; known: {list(WORKERS)}"
            )
        self.kind = kind
        if kind == "keras-ov":
            import keras_ov  # noqa: F401  (before keras)
        import keras

        self.keras = keras
        self.model = None

    def hello(self):
        backend = self.keras.backend.backend()
        want = {"keras-ov": "openvino", "jax": "jax", "torch": "torch"}[self.kind]
        if backend != want:
            raise RuntimeError(f"worker {self.kind} runs backend {backend!r}, expected {want!r}")
        module = sys.modules.get("keras.src.backend.openvino")
        if self.kind == "keras-ov" and not module.__name__.startswith("keras_ov"):
            raise RuntimeError("keras-ov worker did not load keras_ov.backend")
        return {"kind": self.kind, "backend": backend, "pid": os.getpid()}

    def setup(self, name):
        self.release()
        t0 = time.perf_counter()
        self.model, self.x, self.y = build_workload(name, self.keras)
        self.batch = WORKLOADS[name][0]
        build = time.perf_counter() - t0
        xb, yb = self.x[: self.batch], self.y[: self.batch]
        t0 = time.perf_counter()
        loss = self.model.train_on_batch(xb, yb)
        first = time.perf_counter() - t0
        self.model.train_on_batch(xb, yb)  # warm-up
        self._fit()  # warm-up: Keras's first fit builds more than later ones
        return {"build_s": build, "first_step_s": first, "first_loss": float(loss)}

    def _fit(self):
        b = self.batch
        return self.model.fit(self.x, self.y, batch_size=b, epochs=1, verbose=0, shuffle=False)

    def run(self, task, budget, min_calls, max_calls):
        model, b = self.model, self.batch
        if task == "step":
            step = [0]

            def fn():
                k = step[0] % FIT_STEPS
                step[0] += 1
                return model.train_on_batch(
                    self.x[k * b : (k + 1) * b], self.y[k * b : (k + 1) * b]
                )
        elif task == "fit_epoch":
            fn = self._fit
        else:
            raise ValueError(f"unknown task {task!r}")
        times = []
        deadline = time.perf_counter() + budget
        while len(times) < max_calls and (len(times) < min_calls or time.perf_counter() < deadline):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return {"times": times}

    def release(self):
        self.model = None
        self.keras.backend.clear_session()
        return {}

    def stats(self):
        import resource

        return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

    def dispatch(self, msg):
        cmd = msg["cmd"]
        if cmd == "hello":
            return self.hello()
        if cmd == "setup_train":
            return self.setup(msg["name"])
        if cmd == "run":
            return self.run(msg["task"], msg["budget"], msg["min_calls"], msg["max_calls"])
        if cmd == "release":
            return self.release()
        if cmd == "stats":
            return self.stats()
        raise ValueError(f"unknown command {cmd!r}")


def worker_main(kind):
    import traceback

    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    worker = TrainWorker(kind)
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["cmd"] == "quit":
            break
        try:
            reply = worker.dispatch(msg)
        except Exception as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        proto.write(json.dumps(reply) + "\n")


class _Process(WorkerProcess):
    """A ``benchmarks.run`` worker process running this module's worker."""

    def start(self):
        self.starts += 1
        env = dict(os.environ, **WORKERS[self.kind])
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.training", "--worker", self.kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=ROOT,
        )
        self.buf = b""
        self.dead_error = None


# --- the driver -----------------------------------------------------------------
def measure(workers, kinds, task, cfg, rounds, timeout):
    """``{kind: {"median_ms", "n", "rounds_ms"}}`` (or an error reply), with
    ``rounds_ms`` each round's median, for paired ratios (``_ratio``)."""
    times = {k: [] for k in kinds}
    errors = {}
    for r in range(rounds):
        order = kinds[r % len(kinds) :] + kinds[: r % len(kinds)]
        for kind in order:
            if kind in errors:
                continue
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
                times[kind].append(reply["times"])
            else:
                errors[kind] = reply
    out = dict(errors)
    for kind, per_round in times.items():
        flat = [t for ts in per_round for t in ts]
        if kind not in out and flat:
            out[kind] = {
                "median_ms": 1e3 * statistics.median(flat),
                "n": len(flat),
                "rounds_ms": [1e3 * statistics.median(ts) for ts in per_round],
            }
    return out


def run(args):
    import tempfile

    cfg = SETTINGS["quick" if args.quick else "full"]
    logdir = tempfile.mkdtemp(prefix="kov-train-logs-")
    workers = {k: _Process(k, logdir, args.timeout) for k in args.backends}
    results = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "load_start": os.getloadavg(),
        "workloads": {},
    }
    try:
        for w in workers.values():
            w.start()
        for w in workers.values():
            w.handshake()
        for name in args.workloads:
            log(f"training {name}: setup (build + first step)")
            setup = {}
            for kind, w in workers.items():
                started = w.ensure_started()
                setup[kind] = (
                    started
                    if started and "error" in started
                    else w.call({"cmd": "setup_train", "name": name}, args.timeout)
                )
            ok = [k for k in workers if "error" not in setup[k]]
            log(f"training {name}: train_on_batch steps")
            steps = measure(workers, ok, "step", cfg, cfg["rounds"], args.timeout)
            log(f"training {name}: fit epochs")
            fit_cfg = dict(cfg, budget=cfg["fit_budget"], min_calls=1, max_calls=20)
            fits = measure(workers, ok, "fit_epoch", fit_cfg, cfg["fit_rounds"], args.timeout)
            results["workloads"][name] = {"setup": setup, "step": steps, "fit": fits}
            for w in workers.values():
                w.call({"cmd": "release"}, args.timeout)
    finally:
        for w in workers.values():
            w.stop()
    results["load_end"] = os.getloadavg()
    results["peak_rss_mb"] = {k: w.peak_rss_mb for k, w in workers.items()}
    results["machine"] = machine_info()
    results["settings"] = dict(cfg, mode="quick" if args.quick else "full")
    return results


def _ms(cell):
    if not cell:
        return "—"
    if "error" in cell:
        return "ERR: " + cell["error"].splitlines()[0][:60]
    return f"{cell['median_ms']:.3g}"


def _ratio(a, b):
    """The median over rounds of ``a``'s time over ``b``'s in the same round."""
    if not a or not b or "rounds_ms" not in a or "rounds_ms" not in b:
        return "—"
    pairs = [x / y for x, y in zip(a["rounds_ms"], b["rounds_ms"])]
    return f"{statistics.median(pairs):.2f}×"


def render(results):
    m = results["machine"]
    lines = [
        "# keras-ov training benchmark",
        "",
        f"Generated {results['started']} by `python -m benchmarks.training` "
        f"({results['settings']['mode']} mode, {results['settings']['rounds']} interleaved rounds). "
        "Times are medians; ratios are keras-ov's time over the other backend's "
        "(below 1 = keras-ov faster), paired: the median over rounds of the two "
        "backends' medians in the same round. A step is one `train_on_batch`; an epoch is "
        f"`fit` over {FIT_STEPS} batches; the first step includes tracing and compiling.",
        "",
        "## Machine",
        "",
        f"- CPU: {m.get('cpu')}, {m.get('usable_cpus')} usable CPUs; SIMD flags: "
        f"{', '.join(m.get('cpu_flags') or []) or 'none of interest'}",
        f"- OpenVINO CPU capabilities: {m.get('ov_cpu_capabilities')}",
        f"- keras {m.get('keras')}, openvino {m.get('openvino')}, jax {m.get('jax')}; "
        f"keras-ov at {m.get('keras_ov_commit')}",
        f"- load average {results['load_start']} at start, {results['load_end']} at end",
        "",
        "## Steady step (ms per `train_on_batch`)",
        "",
        "| workload | batch | keras-ov | JAX | torch | kov / JAX | kov / torch |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in results["workloads"].items():
        s = row["step"]
        lines.append(
            f"| {WORKLOADS[name][2]} | {WORKLOADS[name][0]} | {_ms(s.get('keras-ov'))} | "
            f"{_ms(s.get('jax'))} | {_ms(s.get('torch'))} | {_ratio(s.get('keras-ov'), s.get('jax'))} | "
            f"{_ratio(s.get('keras-ov'), s.get('torch'))} |"
        )
    lines += [
        "",
        f"## Steady `fit` step (ms per step: a `fit` epoch of {FIT_STEPS} batches over "
        f"{FIT_STEPS}), and first step (s)",
        "",
        "| workload | keras-ov | JAX | torch | kov / JAX | kov / torch | kov first | JAX first "
        "| torch first |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in results["workloads"].items():
        f, st = row["fit"], row["setup"]

        def first(kind, st=st):
            c = st.get(kind) or {}
            return f"{c['first_step_s']:.2f}" if "first_step_s" in c else _ms(c)

        def per_step(kind, f=f):
            c = f.get(kind)
            if c and "median_ms" in c:
                return f"{c['median_ms'] / FIT_STEPS:.3g}"
            return _ms(c)

        lines.append(
            f"| {name} | {per_step('keras-ov')} | {per_step('jax')} | {per_step('torch')} | "
            f"{_ratio(f.get('keras-ov'), f.get('jax'))} | "
            f"{_ratio(f.get('keras-ov'), f.get('torch'))} | {first('keras-ov')} | "
            f"{first('jax')} | {first('torch')} |"
        )
    lines += ["", "## Peak RSS of each worker (MB, over the whole run)", ""]
    for kind, rss in results["peak_rss_mb"].items():
        lines.append(f"- {kind}: {', '.join(f'{r:.0f}' for r in rss) or '—'}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "TRAINING.md"))
    p.add_argument("--backends", default=",".join(WORKERS))
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--timeout", type=float, default=900)
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(args.worker)
    args.backends = [b for b in args.backends.split(",") if b]
    args.workloads = [w for w in args.workloads.split(",") if w]
    for b in args.backends:
        if b not in WORKERS:
            p.error(f"unknown backend {b!r}; known: {', '.join(WORKERS)}")
    for w in args.workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w!r}; known: {', '.join(WORKLOADS)}")
    results = run(args)
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(results, f, indent=1, default=str)
    with open(args.out, "w") as f:
        f.write(render(results))
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
