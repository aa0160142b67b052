"""Generation benchmark: keras-hub ``generate()`` on keras-ov, JAX and the in-tree backend.

    python -m benchmarks.generation [--quick] [--out benchmarks/GENERATION.md]

One worker process per backend (this module with ``--worker KIND``) stays
alive for the whole run; the driver talks to it as ``benchmarks.run`` talks to
its workers (one JSON line per command).  Every worker builds the same small
random-weight keras-hub CausalLM (the weights come from a NumPy generator, so
all backends hold the same numbers), compiles it with the greedy sampler and
generates from the same prompts, padded to ``PROMPT + NEW`` tokens.

keras-hub's ``generate()`` is one compiled call (prefill, then a loop of
decode steps), so prefill and decode are told apart by timing two lengths:

* ``short``: ``PROMPT`` tokens and 1 new token (``max_length = PROMPT + 1``);
* ``long``: ``PROMPT`` tokens and ``NEW`` new tokens.

prefill tokens/s = batch * PROMPT / t(short); decode tokens/s =
batch * (NEW - 1) / (t(long) - t(short)); end-to-end tokens/s = batch * NEW /
t(long).  keras-hub's prefill runs over the whole padded length, on every
backend alike, so the longer prefill of ``long`` counts as decode time here.
Cells are medians of interleaved rounds (the worker order rotates).  Each
worker also reports its greedy tokens; the report says whether they equal
JAX's.
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
    "in-tree": {"KERAS_BACKEND": "openvino"},
}
PROMPT = 32
NEW = 64
VOCAB = 8192
# name -> (description, backbone kwargs)
WORKLOADS = {
    "gpt2": (
        "GPT-2-style (6 layers, hidden 512, 8 heads, vocab 8192)",
        {
            "num_layers": 6,
            "num_heads": 8,
            "hidden_dim": 512,
            "intermediate_dim": 2048,
            "max_sequence_length": 256,
        },
    ),
    "llama": (
        "Llama-style (6 layers, hidden 512, 8 query / 2 KV heads, vocab 8192)",
        {
            "num_layers": 6,
            "num_query_heads": 8,
            "num_key_value_heads": 2,
            "hidden_dim": 512,
            "intermediate_dim": 1408,
        },
    ),
}
BATCHES = (1, 4)
LENGTHS = {"short": 1, "long": NEW}
SETTINGS = {
    "quick": {"rounds": 3, "budget": 0.5, "min_calls": 2, "max_calls": 10},
    "full": {"rounds": 7, "budget": 2.0, "min_calls": 3, "max_calls": 40},
}


# --- the worker ---------------------------------------------------------------
def build_lm(name, keras, keras_hub):
    """The CausalLM of a workload, its weights drawn from a NumPy generator."""
    import numpy as np

    keras.utils.set_random_seed(0)
    kwargs = dict(WORKLOADS[name][1], vocabulary_size=VOCAB)
    if name == "gpt2":
        lm = keras_hub.models.GPT2CausalLM(
            backbone=keras_hub.models.GPT2Backbone(**kwargs), preprocessor=None
        )
    else:
        lm = keras_hub.models.LlamaCausalLM(
            backbone=keras_hub.models.LlamaBackbone(**kwargs), preprocessor=None
        )
    for i, w in enumerate(lm.weights):
        rng = np.random.default_rng(i)
        if len(w.shape) == 1 and "bias" not in w.path:  # norm scales
            value = 1 + 0.1 * rng.standard_normal(w.shape)
        else:
            value = 0.05 * rng.standard_normal(w.shape)
        w.assign(value.astype(w.dtype))
    lm.compile(sampler="greedy")
    return lm


def prompts(batch, new):
    import numpy as np

    rng = np.random.default_rng(batch)
    ids = np.zeros((batch, PROMPT + new), "int32")
    ids[:, :PROMPT] = rng.integers(3, VOCAB, (batch, PROMPT))
    mask = np.zeros(ids.shape, bool)
    mask[:, :PROMPT] = True
    return {"token_ids": ids, "padding_mask": mask}


class _Worker:
    """What every generation worker shares: the timed loop, stats, dispatch.

    A subclass gives ``hello``, ``setup(name, batch, ...)`` (which fills
    ``self.inputs`` by length key), ``_generate(key)`` and ``release``."""

    def run(self, key, budget, min_calls, max_calls):
        times = []
        deadline = time.perf_counter() + budget
        while len(times) < max_calls and (len(times) < min_calls or time.perf_counter() < deadline):
            t0 = time.perf_counter()
            self._generate(key)
            times.append(time.perf_counter() - t0)
        return {"times": times}

    def stats(self):
        import resource

        return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

    def dispatch(self, msg):
        cmd = msg["cmd"]
        if cmd == "hello":
            return self.hello()
        if cmd == "setup_gen":
            return self.setup(**{k: v for k, v in msg.items() if k != "cmd"})
        if cmd == "run":
            return self.run(msg["key"], msg["budget"], msg["min_calls"], msg["max_calls"])
        if cmd == "release":
            return self.release()
        if cmd == "stats":
            return self.stats()
        raise ValueError(f"unknown command {cmd!r}")


class GenWorker(_Worker):
    def __init__(self, kind):
        if kind not in WORKERS:
            raise SystemExit(
                f"benchmarks.generation: unknown worker {kind!r}; known: {list(WORKERS)}"
            )
        self.kind = kind
        if kind == "keras-ov":
            import keras_ov  # noqa: F401  (before keras)
        import keras_hub

        import keras

        self.keras = keras
        self.keras_hub = keras_hub
        self.lm = None
        self.inputs = {}

    def hello(self):
        backend = self.keras.backend.backend()
        want = {"keras-ov": "openvino", "in-tree": "openvino", "jax": "jax"}[self.kind]
        if backend != want:
            raise RuntimeError(f"worker {self.kind} runs backend {backend!r}, expected {want!r}")
        module = sys.modules.get("keras.src.backend.openvino")
        if self.kind == "keras-ov" and not module.__name__.startswith("keras_ov"):
            raise RuntimeError("keras-ov worker did not load keras_ov.backend")
        if self.kind == "in-tree" and "keras_ov" in sys.modules:
            raise RuntimeError("in-tree worker imported keras_ov; it must use Keras's own backend")
        return {"kind": self.kind, "backend": backend, "pid": os.getpid()}

    def _generate(self, key):
        out = self.lm.generate(self.inputs[key], stop_token_ids=None)
        return out["token_ids"]

    def setup(self, name, batch):
        self.release()
        t0 = time.perf_counter()
        self.lm = build_lm(name, self.keras, self.keras_hub)
        build = time.perf_counter() - t0
        reply = {"build_s": build, "first_s": {}}
        for key, new in LENGTHS.items():
            self.inputs[key] = prompts(batch, new)
            t0 = time.perf_counter()
            tokens = self._generate(key)
            reply["first_s"][key] = time.perf_counter() - t0
            self._generate(key)  # warm-up
        reply["tokens"] = tokens.tolist()  # the long run's
        return reply

    def release(self):
        self.lm = None
        self.inputs = {}
        self.keras.backend.clear_session()
        return {}


def worker_main(kind):
    import traceback

    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    worker = GenWorker(kind)
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["cmd"] == "quit":
            break
        try:
            reply = worker.dispatch(msg)
        except Exception as exc:  # reported to the driver, which shows it in the table
            reply = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        proto.write(json.dumps(reply) + "\n")


class _Process(WorkerProcess):
    """A ``benchmarks.run`` worker process running this module's worker."""

    def start(self):
        self.starts += 1
        env = dict(os.environ, **WORKERS[self.kind])
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.generation", "--worker", self.kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=ROOT,
        )
        self.buf = b""
        self.dead_error = None


