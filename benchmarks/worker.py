"""One benchmark worker: one backend in one process, driven over a pipe.

    python -m benchmarks.worker KIND      KIND in keras-ov, in-tree, jax, raw-ov

The driver (``benchmarks.run``) starts it with ``KERAS_BACKEND`` set and sends
one JSON command per line on stdin; the worker answers one JSON line per
command on its original stdout.  Everything else anything prints (Keras, TF,
OpenVINO logs) goes to stderr, so the protocol stays clean.

Commands (all answers may instead be ``{"error": text, "traceback": ...}``):

* ``hello``                     -> backend name, backend module, versions
* ``setup_op name``             -> ``first_call_s``; prepares an eager-op workload
* ``setup_model name``          -> ``build_s``, ``first_call_s``, ``graph`` ...
* ``run task budget min max``   -> ``times`` (seconds per call); the first run of a
                                   task adds ``warmup_s`` (one untimed call before)
* ``release``                   -> drops the current model
* ``stats``                     -> ``peak_rss_mb``
* ``quit``

A task is ``["op", name]``, ``["eager_model"]``, ``["predict"]``,
``["predict_on_batch"]``, ``["raw", "f32" | "bf16"]``, or one of the
many-batch throughput tasks: ``["predict_many", "LATENCY" | "THROUGHPUT"]``
(``model.predict`` over ``MANY_BATCHES`` batches; the hint is keras-ov's
``settings.config.hint``, other backends run LATENCY only) and
``["raw_many", "sync" | "async"]`` (raw OV: one request in turn on the
LATENCY-compiled IR, or an ``AsyncInferQueue`` on the THROUGHPUT-compiled IR).  A task that does not
apply to this worker answers ``{"na": reason}``.
"""

import gc
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import traceback

KINDS = ("keras-ov", "in-tree", "jax", "raw-ov")
MANY_BATCHES = 8


class NotApplicable(Exception):
    pass


def graph_stats(ov_model):
    """Op count (without Parameter/Constant/Result) and Transpose count of an IR."""
    kinds = [op.get_type_name() for op in ov_model.get_ordered_ops()]
    ops = [k for k in kinds if k not in ("Parameter", "Constant", "Result")]
    return {"ops": len(ops), "transposes": kinds.count("Transpose")}


def error_text(exc):
    return f"{type(exc).__name__}: {exc}"


