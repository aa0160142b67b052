"""Generation benchmark: keras-ov's ``generate()`` against JAX, in-tree OV and optimum-intel.

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

The ``optimum`` worker is OpenVINO's own LLM path: optimum-intel's stateful
``OVModelForCausalLM``, run by transformers' greedy ``generate()`` from the
32-token prompts (unpadded) for 1 and ``NEW`` new tokens.  Its model is the
same: the JAX worker's CausalLM exported to a Hugging Face checkpoint
(``hf_checkpoint``, cached in ``benchmarks/.cache``).  It runs under another
interpreter (``--optimum-python``, a virtual environment with optimum-intel)
with the OpenVINO settings keras-ov's generate graph of the same batch was
compiled with (``optimum_setup``).
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
    "optimum": {},  # runs under --optimum-python; imports neither keras nor keras_ov
}
# a virtual environment with optimum-intel (see benchmarks/README.md, Generation)
OPTIMUM_PYTHON = "/work/venv-optimum/bin/python"
CACHE = os.path.join(ROOT, "benchmarks", ".cache")  # Hugging Face exports
# workloads keras-hub exports to Hugging Face (it has no exporter for LlamaBackbone)
HF_EXPORTABLE = ("gpt2",)
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


def export_hf(name, path):
    """Write the workload's CausalLM as a Hugging Face checkpoint (JAX backend).

    keras-hub's exporter writes GPT-2's own BOS/EOS id (50256), which lies
    outside this vocabulary; they are dropped, as keras-hub's ``generate()``
    runs here without stop tokens."""
    import shutil

    import keras_hub

    import keras

    if keras.backend.backend() != "jax":
        raise SystemExit("benchmarks.generation --export-hf runs on KERAS_BACKEND=jax")
    if name not in HF_EXPORTABLE:
        raise SystemExit(f"benchmarks.generation: no Hugging Face export for {name!r}")
    partial = path + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    build_lm(name, keras, keras_hub).export_to_transformers(partial)
    config_path = os.path.join(partial, "config.json")
    with open(config_path) as f:
        config = json.load(f)
    config.update(bos_token_id=None, eos_token_id=None)
    with open(config_path, "w") as f:
        json.dump(config, f, indent=2)
    os.replace(partial, path)


def hf_checkpoint(name, timeout):
    """The cached Hugging Face export of a workload: (path, None) or (None, why).

    Keyed on the workload, the vocabulary, ``build_lm``'s source and
    keras-hub's version; exported on a miss by a JAX subprocess of this
    interpreter."""
    import hashlib
    import importlib.metadata as md
    import inspect

    if name not in HF_EXPORTABLE:
        return None, f"keras-hub has no Hugging Face exporter for the {name} workload's backbone"
    key = json.dumps(
        [WORKLOADS[name][1], VOCAB, inspect.getsource(build_lm), md.version("keras-hub")]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    path = os.path.join(CACHE, f"hf-{name}-{digest}")
    if os.path.isdir(path):
        return path, None
    os.makedirs(CACHE, exist_ok=True)
    log(f"generation {name}: exporting the JAX model to {path}")
    env = dict(os.environ, **WORKERS["jax"], TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.generation", "--export-hf", name, path],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )
    if proc.returncode:
        tail = " / ".join(proc.stderr.strip().splitlines()[-3:])
        return None, f"Hugging Face export failed (rc {proc.returncode}): {tail}"
    return path, None


# what the report reads back from each generate model's compiled OpenVINO model
OV_PROPERTIES = (
    "INFERENCE_NUM_THREADS",
    "INFERENCE_PRECISION_HINT",
    "PERFORMANCE_HINT",
    "NUM_STREAMS",
)


def ov_properties(compiled_model, extra=()):
    """``OV_PROPERTIES`` and ``extra`` of an ``ov.CompiledModel``, as strings."""
    supported = set(compiled_model.get_property("SUPPORTED_PROPERTIES"))
    out = {}
    for k in OV_PROPERTIES + tuple(extra):
        if k in supported:
            value = compiled_model.get_property(k)
            out[k] = value.to_string() if hasattr(value, "to_string") else str(value)
    return out


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
        if self.kind == "keras-ov":
            # the long run's graph (keras_ov.backend.generation.FastGenerate)
            fast = list(self.lm._ov_generate.models.values())[-1]
            executable = getattr(fast, "executable", None)
            if executable is not None:
                reply["ov_properties"] = ov_properties(executable.compiled)
        return reply

    def release(self):
        self.lm = None
        self.inputs = {}
        self.keras.backend.clear_session()
        return {}


class OptimumWorker(_Worker):
    """optimum-intel's stateful ``OVModelForCausalLM`` of the workload's
    Hugging Face export (``hf_checkpoint``), greedy through transformers'
    ``generate()``.  Runs under another interpreter (``--optimum-python``: a
    virtual environment with optimum-intel); imports neither keras nor keras_ov.
    """

    kind = "optimum"

    def __init__(self):
        import torch
        from optimum.intel import OVModelForCausalLM

        self.torch = torch
        self.model_class = OVModelForCausalLM
        self.model = None
        self.inputs = {}

    def hello(self):
        import importlib.metadata as md

        versions = {
            pkg: md.version(pkg)
            for pkg in ("optimum-intel", "optimum", "transformers", "torch", "openvino")
        }
        return {"kind": self.kind, "backend": "openvino", "pid": os.getpid(), "versions": versions}

    def _generate(self, key):
        ids, mask, new = self.inputs[key]
        out = self.model.generate(
            input_ids=ids,
            attention_mask=mask,
            do_sample=False,
            max_new_tokens=new,
            min_new_tokens=new,
            pad_token_id=0,
        )
        if out.shape != (ids.shape[0], PROMPT + new):
            raise RuntimeError(f"optimum generated shape {tuple(out.shape)} for {new} new tokens")
        return out

    def setup(self, name, batch, hf_dir, ov_config, torch_threads=None):
        """``first_s["short"]`` counts the conversion to OpenVINO (optimum's
        trace), the compile and the first call; ``first_s["long"]`` only its
        first call, since the model has dynamic shapes."""
        self.release()
        if torch_threads:
            self.torch.set_num_threads(torch_threads)
        t0 = time.perf_counter()
        self.model = self.model_class.from_pretrained(
            hf_dir,
            export=True,
            stateful=True,
            compile=False,
            load_in_8bit=False,
            ov_config=dict(ov_config),
        )
        convert = time.perf_counter() - t0
        self.model.compile()
        reply = {"build_s": 0.0, "convert_s": convert, "first_s": {}}
        ready = time.perf_counter() - t0  # conversion + compile
        ids = self.torch.from_numpy(prompts(batch, 0)["token_ids"].astype("int64"))
        for key, new in LENGTHS.items():
            self.inputs[key] = (ids, self.torch.ones_like(ids), new)
            t0 = time.perf_counter()
            tokens = self._generate(key)
            reply["first_s"][key] = time.perf_counter() - t0
            self._generate(key)  # warm-up
        reply["first_s"]["short"] += ready
        reply["tokens"] = tokens.tolist()  # the long run's
        # the CPU plugin's KV cache of a stateful model (keras-ov's cache is a
        # loop-carried tensor of the graph, at the inference precision)
        compiled_model = self.model.request.get_compiled_model()
        reply["ov_properties"] = ov_properties(compiled_model, ["KV_CACHE_PRECISION"])
        reply["torch_threads"] = self.torch.get_num_threads()
        return reply

    def release(self):
        import gc

        self.model = None
        self.inputs = {}
        gc.collect()
        return {}


def worker_main(kind):
    import traceback

    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    worker = OptimumWorker() if kind == "optimum" else GenWorker(kind)
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
    """A ``benchmarks.run`` worker process running this module's worker
    under ``python`` (this interpreter unless given)."""

    def __init__(self, kind, logdir, setup_timeout, python=None):
        super().__init__(kind, logdir, setup_timeout)
        self.python = python or sys.executable

    def start(self):
        self.starts += 1
        env = dict(os.environ, **WORKERS[self.kind])
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.python, "-m", "benchmarks.generation", "--worker", self.kind],
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


def optimum_setup(name, kov_setup, timeout):
    """The optimum worker's ``setup_gen`` fields, or (None, why not).

    It runs with the OpenVINO settings keras-ov's generate graph of the same
    batch was compiled with (threads, precision, hint; its KV cache in that
    precision) and as many torch threads; without a keras-ov worker, with
    optimum-intel's defaults."""
    hf_dir, why = hf_checkpoint(name, timeout)
    if why:
        return None, why
    fields = {"hf_dir": hf_dir, "ov_config": {}, "torch_threads": None}
    props = (kov_setup or {}).get("ov_properties")
    if props:
        threads = int(props["INFERENCE_NUM_THREADS"])
        fields["ov_config"] = {
            "INFERENCE_NUM_THREADS": threads,
            "INFERENCE_PRECISION_HINT": props["INFERENCE_PRECISION_HINT"],
            "PERFORMANCE_HINT": props["PERFORMANCE_HINT"],
            "KV_CACHE_PRECISION": props["INFERENCE_PRECISION_HINT"],
        }
        fields["torch_threads"] = threads or None
    return fields, None


