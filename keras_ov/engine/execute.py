"""Running OpenVINO graphs: the bounded compiled-model cache and two executors.

* ``CompiledExecutable`` compiles a model for the configured device (CPU by
  default) with an explicit inference precision (float32 unless the user asks
  for less) and keeps one infer request per model.
* ``ReferenceExecutable`` runs a model node by node with OpenVINO's reference
  kernels (``Node.evaluate``).  It is used when a graph carries int64, uint64,
  uint32 or float64 data, which the CPU plugin silently narrows.  Ops without a
  reference kernel raise instead of returning a wrong number.

Both are stored in one LRU cache keyed by the caller (op name, attributes,
input shapes and dtypes) plus device and precision, so a computation seen
before never compiles again.
"""

import collections
import functools
import os
import sys
import threading

import numpy as np
import openvino as ov
from openvino import opset15

from keras_ov.engine import dtypes, float64
from keras_ov.engine.tensor import from_ov_tensor, to_ov_tensor

_core = None


def core():
    global _core
    if _core is None:
        _core = ov.Core()
        cache_dir = os.environ.get("KERAS_OV_CACHE_DIR")
        if cache_dir:
            _core.set_property({"CACHE_DIR": cache_dir})
    return _core


class Config:
    """Execution settings that are part of every cache key."""

    def __init__(self):
        self.device = os.environ.get("KERAS_OV_DEVICE", "CPU")
        self.precision = os.environ.get("KERAS_OV_PRECISION", "f32")
        self.num_threads = int(os.environ.get("KERAS_OV_THREADS", "0"))
        self.hint = os.environ.get("KERAS_OV_PERFORMANCE_HINT", "LATENCY")

    def key(self):
        return (self.device, self.precision, self.num_threads, self.hint)

    def compile_properties(self):
        props = {
            "INFERENCE_PRECISION_HINT": self.precision,
            "PERFORMANCE_HINT": self.hint,
        }
        if self.num_threads:
            props["INFERENCE_NUM_THREADS"] = self.num_threads
        return props


config = Config()


def set_precision(precision):
    """Inference precision for float32 graphs: "f32" (default), "bf16", "f16"."""
    if precision not in ("f32", "bf16", "f16"):
        raise ValueError(f"keras-ov: precision must be 'f32', 'bf16' or 'f16', got {precision!r}")
    config.precision = precision


class LRUCache:
    """A bounded map with hit/miss/eviction counters.

    Bounded in entries and, optionally, in bytes: each entry may carry a size
    (for compiled models, the bytes of their inputs and outputs, which the
    plugin's buffers scale with), and the least recently used entries go
    until the total fits (the newest entry always stays).
    """

    def __init__(self, maxsize, maxbytes=None):
        self.maxsize = maxsize
        self.maxbytes = maxbytes
        self._data = collections.OrderedDict()
        self._sizes = {}
        self.bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = self.evictions = 0

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
                self._data.move_to_end(key)
            return value

    def put(self, key, value, nbytes=0):
        with self._lock:
            self.bytes -= self._sizes.pop(key, 0)
            self._data[key] = value
            self._data.move_to_end(key)
            self._sizes[key] = nbytes
            self.bytes += nbytes
            while len(self._data) > self.maxsize or (
                self.maxbytes is not None and self.bytes > self.maxbytes and len(self._data) > 1
            ):
                old, _ = self._data.popitem(last=False)
                self.bytes -= self._sizes.pop(old)
                self.evictions += 1

    def clear(self):
        with self._lock:
            self._data.clear()
            self._sizes.clear()
            self.bytes = 0
            self.hits = self.misses = self.evictions = 0

    def stats(self):
        return {
            "size": len(self._data),
            "maxsize": self.maxsize,
            "bytes": self.bytes,
            "maxbytes": self.maxbytes,
            "hits": self.hits,
            "misses": self.misses,
            "evictions": self.evictions,
        }

    def __len__(self):
        return len(self._data)

    def values(self):
        with self._lock:
            return list(self._data.values())