class Worker:
    def __init__(self, kind):
        if kind not in KINDS:
            raise SystemExit(f"benchmarks.worker: unknown kind {kind!r}; known: {KINDS}")
        self.kind = kind
        if kind == "keras-ov":
            import keras_ov  # noqa: F401  (must come before keras)
        import keras

        self.keras = keras
        self.compiled_log = []  # (graph_stats, executor class name), keras-ov only
        self.recording = False
        if kind == "keras-ov":
            self._record_compiled_models()
        self.ops = keras.ops
        self.model_name = None
        self.model = None
        self.model_error = None
        self.x = None
        self.x_tensor = None
        self.raw = {}
        self.warmed = set()
        self.op_name = None
        self.op_inputs = None
        self.tmpdir = tempfile.mkdtemp(prefix="kov-bench-")

    # --- commands -----------------------------------------------------------

    def hello(self):
        import importlib.metadata as md

        backend_module = sys.modules.get("keras.src.backend.openvino")
        versions = {}
        for pkg in ("keras", "openvino", "jax", "jaxlib", "tensorflow", "tensorflow-cpu", "numpy"):
            try:
                versions[pkg] = md.version(pkg)
            except md.PackageNotFoundError:
                pass
        info = {
            "kind": self.kind,
            "pid": os.getpid(),
            "backend": self.keras.backend.backend(),
            "keras_ov_loaded": "keras_ov" in sys.modules,
            "versions": versions,
        }
        if backend_module is not None:
            info["openvino_backend_module"] = backend_module.__name__
        self._check_backend(info)
        return info

    def _check_backend(self, info):
        want = {"keras-ov": "openvino", "in-tree": "openvino", "jax": "jax", "raw-ov": "tensorflow"}
        if info["backend"] != want[self.kind]:
            raise RuntimeError(
                f"worker {self.kind} runs Keras backend {info['backend']!r}, "
                f"expected {want[self.kind]!r}"
            )
        if self.kind == "keras-ov" and not info["openvino_backend_module"].startswith("keras_ov"):
            raise RuntimeError("keras-ov worker did not load keras_ov.backend")
        if self.kind == "in-tree" and info["keras_ov_loaded"]:
            raise RuntimeError("in-tree worker imported keras_ov; it must use Keras's own backend")

    def setup_op(self, name):
        from benchmarks.models import EAGER_OPS

        if self.kind == "raw-ov":
            raise NotApplicable("raw OV has no eager ops")
        import numpy as np

        _, make_inputs, fn = EAGER_OPS[name]
        host = make_inputs(np.random.default_rng(0))
        self.op_inputs = {k: self.ops.convert_to_tensor(v) for k, v in host.items()}
        self.op_name = name
        t0 = time.perf_counter()
        self.ops.convert_to_numpy(fn(self.ops, self.op_inputs))
        first = time.perf_counter() - t0
        self.ops.convert_to_numpy(fn(self.ops, self.op_inputs))  # warm-up
        return {"first_call_s": first}

    def setup_model(self, name):
        from benchmarks.models import MODELS, build_model, model_input

        self.release()
        self.model_name = name
        batch = MODELS[name][0]
        self.batch = batch
        self.x = model_input(name, batch)
        self.x_many = model_input(name, batch * MANY_BATCHES, seed=1)
        try:
            t0 = time.perf_counter()
            self.model = build_model(name, self.keras)
            info = {"build_s": time.perf_counter() - t0, "batch": batch}
            if self.kind == "raw-ov":
                info.update(self._setup_raw())
            else:
                info.update(self._setup_keras())
            return info
        except Exception as exc:
            self.model_error = error_text(exc)
            raise

    def _setup_keras(self):
        first_compiled = len(self.compiled_log)
        t0 = time.perf_counter()
        self.model.predict(self.x, batch_size=self.batch, verbose=0)
        info = {"first_call_s": time.perf_counter() - t0}
        after_first = len(self.compiled_log)
        self.model.predict(self.x, batch_size=self.batch, verbose=0)  # warm-up
        if self.kind == "keras-ov":
            info["graph"] = self._predict_graph(self.compiled_log[first_compiled:after_first])
            info["graph"]["compiled_on_second_predict"] = len(self.compiled_log) - after_first
        self.x_tensor = self.ops.convert_to_tensor(self.x)
        return info

    def _record_compiled_models(self):
        """Log every OpenVINO model keras-ov hands to its executors.

        Eager ops (``execute.run``) and traced steps (``CompiledFunction``)
        both get their executor from ``keras_ov.engine.execute.make_executable``.
        """
        from keras_ov.engine import execute

        make_executable = getattr(execute, "make_executable", None)
        if make_executable is None:
            return

        def recording(model, *args, **kwargs):
            executable = make_executable(model, *args, **kwargs)
            # Counts only: keeping the models would hold their weights (and
            # inflate the peak RSS this worker reports).
            self.compiled_log.append((graph_stats(model), type(executable).__name__))
            return executable

        execute.make_executable = recording
        self.recording = True

    def _predict_graph(self, compiled):
        """Size of the largest model keras-ov compiled during the first predict."""
        if not self.recording:
            return {"todo": "keras_ov.engine.execute.make_executable not found"}
        if not compiled:
            return {"todo": "the first predict compiled no OpenVINO model"}
        stats, executor = max(compiled, key=lambda c: c[0]["ops"])
        stats = dict(stats)
        stats["graphs_compiled"] = len(compiled)
        stats["executor"] = executor
        return stats

    def _setup_raw(self):
        import openvino as ov

        core = ov.Core()
        path = os.path.join(self.tmpdir, self.model_name)
        shutil.rmtree(path, ignore_errors=True)
        t0 = time.perf_counter()
        self.model.export(path, format="tf_saved_model", verbose=False)
        t_export = time.perf_counter() - t0
        ov_model = ov.convert_model(path)
        ov_model.reshape({ov_model.inputs[0]: ov.PartialShape(list(self.x.shape))})
        t_convert = time.perf_counter() - t0 - t_export
        info = {"graph": graph_stats(ov_model), "export_s": t_export, "convert_s": t_convert}
        for precision in ("f32", "bf16"):
            t1 = time.perf_counter()
            compiled = core.compile_model(
                ov_model,
                "CPU",
                {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY"},
            )
            compiled(self.x)
            t_first = time.perf_counter() - t1
            compiled(self.x)  # warm-up
            self.raw[precision] = compiled
            info[f"compile_and_first_infer_{precision}_s"] = t_first
            effective = compiled.get_property("INFERENCE_PRECISION_HINT")  # an ov.Type
            info[f"effective_precision_{precision}"] = effective.get_type_name()
        self.raw["tput"] = core.compile_model(
            ov_model, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "THROUGHPUT"}
        )
        # Comparable to a Keras backend's first predict: export + convert + compile + infer.
        info["first_call_s"] = t_export + t_convert + info["compile_and_first_infer_f32_s"]
        shutil.rmtree(path, ignore_errors=True)
        return info

    def release(self):
        self.model = self.x = self.x_tensor = self.x_many = None
        self.model_name = self.model_error = None
        self.raw = {}
        self.warmed = set()
        self.keras.backend.clear_session()
        gc.collect()
        return {}

    def _callable(self, task):
        kind = task[0]
        if kind == "op":
            if self.kind == "raw-ov":
                raise NotApplicable("raw OV has no eager ops")
            if self.op_name != task[1]:
                raise RuntimeError(f"op {task[1]!r} was not set up")
            from benchmarks.models import EAGER_OPS

            fn, ops, t = EAGER_OPS[task[1]][2], self.ops, self.op_inputs
            return lambda: ops.convert_to_numpy(fn(ops, t))
        if self.model_error:
            raise RuntimeError(self.model_error)
        if self.model is None:
            raise RuntimeError("no model set up")
        if kind == "raw":
            if self.kind != "raw-ov":
                raise NotApplicable("raw OV runs in the raw-ov worker")
            compiled, x = self.raw[task[1]], self.x
            return lambda: compiled(x)
        if kind == "raw_many":
            if self.kind != "raw-ov":
                raise NotApplicable("raw OV runs in the raw-ov worker")
            return self._raw_many(task[1])
        if kind == "predict_many":
            return self._predict_many(task[1])
        if self.kind == "raw-ov":
            raise NotApplicable("raw-ov measures compiled_model(x) only")
        model, x, b, ops = self.model, self.x, self.batch, self.ops
        if kind == "predict":
            return lambda: model.predict(x, batch_size=b, verbose=0)
        if kind == "predict_on_batch":
            return lambda: model.predict_on_batch(x)
        if kind == "eager_model":
            xt = self.x_tensor
            return lambda: ops.convert_to_numpy(model(xt, training=False))
        raise ValueError(f"unknown task {task!r}")

    def _batches(self):
        b = self.batch
        return [self.x_many[i : i + b] for i in range(0, len(self.x_many), b)]

    def _raw_many(self, mode):
        import openvino as ov

        batches = self._batches()
        if mode == "sync":
            request = self.raw["f32"].create_infer_request()

            def sync():
                return [request.infer({0: x})[0].copy() for x in batches]

            return sync
        compiled = self.raw["tput"]
        jobs = compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")

        def run_async():
            queue = ov.AsyncInferQueue(compiled, jobs)
            out = [None] * len(batches)

            def collect(request, k):
                out[k] = request.get_output_tensor(0).data.copy()

            queue.set_callback(collect)
            for k, x in enumerate(batches):
                queue.start_async({0: x}, k)
            queue.wait_all()
            return out

        return run_async

    def _predict_many(self, hint):
        if self.kind == "raw-ov":
            raise NotApplicable("raw-ov measures raw_many")
        model, x, b = self.model, self.x_many, self.batch
        if hint == "LATENCY":
            return lambda: model.predict(x, batch_size=b, verbose=0)
        if self.kind != "keras-ov":
            raise NotApplicable(f"{self.kind} has no {hint} mode here")
        from keras_ov.engine import settings

        def with_hint():
            old, settings.config.hint = settings.config.hint, hint
            try:
                return model.predict(x, batch_size=b, verbose=0)
            finally:
                settings.config.hint = old

        return with_hint

    def run(self, task, budget, min_calls, max_calls):
        fn = self._callable(task)
        reply = {}
        key = json.dumps([self.model_name, task])
        if key not in self.warmed:  # the first call may trace and compile
            t0 = time.perf_counter()
            fn()
            reply["warmup_s"] = time.perf_counter() - t0
            self.warmed.add(key)
        gc.collect()
        times = []
        deadline = time.perf_counter() + budget
        while len(times) < max_calls and (len(times) < min_calls or time.perf_counter() < deadline):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        reply["times"] = times
        return reply

    def stats(self):
        # ru_maxrss is in KiB on Linux.
        return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

    def dispatch(self, msg):
        cmd = msg["cmd"]
        if cmd == "hello":
            return self.hello()
        if cmd == "setup_op":
            return self.setup_op(msg["name"])
        if cmd == "setup_model":
            return self.setup_model(msg["name"])
        if cmd == "run":
            return self.run(msg["task"], msg["budget"], msg["min_calls"], msg["max_calls"])
        if cmd == "release":
            return self.release()
        if cmd == "stats":
            return self.stats()
        raise ValueError(f"unknown command {cmd!r}")


def main(argv):
    if len(argv) != 1:
        raise SystemExit(f"usage: python -m benchmarks.worker {{{','.join(KINDS)}}}")
    # The protocol owns the original stdout; fd 1 now points at stderr.
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        worker = Worker(argv[0])
    except BaseException as exc:
        reply = {"error": error_text(exc), "traceback": traceback.format_exc()}
        proto.write(json.dumps(reply) + "\n")
        raise
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["cmd"] == "quit":
            break
        try:
            reply = worker.dispatch(msg)
        except NotApplicable as exc:
            reply = {"na": str(exc)}
        except Exception as exc:
            reply = {"error": error_text(exc), "traceback": traceback.format_exc()}
        proto.write(json.dumps(reply) + "\n")
    shutil.rmtree(worker.tmpdir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