def run(args):
    import tempfile

    cfg = SETTINGS["quick" if args.quick else "full"]
    logdir = tempfile.mkdtemp(prefix="kov-gen-logs-")
    kinds = list(args.backends)
    unavailable = {}  # kind -> why it is not measured
    results = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "load_start": os.getloadavg(),
        "rows": [],
        "optimum": None,
    }
    if "optimum" in kinds:
        results["optimum"] = {"python": args.optimum_python}
        if not args.optimum_python:
            unavailable["optimum"] = "no --optimum-python given"
        elif not os.path.isfile(args.optimum_python):
            unavailable["optimum"] = (
                f"{args.optimum_python} does not exist (benchmarks/README.md, Generation)"
            )
        if "optimum" in unavailable:
            kinds.remove("optimum")
            results["optimum"]["not_measured"] = unavailable["optimum"]
            log(f"optimum-intel not measured: {unavailable['optimum']}")
    # optimum last: its setup takes keras-ov's OpenVINO settings of the same batch
    kinds.sort(key=lambda k: k == "optimum")
    workers = {
        k: _Process(k, logdir, args.timeout, args.optimum_python if k == "optimum" else None)
        for k in kinds
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
                    if started and "error" in started:
                        setup[kind] = started
                        continue
                    msg = {"cmd": "setup_gen", "name": name, "batch": batch}
                    if kind == "optimum":
                        fields, why = optimum_setup(name, setup.get("keras-ov"), args.timeout)
                        if why:
                            setup[kind] = {"error": f"not measured: {why}"}
                            continue
                        msg.update(fields)
                    setup[kind] = w.call(msg, args.timeout)
                ok = [k for k in workers if "error" not in setup[k]]
                log(f"generation {name} batch {batch}: timing {', '.join(ok)}")
                cells = measure(workers, ok, cfg, args.timeout) if ok else {}
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
                        ov_properties=setup[kind].get("ov_properties"),
                        torch_threads=setup[kind].get("torch_threads"),
                    )
                for kind, why in unavailable.items():
                    row["cells"][kind] = {"error": f"not measured: {why}"}
                results["rows"].append(row)
                for w in workers.values():
                    w.call({"cmd": "release"}, args.timeout)
    finally:
        for w in workers.values():
            w.stop()
    results["load_end"] = os.getloadavg()
    results["peak_rss_mb"] = {k: w.peak_rss_mb for k, w in workers.items()}
    if "optimum" in workers and workers["optimum"].hello:
        results["optimum"]["versions"] = workers["optimum"].hello["versions"]
    results["machine"] = machine_info()
    results["settings"] = dict(cfg, mode="quick" if args.quick else "full")
    return results


