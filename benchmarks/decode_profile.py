"""Where a keras-ov decode step's time goes (GPT-2 workload of benchmarks.generation).

    KERAS_BACKEND=openvino python -m benchmarks.decode_profile [--batch 4] [--top 25]

1. Times ``generate`` with 1 and ``NEW`` new tokens (the harness's short/long
   runs); their difference over ``NEW - 1`` is the time of one decode step.
2. Takes the decode ``Loop``'s body out of the model ``FastGenerate``
   compiled, compiles it alone (same threads, ``PERF_COUNT``), runs it on
   plausible inputs (a cache of noise, position ``PROMPT + NEW // 2``) and
   prints its time per call and the CPU plugin's time per layer type and for
   the slowest layers.  The body's own time is a step minus the Loop's
   bookkeeping (back edges, condition).

With ``--ab``, instead: two copies of the model, one compiled without
``generation.split_loop_carries``, timed in interleaved rounds (the machine's
load hits both alike); prints each one's decode step and whether their tokens
are equal.

With ``--carry``, instead: the three ways to carry the KV cache from one
decode step to the next, timed in interleaved rounds:

* ``loop``: keras-ov's (the decode ``Loop`` of the compiled generate graph;
  the step is its ``generate`` time with 64 minus 1 new tokens, over 63);
* ``bound``: the Loop's body compiled alone and called once per step from
  Python, each cache's output buffer bound as the next step's input (two host
  buffers per cache, swapped every step; no copy);
* ``stateful``: the same body with every cache turned into an OpenVINO state
  (``ReadValue`` ... ``Assign``: the CPU plugin keeps it, the request carries
  it from call to call), called once per step.

The body runs on noise (as above), so only the time is compared.
"""

import argparse
import collections
import contextlib
import importlib
import time

import numpy as np


def _median_time(fn, calls):
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _body_inputs(body, batch, position):
    rng = np.random.default_rng(0)
    arrays = []
    for p in body.get_parameters():
        shape = tuple(p.get_partial_shape().to_shape())
        dtype = p.get_element_type().to_dtype()
        if not shape:
            arrays.append(np.array(position, dtype))
        elif dtype == np.bool_:
            a = np.zeros(shape, bool)
            a[..., : position + 1] = True
            arrays.append(a)
        elif np.issubdtype(dtype, np.integer):
            arrays.append(rng.integers(3, 100, shape).astype(dtype))
        else:
            arrays.append((0.1 * rng.standard_normal(shape)).astype(dtype))
    return arrays


def _ab(args, G, GEN, keras, keras_hub):
    """Decode step with and without ``split_loop_carries``, interleaved."""
    split = GEN.split_loop_carries
    inputs = {key: G.prompts(args.batch, new) for key, new in G.LENGTHS.items()}
    lms = {}
    try:
        for name, rewrite in (("unsplit", lambda model: 0), ("split", split)):
            GEN.split_loop_carries = rewrite
            lms[name] = G.build_lm("gpt2", keras, keras_hub)
            for x in inputs.values():  # traced and compiled now, with `rewrite`
                lms[name].generate(x, stop_token_ids=None)
    finally:
        GEN.split_loop_carries = split
    tokens = [lm.generate(inputs["long"], stop_token_ids=None)["token_ids"] for lm in lms.values()]
    times = {(name, key): [] for name in lms for key in inputs}
    for _ in range(args.calls):
        for name, lm in lms.items():
            for key, x in inputs.items():
                t0 = time.perf_counter()
                lm.generate(x, stop_token_ids=None)
                times[name, key].append(time.perf_counter() - t0)
    print(
        f"batch {args.batch}, {args.calls} interleaved rounds; tokens equal: "
        f"{np.array_equal(*tokens)}"
    )
    for name in lms:
        short, long = (float(np.median(times[name, key])) for key in ("short", "long"))
        step = (long - short) / (G.NEW - 1)
        print(
            f"  {name:8s} 1 new {short * 1e3:7.1f} ms, {G.NEW} new {long * 1e3:7.1f} ms, "
            f"step {step * 1e3:.3f} ms, decode {args.batch / step:.0f} tokens/s"
        )