# --- the driver -----------------------------------------------------------------
def measure(workers, kinds, cfg, timeout):
    """Interleaved rounds over every (worker, length); kind -> key -> times."""
    times = {k: {key: [] for key in LENGTHS} for k in kinds}
    errors = {}
    cells = [(k, key) for key in LENGTHS for k in kinds]
    for r in range(cfg["rounds"]):
        order = cells[r % len(cells) :] + cells[: r % len(cells)]
        for kind, key in order:
            if kind in errors:
                continue
            reply = workers[kind].call(
                {
                    "cmd": "run",
                    "key": key,
                    "budget": cfg["budget"],
                    "min_calls": cfg["min_calls"],
                    "max_calls": cfg["max_calls"],
                },
                timeout,
            )
            if "times" in reply:
                times[kind][key].extend(reply["times"])
            else:
                errors[kind] = reply
    out = dict(errors)
    for kind in kinds:
        if kind in out:
            continue
        med = {key: statistics.median(ts) for key, ts in times[kind].items()}
        out[kind] = {"median_s": med, "n": {key: len(ts) for key, ts in times[kind].items()}}
    return out


def rates(cell, batch):
    """prefill, decode and end-to-end tokens/s of one measured cell."""
    med = cell["median_s"]
    short, long = med["short"], med["long"]
    decode = batch * (NEW - 1) / (long - short) if long > short else float("nan")
    return {"prefill": batch * PROMPT / short, "decode": decode, "e2e": batch * NEW / long}