def _rate(cell, what):
    if not cell:
        return "—"
    if "error" in cell:
        if cell["error"].startswith("not measured"):
            return "not measured"  # why: in the report's "Not measured" list
        return "ERR: " + cell["error"].splitlines()[0][:60]
    return f"{cell['rates'][what]:.0f}"


def _ratio(a, b, what):
    if not a or not b or "rates" not in a or "rates" not in b:
        return "—"
    return f"{a['rates'][what] / b['rates'][what]:.2f}×"


def _optimum_line(info):
    if info is None:
        return "- optimum-intel: not in this run (`--backends ...,optimum`)"
    if "not_measured" in info:
        return f"- optimum-intel: not measured: {info['not_measured']}"
    v = info.get("versions") or {}
    return (
        f"- optimum-intel {v.get('optimum-intel')} (optimum {v.get('optimum')}, "
        f"transformers {v.get('transformers')}, torch {v.get('torch')}, "
        f"openvino {v.get('openvino')}) under `{info['python']}`"
    )


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
        "keras-hub's prefill runs over the whole padded length on every Keras backend, so "
        "decode includes the longer prefill. JAX runs keras-hub's `jax.jit` generate; "
        "the in-tree column is Keras's own OpenVINO backend (keras-hub's OpenVINO path); "
        "optimum-intel is its stateful `OVModelForCausalLM` (OpenVINO's own LLM path) of "
        "the JAX model exported to a Hugging Face checkpoint, run by transformers' greedy "
        "`generate()` on unpadded prompts.",
        "",
        "## Machine",
        "",
        f"- CPU: {m.get('cpu')}, {m.get('usable_cpus')} usable CPUs",
        f"- keras {m.get('keras')}, openvino {m.get('openvino')}, jax {m.get('jax')}; "
        f"keras-ov at {m.get('keras_ov_commit')}",
        f"- load average {results['load_start']} at start, {results['load_end']} at end",
        _optimum_line(results.get("optimum")),
        "",
    ]
    for what, title in (("decode", "Decode"), ("prefill", "Prefill"), ("e2e", "End to end")):
        lines += [
            f"## {title} tokens/s",
            "",
            "| model | batch | keras-ov | JAX | in-tree OV | optimum-intel | kov / JAX "
            "| kov / in-tree | kov / optimum |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in results["rows"]:
            c = row["cells"]
            kov = c.get("keras-ov")
            lines.append(
                f"| {row['workload']} | {row['batch']} | {_rate(kov, what)} | "
                f"{_rate(c.get('jax'), what)} | {_rate(c.get('in-tree'), what)} | "
                f"{_rate(c.get('optimum'), what)} | {_ratio(kov, c.get('jax'), what)} | "
                f"{_ratio(kov, c.get('in-tree'), what)} | {_ratio(kov, c.get('optimum'), what)} |"
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
    lines += [
        "",
        "optimum-intel's first call (1 new) counts its conversion of the checkpoint to "
        "OpenVINO (its trace) and the compile; its model has dynamic shapes, so its first "
        "call with 64 new tokens compiles nothing.",
        "",
        "## OpenVINO settings of each generate model (read back from the compiled model)",
        "",
        "optimum-intel runs with keras-ov's threads, precision and hint, its KV cache "
        "(the CPU plugin's, of a stateful model) in that precision, and as many torch "
        "threads as OpenVINO threads; keras-ov's cache is a loop-carried tensor of its graph.",
        "",
        "| model | batch | backend | settings |",
        "|---|---|---|---|",
    ]
    for row in results["rows"]:
        for kind, cell in row["cells"].items():
            props = cell.get("ov_properties")
            if props:
                text = ", ".join(f"{k} {v}" for k, v in props.items())
                if cell.get("torch_threads"):
                    text += f"; torch threads {cell['torch_threads']}"
                lines.append(f"| {row['workload']} | {row['batch']} | {kind} | {text} |")
    missing = sorted(
        {
            (row["workload"], kind, cell["error"])
            for row in results["rows"]
            for kind, cell in row["cells"].items()
            if cell.get("error", "").startswith("not measured")
        }
    )
    if missing:
        lines += ["", "## Not measured", ""]
        lines += [
            f"- {name}, {kind}: {why.removeprefix('not measured: ')}" for name, kind, why in missing
        ]
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
    p.add_argument("--export-hf", nargs=2, metavar=("WORKLOAD", "DIR"), help=argparse.SUPPRESS)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "GENERATION.md"))
    p.add_argument("--backends", default=",".join(WORKERS))
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--batches", default=",".join(map(str, BATCHES)))
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument(
        "--optimum-python",
        default=OPTIMUM_PYTHON if os.path.isfile(OPTIMUM_PYTHON) else None,
        help="interpreter with optimum-intel for the optimum worker "
        f"(default {OPTIMUM_PYTHON} if it exists)",
    )
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(args.worker)
    if args.export_hf:
        return export_hf(*args.export_hf)
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