@contextlib.contextmanager
def _recording(GEN):
    """Inside: every model ``generation`` compiles is appended to the list yielded."""
    models = []
    real = GEN.plugin.CompiledExecutable

    class Recording(real):
        def __init__(self, model, *a, **k):
            models.append(model)
            super().__init__(model, *a, **k)

    GEN.plugin.CompiledExecutable = Recording
    try:
        yield models
    finally:
        GEN.plugin.CompiledExecutable = real


def _threads(fast):
    """The CPU threads the generate graph was compiled with."""
    return int(fast.executable.compiled.get_property("INFERENCE_NUM_THREADS"))


def _carries(loop, min_bytes=1 << 16):
    """``(caches, others, counter)`` of a Loop: the merged (carried) inputs as
    ``(body parameter index, body result index)``, split into the large
    static float ones (the KV caches) and the rest; the iteration counter's
    body parameter index (or -1)."""
    body = loop.get_function()
    params = body.get_parameters()
    counter, _ = loop.get_special_body_ports()
    caches, others = [], []
    for d in loop.get_input_descriptions():
        if type(d).__name__ != "MergedInputDescription":
            continue
        p = params[d.body_parameter_index]
        ps = p.get_output_partial_shape(0)
        big = ps.is_static and p.get_output_element_type(0).is_real()
        if big:
            big = int(np.prod(list(ps.to_shape()))) * p.get_output_element_type(0).size >= min_bytes
        pair = (d.body_parameter_index, d.body_value_index)
        (caches if big else others).append(pair)
    return caches, others, counter


def _stateful_body(body, caches):
    """``body`` (cloned) with each cache ``(param, result)`` an OpenVINO state."""
    import openvino.opset3 as opset3

    from keras_ov.ops.graph import ov_ops

    body = body.clone()
    params, results = list(body.get_parameters()), list(body.get_results())
    sinks = []
    for k, (pi, ri) in enumerate(caches):
        p = params[pi]
        shape = list(p.get_output_partial_shape(0).to_shape())
        zeros = np.zeros(shape, p.get_output_element_type(0).to_dtype())
        state = opset3.read_value(ov_ops.constant(zeros), f"kv{k}")
        for target in list(p.output(0).get_target_inputs()):
            target.replace_source_output(state.output(0))
        sinks.append(opset3.assign(results[ri].input_value(0), f"kv{k}"))
    drop_p = {pi for pi, _ in caches}
    drop_r = {ri for _, ri in caches}
    keep_p = [p for i, p in enumerate(params) if i not in drop_p]
    keep_r = [r for i, r in enumerate(results) if i not in drop_r]
    import openvino as ov

    return ov.Model(keep_r, sinks, keep_p, "stateful_decode"), keep_p, keep_r