def _default_cache_mb():
    """An eighth of physical memory (at least 256 MB): an eager ResNet50 call at
    batch 8 needs 1.1 GB of inputs and outputs cached to run without
    recompiling (0.9 s a call, 8 s with 64 MB)."""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return max(256, total // 8 // 2**20)
    return 1024


cache = LRUCache(
    int(os.environ.get("KERAS_OV_CACHE_SIZE", "2048")),
    int(os.environ.get("KERAS_OV_CACHE_MB") or _default_cache_mb()) * 2**20,
)
# "compiled", "reference_built", "views", "released", "async_batches"
counters = collections.Counter()


def _no_session():
    return None


# The backend points this at an object that Keras replaces on
# ``keras.backend.clear_session()``; a new session starts with an empty cache
# (as TensorFlow's backend clears its kernel cache there).
session_token = _no_session
_cache_session = [None]
# Other per-session state to drop with the cache (e.g. ``registry``'s flags).
on_new_session = []


def _check_session():
    token = session_token()
    if token is not _cache_session[0]:
        if _cache_session[0] is not None:
            cache.clear()
            for clear in on_new_session:
                clear()
        _cache_session[0] = token


def release_intermediate_memory():
    """Cached eager executables give back their intermediate buffers and the
    host arrays they keep for reuse.

    Called before a traced function compiles: building a model leaves the
    random generators holding buffers sized for its largest weight (and the
    last draw of each, which the initializer then scaled into a new array),
    which would add to the compile's peak.  They allocate again on their next
    call.
    """
    for exe in cache.values():
        if isinstance(exe, CompiledExecutable):
            with exe._lock:  # not while another thread runs it
                exe.compiled.release_memory()
                exe.drop_host_arrays()
            counters["released"] += 1


# Integer kernels of the CPU plugin that do not compute what NumPy does
# (measured, see tests/engine/test_execute.py): int8/uint8 arithmetic that can
# overflow saturates instead of wrapping, and some int32 ops go through float32.
_I8 = frozenset((ov.Type.i8, ov.Type.u8))
_I8_OVERFLOWING = frozenset(
    (
        "Abs",
        "Add",
        "CumSum",
        "MatMul",
        "Multiply",
        "Negative",
        "Power",
        "ReduceProd",
        "ReduceSum",
        "SquaredDifference",
        "Subtract",
    )
)
_CPU_INEXACT_INT = {
    "MatMul": frozenset((ov.Type.i16, ov.Type.u16, ov.Type.i32)),
    "ReduceSum": frozenset((ov.Type.i32,)),
    "ReduceProd": frozenset((ov.Type.i32,)),
    "ReduceMax": frozenset((ov.Type.i32,)),
    "ReduceMin": frozenset((ov.Type.i32,)),
}


def _cpu_inexact(op, kind):
    """True if the CPU plugin's kernel for this integer node is not exact."""
    for out in op.outputs():
        t = out.get_element_type()
        if t in _I8 and kind in _I8_OVERFLOWING:
            return True
        if t in _CPU_INEXACT_INT.get(kind, ()):
            return True
    return False


# Inputs the CPU plugin reads as 64-bit bounds, exactly (measured: Slice and
# StridedSlice with stops of 2**62, 2**63 - 1 and -2**63, static and dynamic
# shapes): "to the end" sentinels there do not make a graph wide.
_BOUND_INPUTS = {"Slice": (1, 2, 3, 4), "StridedSlice": (1, 2, 3)}


def _only_bounds(constant):
    targets = constant.output(0).get_target_inputs()
    return bool(targets) and all(
        c.get_index() in _BOUND_INPUTS.get(c.get_node().get_type_name(), ()) for c in targets
    )


# rt_info flag of a Convert to float8 whose results the CPU plugin computes
# exactly wherever the graph uses them, although its float32 -> float8 kernel
# rounds twice (through float16): the last Convert of
# ``ops.graph.round_to_float``, whose input float8 holds (a signed canonical NaN
# or a value already rounded), and the float32 -> e4m3fn -> float32 pair there
# that canonicalises NaNs, of which only NaN results are used (the CPU maps
# them to the signed canonical NaN, as ml_dtypes does).  Measured bit for bit
# in tests/engine/test_float8.py.
CPU_EXACT_FLAG = "keras_ov_cpu_exact"
_FLOAT8_OV = frozenset(dtypes.to_ov(n) for n in dtypes.FLOAT8)


def _exact_float8(op, kind):
    """True for the float8 data the CPU plugin moves exactly: a flagged
    Convert, a float8 Parameter read only by Converts to narrow types (float8
    -> float16/bfloat16/float32 widens exactly) and a Result of a flagged
    Convert."""
    if op.get_output_element_type(0) not in _FLOAT8_OV:
        return False
    if kind == "Convert":
        return CPU_EXACT_FLAG in op.get_rt_info()
    if kind == "Parameter":
        targets = op.output(0).get_target_inputs()
        return all(
            t.get_node().get_type_name() == "Convert"
            and t.get_node().get_output_element_type(0) not in dtypes.WIDE_OV
            for t in targets
        )
    source = op.input_value(0).get_node()  # a Result
    return source.get_type_name() == "Convert" and CPU_EXACT_FLAG in source.get_rt_info()


def needs_reference(model):
    """True if the CPU plugin would not compute this model exactly.

    That is the case for wide data (int64/uint64/uint32/float64, which it
    narrows) and for the integer kernels in ``_CPU_INEXACT_INT`` / int8
    arithmetic.  Shape computations (ShapeOf and constants feeding shape
    inputs) are i64 in every OpenVINO graph and are exact on CPU; what matters
    is data: Parameters, Results and Convert targets, plus wide Constants
    holding values that do not fit 32 bits.
    """
    for op in model.get_ordered_ops():
        kind = op.get_type_name()
        if kind in ("Parameter", "Result", "Convert"):
            if op.get_output_element_type(0) in dtypes.WIDE_OV and not _exact_float8(op, kind):
                return True
        elif kind == "Constant":
            t = op.get_output_element_type(0)
            if t in dtypes.WIDE_OV and not _only_bounds(op):
                data = op.get_data()
                if data.size and (
                    t == ov.Type.f64 or np.max(data) > 2**31 - 1 or np.min(data) < -(2**31)
                ):
                    return True
        elif _cpu_inexact(op, kind):
            return True
    return False


# Inputs up to this many bytes are copied into the request's own buffers
# (cheaper than wrapping them); larger ones are shared zero-copy.
COPY_INPUT_BYTES = 1 << 16
COPY_OUTPUT_BYTES = 1 << 16
# Eager graphs this small run on one thread: waking a pool costs more.
SMALL_GRAPH_ELEMENTS = 1 << 16
# So do graphs without matrix work whose inputs and outputs hold up to this
# many elements: element-wise ops, reductions, gathers and concatenations of a
# few hundred KB are bound by memory, which a second thread does not speed up
# (measured on 256x256 float32: add, sum, take and concatenate 15-40% faster
# on one thread, softmax the same, matmul 1.5x slower).
MEMORY_BOUND_ELEMENTS = 1 << 18
_POOL_OPS = frozenset(
    (
        "MatMul",
        "Einsum",
        "Convolution",
        "GroupConvolution",
        "ConvolutionBackpropData",
        "GroupConvolutionBackpropData",
        "DeformableConvolution",
        "DFT",
        "IDFT",
        "RDFT",
        "IRDFT",
        "Loop",
        "TensorIterator",
        "LSTMSequence",
        "GRUSequence",
        "RNNSequence",
    )
)
# Element-wise kernels that cost several ns per element on the CPU plugin
# (tanh, sin, pow, gelu of 256x256 float32: 0.3-0.7 ms on one thread) are
# bound by compute, not memory: a second thread pays off once inputs and
# outputs hold more than SLOW_KERNEL_ELEMENTS (measured on 256x256 through
# keras.ops: tanh, gelu, sin, pow 1.2-1.6x faster, log the same; sigmoid is
# not slow enough to gain).
SLOW_KERNEL_ELEMENTS = 1 << 16
_SLOW_KERNELS = frozenset(
    (
        "Tanh",
        "Log",
        "Sin",
        "Cos",
        "Tan",
        "Sinh",
        "Cosh",
        "Asin",
        "Acos",
        "Atan",
        "Asinh",
        "Acosh",
        "Atanh",
        "Power",
        "Erf",
        "Gelu",
    )
)


def _with_refcount(arrays, i):
    """``(arrays.get(i), its reference count)``, as seen from inside this call."""
    array = arrays.get(i)
    return array, (0 if array is None else sys.getrefcount(array))


# The count ``_with_refcount`` sees for an array held only by its dict,
# measured rather than assumed (interpreters differ in the temporaries counted).
_ONLY_OURS = _with_refcount({0: np.empty(1)}, 0)[1]

# OpenVINO element types NumPy sees as raw unsigned integers (bf16, float8).
_RAW_BITS = {dtypes.to_ov(d): bits for d, bits in dtypes.HOST_BITS.items()}


class CompiledExecutable:
    """A compiled model with one infer request and cached host views."""

    def __init__(self, model, properties=None):
        # The ov.Model is not kept: its Constants (weights) would be a second
        # copy next to the compiled model's.
        props = dict(config.compile_properties())
        props.update(properties or {})
        self.compiled = core().compile_model(model, config.device, props)
        self.request = self.compiled.create_infer_request()
        self._lock = threading.Lock()
        self.n_out = len(self.compiled.outputs)
        self._static_out = all(o.get_partial_shape().is_static for o in self.compiled.outputs)
        self._out_views = None
        self._last_fresh = {}
        self._in_views = {}
        self._bound = {}
        self._held = {}
        # Large static outputs are written straight into fresh host arrays
        # (no copy out of the request's buffers); small ones are copied.
        self._out_fresh = {
            i: (tuple(o.get_shape()), o.get_element_type().to_dtype())
            for i, o in enumerate(self.compiled.outputs)
            if self._static_out
            and o.get_element_type() not in _RAW_BITS
            and _port_bytes(o) > COPY_OUTPUT_BYTES
        }
        # Only inputs of static shape have a request buffer to copy into.
        self._static_in = [i.get_partial_shape().is_static for i in self.compiled.inputs]
        counters["compiled"] += 1

    def _set_inputs(self, arrays, in_dtypes):
        req = self.request
        for i, (a, dt) in enumerate(zip(arrays, in_dtypes)):
            if a.nbytes <= COPY_INPUT_BYTES and dt not in dtypes.HOST_BITS and self._static_in[i]:
                view = self._in_views.get(i)
                if view is None:
                    view = self._in_views[i] = req.get_input_tensor(i).data
                view[...] = a
                self._bound.pop(i, None)
            elif self._bound.get(i) is not a:
                # Shared, not copied.  The same (immutable) array as last call
                # is still bound: no need to set it again.
                self._in_views.pop(i, None)
                tensor = to_ov_tensor(a, dt)  # (a contiguous copy if `a` is not)
                req.set_input_tensor(i, tensor)
                # The request does not keep the Python tensor, which owns the
                # memory it reads (for a non-contiguous `a`, a fresh copy).
                self._held[i] = tensor
                self._bound[i] = a if a.flags.c_contiguous else None

    def drop_host_arrays(self):
        """Forget the inputs bound last call and the outputs kept for reuse.

        The request still points at their memory, but reads and writes it only
        in ``infer``, and every call binds its inputs and fresh outputs again
        before that (an input index is always bound or always copied: the
        shapes of an executable never change size class).
        """
        self._held.clear()
        self._bound.clear()
        self._last_fresh.clear()

    def _fresh_output(self, i, shape, dtype):
        """A host array for output ``i``, bound to the request.

        The request keeps pointing at the last one, so it is kept alive here.
        If nothing else refers to it any more (its tensor was dropped: the
        usual case in a loop of eager ops) it is written again in place;
        otherwise a new array is bound, and the old one stays with its owner.
        """
        last, refs = _with_refcount(self._last_fresh, i)
        if last is not None and refs <= _ONLY_OURS:
            return last
        array = np.empty(shape, dtype)
        self.request.set_output_tensor(i, ov.Tensor(array, shared_memory=True))
        self._last_fresh[i] = array
        return array

    def __call__(self, arrays, in_dtypes):
        with self._lock:
            self._set_inputs(arrays, in_dtypes)
            fresh = {i: self._fresh_output(i, *spec) for i, spec in self._out_fresh.items()}
            # share_outputs: the wrapper would otherwise copy every output into
            # a dict that is thrown away (outputs are read below).
            self.request.infer(share_outputs=True)
            if not self._static_out:
                return [
                    from_ov_tensor(self.request.get_output_tensor(i)) for i in range(self.n_out)
                ]
            if self._out_views is None:
                self._out_views = [
                    None
                    if i in self._out_fresh
                    else from_ov_tensor(self.request.get_output_tensor(i), copy=False)
                    for i in range(self.n_out)
                ]
            return [fresh[i] if v is None else v.copy() for i, v in enumerate(self._out_views)]

    def run_many(self, batches, in_dtypes):
        """Run several input lists, keeping the device busy: an
        ``AsyncInferQueue`` of the compiled model's optimal number of requests
        (2+ streams under the THROUGHPUT hint) instead of one request in turn.
        Returns one list of host outputs per batch, in order."""
        jobs = max(1, self.compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        queue = ov.AsyncInferQueue(self.compiled, jobs)
        results = [None] * len(batches)

        def collect(request, k):
            results[k] = [from_ov_tensor(request.get_output_tensor(i)) for i in range(self.n_out)]

        queue.set_callback(collect)
        held = []  # the requests read these until wait_all returns
        for k, arrays in enumerate(batches):
            tensors = {i: to_ov_tensor(a, dt) for i, (a, dt) in enumerate(zip(arrays, in_dtypes))}
            held.append(tensors)
            queue.start_async(tensors, k)
        queue.wait_all()
        counters["async_batches"] += len(batches)
        missing = [k for k, r in enumerate(results) if r is None]
        if missing:
            raise RuntimeError(
                f"keras-ov: async inference returned no outputs for batches {missing}"
            )
        return results


def _zero_size(shape):
    return shape.is_static and 0 in list(shape.to_shape())


def _empty_result(op, inputs):
    """The outputs of ``op`` if every one is static with zero elements, else None.

    Such a node is not evaluated: its result is known, and reference kernels
    can divide by the output size (a static Broadcast to a 0-size shape dies
    with SIGFPE).  (Measured: a Broadcast to a 0-size shape known only from
    data at run time does not.)
    """
    shapes = [o.get_partial_shape() for o in op.outputs()]
    if not all(_zero_size(s) for s in shapes):
        return None
    return [ov.Tensor(o.get_element_type(), s.to_shape()) for o, s in zip(op.outputs(), shapes)]


def _loop_not_run(op, outputs, inputs):
    """A Loop that runs no iteration (trip count 0 or a false condition), set
    into ``outputs``: the reference kernel refuses it ("Zero count of
    iteration not supported"), though the answer is defined: final values of
    carried variables are their initial ones.  False if the Loop runs (or has
    other outputs)."""
    count = int(np.array(inputs[0].data).reshape(-1)[0])
    go = bool(np.array(inputs[1].data).reshape(-1)[0])
    if count != 0 and go:
        return False
    initial = {
        d.body_value_index: d.input_index
        for d in op.get_input_descriptions()
        if type(d).__name__ == "MergedInputDescription"
    }
    done = {}
    for d in op.get_output_descriptions():
        if d.body_value_index not in initial or type(d).__name__ != "BodyOutputDescription":
            return False  # (a concatenated output, or one no variable defines)
        done[d.output_index] = inputs[initial[d.body_value_index]]
    for i, t in done.items():
        outputs[i] = t
    return True


def _evaluate_loop_of_empty(op, outputs, inputs):
    """A Loop with an empty input, run here iteration by iteration, its body
    by a ``ReferenceExecutable`` (which skips empty nodes): OpenVINO's Loop
    kernel dies on such bodies (double free in an LU solve of a (0, n, n)
    batch).  Carried values and last-iteration outputs only; False for
    other Loops (left to OpenVINO)."""
    if not any(t.size == 0 for t in inputs[2:]):
        return False
    ins, outs = op.get_input_descriptions(), op.get_output_descriptions()
    kinds = {type(d).__name__ for d in ins} | {type(d).__name__ for d in outs}
    if not kinds <= {
        "MergedInputDescription",
        "InvariantInputDescription",
        "BodyOutputDescription",
    }:
        return False
    if any(d.iteration != -1 for d in outs if type(d).__name__ == "BodyOutputDescription"):
        return False
    body = op.get_function()
    counter, condition = op.get_special_body_ports()
    bodies = {}  # the body reshaped to its parameters' shapes, so that its
    # empty nodes have static shapes (``_empty_result``), by those shapes
    params = [None] * len(body.get_parameters())
    for d in ins:
        params[d.body_parameter_index] = inputs[d.input_index]
    merged = [d for d in ins if type(d).__name__ == "MergedInputDescription"]
    count = int(np.array(inputs[0].data).reshape(-1)[0])
    go = bool(np.array(inputs[1].data).reshape(-1)[0])
    results, i = None, 0
    while go and (count < 0 or i < count):
        if counter >= 0:
            t = body.get_parameters()[counter].get_output_element_type(0).to_dtype()
            params[counter] = ov.Tensor(np.array(i, t))
        shapes = tuple(tuple(t.shape) for t in params)
        if shapes not in bodies:
            static = body.clone()
            static.reshape({k: ov.PartialShape(list(sh)) for k, sh in enumerate(shapes)})
            bodies[shapes] = ReferenceExecutable(static)
        results = bodies[shapes].evaluate_tensors(params)
        for d in merged:
            params[d.body_parameter_index] = results[d.body_value_index]
        if condition >= 0:
            go = bool(np.array(results[condition].data).reshape(-1)[0])
        i += 1
    if results is None:
        return _loop_not_run(op, outputs, [ov.Tensor(np.array(0, np.int64))] + inputs[1:])
    for d in outs:
        outputs[d.output_index] = results[d.body_value_index]
    return True


def _empty_tensor(output):
    ps = output.get_partial_shape()
    shape = ps.to_shape() if ps.is_static else [0] * ps.rank.get_length()
    return ov.Tensor(output.get_element_type(), ov.Shape(shape))


class ReferenceExecutable:
    """Node-by-node evaluation with OpenVINO's reference kernels."""

    def __init__(self, model, fallback=None):
        self.model = model
        self.ops = list(model.get_ordered_ops())
        self.params = {id(p): i for i, p in enumerate(model.get_parameters())}
        # For a graph the CPU plugin computes exactly: what runs it when a
        # node has no reference kernel (made on first need).
        self.fallback = fallback
        counters["reference_built"] += 1

    def __call__(self, arrays, in_dtypes):
        if isinstance(self.fallback, CompiledExecutable):
            return self.fallback(arrays, in_dtypes)
        try:
            return self._evaluate(arrays, in_dtypes)
        except NotImplementedError:
            if self.fallback is None:
                raise
        self.fallback = self.fallback()
        return self.fallback(arrays, in_dtypes)

    def _empty_at_run_time(self, op, inputs):
        """``_empty_result`` for a node of dynamic output shape with an empty
        input (after a Loop, say): its shapes inferred for these inputs on a
        copy of the graph up to it (the Python API cannot clone one node)."""
        if all(o.get_partial_shape().is_static for o in op.outputs()):
            return None
        if not any(t.size == 0 for t in inputs) or op.get_type_name() in ("Loop", "If"):
            return None
        copy = ov.Model(list(op.outputs()), self.model.get_parameters()).clone()
        node = copy.get_results()[0].input_value(0).get_node()
        for k, t in enumerate(inputs):
            if t.element_type in (ov.Type.i32, ov.Type.i64) and t.size <= 64:
                source = opset15.constant(np.array(t.data))  # (maybe a shape)
            else:
                source = opset15.parameter(list(t.shape), t.element_type)
            node.input(k).replace_source_output(source.output(0))
        node.validate_and_infer_types()
        shapes = [node.get_output_partial_shape(k) for k in range(node.get_output_size())]
        if not all(_zero_size(s) for s in shapes):
            return None
        return [
            ov.Tensor(o.get_element_type(), sh.to_shape()) for o, sh in zip(op.outputs(), shapes)
        ]

    def _evaluate(self, arrays, in_dtypes):
        tensors = [to_ov_tensor(a, d) for a, d in zip(arrays, in_dtypes)]
        return [from_ov_tensor(t) for t in self.evaluate_tensors(tensors)]

    def evaluate_tensors(self, tensors):
        """The model's results (``ov.Tensor``) for its Parameters' tensors."""
        values = {}
        for op in self.ops:
            kind = op.get_type_name()
            name = op.get_name()
            if kind == "Parameter":
                values[name] = [tensors[self.params[id(op)]]]
                continue
            if kind == "Constant":
                values[name] = [_constant_tensor(op)]
                continue
            inputs = [
                values[s.get_node().get_name()][s.get_index()]
                for s in (i.get_source_output() for i in op.inputs())
            ]
            if kind == "Result":
                values[name] = inputs
                continue
            outputs = [_empty_tensor(o) for o in op.outputs()]
            empty = _empty_result(op, inputs) or self._empty_at_run_time(op, inputs)
            if empty is not None:
                values[name] = empty  # (nothing to compute: see _empty_result)
                continue
            if kind == "Loop" and (
                _loop_not_run(op, outputs, inputs) or _evaluate_loop_of_empty(op, outputs, inputs)
            ):
                values[name] = outputs
                continue
            if not (
                op.evaluate(outputs, inputs)
                or _evaluate_as_bits(op, outputs, inputs)
                or _evaluate_widened(op, outputs, inputs)
                or _evaluate_ordered(op, outputs, inputs)
                or _evaluate_isnan(op, outputs, inputs)
                or _evaluate_float64(op, outputs, inputs)
            ):
                raise NotImplementedError(
                    f"keras-ov: OpenVINO has no exact reference kernel for "
                    f"{kind} on {[str(t.element_type) for t in inputs]}, and the CPU "
                    "plugin would not compute it exactly (it narrows 64-bit/uint32 "
                    "data, saturates int8 and rounds float8 twice), so keras-ov "
                    "refuses rather than return a wrong number"
                )
            values[name] = outputs
        return [values[r.get_name()][0] for r in self.model.get_results()]


# Ops that only move or select elements: running them on the bit patterns of
# float64 data (viewed as int64) is exact, and OpenVINO has int64 kernels for
# them where it lacks float64 ones.
DATA_MOVEMENT = frozenset(
    (
        "Broadcast",
        "Concat",
        "DepthToSpace",
        "Gather",
        "GatherElements",
        "GatherND",
        "Pad",
        "Reshape",
        "Reverse",
        "Roll",
        "ScatterElementsUpdate",
        "ScatterNDUpdate",
        "ScatterUpdate",
        "Select",
        "Slice",
        "SpaceToDepth",
        "Split",
        "Squeeze",
        "StridedSlice",
        "Tile",
        "Transpose",
        "Unsqueeze",
        "VariadicSplit",
    )
)


# Element types moved as the integers of their bit patterns: OpenVINO has
# integer kernels for data movement where it lacks float64/float8 ones.
_BIT_TWIN = {
    ov.Type.f64: (ov.Type.i64, np.int64),
    ov.Type.f8e4m3: (ov.Type.u8, np.uint8),
    ov.Type.f8e5m2: (ov.Type.u8, np.uint8),
}


def _reduction_of(op):
    """A scatter node's reduction attribute ("none", "sum", "max", ...)."""
    return str(op.get_attributes().get("reduction", "none")).lower()


def _as_bits(t):
    twin = _BIT_TWIN.get(t.element_type)
    if twin is None:
        return t
    return ov.Tensor(np.ascontiguousarray(np.array(t.data).view(twin[1])))


def _from_bits(bits, element_type):
    data = np.ascontiguousarray(np.array(bits.data))
    if element_type == ov.Type.f64:
        return ov.Tensor(data.view(np.float64))
    return ov.Tensor(data, list(data.shape), element_type)


def _evaluate_as_bits(op, outputs, inputs):
    """Evaluate a data-movement op on float64/float8 bit patterns as integers."""
    if op.get_type_name() not in DATA_MOVEMENT:
        return False
    if op.get_type_name() in ("ScatterElementsUpdate", "ScatterNDUpdate"):
        if _reduction_of(op) != "none":
            return False
    if not any(t.element_type in _BIT_TWIN for t in inputs):
        return False
    bit_outputs = [
        ov.Tensor(_BIT_TWIN[t.element_type][0], t.shape) if t.element_type in _BIT_TWIN else t
        for t in outputs
    ]
    if not op.evaluate(bit_outputs, [_as_bits(t) for t in inputs]):
        return False
    for i, (t, b) in enumerate(zip(outputs, bit_outputs)):
        if b is not t:
            outputs[i] = _from_bits(b, t.element_type)
    return True


_NARROW_INTS = {
    ov.Type.i8: np.int8,
    ov.Type.u8: np.uint8,
    ov.Type.i16: np.int16,
    ov.Type.u16: np.uint16,
}


def _evaluate_widened(op, outputs, inputs):
    """Evaluate on 8/16-bit integers widened to int32, results wrapped back.

    OpenVINO lacks many reference kernels for narrow integers.  Integer
    arithmetic modulo 2**n commutes with widening, and order and equality are
    preserved, so computing in int32 and converting back with wraparound gives
    exactly what NumPy computes in the narrow type.
    """
    if not any(t.element_type in _NARROW_INTS for t in inputs):
        return False
    wide_in = [
        ov.Tensor(np.array(t.data).astype(np.int32)) if t.element_type in _NARROW_INTS else t
        for t in inputs
    ]
    wide_out = [
        ov.Tensor(ov.Type.i32, t.shape) if t.element_type in _NARROW_INTS else t for t in outputs
    ]
    if not op.evaluate(wide_out, wide_in):
        return False
    for i, (t, w) in enumerate(zip(outputs, wide_out)):
        if w is not t:
            outputs[i] = ov.Tensor(np.array(w.data).astype(_NARROW_INTS[t.element_type]))
    return True


# Ops that only compare or select float64 values.  OpenVINO has no float64
# kernels for them, but they give the same answer on int64 "order keys": the
# IEEE bit pattern with the magnitude bits flipped for negative numbers is an
# int64 whose order is the float order (-0.0 is first made +0.0, so equal
# floats have equal keys).  Selections map keys back to floats; comparisons
# with a NaN operand cannot be answered this way and are refused.
ORDERED_SELECT = frozenset(("Maximum", "Minimum", "ReduceMax", "ReduceMin", "TopK"))
ORDERED_COMPARE = frozenset(
    (
        "Equal",
        "Greater",
        "GreaterEqual",
        "Less",
        "LessEqual",
        "NotEqual",
    )
)
_MAGNITUDE = np.int64(0x7FFFFFFFFFFFFFFF)


def _order_key(values):
    """Float64 values as int64 keys with the same order (NaN above +inf)."""
    values = np.where(np.isnan(values), np.nan, values) + 0.0  # canonical NaN, +0.0
    bits = values.view(np.int64)
    return np.where(bits < 0, bits ^ _MAGNITUDE, bits)


def _from_order_key(keys):
    values = np.where(keys < 0, keys ^ _MAGNITUDE, keys).view(np.float64)
    # Empty ReduceMax/ReduceMin yield the int64 extremes: the float extremes.
    values[keys == np.iinfo(np.int64).min] = -np.inf
    values[keys == np.iinfo(np.int64).max] = np.inf
    return values


def _evaluate_ordered(op, outputs, inputs):
    """Evaluate a float64 comparison or selection on int64 order keys."""
    kind = op.get_type_name()
    if kind == "ScatterNDUpdate":  # max/min reductions select; the rest do not
        if _reduction_of(op) not in ("max", "min"):
            return False
    elif kind not in ORDERED_SELECT and kind not in ORDERED_COMPARE:
        return False
    if not any(t.element_type == ov.Type.f64 for t in inputs):
        return False
    data = [np.array(t.data) if t.element_type == ov.Type.f64 else None for t in inputs]
    if kind in ORDERED_COMPARE and any(d is not None and np.isnan(d).any() for d in data):
        return False
    key_in = [ov.Tensor(_order_key(d)) if d is not None else t for d, t in zip(data, inputs)]
    key_out = [
        ov.Tensor(ov.Type.i64, t.shape) if t.element_type == ov.Type.f64 else t for t in outputs
    ]
    if not op.evaluate(key_out, key_in):
        return False
    for i, (t, k) in enumerate(zip(outputs, key_out)):
        if k is not t:
            outputs[i] = ov.Tensor(_from_order_key(np.array(k.data)))
    return True


def _evaluate_isnan(op, outputs, inputs):
    """IsNaN, IsInf and IsFinite have no reference kernels: evaluate them with
    OpenVINO's Equal, Subtract and logical kernels instead (NaN is ``not x ==
    x``, finite is ``x - x == 0``, the infinities are ``x == +-inf``)."""
    kind = op.get_type_name()
    if kind not in ("IsNaN", "IsInf", "IsFinite"):
        return False
    x = inputs[0]
    p = opset15.parameter(list(x.shape), x.element_type)
    if kind == "IsNaN":
        last = opset15.logical_not(opset15.equal(p, p))
    elif kind == "IsFinite":
        last = opset15.equal(opset15.subtract(p, p), _float_constant(0.0, x.element_type))
    else:
        a = op.get_attributes()
        signs = [s for s, on in ((1.0, a["detect_positive"]), (-1.0, a["detect_negative"])) if on]
        if not signs:
            outputs[0] = ov.Tensor(np.zeros(tuple(x.shape), bool))
            return True
        hits = [opset15.equal(p, _float_constant(s * np.inf, x.element_type)) for s in signs]
        last = hits[0] if len(hits) == 1 else opset15.logical_or(*hits)
    return _evaluate_small(last, p, x, outputs)


def _float_constant(value, element_type):
    return opset15.convert(opset15.constant(np.array(value, np.float32)), element_type)


def _evaluate_small(last, parameter, x, outputs):
    """Evaluate the little graph from ``parameter`` (fed ``x``) to the node
    ``last`` with the reference kernels, its result into ``outputs[0]``."""
    values = {parameter.get_instance_id(): x}
    for node in ov.Model([last.output(0)], [parameter]).get_ordered_ops():
        kind = node.get_type_name()
        if kind in ("Parameter", "Result"):
            continue
        if kind == "Constant":
            values[node.get_instance_id()] = _constant_tensor(node)
            continue
        ins = [values[v.get_node().get_instance_id()] for v in node.input_values()]
        out = _empty_tensor(node.output(0))
        if not node.evaluate([out], ins):
            return False
        values[node.get_instance_id()] = out
    outputs[0] = values[last.get_instance_id()]
    return True


@functools.lru_cache(maxsize=256)
def _float64_executable(kind, shapes, attrs):
    return ReferenceExecutable(float64.lowering(kind, shapes, attrs))


def _evaluate_float64(op, outputs, inputs):
    """Float64 arithmetic the reference kernels lack, lowered by ``float64``:
    Add/Subtract/Negative/Abs on int64 bit patterns, reductions and CumSum to
    trees and scans of those, summing/multiplying scatters to one update at a
    time."""
    kind = op.get_type_name()
    if kind not in float64.LOWERED or inputs[0].element_type != ov.Type.f64:
        return False
    data = np.array(inputs[0].data)
    arrays, on_bits = [data], False
    if kind in ("ReduceSum", "ReduceProd"):
        axes = tuple(int(a) for a in np.array(inputs[1].data).reshape(-1))
        attrs = (axes, bool(op.get_attributes()["keep_dims"]))
    elif kind == "ScatterNDUpdate":
        if _reduction_of(op) not in ("sum", "prod"):  # (max/min: _evaluate_ordered)
            return False
        attrs = (_reduction_of(op), inputs[1].element_type)
        arrays = [np.array(t.data) for t in inputs]
    elif kind == "CumSum":
        a = op.get_attributes()
        axis = int(np.array(inputs[1].data)) % max(data.ndim, 1)
        attrs = (axis, bool(a["exclusive"]), bool(a["reverse"]))
    else:  # Add/Subtract/Negative/Abs: int64 bit patterns in and out
        if any(t.element_type != ov.Type.f64 for t in inputs):
            return False
        attrs, on_bits = None, True
        arrays = [np.array(t.data).view(np.int64) for t in inputs]
    exe = _float64_executable(kind, tuple(a.shape for a in arrays), attrs)
    (result,) = exe(arrays, [dtypes.from_numpy(a.dtype) for a in arrays])
    result = np.ascontiguousarray(result).reshape(result.shape)  # (keeps 0-d)
    outputs[0] = ov.Tensor(result.view(np.float64) if on_bits else result)
    return True


def _constant_tensor(op):
    data = op.get_data()
    if not data.flags.c_contiguous:
        data = np.ascontiguousarray(data)
    t = op.get_output_element_type(0)
    if t in _RAW_BITS:  # bfloat16/float8: raw bits
        return ov.Tensor(data.view(_RAW_BITS[t]), list(data.shape), t)
    return ov.Tensor(data, shared_memory=False)


# Eager graphs that only reshape their one input (Parameter -> Reshape /
# Squeeze / Unsqueeze ... -> Result, static output shape) move and compute
# nothing: their result is the input's bytes under the shape OpenVINO inferred
# for the Result.  Running them would only copy those bytes, so
# ``ViewExecutable`` gives the NumPy view instead (declared as a host path of
# the reshaping ops in ``keras_ov/ops/shape.py``).
_VIEW_OPS = frozenset(("Parameter", "Constant", "Result", "Reshape", "Squeeze", "Unsqueeze"))


def view_shape(model):
    """The output shape if ``model`` only reshapes its single input, else None."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return None
    if any(op.get_type_name() not in _VIEW_OPS for op in model.get_ordered_ops()):
        return None
    source = model.get_results()[0].input_value(0)
    while source.get_node().get_type_name() != "Parameter":
        if source.get_node().get_type_name() == "Constant":
            return None
        source = source.get_node().input_value(0)
    shape = model.outputs[0].get_partial_shape()
    return tuple(shape.to_shape()) if shape.is_static else None


class ViewExecutable:
    """A reshape-only model: the input as a view of the output's shape."""

    def __init__(self, shape):
        self.shape = shape
        counters["views"] += 1

    def __call__(self, arrays, in_dtypes):
        return [arrays[0].reshape(self.shape)]


def empty_outputs(model):
    """The (shape, NumPy dtype) of each output if every one is static and empty."""
    specs = []
    for o in model.outputs:
        shape = o.get_partial_shape()
        if not shape.is_static or 0 not in list(shape.to_shape()):
            return None
        et = o.get_element_type()
        specs.append((tuple(shape.to_shape()), dtypes.to_numpy(dtypes.from_ov(et))))
    return specs


class EmptyExecutable:
    """A model whose outputs all have zero elements: their result is known
    exactly without running it (and compiling a zero-size graph can kill the
    process: the CPU plugin divides by zero on Broadcast to a 0-size shape)."""

    def __init__(self, specs):
        self.specs = specs
        counters["empty"] += 1

    def __call__(self, arrays, in_dtypes):
        return [np.empty(shape, dtype) for shape, dtype in self.specs]


def has_empty_data(model):
    """True if a static tensor of ``model`` other than a shape or axes list
    (a 1-D integer vector, empty for scalars) has zero elements.

    The CPU plugin can die compiling such a graph (SIGFPE: det of a (0, 0)
    matrix, Broadcast to a 0-size shape), so it runs on the reference kernels,
    which skip nodes with empty outputs (``_empty_result``).
    """
    for op in model.get_ordered_ops():
        if op.get_type_name() in ("Constant", "ShapeOf", "Result"):
            continue
        for o in op.outputs():
            shape = o.get_partial_shape()
            if not _zero_size(shape):
                continue
            if (
                op.get_type_name() != "Parameter"
                and shape.rank.get_length() == 1
                and (o.get_element_type() in (ov.Type.i32, ov.Type.i64))
            ):
                continue
            return True
    return False


def make_executable(model, properties=None):
    """The executor for a model: reference kernels if it carries wide data
    or empty tensors."""
    empty = empty_outputs(model)
    if empty is not None:
        return EmptyExecutable(empty)
    if needs_reference(model):
        return ReferenceExecutable(model)
    if has_empty_data(model):
        # (Compiled after all if a node has no reference kernel: SearchSorted.)
        return ReferenceExecutable(model, lambda: CompiledExecutable(model, properties))
    return CompiledExecutable(model, properties)


def make_parameter(shape, dtype):
    return opset15.parameter(list(shape), dtypes.to_ov(dtype))


def _port_elements(port):
    """Elements of a model input/output of static shape (0 if dynamic)."""
    shape = port.get_partial_shape()
    if not shape.is_static:
        return 0
    return int(np.prod(list(shape.to_shape())))


def _port_bytes(port):
    """Bytes of a model input/output of static shape (0 if dynamic)."""
    return port.get_element_type().size * _port_elements(port)


def _one_thread(model, arrays):
    """Whether an eager graph runs faster on one thread (see SMALL_GRAPH_ELEMENTS)."""
    kinds = {op.get_type_name() for op in model.get_ordered_ops()}
    ports = list(model.inputs) + list(model.outputs)
    elements = sum(_port_elements(p) for p in ports)
    if kinds & _SLOW_KERNELS:
        return elements <= SLOW_KERNEL_ELEMENTS
    if sum(a.size for a in arrays) <= SMALL_GRAPH_ELEMENTS:
        return True
    if elements > MEMORY_BOUND_ELEMENTS:
        return False
    return not kinds & _POOL_OPS


def _io_bytes(model):
    """Bytes of a model's (static) inputs and outputs: what its buffers scale with."""
    return sum(_port_bytes(p) for p in list(model.inputs) + list(model.outputs))


def run(key, build, arrays, in_dtypes):
    """Run ``build`` (Parameters -> outputs) on host arrays, compiling once.

    ``key`` must determine the graph ``build`` makes given inputs of these
    shapes and dtypes; the shapes, dtypes and execution config are added here.
    """
    _check_session()
    full_key = (key, tuple((a.shape, d) for a, d in zip(arrays, in_dtypes)), config.key())
    exe = cache.get(full_key)
    if exe is None:
        params = [make_parameter(a.shape, d) for a, d in zip(arrays, in_dtypes)]
        outputs = build(params)
        model = ov.Model([o for o in outputs], params, "keras_ov_eager")
        shape = view_shape(model)
        if shape is not None:
            exe = ViewExecutable(shape)
        else:
            one = _one_thread(model, arrays)
            exe = make_executable(model, {"INFERENCE_NUM_THREADS": 1} if one else None)
        cache.put(full_key, exe, _io_bytes(model))
    return exe(arrays, in_dtypes)
