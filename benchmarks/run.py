"""Benchmark keras-ov against Keras's in-tree OpenVINO backend, JAX and raw OpenVINO.

    python -m benchmarks.run [--quick] [--out benchmarks/RESULTS.md]

One worker process per backend (``benchmarks.worker``) stays alive for the
whole run.  Every measurement is taken in rounds; each round asks every worker
in turn (the order rotates between rounds) for a short burst of timed calls,
so noise from a shared machine falls on all backends alike.  The report gives
the median per call over all rounds.  See benchmarks/README.md.
"""

import argparse
import datetime
import json
import os
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.models import EAGER_OPS, MODELS, SMALL_MODELS
from benchmarks.worker import MANY_BATCHES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# worker kind -> environment it starts with
WORKERS = {
    "keras-ov": {"KERAS_BACKEND": "openvino"},
    "in-tree": {"KERAS_BACKEND": "openvino"},
    "jax": {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"},
    "raw-ov": {
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "",
    },
}
KERAS_COLUMNS = [("keras-ov", "keras-ov"), ("in-tree", "in-tree OV"), ("jax", "JAX")]
# ``--baseline DIR``: a second keras-ov worker that imports keras_ov (and the
# benchmark worker) from another source tree, e.g. a git worktree of an older
# commit, measured interleaved with the others.
BASELINE = "keras-ov@baseline"
RAW_COLUMNS = [("raw-ov", "f32", "raw OV f32"), ("raw-ov", "bf16", "raw OV bf16")]
# Models measured over MANY_BATCHES batches too (ResNet50 would take minutes).
MANY_MODELS = ("mlp", "cnn", "mobilenetv2", "bert")

SETTINGS = {
    # rounds, seconds of timed calls per worker per round, min and max calls per burst
    "quick": {"rounds": 3, "budget": 0.05, "min_calls": 2, "max_calls": 30},
    "full": {"rounds": 7, "budget": 0.5, "min_calls": 3, "max_calls": 500},
}


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class WorkerProcess:
    """A benchmark worker; restarted on the next setup if it dies or hangs."""

    def __init__(self, kind, logdir, setup_timeout, tree=None):
        self.kind = kind
        self.tree = tree  # another source tree (the baseline worker), else this one
        self.logdir = logdir
        self.setup_timeout = setup_timeout
        self.proc = None
        self.buf = b""
        self.dead_error = None
        self.broken = None
        self.starts = 0
        self.hello = None
        self.peak_rss_mb = []  # one entry per process that reported

    @property
    def log_path(self):
        return os.path.join(self.logdir, f"{self.kind}.{self.starts}.log")

    def start(self):
        self.starts += 1
        kind = "keras-ov" if self.kind == BASELINE else self.kind
        env = dict(os.environ, **WORKERS[kind])
        if self.tree:
            env["PYTHONPATH"] = self.tree
        self._log = open(self.log_path.replace("@", "-"), "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker", kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=self.tree or ROOT,
        )
        self.buf = b""
        self.dead_error = None

    def ensure_started(self):
        """Restart a worker that died; None if it is running, else the hello reply."""
        if self.proc is not None:
            return None
        if self.broken:
            return {"error": self.broken}
        self.start()
        return self.handshake()

    def handshake(self):
        reply = self.call({"cmd": "hello"}, self.setup_timeout)
        if "error" in reply:
            # A worker that cannot start will not start next time either.
            self.broken = f"{self.kind} worker failed to start: {reply['error']}"
            log(self.broken)
            if self.proc is not None:
                self._kill(self.broken)
        else:
            self.hello = reply
        return reply

    def call(self, msg, timeout):
        if self.proc is None:
            return {"error": self.dead_error or f"{self.kind} worker is not running"}
        try:
            self.proc.stdin.write((json.dumps(msg) + "\n").encode())
            self.proc.stdin.flush()
            return json.loads(self._readline(timeout))
        except (TimeoutError, EOFError, BrokenPipeError) as exc:
            why = "timed out" if isinstance(exc, TimeoutError) else "died"
            return {"error": self._kill(f"{self.kind} worker {why} during {msg['cmd']}")}

    def _readline(self, timeout):
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise EOFError
                self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def _kill(self, why):
        self.proc.kill()
        rc = self.proc.wait()
        self._log.close()
        with open(self.log_path, "rb") as f:
            tail = f.read().decode(errors="replace").strip().splitlines()[-3:]
        self.proc = None
        self.dead_error = f"{why} (rc {rc}): {' / '.join(tail)}"
        log(self.dead_error)
        return self.dead_error

    def stop(self):
        if self.proc is None:
            return
        reply = self.call({"cmd": "stats"}, 60)
        if "peak_rss_mb" in reply:
            self.peak_rss_mb.append(reply["peak_rss_mb"])
        try:
            self.proc.stdin.write(b'{"cmd": "quit"}\n')
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        self.proc = None


class Bench:
    def __init__(self, args):
        self.args = args
        self.cfg = dict(SETTINGS["quick" if args.quick else "full"])
        if args.rounds:
            self.cfg["rounds"] = args.rounds
        self.logdir = tempfile.mkdtemp(prefix="kov-bench-logs-")
        self.workers = {k: WorkerProcess(k, self.logdir, args.timeout) for k in args.backends}
        if args.baseline:
            self.workers[BASELINE] = WorkerProcess(
                BASELINE, self.logdir, args.timeout, tree=args.baseline
            )
        self.results = {"ops": {}, "models": {}, "setup": {}}

    # --- measurement ----------------------------------------------------------

    def setup_all(self, msg, kinds):
        """Send a setup command to each worker; returns kind -> reply."""
        replies = {}
        for kind in kinds:
            w = self.workers[kind]
            started = w.ensure_started()
            if started is not None and "error" in started:
                replies[kind] = started
                continue
            replies[kind] = w.call(msg, self.args.timeout)
        return replies

    def measure(self, cells):
        """cells: label -> (worker kind, task).  Interleaved rounds; label -> cell."""
        times = {label: [] for label in cells}
        warmup = {}
        out = {}
        labels = list(cells)
        cfg = self.cfg
        for r in range(cfg["rounds"]):
            k = r % len(labels) if labels else 0
            for label in labels[k:] + labels[:k]:
                if label in out:
                    continue
                kind, task = cells[label]
                reply = self.workers[kind].call(
                    {
                        "cmd": "run",
                        "task": task,
                        "budget": cfg["budget"],
                        "min_calls": cfg["min_calls"],
                        "max_calls": cfg["max_calls"],
                    },
                    self.args.timeout,
                )
                if "times" in reply:
                    times[label].extend(reply["times"])
                    if "warmup_s" in reply:
                        warmup[label] = reply["warmup_s"]
                else:
                    out[label] = reply
        for label, ts in times.items():
            if label not in out:
                out[label] = {"median_ms": 1e3 * statistics.median(ts), "n": len(ts)}
                if label in warmup:
                    out[label]["warmup_s"] = warmup[label]
        return out

    def run_ops(self):
        kinds = [k for k, _ in KERAS_COLUMNS + [(BASELINE, "")] if k in self.workers]
        for name in self.args.ops:
            log(f"eager op {name}")
            setup = self.setup_all({"cmd": "setup_op", "name": name}, kinds)
            cells = {k: (k, ["op", name]) for k in kinds if "error" not in setup[k]}
            row = self.measure(cells)
            for k in kinds:
                if "error" in setup[k]:
                    row[k] = setup[k]
                elif "first_call_s" in setup[k]:
                    row[k]["first_call_ms"] = 1e3 * setup[k]["first_call_s"]
            self.results["ops"][name] = row

    def run_models(self):
        keras_kinds = [k for k, _ in KERAS_COLUMNS + [(BASELINE, "")] if k in self.workers]
        raw = [(k, p, label) for k, p, label in RAW_COLUMNS if k in self.workers]
        for name in self.args.models:
            log(f"model {name}: setup (build + first predict)")
            setup = self.setup_all({"cmd": "setup_model", "name": name}, list(self.workers))
            self.results["setup"][name] = setup
            ok = [k for k in keras_kinds if "error" not in setup[k]]
            rows = {}
            if name == "mlp":
                log(f"model {name}: eager model(x)")
                rows["eager_model"] = self.measure({k: (k, ["eager_model"]) for k in ok})
            log(f"model {name}: predict")
            cells = {k: (k, ["predict"]) for k in ok}
            cells.update({label: (k, ["raw", p]) for k, p, label in raw if "error" not in setup[k]})
            rows["predict"] = self.measure(cells)
            log(f"model {name}: predict_on_batch")
            rows["predict_on_batch"] = self.measure({k: (k, ["predict_on_batch"]) for k in ok})
            if name in MANY_MODELS:
                log(f"model {name}: predict over {MANY_BATCHES} batches")
                cells = {k: (k, ["predict_many", "LATENCY"]) for k in ok}
                if "keras-ov" in ok:
                    cells["keras-ov THROUGHPUT"] = ("keras-ov", ["predict_many", "THROUGHPUT"])
                if "raw-ov" in self.workers and "error" not in setup["raw-ov"]:
                    cells["raw OV sync"] = ("raw-ov", ["raw_many", "sync"])
                    cells["raw OV async"] = ("raw-ov", ["raw_many", "async"])
                rows["predict_many"] = self.measure(cells)
            for row in rows.values():
                for kind in self.workers:
                    if "error" in setup[kind]:
                        for label in [kind] + [lab for k, _, lab in raw if k == kind]:
                            row.setdefault(label, setup[kind])
            self.results["models"][name] = rows
            for w in self.workers.values():
                w.call({"cmd": "release"}, self.args.timeout)

    def run(self):
        self.results["started"] = datetime.datetime.now().isoformat(timespec="seconds")
        self.results["load_start"] = os.getloadavg()
        log(f"starting workers {list(self.workers)} (logs in {self.logdir})")
        try:
            for w in self.workers.values():  # import in parallel
                w.start()
            for w in self.workers.values():
                w.handshake()
            self.run_ops()
            self.run_models()
        finally:
            for w in self.workers.values():
                w.stop()
        self.results["load_end"] = os.getloadavg()
        self.results["workers"] = {
            k: {"hello": w.hello, "starts": w.starts, "peak_rss_mb": w.peak_rss_mb}
            for k, w in self.workers.items()
        }
        self.results["machine"] = machine_info()
        if self.args.baseline:
            commit = subprocess.run(
                ["git", "-C", self.args.baseline, "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
            ).stdout.strip()
            self.results["baseline"] = {"tree": self.args.baseline, "commit": commit or "unknown"}
        self.results["settings"] = {**self.cfg, "mode": "quick" if self.args.quick else "full"}
        return self.results


# --- machine details ------------------------------------------------------------


VERSIONED = ("keras", "openvino", "jax", "jaxlib", "tensorflow", "numpy")
INTERESTING_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16")


def _read(path):
    return open(path).read() if os.path.exists(path) else ""


def _cpuinfo_field(lines, name):
    for line in lines:
        if line.startswith(name):
            return line.split(":", 1)[1].strip()
    return None


def _git(*args):
    """git's output; ``unknown (...)`` if git failed (empty output is a valid answer)."""
    done = subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    if done.returncode:
        return f"unknown ({done.stderr.strip()})"
    return done.stdout.strip()


def machine_info():
    import importlib.metadata as md

    info = {"python": platform.python_version(), "platform": platform.platform()}
    cpuinfo = _read("/proc/cpuinfo").splitlines()
    info["cpu"] = _cpuinfo_field(cpuinfo, "model name")
    flags = (_cpuinfo_field(cpuinfo, "flags") or "").split()
    info["cpu_flags"] = [f for f in INTERESTING_FLAGS if f in flags]
    info["logical_cpus"] = os.cpu_count()
    info["usable_cpus"] = len(os.sched_getaffinity(0))
    meminfo = _read("/proc/meminfo").split()
    if len(meminfo) > 1:
        info["ram_gb"] = round(int(meminfo[1]) / 2**20, 1)
    for pkg in VERSIONED + ("keras-ov",):
        info[pkg] = None
        for dist in (pkg, pkg + "-cpu"):  # tensorflow is often installed as tensorflow-cpu
            try:
                info[pkg] = md.version(dist)
                break
            except md.PackageNotFoundError:
                continue
    sha = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "keras_ov")
    info["keras_ov_commit"] = sha + (" (keras_ov/ has uncommitted changes)" if dirty else "")
    import openvino as ov

    caps = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    info["ov_cpu_capabilities"] = ", ".join(caps)
    return info


# --- report -----------------------------------------------------------------------


class Report:
    def __init__(self, results):
        self.r = results
        self.errors = []  # full texts, numbered in cells

    def num(self, v):
        return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"

    def cell(self, c, key="median_ms", scale=None):
        if c is None:
            return "—"
        if "error" in c:
            text = " ".join(c["error"].split())
            if text not in self.errors:
                self.errors.append(text)
            n = self.errors.index(text) + 1
            short = text if len(text) <= 60 else text[:57] + "…"
            return f"ERR[{n}] {short}".replace("|", "\\|")
        if "na" in c or c.get(key) is None:
            return "—"
        v = c[key]
        return self.num(scale(v) if scale else v)

    @staticmethod
    def value(c, key="median_ms"):
        if c is None or "error" in c or "na" in c:
            return None
        return c.get(key)

    def ratio(self, a, b, key="median_ms"):
        va, vb = self.value(a, key), self.value(b, key)
        if va is None or vb is None or vb == 0:
            return "—"
        q = va / vb
        return f"{q:.2f}×" if q >= 0.1 else f"{q:.2g}×"

    @staticmethod
    def table(header, rows):
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
        return "\n".join(lines)

    def render(self, argv):
        r = self.r
        m = r["machine"]
        s = r["settings"]
        out = [
            "# keras-ov benchmarks",
            "",
            f"Generated {r['started']} by `python -m benchmarks.run {' '.join(argv)}` "
            f"({s['mode']} mode: {s['rounds']} interleaved rounds, ~{s['budget']} s of calls per "
            f"backend per round, {s['min_calls']}–{s['max_calls']} calls per burst). "
            "All times are medians over every timed call; ratios are keras-ov time divided by "
            "the other backend's (below 1 = keras-ov faster). How to read this: benchmarks/README.md.",
            "",
            "## Machine",
            "",
            f"- CPU: {m['cpu']} — {m['logical_cpus']} logical CPUs ({m['usable_cpus']} usable), "
            f"{m.get('ram_gb')} GB RAM; SIMD flags: {', '.join(m['cpu_flags']) or 'none'}",
            f"- OpenVINO CPU capabilities: {m['ov_cpu_capabilities']}",
            f"- Load average (1/5/15 min): {fmt_load(r['load_start'])} at start, "
            f"{fmt_load(r['load_end'])} at end",
            f"- Python {m['python']} on {m['platform']}",
            "- " + ", ".join(f"{p} {m[p]}" for p in VERSIONED),
            f"- keras-ov {m.get('keras-ov')} at commit {m.get('keras_ov_commit')}",
            "",
        ]
        out += self.render_ops()
        out += self.render_models()
        out += self.render_baseline()
        out += self.render_workers()
        if self.errors:
            out += ["## Errors", ""]
            out += [f"{i}. {text}" for i, text in enumerate(self.errors, 1)]
            out.append("")
        return "\n".join(out)

    def render_ops(self):
        ops = self.r["ops"]
        if not ops:
            return []
        header = [
            "op",
            "keras-ov",
            "in-tree OV",
            "JAX",
            "kov / in-tree",
            "kov / JAX",
            "kov first call",
        ]
        rows = []
        for name, row in ops.items():
            kov = row.get("keras-ov")
            rows.append(
                [
                    EAGER_OPS[name][0],
                    self.cell(kov),
                    self.cell(row.get("in-tree")),
                    self.cell(row.get("jax")),
                    self.ratio(kov, row.get("in-tree")),
                    self.ratio(kov, row.get("jax")),
                    self.cell(kov, "first_call_ms"),
                ]
            )
        return [
            "## Eager ops → NumPy (ms per call, median)",
            "",
            "Inputs are backend tensors made before timing; each call is the op (or chain) plus "
            '`keras.ops.convert_to_numpy` of its result. "kov first call" includes compiling.',
            "",
            self.table(header, rows),
            "",
        ]

    def render_models(self):
        models = self.r["models"]
        if not models:
            return []
        out = []
        if "eager_model" in models.get("mlp", {}):
            row = models["mlp"]["eager_model"]
            kov = row.get("keras-ov")
            out += [
                "## Eager `model(x)` (ms per call, median)",
                "",
                self.table(
                    [
                        "model",
                        "batch",
                        "keras-ov",
                        "in-tree OV",
                        "JAX",
                        "kov / in-tree",
                        "kov / JAX",
                    ],
                    [
                        [
                            "MLP",
                            MODELS["mlp"][0],
                            self.cell(kov),
                            self.cell(row.get("in-tree")),
                            self.cell(row.get("jax")),
                            self.ratio(kov, row.get("in-tree")),
                            self.ratio(kov, row.get("jax")),
                        ]
                    ],
                ),
                "",
            ]
        header = [
            "model",
            "batch",
            "call",
            "keras-ov",
            "in-tree OV",
            "JAX",
            "raw OV f32",
            "raw OV bf16",
            "kov / in-tree",
            "kov / JAX",
            "kov / raw f32",
        ]
        rows, tput = [], []
        for name, rs in models.items():
            batch = MODELS[name][0]
            raw32 = rs["predict"].get("raw OV f32")
            raw16 = rs["predict"].get("raw OV bf16")
            for call in ("predict", "predict_on_batch"):
                row = rs[call]
                kov = row.get("keras-ov")
                rows.append(
                    [
                        MODELS[name][1],
                        batch,
                        f"`{call}`",
                        self.cell(kov),
                        self.cell(row.get("in-tree")),
                        self.cell(row.get("jax")),
                        self.cell(raw32),
                        self.cell(raw16),
                        self.ratio(kov, row.get("in-tree")),
                        self.ratio(kov, row.get("jax")),
                        self.ratio(kov, raw32),
                    ]
                )
            per_s = lambda ms, b=batch: b * 1e3 / ms  # noqa: E731
            row = rs["predict"]
            tput.append(
                [MODELS[name][1], batch]
                + [
                    self.cell(row.get(label), scale=per_s)
                    for label in ("keras-ov", "in-tree", "jax", "raw OV f32", "raw OV bf16")
                ]
            )
        out += [
            "## Predict latency (ms per batch, median)",
            "",
            "`predict` is `model.predict(x, batch_size=B, verbose=0)` on one batch of B; "
            "`predict_on_batch` is `model.predict_on_batch(x)`. Raw OV is one `compiled_model(x)` "
            "call on the TF-SavedModel → `openvino.convert_model` IR (static batch), measured "
            "once per model and shown on both rows.",
            "",
            self.table(header, rows),
            "",
            "## Throughput (samples/s, from the `predict` median)",
            "",
            self.table(
                ["model", "batch", "keras-ov", "in-tree OV", "JAX", "raw OV f32", "raw OV bf16"],
                tput,
            ),
            "",
        ]
        out += self.render_many()
        out += self.render_first_calls()
        out += self.render_graphs()
        return out

    def render_many(self):
        labels = [
            "keras-ov",
            "keras-ov THROUGHPUT",
            "in-tree",
            "jax",
            "raw OV sync",
            "raw OV async",
        ]
        rows = []
        for name, rs in self.r["models"].items():
            row = rs.get("predict_many")
            if not row:
                continue
            batch = MODELS[name][0]
            per_s = lambda ms, n=batch * MANY_BATCHES: n * 1e3 / ms  # noqa: E731
            kov, best = row.get("keras-ov THROUGHPUT"), row.get("raw OV async")
            rows.append(
                [MODELS[name][1], f"{MANY_BATCHES} x {batch}"]
                + [self.cell(row.get(label), scale=per_s) for label in labels]
                + [self.ratio(best, kov)]
            )
        if not rows:
            return []
        return [
            f"## Throughput over {MANY_BATCHES} batches (samples/s)",
            "",
            f"`model.predict(x, batch_size=B, verbose=0)` with x of {MANY_BATCHES} batches. "
            "keras-ov runs them one request at a time under its default LATENCY hint, and "
            "through an async infer queue under `KERAS_OV_PERFORMANCE_HINT=THROUGHPUT`. "
            "Raw OV: a loop of `infer` on the LATENCY-compiled IR (sync), or an "
            "`AsyncInferQueue` on the THROUGHPUT-compiled IR (async). The last column is keras-ov "
            "THROUGHPUT's rate over raw OV async's (1 = the same).",
            "",
            self.table(
                [
                    "model",
                    "batches",
                    "keras-ov",
                    "keras-ov THROUGHPUT",
                    "in-tree OV",
                    "JAX",
                    "raw OV sync",
                    "raw OV async",
                    "kov THROUGHPUT / raw async",
                ],
                rows,
            ),
            "",
        ]

    def render_first_calls(self):
        rows = []
        for name, setup in self.r["setup"].items():
            rows.append(
                [MODELS[name][1]]
                + [
                    self.cell(setup.get(k), "first_call_s")
                    for k in ("keras-ov", "in-tree", "jax", "raw-ov")
                ]
                + [self.value(setup.get("raw-ov"), "effective_precision_bf16") or "—"]
            )
        return [
            "## First call (s)",
            "",
            "The first `model.predict` after building the model (tracing + compiling + running). "
            "For raw OV: `model.export` + `openvino.convert_model` + `compile_model` (f32) + first "
            "inference. The last column is the precision the CPU plugin actually used when asked "
            "for bf16 (CPUs without bf16 support run f32).",
            "",
            self.table(
                ["model", "keras-ov", "in-tree OV", "JAX", "raw OV", "raw bf16 runs as"], rows
            ),
            "",
        ]

    def render_graphs(self):
        rows = []
        for name, setup in self.r["setup"].items():
            kov, raw = setup.get("keras-ov"), setup.get("raw-ov")
            kg = self.value(kov, "graph")
            if kov is None:
                kcells = ["—", "—", "—"]
            elif "error" in kov:
                kcells = [self.cell(kov), "—", "—"]
            elif not kg or "todo" in kg:
                kcells = ["TODO: " + (kg or {}).get("todo", "no hook"), "TODO", "TODO"]
            else:
                kcells = [kg["ops"], kg["transposes"], kg["graphs_compiled"]]
                if kg.get("compiled_on_second_predict"):
                    kcells[2] = f"{kcells[2]} (+{kg['compiled_on_second_predict']} on 2nd predict)"
                if kg.get("executor") == "ReferenceExecutable":
                    kcells[2] = f"{kcells[2]} (largest on reference kernels)"
            rg = self.value(raw, "graph")
            if raw is not None and "error" in raw:
                rcells = [self.cell(raw), "—"]
            elif rg:
                rcells = [rg["ops"], rg["transposes"]]
            else:
                rcells = ["—", "—"]
            rows.append([MODELS[name][1]] + kcells + rcells)
        return [
            "## Graph size (OpenVINO IR, ops excluding Parameter/Constant/Result)",
            "",
            "keras-ov: the largest OpenVINO model it compiled during the first `predict` (recorded "
            'at `keras_ov.engine.execute.make_executable`); "graphs" is how many models that '
            "predict compiled (1 = one whole-model graph). "
            "TF FE: the IR `openvino.convert_model` makes from the TF SavedModel.",
            "",
            self.table(
                [
                    "model",
                    "keras-ov ops",
                    "keras-ov Transposes",
                    "keras-ov graphs",
                    "TF FE ops",
                    "TF FE Transposes",
                ],
                rows,
            ),
            "",
        ]

    def render_baseline(self):
        """keras-ov against the ``--baseline`` tree's keras-ov, row by row."""
        if BASELINE not in self.r.get("workers", {}):
            return []
        rows = []
        for name, row in self.r["ops"].items():
            rows.append([EAGER_OPS[name][0], "eager op", row.get("keras-ov"), row.get(BASELINE)])
        for name, rs in self.r["models"].items():
            for call in ("eager_model", "predict", "predict_on_batch"):
                if call in rs:
                    row = rs[call]
                    rows.append(
                        [MODELS[name][1], f"`{call}`", row.get("keras-ov"), row.get(BASELINE)]
                    )
        base = self.r.get("baseline") or {}
        return [
            "## keras-ov against a baseline tree (ms, median)",
            "",
            f"The baseline worker imports keras_ov from `{base.get('tree')}` "
            f"(commit {base.get('commit')}); it ran in the same interleaved rounds. "
            "The last column is this tree's time over the baseline's.",
            "",
            self.table(
                ["what", "call", "keras-ov", "baseline", "keras-ov / baseline"],
                [[w, c, self.cell(a), self.cell(b), self.ratio(a, b)] for w, c, a, b in rows],
            ),
            "",
        ]

    def render_workers(self):
        rows = []
        for kind, w in self.r["workers"].items():
            rss = ", ".join(f"{v:.0f}" for v in w["peak_rss_mb"]) or "—"
            hello = w["hello"] or {}
            rows.append([kind, hello.get("backend", "—"), rss, w["starts"]])
        return [
            "## Workers",
            "",
            "Peak RSS is `resource.getrusage(RUSAGE_SELF).ru_maxrss` at the end of the run (the "
            "largest model dominates; the raw-OV worker also holds TensorFlow). A worker restarted "
            "after a crash or timeout lists one value per process that reached the end.",
            "",
            self.table(["worker", "Keras backend", "peak RSS (MB)", "processes started"], rows),
            "",
        ]


def fmt_load(load):
    return "/".join(f"{x:.2f}" for x in load)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument(
        "--quick", action="store_true", help="few rounds, small models only (smoke test)"
    )
    p.add_argument(
        "--out", default=os.path.join("benchmarks", "RESULTS.md"), help="markdown report path"
    )
    p.add_argument("--json", default=None, help="raw results (default: --out with .json)")
    p.add_argument(
        "--backends", default=",".join(WORKERS), help=f"comma list of {','.join(WORKERS)}"
    )
    p.add_argument("--models", default=None, help=f"comma list of {','.join(MODELS)}")
    p.add_argument(
        "--ops", default=",".join(EAGER_OPS), help="comma list of eager ops ('' for none)"
    )
    p.add_argument("--rounds", type=int, default=None, help="override the number of rounds")
    p.add_argument(
        "--timeout", type=float, default=900, help="seconds before a worker call is abandoned"
    )
    p.add_argument("--from-json", default=None, help="only re-render the report of a saved run")
    p.add_argument(
        "--baseline",
        default=None,
        metavar="DIR",
        help="also run keras-ov from this source tree (e.g. `git worktree add DIR OLD_COMMIT`)",
    )
    args = p.parse_args(argv)
    args.backends = [b for b in args.backends.split(",") if b]
    args.ops = [o for o in args.ops.split(",") if o]
    if args.models is None:
        args.models = list(SMALL_MODELS if args.quick else MODELS)
    else:
        args.models = [m for m in args.models.split(",") if m]
    for kind, names, known in (
        ("backend", args.backends, WORKERS),
        ("model", args.models, MODELS),
        ("op", args.ops, EAGER_OPS),
    ):
        bad = [n for n in names if n not in known]
        if bad:
            p.error(f"unknown {kind}(s) {bad}; known: {', '.join(known)}")
    if args.baseline:
        args.baseline = os.path.abspath(args.baseline)
        if not os.path.isdir(os.path.join(args.baseline, "keras_ov")):
            p.error(f"--baseline {args.baseline}: no keras_ov package in that directory")
    if args.json is None:
        args.json = os.path.splitext(args.out)[0] + ".json"
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            results = json.load(f)
        outputs = [(args.out, Report(results).render(results["argv"]) + "\n")]
    else:
        results = Bench(args).run()
        results["argv"] = argv
        outputs = [
            (args.out, Report(results).render(argv) + "\n"),
            (args.json, json.dumps(results, indent=1) + "\n"),
        ]
    for path, data in outputs:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            f.write(data)
    log("wrote " + " and ".join(path for path, _ in outputs))


if __name__ == "__main__":
    main()