def _carry(args, G, GEN, keras, keras_hub, settings):
    """Decode step: keras-ov's Loop vs the body per step (bound buffers,
    OpenVINO states), interleaved."""
    import openvino as ov

    inputs = {key: G.prompts(args.batch, new) for key, new in G.LENGTHS.items()}
    with _recording(GEN) as models:
        lm = G.build_lm(args.workload, keras, keras_hub)
        for x in inputs.values():
            lm.generate(x, stop_token_ids=None)
    fast = list(lm._ov_generate.models.values())[-1]
    loop = next(n for n in models[-1].get_ordered_ops() if n.get_type_name() == "Loop")
    body = loop.get_function()
    caches, others, counter = _carries(loop)
    config = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}
    config["INFERENCE_NUM_THREADS"] = _threads(fast)
    core = settings.core()
    steps = G.NEW - 1
    start = G.PROMPT + 1
    arrays = _body_inputs(body, args.batch, start)

    # bound: two buffers per cache, swapped each step
    bound = core.compile_model(body, "CPU", config).create_infer_request()
    buffers = {pi: [arrays[pi].copy(), arrays[pi].copy()] for pi, _ in caches}

    def run_bound():
        for i, a in enumerate(arrays):
            bound.set_input_tensor(i, ov.Tensor(a, shared_memory=True))
        for step in range(steps):
            for pi, ri in caches:
                a, b = buffers[pi][step % 2], buffers[pi][1 - step % 2]
                bound.set_input_tensor(pi, ov.Tensor(a, shared_memory=True))
                bound.set_output_tensor(ri, ov.Tensor(b, shared_memory=True))
            if counter >= 0:
                bound.set_input_tensor(
                    counter, ov.Tensor(np.array(start + step, arrays[counter].dtype))
                )
            bound.infer()
            for pi, ri in others:
                bound.set_input_tensor(pi, ov.Tensor(bound.get_output_tensor(ri).data.copy()))

    model, keep_p, keep_r = _stateful_body(body, caches)
    stateful = core.compile_model(model, "CPU", config).create_infer_request()
    old_params = list(body.get_parameters())
    position = {}  # old body param index -> new input index
    for new_i, p in enumerate(keep_p):
        for old_i, q in enumerate(old_params):
            if q.get_friendly_name() == p.get_friendly_name():
                position[old_i] = new_i
    old_results = list(body.get_results())
    result_position = {}
    for new_i, r in enumerate(keep_r):
        for old_i, q in enumerate(old_results):
            if q.get_friendly_name() == r.get_friendly_name():
                result_position[old_i] = new_i

    def run_stateful():
        stateful.reset_state()
        for old_i, new_i in position.items():
            stateful.set_input_tensor(new_i, ov.Tensor(arrays[old_i], shared_memory=True))
        for step in range(steps):
            if counter >= 0:
                c = np.array(start + step, arrays[counter].dtype)
                stateful.set_input_tensor(position[counter], ov.Tensor(c))
            stateful.infer()
            for pi, ri in others:
                out = stateful.get_output_tensor(result_position[ri]).data.copy()
                stateful.set_input_tensor(position[pi], ov.Tensor(out))

    def run_loop(key):
        lm.generate(inputs[key], stop_token_ids=None)

    runs = {
        "loop_short": lambda: run_loop("short"),
        "loop_long": lambda: run_loop("long"),
        "bound": run_bound,
        "stateful": run_stateful,
    }
    for fn in runs.values():
        fn()
    times = {k: [] for k in runs}
    for _ in range(args.calls):
        for k, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    med = {k: float(np.median(v)) for k, v in times.items()}
    per_step = {
        "loop (keras-ov)": (med["loop_long"] - med["loop_short"]) / steps,
        "bound buffers": med["bound"] / steps,
        "stateful": med["stateful"] / steps,
    }
    print(
        f"{args.workload} batch {args.batch}: {len(caches)} caches carried, "
        f"{len(others)} other carries; {args.calls} interleaved rounds of {steps} steps"
    )
    for name, t in per_step.items():
        print(f"  {name:16s} {t * 1e3:7.3f} ms per step, {args.batch / t:6.0f} tokens/s")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--calls", type=int, default=20)
    p.add_argument("--ab", action="store_true", help="time with and without split carries")
    p.add_argument(
        "--carry", action="store_true", help="time the Loop against bound buffers and states"
    )
    p.add_argument("--workload", default="gpt2", help="with --carry: gpt2 or llama")
    p.add_argument("--kinds", nargs="*", default=[], help="list the body's layers of these types")
    args = p.parse_args(argv)

    importlib.import_module("keras_ov")  # before keras, which then loads keras_ov.backend
    import keras_hub
    import openvino as ov

    import keras

    from benchmarks import generation as G
    from keras_ov.backend import generation as GEN
    from keras_ov.engine import settings

    if args.ab:
        return _ab(args, G, GEN, keras, keras_hub)
    if args.carry:
        return _carry(args, G, GEN, keras, keras_hub, settings)
    times = {}
    with _recording(GEN) as models:
        lm = G.build_lm("gpt2", keras, keras_hub)
        for key, new in G.LENGTHS.items():
            inputs = G.prompts(args.batch, new)
            lm.generate(inputs, stop_token_ids=None)
            times[key] = _median_time(
                lambda inputs=inputs: lm.generate(inputs, stop_token_ids=None), args.calls
            )
    step = (times["long"] - times["short"]) / (G.NEW - 1)
    print(
        f"batch {args.batch}: generate 1 new {times['short'] * 1e3:.2f} ms, "
        f"{G.NEW} new {times['long'] * 1e3:.2f} ms; decode step {step * 1e3:.3f} ms"
    )
    fast = list(lm._ov_generate.models.values())[-1]
    print(
        f"FastGenerate: threads {_threads(fast)}, einsums rewritten {fast.rewritten}, "
        f"carries split {getattr(fast, 'split_carries', None)}"
    )

    # the whole graph, profiled: does the Loop report its body's layers?
    config = {"PERF_COUNT": "YES", "INFERENCE_PRECISION_HINT": "f32"}
    config["INFERENCE_NUM_THREADS"] = _threads(fast)
    whole = settings.core().compile_model(models[-1], "CPU", config)
    request = whole.create_infer_request()
    long_inputs = G.prompts(args.batch, G.NEW)
    feed = [long_inputs[k] for k in sorted(long_inputs)]
    request.infer(feed)
    per_call = _median_time(lambda: request.infer(feed), max(3, args.calls // 4))
    prof = [x for x in request.profiling_info if x.real_time.total_seconds() > 0]
    print(f"whole graph ({G.NEW} new): {per_call * 1e3:.2f} ms per call; slowest layers:")
    for x in sorted(prof, key=lambda x: -x.real_time.total_seconds())[:5]:
        t = x.real_time.total_seconds()
        print(f"  {t * 1e3:8.3f} ms {x.node_type:18s} {x.exec_type:22s} {x.node_name[:60]}")

    loops = [n for n in models[-1].get_ordered_ops() if n.get_type_name() == "Loop"]
    body = loops[0].get_function()
    config = {"PERF_COUNT": "YES", "INFERENCE_PRECISION_HINT": "f32"}
    config["INFERENCE_NUM_THREADS"] = _threads(fast)
    compiled = settings.core().compile_model(body, "CPU", config)
    request = compiled.create_infer_request()
    arrays = _body_inputs(body, args.batch, G.PROMPT + G.NEW // 2)
    for i, a in enumerate(arrays):
        request.set_input_tensor(i, ov.Tensor(a))
    request.infer()
    per_call = _median_time(request.infer, args.calls * 5)
    print(f"body alone: {per_call * 1e3:.3f} ms per call ({per_call / step:.0%} of a step)")
    request.infer()
    prof = [x for x in request.profiling_info if x.real_time.total_seconds() > 0]
    total = sum(x.real_time.total_seconds() for x in prof)
    by_type = collections.Counter()
    for x in prof:
        by_type[x.node_type] += x.real_time.total_seconds()
    print(f"perf counters: {total * 1e3:.3f} ms over {len(prof)} layers")
    for kind, t in by_type.most_common(args.top):
        print(f"  {kind:24s} {t * 1e3:8.3f} ms {t / total:6.1%}")
    print("slowest layers:")
    for x in sorted(prof, key=lambda x: -x.real_time.total_seconds())[: args.top]:
        t = x.real_time.total_seconds()
        print(f"  {t * 1e3:8.3f} ms {x.node_type:18s} {x.exec_type:22s} {x.node_name[:60]}")
    if args.kinds:
        print("layers of", ", ".join(args.kinds), "(runtime model):")
        for op in compiled.get_runtime_model().get_ordered_ops():
            info = {k: v.astype(str) for k, v in op.get_rt_info().items()}
            kind = info["layerType"]
            if kind not in args.kinds or not info["execTimeMcs"].isdigit():
                continue
            shapes = [str(op.get_input_partial_shape(i)) for i in range(op.get_input_size())]
            print(
                f"  {float(info['execTimeMcs']):8.0f} us {kind:12s} "
                f"{info['outputLayouts']:10s} in {shapes} "
                f"{info['originalLayersNames'][:70]}"
            )


if __name__ == "__main__":
    main()