def run(args):
    import tempfile

    cfg = SETTINGS["quick" if args.quick else "full"]
    logdir = tempfile.mkdtemp(prefix="kov-gen-logs-")
    workers = {k: _Process(k, logdir, args.timeout) for k in args.backends}
    results = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "load_start": os.getloadavg(),
        "rows": [],
    }
    try:
        for w in workers.values():
            w.start()
        for w in workers.values():
            w.handshake()
        for name in args.workloads:
            for batch in args.batches:
                log(f"generation {name} batch {batch}: setup (build + first calls)")
                setup = {}
                for kind, w in workers.items():
                    started = w.ensure_started()
                    setup[kind] = (
                        started
                        if started and "error" in started
                        else w.call(
                            {"cmd": "setup_gen", "name": name, "batch": batch}, args.timeout
                        )
                    )
                ok = [k for k in workers if "error" not in setup[k]]
                log(f"generation {name} batch {batch}: timing {', '.join(ok)}")
                cells = measure(workers, ok, cfg, args.timeout)
                for kind in setup:
                    cells.setdefault(kind, setup[kind])
                row = {"workload": name, "batch": batch, "cells": {}}
                ref = setup.get("jax", {}).get("tokens")
                for kind, cell in cells.items():
                    if "error" in cell:
                        row["cells"][kind] = {"error": cell["error"]}
                        continue
                    row["cells"][kind] = dict(
                        cell,
                        rates=rates(cell, batch),
                        first_s=setup[kind]["first_s"],
                        same_tokens_as_jax=None if ref is None else setup[kind]["tokens"] == ref,
                    )
                results["rows"].append(row)
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


def _rate(cell, what):
    if not cell:
        return "—"
    if "error" in cell:
        return "ERR: " + cell["error"].splitlines()[0][:60]
    return f"{cell['rates'][what]:.0f}"


def _ratio(a, b, what):
    if not a or not b or "rates" not in a or "rates" not in b:
        return "—"
    return f"{a['rates'][what] / b['rates'][what]:.2f}×"


def render(results):
    m = results["machine"]
    lines = [
        "# keras-ov generation benchmark",
        "",
        f"Generated {results['started']} by `python -m benchmarks.generation` "
        f"({results['settings']['mode']} mode, {results['settings']['rounds']} interleaved rounds). "
        f"keras-hub `generate()`, greedy, {PROMPT}-token prompts, {NEW} new tokens, random "
        "weights (the same numbers on every backend). Tokens/s are from medians; ratios are "
        "keras-ov's tokens/s over the other backend's (above 1 = keras-ov faster). "
        "prefill = batch × prompt / t(1 new token); decode = batch × "
        f"{NEW - 1} / (t({NEW} new) − t(1 new)); end-to-end = batch × {NEW} / t({NEW} new). "
        "keras-hub's prefill runs over the whole padded length on every backend, so "
        "decode includes the longer prefill. JAX runs keras-hub's `jax.jit` generate; "
        "the in-tree column is Keras's own OpenVINO backend (keras-hub's OpenVINO path).",
        "",
        "## Machine",
        "",
        f"- CPU: {m.get('cpu')}, {m.get('usable_cpus')} usable CPUs",
        f"- keras {m.get('keras')}, openvino {m.get('openvino')}, jax {m.get('jax')}; "
        f"keras-ov at {m.get('keras_ov_commit')}",
        f"- load average {results['load_start']} at start, {results['load_end']} at end",
        "- optimum-intel's stateful OpenVINO model is not measured: see "
        "benchmarks/README.md (Generation).",
        "",
    ]
    for what, title in (("decode", "Decode"), ("prefill", "Prefill"), ("e2e", "End to end")):
        lines += [
            f"## {title} tokens/s",
            "",
            "| model | batch | keras-ov | JAX | in-tree OV | kov / JAX | kov / in-tree |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in results["rows"]:
            c = row["cells"]
            lines.append(
                f"| {row['workload']} | {row['batch']} | {_rate(c.get('keras-ov'), what)} | "
                f"{_rate(c.get('jax'), what)} | {_rate(c.get('in-tree'), what)} | "
                f"{_ratio(c.get('keras-ov'), c.get('jax'), what)} | "
                f"{_ratio(c.get('keras-ov'), c.get('in-tree'), what)} |"
            )
        lines.append("")
    lines += [
        "## First call (s: trace + compile + run, 1 / 64 new tokens) and greedy tokens",
        "",
        "| model | batch | backend | first (1 new) | first (64 new) | tokens equal JAX's |",
        "|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        for kind, cell in row["cells"].items():
            if "error" in cell:
                continue
            f = cell["first_s"]
            lines.append(
                f"| {row['workload']} | {row['batch']} | {kind} | {f['short']:.2f} | "
                f"{f['long']:.2f} | {cell['same_tokens_as_jax']} |"
            )
    lines += ["", "## Workloads", ""]
    for name, (desc, _) in WORKLOADS.items():
        lines.append(f"- `{name}`: {desc}")
    lines += ["", "## Peak RSS of each worker (MB, over the whole run)", ""]
    for kind, rss in results["peak_rss_mb"].items():
        lines.append(f"- {kind}: {', '.join(f'{r:.0f}' for r in rss) or '—'}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "GENERATION.md"))
    p.add_argument("--backends", default=",".join(WORKERS))
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--batches", default=",".join(map(str, BATCHES)))
    p.add_argument("--timeout", type=float, default=900)
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(args.worker)
    args.backends = [b for b in args.backends.split(",") if b]
    args.workloads = [w for w in args.workloads.split(",") if w]
    args.batches = [int(b) for b in args.batches.split(",") if b]
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
